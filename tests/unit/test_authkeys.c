/* authorized_keys lines: real keys from ssh-keygen with the fingerprints it
 * printed, the options field, and every way a line is rejected. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "rexec/authkeys.h"
#include "rexec/buf.h"
#include "rexec/util.h"
#include "test_keys.h"

#define ED25519_BASE64 "AAAAC3NzaC1lZDI1NTE5AAAAIGYjcvEvM6OSrgEyNGA4UiFF/wjvV6RX3sY+a9Vib5Nm"

/* Parses line, which must fail with -EINVAL and exactly this reason. */
static void assert_rejected(const char *line, const char *reason)
{
	struct authkey key;
	char err[512] = "";
	int r = authkey_parse(line, &key, err, sizeof(err));

	if (r != -EINVAL)
		fail_msg("\"%.60s...\": expected -EINVAL, got %d", line, r);
	assert_string_equal(err, reason);
	assert_null(key.type);
	assert_null(key.blob);
}

/* Returns "type base64(blob) test" for a blob assembled in b. */
static char *line_with_blob(const char *type, const struct buf *b)
{
	cleanup_free char *encoded = malloc(4 * ((b->len + 2) / 3) + 1);
	char *line;

	assert_non_null(encoded);
	EVP_EncodeBlock((unsigned char *)encoded, b->data, (int)b->len);
	assert_true(asprintf(&line, "%s %s test", type, encoded) > 0);
	return line;
}

/* ---- real keys ---- */

struct real_key {
	const char *line;
	const char *type;
	unsigned bits;
	const char *comment;
	const char *fingerprint;
	const char *label;
};

static const struct real_key real_keys[] = {
	{ KEY_ED25519, "ssh-ed25519", 256, "alice@laptop", FP_ED25519, "ED25519" },
	{ KEY_ECDSA256, "ecdsa-sha2-nistp256", 256, "ecdsa256 key", FP_ECDSA256, "ECDSA" },
	{ KEY_ECDSA384, "ecdsa-sha2-nistp384", 384, "e384", FP_ECDSA384, "ECDSA" },
	{ KEY_ECDSA521, "ecdsa-sha2-nistp521", 521, "e521", FP_ECDSA521, "ECDSA" },
	{ KEY_RSA3072, "ssh-rsa", 3072, "bob@desk", FP_RSA3072, "RSA" },
	{ KEY_RSA2048, "ssh-rsa", 2048, "", FP_RSA2048, "RSA" },
	{ KEY_SK_ED25519, "sk-ssh-ed25519@openssh.com", 256, "sk ed", FP_SK_ED25519,
	  "ED25519-SK" },
	{ KEY_SK_ECDSA, "sk-ecdsa-sha2-nistp256@openssh.com", 256, "sk ec", FP_SK_ECDSA,
	  "ECDSA-SK" },
};

static void test_authkeys_parses_real_keys(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(real_keys); i++) {
		const struct real_key *c = &real_keys[i];
		struct authkey key;
		char err[256] = "";
		int r = authkey_parse(c->line, &key, err, sizeof(err));

		if (r != 0)
			fail_msg("%s: %s", c->type, err);
		assert_string_equal(key.type, c->type);
		assert_int_equal(key.bits, c->bits);
		assert_string_equal(key.comment, c->comment);
		assert_null(key.options);
		assert_non_null(key.blob);
		authkey_free(&key);
	}
}

static void test_authkeys_fingerprint_matches_ssh_keygen(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(real_keys); i++) {
		struct authkey key;
		char fingerprint[AUTHKEYS_FINGERPRINT_MAX];

		assert_int_equal(authkey_parse(real_keys[i].line, &key, NULL, 0), 0);
		assert_int_equal(authkey_fingerprint(key.blob, key.blob_len, fingerprint,
						     sizeof(fingerprint)),
				 0);
		assert_string_equal(fingerprint, real_keys[i].fingerprint);
		authkey_free(&key);
	}
}

static void test_authkeys_type_label_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(real_keys); i++)
		assert_string_equal(authkey_type_label(real_keys[i].type), real_keys[i].label);
	assert_string_equal(authkey_type_label("ssh-dss"), "UNKNOWN");
}

