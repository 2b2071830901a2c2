/* OpenSSH public key lines: options, type, base64 wire blob, comment.
 *
 * The blob format is RFC 4253 section 6.6 (ssh-rsa), RFC 5656 section 3.1
 * (ecdsa-sha2-*), RFC 8709 section 4 (ssh-ed25519), and OpenSSH's
 * PROTOCOL.u2f for the sk- types, which append an application string. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "rexec/authkeys.h"
#include "rexec/buf.h"
#include "rexec/util.h"

#define RSA_BITS_MIN    2048
#define RSA_BITS_MAX    16384 /* OpenSSH's limit, SSHBUF_MAX_BIGNUM in sshbuf.h */
#define ED25519_KEY_LEN 32
#define CERT_SUFFIX     "-cert-v01@openssh.com"

enum key_family {
	FAMILY_ED25519,
	FAMILY_ECDSA,
	FAMILY_RSA,
};

struct key_type {
	const char *name;
	const char *label;     /* as ssh-keygen -l prints it */
	enum key_family family;
	const char *curve;     /* ECDSA curve name inside the blob */
	size_t point_len;      /* ECDSA uncompressed point: 1 + 2 * field bytes */
	unsigned bits;         /* 0 for RSA, where the modulus decides */
	bool security_key;     /* sk- types end with an application string */
};

static const struct key_type key_types[] = {
	{ "ssh-ed25519", "ED25519", FAMILY_ED25519, NULL, 0, 256, false },
	{ "ecdsa-sha2-nistp256", "ECDSA", FAMILY_ECDSA, "nistp256", 65, 256, false },
	{ "ecdsa-sha2-nistp384", "ECDSA", FAMILY_ECDSA, "nistp384", 97, 384, false },
	{ "ecdsa-sha2-nistp521", "ECDSA", FAMILY_ECDSA, "nistp521", 133, 521, false },
	{ "ssh-rsa", "RSA", FAMILY_RSA, NULL, 0, 0, false },
	{ "sk-ssh-ed25519@openssh.com", "ED25519-SK", FAMILY_ED25519, NULL, 0, 256, true },
	{ "sk-ecdsa-sha2-nistp256@openssh.com", "ECDSA-SK", FAMILY_ECDSA, "nistp256", 65, 256,
	  true },
};

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t err_len, const char *fmt,
						      ...)
{
	va_list ap;

	if (!err || err_len == 0)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(err, err_len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const struct key_type *find_key_type(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(key_types); i++) {
		if (strcmp(key_types[i].name, name) == 0)
			return &key_types[i];
	}
	return NULL;
}

const char *authkey_type_label(const char *type)
{
	const struct key_type *kt = find_key_type(type);

	return kt ? kt->label : "UNKNOWN";
}

void authkey_free(struct authkey *key)
{
	free(key->type);
	free(key->blob);
	free(key->comment);
	free(key->options);
	memset(key, 0, sizeof(*key));
}

/* ---- base64 (RFC 4648 section 4), strict ---- */

static int base64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes text, which must be canonical: a multiple of 4 characters, at
 * most two '=' and only at the end, and zero bits in what padding leaves
 * unused, so that every blob has exactly one textual form. */
static int base64_decode(const char *text, size_t len, uint8_t **out, size_t *out_len)
{
	size_t pad = 0, n = 0;
	uint8_t *data;

	if (len == 0 || len % 4 != 0)
		return -EINVAL;
	while (pad < 2 && text[len - 1 - pad] == '=')
		pad++;

	data = malloc(len / 4 * 3);
	if (!data)
		return -ENOMEM;

	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		uint32_t group = 0;
		size_t chars = i + 4 == len ? 4 - pad : 4;

		for (size_t j = 0; j < 4; j++) {
			v[j] = j < chars ? base64_value(text[i + j]) : 0;
			if (v[j] < 0) {
				free(data);
				return -EINVAL;
			}
			group = group << 6 | (uint32_t)v[j];
		}
		/* Bits that padding leaves over must be zero. */
		if ((chars == 2 && (group & 0xffff)) || (chars == 3 && (group & 0xff))) {
			free(data);
			return -EINVAL;
		}
		data[n++] = (uint8_t)(group >> 16);
		if (chars > 2)
			data[n++] = (uint8_t)(group >> 8);
		if (chars > 3)
			data[n++] = (uint8_t)group;
	}

	*out = data;
	*out_len = n;
	return 0;
}

static char *base64_encode(const uint8_t *data, size_t len)
{
	char *text = malloc(4 * ((len + 2) / 3) + 1);

	if (!text)
		return NULL;
	EVP_EncodeBlock((unsigned char *)text, data, (int)len);
	return text;
}

