/* test_fdb_mt: lib/fdb.c under one writer and several lock-free readers,
 * as the datapath will use it (one reader per worker, the core thread the
 * only writer). Meant to run under ThreadSanitizer and AddressSanitizer too
 * (tests/unit/fdb_race.sh), where a data race, a use after free or a leak
 * fails it.
 *
 * The writer adds, replaces, learns (new, move, refresh), deletes, deletes
 * as an owner, ages and flushes an origin on a small set of unicast MACs;
 * appends to and deletes from flood lists (all-zeros and multicast MACs);
 * and now and then fills the table with tens of thousands of MACs and
 * empties it again, so that segments grow, split and shrink and the
 * directory doubles while the readers read. Every remote it installs
 * encodes its MAC and a version number in all of its fields, so a torn
 * copy (fields of two versions, or of two entries) cannot pass the check.
 *
 * The readers look MACs up in batches (prefetch, read, check, quiesce),
 * refresh learned entries with fdb_learn_peek, keep flood lists across a
 * batch and check them again before quiescing, and go offline now and
 * then. Each result must be a version of the entry that was current at some
 * point during the lookup: the writer publishes, per MAC, the version it is
 * about to install (begin) and the last one it finished (end); a hit must
 * lie in [end before, begin after], and a miss needs an absent version in
 * that range.
 *
 * Usage: test_fdb_mt [OPS [READERS]] (defaults 200000 and 3). Exit 0 when
 * every check passed; a failed check prints what it saw and aborts. */

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "vxnet/fdb.h"

#define NU 256	    /* unicast MACs with versions */
#define NFLOOD 4    /* all-zeros and 3 multicast MACs */
#define MAXV 65536  /* versions per unicast MAC */
#define MAXFLOOD 6  /* remotes per flood list */
#define NBULK 40000 /* MACs of a fill-and-empty phase */
#define BULK_EVERY 40000
#define AGEING 3000 /* ms; the writer's clock advances 1 ms per operation */
#define BATCH 32

enum kind { K_NONE, K_PERM, K_LEARNED };

static uint8_t umac[NU][MAC_LEN], fmac[NFLOOD][MAC_LEN], bmac[NBULK][MAC_LEN];
/* Per unicast MAC: version being installed, version finished; what each
 * version is (absent, permanent of some origin, learned), set before the
 * version is begun. */
static _Atomic uint32_t ver_begin[NU], ver_end[NU];
static _Atomic uint8_t kind[NU][MAXV], korigin[NU][MAXV];
static _Atomic uint64_t clock_ms;
static _Atomic bool stop;
/* What the readers saw, summed when they finish. */
struct counts {
	unsigned long hits, misses, refreshed, flood_held, bulk_hits;
};
static struct counts total;
static pthread_mutex_t total_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fdb *table;

#define CHECK(cond, ...)                                                                                               \
	do {                                                                                                           \
		if (!(cond)) {                                                                                         \
			fprintf(stderr, "test_fdb_mt: %s:%d: check failed: %s: ", __FILE__, __LINE__, #cond);          \
			fprintf(stderr, __VA_ARGS__);                                                                  \
			fputc('\n', stderr);                                                                           \
			abort();                                                                                       \
		}                                                                                                      \
	} while (0)

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The remote of version v of MAC 'id' (ids: unicast 0.., flood 1000.., bulk
 * 100000..): every field derived from both. */
static struct fdb_remote enc(uint32_t id, uint32_t v)
{
	struct fdb_remote r;

	memset(&r, 0, sizeof(r));
	r.ip.family = AF_INET;
	r.ip.v4.s_addr = htonl(0xc6120000u | ((id * 2654435761u + v * 40503u) & 0x1ffff)); /* 198.18.0.0/15 */
	r.port = (uint16_t)(id * 7 + v * 13 + 1);
	r.vni = id;
	r.ifindex = v;
	return r;
}

static bool is_enc(const struct fdb_remote *r, uint32_t id)
{
	struct fdb_remote want = enc(id, r->ifindex);

	return r->vni == id && r->ip.family == AF_INET && r->ip.v4.s_addr == want.ip.v4.s_addr && r->port == want.port;
}

/* ---- writer ---- */

struct wstate {
	uint64_t rng;
	uint32_t v[NU]; /* current version */
	enum kind k[NU];
	unsigned nflood[NFLOOD];
	uint32_t fver[NFLOOD][MAXFLOOD]; /* versions of the remotes in each flood list */
	uint32_t fnext;
	/* entries removed by fdb_age / fdb_del_origin, published after the call */
	uint32_t gone[NU];
	unsigned ngone;
};

static void begin(uint32_t id, uint32_t v, enum kind k, uint8_t origin)
{
	CHECK(v < MAXV, "too many versions");
	atomic_store_explicit(&kind[id][v], (uint8_t)k, memory_order_relaxed);
	atomic_store_explicit(&korigin[id][v], origin, memory_order_relaxed);
	atomic_store_explicit(&ver_begin[id], v, memory_order_relaxed);
	/* begin must be visible before anything the change stores */
	atomic_thread_fence(memory_order_seq_cst);
}

static void end(uint32_t id, uint32_t v)
{
	atomic_store_explicit(&ver_end[id], v, memory_order_release);
}

static void aged_cb(const struct fdb_entry *e, void *arg)
{
	struct wstate *w = arg;

	for (uint32_t id = 0; id < NU; id++)
		if (memcmp(e->mac, umac[id], MAC_LEN) == 0) {
			w->gone[w->ngone++] = id;
			return;
		}
	CHECK(false, "aged a MAC that is not a unicast test MAC");
}

static bool gone_filter(const uint8_t mac[MAC_LEN], const struct fdb_remote *r, enum fdb_state st, void *arg)
{
	(void)r;
	(void)st;
	aged_cb(&(struct fdb_entry){.mac = {mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]}}, arg);
	return true;
}

