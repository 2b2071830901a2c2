/* Optional outgoing network access for a sandbox, run by the monitor.
 *
 * slirp4netns, a user-mode TCP/IP stack, gives the sandbox's network
 * namespace tap0 (10.0.2.100/24, gateway 10.0.2.2, DNS 10.0.2.3). It makes
 * the sandbox's connections from the host's network namespace, as an
 * ordinary socket user. It never connects to the host's 127.0.0.1
 * (--disable-host-loopback), and it confines itself (--enable-sandbox,
 * --enable-seccomp). */
#ifndef REXEC_SANDBOX_EGRESS_H
#define REXEC_SANDBOX_EGRESS_H

#include <stddef.h>
#include <sys/types.h>

#include "rexec/cgroup.h"

struct egress;

/* Starts slirp4netns for the network namespace of init_pid, as the
 * sandbox's root (host uid uid_base) inside the sandbox's user namespace,
 * in the sandbox's cgroup, and waits until tap0 is configured. */
int egress_start(pid_t init_pid, struct cgroup *cg, const char *user, struct egress **out,
		 char *err, size_t err_len);

/* Makes slirp4netns exit (its --exit-fd closes), kills it if it has not
 * exited within a second, reaps it and frees eg. */
void egress_stop(struct egress *eg);

#endif
