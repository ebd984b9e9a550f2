/* kernel_priv: what the kernel datapath's three files share, and no one
 * else: kernel.c is the provider (its ops table, the namespaces' sockets,
 * the links), kernel_fdb.c the fdb and neigh entries of its devices,
 * kernel_mon.c the monitor (what the kernel reports, and the echoes of
 * vxnet's own requests recognised among it). */
#ifndef VXNETD_DP_KERNEL_PRIV_H
#define VXNETD_DP_KERNEL_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "../core.h"
#include "../dp.h"
#include "../loop.h"
#include "../nl.h"
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

static inline struct dp_kernel *to_kernel(struct dp *dp)
{
	return (struct dp_kernel *)dp;
}

static inline struct klink *klink_of(struct core_link *l)
{
	return l->dpl;
}

/* --- the provider and the links (kernel.c) --- */

/* Refusals of the kernel, in vxnet's words where we can say it better. */
const char *kernel_why(struct knet *n, int rc, const char *fallback);

/* --- fdb and neigh entries (kernel_fdb.c) --- */

/* An entry's remote as vxnet says it: the link's port and VNI when the
 * kernel's entry has none of its own. */
void kernel_to_remote(const struct klink *kl, const struct nl_fdb *f, struct fdb_remote *r);
/* The fdb and neigh ops of dp.h (kernel_ops, in kernel.c). */
int kernel_fdb_set(struct dp *dp, struct core_link *l, enum dp_fdb_op op, const uint8_t mac[MAC_LEN],
		   const struct fdb_remote *r, const char **why);
int kernel_fdb_del(struct dp *dp, struct core_link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *r,
		   dp_fdb_cb gone, void *arg, const char **why);
int kernel_neigh_set(struct dp *dp, struct core_link *l, bool replace, const struct vx_addr *ip,
		     const uint8_t mac[MAC_LEN], const char **why);
int kernel_neigh_del(struct dp *dp, struct core_link *l, const struct vx_addr *ip, uint8_t old[MAC_LEN],
		     const char **why);
int kernel_fdb_dump(struct dp *dp, struct core_link *l, dp_fdb_cb cb, void *arg);
int kernel_neigh_dump(struct dp *dp, struct core_link *l, dp_neigh_cb cb, void *arg);

/* --- the monitor and the echoes (kernel_mon.c) --- */

/* Before a request: its notification is ours, not to be reported. */
void kernel_echo_expect(struct dp_kernel *k, enum echo_kind kind, int ifindex, const uint8_t *mac,
			const struct vx_addr *ip);
/* Is this notification the echo of one of our requests? Consumes it (also
 * how a refused request withdraws its expectation). */
bool kernel_echo_match(struct dp_kernel *k, enum echo_kind kind, int ifindex, const uint8_t *mac,
		       const struct vx_addr *ip);
/* The loop's callback for a namespace's monitor socket (src->obj: its knet). */
void kernel_mon_input(struct loop_src *src, uint32_t events);

#endif
