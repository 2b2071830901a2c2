/* The user and key store, on a real directory under /tmp per test. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "rexec/authkeys.h"
#include "rexec/log.h"
#include "rexec/store.h"
#include "rexec/util.h"
#include "test_keys.h"

#define UID_BASE  100000
#define UID_COUNT 65536

struct fixture {
	char dir[64];
	char state[96];
	struct store st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/rexec-test-store-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	if (store_open(&f->st, f->state, UID_BASE, UID_COUNT) < 0)
		return -1;
	*state = f;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(&f->st);
	nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Returns a malloc'd path below the test directory. */
__attribute__((format(printf, 2, 3))) static char *path_in(const struct fixture *f,
							  const char *fmt, ...)
{
	char relative[256];
	char *path;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(relative, sizeof(relative), fmt, ap);
	va_end(ap);
	assert_true(asprintf(&path, "%s/%s", f->state, relative) > 0);
	return path;
}

static void write_text(const char *path, const char *text)
{
	assert_int_equal(util_write_file_atomic(path, text, strlen(text), 0600), 0);
}

static char *read_text(const char *path)
{
	char *text = NULL;

	assert_int_equal(util_read_file(path, 1024 * 1024, &text, NULL), 0);
	return text;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the sorted entry names of dir (without . and ..), space-separated. */
static char *list_dir(const char *dir)
{
	char *names[64];
	size_t count = 0, used = 0;
	char *text = calloc(1, 4096);
	DIR *d = opendir(dir);
	struct dirent *entry;

	assert_non_null(text);
	assert_non_null(d);
	while ((entry = readdir(d)) && count < ARRAY_SIZE(names)) {
		if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
			names[count++] = strdup(entry->d_name);
	}
	closedir(d);
	qsort(names, count, sizeof(names[0]), compare_strings);
	for (size_t i = 0; i < count; i++) {
		used += (size_t)snprintf(text + used, 4096 - used, "%s%s", i ? " " : "", names[i]);
		free(names[i]);
	}
	return text;
}

static void add_user(struct fixture *f, const char *name)
{
	assert_int_equal(store_user_add(&f->st, name, NULL, NULL), 0);
}

/* Parses a test key line for its type and blob. */
static void parse_key(const char *line, struct authkey *key)
{
	assert_int_equal(authkey_parse(line, key, NULL, 0), 0);
}

/* Decodes the base64 field of a key line without checking the key, for
 * keys that authkey_parse rejects. Returns the blob length. */
static size_t decode_blob(const char *line, uint8_t *blob, size_t blob_max)
{
	const char *start = strchr(line, ' ') + 1;
	const char *end = strchr(start, ' ');
	size_t len = end ? (size_t)(end - start) : strlen(start);
	int n;

	assert_true(len / 4 * 3 <= blob_max);
	n = EVP_DecodeBlock(blob, (const unsigned char *)start, (int)len);
	assert_true(n > 0);
	for (size_t i = len; i > 0 && start[i - 1] == '='; i--)
		n--;
	return (size_t)n;
}

static int key_allowed(struct fixture *f, const char *user, const char *line)
{
	struct authkey key;
	int r;

	parse_key(line, &key);
	r = store_key_allowed(&f->st, user, key.type, key.blob, key.blob_len);
	authkey_free(&key);
	return r;
}

static size_t key_count(struct fixture *f, const char *user)
{
	struct authkey *keys = NULL;
	size_t count = 0;

	assert_int_equal(store_key_list(&f->st, user, &keys, &count), 0);
	for (size_t i = 0; i < count; i++)
		authkey_free(&keys[i]);
	free(keys);
	return count;
}

/* ---- layout ---- */

static void test_store_open_creates_layout(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *users = path_in(f, "users");
	cleanup_free char *homes = path_in(f, "homes");

	assert_int_equal(mode_of(f->state), 0711);
	assert_int_equal(mode_of(users), 0700);
	assert_int_equal(mode_of(homes), 0711);
}

static void test_store_open_rejects_relative_dir(void **state)
{
	struct store st;

	assert_int_equal(store_open(&st, "var/lib/rexec", UID_BASE, UID_COUNT), -EINVAL);
	assert_int_equal(store_open(&st, "", UID_BASE, UID_COUNT), -EINVAL);
}

static void test_store_home_path(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *home = store_home_path(&f->st, "alice");
	cleanup_free char *expected = path_in(f, "homes/alice");

	assert_non_null(home);
	assert_string_equal(home, expected);
}

/* ---- users ---- */

static void test_store_adds_user_with_first_range(void **state)
{
	struct fixture *f = *state;
	struct store_user added, found;
	long long before = (long long)time(NULL);

	assert_int_equal(store_user_add(&f->st, "alice", NULL, &added), 0);
	assert_string_equal(added.name, "alice");
	assert_int_equal(added.uid_base, UID_BASE);
	assert_in_range(added.created, before, (long long)time(NULL));

	assert_int_equal(store_user_get(&f->st, "alice", &found), 0);
	assert_string_equal(found.name, "alice");
	assert_int_equal(found.uid_base, UID_BASE);
	assert_int_equal(found.created, added.created);
}

static void test_store_user_record_format(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *dir = path_in(f, "users/alice");
	cleanup_free char *record = path_in(f, "users/alice/user");
	cleanup_free char *text = NULL;
	struct store_user user;
	char expected[128];

	assert_int_equal(store_user_add(&f->st, "alice", NULL, &user), 0);
	text = read_text(record);
	snprintf(expected, sizeof(expected), "uid_base=100000\ncreated=%lld\n", user.created);
	assert_string_equal(text, expected);
	assert_int_equal(mode_of(record), 0600);
	assert_int_equal(mode_of(dir), 0700);
}

static void test_store_records_tier(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *record = path_in(f, "users/alice/user");
	cleanup_free char *text = NULL;
	struct store_user user, found;
	char expected[128];

	assert_int_equal(store_user_add(&f->st, "alice", "small", &user), 0);
	assert_string_equal(user.tier, "small");
	text = read_text(record);
	snprintf(expected, sizeof(expected), "uid_base=100000\ncreated=%lld\ntier=small\n",
		 user.created);
	assert_string_equal(text, expected);
	assert_int_equal(store_user_get(&f->st, "alice", &found), 0);
	assert_string_equal(found.tier, "small");
}

static void test_store_user_without_tier_has_empty_tier(void **state)
{
	struct fixture *f = *state;
	struct store_user user;

	assert_int_equal(store_user_add(&f->st, "alice", NULL, &user), 0);
	assert_string_equal(user.tier, "");
	assert_int_equal(store_user_get(&f->st, "alice", &user), 0);
	assert_string_equal(user.tier, "");
}

static void test_store_set_tier_keeps_other_fields(void **state)
{
	struct fixture *f = *state;
	struct store_user added, found;

	assert_int_equal(store_user_add(&f->st, "alice", NULL, &added), 0);
	assert_int_equal(store_user_set_tier(&f->st, "alice", "big"), 0);
	assert_int_equal(store_user_get(&f->st, "alice", &found), 0);
	assert_string_equal(found.tier, "big");
	assert_int_equal(found.uid_base, added.uid_base);
	assert_int_equal(found.created, added.created);

	assert_int_equal(store_user_set_tier(&f->st, "alice", ""), 0);
	assert_int_equal(store_user_get(&f->st, "alice", &found), 0);
	assert_string_equal(found.tier, "");
}

static void test_store_set_tier_rejects_unknown_user(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(store_user_set_tier(&f->st, "nobody", "big"), -ENOENT);
}

static void test_store_rejects_invalid_tier_name(void **state)
{
	static const char *const tiers[] = {"Big", "-big", "a b", "big/../x",
					    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"};
	struct fixture *f = *state;
	struct store_user user;

	assert_int_equal(store_user_add(&f->st, "alice", NULL, &user), 0);
	for (size_t i = 0; i < ARRAY_SIZE(tiers); i++) {
		assert_int_equal(store_user_add(&f->st, "bob", tiers[i], &user), -EINVAL);
		assert_int_equal(store_user_set_tier(&f->st, "alice", tiers[i]), -EINVAL);
	}
}

static void test_store_rejects_record_with_invalid_tier(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *record = path_in(f, "users/alice/user");
	static const char text[] = "uid_base=100000\ntier=../x\n";
	struct store_user user;

	assert_int_equal(store_user_add(&f->st, "alice", NULL, &user), 0);
	assert_int_equal(util_write_file_atomic(record, text, strlen(text), 0600), 0);
	assert_int_equal(store_user_get(&f->st, "alice", &user), -EBADMSG);
}

static void test_store_allocates_ranges_in_order(void **state)
{
	static const struct {
		const char *name;
		uid_t uid_base;
	} cases[] = {
		{ "alice", UID_BASE },
		{ "bob", UID_BASE + UID_COUNT },
		{ "carol", UID_BASE + 2 * UID_COUNT },
		{ "dave", UID_BASE + 3 * UID_COUNT },
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct store_user user;

		assert_int_equal(store_user_add(&f->st, cases[i].name, NULL, &user), 0);
		assert_int_equal(user.uid_base, cases[i].uid_base);
	}
}

/* A deleted user's home is kept and a sandbox of theirs may still run, so
 * their range goes to nobody else. */
static void test_store_never_reuses_deleted_range(void **state)
{
	struct fixture *f = *state;
	struct store_user user;

	add_user(f, "alice");
	add_user(f, "bob");
	add_user(f, "carol");
	assert_int_equal(store_user_del(&f->st, "bob"), 0);

	assert_int_equal(store_user_add(&f->st, "dave", NULL, &user), 0);
	assert_int_equal(user.uid_base, UID_BASE + 3 * UID_COUNT);
	assert_int_equal(store_user_add(&f->st, "erin", NULL, &user), 0);
	assert_int_equal(user.uid_base, UID_BASE + 4 * UID_COUNT);
}

static void test_store_readded_user_gets_old_range(void **state)
{
	struct fixture *f = *state;
	struct store_user user;

	add_user(f, "alice");
	add_user(f, "bob");
	assert_int_equal(store_user_del(&f->st, "alice"), 0);
	assert_int_equal(store_user_add(&f->st, "alice", NULL, &user), 0);
	assert_int_equal(user.uid_base, UID_BASE);

	/* Taken back, the range is no longer retired: a delete and another
	 * user's add leave it alone, and alice's next add finds it again. */
	assert_int_equal(store_user_del(&f->st, "alice"), 0);
	assert_int_equal(store_user_add(&f->st, "carol", NULL, &user), 0);
	assert_int_equal(user.uid_base, UID_BASE + 2 * UID_COUNT);
	assert_int_equal(store_user_add(&f->st, "alice", NULL, &user), 0);
	assert_int_equal(user.uid_base, UID_BASE);
}

static void test_store_skips_ranges_of_other_alignment(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *dir = path_in(f, "users/old");
	cleanup_free char *record = path_in(f, "users/old/user");
	struct store_user user;

	/* A record written under another UidBase, overlapping slots 0 and 1. */
	assert_int_equal(mkdir(dir, 0700), 0);
	write_text(record, "uid_base=130000\ncreated=1\n");

	assert_int_equal(store_user_add(&f->st, "alice", NULL, &user), 0);
	assert_int_equal(user.uid_base, UID_BASE + 2 * UID_COUNT);
}

static void test_store_runs_out_of_uid_ranges(void **state)
{
	struct fixture *f = *state;
	struct store st;
	struct store_user user;
	uid_t base = (uid_t)(0xfffffffeULL - 2ULL * UID_COUNT + 1);

	assert_int_equal(store_open(&st, f->state, base, UID_COUNT), 0);
	assert_int_equal(store_user_add(&st, "alice", NULL, &user), 0);
	assert_int_equal(user.uid_base, base);
	assert_int_equal(store_user_add(&st, "bob", NULL, &user), 0);
	assert_int_equal(user.uid_base, base + UID_COUNT);
	assert_int_equal(store_user_add(&st, "carol", NULL, &user), -ENOSPC);
	assert_int_equal(store_user_get(&st, "carol", &user), -ENOENT);
	store_close(&st);
}

static void test_store_rejects_duplicate_user(void **state)
{
	struct fixture *f = *state;

	add_user(f, "alice");
	assert_int_equal(store_user_add(&f->st, "alice", NULL, NULL), -EEXIST);
}

static void test_store_get_unknown_user(void **state)
{
	struct fixture *f = *state;
	struct store_user user;

	assert_int_equal(store_user_get(&f->st, "nobody", &user), -ENOENT);
}

static void test_store_rejects_corrupt_record(void **state)
{
	static const char *const records[] = {
		"",
		"created=5\n",
		"uid_base=\n",
		"uid_base=-1\n",
		"uid_base=12ab\n",
		"uid_base=4294967295\n",
		"uid_base=100000\ncreated=soon\n",
	};
	struct fixture *f = *state;
	cleanup_free char *dir = path_in(f, "users/alice");
	cleanup_free char *record = path_in(f, "users/alice/user");

	assert_int_equal(mkdir(dir, 0700), 0);
	for (size_t i = 0; i < ARRAY_SIZE(records); i++) {
		struct store_user user;

		write_text(record, records[i]);
		if (store_user_get(&f->st, "alice", &user) != -EBADMSG)
			fail_msg("record \"%s\" was accepted", records[i]);
	}
}

static void test_store_del_unknown_user(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(store_user_del(&f->st, "nobody"), -ENOENT);
}

static void test_store_del_removes_user_and_keeps_home(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *home = path_in(f, "homes/alice");
	cleanup_free char *dir = path_in(f, "users/alice");
	struct store_user user;

	add_user(f, "alice");
	assert_int_equal(store_key_add(&f->st, "alice", KEY_ED25519, NULL, 0), 1);
	assert_int_equal(mkdir(home, 0700), 0);

	assert_int_equal(store_user_del(&f->st, "alice"), 0);
	assert_int_equal(store_user_get(&f->st, "alice", &user), -ENOENT);
	assert_false(exists(dir));
	assert_true(exists(home));
}

static void test_store_del_removes_leftover_temp_file(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *dir = path_in(f, "users/alice");
	cleanup_free char *temp = path_in(f, "users/alice/authorized_keys.tmp.4242");

	add_user(f, "alice");
	write_text(temp, KEY_ED25519 "\n");
	assert_int_equal(store_user_del(&f->st, "alice"), 0);
	assert_false(exists(dir));
}

static void test_store_readds_user_over_leftover_dir(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *dir = path_in(f, "users/alice");
	cleanup_free char *keys = path_in(f, "users/alice/authorized_keys");

	/* What an interrupted delete leaves: keys without a record. */
	assert_int_equal(mkdir(dir, 0700), 0);
	write_text(keys, KEY_ED25519 "\n");

	add_user(f, "alice");
	assert_int_equal(key_allowed(f, "alice", KEY_ED25519), 0);
	assert_int_equal(key_count(f, "alice"), 0);
}

static void test_store_lists_users_sorted(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *leftover = path_in(f, "users/dave");
	cleanup_free char *foreign = path_in(f, "users/Not-A-User");
	cleanup_free char *temp = path_in(f, "users/.tmp");
	cleanup_free struct store_user *users = NULL;
	size_t count = 0;

	add_user(f, "carol");
	add_user(f, "alice");
	add_user(f, "bob");
	assert_int_equal(mkdir(leftover, 0700), 0);
	assert_int_equal(mkdir(foreign, 0700), 0);
	write_text(temp, "x");

	assert_int_equal(store_user_list(&f->st, &users, &count), 0);
	assert_int_equal(count, 3);
	assert_string_equal(users[0].name, "alice");
	assert_int_equal(users[0].uid_base, UID_BASE + UID_COUNT);
	assert_string_equal(users[1].name, "bob");
	assert_int_equal(users[1].uid_base, UID_BASE + 2 * UID_COUNT);
	assert_string_equal(users[2].name, "carol");
	assert_int_equal(users[2].uid_base, UID_BASE);
}

static void test_store_lists_no_users(void **state)
{
	struct fixture *f = *state;
	cleanup_free struct store_user *users = NULL;
	size_t count = 99;

	assert_int_equal(store_user_list(&f->st, &users, &count), 0);
	assert_int_equal(count, 0);
}

static void test_store_rejects_names_with_path_parts(void **state)
{
	static const char *const names[] = {
		"../etc", "a/b", "/abs", ".", "..", "", ".lock", "Alice", "a b", "alice\n",
		"abcdefghijklmnopqrstuvwxyz0123456",
	};
	struct fixture *f = *state;
	cleanup_free char *users_dir = path_in(f, "users");
	cleanup_free char *entries = NULL;
	struct authkey key;

	parse_key(KEY_ED25519, &key);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const char *name = names[i];
		struct store_user user;
		struct authkey *keys = NULL;
		size_t count = 0;
		char err[256];

		assert_int_equal(store_user_add(&f->st, name, NULL, &user), -EINVAL);
		assert_int_equal(store_user_get(&f->st, name, &user), -EINVAL);
		assert_int_equal(store_user_del(&f->st, name), -EINVAL);
		assert_int_equal(store_key_add(&f->st, name, KEY_ED25519, err, sizeof(err)),
				 -EINVAL);
		assert_int_equal(store_key_list(&f->st, name, &keys, &count), -EINVAL);
		assert_int_equal(store_key_del(&f->st, name, FP_ED25519), -EINVAL);
		assert_int_equal(store_key_allowed(&f->st, name, key.type, key.blob, key.blob_len),
				 0);
		assert_null(store_home_path(&f->st, name));
	}
	authkey_free(&key);

	/* Nothing was created, inside the store or beside it. */
	entries = list_dir(users_dir);
	assert_string_equal(entries, "");
	free(entries);
	entries = list_dir(f->dir);
	assert_string_equal(entries, "state");
}

/* ---- keys ---- */

static void test_store_adds_keys_from_multiline_text(void **state)
{
	struct fixture *f = *state;
	struct authkey *keys = NULL;
	size_t count = 0;
	char err[256] = "";
	int r;

	add_user(f, "alice");
	r = store_key_add(&f->st, "alice",
			  "# laptop\n" KEY_ED25519 "\n\n   \n# desk\n" KEY_RSA3072
			  "\r\n" KEY_ECDSA256,
			  err, sizeof(err));
	assert_int_equal(r, 3);
	assert_string_equal(err, "");

	assert_int_equal(store_key_list(&f->st, "alice", &keys, &count), 0);
	assert_int_equal(count, 3);
	assert_string_equal(keys[0].type, "ssh-ed25519");
	assert_string_equal(keys[0].comment, "alice@laptop");
	assert_string_equal(keys[1].type, "ssh-rsa");
	assert_int_equal(keys[1].bits, 3072);
	assert_string_equal(keys[2].type, "ecdsa-sha2-nistp256");
	assert_string_equal(keys[2].comment, "ecdsa256 key");
	for (size_t i = 0; i < count; i++)
		authkey_free(&keys[i]);
	free(keys);
}

static void test_store_writes_keys_file_in_canonical_form(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *path = path_in(f, "users/alice/authorized_keys");
	cleanup_free char *text = NULL;
	char expected[2048];
	int r;

	add_user(f, "alice");
	r = store_key_add(&f->st, "alice", "  " KEY_ED25519 "  \n" KEY_RSA2048, NULL, 0);
	assert_int_equal(r, 2);
	text = read_text(path);
	assert_int_equal(mode_of(path), 0600);
	/* Surrounding spaces go, so KEY_RSA2048, which has no comment, loses its
	 * trailing space. */
	snprintf(expected, sizeof(expected), "%s\n%.*s\n", KEY_ED25519,
		 (int)strlen(KEY_RSA2048) - 1, KEY_RSA2048);
	assert_string_equal(text, expected);
}

static void test_store_key_add_is_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *path = path_in(f, "users/alice/authorized_keys");
	char err[256] = "";
	int r;

	add_user(f, "alice");
	r = store_key_add(&f->st, "alice",
			  KEY_ED25519 "\n" KEY_RSA3072 "\nssh-ed25519 AAAA!!!! broken\n"
			  KEY_ECDSA256,
			  err, sizeof(err));
	assert_int_equal(r, -EINVAL);
	assert_string_equal(err, "line 3: invalid base64 in the key data");
	assert_false(exists(path));
	assert_int_equal(key_count(f, "alice"), 0);
	assert_int_equal(key_allowed(f, "alice", KEY_ED25519), 0);
}

