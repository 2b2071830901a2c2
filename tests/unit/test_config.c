/* rexecd.conf: defaults, every keyword, and every error with its FILE:LINE
 * text. Each test writes its configuration to a temporary directory. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "rexec/config.h"
#include "rexec/util.h"

struct fixture {
	char dir[64];
	char path[128];
	struct config cfg;
	char err[CONFIG_ERROR_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/rexec-test-config-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/rexecd.conf", f->dir);
	config_init(&f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	config_free(&f->cfg);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* Writes text (len bytes, so it may contain NUL) as the configuration file
 * and loads it into fresh defaults. */
static int load_bytes(struct fixture *f, const char *text, size_t len)
{
	int r = util_write_file_atomic(f->path, text, len, 0600);

	assert_int_equal(r, 0);
	config_free(&f->cfg);
	config_init(&f->cfg);
	f->err[0] = '\0';
	return config_load(&f->cfg, f->path, f->err, sizeof(f->err));
}

static int load(struct fixture *f, const char *text)
{
	return load_bytes(f, text, strlen(text));
}

/* Loads text and checks that it fails with "PATH:line: reason". */
static void assert_load_error(struct fixture *f, const char *text, unsigned line,
			      const char *reason)
{
	char expected[CONFIG_ERROR_MAX + 160];
	int r = load(f, text);

	snprintf(expected, sizeof(expected), "%s:%u: %s", f->path, line, reason);
	if (r != -EINVAL)
		fail_msg("%s: expected -EINVAL, got %d", text, r);
	assert_string_equal(f->err, expected);
}

/* One line of configuration and the reason its error must give. */
struct error_case {
	const char *line;
	const char *reason;
};

static void assert_error_table(struct fixture *f, const struct error_case *cases, size_t count)
{
	char text[CONFIG_LINE_MAX * 2];

	for (size_t i = 0; i < count; i++) {
		snprintf(text, sizeof(text), "%s\n", cases[i].line);
		assert_load_error(f, text, 1, cases[i].reason);
	}
}

/* ---- defaults and keywords ---- */

static void test_config_defaults(void **state)
{
	struct config cfg;

	config_init(&cfg);
	assert_int_equal(cfg.listen_count, 1);
	assert_string_equal(cfg.listen[0].host, "0.0.0.0");
	assert_int_equal(cfg.listen[0].port, 22);
	assert_string_equal(cfg.state_dir, "/var/lib/rexec");
	assert_string_equal(cfg.audit_log, "/var/log/rexec/audit.jsonl");
	assert_int_equal(cfg.log_level, LOG_LEVEL_INFO);
	assert_int_equal(cfg.login_grace_time_s, 30);
	assert_int_equal(cfg.max_auth_tries, 6);
	assert_int_equal(cfg.max_sessions, 10);
	assert_int_equal(cfg.max_startups, 100);
	assert_int_equal(cfg.uid_base, 200000);
	assert_int_equal(cfg.uid_count, 65536);
	assert_string_equal(cfg.shell, "/bin/bash");
	assert_string_equal(cfg.sandbox_hostname, "rexec");
	assert_int_equal(cfg.linger_s, 0);
	assert_int_equal(cfg.tier_count, 1);
	assert_string_equal(cfg.tiers[0].name, "default");
	assert_int_equal(cfg.tiers[0].memory_max_bytes, 512ULL * 1024 * 1024);
	assert_int_equal(cfg.tiers[0].pids_max, 256);
	assert_int_equal(cfg.tiers[0].cpu_max_percent, 100);
	assert_int_equal(cfg.tiers[0].home_max_bytes, 1ULL << 30);
	assert_int_equal(cfg.tiers[0].network, CONFIG_NETWORK_NONE);
	assert_string_equal(cfg.default_tier, "default");
	config_free(&cfg);
}

static void test_config_empty_file_keeps_defaults(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "# only a comment\n\n   \n\t# indented comment\n"), 0);
	assert_int_equal(f->cfg.listen_count, 1);
	assert_string_equal(f->cfg.state_dir, "/var/lib/rexec");
	assert_int_equal(f->cfg.max_auth_tries, 6);
}

