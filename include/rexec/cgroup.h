/* cgroups for sandboxes, created only beneath the cgroup rexecd runs in
 * (/proc/self/cgroup), which is right under systemd's Delegate=yes.
 *
 * One interface, two backends: cgroup v2 (unified hierarchy) and v1 (one
 * directory per controller: memory, pids, cpu). cgroup_manager_open picks
 * the v2 backend when the unified hierarchy holds the memory and pids
 * controllers, otherwise v1. */
#ifndef REXEC_CGROUP_H
#define REXEC_CGROUP_H

#include <stdint.h>
#include <sys/types.h>

struct cgroup_limits {
	uint64_t memory_max_bytes;  /* 0 = no limit */
	uint32_t pids_max;          /* 0 = no limit */
	uint32_t cpu_max_percent;   /* of one CPU; 0 = no limit */
};

/* Counters the kernel keeps per cgroup; they only grow. */
struct cgroup_events {
	uint64_t oom_kills;       /* processes the OOM killer ended in the cgroup */
	uint64_t memory_max_hits; /* times memory use reached the limit */
	uint64_t pids_max_hits;   /* forks and clones rejected by pids.max */
};

struct cgroup_manager;
struct cgroup;

/* Detects the hierarchy under root ("/sys/fs/cgroup") using
 * self_cgroup_text (the contents of /proc/self/cgroup). Creates the parent
 * cgroup(s) named parent_name (NULL: "rexec") beneath rexecd's own; two
 * rexecd instances in one cgroup need different parent names. Every hierarchy used must
 * be a real cgroup filesystem, otherwise -EMEDIUMTYPE. With v2, when the
 * controllers still have to be enabled, first moves every process of
 * rexecd's own cgroup into its leaf "supervisor". */
int cgroup_manager_open(const char *root, const char *self_cgroup_text, const char *parent_name,
			struct cgroup_manager **out);
/* Removes the parent cgroup(s) if no sandbox cgroup is left in
 * them, and frees mgr. */
void cgroup_manager_close(struct cgroup_manager *mgr);
/* Returns "v1" or "v2". */
const char *cgroup_manager_version(const struct cgroup_manager *mgr);

/* Creates the cgroup "name" under the rexec parent and applies limits. */
int cgroup_create(struct cgroup_manager *mgr, const char *name,
		  const struct cgroup_limits *limits, struct cgroup **out);
/* Moves pid into the cgroup (every controller, for v1). */
int cgroup_attach(struct cgroup *cg, pid_t pid);
/* Returns a directory fd of the cgroup for clone3's CLONE_INTO_CGROUP
 * (v2 only), or -EOPNOTSUPP with v1, whose controllers are separate
 * directories. */
int cgroup_open_fd(struct cgroup *cg);
/* Reads the cgroup's OOM and limit counters. A counter that this kernel
 * does not keep reads as 0. */
int cgroup_read_events(struct cgroup *cg, struct cgroup_events *out);
/* Removes the (empty) cgroup, retrying briefly while the kernel still
 * counts exiting tasks, and frees cg. */
int cgroup_destroy(struct cgroup *cg);

#endif
