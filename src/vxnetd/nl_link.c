/* nl_link: devices. RTM_NEWLINK of kind vxlan (create and live change) and
 * without link info (up, mtu, address, master, netns, name) for any device,
 * RTM_DELLINK, RTM_GETLINK of one device or all, and the parser that turns
 * the kernel's answer back into struct nl_link / struct nl_vxlan. */
#include "nl_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <string.h>

/* Added in 6.7; Debian 12's uapi headers stop at IFLA_VXLAN_VNIFILTER (30). */
#define NL_IFLA_VXLAN_LOCALBYPASS 31
/* Room for the attributes of newer kernels, which are ignored. */
#define NL_IFLA_VXLAN_TB 48
/* IFLA_STATS64 grew over time; the counters used here are its first eight. */
#define NL_STATS64_MIN (8 * sizeof(uint64_t))

static const char *const vx_attr_names[NL_VX_COUNT] = {
    [NL_VX_NAME] = "name",
    [NL_VX_MTU] = "mtu",
    [NL_VX_ADDRESS] = "address",
    [NL_VX_NETNS] = "netns",
    [NL_VX_ID] = "id",
    [NL_VX_REMOTE] = "remote",
    [NL_VX_LOCAL] = "local",
    [NL_VX_LINK] = "dev",
    [NL_VX_TTL] = "ttl",
    [NL_VX_TTL_INHERIT] = "ttl inherit",
    [NL_VX_TOS] = "tos",
    [NL_VX_LEARNING] = "learning",
    [NL_VX_AGEING] = "ageing",
    [NL_VX_LIMIT] = "maxaddress",
    [NL_VX_PORT_RANGE] = "srcport",
    [NL_VX_PROXY] = "proxy",
    [NL_VX_L2MISS] = "l2miss",
    [NL_VX_L3MISS] = "l3miss",
    [NL_VX_PORT] = "dstport",
    [NL_VX_UDP_CSUM] = "udpcsum",
    [NL_VX_ZCSUM6_TX] = "udp6zerocsumtx",
    [NL_VX_ZCSUM6_RX] = "udp6zerocsumrx",
    [NL_VX_DF] = "df",
    [NL_VX_LOCALBYPASS] = "localbypass",
};

const char *nl_vx_attr_name(enum nl_vx_attr a)
{
	return (unsigned)a < NL_VX_COUNT ? vx_attr_names[a] : "?";
}

/* The kernel reports no GROUP/LOCAL for the wildcard, so an absent one
 * equals a wanted wildcard. */
static bool same_addr(const struct nl_vxlan *h, enum nl_vx_attr a, const struct vx_addr *wa, const struct vx_addr *ha)
{
	if (!(h->set & NL_VX_BIT(a)))
		return addr_is_unspec(wa);
	return addr_equal(wa, ha);
}

static bool same_field(const struct nl_vxlan *w, const struct nl_vxlan *h, enum nl_vx_attr a)
{
	switch (a) {
	case NL_VX_NAME:
		return strncmp(w->name, h->name, IFNAMSIZ) == 0;
	case NL_VX_MTU:
		return w->mtu == h->mtu;
	case NL_VX_ADDRESS:
		return memcmp(w->address, h->address, MAC_LEN) == 0;
	case NL_VX_NETNS:
		return false;
	case NL_VX_ID:
		return w->vni == h->vni;
	case NL_VX_REMOTE:
		return same_addr(h, a, &w->remote, &h->remote);
	case NL_VX_LOCAL:
		return same_addr(h, a, &w->local, &h->local);
	case NL_VX_LINK: /* not reported when 0 */
		return (h->set & NL_VX_BIT(a)) ? w->link == h->link : w->link == 0;
	case NL_VX_TTL:
		return w->ttl == h->ttl;
	case NL_VX_TTL_INHERIT:
		return w->ttl_inherit == h->ttl_inherit;
	case NL_VX_TOS:
		return w->tos == h->tos;
	case NL_VX_LEARNING:
		return w->learning == h->learning;
	case NL_VX_AGEING:
		return w->ageing == h->ageing;
	case NL_VX_LIMIT:
		return w->limit == h->limit;
	case NL_VX_PORT_RANGE:
		return w->port_min == h->port_min && w->port_max == h->port_max;
	case NL_VX_PROXY:
		return w->proxy == h->proxy;
	case NL_VX_L2MISS:
		return w->l2miss == h->l2miss;
	case NL_VX_L3MISS:
		return w->l3miss == h->l3miss;
	case NL_VX_PORT:
		return w->port == h->port;
	case NL_VX_UDP_CSUM:
		return w->udp_csum == h->udp_csum;
	case NL_VX_ZCSUM6_TX:
		return w->zcsum6_tx == h->zcsum6_tx;
	case NL_VX_ZCSUM6_RX:
		return w->zcsum6_rx == h->zcsum6_rx;
	case NL_VX_DF:
		return w->df == h->df;
	case NL_VX_LOCALBYPASS:
		return w->localbypass == h->localbypass;
	case NL_VX_COUNT:
		break;
	}
	return false;
}

