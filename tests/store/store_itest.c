/* store_itest: integration tests of the store module (src/vxnetd/store)
 * against a real etcd, run by tests/store/run.sh, which starts the etcd
 * members and performs what a test needs done to them (kill a member, stop
 * and restart the cluster, compact, revoke a lease) through a hook command:
 * "$STORE_ITEST_HOOK ACTION [ARGS]".
 *
 *   store_itest SCENARIO --url etcd://H:P[,H:P...] [--url2 URL] [--cacert F --cert F --key F]
 *
 * Each check prints "ok - ..." or "not ok - ..."; the exit status is 1 if any
 * check failed. Like the daemon, the test drives the stores from one epoll
 * loop that polls only store_fd() and calls store_dispatch(). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static int failures, checks;
static int loop_fd = -1;
static const char *opt_url, *opt_url2, *opt_cacert, *opt_cert, *opt_key;
static const char *opt_check_cacert, *opt_check_cert, *opt_check_key;

#define CHECK(cond, ...) check_(!!(cond), __VA_ARGS__)

static void check_(bool ok, const char *fmt, ...)
{
	va_list ap;

	checks++;
	if (!ok)
		failures++;
	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void note(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int hook(const char *fmt, ...)
{
	const char *h = getenv("STORE_ITEST_HOOK");
	char args[512], cmd[1024];
	va_list ap;
	int rc;

	if (!h) {
		CHECK(false, "STORE_ITEST_HOOK is set (needed for: %s)", fmt);
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "%s %s", h, args);
	note("hook: %s", args);
	rc = system(cmd);
	return rc;
}

/* ---- the event loop: one epoll holding only the stores' fds ---- */

static void loop_add(struct store *s)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};

	if (loop_fd < 0)
		loop_fd = epoll_create1(EPOLL_CLOEXEC);
	if (epoll_ctl(loop_fd, EPOLL_CTL_ADD, store_fd(s), &ev)) {
		perror("epoll_ctl");
		exit(2);
	}
}

static void loop_del(struct store *s)
{
	epoll_ctl(loop_fd, EPOLL_CTL_DEL, store_fd(s), NULL);
}

/* Run until *flag (if flag) or timeout seconds. Returns *flag. */
static bool run_until(const bool *flag, double timeout)
{
	double end = now_s() + timeout;

	while (!(flag && *flag)) {
		struct epoll_event evs[8];
		double left = end - now_s();
		int n;

		if (left <= 0)
			break;
		n = epoll_wait(loop_fd, evs, 8, (int)(left * 1000) + 1);
		for (int i = 0; i < n; i++) {
			int err = store_dispatch(evs[i].data.ptr);

			if (err)
				CHECK(false, "store_dispatch: %s", strerror(-err));
		}
	}
	return flag && *flag;
}

static void run_for(double seconds)
{
	run_until(NULL, seconds);
}

/* ---- synchronous wrappers for the tests ---- */

struct events {
	int lost_count;
	int64_t lost_lease;
	int down_count, up_count;
	char last_state[256];
};

static void on_state(void *arg, bool up, const char *detail)
{
	struct events *ev = arg;

	if (up)
		ev->up_count++;
	else
		ev->down_count++;
	snprintf(ev->last_state, sizeof(ev->last_state), "%s", detail);
	note("store %s: %s", up ? "up" : "down", detail);
}

static void on_lease_lost(void *arg, int64_t lease)
{
	struct events *ev = arg;

	ev->lost_count++;
	ev->lost_lease = lease;
	note("lease %" PRId64 " lost", lease);
}

static struct store *open_store(const char *url, struct events *ev)
{
	struct store_config cfg = {.url = url,
				   .cacert = opt_cacert,
				   .cert = opt_cert,
				   .key = opt_key,
				   .on_state = on_state,
				   .on_lease_lost = on_lease_lost,
				   .arg = ev};
	struct store *s = NULL;
	const char *why = "";
	int err = store_open(&cfg, &s, &why);

	if (err) {
		CHECK(false, "store_open %s: %s (%s)", url, strerror(-err), why);
		exit(1);
	}
	loop_add(s);
	return s;
}

static void close_store(struct store *s)
{
	loop_del(s);
	store_close(s);
}

struct done {
	bool done;
	int err;
	int64_t rev, deleted;
};

static void done_cb(void *arg, int err, int64_t rev, int64_t deleted)
{
	struct done *d = arg;

	d->done = true;
	d->err = err;
	d->rev = rev;
	d->deleted = deleted;
}

static int put(struct store *s, const char *key, const char *val, int64_t lease, int64_t *rev)
{
	struct done d = {0};
	int err = store_put(s, key, val, strlen(val), lease, done_cb, &d);

	if (err)
		return err;
	if (!run_until(&d.done, 30))
		return -ETIME;
	if (rev)
		*rev = d.rev;
	return d.err;
}

static int del(struct store *s, const char *key, bool prefix, int64_t *deleted)
{
	struct done d = {0};
	int err = store_delete(s, key, prefix, done_cb, &d);

	if (err)
		return err;
	if (!run_until(&d.done, 30))
		return -ETIME;
	if (deleted)
		*deleted = d.deleted;
	return d.err;
}

#define MAX_KVS 64

struct kvcopy {
	char key[256];
	char value[256];
	size_t value_len;
	int64_t create_revision, mod_revision, version, lease;
};

struct list {
	bool done;
	int err;
	int64_t revision;
	size_t n;
	struct kvcopy kv[MAX_KVS];
};

static void copy_kv(struct kvcopy *c, const struct store_kv *kv)
{
	snprintf(c->key, sizeof(c->key), "%s", kv->key);
	c->value_len = kv->value_len < sizeof(c->value) ? kv->value_len : sizeof(c->value) - 1;
	memcpy(c->value, kv->value, c->value_len);
	c->value[c->value_len] = '\0';
	c->create_revision = kv->create_revision;
	c->mod_revision = kv->mod_revision;
	c->version = kv->version;
	c->lease = kv->lease;
}

static void list_cb(void *arg, int err, const struct store_list_result *r)
{
	struct list *l = arg;

	l->done = true;
	l->err = err;
	if (err)
		return;
	l->revision = r->revision;
	l->n = r->n;
	for (size_t i = 0; i < r->n && i < MAX_KVS; i++)
		copy_kv(&l->kv[i], &r->kvs[i]);
}

