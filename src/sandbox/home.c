/* Persistent homes, prepared by the monitor before the sandbox is cloned:
 * the choice between a plain directory, a directory with a project quota
 * and an ext4 image (home-image.c), and the directory cases themselves. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/dqblk_xfs.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/quota.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rexec/home.h"
#include "rexec/log.h"
#include "rexec/util.h"
#include "home-internal.h"
#include "sandbox-internal.h"

#ifndef SYS_quotactl_fd
#define SYS_quotactl_fd 443 /* Linux 5.14, on every architecture except alpha */
#endif

#define IMAGE_SUFFIX      ".img"
#define QUOTA_BLOCK_BYTES 1024 /* unit of dqb_bhardlimit (QIF_DQBLKSIZE) */

const char *home_quota_name(enum home_quota quota)
{
	return quota == HOME_QUOTA_PROJECT ? "project quota" : "loop image";
}

/* ---- project quota ---- */

static long quotactl_fd(int fd, unsigned cmd, int id, void *addr)
{
	return syscall(SYS_quotactl_fd, fd, cmd, id, addr);
}

enum home_quota home_probe_quota(const char *homes_dir)
{
	const uint16_t needed = FS_QUOTA_PDQ_ACCT | FS_QUOTA_PDQ_ENFD;
	cleanup_close int fd = open(homes_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct fs_quota_stat stat;

	if (fd < 0) {
		log_warn("cannot open %s to probe project quota: %s; using loop images", homes_dir,
			 strerror(errno));
		return HOME_QUOTA_LOOP_IMAGE;
	}
	memset(&stat, 0, sizeof(stat));
	stat.qs_version = FS_QSTAT_VERSION;
	/* ENOSYS: a kernel without CONFIG_QUOTA. ESRCH or ENOTSUP: quota is
	 * off on this filesystem, or the filesystem has none. */
	if (quotactl_fd(fd, QCMD(Q_XGETQSTAT, PRJQUOTA), 0, &stat) < 0) {
		log_info("no project quota on %s (%s); homes are loop-mounted ext4 images",
			 homes_dir, strerror(errno));
		return HOME_QUOTA_LOOP_IMAGE;
	}
	if ((stat.qs_flags & needed) != needed) {
		log_info("project quota on %s is not enforced (flags 0x%x); homes are "
			 "loop-mounted ext4 images",
			 homes_dir, (unsigned)stat.qs_flags);
		return HOME_QUOTA_LOOP_IMAGE;
	}
	log_info("project quota enforced on %s; homes are directories with a project quota",
		 homes_dir);
	return HOME_QUOTA_PROJECT;
}

/* Gives the directory its own project id, inherited by everything created
 * in it, and a hard block limit for that project. Only the init user
 * namespace may change a project id, so the sandbox cannot move files out.
 * NOTE: only the probe runs on the development VM, whose kernel has no
 * quota support; files already in the directory keep their old project. */
static int set_project_quota(int dir_fd, const struct home_params *p, char *err, size_t err_len)
{
	struct fsxattr attr;
	struct if_dqblk limit = {
	    .dqb_bhardlimit = (p->max_bytes + QUOTA_BLOCK_BYTES - 1) / QUOTA_BLOCK_BYTES,
	    .dqb_bsoftlimit = (p->max_bytes + QUOTA_BLOCK_BYTES - 1) / QUOTA_BLOCK_BYTES,
	    .dqb_valid = QIF_BLIMITS,
	};

	if (ioctl(dir_fd, FS_IOC_FSGETXATTR, &attr) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot read the attributes of %s",
				    p->path);
	if (attr.fsx_projid != p->project_id || !(attr.fsx_xflags & FS_XFLAG_PROJINHERIT)) {
		attr.fsx_projid = p->project_id;
		attr.fsx_xflags |= FS_XFLAG_PROJINHERIT;
		if (ioctl(dir_fd, FS_IOC_FSSETXATTR, &attr) < 0)
			return sandbox_fail(err, err_len, -errno, "cannot set project id %u on %s",
					    p->project_id, p->path);
	}
	if (quotactl_fd(dir_fd, QCMD(Q_SETQUOTA, PRJQUOTA), (int)p->project_id, &limit) < 0)
		return sandbox_fail(err, err_len, -errno,
				    "cannot set the quota of project %u for %s", p->project_id,
				    p->path);
	return 0;
}

/* ---- plain directories ---- */

/* Opens (creating it if missing) the last component of path beneath its
 * parent, never following a symlink there. Sets *created. */
static int open_or_create_dir(const char *path, bool *created, char *err, size_t err_len)
{
	const char *name = strrchr(path, '/') + 1;
	cleanup_free char *parent = strndup(path, name - path > 1 ? (size_t)(name - path - 1) : 1);
	cleanup_close int parent_fd = -1;
	int r, dir_fd;

	*created = false;
	if (!parent)
		return sandbox_fail(err, err_len, -ENOMEM, "cannot prepare %s", path);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || name[0] == '\0') {
		snprintf(err, err_len, "invalid home directory %s", path);
		return -EINVAL;
	}

