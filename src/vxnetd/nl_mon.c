/* nl_mon: the monitor. A non-blocking netlink socket subscribed to link and
 * neighbour notifications (the vxlan driver sends fdb changes and its l2miss
 * / l3miss notifications to RTNLGRP_NEIGH too), read until drained, each
 * message turned into one struct nl_event; an overrun is reported as such so
 * the caller can resync by dumping. */
#include "nl_priv.h"

#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* Large enough that a burst (a flushed fdb of thousands of entries) fits
 * while the daemon is busy elsewhere; the kernel caps it at rmem_max unless
 * we are allowed to force it. */
#define NL_MON_RCVBUF (4 << 20)

struct nl_mon {
	struct mnl_socket *sock;
	uint8_t buf[NL_RECV_BUF];
};

int nl_parse_event(const struct nlmsghdr *nlh, struct nl_event *out)
{
	memset(out, 0, sizeof(*out));
	int rc;
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		rc = nl_parse_link(nlh, &out->link);
		if (rc < 0)
			return rc;
		out->type = nlh->nlmsg_type == RTM_NEWLINK ? NL_EV_LINK_NEW : NL_EV_LINK_DEL;
		return 0;
	case RTM_NEWNEIGH:
	case RTM_DELNEIGH: {
		bool add = nlh->nlmsg_type == RTM_NEWNEIGH;
		if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN || mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ndmsg))
			return -EBADMSG;
		const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
		if (ndm->ndm_family == AF_BRIDGE) {
			rc = nl_parse_fdb(nlh, &out->fdb);
			out->type = add ? NL_EV_FDB_NEW : NL_EV_FDB_DEL;
		} else {
			rc = nl_parse_neigh(nlh, &out->neigh);
			out->type = add ? NL_EV_NEIGH_NEW : NL_EV_NEIGH_DEL;
		}
		if (rc < 0)
			out->type = 0;
		return rc;
	}
	case RTM_GETNEIGH:
		rc = nl_parse_miss(nlh, &out->miss);
		if (rc < 0)
			return rc;
		out->type = (enum nl_event_type)rc;
		return 0;
	default:
		return -ENOENT;
	}
}

int nl_mon_open(struct nl_mon **out, int netns_fd, int rcvbuf)
{
	if (rcvbuf < 0)
		return -EINVAL;
	struct nl_mon *m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	int rc = nl_sock_open(netns_fd, SOCK_NONBLOCK, 0, &m->sock);
	if (rc < 0) {
		free(m);
		return rc;
	}
	int fd = mnl_socket_get_fd(m->sock);
	unsigned groups[] = {RTNLGRP_LINK, RTNLGRP_NEIGH};
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		if (mnl_socket_setsockopt(m->sock, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof(groups[i])) < 0) {
			rc = -errno;
			nl_mon_close(m);
			return rc;
		}
	}
	int size = rcvbuf ? rcvbuf : NL_MON_RCVBUF;
	/* A forced size needs CAP_NET_ADMIN; without it the plain one, capped
	 * by rmem_max, is what we can have. An explicit size is taken as asked. */
	if (rcvbuf || setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0) {
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) < 0) {
			rc = -errno;
			nl_mon_close(m);
			return rc;
		}
	}
	*out = m;
	return 0;
}

void nl_mon_close(struct nl_mon *m)
{
	if (!m)
		return;
	if (m->sock)
		mnl_socket_close(m->sock);
	free(m);
}

int nl_mon_fd(const struct nl_mon *m)
{
	return mnl_socket_get_fd(m->sock);
}

struct mon_walk {
	nl_event_cb cb;
	void *arg;
	int cb_rc;
	struct nl_event ev;
};

static int on_event(const struct nlmsghdr *nlh, void *data)
{
	struct mon_walk *w = data;
	/* Messages that are no event (or that the kernel could not have meant)
	 * are skipped: one bad message must not hide the ones after it. */
	if (nl_parse_event(nlh, &w->ev) < 0)
		return MNL_CB_OK;
	w->cb_rc = w->cb(&w->ev, w->arg);
	return w->cb_rc ? MNL_CB_STOP : MNL_CB_OK;
}

static int ctl_skip(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

int nl_mon_read(struct nl_mon *m, nl_event_cb cb, void *arg)
{
	if (!cb)
		return -EINVAL;
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {0};
	for (int t = 0; t < NLMSG_MIN_TYPE; t++)
		ctl[t] = ctl_skip;
	struct mon_walk w = {.cb = cb, .arg = arg};
	for (;;) {
		ssize_t n = nl_recv(m->sock, m->buf, sizeof(m->buf));
		if (n < 0) {
			if (n == -EINTR)
				continue;
			if (n == -EAGAIN || n == -EWOULDBLOCK)
				return 0;
			/* A truncated datagram (ENOSPC) lost its events just as an
			 * overrun does. */
			if (n == -ENOBUFS || n == -ENOSPC)
				return -ENOBUFS;
			return (int)n;
		}
		if (!nl_stream_ok(m->buf, (size_t)n))
			return -EBADMSG;
		/* Notifications carry the port id of whoever caused them and
		 * sequence number 0 or theirs: check neither. */
		int ret = mnl_cb_run2(m->buf, (size_t)n, 0, 0, on_event, &w, ctl, NLMSG_MIN_TYPE);
		if (w.cb_rc)
			return w.cb_rc;
		if (ret < 0)
			return -EBADMSG;
	}
}
