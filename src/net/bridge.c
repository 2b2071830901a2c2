/* The byte bridge between a session channel and the program's PTY master
 * or pipes, and the ending of a session (drain, exit status, EOF, CLOSE).
 * The memory bound per session is described in net-internal.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net-internal.h"
#include "rexec/audit.h"
#include "rexec/util.h"

#define READ_ROUNDS 8 /* reads of up to NET_PENDING_MAX per readiness event */

/* Signal names for exit-signal (RFC 4254 section 6.10). Other signals
 * are reported as exit status 128 + number, as shells do. */
static const struct {
	int signo;
	const char *name;
} exit_signals[] = {
    {SIGABRT, "ABRT"}, {SIGALRM, "ALRM"}, {SIGFPE, "FPE"},   {SIGHUP, "HUP"},   {SIGILL, "ILL"},
    {SIGINT, "INT"},   {SIGKILL, "KILL"}, {SIGPIPE, "PIPE"}, {SIGQUIT, "QUIT"}, {SIGSEGV, "SEGV"},
    {SIGTERM, "TERM"}, {SIGUSR1, "USR1"}, {SIGUSR2, "USR2"},
};

static const char *exit_signal_name(int signo)
{
	for (size_t i = 0; i < ARRAY_SIZE(exit_signals); i++) {
		if (exit_signals[i].signo == signo)
			return exit_signals[i].name;
	}
	return NULL;
}

static bool input_pending(const struct chan *chan)
{
	return chan->spill_len > chan->spill_off || chan->leftover_len > 0;
}

static int input_fd(const struct chan *chan)
{
	if (chan->pty_watch)
		return chan->pty_watch->fd;
	return chan->in_watch ? chan->in_watch->fd : -1;
}

/* ---- fd watches ---- */

static void on_fd_event(uv_poll_t *handle, int status, int events);

static int watch_new(struct chan *chan, int fd, struct fd_watch **out)
{
	struct fd_watch *watch;
	int rc;

	rc = util_set_nonblocking(fd, true);
	if (rc < 0)
		return rc;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	watch = calloc(1, sizeof(*watch));
	if (!watch)
		return -ENOMEM;
	rc = uv_poll_init(&chan->conn->srv->loop, &watch->handle, fd);
	if (rc < 0) {
		free(watch);
		return rc;
	}
	watch->handle.data = watch;
	watch->chan = chan;
	watch->fd = fd;
	*out = watch;
	return 0;
}

/* Stops watching, closes the fd and lets libuv free the watch. */
static void watch_close(struct fd_watch **watchp)
{
	struct fd_watch *watch = *watchp;

	if (!watch)
		return;
	*watchp = NULL;
	uv_poll_stop(&watch->handle);
	if (close(watch->fd) < 0)
		log_warn("closing fd %d failed: %s", watch->fd, strerror(errno));
	watch->chan = NULL;
	server_close_handle((uv_handle_t *)&watch->handle);
}

static void watch_set(struct chan *chan, struct fd_watch *watch, int events)
{
	int rc;

	if (!watch || watch->events == events)
		return;
	rc = events ? uv_poll_start(&watch->handle, events, on_fd_event)
		    : uv_poll_stop(&watch->handle);
	if (rc < 0) {
		chan_log(LOG_LEVEL_ERROR, chan, "fd %d: uv_poll_start failed: %s", watch->fd,
			 uv_strerror(rc));
		return;
	}
	watch->events = events;
}

static bool stream_wants_read(const struct chan *chan, const struct out_stream *stream)
{
	return !stream->eof && stream->len < NET_PENDING_MAX && !chan->client_closed;
}

static void update_watches(struct chan *chan)
{
	bool want_write = input_pending(chan) && !chan->input_closed;

	if (chan->pty_watch) {
		int events = stream_wants_read(chan, &chan->out) ? UV_READABLE : 0;

		if (want_write)
			events |= UV_WRITABLE;
		watch_set(chan, chan->pty_watch, events);
		return;
	}
	watch_set(chan, chan->in_watch, want_write ? UV_WRITABLE : 0);
	watch_set(chan, chan->out.watch, stream_wants_read(chan, &chan->out) ? UV_READABLE : 0);
	watch_set(chan, chan->err.watch, stream_wants_read(chan, &chan->err) ? UV_READABLE : 0);
}

