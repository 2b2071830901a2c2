/* Session processes, forked by the sandbox init.
 *
 * A session gets either a PTY from the sandbox's own devpts instance or
 * three pipes, becomes a session leader, switches to the login user, drops
 * every capability, loads the profile's seccomp filter and execs the
 * shell. It inherits init's Landlock domain and init's own filter. Init sends the master side (PTY master, or the other
 * pipe ends) to the monitor and keeps nothing of it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "rexec/sandbox.h"
#include "rexec/util.h"
#include "sandbox-internal.h"

#define TTY_GROUP_GID     5
#define EXIT_SPAWN_FAILED 127

/* Everything the forked child needs, prepared before fork so the child
 * only makes system calls. */
struct session_exec {
	bool want_pty;
	int pty_master;  /* PTY only */
	int pipes[3][2]; /* stdin, stdout, stderr; without a PTY */
	const char *shell;
	char *argv[4];
	char **envp;
	const struct sandbox_seccomp_program *filter;
};

static void session_exec_init(struct session_exec *ex)
{
	int i;

	memset(ex, 0, sizeof(*ex));
	ex->pty_master = -1;
	for (i = 0; i < 3; i++)
		ex->pipes[i][0] = ex->pipes[i][1] = -1;
}

static void session_exec_free(struct session_exec *ex)
{
	char **env;
	int i;

	util_closep(&ex->pty_master);
	for (i = 0; i < 3; i++) {
		util_closep(&ex->pipes[i][0]);
		util_closep(&ex->pipes[i][1]);
	}
	free(ex->argv[0]);
	for (env = ex->envp; env && *env; env++)
		free(*env);
	free(ex->envp);
}

static bool env_name_is_valid(const char *entry)
{
	const char *p = entry;

	if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_'))
		return false;
	for (p++; *p && *p != '='; p++) {
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	}
	return *p == '=';
}

/* Returns true when the entry names a variable init sets itself. TERM is
 * one only with a PTY, because the pty-req's terminal type wins over an
 * env request. Without a PTY the client's TERM passes. */
static bool env_is_reserved(const char *entry, bool want_pty)
{
	static const char *const reserved[] = {"HOME=", "USER=", "LOGNAME=", "SHELL=", "PATH="};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reserved); i++) {
		if (strncmp(entry, reserved[i], strlen(reserved[i])) == 0)
			return true;
	}
	return want_pty && strncmp(entry, "TERM=", 5) == 0;
}

/* Builds the session's environment: the fixed variables, TERM for a PTY,
 * then the request's entries. The request cannot replace a fixed one. */
static int build_env(const struct proto_msg *req, const char *shell, struct session_exec *ex)
{
	size_t n = 0, i;

	ex->envp = calloc(req->env_count + 8, sizeof(char *));
	if (!ex->envp)
		return -ENOMEM;

	if (!(ex->envp[n++] = strdup("HOME=" SANDBOX_HOME_PATH)) ||
	    !(ex->envp[n++] = strdup("USER=user")) || !(ex->envp[n++] = strdup("LOGNAME=user")) ||
	    asprintf(&ex->envp[n++], "SHELL=%s", shell) < 0 ||
	    !(ex->envp[n++] = strdup(SANDBOX_PATH_ENV)))
		goto nomem;
	if (req->want_pty && req->term && req->term[0] != '\0' &&
	    asprintf(&ex->envp[n++], "TERM=%s", req->term) < 0)
		goto nomem;

	for (i = 0; i < req->env_count; i++) {
		if (!env_name_is_valid(req->env[i]))
			return -EINVAL;
		if (env_is_reserved(req->env[i], req->want_pty))
			continue;
		if (!(ex->envp[n++] = strdup(req->env[i])))
			goto nomem;
	}
	return 0;

nomem:
	/* asprintf leaves its pointer undefined on failure. */
	ex->envp[n - 1] = NULL;
	return -ENOMEM;
}

/* A login shell gets argv[0] "-bash" (for /bin/bash); a command runs as
 * "bash -c COMMAND". */
