/* Unit tests for lib/addr.c: MAC and IP parsing is strict, formatting round
 * trips, comparisons and sockaddr conversion keep family and port, and
 * addresses that cannot mean anything where they are used are refused with
 * the reason docs/conformance.md lists. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "vxnet/addr.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_mac_parse_accepts_six_two_digit_groups_any_case(void **state)
{
	static const struct {
		const char *s;
		uint8_t mac[MAC_LEN];
	} ok[] = {
	    {"02:42:c0:a8:00:03", {0x02, 0x42, 0xc0, 0xa8, 0x00, 0x03}},
	    {"AA:bB:cc:DD:ee:FF", {0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}},
	    {"00:00:00:00:00:00", {0}},
	    {"ff:ff:ff:ff:ff:ff", {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	    {"09:af:AF:90:5a:A5", {0x09, 0xaf, 0xaf, 0x90, 0x5a, 0xa5}},
	};
	(void)state;
	for (size_t i = 0; i < N(ok); i++) {
		uint8_t mac[MAC_LEN];

		memset(mac, 0x77, sizeof(mac));
		assert_int_equal(mac_parse(ok[i].s, mac), 0);
		assert_memory_equal(mac, ok[i].mac, MAC_LEN);
	}
}

static void test_mac_parse_rejects_short_groups_junk_and_other_separators(void **state)
{
	static const char *const bad[] = {
	    "",
	    "2:42:c0:a8:00:03",
	    "02:42:c0:a8:00:3",
	    "02:42:c0:a8:00",
	    "02:42:c0:a8:00:03:",
	    "02:42:c0:a8:00:03x",
	    "02:42:c0:a8:00:03 ",
	    " 02:42:c0:a8:00:03",
	    "02:42:c0:a8:00:033",
	    "02-42-c0-a8-00-03",
	    "02:42-c0:a8:00:03",
	    "02:42:c0:a8:00:0g",
	    "0242.c0a8.0003",
	    "024:2c:0a:80:00:3",
	    "02:42:c0:a8:00:03:04",
	    "::::::",
	};
	(void)state;
	for (size_t i = 0; i < N(bad); i++) {
		uint8_t mac[MAC_LEN] = {1, 2, 3, 4, 5, 6};
		static const uint8_t untouched[MAC_LEN] = {1, 2, 3, 4, 5, 6};

		assert_int_equal(mac_parse(bad[i], mac), -EINVAL);
		assert_memory_equal(mac, untouched, MAC_LEN); /* failure writes nothing */
	}
	assert_int_equal(mac_parse(NULL, (uint8_t[MAC_LEN]){0}), -EINVAL);
}

static void test_mac_format_is_lower_case_and_round_trips(void **state)
{
	static const struct {
		uint8_t mac[MAC_LEN];
		const char *s;
	} t[] = {
	    {{0x02, 0x42, 0xc0, 0xa8, 0x00, 0x03}, "02:42:c0:a8:00:03"},
	    {{0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF}, "aa:bb:cc:dd:ee:ff"},
	    {{0}, "00:00:00:00:00:00"},
	};
	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		char buf[MAC_STRLEN];
		uint8_t back[MAC_LEN];

		memset(buf, 'x', sizeof(buf));
		mac_format(t[i].mac, buf);
		assert_string_equal(buf, t[i].s);
		assert_int_equal(mac_parse(buf, back), 0);
		assert_memory_equal(back, t[i].mac, MAC_LEN);
	}
}

static void test_mac_predicates_follow_the_group_bit_and_bytes(void **state)
{
	static const struct {
		uint8_t mac[MAC_LEN];
		bool zero, mcast;
	} t[] = {
	    {{0}, true, false},
	    {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, false, true},
	    {{0x01, 0x00, 0x5e, 0x01, 0x01, 0x01}, false, true},
	    {{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}, false, true},
	    {{0x02, 0x42, 0xc0, 0xa8, 0x00, 0x03}, false, false},
	    {{0x00, 0x00, 0x00, 0x00, 0x00, 0x01}, false, false},
	};
	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		uint8_t copy[MAC_LEN];

		assert_int_equal(mac_is_zero(t[i].mac), t[i].zero);
		assert_int_equal(mac_is_multicast(t[i].mac), t[i].mcast);
		memcpy(copy, t[i].mac, MAC_LEN);
		assert_true(mac_equal(copy, t[i].mac));
		copy[5] ^= 1;
		assert_false(mac_equal(copy, t[i].mac));
	}
}

