/* parse: the `vxnet` command line -> struct cli_cmd. A pure function (no
 * I/O, no exit, no environment) so that every accepted and refused command
 * is pinned by tests/unit/test_cli_parse.c. The grammar is iproute2's, but
 * stricter: full keywords only, each at most once, numbers checked whole. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "cli.h"
#include "vxnet/proto.h"

/* Where we are, for error messages: "link add" etc. */
struct pctx {
	char *err;
	size_t errlen;
	const char *obj;
	const char *verb;
	int argc;
	char **argv;
	int i; /* next word */
};

__attribute__((format(printf, 2, 3))) static int perr(struct pctx *c, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (!c->err || c->errlen == 0)
		return -EINVAL;
	if (c->obj && c->verb)
		n = snprintf(c->err, c->errlen, "%s %s: ", c->obj, c->verb);
	else if (c->obj)
		n = snprintf(c->err, c->errlen, "%s: ", c->obj);
	if (n < 0 || (size_t)n >= c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Decimal digits only (strtoul alone would take "-1", " 7" and "+7"), no
 * overflow, within [min, max]. */
static int parse_num(const char *s, unsigned long long min, unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	int err = parse_num(s, min, max, &v);

	if (!err)
		*out = (uint32_t)v;
	return err;
}

/* TOS is hexadecimal, with or without 0x, as iproute2 reads it (`tos 28`
 * and `tos 0x28` are both DSCP 10). */
static int parse_tos(const char *s, uint32_t *out)
{
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	size_t n = strlen(s);
	if (n < 1 || n > 2 || strspn(s, "0123456789abcdefABCDEF") != n)
		return -EINVAL;
	*out = (uint32_t)strtoul(s, NULL, 16);
	return 0;
}

static int parse_port(struct pctx *c, const char *kw, const char *s, uint16_t *out)
{
	uint32_t v;

	if (parse_u32(s, 1, 65535, &v))
		return perr(c, "%s must be 1-65535", kw);
	*out = (uint16_t)v;
	return 0;
}

static int parse_vni(struct pctx *c, const char *s, uint32_t *out)
{
	int err = parse_u32(s, 0, VXLAN_VNI_MAX, out);

	if (err == -ERANGE)
		return perr(c, "VNI must be below 16777216");
	if (err)
		return perr(c, "invalid VNI \"%s\"", s);
	return 0;
}

static int parse_ifname(struct pctx *c, const char *kw, const char *s, char buf[IFNAMSIZ])
{
	size_t n = strlen(s);

	if (n == 0 || n >= IFNAMSIZ)
		return perr(c, "%s must be 1-15 characters", kw);
	memcpy(buf, s, n + 1);
	return 0;
}

static int parse_ip(struct pctx *c, const char *s, struct vx_addr *a)
{
	if (addr_parse(s, a))
		return perr(c, "invalid address \"%s\"", s);
	return 0;
}

static int parse_mac(struct pctx *c, const char *s, uint8_t mac[MAC_LEN])
{
	if (mac_parse(s, mac))
		return perr(c, "invalid MAC address \"%s\"", s);
	return 0;
}

/* Keywords of one command. Keywords sharing a slot exclude each other
 * (learning/nolearning); nargs values follow the keyword. */
struct kw {
	const char *name;
	unsigned slot;
	unsigned nargs;
};

#define KW_SLOTS 32

struct kwstate {
	const char *seen[KW_SLOTS];
};

/* Take the next keyword and its values; *k is the table entry, vals[] its values. */
static int next_kw(struct pctx *c, const struct kw *tab, size_t n, struct kwstate *st, const struct kw **k,
		   const char **vals)
{
	const char *w = c->argv[c->i++];

	*k = NULL;
	for (size_t j = 0; j < n; j++) {
		if (strcmp(tab[j].name, w) == 0) {
			*k = &tab[j];
			break;
		}
	}
	if (!*k)
		return perr(c, "unknown keyword \"%s\"", w);
	if (st->seen[(*k)->slot]) {
		if (strcmp(st->seen[(*k)->slot], w) == 0)
			return perr(c, "\"%s\" given twice", w);
		return perr(c, "\"%s\" and \"%s\" are mutually exclusive", st->seen[(*k)->slot], w);
	}
	st->seen[(*k)->slot] = w;
	if ((*k)->nargs > (unsigned)(c->argc - c->i)) {
		if ((*k)->nargs == 2)
			return perr(c, "\"%s\" needs two values", w);
		return perr(c, "\"%s\" needs a value", w);
	}
	for (unsigned j = 0; j < (*k)->nargs; j++)
		vals[j] = c->argv[c->i++];
	return 0;
}

enum {
	LK_ID,
	LK_DSTPORT,
	LK_LOCAL,
	LK_REMOTE,
	LK_GROUP,
	LK_DEV,
	LK_LEARNING,
	LK_PROXY,
	LK_AGEING,
	LK_MAXADDR,
	LK_TTL,
	LK_TOS,
	LK_SRCPORT,
	LK_MTU,
	LK_ADDRESS,
	LK_NETNS,
	LK_TYPE,
	LK_DATAPATH,
	LK_DF,
	LK_LOCALBYPASS,
};

static const struct kw link_add_kws[] = {
    {"id", LK_ID, 1},
    {"dstport", LK_DSTPORT, 1},
    {"local", LK_LOCAL, 1},
    {"remote", LK_REMOTE, 1},
    {"group", LK_GROUP, 1},
    {"dev", LK_DEV, 1},
    {"learning", LK_LEARNING, 0},
    {"nolearning", LK_LEARNING, 0},
    {"proxy", LK_PROXY, 0},
    {"noproxy", LK_PROXY, 0},
    {"ageing", LK_AGEING, 1},
    {"maxaddress", LK_MAXADDR, 1},
    {"ttl", LK_TTL, 1},
    {"tos", LK_TOS, 1},
    {"srcport", LK_SRCPORT, 2},
    {"mtu", LK_MTU, 1},
    {"address", LK_ADDRESS, 1},
    {"netns", LK_NETNS, 1},
    {"type", LK_TYPE, 1},
    {"datapath", LK_DATAPATH, 1},
    {"df", LK_DF, 1},
    {"localbypass", LK_LOCALBYPASS, 0},
    {"nolocalbypass", LK_LOCALBYPASS, 0},
};

/* link add NAME ... (set == false) or link set NAME ... (set == true). */
static int parse_link(struct pctx *c, struct cli_cmd *cmd, bool set)
{
	struct link_config *l = &cmd->link;
	struct kwstate st = {{0}};
	const struct kw *k;
	const char *v[2];
	const char *why;
	uint32_t n;
	int err;

	link_config_init(l);
	if (c->i >= c->argc)
		return perr(c, "NAME is required");
	if (strlen(c->argv[c->i]) == 0 || strlen(c->argv[c->i]) >= IFNAMSIZ)
		return perr(c, "name must be 1-15 characters");
	strcpy(l->name, c->argv[c->i++]);
	while (c->i < c->argc) {
		err = next_kw(c, link_add_kws, sizeof(link_add_kws) / sizeof(link_add_kws[0]), &st, &k, v);
		if (err)
			return err;
		switch (k->slot) {
		case LK_ID:
			err = parse_vni(c, v[0], &l->vni);
			break;
		case LK_DSTPORT:
			err = parse_port(c, "dstport", v[0], &l->dstport);
			l->set |= LINK_P_DSTPORT;
			break;
		case LK_LOCAL:
			err = parse_ip(c, v[0], &l->local);
			l->set |= LINK_P_LOCAL;
			break;
		case LK_REMOTE:
			err = parse_ip(c, v[0], &l->remote);
			l->set |= LINK_P_REMOTE;
			break;
		case LK_GROUP:
			err = parse_ip(c, v[0], &l->group);
			l->set |= LINK_P_GROUP;
			break;
		case LK_DEV:
			err = parse_ifname(c, "dev", v[0], l->dev);
			l->set |= LINK_P_DEV;
			break;
		case LK_LEARNING:
			l->learning = strcmp(k->name, "learning") == 0;
			l->set |= LINK_P_LEARNING;
			break;
		case LK_PROXY:
			l->proxy = strcmp(k->name, "proxy") == 0;
			l->set |= LINK_P_PROXY;
			break;
		case LK_AGEING:
			if (parse_u32(v[0], 0, UINT32_MAX, &l->ageing))
				err = perr(c, "ageing must be 0-4294967295");
			l->set |= LINK_P_AGEING;
			break;
		case LK_MAXADDR:
			if (parse_u32(v[0], 0, UINT32_MAX, &l->maxaddress))
				err = perr(c, "maxaddress must be 0-4294967295");
			l->set |= LINK_P_MAXADDR;
			break;
		case LK_TTL:
			n = 0;
			if (strcmp(v[0], "auto") == 0)
				n = 0;
			else if (parse_u32(v[0], 0, 255, &n))
				err = perr(c, "ttl must be 0-255 or auto");
			l->ttl = (uint8_t)n;
			l->set |= LINK_P_TTL;
			break;
		case LK_TOS:
			n = 0;
			if (strcmp(v[0], "inherit") == 0)
				l->tos_inherit = true;
			else if (parse_tos(v[0], &n))
				err = perr(c, "tos must be hexadecimal 0x00-0xff (as in ip-link) or inherit");
			l->tos = (uint8_t)n;
			l->set |= LINK_P_TOS;
			break;
		case LK_SRCPORT:
			err = parse_port(c, "srcport", v[0], &l->srcport_min);
			if (!err)
				err = parse_port(c, "srcport", v[1], &l->srcport_max);
			l->set |= LINK_P_SRCPORT;
			break;
		case LK_MTU:
			if (parse_u32(v[0], 68, 65535, &l->mtu))
				err = perr(c, "mtu must be between 68 and 65535");
			l->set |= LINK_P_MTU;
			break;
		case LK_ADDRESS:
			err = parse_mac(c, v[0], l->address);
			l->set |= LINK_P_ADDRESS;
			break;
		case LK_NETNS:
			if (strlen(v[0]) >= sizeof(l->netns))
				err = perr(c, "netns name too long");
			else
				strcpy(l->netns, v[0]);
			l->set |= LINK_P_NETNS;
			break;
		case LK_DF:
			if (!strcmp(v[0], "set"))
				l->df = LINK_DF_SET;
			else if (!strcmp(v[0], "unset"))
				l->df = LINK_DF_UNSET;
			else if (!strcmp(v[0], "inherit"))
				l->df = LINK_DF_INHERIT;
			else
				err = perr(c, "df must be set, unset or inherit");
			l->set |= LINK_P_DF;
			break;
		case LK_LOCALBYPASS:
			l->localbypass = strcmp(k->name, "localbypass") == 0;
			l->set |= LINK_P_LOCALBYPASS;
			break;
		case LK_DATAPATH: {
			enum link_datapath d = LINK_DP_DEFAULT;
			if (link_datapath_parse(v[0], &d))
				err = perr(c, "datapath must be user or kernel");
			l->datapath = (uint8_t)d;
			l->set |= LINK_P_DATAPATH;
			break;
		}
		case LK_TYPE:
			/* iproute2 compatibility: `ip link add NAME type vxlan ...` */
			if (strcmp(v[0], "vxlan") != 0)
				err = perr(c, "only \"type vxlan\" is supported");
			break;
		}
		if (err)
			return err;
	}
	if (set) {
		/* id names the link's VNI for add only; anything that cannot
		 * change live is refused here as the daemon would. */
		if (st.seen[LK_ID])
			return perr(c, "id cannot change on a live link (the kernel refuses it too)");
		if (st.seen[LK_TYPE])
			return perr(c, "type cannot change");
		if (link_config_check_change(l->set, &why))
			return perr(c, "%s", why);
		return 0;
	}
	if (!st.seen[LK_ID])
		return perr(c, "id is required");
	if (link_config_check(l, &why))
		return perr(c, "%s", why);
	return 0;
}

/* NAME or `dev NAME`, optional or required, and nothing else. */
static int parse_name_only(struct pctx *c, struct cli_cmd *cmd, bool required, bool bare_ok)
{
	if (c->i < c->argc && strcmp(c->argv[c->i], "dev") == 0) {
		c->i++;
		if (c->i >= c->argc)
			return perr(c, "\"dev\" needs a value");
	} else if (c->i < c->argc && !bare_ok) {
		return perr(c, "unknown keyword \"%s\"", c->argv[c->i]);
	}
	if (c->i >= c->argc) {
		if (required)
			return perr(c, "NAME is required");
		return 0;
	}
	if (parse_ifname(c, bare_ok ? "name" : "dev", c->argv[c->i++], cmd->ifname))
		return -EINVAL;
	cmd->has_ifname = true;
	if (c->i < c->argc)
		return perr(c, "unknown keyword \"%s\"", c->argv[c->i]);
	return 0;
}

enum { FK_DEV, FK_DST, FK_VNI, FK_PORT, FK_SELF, FK_PERMANENT };

static const struct kw fdb_kws[] = {
    {"dev", FK_DEV, 1},	  {"dst", FK_DST, 1},	{"vni", FK_VNI, 1},
    {"port", FK_PORT, 1}, {"self", FK_SELF, 0}, {"permanent", FK_PERMANENT, 0},
};

static int parse_fdb_change(struct pctx *c, struct cli_cmd *cmd)
{
	struct fdb_req *r = &cmd->fdb;
	struct kwstate st = {{0}};
	const struct kw *k;
	const char *v[2], *why = NULL;
	int err;

	if (c->i >= c->argc)
		return perr(c, "LLADDR is required");
	if (parse_mac(c, c->argv[c->i++], r->mac))
		return -EINVAL;
	while (c->i < c->argc) {
		err = next_kw(c, fdb_kws, sizeof(fdb_kws) / sizeof(fdb_kws[0]), &st, &k, v);
		if (err)
			return err;
		switch (k->slot) {
		case FK_DEV:
			err = parse_ifname(c, "dev", v[0], r->dev);
			break;
		case FK_DST:
			err = parse_ip(c, v[0], &r->dst);
			r->set |= FDB_P_DST;
			break;
		case FK_VNI:
			err = parse_vni(c, v[0], &r->vni);
			r->set |= FDB_P_VNI;
			break;
		case FK_PORT:
			err = parse_port(c, "port", v[0], &r->port);
			r->set |= FDB_P_PORT;
			break;
		default:
			/* self: vxnet entries are always the device's own;
			 * permanent: so is every entry a user adds. */
			break;
		}
		if (err)
			return err;
	}
	if (!st.seen[FK_DEV])
		return perr(c, "dev is required");
	if (cmd->verb != CLI_VERB_DEL && !(r->set & FDB_P_DST))
		return perr(c, "dst is required");
	/* On del, dst only selects a remote: whatever is there may go. */
	if (cmd->verb != CLI_VERB_DEL && addr_check(&r->dst, addr_use_fdb(r->mac), &why) < 0)
		return perr(c, "%s", why);
	return 0;
}

enum { NK_LLADDR, NK_DEV, NK_NUD };

static const struct kw neigh_kws[] = {
    {"lladdr", NK_LLADDR, 1},
    {"dev", NK_DEV, 1},
    {"nud", NK_NUD, 1},
};

static int parse_neigh_change(struct pctx *c, struct cli_cmd *cmd)
{
	struct neigh_req *r = &cmd->neigh;
	struct kwstate st = {{0}};
	const struct kw *k;
	const char *v[2], *why = NULL;
	int err;

	if (c->i >= c->argc)
		return perr(c, "ADDR is required");
	if (parse_ip(c, c->argv[c->i++], &r->ip))
		return -EINVAL;
	while (c->i < c->argc) {
		err = next_kw(c, neigh_kws, sizeof(neigh_kws) / sizeof(neigh_kws[0]), &st, &k, v);
		if (err)
			return err;
		switch (k->slot) {
		case NK_LLADDR:
			err = parse_mac(c, v[0], r->mac);
			r->has_mac = true;
			break;
		case NK_DEV:
			err = parse_ifname(c, "dev", v[0], r->dev);
			break;
		case NK_NUD:
			/* The only state a user-made entry has. */
			if (strcmp(v[0], "permanent") != 0)
				err = perr(c, "only \"nud permanent\" is supported");
			break;
		}
		if (err)
			return err;
	}
	if (!st.seen[NK_DEV])
		return perr(c, "dev is required");
	if (cmd->verb != CLI_VERB_DEL && !r->has_mac)
		return perr(c, "lladdr is required");
	if (cmd->verb != CLI_VERB_DEL &&
	    (addr_check(&r->ip, ADDR_USE_NEIGH, &why) < 0 || mac_check_neigh_lladdr(r->mac, &why) < 0))
		return perr(c, "%s", why);
	return 0;
}

const char *cli_object_name(enum cli_object o)
{
	switch (o) {
	case CLI_OBJ_LINK:
		return "link";
	case CLI_OBJ_FDB:
		return "fdb";
	case CLI_OBJ_NEIGH:
		return "neigh";
	case CLI_OBJ_MONITOR:
		return "monitor";
	case CLI_OBJ_NETWORK:
		return "network";
	case CLI_OBJ_ATTACH:
		return "attach";
	case CLI_OBJ_DETACH:
		return "detach";
	case CLI_OBJ_NONE:
		break;
	}
	return NULL;
}

const char *cli_verb_name(enum cli_verb v)
{
	switch (v) {
	case CLI_VERB_ADD:
		return "add";
	case CLI_VERB_APPEND:
		return "append";
	case CLI_VERB_REPLACE:
		return "replace";
	case CLI_VERB_DEL:
		return "del";
	case CLI_VERB_SHOW:
		return "show";
	case CLI_VERB_SET:
		return "set";
	case CLI_VERB_CREATE:
		return "create";
	case CLI_VERB_NONE:
		break;
	}
	return NULL;
}

static int parse_verb(struct pctx *c, struct cli_cmd *cmd)
{
	static const struct {
		enum cli_object obj;
		enum cli_verb verb;
		uint16_t msg;
	} map[] = {
	    {CLI_OBJ_LINK, CLI_VERB_ADD, CTL_MSG_LINK_ADD},
	    {CLI_OBJ_LINK, CLI_VERB_DEL, CTL_MSG_LINK_DEL},
	    {CLI_OBJ_LINK, CLI_VERB_SHOW, CTL_MSG_LINK_SHOW},
	    {CLI_OBJ_LINK, CLI_VERB_SET, CTL_MSG_LINK_SET},
	    {CLI_OBJ_FDB, CLI_VERB_ADD, CTL_MSG_FDB_ADD},
	    {CLI_OBJ_FDB, CLI_VERB_APPEND, CTL_MSG_FDB_APPEND},
	    {CLI_OBJ_FDB, CLI_VERB_REPLACE, CTL_MSG_FDB_REPLACE},
	    {CLI_OBJ_FDB, CLI_VERB_DEL, CTL_MSG_FDB_DEL},
	    {CLI_OBJ_FDB, CLI_VERB_SHOW, CTL_MSG_FDB_SHOW},
	    {CLI_OBJ_NEIGH, CLI_VERB_ADD, CTL_MSG_NEIGH_ADD},
	    {CLI_OBJ_NEIGH, CLI_VERB_REPLACE, CTL_MSG_NEIGH_REPLACE},
	    {CLI_OBJ_NEIGH, CLI_VERB_DEL, CTL_MSG_NEIGH_DEL},
	    {CLI_OBJ_NEIGH, CLI_VERB_SHOW, CTL_MSG_NEIGH_SHOW},
	};
	/* `vxnet link` alone is `link show`, as with ip and bridge. */
	const char *w = c->i < c->argc ? c->argv[c->i++] : "show";

	for (size_t j = 0; j < sizeof(map) / sizeof(map[0]); j++) {
		if (map[j].obj == cmd->obj && strcmp(cli_verb_name(map[j].verb), w) == 0) {
			cmd->verb = map[j].verb;
			cmd->msg_type = map[j].msg;
			c->verb = w;
			return 0;
		}
	}
	return perr(c, "unknown command \"%s\"", w);
}

int cli_parse(int argc, char **argv, struct cli_cmd *cmd, char *err, size_t errlen)
{
	struct pctx c = {.err = err, .errlen = errlen, .argc = argc, .argv = argv, .i = 1};
	const char *w;

	memset(cmd, 0, sizeof(*cmd));
	if (err && errlen)
		err[0] = '\0';
	for (; c.i < argc && argv[c.i][0] == '-'; c.i++) {
		w = argv[c.i];
		if (strcmp(w, "-j") == 0) {
			cmd->json = true;
		} else if (strcmp(w, "-s") == 0) {
			cmd->stats = true;
		} else if (strcmp(w, "-h") == 0 || strcmp(w, "--help") == 0) {
			cmd->help = true;
			return 0;
		} else if (strcmp(w, "-V") == 0 || strcmp(w, "--version") == 0) {
			cmd->version = true;
			return 0;
		} else if (strcmp(w, "-S") == 0) {
			if (cmd->socket)
				return perr(&c, "option -S given twice");
			if (++c.i >= argc || argv[c.i][0] == '\0')
				return perr(&c, "option -S needs a PATH");
			if (strlen(argv[c.i]) >= sizeof(((struct sockaddr_un *)0)->sun_path))
				return perr(&c, "socket path too long");
			cmd->socket = argv[c.i];
		} else {
			return perr(&c, "unknown option \"%s\"", w);
		}
	}
	if (c.i >= argc)
		return perr(&c, "no command (try \"vxnet -h\")");
	w = argv[c.i++];
	if (strcmp(w, "link") == 0)
		cmd->obj = CLI_OBJ_LINK;
	else if (strcmp(w, "fdb") == 0)
		cmd->obj = CLI_OBJ_FDB;
	else if (strcmp(w, "neigh") == 0)
		cmd->obj = CLI_OBJ_NEIGH;
	else if (strcmp(w, "monitor") == 0)
		cmd->obj = CLI_OBJ_MONITOR;
	else if (strcmp(w, "network") == 0 || strcmp(w, "attach") == 0 || strcmp(w, "detach") == 0)
		return cli_parse_cluster(argc, argv, c.i, w, cmd, err, errlen);
	else
		return perr(&c, "unknown object \"%s\" (try \"vxnet -h\")", w);
	c.obj = w;
	if (cmd->obj == CLI_OBJ_MONITOR) {
		cmd->verb = CLI_VERB_NONE;
		cmd->msg_type = CTL_MSG_MONITOR;
		if (c.i < argc)
			return perr(&c, "unknown keyword \"%s\"", argv[c.i]);
		return 0;
	}
	if (parse_verb(&c, cmd))
		return -EINVAL;
	switch (cmd->verb) {
	case CLI_VERB_SHOW:
		/* link show [NAME]; fdb/neigh show [dev NAME] */
		return parse_name_only(&c, cmd, false, cmd->obj == CLI_OBJ_LINK);
	case CLI_VERB_DEL:
		if (cmd->obj == CLI_OBJ_LINK)
			return parse_name_only(&c, cmd, true, true);
		/* fall through */
	default:
		break;
	}
	if (cmd->obj == CLI_OBJ_LINK)
		return parse_link(&c, cmd, cmd->verb == CLI_VERB_SET);
	if (cmd->obj == CLI_OBJ_FDB)
		return parse_fdb_change(&c, cmd);
	return parse_neigh_change(&c, cmd);
}
