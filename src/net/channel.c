/* One session channel: the client's requests (pty-req, env, shell, exec,
 * subsystem, window-change, signal, eof, close) up to the point where the
 * session is asked for. The byte bridge and the ending are in bridge.c.
 *
 * Only "session" channels exist. Other channel types and requests without
 * a callback below reach requests.c, which logs and rejects them. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net-internal.h"
#include "rexec/audit.h"
#include "rexec/envcheck.h"
#include "rexec/util.h"

/* Total bytes of "NAME=value" entries per session, so that a session
 * request (command up to PROTO_COMMAND_MAX plus environment) always fits
 * in one PROTO_MSG_MAX message. */
#define ENV_TOTAL_MAX (16 * 1024)

static const struct {
	const char *name; /* RFC 4254 section 6.10, without "SIG" */
	int signo;
} client_signals[] = {
    {"INT", SIGINT},   {"TERM", SIGTERM}, {"HUP", SIGHUP},   {"KILL", SIGKILL},
    {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"QUIT", SIGQUIT},
};

static void mark_dirty(struct chan *chan)
{
	chan->conn->dirty = true;
}

static uint32_t clamp_size(int value)
{
	if (value < 0)
		return 0;
	return value > NET_WINSIZE_MAX ? NET_WINSIZE_MAX : (uint32_t)value;
}

/* TERM is passed to the program's environment: letters, digits and
 * ".+-_" only. Empty means the client sent no TERM. */
static bool term_is_valid(const char *term)
{
	size_t len = strlen(term);

	if (len >= PROTO_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char)term[i]) && !strchr(".+-_", term[i]))
			return false;
	}
	return true;
}

/* Makes a client-supplied name safe for a log line: at most 64 bytes,
 * anything outside printable ASCII replaced by '?'. */
static void sanitize_name(char *dst, size_t dst_len, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < dst_len && i < 64; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? src[i] : '?';
	dst[i] = '\0';
}

/* Logs a rejected request. A client can repeat requests at no cost, so
 * each channel logs at most CHAN_REJECT_LOG_MAX of them. */
static void log_rejection(struct chan *chan, const char *what, const char *name, const char *reason)
{
	char safe[PROTO_NAME_MAX + 8];

	if (chan->rejections_logged > CHAN_REJECT_LOG_MAX)
		return;
	if (chan->rejections_logged++ == CHAN_REJECT_LOG_MAX) {
		chan_log(LOG_LEVEL_INFO, chan, "further rejected requests are not logged");
		return;
	}
	sanitize_name(safe, sizeof(safe), name);
	chan_log(LOG_LEVEL_INFO, chan, "%s \"%s\" rejected: %s", what, safe, reason);
}

/* ---- requests ---- */

static int on_pty_request(ssh_session session, ssh_channel channel, const char *term, int cols,
			  int rows, int px_width, int px_height, void *userdata)
{
	struct chan *chan = userdata;

	if (chan->state != CHAN_SETUP || chan->want_pty)
		return -1;
	if (!term_is_valid(term)) {
		chan_log(LOG_LEVEL_INFO, chan, "pty-req rejected: invalid TERM");
		return -1;
	}
	snprintf(chan->term, sizeof(chan->term), "%s", term);
	chan->cols = clamp_size(cols);
	chan->rows = clamp_size(rows);
	chan->want_pty = true;
	return 0;
}

static int on_window_change(ssh_session session, ssh_channel channel, int cols, int rows,
			    int px_width, int px_height, void *userdata)
{
	struct chan *chan = userdata;

	if (!chan->want_pty)
		return -1;
	chan->cols = clamp_size(cols);
	chan->rows = clamp_size(rows);
	if (chan->pty_watch)
		bridge_set_winsize(chan);
	else
		chan->winsize_pending = true;
	return 0;
}

