/* fdb: the forwarding database of one VXLAN link (semantics in
 * include/vxnet/fdb.h), laid out so that a lookup touches one cache line.
 *
 * Every entry lives in a 64-byte slot of an open-addressed table: the MAC,
 * a 7-bit tag of its hash, the state, the time and, for the common entry
 * with a single remote, that remote itself. Flood lists (two remotes or
 * more) keep their remotes in an immutable heap array the slot points at.
 * The tag byte is also the occupancy byte, so one 64-bit compare tests
 * "occupied, same tag, same MAC" at once. Probing is linear; each slot also
 * carries a hint of how far the entries that hash to it lie, so a miss
 * usually ends on the home slot's line instead of running to an empty slot.
 *
 * The table is split into segments (extendible hashing): the top bits of
 * the hash pick a segment through a directory, the low bits a slot in it.
 * A segment doubles until SEG_MAX_BITS (2 MiB), then splits in two; either
 * way one resize moves at most one segment's entries (24k), so growing to a
 * million entries never stalls the writer for the whole table's rehash,
 * and a segment that empties shrinks on its own. Segments of 2 MiB are
 * mapped with transparent huge pages, so a random lookup in a big table
 * rarely misses the TLB as well as the cache.
 *
 * Deletion leaves a tombstone (it never moves an entry, so a concurrent
 * reader cannot lose one); tombstones followed by an empty slot turn empty
 * again at once, the rest go at the next rehash of their segment.
 *
 * Concurrency: slots are read through a per-slot sequence counter, so a
 * reader copies a consistent (MAC, remote) pair while the single writer
 * changes the slot, and everything a reader may still hold (segments,
 * directories, remote arrays) goes through fdb_retire() (see fdb.h for the
 * contract).
 *
 * Creation order (fdb show) is a doubly linked list of small nodes that
 * hold the MAC, not the slot: rehashing a segment then moves entries without
 * touching the list. */

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "vxnet/fdb.h"

#define SEG_MIN_BITS 3	 /* 8 slots: a small link's table is 512 bytes */
#define SEG_MAX_BITS 15	 /* 32768 slots = 2 MiB: one huge page */
#define DIR_MAX_DEPTH 16 /* 65536 segments of 24k entries: far beyond any L2 domain */
/* A segment is rehashed before live entries plus tombstones pass its load
 * limit (max_fill), to half of that; it shrinks below 1/8. */
#define HUGE_SIZE ((size_t)2 << 20)

#define HINT_FAR 255
#define MAX_REMOTES UINT16_MAX

#define CTRL_EMPTY 0x00
#define CTRL_TOMB 0x01
#define CTRL_FULL 0x80
/* key word: byte 0 the control byte (CTRL_FULL | 7 hash bits when used),
 * bytes 1-6 the MAC, byte 7 the state. */
#define KEY_MATCH 0x00ffffffffffffffULL

struct fdb_onode {
	struct fdb_onode *prev, *next;
	uint8_t mac[MAC_LEN];
};

/* One entry. Everything a reader loads is atomic; the entry's fields change
 * only inside a seq write (odd while changing). 'hint' belongs to the slot's
 * position, not to the entry in it: entries whose home is this slot lie in
 * the 'hint' slots from here (0: there are none; HINT_FAR: scan to an empty
 * slot), so that most misses end on the home slot's line. 'node' is the
 * writer's alone. */
struct fdb_slot {
	_Atomic uint64_t key;
	_Atomic uint32_t seq;
	_Atomic uint16_t n; /* remotes */
	_Atomic uint8_t hint;
	uint8_t unused;
	_Atomic uint64_t updated;
	_Atomic uint64_t rem[4]; /* the remote itself (n == 1) or rem[0] = its array (n >= 2) */
	struct fdb_onode *node;
};

_Static_assert(sizeof(struct fdb_slot) == 64, "one slot, one cache line");
_Static_assert(sizeof(struct fdb_remote) == 4 * sizeof(uint64_t), "a remote fills rem[]");

/* Something a reader may still hold after the writer unlinked it (segment,
 * directory, array of remotes): freed once every reader has passed a
 * quiescent state since (tag: the grace period it waits for). */
struct retired {
	struct retired *next;
	uint64_t tag;
	void (*free)(struct retired *);
};

/* The remotes of a flood list; slots point at r. Never changed once a slot
 * points at it: a change makes a new one. */
struct rarray {
	struct retired rt;
	struct fdb_remote r[];
};

/* Writer-side description of a segment; readers find the slots through the
 * directory alone. */
struct fdb_seg {
	struct retired rt;
	struct fdb_slot *slots;
	uint32_t mask;
	uint8_t bits;
	uint8_t depth; /* local depth: holds every MAC whose hash starts with these top bits */
	unsigned used, tombs;
};

/* 1 << depth entries, indexed by the top bits of the hash. ent[i] is what a
 * lookup needs, the slots' address with log2 of their number in the low
 * bits (slots are 64-byte aligned); hdr[i] is the writer's. */
struct fdb_dir {
	struct retired rt;
	unsigned depth;
	struct fdb_seg **hdr;
	_Atomic uintptr_t ent[];
};

/* A writer-side copy of a slot. */
struct slot_img {
	uint64_t key;
	uint32_t n;
	uint64_t updated;
	uint64_t rem[4];
};

/* Grace periods (quiescent-state-based reclamation): the writer numbers
 * each thing it unlinks with a new grace period (gp); a reader that
 * quiesces records the latest gp it saw (ctr), promising it holds nothing
 * from the table read before; what every online reader has seen the tag of
 * can go. Offline readers (ctr 0) hold nothing and are not waited for. */
struct fdb_reader {
	_Atomic uint64_t ctr; /* 0: offline; else the last grace period seen */
	struct fdb *f;
	struct fdb_reader *prev, *next; /* under f->rlock */
};

