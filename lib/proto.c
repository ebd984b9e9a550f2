/* proto: the wire formats the VTEP reads and writes: the VXLAN header, the
 * inner flow hash for the UDP source port, and the frames it answers locally
 * (proxy ARP and ND, ICMP fragmentation-needed / packet-too-big), and the
 * ECN field across the tunnel (RFC 6040).
 * Everything here is pure: caller buffers, explicit lengths, no state. */
#include <errno.h>
#include <string.h>

#include "vxnet/proto.h"
#include "wire.h"

#define P_IPV4 0x0800
#define P_ARP 0x0806
#define P_8021Q 0x8100
#define P_8021AD 0x88a8
#define P_IPV6 0x86dd

#define IPPROTO_ICMP_ 1
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_SCTP_ 132
#define IPPROTO_UDPLITE_ 136

#define IP4_HLEN 20
#define IP6_HLEN 40
#define ICMP_HLEN 8
#define ARP_LEN 28
#define ND_NS_LEN 24 /* type, code, csum, reserved, target */
#define ND_OPT_SLL 1
#define ND_OPT_TLL 2
#define ND_NA_FLAG_S 0x40
#define ND_NA_FLAG_O 0x20
/* RFC 1812 4.3.2.3 and RFC 4443 2.4(c): the largest ICMP error we may send. */
#define ICMP4_ERR_MAX 576
#define ICMP6_ERR_MAX 1280

/* Offset of the L3 header and its ethertype, past at most one VLAN tag.
 * 0 if the frame is shorter than an Ethernet header. */
static size_t eth_l3(const uint8_t *frame, size_t len, uint16_t *type)
{
	*type = 0;
	if (len < ETH_HLEN_)
		return 0;
	*type = rd16(frame + 12);
	if ((*type == P_8021Q || *type == P_8021AD) && len >= ETH_HLEN_ + 4) {
		*type = rd16(frame + 16);
		return ETH_HLEN_ + 4;
	}
	return ETH_HLEN_;
}

#if defined(__x86_64__)
#include <immintrin.h>

/* The vector sums below add 16-bit words into 32-bit lanes, which hold
 * 65535 such adds before they could wrap: they fold into 64 bits every
 * CSUM_CHUNK bytes (16384 steps per lane, two accumulators). */
#define CSUM_CHUNK ((size_t)32 * 16384)

/* Sum of the native 16-bit words of p[0..n), n a multiple of 32, copying
 * them to d on the way unless d is NULL. Always inlined into the four
 * entry points below with a constant d, so the compiler emits a summing
 * loop and a copying one without a branch in either. */
__attribute__((target("avx2"), always_inline)) static inline uint64_t csum_avx2(uint8_t *d, const uint8_t *p, size_t n)
{
	const __m256i zero = _mm256_setzero_si256();
	uint64_t total = 0;
	while (n) {
		size_t chunk = n < CSUM_CHUNK ? n : CSUM_CHUNK;
		__m256i a = zero, b = zero;
		for (size_t i = 0; i < chunk; i += 32) {
			__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
			if (d)
				_mm256_storeu_si256((__m256i *)(void *)(d + i), v);
			a = _mm256_add_epi32(a, _mm256_unpacklo_epi16(v, zero));
			b = _mm256_add_epi32(b, _mm256_unpackhi_epi16(v, zero));
		}
		uint32_t la[8], lb[8];
		_mm256_storeu_si256((__m256i *)(void *)la, a);
		_mm256_storeu_si256((__m256i *)(void *)lb, b);
		for (int k = 0; k < 8; k++)
			total += (uint64_t)la[k] + lb[k];
		p += chunk;
		if (d)
			d += chunk;
		n -= chunk;
	}
	return total;
}

