/* Internal interface between seccomp.c (compiles and exports the filters)
 * and seccomp-profile.c (reads a profile in Docker's JSON format). Both run
 * in rexecd before the monitor starts, never in a sandbox. */
#ifndef REXEC_SECCOMP_INTERNAL_H
#define REXEC_SECCOMP_INTERNAL_H

#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

struct seccomp_profile {
	scmp_filter_ctx filter;  /* native architecture only */
	uint32_t default_action; /* SCMP_ACT_* */
	unsigned flags;          /* SECCOMP_FILTER_FLAG_* from "flags" */
	unsigned rule_count;     /* rules added, one per system call name */
	int highest_nr;          /* highest native system call number named, or -1 */
};

/* Reads the profile at path into a new libseccomp filter. The filter's
 * bad-architecture action kills the process. On failure returns a negative
 * errno, leaves nothing allocated and writes "PATH: what is wrong" into err. */
int sandbox_seccomp_profile_load(const char *path, struct seccomp_profile *profile, char *err,
				 size_t err_len);

/* Returns the native system call number of name: libseccomp's table first,
 * then the calls newer than the libseccomp this was built with. A name that
 * exists only on other architectures gives a negative pseudo number, an
 * unknown one __NR_SCMP_ERROR. */
int sandbox_seccomp_resolve_syscall(const char *name);

#endif
