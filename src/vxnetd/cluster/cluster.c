/* cluster: the module's life (options, the store client in the loop, a
 * timer, events) and the requests of `vxnet network ...`; attach and detach
 * are attach.c's, following the store is sync.c's. */
#include "cluster.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "ctl_server.h"
#include "log.h"
#include "nl.h"
#include "priv.h"

#define TIMER_MS 200
#define CHECK_MS 5000		/* local endpoints' devices */
#define WAIT_MS 2000		/* longest wait for our own write to come back by the watch */
#define REQUEST_TIMEOUT_MS 2000 /* per request and member */

uint64_t cl_now(void)
{
	return loop_now_ms();
}

int cl_key(struct cluster *cl, enum cluster_kind kind, const char *network, const char *host, const uint8_t *mac,
	   const struct vx_addr *ip, char *buf, size_t len)
{
	struct cluster_key k = {.kind = kind};
	if (network)
		snprintf(k.network, sizeof(k.network), "%s", network);
	if (host)
		snprintf(k.host, sizeof(k.host), "%s", host);
	if (mac)
		memcpy(k.mac, mac, MAC_LEN);
	if (ip)
		k.ip = *ip;
	return cluster_key_format(cl->prefix, &k, buf, len);
}

const char *cl_unavailable(struct cluster *cl)
{
	if (!cl->store_up)
		return "the cluster store is unreachable (see vxnetd's log); nothing was changed";
	if (cl->reg != REG_DONE)
		return "this host is not registered in the cluster store yet (store unreachable?); nothing was changed";
	if (!cl->view_ready)
		return "the cluster store has not been read yet; try again";
	return NULL;
}

const char *cl_store_error(struct cluster *cl, int err, char *buf, size_t len)
{
	const char *detail = store_last_error(cl->store);
	switch (err) {
	case -ECONNREFUSED:
	case -ETIMEDOUT:
	case -EAGAIN:
		snprintf(buf, len, "the cluster store is unreachable (%s)", *detail ? detail : strerror(-err));
		break;
	case -EIO:
		snprintf(buf, len, "the connection to the cluster store broke (%s)", *detail ? detail : "?");
		break;
	default:
		snprintf(buf, len, "%s%s%s", strerror(-err), *detail ? ": " : "", detail);
		break;
	}
	return buf;
}

/* ---- answers ---- */

static void put_endpoint_attrs(struct ctl_msg *m, const char *network, const char *host, const char *ifname,
			       const char *nspath, const struct vx_addr *ip, uint8_t plen, const uint8_t mac[MAC_LEN],
			       const struct vx_addr *underlay)
{
	ctl_put_str(m, CTL_A_NETWORK, network);
	ctl_put_str(m, CTL_A_HOST, host);
	if (ifname)
		ctl_put_str(m, CTL_A_IFNAME, ifname);
	if (nspath)
		ctl_put_str(m, CTL_A_NSPATH, nspath);
	ctl_put_addr(m, CTL_A_DST, ip);
	ctl_put_u8(m, CTL_A_PREFIXLEN, plen);
	ctl_put_mac(m, CTL_A_LLADDR, mac);
	if (underlay && underlay->family)
		ctl_put_addr(m, CTL_A_REMOTE, underlay);
}

void cl_op_finish(struct cl_op *op, int status, const char *why)
{
	struct cluster *cl = op->cl;
	for (struct cl_op **pp = &cl->ops; *pp; pp = &(*pp)->next) {
		if (*pp == op) {
			*pp = op->next;
			break;
		}
	}
	if (status == 0 && op->type == CTL_MSG_ATTACH && op->ep) {
		uint8_t buf[1024];
		struct ctl_msg m;
		const struct cl_ep *ep = op->ep;
		ctl_req_msg(op->req, &m, buf, sizeof(buf), CTL_MSG_ENDPOINT);
		put_endpoint_attrs(&m, ep->network, cl->host, ep->ifname, ep->nspath, &ep->ip, ep->plen, ep->mac,
				   &cl->underlay);
		ctl_req_send(op->req, &m);
	}
	if (op->type == CTL_MSG_ATTACH && op->ep) {
		/* A record not handed to the local list yet is the request's. */
		bool listed = false;
		for (struct cl_ep *e = cl->eps; e && !listed; e = e->next)
			listed = e == op->ep;
		if (!listed)
			free(op->ep);
	}
	if (op->nsfd >= 0)
		close(op->nsfd);
	ctl_req_done(op->req, status, why);
	free(op);
}

