/* nl_driver: runs one nl_* function of src/vxnetd/nl.h against the kernel and
 * prints the result as one JSON object (or, for `monitor`, one per line), for
 * tests/nl/run.sh to compare with what ip(8) and bridge(8) read back.
 *
 *   nl_driver [-N NETNS_PATH] COMMAND ARGS...
 *   create KEY=VALUE...                 nl_vxlan_create (keys below)
 *   change DEV KEY=VALUE...             nl_vxlan_change
 *   del DEV | get DEV | dump            nl_link_del / nl_link_get / nl_link_dump
 *   set DEV up|down|mtu N|address MAC|master DEV|nomaster|netns PATH|name NAME
 *   fdb add|replace|append|del DEV mac=MAC [dst=IP] [port=N] [vni=N] [via=DEV] [proto=N] [state=N] [flags=N]
 *   fdb show DEV                        nl_fdb_dump
 *   neigh add|replace|del DEV ip=IP [mac=MAC] [proto=N]
 *   neigh show DEV [4|6]                nl_neigh_dump
 *   monitor [count=N] [timeout=S] [rcvbuf=B] [delay=S] [ready=FILE]
 *   diff KEY=VALUE... -- DEV            nl_vxlan_diff(want, what DEV has)
 *   livemask                            the option names in NL_VX_LIVE_MASK
 *
 * vxlan keys: name mtu address netns=PATH id remote local dev ttl ttlinherit
 * tos learning ageing maxaddress srcport=MIN-MAX proxy l2miss l3miss dstport
 * udpcsum zcsum6tx zcsum6rx df localbypass.
 * Errors print {"error":-N,"errno":"NAME","msg":"..."} and exit 1; bad usage exits 2. */
#include <errno.h>
#include <fcntl.h>
#include <linux/neighbour.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nl.h"

static struct nl *nl;
static int netns_fd = -1;

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

static const char *errno_name(int e)
{
	switch (e) {
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case EEXIST:
		return "EEXIST";
	case ENOENT:
		return "ENOENT";
	case EINVAL:
		return "EINVAL";
	case ENODEV:
		return "ENODEV";
	case ERANGE:
		return "ERANGE";
	case EBUSY:
		return "EBUSY";
	case ENOSPC:
		return "ENOSPC";
	case EAFNOSUPPORT:
		return "EAFNOSUPPORT";
	case EADDRNOTAVAIL:
		return "EADDRNOTAVAIL";
	case EPERM:
		return "EPERM";
	default:
		return "E?";
	}
}

static int fail(int rc)
{
	printf("{\"error\":%d,\"errno\":\"%s\",\"msg\":", rc, errno_name(-rc));
	json_str(nl ? nl_errmsg(nl) : strerror(-rc));
	printf("}\n");
	return 1;
}

__attribute__((noreturn)) static void usage_exit(const char *why)
{
	fprintf(stderr, "nl_driver: %s\n", why);
	exit(2);
}

static long num(const char *s)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 0);
	if (errno || *end || end == s)
		usage_exit("bad number");
	return v;
}

static int dev_index(const char *name)
{
	struct nl_link l;
	int rc = nl_link_get(nl, 0, name, &l);
	if (rc < 0)
		exit(fail(rc));
	return l.ifindex;
}

static void parse_mac(const char *s, uint8_t mac[MAC_LEN])
{
	if (mac_parse(s, mac) < 0)
		usage_exit("bad MAC");
}

static void parse_ip(const char *s, struct vx_addr *a)
{
	if (addr_parse(s, a) < 0)
		usage_exit("bad address");
}

static int open_ns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		usage_exit("cannot open namespace");
	return fd;
}

