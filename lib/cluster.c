/* cluster: keys and JSON values of vxnet's cluster data model (networks,
 * hosts, endpoints, IPAM claims). Everything read from the store is treated
 * as hostile: strict parsing, canonical keys, a static reason per refusal. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "vxnet/cluster.h"

static const char *const kind_names[] = {
    [CLUSTER_NETWORK] = "networks",
    [CLUSTER_HOST] = "hosts",
    [CLUSTER_ENDPOINT] = "endpoints",
    [CLUSTER_IPAM] = "ipam",
};

const char *cluster_kind_name(enum cluster_kind kind)
{
	if ((unsigned)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
		return NULL;
	return kind_names[kind];
}

const char *cluster_datapath_name(enum cluster_datapath dp)
{
	switch (dp) {
	case CLUSTER_DP_USER:
		return "user";
	case CLUSTER_DP_KERNEL:
		return "kernel";
	}
	return NULL;
}

static int refuse(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Names become key segments, interface-name material and log text: keep them
 * to a charset that needs no quoting anywhere. */
static int name_check_n(const char *s, size_t n, const char **why)
{
	if (n == 0)
		return refuse(why, "name is empty");
	if (n > CLUSTER_NAME_MAX)
		return refuse(why, "name is longer than 64 bytes");
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '/')
			return refuse(why, "name contains '/'");
		if (!is_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return refuse(why, "name contains a byte other than letters, digits, '.', '_' and '-'");
	}
	if (!is_alnum(s[0]))
		return refuse(why, "name does not start with a letter or a digit");
	return 0;
}

int cluster_name_check(const char *name, const char **why)
{
	if (!name)
		return refuse(why, "name is missing");
	return name_check_n(name, strnlen(name, CLUSTER_NAME_MAX + 1), why);
}

int cluster_prefix_check(const char *prefix, const char **why)
{
	size_t n;

	if (!prefix)
		return refuse(why, "prefix is missing");
	n = strnlen(prefix, CLUSTER_PREFIX_MAX + 1);
	if (n == 0 || prefix[0] != '/')
		return refuse(why, "prefix does not start with '/'");
	if (n > CLUSTER_PREFIX_MAX)
		return refuse(why, "prefix is longer than 128 bytes");
	if (prefix[n - 1] == '/')
		return refuse(why, "prefix ends with '/' (or is only '/')");
	for (size_t i = 0; i < n; i++) {
		if (prefix[i] == '/' && prefix[i + 1] == '/')
			return refuse(why, "prefix has an empty segment ('//')");
		if (!is_alnum(prefix[i]) && prefix[i] != '/' && prefix[i] != '.' && prefix[i] != '_' &&
		    prefix[i] != '-')
			return refuse(why, "prefix contains a byte other than letters, digits, '/', '.', '_' and '-'");
	}
	return 0;
}

/* ---- addresses and subnets ---- */

static size_t addr_bytes(const struct vx_addr *a, const uint8_t **p)
{
	if (a->family == AF_INET) {
		*p = (const uint8_t *)&a->v4;
		return 4;
	}
	*p = (const uint8_t *)&a->v6;
	return 16;
}

/* Are the bits after plen (host bits) all zero / all one? */
static bool host_bits_all(const struct vx_addr *a, unsigned plen, bool ones)
{
	const uint8_t *p;
	size_t n = addr_bytes(a, &p);

	for (size_t i = 0; i < n; i++) {
		unsigned first = (unsigned)i * 8; /* bit index of this byte's MSB */
		uint8_t mask;

		if (first + 8 <= plen)
			continue;
		mask = first >= plen ? 0xff : (uint8_t)(0xff >> (plen - first));
		if ((p[i] & mask) != (ones ? mask : 0))
			return false;
	}
	return true;
}

