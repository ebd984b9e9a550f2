/* client: one exchange with vxnetd over its SOCK_SEQPACKET control socket:
 * send the request, read replies up to CTL_MSG_DONE (or, for monitor, the
 * event stream after it). Every reply is parsed strictly; show output is
 * collected in memory and written only once DONE says all went well, so an
 * error never leaves half a table on stdout. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

#define CLI_REPLY_TIMEOUT_S 10	 /* a daemon that accepted but never answers */
#define CLI_CLUSTER_TIMEOUT_S 30 /* the same, for requests that wait on the cluster store */

struct client {
	const struct cli_cmd *cmd;
	FILE *err;
	char what[32]; /* "fdb add": error prefix */
};

__attribute__((format(printf, 2, 3))) static int client_fail(struct client *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(c->err, "vxnet: %s: ", c->what);
	va_start(ap, fmt);
	vfprintf(c->err, fmt, ap);
	va_end(ap);
	fputc('\n', c->err);
	return CLI_EXIT_FAIL;
}

static int client_bad_reply(struct client *c)
{
	fputs("vxnet: bad reply from daemon\n", c->err);
	return CLI_EXIT_FAIL;
}

static int client_build(const struct cli_cmd *cmd, struct ctl_msg *m, void *buf, size_t cap, uint32_t seq)
{
	int err = ctl_msg_init(m, buf, cap, cmd->msg_type, seq);

	if (err)
		return err;
	switch (cmd->msg_type) {
	case CTL_MSG_LINK_ADD:
		err = ctl_put_link_config(m, &cmd->link);
		break;
	case CTL_MSG_LINK_SET:
		err = ctl_put_link_change(m, &cmd->link);
		break;
	case CTL_MSG_FDB_ADD:
	case CTL_MSG_FDB_APPEND:
	case CTL_MSG_FDB_REPLACE:
	case CTL_MSG_FDB_DEL:
		err = ctl_put_fdb_req(m, &cmd->fdb);
		break;
	case CTL_MSG_NEIGH_ADD:
	case CTL_MSG_NEIGH_REPLACE:
	case CTL_MSG_NEIGH_DEL:
		err = ctl_put_neigh_req(m, &cmd->neigh);
		break;
	default: /* link del/show, fdb/neigh show, monitor: at most a name */
		if (cli_is_cluster(cmd)) {
			err = cli_cluster_put(cmd, m);
			break;
		}
		if (cmd->has_ifname)
			err = ctl_put_str(m, CTL_A_IFNAME, cmd->ifname);
		break;
	}
	if (!err)
		ctl_msg_finish(m);
	return err;
}

/* The reply type a show request lists, 0 for requests that list nothing. */
static uint16_t client_object_type(uint16_t req)
{
	switch (req) {
	case CTL_MSG_LINK_SHOW:
		return CTL_MSG_LINK;
	case CTL_MSG_FDB_SHOW:
		return CTL_MSG_FDB;
	case CTL_MSG_NEIGH_SHOW:
		return CTL_MSG_NEIGH;
	default:
		return 0;
	}
}

static int client_print(struct cli_print *pr, const struct ctl_parsed *p)
{
	switch (p->hdr.type) {
	case CTL_MSG_LINK:
		return cli_print_link(pr, p);
	case CTL_MSG_FDB:
		return cli_print_fdb(pr, p);
	case CTL_MSG_NEIGH:
		return cli_print_neigh(pr, p);
	case CTL_MSG_EVENT:
		return cli_print_event(pr, p);
	default:
		return -EINVAL;
	}
}

/* DONE with an error: the daemon's reason, else the errno's. */
static int client_done_error(struct client *c, const struct ctl_parsed *p)
{
	const char *msg;

	if (p->hdr.status >= 0)
		return client_bad_reply(c);
	if (ctl_get_str(p, CTL_A_ERRMSG, &msg) || msg[0] == '\0')
		msg = strerror(-p->hdr.status);
	fprintf(c->err, "vxnet: %s: ", c->what);
	/* One line, whatever the daemon sent. */
	for (const unsigned char *s = (const unsigned char *)msg; *s; s++)
		fputc(*s < 0x20 || *s == 0x7f ? '?' : *s, c->err);
	fputc('\n', c->err);
	return CLI_EXIT_FAIL;
}

/* Receive one message; 1 on success, 0 on EOF, or an exit status (< 0 never). */
static int client_recv(struct client *c, int fd, uint8_t *buf, struct ctl_parsed *p, int *status)
{
	ssize_t n;

	do
		n = recv(fd, buf, CTL_MSG_MAX, MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			*status = client_fail(c, "no reply from vxnetd (timed out)");
		else
			*status = client_fail(c, "%s", strerror(errno));
		return -1;
	}
	if (n == 0)
		return 0;
	/* MSG_TRUNC makes n the datagram's real size. */
	if ((size_t)n > CTL_MSG_MAX || ctl_parse_opts(buf, (size_t)n, p, CTL_PARSE_SKIP_UNKNOWN)) {
		*status = client_bad_reply(c);
		return -1;
	}
	return 1;
}

