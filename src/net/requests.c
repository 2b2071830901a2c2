/* Requests that libssh 0.10.6 hands to the server's message callback
 * because no server or channel callback covers them: port forwarding
 * (tcpip-forward, direct-tcpip, forwarded-tcpip), X11 (x11-req, x11
 * channels), other channel types and channel requests libssh does not
 * parse. Forwarding is rejected, logged and audited. The client gets
 * libssh's default reply: SSH_MSG_REQUEST_FAILURE, a channel request
 * FAILURE, or an open failure with reason "administratively prohibited".
 *
 * Agent forwarding (auth-agent-req@openssh.com) never reaches the message
 * callback, so it is recognised from libssh's log line instead (see
 * requests_on_libssh_log). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "net-internal.h"
#include "rexec/audit.h"

/* Rejected requests audited per connection, because a client can repeat
 * them at no cost (each connection through an "ssh -D" proxy is one). */
#define REJECT_AUDIT_MAX 32

#define FORWARDING_DISABLED "forwarding is disabled"

/* The connection whose libssh session is being driven, for log lines
 * that libssh writes without naming the session. */
static struct conn *active_conn;

void requests_set_active(struct conn *conn)
{
	active_conn = conn;
}

void requests_forget(struct conn *conn)
{
	if (active_conn == conn)
		active_conn = NULL;
}

void requests_audit_rejected(struct conn *conn, const char *request, const char *detail,
			     const char *reason)
{
	if (conn->rejections_audited > REJECT_AUDIT_MAX)
		return;
	if (conn->rejections_audited++ == REJECT_AUDIT_MAX) {
		conn_log(LOG_LEVEL_INFO, conn,
			 "further rejected requests are not logged or audited");
		return;
	}
	conn_log(LOG_LEVEL_INFO, conn, "%s request rejected%s%s: %s", request,
		 detail ? " for " : "", detail ? detail : "", reason);
	audit_event("request_rejected", AUDIT_INT, "conn", (long long)conn->id, AUDIT_STR, "user",
		    conn->user[0] ? conn->user : NULL, AUDIT_STR, "source", conn->addr, AUDIT_STR,
		    "request", request, AUDIT_STR, "detail", detail, AUDIT_END);
}

/* Formats "host:port" from client-supplied text, with anything outside
 * printable ASCII replaced by '?'. */
static void format_endpoint(char *out, size_t out_len, const char *host, int port)
{
	char safe[64];
	size_t i;

	for (i = 0; host && host[i] && i + 1 < sizeof(safe); i++)
		safe[i] = (host[i] > 0x20 && host[i] < 0x7f) ? host[i] : '?';
	safe[i] = '\0';
	snprintf(out, out_len, "%s:%d", safe, port);
}

static void on_global_request(struct conn *conn, ssh_message msg)
{
	char endpoint[96];

	switch (ssh_message_subtype(msg)) {
	case SSH_GLOBAL_REQUEST_TCPIP_FORWARD:
		format_endpoint(endpoint, sizeof(endpoint), ssh_message_global_request_address(msg),
				ssh_message_global_request_port(msg));
		requests_audit_rejected(conn, "tcpip-forward", endpoint, FORWARDING_DISABLED);
		break;
	default:
		/* cancel-tcpip-forward: nothing was forwarded. */
		conn_log(LOG_LEVEL_DEBUG, conn, "global request %d rejected",
			 ssh_message_subtype(msg));
		break;
	}
}

