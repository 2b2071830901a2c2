/* The network process's two links to the monitor.
 *
 * monitor_key_fd is synchronous: one PROTO_KEY_CHECK, then the loop waits
 * (poll with a timeout) for its PROTO_KEY_RESULT. monitor_fd is
 * asynchronous: session requests go out as they happen, and OPENED and
 * EXITED come back whenever the monitor has them. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "net-internal.h"
#include "rexec/util.h"

/* After this many key checks in a row without a result the monitor is
 * taken to be hung, and the network process stops. */
#define KEY_CHECK_STALE_MAX 3
#define MONITOR_RECV_BATCH  64

/* ---- outgoing queue for the asynchronous link ---- */

static char *dup_or_null(const char *s, bool *failed)
{
	char *copy;

	if (!s)
		return NULL;
	copy = strdup(s);
	if (!copy)
		*failed = true;
	return copy;
}

/* Deep-copies the fields of the messages this process sends; they carry
 * no fds. */
static int copy_msg(struct proto_msg *dst, const struct proto_msg *src)
{
	bool failed = false;

	*dst = *src;
	dst->user = dup_or_null(src->user, &failed);
	dst->key_type = dup_or_null(src->key_type, &failed);
	dst->command = dup_or_null(src->command, &failed);
	dst->term = dup_or_null(src->term, &failed);
	dst->message = dup_or_null(src->message, &failed);
	dst->blob = NULL;
	dst->env = NULL;
	dst->env_count = 0;
	/* The copy owns no fds, so proto_msg_free closes nothing of src's. */
	for (int i = 0; i < PROTO_FDS_MAX; i++)
		dst->fds[i] = -1;
	dst->nfds = 0;
	if (src->blob_len) {
		dst->blob = malloc(src->blob_len);
		if (dst->blob)
			memcpy(dst->blob, src->blob, src->blob_len);
		else
			failed = true;
	}
	if (src->env_count) {
		dst->env = calloc(src->env_count, sizeof(*dst->env));
		if (!dst->env)
			failed = true;
		for (size_t i = 0; dst->env && i < src->env_count; i++) {
			dst->env[i] = dup_or_null(src->env[i], &failed);
			dst->env_count = i + 1;
		}
	}
	if (failed) {
		proto_msg_free(dst);
		return -ENOMEM;
	}
	return 0;
}

static void update_monitor_poll(struct server *srv);

static int queue_msg(struct server *srv, const struct proto_msg *msg)
{
	struct monitor_out *out = calloc(1, sizeof(*out));
	int rc;

	if (!out)
		return -ENOMEM;
	rc = copy_msg(&out->msg, msg);
	if (rc < 0) {
		free(out);
		return rc;
	}
	if (srv->out_tail)
		srv->out_tail->next = out;
	else
		srv->out_head = out;
	srv->out_tail = out;
	update_monitor_poll(srv);
	return 0;
}

static void link_failed(struct server *srv, const char *what, int rc)
{
	if (srv->stopping)
		return;
	log_error("monitor link: %s failed: %s; stopping", what, strerror(-rc));
	server_stop(srv, 1);
}

static void flush_queue(struct server *srv)
{
	while (srv->out_head) {
		struct monitor_out *out = srv->out_head;
		int rc = proto_send(srv->params->monitor_fd, &out->msg);

		if (rc == -EAGAIN || rc == -EINTR)
			break;
		if (rc < 0) {
			link_failed(srv, "sending a queued message", rc);
			return;
		}
		srv->out_head = out->next;
		if (!srv->out_head)
			srv->out_tail = NULL;
		proto_msg_free(&out->msg);
		free(out);
	}
	update_monitor_poll(srv);
}

int monitor_send(struct server *srv, const struct proto_msg *msg)
{
	int rc;

	if (srv->monitor_events < 0)
		return -EPIPE;

	/* Keep the order: nothing jumps a message already waiting. */
	if (!srv->out_head) {
		rc = proto_send(srv->params->monitor_fd, msg);
		if (rc == 0)
			return 0;
		if (rc == -EMSGSIZE || rc == -EINVAL || rc == -ENOMEM) {
			/* This message could not be encoded; the link is fine. */
			log_error("monitor link: sending %s failed: %s", proto_type_name(msg->type),
				  strerror(-rc));
			return rc;
		}
		if (rc != -EAGAIN && rc != -EINTR) {
			link_failed(srv, proto_type_name(msg->type), rc);
			return rc;
		}
	}
	rc = queue_msg(srv, msg);
	if (rc < 0)
		log_error("monitor link: queueing %s failed: %s", proto_type_name(msg->type),
			  strerror(-rc));
	return rc;
}

