/* Unit tests for src/vxnetd/nl*.c without a socket: every builder's message
 * is walked attribute by attribute with libmnl (types, lengths, byte order,
 * flags, only the options that are set), round-tripped through the parsers,
 * and cut short at every buffer size; the parsers are fed kernel-shaped
 * messages built here (link with vxlan data and stats, fdb, neighbours, the
 * vxlan driver's l2miss/l3miss, extended acks) and broken ones. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "nl.h"

#define IFLA_VXLAN_LOCALBYPASS_ 31
/* From linux/if.h, which cannot be included beside net/if.h. */
#define IFF_LOWER_UP_ 0x10000
#define IF_OPER_UP_ 6

static uint32_t buf[NL_REQ_MAX / 4];

static struct vx_addr ip(const char *s)
{
	struct vx_addr a;
	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static const struct nlmsghdr *msg(void)
{
	return (const struct nlmsghdr *)buf;
}

/* The attribute of type in the run [start, start + len), or NULL. */
static const struct nlattr *find(const void *start, size_t len, uint16_t type)
{
	const struct nlattr *a;
	int left = (int)len;
	for (a = start; mnl_attr_ok(a, left); a = (const struct nlattr *)((const char *)a + MNL_ALIGN(a->nla_len))) {
		left -= MNL_ALIGN(a->nla_len);
		if (mnl_attr_get_type(a) == type)
			return a;
	}
	return NULL;
}

static unsigned count(const void *start, size_t len)
{
	unsigned n = 0;
	int left = (int)len;
	for (const struct nlattr *a = start; mnl_attr_ok(a, left);
	     a = (const struct nlattr *)((const char *)a + MNL_ALIGN(a->nla_len))) {
		left -= MNL_ALIGN(a->nla_len);
		n++;
	}
	return n;
}

static const struct nlattr *link_attr(uint16_t type)
{
	const char *p = mnl_nlmsg_get_payload_offset(msg(), sizeof(struct ifinfomsg));
	return find(p, (const char *)msg() + msg()->nlmsg_len - p, type);
}

static const struct nlattr *nested(const struct nlattr *nest, uint16_t type)
{
	assert_non_null(nest);
	return find(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), type);
}

static const struct nlattr *info_data(void)
{
	const struct nlattr *info = link_attr(IFLA_LINKINFO);
	assert_non_null(info);
	const struct nlattr *kind = nested(info, IFLA_INFO_KIND);
	assert_non_null(kind);
	assert_string_equal(mnl_attr_get_str(kind), "vxlan");
	const struct nlattr *data = nested(info, IFLA_INFO_DATA);
	assert_non_null(data);
	return data;
}

static struct nl_vxlan full_params(void)
{
	struct nl_vxlan p = {.set = NL_VX_ALL & ~NL_VX_BIT(NL_VX_NETNS)};
	strcpy(p.name, "vx1");
	p.mtu = 1400;
	memcpy(p.address, "\x02\x00\x00\x00\x42\x01", MAC_LEN);
	p.vni = 4242;
	p.remote = ip("198.18.0.2");
	p.local = ip("198.18.0.1");
	p.link = 3;
	p.ttl = 17;
	p.ttl_inherit = true;
	p.tos = 0x28;
	p.learning = false;
	p.ageing = 123;
	p.limit = 77;
	p.port_min = 50000;
	p.port_max = 50100;
	p.proxy = p.l2miss = p.l3miss = true;
	p.port = 4789;
	p.udp_csum = false;
	p.zcsum6_tx = p.zcsum6_rx = true;
	p.df = NL_VX_DF_INHERIT;
	p.localbypass = false;
	return p;
}

static void test_vxlan_create_every_attribute(void **state)
{
	(void)state;
	struct nl_vxlan p = full_params();
	p.set |= NL_VX_BIT(NL_VX_NETNS);
	p.netns_fd = 9;
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 77, true, 0, &p), 0);
	assert_int_equal(msg()->nlmsg_type, RTM_NEWLINK);
	assert_int_equal(msg()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	assert_int_equal(msg()->nlmsg_seq, 77);
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(msg());
	assert_int_equal(ifi->ifi_index, 0);
	assert_string_equal(mnl_attr_get_str(link_attr(IFLA_IFNAME)), "vx1");
	assert_int_equal(mnl_attr_get_u32(link_attr(IFLA_MTU)), 1400);
	assert_int_equal(mnl_attr_get_payload_len(link_attr(IFLA_ADDRESS)), 6);
	assert_memory_equal(mnl_attr_get_payload(link_attr(IFLA_ADDRESS)), p.address, 6);
	assert_int_equal(mnl_attr_get_u32(link_attr(IFLA_NET_NS_FD)), 9);

	const struct nlattr *d = info_data();
	assert_int_equal(mnl_attr_get_u32(nested(d, IFLA_VXLAN_ID)), 4242);
	assert_int_equal(mnl_attr_get_payload_len(nested(d, IFLA_VXLAN_GROUP)), 4);
	assert_memory_equal(mnl_attr_get_payload(nested(d, IFLA_VXLAN_GROUP)), "\xc6\x12\x00\x02", 4);
	assert_null(nested(d, IFLA_VXLAN_GROUP6));
	assert_memory_equal(mnl_attr_get_payload(nested(d, IFLA_VXLAN_LOCAL)), "\xc6\x12\x00\x01", 4);
	assert_int_equal(mnl_attr_get_u32(nested(d, IFLA_VXLAN_LINK)), 3);
	assert_int_equal(mnl_attr_get_u8(nested(d, IFLA_VXLAN_TTL)), 17);
	/* A flag in the kernel's policy: zero length. */
	assert_int_equal(mnl_attr_get_payload_len(nested(d, IFLA_VXLAN_TTL_INHERIT)), 0);
	assert_int_equal(mnl_attr_get_u8(nested(d, IFLA_VXLAN_TOS)), 0x28);
	assert_int_equal(mnl_attr_get_u8(nested(d, IFLA_VXLAN_LEARNING)), 0);
	assert_int_equal(mnl_attr_get_u32(nested(d, IFLA_VXLAN_AGEING)), 123);
	assert_int_equal(mnl_attr_get_u32(nested(d, IFLA_VXLAN_LIMIT)), 77);
	assert_memory_equal(mnl_attr_get_payload(nested(d, IFLA_VXLAN_PORT_RANGE)), "\xc3\x50\xc3\xb4", 4);
	assert_int_equal(mnl_attr_get_u8(nested(d, IFLA_VXLAN_PROXY)), 1);
	assert_int_equal(mnl_attr_get_u8(nested(d, IFLA_VXLAN_L2MISS)), 1);
	assert_int_equal(mnl_attr_get_u8(nested(d, IFLA_VXLAN_L3MISS)), 1);
	/* dstport in network byte order: 4789 = 0x12b5. */
	assert_memory_equal(mnl_attr_get_payload(nested(d, IFLA_VXLAN_PORT)), "\x12\xb5", 2);
	assert_int_equal(mnl_attr_get_u8(nested(d, IFLA_VXLAN_UDP_CSUM)), 0);
	assert_int_equal(mnl_attr_get_u8(nested(d, IFLA_VXLAN_UDP_ZERO_CSUM6_TX)), 1);
	assert_int_equal(mnl_attr_get_u8(nested(d, IFLA_VXLAN_UDP_ZERO_CSUM6_RX)), 1);
	assert_int_equal(mnl_attr_get_u8(nested(d, IFLA_VXLAN_DF)), 2);
	assert_int_equal(mnl_attr_get_payload_len(nested(d, IFLA_VXLAN_LOCALBYPASS_)), 1);
	assert_int_equal(mnl_attr_get_u8(nested(d, IFLA_VXLAN_LOCALBYPASS_)), 0);
	assert_int_equal(count(mnl_attr_get_payload(d), mnl_attr_get_payload_len(d)), 20);
}

