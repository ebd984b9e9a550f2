/* nl: the request handle (socket, sequence numbers, extended acks, the read
 * loop that always consumes a whole reply) and the helpers the builders and
 * parsers of nl_link.c, nl_neigh.c and nl_mon.c share. */
#include "nl_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

/* The kernel answers every request; this only bounds a wait on a wedged
 * RTNL so that the daemon's loop is never stuck for good. */
#define NL_REPLY_TIMEOUT_S 10

int nl_fail(struct nl *nl, int rc, const char *why)
{
	snprintf(nl->errmsg, sizeof(nl->errmsg), "%s", why);
	return rc;
}

const char *nl_errmsg(const struct nl *nl)
{
	return nl->errmsg;
}

uint32_t nl_next_seq(struct nl *nl)
{
	if (++nl->seq == 0)
		nl->seq = 1;
	return nl->seq;
}

uint32_t nl_ticks_to_ms(uint32_t ticks)
{
	uint64_t ms = (uint64_t)ticks * 10u;
	return ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
}

/* --- sockets ------------------------------------------------------------- */

static int sock_open_here(int extra_flags, unsigned groups, struct mnl_socket **out)
{
	struct mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | extra_flags);
	if (!s)
		return -errno;
	if (mnl_socket_bind(s, groups, MNL_SOCKET_AUTOPID) < 0) {
		int rc = -errno;
		mnl_socket_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

int nl_sock_open(int netns_fd, int extra_flags, unsigned groups, struct mnl_socket **out)
{
	if (netns_fd < 0)
		return sock_open_here(extra_flags, groups, out);
	/* A netlink socket stays in the namespace it was created in, so
	 * entering the target only for socket() is enough. */
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0)
		return -errno;
	int rc = 0;
	if (setns(netns_fd, CLONE_NEWNET) < 0) {
		rc = -errno;
		close(self);
		return rc;
	}
	rc = sock_open_here(extra_flags, groups, out);
	if (setns(self, CLONE_NEWNET) < 0) {
		int err = -errno;
		if (rc == 0)
			mnl_socket_close(*out);
		rc = err;
	}
	close(self);
	return rc;
}

int nl_open(struct nl **out, int netns_fd)
{
	struct nl *nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	int rc = nl_sock_open(netns_fd, 0, 0, &nl->sock);
	if (rc < 0) {
		free(nl);
		return rc;
	}
	int one = 1;
	struct timeval tv = {.tv_sec = NL_REPLY_TIMEOUT_S};
	/* Extended acks carry the kernel's reason; capped acks keep them short;
	 * strict checks make the kernel honour (or refuse) dump filters instead
	 * of silently dumping everything. */
	if (mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one)) < 0 ||
	    mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one)) < 0 ||
	    mnl_socket_setsockopt(nl->sock, NETLINK_GET_STRICT_CHK, &one, sizeof(one)) < 0 ||
	    setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) {
		rc = -errno;
		nl_close(nl);
		return rc;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	*out = nl;
	return 0;
}

void nl_close(struct nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

/* --- messages and attributes --------------------------------------------- */

struct nlmsghdr *nl_msg_start(void *buf, size_t len, uint16_t type, uint16_t flags, uint32_t seq, size_t extra_len)
{
	if (!buf || len < MNL_NLMSG_HDRLEN + MNL_ALIGN(extra_len))
		return NULL;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	if (extra_len)
		mnl_nlmsg_put_extra_header(nlh, extra_len);
	return nlh;
}

bool nl_put_addr(struct nlmsghdr *nlh, size_t len, uint16_t type4, uint16_t type6, const struct vx_addr *a)
{
	if (a->family == AF_INET)
		return mnl_attr_put_check(nlh, len, type4, sizeof(a->v4), &a->v4);
	if (a->family == AF_INET6)
		return mnl_attr_put_check(nlh, len, type6, sizeof(a->v6), &a->v6);
	return false;
}

int nl_get_addr(const struct nlattr *a, struct vx_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (nl_ok_len(a, sizeof(out->v4))) {
		out->family = AF_INET;
		memcpy(&out->v4, mnl_attr_get_payload(a), sizeof(out->v4));
		return 0;
	}
	if (nl_ok_len(a, sizeof(out->v6))) {
		out->family = AF_INET6;
		memcpy(&out->v6, mnl_attr_get_payload(a), sizeof(out->v6));
		return 0;
	}
	return -EBADMSG;
}

struct attr_table {
	const struct nlattr **tb;
	unsigned max;
};

static int attr_collect(const struct nlattr *a, void *data)
{
	struct attr_table *t = data;
	uint16_t type = mnl_attr_get_type(a);
	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

int nl_attr_table(const struct nlmsghdr *nlh, size_t off, const struct nlattr **tb, unsigned max)
{
	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN || mnl_nlmsg_get_payload_len(nlh) < off)
		return -EBADMSG;
	struct attr_table t = {tb, max};
	/* mnl stops at the first attribute whose length does not fit: what
	 * comes after it is ignored, everything collected is whole. */
	mnl_attr_parse(nlh, (unsigned)off, attr_collect, &t);
	return 0;
}

int nl_attr_table_nested(const struct nlattr *nest, const struct nlattr **tb, unsigned max)
{
	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) < 0)
		return -EBADMSG;
	struct attr_table t = {tb, max};
	mnl_attr_parse_nested(nest, attr_collect, &t);
	return 0;
}

