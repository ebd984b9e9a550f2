/* ctl_handlers: the requests of the control protocol (decoded, checked,
 * then given to the core's change API), the dumps (a batch at a time, as
 * the client drains them) and the monitors' events. The transport, the
 * queues and the limits are ctl_server.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "core.h"
#include "ctl_server_priv.h"
#include "events.h"
#include "reaper.h"
#include "vxnet/proto.h"

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
	ctl_put_u8(m, CTL_A_DF, c->df);
	ctl_put_u8(m, CTL_A_LOCALBYPASS, c->localbypass);
	core_stats(core, l, stat_cb, m);
}

/* ---- events ---- */

static void on_event(const struct vx_event *ev, void *arg)
{
	struct client *c = arg;
	if (c->dead)
		return;
	struct ctl_server *s = c->srv;
	uint8_t buf[512];
	struct ctl_msg m;
	ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_EVENT, 0);
	ctl_put_u8(&m, CTL_A_EVENT, (uint8_t)ev->type);
	switch (ev->type) {
	case CTL_EVENT_LINK_ADDED:
	case CTL_EVENT_LINK_DELETED:
	case CTL_EVENT_LINK_RESTORED:
	case CTL_EVENT_LINK_CHANGED:
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
	/* Straight out when nothing waits; else behind what waits. */
	if (!c->head) {
		size_t len = ctl_msg_finish(&m);
		ssize_t n = send(c->fd, m.buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == (ssize_t)len)
			return;
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
			ctl_client_kill(s, c, NULL);
			return;
		}
	}
	if (ctl_client_queue(s, c, &m))
		ctl_client_update_events(c);
}

/* ---- dumps ---- */

struct batch {
	struct ctl_server *s;
	struct client *c;
	struct core_link *l;
	uint64_t skip; /* objects of this link already sent */
	uint64_t seen; /* objects visited in this pass */
	uint64_t now;
	bool full; /* the batch is complete: visit without queueing */
};

static bool batch_take(struct batch *b)
{
	if (b->full || b->c->dead)
		return false;
	if (b->seen++ < b->skip)
		return false;
	return true;
}

static void batch_queued(struct batch *b, struct ctl_msg *m)
{
	if (!ctl_client_queue(b->s, b->c, m)) {
		b->full = true;
		return;
	}
	b->skip = b->seen;
	if (b->c->queued >= CTL_BATCH_BYTES)
		b->full = true;
}

static void fdb_batch_cb(const struct fdb_entry *e, void *arg)
{
	struct batch *b = arg;
	for (unsigned i = 0; i < e->n_remotes; i++) {
		if (!batch_take(b))
			continue;
		struct ctl_msg m;
		ctl_client_msg(b->s, b->c, &m, CTL_MSG_FDB);
		put_fdb(&m, b->l->cfg.name, b->l->cfg.vni, b->l->cfg.dstport, e->mac, &e->remotes[i], e->state,
			b->now > e->updated ? b->now - e->updated : 0);
		batch_queued(b, &m);
	}
}

static void neigh_batch_cb(const struct vx_addr *ip, const uint8_t mac[MAC_LEN], unsigned origin, void *arg)
{
	struct batch *b = arg;
	if (!batch_take(b))
		return;
	struct ctl_msg m;
	ctl_client_msg(b->s, b->c, &m, CTL_MSG_NEIGH);
	ctl_put_str(&m, CTL_A_IFNAME, b->l->cfg.name);
	ctl_put_addr(&m, CTL_A_DST, ip);
	ctl_put_mac(&m, CTL_A_LLADDR, mac);
	ctl_put_u8(&m, CTL_A_ORIGIN, (uint8_t)origin);
	batch_queued(b, &m);
}

struct nth {
	unsigned want, at;
	struct core_link *found;
};

static void nth_cb(struct core_link *l, void *arg)
{
	struct nth *n = arg;
	if (n->at++ == n->want)
		n->found = l;
}

static void dump_finish(struct ctl_server *s, struct client *c, int rc, const char *why)
{
	free(c->dump);
	c->dump = NULL;
	ctl_client_done(s, c, rc, why);
}

/* Queue the dump's next batches while the client keeps up; queue DONE
 * when it is complete. Objects added or removed meanwhile may be missed or
 * seen twice, as with a netlink dump; what is sent is never torn. */
