/* Unit tests of the daemon core on the null datapath: every change path
 * (control requests, learning and ageing upcalls, reconcile, the store's
 * origin) makes the right datapath calls and publishes the right events,
 * and owners only remove what they own. No root, no devices. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"
#include "dp/null.h"

struct fixture {
	struct core *c;
	struct dp *dp;
	struct events_sub sub;
	char events[4096];
	size_t used;
	int persists;
};

static void on_event(const struct vx_event *ev, void *arg)
{
	struct fixture *f = arg;
	char mac[MAC_STRLEN] = "", ip[ADDR_STRLEN] = "";
	if (ev->has_mac)
		mac_format(ev->mac, mac);
	if (ev->has_remote)
		addr_format(&ev->remote.ip, ip, sizeof(ip));
	else if (ev->has_ip)
		addr_format(&ev->ip, ip, sizeof(ip));
	int n = snprintf(f->events + f->used, sizeof(f->events) - f->used, "%s %s %s %s %s\n", ctl_event_name(ev->type),
			 ev->link, mac, ip, ctl_origin_name(ev->origin));
	if (n > 0 && (size_t)n < sizeof(f->events) - f->used)
		f->used += (size_t)n;
}

static int persist(struct core *c, void *arg)
{
	(void)c;
	((struct fixture *)arg)->persists++;
	return 0;
}

static void clear(struct fixture *f)
{
	f->used = 0;
	f->events[0] = 0;
	dp_null_clear(f->dp);
}

static int setup(void **state)
{
	static struct fixture f;
	memset(&f, 0, sizeof(f));
	f.c = core_new(NULL, LINK_DP_USER);
	f.dp = dp_null_new(f.c, &core_upcalls);
	if (!f.c || !f.dp)
		return -1;
	core_set_dp(f.c, LINK_DP_USER, f.dp);
	events_subscribe(core_events(f.c), &f.sub, on_event, &f);
	core_set_persist(f.c, persist, &f);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (f->c)
		core_free(f->c, false);
	return 0;
}

static struct vx_addr ip(const char *s)
{
	struct vx_addr a;
	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

static void add_link(struct fixture *f, const char *name, uint32_t vni, uint8_t origin)
{
	struct link_config cfg;
	const char *why = NULL;
	link_config_init(&cfg);
	strcpy(cfg.name, name);
	cfg.vni = vni;
	assert_int_equal(core_link_add(f->c, &cfg, origin, false, &why), 0);
}

static struct fdb_req freq(const char *dev, const char *mac, const char *dst)
{
	struct fdb_req r = {0};
	strcpy(r.dev, dev);
	assert_int_equal(mac_parse(mac, r.mac), 0);
	if (dst) {
		r.dst = ip(dst);
		r.set |= FDB_P_DST;
	}
	return r;
}

static struct neigh_req nreq(const char *dev, const char *addr, const char *mac)
{
	struct neigh_req r = {0};
	strcpy(r.dev, dev);
	r.ip = ip(addr);
	if (mac) {
		assert_int_equal(mac_parse(mac, r.mac), 0);
		r.has_mac = true;
	}
	return r;
}

static void test_link_add_calls_the_datapath_publishes_and_persists(void **state)
{
	struct fixture *f = *state;
	add_link(f, "vx0", 42, FDB_ORIGIN_USER);
	assert_string_equal(dp_null_log(f->dp), "link_add vx0 vni 42\n");
	assert_string_equal(f->events, "link-added vx0   user\n");
	assert_int_equal(core_commit(f->c), 0);
	assert_int_equal(f->persists, 1);
	assert_int_equal(core_commit(f->c), 0);
	assert_int_equal(f->persists, 1); /* nothing changed since */
	struct core_link *l = core_link_find(f->c, "vx0");
	assert_non_null(l);
	assert_int_equal(l->cfg.datapath, LINK_DP_USER);
	assert_true(l->cfg.set & LINK_P_DATAPATH);
}

