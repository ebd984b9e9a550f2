/* fdb: the forwarding database of one VXLAN link: inner MAC -> remote VTEPs.
 * Mirrors the Linux vxlan driver's semantics (add/append/replace/del,
 * learning, moving, ageing, maxaddress). Time is passed in by the caller
 * (milliseconds on any monotonic clock), so ageing is testable without
 * sleeping. The table does not know who fills it (CLI, learning, control
 * plane) nor which datapath reads it. A lookup costs one cache line in the
 * common case (one remote); fdb_prefetch lets a datapath overlap the misses
 * of a whole batch.
 *
 * Concurrency. A table has one writer: the one thread at a time that calls
 * every function not marked "reader-safe" below (all changes, fdb_lookup,
 * fdb_foreach, fdb_stats, fdb_reclaim, fdb_free). Any number of reader
 * threads may meanwhile call the reader-safe ones (fdb_read, fdb_prefetch,
 * fdb_learn_peek, fdb_count, fdb_hash), without locks, if each holds a
 * struct fdb_reader and:
 *  - calls fdb_reader_quiesce() regularly (once per batch of packets) at a
 *    point where it holds nothing from the table: the remotes of a flood
 *    list (a copy's e.remotes when n_remotes > 1) stay valid until that
 *    reader's next quiesce or offline, no longer;
 *  - calls fdb_reader_offline() before it may block (epoll_wait), and
 *    fdb_reader_online() before it reads again: the writer waits for online
 *    readers only, so a reader that neither quiesces nor goes offline keeps
 *    every segment, directory and flood list the writer replaced alive;
 *  - is freed (fdb_reader_free) before the table.
 * A copy from fdb_read is one consistent version of the entry (never a MAC
 * with another entry's remote) that was current at some point during the
 * call. The writer frees what readers may hold once every online reader has
 * quiesced since it was replaced: it checks when it replaces something, and
 * fdb_reclaim() lets its event loop check in between. Readers only ever
 * write an entry's 'updated' (fdb_learn_peek, an atomic store); everything
 * else changes on the writer's thread. Without readers (single-threaded
 * use) none of this costs anything and memory is freed at once. */
#ifndef VXNET_FDB_H
#define VXNET_FDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vxnet/addr.h"

/* Who installed a remote. Several owners (the user, learning, link setup,
 * the control plane's store) change one table; each removes only what it
 * installed (fdb_del_owned, fdb_del_origin). */
enum fdb_origin {
	FDB_ORIGIN_USER = 0, /* CLI or API request: the zero value, so callers that never set it mean the user */
	FDB_ORIGIN_LEARNED,  /* fdb_learn, from received traffic */
	FDB_ORIGIN_LINK,     /* link setup (the flood entry of `remote`/`group`) */
	FDB_ORIGIN_STORE,    /* the control plane's store */
	FDB_ORIGIN_MAX
};

/* One remote VTEP. All fields are concrete: the caller fills the link's
 * defaults (dstport, VNI) before calling into the table. */
struct fdb_remote {
	struct vx_addr ip;
	uint16_t port;	  /* UDP destination port, host order */
	uint8_t origin;	  /* enum fdb_origin; not part of a remote's identity */
	uint32_t vni;	  /* VNI to put in the header */
	uint32_t ifindex; /* outgoing underlay device, 0 = routing decides */
};

enum fdb_state {
	/* added by add/append/replace or at link creation: never ages, never moved by learning */
	FDB_STATE_PERMANENT = 1,
	FDB_STATE_REACHABLE = 2, /* learned from received traffic: ages out */
};

/* Read-only view of an entry. From fdb_lookup: valid until the next
 * fdb_lookup or the next call that modifies the table. */
struct fdb_entry {
	uint8_t mac[MAC_LEN];
	enum fdb_state state;
	uint64_t updated; /* last time (ms) it was created, moved or refreshed by a received packet */
	unsigned n_remotes;
	const struct fdb_remote *remotes; /* n_remotes >= 1 */
};

/* A copy of one entry (fdb_read): e.remotes points at 'one' when the entry
 * has one remote, else at the table's array of remotes, valid until the next
 * call that modifies the table (for a reader thread: until its next quiesce).
 * Pass copies by pointer: a copy of a copy's e.remotes would still point
 * into the original. */
struct fdb_copy {
	struct fdb_entry e;
	struct fdb_remote one;
};

