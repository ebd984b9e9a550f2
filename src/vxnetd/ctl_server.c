/* ctl_server: the daemon's side of the control protocol (lib/ctl.c):
 * accepts `vxnet` clients on a UNIX SOCK_SEQPACKET socket, runs their
 * requests against the links and tables, answers, and streams events to
 * `vxnet monitor` clients. A request is checked completely before anything
 * changes; a refused request changes nothing and says why in one line. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"
#include "vxnet/proto.h"
#include "vxnetd.h"

struct client {
	struct ev_src ev;
	int fd;
	bool monitor;
	bool dead;
	uint32_t seq; /* of the request being answered */
	struct client *next;
};

/* Reply context: one buffer reused for every message of an answer. */
struct reply {
	struct daemon *d;
	struct client *c;
	int err; /* first send error: the rest of the answer is skipped */
	uint8_t buf[CTL_MSG_MAX];
};

static void client_kill(struct daemon *d, struct client *c)
{
	if (c->dead)
		return;
	c->dead = true;
	if (c->monitor)
		d->n_monitors--;
	close(c->fd); /* also removes it from epoll */
	c->fd = -1;
}

static int send_msg(struct client *c, struct ctl_msg *m, int flags)
{
	size_t len = ctl_msg_finish(m);
	ssize_t n = send(c->fd, m->buf, len, MSG_NOSIGNAL | flags);
	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EMSGSIZE;
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
	ctl_msg_init(&m, r->buf, sizeof(r->buf), CTL_MSG_DONE, r->c->seq);
	ctl_msg_set_status(&m, status);
	if (status < 0) {
		if (!why)
			why = strerror(-status);
		ctl_put_str(&m, CTL_A_ERRMSG, why);
	}
	reply_send(r, &m);
}

/* ---- objects ---- */

static void put_fdb(struct ctl_msg *m, const struct link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *rem,
		    enum fdb_state state, uint64_t updated)
{
	ctl_put_str(m, CTL_A_IFNAME, l->cfg.name);
	ctl_put_u32(m, CTL_A_VNI, l->cfg.vni);
	ctl_put_u16(m, CTL_A_DSTPORT, l->cfg.dstport);
	ctl_put_mac(m, CTL_A_LLADDR, mac);
	if (rem) {
		ctl_put_addr(m, CTL_A_DST, &rem->ip);
		ctl_put_u16(m, CTL_A_PORT, rem->port);
		ctl_put_u32(m, CTL_A_RVNI, rem->vni);
	}
	ctl_put_u8(m, CTL_A_STATE, (uint8_t)state);
	uint64_t now = now_ms();
	ctl_put_u64(m, CTL_A_AGE_MS, now > updated ? now - updated : 0);
}

static void put_link(struct ctl_msg *m, const struct link *l)
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
	unsigned oper = l->mtu;
	/* Only readable here while the TAP lives in our namespace. */
	if (!(c->set & LINK_P_NETNS))
		tap_get_mtu_by_index(l->ifindex, &oper);
	ctl_put_u32(m, CTL_A_OPER_MTU, oper);
	ctl_put_mac(m, CTL_A_ADDRESS, c->address);
	if (c->set & LINK_P_NETNS)
		ctl_put_str(m, CTL_A_NETNS, c->netns);
	ctl_put(m, CTL_A_STATS, l->stats, sizeof(l->stats));
	ctl_put(m, CTL_A_SOCKSTATS, l->sock->stats, sizeof(l->sock->stats));
}

/* ---- events ---- */

