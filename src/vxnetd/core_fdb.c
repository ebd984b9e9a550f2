/* core_fdb: the change API of a link's forwarding entries, fdb and neigh
 * (core.h): who may change what (each entry's origin), the datapath asked
 * first and the wanted tables kept to match, the event; flushing by origin;
 * the dumps, with the origins as vxnet knows them. Apart from core.c (the
 * core and its links) because it is the rules of the entries, and from
 * core_reconcile.c because it acts only when asked. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "core_priv.h"
#include "log.h"
#include "loop.h"
#include "vxnet/proto.h"

/* A link whose device vanished and could not be made again (out of file
 * descriptors, a name taken meanwhile) has no datapath state until a later
 * reconcile makes it: nothing may be asked of its provider meanwhile. */
static const char *const why_gone = "the link's device is gone and cannot be made now (see the daemon's log)";

/* ---- fdb ---- */

/* Fill the link's defaults into a user-given remote (port, vni); check family. */
static int remote_from_req(const struct core_link *l, const struct fdb_req *r, uint8_t origin, struct fdb_remote *out,
			   const char **why)
{
	memset(out, 0, sizeof(*out));
	out->ip = r->dst;
	out->port = (r->set & FDB_P_PORT) ? r->port : l->cfg.dstport;
	out->vni = (r->set & FDB_P_VNI) ? r->vni : l->cfg.vni;
	out->origin = origin;
	if (r->dst.family != l->family) {
		*why = l->family == AF_INET6 ? "dst must be an IPv6 address on this link's IPv6 underlay"
					     : "dst must be an IPv4 address on this link's IPv4 underlay";
		return -EAFNOSUPPORT;
	}
	if (out->vni > VXLAN_VNI_MAX) {
		*why = "VNI must be below 16777216";
		return -EINVAL;
	}
	if (!out->port) {
		*why = "port must be 1-65535";
		return -EINVAL;
	}
	return 0;
}

bool core_remote_same(const struct fdb_remote *a, const struct fdb_remote *b)
{
	return addr_equal(&a->ip, &b->ip) && a->port == b->port && a->vni == b->vni && a->ifindex == b->ifindex;
}

/* The wanted remote equal to r of the entry mac, or NULL. */
const struct fdb_remote *core_want_remote(const struct core_link *l, const uint8_t mac[MAC_LEN],
					  const struct fdb_remote *r)
{
	const struct fdb_entry *e = fdb_lookup(l->want_fdb, mac);
	if (!e)
		return NULL;
	for (unsigned i = 0; i < e->n_remotes; i++)
		if (core_remote_same(&e->remotes[i], r))
			return &e->remotes[i];
	return NULL;
}

/* May origin change what is wanted at mac (remote r, or the whole entry)?
 * The link's own entry belongs to whoever owns the link. */
static bool may_touch(const struct core_link *l, const struct fdb_remote *w, uint8_t origin)
{
	uint8_t o = w->origin == FDB_ORIGIN_LINK ? l->origin : w->origin;
	return o == origin;
}

static int owner_check(const struct core_link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *r,
		       uint8_t origin, const char **why)
{
	const struct fdb_entry *e = fdb_lookup(l->want_fdb, mac);
	if (!e)
		return 0;
	for (unsigned i = 0; i < e->n_remotes; i++) {
		if (r && !core_remote_same(&e->remotes[i], r))
			continue;
		if (!may_touch(l, &e->remotes[i], origin)) {
			*why = e->remotes[i].origin == FDB_ORIGIN_STORE ? "entry belongs to the cluster store"
									: "entry belongs to the user";
			return -EPERM;
		}
	}
	return 0;
}

struct gone_ctx {
	struct core *c;
	struct core_link *l;
};

/* A remote the datapath holds, with its origin as vxnet knows it: the
 * wanted entry's, else learned (not permanent) or someone else's. */
static struct fdb_remote told_origin(const struct core_link *l, const struct fdb_entry *e, unsigned i)
{
	struct fdb_remote r = e->remotes[i];
	const struct fdb_remote *w = core_want_remote(l, e->mac, &r);
	if (w)
		r.origin = w->origin;
	else if (e->state == FDB_STATE_PERMANENT)
		r.origin = CTL_ORIGIN_OTHER;
	else
		r.origin = FDB_ORIGIN_LEARNED;
	return r;
}