/* Values are not logged: a client may pass a secret in one. */
static int on_env_request(ssh_session session, ssh_channel channel, const char *name,
			  const char *value, void *userdata)
{
	struct chan *chan = userdata;
	size_t name_len = strlen(name);
	const char *reason;
	char *entry;

	if (chan->state != CHAN_SETUP) {
		log_rejection(chan, "env request", name, "session already started");
		return 1;
	}
	reason = envcheck_variable(chan->conn->srv->cfg, name, value);
	if (reason) {
		log_rejection(chan, "env request", name, reason);
		return 1;
	}
	if (asprintf(&entry, "%s=%s", name, value) < 0)
		return 1;

	/* A repeated name replaces the earlier value. */
	for (size_t i = 0; i < chan->env_count; i++) {
		if (strncmp(chan->env[i], entry, name_len + 1) == 0) {
			chan->env_bytes -= strlen(chan->env[i]);
			free(chan->env[i]);
			chan->env[i] = entry;
			chan->env_bytes += strlen(entry);
			return 0;
		}
	}
	if (chan->env_count == PROTO_ENV_MAX || chan->env_bytes + strlen(entry) > ENV_TOTAL_MAX) {
		log_rejection(chan, "env request", name, "environment limit reached");
		free(entry);
		return 1;
	}
	chan->env[chan->env_count++] = entry;
	chan->env_bytes += strlen(entry);
	return 0;
}

/* With a PTY the terminal type comes from pty-req only. spawn.c ignores an
 * env TERM then too; dropping it here keeps it out of the request. */
static void drop_env_term(struct chan *chan)
{
	for (size_t i = 0; i < chan->env_count; i++) {
		if (strncmp(chan->env[i], "TERM=", 5) != 0)
			continue;
		chan_log(LOG_LEVEL_DEBUG, chan, "env TERM ignored: pty-req sets TERM");
		chan->env_bytes -= strlen(chan->env[i]);
		free(chan->env[i]);
		chan->env[i] = chan->env[--chan->env_count];
		return;
	}
}

/* Asks the monitor for the session: the login shell when command is
 * NULL, otherwise "shell -c command". */
static int start_session(struct chan *chan, const char *command)
{
	struct server *srv = chan->conn->srv;

	if (chan->state != CHAN_SETUP || srv->stopping)
		return 1;
	if (command) {
		chan->command = strdup(command);
		if (!chan->command)
			return 1;
		chan->is_exec = true;
	}
	if (chan->want_pty)
		drop_env_term(chan);
	chan->request_id = srv->next_request_id++;
	if (srv->next_request_id == 0)
		srv->next_request_id = 1;
	chan->start_ms = util_now_ms();
	/* TODO: OPENED has no timeout. If the monitor never sends it, the
	 * channel stays open until the client disconnects. */
	chan->state = CHAN_STARTING;

	if (monitor_send_session_open(srv, chan) < 0) {
		chan->state = CHAN_SETUP;
		return 1;
	}
	chan_log(LOG_LEVEL_DEBUG, chan, "%s requested (request %u, pty %s)", chan_kind(chan),
		 chan->request_id, chan->want_pty ? "yes" : "no");
	return 0;
}

static int on_shell_request(ssh_session session, ssh_channel channel, void *userdata)
{
	return start_session(userdata, NULL);
}

static int on_exec_request(ssh_session session, ssh_channel channel, const char *command,
			   void *userdata)
{
	struct chan *chan = userdata;
	size_t len = strlen(command);

	/* An empty command would mean the login shell to the monitor. */
	if (len == 0 || len >= PROTO_COMMAND_MAX) {
		chan_log(LOG_LEVEL_INFO, chan, "exec rejected: command length %zu", len);
		return 1;
	}
	return start_session(chan, command);
}

/* Builds "exec 'path'" for the shell, with each ' in path written as '\''. */
static char *exec_command_for(const char *path)
{
	size_t len = strlen("exec ''") + 1;
	char *command, *out;

	for (const char *p = path; *p; p++)
		len += *p == '\'' ? 4 : 1;
	command = malloc(len);
	if (!command)
		return NULL;
	out = command + sprintf(command, "exec '");
	for (const char *p = path; *p; p++) {
		if (*p == '\'') {
			memcpy(out, "'\\''", 4);
			out += 4;
		} else {
			*out++ = *p;
		}
	}
	strcpy(out, "'");
	return command;
}

