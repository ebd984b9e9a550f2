/* Unit tests of the state file codec: a full state round-trips, and every
 * kind of damage is refused whole with a reason naming the place. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "vxnet/statefile.h"

static struct vx_addr ip(const char *s)
{
	struct vx_addr a;
	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static struct link_config full_config(void)
{
	struct link_config c;
	link_config_init(&c);
	strcpy(c.name, "vxlan1");
	c.vni = 16777215;
	c.dstport = 8472;
	c.local = ip("198.18.0.1");
	c.remote = ip("198.18.0.2");
	strcpy(c.dev, "ul0");
	c.learning = false;
	c.proxy = true;
	c.ageing = 30;
	c.maxaddress = 100;
	c.ttl = 5;
	c.tos_inherit = true;
	c.srcport_min = 50000;
	c.srcport_max = 50010;
	c.mtu = 1400;
	memcpy(c.address, "\x02\x00\x00\x00\x00\x01", 6);
	strcpy(c.netns, "ctr");
	c.datapath = LINK_DP_KERNEL;
	c.df = LINK_DF_INHERIT;
	c.localbypass = false;
	c.set = LINK_P_DF | LINK_P_LOCALBYPASS | LINK_P_DSTPORT | LINK_P_LOCAL | LINK_P_REMOTE | LINK_P_DEV |
		LINK_P_LEARNING | LINK_P_PROXY | LINK_P_AGEING | LINK_P_MAXADDR | LINK_P_TTL | LINK_P_TOS |
		LINK_P_SRCPORT | LINK_P_MTU | LINK_P_ADDRESS | LINK_P_NETNS | LINK_P_DATAPATH;
	return c;
}

static void test_full_state_round_trips(void **state)
{
	(void)state;
	struct statefile sf = {0}, back;
	struct link_config c = full_config(), d;
	char err[128];
	assert_int_equal(statefile_add_link(&sf, &c, FDB_ORIGIN_USER), 0);
	statefile_set_link_state(&sf, true, "br0");
	for (int i = 0; i < 9; i++) { /* past the first growth */
		uint8_t mac[MAC_LEN] = {2, 0, 0, 0, 1, (uint8_t)i};
		struct fdb_remote r = {.ip = ip(i & 1 ? "2001:db8::5" : "198.18.0.5"),
				       .port = (uint16_t)(4789 + i),
				       .vni = (uint32_t)i,
				       .origin = i == 3 ? FDB_ORIGIN_STORE : FDB_ORIGIN_USER};
		assert_int_equal(statefile_add_fdb(&sf, mac, &r), 0);
	}
	struct vx_addr n6 = ip("2001:db8:1::2");
	assert_int_equal(statefile_add_neigh(&sf, &n6, (const uint8_t *)"\x02\x00\x00\x00\x00\x09", FDB_ORIGIN_STORE),
			 0);
	link_config_init(&d);
	strcpy(d.name, "vx2");
	d.vni = 0;
	assert_int_equal(statefile_add_link(&sf, &d, FDB_ORIGIN_STORE), 0);

	char *text = statefile_format(&sf);
	assert_non_null(text);
	assert_int_equal(statefile_parse(text, strlen(text), &back, err, sizeof(err)), 0);
	assert_int_equal(back.n_links, 2);
	const struct statefile_link *l = &back.links[0];
	assert_string_equal(l->cfg.name, "vxlan1");
	assert_int_equal(l->origin, FDB_ORIGIN_USER);
	assert_int_equal(l->cfg.set, c.set);
	assert_int_equal(l->cfg.vni, c.vni);
	assert_int_equal(l->cfg.dstport, 8472);
	assert_true(addr_equal(&l->cfg.local, &c.local));
	assert_true(addr_equal(&l->cfg.remote, &c.remote));
	assert_string_equal(l->cfg.dev, "ul0");
	assert_false(l->cfg.learning);
	assert_true(l->cfg.proxy);
	assert_int_equal(l->cfg.ageing, 30);
	assert_int_equal(l->cfg.maxaddress, 100);
	assert_int_equal(l->cfg.ttl, 5);
	assert_true(l->cfg.tos_inherit);
	assert_int_equal(l->cfg.srcport_min, 50000);
	assert_int_equal(l->cfg.srcport_max, 50010);
	assert_int_equal(l->cfg.mtu, 1400);
	assert_memory_equal(l->cfg.address, c.address, 6);
	assert_string_equal(l->cfg.netns, "ctr");
	assert_int_equal(l->cfg.datapath, LINK_DP_KERNEL);
	assert_int_equal(l->cfg.df, LINK_DF_INHERIT);
	assert_false(l->cfg.localbypass);
	assert_int_equal(back.links[1].cfg.df, LINK_DF_SET);
	assert_true(back.links[1].cfg.localbypass);
	assert_true(l->up);
	assert_string_equal(l->master, "br0");
	assert_false(back.links[1].up);
	assert_string_equal(back.links[1].master, "");
	assert_int_equal(l->n_fdb, 9);
	for (unsigned i = 0; i < 9; i++) {
		assert_int_equal(l->fdb[i].mac[5], i);
		assert_int_equal(l->fdb[i].r.port, 4789 + i);
		assert_int_equal(l->fdb[i].r.vni, i);
		assert_int_equal(l->fdb[i].r.origin, i == 3 ? FDB_ORIGIN_STORE : FDB_ORIGIN_USER);
		assert_int_equal(l->fdb[i].r.ip.family, i & 1 ? AF_INET6 : AF_INET);
	}
	assert_int_equal(l->n_neigh, 1);
	assert_true(addr_equal(&l->neigh[0].ip, &n6));
	assert_int_equal(l->neigh[0].origin, FDB_ORIGIN_STORE);
	assert_int_equal(back.links[1].origin, FDB_ORIGIN_STORE);
	assert_int_equal(back.links[1].cfg.set, 0);
	assert_int_equal(back.links[1].cfg.dstport, 4789); /* default */
	free(text);
	statefile_free(&sf);
	statefile_free(&back);
}

