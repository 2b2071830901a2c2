/* The monitor: the root process that owns the store, the sandboxes and
 * their cgroups, and answers the network process's requests (proto.h). It
 * never touches the network and never loads the host key. */
#ifndef REXEC_MONITOR_H
#define REXEC_MONITOR_H

#include <stddef.h>

#include "rexec/config.h"
#include "rexec/seccomp.h"

struct privdrop_target;

struct monitor_params {
	const struct config *cfg;
	const char *config_path;
	const int *listen_fds;       /* handed to each network process it starts */
	size_t listen_count;
	const struct privdrop_target *privdrop; /* handed to each network process */
	const struct sandbox_seccomp *seccomp; /* compiled SeccompProfile */
};

/* Starts the network process and serves it until SIGTERM or SIGINT, then
 * ends every sandbox. Returns the exit code for rexecd. */
int monitor_run(const struct monitor_params *params);

#endif