/* The same with SSE2, which every x86-64 has. */
__attribute__((always_inline)) static inline uint64_t csum_sse2(uint8_t *d, const uint8_t *p, size_t n)
{
	const __m128i zero = _mm_setzero_si128();
	uint64_t total = 0;
	while (n) {
		size_t chunk = n < CSUM_CHUNK ? n : CSUM_CHUNK;
		__m128i a = zero, b = zero, c = zero, e = zero;
		for (size_t i = 0; i < chunk; i += 32) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			__m128i w = _mm_loadu_si128((const __m128i *)(const void *)(p + i + 16));
			if (d) {
				_mm_storeu_si128((__m128i *)(void *)(d + i), v);
				_mm_storeu_si128((__m128i *)(void *)(d + i + 16), w);
			}
			a = _mm_add_epi32(a, _mm_unpacklo_epi16(v, zero));
			b = _mm_add_epi32(b, _mm_unpackhi_epi16(v, zero));
			c = _mm_add_epi32(c, _mm_unpacklo_epi16(w, zero));
			e = _mm_add_epi32(e, _mm_unpackhi_epi16(w, zero));
		}
		uint32_t l[4][4];
		_mm_storeu_si128((__m128i *)(void *)l[0], a);
		_mm_storeu_si128((__m128i *)(void *)l[1], b);
		_mm_storeu_si128((__m128i *)(void *)l[2], c);
		_mm_storeu_si128((__m128i *)(void *)l[3], e);
		for (int k = 0; k < 4; k++)
			total += (uint64_t)l[0][k] + l[1][k] + l[2][k] + l[3][k];
		p += chunk;
		if (d)
			d += chunk;
		n -= chunk;
	}
	return total;
}

__attribute__((target("avx2"))) static uint64_t csum_words_avx2(const uint8_t *p, size_t n)
{
	return csum_avx2(NULL, p, n);
}

static uint64_t csum_words_sse2(const uint8_t *p, size_t n)
{
	return csum_sse2(NULL, p, n);
}

__attribute__((target("avx2"))) static uint64_t csum_copy_avx2(uint8_t *d, const uint8_t *p, size_t n)
{
	return csum_avx2(d, p, n);
}

static uint64_t csum_copy_sse2(uint8_t *d, const uint8_t *p, size_t n)
{
	return csum_sse2(d, p, n);
}
#endif

/* The sum is byte-order independent (RFC 1071 section 2(B)): add native
 * words (16 or 32 bits: they agree modulo 0xffff) into 64 bits, fold, and
 * swap once at the end. This runs over every byte of bulk TCP on the
 * offload path: vector code for the bulk where the CPU has it (a third of
 * the daemon's own CPU time went here with the scalar loop alone). */
/* Add the scalar part (fewer than 64 bytes, or everything without vector
 * code) to the 64-bit sum s, fold, swap, and add to sum. */
static uint32_t csum_finish(uint32_t sum, uint64_t s, const uint8_t *p, size_t len)
{
	uint32_t w;
	while (len >= 16) {
		uint32_t a, b, c, d;
		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		memcpy(&c, p + 8, 4);
		memcpy(&d, p + 12, 4);
		s += (uint64_t)a + b + c + d;
		p += 16;
		len -= 16;
	}
	while (len >= 4) {
		memcpy(&w, p, 4);
		s += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;
		memcpy(&h, p, 2);
		s += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* A trailing byte is the high-order byte of a big-endian word. */
		uint8_t tail[2] = {p[0], 0};
		uint16_t h;
		memcpy(&h, tail, 2);
		s += h;
	}
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	uint16_t folded = (uint16_t)s;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	folded = (uint16_t)(folded >> 8 | folded << 8);
#endif
	uint64_t t = (uint64_t)sum + folded;
	return (uint32_t)((t & 0xffffffffu) + (t >> 32));
}

uint32_t proto_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t s = 0;
#if defined(__x86_64__)
	if (len >= 64) {
		size_t n = len & ~(size_t)31;
		s = __builtin_cpu_supports("avx2") ? csum_words_avx2(p, n) : csum_words_sse2(p, n);
		p += n;
		len -= n;
	}
#endif
	return csum_finish(sum, s, p, len);
}

uint32_t proto_csum_copy(uint32_t sum, void *dst, const void *src, size_t len)
{
	const uint8_t *p = src;
	uint64_t s = 0;
#if defined(__x86_64__)
	if (len >= 64) {
		size_t n = len & ~(size_t)31;
		s = __builtin_cpu_supports("avx2") ? csum_copy_avx2(dst, p, n) : csum_copy_sse2(dst, p, n);
		p += n;
		dst = (uint8_t *)dst + n;
		len -= n;
	}
#endif
	memcpy(dst, p, len);
	return csum_finish(sum, s, p, len);
}