/* key=value into p; returns false for an unknown key. */
static bool vx_kv(struct nl_vxlan *p, const char *k, const char *v)
{
#define SETB(a) (p->set |= NL_VX_BIT(a))
	if (!strcmp(k, "name")) {
		/* Longer names are passed unterminated, for the builder to refuse. */
		size_t n = strlen(v);
		memcpy(p->name, v, n < IFNAMSIZ ? n + 1 : IFNAMSIZ);
		SETB(NL_VX_NAME);
	} else if (!strcmp(k, "mtu")) {
		p->mtu = (uint32_t)num(v);
		SETB(NL_VX_MTU);
	} else if (!strcmp(k, "address")) {
		parse_mac(v, p->address);
		SETB(NL_VX_ADDRESS);
	} else if (!strcmp(k, "netns")) {
		p->netns_fd = open_ns(v);
		SETB(NL_VX_NETNS);
	} else if (!strcmp(k, "id")) {
		p->vni = (uint32_t)num(v);
		SETB(NL_VX_ID);
	} else if (!strcmp(k, "remote")) {
		parse_ip(v, &p->remote);
		SETB(NL_VX_REMOTE);
	} else if (!strcmp(k, "local")) {
		parse_ip(v, &p->local);
		SETB(NL_VX_LOCAL);
	} else if (!strcmp(k, "dev")) {
		p->link = (uint32_t)dev_index(v);
		SETB(NL_VX_LINK);
	} else if (!strcmp(k, "ttl")) {
		p->ttl = (uint8_t)num(v);
		SETB(NL_VX_TTL);
	} else if (!strcmp(k, "ttlinherit")) {
		p->ttl_inherit = num(v);
		SETB(NL_VX_TTL_INHERIT);
	} else if (!strcmp(k, "tos")) {
		p->tos = (uint8_t)num(v);
		SETB(NL_VX_TOS);
	} else if (!strcmp(k, "learning")) {
		p->learning = num(v);
		SETB(NL_VX_LEARNING);
	} else if (!strcmp(k, "ageing")) {
		p->ageing = (uint32_t)num(v);
		SETB(NL_VX_AGEING);
	} else if (!strcmp(k, "maxaddress")) {
		p->limit = (uint32_t)num(v);
		SETB(NL_VX_LIMIT);
	} else if (!strcmp(k, "srcport")) {
		unsigned lo, hi;
		if (sscanf(v, "%u-%u", &lo, &hi) != 2)
			usage_exit("srcport=MIN-MAX");
		p->port_min = (uint16_t)lo;
		p->port_max = (uint16_t)hi;
		SETB(NL_VX_PORT_RANGE);
	} else if (!strcmp(k, "proxy")) {
		p->proxy = num(v);
		SETB(NL_VX_PROXY);
	} else if (!strcmp(k, "l2miss")) {
		p->l2miss = num(v);
		SETB(NL_VX_L2MISS);
	} else if (!strcmp(k, "l3miss")) {
		p->l3miss = num(v);
		SETB(NL_VX_L3MISS);
	} else if (!strcmp(k, "dstport")) {
		p->port = (uint16_t)num(v);
		SETB(NL_VX_PORT);
	} else if (!strcmp(k, "udpcsum")) {
		p->udp_csum = num(v);
		SETB(NL_VX_UDP_CSUM);
	} else if (!strcmp(k, "zcsum6tx")) {
		p->zcsum6_tx = num(v);
		SETB(NL_VX_ZCSUM6_TX);
	} else if (!strcmp(k, "zcsum6rx")) {
		p->zcsum6_rx = num(v);
		SETB(NL_VX_ZCSUM6_RX);
	} else if (!strcmp(k, "df")) {
		p->df = (uint8_t)num(v);
		SETB(NL_VX_DF);
	} else if (!strcmp(k, "localbypass")) {
		p->localbypass = num(v);
		SETB(NL_VX_LOCALBYPASS);
	} else {
		return false;
	}
#undef SETB
	return true;
}

static void vx_args(struct nl_vxlan *p, int argc, char **argv)
{
	memset(p, 0, sizeof(*p));
	p->netns_fd = -1;
	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq)
			usage_exit("expected KEY=VALUE");
		*eq = 0;
		if (!vx_kv(p, argv[i], eq + 1))
			usage_exit("unknown key");
	}
}

static void print_addr(const char *key, const struct vx_addr *a)
{
	char buf[ADDR_STRLEN];
	addr_format(a, buf, sizeof(buf));
	printf(",\"%s\":\"%s\"", key, buf);
}

static void print_mac(const char *key, const uint8_t *mac)
{
	char buf[MAC_STRLEN];
	mac_format(mac, buf);
	printf(",\"%s\":\"%s\"", key, buf);
}