static void test_config_sets_every_keyword(void **state)
{
	struct fixture *f = *state;
	int r = load(f, "ListenAddress 127.0.0.1:2222\n"
			"StateDirectory /srv/rexec\n"
			"AuditLog /srv/log/audit.jsonl\n"
			"LogLevel debug\n"
			"LoginGraceTime 45\n"
			"MaxAuthTries 3\n"
			"MaxSessions 4\n"
			"MaxStartups 50\n"
			"UidBase 1000000\n"
			"UidsPerUser 100000\n"
			"Shell /bin/sh\n"
			"SandboxHostname box.example\n"
			"SandboxLinger 90\n"
			"Tier default memory=1G cpu=250 pids=512 home=2G network=egress\n"
			"DefaultTier default\n");

	assert_int_equal(r, 0);
	assert_int_equal(f->cfg.listen_count, 1);
	assert_string_equal(f->cfg.listen[0].host, "127.0.0.1");
	assert_int_equal(f->cfg.listen[0].port, 2222);
	assert_string_equal(f->cfg.state_dir, "/srv/rexec");
	assert_string_equal(f->cfg.audit_log, "/srv/log/audit.jsonl");
	assert_int_equal(f->cfg.log_level, LOG_LEVEL_DEBUG);
	assert_int_equal(f->cfg.login_grace_time_s, 45);
	assert_int_equal(f->cfg.max_auth_tries, 3);
	assert_int_equal(f->cfg.max_sessions, 4);
	assert_int_equal(f->cfg.max_startups, 50);
	assert_int_equal(f->cfg.uid_base, 1000000);
	assert_int_equal(f->cfg.uid_count, 100000);
	assert_string_equal(f->cfg.shell, "/bin/sh");
	assert_string_equal(f->cfg.sandbox_hostname, "box.example");
	assert_int_equal(f->cfg.linger_s, 90);
	assert_int_equal(f->cfg.tier_count, 1);
	assert_int_equal(f->cfg.tiers[0].memory_max_bytes, 1024ULL * 1024 * 1024);
	assert_int_equal(f->cfg.tiers[0].pids_max, 512);
	assert_int_equal(f->cfg.tiers[0].cpu_max_percent, 250);
	assert_int_equal(f->cfg.tiers[0].home_max_bytes, 2ULL << 30);
	assert_int_equal(f->cfg.tiers[0].network, CONFIG_NETWORK_EGRESS);
	assert_string_equal(f->cfg.default_tier, "default");
}

static void test_config_keywords_are_case_insensitive(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "maxauthtries 2\nSHELL /bin/zsh\ntIeR small pids=10\n"), 0);
	assert_int_equal(f->cfg.max_auth_tries, 2);
	assert_string_equal(f->cfg.shell, "/bin/zsh");
	assert_non_null(config_find_tier(&f->cfg, "small"));
	assert_int_equal(config_find_tier(&f->cfg, "small")->pids_max, 10);
}

static void test_config_accepts_spacing_and_comments(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "  MaxSessions\t\t7   # channels per connection\r\n"
				 "#MaxSessions 8\n"
				 "Shell /bin/ba#sh\n"),
			 0);
	assert_int_equal(f->cfg.max_sessions, 7);
	assert_string_equal(f->cfg.shell, "/bin/ba#sh");
}

static void test_config_accepts_quoted_value(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "StateDirectory \"/srv/rexec state\"  # with a space\n"), 0);
	assert_string_equal(f->cfg.state_dir, "/srv/rexec state");
}

static void test_config_accepts_last_line_without_newline(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "MaxStartups 12"), 0);
	assert_int_equal(f->cfg.max_startups, 12);
}

static void test_config_log_level_table(void **state)
{
	static const struct {
		const char *text;
		enum log_level level;
	} cases[] = {
		{ "error", LOG_LEVEL_ERROR },
		{ "warn", LOG_LEVEL_WARN },
		{ "info", LOG_LEVEL_INFO },
		{ "debug", LOG_LEVEL_DEBUG },
		{ "DEBUG", LOG_LEVEL_DEBUG },
	};
	struct fixture *f = *state;
	char text[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text), "LogLevel %s\n", cases[i].text);
		assert_int_equal(load(f, text), 0);
		assert_int_equal(f->cfg.log_level, cases[i].level);
	}
}

static void test_config_duration_table(void **state)
{
	static const struct {
		const char *text;
		uint32_t seconds;
	} cases[] = {
		{ "0", 0 },         { "30", 30 },     { "30s", 30 },
		{ "5m", 300 },      { "5M", 300 },    { "2h", 7200 },
		{ "007", 7 },       { "4294967295", 4294967295U },
		{ "71582788m", 4294967280U },
	};
	struct fixture *f = *state;
	char text[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text), "LoginGraceTime %s\n", cases[i].text);
		assert_int_equal(load(f, text), 0);
		assert_int_equal(f->cfg.login_grace_time_s, cases[i].seconds);
	}
}

static void test_config_size_table(void **state)
{
	static const struct {
		const char *text;
		uint64_t bytes;
	} cases[] = {
		{ "0", 0 },
		{ "16M", 16ULL << 20 },
		{ "512M", 512ULL << 20 },
		{ "512m", 512ULL << 20 },
		{ "4G", 4ULL << 30 },
		{ "65536K", 64ULL << 20 },
		{ "16777216", 16ULL << 20 },
	};
	struct fixture *f = *state;
	char text[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text), "Tier t memory=%s home=%s\n", cases[i].text,
			 cases[i].text);
		assert_int_equal(load(f, text), 0);
		assert_int_equal(f->cfg.tiers[1].memory_max_bytes, cases[i].bytes);
		assert_int_equal(f->cfg.tiers[1].home_max_bytes, cases[i].bytes);
	}
}

static void test_config_listen_address_table(void **state)
{
	static const struct {
		const char *text;
		const char *host;
		uint16_t port;
	} cases[] = {
		{ "0.0.0.0:22", "0.0.0.0", 22 },
		{ "127.0.0.1:2222", "127.0.0.1", 2222 },
		{ "[::]:22", "::", 22 },
		{ "[::1]:65535", "::1", 65535 },
		{ "[0:0::1]:1", "::1", 1 },
		{ "[2001:db8::5]:8022", "2001:db8::5", 8022 },
	};
	struct fixture *f = *state;
	char text[64];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text), "ListenAddress %s\n", cases[i].text);
		assert_int_equal(load(f, text), 0);
		assert_int_equal(f->cfg.listen_count, 1);
		assert_string_equal(f->cfg.listen[0].host, cases[i].host);
		assert_int_equal(f->cfg.listen[0].port, cases[i].port);
	}
}