void ctl_dump_pump(struct ctl_server *s, struct client *c)
{
	struct dump *d;
	while ((d = c->dump) && !c->dead && c->queued < CTL_BATCH_BYTES) {
		struct core_link *l;
		if (d->one) {
			l = core_link_find(s->core, d->link);
		} else {
			struct nth n = {d->link_pos, 0, NULL};
			core_link_foreach(s->core, nth_cb, &n);
			l = n.found;
		}
		if (!l) {
			if (d->one)
				dump_finish(s, c, -ENODEV, "link removed during the dump");
			else
				dump_finish(s, c, d->err, d->err ? "cannot read the datapath's table" : NULL);
			return;
		}
		struct batch b = {s, c, l, d->done_in_link, 0, loop_now_ms(), false};
		int rc = 0;
		if (d->kind == SHOW_LINK) {
			struct ctl_msg m;
			ctl_client_msg(s, c, &m, CTL_MSG_LINK);
			put_link(&m, s->core, l);
			ctl_client_queue(s, c, &m);
		} else if (d->kind == SHOW_FDB) {
			rc = core_fdb_dump(s->core, l, fdb_batch_cb, &b);
		} else {
			rc = core_neigh_dump(s->core, l, neigh_batch_cb, &b);
		}
		if (c->dead)
			return;
		if (rc < 0 && !d->err)
			d->err = rc;
		if (b.full) {
			d->done_in_link = b.skip; /* more of this link next time */
			continue;
		}
		if (d->one) {
			dump_finish(s, c, d->err, d->err ? "cannot read the datapath's table" : NULL);
			return;
		}
		d->link_pos++;
		d->done_in_link = 0;
	}
}

static void start_show(struct ctl_server *s, struct client *c, const struct ctl_parsed *p, enum show_kind kind)
{
	const char *name = NULL;
	struct dump *d = calloc(1, sizeof(*d));
	if (!d) {
		ctl_client_done(s, c, -ENOMEM, NULL);
		return;
	}
	d->kind = kind;
	if (ctl_get_str(p, CTL_A_IFNAME, &name) == 0) {
		if (!core_link_find(s->core, name)) {
			free(d);
			ctl_client_done(s, c, -ENODEV, "no such link");
			return;
		}
		d->one = true;
		snprintf(d->link, sizeof(d->link), "%s", name);
	}
	c->dump = d;
	ctl_dump_pump(s, c);
}

/* ---- requests ---- */

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

void ctl_handle(struct ctl_server *s, struct client *c, const uint8_t *buf, size_t len)
{
	struct ctl_parsed p;
	int rc = ctl_parse(buf, len, &p);
	if (rc < 0) {
		struct ctl_hdr h = {0};
		if (len >= CTL_HDR_LEN)
			memcpy(&h, buf, sizeof(h));
		c->seq = h.seq;
		ctl_client_done(s, c, rc, parse_error(rc));
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
			rc = core_link_add(s->core, &cfg, FDB_ORIGIN_USER, false, &why);
		break;
	}
	case CTL_MSG_LINK_SET: {
		struct link_config ch;
		memset(&ch, 0, sizeof(ch));
		rc = ctl_get_link_change(&p, &ch);
		if (rc < 0) {
			why = "bad link request";
		} else if (ctl_has(&p, CTL_A_VNI) && core_link_find(s->core, ch.name) &&
			   core_link_find(s->core, ch.name)->cfg.vni != ch.vni) {
			rc = -EOPNOTSUPP;
			why = "id cannot change on a live link (the kernel refuses it too)";
		} else {
			rc = core_link_set(s->core, &ch, FDB_ORIGIN_USER, &why);
		}
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
		start_show(s, c, &p, SHOW_LINK);
		return;
	case CTL_MSG_FDB_SHOW:
		start_show(s, c, &p, SHOW_FDB);
		return;
	case CTL_MSG_NEIGH_SHOW:
		start_show(s, c, &p, SHOW_NEIGH);
		return;
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
	case CTL_MSG_NETWORK_CREATE:
	case CTL_MSG_NETWORK_DEL:
	case CTL_MSG_NETWORK_SHOW:
	case CTL_MSG_ATTACH:
	case CTL_MSG_DETACH:
		if (!s->async_fn) {
			rc = -EOPNOTSUPP;
			why = "this vxnetd runs without a cluster store (vxnetd --store)";
			break;
		}
		c->pending = true;
		s->async_fn(s->async_arg, (struct ctl_req *)c, &p);
		return;
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
	if (rc == 0 && p.hdr.type != CTL_MSG_MONITOR) {
		/* The change is kept before it is confirmed: by ctl_idle, once
		 * for every change of this turn of the loop (group commit). */
		struct reaper *r = core_reaper(s->core);
		c->commit_wait = true;
		c->reap_seq = p.hdr.type == CTL_MSG_LINK_DEL && r ? reaper_last(r) : 0;
		s->n_commit++;
		return;
	}
	ctl_client_done(s, c, rc, why);
}
