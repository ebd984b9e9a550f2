/* etcd: the store implementation over etcd's v3 HTTP/JSON gateway, with
 * libcurl's multi interface driven by an internal epoll fd (curl's sockets
 * plus two timerfds: one for curl's timeouts, one for ours). Messages are
 * built and parsed by etcd_msg.c; this file is the plumbing: requests,
 * failover between members and the lease keeper. The watch streams, which
 * resume from the next revision after a break, are etcd_watch.c's.
 *
 * Failover: requests go to the current member; a transport failure (or
 * etcd's "unavailable") moves the current member to the next one and retries
 * the request there, each member once per request. A request is retried
 * after it may have reached etcd only if repeating it is harmless (range,
 * put, delete, keepalive, revoke); a transaction is retried only when the
 * connection was never made. */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "etcd_int.h"
#include "etcd_msg.h"
#include "store.h"

static const char *const req_path[] = {
    [R_RANGE] = "/v3/kv/range",	       [R_PUT] = "/v3/kv/put",
    [R_DELETE] = "/v3/kv/deleterange", [R_TXN_PUT] = "/v3/kv/txn",
    [R_TXN_DEL] = "/v3/kv/txn",	       [R_TXN_DEL_NONE] = "/v3/kv/txn",
    [R_GRANT] = "/v3/lease/grant",     [R_KEEPALIVE] = "/v3/lease/keepalive",
    [R_REVOKE] = "/v3/lease/revoke",   [R_WATCH] = "/v3/watch",
};

uint64_t etcd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void etcd_set_error(struct etcd *e, const char *member, const char *what)
{
	if (member)
		snprintf(e->last_error, sizeof(e->last_error), "%s: %s", member, what);
	else
		snprintf(e->last_error, sizeof(e->last_error), "%s", what);
}

/* The member's name for messages: the URL without its scheme. */
const char *etcd_member_name(const struct etcd *e, unsigned i)
{
	const char *u = e->members[i], *p = strstr(u, "://");

	return p ? p + 3 : u;
}

void etcd_state_change(struct etcd *e, bool up, const char *detail)
{
	if (e->up_known && e->up == up)
		return;
	bool was_down = e->up_known && !e->up;
	e->up = up;
	e->up_known = true;
	if (was_down) {
		/* A member answers again: watches waiting out their backoff
		 * go back now instead of up to WATCH_BACKOFF_MAX_MS later. */
		uint64_t now = etcd_now_ms();
		for (struct ewatch *w = e->watches; w; w = w->next) {
			if (!w->dead && !w->req && w->retry_ms > now) {
				w->retry_ms = now;
				w->backoff_ms = 0;
			}
		}
		etcd_rearm(e);
	}
	if (e->on_state && !e->closing)
		e->on_state(e->arg, up, detail);
}

/* ---- timers ---- */

static void arm(int tfd, uint64_t delay_ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	/* 0 would disarm: "now" is one nanosecond. */
	its.it_value.tv_sec = (time_t)(delay_ms / 1000);
	its.it_value.tv_nsec = (long)(delay_ms % 1000) * 1000000 + (delay_ms ? 0 : 1);
	timerfd_settime(tfd, 0, &its, NULL);
}

static void disarm(int tfd)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	timerfd_settime(tfd, 0, &its, NULL);
}

/* Arm the tick timer for the earliest of: deferred callbacks (now), lease
 * keepalives, watch retries. */
void etcd_rearm(struct etcd *e)
{
	uint64_t next = UINT64_MAX, now = etcd_now_ms();

	if (e->done_head)
		next = now;
	for (struct lease *l = e->leases; l; l = l->next)
		if (!l->inflight && l->due_ms < next)
			next = l->due_ms;
	for (struct ewatch *w = e->watches; w; w = w->next)
		if (!w->dead && w->retry_ms && w->retry_ms < next)
			next = w->retry_ms;
	for (struct req *r = e->reqs; r; r = r->next)
		if (r->retry_ms && r->retry_ms < next)
			next = r->retry_ms;
	if (next == UINT64_MAX)
		disarm(e->tick_tfd);
	else
		arm(e->tick_tfd, next > now ? next - now : 0);
}

/* ---- curl callbacks (no user callback ever runs from here) ---- */

