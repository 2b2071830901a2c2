/* rexecd.conf parsing: a table of keywords, one parser per kind of value. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rexec/config.h"
#include "rexec/util.h"

#define CONFIG_FILE_MAX  (1024 * 1024)
#define UID_MAX_VALID    0xfffffffeU /* (uid_t)-1 means "no uid" to the kernel */

/* A nonzero memory= or home= size below this is most likely a size
 * written without its suffix ("512" meaning 512M), too small for any
 * sandbox to start in or for an ext4 home image, so it is rejected. */
#define SIZE_MIN_BYTES (16ULL * 1024 * 1024)

_Static_assert(sizeof(uid_t) == sizeof(uint32_t), "uid_t is expected to be 32 bits");

enum value_kind {
	VALUE_LISTEN,    /* host:port or [v6]:port, appended to cfg->listen */
	VALUE_PATH,      /* absolute path, char * */
	VALUE_LOG_LEVEL, /* enum log_level */
	VALUE_DURATION,  /* uint32_t seconds; suffix s, m or h */
	VALUE_NUMBER,    /* uint32_t */
	VALUE_SIZE,      /* uint64_t bytes; suffix K, M or G; 0 or at least min */
	VALUE_HOSTNAME,  /* char * */
	VALUE_ENV_LIST,  /* variable name patterns, separated by spaces or commas */
	VALUE_USER_NAME, /* char *: a system user name */
	VALUE_TIER,      /* "NAME key=value ...", the rest of the line, added to cfg->tiers */
	VALUE_TIER_NAME, /* char *: a tier name */
	VALUE_NETWORK,   /* enum config_network; only as a key of Tier */
};

struct keyword {
	const char *name;
	enum value_kind kind;
	size_t offset; /* of the field in struct config */
	uint64_t min, max;
};

#define FIELD(name) offsetof(struct config, name)

static const struct keyword keywords[] = {
	{ "ListenAddress", VALUE_LISTEN, 0, 0, 0 },
	{ "StateDirectory", VALUE_PATH, FIELD(state_dir), 0, 0 },
	{ "AuditLog", VALUE_PATH, FIELD(audit_log), 0, 0 },
	{ "LogLevel", VALUE_LOG_LEVEL, FIELD(log_level), 0, 0 },
	{ "LoginGraceTime", VALUE_DURATION, FIELD(login_grace_time_s), 0, UINT32_MAX },
	{ "MaxAuthTries", VALUE_NUMBER, FIELD(max_auth_tries), 1, UINT32_MAX },
	{ "MaxSessions", VALUE_NUMBER, FIELD(max_sessions), 1, UINT32_MAX },
	{ "MaxStartups", VALUE_NUMBER, FIELD(max_startups), 1, UINT32_MAX },
	{ "PerSourceMaxStartups", VALUE_NUMBER, FIELD(per_source_max_startups), 0, UINT32_MAX },
	/* Host uids below 65536 belong to ordinary accounts of the host. */
	{ "UidBase", VALUE_NUMBER, FIELD(uid_base), 65536, UID_MAX_VALID },
	/* Each range must reach past uid 1000, the login user inside. */
	{ "UidsPerUser", VALUE_NUMBER, FIELD(uid_count), 2000, UINT32_MAX },
	{ "Shell", VALUE_PATH, FIELD(shell), 0, 0 },
	{ "SandboxHostname", VALUE_HOSTNAME, FIELD(sandbox_hostname), 0, 0 },
	{ "SandboxLinger", VALUE_DURATION, FIELD(linger_s), 0, UINT32_MAX },
	{ "Tier", VALUE_TIER, 0, 0, 0 },
	{ "DefaultTier", VALUE_TIER_NAME, FIELD(default_tier), 0, 0 },
	{ "CgroupName", VALUE_HOSTNAME, FIELD(cgroup_name), 0, 0 },
	{ "AcceptEnv", VALUE_ENV_LIST, 0, 0, 0 },
	{ "ClientAliveInterval", VALUE_DURATION, FIELD(client_alive_interval_s), 0, 86400 },
	{ "ClientAliveCountMax", VALUE_NUMBER, FIELD(client_alive_count_max), 1, 1000 },
	{ "IdleTimeout", VALUE_DURATION, FIELD(idle_timeout_s), 0, UINT32_MAX },
	{ "SftpServer", VALUE_PATH, FIELD(sftp_server), 0, 0 },
	{ "NetworkUser", VALUE_USER_NAME, FIELD(network_user), 0, 0 },
	{ "NetworkChroot", VALUE_PATH, FIELD(network_chroot), 0, 0 },
	{ "SeccompProfile", VALUE_PATH, FIELD(seccomp_profile), 0, 0 },
};

