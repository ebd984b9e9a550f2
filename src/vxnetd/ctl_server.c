/* ctl_server: accepts `vxnet` clients on a UNIX SOCK_SEQPACKET socket,
 * decodes their requests, calls the core's change API and answers; monitor
 * clients are subscribers of the core's events. A request is checked
 * completely before anything changes; a refused request changes nothing
 * and says why in one line. */
#include "ctl_server.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core.h"
#include "events.h"
#include "log.h"
#include "loop.h"
#include "vxnet/proto.h"

struct client {
	struct loop_src src;
	struct ctl_server *srv;
	int fd;
	struct events_sub sub; /* monitor clients only */
	bool monitor;
	bool dead;
	uint32_t seq; /* of the request being answered */
	struct client *next;
};

struct ctl_server {
	struct loop *loop;
	struct core *core;
	struct loop_src listen;
	char path[108];
	struct client *clients;
	struct loop_timer reap;	  /* frees clients killed while an event was being published */
	uint8_t buf[CTL_MSG_MAX]; /* one request at a time: reused by every reply */
};

/* Reply context: one buffer reused for every message of an answer. */
struct reply {
	struct ctl_server *s;
	struct client *c;
	int err; /* first send error: the rest of the answer is skipped */
};

static void client_kill(struct ctl_server *s, struct client *c)
{
	if (c->dead)
		return;
	c->dead = true;
	loop_del(s->loop, &c->src);
	close(c->fd);
	c->fd = -1;
	/* Not freed here: a publish may be walking the subscriber list. */
	loop_timer_once(&s->reap, 1);
}

static void clients_reap(void *arg)
{
	struct ctl_server *s = arg;
	for (struct client **pp = &s->clients; *pp;) {
		struct client *c = *pp;
		if (c->dead) {
			*pp = c->next;
			if (c->monitor)
				events_unsubscribe(core_events(s->core), &c->sub);
			free(c);
		} else {
			pp = &c->next;
		}
	}
}

static int send_msg(struct client *c, struct ctl_msg *m, int flags)
{
	size_t len = ctl_msg_finish(m);
	ssize_t n = send(c->fd, m->buf, len, MSG_NOSIGNAL | flags);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EMSGSIZE;
}

static void reply_start(struct reply *r, struct ctl_msg *m, uint16_t type)
{
	ctl_msg_init(m, r->s->buf, sizeof(r->s->buf), type, r->c->seq);
}

static void reply_send(struct reply *r, struct ctl_msg *m)
{
	if (r->err)
		return;
	r->err = send_msg(r->c, m, 0);
}

static void reply_done(struct reply *r, int status, const char *why)
{
	struct ctl_msg m;
	reply_start(r, &m, CTL_MSG_DONE);
	ctl_msg_set_status(&m, status);
	if (status < 0) {
		if (!why)
			why = strerror(-status);
		ctl_put_str(&m, CTL_A_ERRMSG, why);
	}
	reply_send(r, &m);
}

/* ---- objects ---- */

static void put_fdb(struct ctl_msg *m, const char *link, uint32_t vni, uint16_t dstport, const uint8_t mac[MAC_LEN],
		    const struct fdb_remote *rem, enum fdb_state state, uint64_t age_ms)
{
	ctl_put_str(m, CTL_A_IFNAME, link);
	ctl_put_u32(m, CTL_A_VNI, vni);
	ctl_put_u16(m, CTL_A_DSTPORT, dstport);
	ctl_put_mac(m, CTL_A_LLADDR, mac);
	if (rem) {
		ctl_put_addr(m, CTL_A_DST, &rem->ip);
		ctl_put_u16(m, CTL_A_PORT, rem->port);
		ctl_put_u32(m, CTL_A_RVNI, rem->vni);
		ctl_put_u8(m, CTL_A_ORIGIN, rem->origin);
	}
	if (state)
		ctl_put_u8(m, CTL_A_STATE, (uint8_t)state);
	ctl_put_u64(m, CTL_A_AGE_MS, age_ms);
}

static void stat_cb(enum dp_stat_group g, const char *name, uint64_t v, void *arg)
{
	ctl_put_stat(arg, g == DP_STAT_SOCKET ? CTL_A_SOCKSTATS : CTL_A_STATS, name, v);
}

