/* link_config: the parameters of `link add`: defaults, the consistency
 * rules shared by the CLI (to refuse early with a clear word) and the daemon
 * (which must not trust the client), and their control-protocol encoding. */
#include <errno.h>
#include <string.h>

#include "vxnet/ctl.h"
#include "vxnet/proto.h"

void link_config_init(struct link_config *c)
{
	memset(c, 0, sizeof(*c));
	c->dstport = VXLAN_DEFAULT_PORT;
	c->learning = true;
	c->ageing = 300;
	c->srcport_min = 49152;
	c->srcport_max = 65535;
	c->df = LINK_DF_SET;
	c->localbypass = true;
}

static const char *const link_df_names[] = {
    [LINK_DF_SET] = "set",
    [LINK_DF_UNSET] = "unset",
    [LINK_DF_INHERIT] = "inherit",
};

const char *link_df_name(enum link_df d)
{
	if ((unsigned)d > LINK_DF_INHERIT)
		return NULL;
	return link_df_names[d];
}

int link_config_check_change(unsigned set, const char **why)
{
	/* In the kernel's order of refusal, with its reasons in vxnet's words. */
	static const struct {
		unsigned bit;
		const char *why;
	} fixed[] = {
	    {LINK_P_DSTPORT, "dstport cannot change on a live link (the kernel refuses it too)"},
	    {LINK_P_SRCPORT, "srcport cannot change on a live link (the kernel refuses it too)"},
	    {LINK_P_PROXY, "proxy cannot change on a live link (the kernel refuses it too)"},
	    {LINK_P_MAXADDR, "maxaddress cannot change on a live link (the kernel refuses it too)"},
	    {LINK_P_NETNS, "netns cannot change with link set"},
	    {LINK_P_DATAPATH, "datapath cannot change on a live link"},
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (set & fixed[i].bit) {
			*why = fixed[i].why;
			return -EOPNOTSUPP;
		}
	}
	if (set & ~(unsigned)LINK_P_LIVE) {
		*why = "that option cannot change on a live link";
		return -EOPNOTSUPP;
	}
	if (!(set & LINK_P_LIVE)) {
		*why = "nothing to change";
		return -EINVAL;
	}
	return 0;
}

void link_config_apply(struct link_config *c, const struct link_config *n)
{
	unsigned s = n->set;
	if (s & LINK_P_LEARNING)
		c->learning = n->learning;
	if (s & LINK_P_AGEING)
		c->ageing = n->ageing;
	if (s & LINK_P_TTL)
		c->ttl = n->ttl;
	if (s & LINK_P_TOS) {
		c->tos = n->tos;
		c->tos_inherit = n->tos_inherit;
	}
	if (s & (LINK_P_REMOTE | LINK_P_GROUP)) {
		/* One replaces the other, as `remote`/`group` share one slot in the kernel. */
		memset(&c->remote, 0, sizeof(c->remote));
		memset(&c->group, 0, sizeof(c->group));
		c->set &= ~(unsigned)(LINK_P_REMOTE | LINK_P_GROUP);
		if (s & LINK_P_REMOTE)
			c->remote = n->remote;
		if (s & LINK_P_GROUP)
			c->group = n->group;
	}
	if (s & LINK_P_LOCAL)
		c->local = n->local;
	if (s & LINK_P_DEV)
		memcpy(c->dev, n->dev, sizeof(c->dev));
	if (s & LINK_P_MTU)
		c->mtu = n->mtu;
	if (s & LINK_P_ADDRESS)
		memcpy(c->address, n->address, sizeof(c->address));
	if (s & LINK_P_DF)
		c->df = n->df;
	if (s & LINK_P_LOCALBYPASS)
		c->localbypass = n->localbypass;
	c->set |= s & LINK_P_LIVE;
}

