/* Unit tests for lib/cluster.c: keys round-trip and parse strictly, values
 * decode strictly with the documented reason for every refusal (each reason
 * is reached by at least one table row, checked at the end), unknown fields
 * and kinds are ignored for forward compatibility, and encoders refuse what
 * decoders would. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "vxnet/cluster.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Every reason lib/cluster.c can give; each must be produced by some row. */
static const char *const all_reasons[] = {
    "datapath is neither \"user\" nor \"kernel\"",
    "datapath is not a string",
    "dstport is not an integer",
    "dstport is out of range 1..65535",
    "host is missing",
    "host is not a string",
    "ip is missing",
    "ip is not a string",
    "ip is not an IPv4 or IPv6 address",
    "ip is not of the subnet's address family",
    "ip is outside the network's subnet",
    "ip is the subnet's broadcast address",
    "ip is the subnet's network address",
    "key contains a NUL byte",
    "key does not have 1 segment after its kind",
    "key does not have 2 segments (network, ip) after its kind",
    "key does not have 3 segments (network, mac, host) after its kind",
    "key has an empty segment",
    "key is not under the prefix",
    "key's MAC is multicast or all zeros",
    "key's MAC is not aa:bb:cc:dd:ee:ff",
    "key's MAC is not in lower case",
    "key's address is not an IPv4 or IPv6 address",
    "key's address is not in canonical form",
    "key's kind is not a valid name",
    "key's kind is unknown to this version",
    "mac is multicast or all zeros",
    "mac is not a string",
    "mac is not aa:bb:cc:dd:ee:ff",
    "mtu is below 1280 for an IPv6 subnet",
    "mtu is not an integer",
    "mtu is out of range 68..65535",
    "name contains '/'",
    "name contains a byte other than letters, digits, '.', '_' and '-'",
    "name does not start with a letter or a digit",
    "name is empty",
    "name is longer than 64 bytes",
    "name is missing",
    "no output",
    "prefix contains a byte other than letters, digits, '/', '.', '_' and '-'",
    "prefix does not start with '/'",
    "prefix ends with '/' (or is only '/')",
    "prefix has an empty segment ('//')",
    "prefix is longer than 128 bytes",
    "prefix is missing",
    "subnet address is not an IPv4 or IPv6 address",
    "subnet has no '/' prefix length",
    "subnet is missing",
    "subnet is multicast or loopback",
    "subnet is not a network address (host bits set)",
    "subnet is not a string",
    "subnet prefix length is not a decimal number",
    "subnet prefix length out of range (IPv4 1..30, IPv6 1..126)",
    "underlay is missing",
    "underlay is not a string",
    "underlay is not a unicast address",
    "underlay is not an IPv4 or IPv6 address",
    "value has a duplicate field",
    "value is longer than 4096 bytes",
    "value is missing",
    "value is not a JSON object",
    "value is not valid JSON",
    "vni is missing",
    "vni is not an integer",
    "vni is out of range 1..16777215",
};
static bool reason_seen[N(all_reasons)];

/* Check that why is exactly want, and record it as covered. */
static void expect_reason(const char *why, const char *want)
{
	if (!why || strcmp(why, want) != 0)
		fail_msg("reason \"%s\", want \"%s\"", why ? why : "(null)", want);
	for (size_t i = 0; i < N(all_reasons); i++)
		if (strcmp(all_reasons[i], want) == 0)
			reason_seen[i] = true;
}

static const char LONG65[] = "a234567890123456789012345678901234567890123456789012345678901234x";

static void test_names_accept_the_safe_charset_and_refuse_the_rest(void **state)
{
	static const char *const ok[] = {"a",
					 "web",
					 "net-1",
					 "Net_2.x",
					 "0",
					 "h1.example.org",
					 "a234567890123456789012345678901234567890123456789012345678901234"};
	static const struct {
		const char *name;
		const char *why;
	} bad[] = {
	    {"", "name is empty"},
	    {LONG65, "name is longer than 64 bytes"},
	    {"a/b", "name contains '/'"},
	    {"/", "name contains '/'"},
	    {"a b", "name contains a byte other than letters, digits, '.', '_' and '-'"},
	    {"a\tb", "name contains a byte other than letters, digits, '.', '_' and '-'"},
	    {"caf\xc3\xa9", "name contains a byte other than letters, digits, '.', '_' and '-'"},
	    {"a:b", "name contains a byte other than letters, digits, '.', '_' and '-'"},
	    {".", "name does not start with a letter or a digit"},
	    {"..", "name does not start with a letter or a digit"},
	    {"-x", "name does not start with a letter or a digit"},
	    {"_x", "name does not start with a letter or a digit"},
	};
	const char *why;

	(void)state;
	assert_int_equal(strlen(ok[N(ok) - 1]), CLUSTER_NAME_MAX);
	for (size_t i = 0; i < N(ok); i++)
		assert_int_equal(cluster_name_check(ok[i], NULL), 0);
	for (size_t i = 0; i < N(bad); i++) {
		why = NULL;
		assert_int_equal(cluster_name_check(bad[i].name, &why), -EINVAL);
		expect_reason(why, bad[i].why);
	}
	assert_int_equal(cluster_name_check(NULL, &why), -EINVAL);
	expect_reason(why, "name is missing");
}

static void test_prefixes_are_absolute_without_trailing_or_double_slash(void **state)
{
	char longp[CLUSTER_PREFIX_MAX + 2];
	static const char *const ok[] = {"/vxnet", "/a", "/org/team.1/vx_net-2"};
	static const struct {
		const char *p;
		const char *why;
	} bad[] = {
	    {"", "prefix does not start with '/'"},
	    {"vxnet", "prefix does not start with '/'"},
	    {"/", "prefix ends with '/' (or is only '/')"},
	    {"/vxnet/", "prefix ends with '/' (or is only '/')"},
	    {"/a//b", "prefix has an empty segment ('//')"},
	    {"/a b", "prefix contains a byte other than letters, digits, '/', '.', '_' and '-'"},
	    {"/a\n", "prefix contains a byte other than letters, digits, '/', '.', '_' and '-'"},
	};
	const char *why;

	(void)state;
	for (size_t i = 0; i < N(ok); i++)
		assert_int_equal(cluster_prefix_check(ok[i], NULL), 0);
	for (size_t i = 0; i < N(bad); i++) {
		why = NULL;
		assert_int_equal(cluster_prefix_check(bad[i].p, &why), -EINVAL);
		expect_reason(why, bad[i].why);
	}
	memset(longp, 'a', sizeof(longp));
	longp[0] = '/';
	longp[CLUSTER_PREFIX_MAX] = '\0';
	assert_int_equal(cluster_prefix_check(longp, NULL), 0);
	longp[CLUSTER_PREFIX_MAX] = 'a';
	longp[CLUSTER_PREFIX_MAX + 1] = '\0';
	assert_int_equal(cluster_prefix_check(longp, &why), -EINVAL);
	expect_reason(why, "prefix is longer than 128 bytes");
	assert_int_equal(cluster_prefix_check(NULL, &why), -EINVAL);
	expect_reason(why, "prefix is missing");
}