static int build_argv(const struct proto_msg *req, const char *shell, struct session_exec *ex)
{
	const char *slash = strrchr(shell, '/');
	const char *base = slash ? slash + 1 : shell;
	bool login = !req->command || req->command[0] == '\0';

	if (asprintf(&ex->argv[0], "%s%s", login ? "-" : "", base) < 0) {
		ex->argv[0] = NULL;
		return -ENOMEM;
	}
	if (!login) {
		ex->argv[1] = "-c";
		ex->argv[2] = req->command;
	}
	return 0;
}

/* Opens a PTY master in the sandbox's devpts instance (mounted with
 * newinstance, so its PTYs are invisible to the host's /dev/pts). */
static int open_pty_master(const struct proto_msg *req, int *master_out)
{
	struct winsize ws = {.ws_row = (unsigned short)req->rows,
			     .ws_col = (unsigned short)req->cols};
	int unlock = 0;
	int master = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (master < 0)
		return -errno;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0 ||
	    (req->cols && req->rows && ioctl(master, TIOCSWINSZ, &ws) < 0)) {
		int r = -errno;

		close(master);
		return r;
	}
	*master_out = master;
	return 0;
}

static int open_pipes(struct session_exec *ex)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (pipe2(ex->pipes[i], O_CLOEXEC) < 0)
			return -errno;
	}
	return 0;
}

/* libssh does not apply the client's terminal modes, so the session starts
 * from the usual defaults: CR to NL on input, NL to CR-NL on output, echo,
 * line editing and signal keys. */
static void set_sane_termios(int fd)
{
	struct termios tio;

	if (tcgetattr(fd, &tio) < 0)
		return;
	tio.c_iflag |= ICRNL | IXON | IUTF8;
	tio.c_iflag &= ~(INLCR | IGNCR);
	tio.c_oflag |= OPOST | ONLCR;
	tio.c_cflag |= CS8 | CREAD;
	tio.c_lflag |= ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
	tcsetattr(fd, TCSANOW, &tio);
}

__attribute__((noreturn)) static void child_fail(const char *what)
{
	dprintf(STDERR_FILENO, "rexec: %s: %s\n", what, strerror(errno));
	_exit(EXIT_SPAWN_FAILED);
}

/* Makes the PTY slave the controlling terminal and stdin/stdout/stderr.
 * TIOCGPTPEER opens the slave through the master, without a path lookup. */
static void child_attach_pty(int master)
{
	int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (slave < 0)
		child_fail("cannot open the PTY slave");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		child_fail("cannot make the PTY the controlling terminal");
	/* mesg, and programs that reopen the tty by its path, need the user to
	 * own it. */
	if (fchown(slave, SANDBOX_SANDBOX_UID, TTY_GROUP_GID) < 0 || fchmod(slave, 0620) < 0)
		child_fail("cannot hand the PTY to the user");
	set_sane_termios(slave);
	if (dup2(slave, STDIN_FILENO) < 0 || dup2(slave, STDOUT_FILENO) < 0 ||
	    dup2(slave, STDERR_FILENO) < 0)
		child_fail("cannot attach the PTY");
}

static void child_drop_caps(void)
{
	char err[PROTO_MESSAGE_MAX];

	if (sandbox_caps_drop_all(err, sizeof(err)) < 0) {
		dprintf(STDERR_FILENO, "rexec: %s\n", err);
		_exit(EXIT_SPAWN_FAILED);
	}
}

static void child_attach_pipes(struct session_exec *ex)
{
	if (dup2(ex->pipes[0][0], STDIN_FILENO) < 0 || dup2(ex->pipes[1][1], STDOUT_FILENO) < 0 ||
	    dup2(ex->pipes[2][1], STDERR_FILENO) < 0)
		child_fail("cannot attach the pipes");
}

