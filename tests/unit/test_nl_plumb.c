/* Unit tests for src/vxnetd/nl_plumb.c without a socket: the bridge, veth
 * and address requests walked attribute by attribute with libmnl (nesting,
 * the peer's own ifinfomsg, byte order, flags), refusals of bad parameters,
 * and every buffer size too small refused rather than overrun. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "nl.h"

static uint32_t buf[NL_REQ_MAX / 4];

static const struct nlmsghdr *msg(void)
{
	return (const struct nlmsghdr *)buf;
}

static const struct nlattr *find(const void *start, size_t len, uint16_t type)
{
	int left = (int)len;
	for (const struct nlattr *a = start; mnl_attr_ok(a, left);
	     a = (const struct nlattr *)((const char *)a + MNL_ALIGN(a->nla_len))) {
		left -= MNL_ALIGN(a->nla_len);
		if (mnl_attr_get_type(a) == type)
			return a;
	}
	return NULL;
}

static const struct nlattr *after(const void *hdr_end, const void *end, uint16_t type)
{
	return find(hdr_end, (size_t)((const char *)end - (const char *)hdr_end), type);
}

static const struct nlattr *top(size_t famlen, uint16_t type)
{
	const char *p = mnl_nlmsg_get_payload_offset(msg(), famlen);
	return after(p, (const char *)msg() + msg()->nlmsg_len, type);
}

static const struct nlattr *nested(const struct nlattr *nest, uint16_t type)
{
	assert_non_null(nest);
	return find(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), type);
}

static void test_bridge(void **state)
{
	(void)state;
	assert_int_equal(nl_build_bridge(buf, sizeof(buf), 7, "vxb4242", 1450), 0);
	assert_int_equal(msg()->nlmsg_type, RTM_NEWLINK);
	assert_int_equal(msg()->nlmsg_seq, 7);
	assert_int_equal(msg()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	assert_string_equal(mnl_attr_get_str(top(sizeof(struct ifinfomsg), IFLA_IFNAME)), "vxb4242");
	assert_int_equal(mnl_attr_get_u32(top(sizeof(struct ifinfomsg), IFLA_MTU)), 1450);
	const struct nlattr *info = top(sizeof(struct ifinfomsg), IFLA_LINKINFO);
	assert_string_equal(mnl_attr_get_str(nested(info, IFLA_INFO_KIND)), "bridge");
	assert_null(nested(info, IFLA_INFO_DATA));
	/* mtu 0: the kernel's default, no attribute. */
	assert_int_equal(nl_build_bridge(buf, sizeof(buf), 8, "br0", 0), 0);
	assert_null(top(sizeof(struct ifinfomsg), IFLA_MTU));
	assert_int_equal(nl_build_bridge(buf, sizeof(buf), 8, "", 0), -EINVAL);
	assert_int_equal(nl_build_bridge(buf, sizeof(buf), 8, "0123456789abcdef", 0), -EINVAL);
	assert_int_equal(nl_build_bridge(buf, sizeof(buf), 8, NULL, 0), -EINVAL);
}

