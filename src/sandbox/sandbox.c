/* Sandbox lifecycle, monitor side: home volume, clone into new
 * namespaces, id maps, cgroup, release, wait for PROTO_READY, egress,
 * teardown. The cloned child continues in init.c; home.c and egress.c are
 * the monitor-side steps. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rexec/log.h"
#include "rexec/proto.h"
#include "rexec/sandbox.h"
#include "rexec/util.h"
#include "egress.h"
#include "sandbox-internal.h"

#define READY_TIMEOUT_MS 10000
#define HOSTNAME_MAX     64

/* init creates the cgroup namespace itself, after the monitor has moved
 * it into its cgroup. Created here, the namespace's root would be the
 * monitor's cgroup. */
#define SANDBOX_CLONE_FLAGS                                                                        \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC)

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL /* Linux 5.7 */
#endif

/* The kernel's struct clone_args up to cgroup (CLONE_ARGS_SIZE_VER2),
 * declared here because <linux/sched.h> clashes with glibc's <sched.h>. */
struct clone3_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};

static bool hostname_is_valid(const char *name)
{
	size_t len = strlen(name), i;

	if (len == 0 || len > HOSTNAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '.'))
			return false;
	}
	return true;
}

/* The shell path goes into the generated /etc/passwd, so it must not
 * contain the field or line separator. */
static bool shell_is_valid(const char *shell)
{
	return shell[0] == '/' && strlen(shell) < PATH_MAX && !strpbrk(shell, ":\n");
}

static int validate_params(const struct sandbox_params *p, char *err, size_t err_len)
{
	if (!p->user || p->user[0] == '\0') {
		snprintf(err, err_len, "missing user name");
		return -EINVAL;
	}
	/* Host uid 0 must never be mapped into a sandbox. */
	if (p->uid_base == 0 || p->uid_count <= SANDBOX_SANDBOX_UID ||
	    (uint64_t)p->uid_base + p->uid_count > (uint64_t)UINT32_MAX) {
		snprintf(err, err_len,
			 "invalid uid range %u+%u for user=%s: it must start above 0, hold more "
			 "than %d ids and end below 4294967295",
			 (unsigned)p->uid_base, p->uid_count, p->user, SANDBOX_SANDBOX_UID);
		return -EINVAL;
	}
	if (!p->home_dir || p->home_dir[0] != '/' || strcmp(p->home_dir, "/") == 0) {
		snprintf(err, err_len, "home directory of user=%s is not an absolute path",
			 p->user);
		return -EINVAL;
	}
	if (!p->hostname || !hostname_is_valid(p->hostname)) {
		snprintf(err, err_len,
			 "invalid sandbox hostname: expected 1 to %d letters, digits, '-' or '.'",
			 HOSTNAME_MAX);
		return -EINVAL;
	}
	if (!p->shell || !shell_is_valid(p->shell)) {
		snprintf(err, err_len, "invalid shell: expected an absolute path without ':'");
		return -EINVAL;
	}
	if (!p->seccomp) {
		snprintf(err, err_len, "no seccomp filter for user=%s", p->user);
		return -EINVAL;
	}
	return 0;
}

/* Leaves open only the control socket and the home tree fd, both above 2,
 * and 0/1/2, which init replaces with /dev/null. The child cannot report
 * a failure yet, so it exits, and the monitor reads end-of-file on the socket. */
static void close_inherited_fds(int keep_a, int keep_b)
{
	unsigned low = (unsigned)(keep_a < keep_b ? keep_a : keep_b);
	unsigned high = (unsigned)(keep_a < keep_b ? keep_b : keep_a);

	if ((low > 3 && close_range(3, low - 1, 0) < 0) ||
	    (high > low + 1 && close_range(low + 1, high - 1, 0) < 0) ||
	    close_range(high + 1, ~0U, 0) < 0)
		_exit(1);
}

/* Moves fd above stdin, stdout and stderr, which init replaces. A monitor
 * started with one of them closed may have got such a number for a socket. */
static int move_above_stdio(int fd)
{
	int moved;

	if (fd > STDERR_FILENO)
		return fd;
	moved = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	if (moved < 0)
		_exit(1);
	return moved;
}