static void test_store_key_add_reports_reason_of_bad_line(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} cases[] = {
		{ KEY_RSA1024, "line 1: RSA key of 1024 bits is too small (minimum 2048)" },
		{ "# cert\n" KEY_ED25519_CERT,
		  "line 2: certificate type ssh-ed25519-cert-v01@openssh.com is not accepted; add "
		  "the plain public key instead" },
		{ "from=\"10.0.0.1\" " KEY_ED25519,
		  "line 1: key options are not supported because Rexec does not enforce them; "
		  "remove \"from=\"10.0.0.1\"\"" },
	};
	struct fixture *f = *state;

	add_user(f, "alice");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char err[512] = "";

		assert_int_equal(store_key_add(&f->st, "alice", cases[i].text, err, sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, cases[i].err);
	}
	assert_int_equal(key_count(f, "alice"), 0);
}

static void test_store_key_add_skips_duplicates(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";

	add_user(f, "alice");
	assert_int_equal(store_key_add(&f->st, "alice", KEY_ED25519, err, sizeof(err)), 1);
	/* The same key again, also under another comment, and one key twice. */
	assert_int_equal(store_key_add(&f->st, "alice",
				       KEY_ED25519 "\n" KEY_RSA3072 "\n" KEY_RSA3072 " again\n"
						   "ssh-ed25519 "
						   "AAAAC3NzaC1lZDI1NTE5AAAAIGYjcvEvM6OSrgE"
						   "yNGA4UiFF/wjvV6RX3sY+a9Vib5Nm other comment",
				       err, sizeof(err)),
			 1);
	assert_int_equal(store_key_add(&f->st, "alice", KEY_RSA3072, err, sizeof(err)), 0);
	assert_int_equal(key_count(f, "alice"), 2);
}

