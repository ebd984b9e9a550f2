/* neigh: the IP -> MAC table of one link, used to answer ARP requests and
 * IPv6 neighbour solicitations locally (the kernel's `proxy` mode).
 * Each entry carries its origin (an enum fdb_origin value: user, store...),
 * so that an owner only removes what it owns. Not thread-safe. */
#ifndef VXNET_NEIGH_H
#define VXNET_NEIGH_H

#include <stdint.h>

#include "vxnet/addr.h"

struct neigh;

/* max_entries 0 = no limit. NULL and errno = ENOMEM on failure. */
struct neigh *neigh_new(unsigned max_entries);
void neigh_free(struct neigh *n);
unsigned neigh_count(const struct neigh *n);

/* -EEXIST if ip is present, -EINVAL for an AF_UNSPEC ip (or any family other
 * than AF_INET/AF_INET6), -ENOSPC, -ENOMEM. Only the address bytes of ip's
 * family form the key: 192.0.2.1 and c000:201:: are different entries. */
int neigh_add(struct neigh *n, const struct vx_addr *ip, const uint8_t mac[MAC_LEN], uint8_t origin);
/* Create or overwrite (the entry then belongs to origin). -EINVAL, -ENOSPC, -ENOMEM. */
int neigh_replace(struct neigh *n, const struct vx_addr *ip, const uint8_t mac[MAC_LEN], uint8_t origin);
/* -ENOENT if absent. */
int neigh_del(struct neigh *n, const struct vx_addr *ip);
/* 0 and mac filled, or -ENOENT. */
int neigh_lookup(const struct neigh *n, const struct vx_addr *ip, uint8_t mac[MAC_LEN]);
/* neigh_lookup, and the entry's origin (origin may be NULL). */
int neigh_get(const struct neigh *n, const struct vx_addr *ip, uint8_t mac[MAC_LEN], uint8_t *origin);

typedef void (*neigh_entry_cb)(const struct vx_addr *ip, const uint8_t mac[MAC_LEN], uint8_t origin, void *arg);
/* Visit every entry in insertion order; cb must not modify the table. */
void neigh_foreach(const struct neigh *n, neigh_entry_cb cb, void *arg);

#endif
