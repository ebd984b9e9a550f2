/* ctl: the codec of the control protocol between `vxnet` and `vxnetd`:
 * building messages, parsing them strictly (this is the daemon's front door
 * for anything a local user sends, so it is fuzzed), and the conversions
 * between attributes and the request objects (fdb_req, neigh_req).
 * link_config lives in link_config.c. */
#include <errno.h>
#include <string.h>

#include "vxnet/ctl.h"
#include "vxnet/fdb.h"

/* Attribute header on the wire: u16 len (header + payload, unpadded), u16 type. */
#define CTL_ATTR_HLEN 4
#define CTL_ALIGN(n) (((n) + 3u) & ~(size_t)3u)

_Static_assert(sizeof(struct ctl_hdr) == CTL_HDR_LEN, "ctl_hdr must be 16 bytes, no padding");

/* What the parser accepts for each attribute type. */
enum ctl_kind {
	K_NONE, /* unknown type: refused */
	K_U8,
	K_BOOL, /* u8 0/1 */
	K_U16,
	K_U32,
	K_VNI, /* u32 <= 0xffffff */
	K_U64,
	K_ADDR,
	K_MAC,
	K_STR,
	K_STAT,  /* u64 then a counter name (STR); repeatable */
};

struct ctl_policy {
	enum ctl_kind kind;
	uint16_t max; /* K_STR: buffer size (string length < max); K_U8: largest value */
	uint16_t min; /* K_U8: smallest value */
};

static const struct ctl_policy ctl_policy[CTL_A_MAX + 1] = {
    [CTL_A_IFNAME] = {K_STR, IFNAMSIZ, 0},
    [CTL_A_VNI] = {K_VNI, 0, 0},
    [CTL_A_DSTPORT] = {K_U16, 0, 0},
    [CTL_A_LOCAL] = {K_ADDR, 0, 0},
    [CTL_A_REMOTE] = {K_ADDR, 0, 0},
    [CTL_A_GROUP] = {K_ADDR, 0, 0},
    [CTL_A_DEV] = {K_STR, IFNAMSIZ, 0},
    [CTL_A_LEARNING] = {K_BOOL, 0, 0},
    [CTL_A_PROXY] = {K_BOOL, 0, 0},
    [CTL_A_AGEING] = {K_U32, 0, 0},
    [CTL_A_MAXADDR] = {K_U32, 0, 0},
    [CTL_A_TTL] = {K_U8, 255, 0},
    [CTL_A_TOS] = {K_U8, 255, 0},
    [CTL_A_TOS_INHERIT] = {K_BOOL, 0, 0},
    [CTL_A_SRCPORT_MIN] = {K_U16, 0, 0},
    [CTL_A_SRCPORT_MAX] = {K_U16, 0, 0},
    [CTL_A_MTU] = {K_U32, 0, 0},
    [CTL_A_ADDRESS] = {K_MAC, 0, 0},
    [CTL_A_NETNS] = {K_STR, CTL_NETNS_LEN, 0},
    [CTL_A_IFINDEX] = {K_U32, 0, 0},
    [CTL_A_LLADDR] = {K_MAC, 0, 0},
    [CTL_A_DST] = {K_ADDR, 0, 0},
    [CTL_A_PORT] = {K_U16, 0, 0},
    [CTL_A_RVNI] = {K_VNI, 0, 0},
    [CTL_A_STATE] = {K_U8, FDB_STATE_REACHABLE, 1},
    [CTL_A_AGE_MS] = {K_U64, 0, 0},
    [CTL_A_EVENT] = {K_U8, CTL_EVENT_MAX, 1},
    [CTL_A_ERRMSG] = {K_STR, CTL_ERRMSG_LEN, 0},
    [CTL_A_STATS] = {K_STAT, CTL_STAT_NAME_LEN, 0},
    [CTL_A_SOCKSTATS] = {K_STAT, CTL_STAT_NAME_LEN, 0},
    [CTL_A_OPER_MTU] = {K_U32, 0, 0},
    [CTL_A_DATAPATH] = {K_U8, LINK_DP_MAX, 0},
    [CTL_A_ORIGIN] = {K_U8, CTL_ORIGIN_OTHER, 0},
    [CTL_A_DF] = {K_U8, 2, 0},
    [CTL_A_LOCALBYPASS] = {K_BOOL, 0, 0},
    [CTL_A_NETWORK] = {K_STR, CTL_NAME_LEN, 0},
    [CTL_A_SUBNET] = {K_STR, CTL_NAME_LEN, 0},
    [CTL_A_HOST] = {K_STR, CTL_NAME_LEN, 0},
    [CTL_A_NSPATH] = {K_STR, CTL_PATH_LEN, 0},
    [CTL_A_PREFIXLEN] = {K_U8, 128, 0},
    [CTL_A_COUNT] = {K_U32, 0, 0},
    [CTL_A_URL] = {K_STR, CTL_PATH_LEN, 0},
    [CTL_A_UP] = {K_BOOL, 0, 0},
    [CTL_A_LEASE] = {K_U64, 0, 0},
    [CTL_A_REVISION] = {K_U64, 0, 0},
};

