/* Unit tests for lib/fdb.c: add/append/replace/del semantics as in the Linux
 * vxlan driver, learning (new, refresh, move, pinned, conflict, invalid),
 * ageing with an injected clock, maxaddress, creation order and scale;
 * origins; the open-addressed table against a reference model, aimed
 * collisions, seeds and churn. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "fdb_model.h"
#include "vxnet/fdb.h"

#define AGEING 300000u /* the default 300 s, in ms */
#define T0 1000000u

static const uint8_t MAC_A[MAC_LEN] = {0x02, 0x42, 0xc0, 0xa8, 0x00, 0x0a};
static const uint8_t MAC_B[MAC_LEN] = {0x02, 0x42, 0xc0, 0xa8, 0x00, 0x0b};
static const uint8_t MAC_C[MAC_LEN] = {0x02, 0x42, 0xc0, 0xa8, 0x00, 0x0c};
static const uint8_t MAC_ZERO[MAC_LEN] = {0};
static const uint8_t MAC_BCAST[MAC_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t MAC_MCAST[MAC_LEN] = {0x01, 0x00, 0x5e, 0x01, 0x01, 0x01};
static const uint8_t MAC_MCAST6[MAC_LEN] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};

static struct fdb_remote remote(const char *ip)
{
	struct fdb_remote r;

	memset(&r, 0, sizeof(r));
	r.port = 4789;
	r.vni = 42;
	if (strchr(ip, ':')) {
		r.ip.family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, ip, &r.ip.v6), 1);
	} else {
		r.ip.family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, ip, &r.ip.v4), 1);
	}
	return r;
}

static bool same_remote(const struct fdb_remote *a, const struct fdb_remote *b)
{
	if (a->ip.family != b->ip.family || a->port != b->port || a->vni != b->vni || a->ifindex != b->ifindex)
		return false;
	if (a->ip.family == AF_INET)
		return a->ip.v4.s_addr == b->ip.v4.s_addr;
	return memcmp(&a->ip.v6, &b->ip.v6, sizeof(a->ip.v6)) == 0;
}

static struct fdb *table(unsigned max_entries, uint64_t ageing_ms)
{
	struct fdb_config c = {.max_entries = max_entries, .ageing_ms = ageing_ms};
	struct fdb *f = fdb_new(&c);

	assert_non_null(f);
	return f;
}

/* Asserts the entry for mac exists with exactly the remotes given, in order. */
static const struct fdb_entry *expect_entry(const struct fdb *f, const uint8_t *mac, enum fdb_state st, unsigned n,
					    const struct fdb_remote *rs)
{
	const struct fdb_entry *e = fdb_lookup(f, mac);

	assert_non_null(e);
	assert_memory_equal(e->mac, mac, MAC_LEN);
	assert_int_equal(e->state, st);
	assert_int_equal(e->n_remotes, n);
	for (unsigned i = 0; i < n; i++)
		assert_true(same_remote(&e->remotes[i], &rs[i]));
	return e;
}

static void test_new_table_is_empty(void **state)
{
	struct fdb *f = table(0, AGEING);

	(void)state;
	assert_int_equal(fdb_count(f), 0);
	assert_null(fdb_lookup(f, MAC_A));
	assert_null(fdb_lookup(f, MAC_ZERO));
	assert_int_equal(fdb_del(f, MAC_A, NULL), -ENOENT);
	fdb_free(f);
	fdb_free(NULL);
}

static void test_add_creates_permanent_entry_with_one_remote(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r = remote("198.18.0.3");
	const struct fdb_entry *e;

	(void)state;
	assert_int_equal(fdb_add(f, MAC_A, &r, T0), 0);
	assert_int_equal(fdb_count(f), 1);
	e = expect_entry(f, MAC_A, FDB_STATE_PERMANENT, 1, &r);
	assert_int_equal(e->updated, T0);
	assert_null(fdb_lookup(f, MAC_B));
	fdb_free(f);
}

static void test_add_accepts_zero_and_multicast_macs(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r = remote("239.1.1.1");

	(void)state;
	assert_int_equal(fdb_add(f, MAC_ZERO, &r, T0), 0);
	assert_int_equal(fdb_add(f, MAC_MCAST, &r, T0), 0);
	expect_entry(f, MAC_ZERO, FDB_STATE_PERMANENT, 1, &r);
	expect_entry(f, MAC_MCAST, FDB_STATE_PERMANENT, 1, &r);
	fdb_free(f);
}

static void test_add_on_existing_permanent_entry_is_eexist_and_changes_nothing(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r1 = remote("198.18.0.3"), r2 = remote("198.18.0.4");

	(void)state;
	assert_int_equal(fdb_add(f, MAC_A, &r1, T0), 0);
	assert_int_equal(fdb_add(f, MAC_A, &r2, T0 + 5), -EEXIST);
	assert_int_equal(fdb_add(f, MAC_A, &r1, T0 + 5), -EEXIST);
	assert_int_equal(expect_entry(f, MAC_A, FDB_STATE_PERMANENT, 1, &r1)->updated, T0);
	assert_int_equal(fdb_count(f), 1);
	fdb_free(f);
}

static void test_add_on_learned_entry_is_eexist_and_keeps_it_learned(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r1 = remote("198.18.0.3"), r2 = remote("198.18.0.4");

	(void)state;
	assert_int_equal(fdb_learn(f, MAC_A, &r1, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_add(f, MAC_A, &r2, T0), -EEXIST);
	expect_entry(f, MAC_A, FDB_STATE_REACHABLE, 1, &r1);
	fdb_free(f);
}

static void test_add_replace_append_refuse_missing_or_unspec_remote(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote unspec = remote("198.18.0.3");

	(void)state;
	unspec.ip.family = AF_UNSPEC;
	assert_int_equal(fdb_add(f, MAC_A, NULL, T0), -EINVAL);
	assert_int_equal(fdb_add(f, MAC_A, &unspec, T0), -EINVAL);
	assert_int_equal(fdb_replace(f, MAC_A, NULL, T0), -EINVAL);
	assert_int_equal(fdb_replace(f, MAC_A, &unspec, T0), -EINVAL);
	assert_int_equal(fdb_append(f, MAC_ZERO, NULL, T0), -EINVAL);
	assert_int_equal(fdb_append(f, MAC_ZERO, &unspec, T0), -EINVAL);
	assert_int_equal(fdb_learn(f, MAC_A, NULL, T0), FDB_LEARN_INVALID);
	assert_int_equal(fdb_learn(f, MAC_A, &unspec, T0), FDB_LEARN_INVALID);
	assert_int_equal(fdb_count(f), 0);
	fdb_free(f);
}

static void test_replace_creates_missing_entry_permanent(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r = remote("2001:db8::3");

	(void)state;
	assert_int_equal(fdb_replace(f, MAC_A, &r, T0), 0);
	assert_int_equal(expect_entry(f, MAC_A, FDB_STATE_PERMANENT, 1, &r)->updated, T0);
	assert_int_equal(fdb_count(f), 1);
	fdb_free(f);
}

static void test_replace_rewrites_first_remote_of_permanent_entry(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r1 = remote("198.18.0.3"), r2 = remote("198.18.0.4");

	(void)state;
	r2.port = 8472;
	r2.vni = 7;
	r2.ifindex = 3;
	assert_int_equal(fdb_add(f, MAC_A, &r1, T0), 0);
	assert_int_equal(fdb_replace(f, MAC_A, &r2, T0 + 10), 0);
	assert_int_equal(expect_entry(f, MAC_A, FDB_STATE_PERMANENT, 1, &r2)->updated, T0 + 10);
	assert_int_equal(fdb_count(f), 1);
	fdb_free(f);
}

static void test_replace_makes_learned_entry_permanent_and_it_no_longer_ages(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r1 = remote("198.18.0.3"), r2 = remote("198.18.0.4");

	(void)state;
	assert_int_equal(fdb_learn(f, MAC_A, &r1, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_replace(f, MAC_A, &r2, T0), 0);
	expect_entry(f, MAC_A, FDB_STATE_PERMANENT, 1, &r2);
	assert_int_equal(fdb_age(f, T0 + 10ull * AGEING, NULL, NULL), 0);
	expect_entry(f, MAC_A, FDB_STATE_PERMANENT, 1, &r2);
	/* and learning no longer moves it */
	assert_int_equal(fdb_learn(f, MAC_A, &r1, T0 + 1), FDB_LEARN_CONFLICT);
	expect_entry(f, MAC_A, FDB_STATE_PERMANENT, 1, &r2);
	fdb_free(f);
}

static void test_replace_refuses_zero_and_multicast_macs_present_or_not(void **state)
{
	static const uint8_t *const macs[] = {MAC_ZERO, MAC_MCAST, MAC_MCAST6, MAC_BCAST};
	struct fdb_remote r1 = remote("198.18.0.3"), r2 = remote("198.18.0.4");

	(void)state;
	for (size_t i = 0; i < sizeof(macs) / sizeof(macs[0]); i++) {
		struct fdb *f = table(0, AGEING);

		/* absent */
		assert_int_equal(fdb_replace(f, macs[i], &r1, T0), -EOPNOTSUPP);
		assert_null(fdb_lookup(f, macs[i]));
		/* present */
		assert_int_equal(fdb_append(f, macs[i], &r1, T0), 0);
		assert_int_equal(fdb_replace(f, macs[i], &r2, T0), -EOPNOTSUPP);
		expect_entry(f, macs[i], FDB_STATE_PERMANENT, 1, &r1);
		fdb_free(f);
	}
}

static void test_append_creates_missing_flood_entry_permanent(void **state)
{
	static const uint8_t *const macs[] = {MAC_ZERO, MAC_MCAST, MAC_BCAST};
	struct fdb_remote r = remote("198.51.100.1");

	(void)state;
	for (size_t i = 0; i < sizeof(macs) / sizeof(macs[0]); i++) {
		struct fdb *f = table(0, AGEING);

		assert_int_equal(fdb_append(f, macs[i], &r, T0), 0);
		assert_int_equal(expect_entry(f, macs[i], FDB_STATE_PERMANENT, 1, &r)->updated, T0);
		assert_int_equal(fdb_count(f), 1);
		fdb_free(f);
	}
}

static void test_append_builds_three_remote_flood_list_then_del_middle_keeps_order(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote rs[3] = {remote("198.51.100.1"), remote("198.51.100.2"), remote("2001:db8::3")};
	struct fdb_remote left[2] = {rs[0], rs[2]};

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(fdb_append(f, MAC_ZERO, &rs[i], T0), 0);
	expect_entry(f, MAC_ZERO, FDB_STATE_PERMANENT, 3, rs);
	assert_int_equal(fdb_count(f), 1);

	assert_int_equal(fdb_del(f, MAC_ZERO, &rs[1]), 0);
	expect_entry(f, MAC_ZERO, FDB_STATE_PERMANENT, 2, left);
	assert_int_equal(fdb_del(f, MAC_ZERO, &rs[1]), -ENOENT);
	assert_int_equal(fdb_del(f, MAC_ZERO, &rs[0]), 0);
	expect_entry(f, MAC_ZERO, FDB_STATE_PERMANENT, 1, &rs[2]);
	/* the last remote takes the entry with it */
	assert_int_equal(fdb_del(f, MAC_ZERO, &rs[2]), 0);
	assert_null(fdb_lookup(f, MAC_ZERO));
	assert_int_equal(fdb_count(f), 0);
	fdb_free(f);
}

static void test_append_grows_remote_array_past_inline_storage(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote rs[20];
	char ip[32];

	(void)state;
	for (int i = 0; i < 20; i++) {
		snprintf(ip, sizeof(ip), "203.0.113.%d", i + 1);
		rs[i] = remote(ip);
		assert_int_equal(fdb_append(f, MAC_ZERO, &rs[i], T0), 0);
		expect_entry(f, MAC_ZERO, FDB_STATE_PERMANENT, (unsigned)i + 1, rs);
	}
	for (int i = 19; i >= 0; i -= 2) {
		assert_int_equal(fdb_del(f, MAC_ZERO, &rs[i]), 0);
		memmove(&rs[i], &rs[i + 1], (size_t)(19 - i) * sizeof(rs[0]));
	}
	expect_entry(f, MAC_ZERO, FDB_STATE_PERMANENT, 10, rs);
	fdb_free(f);
}

static void test_append_duplicate_remote_is_eexist(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r = remote("198.51.100.1"), r2 = remote("198.51.100.2");
	struct fdb_remote both[2] = {r, r2};

	(void)state;
	assert_int_equal(fdb_append(f, MAC_ZERO, &r, T0), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &r2, T0), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &r, T0), -EEXIST);
	assert_int_equal(fdb_append(f, MAC_ZERO, &r2, T0), -EEXIST);
	expect_entry(f, MAC_ZERO, FDB_STATE_PERMANENT, 2, both);
	fdb_free(f);
}

