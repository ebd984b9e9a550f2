/* Unit tests for lib/proto.c: the VXLAN header codec, the flow hash and
 * source port mapping, proxy ARP and ND, ICMP too-big, and ECN across the
 * tunnel (RFC 6040). Test frames are
 * built by hand here; checksums are verified with the test's own RFC 1071
 * sum, not with the library's helpers. */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../common/ref.h"
#include "vxnet/proto.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const uint8_t MAC_A[MAC_LEN] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t MAC_B[MAC_LEN] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};
static const uint8_t MAC_US[MAC_LEN] = {0x02, 0x42, 0xc0, 0xa8, 0x00, 0x03};
static const uint8_t MAC_BCAST[MAC_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t IP4_A[4] = {192, 0, 2, 1};
static const uint8_t IP4_B[4] = {192, 0, 2, 2};
static const uint8_t IP6_A[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x01};
static const uint8_t IP6_B[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0x02};
static const uint8_t IP6_ANY[16] = {0};
static const uint8_t IP6_ALL_NODES[16] = {0xff, 0x02, [15] = 0x01};

/* ---- helpers: byte order, reference checksum, frame builders ---- */

static uint64_t ref_pseudo6(const uint8_t *ip6, size_t ulen)
{
	uint64_t s = 0;

	for (int i = 8; i < 40; i += 2)
		s += get16(ip6 + i);
	return s + ulen + 58;
}

static size_t put_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t vlan, uint16_t type)
{
	memcpy(f, dst, MAC_LEN);
	memcpy(f + 6, src, MAC_LEN);
	if (vlan) {
		put16(f + 12, 0x8100);
		put16(f + 14, vlan);
		put16(f + 16, type);
		return 18;
	}
	put16(f + 12, type);
	return 14;
}

struct v4spec {
	const uint8_t *eth_dst;
	uint16_t vlan;
	const uint8_t *src, *dst;
	uint8_t proto;
	uint16_t frag; /* flags and offset field as on the wire */
	uint16_t sport, dport;
	uint8_t icmp_type;
	size_t total; /* IP total length */
};

static size_t mk_ipv4(uint8_t *f, const struct v4spec *s)
{
	size_t off = put_eth(f, s->eth_dst ? s->eth_dst : MAC_B, MAC_A, s->vlan, 0x0800);
	uint8_t *ip = f + off;

	for (size_t i = 0; i < s->total; i++)
		ip[i] = (uint8_t)(i * 7 + 3);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)s->total);
	put16(ip + 4, 0x1234);
	put16(ip + 6, s->frag);
	ip[8] = 64;
	ip[9] = s->proto;
	memcpy(ip + 12, s->src ? s->src : IP4_A, 4);
	memcpy(ip + 16, s->dst ? s->dst : IP4_B, 4);
	put16(ip + 10, (uint16_t)~ref_sum(0, ip, 20));
	if (s->proto == 6 || s->proto == 17) {
		put16(ip + 20, s->sport);
		put16(ip + 22, s->dport);
	} else if (s->proto == 1) {
		ip[20] = s->icmp_type;
		ip[21] = 0;
	}
	return off + s->total;
}

struct v6spec {
	const uint8_t *eth_dst;
	const uint8_t *src, *dst;
	uint8_t nh;	   /* upper layer */
	int frag;	   /* put a fragment header first */
	uint16_t frag_off; /* its offset/flags field */
	uint16_t sport, dport;
	uint8_t icmp_type;
	size_t total; /* whole IPv6 packet */
};

static size_t mk_ipv6(uint8_t *f, const struct v6spec *s)
{
	size_t off = put_eth(f, s->eth_dst ? s->eth_dst : MAC_B, MAC_A, 0, 0x86dd);
	uint8_t *ip = f + off, *l4 = ip + 40;

	for (size_t i = 0; i < s->total; i++)
		ip[i] = (uint8_t)(i * 5 + 1);
	memset(ip, 0, 40);
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)(s->total - 40));
	ip[6] = s->nh;
	ip[7] = 64;
	memcpy(ip + 8, s->src ? s->src : IP6_A, 16);
	memcpy(ip + 24, s->dst ? s->dst : IP6_B, 16);
	if (s->frag) {
		ip[6] = 44;
		l4[0] = s->nh;
		l4[1] = 0;
		put16(l4 + 2, s->frag_off);
		l4 += 8;
	}
	if (s->nh == 6 || s->nh == 17) {
		put16(l4, s->sport);
		put16(l4 + 2, s->dport);
	} else if (s->nh == 58) {
		l4[0] = s->icmp_type;
		l4[1] = 0;
	}
	return off + s->total;
}

struct arpspec {
	uint16_t ethertype, vlan, htype, ptype, op;
	uint8_t hlen, plen;
	const uint8_t *sha, *spa, *tpa;
};

static size_t mk_arp(uint8_t *f, const struct arpspec *s)
{
	size_t off = put_eth(f, MAC_BCAST, MAC_A, s->vlan, s->ethertype ? s->ethertype : 0x0806);
	uint8_t *a = f + off;

	put16(a, s->htype ? s->htype : 1);
	put16(a + 2, s->ptype ? s->ptype : 0x0800);
	a[4] = s->hlen ? s->hlen : 6;
	a[5] = s->plen ? s->plen : 4;
	put16(a + 6, s->op ? s->op : 1);
	memcpy(a + 8, s->sha ? s->sha : MAC_A, 6);
	memcpy(a + 14, s->spa ? s->spa : IP4_A, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, s->tpa ? s->tpa : IP4_B, 4);
	return off + 28;
}

struct nsspec {
	const uint8_t *saddr, *target;
	int hop; /* 0 = 255 */
	uint8_t code;
	const uint8_t *opts; /* NULL = one source link-layer option with MAC_A */
	size_t optlen;
	int no_opts;
	int break_csum;
	int plen_extra; /* added to the IPv6 payload length field */
	uint8_t type;	/* 0 = 135 */
};

static size_t mk_ns(uint8_t *f, const struct nsspec *s)
{
	const uint8_t *target = s->target ? s->target : IP6_B;
	uint8_t sll[8] = {1, 1};
	const uint8_t *opts = s->opts ? s->opts : sll;
	size_t optlen = s->no_opts ? 0 : s->opts ? s->optlen : sizeof(sll);
	uint8_t *ip = f + 14, *icmp = ip + 40;
	size_t ulen = 24 + optlen;

	memcpy(sll + 2, MAC_A, 6);
	put_eth(f, (const uint8_t[]){0x33, 0x33, 0xff, target[13], target[14], target[15]}, MAC_A, 0, 0x86dd);
	memset(ip, 0, 40 + ulen);
	ip[0] = 0x60;
	put16(ip + 4, (uint16_t)(ulen + (size_t)s->plen_extra));
	ip[6] = 58;
	ip[7] = (uint8_t)(s->hop ? s->hop : 255);
	memcpy(ip + 8, s->saddr ? s->saddr : IP6_A, 16);
	/* solicited-node multicast of the target */
	memcpy(ip + 24, (const uint8_t[]){0xff, 0x02, [11] = 1, [12] = 0xff}, 13);
	memcpy(ip + 37, target + 13, 3);
	icmp[0] = s->type ? s->type : 135;
	icmp[1] = s->code;
	memcpy(icmp + 8, target, 16);
	memcpy(icmp + 24, opts, optlen);
	put16(icmp + 2, (uint16_t)~ref_sum(ref_pseudo6(ip, ulen), icmp, ulen));
	if (s->break_csum)
		icmp[3] ^= 0x01;
	return 14 + 40 + ulen;
}

/* ---- VXLAN header ---- */

static void test_vxlan_build_then_parse_round_trips_every_vni_width(void **state)
{
	static const uint32_t vnis[] = {0, 1, 42, 0xff, 0x100, 0xffff, 0x10000, 0x123456, 0xfffffe, 0xffffff};
	(void)state;
	for (size_t i = 0; i < N(vnis); i++) {
		uint8_t pkt[VXLAN_HLEN + 14];
		uint32_t vni = 0xdeadbeef;

		memset(pkt, 0xee, sizeof(pkt));
		assert_int_equal(proto_vxlan_build(pkt, VXLAN_HLEN, vnis[i]), 0);
		const uint8_t want[VXLAN_HLEN] = {
		    0x08, 0, 0, 0, (uint8_t)(vnis[i] >> 16), (uint8_t)(vnis[i] >> 8), (uint8_t)vnis[i], 0};
		assert_memory_equal(pkt, want, VXLAN_HLEN);
		assert_int_equal(pkt[VXLAN_HLEN], 0xee); /* wrote 8 bytes, no more */
		assert_int_equal(proto_vxlan_parse(pkt, sizeof(pkt), &vni), 0);
		assert_int_equal(vni, vnis[i]);
	}
}