/* Entries the table removed on its own (ageing, origin flush): the
 * versions were begun as absent before the call. */
static void publish_gone(struct wstate *w, bool was_begun)
{
	for (unsigned i = 0; i < w->ngone; i++) {
		uint32_t id = w->gone[i];

		if (!was_begun)
			CHECK(false, "unexpected removal");
		w->k[id] = K_NONE;
		end(id, w->v[id]);
	}
	w->ngone = 0;
}

static void unicast_op(struct wstate *w, uint64_t now)
{
	uint32_t id = (uint32_t)(splitmix(&w->rng) % NU), v = w->v[id] + 1;
	struct fdb_remote r = enc(id, v);
	unsigned what = (unsigned)(splitmix(&w->rng) % 10);
	const uint8_t *mac = umac[id];

	switch (w->k[id]) {
	case K_NONE:
		if (what < 5) {
			r.origin = (uint8_t)(what % 2 ? FDB_ORIGIN_USER : FDB_ORIGIN_STORE);
			begin(id, v, K_PERM, r.origin);
			CHECK(fdb_add(table, mac, &r, now) == 0, "add");
			w->k[id] = K_PERM;
		} else {
			begin(id, v, K_LEARNED, FDB_ORIGIN_LEARNED);
			CHECK(fdb_learn(table, mac, &r, now) == FDB_LEARN_NEW, "learn new");
			w->k[id] = K_LEARNED;
		}
		break;
	case K_PERM:
		if (what < 4) {
			r.origin = FDB_ORIGIN_STORE;
			begin(id, v, K_PERM, r.origin);
			CHECK(fdb_replace(table, mac, &r, now) == 0, "replace");
		} else if (what < 5) {
			/* someone else's entry: refused, nothing changes */
			struct fdb_remote cur = enc(id, w->v[id]);

			CHECK(fdb_del_owned(table, mac, &cur, FDB_ORIGIN_LINK) == -EPERM, "del_owned");
			return;
		} else {
			begin(id, v, K_NONE, 0);
			CHECK(fdb_del(table, mac, NULL) == 0, "del");
			w->k[id] = K_NONE;
		}
		break;
	case K_LEARNED:
		if (what < 5) {
			begin(id, v, K_LEARNED, FDB_ORIGIN_LEARNED);
			CHECK(fdb_learn(table, mac, &r, now) == FDB_LEARN_MOVED, "learn move");
		} else if (what < 7) {
			struct fdb_remote cur = enc(id, w->v[id]);

			CHECK(fdb_learn(table, mac, &cur, now) == FDB_LEARN_REFRESHED, "learn refresh");
			return;
		} else if (what < 8) {
			r.origin = FDB_ORIGIN_USER;
			begin(id, v, K_PERM, r.origin);
			CHECK(fdb_replace(table, mac, &r, now) == 0, "replace learned");
			w->k[id] = K_PERM;
		} else {
			begin(id, v, K_NONE, 0);
			CHECK(fdb_del_owned(table, mac, NULL, FDB_ORIGIN_LEARNED) == 0, "del learned");
			w->k[id] = K_NONE;
		}
		break;
	}
	w->v[id] = v;
	end(id, v);
}

