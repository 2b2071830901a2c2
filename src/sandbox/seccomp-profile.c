/* Seccomp profiles in Docker's JSON format, read with json-c into a
 * libseccomp filter.
 *
 * Accepted, as Docker (moby) writes them: defaultAction, defaultErrnoRet,
 * architectures, archMap, flags, and syscalls[] entries with names (or the
 * older name), action, errnoRet, args[] (index, value, valueTwo, op),
 * comment, and includes/excludes with caps, arches and minKernel.
 *
 * Differences from Docker, all deliberate:
 * - Only the native architecture is added to the filter. archMap and
 *   architectures are checked for form only, and a call from any other
 *   architecture kills the process.
 * - includes/excludes caps are checked against the sandbox's bounding set
 *   (caps.c), so rules gated on CAP_SYS_ADMIN and friends never apply.
 * - An unknown key, action, operator, flag or system call name is an
 *   error, not skipped: a typo in a security profile must stop startup.
 *   Names that libseccomp knows only for other architectures are skipped.
 * - SCMP_ACT_NOTIFY is rejected, because there is no seccomp agent. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/utsname.h>

#include "rexec/util.h"
#include "sandbox-internal.h"
#include "seccomp-internal.h"

#define PROFILE_FILE_MAX (4 * 1024 * 1024)
#define ERRNO_MAX        4095 /* the kernel's MAX_ERRNO */
#define SYSCALL_ARGS_MAX 6

/* Docker's architecture names (Go's GOARCH) for includes/excludes arches. */
#if defined(__x86_64__)
#define NATIVE_ARCH_NAME "amd64"
#elif defined(__aarch64__)
#define NATIVE_ARCH_NAME "arm64"
#elif defined(__i386__)
#define NATIVE_ARCH_NAME "386"
#elif defined(__arm__)
#define NATIVE_ARCH_NAME "arm"
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_ARCH_NAME "ppc64le"
#elif defined(__s390x__)
#define NATIVE_ARCH_NAME "s390x"
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH_NAME "riscv64"
#else
#define NATIVE_ARCH_NAME "unknown"
#endif

struct syscall_number {
	const char *name;
	int nr; /* SYSCALL_NOT_NATIVE: the call exists on other architectures only */
};

#define SYSCALL_NOT_NATIVE (-2)

/* System calls newer than libseccomp 2.5.4 (Debian 12), which stops at
 * futex_requeue (456) and lacks uretprobe and riscv_hwprobe. Since Linux
 * 5.1 new calls have one number on every architecture but alpha and mips,
 * so the numbers from 457 on hold for x86_64 and aarch64. Source: the
 * kernel's arch/x86/entry/syscalls/syscall_64.tbl and scripts/syscall.tbl,
 * Linux 6.18. */
static const struct syscall_number newer_syscalls[] = {
#if defined(__x86_64__) || defined(__aarch64__)
    {"statmount", 457},
    {"listmount", 458},
    {"lsm_get_self_attr", 459},
    {"lsm_set_self_attr", 460},
    {"lsm_list_modules", 461},
    {"mseal", 462},
    {"setxattrat", 463},
    {"getxattrat", 464},
    {"listxattrat", 465},
    {"removexattrat", 466},
    {"open_tree_attr", 467},
    {"file_getattr", 468},
    {"file_setattr", 469},
    {"listns", 470},
#endif
#if defined(__x86_64__)
    {"uretprobe", 335},
#else
    {"uretprobe", SYSCALL_NOT_NATIVE},
#endif
#if !defined(__riscv)
    /* NOTE: a riscv64 build does not resolve it, so Docker's profile fails
     * to load there. */
    {"riscv_hwprobe", SYSCALL_NOT_NATIVE},
#endif
    {NULL, 0},
};

struct name_value {
	const char *name;
	uint32_t value;
};

static const struct name_value compare_ops[] = {
    {"SCMP_CMP_NE", SCMP_CMP_NE},
    {"SCMP_CMP_LT", SCMP_CMP_LT},
    {"SCMP_CMP_LE", SCMP_CMP_LE},
    {"SCMP_CMP_EQ", SCMP_CMP_EQ},
    {"SCMP_CMP_GE", SCMP_CMP_GE},
    {"SCMP_CMP_GT", SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ},
};

/* SECCOMP_FILTER_FLAG_TSYNC is left out, because each sandbox process
 * loads its filter while it has one thread. */
