/* common: family and MTU rules shared by the datapaths (common.h). */
#include "common.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>

#include <net/if.h>
#include <string.h>

#include "../core.h"
#include "../log.h"
#include "../nl.h"
#include "tap.h"
#include "vxnet/proto.h"

int dp_link_family(const struct link_config *cfg)
{
	if (cfg->local.family)
		return cfg->local.family;
	if (cfg->remote.family)
		return cfg->remote.family;
	if (cfg->group.family)
		return cfg->group.family;
	return AF_INET;
}

bool dp_ipv6_enabled(void)
{
	FILE *f = fopen("/proc/sys/net/ipv6/conf/all/disable_ipv6", "r");
	if (!f)
		return false; /* no IPv6 in this kernel */
	int v = 1;
	if (fscanf(f, "%d", &v) != 1)
		v = 1;
	fclose(f);
	return v == 0;
}

/* MTU of the device that holds addr, 0 if none does. snap: the namespace's
 * addresses (getifaddrs), or NULL to read them now. */
static unsigned mtu_of_local(const struct vx_addr *a, const struct ifaddrs *snap)
{
	struct ifaddrs *ifa0 = NULL;
	unsigned mtu = 0;
	if (!snap) {
		if (getifaddrs(&ifa0) < 0)
			return 0;
		snap = ifa0;
	}
	for (const struct ifaddrs *ifa = snap; ifa; ifa = ifa->ifa_next) {
		struct vx_addr x;
		uint16_t port;
		if (!ifa->ifa_addr || addr_from_sockaddr(ifa->ifa_addr, &x, &port) < 0)
			continue;
		if (addr_equal(&x, a)) {
			netdev_get_mtu(ifa->ifa_name, &mtu);
			break;
		}
	}
	if (ifa0)
		freeifaddrs(ifa0);
	return mtu;
}

int dp_link_mtu(const struct link_config *cfg, int family, unsigned *mtu, unsigned *underlay_limit,
		uint32_t *dev_ifindex, const char **why)
{
	return dp_link_mtu_snap(cfg, family, NULL, mtu, underlay_limit, dev_ifindex, why);
}

int dp_link_mtu_snap(const struct link_config *cfg, int family, const struct ifaddrs *snap, unsigned *mtu,
		     unsigned *underlay_limit, uint32_t *dev_ifindex, const char **why)
{
	unsigned dev_mtu = 0;
	*dev_ifindex = 0;
	if (cfg->set & LINK_P_DEV) {
		*dev_ifindex = if_nametoindex(cfg->dev);
		if (!*dev_ifindex) {
			*why = "dev: no such device";
			return -ENODEV;
		}
		netdev_get_mtu(cfg->dev, &dev_mtu);
	} else if (cfg->local.family) {
		dev_mtu = mtu_of_local(&cfg->local, snap);
	}
	unsigned overhead = family == AF_INET6 ? VXLAN_OVERHEAD_V6 : VXLAN_OVERHEAD_V4;
	*underlay_limit = dev_mtu > overhead ? dev_mtu - overhead : 0;
	*mtu = cfg->mtu ? cfg->mtu : *underlay_limit ? *underlay_limit : 1500 - overhead;
	return 0;
}

int dp_apply_state(struct nl *nl, const struct core_link *l, int ifindex)
{
	int rc = 0;
	if (l->master[0]) {
		struct nl_link m;
		rc = nl_link_get(nl, 0, l->master, &m);
		if (rc == 0)
			rc = nl_link_set_master(nl, ifindex, m.ifindex);
		if (rc < 0)
			log_err("%s: cannot put it back on bridge %s: %s", l->cfg.name, l->master, nl_errmsg(nl));
	}
	if (l->up) {
		int r = nl_link_set_up(nl, ifindex, true);
		if (r < 0)
			log_err("%s: cannot set it up again: %s", l->cfg.name, nl_errmsg(nl));
		if (!rc)
			rc = r;
	}
	return rc;
}

void dp_observe_state(struct nl *nl, struct dp *dp, struct core_link *l, const struct nl_link *have)
{
	char master[IFNAMSIZ] = "";
	if (have->master) {
		struct nl_link m;
		if (nl_link_get(nl, have->master, NULL, &m) == 0)
			snprintf(master, sizeof(master), "%s", m.name);
	}
	dp->up->link_state(dp->core, l, (have->flags & IFF_UP) != 0, master);
}
