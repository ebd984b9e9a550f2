/* nl: rtnetlink for vxnetd, through libmnl. vxlan devices of the kernel
 * (create, change live, delete, read back with state and counters), the
 * generic link settings every datapath needs (up, mtu, address, master,
 * netns), the FDB of a vxlan device, neighbour entries, and a monitor of
 * link/fdb/neigh changes and the vxlan driver's l2miss/l3miss notifications.
 *
 * Two layers: pure builders (a request into a caller buffer) and parsers (one
 * kernel message into a struct), which need no socket and are unit-tested and
 * fuzzed; and request functions on a handle that own a socket, check sequence
 * numbers and port ids, and keep the kernel's extended-ack text of the last
 * refusal (nl_errmsg()). No globals, no printing; not thread-safe (one handle
 * per thread). Every function returns 0 or -errno unless it says otherwise. */
#ifndef VXNETD_NL_H
#define VXNETD_NL_H

#include <linux/netlink.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vxnet/addr.h"

/* Room for any request this module builds (the largest, a vxlan create with
 * every option, is under 400 bytes). */
#define NL_REQ_MAX 1024
/* Length of the text kept for a refused request (kernel messages are short). */
#define NL_ERRMSG_LEN 256
/* NDA_PROTOCOL value vxnet tags its neighbour entries with: unassigned in
 * iproute2's rt_protos and in the kernel's RTPROT_* list. The vxlan driver
 * neither stores nor reports NDA_PROTOCOL on fdb entries (see docs/kernel-vxlan.md),
 * so fdb ownership cannot be tagged in the kernel. */
#define NL_PROTO_VXNET 245
/* Link kinds are short module aliases ("vxlan", "ip6erspan"); room to spare. */
#define NL_KIND_LEN 32

/* --- vxlan device parameters ------------------------------------------- */

/* One bit per field of struct nl_vxlan: building sends only the fields whose
 * bit is set; parsing sets the bit of every field the kernel reported. */
enum nl_vx_attr {
	NL_VX_NAME,	   /* IFLA_IFNAME */
	NL_VX_MTU,	   /* IFLA_MTU */
	NL_VX_ADDRESS,	   /* IFLA_ADDRESS */
	NL_VX_NETNS,	   /* IFLA_NET_NS_FD (build only: create in / move to) */
	NL_VX_ID,	   /* IFLA_VXLAN_ID */
	NL_VX_REMOTE,	   /* IFLA_VXLAN_GROUP / GROUP6: a multicast group or a unicast remote */
	NL_VX_LOCAL,	   /* IFLA_VXLAN_LOCAL / LOCAL6 */
	NL_VX_LINK,	   /* IFLA_VXLAN_LINK: underlay device ifindex */
	NL_VX_TTL,	   /* IFLA_VXLAN_TTL (0 = the route's default) */
	NL_VX_TTL_INHERIT, /* IFLA_VXLAN_TTL_INHERIT */
	NL_VX_TOS,	   /* IFLA_VXLAN_TOS (1 = inherit) */
	NL_VX_LEARNING,	   /* IFLA_VXLAN_LEARNING */
	NL_VX_AGEING,	   /* IFLA_VXLAN_AGEING, seconds */
	NL_VX_LIMIT,	   /* IFLA_VXLAN_LIMIT (maxaddress, 0 = none) */
	NL_VX_PORT_RANGE,  /* IFLA_VXLAN_PORT_RANGE (srcport MIN MAX) */
	NL_VX_PROXY,	   /* IFLA_VXLAN_PROXY */
	NL_VX_L2MISS,	   /* IFLA_VXLAN_L2MISS */
	NL_VX_L3MISS,	   /* IFLA_VXLAN_L3MISS */
	NL_VX_PORT,	   /* IFLA_VXLAN_PORT (dstport) */
	NL_VX_UDP_CSUM,	   /* IFLA_VXLAN_UDP_CSUM */
	NL_VX_ZCSUM6_TX,   /* IFLA_VXLAN_UDP_ZERO_CSUM6_TX */
	NL_VX_ZCSUM6_RX,   /* IFLA_VXLAN_UDP_ZERO_CSUM6_RX */
	NL_VX_DF,	   /* IFLA_VXLAN_DF (enum nl_vx_df) */
	NL_VX_LOCALBYPASS, /* IFLA_VXLAN_LOCALBYPASS (kernel >= 6.7) */
	NL_VX_COUNT
};
#define NL_VX_BIT(a) (1u << (a))
#define NL_VX_ALL (NL_VX_BIT(NL_VX_COUNT) - 1u)

