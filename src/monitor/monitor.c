/* The monitor: a single-threaded poll() loop, root, no network.
 *
 * It serves two links from the network process (a synchronous one for key
 * checks, an asynchronous one for sessions), one control link per running
 * sandbox, and a signalfd. Every request from the network process is
 * checked again here, because that process parses untrusted bytes. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rexec/audit.h"
#include "rexec/cgroup.h"
#include "rexec/envcheck.h"
#include "rexec/home.h"
#include "rexec/log.h"
#include "rexec/monitor.h"
#include "rexec/privdrop.h"
#include "rexec/proctitle.h"
#include "rexec/proto.h"
#include "rexec/sandbox.h"
#include "rexec/server.h"
#include "rexec/store.h"
#include "rexec/username.h"
#include "rexec/util.h"
#include "netpeer.h"

/* How long a failed network process waits before it is started again, so a
 * process that dies at once cannot make the monitor spin. */
#define NET_RESTART_DELAY_MS 1000

/* How often the OOM and pids.max counters of every sandbox are read, in
 * addition to each session end and each sandbox end. */
#define LIMIT_CHECK_INTERVAL_MS 5000

enum session_state {
	SESSION_SPAWNING, /* PROTO_SPAWN sent, waiting for PROTO_SPAWNED */
	SESSION_RUNNING,
	SESSION_ENDED,    /* exited or closed; kept only until unlinked */
};

struct mon_session {
	uint32_t id;
	uint32_t request_id;   /* the network process's id for the open request */
	bool want_pty;
	enum session_state state;
	struct mon_sandbox *box;
	struct mon_session *next;
};

/* A running sandbox and the monitor's bookkeeping for it. */
struct mon_sandbox {
	struct sandbox *sb;
	const char *tier;            /* name, in the monitor's configuration */
	struct cgroup_events audited; /* counters already in the audit log */
	unsigned live_sessions;
	unsigned long long linger_deadline_ms; /* 0: not lingering */
	struct mon_sandbox *next;
};

struct monitor {
	const struct monitor_params *params;
	const struct config *cfg;
	struct store store;
	struct cgroup_manager *cgroups;
	enum home_quota home_quota;
	unsigned long long next_limit_check_ms;
	int signal_fd;
	pid_t net_pid;
	int net_fd;       /* async link */
	int net_key_fd;   /* sync link */
	unsigned long long net_restart_ms;
	struct netpeer net_peer; /* what the running network process was granted */
	struct mon_sandbox *boxes;
	struct mon_session *sessions;
	uint32_t next_session_id;
	bool stopping;
};

/* ---- sessions and sandboxes ------------------------------------------ */

static struct mon_session *session_find(struct monitor *m, uint32_t id)
{
	for (struct mon_session *s = m->sessions; s; s = s->next) {
		if (s->id == id)
			return s;
	}
	return NULL;
}

/* Returns the session still waiting for its spawn under this request id. */
static struct mon_session *session_find_pending(struct monitor *m, uint32_t request_id)
{
	for (struct mon_session *s = m->sessions; s; s = s->next) {
		if (s->state == SESSION_SPAWNING && s->request_id == request_id)
			return s;
	}
	return NULL;
}

static uint32_t session_new_id(struct monitor *m)
{
	do {
		m->next_session_id++;
	} while (m->next_session_id == 0 || session_find(m, m->next_session_id));
	return m->next_session_id;
}

static void session_unlink(struct monitor *m, struct mon_session *gone)
{
	for (struct mon_session **p = &m->sessions; *p; p = &(*p)->next) {
		if (*p == gone) {
			*p = gone->next;
			free(gone);
			return;
		}
	}
}

static struct mon_sandbox *box_find(struct monitor *m, const char *user)
{
	for (struct mon_sandbox *b = m->boxes; b; b = b->next) {
		if (strcmp(b->sb->user, user) == 0)
			return b;
	}
	return NULL;
}

static void log_limit_hit(const struct mon_sandbox *box, const char *what, uint64_t audited,
			  uint64_t now)
{
	log_warn("sandbox user=%s tier=%s: %s (%llu new, %llu in total)", box->sb->user,
		 box->tier, what, (unsigned long long)(now - audited), (unsigned long long)now);
}

