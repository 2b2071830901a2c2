/* cgroup v2 backend: one unified hierarchy, one directory per sandbox at
 * <own cgroup>/rexec/<name>. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rexec/log.h"
#include "rexec/util.h"
#include "cgroup-internal.h"

#define CPU_PERIOD_US   100000
#define SUPERVISOR_NAME "supervisor"
#define MOVE_ROUNDS_MAX 5

static bool subtree_has(const char *dir, bool want_cpu)
{
	cleanup_free char *enabled = NULL;

	if (cgroup_read_file(dir, "cgroup.subtree_control", &enabled) < 0)
		return false;
	return cgroup_list_has(enabled, "memory") && cgroup_list_has(enabled, "pids") &&
	       (!want_cpu || cgroup_list_has(enabled, "cpu"));
}

/* Moves every pid listed in from/cgroup.procs to to/cgroup.procs. Repeats
 * a few rounds because a process may fork while we move it. */
static int move_processes(const struct cgroup_manager *mgr, const char *from, const char *to)
{
	int round;

	for (round = 0; round < MOVE_ROUNDS_MAX; round++) {
		cleanup_free char *procs = NULL;
		char *line, *save = NULL;
		bool moved = false;
		int r;

		r = cgroup_read_file(from, "cgroup.procs", &procs);
		if (r < 0)
			return r;
		for (line = strtok_r(procs, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			r = cgroup_write_file(mgr, to, "cgroup.procs", line);
			if (r < 0 && r != -ESRCH)
				return r;
			moved = true;
		}
		if (!moved)
			return 0;
		/* A plain test tree never empties itself. */
		if (mgr->flags & CGROUP_OPEN_PLAIN_TREE)
			return 0;
	}
	return -EBUSY;
}

/* Enables the controllers for the children of own_dir. A cgroup other than
 * the root may hold processes or enable controllers for its children, not
 * both, so rexecd's processes first move into the leaf own_dir/supervisor.
 * That is done only when it is needed. */
static int enable_in_own_cgroup(const struct cgroup_manager *mgr, const char *own_dir,
				bool own_is_root, const char *enable, bool want_cpu)
{
	cleanup_free char *procs = NULL;
	cleanup_free char *supervisor = NULL;
	int r;

	if (subtree_has(own_dir, want_cpu))
		return 0;

	if (!own_is_root) {
		r = cgroup_read_file(own_dir, "cgroup.procs", &procs);
		if (r < 0)
			return r;
	}
	if (procs && procs[0] != '\0') {
		supervisor = cgroup_path_join(own_dir, SUPERVISOR_NAME, NULL);
		if (!supervisor)
			return -ENOMEM;
		r = cgroup_make_dir(supervisor);
		if (r == 0)
			r = move_processes(mgr, own_dir, supervisor);
		if (r < 0) {
			log_error("cannot move rexecd into %s: %s", supervisor, strerror(-r));
			return r;
		}
		log_info("moved rexecd into cgroup %s", supervisor);
	}

	r = cgroup_write_file(mgr, own_dir, "cgroup.subtree_control", enable);
	if (r < 0)
		log_error("cannot write '%s' to %s/cgroup.subtree_control: %s", enable, own_dir,
			  strerror(-r));
	return r;
}

static int v2_open(struct cgroup_manager *mgr, const char *self_cgroup_text)
{
	cleanup_free char *own = NULL;
	cleanup_free char *own_dir = NULL;
	cleanup_free char *controllers = NULL;
	char *parent;
	bool want_cpu;
	const char *enable;
	int r;

	r = cgroup_check_fs(mgr, mgr->root, CGROUP2_SUPER_MAGIC);
	if (r < 0)
		return r;
	r = cgroup_find_own_path(self_cgroup_text, NULL, NULL, &own);
	if (r < 0)
		return r;
	own_dir =
	    strcmp(own, "/") == 0 ? strdup(mgr->root) : cgroup_path_join(mgr->root, own + 1, NULL);
	if (!own_dir)
		return -ENOMEM;

	r = cgroup_read_file(own_dir, "cgroup.controllers", &controllers);
	if (r < 0)
		return r;
	want_cpu = cgroup_list_has(controllers, "cpu");
	enable = want_cpu ? "+memory +pids +cpu" : "+memory +pids";
	if (!want_cpu)
		log_warn("cgroup %s has no cpu controller, CPU limits are not applied", own_dir);

	r = enable_in_own_cgroup(mgr, own_dir, strcmp(own, "/") == 0, enable, want_cpu);
	if (r < 0)
		return r;

	parent = cgroup_path_join(own_dir, mgr->parent_name, NULL);
	if (!parent)
		return -ENOMEM;
	mgr->parent_dirs[mgr->parent_count++] = parent;
	r = cgroup_make_dir(parent);
	if (r < 0) {
		log_error("cannot create cgroup %s: %s", parent, strerror(-r));
		return r;
	}
	if (!subtree_has(parent, want_cpu)) {
		r = cgroup_write_file(mgr, parent, "cgroup.subtree_control", enable);
		if (r < 0) {
			log_error("cannot write '%s' to %s/cgroup.subtree_control: %s", enable,
				  parent, strerror(-r));
			return r;
		}
	}

	mgr->controller_dir[CGROUP_MEMORY] = 0;
	mgr->controller_dir[CGROUP_PIDS] = 0;
	mgr->controller_dir[CGROUP_CPU] = want_cpu ? 0 : -1;
	return 0;
}

static int write_limit(const struct cgroup *cg, const char *file, const char *value, bool optional)
{
	int r = cgroup_write_file(cg->mgr, cg->dirs[0], file, value);

	if (r == -ENOENT && optional)
		return 0;
	if (r < 0)
		log_error("cannot write '%s' to %s/%s: %s", value, cg->dirs[0], file, strerror(-r));
	return r;
}

static int v2_apply_limits(struct cgroup *cg, const struct cgroup_limits *limits)
{
	char value[64];
	int r;

	/* memory.oom.group stays 0: with 1, one OOM kill would end every
	 * process of the cgroup, the sandbox init included, and so every
	 * session of the user. The OOM killer picks the largest process, which
	 * is the one that ran out of memory, not the small init. */
	r = write_limit(cg, "memory.oom.group", "0", true);
	if (r < 0)
		return r;

	if (limits->memory_max_bytes) {
		snprintf(value, sizeof(value), "%" PRIu64, limits->memory_max_bytes);
		r = write_limit(cg, "memory.max", value, false);
		/* memory.swap.max exists only with swap accounting; 0 keeps the
		 * sandbox from moving its memory to swap past the limit. */
		if (r == 0)
			r = write_limit(cg, "memory.swap.max", "0", true);
		if (r < 0)
			return r;
	}

	if (limits->pids_max) {
		snprintf(value, sizeof(value), "%" PRIu32, limits->pids_max);
		r = write_limit(cg, "pids.max", value, false);
		if (r < 0)
			return r;
	}

	if (limits->cpu_max_percent && cg->mgr->controller_dir[CGROUP_CPU] >= 0) {
		uint64_t quota_us = (uint64_t)limits->cpu_max_percent * CPU_PERIOD_US / 100;

		snprintf(value, sizeof(value), "%" PRIu64 " %d", quota_us, CPU_PERIOD_US);
		r = write_limit(cg, "cpu.max", value, false);
		if (r < 0)
			return r;
	}
	return 0;
}

/* cgroup.kill (Linux 5.14) SIGKILLs every process in the cgroup at once;
 * on older kernels the caller's SIGKILL of the sandbox init has to do. */
static int v2_kill(struct cgroup *cg)
{
	int r = cgroup_write_file(cg->mgr, cg->dirs[0], "cgroup.kill", "1");

	return r == -ENOENT ? 0 : r;
}

static int v2_read_events(struct cgroup *cg, struct cgroup_events *out)
{
	int r = cgroup_read_counter(cg->dirs[0], "memory.events", "oom_kill", &out->oom_kills);

	if (r == 0)
		r = cgroup_read_counter(cg->dirs[0], "memory.events", "max", &out->memory_max_hits);
	if (r == 0)
		r = cgroup_read_counter(cg->dirs[0], "pids.events", "max", &out->pids_max_hits);
	return r;
}

static int v2_open_fd(struct cgroup *cg)
{
	int fd = open(cg->dirs[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

const struct cgroup_backend cgroup_backend_v2 = {
    .version = "v2",
    .open = v2_open,
    .apply_limits = v2_apply_limits,
    .kill = v2_kill,
    .read_events = v2_read_events,
    .open_fd = v2_open_fd,
};
