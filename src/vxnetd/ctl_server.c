/* ctl_server: accepts `vxnet` clients on a UNIX SOCK_SEQPACKET socket,
 * reads their requests and sends the answers; ctl_handlers.c decodes the
 * requests, calls the core's change API and produces the answers, dumps
 * and monitor events. A request is checked
 * completely before anything changes; a refused request changes nothing
 * and says why in one line.
 *
 * No client can stall the daemon: sockets are non-blocking; what a client
 * does not read yet waits in its own queue, bounded in bytes (a client over
 * the bound is dropped, with a log line); a dump is produced a batch at a
 * time as the client drains it; a client's next request is read only once
 * the previous answer is out; clients are limited in number (a full server
 * gives the place of a client idle for a second to a new one, else refuses
 * it with a reason) and dropped when idle or stuck; running out of file
 * descriptors refuses one client with a reason instead of spinning.
 *
 * A change is confirmed once it is kept: the state is written once per turn
 * of the loop for all the changes of that turn (ctl_idle), and a link del
 * is answered once the reaper has removed its device. */
#include "ctl_server.h"
#include "ctl_server_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core.h"
#include "events.h"
#include "log.h"
#include "loop.h"
#include "reaper.h"
#include "vxnet/proto.h"

/* A full server gives the place of a client idle this long to a new one. */
#define CTL_EVICT_IDLE_MS 1000

void ctl_client_kill(struct ctl_server *s, struct client *c, const char *why)
{
	if (c->dead)
		return;
	if (why)
		log_info("control client dropped: %s", why);
	c->dead = true;
	loop_del(s->loop, &c->src);
	close(c->fd);
	c->fd = -1;
	while (c->head) {
		struct qmsg *m = c->head;
		c->head = m->next;
		free(m);
	}
	c->tail = NULL;
	c->queued = 0;
	free(c->dump);
	c->dump = NULL;
	s->n_clients--;
	s->n_dead++;
	/* Freed later (clients_reap), from a callback of our own: a publish
	 * may be walking the subscriber list right now. */
	if (s->listen_off) {
		/* A descriptor came free: listen again. */
		s->listen_off = false;
		loop_mod(s->loop, &s->listen, EPOLLIN);
	}
}

static void clients_reap(struct ctl_server *s)
{
	for (struct client **pp = &s->clients; *pp;) {
		struct client *c = *pp;
		/* A pending request still holds the client: freed at ctl_req_done. */
		if (c->dead && !c->pending) {
			*pp = c->next;
			if (c->monitor)
				events_unsubscribe(core_events(s->core), &c->sub);
			free(c);
			s->n_dead--;
		} else {
			pp = &c->next;
		}
	}
}

/* ---- the output queue ---- */

/* Send what is queued until the socket is full. 0, or -1 if the client died. */
static int client_flush(struct ctl_server *s, struct client *c)
{
	while (c->head) {
		struct qmsg *m = c->head;
		ssize_t n = send(c->fd, m->data, m->len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)
				return 0;
			ctl_client_kill(s, c, NULL);
			return -1;
		}
		c->head = m->next;
		if (!c->head)
			c->tail = NULL;
		c->queued -= m->len;
		free(m);
		c->last_progress = loop_now_ms();
	}
	return 0;
}

/* Queue one finished message. false: the client went over its bound (and
 * was dropped) or memory ran out. */
bool ctl_client_queue(struct ctl_server *s, struct client *c, struct ctl_msg *m)
{
	if (c->dead)
		return false;
	size_t len = ctl_msg_finish(m);
	if (c->queued + len > s->lim.max_queue) {
		char why[96];
		snprintf(why, sizeof(why), "%s does not read (over %zu queued bytes)",
			 c->monitor ? "monitor" : "client", s->lim.max_queue);
		ctl_client_kill(s, c, why);
		return false;
	}
	struct qmsg *q = malloc(sizeof(*q) + len);
	if (!q) {
		ctl_client_kill(s, c, "out of memory");
		return false;
	}
	q->next = NULL;
	q->len = len;
	memcpy(q->data, m->buf, len);
	if (c->tail)
		c->tail->next = q;
	else
		c->head = q;
	c->tail = q;
	c->queued += len;
	return true;
}

void ctl_client_msg(struct ctl_server *s, struct client *c, struct ctl_msg *m, uint16_t type)
{
	ctl_msg_init(m, s->buf, sizeof(s->buf), type, c->seq);
}

