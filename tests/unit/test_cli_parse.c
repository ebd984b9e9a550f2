/* test_cli_parse: the `vxnet` grammar: every command is accepted with the
 * values it names, keyword order does not matter, and each mistake is
 * refused with its exact message (what the user reads after "vxnet: "). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"

#define MAC_B "02:42:c0:a8:00:03"

/* Split "a b c" into argv with argv[0] = "vxnet"; the words live in a static buffer. */
static int split(const char *line, char **argv, size_t max)
{
	static char words[1024];
	int argc = 0;

	argv[argc++] = "vxnet";
	assert_true(strlen(line) < sizeof(words));
	strcpy(words, line);
	for (char *w = strtok(words, " "); w; w = strtok(NULL, " ")) {
		assert_true((size_t)argc < max - 1);
		argv[argc++] = w;
	}
	argv[argc] = NULL;
	return argc;
}

static int parse(const char *line, struct cli_cmd *cmd, char *err, size_t errlen)
{
	char *argv[64];
	int argc = split(line, argv, 64);

	return cli_parse(argc, argv, cmd, err, errlen);
}

static void parse_ok(const char *line, struct cli_cmd *cmd)
{
	char err[256];

	if (parse(line, cmd, err, sizeof(err)) != 0)
		fail_msg("\"%s\" refused: %s", line, err);
}

static struct vx_addr ip(const char *s)
{
	struct vx_addr a;

	assert_int_equal(addr_parse(s, &a), 0);
	return a;
}

/* Commands that must be accepted, and the request each one sends. */
static const struct {
	const char *line;
	enum cli_object obj;
	enum cli_verb verb;
	uint16_t msg;
} accepted[] = {
    {"link add vxlan1 id 42", CLI_OBJ_LINK, CLI_VERB_ADD, CTL_MSG_LINK_ADD},
    {"link add vxlan1 type vxlan id 42 proxy learning dstport 4789", CLI_OBJ_LINK, CLI_VERB_ADD, CTL_MSG_LINK_ADD},
    {"link del vxlan1", CLI_OBJ_LINK, CLI_VERB_DEL, CTL_MSG_LINK_DEL},
    {"link del dev vxlan1", CLI_OBJ_LINK, CLI_VERB_DEL, CTL_MSG_LINK_DEL},
    {"link show", CLI_OBJ_LINK, CLI_VERB_SHOW, CTL_MSG_LINK_SHOW},
    {"link show vxlan1", CLI_OBJ_LINK, CLI_VERB_SHOW, CTL_MSG_LINK_SHOW},
    {"link", CLI_OBJ_LINK, CLI_VERB_SHOW, CTL_MSG_LINK_SHOW},
    {"fdb add " MAC_B " dev vxlan1 dst 198.18.0.3", CLI_OBJ_FDB, CLI_VERB_ADD, CTL_MSG_FDB_ADD},
    {"fdb add " MAC_B " dev vxlan1 self dst 198.18.0.3 vni 42 port 4789", CLI_OBJ_FDB, CLI_VERB_ADD, CTL_MSG_FDB_ADD},
    {"fdb append 00:00:00:00:00:00 dev vxlan1 dst 2001:db8::2", CLI_OBJ_FDB, CLI_VERB_APPEND, CTL_MSG_FDB_APPEND},
    {"fdb replace " MAC_B " dev vxlan1 dst 198.18.0.3 self permanent", CLI_OBJ_FDB, CLI_VERB_REPLACE,
     CTL_MSG_FDB_REPLACE},
    {"fdb del " MAC_B " dev vxlan1", CLI_OBJ_FDB, CLI_VERB_DEL, CTL_MSG_FDB_DEL},
    {"fdb del 00:00:00:00:00:00 dev vxlan1 dst 198.18.0.3", CLI_OBJ_FDB, CLI_VERB_DEL, CTL_MSG_FDB_DEL},
    {"fdb show", CLI_OBJ_FDB, CLI_VERB_SHOW, CTL_MSG_FDB_SHOW},
    {"fdb show dev vxlan1", CLI_OBJ_FDB, CLI_VERB_SHOW, CTL_MSG_FDB_SHOW},
    {"neigh add 203.0.113.3 lladdr " MAC_B " dev vxlan1", CLI_OBJ_NEIGH, CLI_VERB_ADD, CTL_MSG_NEIGH_ADD},
    {"neigh replace 2001:db8::3 dev vxlan1 lladdr " MAC_B " nud permanent", CLI_OBJ_NEIGH, CLI_VERB_REPLACE,
     CTL_MSG_NEIGH_REPLACE},
    {"neigh del 203.0.113.3 dev vxlan1", CLI_OBJ_NEIGH, CLI_VERB_DEL, CTL_MSG_NEIGH_DEL},
    {"neigh show", CLI_OBJ_NEIGH, CLI_VERB_SHOW, CTL_MSG_NEIGH_SHOW},
    {"neigh show dev vxlan1", CLI_OBJ_NEIGH, CLI_VERB_SHOW, CTL_MSG_NEIGH_SHOW},
    {"monitor", CLI_OBJ_MONITOR, CLI_VERB_NONE, CTL_MSG_MONITOR},
    {"-j -s -S /tmp/x.sock link show", CLI_OBJ_LINK, CLI_VERB_SHOW, CTL_MSG_LINK_SHOW},
};

