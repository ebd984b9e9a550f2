/* test_ctl: the control-protocol codec: what is built parses back to the
 * same values, and everything malformed is refused with the documented
 * error; link_config_check names each inconsistency. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "vxnet/ctl.h"
#include "vxnet/fdb.h"

static uint8_t buf[CTL_MSG_MAX + 64];

static struct vx_addr ip(const char *s)
{
	struct vx_addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

struct stats_seen {
	unsigned n;
	const char *name[4];
	uint64_t v[4];
};

static void stats_collect(const char *name, uint64_t v, void *arg)
{
	struct stats_seen *s = arg;
	if (s->n < 4) {
		s->name[s->n] = name;
		s->v[s->n] = v;
	}
	s->n++;
}

static void test_every_attribute_kind_round_trips(void **state)
{
	static const uint8_t mac[MAC_LEN] = {0x02, 0x42, 0xc0, 0xa8, 0x00, 0x03};
	struct vx_addr v4 = ip("198.18.0.1"), v6 = ip("2001:db8::1"), a;
	struct ctl_parsed p;
	struct ctl_msg m;
	uint8_t u8, gmac[MAC_LEN];
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	const char *s;
	size_t len;

	(void)state;
	assert_int_equal(ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_LINK, 77), 0);
	ctl_msg_set_status(&m, -ENOENT);
	assert_int_equal(ctl_put_str(&m, CTL_A_IFNAME, "vxlan1"), 0);
	assert_int_equal(ctl_put_u32(&m, CTL_A_VNI, 0xffffff), 0);
	assert_int_equal(ctl_put_u16(&m, CTL_A_DSTPORT, 4789), 0);
	assert_int_equal(ctl_put_addr(&m, CTL_A_LOCAL, &v4), 0);
	assert_int_equal(ctl_put_addr(&m, CTL_A_REMOTE, &v6), 0);
	assert_int_equal(ctl_put_u8(&m, CTL_A_TTL, 255), 0);
	assert_int_equal(ctl_put_u64(&m, CTL_A_AGE_MS, 0xfedcba9876543210ull), 0);
	assert_int_equal(ctl_put_mac(&m, CTL_A_LLADDR, mac), 0);
	assert_int_equal(ctl_put_stat(&m, CTL_A_STATS, "rx_packets", 0x0102030405060708ull), 0);
	assert_int_equal(ctl_put_stat(&m, CTL_A_SOCKSTATS, "rx_short", 1000), 0);
	assert_int_equal(ctl_put_stat(&m, CTL_A_STATS, "tx_drop_2", UINT64_MAX), 0);
	assert_int_equal(ctl_put_u8(&m, CTL_A_DATAPATH, LINK_DP_KERNEL), 0);
	assert_int_equal(ctl_put_u8(&m, CTL_A_ORIGIN, CTL_ORIGIN_OTHER), 0);
	assert_int_equal(ctl_put_str(&m, CTL_A_ERRMSG, ""), 0);
	len = ctl_msg_finish(&m);
	assert_int_equal(len % 4, 0);
	assert_int_equal(len, m.len);

	assert_int_equal(ctl_parse(buf, len, &p), 0);
	assert_int_equal(p.hdr.len, len);
	assert_int_equal(p.hdr.version, CTL_VERSION);
	assert_int_equal(p.hdr.type, CTL_MSG_LINK);
	assert_int_equal(p.hdr.seq, 77);
	assert_int_equal(p.hdr.status, -ENOENT);
	assert_int_equal(ctl_get_str(&p, CTL_A_IFNAME, &s), 0);
	assert_string_equal(s, "vxlan1");
	assert_int_equal(ctl_get_u32(&p, CTL_A_VNI, &u32), 0);
	assert_int_equal(u32, 0xffffff);
	assert_int_equal(ctl_get_u16(&p, CTL_A_DSTPORT, &u16), 0);
	assert_int_equal(u16, 4789);
	assert_int_equal(ctl_get_addr(&p, CTL_A_LOCAL, &a), 0);
	assert_true(addr_equal(&a, &v4));
	assert_int_equal(ctl_get_addr(&p, CTL_A_REMOTE, &a), 0);
	assert_true(addr_equal(&a, &v6));
	assert_int_equal(ctl_get_u8(&p, CTL_A_TTL, &u8), 0);
	assert_int_equal(u8, 255);
	assert_int_equal(ctl_get_u64(&p, CTL_A_AGE_MS, &u64), 0);
	assert_true(u64 == 0xfedcba9876543210ull);
	assert_int_equal(ctl_get_mac(&p, CTL_A_LLADDR, gmac), 0);
	assert_memory_equal(gmac, mac, MAC_LEN);
	struct stats_seen st = {0};
	assert_int_equal(ctl_foreach_stat(&p, CTL_A_STATS, stats_collect, &st), 2);
	assert_string_equal(st.name[0], "rx_packets");
	assert_true(st.v[0] == 0x0102030405060708ull);
	assert_string_equal(st.name[1], "tx_drop_2");
	assert_true(st.v[1] == UINT64_MAX);
	memset(&st, 0, sizeof(st));
	assert_int_equal(ctl_foreach_stat(&p, CTL_A_SOCKSTATS, stats_collect, &st), 1);
	assert_string_equal(st.name[0], "rx_short");
	assert_true(st.v[0] == 1000);
	assert_int_equal(ctl_foreach_stat(&p, CTL_A_IFNAME, stats_collect, &st), 0);
	assert_int_equal(ctl_get_u8(&p, CTL_A_DATAPATH, &u8), 0);
	assert_int_equal(u8, LINK_DP_KERNEL);
	assert_int_equal(ctl_get_u8(&p, CTL_A_ORIGIN, &u8), 0);
	assert_int_equal(u8, CTL_ORIGIN_OTHER);
	assert_int_equal(ctl_get_str(&p, CTL_A_ERRMSG, &s), 0);
	assert_string_equal(s, "");
	assert_true(ctl_has(&p, CTL_A_VNI));
	assert_false(ctl_has(&p, CTL_A_GROUP));
	assert_false(ctl_has(&p, CTL_A_MAX + 1));
}

static void test_getters_report_absent_and_wrong_width(void **state)
{
	struct ctl_parsed p;
	struct ctl_msg m;
	struct vx_addr a;
	uint16_t u16;
	uint32_t u32;
	const char *s;
	char small[4];

	(void)state;
	ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_LINK, 1);
	ctl_put_u32(&m, CTL_A_VNI, 7);
	ctl_put_str(&m, CTL_A_IFNAME, "vxlan1");
	assert_int_equal(ctl_parse(buf, ctl_msg_finish(&m), &p), 0);
	assert_int_equal(ctl_get_u32(&p, CTL_A_MTU, &u32), -ENOENT);
	assert_int_equal(ctl_get_str(&p, CTL_A_DEV, &s), -ENOENT);
	assert_int_equal(ctl_get_addr(&p, CTL_A_DST, &a), -ENOENT);
	assert_false(ctl_has(&p, CTL_A_STATS));
	/* Reading a u32 attribute as a u16 would silently truncate. */
	assert_int_equal(ctl_get_u16(&p, CTL_A_VNI, &u16), -EINVAL);
	assert_int_equal(ctl_get_u32(&p, CTL_A_MAX + 1, &u32), -EINVAL);
	/* A u32 whose last byte happens to be 0 is still not a string. */
	assert_int_equal(ctl_get_str(&p, CTL_A_VNI, &s), -EINVAL);
	assert_int_equal(ctl_get_strbuf(&p, CTL_A_IFNAME, small, sizeof(small)), -EINVAL);
	assert_int_equal(ctl_get_strbuf(&p, CTL_A_DEV, small, sizeof(small)), -ENOENT);
}

