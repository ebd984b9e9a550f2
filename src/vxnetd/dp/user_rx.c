/* user_rx: the receive path of the userspace datapath (underlay -> TAP),
 * apart from the transmit path (user_tx.c) because it is a pipeline of its
 * own: its batches of datagrams, learning, ECN, the merging of segments.
 *
 * recvmmsg a batch into the arena; check the VXLAN header, find the link by
 * VNI, drop loops, learn; consecutive segments of one TCP flow are merged
 * (inner GRO) and written into the TAP as one super-frame, everything else
 * is written as it came.
 *
 * It runs on one worker, as all the packet path (see user_fwd.c). */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include <netinet/udp.h>
#include <sys/uio.h>

#include "../log.h"
#include "user_fwd_priv.h"
#include "vxnet/offload.h"
#include "vxnet/proto.h"

static uint8_t *slot(struct dp_fwd *dp, unsigned i)
{
	return dp->arena + (size_t)i * DP_SLOT;
}

/* Write the pending merged frame, if any, into its TAP. */
void fwd_gro_flush(struct uworker *w)
{
	struct dp_fwd *dp = w->fwd;
	struct virtio_net_hdr vh;
	size_t n = offload_gro_finish(&dp->gro, &vh);
	if (n)
		fwd_tap_write(dp->gro_q, &vh, dp->gro_buf, n);
	dp->gro_q = NULL;
}

static void dp_rx_deliver(struct uworker *w, struct ulink_q *q, const uint8_t *f, size_t len)
{
	struct dp_fwd *dp = w->fwd;
	if (dp->gro_q && dp->gro_q != q)
		fwd_gro_flush(w);
	switch (offload_gro_add(&dp->gro, f, len)) {
	case OFFLOAD_GRO_HELD:
		break;
	case OFFLOAD_GRO_FLUSH:
		fwd_gro_flush(w);
		if (offload_gro_add(&dp->gro, f, len) == OFFLOAD_GRO_HELD)
			break;
		fwd_tap_write(q, NULL, f, len);
		return;
	case OFFLOAD_GRO_PASS:
		fwd_gro_flush(w);
		fwd_tap_write(q, NULL, f, len);
		return;
	}
	dp->gro_q = q;
	if (offload_gro_closed(&dp->gro))
		fwd_gro_flush(w);
}

/* Log a rate-limited line for the ECN anomalies RFC 6040 says to log. */
static void ecn_log(struct ulink_q *q, const char *what)
{
	if (fwd_log_due(&q->ecn_logged))
		log_info("%s: %s (RFC 6040; counted)", q->ul->cfg.name, what);
}

/* Learn mac -> ip now (a new or moved MAC), and tell the core. A MAC
 * refused lately (table full, capped) is not tried again for a while: its
 * frames keep coming and would each take the writers' lock. Returns false
 * when the frame must be dropped (a permanent entry says otherwise). */