static void put_link(struct ctl_msg *m, struct core *core, struct core_link *l)
{
	const struct link_config *c = &l->cfg;
	ctl_put_str(m, CTL_A_IFNAME, c->name);
	ctl_put_u32(m, CTL_A_IFINDEX, (uint32_t)l->ifindex);
	ctl_put_u32(m, CTL_A_VNI, c->vni);
	ctl_put_u16(m, CTL_A_DSTPORT, c->dstport);
	if (c->local.family)
		ctl_put_addr(m, CTL_A_LOCAL, &c->local);
	if (c->remote.family)
		ctl_put_addr(m, CTL_A_REMOTE, &c->remote);
	if (c->group.family)
		ctl_put_addr(m, CTL_A_GROUP, &c->group);
	if (c->set & LINK_P_DEV)
		ctl_put_str(m, CTL_A_DEV, c->dev);
	ctl_put_u8(m, CTL_A_LEARNING, c->learning);
	ctl_put_u8(m, CTL_A_PROXY, c->proxy);
	ctl_put_u32(m, CTL_A_AGEING, c->ageing);
	ctl_put_u32(m, CTL_A_MAXADDR, c->maxaddress);
	ctl_put_u8(m, CTL_A_TTL, c->ttl);
	ctl_put_u8(m, CTL_A_TOS, c->tos);
	ctl_put_u8(m, CTL_A_TOS_INHERIT, c->tos_inherit);
	ctl_put_u16(m, CTL_A_SRCPORT_MIN, c->srcport_min);
	ctl_put_u16(m, CTL_A_SRCPORT_MAX, c->srcport_max);
	ctl_put_u32(m, CTL_A_MTU, l->mtu);
	ctl_put_u32(m, CTL_A_OPER_MTU, core_oper_mtu(core, l));
	ctl_put_mac(m, CTL_A_ADDRESS, c->address);
	if (c->set & LINK_P_NETNS)
		ctl_put_str(m, CTL_A_NETNS, c->netns);
	ctl_put_u8(m, CTL_A_DATAPATH, c->datapath);
	core_stats(core, l, stat_cb, m);
}

/* ---- events ---- */

static void on_event(const struct vx_event *ev, void *arg)
{
	struct client *c = arg;
	if (c->dead)
		return;
	uint8_t buf[512];
	struct ctl_msg m;
	ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_EVENT, 0);
	ctl_put_u8(&m, CTL_A_EVENT, (uint8_t)ev->type);
	switch (ev->type) {
	case CTL_EVENT_LINK_ADDED:
	case CTL_EVENT_LINK_DELETED:
	case CTL_EVENT_LINK_RESTORED:
		ctl_put_str(&m, CTL_A_IFNAME, ev->link);
		ctl_put_u32(&m, CTL_A_VNI, ev->vni);
		break;
	case CTL_EVENT_L2MISS:
		ctl_put_str(&m, CTL_A_IFNAME, ev->link);
		ctl_put_mac(&m, CTL_A_LLADDR, ev->mac);
		break;
	case CTL_EVENT_L3MISS:
		ctl_put_str(&m, CTL_A_IFNAME, ev->link);
		ctl_put_addr(&m, CTL_A_DST, &ev->ip);
		break;
	case CTL_EVENT_NEIGH_ADDED:
	case CTL_EVENT_NEIGH_DELETED:
	case CTL_EVENT_NEIGH_RESTORED:
		ctl_put_str(&m, CTL_A_IFNAME, ev->link);
		ctl_put_addr(&m, CTL_A_DST, &ev->ip);
		if (ev->has_mac)
			ctl_put_mac(&m, CTL_A_LLADDR, ev->mac);
		ctl_put_u8(&m, CTL_A_ORIGIN, ev->origin);
		break;
	default:
		put_fdb(&m, ev->link, ev->vni, ev->dstport, ev->mac, ev->has_remote ? &ev->remote : NULL, ev->state, 0);
		break;
	}
	struct ctl_server *s = c->srv;
	/* Never block the daemon for a slow listener: drop the event. */
	size_t len = ctl_msg_finish(&m);
	if (send(c->fd, m.buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != ENOBUFS)
		client_kill(s, c);
}

/* ---- requests ---- */

struct show_ctx {
	struct reply *r;
	struct core_link *l;
	uint64_t now;
};

static void fdb_show_cb(const struct fdb_entry *e, void *arg)
{
	struct show_ctx *x = arg;
	for (unsigned i = 0; i < e->n_remotes; i++) {
		struct ctl_msg m;
		reply_start(x->r, &m, CTL_MSG_FDB);
		put_fdb(&m, x->l->cfg.name, x->l->cfg.vni, x->l->cfg.dstport, e->mac, &e->remotes[i], e->state,
			x->now > e->updated ? x->now - e->updated : 0);
		reply_send(x->r, &m);
	}
}