static void broadcast(struct daemon *d, struct ctl_msg *m)
{
	size_t len = ctl_msg_finish(m);
	for (struct client *c = d->clients; c; c = c->next) {
		if (!c->monitor || c->dead)
			continue;
		/* Never block the datapath for a slow listener: drop the event. */
		if (send(c->fd, m->buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 && errno != EAGAIN &&
		    errno != EWOULDBLOCK && errno != ENOBUFS)
			client_kill(d, c);
	}
}

/* Start an event message; false when nobody listens, the common case, so
 * the datapath pays one comparison for its events. */
static bool event_begin(struct daemon *d, struct ctl_msg *m, uint8_t *buf, size_t cap, enum ctl_event ev)
{
	if (!d->n_monitors)
		return false;
	ctl_msg_init(m, buf, cap, CTL_MSG_EVENT, 0);
	ctl_put_u8(m, CTL_A_EVENT, (uint8_t)ev);
	return true;
}

void event_fdb(struct daemon *d, const struct link *l, enum ctl_event ev, const uint8_t mac[MAC_LEN],
	       const struct fdb_remote *r, enum fdb_state state)
{
	uint8_t buf[512];
	struct ctl_msg m;
	if (!event_begin(d, &m, buf, sizeof(buf), ev))
		return;
	put_fdb(&m, l, mac, r, state, now_ms());
	broadcast(d, &m);
}

void event_l2miss(struct daemon *d, const struct link *l, const uint8_t mac[MAC_LEN])
{
	uint8_t buf[512];
	struct ctl_msg m;
	if (!event_begin(d, &m, buf, sizeof(buf), CTL_EVENT_L2MISS))
		return;
	ctl_put_str(&m, CTL_A_IFNAME, l->cfg.name);
	ctl_put_mac(&m, CTL_A_LLADDR, mac);
	broadcast(d, &m);
}

void event_l3miss(struct daemon *d, const struct link *l, const struct vx_addr *ip)
{
	uint8_t buf[512];
	struct ctl_msg m;
	if (!event_begin(d, &m, buf, sizeof(buf), CTL_EVENT_L3MISS))
		return;
	ctl_put_str(&m, CTL_A_IFNAME, l->cfg.name);
	ctl_put_addr(&m, CTL_A_DST, ip);
	broadcast(d, &m);
}

void event_neigh(struct daemon *d, const struct link *l, enum ctl_event ev, const struct vx_addr *ip,
		 const uint8_t mac[MAC_LEN])
{
	uint8_t buf[512];
	struct ctl_msg m;
	if (!event_begin(d, &m, buf, sizeof(buf), ev))
		return;
	ctl_put_str(&m, CTL_A_IFNAME, l->cfg.name);
	ctl_put_addr(&m, CTL_A_DST, ip);
	ctl_put_mac(&m, CTL_A_LLADDR, mac);
	broadcast(d, &m);
}

void event_link(struct daemon *d, const struct link *l, enum ctl_event ev)
{
	uint8_t buf[512];
	struct ctl_msg m;
	if (!event_begin(d, &m, buf, sizeof(buf), ev))
		return;
	ctl_put_str(&m, CTL_A_IFNAME, l->cfg.name);
	ctl_put_u32(&m, CTL_A_VNI, l->cfg.vni);
	broadcast(d, &m);
}

/* ---- requests ---- */

static struct link *req_link(struct daemon *d, const char *name, const char **why)
{
	struct link *l = daemon_link_find(d, name);
	if (!l)
		*why = "no such link";
	return l;
}

struct fdb_show_ctx {
	struct reply *r;
	const struct link *l;
};

static void fdb_show_cb(const struct fdb_entry *e, void *arg)
{
	struct fdb_show_ctx *x = arg;
	for (unsigned i = 0; i < e->n_remotes; i++) {
		struct ctl_msg m;
		ctl_msg_init(&m, x->r->buf, sizeof(x->r->buf), CTL_MSG_FDB, x->r->c->seq);
		put_fdb(&m, x->l, e->mac, &e->remotes[i], e->state, e->updated);
		reply_send(x->r, &m);
	}
}

/* Oldest link first, as ip link show orders them. */
static void each_link_oldest_first(struct link *l, void (*fn)(struct reply *, struct link *), struct reply *r)
{
	if (!l)
		return;
	each_link_oldest_first(l->next, fn, r);
	fn(r, l);
}

static void link_show_link(struct reply *r, struct link *l)
{
	struct ctl_msg m;
	ctl_msg_init(&m, r->buf, sizeof(r->buf), CTL_MSG_LINK, r->c->seq);
	put_link(&m, l);
	reply_send(r, &m);
}

static void fdb_show_link(struct reply *r, struct link *l)
{
	struct fdb_show_ctx x = {r, l};
	fdb_foreach(l->fdb, fdb_show_cb, &x);
}

struct neigh_show_ctx {
	struct reply *r;
	const struct link *l;
};

static void neigh_show_cb(const struct vx_addr *ip, const uint8_t mac[MAC_LEN], void *arg)
{
	struct neigh_show_ctx *x = arg;
	struct ctl_msg m;
	ctl_msg_init(&m, x->r->buf, sizeof(x->r->buf), CTL_MSG_NEIGH, x->r->c->seq);
	ctl_put_str(&m, CTL_A_IFNAME, x->l->cfg.name);
	ctl_put_addr(&m, CTL_A_DST, ip);
	ctl_put_mac(&m, CTL_A_LLADDR, mac);
	reply_send(x->r, &m);
}

static void neigh_show_link(struct reply *r, struct link *l)
{
	struct neigh_show_ctx x = {r, l};
	neigh_foreach(l->neigh, neigh_show_cb, &x);
}

static void do_show(struct reply *r, const struct ctl_parsed *p, void (*fn)(struct reply *, struct link *))
{
	const char *name = NULL;
	if (ctl_get_str(p, CTL_A_IFNAME, &name) == 0) {
		struct link *l = daemon_link_find(r->d, name);
		if (!l) {
			reply_done(r, -ENODEV, "no such link");
			return;
		}
		fn(r, l);
	} else {
		each_link_oldest_first(r->d->links, fn, r);
	}
	reply_done(r, 0, NULL);
}

static int do_fdb_change(struct daemon *d, uint16_t type, const struct ctl_parsed *p, const char **why)
{
	struct fdb_req req;
	int rc = ctl_get_fdb_req(p, &req);
	if (rc < 0) {
		*why = "bad fdb request";
		return rc;
	}
	struct link *l = req_link(d, req.dev, why);
	if (!l)
		return -ENODEV;
	struct fdb_remote rem;
	if (type != CTL_MSG_FDB_DEL || (req.set & FDB_P_DST)) {
		if (!(req.set & FDB_P_DST)) {
			*why = "dst is required";
			return -EINVAL;
		}
		rc = daemon_remote_from_req(l, &req, &rem, why);
		if (rc < 0)
			return rc;
	}
	uint64_t now = now_ms();
	switch (type) {
	case CTL_MSG_FDB_ADD:
		rc = fdb_add(l->fdb, req.mac, &rem, now);
		if (rc == -EEXIST)
			*why = "entry exists";
		break;
	case CTL_MSG_FDB_REPLACE:
		rc = fdb_replace(l->fdb, req.mac, &rem, now);
		if (rc == -EOPNOTSUPP)
			*why = "cannot replace all-zeros or multicast entries (use append/del)";
		break;
	case CTL_MSG_FDB_APPEND:
		rc = fdb_append(l->fdb, req.mac, &rem, now);
		if (rc == -EEXIST)
			*why = "that remote is already in the entry";
		else if (rc == -EOPNOTSUPP)
			*why = "append adds remotes to all-zeros or multicast entries only (use replace)";
		break;
	case CTL_MSG_FDB_DEL: {
		const struct fdb_entry *e = fdb_lookup(l->fdb, req.mac);
		if (!e) {
			*why = "no such entry";
			return -ENOENT;
		}
		if (req.set & FDB_P_DST) {
			rc = fdb_del(l->fdb, req.mac, &rem);
			if (rc == -ENOENT)
				*why = "no such remote in that entry";
			else if (rc == 0)
				event_fdb(d, l, CTL_EVENT_DELETED, req.mac, &rem, FDB_STATE_PERMANENT);
			return rc;
		}
		/* Report each remote before they go. */
		enum fdb_state st = e->state;
		for (unsigned i = 0; i < e->n_remotes; i++)
			event_fdb(d, l, CTL_EVENT_DELETED, req.mac, &e->remotes[i], st);
		return fdb_del(l->fdb, req.mac, NULL);
	}
	}
	if (rc == -ENOSPC)
		*why = "fdb is full (maxaddress)";
	if (rc == 0)
		event_fdb(d, l, CTL_EVENT_ADDED, req.mac, &rem, FDB_STATE_PERMANENT);
	return rc;
}

static int do_neigh_change(struct daemon *d, uint16_t type, const struct ctl_parsed *p, const char **why)
{
	struct neigh_req req;
	int rc = ctl_get_neigh_req(p, &req);
	if (rc < 0) {
		*why = "bad neigh request";
		return rc;
	}
	struct link *l = req_link(d, req.dev, why);
	if (!l)
		return -ENODEV;
	if (type != CTL_MSG_NEIGH_DEL && !req.has_mac) {
		*why = "lladdr is required";
		return -EINVAL;
	}
	uint8_t old[MAC_LEN];
	switch (type) {
	case CTL_MSG_NEIGH_ADD:
		rc = neigh_add(l->neigh, &req.ip, req.mac);
		if (rc == -EEXIST)
			*why = "entry exists";
		break;
	case CTL_MSG_NEIGH_REPLACE:
		rc = neigh_replace(l->neigh, &req.ip, req.mac);
		break;
	default:
		if (neigh_lookup(l->neigh, &req.ip, old) < 0) {
			*why = "no such entry";
			return -ENOENT;
		}
		rc = neigh_del(l->neigh, &req.ip);
		if (rc == 0)
			event_neigh(d, l, CTL_EVENT_NEIGH_DELETED, &req.ip, old);
		return rc;
	}
	if (rc == 0)
		event_neigh(d, l, CTL_EVENT_NEIGH_ADDED, &req.ip, req.mac);
	return rc;
}

static void handle(struct daemon *d, struct client *c, const uint8_t *buf, size_t len)
{
	static struct reply r; /* one request at a time: the buffer is reused */
	r.d = d;
	r.c = c;
	r.err = 0;
	struct ctl_parsed p;
	int rc = ctl_parse(buf, len, &p);
	if (rc < 0) {
		c->seq = len >= CTL_HDR_LEN ? ((const struct ctl_hdr *)(const void *)buf)->seq : 0;
		reply_done(&r, rc, rc == -EPROTO ? "control protocol version mismatch (vxnet and vxnetd differ)"
						 : "malformed request");
		return;
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
			rc = daemon_link_add(d, &cfg, &why);
		break;
	}
	case CTL_MSG_LINK_DEL:
		if (ctl_get_str(&p, CTL_A_IFNAME, &name) < 0) {
			rc = -EINVAL;
			why = "name is required";
		} else {
			rc = daemon_link_del(d, name, &why);
		}
		break;
	case CTL_MSG_LINK_SHOW:
		do_show(&r, &p, link_show_link);
		goto out;
	case CTL_MSG_FDB_SHOW:
		do_show(&r, &p, fdb_show_link);
		goto out;
	case CTL_MSG_NEIGH_SHOW:
		do_show(&r, &p, neigh_show_link);
		goto out;
	case CTL_MSG_FDB_ADD:
	case CTL_MSG_FDB_APPEND:
	case CTL_MSG_FDB_REPLACE:
	case CTL_MSG_FDB_DEL:
		rc = do_fdb_change(d, p.hdr.type, &p, &why);
		break;
	case CTL_MSG_NEIGH_ADD:
	case CTL_MSG_NEIGH_REPLACE:
	case CTL_MSG_NEIGH_DEL:
		rc = do_neigh_change(d, p.hdr.type, &p, &why);
		break;
	case CTL_MSG_MONITOR:
		if (!c->monitor) {
			c->monitor = true;
			d->n_monitors++;
		}
		rc = 0;
		break;
	default:
		rc = -EOPNOTSUPP;
		why = "not a request";
		break;
	}
	reply_done(&r, rc, why);
out:
	if (r.err) {
		log_debug("client: reply failed: %s", strerror(-r.err));
		client_kill(d, c);
	}
}

