/* ctl_server_priv: what the control server's two halves share, and no one
 * else: ctl_server.c is the transport (clients, their output queues and
 * limits, accepting, the group commit), ctl_handlers.c the requests, the
 * dumps and the monitors' events. */
#ifndef VXNETD_CTL_SERVER_PRIV_H
#define VXNETD_CTL_SERVER_PRIV_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_server.h"
#include "events.h"
#include "loop.h"
#include "vxnet/proto.h"

/* A dump's next batch is produced when the queue is below this. */
#define CTL_BATCH_BYTES (256u << 10)

struct qmsg {
	struct qmsg *next;
	size_t len;
	uint8_t data[];
};

enum show_kind { SHOW_LINK, SHOW_FDB, SHOW_NEIGH };

/* A dump in progress: which link, and how many of its objects went out. */
struct dump {
	enum show_kind kind;
	bool one;	       /* the named link only, else every link */
	char link[IFNAMSIZ];   /* the named link */
	unsigned link_pos;     /* every link: the position of the one being dumped, oldest first */
	uint64_t done_in_link; /* objects of that link already queued */
	int err;
};

struct client {
	struct loop_src src;
	struct ctl_server *srv;
	int fd;
	struct events_sub sub; /* monitor clients only */
	bool monitor;
	bool dead;
	bool pending;	 /* an asynchronous request (the cluster's) is being answered */
	uint32_t events; /* what epoll watches for */
	uint32_t seq;	 /* of the request being answered */
	struct qmsg *head, *tail;
	size_t queued; /* bytes in the queue */
	struct dump *dump;
	/* A change is answered once it is kept (ctl_idle writes the state
	 * once for all the changes of a turn of the loop) and, for link del,
	 * once the reaper has removed the device (its job number reap_seq), as
	 * `ip link del` returns once the device is gone. */
	bool commit_wait;
	uint64_t reap_seq, wait_reaped;
	int held_status;
	const char *held_why;
	uint64_t last_progress; /* ms: a request read, a message sent or read by the client */
	int outq;		/* bytes sent it has not read yet, at the last timer tick */
	struct client *next;
};

/* What log_limited says. */
enum ctl_log { CTL_LOG_NOFD, CTL_LOG_FULL, CTL_LOG_EVICT, CTL_LOG_MAX };

struct ctl_server {
	struct loop *loop;
	struct core *core;
	struct ctl_server_limits lim;
	struct loop_src listen;
	bool listen_off; /* EPOLLIN off on the listener: out of fds */
	uint64_t listen_off_at;
	int reserve_fd; /* kept for refusing a client when out of fds */
	char path[108];
	struct client *clients;
	unsigned n_clients;	 /* live ones */
	unsigned n_dead;	 /* dropped, not freed yet */
	unsigned n_commit;	 /* clients whose change waits for ctl_idle */
	struct loop_timer timer; /* idle and stuck clients; reaping */
	uint64_t last_log[CTL_LOG_MAX];
	ctl_async_fn async_fn; /* the cluster's requests; NULL: refused */
	void *async_arg;
	uint8_t buf[CTL_MSG_MAX];
};

/* --- transport (ctl_server.c) --- */

/* Drop a client (freed later, outside any publish); why is logged if set. */
void ctl_client_kill(struct ctl_server *s, struct client *c, const char *why);
/* Queue one finished message. false: the client went over its bound (and
 * was dropped) or memory ran out. */
bool ctl_client_queue(struct ctl_server *s, struct client *c, struct ctl_msg *m);
/* Start a message of type answering the client's current request, in the
 * server's buffer. */
void ctl_client_msg(struct ctl_server *s, struct client *c, struct ctl_msg *m, uint16_t type);
/* Queue DONE with status (0 or -errno) and why (strerror if NULL). */
void ctl_client_done(struct ctl_server *s, struct client *c, int status, const char *why);
/* Watch the client for what it may do next (see ctl_server.c). */
void ctl_client_update_events(struct client *c);

/* --- requests (ctl_handlers.c) --- */

/* Decode and carry out one request of c; the answer is queued, or held
 * for the group commit, the reaper or the cluster. */
void ctl_handle(struct ctl_server *s, struct client *c, const uint8_t *buf, size_t len);
/* Queue c's dump's next batches while it keeps up; DONE when complete. */
void ctl_dump_pump(struct ctl_server *s, struct client *c);

#endif