static void test_builder_refuses_what_does_not_fit(void **state)
{
	uint8_t small[CTL_HDR_LEN + 8];
	uint8_t big[200];
	char longname[IFNAMSIZ + 1];
	struct vx_addr unspec = {.family = AF_UNSPEC};
	struct ctl_msg m;

	(void)state;
	assert_int_equal(ctl_msg_init(&m, small, CTL_HDR_LEN - 1, CTL_MSG_DONE, 0), -ENOSPC);
	assert_int_equal(ctl_msg_init(&m, small, sizeof(small), CTL_MSG_DONE, 0), 0);
	assert_int_equal(ctl_put_u32(&m, CTL_A_VNI, 1), 0); /* 8 bytes: exactly full */
	assert_int_equal(m.len, sizeof(small));
	assert_int_equal(ctl_put_u8(&m, CTL_A_TTL, 1), -EMSGSIZE);
	assert_int_equal(m.len, sizeof(small));
	assert_int_equal(ctl_put_addr(&m, CTL_A_DST, &unspec), -EINVAL);
	memset(longname, 'a', IFNAMSIZ);
	longname[IFNAMSIZ] = '\0';
	assert_int_equal(ctl_msg_init(&m, big, sizeof(big), CTL_MSG_DONE, 0), 0);
	assert_int_equal(ctl_put_str(&m, CTL_A_IFNAME, longname), -EINVAL);
	longname[IFNAMSIZ - 1] = '\0';
	assert_int_equal(ctl_put_str(&m, CTL_A_IFNAME, longname), 0);
	/* A buffer larger than CTL_MSG_MAX still yields messages a peer accepts. */
	static uint8_t huge[CTL_MSG_MAX * 2];
	static uint8_t blob[CTL_MSG_MAX];
	assert_int_equal(ctl_msg_init(&m, huge, sizeof(huge), CTL_MSG_DONE, 0), 0);
	assert_int_equal(ctl_put(&m, CTL_A_ERRMSG, blob, CTL_MSG_MAX - CTL_HDR_LEN), -EMSGSIZE);
	assert_int_equal(ctl_put(&m, CTL_A_ERRMSG, blob, CTL_MSG_MAX - CTL_HDR_LEN - 4), 0);
	assert_int_equal(ctl_msg_finish(&m), CTL_MSG_MAX);
}

/* A message of type DONE with one raw attribute (any bytes, any declared
 * length): the building block of the refusal cases. */
static size_t raw_msg(uint16_t alen, uint16_t atype, const void *payload, size_t plen, size_t total)
{
	struct ctl_hdr h = {.len = (uint32_t)total, .version = CTL_VERSION, .type = CTL_MSG_DONE};

	memset(buf, 0, sizeof(buf));
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + CTL_HDR_LEN, &alen, 2);
	memcpy(buf + CTL_HDR_LEN + 2, &atype, 2);
	memcpy(buf + CTL_HDR_LEN + 4, payload, plen);
	return total;
}