void ctl_server_client_input(struct daemon *d, struct client *c)
{
	if (c->dead)
		return;
	static uint8_t buf[CTL_MSG_MAX];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			client_kill(d, c);
		return;
	}
	if (n == 0) {
		client_kill(d, c);
		return;
	}
	if ((size_t)n > sizeof(buf)) {
		struct reply r = {.d = d, .c = c};
		c->seq = ((struct ctl_hdr *)(void *)buf)->seq;
		reply_done(&r, -EMSGSIZE, "request too long");
		return;
	}
	handle(d, c, buf, (size_t)n);
}

void ctl_server_accept(struct daemon *d)
{
	int fd = accept4(d->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
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
	c->ev.kind = EV_CTL_CLIENT;
	c->ev.obj = c;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &c->ev};
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		free(c);
		return;
	}
	c->next = d->clients;
	d->clients = c;
}

/* Free clients killed during the last epoll batch. */
void ctl_server_reap(struct daemon *d)
{
	for (struct client **pp = &d->clients; *pp;) {
		struct client *c = *pp;
		if (c->dead) {
			*pp = c->next;
			free(c);
		} else {
			pp = &c->next;
		}
	}
}

void ctl_server_clients_free(struct daemon *d)
{
	for (struct client *c = d->clients; c; c = c->next)
		client_kill(d, c);
	ctl_server_reap(d);
}

