/* Parsing of OpenSSH public key lines (authorized_keys format) and their
 * SHA256 fingerprints, without libssh, so the store and rexecctl can check
 * and list keys on their own. */
#ifndef REXEC_AUTHKEYS_H
#define REXEC_AUTHKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTHKEYS_LINE_MAX        16384
#define AUTHKEYS_FINGERPRINT_MAX 64   /* "SHA256:" + 43 base64 chars + NUL */

struct authkey {
	char *type;        /* e.g. "ssh-ed25519" */
	uint8_t *blob;     /* decoded wire-format public key */
	size_t blob_len;
	char *comment;     /* may be empty, never NULL */
	char *options;     /* leading options field, NULL if none */
	unsigned bits;     /* key size as ssh-keygen -l prints it */
};

/* Parses one line: [options] type base64 [comment]. The type must be one
 * Rexec accepts: ed25519, ecdsa-sha2-nistp256/384/521, ssh-rsa of at least
 * 2048 bits, and the sk- variants, but no certificates. The base64 must be
 * canonical, and the blob's own type name must match. Returns 0, -ENODATA
 * for a blank or comment line, -ENOMEM, or -EINVAL with a reason in err.
 * On error key is left zeroed, so authkey_free is optional. */
int authkey_parse(const char *line, struct authkey *key, char *err, size_t err_len);
void authkey_free(struct authkey *key);

/* Returns the malloc'd line "type base64 [comment]" without options, or
 * NULL when out of memory. */
char *authkey_format(const struct authkey *key);

/* Returns whether key has exactly this type name and wire blob. */
bool authkey_equal(const struct authkey *key, const char *type, const uint8_t *blob,
		   size_t blob_len);

/* Writes "SHA256:<unpadded base64 of SHA-256(blob)>", as ssh-keygen -l does. */
int authkey_fingerprint(const uint8_t *blob, size_t blob_len, char *out, size_t out_len);

/* Returns the upper-case label ssh-keygen -l prints, e.g. "ED25519". */
const char *authkey_type_label(const char *type);

#endif
