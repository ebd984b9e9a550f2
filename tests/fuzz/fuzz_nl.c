/* libFuzzer target for the parsers of src/vxnetd/nl*.c, i.e. for what the
 * kernel sends us: the input is a stream of netlink messages (as one recv()
 * returns it) walked with libmnl, and every message goes through every parser
 * (link, fdb, neighbour, event, ack). Whatever a parser accepts is rebuilt
 * with the matching builder and parsed again, and must come back the same;
 * besides the sanitizers, broken invariants trap. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "nl.h"

#define CHECK(c)                                                                                                       \
	do {                                                                                                           \
		if (!(c))                                                                                              \
			__builtin_trap();                                                                              \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Netlink messages are 4-byte aligned in a recv() buffer: so are ours. */
static uint32_t in[65536 / 4];
static uint32_t out[NL_REQ_MAX / 4];

static bool terminated(const char *s, size_t size)
{
	return memchr(s, 0, size) != NULL;
}

static void fuzz_link(const struct nlmsghdr *nlh)
{
	struct nl_link l, back;
	int rc = nl_parse_link(nlh, &l);
	CHECK(rc == 0 || rc == -ENOENT || rc == -EBADMSG);
	if (rc < 0)
		return;
	CHECK(l.ifindex > 0);
	CHECK(terminated(l.name, sizeof(l.name)) && terminated(l.kind, sizeof(l.kind)));
	CHECK((l.vxlan.set & ~NL_VX_ALL) == 0 && !(l.vxlan.set & NL_VX_BIT(NL_VX_NETNS)));
	if (l.vxlan.set & NL_VX_BIT(NL_VX_REMOTE))
		CHECK(l.vxlan.remote.family == AF_INET || l.vxlan.remote.family == AF_INET6);
	if (strcmp(l.kind, "vxlan") != 0)
		return;
	/* What was read can be sent and reads back the same. "off" of
	 * TTL_INHERIT has no encoding (a flag), so it is left out. */
	struct nl_vxlan want = l.vxlan;
	if (!want.ttl_inherit)
		want.set &= ~NL_VX_BIT(NL_VX_TTL_INHERIT);
	CHECK(nl_build_vxlan(out, sizeof(out), 1, true, l.ifindex, &want) == 0);
	CHECK(nl_parse_link((const struct nlmsghdr *)out, &back) == 0);
	CHECK(back.ifindex == l.ifindex);
	CHECK(nl_vxlan_diff(&want, &back.vxlan) == 0);
	CHECK(back.vxlan.set == want.set);
}

static void fuzz_fdb(const struct nlmsghdr *nlh)
{
	struct nl_fdb e, back;
	int rc = nl_parse_fdb(nlh, &e);
	CHECK(rc == 0 || rc == -ENOENT || rc == -EBADMSG);
	if (rc < 0)
		return;
	CHECK(e.ifindex > 0);
	if (e.set & NL_FDB_DST)
		CHECK(e.dst.family == AF_INET || e.dst.family == AF_INET6);
	CHECK(nl_build_fdb(out, sizeof(out), 1, NL_OP_ADD, &e) == 0);
	CHECK(nl_parse_fdb((const struct nlmsghdr *)out, &back) == 0);
	uint32_t sent = NL_FDB_DST | NL_FDB_PORT | NL_FDB_VNI | NL_FDB_VIA | NL_FDB_PROTOCOL;
	CHECK(back.set == (e.set & sent));
	CHECK(memcmp(back.mac, e.mac, MAC_LEN) == 0);
	CHECK(back.ifindex == e.ifindex);
	CHECK(back.flags == (e.flags | 2 /* NTF_SELF */));
	CHECK(back.state == (e.state ? e.state : 0x80 /* NUD_PERMANENT */));
	if (e.set & NL_FDB_DST)
		CHECK(addr_equal(&back.dst, &e.dst));
	if (e.set & NL_FDB_PORT)
		CHECK(back.port == e.port);
	if (e.set & NL_FDB_VNI)
		CHECK(back.vni == e.vni);
	if (e.set & NL_FDB_VIA)
		CHECK(back.via == e.via);
	if (e.set & NL_FDB_PROTOCOL)
		CHECK(back.protocol == e.protocol);
}

static void fuzz_neigh(const struct nlmsghdr *nlh)
{
	struct nl_neigh n, back;
	int rc = nl_parse_neigh(nlh, &n);
	CHECK(rc == 0 || rc == -ENOENT || rc == -EBADMSG);
	if (rc < 0)
		return;
	CHECK(n.ip.family == AF_INET || n.ip.family == AF_INET6);
	CHECK(nl_build_neigh(out, sizeof(out), 1, NL_OP_REPLACE, &n) == 0);
	CHECK(nl_parse_neigh((const struct nlmsghdr *)out, &back) == 0);
	CHECK(addr_equal(&back.ip, &n.ip) && back.ifindex == n.ifindex);
	CHECK(back.set == (n.set & (NL_NEIGH_LLADDR | NL_NEIGH_PROTOCOL)));
	if (n.set & NL_NEIGH_LLADDR)
		CHECK(memcmp(back.mac, n.mac, MAC_LEN) == 0);
}

static void fuzz_event(const struct nlmsghdr *nlh)
{
	struct nl_event ev;
	int rc = nl_parse_event(nlh, &ev);
	CHECK(rc == 0 || rc == -ENOENT || rc == -EBADMSG);
	if (rc < 0)
		return;
	CHECK(ev.type >= NL_EV_LINK_NEW && ev.type <= NL_EV_L3MISS);
	if (ev.type == NL_EV_L3MISS)
		CHECK(ev.miss.ip.family == AF_INET || ev.miss.ip.family == AF_INET6);
}

static void fuzz_ack(const struct nlmsghdr *nlh)
{
	char text[32];
	uint32_t off;
	int err = 1;
	int rc = nl_parse_ack(nlh, &err, text, sizeof(text), &off);
	CHECK(rc == 0 || rc == -ENOENT || rc == -EBADMSG);
	if (rc == 0)
		CHECK(err <= 0 && err >= -4095 && terminated(text, sizeof(text)));
	/* Without room for the text, only the errno. */
	nl_parse_ack(nlh, &err, NULL, 0, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > sizeof(in))
		return 0;
	memcpy(in, data, size);
	/* Framing as nl_request() and nl_mon_read() do it before libmnl walks
	 * the datagram; then every message through every parser. */
	bool whole = nl_stream_ok(in, size);
	const char *p = (const char *)in;
	size_t len = size;
	while (nl_msg_ok((const struct nlmsghdr *)p, len)) {
		const struct nlmsghdr *nlh = (const void *)p;
		fuzz_link(nlh);
		fuzz_fdb(nlh);
		fuzz_neigh(nlh);
		fuzz_event(nlh);
		fuzz_ack(nlh);
		size_t step = MNL_ALIGN(nlh->nlmsg_len);
		if (step >= len) {
			len = 0;
			break;
		}
		p += step;
		len -= step;
	}
	/* nl_stream_ok() accepts exactly what this walk consumes whole. */
	CHECK(whole == (len < sizeof(struct nlmsghdr)));
	return 0;
}
