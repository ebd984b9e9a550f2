/* priv: what the files of the cluster module share: its state, the local
 * endpoints, the requests in progress, and the functions each file offers
 * the others (cluster.c: life and requests; sync.c: registration, list,
 * watch, reconcile; attach.c: attach and detach; plumb.c: devices; local.c:
 * the local endpoints file). */
#ifndef VXNETD_CLUSTER_PRIV_H
#define VXNETD_CLUSTER_PRIV_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "cluster.h"
#include "events.h"
#include "loop.h"
#include "store.h"
#include "view.h"
#include "vxnet/cluster.h"
#include "vxnet/ctl.h"

struct core;
struct ctl_req;
struct nl;

/* An endpoint of this host: what attach made, enough to undo it, to publish
 * it again after a lease loss, and to find it again from detach. */
struct cl_ep {
	struct cl_ep *next;
	char network[CLUSTER_NAME_MAX + 1];
	char link[IFNAMSIZ];   /* the network's vxlan link (core, origin store) */
	char bridge[IFNAMSIZ]; /* the network's bridge */
	char veth[IFNAMSIZ];   /* the host's end of the veth pair */
	char ifname[IFNAMSIZ]; /* the container's end */
	char nspath[CTL_PATH_LEN];
	uint64_t ns_dev, ns_ino; /* the namespace's identity */
	uint8_t mac[MAC_LEN];
	struct vx_addr ip;
	uint8_t plen;
	uint32_t vni;
	int64_t ipam_rev; /* mod_revision of our IPAM claim (released with it) */
	bool published;	  /* its endpoint key was put (attach finished) */
};

enum cl_reg {
	REG_CHECK,  /* is the lease saved on disk still alive? */
	REG_GRANT,  /* grant a lease */
	REG_HOST,   /* put the host key on it */
	REG_REPUT,  /* put our endpoints on it */
	REG_DONE,   /* registered */
	REG_FAILED, /* the host name is another daemon's */
};

/* A request of a client in progress. */
struct cl_op {
	struct cl_op *next;
	struct cluster *cl;
	struct ctl_req *req;
	uint16_t type; /* CTL_MSG_* */
	char network[CLUSTER_NAME_MAX + 1];
	struct cluster_network net; /* network create */
	/* attach / detach */
	char nspath[CTL_PATH_LEN];
	char ifname[IFNAMSIZ];
	bool has_ip, has_mac;
	struct vx_addr ip;
	uint8_t plen;
	uint8_t mac[MAC_LEN];
	int nsfd;
	uint64_t ns_dev, ns_ino;
	uint64_t cand;	  /* next IPAM candidate index */
	unsigned tries;	  /* claims refused so far */
	struct cl_ep *ep; /* attach: the record being made; detach: the one going */
	/* the answer, once the view has caught up with our write */
	int64_t wait_rev;
	uint64_t deadline;
	bool waiting;
	char why[CTL_ERRMSG_LEN];
};

struct cluster {
	struct loop *loop;
	struct core *core;
	struct ctl_server *ctl;
	struct store *store;
	struct loop_src store_src;
	struct loop_timer timer; /* every 200 ms: retries, deadlines, checks */
	struct events_sub sub;
	struct nl *nl; /* rtnetlink in the daemon's namespace */
	struct view *view;
	char url[CTL_PATH_LEN];
	char host[CLUSTER_NAME_MAX + 1];
	char prefix[CLUSTER_PREFIX_MAX + 1];
	struct vx_addr underlay;
	unsigned ttl;
	char file[320]; /* the local endpoints file */

	/* registration */
	enum cl_reg reg;
	int64_t lease;
	int64_t saved_lease;
	bool registered_once;
	uint64_t retry_at; /* ms; 0: nothing to retry */
	unsigned reput_left;
	bool reput_failed;
	bool refused;
	uint64_t last_conflict_log;