static int sock_cb(CURL *h, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct etcd *e = userp;
	struct epoll_event ev;

	(void)h;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.data.fd = fd;
	ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0u);
	if (epoll_ctl(e->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
		return 0;
	if (errno == ENOENT && epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) == 0)
		return 0;
	return -1;
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct etcd *e = userp;

	(void)m;
	if (timeout_ms < 0)
		disarm(e->curl_tfd);
	else
		arm(e->curl_tfd, (uint64_t)timeout_ms);
	return 0;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct req *r = userp;
	size_t n = size * nmemb;

	if (r->kind == R_WATCH) {
		if (etcd_stream_feed(&r->stream, data, n)) {
			r->stream_err = true;
			return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
		}
		return n;
	}
	if (n > ETCD_MSG_MAX - r->resp.len)
		return 0;
	if (r->resp.len + n + 1 > r->resp.cap) {
		size_t cap = r->resp.cap ? r->resp.cap : 1024;
		char *p;

		while (cap < r->resp.len + n + 1)
			cap *= 2;
		p = realloc(r->resp.p, cap);
		if (!p)
			return 0;
		r->resp.p = p;
		r->resp.cap = cap;
	}
	memcpy(r->resp.p + r->resp.len, data, n);
	r->resp.len += n;
	r->resp.p[r->resp.len] = '\0';
	return n;
}

/* ---- requests ---- */

void etcd_req_free(struct req *r)
{
	struct etcd *e = r->e;

	if (r->h) {
		curl_multi_remove_handle(e->multi, r->h);
		curl_easy_cleanup(r->h);
	}
	if (r->prev)
		r->prev->next = r->next;
	else if (e->reqs == r)
		e->reqs = r->next;
	if (r->next)
		r->next->prev = r->prev;
	free(r->body);
	free(r->resp.p);
	etcd_stream_free(&r->stream);
	free(r);
}

struct req *etcd_req_new(struct etcd *e, enum req_kind kind, char *body, bool idempotent)
{
	struct req *r;

	if (!body)
		return NULL;
	r = calloc(1, sizeof(*r));
	if (!r) {
		free(body);
		return NULL;
	}
	r->e = e;
	r->kind = kind;
	r->body = body;
	r->idempotent = idempotent;
	r->member = e->cur;
	r->started_ms = etcd_now_ms();
	if (kind == R_WATCH)
		etcd_stream_init(&r->stream, 0);
	r->next = e->reqs;
	if (e->reqs)
		e->reqs->prev = r;
	e->reqs = r;
	return r;
}

/* Hand r to curl for an attempt on r->member. 0 or -errno. */
int etcd_req_start(struct req *r)
{
	struct etcd *e = r->e;
	char url[512];
	CURL *h;
	long timeout = (long)e->req_timeout_ms;

	if (r->h) {
		curl_multi_remove_handle(e->multi, r->h);
		curl_easy_cleanup(r->h);
		r->h = NULL;
	}
	r->resp.len = 0;
	r->errbuf[0] = '\0';
	r->stream_err = false;
	if (r->kind == R_WATCH) {
		etcd_stream_free(&r->stream);
		etcd_stream_init(&r->stream, 0);
	}
	snprintf(url, sizeof(url), "%s%s", e->members[r->member], req_path[r->kind]);
	h = curl_easy_init();
	if (!h)
		return -ENOMEM;
	if (r->keeper) {
		/* A keepalive stuck on a hung member must fail over well before the
		 * lease runs out. */
		for (struct lease *l = e->leases; l; l = l->next)
			if (l->id == r->lease_id && l->ttl * 1000 / 3 < timeout)
				timeout = (long)(l->ttl * 1000 / 3);
		if (timeout < 300)
			timeout = 300;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	/* etcd is reached directly: an http_proxy in the daemon's environment
	 * must not reroute (or break) the control plane. */
	curl_easy_setopt(h, CURLOPT_PROXY, "");
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(r->body));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, e->headers);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_PRIVATE, r);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)e->conn_timeout_ms);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPIDLE, 10L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPINTVL, 5L);
	if (r->kind != R_WATCH)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
	if (e->cacert) {
		curl_easy_setopt(h, CURLOPT_CAINFO, e->cacert);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
		if (e->cert) {
			curl_easy_setopt(h, CURLOPT_SSLCERT, e->cert);
			curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
		}
		if (e->key) {
			curl_easy_setopt(h, CURLOPT_SSLKEY, e->key);
			curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
		}
	}
	if (curl_multi_add_handle(e->multi, h) != CURLM_OK) {
		curl_easy_cleanup(h);
		return -ENOMEM;
	}
	r->h = h;
	r->tried++;
	e->stats.requests++;
	if (r->keeper)
		e->stats.keepalives++;
	return 0;
}

/* Queue r's callback with err (0: parse resp) for the deferred phase. */
void etcd_req_defer(struct req *r, int err)
{
	struct etcd *e = r->e;

	if (r->h) {
		curl_multi_remove_handle(e->multi, r->h);
		curl_easy_cleanup(r->h);
		r->h = NULL;
	}
	r->done = true;
	r->done_err = err;
	r->next_done = NULL;
	*e->done_tail = r;
	e->done_tail = &r->next_done;
}

