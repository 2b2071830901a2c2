/* The network process's event loop: listeners, the libssh bind that every
 * connection copies its settings from, signals and shutdown. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net-internal.h"
#include "rexec/hostkey.h"
#include "rexec/privdrop.h"

#define ACCEPT_RETRY_MS 100 /* pause after EMFILE/ENFILE before accepting again */

/* Algorithms offered to clients (libssh 0.10.6, OpenSSL backend). The
 * upstream 0.10.6 release does not check the AES-GCM tag and so accepts
 * tampered GCM packets. The GCM ciphers are offered only because Debian's
 * 0.10.6-0+deb12u3 package carries the fix, so an older libssh must not
 * be used with this list. libssh appends ext-info and the strict-KEX
 * marker to the KEX list itself. */
#define ALGO_KEX "curve25519-sha256,curve25519-sha256@libssh.org"
#define ALGO_CIPHERS                                                                               \
	"chacha20-poly1305@openssh.com,aes256-gcm@openssh.com,"                                    \
	"aes128-gcm@openssh.com,aes256-ctr,aes192-ctr,aes128-ctr"
#define ALGO_MACS    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com"
#define ALGO_HOSTKEY "ssh-ed25519"
/* Signature algorithms accepted for user keys; certificates are rejected
 * in the auth callback because libssh 0.10 does not validate them. */
#define ALGO_USERKEYS                                                                              \
	"ssh-ed25519,sk-ssh-ed25519@openssh.com,"                                                  \
	"ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"                             \
	"sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256"
/* The same floor as the key store (authkeys.c), so no key that rexecctl
 * accepts is one whose signature libssh 0.10.6 drops without a reply. */
#define RSA_MIN_BITS 2048

void server_close_handle(uv_handle_t *handle)
{
	if (handle && !uv_is_closing(handle))
		uv_close(handle, (uv_close_cb)free);
}

/* Highest libssh priority passed to rexecd's log. libssh logs at
 * SSH_LOG_PROTOCOL in any case, because requests.c reads one of those
 * lines. */
static int libssh_log_priority = SSH_LOG_WARN;

/* libssh's own lines carry no connection id and mostly describe peer
 * behaviour that the callers report with ids, so they go to debug. */
static void on_libssh_log(int priority, const char *function, const char *message, void *unused)
{
	requests_on_libssh_log(priority, message);
	if (priority <= libssh_log_priority)
		log_debug("libssh[%d]: %s: %s", priority, function, message);
}

static int set_bind_option(ssh_bind bind, enum ssh_bind_options_e option, const char *name,
			   const void *value)
{
	if (ssh_bind_options_set(bind, option, value) == SSH_OK)
		return 0;
	log_error("libssh bind option %s failed: %s", name, ssh_get_error(bind));
	return -EINVAL;
}

static int setup_bind(struct server *srv)
{
	bool process_config = false;
	int rsa_min = RSA_MIN_BITS;
	ssh_bind bind = ssh_bind_new();
	int rc = 0;

	if (!bind)
		return -ENOMEM;
	srv->bind = bind;

	/* First, so libssh never reads /etc/ssh/libssh_server_config, which
	 * could override the algorithms below. */
	rc |= set_bind_option(bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, "PROCESS_CONFIG",
			      &process_config);
	rc |=
	    set_bind_option(bind, SSH_BIND_OPTIONS_HOSTKEY, "HOSTKEY", srv->params->host_key_path);
	rc |= set_bind_option(bind, SSH_BIND_OPTIONS_KEY_EXCHANGE, "KEY_EXCHANGE", ALGO_KEX);
	rc |= set_bind_option(bind, SSH_BIND_OPTIONS_CIPHERS_C_S, "CIPHERS_C_S", ALGO_CIPHERS);
	rc |= set_bind_option(bind, SSH_BIND_OPTIONS_CIPHERS_S_C, "CIPHERS_S_C", ALGO_CIPHERS);
	rc |= set_bind_option(bind, SSH_BIND_OPTIONS_HMAC_C_S, "HMAC_C_S", ALGO_MACS);
	rc |= set_bind_option(bind, SSH_BIND_OPTIONS_HMAC_S_C, "HMAC_S_C", ALGO_MACS);
	rc |= set_bind_option(bind, SSH_BIND_OPTIONS_HOSTKEY_ALGORITHMS, "HOSTKEY_ALGORITHMS",
			      ALGO_HOSTKEY);
	rc |= set_bind_option(bind, SSH_BIND_OPTIONS_PUBKEY_ACCEPTED_KEY_TYPES,
			      "PUBKEY_ACCEPTED_KEY_TYPES", ALGO_USERKEYS);
	rc |= set_bind_option(bind, SSH_BIND_OPTIONS_RSA_MIN_SIZE, "RSA_MIN_SIZE", &rsa_min);
	/* libssh sends "SSH-2.0-" and this; its default names the libssh version. */
	rc |= set_bind_option(bind, SSH_BIND_OPTIONS_BANNER, "BANNER", NET_BANNER);
	return rc ? -EINVAL : 0;
}

