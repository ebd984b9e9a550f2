/* offload: software TSO, checksum completion and inner GRO for TAP devices
 * opened with IFF_VNET_HDR (see include/vxnet/offload.h). */
#include "vxnet/offload.h"

#include <errno.h>
#include <string.h>

#include "vxnet/proto.h"
#include "wire.h"

#define ETH_HLEN 14
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_CWR 0x80

uint32_t offload_csum_add(uint32_t sum, const void *data, size_t len)
{
	return proto_csum_add(sum, data, len);
}

static uint16_t csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

int offload_csum_complete(uint8_t *frame, size_t len, unsigned start, unsigned offset)
{
	if (start > len || offset > len - start || len - start - offset < 2)
		return -EINVAL;
	uint16_t c = (uint16_t)~csum_fold(offload_csum_add(0, frame + start, len - start));
	/* A UDP checksum of zero means "none": send all ones instead (RFC 768);
	 * for TCP both are the same ones'-complement zero. */
	wr16(frame + start + offset, c ? c : 0xffff);
	return 0;
}

/* Pseudo-header sum for TCP (proto 6) or UDP (17) over IPv4 or IPv6 (ip
 * points at the IP header). */
static uint32_t pseudo_sum_of(const uint8_t *ip, int ipv6, uint32_t l4len, uint8_t proto)
{
	uint8_t tail[8] = {0};
	uint32_t s;
	if (ipv6) {
		s = offload_csum_add(0, ip + 8, 32);
		wr32(tail, l4len);
		tail[7] = proto;
		return offload_csum_add(s, tail, 8);
	}
	s = offload_csum_add(0, ip + 12, 8);
	tail[1] = proto;
	wr16(tail + 2, (uint16_t)l4len);
	return offload_csum_add(s, tail, 4);
}

static uint32_t pseudo_sum(const uint8_t *ip, int ipv6, uint32_t l4len)
{
	return pseudo_sum_of(ip, ipv6, l4len, 6);
}

/* Locate the IP and TCP headers: *l3, *l4, *hlen; -EINVAL if not TCP over
 * IPv4 (any IHL) / IPv6 (no extension headers) in len bytes. */
static int parse_tcp(const uint8_t *f, size_t len, int *ipv6, unsigned *l3, unsigned *l4, unsigned *hlen)
{
	if (len < ETH_HLEN)
		return -EINVAL;
	unsigned off = 12;
	uint16_t type = rd16(f + off);
	if (type == 0x8100 || type == 0x88a8) {
		if (len < ETH_HLEN + 4)
			return -EINVAL;
		off += 4;
		type = rd16(f + off);
	}
	unsigned l3off = off + 2;
	const uint8_t *ip = f + l3off;
	unsigned l4off;
	if (type == 0x0800) {
		if (len < l3off + 20 || (ip[0] >> 4) != 4 || (ip[0] & 15) < 5 || ip[9] != 6)
			return -EINVAL;
		l4off = l3off + (ip[0] & 15u) * 4;
		*ipv6 = 0;
	} else if (type == 0x86dd) {
		if (len < l3off + 40 || (ip[0] >> 4) != 6 || ip[6] != 6)
			return -EINVAL;
		l4off = l3off + 40;
		*ipv6 = 1;
	} else {
		return -EINVAL;
	}
	if (len < l4off + 20)
		return -EINVAL;
	unsigned thl = (f[l4off + 12] >> 4) * 4u;
	if (thl < 20 || len < l4off + thl)
		return -EINVAL;
	*l3 = l3off;
	*l4 = l4off;
	*hlen = l4off + thl;
	return 0;
}

