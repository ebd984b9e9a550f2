/* Unit tests for lib/neigh.c: the IP -> MAC table behind proxy ARP / ND:
 * add/replace/del/lookup return codes, family-distinct keys, max_entries,
 * insertion order and scale. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "vxnet/neigh.h"

static const uint8_t MAC_A[MAC_LEN] = {0x02, 0x42, 0xc0, 0xa8, 0x00, 0x0a};
static const uint8_t MAC_B[MAC_LEN] = {0x02, 0x42, 0xc0, 0xa8, 0x00, 0x0b};

static struct vx_addr ip(const char *s)
{
	struct vx_addr a;

	memset(&a, 0, sizeof(a));
	if (strchr(s, ':')) {
		a.family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, s, &a.v6), 1);
	} else {
		a.family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, s, &a.v4), 1);
	}
	return a;
}

static struct neigh *table(unsigned max)
{
	struct neigh *n = neigh_new(max);

	assert_non_null(n);
	return n;
}

static void expect_mac(const struct neigh *n, const struct vx_addr *a, const uint8_t *mac)
{
	uint8_t got[MAC_LEN];

	assert_int_equal(neigh_lookup(n, a, got), 0);
	assert_memory_equal(got, mac, MAC_LEN);
}

static void test_new_table_is_empty(void **state)
{
	struct neigh *n = table(0);
	struct vx_addr a = ip("192.0.2.1");
	uint8_t mac[MAC_LEN];

	(void)state;
	assert_int_equal(neigh_count(n), 0);
	assert_int_equal(neigh_lookup(n, &a, mac), -ENOENT);
	assert_int_equal(neigh_del(n, &a), -ENOENT);
	neigh_free(n);
	neigh_free(NULL);
}

static void test_add_then_lookup_ipv4_and_ipv6(void **state)
{
	struct neigh *n = table(0);
	struct vx_addr a4 = ip("192.0.2.1"), a6 = ip("2001:db8::1"), other = ip("192.0.2.2");
	uint8_t mac[MAC_LEN];

	(void)state;
	assert_int_equal(neigh_add(n, &a4, MAC_A, 0), 0);
	assert_int_equal(neigh_add(n, &a6, MAC_B, 0), 0);
	assert_int_equal(neigh_count(n), 2);
	expect_mac(n, &a4, MAC_A);
	expect_mac(n, &a6, MAC_B);
	assert_int_equal(neigh_lookup(n, &other, mac), -ENOENT);
	neigh_free(n);
}

static void test_add_existing_ip_is_eexist_and_keeps_mac(void **state)
{
	struct neigh *n = table(0);
	struct vx_addr a = ip("2001:db8::1");

	(void)state;
	assert_int_equal(neigh_add(n, &a, MAC_A, 0), 0);
	assert_int_equal(neigh_add(n, &a, MAC_B, 0), -EEXIST);
	assert_int_equal(neigh_add(n, &a, MAC_A, 0), -EEXIST);
	expect_mac(n, &a, MAC_A);
	assert_int_equal(neigh_count(n), 1);
	neigh_free(n);
}

static void test_unspec_or_unknown_family_is_refused(void **state)
{
	static const sa_family_t fams[] = {AF_UNSPEC, AF_UNIX, 0xffff};
	struct neigh *n = table(0);
	uint8_t mac[MAC_LEN];

	(void)state;
	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		struct vx_addr a = ip("192.0.2.1");

		a.family = fams[i];
		assert_int_equal(neigh_add(n, &a, MAC_A, 0), -EINVAL);
		assert_int_equal(neigh_replace(n, &a, MAC_A, 0), -EINVAL);
		assert_int_equal(neigh_lookup(n, &a, mac), -ENOENT);
		assert_int_equal(neigh_del(n, &a), -ENOENT);
	}
	assert_int_equal(neigh_add(n, NULL, MAC_A, 0), -EINVAL);
	assert_int_equal(neigh_count(n), 0);
	neigh_free(n);
}

static void test_replace_creates_then_overwrites(void **state)
{
	struct neigh *n = table(0);
	struct vx_addr a = ip("198.51.100.7");

	(void)state;
	assert_int_equal(neigh_replace(n, &a, MAC_A, 0), 0);
	expect_mac(n, &a, MAC_A);
	assert_int_equal(neigh_replace(n, &a, MAC_B, 0), 0);
	expect_mac(n, &a, MAC_B);
	assert_int_equal(neigh_count(n), 1);
	neigh_free(n);
}

static void test_del_removes_only_that_ip(void **state)
{
	struct neigh *n = table(0);
	struct vx_addr a = ip("192.0.2.1"), b = ip("192.0.2.2");
	uint8_t mac[MAC_LEN];

	(void)state;
	assert_int_equal(neigh_add(n, &a, MAC_A, 0), 0);
	assert_int_equal(neigh_add(n, &b, MAC_B, 0), 0);
	assert_int_equal(neigh_del(n, &a), 0);
	assert_int_equal(neigh_lookup(n, &a, mac), -ENOENT);
	expect_mac(n, &b, MAC_B);
	assert_int_equal(neigh_del(n, &a), -ENOENT);
	assert_int_equal(neigh_count(n), 1);
	/* and it can come back */
	assert_int_equal(neigh_add(n, &a, MAC_B, 0), 0);
	expect_mac(n, &a, MAC_B);
	neigh_free(n);
}

