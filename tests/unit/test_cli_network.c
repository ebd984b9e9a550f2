/* test_cli_network: the grammar of `vxnet network create|del|show`, `attach`
 * and `detach` (src/vxnet/network.c through cli_parse): every command with
 * the values it names and the request it sends (attributes checked after
 * ctl_parse), keywords in any order, and each mistake refused with its exact
 * message (what the user reads after "vxnet: "). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"

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

/* The request cmd sends, parsed back as the daemon parses it. */
static uint8_t reqbuf[CTL_MSG_MAX];
static void request(const struct cli_cmd *cmd, struct ctl_parsed *p)
{
	struct ctl_msg m;
	assert_int_equal(ctl_msg_init(&m, reqbuf, sizeof(reqbuf), cmd->msg_type, 1), 0);
	assert_true(cli_is_cluster(cmd));
	assert_int_equal(cli_cluster_put(cmd, &m), 0);
	size_t len = ctl_msg_finish(&m);
	assert_int_equal(ctl_parse(reqbuf, len, p), 0);
	assert_int_equal(p->hdr.type, cmd->msg_type);
}

static void test_network_create(void **state)
{
	struct cli_cmd cmd;
	struct ctl_parsed p;
	const char *s;
	uint32_t u32;
	uint16_t u16;
	uint8_t u8;
	(void)state;
	parse_ok("network create blue id 4242 subnet 203.0.113.0/24", &cmd);
	assert_int_equal(cmd.obj, CLI_OBJ_NETWORK);
	assert_int_equal(cmd.verb, CLI_VERB_CREATE);
	assert_int_equal(cmd.msg_type, CTL_MSG_NETWORK_CREATE);
	request(&cmd, &p);
	assert_int_equal(ctl_get_str(&p, CTL_A_NETWORK, &s), 0);
	assert_string_equal(s, "blue");
	assert_int_equal(ctl_get_u32(&p, CTL_A_VNI, &u32), 0);
	assert_int_equal(u32, 4242);
	assert_int_equal(ctl_get_str(&p, CTL_A_SUBNET, &s), 0);
	assert_string_equal(s, "203.0.113.0/24");
	/* Defaults are the daemon's: not sent. */
	assert_false(ctl_has(&p, CTL_A_MTU));
	assert_false(ctl_has(&p, CTL_A_DSTPORT));
	assert_false(ctl_has(&p, CTL_A_DATAPATH));

	parse_ok("network create red datapath kernel dstport 8472 mtu 9000 subnet 2001:db8:1::/64 id 16777215", &cmd);
	request(&cmd, &p);
	assert_int_equal(ctl_get_u32(&p, CTL_A_VNI, &u32), 0);
	assert_int_equal(u32, 16777215);
	assert_int_equal(ctl_get_u32(&p, CTL_A_MTU, &u32), 0);
	assert_int_equal(u32, 9000);
	assert_int_equal(ctl_get_u16(&p, CTL_A_DSTPORT, &u16), 0);
	assert_int_equal(u16, 8472);
	assert_int_equal(ctl_get_u8(&p, CTL_A_DATAPATH, &u8), 0);
	assert_int_equal(u8, LINK_DP_KERNEL);
	assert_int_equal(ctl_get_str(&p, CTL_A_SUBNET, &s), 0);
	assert_string_equal(s, "2001:db8:1::/64");
}

static void test_network_del_show(void **state)
{
	struct cli_cmd cmd;
	struct ctl_parsed p;
	const char *s;
	(void)state;
	parse_ok("network del blue", &cmd);
	assert_int_equal(cmd.verb, CLI_VERB_DEL);
	assert_int_equal(cmd.msg_type, CTL_MSG_NETWORK_DEL);
	request(&cmd, &p);
	assert_int_equal(ctl_get_str(&p, CTL_A_NETWORK, &s), 0);
	assert_string_equal(s, "blue");
	parse_ok("-j -s network show", &cmd);
	assert_true(cmd.json && cmd.stats);
	assert_int_equal(cmd.msg_type, CTL_MSG_NETWORK_SHOW);
	request(&cmd, &p);
	assert_false(ctl_has(&p, CTL_A_NETWORK));
	parse_ok("network", &cmd);
	assert_int_equal(cmd.msg_type, CTL_MSG_NETWORK_SHOW);
	parse_ok("network show blue", &cmd);
	request(&cmd, &p);
	assert_int_equal(ctl_get_str(&p, CTL_A_NETWORK, &s), 0);
	assert_string_equal(s, "blue");
}

