/* loop: one epoll instance and the sources registered with it (loop.h). */
#include "loop.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define LOOP_BATCH 64

struct loop {
	int epfd;
	bool stop;
	/* The batch being dispatched: loop_del clears entries of a removed source. */
	struct epoll_event evs[LOOP_BATCH];
	int n, cur;
	void (*idle)(void *arg);
	void *idle_arg;
	int timeout;
	unsigned linger_us;
};

uint64_t loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct loop *loop_new(void)
{
	struct loop *lp = calloc(1, sizeof(*lp));
	if (!lp)
		return NULL;
	lp->timeout = -1;
	lp->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (lp->epfd < 0) {
		int e = errno;
		free(lp);
		errno = e;
		return NULL;
	}
	return lp;
}

void loop_free(struct loop *lp)
{
	if (!lp)
		return;
	close(lp->epfd);
	free(lp);
}

int loop_add(struct loop *lp, int fd, uint32_t events, struct loop_src *src, loop_fn fn, void *obj)
{
	src->fn = fn;
	src->obj = obj;
	src->fd = fd;
	struct epoll_event ev = {.events = events, .data.ptr = src};
	if (epoll_ctl(lp->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		src->fd = -1;
		return -errno;
	}
	return 0;
}

int loop_mod(struct loop *lp, struct loop_src *src, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.ptr = src};
	return epoll_ctl(lp->epfd, EPOLL_CTL_MOD, src->fd, &ev) < 0 ? -errno : 0;
}

void loop_del(struct loop *lp, struct loop_src *src)
{
	if (src->fd < 0)
		return;
	epoll_ctl(lp->epfd, EPOLL_CTL_DEL, src->fd, NULL);
	src->fd = -1;
	for (int i = lp->cur + 1; i < lp->n; i++)
		if (lp->evs[i].data.ptr == src)
			lp->evs[i].data.ptr = NULL;
}

void loop_set_idle(struct loop *lp, void (*fn)(void *arg), void *arg)
{
	lp->idle = fn;
	lp->idle_arg = arg;
}

void loop_set_timeout(struct loop *lp, int ms)
{
	lp->timeout = ms;
}

void loop_set_linger(struct loop *lp, unsigned us)
{
	lp->linger_us = us;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

int loop_run(struct loop *lp)
{
	uint64_t linger_until = 0;
	while (!lp->stop) {
		int timeout = lp->timeout;
		if (linger_until && timeout != 0) {
			if (now_us() < linger_until)
				timeout = 0;
			else
				linger_until = 0;
		}
		int n = epoll_wait(lp->epfd, lp->evs, LOOP_BATCH, timeout);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n > 0 && lp->linger_us)
			linger_until = now_us() + lp->linger_us;
		/* Polling (busy or lingering) with nothing to do: let whatever
		 * else wants this CPU run first (the process we carry packets
		 * for, the softirqs), then look again. */
		if (n == 0 && timeout == 0)
			sched_yield();
		lp->n = n;
		for (lp->cur = 0; lp->cur < n; lp->cur++) {
			struct loop_src *src = lp->evs[lp->cur].data.ptr;
			if (src)
				src->fn(src, lp->evs[lp->cur].events);
		}
		lp->n = lp->cur = 0;
		if (lp->idle)
			lp->idle(lp->idle_arg);
	}
	return 0;
}

void loop_stop(struct loop *lp)
{
	lp->stop = true;
}

bool loop_stopping(const struct loop *lp)
{
	return lp->stop;
}

static void timer_fire(struct loop_src *src, uint32_t events)
{
	(void)events;
	struct loop_timer *t = src->obj;
	uint64_t ticks;
	if (read(src->fd, &ticks, sizeof(ticks)) > 0)
		t->fn(t->arg);
}

static int timer_set(int fd, unsigned first_ms, unsigned period_ms)
{
	struct itimerspec its = {
	    .it_value = {first_ms / 1000, (long)(first_ms % 1000) * 1000000},
	    .it_interval = {period_ms / 1000, (long)(period_ms % 1000) * 1000000},
	};
	return timerfd_settime(fd, 0, &its, NULL) < 0 ? -errno : 0;
}

int loop_timer_start(struct loop *lp, struct loop_timer *t, unsigned period_ms, void (*fn)(void *arg), void *arg)
{
	t->fn = fn;
	t->arg = arg;
	t->src.fd = -1;
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	int rc = period_ms ? timer_set(fd, period_ms, period_ms) : 0;
	if (rc == 0)
		rc = loop_add(lp, fd, EPOLLIN, &t->src, timer_fire, t);
	if (rc < 0)
		close(fd);
	return rc;
}

int loop_timer_once(struct loop_timer *t, unsigned ms)
{
	return timer_set(t->src.fd, ms, 0);
}

void loop_timer_stop(struct loop *lp, struct loop_timer *t)
{
	int fd = t->src.fd;
	if (fd < 0)
		return;
	loop_del(lp, &t->src);
	close(fd);
}
