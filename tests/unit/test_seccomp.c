/* Seccomp profiles: reading Docker's JSON format, the errors for broken
 * profiles, and what the compiled filters do when a process loads them.
 *
 * Each behaviour test forks a child that sets no_new_privs, loads one of
 * the compiled programs and makes a single system call. The child exits
 * with the errno it got (0 for success), unless a signal kills it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/keyctl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "rexec/seccomp.h"
#include "rexec/util.h"
#include "../../src/sandbox/sandbox-internal.h"

#define DEFAULT_PROFILE    TOP_SRCDIR "/etc/seccomp.json"
#define DOCKER_SHAPE       TOP_SRCDIR "/tests/unit/data/seccomp-docker-shape.json"
#define KILLED_BY(sig)     (-(sig))
#define SYSCALL_NR_UNKNOWN 1000 /* above every number a profile here names */
#ifndef AF_ALG
#define AF_ALG 38
#endif
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* ---- reading profiles ---------------------------------------------------- */

struct fixture {
	char dir[64];
	char path[128];
	char err[SANDBOX_SECCOMP_ERROR_MAX];
	struct sandbox_seccomp *filters;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/rexec-test-seccomp-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->path, sizeof(f->path), "%s/profile.json", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	sandbox_seccomp_free(f->filters);
	unlink(f->path);
	rmdir(f->dir);
	free(f);
	return 0;
}

static int compile_text(struct fixture *f, const char *text)
{
	assert_int_equal(util_write_file_atomic(f->path, text, strlen(text), 0600), 0);
	return sandbox_seccomp_compile(f->path, &f->filters, f->err, sizeof(f->err));
}

static void test_seccomp_default_profile_compiles(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(
	    sandbox_seccomp_compile(DEFAULT_PROFILE, &f->filters, f->err, sizeof(f->err)), 0);
	assert_true(f->filters->rule_count > 300);
	assert_true(f->filters->session.insn_count > 0);
	assert_true(f->filters->init.insn_count > 0);
	/* listns (470) is the highest system call the profile names. */
	assert_int_equal(f->filters->enosys_above, 470);
}

static void test_seccomp_docker_shaped_profile_compiles(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sandbox_seccomp_compile(DOCKER_SHAPE, &f->filters, f->err, sizeof(f->err)),
			 0);
	/* getxattrat (464) is newer than libseccomp 2.5.4 and still resolved. */
	assert_int_equal(f->filters->enosys_above, 464);
}

static void test_seccomp_allow_all_skips_enosys_check(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(compile_text(f, "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}"), 0);
	assert_int_equal(f->filters->enosys_above, 0);
	assert_int_equal(f->filters->rule_count, 0);
}

static void test_seccomp_missing_file_is_named(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sandbox_seccomp_compile("/nonexistent/seccomp.json", &f->filters, f->err,
						 sizeof(f->err)),
			 -ENOENT);
	assert_non_null(strstr(f->err, "/nonexistent/seccomp.json: cannot read"));
	assert_null(f->filters);
}

struct bad_profile {
	const char *text;
	const char *message;
};

