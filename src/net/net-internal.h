/* Internal interfaces of the network process (src/net/): the server (loop,
 * listeners, libssh bind), one connection (libssh session, auth, timers),
 * one session channel (requests, fd bridge) and the monitor links.
 *
 * Calls run one way: server -> conn -> chan -> monitor client. Callbacks
 * from libssh only record state. The work they imply (freeing, closing,
 * disconnecting) runs in conn_after() once the libssh call that fired
 * them has returned, because libssh 0.10.6 re-enters the pump from inside
 * ssh_channel_write, send_eof, close and free. */
#ifndef REXEC_NET_INTERNAL_H
#define REXEC_NET_INTERNAL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <uv.h>

#include "rexec/config.h"
#include "rexec/log.h"
#include "rexec/proto.h"
#include "rexec/server.h"
#include "rexec/username.h"

/* Memory bound per session channel, so a client that stops reading stalls
 * the program and not rexecd:
 *   program -> client: NET_PENDING_MAX per stream (stdout, stderr) held
 *     here, plus at most one ssh_channel_write (<= NET_PENDING_MAX plus
 *     packet overhead) in libssh's socket buffer, because writes wait
 *     while that buffer is not empty.
 *   client -> program: libssh's channel buffer, which the window keeps
 *     under about 1.92 MB (libssh 0.10.6 tops the window up to 1,280,000
 *     bytes when window plus buffered bytes fall below 640,000), plus the
 *     spill: what the program's fd did not take, read out of libssh's
 *     buffer in one go (same bound). ssh_channel_read re-grants the whole
 *     window on every call. Reading the leftover in small pieces would
 *     therefore let the buffer grow without limit, and one read per drain
 *     keeps it to one grant.
 * So one session holds at most about 4 MB, and typically a few KB. A
 * client that sends more than NET_INPUT_HARD_MAX while ignoring the window
 * is disconnected. tests/integration/t-flow.sh checks the network
 * process's peak RSS after 1 GiB each way past a stalling reader. */
#define NET_PENDING_MAX    (32 * 1024)
#define NET_INPUT_HARD_MAX (4 * 1024 * 1024)

/* Sent after "SSH-2.0-". The OpenSSH client sends eow@openssh.com, which
 * reports that its stdout is gone, only to servers whose version starts
 * with "OpenSSH" (compat.c and nchan.c, 9.2 and the August 2026 source).
 * Without that request, "ssh host yes | head -1" would never return. The
 * name carries no OpenSSH release number, so version-based scanners have
 * nothing to match against OpenSSH's advisories, and it names neither
 * libssh nor its version. */
#define NET_BANNER               "OpenSSH_compatible rexec"
#define NET_KEY_CHECK_TIMEOUT_MS 5000
#define NET_CLOSE_DRAIN_MS       2000  /* wait for libssh's output before disconnecting */
#define NET_PTY_QUIET_MS         50    /* PTY output drain after the program exited */
#define NET_WINSIZE_MAX          10000 /* clamp for PTY columns and rows */
#define CHAN_REJECT_LOG_MAX      16    /* rejected requests logged per channel */

struct conn;
struct chan;

/* A uv_poll or uv_timer whose memory outlives its owner until libuv's
 * close callback, so owners can be freed at once. */
struct fd_watch {
	uv_poll_t handle;
	struct chan *chan; /* NULL once closed */
	int fd;
	int events; /* UV_READABLE | UV_WRITABLE now started */
};

struct monitor_out {
	struct monitor_out *next;
	struct proto_msg msg;
};

struct listen_watch {
	uv_poll_t handle;
	struct server *srv;
	int fd;
};

struct server {
	uv_loop_t loop;
	const struct server_params *params;
	const struct config *cfg;
	ssh_bind bind;

	struct listen_watch *listeners;
	size_t listen_count;
	uv_timer_t accept_timer; /* resumes accepting after EMFILE */
	bool accept_paused;
	bool accept_timer_ready;

	uv_poll_t monitor_poll;
	int monitor_events;
	struct monitor_out *out_head, *out_tail; /* messages the socket did not take yet */
	unsigned key_replies_stale;              /* key results still owed for timed-out checks */

	uv_signal_t sig_term, sig_int;
	uv_async_t stop_async; /* runs the shutdown outside any libssh callback */