/* Audits OOM kills and pids.max hits since the last check: events
 * "oom_kill" (with how often memory use reached the limit, for context)
 * and "pids_limit", each with the user, tier, new count and total. */
static void box_check_limits(struct mon_sandbox *box)
{
	const struct cgroup_events *seen = &box->audited;
	struct cgroup_events now;
	int r = cgroup_read_events(box->sb->cgroup, &now);

	if (r < 0) {
		log_warn("cannot read the cgroup counters of user=%s: %s", box->sb->user,
			 strerror(-r));
		return;
	}

	if (now.oom_kills > seen->oom_kills) {
		log_limit_hit(box, "the OOM killer ended processes", seen->oom_kills,
			      now.oom_kills);
		audit_event("oom_kill", AUDIT_STR, "user", box->sb->user, AUDIT_STR, "tier",
			    box->tier, AUDIT_INT, "count",
			    (long long)(now.oom_kills - seen->oom_kills), AUDIT_INT, "total",
			    (long long)now.oom_kills, AUDIT_INT, "memory_max_hits",
			    (long long)now.memory_max_hits, AUDIT_END);
	}
	if (now.pids_max_hits > seen->pids_max_hits) {
		log_limit_hit(box, "forks failed at the pids limit", seen->pids_max_hits,
			      now.pids_max_hits);
		audit_event("pids_limit", AUDIT_STR, "user", box->sb->user, AUDIT_STR, "tier",
			    box->tier, AUDIT_INT, "count",
			    (long long)(now.pids_max_hits - seen->pids_max_hits), AUDIT_INT,
			    "total", (long long)now.pids_max_hits, AUDIT_END);
	}
	box->audited = now;
}

/* Ends the sandbox and frees the records of every session in it. */
static void box_destroy(struct monitor *m, struct mon_sandbox *box)
{
	struct mon_session **p = &m->sessions;

	box_check_limits(box);

	while (*p) {
		if ((*p)->box == box) {
			struct mon_session *gone = *p;

			*p = gone->next;
			free(gone);
		} else {
			p = &(*p)->next;
		}
	}
	for (struct mon_sandbox **q = &m->boxes; *q; q = &(*q)->next) {
		if (*q == box) {
			*q = box->next;
			break;
		}
	}
	sandbox_destroy(box->sb);
	free(box);
}

static void send_to_net(struct monitor *m, struct proto_msg *msg)
{
	int r;

	if (m->net_fd < 0)
		return;
	r = proto_send(m->net_fd, msg);
	if (r < 0)
		log_error("cannot send %s to the network process: %s",
			  proto_type_name(msg->type), strerror(-r));
}

static void send_opened_error(struct monitor *m, uint32_t request_id, int error,
			      const char *message)
{
	struct proto_msg reply;

	proto_msg_init(&reply, PROTO_SESSION_OPENED);
	reply.request_id = request_id;
	reply.error = error > 0 ? error : EIO;
	reply.message = (char *)message;
	send_to_net(m, &reply);
}

/* Counts one session of box as ended; an empty sandbox ends now or after
 * the configured linger. */
static void box_session_ended(struct monitor *m, struct mon_session *s)
{
	struct mon_sandbox *box = s->box;
	bool was_live = s->state != SESSION_ENDED;

	s->state = SESSION_ENDED;
	session_unlink(m, s);
	if (!was_live || --box->live_sessions > 0)
		return;
	if (m->cfg->linger_s == 0) {
		box_destroy(m, box);
		return;
	}
	box->linger_deadline_ms = util_now_ms() + (unsigned long long)m->cfg->linger_s * 1000;
	log_debug("sandbox idle user=%s, ending in %u s", box->sb->user, m->cfg->linger_s);
}

/* Returns the user's tier; a tier the configuration no longer defines
 * falls back to DefaultTier, so the user can still log in. */
