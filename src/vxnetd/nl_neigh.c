/* nl_neigh: neighbour-table messages. The FDB of a vxlan device (AF_BRIDGE,
 * NTF_SELF: MAC -> remote VTEP, port, VNI, underlay device) and the ARP / ND
 * entries of a device (AF_INET, AF_INET6): add, replace, append, del, dump,
 * and the parsers shared with the monitor. */
#include "nl_priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <string.h>

/* Room for NDA_* of newer kernels, which are ignored. */
#define NL_NDA_TB 40

static int op_msg(enum nl_op op, uint16_t *type, uint16_t *flags, bool fdb)
{
	*type = RTM_NEWNEIGH;
	*flags = NLM_F_REQUEST | NLM_F_ACK;
	switch (op) {
	case NL_OP_ADD:
		*flags |= NLM_F_CREATE | NLM_F_EXCL;
		return 0;
	case NL_OP_REPLACE:
		*flags |= NLM_F_CREATE | NLM_F_REPLACE;
		return 0;
	case NL_OP_APPEND:
		if (!fdb)
			return -EINVAL;
		*flags |= NLM_F_CREATE | NLM_F_APPEND;
		return 0;
	case NL_OP_DEL:
		*type = RTM_DELNEIGH;
		return 0;
	}
	return -EINVAL;
}

static struct nlmsghdr *neigh_msg(void *buf, size_t len, uint16_t type, uint16_t flags, uint32_t seq,
				  struct ndmsg **ndm)
{
	struct nlmsghdr *nlh = nl_msg_start(buf, len, type, flags, seq, sizeof(struct ndmsg));
	if (nlh)
		*ndm = mnl_nlmsg_get_payload(nlh);
	return nlh;
}

static bool family_ok(const struct vx_addr *a)
{
	return a->family == AF_INET || a->family == AF_INET6;
}

int nl_build_fdb(void *buf, size_t len, uint32_t seq, enum nl_op op, const struct nl_fdb *e)
{
	uint16_t type, flags;
	if (!e || e->ifindex <= 0 || op_msg(op, &type, &flags, true) < 0)
		return -EINVAL;
	if ((e->set & NL_FDB_DST) && !family_ok(&e->dst))
		return -EINVAL;
	struct ndmsg *ndm;
	struct nlmsghdr *nlh = neigh_msg(buf, len, type, flags, seq, &ndm);
	if (!nlh)
		return -ENOSPC;
	ndm->ndm_family = AF_BRIDGE;
	ndm->ndm_ifindex = e->ifindex;
	ndm->ndm_state = e->state ? e->state : NUD_PERMANENT;
	/* NTF_SELF: the vxlan device's own table, not a bridge it may be in. */
	ndm->ndm_flags = e->flags | NTF_SELF;
	bool ok = mnl_attr_put_check(nlh, len, NDA_LLADDR, MAC_LEN, e->mac);
	if (e->set & NL_FDB_DST)
		ok = ok && nl_put_addr(nlh, len, NDA_DST, NDA_DST, &e->dst);
	if (e->set & NL_FDB_PORT)
		ok = ok && mnl_attr_put_u16_check(nlh, len, NDA_PORT, htons(e->port));
	if (e->set & NL_FDB_VNI)
		ok = ok && mnl_attr_put_u32_check(nlh, len, NDA_VNI, e->vni);
	if (e->set & NL_FDB_VIA)
		ok = ok && mnl_attr_put_u32_check(nlh, len, NDA_IFINDEX, e->via);
	if (e->set & NL_FDB_PROTOCOL)
		ok = ok && mnl_attr_put_u8_check(nlh, len, NDA_PROTOCOL, e->protocol);
	return ok ? 0 : -ENOSPC;
}

int nl_build_fdb_dump(void *buf, size_t len, uint32_t seq, int ifindex)
{
	if (ifindex < 0)
		return -EINVAL;
	struct ndmsg *ndm;
	/* With strict checking the kernel takes the port to dump from ndm_ifindex. */
	struct nlmsghdr *nlh = neigh_msg(buf, len, RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP, seq, &ndm);
	if (!nlh)
		return -ENOSPC;
	ndm->ndm_family = AF_BRIDGE;
	ndm->ndm_ifindex = ifindex;
	return 0;
}

