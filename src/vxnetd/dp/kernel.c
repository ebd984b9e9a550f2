/* kernel: the Linux kernel's vxlan driver as a datapath. Each link is a
 * real vxlan device made and programmed over rtnetlink (nl.c, libmnl):
 * every link option maps to its IFLA_VXLAN_* attribute, fdb entries are
 * bridge FDB entries with NTF_SELF, neigh entries are PERMANENT neighbours
 * of the device. The kernel forwards; vxnetd only keeps it as wanted.
 *
 * A monitor socket (RTNLGRP_LINK, RTNLGRP_NEIGH) reports what happens to
 * vxnet's devices: learned, moved and aged entries, l2miss/l3miss (enabled
 * on every device vxnet makes), and changes made behind vxnet's back, which
 * go to the core (it puts its own entries back). The notifications of
 * vxnet's own requests are recognised and swallowed, so every change is
 * reported once, by the core. */
#include <errno.h>
#include <fcntl.h>
#include <linux/neighbour.h>
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
#include "vxnet/proto.h"

/* A notification we expect because we asked for the change. */
#define ECHO_MAX 256
#define ECHO_TTL_MS 3000

enum echo_kind { ECHO_FDB_NEW, ECHO_FDB_DEL, ECHO_NEIGH_NEW, ECHO_NEIGH_DEL, ECHO_LINK_DEL };

struct echo {
	enum echo_kind kind;
	int ifindex;
	uint8_t mac[MAC_LEN];
	struct vx_addr ip; /* fdb: the remote (AF_UNSPEC: any); neigh: the address */
	uint64_t until;
};

struct knet; /* one network namespace the provider works in */

struct klink {
	struct core_link *l;
	struct knet *net;
	int ifindex;
	struct fdb *learned; /* what the kernel learned, as its notifications told: new vs moved vs aged */
	struct klink *next;
};

struct knet {
	struct dp_kernel *k;
	char netns[CTL_NETNS_LEN]; /* "" = the daemon's own */
	struct nl *nl;
	struct nl_mon *mon;
	struct loop_src src;
	unsigned users;
	struct knet *next;
};

struct dp_kernel {
	struct dp dp;
	struct loop *loop;
	struct knet *nets;
	struct klink *links;
	struct echo echo[ECHO_MAX];
	unsigned n_echo;
};

static struct dp_kernel *to_kernel(struct dp *dp)
{
	return (struct dp_kernel *)dp;
}

static struct klink *klink_of(struct core_link *l)
{
	return l->dpl;
}

/* ---- echoes of our own requests ---- */

