/* nl_priv: what the nl_*.c files share and nobody else needs: the handle's
 * layout, the request loop, message-start and attribute helpers. */
#ifndef VXNETD_NL_PRIV_H
#define VXNETD_NL_PRIV_H

#include <libmnl/libmnl.h>

#include "nl.h"

/* Big enough for any datagram the kernel sends on a dump: it sizes dump skbs
 * at most 32 KiB; mnl reports a larger one as truncated (-ENOSPC). */
#define NL_RECV_BUF 32768

struct nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	char errmsg[NL_ERRMSG_LEN];
	uint8_t req[NL_REQ_MAX];
	uint8_t buf[NL_RECV_BUF];
};

/* Called for every message of a reply that is not an ack/done/error. Returns
 * 0 or -errno; an error stops the callbacks but the reply is still read. */
typedef int (*nl_msg_fn)(const struct nlmsghdr *nlh, void *arg);

/* The next sequence number of nl (never 0, which mnl treats as "any"). */
uint32_t nl_next_seq(struct nl *nl);
/* Send the request at nl->req and read its whole reply (through the ack or
 * NLMSG_DONE) with sequence and port checks; on_msg (may be NULL) sees the
 * data messages. Sets nl->errmsg. */
int nl_request(struct nl *nl, nl_msg_fn on_msg, void *arg);
/* Record why a request failed without asking the kernel; returns rc. */
int nl_fail(struct nl *nl, int rc, const char *why);
/* Open a NETLINK_ROUTE socket (SOCK_CLOEXEC | extra_flags) in netns_fd's
 * namespace (< 0: the current one), bound with an automatic port id. */
int nl_sock_open(int netns_fd, int extra_flags, unsigned groups, struct mnl_socket **out);

/* Receive one datagram sent by the kernel into buf: datagrams from other
 * (root) processes are dropped; a truncated one is -ENOSPC; -errno. */
ssize_t nl_recv(struct mnl_socket *sock, void *buf, size_t size);

/* Start a message in buf: header plus a zeroed family header of extra_len
 * bytes. NULL when buf cannot hold them. */
struct nlmsghdr *nl_msg_start(void *buf, size_t len, uint16_t type, uint16_t flags, uint32_t seq, size_t extra_len);

/* Put an IPv4 (4 bytes) or IPv6 (16 bytes) address: attribute type4 or
 * type6 by a's family. false when it does not fit or the family is neither. */
bool nl_put_addr(struct nlmsghdr *nlh, size_t len, uint16_t type4, uint16_t type6, const struct vx_addr *a);
/* An address attribute of exactly 4 or 16 bytes. -EBADMSG otherwise. */
int nl_get_addr(const struct nlattr *a, struct vx_addr *out);

/* Collect the attributes of nlh after its family header of off bytes (the
 * payload must hold it) into tb[0..max], last one wins; types above max are
 * ignored. -EBADMSG when the payload is shorter than off. */
int nl_attr_table(const struct nlmsghdr *nlh, size_t off, const struct nlattr **tb, unsigned max);
/* The same for the attributes nested in nest. */
int nl_attr_table_nested(const struct nlattr *nest, const struct nlattr **tb, unsigned max);
/* Validation shorthands: true when a is present and well-formed. */
bool nl_ok_u8(const struct nlattr *a);
bool nl_ok_u16(const struct nlattr *a);
bool nl_ok_u32(const struct nlattr *a);
bool nl_ok_len(const struct nlattr *a, size_t len);
/* Copy a NUL-terminated string attribute of at most size - 1 characters. */
int nl_get_str(const struct nlattr *a, char *out, size_t size);

/* A vxlan miss notification (RTM_GETNEIGH of AF_INET / AF_INET6, state
 * NUD_STALE): l2miss has the MAC and no address, l3miss the address and no
 * MAC. The neighbour subsystem's own RTM_GETNEIGH (application probes, when
 * app_solicit > 0) carries NDA_PROBES: not a miss. Returns NL_EV_L2MISS,
 * NL_EV_L3MISS, -ENOENT for anything else, -EBADMSG. */
int nl_parse_miss(const struct nlmsghdr *nlh, struct nl_miss *out);

/* NDA_CACHEINFO clock ticks (USER_HZ, 100 per second) to milliseconds. */
uint32_t nl_ticks_to_ms(uint32_t ticks);

#endif
