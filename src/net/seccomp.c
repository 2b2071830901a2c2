/* The network process's seccomp allowlist.
 *
 * It is loaded last, after the chroot and the switch to NetworkUser, so it
 * only has to cover the event loop. That is libuv (epoll, timers, signals
 * through a pipe, the async eventfd), libssh and OpenSSL (reads, writes,
 * poll, getrandom), the PTY and pipe bridge (read, write, TIOCSWINSZ), the
 * monitor links (sendmsg and recvmsg with SCM_RIGHTS) and malloc. The list
 * was taken from strace runs of the integration tests with libssh 0.10.6,
 * libuv 1.44 and glibc 2.36 (Debian 12, x86_64).
 *
 * Any other system call kills the process (SCMP_ACT_KILL_PROCESS), and the
 * monitor then starts a new one. A few calls fail with EACCES instead,
 * because libraries make them on rare paths and cope with the failure:
 * opening a file (nothing is reachable in the chroot anyway), and
 * glibc's syslog reconnecting after syslogd restarted. */
#include "config.h"

#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <termios.h>
#include <unistd.h>

#include "rexec/log.h"
#include "rexec/privdrop.h"
#include "rexec/util.h"

#if defined(__SANITIZE_ADDRESS__)
#define BUILT_WITH_SANITIZERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUILT_WITH_SANITIZERS 1
#endif
#endif

static const char *const allowed_syscalls[] = {
	/* fds and I/O */
	"read", "write", "readv", "writev", "close", "fcntl", "lseek",
	/* sockets that exist already: accept, options, monitor links */
	"accept4", "recvfrom", "sendto", "recvmsg", "sendmsg", "setsockopt", "getsockopt",
	"getpeername", "getsockname", "shutdown",
	/* the event loop and libssh's own poll */
	"epoll_wait", "epoll_pwait", "epoll_ctl", "poll", "ppoll", "pipe2", "eventfd2",
	/* memory (mmap and mprotect are added below without PROT_EXEC) */
	"munmap", "mremap", "brk", "madvise",
	/* time, randomness, threads and signals */
	"clock_gettime", "clock_nanosleep", "nanosleep", "gettimeofday", "getrandom", "futex",
	"rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "sched_yield",
	/* the process itself */
	"getpid", "gettid", "getppid", "getuid", "geteuid", "getgid", "getegid", "exit",
	"exit_group", "restart_syscall",
};

#ifdef BUILT_WITH_SANITIZERS
/* NOTE: only in builds with AddressSanitizer, whose runtime makes these
 * calls itself while it reports an error or handles a deep stack. */
static const char *const sanitizer_syscalls[] = {
	"sigaltstack", "prctl", "getrlimit", "prlimit64", "readlink", "readlinkat", "fstat",
	"newfstatat", "statx", "uname", "sched_getaffinity",
};
#endif

/* Calls that fail with EACCES instead of killing the process. */
static const char *const refused_syscalls[] = {
	"open", "openat", "openat2", "socket", "connect",
};

/* TIOCSWINSZ resizes a PTY master; libuv sets O_NONBLOCK and FD_CLOEXEC
 * through FIONBIO and FIOCLEX. */
static const unsigned long allowed_ioctls[] = {TIOCSWINSZ, FIONBIO, FIOCLEX, FIONCLEX};

/* mmap, mprotect, tgkill, kill and ioctl, allowed with argument checks. */
#define ARGUMENT_RULE_SYSCALLS 5

static int add_rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned arg_count,
		    const struct scmp_arg_cmp *args, char *err, size_t err_len)
{
	int nr = seccomp_syscall_resolve_name(name);
	int r;

	/* A call that this architecture does not have needs no rule. */
	if (nr == __NR_SCMP_ERROR)
		return 0;
	r = seccomp_rule_add_array(ctx, action, nr, arg_count, args);
	if (r < 0)
		snprintf(err, err_len, "seccomp rule for %s failed: %s", name, strerror(-r));
	return r;
}

static int add_list(scmp_filter_ctx ctx, uint32_t action, const char *const *names, size_t count,
		    char *err, size_t err_len)
{
	for (size_t i = 0; i < count; i++) {
		int r = add_rule(ctx, action, names[i], 0, NULL, err, err_len);

		if (r < 0)
			return r;
	}
	return 0;
}

static int add_argument_rules(scmp_filter_ctx ctx, char *err, size_t err_len)
{
	struct scmp_arg_cmp no_exec = SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0);
	struct scmp_arg_cmp self = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid());
	int r;

	/* No new executable memory: nothing is loaded after the chroot. */
	r = add_rule(ctx, SCMP_ACT_ALLOW, "mmap", 1, &no_exec, err, err_len);
	if (r == 0)
		r = add_rule(ctx, SCMP_ACT_ALLOW, "mprotect", 1, &no_exec, err, err_len);
	/* raise() and abort() signal the process itself only. */
	if (r == 0)
		r = add_rule(ctx, SCMP_ACT_ALLOW, "tgkill", 1, &self, err, err_len);
	if (r == 0)
		r = add_rule(ctx, SCMP_ACT_ALLOW, "kill", 1, &self, err, err_len);
	for (size_t i = 0; r == 0 && i < ARRAY_SIZE(allowed_ioctls); i++) {
		struct scmp_arg_cmp request = SCMP_A1(SCMP_CMP_EQ, allowed_ioctls[i]);

		r = add_rule(ctx, SCMP_ACT_ALLOW, "ioctl", 1, &request, err, err_len);
	}
	return r;
}

int privdrop_load_seccomp(char *err, size_t err_len)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	size_t count = ARRAY_SIZE(allowed_syscalls);
	int r;

	if (!ctx) {
		snprintf(err, err_len, "seccomp_init failed");
		return -ENOMEM;
	}
	/* Every thread gets the filter, in case a library started one. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (r < 0) {
		snprintf(err, err_len, "seccomp thread sync failed: %s", strerror(-r));
		goto out;
	}

	r = add_list(ctx, SCMP_ACT_ALLOW, allowed_syscalls, ARRAY_SIZE(allowed_syscalls), err,
		     err_len);
#ifdef BUILT_WITH_SANITIZERS
	if (r == 0)
		r = add_list(ctx, SCMP_ACT_ALLOW, sanitizer_syscalls, ARRAY_SIZE(sanitizer_syscalls),
			     err, err_len);
	count += ARRAY_SIZE(sanitizer_syscalls);
#endif
	if (r == 0)
		r = add_list(ctx, SCMP_ACT_ERRNO(EACCES), refused_syscalls,
			     ARRAY_SIZE(refused_syscalls), err, err_len);
	if (r == 0)
		r = add_argument_rules(ctx, err, err_len);
	if (r < 0)
		goto out;

	r = seccomp_load(ctx);
	if (r < 0) {
		snprintf(err, err_len, "loading the seccomp filter failed: %s", strerror(-r));
		goto out;
	}
	log_info("seccomp filter loaded: %zu system calls allowed, %zu refused, others kill the "
		 "process",
		 count + ARGUMENT_RULE_SYSCALLS, ARRAY_SIZE(refused_syscalls));

out:
	seccomp_release(ctx);
	return r;
}