static void test_addr_parse_accepts_plain_v4_and_v6_literals(void **state)
{
	static const struct {
		const char *s;
		int family;
		uint8_t bytes[16];
	} ok[] = {
	    {"192.0.2.1", AF_INET, {192, 0, 2, 1}},
	    {"239.1.1.1", AF_INET, {239, 1, 1, 1}},
	    {"0.0.0.0", AF_INET, {0}},
	    {"2001:db8::1", AF_INET6, {0x20, 0x01, 0x0d, 0xb8, [15] = 1}},
	    {"2001:DB8::a", AF_INET6, {0x20, 0x01, 0x0d, 0xb8, [15] = 0xa}},
	    {"::", AF_INET6, {0}},
	    {"::ffff:192.0.2.7", AF_INET6, {[10] = 0xff, [11] = 0xff, [12] = 192, [13] = 0, [14] = 2, [15] = 7}},
	};
	(void)state;
	for (size_t i = 0; i < N(ok); i++) {
		struct vx_addr a;

		memset(&a, 0x5a, sizeof(a));
		assert_int_equal(addr_parse(ok[i].s, &a), 0);
		assert_int_equal(a.family, ok[i].family);
		assert_memory_equal(ok[i].family == AF_INET ? (const void *)&a.v4 : (const void *)&a.v6, ok[i].bytes,
				    ok[i].family == AF_INET ? 4 : 16);
	}
}

static void test_addr_parse_rejects_prefixes_scopes_and_junk(void **state)
{
	static const char *const bad[] = {
	    "",
	    "192.0.2.1/24",
	    "2001:db8::1/64",
	    "fe80::1%eth0",
	    "192.0.2",
	    "192.0.2.256",
	    "1.2.3.4.5",
	    " 192.0.2.1",
	    "192.0.2.1 ",
	    "host",
	    "2001:db8:::1",
	    "192.0.2.1:4789",
	    "[2001:db8::1]",
	    "0x7f.0.0.1",
	};
	(void)state;
	for (size_t i = 0; i < N(bad); i++) {
		struct vx_addr a = {.family = AF_INET, .v4 = {htonl(0x01020304)}};

		assert_int_equal(addr_parse(bad[i], &a), -EINVAL);
		assert_int_equal(a.family, AF_INET); /* failure writes nothing */
		assert_int_equal(a.v4.s_addr, htonl(0x01020304));
	}
	assert_int_equal(addr_parse(NULL, &(struct vx_addr){0}), -EINVAL);
}

static void test_addr_format_round_trips_and_reports_short_buffers(void **state)
{
	static const char *const t[] = {"192.0.2.1", "198.18.0.3", "2001:db8::1", "::", "ff02::1"};
	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		struct vx_addr a;
		char buf[ADDR_STRLEN];

		assert_int_equal(addr_parse(t[i], &a), 0);
		assert_int_equal(addr_format(&a, buf, sizeof(buf)), 0);
		assert_string_equal(buf, t[i]);
		assert_int_equal(addr_format(&a, buf, strlen(t[i])), -ENOSPC);
		assert_int_equal(addr_format(&a, buf, strlen(t[i]) + 1), 0);
	}

	struct vx_addr unspec = {.family = AF_UNSPEC};
	char buf[4] = "xyz";

	assert_int_equal(addr_format(&unspec, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(addr_format(&unspec, buf, 0), -ENOSPC);
}

static void test_addr_equal_compares_family_and_only_its_bytes(void **state)
{
	struct vx_addr a, b;

	(void)state;
	/* IPv4 addresses with different garbage past the 4 bytes are equal. */
	memset(&a, 0x11, sizeof(a));
	memset(&b, 0x22, sizeof(b));
	assert_int_equal(addr_parse("192.0.2.1", &a), 0);
	b.family = AF_INET;
	b.v4.s_addr = a.v4.s_addr;
	assert_true(addr_equal(&a, &b));
	b.v4.s_addr ^= htonl(1);
	assert_false(addr_equal(&a, &b));

	assert_int_equal(addr_parse("2001:db8::1", &a), 0);
	assert_int_equal(addr_parse("2001:db8::1", &b), 0);
	assert_true(addr_equal(&a, &b));
	assert_int_equal(addr_parse("2001:db8::2", &b), 0);
	assert_false(addr_equal(&a, &b));

	/* Same bytes, different family. */
	assert_int_equal(addr_parse("0.0.0.0", &a), 0);
	assert_int_equal(addr_parse("::", &b), 0);
	assert_false(addr_equal(&a, &b));

	memset(&a, 0x11, sizeof(a));
	memset(&b, 0x22, sizeof(b));
	a.family = b.family = AF_UNSPEC;
	assert_true(addr_equal(&a, &b));
}

static void test_addr_predicates_classify_multicast_and_wildcards(void **state)
{
	static const struct {
		const char *s;
		bool mcast, unspec;
	} t[] = {
	    {"239.1.1.1", true, false},	 {"224.0.0.1", true, false},  {"223.255.255.255", false, false},
	    {"240.0.0.1", false, false}, {"192.0.2.1", false, false}, {"0.0.0.0", false, true},
	    {"ff02::1", true, false},	 {"ff05::2", true, false},    {"2001:db8::1", false, false},
	    {"::", false, true},	 {"::1", false, false},
	};
	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		struct vx_addr a;

		assert_int_equal(addr_parse(t[i].s, &a), 0);
		assert_int_equal(addr_is_multicast(&a), t[i].mcast);
		assert_int_equal(addr_is_unspec(&a), t[i].unspec);
	}
	struct vx_addr none = {.family = AF_UNSPEC};

	assert_true(addr_is_unspec(&none));
	assert_false(addr_is_multicast(&none));
}

