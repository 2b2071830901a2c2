/* Escape probes for the Rexec sandbox.
 *
 *   probe CHECK [ARG...]
 *
 * Each check makes one attempt to leave or weaken the sandbox and prints
 * one line, "CHECK: success" when the attempt worked, or "CHECK: ENAME
 * (text)" with the errno it got, or "CHECK: killed by signal N". The exit
 * status is 0 whatever the result (2 for a usage error), so the caller
 * compares the line with what the layer under test must produce.
 *
 * tests/integration/t-security.sh copies this program into a sandbox and
 * expects the guard's answer there, then runs the same checks outside the
 * sandbox (as nobody, or as root in a user namespace of its own) and
 * expects "success", which shows that each check notices a missing guard.
 * Checks that cannot run outside without harm (a mount on the host, for
 * example) run there in a namespace of their own.
 *
 * Built on the host by the test (cc -O2 -o probe probe.c); the sandbox
 * sees the host's /usr, so a dynamically linked binary runs in it. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif

static void report(const char *check, long result)
{
	if (result >= 0)
		printf("%s: success\n", check);
	else
		printf("%s: %s (%s)\n", check, strerrorname_np(errno), strerror(errno));
}

/* Runs fn in a child and reports how the child ended: a signal, or the
 * errno it exits with (0 for success). */
static void report_child(const char *check, int (*fn)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &status, 0) < 0) {
		report(check, -1);
		return;
	}
	if (WIFSIGNALED(status)) {
		printf("%s: killed by signal %d\n", check, WTERMSIG(status));
		return;
	}
	errno = WEXITSTATUS(status);
	report(check, errno == 0 ? 0 : -1);
}

static int check_mount(char **argv)
{
	report("mount", mount("none", argv[0], "tmpfs", 0, NULL));
	return 0;
}

static int check_unshare_user(char **argv)
{
	(void)argv;
	report("unshare-user", unshare(CLONE_NEWUSER));
	return 0;
}

static int check_clone_newuser(char **argv)
{
	long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);

	(void)argv;
	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid((pid_t)pid, NULL, 0);
	report("clone-newuser", pid);
	return 0;
}

static int check_setns(char **argv)
{
	int fd = open("/proc/self/ns/uts", O_RDONLY | O_CLOEXEC);

	(void)argv;
	if (fd < 0) {
		report("setns", -1);
		return 0;
	}
	report("setns", setns(fd, CLONE_NEWUTS));
	close(fd);
	return 0;
}

static int check_chroot(char **argv)
{
	report("chroot", chroot(argv[0]));
	return 0;
}

static void attach_and_report(const char *check, pid_t pid)
{
	long r = ptrace(PTRACE_ATTACH, pid, NULL, NULL);

	report(check, r);
	if (r == 0) {
		waitpid(pid, NULL, __WALL);
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	}
}

static int check_ptrace(char **argv)
{
	attach_and_report("ptrace", (pid_t)atoi(argv[0]));
	return 0;
}

/* Forks a child that waits for a signal, as a target in this sandbox that
 * the caller may read or trace. */
static pid_t fork_waiting_child(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	return pid;
}

static void kill_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Attaching to one's own child is what a debugger does. Only Yama's
 * ptrace_scope 2 or 3 forbids it; t-security.sh checks that setting
 * before it expects success outside the sandbox. */
static int check_ptrace_child(char **argv)
{
	pid_t pid = fork_waiting_child();

	(void)argv;
	if (pid < 0) {
		report("ptrace-child", -1);
		return 0;
	}
	attach_and_report("ptrace-child", pid);
	kill_child(pid);
	return 0;
}

static long probe_value = 42;

/* Reads a variable of a forked child, which sits at the same address. */
static int check_process_vm_readv(char **argv)
{
	long copy = 0;
	struct iovec local = {.iov_base = &copy, .iov_len = sizeof(copy)};
	struct iovec remote = {.iov_base = &probe_value, .iov_len = sizeof(probe_value)};
	pid_t pid = fork_waiting_child();

	(void)argv;
	if (pid < 0) {
		report("process-vm-readv", -1);
		return 0;
	}
	report("process-vm-readv", process_vm_readv(pid, &local, 1, &remote, 1, 0));
	kill_child(pid);
	return 0;
}

static int check_keyctl(char **argv)
{
	(void)argv;
	report("keyctl", syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1));
	return 0;
}

static int check_add_key(char **argv)
{
	(void)argv;
	report("add-key",
	       syscall(SYS_add_key, "user", "rexec-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING));
	return 0;
}

static int check_bpf(char **argv)
{
	union bpf_attr attr;

	(void)argv;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_ARRAY;
	attr.key_size = 4;
	attr.value_size = 4;
	attr.max_entries = 1;
	report("bpf", syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr)));
	return 0;
}

static int check_io_uring(char **argv)
{
	struct io_uring_params params;

	(void)argv;
	memset(&params, 0, sizeof(params));
	report("io-uring", syscall(SYS_io_uring_setup, 2, &params));
	return 0;
}

static int check_userfaultfd(char **argv)
{
	(void)argv;
	report("userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY));
	return 0;
}

/* A software counter on the calling process, user space only: allowed by
 * kernel.perf_event_paranoid up to 2. */
static int check_perf_event(char **argv)
{
	struct perf_event_attr attr;

	(void)argv;
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = PERF_TYPE_SOFTWARE;
	attr.config = PERF_COUNT_SW_TASK_CLOCK;
	attr.exclude_kernel = 1;
	attr.exclude_hv = 1;
	report("perf-event", syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0));
	return 0;
}

static int check_personality(char **argv)
{
	long r = syscall(SYS_personality, UNAME26);

	(void)argv;
	if (r >= 0)
		syscall(SYS_personality, r);
	report("personality-uname26", r);
	return 0;
}