static void flood_op(struct wstate *w, uint64_t now)
{
	unsigned fid = (unsigned)(splitmix(&w->rng) % NFLOOD), what = (unsigned)(splitmix(&w->rng) % 4);
	const uint8_t *mac = fmac[fid];

	if (w->nflood[fid] < MAXFLOOD && what < 2) {
		struct fdb_remote r = enc(1000 + fid, ++w->fnext);

		CHECK(fdb_append(table, mac, &r, now) == 0, "append");
		w->fver[fid][w->nflood[fid]++] = r.ifindex;
	} else if (w->nflood[fid] > 0 && what < 3) {
		unsigned i = (unsigned)(splitmix(&w->rng) % w->nflood[fid]);
		struct fdb_remote r = enc(1000 + fid, w->fver[fid][i]);

		CHECK(fdb_del(table, mac, &r) == 0, "del flood remote");
		memmove(&w->fver[fid][i], &w->fver[fid][i + 1], (w->nflood[fid] - i - 1) * sizeof(uint32_t));
		w->nflood[fid]--;
	} else if (w->nflood[fid] > 0) {
		CHECK(fdb_del(table, mac, NULL) == 0, "del flood");
		w->nflood[fid] = 0;
	}
}

/* Learned entries may age out (readers refresh some), or all go at once. */
static void removal_op(struct wstate *w, uint64_t now, bool flush)
{
	/* Begin every learned MAC as absent: whichever the call removes is
	 * then absent from before it could vanish; the others get their
	 * current version back (begin is only an upper bound). */
	uint32_t learned[NU];
	unsigned n = 0;

	for (uint32_t id = 0; id < NU; id++)
		if (w->k[id] == K_LEARNED) {
			learned[n++] = id;
			begin(id, ++w->v[id], K_NONE, 0);
		}
	if (flush)
		fdb_del_origin(table, FDB_ORIGIN_LEARNED, gone_filter, w);
	else
		fdb_age(table, now, aged_cb, w);
	for (unsigned i = 0; i < w->ngone; i++)
		w->k[w->gone[i]] = K_NONE;
	publish_gone(w, true);
	/* survivors: a new version identical to the old entry is not what
	 * the table holds (its remote encodes the old version), so install
	 * the new one with a move */
	for (unsigned i = 0; i < n; i++) {
		uint32_t id = learned[i];

		if (w->k[id] != K_LEARNED)
			continue;
		struct fdb_remote r = enc(id, w->v[id]);

		atomic_store_explicit(&kind[id][w->v[id]], K_LEARNED, memory_order_relaxed);
		atomic_store_explicit(&korigin[id][w->v[id]], FDB_ORIGIN_LEARNED, memory_order_relaxed);
		atomic_thread_fence(memory_order_seq_cst);
		CHECK(fdb_learn(table, umac[id], &r, now) == FDB_LEARN_MOVED, "move after age");
		end(id, w->v[id]);
	}
}

static void bulk_phase(uint64_t now)
{
	struct fdb_stats st;

	for (uint32_t i = 0; i < NBULK; i++) {
		struct fdb_remote r = enc(100000 + i, 0);

		CHECK(fdb_add(table, bmac[i], &r, now) == 0, "bulk add");
	}
	fdb_stats(table, &st);
	CHECK(st.segments > 1, "bulk fill did not split (%u segments)", st.segments);
	for (uint32_t i = 0; i < NBULK; i++)
		CHECK(fdb_del(table, bmac[i], NULL) == 0, "bulk del");
}

static void run_writer(unsigned long ops)
{
	struct wstate *w = calloc(1, sizeof(*w));
	size_t max_pending = 0;

	CHECK(w, "calloc");
	w->rng = 42;
	for (unsigned long op = 1; op <= ops; op++) {
		uint64_t now = atomic_fetch_add_explicit(&clock_ms, 1, memory_order_relaxed) + 1;
		unsigned what = (unsigned)(splitmix(&w->rng) % 1000);

		if (op % BULK_EVERY == 0)
			bulk_phase(now);
		if (what < 700)
			unicast_op(w, now);
		else if (what < 990)
			flood_op(w, now);
		else
			removal_op(w, now, what >= 998);
		if (op % 64 == 0) {
			size_t p = fdb_reclaim(table);

			if (p > max_pending)
				max_pending = p;
		}
	}
	/* the writer's view and the table agree at the end */
	for (uint32_t id = 0; id < NU; id++) {
		const struct fdb_entry *e = fdb_lookup(table, umac[id]);

		CHECK(!e == (w->k[id] == K_NONE), "final presence of %u", id);
		if (e)
			CHECK(e->remotes[0].ifindex == w->v[id], "final version of %u", id);
	}
	printf("writer: %lu ops, most objects waiting for readers: %zu\n", ops, max_pending);
	free(w);
}

