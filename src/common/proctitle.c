/* Process titles written over the original argv and environ strings. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "rexec/proctitle.h"

extern char **environ;

static char *title_start;
static size_t title_space;
/* The heap copy of argv handed to main; it lives as long as the process.
 * volatile, because a pointer that is only stored would be optimised
 * away and LeakSanitizer would then report the copy as leaked. */
static char **volatile argv_copy;

/* Copies environ to the heap and returns the end of the environ strings
 * that follow `end` contiguously, or end itself if the copy fails. */
static char *move_environ(char *end)
{
	size_t count = 0;
	char **moved;

	while (environ[count])
		count++;
	moved = calloc(count + 1, sizeof(*moved));
	if (!moved)
		return end;
	for (size_t i = 0; i < count; i++) {
		moved[i] = strdup(environ[i]);
		if (!moved[i]) {
			while (i-- > 0)
				free(moved[i]);
			free(moved);
			return end;
		}
	}
	for (size_t i = 0; i < count; i++) {
		if (environ[i] == end)
			end = environ[i] + strlen(environ[i]) + 1;
	}
	environ = moved;
	return end;
}

char **proctitle_init(int argc, char **argv)
{
	char **copy;
	char *end;

	if (argc < 1 || !argv[0])
		return argv;
	copy = calloc((size_t)argc + 1, sizeof(*copy));
	if (!copy)
		return argv;
	for (int i = 0; i < argc; i++) {
		copy[i] = strdup(argv[i]);
		if (!copy[i]) {
			while (i-- > 0)
				free(copy[i]);
			free(copy);
			return argv;
		}
	}

	/* The kernel lays argv and then environ strings out back to back;
	 * use them only as far as they are contiguous. */
	end = argv[0] + strlen(argv[0]) + 1;
	for (int i = 1; i < argc && argv[i] == end; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	end = move_environ(end);

	title_start = argv[0];
	title_space = (size_t)(end - argv[0]);
	argv_copy = copy;
	return copy;
}

void proctitle_set(const char *title)
{
	char name[16];

	if (title_start && title_space > 1) {
		size_t len = strlen(title);

		if (len > title_space - 1)
			len = title_space - 1;
		memset(title_start, 0, title_space);
		memcpy(title_start, title, len);
	}
	snprintf(name, sizeof(name), "%s", title);
	prctl(PR_SET_NAME, name, 0, 0, 0);
}
