/* Egress through slirp4netns, started and stopped by the monitor.
 *
 * slirp4netns runs as the sandbox's root, which is the sandbox's first
 * host uid, so it has no host privilege. The monitor's child drops its
 * supplementary groups, joins the sandbox's user namespace with setns and
 * switches to uid 0 there before it executes slirp4netns. As root of that
 * namespace it may create tap0 in the sandbox's network namespace, while
 * its own sockets stay in the host's network namespace. It runs in the
 * sandbox's cgroup, so its memory and pids count against the tier. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rexec/log.h"
#include "rexec/util.h"
#include "egress.h"
#include "sandbox-internal.h"

#define READY_TIMEOUT_MS 5000
#define EXIT_TIMEOUT_MS  1000
#define EXIT_POLL_NS     (10 * 1000 * 1000)

/* Fixed fd numbers in slirp4netns, in the order place_fds puts them. */
#define CHILD_READY_FD   3
#define CHILD_EXIT_FD    4
#define CHILD_NETNS_FD   5
#define CHILD_FD_STAGING 100

/* /dev/net/tun (Documentation/admin-guide/devices.txt) */
#define TUN_MAJOR 10
#define TUN_MINOR 200

struct egress {
	pid_t pid;
	int exit_fd; /* write end of slirp4netns's --exit-fd pipe */
	char *user;
};

/* Two steps, so that a macro argument is expanded before # quotes it. */
#define QUOTE(x)           #x
#define STRINGIFY(x)       QUOTE(x)
#define FD_OPTION(name, x) "--" name "=" STRINGIFY(x)

/* clang-format off */
static char *const slirp_argv[] = {
    "slirp4netns",
    "--configure",
    "--mtu=65520",
    "--disable-host-loopback",
    "--enable-sandbox",
    "--enable-seccomp",
    FD_OPTION("ready-fd", CHILD_READY_FD),
    FD_OPTION("exit-fd", CHILD_EXIT_FD),
    "--netns-type=path",
    "/proc/self/fd/" STRINGIFY(CHILD_NETNS_FD),
    "tap0",
    NULL,
};
/* clang-format on */

static const char *const slirp_paths[] = {"/usr/bin/slirp4netns", "/bin/slirp4netns"};

/* Puts fds[i] at target + i: first above every target, then down. */
static void place_fds(const int fds[3], int target)
{
	int staged[3];

	for (int i = 0; i < 3; i++) {
		staged[i] = fcntl(fds[i], F_DUPFD, CHILD_FD_STAGING);
		if (staged[i] < 0)
			_exit(127);
	}
	for (int i = 0; i < 3; i++) {
		if (dup2(staged[i], target + i) < 0)
			_exit(127);
	}
	if (close_range(target + 3, ~0U, 0) < 0)
		_exit(127);
}

/* Gives this process a private mount namespace whose /dev/net contains a
 * tun node that anyone may open. Hosts without udev (or with stricter
 * rules) have /dev/net/tun mode 0600, which the sandbox's root, an
 * unprivileged host uid, cannot open. The host's node stays as it is. */
