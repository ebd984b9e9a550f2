/* user: the userspace datapath provider, its control side: each link is a
 * persistent multi-queue TAP whose frames vxnetd's engine (user_fwd.c,
 * user_tx.c, user_rx.c, on the workers of worker.c) carries over UDP
 * sockets shared per (family, dstport) (user_sock.c). A link is made all-or-nothing: every step that can fail runs
 * before the link becomes visible, and a failure undoes what was done. What
 * the workers read changes only while they are parked (user_pause). */
#include "user.h"

#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../log.h"
#include "../nl.h"
#include "../reaper.h"
#include "common.h"
#include "gso_pool.h"
#include "tap.h"
#include "udp.h"
#include "vxnet/proto.h"

static const char *const ustat_names[US_MAX] = {
    [US_RX_PACKETS] = "rx_packets",
    [US_RX_BYTES] = "rx_bytes",
    [US_TX_PACKETS] = "tx_packets",
    [US_TX_BYTES] = "tx_bytes",
    [US_RX_DROP_LOOP] = "rx_drop_loop",
    [US_RX_DROP_CONFLICT] = "rx_drop_conflict",
    [US_RX_DROP_TAP] = "rx_drop_tap",
    [US_RX_DROP_DOWN] = "rx_drop_down",
    [US_RX_LEARN_REFUSED] = "rx_learn_refused",
    [US_TX_DROP_NO_FDB] = "tx_drop_no_fdb",
    [US_TX_DROP_TOO_BIG] = "tx_drop_too_big",
    [US_TX_ICMP_TOO_BIG] = "tx_icmp_too_big",
    [US_TX_DROP_RUNT] = "tx_drop_runt",
    [US_TX_ERRORS] = "tx_errors",
    [US_PROXY_REPLIES] = "proxy_replies",
    [US_PROXY_MISSES] = "proxy_misses",
    [US_RX_DROP_ECN] = "rx_drop_ecn",
    [US_RX_ECN_NOT_ECT] = "rx_ecn_not_ect",
    [US_TX_BYPASS] = "tx_bypass",
    [US_TX_DROP_BYPASS] = "tx_drop_bypass",
    [US_RX_LEARN_CAPPED] = "rx_learn_capped",
};

static const char *const usockstat_names[USS_MAX] = {
    [USS_RX_DATAGRAMS] = "rx_datagrams",     [USS_RX_SHORT] = "rx_short",   [USS_RX_BAD_FLAGS] = "rx_bad_flags",
    [USS_RX_UNKNOWN_VNI] = "rx_unknown_vni", [USS_RX_ERRORS] = "rx_errors",
};

static struct dp_user *to_user(struct dp *dp)
{
	return (struct dp_user *)dp;
}

static struct ulink *ulink_of(struct core_link *l)
{
	return l->dpl;
}

/* ---- the daemon-wide cap on learned entries ---- */

enum fdb_learn_result user_learn(struct dp_user *u, struct ulink *ul, const uint8_t mac[MAC_LEN],
				 const struct fdb_remote *r, uint64_t now)
{
	enum fdb_learn_result res;
	if (!u->max_learned || u->learned < u->max_learned) {
		res = fdb_learn(ul->fdb, mac, r, now);
	} else {
		/* At the cap: what needs no new entry goes on as ever. */
		res = fdb_learn_peek(ul->fdb, mac, r, now);
		if (res == FDB_LEARN_NEW) {
			ustat_add(&ul->cstats[US_RX_LEARN_CAPPED], 1);
			if (!u->capped_logged || now - u->capped_logged >= 10000) {
				u->capped_logged = now;
				log_err("learning refused: %u learned entries in all (vxnetd --max-learned); counted "
					"rx_learn_capped",
					u->learned);
			}
			return FDB_LEARN_FULL;
		}
		if (res == FDB_LEARN_MOVED)
			res = fdb_learn(ul->fdb, mac, r, now);
	}
	if (res == FDB_LEARN_NEW) {
		ul->learned++;
		u->learned++;
	}
	return res;
}

/* A learned entry of ul left its table (aged, deleted, made permanent). */
static void learned_gone(struct dp_user *u, struct ulink *ul)
{
	if (ul->learned) {
		ul->learned--;
		u->learned--;
	}
}

/* ---- links ---- */

static void tap_input(struct loop_src *src, uint32_t events)
{
	(void)events;
	struct ulink_q *q = src->obj;
	fwd_tap_input(q->w, q);
}