static void test_store_key_add_rejects_empty_input(void **state)
{
	static const char *const texts[] = { "", "\n\n", "# only a comment\n   \n" };
	struct fixture *f = *state;

	add_user(f, "alice");
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		char err[256] = "";

		assert_int_equal(store_key_add(&f->st, "alice", texts[i], err, sizeof(err)),
				 -ENODATA);
		assert_string_equal(err, "no key found in the input");
	}
}

static void test_store_key_add_unknown_user(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *dir = path_in(f, "users/nobody");

	assert_int_equal(store_key_add(&f->st, "nobody", KEY_ED25519, NULL, 0), -ENOENT);
	assert_false(exists(dir));
}

static void test_store_key_add_keeps_existing_lines(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *path = path_in(f, "users/alice/authorized_keys");
	cleanup_free char *text = NULL;

	add_user(f, "alice");
	write_text(path, "# added by hand\nnot a key\n" KEY_ED25519);
	assert_int_equal(store_key_add(&f->st, "alice", KEY_ED25519_SECOND, NULL, 0), 1);
	text = read_text(path);
	assert_string_equal(text, "# added by hand\nnot a key\n" KEY_ED25519 "\n" KEY_ED25519_SECOND
				  "\n");
}

static void test_store_key_list_unknown_user(void **state)
{
	struct fixture *f = *state;
	struct authkey *keys = NULL;
	size_t count = 0;

	assert_int_equal(store_key_list(&f->st, "nobody", &keys, &count), -ENOENT);
}