/* ---- accepting ---- */

static void on_listener_event(uv_poll_t *handle, int status, int events);

static void resume_accepting(uv_timer_t *timer)
{
	struct server *srv = timer->data;

	srv->accept_paused = false;
	for (size_t i = 0; i < srv->listen_count && !srv->stopping; i++) {
		int rc = uv_poll_start(&srv->listeners[i].handle, UV_READABLE, on_listener_event);

		if (rc < 0)
			log_error("listener fd %d: uv_poll_start failed: %s", srv->listeners[i].fd,
				  uv_strerror(rc));
	}
}

static void pause_accepting(struct server *srv)
{
	for (size_t i = 0; i < srv->listen_count; i++)
		uv_poll_stop(&srv->listeners[i].handle);
	srv->accept_paused = true;
	uv_timer_start(&srv->accept_timer, resume_accepting, ACCEPT_RETRY_MS, 0);
}

static void accept_all(struct server *srv, int listen_fd)
{
	while (!srv->stopping) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd >= 0) {
			conn_accept(srv, fd);
			continue;
		}
		switch (errno) {
		case EAGAIN:
			return;
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			continue;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			log_error("accept failed: %s; pausing for %d ms", strerror(errno),
				  ACCEPT_RETRY_MS);
			pause_accepting(srv);
			return;
		default:
			log_error("accept on fd %d failed: %s", listen_fd, strerror(errno));
			return;
		}
	}
}

static void on_listener_event(uv_poll_t *handle, int status, int events)
{
	struct listen_watch *watch = handle->data;

	if (status < 0) {
		log_error("listener fd %d: poll failed: %s", watch->fd, uv_strerror(status));
		return;
	}
	accept_all(watch->srv, watch->fd);
}

static int start_listeners(struct server *srv)
{
	int rc;

	srv->listeners = calloc(srv->params->listen_count, sizeof(*srv->listeners));
	if (!srv->listeners && srv->params->listen_count)
		return -ENOMEM;

	for (size_t i = 0; i < srv->params->listen_count; i++) {
		struct listen_watch *watch = &srv->listeners[i];

		watch->srv = srv;
		watch->fd = srv->params->listen_fds[i];
		rc = uv_poll_init(&srv->loop, &watch->handle, watch->fd);
		if (rc < 0) {
			log_error("listener fd %d: uv_poll_init failed: %s", watch->fd,
				  uv_strerror(rc));
			return rc;
		}
		watch->handle.data = watch;
		srv->listen_count = i + 1;
		rc = uv_poll_start(&watch->handle, UV_READABLE, on_listener_event);
		if (rc < 0) {
			log_error("listener fd %d: uv_poll_start failed: %s", watch->fd,
				  uv_strerror(rc));
			return rc;
		}
	}
	return 0;
}

/* ---- signals and shutdown ---- */

static void on_stop_signal(uv_signal_t *handle, int signo)
{
	struct server *srv = handle->data;

	log_info("received signal %d; stopping", signo);
	server_stop(srv, 0);
}

static int start_signals(struct server *srv)
{
	int rc;

	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		return -errno;

	rc = uv_signal_init(&srv->loop, &srv->sig_term);
	if (rc < 0)
		return rc;
	srv->sig_term.data = srv;
	rc = uv_signal_init(&srv->loop, &srv->sig_int);
	if (rc < 0)
		return rc;
	srv->sig_int.data = srv;
	rc = uv_signal_start(&srv->sig_term, on_stop_signal, SIGTERM);
	if (rc == 0)
		rc = uv_signal_start(&srv->sig_int, on_stop_signal, SIGINT);
	return rc;
}

/* Closes every handle, so uv_run returns once the close callbacks ran.
 * Running sessions get PROTO_SESSION_CLOSE while the monitor link is
 * still up. */
static void shutdown_all(uv_async_t *handle)
{
	struct server *srv = handle->data;

	for (size_t i = 0; i < srv->listen_count; i++) {
		uv_poll_stop(&srv->listeners[i].handle);
		uv_close((uv_handle_t *)&srv->listeners[i].handle, NULL);
	}
	if (srv->accept_timer_ready)
		uv_close((uv_handle_t *)&srv->accept_timer, NULL);

	while (!LIST_EMPTY(&srv->conns)) {
		struct conn *conn = LIST_FIRST(&srv->conns);

		conn->end_reason = "server shutting down";
		conn_teardown(conn, true);
	}

	monitor_link_stop(srv);
	if (srv->sig_term.data)
		uv_close((uv_handle_t *)&srv->sig_term, NULL);
	if (srv->sig_int.data)
		uv_close((uv_handle_t *)&srv->sig_int, NULL);
	uv_close((uv_handle_t *)&srv->stop_async, NULL);
}