enum nl_vx_df { NL_VX_DF_UNSET = 0, NL_VX_DF_SET = 1, NL_VX_DF_INHERIT = 2 };

/* The options this kernel (6.18) changes on a live vxlan device through
 * nl_vxlan_change() (measured by tests/nl/run.sh, which fails when the kernel
 * disagrees; the refusals and their texts are in docs/kernel-vxlan.md):
 * REMOTE and LOCAL within their address family, a multicast REMOTE only with
 * a LINK. ID is accepted only unchanged. MTU is refused inside a vxlan
 * changelink ("Cannot change mtu") but changes through nl_link_set_mtu(). */
#define NL_VX_LIVE_MASK                                                                                                \
	(NL_VX_BIT(NL_VX_NAME) | NL_VX_BIT(NL_VX_ADDRESS) | NL_VX_BIT(NL_VX_NETNS) | NL_VX_BIT(NL_VX_REMOTE) |         \
	 NL_VX_BIT(NL_VX_LOCAL) | NL_VX_BIT(NL_VX_LINK) | NL_VX_BIT(NL_VX_TTL) | NL_VX_BIT(NL_VX_TOS) |                \
	 NL_VX_BIT(NL_VX_LEARNING) | NL_VX_BIT(NL_VX_AGEING) | NL_VX_BIT(NL_VX_DF) | NL_VX_BIT(NL_VX_LOCALBYPASS))

struct nl_vxlan {
	uint32_t set; /* NL_VX_BIT()s of the fields below that are meaningful */
	char name[IFNAMSIZ];
	uint32_t mtu;
	uint8_t address[MAC_LEN];
	int netns_fd;
	uint32_t vni;
	struct vx_addr remote;
	struct vx_addr local;
	uint32_t link;
	uint8_t ttl;
	bool ttl_inherit;
	uint8_t tos;
	bool learning;
	uint32_t ageing;
	uint32_t limit;
	uint16_t port_min, port_max; /* host order */
	bool proxy, l2miss, l3miss;
	uint16_t port; /* host order */
	bool udp_csum, zcsum6_tx, zcsum6_rx;
	uint8_t df;
	bool localbypass;
};

/* Short name of an option as iproute2 spells it ("ttl", "maxaddress", ...);
 * "?" for an unknown value. */
const char *nl_vx_attr_name(enum nl_vx_attr a);
/* The NL_VX_BIT()s of the fields set in want that have or differ in have
 * (absent from have counts as different; NETNS never compares equal). Passing
 * the result as want->set to nl_vxlan_change() sends only what changed. */
uint32_t nl_vxlan_diff(const struct nl_vxlan *want, const struct nl_vxlan *have);

/* --- links -------------------------------------------------------------- */

struct nl_link_stats {
	uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
	uint64_t rx_errors, tx_errors, rx_dropped, tx_dropped;
};

/* A device as the kernel reports it (RTM_NEWLINK / RTM_DELLINK). */
struct nl_link {
	int ifindex;
	char name[IFNAMSIZ];
	char kind[NL_KIND_LEN]; /* IFLA_INFO_KIND ("vxlan", "tun", "bridge"...); "" when none */
	uint32_t mtu;
	uint32_t flags;	   /* IFF_* (IFF_UP, IFF_LOWER_UP...) */
	uint8_t operstate; /* IF_OPER_* */
	int master;	   /* 0 = none */
	int link;	   /* IFLA_LINK (a veth's peer...), 0 = none */
	bool has_address;  /* an Ethernet address was reported */
	uint8_t address[MAC_LEN];
	bool has_stats;
	struct nl_link_stats stats; /* IFLA_STATS64 */
	bool has_link_netnsid;
	int32_t link_netnsid;
	uint32_t group; /* IFLA_GROUP, 0 = the default group */
	/* kind "vxlan": its options, with NAME, MTU and ADDRESS mirrored from above */
	struct nl_vxlan vxlan;
};

