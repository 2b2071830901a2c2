/* The audit stream: one JSON object per line. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rexec/audit.h"
#include "rexec/log.h"
#include "rexec/util.h"

static int audit_fd = -1;

int audit_open(const char *path)
{
	char dir[PATH_MAX];
	int fd, r;

	audit_close();
	if (!path)
		return 0;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	r = util_mkdir_p(dirname(dir), 0750);
	if (r < 0)
		return r;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	audit_fd = fd;
	return 0;
}

void audit_close(void)
{
	if (audit_fd >= 0)
		close(audit_fd);
	audit_fd = -1;
}

int audit_fileno(void)
{
	return audit_fd;
}

/* A growable string for one event line. */
struct line {
	char *data;
	size_t len, cap;
	bool failed;
};

static void line_add(struct line *l, const char *s, size_t n)
{
	if (l->failed)
		return;
	if (l->len + n + 1 > l->cap) {
		size_t cap = l->cap ? l->cap : 256;
		char *data;

		while (cap < l->len + n + 1)
			cap *= 2;
		data = realloc(l->data, cap);
		if (!data) {
			l->failed = true;
			return;
		}
		l->data = data;
		l->cap = cap;
	}
	memcpy(l->data + l->len, s, n);
	l->len += n;
	l->data[l->len] = '\0';
}

static void line_addf(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line_addf(struct line *l, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		line_add(l, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Returns the length of the well-formed UTF-8 sequence at p (2 to 4
 * bytes), or 0 if p does not start one: overlong forms, surrogates and
 * code points past U+10FFFF are not well-formed (RFC 3629). */
static size_t utf8_sequence_length(const unsigned char *p)
{
	size_t len;
	unsigned char min = 0x80, max = 0xbf;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		min = 0xa0;
	else if (p[0] == 0xed)
		max = 0x9f;
	else if (p[0] == 0xf0)
		min = 0x90;
	else if (p[0] == 0xf4)
		max = 0x8f;
	if (p[1] < min || p[1] > max)
		return 0;
	for (size_t i = 2; i < len; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	}
	return len;
}

/* Appends s as a JSON string. Control characters are escaped, and so are
 * bytes outside well-formed UTF-8 (as \u00XX of the byte). A client thus
 * cannot break the line structure with the user name or command it sends.
 * Well-formed UTF-8 is kept as it is. */
static void line_add_json_string(struct line *l, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	line_add(l, "\"", 1);
	for (; *p; p++) {
		unsigned char c = *p;
		size_t utf8_len = c >= 0x80 ? utf8_sequence_length(p) : 0;

		if (utf8_len > 0) {
			line_add(l, (const char *)p, utf8_len);
			p += utf8_len - 1;
		} else if (c == '"' || c == '\\') {
			line_add(l, "\\", 1);
			line_add(l, (const char *)p, 1);
		} else if (c == '\n') {
			line_add(l, "\\n", 2);
		} else if (c == '\t') {
			line_add(l, "\\t", 2);
		} else if (c < 0x20 || c == 0x7f || c >= 0x80) {
			line_addf(l, "\\u%04x", c);
		} else {
			line_add(l, (const char *)p, 1);
		}
	}
	line_add(l, "\"", 1);
}

static char *format_event(long long time_ms, const char *event, va_list ap)
{
	struct line l = {0};
	time_t secs = (time_t)(time_ms / 1000);
	struct tm tm;
	char stamp[32];

	if (!gmtime_r(&secs, &tm))
		return NULL;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	line_addf(&l, "{\"time\":\"%s.%03lldZ\",\"event\":", stamp, time_ms % 1000);
	line_add_json_string(&l, event);

	for (;;) {
		enum audit_field_kind kind = va_arg(ap, enum audit_field_kind);
		const char *name;

		if (kind == AUDIT_END)
			break;
		name = va_arg(ap, const char *);
		line_add(&l, ",", 1);
		line_add_json_string(&l, name);
		line_add(&l, ":", 1);
		if (kind == AUDIT_STR) {
			const char *value = va_arg(ap, const char *);

			if (value)
				line_add_json_string(&l, value);
			else
				line_add(&l, "null", 4);
		} else if (kind == AUDIT_BOOL) {
			if (va_arg(ap, int))
				line_add(&l, "true", 4);
			else
				line_add(&l, "false", 5);
		} else {
			line_addf(&l, "%lld", va_arg(ap, long long));
		}
	}
	line_add(&l, "}\n", 2);

	if (l.failed) {
		free(l.data);
		return NULL;
	}
	return l.data;
}

char *audit_format(long long time_ms, const char *event, ...)
{
	va_list ap;
	char *text;

	va_start(ap, event);
	text = format_event(time_ms, event, ap);
	va_end(ap);
	return text;
}

int audit_event(const char *event, ...)
{
	struct timespec now;
	va_list ap;
	char *text;
	int r;

	if (audit_fd < 0)
		return 0;

	clock_gettime(CLOCK_REALTIME, &now);
	va_start(ap, event);
	text = format_event((long long)now.tv_sec * 1000 + now.tv_nsec / 1000000, event, ap);
	va_end(ap);
	if (!text) {
		log_error("audit: cannot format event %s: out of memory", event);
		return -ENOMEM;
	}

	/* A single write on an O_APPEND fd keeps each line whole even with
	 * several writers. */
	r = util_write_all(audit_fd, text, strlen(text));
	if (r < 0)
		log_error("audit: cannot write event %s: %s", event, strerror(-r));
	free(text);
	return r;
}
