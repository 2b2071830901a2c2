/* Typed messages between rexecd's processes: encoding, strict decoding and
 * SCM_RIGHTS transport. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rexec/proto.h"

/* The fields a message type carries, always in this bit order on the wire. */
enum {
	F_REQUEST_ID = 1 << 0,
	F_SESSION_ID = 1 << 1,
	F_ERROR = 1 << 2,
	F_STATUS = 1 << 3,
	F_PID = 1 << 4,
	F_USER = 1 << 5,
	F_KEY_TYPE = 1 << 6,
	F_BLOB = 1 << 7,
	F_COMMAND = 1 << 8,
	F_TERM = 1 << 9,
	F_SIZE = 1 << 10,
	F_WANT_PTY = 1 << 11,
	F_ENV = 1 << 12,
	F_MESSAGE = 1 << 13,
	F_FDS = 1 << 14, /* session fds when error is 0 (count from want_pty) */
};

#define F_SESSION_REQUEST (F_COMMAND | F_TERM | F_SIZE | F_WANT_PTY | F_ENV)

static const struct {
	const char *name;
	unsigned fields;
} types[PROTO_TYPE_MAX] = {
	[PROTO_KEY_CHECK] = {"key-check", F_USER | F_KEY_TYPE | F_BLOB},
	[PROTO_SESSION_OPEN] = {"session-open", F_REQUEST_ID | F_USER | F_SESSION_REQUEST},
	[PROTO_SESSION_SIGNAL] = {"session-signal", F_SESSION_ID | F_STATUS},
	[PROTO_SESSION_CLOSE] = {"session-close", F_SESSION_ID},
	[PROTO_KEY_RESULT] = {"key-result", F_STATUS},
	[PROTO_SESSION_OPENED] = {"session-opened", F_REQUEST_ID | F_SESSION_ID | F_ERROR |
							    F_WANT_PTY | F_MESSAGE | F_FDS},
	[PROTO_SESSION_EXITED] = {"session-exited", F_SESSION_ID | F_STATUS},
	[PROTO_SPAWN] = {"spawn", F_SESSION_ID | F_SESSION_REQUEST},
	[PROTO_KILL] = {"kill", F_SESSION_ID | F_STATUS},
	[PROTO_READY] = {"ready", F_ERROR | F_MESSAGE},
	[PROTO_SPAWNED] = {"spawned",
			   F_SESSION_ID | F_ERROR | F_MESSAGE | F_PID | F_WANT_PTY | F_FDS},
	[PROTO_EXITED] = {"exited", F_SESSION_ID | F_STATUS},
};

/* errno values fit well below this; anything larger is a forged message. */
#define PROTO_ERRNO_MAX 4096
#define PROTO_SIZE_MAX  65535

const char *proto_type_name(uint32_t type)
{
	if (type == 0 || type >= PROTO_TYPE_MAX)
		return "unknown";
	return types[type].name;
}

void proto_msg_init(struct proto_msg *msg, uint32_t type)
{
	memset(msg, 0, sizeof(*msg));
	msg->type = type;
	for (int i = 0; i < PROTO_FDS_MAX; i++)
		msg->fds[i] = -1;
}

void proto_msg_free(struct proto_msg *msg)
{
	free(msg->user);
	free(msg->key_type);
	free(msg->blob);
	free(msg->command);
	free(msg->term);
	free(msg->message);
	for (size_t i = 0; i < msg->env_count; i++)
		free(msg->env[i]);
	free(msg->env);
	for (int i = 0; i < PROTO_FDS_MAX; i++) {
		if (msg->fds[i] >= 0)
			close(msg->fds[i]);
	}
	proto_msg_init(msg, 0);
}

/* Returns how many fds a decoded message of this type must carry. */
static int expected_fds(const struct proto_msg *msg)
{
	if (!(types[msg->type].fields & F_FDS) || msg->error != 0)
		return 0;
	return msg->want_pty ? 1 : 3;
}