static void on_channel_open(struct conn *conn, ssh_message msg)
{
	char endpoint[96];

	switch (ssh_message_subtype(msg)) {
	case SSH_CHANNEL_DIRECT_TCPIP:
		format_endpoint(endpoint, sizeof(endpoint),
				ssh_message_channel_request_open_destination(msg),
				ssh_message_channel_request_open_destination_port(msg));
		requests_audit_rejected(conn, "direct-tcpip", endpoint, FORWARDING_DISABLED);
		break;
	case SSH_CHANNEL_FORWARDED_TCPIP:
		requests_audit_rejected(conn, "forwarded-tcpip", NULL, FORWARDING_DISABLED);
		break;
	case SSH_CHANNEL_X11:
		requests_audit_rejected(conn, "x11", NULL, FORWARDING_DISABLED);
		break;
	case SSH_CHANNEL_AUTH_AGENT:
		requests_audit_rejected(conn, "auth-agent", NULL, FORWARDING_DISABLED);
		break;
	default:
		/* For example direct-streamlocal@openssh.com (ssh -L to a
		 * unix socket); libssh 0.10.6 does not report the type. */
		requests_audit_rejected(conn, "channel-open", "an unknown channel type",
					FORWARDING_DISABLED);
		break;
	}
}

static struct chan *chan_of(struct conn *conn, ssh_channel channel)
{
	struct chan *chan;

	LIST_FOREACH(chan, &conn->chans, link)
	{
		if (chan->channel == channel)
			return chan;
	}
	return NULL;
}

/* libssh 0.10.6 passes channel requests it does not parse with type
 * UNKNOWN and without their name. On a session without a PTY, the only
 * such request the OpenSSH client (9.x and earlier) sends is
 * eow@openssh.com: its stdout is gone ("ssh host yes | head -1"), so the
 * program's stdout is closed as sshd does, and the program gets SIGPIPE.
 * It sends break only with a PTY and everything else under a name libssh
 * parses. NOTE: this is an inference from the client's banner; another
 * client that claims to be OpenSSH and sends other requests would lose
 * its stdout. */
static void on_unknown_channel_request(struct conn *conn, ssh_message msg)
{
	struct chan *chan = chan_of(conn, ssh_message_channel_request_channel(msg));
	const char *banner = ssh_get_clientbanner(conn->session);

	if (!chan) {
		conn_log(LOG_LEVEL_DEBUG, conn, "request on an unknown channel rejected");
		return;
	}
	if (!chan->want_pty && chan->state == CHAN_RUNNING && banner &&
	    strncmp(banner, "SSH-2.0-OpenSSH_", 16) == 0) {
		bridge_on_eow(chan);
		return;
	}
	chan_log(LOG_LEVEL_DEBUG, chan, "unknown channel request rejected");
}

/* Returns 1, so libssh sends its default reply (a failure) after it. */
static int on_message(ssh_session session, ssh_message msg, void *userdata)
{
	struct conn *conn = userdata;

	switch (ssh_message_type(msg)) {
	case SSH_REQUEST_GLOBAL:
		on_global_request(conn, msg);
		break;
	case SSH_REQUEST_CHANNEL_OPEN:
		on_channel_open(conn, msg);
		break;
	case SSH_REQUEST_CHANNEL:
		if (ssh_message_subtype(msg) == SSH_CHANNEL_REQUEST_X11)
			requests_audit_rejected(conn, "x11-req", NULL, FORWARDING_DISABLED);
		else if (ssh_message_subtype(msg) == SSH_CHANNEL_REQUEST_UNKNOWN)
			on_unknown_channel_request(conn, msg);
		break;
	default:
		/* Other authentication methods and service requests: libssh's
		 * default reply is what a server without callbacks sends. */
		break;
	}
	conn->dirty = true;
	return 1;
}

void requests_attach(struct conn *conn)
{
	ssh_set_message_callback(conn->session, on_message, conn);
}

/* libssh 0.10.6 replies to auth-agent-req@openssh.com itself: FAILURE
 * when the channel has no auth_agent_req callback, SUCCESS when it has
 * one (src/channels.c, channel_rcv_request). Setting the callback would
 * tell PuTTY, which sets want_reply on its request, that agent forwarding
 * works. So the request is recognised from libssh's SSH_LOG_PROTOCOL line
 * instead, which comes while the session of active_conn is being driven. */
void requests_on_libssh_log(int priority, const char *message)
{
	if (priority == SSH_LOG_PROTOCOL && active_conn &&
	    strstr(message, "Received an auth-agent-req request"))
		requests_audit_rejected(active_conn, "auth-agent-req", NULL, FORWARDING_DISABLED);
}
