/* kernel_fdb: the kernel datapath's fdb and neigh entries: bridge FDB
 * entries with NTF_SELF and PERMANENT neighbours of the link's device, set,
 * deleted and dumped over rtnetlink. Apart from kernel.c (the provider and
 * its links) because entries are a table of their own, read back from the
 * kernel; each request announces its echo to kernel_mon.c. */
#include <errno.h>
#include <linux/neighbour.h>
#include <stdlib.h>
#include <string.h>

#include "../core.h"
#include "../dp.h"
#include "../loop.h"
#include "../nl.h"
#include "kernel_priv.h"

void kernel_to_remote(const struct klink *kl, const struct nl_fdb *f, struct fdb_remote *r)
{
	memset(r, 0, sizeof(*r));
	r->ip = f->dst;
	r->port = (f->set & NL_FDB_PORT) ? f->port : kl->l->cfg.dstport;
	r->vni = (f->set & NL_FDB_VNI) ? f->vni : kl->l->cfg.vni;
	/* vxnet never sets an entry's outgoing device; the kernel reports its
	 * default remote "via" the link's dev, which is not a difference. */
	r->ifindex = 0;
}

static void to_nl_fdb(const struct klink *kl, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, struct nl_fdb *f)
{
	memset(f, 0, sizeof(*f));
	f->ifindex = kl->ifindex;
	memcpy(f->mac, mac, MAC_LEN);
	f->state = NUD_PERMANENT;
	if (r) {
		f->dst = r->ip;
		f->port = r->port;
		f->vni = r->vni;
		f->set = NL_FDB_DST | NL_FDB_PORT | NL_FDB_VNI;
		if (r->ifindex) {
			f->via = r->ifindex;
			f->set |= NL_FDB_VIA;
		}
	}
}

int kernel_fdb_set(struct dp *dp, struct core_link *l, enum dp_fdb_op op, const uint8_t mac[MAC_LEN],
		   const struct fdb_remote *r, const char **why)
{
	struct dp_kernel *k = to_kernel(dp);
	struct klink *kl = klink_of(l);
	struct nl_fdb f;
	to_nl_fdb(kl, mac, r, &f);
	static const enum nl_op ops[] = {
	    [DP_FDB_ADD] = NL_OP_ADD, [DP_FDB_APPEND] = NL_OP_APPEND, [DP_FDB_REPLACE] = NL_OP_REPLACE};
	/* The kernel's semantics for replace on all-zeros/multicast and append
	 * on unicast differ from `bridge` only in their wording: say it the
	 * way the user datapath does. */
	bool group = mac_is_zero(mac) || mac_is_multicast(mac);
	if (op == DP_FDB_REPLACE && group) {
		*why = "cannot replace all-zeros or multicast entries (use append/del)";
		return -EOPNOTSUPP;
	}
	if (op == DP_FDB_APPEND && !group) {
		*why = "append adds remotes to all-zeros or multicast entries only (use replace)";
		return -EOPNOTSUPP;
	}
	kernel_echo_expect(k, ECHO_FDB_NEW, kl->ifindex, mac, &r->ip);
	int rc = nl_fdb(kl->net->nl, ops[op], &f);
	if (rc == -EEXIST)
		*why = op == DP_FDB_APPEND ? "that remote is already in the entry" : "entry exists";
	else if (rc == -ENOSPC)
		*why = "fdb is full (maxaddress)";
	else if (rc < 0)
		*why = kernel_why(kl->net, rc, "the kernel refused the entry");
	if (rc < 0)
		kernel_echo_match(k, ECHO_FDB_NEW, kl->ifindex, mac, &r->ip); /* no notification will come */
	return rc;
}

/* The remotes of one MAC as the kernel holds them (a flood entry may have
 * any number: one per member host of a cluster network). */
struct collect {
	const uint8_t *mac;
	const struct klink *kl;
	struct fdb_remote *rem;
	unsigned n, cap;
	bool permanent, oom;
};

static int collect_cb(const struct nl_fdb *f, void *arg)
{
	struct collect *c = arg;
	if (!(f->flags & NTF_SELF) || (f->set & NL_FDB_MASTER) || !mac_equal(f->mac, c->mac))
		return 0;
	if (c->n == c->cap) {
		unsigned cap = c->cap ? c->cap * 2 : 8;
		void *p = realloc(c->rem, cap * sizeof(*c->rem));
		if (!p) {
			c->oom = true;
			return 0;
		}
		c->rem = p;
		c->cap = cap;
	}
	kernel_to_remote(c->kl, f, &c->rem[c->n++]);
	c->permanent = f->state & (NUD_PERMANENT | NUD_NOARP);
	return 0;
}

