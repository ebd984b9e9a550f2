/* attach: `vxnet attach NETNS network NAME` and `vxnet detach`, as a
 * sequence of steps each of which is undone when a later one fails:
 *
 *   attach: check -> claim the address (IPAM key, put-if-absent; the next
 *           free one when none was given) -> the network's link and bridge
 *           (first endpoint) -> the veth pair into NETNS, MAC, MTU, address,
 *           up -> reconcile (this host is a member now) -> publish the
 *           endpoint key on our lease -> answer once our view has it.
 *   detach: delete the endpoint key -> release the claim (only the one we
 *           made: delete-if-revision) -> remove the veth pair, and the link
 *           and bridge with the last endpoint -> answer.
 *
 * A container whose namespace went away without a detach is found by a
 * periodic look at the veths and withdrawn the same way. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

#define IPAM_TRIES 64	      /* claims lost to other hosts before giving up */
#define ATTACH_CLAIM_MS 12000 /* a claim is tried again (outcome unknown, election) until then */

static void claim_start(struct cl_op *op);
static void plumb_and_publish(struct cl_op *op);

static void released(void *arg, int err, const struct store_txn_result *r)
{
	struct cluster *cl = arg;
	(void)r;
	if (err < 0)
		log_err("cluster: cannot release an address claim: %s", store_last_error(cl->store));
}

/* Release our IPAM claim of ep's address (made at revision rev). */
static int release_claim(struct cluster *cl, const char *network, const struct vx_addr *ip, int64_t rev,
			 store_txn_cb cb, void *arg)
{
	char key[CLUSTER_KEY_MAX];
	int rc = cl_key(cl, CLUSTER_IPAM, network, NULL, NULL, ip, key, sizeof(key));
	if (rc == 0)
		rc = store_delete_if(cl->store, key, rev, cb ? cb : released, cb ? arg : cl);
	return rc;
}