__attribute__((noreturn)) static void run_session_child(struct session_exec *ex)
{
	sigset_t none;
	int r;

	/* init blocks SIGCHLD for its signalfd; the session starts clean. */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (setsid() < 0)
		child_fail("setsid failed");
	if (ex->want_pty)
		child_attach_pty(ex->pty_master);
	else
		child_attach_pipes(ex);
	if (close_range(3, ~0U, 0) < 0)
		child_fail("cannot close inherited file descriptors");

	/* setgroups is denied in the sandbox's user namespace and init has no
	 * supplementary groups, so only the gid and uid change. */
	if (setresgid(SANDBOX_SANDBOX_UID, SANDBOX_SANDBOX_UID, SANDBOX_SANDBOX_UID) < 0)
		child_fail("setresgid failed");
	if (setresuid(SANDBOX_SANDBOX_UID, SANDBOX_SANDBOX_UID, SANDBOX_SANDBOX_UID) < 0)
		child_fail("setresuid failed");
	child_drop_caps();
	if (chdir(SANDBOX_HOME_PATH) < 0) {
		dprintf(STDERR_FILENO, "rexec: cannot change to %s: %s\n", SANDBOX_HOME_PATH,
			strerror(errno));
		if (chdir("/") < 0)
			child_fail("cannot change to /");
	}
	/* Inherited from init already; set again so that the session never
	 * depends on init's setup order. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail("cannot set no_new_privs");

	/* The profile's filter comes last, because the steps above may need
	 * calls that it denies. Only execve, or the error report, follows. */
	r = sandbox_seccomp_load(ex->filter);
	if (r < 0) {
		errno = -r;
		child_fail("cannot load the seccomp filter");
	}
	execve(ex->shell, ex->argv, ex->envp);
	dprintf(STDERR_FILENO, "rexec: cannot execute %s: %s\n", ex->shell, strerror(errno));
	_exit(EXIT_SPAWN_FAILED);
}

/* Moves the monitor's side of the session into reply: the PTY master, or
 * the write end of stdin and the read ends of stdout and stderr. */
static void hand_over_fds(struct session_exec *ex, struct proto_msg *reply)
{
	reply->want_pty = ex->want_pty;
	if (ex->want_pty) {
		reply->fds[PROTO_FD_PTY] = util_steal_fd(&ex->pty_master);
		reply->nfds = 1;
		return;
	}
	reply->fds[PROTO_FD_STDIN] = util_steal_fd(&ex->pipes[0][1]);
	reply->fds[PROTO_FD_STDOUT] = util_steal_fd(&ex->pipes[1][0]);
	reply->fds[PROTO_FD_STDERR] = util_steal_fd(&ex->pipes[2][0]);
	reply->nfds = 3;
}

static int spawn_failed(struct proto_msg *reply, int r, const char *what)
{
	char text[PROTO_MESSAGE_MAX];

	sandbox_fail(text, sizeof(text), r, "%s", what);
	reply->error = -r;
	reply->message = strdup(text);
	return r;
}

pid_t sandbox_spawn_session(const struct proto_msg *req, const char *shell,
			    const struct sandbox_seccomp_program *filter, struct proto_msg *reply)
{
	struct session_exec ex;
	pid_t pid;
	int r;

	session_exec_init(&ex);
	ex.want_pty = req->want_pty;
	ex.shell = shell;
	ex.filter = filter;

	r = build_env(req, shell, &ex);
	if (r == -EINVAL) {
		session_exec_free(&ex);
		return spawn_failed(reply, r, "invalid environment variable name");
	}
	if (r == 0)
		r = build_argv(req, shell, &ex);
	if (r == 0)
		r = ex.want_pty ? open_pty_master(req, &ex.pty_master) : open_pipes(&ex);
	if (r < 0) {
		session_exec_free(&ex);
		return spawn_failed(
		    reply, r, ex.want_pty ? "cannot open a PTY" : "cannot prepare the session");
	}

	pid = fork();
	if (pid < 0) {
		r = -errno;
		session_exec_free(&ex);
		return spawn_failed(reply, r, "cannot fork the session");
	}
	if (pid == 0)
		run_session_child(&ex);

	hand_over_fds(&ex, reply);
	reply->pid = pid;
	session_exec_free(&ex);
	return pid;
}