static void print_vxlan(const struct nl_vxlan *v)
{
	printf("{\"set\":%u", v->set);
#define HAS(a) (v->set & NL_VX_BIT(a))
	if (HAS(NL_VX_ID))
		printf(",\"id\":%u", v->vni);
	if (HAS(NL_VX_REMOTE))
		print_addr("remote", &v->remote);
	if (HAS(NL_VX_LOCAL))
		print_addr("local", &v->local);
	if (HAS(NL_VX_LINK))
		printf(",\"link\":%u", v->link);
	if (HAS(NL_VX_TTL))
		printf(",\"ttl\":%u", v->ttl);
	if (HAS(NL_VX_TTL_INHERIT))
		printf(",\"ttl_inherit\":%s", v->ttl_inherit ? "true" : "false");
	if (HAS(NL_VX_TOS))
		printf(",\"tos\":%u", v->tos);
	if (HAS(NL_VX_LEARNING))
		printf(",\"learning\":%s", v->learning ? "true" : "false");
	if (HAS(NL_VX_AGEING))
		printf(",\"ageing\":%u", v->ageing);
	if (HAS(NL_VX_LIMIT))
		printf(",\"limit\":%u", v->limit);
	if (HAS(NL_VX_PORT_RANGE))
		printf(",\"port_range\":{\"low\":%u,\"high\":%u}", v->port_min, v->port_max);
	if (HAS(NL_VX_PROXY))
		printf(",\"proxy\":%s", v->proxy ? "true" : "false");
	if (HAS(NL_VX_L2MISS))
		printf(",\"l2miss\":%s", v->l2miss ? "true" : "false");
	if (HAS(NL_VX_L3MISS))
		printf(",\"l3miss\":%s", v->l3miss ? "true" : "false");
	if (HAS(NL_VX_PORT))
		printf(",\"port\":%u", v->port);
	if (HAS(NL_VX_UDP_CSUM))
		printf(",\"udp_csum\":%s", v->udp_csum ? "true" : "false");
	if (HAS(NL_VX_ZCSUM6_TX))
		printf(",\"udp_zero_csum6_tx\":%s", v->zcsum6_tx ? "true" : "false");
	if (HAS(NL_VX_ZCSUM6_RX))
		printf(",\"udp_zero_csum6_rx\":%s", v->zcsum6_rx ? "true" : "false");
	if (HAS(NL_VX_DF))
		printf(",\"df\":%u", v->df);
	if (HAS(NL_VX_LOCALBYPASS))
		printf(",\"localbypass\":%s", v->localbypass ? "true" : "false");
#undef HAS
	printf("}");
}

static void print_link_body(const struct nl_link *l)
{
	printf("\"ifindex\":%d,\"name\":", l->ifindex);
	json_str(l->name);
	printf(",\"kind\":");
	json_str(l->kind);
	printf(",\"mtu\":%u,\"flags\":%u,\"up\":%s,\"operstate\":%u,\"master\":%d,\"link\":%d", l->mtu, l->flags,
	       (l->flags & IFF_UP) ? "true" : "false", l->operstate, l->master, l->link);
	if (l->has_address)
		print_mac("address", l->address);
	if (l->has_stats)
		printf(",\"stats\":{\"rx_packets\":%llu,\"tx_packets\":%llu,\"rx_bytes\":%llu,\"tx_bytes\":%llu,"
		       "\"rx_errors\":%llu,\"tx_errors\":%llu,\"rx_dropped\":%llu,\"tx_dropped\":%llu}",
		       (unsigned long long)l->stats.rx_packets, (unsigned long long)l->stats.tx_packets,
		       (unsigned long long)l->stats.rx_bytes, (unsigned long long)l->stats.tx_bytes,
		       (unsigned long long)l->stats.rx_errors, (unsigned long long)l->stats.tx_errors,
		       (unsigned long long)l->stats.rx_dropped, (unsigned long long)l->stats.tx_dropped);
	if (!strcmp(l->kind, "vxlan")) {
		printf(",\"vxlan\":");
		print_vxlan(&l->vxlan);
	}
}

