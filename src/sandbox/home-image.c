/* Home images: a sparse ext4 file per user on a loop device. Runs in the
 * monitor, before the sandbox is cloned.
 *
 * An image is created on first use: a sparse file, formatted by mkfs.ext4
 * with the login user as owner of its root directory. When the tier's
 * home size grew, it is grown offline (ftruncate, e2fsck -f, resize2fs).
 * Before each mount it is checked with e2fsck -p, attached with
 * LOOP_CONFIGURE and LO_FLAGS_AUTOCLEAR, and mounted with fsopen/fsmount
 * into a detached mount. The kernel detaches the loop device by itself
 * once the last mount of the filesystem is gone, which is when the
 * sandbox's mount namespace ends. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rexec/home.h"
#include "rexec/log.h"
#include "rexec/util.h"
#include "home-internal.h"
#include "sandbox-internal.h"

#define NEW_IMAGE_SUFFIX  ".img.new"
#define LOOP_ATTACH_TRIES 8
#define LOOP_POLL_NS      (10 * 1000 * 1000)
#define TOOL_OUTPUT_MAX   400

/* e2fsck exit codes: 1 and 2 mean errors were found and corrected. */
#define E2FSCK_CORRECTED_MAX 2

static const char *const tool_dirs[] = {"/usr/sbin", "/sbin", "/usr/bin", "/bin"};

/* Runs in the forked child: stdin from /dev/null, stdout and stderr into
 * out_fd, no other fds, default signal mask, then the first tool_dirs
 * entry that has the program. */
__attribute__((noreturn)) static void exec_tool(char *const argv[], int out_fd)
{
	static char *const envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
	int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	sigset_t none;
	char path[PATH_MAX];

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(out_fd, STDOUT_FILENO) < 0 ||
	    dup2(out_fd, STDERR_FILENO) < 0)
		_exit(127);
	if (close_range(3, ~0U, 0) < 0)
		_exit(127);
	for (size_t i = 0; i < ARRAY_SIZE(tool_dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", tool_dirs[i], argv[0]);
		execve(path, argv, envp);
	}
	dprintf(STDERR_FILENO, "%s not found in /usr/sbin, /sbin, /usr/bin or /bin\n", argv[0]);
	_exit(127);
}

/* Reads the child's output until end of file, keeping the first bytes. */
static void read_tool_output(int fd, char *out, size_t out_len)
{
	size_t used = 0;
	char buf[512];
	ssize_t n;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (used + 1 < out_len) {
			size_t take =
			    (size_t)n < out_len - 1 - used ? (size_t)n : out_len - 1 - used;

			memcpy(out + used, buf, take);
			used += take;
		}
	}
	out[used] = '\0';
	for (char *p = out; *p; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	}
}

/* Runs an e2fsprogs tool and waits for it. Returns its exit status (0 to
 * 255), or a negative errno with err set when it could not run or was
 * killed. output receives the start of what it printed.
 * NOTE: the monitor's loop waits meanwhile; e2fsck of a large damaged
 * image can take minutes. */