void ctl_client_done(struct ctl_server *s, struct client *c, int status, const char *why)
{
	struct ctl_msg m;
	ctl_client_msg(s, c, &m, CTL_MSG_DONE);
	ctl_msg_set_status(&m, status);
	if (status < 0) {
		if (!why)
			why = strerror(-status);
		ctl_put_str(&m, CTL_A_ERRMSG, why);
	}
	ctl_client_queue(s, c, &m);
}

/* After every turn of the loop: write the state once for the changes of
 * that turn, then answer them (link dels once their devices are gone). */
static void ctl_idle(void *arg)
{
	struct ctl_server *s = arg;
	if (!s->n_commit)
		return;
	s->n_commit = 0;
	int prc = core_commit(s->core);
	struct reaper *r = core_reaper(s->core);
	uint64_t reaped = r ? reaper_done(r) : 0;
	for (struct client *c = s->clients; c; c = c->next) {
		if (c->dead || !c->commit_wait)
			continue;
		c->commit_wait = false;
		c->held_status = prc < 0 ? prc : 0;
		c->held_why =
		    prc < 0 ? "applied, but the state file could not be written (see the daemon's log)" : NULL;
		if (c->reap_seq > reaped) {
			c->wait_reaped = c->reap_seq;
			continue;
		}
		ctl_client_done(s, c, c->held_status, c->held_why);
		if (client_flush(s, c) == 0)
			ctl_client_update_events(c);
	}
	if (s->n_dead)
		clients_reap(s);
}

/* The reaper removed devices: answer the link dels that waited for them. */
static void on_reaped(void *arg)
{
	struct ctl_server *s = arg;
	uint64_t done = reaper_done(core_reaper(s->core));
	for (struct client *c = s->clients; c; c = c->next) {
		if (c->dead || !c->wait_reaped || c->wait_reaped > done)
			continue;
		c->wait_reaped = 0;
		ctl_client_done(s, c, c->held_status, c->held_why);
		if (client_flush(s, c) == 0)
			ctl_client_update_events(c);
	}
	if (s->n_dead)
		clients_reap(s);
}

/* A client is read from only when its previous answer is out: one request
 * at a time, so what it can make us hold is one answer. A monitor is read
 * from all the time, to notice when it goes. */
void ctl_client_update_events(struct client *c)
{
	if (c->dead)
		return;
	/* Waiting for the state, the reaper or the cluster, there is nothing
	 * to watch but a hangup (reported whatever the mask). */
	bool out = c->head || c->dump, held = c->commit_wait || c->wait_reaped || c->pending;
	uint32_t ev = c->monitor ? EPOLLIN | (c->head ? EPOLLOUT : 0) : out ? EPOLLOUT : held ? 0 : EPOLLIN;
	if (ev != c->events && loop_mod(c->srv->loop, &c->src, ev) == 0)
		c->events = ev;
}

static void client_io_one(struct ctl_server *s, struct client *c, uint32_t events)
{
	if (c->dead)
		return;
	if (events & EPOLLOUT) {
		if (client_flush(s, c) < 0)
			return;
		if (c->dump && c->queued < CTL_BATCH_BYTES) {
			ctl_dump_pump(s, c);
			if (c->dead || client_flush(s, c) < 0)
				return;
		}
	}
	bool readable = events & (EPOLLIN | EPOLLHUP | EPOLLERR);
	if ((events & (EPOLLHUP | EPOLLERR)) && (c->commit_wait || c->wait_reaped || c->pending)) {
		ctl_client_kill(s, c, NULL); /* gone before its answer */
		return;
	}
	if (readable && (c->monitor || !(c->head || c->dump || c->commit_wait || c->wait_reaped || c->pending))) {
		ssize_t n = recv(c->fd, s->buf, sizeof(s->buf), MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				ctl_client_kill(s, c, NULL);
			return;
		}
		if (n == 0) {
			ctl_client_kill(s, c, NULL);
			return;
		}
		c->last_progress = loop_now_ms();
		if (c->monitor) {
			/* A monitor has nothing more to ask. */
			ctl_client_kill(s, c, "monitor client sent a request");
			return;
		}
		if ((size_t)n > sizeof(s->buf)) {
			struct ctl_hdr h;
			memcpy(&h, s->buf, sizeof(h));
			c->seq = h.seq;
			ctl_client_done(s, c, -EMSGSIZE, "request too long");
		} else {
			/* Replies reuse the buffer: the request is copied out. */
			uint8_t req[CTL_MSG_MAX];
			memcpy(req, s->buf, (size_t)n);
			ctl_handle(s, c, req, (size_t)n);
		}
		if (c->dead || client_flush(s, c) < 0)
			return;
	}
	ctl_client_update_events(c);
}