static const struct name_value filter_flags[] = {
    {"SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW},
};

static const char *const top_level_keys[] = {
    "defaultAction", "defaultErrnoRet", "architectures", "archMap", "flags", "syscalls", NULL,
};
static const char *const syscall_keys[] = {
    "names", "name", "action", "errnoRet", "args", "comment", "includes", "excludes", NULL,
};
static const char *const arg_keys[] = {"index", "value", "valueTwo", "op", NULL};
static const char *const filter_keys[] = {"caps", "arches", "minKernel", NULL};

/* State of reading one profile. Every error message starts with path. */
struct reader {
	const char *path;
	char *err;
	size_t err_len;
	struct seccomp_profile *profile;
	unsigned kernel_major, kernel_minor;
};

__attribute__((format(printf, 2, 3))) static int reader_fail(struct reader *reader, const char *fmt,
							     ...)
{
	size_t used;
	va_list ap;

	snprintf(reader->err, reader->err_len, "%s: ", reader->path);
	used = strlen(reader->err);
	va_start(ap, fmt);
	vsnprintf(reader->err + used, reader->err_len - used, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int sandbox_seccomp_resolve_syscall(const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);
	size_t i;

	if (nr != __NR_SCMP_ERROR)
		return nr;
	for (i = 0; newer_syscalls[i].name; i++) {
		if (strcmp(newer_syscalls[i].name, name) == 0)
			return newer_syscalls[i].nr;
	}
	return __NR_SCMP_ERROR;
}

static bool lookup_name(const struct name_value *table, size_t count, const char *name,
			uint32_t *value)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (strcmp(table[i].name, name) == 0) {
			*value = table[i].value;
			return true;
		}
	}
	return false;
}

static int check_keys(struct reader *reader, struct json_object *obj, const char *const *allowed,
		      const char *where)
{
	json_object_object_foreach(obj, key, value)
	{
		size_t i;

		(void)value;
		for (i = 0; allowed[i]; i++) {
			if (strcmp(allowed[i], key) == 0)
				break;
		}
		if (!allowed[i])
			return reader_fail(reader, "%s: unknown key \"%s\"", where, key);
	}
	return 0;
}

/* Checks that obj is a JSON object with no key outside allowed. */
static int check_object(struct reader *reader, struct json_object *obj, const char *const *allowed,
			const char *where)
{
	if (!json_object_is_type(obj, json_type_object))
		return reader_fail(reader, "%s must be an object", where);
	return check_keys(reader, obj, allowed, where);
}

/* Sets *out to the member key of obj, or to NULL when it is absent or
 * null. A member of another type is an error. */
static int get_member(struct reader *reader, struct json_object *obj, const char *key,
		      enum json_type type, const char *where, struct json_object **out)
{
	*out = NULL;
	if (!json_object_object_get_ex(obj, key, out) ||
	    json_object_is_type(*out, json_type_null)) {
		*out = NULL;
		return 0;
	}
	if (!json_object_is_type(*out, type))
		return reader_fail(reader, "%s: \"%s\" must be %s", where, key,
				   type == json_type_string  ? "a string"
				   : type == json_type_array ? "an array"
				   : type == json_type_int   ? "an integer"
							     : "an object");
	return 0;
}

/* Reads a non-negative integer member of at most max. An absent member
 * leaves *value unchanged. */
static int get_uint(struct reader *reader, struct json_object *obj, const char *key, uint64_t max,
		    const char *where, uint64_t *value)
{
	struct json_object *member;
	int r = get_member(reader, obj, key, json_type_int, where, &member);

	if (r < 0 || !member)
		return r;
	if (json_object_get_int64(member) < 0 || json_object_get_uint64(member) > max)
		return reader_fail(reader, "%s: \"%s\" must be from 0 to %" PRIu64, where, key,
				   max);
	*value = json_object_get_uint64(member);
	return 0;
}