uint32_t nl_vxlan_diff(const struct nl_vxlan *want, const struct nl_vxlan *have)
{
	uint32_t diff = 0;
	for (unsigned a = 0; a < NL_VX_COUNT; a++) {
		uint32_t bit = NL_VX_BIT(a);
		if (!(want->set & bit))
			continue;
		bool in_have = have->set & bit;
		bool absent_ok = a == NL_VX_REMOTE || a == NL_VX_LOCAL || a == NL_VX_LINK;
		if ((!in_have && !absent_ok) || !same_field(want, have, (enum nl_vx_attr)a))
			diff |= bit;
	}
	return diff;
}

/* --- builders ------------------------------------------------------------ */

static bool name_ok(const char *name)
{
	size_t n = strnlen(name, IFNAMSIZ);
	return n > 0 && n < IFNAMSIZ;
}

static struct nlmsghdr *link_msg(void *buf, size_t len, uint16_t type, uint16_t flags, uint32_t seq, int ifindex,
				 struct ifinfomsg **ifi)
{
	struct nlmsghdr *nlh = nl_msg_start(buf, len, type, flags, seq, sizeof(struct ifinfomsg));
	if (!nlh)
		return NULL;
	*ifi = mnl_nlmsg_get_payload(nlh);
	(*ifi)->ifi_family = AF_UNSPEC;
	(*ifi)->ifi_index = ifindex;
	return nlh;
}