static void test_attach_detach(void **state)
{
	struct cli_cmd cmd;
	struct ctl_parsed p;
	const char *s;
	struct vx_addr a;
	uint8_t u8, mac[MAC_LEN];
	(void)state;
	parse_ok("attach ctr1 network blue", &cmd);
	assert_int_equal(cmd.obj, CLI_OBJ_ATTACH);
	assert_int_equal(cmd.msg_type, CTL_MSG_ATTACH);
	request(&cmd, &p);
	assert_int_equal(ctl_get_str(&p, CTL_A_NSPATH, &s), 0);
	assert_string_equal(s, "ctr1");
	assert_int_equal(ctl_get_str(&p, CTL_A_NETWORK, &s), 0);
	assert_string_equal(s, "blue");
	/* ifname, ip, mac: the daemon's defaults unless given. */
	assert_false(ctl_has(&p, CTL_A_IFNAME));
	assert_false(ctl_has(&p, CTL_A_DST));
	assert_false(ctl_has(&p, CTL_A_LLADDR));

	parse_ok("attach /proc/1234/ns/net network blue ifname net1 mac 02:42:cb:00:71:09 ip 203.0.113.9/24", &cmd);
	request(&cmd, &p);
	assert_int_equal(ctl_get_str(&p, CTL_A_NSPATH, &s), 0);
	assert_string_equal(s, "/proc/1234/ns/net");
	assert_int_equal(ctl_get_str(&p, CTL_A_IFNAME, &s), 0);
	assert_string_equal(s, "net1");
	assert_int_equal(ctl_get_addr(&p, CTL_A_DST, &a), 0);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(ctl_get_u8(&p, CTL_A_PREFIXLEN, &u8), 0);
	assert_int_equal(u8, 24);
	assert_int_equal(ctl_get_mac(&p, CTL_A_LLADDR, mac), 0);
	assert_int_equal(mac[5], 0x09);

	parse_ok("attach ctr1 network blue ip 2001:db8:1::5/64", &cmd);
	assert_int_equal(cmd.cl.ip.family, AF_INET6);
	assert_int_equal(cmd.cl.plen, 64);

	parse_ok("detach ctr1 network blue", &cmd);
	assert_int_equal(cmd.obj, CLI_OBJ_DETACH);
	assert_int_equal(cmd.msg_type, CTL_MSG_DETACH);
	request(&cmd, &p);
	assert_int_equal(ctl_get_str(&p, CTL_A_NSPATH, &s), 0);
	assert_string_equal(s, "ctr1");
}