int authkey_fingerprint(const uint8_t *blob, size_t blob_len, char *out, size_t out_len)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
	char *pad;
	int n;

	if (!EVP_Digest(blob, blob_len, digest, &digest_len, EVP_sha256(), NULL))
		return -EIO;
	EVP_EncodeBlock((unsigned char *)encoded, digest, (int)digest_len);

	/* ssh-keygen prints the base64 without its '=' padding. */
	pad = strchr(encoded, '=');
	if (pad)
		*pad = '\0';

	n = snprintf(out, out_len, "SHA256:%s", encoded);
	if (n < 0 || (size_t)n >= out_len)
		return -ENOSPC;
	return 0;
}

/* ---- the wire blob ---- */

static bool is_printable(const char *text)
{
	for (; *text; text++) {
		if (*text < 0x20 || *text > 0x7e)
			return false;
	}
	return true;
}

/* Reads an RFC 4251 mpint and returns its size in bits. It must be
 * positive and minimally encoded, because RFC 4251 section 5 forbids
 * unnecessary leading zero bytes. */
static int get_positive_mpint_bits(struct buf *b, unsigned *bits)
{
	cleanup_free uint8_t *data = NULL;
	size_t len;
	int r = buf_get_string(b, &data, &len, RSA_BITS_MAX / 8 + 1);

	if (r < 0)
		return r;
	if (len == 0 || (data[0] & 0x80))
		return -EINVAL;
	if (data[0] == 0 && (len == 1 || !(data[1] & 0x80)))
		return -EINVAL;

	if (data[0] == 0) {
		*bits = (unsigned)(len - 1) * 8;
	} else {
		unsigned top = 0;

		for (uint8_t v = data[0]; v; v >>= 1)
			top++;
		*bits = (unsigned)(len - 1) * 8 + top;
	}
	return 0;
}

static int parse_rsa(struct buf *b, unsigned *bits, char *err, size_t err_len)
{
	unsigned exponent_bits;

	if (get_positive_mpint_bits(b, &exponent_bits) < 0)
		return fail(err, err_len, "invalid RSA public exponent in the key data");
	if (get_positive_mpint_bits(b, bits) < 0)
		return fail(err, err_len, "invalid RSA modulus in the key data");
	if (*bits < RSA_BITS_MIN)
		return fail(err, err_len, "RSA key of %u bits is too small (minimum %d)", *bits,
			    RSA_BITS_MIN);
	return 0;
}

static int parse_ecdsa(struct buf *b, const struct key_type *kt, char *err, size_t err_len)
{
	cleanup_free char *curve = NULL;
	cleanup_free uint8_t *point = NULL;
	size_t point_len;

	if (buf_get_cstring(b, &curve, 64) < 0)
		return fail(err, err_len, "truncated key data");
	if (strcmp(curve, kt->curve) != 0)
		return fail(err, err_len, "key data names the curve \"%s\" but the type is %s",
			    is_printable(curve) ? curve : "?", kt->name);

	/* NOTE: only the point's encoding is checked, not that it lies on the
	 * curve. A stored key is only ever compared byte for byte with a key
	 * whose signature libssh has verified, so an invalid point never
	 * matches. */
	if (buf_get_string(b, &point, &point_len, kt->point_len) < 0 ||
	    point_len != kt->point_len || point[0] != 0x04)
		return fail(err, err_len, "invalid ECDSA public point in the key data");
	return 0;
}

static int parse_ed25519(struct buf *b, char *err, size_t err_len)
{
	cleanup_free uint8_t *public_key = NULL;
	size_t len;

	if (buf_get_string(b, &public_key, &len, ED25519_KEY_LEN) < 0 || len != ED25519_KEY_LEN)
		return fail(err, err_len, "invalid Ed25519 public key in the key data");
	return 0;
}

/* Checks the blob's own structure against the type on the line and sets
 * key->bits. */
static int parse_blob(const struct key_type *kt, struct authkey *key, char *err, size_t err_len)
{
	cleanup_free char *name = NULL;
	struct buf b;
	int r;

	buf_init_view(&b, key->blob, key->blob_len);
	if (buf_get_cstring(&b, &name, 64) < 0)
		return fail(err, err_len, "truncated key data");
	if (strcmp(name, kt->name) != 0)
		return fail(err, err_len, "key data is of type \"%s\" but the line says %s",
			    is_printable(name) ? name : "?", kt->name);

	key->bits = kt->bits;
	if (kt->family == FAMILY_RSA)
		r = parse_rsa(&b, &key->bits, err, err_len);
	else if (kt->family == FAMILY_ECDSA)
		r = parse_ecdsa(&b, kt, err, err_len);
	else
		r = parse_ed25519(&b, err, err_len);
	if (r < 0)
		return r;

	if (kt->security_key) {
		cleanup_free char *application = NULL;

		if (buf_get_cstring(&b, &application, 1024) < 0)
			return fail(err, err_len,
				    "missing security key application in the key data");
	}
	if (buf_remaining(&b) != 0)
		return fail(err, err_len, "unexpected bytes after the key data");
	return 0;
}

