/* The user and key store: plain files under the state directory, replaced
 * atomically, with writers serialised by flock(2) on users/.lock. Readers
 * take no lock because every file they read is replaced by rename(2). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rexec/config.h"
#include "rexec/log.h"
#include "rexec/store.h"
#include "rexec/username.h"
#include "rexec/util.h"

#define RECORD_FILE      "user"
/* "name uid_base" lines: ranges of deleted users, never handed to another
 * user, because their homes (kept on delete) and any sandbox still running
 * own files and processes in them. */
#define RETIRED_FILE     ".retired"
#define RETIRED_MAX      (4 * 1024 * 1024)
#define KEYS_FILE        "authorized_keys"
#define RECORD_MAX       4096
#define KEYS_FILE_MAX    (1024 * 1024)
#define UID_MAX_VALID    0xfffffffeULL /* (uid_t)-1 means "no uid" to the kernel */

_Static_assert(sizeof(((struct store_user *)0)->name) > USERNAME_MAX, "name fits a user name");
_Static_assert(STORE_TIER_MAX == CONFIG_TIER_NAME_MAX, "tier fits a tier name");

/* A growable array of parsed keys. */
struct key_list {
	struct authkey *keys;
	size_t count;
	size_t capacity;
};

static void key_list_free(struct key_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		authkey_free(&list->keys[i]);
	free(list->keys);
	memset(list, 0, sizeof(*list));
}

#define cleanup_key_list __attribute__((cleanup(key_list_free)))

static void closedirp(DIR **dir)
{
	if (*dir)
		closedir(*dir);
}

#define cleanup_closedir __attribute__((cleanup(closedirp)))

/* Takes ownership of *key on success. */
static int key_list_push(struct key_list *list, struct authkey *key)
{
	if (list->count == list->capacity) {
		size_t capacity = list->capacity ? list->capacity * 2 : 8;
		struct authkey *keys = reallocarray(list->keys, capacity, sizeof(*keys));

		if (!keys)
			return -ENOMEM;
		list->keys = keys;
		list->capacity = capacity;
	}
	list->keys[list->count++] = *key;
	memset(key, 0, sizeof(*key));
	return 0;
}

static bool key_list_contains(const struct key_list *list, const char *type, const uint8_t *blob,
			      size_t blob_len)
{
	for (size_t i = 0; i < list->count; i++) {
		if (authkey_equal(&list->keys[i], type, blob, blob_len))
			return true;
	}
	return false;
}

