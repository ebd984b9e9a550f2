/* udp: underlay socket set-up (see udp.h for why sending is raw). */
#include "udp.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL 49 /* linux/in.h */
#endif
#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL 29 /* linux/in6.h */
#endif

/* Big buffers absorb bursts between two epoll turns; FORCE works as root
 * and falls back to the capped variant otherwise. */
static void set_bufs(int fd, int bytes)
{
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &bytes, sizeof(bytes)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof(bytes));
}

static int drop_all(int fd)
{
	struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
	struct sock_fprog prog = {.len = 1, .filter = &drop};
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

/* Bind fd to the wildcard address of its family at port; an IPv6 socket is
 * IPv6-only, since IPv4 always has a socket of its own. 0 or -1 (errno). */
static int bind_wildcard(int fd, int family, uint16_t port)
{
	int one = 1;
	struct sockaddr_storage ss = {0};
	socklen_t sl;
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_any;
		sl = sizeof(*s6);
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
			return -1;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		sl = sizeof(*s4);
	}
	return bind(fd, (struct sockaddr *)&ss, sl);
}

/* One receive socket; reuseport: of a group. fd or -errno. */
static int rx_one(int family, uint16_t port, bool reuseport, int bufsize)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	set_bufs(fd, bufsize);
	int one = 1;
	if ((reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) ||
	    bind_wildcard(fd, family, port) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	/* Best effort: without it datagrams simply arrive one by one. */
	setsockopt(fd, IPPROTO_UDP, UDP_GRO, &one, sizeof(one));
	/* The outer TOS / traffic class of each datagram, for ECN on
	 * decapsulation (RFC 6040). */
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one));
	else
		setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one));
	return fd;
}

int udp_rx_open(int family, uint16_t port, unsigned n, int *fds)
{
	if (!n)
		return -EINVAL;
	if (n == 1) {
		int fd = rx_one(family, port, false, 8 << 20);
		if (fd < 0)
			return fd;
		fds[0] = fd;
		return 0;
	}
	/* A group would let another SO_REUSEPORT socket of the same user join
	 * it and take part of the traffic: make sure the port is free first
	 * (an exclusive bind fails if anyone holds it, with or without
	 * SO_REUSEPORT), then build the group at once. */
	int probe = rx_one(family, port, false, 4096);
	if (probe < 0)
		return probe;
	close(probe);
	/* The buffers absorb bursts between two turns of one worker's loop. */
	int bufsize = (8 << 20) / (int)n < (2 << 20) ? (2 << 20) : (8 << 20) / (int)n;
	for (unsigned i = 0; i < n; i++) {
		int fd = rx_one(family, port, true, bufsize);
		int zero = 0;
		if (fd >= 0 && i > 0) {
			/* Multicast reaches every socket of a group that has
			 * IP_MULTICAST_ALL on: only socket 0 takes it. */
			int rc = family == AF_INET6
				     ? setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &zero, sizeof(zero))
				     : setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &zero, sizeof(zero));
			if (rc < 0) {
				close(fd);
				fd = -errno;
			}
		}
		if (fd < 0) {
			while (i > 0)
				close(fds[--i]);
			return fd;
		}
		fds[i] = fd;
	}
	return 0;
}

/* What every sending socket needs: a drop-all receive filter, DF on (never
 * fragment, RFC 7348 section 4.3) unless `df unset` asked otherwise, and no
 * loopback of our own multicast. */
static int tx_opts(int fd, int family, bool df)
{
	int zero = 0, pmtu = df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;
	int rc = drop_all(fd);
	if (rc == 0 && family == AF_INET6) {
		int dontfrag = df ? 1 : 0;
		/* IPv6 routers never fragment; without PMTUDISC_DO the kernel
		 * would fragment at the source once a router said the path is
		 * smaller, where vxnetd must tell the inner sender instead. */
		int pmtu6 = df ? IPV6_PMTUDISC_DO : IPV6_PMTUDISC_DONT;
		rc = setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &dontfrag, sizeof(dontfrag));
		if (rc == 0)
			rc = setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu6, sizeof(pmtu6));
		if (rc == 0)
			rc = setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &zero, sizeof(zero));
	} else if (rc == 0) {
		rc = setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
		if (rc == 0)
			rc = setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof(zero));
	}
	return rc;
}

int udp_gso_open(int family, uint16_t port, bool reuseport)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	int one = 1;
	int rc = tx_opts(fd, family, true);
	if (rc == 0 && reuseport)
		rc = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (rc == 0)
		rc = bind_wildcard(fd, family, port);
	if (rc < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	set_bufs(fd, 4 << 20);
	return fd;
}

int udp_tx_open(int family, bool df)
{
	int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	/* A raw UDP socket sees a copy of every UDP datagram in the namespace:
	 * tx_opts' drop-all filter keeps its receive queue empty. */
	int rc = tx_opts(fd, family, df);
	if (rc == 0 && family == AF_INET6) {
		int off = 6; /* UDP checksum field: the kernel fills it, 0 becomes 0xffff */
		rc = setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off));
	}
	if (rc == 0 && family == AF_INET6) {
		/* An unconnected raw IPv6 socket takes a router's packet-too-big
		 * into the route's path MTU only with IPV6_RECVERR on (rawv6_err
		 * returns early otherwise; IPv4's raw_err does not). The error
		 * queue it fills is drained by udp_tx_drain_errors(). */
		int one = 1;
		rc = setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof(one));
	}
	if (rc < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	set_bufs(fd, 8 << 20);
	return fd;
}

static int group_op(int fd, const struct vx_addr *g, uint32_t ifindex, int join)
{
	int rc;
	if (g->family == AF_INET) {
		struct ip_mreqn mr = {.imr_multiaddr = g->v4, .imr_ifindex = (int)ifindex};
		rc = setsockopt(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &mr, sizeof(mr));
	} else {
		struct ipv6_mreq mr = {.ipv6mr_multiaddr = g->v6, .ipv6mr_interface = ifindex};
		rc = setsockopt(fd, IPPROTO_IPV6, join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, &mr, sizeof(mr));
	}
	return rc < 0 ? -errno : 0;
}

int udp_group_join(int fd, const struct vx_addr *group, uint32_t ifindex)
{
	return group_op(fd, group, ifindex, 1);
}

int udp_group_leave(int fd, const struct vx_addr *group, uint32_t ifindex)
{
	return group_op(fd, group, ifindex, 0);
}

int udp_tx_drain_errors(int fd, struct vx_addr *dsts, unsigned max)
{
	unsigned n = 0;
	for (;;) {
		uint8_t buf[256];
		_Alignas(struct cmsghdr) char ctrl[256];
		struct sockaddr_storage from;
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr mh = {.msg_name = &from,
				    .msg_namelen = sizeof(from),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = ctrl,
				    .msg_controllen = sizeof(ctrl)};
		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (!(c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR) &&
			    !(c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR))
				continue;
			struct sock_extended_err ee;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			bool too_big = (ee.ee_origin == SO_EE_ORIGIN_ICMP6 && ee.ee_type == 2) ||
				       (ee.ee_origin == SO_EE_ORIGIN_ICMP && ee.ee_type == 3 && ee.ee_code == 4);
			uint16_t port;
			if (too_big && n < max && addr_from_sockaddr((struct sockaddr *)&from, &dsts[n], &port) == 0)
				n++;
		}
	}
	return (int)n;
}