struct fdb {
	/* Read by every lookup; written when the directory is replaced. */
	_Atomic(struct fdb_dir *) dir;
	uint64_t seed; /* learned MACs are chosen by remote senders: keep placement unpredictable */
	struct fdb_config cfg;
	/* Read by readers once per batch, written once per retired object. */
	alignas(64) _Atomic uint64_t gp;
	/* The writer's. */
	alignas(64) _Atomic unsigned count;
	struct fdb_onode *head, *tail;
	struct fdb_copy scratch;	   /* what fdb_lookup returns */
	struct retired *pend, **pend_tail; /* waiting for readers, oldest first */
	size_t npend;
	/* Registration is rare; the lock keeps the reader list intact while the
	 * writer scans it. */
	pthread_mutex_t rlock;
	struct fdb_reader *readers;
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

static uint64_t mac_bits(const uint8_t mac[MAC_LEN])
{
	return (uint64_t)mac[0] | (uint64_t)mac[1] << 8 | (uint64_t)mac[2] << 16 | (uint64_t)mac[3] << 24 |
	       (uint64_t)mac[4] << 32 | (uint64_t)mac[5] << 40;
}

/* The key word of a used slot for this MAC and hash, state left out. */
static uint64_t key_of(uint64_t macbits, uint64_t h)
{
	return (CTRL_FULL | ((h >> 24) & 0x7f)) | macbits << 8;
}

static size_t dir_index(const struct fdb_dir *d, uint64_t h)
{
	return d->depth ? (size_t)(h >> (64 - d->depth)) : 0;
}

/* The directory entry of hash h, for readers. */
static uintptr_t ent_for(const struct fdb *f, uint64_t h)
{
	const struct fdb_dir *d = atomic_load_explicit(&f->dir, memory_order_acquire);

	return atomic_load_explicit(&d->ent[dir_index(d, h)], memory_order_acquire);
}

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

/* Copy the entry in slot s into v, if s still holds want. Safe against the
 * writer: the copy is retried until the slot's sequence is even and the
 * same before and after it, which makes it one consistent version. Loads
 * go straight to v (the caller's, nobody else's) to keep the loop short. */
static inline bool slot_copy(const struct fdb_slot *s, uint64_t want, const uint8_t mac[MAC_LEN], struct fdb_copy *v)
{
	uint64_t k;
	uint32_t q, n;

	for (;;) {
		q = atomic_load_explicit(&s->seq, memory_order_acquire);
		k = atomic_load_explicit(&s->key, memory_order_relaxed);
		n = atomic_load_explicit(&s->n, memory_order_relaxed);
		v->e.updated = atomic_load_explicit(&s->updated, memory_order_relaxed);
		for (int j = 0; j < 4; j++) {
			uint64_t w = atomic_load_explicit(&s->rem[j], memory_order_relaxed);

			memcpy((char *)&v->one + 8 * j, &w, 8);
		}
		atomic_thread_fence(memory_order_acquire);
		if (__builtin_expect(!(q & 1) && atomic_load_explicit(&s->seq, memory_order_relaxed) == q, 1))
			break;
		cpu_relax();
	}
	if ((k & KEY_MATCH) != want)
		return false; /* the slot changed hands while we looked */
	memcpy(v->e.mac, mac, MAC_LEN);
	v->e.state = (enum fdb_state)(k >> 56);
	v->e.n_remotes = n;
	if (n == 1) {
		v->e.remotes = &v->one;
	} else {
		uint64_t a;

		memcpy(&a, &v->one, 8);
		v->e.remotes = (const struct fdb_remote *)(uintptr_t)a;
	}
	return true;
}

/* Find mac and copy its entry into v; false if absent. Reads the home slot,
 * then at most the slots its hint covers, stopping at an empty slot (a
 * segment always keeps one). A hint read before the writer raised it only
 * makes a concurrent insert invisible a little longer. */
static inline bool table_read(const struct fdb *f, const uint8_t mac[MAC_LEN], struct fdb_copy *v,
			      const struct fdb_slot **where)
{
	uint64_t mb = mac_bits(mac), h = mix64(mb ^ f->seed), want = key_of(mb, h);
	uintptr_t ent = ent_for(f, h);
	const struct fdb_slot *slots = (const struct fdb_slot *)(ent & ~(uintptr_t)63);
	uint32_t mask = (1u << (ent & 63)) - 1, home = (uint32_t)h & mask, span, j;
	uint32_t next = (home + 1) & mask, at;
	uint64_t k = atomic_load_explicit(&slots[home].key, memory_order_relaxed), k1, sel;

	if ((k & 0xff) == CTRL_EMPTY)
		return false;
	if ((ent & 63) >= SEG_MAX_BITS) {
		/* A big segment is mostly out of cache: a second line costs
		 * more than a mispredicted branch. */
		if ((k & KEY_MATCH) == want && slot_copy(&slots[home], want, mac, v)) {
			if (where)
				*where = &slots[home];
			return true;
		}
		next = home;
	}
	/* Most entries sit at their home slot or the next one. Where the
	 * lines are cached, choose between the two without a branch, which
	 * the CPU could only guess (a linear probe's displacement is random):
	 * a mispredict then costs more than reading the next line. */
	k1 = atomic_load_explicit(&slots[next].key, memory_order_relaxed);
	sel = -(uint64_t)((k & KEY_MATCH) == want); /* all ones: home */
	at = (uint32_t)((home & sel) | (next & ~sel));
	k = (k & sel) | (k1 & ~sel);
	if ((k & KEY_MATCH) == want && slot_copy(&slots[at], want, mac, v)) {
		if (where)
			*where = &slots[at];
		return true;
	}
	span = atomic_load_explicit(&slots[home].hint, memory_order_relaxed);
	if (span == HINT_FAR)
		span = mask + 1;
	for (j = 1; j < span; j++) {
		const struct fdb_slot *s = &slots[(home + j) & mask];

		k = atomic_load_explicit(&s->key, memory_order_relaxed);
		if ((k & 0xff) == CTRL_EMPTY)
			return false;
		if ((k & KEY_MATCH) == want && slot_copy(s, want, mac, v)) {
			if (where)
				*where = s;
			return true;
		}
	}
	return false;
}

/* The writer's own copy: nobody else changes a slot but 'updated'. */
static void slot_load(const struct fdb_slot *s, struct slot_img *im)
{
	im->key = atomic_load_explicit(&s->key, memory_order_relaxed);
	im->n = atomic_load_explicit(&s->n, memory_order_relaxed);
	im->updated = atomic_load_explicit(&s->updated, memory_order_relaxed);
	for (int i = 0; i < 4; i++)
		im->rem[i] = atomic_load_explicit(&s->rem[i], memory_order_relaxed);
}

/* Publish a new version of a slot that readers may be looking at. */
static void slot_store(struct fdb_slot *s, const struct slot_img *im)
{
	uint32_t q = atomic_load_explicit(&s->seq, memory_order_relaxed);

	atomic_store_explicit(&s->seq, q + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&s->key, im->key, memory_order_relaxed);
	atomic_store_explicit(&s->n, (uint16_t)im->n, memory_order_relaxed);
	atomic_store_explicit(&s->updated, im->updated, memory_order_relaxed);
	for (int i = 0; i < 4; i++)
		atomic_store_explicit(&s->rem[i], im->rem[i], memory_order_relaxed);
	atomic_store_explicit(&s->seq, q + 2, memory_order_release);
}

/* Fill a slot of a segment nobody can see yet. */
static void slot_init(struct fdb_slot *s, const struct slot_img *im, struct fdb_onode *node)
{
	atomic_store_explicit(&s->key, im->key, memory_order_relaxed);
	atomic_store_explicit(&s->n, (uint16_t)im->n, memory_order_relaxed);
	atomic_store_explicit(&s->updated, im->updated, memory_order_relaxed);
	for (int i = 0; i < 4; i++)
		atomic_store_explicit(&s->rem[i], im->rem[i], memory_order_relaxed);
	s->node = node;
}

static enum fdb_state img_state(const struct slot_img *im)
{
	return (enum fdb_state)(im->key >> 56);
}

static uint64_t img_macbits(const struct slot_img *im)
{
	return (im->key >> 8) & 0xffffffffffffULL;
}

static const struct fdb_remote *img_remotes(const struct slot_img *im, struct fdb_remote *one)
{
	if (im->n == 1) {
		memcpy(one, im->rem, sizeof(*one));
		return one;
	}
	return (const struct fdb_remote *)(uintptr_t)im->rem[0];
}

static void img_set_remote(struct slot_img *im, const struct fdb_remote *r)
{
	memcpy(im->rem, r, sizeof(*r));
}

static void img_set_array(struct slot_img *im, const struct fdb_remote *a, uint32_t n)
{
	im->n = n;
	im->rem[0] = (uint64_t)(uintptr_t)a;
	im->rem[1] = im->rem[2] = im->rem[3] = 0;
}

static void view_fill(struct fdb_copy *v, const struct slot_img *im)
{
	uint64_t mb = img_macbits(im);

	for (int i = 0; i < MAC_LEN; i++)
		v->e.mac[i] = (uint8_t)(mb >> (8 * i));
	v->e.state = img_state(im);
	v->e.updated = im->updated;
	v->e.n_remotes = im->n;
	v->e.remotes = img_remotes(im, &v->one);
}

/* ---- memory ---- */

/* Slot arrays of 2 MiB and more get their own mapping, aligned and marked
 * for transparent huge pages; smaller ones come from malloc. Either way
 * they start zeroed (all slots empty). */
static struct fdb_slot *slots_alloc(size_t n)
{
	size_t size = n * sizeof(struct fdb_slot);
	void *p;

