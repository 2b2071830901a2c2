/* rexecctl: provisions Rexec users and their SSH public keys in the store.
 *
 * It edits the store's files directly, under the store's lock, and rexecd
 * reads keys at each login, so a change applies at the next login without
 * a restart. Exit status: 0 on success, 1 on failure, 2 on a usage error. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rexec/authkeys.h"
#include "rexec/config.h"
#include "rexec/log.h"
#include "rexec/store.h"
#include "rexec/username.h"
#include "rexec/util.h"

#define PROGRAM       "rexecctl"
#define KEY_INPUT_MAX (1024 * 1024)

#define EXIT_USAGE 2

#define USERNAME_RULE                                                                              \
	"expected a lowercase letter, then up to 31 lowercase letters, digits, '_' or '-'"

/* The loaded configuration and the open store, shared by every command. */
struct ctl {
	struct config cfg;
	struct store st;
};

struct command {
	const char *noun;
	const char *verb;
	int min_args, max_args;
	int (*run)(struct ctl *ctl, int argc, char **args);
};

static void print_usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROGRAM " [-f CONFIG] COMMAND\n"
		"\n"
		"Manages Rexec users and their SSH public keys in the store under the\n"
		"StateDirectory of the configuration. Changes apply at the next login.\n"
		"\n"
		"Commands:\n"
		"  user add NAME [--tier TIER]\n"
		"                            add a user with the lowest free host uid range,\n"
		"                            in TIER (default: DefaultTier of the configuration)\n"
		"  user set-tier NAME TIER   move a user to TIER from its next sandbox start on\n"
		"                            (- for DefaultTier)\n"
		"  user del NAME             delete a user and its keys (the home is kept)\n"
		"  user list                 list users, one per line, with their uid ranges\n"
		"                            and tiers\n"
		"  key add USER FILE|-       add the public keys in FILE (- for stdin) to USER\n"
		"  key list USER             list USER's keys as ssh-keygen -l prints them\n"
		"  key del USER FINGERPRINT  delete USER's key with this SHA256:... fingerprint\n"
		"\n"
		"Options:\n"
		"  -f, --config CONFIG       read CONFIG instead of " CONFIG_DEFAULT_PATH "\n"
		"  -h, --help                print this help and exit\n"
		"\n"
		"Must be run as root. Exit status: 0 on success, 1 on failure, 2 on a usage\n"
		"error.\n");
}

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs(PROGRAM ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAILURE;
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs(PROGRAM ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry '" PROGRAM " --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

static unsigned last_uid(const struct store *st, const struct store_user *user)
{
	return (unsigned)user->uid_base + st->uid_count - 1;
}

/* Returns whether the configuration defines tier. If not, prints an error
 * that lists the tiers it does define. */
static bool tier_is_defined(const struct ctl *ctl, const char *tier, const char *action)
{
	if (config_find_tier(&ctl->cfg, tier))
		return true;
	fprintf(stderr, PROGRAM ": cannot %s: tier \"%s\" is not defined in the configuration "
		"(defined:", action, tier);
	for (size_t i = 0; i < ctl->cfg.tier_count; i++)
		fprintf(stderr, " %s", ctl->cfg.tiers[i].name);
	fputs(")\n", stderr);
	return false;
}

/* Parses "NAME [--tier TIER]" in either order. Returns 0 or EXIT_USAGE. */
static int parse_user_add_args(int argc, char **args, const char **name, const char **tier)
{
	*name = NULL;
	*tier = NULL;
	for (int i = 0; i < argc; i++) {
		if (strcmp(args[i], "--tier") == 0) {
			if (i + 1 == argc)
				return usage_error("option --tier requires an argument");
			*tier = args[++i];
		} else if (strncmp(args[i], "--tier=", 7) == 0) {
			*tier = args[i] + 7;
		} else if (args[i][0] == '-' || *name) {
			return usage_error("unexpected argument \"%s\" for user add", args[i]);
		} else {
			*name = args[i];
		}
	}
	if (!*name)
		return usage_error("missing argument");
	return 0;
}

/* ---- user commands ---- */

static int run_user_add(struct ctl *ctl, int argc, char **args)
{
	struct store *st = &ctl->st;
	const char *name, *tier;
	struct store_user user;
	cleanup_free char *action = NULL;
	int r;

	r = parse_user_add_args(argc, args, &name, &tier);
	if (r != 0)
		return r;
	if (!username_is_valid(name))
		return fail("cannot add user \"%s\": invalid user name (" USERNAME_RULE ")", name);
	if (asprintf(&action, "add user %s", name) < 0)
		return fail("out of memory");
	if (tier && !tier_is_defined(ctl, tier, action))
		return EXIT_FAILURE;

	r = store_user_add(st, name, tier, &user);
	if (r == -EEXIST)
		return fail("cannot add user %s: the user already exists", name);
	if (r == -ENOSPC)
		return fail("cannot add user %s: no free uid range is left after UidBase %u in "
			    "ranges of UidsPerUser %u",
			    name, (unsigned)st->uid_base, st->uid_count);
	if (r < 0)
		return fail("cannot add user %s: %s", name, strerror(-r));

	printf("added user %s with host uids %u-%u in tier %s\n", name, (unsigned)user.uid_base,
	       last_uid(st, &user), tier ? tier : ctl->cfg.default_tier);
	return EXIT_SUCCESS;
}

static int run_user_set_tier(struct ctl *ctl, int argc, char **args)
{
	const char *name = args[0];
	const char *tier = strcmp(args[1], "-") == 0 ? "" : args[1];
	cleanup_free char *action = NULL;
	int r;

	(void)argc;
	if (!username_is_valid(name))
		return fail("cannot set the tier of \"%s\": invalid user name (" USERNAME_RULE ")",
			    name);
	if (asprintf(&action, "set the tier of %s", name) < 0)
		return fail("out of memory");
	if (tier[0] && !tier_is_defined(ctl, tier, action))
		return EXIT_FAILURE;

	r = store_user_set_tier(&ctl->st, name, tier);
	if (r == -ENOENT)
		return fail("cannot set the tier of %s: user not found", name);
	if (r < 0)
		return fail("cannot set the tier of %s: %s", name, strerror(-r));

	printf("user %s is in tier %s from its next sandbox start on\n", name,
	       tier[0] ? tier : ctl->cfg.default_tier);
	return EXIT_SUCCESS;
}

static int run_user_del(struct ctl *ctl, int argc, char **args)
{
	struct store *st = &ctl->st;
	const char *name = args[0];
	cleanup_free char *home = NULL;
	cleanup_free char *image = NULL;
	int r;

	(void)argc;

	if (!username_is_valid(name))
		return fail("cannot delete user \"%s\": invalid user name (" USERNAME_RULE ")",
			    name);
	r = store_user_del(st, name);
	if (r == -ENOENT)
		return fail("cannot delete user %s: user not found", name);
	if (r < 0)
		return fail("cannot delete user %s: %s", name, strerror(-r));

	/* The home is an image or a directory, whichever exists. */
	home = store_home_path(st, name);
	if (!home || asprintf(&image, "%s.img", home) < 0)
		return fail("deleted user %s, but cannot name its home: out of memory", name);
	if (access(image, F_OK) == 0)
		printf("deleted user %s; its home %s was kept\n", name, image);
	else
		printf("deleted user %s; its home %s was kept\n", name, home);
	return EXIT_SUCCESS;
}

/* Prints "NAME FIRST-LAST TIER" per user, with a note when the tier is
 * DefaultTier because the user has none, or because the configuration no
 * longer defines the user's tier (rexecd then uses DefaultTier). */
static int run_user_list(struct ctl *ctl, int argc, char **args)
{
	struct store *st = &ctl->st;
	cleanup_free struct store_user *users = NULL;
	size_t count = 0;
	int r = store_user_list(st, &users, &count);

	(void)argc;
	(void)args;
	if (r < 0)
		return fail("cannot list users in %s/users: %s", st->state_dir, strerror(-r));
	for (size_t i = 0; i < count; i++) {
		const char *tier = users[i].tier[0] ? users[i].tier : ctl->cfg.default_tier;
		const char *note = "";

		if (!users[i].tier[0])
			note = " (DefaultTier)";
		else if (!config_find_tier(&ctl->cfg, tier))
			note = " (not defined, DefaultTier applies)";

		printf("%s %u-%u %s%s\n", users[i].name, (unsigned)users[i].uid_base,
		       last_uid(st, &users[i]), tier, note);
	}
	return EXIT_SUCCESS;
}

/* ---- key commands ---- */

static int read_stdin(char **out)
{
	cleanup_free char *data = malloc(KEY_INPUT_MAX + 1);
	size_t len = 0;

	if (!data)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(STDIN_FILENO, data + len, KEY_INPUT_MAX + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > KEY_INPUT_MAX)
			return -EFBIG;
	}
	data[len] = '\0';
	if (strlen(data) != len)
		return -EBADMSG;
	*out = data;
	data = NULL;
	return 0;
}

static int read_key_input(const char *file, char **out)
{
	size_t len;
	int r;

	if (strcmp(file, "-") == 0)
		return read_stdin(out);
	r = util_read_file(file, KEY_INPUT_MAX, out, &len);
	if (r == 0 && strlen(*out) != len) {
		free(*out);
		*out = NULL;
		return -EBADMSG;
	}
	return r;
}

static int run_key_add(struct ctl *ctl, int argc, char **args)
{
	struct store *st = &ctl->st;
	const char *user = args[0], *file = args[1];
	const char *source = strcmp(file, "-") == 0 ? "standard input" : file;
	cleanup_free char *text = NULL;
	char err[512];
	int r;

	(void)argc;

	if (!username_is_valid(user))
		return fail("cannot add keys for \"%s\": invalid user name (" USERNAME_RULE ")",
			    user);
	r = read_key_input(file, &text);
	if (r == -EFBIG)
		return fail("cannot read %s: larger than %d bytes", source, KEY_INPUT_MAX);
	if (r == -EBADMSG)
		return fail("cannot read %s: it contains a NUL byte", source);
	if (r < 0)
		return fail("cannot read %s: %s", source, strerror(-r));

	r = store_key_add(st, user, text, err, sizeof(err));
	if (r == -ENOENT)
		return fail("cannot add keys for %s: user not found", user);
	if ((r == -EINVAL || r == -ENODATA || r == -EFBIG) && err[0])
		return fail("cannot add keys for %s: %s: %s", user, source, err);
	if (r < 0)
		return fail("cannot add keys for %s: %s", user, strerror(-r));

	if (r == 0)
		printf("no key added for %s: every key in %s is already present\n", user, source);
	else
		printf("added %d key%s for %s\n", r, r == 1 ? "" : "s", user);
	return EXIT_SUCCESS;
}

/* Prints text with control characters replaced by '?', so that a key
 * comment cannot send escape sequences to the administrator's terminal. */
static void print_sanitized(const char *text)
{
	for (; *text; text++)
		putchar((unsigned char)*text < 0x20 || *text == 0x7f ? '?' : *text);
}

static int print_key(const struct authkey *key)
{
	char fingerprint[AUTHKEYS_FINGERPRINT_MAX];
	int r = authkey_fingerprint(key->blob, key->blob_len, fingerprint, sizeof(fingerprint));

	if (r < 0)
		return r;
	/* ssh-keygen -l prints "no comment" for a key without one. */
	printf("%u %s ", key->bits, fingerprint);
	print_sanitized(key->comment[0] ? key->comment : "no comment");
	printf(" (%s)\n", authkey_type_label(key->type));
	return 0;
}

static int run_key_list(struct ctl *ctl, int argc, char **args)
{
	struct store *st = &ctl->st;
	const char *user = args[0];
	struct authkey *keys = NULL;
	size_t count = 0;
	int r;

	(void)argc;

	if (!username_is_valid(user))
		return fail("cannot list keys of \"%s\": invalid user name (" USERNAME_RULE ")",
			    user);
	r = store_key_list(st, user, &keys, &count);
	if (r == -ENOENT)
		return fail("cannot list keys of %s: user not found", user);
	if (r < 0)
		return fail("cannot list keys of %s: %s", user, strerror(-r));

	for (size_t i = 0; i < count && r == 0; i++)
		r = print_key(&keys[i]);
	for (size_t i = 0; i < count; i++)
		authkey_free(&keys[i]);
	free(keys);
	if (r < 0)
		return fail("cannot compute a key fingerprint: %s", strerror(-r));
	return EXIT_SUCCESS;
}

static int run_key_del(struct ctl *ctl, int argc, char **args)
{
	struct store *st = &ctl->st;
	const char *user = args[0], *fingerprint = args[1];
	struct store_user record;
	int r;

	(void)argc;

	if (!username_is_valid(user))
		return fail("cannot delete key of \"%s\": invalid user name (" USERNAME_RULE ")",
			    user);
	if (strncmp(fingerprint, "SHA256:", 7) != 0)
		return fail("cannot delete key of %s: invalid fingerprint \"%s\" (expected "
			    "SHA256:... as " PROGRAM " key list prints it)",
			    user, fingerprint);

	r = store_user_get(st, user, &record);
	if (r == -ENOENT)
		return fail("cannot delete key of %s: user not found", user);
	if (r < 0)
		return fail("cannot delete key of %s: %s", user, strerror(-r));

	r = store_key_del(st, user, fingerprint);
	if (r == -ENOENT)
		return fail("cannot delete key of %s: no key with fingerprint %s", user,
			    fingerprint);
	if (r < 0)
		return fail("cannot delete key of %s: %s", user, strerror(-r));

	printf("deleted key %s of %s\n", fingerprint, user);
	return EXIT_SUCCESS;
}

/* ---- main ---- */

static const struct command commands[] = {
	{ "user", "add", 1, 3, run_user_add },
	{ "user", "set-tier", 2, 2, run_user_set_tier },
	{ "user", "del", 1, 1, run_user_del },
	{ "user", "list", 0, 0, run_user_list },
	{ "key", "add", 2, 2, run_key_add },
	{ "key", "list", 1, 1, run_key_list },
	{ "key", "del", 2, 2, run_key_del },
};

static const struct command *find_command(int argc, char **argv, const char **problem)
{
	*problem = "missing command";
	if (argc < 2)
		return NULL;

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const struct command *cmd = &commands[i];

		if (strcmp(argv[0], cmd->noun) != 0 || strcmp(argv[1], cmd->verb) != 0)
			continue;
		if (argc - 2 < cmd->min_args || argc - 2 > cmd->max_args) {
			*problem = argc - 2 < cmd->min_args ? "missing argument"
							    : "too many arguments";
			return NULL;
		}
		return cmd;
	}
	*problem = "unknown command";
	return NULL;
}