/* The kernel's dev_valid_name(): 1-15 bytes, not "." or "..", no '/', ':' or whitespace. */
static bool link_name_valid(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == 0 || n >= size || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '/' || ch == ':' || ch <= ' ' || ch == 0x7f)
			return false;
	}
	return true;
}

/* IPv6 link-local unicast (fe80::/10). */
static bool addr_is_ll6(const struct vx_addr *a)
{
	return a->family == AF_INET6 && IN6_IS_ADDR_LINKLOCAL(&a->v6);
}

/* A peer (remote or group) of link-local reach: link-local unicast, or
 * multicast of link-local scope. What the kernel's ipv6_addr_type() marks
 * IPV6_ADDR_LINKLOCAL. */
static bool addr_is_ll6_peer(const struct vx_addr *a)
{
	return addr_is_ll6(a) ||
	       (a->family == AF_INET6 && IN6_IS_ADDR_MULTICAST(&a->v6) && (a->v6.s6_addr[1] & 0x0f) == 2);
}

int link_config_family(const struct link_config *c)
{
	if (c->local.family == AF_INET || c->local.family == AF_INET6)
		return c->local.family;
	if (c->remote.family == AF_INET || c->remote.family == AF_INET6)
		return c->remote.family;
	if (c->group.family == AF_INET || c->group.family == AF_INET6)
		return c->group.family;
	/* Unless IPv6 is asked for, IPv4: the kernel's rule too. */
	return AF_INET;
}

/* The largest outer packet: an IPv4 datagram's total length is 16 bits, and
 * an IPv6 one must fit the underlay device, whose MTU is at most ETH_MAX_MTU
 * on every Ethernet-type device (veth, bridge, VLAN, physical). IPv6's own
 * payload limit (65535 + 40) is never reached that way; nor are jumbograms. */
#define OUTER_MAX 65535u
/* What each datapath's device accepts: a TAP takes 65535 minus its
 * Ethernet header (drivers/net/tun.c: MAX_MTU - hard_header_len, measured
 * 65521 on 6.18), a kernel vxlan device ETH_MAX_MTU (65535). */
#define TAP_MTU_MAX 65521u
#define VXLAN_DEV_MTU_MAX 65535u

/* The reasons in link_config_check name these numbers, for both datapaths. */
_Static_assert(OUTER_MAX - VXLAN_OVERHEAD_V4 == 65485 && OUTER_MAX - VXLAN_OVERHEAD_V6 == 65465,
	       "mtu reasons name 65485 and 65465");
_Static_assert(TAP_MTU_MAX >= OUTER_MAX - VXLAN_OVERHEAD_V4 && VXLAN_DEV_MTU_MAX >= OUTER_MAX - VXLAN_OVERHEAD_V4,
	       "the outer packet is the binding limit on both datapaths");

unsigned link_config_mtu_max(int family, bool kernel)
{
	unsigned dev = kernel ? VXLAN_DEV_MTU_MAX : TAP_MTU_MAX;
	unsigned outer = OUTER_MAX - (family == AF_INET6 ? VXLAN_OVERHEAD_V6 : VXLAN_OVERHEAD_V4);

	return dev < outer ? dev : outer;
}

/* The first thing wrong with local, remote and group, or NULL. */
static const char *link_addrs_why(const struct link_config *c, bool has_local, bool has_remote, bool has_group)
{
	const char *w = NULL;

	if (has_group && addr_check(&c->group, ADDR_USE_GROUP, &w) < 0)
		return w;
	if (has_remote && addr_check(&c->remote, ADDR_USE_REMOTE, &w) < 0)
		return w;
	if (has_local && addr_check(&c->local, ADDR_USE_LOCAL, &w) < 0)
		return w;
	if (has_local &&
	    ((has_remote && c->local.family != c->remote.family) || (has_group && c->local.family != c->group.family)))
		return "local and remote/group must be the same address family";
	if (has_local && has_remote && addr_equal(&c->local, &c->remote))
		return "remote must not be local (the frames would come straight back)";
	/* The kernel's scope rules: a link-local source only reaches peers on
	 * its link, and only dev says which link that is. */
	if (has_local && addr_is_ll6(&c->local)) {
		if ((has_remote && !addr_is_ll6_peer(&c->remote)) || (has_group && !addr_is_ll6_peer(&c->group)))
			return "a link-local local needs a link-local remote or a link-scope (ff02::/16) group";
		if (!(c->set & LINK_P_DEV))
			return "link-local addresses need dev";
	} else if (has_remote && addr_is_ll6(&c->remote)) {
		return "a link-local remote needs a link-local local";
	}
	return NULL;
}

