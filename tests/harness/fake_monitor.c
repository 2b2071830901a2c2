/* A stand-in for rexecd's monitor, for testing the network process end to
 * end with a real SSH client before the real monitor exists. Not built by
 * make; build it by hand against librexec's objects:
 *
 *   gcc -I include -I build-dir tests/harness/fake_monitor.c <objects> \
 *       -lssh -luv -lssl -lcrypto -lutil -o fake_monitor
 *
 * It opens a listener on 127.0.0.1:PORT, creates the two monitor links,
 * forks the network process (server_run) and then plays the monitor:
 *   PROTO_KEY_CHECK    allowed when the user is --user and the key blob
 *                      matches a "type base64 [comment]" line of --keys;
 *   PROTO_SESSION_OPEN runs "/bin/sh -c COMMAND" (or "/bin/sh" for a
 *                      shell) here, unconfined, on a PTY or on pipes, and
 *                      returns the fds; a command starting with
 *                      "__fail__" gets an error reply instead;
 *   PROTO_SESSION_SIGNAL / _CLOSE signal / kill the session's group;
 *   SIGCHLD            sends PROTO_SESSION_EXITED.
 * Every session runs as the user running this program: test only. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "rexec/audit.h"
#include "rexec/config.h"
#include "rexec/listener.h"
#include "rexec/log.h"
#include "rexec/proto.h"
#include "rexec/server.h"

#define MAX_KEYS     64
#define MAX_SESSIONS 256

struct key {
	uint8_t blob[PROTO_BLOB_MAX];
	size_t len;
};

struct session {
	uint32_t id;
	pid_t pid;
};

static struct {
	const char *user;
	struct key keys[MAX_KEYS];
	size_t key_count;
	struct session sessions[MAX_SESSIONS];
	uint32_t next_session_id;
	pid_t server_pid;
	int async_fd;
	int key_fd;
} fm = {.user = "test", .next_session_id = 0x1000};

static void die(const char *what)
{
	fprintf(stderr, "fake_monitor: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* ---- keys ---- */

static int decode_base64(const char *text, uint8_t *out, size_t out_max, size_t *out_len)
{
	size_t len = strlen(text), pad = 0;
	int n;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 > out_max)
		return -1;
	while (pad < 2 && text[len - 1 - pad] == '=')
		pad++;
	n = EVP_DecodeBlock(out, (const unsigned char *)text, (int)len);
	if (n < 0 || (size_t)n < pad)
		return -1;
	*out_len = (size_t)n - pad;
	return 0;
}

static void load_keys(const char *path)
{
	char line[8192];
	FILE *f = fopen(path, "r");

	if (!f)
		die(path);
	while (fgets(line, sizeof(line), f) && fm.key_count < MAX_KEYS) {
		char *save = NULL;
		char *type = strtok_r(line, " \t\n", &save);
		char *b64 = strtok_r(NULL, " \t\n", &save);
		struct key *key = &fm.keys[fm.key_count];

		if (!type || type[0] == '#' || !b64)
			continue;
		if (decode_base64(b64, key->blob, sizeof(key->blob), &key->len) == 0)
			fm.key_count++;
	}
	fclose(f);
	fprintf(stderr, "fake_monitor: %zu keys loaded for user %s\n", fm.key_count, fm.user);
}

static bool key_allowed(const struct proto_msg *msg)
{
	if (strcmp(msg->user, fm.user) != 0)
		return false;
	for (size_t i = 0; i < fm.key_count; i++) {
		if (fm.keys[i].len == msg->blob_len &&
		    memcmp(fm.keys[i].blob, msg->blob, msg->blob_len) == 0)
			return true;
	}
	return false;
}

