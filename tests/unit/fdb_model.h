/* fdb_model.h: a deliberately naive reference model of the FDB's
 * documented semantics (include/vxnet/fdb.h): arrays and linear search, no
 * hashing. The unit test (test_fdb.c) and the fuzzer (fuzz_fdb.c) run
 * random operations on a table and on this model and require identical
 * results. Entries are identified by their index in a universe of MACs:
 * id 0 the all-zeros MAC, ids 1-2 multicast, the rest unicast. */
#ifndef VXNET_TEST_FDB_MODEL_H
#define VXNET_TEST_FDB_MODEL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vxnet/fdb.h"

static inline bool model_same_ip(const struct vx_addr *a, const struct vx_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->v4.s_addr == b->v4.s_addr;
	return memcmp(&a->v6, &b->v6, sizeof(a->v6)) == 0;
}

/* Identity: ip, port, vni and ifindex; origin is not part of it. */
static inline bool model_same_remote(const struct fdb_remote *a, const struct fdb_remote *b)
{
	return model_same_ip(&a->ip, &b->ip) && a->port == b->port && a->vni == b->vni && a->ifindex == b->ifindex;
}

#define MODEL_MAXR 6

struct model_entry {
	bool present;
	enum fdb_state state;
	uint64_t updated;
	unsigned n;
	struct fdb_remote r[MODEL_MAXR];
	uint64_t created; /* creation sequence: fdb_foreach order */
};

struct model {
	unsigned universe, count, max_entries;
	uint64_t ageing, next_created;
	uint8_t (*mac)[MAC_LEN];
	struct model_entry *e;
};

/* Universe: id 0 the all-zeros MAC, ids 1-2 multicast, the rest unicast. */
static inline void model_init(struct model *m, unsigned universe, unsigned max_entries, uint64_t ageing,
			      uint64_t (*rnd)(void))
{
	m->universe = universe;
	m->count = 0;
	m->max_entries = max_entries;
	m->ageing = ageing;
	m->next_created = 0;
	m->mac = calloc(universe, MAC_LEN);
	m->e = calloc(universe, sizeof(*m->e));
	if (!m->mac || !m->e)
		abort();
	for (unsigned i = 1; i < universe; i++) {
		uint64_t x = rnd();

		for (int b = 0; b < MAC_LEN; b++)
			m->mac[i][b] = (uint8_t)(x >> (8 * b));
		m->mac[i][0] =
		    i < 3 ? (uint8_t)(0x01 | (m->mac[i][0] & 0xfc)) : (uint8_t)(0x02 | (m->mac[i][0] & 0xfc));
		for (unsigned j = 1; j < i; j++)
			if (memcmp(m->mac[i], m->mac[j], MAC_LEN) == 0)
				m->mac[i][5] ^= 0x80; /* astronomically rare; keep ids distinct anyway */
	}
}

static inline void model_free(struct model *m)
{
	free(m->mac);
	free(m->e);
}

static inline bool m_flood(unsigned id)
{
	return id < 3;
}

static inline int m_find(const struct model_entry *e, const struct fdb_remote *r)
{
	for (unsigned i = 0; i < e->n; i++)
		if (model_same_remote(&e->r[i], r))
			return (int)i;
	return -1;
}

static inline void m_create(struct model *m, unsigned id, const struct fdb_remote *r, enum fdb_state st, uint64_t now)
{
	struct model_entry *e = &m->e[id];

	e->present = true;
	e->state = st;
	e->updated = now;
	e->n = 1;
	e->r[0] = *r;
	e->created = m->next_created++;
	m->count++;
}

static inline void m_remove(struct model *m, unsigned id)
{
	m->e[id].present = false;
	m->count--;
}

static inline bool m_full(const struct model *m)
{
	return m->max_entries && m->count >= m->max_entries;
}

static inline void m_remove_remote(struct model *m, unsigned id, unsigned i)
{
	struct model_entry *e = &m->e[id];

	if (e->n == 1) {
		m_remove(m, id);
		return;
	}
	memmove(&e->r[i], &e->r[i + 1], (e->n - i - 1) * sizeof(e->r[0]));
	e->n--;
}

static inline int m_add(struct model *m, unsigned id, const struct fdb_remote *r, uint64_t now)
{
	if (m->e[id].present)
		return -EEXIST;
	if (m_full(m))
		return -ENOSPC;
	m_create(m, id, r, FDB_STATE_PERMANENT, now);
	return 0;
}

