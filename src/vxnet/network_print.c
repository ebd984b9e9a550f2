/* network_print: the replies to `network show`, `attach` and `detach`,
 * gathered into a JSON tree (jansson) as they arrive and printed from it
 * once the daemon said DONE: as JSON with -j, else as text:
 *
 *   network blue vni 4242 subnet 203.0.113.0/24 mtu 1450 dstport 4789 datapath user endpoints 2
 *       host h1 underlay 198.18.0.1
 *       endpoint 203.0.113.2/24 lladdr 02:42:cb:00:71:02 host h1
 *   store etcd://... up host h1 underlay 198.18.0.1 lease 7587... revision 42     (-s)
 *       keys 7 invalid_keys 0 conflicts 0 ...
 *
 * attach prints "IFNAME ADDR/PLEN MAC". */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct cli_cluster_out {
	const struct cli_cmd *cmd;
	json_t *networks; /* array */
	json_t *store;	  /* object or NULL */
	json_t *endpoint; /* attach's answer */
};

struct cli_cluster_out *cli_cluster_out_new(const struct cli_cmd *cmd)
{
	struct cli_cluster_out *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->cmd = cmd;
	o->networks = json_array();
	if (!o->networks) {
		free(o);
		return NULL;
	}
	return o;
}

void cli_cluster_out_free(struct cli_cluster_out *o)
{
	if (!o)
		return;
	json_decref(o->networks);
	json_decref(o->store);
	json_decref(o->endpoint);
	free(o);
}

static json_t *jaddr(const struct vx_addr *a)
{
	char s[ADDR_STRLEN];
	addr_format(a, s, sizeof(s));
	return json_string(s);
}

static json_t *jmac(const uint8_t mac[MAC_LEN])
{
	char s[MAC_STRLEN];
	mac_format(mac, s);
	return json_string(s);
}

static void stat_cb(const char *name, uint64_t v, void *arg)
{
	json_object_set_new(arg, name, json_integer((json_int_t)v));
}

static int on_network(struct cli_cluster_out *o, const struct ctl_parsed *p)
{
	const char *name, *subnet;
	uint32_t vni, mtu, count;
	uint16_t port;
	uint8_t dp;
	if (ctl_get_str(p, CTL_A_NETWORK, &name) || ctl_get_u32(p, CTL_A_VNI, &vni) ||
	    ctl_get_str(p, CTL_A_SUBNET, &subnet) || ctl_get_u32(p, CTL_A_MTU, &mtu) ||
	    ctl_get_u16(p, CTL_A_DSTPORT, &port) || ctl_get_u8(p, CTL_A_DATAPATH, &dp) ||
	    ctl_get_u32(p, CTL_A_COUNT, &count))
		return -EINVAL;
	const char *dpn = link_datapath_name(dp);
	json_t *n = json_pack("{s:s, s:I, s:s, s:I, s:I, s:s, s:I, s:[], s:[]}", "name", name, "vni", (json_int_t)vni,
			      "subnet", subnet, "mtu", (json_int_t)mtu, "dstport", (json_int_t)port, "datapath",
			      dpn ? dpn : "?", "endpoint_keys", (json_int_t)count, "hosts", "endpoints");
	if (!n)
		return -ENOMEM;
	return json_array_append_new(o->networks, n) ? -ENOMEM : 0;
}

static json_t *endpoint_json(const struct ctl_parsed *p, const char **network, json_t **host)
{
	const char *host_name, *s;
	struct vx_addr ip, ul = {0};
	uint8_t plen, mac[MAC_LEN];
	if (ctl_get_str(p, CTL_A_NETWORK, network) || ctl_get_str(p, CTL_A_HOST, &host_name) ||
	    ctl_get_addr(p, CTL_A_DST, &ip) || ctl_get_u8(p, CTL_A_PREFIXLEN, &plen) ||
	    ctl_get_mac(p, CTL_A_LLADDR, mac))
		return NULL;
	json_t *e = json_object();
	if (!e)
		return NULL;
	if (ctl_get_str(p, CTL_A_IFNAME, &s) == 0)
		json_object_set_new(e, "ifname", json_string(s));
	json_object_set_new(e, "ip", jaddr(&ip));
	json_object_set_new(e, "prefixlen", json_integer(plen));
	json_object_set_new(e, "mac", jmac(mac));
	json_object_set_new(e, "host", json_string(host_name));
	json_object_set_new(e, "network", json_string(*network));
	if (ctl_get_str(p, CTL_A_NSPATH, &s) == 0)
		json_object_set_new(e, "netns", json_string(s));
	*host = NULL;
	if (ctl_get_addr(p, CTL_A_REMOTE, &ul) == 0)
		*host = json_pack("{s:s, s:o}", "name", host_name, "underlay", jaddr(&ul));
	return e;
}

static int on_endpoint(struct cli_cluster_out *o, const struct ctl_parsed *p)
{
	const char *network;
	json_t *host, *e = endpoint_json(p, &network, &host);
	if (!e)
		return -EINVAL;
	if (o->cmd->msg_type == CTL_MSG_ATTACH) {
		json_decref(host);
		json_decref(o->endpoint);
		o->endpoint = e;
		return 0;
	}
	/* It belongs to the last network listed. */
	json_t *n = json_array_get(o->networks, json_array_size(o->networks) - 1);
	if (!n || strcmp(json_string_value(json_object_get(n, "name")), network)) {
		json_decref(e);
		json_decref(host);
		return -EINVAL;
	}
	json_object_del(e, "network");
	json_array_append_new(json_object_get(n, "endpoints"), e);
	if (host) {
		json_t *hosts = json_object_get(n, "hosts"), *h;
		size_t i;
		bool known = false;
		json_array_foreach(hosts, i, h) known |= json_equal(h, host);
		if (!known)
			json_array_append(hosts, host);
		json_decref(host);
	}
	return 0;
}