/* Maps an action name and its errnoRet (EPERM when absent) to SCMP_ACT_*. */
static int parse_action(struct reader *reader, const char *name, uint64_t errno_ret,
			const char *where, uint32_t *action)
{
	if (strcmp(name, "SCMP_ACT_ALLOW") == 0)
		*action = SCMP_ACT_ALLOW;
	else if (strcmp(name, "SCMP_ACT_ERRNO") == 0)
		*action = SCMP_ACT_ERRNO((uint16_t)errno_ret);
	else if (strcmp(name, "SCMP_ACT_TRACE") == 0)
		*action = SCMP_ACT_TRACE((uint16_t)errno_ret);
	else if (strcmp(name, "SCMP_ACT_KILL") == 0 || strcmp(name, "SCMP_ACT_KILL_THREAD") == 0)
		*action = SCMP_ACT_KILL_THREAD;
	else if (strcmp(name, "SCMP_ACT_KILL_PROCESS") == 0)
		*action = SCMP_ACT_KILL_PROCESS;
	else if (strcmp(name, "SCMP_ACT_TRAP") == 0)
		*action = SCMP_ACT_TRAP;
	else if (strcmp(name, "SCMP_ACT_LOG") == 0)
		*action = SCMP_ACT_LOG;
	else if (strcmp(name, "SCMP_ACT_NOTIFY") == 0)
		return reader_fail(
		    reader, "%s: SCMP_ACT_NOTIFY is not supported (no seccomp agent)", where);
	else
		return reader_fail(reader, "%s: unknown action \"%s\"", where, name);
	return 0;
}

/* Reads "action" and "errnoRet" of obj (the top level uses the "default"
 * names). */
static int read_action(struct reader *reader, struct json_object *obj, const char *action_key,
		       const char *errno_key, const char *where, uint32_t *action)
{
	struct json_object *name;
	uint64_t errno_ret = EPERM;
	int r;

	r = get_member(reader, obj, action_key, json_type_string, where, &name);
	if (r < 0)
		return r;
	if (!name)
		return reader_fail(reader, "%s: \"%s\" is missing", where, action_key);
	r = get_uint(reader, obj, errno_key, ERRNO_MAX, where, &errno_ret);
	if (r < 0)
		return r;
	return parse_action(reader, json_object_get_string(name), errno_ret, where, action);
}

/* Sets *out to the array member key after checking that every element is
 * a string. *out is NULL when the member is absent. */
static int get_string_array(struct reader *reader, struct json_object *obj, const char *key,
			    const char *where, struct json_object **out)
{
	size_t i;
	int r = get_member(reader, obj, key, json_type_array, where, out);

	if (r < 0 || !*out)
		return r;
	for (i = 0; i < json_object_array_length(*out); i++) {
		if (!json_object_is_type(json_object_array_get_idx(*out, i), json_type_string))
			return reader_fail(reader, "%s: %s[%zu] must be a string", where, key, i);
	}
	return 0;
}

static bool array_contains(struct json_object *array, const char *text)
{
	size_t i;

	for (i = 0; array && i < json_object_array_length(array); i++) {
		if (strcmp(json_object_get_string(json_object_array_get_idx(array, i)), text) == 0)
			return true;
	}
	return false;
}

static int parse_flags(struct reader *reader, struct json_object *root)
{
	struct json_object *flags;
	size_t i;
	int r = get_string_array(reader, root, "flags", "top level", &flags);

	for (i = 0; r == 0 && flags && i < json_object_array_length(flags); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(flags, i));
		uint32_t value;

		if (!lookup_name(filter_flags, ARRAY_SIZE(filter_flags), name, &value))
			return reader_fail(reader, "flags[%zu]: unsupported flag \"%s\"", i, name);
		reader->profile->flags |= value;
	}
	return r;
}

/* architectures and archMap only name architectures that Rexec does not
 * add, so only their form is checked. */
static int check_architectures(struct reader *reader, struct json_object *root)
{
	static const char *const map_keys[] = {"architecture", "subArchitectures", NULL};
	struct json_object *arches, *map = NULL, *entry, *unused;
	size_t i;
	int r;

	r = get_string_array(reader, root, "architectures", "top level", &arches);
	if (r == 0)
		r = get_member(reader, root, "archMap", json_type_array, "top level", &map);
	for (i = 0; r == 0 && map && i < json_object_array_length(map); i++) {
		char where[32];

		snprintf(where, sizeof(where), "archMap[%zu]", i);
		entry = json_object_array_get_idx(map, i);
		r = check_object(reader, entry, map_keys, where);
		if (r == 0)
			r = get_member(reader, entry, "architecture", json_type_string, where,
				       &unused);
		if (r == 0)
			r = get_string_array(reader, entry, "subArchitectures", where, &unused);
	}
	return r;
}

/* Parses "X.Y" as Docker's minKernel. */
static int parse_kernel_version(struct reader *reader, const char *text, const char *where,
				unsigned *major, unsigned *minor)
{
	char tail;

	if (sscanf(text, "%u.%u%c", major, minor, &tail) != 2)
		return reader_fail(reader, "%s: minKernel \"%s\" is not of the form X.Y", where,
				   text);
	return 0;
}