void bridge_close_fds(struct chan *chan)
{
	watch_close(&chan->pty_watch);
	watch_close(&chan->in_watch);
	watch_close(&chan->out.watch);
	watch_close(&chan->err.watch);
	if (chan->quiet_timer) {
		server_close_handle((uv_handle_t *)chan->quiet_timer);
		chan->quiet_timer = NULL;
	}
	free(chan->spill);
	chan->spill = NULL;
	chan->spill_off = chan->spill_len = 0;
}

/* ---- client -> program ---- */

/* Marks the program's input as closed, so later client data is discarded. */
static void close_input(struct chan *chan)
{
	chan->input_closed = true;
	free(chan->spill);
	chan->spill = NULL;
	chan->spill_off = chan->spill_len = 0;
	watch_close(&chan->in_watch);
}

/* Returns the bytes consumed, which is the only brake libssh 0.10.6 has:
 * unconsumed bytes stay in its channel buffer and stop window grants. */
int bridge_on_client_data(struct chan *chan, const uint8_t *data, size_t len)
{
	ssize_t n;

	if (len > NET_INPUT_HARD_MAX) {
		chan_log(LOG_LEVEL_WARN, chan, "client sent %zu bytes beyond its window; dropping",
			 len);
		chan->conn->want_abort = true;
		return 0;
	}
	if (chan->input_closed || chan->exited)
		return (int)len;
	/* Before the fds exist, or behind bytes already waiting: keep order. */
	if (chan->state != CHAN_RUNNING || input_pending(chan) || input_fd(chan) < 0) {
		chan->leftover_len = len;
		return 0;
	}

	n = write(input_fd(chan), data, len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		n = 0;
	if (n < 0) {
		chan_log(LOG_LEVEL_DEBUG, chan, "program input closed: %s", strerror(errno));
		chan->input_closed = true;
		chan->conn->dirty = true;
		return (int)len;
	}
	chan->leftover_len = len - (size_t)n;
	if (chan->leftover_len)
		chan->conn->dirty = true;
	return (int)n;
}

/* Moves every byte libssh still holds for this channel into the spill in
 * one read. With a non-empty channel buffer, ssh_channel_read_nonblocking
 * in libssh 0.10.6 copies without pumping the socket, so no callback runs. */
static int take_leftover(struct chan *chan)
{
	size_t want = chan->leftover_len;
	int n;

	chan->spill = malloc(want);
	if (!chan->spill)
		return -ENOMEM;
	n = ssh_channel_read_nonblocking(chan->channel, chan->spill, (uint32_t)want, 0);
	chan->leftover_len = 0;
	if (n <= 0) {
		free(chan->spill);
		chan->spill = NULL;
		return n == 0 || n == SSH_EOF ? 0 : -EIO;
	}
	chan->spill_off = 0;
	chan->spill_len = (size_t)n;
	return 0;
}

/* Refills an empty spill from libssh's buffer. Returns false when there
 * is nothing left to write. */
static bool refill_spill(struct chan *chan)
{
	int rc;

	free(chan->spill);
	chan->spill = NULL;
	chan->spill_off = chan->spill_len = 0;
	if (chan->leftover_len == 0)
		return false;

	rc = take_leftover(chan);
	if (rc < 0) {
		chan_log(LOG_LEVEL_ERROR, chan, "reading buffered client data failed: %s",
			 strerror(-rc));
		close_input(chan);
		return false;
	}
	return chan->spill != NULL;
}

static void drain_input(struct chan *chan)
{
	int fd = input_fd(chan);

	while (fd >= 0 && !chan->input_closed) {
		ssize_t n;

		if (chan->spill_off == chan->spill_len && !refill_spill(chan))
			return;
		n = write(fd, chan->spill + chan->spill_off, chan->spill_len - chan->spill_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			chan_log(LOG_LEVEL_DEBUG, chan, "program input closed: %s",
				 strerror(errno));
			close_input(chan);
			return;
		}
		chan->spill_off += (size_t)n;
	}
}

/* ---- program -> client ---- */

/* Sends pending output while the client's window is open and libssh's
 * socket buffer is empty; the rest waits for the next pump. */
static void flush_output(struct chan *chan, struct out_stream *stream)
{
	ssh_session session = chan->conn->session;

	while (stream->len > 0) {
		uint32_t window = ssh_channel_window_size(chan->channel);
		size_t n = stream->len < window ? stream->len : window;
		int rc;

		/* Set by a callback, possibly inside the write below. */
		if (stream == &chan->out && chan->eow_received) {
			stream->len = 0;
			return;
		}
		if (n == 0 || (ssh_get_status(session) & SSH_WRITE_PENDING))
			return;
		rc = stream->is_stderr ? ssh_channel_write_stderr(chan->channel, stream->buf, n)
				       : ssh_channel_write(chan->channel, stream->buf, n);
		if (rc < 0) {
			chan_log(LOG_LEVEL_INFO, chan, "write to the client failed: %s",
				 ssh_get_error(session));
			chan->conn->want_abort = true;
			return;
		}
		if (rc == 0)
			return;
		liveness_note_data(chan->conn);
		memmove(stream->buf, stream->buf + rc, stream->len - (size_t)rc);
		stream->len -= (size_t)rc;
	}
}

static void on_quiet_timeout(uv_timer_t *timer);

/* After the exit, a PTY counts as drained once nothing came for
 * NET_PTY_QUIET_MS, because a background process may keep the slave open. */
static void restart_quiet_timer(struct chan *chan)
{
	if (chan->quiet_timer && chan->exited && !chan->pty_drained)
		uv_timer_start(chan->quiet_timer, on_quiet_timeout, NET_PTY_QUIET_MS, 0);
}

static void read_output(struct chan *chan, struct out_stream *stream, int fd)
{
	for (int i = 0; i < READ_ROUNDS && stream_wants_read(chan, stream); i++) {
		ssize_t n = read(fd, stream->buf + stream->len, NET_PENDING_MAX - stream->len);

		if (n > 0) {
			stream->len += (size_t)n;
			if (chan->pty_watch)
				restart_quiet_timer(chan);
			flush_output(chan, stream);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		/* 0 is EOF on a pipe; EIO on a PTY master means the slave is closed. */
		if (n < 0 && !(chan->pty_watch && errno == EIO))
			chan_log(LOG_LEVEL_WARN, chan, "reading program output failed: %s",
				 strerror(errno));
		stream->eof = true;
		if (chan->pty_watch)
			chan->pty_drained = true;
		else
			watch_close(&stream->watch);
		return;
	}
}

static void on_quiet_timeout(uv_timer_t *timer)
{
	struct chan *chan = timer->data;

	/* Output is only quiet if it was read: a full buffer waits for the client. */
	if (chan->out.len >= NET_PENDING_MAX) {
		restart_quiet_timer(chan);
		return;
	}
	chan->pty_drained = true;
	conn_after(chan->conn);
}

static void on_fd_event(uv_poll_t *handle, int status, int events)
{
	struct fd_watch *watch = handle->data;
	struct chan *chan = watch->chan;
	struct conn *conn;

	if (!chan)
		return;
	conn = chan->conn;
	requests_set_active(conn);
	/* libuv 1.44 reports POLLERR (for example a pipe whose reader is gone)
	 * as UV_EBADF and stops the handle. The read or write below then
	 * returns the real error. */
	if (status < 0) {
		watch->events = 0;
		events = UV_READABLE | UV_WRITABLE;
	}

	if (watch == chan->pty_watch) {
		if (events & UV_WRITABLE)
			drain_input(chan);
		if ((events & UV_READABLE) && chan->pty_watch)
			read_output(chan, &chan->out, watch->fd);
	} else if (watch == chan->in_watch) {
		drain_input(chan);
	} else if (watch == chan->out.watch) {
		read_output(chan, &chan->out, watch->fd);
	} else if (watch == chan->err.watch) {
		read_output(chan, &chan->err, watch->fd);
	}
	conn_after(conn);
}

/* ---- start and end ---- */

void bridge_set_winsize(struct chan *chan)
{
	struct winsize ws = {.ws_row = (unsigned short)chan->rows,
			     .ws_col = (unsigned short)chan->cols};

	chan->winsize_pending = false;
	if (chan->pty_watch && ioctl(chan->pty_watch->fd, TIOCSWINSZ, &ws) < 0)
		chan_log(LOG_LEVEL_WARN, chan, "TIOCSWINSZ failed: %s", strerror(errno));
}

/* Ends a session that could not start: the message goes to the client's
 * stderr, then exit status 1, as OpenSSH reports a failed command. */
static void fail_start(struct chan *chan, const char *message)
{
	int len;

	chan_log(LOG_LEVEL_WARN, chan, "session start failed: %s", message);
	audit_event("session_failed", AUDIT_INT, "conn", (long long)chan->conn->id, AUDIT_STR,
		    "user", chan->conn->user, AUDIT_STR, "source", chan->conn->addr, AUDIT_STR,
		    "kind", chan_kind(chan), AUDIT_STR, "reason", message, AUDIT_END);
	len = snprintf((char *)chan->err.buf, NET_PENDING_MAX, "rexec: %s\r\n", message);
	chan->err.len = len < 0 ? 0 : (size_t)len;
	chan->out.eof = chan->err.eof = true;
	chan->input_closed = true;
	chan->exited = true;
	chan->wait_status = 1 << 8; /* exit status 1 */
	chan->pty_drained = true;
	chan->state = CHAN_RUNNING;
}

static int attach_fds(struct chan *chan, struct proto_msg *msg)
{
	int rc;

	if (chan->want_pty) {
		rc = watch_new(chan, msg->fds[PROTO_FD_PTY], &chan->pty_watch);
		if (rc < 0)
			return rc;
		msg->fds[PROTO_FD_PTY] = -1;
		chan->quiet_timer = calloc(1, sizeof(*chan->quiet_timer));
		if (!chan->quiet_timer)
			return -ENOMEM;
		rc = uv_timer_init(&chan->conn->srv->loop, chan->quiet_timer);
		if (rc < 0) {
			free(chan->quiet_timer);
			chan->quiet_timer = NULL;
			return rc;
		}
		chan->quiet_timer->data = chan;
		return 0;
	}

	rc = watch_new(chan, msg->fds[PROTO_FD_STDIN], &chan->in_watch);
	if (rc < 0)
		return rc;
	msg->fds[PROTO_FD_STDIN] = -1;
	rc = watch_new(chan, msg->fds[PROTO_FD_STDOUT], &chan->out.watch);
	if (rc < 0)
		return rc;
	msg->fds[PROTO_FD_STDOUT] = -1;
	rc = watch_new(chan, msg->fds[PROTO_FD_STDERR], &chan->err.watch);
	if (rc < 0)
		return rc;
	msg->fds[PROTO_FD_STDERR] = -1;
	return 0;
}

static void audit_start(struct chan *chan)
{
	struct conn *conn = chan->conn;
	char session[16];

	snprintf(session, sizeof(session), "%08x", chan->session_id);
	chan_log(LOG_LEVEL_INFO, chan, "session started: %s, pty %s", chan_kind(chan),
		 chan->want_pty ? "yes" : "no");
	if (chan->subsystem[0]) {
		audit_event("session_start", AUDIT_STR, "session", session, AUDIT_INT, "conn",
			    (long long)conn->id, AUDIT_STR, "user", conn->user, AUDIT_STR, "source",
			    conn->addr, AUDIT_STR, "kind", "subsystem", AUDIT_STR, "subsystem",
			    chan->subsystem, AUDIT_BOOL, "pty", (int)chan->want_pty, AUDIT_END);
		return;
	}
	audit_event("session_start", AUDIT_STR, "session", session, AUDIT_INT, "conn",
		    (long long)conn->id, AUDIT_STR, "user", conn->user, AUDIT_STR, "source",
		    conn->addr, AUDIT_STR, "kind", chan_kind(chan), AUDIT_STR, "command",
		    chan->command, AUDIT_BOOL, "pty", (int)chan->want_pty, AUDIT_END);
}

/* Takes the fds out of a PROTO_SESSION_OPENED for this channel. */
void bridge_on_opened(struct chan *chan, struct proto_msg *msg)
{
	int want_fds = chan->want_pty ? 1 : 3;
	int rc;

	if (msg->error != 0) {
		fail_start(chan,
			   msg->message && msg->message[0] ? msg->message : strerror(msg->error));
		return;
	}
	if (msg->session_id == 0 || msg->nfds != want_fds) {
		log_error("monitor link: OPENED for request %u has session=%08x and %d fds, "
			  "expected %d fds",
			  msg->request_id, msg->session_id, msg->nfds, want_fds);
		if (msg->session_id)
			monitor_send_session_close(chan->conn->srv, msg->session_id);
		fail_start(chan, "internal error");
		return;
	}

	chan->session_id = msg->session_id;
	rc = attach_fds(chan, msg);
	if (rc < 0) {
		chan_log(LOG_LEVEL_ERROR, chan, "setting up the session fds failed: %s",
			 strerror(-rc));
		monitor_send_session_close(chan->conn->srv, chan->session_id);
		bridge_close_fds(chan);
		chan->session_id = 0;
		fail_start(chan, "internal error");
		return;
	}
	chan->state = CHAN_RUNNING;
	liveness_note_data(chan->conn);
	if (chan->winsize_pending)
		bridge_set_winsize(chan);
	audit_start(chan);
}

/* Called from a libssh callback, so it only records the request;
 * bridge_step closes the program's stdout. */
void bridge_on_eow(struct chan *chan)
{
	if (chan->eow_received || chan->want_pty)
		return;
	chan->eow_received = true;
	chan->conn->dirty = true;
	chan_log(LOG_LEVEL_DEBUG, chan, "client closed its output: closing the program's stdout");
}

/* sshd does the same on eow@openssh.com: the program gets EPIPE or
 * SIGPIPE on its next write to stdout, as with a local broken pipe, and
 * stderr keeps flowing. */
static void close_stdout_after_eow(struct chan *chan)
{
	chan->out.len = 0;
	chan->out.eof = true;
	watch_close(&chan->out.watch);
}

void bridge_on_exited(struct chan *chan, int wait_status)
{
	chan->exited = true;
	chan->wait_status = wait_status;
	if (!chan->pty_watch)
		close_input(chan);
	else
		restart_quiet_timer(chan);
	chan_log(LOG_LEVEL_DEBUG, chan, "program exited, wait status 0x%x", (unsigned)wait_status);
}

void bridge_audit_end(struct chan *chan, const char *reason)
{
	struct conn *conn = chan->conn;
	long long duration_ms = (long long)(util_now_ms() - chan->start_ms);
	int ws = chan->wait_status;
	char session[16];

	if (chan->end_audited || chan->session_id == 0)
		return;
	chan->end_audited = true;
	snprintf(session, sizeof(session), "%08x", chan->session_id);

	if (chan->exited && WIFSIGNALED(ws)) {
		const char *name = exit_signal_name(WTERMSIG(ws));
		char number[16];

		snprintf(number, sizeof(number), "%d", WTERMSIG(ws));
		audit_event("session_end", AUDIT_STR, "session", session, AUDIT_INT, "conn",
			    (long long)conn->id, AUDIT_STR, "user",
			    conn->user, AUDIT_STR, "signal", name ? name : number, AUDIT_INT,
			    "duration_ms", duration_ms, AUDIT_END);
	} else if (chan->exited) {
		audit_event("session_end", AUDIT_STR, "session", session, AUDIT_INT, "conn",
			    (long long)conn->id, AUDIT_STR, "user",
			    conn->user, AUDIT_INT, "exit_status", (long long)WEXITSTATUS(ws),
			    AUDIT_INT, "duration_ms", duration_ms, AUDIT_END);
	} else {
		audit_event("session_end", AUDIT_STR, "session", session, AUDIT_INT, "conn",
			    (long long)conn->id, AUDIT_STR, "user",
			    conn->user, AUDIT_STR, "reason", reason, AUDIT_INT, "duration_ms",
			    duration_ms, AUDIT_END);
	}
	chan_log(LOG_LEVEL_INFO, chan, "session ended after %lld ms: %s 0x%x", duration_ms,
		 chan->exited ? "wait status" : reason, (unsigned)ws);
}

static bool output_done(const struct chan *chan)
{
	if (chan->out.len || chan->err.len)
		return false;
	if (chan->pty_watch)
		return chan->pty_drained;
	return chan->out.eof && chan->err.eof;
}

/* Sends exit-status or exit-signal, EOF and CLOSE. None of them waits for
 * a reply, so they are safe on a non-blocking session. */
static void send_exit(struct chan *chan)
{
	int ws = chan->wait_status;
	const char *name = WIFSIGNALED(ws) ? exit_signal_name(WTERMSIG(ws)) : NULL;

	if (name)
		ssh_channel_request_send_exit_signal(chan->channel, name, WCOREDUMP(ws) ? 1 : 0, "",
						     "");
	else if (WIFSIGNALED(ws))
		ssh_channel_request_send_exit_status(chan->channel, 128 + WTERMSIG(ws));
	else
		ssh_channel_request_send_exit_status(chan->channel, WEXITSTATUS(ws));
	/* SSH_AGAIN from send_eof still means the EOF is queued. */
	ssh_channel_send_eof(chan->channel);
	bridge_audit_end(chan, NULL);
	bridge_close_fds(chan);
}

/* The client closed the channel while the session runs: end the session. */
static void end_by_client(struct chan *chan)
{
	if (chan->session_id && !chan->exited)
		monitor_send_session_close(chan->conn->srv, chan->session_id);
	bridge_audit_end(chan, "client closed the channel");
	bridge_close_fds(chan);
	chan->state = CHAN_DONE;
}

/* One step of the channel's state machine, run from conn_after. */
void bridge_step(struct chan *chan)
{
	if (chan->client_closed && chan->state != CHAN_CLOSING) {
		end_by_client(chan);
		return;
	}
	if (chan->state == CHAN_RUNNING) {
		if (chan->eow_received && !chan->out.eof)
			close_stdout_after_eow(chan);
		flush_output(chan, &chan->out);
		flush_output(chan, &chan->err);
		/* Client EOF reaches a pipe program as EOF on stdin once every
		 * byte is written; on a PTY it is ignored, as sshd does. */
		if (chan->client_eof && chan->in_watch && !input_pending(chan))
			close_input(chan);
		if (chan->input_closed && chan->in_watch)
			close_input(chan);
		if (chan->exited && output_done(chan)) {
			send_exit(chan);
			chan->state = CHAN_CLOSING;
		}
	}
	if (chan->state == CHAN_CLOSING) {
		/* libssh 0.10.6: close returns SSH_AGAIN without queuing CLOSE
		 * while the EOF is still unsent, so it is repeated until the
		 * channel leaves the open state. */
		if (ssh_channel_is_open(chan->channel) &&
		    ssh_channel_close(chan->channel) == SSH_ERROR) {
			chan_log(LOG_LEVEL_INFO, chan, "closing the channel failed: %s",
				 ssh_get_error(chan->conn->session));
			chan->conn->want_abort = true;
		}
		if (!ssh_channel_is_open(chan->channel))
			chan->state = CHAN_DONE;
		return;
	}
	update_watches(chan);
}