static const char *const ctl_event_names[CTL_EVENT_MAX + 1] = {
    [CTL_EVENT_LEARNED] = "learned",
    [CTL_EVENT_MOVED] = "moved",
    [CTL_EVENT_AGED] = "aged",
    [CTL_EVENT_DELETED] = "deleted",
    [CTL_EVENT_ADDED] = "added",
    [CTL_EVENT_L2MISS] = "l2miss",
    [CTL_EVENT_L3MISS] = "l3miss",
    [CTL_EVENT_NEIGH_ADDED] = "neigh-added",
    [CTL_EVENT_NEIGH_DELETED] = "neigh-deleted",
    [CTL_EVENT_LINK_ADDED] = "link-added",
    [CTL_EVENT_LINK_DELETED] = "link-deleted",
    [CTL_EVENT_RESTORED] = "restored",
    [CTL_EVENT_NEIGH_RESTORED] = "neigh-restored",
    [CTL_EVENT_LINK_RESTORED] = "link-restored",
    [CTL_EVENT_LINK_CHANGED] = "link-changed",
};

static const char *const ctl_origin_names[] = {
    [FDB_ORIGIN_USER] = "user",
    [FDB_ORIGIN_LEARNED] = "learned",
    [FDB_ORIGIN_LINK] = "link",
    [FDB_ORIGIN_STORE] = "store",
    [CTL_ORIGIN_OTHER] = "other",
};

const char *ctl_origin_name(unsigned origin)
{
	if (origin >= sizeof(ctl_origin_names) / sizeof(ctl_origin_names[0]))
		return NULL;
	return ctl_origin_names[origin];
}

const char *ctl_event_name(enum ctl_event e)
{
	if ((unsigned)e > CTL_EVENT_MAX)
		return NULL;
	return ctl_event_names[e];
}

/* ---- Building ---- */

/* Never build what no peer would accept. */
static size_t ctl_msg_limit(const struct ctl_msg *m)
{
	return m->cap < CTL_MSG_MAX ? m->cap : CTL_MSG_MAX;
}

int ctl_msg_init(struct ctl_msg *m, void *buf, size_t cap, uint16_t type, uint32_t seq)
{
	struct ctl_hdr h = {.len = CTL_HDR_LEN, .version = CTL_VERSION, .type = type, .seq = seq, .status = 0};

	if (!buf || cap < CTL_HDR_LEN)
		return -ENOSPC;
	m->buf = buf;
	m->cap = cap;
	m->len = CTL_HDR_LEN;
	memcpy(m->buf, &h, sizeof(h));
	return 0;
}

void ctl_msg_set_status(struct ctl_msg *m, int32_t status)
{
	memcpy(m->buf + offsetof(struct ctl_hdr, status), &status, sizeof(status));
}

int ctl_put(struct ctl_msg *m, uint16_t type, const void *data, uint16_t len)
{
	size_t alen = (size_t)CTL_ATTR_HLEN + len;
	size_t padded = CTL_ALIGN(alen);
	uint16_t hdr[2];

	if (alen > UINT16_MAX || m->len > ctl_msg_limit(m) || padded > ctl_msg_limit(m) - m->len)
		return -EMSGSIZE;
	hdr[0] = (uint16_t)alen;
	hdr[1] = type;
	memcpy(m->buf + m->len, hdr, sizeof(hdr));
	if (len)
		memcpy(m->buf + m->len + CTL_ATTR_HLEN, data, len);
	memset(m->buf + m->len + alen, 0, padded - alen);
	m->len += padded;
	return 0;
}

int ctl_put_u8(struct ctl_msg *m, uint16_t type, uint8_t v)
{
	return ctl_put(m, type, &v, sizeof(v));
}

int ctl_put_u16(struct ctl_msg *m, uint16_t type, uint16_t v)
{
	return ctl_put(m, type, &v, sizeof(v));
}

int ctl_put_u32(struct ctl_msg *m, uint16_t type, uint32_t v)
{
	return ctl_put(m, type, &v, sizeof(v));
}