int nl_build_neigh(void *buf, size_t len, uint32_t seq, enum nl_op op, const struct nl_neigh *n)
{
	uint16_t type, flags;
	if (!n || n->ifindex <= 0 || !family_ok(&n->ip) || op_msg(op, &type, &flags, false) < 0)
		return -EINVAL;
	struct ndmsg *ndm;
	struct nlmsghdr *nlh = neigh_msg(buf, len, type, flags, seq, &ndm);
	if (!nlh)
		return -ENOSPC;
	ndm->ndm_family = n->ip.family;
	ndm->ndm_ifindex = n->ifindex;
	ndm->ndm_state = n->state ? n->state : NUD_PERMANENT;
	ndm->ndm_flags = n->flags;
	bool ok = nl_put_addr(nlh, len, NDA_DST, NDA_DST, &n->ip);
	if (n->set & NL_NEIGH_LLADDR)
		ok = ok && mnl_attr_put_check(nlh, len, NDA_LLADDR, MAC_LEN, n->mac);
	if (n->set & NL_NEIGH_PROTOCOL)
		ok = ok && mnl_attr_put_u8_check(nlh, len, NDA_PROTOCOL, n->protocol);
	return ok ? 0 : -ENOSPC;
}

int nl_build_neigh_dump(void *buf, size_t len, uint32_t seq, int family, int ifindex)
{
	if ((family != AF_UNSPEC && family != AF_INET && family != AF_INET6) || ifindex < 0)
		return -EINVAL;
	struct ndmsg *ndm;
	struct nlmsghdr *nlh = neigh_msg(buf, len, RTM_GETNEIGH, NLM_F_REQUEST | NLM_F_DUMP, seq, &ndm);
	if (!nlh)
		return -ENOSPC;
	ndm->ndm_family = (uint8_t)family;
	/* The strict neighbour dump filters by NDA_IFINDEX, not ndm_ifindex. */
	if (ifindex && !mnl_attr_put_u32_check(nlh, len, NDA_IFINDEX, (uint32_t)ifindex))
		return -ENOSPC;
	return 0;
}

/* --- parsers ------------------------------------------------------------- */

static int get_cacheinfo(const struct nlattr *a, uint32_t *used, uint32_t *confirmed, uint32_t *updated)
{
	struct nda_cacheinfo ci;
	if (!nl_ok_len(a, sizeof(ci)))
		return -EBADMSG;
	memcpy(&ci, mnl_attr_get_payload(a), sizeof(ci));
	*used = nl_ticks_to_ms(ci.ndm_used);
	*confirmed = nl_ticks_to_ms(ci.ndm_confirmed);
	*updated = nl_ticks_to_ms(ci.ndm_updated);
	return 0;
}

/* The ndmsg and attributes of a neighbour message of any type and family. */
static int neigh_table(const struct nlmsghdr *nlh, const struct ndmsg **ndm, const struct nlattr **tb)
{
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN || mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ndmsg))
		return -EBADMSG;
	*ndm = mnl_nlmsg_get_payload(nlh);
	return nl_attr_table(nlh, sizeof(struct ndmsg), tb, NL_NDA_TB);
}

/* Shared by nl_parse_fdb and the monitor's miss parser: everything but the
 * type and the family checks. LLADDR is optional here. */