static void ulink_free(struct ulink *ul)
{
	if (ul->q)
		for (unsigned i = 0; i < ul->nq; i++)
			fdb_reader_free(ul->q[i].rd);
	free(ul->q);
	fdb_free(ul->fdb);
	neigh_free(ul->neigh);
	free(ul);
}

/* Open the link's TAP; a link living in another netns is looked up and
 * (re)attached there when adopting. 0 or -errno. */
static int open_tap(struct dp_user *u, struct ulink *ul, bool adopt, int *ifindex, bool *created, const char **why)
{
	const struct link_config *cfg = &ul->cfg;
	int rc;
	if (adopt && (cfg->set & LINK_P_NETNS)) {
		char path[128];
		snprintf(path, sizeof(path), "/run/netns/%s", cfg->netns);
		int nsfd = open(path, O_RDONLY | O_CLOEXEC);
		int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (nsfd < 0 || self < 0) {
			if (nsfd >= 0)
				close(nsfd);
			if (self >= 0)
				close(self);
			*why = "netns: no such network namespace";
			return -ENOENT;
		}
		if (setns(nsfd, CLONE_NEWNET) < 0) {
			rc = -errno;
		} else {
			rc = tap_open(cfg->name, true, u->nw, ul->tap_fd, &ul->ntap, ifindex, created);
			if (setns(self, CLONE_NEWNET) < 0)
				log_err("cannot return to the daemon's network namespace: %s", strerror(errno));
		}
		close(nsfd);
		close(self);
	} else {
		rc = tap_open(cfg->name, adopt, u->nw, ul->tap_fd, &ul->ntap, ifindex, created);
	}
	if (rc < 0)
		*why = rc == -EEXIST ? "a device with that name exists" : "cannot create TAP device";
	return rc;
}

/* Make the link visible to the workers (parked): its VNI in the socket's
 * table, its TAP queues in their loops. */
static int ulink_publish(struct dp_user *u, struct ulink *ul)
{
	int rc = vsock_rebuild(u, ul->sock, ul, NULL);
	if (rc < 0)
		return rc;
	for (unsigned i = 0; i < ul->nq; i++) {
		struct ulink_q *q = &ul->q[i];
		if (i >= ul->ntap)
			continue;
		rc = loop_add(q->w->loop, ul->tap_fd[i], EPOLLIN, &q->src, tap_input, q);
		if (rc < 0) {
			while (i-- > 0)
				loop_del(ul->q[i].w->loop, &ul->q[i].src);
			vsock_rebuild(u, ul->sock, NULL, ul);
			return rc;
		}
	}
	ul->sock->nlinks++;
	ul->next = u->links;
	u->links = ul;
	return 0;
}

