/* user_sock: the user datapath's UDP sockets. One receive group per
 * (family, dstport), shared by every link on that port (a SO_REUSEPORT
 * socket per worker), with a table that finds a VNI's link in one probe or
 * two, and the multicast groups the links joined, counted per user so that
 * two VNIs can share a group (the socket joins for the first and leaves
 * with the last). Also each worker's raw sending sockets. Everything that
 * changes a socket runs with the workers parked (user_pause). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "udp.h"
#include "user.h"

/* ---- VNI table of a socket ---- */

static unsigned vni_slot(uint32_t vni, unsigned cap)
{
	return (vni * 2654435761u) & (cap - 1);
}

struct ulink *vsock_lookup(const struct vsock *s, uint32_t vni)
{
	if (!s->vni_cap)
		return NULL;
	for (unsigned i = vni_slot(vni, s->vni_cap);; i = (i + 1) & (s->vni_cap - 1)) {
		struct ulink *l = s->vni_tab[i];
		if (!l)
			return NULL;
		if (l->cfg.vni == vni)
			return l;
	}
}

static void vni_insert(struct ulink **tab, unsigned cap, struct ulink *l)
{
	unsigned i = vni_slot(l->cfg.vni, cap);
	while (tab[i])
		i = (i + 1) & (cap - 1);
	tab[i] = l;
}

/* Rebuild the table from the provider's links: links change rarely, and a
 * rebuild keeps deletion trivial for open addressing. Workers parked. */
int vsock_rebuild(struct dp_user *u, struct vsock *s, struct ulink *extra, struct ulink *skip)
{
	unsigned n = 0;
	for (struct ulink *l = u->links; l; l = l->next)
		if (l->sock == s && l != skip)
			n++;
	if (extra)
		n++;
	unsigned cap = 8;
	while (cap < 2 * n)
		cap <<= 1;
	struct ulink **tab = calloc(cap, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	for (struct ulink *l = u->links; l; l = l->next)
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

/* A router said a path is smaller (the kernel noted it): ask what it
 * carries now, so the next too-big frame is answered with it. */
static void tx_errors(struct loop_src *src, uint32_t events)
{
	fwd_tx_event(src->obj, src->fd, events);
}

int uworker_tx_socket(struct uworker *w, int family, bool df)
{
	int f = family == AF_INET6;
	int *fd = &w->tx_fd[f][df];
	if (*fd < 0) {
		*fd = udp_tx_open(family, df);
		/* No events asked: epoll reports EPOLLERR on its own. */
		if (*fd >= 0)
			loop_add(w->loop, *fd, 0, &w->tx_src[f][df], tx_errors, w);
	}
	return *fd;
}

static void vsock_input(struct loop_src *src, uint32_t events)
{
	(void)events;
	struct vsock_q *q = src->obj;
	fwd_udp_input(q->w, q);
}

struct vsock *vsock_find(struct dp_user *u, int family, uint16_t port)
{
	for (struct vsock *s = u->socks; s; s = s->next)
		if (s->family == family && s->port == port)
			return s;
	return NULL;
}

static void vsock_free(struct dp_user *u, struct vsock *s)
{
	for (unsigned i = 0; i < s->nq; i++) {
		int fd = s->q[i].src.fd;
		if (fd >= 0) {
			loop_del(s->q[i].w->loop, &s->q[i].src);
			close(fd);
		}
	}
	(void)u;
	free(s->q);
	free(s->vni_tab);
	free(s);
}

/* Workers parked. */
int vsock_get(struct dp_user *u, int family, uint16_t port, struct vsock **out, const char **why)
{
	struct vsock *s = vsock_find(u, family, port);
	if (s) {
		*out = s;
		return 0;
	}
	/* Can this family send at all? */
	int probe = udp_tx_open(family, true);
	if (probe < 0) {
		*why = family == AF_INET6 ? "cannot open IPv6 sending socket (IPv6 disabled?)"
					  : "cannot open IPv4 sending socket";
		return probe;
	}
	close(probe);
	int fds[UW_MAX];
	int rc = udp_rx_open(family, port, u->nw, fds);
	if (rc < 0) {
		*why = rc == -EADDRINUSE    ? "UDP port in use (by a kernel vxlan device or another program?)"
		       : family == AF_INET6 ? "cannot open IPv6 UDP socket (IPv6 disabled?)"
					    : "cannot open UDP socket";
		return rc;
	}
	s = calloc(1, sizeof(*s));
	struct vsock_q *q = aligned_alloc(64, u->nw * sizeof(*q));
	if (!s || !q) {
		free(s);
		free(q);
		for (unsigned i = 0; i < u->nw; i++)
			close(fds[i]);
		return -ENOMEM;
	}
	memset(q, 0, u->nw * sizeof(*q));
	s->u = u;
	s->family = family;
	s->port = port;
	s->q = q;
	s->nq = u->nw;
	for (unsigned i = 0; i < u->nw; i++) {
		q[i].s = s;
		q[i].w = u->w[i];
		q[i].src.fd = -1;
	}
	for (unsigned i = 0; i < u->nw; i++) {
		rc = loop_add(u->w[i]->loop, fds[i], EPOLLIN, &q[i].src, vsock_input, &q[i]);
		if (rc < 0) {
			for (unsigned j = i; j < u->nw; j++)
				close(fds[j]);
			vsock_free(u, s);
			return rc;
		}
	}
	s->next = u->socks;
	u->socks = s;
	*out = s;
	return 0;
}

/* Join group on s for one more link; the socket joins only for the first. */
int vsock_join(struct vsock *s, const struct vx_addr *g, uint32_t ifindex)
{
	for (struct vgroup *x = s->groups; x; x = x->next) {
		if (addr_equal(&x->group, g) && x->ifindex == ifindex) {
			x->users++;
			return 0;
		}
	}
	struct vgroup *x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	int rc = udp_group_join(s->q[0].src.fd, g, ifindex);
	if (rc < 0) {
		free(x);
		return rc;
	}
	x->group = *g;
	x->ifindex = ifindex;
	x->users = 1;
	x->next = s->groups;
	s->groups = x;
	return 0;
}

/* One link less on group; the socket leaves with the last. */
void vsock_leave(struct vsock *s, const struct vx_addr *g, uint32_t ifindex)
{
	for (struct vgroup **pp = &s->groups; *pp; pp = &(*pp)->next) {
		struct vgroup *x = *pp;
		if (!addr_equal(&x->group, g) || x->ifindex != ifindex)
			continue;
		if (--x->users == 0) {
			udp_group_leave(s->q[0].src.fd, g, ifindex);
			*pp = x->next;
			free(x);
		}
		return;
	}
}

void vsock_put(struct dp_user *u, struct vsock *s)
{
	if (s->nlinks)
		return;
	for (struct vsock **pp = &u->socks; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	}
	while (s->groups) {
		struct vgroup *x = s->groups;
		s->groups = x->next;
		free(x);
	}
	vsock_free(u, s);
}