/* Submit a new request from an API call: nothing runs before it returns. */
static int req_submit(struct req *r)
{
	int err = etcd_req_start(r);

	if (err) {
		etcd_req_free(r);
		return err;
	}
	etcd_rearm(r->e);
	return 0;
}

/* gRPC status of an etcd error -> errno. */
int etcd_grpc_errno(const struct etcd_error *er)
{
	switch (er->code) {
	case 1: /* Canceled */
		return -ECANCELED;
	case 3: /* InvalidArgument */
	case 9: /* FailedPrecondition */
		return -EINVAL;
	case 4: /* DeadlineExceeded */
		return -ETIMEDOUT;
	case 5: /* NotFound */
		return -ENOENT;
	case 6: /* AlreadyExists */
		return -EEXIST;
	case 7: /* PermissionDenied */
		return -EPERM;
	case 8: /* ResourceExhausted: too many requests, or the NOSPACE alarm */
		return strstr(er->message, "space") ? -ENOSPC : -EAGAIN;
	case 11: /* OutOfRange: compacted */
		return -ERANGE;
	case 14: /* Unavailable: no leader, stopping, timed out */
		return -EAGAIN;
	case 16: /* Unauthenticated */
		return -EACCES;
	}
	return -EPROTO;
}

int etcd_curl_errno(CURLcode c, const char *errbuf)
{
	switch (c) {
	case CURLE_OK:
		return 0;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
		return -EACCES;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_WRITE_ERROR:
		return -EPROTO;
	default:
		/* With TLS 1.3 a refused client certificate shows only as an
		 * alert on the first read, after the handshake looked fine. */
		if (strstr(errbuf, "alert"))
			return -EACCES;
		return -EIO;
	}
}

/* The attempt on r->member failed with err. Retry on the next member if that
 * is allowed and someone is left, else defer the callback with err. */
static void req_retry_or_fail(struct req *r, int err, bool maybe_sent, const char *why)
{
	struct etcd *e = r->e;
	unsigned failed = r->member;

	etcd_set_error(e, etcd_member_name(e, failed), why);
	r->last_err = err;
	if (e->cur == failed)
		e->cur = (failed + 1) % e->n_members;
	ewatch_member_failed(e, failed);
	if ((!maybe_sent || r->idempotent) && r->tried < e->n_members) {
		r->member = (failed + 1) % e->n_members;
		e->stats.failovers++;
		if (etcd_req_start(r) == 0)
			return;
		err = -ENOMEM;
	} else if ((!maybe_sent || r->idempotent) && r->saw_unavailable && !r->keeper &&
		   etcd_now_ms() + ROUND_DELAY_MS < r->started_ms + 2 * (uint64_t)e->req_timeout_ms) {
		/* Every member was tried and at least one is alive but has no
		 * leader: an election is under way. Try the round again shortly
		 * rather than failing a write that will work in a second. (The
		 * keeper has its own retry.) */
		if (r->h) {
			curl_multi_remove_handle(e->multi, r->h);
			curl_easy_cleanup(r->h);
			r->h = NULL;
		}
		r->tried = 0;
		r->member = e->cur;
		r->retry_ms = etcd_now_ms() + ROUND_DELAY_MS;
		return;
	}
	if (err == -ECONNREFUSED || err == -ETIMEDOUT || err == -EIO || err == -EAGAIN)
		etcd_state_change(e, false, e->last_error);
	etcd_req_defer(r, err);
}

/* ---- the lease keeper ---- */

static struct lease *lease_find(struct etcd *e, int64_t id, struct lease ***link)
{
	struct lease **pp = &e->leases;

	for (; *pp; pp = &(*pp)->next)
		if ((*pp)->id == id) {
			if (link)
				*link = pp;
			return *pp;
		}
	return NULL;
}

static int lease_drop(struct etcd *e, int64_t id)
{
	struct lease **pp, *l = lease_find(e, id, &pp);

	if (!l)
		return -ENOENT;
	*pp = l->next;
	free(l);
	return 0;
}

static void keeper_tick(struct etcd *e, uint64_t now)
{
	for (struct lease *l = e->leases; l; l = l->next) {
		struct req *r;

		if (l->inflight || l->due_ms > now)
			continue;
		r = etcd_req_new(e, R_KEEPALIVE, etcd_msg_lease_id_req(l->id), true);
		if (!r) {
			l->due_ms = now + KEEPALIVE_RETRY_MS;
			continue;
		}
		r->keeper = true;
		r->lease_id = l->id;
		if (etcd_req_start(r)) {
			etcd_req_free(r);
			l->due_ms = now + KEEPALIVE_RETRY_MS;
			continue;
		}
		l->inflight = true;
	}
}

