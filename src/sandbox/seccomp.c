/* The sandbox's seccomp filters: compiled once in rexecd, loaded in the
 * sandbox.
 *
 * libseccomp builds each filter and exports it as classic BPF. The BPF
 * lives in the monitor's memory, which every sandbox init gets a copy of
 * when it is cloned, so a sandbox never reads the profile file and never
 * runs libseccomp's compiler. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rexec/seccomp.h"
#include "rexec/util.h"
#include "sandbox-internal.h"
#include "seccomp-internal.h"

/* CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC |
 * CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET */
#define CLONE_NAMESPACE_FLAGS 0x7E020000ULL

#ifndef X32_SYSCALL_BIT
#define X32_SYSCALL_BIT 0x40000000U
#endif

/* What the sandbox init denies itself once setup is done. Every session
 * inherits this filter, so the profile cannot allow these calls. Docker's
 * default profile denies each of them too, for a container without
 * CAP_SYS_ADMIN, CAP_SYS_BOOT, CAP_SYS_MODULE, CAP_BPF and CAP_PERFMON. */
static const char *const init_denied_syscalls[] = {
    /* mounts and namespaces */
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "open_tree",
    "open_tree_attr",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    /* kernel keyrings, which are not namespaced */
    "keyctl",
    "add_key",
    "request_key",
    /* large kernel attack surface */
    "bpf",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "userfaultfd",
    "perf_event_open",
    /* the host itself */
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "swapon",
    "swapoff",
    "reboot",
};

/* Exports the filter as BPF into a malloc'd program. libseccomp 2.5 writes
 * BPF only to an fd, so it goes through a memfd. */
static int export_program(scmp_filter_ctx filter, struct sandbox_seccomp_program *prog, char *err,
			  size_t err_len)
{
	cleanup_close int fd = memfd_create("rexec-seccomp", MFD_CLOEXEC);
	struct stat st;
	ssize_t n;
	int r;

	if (fd < 0)
		return sandbox_fail(err, err_len, -errno, "memfd_create failed");
	r = seccomp_export_bpf(filter, fd);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "libseccomp cannot export the filter");
	if (fstat(fd, &st) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot stat the exported filter");
	if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0 ||
	    st.st_size / sizeof(struct sock_filter) > BPF_MAXINSNS)
		return sandbox_fail(err, err_len, -E2BIG,
				    "the filter has %lld bytes of BPF, more than the kernel's "
				    "%d instructions",
				    (long long)st.st_size, BPF_MAXINSNS);

	prog->insns = malloc((size_t)st.st_size);
	if (!prog->insns)
		return sandbox_fail(err, err_len, -ENOMEM, "cannot store the filter");
	n = pread(fd, prog->insns, (size_t)st.st_size, 0);
	if (n != st.st_size)
		return sandbox_fail(err, err_len, n < 0 ? -errno : -EIO,
				    "cannot read back the exported filter");
	prog->insn_count = (unsigned short)(st.st_size / sizeof(struct sock_filter));
	return 0;
}

/* Puts a check in front of prog that makes every native system call
 * number above highest_nr fail with ENOSYS. With EPERM, the default of an
 * allowlist, glibc would report an error where it falls back for a system
 * call the kernel lacks (clone3 on glibc 2.34+, for example). Runs first,
 * so it applies before libseccomp's rules; other architectures and x32
 * numbers fall through to libseccomp's own architecture check. */
