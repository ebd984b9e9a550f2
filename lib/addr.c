/* addr: MAC and IP address parsing, formatting and comparison, strict enough
 * that the CLI can hand user input straight to it (no prefixes, no scopes,
 * no shortened MAC groups). */
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