int ctl_server_open(struct daemon *d, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path) - 16)
		return -ENAMETOOLONG;
	/* Refuse to steal the socket of a running daemon; remove a stale one. */
	int probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return -errno;
	strcpy(sa.sun_path, path);
	if (connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		return -EADDRINUSE;
	}
	close(probe);

	/* Create the directory (e.g. /run/vxnet) if it is missing. */
	char dir[sizeof(sa.sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		mkdir(dir, 0755);
	}
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* Bind and listen under a temporary name, then rename: the socket file
	 * appears only when it already accepts connections. */
	char tmp[sizeof(sa.sun_path)];
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	unlink(tmp);
	strcpy(sa.sun_path, tmp);
	mode_t old = umask(077);
	int rc = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0 || chmod(tmp, 0600) < 0 || listen(fd, 64) < 0 || rename(tmp, path) < 0) {
		rc = -errno;
		unlink(tmp);
		close(fd);
		return rc;
	}
	d->ctl_fd = fd;
	snprintf(d->sock_path, sizeof(d->sock_path), "%s", path);
	d->ev_ctl.kind = EV_CTL_LISTEN;
	d->ev_ctl.obj = NULL;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &d->ev_ctl};
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		rc = -errno;
		unlink(path);
		close(fd);
		d->ctl_fd = -1;
		return rc;
	}
	return 0;
}

void ctl_server_close(struct daemon *d)
{
	if (d->ctl_fd >= 0) {
		unlink(d->sock_path);
		close(d->ctl_fd);
		d->ctl_fd = -1;
	}
}