uint16_t proto_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Pseudo header of RFC 8200 section 8.1 for an upper-layer packet of ulen. */
static uint32_t csum_pseudo6(const uint8_t *src, const uint8_t *dst, uint32_t ulen, uint8_t nh)
{
	uint8_t tail[8] = {0};

	wr32(tail, ulen);
	tail[7] = nh;
	return proto_csum_add(proto_csum_add(proto_csum_add(0, src, 16), dst, 16), tail, sizeof(tail));
}

int proto_vxlan_build(uint8_t *buf, size_t len, uint32_t vni)
{
	if (vni > VXLAN_VNI_MAX)
		return -EINVAL;
	if (!buf || len < VXLAN_HLEN)
		return -ENOSPC;
	memset(buf, 0, VXLAN_HLEN);
	buf[0] = VXLAN_FLAG_I;
	buf[4] = (uint8_t)(vni >> 16);
	buf[5] = (uint8_t)(vni >> 8);
	buf[6] = (uint8_t)vni;
	return 0;
}

int proto_vxlan_parse(const uint8_t *buf, size_t len, uint32_t *vni)
{
	if (!buf || len < VXLAN_HLEN + ETH_HLEN_)
		return -EMSGSIZE;
	/* Only I is looked at: RFC 7348 says the other flag bits and the
	 * reserved fields MUST be ignored on receipt (the kernel drops them). */
	if (!(buf[0] & VXLAN_FLAG_I))
		return -EBADMSG;
	*vni = (uint32_t)buf[4] << 16 | (uint32_t)buf[5] << 8 | buf[6];
	return 0;
}

/* The flow hash: a MurmurHash3-style block mix and finalizer. It only has to
 * spread flows evenly over the source ports and be stable; it is not a
 * defence against chosen flows. */
#define FH_SEED 0x9e3779b9u

static uint32_t rotl32(uint32_t x, unsigned r)
{
	return x << r | x >> (32 - r);
}

static uint32_t fh_mix(uint32_t h, uint32_t k)
{
	k *= 0xcc9e2d51u;
	k = rotl32(k, 15);
	k *= 0x1b873593u;
	h ^= k;
	h = rotl32(h, 13);
	return h * 5 + 0xe6546b64u;
}

static uint32_t fh_bytes(uint32_t h, const uint8_t *p, size_t n)
{
	for (; n >= 4; p += 4, n -= 4)
		h = fh_mix(h, rd32(p));
	if (n) {
		uint32_t k = (uint32_t)n << 24; /* "ab" and "ab\0" must differ */

		for (size_t i = 0; i < n; i++)
			k ^= (uint32_t)p[i] << (8 * i);
		h = fh_mix(h, k);
	}
	return h;
}

static uint32_t fh_final(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static bool l4_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP_ || proto == IPPROTO_UDP_ || proto == IPPROTO_SCTP_ || proto == IPPROTO_UDPLITE_;
}

static uint32_t fh_ports(uint32_t h, uint8_t proto, const uint8_t *l4, size_t avail)
{
	h = fh_mix(h, proto);
	if (l4_has_ports(proto) && avail >= 4)
		h = fh_mix(h, rd32(l4));
	return h;
}

static uint32_t fh_ipv4(uint32_t h, const uint8_t *ip, size_t avail)
{
	size_t ihl;

	if (avail < IP4_HLEN || ip[0] >> 4 != 4 || (ihl = (size_t)(ip[0] & 0xf) * 4) < IP4_HLEN || ihl > avail)
		return fh_bytes(h, ip, avail < IP4_HLEN ? avail : IP4_HLEN);
	h = fh_bytes(h, ip + 12, 8);
	/* Every fragment of a datagram must take the same path, and only the
	 * first carries ports: leave the ports out for all of them. */
	if (rd16(ip + 6) & 0x3fff)
		return fh_mix(h, ip[9]);
	return fh_ports(h, ip[9], ip + ihl, avail - ihl);
}