/* The IFLA_VXLAN_* attributes of p into the open IFLA_INFO_DATA nest. */
static int put_vxlan_data(struct nlmsghdr *nlh, size_t len, const struct nl_vxlan *p)
{
	uint32_t s = p->set;
	bool ok = true;
#define HAS(a) (s & NL_VX_BIT(a))
	if (HAS(NL_VX_ID))
		ok = ok && mnl_attr_put_u32_check(nlh, len, IFLA_VXLAN_ID, p->vni);
	if (HAS(NL_VX_REMOTE)) {
		if (p->remote.family != AF_INET && p->remote.family != AF_INET6)
			return -EINVAL;
		ok = ok && nl_put_addr(nlh, len, IFLA_VXLAN_GROUP, IFLA_VXLAN_GROUP6, &p->remote);
	}
	if (HAS(NL_VX_LOCAL)) {
		if (p->local.family != AF_INET && p->local.family != AF_INET6)
			return -EINVAL;
		ok = ok && nl_put_addr(nlh, len, IFLA_VXLAN_LOCAL, IFLA_VXLAN_LOCAL6, &p->local);
	}
	if (HAS(NL_VX_LINK))
		ok = ok && mnl_attr_put_u32_check(nlh, len, IFLA_VXLAN_LINK, p->link);
	if (HAS(NL_VX_TTL))
		ok = ok && mnl_attr_put_u8_check(nlh, len, IFLA_VXLAN_TTL, p->ttl);
	/* The kernel's policy makes TTL_INHERIT a flag: present means on, and
	 * there is no way to send "off" (which is the default). */
	if (HAS(NL_VX_TTL_INHERIT) && p->ttl_inherit)
		ok = ok && mnl_attr_put_check(nlh, len, IFLA_VXLAN_TTL_INHERIT, 0, NULL);
	if (HAS(NL_VX_TOS))
		ok = ok && mnl_attr_put_u8_check(nlh, len, IFLA_VXLAN_TOS, p->tos);
	if (HAS(NL_VX_LEARNING))
		ok = ok && mnl_attr_put_u8_check(nlh, len, IFLA_VXLAN_LEARNING, p->learning);
	if (HAS(NL_VX_AGEING))
		ok = ok && mnl_attr_put_u32_check(nlh, len, IFLA_VXLAN_AGEING, p->ageing);
	if (HAS(NL_VX_LIMIT))
		ok = ok && mnl_attr_put_u32_check(nlh, len, IFLA_VXLAN_LIMIT, p->limit);
	if (HAS(NL_VX_PORT_RANGE)) {
		struct ifla_vxlan_port_range r = {htons(p->port_min), htons(p->port_max)};
		ok = ok && mnl_attr_put_check(nlh, len, IFLA_VXLAN_PORT_RANGE, sizeof(r), &r);
	}
	if (HAS(NL_VX_PROXY))
		ok = ok && mnl_attr_put_u8_check(nlh, len, IFLA_VXLAN_PROXY, p->proxy);
	if (HAS(NL_VX_L2MISS))
		ok = ok && mnl_attr_put_u8_check(nlh, len, IFLA_VXLAN_L2MISS, p->l2miss);
	if (HAS(NL_VX_L3MISS))
		ok = ok && mnl_attr_put_u8_check(nlh, len, IFLA_VXLAN_L3MISS, p->l3miss);
	if (HAS(NL_VX_PORT))
		ok = ok && mnl_attr_put_u16_check(nlh, len, IFLA_VXLAN_PORT, htons(p->port));
	if (HAS(NL_VX_UDP_CSUM))
		ok = ok && mnl_attr_put_u8_check(nlh, len, IFLA_VXLAN_UDP_CSUM, p->udp_csum);
	if (HAS(NL_VX_ZCSUM6_TX))
		ok = ok && mnl_attr_put_u8_check(nlh, len, IFLA_VXLAN_UDP_ZERO_CSUM6_TX, p->zcsum6_tx);
	if (HAS(NL_VX_ZCSUM6_RX))
		ok = ok && mnl_attr_put_u8_check(nlh, len, IFLA_VXLAN_UDP_ZERO_CSUM6_RX, p->zcsum6_rx);
	if (HAS(NL_VX_DF))
		ok = ok && mnl_attr_put_u8_check(nlh, len, IFLA_VXLAN_DF, p->df);
	if (HAS(NL_VX_LOCALBYPASS))
		ok = ok && mnl_attr_put_u8_check(nlh, len, NL_IFLA_VXLAN_LOCALBYPASS, p->localbypass);
#undef HAS
	return ok ? 0 : -ENOSPC;
}

