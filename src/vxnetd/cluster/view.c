/* view: the store's keys as this daemon knows them, and what is in effect
 * (view.h). A hash table of every key under the prefix plus one list per
 * kind; conflicts are settled per network by sorting its endpoints. */
#include "view.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
	F_BAD_IP = 1u << 0,   /* address outside the network's subnet */
	F_LOST_MAC = 1u << 1, /* an older claim has the MAC */
	F_LOST_IP = 1u << 2,  /* an older claim has the address */
};

struct ent {
	struct ent *hnext;	 /* hash chain */
	struct ent *prev, *next; /* list of its kind (bad keys: their own list) */
	char *key;
	size_t key_len;
	bool bad; /* key or value refused: recorded, never used */
	struct cluster_key k;
	int64_t create_rev, mod_rev, lease;
	union {
		struct cluster_network net;
		struct cluster_host host;
		struct cluster_endpoint ep;
		struct cluster_ipam ipam;
	} u;
	unsigned flags; /* F_* of an endpoint, as of the last refresh */
	unsigned old;	/* flags before it: only news is warned about */
	bool eff;	/* endpoint in effect */
};

struct list {
	struct ent *head, *tail;
};

#define N_LISTS (CLUSTER_IPAM + 1) /* [0]: keys that did not parse */

struct view {
	char prefix[CLUSTER_PREFIX_MAX + 1];
	char me[CLUSTER_NAME_MAX + 1];
	view_warn_fn warn;
	void *warn_arg;
	struct ent **tab;
	size_t tab_size, n;
	struct list lists[N_LISTS];
	int64_t revision;
	char **dirty;
	size_t n_dirty, cap_dirty;
	uint64_t warnings;
};

/* ---- the table ---- */

static uint64_t hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h;
}

static struct ent *find(const struct view *v, const char *key, size_t len)
{
	for (struct ent *e = v->tab[hash(key, len) & (v->tab_size - 1)]; e; e = e->hnext)
		if (e->key_len == len && !memcmp(e->key, key, len))
			return e;
	return NULL;
}

static int grow(struct view *v)
{
	size_t size = v->tab_size * 2;
	struct ent **tab = calloc(size, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < v->tab_size; i++) {
		while (v->tab[i]) {
			struct ent *e = v->tab[i];
			v->tab[i] = e->hnext;
			size_t b = hash(e->key, e->key_len) & (size - 1);
			e->hnext = tab[b];
			tab[b] = e;
		}
	}
	free(v->tab);
	v->tab = tab;
	v->tab_size = size;
	return 0;
}

static void list_add(struct list *l, struct ent *e)
{
	e->next = NULL;
	e->prev = l->tail;
	if (l->tail)
		l->tail->next = e;
	else
		l->head = e;
	l->tail = e;
}

static void list_del(struct list *l, struct ent *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
}

static struct list *list_of(struct view *v, const struct ent *e)
{
	return &v->lists[e->k.kind < N_LISTS ? e->k.kind : 0];
}

static void unlink_ent(struct view *v, struct ent *e)
{
	struct ent **pp = &v->tab[hash(e->key, e->key_len) & (v->tab_size - 1)];
	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	list_del(list_of(v, e), e);
	v->n--;
}

/* ---- dirty networks ---- */

static void mark(struct view *v, const char *network)
{
	for (size_t i = 0; i < v->n_dirty; i++)
		if (!strcmp(v->dirty[i], network))
			return;
	if (v->n_dirty == v->cap_dirty) {
		size_t cap = v->cap_dirty ? v->cap_dirty * 2 : 8;
		char **d = realloc(v->dirty, cap * sizeof(*d));
		if (!d)
			return;
		v->dirty = d;
		v->cap_dirty = cap;
	}
	char *s = strdup(network);
	if (s)
		v->dirty[v->n_dirty++] = s;
}