static void test_vxlan_build_refuses_vni_above_24_bits_and_short_buffers(void **state)
{
	uint8_t pkt[VXLAN_HLEN];

	(void)state;
	assert_int_equal(proto_vxlan_build(pkt, sizeof(pkt), 0x1000000), -EINVAL);
	assert_int_equal(proto_vxlan_build(pkt, sizeof(pkt), 0xffffffff), -EINVAL);
	assert_int_equal(proto_vxlan_build(pkt, VXLAN_HLEN - 1, 42), -ENOSPC);
	assert_int_equal(proto_vxlan_build(pkt, sizeof(pkt), VXLAN_VNI_MAX), 0);
}

static void test_vxlan_parse_ignores_reserved_bits(void **state)
{
	static const uint8_t hdrs[][VXLAN_HLEN] = {
	    {0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x00}, /* all flags */
	    {0x88, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x00}, /* G bit (GBP) */
	    {0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x00}, /* P bit (GPE) */
	    {0x08, 0xff, 0xff, 0xff, 0x00, 0x00, 0x2a, 0x00}, /* 24 reserved */
	    {0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0xff}, /* 8 reserved */
	    {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x2a, 0xff},
	};
	(void)state;
	for (size_t i = 0; i < N(hdrs); i++) {
		uint8_t pkt[VXLAN_HLEN + 14] = {0};
		uint32_t vni = 0;

		memcpy(pkt, hdrs[i], VXLAN_HLEN);
		assert_int_equal(proto_vxlan_parse(pkt, sizeof(pkt), &vni), 0);
		assert_int_equal(vni, 42);
	}
}

static void test_vxlan_parse_without_i_flag_is_ebadmsg(void **state)
{
	static const uint8_t flags[] = {0x00, 0xf7, 0x80, 0x04, 0x01};
	(void)state;
	for (size_t i = 0; i < N(flags); i++) {
		uint8_t pkt[VXLAN_HLEN + 14] = {flags[i], 0, 0, 0, 0, 0, 42, 0};
		uint32_t vni = 7;

		assert_int_equal(proto_vxlan_parse(pkt, sizeof(pkt), &vni), -EBADMSG);
		assert_int_equal(vni, 7);
	}
}

static void test_vxlan_parse_needs_room_for_inner_ethernet(void **state)
{
	static const struct {
		size_t len;
		int ret;
	} t[] = {{0, -EMSGSIZE}, {7, -EMSGSIZE}, {8, -EMSGSIZE}, {21, -EMSGSIZE}, {22, 0}, {64, 0}};
	uint8_t pkt[64] = {0x08, 0, 0, 0, 0x12, 0x34, 0x56, 0};

	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		uint32_t vni = 0;

		assert_int_equal(proto_vxlan_parse(pkt, t[i].len, &vni), t[i].ret);
		if (t[i].ret == 0)
			assert_int_equal(vni, 0x123456);
	}
}

/* ---- flow hash and source port ---- */

static uint32_t hash_udp4(uint16_t sport, uint16_t dport, uint16_t frag)
{
	uint8_t f[128];
	size_t len =
	    mk_ipv4(f, &(struct v4spec){.proto = 17, .sport = sport, .dport = dport, .frag = frag, .total = 60});

	return proto_flow_hash(f, len);
}

static void test_flow_hash_same_flow_same_hash_across_packets(void **state)
{
	uint8_t f1[256], f2[256];
	size_t l1, l2;

	(void)state;
	/* Same 5-tuple, different payload, length, IP ID and TTL. */
	l1 = mk_ipv4(f1, &(struct v4spec){.proto = 6, .sport = 40000, .dport = 80, .total = 100});
	l2 = mk_ipv4(f2, &(struct v4spec){.proto = 6, .sport = 40000, .dport = 80, .total = 200});
	f2[14 + 4] ^= 0xff;
	f2[14 + 8] = 3;
	memset(f2 + 14 + 40, 0x99, 100);
	assert_int_equal(proto_flow_hash(f1, l1), proto_flow_hash(f2, l2));

	l1 = mk_ipv6(f1, &(struct v6spec){.nh = 17, .sport = 1234, .dport = 4321, .total = 80});
	l2 = mk_ipv6(f2, &(struct v6spec){.nh = 17, .sport = 1234, .dport = 4321, .total = 180});
	assert_int_equal(proto_flow_hash(f1, l1), proto_flow_hash(f2, l2));
}

static void test_flow_hash_distinguishes_each_flow_field(void **state)
{
	uint8_t base[128], f[128];
	size_t len = mk_ipv4(base, &(struct v4spec){.proto = 6, .sport = 40000, .dport = 80, .total = 60});
	uint32_t h0 = proto_flow_hash(base, len);
	/* Offsets of bytes that identify the flow: MACs, IPs, protocol, ports. */
	static const size_t fields[] = {0, 5, 6, 11, 14 + 9, 14 + 12, 14 + 15, 14 + 16, 14 + 19, 34, 35, 36, 37};

	(void)state;
	for (size_t i = 0; i < N(fields); i++) {
		memcpy(f, base, len);
		f[fields[i]] ^= 0x01;
		assert_int_not_equal(proto_flow_hash(f, len), h0);
	}
	/* IPv6: addresses and ports count too. */
	len = mk_ipv6(base, &(struct v6spec){.nh = 6, .sport = 1, .dport = 2, .total = 60});
	h0 = proto_flow_hash(base, len);
	static const size_t f6[] = {14 + 8, 14 + 23, 14 + 24, 14 + 39, 14 + 40, 14 + 43};
	for (size_t i = 0; i < N(f6); i++) {
		memcpy(f, base, len);
		f[f6[i]] ^= 0x80;
		assert_int_not_equal(proto_flow_hash(f, len), h0);
	}
}

static void test_flow_hash_different_ports_spread_over_source_ports(void **state)
{
	uint16_t seen[256];
	size_t distinct = 0;

	(void)state;
	for (unsigned i = 0; i < N(seen); i++) {
		uint16_t p = proto_srcport(hash_udp4((uint16_t)(40000 + i), 53, 0), 49152, 65535);
		bool dup = false;

		assert_in_range(p, 49152, 65535);
		for (size_t j = 0; j < distinct; j++)
			dup |= seen[j] == p;
		if (!dup)
			seen[distinct++] = p;
	}
	/* 256 flows into 16384 ports: ~2 collisions expected if mixed well. */
	assert_true(distinct >= 245);

	/* Low-bit and high-bit changes both move the port (avalanche). */
	assert_int_not_equal(proto_srcport(hash_udp4(1000, 53, 0), 49152, 65535),
			     proto_srcport(hash_udp4(1001, 53, 0), 49152, 65535));
	assert_int_not_equal(proto_srcport(hash_udp4(1000, 53, 0), 49152, 65535),
			     proto_srcport(hash_udp4(1000 | 0x8000, 53, 0), 49152, 65535));
}

static void test_flow_hash_ignores_ports_of_fragments(void **state)
{
	uint8_t f[128];
	size_t len;

	(void)state;
	/* IPv4: MF set, or a later fragment whose "ports" are payload bytes. */
	assert_int_equal(hash_udp4(1, 2, 0x2000), hash_udp4(3, 4, 0x2000));
	assert_int_equal(hash_udp4(1, 2, 0x00b9), hash_udp4(3, 4, 0x00b9));
	assert_int_equal(hash_udp4(1, 2, 0x2000), hash_udp4(3, 4, 0x00b9));
	assert_int_not_equal(hash_udp4(1, 2, 0), hash_udp4(3, 4, 0));
	assert_int_not_equal(hash_udp4(1, 2, 0x4000), hash_udp4(3, 4, 0x4000)); /* DF is no fragment */

	/* IPv6 fragment header. */
	len = mk_ipv6(f, &(struct v6spec){.nh = 17, .frag = 1, .frag_off = 0x0001, .sport = 1, .total = 80});
	uint32_t h1 = proto_flow_hash(f, len);
	len = mk_ipv6(f, &(struct v6spec){.nh = 17, .frag = 1, .frag_off = 0x0001, .sport = 9, .total = 80});
	assert_int_equal(proto_flow_hash(f, len), h1);
}

