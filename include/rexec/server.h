/* The network process: one libuv loop that accepts TCP connections, runs
 * the SSH server side of libssh non-blocking for all of them, and bridges
 * each session channel to the PTY or pipes that the monitor passes back.
 * It asks the monitor for everything privileged: whether a key is allowed
 * for a user, and to start, signal and close sessions. */
#ifndef REXEC_SERVER_H
#define REXEC_SERVER_H

#include <stddef.h>

#include "rexec/config.h"

struct privdrop_target;

struct server_params {
	const struct config *cfg;
	const int *listen_fds;
	size_t listen_count;
	int monitor_fd;       /* async link: session open/opened/exited/close */
	int monitor_key_fd;   /* sync link: key check request, then result */
	const char *host_key_path;
	/* Unprivileged identity and chroot that the process switches to once
	 * its listeners and links are set up (privdrop.h). NULL keeps root,
	 * for test harnesses only. */
	const struct privdrop_target *privdrop;
};

/* Runs until the monitor closes its end or a fatal error. Returns the exit
 * code for the process. */
int server_run(const struct server_params *params);

#endif