static uint32_t fh_ipv6(uint32_t h, const uint8_t *ip, size_t avail)
{
	size_t off = IP6_HLEN;
	uint8_t nh;

	if (avail < IP6_HLEN || ip[0] >> 4 != 6)
		return fh_bytes(h, ip, avail < IP6_HLEN ? avail : IP6_HLEN);
	h = fh_bytes(h, ip + 8, 32);
	nh = ip[6];
	/* Skip the common extension headers to reach the ports; give up (hash
	 * without ports) on anything truncated or unusual. */
	for (int i = 0; i < 8; i++) {
		if (nh == 0 || nh == 43 || nh == 60) {
			if (avail - off < 8)
				return fh_mix(h, nh);
			size_t elen = ((size_t)ip[off + 1] + 1) * 8;
			if (avail - off < elen)
				return fh_mix(h, nh);
			nh = ip[off];
			off += elen;
		} else if (nh == 44) {
			if (avail - off < 8)
				return fh_mix(h, nh);
			return fh_mix(h, ip[off]); /* fragment: no ports, see fh_ipv4 */
		} else {
			break;
		}
	}
	return fh_ports(h, nh, ip + off, avail - off);
}

uint32_t proto_flow_hash(const uint8_t *frame, size_t len)
{
	uint32_t h = FH_SEED;
	uint16_t type;
	size_t off;

	if (!frame)
		return fh_final(h);
	off = eth_l3(frame, len, &type);
	if (!off)
		return fh_final(fh_bytes(h, frame, len) ^ (uint32_t)len);
	h = fh_bytes(h, frame, 12);
	if (off > ETH_HLEN_)
		h = fh_mix(h, rd16(frame + 14) & 0x0fffu); /* the VLAN ID is part of the flow */
	h = fh_mix(h, type);
	if (type == P_IPV4)
		h = fh_ipv4(h, frame + off, len - off);
	else if (type == P_IPV6)
		h = fh_ipv6(h, frame + off, len - off);
	return fh_final(h);
}

uint16_t proto_srcport(uint32_t hash, uint16_t min, uint16_t max)
{
	uint32_t range;

	if (min > max) {
		uint16_t t = min;

		min = max;
		max = t;
	}
	range = (uint32_t)(max - min) + 1;
	return (uint16_t)(min + (((uint64_t)hash * range) >> 32));
}

static bool ip4_is_martian_src(uint32_t a)
{
	/* 0/8, 127/8, multicast, reserved and broadcast cannot be answered. */
	return (a >> 24) == 0 || (a >> 24) == 127 || a >= 0xe0000000u;
}

int proto_arp_parse_request(const uint8_t *frame, size_t len, struct proto_arp_req *req)
{
	const uint8_t *arp = frame + ETH_HLEN_;
	struct proto_arp_req r;

	if (!frame || len < ETH_HLEN_ || rd16(frame + 12) != P_ARP)
		return -ENOENT;
	if (len - ETH_HLEN_ < ARP_LEN)
		return -EBADMSG;
	if (rd16(arp) != 1 || rd16(arp + 2) != P_IPV4 || arp[4] != MAC_LEN || arp[5] != 4)
		return -EBADMSG;
	/* Replies, RARP and the like are well-formed but not questions. */
	if (rd16(arp + 6) != 1)
		return -ENOENT;
	memcpy(r.sha, arp + 8, MAC_LEN);
	memcpy(&r.spa, arp + 14, 4);
	memcpy(&r.tpa, arp + 24, 4);
	/* A gratuitous ARP announces spa; answering it would claim the
	 * announcer's own address for someone else. */
	if (r.spa.s_addr == r.tpa.s_addr)
		return -ENOENT;
	/* Nobody owns these; the kernel does not answer for them either. */
	if (ip4_is_martian_src(rd32(arp + 24)))
		return -ENOENT;
	/* The reply goes to sha: it must be a unicast station. */
	if (mac_is_zero(r.sha) || mac_is_multicast(r.sha))
		return -EBADMSG;
	if (req)
		*req = r;
	return 0;
}

