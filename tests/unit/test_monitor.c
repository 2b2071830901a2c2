/* The monitor against a hostile network process.
 *
 * Each test runs the real monitor_run in a forked child, as rexecd does,
 * with a real store, real cgroups and real sandboxes, so it needs root.
 * The monitor forks its "network process" and calls server_run() there;
 * this file defines server_run() itself, which the linker then takes in
 * place of librexec's (src/net/server.c is never linked in). That stand-in
 * passes its two monitor links to the test over the fd it gets as its only
 * "listener". The test then sends what a compromised network process
 * could: malformed, oversized, misdirected, out-of-order and replayed
 * messages. After each, the test checks that
 * nothing happened (no reply, no sandbox, no signal) and that the monitor
 * still serves valid requests. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "rexec/config.h"
#include "rexec/log.h"
#include "rexec/monitor.h"
#include "rexec/proto.h"
#include "rexec/seccomp.h"
#include "rexec/server.h"
#include "rexec/store.h"
#include "test_keys.h"

#define USER          "alice"
#define KEY_BASE64    "AAAAC3NzaC1lZDI1NTE5AAAAIGYjcvEvM6OSrgEyNGA4UiFF/wjvV6RX3sY+a9Vib5Nm"
#define REPLY_WAIT_MS 5000 /* a sandbox start takes about 15 ms */
#define QUIET_MS      300  /* how long "nothing happens" is watched */
#define HARNESS_EXIT  'x'  /* makes the stand-in network process exit */

/* ---- the stand-in network process ---- */

/* Runs in the network process that the monitor forked. */
int server_run(const struct server_params *params)
{
	int harness = params->listen_fds[0];
	int fds[2] = {params->monitor_fd, params->monitor_key_fd};
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} control;
	char byte = 'l';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control.buf,
			    .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	if (sendmsg(harness, &mh, 0) != 1)
		return 2;
	close(params->monitor_fd);
	close(params->monitor_key_fd);

	/* Stays alive, as the monitor expects, until the test sends
	 * HARNESS_EXIT or closes the harness socket. */
	while (read(harness, &byte, 1) == 1 && byte != HARNESS_EXIT)
		;
	return 0;
}

/* ---- fixture ---- */

struct fixture {
	char state_dir[64];
	struct config cfg;
	uid_t user_uid_base;
	pid_t monitor_pid;
	int harness;  /* our end of the stand-in's "listener" */
	int net_fd;   /* the async link, the network process's end */
	int key_fd;   /* the key link, the network process's end */
	uint8_t blob[128];
	size_t blob_len;
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int decode_key_blob(struct fixture *fx)
{
	int n = EVP_DecodeBlock(fx->blob, (const unsigned char *)KEY_BASE64,
				(int)strlen(KEY_BASE64));

	if (n < 0)
		return -1;
	fx->blob_len = (size_t)n; /* the base64 text has no padding */
	return 0;
}

/* Receives the two links from the current stand-in network process. */
static int receive_links(struct fixture *fx)
{
	int fds[2];
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} control;
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = control.buf,
			    .msg_controllen = sizeof(control.buf)};
	struct pollfd pfd = {.fd = fx->harness, .events = POLLIN};
	struct cmsghdr *cm;

	if (poll(&pfd, 1, REPLY_WAIT_MS) != 1 || recvmsg(fx->harness, &mh, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(fds)))
		return -1;
	memcpy(fds, CMSG_DATA(cm), sizeof(fds));
	fx->net_fd = fds[0];
	fx->key_fd = fds[1];
	return 0;
}

