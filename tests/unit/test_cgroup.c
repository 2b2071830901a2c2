/* cgroup backends against a temporary directory tree that imitates
 * /sys/fs/cgroup (CGROUP_OPEN_PLAIN_TREE). Interface files the kernel
 * would provide are pre-created where the code reads them. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rexec/cgroup.h"
#include "rexec/log.h"
#include "rexec/util.h"
#include "../../src/sandbox/cgroup-internal.h"

#define V2_OWN   "system.slice/rexecd.service"
#define V2_SELF  "0::/" V2_OWN "\n"
#define V1_SELF  "9:name=systemd:/\n8:pids:/\n4:memory:/a/b\n1:cpu:/\n0::/\n"
#define GIB_HALF "536870912"

struct tree {
	char root[64];
};

static const struct cgroup_limits test_limits = {
    .memory_max_bytes = 512ull << 20,
    .pids_max = 256,
    .cpu_max_percent = 50,
};

static void put_file(const struct tree *t, const char *rel, const char *text)
{
	char path[PATH_MAX], dir[PATH_MAX];
	char *slash;

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	assert_int_equal(util_mkdir_p(dir, 0755), 0);
	assert_int_equal(util_write_file_atomic(path, text, strlen(text), 0644), 0);
}

static void put_dir(const struct tree *t, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	assert_int_equal(util_mkdir_p(path, 0755), 0);
}

/* Returns the file's content without a trailing newline, or NULL. */
static char *get_file(const struct tree *t, const char *rel)
{
	char path[PATH_MAX];
	char *text = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	if (util_read_file(path, 4096, &text, &len) < 0)
		return NULL;
	if (len > 0 && text[len - 1] == '\n')
		text[len - 1] = '\0';
	return text;
}

static bool exists(const struct tree *t, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", t->root, rel);
	return access(path, F_OK) == 0;
}

static void assert_file_equal(const struct tree *t, const char *rel, const char *expected)
{
	char *text = get_file(t, rel);

	if (!text)
		fail_msg("%s is missing", rel);
	assert_string_equal(text, expected);
	free(text);
}

