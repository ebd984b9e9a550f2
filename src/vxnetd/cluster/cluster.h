/* cluster: vxnetd's part in a cluster of hosts sharing networks through a
 * store (etcd): it registers this host under a lease, follows the store
 * (list, then watch) and installs every other host's endpoints of the
 * networks this host is a member of as permanent fdb and neigh entries of
 * origin store, and it answers `vxnet network ...`, `attach` and `detach`.
 * docs/store.md describes the keys and the behaviour. */
#ifndef VXNETD_CLUSTER_H
#define VXNETD_CLUSTER_H

#include <stdbool.h>

struct core;
struct ctl_server;
struct loop;
struct cluster;

struct cluster_opts {
	const char *url;      /* --store etcd://HOST:PORT[,...] */
	const char *host;     /* --host, NULL: the hostname */
	const char *underlay; /* --underlay ADDR, NULL: the source of the default route */
	const char *prefix;   /* --store-prefix, NULL: /vxnet */
	const char *cacert, *cert, *key;
	unsigned lease_ttl; /* --lease-ttl seconds, 0: 10 */
};

#define CLUSTER_LEASE_TTL_DEFAULT 10
#define CLUSTER_LEASE_TTL_MAX 3600

/* Check the options and start: the store client, this host's registration
 * (asynchronous), the answers to the cluster requests of ctl. The local
 * endpoints are kept in state_dir/cluster.json. NULL on a bad option or a
 * failure, with *why (a static or internal string) to log. */
struct cluster *cluster_open(struct loop *lp, struct core *core, struct ctl_server *ctl, const struct cluster_opts *o,
			     const char *state_dir, const char **why);
/* Answer what is pending with an error, stop following the store. The lease
 * is left to expire by its TTL: a restart takes it over (saved on disk)
 * without other hosts seeing this host's endpoints go. */
void cluster_close(struct cluster *cl);
/* This host's name is held in the store by another vxnetd: the daemon must
 * not run (the loop was stopped). */
bool cluster_refused(const struct cluster *cl);

#endif
