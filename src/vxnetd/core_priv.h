/* core_priv: what the core's three files share, and no one else: core.c
 * (the core, its links, the events), core_fdb.c (the forwarding entries'
 * change API) and core_reconcile.c (putting back what the datapaths lost,
 * their upcalls). */
#ifndef VXNETD_CORE_PRIV_H
#define VXNETD_CORE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "core.h"

struct core {
	struct loop *loop;
	struct events events;
	struct dp *dps[LINK_DP_MAX + 1];
	enum link_datapath def;
	struct dp_user_limits ulim;
	struct core_link *links; /* newest first */
	struct reaper *reaper;
	int (*persist)(struct core *c, void *arg);
	void *persist_arg;
	bool dirty;
};

/* --- the model and its events (core.c) --- */

/* Publish an fdb event of l to the subscribers (r may be NULL). */
void core_publish_fdb(struct core *c, const struct core_link *l, enum ctl_event type, const uint8_t mac[MAC_LEN],
		      const struct fdb_remote *r, enum fdb_state state);
/* Publish a neigh event of l (mac may be NULL). */
void core_publish_neigh(struct core *c, const struct core_link *l, enum ctl_event type, const struct vx_addr *ip,
			const uint8_t *mac, uint8_t origin);
void core_publish_link(struct core *c, const struct core_link *l, enum ctl_event type);
/* The model changed: core_commit() will run the persist callback. */
void core_changed(struct core *c);

/* --- the forwarding entries (core_fdb.c) --- */

/* The same remote (address, port, VNI, ifindex; not the origin). */
bool core_remote_same(const struct fdb_remote *a, const struct fdb_remote *b);
/* The wanted remote equal to r of the entry mac, or NULL. */
const struct fdb_remote *core_want_remote(const struct core_link *l, const uint8_t mac[MAC_LEN],
					  const struct fdb_remote *r);

/* --- reconcile (core_reconcile.c) --- */

/* Install one wanted remote again (an entry there already is no error). */
int core_reinstall(struct core_link *l, const uint8_t mac[MAC_LEN], const struct fdb_remote *r);

#endif