static const struct config_tier *user_tier(struct monitor *m, const struct store_user *user)
{
	const char *name = user->tier[0] ? user->tier : m->cfg->default_tier;
	const struct config_tier *tier = config_find_tier(m->cfg, name);

	if (tier)
		return tier;
	log_warn("tier %s of user=%s is not defined in the configuration; using DefaultTier %s",
		 name, user->name, m->cfg->default_tier);
	return config_find_tier(m->cfg, m->cfg->default_tier);
}

/* Returns the user's running sandbox or starts one in the user's tier. */
static struct mon_sandbox *box_get(struct monitor *m, const struct store_user *user, char *err,
				   size_t err_len)
{
	struct mon_sandbox *box = box_find(m, user->name);
	const struct config_tier *tier;
	cleanup_free char *home = NULL;
	struct sandbox_params params;
	int r;

	if (box)
		return box;

	tier = user_tier(m, user);
	home = store_home_path(&m->store, user->name);
	if (!home || !tier) {
		snprintf(err, err_len, home ? "no tier for user %s" : "out of memory", user->name);
		return NULL;
	}
	params = (struct sandbox_params){
		.user = user->name,
		.uid_base = user->uid_base,
		.uid_count = m->cfg->uid_count,
		.home_dir = home,
		.home_max_bytes = tier->home_max_bytes,
		.home_quota = m->home_quota,
		.hostname = m->cfg->sandbox_hostname,
		.shell = m->cfg->shell,
		.limits =
			{
				.memory_max_bytes = tier->memory_max_bytes,
				.pids_max = tier->pids_max,
				.cpu_max_percent = tier->cpu_max_percent,
			},
		.egress = tier->network == CONFIG_NETWORK_EGRESS,
		.seccomp = m->params->seccomp,
	};

	box = calloc(1, sizeof(*box));
	if (!box) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	r = sandbox_create(&params, m->cgroups, &box->sb, err, err_len);
	if (r < 0) {
		free(box);
		return NULL;
	}
	box->tier = tier->name;
	log_info("sandbox user=%s tier=%s memory=%llu cpu=%u%% pids=%u home=%llu network=%s",
		 user->name, tier->name, (unsigned long long)tier->memory_max_bytes,
		 tier->cpu_max_percent, tier->pids_max, (unsigned long long)tier->home_max_bytes,
		 config_network_name(tier->network));
	box->next = m->boxes;
	m->boxes = box;
	return box;
}

/* ---- requests from the network process --------------------------------- */

