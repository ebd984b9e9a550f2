/* user: internals of the userspace datapath provider, shared by its control
 * side (user.c: devices, sockets, the dp_ops) and its packet path
 * (user_fwd.c). Nothing outside dp/user*.c includes this. */
#ifndef VXNETD_DP_USER_H
#define VXNETD_DP_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "../core.h"
#include "../dp.h"
#include "../loop.h"
#include "pmtu.h"
#include "vxnet/fdb.h"
#include "vxnet/neigh.h"

/* Per-link counters; names in user.c (what `vxnet -s link show` prints). */
enum ustat {
	US_RX_PACKETS,
	US_RX_BYTES,
	US_TX_PACKETS,
	US_TX_BYTES,
	US_RX_DROP_LOOP,     /* inner source MAC is our own */
	US_RX_DROP_CONFLICT, /* source MAC pinned by a permanent entry elsewhere */
	US_RX_DROP_TAP,	     /* TAP write failed (queue full, other errors) */
	US_RX_DROP_DOWN,     /* TAP down (EIO): the kernel counts these apart too */
	US_RX_LEARN_REFUSED, /* table full, not learned */
	US_TX_DROP_NO_FDB,   /* unicast with no entry and no flood list (l2miss) */
	US_TX_DROP_TOO_BIG,  /* exceeded the path MTU */
	US_TX_ICMP_TOO_BIG,  /* ICMP/ICMPv6 too-big written back */
	US_TX_DROP_RUNT,     /* frame shorter than an Ethernet header */
	US_TX_ERRORS,	     /* sendmsg failed */
	US_PROXY_REPLIES,    /* ARP replies / NAs answered locally */
	US_PROXY_MISSES,     /* l3miss: request consumed, no entry */
	US_RX_DROP_ECN,	     /* outer CE over a Not-ECT inner packet (RFC 6040: drop) */
	US_RX_ECN_NOT_ECT,   /* outer ECT over a Not-ECT inner packet (logged, delivered) */
	US_TX_BYPASS,	     /* frames handed to a local link directly (localbypass) */
	US_TX_DROP_BYPASS,   /* to a local address with no link for the VNI (localbypass) */
	US_RX_LEARN_CAPPED,  /* not learned: the daemon holds --max-learned learned entries */
	US_MAX,
};

/* Counters of one UDP socket: drops that happen before a link is known. */
enum usockstat {
	USS_RX_DATAGRAMS,
	USS_RX_SHORT,	    /* shorter than VXLAN + Ethernet headers */
	USS_RX_BAD_FLAGS,   /* I flag clear */
	USS_RX_UNKNOWN_VNI, /* no link with that VNI on this port */
	USS_RX_ERRORS,	    /* recvmsg errors, truncated datagrams */
	USS_MAX,
};

struct ulink;
struct nl;

/* A multicast group joined on a socket: once, whatever the number of links
 * using it (the kernel counts users of a group the same way). */
struct vgroup {
	struct vx_addr group;
	uint32_t ifindex;
	unsigned users;
	struct vgroup *next;
};

/* The receive side of one (family, dstport): a UDP socket bound to the
 * wildcard address, shared by every link on that port and demultiplexed by
 * VNI, as the kernel shares its vxlan_sock. */
struct vsock {
	struct loop_src src;
	struct dp_user *u;
	int family;
	uint16_t port;
	unsigned nlinks;
	struct ulink **vni_tab; /* VNI -> link, open addressing, capacity a power of two */
	unsigned vni_cap;
	uint64_t stats[USS_MAX];
	struct vgroup *groups;
	struct vsock *next;
};

struct ulink {
	struct loop_src src; /* the TAP fd */
	struct dp_user *u;
	struct core_link *l;
	const struct link_config *cfg;
	int tap_fd;
	int family;	      /* underlay family */
	uint32_t dev_ifindex; /* underlay device, 0 = none */
	unsigned path_limit;  /* largest inner payload the underlay carries */
	struct vx_addr local; /* source address, AF_UNSPEC = routing decides */
	struct fdb *fdb;      /* the live table: permanent and learned */
	struct neigh *neigh;  /* proxy ARP/ND answers */
	struct vsock *sock;
	uint64_t stats[US_MAX];
	uint64_t down_logged;	/* ms of the last "TAP down" log line (rate limit) */
	bool detached;		/* the device was deleted under us */
	uint64_t ecn_logged;	/* ms of the last ECN log line (rate limit) */
	uint64_t big_logged;	/* ms of the last "too big, no ICMP possible" line */
	uint64_t limit_checked; /* ms path_limit was last compared with the device */

	unsigned learned; /* learned entries in fdb (counted in dp_user.learned too) */
	struct ulink *next;
};

struct dp_fwd;

struct dp_user {
	struct dp dp;
	struct loop *loop;
	int tx_fd[2][2];		/* raw IPPROTO_UDP sending sockets [ipv6][df], -1 until needed */
	struct loop_src tx_src[2][2];	/* their error queues (packet too big) */
	struct pmtu_cache pmtu;		/* path MTUs the underlay taught us, per remote */
	struct vx_addr local_addrs[64]; /* this namespace's addresses, for localbypass */
	unsigned n_local;
	struct gso_pool *gso; /* UDP GSO sockets, one per source port in use */
	bool gso_broken;      /* the kernel refused UDP_SEGMENT: raw path only */
	struct vsock *socks;
	struct ulink *links;
	struct dp_fwd *fwd; /* packet buffers */
	struct nl *nl;	    /* rtnetlink: the TAPs' MTU and namespace */

	/* Learned entries of every link, and the cap on them (0: none). */
	unsigned learned, max_learned;
	uint64_t capped_logged; /* ms of the last "learning capped" log line */
};

/* user_fwd.c: the packet path */
struct dp_fwd *fwd_new(void);
void fwd_free(struct dp_fwd *f);
void fwd_tap_input(struct dp_user *u, struct ulink *ul);
void fwd_udp_input(struct dp_user *u, struct vsock *s);

/* user.c */
struct ulink *vsock_lookup(const struct vsock *s, uint32_t vni);
struct vsock *vsock_find(struct dp_user *u, int family, uint16_t port);
/* Compare path_limit with the underlay device's MTU now (tap_mtu: the
 * TAP's, 0 if unknown), as the tick does once a second. */
void user_refresh_limit(struct dp_user *u, struct ulink *ul, unsigned tap_mtu);
/* The raw sending socket of family with or without DF, opened on first use; -errno. */
int user_tx_socket(struct dp_user *u, int family, bool df);
/* fdb_learn under the daemon-wide cap (dp_user.max_learned): at the cap a
 * new MAC is not learned (FDB_LEARN_FULL, counted US_RX_LEARN_CAPPED, a log
 * line at most every 10 s); moves, refreshes and pinned entries go on. */
enum fdb_learn_result user_learn(struct dp_user *u, struct ulink *ul, const uint8_t mac[MAC_LEN],
				 const struct fdb_remote *r, uint64_t now);

#endif