/* Evaluates one includes or excludes object. Sets *matches when every
 * condition it lists is true (includes) or any of them is (excludes). */
static int eval_filter(struct reader *reader, struct json_object *filter, bool is_include,
		       const char *where, bool *matches)
{
	struct json_object *caps, *arches, *min_kernel;
	bool all = true, any = false;
	size_t i;
	int r;

	r = check_keys(reader, filter, filter_keys, where);
	if (r == 0)
		r = get_string_array(reader, filter, "caps", where, &caps);
	if (r == 0)
		r = get_string_array(reader, filter, "arches", where, &arches);
	if (r == 0)
		r = get_member(reader, filter, "minKernel", json_type_string, where, &min_kernel);
	if (r < 0)
		return r;

	for (i = 0; caps && i < json_object_array_length(caps); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(caps, i));
		cap_value_t cap;
		bool in_bounding_set;

		if (cap_from_name(name, &cap) < 0)
			return reader_fail(reader, "%s: unknown capability \"%s\"", where, name);
		in_bounding_set = sandbox_caps_is_kept(cap);
		all &= in_bounding_set;
		any |= in_bounding_set;
	}
	if (arches && json_object_array_length(arches) > 0) {
		bool native = array_contains(arches, NATIVE_ARCH_NAME);

		all &= native;
		any |= native;
	}
	if (min_kernel) {
		unsigned major, minor;
		bool new_enough;

		r = parse_kernel_version(reader, json_object_get_string(min_kernel), where, &major,
					 &minor);
		if (r < 0)
			return r;
		new_enough = reader->kernel_major > major ||
			     (reader->kernel_major == major && reader->kernel_minor >= minor);
		all &= new_enough;
		any |= new_enough;
	}
	*matches = is_include ? all : any;
	return 0;
}

/* Decides whether a syscalls[] entry applies on this host. */
static int entry_applies(struct reader *reader, struct json_object *entry, const char *where,
			 bool *applies)
{
	struct json_object *includes, *excludes;
	char filter_where[64];
	bool included = true, excluded = false;
	int r;

	r = get_member(reader, entry, "includes", json_type_object, where, &includes);
	if (r == 0)
		r = get_member(reader, entry, "excludes", json_type_object, where, &excludes);
	if (r == 0 && includes) {
		snprintf(filter_where, sizeof(filter_where), "%s.includes", where);
		r = eval_filter(reader, includes, true, filter_where, &included);
	}
	if (r == 0 && excludes) {
		snprintf(filter_where, sizeof(filter_where), "%s.excludes", where);
		r = eval_filter(reader, excludes, false, filter_where, &excluded);
	}
	*applies = included && !excluded;
	return r;
}

static int parse_arg(struct reader *reader, struct json_object *arg, const char *where,
		     struct scmp_arg_cmp *cmp)
{
	struct json_object *op;
	uint64_t index = SYSCALL_ARGS_MAX, value = 0, value_two = 0;
	uint32_t op_value;
	int r;

	r = check_object(reader, arg, arg_keys, where);
	if (r == 0)
		r = get_uint(reader, arg, "index", SYSCALL_ARGS_MAX - 1, where, &index);
	if (r == 0)
		r = get_uint(reader, arg, "value", UINT64_MAX, where, &value);
	if (r == 0)
		r = get_uint(reader, arg, "valueTwo", UINT64_MAX, where, &value_two);
	if (r == 0)
		r = get_member(reader, arg, "op", json_type_string, where, &op);
	if (r < 0)
		return r;
	if (index >= SYSCALL_ARGS_MAX)
		return reader_fail(reader, "%s: \"index\" is missing", where);
	if (!op)
		return reader_fail(reader, "%s: \"op\" is missing", where);
	if (!lookup_name(compare_ops, ARRAY_SIZE(compare_ops), json_object_get_string(op),
			 &op_value))
		return reader_fail(reader, "%s: unknown op \"%s\"", where,
				   json_object_get_string(op));

	/* For SCMP_CMP_MASKED_EQ, value is the mask and valueTwo the datum. */
	*cmp = (struct scmp_arg_cmp){
	    .arg = (unsigned)index,
	    .op = (enum scmp_compare)op_value,
	    .datum_a = value,
	    .datum_b = value_two,
	};
	return 0;
}

/* Reads args[] into cmps. libseccomp takes one comparison per argument in
 * a rule, so a second one on the same index is rejected here with a
 * clearer message than libseccomp's EINVAL. */
