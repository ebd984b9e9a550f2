/* ctl: the control protocol between `vxnet` and `vxnetd`, over a UNIX
 * SOCK_SEQPACKET socket (one message per datagram).
 *
 * A message is a 16-byte header followed by attributes (TLVs, netlink
 * style). Every length is checked before use. The parser is fuzzed
 * (tests/fuzz/fuzz_ctl.c).
 *
 * Growing the protocol: CTL_VERSION changes only for an incompatible
 * framing. New message types and attributes are added at the end. The
 * daemon parses requests strictly: an unknown message type (-EOPNOTSUPP) or
 * attribute (-ENOPROTOOPT) is refused with a reason naming the cause, so a
 * newer CLI gets "not supported by this vxnetd" instead of being half
 * understood, and works wherever the request is understood. The CLI parses
 * replies and events with CTL_PARSE_SKIP_UNKNOWN: a newer daemon's extra
 * attributes are ignored.
 *
 * Exchange: the client sends one request; the daemon answers with zero or
 * more object messages (CTL_MSG_LINK/FDB/NEIGH) and then CTL_MSG_DONE whose
 * status is 0 or -errno and which may carry CTL_A_ERRMSG, a one-line reason.
 * CTL_MSG_MONITOR is answered by DONE and then a stream of CTL_MSG_EVENT. */
#ifndef VXNET_CTL_H
#define VXNET_CTL_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vxnet/addr.h"

#define CTL_VERSION 1
#define CTL_HDR_LEN 16
#define CTL_MSG_MAX 8192 /* largest message either side sends or accepts */
#define CTL_DEFAULT_SOCKET "/run/vxnet/vxnetd.sock"
#define CTL_NETNS_LEN 64
#define CTL_ERRMSG_LEN 256
#define CTL_NAME_LEN 64
#define CTL_PATH_LEN 256

/* Wire header, all fields in host byte order (the socket never leaves the host). */
struct ctl_hdr {
	uint32_t len;     /* whole message, header included */
	uint16_t version; /* CTL_VERSION */
	uint16_t type;    /* enum ctl_msg_type */
	uint32_t seq;     /* echoed in every reply */
	int32_t status;   /* replies: 0 or -errno; requests: 0 */
};

enum ctl_msg_type {
	CTL_MSG_LINK_ADD = 1,
	CTL_MSG_LINK_DEL,
	CTL_MSG_LINK_SHOW, /* CTL_A_IFNAME optional: one link or all */
	CTL_MSG_FDB_ADD,
	CTL_MSG_FDB_APPEND,
	CTL_MSG_FDB_REPLACE,
	CTL_MSG_FDB_DEL,
	CTL_MSG_FDB_SHOW, /* CTL_A_IFNAME optional */
	CTL_MSG_NEIGH_ADD,
	CTL_MSG_NEIGH_REPLACE,
	CTL_MSG_NEIGH_DEL,
	CTL_MSG_NEIGH_SHOW, /* CTL_A_IFNAME optional */
	CTL_MSG_MONITOR,
	CTL_MSG_LINK_SET,       /* change a live link: CTL_A_IFNAME and what changes */
	CTL_MSG_NETWORK_CREATE, /* cluster: CTL_A_NETWORK, CTL_A_VNI, CTL_A_SUBNET [MTU DSTPORT DATAPATH] */
	CTL_MSG_NETWORK_DEL,    /* cluster: CTL_A_NETWORK */
	CTL_MSG_NETWORK_SHOW,   /* cluster: CTL_A_NETWORK optional */
	CTL_MSG_ATTACH,         /* cluster: CTL_A_NSPATH, CTL_A_NETWORK [DST+PREFIXLEN LLADDR IFNAME] */
	CTL_MSG_DETACH,         /* cluster: CTL_A_NSPATH, CTL_A_NETWORK */
	CTL_MSG_REQ_MAX = CTL_MSG_DETACH, /* the last request type */
	/* daemon -> client */
	CTL_MSG_DONE = 64,
	CTL_MSG_LINK,
	CTL_MSG_FDB,
	CTL_MSG_NEIGH,
	CTL_MSG_EVENT,
	CTL_MSG_NETWORK,  /* one network (network show) */
	CTL_MSG_ENDPOINT, /* one endpoint (network show, attach) */
	CTL_MSG_STORE,    /* the cluster store as this daemon sees it (network show): URL UP HOST LEASE REVISION STATS */
	CTL_MSG_TYPE_MAX = CTL_MSG_STORE,
};

