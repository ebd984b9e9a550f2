/* libFuzzer target for lib/offload.c. The input is a virtio_net_hdr, a few
 * parameters and a frame: the frame is cut by offload_tso_segment, its
 * checksum completed by offload_csum_complete on a copy, and both the input
 * (split in chunks) and the TSO segments are fed to the inner GRO (TCP and
 * UDP trains). Besides
 * the sanitizers, the outputs are checked against the fuzzer's own parser
 * and RFC 1071 sum (never offload_csum_add); a broken invariant traps.
 *
 * Input: [0,10) struct virtio_net_hdr (host byte order), [10,12) TSO cap,
 * low 16 bits (little-endian), [12] headroom, [13] max_segs / 4, [14] GRO
 * cap / 64 (255: 64 KB + 64), [15] bit 0: fix the IP and TCP checksums of
 * each chunk before GRO, bits 1-3: TSO cap bits 16-18, [16,18) chunk size
 * (little-endian; 0: the whole frame, 0xffff: the frame is a series of
 * records, each a big-endian 16-bit length and that many bytes), [18,...)
 * the frame. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vxnet/offload.h"
#include "../common/ref.h"

#define CHECK(c)                                                                                                       \
	do {                                                                                                           \
		if (!(c))                                                                                              \
			__builtin_trap();                                                                              \
	} while (0)

#define PARAMS_LEN (OFFLOAD_VNET_HLEN + 8)
#define MAX_SEGS 1024

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct pk {
	int ipv6;
	unsigned l3, l4, hlen;
};

/* TCP over IPv4 (any IHL) or IPv6 (no extension header) after Ethernet and
 * at most one VLAN tag, headers within len: what the header documents as
 * well-formed for TSO. */
static int own_parse(const uint8_t *f, size_t len, struct pk *p)
{
	if (len < 14)
		return -1;
	unsigned l3 = 14;
	uint16_t type = get16(f + 12);
	if (type == 0x8100 || type == 0x88a8) {
		if (len < 18)
			return -1;
		type = get16(f + 16);
		l3 = 18;
	}
	const uint8_t *ip = f + l3;
	if (type == 0x0800) {
		if (len < l3 + 20u || ip[0] >> 4 != 4 || (ip[0] & 15) < 5 || ip[9] != 6)
			return -1;
		p->ipv6 = 0;
		p->l4 = l3 + (ip[0] & 15u) * 4;
	} else if (type == 0x86dd) {
		if (len < l3 + 40u || ip[0] >> 4 != 6 || ip[6] != 6)
			return -1;
		p->ipv6 = 1;
		p->l4 = l3 + 40;
	} else {
		return -1;
	}
	if (len < p->l4 + 20u)
		return -1;
	unsigned thl = (f[p->l4 + 12] >> 4) * 4u;
	if (thl < 20 || len < p->l4 + thl)
		return -1;
	p->l3 = l3;
	p->hlen = p->l4 + thl;
	return 0;
}

static uint64_t pseudo(const uint8_t *f, const struct pk *p, size_t l4len, uint8_t proto)
{
	const uint8_t *ip = f + p->l3;
	uint64_t s = 0;
	if (p->ipv6) {
		for (int i = 8; i < 40; i += 2)
			s += get16(ip + i);
		return s + (l4len >> 16) + (l4len & 0xffff) + proto;
	}
	for (int i = 12; i < 20; i += 2)
		s += get16(ip + i);
	return s + l4len + proto;
}

static int tcp_ok(const uint8_t *f, const struct pk *p, size_t l4len)
{
	return ref_sum(pseudo(f, p, l4len, 6), f + p->l4, l4len) == 0xffff;
}

/* UDP that GRO may merge, as offload.h documents it: untagged, over IPv4
 * without options and not a fragment, or IPv6 without extension headers,
 * IP and UDP lengths agreeing within len; *flen without padding. */
