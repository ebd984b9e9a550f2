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
 * virtio_net_hdr), non-blocking. An existing name is refused (-EEXIST)
 * rather than attached to, unless adopt (a restart taking over its own
 * device; a device that is not a free TAP is still -EEXIST).
 * Returns the fd or -errno; *ifindex and *created set. */
int tap_open(const char *name, bool adopt, int *ifindex, bool *created);
/* Close the fd; remove: the device goes too, else it stays for a restart. */
void tap_close(int fd, bool remove);
int tap_get_mtu_by_index(int ifindex, unsigned *mtu);
/* Through the TAP fd, so it keeps working after the device moved to another netns. */
int tap_set_mac(int fd, const uint8_t mac[MAC_LEN]);
int tap_get_mac(int fd, uint8_t mac[MAC_LEN]);
/* MTU of any device by name in the daemon's namespace. */
int netdev_get_mtu(const char *name, unsigned *mtu);

#endif