static void test_every_command_is_accepted(void **state)
{
	struct cli_cmd cmd;

	(void)state;
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		parse_ok(accepted[i].line, &cmd);
		if (cmd.obj != accepted[i].obj || cmd.verb != accepted[i].verb || cmd.msg_type != accepted[i].msg)
			fail_msg("\"%s\": obj %d verb %d msg %d", accepted[i].line, cmd.obj, cmd.verb, cmd.msg_type);
	}
}

static void test_global_options(void **state)
{
	struct cli_cmd cmd;

	(void)state;
	parse_ok("-j -s -S /tmp/x.sock link show", &cmd);
	assert_true(cmd.json);
	assert_true(cmd.stats);
	assert_string_equal(cmd.socket, "/tmp/x.sock");
	parse_ok("fdb show", &cmd);
	assert_false(cmd.json);
	assert_false(cmd.stats);
	assert_null(cmd.socket);
	parse_ok("-h", &cmd);
	assert_true(cmd.help);
	parse_ok("--help", &cmd);
	assert_true(cmd.help);
	parse_ok("-V", &cmd);
	assert_true(cmd.version);
}

static void test_link_add_defaults(void **state)
{
	struct cli_cmd cmd;

	(void)state;
	parse_ok("link add vxlan1 id 42", &cmd);
	assert_string_equal(cmd.link.name, "vxlan1");
	assert_int_equal(cmd.link.vni, 42);
	assert_int_equal(cmd.link.set, 0);
	assert_int_equal(cmd.link.dstport, 4789);
	assert_true(cmd.link.learning);
	assert_false(cmd.link.proxy);
	assert_int_equal(cmd.link.ageing, 300);
	assert_int_equal(cmd.link.srcport_min, 49152);
	assert_int_equal(cmd.link.srcport_max, 65535);
}

static void test_link_add_every_keyword(void **state)
{
	struct cli_cmd cmd;
	struct vx_addr a;

	(void)state;
	parse_ok("link add vx0 id 16777215 dstport 8472 local 2001:db8::1 group ff05::1 dev eth0 nolearning proxy "
		 "ageing 0 maxaddress 10 ttl 64 tos 0x10 srcport 100 200 mtu 1400 address 02:00:00:00:00:2a netns blue",
		 &cmd);
	assert_int_equal(cmd.link.vni, 16777215);
	assert_int_equal(cmd.link.dstport, 8472);
	a = ip("2001:db8::1");
	assert_true(addr_equal(&cmd.link.local, &a));
	a = ip("ff05::1");
	assert_true(addr_equal(&cmd.link.group, &a));
	assert_string_equal(cmd.link.dev, "eth0");
	assert_false(cmd.link.learning);
	assert_true(cmd.link.proxy);
	assert_int_equal(cmd.link.ageing, 0);
	assert_int_equal(cmd.link.maxaddress, 10);
	assert_int_equal(cmd.link.ttl, 64);
	assert_int_equal(cmd.link.tos, 16);
	assert_false(cmd.link.tos_inherit);
	assert_int_equal(cmd.link.srcport_min, 100);
	assert_int_equal(cmd.link.srcport_max, 200);
	assert_int_equal(cmd.link.mtu, 1400);
	assert_memory_equal(cmd.link.address, "\x02\x00\x00\x00\x00\x2a", MAC_LEN);
	assert_string_equal(cmd.link.netns, "blue");
	assert_int_equal(cmd.link.set, LINK_P_DSTPORT | LINK_P_LOCAL | LINK_P_GROUP | LINK_P_DEV | LINK_P_LEARNING |
					   LINK_P_PROXY | LINK_P_AGEING | LINK_P_MAXADDR | LINK_P_TTL | LINK_P_TOS |
					   LINK_P_SRCPORT | LINK_P_MTU | LINK_P_ADDRESS | LINK_P_NETNS);
}

