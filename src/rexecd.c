/* rexecd: the Rexec SSH session gateway.
 *
 * Starts as root, reads the configuration, opens the listening sockets and
 * the audit log, then becomes the monitor, which starts the network
 * process (see monitor.h and server.h). */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <libssh/libssh.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "rexec/audit.h"
#include "rexec/config.h"
#include "rexec/listener.h"
#include "rexec/log.h"
#include "rexec/monitor.h"
#include "rexec/privdrop.h"
#include "rexec/proctitle.h"
#include "rexec/sandbox.h"
#include "rexec/seccomp.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: rexecd [-t] [-e] [-d] [-f CONFIG]\n"
		"  -f CONFIG  configuration file (default %s)\n"
		"  -t         check the configuration and exit\n"
		"  -e         log to standard error instead of syslog\n"
		"  -d         log at debug level\n"
		"  -V         show the version\n"
		"  -h         show this help\n",
		CONFIG_DEFAULT_PATH);
}

/* Raises the soft open-file limit to the hard one. Each connection costs
 * the network process two fds (the socket and libssh's duplicate of it),
 * so the usual soft limit of 1024 would cap it near 500 connections.
 * Sandboxes set their own, lower limit. */
static void raise_fd_limit(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) < 0 || limit.rlim_cur >= limit.rlim_max)
		return;
	limit.rlim_cur = limit.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &limit) < 0)
		log_warn("cannot raise the open file limit to %llu: %s",
			 (unsigned long long)limit.rlim_max, strerror(errno));
}

/* Logs the sandbox layers that depend on the profile and the kernel. */
static void log_sandbox_hardening(const struct config *cfg, const struct sandbox_seccomp *seccomp)
{
	int abi = sandbox_landlock_abi();

	if (seccomp->enosys_above > 0)
		log_info("seccomp profile %s: %u rules, %u BPF instructions, ENOSYS above system "
			 "call %u",
			 cfg->seccomp_profile, seccomp->rule_count, seccomp->session.insn_count,
			 seccomp->enosys_above);
	else
		log_info("seccomp profile %s: %u rules, %u BPF instructions", cfg->seccomp_profile,
			 seccomp->rule_count, seccomp->session.insn_count);
	if (abi > 0)
		log_info("Landlock ABI %d: sandboxes get a Landlock ruleset", abi);
	else
		log_warn("Landlock is not available (%s): sandboxes run without a Landlock ruleset",
			 strerror(-abi));
}

static int open_listeners(const struct config *cfg, int *fds)
{
	for (size_t i = 0; i < cfg->listen_count; i++) {
		const struct config_listen *addr = &cfg->listen[i];

		fds[i] = listener_open(addr);
		if (fds[i] < 0) {
			log_error("cannot listen on %s port %u: %s", addr->host, addr->port,
				  strerror(-fds[i]));
			while (i-- > 0)
				close(fds[i]);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *config_path = CONFIG_DEFAULT_PATH;
	bool test_only = false, to_stderr = false, debug = false;
	char err[CONFIG_ERROR_MAX];
	int listen_fds[CONFIG_LISTEN_MAX];
	struct privdrop_target net_target;
	struct sandbox_seccomp *seccomp = NULL;
	char seccomp_err[SANDBOX_SECCOMP_ERROR_MAX];
	struct config cfg;
	int opt, r;

	argv = proctitle_init(argc, argv);
	while ((opt = getopt(argc, argv, "f:tedhV")) != -1) {
		switch (opt) {
		case 'f':
			config_path = optarg;
			break;
		case 't':
			test_only = true;
			break;
		case 'e':
			to_stderr = true;
			break;
		case 'd':
			debug = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("rexecd %s\n", PACKAGE_VERSION);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}

	config_init(&cfg);
	r = config_load(&cfg, config_path, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "rexecd: %s\n", err);
		return 1;
	}
	/* Compiled here so that -t reports a broken profile too. */
	r = sandbox_seccomp_compile(cfg.seccomp_profile, &seccomp, seccomp_err,
				    sizeof(seccomp_err));
	if (r < 0) {
		fprintf(stderr, "rexecd: %s\n", seccomp_err);
		config_free(&cfg);
		return 1;
	}
	if (test_only) {
		sandbox_seccomp_free(seccomp);
		config_free(&cfg);
		return 0;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "rexecd: must run as root (it creates namespaces and cgroups)\n");
		return 1;
	}

	log_init("rexecd", !to_stderr, debug ? LOG_LEVEL_DEBUG : cfg.log_level);
	log_sandbox_hardening(&cfg, seccomp);
	if (ssh_init() != SSH_OK) {
		log_error("libssh initialisation failed");
		return 1;
	}

	raise_fd_limit();
	r = audit_open(cfg.audit_log);
	if (r < 0) {
		log_error("cannot open audit log %s: %s", cfg.audit_log, strerror(-r));
		return 1;
	}
	if (open_listeners(&cfg, listen_fds) < 0)
		return 1;
	r = privdrop_prepare(&cfg, &net_target, err, sizeof(err));
	if (r < 0) {
		log_error("cannot prepare the network process's privilege drop: %s", err);
		return 1;
	}

	r = monitor_run(&(struct monitor_params){
		.cfg = &cfg,
		.config_path = config_path,
		.listen_fds = listen_fds,
		.listen_count = cfg.listen_count,
		.privdrop = &net_target,
		.seccomp = seccomp,
	});

	for (size_t i = 0; i < cfg.listen_count; i++)
		close(listen_fds[i]);
	audit_close();
	ssh_finalize();
	sandbox_seccomp_free(seccomp);
	config_free(&cfg);
	return r;
}