/* Attribute types. The payload size is fixed per type (checked by the
 * parser): u8/u16/u32/u64 as named, ADDR = 4 or 16 bytes (the family follows
 * from the length), MAC = 6 bytes, STR = NUL-terminated within the attribute. */
enum ctl_attr_type {
	CTL_A_UNSPEC,
	CTL_A_IFNAME,       /* STR, < IFNAMSIZ */
	CTL_A_VNI,          /* u32, <= 0xffffff */
	CTL_A_DSTPORT,      /* u16 */
	CTL_A_LOCAL,        /* ADDR */
	CTL_A_REMOTE,       /* ADDR */
	CTL_A_GROUP,        /* ADDR */
	CTL_A_DEV,          /* STR, < IFNAMSIZ */
	CTL_A_LEARNING,     /* u8 0/1 */
	CTL_A_PROXY,        /* u8 0/1 */
	CTL_A_AGEING,       /* u32 seconds */
	CTL_A_MAXADDR,      /* u32 */
	CTL_A_TTL,          /* u8; 0 = auto */
	CTL_A_TOS,          /* u8 */
	CTL_A_TOS_INHERIT,  /* u8 0/1 */
	CTL_A_SRCPORT_MIN,  /* u16 */
	CTL_A_SRCPORT_MAX,  /* u16 */
	CTL_A_MTU,          /* u32 */
	CTL_A_ADDRESS,      /* MAC: the link's own address */
	CTL_A_NETNS,        /* STR, < CTL_NETNS_LEN */
	CTL_A_IFINDEX,      /* u32 */
	CTL_A_LLADDR,       /* MAC: fdb/neigh entry's MAC */
	CTL_A_DST,          /* ADDR: fdb remote / neigh IP */
	CTL_A_PORT,         /* u16: fdb remote port */
	CTL_A_RVNI,         /* u32: fdb remote VNI */
	CTL_A_STATE,        /* u8: enum fdb_state */
	CTL_A_AGE_MS,       /* u64: ms since the entry was last updated */
	CTL_A_EVENT,        /* u8: enum ctl_event */
	CTL_A_ERRMSG,       /* STR, < CTL_ERRMSG_LEN */
	CTL_A_STATS,        /* repeatable: u64 value then the counter's name (STR) */
	CTL_A_SOCKSTATS,    /* repeatable, as STATS: the counters of the link's UDP socket */
	CTL_A_OPER_MTU,     /* u32: the device's current MTU */
	CTL_A_DATAPATH,     /* u8: enum link_datapath */
	CTL_A_ORIGIN,       /* u8: enum fdb_origin of an fdb/neigh entry (CTL_ORIGIN_OTHER: not vxnet's) */
	CTL_A_DF,           /* u8: enum link_df */
	CTL_A_LOCALBYPASS,  /* u8 0/1 */
	CTL_A_NETWORK,      /* STR, < CTL_NAME_LEN: a cluster network */
	CTL_A_SUBNET,       /* STR, < CTL_NAME_LEN: "ADDR/PLEN" */
	CTL_A_HOST,         /* STR, < CTL_NAME_LEN: a cluster host */
	CTL_A_NSPATH,       /* STR, < CTL_PATH_LEN: a netns name under /run/netns or a path */
	CTL_A_PREFIXLEN,    /* u8 */
	CTL_A_COUNT,        /* u32 */
	CTL_A_URL,          /* STR, < CTL_PATH_LEN: the cluster store's URL */
	CTL_A_UP,           /* u8 0/1: the cluster store answers */
	CTL_A_LEASE,        /* u64: this host's lease in the store (0: none yet) */
	CTL_A_REVISION,     /* u64: the store revision this daemon's view is at */
	CTL_A_MAX = CTL_A_REVISION,
};