struct bad_case {
	const char *text;
	const char *err; /* the start of the reason */
};

#define L0 "{\"version\":1,\"links\":[{\"name\":\"vx\",\"origin\":\"user\",\"config\":{\"id\":1}"

static const struct bad_case bad[] = {
    {"", "not JSON"},
    {"{\"version\":1,\"links\":[", "not JSON"},
    {"[]", "not a JSON object"},
    {"{\"links\":[]}", "state.version"},
    {"{\"version\":2,\"links\":[]}", "state.version: 2 is not 1"},
    {"{\"version\":\"1\",\"links\":[]}", "state.version: not an integer"},
    {"{\"version\":1}", "state.links: missing"},
    {"{\"version\":1,\"links\":{}}", "state.links: missing or not an array"},
    {"{\"version\":1,\"links\":[7]}", "links[0]: not an object"},
    {"{\"version\":1,\"links\":[{\"origin\":\"user\",\"config\":{\"id\":1}}]}", "links[0].name: missing"},
    {"{\"version\":1,\"links\":[{\"name\":\"vx\",\"config\":{\"id\":1}}]}", "links[0].origin: missing"},
    {"{\"version\":1,\"links\":[{\"name\":\"vx\",\"origin\":\"learned\",\"config\":{\"id\":1}}]}",
     "links[0].origin: \"learned\" is not user or store"},
    {"{\"version\":1,\"links\":[{\"name\":\"vx\",\"origin\":\"user\"}]}", "links[0].config: not an object"},
    {"{\"version\":1,\"links\":[{\"name\":\"vx\",\"origin\":\"user\",\"config\":{}}]}", "links[0].config.id: missing"},
    {"{\"version\":1,\"links\":[{\"name\":\"vx\",\"origin\":\"user\",\"config\":{\"id\":16777216}}]}",
     "links[0].config.id: 16777216 is out of range"},
    {"{\"version\":1,\"links\":[{\"name\":\"vx\",\"origin\":\"user\",\"config\":{\"id\":1,\"remote\":\"x\"}}]}",
     "links[0].config.remote: not an IP address"},
    {"{\"version\":1,\"links\":[{\"name\":\"vx\",\"origin\":\"user\",\"config\":{\"id\":1,\"group\":\"198.18.0.1\"}}]}",
     "links[0]: group must be a multicast address"},
    {"{\"version\":1,\"links\":[{\"name\":\"a/b\",\"origin\":\"user\",\"config\":{\"id\":1}}]}",
     "links[0]: name must not contain"},
    {"{\"version\":1,\"links\":[{\"name\":\"abcdefghijklmnop\",\"origin\":\"user\",\"config\":{\"id\":1}}]}",
     "links[0].name: too long"},
    {"{\"version\":1,\"links\":[{\"name\":\"vx\",\"origin\":\"user\",\"config\":{\"id\":1,\"datapath\":\"ebpf\"}}]}",
     "links[0].config.datapath: not user or kernel"},
    {"{\"version\":1,\"links\":[{\"name\":\"vx\",\"origin\":\"user\",\"config\":{\"id\":1,\"srcport\":[1]}}]}",
     "links[0].config.srcport"},
    {"{\"version\":1,\"links\":[{\"name\":\"vx\",\"origin\":\"user\",\"config\":{\"id\":1,\"learning\":1}}]}",
     "links[0].config.learning: not true or false"},
    {L0 ",\"fdb\":[{\"mac\":\"02:00:00:00:00:01\",\"origin\":\"user\"}]}]}", "links[0].fdb[0].dst: missing"},
    {L0 ",\"fdb\":[{\"mac\":\"02:00:00:00:00\",\"dst\":\"198.18.0.1\",\"origin\":\"user\"}]}]}",
     "links[0].fdb[0].mac: not a MAC address"},
    {L0 ",\"fdb\":[{\"mac\":\"02:00:00:00:00:01\",\"dst\":\"198.18.0.1\",\"port\":0,\"origin\":\"user\"}]}]}",
     "links[0].fdb[0].port: 0 is out of range"},
    {L0 ",\"fdb\":[{\"mac\":\"02:00:00:00:00:01\",\"dst\":\"198.18.0.1\"}]}]}", "links[0].fdb[0].origin: missing"},
    {L0 ",\"fdb\":{}}]}", "links[0].fdb: not an array"},
    {L0 ",\"neigh\":[{\"ip\":\"203.0.113.1\",\"origin\":\"user\"}]}]}", "links[0].neigh[0].lladdr: missing"},
    {L0 "},{\"name\":\"vx\",\"origin\":\"user\",\"config\":{\"id\":2}}]}", "links[1]: link vx twice"},
    {"{\"version\":1,\"version\":1,\"links\":[]}", "not JSON"},
    {L0 ",\"up\":\"yes\"}]}", "links[0].up: not true or false"},
    {L0 ",\"master\":\"abcdefghijklmnopq\"}]}", "links[0].master: too long"},
};