/* 192.0.2.1 and c000:201:: share their leading bytes; IPv4's unused union
 * bytes may hold anything. Neither may confuse the table. */
static void test_same_bytes_in_other_family_is_another_key(void **state)
{
	struct neigh *n = table(0);
	struct vx_addr a4 = ip("192.0.2.1"), a6 = ip("c000:201::"), noisy = a4;
	uint8_t mac[MAC_LEN];

	(void)state;
	assert_memory_equal(&a4.v4, &a6.v6, 4);
	memset((uint8_t *)&noisy.v6 + 4, 0x5a, 12);
	assert_int_equal(neigh_add(n, &a4, MAC_A, 0), 0);
	assert_int_equal(neigh_lookup(n, &a6, mac), -ENOENT);
	assert_int_equal(neigh_del(n, &a6), -ENOENT);
	assert_int_equal(neigh_add(n, &a6, MAC_B, 0), 0);
	expect_mac(n, &a4, MAC_A);
	expect_mac(n, &a6, MAC_B);
	expect_mac(n, &noisy, MAC_A);
	assert_int_equal(neigh_add(n, &noisy, MAC_B, 0), -EEXIST);
	assert_int_equal(neigh_del(n, &noisy), 0);
	assert_int_equal(neigh_lookup(n, &a4, mac), -ENOENT);
	expect_mac(n, &a6, MAC_B);
	neigh_free(n);
}

static void test_max_entries_full_refuses_creation_then_del_frees_a_slot(void **state)
{
	struct neigh *n = table(2);
	struct vx_addr a = ip("192.0.2.1"), b = ip("2001:db8::2"), c = ip("192.0.2.3");
	uint8_t mac[MAC_LEN];

	(void)state;
	assert_int_equal(neigh_add(n, &a, MAC_A, 0), 0);
	assert_int_equal(neigh_replace(n, &b, MAC_A, 0), 0);
	assert_int_equal(neigh_add(n, &c, MAC_A, 0), -ENOSPC);
	assert_int_equal(neigh_replace(n, &c, MAC_A, 0), -ENOSPC);
	assert_int_equal(neigh_lookup(n, &c, mac), -ENOENT);
	/* existing entries: existence wins over fullness */
	assert_int_equal(neigh_add(n, &a, MAC_B, 0), -EEXIST);
	assert_int_equal(neigh_replace(n, &b, MAC_B, 0), 0);
	expect_mac(n, &b, MAC_B);
	assert_int_equal(neigh_count(n), 2);
	assert_int_equal(neigh_del(n, &a), 0);
	assert_int_equal(neigh_add(n, &c, MAC_A, 0), 0);
	neigh_free(n);
}

struct seen {
	unsigned n;
	struct vx_addr ip[8];
	uint8_t mac[8][MAC_LEN];
	uint8_t origin[8];
};

static void collect(const struct vx_addr *a, const uint8_t mac[MAC_LEN], uint8_t origin, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < 8);
	s->ip[s->n] = *a;
	memcpy(s->mac[s->n], mac, MAC_LEN);
	s->origin[s->n] = origin;
	s->n++;
}

/* The origin is kept per entry, given by add, taken over by replace. */
static void test_origin_is_kept_and_replace_takes_it_over(void **state)
{
	struct neigh *n = table(0);
	struct vx_addr a = ip("192.0.2.9"), b = ip("2001:db8::1");
	struct seen s = {0};
	uint8_t mac[MAC_LEN], o = 99;

	(void)state;
	assert_int_equal(neigh_add(n, &a, MAC_A, 3), 0);
	assert_int_equal(neigh_add(n, &b, MAC_B, 0), 0);
	assert_int_equal(neigh_get(n, &a, mac, &o), 0);
	assert_int_equal(o, 3);
	assert_memory_equal(mac, MAC_A, MAC_LEN);
	assert_int_equal(neigh_add(n, &a, MAC_B, 0), -EEXIST);
	assert_int_equal(neigh_get(n, &a, mac, &o), 0);
	assert_int_equal(o, 3);
	assert_int_equal(neigh_replace(n, &a, MAC_B, 1), 0);
	assert_int_equal(neigh_get(n, &a, mac, NULL), 0);
	neigh_foreach(n, collect, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.origin[0], 1);
	assert_int_equal(s.origin[1], 0);
	assert_memory_equal(s.mac[0], MAC_B, MAC_LEN);
	assert_int_equal(neigh_get(n, &(struct vx_addr){.family = AF_INET}, mac, &o), -ENOENT);
	neigh_free(n);
}

static void expect_ip(const struct vx_addr *got, const char *want)
{
	struct vx_addr w = ip(want);

	assert_int_equal(got->family, w.family);
	if (w.family == AF_INET)
		assert_memory_equal(&got->v4, &w.v4, sizeof(w.v4));
	else
		assert_memory_equal(&got->v6, &w.v6, sizeof(w.v6));
}

