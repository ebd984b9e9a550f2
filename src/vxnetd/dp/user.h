/* user: internals of the userspace datapath provider, shared by its control
 * side (user.c: devices, sockets, the dp_ops), its workers (worker.c:
 * threads, the pause handshake, the queue of upcalls) and its packet path
 * (user_fwd.c, user_tx.c, user_rx.c; what they alone share is in
 * user_fwd_priv.h). Nothing outside dp/user*.c and dp/worker.c includes this.
 *
 * Threads. The core's thread (the daemon's event loop) owns the model: it
 * alone creates, changes and frees links, sockets and tables, and it is the
 * only writer of every FDB. The packet path runs on W workers, each with
 * its own epoll loop, buffers, sending sockets and counters: worker k reads
 * queue k of every link's multi-queue TAP and socket k of every receive
 * socket group (SO_REUSEPORT), so that one flow always meets one worker and
 * stays in order. Workers read the FDBs without locks (lib/fdb.c's readers)
 * and refresh learned entries the same way (fdb_learn_peek). Learning a
 * new or moved MAC is the one write a worker makes: at once, as the
 * kernel's receive path does (the reply to the first frame from a MAC may
 * come back through another worker microseconds later and must find it),
 * under the writers' lock every other FDB write of the core's thread takes
 * too. What the core publishes (learned, misses) goes to the core's thread
 * through one SPSC ring per worker. Everything else a worker reads (links,
 * VNI tables, link options, local addresses, neighbour tables) changes only
 * while every worker is parked at a quiescent point (user_pause/
 * user_resume), between two turns of its loop, holding nothing.
 *
 * With one worker (--workers 1) there is no thread: worker 0's fds are on
 * the core's loop, as before threads existed, and upcalls are direct calls. */
#ifndef VXNETD_DP_USER_H
#define VXNETD_DP_USER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../core.h"
#include "../dp.h"
#include "../loop.h"
#include "pmtu.h"
#include "vxnet/fdb.h"
#include "vxnet/neigh.h"

#define UW_MAX 64 /* workers at most (and TAP queues per link) */

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

/* Counters of one UDP socket group: drops that happen before a link is
 * known, and what the workers' queues to the core lost. */
enum usockstat {
	USS_RX_DATAGRAMS,
	USS_RX_SHORT,	    /* shorter than VXLAN + Ethernet headers */
	USS_RX_BAD_FLAGS,   /* I flag clear */
	USS_RX_UNKNOWN_VNI, /* no link with that VNI on this port */
	USS_RX_ERRORS,	    /* recvmsg errors, truncated datagrams */
	USS_MAX,
};

/* A counter written by one thread and summed by another: relaxed loads and
 * stores (plain moves on the machines we run on), no atomic read-modify-write. */
