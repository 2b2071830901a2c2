/* Rexec user names: a lowercase letter, then [a-z0-9_-], 1 to 32 bytes. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "rexec/username.h"
#include "rexec/util.h"

struct name_case {
	const char *name;
	bool valid;
};

static const struct name_case name_cases[] = {
	{ "a", true },
	{ "alice", true },
	{ "bob-smith", true },
	{ "user_2", true },
	{ "z9", true },
	{ "abcdefghijklmnopqrstuvwxyz012345", true }, /* 32 bytes */
	{ "abcdefghijklmnopqrstuvwxyz0123456", false }, /* 33 bytes */
	{ "", false },
	{ "Alice", false },
	{ "aLice", false },
	{ "1alice", false },
	{ "_alice", false },
	{ "-alice", false },
	{ "al ice", false },
	{ "alice.smith", false },
	{ "alice/bob", false },
	{ "../etc", false },
	{ ".", false },
	{ "..", false },
	{ "alice\n", false },
	{ "al\xc3\xa9", false }, /* UTF-8 e-acute */
	{ "root:x", false },
};

static void test_username_table(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(name_cases); i++) {
		bool valid = username_is_valid(name_cases[i].name);

		if (valid != name_cases[i].valid)
			fail_msg("\"%s\": expected %s", name_cases[i].name,
				 name_cases[i].valid ? "valid" : "invalid");
	}
}

static void test_username_rejects_null(void **state)
{
	assert_false(username_is_valid(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_username_table),
		cmocka_unit_test(test_username_rejects_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
