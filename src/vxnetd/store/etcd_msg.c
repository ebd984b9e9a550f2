/* etcd_msg: building and parsing etcd v3 gateway messages; pure (no I/O, no
 * globals), bounds-checked and fuzzed (tests/fuzz/fuzz_etcd.c). JSON goes
 * through jansson, base64 through OpenSSL's EVP block codec. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_msg.h"

/* ---- base64 ---- */

char *etcd_b64_encode(const void *data, size_t len)
{
	size_t out_len;
	char *out;

	if (len > (size_t)INT_MAX / 4 * 3 - 3) {
		errno = EMSGSIZE;
		return NULL;
	}
	out_len = (len + 2) / 3 * 4;
	out = malloc(out_len + 1);
	if (!out)
		return NULL;
	/* EVP_EncodeBlock writes the NUL itself. */
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

static bool b64_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

int etcd_b64_decode(const char *s, size_t len, char **out, size_t *out_len)
{
	size_t pad = 0, n;
	char *buf;
	int got;

	/* EVP_DecodeBlock trims whitespace and turns padding into zero bytes;
	 * check the exact form first so nothing is guessed. */
	if (len % 4 || len > (size_t)INT_MAX)
		return -EBADMSG;
	if (len >= 1 && s[len - 1] == '=')
		pad++;
	if (len >= 2 && s[len - 2] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++)
		if (!b64_char(s[i]))
			return -EBADMSG;
	n = len / 4 * 3;
	buf = malloc(n + 1);
	if (!buf)
		return -ENOMEM;
	got = len ? EVP_DecodeBlock((unsigned char *)buf, (const unsigned char *)s, (int)len) : 0;
	if (got < 0 || (size_t)got != n) {
		free(buf);
		return -EBADMSG;
	}
	n -= pad;
	buf[n] = '\0';
	*out = buf;
	*out_len = n;
	return 0;
}

int etcd_prefix_end(const char *key, size_t len, char **end, size_t *end_len)
{
	char *e;
	size_t n = len;

	while (n > 0 && (unsigned char)key[n - 1] == 0xff)
		n--;
	if (n == 0) {
		/* etcd reads range_end "\0" as "every key >= key". */
		e = calloc(1, 2);
		if (!e)
			return -ENOMEM;
		*end = e;
		*end_len = 1;
		return 0;
	}
	e = malloc(n + 1);
	if (!e)
		return -ENOMEM;
	memcpy(e, key, n);
	e[n - 1] = (char)((unsigned char)e[n - 1] + 1);
	e[n] = '\0';
	*end = e;
	*end_len = n;
	return 0;
}

/* ---- parsing helpers ---- */

/* int64 fields come as decimal strings; accept JSON integers too (the gateway
 * may change its marshaller), nothing else. Absent -> 0, like the gateway's
 * omitted zero values. */
static int get_i64(json_t *o, const char *name, int64_t *out)
{
	json_t *v = json_object_get(o, name);
	const char *s;
	char *end;
	long long x;

	*out = 0;
	if (!v)
		return 0;
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -EBADMSG;
	s = json_string_value(v);
	if (json_string_length(v) == 0 || json_string_length(v) > 20 || !((*s >= '0' && *s <= '9') || *s == '-'))
		return -EBADMSG;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || *end || end != s + json_string_length(v))
		return -EBADMSG;
	*out = x;
	return 0;
}

static int get_u64(json_t *o, const char *name, uint64_t *out)
{
	json_t *v = json_object_get(o, name);
	const char *s;
	char *end;
	unsigned long long x;

	*out = 0;
	if (!v)
		return 0;
	if (json_is_integer(v)) {
		if (json_integer_value(v) < 0)
			return -EBADMSG;
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -EBADMSG;
	s = json_string_value(v);
	if (json_string_length(v) == 0 || json_string_length(v) > 20 || *s < '0' || *s > '9')
		return -EBADMSG;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end || end != s + json_string_length(v))
		return -EBADMSG;
	*out = x;
	return 0;
}

static int get_bool(json_t *o, const char *name, bool *out)
{
	json_t *v = json_object_get(o, name);

	*out = false;
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return -EBADMSG;
	*out = json_is_true(v);
	return 0;
}