static void client_io(struct loop_src *src, uint32_t events)
{
	struct client *c = src->obj;
	struct ctl_server *s = c->srv;
	client_io_one(s, c, events);
	/* No publish is under way here: the dropped can be freed. */
	if (s->n_dead)
		clients_reap(s);
}

/* Refuse one client with a reason, without keeping it. */
static void refuse(int fd, const char *why)
{
	uint8_t buf[CTL_HDR_LEN + CTL_ERRMSG_LEN + 8];
	struct ctl_msg m;
	ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_DONE, 0);
	ctl_msg_set_status(&m, -EUSERS);
	ctl_put_str(&m, CTL_A_ERRMSG, why);
	size_t len = ctl_msg_finish(&m);
	if (send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		(void)0; /* the client left already: nothing to tell */
	close(fd);
}

/* A line per kind at most every 10 s: whoever floods the socket must not
 * flood the log too. */
static void log_limited(struct ctl_server *s, enum ctl_log kind, const char *what)
{
	uint64_t now = loop_now_ms();
	if (s->last_log[kind] && now - s->last_log[kind] < 10000)
		return;
	s->last_log[kind] = now;
	log_err("control socket: %s", what);
}

/* Make room for a new client: drop the one that has asked nothing for the
 * longest, if that is at least CTL_EVICT_IDLE_MS. A client that connects
 * to ask something asks at once; one that sits idle holds a place someone
 * else may need (an operator's `vxnet` while a script holds every place). */
static bool evict_idle(struct ctl_server *s)
{
	uint64_t now = loop_now_ms();
	struct client *old = NULL;
	for (struct client *c = s->clients; c; c = c->next)
		if (!c->dead && !c->monitor && !c->head && !c->dump && !c->commit_wait && !c->wait_reaped &&
		    !c->pending && (!old || c->last_progress < old->last_progress))
			old = c;
	if (!old || now - old->last_progress < CTL_EVICT_IDLE_MS)
		return false;
	ctl_client_kill(s, old, NULL);
	log_limited(s, CTL_LOG_EVICT, "all places taken: idle clients give theirs to new ones");
	return true;
}

static void accept_one(struct ctl_server *s)
{
	int fd = accept4(s->listen.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE) && evict_idle(s))
		fd = accept4(s->listen.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0) {
		if (errno != EMFILE && errno != ENFILE)
			return;
		/* Out of descriptors: free the reserve to refuse this client
		 * with a reason rather than leave it hanging, and stop
		 * listening until a descriptor comes free (a client goes, or
		 * the next timer tick tries again): never spin. */
		if (s->reserve_fd >= 0) {
			close(s->reserve_fd);
			s->reserve_fd = -1;
			fd = accept4(s->listen.fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd >= 0)
				refuse(fd, "vxnetd is out of file descriptors");
			s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		}
		log_limited(s, CTL_LOG_NOFD, "out of file descriptors: refusing clients until one closes");
		s->listen_off = true;
		s->listen_off_at = loop_now_ms();
		loop_mod(s->loop, &s->listen, 0);
		return;
	}
	if (s->n_clients >= s->lim.max_clients && !evict_idle(s)) {
		refuse(fd, "too many control clients (vxnetd --max-clients)");
		log_limited(s, CTL_LOG_FULL, "too many clients: refusing");
		return;
	}
	int sz = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	struct client *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->srv = s;
	c->events = EPOLLIN;
	c->last_progress = loop_now_ms();
	if (loop_add(s->loop, fd, EPOLLIN, &c->src, client_io, c) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = s->clients;
	s->clients = c;
	s->n_clients++;
}

static void accept_input(struct loop_src *src, uint32_t events)
{
	(void)events;
	struct ctl_server *s = src->obj;
	accept_one(s);
	if (s->n_dead)
		clients_reap(s);
}

/* Once a second: drop the idle and the stuck, free the dropped. */
static void on_timer(void *arg)
{
	struct ctl_server *s = arg;
	uint64_t now = loop_now_ms();
	for (struct client *c = s->clients; c; c = c->next) {
		if (c->dead)
			continue;
		/* A slow reader frees too little to make the socket writable
		 * (a quarter of the buffer) for a long time: what it has read
		 * since the last tick says it still reads. */
		int outq;
		if ((c->head || c->dump) && ioctl(c->fd, SIOCOUTQ, &outq) == 0) {
			if (outq < c->outq)
				c->last_progress = now;
			c->outq = outq;
		}
		uint64_t quiet = now - c->last_progress;
		if ((c->head || c->dump) && quiet > s->lim.stuck_ms)
			ctl_client_kill(s, c, "client stopped reading");
		else if (!c->monitor && !c->head && !c->dump && !c->commit_wait && !c->wait_reaped && !c->pending &&
			 quiet > s->lim.idle_ms)
			ctl_client_kill(s, c, "client idle");
	}
	clients_reap(s);
	/* Out of descriptors a while ago: the datapath may have given some
	 * back since (idle GSO sockets); try again, once a second at most. */
	if (s->listen_off && now - s->listen_off_at >= 1000) {
		s->listen_off = false;
		loop_mod(s->loop, &s->listen, EPOLLIN);
	}
}

