/* user_fwd: the packet path of the userspace datapath.
 *
 * Transmit (TAP -> underlay): read a batch of frames from the TAP into a
 * preallocated arena; complete left-over checksums and cut TSO super-frames
 * into segments (lib/offload.c); then, in the kernel's order: proxy ARP/ND
 * -> too-big check -> exact MAC -> all-zeros flood list (one copy per remote)
 * -> drop + l2miss. Copies are queued as mmsghdrs pointing at the frame in
 * place (no copy of the payload) behind a per-copy 16-byte UDP+VXLAN header,
 * and sent with one sendmmsg per batch.
 *
 * Receive (underlay -> TAP): recvmmsg a batch into the arena; check the VXLAN
 * header, find the link by VNI, drop loops, learn; consecutive segments of
 * one TCP flow are merged (inner GRO) and written into the TAP as one
 * super-frame, everything else is written as it came.
 *
 * Nothing here allocates after dp_new(). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netinet/udp.h>
#include <sys/uio.h>

#include "../log.h"
#include "gso_pool.h"
#include "udp.h"
#include "user.h"
#include "vxnet/offload.h"
#include "vxnet/proto.h"

#define DP_BATCH 64		/* frames per TAP turn, datagrams per recvmmsg */
#define DP_SLOT (65536 + 64)	/* one frame or datagram, largest possible */
#define DP_TXQ 512		/* queued copies before a forced flush */
#define DP_SEG_ARENA (1u << 20) /* segments cut from TSO frames in one batch */
#define DP_MAXSEG 2048		/* segments of one super-frame: 64 KB at MSS 32 */
#define DP_GRO_CAP (65536 + 256)
#define DP_GSO_MAXSEG 64  /* UDP_MAX_SEGMENTS of older kernels */
#define DP_GSO_MAXFD 4096 /* open GSO sockets at most (one per source port in use) */
#define DP_RX_TURNS 4	  /* recvmmsg calls per readiness event: fairness */
#define DP_CMSG_SPACE 96

struct dp_tx {
	uint8_t hdr[16]; /* UDP header + VXLAN header */
	struct sockaddr_storage dst;
	_Alignas(struct cmsghdr) char cmsg[DP_CMSG_SPACE];
	struct iovec iov[2];
	struct ulink *link;
	int fd;		    /* the raw socket (DF or not) this copy goes through */
	struct vx_addr rip; /* its remote, for what the path MTU teaches */
};

struct dp_fwd {
	uint8_t *arena; /* DP_BATCH * DP_SLOT */
	struct mmsghdr rx_msgs[DP_BATCH];
	struct iovec rx_iov[DP_BATCH];
	struct sockaddr_storage rx_addr[DP_BATCH];
	_Alignas(struct cmsghdr) char rx_ctrl[DP_BATCH][64];
	struct mmsghdr tx_msgs[DP_TXQ];
	struct dp_tx tx[DP_TXQ];
	unsigned ntx;
	uint8_t *seg_arena; /* DP_SEG_ARENA */
	size_t seg_used;
	struct offload_seg segs[DP_MAXSEG];
	struct offload_gro gro;
	struct ulink *gro_link;
	uint8_t *gro_buf;
	uint8_t reply[2048]; /* locally generated ARP replies, NAs, ICMP errors */
};

struct dp_fwd *fwd_new(void)
{
	struct dp_fwd *dp = calloc(1, sizeof(*dp));
	if (!dp)
		return NULL;
	dp->arena = malloc((size_t)DP_BATCH * DP_SLOT);
	dp->seg_arena = malloc(DP_SEG_ARENA);
	dp->gro_buf = malloc(DP_GRO_CAP);
	if (!dp->arena || !dp->seg_arena || !dp->gro_buf) {
		fwd_free(dp);
		errno = ENOMEM;
		return NULL;
	}
	offload_gro_init(&dp->gro, dp->gro_buf, DP_GRO_CAP);
	return dp;
}

void fwd_free(struct dp_fwd *dp)
{
	if (!dp)
		return;
	free(dp->arena);
	free(dp->seg_arena);
	free(dp->gro_buf);
	free(dp);
}