/* Runs in the child, which owns only a copy of the monitor's memory and
 * its own fd table. */
__attribute__((noreturn)) static void run_child(const struct sandbox_init_args *args)
{
	struct sandbox_init_args child_args = *args;

	child_args.control_fd = move_above_stdio(args->control_fd);
	child_args.home_tree_fd = move_above_stdio(args->home_tree_fd);
	close_inherited_fds(child_args.control_fd, child_args.home_tree_fd);
	sandbox_init_main(&child_args);
}

/* Clones like fork(2), into new namespaces. clone3 returns a pidfd with the
 * pid; the clone fallback (kernels before 5.3) opens it afterwards. With a
 * cgroup_fd (cgroup v2) the child starts in its cgroup, so not even its
 * first page is charged elsewhere. If that clone3 fails for any reason,
 * the child is cloned without it, *into_cgroup stays false, and the
 * caller attaches the child. */
static pid_t clone_sandbox(int cgroup_fd, int *pidfd, bool *into_cgroup)
{
	struct clone3_args args = {
	    .flags = SANDBOX_CLONE_FLAGS | CLONE_PIDFD,
	    .pidfd = (uint64_t)(uintptr_t)pidfd,
	    .exit_signal = SIGCHLD,
	};
	long pid;

	*pidfd = -1;
	*into_cgroup = false;
	if (cgroup_fd >= 0) {
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
		pid = syscall(SYS_clone3, &args, sizeof(args));
		if (pid >= 0) {
			*into_cgroup = pid > 0;
			return (pid_t)pid;
		}
		log_debug("clone3 into the cgroup failed: %s; attaching after clone",
			  strerror(errno));
		args.flags &= ~CLONE_INTO_CGROUP;
		args.cgroup = 0;
	}
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid >= 0 || errno != ENOSYS)
		return (pid_t)pid;

	pid = syscall(SYS_clone, SANDBOX_CLONE_FLAGS | SIGCHLD, NULL, NULL, NULL, NULL);
	if (pid > 0) {
		*pidfd = pidfd_open((pid_t)pid, 0);
		if (*pidfd < 0)
			log_warn("pidfd_open failed for pid=%ld: %s", pid, strerror(errno));
	}
	return (pid_t)pid;
}

/* Starts the child with no supplementary groups. Under setgroups "deny"
 * the sandbox could not drop them itself, and the kernel would keep
 * granting it the monitor's host groups (root's gid 0) on host files. The
 * monitor is single-threaded, so its groups are back before it does
 * anything else. */
static pid_t clone_without_groups(int cgroup_fd, int *pidfd, bool *into_cgroup, char *err,
				  size_t err_len)
{
	int count = getgroups(0, NULL);
	gid_t *groups = NULL;
	pid_t pid;
	int saved_errno;

	*pidfd = -1;
	if (count < 0)
		return sandbox_fail(err, err_len, -errno, "getgroups failed");
	if (count > 0) {
		groups = calloc((size_t)count, sizeof(*groups));
		if (!groups)
			return sandbox_fail(err, err_len, -ENOMEM,
					    "cannot save supplementary groups");
		count = getgroups(count, groups);
		if (count < 0 || setgroups(0, NULL) < 0) {
			saved_errno = errno;
			free(groups);
			return sandbox_fail(err, err_len, -saved_errno,
					    "cannot clear supplementary groups");
		}
	}

	pid = clone_sandbox(cgroup_fd, pidfd, into_cgroup);
	saved_errno = errno;
	if (pid == 0)
		return 0;

	if (count > 0 && setgroups((size_t)count, groups) < 0)
		log_warn("cannot restore the monitor's supplementary groups: %s", strerror(errno));
	free(groups);
	if (pid < 0)
		return sandbox_fail(err, err_len, -saved_errno, "clone failed");
	return pid;
}

static int write_proc_file(pid_t pid, const char *file, const char *text)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	return util_write_string(path, text);
}

/* uid_map, then setgroups "deny", then gid_map: the order the kernel
 * requires, each file written once. Inside, uid and gid 0 to count-1 are
 * host base to base+count-1. */