/* Each broken profile with a piece of the error it must produce. */
static const struct bad_profile bad_profiles[] = {
    {"{\n\"defaultAction\": \"SCMP_ACT_ERRNO\",,\n}", "invalid JSON at line 2, column 35"},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\"", "the text ends inside a value"},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\"} x", "invalid JSON at line 1, column 37"},
    {"[]", "the profile must be a JSON object"},
    {"{}", "top level: \"defaultAction\" is missing"},
    {"{\"defaultAction\": \"SCMP_ACT_MAYBE\"}", "unknown action \"SCMP_ACT_MAYBE\""},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}",
     "\"defaultErrnoRet\" must be from 0 to 4095"},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscall\": []}", "unknown key \"syscall\""},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"flags\": [\"SECCOMP_FILTER_FLAG_TSYNC\"]}",
     "flags[0]: unsupported flag \"SECCOMP_FILTER_FLAG_TSYNC\""},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": [{\"arch\": \"x\"}]}",
     "archMap[0]: unknown key \"arch\""},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\", "
     "\"getpidd\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
     "syscalls[0].names[1]: unknown system call \"getpidd\""},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"name\": \"nosuchcall\", "
     "\"action\": \"SCMP_ACT_ALLOW\"}]}",
     "syscalls[0].name: unknown system call \"nosuchcall\""},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"action\": "
     "\"SCMP_ACT_ALLOW\"}]}",
     "syscalls[0]: \"names\" is missing"},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"]}]}",
     "syscalls[0]: \"action\" is missing"},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
     "\"action\": \"SCMP_ACT_NOTIFY\"}]}",
     "SCMP_ACT_NOTIFY is not supported"},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
     "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": "
     "\"SCMP_CMP_EQ\"}]}]}",
     "syscalls[0].args[0]: \"index\" must be from 0 to 5"},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
     "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": "
     "\"SCMP_CMP_LIKE\"}]}]}",
     "syscalls[0].args[0]: unknown op \"SCMP_CMP_LIKE\""},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
     "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1}]}]}",
     "syscalls[0].args[0]: \"op\" is missing"},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
     "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 1, \"op\": "
     "\"SCMP_CMP_GT\"}, {\"index\": 0, \"value\": 9, \"op\": \"SCMP_CMP_LT\"}]}]}",
     "a second comparison on argument 0"},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
     "\"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_FLY\"]}}]}",
     "syscalls[0].includes: unknown capability \"CAP_FLY\""},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], "
     "\"action\": \"SCMP_ACT_ALLOW\", \"excludes\": {\"minKernel\": \"five\"}}]}",
     "syscalls[0].excludes: minKernel \"five\" is not of the form X.Y"},
    {"{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": \"read\", "
     "\"action\": \"SCMP_ACT_ALLOW\"}]}",
     "syscalls[0]: \"names\" must be an array"},
};

static void test_seccomp_broken_profiles_are_rejected(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_profiles); i++) {
		int r = compile_text(f, bad_profiles[i].text);

		if (r != -EINVAL || !strstr(f->err, bad_profiles[i].message) ||
		    strncmp(f->err, f->path, strlen(f->path)) != 0)
			fail_msg("case %zu: r=%d err=\"%s\", expected \"%s\"", i, r, f->err,
				 bad_profiles[i].message);
		assert_null(f->filters);
	}
}

/* ---- what the filters do ------------------------------------------------- */

typedef int (*probe_fn)(void);

/* Runs probe in a child under prog. Returns the child's exit status (the
 * errno its system call saw, 0 on success) or KILLED_BY(signal). */
static int run_filtered(const struct sandbox_seccomp_program *prog, probe_fn probe)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || sandbox_seccomp_load(prog) < 0)
			_exit(255);
		_exit(probe());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return KILLED_BY(WTERMSIG(status));
	return WEXITSTATUS(status);
}

static int result_of(long r)
{
	return r < 0 ? errno : 0;
}

static int probe_getpid(void)
{
	return result_of(syscall(SYS_getpid));
}

static int probe_clone3(void)
{
	return result_of(syscall(SYS_clone3, NULL, 0));
}

static int probe_keyctl(void)
{
	return result_of(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
}

static int probe_unknown_syscall(void)
{
	return result_of(syscall(SYSCALL_NR_UNKNOWN));
}

static int probe_listns(void)
{
	return result_of(syscall(470, NULL, NULL, 0, 0));
}

static int probe_unshare_user(void)
{
	return result_of(syscall(SYS_unshare, CLONE_NEWUSER));
}

/* Without the filter the kernel returns ENOENT for the missing target, so
 * the test never mounts anything on the host. */
static int probe_mount(void)
{
	return result_of(syscall(SYS_mount, "none", "/nonexistent-rexec-test", "tmpfs", 0, NULL));
}

/* On a pipe the kernel fails a terminal ioctl with ENOTTY, so EPERM can
 * only come from the filter. */
static int ioctl_on_pipe(unsigned long request)
{
	int fds[2];

	if (pipe(fds) < 0)
		return 254;
	return result_of(syscall(SYS_ioctl, fds[0], request, "x"));
}

static int probe_tiocsti(void)
{
	return ioctl_on_pipe(TIOCSTI);
}

static int probe_tiocsti_high_bits(void)
{
	return ioctl_on_pipe(0x100000000UL | TIOCSTI);
}

static int probe_tioclinux(void)
{
	return ioctl_on_pipe(TIOCLINUX);
}

static int probe_tcgets(void)
{
	return ioctl_on_pipe(TCGETS);
}

static int probe_socket_alg(void)
{
	return result_of(syscall(SYS_socket, AF_ALG, SOCK_SEQPACKET, 0));
}

static int probe_socket_vsock(void)
{
	return result_of(syscall(SYS_socket, AF_VSOCK, SOCK_STREAM, 0));
}

static int probe_socket_packet(void)
{
	return result_of(syscall(SYS_socket, AF_PACKET, SOCK_RAW, 0));
}

static int probe_socket_unix(void)
{
	return result_of(syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0));
}