static uint8_t *slot(struct dp_fwd *dp, unsigned i)
{
	return dp->arena + (size_t)i * DP_SLOT;
}

/* Rate limit of the packet path's log lines: one per 10 s per kind and link. */
static bool log_due(uint64_t *last)
{
	uint64_t now = loop_now_ms();
	if (*last && now - *last < 10000)
		return false;
	*last = now;
	return true;
}

/* Every TAP write starts with a virtio-net header; vh NULL = plain frame. */
static int tap_write(struct ulink *l, const struct virtio_net_hdr *vh, const uint8_t *frame, size_t len)
{
	static const struct virtio_net_hdr plain;
	struct iovec iov[2] = {
	    {.iov_base = (void *)(vh ? vh : &plain), .iov_len = sizeof(*vh)},
	    {.iov_base = (void *)frame, .iov_len = len},
	};
	ssize_t n = writev(l->tap_fd, iov, 2);
	if (n == (ssize_t)(sizeof(*vh) + len))
		return 0;
	int e = n < 0 ? errno : EMSGSIZE;
	/* The kernel refuses frames for a TAP that is not up with EIO: a
	 * state of the device, not a fault, and counted apart as the kernel
	 * counts its own drops by reason. */
	l->stats[e == EIO ? US_RX_DROP_DOWN : US_RX_DROP_TAP]++;
	if (log_due(&l->down_logged)) {
		log_info("%s: frame not written into the TAP: %s%s", l->cfg->name, strerror(e),
			 e == EIO ? " (device down)" : "");
	}
	return -1;
}

/* ---- transmit ---- */

/* Send what is queued, in runs of copies that share a socket. */
static void dp_tx_flush(struct dp_user *d, struct dp_fwd *dp)
{
	unsigned off = 0;
	while (off < dp->ntx) {
		unsigned run = off + 1;
		while (run < dp->ntx && dp->tx[run].fd == dp->tx[off].fd)
			run++;
		int n = sendmmsg(dp->tx[off].fd, dp->tx_msgs + off, run - off, 0);
		if (n < 0) {
			/* The first message failed: count it, go on with the rest. */
			struct ulink *l = dp->tx[off].link;
			if (errno == EMSGSIZE) {
				/* A router on the way said the path is smaller:
				 * the next too-big frame is answered with it. */
				l->stats[US_TX_DROP_TOO_BIG]++;
				pmtu_learn(&d->pmtu, &dp->tx[off].rip, loop_now_ms());
			} else {
				l->stats[US_TX_ERRORS]++;
			}
			log_debug("%s: send: %s", l->cfg->name, strerror(errno));
			off++;
			continue;
		}
		for (unsigned i = off; i < off + (unsigned)n; i++) {
			struct ulink *l = dp->tx[i].link;
			l->stats[US_TX_PACKETS]++;
			l->stats[US_TX_BYTES] += dp->tx[i].iov[1].iov_len;
		}
		off += (unsigned)n;
	}
	dp->ntx = 0;
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
	int ttl = l->cfg->ttl; /* 0 = auto: the socket default, 1 for multicast */
	/* DSCP as configured (or inherited), ECN from the inner packet with
	 * CE sent as ECT(0): RFC 6040's normal mode, as the kernel does. */
	int tos = proto_outer_tos(l->cfg->tos, l->cfg->tos_inherit, frame, len);
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
static void dp_tx_queue(struct dp_user *d, struct dp_fwd *dp, struct ulink *l, uint8_t *frame, size_t len,
			const struct fdb_remote *r, uint16_t sport, bool df)
{
	if (r->ip.family != l->family) {
		l->stats[US_TX_ERRORS]++; /* refused at configuration; learning cannot mix families */
		return;
	}
	int fd = user_tx_socket(d, l->family, df);
	if (fd < 0) {
		l->stats[US_TX_ERRORS]++;
		return;
	}
	if (dp->ntx == DP_TXQ)
		dp_tx_flush(d, dp);
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
	t->link = l;
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
static bool dp_proxy(struct dp_user *d, struct dp_fwd *dp, struct ulink *l, const uint8_t *f, size_t len)
{
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
		tap_write(l, NULL, dp->reply, (size_t)n);
		l->stats[US_PROXY_REPLIES]++;
	}
	return true;
miss:
	l->stats[US_PROXY_MISSES]++;
	d->dp.up->l3miss(d->dp.core, l->l, &ip);
	return true;
}

static const uint8_t zero_mac[MAC_LEN];

/* Send segments (each with VXLAN_HLEN bytes of headroom, back to back) to r
 * as UDP GSO bursts: one trip through the stack per burst instead of one per
 * segment. Returns how many segments were sent; the caller sends the rest
 * on the raw path. */
static int dp_tx_gso(struct dp_user *d, struct dp_fwd *dp, struct ulink *l, struct offload_seg *segs, int nseg,
		     const struct fdb_remote *r, uint16_t sport)
{
	if (d->gso_broken || nseg < 2)
		return 0;
	int fd = gso_pool_get(d->gso, l->family, sport, loop_now_ms());
	if (fd < 0)
		return 0;
	/* Keep the flow in order: earlier frames queued for the raw path go first. */
	dp_tx_flush(d, dp);
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
		if (sendmsg(fd, &mh, 0) < 0) {
			if (errno == EIO || errno == EOPNOTSUPP || errno == ENOPROTOOPT) {
				log_info("UDP GSO unavailable (%s): sending segment by segment", strerror(errno));
				d->gso_broken = true;
			} else if (errno == EMSGSIZE) {
				l->stats[US_TX_DROP_TOO_BIG] += (uint64_t)n;
				pmtu_learn(&d->pmtu, &r->ip, loop_now_ms());
				sent += n;
				continue;
			}
			return sent;
		}
		l->stats[US_TX_PACKETS] += (uint64_t)n;
		l->stats[US_TX_BYTES] += bytes;
		sent += n;
	}
	return sent;
}

