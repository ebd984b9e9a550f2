/* print: how `vxnet` shows links, fdb entries, neighbours and events, as
 * text in iproute2's forms (`ip -d link`, `bridge fdb`, `ip neigh`,
 * `ip monitor`) or as JSON with iproute2's key names. Each function first
 * gathers everything it needs from the message and only then writes, so a
 * reply missing an attribute prints nothing. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"
#include "vxnet/fdb.h"

void cli_json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			/* Control bytes, and bytes >= 0x80 (names are not
			 * guaranteed UTF-8): \u00XX keeps the output valid JSON. */
			if (*p < 0x20 || *p >= 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* A string for a text line: control characters would break the one-line-
 * per-object promise, so they become '?'. */
static void text_str(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
}

static void json_key(FILE *f, bool *first, const char *key)
{
	if (!*first)
		fputc(',', f);
	*first = false;
	cli_json_str(f, key);
	fputc(':', f);
}

static void json_kv_str(FILE *f, bool *first, const char *key, const char *v)
{
	json_key(f, first, key);
	cli_json_str(f, v);
}

static void json_kv_u64(FILE *f, bool *first, const char *key, uint64_t v)
{
	json_key(f, first, key);
	fprintf(f, "%" PRIu64, v);
}

static void json_kv_bool(FILE *f, bool *first, const char *key, bool v)
{
	json_key(f, first, key);
	fputs(v ? "true" : "false", f);
}

/* A separator between the objects of a JSON array. */
static void json_next(struct cli_print *pr)
{
	if (pr->json && pr->count > 0)
		fputc(',', pr->f);
	pr->count++;
}

/* Optional attributes: 'has' says whether they were there; a malformed one
 * (impossible after ctl_parse, but p may come from elsewhere) is an error. */
static int opt(int err, bool *has)
{
	*has = err == 0;
	return err == -ENOENT ? 0 : err;
}

/* ---- fdb ---- */

struct fdb_view {
	const char *ifname;
	uint8_t mac[MAC_LEN];
	char macs[MAC_STRLEN];
	bool has_dst, has_port, has_vni, has_state, has_age, has_lvni, has_lport, has_origin;
	char dst[ADDR_STRLEN];
	uint16_t port, lport;
	uint32_t vni, lvni;
	uint8_t state, origin;
	uint64_t age_ms;
};

static int fdb_view_get(const struct ctl_parsed *p, struct fdb_view *v)
{
	struct vx_addr a;
	int err = 0;

	memset(v, 0, sizeof(*v));
	if (ctl_get_str(p, CTL_A_IFNAME, &v->ifname) || ctl_get_mac(p, CTL_A_LLADDR, v->mac))
		return -EINVAL;
	mac_format(v->mac, v->macs);
	err |= opt(ctl_get_addr(p, CTL_A_DST, &a), &v->has_dst);
	if (v->has_dst && addr_format(&a, v->dst, sizeof(v->dst)))
		return -EINVAL;
	err |= opt(ctl_get_u16(p, CTL_A_PORT, &v->port), &v->has_port);
	err |= opt(ctl_get_u32(p, CTL_A_RVNI, &v->vni), &v->has_vni);
	err |= opt(ctl_get_u8(p, CTL_A_STATE, &v->state), &v->has_state);
	err |= opt(ctl_get_u64(p, CTL_A_AGE_MS, &v->age_ms), &v->has_age);
	err |= opt(ctl_get_u32(p, CTL_A_VNI, &v->lvni), &v->has_lvni);
	err |= opt(ctl_get_u16(p, CTL_A_DSTPORT, &v->lport), &v->has_lport);
	err |= opt(ctl_get_u8(p, CTL_A_ORIGIN, &v->origin), &v->has_origin);
	return err ? -EINVAL : 0;
}

/* Origins worth a word in text output: entries the cluster store installed,
 * and entries someone else put into a kernel device. */
static const char *origin_word(bool has, uint8_t origin)
{
	if (!has || (origin != FDB_ORIGIN_STORE && origin != CTL_ORIGIN_OTHER))
		return NULL;
	return ctl_origin_name(origin);
}

static bool fdb_learned(const struct fdb_view *v)
{
	return v->has_state && v->state == FDB_STATE_REACHABLE;
}

/* `bridge fdb show` form, without a newline. */
static void fdb_text(FILE *f, const struct fdb_view *v, bool age)
{
	fprintf(f, "%s dev ", v->macs);
	text_str(f, v->ifname);
	if (v->has_dst)
		fprintf(f, " dst %s", v->dst);
	/* As the kernel shows them: only where they differ from the link's. */
	if (v->has_port && (!v->has_lport || v->port != v->lport))
		fprintf(f, " port %u", v->port);
	if (v->has_vni && (!v->has_lvni || v->vni != v->lvni))
		fprintf(f, " vni %" PRIu32, v->vni);
	fputs(" self", f);
	if (v->has_state && v->state == FDB_STATE_PERMANENT)
		fputs(" permanent", f);
	if (age && fdb_learned(v) && v->has_age)
		fprintf(f, " age %" PRIu64 "s", v->age_ms / 1000);
	if (origin_word(v->has_origin, v->origin))
		fprintf(f, " origin %s", origin_word(v->has_origin, v->origin));
}

/* The members of an fdb JSON object, after 'first'. */
static void fdb_json(FILE *f, bool *first, const struct fdb_view *v, bool age)
{
	json_kv_str(f, first, "mac", v->macs);
	json_kv_str(f, first, "ifname", v->ifname);
	if (v->has_dst)
		json_kv_str(f, first, "dst", v->dst);
	if (v->has_port)
		json_kv_u64(f, first, "port", v->port);
	if (v->has_vni)
		json_kv_u64(f, first, "vni", v->vni);
	json_key(f, first, "flags");
	fputs("[\"self\"]", f);
	if (v->has_state)
		json_kv_str(f, first, "state", v->state == FDB_STATE_PERMANENT ? "permanent" : "reachable");
	if (age && fdb_learned(v) && v->has_age)
		json_kv_u64(f, first, "age", v->age_ms / 1000);
	if (v->has_origin && ctl_origin_name(v->origin))
		json_kv_str(f, first, "origin", ctl_origin_name(v->origin));
}

int cli_print_fdb(struct cli_print *pr, const struct ctl_parsed *p)
{
	struct fdb_view v;
	bool first = true;

	if (fdb_view_get(p, &v))
		return -EINVAL;
	json_next(pr);
	if (pr->json) {
		fputc('{', pr->f);
		fdb_json(pr->f, &first, &v, pr->stats);
		fputc('}', pr->f);
	} else {
		fdb_text(pr->f, &v, pr->stats);
		fputc('\n', pr->f);
	}
	return 0;
}

/* ---- neigh ---- */

struct neigh_view {
	const char *ifname;
	char ip[ADDR_STRLEN];
	bool has_mac, has_origin;
	char macs[MAC_STRLEN];
	uint8_t origin;
};

static int neigh_view_get(const struct ctl_parsed *p, struct neigh_view *v)
{
	struct vx_addr a;
	uint8_t mac[MAC_LEN];
	int err;

	memset(v, 0, sizeof(*v));
	if (ctl_get_str(p, CTL_A_IFNAME, &v->ifname) || ctl_get_addr(p, CTL_A_DST, &a) ||
	    addr_format(&a, v->ip, sizeof(v->ip)))
		return -EINVAL;
	err = opt(ctl_get_mac(p, CTL_A_LLADDR, mac), &v->has_mac);
	if (v->has_mac)
		mac_format(mac, v->macs);
	err |= opt(ctl_get_u8(p, CTL_A_ORIGIN, &v->origin), &v->has_origin);
	return err ? -EINVAL : 0;
}

static void neigh_text(FILE *f, const struct neigh_view *v)
{
	fprintf(f, "%s dev ", v->ip);
	text_str(f, v->ifname);
	if (v->has_mac)
		fprintf(f, " lladdr %s", v->macs);
	fputs(v->has_origin && v->origin == FDB_ORIGIN_LEARNED ? " REACHABLE" : " PERMANENT", f);
	if (origin_word(v->has_origin, v->origin))
		fprintf(f, " origin %s", origin_word(v->has_origin, v->origin));
}

static void neigh_json(FILE *f, bool *first, const struct neigh_view *v)
{
	json_kv_str(f, first, "dst", v->ip);
	json_kv_str(f, first, "dev", v->ifname);
	if (v->has_mac)
		json_kv_str(f, first, "lladdr", v->macs);
	json_key(f, first, "state");
	fputs(v->has_origin && v->origin == FDB_ORIGIN_LEARNED ? "[\"REACHABLE\"]" : "[\"PERMANENT\"]", f);
	if (v->has_origin && ctl_origin_name(v->origin))
		json_kv_str(f, first, "origin", ctl_origin_name(v->origin));
}

int cli_print_neigh(struct cli_print *pr, const struct ctl_parsed *p)
{
	struct neigh_view v;
	bool first = true;

	if (neigh_view_get(p, &v))
		return -EINVAL;
	json_next(pr);
	if (pr->json) {
		fputc('{', pr->f);
		neigh_json(pr->f, &first, &v);
		fputc('}', pr->f);
	} else {
		neigh_text(pr->f, &v);
		fputc('\n', pr->f);
	}
	return 0;
}

/* ---- link ---- */

#define LINK_STATS_MAX 64

/* Counters as the daemon named them, in its order. */
struct stat_list {
	unsigned n;
	const char *name[LINK_STATS_MAX];
	uint64_t v[LINK_STATS_MAX];
};

struct link_view {
	struct link_config c; /* set: what the reply carried */
	bool has_ifindex, has_mtu;
	uint32_t ifindex, mtu;
	struct stat_list stats, sockstats;
	char local[ADDR_STRLEN], remote[ADDR_STRLEN], group[ADDR_STRLEN];
	char macs[MAC_STRLEN];
};

static void stat_collect(const char *name, uint64_t v, void *arg)
{
	struct stat_list *l = arg;
	if (l->n < LINK_STATS_MAX) {
		l->name[l->n] = name;
		l->v[l->n] = v;
		l->n++;
	}
}

/* A counter by name, for the RX/TX summary lines. */
static bool stat_get(const struct stat_list *l, const char *name, uint64_t *v)
{
	for (unsigned i = 0; i < l->n; i++) {
		if (!strcmp(l->name[i], name)) {
			*v = l->v[i];
			return true;
		}
	}
	return false;
}

static int link_view_get(const struct ctl_parsed *p, struct link_view *v)
{
	bool has_oper;
	uint32_t oper;
	int err = 0;

	memset(v, 0, sizeof(*v));
	link_config_init(&v->c);
	if (ctl_get_link_config(p, &v->c))
		return -EINVAL;
	err |= opt(ctl_get_u32(p, CTL_A_IFINDEX, &v->ifindex), &v->has_ifindex);
	err |= opt(ctl_get_u32(p, CTL_A_MTU, &v->mtu), &v->has_mtu);
	err |= opt(ctl_get_u32(p, CTL_A_OPER_MTU, &oper), &has_oper);
	/* The current MTU is what `ip link` shows; the configured one is
	 * only the starting point. */
	if (has_oper) {
		v->mtu = oper;
		v->has_mtu = true;
	}
	ctl_foreach_stat(p, CTL_A_STATS, stat_collect, &v->stats);
	ctl_foreach_stat(p, CTL_A_SOCKSTATS, stat_collect, &v->sockstats);
	if (err)
		return -EINVAL;
	if (((v->c.set & LINK_P_LOCAL) && addr_format(&v->c.local, v->local, sizeof(v->local))) ||
	    ((v->c.set & LINK_P_REMOTE) && addr_format(&v->c.remote, v->remote, sizeof(v->remote))) ||
	    ((v->c.set & LINK_P_GROUP) && addr_format(&v->c.group, v->group, sizeof(v->group))))
		return -EINVAL;
	if (v->c.set & LINK_P_ADDRESS)
		mac_format(v->c.address, v->macs);
	return 0;
}

static void link_text(FILE *f, const struct link_view *v, bool stats)
{
	const struct link_config *c = &v->c;

	if (v->has_ifindex)
		fprintf(f, "%" PRIu32 ": ", v->ifindex);
	text_str(f, c->name);
	fputc(':', f);
	if (v->has_mtu)
		fprintf(f, " mtu %" PRIu32, v->mtu);
	if (c->set & LINK_P_ADDRESS)
		fprintf(f, " address %s", v->macs);
	if (c->set & LINK_P_NETNS) {
		fputs(" netns ", f);
		text_str(f, c->netns);
	}
	fprintf(f, "\n    vxlan id %" PRIu32, c->vni);
	if (c->set & LINK_P_REMOTE)
		fprintf(f, " remote %s", v->remote);
	if (c->set & LINK_P_GROUP)
		fprintf(f, " group %s", v->group);
	if (c->set & LINK_P_LOCAL)
		fprintf(f, " local %s", v->local);
	if (c->set & LINK_P_DEV) {
		fputs(" dev ", f);
		text_str(f, c->dev);
	}
	if (c->set & LINK_P_SRCPORT)
		fprintf(f, " srcport %u %u", c->srcport_min, c->srcport_max);
	if (c->set & LINK_P_DSTPORT)
		fprintf(f, " dstport %u", c->dstport);
	if (c->set & LINK_P_TTL) {
		if (c->ttl)
			fprintf(f, " ttl %u", c->ttl);
		else
			fputs(" ttl auto", f);
	}
	if (c->tos_inherit)
		fputs(" tos inherit", f);
	else if (c->tos)
		fprintf(f, " tos 0x%02x", c->tos);
	if (c->set & LINK_P_AGEING)
		fprintf(f, " ageing %" PRIu32, c->ageing);
	if (c->set & LINK_P_MAXADDR)
		fprintf(f, " maxaddress %" PRIu32, c->maxaddress);
	if (c->set & LINK_P_LEARNING)
		fputs(c->learning ? " learning" : " nolearning", f);
	if ((c->set & LINK_P_PROXY) && c->proxy)
		fputs(" proxy", f);
	if ((c->set & LINK_P_DF) && link_df_name(c->df))
		fprintf(f, " df %s", link_df_name(c->df));
	if (c->set & LINK_P_LOCALBYPASS)
		fputs(c->localbypass ? " localbypass" : " nolocalbypass", f);
	if ((c->set & LINK_P_DATAPATH) && link_datapath_name(c->datapath))
		fprintf(f, " datapath %s", link_datapath_name(c->datapath));
	fputc('\n', f);
	if (!stats)
		return;
	if (v->stats.n) {
		uint64_t rb = 0, rp = 0, tb = 0, tp = 0;
		stat_get(&v->stats, "rx_bytes", &rb);
		stat_get(&v->stats, "rx_packets", &rp);
		stat_get(&v->stats, "tx_bytes", &tb);
		stat_get(&v->stats, "tx_packets", &tp);
		fprintf(f, "    RX: bytes packets\n        %" PRIu64 " %" PRIu64 "\n", rb, rp);
		fprintf(f, "    TX: bytes packets\n        %" PRIu64 " %" PRIu64 "\n", tb, tp);
		fputs("    counters:\n", f);
		for (unsigned i = 0; i < v->stats.n; i++) {
			const char *n = v->stats.name[i];
			if (strcmp(n, "rx_bytes") && strcmp(n, "rx_packets") && strcmp(n, "tx_bytes") &&
			    strcmp(n, "tx_packets"))
				fprintf(f, "        %s %" PRIu64 "\n", n, v->stats.v[i]);
		}
	}
	if (v->sockstats.n) {
		fprintf(f, "    udp socket (shared by the links on port %u):\n", c->dstport);
		for (unsigned i = 0; i < v->sockstats.n; i++)
			fprintf(f, "        %s %" PRIu64 "\n", v->sockstats.name[i], v->sockstats.v[i]);
	}
}

static void link_json(FILE *f, const struct link_view *v, bool stats)
{
	const struct link_config *c = &v->c;
	bool first = true, d = true, in;

	fputc('{', f);
	if (v->has_ifindex)
		json_kv_u64(f, &first, "ifindex", v->ifindex);
	json_kv_str(f, &first, "ifname", c->name);
	if (v->has_mtu)
		json_kv_u64(f, &first, "mtu", v->mtu);
	if (c->set & LINK_P_ADDRESS)
		json_kv_str(f, &first, "address", v->macs);
	if (c->set & LINK_P_NETNS)
		json_kv_str(f, &first, "netns", c->netns);
	if ((c->set & LINK_P_DATAPATH) && link_datapath_name(c->datapath))
		json_kv_str(f, &first, "datapath", link_datapath_name(c->datapath));
	json_key(f, &first, "linkinfo");
	fputs("{\"info_kind\":\"vxlan\",\"info_data\":{", f);
	json_kv_u64(f, &d, "id", c->vni);
	if (c->set & LINK_P_REMOTE)
		json_kv_str(f, &d, "remote", v->remote);
	if (c->set & LINK_P_LOCAL)
		json_kv_str(f, &d, "local", v->local);
	if (c->set & LINK_P_GROUP)
		json_kv_str(f, &d, "group", v->group);
	if (c->set & LINK_P_DEV)
		json_kv_str(f, &d, "link", c->dev);
	if (c->set & LINK_P_SRCPORT) {
		json_key(f, &d, "port_range");
		fprintf(f, "{\"low\":%u,\"high\":%u}", c->srcport_min, c->srcport_max);
	}
	if (c->set & LINK_P_DSTPORT)
		json_kv_u64(f, &d, "port", c->dstport);
	if (c->set & LINK_P_TTL)
		json_kv_u64(f, &d, "ttl", c->ttl);
	if (c->set & LINK_P_TOS) {
		if (c->tos_inherit)
			json_kv_str(f, &d, "tos", "inherit");
		else {
			char hex[8];
			snprintf(hex, sizeof(hex), "0x%02x", c->tos);
			json_kv_str(f, &d, "tos", hex); /* a string, as ip -j prints it */
		}
	}
	if (c->set & LINK_P_AGEING)
		json_kv_u64(f, &d, "ageing", c->ageing);
	if (c->set & LINK_P_MAXADDR)
		json_kv_u64(f, &d, "limit", c->maxaddress);
	if (c->set & LINK_P_LEARNING)
		json_kv_bool(f, &d, "learning", c->learning);
	if (c->set & LINK_P_PROXY)
		json_kv_bool(f, &d, "proxy", c->proxy);
	if ((c->set & LINK_P_DF) && link_df_name(c->df))
		json_kv_str(f, &d, "df", link_df_name(c->df));
	if (c->set & LINK_P_LOCALBYPASS)
		json_kv_bool(f, &d, "localbypass", c->localbypass);
	fputs("}}", f);
	if (stats && v->stats.n) {
		json_key(f, &first, "stats");
		fputc('{', f);
		in = true;
		for (unsigned i = 0; i < v->stats.n; i++)
			json_kv_u64(f, &in, v->stats.name[i], v->stats.v[i]);
		fputc('}', f);
	}
	if (stats && v->sockstats.n) {
		json_key(f, &first, "socket_stats");
		fputc('{', f);
		in = true;
		for (unsigned i = 0; i < v->sockstats.n; i++)
			json_kv_u64(f, &in, v->sockstats.name[i], v->sockstats.v[i]);
		fputc('}', f);
	}
	fputc('}', f);
}

int cli_print_link(struct cli_print *pr, const struct ctl_parsed *p)
{
	struct link_view v;

	if (link_view_get(p, &v))
		return -EINVAL;
	json_next(pr);
	if (pr->json)
		link_json(pr->f, &v, pr->stats);
	else
		link_text(pr->f, &v, pr->stats);
	return 0;
}

/* ---- monitor ---- */

int cli_print_event(struct cli_print *pr, const struct ctl_parsed *p)
{
	struct fdb_view fv;
	struct neigh_view nv;
	const char *name, *ifname;
	uint8_t ev;
	uint32_t vni;
	bool has_vni, first = true;
	FILE *f = pr->f;

	if (ctl_get_u8(p, CTL_A_EVENT, &ev) || !(name = ctl_event_name(ev)))
		return -EINVAL;
	switch (ev) {
	case CTL_EVENT_LEARNED:
	case CTL_EVENT_MOVED:
	case CTL_EVENT_AGED:
	case CTL_EVENT_DELETED:
	case CTL_EVENT_ADDED:
	case CTL_EVENT_RESTORED:
	case CTL_EVENT_L2MISS:
		if (fdb_view_get(p, &fv))
			return -EINVAL;
		if (pr->json) {
			fputc('{', f);
			json_kv_str(f, &first, "event", name);
			if (ev == CTL_EVENT_L2MISS) {
				json_kv_str(f, &first, "mac", fv.macs);
				json_kv_str(f, &first, "ifname", fv.ifname);
			} else {
				fdb_json(f, &first, &fv, false);
			}
			fputc('}', f);
		} else if (ev == CTL_EVENT_L2MISS) {
			fprintf(f, "%s %s dev ", name, fv.macs);
			text_str(f, fv.ifname);
		} else {
			fprintf(f, "%s ", name);
			fdb_text(f, &fv, false);
		}
		break;
	case CTL_EVENT_L3MISS:
	case CTL_EVENT_NEIGH_ADDED:
	case CTL_EVENT_NEIGH_DELETED:
	case CTL_EVENT_NEIGH_RESTORED:
		if (neigh_view_get(p, &nv))
			return -EINVAL;
		if (pr->json) {
			fputc('{', f);
			json_kv_str(f, &first, "event", name);
			if (ev == CTL_EVENT_L3MISS) {
				json_kv_str(f, &first, "dst", nv.ip);
				json_kv_str(f, &first, "dev", nv.ifname);
			} else {
				neigh_json(f, &first, &nv);
			}
			fputc('}', f);
		} else if (ev == CTL_EVENT_L3MISS) {
			fprintf(f, "%s %s dev ", name, nv.ip);
			text_str(f, nv.ifname);
		} else {
			fprintf(f, "%s ", name);
			neigh_text(f, &nv);
		}
		break;
	default: /* link-added, link-deleted, link-restored */
		if (ctl_get_str(p, CTL_A_IFNAME, &ifname) || opt(ctl_get_u32(p, CTL_A_VNI, &vni), &has_vni))
			return -EINVAL;
		if (pr->json) {
			fputc('{', f);
			json_kv_str(f, &first, "event", name);
			json_kv_str(f, &first, "ifname", ifname);
			if (has_vni)
				json_kv_u64(f, &first, "vni", vni);
			fputc('}', f);
		} else {
			fprintf(f, "%s ", name);
			text_str(f, ifname);
		}
		break;
	}
	fputc('\n', f);
	pr->count++;
	return 0;
}
