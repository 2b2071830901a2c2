/* The message codec between rexecd's processes: every type round-trips,
 * and malformed input is rejected without reading out of bounds. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "rexec/proto.h"

static char *env_entries[] = {"LANG=C.UTF-8", "LC_ALL=C"};

static void fill_session_open(struct proto_msg *msg)
{
	proto_msg_init(msg, PROTO_SESSION_OPEN);
	msg->request_id = 7;
	msg->user = "alice";
	msg->command = "ls -l";
	msg->term = "xterm-256color";
	msg->cols = 80;
	msg->rows = 24;
	msg->want_pty = true;
	msg->env = env_entries;
	msg->env_count = 2;
}

static void encode(const struct proto_msg *msg, struct buf *b)
{
	buf_init(b, PROTO_MSG_MAX);
	assert_int_equal(proto_encode(msg, b), 0);
}

static void test_proto_session_open_round_trips(void **state)
{
	struct proto_msg in, out;
	struct buf b;

	fill_session_open(&in);
	encode(&in, &b);
	assert_int_equal(proto_decode(&b, &out), 0);

	assert_int_equal(out.type, PROTO_SESSION_OPEN);
	assert_int_equal(out.request_id, 7);
	assert_string_equal(out.user, "alice");
	assert_string_equal(out.command, "ls -l");
	assert_string_equal(out.term, "xterm-256color");
	assert_int_equal(out.cols, 80);
	assert_int_equal(out.rows, 24);
	assert_true(out.want_pty);
	assert_int_equal(out.env_count, 2);
	assert_string_equal(out.env[0], "LANG=C.UTF-8");
	assert_string_equal(out.env[1], "LC_ALL=C");
	assert_int_equal(out.nfds, 0);
	proto_msg_free(&out);
	buf_free(&b);
}

static void test_proto_key_check_round_trips_binary_blob(void **state)
{
	uint8_t blob[300];
	struct proto_msg in, out;
	struct buf b;

	for (size_t i = 0; i < sizeof(blob); i++)
		blob[i] = (uint8_t)i;
	proto_msg_init(&in, PROTO_KEY_CHECK);
	in.user = "bob";
	in.key_type = "ssh-ed25519";
	in.blob = blob;
	in.blob_len = sizeof(blob);
	encode(&in, &b);
	assert_int_equal(proto_decode(&b, &out), 0);
	assert_int_equal(out.blob_len, sizeof(blob));
	assert_memory_equal(out.blob, blob, sizeof(blob));
	proto_msg_free(&out);
	buf_free(&b);
}

/* Every proper prefix of a valid message is rejected. */
static void test_proto_rejects_every_truncation(void **state)
{
	struct proto_msg in, out;
	struct buf b, view;

	fill_session_open(&in);
	encode(&in, &b);
	for (size_t len = 0; len < b.len; len++) {
		buf_init_view(&view, b.data, len);
		assert_int_equal(proto_decode(&view, &out), -EBADMSG);
	}
	buf_free(&b);
}

static void test_proto_rejects_trailing_bytes(void **state)
{
	struct proto_msg in, out;
	struct buf b;

	proto_msg_init(&in, PROTO_SESSION_CLOSE);
	in.session_id = 9;
	encode(&in, &b);
	assert_int_equal(buf_put_u8(&b, 0), 0);
	assert_int_equal(proto_decode(&b, &out), -EBADMSG);
	buf_free(&b);
}

static void test_proto_rejects_unknown_types(void **state)
{
	static const uint32_t bad_types[] = {0, PROTO_TYPE_MAX, 0xffffffffu};
	struct proto_msg out;

	for (size_t i = 0; i < sizeof(bad_types) / sizeof(bad_types[0]); i++) {
		struct buf b;

		buf_init(&b, 0);
		assert_int_equal(buf_put_u32(&b, bad_types[i]), 0);
		assert_int_equal(proto_decode(&b, &out), -EBADMSG);
		buf_free(&b);
	}
}

/* A string whose length field points past the end must not be read. */
static void test_proto_rejects_oversized_length_field(void **state)
{
	struct proto_msg out;
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(buf_put_u32(&b, PROTO_KEY_CHECK), 0);
	assert_int_equal(buf_put_u32(&b, 0xfffffff0u), 0);
	assert_int_equal(buf_put_bytes(&b, "alice", 5), 0);
	assert_int_equal(proto_decode(&b, &out), -EBADMSG);
	buf_free(&b);
}

