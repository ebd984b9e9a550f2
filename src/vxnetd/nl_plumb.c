/* nl_plumb: the devices and addresses an endpoint of a cluster network is
 * made of: a bridge, a veth pair whose far end is created directly inside
 * the container's namespace (named, sized and addressed there in the same
 * request, so it never appears in ours), and interface addresses. */
#include "nl_priv.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <string.h>

static bool name_ok(const char *name)
{
	size_t n = strnlen(name, IFNAMSIZ);
	return n > 0 && n < IFNAMSIZ;
}

static struct nlmsghdr *create_msg(void *buf, size_t len, uint32_t seq, const char *name, uint32_t mtu)
{
	struct nlmsghdr *nlh =
	    nl_msg_start(buf, len, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq,
			 sizeof(struct ifinfomsg));
	if (!nlh)
		return NULL;
	struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_family = AF_UNSPEC;
	if (!mnl_attr_put_strz_check(nlh, len, IFLA_IFNAME, name))
		return NULL;
	if (mtu && !mnl_attr_put_u32_check(nlh, len, IFLA_MTU, mtu))
		return NULL;
	return nlh;
}

int nl_build_bridge(void *buf, size_t len, uint32_t seq, const char *name, uint32_t mtu)
{
	if (!name || !name_ok(name))
		return -EINVAL;
	struct nlmsghdr *nlh = create_msg(buf, len, seq, name, mtu);
	if (!nlh)
		return -ENOSPC;
	struct nlattr *info = mnl_attr_nest_start_check(nlh, len, IFLA_LINKINFO);
	if (!info || !mnl_attr_put_strz_check(nlh, len, IFLA_INFO_KIND, "bridge"))
		return -ENOSPC;
	mnl_attr_nest_end(nlh, info);
	return 0;
}

int nl_build_veth(void *buf, size_t len, uint32_t seq, const struct nl_veth *v)
{
	if (!v || !name_ok(v->name) || !name_ok(v->peer))
		return -EINVAL;
	struct nlmsghdr *nlh = create_msg(buf, len, seq, v->name, v->mtu);
	if (!nlh)
		return -ENOSPC;
	struct nlattr *info = mnl_attr_nest_start_check(nlh, len, IFLA_LINKINFO);
	if (!info || !mnl_attr_put_strz_check(nlh, len, IFLA_INFO_KIND, "veth"))
		return -ENOSPC;
	struct nlattr *data = mnl_attr_nest_start_check(nlh, len, IFLA_INFO_DATA);
	if (!data)
		return -ENOSPC;
	struct nlattr *peer = mnl_attr_nest_start_check(nlh, len, VETH_INFO_PEER);
	/* The peer's attributes follow a struct ifinfomsg of its own. */
	if (!peer || nlh->nlmsg_len + MNL_ALIGN(sizeof(struct ifinfomsg)) > len)
		return -ENOSPC;
	struct ifinfomsg *pifi = mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	pifi->ifi_family = AF_UNSPEC;
	bool ok = mnl_attr_put_strz_check(nlh, len, IFLA_IFNAME, v->peer);
	if (v->mtu)
		ok = ok && mnl_attr_put_u32_check(nlh, len, IFLA_MTU, v->mtu);
	if (v->peer_has_address)
		ok = ok && mnl_attr_put_check(nlh, len, IFLA_ADDRESS, MAC_LEN, v->peer_address);
	if (v->peer_netns_fd >= 0)
		ok = ok && mnl_attr_put_u32_check(nlh, len, IFLA_NET_NS_FD, (uint32_t)v->peer_netns_fd);
	if (!ok)
		return -ENOSPC;
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return 0;
}