/* The generic link settings of nl_link_set(): one bit per field. */
enum {
	NL_SET_UP = 1u << 0,	  /* IFF_UP from up */
	NL_SET_MTU = 1u << 1,	  /* IFLA_MTU */
	NL_SET_ADDRESS = 1u << 2, /* IFLA_ADDRESS */
	NL_SET_MASTER = 1u << 3,  /* IFLA_MASTER, 0 = nomaster */
	NL_SET_NETNS = 1u << 4,	  /* IFLA_NET_NS_FD */
	NL_SET_NAME = 1u << 5,	  /* IFLA_IFNAME (rename; the device must be down) */
	NL_SET_GROUP = 1u << 6,	  /* IFLA_GROUP */
};

struct nl_link_set {
	uint32_t set;
	bool up;
	uint32_t mtu;
	uint8_t address[MAC_LEN];
	int master;
	int netns_fd;
	char name[IFNAMSIZ];
	uint32_t group;
};

/* --- fdb and neighbours ------------------------------------------------- */

enum {
	NL_FDB_DST = 1u << 0,	    /* NDA_DST */
	NL_FDB_PORT = 1u << 1,	    /* NDA_PORT (the kernel omits it when it is the device's dstport) */
	NL_FDB_VNI = 1u << 2,	    /* NDA_VNI (omitted when it is the device's VNI) */
	NL_FDB_VIA = 1u << 3,	    /* NDA_IFINDEX: outgoing underlay device */
	NL_FDB_PROTOCOL = 1u << 4,  /* NDA_PROTOCOL */
	NL_FDB_CACHEINFO = 1u << 5, /* NDA_CACHEINFO (parse only) */
	NL_FDB_MASTER = 1u << 6,    /* NDA_MASTER (parse only: entries of a bridge) */
	NL_FDB_VLAN = 1u << 7,	    /* NDA_VLAN (parse only) */
	NL_FDB_SRC_VNI = 1u << 8,   /* NDA_SRC_VNI (parse only: metadata devices) */
	NL_FDB_NH_ID = 1u << 9,	    /* NDA_NH_ID (parse only) */
	NL_FDB_NETNSID = 1u << 10,  /* NDA_LINK_NETNSID (parse only) */
};

/* A bridge FDB entry (family AF_BRIDGE); for a vxlan device one entry per
 * remote: an all-zeros MAC with two remotes is two entries. */
struct nl_fdb {
	uint32_t set;
	int ifindex; /* the device (ndm_ifindex) */
	uint8_t mac[MAC_LEN];
	struct vx_addr dst;
	uint16_t port; /* host order */
	uint32_t vni;
	uint32_t via;
	uint8_t protocol;
	uint16_t state;		      /* NUD_*: building uses NUD_PERMANENT when 0 */
	uint8_t flags;		      /* NTF_*: building always adds NTF_SELF */
	uint32_t used_ms, updated_ms; /* ages from NDA_CACHEINFO */
	uint32_t master;
	uint16_t vlan;
	uint32_t src_vni;
	uint32_t nh_id;
	int32_t netnsid;
};

enum {
	NL_NEIGH_LLADDR = 1u << 0,    /* NDA_LLADDR */
	NL_NEIGH_PROTOCOL = 1u << 1,  /* NDA_PROTOCOL */
	NL_NEIGH_CACHEINFO = 1u << 2, /* NDA_CACHEINFO (parse only) */
	NL_NEIGH_PROBES = 1u << 3,    /* NDA_PROBES (parse only) */
};

/* A neighbour (ARP / NDISC) entry of a device. */
struct nl_neigh {
	uint32_t set;
	int ifindex;
	struct vx_addr ip;
	uint8_t mac[MAC_LEN];
	uint8_t protocol;
	uint16_t state; /* building uses NUD_PERMANENT when 0 */
	uint8_t flags;
	uint32_t used_ms, confirmed_ms, updated_ms;
	uint32_t probes;
};

enum nl_op { NL_OP_ADD, NL_OP_REPLACE, NL_OP_APPEND, NL_OP_DEL };

/* --- monitor events ----------------------------------------------------- */