int ctl_put_u64(struct ctl_msg *m, uint16_t type, uint64_t v)
{
	return ctl_put(m, type, &v, sizeof(v));
}

int ctl_put_str(struct ctl_msg *m, uint16_t type, const char *s)
{
	size_t n = strlen(s) + 1;

	/* Refuse here what the peer's parser would refuse, so the error
	 * surfaces at the sender rather than as a "bad message". */
	if (type <= CTL_A_MAX && ctl_policy[type].kind == K_STR && n > ctl_policy[type].max)
		return -EINVAL;
	if (n > UINT16_MAX - CTL_ATTR_HLEN)
		return -EMSGSIZE;
	return ctl_put(m, type, s, (uint16_t)n);
}

int ctl_put_addr(struct ctl_msg *m, uint16_t type, const struct vx_addr *a)
{
	if (a->family == AF_INET)
		return ctl_put(m, type, &a->v4, 4);
	if (a->family == AF_INET6)
		return ctl_put(m, type, &a->v6, 16);
	return -EINVAL;
}

int ctl_put_mac(struct ctl_msg *m, uint16_t type, const uint8_t mac[MAC_LEN])
{
	return ctl_put(m, type, mac, MAC_LEN);
}

size_t ctl_msg_finish(struct ctl_msg *m)
{
	uint32_t len = (uint32_t)m->len;

	memcpy(m->buf + offsetof(struct ctl_hdr, len), &len, sizeof(len));
	return m->len;
}

/* ---- Parsing ---- */

static bool ctl_msg_type_known(uint16_t t)
{
	return (t >= CTL_MSG_LINK_ADD && t <= CTL_MSG_REQ_MAX) || (t >= CTL_MSG_DONE && t <= CTL_MSG_TYPE_MAX);
}

/* A counter name: 1-31 bytes of [a-z0-9_], NUL-terminated at d[n-1]. */
static bool ctl_stat_name_valid(const uint8_t *d, size_t n)
{
	if (n < 2 || n > CTL_STAT_NAME_LEN || d[n - 1] != 0)
		return false;
	for (size_t i = 0; i + 1 < n; i++)
		if (!((d[i] >= 'a' && d[i] <= 'z') || (d[i] >= '0' && d[i] <= '9') || d[i] == '_'))
			return false;
	return true;
}

/* Is the payload of an attribute of type t acceptable? */
static bool ctl_attr_valid(uint16_t t, const uint8_t *d, uint16_t n)
{
	const struct ctl_policy *pol = &ctl_policy[t];
	const uint8_t *nul;
	uint32_t v32;

	switch (pol->kind) {
	case K_U8:
		return n == 1 && d[0] >= pol->min && d[0] <= pol->max;
	case K_BOOL:
		return n == 1 && d[0] <= 1;
	case K_U16:
		return n == 2;
	case K_U32:
		return n == 4;
	case K_VNI:
		if (n != 4)
			return false;
		memcpy(&v32, d, 4);
		return v32 <= 0xffffffu;
	case K_U64:
		return n == 8;
	case K_ADDR:
		return n == 4 || n == 16;
	case K_MAC:
		return n == MAC_LEN;
	case K_STR:
		/* Exactly one NUL, the last byte: no embedded NULs, no
		 * trailing garbage, and short enough for the receiver's buffer. */
		if (n == 0 || n > pol->max)
			return false;
		nul = memchr(d, 0, n);
		return nul == d + n - 1;
	case K_STAT:
		return n > 8 && ctl_stat_name_valid(d + 8, (size_t)n - 8);
	case K_NONE:
		break;
	}
	return false;
}

int ctl_parse(const void *buf, size_t len, struct ctl_parsed *p)
{
	return ctl_parse_opts(buf, len, p, 0);
}

