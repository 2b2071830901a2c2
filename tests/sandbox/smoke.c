/* Smoke test of the sandbox module against the real kernel, and an example
 * of how the monitor drives it.
 *
 * Must run as root. It creates a sandbox for the user "smoke", with a home
 * in a new temporary state directory under /tmp. It runs sessions with and
 * without a PTY and signals one. Then it destroys the sandbox and checks
 * that no process, mount or cgroup of it is left. Exit status 0 means every
 * check passed, 77 that it did not run as root.
 *
 * Not built by make. From a configured build directory:
 *
 *   objs="src/sandbox/sandbox.o src/sandbox/init.o src/sandbox/spawn.o
 *         src/sandbox/mounts.o src/sandbox/netns.o src/sandbox/caps.o
 *         src/sandbox/landlock.o src/sandbox/seccomp.o src/sandbox/seccomp-profile.o
 *         src/sandbox/cgroup.o src/sandbox/cgroup-v1.o src/sandbox/cgroup-v2.o
 *         src/sandbox/home.o src/sandbox/egress.o
 *         src/common/log.o src/common/util.o src/common/buf.o src/common/proto.o
 *         src/common/proctitle.o"
 *   make $objs
 *   gcc -g -fsanitize=address,undefined -I. -I$SRC/include \
 *       -DSMOKE_SECCOMP_PROFILE="\"$SRC/etc/seccomp.json\"" \
 *       -o smoke $SRC/tests/sandbox/smoke.c $objs -lseccomp -ljson-c -lcap
 *   sudo ./smoke
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rexec/cgroup.h"
#include "rexec/log.h"
#include "rexec/proto.h"
#include "rexec/sandbox.h"
#include "rexec/seccomp.h"
#include "rexec/util.h"

#ifndef SMOKE_SECCOMP_PROFILE
#define SMOKE_SECCOMP_PROFILE "/etc/rexec/seccomp.json"
#endif
#define SMOKE_USER         "smoke"
#define SMOKE_UID_BASE     300000
#define SMOKE_UID_COUNT    65536
#define SESSION_TIMEOUT_MS 20000

static const char probe_command[] =
    "id; hostname; cat /proc/self/status | grep -i cap; ls /; "
    "ip addr || cat /proc/net/dev; touch /usr/x; echo hi > ~/f; ls -la /tmp";

/* Further checks of the layout. Each line prints one fact to judge. */
static const char layout_command[] =
    "echo \"pwd=$(pwd) shell=$0 HOME=$HOME USER=$USER PATH=$PATH\"; "
    "echo \"var: $(ls /var)\"; "
    "echo \"shadow bytes: $(wc -c < /etc/shadow)\"; "
    "echo \"host key bytes: $(cat /etc/ssh/ssh_host_* | wc -c)\"; "
    "echo \"/etc/rexec: $(ls -A /etc/rexec 2>&1)\"; "
    "echo \"cgroupfs: $(ls /sys/fs/cgroup 2>&1)\"; "
    "echo \"dev: $(ls /dev | tr '\\n' ' ')\"; "
    "echo \"port start: $(cat /proc/sys/net/ipv4/ip_unprivileged_port_start)\"; "
    "echo \"processes: $(ls /proc | grep -c '^[0-9]')\"; "
    "grep -E ' / | /home/user | /tmp ' /proc/self/mountinfo | cut -d' ' -f5,6; "
    "echo to-stderr >&2; cat ~/f; exit 3";

static int failures;