struct fdb_config {
	unsigned max_entries; /* 0 = no limit (maxaddress) */
	uint64_t ageing_ms;   /* learned entries expire this long after 'updated'; 0 = never */
	/* Tests and benchmarks: hash with 'seed' instead of a random per-table
	 * seed. A daemon leaves this false: senders choose the MACs it learns,
	 * and must not be able to aim them at one slot. */
	bool fixed_seed;
	uint64_t seed;
};

struct fdb;

/* Create an empty table (cfg NULL: no limit, no ageing). NULL and errno =
 * ENOMEM on failure. */
struct fdb *fdb_new(const struct fdb_config *cfg);
void fdb_free(struct fdb *f);
/* Reader-safe (then approximate: the writer may be changing it). */
unsigned fdb_count(const struct fdb *f);
/* Change the learned entries' lifetime on a live table (`link set ageing`). */
void fdb_set_ageing(struct fdb *f, uint64_t ageing_ms);

/* Exact lookup; NULL if absent. The entry is a copy kept in the table (see
 * struct fdb_entry for how long it lasts). */
const struct fdb_entry *fdb_lookup(const struct fdb *f, const uint8_t mac[MAC_LEN]);
/* Reader-safe. Exact lookup into the caller's copy; false if absent. The
 * datapath's lookup: it writes nothing in the table. */
bool fdb_read(const struct fdb *f, const uint8_t mac[MAC_LEN], struct fdb_copy *c);
/* Reader-safe. Start loading the cache lines where mac's entry is (or would
 * be). Called for every packet of a batch before looking any of them up, it
 * overlaps the batch's cache misses instead of paying them one by one. */
void fdb_prefetch(const struct fdb *f, const uint8_t mac[MAC_LEN]);

/* add, replace and append store r->origin with the remote they install.
 *
 * `fdb add`: create a permanent entry with one remote.
 * -EEXIST if the MAC exists (learned or not), -ENOSPC if the table is full,
 * -ENOMEM. add, replace and append return -EINVAL when r is NULL or r->ip is
 * neither AF_INET nor AF_INET6. */
int fdb_add(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, uint64_t now);
/* `fdb replace`: create, or overwrite the first remote of an existing entry
 * (origin included: the entry now belongs to the replacing owner), and make
 * it permanent. -EOPNOTSUPP for all-zeros or multicast MACs (as the
 * kernel refuses), -ENOSPC, -ENOMEM. */
int fdb_replace(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, uint64_t now);
/* `fdb append`: add a remote to an all-zeros or multicast entry, creating it
 * (permanent) if missing; creates a unicast entry if missing.
 * -EEXIST if that exact remote is already there, -EOPNOTSUPP when appending
 * to an existing unicast entry, -ENOSPC, -ENOMEM. */
int fdb_append(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, uint64_t now);
/* `fdb del`: r == NULL deletes the whole entry; otherwise only the remote
 * equal to *r (ip, port, vni and ifindex; origin is ignored), and the entry
 * when it was the last. -ENOENT if no such entry or remote. */
int fdb_del(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r);
/* fdb_del for one owner: -EPERM, and nothing removed, when the matching remote
 * (r != NULL) or any remote of the entry (r == NULL) has another origin.
 * -ENOENT as fdb_del. */
int fdb_del_owned(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, uint8_t origin);

enum fdb_learn_result {
	FDB_LEARN_NEW,	     /* new learned entry */
	FDB_LEARN_MOVED,     /* learned entry now points at r->ip */
	FDB_LEARN_REFRESHED, /* same remote, 'updated' refreshed */
	FDB_LEARN_PINNED,    /* permanent entry already says r->ip: nothing to do, accept */
	FDB_LEARN_CONFLICT,  /* permanent entry points elsewhere: caller drops the packet */
	FDB_LEARN_FULL,	     /* unknown MAC and table full: not learned, packet accepted */
	FDB_LEARN_INVALID,   /* all-zeros or multicast source MAC: not learned */
	FDB_LEARN_NOMEM,     /* allocation failed: not learned */
};
/* Learn inner source MAC -> r (the outer source IP with the link's port and VNI).
 * A move replaces the entry's remote by *r. What learning creates or moves has
 * origin FDB_ORIGIN_LEARNED, whatever r->origin says. r NULL or without an
 * IPv4/IPv6 address: FDB_LEARN_INVALID. Allocates only for FDB_LEARN_NEW. */
