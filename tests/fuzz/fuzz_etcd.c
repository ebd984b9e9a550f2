/* fuzz_etcd: libFuzzer target for src/vxnetd/store/etcd_msg.c, everything
 * the store client parses from etcd's gateway: unary answers (range, put,
 * txn, lease, errors), keepalive and watch stream messages, and the stream
 * splitter fed in chunks whose sizes come from the input. Besides the
 * sanitizers it checks: parsed strings are terminated at their length,
 * revisions and leases are never negative, the splitter never hands out a
 * non-object and yields the same messages whether the bytes come whole or in
 * chunks, and base64 that decodes re-encodes to a decodable equal value.
 *
 * Input: [0] selects the parser (mod 8), [1] the chunk size for the
 * splitter, the rest is the body. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "etcd_msg.h"

#define CHECK(c)                                                                                                       \
	do {                                                                                                           \
		if (!(c))                                                                                              \
			__builtin_trap();                                                                              \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_kv(const struct etcd_kv *kv)
{
	CHECK(kv->key && kv->value);
	CHECK(kv->key[kv->key_len] == '\0' && kv->value[kv->value_len] == '\0');
	CHECK(kv->key_len > 0);
	CHECK(kv->create_revision >= 0 && kv->mod_revision >= 0 && kv->version >= 0 && kv->lease >= 0);
}

static void fuzz_kv_resp(const char *s, size_t n)
{
	struct etcd_kv_resp r;

	if (etcd_msg_parse_kv_resp(s, n, &r))
		return;
	CHECK(r.hdr.revision >= 0 && r.count >= 0);
	CHECK((r.n == 0) == (r.kvs == NULL));
	for (size_t i = 0; i < r.n; i++)
		check_kv(&r.kvs[i]);
	etcd_msg_kv_resp_free(&r);
}

static void check_watch(const struct etcd_watch_msg *m)
{
	if (m->is_error) {
		CHECK(strlen(m->err.message) < sizeof(m->err.message));
		return;
	}
	CHECK(m->compact_revision >= 0 && m->hdr.revision >= 0);
	CHECK(strlen(m->cancel_reason) < sizeof(m->cancel_reason));
	for (size_t i = 0; i < m->n; i++) {
		check_kv(&m->events[i].kv);
		CHECK(m->events[i].kv.mod_revision > 0);
		CHECK(m->events[i].type == ETCD_EVENT_PUT || m->events[i].type == ETCD_EVENT_DELETE);
	}
}

#define MAX_MSGS 256

struct seen {
	char *msg[MAX_MSGS]; /* compact dumps of the objects, NULL for a bad line */
	size_t n;
};

static void take(struct etcd_stream *st, bool at_end, struct seen *out)
{
	json_t *o;
	int rc;

	while ((rc = etcd_stream_next(st, at_end, &o)) != 0) {
		struct etcd_watch_msg m;

		if (out->n == MAX_MSGS) {
			if (rc > 0)
				json_decref(o);
			continue;
		}
		if (rc < 0) {
			out->msg[out->n++] = NULL;
			continue;
		}
		CHECK(json_is_object(o));
		if (etcd_msg_watch_from_json(o, &m) == 0) {
			check_watch(&m);
			etcd_msg_watch_free(&m);
		}
		out->msg[out->n++] = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(o);
	}
}

/* Split s into messages twice (whole, then in chunks of chunk bytes, taking
 * messages as they complete as the client does) and compare what comes out. */
static void fuzz_stream(const char *s, size_t n, size_t chunk)
{
	struct etcd_stream a, b;
	struct seen sa = {0}, sb = {0};
	int ra, rb = 0;

	etcd_stream_init(&a, 4096);
	etcd_stream_init(&b, 4096);
	ra = etcd_stream_feed(&a, s, n);
	if (ra == 0)
		take(&a, true, &sa);
	for (size_t off = 0; off < n && rb == 0; off += chunk) {
		size_t k = n - off < chunk ? n - off : chunk;

		rb = etcd_stream_feed(&b, s + off, k);
		CHECK(rb == 0 || rb == -EMSGSIZE);
		if (rb == 0)
			take(&b, false, &sb);
	}
	if (rb == 0)
		take(&b, true, &sb);
	/* An unfinished tail that is too long at the end is refused by both. */
	CHECK(ra == 0 || rb != 0);
	if (ra == 0 && rb == 0) {
		CHECK(sa.n == sb.n);
		for (size_t i = 0; i < sa.n; i++)
			CHECK((sa.msg[i] == NULL) == (sb.msg[i] == NULL) &&
			      (!sa.msg[i] || strcmp(sa.msg[i], sb.msg[i]) == 0));
	}
	for (size_t i = 0; i < sa.n; i++)
		free(sa.msg[i]);
	for (size_t i = 0; i < sb.n; i++)
		free(sb.msg[i]);
	etcd_stream_free(&a);
	etcd_stream_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct etcd_lease_resp l;
	struct etcd_error e;
	struct etcd_watch_msg m;
	char *copy;
	size_t n, chunk;

	if (size < 2 || size > (1u << 16))
		return 0;
	n = size - 2;
	chunk = (size_t)data[1] + 1;
	copy = malloc(n ? n : 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 2, n);
	switch (data[0] % 8) {
	case 0:
		fuzz_kv_resp(copy, n);
		break;
	case 1:
		if (etcd_msg_parse_error(copy, n, &e) == 0)
			CHECK(strlen(e.message) < sizeof(e.message) && e.code >= 0);
		break;
	case 2:
		if (etcd_msg_parse_lease(copy, n, &l) == 0)
			CHECK(l.id >= 0 && l.ttl >= 0 && strlen(l.error) < sizeof(l.error));
		break;
	case 3: {
		int rc = etcd_msg_parse_keepalive(copy, n, &l, &e);

		CHECK(rc == 0 || rc == -EBADMSG || rc == -EREMOTEIO || rc == -ENOMEM);
		if (rc == 0)
			CHECK(l.id >= 0 && l.ttl >= 0);
		break;
	}
	case 4:
		if (etcd_msg_parse_watch(copy, n, &m) == 0) {
			check_watch(&m);
			etcd_msg_watch_free(&m);
		}
		break;
	case 5:
	case 6:
		fuzz_stream(copy, n, chunk);
		break;
	case 7: {
		char *out, *enc, *out2;
		size_t len, len2;

		if (etcd_b64_decode(copy, n, &out, &len) == 0) {
			CHECK(out[len] == '\0' && len <= n / 4 * 3);
			enc = etcd_b64_encode(out, len);
			CHECK(enc != NULL);
			CHECK(etcd_b64_decode(enc, strlen(enc), &out2, &len2) == 0);
			CHECK(len2 == len && memcmp(out, out2, len) == 0);
			free(out2);
			free(enc);
			free(out);
		}
		break;
	}
	}
	free(copy);
	return 0;
}
