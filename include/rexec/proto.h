/* Typed messages between rexecd's processes.
 *
 * Two links use this format: network process <-> monitor, and monitor <->
 * sandbox init. Each message is one SOCK_SEQPACKET datagram of at most
 * PROTO_MSG_MAX bytes: a u32 type followed by exactly the fields that type
 * carries (see proto.c), in a fixed order. File descriptors travel as
 * SCM_RIGHTS on the same datagram. proto_recv checks every length, the
 * field set, trailing bytes and the number of fds. The receiver must still
 * check values (user names, ids) against its own state, because the peer
 * may be compromised. */
#ifndef REXEC_PROTO_H
#define REXEC_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rexec/buf.h"

#define PROTO_MSG_MAX      65536
#define PROTO_FDS_MAX      3
#define PROTO_NAME_MAX     64    /* user names, key type names, TERM */
#define PROTO_COMMAND_MAX  16384 /* exec command line */
#define PROTO_BLOB_MAX     16384 /* public key blob */
#define PROTO_MESSAGE_MAX  512   /* human-readable error text */
#define PROTO_ENV_MAX      64    /* variables per session */
#define PROTO_ENV_LEN_MAX  4096  /* one "NAME=value" entry */

enum proto_type {
	/* network process -> monitor */
	PROTO_KEY_CHECK = 1,   /* user, key_type, blob */
	PROTO_SESSION_OPEN,    /* request_id, user, session request fields */
	PROTO_SESSION_SIGNAL,  /* session_id, signal */
	PROTO_SESSION_CLOSE,   /* session_id: the client is gone, end it */

	/* monitor -> network process */
	PROTO_KEY_RESULT,      /* status: PROTO_KEY_* below */
	PROTO_SESSION_OPENED,  /* request_id, session_id, error, message; fds */
	PROTO_SESSION_EXITED,  /* session_id, status (a wait status) */

	/* monitor -> sandbox init */
	PROTO_SPAWN,           /* session_id, session request fields */
	PROTO_KILL,            /* session_id, signal: to the session's process group */

	/* sandbox init -> monitor */
	PROTO_READY,           /* error, message: result of the sandbox setup */
	PROTO_SPAWNED,         /* session_id, error, message, pid; fds */
	PROTO_EXITED,          /* session_id, status (a wait status) */

	PROTO_TYPE_MAX,
};

/* PROTO_KEY_RESULT status values. An unknown user is told apart only for
 * the audit log; the client gets the same failure either way. */
enum { PROTO_KEY_DENIED = 0, PROTO_KEY_ALLOWED = 1, PROTO_KEY_UNKNOWN_USER = 2 };

/* The fds that come with PROTO_SESSION_OPENED and PROTO_SPAWNED when
 * error is 0: one PTY master when want_pty was set, otherwise the
 * writable end of stdin, then the readable ends of stdout and stderr. */
enum { PROTO_FD_STDIN = 0, PROTO_FD_STDOUT = 1, PROTO_FD_STDERR = 2, PROTO_FD_PTY = 0 };

/* One decoded message. Fields a type does not carry are zero or NULL.
 * Strings are NUL-terminated and contain no NUL. */
struct proto_msg {
	uint32_t type;
	uint32_t request_id;
	uint32_t session_id;
	int32_t error;   /* 0 or a positive errno */
	int32_t status;  /* key result, wait status or signal number */
	int32_t pid;
	char *user;
	char *key_type;
	uint8_t *blob;
	size_t blob_len;
	char *command;   /* NULL or empty: the login shell */
	char *term;      /* TERM value, PTY sessions only */
	uint32_t cols, rows;
	bool want_pty;
	char **env;      /* "NAME=value" entries */
	size_t env_count;
	char *message;
	int fds[PROTO_FDS_MAX];
	int nfds;
};

/* Zeroes msg and sets every fd slot to -1. */
void proto_msg_init(struct proto_msg *msg, uint32_t type);
/* Frees the strings and closes any fd still in msg->fds. Take an fd out
 * (and set its slot to -1) to keep it. */
void proto_msg_free(struct proto_msg *msg);

/* Serialises msg into b (for tests and fuzzing) / parses b into msg.
 * decode returns 0, -EBADMSG for any malformed input, or -ENOMEM. */
int proto_encode(const struct proto_msg *msg, struct buf *b);
int proto_decode(struct buf *b, struct proto_msg *msg);

/* Sends msg and its fds as one datagram. Blocking semantics follow the
 * socket. Returns 0 or a negative errno. */
int proto_send(int sock, const struct proto_msg *msg);

/* Receives one datagram. Returns 0, -EAGAIN, -ECONNRESET on end of stream,
 * -EBADMSG for a malformed or truncated message or a wrong number of fds
 * (any fds that came with it are closed), or another negative errno. */
int proto_recv(int sock, struct proto_msg *msg);

/* Returns the message type's name for logs, "unknown" if out of range. */
const char *proto_type_name(uint32_t type);

#endif
