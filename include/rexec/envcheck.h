/* The policy for environment variables that an SSH client sets in a
 * session (RFC 4254 "env" requests). Both the network process and the monitor apply this
 * policy, so a compromised network process cannot widen it.
 *
 * A variable passes when its name is valid, is not on a fixed denylist,
 * matches AcceptEnv, and its value has no control characters and fits
 * the length limit. The denylist contains variables that change how
 * programs load code or how the shell parses input (LD_*, BASH_ENV, ENV,
 * IFS, ...) and the ones rexecd sets itself (PATH, HOME, SHELL, USER,
 * LOGNAME). No AcceptEnv pattern can allow them. */
#ifndef REXEC_ENVCHECK_H
#define REXEC_ENVCHECK_H

#include <stdbool.h>

#include "rexec/config.h"

#define ENVCHECK_NAME_MAX 128 /* bytes of a variable name */

/* Returns true when name is on the fixed denylist. */
bool envcheck_name_denied(const char *name);

/* Returns NULL when a client may set name to value, otherwise the reason
 * for the rejection, for logs: "invalid name", "denied name", "not in
 * AcceptEnv", "invalid value" or "too long". */
const char *envcheck_variable(const struct config *cfg, const char *name, const char *value);

/* Checks one "NAME=value" entry the same way. An entry without '=' is
 * an "invalid name". */
const char *envcheck_entry(const struct config *cfg, const char *entry);

#endif