static int list(struct store *s, const char *prefix, struct list *l)
{
	int err;

	memset(l, 0, sizeof(*l));
	err = store_list(s, prefix, list_cb, l);
	if (err)
		return err;
	if (!run_until(&l->done, 30))
		return -ETIME;
	return l->err;
}

static int get(struct store *s, const char *key, struct list *l)
{
	int err;

	memset(l, 0, sizeof(*l));
	err = store_get(s, key, list_cb, l);
	if (err)
		return err;
	if (!run_until(&l->done, 30))
		return -ETIME;
	return l->err;
}

/* 1 if key exists, 0 if not, -errno. */
static int exists(struct store *s, const char *key)
{
	struct list l;
	int err = get(s, key, &l);

	return err ? err : (int)l.n;
}

struct txn {
	bool done;
	int err;
	bool succeeded;
	int64_t revision, count;
	bool has_existing;
	struct kvcopy existing;
};

static void txn_cb(void *arg, int err, const struct store_txn_result *r)
{
	struct txn *t = arg;

	t->done = true;
	t->err = err;
	if (err)
		return;
	t->succeeded = r->succeeded;
	t->revision = r->revision;
	t->count = r->count;
	t->has_existing = r->existing != NULL;
	if (r->existing)
		copy_kv(&t->existing, r->existing);
}

static int put_if_absent(struct store *s, const char *key, const char *val, int64_t lease, struct txn *t)
{
	int err;

	memset(t, 0, sizeof(*t));
	err = store_put_if_absent(s, key, val, strlen(val), lease, txn_cb, t);
	if (err)
		return err;
	if (!run_until(&t->done, 30))
		return -ETIME;
	return t->err;
}

static int delete_if(struct store *s, const char *key, int64_t rev, struct txn *t)
{
	int err;

	memset(t, 0, sizeof(*t));
	err = store_delete_if(s, key, rev, txn_cb, t);
	if (err)
		return err;
	if (!run_until(&t->done, 30))
		return -ETIME;
	return t->err;
}

static int delete_if_none(struct store *s, const char *key, const char *guard, struct txn *t)
{
	int err;

	memset(t, 0, sizeof(*t));
	err = store_delete_if_none(s, key, guard, txn_cb, t);
	if (err)
		return err;
	if (!run_until(&t->done, 30))
		return -ETIME;
	return t->err;
}

struct lease {
	bool done;
	int err;
	int64_t id, ttl;
};

static void lease_cb(void *arg, int err, int64_t id, int64_t ttl)
{
	struct lease *l = arg;

	l->done = true;
	l->err = err;
	l->id = id;
	l->ttl = ttl;
}

static int grant(struct store *s, int64_t ttl, int64_t *id)
{
	struct lease l = {0};
	int err = store_lease_grant(s, ttl, lease_cb, &l);

	if (err)
		return err;
	if (!run_until(&l.done, 30))
		return -ETIME;
	*id = l.id;
	return l.err;
}

static int keepalive_once(struct store *s, int64_t id, int64_t *ttl)
{
	struct lease l = {0};
	int err = store_lease_keepalive(s, id, lease_cb, &l);

	if (err)
		return err;
	if (!run_until(&l.done, 30))
		return -ETIME;
	*ttl = l.ttl;
	return l.err;
}

static int lease_revoke_sync(struct store *s, int64_t id)
{
	struct lease l = {0};
	int err = store_lease_revoke(s, id, lease_cb, &l);

	if (err)
		return err;
	if (!run_until(&l.done, 30))
		return -ETIME;
	return l.err;
}

/* A watch recorder. */
#define MAX_EV 1024

struct wev {
	enum store_watch_type type;
	char key[256];
	char value[256];
	int64_t create_revision, mod_revision, compact_revision, revision;
	int err;
	double at;
};

struct rec {
	struct store_watch *w;
	size_t n;
	struct wev ev[MAX_EV];
	int created, disconnected, puts, deletes;
	bool compacted, broken, ended;
	int64_t compact_revision;
	const char *wait_key; /* run_until target: an event for this key */
	bool wait_hit;
};

static void watch_cb(void *arg, const struct store_watch_event *ev)
{
	struct rec *r = arg;
	struct wev *w;

	if (r->n < MAX_EV) {
		w = &r->ev[r->n++];
		memset(w, 0, sizeof(*w));
		w->type = ev->type;
		w->revision = ev->revision;
		w->compact_revision = ev->compact_revision;
		w->err = ev->err;
		w->at = now_s();
		if (ev->kv) {
			snprintf(w->key, sizeof(w->key), "%s", ev->kv->key);
			snprintf(w->value, sizeof(w->value), "%.*s", (int)ev->kv->value_len, ev->kv->value);
			w->create_revision = ev->kv->create_revision;
			w->mod_revision = ev->kv->mod_revision;
		}
	}
	switch (ev->type) {
	case STORE_WATCH_CREATED:
		r->created++;
		break;
	case STORE_WATCH_PUT:
		r->puts++;
		break;
	case STORE_WATCH_DELETE:
		r->deletes++;
		break;
	case STORE_WATCH_DISCONNECTED:
		r->disconnected++;
		note("watch disconnected: %s", ev->detail);
		break;
	case STORE_WATCH_COMPACTED:
		r->compacted = r->ended = true;
		r->compact_revision = ev->compact_revision;
		r->w = NULL;
		break;
	case STORE_WATCH_BROKEN:
		r->broken = r->ended = true;
		note("watch broken: %s", ev->detail);
		r->w = NULL;
		break;
	}
	if (r->wait_key && ev->kv && strcmp(ev->kv->key, r->wait_key) == 0)
		r->wait_hit = true;
}

static int watch(struct store *s, const char *prefix, int64_t rev, struct rec *r)
{
	int err;

	memset(r, 0, sizeof(*r));
	err = store_watch(s, prefix, rev, watch_cb, r, &r->w);
	if (err)
		return err;
	return 0;
}

/* Wait for a watch event on key. */
static bool wait_key(struct rec *r, const char *key, double timeout)
{
	r->wait_key = key;
	r->wait_hit = false;
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->ev[i].key, key) == 0)
			r->wait_hit = true;
	run_until(&r->wait_hit, timeout);
	r->wait_key = NULL;
	return r->wait_hit;
}

