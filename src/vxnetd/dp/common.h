/* common: what both real datapaths decide the same way about a link: its
 * underlay family and its MTU (the `dev` device's MTU, or that of the device
 * holding `local`, minus 50 bytes of IPv4 or 70 of IPv6 VXLAN overhead;
 * 1450/1430 when neither is known), so `link add` gives the same device on
 * either datapath. */
#ifndef VXNETD_DP_COMMON_H
#define VXNETD_DP_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "vxnet/ctl.h"

/* The underlay family: local's, else remote's, else group's, else IPv4. */
int dp_link_family(const struct link_config *cfg);
/* An IPv6 socket opens even where IPv6 is disabled by sysctl, but nothing
 * could be sent or received: links refuse IPv6 up front instead. */
bool dp_ipv6_enabled(void);
/* *mtu: the link's MTU (cfg->mtu when given); *underlay_limit: the largest
 * inner frame payload the underlay carries, 0 when unknown. *dev_ifindex:
 * the `dev` device, 0 without one. -ENODEV (and *why) when `dev` does not
 * exist. */
int dp_link_mtu(const struct link_config *cfg, int family, unsigned *mtu, unsigned *underlay_limit,
		uint32_t *dev_ifindex, const char **why);
/* The same over snap, the namespace's addresses as getifaddrs(3) gave them
 * (NULL: read them now): a periodic check of many links reads them once,
 * not once per link (each read is a netlink dump of every address). */
struct ifaddrs;
int dp_link_mtu_snap(const struct link_config *cfg, int family, const struct ifaddrs *snap, unsigned *mtu,
		     unsigned *underlay_limit, uint32_t *dev_ifindex, const char **why);

struct core_link;
struct dp;
struct nl;
struct nl_link;

/* A device made anew gets the up state and bridge master the link had
 * (l->up, l->master). 0 or -errno; a missing master is logged, not fatal. */
int dp_apply_state(struct nl *nl, const struct core_link *l, int ifindex);
/* Report a device's up state and master (as seen in have) to the core. */
void dp_observe_state(struct nl *nl, struct dp *dp, struct core_link *l, const struct nl_link *have);

#endif