static int probe_personality_uname26(void)
{
	return result_of(syscall(SYS_personality, UNAME26));
}

static int probe_personality_query(void)
{
	return result_of(syscall(SYS_personality, 0xffffffffUL));
}

/* No process has pid INT_MAX (above pid_max), so the kernel returns
 * ESRCH and EPERM can only come from the filter. */
static int probe_ptrace(void)
{
	return result_of(syscall(SYS_ptrace, PTRACE_ATTACH, INT_MAX, 0, 0));
}

static void *thread_main(void *arg)
{
	return arg;
}

static int probe_pthread_create(void)
{
	pthread_t thread;
	int r = pthread_create(&thread, NULL, thread_main, NULL);

	if (r != 0)
		return r;
	return pthread_join(thread, NULL);
}

static int probe_clone_newuser(void)
{
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);

	if (pid == 0)
		_exit(0);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return result_of(pid);
}

#if defined(__x86_64__)
/* getpid through the 32-bit int 0x80 entry, which a filter for x86_64 only
 * must refuse by killing the process. */
static int probe_int80(void)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
	return ret < 0 ? (int)-ret : 0;
}

/* getpid through the x32 ABI (nr | 0x40000000), native arch token. */
static int probe_x32(void)
{
	return result_of(syscall(0x40000000L | SYS_getpid));
}
#endif

struct filter_case {
	const char *what;
	probe_fn probe;
	int expected;
};

static void check_cases(const struct sandbox_seccomp_program *prog, const struct filter_case *cases,
			size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		int got = run_filtered(prog, cases[i].probe);

		if (got != cases[i].expected)
			fail_msg("%s: expected %d, got %d", cases[i].what, cases[i].expected, got);
	}
}

static void test_seccomp_default_profile_filters_calls(void **state)
{
	static const struct filter_case cases[] = {
		{"getpid is allowed", probe_getpid, 0},
		{"clone3 returns ENOSYS", probe_clone3, ENOSYS},
		{"pthread_create falls back to clone", probe_pthread_create, 0},
		{"clone with CLONE_NEWUSER is denied", probe_clone_newuser, EPERM},
		{"keyctl is denied", probe_keyctl, EPERM},
		{"unshare is denied", probe_unshare_user, EPERM},
		{"mount is denied", probe_mount, EPERM},
		{"ptrace is denied", probe_ptrace, EPERM},
		{"a call above the profile returns ENOSYS", probe_unknown_syscall, ENOSYS},
		{"listns, named as denied, returns EPERM", probe_listns, EPERM},
		{"TIOCSTI is denied", probe_tiocsti, EPERM},
		{"TIOCSTI with high bits is denied", probe_tiocsti_high_bits, EPERM},
		{"TIOCLINUX is denied", probe_tioclinux, EPERM},
		{"TCGETS reaches the kernel", probe_tcgets, ENOTTY},
		{"AF_ALG is denied", probe_socket_alg, EPERM},
		{"AF_VSOCK is denied", probe_socket_vsock, EPERM},
		{"AF_PACKET is denied", probe_socket_packet, EPERM},
		{"AF_UNIX is allowed", probe_socket_unix, 0},
		{"personality(UNAME26) is denied", probe_personality_uname26, EPERM},
		{"personality query is allowed", probe_personality_query, 0},
#if defined(__x86_64__)
		{"int 0x80 kills the process", probe_int80, KILLED_BY(SIGSYS)},
		{"x32 kills the process", probe_x32, KILLED_BY(SIGSYS)},
#endif
	};
	struct fixture *f = *state;

	assert_int_equal(
	    sandbox_seccomp_compile(DEFAULT_PROFILE, &f->filters, f->err, sizeof(f->err)), 0);
	check_cases(&f->filters->session, cases, ARRAY_SIZE(cases));
}