	if (size < HUGE_SIZE) {
		p = aligned_alloc(64, size);
		if (p)
			memset(p, 0, size);
		return p;
	}
	p = mmap(NULL, size + HUGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	uintptr_t a = ((uintptr_t)p + HUGE_SIZE - 1) & ~(uintptr_t)(HUGE_SIZE - 1);
	size_t head = a - (uintptr_t)p;

	if (head)
		munmap(p, head);
	if (HUGE_SIZE - head)
		munmap((char *)a + size, HUGE_SIZE - head);
	/* Advice only: without THP the table still works, with more TLB misses. */
	(void)madvise((void *)a, size, MADV_HUGEPAGE);
	return (struct fdb_slot *)a;
}

static void seg_free(struct fdb_seg *sg)
{
	size_t size;

	if (!sg)
		return;
	size = ((size_t)sg->mask + 1) * sizeof(struct fdb_slot);
	if (size < HUGE_SIZE)
		free(sg->slots);
	else
		munmap(sg->slots, size);
	free(sg);
}

static void seg_free_rt(struct retired *rt)
{
	seg_free((struct fdb_seg *)rt);
}

static struct fdb_seg *seg_new(unsigned bits, unsigned depth)
{
	struct fdb_seg *sg = calloc(1, sizeof(*sg));

	if (!sg)
		return NULL;
	sg->rt.free = seg_free_rt;
	sg->bits = (uint8_t)bits;
	sg->mask = (1u << bits) - 1;
	sg->depth = (uint8_t)depth;
	sg->slots = slots_alloc((size_t)1 << bits);
	if (!sg->slots) {
		free(sg);
		return NULL;
	}
	return sg;
}

static void free_rt(struct retired *rt)
{
	free(rt);
}

static struct rarray *rarray_of(const struct fdb_remote *r)
{
	return (struct rarray *)((char *)r - offsetof(struct rarray, r));
}

static struct rarray *rarray_new(uint32_t n)
{
	struct rarray *a = malloc(sizeof(*a) + n * sizeof(a->r[0]));

	if (a)
		a->rt.free = free_rt;
	return a;
}

/* ---- reclamation ---- */

size_t fdb_reclaim(struct fdb *f)
{
	uint64_t safe = UINT64_MAX;

	if (!f->pend)
		return 0;
	/* Pairs with the fence in fdb_reader_online: either we see that
	 * reader online, or it sees the table without what we unlinked. */
	atomic_thread_fence(memory_order_seq_cst);
	pthread_mutex_lock(&f->rlock);
	for (struct fdb_reader *r = f->readers; r; r = r->next) {
		uint64_t c = atomic_load_explicit(&r->ctr, memory_order_acquire);

		if (c && c < safe)
			safe = c;
	}
	pthread_mutex_unlock(&f->rlock);
	while (f->pend && f->pend->tag <= safe) {
		struct retired *rt = f->pend;

		f->pend = rt->next;
		f->npend--;
		rt->free(rt);
	}
	if (!f->pend)
		f->pend_tail = &f->pend;
	return f->npend;
}

/* rt is no longer reachable from the table: free it once no reader can
 * hold it (at once when there are no readers). */
static void fdb_retire(struct fdb *f, struct retired *rt)
{
	rt->next = NULL;
	/* seq_cst: after every store that unlinked rt; a reader that sees
	 * this grace period sees the table without rt. */
	rt->tag = atomic_fetch_add_explicit(&f->gp, 1, memory_order_seq_cst) + 1;
	*f->pend_tail = rt;
	f->pend_tail = &rt->next;
	f->npend++;
	fdb_reclaim(f);
}

/* The array of remotes of a slot image, if it has one. */
static struct rarray *img_array(const struct slot_img *im)
{
	return im->n > 1 ? rarray_of((const struct fdb_remote *)(uintptr_t)im->rem[0]) : NULL;
}

/* Publish im in slot s and retire the array of remotes it replaces: only
 * once no slot points at it may a grace period for it begin. */
static void slot_replace(struct fdb *f, struct fdb_slot *s, const struct slot_img *im, struct rarray *old)
{
	slot_store(s, im);
	if (old && old != img_array(im))
		fdb_retire(f, &old->rt);
}

struct fdb_reader *fdb_reader_new(struct fdb *f)
{
	struct fdb_reader *r = aligned_alloc(64, 64);