static void print_fdb_body(const struct nl_fdb *e)
{
	printf("\"ifindex\":%d", e->ifindex);
	print_mac("mac", e->mac);
	if (e->set & NL_FDB_DST)
		print_addr("dst", &e->dst);
	if (e->set & NL_FDB_PORT)
		printf(",\"port\":%u", e->port);
	if (e->set & NL_FDB_VNI)
		printf(",\"vni\":%u", e->vni);
	if (e->set & NL_FDB_VIA)
		printf(",\"via\":%u", e->via);
	if (e->set & NL_FDB_PROTOCOL)
		printf(",\"protocol\":%u", e->protocol);
	if (e->set & NL_FDB_MASTER)
		printf(",\"master\":%u", e->master);
	if (e->set & NL_FDB_VLAN)
		printf(",\"vlan\":%u", e->vlan);
	printf(",\"state\":%u,\"flags\":%u", e->state, e->flags);
	printf(",\"permanent\":%s,\"self\":%s,\"extern_learn\":%s", (e->state & NUD_PERMANENT) ? "true" : "false",
	       (e->flags & NTF_SELF) ? "true" : "false", (e->flags & NTF_EXT_LEARNED) ? "true" : "false");
	if (e->set & NL_FDB_CACHEINFO)
		printf(",\"used_ms\":%u,\"updated_ms\":%u", e->used_ms, e->updated_ms);
}

static void print_neigh_body(const struct nl_neigh *n)
{
	printf("\"ifindex\":%d", n->ifindex);
	print_addr("ip", &n->ip);
	if (n->set & NL_NEIGH_LLADDR)
		print_mac("mac", n->mac);
	if (n->set & NL_NEIGH_PROTOCOL)
		printf(",\"protocol\":%u", n->protocol);
	printf(",\"state\":%u,\"flags\":%u,\"permanent\":%s", n->state, n->flags,
	       (n->state & NUD_PERMANENT) ? "true" : "false");
	if (n->set & NL_NEIGH_CACHEINFO)
		printf(",\"used_ms\":%u,\"confirmed_ms\":%u,\"updated_ms\":%u", n->used_ms, n->confirmed_ms,
		       n->updated_ms);
}

static int cmd_create(int argc, char **argv)
{
	struct nl_vxlan p;
	vx_args(&p, argc, argv);
	int ifindex;
	int rc = nl_vxlan_create(nl, &p, &ifindex);
	if (rc < 0)
		return fail(rc);
	printf("{\"ok\":true,\"ifindex\":%d}\n", ifindex);
	return 0;
}

static int cmd_change(int argc, char **argv)
{
	if (argc < 1)
		usage_exit("change DEV KEY=VALUE...");
	int ifindex = dev_index(argv[0]);
	struct nl_vxlan p;
	vx_args(&p, argc - 1, argv + 1);
	int rc = nl_vxlan_change(nl, ifindex, &p);
	if (rc < 0)
		return fail(rc);
	printf("{\"ok\":true}\n");
	return 0;
}

static void print_names(uint32_t bits)
{
	bool first = true;
	printf("[");
	for (unsigned a = 0; a < NL_VX_COUNT; a++) {
		if (bits & NL_VX_BIT(a)) {
			printf("%s\"%s\"", first ? "" : ",", nl_vx_attr_name((enum nl_vx_attr)a));
			first = false;
		}
	}
	printf("]");
}

static int cmd_diff(int argc, char **argv)
{
	int sep = 0;
	while (sep < argc && strcmp(argv[sep], "--"))
		sep++;
	if (sep + 2 != argc)
		usage_exit("diff KEY=VALUE... -- DEV");
	struct nl_vxlan want;
	vx_args(&want, sep, argv);
	struct nl_link l;
	int rc = nl_link_get(nl, 0, argv[sep + 1], &l);
	if (rc < 0)
		return fail(rc);
	uint32_t d = nl_vxlan_diff(&want, &l.vxlan);
	printf("{\"diff\":");
	print_names(d);
	printf("}\n");
	return 0;
}

static int cmd_del(int argc, char **argv)
{
	if (argc != 1)
		usage_exit("del DEV");
	int rc = nl_link_del(nl, dev_index(argv[0]));
	if (rc < 0)
		return fail(rc);
	printf("{\"ok\":true}\n");
	return 0;
}