static void handle_key_link(void)
{
	struct proto_msg msg, reply;
	int rc = proto_recv(fm.key_fd, &msg);

	if (rc == -EAGAIN)
		return;
	if (rc < 0) {
		fprintf(stderr, "fake_monitor: key link: %s\n", strerror(-rc));
		exit(rc == -ECONNRESET ? 0 : 2);
	}
	proto_msg_init(&reply, PROTO_KEY_RESULT);
	reply.status = msg.type == PROTO_KEY_CHECK && key_allowed(&msg) ? 1 : 0;
	fprintf(stderr, "fake_monitor: key check user=%s type=%s -> %d\n", msg.user, msg.key_type,
		reply.status);
	rc = proto_send(fm.key_fd, &reply);
	if (rc < 0)
		fprintf(stderr, "fake_monitor: key reply: %s\n", strerror(-rc));
	proto_msg_free(&msg);
}

/* ---- sessions ---- */

/* A shell started in the background by another shell inherits SIGINT and
 * SIGQUIT ignored, and this process blocks SIGCHLD. Both are undone, so
 * the program gets signals as it would under sshd. */
static void reset_signals(void)
{
	static const int signals[] = {SIGINT, SIGQUIT, SIGPIPE, SIGCHLD, SIGTERM, SIGHUP};
	sigset_t none;

	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++)
		signal(signals[i], SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void exec_program(const struct proto_msg *msg)
{
	char term[PROTO_NAME_MAX + 8];

	clearenv();
	setenv("PATH", "/usr/local/bin:/usr/bin:/bin", 1);
	setenv("HOME", "/tmp", 1);
	setenv("USER", msg->user, 1);
	setenv("SHELL", "/bin/sh", 1);
	if (msg->want_pty && msg->term && msg->term[0]) {
		snprintf(term, sizeof(term), "TERM=%s", msg->term);
		putenv(term);
	}
	for (size_t i = 0; i < msg->env_count; i++)
		putenv(msg->env[i]);
	reset_signals();
	if (msg->command && msg->command[0])
		execl("/bin/sh", "sh", "-c", msg->command, (char *)NULL);
	else
		execl("/bin/sh", "-sh", (char *)NULL);
	_exit(127);
}

static pid_t spawn_pty(const struct proto_msg *msg, int *master)
{
	struct winsize ws = {.ws_row = (unsigned short)msg->rows,
			     .ws_col = (unsigned short)msg->cols};
	int slave;
	pid_t pid;

	if (openpty(master, &slave, NULL, NULL, &ws) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		close(*master);
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		if (slave > 2)
			close(slave);
		exec_program(msg);
	}
	close(slave);
	return pid;
}

static pid_t spawn_pipes(const struct proto_msg *msg, int fds[3])
{
	int in[2], out[2], err[2];
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		setsid();
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		exec_program(msg);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	fds[0] = in[1];
	fds[1] = out[0];
	fds[2] = err[0];
	return pid;
}

static struct session *session_slot(void)
{
	for (size_t i = 0; i < MAX_SESSIONS; i++) {
		if (fm.sessions[i].id == 0)
			return &fm.sessions[i];
	}
	return NULL;
}

static struct session *session_by_id(uint32_t id)
{
	for (size_t i = 0; i < MAX_SESSIONS; i++) {
		if (id && fm.sessions[i].id == id)
			return &fm.sessions[i];
	}
	return NULL;
}

static void open_session(const struct proto_msg *msg)
{
	struct session *slot = session_slot();
	struct proto_msg reply;
	pid_t pid;
	int rc;

	proto_msg_init(&reply, PROTO_SESSION_OPENED);
	reply.request_id = msg->request_id;
	reply.want_pty = msg->want_pty;
	if (msg->command && strncmp(msg->command, "__fail__", 8) == 0) {
		reply.error = EPERM;
		reply.message = "sandbox start failed (requested by the test)";
	} else if (!slot) {
		reply.error = EAGAIN;
		reply.message = "too many sessions";
	} else {
		pid = msg->want_pty ? spawn_pty(msg, &reply.fds[0]) : spawn_pipes(msg, reply.fds);
		if (pid < 0) {
			reply.error = errno;
			reply.message = "spawn failed";
		} else {
			slot->id = fm.next_session_id++;
			slot->pid = pid;
			reply.session_id = slot->id;
			reply.nfds = msg->want_pty ? 1 : 3;
		}
	}
	fprintf(stderr,
		"fake_monitor: open request=%u pty=%d command=%s -> session=%08x error=%d\n",
		msg->request_id, msg->want_pty, msg->command ? msg->command : "(shell)",
		reply.session_id, reply.error);
	rc = proto_send(fm.async_fd, &reply);
	if (rc < 0)
		fprintf(stderr, "fake_monitor: opened reply: %s\n", strerror(-rc));
	for (int i = 0; i < PROTO_FDS_MAX; i++) {
		if (reply.fds[i] >= 0)
			close(reply.fds[i]);
	}
}

static void handle_async_link(void)
{
	struct proto_msg msg;
	struct session *session;
	int rc = proto_recv(fm.async_fd, &msg);

	if (rc == -EAGAIN)
		return;
	if (rc < 0) {
		fprintf(stderr, "fake_monitor: async link: %s\n", strerror(-rc));
		exit(rc == -ECONNRESET ? 0 : 2);
	}
	switch (msg.type) {
	case PROTO_SESSION_OPEN:
		open_session(&msg);
		break;
	case PROTO_SESSION_SIGNAL:
	case PROTO_SESSION_CLOSE:
		session = session_by_id(msg.session_id);
		fprintf(stderr, "fake_monitor: %s session=%08x signal=%d\n",
			proto_type_name(msg.type), msg.session_id, msg.status);
		if (session)
			kill(-session->pid, msg.type == PROTO_SESSION_CLOSE ? SIGKILL : msg.status);
		break;
	default:
		fprintf(stderr, "fake_monitor: unexpected %s\n", proto_type_name(msg.type));
		break;
	}
	proto_msg_free(&msg);
}

static void reap_children(void)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (pid == fm.server_pid) {
			fprintf(stderr, "fake_monitor: network process exited, status 0x%x\n",
				(unsigned)status);
			exit(WIFEXITED(status) ? WEXITSTATUS(status) : 3);
		}
		for (size_t i = 0; i < MAX_SESSIONS; i++) {
			struct proto_msg msg;

			if (fm.sessions[i].pid != pid || fm.sessions[i].id == 0)
				continue;
			proto_msg_init(&msg, PROTO_SESSION_EXITED);
			msg.session_id = fm.sessions[i].id;
			msg.status = status;
			fprintf(stderr, "fake_monitor: session=%08x exited, status 0x%x\n",
				msg.session_id, (unsigned)status);
			proto_send(fm.async_fd, &msg);
			fm.sessions[i].id = 0;
			fm.sessions[i].pid = 0;
		}
	}
}