static bool wait_count(const int *counter, int want, double timeout)
{
	double end = now_s() + timeout;

	while (*counter < want && now_s() < end)
		run_for(0.05);
	return *counter >= want;
}

/* ---- scenarios ---- */

static void t_kv(void)
{
	struct events evs = {0};
	struct store *s = open_store(opt_url, &evs);
	struct list l;
	int64_t r1, r2, r3, deleted;
	struct done d = {0};
	const char bin[] = {'a', 0, 'b', (char)0xff};
	int err;

	del(s, "/t/kv", true, NULL);
	/* Nothing runs before dispatch: the callback cannot have run yet. */
	CHECK(store_put(s, "/t/kv/a", "1", 1, 0, done_cb, &d) == 0 && !d.done,
	      "store_put returns before its callback runs");
	run_until(&d.done, 10);
	r1 = d.rev;
	CHECK(d.done && d.err == 0 && r1 > 0, "put /t/kv/a (revision %" PRId64 ")", r1);
	CHECK(put(s, "/t/kv/b", "2", 0, &r2) == 0 && r2 == r1 + 1, "put /t/kv/b at the next revision");
	CHECK(put(s, "/t/kvx", "3", 0, &r3) == 0, "put /t/kvx (outside the prefix /t/kv/)");
	err = list(s, "/t/kv/", &l);
	CHECK(err == 0 && l.n == 2, "list /t/kv/ gives 2 keys (err %d, n %zu)", err, l.n);
	CHECK(l.revision >= r3, "list header revision %" PRId64 " >= last put %" PRId64, l.revision, r3);
	CHECK(strcmp(l.kv[0].key, "/t/kv/a") == 0 && strcmp(l.kv[0].value, "1") == 0 && l.kv[0].create_revision == r1 &&
		  l.kv[0].mod_revision == r1 && l.kv[0].version == 1 && l.kv[0].lease == 0,
	      "first kv is /t/kv/a=1 with create/mod revision %" PRId64 ", version 1, no lease", r1);
	CHECK(strcmp(l.kv[1].key, "/t/kv/b") == 0 && strcmp(l.kv[1].value, "2") == 0, "second kv is /t/kv/b=2");
	CHECK(put(s, "/t/kv/a", "one", 0, &r3) == 0, "overwrite /t/kv/a");
	CHECK(get(s, "/t/kv/a", &l) == 0 && l.n == 1 && strcmp(l.kv[0].value, "one") == 0 &&
		  l.kv[0].create_revision == r1 && l.kv[0].mod_revision == r3 && l.kv[0].version == 2,
	      "get /t/kv/a: new value, same create_revision, new mod_revision, version 2");
	CHECK(get(s, "/t/kv/none", &l) == 0 && l.n == 0, "get of a missing key gives no kv");
	{
		struct done b = {0};

		store_put(s, "/t/kv/bin", bin, sizeof(bin), 0, done_cb, &b);
		run_until(&b.done, 10);
		CHECK(b.err == 0 && get(s, "/t/kv/bin", &l) == 0 && l.n == 1 && l.kv[0].value_len == sizeof(bin) &&
			  memcmp(l.kv[0].value, bin, sizeof(bin)) == 0,
		      "a binary value with NUL and 0xff bytes round-trips");
	}
	CHECK(del(s, "/t/kv/a", false, &deleted) == 0 && deleted == 1, "delete /t/kv/a deletes 1 key");
	CHECK(del(s, "/t/kv/a", false, &deleted) == 0 && deleted == 0, "deleting it again deletes nothing");
	CHECK(list(s, "/t/kv/", &l) == 0 && l.n == 2 && strcmp(l.kv[0].key, "/t/kv/b") == 0,
	      "list no longer has /t/kv/a");
	CHECK(del(s, "/t/kv/", true, &deleted) == 0 && deleted == 2, "delete prefix /t/kv/ deletes 2 keys");
	CHECK(list(s, "/t/kv/", &l) == 0 && l.n == 0, "list /t/kv/ is empty");
	CHECK(exists(s, "/t/kvx") == 1, "/t/kvx (outside the prefix) survived the prefix delete");
	err = put(s, "/t/kv/leased", "x", 0x7777777, NULL);
	CHECK(err == -ENOENT, "put on a lease that does not exist: -ENOENT (got %s; last error \"%s\")", strerror(-err),
	      store_last_error(s));
	CHECK(store_put(s, "", "x", 1, 0, done_cb, &d) == -EINVAL, "put of an empty key is refused at once");
	CHECK(evs.down_count == 0, "the store never went down");
	del(s, "/t/kvx", false, NULL);
	close_store(s);
}