int offload_tso_segment(const uint8_t *frame, size_t len, const struct virtio_net_hdr *vh, size_t headroom,
			uint8_t *out, size_t cap, struct offload_seg *segs, unsigned max_segs)
{
	uint8_t gso = vh->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
	if ((gso != VIRTIO_NET_HDR_GSO_TCPV4 && gso != VIRTIO_NET_HDR_GSO_TCPV6) || !vh->gso_size)
		return -EINVAL;
	int ipv6;
	unsigned l3, l4, hlen;
	if (parse_tcp(frame, len, &ipv6, &l3, &l4, &hlen) < 0 || ipv6 != (gso == VIRTIO_NET_HDR_GSO_TCPV6))
		return -EINVAL;
	size_t payload = len - hlen;
	size_t mss = vh->gso_size;
	/* Each segment's IP (IPv4) or payload (IPv6) length must fit in 16 bits. */
	if (hlen - l3 - (ipv6 ? 40 : 0) + (payload < mss ? payload : mss) > OFFLOAD_MAX_IP)
		return -EINVAL;
	unsigned nseg = payload ? (unsigned)((payload + mss - 1) / mss) : 1;
	if (nseg > max_segs || (size_t)nseg * (hlen + headroom) + payload > cap)
		return -ENOSPC;
	uint16_t id0 = ipv6 ? 0 : rd16(frame + l3 + 4);
	uint32_t seq0 = rd32(frame + l4 + 4);
	uint8_t flags0 = frame[l4 + 13];
	unsigned thl = hlen - l4;
	uint8_t *o = out;
	for (unsigned i = 0; i < nseg; i++) {
		size_t off = (size_t)i * mss;
		size_t seglen = payload - off < mss ? payload - off : mss;
		if (!payload)
			seglen = 0;
		o += headroom;
		memcpy(o, frame, hlen);
		uint8_t *ip = o + l3, *th = o + l4;
		uint32_t l4len = (uint32_t)(thl + seglen);
		if (ipv6) {
			wr16(ip + 4, (uint16_t)l4len);
		} else {
			wr16(ip + 2, (uint16_t)(l4 - l3 + l4len));
			wr16(ip + 4, (uint16_t)(id0 + i));
			wr16(ip + 10, 0);
			wr16(ip + 10, (uint16_t)~csum_fold(offload_csum_add(0, ip, l4 - l3)));
		}
		wr32(th + 4, seq0 + (uint32_t)off);
		uint8_t fl = flags0;
		if (i + 1 < nseg)
			fl &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		if (i > 0)
			fl &= (uint8_t)~TCP_CWR;
		th[13] = fl;
		wr16(th + 16, 0);
		/* The TCP header is a multiple of 4 bytes: the payload's sum
		 * continues it; one pass copies and sums the payload. */
		uint32_t s = offload_csum_add(pseudo_sum(ip, ipv6, l4len), th, thl);
		s = proto_csum_copy(s, o + hlen, frame + hlen + off, seglen);
		wr16(th + 16, (uint16_t)~csum_fold(s));
		segs[i].data = o;
		segs[i].len = hlen + seglen;
		o += hlen + seglen;
	}
	return (int)nseg;
}

void offload_gro_init(struct offload_gro *g, uint8_t *buf, size_t cap)
{
	memset(g, 0, sizeof(*g));
	g->buf = buf;
	g->cap = cap;
}

int offload_gro_closed(const struct offload_gro *g)
{
	return g->nseg && g->closed;
}

/* Locate the IP and UDP headers of an untagged frame: -EINVAL if not UDP
 * over IPv4 (no options, not a fragment) / IPv6 (no extension headers),
 * with the lengths of IP and UDP agreeing, in len bytes. *flen: the frame
 * without Ethernet padding. */
static int parse_udp(const uint8_t *f, size_t len, int *ipv6, unsigned *l4, size_t *flen)
{
	if (len < ETH_HLEN + 20 + 8)
		return -EINVAL;
	uint16_t type = rd16(f + 12);
	const uint8_t *ip = f + ETH_HLEN;
	size_t iplen;
	if (type == 0x0800) {
		if (ip[0] != 0x45 || ip[9] != 17 || (rd16(ip + 6) & 0x3fff))
			return -EINVAL;
		iplen = rd16(ip + 2);
		*l4 = ETH_HLEN + 20;
		*ipv6 = 0;
	} else if (type == 0x86dd) {
		if (len < ETH_HLEN + 40 + 8 || (ip[0] >> 4) != 6 || ip[6] != 17)
			return -EINVAL;
		iplen = 40 + (size_t)rd16(ip + 4);
		*l4 = ETH_HLEN + 40;
		*ipv6 = 1;
	} else {
		return -EINVAL;
	}
	if (iplen > len - ETH_HLEN || iplen < *l4 - ETH_HLEN + 8)
		return -EINVAL;
	*flen = ETH_HLEN + iplen;
	if (rd16(f + *l4 + 4) != *flen - *l4)
		return -EINVAL;
	return 0;
}

