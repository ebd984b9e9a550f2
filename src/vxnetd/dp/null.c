/* null: a datapath that records every call and keeps its tables in memory
 * with the kernel's semantics, so the daemon core is unit-tested without
 * root, devices or sockets (tests/unit/test_core.c). A test double, not a
 * substitute for the network-namespace suite. */
#include "null.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core.h"
#include "vxnet/proto.h"

struct nlink {
	struct fdb *fdb;
	struct neigh *neigh;
	bool present;
};

struct dp_null {
	struct dp dp;
	char log[8192];
	size_t used;
	int fail_next; /* -errno for the next call that can fail, 0 = none */
	int next_ifindex;
	bool keep; /* ops->free leaves it to dp_null_destroy */
};

static struct dp_null *to_null(struct dp *dp)
{
	return (struct dp_null *)dp;
}

__attribute__((format(printf, 2, 3))) static void note(struct dp_null *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(n->log + n->used, sizeof(n->log) - n->used, fmt, ap);
	va_end(ap);
	if (w > 0 && (size_t)w < sizeof(n->log) - n->used - 1) {
		n->used += (size_t)w;
		n->log[n->used++] = '\n';
		n->log[n->used] = 0;
	}
}

static int failing(struct dp_null *n)
{
	int rc = n->fail_next;
	n->fail_next = 0;
	return rc;
}

static const char *fmt_mac(const uint8_t mac[MAC_LEN], char *buf)
{
	mac_format(mac, buf);
	return buf;
}

static const char *fmt_ip(const struct vx_addr *a, char *buf)
{
	addr_format(a, buf, ADDR_STRLEN);
	return buf;
}

static int null_link_add(struct dp *dp, struct core_link *l, bool adopt, const char **why)
{
	struct dp_null *n = to_null(dp);
	note(n, "link_add %s vni %u%s", l->cfg.name, l->cfg.vni, adopt ? " adopt" : "");
	int rc = failing(n);
	if (rc) {
		*why = "null datapath told to fail";
		return rc;
	}
	struct nlink *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->fdb = fdb_new(NULL);
	x->neigh = neigh_new(0);
	x->present = true;
	if (!x->fdb || !x->neigh) {
		fdb_free(x->fdb);
		neigh_free(x->neigh);
		free(x);
		return -ENOMEM;
	}
	const struct vx_addr *flood = l->cfg.remote.family  ? &l->cfg.remote
				      : l->cfg.group.family ? &l->cfg.group
							    : NULL;
	if (flood) {
		static const uint8_t zero[MAC_LEN];
		struct fdb_remote r = {.ip = *flood, .port = l->cfg.dstport, .vni = l->cfg.vni};
		fdb_append(x->fdb, zero, &r, 0);
	}
	l->dpl = x;
	l->ifindex = ++n->next_ifindex;
	l->family = l->cfg.local.family	   ? l->cfg.local.family
		    : l->cfg.remote.family ? l->cfg.remote.family
		    : l->cfg.group.family  ? l->cfg.group.family
					   : AF_INET;
	l->mtu = l->cfg.mtu ? l->cfg.mtu : 1450;
	return 0;
}

static void drop_link(struct core_link *l)
{
	struct nlink *x = l->dpl;
	if (!x)
		return;
	fdb_free(x->fdb);
	neigh_free(x->neigh);
	free(x);
	l->dpl = NULL;
}

static void null_link_del(struct dp *dp, struct core_link *l)
{
	note(to_null(dp), "link_del %s", l->cfg.name);
	drop_link(l);
}

static void null_link_release(struct dp *dp, struct core_link *l)
{
	note(to_null(dp), "link_release %s", l->cfg.name);
	drop_link(l);
}

static int null_link_change(struct dp *dp, struct core_link *l, const struct link_config *nc, unsigned changed,
			    const char **why)
{
	struct dp_null *n = to_null(dp);
	(void)nc;
	note(n, "link_change %s set 0x%x", l->cfg.name, changed);
	int rc = failing(n);
	if (rc)
		*why = "null datapath told to fail";
	return rc;
}

static bool null_link_present(struct dp *dp, struct core_link *l)
{
	(void)dp;
	struct nlink *x = l->dpl;
	return x && x->present;
}

static int null_fdb_set(struct dp *dp, struct core_link *l, enum dp_fdb_op op, const uint8_t mac[MAC_LEN],
			const struct fdb_remote *r, const char **why)
{
	struct dp_null *n = to_null(dp);
	struct nlink *x = l->dpl;
	char m[MAC_STRLEN], a[ADDR_STRLEN];
	static const char *const ops[] = {"add", "append", "replace"};
	note(n, "fdb_%s %s %s dst %s", ops[op], l->cfg.name, fmt_mac(mac, m), fmt_ip(&r->ip, a));
	int rc = failing(n);
	if (rc) {
		*why = "null datapath told to fail";
		return rc;
	}
	if (op == DP_FDB_ADD)
		rc = fdb_add(x->fdb, mac, r, 0);
	else if (op == DP_FDB_APPEND)
		rc = fdb_append(x->fdb, mac, r, 0);
	else
		rc = fdb_replace(x->fdb, mac, r, 0);
	if (rc == -EEXIST)
		*why = "entry exists";
	return rc;
}