/* Whatever e changes, for whom. */
static void mark_for(struct view *v, const struct ent *e)
{
	switch (e->k.kind) {
	case CLUSTER_NETWORK:
	case CLUSTER_ENDPOINT:
		mark(v, e->k.network);
		break;
	case CLUSTER_HOST:
		/* Every network the host has an endpoint in. */
		for (struct ent *x = v->lists[CLUSTER_ENDPOINT].head; x; x = x->next)
			if (!strcmp(x->k.host, e->k.host))
				mark(v, x->k.network);
		break;
	default:
		break;
	}
}

void view_take_dirty(struct view *v, void (*cb)(void *arg, const char *network), void *arg)
{
	/* cb may mark more: take the set first. */
	char **d = v->dirty;
	size_t n = v->n_dirty;
	v->dirty = NULL;
	v->n_dirty = v->cap_dirty = 0;
	for (size_t i = 0; i < n; i++) {
		cb(arg, d[i]);
		free(d[i]);
	}
	free(d);
}

/* ---- life ---- */

struct view *view_new(const char *prefix, const char *me, view_warn_fn warn, void *arg)
{
	if (cluster_prefix_check(prefix, NULL) < 0 || cluster_name_check(me, NULL) < 0) {
		errno = EINVAL;
		return NULL;
	}
	struct view *v = calloc(1, sizeof(*v));
	if (!v)
		return NULL;
	v->tab_size = 64;
	v->tab = calloc(v->tab_size, sizeof(*v->tab));
	if (!v->tab) {
		free(v);
		return NULL;
	}
	snprintf(v->prefix, sizeof(v->prefix), "%s", prefix);
	snprintf(v->me, sizeof(v->me), "%s", me);
	v->warn = warn;
	v->warn_arg = arg;
	return v;
}

static void free_ent(struct ent *e)
{
	free(e->key);
	free(e);
}

void view_clear(struct view *v)
{
	for (int k = 0; k < N_LISTS; k++) {
		struct ent *e = v->lists[k].head;
		while (e) {
			struct ent *next = e->next;
			/* Every network that had something is looked at again. */
			if (!e->bad && (k == CLUSTER_NETWORK || k == CLUSTER_ENDPOINT))
				mark(v, e->k.network);
			free_ent(e);
			e = next;
		}
		v->lists[k].head = v->lists[k].tail = NULL;
	}
	memset(v->tab, 0, v->tab_size * sizeof(*v->tab));
	v->n = 0;
	v->revision = 0;
}

void view_free(struct view *v)
{
	if (!v)
		return;
	view_clear(v);
	for (size_t i = 0; i < v->n_dirty; i++)
		free(v->dirty[i]);
	free(v->dirty);
	free(v->tab);
	free(v);
}

void view_set_revision(struct view *v, int64_t rev)
{
	if (rev > v->revision)
		v->revision = rev;
}

int64_t view_revision(const struct view *v)
{
	return v->revision;
}

/* ---- changes ---- */

static void warn(struct view *v, const char *key, size_t len, const char *why)
{
	/* Keys come from anyone: print them safely. */
	char buf[CLUSTER_KEY_MAX + 8];
	size_t n = len < sizeof(buf) - 4 ? len : sizeof(buf) - 4;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)key[i];
		buf[i] = c < 0x20 || c >= 0x7f ? '?' : (char)c;
	}
	if (n < len)
		memcpy(buf + n, "...", 3), n += 3;
	buf[n] = 0;
	v->warnings++;
	if (v->warn)
		v->warn(v->warn_arg, buf, why);
}

static int decode(struct ent *e, const char *value, size_t len, const char **why)
{
	switch (e->k.kind) {
	case CLUSTER_NETWORK:
		return cluster_network_decode(value, len, &e->u.net, why);
	case CLUSTER_HOST:
		return cluster_host_decode(value, len, &e->u.host, why);
	case CLUSTER_ENDPOINT:
		return cluster_endpoint_decode(value, len, &e->u.ep, why);
	case CLUSTER_IPAM:
		return cluster_ipam_decode(value, len, &e->u.ipam, why);
	}
	*why = "unknown kind";
	return -EINVAL;
}