static int own_parse_udp(const uint8_t *f, size_t len, struct pk *p, size_t *flen)
{
	if (len < 14 + 20 + 8)
		return -1;
	uint16_t type = get16(f + 12);
	const uint8_t *ip = f + 14;
	size_t iplen;
	if (type == 0x0800 && ip[0] == 0x45 && ip[9] == 17 && !(get16(ip + 6) & 0x3fff)) {
		p->ipv6 = 0;
		p->l4 = 34;
		iplen = get16(ip + 2);
	} else if (type == 0x86dd && len >= 14 + 40 + 8 && ip[0] >> 4 == 6 && ip[6] == 17) {
		p->ipv6 = 1;
		p->l4 = 54;
		iplen = 40 + (size_t)get16(ip + 4);
	} else {
		return -1;
	}
	if (iplen + 14 > len || iplen + 14 < p->l4 + 8u || get16(f + p->l4 + 4) != iplen + 14 - p->l4)
		return -1;
	p->l3 = 14;
	p->hlen = p->l4 + 8;
	*flen = 14 + iplen;
	return 0;
}

static int udp_ok(const uint8_t *f, const struct pk *p, size_t l4len)
{
	return ref_sum(pseudo(f, p, l4len, 17), f + p->l4, l4len) == 0xffff;
}

/* ---- TSO ---- */

static void fuzz_tso(const uint8_t *frame, size_t len, const struct virtio_net_hdr *vh, size_t headroom, size_t cap,
		     unsigned max_segs, struct offload_seg *segs, uint8_t **outp)
{
	uint8_t *out = malloc(cap ? cap : 1);
	CHECK(out);
	*outp = out;
	int n = offload_tso_segment(frame, len, vh, headroom, out, cap, segs, max_segs);
	struct pk p;
	uint8_t gso = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	int ok = own_parse(frame, len, &p) == 0 && vh->gso_size &&
		 ((gso == VIRTIO_NET_HDR_GSO_TCPV4 && !p.ipv6) || (gso == VIRTIO_NET_HDR_GSO_TCPV6 && p.ipv6));
	if (!ok) {
		CHECK(n == -EINVAL);
		return;
	}
	size_t payload = len - p.hlen, mss = vh->gso_size;
	/* A segment whose IP (IPv4) or payload (IPv6) length does not fit in
	 * 16 bits is malformed (only reachable with -max_len above 64 KB). */
	if (p.hlen - p.l3 - (p.ipv6 ? 40 : 0) + (payload < mss ? payload : mss) > OFFLOAD_MAX_IP) {
		CHECK(n == -EINVAL);
		return;
	}
	size_t nwant = payload ? (payload + mss - 1) / mss : 1;
	if (nwant > max_segs || nwant * (p.hlen + headroom) + payload > cap) {
		CHECK(n == -ENOSPC);
		return;
	}
	CHECK(n > 0 && (size_t)n == nwant);
	size_t got = 0;
	const uint8_t *prev_end = out;
	uint16_t id0 = p.ipv6 ? 0 : get16(frame + p.l3 + 4);
	for (int i = 0; i < n; i++) {
		const uint8_t *d = segs[i].data;
		size_t seglen = payload - got < mss ? payload - got : mss;
		CHECK(d == prev_end + headroom);
		CHECK(segs[i].len == p.hlen + seglen);
		CHECK(d + segs[i].len <= out + cap);
		prev_end = d + segs[i].len;
		CHECK(!memcmp(d, frame, p.l3));
		CHECK(!memcmp(d + p.hlen, frame + p.hlen + got, seglen));
		size_t l4len = segs[i].len - p.l4;
		if (p.ipv6) {
			CHECK(get16(d + p.l3 + 4) == l4len);
		} else {
			CHECK(get16(d + p.l3 + 2) == segs[i].len - p.l3);
			CHECK(get16(d + p.l3 + 4) == (uint16_t)(id0 + i));
			CHECK(ref_sum(0, d + p.l3, p.l4 - p.l3) == 0xffff);
		}
		CHECK(get32(d + p.l4 + 4) == get32(frame + p.l4 + 4) + (uint32_t)got);
		uint8_t fl = frame[p.l4 + 13];
		if (i + 1 < n)
			fl &= (uint8_t)~0x09; /* FIN, PSH */
		if (i > 0)
			fl &= (uint8_t)~0x80; /* CWR */
		CHECK(d[p.l4 + 13] == fl);
		CHECK(tcp_ok(d, &p, l4len));
		got += seglen;
	}
	CHECK(got == payload);
}

