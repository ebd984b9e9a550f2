/* user_tx: the transmit path of the userspace datapath (TAP -> underlay),
 * apart from the receive path (user_rx.c) because it is a pipeline of its
 * own: its queue of copies, its sockets, their backpressure.
 *
 * Read a batch of frames from the TAP into a preallocated arena; complete
 * left-over checksums and cut TSO super-frames into segments
 * (lib/offload.c); then, in the kernel's order: proxy ARP/ND
 * -> too-big check -> exact MAC -> all-zeros flood list (one copy per remote)
 * -> drop + l2miss. Copies are queued as mmsghdrs pointing at the frame in
 * place (no copy of the payload) behind a per-copy 16-byte UDP+VXLAN header,
 * and sent with one sendmmsg per batch.
 *
 * It runs on one worker, as all the packet path (see user_fwd.c). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/udp.h>
#include <sys/uio.h>

#include "../log.h"
#include "gso_pool.h"
#include "udp.h"
#include "user_fwd_priv.h"
#include "vxnet/offload.h"
#include "vxnet/proto.h"

/* Stop reading this worker's TAP queues until fd has room: the frames
 * wait in the TAP, as they wait in a qdisc in front of a full device. */
static void tx_block(struct uworker *w, int fd)
{
	if (w->tap_paused)
		return;
	w->tap_paused = true;
	w->blocked_fd = fd;
	ustat_add(&w->tx_blocked, 1);
	for (int f = 0; f < 2; f++)
		for (int df = 0; df < 2; df++)
			if (w->tx_fd[f][df] == fd)
				loop_mod(w->loop, &w->tx_src[f][df], EPOLLOUT);
	for (struct ulink *l = w->u->links; l; l = l->next)
		if (l->q[w->id].src.fd >= 0 && !atomic_load_explicit(&l->detached, memory_order_relaxed))
			loop_mod(w->loop, &l->q[w->id].src, 0);
}

static void tx_unblock(struct uworker *w)
{
	if (!w->tap_paused)
		return;
	w->tap_paused = false;
	for (int f = 0; f < 2; f++)
		for (int df = 0; df < 2; df++)
			if (w->tx_fd[f][df] == w->blocked_fd)
				loop_mod(w->loop, &w->tx_src[f][df], 0);
	w->blocked_fd = -1;
	for (struct ulink *l = w->u->links; l; l = l->next)
		if (l->q[w->id].src.fd >= 0 && !atomic_load_explicit(&l->detached, memory_order_relaxed))
			loop_mod(w->loop, &l->q[w->id].src, EPOLLIN);
}

static void put_cmsg(struct msghdr *mh, int level, int type, const void *data, size_t len);

/* How many copies from i may go as one UDP GSO burst: through the DF
 * socket, to one destination from one source port, with one VXLAN header
 * and the same control messages, all of one length (not the pieces of a
 * fragmented packet, say, which must stay apart on the underlay as they
 * came), 64 KB at most. Small frames of one flow (a UDP stream, a train of TCP
 * ACKs) then cross both hosts' stacks as one packet instead of dozens. */
static unsigned gso_run(const struct uworker *w, const struct dp_fwd *dp, unsigned i)
{
	const struct dp_tx *a = &dp->tx[i];
	const struct msghdr *am = &dp->tx_msgs[i].msg_hdr;
	size_t len = a->iov[1].iov_len, total = 8 + 8 + len;
	if (w->gso_broken || (a->fd != w->tx_fd[0][1] && a->fd != w->tx_fd[1][1]))
		return 1;
	unsigned j = i + 1;
	while (j < dp->ntx && j - i < DP_GSO_MAXSEG) {
		const struct dp_tx *b = &dp->tx[j];
		const struct msghdr *bm = &dp->tx_msgs[j].msg_hdr;
		size_t blen = b->iov[1].iov_len;
		if (b->fd != a->fd || blen != len || total + 8 + blen > 65535 - 40 - 8 || memcmp(b->hdr, a->hdr, 4) ||
		    memcmp(b->hdr + 8, a->hdr + 8, 8) || bm->msg_namelen != am->msg_namelen ||
		    memcmp(&b->dst, &a->dst, am->msg_namelen) || bm->msg_controllen != am->msg_controllen ||
		    (am->msg_controllen && memcmp(b->cmsg, a->cmsg, am->msg_controllen)))
			break;
		total += 8 + blen;
		j++;
	}
	return j - i;
}