static void test_parse_refuses_broken_framing(void **state)
{
	static const uint8_t four[4] = {1, 2, 3, 4};
	struct ctl_parsed p;
	struct ctl_hdr h;
	struct ctl_msg m;
	size_t len;

	(void)state;
	/* Truncated header. */
	ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_DONE, 0);
	len = ctl_msg_finish(&m);
	assert_int_equal(ctl_parse(buf, len, &p), 0);
	assert_int_equal(ctl_parse(buf, CTL_HDR_LEN - 1, &p), -EBADMSG);
	assert_int_equal(ctl_parse(buf, 0, &p), -EBADMSG);
	assert_int_equal(ctl_parse(NULL, 16, &p), -EBADMSG);
	/* Header length differs from what was received. */
	assert_int_equal(ctl_parse(buf, len + 4, &p), -EBADMSG);
	memcpy(&h, buf, sizeof(h));
	h.len = 20;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(ctl_parse(buf, CTL_HDR_LEN, &p), -EBADMSG);
	/* Version. */
	h.len = CTL_HDR_LEN;
	h.version = CTL_VERSION + 1;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(ctl_parse(buf, CTL_HDR_LEN, &p), -EPROTO);
	/* Oversize message, even if self-consistent. */
	h.version = CTL_VERSION;
	h.len = CTL_MSG_MAX + 4;
	memcpy(buf, &h, sizeof(h));
	assert_int_equal(ctl_parse(buf, CTL_MSG_MAX + 4, &p), -EBADMSG);
	/* Attribute overrunning the message. */
	len = raw_msg(12, CTL_A_VNI, four, 4, CTL_HDR_LEN + 8);
	assert_int_equal(ctl_parse(buf, len, &p), -EBADMSG);
	/* Zero-length and shorter-than-header attributes (would loop forever). */
	len = raw_msg(0, CTL_A_VNI, four, 4, CTL_HDR_LEN + 8);
	assert_int_equal(ctl_parse(buf, len, &p), -EBADMSG);
	len = raw_msg(3, CTL_A_VNI, four, 4, CTL_HDR_LEN + 8);
	assert_int_equal(ctl_parse(buf, len, &p), -EBADMSG);
	/* Truncated attribute header. */
	len = raw_msg(8, CTL_A_VNI, four, 4, CTL_HDR_LEN + 2);
	assert_int_equal(ctl_parse(buf, len, &p), -EBADMSG);
	/* Padding past the end: a 1-byte payload with only 5 bytes left. */
	len = raw_msg(5, CTL_A_TTL, four, 1, CTL_HDR_LEN + 5);
	assert_int_equal(ctl_parse(buf, len, &p), -EBADMSG);
	len = raw_msg(5, CTL_A_TTL, four, 1, CTL_HDR_LEN + 8);
	assert_int_equal(ctl_parse(buf, len, &p), 0);
}

/* A newer daemon's extra attributes: the strict parser refuses them, the
 * CLI's lenient parse skips them and keeps the rest. */
static void test_parse_skip_unknown_keeps_known_attributes(void **state)
{
	struct ctl_parsed p;
	struct ctl_msg m;
	uint32_t u32;
	size_t len;

	(void)state;
	ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_LINK, 3);
	ctl_put_u32(&m, CTL_A_MAX + 7, 99);
	ctl_put_u32(&m, CTL_A_VNI, 42);
	ctl_put_u32(&m, CTL_A_MAX + 1, 1);
	len = ctl_msg_finish(&m);
	assert_int_equal(ctl_parse(buf, len, &p), -ENOPROTOOPT);
	assert_int_equal(ctl_parse_opts(buf, len, &p, CTL_PARSE_SKIP_UNKNOWN), 0);
	assert_int_equal(ctl_get_u32(&p, CTL_A_VNI, &u32), 0);
	assert_int_equal(u32, 42);
	/* Framing is still checked for what is skipped. */
	buf[len - 8] = 0xff;
	assert_int_equal(ctl_parse_opts(buf, len, &p, CTL_PARSE_SKIP_UNKNOWN), -EBADMSG);
}

static void test_parse_refuses_unknown_message_types(void **state)
{
	static const uint16_t bad[] = {0, CTL_MSG_REQ_MAX + 1, CTL_MSG_DONE - 1, CTL_MSG_TYPE_MAX + 1, 0xffff};
	static const uint16_t good[] = {CTL_MSG_LINK_ADD, CTL_MSG_MONITOR, CTL_MSG_DONE, CTL_MSG_EVENT};
	struct ctl_parsed p;
	struct ctl_msg m;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ctl_msg_init(&m, buf, sizeof(buf), bad[i], 0);
		/* Distinct from a malformed message: "not supported by this vxnetd". */
		assert_int_equal(ctl_parse(buf, ctl_msg_finish(&m), &p), -EOPNOTSUPP);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ctl_msg_init(&m, buf, sizeof(buf), good[i], 0);
		assert_int_equal(ctl_parse(buf, ctl_msg_finish(&m), &p), 0);
	}
}

/* One attribute with the given payload: accepted or refused (-EINVAL). */
struct attr_case {
	const char *what;
	uint16_t type;
	const char *payload; /* bytes; NULL: plen bytes of 'x' */
	uint16_t plen;
	int want;
};

