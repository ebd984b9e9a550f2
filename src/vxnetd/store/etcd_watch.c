/* etcd_watch: the watch streams of the etcd store (etcd.c): one HTTP
 * stream per watch, messages drained as they arrive, and on a break a new
 * stream from the next revision not yet delivered, on the current member,
 * with a backoff; a compaction, a refusal, a changed cluster id or a
 * revision going back ends the watch for good (the caller relists). */
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_int.h"
#include "etcd_msg.h"
#include "store.h"

static void watch_event(struct ewatch *w, const struct store_watch_event *ev)
{
	if (!w->dead && !w->e->closing)
		w->cb(w->arg, ev);
}

/* Let go of w's stream request. It cannot be freed here: its completion
 * may be being handled further up the stack. Detach it, end it if it is
 * still running, and let the dispatch free it. */
static void watch_detach(struct ewatch *w)
{
	if (!w->req)
		return;
	w->req->watch = NULL;
	if (!w->req->done)
		etcd_req_defer(w->req, -ECANCELED);
	w->req = NULL;
}

/* End w for good after a terminal event. */
static void watch_end(struct ewatch *w, enum store_watch_type type, int64_t rev, int64_t compact, int err,
		      const char *detail)
{
	struct store_watch_event ev = {
	    .type = type, .revision = rev, .compact_revision = compact, .err = err, .detail = detail};

	if (w->dead)
		return;
	watch_detach(w);
	w->retry_ms = 0;
	watch_event(w, &ev);
	w->dead = true;
}

static int watch_start(struct ewatch *w)
{
	struct etcd *e = w->e;
	struct req *r = etcd_req_new(e, R_WATCH, etcd_msg_watch_req(w->prefix, w->prefix_len, w->next_rev), true);
	int err;

	if (!r)
		return -ENOMEM;
	r->watch = w;
	err = etcd_req_start(r);
	if (err) {
		etcd_req_free(r);
		return err;
	}
	w->req = r;
	w->retry_ms = 0;
	return 0;
}

/* The stream broke (err, why): say so once per outage and schedule a new
 * stream on the current member. */
static void watch_disconnected(struct ewatch *w, int err, const char *why)
{
	uint64_t now = etcd_now_ms();

	watch_detach(w);
	if (w->live)
		w->e->stats.watch_restarts++;
	w->live = false;
	if (!w->down_reported) {
		struct store_watch_event ev = {.type = STORE_WATCH_DISCONNECTED, .err = err, .detail = why};

		w->down_reported = true;
		/* The first retry is immediate: another member is usually there. */
		w->backoff_ms = 0;
		watch_event(w, &ev);
	}
	if (w->dead)
		return;
	w->retry_ms = now + w->backoff_ms;
	w->backoff_ms = w->backoff_ms ? w->backoff_ms * 2 : WATCH_BACKOFF_MIN_MS;
	if (w->backoff_ms > WATCH_BACKOFF_MAX_MS)
		w->backoff_ms = WATCH_BACKOFF_MAX_MS;
}

/* A unary request found member dead or hung: a watch stream on it may be
 * silently stuck (a frozen member keeps its sockets open), so move it. */
void ewatch_member_failed(struct etcd *e, unsigned member)
{
	for (struct ewatch *w = e->watches; w; w = w->next)
		if (!w->dead && w->req && !w->req->done && w->req->member == member) {
			char why[300];

			snprintf(why, sizeof(why), "member %s failed a request", etcd_member_name(e, member));
			watch_disconnected(w, -EIO, why);
		}
}

/* Is an error of a watch stream worth a new stream (member trouble) rather
 * than a terminal BROKEN (etcd refuses this watch)? */
static bool watch_error_retryable(int code, const char *msg)
{
	return code == 14 || code == 4 || code == 1 || code == 10 || strstr(msg, "no leader") ||
	       strstr(msg, "stopped") || strstr(msg, "leader changed");
}

