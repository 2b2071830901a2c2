/* Privilege separation for the network process: the empty chroot
 * directory, fd hygiene after fork, and the drop itself (ids,
 * capabilities, no_new_privs, parent-death signal). The seccomp allowlist
 * is in seccomp.c. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "rexec/audit.h"
#include "rexec/log.h"
#include "rexec/privdrop.h"
#include "rexec/server.h"
#include "rexec/util.h"

/* Capability numbers are below 64 on every kernel so far; PR_CAPBSET_DROP
 * returns EINVAL for a number the kernel does not have. */
#define CAP_NUMBER_LIMIT 64

/* ---- the chroot directory ---- */

/* A directory on the way to the chroot must be owned and writable only by
 * root, or another user could swap or fill it. */
static int check_dir(int fd, const char *path, char *err, size_t err_len)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return util_fail(err, err_len, -errno, "cannot stat %s", path);
	if (st.st_uid != 0)
		return util_fail(err, err_len, -EPERM, "%s is owned by uid %u, expected root", path,
			    (unsigned)st.st_uid);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return util_fail(err, err_len, -EPERM,
			    "%s has mode %04o; it must not be writable by group or others", path,
			    (unsigned)(st.st_mode & 07777));
	return 0;
}

static int check_empty(int fd, const char *path, char *err, size_t err_len)
{
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	struct dirent *entry;
	DIR *dir;
	int r = 0;

	if (copy < 0)
		return util_fail(err, err_len, -errno, "cannot read %s", path);
	dir = fdopendir(copy);
	if (!dir) {
		r = -errno;
		close(copy);
		return util_fail(err, err_len, r, "cannot read %s", path);
	}
	errno = 0;
	while ((entry = readdir(dir)) != NULL) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		r = util_fail(err, err_len, -ENOTEMPTY, "%s must be empty but contains \"%s\"", path,
			 entry->d_name);
		break;
	}
	if (!entry && errno != 0)
		r = util_fail(err, err_len, -errno, "cannot read %s", path);
	closedir(dir);
	return r;
}

/* Opens path one component at a time without following symlinks, checks
 * every directory on the way, and with create makes missing components
 * (mode 0755). Returns the fd of the final directory, checked to be empty. */
static int open_chroot_dir(const char *path, bool create, char *err, size_t err_len)
{
	char walked[PATH_MAX] = "";
	char *copy, *save = NULL, *name;
	int fd, r;

	if (path[0] != '/' || strlen(path) >= sizeof(walked))
		return util_fail(err, err_len, -EINVAL, "NetworkChroot %s is not an absolute path",
			    path);
	copy = strdup(path);
	if (!copy)
		return util_fail(err, err_len, -ENOMEM, "cannot check %s", path);
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = util_fail(err, err_len, -errno, "cannot open /");
		goto out;
	}
	r = check_dir(fd, "/", err, err_len);

	for (name = strtok_r(copy, "/", &save); r == 0 && name; name = strtok_r(NULL, "/", &save)) {
		int next;

		snprintf(walked + strlen(walked), sizeof(walked) - strlen(walked), "/%s", name);
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
			r = util_fail(err, err_len, -EINVAL, "NetworkChroot %s contains \"%s\"", path,
				 name);
			break;
		}
		if (create && mkdirat(fd, name, 0755) == 0) {
			log_info("created %s for the network process's chroot", walked);
		} else if (create && errno != EEXIST) {
			r = util_fail(err, err_len, -errno, "cannot create %s", walked);
			break;
		}
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			r = util_fail(err, err_len, -errno, "cannot open %s (a symlink is not allowed)",
				 walked);
			break;
		}
		close(fd);
		fd = next;
		r = check_dir(fd, walked, err, err_len);
	}
	if (r == 0)
		r = check_empty(fd, path, err, err_len);

out:
	free(copy);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	return fd;
}

