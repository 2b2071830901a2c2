/* One SSH connection: libssh session driven non-blocking from libuv,
 * public-key authentication through the monitor, login limits, teardown.
 *
 * fd scheme: libuv polls the accepted socket A; libssh gets B = dup(A).
 * libssh 0.10.6 closes B by itself on EOF, errors, ssh_disconnect and
 * ssh_free, and libuv's epoll backend aborts when re-arming a closed fd.
 * So libuv never polls B, and A is closed only after libssh is done. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "net-internal.h"
#include "rexec/audit.h"
#include "rexec/util.h"

#define PUMP_ROUNDS     16 /* libssh reads at most 4096 bytes per round */
#define STEP_ROUNDS     4
#define TCP_KEEPIDLE_S  60
#define TCP_KEEPINTVL_S 15
#define TCP_KEEPCNT_N   4
#define FINGERPRINT_MAX 128

const char *conn_user_for_log(const struct conn *conn)
{
	return conn->user[0] ? conn->user : "-";
}

static bool conn_is_dead(const struct conn *conn)
{
	ssh_session s = conn->session;

	return ssh_get_fd(s) == SSH_INVALID_SOCKET || !ssh_is_connected(s) ||
	       (ssh_get_status(s) & (SSH_CLOSED | SSH_CLOSED_ERROR));
}

/* ---- audit helpers ---- */

/* Copies a client-supplied name for logs and audit: at most 64 bytes,
 * anything outside printable ASCII replaced by '?'. */
static void sanitize(char *dst, size_t dst_len, const char *src)
{
	size_t i;

	for (i = 0; src && src[i] && i + 1 < dst_len && i < 64; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

static void fingerprint_of(ssh_key key, char *out, size_t out_len)
{
	unsigned char *hash = NULL;
	size_t hash_len = 0;
	char *text;

	out[0] = '\0';
	if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hash_len) < 0)
		return;
	text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hash_len);
	if (text)
		snprintf(out, out_len, "%s", text);
	ssh_string_free_char(text);
	ssh_clean_pubkey_hash(&hash);
}

static void audit_auth_failure(struct conn *conn, const char *user, const char *fingerprint,
			       const char *reason)
{
	audit_event("auth_failure", AUDIT_INT, "conn", (long long)conn->id, AUDIT_STR, "user", user,
		    AUDIT_STR, "source", conn->addr, AUDIT_INT, "port", (long long)conn->port,
		    AUDIT_STR, "fingerprint", fingerprint, AUDIT_STR, "reason", reason, AUDIT_END);
}

/* ---- public-key authentication ---- */

static bool key_type_allowed(enum ssh_keytypes_e type)
{
	switch (type) {
	case SSH_KEYTYPE_ED25519:
	case SSH_KEYTYPE_SK_ED25519:
	case SSH_KEYTYPE_ECDSA_P256:
	case SSH_KEYTYPE_ECDSA_P384:
	case SSH_KEYTYPE_ECDSA_P521:
	case SSH_KEYTYPE_SK_ECDSA:
	case SSH_KEYTYPE_RSA:
		return true;
	default:
		/* Certificates among others: libssh 0.10 does not validate them. */
		return false;
	}
}

/* Decodes the key's SSH wire-format blob from libssh's base64 export. */
static int key_blob(ssh_key key, uint8_t **blob, size_t *blob_len)
{
	char *b64 = NULL;
	size_t b64_len, pad = 0;
	int n;

	if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK)
		return -EINVAL;
	b64_len = strlen(b64);
	if (b64_len == 0 || b64_len % 4 != 0 || b64_len / 4 * 3 > PROTO_BLOB_MAX) {
		ssh_string_free_char(b64);
		return -EINVAL;
	}
	while (pad < 2 && b64[b64_len - 1 - pad] == '=')
		pad++;
	*blob = malloc(b64_len / 4 * 3);
	if (!*blob) {
		ssh_string_free_char(b64);
		return -ENOMEM;
	}
	n = EVP_DecodeBlock(*blob, (const unsigned char *)b64, (int)b64_len);
	ssh_string_free_char(b64);
	if (n < 0 || (size_t)n < pad) {
		free(*blob);
		*blob = NULL;
		return -EINVAL;
	}
	*blob_len = (size_t)n - pad;
	return 0;
}

