/* print: how `vxnet` shows links, fdb entries, neighbours and events, as
 * text in iproute2's forms (`ip -d link`, `bridge fdb`, `ip neigh`,
 * `ip monitor`) or as JSON (through jansson) with iproute2's key names. Each function first
 * gathers everything it needs from the message and only then writes, so a
 * reply missing an attribute prints nothing. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "vxnet/fdb.h"

/* A JSON string of s. Names are bytes, not guaranteed UTF-8: a byte that is
 * not part of valid UTF-8 is taken as the code point of the same value
 * (Latin-1), so the output is always valid JSON and says what was there. */
static json_t *jstr(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	size_t n = strlen(s);
	char *u = malloc(2 * n + 1);
	if (!u)
		return NULL;
	size_t k = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x80) {
			u[k++] = (char)*p;
		} else {
			u[k++] = (char)(0xc0 | (*p >> 6));
			u[k++] = (char)(0x80 | (*p & 0x3f));
		}
	}
	u[k] = 0;
	j = json_string(u);
	free(u);
	return j;
}

/* Counters are u64; JSON's integers (and jansson's) are signed 64-bit. */
static json_t *ju64(uint64_t v)
{
	return v <= (uint64_t)INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
}

static void put(json_t *o, const char *k, json_t *v)
{
	json_object_set_new(o, k, v); /* a NULL v (no memory) leaves the key out */
}