	r = util_mkdir_p(parent, 0711);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot create %s", parent);
	parent_fd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (parent_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open %s", parent);
	if (mkdirat(parent_fd, name, 0700) == 0)
		*created = true;
	else if (errno != EEXIST)
		return sandbox_fail(err, err_len, -errno, "cannot create %s", path);
	dir_fd = openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dir_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open %s", path);
	return dir_fd;
}

/* Creates the directory home if missing (mode 0700, owned by the login
 * user) and checks the owner of an existing one, which may be another
 * user's. Returns an fd of the directory. */
static int prepare_dir(const struct home_params *p, char *err, size_t err_len)
{
	cleanup_close int dir_fd = -1;
	bool created;
	struct stat st;

	dir_fd = open_or_create_dir(p->path, &created, err, err_len);
	if (dir_fd < 0)
		return dir_fd;

	if (created) {
		if (fchown(dir_fd, p->owner, p->owner) < 0 || fchmod(dir_fd, 0700) < 0)
			return sandbox_fail(err, err_len, -errno, "cannot hand %s to uid %u",
					    p->path, (unsigned)p->owner);
		log_info("created home %s user=%s uid=%u", p->path, p->user, (unsigned)p->owner);
	} else if (fstat(dir_fd, &st) < 0) {
		return sandbox_fail(err, err_len, -errno, "cannot stat %s", p->path);
	} else if (st.st_uid != p->owner) {
		snprintf(err, err_len, "home %s of user=%s is owned by uid %u, expected %u",
			 p->path, p->user, (unsigned)st.st_uid, (unsigned)p->owner);
		return -EPERM;
	}
	return util_steal_fd(&dir_fd);
}

/* Clones the directory into a detached mount, nosuid and nodev. */
static int clone_dir(int dir_fd, const char *path, char *err, size_t err_len)
{
	/* A clone keeps the source's peer group. On a host where / is shared
	 * (systemd), mounts would then propagate between the host's copy of
	 * the home and the sandbox's, so the clone is made private. */
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV,
				  .propagation = MS_PRIVATE};
	cleanup_close int tree_fd = open_tree(
	    dir_fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);

	if (tree_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot clone the mount of %s", path);
	if (mount_setattr(tree_fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot set nosuid,nodev,private on %s",
				    path);
	return util_steal_fd(&tree_fd);
}

static int open_dir_home(const struct home_params *p, struct home *home, char *err, size_t err_len)
{
	cleanup_close int dir_fd = prepare_dir(p, err, err_len);
	int r;

	if (dir_fd < 0)
		return dir_fd;
	if (p->quota == HOME_QUOTA_PROJECT && p->max_bytes > 0) {
		r = set_project_quota(dir_fd, p, err, err_len);
		if (r < 0)
			return r;
	}
	home->tree_fd = clone_dir(dir_fd, p->path, err, err_len);
	return home->tree_fd < 0 ? home->tree_fd : 0;
}

/* A directory from before size limits stays in use until it is migrated. */
static bool use_legacy_dir(const struct home_params *p)
{
	struct stat st;

	if (lstat(p->path, &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	log_warn("home of user=%s is the plain directory %s without a size limit; move its files "
		 "into a home image to apply the tier's home size",
		 p->user, p->path);
	return true;
}

static struct home *home_new(const struct home_params *p)
{
	struct home *home = calloc(1, sizeof(*home));

	if (!home)
		return NULL;
	home->tree_fd = -1;
	home->loop_nr = -1;
	home->user = strdup(p->user);
	if (!home->user) {
		free(home);
		return NULL;
	}
	return home;
}

static void home_free(struct home *home)
{
	util_closep(&home->tree_fd);
	free(home->image);
	free(home->user);
	free(home);
}

int home_open(const struct home_params *params, struct home **out, char *err, size_t err_len)
{
	struct home *home = home_new(params);
	cleanup_free char *image = NULL;
	struct stat st;
	bool have_image;
	int r;

	*out = NULL;
	if (!home || asprintf(&image, "%s%s", params->path, IMAGE_SUFFIX) < 0) {
		free(home ? home->user : NULL);
		free(home);
		return sandbox_fail(err, err_len, -ENOMEM, "cannot prepare the home of %s",
				    params->user);
	}

	/* An image, once it exists, stays the home, even when the tier's home
	 * size became 0, so that the user's files never vanish from view. */
	have_image = lstat(image, &st) == 0;
	if (!have_image && (params->max_bytes == 0 || params->quota == HOME_QUOTA_PROJECT ||
			    use_legacy_dir(params))) {
		r = open_dir_home(params, home, err, err_len);
	} else {
		home->image = image;
		image = NULL;
		r = home_image_open(params, home, err, err_len);
	}
	if (r < 0) {
		home_close(home);
		return r;
	}
	*out = home;
	return 0;
}

void home_close(struct home *home)
{
	int busy;

	if (!home)
		return;
	util_closep(&home->tree_fd);
	if (home->image && home->loop_nr >= 0) {
		busy = home_image_wait_release(home->image, home->loop_nr);
		if (busy >= 0)
			log_warn("home image %s of user=%s is still attached to /dev/loop%d after "
				 "%d ms",
				 home->image, home->user, busy, HOME_LOOP_RELEASE_MS);
	}
	home_free(home);
}