static int parse_args(struct reader *reader, struct json_object *entry, const char *where,
		      struct scmp_arg_cmp *cmps, unsigned *count)
{
	struct json_object *args;
	size_t i, j;
	int r = get_member(reader, entry, "args", json_type_array, where, &args);

	*count = 0;
	if (r < 0 || !args)
		return r;
	if (json_object_array_length(args) > SYSCALL_ARGS_MAX)
		return reader_fail(reader, "%s: more than %d args", where, SYSCALL_ARGS_MAX);
	for (i = 0; i < json_object_array_length(args); i++) {
		char arg_where[64];

		snprintf(arg_where, sizeof(arg_where), "%s.args[%zu]", where, i);
		r = parse_arg(reader, json_object_array_get_idx(args, i), arg_where, &cmps[i]);
		if (r < 0)
			return r;
		for (j = 0; j < i; j++) {
			if (cmps[j].arg == cmps[i].arg)
				return reader_fail(
				    reader,
				    "%s: a second comparison on argument %u (libseccomp "
				    "takes one per argument in a rule; write another "
				    "rule)",
				    arg_where, cmps[i].arg);
		}
	}
	*count = (unsigned)i;
	return 0;
}

/* Collects the entry's names ("names", or Docker's older "name") and checks
 * that each is a known system call. */
static int get_names(struct reader *reader, struct json_object *entry, const char *where,
		     struct json_object **names, struct json_object **single)
{
	size_t i;
	int r;

	r = get_string_array(reader, entry, "names", where, names);
	if (r == 0)
		r = get_member(reader, entry, "name", json_type_string, where, single);
	if (r < 0)
		return r;
	if (!*names && !*single)
		return reader_fail(reader, "%s: \"names\" is missing", where);

	for (i = 0; *names && i < json_object_array_length(*names); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(*names, i));

		if (sandbox_seccomp_resolve_syscall(name) == __NR_SCMP_ERROR)
			return reader_fail(reader, "%s.names[%zu]: unknown system call \"%s\"",
					   where, i, name);
	}
	if (*single &&
	    sandbox_seccomp_resolve_syscall(json_object_get_string(*single)) == __NR_SCMP_ERROR)
		return reader_fail(reader, "%s.name: unknown system call \"%s\"", where,
				   json_object_get_string(*single));
	return 0;
}

/* Adds the rule for one name. A rule whose action equals the default
 * action changes nothing, and libseccomp rejects it with EACCES, so it is
 * skipped as Docker's runtime skips it. */
static int add_rule(struct reader *reader, const char *name, uint32_t action,
		    const struct scmp_arg_cmp *cmps, unsigned count, bool applies,
		    const char *where)
{
	int nr = sandbox_seccomp_resolve_syscall(name);
	int r;

	if (nr < 0)
		return 0; /* exists only on other architectures */
	if (nr > reader->profile->highest_nr)
		reader->profile->highest_nr = nr;
	if (!applies)
		return 0;

	r = seccomp_rule_add_array(reader->profile->filter, action, nr, count, cmps);
	if (r == -EACCES)
		return 0;
	if (r < 0)
		return reader_fail(reader, "%s: libseccomp rejected the rule for %s: %s", where,
				   name, strerror(-r));
	reader->profile->rule_count++;
	return 0;
}

static int parse_syscall_entry(struct reader *reader, struct json_object *entry, const char *where)
{
	struct scmp_arg_cmp cmps[SYSCALL_ARGS_MAX];
	struct json_object *names, *single;
	unsigned count = 0;
	uint32_t action;
	bool applies = false;
	size_t i;
	int r;

	r = check_object(reader, entry, syscall_keys, where);
	if (r == 0)
		r = get_names(reader, entry, where, &names, &single);
	if (r == 0)
		r = read_action(reader, entry, "action", "errnoRet", where, &action);
	if (r == 0)
		r = parse_args(reader, entry, where, cmps, &count);
	if (r == 0)
		r = entry_applies(reader, entry, where, &applies);
	if (r < 0)
		return r;

	if (single)
		r = add_rule(reader, json_object_get_string(single), action, cmps, count, applies,
			     where);
	for (i = 0; r == 0 && names && i < json_object_array_length(names); i++)
		r = add_rule(reader, json_object_get_string(json_object_array_get_idx(names, i)),
			     action, cmps, count, applies, where);
	return r;
}

