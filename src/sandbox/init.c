/* The sandbox init: pid 1 of the sandbox's pid namespace.
 *
 * It runs in the process sandbox_create cloned into the new namespaces,
 * sets the sandbox up once, reports PROTO_READY, then forks one process per
 * session on the monitor's request and reaps every process of the sandbox.
 * It never execs, so no code from inside the sandbox ever runs as pid 1.
 * When the monitor's end of the control socket closes, init kills the
 * sandbox and exits, which the kernel completes by killing whatever is left
 * in the pid namespace. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

#include "rexec/proctitle.h"
#include "rexec/proto.h"
#include "rexec/sandbox.h"
#include "rexec/util.h"
#include "sandbox-internal.h"

struct session {
	uint32_t id;
	pid_t pid; /* session leader, also its process group id */
};

struct init_state {
	int control_fd;
	int signal_fd;
	const char *shell;
	const struct sandbox_seccomp_program *session_filter;
	struct session *sessions;
	size_t session_count;
	size_t session_cap;
};

/* Blocks until the monitor has written the id maps and placed this process
 * in its cgroup, then signals that with one byte. */
static int wait_for_release(int control_fd)
{
	char byte;
	ssize_t n;

	do {
		n = recv(control_fd, &byte, 1, 0);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 1 ? 0 : -ECONNRESET;
}

/* The clone left this process with the monitor's host credentials, which
 * the new user namespace does not map. Switching to uid and gid 0 of the
 * namespace makes it the mapped sandbox root (host uid_base), so that files
 * it creates and every access check use the sandbox's ids. */
static int become_sandbox_root(char *err, size_t err_len)
{
	if (setresgid(0, 0, 0) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot switch to gid 0 in the sandbox");
	if (setresuid(0, 0, 0) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot switch to uid 0 in the sandbox");
	return 0;
}

/* The cloned memory carries the monitor's signal handlers and mask. */
static void reset_signals(void)
{
	struct sigaction dfl;
	sigset_t none;
	int sig;

	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++) {
		/* SIGKILL, SIGSTOP and glibc's internal signals fail with EINVAL. */
		sigaction(sig, &dfl, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* init reports only over the control socket; the monitor's stdin, stdout
 * and stderr must not reach into the sandbox. */
static int redirect_stdio(char *err, size_t err_len)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	int i;

	if (fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open /dev/null");
	for (i = 0; i < 3; i++) {
		if (fd != i && dup2(fd, i) < 0) {
			int r = -errno;

			close(fd);
			return sandbox_fail(err, err_len, r, "cannot redirect fd %d", i);
		}
	}
	if (fd > 2)
		close(fd);
	return 0;
}

/* The process settings init needs before it builds the filesystem. */
static int prepare_process(char *err, size_t err_len)
{
	int r = become_sandbox_root(err, err_len);

	if (r < 0)
		return r;
	/* Sandbox users read /proc/1/cmdline; it must not show rexecd's host
	 * paths (binary, configuration). */
	proctitle_set("rexec-init");
	/* Now that the monitor has placed us in the sandbox's cgroup, a new
	 * cgroup namespace makes that cgroup the root of what we see. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot create a cgroup namespace");
	/* Keeps sandbox processes from ptracing init or reading its memory. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot clear the dumpable flag");
	if (setsid() < 0)
		return sandbox_fail(err, err_len, -errno, "setsid failed");
	/* The monitor's umask would also narrow the modes of the mount points
	 * and generated files, and every session inherits it. */
	umask(022);
	/* rexecd's own limit may be high; every sandbox process gets this one. */
	if (setrlimit(RLIMIT_NOFILE, &(struct rlimit){SANDBOX_NOFILE_MAX, SANDBOX_NOFILE_MAX}) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot limit open files");
	reset_signals();
	return redirect_stdio(err, err_len);
}

/* Confines init once setup is done. Every session inherits all of it. */
static int confine_init(const struct sandbox_init_args *args, char *err, size_t err_len)
{
	int r;

	/* From here on no execve in the sandbox (setuid binaries, file
	 * capabilities) grants privileges. Landlock and seccomp require it of
	 * a process without CAP_SYS_ADMIN. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot set no_new_privs");
	r = sandbox_landlock_restrict(err, err_len);
	if (r < 0)
		return r;
	r = sandbox_seccomp_load(&args->seccomp->init);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot load the init seccomp filter");
	return 0;
}

/* The whole setup, in order. Returns 0 or a negative errno with err set. */
static int set_up_sandbox(const struct sandbox_init_args *args, char *err, size_t err_len)
{
	cleanup_close int root_fd = -1;
	int r;

	r = prepare_process(err, err_len);
	if (r < 0)
		return r;

	r = sandbox_mounts_build(args, &root_fd, err, err_len);
	if (r < 0)
		return r;
	close(args->home_tree_fd);
	if (sethostname(args->hostname, strlen(args->hostname)) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot set the hostname");
	r = sandbox_netns_setup(err, err_len);
	if (r < 0)
		return r;
	r = sandbox_mounts_pivot(root_fd, err, err_len);
	if (r < 0)
		return r;

	r = sandbox_caps_limit(err, err_len);
	if (r < 0)
		return r;
	return confine_init(args, err, err_len);
}

static int send_ready(int control_fd, int result, const char *message)
{
	struct proto_msg msg;

	proto_msg_init(&msg, PROTO_READY);
	msg.error = result < 0 ? -result : 0;
	msg.message = (char *)(result < 0 ? message : "");
	return proto_send(control_fd, &msg);
}

static struct session *find_session_by_id(struct init_state *st, uint32_t id)
{
	size_t i;

	for (i = 0; i < st->session_count; i++) {
		if (st->sessions[i].id == id)
			return &st->sessions[i];
	}
	return NULL;
}

static int add_session(struct init_state *st, uint32_t id, pid_t pid)
{
	if (st->session_count == st->session_cap) {
		size_t cap = st->session_cap ? st->session_cap * 2 : 16;
		struct session *grown = realloc(st->sessions, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		st->sessions = grown;
		st->session_cap = cap;
	}
	st->sessions[st->session_count].id = id;
	st->sessions[st->session_count].pid = pid;
	st->session_count++;
	return 0;
}

static void remove_session(struct init_state *st, struct session *s)
{
	*s = st->sessions[--st->session_count];
}

/* Signals a session's process group. Before the child has called setsid
 * the group does not exist yet, so the leader itself is signalled then. */
static void signal_session(const struct session *s, int sig)
{
	if (kill(-s->pid, sig) < 0 && errno == ESRCH)
		kill(s->pid, sig);
}

static void handle_spawn(struct init_state *st, const struct proto_msg *req)
{
	struct proto_msg reply;
	pid_t pid = -EEXIST;

	proto_msg_init(&reply, PROTO_SPAWNED);
	reply.session_id = req->session_id;

	if (find_session_by_id(st, req->session_id)) {
		reply.error = EEXIST;
		reply.message = strdup("session id already in use");
	} else {
		pid = sandbox_spawn_session(req, st->shell, st->session_filter, &reply);
	}

	if (pid > 0 && add_session(st, req->session_id, pid) < 0) {
		kill(pid, SIGKILL);
		proto_msg_free(&reply);
		proto_msg_init(&reply, PROTO_SPAWNED);
		reply.session_id = req->session_id;
		reply.error = ENOMEM;
		reply.message = strdup("out of memory for the session table");
		pid = -ENOMEM;
	}

	/* proto_msg_free closes init's copies of the fds once they are sent. */
	if (proto_send(st->control_fd, &reply) < 0 && pid > 0) {
		struct session *s = find_session_by_id(st, req->session_id);

		signal_session(s, SIGKILL);
		remove_session(st, s);
	}
	proto_msg_free(&reply);
}

static void handle_kill(struct init_state *st, const struct proto_msg *req)
{
	struct session *s = find_session_by_id(st, req->session_id);

	if (s && req->status > 0 && req->status < NSIG)
		signal_session(s, req->status);
}

/* pid 1 reaps every orphan of the sandbox; only session leaders are
 * reported to the monitor. */
static void reap_children(struct init_state *st)
{
	struct signalfd_siginfo info;
	int status;
	pid_t pid;

	while (read(st->signal_fd, &info, sizeof(info)) == sizeof(info))
		;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		size_t i;

		for (i = 0; i < st->session_count; i++) {
			struct proto_msg msg;

			if (st->sessions[i].pid != pid)
				continue;
			proto_msg_init(&msg, PROTO_EXITED);
			msg.session_id = st->sessions[i].id;
			msg.status = status;
			/* A failed send means the monitor is gone, and the next
			 * poll reports the closed socket. */
			(void)proto_send(st->control_fd, &msg);
			remove_session(st, &st->sessions[i]);
			break;
		}
	}
}

/* Returns -ECONNRESET when the monitor is gone. */
static int handle_message(struct init_state *st)
{
	struct proto_msg msg;
	int r = proto_recv(st->control_fd, &msg);

	/* A malformed message is dropped; the monitor's next one may be fine. */
	if (r == -EAGAIN || r == -EINTR || r == -EBADMSG)
		return 0;
	if (r < 0)
		return r;

	if (msg.type == PROTO_SPAWN)
		handle_spawn(st, &msg);
	else if (msg.type == PROTO_KILL)
		handle_kill(st, &msg);
	proto_msg_free(&msg);
	return 0;
}

static int open_signalfd(void)
{
	sigset_t mask;
	int fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

__attribute__((noreturn)) static void serve(struct init_state *st)
{
	struct pollfd fds[2] = {
	    {.fd = st->control_fd, .events = POLLIN},
	    {.fd = st->signal_fd, .events = POLLIN},
	};

	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (fds[1].revents & POLLIN)
			reap_children(st);
		if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			if (handle_message(st) < 0)
				break;
		}
	}

	/* As pid 1, kill(-1) reaches every other process of the namespace. */
	kill(-1, SIGKILL);
	_exit(0);
}

void sandbox_init_main(const struct sandbox_init_args *args)
{
	struct init_state st = {
	    .control_fd = args->control_fd,
	    .shell = args->shell,
	    .session_filter = &args->seccomp->session,
	};
	char err[PROTO_MESSAGE_MAX] = "";
	int r;

	/* Exits without a report, because the monitor failed before the
	 * release and has its own error. */
	if (wait_for_release(args->control_fd) < 0)
		_exit(1);

	r = set_up_sandbox(args, err, sizeof(err));
	if (r == 0) {
		st.signal_fd = open_signalfd();
		if (st.signal_fd < 0)
			r = sandbox_fail(err, sizeof(err), st.signal_fd,
					 "cannot create a signalfd");
	}
	if (send_ready(args->control_fd, r, err) < 0 || r < 0)
		_exit(1);

	serve(&st);
}