static const struct {
	const char *line;
	const char *err;
} refused[] = {
    {"network create", "network create: NAME is required"},
    {"network create blue", "network create: id is required"},
    {"network create blue id 42", "network create: subnet is required"},
    {"network create blue subnet 203.0.113.0/24", "network create: id is required"},
    {"network create blue id 0 subnet 203.0.113.0/24", "network create: id must be 1-16777215"},
    {"network create blue id 16777216 subnet 203.0.113.0/24", "network create: id must be 1-16777215"},
    {"network create blue id -1 subnet 203.0.113.0/24", "network create: id must be 1-16777215"},
    {"network create blue id 42 subnet 203.0.113.1/24",
     "network create: invalid subnet \"203.0.113.1/24\": subnet is not a network address (host bits set)"},
    {"network create blue id 42 subnet 203.0.113.0", "network create: invalid subnet \"203.0.113.0\": "},
    {"network create blue id 42 id 43 subnet 203.0.113.0/24", "network create: \"id\" given twice"},
    {"network create blue id 42 subnet 203.0.113.0/24 mtu 67", "network create: mtu must be 68-65535"},
    {"network create blue id 42 subnet 203.0.113.0/24 dstport 0", "network create: dstport must be 1-65535"},
    {"network create blue id 42 subnet 203.0.113.0/24 datapath fast",
     "network create: datapath must be user or kernel"},
    {"network create blue id 42 subnet 203.0.113.0/24 vni 7", "network create: unknown keyword \"vni\""},
    {"network create blue id", "network create: \"id\" needs a value"},
    {"network create bl/ue id 42 subnet 203.0.113.0/24", "network create: invalid network name \"bl/ue\": "},
    {"network create -blue id 42 subnet 203.0.113.0/24", "network create: invalid network name \"-blue\": "},
    {"network del", "network del: NAME is required"},
    {"network del blue red", "network del: unknown keyword \"red\""},
    {"network show blue red", "network show: unknown keyword \"red\""},
    {"network add blue", "network: unknown command \"add\""},
    {"network cre blue", "network: unknown command \"cre\""},
    {"attach", "attach: NETNS is required (a name under /run/netns or a path)"},
    {"attach ctr1", "attach: \"network NAME\" is required after NETNS"},
    {"attach ctr1 net blue", "attach: \"network NAME\" is required after NETNS"},
    {"attach ctr1 network", "attach: \"network\" needs a value"},
    {"attach .. network blue", "attach: invalid NETNS \"..\""},
    {"attach ctr1 network blue ip 203.0.113.5", "attach: ip must be ADDR/PLEN"},
    {"attach ctr1 network blue ip 203.0.113.5/33", "attach: invalid prefix length \"33\""},
    {"attach ctr1 network blue ip 203.0.113.500/24", "attach: invalid address \"203.0.113.500\""},
    {"attach ctr1 network blue mac 01:00:5e:00:00:01", "attach: mac must be a unicast address"},
    {"attach ctr1 network blue mac 00:00:00:00:00:00", "attach: mac must be a unicast address"},
    {"attach ctr1 network blue mac 02:42", "attach: invalid MAC address \"02:42\""},
    {"attach ctr1 network blue ifname 0123456789abcdef", "attach: invalid ifname \"0123456789abcdef\""},
    {"attach ctr1 network blue ifname a/b", "attach: invalid ifname \"a/b\""},
    {"attach ctr1 network blue ifname eth1 ifname eth2", "attach: \"ifname\" given twice"},
    {"attach ctr1 network blue dev eth0", "attach: unknown keyword \"dev\""},
    {"detach ctr1 network blue ip 203.0.113.5/24", "detach: unknown keyword \"ip\""},
    {"detach ctr1", "detach: \"network NAME\" is required after NETNS"},
};

static void test_each_mistake_is_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct cli_cmd cmd;
		char err[256];
		if (parse(refused[i].line, &cmd, err, sizeof(err)) != -EINVAL)
			fail_msg("\"%s\" accepted", refused[i].line);
		/* A message ending in ": " is a prefix (the rest is lib/cluster.c's reason). */
		size_t n = strlen(refused[i].err);
		bool prefix = n >= 2 && refused[i].err[n - 1] == ' ' && refused[i].err[n - 2] == ':';
		if (prefix ? strncmp(err, refused[i].err, n) : strcmp(err, refused[i].err))
			fail_msg("\"%s\": got \"%s\", want \"%s\"%s", refused[i].line, err, refused[i].err,
				 prefix ? "..." : "");
	}
}

static void test_tiny_error_buffer_is_safe(void **state)
{
	struct cli_cmd cmd;
	char err[8];
	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(parse("attach ctr1 network blue bogus", &cmd, err, 4), -EINVAL);
	assert_int_equal(err[3], '\0');
	assert_int_equal(err[4], 'x');
	assert_int_equal(parse("network create blue", &cmd, NULL, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_network_create),
	    cmocka_unit_test(test_network_del_show),
	    cmocka_unit_test(test_attach_detach),
	    cmocka_unit_test(test_each_mistake_is_refused),
	    cmocka_unit_test(test_tiny_error_buffer_is_safe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
