/* kernel: the Linux kernel's vxlan driver as a datapath. Each link is a
 * real vxlan device made and programmed over rtnetlink (nl.c, libmnl):
 * every link option maps to its IFLA_VXLAN_* attribute, fdb entries are
 * bridge FDB entries with NTF_SELF, neigh entries are PERMANENT neighbours
 * of the device. The kernel forwards; vxnetd only keeps it as wanted.
 *
 * This file is the provider: its ops table, the rtnetlink sockets of each
 * network namespace it works in, and the links (devices made, adopted,
 * changed, deleted, sampled). The entries of the devices are
 * kernel_fdb.c's, the monitor kernel_mon.c's (kernel_priv.h). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../core.h"
#include "../dp.h"
#include "../log.h"
#include "../loop.h"
#include "../nl.h"
#include "../reaper.h"
#include "common.h"
#include "kernel_priv.h"
#include "vxnet/proto.h"

/* ---- namespaces ---- */

static void knet_put(struct knet *n)
{
	if (--n->users)
		return;
	struct dp_kernel *k = n->k;
	for (struct knet **pp = &k->nets; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			break;
		}
	}
	loop_del(k->loop, &n->src);
	nl_mon_close(n->mon);
	nl_close(n->nl);
	free(n);
}

/* The request and monitor sockets of a namespace ("" = ours). */
static int knet_get(struct dp_kernel *k, const char *netns, struct knet **out, const char **why)
{
	for (struct knet *n = k->nets; n; n = n->next) {
		if (!strcmp(n->netns, netns)) {
			n->users++;
			*out = n;
			return 0;
		}
	}
	int fd = -1;
	if (*netns) {
		char path[128];
		snprintf(path, sizeof(path), "/run/netns/%s", netns);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			*why = "netns: no such network namespace";
			return -ENOENT;
		}
	}
	struct knet *n = calloc(1, sizeof(*n));
	if (!n) {
		if (fd >= 0)
			close(fd);
		return -ENOMEM;
	}
	n->k = k;
	n->src.fd = -1;
	snprintf(n->netns, sizeof(n->netns), "%s", netns);
	int rc = nl_open(&n->nl, fd);
	if (rc == 0)
		rc = nl_mon_open(&n->mon, fd, 0);
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		rc = loop_add(k->loop, nl_mon_fd(n->mon), EPOLLIN, &n->src, kernel_mon_input, n);
	if (rc < 0) {
		*why = "cannot open rtnetlink sockets";
		nl_mon_close(n->mon);
		nl_close(n->nl);
		free(n);
		return rc;
	}
	n->users = 1;
	n->next = k->nets;
	k->nets = n;
	*out = n;
	return 0;
}

/* ---- links ---- */

static uint8_t nl_df(uint8_t df)
{
	return df == LINK_DF_UNSET ? NL_VX_DF_UNSET : df == LINK_DF_INHERIT ? NL_VX_DF_INHERIT : NL_VX_DF_SET;
}

