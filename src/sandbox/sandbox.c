/* Sandbox lifecycle, monitor side: home directory, clone into new
 * namespaces, id maps, cgroup, release, wait for PROTO_READY, teardown.
 * The cloned child continues in init.c. */
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
#include "sandbox-internal.h"

#define READY_TIMEOUT_MS 10000
#define HOSTNAME_MAX     64

/* init creates the cgroup namespace itself, after the monitor has moved
 * it into its cgroup. Created here, the namespace's root would be the
 * monitor's cgroup. */
#define SANDBOX_CLONE_FLAGS                                                                        \
	(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWUTS | CLONE_NEWIPC)

/* The kernel's struct clone_args up to tls (CLONE_ARGS_SIZE_VER0), declared
 * here because <linux/sched.h> clashes with glibc's <sched.h>. */
struct clone3_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
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
	return 0;
}

/* Opens (creating it if missing) the last component of home_dir beneath
 * its parent, never following a symlink there. Sets *created. */
static int open_or_create_home(const char *home_dir, bool *created, char *err, size_t err_len)
{
	const char *name = strrchr(home_dir, '/') + 1;
	char *parent = strndup(home_dir, name - home_dir > 1 ? (size_t)(name - home_dir - 1) : 1);
	int parent_fd = -1, home_fd = -1;
	int r = 0;

	*created = false;
	if (!parent)
		return sandbox_fail(err, err_len, -ENOMEM, "cannot prepare %s", home_dir);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || name[0] == '\0') {
		snprintf(err, err_len, "invalid home directory %s", home_dir);
		r = -EINVAL;
		goto out;
	}

	r = util_mkdir_p(parent, 0711);
	if (r < 0) {
		sandbox_fail(err, err_len, r, "cannot create %s", parent);
		goto out;
	}
	parent_fd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (parent_fd < 0) {
		r = sandbox_fail(err, err_len, -errno, "cannot open %s", parent);
		goto out;
	}
	if (mkdirat(parent_fd, name, 0700) == 0) {
		*created = true;
	} else if (errno != EEXIST) {
		r = sandbox_fail(err, err_len, -errno, "cannot create %s", home_dir);
		goto out;
	}
	home_fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (home_fd < 0)
		r = sandbox_fail(err, err_len, -errno, "cannot open %s", home_dir);

out:
	if (parent_fd >= 0)
		close(parent_fd);
	free(parent);
	return r < 0 ? r : home_fd;
}