/* Counters travel as name/value pairs (CTL_A_STATS for the link,
 * CTL_A_SOCKSTATS for the underlay socket it shares), each datapath naming
 * its own: a CLI prints counters it has never heard of, and a datapath adds
 * counters without a protocol change. A name is 1-31 bytes of [a-z0-9_]. */
#define CTL_STAT_NAME_LEN 32

enum ctl_event {
	CTL_EVENT_LEARNED = 1, /* fdb entry learned */
	CTL_EVENT_MOVED,       /* learned entry moved to another remote */
	CTL_EVENT_AGED,        /* learned entry aged out */
	CTL_EVENT_DELETED,     /* entry or remote deleted by a user */
	CTL_EVENT_ADDED,       /* entry added/replaced/appended by a user */
	CTL_EVENT_L2MISS,      /* unicast to an unknown MAC, nothing to flood to */
	CTL_EVENT_L3MISS,      /* ARP/NS with proxy on and no neigh entry */
	CTL_EVENT_NEIGH_ADDED,
	CTL_EVENT_NEIGH_DELETED,
	CTL_EVENT_LINK_ADDED,
	CTL_EVENT_LINK_DELETED,
	CTL_EVENT_RESTORED,      /* an entry or link changed behind vxnet's back was put back */
	CTL_EVENT_NEIGH_RESTORED,
	CTL_EVENT_LINK_RESTORED,
	CTL_EVENT_LINK_CHANGED,  /* link set */
	CTL_EVENT_MAX = CTL_EVENT_LINK_CHANGED,
};

const char *ctl_event_name(enum ctl_event e);       /* "learned", ... ; NULL if unknown */

/* ---- Building a message ---- */
struct ctl_msg {
	uint8_t *buf;
	size_t cap;
	size_t len; /* bytes used so far, header included */
};
/* Start a message of type in buf (cap >= CTL_HDR_LEN). 0 or -ENOSPC. */
int ctl_msg_init(struct ctl_msg *m, void *buf, size_t cap, uint16_t type, uint32_t seq);
void ctl_msg_set_status(struct ctl_msg *m, int32_t status);
/* Append an attribute, padded to 4 bytes. 0 or -EMSGSIZE (message unchanged). */
int ctl_put(struct ctl_msg *m, uint16_t type, const void *data, uint16_t len);
int ctl_put_u8(struct ctl_msg *m, uint16_t type, uint8_t v);
int ctl_put_u16(struct ctl_msg *m, uint16_t type, uint16_t v);
int ctl_put_u32(struct ctl_msg *m, uint16_t type, uint32_t v);
int ctl_put_u64(struct ctl_msg *m, uint16_t type, uint64_t v);
/* Also -EINVAL if s is too long for a string attribute type (IFNAME, DEV:
 * < IFNAMSIZ; NETNS: < CTL_NETNS_LEN; ERRMSG: < CTL_ERRMSG_LEN), since the
 * peer's parser would refuse the whole message. */
int ctl_put_str(struct ctl_msg *m, uint16_t type, const char *s);
int ctl_put_addr(struct ctl_msg *m, uint16_t type, const struct vx_addr *a); /* -EINVAL for AF_UNSPEC */
int ctl_put_mac(struct ctl_msg *m, uint16_t type, const uint8_t mac[MAC_LEN]);
/* Write the final length into the header; returns the length to send. */
size_t ctl_msg_finish(struct ctl_msg *m);