static bool learn_now(struct uworker *w, struct ulink_q *q, const uint8_t *mac, const struct fdb_remote *r)
{
	struct ulink *l = q->ul;
	uint32_t h = ((uint32_t)mac[2] << 24 | (uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 | mac[5]) * 2654435761u;
	struct uasked *a = &w->asked[h >> 24 & (UW_ASKED - 1)];
	uint64_t now = w->fwd->now;
	if (a->when && now - a->when < 1000 && mac_equal(a->mac, mac) && addr_equal(&a->ip, &r->ip)) {
		ustat_add(&q->stats[US_RX_LEARN_REFUSED], 1);
		return true;
	}
	ufdb_lock(w->u);
	enum fdb_learn_result res = user_learn(w->u, l, mac, r, now);
	ufdb_unlock(w->u);
	struct uevent ev = {.ul = l, .ip = r->ip};
	memcpy(ev.mac, mac, MAC_LEN);
	switch (res) {
	case FDB_LEARN_CONFLICT:
		ustat_add(&q->stats[US_RX_DROP_CONFLICT], 1);
		return false;
	case FDB_LEARN_NEW:
	case FDB_LEARN_MOVED:
		ev.type = res == FDB_LEARN_NEW ? UEV_LEARNED : UEV_MOVED;
		uworker_upcall(w, &ev);
		break;
	case FDB_LEARN_FULL:
	case FDB_LEARN_NOMEM:
		ustat_add(&q->stats[US_RX_LEARN_REFUSED], 1);
		memcpy(a->mac, mac, MAC_LEN);
		a->ip = r->ip;
		a->when = now;
		break;
	default:
		break;
	}
	return true;
}

/* One decapsulated frame for link l, from src (the outer source address)
 * with the outer TOS/traffic class tos: loop check, ECN, learning, delivery. */
void fwd_rx_frame(struct uworker *w, struct ulink_q *q, uint8_t *f, size_t len, const struct vx_addr *src_ip,
		  uint8_t tos)
{
	struct ulink *l = q->ul;
	const uint8_t *src = f + MAC_LEN;
	if (mac_equal(src, l->cfg.address)) {
		ustat_add(&q->stats[US_RX_DROP_LOOP], 1);
		return;
	}
	switch (proto_ecn_decap(tos, f, len)) {
	case PROTO_ECN_DROP:
		ustat_add(&q->stats[US_RX_DROP_ECN], 1);
		ecn_log(q, "dropped a packet marked CE outside over a not-ECN-capable one inside");
		return;
	case PROTO_ECN_PASS_LOG:
		ustat_add(&q->stats[US_RX_ECN_NOT_ECT], 1);
		ecn_log(q, "an ECN-capable outer header over a not-ECN-capable inner packet");
		break;
	default:
		break;
	}
	if (l->cfg.learning) {
		/* A refresh needs no writer; a new or moved MAC does. */
		struct fdb_remote r = {
		    .ip = *src_ip, .port = l->cfg.dstport, .vni = l->cfg.vni, .origin = FDB_ORIGIN_LEARNED};
		switch (fdb_learn_peek(l->fdb, src, &r, w->fwd->now)) {
		case FDB_LEARN_CONFLICT:
			ustat_add(&q->stats[US_RX_DROP_CONFLICT], 1);
			return;
		case FDB_LEARN_NEW:
		case FDB_LEARN_MOVED:
			if (!learn_now(w, q, src, &r))
				return;
			break;
		case FDB_LEARN_FULL:
			ustat_add(&q->stats[US_RX_LEARN_REFUSED], 1);
			break;
		default:
			break;
		}
	}
	ustat_add(&q->stats[US_RX_PACKETS], 1);
	ustat_add(&q->stats[US_RX_BYTES], len);
	dp_rx_deliver(w, q, f, len);
}

static void dp_rx_one(struct uworker *w, struct vsock_q *sq, uint8_t *buf, size_t n, const struct sockaddr *from,
		      uint8_t tos)
{
	uint32_t vni;
	int rc = proto_vxlan_parse(buf, n, &vni);
	if (rc == -EMSGSIZE) {
		ustat_add(&sq->stats[USS_RX_SHORT], 1);
		return;
	}
	if (rc < 0) {
		ustat_add(&sq->stats[USS_RX_BAD_FLAGS], 1);
		return;
	}
	struct ulink *l = vsock_lookup(sq->s, vni);
	if (!l) {
		ustat_add(&sq->stats[USS_RX_UNKNOWN_VNI], 1);
		return;
	}
	struct vx_addr src_ip;
	uint16_t port;
	addr_from_sockaddr(from, &src_ip, &port);
	fwd_rx_frame(w, uq_use(w, l), buf + VXLAN_HLEN, n - VXLAN_HLEN, &src_ip, tos);
}

void fwd_udp_input(struct uworker *w, struct vsock_q *sq)
{
	struct dp_fwd *dp = w->fwd;
	dp->now = loop_now_ms();
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
		int n = recvmmsg(sq->src.fd, dp->rx_msgs, DP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				ustat_add(&sq->stats[USS_RX_ERRORS], 1);
				log_debug("udp recv: %s", strerror(errno));
			}
			break;
		}
		for (int i = 0; i < n; i++) {
			struct msghdr *mh = &dp->rx_msgs[i].msg_hdr;
			if (mh->msg_flags & MSG_TRUNC) {
				ustat_add(&sq->stats[USS_RX_DATAGRAMS], 1);
				ustat_add(&sq->stats[USS_RX_ERRORS], 1);
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
				ustat_add(&sq->stats[USS_RX_DATAGRAMS], 1);
				dp_rx_one(w, sq, buf + off, len - off < step ? len - off : step,
					  (struct sockaddr *)&dp->rx_addr[i], tos);
			}
		}
		if (n < DP_BATCH)
			break;
	}
	/* Nothing is held across epoll turns: latency stays that of one batch. */
	fwd_gro_flush(w);
}
