/* The sandbox's seccomp filters, compiled once by rexecd at startup.
 *
 * sandbox_seccomp_compile reads the SeccompProfile file (Docker's JSON
 * profile format), builds a filter for the native architecture only with
 * libseccomp and exports it as a classic BPF program into memory. Each
 * sandbox gets a pointer to the result in its cloned memory: the sandbox
 * init loads the fixed init filter once setup is done, and every session
 * loads the profile's filter right before execve.
 *
 * Both programs kill the process on a system call of any other
 * architecture (32-bit int 0x80 and x32 calls on x86_64). */
#ifndef REXEC_SECCOMP_H
#define REXEC_SECCOMP_H

#include <linux/filter.h>
#include <stddef.h>

#define SANDBOX_SECCOMP_ERROR_MAX 512

struct sandbox_seccomp_program {
	struct sock_filter *insns;
	unsigned short insn_count;
	unsigned flags; /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
};

struct sandbox_seccomp {
	/* The profile. With an allowlist profile (default action neither
	 * allow nor log), a prologue makes every system call number above
	 * the highest one the profile names return ENOSYS, so that glibc
	 * falls back from system calls newer than the profile. */
	struct sandbox_seccomp_program session;
	/* A fixed denylist that the profile cannot loosen: mounts,
	 * namespaces, keyrings, bpf, io_uring, userfaultfd, perf events,
	 * kexec, modules, swap, reboot. Init needs none of them after setup,
	 * and every session inherits it. */
	struct sandbox_seccomp_program init;
	unsigned rule_count;   /* profile rules added to the filter */
	unsigned enosys_above; /* 0 when the profile is not an allowlist */
};

/* Compiles both programs. On failure returns a negative errno and err
 * names the profile file and what is wrong with it (JSON syntax with line
 * and column, unknown system call, action, operator or key). */
int sandbox_seccomp_compile(const char *profile_path, struct sandbox_seccomp **out, char *err,
			    size_t err_len);

void sandbox_seccomp_free(struct sandbox_seccomp *filters);

#endif