bool nl_ok_u8(const struct nlattr *a)
{
	return a && mnl_attr_validate(a, MNL_TYPE_U8) == 0;
}

bool nl_ok_u16(const struct nlattr *a)
{
	return a && mnl_attr_validate(a, MNL_TYPE_U16) == 0;
}

bool nl_ok_u32(const struct nlattr *a)
{
	return a && mnl_attr_validate(a, MNL_TYPE_U32) == 0;
}

bool nl_ok_len(const struct nlattr *a, size_t len)
{
	return a && mnl_attr_validate2(a, MNL_TYPE_BINARY, len) == 0;
}

int nl_get_str(const struct nlattr *a, char *out, size_t size)
{
	if (!a || mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return -EBADMSG;
	const char *s = mnl_attr_get_str(a);
	size_t n = strlen(s);
	if (n >= size)
		return -EBADMSG;
	memcpy(out, s, n + 1);
	return 0;
}

bool nl_msg_ok(const struct nlmsghdr *nlh, size_t len)
{
	return len >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) && nlh->nlmsg_len <= len;
}

bool nl_stream_ok(const void *buf, size_t len)
{
	const char *p = buf;
	while (len >= sizeof(struct nlmsghdr)) {
		const struct nlmsghdr *nlh = (const void *)p;
		if (!nl_msg_ok(nlh, len))
			return false;
		size_t step = MNL_ALIGN(nlh->nlmsg_len);
		if (step >= len)
			return true;
		p += step;
		len -= step;
	}
	return true;
}

