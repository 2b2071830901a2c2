/* Capabilities of the sandbox init and everything it starts. */
#include "config.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "rexec/util.h"
#include "sandbox-internal.h"

/* The bounding set every sandbox keeps. SETUID and SETGID let init switch
 * to the login user. The login user itself ends with no capability at all
 * (sandbox_caps_drop_all), and no_new_privs keeps setuid binaries and file
 * capabilities from raising them again. */
static const int kept_caps[] = {
    CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_SETGID, CAP_SETUID, CAP_KILL, CAP_NET_BIND_SERVICE,
};

bool sandbox_caps_is_kept(int cap)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kept_caps); i++) {
		if (kept_caps[i] == cap)
			return true;
	}
	return false;
}

/* Returns the highest capability number of the running kernel, which may
 * be above this build's CAP_LAST_CAP. */
static int last_cap(void)
{
	cleanup_free char *text = NULL;
	long value;

	if (util_read_file("/proc/sys/kernel/cap_last_cap", 32, &text, NULL) < 0)
		return CAP_LAST_CAP;
	value = strtol(text, NULL, 10);
	return value > 0 && value < 64 ? (int)value : CAP_LAST_CAP;
}

static int drop_bounding_set(char *err, size_t err_len)
{
	int last = last_cap();
	int cap;

	for (cap = 0; cap <= last; cap++) {
		if (sandbox_caps_is_kept(cap))
			continue;
		/* EINVAL: the kernel has no capability with this number. */
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return sandbox_fail(err, err_len, -errno, "cannot drop capability %d", cap);
	}
	return 0;
}

/* The bounding set only limits what execve can grant, and init never
 * execs. So its own permitted and effective sets are cut to the same list,
 * and its inheritable and ambient sets are emptied. */
static int limit_own_caps(char *err, size_t err_len)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0}};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kept_caps); i++) {
		int cap = kept_caps[i];

		data[CAP_TO_INDEX(cap)].permitted |= CAP_TO_MASK(cap);
		data[CAP_TO_INDEX(cap)].effective |= CAP_TO_MASK(cap);
	}
	if (syscall(SYS_capset, &header, data) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot set the capabilities of init");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot clear the ambient capabilities");
	return 0;
}

int sandbox_caps_limit(char *err, size_t err_len)
{
	int r = drop_bounding_set(err, err_len);

	if (r < 0)
		return r;
	return limit_own_caps(err, err_len);
}

/* setresuid from uid 0 to a non-zero uid already clears the permitted,
 * effective and ambient sets, unless a securebit or PR_SET_KEEPCAPS keeps
 * them. This does not rely on that: it empties every set, the inheritable
 * one too, and reads them back. */
int sandbox_caps_drop_all(char *err, size_t err_len)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {{0}};
	size_t i;

	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot clear the ambient capabilities");
	if (syscall(SYS_capset, &header, data) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot drop all capabilities");

	if (syscall(SYS_capget, &header, data) < 0)
		return sandbox_fail(err, err_len, -errno, "cannot read the capabilities back");
	for (i = 0; i < ARRAY_SIZE(data); i++) {
		if (data[i].effective || data[i].permitted || data[i].inheritable)
			return sandbox_fail(err, err_len, -EPERM, "capabilities remain after the drop");
	}
	return 0;
}
