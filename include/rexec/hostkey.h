/* The gateway's ed25519 host key: generated on first start, reused after. */
#ifndef REXEC_HOSTKEY_H
#define REXEC_HOSTKEY_H

/* Generates an ed25519 key at path (OpenSSH private key format, mode 0600,
 * written atomically, parent directories created with mode 0700) unless a
 * key is already there. An existing file must be a regular ed25519 key
 * file owned by root (or by the effective user, for unprivileged test
 * runs) with no permission bits for group or others. Logs the key's
 * SHA256 fingerprint. Returns 0 or a negative errno. */
int hostkey_ensure(const char *path);

#endif
