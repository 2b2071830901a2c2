/* Process-wide diagnostic log: stderr or syslog. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "rexec/log.h"

static const char *log_ident = "rexec";
static bool log_to_syslog;
static enum log_level log_threshold = LOG_LEVEL_INFO;

static const char *const level_names[] = {
	[LOG_LEVEL_ERROR] = "error",
	[LOG_LEVEL_WARN] = "warn",
	[LOG_LEVEL_INFO] = "info",
	[LOG_LEVEL_DEBUG] = "debug",
};

static const int syslog_priorities[] = {
	[LOG_LEVEL_ERROR] = LOG_ERR,
	[LOG_LEVEL_WARN] = LOG_WARNING,
	[LOG_LEVEL_INFO] = LOG_INFO,
	[LOG_LEVEL_DEBUG] = LOG_DEBUG,
};

void log_init(const char *ident, bool use_syslog, enum log_level level)
{
	if (log_to_syslog)
		closelog();
	log_ident = ident;
	log_to_syslog = use_syslog;
	log_threshold = level;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

void log_set_level(enum log_level level)
{
	log_threshold = level;
}

void log_reopen(void)
{
	if (!log_to_syslog)
		return;
	closelog();
	openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

int log_level_parse(const char *text, enum log_level *level)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(text, level_names[i]) == 0) {
			*level = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* Copies text into out with control characters written as \xNN. A
 * client-chosen string (a user name, libssh's copy of the client's
 * algorithm list) can then neither start a forged log line nor send
 * terminal escape sequences to the terminal that displays the log. */
static void escape_controls(const char *text, char *out, size_t out_len)
{
	size_t used = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			if (used + 4 >= out_len)
				break;
			snprintf(out + used, out_len - used, "\\x%02x", *p);
			used += 4;
		} else {
			if (used + 1 >= out_len)
				break;
			out[used++] = (char)*p;
		}
	}
	out[used] = '\0';
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	int saved_errno = errno;
	char raw[2048], line[2048];
	va_list ap;

	if (level > log_threshold)
		return;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	escape_controls(raw, line, sizeof(line));

	if (log_to_syslog) {
		syslog(syslog_priorities[level], "%s", line);
	} else {
		struct timespec now;
		struct tm tm;
		char stamp[32] = "";

		if (clock_gettime(CLOCK_REALTIME, &now) == 0 && gmtime_r(&now.tv_sec, &tm))
			strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
		/* One fprintf per line: stderr is unbuffered, so lines from the
		 * monitor and the network process do not interleave mid-line. */
		fprintf(stderr, "%s.%03ldZ %s[%d]: %s: %s\n", stamp, now.tv_nsec / 1000000,
			log_ident, (int)getpid(), level_names[level], line);
	}
	errno = saved_errno;
}
