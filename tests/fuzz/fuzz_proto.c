/* libFuzzer target for lib/proto.c: every parser, the flow hash and the
 * too-big classifier and builder run on the input, and whatever the parsers
 * accept is fed to the matching builder. Besides the sanitizers, a few
 * invariants of the outputs are checked and trap when broken. */
#include <errno.h>
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
	(void)proto_csum_fold(proto_csum_add(0, data, size));
	return 0;
}
