/* Per-user sandboxes, as seen by the monitor.
 *
 * sandbox_create clones a process into new user, mount, pid, net, uts, ipc
 * and cgroup namespaces, maps the user's host uid range and places it in
 * the user's cgroup. It then waits until that process (the sandbox init,
 * pid 1 in the sandbox) has built the filesystem and reported PROTO_READY.
 * From then
 * on the monitor talks to init over sandbox->control_fd with proto.h
 * messages: PROTO_SPAWN starts a session (init forks it and answers
 * PROTO_SPAWNED with the PTY master or pipe fds), PROTO_KILL signals a
 * session's process group, and init sends PROTO_EXITED when a session's
 * leader exits. sandbox_destroy kills everything in the sandbox, stops its
 * egress helper, releases its home volume (home.h) and removes its
 * cgroups. */
#ifndef REXEC_SANDBOX_H
#define REXEC_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "rexec/cgroup.h"
#include "rexec/home.h"
#include "rexec/seccomp.h"

#define SANDBOX_SANDBOX_UID 1000  /* the login user inside every sandbox */
/* PTYs one sandbox may hold at once, as the devpts max= option wants it. */
#define SANDBOX_PTY_MAX_TEXT "256"
/* RLIMIT_NOFILE of every sandbox process (soft and hard), so a sandbox
 * cannot run the host out of open files through rexecd's own limit. */
#define SANDBOX_NOFILE_MAX 4096
#define SANDBOX_ERROR_MAX   512

struct sandbox_params {
	const char *user;          /* validated Rexec user name */
	uid_t uid_base;            /* host uid mapped to uid 0 inside */
	uint32_t uid_count;        /* size of the mapped range, > SANDBOX_SANDBOX_UID */
	const char *home_dir;      /* StateDirectory/homes/<name>; an image adds ".img" */
	uint64_t home_max_bytes;   /* 0: a plain directory without a size limit */
	enum home_quota home_quota; /* how a home size is enforced (home_probe_quota) */
	const char *hostname;
	const char *shell;         /* absolute path inside the sandbox root */
	struct cgroup_limits limits;
	bool egress;               /* outgoing connections through slirp4netns */
	const struct sandbox_seccomp *seccomp; /* from sandbox_seccomp_compile, required */
};

struct egress;

struct sandbox {
	char *user;
	pid_t init_pid;            /* host pid of the sandbox init */
	int pidfd;                 /* pidfd of init, or -1 */
	int control_fd;            /* SOCK_SEQPACKET to init, O_CLOEXEC|O_NONBLOCK */
	struct cgroup *cgroup;
	struct home *home;
	struct egress *egress;     /* NULL without egress */
	unsigned session_count;    /* kept by the monitor */
};

/* Prepares the home volume, starts a sandbox and waits (at most a few
 * seconds) for its init to be ready and, with egress, for slirp4netns to
 * configure tap0. On failure nothing of it remains, and err contains the
 * reason. */
int sandbox_create(const struct sandbox_params *params, struct cgroup_manager *cgroups,
		   struct sandbox **out, char *err, size_t err_len);

/* SIGKILLs the sandbox init (the kernel then kills every process in its pid
 * namespace), reaps it, removes its cgroups and frees sb. */
void sandbox_destroy(struct sandbox *sb);

/* Returns the Landlock ABI version of the running kernel, or a negative
 * errno: -ENOSYS when it is built without Landlock, -EOPNOTSUPP when
 * Landlock is disabled at boot. Sandboxes then run without a ruleset. */
int sandbox_landlock_abi(void);

#endif
