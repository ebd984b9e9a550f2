/* fdb: the forwarding database of one VXLAN link (semantics in
 * include/vxnet/fdb.h). A chained hash table keyed by MAC, with power-of-two
 * buckets doubled whenever the load passes one, keeps lookups O(1) on the
 * per-packet path; a doubly linked list in creation order gives `fdb show`
 * a stable order. Each node embeds the public struct fdb_entry, so the view
 * handed to callers is the state itself and can never go stale. */

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "vxnet/fdb.h"

#define FDB_INIT_BITS 4
#define FDB_MAX_BITS 28

struct fdb_node {
	struct fdb_entry e;	      /* e.remotes == rem, always */
	struct fdb_node *hnext;	      /* hash chain */
	struct fdb_node *prev, *next; /* creation order */
	struct fdb_remote *rem;	      /* &one, or a heap array of cap */
	unsigned cap;
	struct fdb_remote one; /* nearly every entry has one remote: no second allocation */
};

struct fdb {
	struct fdb_config cfg;
	struct fdb_node **buckets;
	unsigned bits;
	unsigned count;
	uint64_t seed; /* learned MACs are chosen by remote senders: keep bucket placement unpredictable */
	struct fdb_node *head, *tail;
};

/* Local, inlinable helpers rather than addr.c calls: they run per packet. */
static bool mac_zero(const uint8_t mac[MAC_LEN])
{
	return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0;
}

static bool mac_mcast(const uint8_t mac[MAC_LEN])
{
	return mac[0] & 1;
}

static bool ip_equal(const struct vx_addr *a, const struct vx_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	if (a->family == AF_INET6)
		return memcmp(&a->v6, &b->v6, sizeof(a->v6)) == 0;
	return true;
}

static bool remote_equal(const struct fdb_remote *a, const struct fdb_remote *b)
{
	return ip_equal(&a->ip, &b->ip) && a->port == b->port && a->vni == b->vni && a->ifindex == b->ifindex;
}

static bool remote_valid(const struct fdb_remote *r)
{
	return r && (r->ip.family == AF_INET || r->ip.family == AF_INET6);
}

/* murmur3's 64-bit finaliser: a bijection that spreads every input bit. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static size_t fdb_slot(uint64_t seed, unsigned bits, const uint8_t mac[MAC_LEN])
{
	uint64_t k = (uint64_t)mac[0] | (uint64_t)mac[1] << 8 | (uint64_t)mac[2] << 16 | (uint64_t)mac[3] << 24 |
		     (uint64_t)mac[4] << 32 | (uint64_t)mac[5] << 40;

	return (size_t)(mix64(k ^ seed) & (((uint64_t)1 << bits) - 1));
}

static struct fdb_node *fdb_find(const struct fdb *f, const uint8_t mac[MAC_LEN])
{
	struct fdb_node *n = f->buckets[fdb_slot(f->seed, f->bits, mac)];

	while (n && memcmp(n->e.mac, mac, MAC_LEN) != 0)
		n = n->hnext;
	return n;
}

static bool fdb_full(const struct fdb *f)
{
	return f->cfg.max_entries && f->count >= f->cfg.max_entries;
}

static uint64_t seed_new(const void *salt)
{
	uint64_t s;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == (ssize_t)sizeof(s))
		return s;
	/* No entropy yet (early boot): still differs per table and per run with ASLR. */
	return mix64((uint64_t)(uintptr_t)salt);
}

struct fdb *fdb_new(const struct fdb_config *cfg)
{
	struct fdb *f = calloc(1, sizeof(*f));

	if (!f)
		goto fail;
	if (cfg)
		f->cfg = *cfg;
	f->bits = FDB_INIT_BITS;
	f->buckets = calloc((size_t)1 << f->bits, sizeof(*f->buckets));
	if (!f->buckets)
		goto fail;
	f->seed = seed_new(f);
	return f;
fail:
	free(f);
	errno = ENOMEM;
	return NULL;
}

static void node_free(struct fdb_node *n)
{
	if (n->rem != &n->one)
		free(n->rem);
	free(n);
}

void fdb_free(struct fdb *f)
{
	struct fdb_node *n, *next;

	if (!f)
		return;
	for (n = f->head; n; n = next) {
		next = n->next;
		node_free(n);
	}
	free(f->buckets);
	free(f);
}

unsigned fdb_count(const struct fdb *f)
{
	return f->count;
}

const struct fdb_entry *fdb_lookup(const struct fdb *f, const uint8_t mac[MAC_LEN])
{
	struct fdb_node *n = fdb_find(f, mac);

	return n ? &n->e : NULL;
}