static int user_link_add(struct dp *dp, struct core_link *l, bool adopt, const char **why)
{
	struct dp_user *u = to_user(dp);
	struct link_config *cfg = &l->cfg;
	int family = dp_link_family(cfg);
	if (family == AF_INET6 && !dp_ipv6_enabled()) {
		*why = "IPv6 is disabled in this network namespace";
		return -EAFNOSUPPORT;
	}
	/* A device of that name we gave up may still be going. */
	if (core_reaper(dp->core))
		reaper_wait_name(core_reaper(dp->core), cfg->name, (cfg->set & LINK_P_NETNS) ? cfg->netns : "");
	struct vsock *existing = vsock_find(u, family, cfg->dstport);
	if (existing && vsock_lookup(existing, cfg->vni)) {
		*why = "VNI already in use on this port";
		return -EEXIST;
	}
	uint32_t dev_ifindex;
	unsigned mtu, underlay_limit;
	int rc = dp_link_mtu(cfg, family, &mtu, &underlay_limit, &dev_ifindex, why);
	if (rc < 0)
		return rc;
	if (cfg->group.family && !dev_ifindex)
		log_info("%s: group without dev: the kernel picks the interface to join on", cfg->name);

	struct ulink *ul = calloc(1, sizeof(*ul));
	if (!ul)
		return -ENOMEM;
	ul->u = u;
	ul->l = l;
	ul->cfg = *cfg;
	ul->family = family;
	ul->dev_ifindex = dev_ifindex;
	ul->local = cfg->local;
	/* The largest inner payload we send: what the underlay carries when we
	 * know it; otherwise trust the configured MTU. */
	ul->path_limit = underlay_limit ? underlay_limit : mtu;

	struct fdb_config fc = {.max_entries = cfg->maxaddress, .ageing_ms = (uint64_t)cfg->ageing * 1000};
	ul->fdb = fdb_new(&fc);
	ul->neigh = neigh_new(0);
	ul->nq = u->nw;
	ul->q = aligned_alloc(64, u->nw * sizeof(*ul->q));
	bool created = false;
	if (!ul->fdb || !ul->neigh || !ul->q) {
		rc = -ENOMEM;
		goto fail;
	}
	memset(ul->q, 0, u->nw * sizeof(*ul->q));
	for (unsigned i = 0; i < u->nw; i++) {
		struct ulink_q *q = &ul->q[i];
		q->ul = ul;
		q->w = u->w[i];
		q->src.fd = -1;
		if (u->threads) {
			/* Offline until the worker reads: one that never reads
			 * this link must not hold back the table's memory. */
			q->rd = fdb_reader_new(ul->fdb);
			if (!q->rd) {
				rc = -ENOMEM;
				goto fail;
			}
			fdb_reader_offline(q->rd);
		}
	}
	const struct vx_addr *flood = cfg->remote.family ? &cfg->remote : cfg->group.family ? &cfg->group : NULL;
	if (flood) {
		static const uint8_t zero[MAC_LEN];
		struct fdb_remote r = {.ip = *flood, .port = cfg->dstport, .vni = cfg->vni, .origin = FDB_ORIGIN_LINK};
		rc = fdb_append(ul->fdb, zero, &r, loop_now_ms());
		if (rc < 0)
			goto fail;
	}
	user_pause(u);
	rc = vsock_get(u, family, cfg->dstport, &ul->sock, why);
	if (rc < 0) {
		ul->sock = NULL;
		goto fail_resume;
	}
	if (cfg->group.family) {
		rc = vsock_join(ul->sock, &cfg->group, dev_ifindex);
		if (rc < 0) {
			*why = "cannot join the multicast group";
			goto fail_sock;
		}
	}
	rc = open_tap(u, ul, adopt, &l->ifindex, &created, why);
	if (rc < 0)
		goto fail_group;
	if (created) {
		rc = nl_link_set_mtu(u->nl, l->ifindex, mtu);
		if (rc < 0) {
			*why = "cannot set MTU";
			goto fail_tap;
		}
		if (cfg->set & LINK_P_ADDRESS)
			rc = tap_set_mac(ul->tap_fd[0], cfg->address);
		if (rc < 0) {
			*why = "cannot set the link's address";
			goto fail_tap;
		}
	}
	if (ul->ntap > 1) {
		int e = tap_steer_flows(ul->tap_fd[0]);
		if (e < 0)
			log_err("%s: no flow steering program for the TAP queues (%s): a flow whose replies "
				"move to another worker may be reordered",
				cfg->name, strerror(-e));
	}
	tap_get_mac(ul->tap_fd[0], cfg->address);
	memcpy(ul->cfg.address, cfg->address, MAC_LEN);
	if (created && !(cfg->set & LINK_P_NETNS))
		dp_apply_state(u->nl, l, l->ifindex);
	if (created && (cfg->set & LINK_P_NETNS)) {
		char path[128];
		snprintf(path, sizeof(path), "/run/netns/%s", cfg->netns);
		int nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0) {
			rc = -errno;
			*why = "netns: no such network namespace";
			goto fail_tap;
		}
		rc = nl_link_set_netns(u->nl, l->ifindex, nsfd);
		close(nsfd);
		if (rc < 0) {
			*why = "cannot move the device to that netns";
			goto fail_tap;
		}
	}
	rc = ulink_publish(u, ul);
	if (rc < 0)
		goto fail_tap;
	user_resume(u);
	l->dpl = ul;
	l->family = family;
	l->mtu = mtu;
	if (!created)
		log_info("%s: took over the existing TAP", cfg->name);
	if (ul->ntap < u->nw)
		log_info("%s: %u TAP queue%s for %u workers", cfg->name, ul->ntap, ul->ntap == 1 ? "" : "s", u->nw);
	return 0;

fail_tap:
	tap_close(ul->tap_fd, ul->ntap, created);
	ul->ntap = 0;
fail_group:
	if (cfg->group.family)
		vsock_leave(ul->sock, &cfg->group, dev_ifindex);
fail_sock:
	vsock_put(u, ul->sock);
fail_resume:
	user_resume(u);
fail:
	ulink_free(ul);
	return rc;
}

