/* Internal interface of the sandbox module: the steps the sandbox init runs
 * inside its new namespaces. Calls run one way: sandbox.c starts init.c,
 * which calls the steps (mounts.c, netns.c, caps.c, landlock.c, seccomp.c,
 * spawn.c); no step calls back.
 *
 * Everything declared here runs in the cloned child, which shares nothing
 * with the monitor but a copy of its memory. Steps report failure as a
 * negative errno plus a message in err, never through the log, because
 * init's only channel to the monitor is the control socket. The inline
 * helpers at the end also serve the monitor-side steps (home.c,
 * home-image.c, egress.c), and seccomp-profile.c calls
 * sandbox_caps_is_kept in rexecd. */
#ifndef REXEC_SANDBOX_INTERNAL_H
#define REXEC_SANDBOX_INTERNAL_H

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "rexec/proto.h"
#include "rexec/util.h"
#include "rexec/seccomp.h"

/* Paths inside the sandbox. */
#define SANDBOX_HOME_PATH "/home/user"
#define SANDBOX_PATH_ENV  "PATH=/usr/local/bin:/usr/bin:/bin"

/* Arguments the monitor passes to the sandbox init in the cloned memory. */
struct sandbox_init_args {
	int control_fd;   /* SOCK_SEQPACKET to the monitor */
	int home_tree_fd; /* detached mount of the host home directory */
	const char *hostname;
	const char *shell; /* absolute path inside the sandbox */
	bool egress;       /* tap0 from slirp4netns: /etc/resolv.conf names its DNS */
	const struct sandbox_seccomp *seccomp;
};

/* Runs the sandbox init: waits for the release byte, sets up the sandbox,
 * reports PROTO_READY and serves the monitor until the control socket
 * closes. Never returns. */
__attribute__((noreturn)) void sandbox_init_main(const struct sandbox_init_args *args);

/* mounts.c: builds the sandbox root on a fresh tmpfs, still beneath the
 * host's root. Returns an O_PATH fd of the new root in *root_fd. */
int sandbox_mounts_build(const struct sandbox_init_args *args, int *root_fd, char *err,
			 size_t err_len);
/* mounts.c: makes root_fd the root of the mount namespace, detaches the
 * host's root and makes the new root's own tmpfs read-only. */
int sandbox_mounts_pivot(int root_fd, char *err, size_t err_len);

/* netns.c: brings up the loopback interface of the new network namespace
 * and lets unprivileged users bind ports below 1024 there. */
int sandbox_netns_setup(char *err, size_t err_len);

/* caps.c: reduces the bounding set and init's own capabilities to the
 * set a sandbox keeps. */
int sandbox_caps_limit(char *err, size_t err_len);
/* caps.c: returns true for the capabilities in a sandbox's bounding set. */
bool sandbox_caps_is_kept(int cap);
/* caps.c: empties every capability set of a session process. */
int sandbox_caps_drop_all(char *err, size_t err_len);

/* landlock.c: restricts the calling process and its future children to
 * read and execute beneath /, and write only in the sandbox's writable
 * mounts and devices. Returns 0 without a change when the kernel has no
 * Landlock. Needs no_new_privs. */
int sandbox_landlock_restrict(char *err, size_t err_len);

/* seccomp.c: loads prog into the calling thread, which must have set
 * no_new_privs. Returns 0 or a negative errno. */
int sandbox_seccomp_load(const struct sandbox_seccomp_program *prog);

/* spawn.c: starts the session that req requests. The session process
 * loads filter right before it executes the shell. On success fills reply
 * (pid, fds, want_pty) and returns the session leader's pid. On failure
 * returns a negative errno and sets reply->error and reply->message. */
pid_t sandbox_spawn_session(const struct proto_msg *req, const char *shell,
			    const struct sandbox_seccomp_program *filter, struct proto_msg *reply);

/* Formats "<what>: <strerror(-r)>" into err and returns r (a negative
 * errno), so a failing step can `return sandbox_fail(...)`. */
__attribute__((format(printf, 4, 5))) static inline int sandbox_fail(char *err, size_t err_len,
								     int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	util_vfail(err, err_len, r, fmt, ap);
	va_end(ap);
	return r;
}

/* Waits until fd is readable or timeout_ms pass, retrying on EINTR.
 * Returns 0, -ETIMEDOUT, or a negative errno from poll. */
static inline int sandbox_wait_readable(int fd, int timeout_ms)
{
	unsigned long long deadline = util_now_ms() + (unsigned long long)timeout_ms;
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	for (;;) {
		unsigned long long now = util_now_ms();
		int r;

		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)(deadline - now));
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

#endif