/* Every link option as its IFLA_VXLAN_* attribute. */
static int to_nl_vxlan(const struct link_config *c, unsigned mtu, uint32_t dev_ifindex, struct nl_vxlan *v)
{
	memset(v, 0, sizeof(*v));
	v->netns_fd = -1;
	strcpy(v->name, c->name);
	v->vni = c->vni;
	v->port = c->dstport;
	v->mtu = mtu;
	v->learning = c->learning;
	v->proxy = c->proxy;
	v->ageing = c->ageing;
	v->limit = c->maxaddress;
	v->ttl = c->ttl;
	v->tos = c->tos_inherit ? 1 : c->tos;
	v->port_min = c->srcport_min;
	v->port_max = c->srcport_max;
	/* Misses are what `vxnet monitor` reports, as for the user datapath. */
	v->l2miss = v->l3miss = true;
	/* IPv4 UDP checksums zero (RFC 7348 section 5), IPv6 ones computed
	 * (RFC 6935), as the user datapath. */
	v->df = nl_df(c->df);
	v->localbypass = c->localbypass;
	v->udp_csum = false;
	v->set = NL_VX_BIT(NL_VX_NAME) | NL_VX_BIT(NL_VX_ID) | NL_VX_BIT(NL_VX_PORT) | NL_VX_BIT(NL_VX_MTU) |
		 NL_VX_BIT(NL_VX_LEARNING) | NL_VX_BIT(NL_VX_PROXY) | NL_VX_BIT(NL_VX_AGEING) | NL_VX_BIT(NL_VX_LIMIT) |
		 NL_VX_BIT(NL_VX_TTL) | NL_VX_BIT(NL_VX_TOS) | NL_VX_BIT(NL_VX_PORT_RANGE) | NL_VX_BIT(NL_VX_L2MISS) |
		 NL_VX_BIT(NL_VX_L3MISS) | NL_VX_BIT(NL_VX_DF) | NL_VX_BIT(NL_VX_UDP_CSUM) |
		 NL_VX_BIT(NL_VX_LOCALBYPASS);
	if (c->remote.family || c->group.family) {
		v->remote = c->remote.family ? c->remote : c->group;
		v->set |= NL_VX_BIT(NL_VX_REMOTE);
	}
	if (c->local.family) {
		v->local = c->local;
		v->set |= NL_VX_BIT(NL_VX_LOCAL);
	}
	if (dev_ifindex) {
		v->link = dev_ifindex;
		v->set |= NL_VX_BIT(NL_VX_LINK);
	}
	if (c->set & LINK_P_ADDRESS) {
		memcpy(v->address, c->address, MAC_LEN);
		v->set |= NL_VX_BIT(NL_VX_ADDRESS);
	}
	return 0;
}

static void klink_free(struct klink *kl)
{
	fdb_free(kl->learned);
	free(kl);
}

/* Refusals of the kernel, in vxnet's words where we can say it better. */
const char *kernel_why(struct knet *n, int rc, const char *fallback)
{
	const char *m = nl_errmsg(n->nl);
	if (rc == -EEXIST && m && strstr(m, "VNI"))
		return "VNI already in use on this port";
	if (rc == -EADDRINUSE)
		return "UDP port in use (by vxnetd's user datapath or another program?)";
	return m && *m ? m : fallback;
}

