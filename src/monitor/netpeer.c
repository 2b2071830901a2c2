/* The monitor's record of what the running network process was granted. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netpeer.h"

#define BAD_MESSAGES_LOGGED 10
#define BAD_MESSAGES_EVERY  1000

int netpeer_allow_user(struct netpeer *peer, const char *user)
{
	char **users;
	char *copy;

	if (netpeer_user_allowed(peer, user))
		return 0;
	copy = strdup(user);
	if (!copy)
		return -ENOMEM;
	users = realloc(peer->users, (peer->user_count + 1) * sizeof(*users));
	if (!users) {
		free(copy);
		return -ENOMEM;
	}
	users[peer->user_count++] = copy;
	peer->users = users;
	return 0;
}

bool netpeer_user_allowed(const struct netpeer *peer, const char *user)
{
	for (size_t i = 0; i < peer->user_count; i++) {
		if (strcmp(peer->users[i], user) == 0)
			return true;
	}
	return false;
}

bool netpeer_count_bad_message(struct netpeer *peer)
{
	peer->bad_messages++;
	return peer->bad_messages <= BAD_MESSAGES_LOGGED ||
	       peer->bad_messages % BAD_MESSAGES_EVERY == 0;
}

void netpeer_reset(struct netpeer *peer)
{
	for (size_t i = 0; i < peer->user_count; i++)
		free(peer->users[i]);
	free(peer->users);
	peer->users = NULL;
	peer->user_count = 0;
	peer->bad_messages = 0;
}
