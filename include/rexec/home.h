/* Persistent home volumes, prepared by the monitor for each sandbox start.
 *
 * A tier's home size is enforced by one of two mechanisms, probed once at
 * startup on the filesystem of StateDirectory/homes:
 *
 *   project quota  homes/<name>/ is a directory with its own project id and
 *                  a block limit (XFS, or ext4 mounted with prjquota)
 *   loop image     homes/<name>.img is a sparse ext4 image, attached to a
 *                  loop device and mounted for the sandbox only
 *
 * A tier with home size 0 keeps a plain directory homes/<name>/ without a
 * limit. A plain directory left from before size limits stays in use,
 * with a warning, until an administrator migrates it (docs/architecture.md).
 *
 * home_open returns the home as a detached mount (open_tree or fsmount),
 * which the sandbox init attaches at /home/user. An image's mount never
 * appears in the host's mount namespace, so nothing is left mounted on the
 * host when the sandbox ends. */
#ifndef REXEC_HOME_H
#define REXEC_HOME_H

#include <stdint.h>
#include <sys/types.h>

enum home_quota {
	HOME_QUOTA_LOOP_IMAGE,
	HOME_QUOTA_PROJECT,
};

/* Returns the mechanism that limits homes in homes_dir: project quota when
 * its filesystem accounts and enforces project quota, otherwise loop
 * images. Logs what it found and why. */
enum home_quota home_probe_quota(const char *homes_dir);

/* Returns "project quota" or "loop image". */
const char *home_quota_name(enum home_quota quota);

struct home_params {
	const char *user;    /* validated user name, for logs */
	const char *path;    /* StateDirectory/homes/<name>: the directory; the image adds ".img" */
	uid_t owner;         /* host uid and gid of the login user inside */
	uid_t root;          /* host uid and gid of root inside */
	uint32_t project_id; /* project id for HOME_QUOTA_PROJECT */
	uint64_t max_bytes;  /* 0: a plain directory without a size limit */
	enum home_quota quota;
};

struct home {
	char *user;
	int tree_fd; /* detached mount for /home/user, O_CLOEXEC */
	int loop_nr; /* loop device of the image, -1 for a directory */
	char *image; /* absolute path of the image, NULL for a directory */
};

/* Creates, grows, checks and mounts the home as the tier requires. On
 * failure nothing stays attached or mounted, and err contains the reason. */
int home_open(const struct home_params *params, struct home **out, char *err, size_t err_len);

/* Closes the monitor's mount fd and frees home. Call it once the sandbox
 * has ended. For an image it first waits, at most about 2 s, until the
 * kernel has released the filesystem and detached the loop device. The
 * next start of the same user then never mounts the image twice. */
void home_close(struct home *home);

#endif