/* After DONE of a monitor request: events until the daemon goes away. */
static int client_monitor(struct client *c, int fd, uint8_t *buf, FILE *out)
{
	struct cli_print pr = {.f = out, .json = c->cmd->json, .stats = c->cmd->stats, .count = 0};
	struct timeval tv = {0, 0};
	struct ctl_parsed p;
	int status = 0, r;

	/* Events come whenever they happen. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		r = client_recv(c, fd, buf, &p, &status);
		if (r < 0)
			return status;
		if (r == 0)
			return client_fail(c, "connection closed by vxnetd");
		if (p.hdr.type == CTL_MSG_DONE)
			return p.hdr.status ? client_done_error(c, &p) : CLI_EXIT_OK;
		if (p.hdr.type != CTL_MSG_EVENT || cli_print_event(&pr, &p))
			return client_bad_reply(c);
		if (fflush(out) || ferror(out))
			return CLI_EXIT_FAIL; /* reader gone: nothing left to say */
	}
}

static int client_exchange(struct client *c, int fd, uint32_t seq, FILE *out)
{
	const struct cli_cmd *cmd = c->cmd;
	uint16_t want = client_object_type(cmd->msg_type);
	struct cli_print pr = {.f = NULL, .json = cmd->json, .stats = cmd->stats, .count = 0};
	uint8_t *buf = malloc(CTL_MSG_MAX);
	struct ctl_parsed p;
	char *text = NULL;
	size_t text_len = 0;
	int status = CLI_EXIT_FAIL, r;
	struct cli_cluster_out *co = NULL;

	if (cli_is_cluster(cmd) && !(co = cli_cluster_out_new(cmd))) {
		free(buf);
		return client_fail(c, "%s", strerror(ENOMEM));
	}
	if (!buf)
		return client_fail(c, "%s", strerror(ENOMEM));
	pr.f = open_memstream(&text, &text_len);
	if (!pr.f) {
		free(buf);
		return client_fail(c, "%s", strerror(errno));
	}
	if (want && cmd->json)
		fputc('[', pr.f);
	for (;;) {
		r = client_recv(c, fd, buf, &p, &status);
		if (r < 0)
			break;
		if (r == 0) {
			status = client_fail(c, "connection closed by vxnetd");
			break;
		}
		if (p.hdr.seq != seq) {
			status = client_bad_reply(c);
			break;
		}
		if (p.hdr.type == CTL_MSG_DONE) {
			if (p.hdr.status) {
				status = client_done_error(c, &p);
				break;
			}
			status = CLI_EXIT_OK;
			if (cmd->msg_type == CTL_MSG_MONITOR)
				status = client_monitor(c, fd, buf, out);
			if (co && cli_cluster_print(co, pr.f))
				status = client_bad_reply(c);
			break;
		}
		if (co) {
			if (cli_cluster_reply(co, &p)) {
				status = client_bad_reply(c);
				break;
			}
		} else if (want && p.hdr.type == want) {
			if (client_print(&pr, &p)) {
				status = client_bad_reply(c);
				break;
			}
		} else if (want ||
			   (p.hdr.type != CTL_MSG_LINK && p.hdr.type != CTL_MSG_FDB && p.hdr.type != CTL_MSG_NEIGH)) {
			/* A change request may be echoed with its object; anything
			 * else out of place means we do not understand the daemon. */
			status = client_bad_reply(c);
			break;
		}
	}
	if (want && cmd->json)
		fputs("]\n", pr.f);
	if (fclose(pr.f) && status == CLI_EXIT_OK)
		status = client_fail(c, "%s", strerror(errno));
	cli_cluster_out_free(co);
	if (status == CLI_EXIT_OK && (want || co) && text_len) {
		if (fwrite(text, 1, text_len, out) != text_len || fflush(out))
			status = CLI_EXIT_FAIL;
	}
	free(text);
	free(buf);
	return status;
}

int cli_client_run(const struct cli_cmd *cmd, const char *path, FILE *out, FILE *err)
{
	struct client c = {.cmd = cmd, .err = err};
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	struct timeval tv = {CLI_REPLY_TIMEOUT_S, 0};
	uint8_t *req;
	struct ctl_msg m;
	uint32_t seq = (uint32_t)getpid();
	ssize_t n;
	int fd, status;

	if (cmd->verb != CLI_VERB_NONE)
		snprintf(c.what, sizeof(c.what), "%s %s", cli_object_name(cmd->obj), cli_verb_name(cmd->verb));
	else
		snprintf(c.what, sizeof(c.what), "%s", cli_object_name(cmd->obj) ? cli_object_name(cmd->obj) : "?");
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(err, "vxnet: socket path too long: %s\n", path);
		return CLI_EXIT_FAIL;
	}
	strcpy(sun.sun_path, path);
	req = malloc(CTL_MSG_MAX);
	if (!req)
		return client_fail(&c, "%s", strerror(ENOMEM));
	if (client_build(cmd, &m, req, CTL_MSG_MAX, seq)) {
		free(req);
		return client_fail(&c, "request does not fit in a message");
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(err, "vxnet: cannot connect to %s: %s (is vxnetd running?)\n", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(req);
		return CLI_EXIT_FAIL;
	}
	/* The cluster's requests wait on etcd (each member tried in turn). */
	if (cli_is_cluster(cmd))
		tv.tv_sec = CLI_CLUSTER_TIMEOUT_S;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	do
		n = send(fd, req, m.len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	free(req);
	if (n != (ssize_t)m.len) {
		status = client_fail(&c, "cannot send to vxnetd: %s", n < 0 ? strerror(errno) : "short write");
		close(fd);
		return status;
	}
	status = client_exchange(&c, fd, seq, out);
	close(fd);
	return status;
}
