/* addr: parse, format and compare MAC and IP addresses (IPv4 and IPv6).
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

/* Parse "aa:bb:cc:dd:ee:ff" (exactly six two-digit hex groups). 0 or -EINVAL. */
int mac_parse(const char *s, uint8_t mac[MAC_LEN]);
/* Format as lower-case "aa:bb:cc:dd:ee:ff" into buf (MAC_STRLEN bytes). */
void mac_format(const uint8_t mac[MAC_LEN], char buf[MAC_STRLEN]);
bool mac_is_zero(const uint8_t mac[MAC_LEN]);
/* Group bit set: multicast and broadcast. */
bool mac_is_multicast(const uint8_t mac[MAC_LEN]);
bool mac_equal(const uint8_t a[MAC_LEN], const uint8_t b[MAC_LEN]);

#endif