static void test_link_add_refused_by_the_datapath_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	struct link_config cfg;
	const char *why = NULL;
	link_config_init(&cfg);
	strcpy(cfg.name, "vx0");
	cfg.vni = 1;
	dp_null_fail_next(f->dp, -EBUSY);
	assert_int_equal(core_link_add(f->c, &cfg, FDB_ORIGIN_USER, false, &why), -EBUSY);
	assert_non_null(why);
	assert_null(core_link_find(f->c, "vx0"));
	assert_string_equal(f->events, "");
	assert_int_equal(core_commit(f->c), 0);
	assert_int_equal(f->persists, 0);
	/* A bad config never reaches the datapath. */
	clear(f);
	cfg.vni = 1u << 24;
	assert_int_equal(core_link_add(f->c, &cfg, FDB_ORIGIN_USER, false, &why), -EINVAL);
	assert_string_equal(why, "VNI must be below 16777216");
	assert_string_equal(dp_null_log(f->dp), "");
	/* Two links of one name: the second never reaches the datapath. */
	add_link(f, "vx0", 1, FDB_ORIGIN_USER);
	clear(f);
	cfg.vni = 2;
	assert_int_equal(core_link_add(f->c, &cfg, FDB_ORIGIN_USER, false, &why), -EEXIST);
	assert_string_equal(dp_null_log(f->dp), "");
}

static void test_fdb_add_then_add_again_is_refused_by_the_datapath(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	add_link(f, "vx0", 42, FDB_ORIGIN_USER);
	clear(f);
	struct fdb_req r = freq("vx0", "02:00:00:00:00:01", "198.18.0.2");
	assert_int_equal(core_fdb(f->c, CORE_ADD, &r, FDB_ORIGIN_USER, &why), 0);
	assert_string_equal(dp_null_log(f->dp), "fdb_add vx0 02:00:00:00:00:01 dst 198.18.0.2\n");
	assert_string_equal(f->events, "added vx0 02:00:00:00:00:01 198.18.0.2 user\n");
	clear(f);
	r.dst = ip("198.18.0.3");
	assert_int_equal(core_fdb(f->c, CORE_ADD, &r, FDB_ORIGIN_USER, &why), -EEXIST);
	assert_string_equal(why, "entry exists");
	assert_string_equal(f->events, "");
	/* The model still wants the first remote. */
	const struct fdb_entry *e = fdb_lookup(core_link_find(f->c, "vx0")->want_fdb, r.mac);
	assert_non_null(e);
	assert_int_equal(e->n_remotes, 1);
	struct vx_addr want = ip("198.18.0.2");
	assert_true(addr_equal(&e->remotes[0].ip, &want));
	assert_int_equal(e->remotes[0].port, 4789);
	assert_int_equal(e->remotes[0].vni, 42);
}

static void test_fdb_requests_are_checked_before_the_datapath(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	add_link(f, "vx0", 42, FDB_ORIGIN_USER);
	clear(f);
	struct fdb_req r = freq("vx0", "02:00:00:00:00:01", NULL);
	assert_int_equal(core_fdb(f->c, CORE_ADD, &r, FDB_ORIGIN_USER, &why), -EINVAL);
	assert_string_equal(why, "dst is required");
	r = freq("vx0", "02:00:00:00:00:01", "2001:db8::1");
	assert_int_equal(core_fdb(f->c, CORE_ADD, &r, FDB_ORIGIN_USER, &why), -EAFNOSUPPORT);
	r = freq("nope", "02:00:00:00:00:01", "198.18.0.2");
	assert_int_equal(core_fdb(f->c, CORE_ADD, &r, FDB_ORIGIN_USER, &why), -ENODEV);
	assert_string_equal(why, "no such link");
	assert_string_equal(dp_null_log(f->dp), "");
}

/* The daemon does not trust the CLI (issue 8): fdb and neigh values that
 * cannot mean anything are refused with the one-line reason before the
 * datapath sees them, and nothing changes (no event, no state write, the
 * wanted table as it was). del only selects: its dst is not judged. */
