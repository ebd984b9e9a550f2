/* core_reconcile: desired state wins (core.h). Once a second, and at
 * every change the datapaths report (their upcalls), what vxnet installed
 * and the datapath lost is put back, a vanished device made again; what
 * the datapaths learn, age and miss becomes events. Apart from core.c and
 * core_fdb.c because it is driven by the datapaths, not by requests. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "core_priv.h"
#include "log.h"
#include "loop.h"

/* ---- reconcile ---- */

/* Install one wanted remote again. */
int core_reinstall(struct core_link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *r)
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
				present |= core_remote_same(&h->remotes[j], w);
			if (present)
				continue;
		}
		if (core_reinstall(x->l, e->mac, w) == 0 && !x->relinked)
			core_publish_fdb(x->c, x->l, CTL_EVENT_RESTORED, e->mac, w, FDB_STATE_PERMANENT);
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
		core_publish_neigh(x->c, x->l, CTL_EVENT_NEIGH_RESTORED, ip, mac, origin);
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
	core_publish_link(c, l, CTL_EVENT_LINK_RESTORED);
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
	core_publish_fdb(c, l, moved ? CTL_EVENT_MOVED : CTL_EVENT_LEARNED, mac, &x, FDB_STATE_REACHABLE);
}

static void up_aged(struct core *c, struct core_link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *r)
{
	struct fdb_remote x = *r;
	x.origin = FDB_ORIGIN_LEARNED;
	core_publish_fdb(c, l, CTL_EVENT_AGED, mac, &x, FDB_STATE_REACHABLE);
}

static void up_l2miss(struct core *c, struct core_link *l, const uint8_t mac[MAC_LEN])
{
	core_publish_fdb(c, l, CTL_EVENT_L2MISS, mac, NULL, 0);
}

static void up_l3miss(struct core *c, struct core_link *l, const struct vx_addr *ip)
{
	core_publish_neigh(c, l, CTL_EVENT_L3MISS, ip, NULL, 0);
}

static void up_fdb_changed(struct core *c, struct core_link *l, bool deleted, const uint8_t mac[MAC_LEN],
			   const struct fdb_remote *r, bool permanent)
{
	const struct fdb_remote *w = r ? core_want_remote(l, mac, r) : NULL;
	if (deleted) {
		if (w) {
			/* Ours: desired state wins. */
			struct fdb_remote keep = *w;
			if (core_reinstall(l, mac, &keep) == 0)
				core_publish_fdb(c, l, CTL_EVENT_RESTORED, mac, &keep, FDB_STATE_PERMANENT);
			return;
		}
		struct fdb_remote x;
		if (r) {
			x = *r;
			x.origin = permanent ? CTL_ORIGIN_OTHER : FDB_ORIGIN_LEARNED;
		}
		core_publish_fdb(c, l, CTL_EVENT_DELETED, mac, r ? &x : NULL,
				 permanent ? FDB_STATE_PERMANENT : FDB_STATE_REACHABLE);
		return;
	}
	if (w)
		return; /* what we installed */
	/* Someone else's entry, or ours rewritten: put ours back if so. */
	const struct fdb_entry *e = fdb_lookup(l->want_fdb, mac);
	if (e && !mac_is_zero(mac) && !mac_is_multicast(mac)) {
		struct fdb_remote keep = e->remotes[0];
		if (core_reinstall(l, mac, &keep) == 0)
			core_publish_fdb(c, l, CTL_EVENT_RESTORED, mac, &keep, FDB_STATE_PERMANENT);
		return;
	}
	if (r) {
		struct fdb_remote x = *r;
		x.origin = CTL_ORIGIN_OTHER;
		core_publish_fdb(c, l, CTL_EVENT_ADDED, mac, &x, FDB_STATE_PERMANENT);
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
			core_publish_neigh(c, l, CTL_EVENT_NEIGH_RESTORED, ip, wmac, o);
		else
			log_err("%s: cannot put back a neigh entry: %s", l->cfg.name, why ? why : "?");
		return;
	}
	if (wanted)
		return;
	core_publish_neigh(c, l, deleted ? CTL_EVENT_NEIGH_DELETED : CTL_EVENT_NEIGH_ADDED, ip, mac, CTL_ORIGIN_OTHER);
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
	core_changed(c);
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