int nl_build_vxlan(void *buf, size_t len, uint32_t seq, bool create, int ifindex, const struct nl_vxlan *p)
{
	if (!p || (p->set & ~NL_VX_ALL) || ifindex < 0)
		return -EINVAL;
	uint32_t s = p->set;
	if ((s & NL_VX_BIT(NL_VX_NAME)) && !name_ok(p->name))
		return -EINVAL;
	if ((s & NL_VX_BIT(NL_VX_NETNS)) && p->netns_fd < 0)
		return -EINVAL;
	/* A change names its device by index, or by IFLA_IFNAME when there is none. */
	if (!create && ifindex == 0 && !(s & NL_VX_BIT(NL_VX_NAME)))
		return -EINVAL;
	uint16_t flags = NLM_F_REQUEST | NLM_F_ACK | (create ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = link_msg(buf, len, RTM_NEWLINK, flags, seq, ifindex, &ifi);
	if (!nlh)
		return -ENOSPC;
	bool ok = true;
	if (s & NL_VX_BIT(NL_VX_NAME))
		ok = ok && mnl_attr_put_strz_check(nlh, len, IFLA_IFNAME, p->name);
	if (s & NL_VX_BIT(NL_VX_MTU))
		ok = ok && mnl_attr_put_u32_check(nlh, len, IFLA_MTU, p->mtu);
	if (s & NL_VX_BIT(NL_VX_ADDRESS))
		ok = ok && mnl_attr_put_check(nlh, len, IFLA_ADDRESS, MAC_LEN, p->address);
	if (s & NL_VX_BIT(NL_VX_NETNS))
		ok = ok && mnl_attr_put_u32_check(nlh, len, IFLA_NET_NS_FD, (uint32_t)p->netns_fd);
	if (!ok)
		return -ENOSPC;
	struct nlattr *info = mnl_attr_nest_start_check(nlh, len, IFLA_LINKINFO);
	if (!info || !mnl_attr_put_strz_check(nlh, len, IFLA_INFO_KIND, "vxlan"))
		return -ENOSPC;
	struct nlattr *data = mnl_attr_nest_start_check(nlh, len, IFLA_INFO_DATA);
	if (!data)
		return -ENOSPC;
	int rc = put_vxlan_data(nlh, len, p);
	if (rc < 0)
		return rc;
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	return 0;
}

int nl_build_link_set(void *buf, size_t len, uint32_t seq, int ifindex, const struct nl_link_set *s)
{
	if (!s || ifindex <= 0)
		return -EINVAL;
	if ((s->set & NL_SET_NAME) && !name_ok(s->name))
		return -EINVAL;
	if (((s->set & NL_SET_NETNS) && s->netns_fd < 0) || ((s->set & NL_SET_MASTER) && s->master < 0))
		return -EINVAL;
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = link_msg(buf, len, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, seq, ifindex, &ifi);
	if (!nlh)
		return -ENOSPC;
	if (s->set & NL_SET_UP) {
		ifi->ifi_change = IFF_UP;
		ifi->ifi_flags = s->up ? IFF_UP : 0;
	}
	bool ok = true;
	if (s->set & NL_SET_NAME)
		ok = ok && mnl_attr_put_strz_check(nlh, len, IFLA_IFNAME, s->name);
	if (s->set & NL_SET_MTU)
		ok = ok && mnl_attr_put_u32_check(nlh, len, IFLA_MTU, s->mtu);
	if (s->set & NL_SET_ADDRESS)
		ok = ok && mnl_attr_put_check(nlh, len, IFLA_ADDRESS, MAC_LEN, s->address);
	if (s->set & NL_SET_MASTER)
		ok = ok && mnl_attr_put_u32_check(nlh, len, IFLA_MASTER, (uint32_t)s->master);
	if (s->set & NL_SET_NETNS)
		ok = ok && mnl_attr_put_u32_check(nlh, len, IFLA_NET_NS_FD, (uint32_t)s->netns_fd);
	if (s->set & NL_SET_GROUP)
		ok = ok && mnl_attr_put_u32_check(nlh, len, IFLA_GROUP, s->group);
	return ok ? 0 : -ENOSPC;
}

int nl_build_link_del(void *buf, size_t len, uint32_t seq, int ifindex)
{
	if (ifindex <= 0)
		return -EINVAL;
	struct ifinfomsg *ifi;
	return link_msg(buf, len, RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, seq, ifindex, &ifi) ? 0 : -ENOSPC;
}

int nl_build_link_del_group(void *buf, size_t len, uint32_t seq, uint32_t group)
{
	if (!group)
		return -EINVAL; /* group 0 holds every device nobody grouped */
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = link_msg(buf, len, RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, seq, 0, &ifi);
	if (!nlh)
		return -ENOSPC;
	return mnl_attr_put_u32_check(nlh, len, IFLA_GROUP, group) ? 0 : -ENOSPC;
}

int nl_build_link_get(void *buf, size_t len, uint32_t seq, int ifindex, const char *name)
{
	if (ifindex < 0 || (ifindex == 0 && (!name || !name_ok(name))))
		return -EINVAL;
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = link_msg(buf, len, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, seq, ifindex, &ifi);
	if (!nlh)
		return -ENOSPC;
	if (ifindex == 0 && !mnl_attr_put_strz_check(nlh, len, IFLA_IFNAME, name))
		return -ENOSPC;
	return 0;
}

int nl_build_link_dump(void *buf, size_t len, uint32_t seq)
{
	struct ifinfomsg *ifi;
	return link_msg(buf, len, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, seq, 0, &ifi) ? 0 : -ENOSPC;
}

/* --- parser -------------------------------------------------------------- */

/* A boolean option the kernel sends as a u8 (some, like TTL_INHERIT, are
 * flags on the way in: a zero-length one means "on"). */
static int get_bool(const struct nlattr *a, bool *out)
{
	if (nl_ok_u8(a)) {
		*out = mnl_attr_get_u8(a) != 0;
		return 0;
	}
	if (a && mnl_attr_get_payload_len(a) == 0) {
		*out = true;
		return 0;
	}
	return -EBADMSG;
}

static int parse_vxlan_data(const struct nlattr *data, struct nl_vxlan *v)
{
	const struct nlattr *tb[NL_IFLA_VXLAN_TB + 1];
	if (nl_attr_table_nested(data, tb, NL_IFLA_VXLAN_TB) < 0)
		return -EBADMSG;
#define SET(a) (v->set |= NL_VX_BIT(a))
#define U8(attr, field, bit)                                                                                           \
	do {                                                                                                           \
		if (tb[attr]) {                                                                                        \
			if (!nl_ok_u8(tb[attr]))                                                                       \
				return -EBADMSG;                                                                       \
			v->field = mnl_attr_get_u8(tb[attr]);                                                          \
			SET(bit);                                                                                      \
		}                                                                                                      \
	} while (0)
#define U32(attr, field, bit)                                                                                          \
	do {                                                                                                           \
		if (tb[attr]) {                                                                                        \
			if (!nl_ok_u32(tb[attr]))                                                                      \
				return -EBADMSG;                                                                       \
			v->field = mnl_attr_get_u32(tb[attr]);                                                         \
			SET(bit);                                                                                      \
		}                                                                                                      \
	} while (0)
#define BOOL(attr, field, bit)                                                                                         \
	do {                                                                                                           \
		if (tb[attr]) {                                                                                        \
			if (get_bool(tb[attr], &v->field) < 0)                                                         \
				return -EBADMSG;                                                                       \
			SET(bit);                                                                                      \
		}                                                                                                      \
	} while (0)
	U32(IFLA_VXLAN_ID, vni, NL_VX_ID);
	/* GROUP and GROUP6 are one option; the kernel sends at most one. */
	const struct nlattr *grp = tb[IFLA_VXLAN_GROUP] ? tb[IFLA_VXLAN_GROUP] : tb[IFLA_VXLAN_GROUP6];
	if (grp) {
		size_t want = grp == tb[IFLA_VXLAN_GROUP] ? 4 : 16;
		if (!nl_ok_len(grp, want) || nl_get_addr(grp, &v->remote) < 0)
			return -EBADMSG;
		SET(NL_VX_REMOTE);
	}
	const struct nlattr *loc = tb[IFLA_VXLAN_LOCAL] ? tb[IFLA_VXLAN_LOCAL] : tb[IFLA_VXLAN_LOCAL6];
	if (loc) {
		size_t want = loc == tb[IFLA_VXLAN_LOCAL] ? 4 : 16;
		if (!nl_ok_len(loc, want) || nl_get_addr(loc, &v->local) < 0)
			return -EBADMSG;
		SET(NL_VX_LOCAL);
	}
	U32(IFLA_VXLAN_LINK, link, NL_VX_LINK);
	U8(IFLA_VXLAN_TTL, ttl, NL_VX_TTL);
	BOOL(IFLA_VXLAN_TTL_INHERIT, ttl_inherit, NL_VX_TTL_INHERIT);
	U8(IFLA_VXLAN_TOS, tos, NL_VX_TOS);
	BOOL(IFLA_VXLAN_LEARNING, learning, NL_VX_LEARNING);
	U32(IFLA_VXLAN_AGEING, ageing, NL_VX_AGEING);
	U32(IFLA_VXLAN_LIMIT, limit, NL_VX_LIMIT);
	if (tb[IFLA_VXLAN_PORT_RANGE]) {
		struct ifla_vxlan_port_range r;
		if (!nl_ok_len(tb[IFLA_VXLAN_PORT_RANGE], sizeof(r)))
			return -EBADMSG;
		memcpy(&r, mnl_attr_get_payload(tb[IFLA_VXLAN_PORT_RANGE]), sizeof(r));
		v->port_min = ntohs(r.low);
		v->port_max = ntohs(r.high);
		SET(NL_VX_PORT_RANGE);
	}
	BOOL(IFLA_VXLAN_PROXY, proxy, NL_VX_PROXY);
	BOOL(IFLA_VXLAN_L2MISS, l2miss, NL_VX_L2MISS);
	BOOL(IFLA_VXLAN_L3MISS, l3miss, NL_VX_L3MISS);
	if (tb[IFLA_VXLAN_PORT]) {
		if (!nl_ok_u16(tb[IFLA_VXLAN_PORT]))
			return -EBADMSG;
		v->port = ntohs(mnl_attr_get_u16(tb[IFLA_VXLAN_PORT]));
		SET(NL_VX_PORT);
	}
	BOOL(IFLA_VXLAN_UDP_CSUM, udp_csum, NL_VX_UDP_CSUM);
	BOOL(IFLA_VXLAN_UDP_ZERO_CSUM6_TX, zcsum6_tx, NL_VX_ZCSUM6_TX);
	BOOL(IFLA_VXLAN_UDP_ZERO_CSUM6_RX, zcsum6_rx, NL_VX_ZCSUM6_RX);
	U8(IFLA_VXLAN_DF, df, NL_VX_DF);
	BOOL(NL_IFLA_VXLAN_LOCALBYPASS, localbypass, NL_VX_LOCALBYPASS);
#undef BOOL
#undef U32
#undef U8
#undef SET
	return 0;
}

int nl_parse_link(const struct nlmsghdr *nlh, struct nl_link *out)
{
	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return -ENOENT;
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN || mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifinfomsg))
		return -EBADMSG;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	/* Bridge port state (AF_BRIDGE) shares the message type: not a device. */
	if (ifi->ifi_family != AF_UNSPEC)
		return -ENOENT;
	if (ifi->ifi_index <= 0)
		return -EBADMSG;
	out->ifindex = ifi->ifi_index;
	out->flags = ifi->ifi_flags;

	const struct nlattr *tb[IFLA_MAX + 1];
	if (nl_attr_table(nlh, sizeof(*ifi), tb, IFLA_MAX) < 0)
		return -EBADMSG;
	if (tb[IFLA_IFNAME] && nl_get_str(tb[IFLA_IFNAME], out->name, sizeof(out->name)) < 0)
		return -EBADMSG;
	if (tb[IFLA_MTU]) {
		if (!nl_ok_u32(tb[IFLA_MTU]))
			return -EBADMSG;
		out->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
	}
	if (tb[IFLA_OPERSTATE]) {
		if (!nl_ok_u8(tb[IFLA_OPERSTATE]))
			return -EBADMSG;
		out->operstate = mnl_attr_get_u8(tb[IFLA_OPERSTATE]);
	}
	if (tb[IFLA_MASTER]) {
		if (!nl_ok_u32(tb[IFLA_MASTER]))
			return -EBADMSG;
		out->master = (int)mnl_attr_get_u32(tb[IFLA_MASTER]);
	}
	if (tb[IFLA_GROUP]) {
		if (!nl_ok_u32(tb[IFLA_GROUP]))
			return -EBADMSG;
		out->group = mnl_attr_get_u32(tb[IFLA_GROUP]);
	}
	if (tb[IFLA_LINK]) {
		if (!nl_ok_u32(tb[IFLA_LINK]))
			return -EBADMSG;
		out->link = (int)mnl_attr_get_u32(tb[IFLA_LINK]);
	}
	/* Other link layers (tunnels without Ethernet) have other lengths:
	 * only an Ethernet address is kept. */
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == MAC_LEN) {
		memcpy(out->address, mnl_attr_get_payload(tb[IFLA_ADDRESS]), MAC_LEN);
		out->has_address = true;
	}
	if (tb[IFLA_STATS64]) {
		if (mnl_attr_get_payload_len(tb[IFLA_STATS64]) < NL_STATS64_MIN)
			return -EBADMSG;
		uint64_t c[8];
		memcpy(c, mnl_attr_get_payload(tb[IFLA_STATS64]), sizeof(c));
		out->stats = (struct nl_link_stats){c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]};
		out->has_stats = true;
	}
	if (tb[IFLA_LINK_NETNSID]) {
		if (!nl_ok_u32(tb[IFLA_LINK_NETNSID]))
			return -EBADMSG;
		out->link_netnsid = (int32_t)mnl_attr_get_u32(tb[IFLA_LINK_NETNSID]);
		out->has_link_netnsid = true;
	}
	if (tb[IFLA_LINKINFO]) {
		const struct nlattr *info[IFLA_INFO_MAX + 1];
		if (nl_attr_table_nested(tb[IFLA_LINKINFO], info, IFLA_INFO_MAX) < 0)
			return -EBADMSG;
		if (info[IFLA_INFO_KIND] && nl_get_str(info[IFLA_INFO_KIND], out->kind, sizeof(out->kind)) < 0)
			return -EBADMSG;
		if (strcmp(out->kind, "vxlan") == 0 && info[IFLA_INFO_DATA]) {
			if (parse_vxlan_data(info[IFLA_INFO_DATA], &out->vxlan) < 0)
				return -EBADMSG;
		}
	}
	if (strcmp(out->kind, "vxlan") == 0) {
		struct nl_vxlan *v = &out->vxlan;
		memcpy(v->name, out->name, sizeof(v->name));
		v->set |= out->name[0] ? NL_VX_BIT(NL_VX_NAME) : 0;
		v->mtu = out->mtu;
		v->set |= tb[IFLA_MTU] ? NL_VX_BIT(NL_VX_MTU) : 0;
		memcpy(v->address, out->address, MAC_LEN);
		v->set |= out->has_address ? NL_VX_BIT(NL_VX_ADDRESS) : 0;
	}
	return 0;
}