static void test_meaningless_fdb_and_neigh_values_are_refused_before_the_datapath(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	add_link(f, "vx0", 42, FDB_ORIGIN_USER);
	assert_int_equal(core_commit(f->c), 0);
	int persists = f->persists;
	struct core_link *l = core_link_find(f->c, "vx0");
	unsigned wanted = fdb_count(l->want_fdb);
	clear(f);
	static const struct {
		enum core_op op;
		const char *mac, *dst, *why;
	} fdbs[] = {
	    {CORE_ADD, "02:00:00:00:00:01", "0.0.0.0", "dst must not be unspecified (0.0.0.0/8 or ::)"},
	    {CORE_ADD, "02:00:00:00:00:01", "0.1.2.3", "dst must not be unspecified (0.0.0.0/8 or ::)"},
	    {CORE_ADD, "02:00:00:00:00:01", "255.255.255.255", "dst must not be the broadcast address 255.255.255.255"},
	    {CORE_REPLACE, "02:00:00:00:00:01", "127.0.0.1",
	     "dst must not be a loopback address (the frames would come straight back)"},
	    {CORE_ADD, "02:00:00:00:00:01", "239.1.1.1",
	     "dst must be unicast for a unicast MAC (a group only for 00:00:00:00:00:00 or a multicast MAC)"},
	    {CORE_APPEND, "00:00:00:00:00:00", "0.0.0.0", "dst must not be unspecified (0.0.0.0/8 or ::)"},
	    {CORE_APPEND, "00:00:00:00:00:00", "255.255.255.255",
	     "dst must not be the broadcast address 255.255.255.255"},
	    {CORE_APPEND, "00:00:00:00:00:00", "::ffff:198.18.0.2",
	     "dst must not be an IPv4-mapped or -compatible IPv6 address (give the IPv4 address)"},
	};
	for (size_t i = 0; i < sizeof(fdbs) / sizeof(fdbs[0]); i++) {
		struct fdb_req r = freq("vx0", fdbs[i].mac, fdbs[i].dst);
		why = NULL;
		assert_int_equal(core_fdb(f->c, fdbs[i].op, &r, FDB_ORIGIN_USER, &why), -EINVAL);
		assert_non_null(why);
		assert_string_equal(why, fdbs[i].why);
	}
	static const struct {
		enum core_op op;
		const char *ip, *mac, *why;
	} neighs[] = {
	    {CORE_ADD, "0.0.0.0", "02:00:00:00:00:01", "address must not be unspecified (0.0.0.0/8 or ::)"},
	    {CORE_ADD, "224.0.0.5", "02:00:00:00:00:01",
	     "address must not be multicast (proxy ARP/ND never answers for a group)"},
	    {CORE_REPLACE, "ff02::1", "02:00:00:00:00:01",
	     "address must not be multicast (proxy ARP/ND never answers for a group)"},
	    {CORE_ADD, "203.0.113.2", "00:00:00:00:00:00", "lladdr must not be 00:00:00:00:00:00 (no station has it)"},
	    {CORE_ADD, "203.0.113.2", "ff:ff:ff:ff:ff:ff", "lladdr must be a unicast MAC (not multicast or broadcast)"},
	    {CORE_REPLACE, "203.0.113.2", "33:33:00:00:00:01",
	     "lladdr must be a unicast MAC (not multicast or broadcast)"},
	};
	for (size_t i = 0; i < sizeof(neighs) / sizeof(neighs[0]); i++) {
		struct neigh_req n = nreq("vx0", neighs[i].ip, neighs[i].mac);
		why = NULL;
		assert_int_equal(core_neigh(f->c, neighs[i].op, &n, FDB_ORIGIN_USER, &why), -EINVAL);
		assert_non_null(why);
		assert_string_equal(why, neighs[i].why);
	}
	/* Nothing reached the datapath, nothing was published or saved. */
	assert_string_equal(dp_null_log(f->dp), "");
	assert_string_equal(f->events, "");
	assert_int_equal(core_commit(f->c), 0);
	assert_int_equal(f->persists, persists);
	assert_int_equal(fdb_count(l->want_fdb), wanted);

	/* Meaningful neighbours of those values pass: a flood entry to a
	 * group, an entry deleted by whatever dst selects it. */
	struct fdb_req r = freq("vx0", "00:00:00:00:00:00", "239.1.1.1");
	assert_int_equal(core_fdb(f->c, CORE_APPEND, &r, FDB_ORIGIN_USER, &why), 0);
	r = freq("vx0", "02:00:00:00:00:01", "0.0.0.0");
	why = NULL;
	assert_int_equal(core_fdb(f->c, CORE_DEL, &r, FDB_ORIGIN_USER, &why), -ENOENT);
	struct neigh_req n = nreq("vx0", "224.0.0.5", NULL);
	assert_int_equal(core_neigh(f->c, CORE_DEL, &n, FDB_ORIGIN_USER, &why), -ENOENT);
	assert_string_equal(dp_null_log(f->dp), "fdb_append vx0 00:00:00:00:00:00 dst 239.1.1.1\n"
						"fdb_del vx0 02:00:00:00:00:01 dst 0.0.0.0\n"
						"neigh_del vx0 224.0.0.5\n");
}

