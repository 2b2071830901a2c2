/* Small helpers shared by every module: cleanup attributes, full writes,
 * atomic file replacement. */
#ifndef REXEC_UTIL_H
#define REXEC_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

void util_freep(void *p);
void util_closep(int *fd);
#define cleanup_free  __attribute__((cleanup(util_freep)))
#define cleanup_close __attribute__((cleanup(util_closep)))

/* Returns *fdp and sets it to -1, handing the fd to a new owner. */
int util_steal_fd(int *fdp);

/* Writes all of buf, retrying on EINTR and short writes.
 * Returns 0 or a negative errno (EAGAIN on a non-blocking fd that fills). */
int util_write_all(int fd, const void *buf, size_t len);

/* Reads up to max_len bytes of a small file into a NUL-terminated malloc'd
 * buffer; the file must not be larger. Returns 0 or a negative errno. */
int util_read_file(const char *path, size_t max_len, char **out, size_t *out_len);

/* Replaces path with data: writes a temporary file in the same directory
 * (O_EXCL, the given mode), fsyncs it, renames it over path and fsyncs the
 * directory, so readers see either the old or the new content. */
int util_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);

/* Writes a short string to an existing file (cgroup, /proc knobs). */
int util_write_string(const char *path, const char *text);

int util_set_nonblocking(int fd, bool on);

/* Creates dir and its missing parents with mode; an existing dir is fine. */
int util_mkdir_p(const char *dir, mode_t mode);

/* Formats "<fmt>: <strerror(-r)>" into err and returns r (a negative
 * errno), so a failing step can `return util_fail(...)`. */
int util_fail(char *err, size_t err_len, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int util_vfail(char *err, size_t err_len, int r, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));

/* Overwrites len bytes with zeros in a way the compiler keeps, then frees. */
void util_freezero(void *p, size_t len);

/* Returns monotonic time in milliseconds. */
unsigned long long util_now_ms(void);

#endif
