/* core: the model and the one change API (core.h). */
#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "reaper.h"
#include "vxnet/proto.h"

struct core {
	struct loop *loop;
	struct events events;
	struct dp *dps[LINK_DP_MAX + 1];
	enum link_datapath def;
	struct dp_user_limits ulim;
	struct core_link *links; /* newest first */
	struct reaper *reaper;
	int (*persist)(struct core *c, void *arg);
	void *persist_arg;
	bool dirty;
};

static const uint8_t zero_mac[MAC_LEN];

struct core *core_new(struct loop *lp, enum link_datapath def)
{
	struct core *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->loop = lp;
	c->def = def == LINK_DP_DEFAULT ? LINK_DP_USER : def;
	c->ulim.gso_sockets = 256;
	events_init(&c->events);
	if (lp && !(c->reaper = reaper_new(lp))) {
		free(c);
		return NULL;
	}
	return c;
}

static void link_free(struct core_link *l)
{
	fdb_free(l->want_fdb);
	neigh_free(l->want_neigh);
	free(l);
}

void core_free(struct core *c, bool release)
{
	if (!c)
		return;
	while (c->links) {
		struct core_link *l = c->links;
		c->links = l->next;
		if (release)
			l->dp->ops->link_release(l->dp, l);
		else
			l->dp->ops->link_del(l->dp, l);
		link_free(l);
	}
	for (int i = 0; i <= LINK_DP_MAX; i++)
		if (c->dps[i])
			c->dps[i]->ops->free(c->dps[i]);
	/* The devices given up above go now, together. */
	reaper_free(c->reaper);
	free(c);
}

void core_set_dp(struct core *c, enum link_datapath d, struct dp *dp)
{
	c->dps[d] = dp;
}

void core_set_fd_budget(struct core *c, unsigned gso_sockets)
{
	c->ulim.gso_sockets = gso_sockets;
}

void core_set_user_workers(struct core *c, unsigned workers, bool busy_poll, unsigned linger_us)
{
	c->ulim.workers = workers;
	c->ulim.busy_poll = busy_poll;
	c->ulim.linger_us = linger_us;
}

void core_set_max_learned(struct core *c, unsigned max_learned)
{
	c->ulim.max_learned = max_learned;
}

struct reaper *core_reaper(struct core *c)
{
	return c->reaper;
}

struct events *core_events(struct core *c)
{
	return &c->events;
}

enum link_datapath core_default_dp(const struct core *c)
{
	return c->def;
}

void core_set_persist(struct core *c, int (*fn)(struct core *c, void *arg), void *arg)
{
	c->persist = fn;
	c->persist_arg = arg;
}

int core_commit(struct core *c)
{
	if (!c->dirty || !c->persist)
		return 0;
	int rc = c->persist(c, c->persist_arg);
	if (rc == 0)
		c->dirty = false;
	return rc;
}

static struct dp *get_dp(struct core *c, enum link_datapath d, const char **why)
{
	if (c->dps[d])
		return c->dps[d];
	struct dp *dp = NULL;
	if (d == LINK_DP_USER)
		dp = dp_user_new(c, &core_upcalls, c->loop, &c->ulim, why);
	else if (d == LINK_DP_KERNEL)
		dp = dp_kernel_new(c, &core_upcalls, c->loop, why);
	c->dps[d] = dp;
	return dp;
}

struct core_link *core_link_find(struct core *c, const char *name)
{
	for (struct core_link *l = c->links; l; l = l->next)
		if (!strcmp(l->cfg.name, name))
			return l;
	return NULL;
}

static void link_foreach_rec(struct core_link *l, void (*cb)(struct core_link *l, void *arg), void *arg)
{
	if (!l)
		return;
	link_foreach_rec(l->next, cb, arg);
	cb(l, arg);
}

void core_link_foreach(struct core *c, void (*cb)(struct core_link *l, void *arg), void *arg)
{
	link_foreach_rec(c->links, cb, arg);
}

/* ---- events ---- */

static void ev_init(struct vx_event *ev, enum ctl_event type, const struct core_link *l)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->link = l->cfg.name;
	ev->vni = l->cfg.vni;
	ev->dstport = l->cfg.dstport;
}

