/* Home volumes against the real kernel: plain directories, and ext4 images
 * on loop devices. The tests that chown, mount or attach loop devices need
 * root (scripts/test runs as root) and are skipped otherwise. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rexec/home.h"
#include "rexec/util.h"

#define OWNER 1234567
#define ROOT  1233567
#define MIB   (1024ULL * 1024)

struct fixture {
	char dir[64];
	char path[96]; /* the user's home path, without ".img" */
	char image[112];
	char err[512];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/rexec-test-home-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/homes/alice", f->dir);
	snprintf(f->image, sizeof(f->image), "%s.img", f->path);
	*state = f;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static struct home_params params_for(const struct fixture *f, uint64_t max_bytes)
{
	return (struct home_params){
	    .user = "alice",
	    .path = f->path,
	    .owner = OWNER,
	    .root = ROOT,
	    .project_id = ROOT,
	    .max_bytes = max_bytes,
	    .quota = HOME_QUOTA_LOOP_IMAGE,
	};
}

static void skip_unless_root(void)
{
	if (geteuid() != 0)
		skip();
}

static off_t size_of(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	return st.st_size;
}

/* Opens and closes the home, and returns the loop device it used. */
static int open_and_close(struct fixture *f, uint64_t max_bytes)
{
	const struct home_params p = params_for(f, max_bytes);
	struct home *home = NULL;
	int r = home_open(&p, &home, f->err, sizeof(f->err));
	int nr;

	if (r < 0)
		fail_msg("home_open: %s", f->err);
	assert_true(home->tree_fd >= 0);
	nr = home->loop_nr;
	home_close(home);
	return nr;
}

static void test_home_probe_without_directory_uses_images(void **state)
{
	struct fixture *f = *state;
	char missing[128];

	snprintf(missing, sizeof(missing), "%s/absent", f->dir);
	assert_int_equal(home_probe_quota(missing), HOME_QUOTA_LOOP_IMAGE);
	assert_string_equal(home_quota_name(HOME_QUOTA_LOOP_IMAGE), "loop image");
	assert_string_equal(home_quota_name(HOME_QUOTA_PROJECT), "project quota");
}

static void test_home_without_limit_is_owned_directory(void **state)
{
	struct fixture *f = *state;
	const struct home_params p = params_for(f, 0);
	struct home *home = NULL;
	struct stat st;

	skip_unless_root();
	assert_int_equal(home_open(&p, &home, f->err, sizeof(f->err)), 0);
	assert_true(home->tree_fd >= 0);
	assert_int_equal(home->loop_nr, -1);
	assert_null(home->image);
	home_close(home);

	assert_int_equal(stat(f->path, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(st.st_uid, OWNER);
	assert_int_equal(st.st_gid, OWNER);
	assert_int_equal(access(f->image, F_OK), -1);
}

static void test_home_rejects_directory_of_other_owner(void **state)
{
	struct fixture *f = *state;
	const struct home_params p = params_for(f, 0);
	struct home *home = NULL;

	skip_unless_root();
	assert_int_equal(util_mkdir_p(f->path, 0700), 0);
	assert_int_equal(chown(f->path, OWNER + 1, OWNER + 1), 0);
	assert_int_equal(home_open(&p, &home, f->err, sizeof(f->err)), -EPERM);
	assert_null(home);
	assert_non_null(strstr(f->err, "is owned by uid 1234568, expected 1234567"));
}

static void test_home_image_is_created_sparse(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	skip_unless_root();
	assert_true(open_and_close(f, 32 * MIB) >= 0);
	assert_int_equal(stat(f->image, &st), 0);
	assert_int_equal(st.st_size, 32 * MIB);
	assert_int_equal(st.st_uid, 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_true((uint64_t)st.st_blocks * 512 < 32 * MIB);
	assert_int_equal(access(f->path, F_OK), -1);
}

static void test_home_image_detaches_on_close(void **state)
{
	struct fixture *f = *state;
	char backing[64];
	int nr;

	skip_unless_root();
	nr = open_and_close(f, 32 * MIB);
	assert_true(nr >= 0);
	snprintf(backing, sizeof(backing), "/sys/block/loop%d/loop/backing_file", nr);
	if (access(backing, F_OK) == 0) {
		cleanup_free char *text = NULL;

		/* The device may serve another image by now, never this one. */
		assert_int_equal(util_read_file(backing, 4096, &text, NULL), 0);
		assert_null(strstr(text, f->dir));
	}
	/* A second open of the same image must succeed once it is released. */
	assert_true(open_and_close(f, 32 * MIB) >= 0);
}

static void test_home_image_grows_never_shrinks(void **state)
{
	struct fixture *f = *state;

	skip_unless_root();
	assert_true(open_and_close(f, 32 * MIB) >= 0);
	assert_true(open_and_close(f, 48 * MIB) >= 0);
	assert_int_equal(size_of(f->image), 48 * MIB);
	assert_true(open_and_close(f, 16 * MIB) >= 0);
	assert_int_equal(size_of(f->image), 48 * MIB);
}

static void test_home_image_kept_without_limit(void **state)
{
	struct fixture *f = *state;

	skip_unless_root();
	assert_true(open_and_close(f, 32 * MIB) >= 0);
	/* A tier without a home size must not hide the files in the image. */
	assert_true(open_and_close(f, 0) >= 0);
	assert_int_equal(size_of(f->image), 32 * MIB);
	assert_int_equal(access(f->path, F_OK), -1);
}

static void test_home_keeps_legacy_directory(void **state)
{
	struct fixture *f = *state;
	const struct home_params p = params_for(f, 32 * MIB);
	struct home *home = NULL;

	skip_unless_root();
	assert_int_equal(util_mkdir_p(f->path, 0700), 0);
	assert_int_equal(chown(f->path, OWNER, OWNER), 0);
	assert_int_equal(home_open(&p, &home, f->err, sizeof(f->err)), 0);
	assert_int_equal(home->loop_nr, -1);
	home_close(home);
	assert_int_equal(access(f->image, F_OK), -1);
}

static void test_home_rejects_image_not_owned_by_root(void **state)
{
	struct fixture *f = *state;
	const struct home_params p = params_for(f, 32 * MIB);
	struct home *home = NULL;

	skip_unless_root();
	assert_true(open_and_close(f, 32 * MIB) >= 0);
	assert_int_equal(chown(f->image, OWNER, OWNER), 0);
	assert_int_equal(home_open(&p, &home, f->err, sizeof(f->err)), -EPERM);
	assert_non_null(strstr(f->err, "is not a regular file owned by root"));
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_home_probe_without_directory_uses_images),
	    TEST(test_home_without_limit_is_owned_directory),
	    TEST(test_home_rejects_directory_of_other_owner),
	    TEST(test_home_image_is_created_sparse),
	    TEST(test_home_image_detaches_on_close),
	    TEST(test_home_image_grows_never_shrinks),
	    TEST(test_home_image_kept_without_limit),
	    TEST(test_home_keeps_legacy_directory),
	    TEST(test_home_rejects_image_not_owned_by_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
