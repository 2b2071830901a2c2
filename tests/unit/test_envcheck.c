/* The environment policy for client "env" requests: the default AcceptEnv
 * list, the fixed denylist that no AcceptEnv can open, and value checks. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rexec/config.h"
#include "rexec/envcheck.h"
#include "rexec/proto.h"
#include "rexec/util.h"

struct env_case {
	const char *name;
	const char *value;
	const char *reason; /* NULL: accepted */
};

/* With the default AcceptEnv "LANG LC_* TERM COLORTERM TZ". */
static const struct env_case default_cases[] = {
    {"LANG", "C.UTF-8", NULL},
    {"LC_ALL", "de_DE.UTF-8", NULL},
    {"LC_TIME", "", NULL},
    {"TERM", "xterm-256color", NULL},
    {"COLORTERM", "truecolor", NULL},
    {"TZ", "Europe/Berlin", NULL},
    {"LANG", "caf\xc3\xa9", NULL}, /* UTF-8 passes */
    {"EDITOR", "vim", "not in AcceptEnv"},
    {"LANGUAGE", "de", "not in AcceptEnv"},
    {"lang", "C", "not in AcceptEnv"},
    {"LD_PRELOAD", "/tmp/x.so", "denied name"},
    {"LD_LIBRARY_PATH", "/tmp", "denied name"},
    {"BASH_ENV", "/tmp/rc", "denied name"},
    {"ENV", "/tmp/rc", "denied name"},
    {"PATH", "/tmp", "denied name"},
    {"HOME", "/tmp", "denied name"},
    {"SHELL", "/bin/sh", "denied name"},
    {"USER", "root", "denied name"},
    {"LOGNAME", "root", "denied name"},
    {"IFS", "x", "denied name"},
    {"BASH_FUNC_ls%%", "() { :; }", "invalid name"},
    {"", "x", "invalid name"},
    {"1LANG", "C", "invalid name"},
    {"LC-ALL", "C", "invalid name"},
    {"LC ALL", "C", "invalid name"},
    {"LANG", "C\n", "invalid value"},
    {"LANG", "C\r", "invalid value"},
    {"LANG", "\x1b[31m", "invalid value"},
    {"LANG", "C\x7f", "invalid value"},
};

static void test_envcheck_default_table(void **state)
{
	struct config cfg;

	config_init(&cfg);
	for (size_t i = 0; i < ARRAY_SIZE(default_cases); i++) {
		const struct env_case *c = &default_cases[i];
		const char *reason = envcheck_variable(&cfg, c->name, c->value);

		if (c->reason == NULL && reason != NULL)
			fail_msg("%s: expected accepted, got \"%s\"", c->name, reason);
		if (c->reason != NULL && (reason == NULL || strcmp(reason, c->reason) != 0))
			fail_msg("%s: expected \"%s\", got \"%s\"", c->name, c->reason,
				 reason ? reason : "accepted");
	}
	config_free(&cfg);
}

/* AcceptEnv has no bare "*", so the widest list names each one. */
static void test_envcheck_accept_env_cannot_open_denylist(void **state)
{
	static const char *const denied[] = {
	    "LD_PRELOAD", "BASH_ENV", "ENV", "PATH",          "HOME",          "SHELL",
	    "USER",       "LOGNAME",  "IFS", "SSH_AUTH_SOCK", "GLIBC_TUNABLES"};
	struct config cfg;
	char err[CONFIG_ERROR_MAX];

	config_init(&cfg);
	assert_int_equal(
	    config_parse_line(&cfg,
			      "AcceptEnv E*,LD_*,BASH_ENV,PATH,HOME,SHELL,USER,LOGNAME,"
			      "IFS,SSH_*,GLIBC_TUNABLES",
			      "test", 1, err, sizeof(err)),
	    0);
	assert_null(envcheck_variable(&cfg, "EDITOR", "vim"));
	for (size_t i = 0; i < ARRAY_SIZE(denied); i++) {
		const char *reason = envcheck_variable(&cfg, denied[i], "x");

		if (reason == NULL || strcmp(reason, "denied name") != 0)
			fail_msg("%s: expected \"denied name\", got \"%s\"", denied[i],
				 reason ? reason : "accepted");
	}
	config_free(&cfg);
}

static void test_envcheck_rejects_long_entry(void **state)
{
	static char value[PROTO_ENV_LEN_MAX];
	struct config cfg;

	config_init(&cfg);
	/* "LANG=" plus the value plus a NUL must fit PROTO_ENV_LEN_MAX. */
	memset(value, 'a', PROTO_ENV_LEN_MAX - 6);
	value[PROTO_ENV_LEN_MAX - 6] = '\0';
	assert_null(envcheck_variable(&cfg, "LANG", value));
	value[PROTO_ENV_LEN_MAX - 6] = 'a';
	value[PROTO_ENV_LEN_MAX - 5] = '\0';
	assert_string_equal(envcheck_variable(&cfg, "LANG", value), "too long");
	config_free(&cfg);
}

static void test_envcheck_entry_splits_at_first_equals(void **state)
{
	struct config cfg;

	config_init(&cfg);
	assert_null(envcheck_entry(&cfg, "LANG=a=b"));
	assert_null(envcheck_entry(&cfg, "TZ="));
	assert_string_equal(envcheck_entry(&cfg, "LANG"), "invalid name");
	assert_string_equal(envcheck_entry(&cfg, "=C"), "invalid name");
	assert_string_equal(envcheck_entry(&cfg, "LD_PRELOAD=/x.so"), "denied name");
	assert_string_equal(envcheck_entry(&cfg, "EDITOR=vi"), "not in AcceptEnv");
	assert_string_equal(envcheck_entry(&cfg, "LANG=C\tx"), "invalid value");
	config_free(&cfg);
}

static void test_envcheck_rejects_overlong_name(void **state)
{
	char name[ENVCHECK_NAME_MAX + 2];
	struct config cfg;
	char err[CONFIG_ERROR_MAX];

	config_init(&cfg);
	assert_int_equal(config_parse_line(&cfg, "AcceptEnv X*", "test", 1, err, sizeof(err)), 0);
	memset(name, 'X', sizeof(name) - 1);
	name[ENVCHECK_NAME_MAX] = '\0';
	assert_null(envcheck_variable(&cfg, name, "v"));
	name[ENVCHECK_NAME_MAX] = 'X';
	name[ENVCHECK_NAME_MAX + 1] = '\0';
	assert_string_equal(envcheck_variable(&cfg, name, "v"), "invalid name");
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_envcheck_default_table),
	    cmocka_unit_test(test_envcheck_accept_env_cannot_open_denylist),
	    cmocka_unit_test(test_envcheck_rejects_long_entry),
	    cmocka_unit_test(test_envcheck_entry_splits_at_first_equals),
	    cmocka_unit_test(test_envcheck_rejects_overlong_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
