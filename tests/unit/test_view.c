/* Unit tests for src/vxnetd/cluster/view.c: which endpoints of a network are
 * in effect and which hosts are its members, from keys as etcd delivers
 * them; bad data (malformed JSON, wrong types, VNI out of range, an address
 * outside the subnet, a key that does not parse) recorded, counted, warned
 * about once and never in effect; a MAC or address claimed twice settled for
 * the older claim, the loser counted and warned about once, and replaced by
 * the next claim when the winner goes; dirty networks. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cluster/view.h"

static char warned[16][256];
static unsigned n_warned;

static void on_warn(void *arg, const char *key, const char *why)
{
	(void)arg;
	if (n_warned < 16)
		snprintf(warned[n_warned], sizeof(warned[0]), "%s: %s", key, why);
	n_warned++;
}

static struct view *v;
static int64_t rev;

static int setup(void **state)
{
	(void)state;
	n_warned = 0;
	rev = 1;
	v = view_new("/vxnet", "h1", on_warn, NULL);
	return v ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	view_free(v);
	return 0;
}

/* put KEY VALUE, created now unless the key exists (then keep its create). */
static void put_at(const char *key, const char *value, int64_t create)
{
	rev++;
	view_put(v, key, strlen(key), value, strlen(value), create ? create : rev, rev, 0);
	view_set_revision(v, rev);
}

static void put(const char *key, const char *value)
{
	put_at(key, value, 0);
}

static void del(const char *key)
{
	rev++;
	view_del(v, key, strlen(key));
	view_set_revision(v, rev);
}

static char out[1024];

static void ep_cb(void *arg, const struct view_endpoint *e)
{
	(void)arg;
	char ip[ADDR_STRLEN], mac[MAC_STRLEN], ul[ADDR_STRLEN];
	addr_format(&e->ip, ip, sizeof(ip));
	addr_format(&e->underlay, ul, sizeof(ul));
	mac_format(e->mac, mac);
	snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s %s %s %s;", e->host, mac, ip, ul);
}

static const char *endpoints(const char *net)
{
	out[0] = 0;
	view_refresh(v, net);
	view_foreach_endpoint(v, net, ep_cb, NULL);
	return out;
}

static void member_cb(void *arg, const char *host, const struct vx_addr *ul)
{
	(void)arg;
	char a[ADDR_STRLEN];
	addr_format(ul, a, sizeof(a));
	snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s=%s ", host, a);
}

static const char *members(const char *net, bool with_me)
{
	out[0] = 0;
	view_refresh(v, net);
	view_foreach_member(v, net, with_me, member_cb, NULL);
	return out;
}

static char dirty[256];

static void dirty_cb(void *arg, const char *net)
{
	(void)arg;
	snprintf(dirty + strlen(dirty), sizeof(dirty) - strlen(dirty), "%s ", net);
}

static const char *take_dirty(void)
{
	dirty[0] = 0;
	view_take_dirty(v, dirty_cb, NULL);
	return dirty;
}

#define NET_BLUE "{\"vni\":4242,\"subnet\":\"203.0.113.0/24\",\"mtu\":1450,\"dstport\":4789,\"datapath\":\"user\"}"

static void three_hosts(void)
{
	put("/vxnet/networks/blue", NET_BLUE);
	put("/vxnet/hosts/h1", "{\"underlay\":\"198.18.0.1\"}");
	put("/vxnet/hosts/h2", "{\"underlay\":\"198.18.0.2\"}");
	put("/vxnet/hosts/h3", "{\"underlay\":\"198.18.0.3\"}");
}