static void test_flow_hash_vlan_id_is_part_of_the_flow(void **state)
{
	uint8_t f[128];
	size_t len;
	uint32_t h10, h20, hnone;

	(void)state;
	len = mk_ipv4(f, &(struct v4spec){.vlan = 10, .proto = 17, .sport = 5, .dport = 6, .total = 40});
	h10 = proto_flow_hash(f, len);
	len = mk_ipv4(f, &(struct v4spec){.vlan = 20, .proto = 17, .sport = 5, .dport = 6, .total = 40});
	h20 = proto_flow_hash(f, len);
	len = mk_ipv4(f, &(struct v4spec){.proto = 17, .sport = 5, .dport = 6, .total = 40});
	hnone = proto_flow_hash(f, len);
	assert_int_not_equal(h10, h20);
	assert_int_not_equal(h10, hnone);
	/* ... and the ports behind the tag are still seen */
	len = mk_ipv4(f, &(struct v4spec){.vlan = 10, .proto = 17, .sport = 7, .dport = 6, .total = 40});
	assert_int_not_equal(proto_flow_hash(f, len), h10);
}

/* Every prefix of a frame hashes only what is inside the prefix: bytes past
 * len are changed between two calls and must not change the result. */
static void test_flow_hash_reads_nothing_past_len(void **state)
{
	uint8_t frames[4][128];
	size_t lens[4];

	(void)state;
	lens[0] = mk_ipv4(frames[0], &(struct v4spec){.proto = 6, .sport = 1, .dport = 2, .total = 60});
	lens[1] = mk_ipv4(frames[1], &(struct v4spec){.vlan = 3, .proto = 17, .sport = 1, .dport = 2, .total = 40});
	lens[2] = mk_ipv6(frames[2], &(struct v6spec){.nh = 17, .sport = 1, .dport = 2, .total = 60});
	lens[3] = mk_arp(frames[3], &(struct arpspec){0});
	for (size_t k = 0; k < N(frames); k++) {
		uint32_t prev = 0;
		size_t changes = 0;

		for (size_t l = 0; l <= lens[k]; l++) {
			uint8_t a[160], b[160];

			memset(a, 0x00, sizeof(a));
			memset(b, 0xff, sizeof(b));
			memcpy(a, frames[k], l);
			memcpy(b, frames[k], l);
			uint32_t h = proto_flow_hash(a, l);
			assert_int_equal(h, proto_flow_hash(b, l));
			changes += l && h != prev;
			prev = h;
		}
		/* short and odd frames still hash on what is there */
		assert_true(changes >= 10);
	}
}

static void test_srcport_stays_within_min_max_for_any_hash(void **state)
{
	static const struct {
		uint16_t min, max;
	} ranges[] = {
	    {49152, 65535}, {32768, 60999}, {0, 65535}, {1000, 1000}, {65535, 65535},
	    {0, 0},	    {1, 2},	    {100, 102}, {4789, 4795}, {10000, 10006},
	};
	(void)state;
	for (size_t r = 0; r < N(ranges); r++) {
		uint16_t min = ranges[r].min, max = ranges[r].max;
		uint32_t range = (uint32_t)(max - min) + 1, x = 12345;
		unsigned hits[8] = {0};

		assert_int_equal(proto_srcport(0, min, max), min);
		assert_int_equal(proto_srcport(0xffffffffu, min, max), max);
		for (int i = 0; i < 200000; i++) {
			x = x * 1664525u + 1013904223u;
			uint16_t p = proto_srcport(x, min, max);

			assert_in_range(p, min, max);
			if (range <= N(hits))
				hits[p - min]++;
		}
		/* small ranges: every port is used, roughly evenly */
		if (range <= N(hits))
			for (uint32_t i = 0; i < range; i++)
				assert_in_range(hits[i], 200000 / range * 9 / 10, 200000 / range * 11 / 10);
	}
}

/* ---- ARP ---- */

static void test_arp_parse_request_extracts_sender_and_target(void **state)
{
	uint8_t f[64] = {0};
	size_t len = mk_arp(f, &(struct arpspec){0});
	struct proto_arp_req req;

	(void)state;
	memset(&req, 0, sizeof(req));
	assert_int_equal(proto_arp_parse_request(f, len, &req), 0);
	assert_memory_equal(req.sha, MAC_A, MAC_LEN);
	assert_memory_equal(&req.spa, IP4_A, 4);
	assert_memory_equal(&req.tpa, IP4_B, 4);
	/* Ethernet pads to 60 bytes: still a request. */
	assert_int_equal(proto_arp_parse_request(f, 60, &req), 0);
	/* ARP probe (RFC 5227, sender 0.0.0.0) is a question too. */
	len = mk_arp(f, &(struct arpspec){.spa = (const uint8_t[]){0, 0, 0, 0}});
	assert_int_equal(proto_arp_parse_request(f, len, &req), 0);
}

static void test_arp_parse_refuses_malformed_and_non_requests(void **state)
{
	static const uint8_t mcast_mac[6] = {0x01, 0x00, 0x5e, 0, 0, 1}, zero_mac[6] = {0};
	static const uint8_t ip_mcast[4] = {224, 0, 0, 1}, ip_lo[4] = {127, 0, 0, 1};
	static const struct {
		const char *what;
		struct arpspec s;
		int cut; /* bytes removed from the end */
		int ret;
	} t[] = {
	    {"truncated by one byte", {0}, 1, -EBADMSG},
	    {"only the Ethernet header", {0}, 28, -EBADMSG},
	    {"shorter than Ethernet", {0}, 32, -ENOENT},
	    {"reply, not request", {.op = 2}, 0, -ENOENT},
	    {"RARP op", {.op = 3}, 0, -ENOENT},
	    {"plen 6", {.plen = 6}, 0, -EBADMSG},
	    {"hlen 8", {.hlen = 8}, 0, -EBADMSG},
	    {"htype 6", {.htype = 6}, 0, -EBADMSG},
	    {"ptype IPv6", {.ptype = 0x86dd}, 0, -EBADMSG},
	    {"IPv4 ethertype", {.ethertype = 0x0800}, 0, -ENOENT},
	    {"VLAN tagged", {.vlan = 5}, 0, -ENOENT},
	    {"gratuitous", {.tpa = IP4_A}, 0, -ENOENT},
	    {"multicast target", {.tpa = ip_mcast}, 0, -ENOENT},
	    {"loopback target", {.tpa = ip_lo}, 0, -ENOENT},
	    {"multicast sender MAC", {.sha = mcast_mac}, 0, -EBADMSG},
	    {"zero sender MAC", {.sha = zero_mac}, 0, -EBADMSG},
	};
	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		uint8_t f[64] = {0};
		size_t len = mk_arp(f, &t[i].s) - (size_t)t[i].cut;
		struct proto_arp_req req = {.spa = {0x01010101}};

		print_message("%s\n", t[i].what);
		assert_int_equal(proto_arp_parse_request(f, len, &req), t[i].ret);
		assert_int_equal(req.spa.s_addr, 0x01010101); /* failure writes nothing */
	}
}

static void test_arp_build_reply_answers_tpa_is_at_mac(void **state)
{
	uint8_t f[64], reply[64];
	struct proto_arp_req req;
	size_t len = mk_arp(f, &(struct arpspec){0});

	(void)state;
	assert_int_equal(proto_arp_parse_request(f, len, &req), 0);
	memset(reply, 0xee, sizeof(reply));
	assert_int_equal(proto_arp_build_reply(reply, sizeof(reply), &req, MAC_US), 42);
	const uint8_t want[42] = {
	    0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,			    /* eth dst = requester */
	    0x02, 0x42, 0xc0, 0xa8, 0x00, 0x03,			    /* eth src = answer */
	    0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 6,   4, 0x00, 0x02, /* reply */
	    0x02, 0x42, 0xc0, 0xa8, 0x00, 0x03, 192, 0, 2,    2,    /* sha, spa = tpa */
	    0x02, 0x00, 0x00, 0x00, 0x00, 0x0a, 192, 0, 2,    1,    /* tha, tpa = spa */
	};
	assert_memory_equal(reply, want, sizeof(want));
	assert_int_equal(reply[42], 0xee);
	/* The reply is not itself a request. */
	assert_int_equal(proto_arp_parse_request(reply, 42, &req), -ENOENT);
	assert_int_equal(proto_arp_build_reply(reply, 41, &req, MAC_US), -ENOSPC);
}