static void publish_fdb(struct core *c, const struct core_link *l, enum ctl_event type, const uint8_t mac[MAC_LEN],
			const struct fdb_remote *r, enum fdb_state state)
{
	if (!events_wanted(&c->events))
		return;
	struct vx_event ev;
	ev_init(&ev, type, l);
	ev.has_mac = true;
	memcpy(ev.mac, mac, MAC_LEN);
	if (r) {
		ev.has_remote = true;
		ev.remote = *r;
		ev.origin = r->origin;
	}
	ev.state = state;
	events_publish(&c->events, &ev);
}

static void publish_neigh(struct core *c, const struct core_link *l, enum ctl_event type, const struct vx_addr *ip,
			  const uint8_t *mac, uint8_t origin)
{
	if (!events_wanted(&c->events))
		return;
	struct vx_event ev;
	ev_init(&ev, type, l);
	ev.has_ip = true;
	ev.ip = *ip;
	if (mac) {
		ev.has_mac = true;
		memcpy(ev.mac, mac, MAC_LEN);
	}
	ev.origin = origin;
	events_publish(&c->events, &ev);
}

static void publish_link(struct core *c, const struct core_link *l, enum ctl_event type)
{
	if (!events_wanted(&c->events))
		return;
	struct vx_event ev;
	ev_init(&ev, type, l);
	ev.origin = l->origin;
	events_publish(&c->events, &ev);
}

static void changed(struct core *c)
{
	c->dirty = true;
}

/* A link whose device vanished and could not be made again (out of file
 * descriptors, a name taken meanwhile) has no datapath state until a later
 * reconcile makes it: nothing may be asked of its provider meanwhile. */
static const char *const why_gone = "the link's device is gone and cannot be made now (see the daemon's log)";

/* ---- links ---- */

static bool remote_same(const struct fdb_remote *a, const struct fdb_remote *b);

/* The underlay family a configuration implies (as the datapaths decide). */
static int dp_link_family_of(const struct link_config *cfg)
{
	return cfg->local.family    ? cfg->local.family
	       : cfg->remote.family ? cfg->remote.family
	       : cfg->group.family  ? cfg->group.family
				    : AF_INET;
}

/* The all-zeros entry a link's remote or group makes, as the kernel does. */
static bool link_default_remote(const struct core_link *l, struct fdb_remote *r)
{
	const struct vx_addr *a = l->cfg.remote.family ? &l->cfg.remote : l->cfg.group.family ? &l->cfg.group : NULL;
	if (!a)
		return false;
	memset(r, 0, sizeof(*r));
	r->ip = *a;
	r->port = l->cfg.dstport;
	r->vni = l->cfg.vni;
	r->origin = FDB_ORIGIN_LINK;
	return true;
}

int core_link_add(struct core *c, const struct link_config *cfg, uint8_t origin, bool adopt, const char **why)
{
	return core_link_add_state(c, cfg, origin, adopt, false, "", why);
}

int core_link_add_state(struct core *c, const struct link_config *cfg, uint8_t origin, bool adopt, bool up,
			const char *master, const char **why)
{
	int rc = link_config_check(cfg, why);
	if (rc < 0)
		return rc;
	if (core_link_find(c, cfg->name)) {
		*why = "link exists";
		return -EEXIST;
	}
	enum link_datapath d = cfg->datapath ? (enum link_datapath)cfg->datapath : c->def;
	struct dp *dp = get_dp(c, d, why);
	if (!dp) {
		if (!*why)
			*why = "cannot start that datapath";
		return -EOPNOTSUPP;
	}
	struct core_link *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->cfg = *cfg;
	l->cfg.datapath = (uint8_t)d;
	l->cfg.set |= LINK_P_DATAPATH;
	l->dp = dp;
	l->origin = origin;
	l->up = up;
	snprintf(l->master, sizeof(l->master), "%s", master ? master : "");
	l->want_fdb = fdb_new(NULL);
	l->want_neigh = neigh_new(0);
	if (!l->want_fdb || !l->want_neigh) {
		link_free(l);
		return -ENOMEM;
	}
	rc = dp->ops->link_add(dp, l, adopt, why);
	if (rc < 0) {
		link_free(l);
		if (!*why)
			*why = strerror(-rc);
		return rc;
	}
	struct fdb_remote r;
	if (link_default_remote(l, &r))
		fdb_append(l->want_fdb, zero_mac, &r, loop_now_ms());
	l->next = c->links;
	c->links = l;
	log_info("link %s: %s datapath, vni %u dstport %u mtu %u%s%s", l->cfg.name, dp->ops->name, l->cfg.vni,
		 l->cfg.dstport, l->mtu, l->cfg.netns[0] ? " netns " : "", l->cfg.netns);
	publish_link(c, l, CTL_EVENT_LINK_ADDED);
	changed(c);
	return 0;
}

