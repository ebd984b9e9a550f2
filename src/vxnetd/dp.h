/* dp: the datapath interface. A datapath provider makes a link real (a TAP
 * served by vxnetd's engine, or a kernel vxlan device) and holds its
 * forwarding state; the core tells it what to install through these ops and
 * never sees its fds, sockets or counters. Providers: user (dp/user.c),
 * kernel (dp/kernel.c), null (dp/null.c: records calls, for unit tests).
 *
 * What a provider reports back (learned entries, misses, changes made behind
 * vxnet's back) goes to the core through struct dp_upcalls; a provider
 * never calls the control server. */
#ifndef VXNETD_DP_H
#define VXNETD_DP_H

#include <stdbool.h>
#include <stdint.h>

#include "vxnet/addr.h"
#include "vxnet/ctl.h"
#include "vxnet/fdb.h"
#include "vxnet/neigh.h"

struct core;
struct core_link;
struct dp;
struct loop;

enum dp_fdb_op { DP_FDB_ADD, DP_FDB_APPEND, DP_FDB_REPLACE };

/* Where a counter goes: the link's own, or its shared underlay socket's. */
enum dp_stat_group { DP_STAT_LINK, DP_STAT_SOCKET };
typedef void (*dp_stat_cb)(enum dp_stat_group g, const char *name, uint64_t v, void *arg);
/* One entry of a dump; e->remotes[i].origin is the provider's best
 * knowledge (learned, or user for permanent entries: the core refines it). */
typedef void (*dp_fdb_cb)(const struct fdb_entry *e, void *arg);
typedef void (*dp_neigh_cb)(const struct vx_addr *ip, const uint8_t mac[MAC_LEN], bool permanent, void *arg);

struct dp_ops {
	const char *name;
	/* Make l real from l->cfg (complete, checked). Fills l->ifindex,
	 * l->mtu, l->family and l->cfg.address. adopt: the daemon restarts
	 * with this link in its state; a device of that name is taken over
	 * (as it is) if it is of this datapath's kind, instead of refused.
	 * On failure nothing is left behind. */
	int (*link_add)(struct dp *dp, struct core_link *l, bool adopt, const char **why);
	/* Remove the device and everything of the link. */
	void (*link_del)(struct dp *dp, struct core_link *l);
	/* The daemon stops: forget the link but leave the device in place, so
	 * a restart takes it over without loss. */
	void (*link_release)(struct dp *dp, struct core_link *l);
	/* Change a live link to nc (changed: the LINK_P_* bits that differ,
	 * within LINK_P_LIVE). On failure nothing changed. */
	int (*link_change)(struct dp *dp, struct core_link *l, const struct link_config *nc, unsigned changed,
			   const char **why);
	/* Is the device still there, as we made it? false: the core re-creates it. */
	bool (*link_present)(struct dp *dp, struct core_link *l);
	/* Install or remove forwarding entries, with the kernel's semantics
	 * (add on an existing MAC: -EEXIST, ...). r == NULL in fdb_del: the
	 * whole entry. */
	int (*fdb_set)(struct dp *dp, struct core_link *l, enum dp_fdb_op op, const uint8_t mac[MAC_LEN],
		       const struct fdb_remote *r, const char **why);
	/* gone (may be NULL) sees every remote removed, before it goes. */
	int (*fdb_del)(struct dp *dp, struct core_link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *r,
		       dp_fdb_cb gone, void *arg, const char **why);
	int (*neigh_set)(struct dp *dp, struct core_link *l, bool replace, const struct vx_addr *ip,
			 const uint8_t mac[MAC_LEN], const char **why);
	/* old: the MAC the entry had. */
	int (*neigh_del)(struct dp *dp, struct core_link *l, const struct vx_addr *ip, uint8_t old[MAC_LEN],
			 const char **why);
	/* What the datapath holds now, oldest first where it knows. */
	int (*fdb_dump)(struct dp *dp, struct core_link *l, dp_fdb_cb cb, void *arg);
	int (*neigh_dump)(struct dp *dp, struct core_link *l, dp_neigh_cb cb, void *arg);
	void (*stats)(struct dp *dp, struct core_link *l, dp_stat_cb cb, void *arg);
	/* The device's current MTU (0 if unknown). */
	unsigned (*oper_mtu)(struct dp *dp, struct core_link *l);
	/* Once a second: ageing, and picking up changes. */
	void (*tick)(struct dp *dp, uint64_t now_ms);
	void (*free)(struct dp *dp);
};

/* What a provider tells the core. */
struct dp_upcalls {
	/* An entry was learned or moved (the provider's table already has it). */
	void (*learned)(struct core *c, struct core_link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *r,
			bool moved);
	void (*aged)(struct core *c, struct core_link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *r);
	void (*l2miss)(struct core *c, struct core_link *l, const uint8_t mac[MAC_LEN]);
	void (*l3miss)(struct core *c, struct core_link *l, const struct vx_addr *ip);
	/* Something changed behind vxnet's back (kernel datapath): the core
	 * compares with what it wants and puts its own entries back. */
	void (*fdb_changed)(struct core *c, struct core_link *l, bool deleted, const uint8_t mac[MAC_LEN],
			    const struct fdb_remote *r, bool permanent);
	void (*neigh_changed)(struct core *c, struct core_link *l, bool deleted, const struct vx_addr *ip,
			      const uint8_t mac[MAC_LEN]);
	void (*link_gone)(struct core *c, struct core_link *l);
	/* The device's up state or bridge master changed ("" = none). */
	void (*link_state)(struct core *c, struct core_link *l, bool up, const char *master);
};

/* The common head of every provider's object. */
struct dp {
	const struct dp_ops *ops;
	struct core *core;
	const struct dp_upcalls *up;
};

/* Providers. Each returns NULL (errno set) if it cannot start; *why says why. */
/* What the user datapath may hold and use, daemon-wide. */
struct dp_user_limits {
	/* UDP GSO sockets (one bound source port each) open at once. */
	unsigned gso_sockets;
	/* Learned fdb entries in all its links' tables together (0: no
	 * limit): past it, learning refuses new MACs (moves and refreshes go
	 * on), counted rx_learn_capped. */
	unsigned max_learned;
	/* Packet workers (threads, each with a TAP queue of every link and a
	 * socket of every receive group); 0: one per CPU; 1: no thread, the
	 * packets are handled on the daemon's loop. */
	unsigned workers;
	/* Workers poll instead of sleeping (low latency, a CPU each). */
	bool busy_poll;
	/* After a turn with packets, a worker polls this long (microseconds)
	 * before it sleeps: a reply or the rest of a burst costs no wakeup. */
	unsigned linger_us;
};
struct dp *dp_user_new(struct core *c, const struct dp_upcalls *up, struct loop *lp, const struct dp_user_limits *lim,
		       const char **why);
/* The user datapath's workers when not told: the CPUs we may run on. */
unsigned dp_user_default_workers(void);
struct dp *dp_kernel_new(struct core *c, const struct dp_upcalls *up, struct loop *lp, const char **why);
struct dp *dp_null_new(struct core *c, const struct dp_upcalls *up);

#endif
