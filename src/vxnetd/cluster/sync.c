/* sync: this host in the store, and the store on this host.
 *
 * Registration: a lease (the one saved on disk when it is still alive, else
 * a new one, kept alive by the store module every TTL/3), the host key put
 * on it if absent (held under another lease: another vxnetd has this name,
 * and a daemon that never registered refuses to run), then this host's
 * endpoint keys put on it. A lease lost while cut off is granted again and
 * everything put again.
 *
 * Following: the whole prefix is listed, then watched from the list's
 * revision + 1; a compacted or broken watch lists again (the view is
 * rebuilt) and watches again. After each batch of the store's callbacks the
 * dirty networks are judged (view_refresh) and, where this host is a member
 * (has the network's link), reconciled: what the view says is in effect on
 * other hosts is installed as permanent entries of origin store, what vxnet
 * installed for the store and is no longer there is removed, through the
 * core's change API only; entries of other origins are never touched. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "log.h"
#include "priv.h"
#include "vxnet/fdb.h"
#include "vxnet/neigh.h"

#define RETRY_MS 1000

static void reg_step(struct cluster *cl);
static void list_start(struct cluster *cl);

static void retry_later(struct cluster *cl)
{
	cl->retry_at = cl_now() + RETRY_MS;
}

/* ---- registration ---- */

static void reput_done(void *arg, int err, int64_t revision, int64_t deleted)
{
	struct cluster *cl = arg;
	(void)revision;
	(void)deleted;
	if (err < 0)
		cl->reput_failed = true;
	if (--cl->reput_left)
		return;
	if (cl->reg != REG_REPUT)
		return;
	if (cl->reput_failed) {
		log_err("cluster: cannot publish this host's endpoints: %s (retrying)", store_last_error(cl->store));
		retry_later(cl);
		return;
	}
	cl->reg = REG_DONE;
	reg_step(cl);
}

int cl_publish(struct cluster *cl, const struct cl_ep *ep, store_done_cb cb, void *arg)
{
	char key[CLUSTER_KEY_MAX];
	struct cluster_endpoint v = {.ip = ep->ip};
	char *val;
	size_t n;
	/* Never without the lease: such a key would outlive this host. */
	if (!cl->lease)
		return -EAGAIN;
	int rc = cl_key(cl, CLUSTER_ENDPOINT, ep->network, cl->host, ep->mac, NULL, key, sizeof(key));
	if (rc < 0)
		return rc;
	rc = cluster_endpoint_encode(&v, &val, &n);
	if (rc < 0)
		return rc;
	rc = store_put(cl->store, key, val, n, cl->lease, cb, arg);
	free(val);
	return rc;
}

static void host_done(void *arg, int err, const struct store_txn_result *r);

static void host_put_done(void *arg, int err, int64_t revision, int64_t deleted)
{
	(void)revision;
	(void)deleted;
	host_done(arg, err, NULL);
}

static void host_put(struct cluster *cl)
{
	char key[CLUSTER_KEY_MAX];
	struct cluster_host h = {.underlay = cl->underlay};
	char *val;
	size_t n;
	if (cl_key(cl, CLUSTER_HOST, NULL, cl->host, NULL, NULL, key, sizeof(key)) < 0 ||
	    cluster_host_encode(&h, &val, &n) < 0) {
		log_err("cluster: cannot encode the host key");
		retry_later(cl);
		return;
	}
	if (store_put_if_absent(cl->store, key, val, n, cl->lease, host_done, cl) < 0)
		retry_later(cl);
	free(val);
}