/* Send copies i..i+n as one UDP GSO burst. true: sent (or refused for
 * good, counted); false: it cannot go this way now, send it raw. */
static bool gso_send_run(struct uworker *w, struct dp_fwd *dp, unsigned i, unsigned n)
{
	struct dp_tx *a = &dp->tx[i];
	const struct msghdr *am = &dp->tx_msgs[i].msg_hdr;
	int family = a->dst.ss_family;
	uint16_t sport = (uint16_t)(a->hdr[0] << 8 | a->hdr[1]), dport = (uint16_t)(a->hdr[2] << 8 | a->hdr[3]);
	int fd = gso_pool_get(w->gso, family, sport, dp->now);
	if (fd < 0)
		return false;
	struct sockaddr_storage dst = a->dst;
	if (family == AF_INET6)
		((struct sockaddr_in6 *)&dst)->sin6_port = htons(dport);
	else
		((struct sockaddr_in *)&dst)->sin_port = htons(dport);
	struct iovec iov[2 * DP_GSO_MAXSEG];
	for (unsigned k = 0; k < n; k++) {
		iov[2 * k].iov_base = dp->tx[i + k].hdr + 8; /* the VXLAN header: the socket writes UDP's */
		iov[2 * k].iov_len = 8;
		iov[2 * k + 1] = dp->tx[i + k].iov[1];
	}
	_Alignas(struct cmsghdr) char ctrl[DP_CMSG_SPACE + 32];
	struct msghdr mh = {.msg_name = &dst,
			    .msg_namelen = am->msg_namelen,
			    .msg_iov = iov,
			    .msg_iovlen = 2 * n,
			    .msg_control = ctrl,
			    .msg_controllen = am->msg_controllen};
	if (am->msg_controllen)
		memcpy(ctrl, a->cmsg, am->msg_controllen);
	uint16_t gso_size = (uint16_t)(8 + a->iov[1].iov_len);
	put_cmsg(&mh, SOL_UDP, UDP_SEGMENT, &gso_size, sizeof(gso_size));
	if (sendmsg(fd, &mh, MSG_DONTWAIT) < 0) {
		if (errno == EIO || errno == EOPNOTSUPP || errno == ENOPROTOOPT) {
			log_info("UDP GSO unavailable (%s): sending segment by segment", strerror(errno));
			w->gso_broken = true;
		}
		/* Full, too big, or no GSO: the raw way decides, one by one. */
		return false;
	}
	for (unsigned k = i; k < i + n; k++) {
		struct ulink_q *q = dp->tx[k].q;
		if (!q)
			continue;
		ustat_add(&q->stats[US_TX_PACKETS], 1);
		ustat_add(&q->stats[US_TX_BYTES], dp->tx[k].iov[1].iov_len);
	}
	return true;
}

/* Send what is queued (from txoff), in runs of copies that share a socket,
 * without blocking: runs of one small flow as UDP GSO bursts, the rest with
 * sendmmsg. true: all sent (or dropped, counted); false: a socket is full,
 * the rest waits and the worker stops reading its TAPs (tx_block). */
static bool dp_tx_flush(struct uworker *w)
{
	struct dp_fwd *dp = w->fwd;
	unsigned off = dp->txoff;
	while (off < dp->ntx) {
		unsigned g = gso_run(w, dp, off);
		if (g > 1 && gso_send_run(w, dp, off, g)) {
			off += g;
			continue;
		}
		/* Raw: up to the next burst that may go as one. */
		unsigned run = off + (g > 1 ? g : 1);
		while (run < dp->ntx && dp->tx[run].fd == dp->tx[off].fd && (g > 1 || gso_run(w, dp, run) < 2))
			run++;
		int n = sendmmsg(dp->tx[off].fd, dp->tx_msgs + off, run - off, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			dp->txoff = off;
			tx_block(w, dp->tx[off].fd);
			return false;
		}
		if (n < 0) {
			/* The first message failed: count it, go on with the rest. */
			struct ulink_q *q = dp->tx[off].q;
			if (errno == ENOBUFS) {
				/* A full device queue dropped it. */
				ustat_add(&w->tx_drop_nobufs, 1);
			} else if (q && errno == EMSGSIZE) {
				/* A router on the way said the path is smaller:
				 * the next too-big frame is answered with it. */
				ustat_add(&q->stats[US_TX_DROP_TOO_BIG], 1);
				pmtu_learn(&w->u->pmtu, &dp->tx[off].rip, loop_now_ms());
			} else if (q) {
				ustat_add(&q->stats[US_TX_ERRORS], 1);
			}
			log_debug("%s: send: %s", q ? q->ul->cfg.name : "(gone)", strerror(errno));
			off++;
			continue;
		}
		for (unsigned i = off; i < off + (unsigned)n; i++) {
			struct ulink_q *q = dp->tx[i].q;
			if (!q)
				continue;
			ustat_add(&q->stats[US_TX_PACKETS], 1);
			ustat_add(&q->stats[US_TX_BYTES], dp->tx[i].iov[1].iov_len);
		}
		off += (unsigned)n;
	}
	dp->ntx = dp->txoff = 0;
	return true;
}