static void t_txn(void)
{
	struct events evs = {0};
	struct store *s = open_store(opt_url, &evs);
	struct txn t1, t2, t3;
	struct list l;
	int64_t id;
	int err;

	del(s, "/t/txn/", true, NULL);
	err = put_if_absent(s, "/t/txn/10.1.0.2", "{\"host\":\"h1\"}", 0, &t1);
	CHECK(err == 0 && t1.succeeded, "first claim of /t/txn/10.1.0.2 succeeds (revision %" PRId64 ")", t1.revision);
	CHECK(put_if_absent(s, "/t/txn/10.1.0.2", "{\"host\":\"h2\"}", 0, &t2) == 0 && !t2.succeeded,
	      "second claim is refused");
	CHECK(t2.has_existing && strcmp(t2.existing.value, "{\"host\":\"h1\"}") == 0 &&
		  t2.existing.create_revision == t1.revision,
	      "the refusal carries the existing claim (h1, create_revision %" PRId64 ")", t1.revision);
	CHECK(get(s, "/t/txn/10.1.0.2", &l) == 0 && l.n == 1 && strcmp(l.kv[0].value, "{\"host\":\"h1\"}") == 0,
	      "the key still holds the first claim");
	CHECK(delete_if(s, "/t/txn/10.1.0.2", t1.revision + 100, &t3) == 0 && !t3.succeeded && t3.has_existing,
	      "delete_if with a wrong mod_revision is refused");
	CHECK(exists(s, "/t/txn/10.1.0.2") == 1, "and the key is still there");
	CHECK(delete_if(s, "/t/txn/10.1.0.2", t1.revision, &t3) == 0 && t3.succeeded,
	      "delete_if with the claim's mod_revision deletes it");
	CHECK(exists(s, "/t/txn/10.1.0.2") == 0, "the key is gone");
	CHECK(delete_if(s, "/t/txn/10.1.0.2", t1.revision, &t3) == 0 && !t3.succeeded && !t3.has_existing,
	      "delete_if of a missing key is refused, with no existing kv");
	CHECK(put_if_absent(s, "/t/txn/10.1.0.2", "{\"host\":\"h2\"}", 0, &t2) == 0 && t2.succeeded &&
		  t2.revision > t1.revision,
	      "after release, a new claim succeeds");
	/* A network is deleted only while nothing is under its endpoints. */
	put(s, "/t/txn/net/blue", "{}", 0, NULL);
	put(s, "/t/txn/ep/blue/02:42:0a:01:00:02/h1", "{}", 0, NULL);
	put(s, "/t/txn/ep/blue/02:42:0a:01:00:03/h2", "{}", 0, NULL);
	put(s, "/t/txn/ep/bluex/02:42:0a:01:00:04/h2", "{}", 0, NULL);
	err = delete_if_none(s, "/t/txn/net/blue", "/t/txn/ep/blue/", &t3);
	CHECK(err == 0 && !t3.succeeded && t3.count == 2,
	      "delete_if_none refuses while 2 keys are under the guard (got %d, count %" PRId64 ")", err, t3.count);
	CHECK(exists(s, "/t/txn/net/blue") == 1, "and the key is still there");
	del(s, "/t/txn/ep/blue/", true, NULL);
	err = delete_if_none(s, "/t/txn/net/blue", "/t/txn/ep/blue/", &t3);
	CHECK(err == 0 && t3.succeeded && t3.count == 1,
	      "with the guard empty (a sibling prefix /t/txn/ep/bluex/ does not count) it deletes the key");
	CHECK(exists(s, "/t/txn/net/blue") == 0, "the key is gone");
	CHECK(grant(s, 30, &id) == 0 && id > 0, "grant a lease for a leased claim");
	CHECK(put_if_absent(s, "/t/txn/leased", "x", id, &t1) == 0 && t1.succeeded, "put_if_absent with a lease");
	CHECK(get(s, "/t/txn/leased", &l) == 0 && l.n == 1 && l.kv[0].lease == id, "the claim is on that lease");
	CHECK(lease_revoke_sync(s, id) == 0, "revoke the lease");
	CHECK(exists(s, "/t/txn/leased") == 0, "revoking the lease deleted the leased claim");
	CHECK(lease_revoke_sync(s, id) == -ENOENT, "revoking it again: -ENOENT");
	del(s, "/t/txn/", true, NULL);
	close_store(s);
}

static void t_lease_keepalive(void)
{
	struct events evs = {0};
	struct store *s = open_store(opt_url, &evs);
	struct store_stats st0, st1;
	struct list l;
	int64_t id;
	double t0;

	CHECK(grant(s, 2, &id) == 0 && id > 0, "grant a 2 s lease");
	CHECK(put(s, "/t/lease/alive", "x", id, NULL) == 0, "put a key on it");
	store_get_stats(s, &st0);
	t0 = now_s();
	run_for(7);
	store_get_stats(s, &st1);
	CHECK(get(s, "/t/lease/alive", &l) == 0 && l.n == 1 && l.kv[0].lease == id,
	      "after %.1f s (3.5 x TTL) the key is still there on its lease", now_s() - t0);
	CHECK(st1.keepalives - st0.keepalives >= 8 && st1.keepalives - st0.keepalives <= 12,
	      "the module sent %" PRIu64 " keepalives in 7 s (one every TTL/3 = 0.67 s: 10 expected)",
	      st1.keepalives - st0.keepalives);
	CHECK(st1.requests - st0.requests == st1.keepalives - st0.keepalives,
	      "and no other request while idle (%" PRIu64 " requests)", st1.requests - st0.requests);
	CHECK(evs.lost_count == 0, "no lease loss reported");
	lease_revoke_sync(s, id);
	close_store(s);
}

struct regrant {
	struct store *s;
	bool done;
	int64_t new_id;
};

static void t_lease_expiry(void)
{
	struct events evs = {0};
	struct store *s = open_store(opt_url, &evs);
	int64_t id, ttl = -1, id2;
	double t0, gone_at = 0;
	int err;

	CHECK(grant(s, 2, &id) == 0, "grant a 2 s lease");
	CHECK(put(s, "/t/lease/dies", "x", id, NULL) == 0, "put a key on it");
	CHECK(store_lease_forget(s, id) == 0, "stop keeping it alive");
	CHECK(store_lease_forget(s, id) == -ENOENT, "forgetting it twice: -ENOENT");
	t0 = now_s();
	while (now_s() - t0 < 6) {
		if (exists(s, "/t/lease/dies") == 0) {
			gone_at = now_s() - t0;
			break;
		}
		run_for(0.1);
	}
	CHECK(gone_at > 1.0 && gone_at < 4.0, "the key vanished %.2f s after keepalives stopped (TTL 2 s)", gone_at);
	err = keepalive_once(s, id, &ttl);
	CHECK(err == -ENOENT && ttl == 0, "a keepalive of the expired lease says -ENOENT, TTL 0 (got %s)",
	      strerror(-err));
	CHECK(evs.lost_count == 0, "no loss reported for a lease the module was not keeping");

	/* A kept lease revoked behind our back: reported as lost; the caller
	 * grants a new one and puts its keys again. */
	CHECK(grant(s, 3, &id2) == 0, "grant a 3 s lease (kept alive)");
	CHECK(put(s, "/t/lease/host", "h1", id2, NULL) == 0, "put a key on it");
	hook("revoke %" PRIx64, id2);
	t0 = now_s();
	wait_count(&evs.lost_count, 1, 5);
	CHECK(evs.lost_count == 1 && evs.lost_lease == id2,
	      "on_lease_lost reported lease %" PRIx64 " %.2f s after it was revoked", id2, now_s() - t0);
	CHECK(exists(s, "/t/lease/host") == 0, "its key is gone");
	CHECK(grant(s, 3, &id) == 0 && put(s, "/t/lease/host", "h1", id, NULL) == 0, "re-grant and re-put");
	run_for(4);
	CHECK(exists(s, "/t/lease/host") == 1 && evs.lost_count == 1, "the re-put key stays (new lease kept alive)");
	lease_revoke_sync(s, id);
	close_store(s);
}