__attribute__((format(printf, 3, 4))) static void set_error(char *err, size_t err_len,
							   const char *fmt, ...)
{
	va_list ap;

	if (!err || err_len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
}

/* ---- paths and files ---- */

/* Returns "<state>/users/<name>/<file>" (or the directory when file is
 * NULL). name must already be valid. */
static char *user_path(const struct store *st, const char *name, const char *file)
{
	char *path;
	int n;

	if (file)
		n = asprintf(&path, "%s/users/%s/%s", st->state_dir, name, file);
	else
		n = asprintf(&path, "%s/users/%s", st->state_dir, name);
	return n < 0 ? NULL : path;
}

/* Returns an fd holding the store's write lock, or a negative errno. The
 * lock is released when the fd is closed. */
static int lock_store(const struct store *st)
{
	cleanup_free char *path = NULL;
	cleanup_close int fd = -1;

	if (asprintf(&path, "%s/users/.lock", st->state_dir) < 0)
		return -ENOMEM;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return util_steal_fd(&fd);
}

/* Reads a user's file; a missing file is returned as empty when
 * missing_ok. A file with a NUL byte is rejected (-EBADMSG) because the
 * line parser would silently stop there. */
static int read_user_file(const struct store *st, const char *name, const char *file,
			  size_t max_len, bool missing_ok, char **out)
{
	cleanup_free char *path = user_path(st, name, file);
	size_t len;
	int r;

	if (!path)
		return -ENOMEM;
	r = util_read_file(path, max_len, out, &len);
	if (r == -ENOENT && missing_ok) {
		*out = strdup("");
		return *out ? 0 : -ENOMEM;
	}
	if (r < 0)
		return r;
	if (memchr(*out, '\0', len)) {
		free(*out);
		*out = NULL;
		return -EBADMSG;
	}
	return 0;
}

static int write_user_file(const struct store *st, const char *name, const char *file,
			   const char *data)
{
	cleanup_free char *path = user_path(st, name, file);

	if (!path)
		return -ENOMEM;
	return util_write_file_atomic(path, data, strlen(data), 0600);
}

/* Reads the retired ranges into a malloc'd array; a missing file is an
 * empty list. Lines that do not parse are skipped: losing one only risks
 * what the ledger protects, while failing would block every user add. */
static int read_retired(const struct store *st, struct store_user **out, size_t *count)
{
	cleanup_free char *path = NULL, *text = NULL;
	struct store_user *list = NULL;
	size_t n = 0, capacity = 0;
	int r;

	*out = NULL;
	*count = 0;
	if (asprintf(&path, "%s/users/%s", st->state_dir, RETIRED_FILE) < 0)
		return -ENOMEM;
	r = util_read_file(path, RETIRED_MAX, &text, NULL);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;

	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char name[USERNAME_MAX + 1];
		unsigned long long base;

		if (sscanf(line, "%32s %llu", name, &base) != 2 || !username_is_valid(name) ||
		    base > UID_MAX_VALID)
			continue;
		if (n == capacity) {
			struct store_user *grown;

			capacity = capacity ? capacity * 2 : 16;
			grown = realloc(list, capacity * sizeof(*list));
			if (!grown) {
				free(list);
				return -ENOMEM;
			}
			list = grown;
		}
		memset(&list[n], 0, sizeof(list[n]));
		snprintf(list[n].name, sizeof(list[n].name), "%s", name);
		list[n].uid_base = (uid_t)base;
		n++;
	}
	*out = list;
	*count = n;
	return 0;
}

/* Rewrites the ledger as list without the entry of skip_name (NULL: none)
 * and with add (NULL: none) appended. */
static int write_retired(const struct store *st, const struct store_user *list, size_t count,
			 const char *skip_name, const struct store_user *add)
{
	cleanup_free char *path = NULL, *text = NULL;
	size_t used = 0, capacity = (count + 1) * (USERNAME_MAX + 16) + 1;

	if (asprintf(&path, "%s/users/%s", st->state_dir, RETIRED_FILE) < 0)
		return -ENOMEM;
	text = malloc(capacity);
	if (!text)
		return -ENOMEM;
	text[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		if (skip_name && strcmp(list[i].name, skip_name) == 0)
			continue;
		used += (size_t)snprintf(text + used, capacity - used, "%s %u\n", list[i].name,
					 (unsigned)list[i].uid_base);
	}
	if (add)
		snprintf(text + used, capacity - used, "%s %u\n", add->name,
			 (unsigned)add->uid_base);
	return util_write_file_atomic(path, text, strlen(text), 0600);
}

/* Returns the next line of *cursor, terminated in place, and advances
 * *cursor past it; NULL at the end of the text. */
static char *next_line(char **cursor)
{
	char *line = *cursor;
	char *newline;

	if (*line == '\0')
		return NULL;
	newline = strchr(line, '\n');
	if (newline) {
		*newline = '\0';
		*cursor = newline + 1;
	} else {
		*cursor = line + strlen(line);
	}
	return line;
}

/* ---- user records ---- */

/* Returns true for NULL, "" (DefaultTier) or a valid tier name. */
static bool tier_is_valid(const char *tier)
{
	return !tier || tier[0] == '\0' || config_tier_name_is_valid(tier);
}

/* Parses "key=value" lines. uid_base is required; unknown keys are
 * skipped so that a later version can add fields. A record without a
 * tier line (written before tiers existed) gets DefaultTier. */