static void test_config_listen_address_repeats(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "ListenAddress 127.0.0.1:22\n"
				 "ListenAddress [::1]:22\n"
				 "ListenAddress 127.0.0.1:2222\n"),
			 0);
	assert_int_equal(f->cfg.listen_count, 3);
	assert_string_equal(f->cfg.listen[0].host, "127.0.0.1");
	assert_string_equal(f->cfg.listen[1].host, "::1");
	assert_int_equal(f->cfg.listen[2].port, 2222);
}

static void test_config_allows_sixteen_listen_addresses(void **state)
{
	struct fixture *f = *state;
	char text[CONFIG_LISTEN_MAX * 40] = "";

	for (int i = 0; i < CONFIG_LISTEN_MAX; i++) {
		size_t used = strlen(text);

		snprintf(text + used, sizeof(text) - used, "ListenAddress 127.0.0.1:%d\n",
			 2000 + i);
	}
	assert_int_equal(load(f, text), 0);
	assert_int_equal(f->cfg.listen_count, CONFIG_LISTEN_MAX);
}

static void test_config_accepts_line_of_max_length(void **state)
{
	struct fixture *f = *state;
	char text[CONFIG_LINE_MAX + 2];

	memset(text, ' ', CONFIG_LINE_MAX);
	memcpy(text, "MaxSessions 9", 13);
	text[CONFIG_LINE_MAX] = '\n';
	text[CONFIG_LINE_MAX + 1] = '\0';
	assert_int_equal(load(f, text), 0);
	assert_int_equal(f->cfg.max_sessions, 9);
}

static void test_config_accepts_widest_uid_range(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "UidBase 4294901759\nUidsPerUser 65536\n"), 0);
	assert_int_equal(f->cfg.uid_base, 4294901759U);
}

static void test_config_host_key_path(void **state)
{
	struct fixture *f = *state;
	cleanup_free char *path = NULL;

	assert_int_equal(load(f, "StateDirectory /srv/rexec\n"), 0);
	path = config_host_key_path(&f->cfg);
	assert_non_null(path);
	assert_string_equal(path, "/srv/rexec/hostkeys/ssh_host_ed25519_key");
}

static void test_config_parse_line_labels_error(void **state)
{
	struct config cfg;
	char err[CONFIG_ERROR_MAX];
	int r;

	config_init(&cfg);
	r = config_parse_line(&cfg, "Foo bar", "/etc/rexec/rexecd.conf", 12, err, sizeof(err));
	assert_int_equal(r, -EINVAL);
	assert_string_equal(err, "/etc/rexec/rexecd.conf:12: unknown keyword \"Foo\"");
	config_free(&cfg);
}

/* ---- errors ---- */

static void test_config_rejects_missing_file(void **state)
{
	struct fixture *f = *state;
	char expected[CONFIG_ERROR_MAX];
	int r;

	r = config_load(&f->cfg, f->path, f->err, sizeof(f->err));
	assert_int_equal(r, -ENOENT);
	snprintf(expected, sizeof(expected),
		 "%s: failed to read the configuration: No such file or directory", f->path);
	assert_string_equal(f->err, expected);
}

static void test_config_reports_line_number(void **state)
{
	assert_load_error(*state, "# comment\n\nMaxSessions 3\nFoo 1\nMaxStartups 3\n", 4,
			  "unknown keyword \"Foo\"");
}

static void test_config_rejects_unknown_keyword(void **state)
{
	static const struct error_case cases[] = {
		{ "Foo bar", "unknown keyword \"Foo\"" },
		{ "Port 22", "unknown keyword \"Port\"" },
		{ "Shell=/bin/sh", "unknown keyword \"Shell=/bin/sh\"" },
	};

	assert_error_table(*state, cases, ARRAY_SIZE(cases));
}

static void test_config_rejects_missing_value(void **state)
{
	static const struct error_case cases[] = {
		{ "Shell", "missing value for Shell" },
		{ "shell   \t", "missing value for Shell" },
		{ "Shell # no value", "missing value for Shell" },
		{ "Shell \"\"", "missing value for Shell" },
		{ "ListenAddress", "missing value for ListenAddress" },
	};

	assert_error_table(*state, cases, ARRAY_SIZE(cases));
}

static void test_config_rejects_trailing_text(void **state)
{
	static const struct error_case cases[] = {
		{ "Shell /bin/bash extra", "unexpected text \"extra\" after the value of Shell" },
		{ "MaxAuthTries 6 7", "unexpected text \"7\" after the value of MaxAuthTries" },
		{ "Shell \"/bin/bash\"x", "unexpected text after the closing quote of Shell" },
		{ "Shell \"/bin/bash", "missing closing quote in the value of Shell" },
	};

	assert_error_table(*state, cases, ARRAY_SIZE(cases));
}

static void test_config_rejects_duplicate_keyword(void **state)
{
	assert_load_error(*state, "Shell /bin/sh\nMaxSessions 2\nshell /bin/bash\n", 3,
			  "duplicate keyword Shell (only ListenAddress and Tier may be repeated)");
}