static int kernel_link_add(struct dp *dp, struct core_link *l, bool adopt, const char **why)
{
	struct dp_kernel *k = to_kernel(dp);
	struct link_config *cfg = &l->cfg;
	int family = dp_link_family(cfg);
	if (family == AF_INET6 && !dp_ipv6_enabled()) {
		*why = "IPv6 is disabled in this network namespace";
		return -EAFNOSUPPORT;
	}
	uint32_t dev_ifindex;
	unsigned mtu, underlay_limit;
	int rc = dp_link_mtu(cfg, family, &mtu, &underlay_limit, &dev_ifindex, why);
	if (rc < 0)
		return rc;
	/* The kernel would silently lower it to what dev carries: say so. */
	if ((cfg->set & LINK_P_DEV) && cfg->mtu && underlay_limit && cfg->mtu > underlay_limit) {
		*why = "mtu is above what dev carries after the VXLAN overhead (the kernel datapath cannot send it)";
		return -EINVAL;
	}
	/* A device of that name we gave up may still be going. */
	if (core_reaper(dp->core))
		reaper_wait_name(core_reaper(dp->core), cfg->name, (cfg->set & LINK_P_NETNS) ? cfg->netns : "");
	struct knet *n;
	rc = knet_get(k, (cfg->set & LINK_P_NETNS) ? cfg->netns : "", &n, why);
	if (rc < 0)
		return rc;
	struct klink *kl = calloc(1, sizeof(*kl));
	if (!kl) {
		knet_put(n);
		return -ENOMEM;
	}
	kl->l = l;
	kl->net = n;
	kl->learned = fdb_new(NULL);
	struct nl_link have;
	rc = nl_link_get(n->nl, 0, cfg->name, &have);
	if (rc == 0 && !adopt) {
		*why = "a device with that name exists";
		rc = -EEXIST;
		goto fail;
	}
	if (rc == 0) {
		/* A restart: take over the device if it is the one we made. */
		if (strcmp(have.kind, "vxlan") || have.vxlan.vni != cfg->vni) {
			*why = "a device with that name exists (not this link's vxlan device)";
			rc = -EEXIST;
			goto fail;
		}
		kl->ifindex = have.ifindex;
		mtu = have.mtu;
		log_info("%s: took over the existing kernel vxlan device", cfg->name);
	} else {
		struct nl_vxlan v;
		to_nl_vxlan(cfg, mtu, dev_ifindex, &v);
		if (cfg->set & LINK_P_NETNS) {
			/* The device is made in its namespace while its UDP
			 * socket stays in ours, as `ip link add ... netns`. */
			char path[128];
			snprintf(path, sizeof(path), "/run/netns/%s", cfg->netns);
			v.netns_fd = open(path, O_RDONLY | O_CLOEXEC);
			if (v.netns_fd < 0) {
				*why = "netns: no such network namespace";
				rc = -ENOENT;
				goto fail;
			}
			v.set |= NL_VX_BIT(NL_VX_NETNS);
			/* The namespace's own socket created it: our request
			 * must be made from ours, then looked up there. */
			struct nl *own;
			rc = nl_open(&own, -1);
			if (rc == 0) {
				rc = nl_vxlan_create(own, &v, NULL);
				if (rc < 0)
					*why = nl_errmsg(own)[0] ? "the kernel refused the link"
								 : "cannot create the device";
				nl_close(own);
			}
			close(v.netns_fd);
		} else {
			rc = nl_vxlan_create(n->nl, &v, NULL);
			if (rc < 0)
				*why = kernel_why(n, rc, "the kernel refused the link");
		}
		if (rc < 0)
			goto fail;
		rc = nl_link_get(n->nl, 0, cfg->name, &have);
		if (rc < 0) {
			*why = "the new device cannot be found";
			goto fail;
		}
		kl->ifindex = have.ifindex;
		dp_apply_state(n->nl, l, kl->ifindex);
	}
	if (have.has_address)
		memcpy(cfg->address, have.address, MAC_LEN);
	l->ifindex = kl->ifindex;
	l->mtu = mtu;
	l->family = family;
	l->dpl = kl;
	kl->next = k->links;
	k->links = kl;
	return 0;
fail:
	klink_free(kl);
	knet_put(n);
	return rc;
}

static void link_forget(struct dp_kernel *k, struct core_link *l)
{
	struct klink *kl = klink_of(l);
	if (!kl)
		return;
	for (struct klink **pp = &k->links; *pp; pp = &(*pp)->next) {
		if (*pp == kl) {
			*pp = kl->next;
			break;
		}
	}
	knet_put(kl->net);
	klink_free(kl);
	l->dpl = NULL;
}