int proto_arp_build_reply(uint8_t *buf, size_t cap, const struct proto_arp_req *req, const uint8_t mac[MAC_LEN])
{
	uint8_t *arp = buf + ETH_HLEN_;

	if (!buf || cap < ETH_HLEN_ + ARP_LEN)
		return -ENOSPC;
	memcpy(buf, req->sha, MAC_LEN);
	memcpy(buf + 6, mac, MAC_LEN);
	wr16(buf + 12, P_ARP);
	wr16(arp, 1);
	wr16(arp + 2, P_IPV4);
	arp[4] = MAC_LEN;
	arp[5] = 4;
	wr16(arp + 6, 2);
	memcpy(arp + 8, mac, MAC_LEN);
	memcpy(arp + 14, &req->tpa, 4);
	memcpy(arp + 18, req->sha, MAC_LEN);
	memcpy(arp + 24, &req->spa, 4);
	return ETH_HLEN_ + ARP_LEN;
}

int proto_nd_parse_ns(const uint8_t *frame, size_t len, struct proto_nd_ns *ns)
{
	const uint8_t *ip = frame + ETH_HLEN_, *icmp = ip + IP6_HLEN, *opt;
	struct proto_nd_ns r;
	size_t plen, olen;

	if (!frame || len < ETH_HLEN_ + IP6_HLEN + 1 || rd16(frame + 12) != P_IPV6)
		return -ENOENT;
	/* Extension headers before an NS are legal but never seen in
	 * practice; such a packet is not proxied (it is forwarded instead). */
	if (ip[0] >> 4 != 6 || ip[6] != IPPROTO_ICMPV6_ || icmp[0] != 135)
		return -ENOENT;
	plen = rd16(ip + 4);
	if (plen > len - ETH_HLEN_ - IP6_HLEN || plen < ND_NS_LEN)
		return -EBADMSG;
	/* RFC 4861 7.1.1: hop limit 255 proves the sender is on-link. */
	if (ip[7] != 255 || icmp[1] != 0)
		return -EBADMSG;
	if (proto_csum_fold(
		proto_csum_add(csum_pseudo6(ip + 8, ip + 24, (uint32_t)plen, IPPROTO_ICMPV6_), icmp, plen)) != 0)
		return -EBADMSG;
	memset(&r, 0, sizeof(r));
	memcpy(r.eth_src, frame + 6, MAC_LEN);
	memcpy(&r.saddr, ip + 8, 16);
	memcpy(&r.target, icmp + 8, 16);
	if (IN6_IS_ADDR_MULTICAST(&r.target))
		return -EBADMSG;
	for (opt = icmp + ND_NS_LEN, olen = plen - ND_NS_LEN; olen > 0;) {
		size_t l;

		if (olen < 2 || opt[1] == 0 || (l = (size_t)opt[1] * 8) > olen)
			return -EBADMSG;
		if (opt[0] == ND_OPT_SLL) {
			/* DAD probes come from :: and must not carry one. */
			if (IN6_IS_ADDR_UNSPECIFIED(&r.saddr))
				return -EBADMSG;
			memcpy(r.sll, opt + 2, MAC_LEN);
			r.has_sll = 1;
		}
		opt += l;
		olen -= l;
	}
	if (ns)
		*ns = r;
	return 0;
}

int proto_nd_build_na(uint8_t *buf, size_t cap, const struct proto_nd_ns *ns, const uint8_t mac[MAC_LEN])
{
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 0x01};
	const size_t ulen = ND_NS_LEN + 8;
	uint8_t *ip = buf + ETH_HLEN_, *icmp = ip + IP6_HLEN;
	bool dad = IN6_IS_ADDR_UNSPECIFIED(&ns->saddr);

	if (!buf || cap < ETH_HLEN_ + IP6_HLEN + ulen)
		return -ENOSPC;
	memset(buf, 0, ETH_HLEN_ + IP6_HLEN + ulen);
	memcpy(buf, ns->eth_src, MAC_LEN);
	memcpy(buf + 6, mac, MAC_LEN);
	wr16(buf + 12, P_IPV6);
	ip[0] = 0x60;
	wr16(ip + 4, (uint16_t)ulen);
	ip[6] = IPPROTO_ICMPV6_;
	ip[7] = 255;
	memcpy(ip + 8, &ns->target, 16);
	/* RFC 4861 7.2.4: an answer to DAD goes to all-nodes, unsolicited. */
	memcpy(ip + 24, dad ? all_nodes : (const uint8_t *)&ns->saddr, 16);
	icmp[0] = 136;
	icmp[4] = ND_NA_FLAG_O | (dad ? 0 : ND_NA_FLAG_S);
	memcpy(icmp + 8, &ns->target, 16);
	icmp[24] = ND_OPT_TLL;
	icmp[25] = 1;
	memcpy(icmp + 26, mac, MAC_LEN);
	wr16(icmp + 2, proto_csum_fold(
			   proto_csum_add(csum_pseudo6(ip + 8, ip + 24, (uint32_t)ulen, IPPROTO_ICMPV6_), icmp, ulen)));
	return (int)(ETH_HLEN_ + IP6_HLEN + ulen);
}