static void t_watch(void)
{
	struct events evs = {0};
	struct store *s = open_store(opt_url, &evs);
	struct rec *r = calloc(1, sizeof(*r)), *r2 = calloc(1, sizeof(*r2));
	int64_t rev[6];
	struct txn t;
	static const struct {
		enum store_watch_type type;
		const char *key, *value;
	} want[] = {
	    {STORE_WATCH_PUT, "/t/w/a", "1"}, {STORE_WATCH_PUT, "/t/w/b", "2"},	 {STORE_WATCH_DELETE, "/t/w/a", ""},
	    {STORE_WATCH_PUT, "/t/w/c", "3"}, {STORE_WATCH_PUT, "/t/w/b", "22"},
	};
	size_t k = 0;
	bool order_ok = true;

	del(s, "/t/w", true, NULL);
	put(s, "/t/w/a", "1", 0, &rev[0]);
	put(s, "/t/w/b", "2", 0, &rev[1]);
	{
		struct done d = {0};

		store_delete(s, "/t/w/a", false, done_cb, &d);
		run_until(&d.done, 10);
		rev[2] = d.rev;
	}
	put_if_absent(s, "/t/w/c", "3", 0, &t);
	rev[3] = t.revision;
	put(s, "/t/wx", "outside", 0, NULL);
	put(s, "/t/w/b", "22", 0, &rev[4]);
	CHECK(rev[1] == rev[0] + 1 && rev[2] == rev[1] + 1 && rev[3] == rev[2] + 1 && rev[4] == rev[3] + 2,
	      "five changes at revisions %" PRId64 "..%" PRId64, rev[0], rev[4]);
	CHECK(watch(s, "/t/w/", rev[0], r) == 0, "watch /t/w/ from revision %" PRId64, rev[0]);
	wait_count(&r->puts, 4, 10);
	run_for(0.3);
	CHECK(r->created == 1 && r->ev[0].type == STORE_WATCH_CREATED, "the first event is CREATED");
	for (size_t i = 0; i < r->n; i++) {
		if (r->ev[i].type != STORE_WATCH_PUT && r->ev[i].type != STORE_WATCH_DELETE)
			continue;
		if (k >= 5 || r->ev[i].type != want[k].type || strcmp(r->ev[i].key, want[k].key) ||
		    strcmp(r->ev[i].value, want[k].value) || r->ev[i].mod_revision != rev[k])
			order_ok = false;
		k++;
	}
	CHECK(order_ok && k == 5,
	      "it saw exactly PUT a, PUT b, DELETE a, PUT c, PUT b=22 with their revisions, in order (%zu events)", k);
	CHECK(r->ev[5].create_revision == rev[1] && r->ev[5].mod_revision == rev[4],
	      "the overwrite of b carries b's create_revision %" PRId64 " and its own mod_revision", rev[1]);
	CHECK(put(s, "/t/w/d", "4", 0, &rev[5]) == 0 && wait_key(r, "/t/w/d", 5), "a live put is seen");
	CHECK(r->ev[r->n - 1].mod_revision == rev[5], "with its revision");
	CHECK(watch(s, "/t/w/", 0, r2) == 0 && wait_count(&r2->created, 1, 5), "a second watch from now is created");
	CHECK(r2->ev[0].revision == rev[5], "its CREATED carries the current revision %" PRId64, rev[5]);
	put(s, "/t/w/e", "5", 0, NULL);
	CHECK(wait_key(r2, "/t/w/e", 5) && r2->puts == 1, "the watch from now sees only the new put");
	store_watch_cancel(r->w);
	r->w = NULL;
	{
		size_t before = r->n;

		put(s, "/t/w/f", "6", 0, NULL);
		CHECK(wait_key(r2, "/t/w/f", 5), "the remaining watch sees /t/w/f");
		run_for(0.2);
		CHECK(r->n == before, "the canceled watch's callback did not run again");
	}
	CHECK(r->disconnected == 0 && r2->disconnected == 0, "no watch disconnected");
	store_watch_cancel(r2->w);
	del(s, "/t/w", true, NULL);
	close_store(s);
	free(r);
	free(r2);
}

static void t_compaction(void)
{
	struct events evs = {0};
	struct store *s = open_store(opt_url, &evs);
	struct rec *r = calloc(1, sizeof(*r));
	struct list l;
	int64_t r0, r1, rc;
	int err;

	del(s, "/t/c/", true, NULL);
	put(s, "/t/c/a", "1", 0, &r0);
	put(s, "/t/c/b", "2", 0, NULL);
	put(s, "/t/c/a", "3", 0, &r1);
	rc = r1;
	hook("compact %" PRId64, rc);
	CHECK(watch(s, "/t/c/", r0, r) == 0, "watch from revision %" PRId64 ", compacted to %" PRId64, r0, rc);
	run_until(&r->ended, 10);
	CHECK(r->compacted && r->compact_revision == rc,
	      "the watch reports COMPACTED with compact_revision %" PRId64 " (got %" PRId64 ")", rc,
	      r->compact_revision);
	CHECK(r->puts == 0 && !r->broken, "and delivered no event before it");
	err = list(s, "/t/c/", &l);
	CHECK(err == 0 && l.n == 2 && strcmp(l.kv[0].value, "3") == 0,
	      "relist gives the current state (a=3, b=2) at revision %" PRId64, l.revision);
	CHECK(watch(s, "/t/c/", l.revision + 1, r) == 0 && wait_count(&r->created, 1, 5),
	      "rewatch from the list revision + 1");
	put(s, "/t/c/z", "new", 0, NULL);
	CHECK(wait_key(r, "/t/c/z", 5) && r->puts == 1, "the new watch sees the next put, and only it");
	store_watch_cancel(r->w);
	del(s, "/t/c/", true, NULL);
	close_store(s);
	free(r);
}