void cl_op_wait(struct cl_op *op, int64_t rev)
{
	op->wait_rev = rev;
	op->deadline = cl_now() + WAIT_MS;
	op->waiting = true;
	if (view_revision(op->cl->view) >= rev)
		cl_op_finish(op, 0, NULL);
}

/* ---- network create / del ---- */

static void created(void *arg, int err, const struct store_txn_result *r)
{
	struct cl_op *op = arg;
	char buf[CTL_ERRMSG_LEN];
	if (err < 0) {
		snprintf(op->why, sizeof(op->why), "%s", cl_store_error(op->cl, err, buf, sizeof(buf)));
		cl_op_finish(op, err, op->why);
		return;
	}
	if (!r->succeeded) {
		snprintf(op->why, sizeof(op->why), "network %s exists", op->network);
		cl_op_finish(op, -EEXIST, op->why);
		return;
	}
	char sub[ADDR_STRLEN + 4];
	cluster_subnet_format(&op->net.subnet, sub, sizeof(sub));
	log_info("cluster: network %s created (vni %u, subnet %s)", op->network, op->net.vni, sub);
	cl_op_wait(op, r->revision);
}

static void network_create(struct cl_op *op)
{
	struct cluster *cl = op->cl;
	const char *why = cl_unavailable(cl), *user;
	if (why) {
		cl_op_finish(op, -EAGAIN, why);
		return;
	}
	if ((user = view_vni_user(cl->view, op->net.vni, op->network))) {
		snprintf(op->why, sizeof(op->why), "VNI %u is used by network %s", op->net.vni, user);
		cl_op_finish(op, -EEXIST, op->why);
		return;
	}
	char key[CLUSTER_KEY_MAX], *val;
	size_t n;
	int rc = cl_key(cl, CLUSTER_NETWORK, op->network, NULL, NULL, NULL, key, sizeof(key));
	if (rc == 0)
		rc = cluster_network_encode(&op->net, &val, &n);
	if (rc < 0) {
		cl_op_finish(op, rc, "invalid network");
		return;
	}
	rc = store_put_if_absent(cl->store, key, val, n, 0, created, op);
	free(val);
	if (rc < 0)
		cl_op_finish(op, rc, "cannot ask the store");
}

static void ipam_gone(void *arg, int err, int64_t revision, int64_t deleted)
{
	struct cl_op *op = arg;
	(void)err;
	cl_op_wait(op, revision > op->wait_rev ? revision : op->wait_rev);
	(void)deleted;
}

static void deleted(void *arg, int err, const struct store_txn_result *r)
{
	struct cl_op *op = arg;
	struct cluster *cl = op->cl;
	char buf[CTL_ERRMSG_LEN];
	if (err < 0) {
		snprintf(op->why, sizeof(op->why), "%s", cl_store_error(cl, err, buf, sizeof(buf)));
		cl_op_finish(op, err, op->why);
		return;
	}
	if (!r->succeeded) {
		snprintf(op->why, sizeof(op->why), "network %s has %lld endpoint%s attached: detach them first",
			 op->network, (long long)r->count, r->count == 1 ? "" : "s");
		cl_op_finish(op, -EBUSY, op->why);
		return;
	}
	log_info("cluster: network %s deleted", op->network);
	/* Its address claims go with it (a dead host's claims outlive it). */
	char prefix[CLUSTER_KEY_MAX];
	op->wait_rev = r->revision;
	if (cluster_prefix_format(cl->prefix, CLUSTER_IPAM, op->network, prefix, sizeof(prefix)) < 0 ||
	    store_delete(cl->store, prefix, true, ipam_gone, op) < 0)
		cl_op_wait(op, r->revision);
}

