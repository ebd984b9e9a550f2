/* ctl_server: the daemon's side of the control protocol (lib/ctl.c). It
 * only decodes requests, calls the core and encodes the answers; monitor
 * clients subscribe to the core's events. */
#ifndef VXNETD_CTL_SERVER_H
#define VXNETD_CTL_SERVER_H

struct core;
struct loop;
struct ctl_server;

/* Listen on path (its directory is created if missing). A live daemon's
 * socket is never taken over (-EADDRINUSE). NULL and errno on failure. */
struct ctl_server *ctl_server_open(struct loop *lp, struct core *c, const char *path);
/* Disconnect every client, remove the socket file. */
void ctl_server_close(struct ctl_server *s);

#endif