/* The queue or the segment arena is full while a socket is: wait for room
 * (up to a second: the socket drains as fast as the underlay carries),
 * then drop what still waits, counted. */
static void tx_wait(struct uworker *w)
{
	struct dp_fwd *dp = w->fwd;
	while (!dp_tx_flush(w)) {
		struct pollfd p = {.fd = w->blocked_fd, .events = POLLOUT};
		if (poll(&p, 1, 1000) <= 0) {
			ustat_add(&w->tx_drop_blocked, dp->ntx - dp->txoff);
			dp->ntx = dp->txoff = 0;
			break;
		}
	}
	tx_unblock(w);
}

void fwd_tx_event(struct uworker *w, int fd, uint32_t events)
{
	if (events & EPOLLERR) {
		struct vx_addr dsts[16];
		int n = udp_tx_drain_errors(fd, dsts, 16);
		for (int i = 0; i < n; i++)
			pmtu_learn(&w->u->pmtu, &dsts[i], loop_now_ms());
	}
	if ((events & EPOLLOUT) && w->tap_paused && fd == w->blocked_fd) {
		/* Room again: read the TAPs again, after what waited (which may
		 * block again, on this socket or another). */
		tx_unblock(w);
		dp_tx_flush(w);
	}
}

void fwd_forget_link(struct uworker *w, struct ulink *ul)
{
	struct dp_fwd *dp = w->fwd;
	for (unsigned i = dp->txoff; i < dp->ntx; i++)
		if (dp->tx[i].q && dp->tx[i].q->ul == ul)
			dp->tx[i].q = NULL;
}

static void put_cmsg(struct msghdr *mh, int level, int type, const void *data, size_t len)
{
	struct cmsghdr *c = (struct cmsghdr *)((char *)mh->msg_control + mh->msg_controllen);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(c), data, len);
	mh->msg_controllen += CMSG_SPACE(len);
}