static void test_config_rejects_long_line(void **state)
{
	struct fixture *f = *state;
	char text[CONFIG_LINE_MAX + 3];

	memset(text, '#', CONFIG_LINE_MAX + 1);
	text[CONFIG_LINE_MAX + 1] = '\n';
	text[CONFIG_LINE_MAX + 2] = '\0';
	assert_load_error(f, text, 1, "line is longer than 1024 bytes");
}

static void test_config_rejects_nul_byte(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "MaxSessions 2\nShell /bin/sh\0x\n";
	char expected[CONFIG_ERROR_MAX];
	int r = load_bytes(f, text, sizeof(text) - 1);

	assert_int_equal(r, -EINVAL);
	snprintf(expected, sizeof(expected), "%s:2: line contains a NUL byte", f->path);
	assert_string_equal(f->err, expected);
}

static void test_config_rejects_port_out_of_range(void **state)
{
	static const struct error_case cases[] = {
		{ "ListenAddress 0.0.0.0:70000",
		  "invalid port \"70000\" for ListenAddress (expected 1-65535)" },
		{ "ListenAddress 0.0.0.0:65536",
		  "invalid port \"65536\" for ListenAddress (expected 1-65535)" },
		{ "ListenAddress 0.0.0.0:0", "invalid port \"0\" for ListenAddress (expected "
					     "1-65535)" },
		{ "ListenAddress [::1]:99999999999999999999999",
		  "invalid port \"99999999999999999999999\" for ListenAddress (expected 1-65535)" },
		{ "ListenAddress 0.0.0.0:",
		  "invalid port \"\" for ListenAddress (expected 1-65535)" },
		{ "ListenAddress 0.0.0.0:22x",
		  "invalid port \"22x\" for ListenAddress (expected 1-65535)" },
		{ "ListenAddress 0.0.0.0:-1", "invalid port \"-1\" for ListenAddress (expected "
					      "1-65535)" },
		{ "ListenAddress 0.0.0.0:+22",
		  "invalid port \"+22\" for ListenAddress (expected 1-65535)" },
	};

	assert_error_table(*state, cases, ARRAY_SIZE(cases));
}

#define ADDRESS_RULE                                                                               \
	" for ListenAddress (expected a numeric IPv4 address, or an IPv6 address in brackets "    \
	"such as [::1]:22)"

static void test_config_rejects_invalid_listen_address(void **state)
{
	static const struct error_case cases[] = {
		{ "ListenAddress localhost:22", "invalid address \"localhost\"" ADDRESS_RULE },
		{ "ListenAddress ::1:22", "invalid address \"::1\"" ADDRESS_RULE },
		{ "ListenAddress [1.2.3.4]:22", "invalid address \"1.2.3.4\"" ADDRESS_RULE },
		{ "ListenAddress 1.2.3:22", "invalid address \"1.2.3\"" ADDRESS_RULE },
		{ "ListenAddress :22", "invalid address \"\"" ADDRESS_RULE },
		{ "ListenAddress 22",
		  "invalid value \"22\" for ListenAddress (expected host:port or [IPv6]:port)" },
		{ "ListenAddress [::1]22",
		  "invalid value \"[::1]22\" for ListenAddress (expected host:port or "
		  "[IPv6]:port)" },
		{ "ListenAddress [::1",
		  "invalid value \"[::1\" for ListenAddress (expected host:port or [IPv6]:port)" },
	};

	assert_error_table(*state, cases, ARRAY_SIZE(cases));
}

static void test_config_rejects_repeated_listen_address(void **state)
{
	assert_load_error(*state, "ListenAddress [::1]:22\nListenAddress [0::1]:22\n", 2,
			  "ListenAddress \"[0::1]:22\" is given twice");
}

static void test_config_rejects_too_many_listen_addresses(void **state)
{
	struct fixture *f = *state;
	char text[(CONFIG_LISTEN_MAX + 1) * 40] = "";

	for (int i = 0; i <= CONFIG_LISTEN_MAX; i++) {
		size_t used = strlen(text);

		snprintf(text + used, sizeof(text) - used, "ListenAddress 127.0.0.1:%d\n",
			 2000 + i);
	}
	assert_load_error(f, text, CONFIG_LISTEN_MAX + 1, "too many ListenAddress lines (at most "
							  "16)");
}

static void test_config_rejects_relative_path(void **state)
{
	static const struct error_case cases[] = {
		{ "Shell bash", "Shell must be an absolute path" },
		{ "StateDirectory var/lib/rexec", "StateDirectory must be an absolute path" },
		{ "AuditLog ./audit.jsonl", "AuditLog must be an absolute path" },
	};

	assert_error_table(*state, cases, ARRAY_SIZE(cases));
}

