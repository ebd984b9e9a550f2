/* state: the desired-state file's I/O and its exchange with the core
 * (state.h); the format is lib/statefile.c. */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "vxnet/statefile.h"

/* The file in the state directory (state.h says where the directory is). */
#define STATE_NAME "state.json"

struct state {
	char dir[256];
	char file[300];
	int lock_fd;
	/* The state directory, open for the daemon's life: the write, its
	 * rename and the directory's fsync take no new descriptor. */
	int dir_fd;
	/* Kept to be given up for the temporary file when the daemon is out of
	 * descriptors (a flood of clients): the change that was just accepted
	 * is still saved. */
	int reserve_fd;
	struct statefile carry; /* saved links that could not be made: kept */
};

/* mkdir -p */
static int make_dirs(const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Hold the reserve descriptor again if it was given up (or never got). */
static void reserve_take(struct state *st)
{
	if (st->reserve_fd < 0)
		st->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

struct state *state_open(const char *dir, const char *sock_path, int *rc)
{
	struct state *st = calloc(1, sizeof(*st));
	if (!st) {
		*rc = -ENOMEM;
		return NULL;
	}
	st->lock_fd = st->dir_fd = st->reserve_fd = -1;
	if (dir) {
		snprintf(st->dir, sizeof(st->dir), "%s", dir);
	} else if (!strcmp(sock_path, CTL_DEFAULT_SOCKET)) {
		snprintf(st->dir, sizeof(st->dir), "%s", STATE_DEFAULT_DIR);
	} else {
		/* One daemon per socket: "/tmp/a/x.sock" keeps its state in
		 * /var/lib/vxnet/tmp_a_x.sock. */
		char esc[200];
		size_t j = 0;
		for (const char *p = sock_path; *p && j + 1 < sizeof(esc); p++)
			if (!(j == 0 && *p == '/'))
				esc[j++] = *p == '/' ? '_' : *p;
		esc[j] = 0;
		snprintf(st->dir, sizeof(st->dir), "%s/%s", STATE_DEFAULT_DIR, esc);
	}
	snprintf(st->file, sizeof(st->file), "%s/" STATE_NAME, st->dir);
	*rc = make_dirs(st->dir);
	if (*rc < 0) {
		log_err("state: cannot create %s: %s", st->dir, strerror(-*rc));
		free(st);
		return NULL;
	}
	char lock[300];
	snprintf(lock, sizeof(lock), "%s/lock", st->dir);
	st->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lock_fd < 0 || flock(st->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		*rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (*rc == -EBUSY)
			log_err("state: %s is in use by another vxnetd", st->dir);
		if (st->lock_fd >= 0)
			close(st->lock_fd);
		free(st);
		return NULL;
	}
	st->dir_fd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	reserve_take(st);
	if (st->dir_fd < 0 || st->reserve_fd < 0) {
		*rc = -errno;
		log_err("state: cannot open %s: %s", st->dir, strerror(errno));
		state_close(st);
		return NULL;
	}
	return st;
}

void state_close(struct state *st)
{
	if (!st)
		return;
	statefile_free(&st->carry);
	close(st->lock_fd);
	if (st->dir_fd >= 0)
		close(st->dir_fd);
	if (st->reserve_fd >= 0)
		close(st->reserve_fd);
	free(st);
}

const char *state_path(const struct state *st)
{
	return st->file;
}

/* ---- saving ---- */

struct save_ctx {
	struct statefile *sf;
	int rc;
};

static void save_fdb_cb(const struct fdb_entry *e, void *arg)
{
	struct save_ctx *s = arg;
	for (unsigned i = 0; i < e->n_remotes; i++) {
		/* The link's own entry comes back with the link. */
		if (e->remotes[i].origin == FDB_ORIGIN_LINK)
			continue;
		if (statefile_add_fdb(s->sf, e->mac, &e->remotes[i]) < 0)
			s->rc = -ENOMEM;
	}
}

static void save_neigh_cb(const struct vx_addr *ip, const uint8_t mac[MAC_LEN], uint8_t origin, void *arg)
{
	struct save_ctx *s = arg;
	if (statefile_add_neigh(s->sf, ip, mac, origin) < 0)
		s->rc = -ENOMEM;
}

static void save_link_cb(struct core_link *l, void *arg)
{
	struct save_ctx *s = arg;
	if (statefile_add_link(s->sf, &l->cfg, l->origin) < 0) {
		s->rc = -ENOMEM;
		return;
	}
	statefile_set_link_state(s->sf, l->up, l->master);
	fdb_foreach(l->want_fdb, save_fdb_cb, s);
	neigh_foreach(l->want_neigh, save_neigh_cb, s);
}

static int copy_link(struct statefile *dst, const struct statefile_link *l)
{
	int rc = statefile_add_link(dst, &l->cfg, l->origin);
	if (rc == 0)
		statefile_set_link_state(dst, l->up, l->master);
	for (unsigned i = 0; rc == 0 && i < l->n_fdb; i++)
		rc = statefile_add_fdb(dst, l->fdb[i].mac, &l->fdb[i].r);
	for (unsigned i = 0; rc == 0 && i < l->n_neigh; i++)
		rc = statefile_add_neigh(dst, &l->neigh[i].ip, l->neigh[i].mac, l->neigh[i].origin);
	return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

#define STATE_TMP STATE_NAME ".tmp"

/* Open the temporary file in the state directory; out of descriptors, give
 * up the reserve for it (and take the reserve again on the next save). */
static int open_tmp(struct state *st)
{
	reserve_take(st);
	int fd = openat(st->dir_fd, STATE_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE) && st->reserve_fd >= 0) {
		close(st->reserve_fd);
		st->reserve_fd = -1;
		fd = openat(st->dir_fd, STATE_TMP, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	}
	return fd < 0 ? -errno : fd;
}

/* Write text as the state file: a crash leaves the old file or the new
 * one, never a mix. */
static int write_atomic(struct state *st, const char *text)
{
	int fd = open_tmp(st);
	if (fd < 0)
		return fd;
	int rc = write_all(fd, text, strlen(text));
	if (rc == 0)
		rc = write_all(fd, "\n", 1);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && renameat(st->dir_fd, STATE_TMP, st->dir_fd, STATE_NAME) < 0)
		rc = -errno;
	if (rc < 0) {
		unlinkat(st->dir_fd, STATE_TMP, 0);
		return rc;
	}
	fsync(st->dir_fd);
	reserve_take(st);
	return 0;
}

int state_save_cb(struct core *c, void *arg)
{
	struct state *st = arg;
	struct statefile sf = {0};
	struct save_ctx s = {&sf, 0};
	core_link_foreach(c, save_link_cb, &s);
	for (unsigned i = 0; s.rc == 0 && i < st->carry.n_links; i++)
		s.rc = copy_link(&sf, &st->carry.links[i]);
	char *text = s.rc ? NULL : statefile_format(&sf);
	statefile_free(&sf);
	int rc = text ? write_atomic(st, text) : -ENOMEM;
	free(text);
	if (rc < 0)
		log_err("state: cannot write %s: %s", st->file, strerror(-rc));
	return rc;
}

/* ---- restoring ---- */

static int read_file(const char *path, char **text, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat sb;
	if (fstat(fd, &sb) < 0 || sb.st_size > (64 << 20)) {
		close(fd);
		return -EFBIG;
	}
	char *buf = malloc((size_t)sb.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < (size_t)sb.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)sb.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = 0;
	*text = buf;
	*len = got;
	return 0;
}

static int restore_link(struct core *c, const struct statefile_link *sl)
{
	const char *why = NULL;
	int rc = core_link_add_state(c, &sl->cfg, sl->origin, true, sl->up, sl->master, &why);
	if (rc < 0) {
		log_err("state: link %s cannot be made now: %s (kept in the state file)", sl->cfg.name,
			why ? why : strerror(-rc));
		return rc;
	}
	for (unsigned i = 0; i < sl->n_fdb; i++) {
		why = NULL;
		if (core_fdb_ensure(c, sl->cfg.name, sl->fdb[i].mac, &sl->fdb[i].r, &why) < 0)
			log_err("state: %s: an fdb entry cannot be installed: %s", sl->cfg.name, why ? why : "?");
	}
	for (unsigned i = 0; i < sl->n_neigh; i++) {
		why = NULL;
		if (core_neigh_ensure(c, sl->cfg.name, &sl->neigh[i].ip, sl->neigh[i].mac, sl->neigh[i].origin, &why) <
		    0)
			log_err("state: %s: a neigh entry cannot be installed: %s", sl->cfg.name, why ? why : "?");
	}
	return 0;
}

int state_restore(struct state *st, struct core *c)
{
	char *text = NULL;
	size_t len = 0;
	int rc = read_file(st->file, &text, &len);
	if (rc == -ENOENT)
		return 0; /* a first start */
	if (rc < 0) {
		log_err("state: cannot read %s: %s", st->file, strerror(-rc));
		return rc;
	}
	struct statefile sf;
	char err[200];
	rc = statefile_parse(text, len, &sf, err, sizeof(err));
	free(text);
	if (rc < 0) {
		log_err("state: %s is corrupt (%s): refusing to start over it; fix or remove the file", st->file,
			rc == -EINVAL ? err : strerror(-rc));
		return -EINVAL;
	}
	unsigned ok = 0;
	for (unsigned i = 0; i < sf.n_links; i++) {
		if (restore_link(c, &sf.links[i]) == 0)
			ok++;
		else if (copy_link(&st->carry, &sf.links[i]) < 0)
			rc = -ENOMEM;
	}
	if (sf.n_links)
		log_info("state: %u of %u links restored from %s", ok, sf.n_links, st->file);
	statefile_free(&sf);
	return rc;
}

int state_purge(struct state *st, struct core *c, const char *sock_path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		log_err("purge: a vxnetd answers on %s: stop it first", sock_path);
		return -EBUSY;
	}
	if (probe >= 0)
		close(probe);
	int rc = state_restore(st, c);
	if (rc < 0)
		return rc;
	statefile_free(&st->carry);
	if (unlink(st->file) < 0 && errno != ENOENT)
		return -errno;
	log_info("purge: removed %s; the devices go now", st->file);
	return 0;
}
