/* The sandbox's network namespace: loopback only. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rexec/util.h"
#include "sandbox-internal.h"

/* net.ipv4.ip_unprivileged_port_start is per network namespace, and a
 * /proc/sys/net file acts on the namespace of the process that opens it.
 * This runs in the sandbox init, after clone(CLONE_NEWNET), so it changes
 * only the sandbox's value; the same open in the monitor would change the
 * host's. */
#define UNPRIVILEGED_PORT_START "/proc/sys/net/ipv4/ip_unprivileged_port_start"

/* A new network namespace has only "lo", and it is down. The kernel adds
 * 127.0.0.1/8 and ::1 when it comes up. */
static int bring_up_loopback(char *err, size_t err_len)
{
	cleanup_close int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;

	if (sock < 0)
		return sandbox_fail(err, err_len, -errno, "cannot create a socket for lo");

	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, "lo", sizeof(ifr.ifr_name) - 1);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot read the flags of lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot bring lo up");
	return 0;
}

/* Lets the login user, who has no capabilities, bind any port of the
 * sandbox's own loopback. */
static int allow_unprivileged_ports(char *err, size_t err_len)
{
	cleanup_close int fd = open(UNPRIVILEGED_PORT_START, O_WRONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open %s",
				    UNPRIVILEGED_PORT_START);
	r = util_write_all(fd, "0", 1);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot write %s", UNPRIVILEGED_PORT_START);
	return 0;
}

int sandbox_netns_setup(char *err, size_t err_len)
{
	int r = bring_up_loopback(err, err_len);

	if (r < 0)
		return r;
	return allow_unprivileged_ports(err, err_len);
}