/* ---- checksum completion ---- */

static void fuzz_csum(const uint8_t *frame, size_t len, const struct virtio_net_hdr *vh)
{
	uint8_t *c = malloc(len ? len : 1);
	CHECK(c);
	memcpy(c, frame, len);
	unsigned start = vh->csum_start, off = vh->csum_offset;
	int rc = offload_csum_complete(c, len, start, off);
	if ((uint64_t)start + off + 2 > len) {
		CHECK(rc == -EINVAL);
		CHECK(!memcmp(c, frame, len));
	} else {
		CHECK(rc == 0);
		/* The sum is over 16-bit words from start: a field at an odd
		 * offset (never TCP's 16 or UDP's 6) cannot verify, as in the
		 * kernel's skb_checksum_help. */
		uint16_t preload = get16(frame + start + off);
		if (!(off & 1))
			CHECK(ref_sum(preload, c + start, len - start) == 0xffff);
		CHECK(get16(c + start + off) != 0);
		CHECK(!memcmp(c, frame, start + off));
		CHECK(!memcmp(c + start + off + 2, frame + start + off + 2, len - start - off - 2));
	}
	free(c);
}

/* ---- GRO, with a shadow of what was merged ---- */

struct shadow {
	unsigned nseg;
	int udp;
	struct pk p;
	size_t first_len; /* the first frame without Ethernet padding */
	uint16_t mss;
	size_t plen;
	uint8_t first[65536 + 64];
	uint8_t payload[65536 + 64];
};

static struct shadow sh;
static unsigned trains; /* finishes that had something pending */