	if (!r) {
		errno = ENOMEM;
		return NULL;
	}
	memset(r, 0, sizeof(*r));
	r->f = f;
	pthread_mutex_lock(&f->rlock);
	r->next = f->readers;
	if (f->readers)
		f->readers->prev = r;
	f->readers = r;
	/* Under the lock: a writer that scanned the list before this reader
	 * joined also incremented gp before, and we see that and its table. */
	atomic_store_explicit(&r->ctr, atomic_load_explicit(&f->gp, memory_order_acquire), memory_order_relaxed);
	pthread_mutex_unlock(&f->rlock);
	return r;
}

void fdb_reader_free(struct fdb_reader *r)
{
	struct fdb *f;

	if (!r)
		return;
	f = r->f;
	pthread_mutex_lock(&f->rlock);
	if (r->prev)
		r->prev->next = r->next;
	else
		f->readers = r->next;
	if (r->next)
		r->next->prev = r->prev;
	pthread_mutex_unlock(&f->rlock);
	free(r);
}

void fdb_reader_online(struct fdb_reader *r)
{
	atomic_store_explicit(&r->ctr, atomic_load_explicit(&r->f->gp, memory_order_acquire), memory_order_relaxed);
	/* Pairs with the fence in fdb_reclaim (store then load on both sides). */
	atomic_thread_fence(memory_order_seq_cst);
}

void fdb_reader_offline(struct fdb_reader *r)
{
	atomic_store_explicit(&r->ctr, 0, memory_order_release);
}

void fdb_reader_quiesce(struct fdb_reader *r)
{
	uint64_t g = atomic_load_explicit(&r->f->gp, memory_order_acquire);
	uint64_t c = atomic_load_explicit(&r->ctr, memory_order_relaxed);

	if (c == 0) {
		fdb_reader_online(r);
		return;
	}
	/* Only when it changed: the line is read by the writer, keep it clean. */
	if (c != g)
		atomic_store_explicit(&r->ctr, g, memory_order_release);
}

/* ---- table ---- */

static uint64_t seed_new(const void *salt)
{
	uint64_t s;

	if (getrandom(&s, sizeof(s), GRND_NONBLOCK) == (ssize_t)sizeof(s))
		return s;
	/* No entropy yet (early boot): still differs per table and per run with ASLR. */
	return mix64((uint64_t)(uintptr_t)salt);
}

static struct fdb_dir *dir_new(unsigned depth)
{
	size_t n = (size_t)1 << depth;
	struct fdb_dir *d = malloc(sizeof(*d) + n * (sizeof(d->ent[0]) + sizeof(d->hdr[0])));

	if (d) {
		d->rt.free = free_rt;
		d->depth = depth;
		d->hdr = (struct fdb_seg **)&d->ent[n];
	}
	return d;
}

static uintptr_t ent_of(const struct fdb_seg *sg)
{
	return (uintptr_t)sg->slots | sg->bits;
}

/* Point directory entries [first, first + n) at sg. */
static void dir_set(struct fdb_dir *d, size_t first, size_t n, struct fdb_seg *sg)
{
	for (size_t i = first; i < first + n; i++) {
		d->hdr[i] = sg;
		atomic_store_explicit(&d->ent[i], ent_of(sg), memory_order_release);
	}
}

struct fdb *fdb_new(const struct fdb_config *cfg)
{
	struct fdb *f = aligned_alloc(64, sizeof(*f));
	struct fdb_dir *d = NULL;
	struct fdb_seg *sg = NULL;

