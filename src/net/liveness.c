/* Liveness of an authenticated connection: keepalive requests
 * (ClientAliveInterval, ClientAliveCountMax) and the idle timeout
 * (IdleTimeout).
 *
 * Keepalive: libssh counts every packet it decrypts (ssh_set_counters),
 * and any packet proves the client alive. After each keepalive period of
 * silence rexecd sends a keepalive@openssh.com global request with
 * want_reply set, to which every client replies (with FAILURE if it does
 * not know the request, RFC 4254 section 4). A client that sends nothing for
 * ClientAliveInterval x ClientAliveCountMax is disconnected, its sessions
 * are closed and the monitor hangs them up. The period is the interval,
 * or half of it when ClientAliveCountMax is 1, so that the reply has time
 * to arrive before the limit.
 *
 * libssh 0.10.6's ssh_send_keepalive cannot report the reply when
 * non-blocking: a request whose reply is outstanding makes the next call
 * only collect that reply, without sending (ssh_global_request in
 * src/channels.c). Calling it twice always leaves one request on its way
 * or outstanding; the reply itself is only counted as a packet.
 *
 * Idle timeout: the time since the last channel data in either direction
 * (liveness_note_data). Keepalive requests and their replies are not
 * data, so a connection kept alive but unused still ends. */
#include "config.h"

#include "net-internal.h"
#include "rexec/audit.h"
#include "rexec/util.h"

static void on_alive_timer(uv_timer_t *timer);
static void on_idle_timer(uv_timer_t *timer);

static unsigned long long alive_limit_ms(const struct config *cfg)
{
	return (unsigned long long)cfg->client_alive_interval_s * cfg->client_alive_count_max *
	       1000;
}

static unsigned long long alive_period_ms(const struct config *cfg)
{
	unsigned long long interval_ms = (unsigned long long)cfg->client_alive_interval_s * 1000;

	return cfg->client_alive_count_max >= 2 ? interval_ms : interval_ms / 2;
}

static void drop_unresponsive(struct conn *conn, unsigned long long silence_ms)
{
	const struct config *cfg = conn->srv->cfg;

	conn_log(LOG_LEVEL_INFO, conn,
		 "no packet from %s port %u for %llu ms (ClientAliveInterval %u s, "
		 "ClientAliveCountMax %u); disconnecting",
		 conn->addr, conn->port, silence_ms, cfg->client_alive_interval_s,
		 cfg->client_alive_count_max);
	audit_event("client_timeout", AUDIT_INT, "conn", (long long)conn->id, AUDIT_STR, "user",
		    conn->user, AUDIT_STR, "source", conn->addr, AUDIT_STR, "reason",
		    "client not responding", AUDIT_INT, "silence_ms", (long long)silence_ms,
		    AUDIT_END);
	conn->end_reason = "client not responding";
	conn_teardown(conn, false);
}

static void on_alive_timer(uv_timer_t *timer)
{
	struct conn *conn = timer->data;
	const struct config *cfg = conn->srv->cfg;
	unsigned long long now = util_now_ms();
	unsigned long long limit = alive_limit_ms(cfg), period = alive_period_ms(cfg);
	unsigned long long silence, next;

	liveness_after_pump(conn);
	silence = now - conn->last_rx_ms;
	if (silence >= limit) {
		drop_unresponsive(conn, silence);
		return;
	}

	if (silence >= period) {
		requests_set_active(conn);
		/* The first call may only collect the previous reply. */
		ssh_send_keepalive(conn->session);
		ssh_send_keepalive(conn->session);
		next = now + period;
	} else {
		next = conn->last_rx_ms + period;
	}
	if (next > conn->last_rx_ms + limit)
		next = conn->last_rx_ms + limit;
	uv_timer_start(timer, on_alive_timer, next > now ? next - now : 1, 0);
	conn_after(conn);
}

static void on_idle_timer(uv_timer_t *timer)
{
	struct conn *conn = timer->data;
	unsigned long long limit = (unsigned long long)conn->srv->cfg->idle_timeout_s * 1000;
	unsigned long long idle = util_now_ms() - conn->last_data_ms;

	if (idle < limit) {
		uv_timer_start(timer, on_idle_timer, limit - idle, 0);
		return;
	}
	conn_log(LOG_LEVEL_INFO, conn,
		 "no session data for %llu ms (IdleTimeout %u s); disconnecting", idle,
		 conn->srv->cfg->idle_timeout_s);
	audit_event("client_timeout", AUDIT_INT, "conn", (long long)conn->id, AUDIT_STR, "user",
		    conn->user, AUDIT_STR, "source", conn->addr, AUDIT_STR, "reason",
		    "idle timeout", AUDIT_INT, "idle_ms", (long long)idle, AUDIT_END);
	conn->end_reason = "idle timeout";
	conn->want_close = true;
	conn_after(conn);
}

static int start_timer(struct conn *conn, uv_timer_t **out, uv_timer_cb cb, uint64_t delay_ms)
{
	int rc = conn_timer_new(conn, out);

	return rc < 0 ? rc : uv_timer_start(*out, cb, delay_ms, 0);
}

int liveness_start(struct conn *conn)
{
	const struct config *cfg = conn->srv->cfg;
	int rc = 0;

	conn->last_rx_ms = conn->last_data_ms = util_now_ms();
	conn->rx_packets_seen = conn->rx_counter.in_packets;
	if (cfg->client_alive_interval_s)
		rc = start_timer(conn, &conn->alive_timer, on_alive_timer, alive_period_ms(cfg));
	if (rc == 0 && cfg->idle_timeout_s)
		rc = start_timer(conn, &conn->idle_timer, on_idle_timer,
				 (uint64_t)cfg->idle_timeout_s * 1000);
	return rc;
}

void liveness_stop(struct conn *conn)
{
	server_close_handle((uv_handle_t *)conn->alive_timer);
	server_close_handle((uv_handle_t *)conn->idle_timer);
	conn->alive_timer = NULL;
	conn->idle_timer = NULL;
}

void liveness_after_pump(struct conn *conn)
{
	if (conn->rx_counter.in_packets == conn->rx_packets_seen)
		return;
	conn->rx_packets_seen = conn->rx_counter.in_packets;
	conn->last_rx_ms = util_now_ms();
}

void liveness_note_data(struct conn *conn)
{
	conn->last_data_ms = util_now_ms();
}