/* The outer DF bit of a frame's copies (link option df, as the kernel's
 * vxlan_xmit_one decides it for `df inherit`). */
static bool tx_df(const struct ulink *l, const uint8_t *f, size_t len)
{
	switch (l->cfg->df) {
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
	if (pm > overhead && pm - overhead < l->path_limit)
		return pm - overhead;
	return l->path_limit;
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

static void rx_frame(struct dp_user *d, struct ulink *l, uint8_t *f, size_t len, const struct vx_addr *src_ip,
		     uint8_t tos);
static void dp_gro_flush(struct dp_fwd *dp);

/* localbypass (the kernel's default): a copy for a VNI this daemon serves
 * on a local address is handed to that link directly, learned from the
 * loopback address as the kernel does; none such: dropped, counted. */
static void tx_bypass(struct dp_user *d, struct ulink *l, struct offload_seg *segs, int nseg,
		      const struct fdb_remote *r)
{
	struct vsock *s = vsock_find(d, l->family, r->port);
	struct ulink *dst = s ? vsock_lookup(s, r->vni) : NULL;
	if (!dst) {
		l->stats[US_TX_DROP_BYPASS] += (uint64_t)nseg;
		return;
	}
	struct vx_addr lo = {.family = (sa_family_t)l->family};
	if (l->family == AF_INET6)
		lo.v6 = in6addr_loopback;
	else
		lo.v4.s_addr = htonl(INADDR_LOOPBACK);
	for (int j = 0; j < nseg; j++) {
		l->stats[US_TX_BYPASS]++;
		l->stats[US_TX_PACKETS]++;
		l->stats[US_TX_BYTES] += segs[j].len;
		rx_frame(d, dst, segs[j].data, segs[j].len, &lo, 0);
	}
}

static void dp_tx_frame(struct dp_user *d, struct dp_fwd *dp, struct ulink *l, const struct virtio_net_hdr *vh,
			uint8_t *f, size_t len)
{
	if (len < 14) {
		l->stats[US_TX_DROP_RUNT]++;
		return;
	}
	struct offload_seg one = {f, len}, *segs = &one;
	int nseg = 1;
	if (vh->gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		/* Make room for the worst case: every segment repeats the headers. */
		if (DP_SEG_ARENA - dp->seg_used < 65536 + (size_t)DP_MAXSEG * 160) {
			dp_tx_flush(d, dp);
			dp->seg_used = 0;
		}
		nseg = offload_tso_segment(f, len, vh, VXLAN_HLEN, dp->seg_arena + dp->seg_used,
					   DP_SEG_ARENA - dp->seg_used, dp->segs, DP_MAXSEG);
		if (nseg < 0) {
			l->stats[US_TX_ERRORS]++;
			return;
		}
		segs = dp->segs;
		dp->seg_used = (size_t)(segs[nseg - 1].data + segs[nseg - 1].len - dp->seg_arena);
	} else if (vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (offload_csum_complete(f, len, vh->csum_start, vh->csum_offset) < 0) {
			l->stats[US_TX_ERRORS]++;
			return;
		}
	} else if (l->cfg->proxy && dp_proxy(d, dp, l, f, len)) {
		return;
	}
	const struct fdb_entry *e = fdb_lookup(l->fdb, f);
	if (!e)
		e = fdb_lookup(l->fdb, zero_mac);
	if (!e) {
		l->stats[US_TX_DROP_NO_FDB]++;
		if (!mac_is_multicast(f))
			d->dp.up->l2miss(d->dp.core, l->l, f);
		return;
	}
	bool df = tx_df(l, f, len);
	size_t payload = segs[0].len - 14;
	bool told = false;
	uint64_t now = loop_now_ms();
	uint16_t sport = proto_srcport(proto_flow_hash(f, len), l->cfg->srcport_min, l->cfg->srcport_max);
	for (unsigned i = 0; i < e->n_remotes; i++) {
		const struct fdb_remote *r = &e->remotes[i];
		if (l->cfg->localbypass && is_local(d, &r->ip)) {
			tx_bypass(d, l, segs, nseg, r);
			continue;
		}
		/* Never fragment the outer packet (RFC 7348 section 4.3) unless
		 * `df` says otherwise: tell the sender what fits, once. */
		unsigned limit = path_limit_to(d, l, &r->ip, now);
		if (df && payload > limit && now - l->limit_checked >= 100) {
			/* The underlay may have grown since the last tick: look
			 * before telling anyone to shrink (at most every 100 ms). */
			l->limit_checked = now;
			user_refresh_limit(d, l, 0);
			limit = path_limit_to(d, l, &r->ip, now);
		}
		if (df && payload > limit) {
			/* Without DF too (IPv4): nobody on the path may fragment,
			 * and a Linux sender takes frag-needed into its route. */
			int n = told ? -1 : proto_too_big_build_any(dp->reply, sizeof(dp->reply), f, len, limit);
			if (n > 0 && tap_write(l, NULL, dp->reply, (size_t)n) == 0) {
				l->stats[US_TX_ICMP_TOO_BIG]++;
			} else if (!told && log_due(&l->big_logged)) {
				/* No ICMP may answer it (not IP, an ICMP error
				 * itself...): say so rather than drop unseen. */
				log_info("%s: dropped a %zu-byte frame above the path's %u that no ICMP can answer "
					 "(counted tx_drop_too_big)",
					 l->cfg->name, payload, limit);
			}
			told = true;
			l->stats[US_TX_DROP_TOO_BIG]++;
			continue;
		}
		/* UDP GSO sockets send with DF: other frames go the raw way. */
		int j = segs == dp->segs && df ? dp_tx_gso(d, dp, l, segs, nseg, r, sport) : 0;
		for (; j < nseg; j++)
			dp_tx_queue(d, dp, l, segs[j].data, segs[j].len, r, sport, df);
	}
}

void fwd_tap_input(struct dp_user *d, struct ulink *l)
{
	struct dp_fwd *dp = d->fwd;
	dp->seg_used = 0;
	for (unsigned i = 0; i < DP_BATCH; i++) {
		uint8_t *f = slot(dp, i);
		ssize_t n = read(l->tap_fd, f, DP_SLOT);
		if (n < 0) {
			if (errno == EBADFD) {
				/* The device was deleted under us: stop watching the
				 * fd (it would stay readable) and let the core's
				 * reconcile make it again. */
				l->detached = true;
				loop_mod(d->loop, &l->src, 0);
			} else if (errno != EAGAIN && errno != EINTR) {
				log_debug("%s: tap read: %s", l->cfg->name, strerror(errno));
			}
			break;
		}
		if (n < OFFLOAD_VNET_HLEN) {
			l->stats[US_TX_DROP_RUNT]++;
			continue;
		}
		struct virtio_net_hdr vh;
		memcpy(&vh, f, sizeof(vh));
		dp_tx_frame(d, dp, l, &vh, f + OFFLOAD_VNET_HLEN, (size_t)n - OFFLOAD_VNET_HLEN);
	}
	dp_tx_flush(d, dp);
	dp_gro_flush(dp); /* what localbypass handed over */
}

/* ---- receive ---- */

/* Write the pending merged frame, if any, into its TAP. */
static void dp_gro_flush(struct dp_fwd *dp)
{
	struct virtio_net_hdr vh;
	size_t n = offload_gro_finish(&dp->gro, &vh);
	if (n)
		tap_write(dp->gro_link, &vh, dp->gro_buf, n);
	dp->gro_link = NULL;
}

static void dp_rx_deliver(struct dp_fwd *dp, struct ulink *l, const uint8_t *f, size_t len)
{
	if (dp->gro_link && dp->gro_link != l)
		dp_gro_flush(dp);
	switch (offload_gro_add(&dp->gro, f, len)) {
	case OFFLOAD_GRO_HELD:
		break;
	case OFFLOAD_GRO_FLUSH:
		dp_gro_flush(dp);
		if (offload_gro_add(&dp->gro, f, len) == OFFLOAD_GRO_HELD)
			break;
		tap_write(l, NULL, f, len);
		return;
	case OFFLOAD_GRO_PASS:
		dp_gro_flush(dp);
		tap_write(l, NULL, f, len);
		return;
	}
	dp->gro_link = l;
	if (offload_gro_closed(&dp->gro))
		dp_gro_flush(dp);
}

/* Log a rate-limited line for the ECN anomalies RFC 6040 says to log. */
static void ecn_log(struct ulink *l, const char *what)
{
	if (log_due(&l->ecn_logged))
		log_info("%s: %s (RFC 6040; counted)", l->cfg->name, what);
}

/* One decapsulated frame for link l, from src (the outer source address)
 * with the outer TOS/traffic class tos: loop check, ECN, learning, delivery. */
static void rx_frame(struct dp_user *d, struct ulink *l, uint8_t *f, size_t len, const struct vx_addr *src_ip,
		     uint8_t tos)
{
	const uint8_t *src = f + MAC_LEN;
	if (mac_equal(src, l->cfg->address)) {
		l->stats[US_RX_DROP_LOOP]++;
		return;
	}
	switch (proto_ecn_decap(tos, f, len)) {
	case PROTO_ECN_DROP:
		l->stats[US_RX_DROP_ECN]++;
		ecn_log(l, "dropped a packet marked CE outside over a not-ECN-capable one inside");
		return;
	case PROTO_ECN_PASS_LOG:
		l->stats[US_RX_ECN_NOT_ECT]++;
		ecn_log(l, "an ECN-capable outer header over a not-ECN-capable inner packet");
		break;
	default:
		break;
	}
	if (l->cfg->learning) {
		struct fdb_remote r = {
		    .ip = *src_ip, .port = l->cfg->dstport, .vni = l->cfg->vni, .origin = FDB_ORIGIN_LEARNED};
		switch (user_learn(d, l, src, &r, loop_now_ms())) {
		case FDB_LEARN_CONFLICT:
			l->stats[US_RX_DROP_CONFLICT]++;
			return;
		case FDB_LEARN_NEW:
			d->dp.up->learned(d->dp.core, l->l, src, &r, false);
			break;
		case FDB_LEARN_MOVED:
			d->dp.up->learned(d->dp.core, l->l, src, &r, true);
			break;
		case FDB_LEARN_FULL:
		case FDB_LEARN_NOMEM:
			l->stats[US_RX_LEARN_REFUSED]++;
			break;
		default:
			break;
		}
	}
	l->stats[US_RX_PACKETS]++;
	l->stats[US_RX_BYTES] += len;
	dp_rx_deliver(d->fwd, l, f, len);
}

static void dp_rx_one(struct dp_user *d, struct vsock *s, uint8_t *buf, size_t n, const struct sockaddr *from,
		      uint8_t tos)
{
	uint32_t vni;
	int rc = proto_vxlan_parse(buf, n, &vni);
	if (rc == -EMSGSIZE) {
		s->stats[USS_RX_SHORT]++;
		return;
	}
	if (rc < 0) {
		s->stats[USS_RX_BAD_FLAGS]++;
		return;
	}
	struct ulink *l = vsock_lookup(s, vni);
	if (!l) {
		s->stats[USS_RX_UNKNOWN_VNI]++;
		return;
	}
	struct vx_addr src_ip;
	uint16_t port;
	addr_from_sockaddr(from, &src_ip, &port);
	rx_frame(d, l, buf + VXLAN_HLEN, n - VXLAN_HLEN, &src_ip, tos);
}

void fwd_udp_input(struct dp_user *d, struct vsock *s)
{
	struct dp_fwd *dp = d->fwd;
	for (unsigned turn = 0; turn < DP_RX_TURNS; turn++) {
		for (unsigned i = 0; i < DP_BATCH; i++) {
			dp->rx_iov[i].iov_base = slot(dp, i);
			dp->rx_iov[i].iov_len = DP_SLOT;
			struct msghdr *mh = &dp->rx_msgs[i].msg_hdr;
			memset(mh, 0, sizeof(*mh));
			mh->msg_iov = &dp->rx_iov[i];
			mh->msg_iovlen = 1;
			mh->msg_name = &dp->rx_addr[i];
			mh->msg_namelen = sizeof(dp->rx_addr[i]);
			mh->msg_control = dp->rx_ctrl[i];
			mh->msg_controllen = sizeof(dp->rx_ctrl[i]);
		}
		int n = recvmmsg(s->src.fd, dp->rx_msgs, DP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				s->stats[USS_RX_ERRORS]++;
				log_debug("udp recv: %s", strerror(errno));
			}
			break;
		}
		for (int i = 0; i < n; i++) {
			struct msghdr *mh = &dp->rx_msgs[i].msg_hdr;
			if (mh->msg_flags & MSG_TRUNC) {
				s->stats[USS_RX_DATAGRAMS]++;
				s->stats[USS_RX_ERRORS]++;
				continue;
			}
			/* With UDP_GRO a burst of equal datagrams arrives as one
			 * buffer; the cmsg gives the size of each. */
			size_t len = dp->rx_msgs[i].msg_len, step = len;
			uint8_t tos = 0; /* UDP GRO merges only datagrams of one TOS */
			for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
				if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
					int g;
					memcpy(&g, CMSG_DATA(c), sizeof(g));
					if (g > 0)
						step = (size_t)g;
				} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
					tos = *CMSG_DATA(c);
				} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
					int tc;
					memcpy(&tc, CMSG_DATA(c), sizeof(tc));
					tos = (uint8_t)tc;
				}
			}
			uint8_t *buf = slot(dp, (unsigned)i);
			for (size_t off = 0; off < len; off += step) {
				s->stats[USS_RX_DATAGRAMS]++;
				dp_rx_one(d, s, buf + off, len - off < step ? len - off : step,
					  (struct sockaddr *)&dp->rx_addr[i], tos);
			}
		}
		if (n < DP_BATCH)
			break;
	}
	/* Nothing is held across epoll turns: latency stays that of one batch. */
	dp_gro_flush(dp);
}
