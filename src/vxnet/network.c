/* network: the command line of the cluster's objects, pure like parse.c
 * (pinned by tests/unit/test_cli_network.c), and their requests:
 *
 *   network create NAME id VNI subnet CIDR [mtu N] [dstport PORT] [datapath user|kernel]
 *   network del NAME
 *   network show [NAME]
 *   attach NETNS network NAME [ip ADDR/PLEN] [mac LLADDR] [ifname IF]
 *   detach NETNS network NAME
 *
 * Names and subnets are checked here with the rules of the store's data
 * model (lib/cluster.c), so a bad one is refused before anything is sent. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vxnet/cluster.h"

struct cctx {
	char *err;
	size_t errlen;
	const char *what; /* "network create", "attach" */
	int argc;
	char **argv;
	int i;
};

__attribute__((format(printf, 2, 3))) static int cerr(struct cctx *c, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (!c->err || !c->errlen)
		return -EINVAL;
	n = snprintf(c->err, c->errlen, "%s: ", c->what);
	if (n < 0 || (size_t)n >= c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int num(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

static int name(struct cctx *c, const char *s, char *out)
{
	const char *why = NULL;
	if (cluster_name_check(s, &why) < 0)
		return cerr(c, "invalid network name \"%s\": %s", s, why);
	snprintf(out, CTL_NAME_LEN, "%s", s);
	return 0;
}

/* The next word, which must exist. */
static const char *next(struct cctx *c, const char *kw)
{
	if (c->i >= c->argc) {
		cerr(c, "\"%s\" needs a value", kw);
		return NULL;
	}
	return c->argv[c->i++];
}

/* Keywords may come at most once. */
static int once(struct cctx *c, unsigned *seen, unsigned bit, const char *kw)
{
	if (*seen & bit)
		return cerr(c, "\"%s\" given twice", kw);
	*seen |= bit;
	return 0;
}

static int parse_create(struct cctx *c, struct cli_cluster *cl)
{
	unsigned seen = 0;
	unsigned long v;
	const char *w, *val, *why = NULL;
	if (c->i >= c->argc)
		return cerr(c, "NAME is required");
	if (name(c, c->argv[c->i++], cl->network))
		return -EINVAL;
	while (c->i < c->argc) {
		w = c->argv[c->i++];
		if (!strcmp(w, "id")) {
			if (once(c, &seen, 1, w) || !(val = next(c, w)))
				return -EINVAL;
			if (num(val, CLUSTER_VNI_MIN, CLUSTER_VNI_MAX, &v))
				return cerr(c, "id must be 1-16777215");
			cl->vni = (uint32_t)v;
		} else if (!strcmp(w, "subnet")) {
			struct cluster_subnet sub;
			if (once(c, &seen, 2, w) || !(val = next(c, w)))
				return -EINVAL;
			if (cluster_subnet_parse(val, &sub, &why) < 0)
				return cerr(c, "invalid subnet \"%s\": %s", val, why);
			snprintf(cl->subnet, sizeof(cl->subnet), "%s", val);
		} else if (!strcmp(w, "mtu")) {
			if (once(c, &seen, 4, w) || !(val = next(c, w)))
				return -EINVAL;
			if (num(val, CLUSTER_MTU_MIN, 65535, &v))
				return cerr(c, "mtu must be 68-65535");
			cl->mtu = (uint32_t)v;
			cl->set |= CLI_CL_MTU;
		} else if (!strcmp(w, "dstport")) {
			if (once(c, &seen, 8, w) || !(val = next(c, w)))
				return -EINVAL;
			if (num(val, 1, 65535, &v))
				return cerr(c, "dstport must be 1-65535");
			cl->dstport = (uint16_t)v;
			cl->set |= CLI_CL_DSTPORT;
		} else if (!strcmp(w, "datapath")) {
			enum link_datapath d;
			if (once(c, &seen, 16, w) || !(val = next(c, w)))
				return -EINVAL;
			if (link_datapath_parse(val, &d) < 0)
				return cerr(c, "datapath must be user or kernel");
			cl->datapath = (uint8_t)d;
			cl->set |= CLI_CL_DATAPATH;
		} else {
			return cerr(c, "unknown keyword \"%s\"", w);
		}
	}
	if (!(seen & 1))
		return cerr(c, "id is required");
	if (!(seen & 2))
		return cerr(c, "subnet is required");
	return 0;
}

static int parse_ns(struct cctx *c, struct cli_cluster *cl)
{
	if (c->i >= c->argc)
		return cerr(c, "NETNS is required (a name under /run/netns or a path)");
	const char *ns = c->argv[c->i++];
	if (!*ns || strlen(ns) >= sizeof(cl->nspath))
		return cerr(c, "NETNS must be 1-%zu characters", sizeof(cl->nspath) - 1);
	if (!strchr(ns, '/') && (!strcmp(ns, ".") || !strcmp(ns, "..")))
		return cerr(c, "invalid NETNS \"%s\"", ns);
	snprintf(cl->nspath, sizeof(cl->nspath), "%s", ns);
	if (c->i >= c->argc || strcmp(c->argv[c->i], "network"))
		return cerr(c, "\"network NAME\" is required after NETNS");
	c->i++;
	if (c->i >= c->argc)
		return cerr(c, "\"network\" needs a value");
	return name(c, c->argv[c->i++], cl->network);
}

static int parse_attach(struct cctx *c, struct cli_cluster *cl, bool detach)
{
	unsigned seen = 0;
	const char *w, *val;
	if (parse_ns(c, cl))
		return -EINVAL;
	while (c->i < c->argc) {
		w = c->argv[c->i++];
		if (detach)
			return cerr(c, "unknown keyword \"%s\"", w);
		if (!strcmp(w, "ip")) {
			char a[ADDR_STRLEN + 8], *slash;
			unsigned long plen;
			if (once(c, &seen, 1, w) || !(val = next(c, w)))
				return -EINVAL;
			snprintf(a, sizeof(a), "%s", val);
			slash = strchr(a, '/');
			if (!slash)
				return cerr(c, "ip must be ADDR/PLEN");
			*slash = 0;
			if (addr_parse(a, &cl->ip) < 0)
				return cerr(c, "invalid address \"%s\"", a);
			if (num(slash + 1, 1, cl->ip.family == AF_INET ? 32 : 128, &plen))
				return cerr(c, "invalid prefix length \"%s\"", slash + 1);
			cl->plen = (uint8_t)plen;
			cl->set |= CLI_CL_IP;
		} else if (!strcmp(w, "mac")) {
			if (once(c, &seen, 2, w) || !(val = next(c, w)))
				return -EINVAL;
			if (mac_parse(val, cl->mac) < 0)
				return cerr(c, "invalid MAC address \"%s\"", val);
			if (mac_is_zero(cl->mac) || mac_is_multicast(cl->mac))
				return cerr(c, "mac must be a unicast address");
			cl->set |= CLI_CL_MAC;
		} else if (!strcmp(w, "ifname")) {
			if (once(c, &seen, 4, w) || !(val = next(c, w)))
				return -EINVAL;
			if (!*val || strlen(val) >= IFNAMSIZ || strchr(val, '/') || strchr(val, ' ') ||
			    !strcmp(val, ".") || !strcmp(val, ".."))
				return cerr(c, "invalid ifname \"%s\"", val);
			snprintf(cl->ifname, sizeof(cl->ifname), "%s", val);
			cl->set |= CLI_CL_IFNAME;
		} else {
			return cerr(c, "unknown keyword \"%s\"", w);
		}
	}
	return 0;
}

int cli_parse_cluster(int argc, char **argv, int i, const char *obj, struct cli_cmd *cmd, char *err, size_t errlen)
{
	char what[32];
	struct cctx c = {.err = err, .errlen = errlen, .what = what, .argc = argc, .argv = argv, .i = i};
	snprintf(what, sizeof(what), "%s", obj);
	if (!strcmp(obj, "attach") || !strcmp(obj, "detach")) {
		bool detach = obj[0] == 'd';
		cmd->obj = detach ? CLI_OBJ_DETACH : CLI_OBJ_ATTACH;
		cmd->verb = CLI_VERB_NONE;
		cmd->msg_type = detach ? CTL_MSG_DETACH : CTL_MSG_ATTACH;
		return parse_attach(&c, &cmd->cl, detach);
	}
	cmd->obj = CLI_OBJ_NETWORK;
	/* `vxnet network` alone is `network show`. */
	const char *verb = c.i < argc ? argv[c.i++] : "show";
	snprintf(what, sizeof(what), "network %s", verb);
	if (!strcmp(verb, "create")) {
		cmd->verb = CLI_VERB_CREATE;
		cmd->msg_type = CTL_MSG_NETWORK_CREATE;
		return parse_create(&c, &cmd->cl);
	}
	if (!strcmp(verb, "del") || !strcmp(verb, "show")) {
		bool show = verb[0] == 's';
		cmd->verb = show ? CLI_VERB_SHOW : CLI_VERB_DEL;
		cmd->msg_type = show ? CTL_MSG_NETWORK_SHOW : CTL_MSG_NETWORK_DEL;
		if (c.i >= argc)
			return show ? 0 : cerr(&c, "NAME is required");
		if (name(&c, argv[c.i++], cmd->cl.network))
			return -EINVAL;
		if (c.i < argc)
			return cerr(&c, "unknown keyword \"%s\"", argv[c.i]);
		return 0;
	}
	snprintf(what, sizeof(what), "network");
	return cerr(&c, "unknown command \"%s\"", verb);
}

bool cli_is_cluster(const struct cli_cmd *cmd)
{
	return cmd->obj == CLI_OBJ_NETWORK || cmd->obj == CLI_OBJ_ATTACH || cmd->obj == CLI_OBJ_DETACH;
}

int cli_cluster_put(const struct cli_cmd *cmd, struct ctl_msg *m)
{
	const struct cli_cluster *cl = &cmd->cl;
	int err = 0;
	if (cl->network[0])
		err = ctl_put_str(m, CTL_A_NETWORK, cl->network);
	switch (cmd->msg_type) {
	case CTL_MSG_NETWORK_CREATE:
		if (!err)
			err = ctl_put_u32(m, CTL_A_VNI, cl->vni);
		if (!err)
			err = ctl_put_str(m, CTL_A_SUBNET, cl->subnet);
		if (!err && (cl->set & CLI_CL_MTU))
			err = ctl_put_u32(m, CTL_A_MTU, cl->mtu);
		if (!err && (cl->set & CLI_CL_DSTPORT))
			err = ctl_put_u16(m, CTL_A_DSTPORT, cl->dstport);
		if (!err && (cl->set & CLI_CL_DATAPATH))
			err = ctl_put_u8(m, CTL_A_DATAPATH, cl->datapath);
		break;
	case CTL_MSG_ATTACH:
	case CTL_MSG_DETACH:
		if (!err)
			err = ctl_put_str(m, CTL_A_NSPATH, cl->nspath);
		if (!err && (cl->set & CLI_CL_IP))
			err = ctl_put_addr(m, CTL_A_DST, &cl->ip);
		if (!err && (cl->set & CLI_CL_IP))
			err = ctl_put_u8(m, CTL_A_PREFIXLEN, cl->plen);
		if (!err && (cl->set & CLI_CL_MAC))
			err = ctl_put_mac(m, CTL_A_LLADDR, cl->mac);
		if (!err && (cl->set & CLI_CL_IFNAME))
			err = ctl_put_str(m, CTL_A_IFNAME, cl->ifname);
		break;
	default:
		break;
	}
	return err;
}