/* Source address, outgoing device, TTL and TOS of one outer packet. */
static void put_tx_cmsgs(struct msghdr *mh, const struct ulink *l, const struct fdb_remote *r, const uint8_t *frame,
			 size_t len)
{
	bool mcast = addr_is_multicast(&r->ip);
	uint32_t oif = r->ifindex ? r->ifindex : (mcast ? l->dev_ifindex : 0);
	int ttl = l->cfg.ttl; /* 0 = auto: the socket default, 1 for multicast */
	/* DSCP as configured (or inherited), ECN from the inner packet with
	 * CE sent as ECT(0): RFC 6040's normal mode, as the kernel does. */
	int tos = proto_outer_tos(l->cfg.tos, l->cfg.tos_inherit, frame, len);
	if (l->family == AF_INET) {
		if (oif || l->local.family) {
			struct in_pktinfo pi = {.ipi_ifindex = (int)oif};
			if (l->local.family)
				pi.ipi_spec_dst = l->local.v4;
			put_cmsg(mh, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
		}
		if (ttl)
			put_cmsg(mh, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
		if (tos)
			put_cmsg(mh, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	} else {
		if (oif || l->local.family) {
			struct in6_pktinfo pi = {.ipi6_ifindex = oif};
			if (l->local.family)
				pi.ipi6_addr = l->local.v6;
			put_cmsg(mh, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
		}
		if (ttl)
			put_cmsg(mh, IPPROTO_IPV6, IPV6_HOPLIMIT, &ttl, sizeof(ttl));
		if (tos)
			put_cmsg(mh, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof(tos));
	}
}

/* Queue one copy of frame for remote r, through the DF socket or not. */
static void dp_tx_queue(struct uworker *w, struct ulink_q *q, uint8_t *frame, size_t len, const struct fdb_remote *r,
			uint16_t sport, bool df)
{
	struct dp_fwd *dp = w->fwd;
	struct ulink *l = q->ul;
	if (r->ip.family != l->family) {
		ustat_add(&q->stats[US_TX_ERRORS], 1); /* refused at configuration; learning cannot mix families */
		return;
	}
	int fd = uworker_tx_socket(w, l->family, df);
	if (fd < 0) {
		ustat_add(&q->stats[US_TX_ERRORS], 1);
		return;
	}
	if (dp->ntx == DP_TXQ && !dp_tx_flush(w))
		tx_wait(w);
	struct dp_tx *t = &dp->tx[dp->ntx];
	struct mmsghdr *m = &dp->tx_msgs[dp->ntx];
	uint16_t ulen = (uint16_t)(8 + VXLAN_HLEN + len);
	t->hdr[0] = (uint8_t)(sport >> 8);
	t->hdr[1] = (uint8_t)sport;
	t->hdr[2] = (uint8_t)(r->port >> 8);
	t->hdr[3] = (uint8_t)r->port;
	t->hdr[4] = (uint8_t)(ulen >> 8);
	t->hdr[5] = (uint8_t)ulen;
	t->hdr[6] = t->hdr[7] = 0; /* IPv4: zero checksum; IPv6: filled by the kernel */
	proto_vxlan_build(t->hdr + 8, VXLAN_HLEN, r->vni);
	t->iov[0].iov_base = t->hdr;
	t->iov[0].iov_len = sizeof(t->hdr);
	t->iov[1].iov_base = frame;
	t->iov[1].iov_len = len;
	t->q = q;
	t->fd = fd;
	t->rip = r->ip;
	socklen_t sl;
	addr_to_sockaddr(&r->ip, 0, &t->dst, &sl); /* raw sockets take port 0 */
	memset(&m->msg_hdr, 0, sizeof(m->msg_hdr));
	m->msg_hdr.msg_name = &t->dst;
	m->msg_hdr.msg_namelen = sl;
	m->msg_hdr.msg_iov = t->iov;
	m->msg_hdr.msg_iovlen = 2;
	m->msg_hdr.msg_control = t->cmsg;
	m->msg_hdr.msg_controllen = 0;

	put_tx_cmsgs(&m->msg_hdr, l, r, frame, len);
	if (!m->msg_hdr.msg_controllen)
		m->msg_hdr.msg_control = NULL;
	dp->ntx++;
}

/* Proxy ARP / ND (kernel arp_reduce / neigh_reduce). Returns true when the
 * frame was consumed. Gratuitous ARP, ARP probes and DAD solicitations are
 * left alone so that they cross the overlay untouched. */
static bool dp_proxy(struct uworker *w, struct ulink_q *q, const uint8_t *f, size_t len)
{
	struct dp_fwd *dp = w->fwd;
	struct ulink *l = q->ul;
	uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
	struct vx_addr ip = {0};
	uint8_t mac[MAC_LEN];
	int n;
	if (type == 0x0806) {
		struct proto_arp_req req;
		if (proto_arp_parse_request(f, len, &req) < 0)
			return false;
		if (req.spa.s_addr == 0 || req.spa.s_addr == req.tpa.s_addr)
			return false;
		ip.family = AF_INET;
		ip.v4 = req.tpa;
		if (neigh_lookup(l->neigh, &ip, mac) < 0)
			goto miss;
		n = proto_arp_build_reply(dp->reply, sizeof(dp->reply), &req, mac);
	} else if (type == 0x86dd) {
		struct proto_nd_ns ns;
		if (proto_nd_parse_ns(f, len, &ns) < 0)
			return false;
		if (IN6_IS_ADDR_UNSPECIFIED(&ns.saddr))
			return false;
		ip.family = AF_INET6;
		ip.v6 = ns.target;
		if (neigh_lookup(l->neigh, &ip, mac) < 0)
			goto miss;
		n = proto_nd_build_na(dp->reply, sizeof(dp->reply), &ns, mac);
	} else {
		return false;
	}
	if (n > 0) {
		fwd_tap_write(q, NULL, dp->reply, (size_t)n);
		ustat_add(&q->stats[US_PROXY_REPLIES], 1);
	}
	return true;
miss:
	ustat_add(&q->stats[US_PROXY_MISSES], 1);
	struct uevent ev = {.type = UEV_L3MISS, .ul = l, .ip = ip};
	uworker_upcall(w, &ev);
	return true;
}

static const uint8_t zero_mac[MAC_LEN];

/* Send segments (each with VXLAN_HLEN bytes of headroom, back to back) to r
 * as UDP GSO bursts: one trip through the stack per burst instead of one per
 * segment. Returns how many segments were sent; the caller sends the rest
 * on the raw path. */
static int dp_tx_gso(struct uworker *w, struct ulink_q *q, struct offload_seg *segs, int nseg,
		     const struct fdb_remote *r, uint16_t sport)
{
	struct ulink *l = q->ul;
	if (w->gso_broken || nseg < 2)
		return 0;
	int fd = gso_pool_get(w->gso, l->family, sport, w->fwd->now);
	if (fd < 0)
		return 0;
	/* Keep the flow in order: earlier frames queued for the raw path go
	 * first (and if they cannot, so must these). */
	if (!dp_tx_flush(w))
		return 0;
	struct sockaddr_storage dst;
	socklen_t sl;
	addr_to_sockaddr(&r->ip, r->port, &dst, &sl);
	int sent = 0;
	/* A burst is one UDP datagram to the stack: at most 64 KB with headers. */
	int per_burst = (int)((65535 - 48 - 8) / (VXLAN_HLEN + segs[0].len));
	if (per_burst > DP_GSO_MAXSEG)
		per_burst = DP_GSO_MAXSEG;
	if (per_burst < 2)
		return 0;
	while (sent < nseg) {
		int n = nseg - sent < per_burst ? nseg - sent : per_burst;
		size_t bytes = 0;
		for (int i = sent; i < sent + n; i++) {
			proto_vxlan_build(segs[i].data - VXLAN_HLEN, VXLAN_HLEN, r->vni);
			bytes += segs[i].len;
		}
		uint8_t *start = segs[sent].data - VXLAN_HLEN;
		struct iovec iov = {
		    .iov_base = start,
		    .iov_len = (size_t)(segs[sent + n - 1].data + segs[sent + n - 1].len - start),
		};
		_Alignas(struct cmsghdr) char ctrl[DP_CMSG_SPACE + 32];
		struct msghdr mh = {
		    .msg_name = &dst, .msg_namelen = sl, .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl};
		uint16_t gso_size = (uint16_t)(VXLAN_HLEN + segs[sent].len);
		put_cmsg(&mh, SOL_UDP, UDP_SEGMENT, &gso_size, sizeof(gso_size));
		put_tx_cmsgs(&mh, l, r, segs[sent].data, segs[sent].len);
		if (sendmsg(fd, &mh, MSG_DONTWAIT) < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
				/* Full: the rest goes the raw way, in order, and waits there. */
				return sent;
			}
			if (errno == EIO || errno == EOPNOTSUPP || errno == ENOPROTOOPT) {
				log_info("UDP GSO unavailable (%s): sending segment by segment", strerror(errno));
				w->gso_broken = true;
			} else if (errno == EMSGSIZE) {
				ustat_add(&q->stats[US_TX_DROP_TOO_BIG], (uint64_t)n);
				pmtu_learn(&w->u->pmtu, &r->ip, loop_now_ms());
				sent += n;
				continue;
			}
			return sent;
		}
		ustat_add(&q->stats[US_TX_PACKETS], (uint64_t)n);
		ustat_add(&q->stats[US_TX_BYTES], bytes);
		sent += n;
	}
	return sent;
}

/* The outer DF bit of a frame's copies (link option df, as the kernel's
 * vxlan_xmit_one decides it for `df inherit`). */
static bool tx_df(const struct ulink *l, const uint8_t *f, size_t len)
{
	switch (l->cfg.df) {
	case LINK_DF_UNSET:
		return false;
	case LINK_DF_INHERIT: {
		uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
		if (type == 0x86dd)
			return true;
		return type == 0x0800 && len >= 14 + 20 && (f[14 + 6] & 0x40);
	}
	default:
		return true;
	}
}

/* The largest inner packet the path to ip carries: the link's limit, or
 * less where a router on the way said so. */
static unsigned path_limit_to(struct dp_user *d, const struct ulink *l, const struct vx_addr *ip, uint64_t now)
{
	unsigned pm = pmtu_get(&d->pmtu, ip, now);
	unsigned overhead = l->family == AF_INET6 ? VXLAN_OVERHEAD_V6 : VXLAN_OVERHEAD_V4;
	unsigned limit = atomic_load_explicit(&l->path_limit, memory_order_relaxed);
	if (pm > overhead && pm - overhead < limit)
		return pm - overhead;
	return limit;
}

/* Is ip one of this namespace's own addresses (localbypass)? */
static bool is_local(const struct dp_user *d, const struct vx_addr *ip)
{
	if (ip->family == AF_INET && (ntohl(ip->v4.s_addr) >> 24) == 127)
		return true;
	if (ip->family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&ip->v6))
		return true;
	for (unsigned i = 0; i < d->n_local; i++)
		if (addr_equal(&d->local_addrs[i], ip))
			return true;
	return false;
}

/* localbypass (the kernel's default): a copy for a VNI this daemon serves
 * on a local address is handed to that link directly, learned from the
 * loopback address as the kernel does; none such: dropped, counted. */
static void tx_bypass(struct uworker *w, struct ulink_q *q, struct offload_seg *segs, int nseg,
		      const struct fdb_remote *r)
{
	struct ulink *l = q->ul;
	struct vsock *s = vsock_find(w->u, l->family, r->port);
	struct ulink *dst = s ? vsock_lookup(s, r->vni) : NULL;
	if (!dst) {
		ustat_add(&q->stats[US_TX_DROP_BYPASS], (uint64_t)nseg);
		return;
	}
	struct ulink_q *dq = uq_use(w, dst);
	struct vx_addr lo = {.family = (sa_family_t)l->family};
	if (l->family == AF_INET6)
		lo.v6 = in6addr_loopback;
	else
		lo.v4.s_addr = htonl(INADDR_LOOPBACK);
	for (int j = 0; j < nseg; j++) {
		ustat_add(&q->stats[US_TX_BYPASS], 1);
		ustat_add(&q->stats[US_TX_PACKETS], 1);
		ustat_add(&q->stats[US_TX_BYTES], segs[j].len);
		fwd_rx_frame(w, dq, segs[j].data, segs[j].len, &lo, 0);
	}
}

static void dp_tx_frame(struct uworker *w, struct ulink_q *q, const struct virtio_net_hdr *vh, uint8_t *f, size_t len)
{
	struct dp_fwd *dp = w->fwd;
	struct dp_user *d = w->u;
	struct ulink *l = q->ul;
	if (len < 14) {
		ustat_add(&q->stats[US_TX_DROP_RUNT], 1);
		return;
	}
	struct offload_seg one = {f, len}, *segs = &one;
	int nseg = 1;
	if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		/* Make room for the worst case: every segment repeats the headers. */
		if (DP_SEG_ARENA - dp->seg_used < 65536 + (size_t)DP_MAXSEG * 160) {
			/* The queued copies point into the arena. */
			if (!dp_tx_flush(w))
				tx_wait(w);
			dp->seg_used = 0;
		}
		nseg = offload_tso_segment(f, len, vh, VXLAN_HLEN, dp->seg_arena + dp->seg_used,
					   DP_SEG_ARENA - dp->seg_used, dp->segs, DP_MAXSEG);
		if (nseg < 0) {
			ustat_add(&q->stats[US_TX_ERRORS], 1);
			return;
		}
		segs = dp->segs;
		dp->seg_used = (size_t)(segs[nseg - 1].data + segs[nseg - 1].len - dp->seg_arena);
	} else if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (offload_csum_complete(f, len, vh->csum_start, vh->csum_offset) < 0) {
			ustat_add(&q->stats[US_TX_ERRORS], 1);
			return;
		}
	} else if (l->cfg.proxy && dp_proxy(w, q, f, len)) {
		return;
	}
	/* A copy of the entry: the table may change meanwhile (the core's
	 * thread writes it); a flood list's remotes stay valid until this
	 * worker's turn ends. */
	struct fdb_copy c;
	if (!fdb_read(l->fdb, f, &c) && !fdb_read(l->fdb, zero_mac, &c)) {
		ustat_add(&q->stats[US_TX_DROP_NO_FDB], 1);
		if (!mac_is_multicast(f)) {
			struct uevent ev = {.type = UEV_L2MISS, .ul = l};
			memcpy(ev.mac, f, MAC_LEN);
			uworker_upcall(w, &ev);
		}
		return;
	}
	const struct fdb_entry *e = &c.e;
	bool df = tx_df(l, f, len);
	size_t payload = segs[0].len - 14;
	bool told = false;
	uint64_t now = dp->now;
	uint16_t sport = proto_srcport(proto_flow_hash(f, len), l->cfg.srcport_min, l->cfg.srcport_max);
	for (unsigned i = 0; i < e->n_remotes; i++) {
		const struct fdb_remote *r = &e->remotes[i];
		if (l->cfg.localbypass && is_local(d, &r->ip)) {
			tx_bypass(w, q, segs, nseg, r);
			continue;
		}
		/* Never fragment the outer packet (RFC 7348 section 4.3) unless
		 * `df` says otherwise: tell the sender what fits, once. */
		unsigned limit = path_limit_to(d, l, &r->ip, now);
		if (df && payload > limit && now - q->limit_checked >= 100) {
			/* The underlay may have grown since the last tick: look
			 * before telling anyone to shrink (at most every 100 ms). */
			q->limit_checked = now;
			user_refresh_limit(d, l, 0);
			limit = path_limit_to(d, l, &r->ip, now);
		}
		if (df && payload > limit) {
			/* Without DF too (IPv4): nobody on the path may fragment,
			 * and a Linux sender takes frag-needed into its route. */
			int n = told ? -1 : proto_too_big_build_any(dp->reply, sizeof(dp->reply), f, len, limit);
			if (n > 0 && fwd_tap_write(q, NULL, dp->reply, (size_t)n) == 0) {
				ustat_add(&q->stats[US_TX_ICMP_TOO_BIG], 1);
			} else if (!told && fwd_log_due(&q->big_logged)) {
				/* No ICMP may answer it (not IP, an ICMP error
				 * itself...): say so rather than drop unseen. */
				log_info("%s: dropped a %zu-byte frame above the path's %u that no ICMP can answer "
					 "(counted tx_drop_too_big)",
					 l->cfg.name, payload, limit);
			}
			told = true;
			ustat_add(&q->stats[US_TX_DROP_TOO_BIG], 1);
			continue;
		}
		/* UDP GSO sockets send with DF: other frames go the raw way. */
		int j = segs == dp->segs && df ? dp_tx_gso(w, q, segs, nseg, r, sport) : 0;
		for (; j < nseg; j++)
			dp_tx_queue(w, q, segs[j].data, segs[j].len, r, sport, df);
	}
}

