/* user_fwd_priv: what the userspace datapath's packet path shares between
 * its files, and no one else: user_fwd.c (each worker's buffers, the log
 * rate limit, the TAP write), user_tx.c (TAP -> underlay) and user_rx.c
 * (underlay -> TAP). The rest of the provider sees only the fwd_* calls of
 * user.h. */
#ifndef VXNETD_DP_USER_FWD_PRIV_H
#define VXNETD_DP_USER_FWD_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "user.h"
#include "vxnet/offload.h"

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
	struct ulink_q *q;
	int fd;		    /* the raw socket (DF or not) this copy goes through */
	struct vx_addr rip; /* its remote, for what the path MTU teaches */
};

struct dp_fwd {
	uint8_t *arena;	   /* DP_BATCH * DP_SLOT: receive */
	uint8_t *tx_arena; /* DP_BATCH * DP_SLOT: frames read from a TAP */
	struct mmsghdr rx_msgs[DP_BATCH];
	struct iovec rx_iov[DP_BATCH];
	struct sockaddr_storage rx_addr[DP_BATCH];
	_Alignas(struct cmsghdr) char rx_ctrl[DP_BATCH][64];
	struct mmsghdr tx_msgs[DP_TXQ];
	struct dp_tx tx[DP_TXQ];
	unsigned ntx;
	unsigned txoff;	    /* first copy not sent yet (a socket was full) */
	uint8_t *seg_arena; /* DP_SEG_ARENA */
	size_t seg_used;
	struct offload_seg segs[DP_MAXSEG];
	struct offload_gro gro;
	struct ulink_q *gro_q;
	uint64_t now; /* ms, at the start of this batch */
	uint8_t *gro_buf;
	uint8_t reply[2048]; /* locally generated ARP replies, NAs, ICMP errors */
};

/* ---- user_fwd.c ---- */
/* true when a line rate-limited by *last (ms) may be logged now; updates it. */
bool fwd_log_due(uint64_t *last);
/* Write frame into q's TAP (vh NULL: a plain frame); -1 when not written
 * (counted, logged). */
int fwd_tap_write(struct ulink_q *q, const struct virtio_net_hdr *vh, const uint8_t *frame, size_t len);

/* ---- user_rx.c ---- */
/* One decapsulated frame for q's link from src_ip (outer TOS tos): loop
 * check, ECN, learning, delivery. localbypass (user_tx.c) hands frames here. */
void fwd_rx_frame(struct uworker *w, struct ulink_q *q, uint8_t *f, size_t len, const struct vx_addr *src_ip,
		  uint8_t tos);
/* Write the pending merged frame, if any, into its TAP. */
void fwd_gro_flush(struct uworker *w);

#endif
