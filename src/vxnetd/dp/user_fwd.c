/* user_fwd: the packet path of the userspace datapath, the part its two
 * directions share: each worker's buffers (struct dp_fwd, in
 * user_fwd_priv.h), made once by fwd_new(), and the two helpers both
 * directions call, the log lines' rate limit and the TAP write (frames
 * received; the ARP/ND replies and ICMP errors the transmit path writes
 * back). The transmit path is user_tx.c, the receive path user_rx.c: each
 * is a pipeline of its own, and they meet only here and at localbypass.
 *
 * Everything in these three files runs on one worker (struct uworker: its
 * buffers, its sending sockets, its counters in each link's ulink_q);
 * tables are read without locks (fdb_read), and what only the core's
 * thread may do goes there as a request (uworker_upcall). Nothing here
 * allocates after fwd_new(). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "../log.h"
#include "user_fwd_priv.h"
#include "vxnet/offload.h"

struct dp_fwd *fwd_new(void)
{
	struct dp_fwd *dp = calloc(1, sizeof(*dp));
	if (!dp)
		return NULL;
	dp->arena = malloc((size_t)DP_BATCH * DP_SLOT);
	dp->tx_arena = malloc((size_t)DP_BATCH * DP_SLOT);
	dp->seg_arena = malloc(DP_SEG_ARENA);
	dp->gro_buf = malloc(DP_GRO_CAP);
	if (!dp->arena || !dp->tx_arena || !dp->seg_arena || !dp->gro_buf) {
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
	free(dp->tx_arena);
	free(dp->seg_arena);
	free(dp->gro_buf);
	free(dp);
}

/* Rate limit of the packet path's log lines: one per 10 s per kind, link
 * and worker. */
bool fwd_log_due(uint64_t *last)
{
	uint64_t now = loop_now_ms();
	if (*last && now - *last < 10000)
		return false;
	*last = now;
	return true;
}

/* Every TAP write starts with a virtio-net header; vh NULL = plain frame.
 * Through this worker's queue of the TAP (the kernel then sends the flow's
 * replies to the same queue), or queue 0 if the TAP has fewer. */
int fwd_tap_write(struct ulink_q *q, const struct virtio_net_hdr *vh, const uint8_t *frame, size_t len)
{
	static const struct virtio_net_hdr plain;
	struct ulink *l = q->ul;
	struct iovec iov[2] = {
	    {.iov_base = (void *)(vh ? vh : &plain), .iov_len = sizeof(*vh)},
	    {.iov_base = (void *)frame, .iov_len = len},
	};
	ssize_t n = writev(q->src.fd >= 0 ? q->src.fd : l->tap_fd[0], iov, 2);
	if (n == (ssize_t)(sizeof(*vh) + len))
		return 0;
	int e = n < 0 ? errno : EMSGSIZE;
	/* The kernel refuses frames for a TAP that is not up with EIO: a
	 * state of the device, not a fault, and counted apart as the kernel
	 * counts its own drops by reason. */
	ustat_add(&q->stats[e == EIO ? US_RX_DROP_DOWN : US_RX_DROP_TAP], 1);
	if (fwd_log_due(&q->down_logged)) {
		log_info("%s: frame not written into the TAP: %s%s", l->cfg.name, strerror(e),
			 e == EIO ? " (device down)" : "");
	}
	return -1;
}
