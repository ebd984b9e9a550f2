/* Unit tests for lib/addr.c: MAC and IP parsing is strict, formatting round
 * trips, comparisons and sockaddr conversion keep family and port. */
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