/* ---- Parsing a message ---- */
struct ctl_attr {
	uint16_t len; /* payload length */
	const uint8_t *data;
};
struct ctl_parsed {
	struct ctl_hdr hdr;
	struct ctl_attr attr[CTL_A_MAX + 1]; /* data == NULL: absent; repeatable types: the first */
	const uint8_t *attrs;                /* every attribute, for repeatable types */
	size_t attrs_len;
};
enum ctl_parse_flags {
	CTL_PARSE_SKIP_UNKNOWN = 1u << 0, /* ignore attribute types above CTL_A_MAX (replies from a newer daemon) */
};
/* Parse and validate buf[0..len): header length equals len, version,
 * known message type, every attribute within bounds, of a known type, of the
 * right size for its type, present at most once, strings NUL-terminated and
 * short enough. Pointers in *p point into buf.
 * Values are checked too: VNI and RVNI <= 0xffffff, LEARNING, PROXY and
 * TOS_INHERIT 0/1, STATE a known enum fdb_state, EVENT a known enum
 * ctl_event. Attribute framing (a truncated attribute header, a length
 * below 4 or past the end, padding past the end) is -EBADMSG.
 * 0, -EBADMSG (framing), -EPROTO (version), -EOPNOTSUPP (unknown message
 * type), -ENOPROTOOPT (unknown attribute type), -EINVAL (bad attribute). */
int ctl_parse(const void *buf, size_t len, struct ctl_parsed *p);
/* ctl_parse with enum ctl_parse_flags. */
int ctl_parse_opts(const void *buf, size_t len, struct ctl_parsed *p, unsigned flags);
bool ctl_has(const struct ctl_parsed *p, uint16_t type);
/* Getters return 0, or -ENOENT if the attribute is absent, -EINVAL if it
 * has another size (or, for ctl_get_str, is not a string type). */
int ctl_get_u8(const struct ctl_parsed *p, uint16_t type, uint8_t *v);
int ctl_get_u16(const struct ctl_parsed *p, uint16_t type, uint16_t *v);
int ctl_get_u32(const struct ctl_parsed *p, uint16_t type, uint32_t *v);
int ctl_get_u64(const struct ctl_parsed *p, uint16_t type, uint64_t *v);
int ctl_get_str(const struct ctl_parsed *p, uint16_t type, const char **s);
/* Copy a string attribute into buf[size]: 0, -ENOENT, or -EINVAL if it does not fit. */
int ctl_get_strbuf(const struct ctl_parsed *p, uint16_t type, char *buf, size_t size);
int ctl_get_addr(const struct ctl_parsed *p, uint16_t type, struct vx_addr *a);
int ctl_get_mac(const struct ctl_parsed *p, uint16_t type, uint8_t mac[MAC_LEN]);
/* Append one counter (CTL_A_STATS or CTL_A_SOCKSTATS). -EINVAL for a bad name, -EMSGSIZE. */
int ctl_put_stat(struct ctl_msg *m, uint16_t type, const char *name, uint64_t v);
/* Call cb for every counter of type, in message order; returns how many. */
typedef void (*ctl_stat_cb)(const char *name, uint64_t v, void *arg);
unsigned ctl_foreach_stat(const struct ctl_parsed *p, uint16_t type, ctl_stat_cb cb, void *arg);

/* ---- The objects carried by the protocol ---- */

/* `link add` parameters. 'set' records which were given, so the daemon can
 * apply its own defaults (e.g. MTU from the underlay device). */
enum link_param {
	LINK_P_DSTPORT = 1u << 0,
	LINK_P_LOCAL = 1u << 1,
	LINK_P_REMOTE = 1u << 2,
	LINK_P_GROUP = 1u << 3,
	LINK_P_DEV = 1u << 4,
	LINK_P_LEARNING = 1u << 5,
	LINK_P_PROXY = 1u << 6,
	LINK_P_AGEING = 1u << 7,
	LINK_P_MAXADDR = 1u << 8,
	LINK_P_TTL = 1u << 9,
	LINK_P_TOS = 1u << 10,
	LINK_P_SRCPORT = 1u << 11,
	LINK_P_MTU = 1u << 12,
	LINK_P_ADDRESS = 1u << 13,
	LINK_P_NETNS = 1u << 14,
	LINK_P_DATAPATH = 1u << 15,
	LINK_P_DF = 1u << 16,
	LINK_P_LOCALBYPASS = 1u << 17,
};