static void test_config_rejects_invalid_number(void **state)
{
	static const struct error_case cases[] = {
		{ "MaxAuthTries 0",
		  "invalid value \"0\" for MaxAuthTries (expected a number from 1 to 4294967295)" },
		{ "MaxAuthTries -1",
		  "invalid value \"-1\" for MaxAuthTries (expected a number from 1 to "
		  "4294967295)" },
		{ "MaxSessions 12x",
		  "invalid value \"12x\" for MaxSessions (expected a number from 1 to "
		  "4294967295)" },
		{ "MaxSessions 0x10",
		  "invalid value \"0x10\" for MaxSessions (expected a number from 1 to "
		  "4294967295)" },
		{ "MaxStartups 1e3",
		  "invalid value \"1e3\" for MaxStartups (expected a number from 1 to "
		  "4294967295)" },
		{ "Tier t pids=many",
		  "invalid value \"many\" for pids in Tier t (expected a number from 0 to "
		  "4294967295)" },
		{ "Tier t cpu=50%",
		  "invalid value \"50%\" for cpu in Tier t (expected a number from 0 to "
		  "4294967295)" },
	};

	assert_error_table(*state, cases, ARRAY_SIZE(cases));
}

static void test_config_rejects_numeric_overflow(void **state)
{
	static const struct error_case cases[] = {
		{ "MaxAuthTries 4294967296",
		  "invalid value \"4294967296\" for MaxAuthTries (expected a number from 1 to "
		  "4294967295)" },
		{ "MaxAuthTries 99999999999999999999999",
		  "invalid value \"99999999999999999999999\" for MaxAuthTries (expected a number "
		  "from 1 to 4294967295)" },
		{ "SandboxLinger 4294967296",
		  "invalid duration \"4294967296\" for SandboxLinger (expected seconds, or a "
		  "number "
		  "with suffix s, m or h, at most 4294967295 seconds)" },
		{ "SandboxLinger 1193047h",
		  "invalid duration \"1193047h\" for SandboxLinger (expected seconds, or a number "
		  "with suffix s, m or h, at most 4294967295 seconds)" },
		{ "Tier t memory=17179869184G",
		  "invalid size \"17179869184G\" for memory in Tier t (expected 0 for no limit, or "
		  "at least 16M, in bytes or with suffix K, M or G)" },
		{ "Tier t home=18446744073709551616",
		  "invalid size \"18446744073709551616\" for home in Tier t (expected 0 for no "
		  "limit, or at least 16M, in bytes or with suffix K, M or G)" },
	};

	assert_error_table(*state, cases, ARRAY_SIZE(cases));
}

#define DURATION_RULE                                                                              \
	" (expected seconds, or a number with suffix s, m or h, at most 4294967295 seconds)"

static void test_config_rejects_invalid_duration(void **state)
{
	static const struct error_case cases[] = {
		{ "LoginGraceTime 1d", "invalid duration \"1d\" for LoginGraceTime" DURATION_RULE },
		{ "LoginGraceTime 1h30m",
		  "invalid duration \"1h30m\" for LoginGraceTime" DURATION_RULE },
		{ "LoginGraceTime m", "invalid duration \"m\" for LoginGraceTime" DURATION_RULE },
		{ "LoginGraceTime -5", "invalid duration \"-5\" for LoginGraceTime" DURATION_RULE },
		{ "SandboxLinger 1.5m",
		  "invalid duration \"1.5m\" for SandboxLinger" DURATION_RULE },
	};

	assert_error_table(*state, cases, ARRAY_SIZE(cases));
}

#define SIZE_RULE " (expected 0 for no limit, or at least 16M, in bytes or with suffix K, M or G)"

static void test_config_rejects_invalid_size(void **state)
{
	static const struct error_case cases[] = {
		{ "Tier t memory=512", "invalid size \"512\" for memory in Tier t" SIZE_RULE },
		{ "Tier t memory=15M", "invalid size \"15M\" for memory in Tier t" SIZE_RULE },
		{ "Tier t memory=1T", "invalid size \"1T\" for memory in Tier t" SIZE_RULE },
		{ "Tier t memory=512MB", "invalid size \"512MB\" for memory in Tier t" SIZE_RULE },
		{ "Tier t home=G", "invalid size \"G\" for home in Tier t" SIZE_RULE },
		{ "Tier t home=", "invalid size \"\" for home in Tier t" SIZE_RULE },
	};

	assert_error_table(*state, cases, ARRAY_SIZE(cases));
}

static void test_config_rejects_invalid_log_level(void **state)
{
	static const struct error_case cases[] = {
		{ "LogLevel verbose",
		  "invalid value \"verbose\" for LogLevel (expected error, warn, info or debug)" },
		{ "LogLevel 3",
		  "invalid value \"3\" for LogLevel (expected error, warn, info or debug)" },
	};

	assert_error_table(*state, cases, ARRAY_SIZE(cases));
}

#define HOSTNAME_RULE                                                                              \
	" for SandboxHostname (expected letters, digits, '-' and '.', at most 64 bytes)"

static void test_config_rejects_invalid_hostname(void **state)
{
	static const struct error_case cases[] = {
		{ "SandboxHostname bad_host", "invalid host name \"bad_host\"" HOSTNAME_RULE },
		{ "SandboxHostname -box", "invalid host name \"-box\"" HOSTNAME_RULE },
		{ "SandboxHostname .box", "invalid host name \".box\"" HOSTNAME_RULE },
		{ "SandboxHostname "
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "invalid host name "
		  "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""
		  HOSTNAME_RULE },
	};

	assert_error_table(*state, cases, ARRAY_SIZE(cases));
}