static void test_veth(void **state)
{
	(void)state;
	struct nl_veth v = {.name = "ve0242cb007102", .peer = "eth0", .mtu = 1450, .peer_netns_fd = 9};
	static const uint8_t mac[MAC_LEN] = {0x02, 0x42, 0xcb, 0x00, 0x71, 0x02};
	v.peer_has_address = true;
	memcpy(v.peer_address, mac, MAC_LEN);
	assert_int_equal(nl_build_veth(buf, sizeof(buf), 3, &v), 0);
	assert_int_equal(msg()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	assert_string_equal(mnl_attr_get_str(top(sizeof(struct ifinfomsg), IFLA_IFNAME)), "ve0242cb007102");
	assert_int_equal(mnl_attr_get_u32(top(sizeof(struct ifinfomsg), IFLA_MTU)), 1450);
	assert_null(top(sizeof(struct ifinfomsg), IFLA_NET_NS_FD)); /* this end stays here */
	const struct nlattr *info = top(sizeof(struct ifinfomsg), IFLA_LINKINFO);
	assert_string_equal(mnl_attr_get_str(nested(info, IFLA_INFO_KIND)), "veth");
	const struct nlattr *peer = nested(nested(info, IFLA_INFO_DATA), VETH_INFO_PEER);
	assert_non_null(peer);
	/* The peer: its own ifinfomsg, then its attributes. */
	assert_true(mnl_attr_get_payload_len(peer) >= sizeof(struct ifinfomsg));
	const struct ifinfomsg *pifi = mnl_attr_get_payload(peer);
	assert_int_equal(pifi->ifi_family, AF_UNSPEC);
	assert_int_equal(pifi->ifi_index, 0);
	const char *pa = (const char *)pifi + MNL_ALIGN(sizeof(*pifi));
	const char *pend = (const char *)mnl_attr_get_payload(peer) + mnl_attr_get_payload_len(peer);
	assert_string_equal(mnl_attr_get_str(after(pa, pend, IFLA_IFNAME)), "eth0");
	assert_int_equal(mnl_attr_get_u32(after(pa, pend, IFLA_MTU)), 1450);
	assert_int_equal(mnl_attr_get_u32(after(pa, pend, IFLA_NET_NS_FD)), 9);
	const struct nlattr *a = after(pa, pend, IFLA_ADDRESS);
	assert_int_equal(mnl_attr_get_payload_len(a), MAC_LEN);
	assert_memory_equal(mnl_attr_get_payload(a), mac, MAC_LEN);
	/* The nests close where the message ends. */
	assert_ptr_equal(pend, (const char *)msg() + msg()->nlmsg_len);

	/* Same namespace, no address, no mtu. */
	struct nl_veth w = {.name = "a", .peer = "b", .peer_netns_fd = -1};
	assert_int_equal(nl_build_veth(buf, sizeof(buf), 4, &w), 0);
	info = top(sizeof(struct ifinfomsg), IFLA_LINKINFO);
	peer = nested(nested(info, IFLA_INFO_DATA), VETH_INFO_PEER);
	pa = (const char *)mnl_attr_get_payload(peer) + MNL_ALIGN(sizeof(struct ifinfomsg));
	pend = (const char *)mnl_attr_get_payload(peer) + mnl_attr_get_payload_len(peer);
	assert_non_null(after(pa, pend, IFLA_IFNAME));
	assert_null(after(pa, pend, IFLA_NET_NS_FD));
	assert_null(after(pa, pend, IFLA_ADDRESS));
	assert_null(after(pa, pend, IFLA_MTU));

	w.peer[0] = 0;
	assert_int_equal(nl_build_veth(buf, sizeof(buf), 4, &w), -EINVAL);
	assert_int_equal(nl_build_veth(buf, sizeof(buf), 4, NULL), -EINVAL);
}

static void test_addr(void **state)
{
	(void)state;
	struct vx_addr a;
	assert_int_equal(addr_parse("203.0.113.2", &a), 0);
	assert_int_equal(nl_build_addr(buf, sizeof(buf), 5, NL_OP_ADD, 12, &a, 24), 0);
	assert_int_equal(msg()->nlmsg_type, RTM_NEWADDR);
	assert_int_equal(msg()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(msg());
	assert_int_equal(ifa->ifa_family, AF_INET);
	assert_int_equal(ifa->ifa_prefixlen, 24);
	assert_int_equal(ifa->ifa_index, 12);
	assert_int_equal(ifa->ifa_scope, RT_SCOPE_UNIVERSE);
	assert_int_equal(ifa->ifa_flags, 0);
	const struct nlattr *x = top(sizeof(*ifa), IFA_LOCAL);
	assert_int_equal(mnl_attr_get_payload_len(x), 4);
	assert_memory_equal(mnl_attr_get_payload(x), &a.v4, 4);
	x = top(sizeof(*ifa), IFA_ADDRESS);
	assert_memory_equal(mnl_attr_get_payload(x), &a.v4, 4);

	assert_int_equal(addr_parse("2001:db8:1::5", &a), 0);
	assert_int_equal(nl_build_addr(buf, sizeof(buf), 6, NL_OP_DEL, 3, &a, 64), 0);
	assert_int_equal(msg()->nlmsg_type, RTM_DELADDR);
	assert_int_equal(msg()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	ifa = mnl_nlmsg_get_payload(msg());
	assert_int_equal(ifa->ifa_family, AF_INET6);
	assert_int_equal(ifa->ifa_flags, IFA_F_NODAD);
	x = top(sizeof(*ifa), IFA_ADDRESS);
	assert_int_equal(mnl_attr_get_payload_len(x), 16);
	assert_null(top(sizeof(*ifa), IFA_LOCAL));

	assert_int_equal(nl_build_addr(buf, sizeof(buf), 6, NL_OP_ADD, 3, &a, 129), -EINVAL);
	assert_int_equal(addr_parse("203.0.113.2", &a), 0);
	assert_int_equal(nl_build_addr(buf, sizeof(buf), 6, NL_OP_ADD, 3, &a, 33), -EINVAL);
	assert_int_equal(nl_build_addr(buf, sizeof(buf), 6, NL_OP_ADD, 0, &a, 24), -EINVAL);
	assert_int_equal(nl_build_addr(buf, sizeof(buf), 6, NL_OP_REPLACE, 3, &a, 24), -EINVAL);
	struct vx_addr none = {0};
	assert_int_equal(nl_build_addr(buf, sizeof(buf), 6, NL_OP_ADD, 3, &none, 24), -EINVAL);
}

static void test_bridge_fdb(void **state)
{
	(void)state;
	static const uint8_t mac[MAC_LEN] = {0x02, 0x42, 0xcb, 0x00, 0x71, 0x03};
	assert_int_equal(nl_build_bridge_fdb(buf, sizeof(buf), 9, NL_OP_REPLACE, 7, mac), 0);
	assert_int_equal(msg()->nlmsg_type, RTM_NEWNEIGH);
	assert_int_equal(msg()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE);
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(msg());
	assert_int_equal(ndm->ndm_family, AF_BRIDGE);
	assert_int_equal(ndm->ndm_ifindex, 7);
	assert_int_equal(ndm->ndm_state, NUD_NOARP); /* static, not the bridge's own (PERMANENT) */
	assert_int_equal(ndm->ndm_flags, NTF_MASTER);
	const struct nlattr *a = top(sizeof(*ndm), NDA_LLADDR);
	assert_int_equal(mnl_attr_get_payload_len(a), MAC_LEN);
	assert_memory_equal(mnl_attr_get_payload(a), mac, MAC_LEN);
	assert_int_equal(nl_build_bridge_fdb(buf, sizeof(buf), 9, NL_OP_DEL, 7, mac), 0);
	assert_int_equal(msg()->nlmsg_type, RTM_DELNEIGH);
	assert_int_equal(msg()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(nl_build_bridge_fdb(buf, sizeof(buf), 9, NL_OP_ADD, 7, mac), -EINVAL);
	assert_int_equal(nl_build_bridge_fdb(buf, sizeof(buf), 9, NL_OP_DEL, 0, mac), -EINVAL);
	assert_int_equal(nl_build_bridge_fdb(buf, sizeof(buf), 9, NL_OP_DEL, 7, NULL), -EINVAL);
	for (size_t n = 0; n < msg()->nlmsg_len; n++)
		assert_int_equal(nl_build_bridge_fdb((uint8_t[NL_REQ_MAX]){0}, n, 9, NL_OP_DEL, 7, mac), -ENOSPC);
}

/* Every buffer shorter than the message is refused (-ENOSPC), never overrun. */
static void test_every_buffer_size(void **state)
{
	(void)state;
	static uint8_t small[NL_REQ_MAX + 16];
	struct nl_veth v = {
	    .name = "ve0242cb007102", .peer = "eth0", .mtu = 1450, .peer_netns_fd = 9, .peer_has_address = true};
	struct vx_addr a;
	assert_int_equal(addr_parse("203.0.113.2", &a), 0);
	for (int kind = 0; kind < 3; kind++) {
		size_t full;
		if (kind == 0)
			assert_int_equal(nl_build_veth(buf, sizeof(buf), 1, &v), 0);
		else if (kind == 1)
			assert_int_equal(nl_build_bridge(buf, sizeof(buf), 1, "vxb1", 1450), 0);
		else
			assert_int_equal(nl_build_addr(buf, sizeof(buf), 1, NL_OP_ADD, 2, &a, 24), 0);
		full = msg()->nlmsg_len;
		for (size_t n = 0; n < full; n++) {
			memset(small, 0xa5, sizeof(small));
			int rc = kind == 0   ? nl_build_veth(small, n, 1, &v)
				 : kind == 1 ? nl_build_bridge(small, n, 1, "vxb1", 1450)
					     : nl_build_addr(small, n, 1, NL_OP_ADD, 2, &a, 24);
			assert_int_equal(rc, -ENOSPC);
			for (size_t i = n; i < sizeof(small); i++)
				assert_int_equal(small[i], 0xa5);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bridge),
	    cmocka_unit_test(test_veth),
	    cmocka_unit_test(test_addr),
	    cmocka_unit_test(test_bridge_fdb),
	    cmocka_unit_test(test_every_buffer_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