static void fdb_gone_cb(const struct fdb_entry *e, void *arg)
{
	struct gone_ctx *g = arg;
	for (unsigned i = 0; i < e->n_remotes; i++) {
		struct fdb_remote r = told_origin(g->l, e, i);
		core_publish_fdb(g->c, g->l, CTL_EVENT_DELETED, e->mac, &r, e->state);
	}
}

/* Mirror a change the datapath accepted into the wanted table. */
static void want_apply(struct core_link *l, enum core_op op, const uint8_t mac[MAC_LEN], const struct fdb_remote *r)
{
	uint64_t now = loop_now_ms();
	switch (op) {
	case CORE_ADD:
	case CORE_REPLACE:
		fdb_replace(l->want_fdb, mac, r, now);
		break;
	case CORE_APPEND:
		if (fdb_append(l->want_fdb, mac, r, now) == -EOPNOTSUPP)
			fdb_replace(l->want_fdb, mac, r, now);
		break;
	case CORE_DEL:
		fdb_del(l->want_fdb, mac, r);
		break;
	}
}

int core_fdb(struct core *c, enum core_op op, const struct fdb_req *req, uint8_t origin, const char **why)
{
	struct core_link *l = core_link_find(c, req->dev);
	if (!l) {
		*why = "no such link";
		return -ENODEV;
	}
	if (!l->dpl) {
		*why = why_gone;
		return -ENODEV;
	}
	struct fdb_remote rem, *r = NULL;
	int rc;
	if (op != CORE_DEL || (req->set & FDB_P_DST)) {
		if (!(req->set & FDB_P_DST)) {
			*why = "dst is required";
			return -EINVAL;
		}
		/* What is installed must mean something; on del, dst only
		 * selects one of the remotes there are. */
		if (op != CORE_DEL && (rc = addr_check(&req->dst, addr_use_fdb(req->mac), why)) < 0)
			return rc;
		rc = remote_from_req(l, req, origin, &rem, why);
		if (rc < 0)
			return rc;
		r = &rem;
	}
	if (op == CORE_DEL) {
		rc = owner_check(l, req->mac, r, origin, why);
		if (rc < 0)
			return rc;
		struct gone_ctx g = {c, l};
		rc = l->dp->ops->fdb_del(l->dp, l, req->mac, r, fdb_gone_cb, &g, why);
		if (rc < 0)
			return rc;
		want_apply(l, CORE_DEL, req->mac, r);
		core_changed(c);
		return 0;
	}
	/* add cannot touch an existing entry; replace and append can. */
	if (op != CORE_ADD) {
		rc = owner_check(l, req->mac, op == CORE_APPEND ? r : NULL, origin, why);
		if (rc < 0)
			return rc;
	}
	static const enum dp_fdb_op dop[] = {
	    [CORE_ADD] = DP_FDB_ADD, [CORE_APPEND] = DP_FDB_APPEND, [CORE_REPLACE] = DP_FDB_REPLACE};
	rc = l->dp->ops->fdb_set(l->dp, l, dop[op], req->mac, r, why);
	if (rc < 0)
		return rc;
	want_apply(l, op, req->mac, r);
	core_publish_fdb(c, l, CTL_EVENT_ADDED, req->mac, r, FDB_STATE_PERMANENT);
	core_changed(c);
	return 0;
}

/* ---- neigh ---- */