static void host_done(void *arg, int err, const struct store_txn_result *r)
{
	struct cluster *cl = arg;
	if (cl->reg != REG_HOST)
		return;
	if (err < 0) {
		/* -EIO included: the next attempt finds the key under our
		 * lease if this one went through. */
		log_err("cluster: cannot register host %s: %s (retrying)", cl->host, store_last_error(cl->store));
		retry_later(cl);
		return;
	}
	if (r && !r->succeeded && r->existing && r->existing->lease == cl->lease) {
		/* Ours already (a lease taken over): write our current value. */
		char key[CLUSTER_KEY_MAX];
		struct cluster_host h = {.underlay = cl->underlay}, old;
		char *val;
		size_t n;
		if (cluster_host_decode(r->existing->value, r->existing->value_len, &old, NULL) == 0 &&
		    addr_equal(&old.underlay, &h.underlay))
			goto registered;
		if (cl_key(cl, CLUSTER_HOST, NULL, cl->host, NULL, NULL, key, sizeof(key)) < 0 ||
		    cluster_host_encode(&h, &val, &n) < 0) {
			retry_later(cl);
			return;
		}
		if (store_put(cl->store, key, val, n, cl->lease, host_put_done, cl) < 0)
			retry_later(cl);
		free(val);
		return;
	}
	if (r && !r->succeeded) {
		char ul[ADDR_STRLEN] = "?";
		struct cluster_host old;
		if (r->existing && cluster_host_decode(r->existing->value, r->existing->value_len, &old, NULL) == 0)
			addr_format(&old.underlay, ul, sizeof(ul));
		if (!cl->registered_once) {
			log_err("cluster: host name %s is registered in the store by another vxnetd (underlay %s, "
				"lease %lld): refusing to start; stop that daemon or give this one another --host "
				"(a killed daemon's name is free after its lease TTL)",
				cl->host, ul, r->existing ? (long long)r->existing->lease : 0LL);
			cl->reg = REG_FAILED;
			cl->refused = true;
			loop_stop(cl->loop);
			return;
		}
		if (cl_now() - cl->last_conflict_log > 30000) {
			cl->last_conflict_log = cl_now();
			log_err("cluster: host name %s is now held by another vxnetd (underlay %s): retrying", cl->host,
				ul);
		}
		cl->retry_at = cl_now() + 2000;
		return;
	}
registered:
	cl->reg = REG_REPUT;
	reg_step(cl);
}

static void grant_done(void *arg, int err, int64_t lease, int64_t ttl)
{
	struct cluster *cl = arg;
	(void)ttl;
	if (cl->reg != REG_GRANT)
		return;
	if (err < 0) {
		log_err("cluster: cannot get a lease from the store: %s (retrying)", store_last_error(cl->store));
		retry_later(cl);
		return;
	}
	cl->lease = lease;
	cl_local_save(cl);
	log_info("cluster: lease %lld, TTL %u s", (long long)lease, cl->ttl);
	cl->reg = REG_HOST;
	reg_step(cl);
}

static void revoked(void *arg, int err, int64_t lease, int64_t ttl)
{
	struct cluster *cl = arg;
	(void)lease;
	(void)ttl;
	if (cl->reg != REG_CHECK)
		return;
	if (err < 0 && err != -ENOENT) {
		log_err("cluster: cannot revoke the previous lease: %s (retrying)", store_last_error(cl->store));
		retry_later(cl);
		return;
	}
	cl->reg = REG_GRANT;
	reg_step(cl);
}

static void check_done(void *arg, int err, int64_t lease, int64_t ttl)
{
	struct cluster *cl = arg;
	if (cl->reg != REG_CHECK)
		return;
	if (err < 0 && err != -ENOENT) {
		log_err("cluster: store unreachable: %s (retrying)", store_last_error(cl->store));
		retry_later(cl);
		return;
	}
	if (err == 0 && ttl == (int64_t)cl->ttl && store_lease_keep(cl->store, lease, ttl) >= 0) {
		cl->lease = lease;
		log_info("cluster: took over lease %lld of the previous vxnetd", (long long)lease);
		cl->reg = REG_HOST;
	} else if (err == 0) {
		/* Ours but of another TTL (--lease-ttl changed): revoked, or its
		 * host key would look like another daemon's until it expires. */
		log_info("cluster: lease %lld of the previous vxnetd has TTL %lld, not %u: revoking it",
			 (long long)lease, (long long)ttl, cl->ttl);
		if (store_lease_revoke(cl->store, lease, revoked, cl) < 0)
			retry_later(cl);
		return;
	} else {
		cl->reg = REG_GRANT; /* gone */
	}
	reg_step(cl);
}