/* A remote is identified by all four of ip, port, vni and ifindex: one that
 * differs in any of them is another remote for append, and not a match for del. */
static void test_remote_identity_is_ip_port_vni_ifindex(void **state)
{
	struct fdb_remote base = remote("198.51.100.1");
	struct fdb_remote v[5];

	(void)state;
	for (int i = 0; i < 5; i++)
		v[i] = base;
	v[1].ip.v4.s_addr ^= htonl(1);
	v[2].port = 8472;
	v[3].vni = 43;
	v[4].ifindex = 2;
	for (int i = 1; i < 5; i++) {
		struct fdb *f = table(0, AGEING);
		struct fdb_remote both[2] = {base, v[i]};

		assert_int_equal(fdb_append(f, MAC_ZERO, &base, T0), 0);
		assert_int_equal(fdb_del(f, MAC_ZERO, &v[i]), -ENOENT);
		assert_int_equal(fdb_append(f, MAC_ZERO, &v[i], T0), 0);
		expect_entry(f, MAC_ZERO, FDB_STATE_PERMANENT, 2, both);
		assert_int_equal(fdb_del(f, MAC_ZERO, &v[i]), 0);
		expect_entry(f, MAC_ZERO, FDB_STATE_PERMANENT, 1, &base);
		fdb_free(f);
	}
}

/* The 12 bytes of the address union an IPv4 address leaves unused are not
 * part of the identity; the family is. */
static void test_remote_match_ignores_unused_ipv4_union_bytes_but_not_family(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r = remote("198.51.100.1"), noisy, v6;

	(void)state;
	noisy = r;
	memset((uint8_t *)&noisy.ip.v6 + 4, 0xa5, 12);
	v6 = r;
	v6.ip.family = AF_INET6; /* same leading bytes, other family */
	assert_int_equal(fdb_append(f, MAC_ZERO, &r, T0), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &noisy, T0), -EEXIST);
	assert_int_equal(fdb_del(f, MAC_ZERO, &v6), -ENOENT);
	assert_int_equal(fdb_learn(f, MAC_A, &r, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(f, MAC_A, &noisy, T0 + 1), FDB_LEARN_REFRESHED);
	assert_int_equal(fdb_del(f, MAC_ZERO, &noisy), 0);
	assert_null(fdb_lookup(f, MAC_ZERO));
	fdb_free(f);
}

static void test_append_creates_missing_unicast_entry(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r = remote("198.18.0.3");

	(void)state;
	assert_int_equal(fdb_append(f, MAC_A, &r, T0), 0);
	expect_entry(f, MAC_A, FDB_STATE_PERMANENT, 1, &r);
	fdb_free(f);
}

