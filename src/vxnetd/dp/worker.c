/* worker: the user datapath's workers (see "Threads" in user.h): their
 * threads and loops, the pause handshake that lets the core's thread change
 * what workers read, and the rings that carry the workers' requests
 * (learning, misses) to the core's thread. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "../log.h"
#include "gso_pool.h"
#include "user.h"

/* ---- the pause handshake ---- */

static void kick(int fd)
{
	uint64_t one = 1;
	/* Only fails when the counter would overflow: it is then readable anyway. */
	if (write(fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_debug("eventfd write: %s", strerror(errno));
}

void user_pause(struct dp_user *u)
{
	if (!u->threads || u->pause_depth++)
		return;
	unsigned n = 0;
	pthread_mutex_lock(&u->pmu);
	atomic_store_explicit(&u->pause, true, memory_order_seq_cst);
	pthread_mutex_unlock(&u->pmu);
	for (unsigned i = 0; i < u->nw; i++) {
		if (u->w[i] && u->w[i]->started) {
			kick(u->w[i]->kick_fd);
			n++;
		}
	}
	pthread_mutex_lock(&u->pmu);
	while (u->parked < n)
		pthread_cond_wait(&u->pcv_core, &u->pmu);
	pthread_mutex_unlock(&u->pmu);
}

void user_resume(struct dp_user *u)
{
	if (!u->threads || --u->pause_depth)
		return;
	pthread_mutex_lock(&u->pmu);
	atomic_store_explicit(&u->pause, false, memory_order_seq_cst);
	pthread_cond_broadcast(&u->pcv_workers);
	pthread_mutex_unlock(&u->pmu);
}

/* At a quiescent point: wait while the core changes things. The mutex
 * orders what the core wrote before user_resume before what we read after. */
static void park(struct uworker *w)
{
	struct dp_user *u = w->u;
	pthread_mutex_lock(&u->pmu);
	if (atomic_load_explicit(&u->pause, memory_order_relaxed)) {
		u->parked++;
		pthread_cond_signal(&u->pcv_core);
		while (atomic_load_explicit(&u->pause, memory_order_relaxed))
			pthread_cond_wait(&u->pcv_workers, &u->pmu);
		u->parked--;
	}
	pthread_mutex_unlock(&u->pmu);
}

/* ---- requests to the core ---- */

void uworker_turn_end(struct uworker *w)
{
	/* Offline: a worker that sleeps must not hold back the reclamation
	 * of what the core replaced in a table. */
	for (struct ulink_q *q = w->used; q; q = q->next_used) {
		fdb_reader_offline(q->rd);
		q->online = false;
	}
	w->used = NULL;
	if (w->ring_signal) {
		w->ring_signal = false;
		kick(w->u->ev_fd);
	}
}

static void event_handle(struct dp_user *u, const struct uevent *ev)
{
	struct ulink *ul = ev->ul;
	switch (ev->type) {
	case UEV_LEARNED:
	case UEV_MOVED: {
		struct fdb_remote r = {
		    .ip = ev->ip, .port = ul->cfg.dstport, .vni = ul->cfg.vni, .origin = FDB_ORIGIN_LEARNED};
		u->dp.up->learned(u->dp.core, ul->l, ev->mac, &r, ev->type == UEV_MOVED);
		break;
	}
	case UEV_L2MISS:
		u->dp.up->l2miss(u->dp.core, ul->l, ev->mac);
		break;
	case UEV_L3MISS:
		u->dp.up->l3miss(u->dp.core, ul->l, &ev->ip);
		break;
	default:
		break;
	}
}

void uworker_upcall(struct uworker *w, const struct uevent *ev)
{
	if (!w->u->threads) {
		event_handle(w->u, ev);
		return;
	}
	struct uring *r = w->ring;
	unsigned head = atomic_load_explicit(&r->head, memory_order_relaxed);
	unsigned tail = atomic_load_explicit(&r->tail, memory_order_acquire);
	if (head - tail >= UW_RING) {
		/* The core is behind: a lost miss or learning request is
		 * asked again by the next packet. */
		ustat_add(&w->ring_dropped, 1);
		return;
	}
	r->ev[head % UW_RING] = *ev;
	atomic_store_explicit(&r->head, head + 1, memory_order_release);
	w->ring_signal = true;
}

void user_events_drain(struct dp_user *u)
{
	if (!u->threads)
		return;
	for (unsigned i = 0; i < u->nw; i++) {
		struct uring *r = u->w[i]->ring;
		unsigned tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
		unsigned head = atomic_load_explicit(&r->head, memory_order_acquire);
		/* Bounded: a flood cannot keep the core's thread here. */
		for (unsigned n = 0; tail != head && n < UW_RING; n++) {
			event_handle(u, &r->ev[tail % UW_RING]);
			tail++;
			atomic_store_explicit(&r->tail, tail, memory_order_release);
		}
	}
}

void user_events_forget(struct dp_user *u, struct ulink *ul)
{
	if (!u->threads)
		return;
	for (unsigned i = 0; i < u->nw; i++) {
		struct uring *r = u->w[i]->ring;
		unsigned head = atomic_load_explicit(&r->head, memory_order_acquire);
		for (unsigned t = atomic_load_explicit(&r->tail, memory_order_relaxed); t != head; t++)
			if (r->ev[t % UW_RING].ul == ul)
				r->ev[t % UW_RING].type = UEV_NONE;
	}
}

static void on_events(struct loop_src *src, uint32_t events)
{
	(void)events;
	struct dp_user *u = src->obj;
	uint64_t n;
	if (read(src->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_debug("eventfd read: %s", strerror(errno));
	user_events_drain(u);
}

/* ---- the workers ---- */

static void on_kick(struct loop_src *src, uint32_t events)
{
	(void)events;
	uint64_t n;
	if (read(src->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_debug("eventfd read: %s", strerror(errno));
}

static void on_tick(void *arg)
{
	struct uworker *w = arg;
	gso_pool_tick(w->gso, loop_now_ms());
}

/* After every turn of a worker thread's loop. */
static void worker_idle(void *arg)
{
	struct uworker *w = arg;
	uworker_turn_end(w);
	if (atomic_load_explicit(&w->u->pause, memory_order_acquire))
		park(w);
}

static void *worker_main(void *arg)
{
	struct uworker *w = arg;
	int rc = loop_run(w->loop);
	if (rc < 0)
		log_err("worker %u: event loop: %s", w->id, strerror(-rc));
	uworker_turn_end(w);
	return NULL;
}

static void worker_free(struct dp_user *u, struct uworker *w)
{
	if (!w)
		return;
	for (int f = 0; f < 2; f++)
		for (int df = 0; df < 2; df++)
			if (w->tx_fd[f][df] >= 0) {
				loop_del(w->loop, &w->tx_src[f][df]);
				close(w->tx_fd[f][df]);
			}
	if (w->loop)
		loop_timer_stop(w->loop, &w->tick);
	if (w->kick_fd >= 0) {
		if (w->loop)
			loop_del(w->loop, &w->kick_src);
		close(w->kick_fd);
	}
	if (w->loop && w->loop != u->loop)
		loop_free(w->loop);
	gso_pool_free(w->gso);
	fwd_free(w->fwd);
	free(w->ring);
	free(w);
}

static struct uworker *worker_new(struct dp_user *u, unsigned id)
{
	struct uworker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->u = u;
	w->id = id;
	w->kick_fd = -1;
	w->blocked_fd = -1;
	w->kick_src.fd = -1;
	w->tick.src.fd = -1;
	for (int f = 0; f < 2; f++)
		for (int df = 0; df < 2; df++)
			w->tx_fd[f][df] = w->tx_src[f][df].fd = -1;
	w->fwd = fwd_new();
	w->gso = gso_pool_new(u->gso_max, u->nw > 1);
	if (u->threads) {
		w->ring = aligned_alloc(64, sizeof(*w->ring));
		if (w->ring)
			memset(w->ring, 0, sizeof(*w->ring));
		w->loop = loop_new();
		w->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	} else {
		w->loop = u->loop;
	}
	if (!w->fwd || !w->gso || !w->loop || (u->threads && (!w->ring || w->kick_fd < 0))) {
		worker_free(u, w);
		return NULL;
	}
	if (loop_timer_start(w->loop, &w->tick, 1000, on_tick, w) < 0 ||
	    (u->threads && loop_add(w->loop, w->kick_fd, EPOLLIN, &w->kick_src, on_kick, w) < 0)) {
		worker_free(u, w);
		return NULL;
	}
	if (u->threads) {
		loop_set_idle(w->loop, worker_idle, w);
		if (u->busy_poll)
			loop_set_timeout(w->loop, 0);
	}
	/* Without threads worker 0 is the daemon's loop: it lingers too. */
	if (!u->busy_poll)
		loop_set_linger(w->loop, u->linger_us);
	return w;
}

int user_workers_start(struct dp_user *u, const char **why)
{
	pthread_mutex_init(&u->fdb_lock, NULL);
	pthread_mutex_init(&u->pmu, NULL);
	pthread_cond_init(&u->pcv_core, NULL);
	pthread_cond_init(&u->pcv_workers, NULL);
	u->ev_fd = -1;
	u->ev_src.fd = -1;
	if (u->threads) {
		u->ev_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (u->ev_fd < 0 || loop_add(u->loop, u->ev_fd, EPOLLIN, &u->ev_src, on_events, u) < 0) {
			*why = "cannot open an eventfd";
			return -errno;
		}
	}
	for (unsigned i = 0; i < u->nw; i++) {
		u->w[i] = worker_new(u, i);
		if (!u->w[i]) {
			*why = "out of memory or file descriptors for a worker";
			return -ENOMEM;
		}
	}
	if (!u->threads)
		return 0;
	/* The workers take no signals: the core's thread reads them (signalfd). */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = 0;
	for (unsigned i = 0; i < u->nw && rc == 0; i++) {
		rc = -pthread_create(&u->w[i]->thread, NULL, worker_main, u->w[i]);
		if (rc == 0) {
			u->w[i]->started = true;
			char name[16];
			snprintf(name, sizeof(name), "vxnetd-w%u", i % 100u);
			pthread_setname_np(u->w[i]->thread, name);
		}
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc < 0)
		*why = "cannot start a worker thread";
	return rc;
}

void user_workers_stop(struct dp_user *u)
{
	if (u->threads) {
		user_pause(u);
		for (unsigned i = 0; i < u->nw; i++)
			if (u->w[i] && u->w[i]->started)
				loop_stop(u->w[i]->loop);
		user_resume(u);
		for (unsigned i = 0; i < u->nw; i++)
			if (u->w[i] && u->w[i]->started) {
				pthread_join(u->w[i]->thread, NULL);
				u->w[i]->started = false;
			}
	}
	user_events_drain(u);
	for (unsigned i = 0; i < u->nw; i++) {
		worker_free(u, u->w[i]);
		u->w[i] = NULL;
	}
	if (u->ev_fd >= 0) {
		loop_del(u->loop, &u->ev_src);
		close(u->ev_fd);
		u->ev_fd = -1;
	}
	pthread_cond_destroy(&u->pcv_core);
	pthread_cond_destroy(&u->pcv_workers);
	pthread_mutex_destroy(&u->pmu);
	pthread_mutex_destroy(&u->fdb_lock);
}