void etcd_kv_to_store(const struct etcd_kv *k, struct store_kv *s)
{
	s->key = k->key;
	s->key_len = k->key_len;
	s->value = k->value;
	s->value_len = k->value_len;
	s->create_revision = k->create_revision;
	s->mod_revision = k->mod_revision;
	s->version = k->version;
	s->lease = k->lease;
}

/* Requests waiting for another round of members. */
static void req_tick(struct etcd *e, uint64_t now)
{
	for (struct req *r = e->reqs; r; r = r->next) {
		if (!r->retry_ms || r->retry_ms > now)
			continue;
		r->retry_ms = 0;
		if (etcd_req_start(r))
			etcd_req_defer(r, -ENOMEM);
	}
}

/* ---- completions ---- */

/* The transfer of r finished with curl result c. */
static void req_finished(struct req *r, CURLcode c)
{
	struct etcd *e = r->e;
	long status = 0;
	curl_off_t pretransfer = 0;
	struct etcd_error er;
	char why[400];
	int err;

	curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(r->h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
	if (r->kind == R_WATCH) {
		ewatch_finished(r, c, status);
		return;
	}
	if (c != CURLE_OK) {
		err = etcd_curl_errno(c, r->errbuf);
		snprintf(why, sizeof(why), "%s", r->errbuf[0] ? r->errbuf : curl_easy_strerror(c));
		req_retry_or_fail(r, err, pretransfer > 0 || err == -EACCES, why);
		return;
	}
	if (status == 200) {
		etcd_state_change(e, true, etcd_member_name(e, r->member));
		etcd_req_defer(r, 0);
		return;
	}
	if (r->resp.p && etcd_msg_parse_error(r->resp.p, r->resp.len, &er) == 0) {
		snprintf(why, sizeof(why), "etcd: %s (code %d)", er.message, er.code);
		err = etcd_grpc_errno(&er);
		if (er.code == 14) {
			r->saw_unavailable = true;
			/* Unavailable: this member cannot serve (no leader, stopping).
			 * Only "no leader" guarantees a write was not proposed. */
			req_retry_or_fail(r, err, !strstr(er.message, "no leader"), why);
			return;
		}
		etcd_state_change(e, true, etcd_member_name(e, r->member));
	} else {
		snprintf(why, sizeof(why), "HTTP status %ld", status);
		err = -EPROTO;
	}
	etcd_set_error(e, etcd_member_name(e, r->member), why);
	etcd_req_defer(r, err);
}

/* Run r's callback (err, or the parsed response), then free r. */
static void req_complete(struct req *r)
{
	struct etcd *e = r->e;
	int err = r->done_err;
	const char *body = r->resp.p ? r->resp.p : "";

	switch (r->kind) {
	case R_RANGE: {
		struct etcd_kv_resp kr;
		struct store_list_result res = {0};
		struct store_kv *kvs = NULL;

		memset(&kr, 0, sizeof(kr));
		if (!err && (err = etcd_msg_parse_kv_resp(body, r->resp.len, &kr)) == -EBADMSG)
			err = -EPROTO;
		if (!err && kr.n && !(kvs = calloc(kr.n, sizeof(*kvs))))
			err = -ENOMEM;
		if (!err) {
			for (size_t i = 0; i < kr.n; i++)
				etcd_kv_to_store(&kr.kvs[i], &kvs[i]);
			res.revision = kr.hdr.revision;
			res.n = kr.n;
			res.kvs = kvs;
		}
		if (err == -EPROTO)
			etcd_set_error(e, etcd_member_name(e, r->member), "malformed range answer");
		r->cb.list(r->arg, err, err ? NULL : &res);
		free(kvs);
		etcd_msg_kv_resp_free(&kr);
		break;
	}
	case R_PUT:
	case R_DELETE: {
		struct etcd_kv_resp kr;

		memset(&kr, 0, sizeof(kr));
		if (!err && etcd_msg_parse_kv_resp(body, r->resp.len, &kr))
			err = -EPROTO;
		r->cb.done(r->arg, err, err ? 0 : kr.hdr.revision, err ? 0 : kr.count);
		etcd_msg_kv_resp_free(&kr);
		break;
	}
	case R_TXN_PUT:
	case R_TXN_DEL:
	case R_TXN_DEL_NONE: {
		struct etcd_kv_resp kr;
		struct store_txn_result res = {0};
		struct store_kv kv;

		memset(&kr, 0, sizeof(kr));
		if (!err && etcd_msg_parse_kv_resp(body, r->resp.len, &kr))
			err = -EPROTO;
		if (!err) {
			res.succeeded = kr.succeeded;
			res.revision = kr.hdr.revision;
			res.count = kr.count;
			if (!kr.succeeded && kr.n > 0) {
				etcd_kv_to_store(&kr.kvs[0], &kv);
				res.existing = &kv;
			}
		}
		r->cb.txn(r->arg, err, err ? NULL : &res);
		etcd_msg_kv_resp_free(&kr);
		break;
	}
	case R_GRANT: {
		struct etcd_lease_resp lr;

		memset(&lr, 0, sizeof(lr));
		if (!err && etcd_msg_parse_lease(body, r->resp.len, &lr))
			err = -EPROTO;
		if (!err && (lr.error[0] || lr.id <= 0 || lr.ttl <= 0)) {
			etcd_set_error(e, etcd_member_name(e, r->member),
				       lr.error[0] ? lr.error : "grant answer without a lease");
			err = -EPROTO;
		}
		if (!err) {
			struct lease *l = calloc(1, sizeof(*l));

			if (!l) {
				err = -ENOMEM;
			} else {
				l->id = lr.id;
				l->ttl = lr.ttl;
				l->due_ms = etcd_now_ms() + (uint64_t)lr.ttl * 1000 / 3;
				l->next = e->leases;
				e->leases = l;
			}
		}
		r->cb.lease(r->arg, err, err ? 0 : lr.id, err ? 0 : lr.ttl);
		break;
	}
	case R_KEEPALIVE: {
		struct etcd_lease_resp lr;
		struct etcd_error er;
		struct lease *l = lease_find(e, r->lease_id, NULL);
		int rc;

		memset(&lr, 0, sizeof(lr));
		if (!err) {
			rc = etcd_msg_parse_keepalive(body, r->resp.len, &lr, &er);
			if (rc == -EREMOTEIO) {
				err = etcd_grpc_errno(&er);
				etcd_set_error(e, etcd_member_name(e, r->member), er.message);
			} else if (rc) {
				err = -EPROTO;
			} else if (lr.ttl <= 0) {
				err = -ENOENT;
			}
		}
		if (l && r->keeper)
			l->inflight = false;
		if (err == -ENOENT && l) {
			/* Gone from the store: stop keeping it, tell the owner. */
			lease_drop(e, r->lease_id);
			if (e->on_lease_lost && !e->closing)
				e->on_lease_lost(e->arg, r->lease_id);
		} else if (l) {
			uint64_t period = (uint64_t)l->ttl * 1000 / 3;

			l->due_ms = etcd_now_ms() +
				    (err ? (period < KEEPALIVE_RETRY_MS ? period : KEEPALIVE_RETRY_MS) : period);
		}
		if (!r->keeper)
			r->cb.lease(r->arg, err, r->lease_id, err ? 0 : lr.ttl);
		break;
	}
	case R_REVOKE: {
		struct etcd_lease_resp lr;

		memset(&lr, 0, sizeof(lr));
		if (!err && etcd_msg_parse_lease(body, r->resp.len, &lr))
			err = -EPROTO;
		r->cb.lease(r->arg, err, r->lease_id, 0);
		break;
	}
	case R_WATCH:
		break;
	}
	etcd_req_free(r);
}

static void run_deferred(struct etcd *e)
{
	while (e->done_head && !e->closing) {
		struct req *r = e->done_head;

		e->done_head = r->next_done;
		if (!e->done_head)
			e->done_tail = &e->done_head;
		req_complete(r);
	}
}

static void check_multi(struct etcd *e)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(e->multi, &left))) {
		struct req *r = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r)
			req_finished(r, msg->data.result);
	}
}