/* Handle one stream message. */
static void watch_msg(struct ewatch *w, struct req *r, const struct etcd_watch_msg *m)
{
	struct etcd *e = w->e;
	char why[400];

	if (m->is_error) {
		snprintf(why, sizeof(why), "etcd: %s (code %d)", m->err.message, m->err.code);
		etcd_set_error(e, etcd_member_name(e, r->member), why);
		if (watch_error_retryable(m->err.code, m->err.message))
			watch_disconnected(w, etcd_grpc_errno(&m->err), why);
		else
			watch_end(w, STORE_WATCH_BROKEN, 0, 0, etcd_grpc_errno(&m->err), why);
		return;
	}
	if (m->hdr.cluster_id) {
		if (w->cluster_id && w->cluster_id != m->hdr.cluster_id) {
			watch_end(w, STORE_WATCH_BROKEN, m->hdr.revision, 0, -ESTALE,
				  "the store's cluster id changed: it is not the history we were watching");
			return;
		}
		w->cluster_id = m->hdr.cluster_id;
	}
	if (m->created) {
		struct store_watch_event ev = {.type = STORE_WATCH_CREATED, .revision = m->hdr.revision};

		/* On a resume, the member must know every revision we delivered;
		 * a first start_revision in the future is the caller's business. */
		if (w->was_created && m->hdr.revision + 1 < w->next_rev) {
			snprintf(why, sizeof(why), "the store's revision went back from %" PRId64 " to %" PRId64,
				 w->next_rev - 1, m->hdr.revision);
			watch_end(w, STORE_WATCH_BROKEN, m->hdr.revision, 0, -ESTALE, why);
			return;
		}
		if (w->next_rev == 0)
			w->next_rev = m->hdr.revision + 1;
		w->live = true;
		w->was_created = true;
		w->down_reported = false;
		w->backoff_ms = 0;
		etcd_state_change(e, true, etcd_member_name(e, r->member));
		watch_event(w, &ev);
		if (w->dead)
			return;
	}
	if (m->canceled) {
		if (m->compact_revision > 0) {
			watch_end(w, STORE_WATCH_COMPACTED, m->hdr.revision, m->compact_revision, -ERANGE,
				  "the revisions to watch from are compacted");
			return;
		}
		snprintf(why, sizeof(why), "etcd canceled the watch: %s",
			 m->cancel_reason[0] ? m->cancel_reason : "no reason given");
		if (watch_error_retryable(0, m->cancel_reason))
			watch_disconnected(w, -EAGAIN, why);
		else
			watch_end(w, STORE_WATCH_BROKEN, m->hdr.revision, 0, -ECANCELED, why);
		return;
	}
	for (size_t i = 0; i < m->n && !w->dead; i++) {
		const struct etcd_event *ev = &m->events[i];
		struct store_kv kv;
		struct store_watch_event sev;

		/* After a resume etcd starts at next_rev; anything older is a
		 * duplicate of what we already delivered. */
		if (ev->kv.mod_revision < w->next_rev)
			continue;
		etcd_kv_to_store(&ev->kv, &kv);
		memset(&sev, 0, sizeof(sev));
		sev.type = ev->type == ETCD_EVENT_DELETE ? STORE_WATCH_DELETE : STORE_WATCH_PUT;
		sev.revision = m->hdr.revision;
		sev.kv = &kv;
		e->stats.watch_events++;
		watch_event(w, &sev);
		/* Events of one revision always come in one message, so the
		 * revision is done once its last event is delivered. */
		if (i + 1 == m->n || m->events[i + 1].kv.mod_revision != ev->kv.mod_revision)
			w->next_rev = ev->kv.mod_revision + 1;
	}
	if (!w->dead && m->n == 0 && !m->created && m->hdr.revision >= w->next_rev)
		w->next_rev = m->hdr.revision + 1; /* progress notification: nothing up to it for us */
}

/* Drain complete messages of w's stream. at_end: the transfer ended. */
static void watch_drain(struct ewatch *w, bool at_end)
{
	struct req *r = w->req;

	while (r && w->req == r && !w->dead) {
		struct etcd_watch_msg m;
		json_t *o;
		int rc = etcd_stream_next(&r->stream, at_end, &o);

		if (rc == 0)
			return;
		if (rc > 0) {
			rc = etcd_msg_watch_from_json(o, &m);
			json_decref(o);
		}
		if (rc < 0) {
			watch_end(w, STORE_WATCH_BROKEN, 0, 0, rc == -ENOMEM ? -ENOMEM : -EPROTO,
				  "malformed watch stream from etcd");
			return;
		}
		watch_msg(w, r, &m);
		etcd_msg_watch_free(&m);
	}
}

void ewatch_free(struct ewatch *w)
{
	free(w->prefix);
	free(w);
}