void view_put(struct view *v, const char *key, size_t key_len, const char *value, size_t value_len, int64_t create_rev,
	      int64_t mod_rev, int64_t lease)
{
	struct cluster_key k;
	const char *why = NULL;
	int rc = cluster_key_parse(v->prefix, key, key_len, &k, &why);
	if (rc == -EOPNOTSUPP)
		return; /* a kind of a newer version: not ours */
	struct ent *e = find(v, key, key_len);
	unsigned flags = 0;
	if (e) {
		/* What was said about this key need not be said again. */
		flags = e->flags;
		if (!e->bad)
			mark_for(v, e);
		unlink_ent(v, e);
		free_ent(e);
	}
	e = calloc(1, sizeof(*e));
	if (!e || !(e->key = malloc(key_len + 1))) {
		free(e);
		return;
	}
	memcpy(e->key, key, key_len);
	e->key[key_len] = 0;
	e->key_len = key_len;
	e->create_rev = create_rev;
	e->mod_rev = mod_rev;
	e->lease = lease;
	e->flags = e->old = flags;
	if (rc < 0) {
		e->bad = true;
		warn(v, key, key_len, why ? why : "key refused");
	} else {
		e->k = k;
		if (decode(e, value, value_len, &why) < 0) {
			e->bad = true;
			warn(v, key, key_len, why ? why : "value refused");
		}
	}
	if (v->n >= v->tab_size && grow(v) < 0) {
		free_ent(e);
		return;
	}
	size_t b = hash(e->key, key_len) & (v->tab_size - 1);
	e->hnext = v->tab[b];
	v->tab[b] = e;
	v->n++;
	list_add(list_of(v, e), e);
	if (!e->bad)
		mark_for(v, e);
}

void view_del(struct view *v, const char *key, size_t key_len)
{
	struct ent *e = find(v, key, key_len);
	if (!e)
		return;
	unlink_ent(v, e);
	if (!e->bad)
		mark_for(v, e);
	free_ent(e);
}

/* ---- conflicts ---- */

static int claim_cmp(const struct ent *a, const struct ent *b)
{
	return cluster_claim_cmp(a->create_rev, a->k.host, b->create_rev, b->k.host);
}

static int by_mac(const void *pa, const void *pb)
{
	const struct ent *a = *(struct ent *const *)pa, *b = *(struct ent *const *)pb;
	int c = memcmp(a->k.mac, b->k.mac, MAC_LEN);
	return c ? c : claim_cmp(a, b);
}

static int addr_cmp(const struct vx_addr *a, const struct vx_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(&a->v6, &b->v6, a->family == AF_INET ? 4 : 16);
}

static int by_ip(const void *pa, const void *pb)
{
	const struct ent *a = *(struct ent *const *)pa, *b = *(struct ent *const *)pb;
	int c = addr_cmp(&a->u.ep.ip, &b->u.ep.ip);
	return c ? c : claim_cmp(a, b);
}

static const struct ent *find_kind(const struct view *v, enum cluster_kind kind, const char *network, const char *host)
{
	for (const struct ent *e = v->lists[kind].head; e; e = e->next)
		if (!e->bad && (!network || !strcmp(e->k.network, network)) && (!host || !strcmp(e->k.host, host)))
			return e;
	return NULL;
}

const struct cluster_network *view_network(const struct view *v, const char *name)
{
	const struct ent *e = find_kind(v, CLUSTER_NETWORK, name, NULL);
	return e ? &e->u.net : NULL;
}

const struct cluster_host *view_host(const struct view *v, const char *name)
{
	const struct ent *e = find_kind(v, CLUSTER_HOST, NULL, name);
	return e ? &e->u.host : NULL;
}

int64_t view_host_lease(const struct view *v, const char *name)
{
	for (const struct ent *e = v->lists[CLUSTER_HOST].head; e; e = e->next)
		if (!strcmp(e->k.host, name))
			return e->lease;
	return 0;
}