/* ---- ND ---- */

static void test_nd_parse_ns_accepts_valid_solicitations(void **state)
{
	uint8_t f[160];
	struct proto_nd_ns ns;
	size_t len;

	(void)state;
	len = mk_ns(f, &(struct nsspec){0});
	memset(&ns, 0x55, sizeof(ns));
	assert_int_equal(proto_nd_parse_ns(f, len, &ns), 0);
	assert_memory_equal(ns.eth_src, MAC_A, MAC_LEN);
	assert_memory_equal(&ns.saddr, IP6_A, 16);
	assert_memory_equal(&ns.target, IP6_B, 16);
	assert_int_equal(ns.has_sll, 1);
	assert_memory_equal(ns.sll, MAC_A, MAC_LEN);
	/* trailing Ethernet padding is not part of the packet */
	assert_int_equal(proto_nd_parse_ns(f, len + 10, &ns), 0);

	/* DAD: from ::, no option. */
	len = mk_ns(f, &(struct nsspec){.saddr = IP6_ANY, .no_opts = 1});
	assert_int_equal(proto_nd_parse_ns(f, len, &ns), 0);
	assert_int_equal(ns.has_sll, 0);
	assert_memory_equal(&ns.saddr, IP6_ANY, 16);

	/* An unknown option (nonce, type 14) is skipped, SLL after it found. */
	const uint8_t opts[16] = {14, 1, 1, 2, 3, 4, 5, 6, 1, 1, 0x02, 0, 0, 0, 0, 0x0c};
	len = mk_ns(f, &(struct nsspec){.opts = opts, .optlen = sizeof(opts)});
	assert_int_equal(proto_nd_parse_ns(f, len, &ns), 0);
	assert_int_equal(ns.has_sll, 1);
	assert_memory_equal(ns.sll, ((const uint8_t[]){0x02, 0, 0, 0, 0, 0x0c}), MAC_LEN);
}

static void test_nd_parse_ns_refuses_malformed_and_others(void **state)
{
	static const uint8_t zero_len_opt[8] = {1, 0, 2, 0, 0, 0, 0, 1};
	static const uint8_t trunc_opt[8] = {1, 2, 2, 0, 0, 0, 0, 1}; /* says 16 bytes, has 8 */
	static const uint8_t mcast_target[16] = {0xff, 0x02, [15] = 1};
	static const struct {
		const char *what;
		struct nsspec s;
		int cut;
		int ret;
	} t[] = {
	    {"bad checksum", {.break_csum = 1}, 0, -EBADMSG},
	    {"hop limit 254", {.hop = 254}, 0, -EBADMSG},
	    {"hop limit 1", {.hop = 1}, 0, -EBADMSG},
	    {"code 1", {.code = 1}, 0, -EBADMSG},
	    {"truncated option", {.opts = trunc_opt, .optlen = 8}, 0, -EBADMSG},
	    {"zero-length option", {.opts = zero_len_opt, .optlen = 8}, 0, -EBADMSG},
	    {"payload length beyond frame", {.plen_extra = 8}, 0, -EBADMSG},
	    {"frame cut inside option", {0}, 4, -EBADMSG},
	    {"frame cut before target ends", {.no_opts = 1}, 10, -EBADMSG},
	    {"multicast target", {.target = mcast_target}, 0, -EBADMSG},
	    {"DAD with source link-layer option", {.saddr = IP6_ANY}, 0, -EBADMSG},
	    {"advertisement, not solicitation", {.type = 136}, 0, -ENOENT},
	    {"router solicitation", {.type = 133}, 0, -ENOENT},
	    {"frame cut inside IPv6 header", {0}, 40, -ENOENT},
	};
	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		uint8_t f[160];
		size_t len = mk_ns(f, &t[i].s) - (size_t)t[i].cut;
		struct proto_nd_ns ns = {.has_sll = 7};

		print_message("%s\n", t[i].what);
		assert_int_equal(proto_nd_parse_ns(f, len, &ns), t[i].ret);
		assert_int_equal(ns.has_sll, 7); /* failure writes nothing */
	}

	/* Not ICMPv6 right after the header, or not IPv6 at all. */
	uint8_t f[160];
	size_t len = mk_ns(f, &(struct nsspec){0});
	struct proto_nd_ns ns;

	f[14 + 6] = 0; /* hop-by-hop header */
	assert_int_equal(proto_nd_parse_ns(f, len, &ns), -ENOENT);
	len = mk_ns(f, &(struct nsspec){0});
	put16(f + 12, 0x0800);
	assert_int_equal(proto_nd_parse_ns(f, len, &ns), -ENOENT);
	assert_int_equal(proto_nd_parse_ns(f, 10, &ns), -ENOENT);
}

static void check_na(const uint8_t *na, size_t len, const struct proto_nd_ns *ns, const uint8_t *want_dst,
		     uint8_t want_flags)
{
	const uint8_t *ip = na + 14, *icmp = ip + 40;

	assert_int_equal(len, 14 + 40 + 32);
	assert_memory_equal(na, ns->eth_src, MAC_LEN);
	assert_memory_equal(na + 6, MAC_US, MAC_LEN);
	assert_int_equal(get16(na + 12), 0x86dd);
	assert_int_equal(ip[0] >> 4, 6);
	assert_int_equal(get16(ip + 4), 32);
	assert_int_equal(ip[6], 58);
	assert_int_equal(ip[7], 255);
	assert_memory_equal(ip + 8, &ns->target, 16);
	assert_memory_equal(ip + 24, want_dst, 16);
	assert_int_equal(icmp[0], 136);
	assert_int_equal(icmp[1], 0);
	assert_int_equal(icmp[4], want_flags);
	assert_int_equal(icmp[5] | icmp[6] | icmp[7], 0);
	assert_memory_equal(icmp + 8, &ns->target, 16);
	assert_int_equal(icmp[24], 2);
	assert_int_equal(icmp[25], 1);
	assert_memory_equal(icmp + 26, MAC_US, MAC_LEN);
	assert_int_equal(ref_sum(ref_pseudo6(ip, 32), icmp, 32), 0xffff);
}

static void test_nd_build_na_answers_target_is_at_mac_with_valid_checksum(void **state)
{
	uint8_t f[160], na[128];
	struct proto_nd_ns ns;
	size_t len = mk_ns(f, &(struct nsspec){0});
	int ret;

	(void)state;
	assert_int_equal(proto_nd_parse_ns(f, len, &ns), 0);
	ret = proto_nd_build_na(na, sizeof(na), &ns, MAC_US);
	check_na(na, (size_t)ret, &ns, IP6_A, 0x60); /* S|O */
	assert_int_equal(proto_nd_build_na(na, 85, &ns, MAC_US), -ENOSPC);

	/* Breaking one byte breaks the checksum: the check above can fail. */
	na[14 + 40 + 30] ^= 1;
	assert_int_not_equal(ref_sum(ref_pseudo6(na + 14, 32), na + 14 + 40, 32), 0xffff);
}

static void test_nd_build_na_for_dad_goes_to_all_nodes_unsolicited(void **state)
{
	uint8_t f[160], na[128];
	struct proto_nd_ns ns;
	size_t len = mk_ns(f, &(struct nsspec){.saddr = IP6_ANY, .no_opts = 1});
	int ret;

	(void)state;
	assert_int_equal(proto_nd_parse_ns(f, len, &ns), 0);
	ret = proto_nd_build_na(na, sizeof(na), &ns, MAC_US);
	check_na(na, (size_t)ret, &ns, IP6_ALL_NODES, 0x20); /* O only */
}

/* ---- too big ---- */