static void neigh_show_cb(const struct vx_addr *ip, const uint8_t mac[MAC_LEN], unsigned origin, void *arg)
{
	struct show_ctx *x = arg;
	struct ctl_msg m;
	reply_start(x->r, &m, CTL_MSG_NEIGH);
	ctl_put_str(&m, CTL_A_IFNAME, x->l->cfg.name);
	ctl_put_addr(&m, CTL_A_DST, ip);
	ctl_put_mac(&m, CTL_A_LLADDR, mac);
	ctl_put_u8(&m, CTL_A_ORIGIN, (uint8_t)origin);
	reply_send(x->r, &m);
}

enum show_kind { SHOW_LINK, SHOW_FDB, SHOW_NEIGH };

struct show_all {
	struct reply *r;
	enum show_kind kind;
	int err;
};

static int show_one(struct reply *r, enum show_kind kind, struct core_link *l)
{
	struct core *core = r->s->core;
	struct show_ctx x = {r, l, loop_now_ms()};
	struct ctl_msg m;
	switch (kind) {
	case SHOW_LINK:
		reply_start(r, &m, CTL_MSG_LINK);
		put_link(&m, core, l);
		reply_send(r, &m);
		return 0;
	case SHOW_FDB:
		return core_fdb_dump(core, l, fdb_show_cb, &x);
	case SHOW_NEIGH:
		return core_neigh_dump(core, l, neigh_show_cb, &x);
	}
	return 0;
}

static void show_each(struct core_link *l, void *arg)
{
	struct show_all *a = arg;
	int rc = show_one(a->r, a->kind, l);
	if (rc < 0 && !a->err)
		a->err = rc;
}

static void do_show(struct reply *r, const struct ctl_parsed *p, enum show_kind kind)
{
	const char *name = NULL;
	int rc = 0;
	if (ctl_get_str(p, CTL_A_IFNAME, &name) == 0) {
		struct core_link *l = core_link_find(r->s->core, name);
		if (!l) {
			reply_done(r, -ENODEV, "no such link");
			return;
		}
		rc = show_one(r, kind, l);
	} else {
		struct show_all a = {r, kind, 0};
		core_link_foreach(r->s->core, show_each, &a);
		rc = a.err;
	}
	reply_done(r, rc, rc < 0 ? "cannot read the datapath's table" : NULL);
}

static int do_fdb_change(struct ctl_server *s, uint16_t type, const struct ctl_parsed *p, const char **why)
{
	struct fdb_req req;
	if (ctl_get_fdb_req(p, &req) < 0) {
		*why = "bad fdb request";
		return -EINVAL;
	}
	static const enum core_op ops[] = {[CTL_MSG_FDB_ADD - CTL_MSG_FDB_ADD] = CORE_ADD,
					   [CTL_MSG_FDB_APPEND - CTL_MSG_FDB_ADD] = CORE_APPEND,
					   [CTL_MSG_FDB_REPLACE - CTL_MSG_FDB_ADD] = CORE_REPLACE,
					   [CTL_MSG_FDB_DEL - CTL_MSG_FDB_ADD] = CORE_DEL};
	return core_fdb(s->core, ops[type - CTL_MSG_FDB_ADD], &req, FDB_ORIGIN_USER, why);
}

static int do_neigh_change(struct ctl_server *s, uint16_t type, const struct ctl_parsed *p, const char **why)
{
	struct neigh_req req;
	if (ctl_get_neigh_req(p, &req) < 0) {
		*why = "bad neigh request";
		return -EINVAL;
	}
	enum core_op op = type == CTL_MSG_NEIGH_ADD	  ? CORE_ADD
			  : type == CTL_MSG_NEIGH_REPLACE ? CORE_REPLACE
							  : CORE_DEL;
	return core_neigh(s->core, op, &req, FDB_ORIGIN_USER, why);
}

static const char *parse_error(int rc)
{
	switch (rc) {
	case -EPROTO:
		return "control protocol version mismatch (vxnet and vxnetd differ)";
	case -EOPNOTSUPP:
		return "request not supported by this vxnetd (older than vxnet?)";
	case -ENOPROTOOPT:
		return "request has an option this vxnetd does not know (older than vxnet?)";
	default:
		return "malformed request";
	}
}