static int prepend_enosys_check(struct sandbox_seccomp_program *prog, uint32_t highest_nr,
				char *err, size_t err_len)
{
	struct sock_filter check[8];
	struct sock_filter *grown;
	unsigned n = 0, skip_to_filter;

	check[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						  offsetof(struct seccomp_data, arch));
	check[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_native(),
						  0, 0 /* set below */);
	check[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						  offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
	check[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, 2, 0);
#endif
	check[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, highest_nr, 0, 1);
	check[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	/* The architecture test jumps past the rest of the check. */
	skip_to_filter = n - 2;
	check[1].jf = (unsigned char)skip_to_filter;

	if (prog->insn_count + n > BPF_MAXINSNS)
		return sandbox_fail(err, err_len, -E2BIG,
				    "the filter has more than the kernel's %d instructions",
				    BPF_MAXINSNS);
	grown = malloc((prog->insn_count + n) * sizeof(*grown));
	if (!grown)
		return sandbox_fail(err, err_len, -ENOMEM, "cannot store the filter");
	memcpy(grown, check, n * sizeof(*grown));
	memcpy(grown + n, prog->insns, prog->insn_count * sizeof(*grown));
	free(prog->insns);
	prog->insns = grown;
	prog->insn_count = (unsigned short)(prog->insn_count + n);
	return 0;
}

static int compile_profile(const char *profile_path, struct sandbox_seccomp *sc, char *err,
			   size_t err_len)
{
	struct seccomp_profile profile;
	bool allowlist;
	int r;

	r = sandbox_seccomp_profile_load(profile_path, &profile, err, err_len);
	if (r < 0)
		return r;
	sc->session.flags = profile.flags;
	sc->rule_count = profile.rule_count;
	r = export_program(profile.filter, &sc->session, err, err_len);
	seccomp_release(profile.filter);
	if (r < 0)
		return r;

	allowlist =
	    profile.default_action != SCMP_ACT_ALLOW && profile.default_action != SCMP_ACT_LOG;
	if (!allowlist || profile.highest_nr < 0)
		return 0;
	sc->enosys_above = (unsigned)profile.highest_nr;
	return prepend_enosys_check(&sc->session, (uint32_t)profile.highest_nr, err, err_len);
}

static int add_init_rules(scmp_filter_ctx filter)
{
	uint64_t bit;
	size_t i;
	int r;

	for (i = 0; i < ARRAY_SIZE(init_denied_syscalls); i++) {
		int nr = sandbox_seccomp_resolve_syscall(init_denied_syscalls[i]);

		if (nr < 0)
			continue;
		r = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), nr, 0);
		if (r < 0)
			return r;
	}

	/* libseccomp ORs rules, so one rule per flag denies any of them. */
	for (bit = 1; bit <= CLONE_NAMESPACE_FLAGS; bit <<= 1) {
		if (!(CLONE_NAMESPACE_FLAGS & bit))
			continue;
		r = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				     SCMP_A0(SCMP_CMP_MASKED_EQ, bit, bit));
		if (r < 0)
			return r;
	}
	/* clone3 passes its flags in memory, which seccomp cannot read. */
	return seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
}

static int compile_init_filter(struct sandbox_seccomp *sc, char *err, size_t err_len)
{
	scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (!filter)
		return sandbox_fail(err, err_len, -ENOMEM, "libseccomp cannot create a filter");
	r = seccomp_attr_set(filter, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r == 0)
		r = add_init_rules(filter);
	if (r < 0) {
		seccomp_release(filter);
		return sandbox_fail(err, err_len, r, "cannot build the sandbox init's filter");
	}
	r = export_program(filter, &sc->init, err, err_len);
	seccomp_release(filter);
	return r;
}

int sandbox_seccomp_compile(const char *profile_path, struct sandbox_seccomp **out, char *err,
			    size_t err_len)
{
	struct sandbox_seccomp *sc = calloc(1, sizeof(*sc));
	int r;

	*out = NULL;
	if (!sc)
		return sandbox_fail(err, err_len, -ENOMEM, "cannot compile the seccomp filters");
	r = compile_profile(profile_path, sc, err, err_len);
	if (r == 0)
		r = compile_init_filter(sc, err, err_len);
	if (r < 0) {
		sandbox_seccomp_free(sc);
		return r;
	}
	*out = sc;
	return 0;
}

void sandbox_seccomp_free(struct sandbox_seccomp *sc)
{
	if (!sc)
		return;
	free(sc->session.insns);
	free(sc->init.insns);
	free(sc);
}

/* The caller must have set no_new_privs, because the sandbox has no
 * CAP_SYS_ADMIN. Speculative store bypass mitigation stays on unless the
 * profile's flags ask for SECCOMP_FILTER_FLAG_SPEC_ALLOW. */
int sandbox_seccomp_load(const struct sandbox_seccomp_program *prog)
{
	struct sock_fprog fprog = {.len = prog->insn_count, .filter = prog->insns};

	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, prog->flags, &fprog) < 0)
		return -errno;
	return 0;
}