static bool term_is_valid(const char *term)
{
	for (const char *p = term; *p; p++) {
		if (!(*p == '-' || *p == '_' || *p == '.' || *p == '+' || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return false;
	}
	return true;
}

static void handle_key_check(struct monitor *m, struct proto_msg *req)
{
	struct proto_msg reply;
	struct store_user user;
	int r;

	proto_msg_init(&reply, PROTO_KEY_RESULT);
	reply.status = PROTO_KEY_DENIED;
	if (req->type != PROTO_KEY_CHECK) {
		log_warn("unexpected %s on the key link, denying", proto_type_name(req->type));
	} else if (!username_is_valid(req->user) ||
		   store_user_get(&m->store, req->user, &user) == -ENOENT) {
		reply.status = PROTO_KEY_UNKNOWN_USER;
	} else {
		r = store_key_allowed(&m->store, req->user, req->key_type, req->blob,
				      req->blob_len);
		if (r < 0)
			log_error("cannot check keys user=%s: %s", req->user, strerror(-r));
		if (r == 1) {
			r = netpeer_allow_user(&m->net_peer, req->user);
			if (r == 0)
				reply.status = PROTO_KEY_ALLOWED;
			else
				log_error("cannot record the key check user=%s: %s", req->user,
					  strerror(-r));
		}
	}

	r = proto_send(m->net_key_fd, &reply);
	if (r < 0)
		log_error("cannot send a key check result: %s", strerror(-r));
}

static int check_open_request(struct monitor *m, const struct proto_msg *req,
			      struct store_user *user, char *err, size_t err_len)
{
	int r;

	if (!username_is_valid(req->user)) {
		snprintf(err, err_len, "invalid user name");
		return -EINVAL;
	}
	r = store_user_get(&m->store, req->user, user);
	if (r < 0) {
		snprintf(err, err_len, "user %s not found", req->user);
		return r;
	}
	/* Identity comes only from a key the monitor allowed for this user
	 * on this network process's key link. */
	if (!netpeer_user_allowed(&m->net_peer, req->user)) {
		snprintf(err, err_len, "no key of user %s was allowed", req->user);
		return -EPERM;
	}
	if (req->want_pty ? !term_is_valid(req->term) : req->term[0] != '\0') {
		snprintf(err, err_len, "invalid terminal type");
		return -EINVAL;
	}
	/* The network process filters env requests too, but its check is
	 * not trusted. */
	for (size_t i = 0; i < req->env_count; i++) {
		const char *reason = envcheck_entry(m->cfg, req->env[i]);

		if (reason) {
			snprintf(err, err_len, "environment entry %zu rejected: %s", i, reason);
			return -EPERM;
		}
	}
	return 0;
}

static void handle_session_open(struct monitor *m, struct proto_msg *req)
{
	char err[SANDBOX_ERROR_MAX] = "";
	struct store_user user;
	struct mon_sandbox *box;
	struct mon_session *s;
	struct proto_msg spawn;
	int r;

	/* A second request under a pending id would make the replies
	 * ambiguous, and the network process never sends one. */
	if (session_find_pending(m, req->request_id)) {
		log_warn("session request=%u user=%s is already pending, ignored", req->request_id,
			 req->user);
		return;
	}
	r = check_open_request(m, req, &user, err, sizeof(err));
	if (r < 0) {
		log_warn("session request rejected user=%s: %s", req->user, err);
		send_opened_error(m, req->request_id, -r, err);
		return;
	}

	box = box_get(m, &user, err, sizeof(err));
	if (!box) {
		log_error("cannot start sandbox user=%s: %s", user.name, err);
		send_opened_error(m, req->request_id, EIO, err);
		return;
	}

	s = calloc(1, sizeof(*s));
	if (!s) {
		send_opened_error(m, req->request_id, ENOMEM, "out of memory");
		return;
	}
	s->id = session_new_id(m);
	s->request_id = req->request_id;
	s->want_pty = req->want_pty;
	s->state = SESSION_SPAWNING;
	s->box = box;
	s->next = m->sessions;
	m->sessions = s;
	box->live_sessions++;
	box->linger_deadline_ms = 0;

	/* The request's session fields pass to init unchanged. */
	spawn = *req;
	spawn.type = PROTO_SPAWN;
	spawn.session_id = s->id;
	r = proto_send(box->sb->control_fd, &spawn);
	if (r < 0) {
		log_error("cannot send spawn to sandbox user=%s session=%08x: %s", user.name,
			  s->id, strerror(-r));
		send_opened_error(m, req->request_id, -r, "sandbox not responding");
		box_session_ended(m, s);
	}
}

static void send_kill(struct monitor *m, struct mon_session *s, int signo)
{
	struct proto_msg kill_msg;
	int r;

	proto_msg_init(&kill_msg, PROTO_KILL);
	kill_msg.session_id = s->id;
	kill_msg.status = signo;
	r = proto_send(s->box->sb->control_fd, &kill_msg);
	if (r < 0)
		log_warn("cannot signal session=%08x: %s", s->id, strerror(-r));
}

static void handle_session_signal(struct monitor *m, const struct proto_msg *req)
{
	static const int allowed[] = {SIGINT, SIGTERM, SIGHUP, SIGKILL, SIGUSR1, SIGUSR2, SIGQUIT};
	struct mon_session *s = session_find(m, req->session_id);

	if (!s || s->state != SESSION_RUNNING) {
		log_debug("signal for unknown session=%08x ignored", req->session_id);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
		if (req->status == allowed[i]) {
			send_kill(m, s, req->status);
			return;
		}
	}
	log_warn("signal %d for session=%08x not allowed", req->status, s->id);
}

static void handle_session_close(struct monitor *m, const struct proto_msg *req)
{
	struct mon_session *s = session_find(m, req->session_id);

	/* A session that exited or was closed is forgotten, so a late or
	 * repeated close finds nothing. The network process learns a session
	 * id only from SESSION_OPENED, so it cannot close one still starting. */
	if (!s || s->state != SESSION_RUNNING) {
		log_debug("close for %s session=%08x ignored", s ? "starting" : "unknown",
			  req->session_id);
		return;
	}
	/* The client is gone: hang the session up as a closed terminal would. */
	send_kill(m, s, SIGHUP);
	log_debug("session closed by the client session=%08x", s->id);
	box_session_ended(m, s);
}

static void handle_net_message(struct monitor *m, struct proto_msg *req)
{
	switch (req->type) {
	case PROTO_SESSION_OPEN:
		handle_session_open(m, req);
		break;
	case PROTO_SESSION_SIGNAL:
		handle_session_signal(m, req);
		break;
	case PROTO_SESSION_CLOSE:
		handle_session_close(m, req);
		break;
	default:
		log_warn("unexpected %s from the network process, ignored",
			 proto_type_name(req->type));
		break;
	}
}

/* ---- messages from sandboxes ----------------------------------------- */

static void handle_spawned(struct monitor *m, struct mon_sandbox *box, struct proto_msg *msg)
{
	struct mon_session *s = session_find(m, msg->session_id);
	struct proto_msg reply;

	if (!s || s->box != box || s->state != SESSION_SPAWNING || s->want_pty != msg->want_pty) {
		log_warn("unexpected spawn result session=%08x user=%s, ignored", msg->session_id,
			 box->sb->user);
		return;
	}

	if (msg->error) {
		log_error("cannot start session=%08x user=%s: %s", s->id, box->sb->user,
			  msg->message);
		send_opened_error(m, s->request_id, msg->error, msg->message);
		box_session_ended(m, s);
		return;
	}

	s->state = SESSION_RUNNING;
	log_info("session started session=%08x user=%s pid=%d", s->id, box->sb->user,
		 (int)msg->pid);
	proto_msg_init(&reply, PROTO_SESSION_OPENED);
	reply.request_id = s->request_id;
	reply.session_id = s->id;
	reply.want_pty = s->want_pty;
	reply.message = (char *)"";
	memcpy(reply.fds, msg->fds, sizeof(reply.fds));
	send_to_net(m, &reply);
	/* The fds went out with the datagram; msg still owns and closes ours. */
}

static void handle_exited(struct monitor *m, struct mon_sandbox *box, const struct proto_msg *msg)
{
	struct mon_session *s = session_find(m, msg->session_id);
	struct proto_msg reply;

	if (!s || s->box != box) {
		log_debug("exit of unknown session=%08x user=%s", msg->session_id, box->sb->user);
		return;
	}
	log_info("session exited session=%08x user=%s status=0x%x", s->id, box->sb->user,
		 (unsigned)msg->status);
	box_check_limits(box);
	proto_msg_init(&reply, PROTO_SESSION_EXITED);
	reply.session_id = s->id;
	reply.status = msg->status;
	send_to_net(m, &reply);
	box_session_ended(m, s);
}

/* Tells the network process that every session of a dead sandbox ended. */
static void box_lost(struct monitor *m, struct mon_sandbox *box)
{
	for (struct mon_session *s = m->sessions; s; s = s->next) {
		struct proto_msg msg;

		if (s->box != box)
			continue;
		if (s->state == SESSION_SPAWNING) {
			send_opened_error(m, s->request_id, EIO, "sandbox ended unexpectedly");
			continue;
		}
		proto_msg_init(&msg, PROTO_SESSION_EXITED);
		msg.session_id = s->id;
		msg.status = SIGKILL; /* a wait status: killed by SIGKILL */
		send_to_net(m, &msg);
	}
	box_destroy(m, box);
}

static void handle_box_readable(struct monitor *m, struct mon_sandbox *box)
{
	struct proto_msg msg;
	int r = proto_recv(box->sb->control_fd, &msg);

	if (r == -EAGAIN)
		return;
	if (r < 0) {
		log_error("sandbox user=%s pid=%d: control link lost: %s", box->sb->user,
			  (int)box->sb->init_pid, strerror(-r));
		box_lost(m, box);
		return;
	}

	switch (msg.type) {
	case PROTO_SPAWNED:
		handle_spawned(m, box, &msg);
		break;
	case PROTO_EXITED:
		handle_exited(m, box, &msg);
		break;
	default:
		log_warn("unexpected %s from sandbox user=%s", proto_type_name(msg.type),
			 box->sb->user);
		break;
	}
	proto_msg_free(&msg);
}

/* ---- the network process --------------------------------------------- */

static void net_close_links(struct monitor *m)
{
	if (m->net_fd >= 0)
		close(m->net_fd);
	if (m->net_key_fd >= 0)
		close(m->net_key_fd);
	m->net_fd = -1;
	m->net_key_fd = -1;
}

static void __attribute__((noreturn)) net_child_main(struct monitor *m, int fd, int key_fd,
						     const sigset_t *old_mask)
{
	struct server_params params = {
		.cfg = m->cfg,
		.listen_fds = m->params->listen_fds,
		.listen_count = m->params->listen_count,
		.monitor_fd = fd,
		.monitor_key_fd = key_fd,
		.privdrop = m->params->privdrop,
	};
	cleanup_free char *host_key = config_host_key_path(m->cfg);
	int r;

	params.host_key_path = host_key;
	proctitle_set("rexecd: network");
	close(m->signal_fd);
	for (struct mon_sandbox *b = m->boxes; b; b = b->next)
		close(b->sb->control_fd);
	sigprocmask(SIG_SETMASK, old_mask, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_IGN); /* the monitor decides; it sends SIGTERM */
	r = params.privdrop ? privdrop_watch_parent(params.privdrop->monitor_pid) : 0;
	if (r == 0)
		r = privdrop_close_inherited_fds(&params);
	if (r < 0) {
		log_error("network process pid=%d: setup failed: %s", (int)getpid(), strerror(-r));
		_exit(1);
	}
	_exit(server_run(&params));
}

static int net_start(struct monitor *m, const sigset_t *old_mask)
{
	int links[2][2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, links[0]) < 0)
		return -errno;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, links[1]) < 0) {
		int r = -errno;

		close(links[0][0]);
		close(links[0][1]);
		return r;
	}

	pid = fork();
	if (pid < 0) {
		int r = -errno;

		for (int i = 0; i < 2; i++) {
			close(links[i][0]);
			close(links[i][1]);
		}
		return r;
	}
	if (pid == 0) {
		close(links[0][0]);
		close(links[1][0]);
		net_child_main(m, links[0][1], links[1][1], old_mask);
	}

	close(links[0][1]);
	close(links[1][1]);
	netpeer_reset(&m->net_peer);
	m->net_pid = pid;
	m->net_fd = links[0][0];
	m->net_key_fd = links[1][0];
	util_set_nonblocking(m->net_fd, true);
	log_info("network process started pid=%d", (int)pid);
	return 0;
}