static void test_proto_rejects_field_values(void **state)
{
	struct proto_msg in, out;
	struct buf b;

	/* A user name with an embedded NUL. */
	buf_init(&b, 0);
	assert_int_equal(buf_put_u32(&b, PROTO_KEY_CHECK), 0);
	assert_int_equal(buf_put_string(&b, "al\0ce", 5), 0);
	assert_int_equal(buf_put_cstring(&b, "ssh-ed25519"), 0);
	assert_int_equal(buf_put_string(&b, "x", 1), 0);
	assert_int_equal(proto_decode(&b, &out), -EBADMSG);
	buf_free(&b);

	/* An environment entry without '='. */
	fill_session_open(&in);
	in.env = (char *[]){"NOEQUALS"};
	in.env_count = 1;
	encode(&in, &b);
	assert_int_equal(proto_decode(&b, &out), -EBADMSG);
	buf_free(&b);

	/* A PTY flag other than 0 or 1. */
	fill_session_open(&in);
	encode(&in, &b);
	{
		/* The flag byte sits right before the env count (u32) and the
		 * two env strings. */
		size_t env_bytes = 4 + 4 + strlen(env_entries[0]) + 4 + strlen(env_entries[1]);

		b.data[b.len - env_bytes - 1] = 2;
	}
	assert_int_equal(proto_decode(&b, &out), -EBADMSG);
	buf_free(&b);

	/* A window size past 65535. */
	fill_session_open(&in);
	in.cols = 70000;
	encode(&in, &b);
	assert_int_equal(proto_decode(&b, &out), -EBADMSG);
	buf_free(&b);

	/* Too many environment entries. */
	fill_session_open(&in);
	in.env_count = PROTO_ENV_MAX + 1;
	in.env = calloc(in.env_count, sizeof(char *));
	for (size_t i = 0; i < in.env_count; i++)
		in.env[i] = "LANG=C";
	encode(&in, &b);
	free(in.env);
	assert_int_equal(proto_decode(&b, &out), -EBADMSG);
	buf_free(&b);
}

static void test_proto_rejects_negative_error(void **state)
{
	struct proto_msg in, out;
	struct buf b;

	proto_msg_init(&in, PROTO_READY);
	in.error = -1;
	in.message = "x";
	encode(&in, &b);
	assert_int_equal(proto_decode(&b, &out), -EBADMSG);
	buf_free(&b);
}

static int open_devnull(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static void test_proto_passes_fds_with_message(void **state)
{
	int sv[2];
	struct proto_msg in, out;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	proto_msg_init(&in, PROTO_SESSION_OPENED);
	in.request_id = 1;
	in.session_id = 2;
	in.message = "";
	for (int i = 0; i < 3; i++)
		in.fds[i] = open_devnull();
	assert_int_equal(proto_send(sv[0], &in), 0);
	assert_int_equal(proto_recv(sv[1], &out), 0);
	assert_int_equal(out.nfds, 3);
	for (int i = 0; i < 3; i++) {
		struct stat st;

		assert_int_equal(fstat(out.fds[i], &st), 0);
		assert_true(S_ISCHR(st.st_mode));
		assert_int_equal(fcntl(out.fds[i], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
		close(in.fds[i]);
	}
	proto_msg_free(&out);
	close(sv[0]);
	close(sv[1]);
}

/* An OPENED with a PTY carries one fd; three would be a forged message,
 * and all of them must be closed, not leaked. */
static void test_proto_rejects_wrong_fd_count(void **state)
{
	int sv[2], before, after;
	struct proto_msg in, out;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	proto_msg_init(&in, PROTO_SESSION_OPENED);
	in.want_pty = true;
	in.message = "";
	for (int i = 0; i < 3; i++)
		in.fds[i] = open_devnull();
	assert_int_equal(proto_send(sv[0], &in), 0);
	for (int i = 0; i < 3; i++)
		close(in.fds[i]);

	before = open_devnull();
	close(before);
	assert_int_equal(proto_recv(sv[1], &out), -EBADMSG);
	after = open_devnull();
	close(after);
	assert_int_equal(after, before);
	close(sv[0]);
	close(sv[1]);
}

static void test_proto_reports_end_of_stream(void **state)
{
	int sv[2];
	struct proto_msg out;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	close(sv[0]);
	assert_int_equal(proto_recv(sv[1], &out), -ECONNRESET);
	close(sv[1]);
}

static void test_proto_rejects_oversized_datagram(void **state)
{
	int sv[2], size = 2 * PROTO_MSG_MAX;
	struct proto_msg out;
	char *big = calloc(1, PROTO_MSG_MAX + 100);

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	big[3] = PROTO_SESSION_CLOSE;
	assert_int_equal(send(sv[0], big, PROTO_MSG_MAX + 100, 0), PROTO_MSG_MAX + 100);
	assert_int_equal(proto_recv(sv[1], &out), -EBADMSG);
	free(big);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_proto_session_open_round_trips),
		cmocka_unit_test(test_proto_key_check_round_trips_binary_blob),
		cmocka_unit_test(test_proto_rejects_every_truncation),
		cmocka_unit_test(test_proto_rejects_trailing_bytes),
		cmocka_unit_test(test_proto_rejects_unknown_types),
		cmocka_unit_test(test_proto_rejects_oversized_length_field),
		cmocka_unit_test(test_proto_rejects_field_values),
		cmocka_unit_test(test_proto_rejects_negative_error),
		cmocka_unit_test(test_proto_passes_fds_with_message),
		cmocka_unit_test(test_proto_rejects_wrong_fd_count),
		cmocka_unit_test(test_proto_reports_end_of_stream),
		cmocka_unit_test(test_proto_rejects_oversized_datagram),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
