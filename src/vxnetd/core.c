/* core: the model and its lifecycle (core.h): the core itself, its
 * datapath providers, the links and the changes to them, and the events
 * every change publishes. The forwarding entries' change API is
 * core_fdb.c's, putting back what the datapaths lost core_reconcile.c's;
 * they share the struct core and the helpers of core_priv.h. */
#include "core.h"
#include "core_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "loop.h"
#include "reaper.h"

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

void core_publish_fdb(struct core *c, const struct core_link *l, enum ctl_event type, const uint8_t mac[MAC_LEN],
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

void core_publish_neigh(struct core *c, const struct core_link *l, enum ctl_event type, const struct vx_addr *ip,
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

void core_publish_link(struct core *c, const struct core_link *l, enum ctl_event type)
{
	if (!events_wanted(&c->events))
		return;
	struct vx_event ev;
	ev_init(&ev, type, l);
	ev.origin = l->origin;
	events_publish(&c->events, &ev);
}

void core_changed(struct core *c)
{
	c->dirty = true;
}

/* ---- links ---- */

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
	core_publish_link(c, l, CTL_EVENT_LINK_ADDED);
	core_changed(c);
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
	if (had && (!has || !core_remote_same(&old_r, &new_r)))
		fdb_del(l->want_fdb, zero_mac, &old_r);
	if (has && (!had || !core_remote_same(&old_r, &new_r)))
		fdb_append(l->want_fdb, zero_mac, &new_r, loop_now_ms());
	log_info("link %s: changed", l->cfg.name);
	core_publish_link(c, l, CTL_EVENT_LINK_CHANGED);
	core_changed(c);
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
		core_publish_link(c, l, CTL_EVENT_LINK_DELETED);
		*pp = l->next;
		l->dp->ops->link_del(l->dp, l);
		log_info("link %s: deleted", name);
		link_free(l);
		core_changed(c);
		return 0;
	}
	*why = "no such link";
	return -ENODEV;
}

/* ---- reading ---- */

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