int privdrop_prepare(const struct config *cfg, struct privdrop_target *target, char *err,
		     size_t err_len)
{
	struct passwd *pw;
	int fd;

	memset(target, 0, sizeof(*target));
	if (snprintf(target->user, sizeof(target->user), "%s", cfg->network_user) >=
		    (int)sizeof(target->user) ||
	    snprintf(target->chroot_dir, sizeof(target->chroot_dir), "%s", cfg->network_chroot) >=
		    (int)sizeof(target->chroot_dir))
		return util_fail(err, err_len, -ENAMETOOLONG, "NetworkUser or NetworkChroot too long");

	errno = 0;
	pw = getpwnam(cfg->network_user);
	if (!pw)
		return util_fail(err, err_len, errno ? -errno : -ENOENT,
			    "NetworkUser %s not found; create it with: useradd --system "
			    "--no-create-home --shell /usr/sbin/nologin %s",
			    cfg->network_user, cfg->network_user);
	if (pw->pw_uid == 0 || pw->pw_gid == 0)
		return util_fail(err, err_len, -EINVAL,
			    "NetworkUser %s has uid %u and gid %u; it must not be root or in "
			    "group root",
			    cfg->network_user, (unsigned)pw->pw_uid, (unsigned)pw->pw_gid);
	target->uid = pw->pw_uid;
	target->gid = pw->pw_gid;
	target->monitor_pid = getpid();

	fd = open_chroot_dir(cfg->network_chroot, true, err, err_len);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* ---- fds and the parent ---- */

static int compare_fds(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int privdrop_close_inherited_fds(const struct server_params *params)
{
	size_t count = 0;
	int *keep = calloc(params->listen_count + 6, sizeof(*keep));
	int next = 0;

	if (!keep)
		return -ENOMEM;
	keep[count++] = 0;
	keep[count++] = 1;
	keep[count++] = 2;
	keep[count++] = params->monitor_fd;
	keep[count++] = params->monitor_key_fd;
	if (audit_fileno() >= 0)
		keep[count++] = audit_fileno();
	for (size_t i = 0; i < params->listen_count; i++)
		keep[count++] = params->listen_fds[i];
	qsort(keep, count, sizeof(*keep), compare_fds);

	/* close_range over every gap between kept fds, then past the last. */
	for (size_t i = 0; i < count; i++) {
		if (keep[i] > next && close_range((unsigned)next, (unsigned)keep[i] - 1, 0) < 0)
			goto fail;
		if (keep[i] >= next)
			next = keep[i] + 1;
	}
	if (close_range((unsigned)next, ~0U, 0) < 0)
		goto fail;
	free(keep);

	/* glibc's syslog socket was among the closed fds; a fresh one is
	 * connected now, while /dev/log is still reachable. */
	log_reopen();
	return 0;

fail:
	free(keep);
	return -errno;
}

int privdrop_watch_parent(pid_t expected_parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0)
		return -errno;
	if (getppid() != expected_parent)
		return -ESRCH;
	return 0;
}

/* ---- the drop ---- */

/* Runs, while files are still reachable, what would otherwise read them
 * later: OpenSSL seeds its random generator (getrandom, or /dev/urandom
 * where that is missing) and glibc reads /etc/localtime for syslog's
 * timestamps. OpenSSL reads its configuration at its first use, which the
 * host key load has been. */
static int initialise_lazy_state(char *err, size_t err_len)
{
	unsigned char sample[32];

	if (RAND_bytes(sample, sizeof(sample)) != 1)
		return util_fail(err, err_len, -EIO, "OpenSSL's random generator failed to start");
	explicit_bzero(sample, sizeof(sample));
	tzset();
	return 0;
}

static int enter_chroot(const struct privdrop_target *target, char *err, size_t err_len)
{
	int fd = open_chroot_dir(target->chroot_dir, false, err, err_len);

	if (fd < 0)
		return fd;
	if (fchdir(fd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		int r = -errno;

		close(fd);
		return util_fail(err, err_len, r, "cannot chroot to %s", target->chroot_dir);
	}
	close(fd);
	return 0;
}

/* The bounding set needs CAP_SETPCAP to shrink, so it goes before the uid
 * changes. */
static int drop_bounding_set(char *err, size_t err_len)
{
	for (int cap = 0; cap < CAP_NUMBER_LIMIT; cap++) {
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return util_fail(err, err_len, -errno, "cannot drop capability %d from the "
							  "bounding set",
				    cap);
	}
	return 0;
}

static int switch_ids(const struct privdrop_target *target, char *err, size_t err_len)
{
	if (setgroups(0, NULL) < 0)
		return util_fail(err, err_len, -errno, "cannot clear the supplementary groups");
	if (setresgid(target->gid, target->gid, target->gid) < 0)
		return util_fail(err, err_len, -errno, "cannot switch to gid %u", (unsigned)target->gid);
	if (setresuid(target->uid, target->uid, target->uid) < 0)
		return util_fail(err, err_len, -errno, "cannot switch to uid %u", (unsigned)target->uid);
	return 0;
}

/* Leaving uid 0 has cleared the permitted, effective and ambient sets;
 * this also empties the inheritable set and the ambient set explicitly. */
static int clear_capabilities(char *err, size_t err_len)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &header, data) < 0)
		return util_fail(err, err_len, -errno, "cannot clear the capability sets");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return util_fail(err, err_len, -errno, "cannot clear the ambient capabilities");
	return 0;
}