static void etcd_free(struct etcd *e)
{
	while (e->reqs)
		etcd_req_free(e->reqs);
	while (e->watches) {
		struct ewatch *w = e->watches;

		e->watches = w->next;
		ewatch_free(w);
	}
	while (e->leases)
		lease_drop(e, e->leases->id);
	if (e->multi)
		curl_multi_cleanup(e->multi);
	curl_slist_free_all(e->headers);
	for (unsigned i = 0; i < e->n_members; i++)
		free(e->members[i]);
	free(e->cacert);
	free(e->cert);
	free(e->key);
	if (e->epfd >= 0)
		close(e->epfd);
	if (e->curl_tfd >= 0)
		close(e->curl_tfd);
	if (e->tick_tfd >= 0)
		close(e->tick_tfd);
	free(e);
	curl_global_cleanup();
}

static int etcd_dispatch(struct store *s)
{
	struct etcd *e = (struct etcd *)s;
	struct epoll_event evs[32];
	uint64_t ticks;
	int n, err = 0;

	e->in_dispatch++;
	n = epoll_wait(e->epfd, evs, 32, 0);
	if (n < 0 && errno != EINTR)
		err = -errno;
	for (int i = 0; i < n && !e->closing; i++) {
		int fd = evs[i].data.fd, running;

		if (fd == e->curl_tfd) {
			if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				err = -errno;
			curl_multi_socket_action(e->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		} else if (fd == e->tick_tfd) {
			if (read(fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				err = -errno;
		} else {
			int mask = 0;

			if (evs[i].events & (EPOLLIN | EPOLLHUP))
				mask |= CURL_CSELECT_IN;
			if (evs[i].events & EPOLLOUT)
				mask |= CURL_CSELECT_OUT;
			if (evs[i].events & EPOLLERR)
				mask |= CURL_CSELECT_ERR;
			curl_multi_socket_action(e->multi, fd, mask, &running);
		}
	}
	if (!e->closing) {
		uint64_t now = etcd_now_ms();

		ewatch_drain_all(e);
		check_multi(e);
		keeper_tick(e, now);
		ewatch_tick(e, now);
		req_tick(e, now);
		run_deferred(e);
		ewatch_reap(e);
	}
	e->in_dispatch--;
	if (e->closing) {
		if (!e->in_dispatch)
			etcd_free(e);
		return err;
	}
	etcd_rearm(e);
	return err;
}

/* ---- API ---- */

static int etcd_fd(const struct store *s)
{
	return ((const struct etcd *)s)->epfd;
}

static const char *etcd_last_error(const struct store *s)
{
	return ((const struct etcd *)s)->last_error;
}

static void etcd_get_stats(const struct store *s, struct store_stats *st)
{
	*st = ((const struct etcd *)s)->stats;
}

static void etcd_close(struct store *s)
{
	struct etcd *e = (struct etcd *)s;

	/* From inside a callback: finish after dispatch unwinds. */
	if (e->in_dispatch) {
		e->closing = true;
		return;
	}
	etcd_free(e);
}

static int etcd_range(struct store *s, const char *key, bool prefix, store_list_cb cb, void *arg)
{
	struct etcd *e = (struct etcd *)s;
	struct req *r = etcd_req_new(e, R_RANGE, etcd_msg_range_req(key, strlen(key), prefix), true);

	if (!r)
		return -ENOMEM;
	r->cb.list = cb;
	r->arg = arg;
	return req_submit(r);
}

static int etcd_put(struct store *s, const char *key, const void *value, size_t len, int64_t lease, store_done_cb cb,
		    void *arg)
{
	struct etcd *e = (struct etcd *)s;
	struct req *r = etcd_req_new(e, R_PUT, etcd_msg_put_req(key, strlen(key), value, len, lease), true);

	if (!r)
		return -ENOMEM;
	r->cb.done = cb;
	r->arg = arg;
	return req_submit(r);
}

static int etcd_del(struct store *s, const char *key, bool prefix, store_done_cb cb, void *arg)
{
	struct etcd *e = (struct etcd *)s;
	struct req *r = etcd_req_new(e, R_DELETE, etcd_msg_delete_req(key, strlen(key), prefix), true);

	if (!r)
		return -ENOMEM;
	r->cb.done = cb;
	r->arg = arg;
	return req_submit(r);
}

static int etcd_put_if_absent(struct store *s, const char *key, const void *value, size_t len, int64_t lease,
			      store_txn_cb cb, void *arg)
{
	struct etcd *e = (struct etcd *)s;
	struct req *r =
	    etcd_req_new(e, R_TXN_PUT, etcd_msg_put_if_absent_req(key, strlen(key), value, len, lease), false);

	if (!r)
		return -ENOMEM;
	r->cb.txn = cb;
	r->arg = arg;
	return req_submit(r);
}

static int etcd_delete_if(struct store *s, const char *key, int64_t mod_revision, store_txn_cb cb, void *arg)
{
	struct etcd *e = (struct etcd *)s;
	/* Repeating it is harmless: a second try finds the revision changed
	 * (or the key gone) and does nothing. */
	struct req *r = etcd_req_new(e, R_TXN_DEL, etcd_msg_delete_if_req(key, strlen(key), mod_revision), true);

	if (!r)
		return -ENOMEM;
	r->cb.txn = cb;
	r->arg = arg;
	return req_submit(r);
}

static int etcd_delete_if_none(struct store *s, const char *key, const char *guard, store_txn_cb cb, void *arg)
{
	struct etcd *e = (struct etcd *)s;
	/* Harmless to repeat: a second try deletes nothing or counts again. */
	struct req *r =
	    etcd_req_new(e, R_TXN_DEL_NONE, etcd_msg_delete_if_none_req(key, strlen(key), guard, strlen(guard)), true);

	if (!r)
		return -ENOMEM;
	r->cb.txn = cb;
	r->arg = arg;
	return req_submit(r);
}

static int etcd_lease_grant(struct store *s, int64_t ttl, store_lease_cb cb, void *arg)
{
	struct etcd *e = (struct etcd *)s;
	/* A repeated grant leaks at most one lease, which dies by its TTL. */
	struct req *r = etcd_req_new(e, R_GRANT, etcd_msg_lease_grant_req(ttl), true);

	if (!r)
		return -ENOMEM;
	r->cb.lease = cb;
	r->arg = arg;
	return req_submit(r);
}

static int etcd_lease_keepalive(struct store *s, int64_t lease, store_lease_cb cb, void *arg)
{
	struct etcd *e = (struct etcd *)s;
	struct req *r = etcd_req_new(e, R_KEEPALIVE, etcd_msg_lease_id_req(lease), true);

	if (!r)
		return -ENOMEM;
	r->lease_id = lease;
	r->cb.lease = cb;
	r->arg = arg;
	return req_submit(r);
}

static int etcd_lease_revoke(struct store *s, int64_t lease, store_lease_cb cb, void *arg)
{
	struct etcd *e = (struct etcd *)s;
	struct req *r = etcd_req_new(e, R_REVOKE, etcd_msg_lease_id_req(lease), true);

	if (!r)
		return -ENOMEM;
	r->lease_id = lease;
	r->cb.lease = cb;
	r->arg = arg;
	lease_drop(e, lease);
	return req_submit(r);
}

static int etcd_lease_forget(struct store *s, int64_t lease)
{
	return lease_drop((struct etcd *)s, lease);
}

static int etcd_lease_keep(struct store *s, int64_t lease, int64_t ttl)
{
	struct etcd *e = (struct etcd *)s;
	struct lease *l;

	if (lease_find(e, lease, NULL))
		return -EEXIST;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->id = lease;
	l->ttl = ttl;
	l->due_ms = etcd_now_ms() + (uint64_t)ttl * 1000 / 3;
	l->next = e->leases;
	e->leases = l;
	etcd_rearm(e);
	return 0;
}

/* Parse "etcd://HOST:PORT[,HOST:PORT...]" into base URLs. */
static int parse_url(struct etcd *e, const char *url, const char **why)
{
	const char *p = url + strlen("etcd://");
	const char *scheme = e->cacert ? "https://" : "http://";

	if (strncmp(url, "etcd://", 7) != 0) {
		*why = "store URL does not start with etcd://";
		return -EINVAL;
	}
	for (;;) {
		const char *end = strchr(p, ','), *colon;
		size_t n = end ? (size_t)(end - p) : strlen(p);
		unsigned long port = 0;
		size_t hostlen;

		if (n == 0) {
			*why = "store URL has an empty member";
			return -EINVAL;
		}
		if (e->n_members == MAX_MEMBERS) {
			*why = "store URL has more than 16 members";
			return -EINVAL;
		}
		if (p[0] == '[') {
			const char *rb = memchr(p, ']', n);

			if (!rb || rb + 1 >= p + n || rb[1] != ':') {
				*why = "store member is not [IPV6]:PORT";
				return -EINVAL;
			}
			colon = rb + 1;
			for (const char *q = p + 1; q < rb; q++)
				if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f') ||
				      (*q >= 'A' && *q <= 'F') || *q == ':' || *q == '.')) {
					*why = "store member is not [IPV6]:PORT";
					return -EINVAL;
				}
		} else {
			colon = memchr(p, ':', n);
			if (!colon) {
				*why = "store member has no :PORT";
				return -EINVAL;
			}
			for (const char *q = p; q < colon; q++)
				if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'z') ||
				      (*q >= 'A' && *q <= 'Z') || *q == '.' || *q == '-')) {
					*why = "store member's host is not a name or an address";
					return -EINVAL;
				}
		}
		hostlen = (size_t)(colon - p);
		if (hostlen == 0 || hostlen > 253) {
			*why = "store member's host is empty or too long";
			return -EINVAL;
		}
		for (const char *q = colon + 1; q < p + n; q++) {
			if (*q < '0' || *q > '9' || port > 65535) {
				*why = "store member's port is not a number 1..65535";
				return -EINVAL;
			}
			port = port * 10 + (unsigned long)(*q - '0');
		}
		if (colon + 1 == p + n || port == 0 || port > 65535) {
			*why = "store member's port is not a number 1..65535";
			return -EINVAL;
		}
		e->members[e->n_members] = malloc(strlen(scheme) + n + 1);
		if (!e->members[e->n_members])
			return -ENOMEM;
		memcpy(e->members[e->n_members], scheme, strlen(scheme));
		memcpy(e->members[e->n_members] + strlen(scheme), p, n);
		e->members[e->n_members][strlen(scheme) + n] = '\0';
		e->n_members++;
		if (!end)
			return 0;
		p = end + 1;
	}
}

