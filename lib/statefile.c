/* statefile: vxnetd's desired-state file, to and from JSON (statefile.h). */
#include "vxnet/statefile.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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

/* The file is written by hand rather than through a jansson tree: a
 * daemon with 2000 links or 5000 entries writes it on every change, and the
 * tree (one allocation per value, then a dump) cost 25 ms a time, 10x the
 * writing below. The text is exactly what json_dumps(JSON_INDENT(1) |
 * JSON_PRESERVE_ORDER) makes of the same values (tests/unit/test_statefile.c
 * holds it to that), and the parser reads it with jansson as before. */
struct jw {
	char *buf;
	size_t len, cap;
	int err;
	unsigned depth;
	bool first[8]; /* per open container: nothing in it yet */
};

static bool jw_grow(struct jw *w, size_t n)
{
	size_t cap = w->cap ? w->cap : 4096;
	while (cap - w->len < n + 1)
		cap *= 2;
	char *b = realloc(w->buf, cap);
	if (!b) {
		w->err = -ENOMEM;
		return false;
	}
	w->buf = b;
	w->cap = cap;
	return true;
}

/* Append n bytes (the NUL comes at the end, in statefile_format). */
static inline void jw_raw(struct jw *w, const char *s, size_t n)
{
	if (w->err || (w->cap - w->len < n + 1 && !jw_grow(w, n)))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void jw_s(struct jw *w, const char *s)
{
	jw_raw(w, s, strlen(s));
}

/* Valid UTF-8 (jansson refuses anything else, in json_string and when
 * reading the file back): no overlong forms, surrogates or code points
 * above U+10FFFF. */
static bool utf8_ok(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s, n, cp;
		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false;
		for (unsigned i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

/* A JSON string, escaped as jansson escapes it. NULL is a failure, as
 * json_string(NULL) is. */
static void jw_str(struct jw *w, const char *s)
{
	if (!s || !utf8_ok((const unsigned char *)s)) {
		if (!w->err)
			w->err = -EINVAL;
		return;
	}
	jw_raw(w, "\"", 1);
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		jw_raw(w, run, (size_t)(s - run));
		char esc[8];
		switch (c) {
		case '"':
			jw_s(w, "\\\"");
			break;
		case '\\':
			jw_s(w, "\\\\");
			break;
		case '\b':
			jw_s(w, "\\b");
			break;
		case '\f':
			jw_s(w, "\\f");
			break;
		case '\n':
			jw_s(w, "\\n");
			break;
		case '\r':
			jw_s(w, "\\r");
			break;
		case '\t':
			jw_s(w, "\\t");
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", c);
			jw_s(w, esc);
			break;
		}
		run = s + 1;
	}
	jw_raw(w, run, (size_t)(s - run));
	jw_raw(w, "\"", 1);
}

static void jw_int(struct jw *w, long long v)
{
	char b[24], *p = b + sizeof(b);
	unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	jw_raw(w, p, (size_t)(b + sizeof(b) - p));
}

static void jw_bool(struct jw *w, bool v)
{
	jw_s(w, v ? "true" : "false");
}

/* Before a value in the open container: its separator and indentation. */
static void jw_next(struct jw *w)
{
	static const char spaces[] = "        ";
	if (!w->first[w->depth])
		jw_raw(w, ",", 1);
	w->first[w->depth] = false;
	jw_raw(w, "\n", 1);
	jw_raw(w, spaces, w->depth < sizeof(spaces) ? w->depth : sizeof(spaces) - 1);
}

static void jw_key(struct jw *w, const char *k)
{
	jw_next(w);
	jw_str(w, k);
	jw_raw(w, ": ", 2);
}

static void jw_open(struct jw *w, char c)
{
	jw_raw(w, &c, 1);
	if (w->depth + 1 >= sizeof(w->first) / sizeof(w->first[0])) {
		w->err = -EINVAL;
		return;
	}
	w->first[++w->depth] = true;
}

static void jw_close(struct jw *w, char c)
{
	static const char spaces[] = "        ";
	if (w->err)
		return;
	if (!w->first[w->depth]) {
		jw_raw(w, "\n", 1);
		jw_raw(w, spaces, w->depth - 1);
	}
	jw_raw(w, &c, 1);
	w->depth--;
}

static void jw_addr(struct jw *w, const struct vx_addr *a)
{
	if (a->family == AF_INET) {
		/* inet_ntop goes through sprintf: by hand, as often as this runs. */
		const uint8_t *b = (const uint8_t *)&a->v4;
		jw_raw(w, "\"", 1);
		for (int i = 0; i < 4; i++) {
			if (i)
				jw_raw(w, ".", 1);
			jw_int(w, b[i]);
		}
		jw_raw(w, "\"", 1);
		return;
	}
	char buf[ADDR_STRLEN];
	addr_format(a, buf, sizeof(buf));
	jw_str(w, buf);
}

static void jw_mac(struct jw *w, const uint8_t mac[MAC_LEN])
{
	char buf[MAC_STRLEN];
	mac_format(mac, buf);
	jw_str(w, buf);
}

static const char *origin_name(unsigned o)
{
	return origin_names[o < FDB_ORIGIN_MAX ? o : 0];
}

static void config_json(struct jw *w, const struct link_config *c)
{
	unsigned s = c->set;
	jw_open(w, '{');
	jw_key(w, "id");
	jw_int(w, c->vni);
	if (s & LINK_P_DSTPORT)
		jw_key(w, "dstport"), jw_int(w, c->dstport);
	if (s & LINK_P_LOCAL)
		jw_key(w, "local"), jw_addr(w, &c->local);
	if (s & LINK_P_REMOTE)
		jw_key(w, "remote"), jw_addr(w, &c->remote);
	if (s & LINK_P_GROUP)
		jw_key(w, "group"), jw_addr(w, &c->group);
	if (s & LINK_P_DEV)
		jw_key(w, "dev"), jw_str(w, c->dev);
	if (s & LINK_P_LEARNING)
		jw_key(w, "learning"), jw_bool(w, c->learning);
	if (s & LINK_P_PROXY)
		jw_key(w, "proxy"), jw_bool(w, c->proxy);
	if (s & LINK_P_AGEING)
		jw_key(w, "ageing"), jw_int(w, c->ageing);
	if (s & LINK_P_MAXADDR)
		jw_key(w, "maxaddress"), jw_int(w, c->maxaddress);
	if (s & LINK_P_TTL)
		jw_key(w, "ttl"), jw_int(w, c->ttl);
	if (s & LINK_P_TOS) {
		jw_key(w, "tos");
		if (c->tos_inherit)
			jw_str(w, "inherit");
		else
			jw_int(w, c->tos);
	}
	if (s & LINK_P_SRCPORT) {
		jw_key(w, "srcport");
		jw_open(w, '[');
		jw_next(w), jw_int(w, c->srcport_min);
		jw_next(w), jw_int(w, c->srcport_max);
		jw_close(w, ']');
	}
	if (s & LINK_P_MTU)
		jw_key(w, "mtu"), jw_int(w, c->mtu);
	if (s & LINK_P_ADDRESS)
		jw_key(w, "address"), jw_mac(w, c->address);
	if (s & LINK_P_NETNS)
		jw_key(w, "netns"), jw_str(w, c->netns);
	if (c->datapath)
		jw_key(w, "datapath"), jw_str(w, link_datapath_name(c->datapath));
	if (s & LINK_P_DF)
		jw_key(w, "df"), jw_str(w, link_df_name(c->df));
	if (s & LINK_P_LOCALBYPASS)
		jw_key(w, "localbypass"), jw_bool(w, c->localbypass);
	jw_close(w, '}');
}

char *statefile_format(const struct statefile *sf)
{
	struct jw w = {0};
	jw_open(&w, '{');
	jw_key(&w, "version");
	jw_int(&w, STATEFILE_VERSION);
	jw_key(&w, "links");
	jw_open(&w, '[');
	for (unsigned i = 0; i < sf->n_links && !w.err; i++) {
		const struct statefile_link *l = &sf->links[i];
		jw_next(&w);
		jw_open(&w, '{');
		jw_key(&w, "name"), jw_str(&w, l->cfg.name);
		jw_key(&w, "origin"), jw_str(&w, origin_name(l->origin));
		jw_key(&w, "config"), config_json(&w, &l->cfg);
		jw_key(&w, "up"), jw_bool(&w, l->up);
		if (l->master[0])
			jw_key(&w, "master"), jw_str(&w, l->master);
		jw_key(&w, "fdb");
		jw_open(&w, '[');
		for (unsigned j = 0; j < l->n_fdb; j++) {
			const struct statefile_fdb *e = &l->fdb[j];
			jw_next(&w);
			jw_open(&w, '{');
			jw_key(&w, "mac"), jw_mac(&w, e->mac);
			jw_key(&w, "dst"), jw_addr(&w, &e->r.ip);
			jw_key(&w, "port"), jw_int(&w, e->r.port);
			jw_key(&w, "vni"), jw_int(&w, e->r.vni);
			jw_key(&w, "origin"), jw_str(&w, origin_name(e->r.origin));
			jw_close(&w, '}');
		}
		jw_close(&w, ']');
		jw_key(&w, "neigh");
		jw_open(&w, '[');
		for (unsigned j = 0; j < l->n_neigh; j++) {
			const struct statefile_neigh *e = &l->neigh[j];
			jw_next(&w);
			jw_open(&w, '{');
			jw_key(&w, "ip"), jw_addr(&w, &e->ip);
			jw_key(&w, "lladdr"), jw_mac(&w, e->mac);
			jw_key(&w, "origin"), jw_str(&w, origin_name(e->origin));
			jw_close(&w, '}');
		}
		jw_close(&w, ']');
		jw_close(&w, '}');
	}
	jw_close(&w, ']');
	jw_close(&w, '}');
	if (!w.err && (w.cap > w.len || jw_grow(&w, 0)))
		w.buf[w.len] = 0;
	if (w.err) {
		free(w.buf);
		errno = -w.err;
		return NULL;
	}
	return w.buf;
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