static void handle(struct ctl_server *s, struct client *c, const uint8_t *buf, size_t len)
{
	struct reply r = {s, c, 0};
	struct ctl_parsed p;
	int rc = ctl_parse(buf, len, &p);
	if (rc < 0) {
		struct ctl_hdr h;
		memcpy(&h, buf, len >= CTL_HDR_LEN ? sizeof(h) : 0);
		c->seq = len >= CTL_HDR_LEN ? h.seq : 0;
		reply_done(&r, rc, parse_error(rc));
		goto out;
	}
	c->seq = p.hdr.seq;
	const char *why = NULL;
	const char *name = NULL;
	switch (p.hdr.type) {
	case CTL_MSG_LINK_ADD: {
		struct link_config cfg;
		link_config_init(&cfg);
		rc = ctl_get_link_config(&p, &cfg);
		if (rc < 0)
			why = "bad link request";
		else
			rc = core_link_add(s->core, &cfg, FDB_ORIGIN_USER, false, &why);
		break;
	}
	case CTL_MSG_LINK_DEL:
		if (ctl_get_str(&p, CTL_A_IFNAME, &name) < 0) {
			rc = -EINVAL;
			why = "name is required";
		} else {
			rc = core_link_del(s->core, name, FDB_ORIGIN_USER, &why);
		}
		break;
	case CTL_MSG_LINK_SHOW:
		do_show(&r, &p, SHOW_LINK);
		goto out;
	case CTL_MSG_FDB_SHOW:
		do_show(&r, &p, SHOW_FDB);
		goto out;
	case CTL_MSG_NEIGH_SHOW:
		do_show(&r, &p, SHOW_NEIGH);
		goto out;
	case CTL_MSG_FDB_ADD:
	case CTL_MSG_FDB_APPEND:
	case CTL_MSG_FDB_REPLACE:
	case CTL_MSG_FDB_DEL:
		rc = do_fdb_change(s, p.hdr.type, &p, &why);
		break;
	case CTL_MSG_NEIGH_ADD:
	case CTL_MSG_NEIGH_REPLACE:
	case CTL_MSG_NEIGH_DEL:
		rc = do_neigh_change(s, p.hdr.type, &p, &why);
		break;
	case CTL_MSG_MONITOR:
		if (!c->monitor) {
			c->monitor = true;
			events_subscribe(core_events(s->core), &c->sub, on_event, c);
		}
		rc = 0;
		break;
	default:
		rc = -EOPNOTSUPP;
		why = "not a request";
		break;
	}
	if (rc == 0) {
		/* The change is kept before it is confirmed. */
		int prc = core_commit(s->core);
		if (prc < 0) {
			rc = prc;
			why = "applied, but the state file could not be written (see the daemon's log)";
		}
	}
	reply_done(&r, rc, why);
out:
	if (r.err) {
		log_debug("client: reply failed: %s", strerror(-r.err));
		client_kill(s, c);
	}
}

static void client_input(struct loop_src *src, uint32_t events)
{
	(void)events;
	struct client *c = src->obj;
	struct ctl_server *s = c->srv;
	if (c->dead)
		return;
	ssize_t n = recv(c->fd, s->buf, sizeof(s->buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			client_kill(s, c);
		return;
	}
	if (n == 0) {
		client_kill(s, c);
		return;
	}
	if ((size_t)n > sizeof(s->buf)) {
		struct reply r = {s, c, 0};
		struct ctl_hdr h;
		memcpy(&h, s->buf, sizeof(h));
		c->seq = h.seq;
		reply_done(&r, -EMSGSIZE, "request too long");
		return;
	}
	/* The request is copied out: replies reuse the buffer. */
	uint8_t req[CTL_MSG_MAX];
	memcpy(req, s->buf, (size_t)n);
	handle(s, c, req, (size_t)n);
}

static void accept_input(struct loop_src *src, uint32_t events)
{
	(void)events;
	struct ctl_server *s = src->obj;
	int fd = accept4(s->listen.fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	/* A client that stops reading must not hold the daemon for long. */
	struct timeval tv = {.tv_sec = 2};
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	int sz = 1 << 20;
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	struct client *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->srv = s;
	if (loop_add(s->loop, fd, EPOLLIN, &c->src, client_input, c) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = s->clients;
	s->clients = c;
}

struct ctl_server *ctl_server_open(struct loop *lp, struct core *core, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path) - 16) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	/* Refuse to steal the socket of a running daemon; remove a stale one. */
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
	s->listen.fd = -1;
	snprintf(s->path, sizeof(s->path), "%s", path);
	int rc = loop_timer_start(lp, &s->reap, 0, clients_reap, s);
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
	return s;
fail:
	loop_timer_stop(lp, &s->reap);
	free(s);
	errno = -rc;
	return NULL;
}

void ctl_server_close(struct ctl_server *s)
{
	if (!s)
		return;
	for (struct client *c = s->clients; c; c = c->next)
		client_kill(s, c);
	clients_reap(s);
	loop_timer_stop(s->loop, &s->reap);
	if (s->listen.fd >= 0) {
		int fd = s->listen.fd;
		loop_del(s->loop, &s->listen);
		close(fd);
		unlink(s->path);
	}
	free(s);
}