static void test_config_rejects_uid_base_below_65536(void **state)
{
	static const struct error_case cases[] = {
		{ "UidBase 65535",
		  "invalid value \"65535\" for UidBase (expected a number from 65536 to "
		  "4294967294)" },
		{ "UidBase 0",
		  "invalid value \"0\" for UidBase (expected a number from 65536 to 4294967294)" },
		{ "UidBase 4294967295",
		  "invalid value \"4294967295\" for UidBase (expected a number from 65536 to "
		  "4294967294)" },
	};

	assert_error_table(*state, cases, ARRAY_SIZE(cases));
}

static void test_config_rejects_small_uids_per_user(void **state)
{
	static const struct error_case cases[] = {
		{ "UidsPerUser 1999",
		  "invalid value \"1999\" for UidsPerUser (expected a number from 2000 to "
		  "4294967295)" },
		{ "UidsPerUser 0",
		  "invalid value \"0\" for UidsPerUser (expected a number from 2000 to "
		  "4294967295)" },
	};

	assert_error_table(*state, cases, ARRAY_SIZE(cases));
}

static void test_config_rejects_uid_range_past_max(void **state)
{
	struct fixture *f = *state;
	char expected[CONFIG_ERROR_MAX];
	int r = load(f, "UidBase 4294901760\nUidsPerUser 65536\n");

	assert_int_equal(r, -EINVAL);
	snprintf(expected, sizeof(expected),
		 "%s: UidBase 4294901760 plus UidsPerUser 65536 goes past the largest uid "
		 "4294967294; lower either value",
		 f->path);
	assert_string_equal(f->err, expected);
}

/* ---- tiers ---- */

static void test_config_tier_sets_every_key(void **state)
{
	struct fixture *f = *state;
	const struct config_tier *tier;

	assert_int_equal(load(f, "Tier big memory=4G cpu=200 pids=1024 home=10G network=egress\n"
				 "Tier small memory=64M cpu=50 pids=64 home=64M network=none\n"
				 "DefaultTier small\n"),
			 0);
	assert_int_equal(f->cfg.tier_count, 3);
	tier = config_find_tier(&f->cfg, "big");
	assert_non_null(tier);
	assert_int_equal(tier->memory_max_bytes, 4ULL << 30);
	assert_int_equal(tier->cpu_max_percent, 200);
	assert_int_equal(tier->pids_max, 1024);
	assert_int_equal(tier->home_max_bytes, 10ULL << 30);
	assert_int_equal(tier->network, CONFIG_NETWORK_EGRESS);
	assert_int_equal(tier->line_no, 1);
	tier = config_find_tier(&f->cfg, "small");
	assert_non_null(tier);
	assert_int_equal(tier->memory_max_bytes, 64ULL << 20);
	assert_int_equal(tier->home_max_bytes, 64ULL << 20);
	assert_int_equal(tier->network, CONFIG_NETWORK_NONE);
	assert_string_equal(f->cfg.default_tier, "small");
	assert_non_null(config_find_tier(&f->cfg, "default"));
}

static void test_config_tier_omitted_keys_take_builtin_values(void **state)
{
	struct fixture *f = *state;
	const struct config_tier *tier;

	/* A redefined default tier does not change what other lines leave out. */
	assert_int_equal(load(f, "Tier default memory=2G home=0\nTier t pids=10 # few\n"), 0);
	tier = config_find_tier(&f->cfg, "t");
	assert_non_null(tier);
	assert_int_equal(tier->pids_max, 10);
	assert_int_equal(tier->memory_max_bytes, 512ULL << 20);
	assert_int_equal(tier->cpu_max_percent, 100);
	assert_int_equal(tier->home_max_bytes, 1ULL << 30);
	assert_int_equal(tier->network, CONFIG_NETWORK_NONE);
	tier = config_find_tier(&f->cfg, "default");
	assert_int_equal(tier->memory_max_bytes, 2ULL << 30);
	assert_int_equal(tier->home_max_bytes, 0);
}

static void test_config_tier_zero_means_no_limit(void **state)
{
	struct fixture *f = *state;
	const struct config_tier *tier;

	assert_int_equal(load(f, "Tier open memory=0 cpu=0 pids=0 home=0\n"), 0);
	tier = config_find_tier(&f->cfg, "open");
	assert_int_equal(tier->memory_max_bytes, 0);
	assert_int_equal(tier->cpu_max_percent, 0);
	assert_int_equal(tier->pids_max, 0);
	assert_int_equal(tier->home_max_bytes, 0);
}

static void test_config_default_tier_may_precede_its_tier(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "DefaultTier late\nTier late pids=5\n"), 0);
	assert_string_equal(f->cfg.default_tier, "late");
}

static void test_config_allows_max_tiers(void **state)
{
	struct fixture *f = *state;
	char text[CONFIG_TIER_MAX * 32] = "";

	for (int i = 1; i < CONFIG_TIER_MAX; i++) {
		size_t used = strlen(text);

		snprintf(text + used, sizeof(text) - used, "Tier t%d pids=%d\n", i, i);
	}
	assert_int_equal(load(f, text), 0);
	assert_int_equal(f->cfg.tier_count, CONFIG_TIER_MAX);
	assert_int_equal(config_find_tier(&f->cfg, "t31")->pids_max, 31);
}

