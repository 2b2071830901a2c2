/* Writes one valid encoded message of every proto.h type into DIR, named
 * after the type, as the seed corpus of fuzz_proto.
 *
 *   gen_proto_corpus DIR */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "rexec/proto.h"

static char *env_entries[] = {"LANG=C.UTF-8", "LC_ALL=C"};
static const uint8_t key_blob[] = {0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2',
				   '5', '5', '1', '9', 0, 0, 0, 4, 1, 2, 3, 4};

/* Fills every field; proto_encode writes only those the type carries. */
static void fill(struct proto_msg *msg, uint32_t type)
{
	proto_msg_init(msg, type);
	msg->request_id = 7;
	msg->session_id = 0x1234abcd;
	msg->status = 15;
	msg->pid = 42;
	msg->user = "alice";
	msg->key_type = "ssh-ed25519";
	msg->blob = (uint8_t *)key_blob;
	msg->blob_len = sizeof(key_blob);
	msg->command = "ls -l /home/user";
	msg->term = "xterm-256color";
	msg->cols = 80;
	msg->rows = 24;
	msg->want_pty = true;
	msg->env = env_entries;
	msg->env_count = 2;
	msg->message = "";
}

static int write_seed(const char *dir, const char *name, const struct buf *b)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, b->data, b->len) != (ssize_t)b->len) {
		perror(path);
		return -1;
	}
	return close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: gen_proto_corpus DIR\n");
		return 2;
	}
	for (uint32_t type = 1; type < PROTO_TYPE_MAX; type++) {
		struct proto_msg msg;
		struct buf b;
		int r;

		fill(&msg, type);
		buf_init(&b, PROTO_MSG_MAX);
		r = proto_encode(&msg, &b);
		if (r < 0) {
			fprintf(stderr, "encoding %s failed: %s\n", proto_type_name(type),
				strerror(-r));
			return 1;
		}
		if (write_seed(argv[1], proto_type_name(type), &b) < 0)
			return 1;
		buf_free(&b);
	}
	return 0;
}
