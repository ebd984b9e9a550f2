/* core: the daemon's model and its one change API.
 *
 * The model is the set of links (their configuration and datapath) and, per
 * link, the forwarding entries vxnet wants installed, each with its origin
 * (user, link, store). Every change, whoever asks (a control client,
 * learning, ageing, reconcile, later the store), goes through one function
 * per object here: validate, hand it to the link's datapath, update the
 * model, publish the event. Learned entries live only in the datapath.
 *
 * Desired state wins: core_reconcile() compares each datapath with the
 * model and puts back what was removed behind vxnet's back; it never touches
 * entries vxnet did not install. */
#ifndef VXNETD_CORE_H
#define VXNETD_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "dp.h"
#include "events.h"
#include "vxnet/ctl.h"
#include "vxnet/fdb.h"
#include "vxnet/neigh.h"

struct loop;
struct reaper;

struct core_link {
	struct link_config cfg; /* as given, defaults filled; cfg.address from the device */
	struct dp *dp;		/* the provider serving it */
	void *dpl;		/* the provider's per-link state */
	int ifindex;		/* in the namespace the device lives in */
	unsigned mtu;		/* the MTU set at creation */
	int family;		/* underlay address family */
	uint8_t origin;		/* enum fdb_origin: who created the link */
	struct fdb *want_fdb;	/* entries vxnet installed (permanent, every origin but learned) */
	struct neigh *want_neigh;
	bool gone; /* the device vanished: re-created by the next reconcile */
	/* The device's up state and bridge master as last seen: a device made
	 * again (after `ip link del`, or at a start where it was missing) gets
	 * them back. */
	bool up;
	char master[IFNAMSIZ];
	struct core_link *next;
};

enum core_op { CORE_ADD, CORE_APPEND, CORE_REPLACE, CORE_DEL };

struct core;

/* A core with the given default datapath for links that do not name one.
 * Providers are created on first use (core_set_dp installs one ahead, e.g.
 * the null provider in tests). NULL and errno on failure. */
struct core *core_new(struct loop *lp, enum link_datapath def);
/* Stop: release == true leaves every device in place (restart without
 * loss); false removes them. Frees everything. */
void core_free(struct core *c, bool release);
void core_set_dp(struct core *c, enum link_datapath d, struct dp *dp);
/* How many sockets the user datapath may open for UDP GSO (the rest of the
 * daemon's file descriptor budget is for clients and devices). */
void core_set_fd_budget(struct core *c, unsigned gso_sockets);
/* The user datapath's packet workers (0: one per CPU), whether they poll,
 * and how long they poll after a turn with packets (microseconds). */
void core_set_user_workers(struct core *c, unsigned workers, bool busy_poll, unsigned linger_us);
/* How many learned entries the user datapath holds in all (0: no limit). */
void core_set_max_learned(struct core *c, unsigned max_learned);
/* Where the datapaths hand devices to remove, away from the loop (reaper.h);
 * NULL without a loop (unit tests): they remove them in place. */
struct reaper *core_reaper(struct core *c);
struct events *core_events(struct core *c);
enum link_datapath core_default_dp(const struct core *c);

/* Called after every model change (not for learned entries): e.g. write
 * the state file. core_commit() runs it if anything changed since. */
void core_set_persist(struct core *c, int (*fn)(struct core *c, void *arg), void *arg);
int core_commit(struct core *c);

/* ---- the change API; each returns 0 or -errno with *why a one-line reason ---- */
/* adopt: from the state file at start, a device of that name may be taken over. */
int core_link_add(struct core *c, const struct link_config *cfg, uint8_t origin, bool adopt, const char **why);
/* core_link_add with the up state and bridge master a device made anew
 * should get (the state file's; a taken-over device keeps its own). */
int core_link_add_state(struct core *c, const struct link_config *cfg, uint8_t origin, bool adopt, bool up,
			const char *master, const char **why);
/* `link set`: change what change->set names on a live link (the kernel's
 * rules: link_config_check_change), on either datapath, keeping its fdb. */
int core_link_set(struct core *c, const struct link_config *change, uint8_t origin, const char **why);
/* Only the link's owner may remove it (-EPERM otherwise). */
int core_link_del(struct core *c, const char *name, uint8_t origin, const char **why);
int core_fdb(struct core *c, enum core_op op, const struct fdb_req *req, uint8_t origin, const char **why);
int core_neigh(struct core *c, enum core_op op, const struct neigh_req *req, uint8_t origin, const char **why);
/* Make sure an entry is installed and wanted with r->origin, whatever the
 * datapath already holds (a restart, the store's reconcile): no error if it
 * is there. No event. */
int core_fdb_ensure(struct core *c, const char *link, const uint8_t mac[MAC_LEN], const struct fdb_remote *r,
		    const char **why);
int core_neigh_ensure(struct core *c, const char *link, const struct vx_addr *ip, const uint8_t mac[MAC_LEN],
		      uint8_t origin, const char **why);
/* Remove every entry of origin from link l (NULL: every link). */
void core_flush_origin(struct core *c, struct core_link *l, uint8_t origin);

/* ---- reading ---- */
struct core_link *core_link_find(struct core *c, const char *name);
/* Oldest first, as ip link show orders them. */
void core_link_foreach(struct core *c, void (*cb)(struct core_link *l, void *arg), void *arg);
/* What the datapath holds, with each remote's origin as vxnet knows it
 * (CTL_ORIGIN_OTHER for entries someone else installed). */
int core_fdb_dump(struct core *c, struct core_link *l, dp_fdb_cb cb, void *arg);
typedef void (*core_neigh_cb)(const struct vx_addr *ip, const uint8_t mac[MAC_LEN], unsigned origin, void *arg);
int core_neigh_dump(struct core *c, struct core_link *l, core_neigh_cb cb, void *arg);
void core_stats(struct core *c, struct core_link *l, dp_stat_cb cb, void *arg);
unsigned core_oper_mtu(struct core *c, struct core_link *l);

/* Once a second: the datapaths' ageing, then reconcile. */
void core_tick(struct core *c);
/* Put back what vxnet wants and the datapaths lost. */
void core_reconcile(struct core *c);

/* The upcalls the providers are given. */
extern const struct dp_upcalls core_upcalls;

#endif