static void test_addr_sockaddr_round_trip_keeps_family_address_and_port(void **state)
{
	static const struct {
		const char *s;
		uint16_t port;
		socklen_t len;
	} t[] = {
	    {"192.0.2.1", 4789, sizeof(struct sockaddr_in)},
	    {"2001:db8::7", 8472, sizeof(struct sockaddr_in6)},
	    {"239.1.1.1", 0, sizeof(struct sockaddr_in)},
	    {"::ffff:192.0.2.1", 65535, sizeof(struct sockaddr_in6)},
	};
	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		struct sockaddr_storage ss;
		struct vx_addr a, back;
		socklen_t len = 0;
		uint16_t port = 1;

		assert_int_equal(addr_parse(t[i].s, &a), 0);
		assert_int_equal(addr_to_sockaddr(&a, t[i].port, &ss, &len), 0);
		assert_int_equal(len, t[i].len);
		assert_int_equal(ss.ss_family, a.family);
		if (a.family == AF_INET)
			assert_int_equal(((struct sockaddr_in *)&ss)->sin_port, htons(t[i].port));
		else
			assert_int_equal(((struct sockaddr_in6 *)&ss)->sin6_port, htons(t[i].port));
		assert_int_equal(addr_from_sockaddr((struct sockaddr *)&ss, &back, &port), 0);
		assert_true(addr_equal(&a, &back));
		assert_int_equal(port, t[i].port);
		assert_int_equal(addr_from_sockaddr((struct sockaddr *)&ss, &back, NULL), 0);
	}
}

static void test_addr_sockaddr_refuses_other_families(void **state)
{
	struct vx_addr a = {.family = AF_UNSPEC};
	struct sockaddr_storage ss;
	socklen_t len;

	(void)state;
	assert_int_equal(addr_to_sockaddr(&a, 1, &ss, &len), -EAFNOSUPPORT);
	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	assert_int_equal(addr_from_sockaddr((struct sockaddr *)&ss, &a, NULL), -EAFNOSUPPORT);
}

/* ---- meaningful addresses ---- */

#define ADDR_OK NULL
#define NOT_UNSPEC(f) f " must not be unspecified (0.0.0.0/8 or ::)"
#define NOT_BCAST(f) f " must not be the broadcast address 255.255.255.255"
#define NOT_EMBEDDED(f) f " must not be an IPv4-mapped or -compatible IPv6 address (give the IPv4 address)"
#define LOOP_LOCAL "local must not be a loopback address (no other host could reach it)"
#define LOOP_REMOTE "remote must not be a loopback address (the frames would come straight back)"
#define LOOP_DST "dst must not be a loopback address (the frames would come straight back)"
#define LOOP_NEIGH "address must not be a loopback address (proxy ARP/ND never answers for it)"
#define UNI_LOCAL "local must be a unicast address"
#define UNI_REMOTE "remote must be a unicast address"
#define UNI_DST "dst must be unicast for a unicast MAC (a group only for 00:00:00:00:00:00 or a multicast MAC)"
#define MC_NEIGH "address must not be multicast (proxy ARP/ND never answers for a group)"
#define MC_GROUP "group must be a multicast address"
#define SCOPE_GROUP "group must not be of IPv6 multicast scope 0, 1 (interface-local) or 15"
#define SCOPE_DST "dst must not be of IPv6 multicast scope 0, 1 (interface-local) or 15"
#define RES_NEIGH "address must not be in 240.0.0.0/4 (proxy ARP never answers for it)"

