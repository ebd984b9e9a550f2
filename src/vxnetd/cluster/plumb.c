/* plumb: the devices of a cluster network on this host, made through the
 * core (the vxlan link) and rtnetlink (the rest; no `ip` is run): per
 * network a vxlan link (learning off, proxy on, origin store) in a bridge;
 * per endpoint a veth pair from that bridge into the container's namespace,
 * with the endpoint's MAC, the network's MTU and the endpoint's address.
 *
 * Names, from the VNI and the MAC (IFNAMSIZ leaves 15 characters):
 * vxn<vni> (the link), vxb<vni> (the bridge), ve<MAC bytes 3-6 in hex><VNI
 * low 16 bits in hex> (the host's end of the veth). */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"
#include "log.h"
#include "nl.h"
#include "priv.h"

void cl_plumb_names(uint32_t vni, const uint8_t mac[MAC_LEN], char link[IFNAMSIZ], char bridge[IFNAMSIZ],
		    char veth[IFNAMSIZ])
{
	snprintf(link, IFNAMSIZ, "vxn%u", vni);
	snprintf(bridge, IFNAMSIZ, "vxb%u", vni);
	if (veth && mac)
		snprintf(veth, IFNAMSIZ, "ve%02x%02x%02x%02x%04x", mac[2], mac[3], mac[4], mac[5], vni & 0xffff);
}

static int fail(char *why, size_t len, int rc, const char *what, const char *detail)
{
	snprintf(why, len, "%s: %s", what, detail && *detail ? detail : strerror(-rc));
	return rc;
}

/* Link ifindex into bridge br, both up. */
static int enslave(struct cluster *cl, int ifindex, int br, char *why, size_t len)
{
	struct nl_link_set s = {.set = NL_SET_MASTER | NL_SET_UP, .master = br, .up = true};
	int rc = nl_link_set_up(cl->nl, br, true);
	if (rc < 0)
		return fail(why, len, rc, "cannot bring the bridge up", nl_errmsg(cl->nl));
	rc = nl_link_set(cl->nl, ifindex, &s);
	if (rc < 0)
		return fail(why, len, rc, "cannot put the link into the bridge", nl_errmsg(cl->nl));
	return 0;
}

int cl_plumb_network(struct cluster *cl, const struct cl_ep *ep, const struct cluster_network *net, bool *made,
		     char *why, size_t len)
{
	*made = false;
	struct core_link *l = core_link_find(cl->core, ep->link);
	bool new_link = false, new_bridge = false;
	int rc;
	if (l && l->origin != FDB_ORIGIN_STORE) {
		snprintf(why, len, "a link named %s exists and is not the cluster's", ep->link);
		return -EEXIST;
	}
	if (!l) {
		struct link_config cfg;
		const char *w = NULL;
		link_config_init(&cfg);
		snprintf(cfg.name, sizeof(cfg.name), "%s", ep->link);
		cfg.vni = net->vni;
		cfg.dstport = net->dstport;
		cfg.learning = false;
		cfg.proxy = true;
		cfg.mtu = net->mtu;
		cfg.local = cl->underlay;
		cfg.datapath = net->datapath == CLUSTER_DP_KERNEL ? LINK_DP_KERNEL : LINK_DP_USER;
		cfg.set |=
		    LINK_P_DSTPORT | LINK_P_LEARNING | LINK_P_PROXY | LINK_P_MTU | LINK_P_LOCAL | LINK_P_DATAPATH;
		rc = core_link_add(cl->core, &cfg, FDB_ORIGIN_STORE, false, &w);
		if (rc < 0)
			return fail(why, len, rc, "cannot create the network's link", w);
		l = core_link_find(cl->core, ep->link);
		new_link = true;
	}
	struct nl_link br;
	rc = nl_link_get(cl->nl, 0, ep->bridge, &br);
	if (rc == -ENODEV) {
		rc = nl_bridge_create(cl->nl, ep->bridge, net->mtu, &br.ifindex);
		if (rc < 0) {
			fail(why, len, rc, "cannot create the network's bridge", nl_errmsg(cl->nl));
			goto undo;
		}
		new_bridge = true;
	} else if (rc < 0) {
		fail(why, len, rc, "cannot read the network's bridge", nl_errmsg(cl->nl));
		goto undo;
	} else if (strcmp(br.kind, "bridge")) {
		snprintf(why, len, "%s exists and is not a bridge", ep->bridge);
		rc = -EEXIST;
		goto undo;
	}
	rc = enslave(cl, l->ifindex, br.ifindex, why, len);
	if (rc < 0)
		goto undo;
	*made = new_link || new_bridge;
	if (new_link || new_bridge)
		log_info("cluster: network %s: link %s in bridge %s", ep->network, ep->link, ep->bridge);
	return 0;
undo:
	cl_plumb_network_remove(cl, new_link ? ep->link : NULL, new_bridge ? ep->bridge : NULL);
	return rc;
}

void cl_plumb_network_remove(struct cluster *cl, const char *link, const char *bridge)
{
	const char *w = NULL;
	if (link && core_link_find(cl->core, link) && core_link_del(cl->core, link, FDB_ORIGIN_STORE, &w) < 0)
		log_err("cluster: cannot remove link %s: %s", link, w ? w : "?");
	struct nl_link br;
	if (bridge && nl_link_get(cl->nl, 0, bridge, &br) == 0 && !strcmp(br.kind, "bridge") &&
	    nl_link_del(cl->nl, br.ifindex) < 0)
		log_err("cluster: cannot remove bridge %s: %s", bridge, nl_errmsg(cl->nl));
}

