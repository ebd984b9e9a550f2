/* neigh: the IP -> MAC table of one link for proxy ARP / ND (semantics in
 * include/vxnet/neigh.h). A chained hash table keyed by (family, address)
 * with power-of-two buckets doubled as it fills, so the lookup done for each
 * ARP request or neighbour solicitation is O(1) and allocation-free; a list
 * in insertion order gives `neigh show` a stable order. */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "vxnet/neigh.h"

#define NEIGH_INIT_BITS 4
#define NEIGH_MAX_BITS 28

/* The address in a canonical form: struct vx_addr's union leaves 12 bytes
 * undefined for IPv4, so it is never hashed or compared as a whole. */
struct neigh_key {
	sa_family_t family;
	uint8_t b[16]; /* IPv4 in b[0..3], rest zero */
};

struct neigh_node {
	struct neigh_key key;
	struct vx_addr ip; /* what foreach reports, canonical too */
	uint8_t mac[MAC_LEN];
	uint8_t origin;
	struct neigh_node *hnext;
	struct neigh_node *prev, *next;
};

struct neigh {
	unsigned max_entries;
	unsigned count;
	unsigned bits;
	uint64_t seed; /* addresses in ARP requests come from the network: keep placement unpredictable */
	struct neigh_node **buckets;
	struct neigh_node *head, *tail;
};

static int key_make(const struct vx_addr *ip, struct neigh_key *k)
{
	memset(k, 0, sizeof(*k));
	if (!ip)
		return -EINVAL;
	k->family = ip->family;
	if (ip->family == AF_INET)
		memcpy(k->b, &ip->v4, sizeof(ip->v4));
	else if (ip->family == AF_INET6)
		memcpy(k->b, &ip->v6, sizeof(ip->v6));
	else
		return -EINVAL;
	return 0;
}

static bool key_equal(const struct neigh_key *a, const struct neigh_key *b)
{
	return a->family == b->family && memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static size_t neigh_slot(uint64_t seed, unsigned bits, const struct neigh_key *k)
{
	uint64_t lo, hi;

	memcpy(&lo, k->b, 8);
	memcpy(&hi, k->b + 8, 8);
	/* The family goes in too: 192.0.2.1 and c000:201:: have the same
	 * bytes but are different keys, and should not share a chain. */
	return (size_t)(mix64(mix64(lo ^ seed) ^ hi ^ k->family) & (((uint64_t)1 << bits) - 1));
}

static struct neigh_node *neigh_find(const struct neigh *n, const struct neigh_key *k)
{
	struct neigh_node *e = n->buckets[neigh_slot(n->seed, n->bits, k)];

	while (e && !key_equal(&e->key, k))
		e = e->hnext;
	return e;
}

struct neigh *neigh_new(unsigned max_entries)
{
	struct neigh *n = calloc(1, sizeof(*n));

	if (!n)
		goto fail;
	n->max_entries = max_entries;
	n->bits = NEIGH_INIT_BITS;
	n->buckets = calloc((size_t)1 << n->bits, sizeof(*n->buckets));
	if (!n->buckets)
		goto fail;
	if (getrandom(&n->seed, sizeof(n->seed), GRND_NONBLOCK) != (ssize_t)sizeof(n->seed))
		n->seed = mix64((uint64_t)(uintptr_t)n); /* no entropy yet: still per table with ASLR */
	return n;
fail:
	free(n);
	errno = ENOMEM;
	return NULL;
}

void neigh_free(struct neigh *n)
{
	struct neigh_node *e, *next;

	if (!n)
		return;
	for (e = n->head; e; e = next) {
		next = e->next;
		free(e);
	}
	free(n->buckets);
	free(n);
}

unsigned neigh_count(const struct neigh *n)
{
	return n->count;
}

/* On allocation failure the table keeps its size: slower, still correct. */
static void neigh_grow(struct neigh *n)
{
	unsigned bits = n->bits + 1;
	struct neigh_node **nb;

	if (bits > NEIGH_MAX_BITS)
		return;
	nb = calloc((size_t)1 << bits, sizeof(*nb));
	if (!nb)
		return;
	for (struct neigh_node *e = n->head; e; e = e->next) {
		size_t s = neigh_slot(n->seed, bits, &e->key);

		e->hnext = nb[s];
		nb[s] = e;
	}
	free(n->buckets);
	n->buckets = nb;
	n->bits = bits;
}

static int neigh_insert(struct neigh *n, const struct neigh_key *k, const uint8_t mac[MAC_LEN], uint8_t origin)
{
	struct neigh_node *e;
	size_t s;

	if (n->max_entries && n->count >= n->max_entries)
		return -ENOSPC;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->key = *k;
	e->ip.family = k->family;
	if (k->family == AF_INET)
		memcpy(&e->ip.v4, k->b, sizeof(e->ip.v4));
	else
		memcpy(&e->ip.v6, k->b, sizeof(e->ip.v6));
	memcpy(e->mac, mac, MAC_LEN);
	e->origin = origin;

	s = neigh_slot(n->seed, n->bits, k);
	e->hnext = n->buckets[s];
	n->buckets[s] = e;
	e->prev = n->tail;
	if (n->tail)
		n->tail->next = e;
	else
		n->head = e;
	n->tail = e;
	n->count++;
	if (n->count > ((size_t)1 << n->bits))
		neigh_grow(n);
	return 0;
}

int neigh_add(struct neigh *n, const struct vx_addr *ip, const uint8_t mac[MAC_LEN], uint8_t origin)
{
	struct neigh_key k;

	if (key_make(ip, &k))
		return -EINVAL;
	if (neigh_find(n, &k))
		return -EEXIST;
	return neigh_insert(n, &k, mac, origin);
}

int neigh_replace(struct neigh *n, const struct vx_addr *ip, const uint8_t mac[MAC_LEN], uint8_t origin)
{
	struct neigh_node *e;
	struct neigh_key k;

	if (key_make(ip, &k))
		return -EINVAL;
	e = neigh_find(n, &k);
	if (!e)
		return neigh_insert(n, &k, mac, origin);
	memcpy(e->mac, mac, MAC_LEN);
	e->origin = origin;
	return 0;
}

int neigh_del(struct neigh *n, const struct vx_addr *ip)
{
	struct neigh_node **pp, *e;
	struct neigh_key k;

	if (key_make(ip, &k))
		return -ENOENT;
	pp = &n->buckets[neigh_slot(n->seed, n->bits, &k)];
	while (*pp && !key_equal(&(*pp)->key, &k))
		pp = &(*pp)->hnext;
	e = *pp;
	if (!e)
		return -ENOENT;
	*pp = e->hnext;
	if (e->prev)
		e->prev->next = e->next;
	else
		n->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		n->tail = e->prev;
	n->count--;
	free(e);
	return 0;
}

int neigh_get(const struct neigh *n, const struct vx_addr *ip, uint8_t mac[MAC_LEN], uint8_t *origin)
{
	const struct neigh_node *e;
	struct neigh_key k;

	if (key_make(ip, &k))
		return -ENOENT;
	e = neigh_find(n, &k);
	if (!e)
		return -ENOENT;
	memcpy(mac, e->mac, MAC_LEN);
	if (origin)
		*origin = e->origin;
	return 0;
}

int neigh_lookup(const struct neigh *n, const struct vx_addr *ip, uint8_t mac[MAC_LEN])
{
	return neigh_get(n, ip, mac, NULL);
}

void neigh_foreach(const struct neigh *n, neigh_entry_cb cb, void *arg)
{
	for (const struct neigh_node *e = n->head; e; e = e->next)
		cb(&e->ip, e->mac, e->origin, arg);
}