int proto_encode(const struct proto_msg *msg, struct buf *b)
{
	unsigned f;
	int r;

	if (msg->type == 0 || msg->type >= PROTO_TYPE_MAX)
		return -EINVAL;
	f = types[msg->type].fields;

#define PUT(expr)                 \
	do {                      \
		r = (expr);       \
		if (r < 0)        \
			return r; \
	} while (0)

	PUT(buf_put_u32(b, msg->type));
	if (f & F_REQUEST_ID)
		PUT(buf_put_u32(b, msg->request_id));
	if (f & F_SESSION_ID)
		PUT(buf_put_u32(b, msg->session_id));
	if (f & F_ERROR)
		PUT(buf_put_u32(b, (uint32_t)msg->error));
	if (f & F_STATUS)
		PUT(buf_put_u32(b, (uint32_t)msg->status));
	if (f & F_PID)
		PUT(buf_put_u32(b, (uint32_t)msg->pid));
	if (f & F_USER)
		PUT(buf_put_cstring(b, msg->user));
	if (f & F_KEY_TYPE)
		PUT(buf_put_cstring(b, msg->key_type));
	if (f & F_BLOB)
		PUT(buf_put_string(b, msg->blob, msg->blob_len));
	if (f & F_COMMAND)
		PUT(buf_put_cstring(b, msg->command));
	if (f & F_TERM)
		PUT(buf_put_cstring(b, msg->term));
	if (f & F_SIZE) {
		PUT(buf_put_u32(b, msg->cols));
		PUT(buf_put_u32(b, msg->rows));
	}
	if (f & F_WANT_PTY)
		PUT(buf_put_u8(b, msg->want_pty ? 1 : 0));
	if (f & F_ENV) {
		PUT(buf_put_u32(b, (uint32_t)msg->env_count));
		for (size_t i = 0; i < msg->env_count; i++)
			PUT(buf_put_cstring(b, msg->env[i]));
	}
	if (f & F_MESSAGE)
		PUT(buf_put_cstring(b, msg->message));
#undef PUT
	if (b->len > PROTO_MSG_MAX)
		return -EMSGSIZE;
	return 0;
}

static int get_env(struct buf *b, struct proto_msg *msg)
{
	uint32_t count;
	int r = buf_get_u32(b, &count);

	if (r < 0)
		return r;
	if (count > PROTO_ENV_MAX)
		return -EBADMSG;
	if (count == 0)
		return 0;
	msg->env = calloc(count, sizeof(*msg->env));
	if (!msg->env)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++) {
		char *entry;

		r = buf_get_cstring(b, &entry, PROTO_ENV_LEN_MAX);
		if (r < 0)
			return r;
		msg->env[msg->env_count++] = entry;
		/* "NAME=value" with a non-empty name. */
		if (entry[0] == '=' || !strchr(entry, '='))
			return -EBADMSG;
	}
	return 0;
}

static int get_i32(struct buf *b, int32_t *v, int32_t min, int32_t max)
{
	uint32_t raw;
	int r = buf_get_u32(b, &raw);

	if (r < 0)
		return r;
	if ((int32_t)raw < min || (int32_t)raw > max)
		return -EBADMSG;
	*v = (int32_t)raw;
	return 0;
}

static int decode_fields(struct buf *b, struct proto_msg *msg, unsigned f)
{
	uint8_t flag;
	int r = 0;

#define GET(expr)                 \
	do {                      \
		r = (expr);       \
		if (r < 0)        \
			return r; \
	} while (0)

	if (f & F_REQUEST_ID)
		GET(buf_get_u32(b, &msg->request_id));
	if (f & F_SESSION_ID)
		GET(buf_get_u32(b, &msg->session_id));
	if (f & F_ERROR)
		GET(get_i32(b, &msg->error, 0, PROTO_ERRNO_MAX));
	if (f & F_STATUS)
		GET(get_i32(b, &msg->status, INT32_MIN, INT32_MAX));
	if (f & F_PID)
		GET(get_i32(b, &msg->pid, 0, INT32_MAX));
	if (f & F_USER)
		GET(buf_get_cstring(b, &msg->user, PROTO_NAME_MAX));
	if (f & F_KEY_TYPE)
		GET(buf_get_cstring(b, &msg->key_type, PROTO_NAME_MAX));
	if (f & F_BLOB)
		GET(buf_get_string(b, &msg->blob, &msg->blob_len, PROTO_BLOB_MAX));
	if (f & F_COMMAND)
		GET(buf_get_cstring(b, &msg->command, PROTO_COMMAND_MAX));
	if (f & F_TERM)
		GET(buf_get_cstring(b, &msg->term, PROTO_NAME_MAX));
	if (f & F_SIZE) {
		GET(buf_get_u32(b, &msg->cols));
		GET(buf_get_u32(b, &msg->rows));
		if (msg->cols > PROTO_SIZE_MAX || msg->rows > PROTO_SIZE_MAX)
			return -EBADMSG;
	}
	if (f & F_WANT_PTY) {
		GET(buf_get_u8(b, &flag));
		if (flag > 1)
			return -EBADMSG;
		msg->want_pty = flag;
	}
	if (f & F_ENV)
		GET(get_env(b, msg));
	if (f & F_MESSAGE)
		GET(buf_get_cstring(b, &msg->message, PROTO_MESSAGE_MAX));
#undef GET
	return r;
}