/* Each address against each use (ADDR_USE_* order): the reason expected, or
 * ADDR_OK. */
static const struct {
	const char *addr;
	const char *why[6];
} check_table[] = {
    /* issue 8 item 6, then the edges of each class */
    {"0.0.0.0",
     {NOT_UNSPEC("local"), NOT_UNSPEC("remote"), MC_GROUP, NOT_UNSPEC("dst"), NOT_UNSPEC("dst"),
      NOT_UNSPEC("address")}},
    {"0.255.255.255",
     {NOT_UNSPEC("local"), NOT_UNSPEC("remote"), MC_GROUP, NOT_UNSPEC("dst"), NOT_UNSPEC("dst"),
      NOT_UNSPEC("address")}},
    {"255.255.255.255",
     {NOT_BCAST("local"), NOT_BCAST("remote"), MC_GROUP, NOT_BCAST("dst"), NOT_BCAST("dst"), NOT_BCAST("address")}},
    {"127.0.0.1", {LOOP_LOCAL, LOOP_REMOTE, MC_GROUP, LOOP_DST, LOOP_DST, LOOP_NEIGH}},
    {"127.255.255.254", {LOOP_LOCAL, LOOP_REMOTE, MC_GROUP, LOOP_DST, LOOP_DST, LOOP_NEIGH}},
    {"239.1.1.1", {UNI_LOCAL, UNI_REMOTE, ADDR_OK, UNI_DST, ADDR_OK, MC_NEIGH}},
    {"224.0.0.5", {UNI_LOCAL, UNI_REMOTE, ADDR_OK, UNI_DST, ADDR_OK, MC_NEIGH}},
    {"239.255.255.255", {UNI_LOCAL, UNI_REMOTE, ADDR_OK, UNI_DST, ADDR_OK, MC_NEIGH}},
    /* broadcast only if some prefix says so: not for a static check */
    {"198.18.0.255", {ADDR_OK, ADDR_OK, MC_GROUP, ADDR_OK, ADDR_OK, ADDR_OK}},
    {"198.18.0.2", {ADDR_OK, ADDR_OK, MC_GROUP, ADDR_OK, ADDR_OK, ADDR_OK}},
    {"1.0.0.0", {ADDR_OK, ADDR_OK, MC_GROUP, ADDR_OK, ADDR_OK, ADDR_OK}},
    {"126.255.255.255", {ADDR_OK, ADDR_OK, MC_GROUP, ADDR_OK, ADDR_OK, ADDR_OK}},
    {"128.0.0.0", {ADDR_OK, ADDR_OK, MC_GROUP, ADDR_OK, ADDR_OK, ADDR_OK}},
    {"169.254.1.1", {ADDR_OK, ADDR_OK, MC_GROUP, ADDR_OK, ADDR_OK, ADDR_OK}},
    {"223.255.255.255", {ADDR_OK, ADDR_OK, MC_GROUP, ADDR_OK, ADDR_OK, ADDR_OK}},
    /* Linux routes 240/4 as unicast; proxy ARP does not answer for it */
    {"240.0.0.1", {ADDR_OK, ADDR_OK, MC_GROUP, ADDR_OK, ADDR_OK, RES_NEIGH}},
    {"255.255.255.254", {ADDR_OK, ADDR_OK, MC_GROUP, ADDR_OK, ADDR_OK, RES_NEIGH}},
    {"::",
     {NOT_UNSPEC("local"), NOT_UNSPEC("remote"), MC_GROUP, NOT_UNSPEC("dst"), NOT_UNSPEC("dst"),
      NOT_UNSPEC("address")}},
    {"::1", {LOOP_LOCAL, LOOP_REMOTE, MC_GROUP, LOOP_DST, LOOP_DST, LOOP_NEIGH}},
    {"ff02::1", {UNI_LOCAL, UNI_REMOTE, ADDR_OK, UNI_DST, ADDR_OK, MC_NEIGH}},
    {"ff05::100", {UNI_LOCAL, UNI_REMOTE, ADDR_OK, UNI_DST, ADDR_OK, MC_NEIGH}},
    {"ff3e::8000:1", {UNI_LOCAL, UNI_REMOTE, ADDR_OK, UNI_DST, ADDR_OK, MC_NEIGH}},
    {"ff01::1", {UNI_LOCAL, UNI_REMOTE, SCOPE_GROUP, UNI_DST, SCOPE_DST, MC_NEIGH}},
    {"ff11::1", {UNI_LOCAL, UNI_REMOTE, SCOPE_GROUP, UNI_DST, SCOPE_DST, MC_NEIGH}},
    {"ff00::1", {UNI_LOCAL, UNI_REMOTE, SCOPE_GROUP, UNI_DST, SCOPE_DST, MC_NEIGH}},
    {"ff0f::1", {UNI_LOCAL, UNI_REMOTE, SCOPE_GROUP, UNI_DST, SCOPE_DST, MC_NEIGH}},
    {"::ffff:198.18.0.2",
     {NOT_EMBEDDED("local"), NOT_EMBEDDED("remote"), MC_GROUP, NOT_EMBEDDED("dst"), NOT_EMBEDDED("dst"),
      NOT_EMBEDDED("address")}},
    {"::198.18.0.2",
     {NOT_EMBEDDED("local"), NOT_EMBEDDED("remote"), MC_GROUP, NOT_EMBEDDED("dst"), NOT_EMBEDDED("dst"),
      NOT_EMBEDDED("address")}},
    {"2001:db8::1", {ADDR_OK, ADDR_OK, MC_GROUP, ADDR_OK, ADDR_OK, ADDR_OK}},
    {"fe80::1", {ADDR_OK, ADDR_OK, MC_GROUP, ADDR_OK, ADDR_OK, ADDR_OK}},
    {"fd00::1", {ADDR_OK, ADDR_OK, MC_GROUP, ADDR_OK, ADDR_OK, ADDR_OK}},
    /* looks like IPv4-compatible but is not: 96 zero bits are needed */
    {"::1:0:0:2", {ADDR_OK, ADDR_OK, MC_GROUP, ADDR_OK, ADDR_OK, ADDR_OK}},
};