static void test_vxlan_ipv6_addresses(void **state)
{
	(void)state;
	struct nl_vxlan p = {.set = NL_VX_BIT(NL_VX_REMOTE) | NL_VX_BIT(NL_VX_LOCAL)};
	p.remote = ip("2001:db8::2");
	p.local = ip("2001:db8::1");
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 1, false, 4, &p), 0);
	const struct nlattr *d = info_data();
	assert_null(nested(d, IFLA_VXLAN_GROUP));
	assert_int_equal(mnl_attr_get_payload_len(nested(d, IFLA_VXLAN_GROUP6)), 16);
	assert_int_equal(mnl_attr_get_payload_len(nested(d, IFLA_VXLAN_LOCAL6)), 16);
	assert_memory_equal(mnl_attr_get_payload(nested(d, IFLA_VXLAN_GROUP6)), &p.remote.v6, 16);
}

static void test_vxlan_change_sends_only_what_is_set(void **state)
{
	(void)state;
	struct nl_vxlan p = full_params();
	p.set = NL_VX_BIT(NL_VX_TTL);
	p.ttl = 9;
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 5, false, 12, &p), 0);
	assert_int_equal(msg()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(msg());
	assert_int_equal(ifi->ifi_index, 12);
	assert_null(link_attr(IFLA_IFNAME));
	assert_null(link_attr(IFLA_MTU));
	const struct nlattr *d = info_data();
	assert_int_equal(count(mnl_attr_get_payload(d), mnl_attr_get_payload_len(d)), 1);
	assert_int_equal(mnl_attr_get_u8(nested(d, IFLA_VXLAN_TTL)), 9);

	/* Nothing vxlan-specific: the data nest is still there, empty, so that the
	 * kernel runs the vxlan changelink (and its rules). */
	p.set = 0;
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 5, false, 12, &p), 0);
	d = info_data();
	assert_int_equal(mnl_attr_get_payload_len(d), 0);

	/* ttl_inherit off cannot be sent (the kernel's policy has a flag). */
	p.set = NL_VX_BIT(NL_VX_TTL_INHERIT);
	p.ttl_inherit = false;
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 5, false, 12, &p), 0);
	assert_int_equal(mnl_attr_get_payload_len(info_data()), 0);

	/* By name when there is no index. */
	p.set = NL_VX_BIT(NL_VX_NAME) | NL_VX_BIT(NL_VX_AGEING);
	strcpy(p.name, "vx7");
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 5, false, 0, &p), 0);
	assert_string_equal(mnl_attr_get_str(link_attr(IFLA_IFNAME)), "vx7");
}

static void test_vxlan_invalid(void **state)
{
	(void)state;
	struct nl_vxlan p = full_params();
	memset(p.name, 'x', IFNAMSIZ); /* no room for the NUL */
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 1, true, 0, &p), -EINVAL);
	p = full_params();
	p.name[0] = 0;
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 1, true, 0, &p), -EINVAL);
	p = full_params();
	p.remote.family = AF_UNSPEC;
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 1, true, 0, &p), -EINVAL);
	p = full_params();
	p.local.family = AF_PACKET;
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 1, true, 0, &p), -EINVAL);
	p = full_params();
	p.set |= NL_VX_BIT(NL_VX_NETNS);
	p.netns_fd = -1;
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 1, true, 0, &p), -EINVAL);
	p = full_params();
	p.set |= 1u << 31;
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 1, true, 0, &p), -EINVAL);
	p.set = NL_VX_BIT(NL_VX_TTL);
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 1, false, 0, &p), -EINVAL); /* change of what? */
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 1, true, -1, &p), -EINVAL);
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 1, true, 0, NULL), -EINVAL);
}

/* Every builder at every buffer size: -ENOSPC below what it needs, success at
 * and above, and never a byte written past the size it was given. */
typedef int (*build_fn)(void *b, size_t len);

static int b_vxlan(void *b, size_t len)
{
	struct nl_vxlan p = full_params();
	return nl_build_vxlan(b, len, 1, true, 0, &p);
}
static int b_link_set(void *b, size_t len)
{
	struct nl_link_set s = {.set = NL_SET_UP | NL_SET_MTU | NL_SET_ADDRESS | NL_SET_MASTER | NL_SET_NETNS |
				       NL_SET_NAME,
				.up = true,
				.mtu = 1450,
				.master = 4,
				.netns_fd = 3,
				.name = "tap0"};
	return nl_build_link_set(b, len, 1, 7, &s);
}
static int b_link_get(void *b, size_t len)
{
	return nl_build_link_get(b, len, 1, 0, "vxlan-name");
}
static int b_fdb(void *b, size_t len)
{
	struct nl_fdb e = {.set = NL_FDB_DST | NL_FDB_PORT | NL_FDB_VNI | NL_FDB_VIA | NL_FDB_PROTOCOL, .ifindex = 5};
	e.dst = ip("2001:db8::7");
	return nl_build_fdb(b, len, 1, NL_OP_APPEND, &e);
}
static int b_neigh(void *b, size_t len)
{
	struct nl_neigh n = {.set = NL_NEIGH_LLADDR | NL_NEIGH_PROTOCOL, .ifindex = 5};
	n.ip = ip("2001:db8::9");
	return nl_build_neigh(b, len, 1, NL_OP_REPLACE, &n);
}
static int b_neigh_dump(void *b, size_t len)
{
	return nl_build_neigh_dump(b, len, 1, AF_INET6, 5);
}