static void test_an_owner_only_removes_what_it_owns(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	add_link(f, "vx0", 42, FDB_ORIGIN_USER);
	struct fdb_req s = freq("vx0", "02:00:00:00:00:05", "198.18.0.5");
	assert_int_equal(core_fdb(f->c, CORE_ADD, &s, FDB_ORIGIN_STORE, &why), 0);
	struct fdb_req u = freq("vx0", "02:00:00:00:00:06", "198.18.0.6");
	assert_int_equal(core_fdb(f->c, CORE_ADD, &u, FDB_ORIGIN_USER, &why), 0);
	clear(f);
	/* The user may neither delete nor replace the store's entry. */
	assert_int_equal(core_fdb(f->c, CORE_DEL, &s, FDB_ORIGIN_USER, &why), -EPERM);
	assert_string_equal(why, "entry belongs to the cluster store");
	s.dst = ip("198.18.0.9");
	assert_int_equal(core_fdb(f->c, CORE_REPLACE, &s, FDB_ORIGIN_USER, &why), -EPERM);
	/* Nor the store the user's. */
	assert_int_equal(core_fdb(f->c, CORE_DEL, &u, FDB_ORIGIN_STORE, &why), -EPERM);
	assert_string_equal(why, "entry belongs to the user");
	assert_string_equal(dp_null_log(f->dp), "");
	/* Flushing the store's entries leaves the user's. */
	core_flush_origin(f->c, NULL, FDB_ORIGIN_STORE);
	assert_string_equal(dp_null_log(f->dp), "fdb_del vx0 02:00:00:00:00:05 dst 198.18.0.5\n");
	assert_string_equal(f->events, "deleted vx0 02:00:00:00:00:05 198.18.0.5 store\n");
	struct core_link *l = core_link_find(f->c, "vx0");
	assert_null(fdb_lookup(l->want_fdb, s.mac));
	assert_non_null(fdb_lookup(l->want_fdb, u.mac));
	/* A link belongs to whoever made it. */
	add_link(f, "vx1", 43, FDB_ORIGIN_STORE);
	assert_int_equal(core_link_del(f->c, "vx1", FDB_ORIGIN_USER, &why), -EPERM);
	assert_non_null(core_link_find(f->c, "vx1"));
	assert_int_equal(core_link_del(f->c, "vx1", FDB_ORIGIN_STORE, &why), 0);
	assert_null(core_link_find(f->c, "vx1"));
}