int proto_decode(struct buf *b, struct proto_msg *msg)
{
	uint32_t type;
	int r;

	proto_msg_init(msg, 0);
	if (buf_remaining(b) > PROTO_MSG_MAX)
		return -EBADMSG;
	r = buf_get_u32(b, &type);
	if (r < 0)
		return r;
	if (type == 0 || type >= PROTO_TYPE_MAX)
		return -EBADMSG;
	msg->type = type;

	r = decode_fields(b, msg, types[type].fields);
	if (r == 0 && buf_remaining(b) != 0)
		r = -EBADMSG;
	if (r < 0) {
		proto_msg_free(msg);
		return r;
	}
	return 0;
}

int proto_send(int sock, const struct proto_msg *msg)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PROTO_FDS_MAX)];
		struct cmsghdr align;
	} control;
	struct buf b;
	struct iovec iov;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	int nfds = 0;
	ssize_t n;
	int r;

	buf_init(&b, PROTO_MSG_MAX);
	r = proto_encode(msg, &b);
	if (r < 0)
		goto out;

	for (int i = 0; i < PROTO_FDS_MAX && msg->fds[i] >= 0; i++)
		nfds++;
	if (nfds > 0) {
		struct cmsghdr *cm;

		memset(&control, 0, sizeof(control));
		mh.msg_control = control.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), msg->fds, sizeof(int) * (size_t)nfds);
	}

	iov.iov_base = b.data;
	iov.iov_len = b.len;
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != b.len)
		r = -EMSGSIZE;
out:
	buf_free(&b);
	return r;
}

/* Moves the fds of an SCM_RIGHTS message into fds; returns their number,
 * or -EBADMSG (all received fds closed) for anything unexpected. */
static int take_fds(struct msghdr *mh, int *fds)
{
	int count = 0;
	bool bad = false;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n;
		int *data = (int *)CMSG_DATA(cm);

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
			bad = true;
			continue;
		}
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, data + i, sizeof(fd));
			if (count < PROTO_FDS_MAX)
				fds[count++] = fd;
			else {
				close(fd);
				bad = true;
			}
		}
	}
	if (bad || (mh->msg_flags & MSG_CTRUNC)) {
		for (int i = 0; i < count; i++)
			close(fds[i]);
		return -EBADMSG;
	}
	return count;
}

int proto_recv(int sock, struct proto_msg *msg)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PROTO_FDS_MAX)];
		struct cmsghdr align;
	} control;
	int fds[PROTO_FDS_MAX];
	struct buf b;
	uint8_t *data;
	struct iovec iov;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;
	int nfds, r;

	proto_msg_init(msg, 0);
	/* One byte more than the limit, so an oversized datagram shows up as
	 * MSG_TRUNC instead of being silently cut to a valid-looking prefix. */
	data = malloc(PROTO_MSG_MAX + 1);
	if (!data)
		return -ENOMEM;
	iov.iov_base = data;
	iov.iov_len = PROTO_MSG_MAX + 1;
	mh.msg_control = control.buf;
	mh.msg_controllen = sizeof(control.buf);

	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		r = -errno;
		free(data);
		return r;
	}

	nfds = take_fds(&mh, fds);
	if (n == 0 && nfds == 0) {
		free(data);
		return -ECONNRESET;
	}
	if (nfds < 0 || (mh.msg_flags & MSG_TRUNC)) {
		r = -EBADMSG;
		goto fail;
	}

	buf_init_view(&b, data, (size_t)n);
	r = proto_decode(&b, msg);
	if (r < 0)
		goto fail;
	if (nfds != expected_fds(msg)) {
		proto_msg_free(msg);
		r = -EBADMSG;
		goto fail;
	}
	for (int i = 0; i < nfds; i++)
		msg->fds[i] = fds[i];
	msg->nfds = nfds;
	free(data);
	return 0;

fail:
	for (int i = 0; i < (nfds > 0 ? nfds : 0); i++)
		close(fds[i]);
	free(data);
	return r;
}