static int write_id_maps(pid_t pid, const struct sandbox_params *p, char *err, size_t err_len)
{
	char map[64];
	int r;

	snprintf(map, sizeof(map), "0 %u %u\n", (unsigned)p->uid_base, p->uid_count);
	r = write_proc_file(pid, "uid_map", map);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot write uid_map of pid=%d", (int)pid);
	r = write_proc_file(pid, "setgroups", "deny");
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot write setgroups of pid=%d", (int)pid);
	r = write_proc_file(pid, "gid_map", map);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot write gid_map of pid=%d", (int)pid);
	return 0;
}

static int release_child(int control_fd, char *err, size_t err_len)
{
	const char byte = 1;

	if (send(control_fd, &byte, 1, MSG_NOSIGNAL) != 1)
		return sandbox_fail(err, err_len, -errno, "cannot release the sandbox init");
	return 0;
}

/* Waits for init's PROTO_READY. Returns -ETIMEDOUT, -ECONNRESET when init
 * died first, or init's own error. */
static int wait_for_ready(int control_fd, char *err, size_t err_len)
{
	struct proto_msg msg;
	int r = sandbox_wait_readable(control_fd, READY_TIMEOUT_MS);

	if (r == -ETIMEDOUT)
		return sandbox_fail(err, err_len, r,
				    "sandbox init sent no ready message within %d ms",
				    READY_TIMEOUT_MS);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "poll failed");

	r = proto_recv(control_fd, &msg);
	if (r == -ECONNRESET)
		return sandbox_fail(err, err_len, r, "sandbox init exited during setup");
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot read the ready message");
	if (msg.type != PROTO_READY) {
		r = sandbox_fail(err, err_len, -EPROTO, "expected a ready message, got %s",
				 proto_type_name(msg.type));
	} else if (msg.error != 0) {
		/* init's message already names the error. */
		snprintf(err, err_len, "sandbox setup failed: %s", msg.message ? msg.message : "");
		r = -msg.error;
	}
	proto_msg_free(&msg);
	return r;
}

/* SIGKILLs init, which makes the kernel kill every process in its pid
 * namespace, and reaps it. The wait is short unless a sandbox process is
 * stuck in uninterruptible sleep. */
static int kill_and_reap(pid_t pid, int pidfd)
{
	int status = 0;
	pid_t r;

	if (pidfd >= 0)
		pidfd_send_signal(pidfd, SIGKILL, NULL, 0);
	else
		kill(pid, SIGKILL);
	do {
		r = waitpid(pid, &status, 0);
	} while (r < 0 && errno == EINTR);
	/* ECHILD: the monitor's own SIGCHLD handling reaped it already. */
	if (r < 0 && errno != ECHILD)
		log_warn("cannot reap sandbox init pid=%d: %s", (int)pid, strerror(errno));
	return status;
}

/* The monitor-side steps after the clone: id maps, cgroup (unless the
 * clone put the child there), release, PROTO_READY, then egress. */
static int start_child(const struct sandbox_params *params, pid_t pid, bool into_cgroup,
		       int control_fd, struct cgroup *cg, struct egress **egress, char *err,
		       size_t err_len)
{
	int r = write_id_maps(pid, params, err, err_len);

	if (r == 0 && !into_cgroup) {
		r = cgroup_attach(cg, pid);
		if (r < 0)
			sandbox_fail(err, err_len, r, "cannot move pid=%d into its cgroup",
				     (int)pid);
	}
	if (r == 0)
		r = release_child(control_fd, err, err_len);
	if (r == 0)
		r = wait_for_ready(control_fd, err, err_len);
	if (r == 0) {
		r = util_set_nonblocking(control_fd, true);
		if (r < 0)
			sandbox_fail(err, err_len, r,
				     "cannot make the control socket non-blocking");
	}
	if (r == 0 && params->egress)
		r = egress_start(pid, cg, params->user, egress, err, err_len);
	return r;
}

