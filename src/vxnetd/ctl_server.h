/* ctl_server: the daemon's side of the control protocol (lib/ctl.c). It
 * only decodes requests, calls the core and encodes the answers; monitor
 * clients subscribe to the core's events. */
#ifndef VXNETD_CTL_SERVER_H
#define VXNETD_CTL_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct core;
struct loop;
struct ctl_server;

/* What one client may cost. */
struct ctl_server_limits {
	unsigned max_clients; /* more are refused with a reason */
	size_t max_queue;     /* bytes waiting for one client; over it, the client is dropped */
	uint64_t idle_ms;     /* a connected client that asks nothing is dropped after this */
	uint64_t stuck_ms;    /* a client with an answer waiting that reads nothing is dropped after this */
};
void ctl_server_limits_default(struct ctl_server_limits *lim);

/* Listen on path (its directory is created if missing). Only a stale
 * socket is replaced: a live daemon's socket is -EADDRINUSE, an existing
 * file that is not a socket -ENOTSOCK. NULL and errno on failure. */
struct ctl_server *ctl_server_open(struct loop *lp, struct core *c, const char *path,
				   const struct ctl_server_limits *lim);
/* Disconnect every client, remove the socket file. Requests still pending
 * must have been answered (close their owner first). */
void ctl_server_close(struct ctl_server *s);

/* Requests answered later: the cluster's (CTL_MSG_NETWORK_CREATE ..
 * CTL_MSG_DETACH) wait on the store. fn gets each one with a handle; the
 * client is read from again only after ctl_req_done(), which must be called
 * exactly once, now or later, even if the client went away meanwhile.
 * Without fn they are refused ("without a cluster store"). */
struct ctl_parsed;
struct ctl_msg;
struct ctl_req;
typedef void (*ctl_async_fn)(void *arg, struct ctl_req *r, const struct ctl_parsed *p);
void ctl_server_set_async(struct ctl_server *s, ctl_async_fn fn, void *arg);
/* Start an object message of type answering r, in buf. */
void ctl_req_msg(struct ctl_req *r, struct ctl_msg *m, void *buf, size_t cap, uint16_t type);
/* Queue it; false when the client is gone or over its bound (still call ctl_req_done). */
bool ctl_req_send(struct ctl_req *r, struct ctl_msg *m);
/* Answer DONE with status (0 or -errno) and why, and let the client go on. */
void ctl_req_done(struct ctl_req *r, int status, const char *why);

#endif