static void gro_finish_check(struct offload_gro *g)
{
	struct virtio_net_hdr vh;
	size_t n = offload_gro_finish(g, &vh);
	CHECK(g->nseg == 0 && g->len == 0 && !offload_gro_closed(g));
	CHECK(n <= g->cap);
	trains += sh.nseg > 0;
	if (sh.nseg == 0) {
		CHECK(n == 0 && vh.flags == 0 && vh.gso_type == 0);
	} else if (sh.nseg == 1) {
		CHECK(n == sh.first_len && !memcmp(g->buf, sh.first, n));
		CHECK(vh.flags == VIRTIO_NET_HDR_F_DATA_VALID && vh.gso_type == VIRTIO_NET_HDR_GSO_NONE);
	} else if (sh.udp) {
		const struct pk *p = &sh.p;
		uint8_t *b = g->buf;
		CHECK(sh.nseg <= OFFLOAD_GRO_UDP_MAX);
		CHECK(n == p->hlen + sh.plen && n - p->l3 <= OFFLOAD_MAX_IP);
		CHECK(!memcmp(b + p->hlen, sh.payload, sh.plen));
		CHECK(!memcmp(b, sh.first, p->l3) && !memcmp(b + p->l4, sh.first + p->l4, 4));
		CHECK(get16(b + p->l4 + 4) == n - p->l4);
		CHECK(vh.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && vh.gso_type == VIRTIO_NET_HDR_GSO_UDP_L4);
		CHECK(vh.gso_size == sh.mss && vh.csum_start == p->l4 && vh.csum_offset == 6 && vh.hdr_len == p->hlen);
		if (p->ipv6) {
			CHECK(!memcmp(b + p->l3 + 8, sh.first + p->l3 + 8, 32));
			CHECK(get16(b + p->l3 + 4) == n - p->l4);
		} else {
			CHECK(!memcmp(b + p->l3 + 12, sh.first + p->l3 + 12, 8) && b[p->l3 + 8] == sh.first[p->l3 + 8]);
			CHECK(get16(b + p->l3 + 2) == n - p->l3);
			CHECK(ref_sum(0, b + p->l3, 20) == 0xffff);
		}
		CHECK(offload_csum_complete(b, n, vh.csum_start, vh.csum_offset) == 0);
		CHECK(udp_ok(b, p, n - p->l4));
	} else {
		const struct pk *p = &sh.p;
		uint8_t *b = g->buf;
		CHECK(n == p->hlen + sh.plen && n - p->l3 <= OFFLOAD_MAX_IP);
		CHECK(!memcmp(b + p->hlen, sh.payload, sh.plen));
		CHECK(!memcmp(b, sh.first, p->l3) && !memcmp(b + p->l4, sh.first + p->l4, 13));
		if (p->ipv6)
			CHECK(!memcmp(b + p->l3 + 8, sh.first + p->l3 + 8, 32));
		else
			CHECK(!memcmp(b + p->l3 + 12, sh.first + p->l3 + 12, 8) && b[p->l3 + 8] == sh.first[p->l3 + 8]);
		CHECK(vh.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM);
		CHECK(vh.gso_type == (p->ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4));
		CHECK(vh.gso_size == sh.mss && vh.csum_start == p->l4 && vh.csum_offset == 16);
		CHECK(vh.hdr_len == p->hlen);
		if (p->ipv6) {
			CHECK(get16(b + p->l3 + 4) == n - p->l4);
		} else {
			CHECK(get16(b + p->l3 + 2) == n - p->l3);
			CHECK(ref_sum(0, b + p->l3, p->l4 - p->l3) == 0xffff);
		}
		CHECK(offload_csum_complete(b, n, vh.csum_start, vh.csum_offset) == 0);
		CHECK(tcp_ok(b, p, n - p->l4));
	}
	sh.nseg = 0;
	sh.plen = 0;
}

/* A UDP datagram that offload_gro_add held: check it was mergeable (its
 * checksum right, or none over IPv4), mirror it. */
static void shadow_held_udp(const uint8_t *f, size_t len)
{
	struct pk p;
	size_t flen;
	CHECK(own_parse_udp(f, len, &p, &flen) == 0);
	size_t payload = flen - p.hlen;
	CHECK(payload > 0);
	uint16_t ucs = get16(f + p.l4 + 6);
	CHECK(ucs ? udp_ok(f, &p, flen - p.l4) : !p.ipv6);
	if (!p.ipv6)
		CHECK(ref_sum(0, f + 14, 20) == 0xffff);
	if (sh.nseg == 0) {
		sh.p = p;
		sh.udp = 1;
		sh.first_len = flen;
		sh.mss = (uint16_t)payload;
		memcpy(sh.first, f, flen);
	} else {
		CHECK(sh.udp && p.ipv6 == sh.p.ipv6 && payload <= sh.mss && sh.nseg < OFFLOAD_GRO_UDP_MAX);
		CHECK(!memcmp(f, sh.first, 14) && !memcmp(f + p.l4, sh.first + p.l4, 4));
		const uint8_t *ip = f + 14, *h = sh.first + 14;
		if (p.ipv6)
			CHECK(!memcmp(ip, h, 4) && ip[7] == h[7] && !memcmp(ip + 8, h + 8, 32));
		else
			CHECK(ip[1] == h[1] && ip[8] == h[8] && !memcmp(ip + 12, h + 12, 8));
	}
	CHECK(sh.plen + payload <= sizeof(sh.payload));
	memcpy(sh.payload + sh.plen, f + p.hlen, payload);
	sh.plen += payload;
	sh.nseg++;
}