/* Double the bucket array. On allocation failure the table keeps its size:
 * chains get longer, nothing is lost. */
static void fdb_grow(struct fdb *f)
{
	unsigned bits = f->bits + 1;
	struct fdb_node **nb;
	struct fdb_node *n;

	if (bits > FDB_MAX_BITS)
		return;
	nb = calloc((size_t)1 << bits, sizeof(*nb));
	if (!nb)
		return;
	for (n = f->head; n; n = n->next) {
		size_t s = fdb_slot(f->seed, bits, n->e.mac);

		n->hnext = nb[s];
		nb[s] = n;
	}
	free(f->buckets);
	f->buckets = nb;
	f->bits = bits;
}

/* Caller has checked that mac is absent and the table is not full. */
static struct fdb_node *fdb_insert(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r,
				   enum fdb_state state, uint64_t now)
{
	struct fdb_node *n = calloc(1, sizeof(*n));
	size_t s;

	if (!n)
		return NULL;
	memcpy(n->e.mac, mac, MAC_LEN);
	n->e.state = state;
	n->e.updated = now;
	n->one = *r;
	n->rem = &n->one;
	n->cap = 1;
	n->e.remotes = n->rem;
	n->e.n_remotes = 1;

	s = fdb_slot(f->seed, f->bits, mac);
	n->hnext = f->buckets[s];
	f->buckets[s] = n;
	n->prev = f->tail;
	if (f->tail)
		f->tail->next = n;
	else
		f->head = n;
	f->tail = n;
	f->count++;
	if (f->count > ((size_t)1 << f->bits))
		fdb_grow(f);
	return n;
}

static void fdb_remove(struct fdb *f, struct fdb_node *n)
{
	struct fdb_node **pp = &f->buckets[fdb_slot(f->seed, f->bits, n->e.mac)];

	while (*pp != n)
		pp = &(*pp)->hnext;
	*pp = n->hnext;
	if (n->prev)
		n->prev->next = n->next;
	else
		f->head = n->next;
	if (n->next)
		n->next->prev = n->prev;
	else
		f->tail = n->prev;
	f->count--;
	node_free(n);
}

static int node_remote_find(const struct fdb_node *n, const struct fdb_remote *r)
{
	for (unsigned i = 0; i < n->e.n_remotes; i++)
		if (remote_equal(&n->rem[i], r))
			return (int)i;
	return -1;
}

static bool node_has_ip(const struct fdb_node *n, const struct vx_addr *ip)
{
	for (unsigned i = 0; i < n->e.n_remotes; i++)
		if (ip_equal(&n->rem[i].ip, ip))
			return true;
	return false;
}

static int node_remote_append(struct fdb_node *n, const struct fdb_remote *r)
{
	if (n->e.n_remotes == n->cap) {
		struct fdb_remote *a;
		unsigned cap;

		if (n->cap > UINT_MAX / 2)
			return -ENOMEM;
		cap = n->cap * 2;
		a = calloc(cap, sizeof(*a));
		if (!a)
			return -ENOMEM;
		memcpy(a, n->rem, n->e.n_remotes * sizeof(*a));
		if (n->rem != &n->one)
			free(n->rem);
		n->rem = a;
		n->cap = cap;
		n->e.remotes = a;
	}
	n->rem[n->e.n_remotes++] = *r;
	return 0;
}

int fdb_add(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, uint64_t now)
{
	if (!remote_valid(r))
		return -EINVAL;
	if (fdb_find(f, mac))
		return -EEXIST;
	if (fdb_full(f))
		return -ENOSPC;
	return fdb_insert(f, mac, r, FDB_STATE_PERMANENT, now) ? 0 : -ENOMEM;
}

int fdb_replace(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, uint64_t now)
{
	struct fdb_node *n;

	if (!remote_valid(r))
		return -EINVAL;
	/* The kernel refuses both for a missing and an existing entry: a flood
	 * list has no "first" remote worth overwriting. */
	if (mac_zero(mac) || mac_mcast(mac))
		return -EOPNOTSUPP;
	n = fdb_find(f, mac);
	if (!n) {
		if (fdb_full(f))
			return -ENOSPC;
		return fdb_insert(f, mac, r, FDB_STATE_PERMANENT, now) ? 0 : -ENOMEM;
	}
	n->rem[0] = *r;
	n->e.state = FDB_STATE_PERMANENT;
	n->e.updated = now;
	return 0;
}