/* Only "sftp" exists. It runs SftpServer inside the user's sandbox as the
 * login user, through the login shell as sshd runs subsystems, so file
 * transfer reaches exactly the files a shell session can. */
static int on_subsystem_request(ssh_session session, ssh_channel channel, const char *subsystem,
				void *userdata)
{
	struct chan *chan = userdata;
	char *command;
	int rc;

	if (strcmp(subsystem, "sftp") != 0) {
		char name[PROTO_NAME_MAX];

		sanitize_name(name, sizeof(name), subsystem);
		requests_audit_rejected(chan->conn, "subsystem", name, "only sftp is offered");
		return 1;
	}
	if (chan->state != CHAN_SETUP)
		return 1;
	command = exec_command_for(chan->conn->srv->cfg->sftp_server);
	if (!command || strlen(command) >= PROTO_COMMAND_MAX) {
		free(command);
		chan_log(LOG_LEVEL_ERROR, chan, "building the sftp command failed");
		return 1;
	}
	snprintf(chan->subsystem, sizeof(chan->subsystem), "%s", subsystem);
	rc = start_session(chan, command);
	free(command);
	if (rc != 0)
		chan->subsystem[0] = '\0';
	return rc;
}

/* Unknown names are only logged. A signal request expects no reply, and
 * RFC 4254 section 6.9 lets a server ignore signals it does not support. */
static void on_signal(ssh_session session, ssh_channel channel, const char *name, void *userdata)
{
	struct chan *chan = userdata;

	for (size_t i = 0; i < ARRAY_SIZE(client_signals); i++) {
		if (strcmp(name, client_signals[i].name) != 0)
			continue;
		if (chan->state != CHAN_RUNNING || chan->exited) {
			log_rejection(chan, "signal request", name, "no running session");
			return;
		}
		chan_log(LOG_LEVEL_INFO, chan, "signal %s requested by the client", name);
		monitor_send_session_signal(chan->conn->srv, chan->session_id,
					    client_signals[i].signo);
		return;
	}
	log_rejection(chan, "signal request", name, "not INT, TERM, HUP, KILL, USR1, USR2 or QUIT");
}

/* ---- data, eof, close ---- */

static int on_data(ssh_session session, ssh_channel channel, void *data, uint32_t len,
		   int is_stderr, void *userdata)
{
	struct chan *chan = userdata;

	/* Extended data from the client has no meaning for a session, and
	 * libssh 0.10.6 still delivers DATA that arrives after CLOSE. */
	if (is_stderr || chan->client_closed)
		return (int)len;
	/* Only bytes for a running program count as session data. */
	if (len > 0 && chan->state == CHAN_RUNNING)
		liveness_note_data(chan->conn);
	return bridge_on_client_data(chan, data, len);
}

static void on_eof(ssh_session session, ssh_channel channel, void *userdata)
{
	struct chan *chan = userdata;

	chan->client_eof = true;
	mark_dirty(chan);
}

static void on_close(ssh_session session, ssh_channel channel, void *userdata)
{
	struct chan *chan = userdata;

	chan->client_closed = true;
	mark_dirty(chan);
}

/* ---- lifetime ---- */

const char *chan_kind(const struct chan *chan)
{
	if (chan->subsystem[0])
		return "subsystem";
	return chan->is_exec ? "exec" : "shell";
}

static void setup_callbacks(struct chan *chan)
{
	struct ssh_channel_callbacks_struct *cb = &chan->cb;

	memset(cb, 0, sizeof(*cb));
	cb->userdata = chan;
	cb->channel_data_function = on_data;
	cb->channel_eof_function = on_eof;
	cb->channel_close_function = on_close;
	cb->channel_signal_function = on_signal;
	cb->channel_pty_request_function = on_pty_request;
	cb->channel_shell_request_function = on_shell_request;
	cb->channel_pty_window_change_function = on_window_change;
	cb->channel_exec_request_function = on_exec_request;
	cb->channel_env_request_function = on_env_request;
	cb->channel_subsystem_request_function = on_subsystem_request;
	ssh_callbacks_init(cb);
}

