/* test_offload: lib/offload.c, the TAP offloads: the checksum helpers,
 * software TSO and inner TCP GRO. Frames are built by hand here (Ethernet,
 * IPv4 with or without options / IPv6, TCP with or without timestamps, a
 * payload of a known non-repeating pattern) and every checksum is verified
 * with the test's own RFC 1071 sum, never with offload_csum_add. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vxnet/offload.h"
#include "../common/ref.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10
#define URG 0x20
#define ECE 0x40
#define CWR 0x80

/* What the current case is, printed with every failed expectation. */
static char ctx[160];

#define EXPECT(c)                                                                                                      \
	do {                                                                                                           \
		if (!(c))                                                                                              \
			fail_msg("%s: %s (line %d)", ctx, #c, __LINE__);                                               \
	} while (0)

#define EXPECT_EQ(a, b)                                                                                                \
	do {                                                                                                           \
		long long a_ = (long long)(a), b_ = (long long)(b);                                                    \
		if (a_ != b_)                                                                                          \
			fail_msg("%s: %s is %lld, expected %s = %lld (line %d)", ctx, #a, a_, #b, b_, __LINE__);       \
	} while (0)

/* ---- byte order, reference checksum ---- */

static uint16_t fold32(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* A byte pattern that does not repeat every 256 bytes, so a segment cut at
 * the wrong offset shows. */
static uint8_t pat(size_t k)
{
	return (uint8_t)(((uint32_t)k * 2654435761u) >> 24);
}

static uint32_t rng_state = 0x12345678;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* ---- frame builder ---- */

struct fspec {
	int ipv6;
	int vlan;	  /* one 802.1Q tag */
	unsigned ipopt;	  /* IPv4 option bytes, a multiple of 4 */
	int ext6;	  /* an 8-byte IPv6 hop-by-hop header before the L4 header */
	unsigned tcpopt;  /* 0, or 12: NOP NOP timestamps */
	uint8_t proto;	  /* 6, or 17 for a UDP header */
	uint8_t mac_last; /* last byte of the destination MAC */
	uint8_t src_last, dst_last;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t id;
	uint16_t frag; /* IPv4 flags + fragment offset */
	uint8_t ttl, tos;
	uint32_t flow; /* IPv6 flow label */
	uint32_t tsval;
	size_t payload;
	size_t payoff; /* payload byte k is pat(payoff + k) */
	size_t pad;    /* garbage after the IP datagram (Ethernet padding) */
};

struct lay {
	unsigned l3, l4, hlen;
};

static struct fspec base_spec(int ipv6)
{
	struct fspec s = {
	    .ipv6 = ipv6,
	    .proto = 6,
	    .mac_last = 0x0b,
	    .src_last = 1,
	    .dst_last = 2,
	    .sport = 40000,
	    .dport = 5201,
	    .seq = 0x10000000,
	    .ack = 0xabcdef01,
	    .flags = ACK,
	    .id = 0x7000,
	    .frag = 0x4000,
	    .ttl = 64,
	    .tos = 0,
	    .flow = 0x12345,
	    .tsval = 1000,
	};
	return s;
}

static struct lay lay_of(const struct fspec *s)
{
	struct lay l;
	l.l3 = s->vlan ? 18 : 14;
	l.l4 = l.l3 + (s->ipv6 ? 40 + (s->ext6 ? 8 : 0) : 20 + s->ipopt);
	l.hlen = l.l4 + (s->proto == 17 ? 8 : 20 + s->tcpopt);
	return l;
}

static void addr_of(const struct fspec *s, int dst, uint8_t *a)
{
	uint8_t last = dst ? s->dst_last : s->src_last;
	if (s->ipv6) {
		static const uint8_t base[16] = {0x20, 0x01, 0x0d, 0xb8, [7] = 0x07};
		memcpy(a, base, 16);
		a[15] = last;
	} else {
		a[0] = 198;
		a[1] = 18;
		a[2] = 0;
		a[3] = last;
	}
}

/* Pseudo-header sum (unfolded) for the frame f laid out as l. */
static uint64_t ref_pseudo(const uint8_t *f, const struct fspec *s, const struct lay *l, size_t l4len)
{
	uint64_t sum = 0;
	const uint8_t *ip = f + l->l3;
	if (s->ipv6) {
		for (int i = 8; i < 40; i += 2)
			sum += get16(ip + i);
		return sum + (l4len >> 16) + (l4len & 0xffff) + s->proto;
	}
	for (int i = 12; i < 20; i += 2)
		sum += get16(ip + i);
	return sum + l4len + s->proto;
}

/* Build the frame into f with right IP and L4 checksums; returns its
 * length (IP datagram + padding). */
static size_t mk_frame(uint8_t *f, const struct fspec *s)
{
	struct lay l = lay_of(s);
	size_t l4len = l.hlen - l.l4 + s->payload;
	uint8_t *ip = f + l.l3, *th = f + l.l4;

	memset(f, 0, l.hlen);
	for (int i = 0; i < 6; i++) {
		f[i] = (uint8_t)(0x02 + i);
		f[6 + i] = (uint8_t)(0x12 + i);
	}
	f[5] = s->mac_last;
	if (s->vlan) {
		put16(f + 12, 0x8100);
		put16(f + 14, 42);
	}
	put16(f + l.l3 - 2, s->ipv6 ? 0x86dd : 0x0800);
	if (s->ipv6) {
		put32(ip, 6u << 28 | (uint32_t)s->tos << 20 | (s->flow & 0xfffff));
		put16(ip + 4, (uint16_t)(l.hlen - l.l3 - 40 + s->payload));
		ip[6] = s->ext6 ? 0 : s->proto;
		ip[7] = s->ttl;
		addr_of(s, 0, ip + 8);
		addr_of(s, 1, ip + 24);
		if (s->ext6) {
			ip[40] = s->proto;
			ip[41] = 0;
			ip[42] = 1; /* PadN */
			ip[43] = 4;
		}
	} else {
		ip[0] = (uint8_t)(0x40 | (5 + s->ipopt / 4));
		ip[1] = s->tos;
		put16(ip + 2, (uint16_t)(l.hlen - l.l3 + s->payload));
		put16(ip + 4, s->id);
		put16(ip + 6, s->frag);
		ip[8] = s->ttl;
		ip[9] = s->proto;
		addr_of(s, 0, ip + 12);
		addr_of(s, 1, ip + 16);
		for (unsigned i = 0; i < s->ipopt; i++)
			ip[20 + i] = 1; /* NOP */
		if (s->ipopt)
			ip[20 + s->ipopt - 1] = 0; /* EOL */
		put16(ip + 10, (uint16_t)~ref_sum(0, ip, l.l4 - l.l3));
	}
	put16(th, s->sport);
	put16(th + 2, s->dport);
	if (s->proto == 17) {
		put16(th + 4, (uint16_t)l4len);
	} else {
		put32(th + 4, s->seq);
		put32(th + 8, s->ack);
		th[12] = (uint8_t)((20 + s->tcpopt) / 4 << 4);
		th[13] = s->flags;
		put16(th + 14, 502);
		if (s->tcpopt) {
			th[20] = 1;
			th[21] = 1;
			th[22] = 8;
			th[23] = 10;
			put32(th + 24, s->tsval);
			put32(th + 28, 77);
		}
	}
	for (size_t k = 0; k < s->payload; k++)
		f[l.hlen + k] = pat(s->payoff + k);
	unsigned coff = s->proto == 17 ? 6 : 16;
	put16(th + coff, (uint16_t)~ref_sum(ref_pseudo(f, s, &l, l4len), th, l4len));
	for (size_t k = 0; k < s->pad; k++)
		f[l.hlen + s->payload + k] = (uint8_t)(0xa5 ^ k);
	return l.hlen + s->payload + s->pad;
}

static int l4_csum_ok(const uint8_t *f, const struct fspec *s, const struct lay *l, size_t l4len)
{
	return ref_sum(ref_pseudo(f, s, l, l4len), f + l->l4, l4len) == 0xffff;
}

static int ip4_csum_ok(const uint8_t *f, const struct lay *l)
{
	return ref_sum(0, f + l->l3, l->l4 - l->l3) == 0xffff;
}

/* A heap copy of exactly len bytes, so that ASan sees any read past len. */
static uint8_t *dup_exact(const uint8_t *f, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	assert_non_null(p);
	memcpy(p, f, len);
	return p;
}

static uint8_t frame[70000], frame2[70000];
static uint8_t out[1 << 18];
static struct offload_seg segs[1024];
static uint8_t grobuf[1 << 17];

/* ---- offload_csum_add ---- */

static void test_csum_add_equals_naive_sum_for_every_length_alignment_and_initial_sum(void **state)
{
	(void)state;
	static const uint32_t inits[] = {0, 1, 0xfffe, 0xffff, 0x10000, 0x12345678, 0xfffeffff, 0xffffffff};
	uint8_t buf[8 + 300];

	for (int round = 0; round < 4; round++) {
		for (size_t i = 0; i < sizeof(buf); i++)
			buf[i] = round == 3 ? 0xff : (uint8_t)rnd();
		for (size_t len = 0; len <= 300; len++)
			for (size_t al = 0; al < 8; al++)
				for (size_t k = 0; k < N(inits); k++) {
					snprintf(ctx, sizeof(ctx), "round %d len %zu align %zu init %#x", round, len,
						 al, inits[k]);
					uint32_t got = offload_csum_add(inits[k], buf + al, len);
					EXPECT_EQ(fold32(got), ref_sum(inits[k], buf + al, len));
				}
	}
	/* Zero data adds nothing: the sum stays a ones'-complement zero. */
	memset(buf, 0, sizeof(buf));
	snprintf(ctx, sizeof(ctx), "zeros");
	EXPECT_EQ(fold32(offload_csum_add(0, buf, 300)), 0);
	EXPECT_EQ(fold32(offload_csum_add(0x1234, buf + 3, 299)), 0x1234);
}

static void test_csum_add_chains_over_even_splits_and_long_all_ones_data(void **state)
{
	(void)state;
	static uint8_t big[70000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)rnd();
	for (size_t cut = 0; cut <= 300; cut += 2) {
		snprintf(ctx, sizeof(ctx), "cut %zu", cut);
		uint32_t s = offload_csum_add(0, big, cut);
		s = offload_csum_add(s, big + cut, 1001 - cut);
		EXPECT_EQ(fold32(s), ref_sum(0, big, 1001));
	}
	snprintf(ctx, sizeof(ctx), "70000 random bytes");
	EXPECT_EQ(fold32(offload_csum_add(0xffffffffu, big + 1, sizeof(big) - 1)),
		  ref_sum(0xffffffffu, big + 1, sizeof(big) - 1));
	memset(big, 0xff, sizeof(big));
	snprintf(ctx, sizeof(ctx), "70000 bytes of 0xff");
	EXPECT_EQ(fold32(offload_csum_add(0xffffffffu, big, sizeof(big))), ref_sum(0xffffffffu, big, sizeof(big)));
}

/* ---- offload_csum_complete ---- */

/* Preload the L4 checksum field with the folded pseudo-header sum, as the
 * kernel does for CHECKSUM_PARTIAL. */
static void preload_partial(uint8_t *f, const struct fspec *s, const struct lay *l, size_t l4len, unsigned coff)
{
	put16(f + l->l4 + coff, ref_sum(ref_pseudo(f, s, l, l4len), NULL, 0));
}

static void test_csum_complete_writes_right_tcp_and_udp_checksums(void **state)
{
	(void)state;
	static const size_t pays[] = {0, 1, 2, 3, 17, 1399, 9000};
	for (int ipv6 = 0; ipv6 <= 1; ipv6++)
		for (int udp = 0; udp <= 1; udp++)
			for (size_t k = 0; k < N(pays); k++) {
				struct fspec s = base_spec(ipv6);
				s.proto = udp ? 17 : 6;
				s.tcpopt = udp ? 0 : 12;
				s.payload = pays[k];
				s.payoff = k * 13;
				struct lay l = lay_of(&s);
				size_t len = mk_frame(frame, &s), l4len = len - l.l4;
				unsigned coff = udp ? 6 : 16;
				uint16_t want = get16(frame + l.l4 + coff);
				snprintf(ctx, sizeof(ctx), "%s %s payload %zu", ipv6 ? "IPv6" : "IPv4",
					 udp ? "UDP" : "TCP", pays[k]);
				preload_partial(frame, &s, &l, l4len, coff);
				uint8_t *f = dup_exact(frame, len);
				EXPECT_EQ(offload_csum_complete(f, len, l.l4, coff), 0);
				EXPECT_EQ(get16(f + l.l4 + coff), want ? want : 0xffff);
				EXPECT(l4_csum_ok(f, &s, &l, l4len));
				EXPECT(memcmp(f, frame, l.l4 + coff) == 0);
				EXPECT(memcmp(f + l.l4 + coff + 2, frame + l.l4 + coff + 2, len - l.l4 - coff - 2) ==
				       0);
				free(f);
			}
}

static void test_csum_complete_writes_ffff_for_a_sum_that_folds_to_zero(void **state)
{
	(void)state;
	for (int udp = 0; udp <= 1; udp++) {
		struct fspec s = base_spec(0);
		s.proto = udp ? 17 : 6;
		s.payload = 10;
		struct lay l = lay_of(&s);
		size_t len = mk_frame(frame, &s), l4len = len - l.l4;
		unsigned coff = udp ? 6 : 16;
		uint8_t *th = frame + l.l4;
		snprintf(ctx, sizeof(ctx), "%s", udp ? "UDP" : "TCP");
		/* Choose the first payload word so that the whole sum is a
		 * ones'-complement zero: its checksum would be 0x0000. */
		put16(th + coff, 0);
		uint16_t sum = ref_sum(ref_pseudo(frame, &s, &l, l4len), th, l4len);
		uint8_t *w = frame + l.hlen;
		put16(w, ref_sum((uint64_t)get16(w) + (uint16_t)~sum, NULL, 0));
		put16(th + coff, 0);
		EXPECT_EQ(ref_sum(ref_pseudo(frame, &s, &l, l4len), th, l4len), 0xffff);
		preload_partial(frame, &s, &l, l4len, coff);
		EXPECT_EQ(offload_csum_complete(frame, len, l.l4, coff), 0);
		EXPECT_EQ(get16(th + coff), 0xffff);
		EXPECT(l4_csum_ok(frame, &s, &l, l4len));
	}
}

static void test_csum_complete_refuses_start_or_offset_outside_the_frame(void **state)
{
	(void)state;
	static const struct {
		size_t len;
		unsigned start, offset;
		int want;
	} rows[] = {
	    {64, 0, 62, 0},
	    {64, 34, 28, 0},
	    {64, 62, 0, 0},
	    {2, 0, 0, 0},
	    {64, 34, 29, -EINVAL},
	    {64, 63, 0, -EINVAL},
	    {64, 64, 0, -EINVAL},
	    {64, 65, 0, -EINVAL},
	    {64, 0, 63, -EINVAL},
	    {64, 0, 64, -EINVAL},
	    {0, 0, 0, -EINVAL},
	    {1, 0, 0, -EINVAL},
	    {64, UINT_MAX, 16, -EINVAL},
	    {64, 34, UINT_MAX, -EINVAL},
	    {64, UINT_MAX, UINT_MAX, -EINVAL},
	    {64, 1u << 31, 1u << 31, -EINVAL},
	    {64, 34, 31, -EINVAL},
	    {64, 34, 40, -EINVAL},
	    {64, 60, 60, -EINVAL},
	    {64, 34, 64, -EINVAL},
	};
	for (size_t i = 0; i < N(rows); i++) {
		snprintf(ctx, sizeof(ctx), "len %zu start %u offset %u", rows[i].len, rows[i].start, rows[i].offset);
		uint8_t ref[64];
		for (size_t k = 0; k < sizeof(ref); k++)
			ref[k] = (uint8_t)(k * 3 + 1);
		uint8_t *f = dup_exact(ref, rows[i].len);
		EXPECT_EQ(offload_csum_complete(f, rows[i].len, rows[i].start, rows[i].offset), rows[i].want);
		if (rows[i].want) {
			EXPECT(memcmp(f, ref, rows[i].len) == 0);
		} else {
			uint16_t c = (uint16_t)~ref_sum(0, ref + rows[i].start, rows[i].len - rows[i].start);
			EXPECT_EQ(get16(f + rows[i].start + rows[i].offset), c ? c : 0xffff);
		}
		free(f);
	}
}

/* ---- offload_tso_segment ---- */

struct fam {
	const char *name;
	int ipv6, vlan;
	unsigned ipopt;
	uint8_t gso;
};

static const struct fam fams[] = {
    {"IPv4", 0, 0, 0, VIRTIO_NET_HDR_GSO_TCPV4},
    {"IPv4+options", 0, 0, 12, VIRTIO_NET_HDR_GSO_TCPV4},
    {"IPv6", 1, 0, 0, VIRTIO_NET_HDR_GSO_TCPV6},
    {"IPv4 VLAN", 0, 1, 0, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN},
    {"IPv6 VLAN", 1, 1, 0, VIRTIO_NET_HDR_GSO_TCPV6},
};

static struct virtio_net_hdr tso_vh(uint8_t gso, uint16_t mss, const struct lay *l)
{
	struct virtio_net_hdr vh = {
	    .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	    .gso_type = gso,
	    .hdr_len = (uint16_t)l->hlen,
	    .gso_size = mss,
	    .csum_start = (uint16_t)l->l4,
	    .csum_offset = 16,
	};
	return vh;
}

/* Check the segments of the super-frame built from s (already in frame). */
static void check_segments(const struct fspec *s, size_t headroom, uint16_t mss, int n)
{
	struct lay l = lay_of(s);
	size_t nwant = s->payload ? (s->payload + mss - 1) / mss : 1;
	EXPECT_EQ(n, nwant);
	if (n <= 0)
		return;
	EXPECT(segs[0].data == out + headroom);
	size_t got = 0;
	for (int i = 0; i < n; i++) {
		const uint8_t *d = segs[i].data, *ip = d + l.l3, *th = d + l.l4;
		size_t seglen = s->payload - got < mss ? s->payload - got : mss;
		if (i + 1 < n)
			EXPECT(segs[i + 1].data == segs[i].data + segs[i].len + headroom);
		EXPECT(segs[i].data + segs[i].len <= out + sizeof(out));
		EXPECT_EQ(segs[i].len, l.hlen + seglen);
		EXPECT(memcmp(d, frame, l.l3) == 0);
		if (s->ipv6) {
			EXPECT_EQ(get16(ip + 4), l.hlen - l.l3 - 40 + seglen);
			EXPECT(memcmp(ip, frame + l.l3, 4) == 0);
			EXPECT(memcmp(ip + 6, frame + l.l3 + 6, 34) == 0);
		} else {
			EXPECT_EQ(get16(ip + 2), l.hlen - l.l3 + seglen);
			EXPECT_EQ(get16(ip + 4), (uint16_t)(s->id + i));
			EXPECT(ip4_csum_ok(d, &l));
			EXPECT(memcmp(ip, frame + l.l3, 2) == 0);
			EXPECT(memcmp(ip + 6, frame + l.l3 + 6, 4) == 0);
			EXPECT(memcmp(ip + 12, frame + l.l3 + 12, l.l4 - l.l3 - 12) == 0);
		}
		EXPECT_EQ(get32(th + 4), (uint32_t)(s->seq + got));
		uint8_t fl = s->flags;
		if (i + 1 < n)
			fl &= (uint8_t) ~(FIN | PSH);
		if (i > 0)
			fl &= (uint8_t)~CWR;
		EXPECT_EQ(th[13], fl);
		EXPECT(memcmp(th, frame + l.l4, 4) == 0);
		EXPECT(memcmp(th + 8, frame + l.l4 + 8, 5) == 0);
		EXPECT(memcmp(th + 14, frame + l.l4 + 14, 2) == 0);
		EXPECT(memcmp(th + 18, frame + l.l4 + 18, l.hlen - l.l4 - 18) == 0);
		EXPECT(l4_csum_ok(d, s, &l, segs[i].len - l.l4));
		EXPECT(memcmp(d + l.hlen, frame + l.hlen + got, seglen) == 0);
		got += seglen;
	}
	EXPECT_EQ(got, s->payload);
}

static void test_tso_segments_ipv4_ipv6_at_every_size_boundary(void **state)
{
	(void)state;
	static const uint16_t msses[] = {1398, 88};
	int ncase = 0;
	for (size_t fi = 0; fi < N(fams); fi++)
		for (unsigned tcpopt = 0; tcpopt <= 12; tcpopt += 12)
			for (size_t mi = 0; mi < N(msses); mi++) {
				uint16_t mss = msses[mi];
				size_t pays[] = {0, 1, mss - 1u, mss, mss + 1u, 10u * mss + 7, 65000};
				for (size_t pi = 0; pi < N(pays); pi++, ncase++) {
					struct fspec s = base_spec(fams[fi].ipv6);
					s.vlan = fams[fi].vlan;
					s.ipopt = fams[fi].ipopt;
					s.tcpopt = tcpopt;
					s.payload = pays[pi];
					s.payoff = pi;
					s.flags = ncase & 1 ? ACK : (CWR | ECE | ACK | PSH | FIN);
					s.seq = ncase % 3 ? 0x10000000 : 0xfffff000; /* and wrapping */
					s.id = ncase % 4 ? 0x7000 : 0xfffe;	     /* and wrapping */
					size_t headroom = ncase % 5 ? 50 : 0;
					struct lay l = lay_of(&s);
					size_t len = mk_frame(frame, &s);
					struct virtio_net_hdr vh = tso_vh(fams[fi].gso, mss, &l);
					snprintf(ctx, sizeof(ctx), "%s tcpopt %u mss %u payload %zu headroom %zu",
						 fams[fi].name, tcpopt, mss, pays[pi], headroom);
					uint8_t *f = dup_exact(frame, len);
					int n =
					    offload_tso_segment(f, len, &vh, headroom, out, sizeof(out), segs, N(segs));
					check_segments(&s, headroom, mss, n);
					/* Exactly enough room and segment slots: fine; one less: -ENOSPC. */
					size_t need = (size_t)n * (l.hlen + headroom) + s.payload;
					EXPECT_EQ(
					    offload_tso_segment(f, len, &vh, headroom, out, need, segs, (unsigned)n),
					    n);
					check_segments(&s, headroom, mss, n);
					EXPECT_EQ(
					    offload_tso_segment(f, len, &vh, headroom, out, need - 1, segs, N(segs)),
					    -ENOSPC);
					EXPECT_EQ(offload_tso_segment(f, len, &vh, headroom, out, sizeof(out), segs,
								      (unsigned)n - 1),
						  -ENOSPC);
					EXPECT(memcmp(f, frame, len) == 0);
					free(f);
				}
			}
}

static void test_tso_refuses_malformed_frames_and_headers(void **state)
{
	(void)state;
	enum { OK, GSO_NONE, GSO_UDP, GSO_SWAP, MSS0, UDP, EXT6, DOFF4, IHL4, VER, ARP };
	static const struct {
		const char *name;
		int ipv6, what, want;
	} rows[] = {
	    {"control IPv4", 0, OK, 3},
	    {"control IPv6", 1, OK, 3},
	    {"gso NONE v4", 0, GSO_NONE, -EINVAL},
	    {"gso NONE v6", 1, GSO_NONE, -EINVAL},
	    {"gso UDP", 0, GSO_UDP, -EINVAL},
	    {"TCPV6 with IPv4", 0, GSO_SWAP, -EINVAL},
	    {"TCPV4 with IPv6", 1, GSO_SWAP, -EINVAL},
	    {"gso_size 0 v4", 0, MSS0, -EINVAL},
	    {"gso_size 0 v6", 1, MSS0, -EINVAL},
	    {"UDP over IPv4", 0, UDP, -EINVAL},
	    {"UDP over IPv6", 1, UDP, -EINVAL},
	    {"IPv6 hop-by-hop", 1, EXT6, -EINVAL},
	    {"TCP doff 4 v4", 0, DOFF4, -EINVAL},
	    {"TCP doff 4 v6", 1, DOFF4, -EINVAL},
	    {"IPv4 IHL 4", 0, IHL4, -EINVAL},
	    {"IPv4 version 6 nibble", 0, VER, -EINVAL},
	    {"IPv6 version 4 nibble", 1, VER, -EINVAL},
	    {"ARP ethertype", 0, ARP, -EINVAL},
	};
	for (size_t i = 0; i < N(rows); i++) {
		struct fspec s = base_spec(rows[i].ipv6);
		s.payload = 3 * 100;
		s.tcpopt = 12;
		if (rows[i].what == UDP)
			s.proto = 17;
		if (rows[i].what == EXT6)
			s.ext6 = 1;
		struct lay l = lay_of(&s);
		size_t len = mk_frame(frame, &s);
		struct virtio_net_hdr vh =
		    tso_vh(rows[i].ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4, 100, &l);
		switch (rows[i].what) {
		case GSO_NONE:
			vh.gso_type = VIRTIO_NET_HDR_GSO_NONE;
			break;
		case GSO_UDP:
			vh.gso_type = VIRTIO_NET_HDR_GSO_UDP;
			break;
		case GSO_SWAP:
			vh.gso_type = rows[i].ipv6 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
			break;
		case MSS0:
			vh.gso_size = 0;
			break;
		case DOFF4:
			frame[l.l4 + 12] = 4 << 4;
			break;
		case IHL4:
			frame[l.l3] = 0x44;
			break;
		case VER:
			frame[l.l3] = rows[i].ipv6 ? 0x45 : 0x65;
			break;
		case ARP:
			put16(frame + 12, 0x0806);
			break;
		}
		snprintf(ctx, sizeof(ctx), "%s", rows[i].name);
		uint8_t *f = dup_exact(frame, len);
		EXPECT_EQ(offload_tso_segment(f, len, &vh, 16, out, sizeof(out), segs, N(segs)), rows[i].want);
		free(f);
	}
	/* Truncated anywhere inside the headers, with and without VLAN / IP options. */
	for (size_t fi = 0; fi < N(fams); fi++) {
		struct fspec s = base_spec(fams[fi].ipv6);
		s.vlan = fams[fi].vlan;
		s.ipopt = fams[fi].ipopt;
		s.tcpopt = 12;
		struct lay l = lay_of(&s);
		mk_frame(frame, &s);
		struct virtio_net_hdr vh = tso_vh(fams[fi].gso, 100, &l);
		for (size_t len = 0; len < l.hlen; len++) {
			snprintf(ctx, sizeof(ctx), "%s truncated to %zu of %u header bytes", fams[fi].name, len,
				 l.hlen);
			uint8_t *f = dup_exact(frame, len);
			EXPECT_EQ(offload_tso_segment(f, len, &vh, 0, out, sizeof(out), segs, N(segs)), -EINVAL);
			free(f);
		}
		snprintf(ctx, sizeof(ctx), "%s headers only", fams[fi].name);
		uint8_t *f = dup_exact(frame, l.hlen);
		EXPECT_EQ(offload_tso_segment(f, l.hlen, &vh, 0, out, sizeof(out), segs, N(segs)), 1);
		free(f);
	}
}

/* ---- offload_gro ---- */

struct gro_case {
	const struct fam *fam;
	unsigned tcpopt;
	uint16_t mss;
	size_t payload;
	uint32_t seq;
};

static void check_gro_roundtrip(const struct gro_case *c)
{
	struct fspec s = base_spec(c->fam->ipv6);
	s.tcpopt = c->tcpopt;
	s.payload = c->payload;
	s.seq = c->seq;
	s.flags = ACK | PSH;
	struct lay l = lay_of(&s);
	size_t len = mk_frame(frame, &s);
	struct virtio_net_hdr vh = tso_vh(c->fam->gso, c->mss, &l);
	snprintf(ctx, sizeof(ctx), "%s tcpopt %u mss %u payload %zu seq %#x", c->fam->name, c->tcpopt, c->mss,
		 c->payload, c->seq);
	int n = offload_tso_segment(frame, len, &vh, 0, out, sizeof(out), segs, N(segs));
	EXPECT(n >= 1);

	struct offload_gro g;
	offload_gro_init(&g, grobuf, sizeof(grobuf));
	EXPECT_EQ(offload_gro_closed(&g), 0);
	for (int i = 0; i < n; i++) {
		uint8_t *f = dup_exact(segs[i].data, segs[i].len);
		EXPECT_EQ(offload_gro_add(&g, f, segs[i].len), OFFLOAD_GRO_HELD);
		EXPECT_EQ(g.nseg, i + 1);
		/* Only the last segment (PSH, or short) closes the train. */
		EXPECT_EQ(offload_gro_closed(&g), i + 1 == n);
		free(f);
	}
	struct virtio_net_hdr ovh;
	memset(&ovh, 0xee, sizeof(ovh));
	size_t m = offload_gro_finish(&g, &ovh);
	EXPECT_EQ(g.nseg, 0);
	EXPECT_EQ(offload_gro_closed(&g), 0);
	if (n == 1) {
		EXPECT_EQ(m, len);
		EXPECT(memcmp(grobuf, frame, len) == 0);
		EXPECT_EQ(ovh.flags, VIRTIO_NET_HDR_F_DATA_VALID);
		EXPECT_EQ(ovh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
		EXPECT_EQ(ovh.gso_size, 0);
	} else {
		const uint8_t *ip = grobuf + l.l3, *th = grobuf + l.l4;
		EXPECT_EQ(m, len);
		EXPECT(memcmp(grobuf + l.hlen, frame + l.hlen, s.payload) == 0);
		EXPECT(memcmp(grobuf, frame, l.l3) == 0);
		if (s.ipv6) {
			EXPECT_EQ(get16(ip + 4), m - l.l3 - 40);
			EXPECT(memcmp(ip, frame + l.l3, l.l4 - l.l3) == 0);
		} else {
			EXPECT_EQ(get16(ip + 2), m - l.l3);
			EXPECT(ip4_csum_ok(grobuf, &l));
			EXPECT(memcmp(ip, frame + l.l3, 10) == 0);
			EXPECT(memcmp(ip + 12, frame + l.l3 + 12, 8) == 0);
		}
		EXPECT(memcmp(th, frame + l.l4, 16) == 0); /* seq of the first, PSH of the last */
		EXPECT(memcmp(th + 18, frame + l.l4 + 18, l.hlen - l.l4 - 18) == 0);
		EXPECT_EQ(ovh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
		EXPECT_EQ(ovh.csum_start, l.l4);
		EXPECT_EQ(ovh.csum_offset, 16);
		EXPECT_EQ(ovh.gso_type, s.ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4);
		EXPECT_EQ(ovh.gso_size, c->mss);
		EXPECT_EQ(ovh.hdr_len, l.hlen);
		EXPECT_EQ(get16(th + 16), ref_sum(ref_pseudo(grobuf, &s, &l, m - l.l4), NULL, 0));
		EXPECT_EQ(offload_csum_complete(grobuf, m, ovh.csum_start, ovh.csum_offset), 0);
		EXPECT(l4_csum_ok(grobuf, &s, &l, m - l.l4));
	}
	/* Nothing pending any more. */
	EXPECT_EQ(offload_gro_finish(&g, &ovh), 0);
	EXPECT_EQ(ovh.flags, 0);
	EXPECT_EQ(ovh.gso_type, 0);
}

static void test_gro_merges_tso_segments_back_into_the_super_frame(void **state)
{
	(void)state;
	static const uint16_t msses[] = {1398, 88};
	/* GRO takes untagged frames only: the IPv4, IPv4+options (refused,
	 * tested below) and VLAN families are left out here. */
	static const struct fam *gfams[] = {&fams[0], &fams[2]};
	int k = 0;
	for (size_t fi = 0; fi < N(gfams); fi++)
		for (unsigned tcpopt = 0; tcpopt <= 12; tcpopt += 12)
			for (size_t mi = 0; mi < N(msses); mi++) {
				uint16_t mss = msses[mi];
				size_t pays[] = {1, mss - 1u, mss, mss + 1u, 10u * mss + 7, 65000};
				for (size_t pi = 0; pi < N(pays); pi++, k++) {
					struct gro_case c = {gfams[fi], tcpopt, mss, pays[pi],
							     k % 3 ? 0x10000000u : 0xffffff00u};
					check_gro_roundtrip(&c);
				}
			}
}

static void test_gro_single_segment_finishes_unchanged_with_data_valid(void **state)
{
	(void)state;
	for (int ipv6 = 0; ipv6 <= 1; ipv6++) {
		struct fspec s = base_spec(ipv6);
		s.tcpopt = 12;
		s.payload = 1398;
		size_t len = mk_frame(frame, &s);
		snprintf(ctx, sizeof(ctx), "%s", ipv6 ? "IPv6" : "IPv4");
		struct offload_gro g;
		offload_gro_init(&g, grobuf, sizeof(grobuf));
		EXPECT_EQ(offload_gro_add(&g, frame, len), OFFLOAD_GRO_HELD);
		EXPECT_EQ(offload_gro_closed(&g), 0);
		struct virtio_net_hdr vh;
		memset(&vh, 0xee, sizeof(vh));
		EXPECT_EQ(offload_gro_finish(&g, &vh), len);
		EXPECT(memcmp(grobuf, frame, len) == 0);
		EXPECT_EQ(vh.flags, VIRTIO_NET_HDR_F_DATA_VALID);
		EXPECT_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_NONE);
		EXPECT_EQ(vh.gso_size, 0);
		EXPECT_EQ(vh.csum_start, 0);
		EXPECT_EQ(vh.csum_offset, 0);
		EXPECT_EQ(vh.hdr_len, 0);
	}
}

/* Changes applied to a spec, or to the built frame, for the refusal tables. */
enum mut {
	M_NONE,
	M_UDP,
	M_SYN,
	M_FIN,
	M_RST,
	M_URG,
	M_NOACK,
	M_ECE,
	M_PURE_ACK,
	M_BAD_TCP_CSUM,
	M_IPOPT,
	M_MF,
	M_FRAGOFF,
	M_VLAN,
	M_EXT6,
	M_TRUNC,
	M_IPLEN_LONG,
	M_IPLEN_SHORT,
	M_ARP,
	M_SEQ_GAP,
	M_SEQ_SAME,
	M_SPORT,
	M_DPORT,
	M_SRC,
	M_DST,
	M_MAC,
	M_ACKNO,
	M_TSVAL,
	M_NOOPT,
	M_TTL,
	M_TOS,
	M_FLOW,
	M_DF,
	M_FAMILY,
	M_BIGGER,
};

/* The frame that continues a train of one mss-sized segment with spec
 * first, changed by m; returns its length in frame2. */
static size_t mk_next(const struct fspec *first, enum mut m, struct fspec *s)
{
	*s = *first;
	s->seq = first->seq + (uint32_t)first->payload;
	s->payoff = first->payoff + first->payload;
	switch (m) {
	case M_UDP:
		s->proto = 17;
		break;
	case M_SYN:
		s->flags |= SYN;
		break;
	case M_FIN:
		s->flags |= FIN;
		break;
	case M_RST:
		s->flags |= RST;
		break;
	case M_URG:
		s->flags |= URG;
		break;
	case M_NOACK:
		s->flags = PSH;
		break;
	case M_ECE:
		s->flags |= ECE;
		break;
	case M_PURE_ACK:
		s->payload = 0;
		break;
	case M_IPOPT:
		s->ipopt = 4;
		break;
	case M_MF:
		s->frag = 0x2000;
		break;
	case M_FRAGOFF:
		s->frag = 0x0010;
		break;
	case M_VLAN:
		s->vlan = 1;
		break;
	case M_EXT6:
		s->ext6 = 1;
		break;
	case M_SEQ_GAP:
		s->seq += 1;
		break;
	case M_SEQ_SAME:
		s->seq = first->seq;
		break;
	case M_SPORT:
		s->sport++;
		break;
	case M_DPORT:
		s->dport++;
		break;
	case M_SRC:
		s->src_last++;
		break;
	case M_DST:
		s->dst_last++;
		break;
	case M_MAC:
		s->mac_last++;
		break;
	case M_ACKNO:
		s->ack += 1448;
		break;
	case M_TSVAL:
		s->tsval++;
		break;
	case M_NOOPT:
		s->tcpopt = 0;
		break;
	case M_TTL:
		s->ttl--;
		break;
	case M_TOS:
		s->tos = 0x28;
		break;
	case M_FLOW:
		s->flow++;
		break;
	case M_DF:
		s->frag = 0;
		break;
	case M_FAMILY:
		s->ipv6 = !s->ipv6;
		break;
	case M_BIGGER:
		s->payload++;
		break;
	default:
		break;
	}
	size_t len = mk_frame(frame2, s);
	struct lay l = lay_of(s);
	switch (m) {
	case M_BAD_TCP_CSUM:
		frame2[len - 1] ^= 0x40;
		break;
	case M_TRUNC:
		len = l.hlen - 1;
		break;
	case M_IPLEN_LONG:
		/* IP length beyond the bytes received */
		if (s->ipv6)
			put16(frame2 + l.l3 + 4, (uint16_t)(get16(frame2 + l.l3 + 4) + 1));
		else
			put16(frame2 + l.l3 + 2, (uint16_t)(get16(frame2 + l.l3 + 2) + 1));
		break;
	case M_IPLEN_SHORT:
		/* IP length inside the TCP header */
		if (s->ipv6)
			put16(frame2 + l.l3 + 4, 10);
		else
			put16(frame2 + l.l3 + 2, 30);
		break;
	case M_ARP:
		put16(frame2 + 12, 0x0806);
		break;
	default:
		break;
	}
	return len;
}

static const struct {
	const char *name;
	enum mut m;
	int fam; /* 1 IPv4, 2 IPv6, 3 both */
} pass_rows[] = {
    {"SYN", M_SYN, 3},
    {"FIN", M_FIN, 3},
    {"RST", M_RST, 3},
    {"URG", M_URG, 3},
    {"no ACK", M_NOACK, 3},
    {"ECE", M_ECE, 3},
    {"pure ACK", M_PURE_ACK, 3},
    {"bad TCP checksum", M_BAD_TCP_CSUM, 3},
    {"IPv4 options", M_IPOPT, 1},
    {"IPv4 MF", M_MF, 1},
    {"IPv4 fragment offset", M_FRAGOFF, 1},
    {"VLAN tag", M_VLAN, 3},
    {"IPv6 hop-by-hop", M_EXT6, 2},
    {"truncated TCP header", M_TRUNC, 3},
    {"IP length past the frame", M_IPLEN_LONG, 3},
    {"IP length inside the headers", M_IPLEN_SHORT, 3},
    {"ARP ethertype", M_ARP, 3},
};

static const struct {
	const char *name;
	enum mut m;
	int fam;
} flush_rows[] = {
    {"seq gap", M_SEQ_GAP, 3},	      {"seq repeated", M_SEQ_SAME, 3},
    {"source port", M_SPORT, 3},      {"destination port", M_DPORT, 3},
    {"source address", M_SRC, 3},     {"destination address", M_DST, 3},
    {"destination MAC", M_MAC, 3},    {"ack number", M_ACKNO, 3},
    {"timestamp value", M_TSVAL, 3},  {"no TCP options", M_NOOPT, 3},
    {"TTL / hop limit", M_TTL, 3},    {"TOS / traffic class", M_TOS, 3},
    {"flow label", M_FLOW, 2},	      {"DF bit", M_DF, 1},
    {"other IP family", M_FAMILY, 3}, {"bigger than mss", M_BIGGER, 3},
};

static struct fspec train_spec(int ipv6)
{
	struct fspec s = base_spec(ipv6);
	s.tcpopt = 12;
	s.payload = 1000;
	return s;
}

static void test_gro_passes_what_cannot_be_merged_and_keeps_the_pending_frame(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(pass_rows); i++)
		for (int ipv6 = 0; ipv6 <= 1; ipv6++) {
			if (!(pass_rows[i].fam & (1 << ipv6)))
				continue;
			struct fspec first = train_spec(ipv6), s;
			size_t flen = mk_frame(frame, &first);
			size_t len = mk_next(&first, pass_rows[i].m, &s);
			uint8_t *f = dup_exact(frame2, len);
			struct offload_gro g;
			struct virtio_net_hdr vh;

			snprintf(ctx, sizeof(ctx), "%s %s, nothing pending", ipv6 ? "IPv6" : "IPv4", pass_rows[i].name);
			offload_gro_init(&g, grobuf, sizeof(grobuf));
			EXPECT_EQ(offload_gro_add(&g, f, len), OFFLOAD_GRO_PASS);
			EXPECT_EQ(g.nseg, 0);
			EXPECT_EQ(offload_gro_finish(&g, &vh), 0);

			snprintf(ctx, sizeof(ctx), "%s %s, one pending", ipv6 ? "IPv6" : "IPv4", pass_rows[i].name);
			EXPECT_EQ(offload_gro_add(&g, frame, flen), OFFLOAD_GRO_HELD);
			EXPECT_EQ(offload_gro_add(&g, f, len), OFFLOAD_GRO_PASS);
			EXPECT_EQ(g.nseg, 1);
			EXPECT_EQ(offload_gro_finish(&g, &vh), flen);
			EXPECT(memcmp(grobuf, frame, flen) == 0);
			free(f);
		}
	/* The unchanged next segment is merged: the rows above fail for their change only. */
	for (int ipv6 = 0; ipv6 <= 1; ipv6++) {
		struct fspec first = train_spec(ipv6), s;
		size_t flen = mk_frame(frame, &first);
		size_t len = mk_next(&first, M_NONE, &s);
		struct offload_gro g;
		snprintf(ctx, sizeof(ctx), "%s control", ipv6 ? "IPv6" : "IPv4");
		offload_gro_init(&g, grobuf, sizeof(grobuf));
		EXPECT_EQ(offload_gro_add(&g, frame, flen), OFFLOAD_GRO_HELD);
		EXPECT_EQ(offload_gro_add(&g, frame2, len), OFFLOAD_GRO_HELD);
		EXPECT_EQ(g.nseg, 2);
	}
}

/* A UDP datagram after a TCP train: a train of its own (UDP GRO). */
static void test_gro_udp_after_tcp_flushes_the_tcp_train(void **state)
{
	(void)state;
	for (int ipv6 = 0; ipv6 <= 1; ipv6++) {
		struct fspec first = train_spec(ipv6), s;
		size_t flen = mk_frame(frame, &first);
		size_t len = mk_next(&first, M_UDP, &s);
		struct offload_gro g;
		snprintf(ctx, sizeof(ctx), "%s", ipv6 ? "IPv6" : "IPv4");
		offload_gro_init(&g, grobuf, sizeof(grobuf));
		EXPECT_EQ(offload_gro_add(&g, frame, flen), OFFLOAD_GRO_HELD);
		EXPECT_EQ(offload_gro_add(&g, frame2, len), OFFLOAD_GRO_FLUSH);
		EXPECT_EQ(g.nseg, 1);
	}
}

/* A UDP datagram of the train of spec u, number i (payload pattern offset). */
static size_t mk_udp(uint8_t *f, struct fspec *u, size_t i, size_t payload)
{
	u->payload = payload;
	u->payoff = i * 1000;
	u->id = (uint16_t)(0x7000 + i);
	return mk_frame(f, u);
}

/* Equal datagrams of one flow merge into one USO super-frame: the payloads
 * back to back, UDP and IP lengths of the whole, the pseudo-header sum in
 * the checksum field, gso_size the datagrams' payload; a shorter one ends
 * the train, the 65th starts another. */
static void test_gro_udp_datagrams_merge_into_a_uso_frame(void **state)
{
	(void)state;
	static const size_t pays[] = {1, 64, 1000, 1472};
	for (int ipv6 = 0; ipv6 <= 1; ipv6++)
		for (size_t pi = 0; pi < N(pays); pi++)
			for (int zero = 0; zero <= !ipv6; zero++) {
				struct fspec u = base_spec(ipv6);
				u.proto = 17;
				size_t pay = pays[pi], n = pay > 1000 ? 40 : 64;
				if (pay * n > 60000)
					n = 60000 / pay;
				struct offload_gro g;
				snprintf(ctx, sizeof(ctx), "%s payload %zu%s", ipv6 ? "IPv6" : "IPv4", pay,
					 zero ? " zero checksum" : "");
				offload_gro_init(&g, grobuf, sizeof(grobuf));
				size_t hlen = 14 + (ipv6 ? 40 : 20) + 8, l4 = hlen - 8, total = 0;
				for (size_t i = 0; i < n; i++) {
					size_t last = i + 1 == n ? pay / 2 + 1 : pay;
					size_t len = mk_udp(frame, &u, i, last);
					if (zero)
						put16(frame + l4 + 6, 0);
					EXPECT_EQ(offload_gro_add(&g, frame, len), OFFLOAD_GRO_HELD);
					memcpy(frame2 + hlen + total, frame + hlen, last);
					total += last;
					EXPECT_EQ(offload_gro_closed(&g), last < pay);
				}
				struct virtio_net_hdr vh;
				size_t m = offload_gro_finish(&g, &vh);
				EXPECT_EQ(m, hlen + total);
				EXPECT(memcmp(grobuf + hlen, frame2 + hlen, total) == 0);
				EXPECT_EQ(vh.gso_type, VIRTIO_NET_HDR_GSO_UDP_L4);
				EXPECT_EQ(vh.gso_size, pay);
				EXPECT_EQ(vh.hdr_len, hlen);
				EXPECT_EQ(vh.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
				EXPECT_EQ(vh.csum_start, l4);
				EXPECT_EQ(vh.csum_offset, 6);
				EXPECT_EQ(get16(grobuf + l4 + 4), 8 + total);
				if (ipv6) {
					EXPECT_EQ(get16(grobuf + 14 + 4), 8 + total);
				} else {
					EXPECT_EQ(get16(grobuf + 14 + 2), 20 + 8 + total);
					EXPECT_EQ(ref_sum(0, grobuf + 14, 20), 0xffff);
				}
				/* Completed as the kernel would, the whole carries a right sum. */
				EXPECT_EQ(offload_csum_complete(grobuf, m, vh.csum_start, vh.csum_offset), 0);
				struct lay l = {14, (unsigned)l4, (unsigned)hlen};
				EXPECT(l4_csum_ok(grobuf, &u, &l, m - l4));
			}
	/* 65 equal datagrams: the 65th does not fit. */
	struct fspec u = base_spec(0);
	u.proto = 17;
	struct offload_gro g;
	snprintf(ctx, sizeof(ctx), "65 datagrams");
	offload_gro_init(&g, grobuf, sizeof(grobuf));
	for (size_t i = 0; i < OFFLOAD_GRO_UDP_MAX; i++)
		EXPECT_EQ(offload_gro_add(&g, frame, mk_udp(frame, &u, i, 100)), OFFLOAD_GRO_HELD);
	EXPECT_EQ(offload_gro_add(&g, frame, mk_udp(frame, &u, 64, 100)), OFFLOAD_GRO_FLUSH);
}

/* What may not merge: another port, a longer datagram (flush); a wrong
 * checksum, IPv6 without one, a fragment (pass, the train kept). */
static void test_gro_udp_refuses_what_the_kernel_would_not_merge(void **state)
{
	(void)state;
	for (int ipv6 = 0; ipv6 <= 1; ipv6++) {
		struct fspec u = base_spec(ipv6);
		u.proto = 17;
		size_t hlen = 14 + (ipv6 ? 40 : 20) + 8, l4 = hlen - 8;
		struct offload_gro g;
		snprintf(ctx, sizeof(ctx), "%s", ipv6 ? "IPv6" : "IPv4");
		offload_gro_init(&g, grobuf, sizeof(grobuf));
		size_t len = mk_udp(frame, &u, 0, 200);
		EXPECT_EQ(offload_gro_add(&g, frame, len), OFFLOAD_GRO_HELD);
		/* bad checksum */
		len = mk_udp(frame2, &u, 1, 200);
		frame2[hlen + 3] ^= 0x40;
		EXPECT_EQ(offload_gro_add(&g, frame2, len), OFFLOAD_GRO_PASS);
		EXPECT_EQ(g.nseg, 1);
		/* no checksum over IPv6 is not UDP that may be merged */
		if (ipv6) {
			len = mk_udp(frame2, &u, 1, 200);
			put16(frame2 + l4 + 6, 0);
			EXPECT_EQ(offload_gro_add(&g, frame2, len), OFFLOAD_GRO_PASS);
		} else {
			struct fspec fr = u;
			fr.frag = 0x2000; /* MF */
			len = mk_udp(frame2, &fr, 1, 200);
			EXPECT_EQ(offload_gro_add(&g, frame2, len), OFFLOAD_GRO_PASS);
		}
		/* longer than the train's datagrams */
		len = mk_udp(frame2, &u, 1, 201);
		EXPECT_EQ(offload_gro_add(&g, frame2, len), OFFLOAD_GRO_FLUSH);
		/* another source port */
		struct fspec o = u;
		o.sport++;
		len = mk_udp(frame2, &o, 1, 200);
		EXPECT_EQ(offload_gro_add(&g, frame2, len), OFFLOAD_GRO_FLUSH);
		/* the unchanged next one merges */
		len = mk_udp(frame2, &u, 1, 200);
		EXPECT_EQ(offload_gro_add(&g, frame2, len), OFFLOAD_GRO_HELD);
		EXPECT_EQ(g.nseg, 2);
	}
}

static void test_gro_flushes_on_anything_that_breaks_the_train(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(flush_rows); i++)
		for (int ipv6 = 0; ipv6 <= 1; ipv6++) {
			if (!(flush_rows[i].fam & (1 << ipv6)))
				continue;
			struct fspec first = train_spec(ipv6), s;
			size_t flen = mk_frame(frame, &first);
			size_t len = mk_next(&first, flush_rows[i].m, &s);
			uint8_t *f = dup_exact(frame2, len);
			struct offload_gro g;
			struct virtio_net_hdr vh;

			snprintf(ctx, sizeof(ctx), "%s %s", ipv6 ? "IPv6" : "IPv4", flush_rows[i].name);
			offload_gro_init(&g, grobuf, sizeof(grobuf));
			EXPECT_EQ(offload_gro_add(&g, frame, flen), OFFLOAD_GRO_HELD);
			EXPECT_EQ(offload_gro_add(&g, f, len), OFFLOAD_GRO_FLUSH);
			EXPECT_EQ(g.nseg, 1);
			EXPECT_EQ(g.len, flen);
			EXPECT_EQ(offload_gro_finish(&g, &vh), flen);
			EXPECT(memcmp(grobuf, frame, flen) == 0);
			EXPECT_EQ(vh.flags, VIRTIO_NET_HDR_F_DATA_VALID);
			/* Flushed, the same frame starts a train of its own. */
			EXPECT_EQ(offload_gro_add(&g, f, len), OFFLOAD_GRO_HELD);
			EXPECT_EQ(offload_gro_finish(&g, &vh), len);
			free(f);
		}
}

static void test_gro_short_or_psh_segment_closes_the_train(void **state)
{
	(void)state;
	for (int ipv6 = 0; ipv6 <= 1; ipv6++)
		for (int how = 0; how < 3; how++) {
			/* how 0: a short second segment; 1: a PSH second; 2: a PSH first. */
			struct fspec a = train_spec(ipv6), b, c;
			struct offload_gro g;
			struct virtio_net_hdr vh;
			static uint8_t fa[2000], fc[2000];
			snprintf(ctx, sizeof(ctx), "%s %s", ipv6 ? "IPv6" : "IPv4",
				 how == 0   ? "short"
				 : how == 1 ? "PSH"
					    : "PSH first");
			if (how == 2)
				a.flags |= PSH;
			size_t la = mk_frame(fa, &a);
			offload_gro_init(&g, grobuf, sizeof(grobuf));
			EXPECT_EQ(offload_gro_add(&g, fa, la), OFFLOAD_GRO_HELD);
			EXPECT_EQ(offload_gro_closed(&g), how == 2);
			b = a;
			b.flags = ACK;
			b.seq = a.seq + 1000;
			b.payoff = 1000;
			if (how == 0)
				b.payload = 999;
			if (how == 1)
				b.flags |= PSH;
			size_t lb = mk_frame(frame2, &b);
			unsigned segs_before = 1;
			if (how != 2) {
				EXPECT_EQ(offload_gro_add(&g, frame2, lb), OFFLOAD_GRO_HELD);
				EXPECT_EQ(offload_gro_closed(&g), 1);
				segs_before = 2;
			}
			c = b;
			c.flags = ACK;
			c.seq = b.seq + (uint32_t)b.payload;
			c.payoff = b.payoff + b.payload;
			c.payload = 1000;
			size_t lc = mk_frame(fc, &c);
			if (how == 2)
				lc = mk_frame(fc, &b);
			EXPECT_EQ(offload_gro_add(&g, fc, lc), OFFLOAD_GRO_FLUSH);
			EXPECT_EQ(g.nseg, segs_before);
			size_t m = offload_gro_finish(&g, &vh);
			EXPECT_EQ(m, how == 2 ? la : la + b.payload);
			struct lay l = lay_of(&a);
			EXPECT_EQ(grobuf[l.l4 + 13] & PSH, how ? PSH : 0);
			EXPECT_EQ(offload_gro_add(&g, fc, lc), OFFLOAD_GRO_HELD);
			EXPECT_EQ(offload_gro_closed(&g), 0);
		}
}

static void test_gro_ethernet_padding_is_not_payload(void **state)
{
	(void)state;
	for (int ipv6 = 0; ipv6 <= 1; ipv6++) {
		struct fspec a = base_spec(ipv6), b;
		a.payload = 2;
		a.pad = 6;
		struct lay l = lay_of(&a);
		size_t la = mk_frame(frame, &a);
		b = a;
		b.seq = a.seq + 2;
		b.payoff = 2;
		size_t lb = mk_frame(frame2, &b);
		struct offload_gro g;
		struct virtio_net_hdr vh;
		snprintf(ctx, sizeof(ctx), "%s", ipv6 ? "IPv6" : "IPv4");

		offload_gro_init(&g, grobuf, sizeof(grobuf));
		uint8_t *f = dup_exact(frame, la);
		EXPECT_EQ(offload_gro_add(&g, f, la), OFFLOAD_GRO_HELD);
		EXPECT_EQ(offload_gro_finish(&g, &vh), la - a.pad);
		EXPECT(memcmp(grobuf, frame, la - a.pad) == 0);

		EXPECT_EQ(offload_gro_add(&g, f, la), OFFLOAD_GRO_HELD);
		EXPECT_EQ(offload_gro_add(&g, frame2, lb), OFFLOAD_GRO_HELD);
		size_t m = offload_gro_finish(&g, &vh);
		EXPECT_EQ(m, l.hlen + 4);
		for (size_t k = 0; k < 4; k++)
			EXPECT_EQ(grobuf[l.hlen + k], pat(k));
		EXPECT_EQ(vh.gso_size, 2);
		EXPECT_EQ(offload_csum_complete(grobuf, m, vh.csum_start, vh.csum_offset), 0);
		EXPECT(l4_csum_ok(grobuf, &a, &l, m - l.l4));
		free(f);
	}
}

static void test_gro_never_exceeds_cap_or_65535_bytes_of_ip(void **state)
{
	(void)state;
	for (int ipv6 = 0; ipv6 <= 1; ipv6++)
		for (int bycap = 0; bycap <= 1; bycap++) {
			struct fspec s = base_spec(ipv6);
			s.tcpopt = 12;
			s.payload = 1398;
			struct lay l = lay_of(&s);
			size_t cap = bycap ? l.hlen + 5 * 1398 + 1397 : sizeof(grobuf);
			/* The most whole segments that fit both limits. */
			size_t kmax = (65535 - (l.hlen - l.l3)) / 1398;
			if (bycap)
				kmax = 5;
			struct offload_gro g;
			struct virtio_net_hdr vh;
			snprintf(ctx, sizeof(ctx), "%s %s", ipv6 ? "IPv6" : "IPv4", bycap ? "cap" : "65535");
			offload_gro_init(&g, grobuf, cap);
			size_t k;
			enum offload_gro_result r = OFFLOAD_GRO_HELD;
			for (k = 0; k < 100; k++) {
				s.seq = 1 + (uint32_t)(k * 1398);
				s.payoff = k * 1398;
				size_t len = mk_frame(frame, &s);
				r = offload_gro_add(&g, frame, len);
				if (r != OFFLOAD_GRO_HELD)
					break;
				EXPECT(g.len <= cap);
				EXPECT(g.len - l.l3 <= 65535);
			}
			EXPECT_EQ(r, OFFLOAD_GRO_FLUSH);
			EXPECT_EQ(k, kmax);
			size_t m = offload_gro_finish(&g, &vh);
			EXPECT_EQ(m, l.hlen + kmax * 1398);
			EXPECT(m <= cap);
			EXPECT(m - l.l3 <= 65535);
			for (size_t j = 0; j < kmax * 1398; j++)
				if (grobuf[l.hlen + j] != pat(j))
					fail_msg("%s: payload byte %zu", ctx, j);
			EXPECT_EQ(offload_csum_complete(grobuf, m, vh.csum_start, vh.csum_offset), 0);
			EXPECT(l4_csum_ok(grobuf, &s, &l, m - l.l4));
		}
	/* A first frame larger than cap is passed, not truncated. */
	struct fspec s = base_spec(0);
	s.payload = 1000;
	size_t len = mk_frame(frame, &s);
	struct offload_gro g;
	snprintf(ctx, sizeof(ctx), "first frame over cap");
	offload_gro_init(&g, grobuf, len - 1);
	EXPECT_EQ(offload_gro_add(&g, frame, len), OFFLOAD_GRO_PASS);
	EXPECT_EQ(g.nseg, 0);
	offload_gro_init(&g, grobuf, len);
	EXPECT_EQ(offload_gro_add(&g, frame, len), OFFLOAD_GRO_HELD);
}

static void test_gro_passes_ipv4_header_with_bad_checksum(void **state)
{
	(void)state;
	/* A corrupted IPv4 header must not be merged: finish recomputes the
	 * header checksum and would hand the corruption over as valid. */
	for (int second = 0; second <= 1; second++) {
		struct fspec a = train_spec(0), b;
		size_t la = mk_frame(frame, &a);
		size_t lb = mk_next(&a, M_NONE, &b);
		struct lay l = lay_of(&a);
		uint8_t *bad = second ? frame2 : frame;
		if (second)
			bad[l.l3 + 10] ^= 0x01; /* only the header checksum is wrong */
		else
			bad[l.l3 + 8] ^= 0x01; /* TTL changed, header checksum left */
		struct offload_gro g;
		struct virtio_net_hdr vh;
		snprintf(ctx, sizeof(ctx), "bad IPv4 header checksum in the %s segment", second ? "second" : "first");
		offload_gro_init(&g, grobuf, sizeof(grobuf));
		if (second) {
			EXPECT_EQ(offload_gro_add(&g, frame, la), OFFLOAD_GRO_HELD);
			EXPECT_EQ(offload_gro_add(&g, frame2, lb), OFFLOAD_GRO_PASS);
			EXPECT_EQ(g.nseg, 1);
		} else {
			EXPECT_EQ(offload_gro_add(&g, frame, la), OFFLOAD_GRO_PASS);
			EXPECT_EQ(g.nseg, 0);
		}
		offload_gro_finish(&g, &vh);
	}
}

static void test_tso_refuses_segments_whose_ip_length_does_not_fit_16_bits(void **state)
{
	(void)state;
	for (int ipv6 = 0; ipv6 <= 1; ipv6++) {
		struct fspec s = base_spec(ipv6);
		struct lay l = lay_of(&s);
		/* One byte more than a 16-bit IP (IPv4) / payload (IPv6) length holds. */
		s.payload = 65535 - (l.hlen - l.l3) + (ipv6 ? 40 : 0) + 1;
		size_t len = mk_frame(frame, &s);
		struct virtio_net_hdr vh =
		    tso_vh(ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4, 65535, &l);
		snprintf(ctx, sizeof(ctx), "%s one segment of %zu payload bytes", ipv6 ? "IPv6" : "IPv4", s.payload);
		EXPECT_EQ(offload_tso_segment(frame, len, &vh, 0, out, sizeof(out), segs, N(segs)), -EINVAL);
		/* Cut at an mss that fits, it is fine. */
		vh.gso_size = 1448;
		snprintf(ctx, sizeof(ctx), "%s same frame, mss 1448", ipv6 ? "IPv6" : "IPv4");
		int n = offload_tso_segment(frame, len, &vh, 0, out, sizeof(out), segs, N(segs));
		check_segments(&s, 0, 1448, n);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csum_add_equals_naive_sum_for_every_length_alignment_and_initial_sum),
	    cmocka_unit_test(test_csum_add_chains_over_even_splits_and_long_all_ones_data),
	    cmocka_unit_test(test_csum_complete_writes_right_tcp_and_udp_checksums),
	    cmocka_unit_test(test_csum_complete_writes_ffff_for_a_sum_that_folds_to_zero),
	    cmocka_unit_test(test_csum_complete_refuses_start_or_offset_outside_the_frame),
	    cmocka_unit_test(test_tso_segments_ipv4_ipv6_at_every_size_boundary),
	    cmocka_unit_test(test_tso_refuses_malformed_frames_and_headers),
	    cmocka_unit_test(test_gro_merges_tso_segments_back_into_the_super_frame),
	    cmocka_unit_test(test_gro_single_segment_finishes_unchanged_with_data_valid),
	    cmocka_unit_test(test_gro_passes_what_cannot_be_merged_and_keeps_the_pending_frame),
	    cmocka_unit_test(test_gro_flushes_on_anything_that_breaks_the_train),
	    cmocka_unit_test(test_gro_udp_after_tcp_flushes_the_tcp_train),
	    cmocka_unit_test(test_gro_udp_datagrams_merge_into_a_uso_frame),
	    cmocka_unit_test(test_gro_udp_refuses_what_the_kernel_would_not_merge),
	    cmocka_unit_test(test_gro_short_or_psh_segment_closes_the_train),
	    cmocka_unit_test(test_gro_ethernet_padding_is_not_payload),
	    cmocka_unit_test(test_gro_never_exceeds_cap_or_65535_bytes_of_ip),
	    cmocka_unit_test(test_gro_passes_ipv4_header_with_bad_checksum),
	    cmocka_unit_test(test_tso_refuses_segments_whose_ip_length_does_not_fit_16_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
