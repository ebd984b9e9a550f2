/* daemon: the daemon's objects: links (TAP + FDB + neigh table bound to a
 * VNI), the shared receive sockets, and the periodic ageing scan.
 * A link is created all-or-nothing: every step that can fail runs before the
 * link becomes visible, and a failure undoes what was done. */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "rtnl.h"
#include "tap.h"
#include "udp.h"
#include "vxnet/proto.h"
#include "vxnetd.h"

uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- VNI table of a socket ---- */

static unsigned vni_slot(uint32_t vni, unsigned cap)
{
	return (vni * 2654435761u) & (cap - 1);
}

struct link *vsock_lookup(const struct vsock *s, uint32_t vni)
{
	if (!s->vni_cap)
		return NULL;
	for (unsigned i = vni_slot(vni, s->vni_cap);; i = (i + 1) & (s->vni_cap - 1)) {
		struct link *l = s->vni_tab[i];
		if (!l)
			return NULL;
		if (l->cfg.vni == vni)
			return l;
	}
}

static void vni_insert(struct link **tab, unsigned cap, struct link *l)
{
	unsigned i = vni_slot(l->cfg.vni, cap);
	while (tab[i])
		i = (i + 1) & (cap - 1);
	tab[i] = l;
}

/* Rebuild the table from the daemon's links: links change rarely, and a
 * rebuild keeps deletion trivial for open addressing. */
static int vsock_rebuild(struct daemon *d, struct vsock *s, struct link *extra, struct link *skip)
{
	unsigned n = 0;
	for (struct link *l = d->links; l; l = l->next)
		if (l->sock == s && l != skip)
			n++;
	if (extra)
		n++;
	unsigned cap = 8;
	while (cap < 2 * n)
		cap <<= 1;
	struct link **tab = calloc(cap, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	for (struct link *l = d->links; l; l = l->next)
		if (l->sock == s && l != skip)
			vni_insert(tab, cap, l);
	if (extra)
		vni_insert(tab, cap, extra);
	free(s->vni_tab);
	s->vni_tab = tab;
	s->vni_cap = cap;
	return 0;
}

/* ---- sockets ---- */

static struct vsock *vsock_find(struct daemon *d, int family, uint16_t port)
{
	for (struct vsock *s = d->socks; s; s = s->next)
		if (s->family == family && s->port == port)
			return s;
	return NULL;
}

static int vsock_get(struct daemon *d, int family, uint16_t port, struct vsock **out, const char **why)
{
	struct vsock *s = vsock_find(d, family, port);
	if (s) {
		*out = s;
		return 0;
	}
	int *txfd = family == AF_INET6 ? &d->tx_fd6 : &d->tx_fd4;
	if (*txfd < 0) {
		int fd = udp_tx_open(family);
		if (fd < 0) {
			*why = family == AF_INET6 ? "cannot open IPv6 sending socket (IPv6 disabled?)"
						  : "cannot open IPv4 sending socket";
			return fd;
		}
		*txfd = fd;
	}
	int fd = udp_rx_open(family, port);
	if (fd < 0) {
		*why = fd == -EADDRINUSE ? "UDP port in use (by a kernel vxlan device or another program?)"
		       : family == AF_INET6 ? "cannot open IPv6 UDP socket (IPv6 disabled?)"
					    : "cannot open UDP socket";
		return fd;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->fd = fd;
	s->family = family;
	s->port = port;
	s->ev.kind = EV_UDP;
	s->ev.obj = s;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->ev};
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = -errno;
		close(fd);
		free(s);
		return e;
	}
	s->next = d->socks;
	d->socks = s;
	*out = s;
	return 0;
}