ssize_t nl_recv(struct mnl_socket *sock, void *buf, size_t size)
{
	for (;;) {
		struct sockaddr_nl sa;
		struct iovec iov = {buf, size};
		struct msghdr m = {.msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n = recvmsg(mnl_socket_get_fd(sock), &m, 0);
		if (n < 0)
			return -errno;
		if (m.msg_flags & MSG_TRUNC)
			return -ENOSPC;
		/* Root processes may unicast to our port: only the kernel's count. */
		if (m.msg_namelen != sizeof(sa) || sa.nl_pid != 0)
			continue;
		return n;
	}
}

/* --- acks ---------------------------------------------------------------- */

struct ack_tlv {
	char *msg;
	size_t msglen;
	uint32_t offset;
};

static int ack_tlv_cb(const struct nlattr *a, void *data)
{
	struct ack_tlv *t = data;
	switch (mnl_attr_get_type(a)) {
	case NLMSGERR_ATTR_MSG:
		if (t->msg && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(t->msg, t->msglen, "%s", mnl_attr_get_str(a));
		break;
	case NLMSGERR_ATTR_OFFS:
		if (nl_ok_u32(a))
			t->offset = mnl_attr_get_u32(a);
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

int nl_parse_ack(const struct nlmsghdr *nlh, int *error, char *msg, size_t msglen, uint32_t *offset)
{
	if (msg && msglen)
		msg[0] = 0;
	if (offset)
		*offset = 0;
	if (nlh->nlmsg_type != NLMSG_ERROR)
		return -ENOENT;
	size_t plen = mnl_nlmsg_get_payload_len(nlh);
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN || plen < sizeof(struct nlmsgerr))
		return -EBADMSG;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	/* A positive or absurd errno is no errno: refuse rather than pass it on. */
	if (e->error > 0 || e->error < -4095)
		return -EBADMSG;
	*error = e->error;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	/* The TLVs follow the echoed request: only its header when capped (or on
	 * success), the whole request otherwise. */
	size_t skip = sizeof(struct nlmsgerr);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && e->error != 0) {
		if (e->msg.nlmsg_len < sizeof(struct nlmsghdr))
			return -EBADMSG;
		skip = sizeof(e->error) + MNL_ALIGN(e->msg.nlmsg_len);
	}
	skip = MNL_ALIGN(skip);
	if (skip > plen)
		return -EBADMSG;
	struct ack_tlv t = {msg, msglen, 0};
	mnl_attr_parse_payload((const char *)e + skip, plen - skip, ack_tlv_cb, &t);
	if (offset)
		*offset = t.offset;
	return 0;
}

/* --- the request loop ---------------------------------------------------- */

struct reply {
	struct nl *nl;
	nl_msg_fn on_msg;
	void *arg;
	int error;  /* the kernel's answer (ack, done) */
	int cb_rc;  /* first failure of on_msg */
	bool ended; /* ack, error or done seen */
};

static int reply_data(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;
	if (r->on_msg && r->cb_rc == 0)
		r->cb_rc = r->on_msg(nlh, r->arg);
	return MNL_CB_OK;
}

static int reply_error(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;
	int err = 0;
	if (nl_parse_ack(nlh, &err, r->nl->errmsg, sizeof(r->nl->errmsg), NULL) < 0) {
		err = -EBADMSG;
		nl_fail(r->nl, err, "malformed acknowledgement from the kernel");
	}
	r->error = err;
	r->ended = true;
	return MNL_CB_STOP;
}

static int reply_done(const struct nlmsghdr *nlh, void *data)
{
	struct reply *r = data;
	/* A dump that failed half-way says so in NLMSG_DONE's payload. */
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		int err;
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		if (err < 0 && err >= -4095)
			r->error = err;
	}
	r->ended = true;
	return MNL_CB_STOP;
}

static int reply_noop(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

/* True when buf holds the last message (ack, error or done) of reply seq. */
static bool holds_end(const void *buf, size_t n, uint32_t seq)
{
	int len = (int)n;
	for (const struct nlmsghdr *h = buf; mnl_nlmsg_ok(h, len); h = mnl_nlmsg_next(h, &len))
		if (h->nlmsg_seq == seq && (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR))
			return true;
	return false;
}

/* After an aborted parse: read and drop the rest of reply seq, so the next
 * request does not find it first. */
static void drain_reply(struct nl *nl, size_t n, uint32_t seq)
{
	while (!nl_stream_ok(nl->buf, n) || !holds_end(nl->buf, n, seq)) {
		ssize_t got = nl_recv(nl->sock, nl->buf, sizeof(nl->buf));
		if (got <= 0)
			return;
		n = (size_t)got;
	}
}

/* Drop whatever an earlier, abandoned reply left on the socket. */
static void drain_stale(struct nl *nl)
{
	while (recv(mnl_socket_get_fd(nl->sock), nl->buf, sizeof(nl->buf), MSG_DONTWAIT) > 0)
		;
}

int nl_request(struct nl *nl, nl_msg_fn on_msg, void *arg)
{
	const struct nlmsghdr *req = (const struct nlmsghdr *)nl->req;
	uint32_t seq = req->nlmsg_seq;
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {0};
	ctl[NLMSG_NOOP] = reply_noop;
	ctl[NLMSG_ERROR] = reply_error;
	ctl[NLMSG_DONE] = reply_done;
	ctl[NLMSG_OVERRUN] = reply_noop;
	struct reply r = {.nl = nl, .on_msg = on_msg, .arg = arg};

	nl->errmsg[0] = 0;
	drain_stale(nl);
	if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0) {
		int rc = -errno;
		return nl_fail(nl, rc, strerror(-rc));
	}
	while (!r.ended) {
		ssize_t n = nl_recv(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0) {
			if (n == -EINTR)
				continue;
			int rc = n == -EAGAIN ? -ETIMEDOUT : (int)n;
			return nl_fail(nl, rc,
				       rc == -ETIMEDOUT ? "no reply from the kernel"
				       : rc == -ENOSPC	? "reply larger than the receive buffer"
							: strerror(-rc));
		}
		if (!nl_stream_ok(nl->buf, (size_t)n)) {
			drain_reply(nl, 0, seq);
			return nl_fail(nl, -EBADMSG, "malformed reply from the kernel");
		}
		int ret = mnl_cb_run2(nl->buf, (size_t)n, seq, nl->portid, reply_data, &r, ctl, NLMSG_MIN_TYPE);
		if (ret < 0 && !r.ended) {
			/* mnl refused a message: another request's sequence number or
			 * port (EPROTO/ESRCH), a dump the kernel interrupted because
			 * the table changed under it (EINTR: retry), or a bad length. */
			int rc = -errno;
			const char *why = rc == -EINTR	  ? "dump interrupted by a concurrent change, retry"
					  : rc == -EPROTO ? "reply with an unexpected sequence number"
					  : rc == -ESRCH  ? "reply for another netlink port"
							  : "malformed reply from the kernel";
			drain_reply(nl, (size_t)n, seq);
			return nl_fail(nl, rc, why);
		}
	}
	if (r.error == 0 && r.cb_rc == 0) {
		nl->errmsg[0] = 0; /* an extack warning on success is no reason */
		return 0;
	}
	if (r.error < 0) {
		if (!nl->errmsg[0])
			nl_fail(nl, r.error, strerror(-r.error));
		return r.error;
	}
	if (r.cb_rc != 0) {
		if (!nl->errmsg[0] && r.cb_rc < 0)
			nl_fail(nl, r.cb_rc,
				r.cb_rc == -EBADMSG ? "malformed message from the kernel" : strerror(-r.cb_rc));
		return r.cb_rc;
	}
	return 0;
}