static void test_foreach_visits_in_insertion_order(void **state)
{
	struct neigh *n = table(0);
	struct vx_addr a = ip("192.0.2.9"), b = ip("2001:db8::1"), c = ip("192.0.2.1"), d = ip("198.51.100.1");
	struct seen s = {0};

	(void)state;
	assert_int_equal(neigh_add(n, &a, MAC_A, 0), 0);
	assert_int_equal(neigh_add(n, &b, MAC_A, 0), 0);
	assert_int_equal(neigh_replace(n, &c, MAC_A, 0), 0);
	assert_int_equal(neigh_add(n, &d, MAC_A, 0), 0);
	assert_int_equal(neigh_replace(n, &b, MAC_B, 0), 0); /* overwrite keeps the place */
	assert_int_equal(neigh_del(n, &a), 0);		  /* head */
	assert_int_equal(neigh_del(n, &d), 0);		  /* tail */
	assert_int_equal(neigh_add(n, &a, MAC_A, 0), 0);	  /* back at the end */

	neigh_foreach(n, collect, &s);
	assert_int_equal(s.n, 3);
	expect_ip(&s.ip[0], "2001:db8::1");
	expect_ip(&s.ip[1], "192.0.2.1");
	expect_ip(&s.ip[2], "192.0.2.9");
	assert_memory_equal(s.mac[0], MAC_B, MAC_LEN);
	assert_memory_equal(s.mac[1], MAC_A, MAC_LEN);
	neigh_free(n);
}

#define BIG 100000u

static struct vx_addr big_ip(unsigned i)
{
	struct vx_addr a;

	memset(&a, 0, sizeof(a));
	if (i & 1) {
		a = ip("2001:db8::");
		a.v6.s6_addr[12] = (uint8_t)(i >> 24);
		a.v6.s6_addr[13] = (uint8_t)(i >> 16);
		a.v6.s6_addr[14] = (uint8_t)(i >> 8);
		a.v6.s6_addr[15] = (uint8_t)i;
	} else {
		a.family = AF_INET;
		a.v4.s_addr = htonl(0xc6120000u + i); /* inside 198.18.0.0/15 */
	}
	return a;
}

static void big_mac(unsigned i, uint8_t mac[MAC_LEN])
{
	mac[0] = 0x02;
	mac[1] = 0;
	mac[2] = (uint8_t)(i >> 24);
	mac[3] = (uint8_t)(i >> 16);
	mac[4] = (uint8_t)(i >> 8);
	mac[5] = (uint8_t)i;
}

static void count_cb(const struct vx_addr *a, const uint8_t mac[MAC_LEN], uint8_t origin, void *arg)
{
	unsigned *c = arg;

	(void)a;
	(void)mac;
	(void)origin;
	(*c)++;
}

static void test_100k_entries_insert_lookup_delete(void **state)
{
	struct neigh *n = table(0);
	uint8_t mac[MAC_LEN];
	unsigned visited = 0;

	(void)state;
	for (unsigned i = 0; i < BIG; i++) {
		struct vx_addr a = big_ip(i);

		big_mac(i, mac);
		assert_int_equal(neigh_add(n, &a, mac, 0), 0);
	}
	assert_int_equal(neigh_count(n), BIG);
	neigh_foreach(n, count_cb, &visited);
	assert_int_equal(visited, BIG);
	for (unsigned i = 0; i < BIG; i++) {
		struct vx_addr a = big_ip(i);

		big_mac(i, mac);
		expect_mac(n, &a, mac);
	}
	for (unsigned i = 0; i < BIG; i += 2) {
		struct vx_addr a = big_ip(i);

		assert_int_equal(neigh_del(n, &a), 0);
	}
	assert_int_equal(neigh_count(n), BIG / 2);
	for (unsigned i = 0; i < BIG; i++) {
		struct vx_addr a = big_ip(i);

		if (i & 1) {
			big_mac(i, mac);
			expect_mac(n, &a, mac);
			assert_int_equal(neigh_del(n, &a), 0);
		} else {
			assert_int_equal(neigh_lookup(n, &a, mac), -ENOENT);
		}
	}
	assert_int_equal(neigh_count(n), 0);
	neigh_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_new_table_is_empty),
	    cmocka_unit_test(test_add_then_lookup_ipv4_and_ipv6),
	    cmocka_unit_test(test_add_existing_ip_is_eexist_and_keeps_mac),
	    cmocka_unit_test(test_unspec_or_unknown_family_is_refused),
	    cmocka_unit_test(test_replace_creates_then_overwrites),
	    cmocka_unit_test(test_del_removes_only_that_ip),
	    cmocka_unit_test(test_same_bytes_in_other_family_is_another_key),
	    cmocka_unit_test(test_max_entries_full_refuses_creation_then_del_frees_a_slot),
	    cmocka_unit_test(test_foreach_visits_in_insertion_order),
	    cmocka_unit_test(test_origin_is_kept_and_replace_takes_it_over),
	    cmocka_unit_test(test_100k_entries_insert_lookup_delete),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
