/* tap: create and configure the TAP device that stands for a VXLAN link.
 * The device is not persistent: it disappears when the daemon's fd closes,
 * so even a crashed daemon leaves no stale devices behind. */
#ifndef VXNETD_TAP_H
#define VXNETD_TAP_H

#include <stdint.h>

#include "vxnet/addr.h"

/* Create TAP `name` (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR with TSO and checksum
 * offload: every read and write starts with a struct virtio_net_hdr),
 * non-blocking. Refuses a name that
 * already exists (-EEXIST) rather than attaching to someone else's device.
 * Returns the fd or -errno; *ifindex set. */
int tap_create(const char *name, int *ifindex);
int tap_set_mtu(const char *name, unsigned mtu);
int tap_get_mtu_by_index(int ifindex, unsigned *mtu);
/* Through the TAP fd, so it keeps working after the device moved to another netns. */
int tap_set_mac(int fd, const uint8_t mac[MAC_LEN]);
int tap_get_mac(int fd, uint8_t mac[MAC_LEN]);
/* MTU of any device by name in the daemon's namespace. */
int netdev_get_mtu(const char *name, unsigned *mtu);

#endif