	if (!f)
		goto fail;
	memset(f, 0, sizeof(*f));
	if (cfg)
		f->cfg = *cfg;
	f->seed = f->cfg.fixed_seed ? f->cfg.seed : seed_new(f);
	atomic_init(&f->gp, 1);
	f->pend_tail = &f->pend;
	if (pthread_mutex_init(&f->rlock, NULL) != 0)
		goto fail_lock;
	d = dir_new(0);
	sg = seg_new(SEG_MIN_BITS, 0);
	if (!d || !sg)
		goto fail;
	d->hdr[0] = sg;
	atomic_init(&d->ent[0], ent_of(sg));
	atomic_init(&f->dir, d);
	atomic_init(&f->count, 0);
	return f;
fail:
	pthread_mutex_destroy(&f->rlock);
fail_lock:
	free(d);
	seg_free(sg);
	free(f);
	errno = ENOMEM;
	return NULL;
}

/* Calls fn once per segment (a segment of local depth d fills 1 << (D - d)
 * consecutive directory entries). */
static void each_seg(struct fdb_dir *d, void (*fn)(struct fdb_seg *, void *), void *arg)
{
	size_t n = (size_t)1 << d->depth;

	for (size_t i = 0; i < n;) {
		struct fdb_seg *sg = d->hdr[i];

		i += (size_t)1 << (d->depth - sg->depth);
		fn(sg, arg);
	}
}

static void seg_destroy(struct fdb_seg *sg, void *arg)
{
	(void)arg;
	for (uint32_t i = 0; i <= sg->mask; i++) {
		struct slot_img im;

		slot_load(&sg->slots[i], &im);
		if ((im.key & CTRL_FULL) && im.n > 1)
			free(rarray_of((const struct fdb_remote *)(uintptr_t)im.rem[0]));
	}
	seg_free(sg);
}

void fdb_free(struct fdb *f)
{
	struct fdb_onode *n, *next;
	struct fdb_dir *d;

	if (!f)
		return;
	d = atomic_load_explicit(&f->dir, memory_order_relaxed);
	each_seg(d, seg_destroy, NULL);
	free(d);
	for (n = f->head; n; n = next) {
		next = n->next;
		free(n);
	}
	/* No reader may be using the table any more (fdb.h). */
	while (f->pend) {
		struct retired *rt = f->pend;

		f->pend = rt->next;
		rt->free(rt);
	}
	while (f->readers) {
		struct fdb_reader *r = f->readers;

		f->readers = r->next;
		free(r);
	}
	pthread_mutex_destroy(&f->rlock);
	free(f);
}

void fdb_set_ageing(struct fdb *f, uint64_t ageing_ms)
{
	f->cfg.ageing_ms = ageing_ms;
}

unsigned fdb_count(const struct fdb *f)
{
	return atomic_load_explicit(&f->count, memory_order_relaxed);
}

uint64_t fdb_hash(const struct fdb *f, const uint8_t mac[MAC_LEN])
{
	return mix64(mac_bits(mac) ^ f->seed);
}

bool fdb_read(const struct fdb *f, const uint8_t mac[MAC_LEN], struct fdb_copy *c)
{
	return table_read(f, mac, c, NULL);
}

void fdb_prefetch(const struct fdb *f, const uint8_t mac[MAC_LEN])
{
	uint64_t h = mix64(mac_bits(mac) ^ f->seed);
	uintptr_t ent = ent_for(f, h);
	const struct fdb_slot *slots = (const struct fdb_slot *)(ent & ~(uintptr_t)63);

	uint32_t mask = (1u << (ent & 63)) - 1, home = (uint32_t)h & mask;

	/* The lookup may read the next slot too (table_read). */
	__builtin_prefetch(&slots[home], 0, 3);
	__builtin_prefetch(&slots[(home + 1) & mask], 0, 3);
}

const struct fdb_entry *fdb_lookup(const struct fdb *f, const uint8_t mac[MAC_LEN])
{
	/* The table is always allocated by fdb_new, never a const object: the
	 * scratch view is the one part of it that lookups write. */
	struct fdb_copy *v = (struct fdb_copy *)&f->scratch;

	return table_read(f, mac, v, NULL) ? &v->e : NULL;
}

/* ---- the writer ---- */

/* Where mac is, or would go. */
struct pos {
	uint64_t h, want;
	size_t di; /* directory index */
	struct fdb_seg *sg;
	uint32_t home;	      /* slot index the hash points at */
	struct fdb_slot *hit; /* the entry, or NULL */
	struct fdb_slot *put; /* if absent: the first tombstone or the empty slot on its path, NULL if none */
};

static void locate(const struct fdb *f, const uint8_t mac[MAC_LEN], struct pos *p)
{
	uint64_t mb = mac_bits(mac);
	struct fdb_dir *d = atomic_load_explicit(&f->dir, memory_order_relaxed);
	uint32_t span;

	p->h = mix64(mb ^ f->seed);
	p->want = key_of(mb, p->h);
	p->di = dir_index(d, p->h);
	p->sg = d->hdr[p->di];
	p->hit = p->put = NULL;
	p->home = (uint32_t)p->h & p->sg->mask;
	span = atomic_load_explicit(&p->sg->slots[p->home].hint, memory_order_relaxed);
	if (span == HINT_FAR)
		span = p->sg->mask + 1;
	/* The entry, if present, is within the hint; where it would go is the
	 * first tombstone or empty slot from home, perhaps beyond. */
	for (uint32_t j = 0; j <= p->sg->mask; j++) {
		struct fdb_slot *s = &p->sg->slots[(p->home + j) & p->sg->mask];
		uint64_t k = atomic_load_explicit(&s->key, memory_order_relaxed);

		if ((k & 0xff) == CTRL_EMPTY) {
			if (!p->put)
				p->put = s;
			return;
		}
		if ((k & 0xff) == CTRL_TOMB) {
			if (!p->put)
				p->put = s;
		} else if (j < span && (k & KEY_MATCH) == p->want) {
			p->hit = s;
			return;
		}
		if (j + 1 >= span && p->put)
			return;
	}
}

static bool fdb_full(const struct fdb *f)
{
	return f->cfg.max_entries && fdb_count(f) >= f->cfg.max_entries;
}

/* How many slots of a segment of 1 << bits may be used or tombstones.
 * Segments that fit in a CPU's cache stay at most half full: there the
 * probes past a collision cost more than the memory. Full-size segments,
 * which are out of cache anyway, go to 3/4 and save memory. */
static size_t max_fill(unsigned bits)
{
	size_t cap = (size_t)1 << bits;

	return bits < SEG_MAX_BITS ? cap / 2 : cap / 4 * 3;
}

/* Smallest segment size that holds n entries at half its load limit. */
static unsigned bits_for(size_t n)
{
	unsigned b = SEG_MIN_BITS;

	while (b < 31 && n * 2 > max_fill(b))
		b++;
	return b;
}

/* An entry with this home now lies at slot 'at': widen the home's hint. */
static void hint_cover(struct fdb_seg *sg, uint32_t home, uint32_t at)
{
	uint32_t want = ((at - home) & sg->mask) + 1;
	uint8_t cur = atomic_load_explicit(&sg->slots[home].hint, memory_order_relaxed);

	if (want > cur)
		atomic_store_explicit(&sg->slots[home].hint, want >= HINT_FAR ? HINT_FAR : (uint8_t)want,
				      memory_order_relaxed);
}

/* Put an entry into a segment nobody can see yet. */
static void seg_put(struct fdb_seg *sg, const struct slot_img *im, struct fdb_onode *node, uint64_t h)
{
	uint32_t home = (uint32_t)h & sg->mask, i = home;

	while (atomic_load_explicit(&sg->slots[i].key, memory_order_relaxed) != 0)
		i = (i + 1) & sg->mask;
	slot_init(&sg->slots[i], im, node);
	hint_cover(sg, home, i);
	sg->used++;
}

/* Rehash the segment at directory index di into one segment of 'bits'
 * slots, or split it in two by the next hash bit. Bounded by one segment. */
static int seg_rebuild(struct fdb *f, size_t di, bool split, unsigned bits)
{
	struct fdb_dir *d = atomic_load_explicit(&f->dir, memory_order_relaxed), *nd = d;
	struct fdb_seg *old = d->hdr[di];
	struct fdb_seg *to[2] = {NULL, NULL};
	unsigned depth = old->depth + (split ? 1 : 0);
	size_t cnt[2] = {0, 0};
	int nseg = split ? 2 : 1;

	if (split) {
		for (uint32_t i = 0; i <= old->mask; i++) {
			struct slot_img im;

			slot_load(&old->slots[i], &im);
			if (im.key & CTRL_FULL)
				cnt[(mix64(img_macbits(&im) ^ f->seed) >> (63 - old->depth)) & 1]++;
		}
	}
	for (int k = 0; k < nseg; k++) {
		unsigned b = split ? bits_for(cnt[k]) : bits;

		to[k] = seg_new(b > SEG_MAX_BITS ? SEG_MAX_BITS : b, depth);
		if (!to[k])
			goto nomem;
	}
	if (split && old->depth == d->depth) {
		nd = dir_new(d->depth + 1);
		if (!nd)
			goto nomem;
		for (size_t i = 0; i < ((size_t)1 << d->depth); i++) {
			nd->hdr[2 * i] = nd->hdr[2 * i + 1] = d->hdr[i];
			atomic_init(&nd->ent[2 * i], ent_of(d->hdr[i]));
			atomic_init(&nd->ent[2 * i + 1], ent_of(d->hdr[i]));
		}
		di *= 2;
	}
	for (uint32_t i = 0; i <= old->mask; i++) {
		struct fdb_slot *s = &old->slots[i];
		struct slot_img im;
		uint64_t h;

		slot_load(s, &im);
		if (!(im.key & CTRL_FULL))
			continue;
		h = mix64(img_macbits(&im) ^ f->seed);
		seg_put(to[split ? (h >> (63 - old->depth)) & 1 : 0], &im, s->node, h);
	}
	/* The range of directory entries the old segment filled. */
	size_t span = (size_t)1 << (nd->depth - old->depth), first = di & ~(span - 1);

	if (split) {
		dir_set(nd, first, span / 2, to[0]);
		dir_set(nd, first + span / 2, span / 2, to[1]);
	} else {
		dir_set(nd, first, span, to[0]);
	}
	if (nd != d) {
		atomic_store_explicit(&f->dir, nd, memory_order_release);
		fdb_retire(f, &d->rt);
	}
	/* Remote arrays now belong to the new slots: free only the segment. */
	fdb_retire(f, &old->rt);
	return 0;
nomem:
	seg_free(to[0]);
	seg_free(to[1]);
	return -ENOMEM;
}

/* Make room for one more entry in p's segment, then locate again. */
static int make_room(struct fdb *f, const uint8_t mac[MAC_LEN], struct pos *p)
{
	for (int tries = 0; tries < 8; tries++) {
		struct fdb_seg *sg = p->sg;
		size_t cap = (size_t)sg->mask + 1;
		unsigned bits;
		int err;

		if (p->put && (size_t)sg->used + sg->tombs + 1 <= max_fill(sg->bits))
			return 0;
		bits = bits_for(sg->used);
		if (bits <= SEG_MAX_BITS) {
			err = seg_rebuild(f, p->di, false, bits);
		} else if (sg->depth < DIR_MAX_DEPTH) {
			err = seg_rebuild(f, p->di, true, 0);
		} else {
			/* Cannot split further (a hash this skewed is not
			 * expected): fill past the load target, but always
			 * leave an empty slot so that probes end. */
			if (sg->tombs)
				err = seg_rebuild(f, p->di, false, sg->bits);
			else
				return p->put && (size_t)sg->used + 2 <= cap ? 0 : -ENOMEM;
		}
		if (err)
			return (p->put && (size_t)sg->used + sg->tombs + 2 <= cap) ? 0 : err;
		locate(f, mac, p);
	}
	return p->put ? 0 : -ENOMEM;
}

/* Caller has checked that mac is absent (p from locate) and the table is
 * not full. */
static int insert(struct fdb *f, const uint8_t mac[MAC_LEN], struct pos *p, const struct fdb_remote *r,
		  enum fdb_state state, uint64_t now)
{
	struct fdb_onode *node;
	struct slot_img im;
	int err = make_room(f, mac, p);