/* Returns the reason for a denial, or NULL when the monitor allows the key. */
static const char *check_key(struct conn *conn, const char *user, ssh_key pubkey)
{
	enum ssh_keytypes_e type = ssh_key_type(pubkey);
	uint8_t *blob = NULL;
	size_t blob_len = 0;
	int result = PROTO_KEY_DENIED;
	int rc;

	if (!username_is_valid(user))
		return "unknown user";
	if (!key_type_allowed(type))
		return "unsupported key type";
	rc = key_blob(pubkey, &blob, &blob_len);
	if (rc < 0) {
		conn_log(LOG_LEVEL_WARN, conn, "encoding the offered key failed: %s",
			 strerror(-rc));
		return "key not authorized";
	}
	rc = monitor_check_key(conn->srv, user, ssh_key_type_to_char(type), blob, blob_len,
			       &result);
	free(blob);
	if (rc < 0)
		return "monitor unavailable";
	if (result == PROTO_KEY_UNKNOWN_USER)
		return "unknown user";
	return result == PROTO_KEY_ALLOWED ? NULL : "key not authorized";
}

static void auth_succeeded(struct conn *conn, const char *user, ssh_key pubkey,
			   const char *fingerprint)
{
	snprintf(conn->user, sizeof(conn->user), "%s", user);
	conn->state = CONN_OPEN;
	if (conn->counted_unauth) {
		conn->counted_unauth = false;
		conn->srv->unauth_count--;
	}
	uv_timer_stop(conn->grace_timer);
	if (liveness_start(conn) < 0) {
		conn_log(LOG_LEVEL_ERROR, conn, "starting the keepalive and idle timers failed");
		conn->want_abort = true;
	}

	conn_log(LOG_LEVEL_INFO, conn, "authenticated from %s port %u with %s key %s", conn->addr,
		 conn->port, ssh_key_type_to_char(ssh_key_type(pubkey)), fingerprint);
	audit_event("auth_success", AUDIT_INT, "conn", (long long)conn->id, AUDIT_STR, "user",
		    conn->user, AUDIT_STR, "source", conn->addr, AUDIT_INT, "port",
		    (long long)conn->port, AUDIT_STR, "fingerprint", fingerprint, AUDIT_STR,
		    "key_type", ssh_key_type_to_char(ssh_key_type(pubkey)), AUDIT_END);
}

static void auth_failed(struct conn *conn, const char *user, const char *fingerprint,
			const char *reason)
{
	char safe_user[USERNAME_MAX * 2 + 1];

	sanitize(safe_user, sizeof(safe_user), user);
	conn->auth_failures++;
	conn_log(LOG_LEVEL_INFO, conn, "public key %s for \"%s\" from %s port %u rejected: %s",
		 fingerprint, safe_user, conn->addr, conn->port, reason);
	audit_auth_failure(conn, safe_user, fingerprint, reason);

	if (conn->srv->cfg->max_auth_tries &&
	    conn->auth_failures >= conn->srv->cfg->max_auth_tries) {
		conn_log(LOG_LEVEL_INFO, conn, "%u failed attempts from %s; disconnecting",
			 conn->auth_failures, conn->addr);
		audit_auth_failure(conn, safe_user, NULL, "too many attempts");
		conn->end_reason = "too many authentication failures";
		conn->want_close = true;
	}
}

/* libssh 0.10.6 calls this with SSH_PUBLICKEY_STATE_NONE for a probe and
 * with SSH_PUBLICKEY_STATE_VALID once it has verified the signature; only
 * the VALID call authenticates. Both ask the monitor, because a client may
 * skip the probe and the user name may change between attempts. */
static int on_auth_pubkey(ssh_session session, const char *user, struct ssh_key_struct *pubkey,
			  char signature_state, void *userdata)
{
	struct conn *conn = userdata;
	char fingerprint[FINGERPRINT_MAX];
	const char *reason;

	if (conn->state != CONN_AUTH || conn->want_close || conn->srv->stopping)
		return SSH_AUTH_DENIED;
	if (signature_state != SSH_PUBLICKEY_STATE_NONE &&
	    signature_state != SSH_PUBLICKEY_STATE_VALID)
		return SSH_AUTH_DENIED;

	fingerprint_of(pubkey, fingerprint, sizeof(fingerprint));
	reason = check_key(conn, user, pubkey);
	if (reason) {
		auth_failed(conn, user, fingerprint, reason);
		return SSH_AUTH_DENIED;
	}
	if (signature_state == SSH_PUBLICKEY_STATE_VALID)
		auth_succeeded(conn, user, pubkey, fingerprint);
	return SSH_AUTH_SUCCESS;
}