int monitor_send_session_open(struct server *srv, const struct chan *chan)
{
	struct proto_msg msg;

	proto_msg_init(&msg, PROTO_SESSION_OPEN);
	msg.request_id = chan->request_id;
	msg.user = (char *)chan->conn->user;
	msg.command = chan->command;
	msg.term = chan->want_pty ? (char *)chan->term : NULL;
	msg.cols = chan->cols;
	msg.rows = chan->rows;
	msg.want_pty = chan->want_pty;
	msg.env = (char **)chan->env;
	msg.env_count = chan->env_count;
	return monitor_send(srv, &msg);
}

int monitor_send_session_signal(struct server *srv, uint32_t session_id, int signo)
{
	struct proto_msg msg;

	proto_msg_init(&msg, PROTO_SESSION_SIGNAL);
	msg.session_id = session_id;
	msg.status = signo;
	return monitor_send(srv, &msg);
}

int monitor_send_session_close(struct server *srv, uint32_t session_id)
{
	struct proto_msg msg;

	proto_msg_init(&msg, PROTO_SESSION_CLOSE);
	msg.session_id = session_id;
	return monitor_send(srv, &msg);
}

/* ---- incoming messages on the asynchronous link ---- */

static void on_opened(struct server *srv, struct proto_msg *msg)
{
	struct chan *chan = chan_find_request(srv, msg->request_id);
	struct conn *conn;

	if (!chan) {
		/* The client left before the session started: end it. */
		log_debug("monitor link: OPENED for request %u without a channel, session=%08x",
			  msg->request_id, msg->session_id);
		if (msg->error == 0 && msg->session_id != 0)
			monitor_send_session_close(srv, msg->session_id);
		return;
	}
	conn = chan->conn;
	bridge_on_opened(chan, msg);
	conn_after(conn);
}

static void on_exited(struct server *srv, const struct proto_msg *msg)
{
	struct chan *chan = chan_find_session(srv, msg->session_id);
	struct conn *conn;

	if (!chan) {
		log_debug("monitor link: EXITED for session=%08x without a channel",
			  msg->session_id);
		return;
	}
	conn = chan->conn;
	bridge_on_exited(chan, msg->status);
	conn_after(conn);
}

static void dispatch(struct server *srv, struct proto_msg *msg)
{
	switch (msg->type) {
	case PROTO_SESSION_OPENED:
		on_opened(srv, msg);
		break;
	case PROTO_SESSION_EXITED:
		on_exited(srv, msg);
		break;
	default:
		log_error("monitor link: unexpected message %s ignored",
			  proto_type_name(msg->type));
		break;
	}
}

static void receive_batch(struct server *srv)
{
	for (int i = 0; i < MONITOR_RECV_BATCH && !srv->stopping; i++) {
		struct proto_msg msg;
		int rc;

		proto_msg_init(&msg, 0);
		rc = proto_recv(srv->params->monitor_fd, &msg);
		if (rc == -EAGAIN || rc == -EINTR)
			return;
		if (rc == -ECONNRESET) {
			log_info("monitor closed its link; stopping");
			server_stop(srv, 0);
			return;
		}
		if (rc == -EBADMSG) {
			log_error("monitor link: malformed message ignored");
			continue;
		}
		if (rc < 0) {
			link_failed(srv, "receiving", rc);
			return;
		}
		dispatch(srv, &msg);
		proto_msg_free(&msg);
	}
}

static void on_monitor_event(uv_poll_t *handle, int status, int events)
{
	struct server *srv = handle->data;

	if (status < 0) {
		link_failed(srv, "polling", status);
		return;
	}
	if (events & UV_WRITABLE)
		flush_queue(srv);
	if ((events & UV_READABLE) && !srv->stopping)
		receive_batch(srv);
}

static void update_monitor_poll(struct server *srv)
{
	int events = UV_READABLE;
	int rc;

	if (srv->stopping || srv->monitor_events < 0)
		return;
	if (srv->out_head)
		events |= UV_WRITABLE;
	if (events == srv->monitor_events)
		return;
	rc = uv_poll_start(&srv->monitor_poll, events, on_monitor_event);
	if (rc < 0) {
		link_failed(srv, "uv_poll_start", rc);
		return;
	}
	srv->monitor_events = events;
}

