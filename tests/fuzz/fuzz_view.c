/* fuzz_view: libFuzzer target for src/vxnetd/cluster/view.c, what a vxnetd
 * makes of whatever is put under the prefix, in whatever order. The input is
 * a script of puts and deletes; the sanitizers watch the table, the conflict
 * settling and the dirty set, and the view's promises are checked after each
 * step: every endpoint in effect has a valid network whose subnet holds its
 * address and a known host; no two endpoints in effect of one network share
 * a MAC or an address; the counts add up.
 *
 * Input: records of [op][key length][value length][key][value]; op & 1: put
 * (else delete), op >> 1 selects a canned key prefix (so that valid keys are
 * reached) which the key bytes complete. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/view.h"

#define CHECK(c)                                                                                                       \
	do {                                                                                                           \
		if (!(c))                                                                                              \
			__builtin_trap();                                                                              \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const prefixes[] = {
    "/vxnet/networks/",
    "/vxnet/hosts/",
    "/vxnet/endpoints/n1/02:42:cb:00:71:0",
    "/vxnet/endpoints/n1/",
    "/vxnet/ipam/n1/",
    "/vxnet/",
    "",
};

static void warn(void *arg, const char *key, const char *why)
{
	(void)arg;
	CHECK(key && why && *why);
	for (const char *p = key; *p; p++)
		CHECK((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
}

struct seen {
	const struct view *v;
	unsigned n;
	struct view_endpoint e[64];
};

static void on_ep(void *arg, const struct view_endpoint *e)
{
	struct seen *s = arg;
	const struct cluster_network *net = view_network(s->v, e->network);
	CHECK(net);
	CHECK(cluster_addr_check(&net->subnet, &e->ip, NULL) == 0);
	CHECK(view_host(s->v, e->host));
	for (unsigned i = 0; i < s->n && i < 64; i++) {
		CHECK(!mac_equal(s->e[i].mac, e->mac));
		CHECK(!addr_equal(&s->e[i].ip, &e->ip));
	}
	if (s->n < 64)
		s->e[s->n] = *e;
	s->n++;
}

static void on_member(void *arg, const char *host, const struct vx_addr *ul)
{
	(void)arg;
	(void)ul;
	CHECK(strcmp(host, "me"));
}

static void on_dirty(void *arg, const char *network)
{
	struct view *v = arg;
	view_refresh(v, network);
	struct seen s = {.v = v};
	view_foreach_endpoint(v, network, on_ep, &s);
	view_foreach_member(v, network, false, on_member, NULL);
}

static void on_net(void *arg, const char *name, const struct cluster_network *n, int64_t rev)
{
	(void)arg;
	(void)n;
	(void)rev;
	CHECK(cluster_name_check(name, NULL) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct view *v = view_new("/vxnet", "me", warn, NULL);
	int64_t rev = 1;
	CHECK(v);
	while (size >= 3) {
		uint8_t op = data[0];
		size_t kl = data[1], vl = data[2];
		data += 3;
		size -= 3;
		if (kl > size)
			kl = size;
		if (vl > size - kl)
			vl = size - kl;
		const char *pre = prefixes[(op >> 1) % (sizeof(prefixes) / sizeof(prefixes[0]))];
		char key[600];
		size_t pl = strlen(pre);
		memcpy(key, pre, pl);
		memcpy(key + pl, data, kl);
		rev++;
		if (op & 1)
			view_put(v, key, pl + kl, (const char *)data + kl, vl, (op & 0x80) ? rev - 5 : rev, rev, 0);
		else
			view_del(v, key, pl + kl);
		view_set_revision(v, rev);
		data += kl + vl;
		size -= kl + vl;
		if (op & 0x40)
			view_take_dirty(v, on_dirty, v);
		if ((op & 0x3f) == 0x3f)
			view_clear(v);
	}
	view_take_dirty(v, on_dirty, v);
	view_foreach_network(v, on_net, NULL);
	struct view_stats st;
	view_get_stats(v, &st);
	CHECK(st.invalid + st.conflicts <= st.keys);
	view_free(v);
	return 0;
}