static void test_append_to_existing_unicast_entry_is_eopnotsupp(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r1 = remote("198.18.0.3"), r2 = remote("198.18.0.4");

	(void)state;
	assert_int_equal(fdb_add(f, MAC_A, &r1, T0), 0);
	assert_int_equal(fdb_append(f, MAC_A, &r2, T0), -EOPNOTSUPP);
	assert_int_equal(fdb_append(f, MAC_A, &r1, T0), -EOPNOTSUPP);
	expect_entry(f, MAC_A, FDB_STATE_PERMANENT, 1, &r1);
	/* a learned one neither; it stays learned */
	assert_int_equal(fdb_learn(f, MAC_B, &r1, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_append(f, MAC_B, &r2, T0), -EOPNOTSUPP);
	expect_entry(f, MAC_B, FDB_STATE_REACHABLE, 1, &r1);
	fdb_free(f);
}

static void test_del_without_remote_removes_whole_entry(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r1 = remote("198.51.100.1"), r2 = remote("198.51.100.2");

	(void)state;
	assert_int_equal(fdb_append(f, MAC_ZERO, &r1, T0), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &r2, T0), 0);
	assert_int_equal(fdb_add(f, MAC_A, &r1, T0), 0);
	assert_int_equal(fdb_learn(f, MAC_B, &r2, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_del(f, MAC_ZERO, NULL), 0);
	assert_int_equal(fdb_del(f, MAC_B, NULL), 0);
	assert_null(fdb_lookup(f, MAC_ZERO));
	assert_null(fdb_lookup(f, MAC_B));
	assert_non_null(fdb_lookup(f, MAC_A));
	assert_int_equal(fdb_count(f), 1);
	assert_int_equal(fdb_del(f, MAC_ZERO, NULL), -ENOENT);
	assert_int_equal(fdb_del(f, MAC_C, NULL), -ENOENT);
	assert_int_equal(fdb_del(f, MAC_C, &r1), -ENOENT);
	fdb_free(f);
}

static void test_del_with_unknown_remote_is_enoent_and_keeps_entry(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r1 = remote("198.18.0.3"), r2 = remote("198.18.0.4");

	(void)state;
	assert_int_equal(fdb_add(f, MAC_A, &r1, T0), 0);
	assert_int_equal(fdb_del(f, MAC_A, &r2), -ENOENT);
	expect_entry(f, MAC_A, FDB_STATE_PERMANENT, 1, &r1);
	assert_int_equal(fdb_del(f, MAC_A, &r1), 0);
	assert_null(fdb_lookup(f, MAC_A));
	fdb_free(f);
}

static void test_learn_unknown_mac_creates_reachable_entry(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r = remote("198.18.0.3");
	const struct fdb_entry *e;

	(void)state;
	assert_int_equal(fdb_learn(f, MAC_A, &r, T0), FDB_LEARN_NEW);
	e = expect_entry(f, MAC_A, FDB_STATE_REACHABLE, 1, &r);
	assert_int_equal(e->updated, T0);
	assert_int_equal(fdb_count(f), 1);
	fdb_free(f);
}

static void test_learn_same_ip_refreshes_updated(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r = remote("198.18.0.3");

	(void)state;
	assert_int_equal(fdb_learn(f, MAC_A, &r, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(f, MAC_A, &r, T0 + 500), FDB_LEARN_REFRESHED);
	assert_int_equal(expect_entry(f, MAC_A, FDB_STATE_REACHABLE, 1, &r)->updated, T0 + 500);
	assert_int_equal(fdb_count(f), 1);
	fdb_free(f);
}

static void test_learn_other_ip_moves_learned_entry(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r1 = remote("198.18.0.3"), r2 = remote("198.18.0.4"), r6 = remote("2001:db8::4");
	const struct fdb_entry *e;

	(void)state;
	assert_int_equal(fdb_learn(f, MAC_A, &r1, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(f, MAC_A, &r2, T0 + 7), FDB_LEARN_MOVED);
	e = expect_entry(f, MAC_A, FDB_STATE_REACHABLE, 1, &r2);
	assert_int_equal(e->updated, T0 + 7);
	assert_int_equal(fdb_learn(f, MAC_A, &r6, T0 + 8), FDB_LEARN_MOVED);
	expect_entry(f, MAC_A, FDB_STATE_REACHABLE, 1, &r6);
	assert_int_equal(fdb_learn(f, MAC_A, &r6, T0 + 9), FDB_LEARN_REFRESHED);
	assert_int_equal(fdb_count(f), 1);
	fdb_free(f);
}

static void test_learn_matching_permanent_entry_is_pinned_and_unchanged(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r = remote("198.18.0.3"), seen = r;

	(void)state;
	/* the user's entry has its own port and VNI; the packet brings the link's */
	r.port = 8472;
	r.vni = 7;
	assert_int_equal(fdb_add(f, MAC_A, &r, T0), 0);
	assert_int_equal(fdb_learn(f, MAC_A, &seen, T0 + 99), FDB_LEARN_PINNED);
	assert_int_equal(expect_entry(f, MAC_A, FDB_STATE_PERMANENT, 1, &r)->updated, T0);
	fdb_free(f);
}

static void test_learn_contradicting_permanent_entry_is_conflict_and_unchanged(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r1 = remote("198.18.0.3"), r2 = remote("198.18.0.4");

	(void)state;
	assert_int_equal(fdb_add(f, MAC_A, &r1, T0), 0);
	assert_int_equal(fdb_learn(f, MAC_A, &r2, T0 + 99), FDB_LEARN_CONFLICT);
	assert_int_equal(expect_entry(f, MAC_A, FDB_STATE_PERMANENT, 1, &r1)->updated, T0);
	fdb_free(f);
}

static void test_learn_refuses_zero_and_multicast_source_macs(void **state)
{
	static const uint8_t *const macs[] = {MAC_ZERO, MAC_MCAST, MAC_MCAST6, MAC_BCAST};
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r = remote("198.18.0.3");

	(void)state;
	for (size_t i = 0; i < sizeof(macs) / sizeof(macs[0]); i++) {
		assert_int_equal(fdb_learn(f, macs[i], &r, T0), FDB_LEARN_INVALID);
		assert_null(fdb_lookup(f, macs[i]));
	}
	/* even when a permanent flood entry exists for that MAC */
	assert_int_equal(fdb_append(f, MAC_ZERO, &r, T0), 0);
	assert_int_equal(fdb_learn(f, MAC_ZERO, &r, T0), FDB_LEARN_INVALID);
	assert_int_equal(fdb_count(f), 1);
	fdb_free(f);
}

struct seen {
	unsigned n;
	uint8_t macs[8][MAC_LEN];
	enum fdb_state states[8];
	uint32_t first_ip[8];
};

static void collect(const struct fdb_entry *e, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 8);
	assert_true(e->n_remotes >= 1);
	memcpy(s->macs[s->n], e->mac, MAC_LEN);
	s->states[s->n] = e->state;
	s->first_ip[s->n] = e->remotes[0].ip.v4.s_addr;
	s->n++;
}

static void test_age_removes_learned_entry_at_exactly_ageing_ms(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r = remote("198.18.0.3");
	struct seen s = {0};

	(void)state;
	assert_int_equal(fdb_learn(f, MAC_A, &r, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_age(f, T0 + AGEING - 1, collect, &s), 0);
	assert_int_equal(s.n, 0);
	assert_non_null(fdb_lookup(f, MAC_A));
	assert_int_equal(fdb_age(f, T0 + AGEING, collect, &s), 1);
	assert_null(fdb_lookup(f, MAC_A));
	assert_int_equal(fdb_count(f), 0);
	assert_int_equal(s.n, 1);
	assert_memory_equal(s.macs[0], MAC_A, MAC_LEN);
	fdb_free(f);
}

static void test_age_counts_from_last_refresh_and_last_move(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r1 = remote("198.18.0.3"), r2 = remote("198.18.0.4");

	(void)state;
	assert_int_equal(fdb_learn(f, MAC_A, &r1, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(f, MAC_B, &r1, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_learn(f, MAC_A, &r1, T0 + 1000), FDB_LEARN_REFRESHED);
	assert_int_equal(fdb_learn(f, MAC_B, &r2, T0 + 2000), FDB_LEARN_MOVED);
	assert_int_equal(fdb_age(f, T0 + AGEING, NULL, NULL), 0);
	assert_int_equal(fdb_age(f, T0 + 1000 + AGEING - 1, NULL, NULL), 0);
	assert_int_equal(fdb_age(f, T0 + 1000 + AGEING, NULL, NULL), 1);
	assert_null(fdb_lookup(f, MAC_A));
	assert_int_equal(fdb_age(f, T0 + 2000 + AGEING - 1, NULL, NULL), 0);
	assert_int_equal(fdb_age(f, T0 + 2000 + AGEING, NULL, NULL), 1);
	assert_int_equal(fdb_count(f), 0);
	fdb_free(f);
}

static void test_age_never_removes_permanent_entries(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r = remote("198.18.0.3");

	(void)state;
	assert_int_equal(fdb_add(f, MAC_A, &r, T0), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &r, T0), 0);
	assert_int_equal(fdb_replace(f, MAC_B, &r, T0), 0);
	assert_int_equal(fdb_age(f, T0 + AGEING, NULL, NULL), 0);
	assert_int_equal(fdb_age(f, UINT64_MAX, NULL, NULL), 0);
	assert_int_equal(fdb_count(f), 3);
	fdb_free(f);
}

static void test_age_zero_ageing_never_expires_learned_entries(void **state)
{
	struct fdb *f = table(0, 0);
	struct fdb_remote r = remote("198.18.0.3");

	(void)state;
	assert_int_equal(fdb_learn(f, MAC_A, &r, 0), FDB_LEARN_NEW);
	assert_int_equal(fdb_age(f, 0, NULL, NULL), 0);
	assert_int_equal(fdb_age(f, UINT64_MAX, NULL, NULL), 0);
	assert_non_null(fdb_lookup(f, MAC_A));
	fdb_free(f);
}

static void test_age_ignores_clock_earlier_than_update(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r = remote("198.18.0.3");

	(void)state;
	assert_int_equal(fdb_learn(f, MAC_A, &r, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_age(f, 0, NULL, NULL), 0);
	assert_non_null(fdb_lookup(f, MAC_A));
	fdb_free(f);
}

static void test_age_callback_sees_each_removed_entry_only(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r1 = remote("198.18.0.3"), r2 = remote("198.18.0.4");
	struct seen s = {0};

	(void)state;
	assert_int_equal(fdb_learn(f, MAC_A, &r1, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_add(f, MAC_B, &r1, T0), 0);
	assert_int_equal(fdb_learn(f, MAC_C, &r2, T0 + 1), FDB_LEARN_NEW);
	assert_int_equal(fdb_age(f, T0 + 1 + AGEING, collect, &s), 2);
	assert_int_equal(s.n, 2);
	assert_memory_equal(s.macs[0], MAC_A, MAC_LEN);
	assert_memory_equal(s.macs[1], MAC_C, MAC_LEN);
	assert_int_equal(s.states[0], FDB_STATE_REACHABLE);
	assert_int_equal(s.states[1], FDB_STATE_REACHABLE);
	assert_int_equal(s.first_ip[0], r1.ip.v4.s_addr);
	assert_int_equal(s.first_ip[1], r2.ip.v4.s_addr);
	assert_int_equal(fdb_count(f), 1);
	assert_non_null(fdb_lookup(f, MAC_B));
	fdb_free(f);
}

static void test_maxaddress_full_refuses_creation_then_del_frees_a_slot(void **state)
{
	struct fdb *f = table(3, AGEING);
	struct fdb_remote r1 = remote("198.18.0.3"), r2 = remote("198.18.0.4");
	struct fdb_remote both[2] = {r1, r2};

	(void)state;
	assert_int_equal(fdb_add(f, MAC_A, &r1, T0), 0);
	assert_int_equal(fdb_learn(f, MAC_B, &r1, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_append(f, MAC_ZERO, &r1, T0), 0);
	assert_int_equal(fdb_count(f), 3);

	/* everything that would create an entry is refused */
	assert_int_equal(fdb_add(f, MAC_C, &r1, T0), -ENOSPC);
	assert_int_equal(fdb_replace(f, MAC_C, &r1, T0), -ENOSPC);
	assert_int_equal(fdb_append(f, MAC_C, &r1, T0), -ENOSPC);
	assert_int_equal(fdb_append(f, MAC_MCAST, &r1, T0), -ENOSPC);
	assert_int_equal(fdb_learn(f, MAC_C, &r1, T0), FDB_LEARN_FULL);
	assert_null(fdb_lookup(f, MAC_C));
	assert_int_equal(fdb_count(f), 3);

	/* what touches existing entries still works, existence wins over fullness */
	assert_int_equal(fdb_add(f, MAC_A, &r1, T0), -EEXIST);
	assert_int_equal(fdb_replace(f, MAC_A, &r2, T0), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &r2, T0), 0);
	expect_entry(f, MAC_ZERO, FDB_STATE_PERMANENT, 2, both);
	assert_int_equal(fdb_learn(f, MAC_B, &r1, T0 + 1), FDB_LEARN_REFRESHED);
	assert_int_equal(fdb_learn(f, MAC_B, &r2, T0 + 2), FDB_LEARN_MOVED);

	/* removing a remote does not free a slot, removing an entry does */
	assert_int_equal(fdb_del(f, MAC_ZERO, &r2), 0);
	assert_int_equal(fdb_add(f, MAC_C, &r1, T0), -ENOSPC);
	assert_int_equal(fdb_del(f, MAC_B, NULL), 0);
	assert_int_equal(fdb_add(f, MAC_C, &r1, T0), 0);
	assert_int_equal(fdb_learn(f, MAC_B, &r1, T0), FDB_LEARN_FULL);
	/* ageing frees slots too */
	assert_int_equal(fdb_del(f, MAC_C, NULL), 0);
	assert_int_equal(fdb_learn(f, MAC_B, &r1, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_age(f, T0 + AGEING, NULL, NULL), 1);
	assert_int_equal(fdb_learn(f, MAC_C, &r1, T0 + AGEING), FDB_LEARN_NEW);
	fdb_free(f);
}

static void test_maxaddress_zero_is_unlimited(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r = remote("198.18.0.3");
	uint8_t mac[MAC_LEN] = {0x02, 0, 0, 0, 0, 0};

	(void)state;
	for (unsigned i = 0; i < 5000; i++) {
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		assert_int_equal(fdb_learn(f, mac, &r, T0), FDB_LEARN_NEW);
	}
	assert_int_equal(fdb_count(f), 5000);
	fdb_free(f);
}

static void test_foreach_visits_in_creation_order_stable_across_updates(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r1 = remote("198.18.0.3"), r2 = remote("198.18.0.4");
	struct seen s = {0};

	(void)state;
	assert_int_equal(fdb_learn(f, MAC_C, &r1, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_add(f, MAC_A, &r1, T0), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &r1, T0), 0);
	assert_int_equal(fdb_add(f, MAC_B, &r1, T0), 0);
	/* updates keep positions */
	assert_int_equal(fdb_learn(f, MAC_C, &r2, T0), FDB_LEARN_MOVED);
	assert_int_equal(fdb_replace(f, MAC_A, &r2, T0), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &r2, T0), 0);
	/* deleting and re-creating moves an entry to the end */
	assert_int_equal(fdb_del(f, MAC_A, NULL), 0);
	assert_int_equal(fdb_add(f, MAC_A, &r1, T0), 0);

	fdb_foreach(f, collect, &s);
	assert_int_equal(s.n, 4);
	assert_memory_equal(s.macs[0], MAC_C, MAC_LEN);
	assert_memory_equal(s.macs[1], MAC_ZERO, MAC_LEN);
	assert_memory_equal(s.macs[2], MAC_B, MAC_LEN);
	assert_memory_equal(s.macs[3], MAC_A, MAC_LEN);
	assert_int_equal(s.states[0], FDB_STATE_REACHABLE);
	assert_int_equal(s.first_ip[0], r2.ip.v4.s_addr);

	/* first and last removed: the list is relinked at both ends */
	assert_int_equal(fdb_del(f, MAC_C, NULL), 0);
	assert_int_equal(fdb_del(f, MAC_A, NULL), 0);
	assert_int_equal(fdb_add(f, MAC_C, &r1, T0), 0);
	memset(&s, 0, sizeof(s));
	fdb_foreach(f, collect, &s);
	assert_int_equal(s.n, 3);
	assert_memory_equal(s.macs[0], MAC_ZERO, MAC_LEN);
	assert_memory_equal(s.macs[1], MAC_B, MAC_LEN);
	assert_memory_equal(s.macs[2], MAC_C, MAC_LEN);
	fdb_free(f);
}

static struct fdb_remote owned(const char *ip, enum fdb_origin o)
{
	struct fdb_remote r = remote(ip);

	r.origin = (uint8_t)o;
	return r;
}

static void test_origin_is_stored_by_add_append_replace(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote ra = owned("198.18.0.3", FDB_ORIGIN_STORE), rb = owned("198.18.0.4", FDB_ORIGIN_LINK);
	struct fdb_remote z1 = owned("239.1.1.1", FDB_ORIGIN_LINK), z2 = owned("198.51.100.2", FDB_ORIGIN_USER);
	const struct fdb_entry *e;

	(void)state;
	assert_int_equal(fdb_add(f, MAC_A, &ra, T0), 0);
	assert_int_equal(fdb_replace(f, MAC_B, &rb, T0), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &z1, T0), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &z2, T0), 0);
	assert_int_equal(fdb_lookup(f, MAC_A)->remotes[0].origin, FDB_ORIGIN_STORE);
	assert_int_equal(fdb_lookup(f, MAC_B)->remotes[0].origin, FDB_ORIGIN_LINK);
	e = fdb_lookup(f, MAC_ZERO);
	assert_int_equal(e->n_remotes, 2);
	assert_int_equal(e->remotes[0].origin, FDB_ORIGIN_LINK);
	assert_int_equal(e->remotes[1].origin, FDB_ORIGIN_USER);
	/* a zeroed remote, as every caller before origins, means the user */
	assert_int_equal(FDB_ORIGIN_USER, 0);
	fdb_free(f);
}

static void test_learn_marks_new_and_moved_remotes_learned_whatever_r_says(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r1 = owned("198.18.0.3", FDB_ORIGIN_STORE), r2 = owned("198.18.0.4", FDB_ORIGIN_USER);

	(void)state;
	assert_int_equal(fdb_learn(f, MAC_A, &r1, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_lookup(f, MAC_A)->remotes[0].origin, FDB_ORIGIN_LEARNED);
	assert_int_equal(fdb_learn(f, MAC_A, &r2, T0 + 1), FDB_LEARN_MOVED);
	assert_int_equal(fdb_lookup(f, MAC_A)->remotes[0].origin, FDB_ORIGIN_LEARNED);
	assert_int_equal(fdb_learn(f, MAC_A, &r2, T0 + 2), FDB_LEARN_REFRESHED);
	assert_int_equal(fdb_lookup(f, MAC_A)->remotes[0].origin, FDB_ORIGIN_LEARNED);
	/* learning never takes over what another owner pinned */
	assert_int_equal(fdb_add(f, MAC_B, &r1, T0), 0);
	assert_int_equal(fdb_learn(f, MAC_B, &r1, T0 + 3), FDB_LEARN_PINNED);
	assert_int_equal(fdb_learn(f, MAC_B, &r2, T0 + 3), FDB_LEARN_CONFLICT);
	assert_int_equal(fdb_lookup(f, MAC_B)->remotes[0].origin, FDB_ORIGIN_STORE);
	fdb_free(f);
}

static void test_replace_hands_the_entry_to_the_replacing_owner(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r = remote("198.18.0.3"), rs = owned("198.18.0.3", FDB_ORIGIN_STORE);

	(void)state;
	assert_int_equal(fdb_learn(f, MAC_A, &r, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_replace(f, MAC_A, &r, T0), 0);
	assert_int_equal(fdb_lookup(f, MAC_A)->remotes[0].origin, FDB_ORIGIN_USER);
	/* the same remote, replaced by the store: now the store's */
	assert_int_equal(fdb_replace(f, MAC_A, &rs, T0), 0);
	assert_int_equal(fdb_lookup(f, MAC_A)->remotes[0].origin, FDB_ORIGIN_STORE);
	assert_int_equal(fdb_del_owned(f, MAC_A, NULL, FDB_ORIGIN_USER), -EPERM);
	assert_int_equal(fdb_del_owned(f, MAC_A, NULL, FDB_ORIGIN_STORE), 0);
	assert_null(fdb_lookup(f, MAC_A));
	fdb_free(f);
}

/* Origin says who owns a remote, not which remote it is. */
static void test_origin_is_not_part_of_remote_identity(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote link = owned("239.1.1.1", FDB_ORIGIN_LINK), user = owned("239.1.1.1", FDB_ORIGIN_USER);

	(void)state;
	assert_int_equal(fdb_append(f, MAC_ZERO, &link, T0), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &user, T0), -EEXIST);
	assert_int_equal(fdb_add(f, MAC_A, &link, T0), 0);
	/* plain del ignores owners, as before origins */
	assert_int_equal(fdb_del(f, MAC_A, &user), 0);
	assert_int_equal(fdb_del(f, MAC_ZERO, &user), 0);
	assert_int_equal(fdb_count(f), 0);
	fdb_free(f);
}

static void test_del_owned_removes_only_what_the_owner_installed(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote l1 = owned("198.51.100.1", FDB_ORIGIN_LINK), s2 = owned("198.51.100.2", FDB_ORIGIN_STORE);
	struct fdb_remote s2_as_user = owned("198.51.100.2", FDB_ORIGIN_USER), l = remote("198.18.0.3");
	struct fdb_remote both[2] = {l1, s2};

	(void)state;
	assert_int_equal(fdb_append(f, MAC_ZERO, &l1, T0), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &s2, T0), 0);
	assert_int_equal(fdb_learn(f, MAC_A, &l, T0), FDB_LEARN_NEW);

	/* a remote of another owner: -EPERM, nothing removed */
	assert_int_equal(fdb_del_owned(f, MAC_ZERO, &l1, FDB_ORIGIN_STORE), -EPERM);
	assert_int_equal(fdb_del_owned(f, MAC_ZERO, &s2, FDB_ORIGIN_USER), -EPERM);
	/* the whole entry: refused while any remote is someone else's */
	assert_int_equal(fdb_del_owned(f, MAC_ZERO, NULL, FDB_ORIGIN_LINK), -EPERM);
	assert_int_equal(fdb_del_owned(f, MAC_ZERO, NULL, FDB_ORIGIN_STORE), -EPERM);
	expect_entry(f, MAC_ZERO, FDB_STATE_PERMANENT, 2, both);
	/* the user cannot delete a learned entry as its own; learning can */
	assert_int_equal(fdb_del_owned(f, MAC_A, NULL, FDB_ORIGIN_USER), -EPERM);
	assert_int_equal(fdb_del_owned(f, MAC_A, &l, FDB_ORIGIN_USER), -EPERM);
	assert_non_null(fdb_lookup(f, MAC_A));
	assert_int_equal(fdb_del_owned(f, MAC_A, &l, FDB_ORIGIN_LEARNED), 0);
	assert_null(fdb_lookup(f, MAC_A));

	/* missing entry or remote: -ENOENT before any ownership question */
	assert_int_equal(fdb_del_owned(f, MAC_B, NULL, FDB_ORIGIN_USER), -ENOENT);
	assert_int_equal(fdb_del_owned(f, MAC_ZERO, &l, FDB_ORIGIN_USER), -ENOENT);

	/* the owner's own remote goes (matched regardless of the origin in r) */
	assert_int_equal(fdb_del_owned(f, MAC_ZERO, &s2_as_user, FDB_ORIGIN_STORE), 0);
	expect_entry(f, MAC_ZERO, FDB_STATE_PERMANENT, 1, &l1);
	/* the whole entry once every remote is the owner's */
	assert_int_equal(fdb_del_owned(f, MAC_ZERO, NULL, FDB_ORIGIN_LINK), 0);
	assert_null(fdb_lookup(f, MAC_ZERO));
	assert_int_equal(fdb_count(f), 0);

	/* and the last remote takes the entry with it */
	assert_int_equal(fdb_add(f, MAC_B, &s2, T0), 0);
	assert_int_equal(fdb_del_owned(f, MAC_B, &s2, FDB_ORIGIN_STORE), 0);
	assert_int_equal(fdb_count(f), 0);
	fdb_free(f);
}

struct origin_seen {
	unsigned n;
	uint8_t macs[16][MAC_LEN];
	uint32_t ips[16];
	enum fdb_state states[16];
	uint32_t keep_ip; /* the filter keeps remotes with this address */
};

static bool origin_filter(const uint8_t mac[MAC_LEN], const struct fdb_remote *r, enum fdb_state st, void *arg)
{
	struct origin_seen *s = arg;

	assert_true(s->n < 16);
	memcpy(s->macs[s->n], mac, MAC_LEN);
	s->ips[s->n] = r->ip.v4.s_addr;
	s->states[s->n] = st;
	s->n++;
	return r->ip.v4.s_addr != s->keep_ip;
}

static void test_del_origin_removes_that_origin_only_with_filter_in_order(void **state)
{
	struct fdb *f = table(3, AGEING);
	struct fdb_remote s1 = owned("198.51.100.1", FDB_ORIGIN_STORE), u2 = owned("198.51.100.2", FDB_ORIGIN_USER);
	struct fdb_remote s3 = owned("198.51.100.3", FDB_ORIGIN_STORE), s4 = owned("198.51.100.4", FDB_ORIGIN_STORE);
	struct fdb_remote l5 = remote("198.51.100.5");
	struct origin_seen s = {.keep_ip = s4.ip.v4.s_addr};
	struct seen order = {0};

	(void)state;
	/* creation order: ZERO (store, user, store), B (store, kept), A (learned) */
	assert_int_equal(fdb_append(f, MAC_ZERO, &s1, T0), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &u2, T0), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &s3, T0), 0);
	assert_int_equal(fdb_add(f, MAC_B, &s4, T0), 0);
	assert_int_equal(fdb_learn(f, MAC_A, &l5, T0), FDB_LEARN_NEW);

	assert_int_equal(fdb_del_origin(f, FDB_ORIGIN_STORE, origin_filter, &s), 2);
	/* the filter saw every store remote, in order, and nothing else */
	assert_int_equal(s.n, 3);
	assert_memory_equal(s.macs[0], MAC_ZERO, MAC_LEN);
	assert_memory_equal(s.macs[1], MAC_ZERO, MAC_LEN);
	assert_memory_equal(s.macs[2], MAC_B, MAC_LEN);
	assert_int_equal(s.ips[0], s1.ip.v4.s_addr);
	assert_int_equal(s.ips[1], s3.ip.v4.s_addr);
	assert_int_equal(s.ips[2], s4.ip.v4.s_addr);
	assert_int_equal(s.states[2], FDB_STATE_PERMANENT);
	expect_entry(f, MAC_ZERO, FDB_STATE_PERMANENT, 1, &u2);
	expect_entry(f, MAC_B, FDB_STATE_PERMANENT, 1, &s4);
	expect_entry(f, MAC_A, FDB_STATE_REACHABLE, 1, &l5);
	assert_int_equal(fdb_count(f), 3);

	/* no filter: every remote of the origin; an emptied entry goes and frees its slot */
	assert_int_equal(fdb_del_origin(f, FDB_ORIGIN_STORE, NULL, NULL), 1);
	assert_null(fdb_lookup(f, MAC_B));
	assert_int_equal(fdb_count(f), 2);
	assert_int_equal(fdb_add(f, MAC_C, &s1, T0), 0);
	assert_int_equal(fdb_del_origin(f, FDB_ORIGIN_LINK, NULL, NULL), 0);
	assert_int_equal(fdb_del_origin(f, FDB_ORIGIN_LEARNED, NULL, NULL), 1);
	assert_null(fdb_lookup(f, MAC_A));

	/* survivors keep their creation order */
	fdb_foreach(f, collect, &order);
	assert_int_equal(order.n, 2);
	assert_memory_equal(order.macs[0], MAC_ZERO, MAC_LEN);
	assert_memory_equal(order.macs[1], MAC_C, MAC_LEN);
	assert_int_equal(fdb_del_origin(f, FDB_ORIGIN_USER, NULL, NULL), 1);
	assert_int_equal(fdb_del_origin(f, FDB_ORIGIN_STORE, NULL, NULL), 1);
	assert_int_equal(fdb_count(f), 0);
	fdb_free(f);
}

static void test_del_origin_of_many_entries(void **state)
{
	struct fdb *f = table(0, AGEING);
	uint8_t mac[MAC_LEN] = {0x02, 0, 0, 0, 0, 0};

	(void)state;
	for (unsigned i = 0; i < 3000; i++) {
		struct fdb_remote r = owned("198.18.0.3", i % 3 ? FDB_ORIGIN_STORE : FDB_ORIGIN_USER);

		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		assert_int_equal(fdb_add(f, mac, &r, T0), 0);
	}
	assert_int_equal(fdb_del_origin(f, FDB_ORIGIN_STORE, NULL, NULL), 2000);
	assert_int_equal(fdb_count(f), 1000);
	for (unsigned i = 0; i < 3000; i++) {
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		if (i % 3)
			assert_null(fdb_lookup(f, mac));
		else
			assert_int_equal(fdb_lookup(f, mac)->remotes[0].origin, FDB_ORIGIN_USER);
	}
	fdb_free(f);
}

#define BIG 100000u

static void big_mac(unsigned i, uint8_t mac[MAC_LEN])
{
	/* Spread over bytes the way real OUIs and serials differ. */
	mac[0] = 0x02;
	mac[1] = (uint8_t)(i * 7);
	mac[2] = (uint8_t)(i >> 16);
	mac[3] = (uint8_t)(i >> 8);
	mac[4] = (uint8_t)i;
	mac[5] = (uint8_t)(i % 3);
}

static struct fdb_remote big_remote(unsigned i)
{
	struct fdb_remote r = remote("198.18.0.0");

	r.ip.v4.s_addr = htonl(0xc6120000u + (i & 0x1ffff));
	r.vni = i & 0xffffff;
	return r;
}

struct order_check {
	unsigned next;
	bool ok;
};

static void check_order(const struct fdb_entry *e, void *arg)
{
	struct order_check *o = arg;
	uint8_t mac[MAC_LEN];

	/* only odd i survive in the test below */
	big_mac(o->next, mac);
	if (memcmp(mac, e->mac, MAC_LEN) != 0)
		o->ok = false;
	o->next += 2;
}

static void test_100k_entries_insert_lookup_delete(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct order_check o = {.next = 1, .ok = true};
	uint8_t mac[MAC_LEN];

	(void)state;
	for (unsigned i = 0; i < BIG; i++) {
		struct fdb_remote r = big_remote(i);

		big_mac(i, mac);
		if (i & 1)
			assert_int_equal(fdb_add(f, mac, &r, T0), 0);
		else
			assert_int_equal(fdb_learn(f, mac, &r, T0), FDB_LEARN_NEW);
	}
	assert_int_equal(fdb_count(f), BIG);
	for (unsigned i = 0; i < BIG; i++) {
		struct fdb_remote r = big_remote(i);

		big_mac(i, mac);
		expect_entry(f, mac, (i & 1) ? FDB_STATE_PERMANENT : FDB_STATE_REACHABLE, 1, &r);
	}
	/* an absent MAC is absent */
	big_mac(BIG, mac);
	assert_null(fdb_lookup(f, mac));

	/* the learned half ages out, the rest stays */
	assert_int_equal(fdb_age(f, T0 + AGEING, NULL, NULL), BIG / 2);
	assert_int_equal(fdb_count(f), BIG / 2);
	fdb_foreach(f, check_order, &o);
	assert_true(o.ok);
	assert_int_equal(o.next, BIG + 1);

	for (unsigned i = 0; i < BIG; i++) {
		big_mac(i, mac);
		if (i & 1)
			assert_non_null(fdb_lookup(f, mac));
		else
			assert_null(fdb_lookup(f, mac));
		assert_int_equal(fdb_del(f, mac, NULL), (i & 1) ? 0 : -ENOENT);
	}
	assert_int_equal(fdb_count(f), 0);
	fdb_foreach(f, check_order, &o);
	assert_int_equal(o.next, BIG + 1);
	/* and the emptied table is still usable */
	assert_int_equal(fdb_add(f, MAC_A, &(struct fdb_remote){.ip.family = AF_INET}, T0), 0);
	assert_int_equal(fdb_count(f), 1);
	fdb_free(f);
}

/* ---- the table against a reference model ----
 *
 * A deliberately naive model of the documented semantics (arrays, linear
 * search) and random operations on both; every return value, the count,
 * every lookup and the creation order must agree. Small MAC universes make
 * collisions, long probe runs, tombstones and their reuse the common case;
 * a large one drives segment growth, splits and shrinks. */

static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint64_t rnd(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The filter fdb_del_origin gets in the random test: a remote goes when
 * its VNI is odd. */
static bool odd_vni(const uint8_t mac[MAC_LEN], const struct fdb_remote *r, enum fdb_state st, void *arg)
{
	(void)mac;
	(void)st;
	(void)arg;
	return r->vni & 1;
}

static void expect_same_entry(const struct model *m, unsigned id, const struct fdb_entry *e)
{
	const struct model_entry *me = &m->e[id];

	assert_non_null(e);
	assert_memory_equal(e->mac, m->mac[id], MAC_LEN);
	assert_int_equal(e->state, me->state);
	assert_int_equal(e->updated, me->updated);
	assert_int_equal(e->n_remotes, me->n);
	for (unsigned i = 0; i < me->n; i++) {
		assert_true(same_remote(&e->remotes[i], &me->r[i]));
		assert_int_equal(e->remotes[i].origin, me->r[i].origin);
	}
}

struct order_walk {
	const struct model *m;
	const unsigned *ids;
	unsigned n, at;
};

static void walk_cb(const struct fdb_entry *e, void *arg)
{
	struct order_walk *w = arg;

	assert_true(w->at < w->n);
	expect_same_entry(w->m, w->ids[w->at], e);
	w->at++;
}

/* Everything the table says equals the model: lookups of every MAC of the
 * universe (both lookup calls) and the full creation-order walk. */
static void expect_same_table(const struct fdb *f, const struct model *m, unsigned *ids)
{
	struct order_walk w = {m, ids, 0, 0};

	assert_int_equal(fdb_count(f), m->count);
	for (unsigned id = 0; id < m->universe; id++) {
		struct fdb_copy c;

		if (!m->e[id].present) {
			assert_null(fdb_lookup(f, m->mac[id]));
			assert_false(fdb_read(f, m->mac[id], &c));
			continue;
		}
		expect_same_entry(m, id, fdb_lookup(f, m->mac[id]));
		assert_true(fdb_read(f, m->mac[id], &c));
		expect_same_entry(m, id, &c.e);
	}
	w.n = m_order(m, ids);
	fdb_foreach(f, walk_cb, &w);
	assert_int_equal(w.at, w.n);
}

struct aged_list {
	const struct model *m;
	const unsigned *ids;
	unsigned n, at;
};

static void aged_cb(const struct fdb_entry *e, void *arg)
{
	struct aged_list *a = arg;

	assert_true(a->at < a->n);
	assert_memory_equal(e->mac, a->m->mac[a->ids[a->at]], MAC_LEN);
	assert_int_equal(e->state, FDB_STATE_REACHABLE);
	a->at++;
}

static struct fdb_remote random_remote(void)
{
	struct fdb_remote r;
	uint64_t x = rnd();

	memset(&r, 0, sizeof(r));
	r.ip.family = AF_INET;
	r.ip.v4.s_addr = htonl(0xc6120000u + (uint32_t)(x % 5)); /* 198.18.0.0-4 */
	r.port = 4789;
	r.vni = 42 + (uint32_t)((x >> 8) % 2);
	r.origin = (uint8_t)((x >> 16) % FDB_ORIGIN_MAX);
	return r;
}

/* ops random operations on f and on a model of it; check_every 0: compare
 * whole tables only at the end. */
static void run_model(struct fdb *f, struct model *m, unsigned ops, unsigned check_every)
{
	unsigned *ids = calloc(m->universe, sizeof(*ids));
	uint64_t now = T0;

	assert_non_null(ids);
	for (unsigned op = 0; op < ops; op++) {
		unsigned id = (unsigned)(rnd() % m->universe);
		struct fdb_remote r = random_remote();
		const uint8_t *mac = m->mac[id];
		unsigned what = (unsigned)(rnd() % 100);

		now += rnd() % 4000;
		if (what < 15) {
			assert_int_equal(fdb_add(f, mac, &r, now), m_add(m, id, &r, now));
		} else if (what < 25) {
			assert_int_equal(fdb_replace(f, mac, &r, now), m_replace(m, id, &r, now));
		} else if (what < 35) {
			int want = m_append(m, id, &r, now);

			assert_int_equal(fdb_append(f, mac, &r, now), want);
		} else if (what < 47) {
			assert_int_equal(fdb_del(f, mac, NULL), m_del(m, id, NULL, -1));
		} else if (what < 55) {
			assert_int_equal(fdb_del(f, mac, &r), m_del(m, id, &r, -1));
		} else if (what < 60) {
			assert_int_equal(fdb_del_owned(f, mac, &r, r.origin ^ 1), m_del(m, id, &r, r.origin ^ 1));
		} else if (what < 63) {
			assert_int_equal(fdb_del_owned(f, mac, NULL, r.origin), m_del(m, id, NULL, r.origin));
		} else if (what < 97) {
			assert_int_equal(fdb_learn(f, mac, &r, now), m_learn(m, id, &r, now));
		} else if (what < 99) {
			struct aged_list a = {m, ids, 0, 0};

			a.n = m_age(m, now, ids);
			assert_int_equal(fdb_age(f, now, aged_cb, &a), a.n);
			assert_int_equal(a.at, a.n);
		} else {
			bool filtered = rnd() & 1;
			uint8_t o = (uint8_t)(rnd() % FDB_ORIGIN_MAX);

			assert_int_equal(fdb_del_origin(f, o, filtered ? odd_vni : NULL, NULL),
					 m_del_origin(m, o, filtered));
		}
		assert_int_equal(fdb_count(f), m->count);
		if (check_every && op % check_every == 0)
			expect_same_table(f, m, ids);
	}
	expect_same_table(f, m, ids);
	free(ids);
}

static struct fdb *seeded(unsigned max_entries, uint64_t ageing, uint64_t seed)
{
	struct fdb_config c = {.max_entries = max_entries, .ageing_ms = ageing, .fixed_seed = true, .seed = seed};
	struct fdb *f = fdb_new(&c);

	assert_non_null(f);
	return f;
}

static void test_model_small_universe_dense_collisions(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 8; seed++) {
		struct model m;
		struct fdb *f = seeded(0, 20000, seed * 0x9e3779b97f4a7c15ULL);

		model_init(&m, 40, 0, 20000, rnd);
		run_model(f, &m, 20000, 7);
		model_free(&m);
		fdb_free(f);
	}
}

static void test_model_with_maxaddress(void **state)
{
	struct model m;
	struct fdb *f = seeded(25, 50000, 77);

	(void)state;
	model_init(&m, 120, 25, 50000, rnd);
	run_model(f, &m, 40000, 13);
	model_free(&m);
	fdb_free(f);
}

/* Enough MACs to grow past one segment, split, shrink back and reuse. */
static void test_model_large_growth_split_and_shrink(void **state)
{
	unsigned *ids;
	struct fdb_stats st;
	struct model m;
	struct fdb *f = seeded(0, AGEING, 12345);

	(void)state;
	model_init(&m, 60000, 0, AGEING, rnd);
	ids = calloc(m.universe, sizeof(*ids));
	assert_non_null(ids);
	/* fill: learned and permanent, interleaved */
	for (unsigned id = 3; id < m.universe; id++) {
		struct fdb_remote r = random_remote();

		if (id & 1)
			assert_int_equal(fdb_add(f, m.mac[id], &r, T0), m_add(&m, id, &r, T0));
		else
			assert_int_equal(fdb_learn(f, m.mac[id], &r, T0 + id), m_learn(&m, id, &r, T0 + id));
	}
	expect_same_table(f, &m, ids);
	fdb_stats(f, &st);
	assert_true(st.segments > 2); /* 60000 entries cannot fit one 2 MiB segment */
	assert_true(st.dir_depth >= 1);
	/* churn */
	run_model(f, &m, 30000, 0);
	/* most learned entries age out; then delete nearly everything else */
	assert_int_equal(fdb_age(f, T0 + 10ull * AGEING, NULL, NULL), m_age(&m, T0 + 10ull * AGEING, ids));
	for (unsigned id = 0; id < m.universe; id++)
		if (id % 50)
			assert_int_equal(fdb_del(f, m.mac[id], NULL), m_del(&m, id, NULL, -1));
	expect_same_table(f, &m, ids);
	fdb_stats(f, &st);
	/* emptied segments shrank: far less than one slot per MAC ever stored */
	assert_true(st.slots < m.universe / 4);
	/* and the table refills */
	run_model(f, &m, 30000, 0);
	free(ids);
	model_free(&m);
	fdb_free(f);
}

/* MACs whose hash under f's seed ends in 14 one bits: in any segment of up
 * to 16384 slots they share one home slot, the segment's last. */
static unsigned aimed_macs(const struct fdb *f, uint8_t (*macs)[MAC_LEN], unsigned n)
{
	unsigned got = 0;

	while (got < n) {
		uint64_t x = rnd();

		for (int b = 0; b < MAC_LEN; b++)
			macs[got][b] = (uint8_t)(x >> (8 * b));
		macs[got][0] = (uint8_t)((macs[got][0] & 0xfc) | 0x02);
		if ((fdb_hash(f, macs[got]) & 0x3fff) == 0x3fff)
			got++;
	}
	return got;
}

/* A run of 300 entries on one home slot, wrapping around the end of the
 * segment and longer than the hint byte can say: every lookup, miss and
 * delete is still right. Under another seed the same MACs spread out:
 * collisions cannot be aimed without the table's seed. */
static void test_aimed_collisions_are_handled_and_seed_specific(void **state)
{
	enum { N = 300 };
	uint8_t(*macs)[MAC_LEN] = calloc(N, MAC_LEN);
	struct fdb *a = seeded(0, AGEING, 0x1234), *b = seeded(0, AGEING, 0x5678);
	struct fdb_stats st;

	(void)state;
	assert_non_null(macs);
	aimed_macs(a, macs, N);
	for (unsigned i = 0; i < N; i++) {
		struct fdb_remote r = big_remote(i);

		if (i & 1)
			assert_int_equal(fdb_add(a, macs[i], &r, T0), 0);
		else
			assert_int_equal(fdb_learn(a, macs[i], &r, T0), FDB_LEARN_NEW);
		assert_int_equal(fdb_add(b, macs[i], &r, T0), 0);
	}
	fdb_stats(a, &st);
	assert_int_equal(st.entries, N);
	assert_true(st.max_probe >= N);
	fdb_stats(b, &st);
	assert_true(st.max_probe < 32);
	for (unsigned i = 0; i < N; i++) {
		struct fdb_remote r = big_remote(i);

		expect_entry(a, macs[i], (i & 1) ? FDB_STATE_PERMANENT : FDB_STATE_REACHABLE, 1, &r);
	}
	/* delete every third from the middle of the run; the rest stay found */
	for (unsigned i = 0; i < N; i += 3)
		assert_int_equal(fdb_del(a, macs[i], NULL), 0);
	for (unsigned i = 0; i < N; i++) {
		if (i % 3 == 0)
			assert_null(fdb_lookup(a, macs[i]));
		else
			assert_non_null(fdb_lookup(a, macs[i]));
	}
	/* re-adding fills the tombstones and is found again */
	for (unsigned i = 0; i < N; i += 3) {
		struct fdb_remote r = big_remote(i + 1000);

		assert_int_equal(fdb_add(a, macs[i], &r, T0), 0);
		expect_entry(a, macs[i], FDB_STATE_PERMANENT, 1, &r);
	}
	assert_int_equal(fdb_count(a), N);
	fdb_free(a);
	fdb_free(b);
	free(macs);
}

static void test_fixed_seed_is_reproducible_and_random_seeds_differ(void **state)
{
	struct fdb *a = seeded(0, 0, 42), *b = seeded(0, 0, 42), *c = fdb_new(NULL), *d = fdb_new(NULL);

	(void)state;
	assert_int_equal(fdb_hash(a, MAC_A), fdb_hash(b, MAC_A));
	assert_int_not_equal(fdb_hash(a, MAC_A), fdb_hash(a, MAC_B));
	/* two tables made without a seed get different ones (a 2^-64 chance to fail) */
	assert_int_not_equal(fdb_hash(c, MAC_A), fdb_hash(d, MAC_A));
	fdb_free(a);
	fdb_free(b);
	fdb_free(c);
	fdb_free(d);
}

/* Add/delete churn with a steady population: tombstones are reclaimed and
 * the table does not grow with the number of MACs it ever held. */
static void test_churn_keeps_tombstones_and_size_bounded(void **state)
{
	enum { LIVE = 1000, ROUNDS = 200000 };
	uint8_t(*ring)[MAC_LEN] = calloc(LIVE, MAC_LEN);
	struct fdb *f = seeded(0, AGEING, 99);
	struct fdb_remote r = remote("198.18.0.3");
	struct fdb_stats st;

	(void)state;
	assert_non_null(ring);
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint8_t *mac = ring[i % LIVE];

		if (i >= LIVE)
			assert_int_equal(fdb_del(f, mac, NULL), 0);
		big_mac(i, mac);
		mac[5] = (uint8_t)(i >> 24);
		assert_int_equal(fdb_add(f, mac, &r, T0), 0);
	}
	assert_int_equal(fdb_count(f), LIVE);
	fdb_stats(f, &st);
	assert_true(st.slots <= 4096);
	assert_true(st.tombstones * 4 <= st.slots * 3);
	for (unsigned i = 0; i < LIVE; i++)
		assert_non_null(fdb_lookup(f, ring[i]));
	fdb_free(f);
	free(ring);
}

/* A flood list replaced while a reader holds it stays intact until that
 * reader quiesces (ASan would report the read otherwise); an offline reader
 * is not waited for; a resize waits the same way. */
static void test_reader_keeps_replaced_objects_until_it_quiesces(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote rs[3] = {remote("198.51.100.1"), remote("198.51.100.2"), remote("2001:db8::3")};
	struct fdb_reader *rd;
	struct fdb_copy c;
	uint8_t mac[MAC_LEN] = {0x02, 0x01, 0, 0, 0, 0};

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(fdb_append(f, MAC_ZERO, &rs[i], T0), 0);
	/* without readers, nothing ever waits */
	assert_int_equal(fdb_reclaim(f), 0);
	rd = fdb_reader_new(f);
	assert_non_null(rd);
	assert_true(fdb_read(f, MAC_ZERO, &c));
	assert_int_equal(c.e.n_remotes, 3);
	assert_int_equal(fdb_del(f, MAC_ZERO, &rs[1]), 0);
	assert_int_equal(fdb_reclaim(f), 1);
	/* the old array is still the reader's */
	for (int i = 0; i < 3; i++)
		assert_true(same_remote(&c.e.remotes[i], &rs[i]));
	fdb_reader_quiesce(rd);
	assert_int_equal(fdb_reclaim(f), 0);

	/* offline: not waited for */
	fdb_reader_offline(rd);
	assert_int_equal(fdb_append(f, MAC_ZERO, &rs[1], T0), 0);
	assert_int_equal(fdb_reclaim(f), 0);
	/* online again: waited for */
	fdb_reader_online(rd);
	assert_int_equal(fdb_del(f, MAC_ZERO, NULL), 0);
	assert_int_equal(fdb_reclaim(f), 1);
	fdb_reader_quiesce(rd);
	assert_int_equal(fdb_reclaim(f), 0);

	/* growth replaces segments (and the directory): they wait too */
	for (unsigned i = 0; i < 40000; i++) {
		mac[3] = (uint8_t)(i >> 16);
		mac[4] = (uint8_t)(i >> 8);
		mac[5] = (uint8_t)i;
		assert_int_equal(fdb_add(f, mac, &rs[0], T0), 0);
	}
	assert_true(fdb_reclaim(f) > 10);
	/* a second reader that joined later does not hold older objects back */
	struct fdb_reader *late = fdb_reader_new(f);

	assert_non_null(late);
	fdb_reader_quiesce(rd);
	assert_int_equal(fdb_reclaim(f), 0);
	fdb_reader_free(late);
	/* a reader freed is not waited for */
	assert_int_equal(fdb_del(f, mac, NULL), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &rs[0], T0), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &rs[1], T0), 0);
	assert_int_equal(fdb_del(f, MAC_ZERO, &rs[0]), 0);
	fdb_reader_free(rd);
	assert_int_equal(fdb_reclaim(f), 0);
	fdb_free(f);
}