int core_link_set(struct core *c, const struct link_config *change, uint8_t origin, const char **why)
{
	struct core_link *l = core_link_find(c, change->name);
	if (!l) {
		*why = "no such link";
		return -ENODEV;
	}
	if (l->origin != origin) {
		*why = l->origin == FDB_ORIGIN_STORE ? "link belongs to the cluster store" : "link belongs to the user";
		return -EPERM;
	}
	int rc = link_config_check_change(change->set, why);
	if (rc < 0)
		return rc;
	struct link_config nc = l->cfg;
	link_config_apply(&nc, change);
	rc = link_config_check(&nc, why);
	if (rc < 0)
		return rc;
	int fam = dp_link_family_of(&nc);
	if (fam != l->family) {
		*why = "the underlay address family cannot change on a live link";
		return -EOPNOTSUPP;
	}
	rc = l->dp->ops->link_change(l->dp, l, &nc, change->set, why);
	if (rc < 0)
		return rc;
	/* The link's own flood entry follows its remote or group. */
	struct fdb_remote old_r, new_r;
	bool had = link_default_remote(l, &old_r);
	l->cfg = nc;
	if (nc.mtu)
		l->mtu = nc.mtu;
	bool has = link_default_remote(l, &new_r);
	if (had && (!has || !remote_same(&old_r, &new_r)))
		fdb_del(l->want_fdb, zero_mac, &old_r);
	if (has && (!had || !remote_same(&old_r, &new_r)))
		fdb_append(l->want_fdb, zero_mac, &new_r, loop_now_ms());
	log_info("link %s: changed", l->cfg.name);
	publish_link(c, l, CTL_EVENT_LINK_CHANGED);
	changed(c);
	return 0;
}

int core_link_del(struct core *c, const char *name, uint8_t origin, const char **why)
{
	for (struct core_link **pp = &c->links; *pp; pp = &(*pp)->next) {
		struct core_link *l = *pp;
		if (strcmp(l->cfg.name, name))
			continue;
		if (l->origin != origin) {
			*why = l->origin == FDB_ORIGIN_STORE ? "link belongs to the cluster store (vxnet detach)"
							     : "link belongs to the user";
			return -EPERM;
		}
		publish_link(c, l, CTL_EVENT_LINK_DELETED);
		*pp = l->next;
		l->dp->ops->link_del(l->dp, l);
		log_info("link %s: deleted", name);
		link_free(l);
		changed(c);
		return 0;
	}
	*why = "no such link";
	return -ENODEV;
}

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

static bool remote_same(const struct fdb_remote *a, const struct fdb_remote *b)
{
	return addr_equal(&a->ip, &b->ip) && a->port == b->port && a->vni == b->vni && a->ifindex == b->ifindex;
}