static void test_link_add_ttl_auto_and_tos_inherit(void **state)
{
	struct cli_cmd cmd;

	(void)state;
	parse_ok("link add vx0 id 1 ttl 7 tos inherit", &cmd);
	assert_int_equal(cmd.link.ttl, 7);
	assert_true(cmd.link.tos_inherit);
	assert_int_equal(cmd.link.tos, 0);
	assert_true(cmd.link.set & LINK_P_TOS);
	parse_ok("link add vx0 id 1 ttl auto", &cmd);
	assert_int_equal(cmd.link.ttl, 0);
	assert_true(cmd.link.set & LINK_P_TTL);
	parse_ok("link add vx0 id 1 ttl 255 tos ff", &cmd);
	assert_int_equal(cmd.link.ttl, 255);
	assert_int_equal(cmd.link.tos, 255);
}

/* The same command with its keywords permuted parses to the same request. */
static void test_keyword_order_does_not_matter(void **state)
{
	static const char *const groups[][3] = {
	    {"link add vx id 42 dstport 4790 remote 198.18.0.2 local 198.18.0.1 proxy srcport 1 2",
	     "link add vx srcport 1 2 proxy local 198.18.0.1 remote 198.18.0.2 dstport 4790 id 42",
	     "link add vx type vxlan remote 198.18.0.2 id 42 srcport 1 2 local 198.18.0.1 dstport 4790 proxy"},
	    {"fdb add " MAC_B " dev vxlan1 dst 198.18.0.3 vni 42 port 4789",
	     "fdb add " MAC_B " port 4789 vni 42 dst 198.18.0.3 dev vxlan1",
	     "fdb add " MAC_B " self vni 42 dev vxlan1 port 4789 dst 198.18.0.3"},
	    {"neigh add 203.0.113.3 lladdr " MAC_B " dev vxlan1", "neigh add 203.0.113.3 dev vxlan1 lladdr " MAC_B,
	     "neigh add 203.0.113.3 nud permanent dev vxlan1 lladdr " MAC_B},
	};
	struct cli_cmd a, b;

	(void)state;
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		parse_ok(groups[g][0], &a);
		for (size_t i = 1; i < 3; i++) {
			parse_ok(groups[g][i], &b);
			if (memcmp(&a.link, &b.link, sizeof(a.link)) || memcmp(&a.fdb, &b.fdb, sizeof(a.fdb)) ||
			    memcmp(&a.neigh, &b.neigh, sizeof(a.neigh)) || a.msg_type != b.msg_type)
				fail_msg("\"%s\" and \"%s\" differ", groups[g][0], groups[g][i]);
		}
	}
}

static void test_fdb_and_neigh_values(void **state)
{
	struct cli_cmd cmd;
	struct vx_addr a;

	(void)state;
	parse_ok("fdb add " MAC_B " dev vxlan1 dst 198.18.0.3 vni 16777215 port 65535", &cmd);
	assert_string_equal(cmd.fdb.dev, "vxlan1");
	assert_memory_equal(cmd.fdb.mac, "\x02\x42\xc0\xa8\x00\x03", MAC_LEN);
	a = ip("198.18.0.3");
	assert_true(addr_equal(&cmd.fdb.dst, &a));
	assert_int_equal(cmd.fdb.vni, 16777215);
	assert_int_equal(cmd.fdb.port, 65535);
	assert_int_equal(cmd.fdb.set, FDB_P_DST | FDB_P_VNI | FDB_P_PORT);
	parse_ok("fdb del " MAC_B " dev vxlan1", &cmd);
	assert_int_equal(cmd.fdb.set, 0);
	parse_ok("fdb show dev vxlan1", &cmd);
	assert_true(cmd.has_ifname);
	assert_string_equal(cmd.ifname, "vxlan1");
	parse_ok("fdb show", &cmd);
	assert_false(cmd.has_ifname);
	parse_ok("link del vxlan1", &cmd);
	assert_string_equal(cmd.ifname, "vxlan1");
	parse_ok("neigh add 2001:db8::3 lladdr " MAC_B " dev vxlan1", &cmd);
	a = ip("2001:db8::3");
	assert_true(addr_equal(&cmd.neigh.ip, &a));
	assert_true(cmd.neigh.has_mac);
	assert_string_equal(cmd.neigh.dev, "vxlan1");
	parse_ok("neigh del 2001:db8::3 dev vxlan1", &cmd);
	assert_false(cmd.neigh.has_mac);
}