static void check(bool ok, const char *what)
{
	printf("check: %-60s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static void print_status(const char *label, int status)
{
	if (WIFEXITED(status))
		printf("%s: exit status %d\n", label, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		printf("%s: killed by signal %d\n", label, WTERMSIG(status));
	else
		printf("%s: wait status 0x%x\n", label, (unsigned)status);
}

struct session_result {
	int status;
	bool exited;
	char output[16384];
	size_t output_len;
};

static void append_output(struct session_result *res, const char *data, size_t len)
{
	size_t room = sizeof(res->output) - 1 - res->output_len;

	if (len > room)
		len = room;
	memcpy(res->output + res->output_len, data, len);
	res->output_len += len;
	res->output[res->output_len] = '\0';
}

/* Handles one message from init. Returns false when the socket fails. */
static bool read_control(int control_fd, uint32_t session_id, struct session_result *res)
{
	struct proto_msg msg;
	int r = proto_recv(control_fd, &msg);

	if (r == -EAGAIN)
		return true;
	if (r < 0) {
		fprintf(stderr, "control socket: %s\n", strerror(-r));
		return false;
	}
	if (msg.type == PROTO_EXITED && msg.session_id == session_id) {
		res->status = msg.status;
		res->exited = true;
	}
	proto_msg_free(&msg);
	return true;
}

/* Pumps the session's output until it exited and its output is closed. */
static void collect_session(int control_fd, uint32_t session_id, int *fds, int nfds,
			    const char *input, struct session_result *res)
{
	unsigned long long deadline = util_now_ms() + SESSION_TIMEOUT_MS;
	struct pollfd pfds[4];
	int open_fds = nfds;

	if (input)
		util_write_all(fds[0], input, strlen(input));
	for (;;) {
		int i;

		if ((res->exited && open_fds == 0) || util_now_ms() > deadline)
			break;
		pfds[0] = (struct pollfd){.fd = control_fd, .events = POLLIN};
		for (i = 0; i < nfds; i++)
			pfds[i + 1] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		if (poll(pfds, (nfds_t)nfds + 1, 200) < 0 && errno != EINTR)
			break;
		if (pfds[0].revents && !read_control(control_fd, session_id, res))
			break;
		for (i = 0; i < nfds; i++) {
			char data[4096];
			ssize_t n;

			if (fds[i] < 0 || !pfds[i + 1].revents)
				continue;
			n = read(fds[i], data, sizeof(data));
			if (n > 0) {
				append_output(res, data, (size_t)n);
				continue;
			}
			/* EOF on a pipe, EIO on a PTY master once the slave is closed. */
			close(fds[i]);
			fds[i] = -1;
			pfds[i + 1].fd = -1;
			open_fds--;
		}
	}
}

static int spawn(struct sandbox *sb, uint32_t session_id, bool want_pty, const char *command,
		 int *fds, int *pid)
{
	char *env[] = {"LANG=C.UTF-8", "HOME=/should-not-win"};
	struct proto_msg req, reply;
	struct pollfd pfd = {.fd = sb->control_fd, .events = POLLIN};
	int r, i;

	proto_msg_init(&req, PROTO_SPAWN);
	req.session_id = session_id;
	req.command = (char *)command;
	req.term = want_pty ? "xterm-256color" : NULL;
	req.cols = 100;
	req.rows = 30;
	req.want_pty = want_pty;
	req.env = env;
	req.env_count = 2;
	r = proto_send(sb->control_fd, &req);
	if (r < 0)
		return r;

	do {
		if (poll(&pfd, 1, 5000) <= 0)
			return -ETIMEDOUT;
		r = proto_recv(sb->control_fd, &reply);
	} while (r == -EAGAIN);
	if (r < 0)
		return r;
	if (reply.type != PROTO_SPAWNED || reply.error) {
		fprintf(stderr, "spawn failed: %s\n", reply.message ? reply.message : "?");
		r = reply.error ? -reply.error : -EPROTO;
		proto_msg_free(&reply);
		return r;
	}
	for (i = 0; i < reply.nfds; i++) {
		fds[i] = reply.fds[i];
		reply.fds[i] = -1;
	}
	*pid = reply.pid;
	r = reply.nfds;
	proto_msg_free(&reply);
	return r;
}

static int run_session(struct sandbox *sb, uint32_t session_id, bool want_pty, const char *command,
		       const char *input, struct session_result *res)
{
	int fds[3] = {-1, -1, -1};
	int pid = 0;
	int nfds = spawn(sb, session_id, want_pty, command, fds, &pid);

	memset(res, 0, sizeof(*res));
	if (nfds < 0) {
		fprintf(stderr, "session %u: %s\n", session_id, strerror(-nfds));
		return nfds;
	}
	printf("\n=== session %u (%s, pid %d in the sandbox): %s\n", session_id,
	       want_pty ? "pty" : "pipes", pid, command ? command : "(login shell)");
	if (want_pty) {
		collect_session(sb->control_fd, session_id, fds, 1, input, res);
	} else {
		/* No input: close stdin so the command reads EOF. */
		close(fds[PROTO_FD_STDIN]);
		collect_session(sb->control_fd, session_id, fds + 1, 2, NULL, res);
	}
	fputs(res->output, stdout);
	if (!res->exited) {
		printf("session %u: no exit report\n", session_id);
		return -ETIMEDOUT;
	}
	print_status("session", res->status);
	return 0;
}

/* Sends PROTO_KILL to a running session and returns its wait status. */
static int run_killed_session(struct sandbox *sb, struct session_result *res)
{
	struct proto_msg kill_msg;
	int fds[3] = {-1, -1, -1};
	int pid = 0, i;
	int nfds = spawn(sb, 4, false, "sleep 100", fds, &pid);

	memset(res, 0, sizeof(*res));
	if (nfds < 0)
		return nfds;
	printf("\n=== session 4 (pipes, pid %d): sleep 100, then PROTO_KILL SIGTERM\n", pid);
	proto_msg_init(&kill_msg, PROTO_KILL);
	kill_msg.session_id = 4;
	kill_msg.status = SIGTERM;
	proto_send(sb->control_fd, &kill_msg);
	close(fds[0]);
	collect_session(sb->control_fd, 4, fds + 1, 2, NULL, res);
	for (i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (res->exited)
		print_status("session", res->status);
	return res->exited ? 0 : -ETIMEDOUT;
}

static char *read_text(const char *path)
{
	char *text = NULL;

	if (util_read_file(path, 1 << 20, &text, NULL) < 0)
		return NULL;
	return text;
}

/* Prints init's cgroups and, for v1, the limits written into them. */
static void show_cgroup(pid_t init_pid)
{
	static const char *const knobs[][2] = {
	    {"memory", "memory.limit_in_bytes"},
	    {"memory", "memory.memsw.limit_in_bytes"},
	    {"pids", "pids.max"},
	    {"cpu", "cpu.cfs_period_us"},
	    {"cpu", "cpu.cfs_quota_us"},
	};
	char path[512];
	char *text;
	size_t i;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)init_pid);
	text = read_text(path);
	printf("\n=== %s\n%s", path, text ? text : "(unreadable)\n");
	for (i = 0; text && i < sizeof(knobs) / sizeof(knobs[0]); i++) {
		char pattern[32], *value;
		const char *line;

		snprintf(pattern, sizeof(pattern), ":%s:", knobs[i][0]);
		line = strstr(text, pattern);
		if (!line)
			continue;
		line += strlen(pattern);
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%.*s/%s", knobs[i][0],
			 (int)strcspn(line, "\n"), line, knobs[i][1]);
		value = read_text(path);
		printf("%s = %s", path, value ? value : "(unreadable)\n");
		free(value);
	}
	free(text);
}

/* Prints and checks init's host credentials: the mapped sandbox root,
 * with none of the monitor's supplementary groups. */
static void show_init_ids(pid_t init_pid)
{
	char path[64], expected_uid[64];
	char *status;
	const char *uid, *groups;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)init_pid);
	status = read_text(path);
	uid = status ? strstr(status, "\nUid:") : NULL;
	groups = status ? strstr(status, "\nGroups:") : NULL;
	printf("\n=== %s\n%.*s\n%.*s\n", path, uid ? (int)strcspn(uid + 1, "\n") : 0,
	       uid ? uid + 1 : "", groups ? (int)strcspn(groups + 1, "\n") : 0,
	       groups ? groups + 1 : "");
	snprintf(expected_uid, sizeof(expected_uid), "\nUid:\t%d\t%d\t%d\t%d\n", SMOKE_UID_BASE,
		 SMOKE_UID_BASE, SMOKE_UID_BASE, SMOKE_UID_BASE);
	check(status && strstr(status, expected_uid), "init runs as the mapped sandbox root");
	check(groups && strcspn(groups + 1, "0123456789") > strcspn(groups + 1, "\n"),
	      "init has no supplementary groups");
	free(status);
}