int kernel_fdb_del(struct dp *dp, struct core_link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *r,
		   dp_fdb_cb gone, void *arg, const char **why)
{
	struct dp_kernel *k = to_kernel(dp);
	struct klink *kl = klink_of(l);
	struct collect c = {.mac = mac, .kl = kl};
	int rc = nl_fdb_dump(kl->net->nl, kl->ifindex, collect_cb, &c);
	if (rc < 0 || c.oom) {
		free(c.rem);
		*why = "cannot read the kernel's fdb";
		return rc < 0 ? rc : -ENOMEM;
	}
	if (!c.n) {
		free(c.rem);
		*why = "no such entry";
		return -ENOENT;
	}
	struct fdb_entry e = {.state = c.permanent ? FDB_STATE_PERMANENT : FDB_STATE_REACHABLE};
	memcpy(e.mac, mac, MAC_LEN);
	if (r) {
		unsigned i;
		for (i = 0; i < c.n; i++)
			if (addr_equal(&c.rem[i].ip, &r->ip) && c.rem[i].port == r->port && c.rem[i].vni == r->vni)
				break;
		if (i == c.n) {
			free(c.rem);
			*why = "no such remote in that entry";
			return -ENOENT;
		}
		e.remotes = &c.rem[i];
		e.n_remotes = 1;
	} else {
		e.remotes = c.rem;
		e.n_remotes = c.n;
	}
	struct nl_fdb f;
	to_nl_fdb(kl, mac, r, &f);
	for (unsigned i = 0; i < e.n_remotes; i++)
		kernel_echo_expect(k, ECHO_FDB_DEL, kl->ifindex, mac, r ? &r->ip : NULL);
	rc = nl_fdb(kl->net->nl, NL_OP_DEL, &f);
	if (rc < 0) {
		*why = kernel_why(kl->net, rc, "the kernel refused to delete the entry");
	} else {
		if (!c.permanent)
			fdb_del(kl->learned, mac, NULL);
		if (gone)
			gone(&e, arg);
	}
	free(c.rem);
	return rc;
}

int kernel_neigh_set(struct dp *dp, struct core_link *l, bool replace, const struct vx_addr *ip,
		     const uint8_t mac[MAC_LEN], const char **why)
{
	struct dp_kernel *k = to_kernel(dp);
	struct klink *kl = klink_of(l);
	struct nl_neigh n = {.ifindex = kl->ifindex, .ip = *ip, .state = NUD_PERMANENT, .set = NL_NEIGH_LLADDR};
	memcpy(n.mac, mac, MAC_LEN);
	kernel_echo_expect(k, ECHO_NEIGH_NEW, kl->ifindex, NULL, ip);
	int rc = nl_neigh(kl->net->nl, replace ? NL_OP_REPLACE : NL_OP_ADD, &n);
	if (rc < 0) {
		kernel_echo_match(k, ECHO_NEIGH_NEW, kl->ifindex, NULL, ip);
		*why = rc == -EEXIST ? "entry exists" : kernel_why(kl->net, rc, "the kernel refused the entry");
	}
	return rc;
}

struct nfind {
	const struct vx_addr *ip;
	uint8_t *mac;
	bool found;
};

static int nfind_cb(const struct nl_neigh *n, void *arg)
{
	struct nfind *f = arg;
	if (addr_equal(&n->ip, f->ip) && (n->set & NL_NEIGH_LLADDR)) {
		memcpy(f->mac, n->mac, MAC_LEN);
		f->found = true;
	}
	return 0;
}

int kernel_neigh_del(struct dp *dp, struct core_link *l, const struct vx_addr *ip, uint8_t old[MAC_LEN],
		     const char **why)
{
	struct dp_kernel *k = to_kernel(dp);
	struct klink *kl = klink_of(l);
	struct nfind f = {ip, old, false};
	nl_neigh_dump(kl->net->nl, ip->family, kl->ifindex, nfind_cb, &f);
	if (!f.found) {
		*why = "no such entry";
		return -ENOENT;
	}
	struct nl_neigh n = {.ifindex = kl->ifindex, .ip = *ip};
	kernel_echo_expect(k, ECHO_NEIGH_DEL, kl->ifindex, NULL, ip);
	int rc = nl_neigh(kl->net->nl, NL_OP_DEL, &n);
	if (rc < 0) {
		kernel_echo_match(k, ECHO_NEIGH_DEL, kl->ifindex, NULL, ip);
		*why = kernel_why(kl->net, rc, "the kernel refused to delete the entry");
	}
	return rc;
}

struct fdump {
	const struct klink *kl;
	dp_fdb_cb cb;
	void *arg;
	uint64_t now;
};

static int fdump_cb(const struct nl_fdb *f, void *arg)
{
	struct fdump *d = arg;
	if (!(f->flags & NTF_SELF) || (f->set & NL_FDB_MASTER) || !(f->set & NL_FDB_DST))
		return 0;
	struct fdb_remote r;
	kernel_to_remote(d->kl, f, &r);
	bool permanent = f->state & (NUD_PERMANENT | NUD_NOARP);
	r.origin = permanent ? FDB_ORIGIN_USER : FDB_ORIGIN_LEARNED;
	struct fdb_entry e = {
	    .state = permanent ? FDB_STATE_PERMANENT : FDB_STATE_REACHABLE, .n_remotes = 1, .remotes = &r};
	memcpy(e.mac, f->mac, MAC_LEN);
	e.updated = (f->set & NL_FDB_CACHEINFO) && d->now > f->updated_ms ? d->now - f->updated_ms : d->now;
	d->cb(&e, d->arg);
	return 0;
}

int kernel_fdb_dump(struct dp *dp, struct core_link *l, dp_fdb_cb cb, void *arg)
{
	(void)dp;
	struct klink *kl = klink_of(l);
	struct fdump d = {kl, cb, arg, loop_now_ms()};
	return nl_fdb_dump(kl->net->nl, kl->ifindex, fdump_cb, &d);
}

struct ndump {
	dp_neigh_cb cb;
	void *arg;
};

static int ndump_cb(const struct nl_neigh *n, void *arg)
{
	struct ndump *d = arg;
	if (!(n->set & NL_NEIGH_LLADDR))
		return 0;
	d->cb(&n->ip, n->mac, n->state & NUD_PERMANENT, d->arg);
	return 0;
}

int kernel_neigh_dump(struct dp *dp, struct core_link *l, dp_neigh_cb cb, void *arg)
{
	(void)dp;
	struct klink *kl = klink_of(l);
	struct ndump d = {cb, arg};
	return nl_neigh_dump(kl->net->nl, AF_UNSPEC, kl->ifindex, ndump_cb, &d);
}