/* Mistakes and the exact message for each. */
static const struct {
	const char *line;
	const char *err;
} refused[] = {
    {"", "no command (try \"vxnet -h\")"},
    {"-x link show", "unknown option \"-x\""},
    {"-S", "option -S needs a PATH"},
    {"-S /a -S /b link show", "option -S given twice"},
    {"li sh", "unknown object \"li\" (try \"vxnet -h\")"},
    {"link sh", "link: unknown command \"sh\""},
    {"link append vx", "link: unknown command \"append\""},
    {"neigh append 203.0.113.3 dev vx", "neigh: unknown command \"append\""},
    {"link add", "link add: NAME is required"},
    {"link add vx", "link add: id is required"},
    {"link add vx dstport 4789", "link add: id is required"},
    {"link add vx id", "link add: \"id\" needs a value"},
    {"link add vx id 16777216", "link add: VNI must be below 16777216"},
    {"link add vx id 99999999999999999999999", "link add: VNI must be below 16777216"},
    {"link add vx id -1", "link add: invalid VNI \"-1\""},
    {"link add vx id +5", "link add: invalid VNI \"+5\""},
    {"link add vx id 4x", "link add: invalid VNI \"4x\""},
    {"link add abcdefghijklmnop id 1", "link add: name must be 1-15 characters"},
    {"link add vx id 42 foo", "link add: unknown keyword \"foo\""},
    {"link add vx id 42 dstp 4789", "link add: unknown keyword \"dstp\""},
    {"link add vx id 42 id 43", "link add: \"id\" given twice"},
    {"link add vx id 42 learning nolearning", "link add: \"learning\" and \"nolearning\" are mutually exclusive"},
    {"link add vx id 42 remote 198.18.0.2 group 239.1.1.1", "link add: remote and group are mutually exclusive"},
    {"link add vx id 42 group 198.18.0.2", "link add: group must be a multicast address"},
    {"link add vx id 42 remote 239.1.1.1", "link add: remote must be a unicast address"},
    {"link add vx id 42 local 198.18.0.1 remote 2001:db8::2",
     "link add: local and remote/group must be the same address family"},
    {"link add vx id 42 remote 198.18.0.256", "link add: invalid address \"198.18.0.256\""},
    {"link add vx id 42 remote 198.18.0.2/24", "link add: invalid address \"198.18.0.2/24\""},
    {"link add vx id 42 address 02:00:00:00:00", "link add: invalid MAC address \"02:00:00:00:00\""},
    {"link add vx id 42 address 01:00:5e:00:00:01", "link add: address must be a unicast MAC"},
    {"link add vx id 42 dstport 0", "link add: dstport must be 1-65535"},
    {"link add vx id 42 dstport 65536", "link add: dstport must be 1-65535"},
    {"link add vx id 42 srcport 2000 1000", "link add: srcport MIN must not exceed MAX"},
    {"link add vx id 42 srcport 2000", "link add: \"srcport\" needs two values"},
    {"link add vx id 42 srcport 0 10", "link add: srcport must be 1-65535"},
    {"link add vx id 42 ttl 256", "link add: ttl must be 0-255 or auto"},
    {"link add vx id 42 ttl inherit", "link add: ttl must be 0-255 or auto"},
    {"link add vx id 42 tos 100", "link add: tos must be hexadecimal 0x00-0xff (as in ip-link) or inherit"},
    {"link add vx id 42 tos 0x", "link add: tos must be hexadecimal 0x00-0xff (as in ip-link) or inherit"},
    {"link add vx id 42 tos 4g", "link add: tos must be hexadecimal 0x00-0xff (as in ip-link) or inherit"},
    {"link add vx id 42 mtu 67", "link add: mtu must be between 68 and 65535"},
    {"link add vx id 42 mtu 65536", "link add: mtu must be between 68 and 65535"},
    {"link add vx id 42 ageing 4294967296", "link add: ageing must be 0-4294967295"},
    {"link add vx id 42 maxaddress -1", "link add: maxaddress must be 0-4294967295"},
    {"link add vx id 42 dev abcdefghijklmnop", "link add: dev must be 1-15 characters"},
    {"link add vx id 42 type bridge", "link add: only \"type vxlan\" is supported"},
    {"link add vx id 42 netns ../x", "link add: netns must be a name in /run/netns"},
    {"link del", "link del: NAME is required"},
    {"link del vx extra", "link del: unknown keyword \"extra\""},
    {"link show vx extra", "link show: unknown keyword \"extra\""},
    {"fdb show vxlan1", "fdb show: unknown keyword \"vxlan1\""},
    {"fdb show dev", "fdb show: \"dev\" needs a value"},
    {"fdb add", "fdb add: LLADDR is required"},
    {"fdb add zz:00:00:00:00:01 dev vx dst 198.18.0.3", "fdb add: invalid MAC address \"zz:00:00:00:00:01\""},
    {"fdb add " MAC_B " dst 198.18.0.3", "fdb add: dev is required"},
    {"fdb add " MAC_B " dev vx", "fdb add: dst is required"},
    {"fdb append " MAC_B " dev vx", "fdb append: dst is required"},
    {"fdb replace " MAC_B " dev vx port 4789", "fdb replace: dst is required"},
    {"fdb del " MAC_B, "fdb del: dev is required"},
    {"fdb add " MAC_B " dev vx dst 198.18.0.3 port 0", "fdb add: port must be 1-65535"},
    {"fdb add " MAC_B " dev vx dst 198.18.0.3 port 65536", "fdb add: port must be 1-65535"},
    {"fdb add " MAC_B " dev vx dst 198.18.0.3 vni 16777216", "fdb add: VNI must be below 16777216"},
    {"fdb add " MAC_B " dev vx dst bogus", "fdb add: invalid address \"bogus\""},
    {"fdb add " MAC_B " dev vx dst 198.18.0.3 self self", "fdb add: \"self\" given twice"},
    {"fdb add " MAC_B " dev vx dst 198.18.0.3 master", "fdb add: unknown keyword \"master\""},
    {"neigh add 300.1.1.1 lladdr " MAC_B " dev vx", "neigh add: invalid address \"300.1.1.1\""},
    {"neigh add 203.0.113.3 dev vx", "neigh add: lladdr is required"},
    {"neigh replace 203.0.113.3 dev vx", "neigh replace: lladdr is required"},
    {"neigh add 203.0.113.3 lladdr " MAC_B, "neigh add: dev is required"},
    {"neigh add 203.0.113.3 lladdr " MAC_B " dev vx nud reachable", "neigh add: only \"nud permanent\" is supported"},
    {"neigh add 203.0.113.3 lladdr 02:42 dev vx", "neigh add: invalid MAC address \"02:42\""},
    {"neigh show vx", "neigh show: unknown keyword \"vx\""},
    {"monitor all", "monitor: unknown keyword \"all\""},
};

