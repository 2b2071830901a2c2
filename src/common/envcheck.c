/* The environment policy for client "env" requests, declared in
 * envcheck.h. */
#include "config.h"

#include <string.h>

#include "rexec/envcheck.h"
#include "rexec/proto.h"
#include "rexec/util.h"

/* Names no configuration can accept. rexecd sets the first group itself.
 * The others change what the shell or the dynamic loader runs. bash reads
 * BASH_ENV (and sh reads ENV) before the command, and IFS and the option
 * variables change how it parses. PS4 and PROMPT_COMMAND run code, and
 * the glibc variables load other code or data. */
static const char *const denied_names[] = {
    "PATH",
    "HOME",
    "SHELL",
    "USER",
    "LOGNAME",
    "MAIL",
    "BASH_ENV",
    "ENV",
    "IFS",
    "CDPATH",
    "GLOBIGNORE",
    "SHELLOPTS",
    "BASHOPTS",
    "PS4",
    "PROMPT_COMMAND",
    "GCONV_PATH",
    "LOCPATH",
    "NLSPATH",
    "HOSTALIASES",
    "GLIBC_TUNABLES",
    "RESOLV_HOST_CONF",
};

/* Name prefixes no configuration can accept: the dynamic loader's LD_*,
 * exported bash functions (BASH_FUNC_name%%), glibc's malloc tuning, and
 * SSH_*, which OpenSSH's sshd sets for the session. */
static const char *const denied_prefixes[] = {"LD_", "BASH_FUNC_", "MALLOC_", "SSH_"};

bool envcheck_name_denied(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(denied_names); i++) {
		if (strcmp(name, denied_names[i]) == 0)
			return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(denied_prefixes); i++) {
		if (strncmp(name, denied_prefixes[i], strlen(denied_prefixes[i])) == 0)
			return true;
	}
	return false;
}

/* A portable shell name: a letter or '_', then letters, digits or '_'. */
static bool name_is_valid(const char *name, size_t len)
{
	if (len == 0 || len > ENVCHECK_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';

		if (!alpha && !(i > 0 && c >= '0' && c <= '9'))
			return false;
	}
	return true;
}

/* Any byte but ASCII control characters (0x00-0x1f, 0x7f), so UTF-8
 * values pass and no value can start a new line in a log or a shell. */
static bool value_is_valid(const char *value)
{
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
	}
	return true;
}

static const char *check(const struct config *cfg, const char *name, size_t name_len,
			 const char *value)
{
	char copy[ENVCHECK_NAME_MAX + 1];

	if (!name_is_valid(name, name_len))
		return "invalid name";
	memcpy(copy, name, name_len);
	copy[name_len] = '\0';
	if (envcheck_name_denied(copy))
		return "denied name";
	if (!config_env_accepted(cfg, copy))
		return "not in AcceptEnv";
	if (!value_is_valid(value))
		return "invalid value";
	/* The entry travels as "NAME=value" plus a NUL. */
	if (name_len + 1 + strlen(value) >= PROTO_ENV_LEN_MAX)
		return "too long";
	return NULL;
}

const char *envcheck_variable(const struct config *cfg, const char *name, const char *value)
{
	return check(cfg, name, strlen(name), value);
}

const char *envcheck_entry(const struct config *cfg, const char *entry)
{
	const char *eq = strchr(entry, '=');

	if (!eq)
		return "invalid name";
	return check(cfg, entry, (size_t)(eq - entry), eq + 1);
}