static void network_del(struct cl_op *op)
{
	struct cluster *cl = op->cl;
	const char *why = cl_unavailable(cl);
	if (why) {
		cl_op_finish(op, -EAGAIN, why);
		return;
	}
	char key[CLUSTER_KEY_MAX], guard[CLUSTER_KEY_MAX];
	if (cl_key(cl, CLUSTER_NETWORK, op->network, NULL, NULL, NULL, key, sizeof(key)) < 0 ||
	    cluster_prefix_format(cl->prefix, CLUSTER_ENDPOINT, op->network, guard, sizeof(guard)) < 0) {
		cl_op_finish(op, -EINVAL, "invalid network name");
		return;
	}
	if (!view_network(cl->view, op->network)) {
		snprintf(op->why, sizeof(op->why), "no such network %s", op->network);
		cl_op_finish(op, -ENOENT, op->why);
		return;
	}
	if (store_delete_if_none(cl->store, key, guard, deleted, op) < 0)
		cl_op_finish(op, -ENOMEM, "cannot ask the store");
}

/* ---- network show ---- */

struct show {
	struct cluster *cl;
	struct cl_op *op;
	const char *only;
	unsigned found;
	uint8_t buf[2048];
};

static void show_ep(void *arg, const struct view_endpoint *e)
{
	struct show *s = arg;
	struct ctl_msg m;
	const struct cluster_network *net = view_network(s->cl->view, e->network);
	ctl_req_msg(s->op->req, &m, s->buf, sizeof(s->buf), CTL_MSG_ENDPOINT);
	put_endpoint_attrs(&m, e->network, e->host, NULL, NULL, &e->ip, net ? net->subnet.plen : 0, e->mac,
			   &e->underlay);
	ctl_req_send(s->op->req, &m);
}

static void show_net(void *arg, const char *name, const struct cluster_network *n, int64_t create_rev)
{
	struct show *s = arg;
	struct ctl_msg m;
	char sub[ADDR_STRLEN + 4];
	(void)create_rev;
	if (s->only && strcmp(s->only, name))
		return;
	s->found++;
	cluster_subnet_format(&n->subnet, sub, sizeof(sub));
	ctl_req_msg(s->op->req, &m, s->buf, sizeof(s->buf), CTL_MSG_NETWORK);
	ctl_put_str(&m, CTL_A_NETWORK, name);
	ctl_put_u32(&m, CTL_A_VNI, n->vni);
	ctl_put_str(&m, CTL_A_SUBNET, sub);
	ctl_put_u32(&m, CTL_A_MTU, n->mtu);
	ctl_put_u16(&m, CTL_A_DSTPORT, n->dstport);
	ctl_put_u8(&m, CTL_A_DATAPATH, n->datapath == CLUSTER_DP_KERNEL ? LINK_DP_KERNEL : LINK_DP_USER);
	ctl_put_u32(&m, CTL_A_COUNT, view_endpoint_count(s->cl->view, name));
	ctl_req_send(s->op->req, &m);
	view_refresh(s->cl->view, name);
	view_foreach_endpoint(s->cl->view, name, show_ep, s);
}