/* The wanted remote equal to r of the entry mac, or NULL. */
static const struct fdb_remote *want_remote(const struct core_link *l, const uint8_t mac[MAC_LEN],
					    const struct fdb_remote *r)
{
	const struct fdb_entry *e = fdb_lookup(l->want_fdb, mac);
	if (!e)
		return NULL;
	for (unsigned i = 0; i < e->n_remotes; i++)
		if (remote_same(&e->remotes[i], r))
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
		if (r && !remote_same(&e->remotes[i], r))
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
	const struct fdb_remote *w = want_remote(l, e->mac, &r);
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
		publish_fdb(g->c, g->l, CTL_EVENT_DELETED, e->mac, &r, e->state);
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
		changed(c);
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
	publish_fdb(c, l, CTL_EVENT_ADDED, req->mac, r, FDB_STATE_PERMANENT);
	changed(c);
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
		publish_neigh(c, l, CTL_EVENT_NEIGH_DELETED, &req->ip, mac, wanted ? o : CTL_ORIGIN_OTHER);
		changed(c);
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
	publish_neigh(c, l, CTL_EVENT_NEIGH_ADDED, &req->ip, req->mac, origin);
	changed(c);
	return 0;
}

static int reinstall(struct core_link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *r);

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
	rc = reinstall(l, mac, r);
	if (rc < 0) {
		*why = "the datapath refused it";
		return rc;
	}
	want_apply(l, mac_is_zero(mac) || mac_is_multicast(mac) ? CORE_APPEND : CORE_REPLACE, mac, r);
	changed(c);
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
	changed(c);
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
		publish_neigh(c, l, CTL_EVENT_NEIGH_DELETED, &nf.ips[i], mac, origin);
	}
	free(nf.ips);
	if (f.n || nf.n)
		changed(c);
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

void core_stats(struct core *c, struct core_link *l, dp_stat_cb cb, void *arg)
{
	(void)c;
	if (l->dpl)
		l->dp->ops->stats(l->dp, l, cb, arg);
}

unsigned core_oper_mtu(struct core *c, struct core_link *l)
{
	(void)c;
	return l->dpl ? l->dp->ops->oper_mtu(l->dp, l) : 0;
}

/* ---- reconcile ---- */

/* Install one wanted remote again. */
static int reinstall(struct core_link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *r)
{
	const char *why = NULL;
	enum dp_fdb_op op = mac_is_zero(mac) || mac_is_multicast(mac) ? DP_FDB_APPEND : DP_FDB_REPLACE;
	int rc = l->dp->ops->fdb_set(l->dp, l, op, mac, r, &why);
	if (rc == -EEXIST)
		rc = 0;
	if (rc < 0)
		log_err("%s: cannot put back an fdb entry: %s", l->cfg.name, why ? why : strerror(-rc));
	return rc;
}

struct have_ctx {
	struct fdb *have;
	struct neigh *nhave;
};

static void have_fdb_cb(const struct fdb_entry *e, void *arg)
{
	struct have_ctx *h = arg;
	if (e->state != FDB_STATE_PERMANENT)
		return;
	for (unsigned i = 0; i < e->n_remotes; i++)
		if (fdb_append(h->have, e->mac, &e->remotes[i], 0) == -EOPNOTSUPP)
			fdb_replace(h->have, e->mac, &e->remotes[i], 0);
}

static void have_neigh_cb(const struct vx_addr *ip, const uint8_t mac[MAC_LEN], bool permanent, void *arg)
{
	(void)permanent;
	struct have_ctx *h = arg;
	neigh_replace(h->nhave, ip, mac, 0);
}

struct fix_ctx {
	struct core *c;
	struct core_link *l;
	struct fdb *have;
	struct neigh *nhave;
	bool relinked;
};

static void fix_fdb_cb(const struct fdb_entry *e, void *arg)
{
	struct fix_ctx *x = arg;
	for (unsigned i = 0; i < e->n_remotes; i++) {
		const struct fdb_remote *w = &e->remotes[i];
		/* A re-created device brings its own default entry back. */
		if (x->relinked && w->origin == FDB_ORIGIN_LINK)
			continue;
		if (x->have) {
			const struct fdb_entry *h = fdb_lookup(x->have, e->mac);
			bool present = false;
			for (unsigned j = 0; h && j < h->n_remotes; j++)
				present |= remote_same(&h->remotes[j], w);
			if (present)
				continue;
		}
		if (reinstall(x->l, e->mac, w) == 0 && !x->relinked)
			publish_fdb(x->c, x->l, CTL_EVENT_RESTORED, e->mac, w, FDB_STATE_PERMANENT);
	}
}