static void reg_step(struct cluster *cl)
{
	cl->retry_at = 0;
	switch (cl->reg) {
	case REG_CHECK:
		if (store_lease_keepalive(cl->store, cl->saved_lease, check_done, cl) < 0)
			retry_later(cl);
		break;
	case REG_GRANT:
		if (store_lease_grant(cl->store, cl->ttl, grant_done, cl) < 0)
			retry_later(cl);
		break;
	case REG_HOST:
		host_put(cl);
		break;
	case REG_REPUT: {
		unsigned n = 0;
		for (struct cl_ep *ep = cl->eps; ep; ep = ep->next)
			n += ep->published;
		if (!n) {
			cl->reg = REG_DONE;
			reg_step(cl);
			break;
		}
		cl->reput_left = 1; /* held until every put started */
		cl->reput_failed = false;
		for (struct cl_ep *ep = cl->eps; ep; ep = ep->next) {
			if (!ep->published)
				continue;
			cl->reput_left++;
			if (cl_publish(cl, ep, reput_done, cl) < 0) {
				cl->reput_left--;
				cl->reput_failed = true;
			}
		}
		reput_done(cl, 0, 0, 0);
		break;
	}
	case REG_DONE:
		if (!cl->registered_once) {
			char ul[ADDR_STRLEN];
			addr_format(&cl->underlay, ul, sizeof(ul));
			log_info("cluster: registered as host %s (underlay %s)", cl->host, ul);
		}
		cl->registered_once = true;
		if (!cl->watch && !cl->listing)
			list_start(cl);
		break;
	case REG_FAILED:
		break;
	}
}

void cl_on_lease_lost(struct cluster *cl, int64_t lease)
{
	if (lease != cl->lease)
		return;
	log_err("cluster: lease %lld is gone from the store (expired while cut off?): registering again",
		(long long)lease);
	cl->lease = 0;
	cl->reg = REG_GRANT;
	reg_step(cl);
}

/* ---- list and watch ---- */

static void on_watch(void *arg, const struct store_watch_event *ev)
{
	struct cluster *cl = arg;
	switch (ev->type) {
	case STORE_WATCH_CREATED:
		if (cl->watch_down_logged)
			log_info("cluster: following the store again (revision %lld)", (long long)ev->revision);
		cl->watch_down_logged = false;
		break;
	case STORE_WATCH_PUT:
		view_put(cl->view, ev->kv->key, ev->kv->key_len, ev->kv->value, ev->kv->value_len,
			 ev->kv->create_revision, ev->kv->mod_revision, ev->kv->lease);
		view_set_revision(cl->view, ev->revision);
		break;
	case STORE_WATCH_DELETE:
		view_del(cl->view, ev->kv->key, ev->kv->key_len);
		view_set_revision(cl->view, ev->revision);
		break;
	case STORE_WATCH_DISCONNECTED:
		if (!cl->watch_down_logged)
			log_err("cluster: lost the store's watch: %s (forwarding goes on as it is; resuming)",
				ev->detail ? ev->detail : strerror(-ev->err));
		cl->watch_down_logged = true;
		break;
	case STORE_WATCH_COMPACTED:
	case STORE_WATCH_BROKEN:
		/* The handle is the module's now. */
		cl->watch = NULL;
		cl->relists++;
		log_info("cluster: watch %s: listing the store again",
			 ev->type == STORE_WATCH_COMPACTED ? "compacted away" : (ev->detail ? ev->detail : "broken"));
		list_start(cl);
		break;
	}
}

