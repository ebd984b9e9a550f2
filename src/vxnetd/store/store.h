/* store: vxnetd's asynchronous client of a distributed key-value store (etcd
 * today), behind an ops table so that another store can be added later.
 *
 * Nothing here blocks. The daemon polls ONE fd (store_fd(), readable when
 * the store has work) in its event loop and calls store_dispatch() when it is
 * readable; every result comes back through a callback, and callbacks run
 * only from inside store_dispatch(), never from the call that started the
 * operation (so a caller may start operations while holding its own state
 * half-updated). A function that starts an operation returns 0 (the callback
 * will run exactly once, unless the store is closed first) or -errno (it did
 * not start, no callback).
 *
 * Errors passed to callbacks: -ECONNREFUSED (no member could be reached),
 * -ETIMEDOUT, -EIO (the connection broke after the request was sent: the
 * outcome of a non-idempotent request is unknown, read the key to find out),
 * -EACCES (TLS refused, or etcd refused our credentials), -EPROTO (the answer
 * is not what the protocol says), -ENOENT (no such lease), -EINVAL (etcd
 * refused the request as invalid), -ENOMEM, -EAGAIN (etcd is overloaded or
 * has no leader: retry later). store_last_error() has the text of the last
 * error for logs.
 *
 * Revisions, leases and counts are etcd's int64 values. */
#ifndef VXNETD_STORE_H
#define VXNETD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;
struct store_watch;

/* A key-value pair as the store has it. key and value are NUL-terminated
 * copies (key_len/value_len do not count the NUL; either may contain NULs),
 * valid only during the callback that received them. For a DELETE event only
 * key and mod_revision (the deletion's revision) are set. */
struct store_kv {
	const char *key;
	size_t key_len;
	const char *value;
	size_t value_len;
	int64_t create_revision; /* revision that created the key (0: absent) */
	int64_t mod_revision;	 /* revision of the last change */
	int64_t version;	 /* number of changes since creation */
	int64_t lease;		 /* lease the key is attached to, 0 = none */
};

/* Called when the module sees the store go away (up = false: no member
 * answered; detail says why) or come back (up = true; detail names the member
 * that answered). Only on changes, not for every request. */
typedef void (*store_state_cb)(void *arg, bool up, const char *detail);
/* Called when a lease the module keeps alive is gone from the store (etcd
 * answered a keepalive with TTL 0 / lease not found: it expired while we were
 * cut off, or someone revoked it). The module has stopped keeping it alive
 * and every key on it is gone; grant a new lease and put them again. */
typedef void (*store_lease_lost_cb)(void *arg, int64_t lease);

struct store_config {
	const char *url;		   /* "etcd://HOST:PORT[,HOST:PORT...]" (IPv6 hosts in brackets) */
	const char *cacert;		   /* PEM CA file; set: talk https and verify members */
	const char *cert;		   /* PEM client certificate (with key), optional */
	const char *key;		   /* PEM client key */
	unsigned request_timeout_ms;	   /* per unary request and member; 0 = 5000 */
	unsigned connect_timeout_ms;	   /* per connection attempt; 0 = 1000 */
	store_state_cb on_state;	   /* may be NULL */
	store_lease_lost_cb on_lease_lost; /* may be NULL */
	void *arg;			   /* passed to on_state and on_lease_lost */
};

/* Open a store client for cfg->url (the scheme picks the implementation).
 * No network traffic yet. 0, -EINVAL (bad URL or options, reason in *why when
 * why is not NULL), -EPROTONOSUPPORT (unknown scheme), -ENOMEM, or the errno
 * of the fds it creates. */
int store_open(const struct store_config *cfg, struct store **out, const char **why);
/* Cancel everything in flight (no callback runs), revoke nothing, free all.
 * Leases die by TTL; call store_lease_revoke() first for a clean exit. */
void store_close(struct store *s);

/* The fd to poll for readability (level-triggered). */
int store_fd(const struct store *s);
/* Do whatever is ready and run the callbacks that are due. Never blocks.
 * 0, or -errno when the store's own fds fail (fatal for this store). */
int store_dispatch(struct store *s);