/* gssapi-with-mic is handled by libssh 0.10.6 even when not advertised;
 * returning no OID makes it fail at once instead of calling into GSSAPI. */
static ssh_string on_gssapi_select_oid(ssh_session session, const char *user, int n_oid,
				       ssh_string *oids, void *userdata)
{
	return NULL;
}

static ssh_channel on_channel_open(ssh_session session, void *userdata)
{
	return chan_open(userdata);
}

/* ---- timers ---- */

static void on_grace_timeout(uv_timer_t *timer)
{
	struct conn *conn = timer->data;

	conn_log(LOG_LEVEL_INFO, conn, "no authentication from %s port %u within %u s; dropping",
		 conn->addr, conn->port, conn->srv->cfg->login_grace_time_s);
	audit_auth_failure(conn, NULL, NULL, "login grace time");
	conn_teardown(conn, false);
}

static void on_drain_timeout(uv_timer_t *timer)
{
	conn_teardown(timer->data, false);
}

int conn_timer_new(struct conn *conn, uv_timer_t **out)
{
	uv_timer_t *timer = calloc(1, sizeof(*timer));
	int rc;

	if (!timer)
		return -ENOMEM;
	rc = uv_timer_init(&conn->srv->loop, timer);
	if (rc < 0) {
		free(timer);
		return rc;
	}
	timer->data = conn;
	*out = timer;
	return 0;
}

/* ---- pumping libssh ---- */

static void finish_kex(struct conn *conn)
{
	conn->event = ssh_event_new();
	if (!conn->event || ssh_event_add_session(conn->event, conn->session) != SSH_OK) {
		conn_log(LOG_LEVEL_ERROR, conn, "creating the libssh event failed");
		conn->want_abort = true;
		return;
	}
	conn->state = CONN_AUTH;
	conn_log(LOG_LEVEL_DEBUG, conn, "key exchange done: %s, %s",
		 ssh_get_kex_algo(conn->session), ssh_get_cipher_out(conn->session));
}

static void pump(struct conn *conn)
{
	int rc;

	requests_set_active(conn);
	if (conn->state == CONN_KEX) {
		/* Never called after the key exchange: its termination test
		 * ignores the authenticated state and would return SSH_AGAIN. */
		rc = ssh_handle_key_exchange(conn->session);
		if (rc == SSH_OK) {
			finish_kex(conn);
		} else if (rc == SSH_ERROR) {
			conn_log(LOG_LEVEL_INFO, conn, "key exchange with %s port %u failed: %s",
				 conn->addr, conn->port, ssh_get_error(conn->session));
			conn->want_abort = true;
		}
		return;
	}
	for (int i = 0; i < PUMP_ROUNDS; i++) {
		rc = ssh_event_dopoll(conn->event, 0);
		if (rc != SSH_OK || conn_is_dead(conn))
			break;
	}
}

static void on_socket_event(uv_poll_t *handle, int status, int events)
{
	struct conn *conn = handle->data;

	/* libuv 1.44 reports POLLERR as UV_EBADF: for a TCP socket that is
	 * a reset or another socket error, so the connection is gone. */
	if (status < 0) {
		conn_log(LOG_LEVEL_INFO, conn, "socket error from %s port %u (libuv: %s)",
			 conn->addr, conn->port, uv_strerror(status));
		conn_teardown(conn, false);
		return;
	}
	pump(conn);
	conn_after(conn);
}

static void update_socket_poll(struct conn *conn)
{
	int flags = ssh_get_poll_flags(conn->session);
	int events = 0;
	int rc;

	if (flags & SSH_READ_PENDING)
		events |= UV_READABLE;
	if (flags & SSH_WRITE_PENDING)
		events |= UV_WRITABLE;
	if (events == conn->poll_events)
		return;
	rc = events ? uv_poll_start(conn->poll, events, on_socket_event) : uv_poll_stop(conn->poll);
	if (rc < 0) {
		conn_log(LOG_LEVEL_ERROR, conn, "socket uv_poll_start failed: %s", uv_strerror(rc));
		conn_teardown(conn, false);
		return;
	}
	conn->poll_events = events;
}