/* ---- readers ---- */

static void check_unicast(struct counts *n, uint32_t id, uint32_t lo, uint32_t hi, bool found, const struct fdb_copy *c)
{
	if (!found) {
		bool absent = false;

		for (uint32_t v = lo; v <= hi && !absent; v++)
			absent = atomic_load_explicit(&kind[id][v], memory_order_relaxed) == K_NONE;
		CHECK(absent, "MAC %u missing, but present in every version %u..%u", id, lo, hi);
		n->misses++;
		return;
	}
	const struct fdb_remote *r = &c->e.remotes[0];
	uint32_t v = r->ifindex;
	uint8_t k = v < MAXV ? atomic_load_explicit(&kind[id][v], memory_order_relaxed) : K_NONE;

	CHECK(memcmp(c->e.mac, umac[id], MAC_LEN) == 0, "copy of %u has another MAC", id);
	CHECK(c->e.n_remotes == 1, "MAC %u: %u remotes", id, c->e.n_remotes);
	CHECK(is_enc(r, id), "MAC %u: torn or foreign remote (vni %u, version %u)", id, r->vni, v);
	CHECK(v >= lo && v <= hi, "MAC %u: version %u outside %u..%u", id, v, lo, hi);
	CHECK(k != K_NONE, "MAC %u: version %u is an absent one", id, v);
	CHECK(c->e.state == (k == K_PERM ? FDB_STATE_PERMANENT : FDB_STATE_REACHABLE), "MAC %u v%u: state %d", id, v,
	      c->e.state);
	CHECK(r->origin == atomic_load_explicit(&korigin[id][v], memory_order_relaxed), "MAC %u v%u: origin %u", id, v,
	      r->origin);
	n->hits++;
}

static void check_flood(unsigned fid, const struct fdb_copy *c)
{
	CHECK(memcmp(c->e.mac, fmac[fid], MAC_LEN) == 0, "flood copy has another MAC");
	CHECK(c->e.n_remotes >= 1 && c->e.n_remotes <= MAXFLOOD, "flood list of %u remotes", c->e.n_remotes);
	CHECK(c->e.state == FDB_STATE_PERMANENT, "flood state");
	for (unsigned i = 0; i < c->e.n_remotes; i++) {
		CHECK(is_enc(&c->e.remotes[i], 1000 + fid), "flood %u remote %u torn or foreign", fid, i);
		for (unsigned j = 0; j < i; j++)
			CHECK(c->e.remotes[j].ifindex != c->e.remotes[i].ifindex, "duplicate remote in flood list");
	}
}

struct reader_arg {
	unsigned idx;
};