static void build_v2_tree(const struct tree *t)
{
	put_file(t, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma misc");
	put_file(t, V2_OWN "/cgroup.controllers", "cpu io memory pids");
	put_file(t, V2_OWN "/cgroup.procs", "4242\n");
}

/* Hybrid: per-controller v1 hierarchies plus a unified one without the
 * memory and pids controllers. */
static void build_v1_tree(const struct tree *t)
{
	put_dir(t, "memory/a/b");
	put_dir(t, "pids");
	put_dir(t, "cpu");
	put_file(t, "unified/cgroup.controllers", "hugetlb");
}

static struct cgroup_manager *open_plain(const struct tree *t, const char *self)
{
	struct cgroup_manager *mgr = NULL;

	assert_int_equal(cgroup_manager_open_flags(t->root, self, NULL, CGROUP_OPEN_PLAIN_TREE, &mgr), 0);
	assert_non_null(mgr);
	return mgr;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup_tree(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->root, sizeof(t->root), "/tmp/test_cgroup.XXXXXX");
	if (!mkdtemp(t->root))
		return -1;
	*state = t;
	return 0;
}

static int teardown_tree(void **state)
{
	struct tree *t = *state;

	nftw(t->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(t);
	return 0;
}

static void test_cgroup_v2_selected_for_unified_hierarchy(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;

	build_v2_tree(t);
	mgr = open_plain(t, V2_SELF);
	assert_string_equal(cgroup_manager_version(mgr), "v2");
	assert_true(exists(t, V2_OWN "/rexec"));
	cgroup_manager_close(mgr);
}

static void test_cgroup_hybrid_uses_v1(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;

	build_v1_tree(t);
	mgr = open_plain(t, V1_SELF);
	assert_string_equal(cgroup_manager_version(mgr), "v1");
	cgroup_manager_close(mgr);
}

static void test_cgroup_v2_moves_processes_to_supervisor(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;

	build_v2_tree(t);
	mgr = open_plain(t, V2_SELF);
	assert_file_equal(t, V2_OWN "/supervisor/cgroup.procs", "4242");
	assert_file_equal(t, V2_OWN "/cgroup.subtree_control", "+memory +pids +cpu");
	assert_file_equal(t, V2_OWN "/rexec/cgroup.subtree_control", "+memory +pids +cpu");
	cgroup_manager_close(mgr);
}

static void test_cgroup_v2_skips_supervisor_when_enabled(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;

	build_v2_tree(t);
	put_file(t, V2_OWN "/cgroup.subtree_control", "cpu memory pids\n");
	mgr = open_plain(t, V2_SELF);
	assert_false(exists(t, V2_OWN "/supervisor"));
	assert_file_equal(t, V2_OWN "/cgroup.subtree_control", "cpu memory pids");
	cgroup_manager_close(mgr);
}

static void test_cgroup_v2_without_cpu_enables_memory_pids(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;

	build_v2_tree(t);
	put_file(t, V2_OWN "/cgroup.controllers", "memory pids");
	mgr = open_plain(t, V2_SELF);
	assert_file_equal(t, V2_OWN "/cgroup.subtree_control", "+memory +pids");
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	assert_false(exists(t, V2_OWN "/rexec/alice/cpu.max"));
	cgroup_destroy(cg);
	cgroup_manager_close(mgr);
}

static void test_cgroup_v2_writes_limits(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;

	build_v2_tree(t);
	mgr = open_plain(t, V2_SELF);
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	assert_file_equal(t, V2_OWN "/rexec/alice/memory.max", GIB_HALF);
	assert_file_equal(t, V2_OWN "/rexec/alice/memory.swap.max", "0");
	assert_file_equal(t, V2_OWN "/rexec/alice/memory.oom.group", "0");
	assert_file_equal(t, V2_OWN "/rexec/alice/pids.max", "256");
	assert_file_equal(t, V2_OWN "/rexec/alice/cpu.max", "50000 100000");
	cgroup_destroy(cg);
	cgroup_manager_close(mgr);
}

static void test_cgroup_v2_zero_limits_write_nothing(void **state)
{
	struct tree *t = *state;
	const struct cgroup_limits none = {0};
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;

	build_v2_tree(t);
	mgr = open_plain(t, V2_SELF);
	assert_int_equal(cgroup_create(mgr, "alice", &none, &cg), 0);
	assert_false(exists(t, V2_OWN "/rexec/alice/memory.max"));
	assert_false(exists(t, V2_OWN "/rexec/alice/memory.swap.max"));
	assert_false(exists(t, V2_OWN "/rexec/alice/pids.max"));
	assert_false(exists(t, V2_OWN "/rexec/alice/cpu.max"));
	cgroup_destroy(cg);
	cgroup_manager_close(mgr);
}

static void test_cgroup_v2_attach_writes_pid(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;

	build_v2_tree(t);
	mgr = open_plain(t, V2_SELF);
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	assert_int_equal(cgroup_attach(cg, 31337), 0);
	assert_file_equal(t, V2_OWN "/rexec/alice/cgroup.procs", "31337");
	cgroup_destroy(cg);
	cgroup_manager_close(mgr);
}

static void test_cgroup_v2_destroy_removes_dir(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;

	build_v2_tree(t);
	mgr = open_plain(t, V2_SELF);
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	assert_true(exists(t, V2_OWN "/rexec/alice"));
	assert_int_equal(cgroup_destroy(cg), 0);
	assert_false(exists(t, V2_OWN "/rexec/alice"));
	cgroup_manager_close(mgr);
	assert_false(exists(t, V2_OWN "/rexec"));
}

static void test_cgroup_v2_root_cgroup_needs_no_supervisor(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;

	put_file(t, "cgroup.controllers", "cpu memory pids");
	put_file(t, "cgroup.procs", "1\n");
	mgr = open_plain(t, "0::/\n");
	assert_false(exists(t, "supervisor"));
	assert_file_equal(t, "cgroup.subtree_control", "+memory +pids +cpu");
	assert_true(exists(t, "rexec"));
	cgroup_manager_close(mgr);
}

static void test_cgroup_v2_reads_events(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;
	struct cgroup_events events;

	build_v2_tree(t);
	mgr = open_plain(t, V2_SELF);
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	put_file(t, V2_OWN "/rexec/alice/memory.events",
		 "low 0\nhigh 0\nmax 17\noom 3\noom_kill 2\noom_group_kill 0\n");
	put_file(t, V2_OWN "/rexec/alice/pids.events", "max 5\n");
	assert_int_equal(cgroup_read_events(cg, &events), 0);
	assert_int_equal(events.oom_kills, 2);
	assert_int_equal(events.memory_max_hits, 17);
	assert_int_equal(events.pids_max_hits, 5);
	cgroup_destroy(cg);
	cgroup_manager_close(mgr);
}

static void test_cgroup_v2_opens_fd_for_clone(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;
	int fd;

	build_v2_tree(t);
	mgr = open_plain(t, V2_SELF);
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	fd = cgroup_open_fd(cg);
	assert_true(fd >= 0);
	close(fd);
	cgroup_destroy(cg);
	cgroup_manager_close(mgr);
}

static void test_cgroup_v1_reads_events(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;
	struct cgroup_events events;

	build_v1_tree(t);
	mgr = open_plain(t, V1_SELF);
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	put_file(t, "memory/a/b/rexec/alice/memory.oom_control",
		 "oom_kill_disable 0\nunder_oom 0\noom_kill 4\n");
	put_file(t, "memory/a/b/rexec/alice/memory.failcnt", "123\n");
	put_file(t, "pids/rexec/alice/pids.events", "max 9\n");
	assert_int_equal(cgroup_read_events(cg, &events), 0);
	assert_int_equal(events.oom_kills, 4);
	assert_int_equal(events.memory_max_hits, 123);
	assert_int_equal(events.pids_max_hits, 9);
	cgroup_destroy(cg);
	cgroup_manager_close(mgr);
}

static void test_cgroup_missing_counters_read_zero(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;
	struct cgroup_events events;

	build_v1_tree(t);
	mgr = open_plain(t, V1_SELF);
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	/* Before Linux 4.13 memory.oom_control has no oom_kill line. */
	put_file(t, "memory/a/b/rexec/alice/memory.oom_control",
		 "oom_kill_disable 0\nunder_oom 0\n");
	assert_int_equal(cgroup_read_events(cg, &events), 0);
	assert_int_equal(events.oom_kills, 0);
	assert_int_equal(events.memory_max_hits, 0);
	assert_int_equal(events.pids_max_hits, 0);
	cgroup_destroy(cg);
	cgroup_manager_close(mgr);
}

static void test_cgroup_v1_cannot_clone_into_cgroup(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;

	build_v1_tree(t);
	mgr = open_plain(t, V1_SELF);
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	assert_int_equal(cgroup_open_fd(cg), -EOPNOTSUPP);
	cgroup_destroy(cg);
	cgroup_manager_close(mgr);
}

static void test_cgroup_v1_creates_dir_per_controller(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;

	build_v1_tree(t);
	mgr = open_plain(t, V1_SELF);
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	assert_true(exists(t, "memory/a/b/rexec/alice"));
	assert_true(exists(t, "pids/rexec/alice"));
	assert_true(exists(t, "cpu/rexec/alice"));
	cgroup_destroy(cg);
	cgroup_manager_close(mgr);
}

static void test_cgroup_v1_writes_limits(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;

	build_v1_tree(t);
	mgr = open_plain(t, V1_SELF);
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	assert_file_equal(t, "memory/a/b/rexec/alice/memory.limit_in_bytes", GIB_HALF);
	assert_file_equal(t, "memory/a/b/rexec/alice/memory.memsw.limit_in_bytes", GIB_HALF);
	assert_file_equal(t, "pids/rexec/alice/pids.max", "256");
	assert_file_equal(t, "cpu/rexec/alice/cpu.cfs_period_us", "100000");
	assert_file_equal(t, "cpu/rexec/alice/cpu.cfs_quota_us", "50000");
	cgroup_destroy(cg);
	cgroup_manager_close(mgr);
}

static void test_cgroup_v1_attach_writes_pid_per_controller(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;

	build_v1_tree(t);
	mgr = open_plain(t, V1_SELF);
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	assert_int_equal(cgroup_attach(cg, 31337), 0);
	assert_file_equal(t, "memory/a/b/rexec/alice/cgroup.procs", "31337");
	assert_file_equal(t, "pids/rexec/alice/cgroup.procs", "31337");
	assert_file_equal(t, "cpu/rexec/alice/cgroup.procs", "31337");
	cgroup_destroy(cg);
	cgroup_manager_close(mgr);
}

static void test_cgroup_v1_destroy_removes_every_dir(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;

	build_v1_tree(t);
	mgr = open_plain(t, V1_SELF);
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	assert_int_equal(cgroup_destroy(cg), 0);
	assert_false(exists(t, "memory/a/b/rexec/alice"));
	assert_false(exists(t, "pids/rexec/alice"));
	assert_false(exists(t, "cpu/rexec/alice"));
	cgroup_manager_close(mgr);
	assert_false(exists(t, "memory/a/b/rexec"));
	assert_false(exists(t, "pids/rexec"));
	assert_false(exists(t, "cpu/rexec"));
}

static void test_cgroup_v1_requires_memory_and_pids(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr = NULL;

	build_v1_tree(t);
	assert_int_equal(cgroup_manager_open_flags(t->root, "4:memory:/a/b\n1:cpu:/\n", NULL,
						   CGROUP_OPEN_PLAIN_TREE, &mgr),
			 -ENOENT);
	assert_null(mgr);
	assert_false(exists(t, "memory/a/b/rexec"));
}

static void test_cgroup_v1_without_cpu_skips_cpu_limit(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;

	build_v1_tree(t);
	mgr = open_plain(t, "8:pids:/\n4:memory:/a/b\n");
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	assert_false(exists(t, "cpu/rexec"));
	assert_file_equal(t, "pids/rexec/alice/pids.max", "256");
	cgroup_destroy(cg);
	cgroup_manager_close(mgr);
}

static void test_cgroup_v1_shares_dir_of_comounted_controllers(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;

	build_v1_tree(t);
	mgr = open_plain(t, "4:memory,pids:/a/b\n1:cpu:/\n");
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	assert_int_equal((int)cg->dir_count, 2);
	assert_file_equal(t, "memory/a/b/rexec/alice/pids.max", "256");
	assert_false(exists(t, "pids/rexec"));
	cgroup_destroy(cg);
	cgroup_manager_close(mgr);
}

static void test_cgroup_only_beneath_own_cgroup(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;

	build_v1_tree(t);
	mgr = open_plain(t, V1_SELF);
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	/* memory is at /a/b: nothing may appear at the hierarchy root or /a. */
	assert_false(exists(t, "memory/rexec"));
	assert_false(exists(t, "memory/a/rexec"));
	assert_true(exists(t, "memory/a/b/rexec/alice"));
	cgroup_destroy(cg);
	cgroup_manager_close(mgr);
}

static void test_cgroup_rejects_invalid_names(void **state)
{
	static const char *const names[] = {
	    "",
	    ".",
	    "..",
	    "../escape",
	    "a/b",
	    "/abs",
	    ".hidden",
	    "white space",
	    "new\nline",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	size_t i;

	build_v2_tree(t);
	mgr = open_plain(t, V2_SELF);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		struct cgroup *cg = NULL;

		assert_int_equal(cgroup_create(mgr, names[i], &test_limits, &cg), -EINVAL);
		assert_null(cg);
	}
	assert_false(exists(t, V2_OWN "/escape"));
	assert_false(exists(t, V2_OWN "/rexec/a"));
	cgroup_manager_close(mgr);
}

static void test_cgroup_rejects_own_path_outside_hierarchy(void **state)
{
	static const char *const texts[] = {
	    "0::/../..\n", "0::/a/../../b\n", "0::relative\n", "0::/a//b\n", "0::/a/./b\n",
	};
	struct tree *t = *state;
	size_t i;

	put_file(t, "cgroup.controllers", "cpu memory pids");
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		struct cgroup_manager *mgr = NULL;

		assert_int_equal(
		    cgroup_manager_open_flags(t->root, texts[i], NULL, CGROUP_OPEN_PLAIN_TREE, &mgr),
		    -EINVAL);
		assert_null(mgr);
	}
}

static void test_cgroup_replaces_empty_leftover(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr;
	struct cgroup *cg = NULL;

	build_v2_tree(t);
	mgr = open_plain(t, V2_SELF);
	put_file(t, V2_OWN "/rexec/alice/pids.max", "7\n");
	assert_int_equal(cgroup_create(mgr, "alice", &test_limits, &cg), 0);
	assert_file_equal(t, V2_OWN "/rexec/alice/pids.max", "256");
	cgroup_destroy(cg);
	cgroup_manager_close(mgr);
}

static void test_cgroup_rejects_non_cgroup_filesystem(void **state)
{
	struct tree *t = *state;
	struct cgroup_manager *mgr = NULL;

	build_v2_tree(t);
	assert_int_equal(cgroup_manager_open(t->root, V2_SELF, NULL, &mgr), -EMEDIUMTYPE);
	assert_null(mgr);
	assert_false(exists(t, V2_OWN "/rexec"));
}

static void test_cgroup_find_own_path_cases(void **state)
{
	static const struct {
		const char *text;
		const char *controller;
		int result;
		const char *path;
		long id;
	} cases[] = {
	    {"4:memory:/x/y\n8:pids:/\n", "memory", 0, "/x/y", 4},
	    {"4:memory:/x/y\n8:pids:/\n", "pids", 0, "/", 8},
	    {"2:cpu,cpuacct:/svc\n", "cpu", 0, "/svc", 2},
	    {"2:cpu,cpuacct:/svc\n", "cpuacct", 0, "/svc", 2},
	    {"2:cpuacct:/svc\n", "cpu", -ENOENT, NULL, -1},
	    {"9:name=systemd:/\n0::/user.slice\n", NULL, 0, "/user.slice", 0},
	    {"1:memory:/\n", NULL, -ENOENT, NULL, -1},
	    {"0::/a/..\n", NULL, -EINVAL, NULL, -1},
	    {"", "memory", -ENOENT, NULL, -1},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *path = NULL;
		long id = -1;

		assert_int_equal(
		    cgroup_find_own_path(cases[i].text, cases[i].controller, &id, &path),
		    cases[i].result);
		if (cases[i].path)
			assert_string_equal(path, cases[i].path);
		else
			assert_null(path);
		assert_int_equal(id, cases[i].id);
		free(path);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define TREE_TEST(f) cmocka_unit_test_setup_teardown(f, setup_tree, teardown_tree)
	    TREE_TEST(test_cgroup_v2_selected_for_unified_hierarchy),
	    TREE_TEST(test_cgroup_hybrid_uses_v1),
	    TREE_TEST(test_cgroup_v2_moves_processes_to_supervisor),
	    TREE_TEST(test_cgroup_v2_skips_supervisor_when_enabled),
	    TREE_TEST(test_cgroup_v2_without_cpu_enables_memory_pids),
	    TREE_TEST(test_cgroup_v2_writes_limits),
	    TREE_TEST(test_cgroup_v2_zero_limits_write_nothing),
	    TREE_TEST(test_cgroup_v2_attach_writes_pid),
	    TREE_TEST(test_cgroup_v2_destroy_removes_dir),
	    TREE_TEST(test_cgroup_v2_root_cgroup_needs_no_supervisor),
	    TREE_TEST(test_cgroup_v2_reads_events),
	    TREE_TEST(test_cgroup_v2_opens_fd_for_clone),
	    TREE_TEST(test_cgroup_v1_reads_events),
	    TREE_TEST(test_cgroup_missing_counters_read_zero),
	    TREE_TEST(test_cgroup_v1_cannot_clone_into_cgroup),
	    TREE_TEST(test_cgroup_v1_creates_dir_per_controller),
	    TREE_TEST(test_cgroup_v1_writes_limits),
	    TREE_TEST(test_cgroup_v1_attach_writes_pid_per_controller),
	    TREE_TEST(test_cgroup_v1_destroy_removes_every_dir),
	    TREE_TEST(test_cgroup_v1_requires_memory_and_pids),
	    TREE_TEST(test_cgroup_v1_without_cpu_skips_cpu_limit),
	    TREE_TEST(test_cgroup_v1_shares_dir_of_comounted_controllers),
	    TREE_TEST(test_cgroup_only_beneath_own_cgroup),
	    TREE_TEST(test_cgroup_rejects_invalid_names),
	    TREE_TEST(test_cgroup_rejects_own_path_outside_hierarchy),
	    TREE_TEST(test_cgroup_replaces_empty_leftover),
	    TREE_TEST(test_cgroup_rejects_non_cgroup_filesystem),
	    cmocka_unit_test(test_cgroup_find_own_path_cases),
#undef TREE_TEST
	};

	log_init("test_cgroup", false, LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