static void test_store_key_list_without_keys_file(void **state)
{
	struct fixture *f = *state;

	add_user(f, "alice");
	assert_int_equal(key_count(f, "alice"), 0);
}

static void test_store_key_list_skips_invalid_lines(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *path = path_in(f, "users/alice/authorized_keys");

	add_user(f, "alice");
	write_text(path, "garbage\n" KEY_RSA1024 "\nno-pty " KEY_RSA3072 "\n" KEY_ED25519 "\n");
	assert_int_equal(key_count(f, "alice"), 1);
}

static void test_store_deletes_key_by_fingerprint(void **state)
{
	struct fixture *f = *state;
	struct authkey *keys = NULL;
	size_t count = 0;

	add_user(f, "alice");
	assert_int_equal(store_key_add(&f->st, "alice", KEY_ED25519 "\n" KEY_RSA3072, NULL, 0), 2);
	assert_int_equal(store_key_del(&f->st, "alice", FP_ED25519), 0);

	assert_int_equal(store_key_list(&f->st, "alice", &keys, &count), 0);
	assert_int_equal(count, 1);
	assert_string_equal(keys[0].type, "ssh-rsa");
	authkey_free(&keys[0]);
	free(keys);
	assert_int_equal(store_key_del(&f->st, "alice", FP_ED25519), -ENOENT);
}