static void vsock_put(struct daemon *d, struct vsock *s)
{
	if (s->nlinks)
		return;
	for (struct vsock **pp = &d->socks; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	close(s->fd);
	s->fd = -1;
	free(s->vni_tab);
	s->vni_tab = NULL;
	s->vni_cap = 0;
	/* freed by daemon_reap: the current epoll batch may still point at it */
	s->dead = true;
	s->next = d->dead_socks;
	d->dead_socks = s;
}

/* ---- links ---- */

struct link *daemon_link_find(struct daemon *d, const char *name)
{
	for (struct link *l = d->links; l; l = l->next)
		if (!strcmp(l->cfg.name, name))
			return l;
	return NULL;
}

/* An IPv6 socket opens even where IPv6 is disabled by sysctl, but nothing
 * could be sent or received: refuse IPv6 links up front instead. */
static bool ipv6_enabled(void)
{
	FILE *f = fopen("/proc/sys/net/ipv6/conf/all/disable_ipv6", "r");
	if (!f)
		return false; /* no IPv6 in this kernel */
	int v = 1;
	if (fscanf(f, "%d", &v) != 1)
		v = 1;
	fclose(f);
	return v == 0;
}

/* MTU of the device that holds addr, 0 if none does. */
static unsigned mtu_of_local(const struct vx_addr *a)
{
	struct ifaddrs *ifa0;
	unsigned mtu = 0;
	if (getifaddrs(&ifa0) < 0)
		return 0;
	for (struct ifaddrs *ifa = ifa0; ifa; ifa = ifa->ifa_next) {
		struct vx_addr x;
		uint16_t port;
		if (!ifa->ifa_addr || addr_from_sockaddr(ifa->ifa_addr, &x, &port) < 0)
			continue;
		if (addr_equal(&x, a)) {
			netdev_get_mtu(ifa->ifa_name, &mtu);
			break;
		}
	}
	freeifaddrs(ifa0);
	return mtu;
}

static void link_free(struct link *l)
{
	if (l->tap_fd >= 0)
		close(l->tap_fd); /* the TAP is not persistent: this removes the device */
	l->tap_fd = -1;
	fdb_free(l->fdb);
	neigh_free(l->neigh);
	free(l);
}

int daemon_remote_from_req(const struct link *l, const struct fdb_req *r, struct fdb_remote *out, const char **why)
{
	memset(out, 0, sizeof(*out));
	out->ip = r->dst;
	out->port = (r->set & FDB_P_PORT) ? r->port : l->cfg.dstport;
	out->vni = (r->set & FDB_P_VNI) ? r->vni : l->cfg.vni;
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

int daemon_link_add(struct daemon *d, const struct link_config *cfg, const char **why)
{
	int rc = link_config_check(cfg, why);
	if (rc < 0)
		return rc;
	if (daemon_link_find(d, cfg->name)) {
		*why = "link exists";
		return -EEXIST;
	}
	int family = AF_INET;
	if (cfg->local.family)
		family = cfg->local.family;
	else if (cfg->remote.family)
		family = cfg->remote.family;
	else if (cfg->group.family)
		family = cfg->group.family;
	if (family == AF_INET6 && !ipv6_enabled()) {
		*why = "IPv6 is disabled in this network namespace";
		return -EAFNOSUPPORT;
	}
	struct vsock *existing = vsock_find(d, family, cfg->dstport);
	if (existing && vsock_lookup(existing, cfg->vni)) {
		*why = "VNI already in use on this port";
		return -EEXIST;
	}
	uint32_t dev_ifindex = 0;
	unsigned dev_mtu = 0;
	if (cfg->set & LINK_P_DEV) {
		dev_ifindex = if_nametoindex(cfg->dev);
		if (!dev_ifindex) {
			*why = "dev: no such device";
			return -ENODEV;
		}
		netdev_get_mtu(cfg->dev, &dev_mtu);
	} else if (cfg->local.family) {
		dev_mtu = mtu_of_local(&cfg->local);
	}
	if (cfg->group.family && !dev_ifindex)
		log_info("%s: group without dev: the kernel picks the interface to join on", cfg->name);

	struct link *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->tap_fd = -1;
	l->cfg = *cfg;
	l->family = family;
	l->dev_ifindex = dev_ifindex;
	l->local = cfg->local;
	l->ev.kind = EV_TAP;
	l->ev.obj = l;
	unsigned overhead = family == AF_INET6 ? VXLAN_OVERHEAD_V6 : VXLAN_OVERHEAD_V4;
	unsigned underlay_limit = dev_mtu > overhead ? dev_mtu - overhead : 0;
	l->mtu = cfg->mtu ? cfg->mtu : underlay_limit ? underlay_limit : 1500 - overhead;
	/* The largest inner payload we send: what the underlay carries when we
	 * know it; otherwise trust the configured MTU. */
	l->path_limit = underlay_limit ? underlay_limit : l->mtu;

	struct fdb_config fc = {.max_entries = cfg->maxaddress, .ageing_ms = (uint64_t)cfg->ageing * 1000};
	l->fdb = fdb_new(&fc);
	l->neigh = neigh_new(0);
	if (!l->fdb || !l->neigh) {
		rc = -ENOMEM;
		goto fail;
	}
	const struct vx_addr *flood = cfg->remote.family ? &cfg->remote : cfg->group.family ? &cfg->group : NULL;
	if (flood) {
		static const uint8_t zero[MAC_LEN];
		struct fdb_remote r = {.ip = *flood, .port = cfg->dstport, .vni = cfg->vni};
		rc = fdb_append(l->fdb, zero, &r, now_ms());
		if (rc < 0)
			goto fail;
	}
	int sockrc = vsock_get(d, family, cfg->dstport, &l->sock, why);
	if (sockrc < 0) {
		l->sock = NULL;
		rc = sockrc;
		goto fail;
	}
	if (cfg->group.family) {
		rc = udp_group_join(l->sock->fd, &cfg->group, dev_ifindex);
		if (rc < 0) {
			*why = "cannot join the multicast group";
			goto fail_sock;
		}
	}
	rc = tap_create(cfg->name, &l->ifindex);
	if (rc < 0) {
		*why = rc == -EEXIST ? "a device with that name exists" : "cannot create TAP device";
		goto fail_group;
	}
	l->tap_fd = rc;
	rc = tap_set_mtu(cfg->name, l->mtu);
	if (rc < 0) {
		*why = "cannot set MTU";
		goto fail_group;
	}
	if (cfg->set & LINK_P_ADDRESS)
		rc = tap_set_mac(l->tap_fd, cfg->address);
	else
		rc = tap_get_mac(l->tap_fd, l->cfg.address);
	if (rc < 0) {
		*why = "cannot set the link's address";
		goto fail_group;
	}
	if (cfg->set & LINK_P_NETNS) {
		char path[128];
		snprintf(path, sizeof(path), "/run/netns/%s", cfg->netns);
		int nsfd = open(path, O_RDONLY | O_CLOEXEC);
		if (nsfd < 0) {
			rc = -errno;
			*why = "netns: no such network namespace";
			goto fail_group;
		}
		rc = rtnl_link_set_netns(l->ifindex, nsfd);
		close(nsfd);
		if (rc < 0) {
			*why = "cannot move the device to that netns";
			goto fail_group;
		}
	}
	rc = vsock_rebuild(d, l->sock, l, NULL);
	if (rc < 0)
		goto fail_group;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->ev};
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, l->tap_fd, &ev) < 0) {
		rc = -errno;
		vsock_rebuild(d, l->sock, NULL, l);
		goto fail_group;
	}
	l->sock->nlinks++;
	l->next = d->links;
	d->links = l;
	log_info("link %s: vni %u dstport %u mtu %u%s%s", cfg->name, cfg->vni, cfg->dstport, l->mtu,
		 cfg->netns[0] ? " netns " : "", cfg->netns);
	event_link(d, l, CTL_EVENT_LINK_ADDED);
	return 0;