static void fail_op(struct cl_op *op, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail_op(struct cl_op *op, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(op->why, sizeof(op->why), fmt, ap);
	va_end(ap);
	cl_op_finish(op, rc, op->why);
}

/* ---- attach ---- */

static void claim_done(void *arg, int err, const struct store_txn_result *r);

static void claim_check(void *arg, int err, const struct store_list_result *r)
{
	struct cl_op *op = arg;
	struct cluster_ipam v;
	/* Ours if it names us and our MAC: the broken put went through. */
	if (err == 0 && r->n == 1 && cluster_ipam_decode(r->kvs[0].value, r->kvs[0].value_len, &v, NULL) == 0 &&
	    !strcmp(v.host, op->cl->host) && v.has_mac && mac_equal(v.mac, op->mac)) {
		struct store_txn_result t = {.succeeded = true, .revision = r->kvs[0].mod_revision};
		claim_done(op, 0, &t);
		return;
	}
	if (err == 0 && r->n == 1) {
		struct store_txn_result t = {.succeeded = false, .existing = &r->kvs[0]};
		claim_done(op, 0, &t);
		return;
	}
	if (err == 0 && r->n == 0 && cl_now() < op->deadline) {
		claim_start(op); /* it did not go through: again */
		return;
	}
	if ((err == -ETIMEDOUT || err == -EAGAIN) && cl_now() < op->deadline) {
		char key[CLUSTER_KEY_MAX];
		if (cl_key(op->cl, CLUSTER_IPAM, op->network, NULL, NULL, &op->ip, key, sizeof(key)) == 0 &&
		    store_get(op->cl->store, key, claim_check, op) == 0)
			return;
	}
	char buf[CTL_ERRMSG_LEN];
	fail_op(op, err < 0 ? err : -EIO, "claiming the address: %s",
		cl_store_error(op->cl, err < 0 ? err : -EIO, buf, sizeof(buf)));
}

static void claim_done(void *arg, int err, const struct store_txn_result *r)
{
	struct cl_op *op = arg;
	struct cluster *cl = op->cl;
	char ip[ADDR_STRLEN], buf[CTL_ERRMSG_LEN];
	addr_format(&op->ip, ip, sizeof(ip));
	if (err == -EIO || err == -ETIMEDOUT || err == -EAGAIN) {
		/* The outcome is unknown (or etcd is electing a leader): read
		 * the claim, and claim again if it is not there. */
		char key[CLUSTER_KEY_MAX];
		if (cl_key(cl, CLUSTER_IPAM, op->network, NULL, NULL, &op->ip, key, sizeof(key)) == 0 &&
		    store_get(cl->store, key, claim_check, op) == 0)
			return;
	}
	if (err < 0) {
		fail_op(op, err, "claiming %s: %s", ip, cl_store_error(cl, err, buf, sizeof(buf)));
		return;
	}
	if (!r->succeeded) {
		struct cluster_ipam v;
		const char *by = "?";
		if (r->existing && cluster_ipam_decode(r->existing->value, r->existing->value_len, &v, NULL) == 0)
			by = v.host;
		if (op->has_ip) {
			fail_op(op, -EADDRINUSE, "%s is taken in network %s (claimed by host %s)", ip, op->network, by);
			return;
		}
		if (++op->tries >= IPAM_TRIES) {
			fail_op(op, -EAGAIN, "every address tried was claimed meanwhile by another host: try again");
			return;
		}
		op->cand++;
		claim_start(op);
		return;
	}
	op->ep->ipam_rev = r->revision;
	plumb_and_publish(op);
}

/* The next address to claim (given, else the first that looks free). */
static void claim_start(struct cl_op *op)
{
	struct cluster *cl = op->cl;
	const struct cluster_network *net = view_network(cl->view, op->network);
	const char *by = NULL;
	char ip[ADDR_STRLEN], mac[MAC_STRLEN];
	if (!net) {
		fail_op(op, -ENOENT, "no such network %s (deleted meanwhile?)", op->network);
		return;
	}
	if (op->has_ip) {
		addr_format(&op->ip, ip, sizeof(ip));
		if (view_ip_taken(cl->view, op->network, &op->ip, &by)) {
			fail_op(op, -EADDRINUSE, "%s is taken in network %s (claimed by host %s)", ip, op->network,
				*by ? by : "?");
			return;
		}
	} else {
		for (;; op->cand++) {
			int rc = cluster_subnet_host(&net->subnet, op->cand, &op->ip);
			if (rc < 0) {
				fail_op(op, -ENOSPC, "no free address left in network %s", op->network);
				return;
			}
			if (view_ip_taken(cl->view, op->network, &op->ip, NULL))
				continue;
			if (!op->has_mac && (cluster_mac_from_ip(&op->ip, op->mac) < 0 ||
					     view_mac_taken(cl->view, op->network, op->mac, NULL)))
				continue;
			break;
		}
		addr_format(&op->ip, ip, sizeof(ip));
	}
	if (!op->has_mac && op->has_ip && cluster_mac_from_ip(&op->ip, op->mac) < 0) {
		fail_op(op, -EINVAL, "cannot derive a MAC from %s", ip);
		return;
	}
	mac_format(op->mac, mac);
	if (view_mac_taken(cl->view, op->network, op->mac, &by)) {
		fail_op(op, -EADDRINUSE, "MAC %s is taken in network %s (by host %s)", mac, op->network, by);
		return;
	}
	char key[CLUSTER_KEY_MAX], *val;
	size_t n;
	struct cluster_ipam v = {.has_mac = true};
	snprintf(v.host, sizeof(v.host), "%s", cl->host);
	memcpy(v.mac, op->mac, MAC_LEN);
	int rc = cl_key(cl, CLUSTER_IPAM, op->network, NULL, NULL, &op->ip, key, sizeof(key));
	if (rc == 0)
		rc = cluster_ipam_encode(&v, &val, &n);
	if (rc < 0) {
		fail_op(op, rc, "cannot encode the address claim");
		return;
	}
	rc = store_put_if_absent(cl->store, key, val, n, 0, claim_done, op);
	free(val);
	if (rc < 0)
		fail_op(op, rc, "cannot ask the store: %s", strerror(-rc));
}

/* Undo what an attach made after its claim: devices, record, claim. */
static void attach_undo(struct cl_op *op, bool devices, bool network_made)
{
	struct cluster *cl = op->cl;
	struct cl_ep *ep = op->ep;
	if (devices)
		cl_plumb_endpoint_remove(cl, ep);
	cl_local_remove(cl, ep);
	if (network_made || (devices && !cl_local_count(cl, ep->network, NULL)))
		cl_plumb_network_remove(cl, ep->link, ep->bridge);
	release_claim(cl, ep->network, &ep->ip, ep->ipam_rev, NULL, NULL);
	free(ep);
	op->ep = NULL;
}

static void published(void *arg, int err, int64_t revision, int64_t deleted)
{
	struct cl_op *op = arg;
	struct cluster *cl = op->cl;
	(void)deleted;
	/* A put is harmless to repeat: again through an election. */
	if ((err == -ETIMEDOUT || err == -EAGAIN || err == -EIO) && cl_now() < op->deadline &&
	    cl_publish(cl, op->ep, published, op) == 0)
		return;
	if (err < 0) {
		char buf[CTL_ERRMSG_LEN], key[CLUSTER_KEY_MAX];
		/* A broken put may have gone through: remove what may be there. */
		if (err == -EIO &&
		    cl_key(cl, CLUSTER_ENDPOINT, op->network, cl->host, op->mac, NULL, key, sizeof(key)) == 0)
			store_delete(cl->store, key, false, NULL, NULL);
		cl_store_error(cl, err, buf, sizeof(buf));
		attach_undo(op, true, false);
		cl_reconcile(cl, op->network);
		fail_op(op, err, "publishing the endpoint: %s", buf);
		return;
	}
	op->ep->published = true;
	cl_local_save(cl);
	char ip[ADDR_STRLEN], mac[MAC_STRLEN];
	addr_format(&op->ep->ip, ip, sizeof(ip));
	mac_format(op->ep->mac, mac);
	log_info("cluster: attached %s (%s) to network %s: %s %s/%u %s", op->ep->nspath, op->ep->veth, op->network,
		 op->ep->ifname, ip, op->ep->plen, mac);
	cl_op_wait(op, revision);
}

static void plumb_and_publish(struct cl_op *op)
{
	struct cluster *cl = op->cl;
	struct cl_ep *ep = op->ep;
	const struct cluster_network *net = view_network(cl->view, op->network);
	bool made = false;
	if (!net) {
		release_claim(cl, op->network, &op->ip, ep->ipam_rev, NULL, NULL);
		fail_op(op, -ENOENT, "no such network %s (deleted meanwhile?)", op->network);
		return;
	}
	ep->ip = op->ip;
	memcpy(ep->mac, op->mac, MAC_LEN);
	ep->plen = net->subnet.plen;
	ep->vni = net->vni;
	cl_plumb_names(net->vni, ep->mac, ep->link, ep->bridge, ep->veth);
	/* The network's devices may be shared with another attach on its
	 * way: the record is there from now on, so a detach of the last
	 * other endpoint leaves them. */
	int rc = cl_plumb_network(cl, ep, net, &made, op->why, sizeof(op->why));
	if (rc < 0) {
		release_claim(cl, op->network, &op->ip, ep->ipam_rev, NULL, NULL);
		cl_op_finish(op, rc, op->why);
		return;
	}
	cl_local_add(cl, ep);
	rc = cl_plumb_endpoint(cl, ep, op->nsfd, net->mtu, op->why, sizeof(op->why));
	if (rc < 0) {
		attach_undo(op, false, made);
		cl_op_finish(op, rc, op->why);
		return;
	}
	/* A member now: the other hosts' endpoints go in before ours is known. */
	cl_reconcile(cl, op->network);
	rc = cl_publish(cl, ep, published, op);
	if (rc < 0) {
		attach_undo(op, true, false);
		cl_reconcile(cl, op->network);
		fail_op(op, rc, "cannot publish the endpoint: %s", strerror(-rc));
	}
}

void cl_attach(struct cl_op *op)
{
	struct cluster *cl = op->cl;
	const char *why = cl_unavailable(cl);
	if (why) {
		cl_op_finish(op, -EAGAIN, why);
		return;
	}
	const struct cluster_network *net = view_network(cl->view, op->network);
	if (!net) {
		fail_op(op, -ENOENT, "no such network %s", op->network);
		return;
	}
	if (op->has_ip) {
		const char *w = NULL;
		char ip[ADDR_STRLEN];
		addr_format(&op->ip, ip, sizeof(ip));
		if (cluster_addr_check(&net->subnet, &op->ip, &w) < 0) {
			fail_op(op, -EINVAL, "%s cannot be used in network %s: %s", ip, op->network, w);
			return;
		}
		if (op->plen != net->subnet.plen) {
			fail_op(op, -EINVAL, "the prefix length must be the network's (/%u)", net->subnet.plen);
			return;
		}
	}
	op->nsfd = cl_netns_open(op->nspath, &op->ns_dev, &op->ns_ino, op->why, sizeof(op->why));
	if (op->nsfd < 0) {
		cl_op_finish(op, op->nsfd, op->why);
		return;
	}
	struct cl_ep *old = cl_local_find(cl, op->network, op->ns_dev, op->ns_ino, op->nspath);
	if (old) {
		fail_op(op, -EEXIST, "%s is attached to network %s already (as %s)", op->nspath, op->network,
			old->ifname);
		return;
	}
	int rc = cl_netns_has(op->nsfd, op->ifname);
	if (rc != 0) {
		if (rc > 0)
			fail_op(op, -EEXIST, "%s has an interface %s already", op->nspath, op->ifname);
		else
			fail_op(op, rc, "cannot read the interfaces of %s: %s", op->nspath, strerror(-rc));
		return;
	}
	op->ep = calloc(1, sizeof(*op->ep));
	if (!op->ep) {
		cl_op_finish(op, -ENOMEM, NULL);
		return;
	}
	snprintf(op->ep->network, sizeof(op->ep->network), "%s", op->network);
	snprintf(op->ep->ifname, sizeof(op->ep->ifname), "%s", op->ifname);
	snprintf(op->ep->nspath, sizeof(op->ep->nspath), "%s", op->nspath);
	op->ep->ns_dev = op->ns_dev;
	op->ep->ns_ino = op->ns_ino;
	op->cand = 1;
	/* How long a claim may be tried again through a failover or an election. */
	op->deadline = cl_now() + ATTACH_CLAIM_MS;
	claim_start(op);
}

/* ---- detach ---- */

/* Remove ep's devices (and the network's with the last endpoint) and record. */
static void teardown(struct cluster *cl, struct cl_ep *ep)
{
	cl_plumb_endpoint_remove(cl, ep);
	cl_local_remove(cl, ep);
	if (!cl_local_count(cl, ep->network, NULL))
		cl_plumb_network_remove(cl, ep->link, ep->bridge);
	cl_local_save(cl);
	free(ep);
}

static void detach_released(void *arg, int err, const struct store_txn_result *r)
{
	struct cl_op *op = arg;
	struct cluster *cl = op->cl;
	char buf[CTL_ERRMSG_LEN];
	struct cl_ep *ep = op->ep;
	int64_t rev = op->wait_rev;
	op->ep = NULL;
	teardown(cl, ep);
	if (err < 0 || !r->succeeded) {
		/* Ours no more (or unreadable): it is not released by us. */
		fail_op(op, err < 0 ? err : -ESTALE, "detached, but the address claim was not released: %s",
			err < 0 ? cl_store_error(cl, err, buf, sizeof(buf)) : "it changed since it was made");
		return;
	}
	cl_op_wait(op, r->revision > rev ? r->revision : rev);
}

static void unpublished(void *arg, int err, int64_t revision, int64_t deleted)
{
	struct cl_op *op = arg;
	struct cluster *cl = op->cl;
	char buf[CTL_ERRMSG_LEN];
	(void)deleted;
	if (err < 0) {
		op->ep->published = true;
		fail_op(op, err, "removing the endpoint from the store: %s (nothing changed)",
			cl_store_error(cl, err, buf, sizeof(buf)));
		return;
	}
	log_info("cluster: detached %s from network %s", op->ep->nspath, op->network);
	op->wait_rev = revision;
	int rc = release_claim(cl, op->network, &op->ep->ip, op->ep->ipam_rev, detach_released, op);
	if (rc < 0) {
		struct store_txn_result t = {0};
		detach_released(op, rc, &t);
	}
}

void cl_detach(struct cl_op *op)
{
	struct cluster *cl = op->cl;
	const char *why = cl_unavailable(cl);
	if (why) {
		cl_op_finish(op, -EAGAIN, why);
		return;
	}
	char tmp[CTL_ERRMSG_LEN];
	int fd = cl_netns_open(op->nspath, &op->ns_dev, &op->ns_ino, tmp, sizeof(tmp));
	if (fd >= 0)
		close(fd);
	else
		op->ns_dev = op->ns_ino = 0; /* gone: known by its name only */
	struct cl_ep *ep = cl_local_find(cl, op->network, op->ns_dev, op->ns_ino, op->nspath);
	if (!ep) {
		fail_op(op, -ENOENT, "%s is not attached to network %s on this host", op->nspath, op->network);
		return;
	}
	if (!ep->published) {
		fail_op(op, -EBUSY, "%s is being attached or detached: try again", op->nspath);
		return;
	}
	char key[CLUSTER_KEY_MAX];
	int rc = cl_key(cl, CLUSTER_ENDPOINT, ep->network, cl->host, ep->mac, NULL, key, sizeof(key));
	if (rc == 0)
		rc = store_delete(cl->store, key, false, unpublished, op);
	if (rc < 0) {
		fail_op(op, rc, "cannot ask the store: %s", strerror(-rc));
		return;
	}
	ep->published = false;
	op->ep = ep;
}

/* ---- containers gone without a detach ---- */

struct gone {
	struct cluster *cl;
	struct cl_ep *ep;
};

static void withdrawn(void *arg, int err, int64_t revision, int64_t deleted)
{
	struct gone *g = arg;
	struct cluster *cl = g->cl;
	struct cl_ep *ep = g->ep;
	(void)revision;
	(void)deleted;
	free(g);
	if (err < 0) {
		/* Still published: the next look tries again. */
		ep->published = true;
		return;
	}
	char network[CLUSTER_NAME_MAX + 1];
	snprintf(network, sizeof(network), "%s", ep->network);
	release_claim(cl, ep->network, &ep->ip, ep->ipam_rev, NULL, NULL);
	teardown(cl, ep);
	cl_reconcile(cl, network);
}

void cl_check_local(struct cluster *cl)
{
	if (cl->reg != REG_DONE || !cl->store_up)
		return;
	for (struct cl_ep *ep = cl->eps; ep; ep = ep->next) {
		if (!ep->published || cl_plumb_endpoint_present(cl, ep))
			continue;
		char key[CLUSTER_KEY_MAX];
		struct gone *g = malloc(sizeof(*g));
		if (!g || cl_key(cl, CLUSTER_ENDPOINT, ep->network, cl->host, ep->mac, NULL, key, sizeof(key)) < 0) {
			free(g);
			continue;
		}
		g->cl = cl;
		g->ep = ep;
		if (store_delete(cl->store, key, false, withdrawn, g) < 0) {
			free(g);
			continue;
		}
		log_info("cluster: the container of %s in network %s is gone (%s removed): withdrawing it", ep->nspath,
			 ep->network, ep->veth);
		ep->published = false; /* being withdrawn: not put again, not detached */
	}
}