enum nl_event_type {
	NL_EV_LINK_NEW = 1,
	NL_EV_LINK_DEL,
	NL_EV_FDB_NEW,
	NL_EV_FDB_DEL,
	NL_EV_NEIGH_NEW,
	NL_EV_NEIGH_DEL,
	NL_EV_L2MISS, /* no fdb entry for a unicast destination MAC */
	NL_EV_L3MISS, /* proxy found no neighbour entry for an ARP / NS target */
};

struct nl_miss {
	int ifindex;
	uint8_t mac[MAC_LEN]; /* l2miss */
	struct vx_addr ip;    /* l3miss */
};

struct nl_event {
	enum nl_event_type type;
	union {
		struct nl_link link;   /* LINK_* */
		struct nl_fdb fdb;     /* FDB_* */
		struct nl_neigh neigh; /* NEIGH_* */
		struct nl_miss miss;   /* L2MISS, L3MISS */
	};
};

/* --- pure builders: one request into buf (len bytes) -------------------- */
/* Each writes one complete message (its length is the nlmsg_len of the
 * header at buf) with NLM_F_REQUEST | NLM_F_ACK and sequence number seq.
 * -ENOSPC when buf is too small, -EINVAL for values that cannot be encoded
 * (a name of IFNAMSIZ bytes or more, an address of another family, ...). */

/* RTM_NEWLINK of kind vxlan: create (NLM_F_CREATE | NLM_F_EXCL; ifindex 0
 * or the index wanted) or change (no CREATE; ifindex, or p->name when
 * ifindex is 0, names the device). Only the fields set in p are sent. */
int nl_build_vxlan(void *buf, size_t len, uint32_t seq, bool create, int ifindex, const struct nl_vxlan *p);
/* RTM_NEWLINK without link info, for any device (IFF_UP through ifi_change). */
int nl_build_link_set(void *buf, size_t len, uint32_t seq, int ifindex, const struct nl_link_set *s);
/* RTM_DELLINK of ifindex. */
int nl_build_link_del(void *buf, size_t len, uint32_t seq, int ifindex);
/* RTM_DELLINK of every device in group (not 0) of the socket's namespace:
 * the kernel unregisters them together, one RCU barrier for all. */
int nl_build_link_del_group(void *buf, size_t len, uint32_t seq, uint32_t group);
/* RTM_GETLINK of one device, by ifindex or (ifindex 0) by name. */
int nl_build_link_get(void *buf, size_t len, uint32_t seq, int ifindex, const char *name);
/* RTM_GETLINK dump of every device (NLM_F_DUMP, no ACK flag). */
int nl_build_link_dump(void *buf, size_t len, uint32_t seq);
/* RTM_NEWNEIGH / RTM_DELNEIGH of AF_BRIDGE with NTF_SELF on e->ifindex:
 * ADD = CREATE|EXCL, REPLACE = CREATE|REPLACE, APPEND = CREATE|APPEND, DEL. */
int nl_build_fdb(void *buf, size_t len, uint32_t seq, enum nl_op op, const struct nl_fdb *e);
/* AF_BRIDGE RTM_GETNEIGH dump of the entries of device ifindex. */
int nl_build_fdb_dump(void *buf, size_t len, uint32_t seq, int ifindex);
/* RTM_NEWNEIGH / RTM_DELNEIGH of n->ip's family on n->ifindex (APPEND is -EINVAL). */
int nl_build_neigh(void *buf, size_t len, uint32_t seq, enum nl_op op, const struct nl_neigh *n);
/* RTM_GETNEIGH dump of family (AF_UNSPEC for both) on ifindex (0 for all). */
int nl_build_neigh_dump(void *buf, size_t len, uint32_t seq, int family, int ifindex);

/* --- pure parsers: one message from the kernel -------------------------- */
/* Each validates every length before use; a message of another type or
 * family is -ENOENT, a malformed one -EBADMSG. Unknown attributes are
 * ignored. nlh must have nlmsg_len bytes readable: nl_msg_ok() says so. */

/* True when a whole message (header and nlmsg_len bytes) lies in the len
 * bytes at nlh. Stricter than libmnl 1.0.4's mnl_nlmsg_ok(), which takes an
 * nlmsg_len of 2^31 or more for a negative one and lets it through. */
bool nl_msg_ok(const struct nlmsghdr *nlh, size_t len);
/* True when buf holds only whole messages (a tail shorter than a header is
 * ignored, as libmnl does): what mnl_cb_run() may safely walk. */
