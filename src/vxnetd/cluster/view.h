/* view: what the cluster store holds under the prefix, as this daemon
 * knows it from its list and watch: every key (valid or not), decoded with
 * lib/cluster.c, and what follows from them for one network: which
 * endpoints are in effect (valid, their host known, winning any MAC or IP
 * conflict: the older claim wins) and which hosts are its members.
 *
 * Pure: no I/O, no store, no core. Bad data is recorded (never in effect),
 * counted, and reported once through the warn callback with the key and the
 * reason; the caller logs it. Unit-tested in tests/unit/test_view.c. */
#ifndef VXNETD_CLUSTER_VIEW_H
#define VXNETD_CLUSTER_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vxnet/cluster.h"

struct view;

/* Why a key is not used. */
typedef void (*view_warn_fn)(void *arg, const char *key, const char *why);

/* prefix: the store prefix ("/vxnet"); me: this host's name (its endpoints
 * are in effect like the others, but are not members of the flood list).
 * NULL and errno on failure. */
struct view *view_new(const char *prefix, const char *me, view_warn_fn warn, void *arg);
void view_free(struct view *v);
/* Forget everything (before a relist); every network is dirty after. */
void view_clear(struct view *v);

/* A key was created or changed (create/mod revisions as the store has them). */
void view_put(struct view *v, const char *key, size_t key_len, const char *value, size_t value_len, int64_t create_rev,
	      int64_t mod_rev, int64_t lease);
/* A key was deleted. */
void view_del(struct view *v, const char *key, size_t key_len);
/* The store revision the view reflects (the caller sets it from list and
 * watch headers). */
void view_set_revision(struct view *v, int64_t rev);
int64_t view_revision(const struct view *v);

/* Networks whose state may have changed since the last view_take_dirty():
 * cb runs once per name, then the set is empty. */
void view_take_dirty(struct view *v, void (*cb)(void *arg, const char *network), void *arg);
/* Recompute which endpoints of network are in effect (and warn once about
 * each newly conflicting or misplaced one). Call for each dirty network
 * before reading it. */
void view_refresh(struct view *v, const char *network);

/* A valid network, or NULL. */
const struct cluster_network *view_network(const struct view *v, const char *name);
/* Every valid network, sorted by name. */
void view_foreach_network(const struct view *v,
			  void (*cb)(void *arg, const char *name, const struct cluster_network *n, int64_t create_rev),
			  void *arg);
/* A valid host, or NULL. */
const struct cluster_host *view_host(const struct view *v, const char *name);

struct view_endpoint {
	const char *network;
	const char *host;
	uint8_t mac[MAC_LEN];
	struct vx_addr ip;
	struct vx_addr underlay; /* the host's */
	int64_t create_rev;
};
/* Endpoints of network in effect (as of the last view_refresh), in key order. */
void view_foreach_endpoint(const struct view *v, const char *network,
			   void (*cb)(void *arg, const struct view_endpoint *e), void *arg);
/* Member hosts of network (hosts with an endpoint in effect), sorted by
 * name, each once; this host only when with_me. */
void view_foreach_member(const struct view *v, const char *network, bool with_me,
			 void (*cb)(void *arg, const char *host, const struct vx_addr *underlay), void *arg);

/* Whether an address or a MAC of network is claimed by anyone: an IPAM
 * claim or any endpoint key (valid or not). *by (may be NULL) gets the
 * claiming host ("" when unknown). */
bool view_ip_taken(const struct view *v, const char *network, const struct vx_addr *ip, const char **by);
bool view_mac_taken(const struct view *v, const char *network, const uint8_t mac[MAC_LEN], const char **by);
/* The number of endpoint keys under network (valid or not). */
unsigned view_endpoint_count(const struct view *v, const char *network);
/* The VNI used by another valid network than name, or NULL. */
const char *view_vni_user(const struct view *v, uint32_t vni, const char *name);
/* The host key's lease, 0 if absent. */
int64_t view_host_lease(const struct view *v, const char *name);

struct view_stats {
	uint64_t keys;	    /* keys held (valid or not) */
	uint64_t invalid;   /* keys now skipped as bad data (key, value, or address outside the subnet) */
	uint64_t conflicts; /* endpoints now losing a MAC or IP claim to an older one */
	uint64_t warnings;  /* warn lines so far */
};
void view_get_stats(const struct view *v, struct view_stats *st);

#endif