/* ---- the line ---- */

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const char *skip_spaces(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

static const char *word_end(const char *p)
{
	while (*p && !is_space(*p))
		p++;
	return p;
}

/* Returns whether p starts like a key type. No authorized_keys option
 * does (sshd(8), AUTHORIZED_KEYS FILE FORMAT), so a line that does not
 * start like this begins with options. */
static bool looks_like_key_type(const char *p)
{
	return strncmp(p, "ssh-", 4) == 0 || strncmp(p, "ecdsa-", 6) == 0 ||
	       strncmp(p, "sk-", 3) == 0;
}

/* Finds the end of the options field: the first space outside double
 * quotes. Inside quotes, \" is a literal quote. */
static const char *options_end(const char *p)
{
	bool quoted = false;

	for (; *p; p++) {
		if (quoted && p[0] == '\\' && p[1] == '"')
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && is_space(*p))
			return p;
	}
	return quoted ? NULL : p;
}

static int cut_options(const char **p, struct authkey *key, char *err, size_t err_len)
{
	const char *end = options_end(*p);

	if (!end)
		return fail(err, err_len, "missing closing quote in the key options");
	key->options = strndup(*p, (size_t)(end - *p));
	if (!key->options)
		return -ENOMEM;
	*p = skip_spaces(end);
	return 0;
}

static int cut_type(const char **p, struct authkey *key, const struct key_type **kt, char *err,
		    size_t err_len)
{
	const char *end = word_end(*p);
	size_t len = (size_t)(end - *p);
	size_t suffix_len = strlen(CERT_SUFFIX);

	if (len == 0)
		return fail(err, err_len, "missing key type");
	key->type = strndup(*p, len);
	if (!key->type)
		return -ENOMEM;
	*p = skip_spaces(end);

	if (len > suffix_len && strcmp(key->type + len - suffix_len, CERT_SUFFIX) == 0)
		return fail(err, err_len,
			    "certificate type %s is not accepted; add the plain public key instead",
			    key->type);
	*kt = find_key_type(key->type);
	if (!*kt)
		return fail(err, err_len,
			    "unsupported key type \"%s\" (expected ssh-ed25519, "
			    "ecdsa-sha2-nistp256/384/521, ssh-rsa or an sk- security key type)",
			    key->type);
	return 0;
}

static int cut_blob(const char **p, struct authkey *key, char *err, size_t err_len)
{
	const char *end = word_end(*p);
	int r;

	if (end == *p)
		return fail(err, err_len, "missing key data after the type %s", key->type);
	r = base64_decode(*p, (size_t)(end - *p), &key->blob, &key->blob_len);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return fail(err, err_len, "invalid base64 in the key data");
	*p = skip_spaces(end);
	return 0;
}

static int cut_comment(const char *p, struct authkey *key)
{
	size_t len = strlen(p);

	while (len > 0 && is_space(p[len - 1]))
		len--;
	key->comment = strndup(p, len);
	return key->comment ? 0 : -ENOMEM;
}

static int parse_line(const char *line, struct authkey *key, char *err, size_t err_len)
{
	const struct key_type *kt = NULL;
	const char *p = skip_spaces(line);
	int r;

	if (!looks_like_key_type(p)) {
		r = cut_options(&p, key, err, err_len);
		if (r < 0)
			return r;
		if (!looks_like_key_type(p))
			return fail(err, err_len, "missing or invalid key type after the options");
	}
	r = cut_type(&p, key, &kt, err, err_len);
	if (r < 0)
		return r;
	r = cut_blob(&p, key, err, err_len);
	if (r < 0)
		return r;
	r = cut_comment(p, key);
	if (r < 0)
		return r;
	return parse_blob(kt, key, err, err_len);
}

int authkey_parse(const char *line, struct authkey *key, char *err, size_t err_len)
{
	const char *p = skip_spaces(line);
	int r;

	memset(key, 0, sizeof(*key));
	if (*p == '\0' || *p == '#')
		return -ENODATA;
	if (strlen(line) > AUTHKEYS_LINE_MAX)
		return fail(err, err_len, "line is longer than %d bytes", AUTHKEYS_LINE_MAX);

	r = parse_line(line, key, err, err_len);
	if (r < 0)
		authkey_free(key);
	if (r == -ENOMEM)
		fail(err, err_len, "out of memory");
	return r;
}

char *authkey_format(const struct authkey *key)
{
	cleanup_free char *encoded = base64_encode(key->blob, key->blob_len);
	char *line;
	int n;

	if (!encoded)
		return NULL;
	if (key->comment && key->comment[0])
		n = asprintf(&line, "%s %s %s", key->type, encoded, key->comment);
	else
		n = asprintf(&line, "%s %s", key->type, encoded);
	return n < 0 ? NULL : line;
}

bool authkey_equal(const struct authkey *key, const char *type, const uint8_t *blob,
		   size_t blob_len)
{
	return strcmp(key->type, type) == 0 && key->blob_len == blob_len &&
	       memcmp(key->blob, blob, blob_len) == 0;
}