static int fill_fdb(const struct ndmsg *ndm, const struct nlattr **tb, struct nl_fdb *out)
{
	memset(out, 0, sizeof(*out));
	out->ifindex = ndm->ndm_ifindex;
	out->state = ndm->ndm_state;
	out->flags = ndm->ndm_flags;
	if (tb[NDA_LLADDR]) {
		if (!nl_ok_len(tb[NDA_LLADDR], MAC_LEN))
			return -EBADMSG;
		memcpy(out->mac, mnl_attr_get_payload(tb[NDA_LLADDR]), MAC_LEN);
	}
	if (tb[NDA_DST]) {
		if (nl_get_addr(tb[NDA_DST], &out->dst) < 0)
			return -EBADMSG;
		out->set |= NL_FDB_DST;
	}
	if (tb[NDA_PORT]) {
		if (!nl_ok_u16(tb[NDA_PORT]))
			return -EBADMSG;
		out->port = ntohs(mnl_attr_get_u16(tb[NDA_PORT]));
		out->set |= NL_FDB_PORT;
	}
#define U32(attr, field, bit)                                                                                          \
	do {                                                                                                           \
		if (tb[attr]) {                                                                                        \
			if (!nl_ok_u32(tb[attr]))                                                                      \
				return -EBADMSG;                                                                       \
			out->field = mnl_attr_get_u32(tb[attr]);                                                       \
			out->set |= bit;                                                                               \
		}                                                                                                      \
	} while (0)
	U32(NDA_VNI, vni, NL_FDB_VNI);
	U32(NDA_IFINDEX, via, NL_FDB_VIA);
	U32(NDA_MASTER, master, NL_FDB_MASTER);
	U32(NDA_SRC_VNI, src_vni, NL_FDB_SRC_VNI);
	U32(NDA_NH_ID, nh_id, NL_FDB_NH_ID);
#undef U32
	if (tb[NDA_LINK_NETNSID]) {
		if (!nl_ok_u32(tb[NDA_LINK_NETNSID]))
			return -EBADMSG;
		out->netnsid = (int32_t)mnl_attr_get_u32(tb[NDA_LINK_NETNSID]);
		out->set |= NL_FDB_NETNSID;
	}
	if (tb[NDA_VLAN]) {
		if (!nl_ok_u16(tb[NDA_VLAN]))
			return -EBADMSG;
		out->vlan = mnl_attr_get_u16(tb[NDA_VLAN]);
		out->set |= NL_FDB_VLAN;
	}
	if (tb[NDA_PROTOCOL]) {
		if (!nl_ok_u8(tb[NDA_PROTOCOL]))
			return -EBADMSG;
		out->protocol = mnl_attr_get_u8(tb[NDA_PROTOCOL]);
		out->set |= NL_FDB_PROTOCOL;
	}
	if (tb[NDA_CACHEINFO]) {
		uint32_t confirmed;
		if (get_cacheinfo(tb[NDA_CACHEINFO], &out->used_ms, &confirmed, &out->updated_ms) < 0)
			return -EBADMSG;
		out->set |= NL_FDB_CACHEINFO;
	}
	return 0;
}

int nl_parse_fdb(const struct nlmsghdr *nlh, struct nl_fdb *out)
{
	const struct ndmsg *ndm;
	const struct nlattr *tb[NL_NDA_TB + 1];
	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH)
		return -ENOENT;
	if (neigh_table(nlh, &ndm, tb) < 0)
		return -EBADMSG;
	if (ndm->ndm_family != AF_BRIDGE)
		return -ENOENT;
	/* Every bridge / vxlan fdb entry has a MAC; a message without one is broken. */
	if (!tb[NDA_LLADDR] || ndm->ndm_ifindex <= 0)
		return -EBADMSG;
	return fill_fdb(ndm, tb, out);
}

int nl_parse_neigh(const struct nlmsghdr *nlh, struct nl_neigh *out)
{
	const struct ndmsg *ndm;
	const struct nlattr *tb[NL_NDA_TB + 1];
	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH)
		return -ENOENT;
	if (neigh_table(nlh, &ndm, tb) < 0)
		return -EBADMSG;
	if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6)
		return -ENOENT;
	if (ndm->ndm_ifindex <= 0 || !tb[NDA_DST] || nl_get_addr(tb[NDA_DST], &out->ip) < 0 ||
	    out->ip.family != ndm->ndm_family)
		return -EBADMSG;
	out->ifindex = ndm->ndm_ifindex;
	out->state = ndm->ndm_state;
	out->flags = ndm->ndm_flags;
	/* An incomplete or NOARP entry may carry an empty or non-Ethernet address. */
	if (tb[NDA_LLADDR] && mnl_attr_get_payload_len(tb[NDA_LLADDR]) == MAC_LEN) {
		memcpy(out->mac, mnl_attr_get_payload(tb[NDA_LLADDR]), MAC_LEN);
		out->set |= NL_NEIGH_LLADDR;
	}
	if (tb[NDA_PROTOCOL]) {
		if (!nl_ok_u8(tb[NDA_PROTOCOL]))
			return -EBADMSG;
		out->protocol = mnl_attr_get_u8(tb[NDA_PROTOCOL]);
		out->set |= NL_NEIGH_PROTOCOL;
	}
	if (tb[NDA_CACHEINFO]) {
		if (get_cacheinfo(tb[NDA_CACHEINFO], &out->used_ms, &out->confirmed_ms, &out->updated_ms) < 0)
			return -EBADMSG;
		out->set |= NL_NEIGH_CACHEINFO;
	}
	if (tb[NDA_PROBES]) {
		if (!nl_ok_u32(tb[NDA_PROBES]))
			return -EBADMSG;
		out->probes = mnl_attr_get_u32(tb[NDA_PROBES]);
		out->set |= NL_NEIGH_PROBES;
	}
	return 0;
}