static void list_done(void *arg, int err, const struct store_list_result *r)
{
	struct cluster *cl = arg;
	char prefix[CLUSTER_KEY_MAX];
	cl->listing = false;
	if (err < 0) {
		log_err("cluster: cannot list the store: %s (retrying)", store_last_error(cl->store));
		cl->list_retry_at = cl_now() + RETRY_MS;
		return;
	}
	view_clear(cl->view);
	for (size_t i = 0; i < r->n; i++)
		view_put(cl->view, r->kvs[i].key, r->kvs[i].key_len, r->kvs[i].value, r->kvs[i].value_len,
			 r->kvs[i].create_revision, r->kvs[i].mod_revision, r->kvs[i].lease);
	view_set_revision(cl->view, r->revision);
	if (!cl->view_ready)
		log_info("cluster: %zu keys at revision %lld", r->n, (long long)r->revision);
	cl->view_ready = true;
	/* Our networks' devices (made again if the state was lost), then
	 * their entries; networks that lost every key are reconciled too. */
	for (struct cl_ep *ep = cl->eps; ep; ep = ep->next) {
		const struct cluster_network *net = view_network(cl->view, ep->network);
		char why[CTL_ERRMSG_LEN];
		bool made;
		if (net && !core_link_find(cl->core, ep->link) &&
		    cl_plumb_network(cl, ep, net, &made, why, sizeof(why)) < 0)
			log_err("cluster: network %s: %s", ep->network, why);
		cl_reconcile(cl, ep->network);
	}
	cluster_prefix_format(cl->prefix, 0, NULL, prefix, sizeof(prefix));
	if (store_watch(cl->store, prefix, r->revision + 1, on_watch, cl, &cl->watch) < 0) {
		cl->watch = NULL;
		cl->list_retry_at = cl_now() + RETRY_MS;
	}
}

static void list_start(struct cluster *cl)
{
	char prefix[CLUSTER_KEY_MAX];
	cl->list_retry_at = 0;
	cluster_prefix_format(cl->prefix, 0, NULL, prefix, sizeof(prefix));
	if (store_list(cl->store, prefix, list_done, cl) < 0) {
		cl->list_retry_at = cl_now() + RETRY_MS;
		return;
	}
	cl->listing = true;
}

void cl_sync_start(struct cluster *cl)
{
	cl->reg = cl->saved_lease ? REG_CHECK : REG_GRANT;
	reg_step(cl);
}

void cl_sync_tick(struct cluster *cl)
{
	uint64_t now = cl_now();
	if (cl->retry_at && now >= cl->retry_at)
		reg_step(cl);
	if (cl->list_retry_at && now >= cl->list_retry_at && !cl->listing && !cl->watch)
		list_start(cl);
}

/* ---- reconcile ---- */

struct want {
	struct cluster *cl;
	struct core_link *l;
	struct fdb *fdb;
	struct neigh *neigh;
};

static void want_ep(void *arg, const struct view_endpoint *e)
{
	struct want *w = arg;
	if (!strcmp(e->host, w->cl->host))
		return; /* ours: the bridge knows them */
	if (e->underlay.family != w->l->family)
		return; /* a VTEP this link cannot reach */
	struct fdb_remote r = {
	    .ip = e->underlay, .port = w->l->cfg.dstport, .vni = w->l->cfg.vni, .origin = FDB_ORIGIN_STORE};
	fdb_replace(w->fdb, e->mac, &r, 0);
	neigh_replace(w->neigh, &e->ip, e->mac, FDB_ORIGIN_STORE);
}

static const uint8_t zero_mac[MAC_LEN];

static void want_member(void *arg, const char *host, const struct vx_addr *ul)
{
	struct want *w = arg;
	(void)host;
	if (ul->family != w->l->family)
		return;
	struct fdb_remote r = {.ip = *ul, .port = w->l->cfg.dstport, .vni = w->l->cfg.vni, .origin = FDB_ORIGIN_STORE};
	fdb_append(w->fdb, zero_mac, &r, 0);
}

/* Entries of origin store, collected before changing the tables they are in. */
struct have {
	unsigned n, cap;
	struct {
		uint8_t mac[MAC_LEN];
		struct fdb_remote r;
	} * fdb;
	unsigned nn, ncap;
	struct {
		struct vx_addr ip;
		uint8_t mac[MAC_LEN];
	} * neigh;
};

