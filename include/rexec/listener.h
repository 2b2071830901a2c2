/* Listening TCP sockets, opened by rexecd before it splits into monitor and
 * network process. */
#ifndef REXEC_LISTENER_H
#define REXEC_LISTENER_H

#include "rexec/config.h"

/* Returns a bound, listening, non-blocking, close-on-exec socket (with
 * SO_REUSEADDR) or a negative errno. */
int listener_open(const struct config_listen *addr);

#endif