static int readable(const char *path, const char *what, const char **why)
{
	if (access(path, R_OK) != 0) {
		*why = what;
		return -EINVAL;
	}
	return 0;
}

static int etcd_open(const struct store_config *cfg, struct store **out, const char **why)
{
	struct etcd *e;
	const char *dummy;
	int err;

	if (!why)
		why = &dummy;
	if ((cfg->cert || cfg->key) && !cfg->cacert) {
		*why = "a client certificate needs the CA file too (https)";
		return -EINVAL;
	}
	if (!cfg->cert != !cfg->key) {
		*why = "a client certificate needs its key, and a key its certificate";
		return -EINVAL;
	}
	if ((cfg->cacert && readable(cfg->cacert, "cannot read the CA file", why)) ||
	    (cfg->cert && readable(cfg->cert, "cannot read the client certificate", why)) ||
	    (cfg->key && readable(cfg->key, "cannot read the client key", why)))
		return -EINVAL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		*why = "curl_global_init failed";
		return -ENOMEM;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		curl_global_cleanup();
		return -ENOMEM;
	}
	e->base.ops = &store_etcd_ops;
	e->epfd = e->curl_tfd = e->tick_tfd = -1;
	e->done_tail = &e->done_head;
	e->req_timeout_ms = cfg->request_timeout_ms ? cfg->request_timeout_ms : 2000;
	e->conn_timeout_ms = cfg->connect_timeout_ms ? cfg->connect_timeout_ms : 1000;
	e->on_state = cfg->on_state;
	e->on_lease_lost = cfg->on_lease_lost;
	e->arg = cfg->arg;
	err = -ENOMEM;
	if ((cfg->cacert && !(e->cacert = strdup(cfg->cacert))) || (cfg->cert && !(e->cert = strdup(cfg->cert))) ||
	    (cfg->key && !(e->key = strdup(cfg->key))))
		goto fail;
	err = parse_url(e, cfg->url, why);
	if (err)
		goto fail;
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	e->curl_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	e->tick_tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (e->epfd < 0 || e->curl_tfd < 0 || e->tick_tfd < 0) {
		err = -errno;
		*why = "cannot create the store's epoll or timer fds";
		goto fail;
	}
	{
		struct epoll_event ev = {.events = EPOLLIN};

		ev.data.fd = e->curl_tfd;
		if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->curl_tfd, &ev))
			goto fail_errno;
		ev.data.fd = e->tick_tfd;
		if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->tick_tfd, &ev))
			goto fail_errno;
	}
	e->multi = curl_multi_init();
	if (!e->multi)
		goto fail;
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(e->multi, CURLMOPT_SOCKETDATA, e);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(e->multi, CURLMOPT_TIMERDATA, e);
	/* "Expect: 100-continue" would stall every larger body by a round trip;
	 * hasleader makes a member without a leader refuse at once (and cancel
	 * our watches) instead of hanging: we fail over to one that has one. */
	if (!(e->headers = curl_slist_append(NULL, "Content-Type: application/json")) ||
	    !curl_slist_append(e->headers, "Expect:") ||
	    !curl_slist_append(e->headers, "Grpc-Metadata-hasleader: true"))
		goto fail;
	*out = &e->base;
	return 0;
fail_errno:
	err = -errno;
	*why = "cannot set up the store's epoll fd";
fail:
	etcd_free(e);
	return err;
}

const struct store_ops store_etcd_ops = {
    .scheme = "etcd",
    .open = etcd_open,
    .close = etcd_close,
    .fd = etcd_fd,
    .dispatch = etcd_dispatch,
    .last_error = etcd_last_error,
    .get_stats = etcd_get_stats,
    .range = etcd_range,
    .put = etcd_put,
    .del = etcd_del,
    .put_if_absent = etcd_put_if_absent,
    .delete_if = etcd_delete_if,
    .delete_if_none = etcd_delete_if_none,
    .lease_grant = etcd_lease_grant,
    .lease_keepalive = etcd_lease_keepalive,
    .lease_revoke = etcd_lease_revoke,
    .lease_forget = etcd_lease_forget,
    .lease_keep = etcd_lease_keep,
    .watch = ewatch_open,
    .watch_cancel = ewatch_cancel,
};