bool nl_stream_ok(const void *buf, size_t len);

int nl_parse_link(const struct nlmsghdr *nlh, struct nl_link *out);
/* AF_BRIDGE RTM_NEWNEIGH / RTM_DELNEIGH. */
int nl_parse_fdb(const struct nlmsghdr *nlh, struct nl_fdb *out);
/* AF_INET / AF_INET6 RTM_NEWNEIGH / RTM_DELNEIGH. */
int nl_parse_neigh(const struct nlmsghdr *nlh, struct nl_neigh *out);
/* Anything a monitor receives: links, fdb, neighbours, and the vxlan
 * driver's RTM_GETNEIGH miss notifications (l2miss: a MAC and no address;
 * l3miss: an address and no MAC). -ENOENT for messages that are none of these
 * (bridge port messages, neighbour-subsystem application probes...). */
int nl_parse_event(const struct nlmsghdr *nlh, struct nl_event *out);
/* An NLMSG_ERROR message: *error gets its errno (0 for a plain ack, else
 * negative), msg (msglen bytes, may be NULL) the extended-ack text or "",
 * *offset (may be NULL) the offset of the offending attribute in the request
 * or 0. */
int nl_parse_ack(const struct nlmsghdr *nlh, int *error, char *msg, size_t msglen, uint32_t *offset);

/* --- the request handle -------------------------------------------------- */

struct nl;

/* Open a request socket (NETLINK_ROUTE, extended acks, strict dump checks)
 * in the current network namespace (netns_fd < 0) or in that of netns_fd (the
 * calling thread enters it for the socket() call and returns). */
int nl_open(struct nl **out, int netns_fd);
void nl_close(struct nl *nl);
/* After a failed request: the kernel's extended-ack text, or this module's
 * reason, or strerror's; "" after a success. Valid until the next request. */
const char *nl_errmsg(const struct nl *nl);

/* Create a vxlan device from p (NAME and ID at least). *ifindex (may be
 * NULL) gets the new index (from the kernel's NLM_F_ECHO, else by name), or 0
 * when it cannot be known here (NETNS put the device in another namespace). */
int nl_vxlan_create(struct nl *nl, const struct nl_vxlan *p, int *ifindex);
/* Changelink of a live vxlan device: only the fields set in p are sent; a
 * change the kernel cannot make live is refused (-EOPNOTSUPP and the
 * kernel's reason in nl_errmsg()) and nothing changes. */
int nl_vxlan_change(struct nl *nl, int ifindex, const struct nl_vxlan *p);
int nl_link_del(struct nl *nl, int ifindex);
/* Delete every device of group (not 0): see nl_build_link_del_group. */
int nl_link_del_group(struct nl *nl, uint32_t group);
/* One device by ifindex, or by name when ifindex is 0. -ENODEV if absent. */
int nl_link_get(struct nl *nl, int ifindex, const char *name, struct nl_link *out);
typedef int (*nl_link_cb)(const struct nl_link *l, void *arg);
/* Every device; cb returning non-zero stops the callbacks and is returned
 * (the rest of the dump is still read off the socket). */
int nl_link_dump(struct nl *nl, nl_link_cb cb, void *arg);
int nl_link_set(struct nl *nl, int ifindex, const struct nl_link_set *s);
int nl_link_set_up(struct nl *nl, int ifindex, bool up);
int nl_link_set_mtu(struct nl *nl, int ifindex, uint32_t mtu);
int nl_link_set_address(struct nl *nl, int ifindex, const uint8_t mac[MAC_LEN]);
/* master 0 = nomaster. */
int nl_link_set_master(struct nl *nl, int ifindex, int master);
int nl_link_set_netns(struct nl *nl, int ifindex, int netns_fd);

/* FDB of a vxlan device (NTF_SELF). ADD of an existing MAC is -EEXIST;
 * DEL without NL_FDB_DST removes the whole entry, with it only that remote. */
int nl_fdb(struct nl *nl, enum nl_op op, const struct nl_fdb *e);
typedef int (*nl_fdb_cb)(const struct nl_fdb *e, void *arg);
/* Every entry of device ifindex: its own (NTF_SELF) and, for a bridge port,
 * the bridge's (NTF_MASTER). cb as for nl_link_dump(). */
