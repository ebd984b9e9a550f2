/* vxnetd internals: the daemon's objects (links, underlay sockets, control
 * clients) shared by its modules. One daemon per network namespace; all
 * state hangs off struct daemon, single-threaded around one epoll loop. */
#ifndef VXNETD_H
#define VXNETD_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "vxnet/addr.h"
#include "vxnet/ctl.h"
#include "vxnet/fdb.h"
#include "vxnet/neigh.h"

/* What an epoll event points at. */
enum ev_kind { EV_SIGNAL, EV_TIMER, EV_CTL_LISTEN, EV_CTL_CLIENT, EV_TAP, EV_UDP };
struct ev_src {
	enum ev_kind kind;
	void *obj;
};

/* The receive side of one (family, dstport): a UDP socket bound to the
 * wildcard address, shared by every link on that port and demultiplexed by
 * VNI, as the kernel shares its vxlan_sock. */
struct vsock {
	struct ev_src ev;
	int fd;
	int family;
	uint16_t port;
	unsigned nlinks;
	/* VNI -> link, open addressing, capacity a power of two */
	struct link **vni_tab;
	unsigned vni_cap;
	uint64_t stats[CTL_SOCKSTAT_MAX];
	bool dead;
	struct vsock *next;
};

struct link {
	struct ev_src ev;
	struct link_config cfg; /* as given, defaults filled */
	int tap_fd;
	int ifindex;           /* in the namespace the TAP lives in */
	int family;            /* underlay family */
	uint32_t dev_ifindex;  /* underlay device, 0 = none */
	unsigned mtu;          /* the TAP MTU we set */
	unsigned path_limit;   /* largest inner payload the underlay carries */
	struct vx_addr local;  /* source address, AF_UNSPEC = routing decides */
	struct fdb *fdb;
	struct neigh *neigh;
	struct vsock *sock;
	uint64_t stats[CTL_STAT_MAX];
	bool dead;
	struct link *next;
};

struct client;

struct daemon {
	int epfd;
	int sigfd;
	int timerfd;
	int ctl_fd;
	int tx_fd4, tx_fd6; /* raw IPPROTO_UDP sockets for sending, -1 until needed */
	/* UDP GSO sockets by [family][source port]: -1 not opened yet, -2 the
	 * port cannot be bound (the raw path serves that flow). */
	int *gso_fd[2];
	unsigned n_gso;
	bool gso_broken; /* the kernel refused UDP_SEGMENT: raw path only */
	struct ev_src ev_sig, ev_timer, ev_ctl;
	char sock_path[108];
	bool stop;
	struct link *links;
	struct vsock *socks;
	struct client *clients;
	struct link *dead_links;   /* removed, freed after the epoll batch */
	struct vsock *dead_socks;
	unsigned n_monitors;
	struct dp *dp; /* datapath buffers */
};

/* monotonic milliseconds: the clock handed to the FDB */
uint64_t now_ms(void);

/* daemon.c: links and sockets */
struct link *daemon_link_find(struct daemon *d, const char *name);
int daemon_link_add(struct daemon *d, const struct link_config *cfg, const char **why);
int daemon_link_del(struct daemon *d, const char *name, const char **why);
void daemon_links_free(struct daemon *d);
void daemon_age(struct daemon *d);
/* Free what was removed during this epoll batch. */
void daemon_reap(struct daemon *d);
/* Fill the link's defaults into a user-given remote (port, vni); check family. */
int daemon_remote_from_req(const struct link *l, const struct fdb_req *r, struct fdb_remote *out, const char **why);

/* VNI -> link on one socket; NULL if none */
struct link *vsock_lookup(const struct vsock *s, uint32_t vni);

/* ctl_server.c */
int ctl_server_open(struct daemon *d, const char *path);
void ctl_server_close(struct daemon *d);
void ctl_server_accept(struct daemon *d);
void ctl_server_client_input(struct daemon *d, struct client *c);
void ctl_server_clients_free(struct daemon *d);
void ctl_server_reap(struct daemon *d);
/* Events for `vxnet monitor`; cheap when nobody listens. */
void event_fdb(struct daemon *d, const struct link *l, enum ctl_event ev, const uint8_t mac[MAC_LEN],
	       const struct fdb_remote *r, enum fdb_state state);
void event_l2miss(struct daemon *d, const struct link *l, const uint8_t mac[MAC_LEN]);
void event_l3miss(struct daemon *d, const struct link *l, const struct vx_addr *ip);
void event_neigh(struct daemon *d, const struct link *l, enum ctl_event ev, const struct vx_addr *ip,
		 const uint8_t mac[MAC_LEN]);
void event_link(struct daemon *d, const struct link *l, enum ctl_event ev);

/* dp_user.c: the forwarding engine */
void dp_gso_close(struct daemon *d);
struct dp *dp_new(void);
void dp_free(struct dp *dp);
void dp_tap_input(struct daemon *d, struct link *l);
void dp_udp_input(struct daemon *d, struct vsock *s);

#endif