static bool is_loopback(const struct vx_addr *a)
{
	if (a->family == AF_INET)
		return (ntohl(a->v4.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&a->v6);
}

int cluster_subnet_parse(const char *s, struct cluster_subnet *out, const char **why)
{
	char abuf[ADDR_STRLEN];
	const char *slash, *p;
	struct cluster_subnet sn;
	unsigned plen = 0, max;
	size_t alen;

	if (!s || !out)
		return refuse(why, "subnet is missing");
	memset(&sn, 0, sizeof(sn));
	slash = strchr(s, '/');
	if (!slash)
		return refuse(why, "subnet has no '/' prefix length");
	alen = (size_t)(slash - s);
	if (alen == 0 || alen >= sizeof(abuf))
		return refuse(why, "subnet address is not an IPv4 or IPv6 address");
	memcpy(abuf, s, alen);
	abuf[alen] = '\0';
	if (addr_parse(abuf, &sn.addr))
		return refuse(why, "subnet address is not an IPv4 or IPv6 address");
	p = slash + 1;
	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] != '\0'))
		return refuse(why, "subnet prefix length is not a decimal number");
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || plen > 1000)
			return refuse(why, "subnet prefix length is not a decimal number");
		plen = plen * 10 + (unsigned)(*p - '0');
	}
	max = sn.addr.family == AF_INET ? 30 : 126;
	if (plen < 1 || plen > max)
		return refuse(why, "subnet prefix length out of range (IPv4 1..30, IPv6 1..126)");
	sn.plen = (uint8_t)plen;
	if (!host_bits_all(&sn.addr, plen, false))
		return refuse(why, "subnet is not a network address (host bits set)");
	if (addr_is_multicast(&sn.addr) || is_loopback(&sn.addr))
		return refuse(why, "subnet is multicast or loopback");
	*out = sn;
	return 0;
}

int cluster_subnet_format(const struct cluster_subnet *s, char *buf, size_t len)
{
	char a[ADDR_STRLEN];
	int n;

	if (!s || !buf || (s->addr.family != AF_INET && s->addr.family != AF_INET6))
		return -EINVAL;
	if (addr_format(&s->addr, a, sizeof(a)))
		return -EINVAL;
	n = snprintf(buf, len, "%s/%u", a, s->plen);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}

bool cluster_subnet_contains(const struct cluster_subnet *s, const struct vx_addr *ip)
{
	const uint8_t *a, *b;
	size_t n;

	if (!s || !ip || s->addr.family != ip->family || (ip->family != AF_INET && ip->family != AF_INET6))
		return false;
	n = addr_bytes(&s->addr, &a);
	addr_bytes(ip, &b);
	if (s->plen > n * 8)
		return false;
	for (unsigned i = 0; i < s->plen / 8; i++)
		if (a[i] != b[i])
			return false;
	if (s->plen % 8) {
		uint8_t mask = (uint8_t)(0xff << (8 - s->plen % 8));

		if ((a[s->plen / 8] & mask) != (b[s->plen / 8] & mask))
			return false;
	}
	return true;
}

int cluster_addr_check(const struct cluster_subnet *s, const struct vx_addr *ip, const char **why)
{
	if (!s || !ip || (ip->family != AF_INET && ip->family != AF_INET6))
		return refuse(why, "ip is not an IPv4 or IPv6 address");
	if (ip->family != s->addr.family)
		return refuse(why, "ip is not of the subnet's address family");
	if (!cluster_subnet_contains(s, ip))
		return refuse(why, "ip is outside the network's subnet");
	if (host_bits_all(ip, s->plen, false))
		return refuse(why, "ip is the subnet's network address");
	if (ip->family == AF_INET && host_bits_all(ip, s->plen, true))
		return refuse(why, "ip is the subnet's broadcast address");
	return 0;
}