static void test_learning_and_ageing_upcalls_publish_learned_entries(void **state)
{
	struct fixture *f = *state;
	add_link(f, "vx0", 42, FDB_ORIGIN_USER);
	assert_int_equal(core_commit(f->c), 0);
	f->persists = 0;
	clear(f);
	struct core_link *l = core_link_find(f->c, "vx0");
	uint8_t mac[MAC_LEN] = {2, 0, 0, 0, 0, 7};
	struct fdb_remote r = {.ip = ip("198.18.0.7"), .port = 4789, .vni = 42};
	core_upcalls.learned(f->c, l, mac, &r, false);
	r.ip = ip("198.18.0.8");
	core_upcalls.learned(f->c, l, mac, &r, true);
	core_upcalls.aged(f->c, l, mac, &r);
	core_upcalls.l2miss(f->c, l, mac);
	struct vx_addr a = ip("203.0.113.9");
	core_upcalls.l3miss(f->c, l, &a);
	assert_string_equal(f->events, "learned vx0 02:00:00:00:00:07 198.18.0.7 learned\n"
				       "moved vx0 02:00:00:00:00:07 198.18.0.8 learned\n"
				       "aged vx0 02:00:00:00:00:07 198.18.0.8 learned\n"
				       "l2miss vx0 02:00:00:00:00:07  user\n"
				       "l3miss vx0  203.0.113.9 user\n");
	/* Learned entries are the datapath's: nothing to persist, nothing wanted. */
	assert_int_equal(core_commit(f->c), 0);
	assert_int_equal(f->persists, 0);
	assert_null(fdb_lookup(l->want_fdb, mac));
}

static void test_reconcile_puts_back_lost_entries_and_devices(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	add_link(f, "vx0", 42, FDB_ORIGIN_USER);
	struct fdb_req r = freq("vx0", "02:00:00:00:00:01", "198.18.0.2");
	assert_int_equal(core_fdb(f->c, CORE_ADD, &r, FDB_ORIGIN_USER, &why), 0);
	struct neigh_req n = nreq("vx0", "203.0.113.2", "02:00:00:00:00:01");
	assert_int_equal(core_neigh(f->c, CORE_ADD, &n, FDB_ORIGIN_USER, &why), 0);
	struct core_link *l = core_link_find(f->c, "vx0");
	clear(f);
	core_reconcile(f->c);
	assert_string_equal(dp_null_log(f->dp), ""); /* all there: nothing to do */
	dp_null_lose(f->dp, l, false, r.mac, &n.ip);
	core_reconcile(f->c);
	assert_string_equal(dp_null_log(f->dp), "fdb_replace vx0 02:00:00:00:00:01 dst 198.18.0.2\n"
						"neigh_replace vx0 203.0.113.2 lladdr 02:00:00:00:00:01\n");
	assert_string_equal(f->events, "restored vx0 02:00:00:00:00:01 198.18.0.2 user\n"
				       "neigh-restored vx0 02:00:00:00:00:01 203.0.113.2 user\n");
	clear(f);
	dp_null_lose(f->dp, l, true, NULL, NULL);
	core_reconcile(f->c);
	assert_string_equal(dp_null_log(f->dp), "link_del vx0\n"
						"link_add vx0 vni 42\n"
						"fdb_replace vx0 02:00:00:00:00:01 dst 198.18.0.2\n"
						"neigh_replace vx0 203.0.113.2 lladdr 02:00:00:00:00:01\n");
	assert_string_equal(f->events, "link-restored vx0   user\n");
}

static void count_fdb(const struct fdb_entry *e, void *arg)
{
	(void)e;
	++*(unsigned *)arg;
}

static void count_stat(enum dp_stat_group g, const char *name, uint64_t v, void *arg)
{
	(void)g, (void)name, (void)v;
	++*(unsigned *)arg;
}

/* A device that vanished and cannot be made again (e.g. the daemon is out
 * of file descriptors) leaves the link without datapath state: nothing may
 * ask its provider anything then (it crashed on `link show`), changes are
 * refused with a reason, and each reconcile tries again until it works. */
