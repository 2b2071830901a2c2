/* rexecd.conf: one "Keyword value" per line, keywords case-insensitive,
 * '#' starts a comment, blank lines ignored. etc/rexecd.conf documents
 * every keyword and its default. */
#ifndef REXEC_CONFIG_H
#define REXEC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rexec/log.h"

/* SYSCONFDIR is configure's --sysconfdir (use --sysconfdir=/etc). */
#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define CONFIG_DEFAULT_PATH  SYSCONFDIR "/rexec/rexecd.conf"
#define CONFIG_LISTEN_MAX    16
#define CONFIG_ERROR_MAX     512
#define CONFIG_LINE_MAX      1024  /* bytes per line, without the newline */
#define CONFIG_TIER_MAX      32
#define CONFIG_TIER_NAME_MAX 32
/* The tier that exists without a Tier line, and the default DefaultTier. */
#define CONFIG_BUILTIN_TIER  "default"

struct config_listen {
	char host[64];   /* numeric IPv4 or IPv6 address, no brackets */
	uint16_t port;
};

/* Network of a sandbox: only its own loopback, or loopback plus outgoing
 * connections through slirp4netns (never to the host's loopback). */
enum config_network {
	CONFIG_NETWORK_NONE,
	CONFIG_NETWORK_EGRESS,
};

/* One "Tier NAME key=value ..." line: the resources of a sandbox. */
struct config_tier {
	char name[CONFIG_TIER_NAME_MAX + 1];
	uint64_t memory_max_bytes;  /* memory=, 0 = no limit */
	uint32_t cpu_max_percent;   /* cpu=, percent of one CPU, 0 = no limit */
	uint32_t pids_max;          /* pids=, 0 = no limit */
	uint64_t home_max_bytes;    /* home=, 0 = a plain directory without a size limit */
	enum config_network network; /* network= none or egress */
	unsigned line_no;           /* where the file defines it; 0 for the built-in tier */
};

struct config {
	struct config_listen listen[CONFIG_LISTEN_MAX];
	size_t listen_count;             /* ListenAddress, repeatable; default 0.0.0.0:22 */

	char *state_dir;                 /* StateDirectory /var/lib/rexec */
	char *audit_log;                 /* AuditLog /var/log/rexec/audit.jsonl */
	enum log_level log_level;        /* LogLevel info */

	uint32_t login_grace_time_s;     /* LoginGraceTime 30 (0 = no limit) */
	uint32_t max_auth_tries;         /* MaxAuthTries 6 */
	uint32_t max_sessions;           /* MaxSessions 10: channels per connection */
	uint32_t max_startups;           /* MaxStartups 100: unauthenticated connections */
	uint32_t per_source_max_startups; /* PerSourceMaxStartups 10: the same, per client address (0 = no limit) */

	uid_t uid_base;                  /* UidBase 200000: first host uid given to users */
	uint32_t uid_count;              /* UidsPerUser 65536: ids in each user's range */
	char *shell;                     /* Shell /bin/bash */
	char *sandbox_hostname;          /* SandboxHostname rexec */
	uint32_t linger_s;               /* SandboxLinger 0: keep an idle sandbox this long */
	char *cgroup_name;               /* CgroupName rexec: parent cgroup beneath rexecd's own */

	/* AcceptEnv "LANG LC_* TERM COLORTERM TZ": variable names a client may
	 * set; a trailing '*' matches any suffix. */
	char **accept_env;
	size_t accept_env_count;
	uint32_t client_alive_interval_s; /* ClientAliveInterval 15 (0 = no keepalive requests) */
	uint32_t client_alive_count_max;  /* ClientAliveCountMax 3 unanswered requests */
	uint32_t idle_timeout_s;          /* IdleTimeout 0: no session data this long ends it */
	char *sftp_server;                /* SftpServer /usr/lib/openssh/sftp-server (in the sandbox) */

	char *network_user;               /* NetworkUser rexec: system user of the network process */
	char *network_chroot;             /* NetworkChroot /run/rexec/empty: its empty root */
	char *seccomp_profile;            /* SeccompProfile SYSCONFDIR/rexec/seccomp.json */

	/* Tier, repeatable. tiers[0] is always CONFIG_BUILTIN_TIER (memory=512M
	 * cpu=100 pids=256 home=1G network=none) unless a Tier line redefines it. */
	struct config_tier tiers[CONFIG_TIER_MAX];
	size_t tier_count;
	char *default_tier;               /* DefaultTier default: tier of users without one */
	unsigned default_tier_line;       /* line of DefaultTier, for the error text */

	/* One bit per keyword that config_parse_line has set, so that a
	 * repeated keyword is an error and the first ListenAddress replaces
	 * the default. config_load clears it before reading a file. */
	uint32_t keywords_seen;
};

/* Fills cfg with the defaults above. */
void config_init(struct config *cfg);

/* Reads path over the defaults already in cfg. On error returns a negative
 * errno and writes "FILE:LINE: reason" (or "FILE: reason") into err. */
int config_load(struct config *cfg, const char *path, char *err, size_t err_len);

/* Parses one "Keyword value" line, for config_load and tests; line_no and
 * path only label the error text. */
int config_parse_line(struct config *cfg, const char *line, const char *path,
		      unsigned line_no, char *err, size_t err_len);

void config_free(struct config *cfg);

/* Returns true if AcceptEnv lets a client set the variable name. */
bool config_env_accepted(const struct config *cfg, const char *name);

/* Returns the tier with this name, or NULL. */
const struct config_tier *config_find_tier(const struct config *cfg, const char *name);

/* Returns true for a valid tier name: a lowercase letter or digit, then up
 * to 31 lowercase letters, digits, '-' or '_'. */
bool config_tier_name_is_valid(const char *name);

/* Returns "none" or "egress". */
const char *config_network_name(enum config_network network);

/* Derived paths under state_dir, malloc'd. */
char *config_host_key_path(const struct config *cfg);

#endif
