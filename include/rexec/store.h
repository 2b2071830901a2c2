/* The user and key store: plain files under the state directory.
 *
 *   users/<name>/user              "key=value" lines: uid_base, created, tier
 *   users/<name>/authorized_keys   OpenSSH authorized_keys lines
 *   homes/<name>.img               persistent home: an ext4 image (created by the monitor)
 *   homes/<name>/                  or a plain directory (no size limit, or project quota)
 *   users/.lock                    flock(2) taken by every writer
 *
 * Every write goes to a temporary file that is renamed into place, so a
 * reader (rexecd, at each login) sees the old or the new file, never a
 * half-written one. */
#ifndef REXEC_STORE_H
#define REXEC_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rexec/authkeys.h"

struct store {
	char *state_dir;
	uid_t uid_base;     /* first host uid handed out */
	uint32_t uid_count; /* size of each user's range */
};

#define STORE_TIER_MAX 32

struct store_user {
	char name[33];
	uid_t uid_base;     /* host uid that is uid 0 inside the sandbox */
	long long created;  /* seconds since the epoch */
	/* Name of the user's tier in the configuration; "" means DefaultTier. */
	char tier[STORE_TIER_MAX + 1];
};

/* Creates state_dir/users and state_dir/homes if missing (mode 0700 and
 * 0711). uid_base/uid_count come from the configuration. */
int store_open(struct store *st, const char *state_dir, uid_t uid_base, uint32_t uid_count);
void store_close(struct store *st);

/* Adds a user with the lowest free uid range and tier (NULL or "" for
 * DefaultTier). -EEXIST if present, -EINVAL for an invalid name or tier
 * name, -ENOSPC when no range is left. The store checks only the tier
 * name's syntax; the caller checks that the configuration defines it. */
int store_user_add(struct store *st, const char *name, const char *tier, struct store_user *out);
/* Sets the user's tier (NULL or "" for DefaultTier). -ENOENT for an
 * unknown user, -EINVAL for an invalid name. */
int store_user_set_tier(struct store *st, const char *name, const char *tier);
/* Removes the user's record and keys; the home is left in place. */
int store_user_del(struct store *st, const char *name);
/* -ENOENT for an unknown user, -EINVAL for an invalid name. */
int store_user_get(struct store *st, const char *name, struct store_user *out);
/* Fills a malloc'd array sorted by name. */
int store_user_list(struct store *st, struct store_user **out, size_t *count);

/* Appends the keys in text (authorized_keys lines). Every line is checked
 * first, and nothing is written unless all are valid; err then names the
 * line and the reason. A key already present is skipped. Returns the
 * number of keys added or a negative errno. */
int store_key_add(struct store *st, const char *user, const char *text, char *err,
		  size_t err_len);
/* Fills a malloc'd array of parsed keys; free each with authkey_free. */
int store_key_list(struct store *st, const char *user, struct authkey **out, size_t *count);
/* Removes the key with this "SHA256:..." fingerprint; -ENOENT if none. */
int store_key_del(struct store *st, const char *user, const char *fingerprint);

/* Returns 1 if user exists and its authorized_keys holds a key with this
 * type and blob, 0 if not (unknown user included), or a negative errno.
 * Reads the file at each call, so changes apply at the next login. */
int store_key_allowed(struct store *st, const char *user, const char *key_type,
		      const uint8_t *blob, size_t blob_len);

/* Returns the malloc'd host path of the user's home directory. */
char *store_home_path(const struct store *st, const char *user);

#endif
