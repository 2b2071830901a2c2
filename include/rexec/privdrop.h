/* Privilege separation for the network process.
 *
 * rexecd resolves everything as root before it forks the network process
 * (privdrop_prepare). The network process loads the host key and sets up
 * its listeners and monitor links. Then it drops everything
 * (privdrop_apply): it chroots to an empty root-owned directory, becomes
 * the NetworkUser with no supplementary groups and no capability in any
 * set, sets no_new_privs and loads its own seccomp allowlist. From then on
 * it reaches the filesystem only through fds it opened before. */
#ifndef REXEC_PRIVDROP_H
#define REXEC_PRIVDROP_H

#include <stddef.h>
#include <sys/types.h>

#include "rexec/config.h"
#include "rexec/server.h"

#define PRIVDROP_ERROR_MAX 512

/* Target of the network process's privilege drop, resolved by rexecd as
 * root. */
struct privdrop_target {
	char user[64];        /* NetworkUser, for logs */
	uid_t uid;            /* never 0 */
	gid_t gid;            /* the user's primary group, never 0 */
	char chroot_dir[256]; /* NetworkChroot: empty, root-owned, not writable by others */
	pid_t monitor_pid;    /* the network process's expected parent */
};

/* Looks up cfg->network_user and creates cfg->network_chroot (mode 0755,
 * with missing parents 0755) unless it exists, then checks it as
 * privdrop_apply will. Runs as root in the process that becomes the
 * monitor. Returns 0 or a negative errno with err filled in. */
int privdrop_prepare(const struct config *cfg, struct privdrop_target *target, char *err,
		     size_t err_len);

/* Closes every fd of the calling process except 0, 1, 2, the audit log
 * and the fds in params (listeners, monitor links), and reconnects syslog
 * if it is in use. So a forked network process holds no fd of the monitor
 * or of the process that started rexecd, and no directory fd that would lead out
 * of its chroot. Returns 0 or a negative errno. */
int privdrop_close_inherited_fds(const struct server_params *params);

/* Sets the parent-death signal to SIGTERM, then fails with -ESRCH if the
 * parent is no longer expected_parent (it died before the signal was set). */
int privdrop_watch_parent(pid_t expected_parent);

/* Drops the calling process to target for good: chroot, ids, capabilities,
 * no_new_privs, parent-death signal, seccomp filter. Anything that reads
 * files lazily (OpenSSL's random generator, the time zone) is initialised
 * first. Returns 0, or a negative errno with err filled in; the process
 * must then exit, because it may be half dropped. */
int privdrop_apply(const struct privdrop_target *target, char *err, size_t err_len);

/* Loads the network process's seccomp allowlist (seccomp.c). Requires
 * no_new_privs. Returns 0 or a negative errno with err filled in. */
int privdrop_load_seccomp(char *err, size_t err_len);

#endif