/* Checks the result instead of trusting the calls above: ids, groups,
 * every capability set, and that root cannot be regained. */
static int verify_dropped(const struct privdrop_target *target, char *err, size_t err_len)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
		return util_fail(err, err_len, -errno, "cannot read the process ids");
	if (ruid != target->uid || euid != target->uid || suid != target->uid ||
	    rgid != target->gid || egid != target->gid || sgid != target->gid)
		return util_fail(err, err_len, -EPERM, "ids did not change to uid %u gid %u",
			    (unsigned)target->uid, (unsigned)target->gid);
	if (getgroups(0, NULL) != 0)
		return util_fail(err, err_len, -EPERM, "supplementary groups remain");
	if (setresuid(0, 0, 0) == 0 || errno != EPERM)
		return util_fail(err, err_len, -EPERM, "uid 0 can still be regained");

	if (syscall(SYS_capget, &header, data) < 0)
		return util_fail(err, err_len, -errno, "cannot read the capability sets");
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		if (data[i].effective || data[i].permitted || data[i].inheritable)
			return util_fail(err, err_len, -EPERM, "capabilities remain");
	}
	for (int cap = 0; cap < CAP_NUMBER_LIMIT; cap++) {
		int in_bounding = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (in_bounding > 0)
			return util_fail(err, err_len, -EPERM, "capability %d remains in the bounding set",
				    cap);
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) > 0)
			return util_fail(err, err_len, -EPERM, "capability %d remains ambient", cap);
	}
	return 0;
}

int privdrop_apply(const struct privdrop_target *target, char *err, size_t err_len)
{
	int r;

	r = initialise_lazy_state(err, err_len);
	if (r == 0)
		r = enter_chroot(target, err, err_len);
	if (r == 0)
		r = drop_bounding_set(err, err_len);
	if (r == 0)
		r = switch_ids(target, err, err_len);
	if (r == 0)
		r = clear_capabilities(err, err_len);
	if (r == 0)
		r = verify_dropped(target, err, err_len);
	if (r < 0)
		return r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return util_fail(err, err_len, -errno, "cannot set no_new_privs");
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return util_fail(err, err_len, -errno, "cannot clear the dumpable flag");
	/* The kernel clears the parent-death signal when the effective uid
	 * changes, so it is set again here, and the parent checked again. */
	r = privdrop_watch_parent(target->monitor_pid);
	if (r < 0)
		return util_fail(err, err_len, r, "the monitor pid=%d is gone",
			    (int)target->monitor_pid);
	return privdrop_load_seccomp(err, err_len);
}