static struct cluster_key key_endpoint(const char *net, const char *mac, const char *host)
{
	struct cluster_key k;

	memset(&k, 0, sizeof(k));
	k.kind = CLUSTER_ENDPOINT;
	snprintf(k.network, sizeof(k.network), "%s", net);
	snprintf(k.host, sizeof(k.host), "%s", host);
	assert_int_equal(mac_parse(mac, k.mac), 0);
	return k;
}

static void test_keys_format_and_parse_back_for_every_kind(void **state)
{
	struct cluster_key ks[5], back;
	static const char *const want[] = {
	    "/vxnet/networks/blue",
	    "/vxnet/hosts/h1",
	    "/vxnet/endpoints/blue/02:42:0a:01:00:02/h1",
	    "/vxnet/ipam/blue/10.1.0.2",
	    "/vxnet/ipam/blue/2001:db8::2",
	};
	char buf[CLUSTER_KEY_MAX];
	const char *why;

	(void)state;
	memset(ks, 0, sizeof(ks));
	ks[0].kind = CLUSTER_NETWORK;
	strcpy(ks[0].network, "blue");
	ks[1].kind = CLUSTER_HOST;
	strcpy(ks[1].host, "h1");
	ks[2] = key_endpoint("blue", "02:42:0a:01:00:02", "h1");
	ks[3].kind = CLUSTER_IPAM;
	strcpy(ks[3].network, "blue");
	assert_int_equal(addr_parse("10.1.0.2", &ks[3].ip), 0);
	ks[4].kind = CLUSTER_IPAM;
	strcpy(ks[4].network, "blue");
	assert_int_equal(addr_parse("2001:db8:0::2", &ks[4].ip), 0);
	for (size_t i = 0; i < N(ks); i++) {
		assert_int_equal(cluster_key_format("/vxnet", &ks[i], buf, sizeof(buf)), 0);
		assert_string_equal(buf, want[i]);
		memset(&back, 0x5a, sizeof(back));
		why = NULL;
		assert_int_equal(cluster_key_parse("/vxnet", buf, strlen(buf), &back, &why), 0);
		assert_int_equal(back.kind, ks[i].kind);
		assert_string_equal(back.network, ks[i].network);
		assert_string_equal(back.host, ks[i].host);
		assert_memory_equal(back.mac, ks[i].mac, MAC_LEN);
		assert_int_equal(back.ip.family, ks[i].ip.family);
		assert_true(ks[i].ip.family == 0 || addr_equal(&back.ip, &ks[i].ip));
	}
	/* A different prefix, and a key that is not NUL-terminated. */
	assert_int_equal(cluster_key_format("/org/vx", &ks[2], buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/org/vx/endpoints/blue/02:42:0a:01:00:02/h1");
	buf[strlen(buf)] = 'X';
	assert_int_equal(
	    cluster_key_parse("/org/vx", buf, strlen("/org/vx/endpoints/blue/02:42:0a:01:00:02/h1"), &back, NULL), 0);
	assert_string_equal(back.host, "h1");
}

static void test_key_format_refuses_bad_parts_and_small_buffers(void **state)
{
	struct cluster_key k = key_endpoint("blue", "02:42:0a:01:00:02", "h1"), bad;
	char buf[CLUSTER_KEY_MAX];
	const size_t need = strlen("/vxnet/endpoints/blue/02:42:0a:01:00:02/h1") + 1;

	(void)state;
	assert_int_equal(cluster_key_format("/vxnet", &k, buf, need), 0);
	assert_int_equal(cluster_key_format("/vxnet", &k, buf, need - 1), -ENOSPC);
	assert_int_equal(cluster_key_format("vxnet", &k, buf, sizeof(buf)), -EINVAL);
	bad = k;
	strcpy(bad.network, "a/b");
	assert_int_equal(cluster_key_format("/vxnet", &bad, buf, sizeof(buf)), -EINVAL);
	bad = k;
	bad.host[0] = '\0';
	assert_int_equal(cluster_key_format("/vxnet", &bad, buf, sizeof(buf)), -EINVAL);
	bad = k;
	memset(bad.mac, 0xff, MAC_LEN);
	assert_int_equal(cluster_key_format("/vxnet", &bad, buf, sizeof(buf)), -EINVAL);
	bad = k;
	bad.kind = CLUSTER_IPAM; /* no address */
	assert_int_equal(cluster_key_format("/vxnet", &bad, buf, sizeof(buf)), -EINVAL);
	bad.kind = 0;
	assert_int_equal(cluster_key_format("/vxnet", &bad, buf, sizeof(buf)), -EINVAL);
	bad.kind = 99;
	assert_int_equal(cluster_key_format("/vxnet", &bad, buf, sizeof(buf)), -EINVAL);
	/* The longest key fits CLUSTER_KEY_MAX. */
	{
		char longp[CLUSTER_PREFIX_MAX + 1];

		memset(longp, 'p', CLUSTER_PREFIX_MAX);
		longp[0] = '/';
		longp[CLUSTER_PREFIX_MAX] = '\0';
		bad = k;
		memset(bad.network, 'n', CLUSTER_NAME_MAX);
		bad.network[CLUSTER_NAME_MAX] = '\0';
		memset(bad.host, 'h', CLUSTER_NAME_MAX);
		bad.host[CLUSTER_NAME_MAX] = '\0';
		assert_int_equal(cluster_key_format(longp, &bad, buf, sizeof(buf)), 0);
		assert_int_equal(strlen(buf) + 1, CLUSTER_KEY_MAX);
	}
}

static void test_prefix_format_ends_with_slash_for_each_scope(void **state)
{
	char buf[CLUSTER_KEY_MAX];

	(void)state;
	assert_int_equal(cluster_prefix_format("/vxnet", 0, NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/vxnet/");
	assert_int_equal(cluster_prefix_format("/vxnet", CLUSTER_HOST, NULL, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/vxnet/hosts/");
	assert_int_equal(cluster_prefix_format("/vxnet", CLUSTER_ENDPOINT, "blue", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/vxnet/endpoints/blue/");
	assert_int_equal(cluster_prefix_format("/vxnet", CLUSTER_IPAM, "blue", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/vxnet/ipam/blue/");
	assert_int_equal(cluster_prefix_format("/vxnet", CLUSTER_NETWORK, "blue", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cluster_prefix_format("/vxnet", CLUSTER_ENDPOINT, "a/b", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cluster_prefix_format("/vxnet", 0, "blue", buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cluster_prefix_format("/vxnet", 42, NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cluster_prefix_format("/vxnet/", 0, NULL, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cluster_prefix_format("/vxnet", 0, NULL, buf, 7), -ENOSPC);
}

static void test_key_parse_refuses_every_malformed_key_and_leaves_output(void **state)
{
	static const struct {
		const char *key;
		int err;
		const char *why;
	} bad[] = {
	    {"/vxnet", -EINVAL, "key is not under the prefix"},
	    {"/vxnet/", -EINVAL, "key is not under the prefix"},
	    {"/vxnet2/networks/a", -EINVAL, "key is not under the prefix"},
	    {"/vx/networks/a", -EINVAL, "key is not under the prefix"},
	    {"vxnet/networks/a", -EINVAL, "key is not under the prefix"},
	    {"/vxnet//networks", -EINVAL, "key has an empty segment"},
	    {"/vxnet/networks/", -EINVAL, "key has an empty segment"},
	    {"/vxnet/networks//x", -EINVAL, "key has an empty segment"},
	    {"/vxnet/networks", -EINVAL, "key does not have 1 segment after its kind"},
	    {"/vxnet/networks/a/b", -EINVAL, "key does not have 1 segment after its kind"},
	    {"/vxnet/hosts/a/b", -EINVAL, "key does not have 1 segment after its kind"},
	    {"/vxnet/networks/a b", -EINVAL, "name contains a byte other than letters, digits, '.', '_' and '-'"},
	    {"/vxnet/hosts/-h", -EINVAL, "name does not start with a letter or a digit"},
	    {"/vxnet/hosts/"
	     "a234567890123456789012345678901234567890123456789012345678901234x",
	     -EINVAL, "name is longer than 64 bytes"},
	    {"/vxnet/endpoints/blue/02:42:0a:01:00:02", -EINVAL,
	     "key does not have 3 segments (network, mac, host) after its kind"},
	    {"/vxnet/endpoints/blue/02:42:0a:01:00:02/h1/x", -EINVAL,
	     "key does not have 3 segments (network, mac, host) after its kind"},
	    {"/vxnet/endpoints/blue/02-42-0a-01-00-02/h1", -EINVAL, "key's MAC is not aa:bb:cc:dd:ee:ff"},
	    {"/vxnet/endpoints/blue/2:42:0a:01:00:02/h1", -EINVAL, "key's MAC is not aa:bb:cc:dd:ee:ff"},
	    {"/vxnet/endpoints/blue/02:42:0a:01:00:0g/h1", -EINVAL, "key's MAC is not aa:bb:cc:dd:ee:ff"},
	    {"/vxnet/endpoints/blue/02:42:0A:01:00:02/h1", -EINVAL, "key's MAC is not in lower case"},
	    {"/vxnet/endpoints/blue/01:00:5e:00:00:01/h1", -EINVAL, "key's MAC is multicast or all zeros"},
	    {"/vxnet/endpoints/blue/00:00:00:00:00:00/h1", -EINVAL, "key's MAC is multicast or all zeros"},
	    {"/vxnet/endpoints/blue/ff:ff:ff:ff:ff:ff/h1", -EINVAL, "key's MAC is multicast or all zeros"},
	    {"/vxnet/endpoints/b.lue!/02:42:0a:01:00:02/h1", -EINVAL,
	     "name contains a byte other than letters, digits, '.', '_' and '-'"},
	    {"/vxnet/endpoints/blue/02:42:0a:01:00:02/.h", -EINVAL, "name does not start with a letter or a digit"},
	    {"/vxnet/ipam/blue", -EINVAL, "key does not have 2 segments (network, ip) after its kind"},
	    {"/vxnet/ipam/blue/10.1.0.2/x", -EINVAL, "key does not have 2 segments (network, ip) after its kind"},
	    {"/vxnet/ipam/blue/10.1.0.256", -EINVAL, "key's address is not an IPv4 or IPv6 address"},
	    {"/vxnet/ipam/blue/10.1.0.2%eth0", -EINVAL, "key's address is not an IPv4 or IPv6 address"},
	    {"/vxnet/ipam/blue/0123456789012345678901234567890123456789012345678", -EINVAL,
	     "key's address is not an IPv4 or IPv6 address"},
	    {"/vxnet/ipam/blue/2001:DB8::2", -EINVAL, "key's address is not in canonical form"},
	    {"/vxnet/ipam/blue/2001:db8:0::2", -EINVAL, "key's address is not in canonical form"},
	    {"/vxnet/ipam/blue/::ffff:10.1.0.2", 0, NULL},
	    {"/vxnet/bgp/x", -EOPNOTSUPP, "key's kind is unknown to this version"},
	    {"/vxnet/policies/a/b/c/d/e", -EOPNOTSUPP, "key's kind is unknown to this version"},
	    {"/vxnet/-x/y", -EINVAL, "key's kind is not a valid name"},
	};
	struct cluster_key out, untouched;
	const char *why;

	(void)state;
	memset(&untouched, 0x5a, sizeof(untouched));
	for (size_t i = 0; i < N(bad); i++) {
		out = untouched;
		why = NULL;
		int rc = cluster_key_parse("/vxnet", bad[i].key, strlen(bad[i].key), &out, &why);

		if (rc != bad[i].err)
			fail_msg("%s: %d, want %d (%s)", bad[i].key, rc, bad[i].err, why ? why : "");
		if (rc)
			assert_memory_equal(&out, &untouched, sizeof(out));
		if (bad[i].why)
			expect_reason(why, bad[i].why);
	}
	/* A NUL inside the bytes, and a bad prefix argument. */
	assert_int_equal(cluster_key_parse("/vxnet", "/vxnet/hosts/a\0b", 16, &out, &why), -EINVAL);
	expect_reason(why, "key contains a NUL byte");
	assert_int_equal(cluster_key_parse("/vxnet/", "/vxnet/hosts/a", 14, &out, &why), -EINVAL);
	expect_reason(why, "prefix ends with '/' (or is only '/')");
}

static void test_subnets_must_be_network_addresses_in_range(void **state)
{
	static const struct {
		const char *s;
		const char *addr;
		unsigned plen;
	} ok[] = {
	    {"10.1.0.0/24", "10.1.0.0", 24},
	    {"192.0.2.0/30", "192.0.2.0", 30},
	    {"10.0.0.0/8", "10.0.0.0", 8},
	    {"2001:db8::/64", "2001:db8::", 64},
	    {"2001:db8:1::/126", "2001:db8:1::", 126},
	    {"0.0.0.0/1", "0.0.0.0", 1},
	};
	static const struct {
		const char *s;
		const char *why;
	} bad[] = {
	    {"10.1.0.0", "subnet has no '/' prefix length"},
	    {"10.1.0/24", "subnet address is not an IPv4 or IPv6 address"},
	    {"/24", "subnet address is not an IPv4 or IPv6 address"},
	    {"10.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0/24",
	     "subnet address is not an IPv4 or IPv6 address"},
	    {"10.1.0.0/", "subnet prefix length is not a decimal number"},
	    {"10.1.0.0/024", "subnet prefix length is not a decimal number"},
	    {"10.1.0.0/2x", "subnet prefix length is not a decimal number"},
	    {"10.1.0.0/+24", "subnet prefix length is not a decimal number"},
	    {"10.1.0.0/99999999999999999999", "subnet prefix length is not a decimal number"},
	    {"10.1.0.0/0", "subnet prefix length out of range (IPv4 1..30, IPv6 1..126)"},
	    {"10.1.0.0/31", "subnet prefix length out of range (IPv4 1..30, IPv6 1..126)"},
	    {"10.1.0.0/33", "subnet prefix length out of range (IPv4 1..30, IPv6 1..126)"},
	    {"2001:db8::/127", "subnet prefix length out of range (IPv4 1..30, IPv6 1..126)"},
	    {"10.1.0.1/24", "subnet is not a network address (host bits set)"},
	    {"10.1.0.128/24", "subnet is not a network address (host bits set)"},
	    {"10.1.1.0/23", "subnet is not a network address (host bits set)"},
	    {"2001:db8::1/64", "subnet is not a network address (host bits set)"},
	    {"239.1.0.0/16", "subnet is multicast or loopback"},
	    {"127.0.0.0/8", "subnet is multicast or loopback"},
	    {"ff02::/16", "subnet is multicast or loopback"},
	};
	struct cluster_subnet sn, untouched;
	struct vx_addr a;
	char buf[ADDR_STRLEN + 4];
	const char *why;

	(void)state;
	for (size_t i = 0; i < N(ok); i++) {
		assert_int_equal(cluster_subnet_parse(ok[i].s, &sn, NULL), 0);
		assert_int_equal(addr_parse(ok[i].addr, &a), 0);
		assert_true(addr_equal(&sn.addr, &a));
		assert_int_equal(sn.plen, ok[i].plen);
		assert_int_equal(cluster_subnet_format(&sn, buf, sizeof(buf)), 0);
		assert_string_equal(buf, ok[i].s);
	}
	memset(&untouched, 0x33, sizeof(untouched));
	for (size_t i = 0; i < N(bad); i++) {
		sn = untouched;
		why = NULL;
		if (cluster_subnet_parse(bad[i].s, &sn, &why) != -EINVAL)
			fail_msg("%s accepted", bad[i].s);
		expect_reason(why, bad[i].why);
		assert_memory_equal(&sn, &untouched, sizeof(sn));
	}
	assert_int_equal(cluster_subnet_format(&untouched, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(cluster_subnet_parse("10.1.0.0/24", &sn, NULL), 0);
	assert_int_equal(cluster_subnet_format(&sn, buf, 11), -ENOSPC);
}

static void test_endpoint_addresses_must_be_usable_in_the_subnet(void **state)
{
	static const struct {
		const char *subnet, *ip;
		const char *why; /* NULL: accepted */
	} t[] = {
	    {"10.1.0.0/24", "10.1.0.1", NULL},
	    {"10.1.0.0/24", "10.1.0.254", NULL},
	    {"10.1.0.0/24", "10.1.0.0", "ip is the subnet's network address"},
	    {"10.1.0.0/24", "10.1.0.255", "ip is the subnet's broadcast address"},
	    {"10.1.0.0/24", "10.1.1.1", "ip is outside the network's subnet"},
	    {"10.1.0.0/23", "10.1.1.1", NULL},
	    {"10.1.0.0/23", "10.1.2.1", "ip is outside the network's subnet"},
	    {"10.1.0.0/20", "10.1.15.255", "ip is the subnet's broadcast address"},
	    {"10.1.0.0/24", "2001:db8::1", "ip is not of the subnet's address family"},
	    {"2001:db8::/64", "2001:db8::1", NULL},
	    {"2001:db8::/64", "2001:db8::ffff:ffff:ffff:ffff", NULL}, /* no broadcast in IPv6 */
	    {"2001:db8::/64", "2001:db8::", "ip is the subnet's network address"},
	    {"2001:db8::/64", "2001:db8:0:1::1", "ip is outside the network's subnet"},
	    {"2001:db8::/64", "10.1.0.1", "ip is not of the subnet's address family"},
	};
	struct cluster_subnet sn;
	struct vx_addr ip;
	const char *why;

	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		assert_int_equal(cluster_subnet_parse(t[i].subnet, &sn, NULL), 0);
		assert_int_equal(addr_parse(t[i].ip, &ip), 0);
		why = NULL;
		if (!t[i].why) {
			if (cluster_addr_check(&sn, &ip, &why))
				fail_msg("%s in %s refused: %s", t[i].ip, t[i].subnet, why);
			assert_true(cluster_subnet_contains(&sn, &ip));
		} else {
			assert_int_equal(cluster_addr_check(&sn, &ip, &why), -EINVAL);
			expect_reason(why, t[i].why);
		}
	}
	memset(&ip, 0, sizeof(ip));
	assert_int_equal(cluster_addr_check(&sn, &ip, &why), -EINVAL);
	expect_reason(why, "ip is not an IPv4 or IPv6 address");
}

static void test_subnet_host_walks_usable_addresses_only(void **state)
{
	struct cluster_subnet sn;
	struct vx_addr a, want;

	(void)state;
	assert_int_equal(cluster_subnet_parse("10.1.0.0/24", &sn, NULL), 0);
	assert_int_equal(cluster_subnet_host(&sn, 0, &a), -ERANGE);
	assert_int_equal(cluster_subnet_host(&sn, 1, &a), 0);
	addr_parse("10.1.0.1", &want);
	assert_true(addr_equal(&a, &want));
	assert_int_equal(cluster_subnet_host(&sn, 254, &a), 0);
	addr_parse("10.1.0.254", &want);
	assert_true(addr_equal(&a, &want));
	assert_int_equal(cluster_subnet_host(&sn, 255, &a), -ERANGE); /* broadcast */
	assert_int_equal(cluster_subnet_parse("10.1.0.0/22", &sn, NULL), 0);
	assert_int_equal(cluster_subnet_host(&sn, 513, &a), 0);
	addr_parse("10.1.2.1", &want);
	assert_true(addr_equal(&a, &want));
	assert_int_equal(cluster_subnet_host(&sn, 1022, &a), 0);
	assert_int_equal(cluster_addr_check(&sn, &a, NULL), 0);
	assert_int_equal(cluster_subnet_host(&sn, 1023, &a), -ERANGE);
	assert_int_equal(cluster_subnet_parse("2001:db8::/126", &sn, NULL), 0);
	assert_int_equal(cluster_subnet_host(&sn, 3, &a), 0);
	addr_parse("2001:db8::3", &want);
	assert_true(addr_equal(&a, &want));
	assert_int_equal(cluster_subnet_host(&sn, 4, &a), -ERANGE);
	assert_int_equal(cluster_subnet_parse("2001:db8::/64", &sn, NULL), 0);
	assert_int_equal(cluster_subnet_host(&sn, UINT64_MAX, &a), 0);
	addr_parse("2001:db8::ffff:ffff:ffff:ffff", &want);
	assert_true(addr_equal(&a, &want));
	assert_int_equal(cluster_subnet_parse("2001:db8::/32", &sn, NULL), 0);
	assert_int_equal(cluster_subnet_host(&sn, 0x10203, &a), 0);
	addr_parse("2001:db8::1:203", &want);
	assert_true(addr_equal(&a, &want));
	memset(&sn, 0, sizeof(sn));
	assert_int_equal(cluster_subnet_host(&sn, 1, &a), -EINVAL);
}

static void test_default_mac_is_02_42_and_the_last_four_address_bytes(void **state)
{
	struct vx_addr a;
	uint8_t mac[MAC_LEN];
	static const uint8_t want4[MAC_LEN] = {0x02, 0x42, 0x0a, 0x01, 0x00, 0x02};
	static const uint8_t want6[MAC_LEN] = {0x02, 0x42, 0x00, 0x00, 0xbe, 0xef};

	(void)state;
	addr_parse("10.1.0.2", &a);
	assert_int_equal(cluster_mac_from_ip(&a, mac), 0);
	assert_memory_equal(mac, want4, MAC_LEN);
	addr_parse("2001:db8::beef", &a);
	assert_int_equal(cluster_mac_from_ip(&a, mac), 0);
	assert_memory_equal(mac, want6, MAC_LEN);
	memset(&a, 0, sizeof(a));
	assert_int_equal(cluster_mac_from_ip(&a, mac), -EINVAL);
}

static void test_older_claim_wins_and_ties_break_by_host(void **state)
{
	(void)state;
	assert_true(cluster_claim_cmp(5, "zeta", 9, "alpha") < 0);
	assert_true(cluster_claim_cmp(9, "alpha", 5, "zeta") > 0);
	assert_true(cluster_claim_cmp(7, "h1", 7, "h2") < 0);
	assert_true(cluster_claim_cmp(7, "h2", 7, "h1") > 0);
	assert_int_equal(cluster_claim_cmp(7, "h1", 7, "h1"), 0);
	/* 64-bit revisions compare as such, not truncated. */
	assert_true(cluster_claim_cmp(INT64_C(0x100000001), "a", 2, "a") > 0);
}

/* Decode rows: a value, and NULL for accepted or the reason. */
struct row {
	const char *json;
	const char *why;
};

static void test_network_values_decode_with_defaults_and_ignore_unknown_fields(void **state)
{
	struct cluster_network n;
	struct vx_addr a;

	(void)state;
	assert_int_equal(cluster_network_decode("{\"vni\":42,\"subnet\":\"10.1.0.0/24\"}", 33, &n, NULL), 0);
	assert_int_equal(n.vni, 42);
	addr_parse("10.1.0.0", &a);
	assert_true(addr_equal(&n.subnet.addr, &a));
	assert_int_equal(n.subnet.plen, 24);
	assert_int_equal(n.mtu, CLUSTER_MTU_DEFAULT);
	assert_int_equal(n.dstport, CLUSTER_DSTPORT_DEFAULT);
	assert_int_equal(n.datapath, CLUSTER_DP_USER);
	{
		const char *j = "{\"vni\":16777215,\"subnet\":\"2001:db8::/64\",\"mtu\":9000,\"dstport\":8472,"
				"\"datapath\":\"kernel\",\"added_in_v2\":{\"x\":[1,2]},\"comment\":\"hi\"}";

		assert_int_equal(cluster_network_decode(j, strlen(j), &n, NULL), 0);
		assert_int_equal(n.vni, 16777215);
		assert_int_equal(n.mtu, 9000);
		assert_int_equal(n.dstport, 8472);
		assert_int_equal(n.datapath, CLUSTER_DP_KERNEL);
		assert_int_equal(n.subnet.addr.family, AF_INET6);
	}
}

static void test_network_values_refuse_every_bad_field(void **state)
{
	char big[CLUSTER_VALUE_MAX + 64];
	static const struct row bad[] = {
	    {"", "value is not valid JSON"},
	    {"{", "value is not valid JSON"},
	    {"{\"vni\":1,\"subnet\":\"10.1.0.0/24\"} x", "value is not valid JSON"},
	    {"{\"vni\":99999999999999999999999,\"subnet\":\"10.1.0.0/24\"}", "value is not valid JSON"},
	    {"[1]", "value is not a JSON object"},
	    {"\"vni\"", "value is not a JSON object"},
	    {"null", "value is not a JSON object"},
	    {"{\"vni\":1,\"vni\":2,\"subnet\":\"10.1.0.0/24\"}", "value has a duplicate field"},
	    {"{\"subnet\":\"10.1.0.0/24\"}", "vni is missing"},
	    {"{\"vni\":\"42\",\"subnet\":\"10.1.0.0/24\"}", "vni is not an integer"},
	    {"{\"vni\":42.0,\"subnet\":\"10.1.0.0/24\"}", "vni is not an integer"},
	    {"{\"vni\":4.2e1,\"subnet\":\"10.1.0.0/24\"}", "vni is not an integer"},
	    {"{\"vni\":true,\"subnet\":\"10.1.0.0/24\"}", "vni is not an integer"},
	    {"{\"vni\":null,\"subnet\":\"10.1.0.0/24\"}", "vni is not an integer"},
	    {"{\"vni\":0,\"subnet\":\"10.1.0.0/24\"}", "vni is out of range 1..16777215"},
	    {"{\"vni\":-1,\"subnet\":\"10.1.0.0/24\"}", "vni is out of range 1..16777215"},
	    {"{\"vni\":16777216,\"subnet\":\"10.1.0.0/24\"}", "vni is out of range 1..16777215"},
	    {"{\"vni\":4294967338,\"subnet\":\"10.1.0.0/24\"}", "vni is out of range 1..16777215"}, /* 2^32 + 42 */
	    {"{\"vni\":9223372036854775807,\"subnet\":\"10.1.0.0/24\"}", "vni is out of range 1..16777215"},
	    {"{\"vni\":42}", "subnet is missing"},
	    {"{\"vni\":42,\"subnet\":24}", "subnet is not a string"},
	    {"{\"vni\":42,\"subnet\":\"10.1.0.1/24\"}", "subnet is not a network address (host bits set)"},
	    {"{\"vni\":42,\"subnet\":\"10.1.0.0\"}", "subnet has no '/' prefix length"},
	    {"{\"vni\":42,\"subnet\":\"10.1.0.0/24\",\"mtu\":\"1450\"}", "mtu is not an integer"},
	    {"{\"vni\":42,\"subnet\":\"10.1.0.0/24\",\"mtu\":67}", "mtu is out of range 68..65535"},
	    {"{\"vni\":42,\"subnet\":\"10.1.0.0/24\",\"mtu\":65536}", "mtu is out of range 68..65535"},
	    {"{\"vni\":42,\"subnet\":\"2001:db8::/64\",\"mtu\":1279}", "mtu is below 1280 for an IPv6 subnet"},
	    {"{\"vni\":42,\"subnet\":\"10.1.0.0/24\",\"dstport\":[4789]}", "dstport is not an integer"},
	    {"{\"vni\":42,\"subnet\":\"10.1.0.0/24\",\"dstport\":0}", "dstport is out of range 1..65535"},
	    {"{\"vni\":42,\"subnet\":\"10.1.0.0/24\",\"dstport\":65536}", "dstport is out of range 1..65535"},
	    {"{\"vni\":42,\"subnet\":\"10.1.0.0/24\",\"datapath\":1}", "datapath is not a string"},
	    {"{\"vni\":42,\"subnet\":\"10.1.0.0/24\",\"datapath\":\"User\"}",
	     "datapath is neither \"user\" nor \"kernel\""},
	    {"{\"vni\":42,\"subnet\":\"10.1.0.0/24\",\"datapath\":\"\"}",
	     "datapath is neither \"user\" nor \"kernel\""},
	};
	struct cluster_network n, untouched;
	const char *why;
	int len;

	(void)state;
	memset(&untouched, 0x77, sizeof(untouched));
	for (size_t i = 0; i < N(bad); i++) {
		n = untouched;
		why = NULL;
		if (cluster_network_decode(bad[i].json, strlen(bad[i].json), &n, &why) != -EINVAL)
			fail_msg("accepted: %s", bad[i].json);
		expect_reason(why, bad[i].why);
		assert_memory_equal(&n, &untouched, sizeof(n));
	}
	/* Too long, even if valid JSON (padded with spaces). */
	len = snprintf(big, sizeof(big), "{\"vni\":42,\"subnet\":\"10.1.0.0/24\"}");
	memset(big + len, ' ', sizeof(big) - (size_t)len);
	assert_int_equal(cluster_network_decode(big, CLUSTER_VALUE_MAX, &n, &why), 0);
	assert_int_equal(cluster_network_decode(big, CLUSTER_VALUE_MAX + 1, &n, &why), -EINVAL);
	expect_reason(why, "value is longer than 4096 bytes");
	assert_int_equal(cluster_network_decode(NULL, 0, &n, &why), -EINVAL);
	expect_reason(why, "value is missing");
	/* Exactly len bytes are read: a valid value followed by junk beyond len. */
	assert_int_equal(cluster_network_decode("{\"vni\":42,\"subnet\":\"10.1.0.0/24\"}junk", 33, &n, NULL), 0);
}

static void test_host_values_need_a_unicast_underlay(void **state)
{
	static const struct row t[] = {
	    {"{\"underlay\":\"192.0.2.1\"}", NULL},
	    {"{\"underlay\":\"2001:db8::1\",\"since\":12}", NULL},
	    {"{}", "underlay is missing"},
	    {"{\"underlay\":3221225985}", "underlay is not a string"},
	    {"{\"underlay\":\"192.0.2.1/24\"}", "underlay is not an IPv4 or IPv6 address"},
	    {"{\"underlay\":\"\"}", "underlay is not an IPv4 or IPv6 address"},
	    {"{\"underlay\":\"0.0.0.0\"}", "underlay is not a unicast address"},
	    {"{\"underlay\":\"::\"}", "underlay is not a unicast address"},
	    {"{\"underlay\":\"239.1.1.1\"}", "underlay is not a unicast address"},
	    {"{\"underlay\":\"192.0.2.1\",\"underlay\":\"192.0.2.2\"}", "value has a duplicate field"},
	    {"[]", "value is not a JSON object"},
	};
	struct cluster_host h, untouched;
	struct vx_addr a;
	const char *why;

	(void)state;
	memset(&untouched, 0x44, sizeof(untouched));
	for (size_t i = 0; i < N(t); i++) {
		h = untouched;
		why = NULL;
		int rc = cluster_host_decode(t[i].json, strlen(t[i].json), &h, &why);

		if (!t[i].why) {
			if (rc)
				fail_msg("refused %s: %s", t[i].json, why);
		} else {
			assert_int_equal(rc, -EINVAL);
			expect_reason(why, t[i].why);
			assert_memory_equal(&h, &untouched, sizeof(h));
		}
	}
	assert_int_equal(cluster_host_decode("{\"underlay\":\"192.0.2.1\"}", 24, &h, NULL), 0);
	addr_parse("192.0.2.1", &a);
	assert_true(addr_equal(&h.underlay, &a));
}

static void test_endpoint_values_need_an_ip(void **state)
{
	static const struct row t[] = {
	    {"{\"ip\":\"10.1.0.2\"}", NULL},
	    {"{\"ip\":\"2001:db8::2\",\"ifname\":\"eth0\"}", NULL},
	    {"{}", "ip is missing"},
	    {"{\"IP\":\"10.1.0.2\"}", "ip is missing"},
	    {"{\"ip\":[\"10.1.0.2\"]}", "ip is not a string"},
	    {"{\"ip\":\"10.1.0.2/24\"}", "ip is not an IPv4 or IPv6 address"},
	    {"{\"ip\":\"10.1.0.2 \"}", "ip is not an IPv4 or IPv6 address"},
	    {"{\"ip\":\"10.1.0.2\\u0000\"}", "value is not valid JSON"},
	};
	struct cluster_endpoint ep, untouched;
	const char *why;

	(void)state;
	memset(&untouched, 0x21, sizeof(untouched));
	for (size_t i = 0; i < N(t); i++) {
		ep = untouched;
		why = NULL;
		int rc = cluster_endpoint_decode(t[i].json, strlen(t[i].json), &ep, &why);

		if (!t[i].why) {
			if (rc)
				fail_msg("refused %s: %s", t[i].json, why);
		} else {
			assert_int_equal(rc, -EINVAL);
			expect_reason(why, t[i].why);
			assert_memory_equal(&ep, &untouched, sizeof(ep));
		}
	}
}

static void test_ipam_values_need_an_owner_and_a_good_mac(void **state)
{
	static const struct row t[] = {
	    {"{\"host\":\"h1\"}", NULL},
	    {"{\"host\":\"h1\",\"mac\":\"02:42:0a:01:00:02\"}", NULL},
	    {"{\"host\":\"h1\",\"mac\":\"02:42:0A:01:00:02\",\"netns\":\"/run/netns/c1\"}", NULL},
	    {"{}", "host is missing"},
	    {"{\"host\":7}", "host is not a string"},
	    {"{\"host\":\"\"}", "name is empty"},
	    {"{\"host\":\"a/b\"}", "name contains '/'"},
	    {"{\"host\":\"a234567890123456789012345678901234567890123456789012345678901234x\"}",
	     "name is longer than 64 bytes"},
	    {"{\"host\":\"h1\",\"mac\":2}", "mac is not a string"},
	    {"{\"host\":\"h1\",\"mac\":\"02:42:0a:01:00\"}", "mac is not aa:bb:cc:dd:ee:ff"},
	    {"{\"host\":\"h1\",\"mac\":\"01:00:5e:00:00:01\"}", "mac is multicast or all zeros"},
	    {"{\"host\":\"h1\",\"mac\":\"00:00:00:00:00:00\"}", "mac is multicast or all zeros"},
	};
	struct cluster_ipam c, untouched;
	const char *why;

	(void)state;
	memset(&untouched, 0x13, sizeof(untouched));
	for (size_t i = 0; i < N(t); i++) {
		c = untouched;
		why = NULL;
		int rc = cluster_ipam_decode(t[i].json, strlen(t[i].json), &c, &why);

		if (!t[i].why) {
			if (rc)
				fail_msg("refused %s: %s", t[i].json, why);
			assert_string_equal(c.host, "h1");
		} else {
			assert_int_equal(rc, -EINVAL);
			expect_reason(why, t[i].why);
			assert_memory_equal(&c, &untouched, sizeof(c));
		}
	}
	assert_int_equal(cluster_ipam_decode("{\"host\":\"h1\"}", 13, &c, NULL), 0);
	assert_false(c.has_mac);
	assert_int_equal(cluster_ipam_decode("{\"host\":\"h1\",\"mac\":\"02:42:0a:01:00:02\"}", 39, &c, NULL), 0);
	assert_true(c.has_mac);
	assert_int_equal(c.mac[5], 2);
}

static void test_encoders_round_trip_and_refuse_what_decoders_would(void **state)
{
	struct cluster_network n = {.vni = 4242, .mtu = 1400, .dstport = 4789, .datapath = CLUSTER_DP_KERNEL}, n2, bad;
	struct cluster_host h, h2;
	struct cluster_endpoint ep, ep2;
	struct cluster_ipam c = {.host = "h1", .has_mac = true, .mac = {2, 0x42, 10, 1, 0, 2}}, c2;
	char *s;
	size_t len;

	(void)state;
	assert_int_equal(cluster_subnet_parse("10.1.0.0/24", &n.subnet, NULL), 0);
	assert_int_equal(cluster_network_encode(&n, &s, &len), 0);
	assert_string_equal(
	    s, "{\"vni\":4242,\"subnet\":\"10.1.0.0/24\",\"mtu\":1400,\"dstport\":4789,\"datapath\":\"kernel\"}");
	assert_int_equal(len, strlen(s));
	assert_int_equal(cluster_network_decode(s, len, &n2, NULL), 0);
	assert_int_equal(n2.vni, n.vni);
	assert_int_equal(n2.mtu, n.mtu);
	assert_int_equal(n2.datapath, n.datapath);
	assert_true(addr_equal(&n2.subnet.addr, &n.subnet.addr));
	free(s);
	bad = n;
	bad.vni = 0;
	assert_int_equal(cluster_network_encode(&bad, &s, NULL), -EINVAL);
	bad = n;
	bad.vni = CLUSTER_VNI_MAX + 1;
	assert_int_equal(cluster_network_encode(&bad, &s, NULL), -EINVAL);
	bad = n;
	bad.dstport = 0;
	assert_int_equal(cluster_network_encode(&bad, &s, NULL), -EINVAL);
	bad = n;
	bad.mtu = 67;
	assert_int_equal(cluster_network_encode(&bad, &s, NULL), -EINVAL);
	bad = n;
	bad.datapath = 7;
	assert_int_equal(cluster_network_encode(&bad, &s, NULL), -EINVAL);
	bad = n;
	bad.subnet.plen = 31;
	assert_int_equal(cluster_network_encode(&bad, &s, NULL), -EINVAL);
	bad = n;
	addr_parse("10.1.0.1", &bad.subnet.addr); /* host bits set */
	assert_int_equal(cluster_network_encode(&bad, &s, NULL), -EINVAL);
	bad = n;
	assert_int_equal(cluster_subnet_parse("2001:db8::/64", &bad.subnet, NULL), 0);
	bad.mtu = 1279;
	assert_int_equal(cluster_network_encode(&bad, &s, NULL), -EINVAL);

	addr_parse("2001:db8::7", &h.underlay);
	assert_int_equal(cluster_host_encode(&h, &s, &len), 0);
	assert_string_equal(s, "{\"underlay\":\"2001:db8::7\"}");
	assert_int_equal(cluster_host_decode(s, len, &h2, NULL), 0);
	assert_true(addr_equal(&h.underlay, &h2.underlay));
	free(s);
	addr_parse("239.0.0.1", &h.underlay);
	assert_int_equal(cluster_host_encode(&h, &s, NULL), -EINVAL);
	memset(&h, 0, sizeof(h));
	assert_int_equal(cluster_host_encode(&h, &s, NULL), -EINVAL);

	addr_parse("10.1.0.2", &ep.ip);
	assert_int_equal(cluster_endpoint_encode(&ep, &s, &len), 0);
	assert_string_equal(s, "{\"ip\":\"10.1.0.2\"}");
	assert_int_equal(cluster_endpoint_decode(s, len, &ep2, NULL), 0);
	assert_true(addr_equal(&ep.ip, &ep2.ip));
	free(s);
	memset(&ep, 0, sizeof(ep));
	assert_int_equal(cluster_endpoint_encode(&ep, &s, NULL), -EINVAL);

	assert_int_equal(cluster_ipam_encode(&c, &s, &len), 0);
	assert_string_equal(s, "{\"host\":\"h1\",\"mac\":\"02:42:0a:01:00:02\"}");
	assert_int_equal(cluster_ipam_decode(s, len, &c2, NULL), 0);
	assert_true(c2.has_mac);
	assert_memory_equal(c2.mac, c.mac, MAC_LEN);
	free(s);
	c.has_mac = false;
	assert_int_equal(cluster_ipam_encode(&c, &s, NULL), 0);
	assert_string_equal(s, "{\"host\":\"h1\"}");
	free(s);
	strcpy(c.host, "a/b");
	assert_int_equal(cluster_ipam_encode(&c, &s, NULL), -EINVAL);
	strcpy(c.host, "h1");
	c.has_mac = true;
	memset(c.mac, 0, MAC_LEN);
	assert_int_equal(cluster_ipam_encode(&c, &s, NULL), -EINVAL);
}

static void test_decoders_refuse_a_null_output(void **state)
{
	const char *why;

	(void)state;
	why = NULL;
	assert_int_equal(cluster_network_decode("{}", 2, NULL, &why), -EINVAL);
	expect_reason(why, "no output");
	why = NULL;
	assert_int_equal(cluster_host_decode("{}", 2, NULL, &why), -EINVAL);
	expect_reason(why, "no output");
	why = NULL;
	assert_int_equal(cluster_endpoint_decode("{}", 2, NULL, &why), -EINVAL);
	expect_reason(why, "no output");
	why = NULL;
	assert_int_equal(cluster_ipam_decode("{}", 2, NULL, &why), -EINVAL);
	expect_reason(why, "no output");
}

static void test_names_of_kinds_and_datapaths(void **state)
{
	(void)state;
	assert_string_equal(cluster_kind_name(CLUSTER_ENDPOINT), "endpoints");
	assert_null(cluster_kind_name(0));
	assert_null(cluster_kind_name(99));
	assert_string_equal(cluster_datapath_name(CLUSTER_DP_KERNEL), "kernel");
	assert_null(cluster_datapath_name(0));
}

/* Runs last: every reason of the module was produced by some row above. */
static void test_every_refusal_reason_is_covered(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(all_reasons); i++)
		if (!reason_seen[i])
			fail_msg("no test row produces \"%s\"", all_reasons[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names_accept_the_safe_charset_and_refuse_the_rest),
	    cmocka_unit_test(test_prefixes_are_absolute_without_trailing_or_double_slash),
	    cmocka_unit_test(test_keys_format_and_parse_back_for_every_kind),
	    cmocka_unit_test(test_key_format_refuses_bad_parts_and_small_buffers),
	    cmocka_unit_test(test_prefix_format_ends_with_slash_for_each_scope),
	    cmocka_unit_test(test_key_parse_refuses_every_malformed_key_and_leaves_output),
	    cmocka_unit_test(test_subnets_must_be_network_addresses_in_range),
	    cmocka_unit_test(test_endpoint_addresses_must_be_usable_in_the_subnet),
	    cmocka_unit_test(test_subnet_host_walks_usable_addresses_only),
	    cmocka_unit_test(test_default_mac_is_02_42_and_the_last_four_address_bytes),
	    cmocka_unit_test(test_older_claim_wins_and_ties_break_by_host),
	    cmocka_unit_test(test_network_values_decode_with_defaults_and_ignore_unknown_fields),
	    cmocka_unit_test(test_network_values_refuse_every_bad_field),
	    cmocka_unit_test(test_host_values_need_a_unicast_underlay),
	    cmocka_unit_test(test_endpoint_values_need_an_ip),
	    cmocka_unit_test(test_ipam_values_need_an_owner_and_a_good_mac),
	    cmocka_unit_test(test_encoders_round_trip_and_refuse_what_decoders_would),
	    cmocka_unit_test(test_decoders_refuse_a_null_output),
	    cmocka_unit_test(test_names_of_kinds_and_datapaths),
	    cmocka_unit_test(test_every_refusal_reason_is_covered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