static void test_too_big_check_classifies_by_size_family_and_df(void **state)
{
	static const struct {
		const char *what;
		int v6, vlan;
		uint16_t frag;
		size_t total; /* IP length */
		unsigned mtu;
		enum proto_too_big want;
	} t[] = {
	    {"IPv4 DF exactly mtu", 0, 0, 0x4000, 1450, 1450, PROTO_FITS},
	    {"IPv4 DF one over", 0, 0, 0x4000, 1451, 1450, PROTO_TOO_BIG_ICMP},
	    {"IPv4 DF 1500 over 1450", 0, 0, 0x4000, 1500, 1450, PROTO_TOO_BIG_ICMP},
	    {"IPv4 no DF 1500 over 1450", 0, 0, 0x0000, 1500, 1450, PROTO_TOO_BIG_DROP},
	    {"IPv4 no DF fits", 0, 0, 0x0000, 1000, 1450, PROTO_FITS},
	    {"IPv6 exactly mtu", 1, 0, 0, 1450, 1450, PROTO_FITS},
	    {"IPv6 over", 1, 0, 0, 1500, 1450, PROTO_TOO_BIG_ICMP},
	    {"VLAN IPv4 DF, tag pushes it over", 0, 7, 0x4000, 1448, 1450, PROTO_TOO_BIG_ICMP},
	    {"VLAN IPv4 DF fits", 0, 7, 0x4000, 1446, 1450, PROTO_FITS},
	};
	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		uint8_t f[1600];
		size_t len = t[i].v6 ? mk_ipv6(f, &(struct v6spec){.nh = 17, .total = t[i].total})
				     : mk_ipv4(f, &(struct v4spec){.vlan = (uint16_t)t[i].vlan,
								   .proto = 17,
								   .frag = t[i].frag,
								   .total = t[i].total});

		print_message("%s\n", t[i].what);
		assert_int_equal(proto_too_big_check(f, len, t[i].mtu), t[i].want);
	}

	/* Not IP: dropped when too big, sent when it fits. */
	uint8_t f[1600] = {0};
	put_eth(f, MAC_B, MAC_A, 0, 0x88b5);
	assert_int_equal(proto_too_big_check(f, 1514, 1450), PROTO_TOO_BIG_DROP);
	assert_int_equal(proto_too_big_check(f, 1464, 1450), PROTO_FITS);
	/* Claims IPv4 but the version nibble says otherwise. */
	mk_ipv4(f, &(struct v4spec){.proto = 17, .frag = 0x4000, .total = 1500});
	f[14] = 0x65;
	assert_int_equal(proto_too_big_check(f, 1514, 1450), PROTO_TOO_BIG_DROP);
	/* Not even an Ethernet header. */
	assert_int_equal(proto_too_big_check(f, 10, 0), PROTO_TOO_BIG_DROP);
}

/* Without DF: proto_too_big_build refuses, proto_too_big_build_any answers
 * IPv4 (not below 576) the same way; IPv6 and DF packets alike for both. */
static void test_too_big_build_any_answers_ipv4_without_df(void **state)
{
	uint8_t f[1600], out[1600], out2[1600];
	(void)state;
	size_t len = mk_ipv4(f, &(struct v4spec){.proto = 17, .frag = 0x0000, .sport = 5, .dport = 7, .total = 1500});
	assert_int_equal(proto_too_big_build(out, sizeof(out), f, len, 1450), -ENOENT);
	int ret = proto_too_big_build_any(out, sizeof(out), f, len, 1450);
	assert_int_equal(ret, 14 + 20 + 8 + 576 - 28);
	assert_int_equal(out[14 + 20], 3);
	assert_int_equal(out[14 + 20 + 1], 4);
	assert_int_equal(get16(out + 14 + 20 + 6), 1450);
	assert_int_equal(ref_sum(0, out + 14, 20), 0xffff);
	assert_int_equal(ref_sum(0, out + 14 + 20, (size_t)ret - 14 - 20), 0xffff);
	/* Below what IPv4 must carry whole: no. */
	assert_int_equal(proto_too_big_build_any(out, sizeof(out), f, len, 575), -ENOENT);
	/* Fits: nothing to say. */
	assert_int_equal(proto_too_big_build_any(out, sizeof(out), f, len, 1500), -ENOENT);
	/* A non-first fragment is still never answered. */
	size_t flen = mk_ipv4(f, &(struct v4spec){.proto = 17, .frag = 0x0010, .total = 1500});
	assert_int_equal(proto_too_big_build_any(out, sizeof(out), f, flen, 1450), -ENOENT);
	/* With DF, and for IPv6, both build the same bytes. */
	len = mk_ipv4(f, &(struct v4spec){.proto = 17, .frag = 0x4000, .total = 1500});
	ret = proto_too_big_build(out, sizeof(out), f, len, 1450);
	assert_true(ret > 0);
	assert_int_equal(proto_too_big_build_any(out2, sizeof(out2), f, len, 1450), ret);
	assert_memory_equal(out, out2, (size_t)ret);
	len = mk_ipv6(f, &(struct v6spec){.nh = 17, .total = 1500});
	ret = proto_too_big_build(out, sizeof(out), f, len, 1450);
	assert_true(ret > 0);
	assert_int_equal(proto_too_big_build_any(out2, sizeof(out2), f, len, 1450), ret);
	assert_memory_equal(out, out2, (size_t)ret);
	/* Not IP: never. */
	memset(f, 0, sizeof(f));
	put_eth(f, MAC_B, MAC_A, 0, 0x88b5);
	assert_int_equal(proto_too_big_build_any(out, sizeof(out), f, 1514, 1450), -ENOENT);
}

static void test_too_big_build_ipv4_frag_needed_quotes_within_576(void **state)
{
	static const struct {
		size_t total;
		unsigned mtu;
		size_t quote;
	} t[] = {
	    {1500, 1450, 576 - 28},		    /* big: quote cut to fit 576 */
	    {1500, 1400, 576 - 28}, {100, 68, 100}, /* small: quoted whole */
	    {548, 500, 548},	    {549, 500, 548},
	};
	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		uint8_t f[1600], out[1600];
		size_t len = mk_ipv4(
		    f, &(struct v4spec){.proto = 6, .frag = 0x4000, .sport = 443, .dport = 50000, .total = t[i].total});
		const uint8_t *ip = out + 14, *icmp = ip + 20;
		int ret;

		memset(out, 0xee, sizeof(out));
		ret = proto_too_big_build(out, sizeof(out), f, len, t[i].mtu);
		assert_int_equal(ret, 14 + 20 + 8 + (int)t[i].quote);
		assert_true(ret - 14 <= 576);
		assert_int_equal(out[ret], 0xee);
		/* Ethernet and IP addresses swapped */
		assert_memory_equal(out, MAC_A, MAC_LEN);
		assert_memory_equal(out + 6, MAC_B, MAC_LEN);
		assert_int_equal(get16(out + 12), 0x0800);
		assert_int_equal(ip[0], 0x45);
		assert_int_equal(get16(ip + 2), ret - 14);
		assert_int_equal(get16(ip + 6) & 0x1fff, 0);
		assert_int_equal(ip[8], 64);
		assert_int_equal(ip[9], 1);
		assert_memory_equal(ip + 12, IP4_B, 4);
		assert_memory_equal(ip + 16, IP4_A, 4);
		assert_int_equal(ref_sum(0, ip, 20), 0xffff);
		/* ICMP 3/4 with the next-hop MTU, valid checksum, the original */
		assert_int_equal(icmp[0], 3);
		assert_int_equal(icmp[1], 4);
		assert_int_equal(get16(icmp + 4), 0);
		assert_int_equal(get16(icmp + 6), t[i].mtu);
		assert_int_equal(ref_sum(0, icmp, (size_t)ret - 14 - 20), 0xffff);
		assert_memory_equal(icmp + 8, f + 14, t[i].quote);
		assert_int_equal(proto_too_big_build(out, (size_t)ret - 1, f, len, t[i].mtu), -ENOSPC);
	}
}