static const struct attr_case attr_cases[] = {
    {"unknown type 0", CTL_A_UNSPEC, "\0\0\0\0", 4, -EINVAL},
    {"unknown type past the max", CTL_A_MAX + 1, "\0\0\0\0", 4, -ENOPROTOOPT},
    {"empty payload", CTL_A_VNI, "", 0, -EINVAL},
    {"u32 of 2 bytes", CTL_A_VNI, "\1\0", 2, -EINVAL},
    {"u32 of 8 bytes", CTL_A_MTU, "\1\0\0\0\0\0\0\0", 8, -EINVAL},
    {"u16 of 4 bytes", CTL_A_DSTPORT, "\1\0\0\0", 4, -EINVAL},
    {"u8 of 2 bytes", CTL_A_TTL, "\1\0", 2, -EINVAL},
    {"u64 of 4 bytes", CTL_A_AGE_MS, "\1\0\0\0", 4, -EINVAL},
    {"address of 5 bytes", CTL_A_DST, "\1\2\3\4\5", 5, -EINVAL},
    {"address of 6 bytes", CTL_A_LOCAL, "\1\2\3\4\5\6", 6, -EINVAL},
    {"address of 4 bytes", CTL_A_DST, "\1\2\3\4", 4, 0},
    {"address of 16 bytes", CTL_A_GROUP, "\xff\2\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16, 0},
    {"MAC of 7 bytes", CTL_A_LLADDR, "\2\0\0\0\0\1\0", 7, -EINVAL},
    {"MAC of 6 bytes", CTL_A_ADDRESS, "\2\0\0\0\0\1", 6, 0},
    {"stat of 8 bytes (no name)", CTL_A_STATS, "\1\0\0\0\0\0\0\0", 8, -EINVAL},
    {"stat with an empty name", CTL_A_STATS, "\1\0\0\0\0\0\0\0\0", 9, -EINVAL},
    {"stat named rx_a", CTL_A_STATS, "\1\0\0\0\0\0\0\0rx_a\0", 13, 0},
    {"stat name unterminated", CTL_A_STATS, "\1\0\0\0\0\0\0\0rx_a", 12, -EINVAL},
    {"stat name with a capital", CTL_A_SOCKSTATS, "\1\0\0\0\0\0\0\0Rx\0", 11, -EINVAL},
    {"stat name with a space", CTL_A_SOCKSTATS, "\1\0\0\0\0\0\0\0r x\0", 12, -EINVAL},
    {"stat name of 32 bytes", CTL_A_STATS, NULL, 8 + 33, -EINVAL},
    {"datapath kernel", CTL_A_DATAPATH, "\2", 1, 0},
    {"datapath 3", CTL_A_DATAPATH, "\3", 1, -EINVAL},
    {"origin other", CTL_A_ORIGIN, "\x0f", 1, 0},
    {"origin 16", CTL_A_ORIGIN, "\x10", 1, -EINVAL},
    {"VNI 2^24", CTL_A_VNI, "\0\0\0\1", 4, -EINVAL},
    {"RVNI 2^24", CTL_A_RVNI, "\0\0\0\1", 4, -EINVAL},
    {"VNI 2^24-1", CTL_A_VNI, "\xff\xff\xff\0", 4, 0},
    {"learning 2", CTL_A_LEARNING, "\2", 1, -EINVAL},
    {"proxy 1", CTL_A_PROXY, "\1", 1, 0},
    {"tos_inherit 255", CTL_A_TOS_INHERIT, "\xff", 1, -EINVAL},
    {"state 0", CTL_A_STATE, "\0", 1, -EINVAL},
    {"state 3", CTL_A_STATE, "\3", 1, -EINVAL},
    {"state reachable", CTL_A_STATE, "\2", 1, 0},
    {"event 0", CTL_A_EVENT, "\0", 1, -EINVAL},
    {"event past the max", CTL_A_EVENT, "\20", 1, -EINVAL},
    {"event link-changed", CTL_A_EVENT, "\17", 1, 0},
    {"event link-deleted", CTL_A_EVENT, "\13", 1, 0},
    {"event link-restored", CTL_A_EVENT, "\16", 1, 0},
    {"unterminated string", CTL_A_IFNAME, "vxlan1", 6, -EINVAL},
    {"string with embedded NUL", CTL_A_IFNAME, "vx\0lan\0", 7, -EINVAL},
    {"string with two trailing NULs", CTL_A_DEV, "eth0\0\0", 6, -EINVAL},
    {"empty string payload (no NUL)", CTL_A_IFNAME, "", 0, -EINVAL},
    {"ifname of 15 characters", CTL_A_IFNAME, "abcdefghijklmno", 16, 0},
    {"ifname of 16 characters", CTL_A_IFNAME, "abcdefghijklmnop", 17, -EINVAL},
    {"netns of 63 characters", CTL_A_NETNS, NULL, 64, 0},
    {"netns of 64 characters", CTL_A_NETNS, NULL, 65, -EINVAL},
    {"errmsg of 255 characters", CTL_A_ERRMSG, NULL, 256, 0},
    {"errmsg of 256 characters", CTL_A_ERRMSG, NULL, 257, -EINVAL},
};

static void test_parse_checks_each_attribute_type(void **state)
{
	static uint8_t payload[1024];
	struct ctl_parsed p;
	struct ctl_msg m;

	(void)state;
	for (size_t i = 0; i < sizeof(attr_cases) / sizeof(attr_cases[0]); i++) {
		const struct attr_case *c = &attr_cases[i];

		if (c->payload) {
			memcpy(payload, c->payload, c->plen);
		} else {
			/* Filler that is also a valid string when NUL-terminated. */
			memset(payload, 'x', c->plen);
			if (c->plen)
				payload[c->plen - 1] = '\0';
		}
		ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_EVENT, 0);
		assert_int_equal(ctl_put(&m, c->type, payload, c->plen), 0);
		int got = ctl_parse(buf, ctl_msg_finish(&m), &p);

		if (got != c->want)
			fail_msg("%s: ctl_parse returned %d, expected %d", c->what, got, c->want);
		if (c->want == 0)
			assert_true(ctl_has(&p, c->type));
	}
}

static void test_parse_refuses_duplicate_attribute(void **state)
{
	struct ctl_parsed p;
	struct ctl_msg m;

	(void)state;
	ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_FDB_SHOW, 0);
	ctl_put_str(&m, CTL_A_IFNAME, "vxlan1");
	ctl_put_u32(&m, CTL_A_VNI, 1);
	ctl_put_str(&m, CTL_A_IFNAME, "vxlan2");
	assert_int_equal(ctl_parse(buf, ctl_msg_finish(&m), &p), -EINVAL);
}

static struct link_config full_config(void)
{
	struct link_config c;

	link_config_init(&c);
	strcpy(c.name, "vxlan1");
	c.vni = 5000000;
	c.dstport = 8472;
	c.local = ip("2001:db8::1");
	c.group = ip("ff05::100");
	strcpy(c.dev, "eth0");
	c.learning = false;
	c.proxy = true;
	c.ageing = 0;
	c.maxaddress = 1000;
	c.ttl = 64;
	c.tos = 0;
	c.tos_inherit = true;
	c.srcport_min = 1024;
	c.srcport_max = 2048;
	c.mtu = 1400;
	memcpy(c.address, "\x02\x00\x00\x00\x00\x2a", MAC_LEN);
	strcpy(c.netns, "ns1");
	c.set = LINK_P_DSTPORT | LINK_P_LOCAL | LINK_P_GROUP | LINK_P_DEV | LINK_P_LEARNING | LINK_P_PROXY |
		LINK_P_AGEING | LINK_P_MAXADDR | LINK_P_TTL | LINK_P_TOS | LINK_P_SRCPORT | LINK_P_MTU |
		LINK_P_ADDRESS | LINK_P_NETNS;
	return c;
}