enum proto_too_big proto_too_big_check(const uint8_t *frame, size_t len, unsigned mtu)
{
	const uint8_t *ip;
	uint16_t type;
	size_t off;

	if (!frame || !(off = eth_l3(frame, len, &type)))
		return PROTO_TOO_BIG_DROP;
	if (len - ETH_HLEN_ <= mtu)
		return PROTO_FITS;
	ip = frame + off;
	if (type == P_IPV4 && len - off >= IP4_HLEN && ip[0] >> 4 == 4)
		return rd16(ip + 6) & 0x4000 ? PROTO_TOO_BIG_ICMP : PROTO_TOO_BIG_DROP;
	if (type == P_IPV6 && len - off >= IP6_HLEN && ip[0] >> 4 == 6)
		return PROTO_TOO_BIG_ICMP;
	return PROTO_TOO_BIG_DROP;
}

/* ICMP types whose loss must not cause another error (RFC 1122 3.2.2):
 * everything but the known queries and replies. */
static bool icmp4_is_error(uint8_t type)
{
	return !(type == 0 || type == 8 || type == 9 || type == 10 || (type >= 13 && type <= 18));
}

/* Length of the original to quote, or -ENOENT if RFC 1122 3.2.2 forbids an
 * error about it. */
static int too_big_quote4(const uint8_t *ip, size_t avail)
{
	size_t ihl = (size_t)(ip[0] & 0xf) * 4, tot = rd16(ip + 2);

	if (ihl < IP4_HLEN || ihl > avail || tot < ihl)
		return -ENOENT;
	if (tot < avail)
		avail = tot; /* Ethernet padding is not part of the datagram */
	if (rd16(ip + 6) & 0x1fff)
		return -ENOENT;
	if (ip4_is_martian_src(rd32(ip + 12)) || rd32(ip + 16) >= 0xe0000000u)
		return -ENOENT;
	if (ip[9] == IPPROTO_ICMP_ && (avail <= ihl || icmp4_is_error(ip[ihl])))
		return -ENOENT;
	if (avail > ICMP4_ERR_MAX - IP4_HLEN - ICMP_HLEN)
		avail = ICMP4_ERR_MAX - IP4_HLEN - ICMP_HLEN;
	return (int)avail;
}

static int too_big_quote6(const uint8_t *ip, size_t avail)
{
	size_t off = IP6_HLEN, tot = IP6_HLEN + (size_t)rd16(ip + 4);
	struct in6_addr src, dst;
	uint8_t nh = ip[6];

	if (tot < avail)
		avail = tot;
	memcpy(&src, ip + 8, 16);
	memcpy(&dst, ip + 24, 16);
	if (IN6_IS_ADDR_UNSPECIFIED(&src) || IN6_IS_ADDR_MULTICAST(&src) || IN6_IS_ADDR_LOOPBACK(&src) ||
	    IN6_IS_ADDR_MULTICAST(&dst))
		return -ENOENT;
	/* Find the upper layer to learn whether this is a fragment or an
	 * ICMPv6 error; an unparsable chain is answered, as the kernel does. */
	for (int i = 0; i < 8; i++) {
		if (nh == 0 || nh == 43 || nh == 60) {
			if (avail - off < 8)
				break;
			size_t elen = ((size_t)ip[off + 1] + 1) * 8;
			if (avail - off < elen)
				break;
			nh = ip[off];
			off += elen;
		} else if (nh == 44) {
			if (avail - off < 8)
				break;
			if (rd16(ip + off + 2) & 0xfff8)
				return -ENOENT;
			nh = ip[off];
			off += 8;
		} else {
			if (nh == IPPROTO_ICMPV6_ && (avail <= off || ip[off] < 128))
				return -ENOENT;
			break;
		}
	}
	if (avail > ICMP6_ERR_MAX - IP6_HLEN - ICMP_HLEN)
		avail = ICMP6_ERR_MAX - IP6_HLEN - ICMP_HLEN;
	return (int)avail;
}