static bool any_process_in_uid_range(void)
{
	DIR *proc = opendir("/proc");
	struct dirent *entry;
	bool found = false;

	while (proc && (entry = readdir(proc)) != NULL) {
		char path[300];
		struct stat st;

		if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s", entry->d_name);
		if (stat(path, &st) == 0 && st.st_uid >= SMOKE_UID_BASE &&
		    st.st_uid < SMOKE_UID_BASE + SMOKE_UID_COUNT) {
			printf("left over: pid %s uid %u\n", entry->d_name, (unsigned)st.st_uid);
			found = true;
		}
	}
	if (proc)
		closedir(proc);
	return found;
}

/* Returns true when some v1 or v2 cgroup directory named "rexec" beneath
 * the smoke test's own cgroups still exists. */
static bool any_cgroup_left(const char *self_cgroup)
{
	static const char *const controllers[] = {"memory", "pids", "cpu"};
	bool found = false;
	size_t i;

	for (i = 0; i < sizeof(controllers) / sizeof(controllers[0]); i++) {
		char pattern[64], path[512];
		const char *line;
		size_t len;

		snprintf(pattern, sizeof(pattern), ":%s:", controllers[i]);
		line = strstr(self_cgroup, pattern);
		if (!line)
			continue;
		line += strlen(pattern);
		len = strcspn(line, "\n");
		snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%.*s/rexec", controllers[i],
			 (int)(len == 1 ? 0 : len), line);
		if (access(path, F_OK) == 0) {
			printf("left over: %s\n", path);
			found = true;
		}
	}
	return found;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int main(void)
{
	char state_dir[] = "/tmp/rexec-smoke-XXXXXX";
	char home_dir[256], err[SANDBOX_ERROR_MAX] = "";
	struct cgroup_manager *cgroups = NULL;
	struct sandbox_seccomp *seccomp = NULL;
	struct sandbox *sb = NULL;
	struct session_result res;
	char *self_cgroup, *host_port_start, *mountinfo;
	pid_t init_pid = 0;
	int groups_before;
	int r;

	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init("smoke", false, LOG_LEVEL_DEBUG);
	if (geteuid() != 0) {
		fprintf(stderr, "smoke: must run as root\n");
		return 77;
	}
	if (!mkdtemp(state_dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(home_dir, sizeof(home_dir), "%s/homes/%s", state_dir, SMOKE_USER);
	host_port_start = read_text("/proc/sys/net/ipv4/ip_unprivileged_port_start");
	self_cgroup = read_text("/proc/self/cgroup");

	struct sandbox_params params = {
	    .user = SMOKE_USER,
	    .uid_base = SMOKE_UID_BASE,
	    .uid_count = SMOKE_UID_COUNT,
	    .home_dir = home_dir,
	    .home_max_bytes = 0, /* a plain directory */
	    .home_quota = HOME_QUOTA_LOOP_IMAGE,
	    .hostname = "rexec-smoke",
	    .shell = "/bin/bash",
	    .limits = {.memory_max_bytes = 512ull << 20, .pids_max = 256, .cpu_max_percent = 50},
	};

	r = sandbox_seccomp_compile(SMOKE_SECCOMP_PROFILE, &seccomp, err, sizeof(err));
	check(r == 0, "sandbox_seccomp_compile");
	if (r < 0) {
		printf("error: %s\n", err);
		return 1;
	}
	params.seccomp = seccomp;

	r = cgroup_manager_open("/sys/fs/cgroup", self_cgroup ? self_cgroup : "", NULL, &cgroups);
	check(r == 0, "cgroup_manager_open");
	if (r == 0)
		printf("cgroup backend: %s\n", cgroup_manager_version(cgroups));
	groups_before = getgroups(0, NULL);
	r = r == 0 ? sandbox_create(&params, cgroups, &sb, err, sizeof(err)) : r;
	check(r == 0, "sandbox_create");
	check(getgroups(0, NULL) == groups_before, "monitor keeps its supplementary groups");
	if (r < 0) {
		printf("error: %s\n", err);
		goto cleanup;
	}
	init_pid = sb->init_pid;
	show_cgroup(init_pid);
	show_init_ids(init_pid);

	r = run_session(sb, 1, false, probe_command, NULL, &res);
	check(r == 0 && res.exited, "pipe session reports its exit");
	check(strstr(res.output, "uid=1000(user) gid=1000(user)") != NULL, "runs as uid 1000");
	check(strstr(res.output, "CapEff:\t0000000000000000") != NULL, "no effective caps");
	check(strstr(res.output, "Read-only file system") != NULL, "/usr is read-only");

	r = run_session(sb, 2, true, probe_command, NULL, &res);
	check(r == 0 && res.exited, "pty session reports its exit");
	check(strstr(res.output, "rexec-smoke") != NULL, "hostname is set");

	r = run_session(sb, 3, false, layout_command, NULL, &res);
	check(r == 0 && WIFEXITED(res.status) && WEXITSTATUS(res.status) == 3,
	      "exit status is exact");
	check(strstr(res.output, "to-stderr") != NULL, "stderr is forwarded");
	check(strstr(res.output, "shadow bytes: 0") != NULL, "/etc/shadow is masked");
	check(strstr(res.output, "host key bytes: 0") != NULL, "ssh host keys are masked");
	check(strstr(res.output, "HOME=/home/user") != NULL, "request cannot replace HOME");

	r = run_session(sb, 5, true, NULL, "echo \"login:$0\"; exit 7\n", &res);
	check(r == 0 && WIFEXITED(res.status) && WEXITSTATUS(res.status) == 7,
	      "login shell over a pty");
	check(strstr(res.output, "login:-bash") != NULL, "login shell has argv[0] -bash");

	r = run_killed_session(sb, &res);
	check(r == 0 && WIFSIGNALED(res.status) && WTERMSIG(res.status) == SIGTERM,
	      "PROTO_KILL signals the session");

	/* A second sandbox for the same user replaces nothing of the first and
	 * reports a shell that cannot be executed as exit status 127. */
	sandbox_destroy(sb);
	sb = NULL;
	params.shell = "/nonexistent/sh";
	r = sandbox_create(&params, cgroups, &sb, err, sizeof(err));
	check(r == 0, "sandbox_create again for the same user");
	if (r < 0) {
		printf("error: %s\n", err);
		goto cleanup;
	}
	r = run_session(sb, 1, false, "true", NULL, &res);
	check(r == 0 && WIFEXITED(res.status) && WEXITSTATUS(res.status) == 127,
	      "missing shell exits with status 127");
	check(strstr(res.output, "cannot execute /nonexistent/sh") != NULL,
	      "missing shell is reported on stderr");

cleanup:
	sandbox_destroy(sb);
	cgroup_manager_close(cgroups);
	sandbox_seccomp_free(seccomp);

	mountinfo = read_text("/proc/self/mountinfo");
	if (init_pid > 0)
		check(kill(init_pid, 0) < 0 && errno == ESRCH, "sandbox init is gone");
	check(!any_process_in_uid_range(), "no process of the uid range is left");
	check(mountinfo && !strstr(mountinfo, state_dir), "no mount references the home");
	check(!any_cgroup_left(self_cgroup ? self_cgroup : ""), "no cgroup is left");
	free(mountinfo);
	if (host_port_start) {
		char *now = read_text("/proc/sys/net/ipv4/ip_unprivileged_port_start");

		check(now && strcmp(now, host_port_start) == 0,
		      "host ip_unprivileged_port_start unchanged");
		free(now);
	}

	nftw(state_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(self_cgroup);
	free(host_port_start);
	printf("\n%s: %d failed check(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