static int parse_record(char *text, struct store_user *out)
{
	bool have_uid = false;
	char *line;

	out->created = 0;
	out->tier[0] = '\0';
	while ((line = next_line(&text))) {
		char *end;
		unsigned long long value;

		if (strncmp(line, "uid_base=", 9) == 0) {
			errno = 0;
			value = strtoull(line + 9, &end, 10);
			if (errno || end == line + 9 || *end || line[9] == '-' ||
			    value > UID_MAX_VALID)
				return -EBADMSG;
			out->uid_base = (uid_t)value;
			have_uid = true;
		} else if (strncmp(line, "created=", 8) == 0) {
			errno = 0;
			value = strtoull(line + 8, &end, 10);
			if (errno || end == line + 8 || *end || line[8] == '-' || value > INT64_MAX)
				return -EBADMSG;
			out->created = (long long)value;
		} else if (strncmp(line, "tier=", 5) == 0) {
			if (!tier_is_valid(line + 5))
				return -EBADMSG;
			snprintf(out->tier, sizeof(out->tier), "%s", line + 5);
		}
	}
	return have_uid ? 0 : -EBADMSG;
}

int store_user_get(struct store *st, const char *name, struct store_user *out)
{
	cleanup_free char *text = NULL;
	int r;

	if (!username_is_valid(name))
		return -EINVAL;
	r = read_user_file(st, name, RECORD_FILE, RECORD_MAX, false, &text);
	if (r < 0)
		return r;

	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", name);
	return parse_record(text, out);
}

static int write_record(const struct store *st, const struct store_user *user)
{
	char text[128 + STORE_TIER_MAX];

	snprintf(text, sizeof(text), "uid_base=%u\ncreated=%lld\n", (unsigned)user->uid_base,
		 user->created);
	if (user->tier[0]) {
		size_t used = strlen(text);

		snprintf(text + used, sizeof(text) - used, "tier=%s\n", user->tier);
	}
	return write_user_file(st, user->name, RECORD_FILE, text);
}

static int compare_users(const void *a, const void *b)
{
	return strcmp(((const struct store_user *)a)->name, ((const struct store_user *)b)->name);
}

/* Appends the record of the directory entry name to the array, unless
 * the entry is not a user: dot files, foreign names, or a directory left
 * without a record by an interrupted add or delete. An invalid record is
 * an error, because its uid range would otherwise be handed out again. */
static int collect_user(struct store *st, const char *name, struct store_user **users,
			size_t *count, size_t *capacity)
{
	struct store_user user;
	int r;

	if (!username_is_valid(name))
		return 0;
	r = store_user_get(st, name, &user);
	if (r == -ENOENT || r == -ENOTDIR)
		return 0;
	if (r == -EBADMSG)
		log_error("store: user=%s invalid record %s/users/%s/" RECORD_FILE
			  "; fix or delete the user",
			  name, st->state_dir, name);
	if (r < 0)
		return r;

	if (*count == *capacity) {
		size_t grown = *capacity ? *capacity * 2 : 16;
		struct store_user *array = reallocarray(*users, grown, sizeof(*array));

		if (!array)
			return -ENOMEM;
		*users = array;
		*capacity = grown;
	}
	(*users)[(*count)++] = user;
	return 0;
}

int store_user_list(struct store *st, struct store_user **out, size_t *count)
{
	cleanup_free char *path = NULL;
	cleanup_closedir DIR *dir = NULL;
	cleanup_free struct store_user *users = NULL;
	size_t used = 0, capacity = 0;
	struct dirent *entry;
	int fd, r;

	if (asprintf(&path, "%s/users", st->state_dir) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		r = -errno;
		close(fd);
		return r;
	}

	for (;;) {
		errno = 0;
		entry = readdir(dir);
		if (!entry)
			break;
		r = collect_user(st, entry->d_name, &users, &used, &capacity);
		if (r < 0)
			return r;
	}
	if (errno)
		return -errno;

	if (used > 0)
		qsort(users, used, sizeof(*users), compare_users);
	*out = users;
	*count = used;
	users = NULL;
	return 0;
}

static int compare_uids(const void *a, const void *b)
{
	uid_t x = *(const uid_t *)a, y = *(const uid_t *)b;

	return x < y ? -1 : x > y;
}

/* Finds uid_base + k * uid_count for the lowest k whose range overlaps no
 * existing user's range. Existing ranges may start anywhere (UidBase may
 * have changed), but each is assumed to be uid_count long.
 * NOTE: records do not store their range size, so after UidsPerUser is
 * lowered a new range can overlap the end of an older, longer one. */