static void test_too_big_build_ipv6_packet_too_big_quotes_within_1280(void **state)
{
	static const struct {
		size_t total;
		unsigned mtu;
		size_t quote;
	} t[] = {
	    {1500, 1450, 1280 - 48},
	    {1500, 1280, 1280 - 48},
	    {1300, 1232, 1232},
	    {200, 150, 200},
	};
	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		uint8_t f[1600], out[1600];
		size_t len = mk_ipv6(f, &(struct v6spec){.nh = 17, .sport = 1, .dport = 2, .total = t[i].total});
		const uint8_t *ip = out + 14, *icmp = ip + 40;
		int ret;

		ret = proto_too_big_build(out, sizeof(out), f, len, t[i].mtu);
		assert_int_equal(ret, 14 + 40 + 8 + (int)t[i].quote);
		assert_true(ret - 14 <= 1280);
		assert_memory_equal(out, MAC_A, MAC_LEN);
		assert_memory_equal(out + 6, MAC_B, MAC_LEN);
		assert_int_equal(get16(out + 12), 0x86dd);
		assert_int_equal(ip[0] >> 4, 6);
		assert_int_equal(get16(ip + 4), ret - 14 - 40);
		assert_int_equal(ip[6], 58);
		assert_memory_equal(ip + 8, IP6_B, 16);
		assert_memory_equal(ip + 24, IP6_A, 16);
		assert_int_equal(icmp[0], 2);
		assert_int_equal(icmp[1], 0);
		assert_int_equal(get32(icmp + 4), t[i].mtu);
		assert_int_equal(ref_sum(ref_pseudo6(ip, (size_t)ret - 54), icmp, (size_t)ret - 54), 0xffff);
		assert_memory_equal(icmp + 8, f + 14, t[i].quote);
	}
}

static void test_too_big_build_keeps_vlan_tag_and_lowers_mtu(void **state)
{
	uint8_t f[1600], out[1600];
	size_t len = mk_ipv4(f, &(struct v4spec){.vlan = 0x0123, .proto = 17, .frag = 0x4000, .total = 1500});
	int ret;

	(void)state;
	ret = proto_too_big_build(out, sizeof(out), f, len, 1450);
	assert_int_equal(ret, 18 + 576);
	assert_int_equal(get16(out + 12), 0x8100);
	assert_int_equal(get16(out + 14), 0x0123);
	assert_int_equal(get16(out + 16), 0x0800);
	assert_int_equal(get16(out + 18 + 20 + 6), 1446);
	assert_int_equal(ref_sum(0, out + 18, 20), 0xffff);
	assert_int_equal(ref_sum(0, out + 38, 576 - 20), 0xffff);
}

static void test_too_big_build_does_not_answer_errors_fragments_or_groups(void **state)
{
	static const uint8_t ip_mcast[4] = {239, 1, 1, 1}, ip_bcast[4] = {255, 255, 255, 255}, ip_zero[4] = {0};
	static const uint8_t ip6_mcast[16] = {0xff, 0x05, [15] = 2};
	static const struct {
		const char *what;
		int v6;
		struct v4spec s4;
		struct v6spec s6;
		int ret; /* 0: an answer is built */
	} t[] = {
	    {"IPv4 TCP DF (control)", 0, {.proto = 6, .frag = 0x4000}, {0}, 0},
	    {"IPv4 echo request", 0, {.proto = 1, .icmp_type = 8, .frag = 0x4000}, {0}, 0},
	    {"IPv4 ICMP dest unreachable", 0, {.proto = 1, .icmp_type = 3, .frag = 0x4000}, {0}, -ENOENT},
	    {"IPv4 ICMP time exceeded", 0, {.proto = 1, .icmp_type = 11, .frag = 0x4000}, {0}, -ENOENT},
	    {"IPv4 ICMP redirect", 0, {.proto = 1, .icmp_type = 5, .frag = 0x4000}, {0}, -ENOENT},
	    {"IPv4 not first fragment", 0, {.proto = 17, .frag = 0x4000 | 185}, {0}, -ENOENT},
	    {"IPv4 without DF", 0, {.proto = 17}, {0}, -ENOENT},
	    {"IPv4 multicast destination", 0, {.proto = 17, .frag = 0x4000, .dst = ip_mcast}, {0}, -ENOENT},
	    {"IPv4 broadcast destination", 0, {.proto = 17, .frag = 0x4000, .dst = ip_bcast}, {0}, -ENOENT},
	    {"IPv4 source 0.0.0.0", 0, {.proto = 17, .frag = 0x4000, .src = ip_zero}, {0}, -ENOENT},
	    {"IPv4 source multicast", 0, {.proto = 17, .frag = 0x4000, .src = ip_mcast}, {0}, -ENOENT},
	    {"Ethernet broadcast", 0, {.proto = 17, .frag = 0x4000, .eth_dst = MAC_BCAST}, {0}, -ENOENT},
	    {"IPv6 UDP (control)", 1, {0}, {.nh = 17}, 0},
	    {"IPv6 echo request", 1, {0}, {.nh = 58, .icmp_type = 128}, 0},
	    {"IPv6 first fragment", 1, {0}, {.nh = 17, .frag = 1, .frag_off = 1}, 0},
	    {"ICMPv6 dest unreachable", 1, {0}, {.nh = 58, .icmp_type = 1}, -ENOENT},
	    {"ICMPv6 packet too big", 1, {0}, {.nh = 58, .icmp_type = 2}, -ENOENT},
	    {"ICMPv6 error behind a fragment header", 1, {0}, {.nh = 58, .icmp_type = 3, .frag = 1}, -ENOENT},
	    {"IPv6 not first fragment", 1, {0}, {.nh = 17, .frag = 1, .frag_off = 0x0100}, -ENOENT},
	    {"IPv6 source ::", 1, {0}, {.nh = 17, .src = IP6_ANY}, -ENOENT},
	    {"IPv6 multicast destination", 1, {0}, {.nh = 17, .dst = ip6_mcast}, -ENOENT},
	    {"IPv6 multicast source", 1, {0}, {.nh = 17, .src = ip6_mcast}, -ENOENT},
	};
	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		uint8_t f[1600], out[1600];
		size_t len;
		int ret;

		if (t[i].v6) {
			struct v6spec s = t[i].s6;

			s.total = 1500;
			len = mk_ipv6(f, &s);
		} else {
			struct v4spec s = t[i].s4;

			s.total = 1500;
			len = mk_ipv4(f, &s);
		}
		print_message("%s\n", t[i].what);
		ret = proto_too_big_build(out, sizeof(out), f, len, 1400);
		if (t[i].ret == 0)
			assert_true(ret > 0);
		else
			assert_int_equal(ret, t[i].ret);
	}

	/* A frame that fits needs no answer. */
	uint8_t f[1600], out[1600];
	size_t len = mk_ipv4(f, &(struct v4spec){.proto = 17, .frag = 0x4000, .total = 1400});
	assert_int_equal(proto_too_big_build(out, sizeof(out), f, len, 1400), -ENOENT);
	assert_true(proto_too_big_build(out, sizeof(out), f, len, 1399) > 0);
}

/* ---- checksum helpers ---- */

static void test_csum_helpers_match_rfc1071_example(void **state)
{
	/* RFC 1071 section 3: the sum of these bytes is 0xddf2. */
	static const uint8_t d[8] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	uint8_t with[10];

	(void)state;
	assert_int_equal(proto_csum_fold(proto_csum_add(0, d, sizeof(d))), (uint16_t)~0xddf2);
	/* pieces of even length add up like the whole */
	assert_int_equal(proto_csum_fold(proto_csum_add(proto_csum_add(0, d, 2), d + 2, 6)), (uint16_t)~0xddf2);
	/* an odd tail is padded with zero */
	assert_int_equal(proto_csum_fold(proto_csum_add(0, d, 7)), (uint16_t)~ref_sum(0, d, 7));
	/* data with its own checksum folds to zero */
	memcpy(with, d, 8);
	put16(with + 8, proto_csum_fold(proto_csum_add(0, d, 8)));
	assert_int_equal(proto_csum_fold(proto_csum_add(0, with, 10)), 0);
	/* many carries */
	uint8_t ff[4096];
	memset(ff, 0xff, sizeof(ff));
	assert_int_equal(proto_csum_fold(proto_csum_add(0xffffffffu, ff, sizeof(ff))),
			 (uint16_t)~ref_sum(0xffffffffu, ff, sizeof(ff)));
}

/* The vector sums (every length, every alignment, and past the point where
 * their 32-bit lanes must fold) agree with the plain RFC 1071 sum. */