static void test_damage_is_refused_whole_with_a_reason(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct statefile sf;
		char err[160];
		int rc = statefile_parse(bad[i].text, strlen(bad[i].text), &sf, err, sizeof(err));
		if (rc != -EINVAL || strncmp(err, bad[i].err, strlen(bad[i].err)) != 0)
			fail_msg("case %zu (%s): rc %d, reason \"%s\", want \"%s...\"", i, bad[i].text, rc, err,
				 bad[i].err);
		assert_int_equal(sf.n_links, 0);
		assert_null(sf.links);
	}
}

static void test_a_file_cut_anywhere_is_refused(void **state)
{
	(void)state;
	struct statefile sf = {0}, back;
	struct link_config c = full_config();
	assert_int_equal(statefile_add_link(&sf, &c, FDB_ORIGIN_USER), 0);
	struct fdb_remote r = {.ip = ip("198.18.0.5"), .port = 4789, .vni = 1};
	assert_int_equal(statefile_add_fdb(&sf, (const uint8_t *)"\x02\0\0\0\0\x01", &r), 0);
	char *text = statefile_format(&sf);
	size_t len = strlen(text);
	for (size_t cut = 0; cut < len; cut++) {
		char err[160];
		/* Trailing whitespace may go; anything more is damage. */
		int rc = statefile_parse(text, cut, &back, err, sizeof(err));
		if (rc == 0) {
			for (size_t k = cut; k < len; k++)
				assert_true(text[k] == ' ' || text[k] == '\n');
			statefile_free(&back);
		}
	}
	assert_int_equal(statefile_parse(text, len, &back, NULL, 0), 0);
	statefile_free(&back);
	free(text);
	statefile_free(&sf);
}