static void network_show(struct cl_op *op)
{
	struct cluster *cl = op->cl;
	struct show *s = calloc(1, sizeof(*s));
	if (!s) {
		cl_op_finish(op, -ENOMEM, NULL);
		return;
	}
	s->cl = cl;
	s->op = op;
	s->only = op->network[0] ? op->network : NULL;
	view_foreach_network(cl->view, show_net, s);
	if (s->only && !s->found) {
		snprintf(op->why, sizeof(op->why), "no such network %s%s", op->network,
			 cl->view_ready ? "" : " (the cluster store has not been read yet)");
		free(s);
		cl_op_finish(op, -ENOENT, op->why);
		return;
	}
	struct ctl_msg m;
	struct view_stats vs;
	struct store_stats ss;
	view_get_stats(cl->view, &vs);
	store_get_stats(cl->store, &ss);
	ctl_req_msg(op->req, &m, s->buf, sizeof(s->buf), CTL_MSG_STORE);
	ctl_put_str(&m, CTL_A_URL, cl->url);
	ctl_put_u8(&m, CTL_A_UP, cl->store_up && cl->reg == REG_DONE && cl->view_ready);
	ctl_put_str(&m, CTL_A_HOST, cl->host);
	ctl_put_addr(&m, CTL_A_LOCAL, &cl->underlay);
	ctl_put_u64(&m, CTL_A_LEASE, (uint64_t)cl->lease);
	ctl_put_u64(&m, CTL_A_REVISION, (uint64_t)view_revision(cl->view));
	ctl_put_stat(&m, CTL_A_STATS, "keys", vs.keys);
	ctl_put_stat(&m, CTL_A_STATS, "invalid_keys", vs.invalid);
	ctl_put_stat(&m, CTL_A_STATS, "conflicts", vs.conflicts);
	ctl_put_stat(&m, CTL_A_STATS, "skipped_logged", vs.warnings);
	ctl_put_stat(&m, CTL_A_STATS, "relists", cl->relists);
	ctl_put_stat(&m, CTL_A_STATS, "requests", ss.requests);
	ctl_put_stat(&m, CTL_A_STATS, "keepalives", ss.keepalives);
	ctl_put_stat(&m, CTL_A_STATS, "failovers", ss.failovers);
	ctl_put_stat(&m, CTL_A_STATS, "watch_events", ss.watch_events);
	ctl_put_stat(&m, CTL_A_STATS, "watch_restarts", ss.watch_restarts);
	ctl_req_send(op->req, &m);
	free(s);
	cl_op_finish(op, 0, NULL);
}

/* ---- requests ---- */