/* The network process died: its connections are gone, so every session
 * ends with it. A new one is started after NET_RESTART_DELAY_MS. */
static void net_lost(struct monitor *m, int status)
{
	if (WIFEXITED(status))
		log_error("network process pid=%d exited with status %d", (int)m->net_pid,
			  WEXITSTATUS(status));
	else if (WTERMSIG(status) == SIGSYS)
		log_error("network process pid=%d killed by its seccomp filter (SIGSYS): the "
			  "kernel's audit log names the system call",
			  (int)m->net_pid);
	else
		log_error("network process pid=%d killed by signal %d", (int)m->net_pid,
			  WTERMSIG(status));
	m->net_pid = -1;
	net_close_links(m);
	while (m->boxes)
		box_destroy(m, m->boxes);
	if (!m->stopping)
		m->net_restart_ms = util_now_ms() + NET_RESTART_DELAY_MS;
}

static void reap_net(struct monitor *m)
{
	int status;
	pid_t pid;

	if (m->net_pid <= 0)
		return;
	pid = waitpid(m->net_pid, &status, WNOHANG);
	if (pid == m->net_pid)
		net_lost(m, status);
}

static void handle_signal(struct monitor *m)
{
	struct signalfd_siginfo info;
	ssize_t n = read(m->signal_fd, &info, sizeof(info));

	if (n != (ssize_t)sizeof(info))
		return;
	switch (info.ssi_signo) {
	case SIGCHLD:
		reap_net(m);
		break;
	case SIGTERM:
	case SIGINT:
		log_info("received signal %u, stopping", info.ssi_signo);
		m->stopping = true;
		break;
	default:
		break;
	}
}

