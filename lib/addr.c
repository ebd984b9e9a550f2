/* addr: MAC and IP address parsing, formatting and comparison, strict enough
 * that the CLI can hand user input straight to it (no prefixes, no scopes,
 * no shortened MAC groups), and the judgement of whether an address can mean
 * anything where it is used (addr_check), shared by the CLI and the daemon. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "vxnet/addr.h"

int addr_parse(const char *s, struct vx_addr *out)
{
	struct vx_addr a;

	if (!s || !out || !*s)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	/* inet_pton refuses "/len" and "%scope", which is exactly what we want:
	 * a VTEP or neighbour address is a host address, never a route. */
	if (inet_pton(AF_INET, s, &a.v4) == 1) {
		a.family = AF_INET;
	} else if (inet_pton(AF_INET6, s, &a.v6) == 1) {
		a.family = AF_INET6;
	} else {
		return -EINVAL;
	}
	*out = a;
	return 0;
}

int addr_format(const struct vx_addr *a, char *buf, size_t len)
{
	if (!a || !buf)
		return -EINVAL;
	if (a->family == AF_UNSPEC) {
		if (len < 1)
			return -ENOSPC;
		buf[0] = '\0';
		return 0;
	}
	if (a->family != AF_INET && a->family != AF_INET6)
		return -EINVAL;
	if (len > (socklen_t)-1)
		len = (socklen_t)-1;
	if (!inet_ntop(a->family, a->family == AF_INET ? (const void *)&a->v4 : (const void *)&a->v6, buf,
		       (socklen_t)len))
		return -ENOSPC;
	return 0;
}

bool addr_equal(const struct vx_addr *a, const struct vx_addr *b)
{
	if (a->family != b->family)
		return false;
	/* Compare only the bytes of the family: the rest of the union may hold
	 * anything for an IPv4 address. */
	switch (a->family) {
	case AF_INET:
		return a->v4.s_addr == b->v4.s_addr;
	case AF_INET6:
		return memcmp(&a->v6, &b->v6, sizeof(a->v6)) == 0;
	default:
		return true;
	}
}

bool addr_is_unspec(const struct vx_addr *a)
{
	switch (a->family) {
	case AF_INET:
		return a->v4.s_addr == htonl(INADDR_ANY);
	case AF_INET6:
		return IN6_IS_ADDR_UNSPECIFIED(&a->v6);
	default:
		return true;
	}
}

bool addr_is_multicast(const struct vx_addr *a)
{
	switch (a->family) {
	case AF_INET:
		return IN_MULTICAST(ntohl(a->v4.s_addr));
	case AF_INET6:
		return IN6_IS_ADDR_MULTICAST(&a->v6);
	default:
		return false;
	}
}

int addr_to_sockaddr(const struct vx_addr *a, uint16_t port, struct sockaddr_storage *ss, socklen_t *sslen)
{
	if (!a || !ss || !sslen)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr = a->v4;
		*sslen = sizeof(*sin);
		return 0;
	}
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		sin6->sin6_addr = a->v6;
		*sslen = sizeof(*sin6);
		return 0;
	}
	return -EAFNOSUPPORT;
}

int addr_from_sockaddr(const struct sockaddr *sa, struct vx_addr *out, uint16_t *port)
{
	struct vx_addr a;
	uint16_t p;

	if (!sa || !out)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		a.family = AF_INET;
		a.v4 = sin->sin_addr;
		p = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		a.family = AF_INET6;
		a.v6 = sin6->sin6_addr;
		p = ntohs(sin6->sin6_port);
	} else {
		return -EAFNOSUPPORT;
	}
	*out = a;
	if (port)
		*port = p;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mac_parse(const char *s, uint8_t mac[MAC_LEN])
{
	uint8_t m[MAC_LEN];

	if (!s || !mac)
		return -EINVAL;
	/* Fixed layout "hh:hh:hh:hh:hh:hh": walking it position by position
	 * rejects short groups, other separators and trailing junk at once. */
	for (int i = 0; i < MAC_LEN; i++) {
		const char *g = s + 3 * i;
		int hi, lo;

		if ((hi = hex_digit(g[0])) < 0 || (lo = hex_digit(g[1])) < 0)
			return -EINVAL;
		if (g[2] != (i == MAC_LEN - 1 ? '\0' : ':'))
			return -EINVAL;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	memcpy(mac, m, MAC_LEN);
	return 0;
}

void mac_format(const uint8_t mac[MAC_LEN], char buf[MAC_STRLEN])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < MAC_LEN; i++) {
		buf[3 * i] = hex[mac[i] >> 4];
		buf[3 * i + 1] = hex[mac[i] & 0xf];
		buf[3 * i + 2] = i == MAC_LEN - 1 ? '\0' : ':';
	}
}