static int open_home(const struct sandbox_params *params, struct home **home, char *err,
		     size_t err_len)
{
	const struct home_params home_params = {
	    .user = params->user,
	    .path = params->home_dir,
	    .owner = params->uid_base + SANDBOX_SANDBOX_UID,
	    .root = params->uid_base,
	    .project_id = params->uid_base,
	    .max_bytes = params->home_max_bytes,
	    .quota = params->home_quota,
	};

	return home_open(&home_params, home, err, err_len);
}

int sandbox_create(const struct sandbox_params *params, struct cgroup_manager *cgroups,
		   struct sandbox **out, char *err, size_t err_len)
{
	unsigned long long started_ms = util_now_ms();
	struct sandbox_init_args init_args;
	struct sandbox *sb = NULL;
	struct cgroup *cg = NULL;
	struct home *home = NULL;
	struct egress *egress = NULL;
	int sock[2] = {-1, -1};
	int cgroup_fd = -1, pidfd = -1;
	bool into_cgroup = false;
	pid_t pid = -1;
	int r;

	*out = NULL;
	r = validate_params(params, err, err_len);
	if (r < 0)
		return r;
	if (!cgroups) {
		snprintf(err, err_len, "no cgroup manager");
		return -EINVAL;
	}

	r = open_home(params, &home, err, err_len);
	if (r < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0) {
		r = sandbox_fail(err, err_len, -errno, "socketpair failed");
		goto fail;
	}
	r = cgroup_create(cgroups, params->user, &params->limits, &cg);
	if (r < 0) {
		sandbox_fail(err, err_len, r, "cannot create the cgroup of user=%s", params->user);
		goto fail;
	}
	cgroup_fd = cgroup_open_fd(cg);

	init_args = (struct sandbox_init_args){
	    .control_fd = sock[1],
	    .home_tree_fd = home->tree_fd,
	    .hostname = params->hostname,
	    .shell = params->shell,
	    .egress = params->egress,
	    .seccomp = params->seccomp,
	};
	pid = clone_without_groups(cgroup_fd, &pidfd, &into_cgroup, err, err_len);
	if (pid == 0)
		run_child(&init_args);
	if (pid < 0) {
		r = pid;
		goto fail;
	}
	util_closep(&sock[1]);
	util_closep(&cgroup_fd);
	/* Only the sandbox's mount namespace keeps the home mounted now. */
	util_closep(&home->tree_fd);

	r = start_child(params, pid, into_cgroup, sock[0], cg, &egress, err, err_len);
	if (r < 0)
		goto fail;

	sb = calloc(1, sizeof(*sb));
	if (!sb || !(sb->user = strdup(params->user))) {
		r = sandbox_fail(err, err_len, -ENOMEM, "out of memory");
		goto fail;
	}
	sb->init_pid = pid;
	sb->pidfd = pidfd;
	sb->control_fd = sock[0];
	sb->cgroup = cg;
	sb->home = home;
	sb->egress = egress;
	log_info("sandbox started user=%s pid=%d in %llu ms", params->user, (int)pid,
		 util_now_ms() - started_ms);
	*out = sb;
	return 0;

fail:
	free(sb);
	if (pid > 0)
		kill_and_reap(pid, pidfd);
	egress_stop(egress);
	home_close(home);
	util_closep(&pidfd);
	util_closep(&cgroup_fd);
	if (cg)
		cgroup_destroy(cg);
	util_closep(&sock[0]);
	util_closep(&sock[1]);
	return r;
}

void sandbox_destroy(struct sandbox *sb)
{
	unsigned long long started_ms = util_now_ms();
	int status;

	if (!sb)
		return;
	status = kill_and_reap(sb->init_pid, sb->pidfd);
	/* slirp4netns is in the sandbox's cgroup, so it goes before rmdir. */
	egress_stop(sb->egress);
	home_close(sb->home);
	if (sb->cgroup && cgroup_destroy(sb->cgroup) < 0)
		log_warn("cgroup of user=%s was not removed", sb->user);
	log_info("sandbox stopped user=%s pid=%d status=0x%x in %llu ms", sb->user,
		 (int)sb->init_pid, (unsigned)status, util_now_ms() - started_ms);
	util_closep(&sb->pidfd);
	util_closep(&sb->control_fd);
	free(sb->user);
	free(sb);
}
