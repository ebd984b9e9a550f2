/* fuzz_cluster: libFuzzer target for lib/cluster.c, the parser of everything
 * other hosts (or anyone with write access to etcd) put under the prefix.
 * Besides the sanitizers it checks the module's promises: a refusal always
 * has a reason and leaves the output untouched; a parsed key formats back to
 * exactly the same bytes (one thing, one key); a decoded value encodes and
 * decodes again to the same struct; a parsed subnet formats and parses back.
 *
 * Input: [0] selects what to parse (mod 7: key, network, host, endpoint,
 * ipam, subnet, address check), the rest is the key or value. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vxnet/cluster.h"

#define CHECK(c)                                                                                                       \
	do {                                                                                                           \
		if (!(c))                                                                                              \
			__builtin_trap();                                                                              \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Untouched-on-failure check: out starts filled with this byte. */
#define POISON 0xa5

static bool poisoned(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != POISON)
			return false;
	return true;
}

static void fuzz_key(const char *s, size_t n)
{
	struct cluster_key k, k2;
	char buf[CLUSTER_KEY_MAX];
	const char *why = NULL;
	int rc;

	memset(&k, POISON, sizeof(k));
	rc = cluster_key_parse("/vxnet", s, n, &k, &why);
	if (rc) {
		CHECK(rc == -EINVAL || rc == -EOPNOTSUPP);
		CHECK(why && *why);
		CHECK(poisoned(&k, sizeof(k)));
		return;
	}
	CHECK(cluster_key_format("/vxnet", &k, buf, sizeof(buf)) == 0);
	CHECK(strlen(buf) == n && memcmp(buf, s, n) == 0);
	CHECK(cluster_key_parse("/vxnet", buf, strlen(buf), &k2, NULL) == 0);
	CHECK(k2.kind == k.kind);
}

static void fuzz_network(const char *s, size_t n)
{
	struct cluster_network v, v2;
	const char *why = NULL;
	char *enc;
	size_t len;

	memset(&v, POISON, sizeof(v));
	if (cluster_network_decode(s, n, &v, &why)) {
		CHECK(why && *why);
		CHECK(poisoned(&v, sizeof(v)));
		return;
	}
	CHECK(v.vni >= CLUSTER_VNI_MIN && v.vni <= CLUSTER_VNI_MAX && v.dstport > 0);
	CHECK(cluster_network_encode(&v, &enc, &len) == 0);
	CHECK(cluster_network_decode(enc, len, &v2, NULL) == 0);
	CHECK(v2.vni == v.vni && v2.mtu == v.mtu && v2.dstport == v.dstport && v2.datapath == v.datapath);
	CHECK(v2.subnet.plen == v.subnet.plen && addr_equal(&v2.subnet.addr, &v.subnet.addr));
	free(enc);
}

static void fuzz_host(const char *s, size_t n)
{
	struct cluster_host v, v2;
	const char *why = NULL;
	char *enc;
	size_t len;

	memset(&v, POISON, sizeof(v));
	if (cluster_host_decode(s, n, &v, &why)) {
		CHECK(why && *why);
		CHECK(poisoned(&v, sizeof(v)));
		return;
	}
	CHECK(cluster_host_encode(&v, &enc, &len) == 0);
	CHECK(cluster_host_decode(enc, len, &v2, NULL) == 0);
	CHECK(addr_equal(&v.underlay, &v2.underlay));
	free(enc);
}

static void fuzz_endpoint(const char *s, size_t n)
{
	struct cluster_endpoint v, v2;
	const char *why = NULL;
	char *enc;
	size_t len;

	memset(&v, POISON, sizeof(v));
	if (cluster_endpoint_decode(s, n, &v, &why)) {
		CHECK(why && *why);
		CHECK(poisoned(&v, sizeof(v)));
		return;
	}
	CHECK(cluster_endpoint_encode(&v, &enc, &len) == 0);
	CHECK(cluster_endpoint_decode(enc, len, &v2, NULL) == 0);
	CHECK(addr_equal(&v.ip, &v2.ip));
	free(enc);
}

static void fuzz_ipam(const char *s, size_t n)
{
	struct cluster_ipam v, v2;
	const char *why = NULL;
	char *enc;
	size_t len;

	memset(&v, POISON, sizeof(v));
	if (cluster_ipam_decode(s, n, &v, &why)) {
		CHECK(why && *why);
		CHECK(poisoned(&v, sizeof(v)));
		return;
	}
	CHECK(cluster_name_check(v.host, NULL) == 0);
	CHECK(cluster_ipam_encode(&v, &enc, &len) == 0);
	CHECK(cluster_ipam_decode(enc, len, &v2, NULL) == 0);
	CHECK(strcmp(v.host, v2.host) == 0 && v.has_mac == v2.has_mac);
	CHECK(!v.has_mac || mac_equal(v.mac, v2.mac));
	free(enc);
}

/* s is NUL-terminated here. */
static void fuzz_subnet(const char *s, bool check_addr)
{
	struct cluster_subnet sn, sn2;
	struct vx_addr a;
	char buf[ADDR_STRLEN + 4];
	const char *why = NULL;
	const char *sp = strchr(s, ' ');

	if (check_addr && sp) {
		/* "SUBNET ADDR": the address check and the walk agree. */
		char head[128];
		size_t hl = (size_t)(sp - s);

		if (hl >= sizeof(head))
			return;
		memcpy(head, s, hl);
		head[hl] = '\0';
		if (cluster_subnet_parse(head, &sn, NULL) || addr_parse(sp + 1, &a))
			return;
		if (cluster_addr_check(&sn, &a, &why) == 0)
			CHECK(cluster_subnet_contains(&sn, &a));
		else
			CHECK(why && *why);
		for (uint64_t i = 1; i < 4; i++) {
			struct vx_addr h;

			if (cluster_subnet_host(&sn, i, &h) == 0)
				CHECK(cluster_addr_check(&sn, &h, NULL) == 0);
		}
		return;
	}
	memset(&sn, POISON, sizeof(sn));
	if (cluster_subnet_parse(s, &sn, &why)) {
		CHECK(why && *why);
		CHECK(poisoned(&sn, sizeof(sn)));
		return;
	}
	CHECK(cluster_subnet_format(&sn, buf, sizeof(buf)) == 0);
	CHECK(cluster_subnet_parse(buf, &sn2, NULL) == 0);
	CHECK(sn2.plen == sn.plen && addr_equal(&sn2.addr, &sn.addr));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy;
	size_t n;

	if (size < 1 || size > CLUSTER_VALUE_MAX + 64)
		return 0;
	n = size - 1;
	/* Exact-size heap copy (plus a NUL only where a C string is wanted),
	 * so ASan sees any read past len. */
	copy = malloc(n + 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, n);
	switch (data[0] % 7) {
	case 0:
		fuzz_key(copy, n);
		break;
	case 1:
		fuzz_network(copy, n);
		break;
	case 2:
		fuzz_host(copy, n);
		break;
	case 3:
		fuzz_endpoint(copy, n);
		break;
	case 4:
		fuzz_ipam(copy, n);
		break;
	case 5:
	case 6:
		copy[n] = '\0';
		if (strlen(copy) == n)
			fuzz_subnet(copy, data[0] % 7 == 6);
		break;
	}
	free(copy);
	return 0;
}
