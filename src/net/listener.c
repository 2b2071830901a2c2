/* Listening TCP sockets. */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rexec/listener.h"
#include "rexec/log.h"

#define LISTENER_BACKLOG 512

static int resolve(const struct config_listen *addr, struct addrinfo **out)
{
	struct addrinfo hints = {
	    .ai_family = AF_UNSPEC,
	    .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	};
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%u", (unsigned)addr->port);
	rc = getaddrinfo(addr->host, port, &hints, out);
	if (rc != 0) {
		log_error("listen address %s port %u is invalid: %s", addr->host,
			  (unsigned)addr->port, gai_strerror(rc));
		return -EINVAL;
	}
	return 0;
}

static int set_socket_options(int fd, int family)
{
	int on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0)
		return -errno;
	/* An IPv6 wildcard must not also take the IPv4 port, so that
	 * "0.0.0.0" and "::" can both be listed. */
	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0)
		return -errno;
	return 0;
}

int listener_open(const struct config_listen *addr)
{
	struct addrinfo *ai = NULL;
	const char *step;
	int fd = -1;
	int rc;

	rc = resolve(addr, &ai);
	if (rc < 0)
		return rc;

	step = "socket";
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}

	step = "setsockopt";
	rc = set_socket_options(fd, ai->ai_family);
	if (rc < 0)
		goto fail;

	step = "bind";
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		rc = -errno;
		goto fail;
	}

	step = "listen";
	if (listen(fd, LISTENER_BACKLOG) < 0) {
		rc = -errno;
		goto fail;
	}

	freeaddrinfo(ai);
	log_info("listening on %s port %u", addr->host, (unsigned)addr->port);
	return fd;

fail:
	log_error("listening on %s port %u failed: %s: %s", addr->host, (unsigned)addr->port, step,
		  strerror(-rc));
	if (fd >= 0)
		close(fd);
	freeaddrinfo(ai);
	return rc;
}