int cluster_subnet_host(const struct cluster_subnet *s, uint64_t index, struct vx_addr *out)
{
	struct vx_addr a;
	unsigned hbits;
	uint8_t *p;

	if (!s || !out || (s->addr.family != AF_INET && s->addr.family != AF_INET6))
		return -EINVAL;
	hbits = (s->addr.family == AF_INET ? 32u : 128u) - s->plen;
	if (s->plen == 0 || hbits == 0 || hbits > 127)
		return -EINVAL;
	if (index == 0)
		return -ERANGE;
	if (hbits < 64) {
		uint64_t last = (UINT64_C(1) << hbits) - (s->addr.family == AF_INET ? 2 : 1);

		if (index > last)
			return -ERANGE;
	}
	a = s->addr;
	p = a.family == AF_INET ? (uint8_t *)&a.v4 : (uint8_t *)&a.v6;
	/* The host part is zero in the subnet address and index fits in it, so
	 * OR-ing the index into the low 64 bits cannot touch network bits. */
	for (size_t i = 0; i < 8 && index; i++) {
		size_t at = (a.family == AF_INET ? 4 : 16) - 1 - i;

		if (a.family == AF_INET && i >= 4)
			break;
		p[at] |= (uint8_t)(index & 0xff);
		index >>= 8;
	}
	*out = a;
	return 0;
}

int cluster_mac_from_ip(const struct vx_addr *ip, uint8_t mac[MAC_LEN])
{
	const uint8_t *p;
	size_t n;

	if (!ip || !mac || (ip->family != AF_INET && ip->family != AF_INET6))
		return -EINVAL;
	n = addr_bytes(ip, &p);
	mac[0] = 0x02;
	mac[1] = 0x42;
	memcpy(mac + 2, p + n - 4, 4);
	return 0;
}

int cluster_claim_cmp(int64_t create_rev_a, const char *host_a, int64_t create_rev_b, const char *host_b)
{
	int c;

	if (create_rev_a != create_rev_b)
		return create_rev_a < create_rev_b ? -1 : 1;
	c = strcmp(host_a ? host_a : "", host_b ? host_b : "");
	return c < 0 ? -1 : c > 0;
}

/* ---- keys ---- */

/* Unicast and not zero: the only MACs an endpoint can have. */
static bool mac_usable(const uint8_t mac[MAC_LEN])
{
	return !mac_is_zero(mac) && !mac_is_multicast(mac);
}

static int key_check(const struct cluster_key *k)
{
	switch (k->kind) {
	case CLUSTER_NETWORK:
		return cluster_name_check(k->network, NULL);
	case CLUSTER_HOST:
		return cluster_name_check(k->host, NULL);
	case CLUSTER_ENDPOINT:
		if (cluster_name_check(k->network, NULL) || cluster_name_check(k->host, NULL) || !mac_usable(k->mac))
			return -EINVAL;
		return 0;
	case CLUSTER_IPAM:
		if (cluster_name_check(k->network, NULL) || (k->ip.family != AF_INET && k->ip.family != AF_INET6))
			return -EINVAL;
		return 0;
	}
	return -EINVAL;
}

int cluster_key_format(const char *prefix, const struct cluster_key *k, char *buf, size_t len)
{
	char a[ADDR_STRLEN], m[MAC_STRLEN];
	const char *kn;
	int n = -1;

	if (!k || !buf || cluster_prefix_check(prefix, NULL) || key_check(k))
		return -EINVAL;
	kn = cluster_kind_name(k->kind);
	switch (k->kind) {
	case CLUSTER_NETWORK:
		n = snprintf(buf, len, "%s/%s/%s", prefix, kn, k->network);
		break;
	case CLUSTER_HOST:
		n = snprintf(buf, len, "%s/%s/%s", prefix, kn, k->host);
		break;
	case CLUSTER_ENDPOINT:
		mac_format(k->mac, m);
		n = snprintf(buf, len, "%s/%s/%s/%s/%s", prefix, kn, k->network, m, k->host);
		break;
	case CLUSTER_IPAM:
		if (addr_format(&k->ip, a, sizeof(a)))
			return -EINVAL;
		n = snprintf(buf, len, "%s/%s/%s/%s", prefix, kn, k->network, a);
		break;
	}
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}