int ctl_parse_opts(const void *buf, size_t len, struct ctl_parsed *p, unsigned flags)
{
	const uint8_t *b = buf;
	size_t off = CTL_HDR_LEN;

	memset(p, 0, sizeof(*p));
	if (!b || len < CTL_HDR_LEN)
		return -EBADMSG;
	memcpy(&p->hdr, b, CTL_HDR_LEN);
	/* Version first: a peer of another version may frame differently,
	 * and "version mismatch" is the useful diagnostic then. */
	if (p->hdr.version != CTL_VERSION)
		return -EPROTO;
	if (len > CTL_MSG_MAX || p->hdr.len != len)
		return -EBADMSG;
	if (!ctl_msg_type_known(p->hdr.type))
		return -EOPNOTSUPP;
	p->attrs = b + CTL_HDR_LEN;
	p->attrs_len = len - CTL_HDR_LEN;
	while (off < len) {
		uint16_t ah[2];

		if (len - off < CTL_ATTR_HLEN)
			return -EBADMSG;
		memcpy(ah, b + off, sizeof(ah));
		if (ah[0] < CTL_ATTR_HLEN || ah[0] > len - off || CTL_ALIGN(ah[0]) > len - off)
			return -EBADMSG;
		if (ah[1] == CTL_A_UNSPEC)
			return -EINVAL;
		if (ah[1] > CTL_A_MAX) {
			if (!(flags & CTL_PARSE_SKIP_UNKNOWN))
				return -ENOPROTOOPT;
			off += CTL_ALIGN(ah[0]);
			continue;
		}
		bool repeatable = ctl_policy[ah[1]].kind == K_STAT;
		if (p->attr[ah[1]].data && !repeatable)
			return -EINVAL;
		if (!ctl_attr_valid(ah[1], b + off + CTL_ATTR_HLEN, (uint16_t)(ah[0] - CTL_ATTR_HLEN)))
			return -EINVAL;
		if (!p->attr[ah[1]].data) {
			p->attr[ah[1]].len = (uint16_t)(ah[0] - CTL_ATTR_HLEN);
			p->attr[ah[1]].data = b + off + CTL_ATTR_HLEN;
		}
		off += CTL_ALIGN(ah[0]);
	}
	return 0;
}

bool ctl_has(const struct ctl_parsed *p, uint16_t type)
{
	return type <= CTL_A_MAX && p->attr[type].data != NULL;
}

/* The attribute's payload if present with exactly len bytes. */
static int ctl_get_fixed(const struct ctl_parsed *p, uint16_t type, void *v, size_t len)
{
	if (type > CTL_A_MAX)
		return -EINVAL;
	if (!p->attr[type].data)
		return -ENOENT;
	if (p->attr[type].len != len)
		return -EINVAL;
	memcpy(v, p->attr[type].data, len);
	return 0;
}

int ctl_get_u8(const struct ctl_parsed *p, uint16_t type, uint8_t *v)
{
	return ctl_get_fixed(p, type, v, sizeof(*v));
}

int ctl_get_u16(const struct ctl_parsed *p, uint16_t type, uint16_t *v)
{
	return ctl_get_fixed(p, type, v, sizeof(*v));
}

int ctl_get_u32(const struct ctl_parsed *p, uint16_t type, uint32_t *v)
{
	return ctl_get_fixed(p, type, v, sizeof(*v));
}

int ctl_get_u64(const struct ctl_parsed *p, uint16_t type, uint64_t *v)
{
	return ctl_get_fixed(p, type, v, sizeof(*v));
}

int ctl_get_str(const struct ctl_parsed *p, uint16_t type, const char **s)
{
	const struct ctl_attr *a;

	if (type > CTL_A_MAX)
		return -EINVAL;
	a = &p->attr[type];
	if (!a->data)
		return -ENOENT;
	if (ctl_policy[type].kind != K_STR)
		return -EINVAL;
	/* ctl_parse guarantees this; a hand-made ctl_parsed may not. */
	if (a->len == 0 || a->data[a->len - 1] != '\0')
		return -EINVAL;
	*s = (const char *)a->data;
	return 0;
}

int ctl_get_addr(const struct ctl_parsed *p, uint16_t type, struct vx_addr *a)
{
	const struct ctl_attr *at;

	if (type > CTL_A_MAX)
		return -EINVAL;
	at = &p->attr[type];
	if (!at->data)
		return -ENOENT;
	if (at->len == 4) {
		memset(a, 0, sizeof(*a));
		a->family = AF_INET;
		memcpy(&a->v4, at->data, 4);
		return 0;
	}
	if (at->len == 16) {
		memset(a, 0, sizeof(*a));
		a->family = AF_INET6;
		memcpy(&a->v6, at->data, 16);
		return 0;
	}
	return -EINVAL;
}

int ctl_get_mac(const struct ctl_parsed *p, uint16_t type, uint8_t mac[MAC_LEN])
{
	return ctl_get_fixed(p, type, mac, MAC_LEN);
}

int ctl_put_stat(struct ctl_msg *m, uint16_t type, const char *name, uint64_t v)
{
	uint8_t buf[8 + CTL_STAT_NAME_LEN];
	size_t n = strlen(name) + 1;

	if (type > CTL_A_MAX || ctl_policy[type].kind != K_STAT || n > CTL_STAT_NAME_LEN ||
	    !ctl_stat_name_valid((const uint8_t *)name, n))
		return -EINVAL;
	memcpy(buf, &v, 8);
	memcpy(buf + 8, name, n);
	return ctl_put(m, type, buf, (uint16_t)(8 + n));
}

