/* tap: create and configure the TAP device that stands for a VXLAN link of
 * the user datapath. The device is persistent: it outlives the daemon, with
 * its bridge port, addresses and up state, and a restarted daemon takes it
 * over; `link del` (and vxnetd --purge) remove it. */
#ifndef VXNETD_TAP_H
#define VXNETD_TAP_H

#include <stdbool.h>
#include <stdint.h>

#include "vxnet/addr.h"

/* Create persistent TAP `name` (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR with TSO
 * and checksum offload: every read and write starts with a struct
 * virtio_net_hdr) with up to `queues` queues (IFF_MULTI_QUEUE: the kernel
 * spreads the flows it sends over them, one flow on one queue), one
 * non-blocking fd each in fds[0..*nq). An existing name is refused
 * (-EEXIST) rather than attached to, unless adopt (a restart taking over its
 * own device; a device that is not a free TAP, or whose queues someone else
 * holds, is still -EEXIST). A device made single-queue (by an older vxnetd)
 * is adopted with its one queue. Returns 0 or -errno; *ifindex and *created
 * set. */
int tap_open(const char *name, bool adopt, unsigned queues, int *fds, unsigned *nq, int *ifindex, bool *created);
/* Make the kernel pick the queue of each frame it sends by a hash of the
 * frame's flow (IP addresses, and TCP/UDP ports unless a fragment; anything
 * else on queue 0), with an eBPF steering program (TUNSETSTEERINGEBPF), so
 * that a flow never moves to another queue: without it the kernel follows
 * the queue that last wrote the flow's replies, and a flow that moves may
 * overtake itself. 0 or -errno (no eBPF: the kernel's choice stays). */
int tap_steer_flows(int fd);
/* Close the queues' fds; remove: the device goes too, else it stays for a restart. */
void tap_close(const int *fds, unsigned n, bool remove);
int tap_get_mtu_by_index(int ifindex, unsigned *mtu);
/* Through the TAP fd, so it keeps working after the device moved to another netns. */
int tap_set_mac(int fd, const uint8_t mac[MAC_LEN]);
int tap_get_mac(int fd, uint8_t mac[MAC_LEN]);
/* MTU of any device by name in the daemon's namespace. */
int netdev_get_mtu(const char *name, unsigned *mtu);

#endif