_Static_assert(ARRAY_SIZE(keywords) <= 32, "keywords_seen has one bit per keyword");

/* The keys of a Tier line, described like keywords, but each offset is
 * that of a field in struct config_tier. */
#define TIER_FIELD(name) offsetof(struct config_tier, name)

static const struct keyword tier_keys[] = {
	{ "memory", VALUE_SIZE, TIER_FIELD(memory_max_bytes), SIZE_MIN_BYTES, UINT64_MAX },
	{ "cpu", VALUE_NUMBER, TIER_FIELD(cpu_max_percent), 0, UINT32_MAX },
	{ "pids", VALUE_NUMBER, TIER_FIELD(pids_max), 0, UINT32_MAX },
	{ "home", VALUE_SIZE, TIER_FIELD(home_max_bytes), SIZE_MIN_BYTES, UINT64_MAX },
	{ "network", VALUE_NETWORK, TIER_FIELD(network), 0, 0 },
};

#define TIER_KEYS_TEXT "memory, cpu, pids, home or network"

/* The built-in tier, and the values of keys a Tier line leaves out. */
static const struct config_tier builtin_tier = {
	.name = CONFIG_BUILTIN_TIER,
	.memory_max_bytes = 512ULL << 20,
	.cpu_max_percent = 100,
	.pids_max = 256,
	.home_max_bytes = 1ULL << 30,
	.network = CONFIG_NETWORK_NONE,
	.line_no = 0,
};

static int set_env_list(struct config *cfg, const char *text);
static void free_env_list(struct config *cfg);

/* The context of one line, for error messages. */
struct line_ctx {
	const char *path;
	unsigned line_no; /* 0 when the error concerns the whole file */
	char *err;
	size_t err_len;
};

__attribute__((format(printf, 2, 3))) static int fail(const struct line_ctx *ctx,
						      const char *fmt, ...)
{
	size_t used = 0;
	va_list ap;
	int n;

	if (!ctx->err || ctx->err_len == 0)
		return -EINVAL;

	if (ctx->line_no > 0)
		n = snprintf(ctx->err, ctx->err_len, "%s:%u: ", ctx->path, ctx->line_no);
	else
		n = snprintf(ctx->err, ctx->err_len, "%s: ", ctx->path);
	if (n > 0)
		used = (size_t)n < ctx->err_len ? (size_t)n : ctx->err_len - 1;

	va_start(ap, fmt);
	vsnprintf(ctx->err + used, ctx->err_len - used, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));

	snprintf(cfg->listen[0].host, sizeof(cfg->listen[0].host), "0.0.0.0");
	cfg->listen[0].port = 22;
	cfg->listen_count = 1;

	/* A failed strdup leaves NULL, which config_load reports as -ENOMEM. */
	cfg->state_dir = strdup("/var/lib/rexec");
	cfg->audit_log = strdup("/var/log/rexec/audit.jsonl");
	cfg->log_level = LOG_LEVEL_INFO;

	cfg->login_grace_time_s = 30;
	cfg->max_auth_tries = 6;
	cfg->max_sessions = 10;
	cfg->max_startups = 100;
	cfg->per_source_max_startups = 10;

	cfg->uid_base = 200000;
	cfg->uid_count = 65536;
	cfg->shell = strdup("/bin/bash");
	cfg->sandbox_hostname = strdup("rexec");
	cfg->linger_s = 0;
	cfg->cgroup_name = strdup("rexec");
	cfg->tiers[0] = builtin_tier;
	cfg->tier_count = 1;
	cfg->default_tier = strdup(CONFIG_BUILTIN_TIER);

	/* Locale and terminal description only: nothing that changes how a
	 * program loads (LD_*, BASH_ENV) or finds commands (PATH). */
	set_env_list(cfg, "LANG LC_* TERM COLORTERM TZ");
	cfg->client_alive_interval_s = 15;
	cfg->client_alive_count_max = 3;
	cfg->idle_timeout_s = 0;
	cfg->sftp_server = strdup("/usr/lib/openssh/sftp-server");

	cfg->network_user = strdup("rexec");
	cfg->network_chroot = strdup("/run/rexec/empty");
	cfg->seccomp_profile = strdup(SYSCONFDIR "/rexec/seccomp.json");
}

