/* reaper: device removal in a thread of its own, in batches (reaper.h). */
#include "reaper.h"

#include <errno.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "nl.h"
#include "vxnet/ctl.h"

struct job {
	struct job *next;
	uint64_t seq;
	int ifindex, netns_fd, tap_fd;
	int *more; /* the other queues of a multi-queue TAP, closed after tap_fd */
	unsigned nmore;
	char name[IFNAMSIZ];
	char netns[CTL_NETNS_LEN];
	bool handled; /* its namespace's requests are made */
	bool tagged;  /* in this batch's group */
	bool gone;    /* the device is no more */
};

struct reaper {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;	  /* jobs given, or stop */
	pthread_cond_t settled;	  /* jobs finished */
	struct job *head, **tail; /* waiting */
	struct job *busy;	  /* the batch being removed */
	uint64_t last, done;
	bool stop;
	int efd;
	struct loop *loop;
	struct loop_src src;
	void (*notify)(void *arg);
	void *notify_arg;
};

/* ---- the thread ---- */

static bool same_ns(const struct job *a, const struct job *b)
{
	if (a->netns_fd < 0 || b->netns_fd < 0)
		return a->netns_fd < 0 && b->netns_fd < 0;
	struct stat sa, sb;
	return fstat(a->netns_fd, &sa) == 0 && fstat(b->netns_fd, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

struct members {
	uint32_t group;
	const struct job *batch;
	const struct job *first; /* of the namespace */
	bool stranger;		 /* a device in the group that is not ours */
};

static int member_cb(const struct nl_link *l, void *arg)
{
	struct members *m = arg;
	if (l->group != m->group)
		return 0;
	for (const struct job *j = m->batch; j; j = j->next)
		if (j->tagged && j->ifindex == l->ifindex && same_ns(j, m->first))
			return 0;
	m->stranger = true;
	return 0;
}

/* Delete the devices of the batch in first's namespace through nl: one
 * group deletion when there are several (after making sure the group holds
 * ours only), else one by one. */
static void remove_in_ns(struct nl *nl, struct job *batch, struct job *first)
{
	unsigned n = 0;
	for (struct job *j = batch; j; j = j->next)
		if (!j->gone && same_ns(j, first))
			n++;
	if (n > 1) {
		uint32_t g = 0;
		if (getrandom(&g, sizeof(g), 0) != (ssize_t)sizeof(g))
			g = (uint32_t)getpid() * 2654435761u;
		g |= 0x80000000u; /* never 0, the group of every ungrouped device */
		unsigned tagged = 0;
		for (struct job *j = batch; j; j = j->next) {
			if (j->gone || !same_ns(j, first))
				continue;
			struct nl_link_set s = {.set = NL_SET_GROUP, .group = g};
			int rc = nl_link_set(nl, j->ifindex, &s);
			if (rc == -ENODEV)
				j->gone = true; /* already gone (deleted behind our back) */
			else if (rc == 0)
				j->tagged = true, tagged++;
		}
		struct members m = {g, batch, first, false};
		if (tagged && nl_link_dump(nl, member_cb, &m) == 0 && !m.stranger && nl_link_del_group(nl, g) == 0) {
			for (struct job *j = batch; j; j = j->next)
				if (j->tagged)
					j->gone = true;
			log_debug("reaper: %u devices removed together", tagged);
		}
	}
	/* One by one: a single device, or what the group deletion left. */
	for (struct job *j = batch; j; j = j->next) {
		if (j->gone || !same_ns(j, first))
			continue;
		int rc = nl_link_del(nl, j->ifindex);
		if (rc == 0 || rc == -ENODEV)
			j->gone = true;
		else if (j->tap_fd < 0)
			log_err("%s: cannot delete the device: %s", j->name, nl_errmsg(nl));
	}
}

static void process(struct job *batch)
{
	for (struct job *j = batch; j; j = j->next)
		j->gone = j->ifindex <= 0;
	for (struct job *a = batch; a; a = a->next) {
		if (a->handled)
			continue;
		for (struct job *j = a; j; j = j->next)
			if (same_ns(j, a))
				j->handled = true;
		if (a->gone) {
			bool any = false;
			for (struct job *j = a; j; j = j->next)
				any |= !j->gone && same_ns(j, a);
			if (!any)
				continue;
		}
		struct nl *nl = NULL;
		int rc = nl_open(&nl, a->netns_fd);
		if (rc < 0) {
			log_err("%s: cannot open rtnetlink to delete the device: %s", a->name, strerror(-rc));
			continue; /* a TAP still goes when its fd is closed below */
		}
		remove_in_ns(nl, batch, a);
		nl_close(nl);
	}
	for (struct job *j = batch; j; j = j->next) {
		if (j->tap_fd >= 0) {
			/* Without the device deleted above, the last fd takes it along. */
			if (!j->gone)
				ioctl(j->tap_fd, TUNSETPERSIST, 0);
			close(j->tap_fd);
		}
		for (unsigned i = 0; i < j->nmore; i++)
			close(j->more[i]);
		if (j->netns_fd >= 0)
			close(j->netns_fd);
	}
}

static void *run(void *arg)
{
	struct reaper *r = arg;
	pthread_mutex_lock(&r->lock);
	for (;;) {
		while (!r->head && !r->stop)
			pthread_cond_wait(&r->wake, &r->lock);
		if (!r->head)
			break;
		struct job *batch = r->head;
		r->head = NULL;
		r->tail = &r->head;
		r->busy = batch;
		pthread_mutex_unlock(&r->lock);
		process(batch);
		uint64_t last = 0;
		while (batch) {
			struct job *j = batch;
			batch = j->next;
			last = j->seq;
			free(j->more);
			free(j);
		}
		pthread_mutex_lock(&r->lock);
		r->busy = NULL;
		r->done = last;
		pthread_cond_broadcast(&r->settled);
		uint64_t one = 1;
		if (write(r->efd, &one, sizeof(one)) < 0)
			(void)0; /* the counter is full: the loop has a wake-up pending already */
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* ---- the loop's side ---- */

static void on_settled(struct loop_src *src, uint32_t events)
{
	(void)events;
	struct reaper *r = src->obj;
	uint64_t n;
	if (read(r->efd, &n, sizeof(n)) < 0)
		return;
	if (r->notify)
		r->notify(r->notify_arg);
}

struct reaper *reaper_new(struct loop *lp)
{
	struct reaper *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->tail = &r->head;
	r->loop = lp;
	r->src.fd = -1;
	r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int rc = r->efd < 0 ? errno : 0;
	if (!rc && loop_add(lp, r->efd, EPOLLIN, &r->src, on_settled, r) < 0)
		rc = EMFILE;
	if (!rc) {
		pthread_mutex_init(&r->lock, NULL);
		pthread_cond_init(&r->wake, NULL);
		pthread_cond_init(&r->settled, NULL);
		/* Signals are the loop's (signalfd): the thread takes none. */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		rc = pthread_create(&r->thread, NULL, run, r);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (rc) {
			pthread_mutex_destroy(&r->lock);
			pthread_cond_destroy(&r->wake);
			pthread_cond_destroy(&r->settled);
		}
	}
	if (rc) {
		loop_del(lp, &r->src);
		if (r->efd >= 0)
			close(r->efd);
		free(r);
		errno = rc;
		return NULL;
	}
	return r;
}

void reaper_free(struct reaper *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	loop_del(r->loop, &r->src);
	close(r->efd);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	pthread_cond_destroy(&r->settled);
	free(r);
}

uint64_t reaper_add(struct reaper *r, int ifindex, int netns_fd, int tap_fd, const char *name, const char *netns)
{
	return reaper_add_fds(r, ifindex, netns_fd, &tap_fd, 1, name, netns);
}

uint64_t reaper_add_fds(struct reaper *r, int ifindex, int netns_fd, const int *tap_fds, unsigned n, const char *name,
			const char *netns)
{
	struct job *j = calloc(1, sizeof(*j));
	int *more = n > 1 ? malloc((n - 1) * sizeof(*more)) : NULL;
	if (!j || (n > 1 && !more)) {
		/* Do it here: slow, but never leave a device behind. */
		struct job one = {.ifindex = ifindex,
				  .netns_fd = netns_fd,
				  .tap_fd = tap_fds[0],
				  .more = (int *)tap_fds + 1,
				  .nmore = n - 1};
		snprintf(one.name, sizeof(one.name), "%s", name ? name : "");
		process(&one);
		free(j);
		free(more);
		return reaper_last(r);
	}
	if (n > 1)
		memcpy(more, tap_fds + 1, (n - 1) * sizeof(*more));
	j->more = more;
	j->nmore = n - 1;
	j->ifindex = ifindex;
	j->netns_fd = netns_fd;
	j->tap_fd = tap_fds[0];
	snprintf(j->name, sizeof(j->name), "%s", name ? name : "");
	snprintf(j->netns, sizeof(j->netns), "%s", netns ? netns : "");
	pthread_mutex_lock(&r->lock);
	j->seq = ++r->last;
	*r->tail = j;
	r->tail = &j->next;
	pthread_cond_signal(&r->wake);
	uint64_t seq = j->seq;
	pthread_mutex_unlock(&r->lock);
	return seq;
}

uint64_t reaper_last(const struct reaper *r)
{
	pthread_mutex_lock((pthread_mutex_t *)&r->lock);
	uint64_t v = r->last;
	pthread_mutex_unlock((pthread_mutex_t *)&r->lock);
	return v;
}

uint64_t reaper_done(const struct reaper *r)
{
	pthread_mutex_lock((pthread_mutex_t *)&r->lock);
	uint64_t v = r->done;
	pthread_mutex_unlock((pthread_mutex_t *)&r->lock);
	return v;
}

void reaper_set_notify(struct reaper *r, void (*fn)(void *arg), void *arg)
{
	r->notify = fn;
	r->notify_arg = arg;
}

static bool pending(const struct job *list, const char *name, const char *netns)
{
	for (const struct job *j = list; j; j = j->next)
		if (!strcmp(j->name, name) && !strcmp(j->netns, netns))
			return true;
	return false;
}

void reaper_wait_name(struct reaper *r, const char *name, const char *netns)
{
	if (!netns)
		netns = "";
	pthread_mutex_lock(&r->lock);
	while (pending(r->head, name, netns) || pending(r->busy, name, netns))
		pthread_cond_wait(&r->settled, &r->lock);
	pthread_mutex_unlock(&r->lock);
}