static void handle_net_readable(struct monitor *m, int fd)
{
	struct proto_msg msg;
	int r = proto_recv(fd, &msg);

	if (r == -EAGAIN)
		return;
	if (r == -EBADMSG) {
		/* Dropped: each message is its own datagram, so a malformed one
		 * cannot corrupt the next, and no single message from the
		 * network process may end every user's sessions. */
		if (netpeer_count_bad_message(&m->net_peer))
			log_warn("malformed message from the network process pid=%d dropped "
				 "(%lu so far)",
				 (int)m->net_pid, m->net_peer.bad_messages);
		return;
	}
	if (r < 0) {
		if (r != -ECONNRESET)
			log_warn("cannot receive from the network process: %s", strerror(-r));
		if (r == -ECONNRESET) {
			/* A broken link: stop talking to it. SIGCHLD then ends its
			 * sessions and restarts it. */
			if (m->net_pid > 0)
				kill(m->net_pid, SIGTERM);
			net_close_links(m);
		}
		return;
	}
	if (fd == m->net_key_fd)
		handle_key_check(m, &msg);
	else
		handle_net_message(m, &msg);
	proto_msg_free(&msg);
}

/* ---- the loop ----------------------------------------------------------- */

static int next_timeout_ms(struct monitor *m)
{
	unsigned long long now = util_now_ms(), next = 0;

	for (struct mon_sandbox *b = m->boxes; b; b = b->next) {
		if (b->linger_deadline_ms && (!next || b->linger_deadline_ms < next))
			next = b->linger_deadline_ms;
	}
	if (m->net_restart_ms && (!next || m->net_restart_ms < next))
		next = m->net_restart_ms;
	if (m->boxes && (!next || m->next_limit_check_ms < next))
		next = m->next_limit_check_ms;
	if (!next)
		return -1;
	return next <= now ? 0 : (int)(next - now);
}