/* --- requests ------------------------------------------------------------ */

struct echo {
	int ifindex;
};

static int on_echo(const struct nlmsghdr *nlh, void *arg)
{
	struct echo *e = arg;
	struct nl_link l;
	if (e->ifindex == 0 && nlh->nlmsg_type == RTM_NEWLINK && nl_parse_link(nlh, &l) == 0)
		e->ifindex = l.ifindex;
	return 0;
}

int nl_vxlan_create(struct nl *nl, const struct nl_vxlan *p, int *ifindex)
{
	if (ifindex)
		*ifindex = 0;
	int rc = nl_build_vxlan(nl->req, sizeof(nl->req), nl_next_seq(nl), true, 0, p);
	if (rc < 0)
		return nl_fail(nl, rc, rc == -ENOSPC ? "request too large" : "invalid vxlan parameters");
	bool elsewhere = p->set & NL_VX_BIT(NL_VX_NETNS);
	struct echo e = {0};
	/* The kernel echoes the new device (NLM_F_ECHO, 6.3 and later) to a
	 * socket of the namespace it lands in: ask only when that is ours. */
	if (ifindex && !elsewhere)
		((struct nlmsghdr *)nl->req)->nlmsg_flags |= NLM_F_ECHO;
	rc = nl_request(nl, on_echo, &e);
	if (rc < 0 || !ifindex || elsewhere)
		return rc;
	if (e.ifindex == 0 && (p->set & NL_VX_BIT(NL_VX_NAME))) {
		struct nl_link l;
		if (nl_link_get(nl, 0, p->name, &l) == 0)
			e.ifindex = l.ifindex;
	}
	*ifindex = e.ifindex;
	return 0;
}

