/* pmtu: the path MTU to each remote VTEP as the underlay found it (ICMP
 * fragmentation-needed / packet-too-big from a router update the kernel's
 * route exceptions; a send then fails with EMSGSIZE and this cache asks the
 * kernel, IP_MTU on a connected probe socket, what the path carries now).
 * Entries expire like the kernel's exceptions (ip_rt_mtu_expires, 10 min)
 * and are asked again at the next refusal. A small table: a link has few
 * remotes, and only the ones on a smaller path are kept. */
#ifndef VXNETD_DP_PMTU_H
#define VXNETD_DP_PMTU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vxnet/addr.h"

#define PMTU_MAX 256	      /* remembered paths; the oldest goes first */
#define PMTU_EXPIRE_MS 600000 /* as the kernel's route exceptions */

struct pmtu_entry {
	struct vx_addr ip;
	unsigned mtu;
	uint64_t expires;
};

/* Shared by the workers: changes under the lock; a reader that finds the
 * cache empty (the common case: no router ever complained) takes no lock. */
struct pmtu_cache {
	pthread_mutex_t lock;
	_Atomic bool nonempty;
	struct pmtu_entry e[PMTU_MAX];
	unsigned n;
};

void pmtu_init(struct pmtu_cache *c);
void pmtu_destroy(struct pmtu_cache *c);

/* The path MTU to ip (outer packet size), 0 when nothing smaller than the
 * device's is known. */
unsigned pmtu_get(struct pmtu_cache *c, const struct vx_addr *ip, uint64_t now_ms);
/* A send to ip was refused as too big: ask the kernel, remember. Returns
 * the path MTU, or 0 if the kernel does not know one. */
unsigned pmtu_learn(struct pmtu_cache *c, const struct vx_addr *ip, uint64_t now_ms);
/* Forget what has expired. */
void pmtu_expire(struct pmtu_cache *c, uint64_t now_ms);

#endif