static void test_a_device_that_cannot_be_made_again_is_retried_and_never_touched(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	add_link(f, "vx0", 42, FDB_ORIGIN_USER);
	struct fdb_req r = freq("vx0", "02:00:00:00:00:01", "198.18.0.2");
	assert_int_equal(core_fdb(f->c, CORE_ADD, &r, FDB_ORIGIN_USER, &why), 0);
	struct core_link *l = core_link_find(f->c, "vx0");
	dp_null_lose(f->dp, l, true, NULL, NULL);
	dp_null_fail_next(f->dp, -EMFILE);
	clear(f);
	core_reconcile(f->c);
	assert_string_equal(dp_null_log(f->dp), "link_del vx0\nlink_add vx0 vni 42\n");
	assert_null(l->dpl);
	/* Reading it asks the provider nothing. */
	unsigned n = 0;
	assert_int_equal(core_fdb_dump(f->c, l, count_fdb, &n), 0);
	core_stats(f->c, l, count_stat, &n);
	assert_int_equal(core_oper_mtu(f->c, l), 0);
	assert_int_equal(n, 0);
	/* Changes are refused with a reason; the wanted entry stays wanted. */
	struct fdb_req r2 = freq("vx0", "02:00:00:00:00:02", "198.18.0.2");
	assert_int_equal(core_fdb(f->c, CORE_ADD, &r2, FDB_ORIGIN_USER, &why), -ENODEV);
	assert_string_equal(why, "the link's device is gone and cannot be made now (see the daemon's log)");
	struct neigh_req nq = nreq("vx0", "203.0.113.2", "02:00:00:00:00:01");
	assert_int_equal(core_neigh(f->c, CORE_ADD, &nq, FDB_ORIGIN_USER, &why), -ENODEV);
	assert_int_equal(core_fdb_ensure(f->c, "vx0", r2.mac,
					 &(struct fdb_remote){.ip = ip("198.18.0.2"), .port = 4789, .vni = 42}, &why),
			 -ENODEV);
	core_flush_origin(f->c, l, FDB_ORIGIN_STORE);
	assert_string_equal(dp_null_log(f->dp), "link_del vx0\nlink_add vx0 vni 42\n");
	/* The next reconcile makes it, with what was wanted. */
	clear(f);
	core_reconcile(f->c);
	assert_non_null(l->dpl);
	assert_string_equal(dp_null_log(f->dp), "link_del vx0\n"
						"link_add vx0 vni 42\n"
						"fdb_replace vx0 02:00:00:00:00:01 dst 198.18.0.2\n");
	assert_string_equal(f->events, "link-restored vx0   user\n");
}

static void test_changes_behind_our_back_are_undone_or_reported(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	add_link(f, "vx0", 42, FDB_ORIGIN_USER);
	struct fdb_req r = freq("vx0", "02:00:00:00:00:01", "198.18.0.2");
	assert_int_equal(core_fdb(f->c, CORE_ADD, &r, FDB_ORIGIN_USER, &why), 0);
	struct core_link *l = core_link_find(f->c, "vx0");
	clear(f);
	/* Our entry deleted by someone: put back at once. */
	struct fdb_remote rem = {.ip = ip("198.18.0.2"), .port = 4789, .vni = 42};
	dp_null_lose(f->dp, l, false, r.mac, NULL);
	core_upcalls.fdb_changed(f->c, l, true, r.mac, &rem, true);
	assert_string_equal(dp_null_log(f->dp), "fdb_replace vx0 02:00:00:00:00:01 dst 198.18.0.2\n");
	assert_string_equal(f->events, "restored vx0 02:00:00:00:00:01 198.18.0.2 user\n");
	clear(f);
	/* Our entry rewritten to another remote: ours again. */
	struct fdb_remote other = {.ip = ip("198.18.0.66"), .port = 4789, .vni = 42};
	core_upcalls.fdb_changed(f->c, l, false, r.mac, &other, true);
	assert_string_equal(dp_null_log(f->dp), "fdb_replace vx0 02:00:00:00:00:01 dst 198.18.0.2\n");
	clear(f);
	/* Someone else's entry: reported with origin other, never touched. */
	uint8_t mac2[MAC_LEN] = {2, 0, 0, 0, 0, 0x22};
	core_upcalls.fdb_changed(f->c, l, false, mac2, &other, true);
	core_upcalls.fdb_changed(f->c, l, true, mac2, &other, true);
	assert_string_equal(dp_null_log(f->dp), "");
	assert_string_equal(f->events, "added vx0 02:00:00:00:00:22 198.18.0.66 other\n"
				       "deleted vx0 02:00:00:00:00:22 198.18.0.66 other\n");
}