/* One JSON object on f, compact, keys in the order they were set. */
static void json_emit(FILE *f, json_t *o)
{
	if (o)
		json_dumpf(o, f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	json_decref(o);
}

/* A string for a text line: control characters would break the one-line-
 * per-object promise, so they become '?'. */
static void text_str(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		fputc(*p < 0x20 || *p == 0x7f ? '?' : *p, f);
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

/* The members of an fdb JSON object (bridge -j fdb's keys). */
static void fdb_json(json_t *o, const struct fdb_view *v, bool age)
{
	put(o, "mac", json_string(v->macs));
	put(o, "ifname", jstr(v->ifname));
	if (v->has_dst)
		put(o, "dst", json_string(v->dst));
	if (v->has_port)
		put(o, "port", ju64(v->port));
	if (v->has_vni)
		put(o, "vni", ju64(v->vni));
	put(o, "flags", json_pack("[s]", "self"));
	if (v->has_state)
		put(o, "state", json_string(v->state == FDB_STATE_PERMANENT ? "permanent" : "reachable"));
	if (age && fdb_learned(v) && v->has_age)
		put(o, "age", ju64(v->age_ms / 1000));
	if (v->has_origin && ctl_origin_name(v->origin))
		put(o, "origin", json_string(ctl_origin_name(v->origin)));
}

int cli_print_fdb(struct cli_print *pr, const struct ctl_parsed *p)
{
	struct fdb_view v;

	if (fdb_view_get(p, &v))
		return -EINVAL;
	json_next(pr);
	if (pr->json) {
		json_t *o = json_object();
		if (o)
			fdb_json(o, &v, pr->stats);
		json_emit(pr->f, o);
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

/* The members of a neighbour JSON object (ip -j neigh's keys). */
static void neigh_json(json_t *o, const struct neigh_view *v)
{
	put(o, "dst", json_string(v->ip));
	put(o, "dev", jstr(v->ifname));
	if (v->has_mac)
		put(o, "lladdr", json_string(v->macs));
	put(o, "state", json_pack("[s]", v->has_origin && v->origin == FDB_ORIGIN_LEARNED ? "REACHABLE" : "PERMANENT"));
	if (v->has_origin && ctl_origin_name(v->origin))
		put(o, "origin", json_string(ctl_origin_name(v->origin)));
}

int cli_print_neigh(struct cli_print *pr, const struct ctl_parsed *p)
{
	struct neigh_view v;

	if (neigh_view_get(p, &v))
		return -EINVAL;
	json_next(pr);
	if (pr->json) {
		json_t *o = json_object();
		if (o)
			neigh_json(o, &v);
		json_emit(pr->f, o);
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

/* A link as ip -d -j link shows a vxlan device (its keys). */
static json_t *link_json(const struct link_view *v, bool stats)
{
	const struct link_config *c = &v->c;
	json_t *o = json_object(), *d = json_object();
	if (!o || !d) {
		json_decref(o);
		json_decref(d);
		return NULL;
	}
	if (v->has_ifindex)
		put(o, "ifindex", ju64(v->ifindex));
	put(o, "ifname", jstr(c->name));
	if (v->has_mtu)
		put(o, "mtu", ju64(v->mtu));
	if (c->set & LINK_P_ADDRESS)
		put(o, "address", json_string(v->macs));
	if (c->set & LINK_P_NETNS)
		put(o, "netns", jstr(c->netns));
	if ((c->set & LINK_P_DATAPATH) && link_datapath_name(c->datapath))
		put(o, "datapath", json_string(link_datapath_name(c->datapath)));
	put(d, "id", ju64(c->vni));
	if (c->set & LINK_P_REMOTE)
		put(d, "remote", json_string(v->remote));
	if (c->set & LINK_P_LOCAL)
		put(d, "local", json_string(v->local));
	if (c->set & LINK_P_GROUP)
		put(d, "group", json_string(v->group));
	if (c->set & LINK_P_DEV)
		put(d, "link", jstr(c->dev));
	if (c->set & LINK_P_SRCPORT)
		put(d, "port_range", json_pack("{s:i,s:i}", "low", (int)c->srcport_min, "high", (int)c->srcport_max));
	if (c->set & LINK_P_DSTPORT)
		put(d, "port", ju64(c->dstport));
	if (c->set & LINK_P_TTL)
		put(d, "ttl", ju64(c->ttl));
	if (c->set & LINK_P_TOS) {
		char hex[8];
		snprintf(hex, sizeof(hex), "0x%02x", c->tos);
		/* a string, as ip -j prints it */
		put(d, "tos", json_string(c->tos_inherit ? "inherit" : hex));
	}
	if (c->set & LINK_P_AGEING)
		put(d, "ageing", ju64(c->ageing));
	if (c->set & LINK_P_MAXADDR)
		put(d, "limit", ju64(c->maxaddress));
	if (c->set & LINK_P_LEARNING)
		put(d, "learning", json_boolean(c->learning));
	if (c->set & LINK_P_PROXY)
		put(d, "proxy", json_boolean(c->proxy));
	if ((c->set & LINK_P_DF) && link_df_name(c->df))
		put(d, "df", json_string(link_df_name(c->df)));
	if (c->set & LINK_P_LOCALBYPASS)
		put(d, "localbypass", json_boolean(c->localbypass));
	put(o, "linkinfo", json_pack("{s:s,s:o}", "info_kind", "vxlan", "info_data", d));
	const struct stat_list *lists[2] = {&v->stats, &v->sockstats};
	static const char *const keys[2] = {"stats", "socket_stats"};
	for (int k = 0; stats && k < 2; k++) {
		if (!lists[k]->n)
			continue;
		json_t *st = json_object();
		for (unsigned i = 0; st && i < lists[k]->n; i++)
			put(st, lists[k]->name[i], ju64(lists[k]->v[i]));
		put(o, keys[k], st);
	}
	return o;
}

int cli_print_link(struct cli_print *pr, const struct ctl_parsed *p)
{
	struct link_view v;

	if (link_view_get(p, &v))
		return -EINVAL;
	json_next(pr);
	if (pr->json)
		json_emit(pr->f, link_json(&v, pr->stats));
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
	bool has_vni;
	FILE *f = pr->f;
	json_t *o = NULL;

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
			if ((o = json_pack("{s:s}", "event", name))) {
				if (ev == CTL_EVENT_L2MISS) {
					put(o, "mac", json_string(fv.macs));
					put(o, "ifname", jstr(fv.ifname));
				} else {
					fdb_json(o, &fv, false);
				}
			}
			json_emit(f, o);
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
			if ((o = json_pack("{s:s}", "event", name))) {
				if (ev == CTL_EVENT_L3MISS) {
					put(o, "dst", json_string(nv.ip));
					put(o, "dev", jstr(nv.ifname));
				} else {
					neigh_json(o, &nv);
				}
			}
			json_emit(f, o);
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
			if ((o = json_pack("{s:s}", "event", name))) {
				put(o, "ifname", jstr(ifname));
				if (has_vni)
					put(o, "vni", ju64(vni));
			}
			json_emit(f, o);
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