/* A frame that offload_gro_add held: check it was mergeable, mirror it. */
static void shadow_held(const uint8_t *f, size_t len)
{
	struct pk p;
	if (own_parse(f, len, &p) != 0) {
		shadow_held_udp(f, len);
		return;
	}
	CHECK(p.l3 == 14);
	const uint8_t *ip = f + p.l3;
	size_t iplen = p.ipv6 ? 40 + (size_t)get16(ip + 4) : get16(ip + 2);
	if (!p.ipv6)
		CHECK(p.l4 == 34 && !(get16(ip + 6) & 0x3fff));
	CHECK(iplen + p.l3 <= len && iplen + p.l3 > p.hlen);
	size_t flen = p.l3 + iplen, payload = flen - p.hlen;
	uint8_t fl = f[p.l4 + 13];
	CHECK((fl & 0x10) && !(fl & ~0x18));
	CHECK(tcp_ok(f, &p, flen - p.l4));
	if (sh.nseg == 0) {
		sh.p = p;
		sh.udp = 0;
		sh.first_len = flen;
		sh.mss = (uint16_t)payload;
		memcpy(sh.first, f, flen);
	} else {
		CHECK(!sh.udp && p.hlen == sh.p.hlen && p.ipv6 == sh.p.ipv6 && payload <= sh.mss);
		CHECK(!memcmp(f, sh.first, 14) && !memcmp(f + p.l4, sh.first + p.l4, 4));
		CHECK(get32(f + p.l4 + 4) == get32(sh.first + p.l4 + 4) + (uint32_t)sh.plen);
		CHECK(!memcmp(f + p.l4 + 8, sh.first + p.l4 + 8, 4));
		CHECK(!memcmp(f + p.l4 + 20, sh.first + p.l4 + 20, p.hlen - p.l4 - 20));
		if (p.ipv6)
			CHECK(!memcmp(ip, sh.first + 14, 4) && !memcmp(ip + 7, sh.first + 14 + 7, 33));
		else
			CHECK(!memcmp(ip, sh.first + 14, 2) && !memcmp(ip + 6, sh.first + 14 + 6, 3) &&
			      !memcmp(ip + 12, sh.first + 14 + 12, 8));
	}
	CHECK(sh.plen + payload <= sizeof(sh.payload));
	memcpy(sh.payload + sh.plen, f + p.hlen, payload);
	sh.plen += payload;
	sh.nseg++;
}

static void gro_feed(struct offload_gro *g, const uint8_t *f, size_t len)
{
	enum offload_gro_result r = offload_gro_add(g, f, len);
	if (r == OFFLOAD_GRO_FLUSH) {
		CHECK(g->nseg == sh.nseg && sh.nseg > 0);
		gro_finish_check(g);
		r = offload_gro_add(g, f, len);
		CHECK(r != OFFLOAD_GRO_FLUSH);
	}
	if (r == OFFLOAD_GRO_PASS) {
		CHECK(g->nseg == sh.nseg);
		gro_finish_check(g);
		return;
	}
	CHECK(r == OFFLOAD_GRO_HELD);
	shadow_held(f, len);
	CHECK(g->nseg == sh.nseg && g->len <= g->cap && g->len - 14 <= OFFLOAD_MAX_IP);
	if (offload_gro_closed(g))
		gro_finish_check(g);
}

/* Make the chunk's IPv4 header and TCP checksums right, so that GRO gets
 * past its checksum test and the fuzzer explores the merging rules. */