static int run_tool(char *const argv[], char *output, size_t output_len, char *err, size_t err_len)
{
	int pipe_fds[2];
	int status;
	pid_t pid, r;

	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot create a pipe for %s", argv[0]);
	pid = fork();
	if (pid < 0) {
		int saved = -errno;

		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return sandbox_fail(err, err_len, saved, "cannot fork %s", argv[0]);
	}
	if (pid == 0)
		exec_tool(argv, pipe_fds[1]);

	close(pipe_fds[1]);
	read_tool_output(pipe_fds[0], output, output_len);
	close(pipe_fds[0]);
	do {
		r = waitpid(pid, &status, 0);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return sandbox_fail(err, err_len, -errno, "cannot wait for %s pid=%d", argv[0],
				    (int)pid);
	if (!WIFEXITED(status)) {
		snprintf(err, err_len, "%s pid=%d was killed by signal %d", argv[0], (int)pid,
			 WTERMSIG(status));
		return -EIO;
	}
	return WEXITSTATUS(status);
}

/* Runs a tool that must exit with 0. */
static int run_tool_ok(char *const argv[], const char *image, char *err, size_t err_len)
{
	char output[TOOL_OUTPUT_MAX];
	int status = run_tool(argv, output, sizeof(output), err, err_len);

	if (status < 0)
		return status;
	if (status != 0) {
		snprintf(err, err_len, "%s %s failed with exit status %d: %s", argv[0], image,
			 status, output);
		return -EIO;
	}
	return 0;
}

/* e2fsck -p (or -f -p before resize2fs, which requires a forced check).
 * Exit status 1 and 2 mean errors were corrected; that is logged. */
static int check_image(const char *image, bool force, const char *user, char *err, size_t err_len)
{
	char *const argv[] = {"e2fsck", force ? "-fp" : "-p", (char *)image, NULL};
	char output[TOOL_OUTPUT_MAX];
	int status = run_tool(argv, output, sizeof(output), err, err_len);

	if (status < 0)
		return status;
	if (status > E2FSCK_CORRECTED_MAX) {
		snprintf(err, err_len,
			 "e2fsck %s failed with exit status %d: %s; repair it with e2fsck -f",
			 image, status, output);
		return -EUCLEAN;
	}
	if (status > 0)
		log_warn("e2fsck corrected errors in the home image user=%s %s: %s", user, image,
			 output);
	return 0;
}

/* Formats path as ext4 with no blocks reserved for root and the login
 * user as owner of the root directory. */
static int format_image(const char *path, uid_t owner, char *err, size_t err_len)
{
	char owner_option[64];
	char *const argv[] = {"mkfs.ext4", "-q", "-m", "0", "-E", owner_option, (char *)path, NULL};

	snprintf(owner_option, sizeof(owner_option), "root_owner=%u:%u", (unsigned)owner,
		 (unsigned)owner);
	return run_tool_ok(argv, path, err, err_len);
}

/* Hands lost+found, which mkfs.ext4 creates for host uid 0, to the
 * sandbox's root, so that inside it is root's and not nobody's. */
static int chown_lost_found(const char *path, uid_t root, char *err, size_t err_len)
{
	static const char *const fields[] = {"uid", "gid"};
	char request[64];
	char *const argv[] = {"debugfs", "-w", "-R", request, (char *)path, NULL};

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		char output[TOOL_OUTPUT_MAX];
		int status;

		snprintf(request, sizeof(request), "set_inode_field lost+found %s %u", fields[i],
			 (unsigned)root);
		status = run_tool(argv, output, sizeof(output), err, err_len);
		if (status < 0)
			return status;
		/* debugfs exits 0 even when the request fails, and prints only
		 * its version banner when it succeeds. */
		if (status != 0 || strstr(output, "lost+found")) {
			snprintf(err, err_len, "debugfs %s %s failed: %s", request, path, output);
			return -EIO;
		}
	}
	return 0;
}

/* Creates the image as path.new, formats it and renames it into place, so
 * that an interrupted creation never leaves a half-made image behind. */