static const char *const link_datapath_names[] = {
    [LINK_DP_USER] = "user",
    [LINK_DP_KERNEL] = "kernel",
};

const char *link_datapath_name(enum link_datapath d)
{
	if ((unsigned)d > LINK_DP_MAX)
		return NULL;
	return link_datapath_names[d];
}

int link_datapath_parse(const char *s, enum link_datapath *d)
{
	for (unsigned i = LINK_DP_USER; i <= LINK_DP_MAX; i++) {
		if (!strcmp(s, link_datapath_names[i])) {
			*d = (enum link_datapath)i;
			return 0;
		}
	}
	return -EINVAL;
}

int link_config_check(const struct link_config *c, const char **why)
{
	bool has_remote = (c->set & LINK_P_REMOTE) || c->remote.family != AF_UNSPEC;
	bool has_group = (c->set & LINK_P_GROUP) || c->group.family != AF_UNSPEC;
	bool has_local = (c->set & LINK_P_LOCAL) || c->local.family != AF_UNSPEC;
	size_t namelen = strnlen(c->name, sizeof(c->name));
	const char *w = NULL;

	if (namelen == 0 || namelen >= IFNAMSIZ)
		w = "name must be 1-15 characters";
	else if (!link_name_valid(c->name, sizeof(c->name)))
		w = "name must not contain '/', ':' or spaces";
	else if (c->vni > VXLAN_VNI_MAX)
		w = "VNI must be below 16777216";
	else if (c->dstport == 0)
		w = "dstport must be 1-65535";
	else if (has_remote && has_group)
		w = "remote and group are mutually exclusive";
	else if ((w = link_addrs_why(c, has_local, has_remote, has_group)))
		;
	else if ((c->set & LINK_P_DEV) && !link_name_valid(c->dev, sizeof(c->dev)))
		w = "dev must be 1-15 characters";
	else if (c->srcport_min == 0 || c->srcport_max == 0)
		w = "srcport must be 1-65535";
	else if (c->srcport_min > c->srcport_max)
		w = "srcport MIN must not exceed MAX";
	else if ((c->set & LINK_P_MTU) &&
		 (c->mtu < LINK_MTU_MIN || c->mtu > link_config_mtu_max(link_config_family(c), false)))
		w = link_config_family(c) == AF_INET6
			? "mtu must be between 68 and 65465 (65535 minus the 70 bytes VXLAN adds over IPv6)"
			: "mtu must be between 68 and 65485 (65535 minus the 50 bytes VXLAN adds over IPv4)";
	else if ((c->set & LINK_P_ADDRESS) && (mac_is_zero(c->address) || mac_is_multicast(c->address)))
		w = "address must be a unicast MAC";
	else if ((c->set & LINK_P_NETNS) && !link_name_valid(c->netns, sizeof(c->netns)))
		/* A name under /run/netns, never a path. */
		w = "netns must be a name in /run/netns";
	else if (c->tos_inherit && c->tos != 0)
		w = "tos is either a value or inherit";
	else if (c->datapath > LINK_DP_MAX)
		w = "datapath must be user or kernel";
	else if (c->df > LINK_DF_INHERIT)
		w = "df must be set, unset or inherit";
	if (why)
		*why = w;
	return w ? -EINVAL : 0;
}