static void assert_config_equal(const struct link_config *a, const struct link_config *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->vni, b->vni);
	assert_int_equal(a->dstport, b->dstport);
	assert_true(addr_equal(&a->local, &b->local));
	assert_true(addr_equal(&a->remote, &b->remote));
	assert_true(addr_equal(&a->group, &b->group));
	assert_string_equal(a->dev, b->dev);
	assert_int_equal(a->learning, b->learning);
	assert_int_equal(a->proxy, b->proxy);
	assert_int_equal(a->ageing, b->ageing);
	assert_int_equal(a->maxaddress, b->maxaddress);
	assert_int_equal(a->ttl, b->ttl);
	assert_int_equal(a->tos, b->tos);
	assert_int_equal(a->tos_inherit, b->tos_inherit);
	assert_int_equal(a->srcport_min, b->srcport_min);
	assert_int_equal(a->srcport_max, b->srcport_max);
	assert_int_equal(a->mtu, b->mtu);
	assert_memory_equal(a->address, b->address, MAC_LEN);
	assert_string_equal(a->netns, b->netns);
	assert_int_equal(a->set, b->set);
}

static void test_link_config_round_trips_every_parameter(void **state)
{
	struct link_config in = full_config(), out;
	struct ctl_parsed p;
	struct ctl_msg m;

	(void)state;
	assert_int_equal(link_config_check(&in, NULL), 0);
	ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_LINK_ADD, 3);
	assert_int_equal(ctl_put_link_config(&m, &in), 0);
	assert_int_equal(ctl_parse(buf, ctl_msg_finish(&m), &p), 0);
	link_config_init(&out);
	assert_int_equal(ctl_get_link_config(&p, &out), 0);
	assert_config_equal(&out, &in);
}

static void test_link_config_unset_parameters_keep_defaults(void **state)
{
	struct link_config in, out, def;
	struct ctl_parsed p;
	struct ctl_msg m;

	(void)state;
	link_config_init(&in);
	strcpy(in.name, "vx0");
	in.vni = 0;
	in.dstport = 1; /* not in 'set': must not travel */
	ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_LINK_ADD, 3);
	assert_int_equal(ctl_put_link_config(&m, &in), 0);
	assert_int_equal(ctl_parse(buf, ctl_msg_finish(&m), &p), 0);
	assert_false(ctl_has(&p, CTL_A_DSTPORT));
	link_config_init(&out);
	assert_int_equal(ctl_get_link_config(&p, &out), 0);
	link_config_init(&def);
	strcpy(def.name, "vx0");
	assert_config_equal(&out, &def);
	assert_int_equal(out.dstport, 4789);
	assert_true(out.learning);
	assert_int_equal(out.ageing, 300);
	assert_int_equal(out.srcport_min, 49152);
	assert_int_equal(out.srcport_max, 65535);
}

static void test_link_config_needs_name_vni_and_whole_srcport(void **state)
{
	struct link_config c;
	struct ctl_parsed p;
	struct ctl_msg m;

	(void)state;
	ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_LINK_ADD, 0);
	ctl_put_str(&m, CTL_A_IFNAME, "vx0");
	assert_int_equal(ctl_parse(buf, ctl_msg_finish(&m), &p), 0);
	link_config_init(&c);
	assert_int_equal(ctl_get_link_config(&p, &c), -EINVAL);

	ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_LINK_ADD, 0);
	ctl_put_u32(&m, CTL_A_VNI, 1);
	assert_int_equal(ctl_parse(buf, ctl_msg_finish(&m), &p), 0);
	assert_int_equal(ctl_get_link_config(&p, &c), -EINVAL);

	ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_LINK_ADD, 0);
	ctl_put_str(&m, CTL_A_IFNAME, "vx0");
	ctl_put_u32(&m, CTL_A_VNI, 1);
	ctl_put_u16(&m, CTL_A_SRCPORT_MIN, 1000);
	assert_int_equal(ctl_parse(buf, ctl_msg_finish(&m), &p), 0);
	assert_int_equal(ctl_get_link_config(&p, &c), -EINVAL);
}

static void test_fdb_req_round_trips_with_and_without_options(void **state)
{
	struct fdb_req in = {.dev = "vxlan1", .mac = {0x02, 0x42, 0xc0, 0xa8, 0, 3}}, out;
	struct ctl_parsed p;
	struct ctl_msg m;

	(void)state;
	for (int full = 0; full < 2; full++) {
		if (full) {
			in.dst = ip("2001:db8::3");
			in.port = 8472;
			in.vni = 0xffffff;
			in.set = FDB_P_DST | FDB_P_PORT | FDB_P_VNI;
		}
		ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_FDB_ADD, 0);
		assert_int_equal(ctl_put_fdb_req(&m, &in), 0);
		assert_int_equal(ctl_parse(buf, ctl_msg_finish(&m), &p), 0);
		memset(&out, 0xaa, sizeof(out));
		assert_int_equal(ctl_get_fdb_req(&p, &out), 0);
		assert_string_equal(out.dev, in.dev);
		assert_memory_equal(out.mac, in.mac, MAC_LEN);
		assert_int_equal(out.set, in.set);
		if (full) {
			assert_true(addr_equal(&out.dst, &in.dst));
			assert_int_equal(out.port, in.port);
			assert_int_equal(out.vni, in.vni);
		}
	}
	/* No LLADDR: not an fdb request. */
	ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_FDB_DEL, 0);
	ctl_put_str(&m, CTL_A_IFNAME, "vxlan1");
	assert_int_equal(ctl_parse(buf, ctl_msg_finish(&m), &p), 0);
	assert_int_equal(ctl_get_fdb_req(&p, &out), -EINVAL);
}