static void test_authkeys_fingerprint_rejects_short_buffer(void **state)
{
	static const uint8_t blob[] = { 1, 2, 3 };
	char out[20];

	assert_int_equal(authkey_fingerprint(blob, sizeof(blob), out, sizeof(out)), -ENOSPC);
}

static void test_authkeys_blob_is_decoded_base64(void **state)
{
	static const uint8_t prefix[] = { 0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5',
					  '1', '9', 0, 0, 0, 32 };
	struct authkey key;

	assert_int_equal(authkey_parse(KEY_ED25519, &key, NULL, 0), 0);
	assert_int_equal(key.blob_len, sizeof(prefix) + 32);
	assert_memory_equal(key.blob, prefix, sizeof(prefix));
	authkey_free(&key);
}

/* ---- the rest of the line ---- */

static void test_authkeys_parses_options(void **state)
{
	static const struct {
		const char *line;
		const char *options;
	} cases[] = {
		{ "from=\"10.0.0.0/8\" " KEY_ED25519, "from=\"10.0.0.0/8\"" },
		{ "command=\"echo hello world\",no-pty " KEY_ED25519,
		  "command=\"echo hello world\",no-pty" },
		{ "command=\"say \\\"hi there\\\"\" " KEY_ED25519, "command=\"say \\\"hi "
								   "there\\\"\"" },
		{ "restrict,pty\t" KEY_ED25519, "restrict,pty" },
		{ "  no-agent-forwarding   " KEY_ED25519, "no-agent-forwarding" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct authkey key;
		char err[256] = "";

		if (authkey_parse(cases[i].line, &key, err, sizeof(err)) != 0)
			fail_msg("%s: %s", cases[i].options, err);
		assert_non_null(key.options);
		assert_string_equal(key.options, cases[i].options);
		assert_string_equal(key.type, "ssh-ed25519");
		assert_string_equal(key.comment, "alice@laptop");
		authkey_free(&key);
	}
}

static void test_authkeys_comment_table(void **state)
{
	static const struct {
		const char *line;
		const char *comment;
	} cases[] = {
		{ "ssh-ed25519 " ED25519_BASE64, "" },
		{ "ssh-ed25519 " ED25519_BASE64 "   \t", "" },
		{ "ssh-ed25519 " ED25519_BASE64 " alice@laptop\n", "alice@laptop" },
		{ "ssh-ed25519 " ED25519_BASE64 " alice@laptop \r\n", "alice@laptop" },
		{ "ssh-ed25519\t" ED25519_BASE64 "\twork  key # 2", "work  key # 2" },
		{ "   ssh-ed25519 " ED25519_BASE64 " indented", "indented" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct authkey key;

		assert_int_equal(authkey_parse(cases[i].line, &key, NULL, 0), 0);
		assert_non_null(key.comment);
		assert_string_equal(key.comment, cases[i].comment);
		authkey_free(&key);
	}
}

static void test_authkeys_skips_blank_and_comment_lines(void **state)
{
	static const char *const lines[] = {
		"", "   ", "\t\r\n", "# comment", "   # " KEY_ED25519,
	};

	for (size_t i = 0; i < ARRAY_SIZE(lines); i++) {
		struct authkey key;

		assert_int_equal(authkey_parse(lines[i], &key, NULL, 0), -ENODATA);
	}
}

static void test_authkeys_format_drops_options(void **state)
{
	struct authkey key;
	cleanup_free char *line = NULL;

	assert_int_equal(authkey_parse("no-pty,from=\"a b\" " KEY_ED25519, &key, NULL, 0), 0);
	line = authkey_format(&key);
	assert_non_null(line);
	assert_string_equal(line, KEY_ED25519);
	authkey_free(&key);
}

static void test_authkeys_format_without_comment(void **state)
{
	struct authkey key;
	cleanup_free char *line = NULL;

	assert_int_equal(authkey_parse(KEY_RSA2048, &key, NULL, 0), 0);
	line = authkey_format(&key);
	assert_non_null(line);
	assert_int_equal(strlen(line), strlen(KEY_RSA2048) - 1); /* no trailing space */
	assert_memory_equal(line, KEY_RSA2048, strlen(line));
	authkey_free(&key);
}

static void test_authkeys_equal_compares_type_and_blob(void **state)
{
	struct authkey a, b;

	assert_int_equal(authkey_parse(KEY_ED25519, &a, NULL, 0), 0);
	assert_int_equal(authkey_parse(KEY_ED25519_SECOND, &b, NULL, 0), 0);
	assert_true(authkey_equal(&a, "ssh-ed25519", a.blob, a.blob_len));
	assert_false(authkey_equal(&a, "ssh-rsa", a.blob, a.blob_len));
	assert_false(authkey_equal(&a, "ssh-ed25519", b.blob, b.blob_len));
	assert_false(authkey_equal(&a, "ssh-ed25519", a.blob, a.blob_len - 1));
	authkey_free(&a);
	authkey_free(&b);
}

/* ---- rejected lines ---- */

static void test_authkeys_rejects_key_with_bad_base64(void **state)
{
	static const char *const lines[] = {
		/* a character outside the alphabet */
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGYjcvEvM6OSrgEyNGA4UiFF/wjvV6RX3sY+a9Vib5N! "
		"x",
		/* the URL-safe alphabet */
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGYjcvEvM6OSrgEyNGA4UiFF_wjvV6RX3sY-a9Vib5Nm "
		"x",
		/* a length that is not a multiple of 4 */
		"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGYjcvEvM6OSrgEyNGA4UiFF/wjvV6RX3sY+a9Vib5N x",
		/* padding in the middle */
		"ssh-ed25519 AAAA=3NzaC1lZDI1NTE5AAAAIGYjcvEvM6OSrgEyNGA4UiFF/wjvV6RX3sY+a9Vib5Nm "
		"x",
		/* only padding */
		"ssh-ed25519 ==== x",
		"ssh-ed25519 A=== x",
		/* nonzero bits left over by the padding (NsA= is canonical) */
		"ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFsaGf8C"
		"n/la8pYUV6xMl3pNy4FxTaNUfJdDVEvPvra+lcr4CvKIV6xwdpfsvtjF6jz6Jv1od+ZEQFeCujPHNsB= "
		"x",
		"ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBEfaebEn"
		"OnZTrTsUDtRkhtBPJ2m9x332OZ9vuvbjW0pswI1E36INEyyXcCXJ6QfOiFewT89l/YUzaJeBVqgNnnxm"
		"e0Z8Rmv6+a1cdMk0KDMKsAbiMgx9Y8gikNYtXN2xgx== x",
	};

	for (size_t i = 0; i < ARRAY_SIZE(lines); i++)
		assert_rejected(lines[i], "invalid base64 in the key data");
}

static void test_authkeys_rejects_type_mismatch(void **state)
{
	assert_rejected("ssh-rsa " ED25519_BASE64 " x",
			"key data is of type \"ssh-ed25519\" but the line says ssh-rsa");
	assert_rejected("ecdsa-sha2-nistp384 "
			"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFsaGf8C"
			"n/la8pYUV6xMl3pNy4FxTaNUfJdDVEvPvra+lcr4CvKIV6xwdpfsvtjF6jz6Jv1od+ZEQF"
			"eCujPHNsA=",
			"key data is of type \"ecdsa-sha2-nistp256\" but the line says "
			"ecdsa-sha2-nistp384");
}

static void test_authkeys_rejects_certificate(void **state)
{
	assert_rejected(KEY_ED25519_CERT, "certificate type ssh-ed25519-cert-v01@openssh.com is "
					  "not "
					  "accepted; add the plain public key instead");
	assert_rejected("ssh-rsa-cert-v01@openssh.com AAAA x",
			"certificate type ssh-rsa-cert-v01@openssh.com is not accepted; add the "
			"plain public key instead");
}

static void test_authkeys_rejects_small_rsa(void **state)
{
	assert_rejected(KEY_RSA1024, "RSA key of 1024 bits is too small (minimum 2048)");
}

static void test_authkeys_rejects_unsupported_type(void **state)
{
	static const char *const types[] = { "ssh-dss", "ssh-ed448", "ecdsa-sha2-nistp224",
					     "sk-ssh-ed25519" };
	char line[128], reason[256];

	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		snprintf(line, sizeof(line), "%s AAAA x", types[i]);
		snprintf(reason, sizeof(reason),
			 "unsupported key type \"%s\" (expected ssh-ed25519, "
			 "ecdsa-sha2-nistp256/384/521, ssh-rsa or an sk- security key type)",
			 types[i]);
		assert_rejected(line, reason);
	}
}

static void test_authkeys_rejects_malformed_line(void **state)
{
	static const struct {
		const char *line;
		const char *reason;
	} cases[] = {
		{ "ssh-ed25519", "missing key data after the type ssh-ed25519" },
		{ "ssh-ed25519   ", "missing key data after the type ssh-ed25519" },
		{ "from=\"10.0.0.1\"", "missing or invalid key type after the options" },
		{ "AAAAC3NzaC1lZDI1NTE5 alice", "missing or invalid key type after the options" },
		{ "command=\"echo " KEY_ED25519, "missing closing quote in the key options" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_rejected(cases[i].line, cases[i].reason);
}

static void test_authkeys_rejects_long_line(void **state)
{
	size_t len = AUTHKEYS_LINE_MAX + 1;
	cleanup_free char *line = malloc(len + 1);

	assert_non_null(line);
	memset(line, 'A', len);
	memcpy(line, "ssh-ed25519 ", 12);
	line[len] = '\0';
	assert_rejected(line, "line is longer than 16384 bytes");
}

/* ---- blobs with valid base64 but a broken structure ---- */

static const uint8_t zeros[300];

static void build_short_ed25519(struct buf *b)
{
	buf_put_cstring(b, "ssh-ed25519");
	buf_put_string(b, zeros, 31);
}

static void build_ed25519_with_trailing_byte(struct buf *b)
{
	buf_put_cstring(b, "ssh-ed25519");
	buf_put_string(b, zeros, 32);
	buf_put_u8(b, 0);
}

static void build_truncated_type(struct buf *b)
{
	buf_put_u32(b, 11);
	buf_put_bytes(b, "ssh-e", 5);
}

static void build_type_with_nul(struct buf *b)
{
	buf_put_string(b, "ssh-ed25519\0x", 13);
	buf_put_string(b, zeros, 32);
}

static void build_ecdsa_curve_mismatch(struct buf *b)
{
	static const uint8_t point[65] = { 0x04 };

	buf_put_cstring(b, "ecdsa-sha2-nistp256");
	buf_put_cstring(b, "nistp384");
	buf_put_string(b, point, sizeof(point));
}

static void build_ecdsa_compressed_point(struct buf *b)
{
	static const uint8_t point[33] = { 0x02 };

	buf_put_cstring(b, "ecdsa-sha2-nistp256");
	buf_put_cstring(b, "nistp256");
	buf_put_string(b, point, sizeof(point));
}

static void build_ecdsa_bad_point_prefix(struct buf *b)
{
	static const uint8_t point[65] = { 0x05 };

	buf_put_cstring(b, "ecdsa-sha2-nistp256");
	buf_put_cstring(b, "nistp256");
	buf_put_string(b, point, sizeof(point));
}

static void put_rsa(struct buf *b, const uint8_t *e, size_t e_len, const uint8_t *n, size_t n_len)
{
	buf_put_cstring(b, "ssh-rsa");
	buf_put_string(b, e, e_len);
	buf_put_string(b, n, n_len);
}

static const uint8_t exponent[] = { 0x01, 0x00, 0x01 };

static void build_rsa_negative_modulus(struct buf *b)
{
	uint8_t n[257] = { 0x80 };

	put_rsa(b, exponent, sizeof(exponent), n, sizeof(n));
}

static void build_rsa_padded_modulus(struct buf *b)
{
	uint8_t n[258] = { 0x00, 0x00, 0x80 };

	put_rsa(b, exponent, sizeof(exponent), n, sizeof(n));
}

static void build_rsa_empty_exponent(struct buf *b)
{
	uint8_t n[257] = { 0x00, 0x80 };

	put_rsa(b, exponent, 0, n, sizeof(n));
}

static void build_rsa_2047_bits(struct buf *b)
{
	uint8_t n[256] = { 0x7f };

	put_rsa(b, exponent, sizeof(exponent), n, sizeof(n));
}

static void build_sk_without_application(struct buf *b)
{
	buf_put_cstring(b, "sk-ssh-ed25519@openssh.com");
	buf_put_string(b, zeros, 32);
}

static void test_authkeys_rejects_malformed_blob(void **state)
{
	static const struct {
		const char *type;
		void (*build)(struct buf *b);
		const char *reason;
	} cases[] = {
		{ "ssh-ed25519", build_short_ed25519,
		  "invalid Ed25519 public key in the key data" },
		{ "ssh-ed25519", build_ed25519_with_trailing_byte,
		  "unexpected bytes after the key data" },
		{ "ssh-ed25519", build_truncated_type, "truncated key data" },
		{ "ssh-ed25519", build_type_with_nul, "truncated key data" },
		{ "ecdsa-sha2-nistp256", build_ecdsa_curve_mismatch,
		  "key data names the curve \"nistp384\" but the type is ecdsa-sha2-nistp256" },
		{ "ecdsa-sha2-nistp256", build_ecdsa_compressed_point,
		  "invalid ECDSA public point in the key data" },
		{ "ecdsa-sha2-nistp256", build_ecdsa_bad_point_prefix,
		  "invalid ECDSA public point in the key data" },
		{ "ssh-rsa", build_rsa_negative_modulus, "invalid RSA modulus in the key data" },
		{ "ssh-rsa", build_rsa_padded_modulus, "invalid RSA modulus in the key data" },
		{ "ssh-rsa", build_rsa_empty_exponent,
		  "invalid RSA public exponent in the key data" },
		{ "ssh-rsa", build_rsa_2047_bits,
		  "RSA key of 2047 bits is too small (minimum 2048)" },
		{ "sk-ssh-ed25519@openssh.com", build_sk_without_application,
		  "missing security key application in the key data" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		cleanup_free char *line = NULL;
		struct buf b;

		buf_init(&b, 0);
		cases[i].build(&b);
		line = line_with_blob(cases[i].type, &b);
		assert_rejected(line, cases[i].reason);
		buf_free(&b);
	}
}

static void test_authkeys_accepts_rsa_of_2048_bits(void **state)
{
	uint8_t n[257] = { 0x00, 0x80 };
	cleanup_free char *line = NULL;
	struct authkey key;
	struct buf b;

	buf_init(&b, 0);
	put_rsa(&b, exponent, sizeof(exponent), n, sizeof(n));
	line = line_with_blob("ssh-rsa", &b);
	assert_int_equal(authkey_parse(line, &key, NULL, 0), 0);
	assert_int_equal(key.bits, 2048);
	authkey_free(&key);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_authkeys_parses_real_keys),
		cmocka_unit_test(test_authkeys_fingerprint_matches_ssh_keygen),
		cmocka_unit_test(test_authkeys_type_label_table),
		cmocka_unit_test(test_authkeys_fingerprint_rejects_short_buffer),
		cmocka_unit_test(test_authkeys_blob_is_decoded_base64),
		cmocka_unit_test(test_authkeys_parses_options),
		cmocka_unit_test(test_authkeys_comment_table),
		cmocka_unit_test(test_authkeys_skips_blank_and_comment_lines),
		cmocka_unit_test(test_authkeys_format_drops_options),
		cmocka_unit_test(test_authkeys_format_without_comment),
		cmocka_unit_test(test_authkeys_equal_compares_type_and_blob),
		cmocka_unit_test(test_authkeys_rejects_key_with_bad_base64),
		cmocka_unit_test(test_authkeys_rejects_type_mismatch),
		cmocka_unit_test(test_authkeys_rejects_certificate),
		cmocka_unit_test(test_authkeys_rejects_small_rsa),
		cmocka_unit_test(test_authkeys_rejects_unsupported_type),
		cmocka_unit_test(test_authkeys_rejects_malformed_line),
		cmocka_unit_test(test_authkeys_rejects_long_line),
		cmocka_unit_test(test_authkeys_rejects_malformed_blob),
		cmocka_unit_test(test_authkeys_accepts_rsa_of_2048_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