/* The UDP part of offload_gro_add. */
static enum offload_gro_result gro_add_udp(struct offload_gro *g, const uint8_t *f, size_t len)
{
	int ipv6;
	unsigned l4;
	size_t flen;
	if (parse_udp(f, len, &ipv6, &l4, &flen) < 0)
		return OFFLOAD_GRO_PASS;
	const uint8_t *ip = f + ETH_HLEN, *uh = f + l4;
	unsigned hlen = l4 + 8;
	size_t payload = flen - hlen;
	if (!payload)
		return OFFLOAD_GRO_PASS;
	/* finish rewrites the header checksum: a corrupted header must reach
	 * the stack as it came, to be dropped there. */
	if (!ipv6 && csum_fold(offload_csum_add(0, ip, 20)) != 0xffff)
		return OFFLOAD_GRO_PASS;
	/* The kernel will compute each datagram's checksum afresh: merge only
	 * what is right as it came (or had none: IPv4 may send 0). */
	uint16_t ucs = rd16(uh + 6);
	if (ipv6 && !ucs)
		return OFFLOAD_GRO_PASS;
	uint32_t hsum = ucs ? offload_csum_add(pseudo_sum_of(ip, ipv6, (uint32_t)(flen - l4), 17), uh, 8) : 0;
	if (g->nseg) {
		const uint8_t *h = g->buf;
		const uint8_t *hip = h + ETH_HLEN;
		int same = g->udp && !g->closed && g->ipv6 == ipv6 && g->hlen == hlen && !memcmp(h, f, ETH_HLEN) &&
			   payload <= g->mss && !memcmp(h + l4, uh, 4) && g->nseg < OFFLOAD_GRO_UDP_MAX &&
			   g->len + payload <= g->cap && g->len - ETH_HLEN + payload <= OFFLOAD_MAX_IP;
		if (same && ipv6)
			same = !memcmp(hip, ip, 4) && hip[7] == ip[7] && !memcmp(hip + 8, ip + 8, 32);
		else if (same)
			same = hip[1] == ip[1] && (rd16(hip + 6) & 0x4000) == (rd16(ip + 6) & 0x4000) &&
			       hip[8] == ip[8] && !memcmp(hip + 12, ip + 12, 8);
		if (!same)
			return OFFLOAD_GRO_FLUSH;
		if (ucs) {
			if (csum_fold(proto_csum_copy(hsum, g->buf + g->len, f + hlen, payload)) != 0xffff)
				return OFFLOAD_GRO_PASS;
		} else {
			memcpy(g->buf + g->len, f + hlen, payload);
		}
		g->len += payload;
		g->nseg++;
		if (payload < g->mss)
			g->closed = 1;
		return OFFLOAD_GRO_HELD;
	}
	if (flen > g->cap || payload > UINT16_MAX)
		return OFFLOAD_GRO_PASS;
	if (ucs) {
		if (csum_fold(proto_csum_copy(hsum, g->buf + hlen, f + hlen, payload)) != 0xffff)
			return OFFLOAD_GRO_PASS;
	} else {
		memcpy(g->buf + hlen, f + hlen, payload);
	}
	memcpy(g->buf, f, hlen);
	g->len = flen;
	g->nseg = 1;
	g->hlen = hlen;
	g->l3off = ETH_HLEN;
	g->l4off = l4;
	g->ipv6 = ipv6;
	g->udp = 1;
	g->mss = (uint16_t)payload;
	g->closed = 0;
	return OFFLOAD_GRO_HELD;
}

