/* statefile: vxnetd's desired-state file, to and from JSON (statefile.h). */
#include "vxnet/statefile.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vxnet/proto.h"

/* ---- building ---- */

/* Make room for one more element in *arr (n used, *cap allocated). */
static int room(void **arr, unsigned n, unsigned *cap, size_t elem)
{
	if (n < *cap)
		return 0;
	unsigned ncap = *cap ? *cap * 2 : 4;
	void *p = realloc(*arr, (size_t)ncap * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

int statefile_add_link(struct statefile *sf, const struct link_config *cfg, uint8_t origin)
{
	if (room((void **)&sf->links, sf->n_links, &sf->cap_links, sizeof(*sf->links)) < 0)
		return -ENOMEM;
	struct statefile_link *l = &sf->links[sf->n_links++];
	memset(l, 0, sizeof(*l));
	l->cfg = *cfg;
	l->origin = origin;
	return 0;
}

void statefile_set_link_state(struct statefile *sf, bool up, const char *master)
{
	if (!sf->n_links)
		return;
	struct statefile_link *l = &sf->links[sf->n_links - 1];
	l->up = up;
	snprintf(l->master, sizeof(l->master), "%s", master ? master : "");
}

int statefile_add_fdb(struct statefile *sf, const uint8_t mac[MAC_LEN], const struct fdb_remote *r)
{
	if (!sf->n_links)
		return -EINVAL;
	struct statefile_link *l = &sf->links[sf->n_links - 1];
	if (room((void **)&l->fdb, l->n_fdb, &l->cap_fdb, sizeof(*l->fdb)) < 0)
		return -ENOMEM;
	struct statefile_fdb *e = &l->fdb[l->n_fdb++];
	memcpy(e->mac, mac, MAC_LEN);
	e->r = *r;
	return 0;
}

int statefile_add_neigh(struct statefile *sf, const struct vx_addr *ip, const uint8_t mac[MAC_LEN], uint8_t origin)
{
	if (!sf->n_links)
		return -EINVAL;
	struct statefile_link *l = &sf->links[sf->n_links - 1];
	if (room((void **)&l->neigh, l->n_neigh, &l->cap_neigh, sizeof(*l->neigh)) < 0)
		return -ENOMEM;
	struct statefile_neigh *e = &l->neigh[l->n_neigh++];
	e->ip = *ip;
	memcpy(e->mac, mac, MAC_LEN);
	e->origin = origin;
	return 0;
}

void statefile_free(struct statefile *sf)
{
	for (unsigned i = 0; i < sf->n_links; i++) {
		free(sf->links[i].fdb);
		free(sf->links[i].neigh);
	}
	free(sf->links);
	memset(sf, 0, sizeof(*sf));
}

/* ---- formatting ---- */

static const char *const origin_names[FDB_ORIGIN_MAX] = {
    [FDB_ORIGIN_USER] = "user",
    [FDB_ORIGIN_LEARNED] = "learned",
    [FDB_ORIGIN_LINK] = "link",
    [FDB_ORIGIN_STORE] = "store",
};

static json_t *jaddr(const struct vx_addr *a)
{
	char buf[ADDR_STRLEN];
	addr_format(a, buf, sizeof(buf));
	return json_string(buf);
}

static json_t *jmac(const uint8_t mac[MAC_LEN])
{
	char buf[MAC_STRLEN];
	mac_format(mac, buf);
	return json_string(buf);
}

/* json_object_set_new that remembers a failure. */
static void put(json_t *o, const char *k, json_t *v, int *err)
{
	if (!v || json_object_set_new(o, k, v) < 0)
		*err = -ENOMEM;
}

static json_t *config_json(const struct link_config *c, int *err)
{
	json_t *o = json_object();
	if (!o) {
		*err = -ENOMEM;
		return NULL;
	}
	unsigned s = c->set;
	put(o, "id", json_integer(c->vni), err);
	if (s & LINK_P_DSTPORT)
		put(o, "dstport", json_integer(c->dstport), err);
	if (s & LINK_P_LOCAL)
		put(o, "local", jaddr(&c->local), err);
	if (s & LINK_P_REMOTE)
		put(o, "remote", jaddr(&c->remote), err);
	if (s & LINK_P_GROUP)
		put(o, "group", jaddr(&c->group), err);
	if (s & LINK_P_DEV)
		put(o, "dev", json_string(c->dev), err);
	if (s & LINK_P_LEARNING)
		put(o, "learning", json_boolean(c->learning), err);
	if (s & LINK_P_PROXY)
		put(o, "proxy", json_boolean(c->proxy), err);
	if (s & LINK_P_AGEING)
		put(o, "ageing", json_integer(c->ageing), err);
	if (s & LINK_P_MAXADDR)
		put(o, "maxaddress", json_integer(c->maxaddress), err);
	if (s & LINK_P_TTL)
		put(o, "ttl", json_integer(c->ttl), err);
	if (s & LINK_P_TOS) {
		if (c->tos_inherit)
			put(o, "tos", json_string("inherit"), err);
		else
			put(o, "tos", json_integer(c->tos), err);
	}
	if (s & LINK_P_SRCPORT)
		put(o, "srcport", json_pack("[ii]", c->srcport_min, c->srcport_max), err);
	if (s & LINK_P_MTU)
		put(o, "mtu", json_integer(c->mtu), err);
	if (s & LINK_P_ADDRESS)
		put(o, "address", jmac(c->address), err);
	if (s & LINK_P_NETNS)
		put(o, "netns", json_string(c->netns), err);
	if (c->datapath)
		put(o, "datapath", json_string(link_datapath_name(c->datapath)), err);
	if (s & LINK_P_DF)
		put(o, "df", json_string(link_df_name(c->df)), err);
	if (s & LINK_P_LOCALBYPASS)
		put(o, "localbypass", json_boolean(c->localbypass), err);
	return o;
}

char *statefile_format(const struct statefile *sf)
{
	int err = 0;
	json_t *root = json_object(), *links = json_array();
	if (!root || !links) {
		json_decref(root);
		json_decref(links);
		errno = ENOMEM;
		return NULL;
	}
	put(root, "version", json_integer(STATEFILE_VERSION), &err);
	for (unsigned i = 0; i < sf->n_links && !err; i++) {
		const struct statefile_link *l = &sf->links[i];
		json_t *o = json_object(), *fdb = json_array(), *neigh = json_array();
		if (!o || !fdb || !neigh) {
			json_decref(o);
			json_decref(fdb);
			json_decref(neigh);
			err = -ENOMEM;
			break;
		}
		put(o, "name", json_string(l->cfg.name), &err);
		put(o, "origin", json_string(origin_names[l->origin < FDB_ORIGIN_MAX ? l->origin : 0]), &err);
		put(o, "config", config_json(&l->cfg, &err), &err);
		put(o, "up", json_boolean(l->up), &err);
		if (l->master[0])
			put(o, "master", json_string(l->master), &err);
		for (unsigned j = 0; j < l->n_fdb; j++) {
			const struct statefile_fdb *e = &l->fdb[j];
			json_t *x = json_object();
			if (!x) {
				err = -ENOMEM;
				break;
			}
			put(x, "mac", jmac(e->mac), &err);
			put(x, "dst", jaddr(&e->r.ip), &err);
			put(x, "port", json_integer(e->r.port), &err);
			put(x, "vni", json_integer(e->r.vni), &err);
			put(x, "origin", json_string(origin_names[e->r.origin < FDB_ORIGIN_MAX ? e->r.origin : 0]),
			    &err);
			if (json_array_append_new(fdb, x) < 0)
				err = -ENOMEM;
		}
		for (unsigned j = 0; j < l->n_neigh; j++) {
			const struct statefile_neigh *e = &l->neigh[j];
			json_t *x = json_object();
			if (!x) {
				err = -ENOMEM;
				break;
			}
			put(x, "ip", jaddr(&e->ip), &err);
			put(x, "lladdr", jmac(e->mac), &err);
			put(x, "origin", json_string(origin_names[e->origin < FDB_ORIGIN_MAX ? e->origin : 0]), &err);
			if (json_array_append_new(neigh, x) < 0)
				err = -ENOMEM;
		}
		put(o, "fdb", fdb, &err);
		put(o, "neigh", neigh, &err);
		if (json_array_append_new(links, o) < 0)
			err = -ENOMEM;
	}
	put(root, "links", links, &err);
	char *text = err ? NULL : json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		errno = ENOMEM;
	return text;
}

/* ---- parsing ---- */

struct perr {
	char *buf;
	size_t len;
	int rc;
};

__attribute__((format(printf, 2, 3))) static int fail(struct perr *e, const char *fmt, ...)
{
	if (e->rc)
		return e->rc;
	va_list ap;
	va_start(ap, fmt);
	if (e->len)
		vsnprintf(e->buf, e->len, fmt, ap);
	va_end(ap);
	e->rc = -EINVAL;
	return e->rc;
}

/* An integer member in [min, max]; absent: 1 (and *v untouched). */
static int get_int(json_t *o, const char *key, long long min, long long max, long long *v, struct perr *e,
		   const char *where)
{
	json_t *j = json_object_get(o, key);
	if (!j)
		return 1;
	if (!json_is_integer(j))
		return fail(e, "%s.%s: not an integer", where, key);
	long long x = json_integer_value(j);
	if (x < min || x > max)
		return fail(e, "%s.%s: %lld is out of range %lld-%lld", where, key, x, min, max);
	*v = x;
	return 0;
}

static int get_str(json_t *o, const char *key, const char **v, struct perr *e, const char *where)
{
	json_t *j = json_object_get(o, key);
	if (!j)
		return 1;
	if (!json_is_string(j))
		return fail(e, "%s.%s: not a string", where, key);
	*v = json_string_value(j);
	return 0;
}

static int get_addr(json_t *o, const char *key, struct vx_addr *a, struct perr *e, const char *where)
{
	const char *s = NULL;
	int rc = get_str(o, key, &s, e, where);
	if (rc)
		return rc;
	if (addr_parse(s, a) < 0)
		return fail(e, "%s.%s: not an IP address", where, key);
	return 0;
}

static int get_mac(json_t *o, const char *key, uint8_t mac[MAC_LEN], struct perr *e, const char *where)
{
	const char *s = NULL;
	int rc = get_str(o, key, &s, e, where);
	if (rc)
		return rc;
	if (mac_parse(s, mac) < 0)
		return fail(e, "%s.%s: not a MAC address", where, key);
	return 0;
}

static int get_bool(json_t *o, const char *key, bool *v, struct perr *e, const char *where)
{
	json_t *j = json_object_get(o, key);
	if (!j)
		return 1;
	if (!json_is_boolean(j))
		return fail(e, "%s.%s: not true or false", where, key);
	*v = json_is_true(j);
	return 0;
}

static int get_name(json_t *o, const char *key, char *buf, size_t size, struct perr *e, const char *where)
{
	const char *s = NULL;
	int rc = get_str(o, key, &s, e, where);
	if (rc)
		return rc;
	if (strlen(s) >= size)
		return fail(e, "%s.%s: too long", where, key);
	strcpy(buf, s);
	return 0;
}

static int get_origin(json_t *o, uint8_t *origin, struct perr *e, const char *where)
{
	const char *s = NULL;
	int rc = get_str(o, "origin", &s, e, where);
	if (rc == 1)
		return fail(e, "%s.origin: missing", where);
	if (rc)
		return rc;
	for (unsigned i = 0; i < FDB_ORIGIN_MAX; i++) {
		if (i != FDB_ORIGIN_LEARNED && i != FDB_ORIGIN_LINK && !strcmp(s, origin_names[i])) {
			*origin = (uint8_t)i;
			return 0;
		}
	}
	return fail(e, "%s.origin: \"%s\" is not user or store", where, s);
}

static int parse_config(json_t *o, struct link_config *c, struct perr *e, const char *where)
{
	long long v;
	const char *s = NULL;
	if (!json_is_object(o))
		return fail(e, "%s: not an object", where);
	if (get_int(o, "id", 0, VXLAN_VNI_MAX, &v, e, where))
		return e->rc ? e->rc : fail(e, "%s.id: missing", where);
	c->vni = (uint32_t)v;
	if (!get_int(o, "dstport", 1, 65535, &v, e, where)) {
		c->dstport = (uint16_t)v;
		c->set |= LINK_P_DSTPORT;
	}
	if (!get_addr(o, "local", &c->local, e, where))
		c->set |= LINK_P_LOCAL;
	if (!get_addr(o, "remote", &c->remote, e, where))
		c->set |= LINK_P_REMOTE;
	if (!get_addr(o, "group", &c->group, e, where))
		c->set |= LINK_P_GROUP;
	if (!get_name(o, "dev", c->dev, sizeof(c->dev), e, where))
		c->set |= LINK_P_DEV;
	if (!get_bool(o, "learning", &c->learning, e, where))
		c->set |= LINK_P_LEARNING;
	if (!get_bool(o, "proxy", &c->proxy, e, where))
		c->set |= LINK_P_PROXY;
	if (!get_int(o, "ageing", 0, UINT32_MAX, &v, e, where)) {
		c->ageing = (uint32_t)v;
		c->set |= LINK_P_AGEING;
	}
	if (!get_int(o, "maxaddress", 0, UINT32_MAX, &v, e, where)) {
		c->maxaddress = (uint32_t)v;
		c->set |= LINK_P_MAXADDR;
	}
	if (!get_int(o, "ttl", 0, 255, &v, e, where)) {
		c->ttl = (uint8_t)v;
		c->set |= LINK_P_TTL;
	}
	json_t *tos = json_object_get(o, "tos");
	if (tos) {
		if (json_is_string(tos) && !strcmp(json_string_value(tos), "inherit")) {
			c->tos_inherit = true;
		} else if (!get_int(o, "tos", 0, 255, &v, e, where)) {
			c->tos = (uint8_t)v;
		}
		c->set |= LINK_P_TOS;
	}
	json_t *sp = json_object_get(o, "srcport");
	if (sp) {
		json_t *a = json_array_get(sp, 0), *b = json_array_get(sp, 1);
		if (!json_is_array(sp) || json_array_size(sp) != 2 || !json_is_integer(a) || !json_is_integer(b) ||
		    json_integer_value(a) < 1 || json_integer_value(a) > 65535 || json_integer_value(b) < 1 ||
		    json_integer_value(b) > 65535)
			return fail(e, "%s.srcport: not [MIN, MAX] ports", where);
		c->srcport_min = (uint16_t)json_integer_value(a);
		c->srcport_max = (uint16_t)json_integer_value(b);
		c->set |= LINK_P_SRCPORT;
	}
	if (!get_int(o, "mtu", 68, 65535, &v, e, where)) {
		c->mtu = (uint32_t)v;
		c->set |= LINK_P_MTU;
	}
	if (!get_mac(o, "address", c->address, e, where))
		c->set |= LINK_P_ADDRESS;
	if (!get_name(o, "netns", c->netns, sizeof(c->netns), e, where))
		c->set |= LINK_P_NETNS;
	if (!get_str(o, "datapath", &s, e, where)) {
		enum link_datapath d;
		if (link_datapath_parse(s, &d) < 0)
			return fail(e, "%s.datapath: not user or kernel", where);
		c->datapath = (uint8_t)d;
		c->set |= LINK_P_DATAPATH;
	}
	if (!get_str(o, "df", &s, e, where)) {
		unsigned i;
		for (i = 0; i <= LINK_DF_INHERIT && strcmp(s, link_df_name((enum link_df)i)); i++)
			;
		if (i > LINK_DF_INHERIT)
			return fail(e, "%s.df: not set, unset or inherit", where);
		c->df = (uint8_t)i;
		c->set |= LINK_P_DF;
	}
	if (!get_bool(o, "localbypass", &c->localbypass, e, where))
		c->set |= LINK_P_LOCALBYPASS;
	return e->rc;
}

static int parse_fdb(json_t *x, struct statefile *sf, const struct link_config *c, struct perr *e, const char *where)
{
	uint8_t mac[MAC_LEN];
	struct fdb_remote r = {0};
	long long v;
	if (!json_is_object(x))
		return fail(e, "%s: not an object", where);
	if (get_mac(x, "mac", mac, e, where))
		return e->rc ? e->rc : fail(e, "%s.mac: missing", where);
	if (get_addr(x, "dst", &r.ip, e, where))
		return e->rc ? e->rc : fail(e, "%s.dst: missing", where);
	r.port = c->dstport;
	r.vni = c->vni;
	if (!get_int(x, "port", 1, 65535, &v, e, where))
		r.port = (uint16_t)v;
	if (!get_int(x, "vni", 0, VXLAN_VNI_MAX, &v, e, where))
		r.vni = (uint32_t)v;
	if (e->rc || get_origin(x, &r.origin, e, where))
		return e->rc;
	return statefile_add_fdb(sf, mac, &r);
}

static int parse_neigh(json_t *x, struct statefile *sf, struct perr *e, const char *where)
{
	struct vx_addr ip;
	uint8_t mac[MAC_LEN], origin;
	if (!json_is_object(x))
		return fail(e, "%s: not an object", where);
	if (get_addr(x, "ip", &ip, e, where))
		return e->rc ? e->rc : fail(e, "%s.ip: missing", where);
	if (get_mac(x, "lladdr", mac, e, where))
		return e->rc ? e->rc : fail(e, "%s.lladdr: missing", where);
	if (get_origin(x, &origin, e, where))
		return e->rc;
	return statefile_add_neigh(sf, &ip, mac, origin);
}

static int parse_link(json_t *o, struct statefile *sf, struct perr *e, unsigned i)
{
	char where[64];
	struct link_config c;
	uint8_t origin;
	snprintf(where, sizeof(where), "links[%u]", i);
	if (!json_is_object(o))
		return fail(e, "%s: not an object", where);
	link_config_init(&c);
	if (get_name(o, "name", c.name, sizeof(c.name), e, where))
		return e->rc ? e->rc : fail(e, "%s.name: missing", where);
	if (get_origin(o, &origin, e, where))
		return e->rc;
	char cw[80];
	snprintf(cw, sizeof(cw), "%s.config", where);
	if (parse_config(json_object_get(o, "config"), &c, e, cw))
		return e->rc;
	const char *why = NULL;
	if (link_config_check(&c, &why) < 0)
		return fail(e, "%s: %s", where, why);
	for (unsigned j = 0; j < sf->n_links; j++)
		if (!strcmp(sf->links[j].cfg.name, c.name))
			return fail(e, "%s: link %s twice", where, c.name);
	bool up = false;
	char master[IFNAMSIZ] = "";
	if (get_bool(o, "up", &up, e, where) < 0 || get_name(o, "master", master, sizeof(master), e, where) < 0)
		return e->rc;
	if (statefile_add_link(sf, &c, origin) < 0)
		return -ENOMEM;
	statefile_set_link_state(sf, up, master);
	json_t *arr = json_object_get(o, "fdb");
	if (arr && !json_is_array(arr))
		return fail(e, "%s.fdb: not an array", where);
	size_t k;
	json_t *x;
	json_array_foreach(arr, k, x)
	{
		char fw[96];
		snprintf(fw, sizeof(fw), "%s.fdb[%zu]", where, k);
		if (parse_fdb(x, sf, &c, e, fw))
			return e->rc ? e->rc : -ENOMEM;
	}
	arr = json_object_get(o, "neigh");
	if (arr && !json_is_array(arr))
		return fail(e, "%s.neigh: not an array", where);
	json_array_foreach(arr, k, x)
	{
		char nw[96];
		snprintf(nw, sizeof(nw), "%s.neigh[%zu]", where, k);
		if (parse_neigh(x, sf, e, nw))
			return e->rc ? e->rc : -ENOMEM;
	}
	return 0;
}

int statefile_parse(const char *text, size_t len, struct statefile *sf, char *err, size_t errlen)
{
	struct perr e = {err, errlen, 0};
	json_error_t je;
	memset(sf, 0, sizeof(*sf));
	if (errlen)
		err[0] = 0;
	/* Integers beyond 64 bits and duplicate keys are refused by jansson. */
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		fail(&e, "not JSON (line %d: %s)", je.line, je.text);
		return e.rc;
	}
	int rc = 0;
	long long v = 0;
	json_t *links = json_object_get(root, "links");
	if (!json_is_object(root))
		rc = fail(&e, "not a JSON object");
	else if (get_int(root, "version", 1, 1000000, &v, &e, "state") || v != STATEFILE_VERSION)
		rc = e.rc ? e.rc : fail(&e, "state.version: %lld is not %d", v, STATEFILE_VERSION);
	else if (!json_is_array(links))
		rc = fail(&e, "state.links: missing or not an array");
	size_t i;
	json_t *o;
	if (!rc) {
		json_array_foreach(links, i, o)
		{
			rc = parse_link(o, sf, &e, (unsigned)i);
			if (rc)
				break;
		}
	}
	json_decref(root);
	if (rc)
		statefile_free(sf);
	return rc;
}