static int find_free_uid_base(struct store *st, uid_t *out)
{
	cleanup_free struct store_user *users = NULL, *retired = NULL;
	cleanup_free uid_t *bases = NULL;
	uint64_t count = st->uid_count;
	uint64_t candidate = st->uid_base;
	size_t n = 0, n_retired = 0;
	int r = store_user_list(st, &users, &n);

	if (r < 0)
		return r;
	r = read_retired(st, &retired, &n_retired);
	if (r < 0)
		return r;
	bases = calloc(n + n_retired ? n + n_retired : 1, sizeof(*bases));
	if (!bases)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		bases[i] = users[i].uid_base;
	for (size_t i = 0; i < n_retired; i++)
		bases[n + i] = retired[i].uid_base;
	n += n_retired;
	qsort(bases, n, sizeof(*bases), compare_uids);

	for (size_t i = 0; i < n; i++) {
		uint64_t start = bases[i];

		if (start + count <= candidate)
			continue;
		if (start >= candidate + count)
			break;
		/* Overlap: move to the first aligned slot after this range. */
		candidate = st->uid_base +
			    (start + count - st->uid_base + count - 1) / count * count;
	}

	if (candidate + count - 1 > UID_MAX_VALID)
		return -ENOSPC;
	*out = (uid_t)candidate;
	return 0;
}

/* Removes every entry left in a user's directory (temporary files of an
 * interrupted write) and the directory itself. */
static int remove_user_dir(const struct store *st, const char *name)
{
	cleanup_free char *path = user_path(st, name, NULL);
	cleanup_closedir DIR *dir = NULL;
	struct dirent *entry;
	int fd;

	if (!path)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	dir = fdopendir(fd);
	if (!dir) {
		int r = -errno;

		close(fd);
		return r;
	}

	for (;;) {
		errno = 0;
		entry = readdir(dir);
		if (!entry)
			break;
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		if (unlinkat(dirfd(dir), entry->d_name, 0) < 0 && errno != ENOENT)
			return -errno;
	}
	if (errno)
		return -errno;
	if (rmdir(path) < 0)
		return -errno;
	return 0;
}

static int unlink_user_file(const struct store *st, const char *name, const char *file)
{
	cleanup_free char *path = user_path(st, name, file);

	if (!path)
		return -ENOMEM;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Creates users/<name>/ without keys. A directory that is already there
 * has no record (the caller checked), so it is a leftover of an
 * interrupted add or delete, and any keys in it are removed. */
static int create_user_dir(const struct store *st, const char *name)
{
	cleanup_free char *path = user_path(st, name, NULL);

	if (!path)
		return -ENOMEM;
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	return unlink_user_file(st, name, KEYS_FILE);
}

/* A user added again under the name of a deleted one gets that range
 * back, so the kept home is theirs again. Returns -ENOENT if none. */
static int take_retired_range(struct store *st, const char *name, uid_t *base)
{
	cleanup_free struct store_user *retired = NULL;
	size_t n = 0;
	int r = read_retired(st, &retired, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(retired[i].name, name) == 0) {
			*base = retired[i].uid_base;
			return 0;
		}
	}
	return -ENOENT;
}