static void have_fdb(const struct fdb_entry *e, void *arg)
{
	struct have *h = arg;
	for (unsigned i = 0; i < e->n_remotes; i++) {
		if (e->remotes[i].origin != FDB_ORIGIN_STORE)
			continue;
		if (h->n == h->cap) {
			unsigned cap = h->cap ? h->cap * 2 : 16;
			void *p = realloc(h->fdb, cap * sizeof(*h->fdb));
			if (!p)
				return;
			h->fdb = p;
			h->cap = cap;
		}
		memcpy(h->fdb[h->n].mac, e->mac, MAC_LEN);
		h->fdb[h->n++].r = e->remotes[i];
	}
}

static void have_neigh(const struct vx_addr *ip, const uint8_t mac[MAC_LEN], uint8_t origin, void *arg)
{
	struct have *h = arg;
	if (origin != FDB_ORIGIN_STORE)
		return;
	if (h->nn == h->ncap) {
		unsigned cap = h->ncap ? h->ncap * 2 : 16;
		void *p = realloc(h->neigh, cap * sizeof(*h->neigh));
		if (!p)
			return;
		h->neigh = p;
		h->ncap = cap;
	}
	h->neigh[h->nn].ip = *ip;
	memcpy(h->neigh[h->nn++].mac, mac, MAC_LEN);
}

static bool remote_in(const struct fdb_entry *e, const struct fdb_remote *r)
{
	for (unsigned i = 0; e && i < e->n_remotes; i++)
		if (addr_equal(&e->remotes[i].ip, &r->ip) && e->remotes[i].port == r->port &&
		    e->remotes[i].vni == r->vni)
			return true;
	return false;
}

static void fdb_req_of(struct fdb_req *q, const char *link, const uint8_t mac[MAC_LEN], const struct fdb_remote *r)
{
	memset(q, 0, sizeof(*q));
	snprintf(q->dev, sizeof(q->dev), "%s", link);
	memcpy(q->mac, mac, MAC_LEN);
	q->dst = r->ip;
	q->port = r->port;
	q->vni = r->vni;
	q->set = FDB_P_DST | FDB_P_PORT | FDB_P_VNI;
}

struct add_ctx {
	struct cluster *cl;
	struct core_link *l;
	struct fdb *cur; /* what the core wants of origin store now */
};

static void add_fdb(const struct fdb_entry *e, void *arg)
{
	struct add_ctx *a = arg;
	const struct fdb_entry *c = fdb_lookup(a->cur, e->mac);
	bool flood = mac_is_zero(e->mac);
	for (unsigned i = 0; i < e->n_remotes; i++) {
		if (remote_in(c, &e->remotes[i]))
			continue;
		struct fdb_req q;
		const char *why = NULL;
		fdb_req_of(&q, a->l->cfg.name, e->mac, &e->remotes[i]);
		int rc = core_fdb(a->cl->core, flood ? CORE_APPEND : CORE_REPLACE, &q, FDB_ORIGIN_STORE, &why);
		if (rc == -EEXIST) /* in the datapath already, not yet in the model */
			rc = core_fdb_ensure(a->cl->core, a->l->cfg.name, e->mac, &e->remotes[i], &why);
		if (rc < 0) {
			char mac[MAC_STRLEN];
			mac_format(e->mac, mac);
			log_err("cluster: %s: cannot install %s: %s", a->l->cfg.name, mac, why ? why : strerror(-rc));
		}
	}
}

static void add_neigh(const struct vx_addr *ip, const uint8_t mac[MAC_LEN], uint8_t origin, void *arg)
{
	struct add_ctx *a = arg;
	uint8_t cmac[MAC_LEN], o;
	(void)origin;
	if (neigh_get(a->l->want_neigh, ip, cmac, &o) == 0 && o == FDB_ORIGIN_STORE && mac_equal(cmac, mac))
		return;
	struct neigh_req q = {.ip = *ip, .has_mac = true};
	const char *why = NULL;
	snprintf(q.dev, sizeof(q.dev), "%s", a->l->cfg.name);
	memcpy(q.mac, mac, MAC_LEN);
	int rc = core_neigh(a->cl->core, CORE_REPLACE, &q, FDB_ORIGIN_STORE, &why);
	if (rc < 0) {
		char s[ADDR_STRLEN];
		addr_format(ip, s, sizeof(s));
		log_err("cluster: %s: cannot install neigh %s: %s", a->l->cfg.name, s, why ? why : strerror(-rc));
	}
}