/* Called from libssh's channel-open callback: the channel callbacks must be
 * set before returning, so libssh confirms the open with them in place. */
ssh_channel chan_open(struct conn *conn)
{
	unsigned max_sessions = conn->srv->cfg->max_sessions;
	struct chan *chan;

	if (conn->state != CONN_OPEN || conn->want_close || conn->srv->stopping)
		return NULL;
	if (max_sessions && conn->chan_count >= max_sessions) {
		conn_log(LOG_LEVEL_INFO, conn, "session channel rejected: MaxSessions %u reached",
			 max_sessions);
		return NULL;
	}

	chan = calloc(1, sizeof(*chan));
	if (!chan)
		return NULL;
	chan->conn = conn;
	chan->state = CHAN_SETUP;
	chan->out.is_stderr = false;
	chan->err.is_stderr = true;
	chan->channel = ssh_channel_new(conn->session);
	if (!chan->channel) {
		free(chan);
		return NULL;
	}
	setup_callbacks(chan);
	if (ssh_set_channel_callbacks(chan->channel, &chan->cb) != SSH_OK) {
		ssh_channel_free(chan->channel);
		free(chan);
		return NULL;
	}
	LIST_INSERT_HEAD(&conn->chans, chan, link);
	conn->chan_count++;
	/* Opening a channel is not use for IdleTimeout: a client could
	 * otherwise hold an idle connection by opening and closing empty
	 * channels. A session that starts is (bridge_on_opened). */
	return chan->channel;
}

static void chan_release(struct chan *chan)
{
	bridge_close_fds(chan);
	free(chan->command);
	for (size_t i = 0; i < chan->env_count; i++)
		free(chan->env[i]);
	LIST_REMOVE(chan, link);
	chan->conn->chan_count--;
	free(chan);
}

/* Frees a channel whose CLOSE is queued (or that the client closed).
 * libssh 0.10.6 keeps the callbacks of a freed channel and would still
 * call them, so they are removed first. */
void chan_free(struct chan *chan)
{
	ssh_remove_channel_callbacks(chan->channel, &chan->cb);
	ssh_channel_free(chan->channel);
	chan_release(chan);
}

/* Ends a channel because its connection is going away. The libssh channel
 * is left to ssh_disconnect/ssh_free, which free every channel. */
void chan_abort(struct chan *chan, const char *reason)
{
	struct server *srv = chan->conn->srv;

	ssh_remove_channel_callbacks(chan->channel, &chan->cb);
	/* A session still starting is ended when its OPENED arrives. */
	if (chan->state >= CHAN_RUNNING && chan->session_id && !chan->exited)
		monitor_send_session_close(srv, chan->session_id);
	if (chan->session_id)
		bridge_audit_end(chan, reason);
	chan_release(chan);
}

static struct chan *find_chan(struct server *srv, bool by_request, uint32_t id)
{
	struct conn *conn;
	struct chan *chan;

	/* NOTE: a linear scan over all channels; fine for hundreds of
	 * sessions, a hash table is due before thousands. */
	LIST_FOREACH(conn, &srv->conns, link)
	{
		LIST_FOREACH(chan, &conn->chans, link)
		{
			if (by_request && chan->state == CHAN_STARTING && chan->request_id == id)
				return chan;
			if (!by_request && chan->session_id == id && chan->state >= CHAN_RUNNING)
				return chan;
		}
	}
	return NULL;
}

struct chan *chan_find_request(struct server *srv, uint32_t request_id)
{
	return find_chan(srv, true, request_id);
}

struct chan *chan_find_session(struct server *srv, uint32_t session_id)
{
	return session_id ? find_chan(srv, false, session_id) : NULL;
}