/* The vxlan driver builds its miss notification like an fdb entry
 * (vxlan_fdb_miss / vxlan_ip_miss in drivers/net/vxlan/vxlan_core.c), but
 * with the family of the address (AF_INET when there is none). */
int nl_parse_miss(const struct nlmsghdr *nlh, struct nl_miss *out)
{
	const struct ndmsg *ndm;
	const struct nlattr *tb[NL_NDA_TB + 1];
	struct nl_fdb f;
	memset(out, 0, sizeof(*out));
	if (nlh->nlmsg_type != RTM_GETNEIGH)
		return -ENOENT;
	if (neigh_table(nlh, &ndm, tb) < 0)
		return -EBADMSG;
	if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6)
		return -ENOENT;
	if (tb[NDA_PROBES] || ndm->ndm_ifindex <= 0)
		return -ENOENT;
	if (fill_fdb(ndm, tb, &f) < 0)
		return -EBADMSG;
	out->ifindex = f.ifindex;
	bool has_mac = tb[NDA_LLADDR] != NULL;
	bool has_ip = f.set & NL_FDB_DST;
	if (has_mac && !has_ip) {
		memcpy(out->mac, f.mac, MAC_LEN);
		return NL_EV_L2MISS;
	}
	if (has_ip && !has_mac) {
		out->ip = f.dst;
		return NL_EV_L3MISS;
	}
	return -ENOENT;
}

/* --- requests ------------------------------------------------------------ */

int nl_fdb(struct nl *nl, enum nl_op op, const struct nl_fdb *e)
{
	int rc = nl_build_fdb(nl->req, sizeof(nl->req), nl_next_seq(nl), op, e);
	if (rc < 0)
		return nl_fail(nl, rc, rc == -ENOSPC ? "request too large" : "invalid fdb entry");
	return nl_request(nl, NULL, NULL);
}

struct fdb_walk {
	nl_fdb_cb cb;
	void *arg;
};

static int on_fdb(const struct nlmsghdr *nlh, void *arg)
{
	struct fdb_walk *w = arg;
	struct nl_fdb e;
	int rc = nl_parse_fdb(nlh, &e);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	return w->cb(&e, w->arg);
}

int nl_fdb_dump(struct nl *nl, int ifindex, nl_fdb_cb cb, void *arg)
{
	int rc = ifindex > 0 && cb ? nl_build_fdb_dump(nl->req, sizeof(nl->req), nl_next_seq(nl), ifindex) : -EINVAL;
	if (rc < 0)
		return nl_fail(nl, rc, "invalid fdb dump request");
	struct fdb_walk w = {cb, arg};
	return nl_request(nl, on_fdb, &w);
}

int nl_neigh(struct nl *nl, enum nl_op op, const struct nl_neigh *n)
{
	int rc = nl_build_neigh(nl->req, sizeof(nl->req), nl_next_seq(nl), op, n);
	if (rc < 0)
		return nl_fail(nl, rc, rc == -ENOSPC ? "request too large" : "invalid neighbour entry");
	return nl_request(nl, NULL, NULL);
}

struct neigh_walk {
	nl_neigh_cb cb;
	void *arg;
};

static int on_neigh(const struct nlmsghdr *nlh, void *arg)
{
	struct neigh_walk *w = arg;
	struct nl_neigh n;
	int rc = nl_parse_neigh(nlh, &n);
	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	return w->cb(&n, w->arg);
}

int nl_neigh_dump(struct nl *nl, int family, int ifindex, nl_neigh_cb cb, void *arg)
{
	int rc = cb ? nl_build_neigh_dump(nl->req, sizeof(nl->req), nl_next_seq(nl), family, ifindex) : -EINVAL;
	if (rc < 0)
		return nl_fail(nl, rc, "invalid neighbour dump request");
	struct neigh_walk w = {cb, arg};
	return nl_request(nl, on_neigh, &w);
}