unsigned ctl_foreach_stat(const struct ctl_parsed *p, uint16_t type, ctl_stat_cb cb, void *arg)
{
	unsigned count = 0;
	size_t off = 0;

	if (!p->attrs || type > CTL_A_MAX || ctl_policy[type].kind != K_STAT)
		return 0;
	/* ctl_parse checked the framing and every STAT payload. */
	while (p->attrs_len - off >= CTL_ATTR_HLEN) {
		uint16_t ah[2];
		uint64_t v;

		memcpy(ah, p->attrs + off, sizeof(ah));
		if (ah[0] < CTL_ATTR_HLEN || ah[0] > p->attrs_len - off)
			break;
		if (ah[1] == type) {
			memcpy(&v, p->attrs + off + CTL_ATTR_HLEN, 8);
			cb((const char *)p->attrs + off + CTL_ATTR_HLEN + 8, v, arg);
			count++;
		}
		off += CTL_ALIGN(ah[0]);
	}
	return count;
}

int ctl_get_strbuf(const struct ctl_parsed *p, uint16_t type, char *buf, size_t size)
{
	const char *s;
	size_t n;
	int err = ctl_get_str(p, type, &s);

	if (err)
		return err;
	n = strlen(s);
	if (n >= size)
		return -EINVAL;
	memcpy(buf, s, n + 1);
	return 0;
}

int ctl_put_fdb_req(struct ctl_msg *m, const struct fdb_req *r)
{
	size_t start = m->len;
	int err;

	err = ctl_put_str(m, CTL_A_IFNAME, r->dev);
	if (!err)
		err = ctl_put_mac(m, CTL_A_LLADDR, r->mac);
	if (!err && (r->set & FDB_P_DST))
		err = ctl_put_addr(m, CTL_A_DST, &r->dst);
	if (!err && (r->set & FDB_P_PORT))
		err = ctl_put_u16(m, CTL_A_PORT, r->port);
	if (!err && (r->set & FDB_P_VNI))
		err = ctl_put_u32(m, CTL_A_RVNI, r->vni);
	if (err)
		m->len = start;
	return err;
}

int ctl_get_fdb_req(const struct ctl_parsed *p, struct fdb_req *r)
{
	struct fdb_req t;
	int err;

	memset(&t, 0, sizeof(t));
	err = ctl_get_strbuf(p, CTL_A_IFNAME, t.dev, sizeof(t.dev));
	if (!err)
		err = ctl_get_mac(p, CTL_A_LLADDR, t.mac);
	if (err)
		return -EINVAL;
	err = ctl_get_addr(p, CTL_A_DST, &t.dst);
	if (!err)
		t.set |= FDB_P_DST;
	else if (err != -ENOENT)
		return -EINVAL;
	err = ctl_get_u16(p, CTL_A_PORT, &t.port);
	if (!err)
		t.set |= FDB_P_PORT;
	else if (err != -ENOENT)
		return -EINVAL;
	err = ctl_get_u32(p, CTL_A_RVNI, &t.vni);
	if (!err)
		t.set |= FDB_P_VNI;
	else if (err != -ENOENT)
		return -EINVAL;
	*r = t;
	return 0;
}

int ctl_put_neigh_req(struct ctl_msg *m, const struct neigh_req *r)
{
	size_t start = m->len;
	int err;

	err = ctl_put_str(m, CTL_A_IFNAME, r->dev);
	if (!err)
		err = ctl_put_addr(m, CTL_A_DST, &r->ip);
	if (!err && r->has_mac)
		err = ctl_put_mac(m, CTL_A_LLADDR, r->mac);
	if (err)
		m->len = start;
	return err;
}

int ctl_get_neigh_req(const struct ctl_parsed *p, struct neigh_req *r)
{
	struct neigh_req t;
	int err;

	memset(&t, 0, sizeof(t));
	err = ctl_get_strbuf(p, CTL_A_IFNAME, t.dev, sizeof(t.dev));
	if (!err)
		err = ctl_get_addr(p, CTL_A_DST, &t.ip);
	if (err)
		return -EINVAL;
	err = ctl_get_mac(p, CTL_A_LLADDR, t.mac);
	if (!err)
		t.has_mac = true;
	else if (err != -ENOENT)
		return -EINVAL;
	*r = t;
	return 0;
}