	/* following the store */
	struct store_watch *watch;
	bool listing;
	bool view_ready;
	uint64_t list_retry_at;
	uint64_t relists;
	bool store_up;
	bool watch_down_logged;
	uint64_t last_check; /* ms: the last look at local endpoints' devices */

	struct cl_ep *eps;
	struct cl_op *ops;
};

/* cluster.c */
uint64_t cl_now(void);
void cl_op_finish(struct cl_op *op, int status, const char *why);
/* Answer once the view reached rev (bounded wait). */
void cl_op_wait(struct cl_op *op, int64_t rev);
/* Why the store cannot take a change now, or NULL. */
const char *cl_unavailable(struct cluster *cl);
/* Errors of the store for an answer: "cluster store unreachable: ..." etc. */
const char *cl_store_error(struct cluster *cl, int err, char *buf, size_t len);
int cl_key(struct cluster *cl, enum cluster_kind kind, const char *network, const char *host, const uint8_t *mac,
	   const struct vx_addr *ip, char *buf, size_t len);

/* sync.c */
void cl_sync_start(struct cluster *cl);
void cl_sync_tick(struct cluster *cl);
/* After the store's callbacks: judge the dirty networks, reconcile, answer waiters. */
void cl_sync_flush(struct cluster *cl);
void cl_on_lease_lost(struct cluster *cl, int64_t lease);
/* Put one local endpoint's key on our lease (cb may be NULL). */
int cl_publish(struct cluster *cl, const struct cl_ep *ep, store_done_cb cb, void *arg);
/* Reconcile network's store entries on this host now. */
void cl_reconcile(struct cluster *cl, const char *network);

/* attach.c */
void cl_attach(struct cl_op *op);
void cl_detach(struct cl_op *op);
/* The devices of local endpoints are checked: a vanished container is withdrawn. */
void cl_check_local(struct cluster *cl);

/* plumb.c */
void cl_plumb_names(uint32_t vni, const uint8_t mac[MAC_LEN], char link[IFNAMSIZ], char bridge[IFNAMSIZ],
		    char veth[IFNAMSIZ]);
/* The network's link (core, origin store) and bridge, made if missing, up,
 * the link in the bridge. *made: whether anything was created (undo it with
 * cl_plumb_network_remove when the attach fails). */
int cl_plumb_network(struct cluster *cl, const struct cl_ep *ep, const struct cluster_network *net, bool *made,
		     char *why, size_t len);
void cl_plumb_network_remove(struct cluster *cl, const char *link, const char *bridge);
/* Bring an existing link into its bridge and up again (after the core made it again). */
void cl_plumb_relink(struct cluster *cl, const char *link);
/* The veth pair into nsfd's namespace, its MAC, MTU, address, up. */
int cl_plumb_endpoint(struct cluster *cl, const struct cl_ep *ep, int nsfd, uint32_t mtu, char *why, size_t len);
void cl_plumb_endpoint_remove(struct cluster *cl, const struct cl_ep *ep);
/* Does the host's end of the endpoint's veth still exist? */
bool cl_plumb_endpoint_present(struct cluster *cl, const struct cl_ep *ep);
/* Open a NETNS as the CLI gives it (a name under /run/netns or a path). */
int cl_netns_open(const char *nspath, uint64_t *dev, uint64_t *ino, char *why, size_t len);
/* Does the namespace have an interface of that name? 1, 0 or -errno. */
int cl_netns_has(int nsfd, const char *ifname);

/* local.c */
int cl_local_load(struct cluster *cl);
int cl_local_save(struct cluster *cl);
struct cl_ep *cl_local_find(struct cluster *cl, const char *network, uint64_t ns_dev, uint64_t ns_ino,
			    const char *nspath);
/* Other local endpoints of network than ep. */
unsigned cl_local_count(struct cluster *cl, const char *network, const struct cl_ep *except);
void cl_local_add(struct cluster *cl, struct cl_ep *ep);
void cl_local_remove(struct cluster *cl, struct cl_ep *ep);

#endif