static int check_socket(char **argv)
{
	static const struct {
		const char *name;
		int family, type;
	} families[] = {
	    {"alg", AF_ALG, SOCK_SEQPACKET}, {"vsock", AF_VSOCK, SOCK_STREAM},
	    {"packet", AF_PACKET, SOCK_RAW}, {"netlink", AF_NETLINK, SOCK_RAW},
	    {"unix", AF_UNIX, SOCK_STREAM},  {"inet", AF_INET, SOCK_STREAM},
	};
	char check[32];
	size_t i;

	for (i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		if (strcmp(families[i].name, argv[0]) != 0)
			continue;
		snprintf(check, sizeof(check), "socket-%s", argv[0]);
		report(check, socket(families[i].family, families[i].type | SOCK_CLOEXEC, 0));
		return 0;
	}
	fprintf(stderr, "probe: unknown socket family %s\n", argv[0]);
	return 2;
}

/* TIOCSTI on standard input, which must be the session's terminal. The
 * kernel reads the request as 32 bits, so 0x100005412 is TIOCSTI too, and
 * a filter that compared all 64 bits would let it pass. */
static int check_tiocsti(char **argv)
{
	const char byte = '\n';

	(void)argv;
	report("tiocsti", syscall(SYS_ioctl, 0, (unsigned long)TIOCSTI, &byte));
	report("tiocsti-high-bits", syscall(SYS_ioctl, 0, 0x100000000UL | TIOCSTI, &byte));
	return 0;
}

static int check_mknod(char **argv)
{
	long r = mknod(argv[0], S_IFCHR | 0666, makedev(1, 3));

	if (r == 0)
		unlink(argv[0]);
	report("mknod", r);
	return 0;
}

static int check_chown(char **argv)
{
	report("chown", chown(argv[0], (uid_t)strtoul(argv[1], NULL, 10), (gid_t)-1));
	return 0;
}

/* Opens like a shell's ">" redirection. O_TRUNC makes the kernel check
 * for a read-only mount before the file's permission bits. */
static int check_write(char **argv)
{
	int fd = open(argv[0], O_WRONLY | O_TRUNC | O_CLOEXEC);
	long r = fd;

	if (fd >= 0) {
		r = write(fd, argv[1], strlen(argv[1]));
		close(fd);
	}
	report("write", r);
	return 0;
}

static int check_connect(char **argv)
{
	struct sockaddr_in addr = {.sin_family = AF_INET,
				   .sin_port = htons((uint16_t)atoi(argv[1]))};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || inet_pton(AF_INET, argv[0], &addr.sin_addr) != 1) {
		report("connect", -1);
		return 0;
	}
	report("connect", connect(fd, (struct sockaddr *)&addr, sizeof(addr)));
	close(fd);
	return 0;
}

static int clone3_errno(void)
{
	return syscall(SYS_clone3, NULL, 0) < 0 ? errno : 0;
}

static int check_clone3(char **argv)
{
	(void)argv;
	report_child("clone3", clone3_errno);
	return 0;
}

#if defined(__x86_64__)
/* getpid through the 32-bit int 0x80 entry. */
static int int80_getpid(void)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
	return ret < 0 ? (int)-ret : 0;
}

static int check_int80(char **argv)
{
	(void)argv;
	report_child("int80", int80_getpid);
	return 0;
}
#endif

static int check_ids(char **argv)
{
	uid_t ruid, euid, suid;

	(void)argv;
	getresuid(&ruid, &euid, &suid);
	printf("ids: ruid=%u euid=%u suid=%u\n", (unsigned)ruid, (unsigned)euid, (unsigned)suid);
	return 0;
}

struct check {
	const char *name;
	int argc;
	const char *usage;
	int (*run)(char **argv);
};

static const struct check checks[] = {
    {"ids", 0, "", check_ids},
    {"mount", 1, "DIR", check_mount},
    {"unshare-user", 0, "", check_unshare_user},
    {"clone-newuser", 0, "", check_clone_newuser},
    {"setns", 0, "", check_setns},
    {"chroot", 1, "DIR", check_chroot},
    {"ptrace", 1, "PID", check_ptrace},
    {"ptrace-child", 0, "", check_ptrace_child},
    {"process-vm-readv", 0, "", check_process_vm_readv},
    {"keyctl", 0, "", check_keyctl},
    {"add-key", 0, "", check_add_key},
    {"bpf", 0, "", check_bpf},
    {"io-uring", 0, "", check_io_uring},
    {"userfaultfd", 0, "", check_userfaultfd},
    {"perf-event", 0, "", check_perf_event},
    {"personality", 0, "", check_personality},
    {"socket", 1, "alg|vsock|packet|netlink|unix|inet", check_socket},
    {"tiocsti", 0, "", check_tiocsti},
    {"mknod", 1, "PATH", check_mknod},
    {"chown", 2, "PATH UID", check_chown},
    {"write", 2, "FILE TEXT", check_write},
    {"connect", 2, "IPV4 PORT", check_connect},
    {"clone3", 0, "", check_clone3},
#if defined(__x86_64__)
    {"int80", 0, "", check_int80},
#endif
};

int main(int argc, char **argv)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; argc > 1 && i < sizeof(checks) / sizeof(checks[0]); i++) {
		if (strcmp(checks[i].name, argv[1]) != 0)
			continue;
		if (argc - 2 != checks[i].argc)
			break;
		return checks[i].run(argv + 2);
	}
	fprintf(stderr, "usage: probe CHECK [ARG...]; checks:\n");
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
		fprintf(stderr, "  %s %s\n", checks[i].name, checks[i].usage);
	return 2;
}
