/* cgroups for sandboxes: hierarchy detection and the steps both backends
 * share. See cgroup-internal.h for the split. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "rexec/log.h"
#include "rexec/util.h"
#include "cgroup-internal.h"

/* How long cgroup_destroy retries rmdir while the kernel still counts
 * tasks that have exited but are not yet released from the cgroup. */
#define CGROUP_REMOVE_TIMEOUT_MS 2000
#define CGROUP_REMOVE_RETRY_NS   (20 * 1000 * 1000)

#define CGROUP_FILE_MAX (64 * 1024)
#define CGROUP_NAME_MAX 128

char *cgroup_path_join(const char *a, const char *b, const char *c)
{
	char *path;
	int n;

	if (c)
		n = asprintf(&path, "%s/%s/%s", a, b, c);
	else
		n = asprintf(&path, "%s/%s", a, b);
	return n < 0 ? NULL : path;
}

bool cgroup_list_has(const char *list, const char *word)
{
	size_t word_len = strlen(word);
	const char *p = list;

	while (*p) {
		size_t len;

		p += strspn(p, " \t\n");
		len = strcspn(p, " \t\n");
		if (len == word_len && strncmp(p, word, len) == 0)
			return true;
		p += len;
	}
	return false;
}

/* Accepts "/" or "/a/b" without ".", ".." or empty components, so that a
 * path joined to a hierarchy root can never leave it. */
static bool own_path_is_valid(const char *path)
{
	const char *p = path;

	if (path[0] != '/')
		return false;
	if (strcmp(path, "/") == 0)
		return true;
	while (*p == '/') {
		size_t len;

		p++;
		len = strcspn(p, "/");
		if (len == 0)
			return false;
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		p += len;
	}
	return *p == '\0';
}

static bool controller_list_has(const char *list, size_t list_len, const char *controller)
{
	size_t want = strlen(controller);
	const char *end = list + list_len;
	const char *p = list;

	while (p < end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t len = comma ? (size_t)(comma - p) : (size_t)(end - p);

		if (len == want && strncmp(p, controller, len) == 0)
			return true;
		p += len + 1;
	}
	return false;
}