static int create_image(const struct home_params *p, const char *image, char *err, size_t err_len)
{
	unsigned long long started_ms = util_now_ms();
	cleanup_free char *tmp = NULL;
	cleanup_free char *homes_dir = NULL;
	cleanup_close int fd = -1;
	int r;

	if (asprintf(&tmp, "%s%s", p->path, NEW_IMAGE_SUFFIX) < 0 || !(homes_dir = strdup(p->path)))
		return sandbox_fail(err, err_len, -ENOMEM, "cannot create the home of %s", p->user);
	*strrchr(homes_dir, '/') = '\0';
	r = util_mkdir_p(homes_dir, 0711);
	if (r < 0)
		return sandbox_fail(err, err_len, r, "cannot create %s", homes_dir);
	/* A leftover of an interrupted creation contains no data. */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return sandbox_fail(err, err_len, -errno, "cannot remove %s", tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot create %s", tmp);

	if (ftruncate(fd, (off_t)p->max_bytes) < 0)
		r = sandbox_fail(err, err_len, -errno, "cannot size %s to %llu bytes", tmp,
				 (unsigned long long)p->max_bytes);
	else
		r = format_image(tmp, p->owner, err, err_len);
	if (r == 0)
		r = chown_lost_found(tmp, p->root, err, err_len);
	if (r == 0 && fsync(fd) < 0)
		r = sandbox_fail(err, err_len, -errno, "cannot sync %s", tmp);
	if (r == 0 && rename(tmp, image) < 0)
		r = sandbox_fail(err, err_len, -errno, "cannot rename %s to %s", tmp, image);
	if (r < 0) {
		unlink(tmp);
		return r;
	}

	log_info("created home image %s user=%s size=%llu bytes in %llu ms", image, p->user,
		 (unsigned long long)p->max_bytes, util_now_ms() - started_ms);
	return 0;
}

/* Grows the image offline to the tier's home size: a larger file, a forced
 * check (resize2fs requires one), then resize2fs to the file's size. A
 * smaller tier never shrinks an image, because that could lose data, and
 * a tier without a home size keeps the image as it is. */
static int resize_image(const struct home_params *p, const char *image, off_t size, bool *checked,
			char *err, size_t err_len)
{
	unsigned long long started_ms = util_now_ms();
	char *const argv[] = {"resize2fs", (char *)image, NULL};
	int r;

	*checked = false;
	if (p->max_bytes == 0 || (uint64_t)size == p->max_bytes)
		return 0;
	if ((uint64_t)size > p->max_bytes) {
		log_warn("home image %s user=%s is %llu bytes, larger than its tier's %llu; it is "
			 "not shrunk",
			 image, p->user, (unsigned long long)size,
			 (unsigned long long)p->max_bytes);
		return 0;
	}

	if (truncate(image, (off_t)p->max_bytes) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot grow %s to %llu bytes", image,
				    (unsigned long long)p->max_bytes);
	r = check_image(image, true, p->user, err, err_len);
	if (r == 0)
		r = run_tool_ok(argv, image, err, err_len);
	if (r < 0)
		return r;
	*checked = true;
	log_info("grew home image %s user=%s from %llu to %llu bytes in %llu ms", image, p->user,
		 (unsigned long long)size, (unsigned long long)p->max_bytes,
		 util_now_ms() - started_ms);
	return 0;
}

/* Returns the loop device number that has image as its backing file, or
 * -1. The kernel shows the path as it was when the device was set up. */
static int find_attached_loop(const char *image)
{
	DIR *dir = opendir("/sys/block");
	struct dirent *entry;
	int found = -1;

	if (!dir)
		return -1;
	while (found < 0 && (entry = readdir(dir)) != NULL) {
		cleanup_free char *backing = NULL;
		char path[PATH_MAX];
		int nr;

		if (sscanf(entry->d_name, "loop%d", &nr) != 1)
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", entry->d_name);
		if (util_read_file(path, PATH_MAX, &backing, NULL) < 0)
			continue;
		backing[strcspn(backing, "\n")] = '\0';
		if (strcmp(backing, image) == 0)
			found = nr;
	}
	closedir(dir);
	return found;
}

/* Returns true when loop device nr no longer has image as backing file. */
static bool loop_released(int nr, const char *image)
{
	cleanup_free char *backing = NULL;
	char path[64];

	snprintf(path, sizeof(path), "/sys/block/loop%d/loop/backing_file", nr);
	if (util_read_file(path, PATH_MAX, &backing, NULL) < 0)
		return true;
	backing[strcspn(backing, "\n")] = '\0';
	return strcmp(backing, image) != 0;
}

int home_image_wait_release(const char *image, int nr)
{
	unsigned long long deadline = util_now_ms() + HOME_LOOP_RELEASE_MS;
	const struct timespec pause = {.tv_sec = 0, .tv_nsec = LOOP_POLL_NS};

	if (nr < 0)
		nr = find_attached_loop(image);
	while (nr >= 0 && !loop_released(nr, image)) {
		if (util_now_ms() >= deadline)
			return nr;
		nanosleep(&pause, NULL);
	}
	return -1;
}

/* Attaches image_fd to a free loop device with LOOP_CONFIGURE (Linux 5.8).
 * Another process may take the same free device between LOOP_CTL_GET_FREE
 * and LOOP_CONFIGURE, which then fails with EBUSY; that is retried. */
static int attach_loop(int image_fd, const char *image, int *nr_out, char *err, size_t err_len)
{
	struct loop_config config;
	cleanup_close int control_fd = open("/dev/loop-control", O_RDWR | O_CLOEXEC);

	if (control_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open /dev/loop-control");

	memset(&config, 0, sizeof(config));
	config.fd = (uint32_t)image_fd;
	config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
	snprintf((char *)config.info.lo_file_name, sizeof(config.info.lo_file_name), "%s", image);

	for (int attempt = 0; attempt < LOOP_ATTACH_TRIES; attempt++) {
		char device[32];
		int nr = ioctl(control_fd, LOOP_CTL_GET_FREE);
		int loop_fd;

		if (nr < 0)
			return sandbox_fail(err, err_len, -errno, "no free loop device");
		snprintf(device, sizeof(device), "/dev/loop%d", nr);
		loop_fd = open(device, O_RDWR | O_CLOEXEC);
		if (loop_fd < 0)
			return sandbox_fail(err, err_len, -errno, "cannot open %s", device);
		if (ioctl(loop_fd, LOOP_CONFIGURE, &config) == 0) {
			*nr_out = nr;
			return loop_fd;
		}
		if (errno != EBUSY) {
			int r = -errno;

			close(loop_fd);
			return sandbox_fail(err, err_len, r, "cannot attach %s to %s", image,
					    device);
		}
		close(loop_fd);
	}
	snprintf(err, err_len, "cannot attach %s: every free loop device was taken first", image);
	return -EBUSY;
}

/* Mounts the ext4 filesystem on the loop device into a detached mount. */
static int mount_image(int nr, const char *image, char *err, size_t err_len)
{
	cleanup_close int fs_fd = fsopen("ext4", FSOPEN_CLOEXEC);
	char device[32];
	int mount_fd;

	snprintf(device, sizeof(device), "/dev/loop%d", nr);
	if (fs_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open an ext4 filesystem context");
	if (fsconfig(fs_fd, FSCONFIG_SET_STRING, "source", device, 0) < 0 ||
	    fsconfig(fs_fd, FSCONFIG_SET_STRING, "errors", "remount-ro", 0) < 0 ||
	    fsconfig(fs_fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot mount %s from %s", image, device);
	mount_fd = fsmount(fs_fd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
	if (mount_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot mount %s from %s", image, device);
	return mount_fd;
}

/* Creates the image if it is missing, then replaces home->image with its
 * canonical path (the form that sysfs shows as a loop backing_file) and
 * returns its size. */
static int prepare_image(const struct home_params *p, struct home *home, off_t *size, bool *created,
			 char *err, size_t err_len)
{
	char canonical[PATH_MAX];
	struct stat st;
	int r;

	*created = false;
	if (lstat(home->image, &st) < 0) {
		if (errno != ENOENT)
			return sandbox_fail(err, err_len, -errno, "cannot stat %s", home->image);
		r = create_image(p, home->image, err, err_len);
		if (r < 0)
			return r;
		*created = true;
		if (lstat(home->image, &st) < 0)
			return sandbox_fail(err, err_len, -errno, "cannot stat %s", home->image);
	}
	if (!S_ISREG(st.st_mode) || st.st_uid != 0) {
		snprintf(err, err_len,
			 "home image %s of user=%s is not a regular file owned by root",
			 home->image, p->user);
		return -EPERM;
	}
	*size = st.st_size;

	if (!realpath(home->image, canonical))
		return sandbox_fail(err, err_len, -errno, "cannot resolve %s", home->image);
	free(home->image);
	home->image = strdup(canonical);
	if (!home->image)
		return sandbox_fail(err, err_len, -ENOMEM, "cannot prepare the home of %s",
				    p->user);
	return 0;
}

int home_image_open(const struct home_params *p, struct home *home, char *err, size_t err_len)
{
	unsigned long long started_ms = util_now_ms();
	cleanup_close int image_fd = -1;
	cleanup_close int loop_fd = -1;
	bool created, checked;
	off_t size;
	int busy, r;

	r = prepare_image(p, home, &size, &created, err, err_len);
	if (r < 0)
		return r;

	/* Mounting an image that an earlier sandbox still has mounted would
	 * give two ext4 instances on one file. */
	busy = home_image_wait_release(home->image, -1);
	if (busy >= 0) {
		snprintf(err, err_len, "home image %s is still attached to /dev/loop%d",
			 home->image, busy);
		return -EBUSY;
	}

	if (!created) {
		r = resize_image(p, home->image, size, &checked, err, err_len);
		if (r == 0 && !checked)
			r = check_image(home->image, false, p->user, err, err_len);
		if (r < 0)
			return r;
	}

	image_fd = open(home->image, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (image_fd < 0)
		return sandbox_fail(err, err_len, -errno, "cannot open %s", home->image);
	loop_fd = attach_loop(image_fd, home->image, &home->loop_nr, err, err_len);
	if (loop_fd < 0)
		return loop_fd;
	/* With LO_FLAGS_AUTOCLEAR, closing loop_fd detaches the device unless
	 * the mount keeps it open by then. */
	home->tree_fd = mount_image(home->loop_nr, home->image, err, err_len);
	if (home->tree_fd < 0) {
		home->loop_nr = -1;
		return home->tree_fd;
	}
	log_info("mounted home image %s on /dev/loop%d user=%s in %llu ms", home->image,
		 home->loop_nr, p->user, util_now_ms() - started_ms);
	return 0;
}