static void free_env_list(struct config *cfg)
{
	for (size_t i = 0; i < cfg->accept_env_count; i++)
		free(cfg->accept_env[i]);
	free(cfg->accept_env);
	cfg->accept_env = NULL;
	cfg->accept_env_count = 0;
}

void config_free(struct config *cfg)
{
	free(cfg->state_dir);
	free(cfg->audit_log);
	free(cfg->shell);
	free(cfg->sandbox_hostname);
	free(cfg->cgroup_name);
	free(cfg->sftp_server);
	free(cfg->network_user);
	free(cfg->network_chroot);
	free(cfg->seccomp_profile);
	free(cfg->default_tier);
	free_env_list(cfg);
	memset(cfg, 0, sizeof(*cfg));
}

bool config_env_accepted(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->accept_env_count; i++) {
		const char *pattern = cfg->accept_env[i];
		size_t len = strlen(pattern);

		if (len > 0 && pattern[len - 1] == '*') {
			if (strncmp(name, pattern, len - 1) == 0)
				return true;
		} else if (strcmp(name, pattern) == 0) {
			return true;
		}
	}
	return false;
}

const struct config_tier *config_find_tier(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->tier_count; i++) {
		if (strcmp(cfg->tiers[i].name, name) == 0)
			return &cfg->tiers[i];
	}
	return NULL;
}

bool config_tier_name_is_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > CONFIG_TIER_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool valid = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			     (i > 0 && (c == '-' || c == '_'));

		if (!valid)
			return false;
	}
	return true;
}

const char *config_network_name(enum config_network network)
{
	return network == CONFIG_NETWORK_EGRESS ? "egress" : "none";
}

char *config_host_key_path(const struct config *cfg)
{
	char *path;

	if (asprintf(&path, "%s/hostkeys/ssh_host_ed25519_key", cfg->state_dir) < 0)
		return NULL;
	return path;
}