static void test_neigh_changes_and_ownership(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	add_link(f, "vx0", 42, FDB_ORIGIN_USER);
	clear(f);
	struct neigh_req n = nreq("vx0", "203.0.113.2", NULL);
	assert_int_equal(core_neigh(f->c, CORE_ADD, &n, FDB_ORIGIN_USER, &why), -EINVAL);
	assert_string_equal(why, "lladdr is required");
	n = nreq("vx0", "203.0.113.2", "02:00:00:00:00:01");
	assert_int_equal(core_neigh(f->c, CORE_ADD, &n, FDB_ORIGIN_STORE, &why), 0);
	assert_int_equal(core_neigh(f->c, CORE_ADD, &n, FDB_ORIGIN_USER, &why), -EEXIST);
	assert_int_equal(core_neigh(f->c, CORE_REPLACE, &n, FDB_ORIGIN_USER, &why), -EPERM);
	assert_int_equal(core_neigh(f->c, CORE_DEL, &n, FDB_ORIGIN_USER, &why), -EPERM);
	assert_int_equal(core_neigh(f->c, CORE_DEL, &n, FDB_ORIGIN_STORE, &why), 0);
	assert_int_equal(core_neigh(f->c, CORE_DEL, &n, FDB_ORIGIN_STORE, &why), -ENOENT);
	assert_string_equal(dp_null_log(f->dp), "neigh_add vx0 203.0.113.2 lladdr 02:00:00:00:00:01\n"
						"neigh_add vx0 203.0.113.2 lladdr 02:00:00:00:00:01\n"
						"neigh_del vx0 203.0.113.2\n"
						"neigh_del vx0 203.0.113.2\n");
	assert_string_equal(f->events, "neigh-added vx0 02:00:00:00:00:01 203.0.113.2 store\n"
				       "neigh-deleted vx0 02:00:00:00:00:01 203.0.113.2 store\n");
}

static void test_ensure_is_idempotent_and_records_the_origin(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	add_link(f, "vx0", 42, FDB_ORIGIN_USER);
	uint8_t mac[MAC_LEN] = {2, 0, 0, 0, 0, 1}, zero[MAC_LEN] = {0};
	struct fdb_remote r = {.ip = ip("198.18.0.2"), .port = 4789, .vni = 42, .origin = FDB_ORIGIN_STORE};
	assert_int_equal(core_fdb_ensure(f->c, "vx0", mac, &r, &why), 0);
	assert_int_equal(core_fdb_ensure(f->c, "vx0", mac, &r, &why), 0);
	assert_int_equal(core_fdb_ensure(f->c, "vx0", zero, &r, &why), 0);
	assert_int_equal(core_fdb_ensure(f->c, "vx0", zero, &r, &why), 0);
	struct core_link *l = core_link_find(f->c, "vx0");
	const struct fdb_entry *e = fdb_lookup(l->want_fdb, zero);
	assert_non_null(e);
	assert_int_equal(e->n_remotes, 1);
	assert_int_equal(e->remotes[0].origin, FDB_ORIGIN_STORE);
	assert_int_equal(core_fdb_ensure(f->c, "nope", mac, &r, &why), -ENODEV);
}