static void test_neigh_req_round_trips_with_and_without_mac(void **state)
{
	struct neigh_req in = {.dev = "vxlan1"}, out;
	struct ctl_parsed p;
	struct ctl_msg m;

	(void)state;
	in.ip = ip("203.0.113.3");
	for (int with = 0; with < 2; with++) {
		in.has_mac = with;
		memcpy(in.mac, "\x02\x42\xc0\xa8\x00\x03", MAC_LEN);
		ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_NEIGH_ADD, 0);
		assert_int_equal(ctl_put_neigh_req(&m, &in), 0);
		assert_int_equal(ctl_parse(buf, ctl_msg_finish(&m), &p), 0);
		memset(&out, 0xaa, sizeof(out));
		assert_int_equal(ctl_get_neigh_req(&p, &out), 0);
		assert_string_equal(out.dev, "vxlan1");
		assert_true(addr_equal(&out.ip, &in.ip));
		assert_int_equal(out.has_mac, with);
		if (with)
			assert_memory_equal(out.mac, in.mac, MAC_LEN);
	}
	ctl_msg_init(&m, buf, sizeof(buf), CTL_MSG_NEIGH_DEL, 0);
	ctl_put_str(&m, CTL_A_IFNAME, "vxlan1");
	assert_int_equal(ctl_parse(buf, ctl_msg_finish(&m), &p), 0);
	assert_int_equal(ctl_get_neigh_req(&p, &out), -EINVAL);
}

/* Each inconsistency and the reason given for it. */
static void bad_name_empty(struct link_config *c)
{
	c->name[0] = '\0';
}
static void bad_name_long(struct link_config *c)
{
	memset(c->name, 'a', IFNAMSIZ);
}
static void bad_name_slash(struct link_config *c)
{
	strcpy(c->name, "a/b");
}
static void bad_vni(struct link_config *c)
{
	c->vni = 16777216;
}
static void bad_dstport(struct link_config *c)
{
	c->dstport = 0;
}
static void bad_remote_group(struct link_config *c)
{
	c->remote = ip("198.18.0.2");
	c->group = ip("239.1.1.1");
	c->set |= LINK_P_REMOTE | LINK_P_GROUP;
}
static void bad_group_unicast(struct link_config *c)
{
	c->group = ip("198.18.0.2");
	c->set |= LINK_P_GROUP;
}
static void bad_remote_multicast(struct link_config *c)
{
	c->remote = ip("239.1.1.1");
	c->set |= LINK_P_REMOTE;
}
static void bad_remote_zero(struct link_config *c)
{
	c->remote = ip("0.0.0.0");
	c->set |= LINK_P_REMOTE;
}
static void bad_local_multicast(struct link_config *c)
{
	c->local = ip("ff02::1");
	c->set |= LINK_P_LOCAL;
}
static void bad_family_mix(struct link_config *c)
{
	c->local = ip("198.18.0.1");
	c->remote = ip("2001:db8::2");
	c->set |= LINK_P_LOCAL | LINK_P_REMOTE;
}
static void bad_family_mix_group(struct link_config *c)
{
	c->local = ip("2001:db8::1");
	c->group = ip("239.1.1.1");
	c->set |= LINK_P_LOCAL | LINK_P_GROUP;
}
static void bad_srcport(struct link_config *c)
{
	c->srcport_min = 2000;
	c->srcport_max = 1000;
	c->set |= LINK_P_SRCPORT;
}
static void bad_mtu_low(struct link_config *c)
{
	c->mtu = 67;
	c->set |= LINK_P_MTU;
}
static void bad_mtu_high(struct link_config *c)
{
	c->mtu = 65536;
	c->set |= LINK_P_MTU;
}
static void bad_address_multicast(struct link_config *c)
{
	memcpy(c->address, "\x01\x00\x5e\x00\x00\x01", MAC_LEN);
	c->set |= LINK_P_ADDRESS;
}
static void bad_address_zero(struct link_config *c)
{
	memset(c->address, 0, MAC_LEN);
	c->set |= LINK_P_ADDRESS;
}
static void bad_netns_path(struct link_config *c)
{
	strcpy(c->netns, "../etc");
	c->set |= LINK_P_NETNS;
}
static void bad_dev_empty(struct link_config *c)
{
	c->dev[0] = '\0';
	c->set |= LINK_P_DEV;
}
static void bad_remote_loopback(struct link_config *c)
{
	c->remote = ip("127.0.0.1");
	c->set |= LINK_P_REMOTE;
}
static void bad_remote_loopback6(struct link_config *c)
{
	c->remote = ip("::1");
	c->set |= LINK_P_REMOTE;
}
static void bad_remote_broadcast(struct link_config *c)
{
	c->remote = ip("255.255.255.255");
	c->set |= LINK_P_REMOTE;
}
static void bad_remote_v4mapped(struct link_config *c)
{
	c->remote = ip("::ffff:198.18.0.2");
	c->set |= LINK_P_REMOTE;
}
static void bad_local_loopback(struct link_config *c)
{
	c->local = ip("127.0.0.1");
	c->set |= LINK_P_LOCAL;
}
static void bad_local_zero(struct link_config *c)
{
	c->local = ip("0.0.0.0");
	c->set |= LINK_P_LOCAL;
}
static void bad_group_interface_local(struct link_config *c)
{
	c->group = ip("ff01::100");
	c->set |= LINK_P_GROUP;
}
static void bad_remote_is_local(struct link_config *c)
{
	c->local = c->remote = ip("198.18.0.1");
	c->set |= LINK_P_LOCAL | LINK_P_REMOTE;
}
static void bad_remote_unset_family(struct link_config *c)
{
	c->set |= LINK_P_REMOTE; /* flagged but never filled in */
}
static void bad_ll_local_global_remote(struct link_config *c)
{
	c->local = ip("fe80::1");
	c->remote = ip("2001:db8::2");
	strcpy(c->dev, "eth0");
	c->set |= LINK_P_LOCAL | LINK_P_REMOTE | LINK_P_DEV;
}
static void bad_ll_local_site_group(struct link_config *c)
{
	c->local = ip("fe80::1");
	c->group = ip("ff05::100");
	strcpy(c->dev, "eth0");
	c->set |= LINK_P_LOCAL | LINK_P_GROUP | LINK_P_DEV;
}
static void bad_ll_remote_no_local(struct link_config *c)
{
	c->remote = ip("fe80::2");
	strcpy(c->dev, "eth0");
	c->set |= LINK_P_REMOTE | LINK_P_DEV;
}
static void bad_ll_remote_global_local(struct link_config *c)
{
	c->local = ip("2001:db8::1");
	c->remote = ip("fe80::2");
	strcpy(c->dev, "eth0");
	c->set |= LINK_P_LOCAL | LINK_P_REMOTE | LINK_P_DEV;
}
static void bad_ll_without_dev(struct link_config *c)
{
	c->local = ip("fe80::1");
	c->remote = ip("fe80::2");
	c->set |= LINK_P_LOCAL | LINK_P_REMOTE;
}
static void bad_mtu_v4_max(struct link_config *c)
{
	c->mtu = 65486;
	c->set |= LINK_P_MTU;
}
static void bad_mtu_tap_max(struct link_config *c)
{
	c->mtu = 65521; /* a TAP would take it; the outer IPv4 datagram cannot */
	c->set |= LINK_P_MTU;
}
static void bad_mtu_v6_max(struct link_config *c)
{
	c->remote = ip("2001:db8::2");
	c->mtu = 65466;
	c->set |= LINK_P_REMOTE | LINK_P_MTU;
}
static void bad_mtu_v6_by_group(struct link_config *c)
{
	c->group = ip("ff05::100");
	c->mtu = 65535;
	c->set |= LINK_P_GROUP | LINK_P_MTU;
}