/* Free watches that are dead and no longer referenced. */
void ewatch_reap(struct etcd *e)
{
	struct ewatch **pp = &e->watches;

	while (*pp) {
		struct ewatch *w = *pp;

		if (w->dead && !w->req) {
			*pp = w->next;
			ewatch_free(w);
		} else {
			pp = &w->next;
		}
	}
}

void ewatch_tick(struct etcd *e, uint64_t now)
{
	for (struct ewatch *w = e->watches; w; w = w->next) {
		if (w->dead || w->req || !w->retry_ms || w->retry_ms > now)
			continue;
		if (watch_start(w)) {
			w->retry_ms = now + WATCH_BACKOFF_MAX_MS;
			continue;
		}
	}
}

/* The transfer of the watch request r finished: curl result c, HTTP status. */
void ewatch_finished(struct req *r, CURLcode c, long status)
{
	struct etcd *e = r->e;
	struct etcd_error er;
	char why[400];

	struct ewatch *w = r->watch;

	if (!w) {
		if (!r->done)
			etcd_req_defer(r, -ECANCELED);
		return;
	}
	if (c == CURLE_OK && status == 200) {
		watch_drain(w, true);
		if (w->req == r)
			watch_disconnected(w, -EIO, "etcd ended the watch stream");
	} else if (c == CURLE_WRITE_ERROR && r->stream_err) {
		watch_end(w, STORE_WATCH_BROKEN, 0, 0, -EMSGSIZE, "watch message from etcd too long");
	} else if (c != CURLE_OK) {
		snprintf(why, sizeof(why), "%s", r->errbuf[0] ? r->errbuf : curl_easy_strerror(c));
		etcd_set_error(e, etcd_member_name(e, r->member), why);
		/* The watch resumes on the next member: a failover as
		 * much as a unary request's retry is (a killed member
		 * may break only the watches, the other requests having
		 * gone elsewhere by then). */
		if (e->cur == r->member)
			e->cur = (r->member + 1) % e->n_members;
		if (e->cur != r->member)
			e->stats.failovers++;
		watch_disconnected(w, etcd_curl_errno(c, r->errbuf), why);
	} else {
		/* An error status: the body is one error object. */
		watch_drain(w, true);
		if (w->req == r && etcd_msg_parse_error(r->stream.buf ? r->stream.buf : "", r->stream.len, &er) == 0) {
			snprintf(why, sizeof(why), "etcd: %s (code %d)", er.message, er.code);
			if (watch_error_retryable(er.code, er.message))
				watch_disconnected(w, etcd_grpc_errno(&er), why);
			else
				watch_end(w, STORE_WATCH_BROKEN, 0, 0, etcd_grpc_errno(&er), why);
		} else if (w->req == r) {
			snprintf(why, sizeof(why), "HTTP status %ld", status);
			watch_disconnected(w, -EPROTO, why);
		}
	}
}

void ewatch_drain_all(struct etcd *e)
{
	for (struct ewatch *w = e->watches; w; w = w->next)
		if (!w->dead && w->req && !w->req->done)
			watch_drain(w, false);
}

int ewatch_open(struct store *s, const char *prefix, int64_t start_revision, store_watch_cb cb, void *arg,
		struct store_watch **out)
{
	struct etcd *e = (struct etcd *)s;
	struct ewatch *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return -ENOMEM;
	w->base.store = s;
	w->e = e;
	w->prefix = strdup(prefix);
	w->prefix_len = strlen(prefix);
	w->next_rev = start_revision;
	w->cb = cb;
	w->arg = arg;
	if (!w->prefix) {
		free(w);
		return -ENOMEM;
	}
	err = watch_start(w);
	if (err) {
		ewatch_free(w);
		return err;
	}
	w->next = e->watches;
	e->watches = w;
	etcd_rearm(e);
	*out = &w->base;
	return 0;
}

void ewatch_cancel(struct store_watch *sw)
{
	struct ewatch *w = (struct ewatch *)sw, **pp;
	struct etcd *e = w->e;

	if (w->dead)
		return;
	w->dead = true;
	if (e->in_dispatch) {
		/* Something up the stack may hold w or its request: detach and
		 * let the end of dispatch free them. */
		watch_detach(w);
		return;
	}
	if (w->req)
		etcd_req_free(w->req);
	for (pp = &e->watches; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	ewatch_free(w);
	etcd_rearm(e);
}