/* ---- requests answered later ---- */

void ctl_server_set_async(struct ctl_server *s, ctl_async_fn fn, void *arg)
{
	s->async_fn = fn;
	s->async_arg = arg;
}

void ctl_req_msg(struct ctl_req *r, struct ctl_msg *m, void *buf, size_t cap, uint16_t type)
{
	ctl_msg_init(m, buf, cap, type, ((struct client *)r)->seq);
}

bool ctl_req_send(struct ctl_req *r, struct ctl_msg *m)
{
	struct client *c = (struct client *)r;
	return ctl_client_queue(c->srv, c, m);
}

void ctl_req_done(struct ctl_req *r, int status, const char *why)
{
	struct client *c = (struct client *)r;
	struct ctl_server *s = c->srv;
	c->pending = false;
	if (c->dead)
		return; /* freed by the next clients_reap (a client callback or the timer) */
	if (status == 0 && core_commit(s->core) < 0) {
		status = -EIO;
		why = "applied, but the state file could not be written (see the daemon's log)";
	}
	ctl_client_done(s, c, status, why);
	c->last_progress = loop_now_ms();
	if (client_flush(s, c) < 0)
		return;
	ctl_client_update_events(c);
}

void ctl_server_limits_default(struct ctl_server_limits *lim)
{
	lim->max_clients = 64;
	lim->max_queue = 16u << 20;
	lim->idle_ms = 30000;
	lim->stuck_ms = 10000;
}

struct ctl_server *ctl_server_open(struct loop *lp, struct core *core, const char *path,
				   const struct ctl_server_limits *lim)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path) - 16) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	/* Only a stale socket may be replaced: never another file, never the
	 * socket of a daemon that answers. */
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		errno = ENOTSOCK;
		return NULL;
	}
	int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return NULL;
	strcpy(sa.sun_path, path);
	if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		errno = EADDRINUSE;
		return NULL;
	}
	close(probe);

	struct ctl_server *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->loop = lp;
	s->core = core;
	s->lim = *lim;
	s->listen.fd = -1;
	s->timer.src.fd = -1;
	s->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	snprintf(s->path, sizeof(s->path), "%s", path);
	int rc = loop_timer_start(lp, &s->timer, 1000, on_timer, s);
	if (rc < 0)
		goto fail;

	/* Create the directory (e.g. /run/vxnet) if it is missing. */
	char dir[sizeof(sa.sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		mkdir(dir, 0755);
	}
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	/* Bind and listen under a temporary name, then rename: the socket file
	 * appears only when it already accepts connections. */
	char tmp[sizeof(sa.sun_path)];
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	unlink(tmp);
	strcpy(sa.sun_path, tmp);
	mode_t old = umask(077);
	rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || chmod(tmp, 0600) < 0 || listen(fd, 64) < 0 || rename(tmp, path) < 0) {
		rc = -errno;
		unlink(tmp);
		close(fd);
		goto fail;
	}
	rc = loop_add(lp, fd, EPOLLIN, &s->listen, accept_input, s);
	if (rc < 0) {
		unlink(path);
		close(fd);
		goto fail;
	}
	if (core_reaper(core))
		reaper_set_notify(core_reaper(core), on_reaped, s);
	loop_set_idle(lp, ctl_idle, s);
	return s;
fail:
	loop_timer_stop(lp, &s->timer);
	if (s->reserve_fd >= 0)
		close(s->reserve_fd);
	free(s);
	errno = -rc;
	return NULL;
}

void ctl_server_close(struct ctl_server *s)
{
	if (!s)
		return;
	if (core_reaper(s->core))
		reaper_set_notify(core_reaper(s->core), NULL, NULL);
	loop_set_idle(s->loop, NULL, NULL);
	for (struct client *c = s->clients; c; c = c->next)
		ctl_client_kill(s, c, NULL);
	clients_reap(s);
	loop_timer_stop(s->loop, &s->timer);
	if (s->listen.fd >= 0) {
		int fd = s->listen.fd;
		loop_del(s->loop, &s->listen);
		close(fd);
		unlink(s->path);
	}
	if (s->reserve_fd >= 0)
		close(s->reserve_fd);
	free(s);
}