static void begin_close(struct conn *conn)
{
	conn->state = CONN_CLOSING;
	uv_timer_stop(conn->grace_timer);
	liveness_stop(conn);
	uv_timer_start(conn->drain_timer, on_drain_timeout, NET_CLOSE_DRAIN_MS, 0);
}

static void step_channels(struct conn *conn)
{
	for (int round = 0; round < STEP_ROUNDS; round++) {
		struct chan *chan, *next;

		conn->dirty = false;
		for (chan = LIST_FIRST(&conn->chans); chan; chan = next) {
			next = LIST_NEXT(chan, link);
			bridge_step(chan);
			if (chan->state == CHAN_DONE)
				chan_free(chan);
		}
		if (!conn->dirty || conn_is_dead(conn))
			return;
	}
}

void conn_after(struct conn *conn)
{
	requests_set_active(conn);
	if (conn->state >= CONN_OPEN)
		liveness_after_pump(conn);
	if (conn->want_abort || conn_is_dead(conn)) {
		conn_teardown(conn, false);
		return;
	}

	step_channels(conn);
	if (conn->want_abort || conn_is_dead(conn)) {
		conn_teardown(conn, false);
		return;
	}

	if (conn->want_close && conn->state != CONN_CLOSING)
		begin_close(conn);
	/* libssh's socket buffer is empty: the last replies are out. */
	if (conn->state == CONN_CLOSING && !(ssh_get_status(conn->session) & SSH_WRITE_PENDING)) {
		conn_teardown(conn, true);
		return;
	}
	update_socket_poll(conn);
}

/* ---- setup and teardown ---- */

/* Writes the peer's numeric address ("unknown" if it has none) and port. */
static void format_peer(int fd, char *addr, size_t addr_len, unsigned *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	snprintf(addr, addr_len, "unknown");
	*port = 0;
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &sin->sin_addr, addr, (socklen_t)addr_len);
		*port = ntohs(sin->sin_port);
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, addr, (socklen_t)addr_len);
		*port = ntohs(sin6->sin6_port);
	}
}

static void describe_peer(struct conn *conn)
{
	format_peer(conn->fd, conn->addr, sizeof(conn->addr), &conn->port);
}

/* Counts the connections from addr that have not authenticated yet. */
static unsigned unauthenticated_from(struct server *srv, const char *addr)
{
	struct conn *conn;
	unsigned count = 0;

	LIST_FOREACH(conn, &srv->conns, link) {
		if (conn->counted_unauth && strcmp(conn->addr, addr) == 0)
			count++;
	}
	return count;
}

/* Logs a refused connection at most once a second, with the number of
 * refusals since the last line, so a flood of connections does not also
 * fill the log. */
static void log_refused(struct server *srv, const char *addr, const char *reason)
{
	unsigned long long now = util_now_ms();

	srv->refused_since_log++;
	if (now - srv->refused_log_ms < 1000)
		return;
	log_warn("connection from %s refused: %s (%u refused since the last message)", addr,
		 reason, srv->refused_since_log);
	srv->refused_log_ms = now;
	srv->refused_since_log = 0;
}