static const struct keyword *find_keyword(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(keywords); i++) {
		if (strcasecmp(keywords[i].name, name) == 0)
			return &keywords[i];
	}
	return NULL;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char *skip_spaces(char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

static bool is_end_of_line(const char *p)
{
	return *p == '\0' || *p == '#';
}

/* Parses leading decimal digits into *value. Returns the number of digits
 * read (0 if none), or -ERANGE when the number does not fit 64 bits. */
static int parse_digits(const char *text, uint64_t *value)
{
	uint64_t v = 0;
	int n = 0;

	for (; is_digit(text[n]); n++) {
		uint64_t digit = (uint64_t)(text[n] - '0');

		if (v > (UINT64_MAX - digit) / 10)
			return -ERANGE;
		v = v * 10 + digit;
	}
	*value = v;
	return n;
}

/* Parses a number with an optional one-letter suffix from units (matched
 * case-insensitively) whose multipliers are in factors. */
static int parse_scaled(const char *text, const char *units, const uint64_t *factors,
			uint64_t *value)
{
	uint64_t v, factor = 1;
	const char *unit;
	int n = parse_digits(text, &v);

	if (n <= 0)
		return n == 0 ? -EINVAL : n;

	if (text[n] != '\0') {
		char letter = text[n];

		if (letter >= 'a' && letter <= 'z')
			letter = (char)(letter - 'a' + 'A');
		unit = strchr(units, letter);
		if (!unit || text[n + 1] != '\0')
			return -EINVAL;
		factor = factors[unit - units];
	}
	if (v > UINT64_MAX / factor)
		return -ERANGE;
	*value = v * factor;
	return 0;
}

/* Parses a plain number from min to max; label names the setting in the
 * error text. */
static int parse_number(const char *value, uint64_t min, uint64_t max, const char *label,
			const struct line_ctx *ctx, uint64_t *out)
{
	static const uint64_t no_factors[] = { 1 };

	if (parse_scaled(value, "", no_factors, out) < 0 || *out < min || *out > max)
		return fail(ctx,
			    "invalid value \"%s\" for %s (expected a number from %llu to %llu)",
			    value, label, (unsigned long long)min, (unsigned long long)max);
	return 0;
}

/* Parses a size in bytes or with suffix K, M or G: 0, or at least min. */
static int parse_size(const char *value, uint64_t min, const char *label,
		      const struct line_ctx *ctx, uint64_t *out)
{
	static const uint64_t factors[] = { 1ULL << 10, 1ULL << 20, 1ULL << 30 };

	if (parse_scaled(value, "KMG", factors, out) < 0 || (*out != 0 && *out < min))
		return fail(ctx,
			    "invalid size \"%s\" for %s (expected 0 for no limit, or at least "
			    "%lluM, in bytes or with suffix K, M or G)",
			    value, label, (unsigned long long)(min >> 20));
	return 0;
}

static int set_number(const struct keyword *kw, struct config *cfg, const char *value,
		      const struct line_ctx *ctx)
{
	uint64_t v;
	int r = parse_number(value, kw->min, kw->max, kw->name, ctx, &v);

	if (r < 0)
		return r;
	*(uint32_t *)((char *)cfg + kw->offset) = (uint32_t)v;
	return 0;
}

static int set_duration(const struct keyword *kw, struct config *cfg, const char *value,
			const struct line_ctx *ctx)
{
	static const uint64_t factors[] = { 1, 60, 3600 };
	uint64_t v;

	if (parse_scaled(value, "SMH", factors, &v) < 0 || v < kw->min || v > kw->max)
		return fail(ctx,
			    "invalid duration \"%s\" for %s (expected seconds, or a number "
			    "with suffix s, m or h, at most %llu seconds)",
			    value, kw->name, (unsigned long long)kw->max);
	*(uint32_t *)((char *)cfg + kw->offset) = (uint32_t)v;
	return 0;
}

static int set_string(struct config *cfg, size_t offset, const char *value)
{
	char **field = (char **)((char *)cfg + offset);
	char *copy = strdup(value);

	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

static int set_path(const struct keyword *kw, struct config *cfg, const char *value,
		    const struct line_ctx *ctx)
{
	if (value[0] != '/')
		return fail(ctx, "%s must be an absolute path", kw->name);
	return set_string(cfg, kw->offset, value);
}

/* Accepts what sethostname(2) and resolvers accept: letters, digits, '-'
 * and '.', at most 64 bytes, not starting with '-' or '.'. */
static int set_hostname(const struct keyword *kw, struct config *cfg, const char *value,
			const struct line_ctx *ctx)
{
	size_t len = strlen(value);
	bool valid = len <= 64 && value[0] != '-' && value[0] != '.';

	for (size_t i = 0; valid && i < len; i++) {
		char c = value[i];

		valid = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
			c == '-' || c == '.';
	}
	if (!valid)
		return fail(ctx,
			    "invalid host name \"%s\" for %s (expected letters, digits, '-' and "
			    "'.', at most 64 bytes)",
			    value, kw->name);
	return set_string(cfg, kw->offset, value);
}

/* Accepts the portable subset of user names useradd(8) takes: a lowercase
 * letter or '_', then lowercase letters, digits, '_' or '-', at most 32. */
static int set_user_name(const struct keyword *kw, struct config *cfg, const char *value,
			 const struct line_ctx *ctx)
{
	size_t len = strlen(value);
	bool valid = len <= 32 && ((value[0] >= 'a' && value[0] <= 'z') || value[0] == '_');

	for (size_t i = 1; valid && i < len; i++) {
		char c = value[i];

		valid = (c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-';
	}
	if (!valid)
		return fail(ctx,
			    "invalid user name \"%s\" for %s (expected a lowercase letter or '_', "
			    "then lowercase letters, digits, '_' or '-', at most 32 bytes)",
			    value, kw->name);
	return set_string(cfg, kw->offset, value);
}

static int set_log_level(const struct keyword *kw, struct config *cfg, const char *value,
			 const struct line_ctx *ctx)
{
	if (log_level_parse(value, &cfg->log_level) < 0)
		return fail(ctx,
			    "invalid value \"%s\" for %s (expected error, warn, info or debug)",
			    value, kw->name);
	return 0;
}

/* Splits "host:port" or "[v6]:port" in place. Returns false if the shape
 * is wrong; the address and port themselves are checked by the caller. */
static bool split_host_port(char *text, char **host, char **port, int *family)
{
	char *colon;

	if (text[0] == '[') {
		char *close = strchr(text, ']');

		if (!close || close[1] != ':')
			return false;
		*close = '\0';
		*host = text + 1;
		*port = close + 2;
		*family = AF_INET6;
		return true;
	}

	colon = strrchr(text, ':');
	if (!colon)
		return false;
	*colon = '\0';
	*host = text;
	*port = colon + 1;
	*family = AF_INET;
	return true;
}

static int parse_listen(const char *value, struct config_listen *out, const struct line_ctx *ctx)
{
	char text[CONFIG_LINE_MAX + 1];
	unsigned char addr[sizeof(struct in6_addr)];
	char *host, *port;
	uint64_t port_number = 0;
	int family;

	snprintf(text, sizeof(text), "%s", value);
	if (!split_host_port(text, &host, &port, &family))
		return fail(ctx,
			    "invalid value \"%s\" for ListenAddress (expected host:port or "
			    "[IPv6]:port)",
			    value);

	if (inet_pton(family, host, addr) != 1)
		return fail(ctx,
			    "invalid address \"%s\" for ListenAddress (expected a numeric IPv4 "
			    "address, or an IPv6 address in brackets such as [::1]:22)",
			    host);
	if (!inet_ntop(family, addr, out->host, sizeof(out->host)))
		return -errno;

	if (parse_digits(port, &port_number) != (int)strlen(port) || port[0] == '\0' ||
	    port_number < 1 || port_number > 65535)
		return fail(ctx, "invalid port \"%s\" for ListenAddress (expected 1-65535)", port);
	out->port = (uint16_t)port_number;
	return 0;
}

static int add_listen(const struct keyword *kw, struct config *cfg, const char *value,
		      const struct line_ctx *ctx)
{
	struct config_listen entry;
	int r = parse_listen(value, &entry, ctx);

	if (r < 0)
		return r;

	/* The first ListenAddress in a file replaces the default. */
	if (!(cfg->keywords_seen & (1U << (kw - keywords))))
		cfg->listen_count = 0;

	for (size_t i = 0; i < cfg->listen_count; i++) {
		if (strcmp(cfg->listen[i].host, entry.host) == 0 &&
		    cfg->listen[i].port == entry.port)
			return fail(ctx, "ListenAddress \"%s\" is given twice", value);
	}
	if (cfg->listen_count == CONFIG_LISTEN_MAX)
		return fail(ctx, "too many ListenAddress lines (at most %d)", CONFIG_LISTEN_MAX);

	cfg->listen[cfg->listen_count++] = entry;
	return 0;
}

/* A pattern is a variable name ([A-Za-z_][A-Za-z0-9_]*), optionally
 * ending in '*'. */
static bool env_pattern_is_valid(const char *pattern, size_t len)
{
	if (len == 0 || is_digit(pattern[0]) || pattern[0] == '*')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = pattern[i];
		bool name_char = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
				 c == '_';

		if (!name_char && !(c == '*' && i == len - 1))
			return false;
	}
	return true;
}

/* Replaces the AcceptEnv list with the patterns in text. Returns 0,
 * -EINVAL for an invalid pattern or -ENOMEM. */
static int set_env_list(struct config *cfg, const char *text)
{
	char **list = NULL;
	size_t count = 0;
	const char *p = text;

	while (*p) {
		size_t len = strcspn(p, " \t,");
		char **grown;

		if (len == 0) {
			p++;
			continue;
		}
		if (!env_pattern_is_valid(p, len))
			goto invalid;
		grown = realloc(list, (count + 1) * sizeof(*list));
		if (!grown)
			goto nomem;
		list = grown;
		list[count] = strndup(p, len);
		if (!list[count])
			goto nomem;
		count++;
		p += len;
	}

	free_env_list(cfg);
	cfg->accept_env = list;
	cfg->accept_env_count = count;
	return 0;

invalid:
	for (size_t i = 0; i < count; i++)
		free(list[i]);
	free(list);
	return -EINVAL;
nomem:
	for (size_t i = 0; i < count; i++)
		free(list[i]);
	free(list);
	return -ENOMEM;
}

static int set_accept_env(const struct keyword *kw, struct config *cfg, const char *value,
			  const struct line_ctx *ctx)
{
	int r = set_env_list(cfg, value);

	if (r == -EINVAL)
		return fail(ctx,
			    "invalid value \"%s\" for %s (expected variable names such as LANG or "
			    "LC_*, separated by spaces or commas)",
			    value, kw->name);
	return r;
}

/* ---- tiers ---- */

#define TIER_NAME_RULE                                                                             \
	"expected a lowercase letter or digit, then up to 31 lowercase letters, digits, '-' or '_'"

static int set_tier_name(const struct keyword *kw, struct config *cfg, const char *value,
			 const struct line_ctx *ctx)
{
	if (!config_tier_name_is_valid(value))
		return fail(ctx, "invalid tier name \"%s\" for %s (" TIER_NAME_RULE ")", value,
			    kw->name);
	cfg->default_tier_line = ctx->line_no;
	return set_string(cfg, kw->offset, value);
}

static const struct keyword *find_tier_key(const char *name, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(tier_keys); i++) {
		if (strlen(tier_keys[i].name) == len && strncmp(tier_keys[i].name, name, len) == 0)
			return &tier_keys[i];
	}
	return NULL;
}

/* Sets one "key=value" of a Tier line. seen has one bit per tier key. */
static int set_tier_key(struct config_tier *tier, char *setting, unsigned *seen,
			const struct line_ctx *ctx)
{
	char *equals = strchr(setting, '=');
	size_t name_len = equals ? (size_t)(equals - setting) : 0;
	const struct keyword *key = equals ? find_tier_key(setting, name_len) : NULL;
	char *field = (char *)tier + (key ? key->offset : 0);
	char label[CONFIG_TIER_NAME_MAX + 32];
	const char *value = equals ? equals + 1 : "";
	uint64_t v;
	int r;

	if (!equals)
		return fail(ctx, "invalid setting \"%s\" in Tier %s (expected key=value with key "
			    TIER_KEYS_TEXT ")", setting, tier->name);
	if (!key)
		return fail(ctx, "unknown key \"%.*s\" in Tier %s (expected " TIER_KEYS_TEXT ")",
			    (int)name_len, setting, tier->name);
	if (*seen & (1U << (key - tier_keys)))
		return fail(ctx, "key %s is given twice in Tier %s", key->name, tier->name);
	*seen |= 1U << (key - tier_keys);

	snprintf(label, sizeof(label), "%s in Tier %s", key->name, tier->name);
	switch (key->kind) {
	case VALUE_SIZE:
		r = parse_size(value, key->min, label, ctx, &v);
		if (r == 0)
			*(uint64_t *)field = v;
		return r;
	case VALUE_NUMBER:
		r = parse_number(value, key->min, key->max, label, ctx, &v);
		if (r == 0)
			*(uint32_t *)field = (uint32_t)v;
		return r;
	default:
		if (strcmp(value, "none") == 0)
			*(enum config_network *)field = CONFIG_NETWORK_NONE;
		else if (strcmp(value, "egress") == 0)
			*(enum config_network *)field = CONFIG_NETWORK_EGRESS;
		else
			return fail(ctx, "invalid value \"%s\" for %s (expected none or egress)",
				    value, label);
		return 0;
	}
}

/* Returns the slot for a Tier line named name: the built-in tier, which a
 * file may redefine once, or a new one. */
static int tier_slot(struct config *cfg, const char *name, struct config_tier **out,
		     const struct line_ctx *ctx)
{
	for (size_t i = 0; i < cfg->tier_count; i++) {
		struct config_tier *tier = &cfg->tiers[i];

		if (strcmp(tier->name, name) != 0)
			continue;
		if (tier->line_no != 0)
			return fail(ctx, "Tier %s is defined twice (first on line %u)", name,
				    tier->line_no);
		*out = tier;
		return 0;
	}
	if (cfg->tier_count == CONFIG_TIER_MAX)
		return fail(ctx, "too many Tier lines (at most %d)", CONFIG_TIER_MAX);
	*out = &cfg->tiers[cfg->tier_count++];
	return 0;
}

/* Parses "NAME key=value ..." in place. Keys left out take the built-in
 * tier's values, so the meaning of a line never depends on other lines. */
static int add_tier(struct config *cfg, char *text, const struct line_ctx *ctx)
{
	struct config_tier tier = builtin_tier;
	struct config_tier *slot = NULL;
	char *save = NULL;
	char *name = strtok_r(text, " \t\r\n\f\v", &save);
	char *setting;
	unsigned seen = 0;
	int r;

	if (!config_tier_name_is_valid(name))
		return fail(ctx, "invalid tier name \"%s\" for Tier (" TIER_NAME_RULE ")", name);
	snprintf(tier.name, sizeof(tier.name), "%s", name);
	tier.line_no = ctx->line_no;

	while ((setting = strtok_r(NULL, " \t\r\n\f\v", &save)) && setting[0] != '#') {
		r = set_tier_key(&tier, setting, &seen, ctx);
		if (r < 0)
			return r;
	}

	r = tier_slot(cfg, tier.name, &slot, ctx);
	if (r < 0)
		return r;
	*slot = tier;
	return 0;
}

static int set_value(const struct keyword *kw, struct config *cfg, const char *value,
		     const struct line_ctx *ctx)
{
	switch (kw->kind) {
	case VALUE_LISTEN:
		return add_listen(kw, cfg, value, ctx);
	case VALUE_PATH:
		return set_path(kw, cfg, value, ctx);
	case VALUE_LOG_LEVEL:
		return set_log_level(kw, cfg, value, ctx);
	case VALUE_DURATION:
		return set_duration(kw, cfg, value, ctx);
	case VALUE_NUMBER:
		return set_number(kw, cfg, value, ctx);
	case VALUE_HOSTNAME:
		return set_hostname(kw, cfg, value, ctx);
	case VALUE_ENV_LIST:
		return set_accept_env(kw, cfg, value, ctx);
	case VALUE_USER_NAME:
		return set_user_name(kw, cfg, value, ctx);
	case VALUE_TIER:
		/* value points into config_parse_line's own copy of the line. */
		return add_tier(cfg, (char *)value, ctx);
	case VALUE_TIER_NAME:
		return set_tier_name(kw, cfg, value, ctx);
	case VALUE_SIZE:
	case VALUE_NETWORK:
		break; /* only keys of a Tier line have these kinds */
	}
	return -EINVAL;
}

/* Cuts the value that starts at p out of the line, in place: either one
 * word or a "double-quoted string" that may contain spaces. Sets *next to
 * the text after it. */
static int cut_value(char *p, const struct keyword *kw, char **value, char **next,
		     const struct line_ctx *ctx)
{
	char *end;

	if (*p == '"') {
		end = strchr(p + 1, '"');
		if (!end)
			return fail(ctx, "missing closing quote in the value of %s", kw->name);
		if (end[1] != '\0' && !is_space(end[1]))
			return fail(ctx, "unexpected text after the closing quote of %s", kw->name);
		*value = p + 1;
	} else {
		end = p;
		while (*end && !is_space(*end))
			end++;
		*value = p;
	}

	*next = *end ? end + 1 : end;
	*end = '\0';
	if (**value == '\0')
		return fail(ctx, "missing value for %s", kw->name);
	return 0;
}

int config_parse_line(struct config *cfg, const char *line, const char *path, unsigned line_no,
		      char *err, size_t err_len)
{
	const struct line_ctx ctx = { path, line_no, err, err_len };
	char text[CONFIG_LINE_MAX + 1];
	const struct keyword *kw;
	char *p, *name, *value = NULL, *rest = NULL;
	uint32_t bit;
	int r;

	if (strlen(line) > CONFIG_LINE_MAX)
		return fail(&ctx, "line is longer than %d bytes", CONFIG_LINE_MAX);
	snprintf(text, sizeof(text), "%s", line);

	p = skip_spaces(text);
	if (is_end_of_line(p))
		return 0;

	name = p;
	while (*p && !is_space(*p))
		p++;
	if (*p)
		*p++ = '\0';
	kw = find_keyword(name);
	if (!kw)
		return fail(&ctx, "unknown keyword \"%s\"", name);

	p = skip_spaces(p);
	if (is_end_of_line(p))
		return fail(&ctx, "missing value for %s", kw->name);
	if (kw->kind == VALUE_TIER) {
		/* A Tier line's value is the rest of the line. */
		value = p;
	} else {
		r = cut_value(p, kw, &value, &rest, &ctx);
		if (r < 0)
			return r;
		rest = skip_spaces(rest);
		if (!is_end_of_line(rest))
			return fail(&ctx, "unexpected text \"%s\" after the value of %s", rest,
				    kw->name);
	}

	bit = 1U << (kw - keywords);
	if ((cfg->keywords_seen & bit) && kw->kind != VALUE_LISTEN && kw->kind != VALUE_TIER)
		return fail(&ctx,
			    "duplicate keyword %s (only ListenAddress and Tier may be repeated)",
			    kw->name);

	r = set_value(kw, cfg, value, &ctx);
	if (r < 0)
		return r;
	cfg->keywords_seen |= bit;
	return 0;
}

/* Checks the rules that involve more than one keyword. */
static int check_config(const struct config *cfg, struct line_ctx *ctx)
{
	uint64_t last_uid = (uint64_t)cfg->uid_base + cfg->uid_count - 1;

	if (last_uid > UID_MAX_VALID)
		return fail(ctx,
			    "UidBase %u plus UidsPerUser %u goes past the largest uid %u; lower "
			    "either value",
			    (unsigned)cfg->uid_base, cfg->uid_count, UID_MAX_VALID);
	if (!config_find_tier(cfg, cfg->default_tier)) {
		ctx->line_no = cfg->default_tier_line;
		return fail(ctx, "DefaultTier %s names no tier (define it with a Tier line)",
			    cfg->default_tier);
	}
	return 0;
}

static bool has_defaults(const struct config *cfg)
{
	return cfg->state_dir && cfg->audit_log && cfg->shell && cfg->sandbox_hostname &&
	       cfg->cgroup_name && cfg->accept_env && cfg->sftp_server && cfg->network_user &&
	       cfg->network_chroot && cfg->seccomp_profile && cfg->default_tier;
}

int config_load(struct config *cfg, const char *path, char *err, size_t err_len)
{
	struct line_ctx ctx = { path, 0, err, err_len };
	cleanup_free char *data = NULL;
	size_t len, start = 0;
	int r;

	if (!has_defaults(cfg)) {
		fail(&ctx, "out of memory");
		return -ENOMEM;
	}

	r = util_read_file(path, CONFIG_FILE_MAX, &data, &len);
	if (r == -EFBIG) {
		fail(&ctx, "file is larger than %d bytes", CONFIG_FILE_MAX);
		return r;
	}
	if (r < 0) {
		fail(&ctx, "failed to read the configuration: %s", strerror(-r));
		return r;
	}

	cfg->keywords_seen = 0;
	while (start < len) {
		char *line = data + start;
		char *newline = memchr(line, '\n', len - start);
		size_t line_len = newline ? (size_t)(newline - line) : len - start;

		ctx.line_no++;
		if (memchr(line, '\0', line_len))
			return fail(&ctx, "line contains a NUL byte");
		if (line_len > CONFIG_LINE_MAX)
			return fail(&ctx, "line is longer than %d bytes", CONFIG_LINE_MAX);

		line[line_len] = '\0';
		r = config_parse_line(cfg, line, path, ctx.line_no, err, err_len);
		if (r < 0)
			return r;
		start += line_len + 1;
	}

	ctx.line_no = 0;
	return check_config(cfg, &ctx);
}
