/* proto: parse and build the wire formats vxnet touches: the VXLAN header
 * (RFC 7348), Ethernet, ARP, IPv4, IPv6, ICMP/ICMPv6 (neighbour solicitation
 * and advertisement, fragmentation needed, packet too big), and ECN across
 * the tunnel (RFC 6040).
 * Pure functions over caller buffers; every read is bounds-checked against
 * the length given; nothing allocates. Fuzzed by tests/fuzz/fuzz_proto.c. */
#ifndef VXNET_PROTO_H
#define VXNET_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vxnet/addr.h"

#define VXLAN_HLEN 8
#define VXLAN_FLAG_I 0x08
#define VXLAN_VNI_MAX 0xffffffu /* 24 bits: valid VNIs are 0..VXLAN_VNI_MAX */
#define VXLAN_DEFAULT_PORT 4789
#define ETH_HLEN_ 14
/* Outer overhead added to an inner Ethernet frame: IP + UDP + VXLAN + inner Ethernet. */
#define VXLAN_OVERHEAD_V4 50
#define VXLAN_OVERHEAD_V6 70

/* Write an 8-byte VXLAN header for vni into buf (flags 0x08, reserved zero).
 * 0, -ENOSPC if len < 8, -EINVAL if vni > VXLAN_VNI_MAX. */
int proto_vxlan_build(uint8_t *buf, size_t len, uint32_t vni);

/* Parse a VXLAN header at the start of a UDP payload.
 * Reserved bits are ignored (RFC 7348 section 5); the I flag is required.
 * 0 and *vni set, -EMSGSIZE if len < 8 + 14 (no room for an inner Ethernet
 * header), -EBADMSG if the I flag is clear. */
int proto_vxlan_parse(const uint8_t *buf, size_t len, uint32_t *vni);

/* Hash of the inner flow for the UDP source port (RFC 7348 section 5):
 * Ethernet addresses and type, IPv4/IPv6 addresses and protocol, and
 * TCP/UDP/SCTP ports when present (not for fragments). Stable per flow,
 * well mixed, never reads beyond len. */
uint32_t proto_flow_hash(const uint8_t *frame, size_t len);
/* Map a flow hash into [min, max] (min <= max). */
uint16_t proto_srcport(uint32_t hash, uint16_t min, uint16_t max);

/* An ARP request for IPv4 over Ethernet (op 1, htype 1, ptype 0x0800). */
struct proto_arp_req {
	uint8_t sha[MAC_LEN]; /* sender hardware address */
	struct in_addr spa;   /* sender protocol address */
	struct in_addr tpa;   /* target protocol address */
};
/* 0 if frame is an Ethernet ARP request (VLAN-untagged), -ENOENT if it is
 * something else, -EBADMSG if it claims to be ARP but is malformed.
 * "Something else" includes ARP replies and other ops, gratuitous requests
 * (spa == tpa) and targets in 0/8, 127/8 or 224/3, which are not answered;
 * a zero or group sha (nowhere to reply to) is -EBADMSG. req may be NULL. */
int proto_arp_parse_request(const uint8_t *frame, size_t len, struct proto_arp_req *req);
/* Build the Ethernet ARP reply "tpa is-at mac" to req into buf.
 * Returns the frame length (42, no padding) or -ENOSPC. */
int proto_arp_build_reply(uint8_t *buf, size_t cap, const struct proto_arp_req *req, const uint8_t mac[MAC_LEN]);

/* An IPv6 neighbour solicitation (ICMPv6 type 135, hop limit 255). */
struct proto_nd_ns {
	uint8_t eth_src[MAC_LEN];
	struct in6_addr saddr;  /* IPv6 source (may be :: for DAD) */
	struct in6_addr target; /* target address */
	uint8_t sll[MAC_LEN];   /* source link-layer option, if has_sll */
	int has_sll;
};
/* 0 if frame is a valid NS (checks hop limit 255, code 0, ICMPv6 checksum,
 * option lengths), -ENOENT if not an NS, -EBADMSG if a malformed one.
 * Only untagged frames with ICMPv6 right after the IPv6 header count as NS.
 * Also -EBADMSG: a multicast target, a source link-layer option with source
 * :: (RFC 4861 7.1.1), IPv6 payload length beyond len. ns may be NULL. */
int proto_nd_parse_ns(const uint8_t *frame, size_t len, struct proto_nd_ns *ns);
/* Build an Ethernet neighbour advertisement answering ns with "target is at
 * mac" (solicited and override flags set, target link-layer option, source
 * = target, destination = ns source or all-nodes for DAD), checksum filled.
 * Returns the frame length or -ENOSPC. */
int proto_nd_build_na(uint8_t *buf, size_t cap, const struct proto_nd_ns *ns, const uint8_t mac[MAC_LEN]);

/* What proto_too_big_check decided for an inner frame that exceeds mtu. */
enum proto_too_big {
	PROTO_FITS = 0,     /* frame's payload fits mtu: send it */
	PROTO_TOO_BIG_ICMP, /* too big, DF IPv4 or IPv6: answer with ICMP, drop */
	PROTO_TOO_BIG_DROP, /* too big, not IP or IPv4 without DF: drop */
};
/* Classify an inner Ethernet frame of len bytes against the link mtu
 * (the largest inner payload after the Ethernet header). One VLAN tag
 * (802.1Q or 802.1ad) is looked through. A frame shorter than an Ethernet
 * header is PROTO_TOO_BIG_DROP. */