static void test_config_rejects_too_many_tiers(void **state)
{
	struct fixture *f = *state;
	char text[(CONFIG_TIER_MAX + 1) * 32] = "";

	for (int i = 1; i <= CONFIG_TIER_MAX; i++) {
		size_t used = strlen(text);

		snprintf(text + used, sizeof(text) - used, "Tier t%d\n", i);
	}
	assert_load_error(f, text, CONFIG_TIER_MAX, "too many Tier lines (at most 32)");
}

#define TIER_NAME_RULE                                                                             \
	" (expected a lowercase letter or digit, then up to 31 lowercase letters, digits, "        \
	"'-' or '_')"

static void test_config_rejects_invalid_tier_line(void **state)
{
	static const struct error_case cases[] = {
		{ "Tier", "missing value for Tier" },
		{ "Tier # comment", "missing value for Tier" },
		{ "Tier Big", "invalid tier name \"Big\" for Tier" TIER_NAME_RULE },
		{ "Tier -x", "invalid tier name \"-x\" for Tier" TIER_NAME_RULE },
		{ "Tier a/b", "invalid tier name \"a/b\" for Tier" TIER_NAME_RULE },
		{ "Tier aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		  "invalid tier name \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" for "
		  "Tier" TIER_NAME_RULE },
		{ "Tier t disk=1G",
		  "unknown key \"disk\" in Tier t (expected memory, cpu, pids, home or network)" },
		{ "Tier t memory", "invalid setting \"memory\" in Tier t (expected key=value with "
				   "key memory, cpu, pids, home or network)" },
		{ "Tier t pids=1 pids=2", "key pids is given twice in Tier t" },
		{ "Tier t network=host",
		  "invalid value \"host\" for network in Tier t (expected none or egress)" },
		{ "Tier t network=", "invalid value \"\" for network in Tier t (expected none or "
				     "egress)" },
		{ "Tier t pids=-1", "invalid value \"-1\" for pids in Tier t (expected a number "
				    "from 0 to 4294967295)" },
	};

	assert_error_table(*state, cases, ARRAY_SIZE(cases));
}

static void test_config_rejects_tier_defined_twice(void **state)
{
	assert_load_error(*state, "Tier a pids=1\nTier b\nTier a pids=2\n", 3,
			  "Tier a is defined twice (first on line 1)");
	assert_load_error(*state, "Tier default pids=1\nTier default pids=2\n", 2,
			  "Tier default is defined twice (first on line 1)");
}

static void test_config_rejects_undefined_default_tier(void **state)
{
	assert_load_error(*state, "Tier small\n\nDefaultTier large\n", 3,
			  "DefaultTier large names no tier (define it with a Tier line)");
}

static void test_config_rejects_invalid_default_tier(void **state)
{
	static const struct error_case cases[] = {
		{ "DefaultTier Small",
		  "invalid tier name \"Small\" for DefaultTier" TIER_NAME_RULE },
		{ "DefaultTier small extra",
		  "unexpected text \"extra\" after the value of DefaultTier" },
	};

	assert_error_table(*state, cases, ARRAY_SIZE(cases));
}

static void test_config_tier_name_rule(void **state)
{
	static const struct {
		const char *name;
		bool valid;
	} cases[] = {
		{ "small", true },  { "4g", true },   { "a-b_c", true },
		{ "", false },      { "_a", false },  { "A", false },
		{ "a.b", false },   { "a b", false },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (config_tier_name_is_valid(cases[i].name) != cases[i].valid)
			fail_msg("tier name \"%s\": expected %s", cases[i].name,
				 cases[i].valid ? "valid" : "invalid");
	}
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static void test_config_session_keyword_defaults(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(f->cfg.cgroup_name, "rexec");
	assert_int_equal(f->cfg.client_alive_interval_s, 15);
	assert_int_equal(f->cfg.client_alive_count_max, 3);
	assert_int_equal(f->cfg.idle_timeout_s, 0);
	assert_int_equal(f->cfg.per_source_max_startups, 10);
	assert_true(config_env_accepted(&f->cfg, "LANG"));
	assert_true(config_env_accepted(&f->cfg, "LC_ALL"));
	assert_true(config_env_accepted(&f->cfg, "TZ"));
	assert_false(config_env_accepted(&f->cfg, "LD_PRELOAD"));
	assert_false(config_env_accepted(&f->cfg, "PATH"));
	assert_false(config_env_accepted(&f->cfg, "BASH_ENV"));
	assert_false(config_env_accepted(&f->cfg, "LANGUAGE"));
}

static void test_config_accept_env_replaces_default(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "AcceptEnv \"LANG, MY_*\"\n"), 0);
	assert_int_equal(f->cfg.accept_env_count, 2);
	assert_true(config_env_accepted(&f->cfg, "LANG"));
	assert_true(config_env_accepted(&f->cfg, "MY_VAR"));
	assert_true(config_env_accepted(&f->cfg, "MY_"));
	assert_false(config_env_accepted(&f->cfg, "LC_ALL"));
	assert_false(config_env_accepted(&f->cfg, "MY"));
}

static void test_config_rejects_invalid_accept_env(void **state)
{
	static const char *const values[] = {"1ABC", "A-B", "*", "A*B", "\"LANG $X\""};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char text[128];

		snprintf(text, sizeof(text), "AcceptEnv %s\n", values[i]);
		assert_int_equal(load(f, text), -EINVAL);
		assert_non_null(strstr(f->err, ":1: invalid value"));
		assert_non_null(strstr(f->err, "AcceptEnv"));
	}
}