static int forget_retired_range(struct store *st, const char *name)
{
	cleanup_free struct store_user *retired = NULL;
	size_t n = 0;
	bool found = false;
	int r = read_retired(st, &retired, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		found |= strcmp(retired[i].name, name) == 0;
	return found ? write_retired(st, retired, n, name, NULL) : 0;
}

static int retire_range(struct store *st, const struct store_user *user)
{
	cleanup_free struct store_user *retired = NULL;
	size_t n = 0;
	int r = read_retired(st, &retired, &n);

	if (r < 0)
		return r;
	return write_retired(st, retired, n, user->name, user);
}

/* Checks name and tier (NULL is valid), takes the store's write lock and
 * reads the user's record into user, with store_user_get's result in
 * *get_result. Returns the lock fd or a negative errno. */
static int lock_and_read_user(struct store *st, const char *name, const char *tier,
			      struct store_user *user, int *get_result)
{
	int lock;

	if (!username_is_valid(name) || !tier_is_valid(tier))
		return -EINVAL;
	lock = lock_store(st);
	if (lock >= 0)
		*get_result = store_user_get(st, name, user);
	return lock;
}

int store_user_add(struct store *st, const char *name, const char *tier, struct store_user *out)
{
	cleanup_close int lock = -1;
	struct store_user user;
	int r = 0;

	lock = lock_and_read_user(st, name, tier, &user, &r);
	if (lock < 0)
		return lock;
	if (r == 0)
		return -EEXIST;
	if (r != -ENOENT)
		return r;

	memset(&user, 0, sizeof(user));
	snprintf(user.name, sizeof(user.name), "%s", name);
	user.created = (long long)time(NULL);
	snprintf(user.tier, sizeof(user.tier), "%s", tier ? tier : "");
	r = take_retired_range(st, name, &user.uid_base);
	if (r == -ENOENT)
		r = find_free_uid_base(st, &user.uid_base);
	if (r < 0)
		return r;

	r = create_user_dir(st, name);
	if (r < 0)
		return r;
	r = write_record(st, &user);
	if (r < 0)
		return r;
	r = forget_retired_range(st, name);
	if (r < 0)
		return r;
	if (out)
		*out = user;
	return 0;
}

int store_user_set_tier(struct store *st, const char *name, const char *tier)
{
	cleanup_close int lock = -1;
	struct store_user user;
	int r = 0;

	lock = lock_and_read_user(st, name, tier, &user, &r);
	if (lock < 0)
		return lock;
	if (r < 0)
		return r;
	snprintf(user.tier, sizeof(user.tier), "%s", tier ? tier : "");
	return write_record(st, &user);
}

int store_user_del(struct store *st, const char *name)
{
	cleanup_close int lock = -1;
	struct store_user user;
	int r = 0;

	lock = lock_and_read_user(st, name, NULL, &user, &r);
	if (lock < 0)
		return lock;
	if (r < 0 && r != -EBADMSG)
		return r;
	/* The range is retired before anything is removed, so an interrupted
	 * delete can never free it for another user. */
	if (r == 0) {
		r = retire_range(st, &user);
		if (r < 0)
			return r;
	}

	/* Keys go first: if this is interrupted, the user remains without
	 * keys, never the keys without the user. */
	r = unlink_user_file(st, name, KEYS_FILE);
	if (r < 0)
		return r;
	r = unlink_user_file(st, name, RECORD_FILE);
	if (r < 0)
		return r;
	return remove_user_dir(st, name);
}

/* ---- keys ---- */

/* Parses one line as the store accepts it. Key options are rejected
 * because Rexec does not enforce them, so accepting from="..." or
 * command="..." would grant more access than the line permits. */
static int parse_stored_key(const char *line, struct authkey *key, char *err, size_t err_len)
{
	int r = authkey_parse(line, key, err, err_len);

	if (r < 0)
		return r;
	if (key->options) {
		set_error(err, err_len,
			  "key options are not supported because Rexec does not enforce them; "
			  "remove \"%s\"",
			  key->options);
		authkey_free(key);
		return -EINVAL;
	}
	return 0;
}

/* Parses every valid key of an authorized_keys text. Invalid lines are
 * logged and skipped, so one bad line never locks out the other keys. */
static int parse_keys_file(const char *user, char *text, struct key_list *list)
{
	unsigned line_no = 0;
	char *line;

	while ((line = next_line(&text))) {
		struct authkey key;
		char err[256];
		int r;

		line_no++;
		r = parse_stored_key(line, &key, err, sizeof(err));
		if (r == -ENODATA)
			continue;
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			log_warn("store: user=%s " KEYS_FILE " line %u ignored: %s", user, line_no,
				 err);
			continue;
		}
		r = key_list_push(list, &key);
		if (r < 0) {
			authkey_free(&key);
			return r;
		}
	}
	return 0;
}