static int too_big_build(uint8_t *buf, size_t cap, const uint8_t *frame, size_t len, unsigned mtu, bool any_df)
{
	const uint8_t *oip;
	uint8_t *ip, *icmp;
	uint16_t type;
	size_t off, total;
	int q;

	if (!buf)
		return -ENOENT;
	enum proto_too_big why = proto_too_big_check(frame, len, mtu);
	if (why != PROTO_TOO_BIG_ICMP) {
		/* Without DF: only IPv4 (where DF is the question), only as
		 * much as IPv4 must carry unfragmented. */
		if (!any_df || why != PROTO_TOO_BIG_DROP || mtu < 576 || !(off = eth_l3(frame, len, &type)) ||
		    type != P_IPV4 || len - off < IP4_HLEN || frame[off] >> 4 != 4)
			return -ENOENT;
	}
	/* Our reply comes from the original destination MAC: a group address
	 * cannot be a source. */
	if (mac_is_multicast(frame))
		return -ENOENT;
	off = eth_l3(frame, len, &type);
	oip = frame + off;
	/* A VLAN tag eats into the TAP's MTU: report what IP can use. */
	mtu = mtu > off - ETH_HLEN_ ? mtu - (unsigned)(off - ETH_HLEN_) : 0;
	q = type == P_IPV4 ? too_big_quote4(oip, len - off) : too_big_quote6(oip, len - off);
	if (q < 0)
		return q;
	total = off + (type == P_IPV4 ? IP4_HLEN : IP6_HLEN) + ICMP_HLEN + (size_t)q;
	if (cap < total)
		return -ENOSPC;

	memcpy(buf, frame + 6, MAC_LEN);
	memcpy(buf + 6, frame, MAC_LEN);
	memcpy(buf + 12, frame + 12, off - 12); /* VLAN tag and ethertype */
	ip = buf + off;
	if (type == P_IPV4) {
		icmp = ip + IP4_HLEN;
		memset(ip, 0, IP4_HLEN + ICMP_HLEN);
		ip[0] = 0x45;
		ip[1] = 0xc0; /* precedence "internetwork control", as the kernel */
		wr16(ip + 2, (uint16_t)(IP4_HLEN + ICMP_HLEN + q));
		ip[8] = 64;
		ip[9] = IPPROTO_ICMP_;
		memcpy(ip + 12, oip + 16, 4);
		memcpy(ip + 16, oip + 12, 4);
		wr16(ip + 10, proto_csum_fold(proto_csum_add(0, ip, IP4_HLEN)));
		icmp[0] = 3;
		icmp[1] = 4;
		wr16(icmp + 6, mtu > 0xffff ? 0xffff : (uint16_t)mtu);
		memcpy(icmp + ICMP_HLEN, oip, (size_t)q);
		wr16(icmp + 2, proto_csum_fold(proto_csum_add(0, icmp, ICMP_HLEN + (size_t)q)));
	} else {
		size_t ulen = ICMP_HLEN + (size_t)q;

		icmp = ip + IP6_HLEN;
		memset(ip, 0, IP6_HLEN + ICMP_HLEN);
		ip[0] = 0x60;
		wr16(ip + 4, (uint16_t)ulen);
		ip[6] = IPPROTO_ICMPV6_;
		ip[7] = 64;
		memcpy(ip + 8, oip + 24, 16);
		memcpy(ip + 24, oip + 8, 16);
		icmp[0] = 2;
		wr32(icmp + 4, mtu);
		memcpy(icmp + ICMP_HLEN, oip, (size_t)q);
		wr16(icmp + 2, proto_csum_fold(proto_csum_add(
				   csum_pseudo6(ip + 8, ip + 24, (uint32_t)ulen, IPPROTO_ICMPV6_), icmp, ulen)));
	}
	return (int)total;
}