static void test_addr_check_refuses_what_cannot_mean_anything_where_used(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(check_table); i++) {
		struct vx_addr a;

		assert_int_equal(addr_parse(check_table[i].addr, &a), 0);
		for (int use = ADDR_USE_LOCAL; use <= ADDR_USE_NEIGH; use++) {
			const char *want = check_table[i].why[use], *why = "untouched";
			int rc = addr_check(&a, (enum addr_use)use, &why);

			print_message("%s as use %d\n", check_table[i].addr, use);
			if (!want) {
				assert_int_equal(rc, 0);
				assert_null(why);
			} else {
				assert_int_equal(rc, -EINVAL);
				assert_non_null(why);
				assert_string_equal(why, want);
			}
			/* why may be NULL */
			assert_int_equal(addr_check(&a, (enum addr_use)use, NULL), rc);
		}
	}
}

static void test_addr_check_names_the_field_for_a_missing_family(void **state)
{
	static const char *const want[] = {
	    "local must be an IPv4 or IPv6 address", "remote must be an IPv4 or IPv6 address",
	    "group must be an IPv4 or IPv6 address", "dst must be an IPv4 or IPv6 address",
	    "dst must be an IPv4 or IPv6 address",   "address must be an IPv4 or IPv6 address",
	};
	struct vx_addr a;
	const char *why;

	(void)state;
	memset(&a, 0, sizeof(a));
	for (int use = ADDR_USE_LOCAL; use <= ADDR_USE_NEIGH; use++) {
		a.family = AF_UNSPEC;
		assert_int_equal(addr_check(&a, (enum addr_use)use, &why), -EAFNOSUPPORT);
		assert_string_equal(why, want[use]);
		a.family = AF_UNIX;
		assert_int_equal(addr_check(&a, (enum addr_use)use, &why), -EAFNOSUPPORT);
		assert_int_equal(addr_check(NULL, (enum addr_use)use, &why), -EAFNOSUPPORT);
	}
	assert_int_equal(addr_check(&(struct vx_addr){.family = AF_INET}, (enum addr_use)99, &why), -EINVAL);
	assert_non_null(why);
}