static void test_csum_vector_sums_match_reference_at_every_length_and_alignment(void **state)
{
	(void)state;
	size_t big = (size_t)32 * 16384 * 2 + 77; /* two fold chunks and a tail */
	uint8_t *buf = malloc(big + 64);
	assert_non_null(buf);
	uint32_t x = 12345;
	for (size_t i = 0; i < big + 64; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (size_t off = 0; off < 33; off++)
		for (size_t len = 0; len < 300; len++)
			assert_int_equal(proto_csum_fold(proto_csum_add(7, buf + off, len)),
					 (uint16_t)~ref_sum(7, buf + off, len));
	assert_int_equal(proto_csum_fold(proto_csum_add(0, buf + 3, big)), (uint16_t)~ref_sum(0, buf + 3, big));
	memset(buf, 0xff, big + 64); /* the largest words: the lanes' worst case */
	assert_int_equal(proto_csum_fold(proto_csum_add(0xffffffffu, buf + 1, big)),
			 (uint16_t)~ref_sum(0xffffffffu, buf + 1, big));
	free(buf);
}

/* ---- ECN across the tunnel (RFC 6040) ---- */

#define NE 0 /* Not-ECT */
#define E1 1 /* ECT(1) */
#define E0 2 /* ECT(0) */
#define CE 3

/* An inner frame for the ECN tests: tpid 0 = untagged, else one tag with
 * that TPID; the IP header carries dsfield (DSCP << 2 | ECN) and a correct
 * checksum (IPv4), followed by a UDP header and some payload. */
static size_t mk_ecn_frame(uint8_t *f, int v6, uint16_t tpid, uint8_t dsfield)
{
	size_t off = 12;
	uint8_t *ip;
	size_t iplen = v6 ? 40 + 8 + 12 : 20 + 8 + 12;

	memcpy(f, MAC_B, MAC_LEN);
	memcpy(f + 6, MAC_A, MAC_LEN);
	if (tpid) {
		put16(f + off, tpid);
		put16(f + off + 2, 0x2005); /* PCP 1, VID 5 */
		off += 4;
	}
	put16(f + off, v6 ? 0x86dd : 0x0800);
	ip = f + off + 2;
	for (size_t i = 0; i < iplen; i++)
		ip[i] = (uint8_t)(i * 13 + 7);
	if (v6) {
		ip[0] = (uint8_t)(0x60 | dsfield >> 4);
		ip[1] = (uint8_t)((dsfield & 0x0f) << 4 | 0x0a); /* flow label bits next to the TC */
		put16(ip + 4, (uint16_t)(iplen - 40));
		ip[6] = 17;
		ip[7] = 64;
		memcpy(ip + 8, IP6_A, 16);
		memcpy(ip + 24, IP6_B, 16);
	} else {
		ip[0] = 0x45;
		ip[1] = dsfield;
		put16(ip + 2, (uint16_t)iplen);
		put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, IP4_A, 4);
		memcpy(ip + 16, IP4_B, 4);
		put16(ip + 10, 0);
		put16(ip + 10, (uint16_t)~ref_sum(0, ip, 20));
	}
	return off + 2 + iplen;
}

static uint8_t test_dsfield(const uint8_t *ip, int v6)
{
	return v6 ? (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4) : ip[1];
}

/* RFC 6040 figure 4 as the kernel implements it, [inner][outer] by codepoint
 * value (0 Not-ECT, 1 ECT(1), 2 ECT(0), 3 CE): what happens and the inner
 * ECN field delivered. */
static const struct {
	enum proto_ecn res;
	uint8_t ecn;
} rfc6040[4][4] = {
    /* inner Not-ECT */
    [NE] = {[NE] = {PROTO_ECN_PASS, NE},
	    [E1] = {PROTO_ECN_PASS_LOG, NE},
	    [E0] = {PROTO_ECN_PASS_LOG, NE},
	    [CE] = {PROTO_ECN_DROP, NE}},
    [E1] = {[NE] = {PROTO_ECN_PASS, E1},
	    [E1] = {PROTO_ECN_PASS, E1},
	    [E0] = {PROTO_ECN_PASS, E1},
	    [CE] = {PROTO_ECN_REWRITTEN, CE}},
    [E0] = {[NE] = {PROTO_ECN_PASS, E0},
	    [E1] = {PROTO_ECN_REWRITTEN, E1},
	    [E0] = {PROTO_ECN_PASS, E0},
	    [CE] = {PROTO_ECN_REWRITTEN, CE}},
    [CE] = {[NE] = {PROTO_ECN_PASS, CE},
	    [E1] = {PROTO_ECN_PASS, CE},
	    [E0] = {PROTO_ECN_PASS, CE},
	    [CE] = {PROTO_ECN_PASS, CE}},
};

/* One cell of the table for one inner frame: the result, the inner ECN
 * field delivered, and that nothing else moved but the IPv4 checksum, which
 * must be the very value a full recomputation gives. 1 if it was rewritten. */
static int check_ecn_cell(int v6, uint16_t tpid, int inner, int outer, uint8_t dscp)
{
	uint8_t f[128], before[128];
	/* the outer DSCP differs from the inner one: it must never leak in */
	uint8_t ods = (uint8_t)((dscp ^ 0x3f) << 2 | outer);
	size_t len = mk_ecn_frame(f, v6, tpid, (uint8_t)(dscp << 2 | inner));
	size_t l3 = tpid ? 18 : 14;
	enum proto_ecn res;

	memcpy(before, f, len);
	res = proto_ecn_decap(ods, f, len);
	print_message("IPv%d tpid %#x inner %d outer %d dscp %#x\n", v6 ? 6 : 4, tpid, inner, outer, dscp);
	assert_int_equal(res, rfc6040[inner][outer].res);
	assert_int_equal(test_dsfield(f + l3, v6), dscp << 2 | rfc6040[inner][outer].ecn);
	if (res != PROTO_ECN_REWRITTEN) {
		assert_memory_equal(f, before, len);
		return 0;
	}
	if (v6) {
		/* only the two ECN bits of the traffic class moved */
		assert_int_equal(f[l3 + 1] & 0xcf, before[l3 + 1] & 0xcf);
		before[l3 + 1] = f[l3 + 1];
	} else {
		uint8_t fresh[20];

		assert_int_equal(ref_sum(0, f + l3, 20), 0xffff);
		memcpy(fresh, f + l3, 20);
		put16(fresh + 10, 0);
		assert_int_equal(get16(f + l3 + 10), (uint16_t)~ref_sum(0, fresh, 20));
		before[l3 + 1] = f[l3 + 1];
		before[l3 + 10] = f[l3 + 10];
		before[l3 + 11] = f[l3 + 11];
	}
	assert_memory_equal(f, before, len);
	return 1;
}

static void test_ecn_decap_follows_rfc6040_for_every_outer_inner_pair(void **state)
{
	static const uint16_t tpids[] = {0, 0x8100, 0x88a8};
	static const uint8_t dscps[] = {0x00, 0x0a, 0x2e, 0x3f};
	int rewritten = 0;

	(void)state;
	for (int v6 = 0; v6 < 2; v6++)
		for (size_t t = 0; t < N(tpids); t++)
			for (int cell = 0; cell < 16; cell++)
				for (size_t d = 0; d < N(dscps); d++)
					rewritten += check_ecn_cell(v6, tpids[t], cell / 4, cell % 4, dscps[d]);
	/* CE over ECT(0)/ECT(1), ECT(1) over ECT(0): 3 cells x 4 DSCPs x 3 tags x 2 families */
	assert_int_equal(rewritten, 3 * 4 * 3 * 2);
}

/* The incremental update (RFC 1624) gives what a full recomputation gives,
 * for any header; a header whose checksum was wrong stays wrong by the same
 * amount, so the receiver still drops it. */
static void test_ecn_decap_ipv4_checksum_update_matches_full_recompute(void **state)
{
	uint32_t x = 12345;

	(void)state;
	for (int i = 0; i < 20000; i++) {
		uint8_t f[64], fresh[20];
		size_t len = mk_ecn_frame(f, 0, 0, 0);
		uint8_t *ip = f + 14;
		int outer = (i & 1) ? CE : E1, broken = (i % 7) == 0;

		/* random header words, then a real (or deliberately wrong) checksum */
		for (int k = 2; k < 20; k++) {
			x = x * 1103515245u + 12345u;
			ip[k] = (uint8_t)(x >> 16);
		}
		/* make the other words sum to the edges now and then */
		if (i % 5 == 0)
			memset(ip + 2, 0, 18);
		if (i % 5 == 1)
			memset(ip + 2, 0xff, 18);
		ip[1] = (uint8_t)((x >> 8) & 0xfc) | (outer == CE ? (i & 2 ? E1 : E0) : E0);
		put16(ip + 10, 0);
		put16(ip + 10, (uint16_t)(~ref_sum(0, ip, 20) + (broken ? 0x1234 : 0)));
		uint16_t sum_before = ref_sum(0, ip, 20);

		assert_int_equal(proto_ecn_decap((uint8_t)outer, f, len), PROTO_ECN_REWRITTEN);
		if (broken) {
			assert_int_equal(ref_sum(0, ip, 20), sum_before);
			continue;
		}
		assert_int_equal(ref_sum(0, ip, 20), 0xffff);
		memcpy(fresh, ip, 20);
		put16(fresh + 10, 0);
		assert_int_equal(get16(ip + 10), (uint16_t)~ref_sum(0, fresh, 20));
	}
}