/* The cluster's first member (the leader, as run.sh orders them) is killed. */
static void t_failover(void)
{
	struct events evs = {0};
	struct store *s = open_store(opt_url, &evs);
	struct rec *r = calloc(1, sizeof(*r));
	struct store_stats st;
	struct list l;
	struct txn t;
	int64_t id, rev;
	double t0;
	int ok = 0;
	char key[64];

	del(s, "/t/f/", true, NULL);
	CHECK(grant(s, 3, &id) == 0, "grant a 3 s lease");
	CHECK(put(s, "/t/f/leased", "x", id, &rev) == 0, "put a key on it");
	CHECK(watch(s, "/t/f/", rev + 1, r) == 0 && wait_count(&r->created, 1, 5), "watch /t/f/");
	hook("kill-member 0");
	t0 = now_s();
	for (int i = 0; i < 5; i++) {
		int err;

		snprintf(key, sizeof(key), "/t/f/k%d", i);
		err = put(s, key, "v", 0, NULL);
		if (err == 0)
			ok++;
		else
			note("put %s: %s (%s)", key, strerror(-err), store_last_error(s));
	}
	CHECK(ok == 5, "5 puts right after the member died all succeed (%d), in %.2f s", ok, now_s() - t0);
	CHECK(put_if_absent(s, "/t/f/claim", "x", 0, &t) == 0 && t.succeeded, "a put_if_absent succeeds");
	CHECK(list(s, "/t/f/", &l) == 0 && l.n == 7, "list sees the 7 keys");
	CHECK(wait_key(r, "/t/f/claim", 10), "the watch saw every change");
	{
		bool in_order = true;
		int seen = 0;
		int64_t last = 0;

		for (size_t i = 0; i < r->n; i++) {
			if (r->ev[i].type != STORE_WATCH_PUT)
				continue;
			if (r->ev[i].mod_revision <= last)
				in_order = false;
			last = r->ev[i].mod_revision;
			seen++;
		}
		CHECK(seen == 6 && in_order,
		      "exactly 6 PUT events, in increasing revisions, none lost or repeated (%d)", seen);
	}
	CHECK(r->disconnected >= 1 && r->created == r->disconnected + 1 && !r->ended,
	      "the watch said DISCONNECTED (%d) and was re-created on another member each time (%d CREATED)",
	      r->disconnected, r->created);
	run_for(7);
	CHECK(exists(s, "/t/f/leased") == 1 && evs.lost_count == 0,
	      "the leased key is still there 7 s (2 x TTL) later: keepalives failed over");
	store_get_stats(s, &st);
	CHECK(st.failovers >= 1, "%" PRIu64 " request(s) failed over", st.failovers);
	store_watch_cancel(r->w);
	lease_revoke_sync(s, id);
	del(s, "/t/f/", true, NULL);
	close_store(s);
	free(r);
}

/* The whole cluster stops and comes back. s1 knows every member; s2 only
 * member 0, which comes back last, after a compaction: s1's watch resumes,
 * s2's must report it has to relist. */
static void t_restart(void)
{
	struct events ev1 = {0}, ev2 = {0};
	struct store *s1 = open_store(opt_url, &ev1), *s2 = open_store(opt_url2, &ev2);
	struct rec *r1 = calloc(1, sizeof(*r1)), *r2 = calloc(1, sizeof(*r2));
	struct list l;
	int64_t id, rev, now_rev;
	double t0;
	int err;

	del(s1, "/t/r/", true, NULL);
	CHECK(grant(s1, 10, &id) == 0, "grant a 10 s lease");
	CHECK(put(s1, "/t/r/leased", "x", id, &rev) == 0, "put a key on it");
	CHECK(watch(s1, "/t/r/", rev + 1, r1) == 0 && wait_count(&r1->created, 1, 5), "s1 watches /t/r/");
	CHECK(watch(s2, "/t/r/", rev + 1, r2) == 0 && wait_count(&r2->created, 1, 5),
	      "s2 (member 0 only) watches /t/r/");
	hook("stop-all");
	t0 = now_s();
	err = put(s1, "/t/r/during", "x", 0, NULL);
	CHECK(err == -ECONNREFUSED, "a put while the cluster is stopped fails with -ECONNREFUSED (%s) in %.2f s: %s",
	      strerror(-err), now_s() - t0, store_last_error(s1));
	CHECK(ev1.down_count >= 1, "on_state reported the store down");
	CHECK(wait_count(&r1->disconnected, 1, 5) && wait_count(&r2->disconnected, 1, 5),
	      "both watches reported DISCONNECTED");
	run_for(2);
	CHECK(r1->disconnected == 1, "only once during the outage (%d)", r1->disconnected);
	hook("start-members 1 2");
	t0 = now_s();
	wait_count(&r1->created, 2, 20);
	CHECK(r1->created == 2, "s1's watch is re-created %.2f s after members 1 and 2 are back", now_s() - t0);
	CHECK(ev1.up_count >= 1, "on_state reported the store up again");
	CHECK(put(s1, "/t/r/after", "y", 0, NULL) == 0 && wait_key(r1, "/t/r/after", 10),
	      "a put after the restart is seen by s1's watch (resumed, no relist)");
	CHECK(!r1->ended, "s1's watch did not end");
	/* While member 0 (s2's only one) is still down: more changes, and a compaction. */
	put(s1, "/t/r/more", "z", 0, &now_rev);
	hook("compact %" PRId64, now_rev);
	hook("start-members 0");
	t0 = now_s();
	run_until(&r2->ended, 30);
	CHECK(r2->compacted && r2->compact_revision == now_rev,
	      "s2 reconnects %.2f s after member 0 is back and reports COMPACTED (%" PRId64 "): it must relist",
	      now_s() - t0, r2->compact_revision);
	CHECK(list(s2, "/t/r/", &l) == 0 && l.n == 3, "s2 relists: 3 keys (leased, after, more)");
	CHECK(watch(s2, "/t/r/", l.revision + 1, r2) == 0 && wait_count(&r2->created, 1, 10), "s2 watches again");
	put(s1, "/t/r/final", "w", 0, NULL);
	CHECK(wait_key(r2, "/t/r/final", 10) && wait_key(r1, "/t/r/final", 10), "both watches see the next put");
	/* The lease survived the restart (etcd renews leases when a leader is elected) or was reported lost. */
	run_for(1);
	if (ev1.lost_count) {
		note("the lease was lost during the restart; re-granting");
		CHECK(grant(s1, 10, &id) == 0 && put(s1, "/t/r/leased", "x", id, NULL) == 0, "re-grant and re-put");
	}
	CHECK(exists(s1, "/t/r/leased") == 1, "the leased key is there after the restart");
	store_watch_cancel(r1->w);
	store_watch_cancel(r2->w);
	lease_revoke_sync(s1, id);
	del(s1, "/t/r/", true, NULL);
	close_store(s1);
	close_store(s2);
	free(r1);
	free(r2);
}