int cgroup_find_own_path(const char *self_cgroup_text, const char *controller, long *hierarchy_id,
			 char **path_out)
{
	const char *line = self_cgroup_text;

	*path_out = NULL;
	while (line && *line) {
		const char *eol = strchr(line, '\n');
		size_t line_len = eol ? (size_t)(eol - line) : strlen(line);
		const char *colon1 = memchr(line, ':', line_len);
		const char *colon2 =
		    colon1 ? memchr(colon1 + 1, ':', line_len - (size_t)(colon1 + 1 - line)) : NULL;

		if (colon2) {
			size_t list_len = (size_t)(colon2 - colon1 - 1);
			bool match = controller
					 ? controller_list_has(colon1 + 1, list_len, controller)
					 : (list_len == 0 && colon1 - line == 1 && line[0] == '0');

			if (match) {
				char *path =
				    strndup(colon2 + 1, line_len - (size_t)(colon2 + 1 - line));

				if (!path)
					return -ENOMEM;
				if (!own_path_is_valid(path)) {
					log_error("invalid own cgroup path '%s' for controller %s",
						  path, controller ? controller : "(v2)");
					free(path);
					return -EINVAL;
				}
				if (hierarchy_id)
					*hierarchy_id = strtol(line, NULL, 10);
				*path_out = path;
				return 0;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	return -ENOENT;
}

int cgroup_read_file(const char *dir, const char *file, char **out)
{
	cleanup_free char *path = cgroup_path_join(dir, file, NULL);

	if (!path)
		return -ENOMEM;
	return util_read_file(path, CGROUP_FILE_MAX, out, NULL);
}

int cgroup_read_counter(const char *dir, const char *file, const char *key, uint64_t *out)
{
	cleanup_free char *text = NULL;
	const char *line;
	size_t key_len = key ? strlen(key) : 0;
	int r = cgroup_read_file(dir, file, &text);

	*out = 0;
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	if (!key)
		return sscanf(text, "%" SCNu64, out) == 1 ? 0 : -EBADMSG;

	for (line = text; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (strncmp(line, key, key_len) == 0 && line[key_len] == ' ')
			return sscanf(line + key_len + 1, "%" SCNu64, out) == 1 ? 0 : -EBADMSG;
	}
	return 0;
}

int cgroup_write_file(const struct cgroup_manager *mgr, const char *dir, const char *file,
		      const char *value)
{
	cleanup_free char *path = cgroup_path_join(dir, file, NULL);
	cleanup_close int fd = -1;
	int flags = O_WRONLY | O_CLOEXEC;
	size_t len = strlen(value);
	ssize_t n;

	if (!path)
		return -ENOMEM;
	if (mgr->flags & CGROUP_OPEN_PLAIN_TREE)
		flags |= O_CREAT | O_TRUNC;

	fd = open(path, flags, 0644);
	if (fd < 0)
		return -errno;

	/* A cgroup file takes one value per write(2); a short write would
	 * leave half a value, so it counts as a failure. */
	n = write(fd, value, len);
	if (n < 0)
		return -errno;
	if ((size_t)n != len)
		return -EIO;
	return 0;
}

int cgroup_make_dir(const char *dir)
{
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int remove_plain_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *entry;
	int r = 0;

	if (!d)
		return -errno;
	while ((entry = readdir(d)) != NULL) {
		if (entry->d_type != DT_REG)
			continue;
		if (unlinkat(dirfd(d), entry->d_name, 0) < 0) {
			r = -errno;
			break;
		}
	}
	closedir(d);
	return r;
}

int cgroup_remove_dir(const struct cgroup_manager *mgr, const char *dir)
{
	if (mgr->flags & CGROUP_OPEN_PLAIN_TREE) {
		int r = remove_plain_files(dir);

		if (r < 0)
			return r;
	}
	if (rmdir(dir) < 0)
		return -errno;
	return 0;
}

int cgroup_check_fs(const struct cgroup_manager *mgr, const char *dir, long magic)
{
	struct statfs st;

	if (mgr->flags & CGROUP_OPEN_PLAIN_TREE)
		return 0;
	if (statfs(dir, &st) < 0)
		return -errno;
	if ((long)st.f_type != magic) {
		log_error("%s is not a cgroup%s filesystem", dir,
			  magic == CGROUP2_SUPER_MAGIC ? "2" : "");
		return -EMEDIUMTYPE;
	}
	return 0;
}

const char *cgroup_controller_dir(const struct cgroup *cg, enum cgroup_controller controller)
{
	int index = cg->mgr->controller_dir[controller];

	return index < 0 ? NULL : cg->dirs[index];
}

/* Returns the directory of the unified hierarchy when it exists: root itself
 * (pure v2) or root/unified (hybrid), otherwise NULL. */
static char *find_unified_root(const char *root)
{
	cleanup_free char *probe = cgroup_path_join(root, "cgroup.controllers", NULL);
	cleanup_free char *hybrid_probe = cgroup_path_join(root, "unified", "cgroup.controllers");

	if (!probe || !hybrid_probe)
		return NULL;
	if (access(probe, F_OK) == 0)
		return strdup(root);
	if (access(hybrid_probe, F_OK) == 0)
		return cgroup_path_join(root, "unified", NULL);
	return NULL;
}

/* The v2 backend is used only when rexecd's own cgroup in the unified
 * hierarchy can hand out both memory and pids. A hybrid setup whose unified
 * hierarchy contains neither (systemd's hybrid mode) is v1.
 * Returns 1 for v2, 0 for v1, or -EINVAL for an unusable own path. */
static int unified_has_controllers(const char *unified, const char *self_cgroup_text)
{
	cleanup_free char *own = NULL;
	cleanup_free char *own_dir = NULL;
	cleanup_free char *controllers = NULL;
	int r;

	r = cgroup_find_own_path(self_cgroup_text, NULL, NULL, &own);
	if (r == -EINVAL)
		return r;
	if (r < 0)
		return 0;
	own_dir = cgroup_path_join(unified, own + 1, NULL);
	if (!own_dir)
		return -ENOMEM;
	if (cgroup_read_file(own_dir, "cgroup.controllers", &controllers) < 0)
		return 0;
	return cgroup_list_has(controllers, "memory") && cgroup_list_has(controllers, "pids");
}

/* Removes the rexec parents unless a sandbox cgroup is still in one. */
static void remove_parent_dirs(struct cgroup_manager *mgr)
{
	size_t i;

	for (i = 0; i < mgr->parent_count; i++) {
		int r = cgroup_remove_dir(mgr, mgr->parent_dirs[i]);

		if (r < 0 && r != -EBUSY && r != -ENOTEMPTY && r != -ENOENT)
			log_warn("cannot remove cgroup %s: %s", mgr->parent_dirs[i], strerror(-r));
	}
}

static void manager_free(struct cgroup_manager *mgr)
{
	size_t i;

	for (i = 0; i < mgr->parent_count; i++)
		free(mgr->parent_dirs[i]);
	free(mgr->root);
	free(mgr->parent_name);
	free(mgr);
}

static bool name_is_valid(const char *name);

int cgroup_manager_open_flags(const char *root, const char *self_cgroup_text,
			      const char *parent_name, unsigned flags, struct cgroup_manager **out)
{
	cleanup_free char *unified = NULL;
	struct cgroup_manager *mgr;
	size_t i;
	int r;

	*out = NULL;
	if (!parent_name)
		parent_name = CGROUP_PARENT_NAME;
	if (!root || root[0] != '/' || !self_cgroup_text || !name_is_valid(parent_name))
		return -EINVAL;

	mgr = calloc(1, sizeof(*mgr));
	if (!mgr)
		return -ENOMEM;
	mgr->flags = flags;
	mgr->parent_name = strdup(parent_name);
	if (!mgr->parent_name) {
		manager_free(mgr);
		return -ENOMEM;
	}
	for (i = 0; i < CGROUP_CONTROLLER_COUNT; i++)
		mgr->controller_dir[i] = -1;

	unified = find_unified_root(root);
	r = unified ? unified_has_controllers(unified, self_cgroup_text) : 0;
	if (r < 0) {
		manager_free(mgr);
		return r;
	}
	if (r > 0) {
		mgr->backend = &cgroup_backend_v2;
		mgr->root = strdup(unified);
	} else {
		mgr->backend = &cgroup_backend_v1;
		mgr->root = strdup(root);
	}
	if (!mgr->root) {
		manager_free(mgr);
		return -ENOMEM;
	}

	r = mgr->backend->open(mgr, self_cgroup_text);
	if (r < 0) {
		remove_parent_dirs(mgr);
		manager_free(mgr);
		return r;
	}
	log_info("cgroup %s under %s, parent %s", mgr->backend->version, mgr->root,
		 mgr->parent_dirs[0]);
	*out = mgr;
	return 0;
}

int cgroup_manager_open(const char *root, const char *self_cgroup_text, const char *parent_name,
			struct cgroup_manager **out)
{
	return cgroup_manager_open_flags(root, self_cgroup_text, parent_name, 0, out);
}

void cgroup_manager_close(struct cgroup_manager *mgr)
{
	if (!mgr)
		return;
	remove_parent_dirs(mgr);
	manager_free(mgr);
}

const char *cgroup_manager_version(const struct cgroup_manager *mgr)
{
	return mgr->backend->version;
}

/* A cgroup name becomes one path component under the rexec parent. */
static bool name_is_valid(const char *name)
{
	size_t len = strlen(name);
	size_t i;

	if (len == 0 || len > CGROUP_NAME_MAX || name[0] == '.')
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';

		if (!ok)
			return false;
	}
	return true;
}

static void cgroup_free(struct cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->dir_count; i++)
		free(cg->dirs[i]);
	free(cg->name);
	free(cg);
}

/* Creates dir, replacing an empty leftover of an earlier rexecd run. A
 * leftover that still contains processes makes this fail with -EBUSY. */
static int make_fresh_dir(const struct cgroup_manager *mgr, const char *dir)
{
	int r;

	if (mkdir(dir, 0755) == 0)
		return 0;
	if (errno != EEXIST)
		return -errno;

	log_warn("removing leftover cgroup %s", dir);
	r = cgroup_remove_dir(mgr, dir);
	if (r < 0)
		return r;
	if (mkdir(dir, 0755) < 0)
		return -errno;
	return 0;
}

/* Removes dir, retrying while the kernel still counts exiting tasks. */
static int remove_dir_with_retry(const struct cgroup_manager *mgr, const char *dir)
{
	unsigned long long deadline = util_now_ms() + CGROUP_REMOVE_TIMEOUT_MS;
	const struct timespec pause = {.tv_sec = 0, .tv_nsec = CGROUP_REMOVE_RETRY_NS};

	for (;;) {
		int r = cgroup_remove_dir(mgr, dir);

		if (r == 0 || r == -ENOENT)
			return 0;
		if (r != -EBUSY || util_now_ms() >= deadline)
			return r;
		nanosleep(&pause, NULL);
	}
}

static void remove_created_dirs(struct cgroup *cg)
{
	size_t i;

	for (i = 0; i < cg->dir_count; i++) {
		int r = cgroup_remove_dir(cg->mgr, cg->dirs[i]);

		if (r < 0 && r != -ENOENT)
			log_warn("cannot remove cgroup %s: %s", cg->dirs[i], strerror(-r));
	}
}

static int create_dirs(struct cgroup *cg)
{
	const struct cgroup_manager *mgr = cg->mgr;
	size_t i;

	for (i = 0; i < mgr->parent_count; i++) {
		char *dir = cgroup_path_join(mgr->parent_dirs[i], cg->name, NULL);
		int r;

		if (!dir)
			return -ENOMEM;
		r = make_fresh_dir(mgr, dir);
		if (r < 0) {
			log_error("cannot create cgroup %s: %s", dir, strerror(-r));
			free(dir);
			return r;
		}
		cg->dirs[cg->dir_count++] = dir;
	}
	return 0;
}

int cgroup_create(struct cgroup_manager *mgr, const char *name, const struct cgroup_limits *limits,
		  struct cgroup **out)
{
	struct cgroup *cg;
	int r;

	*out = NULL;
	if (!name || !name_is_valid(name)) {
		log_error("invalid cgroup name '%s'", name ? name : "(null)");
		return -EINVAL;
	}

	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return -ENOMEM;
	cg->mgr = mgr;
	cg->name = strdup(name);

	r = cg->name ? create_dirs(cg) : -ENOMEM;
	if (r == 0)
		r = mgr->backend->apply_limits(cg, limits);
	if (r < 0) {
		remove_created_dirs(cg);
		cgroup_free(cg);
		return r;
	}

	*out = cg;
	return 0;
}

int cgroup_attach(struct cgroup *cg, pid_t pid)
{
	char value[32];
	size_t i;

	snprintf(value, sizeof(value), "%d", (int)pid);
	for (i = 0; i < cg->dir_count; i++) {
		int r = cgroup_write_file(cg->mgr, cg->dirs[i], "cgroup.procs", value);

		if (r < 0) {
			log_error("cannot move pid=%d into cgroup %s: %s", (int)pid, cg->dirs[i],
				  strerror(-r));
			return r;
		}
	}
	return 0;
}

int cgroup_open_fd(struct cgroup *cg)
{
	if (!cg->mgr->backend->open_fd)
		return -EOPNOTSUPP;
	return cg->mgr->backend->open_fd(cg);
}

int cgroup_read_events(struct cgroup *cg, struct cgroup_events *out)
{
	memset(out, 0, sizeof(*out));
	return cg->mgr->backend->read_events(cg, out);
}

int cgroup_destroy(struct cgroup *cg)
{
	int result = 0;
	size_t i;

	if (!cg)
		return 0;

	if (cg->mgr->backend->kill) {
		int r = cg->mgr->backend->kill(cg);

		if (r < 0)
			log_warn("cannot kill processes of cgroup %s: %s", cg->name, strerror(-r));
	}

	for (i = 0; i < cg->dir_count; i++) {
		int r = remove_dir_with_retry(cg->mgr, cg->dirs[i]);

		if (r < 0) {
			log_error("cannot remove cgroup %s: %s", cg->dirs[i], strerror(-r));
			if (result == 0)
				result = r;
		}
	}
	cgroup_free(cg);
	return result;
}