/* Text of the last error, for logs ("" if none). Valid until the next call. */
const char *store_last_error(const struct store *s);

struct store_stats {
	uint64_t requests;	 /* HTTP requests sent (every attempt, including retries and watches) */
	uint64_t keepalives;	 /* of which lease keepalives sent by the module itself */
	uint64_t failovers;	 /* times a request or a watch moved to another member */
	uint64_t watch_events;	 /* PUT/DELETE events delivered */
	uint64_t watch_restarts; /* watch streams re-created after a break */
};
void store_get_stats(const struct store *s, struct store_stats *st);

/* ---- key-value operations ---- */

struct store_list_result {
	int64_t revision; /* the store's revision the list is a snapshot of */
	size_t n;
	const struct store_kv *kvs; /* sorted by key */
};
typedef void (*store_list_cb)(void *arg, int err, const struct store_list_result *r);
/* Every key starting with prefix (an empty prefix is refused). */
int store_list(struct store *s, const char *prefix, store_list_cb cb, void *arg);
/* One key (r->n is 0 or 1). */
int store_get(struct store *s, const char *key, store_list_cb cb, void *arg);

/* revision: the revision of the change (or the store's current one when a
 * delete found nothing). deleted: keys removed (delete only). */
typedef void (*store_done_cb)(void *arg, int err, int64_t revision, int64_t deleted);
/* Create or overwrite key; lease 0 = none. */
int store_put(struct store *s, const char *key, const void *value, size_t len, int64_t lease, store_done_cb cb,
	      void *arg);
/* Delete key, or every key starting with it when prefix is true. */
int store_delete(struct store *s, const char *key, bool prefix, store_done_cb cb, void *arg);

struct store_txn_result {
	bool succeeded;
	int64_t revision;
	int64_t count; /* delete_if/delete_if_none: keys deleted; delete_if_none refused: keys under the guard */
	const struct store_kv *existing; /* when !succeeded: the key as it is now (NULL if it is gone) */
};
typedef void (*store_txn_cb)(void *arg, int err, const struct store_txn_result *r);
/* Create key only if it does not exist (compare create_revision == 0), in
 * one transaction. Not retried on another member once sent: if the
 * connection breaks the callback gets -EIO and the caller reads the key. */
int store_put_if_absent(struct store *s, const char *key, const void *value, size_t len, int64_t lease, store_txn_cb cb,
			void *arg);
/* Delete key only if its mod_revision is still mod_revision (release what we
 * own, never what someone created since). */
int store_delete_if(struct store *s, const char *key, int64_t mod_revision, store_txn_cb cb, void *arg);

/* Delete key only if no key starts with guard_prefix, atomically (e.g. a
 * network only while no endpoint and no IPAM claim is under it; a claim made
 * at the same time makes one of the two fail). Refused: r->count says how
 * many keys are under the guard. */
int store_delete_if_none(struct store *s, const char *key, const char *guard_prefix, store_txn_cb cb, void *arg);

/* ---- leases ---- */

typedef void (*store_lease_cb)(void *arg, int err, int64_t lease, int64_t ttl);
/* Grant a lease of ttl seconds (>= 1). The module keeps it alive by itself
 * (a keepalive every ttl/3) until it is revoked or forgotten, and reports its
 * loss through on_lease_lost. */
int store_lease_grant(struct store *s, int64_t ttl, store_lease_cb cb, void *arg);
/* Send one keepalive now; ttl 0 in the callback with err -ENOENT: the lease
 * is gone. Works for any lease, kept by the module or not. */
int store_lease_keepalive(struct store *s, int64_t lease, store_lease_cb cb, void *arg);
/* Revoke: the lease and every key on it are deleted now. -ENOENT in the
 * callback if it did not exist. The module stops keeping it alive at once. */
int store_lease_revoke(struct store *s, int64_t lease, store_lease_cb cb, void *arg);
/* Stop keeping lease alive (it expires after its TTL). 0 or -ENOENT if the
 * module was not keeping it. */