static int make_private_tun(void)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (mount("tmpfs", "/dev/net", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=4k,mode=755") < 0)
		return -errno;
	if (mknod("/dev/net/tun", S_IFCHR | 0666, makedev(TUN_MAJOR, TUN_MINOR)) < 0 ||
	    chmod("/dev/net/tun", 0666) < 0)
		return -errno;
	return 0;
}

/* The forked child: waits until the monitor has moved it into the
 * sandbox's cgroup, becomes the sandbox's root, then executes slirp4netns.
 * Its errors go to the monitor's stderr, which is rexecd's log. */
__attribute__((noreturn)) static void run_slirp(pid_t monitor_pid, int sync_fd, int userns_fd,
						const int fds[3])
{
	static char *const envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", NULL};
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	sigset_t none;
	char byte;
	int r;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (read(sync_fd, &byte, 1) != 1)
		_exit(127);
	/* Its progress report goes to stdout; errors stay on stderr. */
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(null_fd, STDOUT_FILENO) < 0)
		_exit(127);

	r = make_private_tun();
	if (r < 0) {
		dprintf(STDERR_FILENO, "rexecd: cannot provide /dev/net/tun to slirp4netns: %s\n",
			strerror(-r));
		_exit(127);
	}
	if (setgroups(0, NULL) < 0 || setns(userns_fd, CLONE_NEWUSER) < 0 ||
	    setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
		dprintf(STDERR_FILENO, "rexecd: cannot enter the sandbox's user namespace: %s\n",
			strerror(errno));
		_exit(127);
	}
	/* Ends slirp4netns when the monitor dies. It is set after the uid
	 * change, because that change clears it. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != monitor_pid)
		_exit(127);

	place_fds(fds, CHILD_READY_FD);
	for (size_t i = 0; i < ARRAY_SIZE(slirp_paths); i++)
		execve(slirp_paths[i], slirp_argv, envp);
	dprintf(STDERR_FILENO, "rexecd: cannot execute slirp4netns: %s\n", strerror(errno));
	_exit(127);
}

/* Waits for the "1" that slirp4netns writes to its --ready-fd once tap0 is
 * configured. End of file means it exited first. */
static int wait_for_ready(int ready_fd, pid_t pid, char *err, size_t err_len)
{
	char byte;
	ssize_t n;
	int r = sandbox_wait_readable(ready_fd, READY_TIMEOUT_MS);

	if (r == -ETIMEDOUT)
		return sandbox_fail(err, err_len, r,
				    "slirp4netns pid=%d did not configure tap0 within %d ms",
				    (int)pid, READY_TIMEOUT_MS);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "poll failed");

	do {
		n = read(ready_fd, &byte, 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return sandbox_fail(err, err_len, -errno,
				    "cannot read the ready fd of slirp4netns");
	if (n == 0) {
		snprintf(
		    err, err_len,
		    "slirp4netns pid=%d exited before tap0 was configured (its messages are in "
		    "rexecd's log)",
		    (int)pid);
		return -ECHILD;
	}
	return 0;
}

/* The pipes and namespace fds of one start, -1 where closed. */
struct egress_fds {
	int ready[2];
	int exit[2];
	int sync[2];
	int userns;
	int netns;
};

static void close_egress_fds(struct egress_fds *f)
{
	for (int i = 0; i < 2; i++) {
		util_closep(&f->ready[i]);
		util_closep(&f->exit[i]);
		util_closep(&f->sync[i]);
	}
	util_closep(&f->userns);
	util_closep(&f->netns);
}

static int open_egress_fds(pid_t init_pid, struct egress_fds *f, char *err, size_t err_len)
{
	char path[64];

	if (pipe2(f->ready, O_CLOEXEC) < 0 || pipe2(f->exit, O_CLOEXEC) < 0 ||
	    pipe2(f->sync, O_CLOEXEC) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot create pipes for slirp4netns");
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)init_pid);
	f->userns = open(path, O_RDONLY | O_CLOEXEC);
	if (f->userns < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open %s", path);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)init_pid);
	f->netns = open(path, O_RDONLY | O_CLOEXEC);
	if (f->netns < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open %s", path);
	return 0;
}

/* Kills and reaps a slirp4netns that failed to start. */
static void kill_slirp(pid_t pid)
{
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

int egress_start(pid_t init_pid, struct cgroup *cg, const char *user, struct egress **out,
		 char *err, size_t err_len)
{
	struct egress_fds f = {{-1, -1}, {-1, -1}, {-1, -1}, -1, -1};
	unsigned long long started_ms = util_now_ms();
	pid_t monitor_pid = getpid();
	struct egress *eg = NULL;
	const char byte = 1;
	pid_t pid;
	int r;

	*out = NULL;
	r = open_egress_fds(init_pid, &f, err, err_len);
	if (r < 0)
		goto out;
	pid = fork();
	if (pid < 0) {
		r = sandbox_fail(err, err_len, -errno, "cannot fork slirp4netns");
		goto out;
	}
	if (pid == 0) {
		const int child_fds[3] = {f.ready[1], f.exit[0], f.netns};

		run_slirp(monitor_pid, f.sync[0], f.userns, child_fds);
	}
	util_closep(&f.ready[1]);
	util_closep(&f.exit[0]);

	r = cgroup_attach(cg, pid);
	if (r < 0)
		sandbox_fail(err, err_len, r, "cannot move slirp4netns pid=%d into the cgroup",
			     (int)pid);
	if (r == 0 && write(f.sync[1], &byte, 1) != 1)
		r = sandbox_fail(err, err_len, -errno, "cannot release slirp4netns pid=%d",
				 (int)pid);
	if (r == 0)
		r = wait_for_ready(f.ready[0], pid, err, err_len);
	if (r == 0 && (!(eg = calloc(1, sizeof(*eg))) || !(eg->user = strdup(user))))
		r = sandbox_fail(err, err_len, -ENOMEM, "out of memory");
	if (r < 0) {
		kill_slirp(pid);
		if (eg)
			free(eg->user);
		free(eg);
		goto out;
	}

	eg->pid = pid;
	eg->exit_fd = util_steal_fd(&f.exit[1]);
	log_info("egress ready user=%s slirp4netns pid=%d in %llu ms", user, (int)pid,
		 util_now_ms() - started_ms);
	*out = eg;
out:
	close_egress_fds(&f);
	return r;
}

void egress_stop(struct egress *eg)
{
	unsigned long long deadline;
	const struct timespec pause = {.tv_sec = 0, .tv_nsec = EXIT_POLL_NS};
	pid_t r;

	if (!eg)
		return;
	util_closep(&eg->exit_fd);
	deadline = util_now_ms() + EXIT_TIMEOUT_MS;
	for (;;) {
		r = waitpid(eg->pid, NULL, WNOHANG);
		if (r != 0 || util_now_ms() >= deadline)
			break;
		nanosleep(&pause, NULL);
	}
	if (r == 0) {
		log_warn("slirp4netns pid=%d user=%s did not exit within %d ms; killing it",
			 (int)eg->pid, eg->user, EXIT_TIMEOUT_MS);
		kill_slirp(eg->pid);
	} else if (r < 0 && errno != ECHILD) {
		log_warn("cannot reap slirp4netns pid=%d user=%s: %s", (int)eg->pid, eg->user,
			 strerror(errno));
	}
	free(eg->user);
	free(eg);
}
