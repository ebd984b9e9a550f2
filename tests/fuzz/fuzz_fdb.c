/* fuzz_fdb: libFuzzer target for lib/fdb.c. The input is a program of table
 * operations (add, replace, append, del, del_owned, learn, age, del_origin)
 * on a small universe of MACs, so that the fuzzer can build dense collision
 * runs, tombstones, flood lists and full tables; every operation runs on the
 * table and on the reference model of tests/unit/fdb_model.h, and any
 * difference (a return value, the count, a lookup, the creation order)
 * aborts. The first bytes choose the hash seed, maxaddress and ageing. */

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/fdb_model.h"
#include "vxnet/fdb.h"

#define UNIVERSE 24

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t mac_rng;

static uint64_t mac_rnd(void)
{
	uint64_t z = (mac_rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	return z ^ (z >> 31);
}

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool same_entry(const struct model *m, unsigned id, const struct fdb_entry *e)
{
	const struct model_entry *me = &m->e[id];

	if (!e || memcmp(e->mac, m->mac[id], MAC_LEN) || e->state != me->state || e->updated != me->updated ||
	    e->n_remotes != me->n)
		return false;
	for (unsigned i = 0; i < me->n; i++)
		if (!model_same_remote(&e->remotes[i], &me->r[i]) || e->remotes[i].origin != me->r[i].origin)
			return false;
	return true;
}

struct walk {
	const struct model *m;
	const unsigned *ids;
	unsigned n, at;
};

static void walk_cb(const struct fdb_entry *e, void *arg)
{
	struct walk *w = arg;

	check(w->at < w->n && same_entry(w->m, w->ids[w->at], e));
	w->at++;
}

static void aged_cb(const struct fdb_entry *e, void *arg)
{
	struct walk *w = arg;

	check(w->at < w->n && memcmp(e->mac, w->m->mac[w->ids[w->at]], MAC_LEN) == 0);
	w->at++;
}

static bool odd_vni(const uint8_t mac[MAC_LEN], const struct fdb_remote *r, enum fdb_state st, void *arg)
{
	(void)mac;
	(void)st;
	(void)arg;
	return r->vni & 1;
}

static void compare_all(const struct fdb *f, const struct model *m, unsigned *ids)
{
	struct walk w = {m, ids, 0, 0};

	check(fdb_count(f) == m->count);
	for (unsigned id = 0; id < m->universe; id++) {
		struct fdb_copy c;

		if (m->e[id].present) {
			check(same_entry(m, id, fdb_lookup(f, m->mac[id])));
			check(fdb_read(f, m->mac[id], &c) && same_entry(m, id, &c.e));
		} else {
			check(!fdb_lookup(f, m->mac[id]) && !fdb_read(f, m->mac[id], &c));
		}
	}
	w.n = m_order(m, ids);
	fdb_foreach(f, walk_cb, &w);
	check(w.at == w.n);
}

/* A remote from one byte: 4 addresses (one IPv6), 2 VNIs, every origin. */
static struct fdb_remote remote_of(uint8_t b)
{
	struct fdb_remote r;

	memset(&r, 0, sizeof(r));
	r.port = 4789;
	r.vni = 42 + (b >> 2 & 1);
	r.origin = (uint8_t)((b >> 3) % FDB_ORIGIN_MAX);
	if ((b & 3) == 3) {
		r.ip.family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8::1", &r.ip.v6);
	} else {
		r.ip.family = AF_INET;
		r.ip.v4.s_addr = htonl(0xc6120000u + (b & 3)); /* 198.18.0.0-2 */
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fdb_config cfg = {.fixed_seed = true};
	unsigned ids[UNIVERSE];
	uint64_t now = 1000000;
	struct model m;
	struct fdb *f;
	size_t i;

	if (size < 10)
		return 0;
	for (i = 0; i < 8; i++)
		cfg.seed = cfg.seed << 8 | data[i];
	cfg.max_entries = data[8] % 4 ? 0 : 1 + data[8] % 20;
	cfg.ageing_ms = data[9] & 1 ? 0 : 5000;
	f = fdb_new(&cfg);
	if (!f)
		return 0;
	mac_rng = cfg.seed;
	model_init(&m, UNIVERSE, cfg.max_entries, cfg.ageing_ms, mac_rnd);

	/* 3 bytes per operation: what, which MAC, which remote; time moves on
	 * by the low bits of the last. */
	for (i = 10; i + 3 <= size; i += 3) {
		unsigned what = data[i] % 12, id = data[i + 1] % UNIVERSE;
		struct fdb_remote r = remote_of(data[i + 2]);
		const uint8_t *mac = m.mac[id];

		now += (uint64_t)(data[i + 2] & 0x7) * 1000;
		switch (what) {
		case 0:
			check(fdb_add(f, mac, &r, now) == m_add(&m, id, &r, now));
			break;
		case 1:
			check(fdb_replace(f, mac, &r, now) == m_replace(&m, id, &r, now));
			break;
		case 2:
			/* the model holds MODEL_MAXR remotes per flood list */
			if (!m.e[id].present || m.e[id].n < MODEL_MAXR)
				check(fdb_append(f, mac, &r, now) == m_append(&m, id, &r, now));
			break;
		case 3:
			check(fdb_del(f, mac, NULL) == m_del(&m, id, NULL, -1));
			break;
		case 4:
			check(fdb_del(f, mac, &r) == m_del(&m, id, &r, -1));
			break;
		case 5:
			check(fdb_del_owned(f, mac, &r, r.origin) == m_del(&m, id, &r, r.origin));
			break;
		case 6:
			check(fdb_del_owned(f, mac, NULL, r.origin) == m_del(&m, id, NULL, r.origin));
			break;
		case 7:
		case 8:
			check(fdb_learn(f, mac, &r, now) == m_learn(&m, id, &r, now));
			break;
		case 9: {
			struct walk w = {&m, ids, 0, 0};

			w.n = m_age(&m, now, ids);
			check(fdb_age(f, now, aged_cb, &w) == w.n && w.at == w.n);
			break;
		}
		case 10: {
			bool filtered = data[i + 2] & 1;

			check(fdb_del_origin(f, r.origin, filtered ? odd_vni : NULL, NULL) ==
			      m_del_origin(&m, r.origin, filtered));
			break;
		}
		default:
			compare_all(f, &m, ids);
			break;
		}
		check(fdb_count(f) == m.count);
	}
	compare_all(f, &m, ids);
	model_free(&m);
	fdb_free(f);
	return 0;
}