static int cmd_get(int argc, char **argv)
{
	if (argc != 1)
		usage_exit("get DEV");
	struct nl_link l;
	bool by_index = argv[0][0] >= '0' && argv[0][0] <= '9';
	int rc = by_index ? nl_link_get(nl, (int)num(argv[0]), NULL, &l) : nl_link_get(nl, 0, argv[0], &l);
	if (rc < 0)
		return fail(rc);
	printf("{");
	print_link_body(&l);
	printf("}\n");
	return 0;
}

static int dump_one(const struct nl_link *l, void *arg)
{
	bool *first = arg;
	printf("%s{", *first ? "" : ",");
	print_link_body(l);
	printf("}");
	*first = false;
	return 0;
}

static int cmd_dump(void)
{
	bool first = true;
	printf("[");
	int rc = nl_link_dump(nl, dump_one, &first);
	printf("]\n");
	return rc < 0 ? fail(rc) : 0;
}

static int cmd_set(int argc, char **argv)
{
	if (argc < 2)
		usage_exit("set DEV WHAT [VALUE]");
	int ifindex = dev_index(argv[0]);
	const char *w = argv[1];
	int rc;
	if (!strcmp(w, "up") || !strcmp(w, "down")) {
		rc = nl_link_set_up(nl, ifindex, !strcmp(w, "up"));
	} else if (!strcmp(w, "nomaster")) {
		rc = nl_link_set_master(nl, ifindex, 0);
	} else if (argc != 3) {
		usage_exit("set DEV WHAT VALUE");
	} else if (!strcmp(w, "mtu")) {
		rc = nl_link_set_mtu(nl, ifindex, (uint32_t)num(argv[2]));
	} else if (!strcmp(w, "address")) {
		uint8_t mac[MAC_LEN];
		parse_mac(argv[2], mac);
		rc = nl_link_set_address(nl, ifindex, mac);
	} else if (!strcmp(w, "master")) {
		rc = nl_link_set_master(nl, ifindex, dev_index(argv[2]));
	} else if (!strcmp(w, "netns")) {
		int fd = open_ns(argv[2]);
		rc = nl_link_set_netns(nl, ifindex, fd);
		close(fd);
	} else if (!strcmp(w, "name")) {
		struct nl_link_set s = {.set = NL_SET_NAME};
		snprintf(s.name, sizeof(s.name), "%s", argv[2]);
		rc = nl_link_set(nl, ifindex, &s);
	} else {
		usage_exit("unknown set");
	}
	if (rc < 0)
		return fail(rc);
	printf("{\"ok\":true}\n");
	return 0;
}

static enum nl_op parse_op(const char *s)
{
	if (!strcmp(s, "add"))
		return NL_OP_ADD;
	if (!strcmp(s, "replace"))
		return NL_OP_REPLACE;
	if (!strcmp(s, "append"))
		return NL_OP_APPEND;
	if (!strcmp(s, "del"))
		return NL_OP_DEL;
	usage_exit("op: add|replace|append|del");
	return NL_OP_ADD;
}

static int fdb_one(const struct nl_fdb *e, void *arg)
{
	bool *first = arg;
	printf("%s{", *first ? "" : ",");
	print_fdb_body(e);
	printf("}");
	*first = false;
	return 0;
}