static void fix_neigh_cb(const struct vx_addr *ip, const uint8_t mac[MAC_LEN], uint8_t origin, void *arg)
{
	struct fix_ctx *x = arg;
	uint8_t hmac[MAC_LEN];
	if (x->nhave && neigh_lookup(x->nhave, ip, hmac) == 0 && mac_equal(hmac, mac))
		return;
	const char *why = NULL;
	int rc = x->l->dp->ops->neigh_set(x->l->dp, x->l, true, ip, mac, &why);
	if (rc < 0)
		log_err("%s: cannot put back a neigh entry: %s", x->l->cfg.name, why ? why : strerror(-rc));
	else if (!x->relinked)
		publish_neigh(x->c, x->l, CTL_EVENT_NEIGH_RESTORED, ip, mac, origin);
}

/* The device is gone: make it again and put every wanted entry back. */
static int relink(struct core *c, struct core_link *l)
{
	const char *why = NULL;
	bool first = l->dpl != NULL; /* not a retry after a failure */
	l->dp->ops->link_del(l->dp, l);
	int rc = l->dp->ops->link_add(l->dp, l, false, &why);
	if (rc < 0) {
		/* Tried again at every reconcile; logged once. */
		if (first)
			log_err("%s: device gone and cannot be made again: %s", l->cfg.name, why ? why : strerror(-rc));
		l->gone = true;
		return rc;
	}
	l->gone = false;
	log_info("%s: device was removed behind vxnet's back: made again", l->cfg.name);
	struct fix_ctx x = {.c = c, .l = l, .relinked = true};
	fdb_foreach(l->want_fdb, fix_fdb_cb, &x);
	neigh_foreach(l->want_neigh, fix_neigh_cb, &x);
	publish_link(c, l, CTL_EVENT_LINK_RESTORED);
	return 0;
}

static void reconcile_link(struct core *c, struct core_link *l)
{
	if (l->gone || !l->dp->ops->link_present(l->dp, l)) {
		relink(c, l);
		return;
	}
	/* A dump the kernel interrupted (its table changed meanwhile) is
	 * read again; anything else waits for the next second. */
	struct have_ctx h = {NULL, NULL};
	int rc = -EINTR;
	for (int tries = 0; tries < 3 && rc == -EINTR; tries++) {
		fdb_free(h.have);
		neigh_free(h.nhave);
		h.have = fdb_new(NULL);
		h.nhave = neigh_new(0);
		if (!h.have || !h.nhave) {
			rc = -ENOMEM;
			break;
		}
		rc = l->dp->ops->fdb_dump(l->dp, l, have_fdb_cb, &h);
		if (rc == 0)
			rc = l->dp->ops->neigh_dump(l->dp, l, have_neigh_cb, &h);
	}
	if (rc == 0) {
		struct fix_ctx x = {.c = c, .l = l, .have = h.have, .nhave = h.nhave};
		fdb_foreach(l->want_fdb, fix_fdb_cb, &x);
		neigh_foreach(l->want_neigh, fix_neigh_cb, &x);
	} else {
		log_debug("%s: reconcile: cannot read the datapath's tables: %s", l->cfg.name, strerror(-rc));
	}
	fdb_free(h.have);
	neigh_free(h.nhave);
}

void core_reconcile(struct core *c)
{
	for (struct core_link *l = c->links; l; l = l->next)
		reconcile_link(c, l);
}

void core_tick(struct core *c)
{
	uint64_t now = loop_now_ms();
	for (int i = 0; i <= LINK_DP_MAX; i++)
		if (c->dps[i] && c->dps[i]->ops->tick)
			c->dps[i]->ops->tick(c->dps[i], now);
	core_reconcile(c);
}

/* ---- upcalls from the datapaths ---- */

static void up_learned(struct core *c, struct core_link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *r,
		       bool moved)
{
	struct fdb_remote x = *r;
	x.origin = FDB_ORIGIN_LEARNED;
	publish_fdb(c, l, moved ? CTL_EVENT_MOVED : CTL_EVENT_LEARNED, mac, &x, FDB_STATE_REACHABLE);
}