static void test_config_sets_keepalive_and_idle(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "ClientAliveInterval 2m\nClientAliveCountMax 5\n"
				 "IdleTimeout 1h\nCgroupName rexec-test-1\n"),
			 0);
	assert_int_equal(f->cfg.client_alive_interval_s, 120);
	assert_int_equal(f->cfg.client_alive_count_max, 5);
	assert_int_equal(f->cfg.idle_timeout_s, 3600);
	assert_string_equal(f->cfg.cgroup_name, "rexec-test-1");
}

static void test_config_sets_privsep_and_profile_paths(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(f->cfg.network_user, "rexec");
	assert_string_equal(f->cfg.network_chroot, "/run/rexec/empty");
	assert_string_equal(f->cfg.sftp_server, "/usr/lib/openssh/sftp-server");
	assert_int_equal(load(f, "NetworkUser _rexec-net\nNetworkChroot /var/empty\n"
				 "SeccompProfile /etc/x.json\nSftpServer /usr/libexec/sftp\n"),
			 0);
	assert_string_equal(f->cfg.network_user, "_rexec-net");
	assert_string_equal(f->cfg.network_chroot, "/var/empty");
	assert_string_equal(f->cfg.seccomp_profile, "/etc/x.json");
	assert_string_equal(f->cfg.sftp_server, "/usr/libexec/sftp");
}

static void test_config_rejects_invalid_network_user(void **state)
{
	static const char *const values[] = {"Root", "1abc", "a b", "a$", "averyveryverylongusernamethatgoesonandon"};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		char text[128];

		snprintf(text, sizeof(text), "NetworkUser \"%s\"\n", values[i]);
		assert_int_equal(load(f, text), -EINVAL);
		assert_non_null(strstr(f->err, ":1: invalid user name"));
	}
}

static void test_config_rejects_zero_client_alive_count(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "ClientAliveCountMax 0\n"), -EINVAL);
	assert_non_null(strstr(f->err, ":1: invalid value \"0\" for ClientAliveCountMax"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_defaults),
		TEST(test_config_empty_file_keeps_defaults),
		TEST(test_config_sets_every_keyword),
		TEST(test_config_keywords_are_case_insensitive),
		TEST(test_config_accepts_spacing_and_comments),
		TEST(test_config_accepts_quoted_value),
		TEST(test_config_accepts_last_line_without_newline),
		TEST(test_config_log_level_table),
		TEST(test_config_duration_table),
		TEST(test_config_size_table),
		TEST(test_config_listen_address_table),
		TEST(test_config_listen_address_repeats),
		TEST(test_config_allows_sixteen_listen_addresses),
		TEST(test_config_accepts_line_of_max_length),
		TEST(test_config_accepts_widest_uid_range),
		TEST(test_config_host_key_path),
		TEST(test_config_session_keyword_defaults),
		TEST(test_config_accept_env_replaces_default),
		TEST(test_config_rejects_invalid_accept_env),
		TEST(test_config_sets_keepalive_and_idle),
		TEST(test_config_rejects_zero_client_alive_count),
		TEST(test_config_sets_privsep_and_profile_paths),
		TEST(test_config_rejects_invalid_network_user),
		cmocka_unit_test(test_config_parse_line_labels_error),
		TEST(test_config_rejects_missing_file),
		TEST(test_config_reports_line_number),
		TEST(test_config_rejects_unknown_keyword),
		TEST(test_config_rejects_missing_value),
		TEST(test_config_rejects_trailing_text),
		TEST(test_config_rejects_duplicate_keyword),
		TEST(test_config_rejects_long_line),
		TEST(test_config_rejects_nul_byte),
		TEST(test_config_rejects_port_out_of_range),
		TEST(test_config_rejects_invalid_listen_address),
		TEST(test_config_rejects_repeated_listen_address),
		TEST(test_config_rejects_too_many_listen_addresses),
		TEST(test_config_rejects_relative_path),
		TEST(test_config_rejects_invalid_number),
		TEST(test_config_rejects_numeric_overflow),
		TEST(test_config_rejects_invalid_duration),
		TEST(test_config_rejects_invalid_size),
		TEST(test_config_rejects_invalid_log_level),
		TEST(test_config_rejects_invalid_hostname),
		TEST(test_config_rejects_uid_base_below_65536),
		TEST(test_config_rejects_small_uids_per_user),
		TEST(test_config_rejects_uid_range_past_max),
		TEST(test_config_tier_sets_every_key),
		TEST(test_config_tier_omitted_keys_take_builtin_values),
		TEST(test_config_tier_zero_means_no_limit),
		TEST(test_config_default_tier_may_precede_its_tier),
		TEST(test_config_allows_max_tiers),
		TEST(test_config_rejects_too_many_tiers),
		TEST(test_config_rejects_invalid_tier_line),
		TEST(test_config_rejects_tier_defined_twice),
		TEST(test_config_rejects_undefined_default_tier),
		TEST(test_config_rejects_invalid_default_tier),
		cmocka_unit_test(test_config_tier_name_rule),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