static void test_store_key_del_unknown_fingerprint(void **state)
{
	static const char *const fingerprints[] = { FP_RSA3072, "SHA256:", "",
						    "YXWR26M+EjqrX/KY6CCIGl9s9M/Dl1gCitJZ6rlWCls" };
	struct fixture *f = *state;

	add_user(f, "alice");
	assert_int_equal(store_key_add(&f->st, "alice", KEY_ED25519, NULL, 0), 1);
	for (size_t i = 0; i < ARRAY_SIZE(fingerprints); i++)
		assert_int_equal(store_key_del(&f->st, "alice", fingerprints[i]), -ENOENT);
	assert_int_equal(key_count(f, "alice"), 1);
}

static void test_store_key_del_unknown_user(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(store_key_del(&f->st, "nobody", FP_ED25519), -ENOENT);
}

static void test_store_key_del_keeps_other_lines(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *path = path_in(f, "users/alice/authorized_keys");
	cleanup_free char *text = NULL;

	add_user(f, "alice");
	write_text(path, "# note\n" KEY_ED25519 "\nnot a key\n" KEY_ED25519_SECOND "\n");
	assert_int_equal(store_key_del(&f->st, "alice", FP_ED25519), 0);
	text = read_text(path);
	assert_string_equal(text, "# note\nnot a key\n" KEY_ED25519_SECOND "\n");
}