static void kernel_link_del(struct dp *dp, struct core_link *l)
{
	struct dp_kernel *k = to_kernel(dp);
	struct klink *kl = klink_of(l);
	if (!kl)
		return;
	/* Its notification is ours: not a device lost behind our back. */
	kernel_echo_expect(k, ECHO_LINK_DEL, kl->ifindex, NULL, NULL);
	struct reaper *r = core_reaper(dp->core);
	int nsfd = -1;
	if (r && kl->net->netns[0]) {
		char path[128];
		snprintf(path, sizeof(path), "/run/netns/%s", kl->net->netns);
		nsfd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (r && (!kl->net->netns[0] || nsfd >= 0)) {
		/* The kernel's teardown takes ~20 ms: not in the loop. */
		reaper_add(r, kl->ifindex, nsfd, -1, l->cfg.name, kl->net->netns);
	} else {
		int rc = nl_link_del(kl->net->nl, kl->ifindex);
		if (rc < 0 && rc != -ENODEV)
			log_err("%s: cannot delete the kernel device: %s", l->cfg.name, nl_errmsg(kl->net->nl));
	}
	link_forget(k, l);
}

/* `link set` through the kernel's changelink: only what changes is sent;
 * what the kernel refuses live it refuses with its reason, and nothing
 * changes. */
static int kernel_link_change(struct dp *dp, struct core_link *l, const struct link_config *nc, unsigned changed,
			      const char **why)
{
	(void)dp;
	struct klink *kl = klink_of(l);
	struct nl *nl = kl->net->nl;
	uint32_t dev_ifindex;
	unsigned mtu, underlay_limit;
	int rc = dp_link_mtu(nc, l->family, &mtu, &underlay_limit, &dev_ifindex, why);
	if (rc < 0)
		return rc;
	if ((changed & LINK_P_MTU) && (nc->set & LINK_P_DEV) && underlay_limit && nc->mtu > underlay_limit) {
		*why = "mtu is above what dev carries after the VXLAN overhead (the kernel datapath cannot send it)";
		return -EINVAL;
	}
	struct nl_vxlan v;
	memset(&v, 0, sizeof(v));
	v.netns_fd = -1;
	if (changed & LINK_P_LEARNING) {
		v.learning = nc->learning;
		v.set |= NL_VX_BIT(NL_VX_LEARNING);
	}
	if (changed & LINK_P_AGEING) {
		v.ageing = nc->ageing;
		v.set |= NL_VX_BIT(NL_VX_AGEING);
	}
	if (changed & LINK_P_TTL) {
		v.ttl = nc->ttl;
		v.set |= NL_VX_BIT(NL_VX_TTL);
	}
	if (changed & LINK_P_TOS) {
		v.tos = nc->tos_inherit ? 1 : nc->tos;
		v.set |= NL_VX_BIT(NL_VX_TOS);
	}
	/* A dev change goes with the remote in one request: alone, the kernel
	 * leaves the default entry on the old device (docs/kernel-vxlan.md). */
	if (changed & (LINK_P_REMOTE | LINK_P_GROUP | LINK_P_DEV)) {
		if (nc->remote.family || nc->group.family)
			v.remote = nc->remote.family ? nc->remote : nc->group;
		else
			v.remote.family = (sa_family_t)l->family; /* the unspecified address clears it */
		v.set |= NL_VX_BIT(NL_VX_REMOTE);
	}
	if (changed & LINK_P_LOCAL) {
		v.local = nc->local;
		v.set |= NL_VX_BIT(NL_VX_LOCAL);
	}
	if (changed & LINK_P_DEV) {
		v.link = dev_ifindex;
		v.set |= NL_VX_BIT(NL_VX_LINK);
	}
	if (changed & LINK_P_DF) {
		v.df = nl_df(nc->df);
		v.set |= NL_VX_BIT(NL_VX_DF);
	}
	if (changed & LINK_P_LOCALBYPASS) {
		v.localbypass = nc->localbypass;
		v.set |= NL_VX_BIT(NL_VX_LOCALBYPASS);
	}
	if (changed & LINK_P_ADDRESS) {
		memcpy(v.address, nc->address, MAC_LEN);
		v.set |= NL_VX_BIT(NL_VX_ADDRESS);
	}
	if (v.set) {
		rc = nl_vxlan_change(nl, kl->ifindex, &v);
		if (rc < 0) {
			*why = kernel_why(kl->net, rc, "the kernel refused the change");
			return rc;
		}
	}
	if (changed & LINK_P_MTU) {
		rc = nl_link_set_mtu(nl, kl->ifindex, nc->mtu);
		if (rc < 0) {
			*why = kernel_why(kl->net, rc, "the kernel refused the MTU");
			return rc;
		}
	}
	return 0;
}

static void kernel_link_release(struct dp *dp, struct core_link *l)
{
	link_forget(to_kernel(dp), l);
}

static bool kernel_link_present(struct dp *dp, struct core_link *l)
{
	(void)dp;
	struct klink *kl = klink_of(l);
	struct nl_link have;
	if (!kl)
		return false;
	int rc = nl_link_get(kl->net->nl, kl->ifindex, NULL, &have);
	if (rc < 0)
		return rc != -ENODEV; /* another error tells nothing: leave the device be */
	return !strcmp(have.kind, "vxlan") && !strcmp(have.name, l->cfg.name);
}

static void kernel_stats(struct dp *dp, struct core_link *l, dp_stat_cb cb, void *arg)
{
	(void)dp;
	struct klink *kl = klink_of(l);
	struct nl_link have;
	if (nl_link_get(kl->net->nl, kl->ifindex, NULL, &have) < 0 || !have.has_stats)
		return;
	const struct nl_link_stats *s = &have.stats;
	cb(DP_STAT_LINK, "rx_packets", s->rx_packets, arg);
	cb(DP_STAT_LINK, "rx_bytes", s->rx_bytes, arg);
	cb(DP_STAT_LINK, "tx_packets", s->tx_packets, arg);
	cb(DP_STAT_LINK, "tx_bytes", s->tx_bytes, arg);
	cb(DP_STAT_LINK, "rx_errors", s->rx_errors, arg);
	cb(DP_STAT_LINK, "rx_dropped", s->rx_dropped, arg);
	cb(DP_STAT_LINK, "tx_errors", s->tx_errors, arg);
	cb(DP_STAT_LINK, "tx_dropped", s->tx_dropped, arg);
}

static unsigned kernel_oper_mtu(struct dp *dp, struct core_link *l)
{
	(void)dp;
	struct klink *kl = klink_of(l);
	struct nl_link have;
	if (!kl || nl_link_get(kl->net->nl, kl->ifindex, NULL, &have) < 0)
		return l->mtu;
	return have.mtu;
}

/* Once a second: the devices' up state and master, sampled (a sample can
 * never see a device half-way through its deletion, which notifications
 * can: down first, then gone). */
static void kernel_tick(struct dp *dp, uint64_t now)
{
	(void)now;
	struct dp_kernel *k = to_kernel(dp);
	for (struct klink *kl = k->links; kl; kl = kl->next) {
		struct nl_link have;
		if (nl_link_get(kl->net->nl, kl->ifindex, NULL, &have) == 0)
			dp_observe_state(kl->net->nl, dp, kl->l, &have);
	}
}

static void kernel_free(struct dp *dp)
{
	struct dp_kernel *k = to_kernel(dp);
	while (k->nets) {
		struct knet *n = k->nets;
		n->users = 1;
		knet_put(n);
	}
	free(k);
}

static const struct dp_ops kernel_ops = {
    .name = "kernel",
    .link_add = kernel_link_add,
    .link_del = kernel_link_del,
    .link_release = kernel_link_release,
    .link_change = kernel_link_change,
    .link_present = kernel_link_present,
    .fdb_set = kernel_fdb_set,
    .fdb_del = kernel_fdb_del,
    .neigh_set = kernel_neigh_set,
    .neigh_del = kernel_neigh_del,
    .fdb_dump = kernel_fdb_dump,
    .neigh_dump = kernel_neigh_dump,
    .stats = kernel_stats,
    .oper_mtu = kernel_oper_mtu,
    .tick = kernel_tick,
    .free = kernel_free,
};

struct dp *dp_kernel_new(struct core *c, const struct dp_upcalls *up, struct loop *lp, const char **why)
{
	struct dp_kernel *k = calloc(1, sizeof(*k));
	if (!k) {
		*why = "out of memory";
		return NULL;
	}
	k->dp.ops = &kernel_ops;
	k->dp.core = c;
	k->dp.up = up;
	k->loop = lp;
	/* Open our namespace's sockets now: a kernel without rtnetlink access
	 * refuses here, once, rather than at every link. */
	struct knet *n;
	int rc = knet_get(k, "", &n, why);
	if (rc < 0) {
		free(k);
		errno = -rc;
		return NULL;
	}
	return &k->dp;
}
