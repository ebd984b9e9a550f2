/* events: the daemon's one-way publish/subscribe channel. The core
 * publishes what happened (entries learned, moved, aged, added, deleted,
 * restored; misses; links added and removed); subscribers (monitor clients
 * of the control server today, the store publisher later) get each event
 * synchronously. Publishers never know who listens, so the packet path and
 * the core never call the control server. */
#ifndef VXNETD_EVENTS_H
#define VXNETD_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "vxnet/addr.h"
#include "vxnet/ctl.h"
#include "vxnet/fdb.h"

struct vx_event {
	enum ctl_event type;
	const char *link; /* link name */
	uint32_t vni;
	uint16_t dstport;
	bool has_mac, has_remote, has_ip;
	uint8_t mac[MAC_LEN];
	struct fdb_remote remote;
	enum fdb_state state;
	struct vx_addr ip;
	uint8_t origin; /* enum fdb_origin of the entry */
};

typedef void (*events_fn)(const struct vx_event *ev, void *arg);

struct events_sub {
	events_fn fn;
	void *arg;
	struct events_sub *next;
};

struct events {
	struct events_sub *subs;
	unsigned n;
};

void events_init(struct events *e);
/* fn must not subscribe or unsubscribe anyone while it runs. */
void events_subscribe(struct events *e, struct events_sub *s, events_fn fn, void *arg);
void events_unsubscribe(struct events *e, struct events_sub *s);
/* Cheap test for publishers: build an event only when someone listens. */
static inline bool events_wanted(const struct events *e)
{
	return e->n != 0;
}
void events_publish(struct events *e, const struct vx_event *ev);

#endif