/* ---- key_allowed ---- */

static void test_store_allows_added_key(void **state)
{
	struct fixture *f = *state;

	add_user(f, "alice");
	assert_int_equal(store_key_add(&f->st, "alice", KEY_ED25519 "\n" KEY_SK_ECDSA, NULL, 0), 2);
	assert_int_equal(key_allowed(f, "alice", KEY_ED25519), 1);
	assert_int_equal(key_allowed(f, "alice", KEY_SK_ECDSA), 1);
}

static void test_store_denies_other_key(void **state)
{
	struct fixture *f = *state;

	add_user(f, "alice");
	add_user(f, "bob");
	assert_int_equal(store_key_add(&f->st, "alice", KEY_ED25519, NULL, 0), 1);
	assert_int_equal(store_key_add(&f->st, "bob", KEY_RSA3072, NULL, 0), 1);
	assert_int_equal(key_allowed(f, "alice", KEY_ED25519_SECOND), 0);
	assert_int_equal(key_allowed(f, "alice", KEY_RSA3072), 0);
	assert_int_equal(key_allowed(f, "bob", KEY_ED25519), 0);
}

static void test_store_denies_key_with_other_type(void **state)
{
	struct fixture *f = *state;
	struct authkey key;

	add_user(f, "alice");
	assert_int_equal(store_key_add(&f->st, "alice", KEY_ED25519, NULL, 0), 1);
	parse_key(KEY_ED25519, &key);
	assert_int_equal(store_key_allowed(&f->st, "alice", "ssh-rsa", key.blob, key.blob_len), 0);
	assert_int_equal(store_key_allowed(&f->st, "alice", "ssh-ed25519", key.blob,
					   key.blob_len - 1),
			 0);
	authkey_free(&key);
}