/* No ECN field, nothing to do: outer CE over what would be a Not-ECT header
 * if it were parsed must neither drop nor change these. */
static void test_ecn_decap_passes_frames_without_an_inner_ip_header(void **state)
{
	uint8_t f[128], before[128];
	size_t len;

	(void)state;
	/* ARP */
	len = mk_arp(f, &(struct arpspec){0});
	memcpy(before, f, len);
	assert_int_equal(proto_ecn_decap(CE, f, len), PROTO_ECN_PASS);
	assert_memory_equal(f, before, len);

	for (int v6 = 0; v6 < 2; v6++) {
		size_t hl = v6 ? 40 : 20;

		/* header one byte short of its fixed part, untagged and tagged */
		for (int tagged = 0; tagged < 2; tagged++) {
			size_t l3 = tagged ? 18 : 14;

			len = mk_ecn_frame(f, v6, tagged ? 0x8100 : 0, NE);
			memcpy(before, f, len);
			assert_int_equal(proto_ecn_decap(CE, f, l3 + hl - 1), PROTO_ECN_PASS);
			assert_memory_equal(f, before, len);
			/* the complete header is enough */
			assert_int_equal(proto_ecn_decap(CE, f, l3 + hl), PROTO_ECN_DROP);
		}
		/* version nibble that does not match the ethertype */
		len = mk_ecn_frame(f, v6, 0, NE);
		f[14] = (uint8_t)((f[14] & 0x0f) | (v6 ? 0x40 : 0x60));
		memcpy(before, f, len);
		assert_int_equal(proto_ecn_decap(CE, f, len), PROTO_ECN_PASS);
		assert_memory_equal(f, before, len);
		/* two tags (QinQ): only one is looked through */
		len = mk_ecn_frame(f + 4, v6, 0x8100, NE) + 4;
		memmove(f, f + 4, 12);
		put16(f + 12, 0x88a8);
		put16(f + 14, 0x0064);
		memcpy(before, f, len);
		assert_int_equal(proto_ecn_decap(CE, f, len), PROTO_ECN_PASS);
		assert_memory_equal(f, before, len);
	}
	/* runts and NULL */
	len = mk_ecn_frame(f, 0, 0, NE);
	memcpy(before, f, len);
	for (size_t l = 0; l < 14 + 20; l++)
		assert_int_equal(proto_ecn_decap(CE, f, l), PROTO_ECN_PASS);
	assert_memory_equal(f, before, len);
	assert_int_equal(proto_ecn_decap(CE, NULL, 100), PROTO_ECN_PASS);
	/* the outer family is not the function's business: only the two ECN
	 * bits of the byte given count, whatever the DSCP around them */
	for (int ods = 0; ods < 256; ods++) {
		len = mk_ecn_frame(f, 1, 0, E0);
		assert_int_equal(proto_ecn_decap((uint8_t)ods, f, len), rfc6040[E0][ods & 3].res);
	}
}

static void test_outer_tos_takes_dscp_from_config_or_inner_and_ecn_from_inner(void **state)
{
	static const uint16_t tpids[] = {0, 0x8100, 0x88a8};
	uint8_t f[128];
	size_t len;

	(void)state;
	for (int v6 = 0; v6 < 2; v6++)
		for (size_t t = 0; t < N(tpids); t++)
			for (int ecn = 0; ecn < 4; ecn++) {
				/* RFC 6040 normal mode: CE goes out as ECT(0) */
				uint8_t want_ecn = ecn == CE ? E0 : (uint8_t)ecn;

				len = mk_ecn_frame(f, v6, tpids[t], (uint8_t)(0x0a << 2 | ecn));
				assert_int_equal(proto_outer_tos(0x28, false, f, len), 0x28 | want_ecn);
				/* the configured value's own ECN bits are ignored */
				assert_int_equal(proto_outer_tos(0x2b, false, f, len), 0x28 | want_ecn);
				assert_int_equal(proto_outer_tos(0x00, true, f, len), 0x28 | want_ecn);
				assert_int_equal(proto_outer_tos(0xb8, true, f, len), 0x28 | want_ecn);
			}
	/* not IP: the configured DSCP, Not-ECT; inherit has nothing to copy */
	len = mk_arp(f, &(struct arpspec){0});
	assert_int_equal(proto_outer_tos(0xbb, false, f, len), 0xb8);
	assert_int_equal(proto_outer_tos(0xbb, true, f, len), 0);
	assert_int_equal(proto_outer_tos(0xbb, false, NULL, 0), 0xb8);
	len = mk_ecn_frame(f, 0, 0, 0xbb);
	assert_int_equal(proto_outer_tos(0, true, f, 14 + 19), 0);
	assert_int_equal(proto_outer_tos(0, true, f, 14 + 20), 0xba);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vxlan_build_then_parse_round_trips_every_vni_width),
	    cmocka_unit_test(test_vxlan_build_refuses_vni_above_24_bits_and_short_buffers),
	    cmocka_unit_test(test_vxlan_parse_ignores_reserved_bits),
	    cmocka_unit_test(test_vxlan_parse_without_i_flag_is_ebadmsg),
	    cmocka_unit_test(test_vxlan_parse_needs_room_for_inner_ethernet),
	    cmocka_unit_test(test_flow_hash_same_flow_same_hash_across_packets),
	    cmocka_unit_test(test_flow_hash_distinguishes_each_flow_field),
	    cmocka_unit_test(test_flow_hash_different_ports_spread_over_source_ports),
	    cmocka_unit_test(test_flow_hash_ignores_ports_of_fragments),
	    cmocka_unit_test(test_flow_hash_vlan_id_is_part_of_the_flow),
	    cmocka_unit_test(test_flow_hash_reads_nothing_past_len),
	    cmocka_unit_test(test_srcport_stays_within_min_max_for_any_hash),
	    cmocka_unit_test(test_arp_parse_request_extracts_sender_and_target),
	    cmocka_unit_test(test_arp_parse_refuses_malformed_and_non_requests),
	    cmocka_unit_test(test_arp_build_reply_answers_tpa_is_at_mac),
	    cmocka_unit_test(test_nd_parse_ns_accepts_valid_solicitations),
	    cmocka_unit_test(test_nd_parse_ns_refuses_malformed_and_others),
	    cmocka_unit_test(test_nd_build_na_answers_target_is_at_mac_with_valid_checksum),
	    cmocka_unit_test(test_nd_build_na_for_dad_goes_to_all_nodes_unsolicited),
	    cmocka_unit_test(test_too_big_check_classifies_by_size_family_and_df),
	    cmocka_unit_test(test_too_big_build_ipv4_frag_needed_quotes_within_576),
	    cmocka_unit_test(test_too_big_build_any_answers_ipv4_without_df),
	    cmocka_unit_test(test_too_big_build_ipv6_packet_too_big_quotes_within_1280),
	    cmocka_unit_test(test_too_big_build_keeps_vlan_tag_and_lowers_mtu),
	    cmocka_unit_test(test_too_big_build_does_not_answer_errors_fragments_or_groups),
	    cmocka_unit_test(test_csum_helpers_match_rfc1071_example),
	    cmocka_unit_test(test_csum_vector_sums_match_reference_at_every_length_and_alignment),
	    cmocka_unit_test(test_ecn_decap_follows_rfc6040_for_every_outer_inner_pair),
	    cmocka_unit_test(test_ecn_decap_ipv4_checksum_update_matches_full_recompute),
	    cmocka_unit_test(test_ecn_decap_passes_frames_without_an_inner_ip_header),
	    cmocka_unit_test(test_outer_tos_takes_dscp_from_config_or_inner_and_ecn_from_inner),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