int nl_fdb_dump(struct nl *nl, int ifindex, nl_fdb_cb cb, void *arg);

/* Neighbour entries (ADD, REPLACE, DEL). */
int nl_neigh(struct nl *nl, enum nl_op op, const struct nl_neigh *n);
typedef int (*nl_neigh_cb)(const struct nl_neigh *n, void *arg);
/* family AF_INET, AF_INET6 or AF_UNSPEC (both); ifindex 0 = every device. */
int nl_neigh_dump(struct nl *nl, int family, int ifindex, nl_neigh_cb cb, void *arg);

/* --- the monitor --------------------------------------------------------- */

struct nl_mon;

/* A non-blocking socket subscribed to RTNLGRP_LINK and RTNLGRP_NEIGH (links,
 * fdb entries of every bridge and vxlan device, neighbours, l2miss/l3miss) in
 * the current namespace (netns_fd < 0) or that of netns_fd. rcvbuf 0 asks
 * for a large receive buffer (4 MB); another value sets that size. */
int nl_mon_open(struct nl_mon **out, int netns_fd, int rcvbuf);
void nl_mon_close(struct nl_mon *m);
/* For poll()/epoll: readable when nl_mon_read() has something to do. */
int nl_mon_fd(const struct nl_mon *m);
typedef int (*nl_event_cb)(const struct nl_event *ev, void *arg);
/* Read everything pending and call cb once per event, in order. Returns 0
 * when the socket is drained; -ENOBUFS when the kernel dropped notifications
 * (overrun: events are lost, dump links/fdb/neigh to resync; the monitor
 * stays usable and the next call goes on with what followed); a non-zero
 * value from cb (events after it in the same datagram are dropped); or
 * another -errno. */
int nl_mon_read(struct nl_mon *m, nl_event_cb cb, void *arg);

/* --- endpoint plumbing (nl_plumb.c) -------------------------------------- */

/* A veth pair: name here, peer created directly in peer_netns_fd's
 * namespace (< 0: here too), both ends with mtu (0: the kernel's 1500). */
struct nl_veth {
	char name[IFNAMSIZ];
	char peer[IFNAMSIZ];
	uint32_t mtu;
	bool peer_has_address;
	uint8_t peer_address[MAC_LEN];
	int peer_netns_fd;
};

/* RTM_NEWLINK (CREATE | EXCL) of kind bridge, mtu 0 = the kernel's default. */
int nl_build_bridge(void *buf, size_t len, uint32_t seq, const char *name, uint32_t mtu);
/* RTM_NEWLINK (CREATE | EXCL) of kind veth with the peer in VETH_INFO_PEER. */
int nl_build_veth(void *buf, size_t len, uint32_t seq, const struct nl_veth *v);
/* RTM_NEWADDR (op ADD: CREATE | EXCL) or RTM_DELADDR of a/plen on ifindex;
 * IPv4 with IFA_LOCAL too (as ip-address does), IPv6 with IFA_F_NODAD. */
int nl_build_addr(void *buf, size_t len, uint32_t seq, enum nl_op op, int ifindex, const struct vx_addr *a,
		  uint8_t plen);

/* A static entry (NUD_NOARP, NTF_MASTER) in the fdb of the bridge that
 * port is in: mac lives behind port, whatever the bridge learned before
 * (REPLACE), or its removal (DEL). */
int nl_build_bridge_fdb(void *buf, size_t len, uint32_t seq, enum nl_op op, int port, const uint8_t mac[MAC_LEN]);

/* Create a bridge / a veth pair; *ifindex (may be NULL) gets the index of the
 * device made here. -EEXIST when a device of that name exists. */
int nl_bridge_create(struct nl *nl, const char *name, uint32_t mtu, int *ifindex);
int nl_veth_create(struct nl *nl, const struct nl_veth *v, int *ifindex);
int nl_bridge_fdb(struct nl *nl, enum nl_op op, int port, const uint8_t mac[MAC_LEN]);
/* Add (NL_OP_ADD) or remove (NL_OP_DEL) an interface address. */
int nl_addr(struct nl *nl, enum nl_op op, int ifindex, const struct vx_addr *a, uint8_t plen);

#endif
