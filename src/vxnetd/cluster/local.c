/* local: this host's endpoints, in memory and in STATE_DIR/cluster.json
 * (with the lease they are published on), written atomically after every
 * change so that a restarted vxnetd finds its endpoints, detaches them, and
 * takes its lease over instead of waiting for it to expire. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "priv.h"

static void put_str(json_t *o, const char *k, const char *v)
{
	json_object_set_new(o, k, json_string(v));
}

static json_t *ep_to_json(const struct cl_ep *ep)
{
	char ip[ADDR_STRLEN], mac[MAC_STRLEN];
	addr_format(&ep->ip, ip, sizeof(ip));
	mac_format(ep->mac, mac);
	json_t *o = json_object();
	if (!o)
		return NULL;
	put_str(o, "network", ep->network);
	put_str(o, "link", ep->link);
	put_str(o, "bridge", ep->bridge);
	put_str(o, "veth", ep->veth);
	put_str(o, "ifname", ep->ifname);
	put_str(o, "netns", ep->nspath);
	json_object_set_new(o, "ns_dev", json_integer((json_int_t)ep->ns_dev));
	json_object_set_new(o, "ns_ino", json_integer((json_int_t)ep->ns_ino));
	put_str(o, "mac", mac);
	put_str(o, "ip", ip);
	json_object_set_new(o, "prefixlen", json_integer(ep->plen));
	json_object_set_new(o, "vni", json_integer(ep->vni));
	json_object_set_new(o, "ipam_revision", json_integer(ep->ipam_rev));
	return o;
}

int cl_local_save(struct cluster *cl)
{
	json_t *root = json_object(), *eps = json_array();
	if (!root || !eps) {
		json_decref(root);
		json_decref(eps);
		return -ENOMEM;
	}
	put_str(root, "host", cl->host);
	json_object_set_new(root, "lease", json_integer(cl->lease));
	for (const struct cl_ep *ep = cl->eps; ep; ep = ep->next)
		json_array_append_new(eps, ep_to_json(ep));
	json_object_set_new(root, "endpoints", eps);
	char *text = json_dumps(root, JSON_INDENT(1));
	json_decref(root);
	if (!text)
		return -ENOMEM;
	char tmp[340];
	snprintf(tmp, sizeof(tmp), "%s.tmp", cl->file);
	int rc = 0, fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
	} else {
		size_t n = strlen(text), off = 0;
		while (off < n) {
			ssize_t w = write(fd, text + off, n - off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				rc = -errno;
				break;
			}
			off += (size_t)w;
		}
		if (rc == 0 && fsync(fd) < 0)
			rc = -errno;
		if (close(fd) < 0 && rc == 0)
			rc = -errno;
		if (rc == 0 && rename(tmp, cl->file) < 0)
			rc = -errno;
		if (rc < 0)
			unlink(tmp);
	}
	free(text);
	if (rc < 0)
		log_err("cluster: cannot write %s: %s", cl->file, strerror(-rc));
	return rc;
}

static int get_str(json_t *o, const char *k, char *buf, size_t len)
{
	const char *s = json_string_value(json_object_get(o, k));
	if (!s || strlen(s) >= len)
		return -EINVAL;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static int get_int(json_t *o, const char *k, json_int_t min, json_int_t max, json_int_t *v)
{
	json_t *x = json_object_get(o, k);
	if (!json_is_integer(x) || json_integer_value(x) < min || json_integer_value(x) > max)
		return -EINVAL;
	*v = json_integer_value(x);
	return 0;
}

static int ep_from_json(json_t *o, struct cl_ep *ep)
{
	char ip[ADDR_STRLEN + 1], mac[MAC_STRLEN + 1];
	json_int_t dev, ino, plen, vni, rev;
	memset(ep, 0, sizeof(*ep));
	if (get_str(o, "network", ep->network, sizeof(ep->network)) || get_str(o, "link", ep->link, IFNAMSIZ) ||
	    get_str(o, "bridge", ep->bridge, IFNAMSIZ) || get_str(o, "veth", ep->veth, IFNAMSIZ) ||
	    get_str(o, "ifname", ep->ifname, IFNAMSIZ) || get_str(o, "netns", ep->nspath, sizeof(ep->nspath)) ||
	    get_str(o, "mac", mac, sizeof(mac)) || get_str(o, "ip", ip, sizeof(ip)) ||
	    get_int(o, "ns_dev", 0, INT64_MAX, &dev) || get_int(o, "ns_ino", 0, INT64_MAX, &ino) ||
	    get_int(o, "prefixlen", 1, 128, &plen) || get_int(o, "vni", 1, CLUSTER_VNI_MAX, &vni) ||
	    get_int(o, "ipam_revision", 0, INT64_MAX, &rev))
		return -EINVAL;
	if (cluster_name_check(ep->network, NULL) < 0 || mac_parse(mac, ep->mac) < 0 || addr_parse(ip, &ep->ip) < 0)
		return -EINVAL;
	ep->ns_dev = (uint64_t)dev;
	ep->ns_ino = (uint64_t)ino;
	ep->plen = (uint8_t)plen;
	ep->vni = (uint32_t)vni;
	ep->ipam_rev = rev;
	ep->published = true;
	return 0;
}

int cl_local_load(struct cluster *cl)
{
	json_error_t err;
	json_t *root = json_load_file(cl->file, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		if (access(cl->file, F_OK) < 0 && errno == ENOENT)
			return 0; /* a first start */
		log_err("cluster: %s is corrupt (%s): refusing to start over it; fix or remove the file", cl->file,
			err.text);
		return -EINVAL;
	}
	int rc = 0;
	char host[CLUSTER_NAME_MAX + 1] = "";
	json_int_t lease = 0;
	json_t *eps = json_object_get(root, "endpoints");
	if (get_str(root, "host", host, sizeof(host)) || get_int(root, "lease", 0, INT64_MAX, &lease) ||
	    !json_is_array(eps)) {
		log_err("cluster: %s is corrupt: refusing to start over it; fix or remove the file", cl->file);
		rc = -EINVAL;
		goto out;
	}
	/* The lease is ours only under the same name. */
	if (!strcmp(host, cl->host))
		cl->saved_lease = lease;
	size_t i;
	json_t *o;
	json_array_foreach(eps, i, o)
	{
		struct cl_ep tmp, *ep;
		if (ep_from_json(o, &tmp) < 0) {
			log_err("cluster: %s: endpoint %zu is corrupt: refusing to start over it", cl->file, i);
			rc = -EINVAL;
			goto out;
		}
		ep = malloc(sizeof(*ep));
		if (!ep) {
			rc = -ENOMEM;
			goto out;
		}
		*ep = tmp;
		cl_local_add(cl, ep);
	}
	if (cl->eps)
		log_info("cluster: %zu local endpoint(s) from %s", json_array_size(eps), cl->file);