static int cmd_fdb(int argc, char **argv)
{
	if (argc < 2)
		usage_exit("fdb OP DEV ...");
	if (!strcmp(argv[0], "show")) {
		bool first = true;
		int ifindex = dev_index(argv[1]);
		printf("[");
		int rc = nl_fdb_dump(nl, ifindex, fdb_one, &first);
		printf("]\n");
		return rc < 0 ? fail(rc) : 0;
	}
	enum nl_op op = parse_op(argv[0]);
	struct nl_fdb e = {.ifindex = dev_index(argv[1])};
	bool mac = false;
	for (int i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq)
			usage_exit("expected KEY=VALUE");
		*eq = 0;
		const char *k = argv[i], *v = eq + 1;
		if (!strcmp(k, "mac")) {
			parse_mac(v, e.mac);
			mac = true;
		} else if (!strcmp(k, "dst")) {
			parse_ip(v, &e.dst);
			e.set |= NL_FDB_DST;
		} else if (!strcmp(k, "port")) {
			e.port = (uint16_t)num(v);
			e.set |= NL_FDB_PORT;
		} else if (!strcmp(k, "vni")) {
			e.vni = (uint32_t)num(v);
			e.set |= NL_FDB_VNI;
		} else if (!strcmp(k, "via")) {
			e.via = (uint32_t)dev_index(v);
			e.set |= NL_FDB_VIA;
		} else if (!strcmp(k, "proto")) {
			e.protocol = (uint8_t)num(v);
			e.set |= NL_FDB_PROTOCOL;
		} else if (!strcmp(k, "state")) {
			e.state = (uint16_t)num(v);
		} else if (!strcmp(k, "flags")) {
			e.flags = (uint8_t)num(v);
		} else {
			usage_exit("unknown fdb key");
		}
	}
	if (!mac)
		usage_exit("fdb needs mac=");
	int rc = nl_fdb(nl, op, &e);
	if (rc < 0)
		return fail(rc);
	printf("{\"ok\":true}\n");
	return 0;
}

static int neigh_one(const struct nl_neigh *n, void *arg)
{
	bool *first = arg;
	printf("%s{", *first ? "" : ",");
	print_neigh_body(n);
	printf("}");
	*first = false;
	return 0;
}

static int cmd_neigh(int argc, char **argv)
{
	if (argc < 2)
		usage_exit("neigh OP DEV ...");
	if (!strcmp(argv[0], "show")) {
		int fam = AF_UNSPEC;
		if (argc > 2)
			fam = !strcmp(argv[2], "4") ? AF_INET : !strcmp(argv[2], "6") ? AF_INET6 : -1;
		bool first = true;
		int ifindex = dev_index(argv[1]);
		printf("[");
		int rc = nl_neigh_dump(nl, fam, ifindex, neigh_one, &first);
		printf("]\n");
		return rc < 0 ? fail(rc) : 0;
	}
	enum nl_op op = parse_op(argv[0]);
	struct nl_neigh n = {.ifindex = dev_index(argv[1])};
	for (int i = 2; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq)
			usage_exit("expected KEY=VALUE");
		*eq = 0;
		const char *k = argv[i], *v = eq + 1;
		if (!strcmp(k, "ip")) {
			parse_ip(v, &n.ip);
		} else if (!strcmp(k, "mac")) {
			parse_mac(v, n.mac);
			n.set |= NL_NEIGH_LLADDR;
		} else if (!strcmp(k, "proto")) {
			n.protocol = (uint8_t)num(v);
			n.set |= NL_NEIGH_PROTOCOL;
		} else {
			usage_exit("unknown neigh key");
		}
	}
	int rc = nl_neigh(nl, op, &n);
	if (rc < 0)
		return fail(rc);
	printf("{\"ok\":true}\n");
	return 0;
}

static const char *ev_name(enum nl_event_type t)
{
	switch (t) {
	case NL_EV_LINK_NEW:
		return "link_new";
	case NL_EV_LINK_DEL:
		return "link_del";
	case NL_EV_FDB_NEW:
		return "fdb_new";
	case NL_EV_FDB_DEL:
		return "fdb_del";
	case NL_EV_NEIGH_NEW:
		return "neigh_new";
	case NL_EV_NEIGH_DEL:
		return "neigh_del";
	case NL_EV_L2MISS:
		return "l2miss";
	case NL_EV_L3MISS:
		return "l3miss";
	}
	return "?";
}

struct mon_state {
	long count, seen;
};