void cl_plumb_relink(struct cluster *cl, const char *link)
{
	for (struct cl_ep *ep = cl->eps; ep; ep = ep->next) {
		if (strcmp(ep->link, link))
			continue;
		struct core_link *l = core_link_find(cl->core, link);
		struct nl_link br;
		char why[CTL_ERRMSG_LEN];
		if (!l || nl_link_get(cl->nl, 0, ep->bridge, &br) < 0)
			return;
		if (enslave(cl, l->ifindex, br.ifindex, why, sizeof(why)) < 0)
			log_err("cluster: link %s: %s", link, why);
		else
			log_debug("cluster: link %s up in bridge %s", link, ep->bridge);
		return;
	}
}

int cl_netns_open(const char *nspath, uint64_t *dev, uint64_t *ino, char *why, size_t len)
{
	char path[CTL_PATH_LEN + 16];
	if (!*nspath || (!strchr(nspath, '/') && (!strcmp(nspath, ".") || !strcmp(nspath, "..")))) {
		snprintf(why, len, "bad namespace name");
		return -EINVAL;
	}
	if (strchr(nspath, '/'))
		snprintf(path, sizeof(path), "%s", nspath);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", nspath);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int rc = -errno;
		snprintf(why, len, "cannot open network namespace %s: %s", path, strerror(errno));
		return rc;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		snprintf(why, len, "%s is not a network namespace", path);
		close(fd);
		return -EINVAL;
	}
	*dev = (uint64_t)st.st_dev;
	*ino = (uint64_t)st.st_ino;
	return fd;
}

int cl_netns_has(int nsfd, const char *ifname)
{
	struct nl *nl;
	struct nl_link l;
	int rc = nl_open(&nl, nsfd);
	if (rc < 0)
		return rc;
	rc = nl_link_get(nl, 0, ifname, &l);
	nl_close(nl);
	if (rc == -ENODEV)
		return 0;
	return rc < 0 ? rc : 1;
}

int cl_plumb_endpoint(struct cluster *cl, const struct cl_ep *ep, int nsfd, uint32_t mtu, char *why, size_t len)
{
	struct nl_veth v = {.mtu = mtu, .peer_has_address = true, .peer_netns_fd = nsfd};
	snprintf(v.name, sizeof(v.name), "%s", ep->veth);
	snprintf(v.peer, sizeof(v.peer), "%s", ep->ifname);
	memcpy(v.peer_address, ep->mac, MAC_LEN);
	struct nl_link br;
	int ifindex, rc = nl_link_get(cl->nl, 0, ep->bridge, &br);
	if (rc < 0)
		return fail(why, len, rc, "the network's bridge is gone", nl_errmsg(cl->nl));
	rc = nl_veth_create(cl->nl, &v, &ifindex);
	if (rc < 0)
		return fail(why, len, rc, "cannot create the veth pair", nl_errmsg(cl->nl));
	struct nl_link_set s = {.set = NL_SET_MASTER | NL_SET_UP, .master = br.ifindex, .up = true};
	rc = nl_link_set(cl->nl, ifindex, &s);
	if (rc < 0) {
		fail(why, len, rc, "cannot put the veth into the bridge", nl_errmsg(cl->nl));
		goto undo;
	}
	/* The bridge may have learned this MAC behind the vxlan port (it
	 * lived on another host before): until the container sends a frame
	 * it would drop what comes for it. Pinned behind its veth instead. */
	rc = nl_bridge_fdb(cl->nl, NL_OP_REPLACE, ifindex, ep->mac);
	if (rc < 0) {
		fail(why, len, rc, "cannot pin the MAC in the bridge", nl_errmsg(cl->nl));
		goto undo;
	}
	/* The container's side, from a socket inside its namespace. */
	struct nl *nsnl;
	rc = nl_open(&nsnl, nsfd);
	if (rc < 0) {
		fail(why, len, rc, "cannot talk to the container's namespace", NULL);
		goto undo;
	}
	struct nl_link peer;
	rc = nl_link_get(nsnl, 0, ep->ifname, &peer);
	if (rc == 0 && (rc = nl_addr(nsnl, NL_OP_ADD, peer.ifindex, &ep->ip, ep->plen)) < 0)
		fail(why, len, rc, "cannot add the address in the container", nl_errmsg(nsnl));
	else if (rc == 0 && (rc = nl_link_set_up(nsnl, peer.ifindex, true)) < 0)
		fail(why, len, rc, "cannot bring the container's interface up", nl_errmsg(nsnl));
	else if (rc < 0)
		fail(why, len, rc, "the container's interface is gone", nl_errmsg(nsnl));
	nl_close(nsnl);
	if (rc == 0)
		return 0;
undo:
	/* Removing one end removes the pair. */
	nl_link_del(cl->nl, ifindex);
	return rc;
}

void cl_plumb_endpoint_remove(struct cluster *cl, const struct cl_ep *ep)
{
	struct nl_link l;
	if (nl_link_get(cl->nl, 0, ep->veth, &l) == 0 && !strcmp(l.kind, "veth") && nl_link_del(cl->nl, l.ifindex) < 0)
		log_err("cluster: cannot remove %s: %s", ep->veth, nl_errmsg(cl->nl));
}

bool cl_plumb_endpoint_present(struct cluster *cl, const struct cl_ep *ep)
{
	struct nl_link l;
	return nl_link_get(cl->nl, 0, ep->veth, &l) != -ENODEV;
}