/* The outer IPv4 DF bit (iproute2's `df`). RFC 7348 asks for no outer
 * fragmentation: vxnet's default is set on both datapaths; the kernel's own
 * default is unset. */
enum link_df {
	LINK_DF_SET = 0,
	LINK_DF_UNSET = 1,
	LINK_DF_INHERIT = 2, /* copied from the inner IPv4 header; set for anything else */
};
/* "set", "unset", "inherit"; NULL for others. */
const char *link_df_name(enum link_df d);

/* Which datapath serves a link. */
enum link_datapath {
	LINK_DP_DEFAULT = 0, /* the daemon's --datapath */
	LINK_DP_USER,        /* vxnetd's TAP/UDP engine */
	LINK_DP_KERNEL,      /* a kernel vxlan device driven over rtnetlink */
	LINK_DP_MAX = LINK_DP_KERNEL,
};
/* "user", "kernel"; NULL for others. */
const char *link_datapath_name(enum link_datapath d);
/* 0 and *d, or -EINVAL. */
int link_datapath_parse(const char *s, enum link_datapath *d);

/* CTL_A_ORIGIN of an entry the datapath holds that vxnet did not install
 * (e.g. `bridge fdb add` by hand on a kernel device). */
#define CTL_ORIGIN_OTHER 15
/* "user", "learned", "link", "store", "other"; NULL for others. */
const char *ctl_origin_name(unsigned origin);

struct link_config {
	char name[IFNAMSIZ];
	uint32_t vni;
	uint16_t dstport;        /* default 4789 */
	struct vx_addr local;    /* source address; AF_UNSPEC = routing decides */
	struct vx_addr remote;   /* unicast remote: permanent all-zeros entry */
	struct vx_addr group;    /* multicast group: joined, and the all-zeros entry */
	char dev[IFNAMSIZ];      /* underlay device for multicast and MTU */
	bool learning;           /* default true */
	bool proxy;              /* default false */
	uint32_t ageing;         /* seconds, default 300 */
	uint32_t maxaddress;     /* 0 = unlimited */
	uint8_t ttl;             /* 0 = auto: 1 for multicast, system default for unicast */
	uint8_t tos;
	bool tos_inherit;
	uint16_t srcport_min;    /* default 49152 */
	uint16_t srcport_max;    /* default 65535 */
	uint32_t mtu;            /* 0 = from the underlay */
	uint8_t address[MAC_LEN];
	char netns[CTL_NETNS_LEN];
	uint8_t datapath;        /* enum link_datapath */
	uint8_t df;              /* enum link_df, default set */
	bool localbypass;        /* default true: to a VNI of this daemon, hand frames over directly */
	unsigned set;            /* enum link_param bits */
};

/* Fill the defaults (dstport 4789, learning on, ageing 300, srcport
 * 49152-65535, df set, localbypass on, everything else unset). */
void link_config_init(struct link_config *c);
/* Check a config for consistency. 0, or -EINVAL with *why set to a static
 * one-line reason ("VNI must be below 16777216", "remote and group are
 * mutually exclusive", "group must be a multicast address", ...).
 * Beyond the kernel's own checks (vxlan_validate, vxlan_config_validate):
 * local, remote and group pass addr_check; remote differs from local; the
 * kernel's IPv6 link-local rules (a link-local local needs dev and a
 * link-local peer, a link-local remote a link-local local); mtu is at most
 * link_config_mtu_max() for the link's family on the user datapath (until
 * link_config says which datapath it is for). tos may have its two ECN bits
 * set, as in the kernel, which ignores them: the outer ECN field always
 * comes from the inner packet (proto_outer_tos). */
int link_config_check(const struct link_config *c, const char **why);
/* The underlay family of a config: local's, else remote's, else group's,
 * else AF_INET (as the kernel assumes). */