static int put_link(struct ctl_msg *m, const struct link_config *c, bool with_vni)
{
	size_t start = m->len;
	unsigned s = c->set;
	int err;

	err = ctl_put_str(m, CTL_A_IFNAME, c->name);
	if (!err && with_vni)
		err = ctl_put_u32(m, CTL_A_VNI, c->vni);
	if (!err && (s & LINK_P_DSTPORT))
		err = ctl_put_u16(m, CTL_A_DSTPORT, c->dstport);
	if (!err && (s & LINK_P_LOCAL))
		err = ctl_put_addr(m, CTL_A_LOCAL, &c->local);
	if (!err && (s & LINK_P_REMOTE))
		err = ctl_put_addr(m, CTL_A_REMOTE, &c->remote);
	if (!err && (s & LINK_P_GROUP))
		err = ctl_put_addr(m, CTL_A_GROUP, &c->group);
	if (!err && (s & LINK_P_DEV))
		err = ctl_put_str(m, CTL_A_DEV, c->dev);
	if (!err && (s & LINK_P_LEARNING))
		err = ctl_put_u8(m, CTL_A_LEARNING, c->learning);
	if (!err && (s & LINK_P_PROXY))
		err = ctl_put_u8(m, CTL_A_PROXY, c->proxy);
	if (!err && (s & LINK_P_AGEING))
		err = ctl_put_u32(m, CTL_A_AGEING, c->ageing);
	if (!err && (s & LINK_P_MAXADDR))
		err = ctl_put_u32(m, CTL_A_MAXADDR, c->maxaddress);
	if (!err && (s & LINK_P_TTL))
		err = ctl_put_u8(m, CTL_A_TTL, c->ttl);
	if (!err && (s & LINK_P_TOS))
		err = ctl_put_u8(m, CTL_A_TOS, c->tos);
	if (!err && (s & LINK_P_TOS))
		err = ctl_put_u8(m, CTL_A_TOS_INHERIT, c->tos_inherit);
	if (!err && (s & LINK_P_SRCPORT))
		err = ctl_put_u16(m, CTL_A_SRCPORT_MIN, c->srcport_min);
	if (!err && (s & LINK_P_SRCPORT))
		err = ctl_put_u16(m, CTL_A_SRCPORT_MAX, c->srcport_max);
	if (!err && (s & LINK_P_MTU))
		err = ctl_put_u32(m, CTL_A_MTU, c->mtu);
	if (!err && (s & LINK_P_ADDRESS))
		err = ctl_put_mac(m, CTL_A_ADDRESS, c->address);
	if (!err && (s & LINK_P_NETNS))
		err = ctl_put_str(m, CTL_A_NETNS, c->netns);
	if (!err && (s & LINK_P_DATAPATH))
		err = ctl_put_u8(m, CTL_A_DATAPATH, c->datapath);
	if (!err && (s & LINK_P_DF))
		err = ctl_put_u8(m, CTL_A_DF, c->df);
	if (!err && (s & LINK_P_LOCALBYPASS))
		err = ctl_put_u8(m, CTL_A_LOCALBYPASS, c->localbypass);
	if (err)
		m->len = start;
	return err;
}

int ctl_put_link_config(struct ctl_msg *m, const struct link_config *c)
{
	return put_link(m, c, true);
}

int ctl_put_link_change(struct ctl_msg *m, const struct link_config *c)
{
	return put_link(m, c, false);
}

/* 0 (and 'bit' added to *set) if present, 0 if absent, -EINVAL if malformed. */
static int link_got(int err, unsigned bit, unsigned *set)
{
	if (err == -ENOENT)
		return 0;
	if (err)
		return -EINVAL;
	*set |= bit;
	return 0;
}