	if (err)
		return err;
	node = malloc(sizeof(*node));
	if (!node)
		return -ENOMEM;
	memcpy(node->mac, mac, MAC_LEN);
	node->next = NULL;
	node->prev = f->tail;
	if (f->tail)
		f->tail->next = node;
	else
		f->head = node;
	f->tail = node;

	im.key = p->want | (uint64_t)state << 56;
	im.n = 1;
	im.updated = now;
	img_set_remote(&im, r);
	if ((atomic_load_explicit(&p->put->key, memory_order_relaxed) & 0xff) == CTRL_TOMB)
		p->sg->tombs--;
	p->sg->used++;
	p->put->node = node;
	/* Before the entry appears: a reader that sees it may find it. */
	hint_cover(p->sg, p->home, (uint32_t)(p->put - p->sg->slots));
	slot_store(p->put, &im);
	atomic_store_explicit(&f->count, fdb_count(f) + 1, memory_order_relaxed);
	return 0;
}

/* Shrink a segment whose entries left: keeps big tables that emptied small. */
static void maybe_shrink(struct fdb *f, struct pos *p)
{
	struct fdb_seg *sg = p->sg;

	if (sg->bits > SEG_MIN_BITS && (size_t)sg->used * 8 < (size_t)sg->mask + 1)
		(void)seg_rebuild(f, p->di, false, bits_for(sg->used)); /* on failure it just stays big */
}

static void remove_entry(struct fdb *f, struct pos *p)
{
	struct fdb_slot *s = p->hit;
	struct fdb_onode *node = s->node;
	struct fdb_seg *sg = p->sg;
	struct rarray *old;
	struct slot_img im;
	uint32_t i;

	slot_load(s, &im);
	old = img_array(&im);
	if (node->prev)
		node->prev->next = node->next;
	else
		f->head = node->next;
	if (node->next)
		node->next->prev = node->prev;
	else
		f->tail = node->prev;
	free(node);
	s->node = NULL;

	memset(&im, 0, sizeof(im));
	im.key = CTRL_TOMB;
	slot_replace(f, s, &im, old);
	sg->used--;
	sg->tombs++;
	/* A tombstone before an empty slot is on no entry's probe path: turn
	 * it, and the tombstones right before it, back into empty slots. */
	i = (uint32_t)(s - sg->slots);
	if (atomic_load_explicit(&sg->slots[(i + 1) & sg->mask].key, memory_order_relaxed) == CTRL_EMPTY) {
		im.key = CTRL_EMPTY;
		while (atomic_load_explicit(&sg->slots[i].key, memory_order_relaxed) == CTRL_TOMB) {
			slot_store(&sg->slots[i], &im);
			sg->tombs--;
			i = (i - 1) & sg->mask;
		}
	}
	atomic_store_explicit(&f->count, fdb_count(f) - 1, memory_order_relaxed);
	maybe_shrink(f, p);
}

static int img_find_remote(const struct slot_img *im, const struct fdb_remote *r)
{
	struct fdb_remote one;
	const struct fdb_remote *a = img_remotes(im, &one);

	for (uint32_t i = 0; i < im->n; i++)
		if (remote_equal(&a[i], r))
			return (int)i;
	return -1;
}

static bool img_has_ip(const struct slot_img *im, const struct vx_addr *ip)
{
	struct fdb_remote one;
	const struct fdb_remote *a = img_remotes(im, &one);

	for (uint32_t i = 0; i < im->n; i++)
		if (ip_equal(&a[i].ip, ip))
			return true;
	return false;
}

/* Set the remotes of im to the n given (copied: arrays are never changed
 * in place, readers may hold the old one). */
static int img_set_remotes(struct slot_img *im, const struct fdb_remote *a, uint32_t n)
{

	if (n == 1) {
		im->n = 1;
		img_set_remote(im, a);
	} else {
		struct rarray *na = rarray_new(n);

		if (!na)
			return -ENOMEM;
		memcpy(na->r, a, n * sizeof(na->r[0]));
		img_set_array(im, na->r, n);
	}
	return 0;
}

int fdb_add(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, uint64_t now)
{
	struct pos p;

	if (!remote_valid(r))
		return -EINVAL;
	locate(f, mac, &p);
	if (p.hit)
		return -EEXIST;
	if (fdb_full(f))
		return -ENOSPC;
	return insert(f, mac, &p, r, FDB_STATE_PERMANENT, now);
}

int fdb_replace(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, uint64_t now)
{
	struct slot_img im;
	struct pos p;

	if (!remote_valid(r))
		return -EINVAL;
	/* The kernel refuses both for a missing and an existing entry: a flood
	 * list has no "first" remote worth overwriting. */
	if (mac_zero(mac) || mac_mcast(mac))
		return -EOPNOTSUPP;
	locate(f, mac, &p);
	if (!p.hit) {
		if (fdb_full(f))
			return -ENOSPC;
		return insert(f, mac, &p, r, FDB_STATE_PERMANENT, now);
	}
	/* A unicast entry has exactly one remote (append refuses more). */
	slot_load(p.hit, &im);
	im.key = p.want | (uint64_t)FDB_STATE_PERMANENT << 56;
	im.updated = now;
	im.n = 1;
	img_set_remote(&im, r);
	slot_store(p.hit, &im);
	return 0;
}

int fdb_append(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, uint64_t now)
{
	struct fdb_remote one, *a;
	struct rarray *old;
	struct slot_img im;
	struct pos p;
	int err;

	if (!remote_valid(r))
		return -EINVAL;
	locate(f, mac, &p);
	if (!p.hit) {
		if (fdb_full(f))
			return -ENOSPC;
		return insert(f, mac, &p, r, FDB_STATE_PERMANENT, now);
	}
	if (!mac_zero(mac) && !mac_mcast(mac))
		return -EOPNOTSUPP;
	slot_load(p.hit, &im);
	if (img_find_remote(&im, r) >= 0)
		return -EEXIST;
	if (im.n >= MAX_REMOTES)
		return -ENOMEM;
	a = malloc(((size_t)im.n + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	memcpy(a, img_remotes(&im, &one), im.n * sizeof(*a));
	a[im.n] = *r;
	old = img_array(&im);
	err = img_set_remotes(&im, a, im.n + 1);
	free(a);
	if (err)
		return err;
	im.key = p.want | (uint64_t)FDB_STATE_PERMANENT << 56;
	im.updated = now;
	slot_replace(f, p.hit, &im, old);
	return 0;
}

/* Remove remote i of the entry at p, and the entry with its last remote.
 * Survivors keep their order: the first remote is the one replace and
 * learning act on, and show output stays stable. */
static int remove_remote(struct fdb *f, struct pos *p, struct slot_img *im, uint32_t i)
{
	struct fdb_remote one, *a;
	struct rarray *old;
	int err;

	if (im->n == 1) {
		remove_entry(f, p);
		return 0;
	}
	a = malloc((im->n - 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	const struct fdb_remote *cur = img_remotes(im, &one);

	memcpy(a, cur, i * sizeof(*a));
	memcpy(a + i, cur + i + 1, (im->n - i - 1) * sizeof(*a));
	old = img_array(im);
	err = img_set_remotes(im, a, im->n - 1);
	free(a);
	if (!err)
		slot_replace(f, p->hit, im, old);
	return err;
}

/* origin < 0: any owner (fdb_del). */
static int del_as(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, int origin)
{
	struct fdb_remote one;
	const struct fdb_remote *a;
	struct slot_img im;
	struct pos p;
	int i;

	locate(f, mac, &p);
	if (!p.hit)
		return -ENOENT;
	slot_load(p.hit, &im);
	a = img_remotes(&im, &one);
	if (!r) {
		for (uint32_t j = 0; origin >= 0 && j < im.n; j++)
			if (a[j].origin != origin)
				return -EPERM;
		remove_entry(f, &p);
		return 0;
	}
	i = img_find_remote(&im, r);
	if (i < 0)
		return -ENOENT;
	if (origin >= 0 && a[i].origin != origin)
		return -EPERM;
	return remove_remote(f, &p, &im, (uint32_t)i);
}

int fdb_del(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r)
{
	return del_as(f, mac, r, -1);
}

int fdb_del_owned(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, uint8_t origin)
{
	return del_as(f, mac, r, origin);
}

enum fdb_learn_result fdb_learn(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r, uint64_t now)
{
	struct fdb_remote learned, cur;
	struct slot_img im;
	struct pos p;

	if (!remote_valid(r) || mac_zero(mac) || mac_mcast(mac))
		return FDB_LEARN_INVALID;
	learned = *r;
	learned.origin = FDB_ORIGIN_LEARNED;
	locate(f, mac, &p);
	if (!p.hit) {
		if (fdb_full(f))
			return FDB_LEARN_FULL;
		return insert(f, mac, &p, &learned, FDB_STATE_REACHABLE, now) ? FDB_LEARN_NOMEM : FDB_LEARN_NEW;
	}
	slot_load(p.hit, &im);
	if (img_state(&im) == FDB_STATE_PERMANENT)
		return img_has_ip(&im, &r->ip) ? FDB_LEARN_PINNED : FDB_LEARN_CONFLICT;
	/* A learned entry has exactly one remote. */
	if (ip_equal(&img_remotes(&im, &cur)->ip, &r->ip)) {
		atomic_store_explicit(&p.hit->updated, now, memory_order_relaxed);
		return FDB_LEARN_REFRESHED;
	}
	/* It now is what a fresh learn of r would have created. */
	im.updated = now;
	img_set_remote(&im, &learned);
	slot_store(p.hit, &im);
	return FDB_LEARN_MOVED;
}

enum fdb_learn_result fdb_learn_peek(struct fdb *f, const uint8_t mac[MAC_LEN], const struct fdb_remote *r,
				     uint64_t now)
{
	const struct fdb_slot *s;
	struct fdb_copy c;
	uint64_t upd;

	if (!remote_valid(r) || mac_zero(mac) || mac_mcast(mac))
		return FDB_LEARN_INVALID;
	if (!table_read(f, mac, &c, &s))
		return fdb_full(f) ? FDB_LEARN_FULL : FDB_LEARN_NEW;
	if (c.e.state == FDB_STATE_PERMANENT) {
		for (unsigned i = 0; i < c.e.n_remotes; i++)
			if (ip_equal(&c.e.remotes[i].ip, &r->ip))
				return FDB_LEARN_PINNED;
		return FDB_LEARN_CONFLICT;
	}
	if (!ip_equal(&c.e.remotes[0].ip, &r->ip))
		return FDB_LEARN_MOVED;
	/* Only from the value read with this entry: if the writer rewrote the
	 * slot since (moved, deleted, reused it), 'updated' changed with it
	 * and the exchange fails rather than refreshing something else. */
	upd = c.e.updated;
	if (upd != now)
		atomic_compare_exchange_strong_explicit(&((struct fdb_slot *)s)->updated, &upd, now,
							memory_order_relaxed, memory_order_relaxed);
	return FDB_LEARN_REFRESHED;
}

/* Walk the creation order, 'next' read before cb may remove the current. */
unsigned fdb_age(struct fdb *f, uint64_t now, fdb_entry_cb cb, void *arg)
{
	struct fdb_onode *n, *next;
	unsigned removed = 0;

	if (f->cfg.ageing_ms == 0)
		return 0;
	for (n = f->head; n; n = next) {
		struct slot_img im;
		struct pos p;

		next = n->next;
		locate(f, n->mac, &p);
		slot_load(p.hit, &im);
		if (img_state(&im) != FDB_STATE_REACHABLE)
			continue;
		/* A clock read before the entry's update (caller's skew) is not age. */
		if (now < im.updated || now - im.updated < f->cfg.ageing_ms)
			continue;
		if (cb) {
			struct fdb_copy v;

			view_fill(&v, &im);
			cb(&v.e, arg);
		}
		remove_entry(f, &p);
		removed++;
	}
	return removed;
}

unsigned fdb_del_origin(struct fdb *f, uint8_t origin, fdb_remote_filter filter, void *arg)
{
	struct fdb_onode *n, *next;
	unsigned removed = 0;

	for (n = f->head; n; n = next) {
		struct fdb_remote keep_one, *keep = &keep_one;
		const struct fdb_remote *a;
		struct fdb_copy v;
		uint32_t kept = 0;
		struct slot_img im;
		struct pos p;

		next = n->next;
		locate(f, n->mac, &p);
		slot_load(p.hit, &im);
		view_fill(&v, &im);
		a = v.e.remotes;
		if (im.n > 1) {
			keep = malloc(im.n * sizeof(*keep));
			if (!keep)
				continue; /* cannot rebuild this list now: leave it, as for a refusing filter */
		}
		for (uint32_t i = 0; i < im.n; i++) {
			if (a[i].origin != origin || (filter && !filter(v.e.mac, &a[i], v.e.state, arg)))
				keep[kept++] = a[i];
		}
		if (kept == 0) {
			removed += im.n;
			remove_entry(f, &p);
		} else if (kept < im.n) {
			uint32_t had = im.n;
			struct rarray *old = img_array(&im);

			if (img_set_remotes(&im, keep, kept) == 0) {
				removed += had - kept;
				slot_replace(f, p.hit, &im, old);
			}
		}
		if (keep != &keep_one)
			free(keep);
	}
	return removed;
}

void fdb_foreach(const struct fdb *f, fdb_entry_cb cb, void *arg)
{
	for (const struct fdb_onode *n = f->head; n; n = n->next) {
		struct fdb_copy v;

		if (fdb_read(f, n->mac, &v))
			cb(&v.e, arg);
	}
}

struct stats_acc {
	struct fdb_stats *st;
	uint64_t seed;
};

static void seg_stats(struct fdb_seg *sg, void *arg)
{
	struct stats_acc *acc = arg;
	struct fdb_stats *st = acc->st;

	st->segments++;
	st->slots += (size_t)sg->mask + 1;
	st->tombstones += sg->tombs;
	st->bytes += sizeof(*sg) + ((size_t)sg->mask + 1) * sizeof(struct fdb_slot);
	for (uint32_t i = 0; i <= sg->mask; i++) {
		struct slot_img im;
		uint32_t dist;

		slot_load(&sg->slots[i], &im);
		if (!(im.key & CTRL_FULL))
			continue;
		dist = (i - (uint32_t)mix64(img_macbits(&im) ^ acc->seed)) & sg->mask;
		if (dist + 1 > st->max_probe)
			st->max_probe = dist + 1;
		if (im.n > 1)
			st->bytes += im.n * sizeof(struct fdb_remote);
	}
}

void fdb_stats(const struct fdb *f, struct fdb_stats *st)
{
	struct fdb_dir *d = atomic_load_explicit(&f->dir, memory_order_relaxed);
	struct stats_acc acc = {st, f->seed};

	memset(st, 0, sizeof(*st));
	st->entries = fdb_count(f);
	st->dir_depth = d->depth;
	st->bytes = sizeof(*f) + sizeof(*d) + ((sizeof(d->ent[0]) + sizeof(d->hdr[0])) << d->depth) +
		    (size_t)st->entries * sizeof(struct fdb_onode);
	each_seg(d, seg_stats, &acc);
}