static int parse_syscalls(struct reader *reader, struct json_object *root)
{
	struct json_object *syscalls;
	size_t i;
	int r = get_member(reader, root, "syscalls", json_type_array, "top level", &syscalls);

	for (i = 0; r == 0 && syscalls && i < json_object_array_length(syscalls); i++) {
		char where[32];

		snprintf(where, sizeof(where), "syscalls[%zu]", i);
		r = parse_syscall_entry(reader, json_object_array_get_idx(syscalls, i), where);
	}
	return r;
}

/* Converts a byte offset into "line L, column C" for a JSON syntax error. */
static void describe_offset(const char *text, size_t offset, char *out, size_t out_len)
{
	unsigned line = 1, column = 1;
	size_t i;

	for (i = 0; i < offset && text[i]; i++) {
		if (text[i] == '\n') {
			line++;
			column = 1;
		} else {
			column++;
		}
	}
	snprintf(out, out_len, "line %u, column %u", line, column);
}

static int parse_json(struct reader *reader, const char *text, size_t len,
		      struct json_object **root)
{
	struct json_tokener *tok = json_tokener_new();
	enum json_tokener_error jerr;
	char position[64];
	size_t end;

	if (!tok)
		return reader_fail(reader, "out of memory");
	/* Strict mode also rejects anything but white space after the
	 * profile. */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	*root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);

	if (jerr == json_tokener_continue)
		return reader_fail(reader, "invalid JSON: the text ends inside a value");
	if (jerr != json_tokener_success) {
		describe_offset(text, end, position, sizeof(position));
		return reader_fail(reader, "invalid JSON at %s: %s", position,
				   json_tokener_error_desc(jerr));
	}
	if (!json_object_is_type(*root, json_type_object)) {
		json_object_put(*root);
		return reader_fail(reader, "the profile must be a JSON object");
	}
	return 0;
}

static int read_kernel_version(struct reader *reader)
{
	struct utsname uts;

	if (uname(&uts) < 0)
		return reader_fail(reader, "uname failed: %s", strerror(errno));
	if (sscanf(uts.release, "%u.%u", &reader->kernel_major, &reader->kernel_minor) != 2)
		return reader_fail(reader, "cannot read the kernel version from \"%s\"",
				   uts.release);
	return 0;
}

static int create_filter(struct reader *reader, struct json_object *root)
{
	uint32_t action;
	int r;

	r = read_action(reader, root, "defaultAction", "defaultErrnoRet", "top level", &action);
	if (r < 0)
		return r;
	reader->profile->default_action = action;
	reader->profile->filter = seccomp_init(action);
	if (!reader->profile->filter)
		return reader_fail(reader, "libseccomp cannot create a filter");

	/* A call of another architecture (a 32-bit program, int 0x80, x32 on
	 * x86_64) kills the process, because the rules match native system
	 * call numbers only. */
	r = seccomp_attr_set(reader->profile->filter, SCMP_FLTATR_ACT_BADARCH,
			     SCMP_ACT_KILL_PROCESS);
	/* A binary tree instead of a linear list for the few hundred rules. */
	if (r == 0)
		r = seccomp_attr_set(reader->profile->filter, SCMP_FLTATR_CTL_OPTIMIZE, 2);
	if (r < 0)
		return reader_fail(reader, "cannot set filter attributes: %s", strerror(-r));
	return 0;
}

int sandbox_seccomp_profile_load(const char *path, struct seccomp_profile *profile, char *err,
				 size_t err_len)
{
	struct reader reader = {.path = path, .err = err, .err_len = err_len, .profile = profile};
	struct json_object *root = NULL;
	cleanup_free char *text = NULL;
	size_t len;
	int r;

	memset(profile, 0, sizeof(*profile));
	profile->highest_nr = -1;

	r = util_read_file(path, PROFILE_FILE_MAX, &text, &len);
	if (r < 0) {
		snprintf(err, err_len, "%s: cannot read the seccomp profile: %s", path,
			 strerror(-r));
		return r;
	}
	r = read_kernel_version(&reader);
	if (r == 0)
		r = parse_json(&reader, text, len, &root);
	if (r < 0)
		return r;

	r = check_keys(&reader, root, top_level_keys, "top level");
	if (r == 0)
		r = check_architectures(&reader, root);
	if (r == 0)
		r = parse_flags(&reader, root);
	if (r == 0)
		r = create_filter(&reader, root);
	if (r == 0)
		r = parse_syscalls(&reader, root);
	json_object_put(root);
	if (r < 0 && profile->filter) {
		seccomp_release(profile->filter);
		profile->filter = NULL;
	}
	return r;
}
