/* cluster: the data model vxnet keeps in its distributed store (etcd): the key
 * layout under a prefix, and the JSON values of networks, hosts, endpoints and
 * IPAM claims. Pure functions: keys and values go in as bytes and come out as
 * structs (or the reverse), with one static reason string for every refusal,
 * because the store is shared and anything in it may be malformed, stale or
 * written by a newer version. docs/store.md describes the layout. */
#ifndef VXNET_CLUSTER_H
#define VXNET_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vxnet/addr.h"

#define CLUSTER_PREFIX_DEFAULT "/vxnet"
#define CLUSTER_PREFIX_MAX 128 /* bytes of a prefix, without NUL */
#define CLUSTER_NAME_MAX 64    /* bytes of a network or host name, without NUL */
/* Longest key: prefix + "/endpoints/" + network + "/" + MAC + "/" + host (the
 * longest kind), plus NUL. */
#define CLUSTER_KEY_MAX (CLUSTER_PREFIX_MAX + 11 + CLUSTER_NAME_MAX + 1 + MAC_STRLEN + CLUSTER_NAME_MAX + 1)
#define CLUSTER_VALUE_MAX 4096 /* a longer value is refused before it is parsed */

#define CLUSTER_VNI_MIN 1
#define CLUSTER_VNI_MAX 16777215
#define CLUSTER_DSTPORT_DEFAULT 4789
#define CLUSTER_MTU_DEFAULT 1450 /* 1500 minus the 50 bytes of VXLAN over IPv4 */
#define CLUSTER_MTU_MIN 68	 /* IPv4's minimum; IPv6 subnets need 1280 */
#define CLUSTER_MTU_MIN_V6 1280

/* What a key names. 0 is never a valid kind. */
enum cluster_kind {
	CLUSTER_NETWORK = 1, /* <prefix>/networks/<network> */
	CLUSTER_HOST,	     /* <prefix>/hosts/<host> */
	CLUSTER_ENDPOINT,    /* <prefix>/endpoints/<network>/<mac>/<host> */
	CLUSTER_IPAM,	     /* <prefix>/ipam/<network>/<ip> */
};

enum cluster_datapath {
	CLUSTER_DP_USER = 1, /* "user": vxnetd's own TAP/UDP engine */
	CLUSTER_DP_KERNEL,   /* "kernel": the Linux vxlan driver */
};

/* A parsed key. Only the fields of its kind are set; the others are zero. */
struct cluster_key {
	enum cluster_kind kind;
	char network[CLUSTER_NAME_MAX + 1]; /* NETWORK, ENDPOINT, IPAM */
	char host[CLUSTER_NAME_MAX + 1];    /* HOST, ENDPOINT */
	uint8_t mac[MAC_LEN];		    /* ENDPOINT */
	struct vx_addr ip;		    /* IPAM */
};

/* An IP network: address with every host bit clear, and its prefix length. */
struct cluster_subnet {
	struct vx_addr addr;
	uint8_t plen;
};

/* Value of a network key. */
struct cluster_network {
	uint32_t vni; /* 1..16777215 */
	struct cluster_subnet subnet;
	uint16_t mtu;	  /* of the containers' interfaces; CLUSTER_MTU_DEFAULT when absent */
	uint16_t dstport; /* UDP port of the VXLAN underlay; 4789 when absent */
	enum cluster_datapath datapath;
};

/* Value of a host key: where the host's VTEP receives VXLAN. */
struct cluster_host {
	struct vx_addr underlay;
};

/* Value of an endpoint key (the MAC, network and host are in the key). */
struct cluster_endpoint {
	struct vx_addr ip;
};

/* Value of an IPAM claim (the network and address are in the key). */
struct cluster_ipam {
	char host[CLUSTER_NAME_MAX + 1]; /* the owner */
	bool has_mac;
	uint8_t mac[MAC_LEN]; /* the endpoint it is for, when known at claim time */
};

/* Check a key prefix: starts with '/', no trailing '/', no empty segment, at
 * most CLUSTER_PREFIX_MAX bytes of letters, digits and "._-/". 0 or -EINVAL
 * with *why (may be NULL) set to a static reason. */
int cluster_prefix_check(const char *prefix, const char **why);

/* Check a network or host name: 1..CLUSTER_NAME_MAX bytes of letters, digits,
 * '.', '_' and '-', starting with a letter or a digit. 0 or -EINVAL + *why. */
int cluster_name_check(const char *name, const char **why);

/* Format the key k under prefix into buf. 0, -EINVAL (bad prefix, kind, name,
 * MAC or address) or -ENOSPC (buf too small; CLUSTER_KEY_MAX always fits). */
int cluster_key_format(const char *prefix, const struct cluster_key *k, char *buf, size_t len);