static void echo_expect(struct dp_kernel *k, enum echo_kind kind, int ifindex, const uint8_t *mac,
			const struct vx_addr *ip)
{
	uint64_t now = loop_now_ms();
	/* Drop the expired; when full, forget the oldest. */
	unsigned j = 0;
	for (unsigned i = 0; i < k->n_echo; i++)
		if (k->echo[i].until > now)
			k->echo[j++] = k->echo[i];
	k->n_echo = j;
	if (k->n_echo == ECHO_MAX) {
		memmove(k->echo, k->echo + 1, (ECHO_MAX - 1) * sizeof(k->echo[0]));
		k->n_echo--;
	}
	struct echo *e = &k->echo[k->n_echo++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->ifindex = ifindex;
	if (mac)
		memcpy(e->mac, mac, MAC_LEN);
	if (ip)
		e->ip = *ip;
	e->until = now + ECHO_TTL_MS;
}

/* Is this notification the echo of one of our requests? Consumes it. */
static bool echo_match(struct dp_kernel *k, enum echo_kind kind, int ifindex, const uint8_t *mac,
		       const struct vx_addr *ip)
{
	uint64_t now = loop_now_ms();
	for (unsigned i = 0; i < k->n_echo; i++) {
		struct echo *e = &k->echo[i];
		if (e->until <= now || e->kind != kind || e->ifindex != ifindex)
			continue;
		if (mac && !mac_equal(e->mac, mac))
			continue;
		if (e->ip.family && ip && !addr_equal(&e->ip, ip))
			continue;
		memmove(e, e + 1, (k->n_echo - i - 1) * sizeof(*e));
		k->n_echo--;
		return true;
	}
	return false;
}

/* ---- monitor ---- */

static struct klink *klink_by_index(struct knet *n, int ifindex)
{
	for (struct klink *kl = n->k->links; kl; kl = kl->next)
		if (kl->net == n && kl->ifindex == ifindex)
			return kl;
	return NULL;
}

static void to_remote(const struct klink *kl, const struct nl_fdb *f, struct fdb_remote *r)
{
	memset(r, 0, sizeof(*r));
	r->ip = f->dst;
	r->port = (f->set & NL_FDB_PORT) ? f->port : kl->l->cfg.dstport;
	r->vni = (f->set & NL_FDB_VNI) ? f->vni : kl->l->cfg.vni;
	/* vxnet never sets an entry's outgoing device; the kernel reports its
	 * default remote "via" the link's dev, which is not a difference. */
	r->ifindex = 0;
}

static void on_fdb_event(struct dp_kernel *k, struct klink *kl, const struct nl_fdb *f, bool deleted)
{
	if (!(f->flags & NTF_SELF) || (f->set & NL_FDB_MASTER))
		return; /* the bridge's own entries for this port */
	struct fdb_remote r;
	to_remote(kl, f, &r);
	bool permanent = f->state & (NUD_PERMANENT | NUD_NOARP);
	const struct vx_addr *dst = (f->set & NL_FDB_DST) ? &f->dst : NULL;
	if (permanent) {
		if (echo_match(k, deleted ? ECHO_FDB_DEL : ECHO_FDB_NEW, kl->ifindex, f->mac, dst))
			return;
		/* A device being deleted empties its table first: the link's
		 * own deletion, reported next, puts everything back. */
		struct nl_link have;
		if (deleted && nl_link_get(kl->net->nl, kl->ifindex, NULL, &have) < 0)
			return;
		k->dp.up->fdb_changed(k->dp.core, kl->l, deleted, f->mac, dst ? &r : NULL, true);
		return;
	}
	/* Learned: the kernel notifies creation and moves, not refreshes. */
	if (deleted) {
		if (fdb_lookup(kl->learned, f->mac)) {
			fdb_del(kl->learned, f->mac, NULL);
			k->dp.up->aged(k->dp.core, kl->l, f->mac, &r);
		}
		return;
	}
	const struct fdb_entry *e = fdb_lookup(kl->learned, f->mac);
	bool moved = e != NULL;
	if (e && addr_equal(&e->remotes[0].ip, &r.ip))
		return;
	fdb_replace(kl->learned, f->mac, &r, loop_now_ms());
	k->dp.up->learned(k->dp.core, kl->l, f->mac, &r, moved);
}

static int on_event(const struct nl_event *ev, void *arg)
{
	struct knet *n = arg;
	struct dp_kernel *k = n->k;
	struct klink *kl;
	switch (ev->type) {
	case NL_EV_LINK_DEL:
		kl = klink_by_index(n, ev->link.ifindex);
		if (kl && !echo_match(k, ECHO_LINK_DEL, kl->ifindex, NULL, NULL))
			k->dp.up->link_gone(k->dp.core, kl->l);
		break;
	case NL_EV_FDB_NEW:
	case NL_EV_FDB_DEL:
		kl = klink_by_index(n, ev->fdb.ifindex);
		if (kl)
			on_fdb_event(k, kl, &ev->fdb, ev->type == NL_EV_FDB_DEL);
		break;
	case NL_EV_NEIGH_NEW:
	case NL_EV_NEIGH_DEL: {
		bool del = ev->type == NL_EV_NEIGH_DEL;
		kl = klink_by_index(n, ev->neigh.ifindex);
		/* Only the entries vxnet manages: permanent ones. The kernel's
		 * own resolution state changes are not ours to report. */
		if (!kl || !(ev->neigh.state & NUD_PERMANENT))
			break;
		if (echo_match(k, del ? ECHO_NEIGH_DEL : ECHO_NEIGH_NEW, kl->ifindex, NULL, &ev->neigh.ip))
			break;
		struct nl_link have;
		if (del && nl_link_get(n->nl, kl->ifindex, NULL, &have) < 0)
			break;
		k->dp.up->neigh_changed(k->dp.core, kl->l, del, &ev->neigh.ip, ev->neigh.mac);
		break;
	}
	case NL_EV_L2MISS:
		kl = klink_by_index(n, ev->miss.ifindex);
		if (kl)
			k->dp.up->l2miss(k->dp.core, kl->l, ev->miss.mac);
		break;
	case NL_EV_L3MISS:
		kl = klink_by_index(n, ev->miss.ifindex);
		if (kl)
			k->dp.up->l3miss(k->dp.core, kl->l, &ev->miss.ip);
		break;
	default:
		break;
	}
	return 0;
}

static void mon_input(struct loop_src *src, uint32_t events)
{
	(void)events;
	struct knet *n = src->obj;
	int rc = nl_mon_read(n->mon, on_event, n);
	if (rc == -ENOBUFS) {
		/* Notifications were lost: the core's reconcile puts wanted
		 * entries back; the learned mirror starts afresh. */
		log_info("kernel datapath: netlink notifications overran; resynchronising");
		for (struct klink *kl = n->k->links; kl; kl = kl->next) {
			if (kl->net != n)
				continue;
			fdb_free(kl->learned);
			kl->learned = fdb_new(NULL);
		}
		core_reconcile(n->k->dp.core);
	} else if (rc < 0) {
		log_debug("kernel datapath: monitor: %s", strerror(-rc));
	}
}

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
		rc = loop_add(k->loop, nl_mon_fd(n->mon), EPOLLIN, &n->src, mon_input, n);
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
static const char *kernel_why(struct knet *n, int rc, const char *fallback)
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
	echo_expect(k, ECHO_LINK_DEL, kl->ifindex, NULL, NULL);
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

static int kernel_fdb_set(struct dp *dp, struct core_link *l, enum dp_fdb_op op, const uint8_t mac[MAC_LEN],
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
	echo_expect(k, ECHO_FDB_NEW, kl->ifindex, mac, &r->ip);
	int rc = nl_fdb(kl->net->nl, ops[op], &f);
	if (rc == -EEXIST)
		*why = op == DP_FDB_APPEND ? "that remote is already in the entry" : "entry exists";
	else if (rc == -ENOSPC)
		*why = "fdb is full (maxaddress)";
	else if (rc < 0)
		*why = kernel_why(kl->net, rc, "the kernel refused the entry");
	if (rc < 0)
		echo_match(k, ECHO_FDB_NEW, kl->ifindex, mac, &r->ip); /* no notification will come */
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
	to_remote(c->kl, f, &c->rem[c->n++]);
	c->permanent = f->state & (NUD_PERMANENT | NUD_NOARP);
	return 0;
}

static int kernel_fdb_del(struct dp *dp, struct core_link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *r,
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
		echo_expect(k, ECHO_FDB_DEL, kl->ifindex, mac, r ? &r->ip : NULL);
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

static int kernel_neigh_set(struct dp *dp, struct core_link *l, bool replace, const struct vx_addr *ip,
			    const uint8_t mac[MAC_LEN], const char **why)
{
	struct dp_kernel *k = to_kernel(dp);
	struct klink *kl = klink_of(l);
	struct nl_neigh n = {.ifindex = kl->ifindex, .ip = *ip, .state = NUD_PERMANENT, .set = NL_NEIGH_LLADDR};
	memcpy(n.mac, mac, MAC_LEN);
	echo_expect(k, ECHO_NEIGH_NEW, kl->ifindex, NULL, ip);
	int rc = nl_neigh(kl->net->nl, replace ? NL_OP_REPLACE : NL_OP_ADD, &n);
	if (rc < 0) {
		echo_match(k, ECHO_NEIGH_NEW, kl->ifindex, NULL, ip);
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

static int kernel_neigh_del(struct dp *dp, struct core_link *l, const struct vx_addr *ip, uint8_t old[MAC_LEN],
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
	echo_expect(k, ECHO_NEIGH_DEL, kl->ifindex, NULL, ip);
	int rc = nl_neigh(kl->net->nl, NL_OP_DEL, &n);
	if (rc < 0) {
		echo_match(k, ECHO_NEIGH_DEL, kl->ifindex, NULL, ip);
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
	to_remote(d->kl, f, &r);
	bool permanent = f->state & (NUD_PERMANENT | NUD_NOARP);
	r.origin = permanent ? FDB_ORIGIN_USER : FDB_ORIGIN_LEARNED;
	struct fdb_entry e = {
	    .state = permanent ? FDB_STATE_PERMANENT : FDB_STATE_REACHABLE, .n_remotes = 1, .remotes = &r};
	memcpy(e.mac, f->mac, MAC_LEN);
	e.updated = (f->set & NL_FDB_CACHEINFO) && d->now > f->updated_ms ? d->now - f->updated_ms : d->now;
	d->cb(&e, d->arg);
	return 0;
}

static int kernel_fdb_dump(struct dp *dp, struct core_link *l, dp_fdb_cb cb, void *arg)
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

static int kernel_neigh_dump(struct dp *dp, struct core_link *l, dp_neigh_cb cb, void *arg)
{
	(void)dp;
	struct klink *kl = klink_of(l);
	struct ndump d = {cb, arg};
	return nl_neigh_dump(kl->net->nl, AF_UNSPEC, kl->ifindex, ndump_cb, &d);
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
