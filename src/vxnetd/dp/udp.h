/* udp: the underlay sockets.
 * Receive: a UDP socket per (family, port) bound to the wildcard address.
 * Send: one raw IPPROTO_UDP socket per family, because RFC 7348 wants the
 * UDP source port to be a hash of the inner flow, and a bound UDP socket can
 * only send from its own port. The kernel still builds the IP header (so
 * routing, source selection, DF, TTL and TOS work as for UDP); we write the
 * 8-byte UDP header. */
#ifndef VXNETD_UDP_H
#define VXNETD_UDP_H

#include <stdbool.h>
#include <stdint.h>

#include "vxnet/addr.h"

/* n non-blocking UDP sockets bound to [::]:port or 0.0.0.0:port into fds,
 * with UDP_GRO on (when the kernel has it) so bursts arrive as one buffer,
 * and the outer TOS/traffic class of each datagram as a control message.
 * n > 1: a SO_REUSEPORT group, whose default selection hashes each outer
 * flow (addresses and ports) to one socket, so a flow stays on one reader;
 * only fds[0] takes multicast (the others would each get a copy). A port
 * some other socket holds, even one with SO_REUSEPORT, is -EADDRINUSE.
 * 0 or -errno. */
int udp_rx_open(int family, uint16_t port, unsigned n, int *fds);
/* Raw sending socket: DF on (df false: the kernel may fragment, `df
 * unset`), no multicast loopback, receives nothing. IPv6 checksums are
 * filled by the kernel (IPV6_CHECKSUM); IPv4 UDP checksums are sent as zero
 * (RFC 7348 section 5). fd or -errno. */
int udp_tx_open(int family, bool df);
/* A UDP socket bound to source port `port` for UDP GSO (UDP_SEGMENT) bursts:
 * the raw socket cannot segment, and GSO needs a real UDP socket, so each
 * hashed source port in use gets one, opened on demand. It receives nothing
 * (drop-all filter), never fragments, and sends checksums (the kernel refuses
 * GSO without them). reuseport: workers of one daemon may each hold one for
 * the same port. fd or -errno (-EADDRINUSE when the port is taken). */
int udp_gso_open(int family, uint16_t port, bool reuseport);
/* Read a sending socket's error queue empty; the destinations that a
 * router said are too big go into dsts (at most max). Returns how many. */
int udp_tx_drain_errors(int fd, struct vx_addr *dsts, unsigned max);
/* Join / leave multicast group on ifindex (0: routing decides). */
int udp_group_join(int fd, const struct vx_addr *group, uint32_t ifindex);
int udp_group_leave(int fd, const struct vx_addr *group, uint32_t ifindex);

#endif
