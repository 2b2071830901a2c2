/* Rexec user names: a lowercase letter, then [a-z0-9_-], 1 to 32 bytes.
 * Checked before a name becomes part of any path, by every process that
 * receives one. */
#ifndef REXEC_USERNAME_H
#define REXEC_USERNAME_H

#include <stdbool.h>

#define USERNAME_MAX 32

bool username_is_valid(const char *name);

#endif
