/* The sandbox's root filesystem, built by the sandbox init in its own mount
 * namespace.
 *
 * The new root is an empty tmpfs. Everything else is attached to it with
 * the mount API of Linux 5.2+ (fsopen/fsmount, open_tree, move_mount) and
 * mount_setattr (5.12): every mount target is named relative to a directory
 * fd, so no path is looked up twice, and mount_setattr only adds the
 * attributes it is given. That matters because mounts copied from the host
 * into a user namespace have their nosuid/nodev/noexec/ro flags locked: a
 * classic bind remount that omits one fails with EPERM, while as real root
 * it would silently clear them.
 *
 * Host /var is not visible, because it contains rexecd's state. The host's
 * /etc is visible read-only, with its secrets masked and its account files
 * replaced. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "rexec/sandbox.h"
#include "rexec/util.h"
#include "sandbox-internal.h"

/* The host directory the new root's tmpfs is attached to before
 * pivot_root. The mount exists only in this process's private mount
 * namespace. */
#define STAGING_MOUNTPOINT "/tmp"
/* Generated /etc files are written here in the new root, bind-mounted into
 * /etc, then unlinked. */
#define GENERATED_DIR ".rexec-generated"

#define ATTR_HARDENED (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

struct device_node {
	const char *name;
	unsigned major, minor;
};

/* The only device nodes in a sandbox, bound from the host's /dev after
 * checking their numbers, because mknod is impossible in a user namespace. */
static const struct device_node device_nodes[] = {
    {"null", 1, 3},   {"zero", 1, 5},    {"full", 1, 7},
    {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
};

struct tmpfs_mount {
	const char *path;
	const char *options;
	unsigned attrs;
};

static const struct tmpfs_mount scratch_tmpfs[] = {
    {"tmp", "size=100m,mode=1777", ATTR_HARDENED},
    {"var/tmp", "size=50m,mode=1777", ATTR_HARDENED},
    {"run", "size=50m,mode=755", ATTR_HARDENED},
    {"var/run", "size=50m,mode=755", ATTR_HARDENED},
    {"root", "size=50m,mode=700", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV},
};

/* Host paths that are symlinks into /usr on merged-/usr systems (Debian 12)
 * and directories elsewhere. */
static const char *const host_lib_paths[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};

static const char *const etc_masked[] = {"shadow", "gshadow", "shadow-", "gshadow-", "rexec"};

static const char *const proc_masked[] = {
    "acpi",       "asound",      "kcore",       "keys", "latency_stats",
    "timer_list", "timer_stats", "sched_debug", "scsi", "interrupts",
};
static const char *const proc_readonly[] = {"bus", "fs", "irq", "sys", "sysrq-trigger"};
/* fs/cgroup: the host's cgroup trees name every other sandbox's user. */
static const char *const sys_masked[] = {"firmware", "kernel", "devices/virtual/powercap",
					 "fs/cgroup"};

/* Creates a detached mount of a new filesystem. options is a comma-separated
 * "key=value" or "flag" list. Returns the mount fd or a negative errno. */
static int new_filesystem(const char *fstype, const char *options, unsigned attrs)
{
	cleanup_free char *copy = strdup(options);
	cleanup_close int fs_fd = -1;
	char *option, *save = NULL;
	int mount_fd;

	if (!copy)
		return -ENOMEM;
	fs_fd = fsopen(fstype, FSOPEN_CLOEXEC);
	if (fs_fd < 0)
		return -errno;

	for (option = strtok_r(copy, ",", &save); option; option = strtok_r(NULL, ",", &save)) {
		char *value = strchr(option, '=');
		int r;

		if (value) {
			*value++ = '\0';
			r = fsconfig(fs_fd, FSCONFIG_SET_STRING, option, value, 0);
		} else {
			r = fsconfig(fs_fd, FSCONFIG_SET_FLAG, option, NULL, 0);
		}
		if (r < 0)
			return -errno;
	}
	if (fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return -errno;

	mount_fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, attrs);
	return mount_fd < 0 ? -errno : mount_fd;
}

/* Clones the mount at dirfd/path (path "" for dirfd itself) into a
 * detached tree and adds attrs to every mount in it. Returns the tree's fd
 * or a negative errno. */
static int clone_tree(int dirfd, const char *path, bool recursive, unsigned attrs)
{
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW;
	struct mount_attr attr = {.attr_set = attrs};
	int tree_fd;

	if (recursive)
		flags |= AT_RECURSIVE;
	if (path[0] == '\0')
		flags |= AT_EMPTY_PATH;
	tree_fd = open_tree(dirfd, path, flags);
	if (tree_fd < 0)
		return -errno;

	if (attrs && mount_setattr(tree_fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0),
				   &attr, sizeof(attr)) < 0) {
		int r = -errno;

		close(tree_fd);
		return r;
	}
	return tree_fd;
}