static void test_addr_use_fdb_floods_for_all_zeros_and_group_macs(void **state)
{
	static const uint8_t zero[MAC_LEN] = {0}, bcast[MAC_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
			     v4mc[MAC_LEN] = {0x01, 0x00, 0x5e, 0x01, 0x01, 0x01},
			     v6mc[MAC_LEN] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01},
			     uni[MAC_LEN] = {0x02, 0x42, 0xc0, 0xa8, 0x00, 0x03},
			     uni1[MAC_LEN] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
	struct vx_addr g;

	(void)state;
	assert_int_equal(addr_use_fdb(zero), ADDR_USE_FDB_FLOOD);
	assert_int_equal(addr_use_fdb(bcast), ADDR_USE_FDB_FLOOD);
	assert_int_equal(addr_use_fdb(v4mc), ADDR_USE_FDB_FLOOD);
	assert_int_equal(addr_use_fdb(v6mc), ADDR_USE_FDB_FLOOD);
	assert_int_equal(addr_use_fdb(uni), ADDR_USE_FDB_DST);
	assert_int_equal(addr_use_fdb(uni1), ADDR_USE_FDB_DST);
	/* so a group is a dst for the flood list, not for a station */
	assert_int_equal(addr_parse("239.1.1.1", &g), 0);
	assert_int_equal(addr_check(&g, addr_use_fdb(zero), NULL), 0);
	assert_int_equal(addr_check(&g, addr_use_fdb(uni), NULL), -EINVAL);
}

static void test_mac_check_neigh_lladdr_wants_a_station(void **state)
{
	static const struct {
		const char *mac, *why;
	} t[] = {
	    {"00:00:00:00:00:00", "lladdr must not be 00:00:00:00:00:00 (no station has it)"},
	    {"ff:ff:ff:ff:ff:ff", "lladdr must be a unicast MAC (not multicast or broadcast)"},
	    {"01:00:5e:00:00:05", "lladdr must be a unicast MAC (not multicast or broadcast)"},
	    {"33:33:00:00:00:01", "lladdr must be a unicast MAC (not multicast or broadcast)"},
	    {"03:00:00:00:00:00", "lladdr must be a unicast MAC (not multicast or broadcast)"},
	    {"02:42:c0:a8:00:03", NULL},
	    {"00:00:00:00:00:01", NULL},
	    {"fe:ff:ff:ff:ff:ff", NULL},
	};

	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		uint8_t mac[MAC_LEN];
		const char *why = "untouched";

		assert_int_equal(mac_parse(t[i].mac, mac), 0);
		assert_int_equal(mac_check_neigh_lladdr(mac, &why), t[i].why ? -EINVAL : 0);
		if (t[i].why)
			assert_string_equal(why, t[i].why);
		else
			assert_null(why);
		assert_int_equal(mac_check_neigh_lladdr(mac, NULL), t[i].why ? -EINVAL : 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mac_parse_accepts_six_two_digit_groups_any_case),
	    cmocka_unit_test(test_mac_parse_rejects_short_groups_junk_and_other_separators),
	    cmocka_unit_test(test_mac_format_is_lower_case_and_round_trips),
	    cmocka_unit_test(test_mac_predicates_follow_the_group_bit_and_bytes),
	    cmocka_unit_test(test_addr_parse_accepts_plain_v4_and_v6_literals),
	    cmocka_unit_test(test_addr_parse_rejects_prefixes_scopes_and_junk),
	    cmocka_unit_test(test_addr_format_round_trips_and_reports_short_buffers),
	    cmocka_unit_test(test_addr_equal_compares_family_and_only_its_bytes),
	    cmocka_unit_test(test_addr_predicates_classify_multicast_and_wildcards),
	    cmocka_unit_test(test_addr_sockaddr_round_trip_keeps_family_address_and_port),
	    cmocka_unit_test(test_addr_sockaddr_refuses_other_families),
	    cmocka_unit_test(test_addr_check_refuses_what_cannot_mean_anything_where_used),
	    cmocka_unit_test(test_addr_check_names_the_field_for_a_missing_family),
	    cmocka_unit_test(test_addr_use_fdb_floods_for_all_zeros_and_group_macs),
	    cmocka_unit_test(test_mac_check_neigh_lladdr_wants_a_station),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