static void test_store_denies_key_after_delete(void **state)
{
	struct fixture *f = *state;

	add_user(f, "alice");
	assert_int_equal(store_key_add(&f->st, "alice", KEY_ED25519, NULL, 0), 1);
	assert_int_equal(store_key_del(&f->st, "alice", FP_ED25519), 0);
	assert_int_equal(key_allowed(f, "alice", KEY_ED25519), 0);
}

static void test_store_denies_key_after_user_delete(void **state)
{
	struct fixture *f = *state;

	add_user(f, "alice");
	assert_int_equal(store_key_add(&f->st, "alice", KEY_ED25519, NULL, 0), 1);
	assert_int_equal(store_user_del(&f->st, "alice"), 0);
	assert_int_equal(key_allowed(f, "alice", KEY_ED25519), 0);
}

static void test_store_denies_unknown_user(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(key_allowed(f, "nobody", KEY_ED25519), 0);
	assert_int_equal(key_allowed(f, "../nobody", KEY_ED25519), 0);
}

static void test_store_denies_user_without_keys(void **state)
{
	struct fixture *f = *state;

	add_user(f, "alice");
	assert_int_equal(key_allowed(f, "alice", KEY_ED25519), 0);
}

static void test_store_allowed_ignores_invalid_lines(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *path = path_in(f, "users/alice/authorized_keys");
	uint8_t blob[1024];
	size_t blob_len;

	add_user(f, "alice");
	write_text(path, "garbage line\n"
			 "ssh-ed25519 AAAA!!!!\n" KEY_ED25519_CERT "\n"
			 "from=\"10.0.0.1\" " KEY_RSA3072 "\n" KEY_RSA1024 "\n" KEY_ED25519 "\n");
	assert_int_equal(key_allowed(f, "alice", KEY_ED25519), 1);
	/* A key with options is ignored, because Rexec does not enforce options. */
	assert_int_equal(key_allowed(f, "alice", KEY_RSA3072), 0);
	blob_len = decode_blob(KEY_RSA1024, blob, sizeof(blob));
	assert_int_equal(store_key_allowed(&f->st, "alice", "ssh-rsa", blob, blob_len), 0);
}

