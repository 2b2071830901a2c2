/* Small helpers shared by every module. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rexec/util.h"

void util_freep(void *p)
{
	free(*(void **)p);
}

void util_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

int util_steal_fd(int *fdp)
{
	int fd = *fdp;

	*fdp = -1;
	return fd;
}

int util_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int util_read_file(const char *path, size_t max_len, char **out, size_t *out_len)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	cleanup_free char *data = NULL;
	size_t len = 0;

	if (fd < 0)
		return -errno;
	data = malloc(max_len + 1);
	if (!data)
		return -ENOMEM;

	for (;;) {
		ssize_t n = read(fd, data + len, max_len + 1 - len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max_len)
			return -EFBIG;
	}

	data[len] = '\0';
	*out = data;
	data = NULL;
	if (out_len)
		*out_len = len;
	return 0;
}

static int fsync_parent_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	cleanup_close int fd = -1;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else if ((size_t)(slash - path) >= sizeof(dir))
		return -ENAMETOOLONG;
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		return -errno;
	return 0;
}

int util_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	cleanup_close int fd = -1;
	int r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -errno;
	/* The umask may have narrowed mode; the caller's mode is the contract. */
	if (fchmod(fd, mode) < 0) {
		r = -errno;
		goto fail;
	}
	r = util_write_all(fd, data, len);
	if (r < 0)
		goto fail;
	if (fsync(fd) < 0) {
		r = -errno;
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		goto fail;
	}
	return fsync_parent_dir(path);

fail:
	unlink(tmp);
	return r;
}

int util_write_string(const char *path, const char *text)
{
	cleanup_close int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return -errno;
	return util_write_all(fd, text, strlen(text));
}

int util_set_nonblocking(int fd, bool on)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -errno;
	flags = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
	if (fcntl(fd, F_SETFL, flags) < 0)
		return -errno;
	return 0;
}

int util_mkdir_p(const char *dir, mode_t mode)
{
	char path[PATH_MAX];
	size_t len = strlen(dir);

	if (len == 0 || len >= sizeof(path))
		return -EINVAL;
	memcpy(path, dir, len + 1);

	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, mode) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

void util_freezero(void *p, size_t len)
{
	if (!p)
		return;
	explicit_bzero(p, len);
	free(p);
}

unsigned long long util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000ULL + (unsigned long long)ts.tv_nsec / 1000000ULL;
}

int util_vfail(char *err, size_t err_len, int r, const char *fmt, va_list ap)
{
	size_t used;

	vsnprintf(err, err_len, fmt, ap);
	used = strlen(err);
	if (r < 0 && used < err_len)
		snprintf(err + used, err_len - used, ": %s", strerror(-r));
	return r;
}

int util_fail(char *err, size_t err_len, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	util_vfail(err, err_len, r, fmt, ap);
	va_end(ap);
	return r;
}