/* Attaches a detached mount at dirfd/path, or on dirfd itself for "". */
static int attach(int mount_fd, int dirfd, const char *path)
{
	unsigned flags = MOVE_MOUNT_F_EMPTY_PATH;

	if (path[0] == '\0')
		flags |= MOVE_MOUNT_T_EMPTY_PATH;
	if (move_mount(mount_fd, "", dirfd, path, flags) < 0)
		return -errno;
	return 0;
}

static int make_dir(int dirfd, const char *path, mode_t mode)
{
	if (mkdirat(dirfd, path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Opens a host device node with O_PATH after checking that it is the
 * expected character device, so a planted file is never bound instead. */
static int open_device(int dirfd, const char *path, unsigned major_nr, unsigned minor_nr)
{
	struct stat st;
	int fd = openat(dirfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(major_nr, minor_nr)) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}

/* Hides dirfd/path: a directory under an empty read-only tmpfs, anything
 * else under the verified /dev/null. A missing path is fine. A symlink is
 * not, because masking it would leave its target readable. */
static int mask_path(int dirfd, const char *path, int devnull_fd, char *err, size_t err_len)
{
	cleanup_close int target_fd = openat(dirfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int tree_fd = -1;
	struct stat st;
	int r;

	if (target_fd < 0 && errno == ENOENT)
		return 0;
	if (target_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open %s to mask it", path);
	if (fstat(target_fd, &st) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot stat %s", path);
	if (S_ISLNK(st.st_mode))
		return sandbox_fail(err, err_len, -ELOOP, "cannot mask %s", path);

	if (S_ISDIR(st.st_mode))
		tree_fd =
		    new_filesystem("tmpfs", "size=4k,mode=755", MOUNT_ATTR_RDONLY | ATTR_HARDENED);
	else
		tree_fd = clone_tree(devnull_fd, "", false,
				     MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	if (tree_fd < 0)
		return sandbox_fail(err, err_len, tree_fd, "cannot create the mask for %s", path);

	r = attach(tree_fd, target_fd, "");
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot mask %s", path);
	return 0;
}

/* Makes the mount subtree at dirfd/path read-only by binding it onto
 * itself. A missing path is fine. */
static int bind_readonly_in_place(int dirfd, const char *path, char *err, size_t err_len)
{
	cleanup_close int tree_fd =
	    clone_tree(dirfd, path, true, MOUNT_ATTR_RDONLY | ATTR_HARDENED);
	int r;

	if (tree_fd == -ENOENT)
		return 0;
	if (tree_fd < 0)
		return sandbox_fail(err, err_len, tree_fd, "cannot bind %s", path);
	r = attach(tree_fd, dirfd, path);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot make %s read-only", path);
	return 0;
}

/* Binds a host directory read-only (recursively) at root_fd/path. */
static int bind_host_dir(int root_fd, const char *host_path, const char *path, unsigned attrs,
			 char *err, size_t err_len)
{
	cleanup_close int tree_fd = clone_tree(AT_FDCWD, host_path, true, attrs);
	int r;

	if (tree_fd < 0)
		return sandbox_fail(err, err_len, tree_fd, "cannot bind host %s", host_path);
	r = make_dir(root_fd, path, 0755);
	if (r == 0)
		r = attach(tree_fd, root_fd, path);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot mount host %s on /%s", host_path,
				    path);
	return 0;
}

static int mount_tmpfs(int root_fd, const struct tmpfs_mount *m, char *err, size_t err_len)
{
	cleanup_close int mount_fd = new_filesystem("tmpfs", m->options, m->attrs);
	int r;

	if (mount_fd < 0)
		return sandbox_fail(err, err_len, mount_fd, "cannot create tmpfs for /%s", m->path);
	r = make_dir(root_fd, m->path, 0755);
	if (r == 0)
		r = attach(mount_fd, root_fd, m->path);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot mount tmpfs on /%s", m->path);
	return 0;
}

/* systemd makes / shared; without this every mount below would propagate
 * back to the host. */
static int make_mounts_private(char *err, size_t err_len)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot make / private");
	return 0;
}

static int mount_new_root(int *root_fd, char *err, size_t err_len)
{
	cleanup_close int staging_fd =
	    open(STAGING_MOUNTPOINT, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int mount_fd = -1;
	int r;

	if (staging_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open %s", STAGING_MOUNTPOINT);
	mount_fd = new_filesystem("tmpfs", "size=1m,mode=755", ATTR_HARDENED);
	if (mount_fd < 0)
		return sandbox_fail(err, err_len, mount_fd, "cannot create the root tmpfs");
	r = attach(mount_fd, staging_fd, "");
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot mount the root tmpfs");

	/* After move_mount the fd refers to the root of the attached mount. */
	*root_fd = util_steal_fd(&mount_fd);
	return 0;
}

/* /usr read-only; /bin, /lib and friends as the host has them: the same
 * symlink on merged-/usr systems, otherwise read-only binds. */
static int add_host_system_dirs(int root_fd, char *err, size_t err_len)
{
	const unsigned attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
	size_t i;
	int r;

	r = bind_host_dir(root_fd, "/usr", "usr", attrs, err, err_len);
	if (r < 0)
		return r;

	for (i = 0; i < ARRAY_SIZE(host_lib_paths); i++) {
		const char *name = host_lib_paths[i];
		char host_path[64], target[256];
		struct stat st;
		ssize_t n;

		snprintf(host_path, sizeof(host_path), "/%s", name);
		if (lstat(host_path, &st) < 0) {
			if (errno == ENOENT)
				continue;
			return sandbox_fail(err, err_len, -errno, "cannot stat host %s", host_path);
		}
		if (S_ISDIR(st.st_mode)) {
			r = bind_host_dir(root_fd, host_path, name, attrs, err, err_len);
			if (r < 0)
				return r;
			continue;
		}
		if (!S_ISLNK(st.st_mode))
			continue;

		n = readlink(host_path, target, sizeof(target) - 1);
		if (n < 0)
			return sandbox_fail(err, err_len, -errno, "cannot read link %s", host_path);
		target[n] = '\0';
		if (symlinkat(target, root_fd, name) < 0)
			return sandbox_fail(err, err_len, -errno, "cannot create link /%s", name);
	}
	return 0;
}

__attribute__((format(printf, 1, 2))) static char *format_text(const char *fmt, ...)
{
	char *text;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : text;
}

static int write_generated(int dir_fd, const char *name, const char *text, char *err,
			   size_t err_len)
{
	cleanup_close int fd =
	    openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	int r;

	if (fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot create %s", name);
	r = util_write_all(fd, text, strlen(text));
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot write %s", name);
	return 0;
}

/* Writes one generated file and binds it read-only over /etc/<name>. When
 * the host has no such file there is no mount point for it, which is an
 * error only for a required file. */
static int replace_etc_file(int root_fd, int gen_fd, const char *name, const char *text,
			    bool required, char *err, size_t err_len)
{
	char etc_path[64];
	cleanup_close int target_fd = -1;
	cleanup_close int tree_fd = -1;
	struct stat st;
	int r;

	snprintf(etc_path, sizeof(etc_path), "etc/%s", name);
	target_fd = openat(root_fd, etc_path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (target_fd < 0 && errno == ENOENT && !required)
		return 0;
	if (target_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open /%s", etc_path);
	if (fstat(target_fd, &st) < 0 || !S_ISREG(st.st_mode))
		return sandbox_fail(err, err_len, -EINVAL, "/%s is not a regular file", etc_path);

	r = write_generated(gen_fd, name, text, err, err_len);
	if (r < 0)
		return r;
	tree_fd = clone_tree(gen_fd, name, false, MOUNT_ATTR_RDONLY | ATTR_HARDENED);
	if (tree_fd < 0)
		return sandbox_fail(err, err_len, tree_fd, "cannot bind generated %s", name);
	r = attach(tree_fd, target_fd, "");
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot mount generated /%s", etc_path);
	return 0;
}

static int add_etc_generated(int root_fd, const struct sandbox_init_args *args, char *err,
			     size_t err_len)
{
	static const char group[] = "root:x:0:\n"
				    "tty:x:5:\n"
				    "user:x:1000:\n"
				    "nogroup:x:65534:\n";
	cleanup_free char *passwd =
	    format_text("root:x:0:0:root:/root:%s\n"
			"user:x:%d:%d:Rexec user:" SANDBOX_HOME_PATH ":%s\n"
			"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
			args->shell, SANDBOX_SANDBOX_UID, SANDBOX_SANDBOX_UID, args->shell);
	cleanup_free char *hostname = format_text("%s\n", args->hostname);
	cleanup_free char *hosts = format_text(
	    "127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n",
	    args->hostname);
	cleanup_close int gen_fd = -1;
	int r;

	if (!passwd || !hostname || !hosts)
		return sandbox_fail(err, err_len, -ENOMEM, "cannot generate /etc files");

	r = make_dir(root_fd, GENERATED_DIR, 0700);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot create /%s", GENERATED_DIR);
	gen_fd = openat(root_fd, GENERATED_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (gen_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open /%s", GENERATED_DIR);

	r = replace_etc_file(root_fd, gen_fd, "passwd", passwd, true, err, err_len);
	if (r == 0)
		r = replace_etc_file(root_fd, gen_fd, "group", group, true, err, err_len);
	if (r == 0)
		r = replace_etc_file(root_fd, gen_fd, "hostname", hostname, false, err, err_len);
	if (r == 0)
		r = replace_etc_file(root_fd, gen_fd, "hosts", hosts, false, err, err_len);
	/* The host's resolver is out of reach; slirp4netns answers DNS there. */
	if (r == 0 && args->egress)
		r = replace_etc_file(root_fd, gen_fd, "resolv.conf", "nameserver 10.0.2.3\n", false,
				     err, err_len);
	if (r < 0)
		return r;

	/* The binds keep the files alive; the directory itself must not show. */
	unlinkat(root_fd, GENERATED_DIR "/passwd", 0);
	unlinkat(root_fd, GENERATED_DIR "/group", 0);
	unlinkat(root_fd, GENERATED_DIR "/hostname", 0);
	unlinkat(root_fd, GENERATED_DIR "/hosts", 0);
	unlinkat(root_fd, GENERATED_DIR "/resolv.conf", 0);
	if (unlinkat(root_fd, GENERATED_DIR, AT_REMOVEDIR) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot remove /%s", GENERATED_DIR);
	return 0;
}

/* Masks the host keys of the host's sshd: /etc/ssh/ssh_host_*. */
static int mask_ssh_host_keys(int root_fd, int devnull_fd, char *err, size_t err_len)
{
	int ssh_fd = openat(root_fd, "etc/ssh", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *entry;
	DIR *dir;
	int r = 0;

	if (ssh_fd < 0 && errno == ENOENT)
		return 0;
	if (ssh_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open /etc/ssh");
	dir = fdopendir(ssh_fd);
	if (!dir) {
		r = -errno;
		close(ssh_fd);
		return sandbox_fail(err, err_len, r, "cannot read /etc/ssh");
	}
	while (r == 0 && (entry = readdir(dir)) != NULL) {
		if (strncmp(entry->d_name, "ssh_host_", strlen("ssh_host_")) == 0)
			r = mask_path(dirfd(dir), entry->d_name, devnull_fd, err, err_len);
	}
	closedir(dir);
	return r;
}

static int add_etc(int root_fd, const struct sandbox_init_args *args, int devnull_fd, char *err,
		   size_t err_len)
{
	const unsigned attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
	cleanup_close int etc_fd = -1;
	size_t i;
	int r;

	r = bind_host_dir(root_fd, "/etc", "etc", attrs, err, err_len);
	if (r < 0)
		return r;
	etc_fd = openat(root_fd, "etc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (etc_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open /etc");

	for (i = 0; i < ARRAY_SIZE(etc_masked); i++) {
		r = mask_path(etc_fd, etc_masked[i], devnull_fd, err, err_len);
		if (r < 0)
			return r;
	}
	r = mask_ssh_host_keys(root_fd, devnull_fd, err, err_len);
	if (r < 0)
		return r;
	return add_etc_generated(root_fd, args, err, err_len);
}

/* The user's persistent home arrives as a detached mount that the monitor
 * cloned in its own mount namespace. A path or an fd from there could not
 * be bind-mounted here: the kernel binds only mounts of the caller's own
 * namespace, but it attaches a detached tree from anywhere. */
static int add_home(int root_fd, int home_tree_fd, char *err, size_t err_len)
{
	int r;

	r = make_dir(root_fd, "home", 0755);
	if (r == 0)
		r = make_dir(root_fd, SANDBOX_HOME_PATH + 1, 0755);
	if (r == 0)
		r = attach(home_tree_fd, root_fd, SANDBOX_HOME_PATH + 1);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot mount %s", SANDBOX_HOME_PATH);
	return 0;
}

static int add_scratch_tmpfs(int root_fd, char *err, size_t err_len)
{
	size_t i;
	int r;

	/* /var holds only these tmpfs mounts; the host's /var stays hidden. */
	r = make_dir(root_fd, "var", 0755);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot create /var");
	for (i = 0; i < ARRAY_SIZE(scratch_tmpfs); i++) {
		r = mount_tmpfs(root_fd, &scratch_tmpfs[i], err, err_len);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A fresh procfs shows only the sandbox's pid namespace. The kernel allows
 * it only while a fully visible procfs (the host's) is still mounted in
 * this mount namespace, so it is mounted before pivot_root. */
static int add_proc(int root_fd, int devnull_fd, char *err, size_t err_len)
{
	cleanup_close int mount_fd = new_filesystem("proc", "", ATTR_HARDENED);
	cleanup_close int proc_fd = -1;
	size_t i;
	int r;

	if (mount_fd < 0)
		return sandbox_fail(err, err_len, mount_fd, "cannot create procfs");
	r = make_dir(root_fd, "proc", 0555);
	if (r == 0)
		r = attach(mount_fd, root_fd, "proc");
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot mount /proc");
	proc_fd = openat(root_fd, "proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (proc_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open /proc");

	for (i = 0; i < ARRAY_SIZE(proc_masked); i++) {
		r = mask_path(proc_fd, proc_masked[i], devnull_fd, err, err_len);
		if (r < 0)
			return r;
	}
	for (i = 0; i < ARRAY_SIZE(proc_readonly); i++) {
		r = bind_readonly_in_place(proc_fd, proc_readonly[i], err, err_len);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Masks /sys/devices/system/cpu/cpu<N>/thermal_throttle, whose counters
 * expose the host's CPU throttling. */
static int mask_thermal_throttle(int sys_fd, int devnull_fd, char *err, size_t err_len)
{
	int cpu_fd = openat(sys_fd, "devices/system/cpu", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *entry;
	DIR *dir;
	int r = 0;

	if (cpu_fd < 0)
		return 0;
	dir = fdopendir(cpu_fd);
	if (!dir) {
		close(cpu_fd);
		return 0;
	}
	while (r == 0 && (entry = readdir(dir)) != NULL) {
		char path[300];

		if (strncmp(entry->d_name, "cpu", 3) != 0 || entry->d_name[3] < '0' ||
		    entry->d_name[3] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/thermal_throttle", entry->d_name);
		r = mask_path(dirfd(dir), path, devnull_fd, err, err_len);
	}
	closedir(dir);
	return r;
}

/* A new sysfs, read-only, with the paths in sys_masked hidden. It belongs
 * to the sandbox's network namespace, so /sys/class/net lists only lo,
 * where a bind of the host's /sys would list every host interface, and it
 * carries none of the host's submounts (cgroup, debugfs, tracefs, bpf).
 * As with /proc, the kernel allows the mount only while the host's sysfs
 * is still visible in this mount namespace, and only read-only, nosuid,
 * nodev and noexec if the host's sysfs is. */
static int add_sys(int root_fd, int devnull_fd, char *err, size_t err_len)
{
	cleanup_close int mount_fd = new_filesystem("sysfs", "", MOUNT_ATTR_RDONLY | ATTR_HARDENED);
	cleanup_close int sys_fd = -1;
	size_t i;
	int r;

	if (mount_fd < 0)
		return sandbox_fail(err, err_len, mount_fd, "cannot create sysfs");
	r = make_dir(root_fd, "sys", 0555);
	if (r == 0)
		r = attach(mount_fd, root_fd, "sys");
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot mount /sys");
	sys_fd = openat(root_fd, "sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (sys_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open /sys");

	for (i = 0; i < ARRAY_SIZE(sys_masked); i++) {
		r = mask_path(sys_fd, sys_masked[i], devnull_fd, err, err_len);
		if (r < 0)
			return r;
	}
	return mask_thermal_throttle(sys_fd, devnull_fd, err, err_len);
}

static int bind_device(int dev_fd, const struct device_node *node, char *err, size_t err_len)
{
	char host_path[32];
	cleanup_close int host_fd = -1;
	cleanup_close int tree_fd = -1;
	cleanup_close int target_fd = -1;
	int r;

	snprintf(host_path, sizeof(host_path), "/dev/%s", node->name);
	host_fd = open_device(AT_FDCWD, host_path, node->major, node->minor);
	if (host_fd < 0)
		return sandbox_fail(err, err_len, host_fd, "host %s is not device %u:%u", host_path,
				    node->major, node->minor);
	tree_fd = clone_tree(host_fd, "", false, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	if (tree_fd < 0)
		return sandbox_fail(err, err_len, tree_fd, "cannot bind host %s", host_path);

	target_fd =
	    openat(dev_fd, node->name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
	if (target_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot create %s", host_path);
	r = attach(tree_fd, dev_fd, node->name);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot mount %s", host_path);
	return 0;
}

static int add_dev_mount(int dev_fd, const char *path, const char *fstype, const char *options,
			 unsigned attrs, char *err, size_t err_len)
{
	cleanup_close int mount_fd = new_filesystem(fstype, options, attrs);
	int r;

	if (mount_fd < 0)
		return sandbox_fail(err, err_len, mount_fd, "cannot create %s for /dev/%s", fstype,
				    path);
	r = make_dir(dev_fd, path, 0755);
	if (r == 0)
		r = attach(mount_fd, dev_fd, path);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot mount /dev/%s", path);
	return 0;
}

/* A minimal /dev: six device nodes, the sandbox's own devpts instance and
 * /dev/shm. The devpts options need uid 0 and gid 5 (tty) mapped. */
static int add_dev(int root_fd, char *err, size_t err_len)
{
	static const char *const links[][2] = {
	    {"ptmx", "pts/ptmx"},          {"fd", "/proc/self/fd"},
	    {"stdin", "/proc/self/fd/0"},  {"stdout", "/proc/self/fd/1"},
	    {"stderr", "/proc/self/fd/2"},
	};
	cleanup_close int mount_fd = new_filesystem("tmpfs", "size=64k,mode=755", ATTR_HARDENED);
	size_t i;
	int r;

	if (mount_fd < 0)
		return sandbox_fail(err, err_len, mount_fd, "cannot create tmpfs for /dev");
	r = make_dir(root_fd, "dev", 0755);
	if (r == 0)
		r = attach(mount_fd, root_fd, "dev");
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot mount /dev");

	for (i = 0; i < ARRAY_SIZE(device_nodes); i++) {
		r = bind_device(mount_fd, &device_nodes[i], err, err_len);
		if (r < 0)
			return r;
	}

	/* Every devpts instance draws on one kernel-wide pool (kernel.pty.max
	 * less kernel.pty.reserve), so max= keeps one sandbox from taking the
	 * PTYs every other user's login needs. */
	r = add_dev_mount(mount_fd, "pts", "devpts",
			  "newinstance,ptmxmode=0666,mode=620,gid=5,max=" SANDBOX_PTY_MAX_TEXT,
			  MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, err, err_len);
	if (r < 0)
		return r;
	/* The memory cgroup bounds /dev/shm, whose pages are charged to it. */
	r = add_dev_mount(mount_fd, "shm", "tmpfs", "mode=1777", ATTR_HARDENED, err, err_len);
	if (r < 0)
		return r;

	for (i = 0; i < ARRAY_SIZE(links); i++) {
		if (symlinkat(links[i][1], mount_fd, links[i][0]) < 0)
			return sandbox_fail(err, err_len, -errno, "cannot create /dev/%s",
					    links[i][0]);
	}
	return 0;
}

int sandbox_mounts_build(const struct sandbox_init_args *args, int *root_fd, char *err,
			 size_t err_len)
{
	cleanup_close int devnull_fd = -1;
	cleanup_close int new_root_fd = -1;
	int r;

	r = make_mounts_private(err, err_len);
	if (r < 0)
		return r;
	devnull_fd = open_device(AT_FDCWD, "/dev/null", 1, 3);
	if (devnull_fd < 0)
		return sandbox_fail(err, err_len, devnull_fd, "host /dev/null is not device 1:3");

	r = mount_new_root(&new_root_fd, err, err_len);
	if (r == 0)
		r = add_host_system_dirs(new_root_fd, err, err_len);
	if (r == 0)
		r = add_etc(new_root_fd, args, devnull_fd, err, err_len);
	if (r == 0)
		r = add_home(new_root_fd, args->home_tree_fd, err, err_len);
	if (r == 0)
		r = add_scratch_tmpfs(new_root_fd, err, err_len);
	if (r == 0)
		r = add_proc(new_root_fd, devnull_fd, err, err_len);
	if (r == 0)
		r = add_sys(new_root_fd, devnull_fd, err, err_len);
	if (r == 0)
		r = add_dev(new_root_fd, err, err_len);
	if (r < 0)
		return r;

	*root_fd = util_steal_fd(&new_root_fd);
	return 0;
}

/* pivot_root(".", ".") stacks the old root on top of the new one, so the
 * following umount2(".") detaches exactly the old root, with every host
 * mount beneath it, and no directory for it is needed in the new root. */
int sandbox_mounts_pivot(int root_fd, char *err, size_t err_len)
{
	struct mount_attr readonly = {.attr_set = MOUNT_ATTR_RDONLY};

	if (fchdir(root_fd) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot enter the new root");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return sandbox_fail(err, err_len, -errno, "pivot_root failed");
	if (umount2(".", MNT_DETACH) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot detach the host root");
	if (chdir("/") < 0)
		return sandbox_fail(err, err_len, -errno, "cannot change to /");

	/* Only now, because every mount point had to be created first. */
	if (mount_setattr(AT_FDCWD, "/", 0, &readonly, sizeof(readonly)) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot make / read-only");
	return 0;
}