int cluster_prefix_format(const char *prefix, enum cluster_kind kind, const char *network, char *buf, size_t len)
{
	int n;

	if (!buf || cluster_prefix_check(prefix, NULL))
		return -EINVAL;
	if (kind == 0) {
		if (network)
			return -EINVAL;
		n = snprintf(buf, len, "%s/", prefix);
	} else if (!cluster_kind_name(kind)) {
		return -EINVAL;
	} else if (!network) {
		n = snprintf(buf, len, "%s/%s/", prefix, cluster_kind_name(kind));
	} else {
		if ((kind != CLUSTER_ENDPOINT && kind != CLUSTER_IPAM) || cluster_name_check(network, NULL))
			return -EINVAL;
		n = snprintf(buf, len, "%s/%s/%s/", prefix, cluster_kind_name(kind), network);
	}
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}

/* Split the part of a key after "<prefix>/" into up to max '/'-separated
 * segments (pointers into s, lengths in seglen). Returns the segment count,
 * or max + 1 if there are more. */
static unsigned split(const char *s, size_t n, const char **seg, size_t *seglen, unsigned max)
{
	unsigned k = 0;
	size_t start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '/')
			continue;
		if (k == max)
			return max + 1;
		seg[k] = s + start;
		seglen[k] = i - start;
		k++;
		start = i + 1;
	}
	return k;
}

static int seg_name(const char *s, size_t n, char out[CLUSTER_NAME_MAX + 1], const char **why)
{
	int err = name_check_n(s, n, why);

	if (err)
		return err;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

int cluster_key_parse(const char *prefix, const char *key, size_t len, struct cluster_key *out, const char **why)
{
	const char *seg[4];
	size_t seglen[4], plen;
	struct cluster_key k;
	unsigned nseg;
	char tmp[ADDR_STRLEN];
	int err;

	if (!key || !out || cluster_prefix_check(prefix, why))
		return -EINVAL;
	if (memchr(key, '\0', len))
		return refuse(why, "key contains a NUL byte");
	plen = strlen(prefix);
	if (len <= plen + 1 || memcmp(key, prefix, plen) != 0 || key[plen] != '/')
		return refuse(why, "key is not under the prefix");
	key += plen + 1;
	len -= plen + 1;
	memset(&k, 0, sizeof(k));
	nseg = split(key, len, seg, seglen, 4);
	for (unsigned i = 1; i < nseg && i < 4; i++)
		if (seglen[i] == 0)
			return refuse(why, "key has an empty segment");
	if (seglen[0] == 0)
		return refuse(why, "key has an empty segment");
	for (k.kind = CLUSTER_NETWORK; k.kind <= CLUSTER_IPAM; k.kind++) {
		const char *kn = cluster_kind_name(k.kind);

		if (strlen(kn) == seglen[0] && memcmp(kn, seg[0], seglen[0]) == 0)
			break;
	}
	switch (k.kind) {
	case CLUSTER_NETWORK:
	case CLUSTER_HOST:
		if (nseg != 2)
			return refuse(why, "key does not have 1 segment after its kind");
		err = seg_name(seg[1], seglen[1], k.kind == CLUSTER_NETWORK ? k.network : k.host, why);
		if (err)
			return err;
		break;
	case CLUSTER_ENDPOINT:
		if (nseg != 4)
			return refuse(why, "key does not have 3 segments (network, mac, host) after its kind");
		err = seg_name(seg[1], seglen[1], k.network, why);
		if (err)
			return err;
		err = seg_name(seg[3], seglen[3], k.host, why);
		if (err)
			return err;
		if (seglen[2] != MAC_STRLEN - 1)
			return refuse(why, "key's MAC is not aa:bb:cc:dd:ee:ff");
		memcpy(tmp, seg[2], seglen[2]);
		tmp[seglen[2]] = '\0';
		if (mac_parse(tmp, k.mac))
			return refuse(why, "key's MAC is not aa:bb:cc:dd:ee:ff");
		for (size_t i = 0; i < seglen[2]; i++)
			if (tmp[i] >= 'A' && tmp[i] <= 'F')
				return refuse(why, "key's MAC is not in lower case");
		if (!mac_usable(k.mac))
			return refuse(why, "key's MAC is multicast or all zeros");
		break;
	case CLUSTER_IPAM: {
		char canon[ADDR_STRLEN];

		if (nseg != 3)
			return refuse(why, "key does not have 2 segments (network, ip) after its kind");
		err = seg_name(seg[1], seglen[1], k.network, why);
		if (err)
			return err;
		if (seglen[2] >= sizeof(tmp))
			return refuse(why, "key's address is not an IPv4 or IPv6 address");
		memcpy(tmp, seg[2], seglen[2]);
		tmp[seglen[2]] = '\0';
		if (addr_parse(tmp, &k.ip))
			return refuse(why, "key's address is not an IPv4 or IPv6 address");
		if (addr_format(&k.ip, canon, sizeof(canon)) || strcmp(canon, tmp) != 0)
			return refuse(why, "key's address is not in canonical form");
		break;
	}
	default:
		/* A kind added by a later version: not malformed, just not ours. */
		if (name_check_n(seg[0], seglen[0], NULL))
			return refuse(why, "key's kind is not a valid name");
		if (why)
			*why = "key's kind is unknown to this version";
		return -EOPNOTSUPP;
	}
	*out = k;
	return 0;
}

/* ---- values ---- */

static int load(const char *buf, size_t len, json_t **root, const char **why)
{
	json_error_t jerr;

	if (!buf)
		return refuse(why, "value is missing");
	if (len > CLUSTER_VALUE_MAX)
		return refuse(why, "value is longer than 4096 bytes");
	/* Duplicate fields would let two readers see two different values. */
	*root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!*root) {
		if (json_error_code(&jerr) == json_error_duplicate_key)
			return refuse(why, "value has a duplicate field");
		return refuse(why, "value is not valid JSON");
	}
	if (!json_is_object(*root)) {
		json_decref(*root);
		return refuse(why, "value is not a JSON object");
	}
	return 0;
}