/* Undo user_link_add; remove: the device goes too. */
static void link_remove(struct dp_user *u, struct core_link *l, bool remove)
{
	struct ulink *ul = ulink_of(l);
	if (!ul)
		return;
	user_pause(u);
	for (struct ulink **pp = &u->links; *pp; pp = &(*pp)->next) {
		if (*pp == ul) {
			*pp = ul->next;
			break;
		}
	}
	for (unsigned i = 0; i < ul->nq; i++) {
		loop_del(ul->q[i].w->loop, &ul->q[i].src);
		fwd_forget_link(ul->q[i].w, ul);
	}
	user_events_forget(u, ul);
	u->learned -= ul->learned;
	if (ul->cfg.group.family)
		vsock_leave(ul->sock, &ul->cfg.group, ul->dev_ifindex);
	vsock_rebuild(u, ul->sock, NULL, ul);
	ul->sock->nlinks--;
	vsock_put(u, ul->sock);
	user_resume(u);
	struct reaper *r = core_reaper(u->dp.core);
	if (remove && r) {
		/* The kernel's teardown takes ~20 ms: not in the loop. */
		bool other = ul->cfg.set & LINK_P_NETNS;
		int nsfd = -1;
		if (other) {
			char path[128];
			snprintf(path, sizeof(path), "/run/netns/%s", ul->cfg.netns);
			nsfd = open(path, O_RDONLY | O_CLOEXEC);
		}
		/* Without its namespace, closing the fds alone removes it. */
		reaper_add_fds(r, other && nsfd < 0 ? 0 : l->ifindex, nsfd, ul->tap_fd, ul->ntap, ul->cfg.name,
			       other ? ul->cfg.netns : "");
	} else {
		tap_close(ul->tap_fd, ul->ntap, remove);
	}
	ulink_free(ul);
	l->dpl = NULL;
}

static void user_link_del(struct dp *dp, struct core_link *l)
{
	link_remove(to_user(dp), l, true);
}

static void user_link_release(struct dp *dp, struct core_link *l)
{
	link_remove(to_user(dp), l, false);
}

/* `link set` on the user datapath, with the kernel's rules (the core
 * checked them): what can fail first, undone if a later step fails. */
static int user_link_change(struct dp *dp, struct core_link *l, const struct link_config *nc, unsigned changed,
			    const char **why)
{
	struct dp_user *u = to_user(dp);
	struct ulink *ul = ulink_of(l);
	const struct link_config *oc = &l->cfg;
	uint32_t dev_ifindex;
	unsigned mtu, underlay_limit;
	int rc = dp_link_mtu(nc, ul->family, &mtu, &underlay_limit, &dev_ifindex, why);
	if (rc < 0)
		return rc;
	bool regroup = (changed & (LINK_P_GROUP | LINK_P_REMOTE | LINK_P_DEV)) &&
		       (!addr_equal(&oc->group, &nc->group) || dev_ifindex != ul->dev_ifindex);
	user_pause(u);
	if (regroup && nc->group.family) {
		rc = vsock_join(ul->sock, &nc->group, dev_ifindex);
		if (rc < 0) {
			*why = "cannot join the multicast group";
			goto out;
		}
	}
	if ((changed & LINK_P_MTU) && !(oc->set & LINK_P_NETNS)) {
		rc = nl_link_set_mtu(u->nl, l->ifindex, nc->mtu);
		if (rc < 0) {
			*why = "cannot set MTU";
			goto undo_group;
		}
	}
	if (changed & LINK_P_ADDRESS) {
		rc = tap_set_mac(ul->tap_fd[0], nc->address);
		if (rc < 0) {
			*why = "cannot set the link's address";
			if ((changed & LINK_P_MTU) && !(oc->set & LINK_P_NETNS))
				nl_link_set_mtu(u->nl, l->ifindex, l->mtu);
			goto undo_group;
		}
	}
	/* Nothing below fails. */
	if (regroup && oc->group.family)
		vsock_leave(ul->sock, &oc->group, ul->dev_ifindex);
	static const uint8_t zero[MAC_LEN];
	const struct vx_addr *of = oc->remote.family ? &oc->remote : oc->group.family ? &oc->group : NULL;
	const struct vx_addr *nf = nc->remote.family ? &nc->remote : nc->group.family ? &nc->group : NULL;
	if ((of || nf) && !(of && nf && addr_equal(of, nf))) {
		if (of) {
			struct fdb_remote r = {
			    .ip = *of, .port = oc->dstport, .vni = oc->vni, .origin = FDB_ORIGIN_LINK};
			fdb_del(ul->fdb, zero, &r);
		}
		if (nf) {
			struct fdb_remote r = {
			    .ip = *nf, .port = nc->dstport, .vni = nc->vni, .origin = FDB_ORIGIN_LINK};
			fdb_append(ul->fdb, zero, &r, loop_now_ms());
		}
	}
	if (changed & LINK_P_AGEING)
		fdb_set_ageing(ul->fdb, (uint64_t)nc->ageing * 1000);
	ul->cfg = *nc;
	ul->dev_ifindex = dev_ifindex;
	ul->local = nc->local;
	if (changed & (LINK_P_DEV | LINK_P_LOCAL | LINK_P_MTU))
		ul->path_limit = underlay_limit ? underlay_limit : mtu;
	rc = 0;
	goto out;
undo_group:
	if (regroup && nc->group.family)
		vsock_leave(ul->sock, &nc->group, dev_ifindex);
out:
	user_resume(u);
	return rc;
}

