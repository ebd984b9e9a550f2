/* ctl_server: the daemon's side of the control protocol (lib/ctl.c). It
 * only decodes requests, calls the core and encodes the answers; monitor
 * clients subscribe to the core's events. */
#ifndef VXNETD_CTL_SERVER_H
#define VXNETD_CTL_SERVER_H

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
/* Disconnect every client, remove the socket file. */
void ctl_server_close(struct ctl_server *s);

#endif