out:
	json_decref(root);
	return rc;
}

struct cl_ep *cl_local_find(struct cluster *cl, const char *network, uint64_t ns_dev, uint64_t ns_ino,
			    const char *nspath)
{
	for (struct cl_ep *ep = cl->eps; ep; ep = ep->next) {
		if (strcmp(ep->network, network))
			continue;
		/* The same namespace, whichever name it is given; a namespace
		 * that is gone only by the name it was attached with. */
		if (ns_ino ? ep->ns_dev == ns_dev && ep->ns_ino == ns_ino : !strcmp(ep->nspath, nspath))
			return ep;
	}
	return NULL;
}

unsigned cl_local_count(struct cluster *cl, const char *network, const struct cl_ep *except)
{
	unsigned n = 0;
	for (const struct cl_ep *ep = cl->eps; ep; ep = ep->next)
		n += ep != except && !strcmp(ep->network, network);
	return n;
}

void cl_local_add(struct cluster *cl, struct cl_ep *ep)
{
	/* Appended: the file lists them in the order they were made. */
	struct cl_ep **pp = &cl->eps;
	while (*pp)
		pp = &(*pp)->next;
	ep->next = NULL;
	*pp = ep;
}

void cl_local_remove(struct cluster *cl, struct cl_ep *ep)
{
	for (struct cl_ep **pp = &cl->eps; *pp; pp = &(*pp)->next) {
		if (*pp == ep) {
			*pp = ep->next;
			return;
		}
	}
}
