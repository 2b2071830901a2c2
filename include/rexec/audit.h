/* The audit stream: one JSON object per line, appended to the audit log
 * with a single write(2) per event, so concurrent writers never interleave
 * lines. Each object has "time" (RFC 3339, UTC, milliseconds), "event" and
 * the fields given. */
#ifndef REXEC_AUDIT_H
#define REXEC_AUDIT_H

#include <stdint.h>

/* Opens path for appending (O_APPEND, mode 0600), creating its directory.
 * With path NULL, events are discarded. */
int audit_open(const char *path);
void audit_close(void);
/* Returns the audit log's fd, or -1 when none is open, so that a forked
 * process closing its inherited fds can keep it. */
int audit_fileno(void);

/* Field list terminators and kinds for audit_event. */
enum audit_field_kind {
	AUDIT_END = 0,
	AUDIT_STR,   /* const char *name, const char *value (NULL is written as null) */
	AUDIT_INT,   /* const char *name, long long value (pass a long long) */
	AUDIT_BOOL,  /* const char *name, int value: written as true or false */
};

/* Writes one event, for example:
 *   audit_event("auth_failure", AUDIT_STR, "user", name,
 *               AUDIT_STR, "source", addr, AUDIT_END);
 * Returns 0 or a negative errno (also logged once). */
int audit_event(const char *event, ...);

/* Formats the event line without writing it, for tests. Returns a
 * malloc'd string ending in '\n', or NULL. */
char *audit_format(long long time_ms, const char *event, ...);

#endif