static inline int m_replace(struct model *m, unsigned id, const struct fdb_remote *r, uint64_t now)
{
	struct model_entry *e = &m->e[id];

	if (m_flood(id))
		return -EOPNOTSUPP;
	if (!e->present) {
		if (m_full(m))
			return -ENOSPC;
		m_create(m, id, r, FDB_STATE_PERMANENT, now);
		return 0;
	}
	e->r[0] = *r;
	e->state = FDB_STATE_PERMANENT;
	e->updated = now;
	return 0;
}

static inline int m_append(struct model *m, unsigned id, const struct fdb_remote *r, uint64_t now)
{
	struct model_entry *e = &m->e[id];

	if (!e->present) {
		if (m_full(m))
			return -ENOSPC;
		m_create(m, id, r, FDB_STATE_PERMANENT, now);
		return 0;
	}
	if (!m_flood(id))
		return -EOPNOTSUPP;
	if (m_find(e, r) >= 0)
		return -EEXIST;
	if (e->n >= MODEL_MAXR)
		abort(); /* callers keep flood lists short */
	e->r[e->n++] = *r;
	e->state = FDB_STATE_PERMANENT;
	e->updated = now;
	return 0;
}

static inline int m_del(struct model *m, unsigned id, const struct fdb_remote *r, int origin)
{
	struct model_entry *e = &m->e[id];
	int i;

	if (!e->present)
		return -ENOENT;
	if (!r) {
		for (unsigned j = 0; origin >= 0 && j < e->n; j++)
			if (e->r[j].origin != origin)
				return -EPERM;
		m_remove(m, id);
		return 0;
	}
	i = m_find(e, r);
	if (i < 0)
		return -ENOENT;
	if (origin >= 0 && e->r[i].origin != origin)
		return -EPERM;
	m_remove_remote(m, id, (unsigned)i);
	return 0;
}

static inline enum fdb_learn_result m_learn(struct model *m, unsigned id, const struct fdb_remote *r, uint64_t now)
{
	struct model_entry *e = &m->e[id];
	struct fdb_remote l = *r;

	if (m_flood(id))
		return FDB_LEARN_INVALID;
	l.origin = FDB_ORIGIN_LEARNED;
	if (!e->present) {
		if (m_full(m))
			return FDB_LEARN_FULL;
		m_create(m, id, &l, FDB_STATE_REACHABLE, now);
		return FDB_LEARN_NEW;
	}
	if (e->state == FDB_STATE_PERMANENT) {
		for (unsigned i = 0; i < e->n; i++)
			if (model_same_ip(&e->r[i].ip, &r->ip))
				return FDB_LEARN_PINNED;
		return FDB_LEARN_CONFLICT;
	}
	e->updated = now;
	if (model_same_ip(&e->r[0].ip, &r->ip))
		return FDB_LEARN_REFRESHED;
	e->r[0] = l;
	return FDB_LEARN_MOVED;
}

static inline int m_by_creation(const void *a, const void *b, void *arg)
{
	const struct model *m = arg;
	uint64_t x = m->e[*(const unsigned *)a].created, y = m->e[*(const unsigned *)b].created;

	return x < y ? -1 : x > y;
}

/* Ids of present entries in creation order. */
static inline unsigned m_order(const struct model *m, unsigned *ids)
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->universe; i++)
		if (m->e[i].present)
			ids[n++] = i;
	qsort_r(ids, n, sizeof(*ids), m_by_creation, (void *)m);
	return n;
}

static inline unsigned m_age(struct model *m, uint64_t now, unsigned *ids)
{
	unsigned n = m_order(m, ids), removed = 0;

	if (m->ageing == 0)
		return 0;
	for (unsigned i = 0; i < n; i++) {
		struct model_entry *e = &m->e[ids[i]];

		if (e->state == FDB_STATE_REACHABLE && now >= e->updated && now - e->updated >= m->ageing) {
			m_remove(m, ids[i]);
			ids[removed++] = ids[i]; /* what the callback must have seen, in order */
		}
	}
	return removed;
}

/* filtered: only remotes with an odd VNI go (the filter the tests pass). */
static inline unsigned m_del_origin(struct model *m, uint8_t origin, bool filtered)
{
	unsigned removed = 0;

	for (unsigned id = 0; id < m->universe; id++) {
		struct model_entry *e = &m->e[id];

		if (!e->present)
			continue;
		for (unsigned i = 0; i < e->n;) {
			if (e->r[i].origin == origin && (!filtered || (e->r[i].vni & 1))) {
				bool last = e->n == 1;

				m_remove_remote(m, id, i);
				removed++;
				if (last)
					break;
			} else {
				i++;
			}
		}
	}
	return removed;
}

#endif
