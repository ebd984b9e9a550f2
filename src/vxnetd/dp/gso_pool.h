/* gso_pool: the UDP sockets the user datapath sends UDP GSO bursts from,
 * one per hashed source port in use (a raw socket cannot segment, and a UDP
 * socket sends from its own port only). The pool is bounded by the daemon's
 * file descriptor budget: a socket idle for a while is closed and its port
 * freed, the least recently used one makes room for a new flow, and a port
 * another program holds is left alone for a minute. A flow that gets no
 * socket is sent segment by segment on the raw path: slower, never lost. */
#ifndef VXNETD_DP_GSO_POOL_H
#define VXNETD_DP_GSO_POOL_H

#include <stdbool.h>
#include <stdint.h>

struct gso_pool;

/* max: sockets open at most. reuseport: several pools (one per worker)
 * may each hold a socket of the same port. NULL and errno on failure. */
struct gso_pool *gso_pool_new(unsigned max, bool reuseport);
void gso_pool_free(struct gso_pool *p);
/* The socket for (family, source port), opened on first use; -1 when none
 * can be had now (pool full of busy sockets, port taken, no memory). */
int gso_pool_get(struct gso_pool *p, int family, uint16_t port, uint64_t now_ms);
/* Once a second: close what has been idle too long, retry taken ports. */
void gso_pool_tick(struct gso_pool *p, uint64_t now_ms);
/* Sockets open now (for counters and tests). */
unsigned gso_pool_open_count(const struct gso_pool *p);

#endif