/* Member 0 (the one the client talks to) freezes (SIGSTOP): its sockets
 * stay open and silent. Requests time out and move on; the watch on it moves
 * too, because a request to its member failed; the lease stays alive. */
static void t_freeze(void)
{
	struct events evs = {0};
	struct store *s = open_store(opt_url, &evs);
	struct rec *r = calloc(1, sizeof(*r));
	int64_t id, rev;
	double t0, took;
	int err;

	del(s, "/t/z/", true, NULL);
	CHECK(grant(s, 3, &id) == 0, "grant a 3 s lease");
	CHECK(put(s, "/t/z/leased", "x", id, &rev) == 0, "put a key on it");
	CHECK(watch(s, "/t/z/", rev + 1, r) == 0 && wait_count(&r->created, 1, 5), "watch /t/z/ (on member 0)");
	hook("freeze-member 0");
	t0 = now_s();
	err = put(s, "/t/z/k1", "v", 0, NULL);
	took = now_s() - t0;
	CHECK(err == 0 && took < 10, "a put with member 0 frozen succeeds after %.2f s (%s)", took, strerror(-err));
	t0 = now_s();
	CHECK(wait_key(r, "/t/z/k1", 10), "the watch moved off the frozen member and saw it %.2f s later",
	      now_s() - t0);
	run_for(7);
	CHECK(exists(s, "/t/z/leased") == 1 && evs.lost_count == 0, "the 3 s lease is alive 7 s later");
	put(s, "/t/z/k2", "v", 0, NULL);
	CHECK(wait_key(r, "/t/z/k2", 5) && !r->ended, "the watch goes on");
	hook("thaw-member 0");
	store_watch_cancel(r->w);
	lease_revoke_sync(s, id);
	del(s, "/t/z/", true, NULL);
	close_store(s);
	free(r);
}

/* TLS: with the right client certificate everything works. */
static void t_tls(void)
{
	struct events evs = {0};
	struct store *s = open_store(opt_url, &evs);
	struct rec *r = calloc(1, sizeof(*r));
	struct list l;

	CHECK(put(s, "/t/tls/a", "1", 0, NULL) == 0, "put over https with a client certificate");
	CHECK(list(s, "/t/tls/", &l) == 0 && l.n == 1, "list over https");
	CHECK(watch(s, "/t/tls/", 0, r) == 0 && wait_count(&r->created, 1, 5), "watch over https");
	put(s, "/t/tls/b", "2", 0, NULL);
	CHECK(wait_key(r, "/t/tls/b", 5), "the watch sees a put");
	store_watch_cancel(r->w);
	del(s, "/t/tls/", true, NULL);
	close_store(s);
	free(r);
}

/* TLS refused: wrong client certificate, or none, or a CA that does not
 * know the server. The request must fail and nothing must be written (a
 * client with the right certificate checks). A member refusing our client
 * certificate under TLS 1.3 sends its alert after the handshake; curl sees
 * the alert (-EACCES) or, when the member's close wins the race, only a dead
 * connection (-EIO). A server we cannot verify is always -EACCES. */
static void t_tls_refused(const char *what)
{
	struct events evs = {0}, evs2 = {0};
	struct store *s = open_store(opt_url, &evs), *good;
	bool client_side = strcmp(what, "unknown-server-ca") == 0;
	int err = put(s, "/t/tls/refused", "1", 0, NULL);

	CHECK(err == -EACCES || (!client_side && err == -EIO), "%s: put refused with %s: %s", what, strerror(-err),
	      store_last_error(s));
	close_store(s);
	opt_cacert = opt_check_cacert;
	opt_cert = opt_check_cert;
	opt_key = opt_check_key;
	good = open_store(opt_url, &evs2);
	CHECK(exists(good, "/t/tls/refused") == 0, "nothing was written (checked with the right certificate)");
	close_store(good);
}

static void t_open_errors(void)
{
	static const struct {
		const char *url;
		int err;
	} t[] = {
	    {"etcd://127.0.0.1", -EINVAL},	 {"etcd://127.0.0.1:0", -EINVAL},
	    {"etcd://127.0.0.1:65536", -EINVAL}, {"etcd://", -EINVAL},
	    {"etcd://a:1,,b:2", -EINVAL},	 {"etcd://[::1:2379", -EINVAL},
	    {"etcd://h st:1", -EINVAL},		 {"consul://h:1", -EPROTONOSUPPORT},
	    {"127.0.0.1:2379", -EINVAL},	 {"etcd://127.0.0.1:2379,[::1]:2379,localhost:1", 0},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct store_config cfg = {.url = t[i].url};
		struct store *s = NULL;
		const char *why = NULL;
		int err = store_open(&cfg, &s, &why);

		CHECK(err == t[i].err && (err == 0 || why), "store_open(\"%s\") = %d (%s)", t[i].url, err,
		      why ? why : "");
		if (!err)
			store_close(s);
	}
	{
		struct store_config cfg = {.url = "etcd://127.0.0.1:1", .cacert = "/nonexistent/ca.pem"};
		struct store *s;
		const char *why = NULL;

		int err = store_open(&cfg, &s, &why);

		CHECK(err == -EINVAL && why, "an unreadable CA file is refused at open: %s", why ? why : "");
		cfg.cacert = NULL;
		cfg.cert = "/etc/hostname";
		why = NULL;
		err = store_open(&cfg, &s, &why);
		CHECK(err == -EINVAL && why, "a client cert without a CA is refused: %s", why ? why : "");
	}
}