int nl_vxlan_change(struct nl *nl, int ifindex, const struct nl_vxlan *p)
{
	int rc = nl_build_vxlan(nl->req, sizeof(nl->req), nl_next_seq(nl), false, ifindex, p);
	if (rc < 0)
		return nl_fail(nl, rc, rc == -ENOSPC ? "request too large" : "invalid vxlan parameters");
	return nl_request(nl, NULL, NULL);
}

int nl_link_del(struct nl *nl, int ifindex)
{
	int rc = nl_build_link_del(nl->req, sizeof(nl->req), nl_next_seq(nl), ifindex);
	if (rc < 0)
		return nl_fail(nl, rc, "invalid ifindex");
	return nl_request(nl, NULL, NULL);
}

int nl_link_del_group(struct nl *nl, uint32_t group)
{
	int rc = nl_build_link_del_group(nl->req, sizeof(nl->req), nl_next_seq(nl), group);
	if (rc < 0)
		return nl_fail(nl, rc, "invalid group");
	return nl_request(nl, NULL, NULL);
}

struct get_one {
	struct nl_link *out;
	bool found;
};

static int on_get_one(const struct nlmsghdr *nlh, void *arg)
{
	struct get_one *g = arg;
	if (g->found)
		return 0;
	int rc = nl_parse_link(nlh, g->out);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	g->found = true;
	return 0;
}

