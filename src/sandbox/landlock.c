/* Landlock ruleset of a sandbox, applied once by the sandbox init after
 * setup, so that init and every session share one Landlock domain.
 *
 * Landlock is defense in depth behind the mount layout: the root is
 * already read-only, but should a writable mount appear where it should
 * not, Landlock still allows writes only beneath the paths listed here.
 * Sessions share init's domain rather than each getting its own, because
 * with scoped signals (ABI 6) a session could then not signal the
 * processes of the same user's other sessions.
 *
 * Rights the running kernel lacks are left out, following its ABI version:
 * 1 (Linux 5.13) file system rights, 2 (5.19) REFER, 3 (6.2) TRUNCATE,
 * 5 (6.10) IOCTL_DEV, 6 (6.12) scoped abstract unix sockets and signals.
 * Network rights (ABI 4) are not handled: the network namespace decides
 * what a sandbox can reach. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rexec/sandbox.h"
#include "rexec/util.h"
#include "sandbox-internal.h"

/* Constants newer than the kernel headers of Debian 12. */
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#ifndef LANDLOCK_ACCESS_FS_IOCTL_DEV
#define LANDLOCK_ACCESS_FS_IOCTL_DEV (1ULL << 15)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
#ifndef LANDLOCK_SCOPE_SIGNAL
#define LANDLOCK_SCOPE_SIGNAL (1ULL << 1)
#endif

/* struct landlock_ruleset_attr as of ABI 6. The kernel accepts the larger
 * struct from older ABIs as long as the fields they lack are zero. */
struct ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

#define FS_READ_EXECUTE                                                                            \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)
#define FS_DEVICE_USE                                                                              \
	(LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE |                            \
	 LANDLOCK_ACCESS_FS_TRUNCATE | LANDLOCK_ACCESS_FS_IOCTL_DEV)
/* Nothing in a sandbox may create device nodes. */
#define FS_NO_DEVICES (LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_BLOCK)

struct landlock_path {
	const char *path;
	uint64_t access; /* ANDed with what the ruleset handles */
};

/* UINT64_MAX: every handled right but FS_NO_DEVICES. The writable paths
 * are the tmpfs mounts and the home that mounts.c creates. */
static const struct landlock_path allowed_paths[] = {
    {"/", FS_READ_EXECUTE},         {SANDBOX_HOME_PATH, UINT64_MAX},
    {"/tmp", UINT64_MAX},           {"/var/tmp", UINT64_MAX},
    {"/run", UINT64_MAX},           {"/var/run", UINT64_MAX},
    {"/root", UINT64_MAX},          {"/dev/shm", UINT64_MAX},
    {"/dev/pts", FS_DEVICE_USE},    {"/dev/null", FS_DEVICE_USE},
    {"/dev/zero", FS_DEVICE_USE},   {"/dev/full", FS_DEVICE_USE},
    {"/dev/random", FS_DEVICE_USE}, {"/dev/urandom", FS_DEVICE_USE},
    {"/dev/tty", FS_DEVICE_USE},
};

/* Rights that Landlock accepts on a rule for a file that is not a
 * directory. */
#define FS_FILE_RIGHTS                                                                             \
	(LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |                              \
	 LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_TRUNCATE |                              \
	 LANDLOCK_ACCESS_FS_IOCTL_DEV)

int sandbox_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);

	return abi < 0 ? -errno : (int)abi;
}

static uint64_t handled_fs_rights(int abi)
{
	uint64_t rights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE |
			  LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR |
			  LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
			  LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR |
			  LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_MAKE_SOCK |
			  LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
			  LANDLOCK_ACCESS_FS_MAKE_SYM;

	/* NOTE: on ABI 1 the kernel denies every rename or link into another
	 * directory, even within a writable tree. mv then falls back to
	 * copying. */
	if (abi >= 2)
		rights |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
	if (abi >= 5)
		rights |= LANDLOCK_ACCESS_FS_IOCTL_DEV;
	return rights;
}

/* Adds a rule for one path. A path that does not exist is skipped. */
static int add_path_rule(int ruleset_fd, const struct landlock_path *entry, uint64_t handled,
			 char *err, size_t err_len)
{
	struct landlock_path_beneath_attr rule = {0};
	cleanup_close int fd = open(entry->path, O_PATH | O_CLOEXEC);
	struct stat st;

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open %s for Landlock",
				    entry->path);

	rule.parent_fd = fd;
	rule.allowed_access = entry->access & handled & ~FS_NO_DEVICES;
	if (!S_ISDIR(st.st_mode))
		rule.allowed_access &= FS_FILE_RIGHTS;
	if (syscall(SYS_landlock_add_rule, ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot add the Landlock rule for %s",
				    entry->path);
	return 0;
}

int sandbox_landlock_restrict(char *err, size_t err_len)
{
	struct ruleset_attr attr = {0};
	cleanup_close int ruleset_fd = -1;
	int abi = sandbox_landlock_abi();
	size_t i;
	int r;

	/* The kernel returns ENOSYS when it is built without Landlock and
	 * EOPNOTSUPP when Landlock is disabled at boot. rexecd logs that once
	 * at startup. */
	if (abi == -ENOSYS || abi == -EOPNOTSUPP)
		return 0;
	if (abi < 0)
		return sandbox_fail(err, err_len, abi, "cannot read the Landlock ABI version");

	attr.handled_access_fs = handled_fs_rights(abi);
	if (abi >= 6)
		attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET | LANDLOCK_SCOPE_SIGNAL;
	ruleset_fd = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset_fd < 0)
		return sandbox_fail(err, err_len, -errno,
				    "cannot create a Landlock ruleset (ABI %d)", abi);

	for (i = 0; i < ARRAY_SIZE(allowed_paths); i++) {
		r = add_path_rule(ruleset_fd, &allowed_paths[i], attr.handled_access_fs, err,
				  err_len);
		if (r < 0)
			return r;
	}
	if (syscall(SYS_landlock_restrict_self, ruleset_fd, 0) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot enforce the Landlock ruleset");
	return 0;
}