int link_config_family(const struct link_config *c);
#define LINK_MTU_MIN 68 /* ETH_MIN_MTU, also a TAP's minimum */
/* The largest mtu a link can carry: the smaller of what its device accepts
 * (a TAP on the user datapath: 65521; a kernel vxlan device: 65535) and the
 * largest inner frame in one outer packet of at most 65535 bytes: 65535 -
 * VXLAN_OVERHEAD_V4 = 65485 over IPv4 (the total length is 16 bits), 65535 -
 * VXLAN_OVERHEAD_V6 = 65465 over IPv6 (the underlay device's MTU is at most
 * ETH_MAX_MTU). The outer packet is the binding limit on both datapaths
 * today (measured: a 65485-byte inner ping crosses vxnetd over IPv4, a
 * 65465-byte one over IPv6, both on 65535-byte veths). The kernel accepts up
 * to 65535 on a vxlan device without dev (past these sizes frames cannot
 * leave) and with dev silently lowers a larger mtu to dev's MTU - 50/70.
 * Below this, the underlay device's own MTU limits the path: the daemon's
 * business (too-big handling), not a configuration error. */
unsigned link_config_mtu_max(int family, bool kernel);
int ctl_put_link_config(struct ctl_msg *m, const struct link_config *c);
/* `link set`: the name and what c->set names, no VNI. */
int ctl_put_link_change(struct ctl_msg *m, const struct link_config *c);
/* Reads what is present; missing attributes keep the values in *c (call
 * link_config_init first). -EINVAL if CTL_A_IFNAME or CTL_A_VNI is missing. */
int ctl_get_link_config(const struct ctl_parsed *p, struct link_config *c);
/* `link set`: what a live link can change, as the kernel's vxlan driver
 * allows it (learning, ageing, ttl, tos, remote/group, local, dev, mtu,
 * address, df, localbypass). 0, or -EOPNOTSUPP with *why naming the first
 * option that cannot change live ("dstport cannot change on a live link"). */
#define LINK_P_LIVE                                                                                                    \
	(LINK_P_LEARNING | LINK_P_AGEING | LINK_P_TTL | LINK_P_TOS | LINK_P_REMOTE | LINK_P_GROUP | LINK_P_LOCAL |       \
	 LINK_P_DEV | LINK_P_MTU | LINK_P_ADDRESS | LINK_P_DF | LINK_P_LOCALBYPASS)
int link_config_check_change(unsigned set, const char **why);
/* Apply the options of `change` its set bits name onto *c. */
void link_config_apply(struct link_config *c, const struct link_config *change);
/* Like ctl_get_link_config, without requiring the VNI (`link set`). */
int ctl_get_link_change(const struct ctl_parsed *p, struct link_config *c);

/* fdb add|append|replace|del|show request, and one fdb object in replies/events. */
enum fdb_param {
	FDB_P_DST = 1u << 0,
	FDB_P_PORT = 1u << 1,
	FDB_P_VNI = 1u << 2,
};
struct fdb_req {
	char dev[IFNAMSIZ];
	uint8_t mac[MAC_LEN];
	struct vx_addr dst;
	uint16_t port;
	uint32_t vni;
	unsigned set; /* enum fdb_param bits */
};
/* IFNAME = dev, LLADDR = mac, and DST, PORT, RVNI as 'set' says. On error the
 * message is left as it was. */
int ctl_put_fdb_req(struct ctl_msg *m, const struct fdb_req *r);
/* -EINVAL if CTL_A_IFNAME or CTL_A_LLADDR is missing; 'set' follows what is present. */
int ctl_get_fdb_req(const struct ctl_parsed *p, struct fdb_req *r);

struct neigh_req {
	char dev[IFNAMSIZ];
	struct vx_addr ip;
	uint8_t mac[MAC_LEN];
	bool has_mac;
};
/* IFNAME = dev, DST = ip, LLADDR = mac if has_mac. */
int ctl_put_neigh_req(struct ctl_msg *m, const struct neigh_req *r);
/* -EINVAL if CTL_A_IFNAME or CTL_A_DST is missing. */
int ctl_get_neigh_req(const struct ctl_parsed *p, struct neigh_req *r);

#endif