int monitor_link_start(struct server *srv)
{
	int rc;

	rc = util_set_nonblocking(srv->params->monitor_fd, true);
	if (rc == 0)
		rc = util_set_nonblocking(srv->params->monitor_key_fd, true);
	if (rc < 0) {
		log_error("monitor link: setting O_NONBLOCK failed: %s", strerror(-rc));
		return rc;
	}
	rc = uv_poll_init(&srv->loop, &srv->monitor_poll, srv->params->monitor_fd);
	if (rc < 0) {
		log_error("monitor link: uv_poll_init failed: %s", uv_strerror(rc));
		srv->monitor_events = -1;
		return rc;
	}
	srv->monitor_poll.data = srv;
	srv->monitor_events = 0;
	update_monitor_poll(srv);
	return srv->stopping ? -EIO : 0;
}

void monitor_link_stop(struct server *srv)
{
	while (srv->out_head) {
		struct monitor_out *out = srv->out_head;

		srv->out_head = out->next;
		proto_msg_free(&out->msg);
		free(out);
	}
	srv->out_tail = NULL;
	if (srv->monitor_events >= 0) {
		uv_poll_stop(&srv->monitor_poll);
		uv_close((uv_handle_t *)&srv->monitor_poll, NULL);
		srv->monitor_events = -1;
	}
}

/* ---- synchronous key check ---- */

static int wait_fd(int fd, short events, unsigned long long deadline_ms)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	unsigned long long now = util_now_ms();
	int rc;

	if (now >= deadline_ms)
		return -ETIMEDOUT;
	rc = poll(&pfd, 1, (int)(deadline_ms - now));
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	if (rc == 0)
		return -ETIMEDOUT;
	return 0;
}

static int send_key_check(int fd, const struct proto_msg *req, unsigned long long deadline_ms)
{
	for (;;) {
		int rc = proto_send(fd, req);

		if (rc != -EAGAIN && rc != -EINTR)
			return rc;
		rc = wait_fd(fd, POLLOUT, deadline_ms);
		if (rc < 0)
			return rc;
	}
}

/* Receives the next PROTO_KEY_RESULT. Results still owed for earlier
 * checks that timed out come first and are skipped, because the monitor
 * replies in order. */
static int receive_key_result(struct server *srv, int fd, unsigned long long deadline_ms,
			      int *result)
{
	for (;;) {
		struct proto_msg msg;
		int rc;

		rc = wait_fd(fd, POLLIN, deadline_ms);
		if (rc < 0)
			return rc;
		proto_msg_init(&msg, 0);
		rc = proto_recv(fd, &msg);
		if (rc == -EAGAIN || rc == -EINTR)
			continue;
		if (rc < 0)
			return rc;
		if (msg.type != PROTO_KEY_RESULT) {
			log_error("monitor key link: unexpected message %s",
				  proto_type_name(msg.type));
			proto_msg_free(&msg);
			return -EBADMSG;
		}
		if (srv->key_replies_stale > 0) {
			srv->key_replies_stale--;
			proto_msg_free(&msg);
			continue;
		}
		*result = msg.status;
		proto_msg_free(&msg);
		return 0;
	}
}

int monitor_check_key(struct server *srv, const char *user, const char *key_type,
		      const uint8_t *blob, size_t blob_len, int *result)
{
	int fd = srv->params->monitor_key_fd;
	unsigned long long deadline_ms = util_now_ms() + NET_KEY_CHECK_TIMEOUT_MS;
	struct proto_msg req;
	int rc;

	*result = PROTO_KEY_DENIED;
	if (srv->stopping)
		return -EPIPE;

	proto_msg_init(&req, PROTO_KEY_CHECK);
	req.user = (char *)user;
	req.key_type = (char *)key_type;
	req.blob = (uint8_t *)blob;
	req.blob_len = blob_len;

	rc = send_key_check(fd, &req, deadline_ms);
	if (rc < 0) {
		link_failed(srv, "sending a key check", rc);
		return rc;
	}
	rc = receive_key_result(srv, fd, deadline_ms, result);
	if (rc == 0)
		return 0;

	if (rc == -ETIMEDOUT) {
		srv->key_replies_stale++;
		log_error("monitor key link: no result within %d ms (%u outstanding)",
			  NET_KEY_CHECK_TIMEOUT_MS, srv->key_replies_stale);
		if (srv->key_replies_stale < KEY_CHECK_STALE_MAX)
			return rc;
		rc = -EIO;
	}
	link_failed(srv, "key check", rc);
	return rc;
}