int nl_build_addr(void *buf, size_t len, uint32_t seq, enum nl_op op, int ifindex, const struct vx_addr *a,
		  uint8_t plen)
{
	if (ifindex <= 0 || !a || (op != NL_OP_ADD && op != NL_OP_DEL))
		return -EINVAL;
	if ((a->family != AF_INET || plen > 32) && (a->family != AF_INET6 || plen > 128))
		return -EINVAL;
	uint16_t type = op == NL_OP_ADD ? RTM_NEWADDR : RTM_DELADDR;
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK | (op == NL_OP_ADD ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct nlmsghdr *nlh = nl_msg_start(buf, len, type, flags, seq, sizeof(struct ifaddrmsg));
	if (!nlh)
		return -ENOSPC;
	struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	/* The cluster's IPAM made the address unique: IPv6 duplicate address
	 * detection would only keep it tentative (unusable) for a second. */
	if (a->family == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	bool ok = nl_put_addr(nlh, len, IFA_ADDRESS, IFA_ADDRESS, a);
	if (a->family == AF_INET)
		ok = ok && nl_put_addr(nlh, len, IFA_LOCAL, IFA_LOCAL, a);
	return ok ? 0 : -ENOSPC;
}

int nl_build_bridge_fdb(void *buf, size_t len, uint32_t seq, enum nl_op op, int port, const uint8_t mac[MAC_LEN])
{
	if (port <= 0 || !mac || (op != NL_OP_REPLACE && op != NL_OP_DEL))
		return -EINVAL;
	uint16_t type = op == NL_OP_DEL ? RTM_DELNEIGH : RTM_NEWNEIGH;
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK | (op == NL_OP_DEL ? 0 : NLM_F_CREATE | NLM_F_REPLACE);
	struct nlmsghdr *nlh = nl_msg_start(buf, len, type, flags, seq, sizeof(struct ndmsg));
	if (!nlh)
		return -ENOSPC;
	struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	ndm->ndm_family = AF_BRIDGE;
	ndm->ndm_ifindex = port;
	/* NUD_NOARP is the bridge's "static"; NUD_PERMANENT would make the
	 * MAC the bridge's own (delivered up its stack, not to the port). */
	ndm->ndm_state = NUD_NOARP;
	ndm->ndm_flags = NTF_MASTER;
	return mnl_attr_put_check(nlh, len, NDA_LLADDR, MAC_LEN, mac) ? 0 : -ENOSPC;
}

static int new_index(struct nl *nl, const char *name, int *ifindex)
{
	if (!ifindex)
		return 0;
	struct nl_link l;
	int rc = nl_link_get(nl, 0, name, &l);
	*ifindex = rc == 0 ? l.ifindex : 0;
	return rc;
}

int nl_bridge_create(struct nl *nl, const char *name, uint32_t mtu, int *ifindex)
{
	int rc = nl_build_bridge(nl->req, sizeof(nl->req), nl_next_seq(nl), name, mtu);
	if (rc < 0)
		return nl_fail(nl, rc, rc == -ENOSPC ? "request too large" : "invalid bridge name");
	rc = nl_request(nl, NULL, NULL);
	if (rc < 0)
		return rc;
	return new_index(nl, name, ifindex);
}

int nl_veth_create(struct nl *nl, const struct nl_veth *v, int *ifindex)
{
	int rc = nl_build_veth(nl->req, sizeof(nl->req), nl_next_seq(nl), v);
	if (rc < 0)
		return nl_fail(nl, rc, rc == -ENOSPC ? "request too large" : "invalid veth parameters");
	rc = nl_request(nl, NULL, NULL);
	if (rc < 0)
		return rc;
	return new_index(nl, v->name, ifindex);
}

int nl_bridge_fdb(struct nl *nl, enum nl_op op, int port, const uint8_t mac[MAC_LEN])
{
	int rc = nl_build_bridge_fdb(nl->req, sizeof(nl->req), nl_next_seq(nl), op, port, mac);
	if (rc < 0)
		return nl_fail(nl, rc, "invalid bridge fdb request");
	return nl_request(nl, NULL, NULL);
}

int nl_addr(struct nl *nl, enum nl_op op, int ifindex, const struct vx_addr *a, uint8_t plen)
{
	int rc = nl_build_addr(nl->req, sizeof(nl->req), nl_next_seq(nl), op, ifindex, a, plen);
	if (rc < 0)
		return nl_fail(nl, rc, "invalid address request");
	return nl_request(nl, NULL, NULL);
}