/* What a state file or the store hands over passes the CLI's checks. */
static void test_ensure_refuses_what_the_cli_refuses(void **state)
{
	struct fixture *f = *state;
	const char *why = NULL;
	add_link(f, "vx0", 42, FDB_ORIGIN_USER);
	uint8_t mac[MAC_LEN] = {2, 0, 0, 0, 0, 1}, mcast[MAC_LEN] = {1, 0, 0x5e, 0, 0, 1};
	struct fdb_remote r = {.ip = ip("239.1.1.1"), .port = 4789, .vni = 42, .origin = FDB_ORIGIN_STORE};
	struct core_link *l = core_link_find(f->c, "vx0");
	assert_int_equal(core_fdb_ensure(f->c, "vx0", mac, &r, &why), -EINVAL);
	assert_non_null(why);
	r.ip = ip("0.0.0.0");
	assert_int_equal(core_fdb_ensure(f->c, "vx0", mac, &r, &why), -EINVAL);
	assert_null(fdb_lookup(l->want_fdb, mac));
	struct vx_addr n = ip("203.0.113.9");
	assert_int_equal(core_neigh_ensure(f->c, "vx0", &n, mcast, FDB_ORIGIN_STORE, &why), -EINVAL);
	n = ip("224.0.0.1");
	assert_int_equal(core_neigh_ensure(f->c, "vx0", &n, mac, FDB_ORIGIN_STORE, &why), -EINVAL);
	/* Nothing reached the datapath. */
	assert_string_equal(dp_null_log(f->dp), "link_add vx0 vni 42\n");
}

static void test_link_remote_is_wanted_as_the_links_own(void **state)
{
	struct fixture *f = *state;
	struct link_config cfg;
	const char *why = NULL;
	link_config_init(&cfg);
	strcpy(cfg.name, "vx0");
	cfg.vni = 5;
	cfg.remote = ip("198.18.0.9");
	cfg.set |= LINK_P_REMOTE;
	assert_int_equal(core_link_add(f->c, &cfg, FDB_ORIGIN_USER, false, &why), 0);
	struct core_link *l = core_link_find(f->c, "vx0");
	uint8_t zero[MAC_LEN] = {0};
	const struct fdb_entry *e = fdb_lookup(l->want_fdb, zero);
	assert_non_null(e);
	assert_int_equal(e->remotes[0].origin, FDB_ORIGIN_LINK);
	/* The user owns the link, so the user may delete its remote. */
	struct fdb_req r = freq("vx0", "00:00:00:00:00:00", "198.18.0.9");
	assert_int_equal(core_fdb(f->c, CORE_DEL, &r, FDB_ORIGIN_USER, &why), 0);
	assert_null(fdb_lookup(l->want_fdb, zero));
}

static void test_free_releases_or_removes_every_link(void **state)
{
	struct fixture *f = *state;
	add_link(f, "vx0", 42, FDB_ORIGIN_USER);
	add_link(f, "vx1", 43, FDB_ORIGIN_USER);
	clear(f);
	dp_null_keep(f->dp);
	core_free(f->c, true); /* a stopping daemon: devices stay */
	f->c = NULL;
	assert_string_equal(dp_null_log(f->dp), "link_release vx1\nlink_release vx0\n");
	dp_null_destroy(f->dp);

	struct core *c = core_new(NULL, LINK_DP_USER);
	struct dp *dp = dp_null_new(c, &core_upcalls);
	core_set_dp(c, LINK_DP_USER, dp);
	struct link_config cfg;
	const char *why = NULL;
	link_config_init(&cfg);
	strcpy(cfg.name, "vx2");
	cfg.vni = 2;
	assert_int_equal(core_link_add(c, &cfg, FDB_ORIGIN_USER, false, &why), 0);
	dp_null_keep(dp);
	dp_null_clear(dp);
	core_free(c, false); /* purge: devices go */
	assert_string_equal(dp_null_log(dp), "link_del vx2\n");
	dp_null_destroy(dp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_link_add_calls_the_datapath_publishes_and_persists, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_link_add_refused_by_the_datapath_leaves_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fdb_add_then_add_again_is_refused_by_the_datapath, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fdb_requests_are_checked_before_the_datapath, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_meaningless_fdb_and_neigh_values_are_refused_before_the_datapath,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_an_owner_only_removes_what_it_owns, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_learning_and_ageing_upcalls_publish_learned_entries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reconcile_puts_back_lost_entries_and_devices, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_device_that_cannot_be_made_again_is_retried_and_never_touched, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_changes_behind_our_back_are_undone_or_reported, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_neigh_changes_and_ownership, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ensure_is_idempotent_and_records_the_origin, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ensure_refuses_what_the_cli_refuses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_link_remote_is_wanted_as_the_links_own, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_free_releases_or_removes_every_link, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