/* Copy a string field (absent: "") into a fixed buffer, truncating. */
static int get_text(json_t *o, const char *name, char *buf, size_t len)
{
	json_t *v = json_object_get(o, name);
	size_t n;

	buf[0] = '\0';
	if (!v)
		return 0;
	if (!json_is_string(v))
		return -EBADMSG;
	n = json_string_length(v);
	if (n >= len)
		n = len - 1;
	memcpy(buf, json_string_value(v), n);
	buf[n] = '\0';
	/* An embedded NUL shortens the text; it is for logs only. */
	return 0;
}

static int get_object(json_t *o, const char *name, json_t **out)
{
	json_t *v = json_object_get(o, name);

	*out = v;
	if (v && !json_is_object(v))
		return -EBADMSG;
	return 0;
}

static int parse_header(json_t *o, struct etcd_header *h)
{
	json_t *hdr;

	memset(h, 0, sizeof(*h));
	if (get_object(o, "header", &hdr))
		return -EBADMSG;
	if (!hdr)
		return 0;
	if (get_u64(hdr, "cluster_id", &h->cluster_id) || get_u64(hdr, "member_id", &h->member_id) ||
	    get_i64(hdr, "revision", &h->revision) || get_i64(hdr, "raft_term", &h->raft_term) || h->revision < 0)
		return -EBADMSG;
	return 0;
}

static int get_b64(json_t *o, const char *name, bool required, char **out, size_t *out_len)
{
	json_t *v = json_object_get(o, name);

	*out = NULL;
	*out_len = 0;
	if (!v) {
		if (required)
			return -EBADMSG;
		/* Omitted means empty: still hand out a terminated string. */
		*out = calloc(1, 1);
		return *out ? 0 : -ENOMEM;
	}
	if (!json_is_string(v))
		return -EBADMSG;
	return etcd_b64_decode(json_string_value(v), json_string_length(v), out, out_len);
}

void etcd_msg_kv_free(struct etcd_kv *kv)
{
	if (!kv)
		return;
	free(kv->key);
	free(kv->value);
	kv->key = kv->value = NULL;
}

static int parse_kv(json_t *o, struct etcd_kv *kv)
{
	int err;

	memset(kv, 0, sizeof(*kv));
	if (!json_is_object(o))
		return -EBADMSG;
	if (get_i64(o, "create_revision", &kv->create_revision) || get_i64(o, "mod_revision", &kv->mod_revision) ||
	    get_i64(o, "version", &kv->version) || get_i64(o, "lease", &kv->lease) || kv->create_revision < 0 ||
	    kv->mod_revision < 0 || kv->version < 0 || kv->lease < 0)
		return -EBADMSG;
	err = get_b64(o, "key", true, &kv->key, &kv->key_len);
	if (!err && kv->key_len == 0)
		err = -EBADMSG; /* etcd has no empty key */
	if (!err)
		err = get_b64(o, "value", false, &kv->value, &kv->value_len);
	if (err)
		etcd_msg_kv_free(kv);
	return err;
}

static int parse_kvs(json_t *arr, struct etcd_kv **out, size_t *n)
{
	struct etcd_kv *kvs;
	size_t cnt;
	int err;

	*out = NULL;
	*n = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr))
		return -EBADMSG;
	cnt = json_array_size(arr);
	if (cnt == 0)
		return 0;
	kvs = calloc(cnt, sizeof(*kvs));
	if (!kvs)
		return -ENOMEM;
	for (size_t i = 0; i < cnt; i++) {
		err = parse_kv(json_array_get(arr, i), &kvs[i]);
		if (err) {
			for (size_t j = 0; j < i; j++)
				etcd_msg_kv_free(&kvs[j]);
			free(kvs);
			return err;
		}
	}
	*out = kvs;
	*n = cnt;
	return 0;
}

