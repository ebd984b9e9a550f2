/* offload: what lets a userspace VTEP move TCP at kernel-like rates through
 * a TAP opened with IFF_VNET_HDR (the virtio-net header in front of every
 * frame, as QEMU and wireguard-go use it):
 *  - transmit: the host stack hands us 64 KB TCP super-frames (TSO) and
 *    frames whose checksum is left to the device (NEEDS_CSUM); we complete
 *    checksums and cut super-frames into MSS-sized segments, in software,
 *    before encapsulation (RFC 7348 carries plain Ethernet frames).
 *  - receive: consecutive in-order TCP segments of one flow, each with a
 *    verified checksum, are merged into one super-frame handed to the TAP
 *    with a GSO header (inner GRO), so the host's TCP stack sees one packet
 *    where the wire carried dozens; consecutive UDP datagrams of one flow
 *    and of one size (the last may be shorter) likewise, as a UDP GSO
 *    (USO) super-frame the kernel cuts back into the same datagrams, as
 *    its own UDP GRO for forwarding does.
 * Pure functions over caller buffers; fuzzed by tests/fuzz/fuzz_offload.c. */
#ifndef VXNET_OFFLOAD_H
#define VXNET_OFFLOAD_H

#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdint.h>

/* UDP segmentation offload (USO) in a virtio-net header: Linux 6.2 and
 * later accept it from a TAP's writer; older system headers lack the name. */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

/* The header size vxnetd sets with TUNSETVNETHDRSZ. */
#define OFFLOAD_VNET_HLEN ((int)sizeof(struct virtio_net_hdr))
/* Largest IP datagram a super-frame may carry. */
#define OFFLOAD_MAX_IP 65535

/* Ones'-complement sum of data added to sum: proto_csum_add, under the name
 * this module's users and tests know it by. */
uint32_t offload_csum_add(uint32_t sum, const void *data, size_t len);

/* Finish a NEEDS_CSUM checksum in place: sum frame[start..len) (the field at
 * start + offset holds the pseudo-header sum) and store its complement.
 * 0, or -EINVAL if start/offset do not fit in len. */
int offload_csum_complete(uint8_t *frame, size_t len, unsigned start, unsigned offset);

/* One output segment of offload_tso_segment. */
struct offload_seg {
	uint8_t *data;
	size_t len;
};

/* Cut a TCP super-frame (Ethernet + IPv4/IPv6 + TCP, vh->gso_type TCPV4 or
 * TCPV6, optionally | ECN) into frames of at most vh->gso_size payload
 * bytes, written back to back into out[0..cap), each preceded by headroom
 * free bytes (room for the VXLAN header of a UDP GSO burst). Each segment gets its own
 * IP length (IPv4: id + i, header checksum), TCP sequence number and
 * checksum; FIN and PSH stay on the last segment only, CWR on the first.
 * Returns the number of segments, -EINVAL for a malformed frame or header
 * (no TCP, IPv6 extension headers, gso_size 0, ...), -ENOSPC if out or
 * max_segs is too small. */
int offload_tso_segment(const uint8_t *frame, size_t len, const struct virtio_net_hdr *vh, size_t headroom,
			uint8_t *out, size_t cap, struct offload_seg *segs, unsigned max_segs);

/* Inner GRO: one pending super-frame being built in a caller buffer. */
struct offload_gro {
	uint8_t *buf;
	size_t cap;
	size_t len;       /* bytes in buf: headers of the first segment + all payloads */
	unsigned nseg;    /* segments merged so far; 0 = nothing pending */
	unsigned hlen;    /* Ethernet + IP + TCP header length */
	unsigned l3off;   /* 14, or 18 after one VLAN tag */
	unsigned l4off;
	uint16_t mss;     /* payload length of the first segment */
	uint32_t next_seq;
	int ipv6;
	int udp;          /* a train of UDP datagrams (mss: their payload size) */
	int closed;       /* a short or PSH segment ended the train: flush now */
};

/* UDP datagrams merged into one super-frame at most (the kernel's
 * UDP_MAX_SEGMENTS of older versions). */
#define OFFLOAD_GRO_UDP_MAX 64

void offload_gro_init(struct offload_gro *g, uint8_t *buf, size_t cap);

enum offload_gro_result {
	OFFLOAD_GRO_HELD,     /* frame copied into the pending super-frame */
	OFFLOAD_GRO_FLUSH,    /* does not continue the pending one: flush, then add again */
	OFFLOAD_GRO_PASS,     /* not mergeable (not TCP/UDP, flags, bad checksum...): flush, write as is */
};
/* Offer one received inner frame. */
enum offload_gro_result offload_gro_add(struct offload_gro *g, const uint8_t *frame, size_t len);
/* True when the pending frame cannot grow any more and should be flushed. */
int offload_gro_closed(const struct offload_gro *g);
/* Finish the pending frame for writing: fix the IP length and checksum,
 * put the pseudo-header sum in the TCP (UDP) checksum field and fill *vh
 * (NEEDS_CSUM; with gso_type TCPV4/6 (UDP_L4) when more than one segment
 * was merged, else DATA_VALID). Returns the frame length (buf[0..n)), 0 if nothing is
 * pending. The pending state is reset. */
size_t offload_gro_finish(struct offload_gro *g, struct virtio_net_hdr *vh);

#endif