static void *run_reader(void *argp)
{
	struct reader_arg *a = argp;
	struct fdb_reader *rd = fdb_reader_new(table);
	uint64_t rng = 1000 + a->idx;
	struct fdb_copy held;
	unsigned held_fid = 0;
	unsigned long batches = 0;
	struct counts n = {0};

	CHECK(rd, "fdb_reader_new");
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint32_t ids[BATCH], lo[BATCH];
		bool holding = false;

		for (int i = 0; i < BATCH; i++) {
			ids[i] = (uint32_t)(splitmix(&rng) % NU);
			fdb_prefetch(table, umac[ids[i]]);
		}
		for (int i = 0; i < BATCH; i++) {
			uint32_t id = ids[i], hi;
			struct fdb_copy c;
			bool found;

			lo[i] = atomic_load_explicit(&ver_end[id], memory_order_acquire);
			found = fdb_read(table, umac[id], &c);
			atomic_thread_fence(memory_order_acquire);
			hi = atomic_load_explicit(&ver_begin[id], memory_order_relaxed);
			check_unicast(&n, id, lo[i], hi, found, &c);
			if (found && c.e.state == FDB_STATE_REACHABLE && (splitmix(&rng) & 3) == 0) {
				uint64_t now = atomic_load_explicit(&clock_ms, memory_order_relaxed);
				enum fdb_learn_result res = fdb_learn_peek(table, umac[id], &c.e.remotes[0], now);

				/* the entry may have moved, gone or been pinned since */
				CHECK(res == FDB_LEARN_REFRESHED || res == FDB_LEARN_MOVED || res == FDB_LEARN_NEW ||
					  res == FDB_LEARN_PINNED || res == FDB_LEARN_CONFLICT,
				      "learn_peek: %d", res);
				if (res == FDB_LEARN_REFRESHED)
					n.refreshed++;
			}
		}
		/* a flood list held across the rest of the batch */
		unsigned fid = (unsigned)(splitmix(&rng) % NFLOOD);

		if (fdb_read(table, fmac[fid], &held)) {
			check_flood(fid, &held);
			holding = held.e.n_remotes > 1;
			held_fid = fid;
		}
		for (int i = 0; i < 8; i++) {
			uint32_t b = (uint32_t)(splitmix(&rng) % NBULK);
			struct fdb_copy c;

			if (fdb_read(table, bmac[b], &c)) {
				CHECK(memcmp(c.e.mac, bmac[b], MAC_LEN) == 0 && c.e.n_remotes == 1 &&
					  is_enc(&c.e.remotes[0], 100000 + b) && c.e.remotes[0].ifindex == 0,
				      "bulk MAC %u: bad copy", b);
				n.bulk_hits++;
			}
		}
		if (holding) {
			/* still the same array, still intact, until we quiesce */
			check_flood(held_fid, &held);
			n.flood_held++;
		}
		fdb_reader_quiesce(rd);
		if (++batches % 512 == 0) {
			fdb_reader_offline(rd);
			usleep(50);
			fdb_reader_online(rd);
		}
	}
	fdb_reader_offline(rd);
	fdb_reader_free(rd);
	pthread_mutex_lock(&total_lock);
	total.hits += n.hits;
	total.misses += n.misses;
	total.refreshed += n.refreshed;
	total.flood_held += n.flood_held;
	total.bulk_hits += n.bulk_hits;
	pthread_mutex_unlock(&total_lock);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long ops = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	unsigned nreaders = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 0) : 3;
	struct fdb_config cfg = {.ageing_ms = AGEING};
	pthread_t th[16];
	struct reader_arg args[16];
	uint64_t rng = 7;
	struct timespec t0, t1;

	if (nreaders < 1 || nreaders > 16 || ops < 1) {
		fprintf(stderr, "usage: %s [OPS [READERS (1-16)]]\n", argv[0]);
		return 2;
	}
	for (uint32_t i = 0; i < NU; i++) {
		uint64_t x = splitmix(&rng);

		memcpy(umac[i], &x, MAC_LEN);
		umac[i][0] = (uint8_t)((umac[i][0] & 0xfc) | 0x02);
		umac[i][5] = (uint8_t)i; /* distinct */
		umac[i][4] = 0xa0;
	}
	memset(fmac[0], 0, MAC_LEN);
	for (uint32_t i = 1; i < NFLOOD; i++) {
		uint8_t m[MAC_LEN] = {0x01, 0x00, 0x5e, 0x00, 0x00, (uint8_t)i};

		memcpy(fmac[i], m, MAC_LEN);
	}
	for (uint32_t i = 0; i < NBULK; i++) {
		uint64_t x = splitmix(&rng);

		memcpy(bmac[i], &x, MAC_LEN);
		bmac[i][0] = (uint8_t)((bmac[i][0] & 0xfc) | 0x02);
		bmac[i][4] = 0xb0 | (uint8_t)(i >> 16); /* never a unicast test MAC (0xa0) */
		bmac[i][5] = (uint8_t)i;
		bmac[i][3] = (uint8_t)(i >> 8);
	}
	table = fdb_new(&cfg);
	CHECK(table, "fdb_new");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned i = 0; i < nreaders; i++) {
		args[i].idx = i;
		CHECK(pthread_create(&th[i], NULL, run_reader, &args[i]) == 0, "pthread_create");
	}
	run_writer(ops);
	atomic_store(&stop, true);
	for (unsigned i = 0; i < nreaders; i++)
		pthread_join(th[i], NULL);
	/* no reader left: everything replaced can go now */
	CHECK(fdb_reclaim(table) == 0, "objects still waiting with no reader");
	fdb_free(table);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("test_fdb_mt: ok: %u readers, %lu unicast hits, %lu misses, %lu refreshes by readers, %lu flood lists "
	       "held across a batch, %lu bulk hits, %.1f s\n",
	       nreaders, total.hits, total.misses, total.refreshed, total.flood_held, total.bulk_hits,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	CHECK(total.hits > 0 && total.misses > 0 && total.refreshed > 0 && total.flood_held > 0 && total.bulk_hits > 0,
	      "some path never ran");
	return 0;
}