static void test_every_buffer_size(void **state)
{
	(void)state;
	build_fn fns[] = {b_vxlan, b_link_set, b_link_get, b_fdb, b_neigh, b_neigh_dump};
	for (size_t f = 0; f < sizeof(fns) / sizeof(fns[0]); f++) {
		assert_int_equal(fns[f](buf, sizeof(buf)), 0);
		size_t need = msg()->nlmsg_len;
		for (size_t len = 0; len <= need + 8; len++) {
			uint8_t *b = malloc(len + 64);
			assert_non_null(b);
			memset(b, 0xa5, len + 64);
			int rc = fns[f](b, len);
			assert_int_equal(rc, len < need ? -ENOSPC : 0);
			for (size_t i = len; i < len + 64; i++)
				assert_int_equal(b[i], 0xa5);
			free(b);
		}
	}
}

static void test_link_set(void **state)
{
	(void)state;
	struct nl_link_set s = {.set = NL_SET_UP, .up = true};
	assert_int_equal(nl_build_link_set(buf, sizeof(buf), 3, 7, &s), 0);
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(msg());
	assert_int_equal(ifi->ifi_index, 7);
	assert_int_equal(ifi->ifi_change, IFF_UP);
	assert_int_equal(ifi->ifi_flags, IFF_UP);
	assert_null(link_attr(IFLA_MTU));
	assert_null(link_attr(IFLA_LINKINFO));
	s.up = false;
	assert_int_equal(nl_build_link_set(buf, sizeof(buf), 3, 7, &s), 0);
	assert_int_equal(ifi->ifi_change, IFF_UP);
	assert_int_equal(ifi->ifi_flags, 0);

	/* nomaster is IFLA_MASTER 0, sent. */
	s = (struct nl_link_set){.set = NL_SET_MASTER | NL_SET_MTU, .master = 0, .mtu = 1300};
	assert_int_equal(nl_build_link_set(buf, sizeof(buf), 3, 7, &s), 0);
	assert_int_equal(ifi->ifi_change, 0);
	assert_non_null(link_attr(IFLA_MASTER));
	assert_int_equal(mnl_attr_get_u32(link_attr(IFLA_MASTER)), 0);
	assert_int_equal(mnl_attr_get_u32(link_attr(IFLA_MTU)), 1300);

	assert_int_equal(nl_build_link_set(buf, sizeof(buf), 3, 0, &s), -EINVAL);
	s.set = NL_SET_NETNS;
	s.netns_fd = -1;
	assert_int_equal(nl_build_link_set(buf, sizeof(buf), 3, 7, &s), -EINVAL);
	s.set = NL_SET_NAME;
	memset(s.name, 'a', IFNAMSIZ);
	assert_int_equal(nl_build_link_set(buf, sizeof(buf), 3, 7, &s), -EINVAL);
}

static void test_link_get_del_dump(void **state)
{
	(void)state;
	assert_int_equal(nl_build_link_get(buf, sizeof(buf), 4, 0, "tap0"), 0);
	assert_int_equal(msg()->nlmsg_type, RTM_GETLINK);
	assert_int_equal(msg()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_string_equal(mnl_attr_get_str(link_attr(IFLA_IFNAME)), "tap0");
	assert_int_equal(nl_build_link_get(buf, sizeof(buf), 4, 9, NULL), 0);
	assert_null(link_attr(IFLA_IFNAME));
	assert_int_equal(((const struct ifinfomsg *)mnl_nlmsg_get_payload(msg()))->ifi_index, 9);
	assert_int_equal(nl_build_link_get(buf, sizeof(buf), 4, 0, NULL), -EINVAL);
	assert_int_equal(nl_build_link_get(buf, sizeof(buf), 4, 0, "0123456789abcdef"), -EINVAL);

	assert_int_equal(nl_build_link_del(buf, sizeof(buf), 4, 9), 0);
	assert_int_equal(msg()->nlmsg_type, RTM_DELLINK);
	assert_int_equal(nl_build_link_del(buf, sizeof(buf), 4, 0), -EINVAL);

	assert_int_equal(nl_build_link_dump(buf, sizeof(buf), 4), 0);
	assert_int_equal(msg()->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
}

/* A create request is an RTM_NEWLINK like the kernel's answer: what the
 * builder sends, the parser reads back (all but NETNS, which is not a
 * property the kernel reports). */
static void test_vxlan_round_trip(void **state)
{
	(void)state;
	struct nl_vxlan p = full_params();
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 1, true, 42, &p), 0);
	struct nl_link l;
	assert_int_equal(nl_parse_link(msg(), &l), 0);
	assert_int_equal(l.ifindex, 42);
	assert_string_equal(l.kind, "vxlan");
	assert_string_equal(l.name, "vx1");
	assert_int_equal(l.mtu, 1400);
	assert_true(l.has_address);
	assert_int_equal(l.vxlan.set, p.set);
	assert_int_equal(nl_vxlan_diff(&p, &l.vxlan), 0);

	p.remote = ip("2001:db8::2");
	p.local = ip("2001:db8::1");
	p.ttl_inherit = false;
	p.set &= ~NL_VX_BIT(NL_VX_TTL_INHERIT);
	p.localbypass = true;
	assert_int_equal(nl_build_vxlan(buf, sizeof(buf), 1, true, 42, &p), 0);
	assert_int_equal(nl_parse_link(msg(), &l), 0);
	assert_int_equal(nl_vxlan_diff(&p, &l.vxlan), 0);
	assert_true(addr_equal(&l.vxlan.remote, &p.remote));
	assert_true(l.vxlan.localbypass);
}