void cl_reconcile(struct cluster *cl, const char *network)
{
	if (!cl->view_ready)
		return; /* what was restored stands until the store is read */
	const char *link = NULL;
	for (struct cl_ep *ep = cl->eps; ep && !link; ep = ep->next)
		if (!strcmp(ep->network, network))
			link = ep->link;
	struct core_link *l = link ? core_link_find(cl->core, link) : NULL;
	if (!l || l->origin != FDB_ORIGIN_STORE)
		return; /* not a member here */
	struct want w = {cl, l, fdb_new(NULL), neigh_new(0)};
	struct have h = {0};
	struct fdb *cur = fdb_new(NULL);
	if (!w.fdb || !w.neigh || !cur)
		goto out;
	if (view_network(cl->view, network)) {
		view_foreach_endpoint(cl->view, network, want_ep, &w);
		view_foreach_member(cl->view, network, false, want_member, &w);
	}
	fdb_foreach(l->want_fdb, have_fdb, &h);
	neigh_foreach(l->want_neigh, have_neigh, &h);
	for (unsigned i = 0; i < h.n; i++) {
		if (fdb_append(cur, h.fdb[i].mac, &h.fdb[i].r, 0) == -EOPNOTSUPP)
			fdb_replace(cur, h.fdb[i].mac, &h.fdb[i].r, 0);
	}
	/* New first, then what went: a moved entry is replaced, not removed. */
	struct add_ctx a = {cl, l, cur};
	fdb_foreach(w.fdb, add_fdb, &a);
	neigh_foreach(w.neigh, add_neigh, &a);
	for (unsigned i = 0; i < h.n; i++) {
		const struct fdb_entry *e = fdb_lookup(w.fdb, h.fdb[i].mac);
		if (remote_in(e, &h.fdb[i].r) || (e && !mac_is_zero(h.fdb[i].mac)))
			continue;
		struct fdb_req q;
		const char *why = NULL;
		fdb_req_of(&q, l->cfg.name, h.fdb[i].mac, &h.fdb[i].r);
		int rc = core_fdb(cl->core, CORE_DEL, &q, FDB_ORIGIN_STORE, &why);
		if (rc < 0 && rc != -ENOENT)
			log_err("cluster: %s: cannot remove an entry: %s", l->cfg.name, why ? why : strerror(-rc));
	}
	for (unsigned i = 0; i < h.nn; i++) {
		uint8_t mac[MAC_LEN];
		if (neigh_lookup(w.neigh, &h.neigh[i].ip, mac) == 0)
			continue;
		struct neigh_req q = {.ip = h.neigh[i].ip};
		const char *why = NULL;
		snprintf(q.dev, sizeof(q.dev), "%s", l->cfg.name);
		int rc = core_neigh(cl->core, CORE_DEL, &q, FDB_ORIGIN_STORE, &why);
		if (rc < 0 && rc != -ENOENT)
			log_err("cluster: %s: cannot remove a neigh entry: %s", l->cfg.name, why ? why : strerror(-rc));
	}
out:
	free(h.fdb);
	free(h.neigh);
	fdb_free(cur);
	fdb_free(w.fdb);
	neigh_free(w.neigh);
}

static void flush_one(void *arg, const char *network)
{
	struct cluster *cl = arg;
	view_refresh(cl->view, network);
	cl_reconcile(cl, network);
}

void cl_sync_flush(struct cluster *cl)
{
	view_take_dirty(cl->view, flush_one, cl);
	core_commit(cl->core);
	int64_t rev = view_revision(cl->view);
	uint64_t now = cl_now();
	for (struct cl_op *op = cl->ops, *next; op; op = next) {
		next = op->next;
		if (op->waiting && (rev >= op->wait_rev || now >= op->deadline))
			cl_op_finish(op, 0, NULL);
	}
}
