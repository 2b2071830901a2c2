/* Process titles, as ps and /proc/PID/cmdline show them.
 *
 * rexecd's children are forks, not new programs, so without this every
 * process (the sandbox init included, whose /proc/1/cmdline the sandbox
 * user reads) would show rexecd's command line with its host paths. */
#ifndef REXEC_PROCTITLE_H
#define REXEC_PROCTITLE_H

/* Takes over the memory of argv and environ for later titles; environ is
 * moved to the heap first. Returns a heap copy of argv for main to use
 * instead (argv itself is overwritten by titles), or argv unchanged if
 * memory runs out, in which case titles stay off. Call once, first thing. */
char **proctitle_init(int argc, char **argv);

/* Replaces the command line with title (truncated to the space argv and
 * environ had) and sets the thread name to its first 15 bytes. */
void proctitle_set(const char *title);

#endif