fail_group:
	if (cfg->group.family)
		udp_group_leave(l->sock->fd, &cfg->group, dev_ifindex);
fail_sock:
	vsock_put(d, l->sock);
fail:
	link_free(l);
	if (!*why)
		*why = strerror(-rc);
	return rc;
}

static void link_remove(struct daemon *d, struct link *l)
{
	epoll_ctl(d->epfd, EPOLL_CTL_DEL, l->tap_fd, NULL);
	if (l->cfg.group.family)
		udp_group_leave(l->sock->fd, &l->cfg.group, l->dev_ifindex);
	vsock_rebuild(d, l->sock, NULL, l);
	l->sock->nlinks--;
	vsock_put(d, l->sock);
	/* Close the TAP now (the name becomes free at once) but free the memory
	 * in daemon_reap: the current epoll batch may still point at it. */
	close(l->tap_fd);
	l->tap_fd = -1;
	l->dead = true;
	l->next = d->dead_links;
	d->dead_links = l;
}

void daemon_reap(struct daemon *d)
{
	while (d->dead_links) {
		struct link *l = d->dead_links;
		d->dead_links = l->next;
		link_free(l);
	}
	while (d->dead_socks) {
		struct vsock *s = d->dead_socks;
		d->dead_socks = s->next;
		free(s);
	}
}

int daemon_link_del(struct daemon *d, const char *name, const char **why)
{
	for (struct link **pp = &d->links; *pp; pp = &(*pp)->next) {
		struct link *l = *pp;
		if (strcmp(l->cfg.name, name))
			continue;
		*pp = l->next;
		event_link(d, l, CTL_EVENT_LINK_DELETED);
		log_info("link %s: deleted", name);
		link_remove(d, l);
		return 0;
	}
	*why = "no such link";
	return -ENODEV;
}

void daemon_links_free(struct daemon *d)
{
	while (d->links) {
		struct link *l = d->links;
		d->links = l->next;
		link_remove(d, l);
	}
}

struct age_ctx {
	struct daemon *d;
	struct link *l;
};

static void aged_cb(const struct fdb_entry *e, void *arg)
{
	struct age_ctx *c = arg;
	event_fdb(c->d, c->l, CTL_EVENT_AGED, e->mac, &e->remotes[0], e->state);
}

/* Runs once a second: expire learned entries, and pick up a MAC address the
 * user changed with `ip link set address` (used for loop detection). */
void daemon_age(struct daemon *d)
{
	uint64_t now = now_ms();
	for (struct link *l = d->links; l; l = l->next) {
		struct age_ctx c = {d, l};
		fdb_age(l->fdb, now, aged_cb, &c);
		tap_get_mac(l->tap_fd, l->cfg.address);
	}
}
