/* Log lines: client-chosen text cannot start a forged line. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rexec/log.h"

/* Runs log_error(fmt, text) with stderr sent to a pipe; returns what came. */
static void capture(const char *text, char *out, size_t out_len)
{
	int pipe_fds[2], saved = dup(STDERR_FILENO);
	ssize_t n;

	assert_int_equal(pipe(pipe_fds), 0);
	assert_true(saved >= 0);
	dup2(pipe_fds[1], STDERR_FILENO);
	log_error("client said: %s", text);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(pipe_fds[1]);
	n = read(pipe_fds[0], out, out_len - 1);
	close(pipe_fds[0]);
	assert_true(n > 0);
	out[n] = '\0';
}

static void test_log_escapes_control_characters(void **state)
{
	char out[4096];

	log_init("test", false, LOG_LEVEL_DEBUG);
	capture("bogus\n2026-12-04T00:00:00.000Z rexecd[1]: info: forged\x1b[2J\r", out,
		sizeof(out));
	/* One line, ending in the only newline. */
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	assert_null(strchr(out, '\x1b'));
	assert_null(strchr(out, '\r'));
	assert_non_null(strstr(out, "bogus\\x0a2026-12-04"));
	assert_non_null(strstr(out, "forged\\x1b[2J\\x0d"));
}

static void test_log_keeps_printable_text(void **state)
{
	char out[4096];

	log_init("test", false, LOG_LEVEL_DEBUG);
	capture("user=alice caf\xc3\xa9 100%", out, sizeof(out));
	assert_non_null(strstr(out, "error: client said: user=alice caf\xc3\xa9 100%\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_escapes_control_characters),
		cmocka_unit_test(test_log_keeps_printable_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
