/* Audit lines: one JSON object per line, whatever the field values hold. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rexec/audit.h"

/* 2026-12-04T21:01:17.123Z */
#define TIME_MS 1796418077123LL

static void test_audit_formats_fields_in_order(void **state)
{
	char *line = audit_format(TIME_MS, "auth_success", AUDIT_STR, "user", "alice", AUDIT_INT,
				  "port", 2222LL, AUDIT_BOOL, "pty", 1, AUDIT_BOOL, "exec", 0,
				  AUDIT_END);

	assert_non_null(line);
	assert_string_equal(line, "{\"time\":\"2026-12-04T21:01:17.123Z\",\"event\":\"auth_success\","
				  "\"user\":\"alice\",\"port\":2222,\"pty\":true,\"exec\":false}\n");
	free(line);
}

static void test_audit_writes_null_for_missing_string(void **state)
{
	char *line = audit_format(TIME_MS, "disconnect", AUDIT_STR, "user", NULL, AUDIT_END);

	assert_non_null(strstr(line, "\"user\":null}"));
	free(line);
}

/* A client chooses the user name and the command; neither may end the
 * line early or break the JSON quoting. */
static void test_audit_escapes_client_text(void **state)
{
	static const struct {
		const char *value;
		const char *json;
	} cases[] = {
		{"a\"b", "\"a\\\"b\""},
		{"a\\b", "\"a\\\\b\""},
		{"line\nnext", "\"line\\nnext\""},
		{"tab\there", "\"tab\\there\""},
		{"cr\rbell\a", "\"cr\\u000dbell\\u0007\""},
		{"del\x7f", "\"del\\u007f\""},
		{"\xff\xfe", "\"\\u00ff\\u00fe\""},
		/* Well-formed UTF-8 stays; a cut or overlong sequence does not. */
		{"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x99\x82\""},
		{"cut\xe2\x82", "\"cut\\u00e2\\u0082\""},
		{"overlong\xc0\xaf", "\"overlong\\u00c0\\u00af\""},
		{"surrogate\xed\xa0\x80", "\"surrogate\\u00ed\\u00a0\\u0080\""},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *line = audit_format(TIME_MS, "e", AUDIT_STR, "v", cases[i].value, AUDIT_END);
		char expected[128];

		snprintf(expected, sizeof(expected), "\"v\":%s}\n", cases[i].json);
		assert_non_null(line);
		assert_non_null(strstr(line, expected));
		assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
		free(line);
	}
}

static void test_audit_line_ends_once(void **state)
{
	char *line = audit_format(TIME_MS, "e\n{\"x\":1}", AUDIT_STR, "k\n", "v\n", AUDIT_END);

	assert_non_null(line);
	assert_ptr_equal(strchr(line, '\n'), line + strlen(line) - 1);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_audit_formats_fields_in_order),
		cmocka_unit_test(test_audit_writes_null_for_missing_string),
		cmocka_unit_test(test_audit_escapes_client_text),
		cmocka_unit_test(test_audit_line_ends_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