int core_neigh(struct core *c, enum core_op op, const struct neigh_req *req, uint8_t origin, const char **why)
{
	struct core_link *l = core_link_find(c, req->dev);
	if (!l) {
		*why = "no such link";
		return -ENODEV;
	}
	if (!l->dpl) {
		*why = why_gone;
		return -ENODEV;
	}
	uint8_t mac[MAC_LEN], o;
	bool wanted = neigh_get(l->want_neigh, &req->ip, mac, &o) == 0;
	if (wanted && o != origin && (op == CORE_DEL || op == CORE_REPLACE)) {
		*why = o == FDB_ORIGIN_STORE ? "entry belongs to the cluster store" : "entry belongs to the user";
		return -EPERM;
	}
	int rc;
	if (op == CORE_DEL) {
		rc = l->dp->ops->neigh_del(l->dp, l, &req->ip, mac, why);
		if (rc < 0)
			return rc;
		neigh_del(l->want_neigh, &req->ip);
		core_publish_neigh(c, l, CTL_EVENT_NEIGH_DELETED, &req->ip, mac, wanted ? o : CTL_ORIGIN_OTHER);
		core_changed(c);
		return 0;
	}
	if (!req->has_mac) {
		*why = "lladdr is required";
		return -EINVAL;
	}
	if ((rc = addr_check(&req->ip, ADDR_USE_NEIGH, why)) < 0 || (rc = mac_check_neigh_lladdr(req->mac, why)) < 0)
		return rc;
	rc = l->dp->ops->neigh_set(l->dp, l, op == CORE_REPLACE, &req->ip, req->mac, why);
	if (rc < 0)
		return rc;
	neigh_replace(l->want_neigh, &req->ip, req->mac, origin);
	core_publish_neigh(c, l, CTL_EVENT_NEIGH_ADDED, &req->ip, req->mac, origin);
	core_changed(c);
	return 0;
}

int core_fdb_ensure(struct core *c, const char *link, const uint8_t mac[MAC_LEN], const struct fdb_remote *r,
		    const char **why)
{
	struct core_link *l = core_link_find(c, link);
	if (!l) {
		*why = "no such link";
		return -ENODEV;
	}
	if (!l->dpl) {
		*why = why_gone;
		return -ENODEV;
	}
	/* Restored and store-fed entries pass the same checks as a user's
	 * (a hand-edited state file or a bad store record must not install
	 * a remote the CLI would refuse). */
	int rc = addr_check(&r->ip, addr_use_fdb(mac), why);
	if (rc < 0)
		return rc;
	rc = core_reinstall(l, mac, r);
	if (rc < 0) {
		*why = "the datapath refused it";
		return rc;
	}
	want_apply(l, mac_is_zero(mac) || mac_is_multicast(mac) ? CORE_APPEND : CORE_REPLACE, mac, r);
	core_changed(c);
	return 0;
}

int core_neigh_ensure(struct core *c, const char *link, const struct vx_addr *ip, const uint8_t mac[MAC_LEN],
		      uint8_t origin, const char **why)
{
	struct core_link *l = core_link_find(c, link);
	if (!l) {
		*why = "no such link";
		return -ENODEV;
	}
	if (!l->dpl) {
		*why = why_gone;
		return -ENODEV;
	}
	int rc;
	if ((rc = addr_check(ip, ADDR_USE_NEIGH, why)) < 0 || (rc = mac_check_neigh_lladdr(mac, why)) < 0)
		return rc;
	rc = l->dp->ops->neigh_set(l->dp, l, true, ip, mac, why);
	if (rc < 0)
		return rc;
	neigh_replace(l->want_neigh, ip, mac, origin);
	core_changed(c);
	return 0;
}

struct flush_ctx {
	struct core_link *l;
	uint8_t origin;
	unsigned n, cap;
	struct {
		uint8_t mac[MAC_LEN];
		struct fdb_remote r;
	} * items;
	bool oom;
};

static void flush_collect(const struct fdb_entry *e, void *arg)
{
	struct flush_ctx *f = arg;
	for (unsigned i = 0; i < e->n_remotes; i++) {
		if (e->remotes[i].origin != f->origin)
			continue;
		if (f->n == f->cap) {
			unsigned cap = f->cap ? f->cap * 2 : 16;
			void *p = realloc(f->items, cap * sizeof(*f->items));
			if (!p) {
				f->oom = true;
				return;
			}
			f->items = p;
			f->cap = cap;
		}
		memcpy(f->items[f->n].mac, e->mac, MAC_LEN);
		f->items[f->n].r = e->remotes[i];
		f->n++;
	}
}

struct nflush_ctx {
	uint8_t origin;
	unsigned n, cap;
	struct vx_addr *ips;
};