static void test_each_mistake_is_refused_with_its_message(void **state)
{
	struct cli_cmd cmd;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		memset(err, 0, sizeof(err));
		if (parse(refused[i].line, &cmd, err, sizeof(err)) != -EINVAL)
			fail_msg("\"%s\" accepted", refused[i].line);
		if (strcmp(err, refused[i].err) != 0)
			fail_msg("\"%s\": got \"%s\", expected \"%s\"", refused[i].line, err, refused[i].err);
	}
}

/* fdb and neigh values that cannot mean anything (issue 8): refused before
 * anything is sent, with addr_check's and mac_check_neigh_lladdr's reason;
 * what del selects by is not judged, and flood entries may go to a group. */
static const struct {
	const char *line;
	const char *err; /* NULL: accepted */
} meaningless[] = {
    {"fdb add " MAC_B " dev vx dst 0.0.0.0", "fdb add: dst must not be unspecified (0.0.0.0/8 or ::)"},
    {"fdb add " MAC_B " dev vx dst 255.255.255.255", "fdb add: dst must not be the broadcast address 255.255.255.255"},
    {"fdb add " MAC_B " dev vx dst 127.0.0.1",
     "fdb add: dst must not be a loopback address (the frames would come straight back)"},
    {"fdb add " MAC_B " dev vx dst 239.1.1.1",
     "fdb add: dst must be unicast for a unicast MAC (a group only for 00:00:00:00:00:00 or a multicast MAC)"},
    {"fdb replace " MAC_B " dev vx dst ::1",
     "fdb replace: dst must not be a loopback address (the frames would come straight back)"},
    {"fdb append 00:00:00:00:00:00 dev vx dst ff01::1",
     "fdb append: dst must not be of IPv6 multicast scope 0, 1 (interface-local) or 15"},
    {"fdb append 00:00:00:00:00:00 dev vx dst 0.0.0.0", "fdb append: dst must not be unspecified (0.0.0.0/8 or ::)"},
    {"fdb append 00:00:00:00:00:00 dev vx dst 239.1.1.1", NULL},
    {"fdb append 01:00:5e:01:01:01 dev vx dst 239.1.1.1", NULL},
    {"fdb del 00:00:00:00:00:00 dev vx dst 0.0.0.0", NULL},
    {"fdb del " MAC_B " dev vx dst 127.0.0.1", NULL},
    {"neigh add 0.0.0.0 lladdr " MAC_B " dev vx", "neigh add: address must not be unspecified (0.0.0.0/8 or ::)"},
    {"neigh add 224.0.0.5 lladdr " MAC_B " dev vx",
     "neigh add: address must not be multicast (proxy ARP/ND never answers for a group)"},
    {"neigh replace ff02::1 lladdr " MAC_B " dev vx",
     "neigh replace: address must not be multicast (proxy ARP/ND never answers for a group)"},
    {"neigh add 203.0.113.3 lladdr 00:00:00:00:00:00 dev vx",
     "neigh add: lladdr must not be 00:00:00:00:00:00 (no station has it)"},
    {"neigh add 203.0.113.3 lladdr ff:ff:ff:ff:ff:ff dev vx",
     "neigh add: lladdr must be a unicast MAC (not multicast or broadcast)"},
    {"neigh replace 203.0.113.3 lladdr 01:00:5e:00:00:05 dev vx",
     "neigh replace: lladdr must be a unicast MAC (not multicast or broadcast)"},
    {"neigh add fe80::5 lladdr " MAC_B " dev vx", NULL},
    {"neigh del 224.0.0.5 dev vx", NULL},
    {"link add vx id 42 mtu 65535",
     "link add: mtu must be between 68 and 65485 (65535 minus the 50 bytes VXLAN adds over IPv4)"},
    {"link add vx id 42 remote 127.0.0.1",
     "link add: remote must not be a loopback address (the frames would come straight back)"},
};