int nl_link_get(struct nl *nl, int ifindex, const char *name, struct nl_link *out)
{
	int rc = nl_build_link_get(nl->req, sizeof(nl->req), nl_next_seq(nl), ifindex, name);
	if (rc < 0)
		return nl_fail(nl, rc, "invalid ifindex or interface name");
	struct get_one g = {out, false};
	rc = nl_request(nl, on_get_one, &g);
	if (rc < 0)
		return rc;
	return g.found ? 0 : nl_fail(nl, -ENODEV, "no such device");
}

struct link_walk {
	nl_link_cb cb;
	void *arg;
	struct nl_link l;
};

static int on_link(const struct nlmsghdr *nlh, void *arg)
{
	struct link_walk *w = arg;
	int rc = nl_parse_link(nlh, &w->l);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	return w->cb(&w->l, w->arg);
}

int nl_link_dump(struct nl *nl, nl_link_cb cb, void *arg)
{
	int rc = nl_build_link_dump(nl->req, sizeof(nl->req), nl_next_seq(nl));
	if (rc < 0 || !cb)
		return nl_fail(nl, rc < 0 ? rc : -EINVAL, "invalid dump request");
	struct link_walk w = {.cb = cb, .arg = arg};
	return nl_request(nl, on_link, &w);
}