static void test_in_effect_and_members(void **state)
{
	(void)state;
	three_hosts();
	put("/vxnet/endpoints/blue/02:42:cb:00:71:02/h1", "{\"ip\":\"203.0.113.2\"}");
	put("/vxnet/endpoints/blue/02:42:cb:00:71:03/h2", "{\"ip\":\"203.0.113.3\"}");
	put("/vxnet/endpoints/blue/02:42:cb:00:71:04/h3", "{\"ip\":\"203.0.113.4\"}");
	put("/vxnet/endpoints/blue/02:42:cb:00:71:05/h3", "{\"ip\":\"203.0.113.5\"}");
	assert_string_equal(take_dirty(), "blue ");
	assert_string_equal(take_dirty(), "");
	assert_string_equal(endpoints("blue"), "h1 02:42:cb:00:71:02 203.0.113.2 198.18.0.1;"
					       "h2 02:42:cb:00:71:03 203.0.113.3 198.18.0.2;"
					       "h3 02:42:cb:00:71:04 203.0.113.4 198.18.0.3;"
					       "h3 02:42:cb:00:71:05 203.0.113.5 198.18.0.3;");
	assert_string_equal(members("blue", false), "h2=198.18.0.2 h3=198.18.0.3 ");
	assert_string_equal(members("blue", true), "h1=198.18.0.1 h2=198.18.0.2 h3=198.18.0.3 ");
	assert_non_null(view_network(v, "blue"));
	assert_int_equal(view_network(v, "blue")->vni, 4242);
	assert_null(view_network(v, "red"));
	assert_int_equal(view_endpoint_count(v, "blue"), 4);
	assert_int_equal(n_warned, 0);

	/* A host goes (its lease expired): its endpoints and membership with it. */
	del("/vxnet/hosts/h3");
	assert_string_equal(take_dirty(), "blue ");
	assert_string_equal(members("blue", false), "h2=198.18.0.2 ");
	del("/vxnet/endpoints/blue/02:42:cb:00:71:04/h3");
	del("/vxnet/endpoints/blue/02:42:cb:00:71:05/h3");
	assert_string_equal(endpoints("blue"), "h1 02:42:cb:00:71:02 203.0.113.2 198.18.0.1;"
					       "h2 02:42:cb:00:71:03 203.0.113.3 198.18.0.2;");
	/* Endpoints before their network and host: in effect once both are there. */
	put("/vxnet/endpoints/red/02:42:c6:33:64:02/h4", "{\"ip\":\"198.51.100.2\"}");
	assert_string_equal(endpoints("red"), "");
	put("/vxnet/networks/red", "{\"vni\":7,\"subnet\":\"198.51.100.0/24\"}");
	assert_string_equal(endpoints("red"), "");
	take_dirty();
	put("/vxnet/hosts/h4", "{\"underlay\":\"198.18.0.4\"}");
	assert_string_equal(take_dirty(), "red ");
	assert_string_equal(endpoints("red"), "h4 02:42:c6:33:64:02 198.51.100.2 198.18.0.4;");
	assert_string_equal(view_vni_user(v, 7, "blue"), "red");
	assert_null(view_vni_user(v, 7, "red"));
	assert_int_equal(view_revision(v), rev);
}

static void test_bad_data(void **state)
{
	(void)state;
	struct view_stats st;
	three_hosts();
	put("/vxnet/networks/bad1", "{\"vni\":4242,");
	put("/vxnet/networks/bad2", "{\"vni\":\"42\",\"subnet\":\"203.0.113.0/24\"}");
	put("/vxnet/networks/bad3", "{\"vni\":16777216,\"subnet\":\"192.0.2.0/24\"}");
	put("/vxnet/endpoints/blue/02:42:cb:00:71:09/h2", "{\"ip\":\"198.51.100.9\"}");
	put("/vxnet/endpoints/blue/02:42:cb:00:71:0a/h2", "[1,2]");
	put("/vxnet/endpoints/blue/02:42:CB:00:71:0b/h2", "{\"ip\":\"203.0.113.11\"}");
	put("/vxnet/hosts/h9", "{\"underlay\":42}");
	put("/vxnet/endpoints/blue/02:42:cb:00:71:0c/h9", "{\"ip\":\"203.0.113.12\"}");
	put("/vxnet/policies/x", "{}"); /* a newer kind: not ours, not bad */
	assert_int_equal(n_warned, 6);
	assert_non_null(strstr(warned[0], "/vxnet/networks/bad1: "));
	assert_non_null(strstr(warned[1], "/vxnet/networks/bad2: "));
	assert_non_null(strstr(warned[2], "/vxnet/networks/bad3: vni"));
	assert_non_null(strstr(warned[3], "/vxnet/endpoints/blue/02:42:cb:00:71:0a/h2: "));
	assert_non_null(strstr(warned[4], "/vxnet/endpoints/blue/02:42:CB:00:71:0b/h2: "));
	assert_non_null(strstr(warned[5], "/vxnet/hosts/h9: "));
	assert_null(view_network(v, "bad1"));
	assert_null(view_network(v, "bad3"));
	/* The address outside the subnet is found when the network is judged, once. */
	assert_string_equal(endpoints("blue"), "");
	assert_int_equal(n_warned, 7);
	assert_string_equal(warned[6],
			    "/vxnet/endpoints/blue/02:42:cb:00:71:09/h2: ip is outside the network's subnet");
	assert_string_equal(endpoints("blue"), "");
	assert_int_equal(n_warned, 7);
	view_get_stats(v, &st);
	assert_int_equal(st.invalid, 7);
	assert_int_equal(st.conflicts, 0);
	assert_int_equal(st.warnings, 7);
	/* Fixed in place: in effect, no longer counted. */
	put_at("/vxnet/endpoints/blue/02:42:cb:00:71:09/h2", "{\"ip\":\"203.0.113.9\"}", 0);
	assert_string_equal(endpoints("blue"), "h2 02:42:cb:00:71:09 203.0.113.9 198.18.0.2;");
	view_get_stats(v, &st);
	assert_int_equal(st.invalid, 6);
	/* Deleted: forgotten. */
	del("/vxnet/networks/bad1");
	view_get_stats(v, &st);
	assert_int_equal(st.invalid, 5);
	/* Control bytes in a key are not printed as they are. */
	n_warned = 0;
	put("/vxnet/hosts/a\nb", "{\"underlay\":\"198.18.0.9\"}");
	assert_int_equal(n_warned, 1);
	assert_null(strchr(warned[0], '\n'));
	assert_non_null(strstr(warned[0], "/vxnet/hosts/a?b"));
}