enum proto_too_big proto_too_big_check(const uint8_t *frame, size_t len, unsigned mtu);
/* Build, into buf, the Ethernet frame written back into the TAP for a frame
 * that was too big: IPv4 -> ICMP type 3 code 4 with next-hop MTU = mtu;
 * IPv6 -> ICMPv6 packet too big with MTU = mtu. Addresses are swapped
 * (Ethernet and IP source of the reply are the original destination), as the
 * kernel's iptunnel_pmtud does; the quoted original is truncated to 576 bytes
 * (IPv4) or 1280 (IPv6) total; checksums are filled.
 * Returns the frame length, -ENOENT if the frame does not warrant one, or
 * -ENOSPC. Not warranted (RFC 1122 3.2.2, RFC 4443 2.4): proto_too_big_check
 * is not PROTO_TOO_BIG_ICMP, the original is an ICMP/ICMPv6 error or a
 * non-first fragment, its source is unspecified, loopback, multicast or
 * broadcast, its IP or Ethernet destination is multicast/broadcast, or its
 * IPv4 header is malformed. A VLAN tag is kept and the reported MTU lowered
 * by its 4 bytes. buf and frame must not overlap. */
int proto_too_big_build(uint8_t *buf, size_t cap, const uint8_t *frame, size_t len, unsigned mtu);
/* proto_too_big_build, also for an IPv4 packet without DF (mtu >= 576):
 * nobody on the path may fragment it (RFC 7348), and a Linux sender takes
 * frag-needed into its route whatever its DF bit, then fragments itself,
 * which is what the kernel's vxlan gets by updating a local sender's route
 * directly (skb_tunnel_check_pmtu). */
int proto_too_big_build_any(uint8_t *buf, size_t cap, const uint8_t *frame, size_t len, unsigned mtu);

/* ECN codepoints (RFC 3168): the low two bits of the IPv4 TOS byte and of
 * the IPv6 traffic class. */
#define PROTO_ECN_NOT_ECT 0
#define PROTO_ECN_ECT_1 1
#define PROTO_ECN_ECT_0 2
#define PROTO_ECN_CE 3
#define PROTO_ECN_MASK 3

/* What proto_ecn_decap decided for a decapsulated frame. */
enum proto_ecn {
	/* deliver; frame unchanged */
	PROTO_ECN_PASS = 0,
	/* deliver; inner ECN field rewritten (to CE, or to ECT(1)) */
	PROTO_ECN_REWRITTEN,
	/* deliver unchanged; outer ECT(0)/ECT(1) over a Not-ECT inner packet,
	 * which the kernel logs ("non-ECT from ...", log_ecn_error) */
	PROTO_ECN_PASS_LOG,
	/* outer CE over a Not-ECT inner packet: drop; the kernel counts it in
	 * rx_errors and rx_frame_errors and logs it */
	PROTO_ECN_DROP,
};
/* Combine the outer ECN field into the inner frame on decapsulation, as
 * RFC 6040 section 4.2 (figure 4) and the kernel's INET_ECN_decapsulate
 * (include/net/inet_ecn.h) do:
 *
 *     inner \ outer | Not-ECT  ECT(0)      ECT(1)      CE
 *     Not-ECT       | pass     pass+log    pass+log    DROP
 *     ECT(0)        | pass     pass        ->ECT(1)    ->CE
 *     ECT(1)        | pass     pass        pass        ->CE
 *     CE            | pass     pass        pass        pass
 *
 * RFC 6040 also flags inner ECT(1)/outer ECT(0) and inner CE/outer ECT(1) as
 * unexpected; the kernel neither logs nor counts them, and neither does this.
 * outer_tos is the outer IPv4 TOS byte or the outer IPv6 traffic class: only
 * its ECN bits are read, so the outer family does not matter (the caller gets
 * the byte from IP_TOS / IPV6_TCLASS control messages). The inner IPv4 or IPv6
 * header may follow one 802.1Q or 802.1ad tag; the inner DSCP is never
 * touched; an inner IPv4 header checksum is updated incrementally (RFC 1624),
 * so a wrong one stays exactly as wrong. Frames that are not IPv4/IPv6 (ARP,
 * two tags, a version nibble that does not match the ethertype, a header
 * shorter than its fixed part) have no ECN field: PROTO_ECN_PASS, unchanged.
 * Unlike this function, the kernel (6.18, measured) applies the rules to
 * untagged inner frames only and passes tagged ones unchanged. */
enum proto_ecn proto_ecn_decap(uint8_t outer_tos, uint8_t *frame, size_t len);
/* The outer TOS / traffic class byte for an inner frame on encapsulation, as
 * the kernel's vxlan_xmit_one: the DSCP is tos's, or the inner packet's when
 * inherit is set; the ECN field is the inner packet's with CE sent as ECT(0)
 * (RFC 6040 normal mode, INET_ECN_encapsulate), Not-ECT for a frame that is
 * not IP. tos's own ECN bits are ignored. Looks through one VLAN tag, as
 * proto_ecn_decap does. */
uint8_t proto_outer_tos(uint8_t tos, bool inherit, const uint8_t *frame, size_t len);

/* Internet checksum helpers (RFC 1071) used by the builders and the tests.
 * proto_csum_add adds data as big-endian 16-bit words to sum (an odd last
 * byte is padded with zero, so every piece but the last must have even
 * length); proto_csum_fold folds and complements it into the checksum to
 * store big-endian. Data that includes a correct checksum folds to 0. */
uint32_t proto_csum_add(uint32_t sum, const void *data, size_t len);
uint16_t proto_csum_fold(uint32_t sum);
/* memcpy(dst, src, len) and proto_csum_add(sum, src, len) in one pass over
 * the bytes (the offload paths copy and checksum every payload byte).
 * dst and src must not overlap. */
uint32_t proto_csum_copy(uint32_t sum, void *dst, const void *src, size_t len);

#endif