static const struct {
	void (*spoil)(struct link_config *c);
	const char *why;
} check_cases[] = {
    {bad_name_empty, "name must be 1-15 characters"},
    {bad_name_long, "name must be 1-15 characters"},
    {bad_name_slash, "name must not contain '/', ':' or spaces"},
    {bad_vni, "VNI must be below 16777216"},
    {bad_dstport, "dstport must be 1-65535"},
    {bad_remote_group, "remote and group are mutually exclusive"},
    {bad_group_unicast, "group must be a multicast address"},
    {bad_remote_multicast, "remote must be a unicast address"},
    {bad_remote_zero, "remote must not be unspecified (0.0.0.0/8 or ::)"},
    {bad_local_multicast, "local must be a unicast address"},
    {bad_family_mix, "local and remote/group must be the same address family"},
    {bad_family_mix_group, "local and remote/group must be the same address family"},
    {bad_srcport, "srcport MIN must not exceed MAX"},
    {bad_mtu_low, "mtu must be between 68 and 65485 (65535 minus the 50 bytes VXLAN adds over IPv4)"},
    {bad_mtu_high, "mtu must be between 68 and 65485 (65535 minus the 50 bytes VXLAN adds over IPv4)"},
    {bad_address_multicast, "address must be a unicast MAC"},
    {bad_address_zero, "address must be a unicast MAC"},
    {bad_netns_path, "netns must be a name in /run/netns"},
    {bad_dev_empty, "dev must be 1-15 characters"},
    {bad_remote_loopback, "remote must not be a loopback address (the frames would come straight back)"},
    {bad_remote_loopback6, "remote must not be a loopback address (the frames would come straight back)"},
    {bad_remote_broadcast, "remote must not be the broadcast address 255.255.255.255"},
    {bad_remote_v4mapped, "remote must not be an IPv4-mapped or -compatible IPv6 address (give the IPv4 address)"},
    {bad_local_loopback, "local must not be a loopback address (no other host could reach it)"},
    {bad_local_zero, "local must not be unspecified (0.0.0.0/8 or ::)"},
    {bad_group_interface_local, "group must not be of IPv6 multicast scope 0, 1 (interface-local) or 15"},
    {bad_remote_is_local, "remote must not be local (the frames would come straight back)"},
    {bad_remote_unset_family, "remote must be an IPv4 or IPv6 address"},
    {bad_ll_local_global_remote, "a link-local local needs a link-local remote or a link-scope (ff02::/16) group"},
    {bad_ll_local_site_group, "a link-local local needs a link-local remote or a link-scope (ff02::/16) group"},
    {bad_ll_remote_no_local, "a link-local remote needs a link-local local"},
    {bad_ll_remote_global_local, "a link-local remote needs a link-local local"},
    {bad_ll_without_dev, "link-local addresses need dev"},
    {bad_mtu_v4_max, "mtu must be between 68 and 65485 (65535 minus the 50 bytes VXLAN adds over IPv4)"},
    {bad_mtu_tap_max, "mtu must be between 68 and 65485 (65535 minus the 50 bytes VXLAN adds over IPv4)"},
    {bad_mtu_v6_max, "mtu must be between 68 and 65465 (65535 minus the 70 bytes VXLAN adds over IPv6)"},
    {bad_mtu_v6_by_group, "mtu must be between 68 and 65465 (65535 minus the 70 bytes VXLAN adds over IPv6)"},
};

static void test_link_config_check_names_each_inconsistency(void **state)
{
	struct link_config c;
	const char *why;

	(void)state;
	link_config_init(&c);
	strcpy(c.name, "vxlan1");
	why = "untouched";
	assert_int_equal(link_config_check(&c, &why), 0);
	assert_null(why);
	for (size_t i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		link_config_init(&c);
		strcpy(c.name, "vxlan1");
		check_cases[i].spoil(&c);
		why = NULL;
		assert_int_equal(link_config_check(&c, &why), -EINVAL);
		assert_non_null(why);
		assert_string_equal(why, check_cases[i].why);
	}
}