	LIST_HEAD(, conn) conns;
	unsigned conn_count;
	unsigned unauth_count; /* connections not yet authenticated (MaxStartups) */
	unsigned refused_since_log;        /* connections refused since the last log line */
	unsigned long long refused_log_ms; /* when that line was written */
	unsigned next_conn_id;
	uint32_t next_request_id;

	bool stopping;
	int exit_code;
};

enum conn_state {
	CONN_KEX,     /* banner and key exchange */
	CONN_AUTH,    /* waiting for public-key authentication */
	CONN_OPEN,    /* authenticated: channels allowed */
	CONN_CLOSING, /* draining libssh's output before disconnecting */
};

struct conn {
	LIST_ENTRY(conn) link;
	struct server *srv;
	unsigned id;
	enum conn_state state;

	int fd; /* watched by libuv; libssh owns a dup of it */
	ssh_session session;
	ssh_event event; /* exists once the key exchange is done */
	struct ssh_server_callbacks_struct server_cb;
	uv_poll_t *poll;
	int poll_events;
	uv_timer_t *grace_timer;
	uv_timer_t *drain_timer;

	char addr[INET6_ADDRSTRLEN];
	unsigned port;
	char user[USERNAME_MAX + 1]; /* empty until authenticated */
	unsigned auth_failures;
	bool counted_unauth;
	unsigned long long start_ms;

	/* Deferred work, set from libssh callbacks. */
	const char *end_reason; /* for the DISCONNECT message and open sessions */
	bool want_close;        /* graceful: drain output, then disconnect */
	bool want_abort;        /* drop the connection at once */
	bool dirty;             /* a callback changed channel state */

	LIST_HEAD(, chan) chans;
	unsigned chan_count;

	/* Liveness (liveness.c). libssh adds to rx_counter as it decrypts. */
	struct ssh_counter_struct rx_counter;
	size_t rx_packets_seen;
	unsigned long long last_rx_ms;   /* last packet from the client */
	unsigned long long last_data_ms; /* last channel data, either direction */
	uv_timer_t *alive_timer;         /* NULL when ClientAliveInterval is 0 */
	uv_timer_t *idle_timer;          /* NULL when IdleTimeout is 0 */

	unsigned rejections_audited; /* rejected forwarding requests */
};

enum chan_state {
	CHAN_SETUP,    /* collecting pty-req and env */
	CHAN_STARTING, /* PROTO_SESSION_OPEN sent, waiting for OPENED */
	CHAN_RUNNING,  /* fds bridged */
	CHAN_CLOSING,  /* exit status sent, CLOSE not yet queued */
	CHAN_DONE,     /* ready to be freed */
};

struct out_stream {
	struct fd_watch *watch; /* NULL in PTY mode (the PTY watch reads) or once closed */
	uint8_t buf[NET_PENDING_MAX];
	size_t len;
	bool eof;
	bool is_stderr;
};

struct chan {
	LIST_ENTRY(chan) link;
	struct conn *conn;
	ssh_channel channel;
	struct ssh_channel_callbacks_struct cb;
	enum chan_state state;
	uint32_t request_id;
	uint32_t session_id; /* 0 until OPENED */
	unsigned long long start_ms;

	/* The request, sent with PROTO_SESSION_OPEN. */
	bool want_pty;
	char term[PROTO_NAME_MAX];
	uint32_t cols, rows;
	bool is_exec; /* exec or subsystem: command is set */
	char *command;
	char subsystem[PROTO_NAME_MAX]; /* "sftp", or empty */
	char *env[PROTO_ENV_MAX];
	size_t env_count;
	size_t env_bytes;

	/* The bridge. With a PTY, pty_watch is the master (read and write);
	 * without, in_watch is stdin and out/err read the program's output. */
	struct fd_watch *pty_watch;
	struct fd_watch *in_watch;
	struct out_stream out;
	struct out_stream err;
	uint8_t *spill;              /* client bytes the program has not taken yet */
	size_t spill_off, spill_len; /* unwritten part: spill[spill_off .. spill_len) */
	size_t leftover_len;         /* client bytes still in libssh's channel buffer */
	bool input_closed;           /* program stdin closed or broken: discard input */
	bool eow_received;           /* eow@openssh.com: the client's stdout is gone */
	unsigned rejections_logged;  /* rejected env and signal requests */