static void test_meaningless_fdb_and_neigh_values_are_refused(void **state)
{
	struct cli_cmd cmd;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(meaningless) / sizeof(meaningless[0]); i++) {
		memset(err, 0, sizeof(err));
		int rc = parse(meaningless[i].line, &cmd, err, sizeof(err));
		if (!meaningless[i].err) {
			if (rc != 0)
				fail_msg("\"%s\" refused: %s", meaningless[i].line, err);
			continue;
		}
		if (rc != -EINVAL)
			fail_msg("\"%s\" accepted", meaningless[i].line);
		if (strcmp(err, meaningless[i].err) != 0)
			fail_msg("\"%s\": got \"%s\", expected \"%s\"", meaningless[i].line, err, meaningless[i].err);
	}
}

static void test_abbreviations_are_refused(void **state)
{
	static const char *const lines[] = {
	    "li show",
	    "link sh",
	    "link ad vx id 1",
	    "link add vx i 1",
	    "fdb ad " MAC_B " dev vx dst 198.18.0.3",
	    "fdb add " MAC_B " d vx dst 198.18.0.3",
	    "neigh sh",
	    "neighbor show",
	    "mon",
	    "link add vx id 1 learn",
	};
	struct cli_cmd cmd;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		if (parse(lines[i], &cmd, err, sizeof(err)) == 0)
			fail_msg("abbreviation \"%s\" accepted", lines[i]);
}

static void test_tiny_error_buffer_is_safe(void **state)
{
	struct cli_cmd cmd;
	char err[8];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(parse("link add vx id 42 foo", &cmd, err, sizeof(err)), -EINVAL);
	assert_int_equal(err[sizeof(err) - 1], '\0');
	assert_int_equal(parse("link add vx id 42 foo", &cmd, NULL, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_command_is_accepted),
	    cmocka_unit_test(test_global_options),
	    cmocka_unit_test(test_link_add_defaults),
	    cmocka_unit_test(test_link_add_every_keyword),
	    cmocka_unit_test(test_link_add_ttl_auto_and_tos_inherit),
	    cmocka_unit_test(test_keyword_order_does_not_matter),
	    cmocka_unit_test(test_fdb_and_neigh_values),
	    cmocka_unit_test(test_each_mistake_is_refused_with_its_message),
	    cmocka_unit_test(test_meaningless_fdb_and_neigh_values_are_refused),
	    cmocka_unit_test(test_abbreviations_are_refused),
	    cmocka_unit_test(test_tiny_error_buffer_is_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