/* Format the prefix that a list or watch uses to see every key of a kind:
 * kind 0 = the whole tree ("<prefix>/"); kind with network == NULL = every key
 * of that kind ("<prefix>/endpoints/"); ENDPOINT or IPAM with a network =
 * that network's keys ("<prefix>/endpoints/<network>/"). Every such prefix
 * ends with '/', so "/vxnet/" never matches "/vxnet2/...". 0, -EINVAL or
 * -ENOSPC. */
int cluster_prefix_format(const char *prefix, enum cluster_kind kind, const char *network, char *buf, size_t len);

/* Parse key (len bytes, need not be NUL-terminated) read under prefix.
 * 0: *out filled. -EOPNOTSUPP: a kind this version does not know (written by a
 * newer one: ignore it, it is not an error). -EINVAL with *why: not under the
 * prefix, wrong number of segments, bad name, MAC or address, or a MAC or
 * address not in canonical form (lower-case MAC, inet_ntop's address: one
 * thing, one key). *out is untouched on failure. */
int cluster_key_parse(const char *prefix, const char *key, size_t len, struct cluster_key *out, const char **why);

/* Encoders: validate v and return a malloc'd NUL-terminated compact JSON
 * object in *out (length in *out_len, may be NULL). 0, -EINVAL (v would not
 * decode: refused before it is written to the store) or -ENOMEM. Decoders:
 * parse exactly len bytes of JSON; unknown fields are ignored so that a newer
 * version can add some; a known field of the wrong type or range, a missing
 * required field, duplicate fields, trailing data or more than
 * CLUSTER_VALUE_MAX bytes give -EINVAL with *why. *out is untouched on
 * failure. Integers are JSON integers (64-bit; reals and strings refused). */
int cluster_network_encode(const struct cluster_network *v, char **out, size_t *out_len);
/* Required: "vni", "subnet". Optional: "mtu" (CLUSTER_MTU_DEFAULT), "dstport"
 * (4789), "datapath" ("user"). */
int cluster_network_decode(const char *buf, size_t len, struct cluster_network *out, const char **why);

int cluster_host_encode(const struct cluster_host *v, char **out, size_t *out_len);
/* Required: "underlay", a unicast IPv4 or IPv6 address. */
int cluster_host_decode(const char *buf, size_t len, struct cluster_host *out, const char **why);

int cluster_endpoint_encode(const struct cluster_endpoint *v, char **out, size_t *out_len);
/* Required: "ip". Whether it fits its network is cluster_addr_check()'s job:
 * the network is another key. */
int cluster_endpoint_decode(const char *buf, size_t len, struct cluster_endpoint *out, const char **why);

int cluster_ipam_encode(const struct cluster_ipam *v, char **out, size_t *out_len);
/* Required: "host" (a valid name). Optional: "mac" (unicast, not zero). */
int cluster_ipam_decode(const char *buf, size_t len, struct cluster_ipam *out, const char **why);

/* Parse "ADDR/PLEN" strictly: a network address (no host bit set), PLEN in
 * decimal without leading zeros, 1..30 for IPv4 and 1..126 for IPv6 (room for
 * two endpoints), not multicast, not loopback. 0 or -EINVAL + *why. */
int cluster_subnet_parse(const char *s, struct cluster_subnet *out, const char **why);
/* Format as "ADDR/PLEN" into buf (ADDR_STRLEN + 4 bytes suffice). 0, -EINVAL, -ENOSPC. */
int cluster_subnet_format(const struct cluster_subnet *s, char *buf, size_t len);
/* ip is in s (same family, same network bits). */
bool cluster_subnet_contains(const struct cluster_subnet *s, const struct vx_addr *ip);
/* Is ip usable by an endpoint of subnet s: same family, inside, not the
 * network address, not the IPv4 broadcast address. 0 or -EINVAL + *why. */
int cluster_addr_check(const struct cluster_subnet *s, const struct vx_addr *ip, const char **why);
/* The index-th endpoint address of s (index 1 = network address + 1), for
 * IPAM to walk. 0, -ERANGE past the last usable address (the IPv4 broadcast
 * address is not usable), -EINVAL. */
int cluster_subnet_host(const struct cluster_subnet *s, uint64_t index, struct vx_addr *out);

/* The default MAC of an endpoint, as Docker derives it: 02:42 followed by the
 * last four bytes of ip (all of an IPv4 address). 0 or -EINVAL. */
int cluster_mac_from_ip(const struct vx_addr *ip, uint8_t mac[MAC_LEN]);

/* The conflict rule for one MAC claimed by two endpoint keys: the older claim
 * (lower create_revision) wins; keys created in one transaction share a
 * revision, so the lower host name (bytewise) breaks the tie. Negative if
 * claim a wins, positive if b wins, 0 only for the same claim. */
int cluster_claim_cmp(int64_t create_rev_a, const char *host_a, int64_t create_rev_b, const char *host_b);

/* "user" / "kernel"; NULL for an unknown value. */
const char *cluster_datapath_name(enum cluster_datapath dp);
/* "networks", "hosts", "endpoints", "ipam"; NULL for an unknown kind. */
const char *cluster_kind_name(enum cluster_kind kind);

#endif
