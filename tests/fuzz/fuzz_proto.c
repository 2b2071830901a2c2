/* libFuzzer target for the message decoder that the monitor runs on every
 * datagram from the network process (proto.h).
 *
 * For any input: proto_decode must not crash, leak or read out of bounds.
 * When it accepts the input, proto_encode of the result must give back
 * exactly the input, because the format has one encoding per message.
 * The input also goes through a SOCK_SEQPACKET pair into proto_recv,
 * which must agree with proto_decode (no fds are sent, so a message type
 * that needs fds must be rejected there). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rexec/proto.h"

static int pair[2] = {-1, -1};

/* Returns how many fds proto_recv requires for msg (see proto.h). */
static int fds_required(const struct proto_msg *msg)
{
	if ((msg->type != PROTO_SESSION_OPENED && msg->type != PROTO_SPAWNED) || msg->error != 0)
		return 0;
	return msg->want_pty ? 1 : 3;
}

static void check_round_trip(const uint8_t *data, size_t size, const struct proto_msg *msg)
{
	struct buf out;

	buf_init(&out, PROTO_MSG_MAX);
	if (proto_encode(msg, &out) != 0 || out.len != size || memcmp(out.data, data, size) != 0)
		abort();
	buf_free(&out);
	if (strcmp(proto_type_name(msg->type), "unknown") == 0)
		abort();
}

static void check_recv_agrees(const uint8_t *data, size_t size, bool decoded, int fds)
{
	struct proto_msg msg;
	int r;

	if (size == 0 || size > PROTO_MSG_MAX)
		return;
	if (send(pair[0], data, size, MSG_DONTWAIT) != (ssize_t)size)
		abort();
	r = proto_recv(pair[1], &msg);
	if (r == 0)
		proto_msg_free(&msg);
	if ((r == 0) != (decoded && fds == 0))
		abort();
	if (r < 0 && r != -EBADMSG && r != -ENOMEM)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_msg msg;
	struct buf in;
	bool decoded;
	int fds = 0;

	if (pair[0] < 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		abort();

	buf_init_view(&in, data, size);
	decoded = proto_decode(&in, &msg) == 0;
	if (decoded) {
		check_round_trip(data, size, &msg);
		fds = fds_required(&msg);
		proto_msg_free(&msg);
	}
	check_recv_agrees(data, size, decoded, fds);
	return 0;
}