int proto_too_big_build(uint8_t *buf, size_t cap, const uint8_t *frame, size_t len, unsigned mtu)
{
	return too_big_build(buf, cap, frame, len, mtu, false);
}

int proto_too_big_build_any(uint8_t *buf, size_t cap, const uint8_t *frame, size_t len, unsigned mtu)
{
	return too_big_build(buf, cap, frame, len, mtu, true);
}

/* Offset of the inner IP header of frame if it is one ECN can be read from:
 * untagged or behind one tag, version nibble matching the ethertype, the
 * fixed header complete. 0 otherwise; *v4 tells the family. */
static size_t ecn_inner_ip(const uint8_t *frame, size_t len, bool *v4)
{
	uint16_t type;
	size_t off;

	*v4 = false;
	if (!frame || !(off = eth_l3(frame, len, &type)))
		return 0;
	if (type == P_IPV4 && len - off >= IP4_HLEN && frame[off] >> 4 == 4) {
		*v4 = true;
		return off;
	}
	if (type == P_IPV6 && len - off >= IP6_HLEN && frame[off] >> 4 == 6)
		return off;
	return 0;
}

static uint8_t ip_dsfield(const uint8_t *ip, bool v4)
{
	return v4 ? ip[1] : (uint8_t)((ip[0] & 0x0f) << 4 | ip[1] >> 4);
}

/* Set the ECN field of an IPv4 or IPv6 header. For IPv4 the checksum follows
 * by RFC 1624 eqn. 3, HC' = ~(~HC + ~m + m'), over the first 16-bit word
 * (version/IHL and TOS); IPv6 has no header checksum. */
static void ip_set_ecn(uint8_t *ip, bool v4, uint8_t ecn)
{
	if (!v4) {
		ip[1] = (uint8_t)((ip[1] & ~(PROTO_ECN_MASK << 4)) | ecn << 4);
		return;
	}
	uint16_t m = rd16(ip), m2 = (uint16_t)((m & ~PROTO_ECN_MASK) | ecn);
	uint32_t s = (uint32_t)(uint16_t)~rd16(ip + 10) + (uint16_t)~m + m2;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	wr16(ip + 10, (uint16_t)~s);
	wr16(ip, m2);
}

enum proto_ecn proto_ecn_decap(uint8_t outer_tos, uint8_t *frame, size_t len)
{
	uint8_t outer = outer_tos & PROTO_ECN_MASK, inner;
	size_t off;
	bool v4;

	if (!(off = ecn_inner_ip(frame, len, &v4)))
		return PROTO_ECN_PASS;
	inner = ip_dsfield(frame + off, v4) & PROTO_ECN_MASK;
	if (inner == PROTO_ECN_NOT_ECT) {
		/* The sender did not ask for ECN: a congestion mark has nowhere
		 * to go but a drop, and ECT on the outside means someone on the
		 * path rewrote the outer header. */
		if (outer == PROTO_ECN_CE)
			return PROTO_ECN_DROP;
		return outer == PROTO_ECN_NOT_ECT ? PROTO_ECN_PASS : PROTO_ECN_PASS_LOG;
	}
	if (outer == PROTO_ECN_CE && inner != PROTO_ECN_CE) {
		ip_set_ecn(frame + off, v4, PROTO_ECN_CE);
		return PROTO_ECN_REWRITTEN;
	}
	/* An ECT(1) mark (L4S, RFC 9331) propagates onto ECT(0) only. */
	if (outer == PROTO_ECN_ECT_1 && inner == PROTO_ECN_ECT_0) {
		ip_set_ecn(frame + off, v4, PROTO_ECN_ECT_1);
		return PROTO_ECN_REWRITTEN;
	}
	return PROTO_ECN_PASS;
}

uint8_t proto_outer_tos(uint8_t tos, bool inherit, const uint8_t *frame, size_t len)
{
	bool v4;
	size_t off = ecn_inner_ip(frame, len, &v4);
	uint8_t ds = off ? ip_dsfield(frame + off, v4) : 0, ecn = ds & PROTO_ECN_MASK;

	if (inherit)
		tos = ds;
	if (ecn == PROTO_ECN_CE)
		ecn = PROTO_ECN_ECT_0;
	return (uint8_t)((tos & ~PROTO_ECN_MASK) | ecn);
}