static void nflush_collect(const struct vx_addr *ip, const uint8_t mac[MAC_LEN], uint8_t origin, void *arg)
{
	(void)mac;
	struct nflush_ctx *f = arg;
	if (origin != f->origin)
		return;
	if (f->n == f->cap) {
		unsigned cap = f->cap ? f->cap * 2 : 16;
		void *p = realloc(f->ips, cap * sizeof(*f->ips));
		if (!p)
			return;
		f->ips = p;
		f->cap = cap;
	}
	f->ips[f->n++] = *ip;
}

static void flush_link(struct core *c, struct core_link *l, uint8_t origin)
{
	struct flush_ctx f = {.l = l, .origin = origin};
	fdb_foreach(l->want_fdb, flush_collect, &f);
	for (unsigned i = 0; i < f.n; i++) {
		const char *why = NULL;
		struct gone_ctx g = {c, l};
		if (l->dpl && l->dp->ops->fdb_del(l->dp, l, f.items[i].mac, &f.items[i].r, fdb_gone_cb, &g, &why) < 0 &&
		    why)
			log_debug("%s: flush: %s", l->cfg.name, why);
		fdb_del(l->want_fdb, f.items[i].mac, &f.items[i].r);
	}
	free(f.items);
	struct nflush_ctx nf = {.origin = origin};
	neigh_foreach(l->want_neigh, nflush_collect, &nf);
	for (unsigned i = 0; i < nf.n; i++) {
		const char *why = NULL;
		uint8_t mac[MAC_LEN] = {0};
		if (l->dpl)
			l->dp->ops->neigh_del(l->dp, l, &nf.ips[i], mac, &why);
		neigh_del(l->want_neigh, &nf.ips[i]);
		core_publish_neigh(c, l, CTL_EVENT_NEIGH_DELETED, &nf.ips[i], mac, origin);
	}
	free(nf.ips);
	if (f.n || nf.n)
		core_changed(c);
}

void core_flush_origin(struct core *c, struct core_link *l, uint8_t origin)
{
	if (l) {
		flush_link(c, l, origin);
		return;
	}
	for (struct core_link *x = c->links; x; x = x->next)
		flush_link(c, x, origin);
}

/* ---- reading ---- */

struct dump_ctx {
	struct core_link *l;
	dp_fdb_cb cb;
	void *arg;
	struct fdb_remote rem[64];
};

/* Tell each remote's origin as vxnet knows it. */
static void dump_cb(const struct fdb_entry *e, void *arg)
{
	struct dump_ctx *d = arg;
	struct fdb_entry v = *e;
	unsigned done = 0;
	/* Entries with many remotes go out in chunks of the local array. */
	while (done < e->n_remotes) {
		unsigned n = e->n_remotes - done < 64 ? e->n_remotes - done : 64;
		for (unsigned i = 0; i < n; i++)
			d->rem[i] = told_origin(d->l, e, done + i);
		v.remotes = d->rem;
		v.n_remotes = n;
		d->cb(&v, d->arg);
		done += n;
	}
}

int core_fdb_dump(struct core *c, struct core_link *l, dp_fdb_cb cb, void *arg)
{
	(void)c;
	struct dump_ctx d = {.l = l, .cb = cb, .arg = arg};
	return l->dpl ? l->dp->ops->fdb_dump(l->dp, l, dump_cb, &d) : 0;
}

struct ndump_ctx {
	struct core_link *l;
	core_neigh_cb cb;
	void *arg;
};

static void ndump_cb(const struct vx_addr *ip, const uint8_t mac[MAC_LEN], bool permanent, void *arg)
{
	struct ndump_ctx *d = arg;
	uint8_t wmac[MAC_LEN], o;
	unsigned origin;
	if (neigh_get(d->l->want_neigh, ip, wmac, &o) == 0 && mac_equal(wmac, mac))
		origin = o;
	else
		origin = permanent ? CTL_ORIGIN_OTHER : FDB_ORIGIN_LEARNED;
	d->cb(ip, mac, origin, d->arg);
}

int core_neigh_dump(struct core *c, struct core_link *l, core_neigh_cb cb, void *arg)
{
	(void)c;
	struct ndump_ctx d = {l, cb, arg};
	return l->dpl ? l->dp->ops->neigh_dump(l->dp, l, ndump_cb, &d) : 0;
}