/* Field helpers: absent -> -ENOENT (the caller decides whether that is an
 * error), wrong type or range -> -EINVAL with the given reason. */
static int get_int(json_t *o, const char *name, json_int_t min, json_int_t max, json_int_t *out, const char **why,
		   const char *why_type, const char *why_range)
{
	json_t *v = json_object_get(o, name);

	if (!v)
		return -ENOENT;
	if (!json_is_integer(v))
		return refuse(why, why_type);
	if (json_integer_value(v) < min || json_integer_value(v) > max)
		return refuse(why, why_range);
	*out = json_integer_value(v);
	return 0;
}

static int get_str(json_t *o, const char *name, const char **out, const char **why, const char *why_type)
{
	json_t *v = json_object_get(o, name);

	if (!v)
		return -ENOENT;
	if (!json_is_string(v))
		return refuse(why, why_type);
	*out = json_string_value(v);
	return 0;
}

int cluster_network_decode(const char *buf, size_t len, struct cluster_network *out, const char **why)
{
	struct cluster_network n = {
	    .mtu = CLUSTER_MTU_DEFAULT, .dstport = CLUSTER_DSTPORT_DEFAULT, .datapath = CLUSTER_DP_USER};
	const char *s;
	json_int_t i;
	json_t *o;
	int err;

	if (!out)
		return refuse(why, "no output");
	err = load(buf, len, &o, why);
	if (err)
		return err;
	err = get_int(o, "vni", CLUSTER_VNI_MIN, CLUSTER_VNI_MAX, &i, why, "vni is not an integer",
		      "vni is out of range 1..16777215");
	if (err == -ENOENT)
		err = refuse(why, "vni is missing");
	if (err)
		goto out;
	n.vni = (uint32_t)i;
	err = get_str(o, "subnet", &s, why, "subnet is not a string");
	if (err == -ENOENT)
		err = refuse(why, "subnet is missing");
	if (err || (err = cluster_subnet_parse(s, &n.subnet, why)))
		goto out;
	err = get_int(o, "mtu", CLUSTER_MTU_MIN, 65535, &i, why, "mtu is not an integer",
		      "mtu is out of range 68..65535");
	if (err == 0)
		n.mtu = (uint16_t)i;
	else if (err != -ENOENT)
		goto out;
	if (n.subnet.addr.family == AF_INET6 && n.mtu < CLUSTER_MTU_MIN_V6) {
		err = refuse(why, "mtu is below 1280 for an IPv6 subnet");
		goto out;
	}
	err = get_int(o, "dstport", 1, 65535, &i, why, "dstport is not an integer", "dstport is out of range 1..65535");
	if (err == 0)
		n.dstport = (uint16_t)i;
	else if (err != -ENOENT)
		goto out;
	err = get_str(o, "datapath", &s, why, "datapath is not a string");
	if (err == 0) {
		if (strcmp(s, "user") == 0) {
			n.datapath = CLUSTER_DP_USER;
		} else if (strcmp(s, "kernel") == 0) {
			n.datapath = CLUSTER_DP_KERNEL;
		} else {
			err = refuse(why, "datapath is neither \"user\" nor \"kernel\"");
			goto out;
		}
	} else if (err != -ENOENT) {
		goto out;
	}
	err = 0;
	*out = n;
out:
	json_decref(o);
	return err;
}