static int parse_op(struct cl_op *op, const struct ctl_parsed *p, const char **why)
{
	const char *s;
	int rc = ctl_get_strbuf(p, CTL_A_NETWORK, op->network, sizeof(op->network));
	if (rc == -ENOENT && op->type == CTL_MSG_NETWORK_SHOW)
		return 0;
	if (rc < 0 || cluster_name_check(op->network, why) < 0) {
		if (rc < 0)
			*why = "network name is required";
		return -EINVAL;
	}
	switch (op->type) {
	case CTL_MSG_NETWORK_CREATE: {
		uint32_t mtu = CLUSTER_MTU_DEFAULT;
		uint8_t dp = LINK_DP_USER;
		op->net.dstport = CLUSTER_DSTPORT_DEFAULT;
		if (ctl_get_u32(p, CTL_A_VNI, &op->net.vni) < 0 || op->net.vni < CLUSTER_VNI_MIN) {
			*why = "id is required (1-16777215)";
			return -EINVAL;
		}
		if (ctl_get_str(p, CTL_A_SUBNET, &s) < 0) {
			*why = "subnet is required";
			return -EINVAL;
		}
		if (cluster_subnet_parse(s, &op->net.subnet, why) < 0)
			return -EINVAL;
		ctl_get_u32(p, CTL_A_MTU, &mtu);
		ctl_get_u16(p, CTL_A_DSTPORT, &op->net.dstport);
		ctl_get_u8(p, CTL_A_DATAPATH, &dp);
		unsigned min = op->net.subnet.addr.family == AF_INET6 ? CLUSTER_MTU_MIN_V6 : CLUSTER_MTU_MIN;
		if (mtu < min || mtu > 65535) {
			*why = op->net.subnet.addr.family == AF_INET6 ? "mtu must be 1280-65535 for an IPv6 subnet"
								      : "mtu must be 68-65535";
			return -EINVAL;
		}
		if (!op->net.dstport) {
			*why = "dstport must be 1-65535";
			return -EINVAL;
		}
		op->net.mtu = (uint16_t)mtu;
		op->net.datapath = dp == LINK_DP_KERNEL ? CLUSTER_DP_KERNEL : CLUSTER_DP_USER;
		break;
	}
	case CTL_MSG_ATTACH:
	case CTL_MSG_DETACH:
		if (ctl_get_strbuf(p, CTL_A_NSPATH, op->nspath, sizeof(op->nspath)) < 0 || !op->nspath[0]) {
			*why = "the network namespace is required";
			return -EINVAL;
		}
		if (op->type == CTL_MSG_DETACH)
			break;
		if (ctl_get_strbuf(p, CTL_A_IFNAME, op->ifname, sizeof(op->ifname)) == -ENOENT)
			snprintf(op->ifname, sizeof(op->ifname), "eth0");
		if (!op->ifname[0]) {
			*why = "bad ifname";
			return -EINVAL;
		}
		if (ctl_get_addr(p, CTL_A_DST, &op->ip) == 0) {
			op->has_ip = true;
			if (ctl_get_u8(p, CTL_A_PREFIXLEN, &op->plen) < 0) {
				*why = "ip needs a prefix length (ADDR/PLEN)";
				return -EINVAL;
			}
		}
		if (ctl_get_mac(p, CTL_A_LLADDR, op->mac) == 0) {
			op->has_mac = true;
			if (mac_is_zero(op->mac) || mac_is_multicast(op->mac)) {
				*why = "mac must be a unicast address";
				return -EINVAL;
			}
		}
		break;
	default:
		break;
	}
	return 0;
}

static void on_request(void *arg, struct ctl_req *req, const struct ctl_parsed *p)
{
	struct cluster *cl = arg;
	const char *why = NULL;
	struct cl_op *op = calloc(1, sizeof(*op));
	if (!op) {
		ctl_req_done(req, -ENOMEM, NULL);
		return;
	}
	op->cl = cl;
	op->req = req;
	op->type = p->hdr.type;
	op->nsfd = -1;
	op->next = cl->ops;
	cl->ops = op;
	int rc = parse_op(op, p, &why);
	if (rc < 0) {
		cl_op_finish(op, rc, why);
		return;
	}
	switch (op->type) {
	case CTL_MSG_NETWORK_CREATE:
		network_create(op);
		break;
	case CTL_MSG_NETWORK_DEL:
		network_del(op);
		break;
	case CTL_MSG_NETWORK_SHOW:
		network_show(op);
		break;
	case CTL_MSG_ATTACH:
		cl_attach(op);
		break;
	case CTL_MSG_DETACH:
		cl_detach(op);
		break;
	default:
		cl_op_finish(op, -EOPNOTSUPP, "not a cluster request");
		break;
	}
}

/* ---- life ---- */

static void on_store(struct loop_src *src, uint32_t events)
{
	struct cluster *cl = src->obj;
	(void)events;
	int rc = store_dispatch(cl->store);
	if (rc < 0)
		log_err("cluster: the store client failed: %s", strerror(-rc));
	cl_sync_flush(cl);
}

static void on_timer(void *arg)
{
	struct cluster *cl = arg;
	uint64_t now = cl_now();
	cl_sync_tick(cl);
	if (now - cl->last_check >= CHECK_MS) {
		cl->last_check = now;
		cl_check_local(cl);
	}
	cl_sync_flush(cl);
}