bool mac_is_zero(const uint8_t mac[MAC_LEN])
{
	return (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0;
}

bool mac_is_multicast(const uint8_t mac[MAC_LEN])
{
	return mac[0] & 0x01;
}

bool mac_equal(const uint8_t a[MAC_LEN], const uint8_t b[MAC_LEN])
{
	return memcmp(a, b, MAC_LEN) == 0;
}

/* The kinds of address addr_check tells apart. */
enum addr_class {
	AC_UNICAST,
	AC_UNSPEC,	/* 0.0.0.0/8, :: */
	AC_LOOPBACK,	/* 127.0.0.0/8, ::1 */
	AC_BROADCAST,	/* 255.255.255.255 */
	AC_RESERVED,	/* 240.0.0.0/4 but the broadcast: Linux routes it as unicast */
	AC_MULTICAST,	/* 224.0.0.0/4, ff00::/8 of a scope beyond this host */
	AC_MCAST_HOST,	/* ff00::/8 of scope 0, 1 or 15: reserved or interface-local */
	AC_EMBEDDED_V4, /* ::ffff:0:0/96 and ::/96 (IPv4-mapped and -compatible) */
	AC_NCLASS,
};

static enum addr_class addr_classify(const struct vx_addr *a)
{
	if (a->family == AF_INET) {
		uint32_t v = ntohl(a->v4.s_addr);

		if (v >> 24 == 0)
			return AC_UNSPEC;
		if (v >> 24 == 127)
			return AC_LOOPBACK;
		if (v == 0xffffffffu)
			return AC_BROADCAST;
		if (IN_MULTICAST(v))
			return AC_MULTICAST;
		return v >= 0xf0000000u ? AC_RESERVED : AC_UNICAST;
	}
	if (IN6_IS_ADDR_UNSPECIFIED(&a->v6))
		return AC_UNSPEC;
	if (IN6_IS_ADDR_LOOPBACK(&a->v6))
		return AC_LOOPBACK;
	if (IN6_IS_ADDR_MULTICAST(&a->v6)) {
		unsigned scope = a->v6.s6_addr[1] & 0x0f;

		return scope == 0 || scope == 1 || scope == 15 ? AC_MCAST_HOST : AC_MULTICAST;
	}
	if (IN6_IS_ADDR_V4MAPPED(&a->v6) || IN6_IS_ADDR_V4COMPAT(&a->v6))
		return AC_EMBEDDED_V4;
	return AC_UNICAST;
}

/* Reasons by use and class; NULL where the address is fine. Static strings
 * because they travel as the one-line answer to the user. */
static const char *const addr_why[][AC_NCLASS] = {
    [ADDR_USE_LOCAL] =
	{
	    [AC_UNSPEC] = "local must not be unspecified (0.0.0.0/8 or ::)",
	    [AC_LOOPBACK] = "local must not be a loopback address (no other host could reach it)",
	    [AC_BROADCAST] = "local must not be the broadcast address 255.255.255.255",
	    [AC_MULTICAST] = "local must be a unicast address",
	    [AC_MCAST_HOST] = "local must be a unicast address",
	    [AC_EMBEDDED_V4] = "local must not be an IPv4-mapped or -compatible IPv6 address (give the IPv4 address)",
	},
    [ADDR_USE_REMOTE] =
	{
	    [AC_UNSPEC] = "remote must not be unspecified (0.0.0.0/8 or ::)",
	    [AC_LOOPBACK] = "remote must not be a loopback address (the frames would come straight back)",
	    [AC_BROADCAST] = "remote must not be the broadcast address 255.255.255.255",
	    [AC_MULTICAST] = "remote must be a unicast address",
	    [AC_MCAST_HOST] = "remote must be a unicast address",
	    [AC_EMBEDDED_V4] = "remote must not be an IPv4-mapped or -compatible IPv6 address (give the IPv4 address)",
	},
    [ADDR_USE_GROUP] =
	{
	    [AC_UNICAST] = "group must be a multicast address",
	    [AC_UNSPEC] = "group must be a multicast address",
	    [AC_LOOPBACK] = "group must be a multicast address",
	    [AC_BROADCAST] = "group must be a multicast address",
	    [AC_RESERVED] = "group must be a multicast address",
	    [AC_MCAST_HOST] = "group must not be of IPv6 multicast scope 0, 1 (interface-local) or 15",
	    [AC_EMBEDDED_V4] = "group must be a multicast address",
	},
    [ADDR_USE_FDB_DST] =
	{
	    [AC_UNSPEC] = "dst must not be unspecified (0.0.0.0/8 or ::)",
	    [AC_LOOPBACK] = "dst must not be a loopback address (the frames would come straight back)",
	    [AC_BROADCAST] = "dst must not be the broadcast address 255.255.255.255",
	    [AC_MULTICAST] =
		"dst must be unicast for a unicast MAC (a group only for 00:00:00:00:00:00 or a multicast MAC)",
	    [AC_MCAST_HOST] =
		"dst must be unicast for a unicast MAC (a group only for 00:00:00:00:00:00 or a multicast MAC)",
	    [AC_EMBEDDED_V4] = "dst must not be an IPv4-mapped or -compatible IPv6 address (give the IPv4 address)",
	},
    [ADDR_USE_FDB_FLOOD] =
	{
	    [AC_UNSPEC] = "dst must not be unspecified (0.0.0.0/8 or ::)",
	    [AC_LOOPBACK] = "dst must not be a loopback address (the frames would come straight back)",
	    [AC_BROADCAST] = "dst must not be the broadcast address 255.255.255.255",
	    [AC_MCAST_HOST] = "dst must not be of IPv6 multicast scope 0, 1 (interface-local) or 15",
	    [AC_EMBEDDED_V4] = "dst must not be an IPv4-mapped or -compatible IPv6 address (give the IPv4 address)",
	},
    [ADDR_USE_NEIGH] =
	{
	    [AC_UNSPEC] = "address must not be unspecified (0.0.0.0/8 or ::)",
	    [AC_LOOPBACK] = "address must not be a loopback address (proxy ARP/ND never answers for it)",
	    [AC_BROADCAST] = "address must not be the broadcast address 255.255.255.255",
	    [AC_RESERVED] = "address must not be in 240.0.0.0/4 (proxy ARP never answers for it)",
	    [AC_MULTICAST] = "address must not be multicast (proxy ARP/ND never answers for a group)",
	    [AC_MCAST_HOST] = "address must not be multicast (proxy ARP/ND never answers for a group)",
	    [AC_EMBEDDED_V4] = "address must not be an IPv4-mapped or -compatible IPv6 address (give the IPv4 address)",
	},
};

static const char *const addr_why_family[] = {
    [ADDR_USE_LOCAL] = "local must be an IPv4 or IPv6 address",
    [ADDR_USE_REMOTE] = "remote must be an IPv4 or IPv6 address",
    [ADDR_USE_GROUP] = "group must be an IPv4 or IPv6 address",
    [ADDR_USE_FDB_DST] = "dst must be an IPv4 or IPv6 address",
    [ADDR_USE_FDB_FLOOD] = "dst must be an IPv4 or IPv6 address",
    [ADDR_USE_NEIGH] = "address must be an IPv4 or IPv6 address",
};

int addr_check(const struct vx_addr *a, enum addr_use use, const char **why)
{
	const char *w;
	int rc = -EINVAL;

	if ((unsigned)use > ADDR_USE_NEIGH) {
		w = "unknown address use";
	} else if (!a || (a->family != AF_INET && a->family != AF_INET6)) {
		w = addr_why_family[use];
		rc = -EAFNOSUPPORT;
	} else {
		w = addr_why[use][addr_classify(a)];
	}
	if (why)
		*why = w;
	return w ? rc : 0;
}

enum addr_use addr_use_fdb(const uint8_t mac[MAC_LEN])
{
	return mac_is_zero(mac) || mac_is_multicast(mac) ? ADDR_USE_FDB_FLOOD : ADDR_USE_FDB_DST;
}

int mac_check_neigh_lladdr(const uint8_t mac[MAC_LEN], const char **why)
{
	const char *w = NULL;

	if (mac_is_zero(mac))
		w = "lladdr must not be 00:00:00:00:00:00 (no station has it)";
	else if (mac_is_multicast(mac))
		w = "lladdr must be a unicast MAC (not multicast or broadcast)";
	if (why)
		*why = w;
	return w ? -EINVAL : 0;
}
