/* Diagnostic logging for rexecd and rexecctl.
 *
 * One process-wide sink: stderr in the foreground, syslog when daemonized.
 * Every line carries the ids involved (session=, user=, pid=) written by
 * the caller; no secret may ever be passed here. Audit events are a
 * separate stream (audit.h), not log lines. */
#ifndef REXEC_LOG_H
#define REXEC_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

/* Sets the program name shown on each line, the sink and the threshold.
 * May be called again, for example after fork, to change the name. */
void log_init(const char *ident, bool use_syslog, enum log_level level);
void log_set_level(enum log_level level);
/* Reconnects to syslog when logging there, for a process that has just
 * closed the fds it inherited (glibc's syslog socket among them). */
void log_reopen(void);

/* Parses "error", "warn", "info" or "debug"; returns 0 or -EINVAL. */
int log_level_parse(const char *text, enum log_level *level);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