static void fix_checksums(uint8_t *f, size_t len)
{
	struct pk p;
	size_t flen;
	if (own_parse_udp(f, len, &p, &flen) == 0) {
		if (!p.ipv6) {
			put16(f + 24, 0);
			put16(f + 24, (uint16_t)~ref_sum(0, f + 14, 20));
		}
		if (get16(f + p.l4 + 6) || p.ipv6) {
			put16(f + p.l4 + 6, 0);
			uint16_t c = (uint16_t)~ref_sum(pseudo(f, &p, flen - p.l4, 17), f + p.l4, flen - p.l4);
			put16(f + p.l4 + 6, c ? c : 0xffff);
		}
		return;
	}
	if (own_parse(f, len, &p) || p.l3 != 14)
		return;
	uint8_t *ip = f + p.l3;
	size_t iplen = p.ipv6 ? 40 + (size_t)get16(ip + 4) : get16(ip + 2);
	if (iplen + p.l3 > len || iplen + p.l3 < p.hlen)
		return;
	if (!p.ipv6) {
		put16(ip + 10, 0);
		put16(ip + 10, (uint16_t)~ref_sum(0, ip, p.l4 - p.l3));
	}
	size_t l4len = p.l3 + iplen - p.l4;
	put16(f + p.l4 + 16, 0);
	put16(f + p.l4 + 16, (uint16_t)~ref_sum(pseudo(f, &p, l4len, 6), f + p.l4, l4len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct offload_seg segs[MAX_SEGS];
	struct virtio_net_hdr vh;

	if (size < PARAMS_LEN)
		return 0;
	memcpy(&vh, data, sizeof(vh));
	const uint8_t *prm = data + OFFLOAD_VNET_HLEN;
	size_t cap = (size_t)(prm[0] | prm[1] << 8 | (prm[5] & 0x0e) << 15);
	size_t headroom = prm[2];
	unsigned max_segs = prm[3] * 4u;
	size_t gcap = prm[4] == 255 ? 65536 + 64 : (size_t)prm[4] * 64;
	int fix = prm[5] & 1;
	size_t chunk = (size_t)(prm[6] | prm[7] << 8);
	const uint8_t *frame = data + PARAMS_LEN;
	size_t len = size - PARAMS_LEN;

	uint8_t *out = NULL;
	fuzz_tso(frame, len, &vh, headroom, cap, max_segs, segs, &out);
	fuzz_csum(frame, len, &vh);

	uint8_t *gbuf = malloc(gcap ? gcap : 1);
	CHECK(gbuf);
	struct offload_gro g;
	offload_gro_init(&g, gbuf, gcap);
	sh.nseg = 0;
	sh.plen = 0;
	int records = chunk == 0xffff;
	if (!chunk)
		chunk = len ? len : 1;
	for (size_t off = 0; off < len || off == 0;) {
		if (records) {
			if (len - off < 2)
				break;
			chunk = get16(frame + off);
			off += 2;
		}
		size_t n = len - off < chunk ? len - off : chunk;
		uint8_t *c = malloc(n ? n : 1);
		CHECK(c);
		memcpy(c, frame + off, n);
		if (fix)
			fix_checksums(c, n);
		gro_feed(&g, c, n);
		free(c);
		off += n;
		if (!n && !records)
			break;
	}
	gro_finish_check(&g);

	/* The TSO segments are a train GRO must take back. */
	struct pk p;
	int n = offload_tso_segment(frame, len, &vh, headroom, out, cap, segs, max_segs);
	trains = 0;
	for (int i = 0; i < n; i++)
		gro_feed(&g, segs[i].data, segs[i].len);
	gro_finish_check(&g);
	/* Segments of a plain ACK/PSH super-frame that fits GRO's limits come
	 * back as one super-frame. */
	if (n > 1 && own_parse(frame, len, &p) == 0 && p.l3 == 14 &&
	    (p.ipv6 || (p.l4 == 34 && !(get16(frame + 20) & 0x3fff))) && (frame[p.l4 + 13] & 0x10) &&
	    !(frame[p.l4 + 13] & ~0x18) && len <= gcap && len - p.l3 <= OFFLOAD_MAX_IP)
		CHECK(trains == 1);
	free(gbuf);
	free(out);
	return 0;
}