static int get_addr(json_t *o, const char *name, struct vx_addr *out, const char **why, const char *why_missing,
		    const char *why_type, const char *why_bad)
{
	const char *s;
	int err = get_str(o, name, &s, why, why_type);

	if (err == -ENOENT)
		return refuse(why, why_missing);
	if (err)
		return err;
	if (addr_parse(s, out))
		return refuse(why, why_bad);
	return 0;
}

int cluster_host_decode(const char *buf, size_t len, struct cluster_host *out, const char **why)
{
	struct cluster_host h;
	json_t *o;
	int err;

	if (!out)
		return refuse(why, "no output");
	err = load(buf, len, &o, why);
	if (err)
		return err;
	memset(&h, 0, sizeof(h));
	err = get_addr(o, "underlay", &h.underlay, why, "underlay is missing", "underlay is not a string",
		       "underlay is not an IPv4 or IPv6 address");
	if (!err && (addr_is_unspec(&h.underlay) || addr_is_multicast(&h.underlay)))
		err = refuse(why, "underlay is not a unicast address");
	if (!err)
		*out = h;
	json_decref(o);
	return err;
}

int cluster_endpoint_decode(const char *buf, size_t len, struct cluster_endpoint *out, const char **why)
{
	struct cluster_endpoint e;
	json_t *o;
	int err;

	if (!out)
		return refuse(why, "no output");
	err = load(buf, len, &o, why);
	if (err)
		return err;
	memset(&e, 0, sizeof(e));
	err = get_addr(o, "ip", &e.ip, why, "ip is missing", "ip is not a string", "ip is not an IPv4 or IPv6 address");
	if (!err)
		*out = e;
	json_decref(o);
	return err;
}