static int null_fdb_del(struct dp *dp, struct core_link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *r,
			dp_fdb_cb gone, void *arg, const char **why)
{
	struct dp_null *n = to_null(dp);
	struct nlink *x = l->dpl;
	char m[MAC_STRLEN], a[ADDR_STRLEN];
	note(n, "fdb_del %s %s%s%s", l->cfg.name, fmt_mac(mac, m), r ? " dst " : "", r ? fmt_ip(&r->ip, a) : "");
	const struct fdb_entry *e = fdb_lookup(x->fdb, mac);
	if (!e) {
		*why = "no such entry";
		return -ENOENT;
	}
	if (gone && !r)
		gone(e, arg);
	int rc = fdb_del(x->fdb, mac, r);
	if (rc == 0 && gone && r) {
		struct fdb_entry one = {.state = FDB_STATE_PERMANENT, .n_remotes = 1, .remotes = r};
		memcpy(one.mac, mac, MAC_LEN);
		gone(&one, arg);
	}
	if (rc == -ENOENT)
		*why = "no such remote in that entry";
	return rc;
}

static int null_neigh_set(struct dp *dp, struct core_link *l, bool replace, const struct vx_addr *ip,
			  const uint8_t mac[MAC_LEN], const char **why)
{
	struct dp_null *n = to_null(dp);
	struct nlink *x = l->dpl;
	char m[MAC_STRLEN], a[ADDR_STRLEN];
	note(n, "neigh_%s %s %s lladdr %s", replace ? "replace" : "add", l->cfg.name, fmt_ip(ip, a), fmt_mac(mac, m));
	int rc = failing(n);
	if (rc) {
		*why = "null datapath told to fail";
		return rc;
	}
	rc = replace ? neigh_replace(x->neigh, ip, mac, 0) : neigh_add(x->neigh, ip, mac, 0);
	if (rc == -EEXIST)
		*why = "entry exists";
	return rc;
}

static int null_neigh_del(struct dp *dp, struct core_link *l, const struct vx_addr *ip, uint8_t old[MAC_LEN],
			  const char **why)
{
	struct dp_null *n = to_null(dp);
	struct nlink *x = l->dpl;
	char a[ADDR_STRLEN];
	note(n, "neigh_del %s %s", l->cfg.name, fmt_ip(ip, a));
	if (neigh_lookup(x->neigh, ip, old) < 0) {
		*why = "no such entry";
		return -ENOENT;
	}
	return neigh_del(x->neigh, ip);
}

static int null_fdb_dump(struct dp *dp, struct core_link *l, dp_fdb_cb cb, void *arg)
{
	(void)dp;
	fdb_foreach(((struct nlink *)l->dpl)->fdb, cb, arg);
	return 0;
}

struct ndump {
	dp_neigh_cb cb;
	void *arg;
};

static void ndump_cb(const struct vx_addr *ip, const uint8_t mac[MAC_LEN], uint8_t origin, void *arg)
{
	(void)origin;
	struct ndump *d = arg;
	d->cb(ip, mac, true, d->arg);
}

static int null_neigh_dump(struct dp *dp, struct core_link *l, dp_neigh_cb cb, void *arg)
{
	(void)dp;
	struct ndump d = {cb, arg};
	neigh_foreach(((struct nlink *)l->dpl)->neigh, ndump_cb, &d);
	return 0;
}

static void null_stats(struct dp *dp, struct core_link *l, dp_stat_cb cb, void *arg)
{
	(void)dp;
	(void)l;
	cb(DP_STAT_LINK, "null_calls", 0, arg);
}

static unsigned null_oper_mtu(struct dp *dp, struct core_link *l)
{
	(void)dp;
	return l->mtu;
}

static void null_free(struct dp *dp)
{
	if (!to_null(dp)->keep)
		free(dp);
}

void dp_null_keep(struct dp *dp)
{
	to_null(dp)->keep = true;
}

void dp_null_destroy(struct dp *dp)
{
	free(dp);
}

static const struct dp_ops null_ops = {
    .name = "null",
    .link_add = null_link_add,
    .link_del = null_link_del,
    .link_release = null_link_release,
    .link_change = null_link_change,
    .link_present = null_link_present,
    .fdb_set = null_fdb_set,
    .fdb_del = null_fdb_del,
    .neigh_set = null_neigh_set,
    .neigh_del = null_neigh_del,
    .fdb_dump = null_fdb_dump,
    .neigh_dump = null_neigh_dump,
    .stats = null_stats,
    .oper_mtu = null_oper_mtu,
    .free = null_free,
};

struct dp *dp_null_new(struct core *c, const struct dp_upcalls *up)
{
	struct dp_null *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->dp.ops = &null_ops;
	n->dp.core = c;
	n->dp.up = up;
	return &n->dp;
}

const char *dp_null_log(struct dp *dp)
{
	return to_null(dp)->log;
}

void dp_null_clear(struct dp *dp)
{
	struct dp_null *n = to_null(dp);
	n->used = 0;
	n->log[0] = 0;
}

void dp_null_fail_next(struct dp *dp, int err)
{
	to_null(dp)->fail_next = err;
}

void dp_null_lose(struct dp *dp, struct core_link *l, bool device, const uint8_t *mac, const struct vx_addr *ip)
{
	(void)dp;
	struct nlink *x = l->dpl;
	if (device)
		x->present = false;
	if (mac)
		fdb_del(x->fdb, mac, NULL);
	if (ip)
		neigh_del(x->neigh, ip);
}