static void test_store_allowed_reads_file_at_each_call(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *path = path_in(f, "users/alice/authorized_keys");

	add_user(f, "alice");
	assert_int_equal(key_allowed(f, "alice", KEY_ED25519), 0);
	assert_int_equal(store_key_add(&f->st, "alice", KEY_ED25519, NULL, 0), 1);
	assert_int_equal(key_allowed(f, "alice", KEY_ED25519), 1);
	write_text(path, KEY_ED25519_SECOND "\n");
	assert_int_equal(key_allowed(f, "alice", KEY_ED25519), 0);
}

/* ---- atomic writes ---- */

static void test_store_writes_leave_no_temp_file(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *users_dir = path_in(f, "users");
	cleanup_free char *user_dir = path_in(f, "users/alice");
	cleanup_free char *entries = NULL;

	add_user(f, "alice");
	add_user(f, "bob");
	assert_int_equal(store_key_add(&f->st, "alice", KEY_ED25519 "\n" KEY_RSA3072, NULL, 0), 2);
	assert_int_equal(store_key_del(&f->st, "alice", FP_RSA3072), 0);
	assert_int_equal(store_user_del(&f->st, "bob"), 0);

	entries = list_dir(user_dir);
	assert_string_equal(entries, "authorized_keys user");
	free(entries);
	entries = list_dir(users_dir);
	assert_string_equal(entries, ".lock .retired alice");
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_store_open_creates_layout),
		cmocka_unit_test(test_store_open_rejects_relative_dir),
		TEST(test_store_home_path),
		TEST(test_store_adds_user_with_first_range),
		TEST(test_store_user_record_format),
		TEST(test_store_allocates_ranges_in_order),
		TEST(test_store_never_reuses_deleted_range),
		TEST(test_store_readded_user_gets_old_range),
		TEST(test_store_skips_ranges_of_other_alignment),
		TEST(test_store_runs_out_of_uid_ranges),
		TEST(test_store_rejects_duplicate_user),
		TEST(test_store_get_unknown_user),
		TEST(test_store_rejects_corrupt_record),
		TEST(test_store_del_unknown_user),
		TEST(test_store_del_removes_user_and_keeps_home),
		TEST(test_store_del_removes_leftover_temp_file),
		TEST(test_store_readds_user_over_leftover_dir),
		TEST(test_store_lists_users_sorted),
		TEST(test_store_lists_no_users),
		TEST(test_store_rejects_names_with_path_parts),
		TEST(test_store_adds_keys_from_multiline_text),
		TEST(test_store_writes_keys_file_in_canonical_form),
		TEST(test_store_key_add_is_all_or_nothing),
		TEST(test_store_key_add_reports_reason_of_bad_line),
		TEST(test_store_key_add_skips_duplicates),
		TEST(test_store_key_add_rejects_empty_input),
		TEST(test_store_key_add_unknown_user),
		TEST(test_store_key_add_keeps_existing_lines),
		TEST(test_store_key_list_unknown_user),
		TEST(test_store_key_list_without_keys_file),
		TEST(test_store_key_list_skips_invalid_lines),
		TEST(test_store_deletes_key_by_fingerprint),
		TEST(test_store_key_del_unknown_fingerprint),
		TEST(test_store_key_del_unknown_user),
		TEST(test_store_key_del_keeps_other_lines),
		TEST(test_store_allows_added_key),
		TEST(test_store_denies_other_key),
		TEST(test_store_denies_key_with_other_type),
		TEST(test_store_denies_key_after_delete),
		TEST(test_store_denies_key_after_user_delete),
		TEST(test_store_denies_unknown_user),
		TEST(test_store_denies_user_without_keys),
		TEST(test_store_allowed_ignores_invalid_lines),
		TEST(test_store_allowed_reads_file_at_each_call),
		TEST(test_store_writes_leave_no_temp_file),
		TEST(test_store_records_tier),
		TEST(test_store_user_without_tier_has_empty_tier),
		TEST(test_store_set_tier_keeps_other_fields),
		TEST(test_store_set_tier_rejects_unknown_user),
		TEST(test_store_rejects_invalid_tier_name),
		TEST(test_store_rejects_record_with_invalid_tier),
	};

	/* Lines the store skips are logged at warn; keep test output to failures. */
	log_init("test_store", false, LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