/* statefile_format writes by hand what a jansson dump would write: the
 * same text as json_dumps(JSON_INDENT(1) | JSON_PRESERVE_ORDER) of the file
 * read back, for every field, several links, empty and full lists, names
 * that need escaping and non-ASCII UTF-8; invalid UTF-8 cannot be written
 * (jansson could not read it back). */
static void test_format_is_exactly_janssons_indented_dump(void **state)
{
	(void)state;
	struct statefile sf = {0};
	struct link_config c = full_config();
	assert_int_equal(statefile_add_link(&sf, &c, FDB_ORIGIN_STORE), 0);
	statefile_set_link_state(&sf, true, "br\"0\\x");
	for (int i = 0; i < 3; i++) {
		struct fdb_remote r = {.ip = ip(i ? "198.18.0.7" : "198.18.0.255"),
				       .port = 4789,
				       .vni = 7,
				       .origin = i ? FDB_ORIGIN_STORE : FDB_ORIGIN_USER};
		uint8_t mac[MAC_LEN] = {2, 0, 0, 0, 0, (uint8_t)i};
		assert_int_equal(statefile_add_fdb(&sf, mac, &r), 0);
		struct vx_addr nip = ip(i ? "203.0.113.250" : "fe80::1");
		assert_int_equal(statefile_add_neigh(&sf, &nip, mac, i ? FDB_ORIGIN_STORE : FDB_ORIGIN_USER), 0);
	}
	struct link_config b;
	link_config_init(&b);
	strcpy(b.name, "v\xc3\xa9\"\\");
	b.vni = 0;
	b.set = LINK_P_TOS;
	b.tos = 0xb8;
	assert_int_equal(statefile_add_link(&sf, &b, FDB_ORIGIN_USER), 0);
	char *text = statefile_format(&sf);
	assert_non_null(text);
	json_error_t je;
	json_t *j = json_loads(text, 0, &je);
	assert_non_null(j);
	char *again = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	assert_string_equal(text, again);
	struct statefile back;
	char err[160] = "";
	if (statefile_parse(text, strlen(text), &back, err, sizeof(err)) != 0)
		fail_msg("the written file does not read back: %s", err);
	assert_int_equal(back.n_links, 2);
	assert_string_equal(back.links[1].cfg.name, b.name);
	assert_string_equal(back.links[0].master, "br\"0\\x");
	statefile_free(&back);
	free(again);
	json_decref(j);
	free(text);
	strcpy(sf.links[1].cfg.name, "v\xc3(");
	errno = 0;
	assert_null(statefile_format(&sf));
	assert_int_equal(errno, EINVAL);
	statefile_free(&sf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_state_round_trips),
	    cmocka_unit_test(test_damage_is_refused_whole_with_a_reason),
	    cmocka_unit_test(test_a_file_cut_anywhere_is_refused),
	    cmocka_unit_test(test_format_is_exactly_janssons_indented_dump),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