/* ---- setup ---- */

static void usage(void)
{
	fprintf(stderr,
		"usage: fake_monitor --port PORT --keys FILE --host-key PATH [--user NAME]\n"
		"       [--grace SECONDS] [--max-auth-tries N] [--max-startups N]\n"
		"       [--max-sessions N] [--audit PATH] [--debug]\n");
	exit(2);
}

static void parse_args(int argc, char **argv, struct config *cfg, const char **keys,
		       const char **host_key, const char **audit_path)
{
	static const struct option options[] = {
	    {"port", required_argument, NULL, 'p'},
	    {"keys", required_argument, NULL, 'k'},
	    {"host-key", required_argument, NULL, 'h'},
	    {"user", required_argument, NULL, 'u'},
	    {"grace", required_argument, NULL, 'g'},
	    {"max-auth-tries", required_argument, NULL, 'a'},
	    {"max-startups", required_argument, NULL, 's'},
	    {"max-sessions", required_argument, NULL, 'n'},
	    {"audit", required_argument, NULL, 'A'},
	    {"debug", no_argument, NULL, 'd'},
	    {0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case 'p':
			snprintf(cfg->listen[0].host, sizeof(cfg->listen[0].host), "127.0.0.1");
			cfg->listen[0].port = (uint16_t)atoi(optarg);
			cfg->listen_count = 1;
			break;
		case 'k':
			*keys = optarg;
			break;
		case 'h':
			*host_key = optarg;
			break;
		case 'u':
			fm.user = optarg;
			break;
		case 'g':
			cfg->login_grace_time_s = (uint32_t)atoi(optarg);
			break;
		case 'a':
			cfg->max_auth_tries = (uint32_t)atoi(optarg);
			break;
		case 's':
			cfg->max_startups = (uint32_t)atoi(optarg);
			break;
		case 'n':
			cfg->max_sessions = (uint32_t)atoi(optarg);
			break;
		case 'A':
			*audit_path = optarg;
			break;
		case 'd':
			cfg->log_level = LOG_LEVEL_DEBUG;
			break;
		default:
			usage();
		}
	}
	if (!*keys || !*host_key || cfg->listen_count != 1 || cfg->listen[0].port < 1024)
		usage();
}