int store_lease_forget(struct store *s, int64_t lease);
/* Keep alive a lease granted earlier (e.g. by this daemon before a restart,
 * its id saved on disk), every ttl/3 from now, as if store_lease_grant() had
 * made it; its loss is reported through on_lease_lost. Check that it still
 * exists first (store_lease_keepalive). 0, -EEXIST if already kept, -EINVAL,
 * -ENOMEM. */
int store_lease_keep(struct store *s, int64_t lease, int64_t ttl);

/* ---- watch ---- */

enum store_watch_type {
	STORE_WATCH_CREATED = 1,  /* the stream is live (again); revision = the store's revision then */
	STORE_WATCH_PUT,	  /* kv created or changed */
	STORE_WATCH_DELETE,	  /* kv deleted (or its lease expired) */
	STORE_WATCH_DISCONNECTED, /* the stream broke (err, detail); the module re-creates it on a member
				     from the next revision by itself: no event is lost, keep the handle */
	STORE_WATCH_COMPACTED,	  /* terminal: the revisions we needed are compacted away
				     (compact_revision); list again and watch from the list's revision + 1 */
	STORE_WATCH_BROKEN,	  /* terminal: the watch cannot go on (err, detail: refused by etcd,
				     malformed stream, the store's history changed); list and watch again */
};

struct store_watch_event {
	enum store_watch_type type;
	int64_t revision;	   /* header revision of the message */
	const struct store_kv *kv; /* PUT, DELETE */
	int64_t compact_revision;  /* COMPACTED */
	int err;		   /* DISCONNECTED, BROKEN */
	const char *detail;	   /* DISCONNECTED, BROKEN: human-readable reason */
};
/* After a terminal event the handle is freed by the module: do not cancel it. */
typedef void (*store_watch_cb)(void *arg, const struct store_watch_event *ev);

/* Watch every key starting with prefix, from start_revision (events of that
 * revision included; 0 = from now). Events arrive in revision order; events of
 * one transaction share a revision. *out is the handle for store_watch_cancel. */
int store_watch(struct store *s, const char *prefix, int64_t start_revision, store_watch_cb cb, void *arg,
		struct store_watch **out);
/* Stop a live watch; its callback does not run again. */
void store_watch_cancel(struct store_watch *w);

/* ---- for implementations ---- */

/* An implementation embeds struct store (and struct store_watch) as the first
 * member of its own structs; the wrappers above call through ops. */
struct store_ops {
	const char *scheme; /* "etcd" matches "etcd://..." */
	int (*open)(const struct store_config *cfg, struct store **out, const char **why);
	void (*close)(struct store *s);
	int (*fd)(const struct store *s);
	int (*dispatch)(struct store *s);
	const char *(*last_error)(const struct store *s);
	void (*get_stats)(const struct store *s, struct store_stats *st);
	int (*range)(struct store *s, const char *key, bool prefix, store_list_cb cb, void *arg);
	int (*put)(struct store *s, const char *key, const void *value, size_t len, int64_t lease, store_done_cb cb,
		   void *arg);
	int (*del)(struct store *s, const char *key, bool prefix, store_done_cb cb, void *arg);
	int (*put_if_absent)(struct store *s, const char *key, const void *value, size_t len, int64_t lease,
			     store_txn_cb cb, void *arg);
	int (*delete_if)(struct store *s, const char *key, int64_t mod_revision, store_txn_cb cb, void *arg);
	int (*delete_if_none)(struct store *s, const char *key, const char *guard_prefix, store_txn_cb cb, void *arg);
	int (*lease_grant)(struct store *s, int64_t ttl, store_lease_cb cb, void *arg);
	int (*lease_keepalive)(struct store *s, int64_t lease, store_lease_cb cb, void *arg);
	int (*lease_revoke)(struct store *s, int64_t lease, store_lease_cb cb, void *arg);
	int (*lease_forget)(struct store *s, int64_t lease);
	int (*lease_keep)(struct store *s, int64_t lease, int64_t ttl);
	int (*watch)(struct store *s, const char *prefix, int64_t start_revision, store_watch_cb cb, void *arg,
		     struct store_watch **out);
	void (*watch_cancel)(struct store_watch *w);
};

struct store {
	const struct store_ops *ops;
};

struct store_watch {
	struct store *store;
};

extern const struct store_ops store_etcd_ops;

#endif