typedef _Atomic uint64_t ustat_t;
static inline void ustat_add(ustat_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}
static inline uint64_t ustat_get(const ustat_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

struct ulink;
struct uworker;
struct nl;

/* A multicast group joined on a socket: once, whatever the number of links
 * using it (the kernel counts users of a group the same way). */
struct vgroup {
	struct vx_addr group;
	uint32_t ifindex;
	unsigned users;
	struct vgroup *next;
};

struct vsock;

/* One worker's socket of a receive group. */
struct vsock_q {
	struct loop_src src;
	struct vsock *s;
	struct uworker *w;
	ustat_t stats[USS_MAX];
} __attribute__((aligned(64)));

/* The receive side of one (family, dstport): UDP sockets bound to the
 * wildcard address, one per worker in a SO_REUSEPORT group (the kernel
 * hashes each outer flow to one of them), shared by every link on that port
 * and demultiplexed by VNI, as the kernel shares its vxlan_sock. Multicast
 * groups are joined on socket 0 only; the others do not take multicast. */
struct vsock {
	struct dp_user *u;
	int family;
	uint16_t port;
	unsigned nlinks;
	struct ulink **vni_tab; /* VNI -> link, open addressing, capacity a power of two */
	unsigned vni_cap;
	struct vgroup *groups;
	struct vsock *next;
	unsigned nq;
	struct vsock_q *q; /* [nq] */
};

/* What one worker holds of one link: its TAP queue, its FDB reader, its
 * counters and log rate limits. Only that worker writes it (the core sums
 * the counters). */
struct ulink_q {
	struct loop_src src; /* the TAP queue this worker reads; fd -1: none (fewer queues than workers) */
	struct ulink *ul;
	struct uworker *w;
	struct fdb_reader *rd;	   /* NULL without worker threads */
	bool online;		   /* rd is online in the worker's current turn */
	struct ulink_q *next_used; /* the worker's list of links used this turn */
	ustat_t stats[US_MAX];
	uint64_t down_logged;	/* ms of the last "TAP down" log line (rate limit) */
	uint64_t ecn_logged;	/* ms of the last ECN log line (rate limit) */
	uint64_t big_logged;	/* ms of the last "too big, no ICMP possible" line */
	uint64_t limit_checked; /* ms this worker last compared path_limit with the device */
} __attribute__((aligned(64)));

struct ulink {
	struct dp_user *u;
	struct core_link *l;
	/* The options the packet path reads: the provider's own copy of the
	 * link's configuration, changed only while the workers are parked
	 * (the core changes l->cfg when it likes). */
	struct link_config cfg;
	int family;	      /* underlay family */
	uint32_t dev_ifindex; /* underlay device, 0 = none */
	/* Largest inner payload the underlay carries: the core's tick and a
	 * worker that meets a frame above it both look at the device. */
	_Atomic unsigned path_limit;
	struct vx_addr local; /* source address, AF_UNSPEC = routing decides */
	struct fdb *fdb;      /* the live table: permanent and learned */
	struct neigh *neigh;  /* proxy ARP/ND answers */
	struct vsock *sock;
	int tap_fd[UW_MAX]; /* the TAP's queues; [0] always there */
	unsigned ntap;
	ustat_t cstats[US_MAX]; /* counted on the core's thread (learning it refused) */
	_Atomic bool detached;	/* the device was deleted under us */
	unsigned nq;
	struct ulink_q *q; /* [nq], nq = the number of workers */
	/* Learned entries in fdb (counted in dp_user.learned too; under the
	 * FDB writers' lock). */
	unsigned learned;
	struct ulink *next;
};

struct dp_fwd;

/* A request from a worker to the core's thread. */
enum uevent_type {
	UEV_NONE, /* dropped: its link went away while it waited */
	UEV_LEARNED,
	UEV_MOVED,
	UEV_L2MISS,
	UEV_L3MISS,
};

struct uevent {
	uint8_t type;
	uint8_t mac[MAC_LEN];
	struct ulink *ul;
	struct vx_addr ip; /* UEV_LEARNED/MOVED: the outer source; UEV_L3MISS: the address asked for */
};

#define UW_RING 1024 /* requests a worker may have waiting for the core */

/* A worker's queue to the core: single producer (the worker), single
 * consumer (the core's thread). */
struct uring {
	_Alignas(64) _Atomic unsigned head; /* next to write, the worker's */
	_Alignas(64) _Atomic unsigned tail; /* next to read, the core's */
	_Alignas(64) struct uevent ev[UW_RING];
};

/* Learning a worker saw refused lately (table full, capped): the frames of
 * a refused MAC keep coming, and need not take the writers' lock each. */
#define UW_ASKED 256
struct uasked {
	uint8_t mac[MAC_LEN];
	struct vx_addr ip;
	uint64_t when;
};

struct uworker {
	struct dp_user *u;
	unsigned id;
	struct loop *loop; /* its own, or the core's without threads */
	pthread_t thread;
	bool started;
	int kick_fd; /* eventfd: the core wakes it (pause, stop) */
	struct loop_src kick_src;
	struct loop_timer tick;	      /* once a second: its GSO sockets */
	struct dp_fwd *fwd;	      /* packet buffers */
	int tx_fd[2][2];	      /* raw IPPROTO_UDP sending sockets [ipv6][df], -1 until needed */
	struct loop_src tx_src[2][2]; /* their error queues (packet too big) */
	struct gso_pool *gso;	      /* UDP GSO sockets, one per source port in use */
	bool gso_broken;	      /* the kernel refused UDP_SEGMENT: raw path only */
	struct ulink_q *used;	      /* links whose FDB reader is online this turn */
	struct uring *ring;
	bool ring_signal; /* something was queued this turn: wake the core */
	ustat_t ring_dropped;
	/* Backpressure: a sending socket was full; the worker stopped reading
	 * its TAP queues until that socket is writable again. */
	bool tap_paused;
	int blocked_fd;
	ustat_t tx_blocked;	 /* times it stopped reading */
	ustat_t tx_drop_blocked; /* copies dropped after waiting a second in vain */
	ustat_t tx_drop_nobufs;	 /* copies a full device queue refused (ENOBUFS) */
	struct uasked asked[UW_ASKED];
};

struct dp_user {
	struct dp dp;
	struct loop *loop;		/* the core's */
	struct pmtu_cache pmtu;		/* path MTUs the underlay taught us, per remote */
	struct vx_addr local_addrs[64]; /* this namespace's addresses, for localbypass */
	unsigned n_local;
	struct vsock *socks;
	struct ulink *links;
	struct nl *nl; /* rtnetlink: the TAPs' MTU and namespace */

	unsigned nw;	    /* workers */
	bool threads;	    /* workers are threads (nw > 1 or busy polling) */
	bool busy_poll;	    /* workers never sleep */
	unsigned linger_us; /* workers poll this long after a turn with packets */
	unsigned gso_max;   /* GSO sockets per worker */
	struct uworker *w[UW_MAX];

	/* The pause handshake (worker.c). */
	pthread_mutex_t fdb_lock; /* the FDBs' writers (with threads) */
	pthread_mutex_t pmu;
	pthread_cond_t pcv_core, pcv_workers;
	_Atomic bool pause;
	unsigned parked;
	unsigned pause_depth; /* the core's nesting */

	int ev_fd; /* eventfd: a worker queued requests */
	struct loop_src ev_src;

	/* Learned entries of every link, and the cap on them (0: none);
	 * under the FDB writers' lock. */
	unsigned learned, max_learned;
	uint64_t capped_logged; /* ms of the last "learning capped" log line */
};

/* ---- worker.c ---- */
/* Start the workers (threads or not); -errno and *why. */
int user_workers_start(struct dp_user *u, const char **why);
/* Stop and free them (threads joined). */
void user_workers_stop(struct dp_user *u);
/* Park every worker at a quiescent point (nests; no-op without threads). */
void user_pause(struct dp_user *u);
void user_resume(struct dp_user *u);
/* The worker's turn ended: FDB readers offline, wake the core if asked. */
void uworker_turn_end(struct uworker *w);
/* Queue a request for the core's thread (a direct call without threads). */
void uworker_upcall(struct uworker *w, const struct uevent *ev);
/* Forget requests of a link that goes (workers parked). */
void user_events_forget(struct dp_user *u, struct ulink *ul);
/* Handle the queued requests on the core's thread. */
void user_events_drain(struct dp_user *u);
/* Put l's FDB reader of this worker online for this turn. */
static inline struct ulink_q *uq_use(struct uworker *w, struct ulink *l)
{
	struct ulink_q *q = &l->q[w->id];
	if (q->rd && !q->online) {
		fdb_reader_online(q->rd);
		q->online = true;
		q->next_used = w->used;
		w->used = q;
	}
	return q;
}

/* Every FDB write takes this lock while there are worker threads (the
 * core's and a worker's learning). */
static inline void ufdb_lock(struct dp_user *u)
{
	if (u->threads)
		pthread_mutex_lock(&u->fdb_lock);
}
static inline void ufdb_unlock(struct dp_user *u)
{
	if (u->threads)
		pthread_mutex_unlock(&u->fdb_lock);
}

/* ---- user_fwd.c, user_tx.c, user_rx.c: the packet path ---- */
struct dp_fwd *fwd_new(void);
void fwd_free(struct dp_fwd *f);
void fwd_tap_input(struct uworker *w, struct ulink_q *q);  /* user_tx.c */
void fwd_udp_input(struct uworker *w, struct vsock_q *sq); /* user_rx.c */
/* A sending socket of the worker's said a path is smaller (EPOLLERR), or
 * has room again (EPOLLOUT, after it blocked). */
void fwd_tx_event(struct uworker *w, int fd, uint32_t events);
/* Forget what the worker still holds of a link that goes (workers parked). */
void fwd_forget_link(struct uworker *w, struct ulink *ul);

/* ---- user_sock.c: the sockets (workers parked for every change) ---- */
/* The link of vni on s, NULL if none (any thread: read by the workers). */
struct ulink *vsock_lookup(const struct vsock *s, uint32_t vni);
struct vsock *vsock_find(struct dp_user *u, int family, uint16_t port);
/* The receive group of (family, port), opened for the first link; *why
 * says what failed. */
int vsock_get(struct dp_user *u, int family, uint16_t port, struct vsock **out, const char **why);
/* Close s once no link uses it (s->nlinks 0). */
void vsock_put(struct dp_user *u, struct vsock *s);
/* s's VNI table again from u's links, plus extra and without skip (either
 * may be NULL); -ENOMEM leaves the old table. */
int vsock_rebuild(struct dp_user *u, struct vsock *s, struct ulink *extra, struct ulink *skip);
/* Join group g on ifindex for one more link / one link less. */
int vsock_join(struct vsock *s, const struct vx_addr *g, uint32_t ifindex);
void vsock_leave(struct vsock *s, const struct vx_addr *g, uint32_t ifindex);
/* The worker's raw sending socket of family with or without DF, opened on
 * first use; -errno. */
int uworker_tx_socket(struct uworker *w, int family, bool df);

/* ---- user.c ---- */
/* fdb_learn under the daemon-wide cap (dp_user.max_learned), the FDB
 * writers' lock held: at the cap a new MAC is not learned (FDB_LEARN_FULL,
 * counted US_RX_LEARN_CAPPED, a log line at most every 10 s); moves,
 * refreshes and pinned entries go on. */
enum fdb_learn_result user_learn(struct dp_user *u, struct ulink *ul, const uint8_t mac[MAC_LEN],
				 const struct fdb_remote *r, uint64_t now);
/* Compare path_limit with the underlay device's MTU now (tap_mtu: the
 * TAP's, 0 if unknown), as the tick does once a second. Any thread. */
void user_refresh_limit(struct dp_user *u, struct ulink *ul, unsigned tap_mtu);

#endif