static int run_network_process(struct config *cfg, int listen_fd, int async_fd, int key_fd,
			       const char *host_key)
{
	struct server_params params = {
	    .cfg = cfg,
	    .listen_fds = &listen_fd,
	    .listen_count = 1,
	    .monitor_fd = async_fd,
	    .monitor_key_fd = key_fd,
	    .host_key_path = host_key,
	};

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	log_init("rexecd-net", false, cfg->log_level);
	return server_run(&params);
}

int main(int argc, char **argv)
{
	const char *keys = NULL, *host_key = NULL, *audit_path = NULL;
	struct config cfg;
	int async_pair[2], key_pair[2], listen_fd, sig_fd;
	sigset_t mask;

	config_init(&cfg);
	cfg.listen_count = 0;
	parse_args(argc, argv, &cfg, &keys, &host_key, &audit_path);
	log_init("fake_monitor", false, cfg.log_level);
	load_keys(keys);
	if (audit_open(audit_path) < 0)
		die("audit_open");

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, async_pair) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, key_pair) < 0)
		die("socketpair");
	listen_fd = listener_open(&cfg.listen[0]);
	if (listen_fd < 0) {
		errno = -listen_fd;
		die("listener_open");
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	fm.server_pid = fork();
	if (fm.server_pid < 0)
		die("fork");
	if (fm.server_pid == 0) {
		sigprocmask(SIG_UNBLOCK, &mask, NULL);
		close(async_pair[0]);
		close(key_pair[0]);
		/* exit, not _exit: LeakSanitizer reports at exit. */
		exit(run_network_process(&cfg, listen_fd, async_pair[1], key_pair[1], host_key));
	}
	close(async_pair[1]);
	close(key_pair[1]);
	close(listen_fd);
	fm.async_fd = async_pair[0];
	fm.key_fd = key_pair[0];
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sig_fd < 0)
		die("signalfd");
	fprintf(stderr, "fake_monitor: network process pid %d on 127.0.0.1:%u\n",
		(int)fm.server_pid, (unsigned)cfg.listen[0].port);

	for (;;) {
		struct pollfd pfd[3] = {
		    {.fd = fm.key_fd, .events = POLLIN},
		    {.fd = fm.async_fd, .events = POLLIN},
		    {.fd = sig_fd, .events = POLLIN},
		};

		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		if (pfd[2].revents) {
			struct signalfd_siginfo si;

			while (read(sig_fd, &si, sizeof(si)) == sizeof(si))
				;
			reap_children();
		}
		if (pfd[0].revents)
			handle_key_link();
		if (pfd[1].revents)
			handle_async_link();
	}
}