/* Our TAP is still the device of that index (ip link del removes it even
 * while we hold the fd). A TAP in another netns is not visible here. */
static bool user_link_present(struct dp *dp, struct core_link *l)
{
	(void)dp;
	struct ulink *ul = ulink_of(l);
	if (!ul || atomic_load(&ul->detached))
		return false;
	if (l->cfg.set & LINK_P_NETNS)
		return true;
	unsigned idx = if_nametoindex(l->cfg.name);
	/* Out of descriptors (or any error but "no such device") tells
	 * nothing: making the device again would only lose it. */
	if (!idx && errno != ENODEV && errno != ENXIO)
		return true;
	return idx == (unsigned)l->ifindex;
}

static int user_fdb_set(struct dp *dp, struct core_link *l, enum dp_fdb_op op, const uint8_t mac[MAC_LEN],
			const struct fdb_remote *r, const char **why)
{
	struct ulink *ul = ulink_of(l);
	uint64_t now = loop_now_ms();
	int rc = -EINVAL;
	ufdb_lock(to_user(dp));
	switch (op) {
	case DP_FDB_ADD:
		rc = fdb_add(ul->fdb, mac, r, now);
		if (rc == -EEXIST)
			*why = "entry exists";
		break;
	case DP_FDB_REPLACE: {
		const struct fdb_entry *e = fdb_lookup(ul->fdb, mac);
		bool was_learned = e && e->state != FDB_STATE_PERMANENT;
		rc = fdb_replace(ul->fdb, mac, r, now);
		if (rc == 0 && was_learned)
			learned_gone(to_user(dp), ul);
		if (rc == -EOPNOTSUPP)
			*why = "cannot replace all-zeros or multicast entries (use append/del)";
		break;
	}
	case DP_FDB_APPEND:
		rc = fdb_append(ul->fdb, mac, r, now);
		if (rc == -EEXIST)
			*why = "that remote is already in the entry";
		else if (rc == -EOPNOTSUPP)
			*why = "append adds remotes to all-zeros or multicast entries only (use replace)";
		break;
	}
	ufdb_unlock(to_user(dp));
	if (rc == -ENOSPC)
		*why = "fdb is full (maxaddress)";
	return rc;
}

static int fdb_del_locked(struct dp_user *u, struct ulink *ul, const uint8_t mac[MAC_LEN], const struct fdb_remote *r,
			  dp_fdb_cb gone, void *arg, const char **why)
{
	const struct fdb_entry *e = fdb_lookup(ul->fdb, mac);
	if (!e) {
		*why = "no such entry";
		return -ENOENT;
	}
	bool was_learned = e->state != FDB_STATE_PERMANENT;
	if (r) {
		struct fdb_entry one = *e;
		const struct fdb_remote *found = NULL;
		for (unsigned i = 0; i < e->n_remotes; i++)
			if (addr_equal(&e->remotes[i].ip, &r->ip) && e->remotes[i].port == r->port &&
			    e->remotes[i].vni == r->vni && e->remotes[i].ifindex == r->ifindex)
				found = &e->remotes[i];
		if (!found) {
			*why = "no such remote in that entry";
			return -ENOENT;
		}
		one.remotes = found;
		one.n_remotes = 1;
		if (gone)
			gone(&one, arg);
		int rc = fdb_del(ul->fdb, mac, r);
		if (rc == 0 && was_learned)
			learned_gone(u, ul); /* a learned entry has one remote */
		return rc;
	}
	if (gone)
		gone(e, arg);
	int rc = fdb_del(ul->fdb, mac, NULL);
	if (rc == 0 && was_learned)
		learned_gone(u, ul);
	return rc;
}

static int user_fdb_del(struct dp *dp, struct core_link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *r,
			dp_fdb_cb gone, void *arg, const char **why)
{
	struct dp_user *u = to_user(dp);
	ufdb_lock(u);
	int rc = fdb_del_locked(u, ulink_of(l), mac, r, gone, arg, why);
	ufdb_unlock(u);
	return rc;
}

