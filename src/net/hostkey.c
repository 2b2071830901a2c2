/* The gateway's ed25519 host key. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh/libssh.h>

#include "rexec/hostkey.h"
#include "rexec/log.h"
#include "rexec/util.h"

static void log_fingerprint(const char *path, ssh_key key, const char *action)
{
	unsigned char *hash = NULL;
	size_t hash_len = 0;
	char *fingerprint;

	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hash_len) < 0) {
		log_warn("host key %s: computing the fingerprint failed", path);
		return;
	}
	fingerprint = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hash_len);
	log_info("host key %s %s: %s %s", path, action, ssh_key_type_to_char(ssh_key_type(key)),
		 fingerprint ? fingerprint : "(unknown fingerprint)");
	ssh_string_free_char(fingerprint);
	ssh_clean_pubkey_hash(&hash);
}

/* Checks that an existing key file can be trusted: a regular file owned by
 * root (or by the user running rexecd, for unprivileged test runs) that
 * neither group nor others can access. */
static int check_existing(const char *path, const struct stat *st)
{
	if (!S_ISREG(st->st_mode)) {
		log_error("host key %s is not a regular file", path);
		return -EINVAL;
	}
	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		log_error("host key %s is owned by uid %u, expected root", path,
			  (unsigned)st->st_uid);
		return -EPERM;
	}
	if (st->st_mode & (S_IRWXG | S_IRWXO)) {
		log_error("host key %s has mode %04o; run chmod 600 on it", path,
			  (unsigned)(st->st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

static int load_existing(const char *path, const struct stat *st)
{
	ssh_key key = NULL;
	int rc;

	rc = check_existing(path, st);
	if (rc < 0)
		return rc;

	if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) != SSH_OK) {
		log_error("host key %s cannot be read as an OpenSSH private key", path);
		return -EINVAL;
	}
	if (ssh_key_type(key) != SSH_KEYTYPE_ED25519) {
		log_error("host key %s is of type %s, expected ssh-ed25519", path,
			  ssh_key_type_to_char(ssh_key_type(key)));
		ssh_key_free(key);
		return -EINVAL;
	}
	log_fingerprint(path, key, "loaded");
	ssh_key_free(key);
	return 0;
}

static int fsync_parent(const char *path)
{
	char *copy = strdup(path);
	int fd;
	int rc = 0;

	if (!copy)
		return -ENOMEM;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		rc = -errno;
	if (fd >= 0)
		close(fd);
	free(copy);
	return rc;
}

/* Writes text to path through a temporary file in the same directory, so
 * a reader sees either no key or the whole key, always with mode 0600. The
 * mode is set with fchmod as well, because open's mode is reduced by the
 * umask and must not depend on it. */
static int write_private_key(const char *path, const char *text)
{
	char tmp[4096];
	int fd = -1;
	int rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0600) < 0) {
		rc = -errno;
		goto fail;
	}
	rc = util_write_all(fd, text, strlen(text));
	if (rc < 0)
		goto fail;
	if (fsync(fd) < 0) {
		rc = -errno;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = -errno;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		rc = -errno;
		goto fail;
	}
	return fsync_parent(path);

fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

static int create_dir_of(const char *path)
{
	char *copy = strdup(path);
	int rc;

	if (!copy)
		return -ENOMEM;
	rc = util_mkdir_p(dirname(copy), 0700);
	free(copy);
	return rc;
}

static int generate(const char *path)
{
	ssh_key key = NULL;
	char *text = NULL;
	int rc;

	rc = create_dir_of(path);
	if (rc < 0) {
		log_error("host key %s: creating its directory failed: %s", path, strerror(-rc));
		return rc;
	}

	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK) {
		log_error("host key %s: generating an ed25519 key failed", path);
		return -EIO;
	}
	/* For ed25519, libssh 0.10.6 exports the OpenSSH private key format. */
	if (ssh_pki_export_privkey_base64(key, NULL, NULL, NULL, &text) != SSH_OK) {
		log_error("host key %s: encoding the new key failed", path);
		rc = -EIO;
		goto out;
	}

	rc = write_private_key(path, text);
	if (rc < 0) {
		log_error("host key %s: writing failed: %s", path, strerror(-rc));
		goto out;
	}
	log_fingerprint(path, key, "generated");

out:
	if (text)
		util_freezero(text, strlen(text));
	ssh_key_free(key);
	return rc;
}

int hostkey_ensure(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		return load_existing(path, &st);
	if (errno != ENOENT) {
		int rc = -errno;

		log_error("host key %s: stat failed: %s", path, strerror(-rc));
		return rc;
	}
	return generate(path);
}
