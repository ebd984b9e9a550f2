/* etcd_int: what etcd.c (requests, failover, leases) and etcd_watch.c
 * (watch streams) share, and no one else. */
#ifndef VXNETD_STORE_ETCD_INT_H
#define VXNETD_STORE_ETCD_INT_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "etcd_msg.h"
#include "store.h"

#define MAX_MEMBERS 16
#define WATCH_BACKOFF_MIN_MS 100
#define WATCH_BACKOFF_MAX_MS 2000
#define KEEPALIVE_RETRY_MS 500
#define ROUND_DELAY_MS 200 /* between rounds of members during an election */

enum req_kind {
	R_RANGE,
	R_PUT,
	R_DELETE,
	R_TXN_PUT,
	R_TXN_DEL,
	R_TXN_DEL_NONE,
	R_GRANT,
	R_KEEPALIVE,
	R_REVOKE,
	R_WATCH,
};

struct etcd;
struct ewatch;

struct buf {
	char *p;
	size_t len, cap;
};

struct req {
	struct etcd *e;
	struct req *prev, *next; /* e->reqs: every request alive */
	enum req_kind kind;
	char *body;
	CURL *h;	      /* NULL while not in curl */
	unsigned member;      /* member of the current attempt */
	unsigned tried;	      /* attempts so far */
	int last_err;	      /* of the last failed attempt */
	uint64_t started_ms;  /* when the request was first submitted */
	uint64_t retry_ms;    /* waiting for another round of members (0: not waiting) */
	bool saw_unavailable; /* a member answered "unavailable" (no leader, stopping) */
	bool idempotent;
	bool done; /* waiting in the deferred list for its callback */
	int done_err;
	struct buf resp;
	struct etcd_stream stream; /* R_WATCH */
	bool stream_err;	   /* the write callback refused data */
	char errbuf[CURL_ERROR_SIZE];
	union {
		store_list_cb list;
		store_done_cb done;
		store_txn_cb txn;
		store_lease_cb lease;
	} cb;
	void *arg;
	int64_t lease_id;     /* keepalive/revoke */
	bool keeper;	      /* keepalive sent by the lease keeper */
	struct ewatch *watch; /* R_WATCH */
	struct req *next_done;
};

struct lease {
	struct lease *next;
	int64_t id, ttl;
	uint64_t due_ms;
	bool inflight;
};

struct ewatch {
	struct store_watch base;
	struct etcd *e;
	struct ewatch *next;
	char *prefix;
	size_t prefix_len;
	int64_t next_rev; /* first revision still wanted (0: from now) */
	uint64_t cluster_id;
	store_watch_cb cb;
	void *arg;
	struct req *req;   /* current stream, NULL while waiting for retry_ms */
	uint64_t retry_ms; /* when to re-create the stream (0: not waiting) */
	unsigned backoff_ms;
	bool live;	    /* created and not broken since */
	bool was_created;   /* created at least once: the store's history is known */
	bool down_reported; /* DISCONNECTED already said for this outage */
	bool dead;	    /* canceled or ended: free when no longer in use */
};

struct etcd {
	struct store base;
	CURLM *multi;
	int epfd, curl_tfd, tick_tfd;
	struct curl_slist *headers;
	char *members[MAX_MEMBERS]; /* "http(s)://HOST:PORT" */
	unsigned n_members, cur;
	char *cacert, *cert, *key;
	unsigned req_timeout_ms, conn_timeout_ms;
	store_state_cb on_state;
	store_lease_lost_cb on_lease_lost;
	void *arg;
	bool up, up_known;
	struct req *reqs;
	struct req *done_head, **done_tail;
	struct lease *leases;
	struct ewatch *watches;
	unsigned in_dispatch;
	bool closing;
	struct store_stats stats;
	char last_error[512];
};

/* --- etcd.c: requests, failover, state --- */

uint64_t etcd_now_ms(void);
/* Remember the last error (member, what) for store_last_error. */
void etcd_set_error(struct etcd *e, const char *member, const char *what);
const char *etcd_member_name(const struct etcd *e, unsigned i);
/* The store went up or down (detail: the member or the reason). */
void etcd_state_change(struct etcd *e, bool up, const char *detail);
/* Arm the tick timer for the earliest of the leases, watches and retries. */
void etcd_rearm(struct etcd *e);
/* A request of kind with body (taken over); NULL when out of memory. */
struct req *etcd_req_new(struct etcd *e, enum req_kind kind, char *body, bool idempotent);
/* Start r on the current member: 0 or -errno. */
int etcd_req_start(struct req *r);
void etcd_req_free(struct req *r);
/* r is finished with err: its callback runs at the end of the dispatch. */
void etcd_req_defer(struct req *r, int err);
/* -errno for an etcd (gRPC) error, for a curl result. */
int etcd_grpc_errno(const struct etcd_error *er);
int etcd_curl_errno(CURLcode c, const char *errbuf);
void etcd_kv_to_store(const struct etcd_kv *k, struct store_kv *s);

/* --- etcd_watch.c: watch streams --- */

/* store_ops.watch and .watch_cancel. */
int ewatch_open(struct store *s, const char *prefix, int64_t start_revision, store_watch_cb cb, void *arg,
		struct store_watch **out);
void ewatch_cancel(struct store_watch *sw);
/* The transfer of the watch request r finished: curl result c, HTTP status. */
void ewatch_finished(struct req *r, CURLcode c, long status);
/* Member failed a unary request: move the watch streams on it elsewhere. */
void ewatch_member_failed(struct etcd *e, unsigned member);
/* Deliver what the streams received; start the streams whose retry is due;
 * free the dead watches no request refers to any more. */
void ewatch_drain_all(struct etcd *e);
void ewatch_tick(struct etcd *e, uint64_t now);
void ewatch_reap(struct etcd *e);
void ewatch_free(struct ewatch *w);

#endif