/* Safe to call anywhere, even inside a libssh callback: the teardown runs
 * from the loop on its next iteration. */
void server_stop(struct server *srv, int exit_code)
{
	if (srv->stopping)
		return;
	srv->stopping = true;
	srv->exit_code = exit_code;
	uv_async_send(&srv->stop_async);
}

/* Last step of the setup: the host key is loaded and every fd the loop
 * needs is open, so nothing below needs root or the filesystem. */
static int drop_privileges(struct server *srv)
{
	const struct privdrop_target *target = srv->params->privdrop;
	char err[PRIVDROP_ERROR_MAX] = "";
	int rc;

	if (!target) {
		log_warn("network process keeps root: no privilege drop configured");
		return 0;
	}
	rc = privdrop_apply(target, err, sizeof(err));
	if (rc < 0) {
		log_error("dropping privileges failed: %s", err);
		return rc;
	}
	log_info("network process confined: chroot %s, user %s uid=%u gid=%u, no capabilities, "
		 "no_new_privs, seccomp",
		 target->chroot_dir, target->user, (unsigned)target->uid, (unsigned)target->gid);
	return 0;
}

static int start(struct server *srv)
{
	int rc;

	rc = hostkey_ensure(srv->params->host_key_path);
	if (rc < 0)
		return rc;
	rc = setup_bind(srv);
	if (rc < 0)
		return rc;

	rc = uv_timer_init(&srv->loop, &srv->accept_timer);
	if (rc < 0)
		return rc;
	srv->accept_timer.data = srv;
	srv->accept_timer_ready = true;

	rc = start_signals(srv);
	if (rc < 0) {
		log_error("signal setup failed: %s", strerror(-rc));
		return rc;
	}
	rc = monitor_link_start(srv);
	if (rc < 0)
		return rc;
	rc = start_listeners(srv);
	if (rc < 0)
		return rc;
	return drop_privileges(srv);
}

int server_run(const struct server_params *params)
{
	struct server *srv = calloc(1, sizeof(*srv));
	int rc;

	if (!srv)
		return 1;
	srv->params = params;
	srv->cfg = params->cfg;
	srv->next_conn_id = 1;
	srv->next_request_id = 1;
	srv->monitor_events = -1;
	LIST_INIT(&srv->conns);

	rc = uv_loop_init(&srv->loop);
	if (rc < 0) {
		log_error("uv_loop_init failed: %s", uv_strerror(rc));
		free(srv);
		return 1;
	}
	rc = uv_async_init(&srv->loop, &srv->stop_async, shutdown_all);
	if (rc < 0) {
		log_error("uv_async_init failed: %s", uv_strerror(rc));
		uv_loop_close(&srv->loop);
		free(srv);
		return 1;
	}
	srv->stop_async.data = srv;

	/* Reference-counted; libssh's constructor already ran it when linked
	 * dynamically, but this reports a failed crypto setup. */
	if (ssh_init() < 0) {
		log_error("ssh_init failed");
		uv_close((uv_handle_t *)&srv->stop_async, NULL);
		uv_run(&srv->loop, UV_RUN_DEFAULT);
		uv_loop_close(&srv->loop);
		free(srv);
		return 1;
	}
	ssh_set_log_callback(on_libssh_log);
	libssh_log_priority = srv->cfg->log_level >= LOG_LEVEL_DEBUG ? SSH_LOG_INFO : SSH_LOG_WARN;
	ssh_set_log_level(SSH_LOG_PROTOCOL);

	rc = start(srv);
	if (rc < 0) {
		log_error("network process setup failed: %s", strerror(-rc));
		server_stop(srv, 1);
	} else {
		log_info("network process ready: %zu listeners, LoginGraceTime %u s, "
			 "MaxAuthTries %u, MaxStartups %u, MaxSessions %u",
			 srv->listen_count, srv->cfg->login_grace_time_s, srv->cfg->max_auth_tries,
			 srv->cfg->max_startups, srv->cfg->max_sessions);
	}

	uv_run(&srv->loop, UV_RUN_DEFAULT);

	rc = uv_loop_close(&srv->loop);
	if (rc < 0)
		log_warn("uv_loop_close failed: %s", uv_strerror(rc));
	if (srv->bind)
		ssh_bind_free(srv->bind);
	ssh_finalize();
	free(srv->listeners);
	rc = srv->exit_code;
	free(srv);
	log_info("network process stopped with exit code %d", rc);
	return rc;
}