static void test_seccomp_init_filter_denies_namespaces(void **state)
{
	static const struct filter_case cases[] = {
		{"getpid is allowed", probe_getpid, 0},
		{"a call unknown to the kernel reaches it", probe_unknown_syscall, ENOSYS},
		{"clone3 returns ENOSYS", probe_clone3, ENOSYS},
		{"clone with CLONE_NEWUSER is denied", probe_clone_newuser, EPERM},
		{"unshare is denied", probe_unshare_user, EPERM},
		{"mount is denied", probe_mount, EPERM},
		{"keyctl is denied", probe_keyctl, EPERM},
		{"TCGETS reaches the kernel", probe_tcgets, ENOTTY},
#if defined(__x86_64__)
		{"int 0x80 kills the process", probe_int80, KILLED_BY(SIGSYS)},
#endif
	};
	struct fixture *f = *state;

	/* The init filter does not depend on the profile. */
	assert_int_equal(compile_text(f, "{\"defaultAction\": \"SCMP_ACT_ALLOW\"}"), 0);
	check_cases(&f->filters->init, cases, ARRAY_SIZE(cases));
}

static int probe_getppid(void)
{
	return result_of(syscall(SYS_getppid));
}

static int probe_getpgid(void)
{
	return result_of(syscall(SYS_getpgid, 0));
}

static int probe_getpgrp(void)
{
	return result_of(syscall(SYS_getpgrp));
}

static int probe_getuid(void)
{
	return result_of(syscall(SYS_getuid));
}

static int probe_geteuid(void)
{
	return result_of(syscall(SYS_geteuid));
}

static int probe_getsid(void)
{
	return result_of(syscall(SYS_getsid, 0));
}

static int probe_getrandom(void)
{
	char byte;

	return result_of(syscall(SYS_getrandom, &byte, 1, 0));
}

static int probe_fanotify_init(void)
{
	return result_of(syscall(SYS_fanotify_init, 0, 0));
}

static void test_seccomp_docker_shape_includes_and_excludes(void **state)
{
	static const struct filter_case cases[] = {
		{"includes a kept capability", probe_getppid, 0},
		{"includes CAP_SYS_ADMIN, not kept", probe_getpgid, EPERM},
		{"includes a future minKernel", probe_getpgrp, EPERM},
		{"excludes that match nothing", probe_getsid, 0},
		{"errnoRet of a rule", probe_getrandom, EINVAL},
		{"Docker's socket ranges deny AF_ALG", probe_socket_alg, EPERM},
		{"Docker's socket ranges allow AF_UNIX", probe_socket_unix, 0},
		{"clone3 returns ENOSYS", probe_clone3, ENOSYS},
		{"unshare gated on CAP_SYS_ADMIN", probe_unshare_user, EPERM},
		{"an unnamed call below the highest name", probe_fanotify_init, EPERM},
		{"a call above the highest name", probe_unknown_syscall, ENOSYS},
#if defined(__x86_64__)
		{"excludes the native arch", probe_getuid, EPERM},
		{"unconditional names", probe_geteuid, 0},
#endif
	};
	struct fixture *f = *state;

	assert_int_equal(sandbox_seccomp_compile(DOCKER_SHAPE, &f->filters, f->err, sizeof(f->err)),
			 0);
	check_cases(&f->filters->session, cases, ARRAY_SIZE(cases));
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_seccomp_default_profile_compiles),
	    TEST(test_seccomp_docker_shaped_profile_compiles),
	    TEST(test_seccomp_allow_all_skips_enosys_check),
	    TEST(test_seccomp_missing_file_is_named),
	    TEST(test_seccomp_broken_profiles_are_rejected),
	    TEST(test_seccomp_default_profile_filters_calls),
	    TEST(test_seccomp_init_filter_denies_namespaces),
	    TEST(test_seccomp_docker_shape_includes_and_excludes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