/* The proxy reads the neighbour table on the workers: it changes while
 * they are parked (ARP and ND requests are rare; the table is not
 * lock-free). */
static int user_neigh_set(struct dp *dp, struct core_link *l, bool replace, const struct vx_addr *ip,
			  const uint8_t mac[MAC_LEN], const char **why)
{
	struct dp_user *u = to_user(dp);
	struct ulink *ul = ulink_of(l);
	user_pause(u);
	int rc = replace ? neigh_replace(ul->neigh, ip, mac, 0) : neigh_add(ul->neigh, ip, mac, 0);
	user_resume(u);
	if (rc == -EEXIST)
		*why = "entry exists";
	return rc;
}

static int user_neigh_del(struct dp *dp, struct core_link *l, const struct vx_addr *ip, uint8_t old[MAC_LEN],
			  const char **why)
{
	struct ulink *ul = ulink_of(l);
	if (neigh_lookup(ul->neigh, ip, old) < 0) {
		*why = "no such entry";
		return -ENOENT;
	}
	struct dp_user *u = to_user(dp);
	user_pause(u);
	int rc = neigh_del(ul->neigh, ip);
	user_resume(u);
	return rc;
}

static int user_fdb_dump(struct dp *dp, struct core_link *l, dp_fdb_cb cb, void *arg)
{
	struct dp_user *u = to_user(dp);
	ufdb_lock(u);
	fdb_foreach(ulink_of(l)->fdb, cb, arg);
	ufdb_unlock(u);
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

static int user_neigh_dump(struct dp *dp, struct core_link *l, dp_neigh_cb cb, void *arg)
{
	(void)dp;
	struct ndump d = {cb, arg};
	neigh_foreach(ulink_of(l)->neigh, ndump_cb, &d);
	return 0;
}

static void user_stats(struct dp *dp, struct core_link *l, dp_stat_cb cb, void *arg)
{
	struct dp_user *u = to_user(dp);
	struct ulink *ul = ulink_of(l);
	for (int i = 0; i < US_MAX; i++) {
		uint64_t v = ustat_get(&ul->cstats[i]);
		for (unsigned k = 0; k < ul->nq; k++)
			v += ustat_get(&ul->q[k].stats[i]);
		cb(DP_STAT_LINK, ustat_names[i], v, arg);
	}
	/* How the work spreads: the TAP's queues, and how many workers have
	 * carried this link's frames each way so far. */
	uint64_t rxw = 0, txw = 0;
	for (unsigned k = 0; k < ul->nq; k++) {
		rxw += ustat_get(&ul->q[k].stats[US_RX_PACKETS]) != 0;
		txw += ustat_get(&ul->q[k].stats[US_TX_PACKETS]) != 0;
	}
	cb(DP_STAT_LINK, "tap_queues", ul->ntap, arg);
	/* Frames the kernel dropped because the TAP's queue was full: the host
	 * sent faster than the workers read (a TAP never makes its senders
	 * wait). Readable while the TAP lives in the daemon's namespace. */
	char path[96];
	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/tx_dropped", ul->cfg.name);
	FILE *f = (ul->cfg.set & LINK_P_NETNS) ? NULL : fopen(path, "re");
	unsigned long long td = 0;
	if (f) {
		if (fscanf(f, "%llu", &td) != 1)
			td = 0;
		fclose(f);
		cb(DP_STAT_LINK, "tap_tx_dropped", td, arg);
	}
	cb(DP_STAT_LINK, "rx_workers_used", rxw, arg);
	cb(DP_STAT_LINK, "tx_workers_used", txw, arg);
	struct vsock *s = ul->sock;
	uint64_t used = 0;
	for (int i = 0; i < USS_MAX; i++) {
		uint64_t v = 0;
		for (unsigned k = 0; k < s->nq; k++)
			v += ustat_get(&s->q[k].stats[i]);
		cb(DP_STAT_SOCKET, usockstat_names[i], v, arg);
	}
	for (unsigned k = 0; k < s->nq; k++)
		used += ustat_get(&s->q[k].stats[USS_RX_DATAGRAMS]) != 0;
	cb(DP_STAT_SOCKET, "rx_sockets", s->nq, arg);
	cb(DP_STAT_SOCKET, "rx_sockets_used", used, arg);
	/* What is still dropped, by reason. The socket group's receive
	 * buffers overflowing (the peer outran the workers: SO_MEMINFO), and
	 * daemon-wide: requests to the core, sends the workers stopped reading
	 * for, gave up on, or a full device queue refused. */
	uint64_t sdrops = 0;
	for (unsigned k = 0; k < s->nq; k++) {
		uint32_t mi[SK_MEMINFO_VARS];
		socklen_t ml = sizeof(mi);
		if (s->q[k].src.fd >= 0 && getsockopt(s->q[k].src.fd, SOL_SOCKET, SO_MEMINFO, mi, &ml) == 0 &&
		    ml > SK_MEMINFO_DROPS * sizeof(mi[0]))
			sdrops += mi[SK_MEMINFO_DROPS];
	}
	cb(DP_STAT_SOCKET, "rx_sock_drops", sdrops, arg);
	uint64_t lost = 0, blocked = 0, dblocked = 0, nobufs = 0;
	for (unsigned k = 0; k < u->nw; k++) {
		lost += ustat_get(&u->w[k]->ring_dropped);
		blocked += ustat_get(&u->w[k]->tx_blocked);
		dblocked += ustat_get(&u->w[k]->tx_drop_blocked);
		nobufs += ustat_get(&u->w[k]->tx_drop_nobufs);
	}
	cb(DP_STAT_SOCKET, "upcalls_dropped", lost, arg);
	cb(DP_STAT_SOCKET, "tx_blocked", blocked, arg);
	cb(DP_STAT_SOCKET, "tx_drop_blocked", dblocked, arg);
	cb(DP_STAT_SOCKET, "tx_drop_nobufs", nobufs, arg);
}

static unsigned user_oper_mtu(struct dp *dp, struct core_link *l)
{
	(void)dp;
	unsigned mtu = l->mtu;
	/* Only readable here while the TAP lives in our namespace. */
	if (!(l->cfg.set & LINK_P_NETNS))
		tap_get_mtu_by_index(l->ifindex, &mtu);
	return mtu;
}

/* The namespace's own addresses, for localbypass: a remote that is one of
 * them is served by handing the frame over (kept fresh once a second; the
 * workers are parked for a change only). */
static void refresh_local_addrs(struct dp_user *u, const struct ifaddrs *ifa0)
{
	struct vx_addr a[64];
	unsigned n = 0;
	for (const struct ifaddrs *ifa = ifa0; ifa && n < 64; ifa = ifa->ifa_next) {
		uint16_t port;
		if (ifa->ifa_addr && addr_from_sockaddr(ifa->ifa_addr, &a[n], &port) == 0)
			n++;
	}
	bool same = n == u->n_local;
	for (unsigned i = 0; same && i < n; i++)
		same = addr_equal(&a[i], &u->local_addrs[i]);
	if (same)
		return;
	user_pause(u);
	memcpy(u->local_addrs, a, n * sizeof(a[0]));
	u->n_local = n;
	user_resume(u);
}

/* user_refresh_limit over snap, the addresses the tick read once for all
 * links (NULL: read them now). */
static void refresh_limit_snap(struct dp_user *u, struct ulink *ul, unsigned tap_mtu, const struct ifaddrs *snap)
{
	(void)u;
	/* The path limit follows the underlay device's MTU, or the TAP's own
	 * when the underlay is unknown. */
	uint32_t dev_ifindex;
	unsigned mtu, underlay;
	const char *why = NULL;
	if (dp_link_mtu_snap(&ul->cfg, ul->family, snap, &mtu, &underlay, &dev_ifindex, &why) < 0)
		return;
	unsigned was = atomic_load_explicit(&ul->path_limit, memory_order_relaxed);
	unsigned limit = underlay ? underlay : tap_mtu ? tap_mtu : was;
	if (limit != was) {
		log_info("%s: the path now carries %u-byte packets (was %u)", ul->cfg.name, limit, was);
		atomic_store_explicit(&ul->path_limit, limit, memory_order_relaxed);
	}
}

void user_refresh_limit(struct dp_user *u, struct ulink *ul, unsigned tap_mtu)
{
	refresh_limit_snap(u, ul, tap_mtu, NULL);
}

struct age_ctx {
	struct dp_user *u;
	struct ulink *ul;
};

static void aged_cb(const struct fdb_entry *e, void *arg)
{
	struct age_ctx *a = arg;
	learned_gone(a->u, a->ul);
	a->u->dp.up->aged(a->u->dp.core, a->ul->l, e->mac, &e->remotes[0]);
}

/* Expire learned entries, and pick up a MAC address the user changed with
 * `ip link set address` (used for loop detection). */
static void user_tick(struct dp *dp, uint64_t now)
{
	struct dp_user *u = to_user(dp);
	user_events_drain(u);
	/* One read of the namespace's addresses for every link's limit and
	 * for localbypass (NULL if it failed: each link then reads its own). */
	struct ifaddrs *snap = NULL;
	if (getifaddrs(&snap) < 0)
		snap = NULL;
	for (struct ulink *ul = u->links; ul; ul = ul->next) {
		struct age_ctx a = {u, ul};
		ufdb_lock(u);
		fdb_age(ul->fdb, now, aged_cb, &a);
		fdb_reclaim(ul->fdb);
		ufdb_unlock(u);
		tap_get_mac(ul->tap_fd[0], ul->l->cfg.address);
		if (!mac_equal(ul->l->cfg.address, ul->cfg.address)) {
			user_pause(u);
			memcpy(ul->cfg.address, ul->l->cfg.address, MAC_LEN);
			user_resume(u);
		}
		/* Up state and bridge master, for a device that must be made
		 * again (netns links live elsewhere: not watched). */
		struct nl_link have;
		bool seen = !(ul->cfg.set & LINK_P_NETNS) && nl_link_get(u->nl, ul->l->ifindex, NULL, &have) == 0;
		if (seen)
			dp_observe_state(u->nl, dp, ul->l, &have);
		refresh_limit_snap(u, ul, seen ? have.mtu : 0, snap);
	}
	pmtu_expire(&u->pmtu, now);
	if (snap) {
		refresh_local_addrs(u, snap);
		freeifaddrs(snap);
	}
}

static void user_free(struct dp *dp)
{
	struct dp_user *u = to_user(dp);
	user_workers_stop(u);
	nl_close(u->nl);
	pmtu_destroy(&u->pmtu);
	free(u);
}

static const struct dp_ops user_ops = {
    .name = "user",
    .link_add = user_link_add,
    .link_del = user_link_del,
    .link_release = user_link_release,
    .link_change = user_link_change,
    .link_present = user_link_present,
    .fdb_set = user_fdb_set,
    .fdb_del = user_fdb_del,
    .neigh_set = user_neigh_set,
    .neigh_del = user_neigh_del,
    .fdb_dump = user_fdb_dump,
    .neigh_dump = user_neigh_dump,
    .stats = user_stats,
    .oper_mtu = user_oper_mtu,
    .tick = user_tick,
    .free = user_free,
};

unsigned dp_user_default_workers(void)
{
	cpu_set_t set;
	long n = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	return n > UW_MAX ? UW_MAX : (unsigned)n;
}

struct dp *dp_user_new(struct core *c, const struct dp_upcalls *up, struct loop *lp, const struct dp_user_limits *lim,
		       const char **why)
{
	struct dp_user *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->dp.ops = &user_ops;
	u->dp.core = c;
	u->dp.up = up;
	u->loop = lp;
	pmtu_init(&u->pmtu);
	u->nw = lim->workers ? lim->workers : dp_user_default_workers();
	if (u->nw > UW_MAX)
		u->nw = UW_MAX;
	u->busy_poll = lim->busy_poll;
	u->linger_us = lim->linger_us;
	/* One worker is the core's own loop, unless it is to poll: the core
	 * must still answer its clients. */
	u->threads = u->nw > 1 || u->busy_poll;
	/* The GSO socket budget is the daemon's: shared out among workers. */
	u->gso_max = lim->gso_sockets / u->nw ? lim->gso_sockets / u->nw : 1;
	u->max_learned = lim->max_learned;
	int rc = nl_open(&u->nl, -1);
	if (rc < 0) {
		*why = "cannot open an rtnetlink socket";
		pmtu_destroy(&u->pmtu);
		free(u);
		return NULL;
	}
	rc = user_workers_start(u, why);
	if (rc < 0) {
		user_workers_stop(u);
		nl_close(u->nl);
		pmtu_destroy(&u->pmtu);
		free(u);
		errno = -rc;
		return NULL;
	}
	struct ifaddrs *snap;
	if (getifaddrs(&snap) == 0) {
		refresh_local_addrs(u, snap);
		freeifaddrs(snap);
	}
	log_info("user datapath: %u worker%s%s%s, polling %u us after packets", u->nw, u->nw == 1 ? "" : "s",
		 u->threads ? " (threads)" : " (on the main loop)", u->busy_poll ? ", busy polling" : "",
		 u->busy_poll ? 0 : u->linger_us);
	return &u->dp;
}
