/* libFuzzer target for lib/proto.c and the address checks of lib/addr.c:
 * every parser, the flow hash, the too-big classifier and builder, ECN
 * decapsulation and encapsulation, and addr_check run on the input, and
 * whatever the parsers accept is fed to the matching builder. Besides the
 * sanitizers, invariants of the outputs are checked and trap when broken. */
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vxnet/proto.h"

#define CHECK(c)                                                                                                       \
	do {                                                                                                           \
		if (!(c))                                                                                              \
			__builtin_trap();                                                                              \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_vxlan(const uint8_t *data, size_t size)
{
	uint8_t hdr[VXLAN_HLEN + ETH_HLEN_] = {0};
	uint32_t vni = 0, back = 0;

	if (proto_vxlan_parse(data, size, &vni) == 0) {
		CHECK(vni <= VXLAN_VNI_MAX);
		CHECK(proto_vxlan_build(hdr, sizeof(hdr), vni) == 0);
		CHECK(proto_vxlan_parse(hdr, sizeof(hdr), &back) == 0 && back == vni);
	}
}

static void fuzz_hash(const uint8_t *data, size_t size)
{
	uint32_t h = proto_flow_hash(data, size);
	uint16_t min = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 49152;
	uint16_t max = size >= 4 ? (uint16_t)(data[2] << 8 | data[3]) : 65535;
	uint16_t p = proto_srcport(h, min, max);

	CHECK(h == proto_flow_hash(data, size));
	CHECK(p >= (min < max ? min : max) && p <= (min < max ? max : min));
}

static void fuzz_arp(const uint8_t *data, size_t size)
{
	static const uint8_t mac[MAC_LEN] = {0x02, 0x42, 0xc0, 0xa8, 0x00, 0x03};
	struct proto_arp_req req;
	uint8_t out[64];

	if (proto_arp_parse_request(data, size, &req) == 0) {
		CHECK(proto_arp_build_reply(out, sizeof(out), &req, mac) == 42);
		CHECK(proto_arp_parse_request(out, 42, NULL) == -ENOENT); /* a reply, not a request */
	}
}

static void fuzz_nd(const uint8_t *data, size_t size)
{
	static const uint8_t mac[MAC_LEN] = {0x02, 0x42, 0xc0, 0xa8, 0x00, 0x03};
	struct proto_nd_ns ns;
	uint8_t out[128];
	int n;

	if (proto_nd_parse_ns(data, size, &ns) == 0) {
		n = proto_nd_build_na(out, sizeof(out), &ns, mac);
		CHECK(n == 86);
		CHECK(proto_nd_parse_ns(out, (size_t)n, NULL) == -ENOENT); /* an NA, not an NS */
	}
}

static void fuzz_too_big(const uint8_t *data, size_t size)
{
	static const unsigned mtus[] = {0, 68, 576, 1280, 1400, 1450, 9000};
	uint8_t out[1600], again[1600];

	for (size_t i = 0; i < sizeof(mtus) / sizeof(mtus[0]); i++) {
		enum proto_too_big c = proto_too_big_check(data, size, mtus[i]);
		int n = proto_too_big_build(out, sizeof(out), data, size, mtus[i]);

		CHECK(c == PROTO_FITS || c == PROTO_TOO_BIG_ICMP || c == PROTO_TOO_BIG_DROP);
		if (c != PROTO_TOO_BIG_ICMP)
			CHECK(n == -ENOENT);
		if (n > 0) {
			size_t l3 = out[12] == 0x81 || out[12] == 0x88 ? 18 : 14;
			size_t iplen = (size_t)n - l3;

			CHECK((size_t)n <= sizeof(out));
			CHECK(iplen <= ((out[l3] >> 4) == 4 ? 576u : 1280u));
			if ((out[l3] >> 4) == 4) {
				CHECK(proto_csum_fold(proto_csum_add(0, out + l3, 20)) == 0);
				CHECK(proto_csum_fold(proto_csum_add(0, out + l3 + 20, iplen - 20)) == 0);
			}
			/* the answer is an ICMP error: it must never be answered */
			CHECK(proto_too_big_build(again, sizeof(again), out, (size_t)n, 0) == -ENOENT);
		}
		/* a short buffer is refused, never overrun */
		if (n > 0)
			CHECK(proto_too_big_build(out, (size_t)n - 1, data, size, mtus[i]) == -ENOSPC);
	}
}

/* Inner IP header offset and family as the ECN code must see them, worked
 * out here independently: one tag at most, version nibble, fixed header. */
static size_t ecn_l3(const uint8_t *f, size_t len, int *v6)
{
	size_t off = 14;
	uint16_t type;

	if (len < 14)
		return 0;
	type = (uint16_t)(f[12] << 8 | f[13]);
	if ((type == 0x8100 || type == 0x88a8) && len >= 18) {
		type = (uint16_t)(f[16] << 8 | f[17]);
		off = 18;
	}
	*v6 = type == 0x86dd;
	if (type == 0x0800 && len - off >= 20 && f[off] >> 4 == 4)
		return off;
	if (type == 0x86dd && len - off >= 40 && f[off] >> 4 == 6)
		return off;
	return 0;
}

static uint8_t ecn_of(const uint8_t *ip, int v6)
{
	return v6 ? (ip[1] >> 4) & 3 : ip[1] & 3;
}

static void fuzz_ecn(const uint8_t *data, size_t size)
{
	static uint8_t f[70000], before[70000];
	uint8_t outer;
	size_t len, off;
	int v6 = 0;

	if (size < 1)
		return;
	outer = data[0];
	len = size - 1 < sizeof(f) ? size - 1 : sizeof(f);
	memcpy(f, data + 1, len);
	memcpy(before, f, len);
	off = ecn_l3(f, len, &v6);

	/* the encapsulation side never sends CE, and keeps the DSCP asked for */
	for (int inherit = 0; inherit < 2; inherit++) {
		uint8_t t = proto_outer_tos(outer, inherit, f, len);

		CHECK((t & 3) != 3);
		if (!inherit)
			CHECK((t & 0xfc) == (outer & 0xfc));
		if (!off)
			CHECK((t & 3) == 0 && (!inherit || t == 0));
	}

	enum proto_ecn r = proto_ecn_decap(outer, f, len);
	CHECK(r == PROTO_ECN_PASS || r == PROTO_ECN_REWRITTEN || r == PROTO_ECN_PASS_LOG || r == PROTO_ECN_DROP);
	if (r != PROTO_ECN_REWRITTEN) {
		CHECK(memcmp(f, before, len) == 0);
		if (r != PROTO_ECN_PASS)
			CHECK(off && ecn_of(f + off, v6) == 0 && (outer & 3) != 0);
		return;
	}
	CHECK(off);
	/* only the ECN bits and (IPv4) the header checksum moved */
	for (size_t i = 0; i < len; i++) {
		if (i == off + 1 || (!v6 && (i == off + 10 || i == off + 11)))
			continue;
		CHECK(f[i] == before[i]);
	}
	CHECK((f[off + 1] & (v6 ? 0xcf : 0xfc)) == (before[off + 1] & (v6 ? 0xcf : 0xfc)));
	CHECK(ecn_of(f + off, v6) == ((outer & 3) == 3 ? 3 : 1));
	/* a header that summed right still does, and a wrong one stays wrong */
	if (!v6) {
		uint16_t s0 = proto_csum_fold(proto_csum_add(0, before + off, 20));
		uint16_t s1 = proto_csum_fold(proto_csum_add(0, f + off, 20));
		CHECK(s0 == s1);
	}
	/* applying the same outer field again changes nothing more */
	memcpy(before, f, len);
	CHECK(proto_ecn_decap(outer, f, len) == PROTO_ECN_PASS);
	CHECK(memcmp(f, before, len) == 0);
}

/* addr_check on the first 4 or 16 bytes: a reason exactly when refused, and
 * the uses nest as documented (a neigh address is a valid remote, a valid
 * unicast dst is a valid flood dst, a group is multicast). */
static void fuzz_addr(const uint8_t *data, size_t size)
{
	static const char *const field[] = {"local ", "remote ", "group ", "dst ", "dst ", "address "};
	struct vx_addr a;
	int ok[ADDR_USE_NEIGH + 1];

	for (int fam = 0; fam < 2; fam++) {
		memset(&a, 0, sizeof(a));
		if (fam == 0 && size >= 4) {
			a.family = AF_INET;
			memcpy(&a.v4, data, 4);
		} else if (fam == 1 && size >= 16) {
			a.family = AF_INET6;
			memcpy(&a.v6, data, 16);
		} else {
			continue;
		}
		for (int use = ADDR_USE_LOCAL; use <= ADDR_USE_NEIGH; use++) {
			const char *why = "untouched";
			int rc = addr_check(&a, (enum addr_use)use, &why);

			CHECK(rc == 0 || rc == -EINVAL);
			CHECK((rc == 0) == (why == NULL));
			if (why)
				CHECK(strncmp(why, field[use], strlen(field[use])) == 0);
			ok[use] = rc == 0;
		}
		CHECK(!ok[ADDR_USE_NEIGH] || ok[ADDR_USE_REMOTE]);
		CHECK(!ok[ADDR_USE_REMOTE] || (ok[ADDR_USE_LOCAL] && ok[ADDR_USE_FDB_DST]));
		CHECK(!ok[ADDR_USE_FDB_DST] || ok[ADDR_USE_FDB_FLOOD]);
		CHECK(!ok[ADDR_USE_GROUP] || (addr_is_multicast(&a) && ok[ADDR_USE_FDB_FLOOD]));
		CHECK(!ok[ADDR_USE_REMOTE] || !(addr_is_multicast(&a) || addr_is_unspec(&a)));
	}
	if (size >= MAC_LEN) {
		const char *why = "untouched";
		int rc = mac_check_neigh_lladdr(data, &why);

		CHECK((rc == 0) == (why == NULL) && (rc == 0) == !(mac_is_zero(data) || mac_is_multicast(data)));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_vxlan(data, size);
	/* As the daemon does: parse the inner frame behind a VXLAN header. */
	if (size >= VXLAN_HLEN)
		fuzz_vxlan(data + VXLAN_HLEN, size - VXLAN_HLEN);
	fuzz_hash(data, size);
	fuzz_arp(data, size);
	fuzz_nd(data, size);
	fuzz_too_big(data, size);
	fuzz_ecn(data, size);
	fuzz_addr(data, size);
	(void)proto_csum_fold(proto_csum_add(0, data, size));
	return 0;
}