static void __attribute__((noreturn)) run_monitor(struct fixture *fx, int harness_child)
{
	struct sandbox_seccomp *seccomp = NULL;
	char err[SANDBOX_SECCOMP_ERROR_MAX];
	int listen_fds[1] = {harness_child};
	int r;

	log_init("test_monitor", false, LOG_LEVEL_ERROR);
	close(fx->harness);
	/* The profile of the source tree, because the test build is not
	 * installed. */
	r = sandbox_seccomp_compile(TOP_SRCDIR "/etc/seccomp.json", &seccomp, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
	r = monitor_run(&(struct monitor_params){
		.cfg = &fx->cfg,
		.config_path = "/dev/null",
		.listen_fds = listen_fds,
		.listen_count = 1,
		.seccomp = seccomp,
	});
	sandbox_seccomp_free(seccomp);
	close(harness_child);
	config_free(&fx->cfg);
	/* exit, not _exit, so LeakSanitizer checks the monitor too. */
	exit(r);
}

static int add_user(struct fixture *fx)
{
	struct store store;
	struct store_user user;
	char err[256];
	int r;

	r = store_open(&store, fx->cfg.state_dir, fx->cfg.uid_base, fx->cfg.uid_count);
	if (r < 0)
		return r;
	r = store_user_add(&store, USER, NULL, &user);
	if (r == 0)
		r = store_key_add(&store, USER, KEY_ED25519 "\n", err, sizeof(err));
	store_close(&store);
	fx->user_uid_base = user.uid_base;
	return r < 0 ? r : 0;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char name[64];
	int pair[2];

	assert_non_null(fx);
	assert_int_equal(decode_key_blob(fx), 0);
	snprintf(fx->state_dir, sizeof(fx->state_dir), "/tmp/rexec-unit-monitor.XXXXXX");
	assert_non_null(mkdtemp(fx->state_dir));
	assert_int_equal(chmod(fx->state_dir, 0755), 0);

	config_init(&fx->cfg);
	free(fx->cfg.state_dir);
	fx->cfg.state_dir = strdup(fx->state_dir);
	snprintf(name, sizeof(name), "rexec-unit-%d", (int)getpid());
	free(fx->cfg.cgroup_name);
	fx->cfg.cgroup_name = strdup(name);
	/* A range of its own, away from other test runs (see lib.sh). */
	fx->cfg.uid_base = 10000000 + (uid_t)(getpid() % 900) * 64 * 65536 + 32 * 65536;
	assert_non_null(fx->cfg.state_dir);
	assert_non_null(fx->cfg.cgroup_name);
	assert_int_equal(add_user(fx), 0);

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
	fx->harness = pair[0];
	fx->monitor_pid = fork();
	assert_true(fx->monitor_pid >= 0);
	if (fx->monitor_pid == 0)
		run_monitor(fx, pair[1]);
	close(pair[1]);
	assert_int_equal(receive_links(fx), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	int status = -1;

	kill(fx->monitor_pid, SIGTERM);
	waitpid(fx->monitor_pid, &status, 0);
	close(fx->net_fd);
	close(fx->key_fd);
	close(fx->harness);
	nftw(fx->state_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	config_free(&fx->cfg);
	free(fx);
	/* The monitor ended every sandbox and freed everything. */
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return 0;
}

/* ---- helpers ---- */

static void send_raw(int fd, const void *data, size_t len, int passed_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};

	if (passed_fd >= 0) {
		struct cmsghdr *cm;

		mh.msg_control = control.buf;
		mh.msg_controllen = sizeof(control.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &passed_fd, sizeof(int));
	}
	assert_int_equal(sendmsg(fd, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/* Receives one message within timeout_ms: 0, or -ETIMEDOUT. */
static int receive(int fd, struct proto_msg *msg, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	int r = poll(&pfd, 1, timeout_ms);

	assert_true(r >= 0);
	if (r == 0)
		return -ETIMEDOUT;
	return proto_recv(fd, msg);
}

static void assert_no_message(int fd, int timeout_ms)
{
	struct proto_msg msg;
	int r = receive(fd, &msg, timeout_ms);

	if (r == 0) {
		print_error("unexpected %s from the monitor\n", proto_type_name(msg.type));
		proto_msg_free(&msg);
	}
	assert_int_equal(r, -ETIMEDOUT);
}

/* Counts processes whose effective host uid is uid. */
static int count_processes_of(uid_t uid)
{
	char pattern[64];
	char command[160];
	FILE *p;
	int count = -1;

	snprintf(pattern, sizeof(pattern), "^Uid:[[:space:]]+[0-9]+[[:space:]]+%u[[:space:]]",
		 (unsigned)uid);
	snprintf(command, sizeof(command), "grep -sEl '%s' /proc/[0-9]*/status | wc -l", pattern);
	p = popen(command, "r");
	assert_non_null(p);
	assert_int_equal(fscanf(p, "%d", &count), 1);
	pclose(p);
	return count;
}

static int count_sandboxes(struct fixture *fx)
{
	return count_processes_of(fx->user_uid_base);
}

static int count_sessions(struct fixture *fx)
{
	return count_processes_of(fx->user_uid_base + 1000);
}

static int key_check(struct fixture *fx, const char *user, const uint8_t *blob, size_t len)
{
	struct proto_msg req, reply;
	int status;

	proto_msg_init(&req, PROTO_KEY_CHECK);
	req.user = (char *)user;
	req.key_type = "ssh-ed25519";
	req.blob = (uint8_t *)blob;
	req.blob_len = len;
	assert_int_equal(proto_send(fx->key_fd, &req), 0);
	assert_int_equal(receive(fx->key_fd, &reply, REPLY_WAIT_MS), 0);
	assert_int_equal(reply.type, PROTO_KEY_RESULT);
	status = reply.status;
	proto_msg_free(&reply);
	return status;
}

static void allow_user(struct fixture *fx)
{
	assert_int_equal(key_check(fx, USER, fx->blob, fx->blob_len), PROTO_KEY_ALLOWED);
}

static void fill_open(struct proto_msg *msg, uint32_t request_id, const char *command)
{
	proto_msg_init(msg, PROTO_SESSION_OPEN);
	msg->request_id = request_id;
	msg->user = USER;
	msg->command = (char *)command;
	msg->term = "";
}

static void send_open(struct fixture *fx, uint32_t request_id, const char *command)
{
	struct proto_msg msg;

	fill_open(&msg, request_id, command);
	assert_int_equal(proto_send(fx->net_fd, &msg), 0);
}

static void send_session_msg(struct fixture *fx, uint32_t type, uint32_t session_id, int status)
{
	struct proto_msg msg;

	proto_msg_init(&msg, type);
	msg.session_id = session_id;
	msg.status = status;
	assert_int_equal(proto_send(fx->net_fd, &msg), 0);
}

/* Waits for SESSION_OPENED for request_id and returns its session id;
 * the fds it carried are closed. */
static uint32_t expect_opened(struct fixture *fx, uint32_t request_id)
{
	struct proto_msg msg;
	uint32_t id;

	assert_int_equal(receive(fx->net_fd, &msg, REPLY_WAIT_MS), 0);
	assert_int_equal(msg.type, PROTO_SESSION_OPENED);
	assert_int_equal(msg.request_id, request_id);
	if (msg.error)
		print_error("session open failed: %s\n", msg.message);
	assert_int_equal(msg.error, 0);
	assert_int_equal(msg.nfds, 3);
	id = msg.session_id;
	proto_msg_free(&msg);
	return id;
}

static void expect_open_rejected(struct fixture *fx, uint32_t request_id)
{
	struct proto_msg msg;

	assert_int_equal(receive(fx->net_fd, &msg, REPLY_WAIT_MS), 0);
	assert_int_equal(msg.type, PROTO_SESSION_OPENED);
	assert_int_equal(msg.request_id, request_id);
	assert_int_not_equal(msg.error, 0);
	assert_int_equal(msg.session_id, 0);
	assert_int_equal(msg.nfds, 0);
	proto_msg_free(&msg);
}

static void expect_exited(struct fixture *fx, uint32_t session_id, int signo)
{
	struct proto_msg msg;

	assert_int_equal(receive(fx->net_fd, &msg, REPLY_WAIT_MS), 0);
	assert_int_equal(msg.type, PROTO_SESSION_EXITED);
	assert_int_equal(msg.session_id, session_id);
	assert_true(WIFSIGNALED(msg.status));
	assert_int_equal(WTERMSIG(msg.status), signo);
	proto_msg_free(&msg);
}

/* ---- valid requests: the controls for everything below ---- */

static void test_monitor_answers_key_checks(void **state)
{
	struct fixture *fx = *state;
	uint8_t other[sizeof(fx->blob)];

	memcpy(other, fx->blob, fx->blob_len);
	other[fx->blob_len - 1] ^= 1;
	assert_int_equal(key_check(fx, USER, fx->blob, fx->blob_len), PROTO_KEY_ALLOWED);
	assert_int_equal(key_check(fx, USER, other, fx->blob_len), PROTO_KEY_DENIED);
	assert_int_equal(key_check(fx, "bob", fx->blob, fx->blob_len), PROTO_KEY_UNKNOWN_USER);
	assert_int_equal(key_check(fx, "../alice", fx->blob, fx->blob_len),
			 PROTO_KEY_UNKNOWN_USER);
}

static void test_monitor_opens_and_signals_session(void **state)
{
	struct fixture *fx = *state;
	uint32_t id;

	allow_user(fx);
	send_open(fx, 1, "exec sleep 30");
	id = expect_opened(fx, 1);
	assert_int_equal(count_sandboxes(fx), 1);
	assert_int_equal(count_sessions(fx), 1);
	send_session_msg(fx, PROTO_SESSION_SIGNAL, id, SIGTERM);
	expect_exited(fx, id, SIGTERM);
}

/* ---- malformed and misdirected messages ---- */

static void put_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Encodes a valid SESSION_OPEN for alice into b, to be damaged. */
static void encode_open(struct buf *b)
{
	struct proto_msg msg;

	fill_open(&msg, 9, "exec sleep 30");
	buf_init(b, PROTO_MSG_MAX);
	assert_int_equal(proto_encode(&msg, b), 0);
}

static void test_monitor_drops_malformed_messages(void **state)
{
	struct fixture *fx = *state;
	static const uint8_t garbage[] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01};
	uint8_t unknown_type[4], no_fields[4], long_length[12];
	uint8_t *oversized = calloc(1, PROTO_MSG_MAX + 100);
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct buf open_msg;
	uint8_t *copy;

	allow_user(fx);
	assert_non_null(oversized);
	assert_true(devnull >= 0);
	put_u32(unknown_type, PROTO_TYPE_MAX);
	put_u32(no_fields, PROTO_SESSION_OPEN);
	put_u32(long_length, PROTO_KEY_CHECK);
	put_u32(long_length + 4, 0xfffffff0u);
	memcpy(long_length + 8, "alic", 4);
	put_u32(oversized, PROTO_SESSION_CLOSE);
	encode_open(&open_msg);
	copy = malloc(open_msg.len + 1);
	assert_non_null(copy);
	memcpy(copy, open_msg.data, open_msg.len);
	copy[open_msg.len] = 0;

	for (int link = 0; link < 2; link++) {
		int fd = link ? fx->key_fd : fx->net_fd;

		send_raw(fd, garbage, sizeof(garbage), -1);
		send_raw(fd, unknown_type, sizeof(unknown_type), -1);
		send_raw(fd, no_fields, sizeof(no_fields), -1);
		send_raw(fd, long_length, sizeof(long_length), -1);
		send_raw(fd, oversized, PROTO_MSG_MAX + 100, -1);
		send_raw(fd, copy, open_msg.len - 1, -1);   /* truncated */
		send_raw(fd, copy, open_msg.len + 1, -1);   /* a trailing byte */
		send_raw(fd, copy, open_msg.len, devnull);  /* an fd it must not carry */
		send_raw(fd, "", 1, -1);
		assert_no_message(fd, QUIET_MS);
	}

	assert_int_equal(count_sandboxes(fx), 0);
	allow_user(fx);
	/* The same request, intact, still works afterwards. */
	send_raw(fx->net_fd, copy, open_msg.len, -1);
	expect_opened(fx, 9);
	assert_int_equal(count_sandboxes(fx), 1);
	free(copy);
	buf_free(&open_msg);
	free(oversized);
	close(devnull);
}

static void test_monitor_drops_invalid_field_values(void **state)
{
	struct fixture *fx = *state;
	char long_user[PROTO_NAME_MAX + 2];
	size_t user_at = 4 + 4; /* after the type and the request id */
	struct proto_msg msg;
	struct buf b;

	allow_user(fx);
	/* A user name longer than PROTO_NAME_MAX. */
	memset(long_user, 'a', sizeof(long_user) - 1);
	long_user[sizeof(long_user) - 1] = '\0';
	fill_open(&msg, 9, "id");
	msg.user = long_user;
	buf_init(&b, PROTO_MSG_MAX);
	assert_int_equal(proto_encode(&msg, &b), 0);
	send_raw(fx->net_fd, b.data, b.len, -1);
	buf_free(&b);

	encode_open(&b);
	/* A NUL inside the user name: "al\0ce". */
	b.data[user_at + 4 + 2] = '\0';
	send_raw(fx->net_fd, b.data, b.len, -1);
	b.data[user_at + 4 + 2] = 'i';
	/* A PTY flag other than 0 or 1; the env count follows it. */
	b.data[b.len - 5] = 2;
	send_raw(fx->net_fd, b.data, b.len, -1);
	assert_no_message(fx->net_fd, QUIET_MS);
	assert_int_equal(count_sandboxes(fx), 0);

	b.data[b.len - 5] = 0;
	send_raw(fx->net_fd, b.data, b.len, -1);
	expect_opened(fx, 9);
	buf_free(&b);
}

static void test_monitor_ignores_wrong_direction(void **state)
{
	struct fixture *fx = *state;
	static const uint32_t types[] = {PROTO_KEY_CHECK, PROTO_KEY_RESULT, PROTO_SESSION_EXITED,
					 PROTO_KILL, PROTO_EXITED};
	struct proto_msg msg;

	allow_user(fx);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		proto_msg_init(&msg, types[i]);
		msg.user = USER;
		msg.key_type = "ssh-ed25519";
		msg.blob = fx->blob;
		msg.blob_len = fx->blob_len;
		assert_int_equal(proto_send(fx->net_fd, &msg), 0);
	}
	proto_msg_init(&msg, PROTO_READY);
	msg.message = "";
	assert_int_equal(proto_send(fx->net_fd, &msg), 0);
	proto_msg_init(&msg, PROTO_SPAWNED);
	msg.error = EPERM;
	msg.message = "forged";
	assert_int_equal(proto_send(fx->net_fd, &msg), 0);
	assert_no_message(fx->net_fd, QUIET_MS);

	/* A session request on the key link gets a denial there, and no
	 * session. */
	fill_open(&msg, 3, "id");
	assert_int_equal(proto_send(fx->key_fd, &msg), 0);
	assert_int_equal(receive(fx->key_fd, &msg, REPLY_WAIT_MS), 0);
	assert_int_equal(msg.type, PROTO_KEY_RESULT);
	assert_int_equal(msg.status, PROTO_KEY_DENIED);
	proto_msg_free(&msg);
	assert_no_message(fx->net_fd, QUIET_MS);
	assert_int_equal(count_sandboxes(fx), 0);
	allow_user(fx);
}

/* ---- requests the monitor must reject ---- */

static void test_monitor_rejects_session_without_key_check(void **state)
{
	struct fixture *fx = *state;

	send_open(fx, 4, "id");
	expect_open_rejected(fx, 4);
	assert_int_equal(count_sandboxes(fx), 0);

	/* A denied key grants nothing either. */
	assert_int_equal(key_check(fx, USER, fx->blob, fx->blob_len - 1), PROTO_KEY_DENIED);
	send_open(fx, 5, "id");
	expect_open_rejected(fx, 5);
	assert_int_equal(count_sandboxes(fx), 0);
}

static void test_monitor_rejects_invalid_requests(void **state)
{
	struct fixture *fx = *state;
	static char *bad_env[] = {"PATH=/tmp/evil"};
	static char *control_env[] = {"LANG=C\x1b[2J"};
	struct proto_msg msg;
	uint32_t request_id = 100;

	allow_user(fx);
	const struct {
		const char *user;
		const char *term;
		bool want_pty;
		char **env;
	} cases[] = {
		{"Alice", "", false, NULL},          /* invalid name */
		{"bob", "", false, NULL},            /* not in the store */
		{"../alice", "", false, NULL},       /* path syntax */
		{USER, "xterm;reboot", true, NULL},  /* invalid TERM */
		{USER, "xterm", false, NULL},        /* TERM without a PTY */
		{USER, "", false, bad_env},          /* variable outside the allowlist */
		{USER, "", false, control_env},      /* control character in a value */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fill_open(&msg, ++request_id, "id");
		msg.user = (char *)cases[i].user;
		msg.term = (char *)cases[i].term;
		msg.want_pty = cases[i].want_pty;
		msg.env = cases[i].env;
		msg.env_count = cases[i].env ? 1 : 0;
		assert_int_equal(proto_send(fx->net_fd, &msg), 0);
		expect_open_rejected(fx, request_id);
	}
	assert_int_equal(count_sandboxes(fx), 0);
}

/* ---- out of order and replayed ---- */

static void test_monitor_ignores_duplicate_pending_request(void **state)
{
	struct fixture *fx = *state;

	allow_user(fx);
	send_open(fx, 7, "exec sleep 30");
	send_open(fx, 7, "exec sleep 30");
	expect_opened(fx, 7);
	assert_no_message(fx->net_fd, QUIET_MS);
	assert_int_equal(count_sessions(fx), 1);
}

/* Opens a first session, then a second one, and sends type (with status)
 * for the second one's id while its spawn is still under way: session ids
 * are handed out in sequence, so that id is known. The message must change
 * nothing. Returns the second session's id. */
static uint32_t race_second_session(struct fixture *fx, uint32_t type, int status)
{
	uint32_t first, second;

	allow_user(fx);
	send_open(fx, 1, "exec sleep 30");
	first = expect_opened(fx, 1);
	send_open(fx, 2, "exec sleep 30");
	send_session_msg(fx, type, first + 1, status);
	second = expect_opened(fx, 2);
	assert_int_equal(second, first + 1);
	assert_no_message(fx->net_fd, QUIET_MS);
	assert_int_equal(count_sessions(fx), 2);
	return second;
}

static void test_monitor_ignores_signal_before_opened(void **state)
{
	struct fixture *fx = *state;
	uint32_t second = race_second_session(fx, PROTO_SESSION_SIGNAL, SIGKILL);

	/* Once running, the same signal is passed on. */
	send_session_msg(fx, PROTO_SESSION_SIGNAL, second, SIGKILL);
	expect_exited(fx, second, SIGKILL);
}

static void test_monitor_ignores_forbidden_signals(void **state)
{
	struct fixture *fx = *state;
	static const int forbidden[] = {0, SIGSTOP, SIGCHLD, 64, 65, -1, -SIGKILL};
	uint32_t id;

	allow_user(fx);
	send_open(fx, 1, "exec sleep 30");
	id = expect_opened(fx, 1);
	for (size_t i = 0; i < sizeof(forbidden) / sizeof(forbidden[0]); i++)
		send_session_msg(fx, PROTO_SESSION_SIGNAL, id, forbidden[i]);
	send_session_msg(fx, PROTO_SESSION_SIGNAL, id + 1, SIGKILL); /* unknown id */
	assert_no_message(fx->net_fd, QUIET_MS);
	assert_int_equal(count_sessions(fx), 1);

	send_session_msg(fx, PROTO_SESSION_SIGNAL, id, SIGINT);
	expect_exited(fx, id, SIGINT);
}

static void test_monitor_ignores_replayed_close(void **state)
{
	struct fixture *fx = *state;
	uint32_t first, second;

	allow_user(fx);
	send_open(fx, 1, "exec sleep 30");
	first = expect_opened(fx, 1);
	send_open(fx, 2, "exec sleep 30");
	second = expect_opened(fx, 2);
	assert_int_equal(count_sessions(fx), 2);

	send_session_msg(fx, PROTO_SESSION_CLOSE, first, 0);
	/* Counted twice, the sandbox would end with the second session in it. */
	send_session_msg(fx, PROTO_SESSION_CLOSE, first, 0);
	send_session_msg(fx, PROTO_SESSION_CLOSE, first, 0);
	send_session_msg(fx, PROTO_SESSION_CLOSE, second + 100, 0);
	assert_no_message(fx->net_fd, QUIET_MS);
	assert_int_equal(count_sandboxes(fx), 1);
	assert_int_equal(count_sessions(fx), 1);

	send_session_msg(fx, PROTO_SESSION_SIGNAL, second, SIGTERM);
	expect_exited(fx, second, SIGTERM);
}

static void test_monitor_ignores_close_of_starting_session(void **state)
{
	struct fixture *fx = *state;
	uint32_t second = race_second_session(fx, PROTO_SESSION_CLOSE, 0);

	send_session_msg(fx, PROTO_SESSION_SIGNAL, second, SIGTERM);
	expect_exited(fx, second, SIGTERM);
}

/* A new network process inherits nothing: no session ids, no key grants. */
static void test_monitor_forgets_dead_network_process(void **state)
{
	struct fixture *fx = *state;
	char exit_byte = HARNESS_EXIT;
	uint32_t id;

	allow_user(fx);
	send_open(fx, 1, "exec sleep 30");
	id = expect_opened(fx, 1);
	assert_int_equal(write(fx->harness, &exit_byte, 1), 1);
	close(fx->net_fd);
	close(fx->key_fd);

	/* The monitor ends the sandbox and starts a new network process
	 * after a second. */
	assert_int_equal(receive_links(fx), 0);
	assert_int_equal(count_sandboxes(fx), 0);
	assert_int_equal(count_sessions(fx), 0);
	send_session_msg(fx, PROTO_SESSION_SIGNAL, id, SIGTERM);
	send_session_msg(fx, PROTO_SESSION_CLOSE, id, 0);
	assert_no_message(fx->net_fd, QUIET_MS);
	send_open(fx, 2, "id");
	expect_open_rejected(fx, 2);
	assert_int_equal(count_sandboxes(fx), 0);

	allow_user(fx);
	send_open(fx, 3, "exec sleep 30");
	expect_opened(fx, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_monitor_answers_key_checks),
		T(test_monitor_opens_and_signals_session),
		T(test_monitor_drops_malformed_messages),
		T(test_monitor_drops_invalid_field_values),
		T(test_monitor_ignores_wrong_direction),
		T(test_monitor_rejects_session_without_key_check),
		T(test_monitor_rejects_invalid_requests),
		T(test_monitor_ignores_duplicate_pending_request),
		T(test_monitor_ignores_signal_before_opened),
		T(test_monitor_ignores_forbidden_signals),
		T(test_monitor_ignores_replayed_close),
		T(test_monitor_ignores_close_of_starting_session),
		T(test_monitor_forgets_dead_network_process),
#undef T
	};

	if (geteuid() != 0) {
		printf("1..0 # SKIP the monitor needs root for sandboxes and cgroups\n");
		return 0;
	}
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