int sandbox_prepare_home(const struct sandbox_params *params, char *err, size_t err_len)
{
	uid_t owner = params->uid_base + SANDBOX_SANDBOX_UID;
	bool created;
	struct stat st;
	int home_fd;
	int r = 0;

	r = validate_params(params, err, err_len);
	if (r < 0)
		return r;
	home_fd = open_or_create_home(params->home_dir, &created, err, err_len);
	if (home_fd < 0)
		return home_fd;

	if (created) {
		if (fchown(home_fd, owner, owner) < 0 || fchmod(home_fd, 0700) < 0) {
			r = sandbox_fail(err, err_len, -errno, "cannot hand %s to uid %u",
					 params->home_dir, (unsigned)owner);
			goto out;
		}
		log_info("created home %s user=%s uid=%u", params->home_dir, params->user,
			 (unsigned)owner);
		goto out;
	}

	/* An existing home owned by another uid may be another user's. */
	if (fstat(home_fd, &st) < 0) {
		r = sandbox_fail(err, err_len, -errno, "cannot stat %s", params->home_dir);
	} else if (st.st_uid != owner) {
		snprintf(err, err_len, "home %s of user=%s is owned by uid %u, expected %u",
			 params->home_dir, params->user, (unsigned)st.st_uid, (unsigned)owner);
		r = -EPERM;
	}

out:
	close(home_fd);
	return r;
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
 * pid; the clone fallback (kernels before 5.3) opens it afterwards. */
static pid_t clone_sandbox(int *pidfd)
{
	struct clone3_args args = {
	    .flags = SANDBOX_CLONE_FLAGS | CLONE_PIDFD,
	    .pidfd = (uint64_t)(uintptr_t)pidfd,
	    .exit_signal = SIGCHLD,
	};
	long pid;

	*pidfd = -1;
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
static pid_t clone_without_groups(int *pidfd, char *err, size_t err_len)
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

	pid = clone_sandbox(pidfd);
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

/* Clones the home directory into a detached mount, nosuid and nodev, for
 * init to attach. The path is opened with O_NOFOLLOW, so a symlink planted
 * in place of the home is never followed. */
static int clone_home(const char *home_dir, char *err, size_t err_len)
{
	/* A clone keeps the source's peer group; on a host where / is shared
	 * (systemd), mounts would then propagate between the host's copy of
	 * the home and the sandbox's. Private cuts both directions. */
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
				  .propagation = MS_PRIVATE};
	int home_fd = open(home_dir, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
	int tree_fd;

	if (home_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open home %s", home_dir);
	tree_fd = open_tree(home_fd, "",
			    OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	close(home_fd);
	if (tree_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot clone the mount of %s", home_dir);
	if (mount_setattr(tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
		int r = -errno;

		close(tree_fd);
		return sandbox_fail(err, err_len, r, "cannot set nosuid,nodev,private on %s",
				    home_dir);
	}
	return tree_fd;
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
	unsigned long long deadline = util_now_ms() + READY_TIMEOUT_MS;
	struct pollfd pfd = {.fd = control_fd, .events = POLLIN};
	struct proto_msg msg;
	int r;

	for (;;) {
		unsigned long long now = util_now_ms();

		if (now >= deadline)
			return sandbox_fail(err, err_len, -ETIMEDOUT,
					    "sandbox init sent no ready message within %d ms",
					    READY_TIMEOUT_MS);
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r > 0)
			break;
		if (r < 0 && errno != EINTR)
			return sandbox_fail(err, err_len, -errno, "poll failed");
	}

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

int sandbox_create(const struct sandbox_params *params, struct cgroup_manager *cgroups,
		   struct sandbox **out, char *err, size_t err_len)
{
	unsigned long long started_ms = util_now_ms();
	struct sandbox_init_args init_args;
	struct sandbox *sb = NULL;
	struct cgroup *cg = NULL;
	int sock[2] = {-1, -1};
	int home_tree_fd = -1, pidfd = -1;
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

	home_tree_fd = clone_home(params->home_dir, err, err_len);
	if (home_tree_fd < 0) {
		r = home_tree_fd;
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0) {
		r = sandbox_fail(err, err_len, -errno, "socketpair failed");
		goto fail;
	}
	r = cgroup_create(cgroups, params->user, &params->limits, &cg);
	if (r < 0) {
		sandbox_fail(err, err_len, r, "cannot create the cgroup of user=%s", params->user);
		goto fail;
	}

	init_args = (struct sandbox_init_args){
	    .control_fd = sock[1],
	    .home_tree_fd = home_tree_fd,
	    .hostname = params->hostname,
	    .shell = params->shell,
	};
	pid = clone_without_groups(&pidfd, err, err_len);
	if (pid == 0)
		run_child(&init_args);
	if (pid < 0) {
		r = pid;
		goto fail;
	}
	util_closep(&sock[1]);
	util_closep(&home_tree_fd);

	r = write_id_maps(pid, params, err, err_len);
	if (r == 0) {
		r = cgroup_attach(cg, pid);
		if (r < 0)
			sandbox_fail(err, err_len, r, "cannot move pid=%d into its cgroup",
				     (int)pid);
	}
	if (r == 0)
		r = release_child(sock[0], err, err_len);
	if (r == 0)
		r = wait_for_ready(sock[0], err, err_len);
	if (r == 0) {
		r = util_set_nonblocking(sock[0], true);
		if (r < 0)
			sandbox_fail(err, err_len, r,
				     "cannot make the control socket non-blocking");
	}
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
	log_info("sandbox started user=%s pid=%d in %llu ms", params->user, (int)pid,
		 util_now_ms() - started_ms);
	*out = sb;
	return 0;

fail:
	free(sb);
	if (pid > 0)
		kill_and_reap(pid, pidfd);
	util_closep(&pidfd);
	if (cg)
		cgroup_destroy(cg);
	util_closep(&sock[0]);
	util_closep(&sock[1]);
	util_closep(&home_tree_fd);
	return r;
}

void sandbox_destroy(struct sandbox *sb)
{
	int status;

	if (!sb)
		return;
	status = kill_and_reap(sb->init_pid, sb->pidfd);
	log_info("sandbox stopped user=%s pid=%d status=0x%x", sb->user, (int)sb->init_pid,
		 (unsigned)status);
	if (sb->cgroup && cgroup_destroy(sb->cgroup) < 0)
		log_warn("cgroup of user=%s was not removed", sb->user);
	util_closep(&sb->pidfd);
	util_closep(&sb->control_fd);
	free(sb->user);
	free(sb);
}
