/* cgroup v1 backend: one hierarchy per controller, mounted at
 * <root>/<controller>, with a directory per sandbox at
 * <root>/<controller><own path>/rexec/<name> in each. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rexec/log.h"
#include "rexec/util.h"
#include "cgroup-internal.h"

#define CPU_PERIOD_US 100000

static const char *const controller_names[CGROUP_CONTROLLER_COUNT] = {
    [CGROUP_MEMORY] = "memory",
    [CGROUP_PIDS] = "pids",
    [CGROUP_CPU] = "cpu",
};

/* Sets up the rexec parent in the hierarchy of one controller. Controllers
 * mounted together (one hierarchy id) share a directory. */
static int open_controller(struct cgroup_manager *mgr, const char *self_cgroup_text,
			   enum cgroup_controller controller, long hierarchy_ids[])
{
	const char *name = controller_names[controller];
	cleanup_free char *own = NULL;
	cleanup_free char *hierarchy = NULL;
	char *parent;
	long id = -1;
	size_t i;
	int r;

	r = cgroup_find_own_path(self_cgroup_text, name, &id, &own);
	if (r < 0)
		return r;

	for (i = 0; i < mgr->parent_count; i++) {
		if (hierarchy_ids[i] == id) {
			mgr->controller_dir[controller] = (int)i;
			return 0;
		}
	}

	hierarchy = cgroup_path_join(mgr->root, name, NULL);
	if (!hierarchy)
		return -ENOMEM;
	r = cgroup_check_fs(mgr, hierarchy, CGROUP_SUPER_MAGIC);
	if (r < 0) {
		log_error("cannot use cgroup hierarchy %s: %s", hierarchy, strerror(-r));
		return r == -ENOENT ? -ENODEV : r;
	}

	if (strcmp(own, "/") == 0)
		parent = cgroup_path_join(hierarchy, mgr->parent_name, NULL);
	else
		parent = cgroup_path_join(hierarchy, own + 1, mgr->parent_name);
	if (!parent)
		return -ENOMEM;
	r = cgroup_make_dir(parent);
	if (r < 0) {
		log_error("cannot create cgroup %s: %s", parent, strerror(-r));
		free(parent);
		return r;
	}

	hierarchy_ids[mgr->parent_count] = id;
	mgr->controller_dir[controller] = (int)mgr->parent_count;
	mgr->parent_dirs[mgr->parent_count++] = parent;
	return 0;
}

static int v1_open(struct cgroup_manager *mgr, const char *self_cgroup_text)
{
	static const enum cgroup_controller required[] = {CGROUP_MEMORY, CGROUP_PIDS};
	long hierarchy_ids[CGROUP_DIRS_MAX];
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(required); i++) {
		r = open_controller(mgr, self_cgroup_text, required[i], hierarchy_ids);
		if (r == -ENOENT)
			log_error("the %s cgroup controller is required but missing from "
				  "/proc/self/cgroup",
				  controller_names[required[i]]);
		if (r < 0)
			return r;
	}

	r = open_controller(mgr, self_cgroup_text, CGROUP_CPU, hierarchy_ids);
	if (r == -ENOENT) {
		log_warn(
		    "no cpu cgroup controller in /proc/self/cgroup, CPU limits are not applied");
		r = 0;
	}
	return r;
}

static int write_limit(const struct cgroup *cg, enum cgroup_controller controller, const char *file,
		       const char *value, bool optional)
{
	const char *dir = cgroup_controller_dir(cg, controller);
	int r = cgroup_write_file(cg->mgr, dir, file, value);

	if (r == -ENOENT && optional)
		return 0;
	if (r < 0)
		log_error("cannot write '%s' to %s/%s: %s", value, dir, file, strerror(-r));
	return r;
}

static int v1_apply_limits(struct cgroup *cg, const struct cgroup_limits *limits)
{
	char value[64];
	int r;

	if (limits->memory_max_bytes) {
		snprintf(value, sizeof(value), "%" PRIu64, limits->memory_max_bytes);
		/* memsw (memory + swap) must stay >= the memory limit, so on a
		 * fresh, unlimited cgroup the memory limit is lowered first.
		 * Equal values leave no room for swap. The file exists only
		 * with swap accounting. */
		r = write_limit(cg, CGROUP_MEMORY, "memory.limit_in_bytes", value, false);
		if (r == 0)
			r = write_limit(cg, CGROUP_MEMORY, "memory.memsw.limit_in_bytes", value,
					true);
		if (r < 0)
			return r;
	}

	if (limits->pids_max) {
		snprintf(value, sizeof(value), "%" PRIu32, limits->pids_max);
		r = write_limit(cg, CGROUP_PIDS, "pids.max", value, false);
		if (r < 0)
			return r;
	}

	if (limits->cpu_max_percent && cgroup_controller_dir(cg, CGROUP_CPU)) {
		uint64_t quota_us = (uint64_t)limits->cpu_max_percent * CPU_PERIOD_US / 100;

		snprintf(value, sizeof(value), "%d", CPU_PERIOD_US);
		r = write_limit(cg, CGROUP_CPU, "cpu.cfs_period_us", value, false);
		if (r < 0)
			return r;
		snprintf(value, sizeof(value), "%" PRIu64, quota_us);
		r = write_limit(cg, CGROUP_CPU, "cpu.cfs_quota_us", value, false);
		if (r < 0)
			return r;
	}
	return 0;
}

/* memory.oom_control has an "oom_kill N" line since Linux 4.13;
 * memory.failcnt counts how often usage hit memory.limit_in_bytes. */
static int v1_read_events(struct cgroup *cg, struct cgroup_events *out)
{
	const char *memory = cgroup_controller_dir(cg, CGROUP_MEMORY);
	const char *pids = cgroup_controller_dir(cg, CGROUP_PIDS);
	int r;

	r = cgroup_read_counter(memory, "memory.oom_control", "oom_kill", &out->oom_kills);
	if (r == 0)
		r = cgroup_read_counter(memory, "memory.failcnt", NULL, &out->memory_max_hits);
	if (r == 0)
		r = cgroup_read_counter(pids, "pids.events", "max", &out->pids_max_hits);
	return r;
}

/* v1 has no cgroup.kill: the sandbox's processes end when its init, pid 1
 * of their pid namespace, is killed, which sandbox_destroy does first. No
 * single directory contains every controller, so CLONE_INTO_CGROUP cannot
 * be used. */
const struct cgroup_backend cgroup_backend_v1 = {
    .version = "v1",
    .open = v1_open,
    .apply_limits = v1_apply_limits,
    .kill = NULL,
    .read_events = v1_read_events,
    .open_fd = NULL,
};