/* fdb_free also frees what still waits, and readers not freed before it. */
static void test_free_with_waiting_objects_and_reader_left(void **state)
{
	struct fdb *f = table(0, AGEING);
	struct fdb_remote r1 = remote("198.51.100.1"), r2 = remote("198.51.100.2");

	(void)state;
	assert_non_null(fdb_reader_new(f));
	assert_int_equal(fdb_append(f, MAC_ZERO, &r1, T0), 0);
	assert_int_equal(fdb_append(f, MAC_ZERO, &r2, T0), 0);
	assert_int_equal(fdb_del(f, MAC_ZERO, NULL), 0);
	assert_int_equal(fdb_reclaim(f), 1);
	fdb_free(f); /* LeakSanitizer checks the rest */
}

static void test_learn_peek_classifies_and_only_refreshes(void **state)
{
	struct fdb *f = table(2, AGEING);
	struct fdb_remote r1 = remote("198.18.0.3"), r2 = remote("198.18.0.4"), unspec = r1;
	const struct fdb_entry *e;

	(void)state;
	unspec.ip.family = AF_UNSPEC;
	assert_int_equal(fdb_learn_peek(f, MAC_A, NULL, T0), FDB_LEARN_INVALID);
	assert_int_equal(fdb_learn_peek(f, MAC_A, &unspec, T0), FDB_LEARN_INVALID);
	assert_int_equal(fdb_learn_peek(f, MAC_ZERO, &r1, T0), FDB_LEARN_INVALID);
	assert_int_equal(fdb_learn_peek(f, MAC_MCAST, &r1, T0), FDB_LEARN_INVALID);
	/* absent: the writer's job, nothing created */
	assert_int_equal(fdb_learn_peek(f, MAC_A, &r1, T0), FDB_LEARN_NEW);
	assert_int_equal(fdb_count(f), 0);

	assert_int_equal(fdb_learn(f, MAC_A, &r1, T0), FDB_LEARN_NEW);
	/* same IP: refreshed in place */
	assert_int_equal(fdb_learn_peek(f, MAC_A, &r1, T0 + 50), FDB_LEARN_REFRESHED);
	e = expect_entry(f, MAC_A, FDB_STATE_REACHABLE, 1, &r1);
	assert_int_equal(e->updated, T0 + 50);
	assert_int_equal(e->remotes[0].origin, FDB_ORIGIN_LEARNED);
	/* same millisecond: nothing to write */
	assert_int_equal(fdb_learn_peek(f, MAC_A, &r1, T0 + 50), FDB_LEARN_REFRESHED);
	/* other IP: a move, left to the writer */
	assert_int_equal(fdb_learn_peek(f, MAC_A, &r2, T0 + 60), FDB_LEARN_MOVED);
	e = expect_entry(f, MAC_A, FDB_STATE_REACHABLE, 1, &r1);
	assert_int_equal(e->updated, T0 + 50);
	/* the refresh counts for ageing */
	assert_int_equal(fdb_age(f, T0 + AGEING, NULL, NULL), 0);
	assert_int_equal(fdb_age(f, T0 + 50 + AGEING, NULL, NULL), 1);

	/* permanent: pinned or conflict, never refreshed */
	assert_int_equal(fdb_add(f, MAC_B, &r1, T0), 0);
	assert_int_equal(fdb_learn_peek(f, MAC_B, &r1, T0 + 70), FDB_LEARN_PINNED);
	assert_int_equal(fdb_learn_peek(f, MAC_B, &r2, T0 + 70), FDB_LEARN_CONFLICT);
	assert_int_equal(fdb_lookup(f, MAC_B)->updated, T0);
	/* full table: FULL for an unknown MAC */
	assert_int_equal(fdb_add(f, MAC_A, &r1, T0), 0);
	assert_int_equal(fdb_learn_peek(f, MAC_C, &r1, T0), FDB_LEARN_FULL);
	fdb_free(f);
}