static void test_vxlan_diff(void **state)
{
	(void)state;
	struct nl_vxlan have = full_params(), want = full_params();
	assert_int_equal(nl_vxlan_diff(&want, &have), 0);
	want.ttl = 18;
	want.port_max = 50101;
	assert_int_equal(nl_vxlan_diff(&want, &have), NL_VX_BIT(NL_VX_TTL) | NL_VX_BIT(NL_VX_PORT_RANGE));
	/* Fields not wanted do not count. */
	want.set = NL_VX_BIT(NL_VX_AGEING);
	assert_int_equal(nl_vxlan_diff(&want, &have), 0);
	/* Absent from have: a difference, except the wildcard remote/local and dev 0. */
	have.set &= ~(NL_VX_BIT(NL_VX_AGEING) | NL_VX_BIT(NL_VX_REMOTE) | NL_VX_BIT(NL_VX_LINK));
	assert_int_equal(nl_vxlan_diff(&want, &have), NL_VX_BIT(NL_VX_AGEING));
	want.set = NL_VX_BIT(NL_VX_REMOTE) | NL_VX_BIT(NL_VX_LINK);
	want.remote = ip("0.0.0.0");
	want.link = 0;
	assert_int_equal(nl_vxlan_diff(&want, &have), 0);
	want.remote = ip("198.18.0.2");
	want.link = 3;
	assert_int_equal(nl_vxlan_diff(&want, &have), want.set);
	want.set = NL_VX_BIT(NL_VX_NETNS);
	assert_int_equal(nl_vxlan_diff(&want, &have), want.set);
	assert_string_equal(nl_vx_attr_name(NL_VX_LIMIT), "maxaddress");
	assert_string_equal(nl_vx_attr_name(NL_VX_COUNT), "?");
}

static void test_fdb_ops(void **state)
{
	(void)state;
	struct nl_fdb e = {.set = NL_FDB_DST | NL_FDB_PORT | NL_FDB_VNI | NL_FDB_VIA | NL_FDB_PROTOCOL,
			   .ifindex = 5,
			   .port = 4790,
			   .vni = 77,
			   .via = 3,
			   .protocol = NL_PROTO_VXNET};
	memcpy(e.mac, "\x02\x00\x00\x00\x00\x01", MAC_LEN);
	e.dst = ip("198.18.0.2");
	struct {
		enum nl_op op;
		uint16_t type, flags;
	} ops[] = {
	    {NL_OP_ADD, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_EXCL},
	    {NL_OP_REPLACE, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE},
	    {NL_OP_APPEND, RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_APPEND},
	    {NL_OP_DEL, RTM_DELNEIGH, 0},
	};
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(nl_build_fdb(buf, sizeof(buf), 9, ops[i].op, &e), 0);
		assert_int_equal(msg()->nlmsg_type, ops[i].type);
		assert_int_equal(msg()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | ops[i].flags);
		const struct ndmsg *ndm = mnl_nlmsg_get_payload(msg());
		assert_int_equal(ndm->ndm_family, AF_BRIDGE);
		assert_int_equal(ndm->ndm_ifindex, 5);
		assert_int_equal(ndm->ndm_state, NUD_PERMANENT);
		assert_int_equal(ndm->ndm_flags, NTF_SELF);
		const char *p = mnl_nlmsg_get_payload_offset(msg(), sizeof(*ndm));
		size_t len = (const char *)msg() + msg()->nlmsg_len - p;
		assert_memory_equal(mnl_attr_get_payload(find(p, len, NDA_LLADDR)), e.mac, 6);
		assert_memory_equal(mnl_attr_get_payload(find(p, len, NDA_DST)), "\xc6\x12\x00\x02", 4);
		assert_memory_equal(mnl_attr_get_payload(find(p, len, NDA_PORT)), "\x12\xb6", 2);
		assert_int_equal(mnl_attr_get_u32(find(p, len, NDA_VNI)), 77);
		assert_int_equal(mnl_attr_get_u32(find(p, len, NDA_IFINDEX)), 3);
		assert_int_equal(mnl_attr_get_u8(find(p, len, NDA_PROTOCOL)), NL_PROTO_VXNET);
	}
	/* A request parses like a notification. */
	assert_int_equal(nl_build_fdb(buf, sizeof(buf), 9, NL_OP_ADD, &e), 0);
	struct nl_fdb back;
	assert_int_equal(nl_parse_fdb(msg(), &back), 0);
	assert_int_equal(back.set, e.set);
	assert_memory_equal(back.mac, e.mac, MAC_LEN);
	assert_true(addr_equal(&back.dst, &e.dst));
	assert_int_equal(back.port, 4790);
	assert_int_equal(back.vni, 77);
	assert_int_equal(back.via, 3);
	assert_int_equal(back.state, NUD_PERMANENT);
	assert_int_equal(back.flags, NTF_SELF);

	/* Delete the whole entry: only the MAC. Reachable + extern_learn kept as asked. */
	struct nl_fdb whole = {.ifindex = 5, .state = NUD_REACHABLE, .flags = NTF_EXT_LEARNED};
	assert_int_equal(nl_build_fdb(buf, sizeof(buf), 9, NL_OP_ADD, &whole), 0);
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(msg());
	assert_int_equal(ndm->ndm_state, NUD_REACHABLE);
	assert_int_equal(ndm->ndm_flags, NTF_SELF | NTF_EXT_LEARNED);
	const char *p = mnl_nlmsg_get_payload_offset(msg(), sizeof(*ndm));
	assert_int_equal(count(p, (const char *)msg() + msg()->nlmsg_len - p), 1);

	e.ifindex = 0;
	assert_int_equal(nl_build_fdb(buf, sizeof(buf), 9, NL_OP_ADD, &e), -EINVAL);
	e.ifindex = 5;
	e.dst.family = AF_UNSPEC;
	assert_int_equal(nl_build_fdb(buf, sizeof(buf), 9, NL_OP_ADD, &e), -EINVAL);
	assert_int_equal(nl_build_fdb(buf, sizeof(buf), 9, (enum nl_op)7, &whole), -EINVAL);

	assert_int_equal(nl_build_fdb_dump(buf, sizeof(buf), 9, 5), 0);
	assert_int_equal(msg()->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	ndm = mnl_nlmsg_get_payload(msg());
	assert_int_equal(ndm->ndm_family, AF_BRIDGE);
	assert_int_equal(ndm->ndm_ifindex, 5);
}