/* Measurements: request rate at rest, and put -> watch latency. */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void t_bench(int rest_seconds, int puts)
{
	struct events e1 = {0}, e2 = {0};
	struct store *s1 = open_store(opt_url, &e1), *s2 = open_store(opt_url, &e2);
	struct rec *r = calloc(1, sizeof(*r));
	struct store_stats a, b;
	double *lat = calloc((size_t)puts, sizeof(double)), t0;
	int64_t id;
	char key[64], val[32];
	int got = 0;

	del(s1, "/t/b/", true, NULL);
	/* At rest: one host's worth of state: a 10 s lease, a host key and an
	 * endpoint on it, and a watch of the whole prefix. */
	CHECK(grant(s1, 10, &id) == 0, "grant a 10 s lease");
	put(s1, "/t/b/hosts/h1", "{\"underlay\":\"192.0.2.1\"}", id, NULL);
	put(s1, "/t/b/endpoints/n/02:42:0a:01:00:02/h1", "{\"ip\":\"10.1.0.2\"}", id, NULL);
	CHECK(watch(s1, "/t/b/", 0, r) == 0 && wait_count(&r->created, 1, 5), "watch the prefix");
	run_for(0.5);
	if (rest_seconds <= 0)
		goto latency;
	hook("metrics rest-start");
	store_get_stats(s1, &a);
	t0 = now_s();
	run_for(rest_seconds);
	store_get_stats(s1, &b);
	hook("metrics rest-end");
	printf("MEASURE rest: %" PRIu64 " requests (%" PRIu64 " keepalives) in %.1f s = %.3f req/s per host "
	       "(lease TTL 10 s, one watch)\n",
	       b.requests - a.requests, b.keepalives - a.keepalives, now_s() - t0,
	       (double)(b.requests - a.requests) / (now_s() - t0));
	CHECK(b.requests - a.requests == b.keepalives - a.keepalives &&
		  b.keepalives - a.keepalives <= (uint64_t)(rest_seconds / 3 + 1),
	      "at rest only keepalives are sent (%" PRIu64 ")", b.requests - a.requests);
latency:
	store_watch_cancel(r->w);

	/* Latency: s1 puts, s2 (another client, its own connections) watches. */
	CHECK(watch(s2, "/t/b/lat/", 0, r) == 0 && wait_count(&r->created, 1, 5), "second client watches /t/b/lat/");
	for (int i = 0; i < puts; i++) {
		struct done d = {0};
		double start;

		snprintf(key, sizeof(key), "/t/b/lat/k%d", i);
		snprintf(val, sizeof(val), "%d", i);
		r->wait_key = key;
		r->wait_hit = false;
		start = now_s();
		if (store_put(s1, key, val, strlen(val), 0, done_cb, &d))
			break;
		while (!(d.done && r->wait_hit) && now_s() - start < 5)
			run_until(d.done ? &r->wait_hit : &d.done, 5);
		if (!r->wait_hit || d.err)
			continue;
		/* The event's own timestamp, not when the put's answer came. */
		lat[got++] = (r->ev[r->n - 1].at - start) * 1000;
	}
	r->wait_key = NULL;
	CHECK(got == puts, "%d of %d puts were seen by the other client's watch", got, puts);
	if (got) {
		qsort(lat, (size_t)got, sizeof(double), cmp_double);
		printf("MEASURE latency put -> watch event on another client: n=%d p50=%.2f ms p99=%.2f ms "
		       "max=%.2f ms\n",
		       got, lat[got / 2], lat[(got * 99) / 100 < got ? (got * 99) / 100 : got - 1], lat[got - 1]);
	}
	store_watch_cancel(r->w);
	lease_revoke_sync(s1, id);
	del(s1, "/t/b/", true, NULL);
	close_store(s1);
	close_store(s2);
	free(r);
	free(lat);
}

int main(int argc, char **argv)
{
	const char *scenario;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SCENARIO --url URL [--url2 URL] [--cacert F --cert F --key F]\n", argv[0]);
		return 2;
	}
	scenario = argv[1];
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--url"))
			opt_url = argv[i + 1];
		else if (!strcmp(argv[i], "--url2"))
			opt_url2 = argv[i + 1];
		else if (!strcmp(argv[i], "--cacert"))
			opt_cacert = argv[i + 1];
		else if (!strcmp(argv[i], "--cert"))
			opt_cert = argv[i + 1];
		else if (!strcmp(argv[i], "--key"))
			opt_key = argv[i + 1];
		else if (!strcmp(argv[i], "--check-cacert"))
			opt_check_cacert = argv[i + 1];
		else if (!strcmp(argv[i], "--check-cert"))
			opt_check_cert = argv[i + 1];
		else if (!strcmp(argv[i], "--check-key"))
			opt_check_key = argv[i + 1];
		else {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(scenario, "open-errors")) {
		t_open_errors();
	} else if (!opt_url) {
		fprintf(stderr, "--url is required\n");
		return 2;
	} else if (!strcmp(scenario, "kv")) {
		t_kv();
	} else if (!strcmp(scenario, "txn")) {
		t_txn();
	} else if (!strcmp(scenario, "lease-keepalive")) {
		t_lease_keepalive();
	} else if (!strcmp(scenario, "lease-expiry")) {
		t_lease_expiry();
	} else if (!strcmp(scenario, "watch")) {
		t_watch();
	} else if (!strcmp(scenario, "compaction")) {
		t_compaction();
	} else if (!strcmp(scenario, "failover")) {
		t_failover();
	} else if (!strcmp(scenario, "restart")) {
		if (!opt_url2) {
			fprintf(stderr, "restart needs --url2\n");
			return 2;
		}
		t_restart();
	} else if (!strcmp(scenario, "freeze")) {
		t_freeze();
	} else if (!strcmp(scenario, "tls")) {
		t_tls();
	} else if (!strncmp(scenario, "tls-refused-", 12)) {
		if (!opt_check_cacert || !opt_check_cert || !opt_check_key) {
			fprintf(stderr, "%s needs --check-cacert, --check-cert and --check-key\n", scenario);
			return 2;
		}
		t_tls_refused(scenario + 12);
	} else if (!strcmp(scenario, "bench")) {
		const char *rs = getenv("STORE_BENCH_REST"), *np = getenv("STORE_BENCH_PUTS");

		t_bench(rs ? atoi(rs) : 30, np ? atoi(np) : 200);
	} else if (!strcmp(scenario, "bench-latency")) {
		const char *np = getenv("STORE_BENCH_PUTS");

		t_bench(0, np ? atoi(np) : 200);
	} else {
		fprintf(stderr, "unknown scenario %s\n", scenario);
		return 2;
	}
	printf("# %s: %d checks, %d failed\n", scenario, checks, failures);
	if (loop_fd >= 0)
		close(loop_fd);
	return failures ? 1 : 0;
}
