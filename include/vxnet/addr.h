/* addr: parse, format and compare MAC and IP addresses (IPv4 and IPv6), and
 * tell whether one can mean anything where it is used (addr_check).
 * Pure functions, no allocation; used by the CLI, the daemon and the tables. */
#ifndef VXNET_ADDR_H
#define VXNET_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAC_LEN 6
#define MAC_STRLEN 18  /* "02:42:c0:a8:00:03" plus NUL */
#define ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */

/* An IP address of either family; family == AF_UNSPEC means "not set". */
struct vx_addr {
	sa_family_t family; /* AF_UNSPEC, AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	};
};

/* Parse a dotted-quad or IPv6 literal (no prefix, no scope). 0 or -EINVAL. */
int addr_parse(const char *s, struct vx_addr *out);
/* Format into buf (at least ADDR_STRLEN). "" for AF_UNSPEC. 0 or -ENOSPC. */
int addr_format(const struct vx_addr *a, char *buf, size_t len);
/* Same family and same bytes (two AF_UNSPEC addresses are equal). */
bool addr_equal(const struct vx_addr *a, const struct vx_addr *b);
/* True for AF_UNSPEC and for the wildcard of either family (0.0.0.0, ::). */
bool addr_is_unspec(const struct vx_addr *a);
bool addr_is_multicast(const struct vx_addr *a);
/* Convert to/from a sockaddr (sockaddr_in or sockaddr_in6 chosen by family).
 * 0, -EINVAL for NULL arguments, -EAFNOSUPPORT for another family. port may
 * be NULL in addr_from_sockaddr; IPv4-mapped IPv6 addresses stay AF_INET6. */
int addr_to_sockaddr(const struct vx_addr *a, uint16_t port, struct sockaddr_storage *ss, socklen_t *sslen);
int addr_from_sockaddr(const struct sockaddr *sa, struct vx_addr *out, uint16_t *port);

/* What an address is for; it decides what addr_check accepts. */
enum addr_use {
	ADDR_USE_LOCAL,	    /* link `local`: this VTEP's own source address */
	ADDR_USE_REMOTE,    /* link `remote`: the one unicast peer */
	ADDR_USE_GROUP,	    /* link `group`: the multicast group to join */
	ADDR_USE_FDB_DST,   /* fdb `dst` for a unicast MAC */
	ADDR_USE_FDB_FLOOD, /* fdb `dst` for 00:00:00:00:00:00 or a multicast MAC */
	ADDR_USE_NEIGH,	    /* neigh address: what proxy ARP/ND answers for */
};
/* Refuse an address that cannot mean anything where it is used. 0, or
 * -EINVAL with *why (if why is not NULL) set to a static one-line reason
 * naming the field ("remote must not be a loopback address ..."), or
 * -EAFNOSUPPORT for a family other than IPv4/IPv6.
 * Refused everywhere: 0.0.0.0/8 and :: (no host has them), 127.0.0.0/8 and
 * ::1 (never leave this host), 255.255.255.255, IPv4-mapped and
 * IPv4-compatible IPv6 addresses (the IPv4 address is the one to give).
 * Multicast: required for GROUP, allowed for FDB_FLOOD (head-end replication
 * to a group, as the kernel allows), refused elsewhere; an IPv6 group of
 * scope 0, 1 (interface-local) or 15 never reaches another host and is
 * refused. NEIGH also refuses 240.0.0.0/4: proxy ARP (proto_arp_parse_request)
 * answers for nothing in 0/8, 127/8 or 224.0.0.0/3. An unknown use is -EINVAL.
 * What no static check can see is left to the caller: a directed broadcast
 * (e.g. 198.18.0.255 is broadcast only if a /24 says so: ask the routing
 * table, RTN_BROADCAST), an address of this host as remote, a family other
 * than the link's. docs/conformance.md has the table, with what the kernel
 * does for each (it checks none of these). */
int addr_check(const struct vx_addr *a, enum addr_use use, const char **why);
/* The use of an fdb entry's dst: ADDR_USE_FDB_FLOOD for the all-zeros MAC
 * and multicast MACs (flood lists), ADDR_USE_FDB_DST otherwise. */
enum addr_use addr_use_fdb(const uint8_t mac[MAC_LEN]);

/* Parse "aa:bb:cc:dd:ee:ff" (exactly six two-digit hex groups). 0 or -EINVAL. */
int mac_parse(const char *s, uint8_t mac[MAC_LEN]);
/* Format as lower-case "aa:bb:cc:dd:ee:ff" into buf (MAC_STRLEN bytes). */
void mac_format(const uint8_t mac[MAC_LEN], char buf[MAC_STRLEN]);
bool mac_is_zero(const uint8_t mac[MAC_LEN]);
/* Group bit set: multicast and broadcast. */
bool mac_is_multicast(const uint8_t mac[MAC_LEN]);
bool mac_equal(const uint8_t a[MAC_LEN], const uint8_t b[MAC_LEN]);
/* The MAC a neigh entry answers with must be a station's: 0, or -EINVAL
 * with *why set for 00:00:00:00:00:00 and group (multicast, broadcast)
 * addresses, which the kernel's neighbour table accepts but no host can
 * own. */
int mac_check_neigh_lladdr(const uint8_t mac[MAC_LEN], const char **why);

#endif