static void test_neigh_ops(void **state)
{
	(void)state;
	struct nl_neigh n = {.set = NL_NEIGH_LLADDR | NL_NEIGH_PROTOCOL, .ifindex = 6, .protocol = 245};
	n.ip = ip("2001:db8:1::9");
	memcpy(n.mac, "\x02\x00\x00\x00\x00\x09", MAC_LEN);
	assert_int_equal(nl_build_neigh(buf, sizeof(buf), 2, NL_OP_ADD, &n), 0);
	assert_int_equal(msg()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(msg());
	assert_int_equal(ndm->ndm_family, AF_INET6);
	assert_int_equal(ndm->ndm_state, NUD_PERMANENT);
	struct nl_neigh back;
	assert_int_equal(nl_parse_neigh(msg(), &back), 0);
	assert_true(addr_equal(&back.ip, &n.ip));
	assert_memory_equal(back.mac, n.mac, MAC_LEN);
	assert_int_equal(back.set, n.set);
	assert_int_equal(back.protocol, 245);
	assert_int_equal(nl_build_neigh(buf, sizeof(buf), 2, NL_OP_REPLACE, &n), 0);
	assert_int_equal(msg()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
	assert_int_equal(nl_build_neigh(buf, sizeof(buf), 2, NL_OP_DEL, &n), 0);
	assert_int_equal(msg()->nlmsg_type, RTM_DELNEIGH);
	assert_int_equal(nl_build_neigh(buf, sizeof(buf), 2, NL_OP_APPEND, &n), -EINVAL);
	n.ip.family = AF_UNSPEC;
	assert_int_equal(nl_build_neigh(buf, sizeof(buf), 2, NL_OP_ADD, &n), -EINVAL);

	assert_int_equal(nl_build_neigh_dump(buf, sizeof(buf), 2, AF_UNSPEC, 0), 0);
	assert_int_equal(msg()->nlmsg_len, NLMSG_LENGTH(sizeof(struct ndmsg)));
	assert_int_equal(nl_build_neigh_dump(buf, sizeof(buf), 2, AF_INET, 8), 0);
	const char *p = mnl_nlmsg_get_payload_offset(msg(), sizeof(struct ndmsg));
	const struct nlattr *a = find(p, (const char *)msg() + msg()->nlmsg_len - p, NDA_IFINDEX);
	assert_non_null(a);
	assert_int_equal(mnl_attr_get_u32(a), 8);
	assert_int_equal(((const struct ndmsg *)mnl_nlmsg_get_payload(msg()))->ndm_ifindex, 0);
	assert_int_equal(nl_build_neigh_dump(buf, sizeof(buf), 2, AF_BRIDGE, 0), -EINVAL);
}

/* --- kernel-shaped messages ---------------------------------------------- */

static struct nlmsghdr *kmsg(uint16_t type, size_t hdr, void **family_hdr)
{
	memset(buf, 0, sizeof(buf));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	*family_hdr = mnl_nlmsg_put_extra_header(nlh, hdr);
	return nlh;
}

static struct nlmsghdr *klink(int ifindex, const char *name, const char *kind)
{
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh = kmsg(RTM_NEWLINK, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP | IFF_LOWER_UP_;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1450);
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, IF_OPER_UP_);
	mnl_attr_put_u32(nlh, IFLA_MASTER, 4);
	mnl_attr_put(nlh, IFLA_ADDRESS, 6, "\x02\x42\x00\x00\x00\x01");
	/* Newer kernels' stats64 are longer than Debian 12's struct: 200 bytes. */
	uint64_t st[25] = {0};
	for (int i = 0; i < 25; i++)
		st[i] = 1000 + i;
	mnl_attr_put(nlh, IFLA_STATS64, sizeof(st), st);
	if (kind) {
		struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
		struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		mnl_attr_put_u32(nlh, IFLA_VXLAN_ID, 42);
		struct in6_addr g = ip("2001:db8::5").v6;
		mnl_attr_put(nlh, IFLA_VXLAN_GROUP6, 16, &g);
		mnl_attr_put_u8(nlh, IFLA_VXLAN_TTL_INHERIT, 1); /* the kernel reports a u8 */
		mnl_attr_put_u16(nlh, IFLA_VXLAN_PORT, htons(4789));
		mnl_attr_put_u8(nlh, IFLA_VXLAN_LOCALBYPASS_, 1);
		mnl_attr_put_u32(nlh, 33, 0xffffffff); /* a newer attribute: ignored */
		mnl_attr_nest_end(nlh, data);
		mnl_attr_nest_end(nlh, info);
	}
	return nlh;
}

static void test_parse_link(void **state)
{
	(void)state;
	struct nl_link l;
	klink(7, "vx1", "vxlan");
	assert_int_equal(nl_parse_link(msg(), &l), 0);
	assert_int_equal(l.ifindex, 7);
	assert_string_equal(l.name, "vx1");
	assert_string_equal(l.kind, "vxlan");
	assert_int_equal(l.mtu, 1450);
	assert_int_equal(l.flags, IFF_UP | IFF_LOWER_UP_);
	assert_int_equal(l.operstate, IF_OPER_UP_);
	assert_int_equal(l.master, 4);
	assert_true(l.has_address);
	assert_true(l.has_stats);
	assert_int_equal(l.stats.rx_packets, 1000);
	assert_int_equal(l.stats.tx_packets, 1001);
	assert_int_equal(l.stats.rx_bytes, 1002);
	assert_int_equal(l.stats.tx_bytes, 1003);
	assert_int_equal(l.stats.rx_errors, 1004);
	assert_int_equal(l.stats.tx_errors, 1005);
	assert_int_equal(l.stats.rx_dropped, 1006);
	assert_int_equal(l.stats.tx_dropped, 1007);
	assert_int_equal(l.vxlan.set, NL_VX_BIT(NL_VX_NAME) | NL_VX_BIT(NL_VX_MTU) | NL_VX_BIT(NL_VX_ADDRESS) |
					  NL_VX_BIT(NL_VX_ID) | NL_VX_BIT(NL_VX_REMOTE) | NL_VX_BIT(NL_VX_TTL_INHERIT) |
					  NL_VX_BIT(NL_VX_PORT) | NL_VX_BIT(NL_VX_LOCALBYPASS));
	assert_int_equal(l.vxlan.vni, 42);
	assert_int_equal(l.vxlan.remote.family, AF_INET6);
	assert_true(l.vxlan.ttl_inherit);
	assert_int_equal(l.vxlan.port, 4789);
	assert_true(l.vxlan.localbypass);
	assert_int_equal(l.vxlan.mtu, 1450);

	/* Another kind: its data is not read as vxlan's. */
	klink(8, "tap0", "tun");
	assert_int_equal(nl_parse_link(msg(), &l), 0);
	assert_string_equal(l.kind, "tun");
	assert_int_equal(l.vxlan.set, 0);
	/* No link info at all. */
	klink(9, "lo", NULL);
	assert_int_equal(nl_parse_link(msg(), &l), 0);
	assert_string_equal(l.kind, "");
	/* DELLINK parses the same way. */
	klink(9, "lo", NULL)->nlmsg_type = RTM_DELLINK;
	assert_int_equal(nl_parse_link(msg(), &l), 0);
}

static void test_parse_link_rejects(void **state)
{
	(void)state;
	struct nl_link l;
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;

	nlh = klink(7, "vx1", "vxlan");
	nlh->nlmsg_type = RTM_NEWROUTE;
	assert_int_equal(nl_parse_link(msg(), &l), -ENOENT);
	nlh = klink(7, "vx1", NULL);
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_family = AF_BRIDGE; /* bridge port info */
	assert_int_equal(nl_parse_link(msg(), &l), -ENOENT);
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = 0;
	assert_int_equal(nl_parse_link(msg(), &l), -EBADMSG);
	/* Shorter than an ifinfomsg. */
	nlh = kmsg(RTM_NEWLINK, 4, (void **)&ifi);
	assert_int_equal(nl_parse_link(msg(), &l), -EBADMSG);
	/* An MTU of two bytes. */
	nlh = kmsg(RTM_NEWLINK, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_index = 3;
	mnl_attr_put_u16(nlh, IFLA_MTU, 1500);
	assert_int_equal(nl_parse_link(msg(), &l), -EBADMSG);
	/* A name without its NUL. */
	nlh = kmsg(RTM_NEWLINK, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_index = 3;
	mnl_attr_put(nlh, IFLA_IFNAME, 3, "abc");
	assert_int_equal(nl_parse_link(msg(), &l), -EBADMSG);
	/* A name too long for IFNAMSIZ. */
	nlh = kmsg(RTM_NEWLINK, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_index = 3;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "0123456789abcdef");
	assert_int_equal(nl_parse_link(msg(), &l), -EBADMSG);
	/* Stats shorter than the eight counters. */
	nlh = kmsg(RTM_NEWLINK, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_index = 3;
	uint64_t st[7] = {0};
	mnl_attr_put(nlh, IFLA_STATS64, sizeof(st), st);
	assert_int_equal(nl_parse_link(msg(), &l), -EBADMSG);
	/* A non-Ethernet address is not an error, just not kept. */
	nlh = kmsg(RTM_NEWLINK, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_index = 3;
	mnl_attr_put(nlh, IFLA_ADDRESS, 4, "\1\2\3\4");
	assert_int_equal(nl_parse_link(msg(), &l), 0);
	assert_false(l.has_address);
	/* vxlan data with a 5-byte group. */
	nlh = kmsg(RTM_NEWLINK, sizeof(*ifi), (void **)&ifi);
	ifi->ifi_index = 3;
	struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vxlan");
	struct nlattr *data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put(nlh, IFLA_VXLAN_GROUP, 5, "\1\2\3\4\5");
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	assert_int_equal(nl_parse_link(msg(), &l), -EBADMSG);
	/* A truncated last attribute is ignored, the rest is read. */
	nlh = klink(7, "vx1", NULL);
	nlh->nlmsg_len -= 3;
	assert_int_equal(nl_parse_link(msg(), &l), 0);
	assert_string_equal(l.name, "vx1");
}

static struct nlmsghdr *kneigh(uint16_t type, uint8_t family, int ifindex, uint16_t state)
{
	struct ndmsg *ndm;
	struct nlmsghdr *nlh = kmsg(type, sizeof(*ndm), (void **)&ndm);
	ndm->ndm_family = family;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = state;
	ndm->ndm_type = RTN_UNICAST;
	return nlh;
}

static void put_cacheinfo(struct nlmsghdr *nlh)
{
	struct nda_cacheinfo ci = {.ndm_confirmed = 7, .ndm_used = 250, .ndm_updated = 30001};
	mnl_attr_put(nlh, NDA_CACHEINFO, sizeof(ci), &ci);
}

static void test_parse_fdb(void **state)
{
	(void)state;
	struct nl_fdb e;
	/* A learned entry as vxlan_fdb_info sends it: port and VNI omitted. */
	struct nlmsghdr *nlh = kneigh(RTM_NEWNEIGH, AF_BRIDGE, 5, NUD_REACHABLE);
	((struct ndmsg *)mnl_nlmsg_get_payload(nlh))->ndm_flags = NTF_SELF;
	mnl_attr_put(nlh, NDA_LLADDR, 6, "\x02\x00\x00\x00\x01\x02");
	mnl_attr_put(nlh, NDA_DST, 4, "\xc6\x12\x01\x02");
	put_cacheinfo(nlh);
	assert_int_equal(nl_parse_fdb(msg(), &e), 0);
	assert_int_equal(e.ifindex, 5);
	assert_int_equal(e.state, NUD_REACHABLE);
	assert_int_equal(e.flags, NTF_SELF);
	assert_int_equal(e.set, NL_FDB_DST | NL_FDB_CACHEINFO);
	assert_int_equal(e.used_ms, 2500);
	assert_int_equal(e.updated_ms, 300010);
	/* With port, VNI, via, a bridge's master and VLAN. */
	mnl_attr_put_u16(nlh, NDA_PORT, htons(4790));
	mnl_attr_put_u32(nlh, NDA_VNI, 77);
	mnl_attr_put_u32(nlh, NDA_IFINDEX, 3);
	mnl_attr_put_u32(nlh, NDA_MASTER, 9);
	mnl_attr_put_u16(nlh, NDA_VLAN, 100);
	assert_int_equal(nl_parse_fdb(msg(), &e), 0);
	assert_int_equal(e.port, 4790);
	assert_int_equal(e.vni, 77);
	assert_int_equal(e.via, 3);
	assert_int_equal(e.master, 9);
	assert_int_equal(e.vlan, 100);
	/* Broken: no MAC, a 5-byte address, a 3-byte VNI, short cacheinfo. */
	nlh = kneigh(RTM_NEWNEIGH, AF_BRIDGE, 5, NUD_PERMANENT);
	assert_int_equal(nl_parse_fdb(msg(), &e), -EBADMSG);
	mnl_attr_put(nlh, NDA_LLADDR, 6, "\x02\x00\x00\x00\x01\x02");
	assert_int_equal(nl_parse_fdb(msg(), &e), 0);
	uint32_t len = nlh->nlmsg_len;
	mnl_attr_put(nlh, NDA_DST, 5, "\1\2\3\4\5");
	assert_int_equal(nl_parse_fdb(msg(), &e), -EBADMSG);
	nlh->nlmsg_len = len;
	mnl_attr_put(nlh, NDA_VNI, 3, "\1\2\3");
	assert_int_equal(nl_parse_fdb(msg(), &e), -EBADMSG);
	nlh->nlmsg_len = len;
	mnl_attr_put(nlh, NDA_CACHEINFO, 12, "012345678901");
	assert_int_equal(nl_parse_fdb(msg(), &e), -EBADMSG);
	/* Not an fdb message. */
	kneigh(RTM_NEWNEIGH, AF_INET, 5, NUD_PERMANENT);
	assert_int_equal(nl_parse_fdb(msg(), &e), -ENOENT);
	kneigh(RTM_GETNEIGH, AF_BRIDGE, 5, NUD_PERMANENT);
	assert_int_equal(nl_parse_fdb(msg(), &e), -ENOENT);
}

static void test_parse_neigh(void **state)
{
	(void)state;
	struct nl_neigh n;
	struct nlmsghdr *nlh = kneigh(RTM_NEWNEIGH, AF_INET, 4, NUD_PERMANENT);
	mnl_attr_put(nlh, NDA_DST, 4, "\xcb\x00\x71\x09");
	mnl_attr_put(nlh, NDA_LLADDR, 6, "\x02\x00\x00\x00\x00\x09");
	mnl_attr_put_u8(nlh, NDA_PROTOCOL, 245);
	mnl_attr_put_u32(nlh, NDA_PROBES, 2);
	put_cacheinfo(nlh);
	assert_int_equal(nl_parse_neigh(msg(), &n), 0);
	assert_int_equal(n.ifindex, 4);
	assert_int_equal(n.state, NUD_PERMANENT);
	assert_int_equal(n.ip.family, AF_INET);
	assert_int_equal(n.set, NL_NEIGH_LLADDR | NL_NEIGH_PROTOCOL | NL_NEIGH_PROBES | NL_NEIGH_CACHEINFO);
	assert_int_equal(n.protocol, 245);
	assert_int_equal(n.probes, 2);
	assert_int_equal(n.confirmed_ms, 70);
	/* An incomplete entry: no MAC. */
	nlh = kneigh(RTM_NEWNEIGH, AF_INET6, 4, NUD_INCOMPLETE);
	struct in6_addr a = ip("2001:db8::1").v6;
	mnl_attr_put(nlh, NDA_DST, 16, &a);
	assert_int_equal(nl_parse_neigh(msg(), &n), 0);
	assert_int_equal(n.set, 0);
	/* An IPv4 address in an AF_INET6 message. */
	nlh = kneigh(RTM_DELNEIGH, AF_INET6, 4, NUD_PERMANENT);
	mnl_attr_put(nlh, NDA_DST, 4, "\xcb\x00\x71\x09");
	assert_int_equal(nl_parse_neigh(msg(), &n), -EBADMSG);
	/* No address. */
	kneigh(RTM_DELNEIGH, AF_INET, 4, NUD_PERMANENT);
	assert_int_equal(nl_parse_neigh(msg(), &n), -EBADMSG);
	kneigh(RTM_NEWNEIGH, AF_BRIDGE, 4, NUD_PERMANENT);
	assert_int_equal(nl_parse_neigh(msg(), &n), -ENOENT);
}

static void test_parse_events_and_misses(void **state)
{
	(void)state;
	struct nl_event ev;
	/* l2miss as vxlan_fdb_miss sends it: AF_INET, the MAC, no address. */
	struct nlmsghdr *nlh = kneigh(RTM_GETNEIGH, AF_INET, 6, NUD_STALE);
	mnl_attr_put(nlh, NDA_LLADDR, 6, "\x02\x00\x00\x00\x03\x99");
	mnl_attr_put_u32(nlh, NDA_VNI, 0);
	put_cacheinfo(nlh);
	assert_int_equal(nl_parse_event(msg(), &ev), 0);
	assert_int_equal(ev.type, NL_EV_L2MISS);
	assert_int_equal(ev.miss.ifindex, 6);
	assert_memory_equal(ev.miss.mac, "\x02\x00\x00\x00\x03\x99", 6);
	/* l3miss as vxlan_ip_miss sends it: the address, VNI 2^24, no MAC. */
	nlh = kneigh(RTM_GETNEIGH, AF_INET6, 6, NUD_STALE);
	struct in6_addr a = ip("2001:db8::77").v6;
	mnl_attr_put(nlh, NDA_DST, 16, &a);
	mnl_attr_put_u32(nlh, NDA_VNI, 1u << 24);
	put_cacheinfo(nlh);
	assert_int_equal(nl_parse_event(msg(), &ev), 0);
	assert_int_equal(ev.type, NL_EV_L3MISS);
	assert_int_equal(ev.miss.ip.family, AF_INET6);
	assert_memory_equal(&ev.miss.ip.v6, &a, 16);
	/* The neighbour subsystem's application probe is no miss. */
	mnl_attr_put_u32(nlh, NDA_PROBES, 1);
	assert_int_equal(nl_parse_event(msg(), &ev), -ENOENT);
	/* Both a MAC and an address: no miss either. */
	nlh = kneigh(RTM_GETNEIGH, AF_INET, 6, NUD_STALE);
	mnl_attr_put(nlh, NDA_DST, 4, "\xcb\x00\x71\x4d");
	mnl_attr_put(nlh, NDA_LLADDR, 6, "\x02\x00\x00\x00\x03\x99");
	assert_int_equal(nl_parse_event(msg(), &ev), -ENOENT);
	/* fdb and neighbour notifications by family. */
	nlh = kneigh(RTM_DELNEIGH, AF_BRIDGE, 6, NUD_PERMANENT);
	mnl_attr_put(nlh, NDA_LLADDR, 6, "\x02\x00\x00\x00\x03\x01");
	assert_int_equal(nl_parse_event(msg(), &ev), 0);
	assert_int_equal(ev.type, NL_EV_FDB_DEL);
	nlh = kneigh(RTM_NEWNEIGH, AF_INET, 6, NUD_PERMANENT);
	mnl_attr_put(nlh, NDA_DST, 4, "\xcb\x00\x71\x1f");
	assert_int_equal(nl_parse_event(msg(), &ev), 0);
	assert_int_equal(ev.type, NL_EV_NEIGH_NEW);
	kneigh(RTM_NEWNEIGH, AF_PACKET, 6, NUD_PERMANENT);
	assert_int_equal(nl_parse_event(msg(), &ev), -ENOENT);
	klink(7, "vxm", "vxlan")->nlmsg_type = RTM_DELLINK;
	assert_int_equal(nl_parse_event(msg(), &ev), 0);
	assert_int_equal(ev.type, NL_EV_LINK_DEL);
	assert_string_equal(ev.link.name, "vxm");
	struct rtmsg *rtm;
	kmsg(RTM_NEWROUTE, sizeof(*rtm), (void **)&rtm);
	assert_int_equal(nl_parse_event(msg(), &ev), -ENOENT);
	/* A neighbour message shorter than its ndmsg. */
	kmsg(RTM_NEWNEIGH, 2, (void **)&rtm);
	assert_int_equal(nl_parse_event(msg(), &ev), -EBADMSG);
}

static void test_parse_ack(void **state)
{
	(void)state;
	char text[64];
	uint32_t off;
	int err;
	struct nlmsgerr *e;
	/* A plain ack. */
	struct nlmsghdr *nlh = kmsg(NLMSG_ERROR, sizeof(*e), (void **)&e);
	assert_int_equal(nl_parse_ack(msg(), &err, text, sizeof(text), &off), 0);
	assert_int_equal(err, 0);
	assert_string_equal(text, "");
	/* Capped, with the extended ack. */
	e->error = -EOPNOTSUPP;
	e->msg.nlmsg_len = 200; /* the request's length, not echoed */
	nlh->nlmsg_flags = NLM_F_CAPPED | NLM_F_ACK_TLVS;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "Cannot change VNI");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 52);
	assert_int_equal(nl_parse_ack(msg(), &err, text, sizeof(text), &off), 0);
	assert_int_equal(err, -EOPNOTSUPP);
	assert_string_equal(text, "Cannot change VNI");
	assert_int_equal(off, 52);
	/* A small text buffer truncates, NUL-terminated. */
	char small[7];
	assert_int_equal(nl_parse_ack(msg(), &err, small, sizeof(small), NULL), 0);
	assert_string_equal(small, "Cannot");

	/* Not capped: the whole request is echoed before the TLVs. */
	nlh = kmsg(NLMSG_ERROR, sizeof(int), (void **)&e);
	e->error = -EINVAL;
	struct nlmsghdr *req = mnl_nlmsg_get_payload_tail(nlh);
	req = mnl_nlmsg_put_header(req);
	req->nlmsg_type = RTM_NEWLINK;
	mnl_attr_put_u32(req, IFLA_MTU, 9000);
	nlh->nlmsg_len += req->nlmsg_len;
	nlh->nlmsg_flags = NLM_F_ACK_TLVS;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "Invalid local interface, device not found");
	assert_int_equal(nl_parse_ack(msg(), &err, text, sizeof(text), NULL), 0);
	assert_int_equal(err, -EINVAL);
	assert_string_equal(text, "Invalid local interface, device not found");
	/* ... claiming a request longer than the message. */
	req->nlmsg_len = 4000;
	assert_int_equal(nl_parse_ack(msg(), &err, text, sizeof(text), NULL), -EBADMSG);

	/* A message too short for nlmsgerr, a positive errno, another type. */
	kmsg(NLMSG_ERROR, 2, (void **)&e);
	assert_int_equal(nl_parse_ack(msg(), &err, text, sizeof(text), NULL), -EBADMSG);
	kmsg(NLMSG_ERROR, sizeof(*e), (void **)&e)->nlmsg_flags = 0;
	e->error = 5;
	assert_int_equal(nl_parse_ack(msg(), &err, text, sizeof(text), NULL), -EBADMSG);
	kmsg(NLMSG_DONE, sizeof(int), (void **)&e);
	assert_int_equal(nl_parse_ack(msg(), &err, text, sizeof(text), NULL), -ENOENT);
}

static void test_framing(void **state)
{
	(void)state;
	uint32_t two[16] = {0};
	struct nlmsghdr *h = (struct nlmsghdr *)two;
	h->nlmsg_len = 20;
	((struct nlmsghdr *)&two[5])->nlmsg_len = 16;
	assert_true(nl_msg_ok(h, 36));
	assert_true(nl_stream_ok(two, 36));
	assert_true(nl_stream_ok(two, 40)); /* a tail shorter than a header is ignored */
	assert_false(nl_msg_ok(h, 19));
	assert_false(nl_msg_ok(h, 15));
	/* The second message runs past the end. */
	((struct nlmsghdr *)&two[5])->nlmsg_len = 20;
	assert_false(nl_stream_ok(two, 38));
	assert_true(nl_stream_ok(two, 40));
	/* 2^32 - 1: libmnl 1.0.4 takes it for -1 and walks in place forever. */
	((struct nlmsghdr *)&two[5])->nlmsg_len = 0xffffffffu;
	assert_false(nl_stream_ok(two, 64));
	h->nlmsg_len = 0x80000000u;
	assert_false(nl_msg_ok(h, 64));
	h->nlmsg_len = 8;
	assert_false(nl_msg_ok(h, 64));
	assert_true(nl_stream_ok(two, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vxlan_create_every_attribute),
	    cmocka_unit_test(test_vxlan_ipv6_addresses),
	    cmocka_unit_test(test_vxlan_change_sends_only_what_is_set),
	    cmocka_unit_test(test_vxlan_invalid),
	    cmocka_unit_test(test_every_buffer_size),
	    cmocka_unit_test(test_link_set),
	    cmocka_unit_test(test_link_get_del_dump),
	    cmocka_unit_test(test_vxlan_round_trip),
	    cmocka_unit_test(test_vxlan_diff),
	    cmocka_unit_test(test_fdb_ops),
	    cmocka_unit_test(test_neigh_ops),
	    cmocka_unit_test(test_parse_link),
	    cmocka_unit_test(test_parse_link_rejects),
	    cmocka_unit_test(test_parse_fdb),
	    cmocka_unit_test(test_parse_neigh),
	    cmocka_unit_test(test_parse_events_and_misses),
	    cmocka_unit_test(test_parse_ack),
	    cmocka_unit_test(test_framing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