static void run_timers(struct monitor *m, const sigset_t *old_mask)
{
	unsigned long long now = util_now_ms();
	struct mon_sandbox *b = m->boxes;

	while (b) {
		struct mon_sandbox *next = b->next;

		if (b->linger_deadline_ms && b->linger_deadline_ms <= now && b->live_sessions == 0)
			box_destroy(m, b);
		b = next;
	}
	if (m->next_limit_check_ms <= now) {
		for (b = m->boxes; b; b = b->next)
			box_check_limits(b);
		m->next_limit_check_ms = now + LIMIT_CHECK_INTERVAL_MS;
	}
	if (m->net_restart_ms && m->net_restart_ms <= now && m->net_pid < 0) {
		int r = net_start(m, old_mask);

		m->net_restart_ms = r < 0 ? now + NET_RESTART_DELAY_MS : 0;
		if (r < 0)
			log_error("cannot start the network process: %s", strerror(-r));
	}
}

static int poll_once(struct monitor *m, const sigset_t *old_mask)
{
	struct pollfd *fds;
	struct mon_sandbox **polled;
	size_t nfds = 0, nboxes = 0, count = 0;
	int n;

	for (struct mon_sandbox *b = m->boxes; b; b = b->next)
		count++;
	/* Every sandbox is polled in every round. NOTE: poll() scans all fds
	 * each time; with many thousands of sandboxes epoll would be cheaper. */
	fds = calloc(3 + count, sizeof(*fds));
	polled = calloc(count ? count : 1, sizeof(*polled));
	if (!fds || !polled) {
		free(fds);
		free(polled);
		return -ENOMEM;
	}
	fds[nfds++] = (struct pollfd){.fd = m->signal_fd, .events = POLLIN};
	fds[nfds++] = (struct pollfd){.fd = m->net_key_fd, .events = POLLIN};
	fds[nfds++] = (struct pollfd){.fd = m->net_fd, .events = POLLIN};
	for (struct mon_sandbox *b = m->boxes; b; b = b->next) {
		polled[nboxes++] = b;
		fds[nfds++] = (struct pollfd){.fd = b->sb->control_fd, .events = POLLIN};
	}

	n = poll(fds, nfds, next_timeout_ms(m));
	if (n < 0) {
		int r = errno == EINTR ? 0 : -errno;

		free(fds);
		free(polled);
		return r;
	}

	if (fds[0].revents)
		handle_signal(m);
	if (fds[1].revents && m->net_key_fd >= 0)
		handle_net_readable(m, m->net_key_fd);
	if (fds[2].revents && m->net_fd >= 0)
		handle_net_readable(m, m->net_fd);
	for (size_t i = 0; i < nboxes; i++) {
		/* A handler above may have ended this sandbox already. */
		bool still_there = false;

		for (struct mon_sandbox *b = m->boxes; b; b = b->next)
			still_there |= b == polled[i];
		if (still_there && fds[3 + i].revents)
			handle_box_readable(m, polled[i]);
	}
	free(fds);
	free(polled);
	run_timers(m, old_mask);
	return 0;
}