static void test_mac_claimed_twice(void **state)
{
	(void)state;
	struct view_stats st;
	three_hosts();
	put("/vxnet/endpoints/blue/02:42:cb:00:71:09/h3", "{\"ip\":\"203.0.113.9\"}");
	int64_t older = rev;
	put("/vxnet/endpoints/blue/02:42:cb:00:71:09/h2", "{\"ip\":\"203.0.113.10\"}");
	assert_string_equal(endpoints("blue"), "h3 02:42:cb:00:71:09 203.0.113.9 198.18.0.3;");
	assert_int_equal(n_warned, 1);
	assert_string_equal(warned[0], "/vxnet/endpoints/blue/02:42:cb:00:71:09/h2: "
				       "MAC already claimed by an older endpoint of the network");
	view_get_stats(v, &st);
	assert_int_equal(st.conflicts, 1);
	/* Judged again: not warned again; a re-put of the loser neither. */
	assert_string_equal(endpoints("blue"), "h3 02:42:cb:00:71:09 203.0.113.9 198.18.0.3;");
	put_at("/vxnet/endpoints/blue/02:42:cb:00:71:09/h2", "{\"ip\":\"203.0.113.10\"}", older + 1);
	assert_string_equal(endpoints("blue"), "h3 02:42:cb:00:71:09 203.0.113.9 198.18.0.3;");
	assert_int_equal(n_warned, 1);
	/* The winner goes: the next claim takes its place. */
	del("/vxnet/endpoints/blue/02:42:cb:00:71:09/h3");
	assert_string_equal(endpoints("blue"), "h2 02:42:cb:00:71:09 203.0.113.10 198.18.0.2;");
	view_get_stats(v, &st);
	assert_int_equal(st.conflicts, 0);
	/* One revision for both (one transaction): the lower host name wins. */
	put_at("/vxnet/endpoints/blue/02:42:cb:00:71:07/h3", "{\"ip\":\"203.0.113.7\"}", 100);
	put_at("/vxnet/endpoints/blue/02:42:cb:00:71:07/h1", "{\"ip\":\"203.0.113.8\"}", 100);
	assert_string_equal(endpoints("blue"), "h1 02:42:cb:00:71:07 203.0.113.8 198.18.0.1;"
					       "h2 02:42:cb:00:71:09 203.0.113.10 198.18.0.2;");
	/* Two MACs with one address: the older keeps it. */
	put("/vxnet/endpoints/blue/02:42:cb:00:71:20/h3", "{\"ip\":\"203.0.113.10\"}");
	assert_string_equal(endpoints("blue"), "h1 02:42:cb:00:71:07 203.0.113.8 198.18.0.1;"
					       "h2 02:42:cb:00:71:09 203.0.113.10 198.18.0.2;");
	view_get_stats(v, &st);
	assert_int_equal(st.conflicts, 2);
}

static void test_taken_and_clear(void **state)
{
	(void)state;
	three_hosts();
	struct vx_addr a;
	const char *by = NULL;
	uint8_t mac[MAC_LEN] = {0x02, 0x42, 0xcb, 0x00, 0x71, 0x02};
	put("/vxnet/ipam/blue/203.0.113.2", "{\"host\":\"h2\",\"mac\":\"02:42:cb:00:71:02\"}");
	assert_int_equal(addr_parse("203.0.113.2", &a), 0);
	assert_true(view_ip_taken(v, "blue", &a, &by));
	assert_string_equal(by, "h2");
	assert_false(view_ip_taken(v, "red", &a, NULL));
	assert_false(view_mac_taken(v, "blue", mac, NULL));
	put("/vxnet/endpoints/blue/02:42:cb:00:71:02/h3", "{\"ip\":\"203.0.113.77\"}");
	assert_true(view_mac_taken(v, "blue", mac, &by));
	assert_string_equal(by, "h3");
	assert_int_equal(addr_parse("203.0.113.77", &a), 0);
	assert_true(view_ip_taken(v, "blue", &a, &by));
	assert_int_equal(view_host_lease(v, "h2"), 0);
	assert_int_equal(view_host_lease(v, "nobody"), 0);
	take_dirty();
	view_clear(v);
	assert_string_equal(take_dirty(), "blue ");
	assert_null(view_network(v, "blue"));
	assert_false(view_mac_taken(v, "blue", mac, NULL));
	assert_int_equal(view_revision(v), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_in_effect_and_members, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_data, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mac_claimed_twice, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_taken_and_clear, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
