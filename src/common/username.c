/* Rexec user names, checked before a name becomes part of a path. */
#include "config.h"

#include <string.h>

#include "rexec/username.h"

static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool username_is_valid(const char *name)
{
	size_t len;

	if (!name || !is_lower(name[0]))
		return false;

	len = strnlen(name, USERNAME_MAX + 1);
	if (len > USERNAME_MAX)
		return false;

	for (size_t i = 1; i < len; i++) {
		char c = name[i];

		if (!is_lower(c) && !is_digit(c) && c != '_' && c != '-')
			return false;
	}
	return true;
}