int cluster_ipam_decode(const char *buf, size_t len, struct cluster_ipam *out, const char **why)
{
	struct cluster_ipam c;
	const char *s;
	json_t *o;
	int err;

	if (!out)
		return refuse(why, "no output");
	err = load(buf, len, &o, why);
	if (err)
		return err;
	memset(&c, 0, sizeof(c));
	err = get_str(o, "host", &s, why, "host is not a string");
	if (err == -ENOENT)
		err = refuse(why, "host is missing");
	if (err)
		goto out;
	/* json_string_length, not strlen: an embedded NUL must not shorten a bad name into a good one. */
	err = name_check_n(s, json_string_length(json_object_get(o, "host")), why);
	if (err)
		goto out;
	memcpy(c.host, s, strlen(s) + 1);
	err = get_str(o, "mac", &s, why, "mac is not a string");
	if (err == 0) {
		if (mac_parse(s, c.mac)) {
			err = refuse(why, "mac is not aa:bb:cc:dd:ee:ff");
			goto out;
		}
		if (!mac_usable(c.mac)) {
			err = refuse(why, "mac is multicast or all zeros");
			goto out;
		}
		c.has_mac = true;
	} else if (err != -ENOENT) {
		goto out;
	}
	err = 0;
	*out = c;
out:
	json_decref(o);
	return err;
}

/* Serialize o (stolen) into a malloc'd string. */
static int dump(json_t *o, char **out, size_t *out_len)
{
	char *s;

	if (!o)
		return -ENOMEM;
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return -ENOMEM;
	*out = s;
	if (out_len)
		*out_len = strlen(s);
	return 0;
}

/* json_pack with "s" reports a missing or invalid string as an error; we only
 * pass validated, NUL-terminated text, so NULL means out of memory. */
static int addr_str(const struct vx_addr *a, char buf[ADDR_STRLEN])
{
	if (a->family != AF_INET && a->family != AF_INET6)
		return -EINVAL;
	return addr_format(a, buf, ADDR_STRLEN) ? -EINVAL : 0;
}

int cluster_network_encode(const struct cluster_network *v, char **out, size_t *out_len)
{
	char sn[ADDR_STRLEN + 4];
	const char *dp;

	if (!v || !out)
		return -EINVAL;
	dp = cluster_datapath_name(v->datapath);
	if (!dp || v->vni < CLUSTER_VNI_MIN || v->vni > CLUSTER_VNI_MAX || v->dstport == 0 ||
	    v->mtu < (v->subnet.addr.family == AF_INET6 ? CLUSTER_MTU_MIN_V6 : CLUSTER_MTU_MIN) ||
	    cluster_subnet_format(&v->subnet, sn, sizeof(sn)))
		return -EINVAL;
	/* Re-parse: the encoder refuses exactly what the decoder would. */
	{
		struct cluster_subnet chk;

		if (cluster_subnet_parse(sn, &chk, NULL))
			return -EINVAL;
	}
	return dump(json_pack("{s:I,s:s,s:i,s:i,s:s}", "vni", (json_int_t)v->vni, "subnet", sn, "mtu", (int)v->mtu,
			      "dstport", (int)v->dstport, "datapath", dp),
		    out, out_len);
}

int cluster_host_encode(const struct cluster_host *v, char **out, size_t *out_len)
{
	char a[ADDR_STRLEN];

	if (!v || !out || addr_str(&v->underlay, a) || addr_is_unspec(&v->underlay) || addr_is_multicast(&v->underlay))
		return -EINVAL;
	return dump(json_pack("{s:s}", "underlay", a), out, out_len);
}

int cluster_endpoint_encode(const struct cluster_endpoint *v, char **out, size_t *out_len)
{
	char a[ADDR_STRLEN];

	if (!v || !out || addr_str(&v->ip, a))
		return -EINVAL;
	return dump(json_pack("{s:s}", "ip", a), out, out_len);
}

int cluster_ipam_encode(const struct cluster_ipam *v, char **out, size_t *out_len)
{
	char m[MAC_STRLEN];

	if (!v || !out || cluster_name_check(v->host, NULL) || (v->has_mac && !mac_usable(v->mac)))
		return -EINVAL;
	if (!v->has_mac)
		return dump(json_pack("{s:s}", "host", v->host), out, out_len);
	mac_format(v->mac, m);
	return dump(json_pack("{s:s,s:s}", "host", v->host, "mac", m), out, out_len);
}