void view_refresh(struct view *v, const char *network)
{
	const struct cluster_network *net = view_network(v, network);
	size_t n = 0, cap = 0;
	struct ent **c = NULL;
	for (struct ent *e = v->lists[CLUSTER_ENDPOINT].head; e; e = e->next) {
		if (e->bad || strcmp(e->k.network, network))
			continue;
		e->old = e->flags;
		e->flags = 0;
		e->eff = false;
		if (!net)
			continue; /* not (yet) a network: nothing to judge it by */
		if (cluster_addr_check(&net->subnet, &e->u.ep.ip, NULL) < 0) {
			e->flags = F_BAD_IP;
			continue;
		}
		if (!view_host(v, e->k.host))
			continue; /* its host is gone (or not there yet) */
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct ent **x = realloc(c, ncap * sizeof(*c));
			if (!x)
				break;
			c = x;
			cap = ncap;
		}
		c[n++] = e;
	}
	/* The older claim of each MAC wins, then of each address among the winners. */
	if (n > 1) {
		qsort(c, n, sizeof(*c), by_mac);
		for (size_t i = 1; i < n; i++)
			if (!memcmp(c[i]->k.mac, c[i - 1]->k.mac, MAC_LEN))
				c[i]->flags |= F_LOST_MAC;
		qsort(c, n, sizeof(*c), by_ip);
		const struct ent *last = NULL;
		for (size_t i = 0; i < n; i++) {
			if (c[i]->flags & F_LOST_MAC)
				continue;
			if (last && !addr_cmp(&last->u.ep.ip, &c[i]->u.ep.ip))
				c[i]->flags |= F_LOST_IP;
			else
				last = c[i];
		}
	}
	for (size_t i = 0; i < n; i++)
		c[i]->eff = !c[i]->flags;
	free(c);
	for (struct ent *e = v->lists[CLUSTER_ENDPOINT].head; e; e = e->next) {
		if (e->bad || strcmp(e->k.network, network))
			continue;
		unsigned news = e->flags & ~e->old;
		if (news & F_BAD_IP)
			warn(v, e->key, e->key_len, "ip is outside the network's subnet");
		if (news & F_LOST_MAC)
			warn(v, e->key, e->key_len, "MAC already claimed by an older endpoint of the network");
		if (news & F_LOST_IP)
			warn(v, e->key, e->key_len, "ip already claimed by an older endpoint of the network");
		e->old = e->flags;
	}
}

/* ---- reading ---- */

static int ent_key_cmp(const void *pa, const void *pb)
{
	const struct ent *a = *(struct ent *const *)pa, *b = *(struct ent *const *)pb;
	size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
	int c = memcmp(a->key, b->key, n);
	return c ? c : (a->key_len > b->key_len) - (a->key_len < b->key_len);
}

/* The entries of kind (valid, of network when not NULL, in effect when
 * eff_only), sorted by key; NULL when none. */
static struct ent **collect(const struct view *v, enum cluster_kind kind, const char *network, bool eff_only,
			    size_t *out_n)
{
	size_t n = 0;
	for (struct ent *e = v->lists[kind].head; e; e = e->next)
		if (!e->bad && (!network || !strcmp(e->k.network, network)) && (!eff_only || e->eff))
			n++;
	*out_n = 0;
	if (!n)
		return NULL;
	struct ent **a = malloc(n * sizeof(*a));
	if (!a)
		return NULL;
	for (struct ent *e = v->lists[kind].head; e; e = e->next)
		if (!e->bad && (!network || !strcmp(e->k.network, network)) && (!eff_only || e->eff))
			a[(*out_n)++] = e;
	qsort(a, n, sizeof(*a), ent_key_cmp);
	return a;
}

void view_foreach_network(const struct view *v,
			  void (*cb)(void *arg, const char *name, const struct cluster_network *n, int64_t create_rev),
			  void *arg)
{
	size_t n;
	struct ent **a = collect(v, CLUSTER_NETWORK, NULL, false, &n);
	for (size_t i = 0; i < n; i++)
		cb(arg, a[i]->k.network, &a[i]->u.net, a[i]->create_rev);
	free(a);
}