/* Parses the keys to add; all of them must be valid. */
static int parse_new_keys(const char *text, struct key_list *list, char *err, size_t err_len)
{
	cleanup_free char *copy = strdup(text);
	char *cursor = copy, *line;
	unsigned line_no = 0;

	if (!copy)
		return -ENOMEM;
	while ((line = next_line(&cursor))) {
		struct authkey key;
		char reason[256];
		int r;

		line_no++;
		r = parse_stored_key(line, &key, reason, sizeof(reason));
		if (r == -ENODATA)
			continue;
		if (r < 0) {
			set_error(err, err_len, "line %u: %s", line_no, reason);
			return r;
		}
		r = key_list_push(list, &key);
		if (r < 0) {
			authkey_free(&key);
			return r;
		}
	}
	if (list->count == 0) {
		set_error(err, err_len, "no key found in the input");
		return -ENODATA;
	}
	return 0;
}

/* Returns whether added->keys[index] is already in present or earlier in
 * added. */
static bool is_duplicate(const struct key_list *added, size_t index, const struct key_list *present)
{
	const struct authkey *key = &added->keys[index];

	for (size_t i = 0; i < index; i++) {
		if (authkey_equal(&added->keys[i], key->type, key->blob, key->blob_len))
			return true;
	}
	return key_list_contains(present, key->type, key->blob, key->blob_len);
}

/* Appends a line to *text for each key in added that is not a duplicate.
 * Returns the number of lines appended. */
static int append_new_keys(const struct key_list *added, const struct key_list *present,
			   char **text)
{
	int appended = 0;

	for (size_t i = 0; i < added->count; i++) {
		cleanup_free char *line = NULL;
		char *grown;

		if (is_duplicate(added, i, present))
			continue;
		line = authkey_format(&added->keys[i]);
		if (!line || asprintf(&grown, "%s%s\n", *text, line) < 0)
			return -ENOMEM;
		free(*text);
		*text = grown;
		appended++;
	}
	return appended;
}

static int require_user(struct store *st, const char *user)
{
	struct store_user record;

	return store_user_get(st, user, &record);
}

int store_key_add(struct store *st, const char *user, const char *text, char *err,
		  size_t err_len)
{
	cleanup_key_list struct key_list added = { 0 };
	cleanup_key_list struct key_list present = { 0 };
	cleanup_close int lock = -1;
	cleanup_free char *content = NULL;
	cleanup_free char *parse_copy = NULL;
	int appended, r;

	set_error(err, err_len, "%s", "");
	if (!username_is_valid(user))
		return -EINVAL;
	r = parse_new_keys(text, &added, err, err_len);
	if (r < 0)
		return r;

	lock = lock_store(st);
	if (lock < 0)
		return lock;
	r = require_user(st, user);
	if (r < 0)
		return r;

	r = read_user_file(st, user, KEYS_FILE, KEYS_FILE_MAX, true, &content);
	if (r < 0)
		return r;
	parse_copy = strdup(content);
	if (!parse_copy)
		return -ENOMEM;
	r = parse_keys_file(user, parse_copy, &present);
	if (r < 0)
		return r;

	/* Keep the file as it is, ending in a newline, and append. */
	if (content[0] && content[strlen(content) - 1] != '\n') {
		char *terminated;

		if (asprintf(&terminated, "%s\n", content) < 0)
			return -ENOMEM;
		free(content);
		content = terminated;
	}
	appended = append_new_keys(&added, &present, &content);
	if (appended <= 0)
		return appended;
	if (strlen(content) > KEYS_FILE_MAX) {
		set_error(err, err_len, KEYS_FILE " would be larger than %d bytes", KEYS_FILE_MAX);
		return -EFBIG;
	}

	r = write_user_file(st, user, KEYS_FILE, content);
	return r < 0 ? r : appended;
}

int store_key_list(struct store *st, const char *user, struct authkey **out, size_t *count)
{
	cleanup_key_list struct key_list list = { 0 };
	cleanup_free char *content = NULL;
	int r;

	if (!username_is_valid(user))
		return -EINVAL;
	r = require_user(st, user);
	if (r < 0)
		return r;
	r = read_user_file(st, user, KEYS_FILE, KEYS_FILE_MAX, true, &content);
	if (r < 0)
		return r;
	r = parse_keys_file(user, content, &list);
	if (r < 0)
		return r;

	*out = list.keys;
	*count = list.count;
	memset(&list, 0, sizeof(list));
	return 0;
}