void fwd_tap_input(struct uworker *w, struct ulink_q *q)
{
	struct dp_fwd *dp = w->fwd;
	struct ulink *l = q->ul;
	/* Stopped reading (a socket is full): an event of this turn's batch. */
	if (w->tap_paused)
		return;
	uq_use(w, l);
	dp->seg_used = 0;
	dp->now = loop_now_ms();
	for (unsigned i = 0; i < DP_BATCH && !w->tap_paused; i++) {
		uint8_t *f = dp->tx_arena + (size_t)i * DP_SLOT;
		ssize_t n = read(q->src.fd, f, DP_SLOT);
		if (n < 0) {
			if (errno == EBADFD) {
				/* The device was deleted under us: stop watching the
				 * fd (it would stay readable) and let the core's
				 * reconcile make it again. */
				atomic_store(&l->detached, true);
				loop_mod(w->loop, &q->src, 0);
			} else if (errno != EAGAIN && errno != EINTR) {
				log_debug("%s: tap read: %s", l->cfg.name, strerror(errno));
			}
			break;
		}
		if (n < OFFLOAD_VNET_HLEN) {
			ustat_add(&q->stats[US_TX_DROP_RUNT], 1);
			continue;
		}
		struct virtio_net_hdr vh;
		memcpy(&vh, f, sizeof(vh));
		dp_tx_frame(w, q, &vh, f + OFFLOAD_VNET_HLEN, (size_t)n - OFFLOAD_VNET_HLEN);
	}
	dp_tx_flush(w);
	fwd_gro_flush(w); /* what localbypass handed over */
}