int nl_link_set(struct nl *nl, int ifindex, const struct nl_link_set *s)
{
	int rc = nl_build_link_set(nl->req, sizeof(nl->req), nl_next_seq(nl), ifindex, s);
	if (rc < 0)
		return nl_fail(nl, rc, rc == -ENOSPC ? "request too large" : "invalid link settings");
	return nl_request(nl, NULL, NULL);
}

int nl_link_set_up(struct nl *nl, int ifindex, bool up)
{
	struct nl_link_set s = {.set = NL_SET_UP, .up = up};
	return nl_link_set(nl, ifindex, &s);
}

int nl_link_set_mtu(struct nl *nl, int ifindex, uint32_t mtu)
{
	struct nl_link_set s = {.set = NL_SET_MTU, .mtu = mtu};
	return nl_link_set(nl, ifindex, &s);
}

int nl_link_set_address(struct nl *nl, int ifindex, const uint8_t mac[MAC_LEN])
{
	struct nl_link_set s = {.set = NL_SET_ADDRESS};
	memcpy(s.address, mac, MAC_LEN);
	return nl_link_set(nl, ifindex, &s);
}

int nl_link_set_master(struct nl *nl, int ifindex, int master)
{
	struct nl_link_set s = {.set = NL_SET_MASTER, .master = master};
	return nl_link_set(nl, ifindex, &s);
}

int nl_link_set_netns(struct nl *nl, int ifindex, int netns_fd)
{
	struct nl_link_set s = {.set = NL_SET_NETNS, .netns_fd = netns_fd};
	return nl_link_set(nl, ifindex, &s);
}