/* Probes StateDirectory/homes, which store_open created. */
static enum home_quota home_probe_quota_in(const struct store *store)
{
	cleanup_free char *homes = NULL;

	if (asprintf(&homes, "%s/homes", store->state_dir) < 0)
		return HOME_QUOTA_LOOP_IMAGE;
	return home_probe_quota(homes);
}

static int read_self_cgroup(char **text)
{
	return util_read_file("/proc/self/cgroup", 65536, text, NULL);
}

static void monitor_shutdown(struct monitor *m)
{
	if (m->net_pid > 0) {
		int status;

		kill(m->net_pid, SIGTERM);
		waitpid(m->net_pid, &status, 0);
		m->net_pid = -1;
	}
	net_close_links(m);
	netpeer_reset(&m->net_peer);
	while (m->boxes)
		box_destroy(m, m->boxes);
	if (m->cgroups)
		cgroup_manager_close(m->cgroups);
	store_close(&m->store);
	if (m->signal_fd >= 0)
		close(m->signal_fd);
}

int monitor_run(const struct monitor_params *params)
{
	struct monitor m = {
		.params = params,
		.cfg = params->cfg,
		.signal_fd = -1,
		.net_pid = -1,
		.net_fd = -1,
		.net_key_fd = -1,
	};
	cleanup_free char *self_cgroup = NULL;
	sigset_t mask, old_mask;
	int r;

	r = store_open(&m.store, m.cfg->state_dir, m.cfg->uid_base, m.cfg->uid_count);
	if (r < 0) {
		log_error("cannot open the store in %s: %s", m.cfg->state_dir, strerror(-r));
		return 1;
	}
	r = read_self_cgroup(&self_cgroup);
	if (r == 0)
		r = cgroup_manager_open("/sys/fs/cgroup", self_cgroup, m.cfg->cgroup_name, &m.cgroups);
	if (r < 0) {
		log_error("cannot set up cgroups: %s", strerror(-r));
		store_close(&m.store);
		return 1;
	}
	log_info("cgroup %s backend in use", cgroup_manager_version(m.cgroups));
	m.home_quota = home_probe_quota_in(&m.store);
	log_info("home size limits: %s", home_quota_name(m.home_quota));
	proctitle_set("rexecd: monitor");
	getrandom(&m.next_session_id, sizeof(m.next_session_id), 0);

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, &old_mask);
	signal(SIGPIPE, SIG_IGN);
	m.signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m.signal_fd < 0) {
		log_error("signalfd failed: %s", strerror(errno));
		monitor_shutdown(&m);
		return 1;
	}

	r = net_start(&m, &old_mask);
	if (r < 0) {
		log_error("cannot start the network process: %s", strerror(-r));
		monitor_shutdown(&m);
		return 1;
	}

	while (!m.stopping) {
		r = poll_once(&m, &old_mask);
		if (r < 0) {
			log_error("poll failed: %s", strerror(-r));
			break;
		}
	}
	monitor_shutdown(&m);
	log_info("stopped");
	return r < 0 ? 1 : 0;
}