static void up_aged(struct core *c, struct core_link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *r)
{
	struct fdb_remote x = *r;
	x.origin = FDB_ORIGIN_LEARNED;
	publish_fdb(c, l, CTL_EVENT_AGED, mac, &x, FDB_STATE_REACHABLE);
}

static void up_l2miss(struct core *c, struct core_link *l, const uint8_t mac[MAC_LEN])
{
	publish_fdb(c, l, CTL_EVENT_L2MISS, mac, NULL, 0);
}

static void up_l3miss(struct core *c, struct core_link *l, const struct vx_addr *ip)
{
	publish_neigh(c, l, CTL_EVENT_L3MISS, ip, NULL, 0);
}

static void up_fdb_changed(struct core *c, struct core_link *l, bool deleted, const uint8_t mac[MAC_LEN],
			   const struct fdb_remote *r, bool permanent)
{
	const struct fdb_remote *w = r ? want_remote(l, mac, r) : NULL;
	if (deleted) {
		if (w) {
			/* Ours: desired state wins. */
			struct fdb_remote keep = *w;
			if (reinstall(l, mac, &keep) == 0)
				publish_fdb(c, l, CTL_EVENT_RESTORED, mac, &keep, FDB_STATE_PERMANENT);
			return;
		}
		struct fdb_remote x;
		if (r) {
			x = *r;
			x.origin = permanent ? CTL_ORIGIN_OTHER : FDB_ORIGIN_LEARNED;
		}
		publish_fdb(c, l, CTL_EVENT_DELETED, mac, r ? &x : NULL,
			    permanent ? FDB_STATE_PERMANENT : FDB_STATE_REACHABLE);
		return;
	}
	if (w)
		return; /* what we installed */
	/* Someone else's entry, or ours rewritten: put ours back if so. */
	const struct fdb_entry *e = fdb_lookup(l->want_fdb, mac);
	if (e && !mac_is_zero(mac) && !mac_is_multicast(mac)) {
		struct fdb_remote keep = e->remotes[0];
		if (reinstall(l, mac, &keep) == 0)
			publish_fdb(c, l, CTL_EVENT_RESTORED, mac, &keep, FDB_STATE_PERMANENT);
		return;
	}
	if (r) {
		struct fdb_remote x = *r;
		x.origin = CTL_ORIGIN_OTHER;
		publish_fdb(c, l, CTL_EVENT_ADDED, mac, &x, FDB_STATE_PERMANENT);
	}
}

static void up_neigh_changed(struct core *c, struct core_link *l, bool deleted, const struct vx_addr *ip,
			     const uint8_t mac[MAC_LEN])
{
	uint8_t wmac[MAC_LEN], o;
	bool wanted = neigh_get(l->want_neigh, ip, wmac, &o) == 0;
	if (wanted && (deleted || !mac_equal(wmac, mac))) {
		const char *why = NULL;
		if (l->dp->ops->neigh_set(l->dp, l, true, ip, wmac, &why) == 0)
			publish_neigh(c, l, CTL_EVENT_NEIGH_RESTORED, ip, wmac, o);
		else
			log_err("%s: cannot put back a neigh entry: %s", l->cfg.name, why ? why : "?");
		return;
	}
	if (wanted)
		return;
	publish_neigh(c, l, deleted ? CTL_EVENT_NEIGH_DELETED : CTL_EVENT_NEIGH_ADDED, ip, mac, CTL_ORIGIN_OTHER);
}

static void up_link_gone(struct core *c, struct core_link *l)
{
	l->gone = true;
	relink(c, l);
}

static void up_link_state(struct core *c, struct core_link *l, bool up, const char *master)
{
	if (l->up == up && !strcmp(l->master, master))
		return;
	l->up = up;
	snprintf(l->master, sizeof(l->master), "%s", master);
	changed(c);
}

const struct dp_upcalls core_upcalls = {
    .learned = up_learned,
    .aged = up_aged,
    .l2miss = up_l2miss,
    .l3miss = up_l3miss,
    .fdb_changed = up_fdb_changed,
    .neigh_changed = up_neigh_changed,
    .link_gone = up_link_gone,
    .link_state = up_link_state,
};