static void set_tcp_options(struct conn *conn)
{
	static const struct {
		int level, name, value;
		const char *label;
	} options[] = {
	    {IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY"},
	    {SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE"},
	    {IPPROTO_TCP, TCP_KEEPIDLE, TCP_KEEPIDLE_S, "TCP_KEEPIDLE"},
	    {IPPROTO_TCP, TCP_KEEPINTVL, TCP_KEEPINTVL_S, "TCP_KEEPINTVL"},
	    {IPPROTO_TCP, TCP_KEEPCNT, TCP_KEEPCNT_N, "TCP_KEEPCNT"},
	};

	const struct config *cfg = conn->srv->cfg;
	unsigned long long limit_ms;
	unsigned user_timeout_ms;

	for (size_t i = 0; i < ARRAY_SIZE(options); i++) {
		if (setsockopt(conn->fd, options[i].level, options[i].name, &options[i].value,
			       sizeof(options[i].value)) < 0)
			conn_log(LOG_LEVEL_WARN, conn, "setsockopt %s failed: %s", options[i].label,
				 strerror(errno));
	}

	/* The kernel drops the connection once sent data stays unacknowledged
	 * this long, so a vanished peer ends no later than keepalive would
	 * notice. A frozen client's kernel still acknowledges, so keepalive
	 * catches that one. */
	if (cfg->client_alive_interval_s == 0)
		return;
	limit_ms =
	    (unsigned long long)cfg->client_alive_interval_s * cfg->client_alive_count_max * 1000;
	user_timeout_ms = limit_ms > INT_MAX ? INT_MAX : (unsigned)limit_ms;
	if (setsockopt(conn->fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms,
		       sizeof(user_timeout_ms)) < 0)
		conn_log(LOG_LEVEL_WARN, conn, "setsockopt TCP_USER_TIMEOUT failed: %s",
			 strerror(errno));
}

static void setup_callbacks(struct conn *conn)
{
	memset(&conn->server_cb, 0, sizeof(conn->server_cb));
	conn->server_cb.userdata = conn;
	conn->server_cb.auth_pubkey_function = on_auth_pubkey;
	conn->server_cb.gssapi_select_oid_function = on_gssapi_select_oid;
	conn->server_cb.channel_open_request_session_function = on_channel_open;
	ssh_callbacks_init(&conn->server_cb);
}

/* Hands a dup of the socket to a new libssh session. On failure the dup
 * is closed here unless libssh already owns it (ssh_free closes it). */
static int attach_session(struct conn *conn)
{
	int dup_fd;

	conn->session = ssh_new();
	if (!conn->session)
		return -ENOMEM;
	dup_fd = fcntl(conn->fd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0)
		return -errno;
	if (ssh_bind_accept_fd(conn->srv->bind, conn->session, dup_fd) != SSH_OK) {
		conn_log(LOG_LEVEL_ERROR, conn, "ssh_bind_accept_fd failed: %s",
			 ssh_get_error(conn->srv->bind));
		if (ssh_get_fd(conn->session) != dup_fd)
			close(dup_fd);
		return -EIO;
	}

	/* Per-session settings go after accept_fd, which copies the bind's. */
	if (ssh_options_set(conn->session, SSH_OPTIONS_COMPRESSION_C_S, "none") < 0 ||
	    ssh_options_set(conn->session, SSH_OPTIONS_COMPRESSION_S_C, "none") < 0) {
		conn_log(LOG_LEVEL_ERROR, conn, "disabling compression failed: %s",
			 ssh_get_error(conn->session));
		return -EIO;
	}
	ssh_set_blocking(conn->session, 0);
	setup_callbacks(conn);
	if (ssh_set_server_callbacks(conn->session, &conn->server_cb) != SSH_OK)
		return -EIO;
	requests_attach(conn);
	ssh_set_counters(conn->session, NULL, &conn->rx_counter);
	ssh_set_auth_methods(conn->session, SSH_AUTH_METHOD_PUBLICKEY);
	return 0;
}

static int start_watches(struct conn *conn)
{
	int rc;

	conn->poll = calloc(1, sizeof(*conn->poll));
	if (!conn->poll)
		return -ENOMEM;
	rc = uv_poll_init(&conn->srv->loop, conn->poll, conn->fd);
	if (rc < 0) {
		free(conn->poll);
		conn->poll = NULL;
		return rc;
	}
	conn->poll->data = conn;

	rc = conn_timer_new(conn, &conn->grace_timer);
	if (rc == 0)
		rc = conn_timer_new(conn, &conn->drain_timer);
	if (rc < 0)
		return rc;
	if (conn->srv->cfg->login_grace_time_s)
		rc = uv_timer_start(conn->grace_timer, on_grace_timeout,
				    (uint64_t)conn->srv->cfg->login_grace_time_s * 1000, 0);
	return rc;
}

static struct conn *conn_new(struct server *srv, int fd)
{
	struct conn *conn = calloc(1, sizeof(*conn));

	if (!conn)
		return NULL;
	conn->srv = srv;
	conn->id = srv->next_conn_id++;
	conn->fd = fd;
	conn->state = CONN_KEX;
	conn->poll_events = 0;
	conn->start_ms = util_now_ms();
	LIST_INIT(&conn->chans);
	LIST_INSERT_HEAD(&srv->conns, conn, link);
	srv->conn_count++;
	srv->unauth_count++;
	conn->counted_unauth = true;
	describe_peer(conn);
	return conn;
}

void conn_accept(struct server *srv, int fd)
{
	char addr[INET6_ADDRSTRLEN];
	unsigned port;
	struct conn *conn;
	int rc;

	/* A single client holding MaxStartups idle connections would lock
	 * everyone else out; PerSourceMaxStartups caps each address first. */
	format_peer(fd, addr, sizeof(addr), &port);
	if (srv->cfg->per_source_max_startups &&
	    unauthenticated_from(srv, addr) >= srv->cfg->per_source_max_startups) {
		log_refused(srv, addr, "PerSourceMaxStartups reached");
		close(fd);
		return;
	}
	if (srv->cfg->max_startups && srv->unauth_count >= srv->cfg->max_startups) {
		log_refused(srv, addr, "MaxStartups reached");
		close(fd);
		return;
	}
	conn = conn_new(srv, fd);
	if (!conn) {
		log_error("connection dropped: out of memory");
		close(fd);
		return;
	}
	set_tcp_options(conn);
	conn_log(LOG_LEVEL_INFO, conn, "connection from %s port %u", conn->addr, conn->port);
	audit_event("connect", AUDIT_INT, "conn", (long long)conn->id, AUDIT_STR, "source",
		    conn->addr, AUDIT_INT, "port", (long long)conn->port, AUDIT_END);

	rc = attach_session(conn);
	if (rc == 0)
		rc = start_watches(conn);
	if (rc < 0) {
		conn_log(LOG_LEVEL_ERROR, conn, "connection setup failed: %s", strerror(-rc));
		conn_teardown(conn, false);
		return;
	}
	/* The first call queues the banner and the KEXINIT. */
	pump(conn);
	conn_after(conn);
}

static void release_session(struct conn *conn, bool graceful)
{
	if (conn->poll) {
		uv_poll_stop(conn->poll);
		server_close_handle((uv_handle_t *)conn->poll);
		conn->poll = NULL;
	}
	if (conn->event) {
		ssh_event_remove_session(conn->event, conn->session);
		ssh_event_free(conn->event);
		conn->event = NULL;
	}
	if (conn->session) {
		/* Both close libssh's dup of the socket and free every channel. */
		if (graceful && !conn_is_dead(conn)) {
			if (conn->end_reason)
				ssh_session_set_disconnect_message(conn->session, conn->end_reason);
			ssh_disconnect(conn->session);
		} else
			ssh_silent_disconnect(conn->session);
		ssh_free(conn->session);
		conn->session = NULL;
	}
	if (conn->fd >= 0 && close(conn->fd) < 0)
		conn_log(LOG_LEVEL_WARN, conn, "closing the socket failed: %s", strerror(errno));
	conn->fd = -1;
}

/* Ends the connection at once: aborts its channels (running sessions get
 * PROTO_SESSION_CLOSE), releases libssh and frees the memory. Not for use
 * inside a libssh callback. */
void conn_teardown(struct conn *conn, bool graceful)
{
	struct server *srv = conn->srv;

	while (!LIST_EMPTY(&conn->chans))
		chan_abort(LIST_FIRST(&conn->chans),
			   conn->end_reason ? conn->end_reason : "client disconnected");

	server_close_handle((uv_handle_t *)conn->grace_timer);
	server_close_handle((uv_handle_t *)conn->drain_timer);
	liveness_stop(conn);
	release_session(conn, graceful);
	requests_forget(conn);

	conn_log(LOG_LEVEL_INFO, conn, "disconnected %s port %u after %llu ms", conn->addr,
		 conn->port, util_now_ms() - conn->start_ms);
	audit_event("disconnect", AUDIT_INT, "conn", (long long)conn->id, AUDIT_STR, "user",
		    conn->user[0] ? conn->user : NULL, AUDIT_STR, "source", conn->addr, AUDIT_INT,
		    "port", (long long)conn->port, AUDIT_INT, "duration_ms",
		    (long long)(util_now_ms() - conn->start_ms), AUDIT_END);

	if (conn->counted_unauth)
		srv->unauth_count--;
	srv->conn_count--;
	LIST_REMOVE(conn, link);
	free(conn);
}