enum offload_gro_result offload_gro_add(struct offload_gro *g, const uint8_t *f, size_t len)
{
	int ipv6;
	unsigned l3, l4, hlen;
	if (parse_tcp(f, len, &ipv6, &l3, &l4, &hlen) < 0)
		return gro_add_udp(g, f, len);
	if (l3 != ETH_HLEN)
		return OFFLOAD_GRO_PASS;
	const uint8_t *ip = f + l3, *th = f + l4;
	size_t iplen;
	if (ipv6) {
		iplen = 40 + (size_t)rd16(ip + 4);
	} else {
		iplen = rd16(ip + 2);
		if (l4 - l3 != 20 || (rd16(ip + 6) & 0x3fff)) /* IP options or a fragment */
			return OFFLOAD_GRO_PASS;
		/* finish rewrites the header checksum: a corrupted header must
		 * reach the stack as it came, to be dropped there. */
		if (csum_fold(offload_csum_add(0, ip, 20)) != 0xffff)
			return OFFLOAD_GRO_PASS;
	}
	/* Ethernet padding after the IP datagram is not payload. */
	if (iplen > len - l3 || iplen < hlen - l3)
		return OFFLOAD_GRO_PASS;
	size_t flen = l3 + iplen;
	size_t payload = flen - hlen;
	uint8_t flags = th[13];
	if (!payload || !(flags & TCP_ACK) || (flags & (uint8_t) ~(TCP_ACK | TCP_PSH)))
		return OFFLOAD_GRO_PASS;
	/* Only segments whose checksum is right may be merged: the merged frame
	 * is handed to the kernel as already checked. The payload is summed as
	 * it is copied into the pending frame (one pass); a frame whose sum is
	 * wrong leaves the pending frame as it was (what was copied past its
	 * end is not part of it). */
	uint32_t l4len = (uint32_t)(flen - l4);
	uint32_t hsum = offload_csum_add(pseudo_sum(ip, ipv6, l4len), th, hlen - l4);
	if (g->nseg) {
		const uint8_t *h = g->buf;
		const uint8_t *hip = h + l3, *hth = h + l4;
		int same = !g->udp && !g->closed && g->ipv6 == ipv6 && g->hlen == hlen && !memcmp(h, f, l3) && payload <= g->mss &&
			   rd32(th + 4) == g->next_seq && !memcmp(hth, th, 4) && !memcmp(hth + 8, th + 8, 4) &&
			   !memcmp(hth + 20, th + 20, hlen - l4 - 20) && g->len + payload <= g->cap &&
			   g->len - l3 + payload <= OFFLOAD_MAX_IP;
		if (same && ipv6)
			same = !memcmp(hip, ip, 4) && hip[7] == ip[7] && !memcmp(hip + 8, ip + 8, 32);
		else if (same)
			same = hip[1] == ip[1] && rd16(hip + 6) == rd16(ip + 6) && hip[8] == ip[8] &&
			       !memcmp(hip + 12, ip + 12, 8);
		if (!same)
			return OFFLOAD_GRO_FLUSH;
		if (csum_fold(proto_csum_copy(hsum, g->buf + g->len, f + hlen, payload)) != 0xffff)
			return OFFLOAD_GRO_PASS;
		g->len += payload;
		g->nseg++;
		g->next_seq += (uint32_t)payload;
		if (flags & TCP_PSH)
			g->buf[l4 + 13] |= TCP_PSH;
		if (payload < g->mss || (flags & TCP_PSH))
			g->closed = 1;
		return OFFLOAD_GRO_HELD;
	}
	if (flen > g->cap)
		return OFFLOAD_GRO_PASS;
	if (csum_fold(proto_csum_copy(hsum, g->buf + hlen, f + hlen, payload)) != 0xffff)
		return OFFLOAD_GRO_PASS;
	memcpy(g->buf, f, hlen);
	g->len = flen;
	g->nseg = 1;
	g->hlen = hlen;
	g->l3off = l3;
	g->l4off = l4;
	g->ipv6 = ipv6;
	g->udp = 0;
	g->mss = (uint16_t)payload;
	g->next_seq = rd32(th + 4) + (uint32_t)payload;
	g->closed = (flags & TCP_PSH) != 0;
	return OFFLOAD_GRO_HELD;
}

size_t offload_gro_finish(struct offload_gro *g, struct virtio_net_hdr *vh)
{
	memset(vh, 0, sizeof(*vh));
	if (!g->nseg)
		return 0;
	size_t n = g->len;
	if (g->nseg == 1) {
		/* Unchanged bytes whose checksum we verified. */
		vh->flags = VIRTIO_NET_HDR_F_DATA_VALID;
	} else {
		uint8_t *ip = g->buf + g->l3off, *th = g->buf + g->l4off;
		uint32_t l4len = (uint32_t)(n - g->l4off);
		if (g->ipv6) {
			wr16(ip + 4, (uint16_t)l4len);
		} else {
			wr16(ip + 2, (uint16_t)(n - g->l3off));
			wr16(ip + 10, 0);
			wr16(ip + 10, (uint16_t)~csum_fold(offload_csum_add(0, ip, g->l4off - g->l3off)));
		}
		/* CHECKSUM_PARTIAL: the field holds the pseudo-header sum. */
		unsigned coff = g->udp ? 6 : 16;
		if (g->udp)
			wr16(th + 4, (uint16_t)l4len);
		wr16(th + coff, csum_fold(pseudo_sum_of(ip, g->ipv6, l4len, g->udp ? 17 : 6)));
		vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh->csum_start = (uint16_t)g->l4off;
		vh->csum_offset = (uint16_t)coff;
		vh->gso_type = g->udp ? VIRTIO_NET_HDR_GSO_UDP_L4
			       : g->ipv6 ? VIRTIO_NET_HDR_GSO_TCPV6
					 : VIRTIO_NET_HDR_GSO_TCPV4;
		vh->gso_size = g->mss;
		vh->hdr_len = (uint16_t)g->hlen;
	}
	g->nseg = 0;
	g->len = 0;
	g->closed = 0;
	return n;
}