	bool client_eof;
	bool client_closed;
	bool exited;
	int wait_status;
	bool winsize_pending; /* window-change came before the PTY */
	uv_timer_t *quiet_timer;
	bool pty_drained; /* PTY hit EIO, or stayed quiet after the exit */
	bool end_audited;
};

/* Log prefixes with the ids of a connection or session. */
#define conn_log(level, conn, fmt, ...)                                                            \
	log_msg(level, "conn=%u user=%s " fmt, (conn)->id, conn_user_for_log(conn), ##__VA_ARGS__)
#define chan_log(level, chan, fmt, ...)                                                            \
	log_msg(level, "conn=%u session=%08x user=%s " fmt, (chan)->conn->id, (chan)->session_id,  \
		conn_user_for_log((chan)->conn), ##__VA_ARGS__)

/* server.c */
/* Requests shutdown; the teardown runs on the loop's next iteration. */
void server_stop(struct server *srv, int exit_code);
void server_close_handle(uv_handle_t *handle); /* uv_close + free */

/* conn.c */
void conn_accept(struct server *srv, int fd);
/* Runs deferred work, steps every channel, tears the connection down if it
 * is dead and re-arms the socket watch. conn may be freed on return. */
void conn_after(struct conn *conn);
void conn_teardown(struct conn *conn, bool graceful);
/* Allocates a stopped uv_timer with data = conn; close it with
 * server_close_handle. */
int conn_timer_new(struct conn *conn, uv_timer_t **out);
const char *conn_user_for_log(const struct conn *conn);

/* channel.c */
ssh_channel chan_open(struct conn *conn);
/* Returns "shell", "exec" or "subsystem", for logs and audit. */
const char *chan_kind(const struct chan *chan);
void chan_free(struct chan *chan);
void chan_abort(struct chan *chan, const char *reason);
struct chan *chan_find_request(struct server *srv, uint32_t request_id);
struct chan *chan_find_session(struct server *srv, uint32_t session_id);

/* bridge.c */
void bridge_on_opened(struct chan *chan, struct proto_msg *msg);
void bridge_on_exited(struct chan *chan, int wait_status);
void bridge_step(struct chan *chan);
int bridge_on_client_data(struct chan *chan, const uint8_t *data, size_t len);
void bridge_set_winsize(struct chan *chan);
void bridge_close_fds(struct chan *chan);
void bridge_audit_end(struct chan *chan, const char *reason);
/* Records eow@openssh.com: the client can take no more stdout, so the
 * program's stdout is closed at the next bridge_step. */
void bridge_on_eow(struct chan *chan);

/* requests.c */
/* Installs the message callback that rejects forwarding. */
void requests_attach(struct conn *conn);
/* Logs and audits a rejected request; detail may be NULL. */
void requests_audit_rejected(struct conn *conn, const char *request, const char *detail,
			     const char *reason);
/* Names the connection whose libssh session the next libssh calls drive,
 * so log lines libssh writes without a session can be attributed. */
void requests_set_active(struct conn *conn);
void requests_forget(struct conn *conn);
/* Called for every libssh log line, before any filtering by level. */
void requests_on_libssh_log(int priority, const char *message);

/* liveness.c */
/* Starts keepalive and idle timers; called once authentication succeeds. */
int liveness_start(struct conn *conn);
void liveness_stop(struct conn *conn);
/* Records that the client sent a packet, if libssh decrypted one. */
void liveness_after_pump(struct conn *conn);
/* Records session data in either direction, for IdleTimeout. */
void liveness_note_data(struct conn *conn);

/* monclient.c */
int monitor_link_start(struct server *srv);
void monitor_link_stop(struct server *srv);
/* Asks the monitor whether key_blob may log in as user. Returns 0 with
 * *result set to a PROTO_KEY_* value, -ETIMEDOUT (treat as denied), or
 * another negative errno when the link is broken (the server then stops). */
int monitor_check_key(struct server *srv, const char *user, const char *key_type,
		      const uint8_t *blob, size_t blob_len, int *result);
int monitor_send(struct server *srv, const struct proto_msg *msg);
int monitor_send_session_open(struct server *srv, const struct chan *chan);
int monitor_send_session_signal(struct server *srv, uint32_t session_id, int signo);
int monitor_send_session_close(struct server *srv, uint32_t session_id);

#endif