static int get_link(const struct ctl_parsed *p, struct link_config *c, bool need_vni)
{
	struct link_config t = *c;
	uint8_t learning, proxy, tos_inherit, lb;
	bool has_min, has_max;
	int err = 0;

	if (ctl_get_strbuf(p, CTL_A_IFNAME, t.name, sizeof(t.name)))
		return -EINVAL;
	int rv = ctl_get_u32(p, CTL_A_VNI, &t.vni);
	if (rv == -EINVAL || (rv == -ENOENT && need_vni))
		return -EINVAL;
	err |= link_got(ctl_get_u16(p, CTL_A_DSTPORT, &t.dstport), LINK_P_DSTPORT, &t.set);
	err |= link_got(ctl_get_addr(p, CTL_A_LOCAL, &t.local), LINK_P_LOCAL, &t.set);
	err |= link_got(ctl_get_addr(p, CTL_A_REMOTE, &t.remote), LINK_P_REMOTE, &t.set);
	err |= link_got(ctl_get_addr(p, CTL_A_GROUP, &t.group), LINK_P_GROUP, &t.set);
	err |= link_got(ctl_get_strbuf(p, CTL_A_DEV, t.dev, sizeof(t.dev)), LINK_P_DEV, &t.set);
	if (!ctl_get_u8(p, CTL_A_LEARNING, &learning)) {
		t.learning = learning != 0;
		t.set |= LINK_P_LEARNING;
	}
	if (!ctl_get_u8(p, CTL_A_PROXY, &proxy)) {
		t.proxy = proxy != 0;
		t.set |= LINK_P_PROXY;
	}
	err |= link_got(ctl_get_u32(p, CTL_A_AGEING, &t.ageing), LINK_P_AGEING, &t.set);
	err |= link_got(ctl_get_u32(p, CTL_A_MAXADDR, &t.maxaddress), LINK_P_MAXADDR, &t.set);
	err |= link_got(ctl_get_u8(p, CTL_A_TTL, &t.ttl), LINK_P_TTL, &t.set);
	err |= link_got(ctl_get_u8(p, CTL_A_TOS, &t.tos), LINK_P_TOS, &t.set);
	if (!ctl_get_u8(p, CTL_A_TOS_INHERIT, &tos_inherit)) {
		t.tos_inherit = tos_inherit != 0;
		t.set |= LINK_P_TOS;
	}
	/* A range is only meaningful whole. */
	has_min = ctl_has(p, CTL_A_SRCPORT_MIN);
	has_max = ctl_has(p, CTL_A_SRCPORT_MAX);
	if (has_min != has_max)
		return -EINVAL;
	if (has_min) {
		err |= link_got(ctl_get_u16(p, CTL_A_SRCPORT_MIN, &t.srcport_min), LINK_P_SRCPORT, &t.set);
		err |= link_got(ctl_get_u16(p, CTL_A_SRCPORT_MAX, &t.srcport_max), LINK_P_SRCPORT, &t.set);
	}
	err |= link_got(ctl_get_u32(p, CTL_A_MTU, &t.mtu), LINK_P_MTU, &t.set);
	err |= link_got(ctl_get_mac(p, CTL_A_ADDRESS, t.address), LINK_P_ADDRESS, &t.set);
	err |= link_got(ctl_get_strbuf(p, CTL_A_NETNS, t.netns, sizeof(t.netns)), LINK_P_NETNS, &t.set);
	err |= link_got(ctl_get_u8(p, CTL_A_DATAPATH, &t.datapath), LINK_P_DATAPATH, &t.set);
	err |= link_got(ctl_get_u8(p, CTL_A_DF, &t.df), LINK_P_DF, &t.set);
	if (!ctl_get_u8(p, CTL_A_LOCALBYPASS, &lb)) {
		t.localbypass = lb != 0;
		t.set |= LINK_P_LOCALBYPASS;
	}
	if (err)
		return -EINVAL;
	*c = t;
	return 0;
}

int ctl_get_link_config(const struct ctl_parsed *p, struct link_config *c)
{
	return get_link(p, c, true);
}

int ctl_get_link_change(const struct ctl_parsed *p, struct link_config *c)
{
	return get_link(p, c, false);
}