static void test_new_without_config_is_unlimited_and_never_ages(void **state)
{
	struct fdb *f = fdb_new(NULL);
	struct fdb_remote r = remote("198.18.0.3");

	(void)state;
	assert_non_null(f);
	assert_int_equal(fdb_learn(f, MAC_A, &r, 0), FDB_LEARN_NEW);
	assert_int_equal(fdb_age(f, UINT64_MAX, NULL, NULL), 0);
	fdb_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_table_is_empty),
	    cmocka_unit_test(test_new_without_config_is_unlimited_and_never_ages),
	    cmocka_unit_test(test_add_creates_permanent_entry_with_one_remote),
	    cmocka_unit_test(test_add_accepts_zero_and_multicast_macs),
	    cmocka_unit_test(test_add_on_existing_permanent_entry_is_eexist_and_changes_nothing),
	    cmocka_unit_test(test_add_on_learned_entry_is_eexist_and_keeps_it_learned),
	    cmocka_unit_test(test_add_replace_append_refuse_missing_or_unspec_remote),
	    cmocka_unit_test(test_replace_creates_missing_entry_permanent),
	    cmocka_unit_test(test_replace_rewrites_first_remote_of_permanent_entry),
	    cmocka_unit_test(test_replace_makes_learned_entry_permanent_and_it_no_longer_ages),
	    cmocka_unit_test(test_replace_refuses_zero_and_multicast_macs_present_or_not),
	    cmocka_unit_test(test_append_creates_missing_flood_entry_permanent),
	    cmocka_unit_test(test_append_builds_three_remote_flood_list_then_del_middle_keeps_order),
	    cmocka_unit_test(test_append_grows_remote_array_past_inline_storage),
	    cmocka_unit_test(test_append_duplicate_remote_is_eexist),
	    cmocka_unit_test(test_remote_identity_is_ip_port_vni_ifindex),
	    cmocka_unit_test(test_remote_match_ignores_unused_ipv4_union_bytes_but_not_family),
	    cmocka_unit_test(test_append_creates_missing_unicast_entry),
	    cmocka_unit_test(test_append_to_existing_unicast_entry_is_eopnotsupp),
	    cmocka_unit_test(test_del_without_remote_removes_whole_entry),
	    cmocka_unit_test(test_del_with_unknown_remote_is_enoent_and_keeps_entry),
	    cmocka_unit_test(test_learn_unknown_mac_creates_reachable_entry),
	    cmocka_unit_test(test_learn_same_ip_refreshes_updated),
	    cmocka_unit_test(test_learn_other_ip_moves_learned_entry),
	    cmocka_unit_test(test_learn_matching_permanent_entry_is_pinned_and_unchanged),
	    cmocka_unit_test(test_learn_contradicting_permanent_entry_is_conflict_and_unchanged),
	    cmocka_unit_test(test_learn_refuses_zero_and_multicast_source_macs),
	    cmocka_unit_test(test_age_removes_learned_entry_at_exactly_ageing_ms),
	    cmocka_unit_test(test_age_counts_from_last_refresh_and_last_move),
	    cmocka_unit_test(test_age_never_removes_permanent_entries),
	    cmocka_unit_test(test_age_zero_ageing_never_expires_learned_entries),
	    cmocka_unit_test(test_age_ignores_clock_earlier_than_update),
	    cmocka_unit_test(test_age_callback_sees_each_removed_entry_only),
	    cmocka_unit_test(test_maxaddress_full_refuses_creation_then_del_frees_a_slot),
	    cmocka_unit_test(test_maxaddress_zero_is_unlimited),
	    cmocka_unit_test(test_foreach_visits_in_creation_order_stable_across_updates),
	    cmocka_unit_test(test_100k_entries_insert_lookup_delete),
	    cmocka_unit_test(test_origin_is_stored_by_add_append_replace),
	    cmocka_unit_test(test_learn_marks_new_and_moved_remotes_learned_whatever_r_says),
	    cmocka_unit_test(test_replace_hands_the_entry_to_the_replacing_owner),
	    cmocka_unit_test(test_origin_is_not_part_of_remote_identity),
	    cmocka_unit_test(test_del_owned_removes_only_what_the_owner_installed),
	    cmocka_unit_test(test_del_origin_removes_that_origin_only_with_filter_in_order),
	    cmocka_unit_test(test_del_origin_of_many_entries),
	    cmocka_unit_test(test_model_small_universe_dense_collisions),
	    cmocka_unit_test(test_model_with_maxaddress),
	    cmocka_unit_test(test_model_large_growth_split_and_shrink),
	    cmocka_unit_test(test_aimed_collisions_are_handled_and_seed_specific),
	    cmocka_unit_test(test_fixed_seed_is_reproducible_and_random_seeds_differ),
	    cmocka_unit_test(test_churn_keeps_tombstones_and_size_bounded),
	    cmocka_unit_test(test_reader_keeps_replaced_objects_until_it_quiesces),
	    cmocka_unit_test(test_free_with_waiting_objects_and_reader_left),
	    cmocka_unit_test(test_learn_peek_classifies_and_only_refreshes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