static int on_event(const struct nl_event *ev, void *arg)
{
	struct mon_state *st = arg;
	printf("{\"event\":\"%s\",", ev_name(ev->type));
	switch (ev->type) {
	case NL_EV_LINK_NEW:
	case NL_EV_LINK_DEL:
		print_link_body(&ev->link);
		break;
	case NL_EV_FDB_NEW:
	case NL_EV_FDB_DEL:
		print_fdb_body(&ev->fdb);
		break;
	case NL_EV_NEIGH_NEW:
	case NL_EV_NEIGH_DEL:
		print_neigh_body(&ev->neigh);
		break;
	case NL_EV_L2MISS:
		printf("\"ifindex\":%d", ev->miss.ifindex);
		print_mac("mac", ev->miss.mac);
		break;
	case NL_EV_L3MISS:
		printf("\"ifindex\":%d", ev->miss.ifindex);
		print_addr("ip", &ev->miss.ip);
		break;
	}
	printf("}\n");
	fflush(stdout);
	st->seen++;
	return 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_monitor(int argc, char **argv)
{
	long count = 0, rcvbuf = 0;
	double timeout = 10, delay = 0;
	const char *ready = NULL;
	for (int i = 0; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq)
			usage_exit("expected KEY=VALUE");
		*eq = 0;
		if (!strcmp(argv[i], "count"))
			count = num(eq + 1);
		else if (!strcmp(argv[i], "timeout"))
			timeout = atof(eq + 1);
		else if (!strcmp(argv[i], "rcvbuf"))
			rcvbuf = num(eq + 1);
		else if (!strcmp(argv[i], "delay"))
			delay = atof(eq + 1);
		else if (!strcmp(argv[i], "ready"))
			ready = eq + 1;
		else
			usage_exit("unknown monitor key");
	}
	struct nl_mon *m;
	int rc = nl_mon_open(&m, netns_fd, (int)rcvbuf);
	if (rc < 0)
		return fail(rc);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	/* Tell the script the socket is subscribed: changes made from now on are seen. */
	if (ready) {
		FILE *f = fopen(ready, "w");
		if (f)
			fclose(f);
	}
	double t0 = now_s();
	/* delay: do not read for a while, so that a burst overruns a small buffer. */
	while (delay > 0 && !stop && now_s() - t0 < delay)
		usleep(10000);
	struct mon_state st = {count, 0};
	while (!stop && now_s() - t0 < timeout && (count == 0 || st.seen < count)) {
		struct pollfd p = {.fd = nl_mon_fd(m), .events = POLLIN};
		int left = (int)((timeout - (now_s() - t0)) * 1000);
		if (poll(&p, 1, left > 0 ? left : 0) < 0 && errno != EINTR)
			break;
		rc = nl_mon_read(m, on_event, &st);
		if (rc == -ENOBUFS) {
			printf("{\"event\":\"overrun\"}\n");
			fflush(stdout);
		} else if (rc < 0) {
			nl_mon_close(m);
			return fail(rc);
		}
	}
	nl_mon_close(m);
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;
	if (argc > 2 && !strcmp(argv[1], "-N")) {
		netns_fd = open_ns(argv[2]);
		i = 3;
	}
	if (i >= argc)
		usage_exit("no command");
	const char *cmd = argv[i++];
	if (strcmp(cmd, "monitor")) {
		int rc = nl_open(&nl, netns_fd);
		if (rc < 0)
			return fail(rc);
	}
	int rc;
	if (!strcmp(cmd, "create"))
		rc = cmd_create(argc - i, argv + i);
	else if (!strcmp(cmd, "change"))
		rc = cmd_change(argc - i, argv + i);
	else if (!strcmp(cmd, "diff"))
		rc = cmd_diff(argc - i, argv + i);
	else if (!strcmp(cmd, "livemask")) {
		printf("{\"live\":");
		print_names(NL_VX_LIVE_MASK);
		printf("}\n");
		rc = 0;
	} else if (!strcmp(cmd, "del"))
		rc = cmd_del(argc - i, argv + i);
	else if (!strcmp(cmd, "get"))
		rc = cmd_get(argc - i, argv + i);
	else if (!strcmp(cmd, "dump"))
		rc = cmd_dump();
	else if (!strcmp(cmd, "set"))
		rc = cmd_set(argc - i, argv + i);
	else if (!strcmp(cmd, "fdb"))
		rc = cmd_fdb(argc - i, argv + i);
	else if (!strcmp(cmd, "neigh"))
		rc = cmd_neigh(argc - i, argv + i);
	else if (!strcmp(cmd, "monitor"))
		rc = cmd_monitor(argc - i, argv + i);
	else
		usage_exit("unknown command");
	nl_close(nl);
	return rc;
}