static void test_link_config_check_accepts_edge_values(void **state)
{
	struct link_config c = full_config();

	(void)state;
	c.vni = 16777215;
	c.mtu = 68;
	c.srcport_min = c.srcport_max = 65535;
	assert_int_equal(link_config_check(&c, NULL), 0);
	c.mtu = 65465; /* IPv6 underlay (full_config's group) */
	c.ageing = UINT32_MAX;
	assert_int_equal(link_config_check(&c, NULL), 0);

	/* IPv4, by address or by default */
	link_config_init(&c);
	strcpy(c.name, "vxlan1");
	c.mtu = 65485;
	c.set |= LINK_P_MTU;
	assert_int_equal(link_config_check(&c, NULL), 0);
	c.remote = ip("198.18.0.255"); /* broadcast only if some /24 says so */
	c.local = ip("198.18.0.1");
	c.tos = 0xff; /* the ECN bits are ignored, as by the kernel (proto_outer_tos) */
	c.set |= LINK_P_REMOTE | LINK_P_LOCAL | LINK_P_TOS;
	assert_int_equal(link_config_check(&c, NULL), 0);

	/* the kernel's accepted link-local shapes, all with dev */
	link_config_init(&c);
	strcpy(c.name, "vxlan1");
	strcpy(c.dev, "eth0");
	c.local = ip("fe80::1");
	c.set |= LINK_P_LOCAL | LINK_P_DEV;
	assert_int_equal(link_config_check(&c, NULL), 0);
	c.remote = ip("fe80::2");
	c.set |= LINK_P_REMOTE;
	assert_int_equal(link_config_check(&c, NULL), 0);
	c.remote.family = AF_UNSPEC;
	c.set &= ~(unsigned)LINK_P_REMOTE;
	c.group = ip("ff02::5");
	c.set |= LINK_P_GROUP;
	assert_int_equal(link_config_check(&c, NULL), 0);
	c.local = ip("2001:db8::1"); /* a link-scope group with a global local */
	assert_int_equal(link_config_check(&c, NULL), 0);
}

static void test_link_config_mtu_max_is_the_outer_packet_on_both_datapaths(void **state)
{
	struct link_config c;

	(void)state;
	/* 65535 - (IPv4 20 | IPv6 40) - UDP 8 - VXLAN 8 - Ethernet 14 */
	assert_int_equal(link_config_mtu_max(AF_INET, false), 65485);
	assert_int_equal(link_config_mtu_max(AF_INET, true), 65485);
	assert_int_equal(link_config_mtu_max(AF_INET6, false), 65465);
	assert_int_equal(link_config_mtu_max(AF_INET6, true), 65465);
	/* both under what a TAP takes (65521) and a vxlan device (65535) */
	assert_true(link_config_mtu_max(AF_INET, false) <= 65521);
	assert_int_equal(link_config_mtu_max(AF_UNSPEC, false), 65485);

	link_config_init(&c);
	assert_int_equal(link_config_family(&c), AF_INET);
	c.group = ip("ff05::1");
	assert_int_equal(link_config_family(&c), AF_INET6);
	c.remote = ip("198.18.0.2"); /* inconsistent, but the order is local, remote, group */
	assert_int_equal(link_config_family(&c), AF_INET);
	c.local = ip("2001:db8::1");
	assert_int_equal(link_config_family(&c), AF_INET6);
}

static void test_names_cover_every_counter_and_event(void **state)
{
	(void)state;
	assert_string_equal(ctl_origin_name(FDB_ORIGIN_STORE), "store");
	assert_string_equal(ctl_origin_name(CTL_ORIGIN_OTHER), "other");
	assert_null(ctl_origin_name(CTL_ORIGIN_OTHER + 1));
	assert_null(ctl_origin_name(FDB_ORIGIN_MAX));
	assert_null(ctl_event_name(0));
	for (int i = 1; i <= CTL_EVENT_MAX; i++)
		assert_non_null(ctl_event_name(i));
	assert_null(ctl_event_name(CTL_EVENT_MAX + 1));
	assert_string_equal(ctl_event_name(CTL_EVENT_LEARNED), "learned");
	assert_string_equal(ctl_event_name(CTL_EVENT_NEIGH_ADDED), "neigh-added");
	assert_string_equal(ctl_event_name(CTL_EVENT_LINK_RESTORED), "link-restored");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_attribute_kind_round_trips),
	    cmocka_unit_test(test_getters_report_absent_and_wrong_width),
	    cmocka_unit_test(test_builder_refuses_what_does_not_fit),
	    cmocka_unit_test(test_parse_refuses_broken_framing),
	    cmocka_unit_test(test_parse_refuses_unknown_message_types),
	    cmocka_unit_test(test_parse_skip_unknown_keeps_known_attributes),
	    cmocka_unit_test(test_parse_checks_each_attribute_type),
	    cmocka_unit_test(test_parse_refuses_duplicate_attribute),
	    cmocka_unit_test(test_link_config_round_trips_every_parameter),
	    cmocka_unit_test(test_link_config_unset_parameters_keep_defaults),
	    cmocka_unit_test(test_link_config_needs_name_vni_and_whole_srcport),
	    cmocka_unit_test(test_fdb_req_round_trips_with_and_without_options),
	    cmocka_unit_test(test_neigh_req_round_trips_with_and_without_mac),
	    cmocka_unit_test(test_link_config_check_names_each_inconsistency),
	    cmocka_unit_test(test_link_config_check_accepts_edge_values),
	    cmocka_unit_test(test_link_config_mtu_max_is_the_outer_packet_on_both_datapaths),
	    cmocka_unit_test(test_names_cover_every_counter_and_event),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