static void on_state(void *arg, bool up, const char *detail)
{
	struct cluster *cl = arg;
	if (up == cl->store_up)
		return;
	cl->store_up = up;
	if (up)
		log_info("cluster: the store answers again (%s)", detail ? detail : "");
	else
		log_err("cluster: the store is unreachable (%s): forwarding goes on as it is", detail ? detail : "");
}

static void on_lease_lost(void *arg, int64_t lease)
{
	cl_on_lease_lost(arg, lease);
}

static void on_event(const struct vx_event *ev, void *arg)
{
	struct cluster *cl = arg;
	/* The core made a vanished link of ours again: back into its bridge. */
	if (ev->type == CTL_EVENT_LINK_RESTORED && ev->origin == FDB_ORIGIN_STORE)
		cl_plumb_relink(cl, ev->link);
}

static void on_bad_key(void *arg, const char *key, const char *why)
{
	(void)arg;
	log_err("cluster: skipping %s: %s", key, why);
}

/* The source address of the default route (IPv4, else IPv6): a UDP socket
 * connected to a documentation address (connect sends nothing). */
static int default_underlay(struct vx_addr *out)
{
	static const char *probe[] = {"192.0.2.1", "2001:db8::1"};
	for (int i = 0; i < 2; i++) {
		struct vx_addr dst;
		struct sockaddr_storage ss;
		socklen_t len;
		addr_parse(probe[i], &dst);
		if (addr_to_sockaddr(&dst, 9, &ss, &len) < 0)
			continue;
		int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		len = ss.ss_family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
		if (connect(fd, (struct sockaddr *)&ss, len) == 0 &&
		    getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
		    addr_from_sockaddr((struct sockaddr *)&ss, out, NULL) == 0) {
			close(fd);
			return 0;
		}
		close(fd);
	}
	return -ENETUNREACH;
}

