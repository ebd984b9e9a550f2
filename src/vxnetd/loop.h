/* loop: the daemon's event loop, one epoll instance. A module registers
 * each fd it owns with a source (a callback and its object); the loop never
 * knows what is behind a source. Removing a source also forgets its events
 * still pending in the current batch, so an object may be freed as soon as
 * its fds are removed, even from inside another source's callback. */
#ifndef VXNETD_LOOP_H
#define VXNETD_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct loop;
struct loop_src;

/* Called with the epoll event bits (EPOLLIN, EPOLLOUT, EPOLLERR...). */
typedef void (*loop_fn)(struct loop_src *src, uint32_t events);

struct loop_src {
	loop_fn fn;
	void *obj; /* the owner's object, for the callback */
	int fd;
};

struct loop *loop_new(void);
void loop_free(struct loop *lp);
/* Watch fd for events (EPOLLIN...). src must live until loop_del. */
int loop_add(struct loop *lp, int fd, uint32_t events, struct loop_src *src, loop_fn fn, void *obj);
int loop_mod(struct loop *lp, struct loop_src *src, uint32_t events);
/* Stop watching src->fd (the fd is not closed). Safe with src never added (fd -1). */
void loop_del(struct loop *lp, struct loop_src *src);
/* Run callbacks until loop_stop; 0, or -errno if epoll_wait failed. */
int loop_run(struct loop *lp);
void loop_stop(struct loop *lp);
bool loop_stopping(const struct loop *lp);
/* A function run after every batch of events (e.g. flush the state file). */
void loop_set_idle(struct loop *lp, void (*fn)(void *arg), void *arg);
/* How long a turn waits for events: -1 (default) until one comes, 0 never
 * (busy polling: the loop spins, and the idle function runs every turn). */
void loop_set_timeout(struct loop *lp, int ms);
/* After a turn that had events, poll (without sleeping) for up to us
 * microseconds before waiting again: what comes right after (a reply, the
 * next packet of a burst) is taken without a sleep and a wakeup. 0: off. */
void loop_set_linger(struct loop *lp, unsigned us);

/* A periodic timer (CLOCK_MONOTONIC timerfd) as a source: fn runs every
 * period_ms. 0 or -errno. */
struct loop_timer {
	struct loop_src src;
	void (*fn)(void *arg);
	void *arg;
};
int loop_timer_start(struct loop *lp, struct loop_timer *t, unsigned period_ms, void (*fn)(void *arg), void *arg);
/* Rearm for one shot in ms (0 = disarm). */
int loop_timer_once(struct loop_timer *t, unsigned ms);
void loop_timer_stop(struct loop *lp, struct loop_timer *t);

/* Monotonic milliseconds: the clock handed to the tables. */
uint64_t loop_now_ms(void);

#endif