static int on_store(struct cli_cluster_out *o, const struct ctl_parsed *p)
{
	const char *url, *host;
	uint8_t up;
	uint64_t lease, rev;
	struct vx_addr ul;
	if (ctl_get_str(p, CTL_A_URL, &url) || ctl_get_u8(p, CTL_A_UP, &up) || ctl_get_str(p, CTL_A_HOST, &host) ||
	    ctl_get_u64(p, CTL_A_LEASE, &lease) || ctl_get_u64(p, CTL_A_REVISION, &rev) ||
	    ctl_get_addr(p, CTL_A_LOCAL, &ul))
		return -EINVAL;
	json_t *st = json_object();
	json_t *s = json_pack("{s:s, s:b, s:s, s:o, s:I, s:I}", "url", url, "up", up, "host", host, "underlay",
			      jaddr(&ul), "lease", (json_int_t)lease, "revision", (json_int_t)rev);
	if (!s || !st) {
		json_decref(s);
		json_decref(st);
		return -ENOMEM;
	}
	ctl_foreach_stat(p, CTL_A_STATS, stat_cb, st);
	json_object_set_new(s, "stats", st);
	json_decref(o->store);
	o->store = s;
	return 0;
}

int cli_cluster_reply(struct cli_cluster_out *o, const struct ctl_parsed *p)
{
	uint16_t req = o->cmd->msg_type;
	switch (p->hdr.type) {
	case CTL_MSG_NETWORK:
		return req == CTL_MSG_NETWORK_SHOW ? on_network(o, p) : -EINVAL;
	case CTL_MSG_ENDPOINT:
		return req == CTL_MSG_NETWORK_SHOW || req == CTL_MSG_ATTACH ? on_endpoint(o, p) : -EINVAL;
	case CTL_MSG_STORE:
		return req == CTL_MSG_NETWORK_SHOW ? on_store(o, p) : -EINVAL;
	default:
		return -EINVAL;
	}
}

/* A string from a reply, safe on one text line. */
static void text(FILE *f, const char *s)
{
	for (const unsigned char *c = (const unsigned char *)s; c && *c; c++)
		fputc(*c < 0x20 || *c == 0x7f ? '?' : *c, f);
}

static const char *js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "?";
}

static long long ji(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void print_text(struct cli_cluster_out *o, FILE *f)
{
	size_t i, j;
	json_t *n, *x;
	if (o->endpoint) {
		text(f, js(o->endpoint, "ifname"));
		fputc(' ', f);
		text(f, js(o->endpoint, "ip"));
		fprintf(f, "/%lld %s\n", ji(o->endpoint, "prefixlen"), js(o->endpoint, "mac"));
		return;
	}
	json_array_foreach(o->networks, i, n)
	{
		fputs("network ", f);
		text(f, js(n, "name"));
		fprintf(f, " vni %lld subnet %s mtu %lld dstport %lld datapath %s endpoints %lld\n", ji(n, "vni"),
			js(n, "subnet"), ji(n, "mtu"), ji(n, "dstport"), js(n, "datapath"), ji(n, "endpoint_keys"));
		json_array_foreach(json_object_get(n, "hosts"), j, x)
		{
			fputs("    host ", f);
			text(f, js(x, "name"));
			fprintf(f, " underlay %s\n", js(x, "underlay"));
		}
		json_array_foreach(json_object_get(n, "endpoints"), j, x)
		{
			fprintf(f, "    endpoint %s/%lld lladdr %s host ", js(x, "ip"), ji(x, "prefixlen"),
				js(x, "mac"));
			text(f, js(x, "host"));
			fputc('\n', f);
		}
	}
	if (o->cmd->stats && o->store) {
		const char *k;
		json_t *v;
		fputs("store ", f);
		text(f, js(o->store, "url"));
		fprintf(f, " %s host ", json_is_true(json_object_get(o->store, "up")) ? "up" : "down");
		text(f, js(o->store, "host"));
		fprintf(f, " underlay %s lease %lld revision %lld\n   ", js(o->store, "underlay"),
			ji(o->store, "lease"), ji(o->store, "revision"));
		json_object_foreach(json_object_get(o->store, "stats"), k, v)
		{
			fputc(' ', f);
			text(f, k);
			fprintf(f, " %lld", (long long)json_integer_value(v));
		}
		fputc('\n', f);
	}
}

int cli_cluster_print(struct cli_cluster_out *o, FILE *f)
{
	uint16_t req = o->cmd->msg_type;
	if (req != CTL_MSG_NETWORK_SHOW && req != CTL_MSG_ATTACH)
		return 0;
	if (req == CTL_MSG_ATTACH && !o->endpoint)
		return -EINVAL;
	if (!o->cmd->json) {
		print_text(o, f);
		return ferror(f) ? -EIO : 0;
	}
	json_t *root;
	if (req == CTL_MSG_ATTACH)
		root = json_incref(o->endpoint);
	else if (o->cmd->stats)
		root = json_pack("{s:O, s:O}", "networks", o->networks, "store", o->store ? o->store : json_null());
	else
		root = json_incref(o->networks);
	if (!root || json_dumpf(root, f, JSON_COMPACT) < 0) {
		json_decref(root);
		return -EIO;
	}
	json_decref(root);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}