void view_foreach_endpoint(const struct view *v, const char *network,
			   void (*cb)(void *arg, const struct view_endpoint *e), void *arg)
{
	size_t n;
	struct ent **a = collect(v, CLUSTER_ENDPOINT, network, true, &n);
	for (size_t i = 0; i < n; i++) {
		const struct cluster_host *h = view_host(v, a[i]->k.host);
		if (!h)
			continue;
		struct view_endpoint x = {.network = a[i]->k.network,
					  .host = a[i]->k.host,
					  .ip = a[i]->u.ep.ip,
					  .underlay = h->underlay,
					  .create_rev = a[i]->create_rev};
		memcpy(x.mac, a[i]->k.mac, MAC_LEN);
		cb(arg, &x);
	}
	free(a);
}

static int host_cmp(const void *pa, const void *pb)
{
	const struct ent *a = *(struct ent *const *)pa, *b = *(struct ent *const *)pb;
	return strcmp(a->k.host, b->k.host);
}

void view_foreach_member(const struct view *v, const char *network, bool with_me,
			 void (*cb)(void *arg, const char *host, const struct vx_addr *underlay), void *arg)
{
	size_t n;
	struct ent **a = collect(v, CLUSTER_ENDPOINT, network, true, &n);
	if (n > 1)
		qsort(a, n, sizeof(*a), host_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i && !strcmp(a[i]->k.host, a[i - 1]->k.host))
			continue;
		if (!with_me && !strcmp(a[i]->k.host, v->me))
			continue;
		const struct cluster_host *h = view_host(v, a[i]->k.host);
		if (h)
			cb(arg, a[i]->k.host, &h->underlay);
	}
	free(a);
}

bool view_ip_taken(const struct view *v, const char *network, const struct vx_addr *ip, const char **by)
{
	for (const struct ent *e = v->lists[CLUSTER_IPAM].head; e; e = e->next) {
		if (strcmp(e->k.network, network) || !addr_equal(&e->k.ip, ip))
			continue;
		if (by)
			*by = e->bad ? "" : e->u.ipam.host;
		return true;
	}
	for (const struct ent *e = v->lists[CLUSTER_ENDPOINT].head; e; e = e->next) {
		if (e->bad || strcmp(e->k.network, network) || !addr_equal(&e->u.ep.ip, ip))
			continue;
		if (by)
			*by = e->k.host;
		return true;
	}
	return false;
}

bool view_mac_taken(const struct view *v, const char *network, const uint8_t mac[MAC_LEN], const char **by)
{
	for (const struct ent *e = v->lists[CLUSTER_ENDPOINT].head; e; e = e->next) {
		if (strcmp(e->k.network, network) || !mac_equal(e->k.mac, mac))
			continue;
		if (by)
			*by = e->k.host;
		return true;
	}
	return false;
}

unsigned view_endpoint_count(const struct view *v, const char *network)
{
	unsigned n = 0;
	for (const struct ent *e = v->lists[CLUSTER_ENDPOINT].head; e; e = e->next)
		n += !strcmp(e->k.network, network);
	return n;
}

const char *view_vni_user(const struct view *v, uint32_t vni, const char *name)
{
	for (const struct ent *e = v->lists[CLUSTER_NETWORK].head; e; e = e->next)
		if (!e->bad && e->u.net.vni == vni && strcmp(e->k.network, name))
			return e->k.network;
	return NULL;
}

void view_get_stats(const struct view *v, struct view_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->keys = v->n;
	st->warnings = v->warnings;
	for (int k = 0; k < N_LISTS; k++) {
		for (const struct ent *e = v->lists[k].head; e; e = e->next) {
			if (e->bad || (e->flags & F_BAD_IP))
				st->invalid++;
			else if (e->flags)
				st->conflicts++;
		}
	}
}