struct cluster *cluster_open(struct loop *lp, struct core *core, struct ctl_server *ctl, const struct cluster_opts *o,
			     const char *state_dir, const char **why)
{
	static char whybuf[256];
	struct cluster *cl = calloc(1, sizeof(*cl));
	if (!cl) {
		*why = "out of memory";
		return NULL;
	}
	cl->loop = lp;
	cl->core = core;
	cl->ctl = ctl;
	cl->store_src.fd = -1;
	cl->timer.src.fd = -1;
	cl->store_up = true; /* until a request says otherwise */
	cl->ttl = o->lease_ttl ? o->lease_ttl : CLUSTER_LEASE_TTL_DEFAULT;
	snprintf(cl->prefix, sizeof(cl->prefix), "%s", o->prefix ? o->prefix : CLUSTER_PREFIX_DEFAULT);
	if (cluster_prefix_check(cl->prefix, why) < 0) {
		snprintf(whybuf, sizeof(whybuf), "--store-prefix %s: %s", cl->prefix, *why);
		*why = whybuf;
		goto fail;
	}
	if (o->host) {
		snprintf(cl->host, sizeof(cl->host), "%s", o->host);
	} else if (gethostname(cl->host, sizeof(cl->host)) < 0) {
		*why = "cannot read the hostname: give --host";
		goto fail;
	}
	cl->host[sizeof(cl->host) - 1] = 0;
	if (cluster_name_check(cl->host, why) < 0 || strlen(o->host ? o->host : cl->host) > CLUSTER_NAME_MAX) {
		snprintf(whybuf, sizeof(whybuf), "host name \"%s\" cannot be used (%s): give --host", cl->host,
			 *why ? *why : "too long");
		*why = whybuf;
		goto fail;
	}
	if (o->underlay) {
		if (addr_parse(o->underlay, &cl->underlay) < 0 || addr_check(&cl->underlay, ADDR_USE_LOCAL, NULL) < 0) {
			*why = "--underlay must be a unicast IPv4 or IPv6 address of this host";
			goto fail;
		}
	} else if (default_underlay(&cl->underlay) < 0) {
		*why = "no default route to take the underlay address from: give --underlay";
		goto fail;
	}
	snprintf(cl->url, sizeof(cl->url), "%s", o->url);
	snprintf(cl->file, sizeof(cl->file), "%s/cluster.json", state_dir);
	cl->view = view_new(cl->prefix, cl->host, on_bad_key, cl);
	if (!cl->view || nl_open(&cl->nl, -1) < 0) {
		*why = "out of memory or no rtnetlink";
		goto fail;
	}
	if (cl_local_load(cl) < 0) {
		*why = "the local endpoints file is corrupt (see above)";
		goto fail;
	}
	struct store_config sc = {.url = o->url,
				  .cacert = o->cacert,
				  .cert = o->cert,
				  .key = o->key,
				  .request_timeout_ms = REQUEST_TIMEOUT_MS,
				  .on_state = on_state,
				  .on_lease_lost = on_lease_lost,
				  .arg = cl};
	const char *swhy = NULL;
	int rc = store_open(&sc, &cl->store, &swhy);
	if (rc < 0) {
		snprintf(whybuf, sizeof(whybuf), "--store %s: %s", o->url,
			 swhy			  ? swhy
			 : rc == -EPROTONOSUPPORT ? "unknown scheme (etcd://)"
						  : strerror(-rc));
		*why = whybuf;
		goto fail;
	}
	if (loop_add(lp, store_fd(cl->store), EPOLLIN, &cl->store_src, on_store, cl) < 0 ||
	    loop_timer_start(lp, &cl->timer, TIMER_MS, on_timer, cl) < 0) {
		*why = "cannot watch the store client";
		goto fail;
	}
	/* Devices restored from the state file: back in their bridges and up
	 * before anything is heard from the store (it may be away). */
	for (struct cl_ep *ep = cl->eps; ep; ep = ep->next)
		cl_plumb_relink(cl, ep->link);
	events_subscribe(core_events(core), &cl->sub, on_event, cl);
	ctl_server_set_async(ctl, on_request, cl);
	char ul[ADDR_STRLEN];
	addr_format(&cl->underlay, ul, sizeof(ul));
	log_info("cluster: store %s prefix %s, host %s, underlay %s, lease TTL %u s", cl->url, cl->prefix, cl->host, ul,
		 cl->ttl);
	cl_sync_start(cl);
	return cl;
fail:
	if (cl->view)
		view_free(cl->view);
	if (cl->nl)
		nl_close(cl->nl);
	while (cl->eps) {
		struct cl_ep *ep = cl->eps;
		cl->eps = ep->next;
		free(ep);
	}
	if (cl->store) {
		loop_del(lp, &cl->store_src);
		loop_timer_stop(lp, &cl->timer);
		store_close(cl->store);
	}
	free(cl);
	return NULL;
}

void cluster_close(struct cluster *cl)
{
	if (!cl)
		return;
	while (cl->ops) {
		struct cl_op *op = cl->ops;
		/* An attach half-way: its claim and devices stay, as after a crash. */
		if (op->type == CTL_MSG_ATTACH && op->ep && !op->ep->published)
			cl_local_remove(cl, op->ep); /* freed as the request's */
		cl_op_finish(op, -ECANCELED, "vxnetd is stopping");
	}
	ctl_server_set_async(cl->ctl, NULL, NULL);
	events_unsubscribe(core_events(cl->core), &cl->sub);
	loop_del(cl->loop, &cl->store_src);
	loop_timer_stop(cl->loop, &cl->timer);
	if (cl->reg != REG_FAILED)
		cl_local_save(cl);
	store_close(cl->store);
	view_free(cl->view);
	nl_close(cl->nl);
	while (cl->eps) {
		struct cl_ep *ep = cl->eps;
		cl->eps = ep->next;
		free(ep);
	}
	free(cl);
}

bool cluster_refused(const struct cluster *cl)
{
	return cl && cl->refused;
}