/* Returns whether line contains a valid key with this fingerprint. */
static bool line_has_fingerprint(const char *line, const char *fingerprint)
{
	struct authkey key;
	char line_fingerprint[AUTHKEYS_FINGERPRINT_MAX];
	bool match;

	if (parse_stored_key(line, &key, NULL, 0) < 0)
		return false;
	match = authkey_fingerprint(key.blob, key.blob_len, line_fingerprint,
				    sizeof(line_fingerprint)) == 0 &&
		strcmp(line_fingerprint, fingerprint) == 0;
	authkey_free(&key);
	return match;
}

/* Copies text to *out without the lines whose key has this fingerprint.
 * Returns the number of lines removed. */
static int filter_keys(char *text, const char *fingerprint, char **out)
{
	size_t len = strlen(text);
	char *remaining = malloc(len + 2);
	char *cursor = text, *line;
	size_t used = 0;
	int removed = 0;

	if (!remaining)
		return -ENOMEM;
	while ((line = next_line(&cursor))) {
		size_t line_len = strlen(line);

		if (line_has_fingerprint(line, fingerprint)) {
			removed++;
			continue;
		}
		memcpy(remaining + used, line, line_len);
		used += line_len;
		remaining[used++] = '\n';
	}
	remaining[used] = '\0';
	*out = remaining;
	return removed;
}

int store_key_del(struct store *st, const char *user, const char *fingerprint)
{
	cleanup_close int lock = -1;
	cleanup_free char *content = NULL;
	cleanup_free char *remaining = NULL;
	int removed, r;

	if (!username_is_valid(user))
		return -EINVAL;
	lock = lock_store(st);
	if (lock < 0)
		return lock;
	r = require_user(st, user);
	if (r < 0)
		return r;

	r = read_user_file(st, user, KEYS_FILE, KEYS_FILE_MAX, true, &content);
	if (r < 0)
		return r;
	removed = filter_keys(content, fingerprint, &remaining);
	if (removed < 0)
		return removed;
	if (removed == 0)
		return -ENOENT;
	return write_user_file(st, user, KEYS_FILE, remaining);
}

int store_key_allowed(struct store *st, const char *user, const char *key_type,
		      const uint8_t *blob, size_t blob_len)
{
	cleanup_key_list struct key_list list = { 0 };
	cleanup_free char *content = NULL;
	int r;

	/* The name comes from the client, so an invalid one is simply unknown. */
	if (!username_is_valid(user))
		return 0;
	r = require_user(st, user);
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;

	r = read_user_file(st, user, KEYS_FILE, KEYS_FILE_MAX, true, &content);
	if (r < 0)
		return r;
	r = parse_keys_file(user, content, &list);
	if (r < 0)
		return r;
	return key_list_contains(&list, key_type, blob, blob_len) ? 1 : 0;
}

/* ---- the store ---- */

static int make_dir(const char *state_dir, const char *sub, mode_t mode)
{
	cleanup_free char *path = NULL;

	if (asprintf(&path, "%s/%s", state_dir, sub) < 0)
		return -ENOMEM;
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int store_open(struct store *st, const char *state_dir, uid_t uid_base, uint32_t uid_count)
{
	int r;

	memset(st, 0, sizeof(*st));
	if (!state_dir || state_dir[0] != '/' || uid_count == 0)
		return -EINVAL;

	/* homes/ and the state directory are 0711 because each sandbox, as
	 * its own host uid, must be able to reach its home below them. */
	r = util_mkdir_p(state_dir, 0711);
	if (r < 0)
		return r;
	r = make_dir(state_dir, "users", 0700);
	if (r < 0)
		return r;
	r = make_dir(state_dir, "homes", 0711);
	if (r < 0)
		return r;

	st->state_dir = strdup(state_dir);
	if (!st->state_dir)
		return -ENOMEM;
	st->uid_base = uid_base;
	st->uid_count = uid_count;
	return 0;
}

void store_close(struct store *st)
{
	free(st->state_dir);
	memset(st, 0, sizeof(*st));
}

char *store_home_path(const struct store *st, const char *user)
{
	char *path;

	if (!username_is_valid(user))
		return NULL;
	if (asprintf(&path, "%s/homes/%s", st->state_dir, user) < 0)
		return NULL;
	return path;
}
