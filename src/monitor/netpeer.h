/* The monitor's record of what it has granted the running network process,
 * so that requests out of order are rejected: a session is opened only for
 * a user whose key the monitor allowed on that process's key link. The
 * record starts empty with each network process. */
#ifndef REXEC_MONITOR_NETPEER_H
#define REXEC_MONITOR_NETPEER_H

#include <stdbool.h>
#include <stddef.h>

struct netpeer {
	char **users;  /* users with an allowed key, validated names */
	size_t user_count;
	unsigned long bad_messages; /* malformed datagrams received */
};

/* Records that a key of user was allowed. Returns 0 or -ENOMEM. */
int netpeer_allow_user(struct netpeer *peer, const char *user);
bool netpeer_user_allowed(const struct netpeer *peer, const char *user);

/* Counts one malformed message and returns true when it should be logged:
 * the first ten, then every thousandth, so a flood cannot fill the log. */
bool netpeer_count_bad_message(struct netpeer *peer);

/* Forgets everything, for the next network process. */
void netpeer_reset(struct netpeer *peer);

#endif