static json_t *load_object(const char *buf, size_t len)
{
	json_t *o;

	if (!buf || len > ETCD_MSG_MAX)
		return NULL;
	o = json_loadb(buf, len, 0, NULL);
	if (o && !json_is_object(o)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int error_from_json(json_t *o, struct etcd_error *out)
{
	json_t *e = json_object_get(o, "error"), *c;
	struct etcd_error r;

	memset(&r, 0, sizeof(r));
	if (!e)
		return -EBADMSG;
	if (json_is_string(e)) {
		/* Unary: {"error":"text","message":"text","code":N}. */
		get_text(o, "error", r.message, sizeof(r.message));
		if (get_text(o, "message", r.message, sizeof(r.message)) || !r.message[0])
			get_text(o, "error", r.message, sizeof(r.message));
		c = json_object_get(o, "code");
	} else if (json_is_object(e)) {
		/* Stream: {"error":{"grpc_code":N,"http_code":N,"message":"..","http_status":".."}}. */
		if (get_text(e, "message", r.message, sizeof(r.message)))
			return -EBADMSG;
		c = json_object_get(e, "grpc_code");
		if (!c)
			c = json_object_get(e, "code");
		if (json_is_integer(json_object_get(e, "http_code")))
			r.http_code = (int)json_integer_value(json_object_get(e, "http_code"));
	} else {
		return -EBADMSG;
	}
	if (c) {
		if (!json_is_integer(c) || json_integer_value(c) < 0 || json_integer_value(c) > 1000)
			return -EBADMSG;
		r.code = (int)json_integer_value(c);
	}
	*out = r;
	return 0;
}

int etcd_msg_parse_error(const char *buf, size_t len, struct etcd_error *out)
{
	json_t *o = load_object(buf, len);
	int err;

	if (!o)
		return -EBADMSG;
	err = error_from_json(o, out);
	json_decref(o);
	return err;
}

void etcd_msg_kv_resp_free(struct etcd_kv_resp *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		etcd_msg_kv_free(&r->kvs[i]);
	free(r->kvs);
	r->kvs = NULL;
	r->n = 0;
}

int etcd_msg_parse_kv_resp(const char *buf, size_t len, struct etcd_kv_resp *out)
{
	struct etcd_kv_resp r;
	json_t *o = load_object(buf, len), *resps;
	int64_t deleted;
	int err = -EBADMSG;

	if (!o)
		return -EBADMSG;
	memset(&r, 0, sizeof(r));
	if (parse_header(o, &r.hdr) || get_i64(o, "count", &r.count) || get_i64(o, "deleted", &deleted) ||
	    get_bool(o, "more", &r.more) || get_bool(o, "succeeded", &r.succeeded) || r.count < 0 || deleted < 0)
		goto out;
	if (deleted)
		r.count = deleted;
	resps = json_object_get(o, "responses");
	if (resps) {
		/* txn: kvs and count of the first response_range, or the count of
		 * the first response_delete_range (ours have one operation). */
		if (!json_is_array(resps))
			goto out;
		for (size_t i = 0; i < json_array_size(resps); i++) {
			json_t *op = json_array_get(resps, i), *rr, *dr;

			if (!json_is_object(op) || get_object(op, "response_range", &rr) ||
			    get_object(op, "response_delete_range", &dr))
				goto out;
			if (rr) {
				if (get_i64(rr, "count", &r.count) || r.count < 0)
					goto out;
				err = parse_kvs(json_object_get(rr, "kvs"), &r.kvs, &r.n);
				if (err)
					goto out;
				err = -EBADMSG;
				break;
			}
			if (dr) {
				if (get_i64(dr, "deleted", &r.count) || r.count < 0)
					goto out;
				break;
			}
		}
	} else {
		err = parse_kvs(json_object_get(o, "kvs"), &r.kvs, &r.n);
		if (err)
			goto out;
	}
	*out = r;
	err = 0;
out:
	json_decref(o);
	return err;
}

static int lease_from_json(json_t *o, struct etcd_lease_resp *out)
{
	struct etcd_lease_resp r;

	memset(&r, 0, sizeof(r));
	if (parse_header(o, &r.hdr) || get_i64(o, "ID", &r.id) || get_i64(o, "TTL", &r.ttl) || r.id < 0 ||
	    get_text(o, "error", r.error, sizeof(r.error)))
		return -EBADMSG;
	/* TTL -1 is what etcd says of an expired lease in some answers. */
	if (r.ttl < 0)
		r.ttl = 0;
	*out = r;
	return 0;
}

int etcd_msg_parse_lease(const char *buf, size_t len, struct etcd_lease_resp *out)
{
	json_t *o = load_object(buf, len);
	int err;

	if (!o)
		return -EBADMSG;
	err = lease_from_json(o, out);
	json_decref(o);
	return err;
}

int etcd_msg_parse_keepalive(const char *buf, size_t len, struct etcd_lease_resp *out, struct etcd_error *err)
{
	json_t *o = load_object(buf, len), *res;
	struct etcd_error e;
	int rc = -EBADMSG;

	if (!o)
		return -EBADMSG;
	if (json_object_get(o, "error")) {
		if (error_from_json(o, &e) == 0) {
			if (err)
				*err = e;
			rc = -EREMOTEIO;
		}
	} else if (get_object(o, "result", &res) == 0 && res) {
		rc = lease_from_json(res, out);
	}
	json_decref(o);
	return rc;
}

void etcd_msg_watch_free(struct etcd_watch_msg *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		etcd_msg_kv_free(&m->events[i].kv);
	free(m->events);
	m->events = NULL;
	m->n = 0;
}

int etcd_msg_watch_from_json(json_t *root, struct etcd_watch_msg *out)
{
	struct etcd_watch_msg m;
	json_t *res, *evs;
	int err;

	memset(&m, 0, sizeof(m));
	if (!json_is_object(root))
		return -EBADMSG;
	if (json_object_get(root, "error")) {
		if (error_from_json(root, &m.err))
			return -EBADMSG;
		m.is_error = true;
		*out = m;
		return 0;
	}
	if (get_object(root, "result", &res) || !res)
		return -EBADMSG;
	if (parse_header(res, &m.hdr) || get_i64(res, "watch_id", &m.watch_id) ||
	    get_bool(res, "created", &m.created) || get_bool(res, "canceled", &m.canceled) ||
	    get_i64(res, "compact_revision", &m.compact_revision) ||
	    get_text(res, "cancel_reason", m.cancel_reason, sizeof(m.cancel_reason)) || m.compact_revision < 0)
		return -EBADMSG;
	evs = json_object_get(res, "events");
	if (evs) {
		size_t cnt;

		if (!json_is_array(evs))
			return -EBADMSG;
		cnt = json_array_size(evs);
		if (cnt) {
			m.events = calloc(cnt, sizeof(*m.events));
			if (!m.events)
				return -ENOMEM;
		}
		for (size_t i = 0; i < cnt; i++) {
			json_t *ev = json_array_get(evs, i), *t, *kv;

			err = -EBADMSG;
			if (!json_is_object(ev))
				goto fail;
			t = json_object_get(ev, "type");
			if (!t || (json_is_string(t) && strcmp(json_string_value(t), "PUT") == 0) ||
			    (json_is_integer(t) && json_integer_value(t) == 0)) {
				m.events[i].type = ETCD_EVENT_PUT;
			} else if ((json_is_string(t) && strcmp(json_string_value(t), "DELETE") == 0) ||
				   (json_is_integer(t) && json_integer_value(t) == 1)) {
				m.events[i].type = ETCD_EVENT_DELETE;
			} else {
				goto fail;
			}
			kv = json_object_get(ev, "kv");
			if (!kv)
				goto fail;
			err = parse_kv(kv, &m.events[i].kv);
			if (err)
				goto fail;
			/* Count only after success, so fail frees exactly what was parsed. */
			m.n = i + 1;
			/* An event has a revision; a stream that says otherwise is not etcd. */
			if (m.events[i].kv.mod_revision <= 0) {
				err = -EBADMSG;
				goto fail;
			}
		}
	}
	*out = m;
	return 0;
fail:
	etcd_msg_watch_free(&m);
	return err;
}

int etcd_msg_parse_watch(const char *buf, size_t len, struct etcd_watch_msg *out)
{
	json_t *o = load_object(buf, len);
	int err;

	if (!o)
		return -EBADMSG;
	err = etcd_msg_watch_from_json(o, out);
	json_decref(o);
	return err;
}

/* ---- stream splitter ---- */

void etcd_stream_init(struct etcd_stream *st, size_t max)
{
	memset(st, 0, sizeof(*st));
	st->max = max ? max : ETCD_MSG_MAX;
}

void etcd_stream_free(struct etcd_stream *st)
{
	free(st->buf);
	memset(st, 0, sizeof(*st));
}

int etcd_stream_feed(struct etcd_stream *st, const void *data, size_t len)
{
	const char *last_nl;

	if (len == 0)
		return 0;
	/* Only the unfinished tail (after the last newline) is bounded: complete
	 * lines are taken out by etcd_stream_next() after every feed. */
	last_nl = memrchr(data, '\n', len);
	if (last_nl ? (size_t)((const char *)data + len - last_nl - 1) > st->max : st->tail + len > st->max)
		return -EMSGSIZE;
	if (len > SIZE_MAX / 2 - st->len)
		return -EMSGSIZE;
	if (st->len + len + 1 > st->cap) {
		size_t cap = st->cap ? st->cap : 4096;
		char *b;

		while (cap < st->len + len + 1)
			cap *= 2;
		b = realloc(st->buf, cap);
		if (!b)
			return -ENOMEM;
		st->buf = b;
		st->cap = cap;
	}
	memcpy(st->buf + st->len, data, len);
	st->len += len;
	st->buf[st->len] = '\0';
	st->tail = last_nl ? (size_t)((const char *)data + len - last_nl - 1) : st->tail + len;
	return 0;
}

static void consume(struct etcd_stream *st, size_t n)
{
	memmove(st->buf, st->buf + n, st->len - n);
	st->len -= n;
	st->scanned = 0;
	if (st->tail > st->len)
		st->tail = st->len;
	if (st->buf)
		st->buf[st->len] = '\0';
}

int etcd_stream_next(struct etcd_stream *st, bool at_end, json_t **out)
{
	for (;;) {
		const char *nl;
		size_t line_len, start = 0, take;
		json_t *o;

		if (st->len == 0)
			return 0;
		nl = memchr(st->buf + st->scanned, '\n', st->len - st->scanned);
		if (nl) {
			line_len = (size_t)(nl - st->buf);
			take = line_len + 1;
		} else {
			st->scanned = st->len;
			if (!at_end)
				return 0;
			line_len = st->len;
			take = st->len;
		}
		while (start < line_len && (st->buf[start] == ' ' || st->buf[start] == '\t' || st->buf[start] == '\r'))
			start++;
		if (start == line_len) {
			consume(st, take);
			continue;
		}
		if (line_len - start > st->max) {
			consume(st, take);
			return -EBADMSG;
		}
		o = json_loadb(st->buf + start, line_len - start, 0, NULL);
		consume(st, take);
		if (!o)
			return -EBADMSG;
		if (!json_is_object(o)) {
			json_decref(o);
			return -EBADMSG;
		}
		*out = o;
		return 1;
	}
}

/* ---- request builders ---- */

static char *dump(json_t *o)
{
	char *s;

	if (!o) {
		errno = ENOMEM;
		return NULL;
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!s)
		errno = ENOMEM;
	return s;
}

static void i64s(char buf[24], int64_t v)
{
	snprintf(buf, 24, "%" PRId64, v);
}

/* Add "name": base64(data) to o; false on allocation failure. */
static bool set_b64(json_t *o, const char *name, const void *data, size_t len)
{
	char *b = etcd_b64_encode(data, len);
	bool ok;

	if (!b)
		return false;
	ok = json_object_set_new(o, name, json_string(b)) == 0;
	free(b);
	return ok;
}

static bool set_i64(json_t *o, const char *name, int64_t v)
{
	char b[24];

	i64s(b, v);
	return json_object_set_new(o, name, json_string(b)) == 0;
}

/* {"key":..., "range_end":...} for key alone or as a prefix. */
static json_t *key_range(const char *key, size_t len, bool prefix)
{
	json_t *o = json_object();
	char *end = NULL;
	size_t end_len;

	if (!o || !set_b64(o, "key", key, len))
		goto fail;
	if (prefix) {
		if (etcd_prefix_end(key, len, &end, &end_len) || !set_b64(o, "range_end", end, end_len))
			goto fail;
		free(end);
	}
	return o;
fail:
	free(end);
	json_decref(o);
	return NULL;
}

char *etcd_msg_range_req(const char *key, size_t len, bool prefix)
{
	return dump(key_range(key, len, prefix));
}

static json_t *put_obj(const char *key, size_t klen, const void *value, size_t vlen, int64_t lease)
{
	json_t *o = json_object();

	if (!o || !set_b64(o, "key", key, klen) || !set_b64(o, "value", value ? value : "", vlen) ||
	    (lease && !set_i64(o, "lease", lease))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

char *etcd_msg_put_req(const char *key, size_t klen, const void *value, size_t vlen, int64_t lease)
{
	return dump(put_obj(key, klen, value, vlen, lease));
}

char *etcd_msg_delete_req(const char *key, size_t len, bool prefix)
{
	return dump(key_range(key, len, prefix));
}

/* A txn comparing one field of key, doing success_op or reading the key. */
static char *txn(const char *key, size_t klen, const char *target, const char *field, int64_t want, const char *op_name,
		 json_t *op)
{
	json_t *cmp = NULL, *o = NULL, *fail_op = NULL;

	if (!op)
		goto fail;
	cmp = json_object();
	if (!cmp || !set_b64(cmp, "key", key, klen) || json_object_set_new(cmp, "target", json_string(target)) ||
	    json_object_set_new(cmp, "result", json_string("EQUAL")) || !set_i64(cmp, field, want))
		goto fail;
	fail_op = key_range(key, klen, false);
	if (!fail_op)
		goto fail;
	o = json_pack("{s:[o],s:[{s:o}],s:[{s:o}]}", "compare", cmp, "success", op_name, op, "failure", "request_range",
		      fail_op);
	/* json_pack's "o" steals its references, also when it fails. */
	return dump(o);
fail:
	json_decref(cmp);
	json_decref(op);
	json_decref(fail_op);
	errno = ENOMEM;
	return NULL;
}

char *etcd_msg_put_if_absent_req(const char *key, size_t klen, const void *value, size_t vlen, int64_t lease)
{
	return txn(key, klen, "CREATE", "create_revision", 0, "request_put", put_obj(key, klen, value, vlen, lease));
}

char *etcd_msg_delete_if_req(const char *key, size_t klen, int64_t mod_revision)
{
	return txn(key, klen, "MOD", "mod_revision", mod_revision, "request_delete_range", key_range(key, klen, false));
}

char *etcd_msg_delete_if_none_req(const char *key, size_t klen, const char *guard, size_t glen)
{
	json_t *cmp = NULL, *o, *del = NULL, *cnt = NULL;

	cmp = key_range(guard, glen, true);
	del = key_range(key, klen, false);
	cnt = key_range(guard, glen, true);
	if (!cmp || !del || !cnt || json_object_set_new(cmp, "target", json_string("CREATE")) ||
	    json_object_set_new(cmp, "result", json_string("EQUAL")) || !set_i64(cmp, "create_revision", 0) ||
	    json_object_set_new(cnt, "count_only", json_true()))
		goto fail;
	o = json_pack("{s:[o],s:[{s:o}],s:[{s:o}]}", "compare", cmp, "success", "request_delete_range", del, "failure",
		      "request_range", cnt);
	return dump(o);
fail:
	json_decref(cmp);
	json_decref(del);
	json_decref(cnt);
	errno = ENOMEM;
	return NULL;
}

char *etcd_msg_lease_grant_req(int64_t ttl)
{
	json_t *o = json_object();

	if (!o || !set_i64(o, "TTL", ttl)) {
		json_decref(o);
		errno = ENOMEM;
		return NULL;
	}
	return dump(o);
}

char *etcd_msg_lease_id_req(int64_t id)
{
	json_t *o = json_object();

	if (!o || !set_i64(o, "ID", id)) {
		json_decref(o);
		errno = ENOMEM;
		return NULL;
	}
	return dump(o);
}

char *etcd_msg_watch_req(const char *key, size_t len, int64_t start_revision)
{
	json_t *cr = key_range(key, len, true);

	if (!cr || (start_revision && !set_i64(cr, "start_revision", start_revision)) ||
	    json_object_set_new(cr, "progress_notify", json_true())) {
		json_decref(cr);
		errno = ENOMEM;
		return NULL;
	}
	return dump(json_pack("{s:o}", "create_request", cr));
}