/* Loads the configuration and opens the store. On failure ctl contains
 * nothing that needs freeing. */
static int open_ctl(const char *config_path, struct ctl *ctl)
{
	char err[CONFIG_ERROR_MAX];
	int r;

	config_init(&ctl->cfg);
	r = config_load(&ctl->cfg, config_path, err, sizeof(err));
	if (r < 0) {
		config_free(&ctl->cfg);
		return fail("%s", err);
	}

	r = store_open(&ctl->st, ctl->cfg.state_dir, ctl->cfg.uid_base, ctl->cfg.uid_count);
	if (r < 0) {
		fail("cannot open the store in %s: %s", ctl->cfg.state_dir, strerror(-r));
		config_free(&ctl->cfg);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config_path = CONFIG_DEFAULT_PATH;
	const struct command *cmd;
	const char *problem;
	struct ctl ctl;
	int opt, status;

	/* "+" stops at the first command word, so "key add USER -" keeps "-";
	 * ":" makes a missing option argument distinguishable. */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:f:h", options, NULL)) != -1) {
		switch (opt) {
		case 'f':
			config_path = optarg;
			break;
		case 'h':
			print_usage(stdout);
			return EXIT_SUCCESS;
		case ':':
			return usage_error("option %s requires an argument", argv[optind - 1]);
		default:
			return usage_error("invalid option %s", argv[optind - 1]);
		}
	}
	cmd = find_command(argc - optind, argv + optind, &problem);
	if (!cmd)
		return usage_error("%s", problem);

	if (geteuid() != 0)
		return fail("must be run as root, because the store is readable only by root");
	log_init(PROGRAM, false, LOG_LEVEL_WARN);

	status = open_ctl(config_path, &ctl);
	if (status != EXIT_SUCCESS)
		return status;
	status = cmd->run(&ctl, argc - optind - 2, argv + optind + 2);
	store_close(&ctl.st);
	config_free(&ctl.cfg);

	if (fflush(stdout) != 0 && status == EXIT_SUCCESS)
		return fail("cannot write to standard output: %s", strerror(errno));
	return status;
}