int fdb_append(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, uint64_t now)
{
	struct fdb_node *n;
	int err;

	if (!remote_valid(r))
		return -EINVAL;
	n = fdb_find(f, mac);
	if (!n) {
		if (fdb_full(f))
			return -ENOSPC;
		return fdb_insert(f, mac, r, FDB_STATE_PERMANENT, now) ? 0 : -ENOMEM;
	}
	if (!mac_zero(mac) && !mac_mcast(mac))
		return -EOPNOTSUPP;
	if (node_remote_find(n, r) >= 0)
		return -EEXIST;
	err = node_remote_append(n, r);
	if (err)
		return err;
	n->e.state = FDB_STATE_PERMANENT;
	n->e.updated = now;
	return 0;
}

/* Remove remote i of n, and n with its last remote. */
static void node_remote_remove(struct fdb *f, struct fdb_node *n, unsigned i)
{
	if (n->e.n_remotes == 1) {
		fdb_remove(f, n);
		return;
	}
	/* Keep the survivors in order: the first remote is the one replace and
	 * learning act on, and show output stays stable. */
	memmove(&n->rem[i], &n->rem[i + 1], (n->e.n_remotes - i - 1) * sizeof(*n->rem));
	n->e.n_remotes--;
}

/* origin < 0: any owner (fdb_del). */
static int del_as(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, int origin)
{
	struct fdb_node *n = fdb_find(f, mac);
	int i;

	if (!n)
		return -ENOENT;
	if (!r) {
		for (unsigned j = 0; origin >= 0 && j < n->e.n_remotes; j++)
			if (n->rem[j].origin != origin)
				return -EPERM;
		fdb_remove(f, n);
		return 0;
	}
	i = node_remote_find(n, r);
	if (i < 0)
		return -ENOENT;
	if (origin >= 0 && n->rem[i].origin != origin)
		return -EPERM;
	node_remote_remove(f, n, (unsigned)i);
	return 0;
}

int fdb_del(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r)
{
	return del_as(f, mac, r, -1);
}

int fdb_del_owned(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, uint8_t origin)
{
	return del_as(f, mac, r, origin);
}

unsigned fdb_del_origin(struct fdb *f, uint8_t origin, fdb_remote_filter filter, void *arg)
{
	struct fdb_node *n, *next;
	unsigned removed = 0;

	for (n = f->head; n; n = next) {
		next = n->next;
		for (unsigned i = 0; i < n->e.n_remotes;) {
			bool last = n->e.n_remotes == 1;

			if (n->rem[i].origin != origin || (filter && !filter(n->e.mac, &n->rem[i], n->e.state, arg))) {
				i++;
				continue;
			}
			node_remote_remove(f, n, i);
			removed++;
			if (last)
				break;
		}
	}
	return removed;
}

enum fdb_learn_result fdb_learn(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, uint64_t now)
{
	struct fdb_remote learned;
	struct fdb_node *n;

	if (!remote_valid(r) || mac_zero(mac) || mac_mcast(mac))
		return FDB_LEARN_INVALID;
	learned = *r;
	learned.origin = FDB_ORIGIN_LEARNED;
	n = fdb_find(f, mac);
	if (!n) {
		if (fdb_full(f))
			return FDB_LEARN_FULL;
		return fdb_insert(f, mac, &learned, FDB_STATE_REACHABLE, now) ? FDB_LEARN_NEW : FDB_LEARN_NOMEM;
	}
	if (n->e.state == FDB_STATE_PERMANENT)
		return node_has_ip(n, &r->ip) ? FDB_LEARN_PINNED : FDB_LEARN_CONFLICT;
	n->e.updated = now;
	if (ip_equal(&n->rem[0].ip, &r->ip))
		return FDB_LEARN_REFRESHED;
	/* A learned entry has exactly one remote; it now is what a fresh
	 * learn of r would have created. */
	n->rem[0] = learned;
	return FDB_LEARN_MOVED;
}

unsigned fdb_age(struct fdb *f, uint64_t now, fdb_entry_cb cb, void *arg)
{
	struct fdb_node *n, *next;
	unsigned removed = 0;

	if (f->cfg.ageing_ms == 0)
		return 0;
	for (n = f->head; n; n = next) {
		next = n->next;
		if (n->e.state != FDB_STATE_REACHABLE)
			continue;
		/* A clock read before the entry's update (caller's skew) is not age. */
		if (now < n->e.updated || now - n->e.updated < f->cfg.ageing_ms)
			continue;
		if (cb)
			cb(&n->e, arg);
		fdb_remove(f, n);
		removed++;
	}
	return removed;
}

void fdb_foreach(const struct fdb *f, fdb_entry_cb cb, void *arg)
{
	for (const struct fdb_node *n = f->head; n; n = n->next)
		cb(&n->e, arg);
}
