/* events: publish/subscribe (events.h). */
#include "events.h"

#include <stddef.h>

void events_init(struct events *e)
{
	e->subs = NULL;
	e->n = 0;
}

void events_subscribe(struct events *e, struct events_sub *s, events_fn fn, void *arg)
{
	s->fn = fn;
	s->arg = arg;
	s->next = e->subs;
	e->subs = s;
	e->n++;
}

void events_unsubscribe(struct events *e, struct events_sub *s)
{
	for (struct events_sub **pp = &e->subs; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			e->n--;
			return;
		}
	}
}

void events_publish(struct events *e, const struct vx_event *ev)
{
	for (struct events_sub *s = e->subs; s; s = s->next)
		s->fn(ev, s->arg);
}