enum fdb_learn_result fdb_learn(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, uint64_t now);
/* Reader-safe learning, for a datapath thread: what fdb_learn would return,
 * doing only what needs no writer. FDB_LEARN_REFRESHED: a learned entry
 * already points at r->ip and its 'updated' is now 'now' (an atomic store,
 * only when the time changed: a busy MAC does not bounce its cache line
 * between CPUs on every packet). PINNED, CONFLICT, INVALID: as fdb_learn,
 * nothing to change. NEW, MOVED, FULL: only the writer can do it; hand the
 * request to the writer's thread, whose fdb_learn decides afresh. A refresh
 * that races the writer changing the entry is dropped (the next packet
 * refreshes again); it can reach another entry only if that one was written
 * in the very millisecond of the one read, and then only moves its time to
 * 'now'. */
enum fdb_learn_result fdb_learn_peek(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r,
				     uint64_t now);

typedef void (*fdb_entry_cb)(const struct fdb_entry *e, void *arg);
/* Remove learned entries with now - updated >= ageing_ms; cb (may be NULL)
 * sees each one just before it is freed. Returns how many were removed. */
unsigned fdb_age(struct fdb *f, uint64_t now, fdb_entry_cb cb, void *arg);
/* Decides whether fdb_del_origin removes remote r of the entry for mac (in
 * state); true removes it. */
typedef bool (*fdb_remote_filter)(const uint8_t mac[MAC_LEN], const struct fdb_remote *r, enum fdb_state state,
				  void *arg);
/* Remove remotes of the given origin across the table, for an owner leaving
 * (link teardown) or reconciling (what the store installed and no longer
 * has). filter (NULL: remove them all) sees each such remote, in
 * creation order of the entries and in order within one, and says whether it
 * goes. An entry left without remotes goes with its last one. Returns how
 * many remotes were removed. Other origins are never touched; filter must
 * not modify the table. */
unsigned fdb_del_origin(struct fdb *f, uint8_t origin, fdb_remote_filter filter, void *arg);
/* Visit every entry, in creation order (stable output for `fdb show`).
 * cb must not modify the table. */
void fdb_foreach(const struct fdb *f, fdb_entry_cb cb, void *arg);

/* Reader-safe. The table's keyed hash of mac (its top bits pick a segment,
 * its low bits the home slot in it): for tests and diagnostics. */
uint64_t fdb_hash(const struct fdb *f, const uint8_t mac[MAC_LEN]);

struct fdb_stats {
	unsigned entries;
	unsigned segments;  /* the table grows by segments (at most 2 MiB each) */
	unsigned dir_depth; /* the directory has 1 << dir_depth entries */
	unsigned max_probe; /* slots the longest lookup of a present entry reads */
	size_t slots;	    /* 64 bytes each */
	size_t tombstones;  /* deleted slots still on a probe path */
	size_t bytes;	    /* memory held, about */
};
/* Shape of the table, for tests, diagnostics and benchmarks; reads every
 * slot (slow on big tables). */
void fdb_stats(const struct fdb *f, struct fdb_stats *st);

/* A reader thread's registration (see "Concurrency" at the top). */
struct fdb_reader;
/* Register the calling thread as a reader, online. Any thread, any time.
 * NULL and errno = ENOMEM on failure. */
struct fdb_reader *fdb_reader_new(struct fdb *f);
/* Unregister; r may no longer be used, nor anything it read. NULL is fine. */
void fdb_reader_free(struct fdb_reader *r);
/* The reader holds nothing from the table right now: what the writer
 * replaced before may be freed. Cheap (one shared load; a store only when
 * the writer replaced something since). Online again if it was offline. */
void fdb_reader_quiesce(struct fdb_reader *r);
/* Before blocking: holds nothing, and is not waited for while offline. */
void fdb_reader_offline(struct fdb_reader *r);
/* Before reading again after fdb_reader_offline. */
void fdb_reader_online(struct fdb_reader *r);
/* Writer: free what no reader can hold any more; returns how many replaced
 * objects still wait for a reader to quiesce. Called by every change that
 * replaces something; call it from the writer's loop too (e.g. after each
 * batch of requests), so that memory does not wait for the next change. */
size_t fdb_reclaim(struct fdb *f);

#endif
