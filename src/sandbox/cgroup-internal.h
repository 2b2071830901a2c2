/* Internal interface between cgroup.c and its two backends.
 *
 * cgroup.c owns what both hierarchies share: parsing /proc/self/cgroup,
 * validating names so that nothing is created outside rexecd's own cgroup,
 * creating and removing directories, writing interface files and attaching
 * pids. A backend (cgroup-v1.c, cgroup-v2.c) only finds the parent
 * directories and writes its own limit files. */
#ifndef REXEC_SANDBOX_CGROUP_INTERNAL_H
#define REXEC_SANDBOX_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rexec/cgroup.h"

/* One directory per v1 hierarchy (memory, pids, cpu), a single one for v2. */
#define CGROUP_DIRS_MAX 3

/* Default name of the parent cgroup created beneath rexecd's own cgroup. */
#define CGROUP_PARENT_NAME "rexec"

/* Accepts a plain directory tree that imitates cgroupfs, for unit tests:
 * interface files are created when written and removed before rmdir,
 * because no kernel does it there. Without this flag every hierarchy must
 * be a real cgroup filesystem, so that a missing mount never yields a
 * sandbox that silently runs without limits. */
#define CGROUP_OPEN_PLAIN_TREE 0x1u

enum cgroup_controller {
	CGROUP_MEMORY,
	CGROUP_PIDS,
	CGROUP_CPU,
	CGROUP_CONTROLLER_COUNT,
};

struct cgroup_backend {
	const char *version;
	/* Finds rexecd's own cgroup in self_cgroup_text, creates the rexec
	 * parent beneath it and fills parent_dirs and controller_dir. */
	int (*open)(struct cgroup_manager *mgr, const char *self_cgroup_text);
	/* Writes the limits into the cgroup's freshly created directories. */
	int (*apply_limits)(struct cgroup *cg, const struct cgroup_limits *limits);
	/* Kills every process left in the cgroup before rmdir; may be NULL. */
	int (*kill)(struct cgroup *cg);
	/* Reads the OOM and limit counters. */
	int (*read_events)(struct cgroup *cg, struct cgroup_events *out);
	/* Opens the cgroup's directory for CLONE_INTO_CGROUP; NULL when the
	 * hierarchy cannot do that. */
	int (*open_fd)(struct cgroup *cg);
};

struct cgroup_manager {
	const struct cgroup_backend *backend;
	char *root;     /* the hierarchy root: /sys/fs/cgroup, .../unified, or a test tree */
	char *parent_name; /* one path component beneath rexecd's own cgroup */
	unsigned flags; /* CGROUP_OPEN_* */
	char *parent_dirs[CGROUP_DIRS_MAX];
	size_t parent_count;
	/* Index into parent_dirs per controller, -1 when it is not available. */
	int controller_dir[CGROUP_CONTROLLER_COUNT];
};

struct cgroup {
	struct cgroup_manager *mgr;
	char *name;
	char *dirs[CGROUP_DIRS_MAX]; /* parallel to mgr->parent_dirs */
	size_t dir_count;
};

extern const struct cgroup_backend cgroup_backend_v1;
extern const struct cgroup_backend cgroup_backend_v2;

/* As cgroup_manager_open, with CGROUP_OPEN_* flags. */
int cgroup_manager_open_flags(const char *root, const char *self_cgroup_text,
			      const char *parent_name, unsigned flags, struct cgroup_manager **out);

/* Returns the controller's directory of cg, or NULL when the hierarchy
 * lacks that controller. */
const char *cgroup_controller_dir(const struct cgroup *cg, enum cgroup_controller controller);

/* Finds the cgroup path of the hierarchy that lists controller (NULL: the
 * v2 line "0::") in /proc/self/cgroup text. The path must be absolute and
 * contain no "." or ".." component. Stores the hierarchy id in *hierarchy_id
 * when it is not NULL. Returns 0, -ENOENT or -EINVAL. */
int cgroup_find_own_path(const char *self_cgroup_text, const char *controller, long *hierarchy_id,
			 char **path_out);

/* Returns "a/b" or "a/b/c" (c may be NULL) in a malloc'd string, or NULL. */
char *cgroup_path_join(const char *a, const char *b, const char *c);

/* Reads dir/file into a malloc'd NUL-terminated string. */
int cgroup_read_file(const char *dir, const char *file, char **out);

/* Writes value to dir/file. Returns -ENOENT when the file does not exist,
 * which callers treat as "feature absent" only for optional files. */
int cgroup_write_file(const struct cgroup_manager *mgr, const char *dir, const char *file,
		      const char *value);

/* Reads the number after "key " in a flat keyed file such as
 * memory.events ("oom_kill 3"), or the whole file as a number when key is
 * NULL. A missing file or key reads as 0, because older kernels lack some
 * counters. */
int cgroup_read_counter(const char *dir, const char *file, const char *key, uint64_t *out);

/* Creates dir (0755); an existing directory is fine. */
int cgroup_make_dir(const char *dir);

/* Removes an empty cgroup directory once, without retrying. */
int cgroup_remove_dir(const struct cgroup_manager *mgr, const char *dir);

/* Checks that dir is on a filesystem with the given statfs magic, unless
 * the manager accepts plain trees. */
int cgroup_check_fs(const struct cgroup_manager *mgr, const char *dir, long magic);

/* Returns true when word appears in a space-separated list such as
 * cgroup.controllers. */
bool cgroup_list_has(const char *list, const char *word);

#endif
