/* Unit tests for src/vxnetd/store/etcd_msg.c: answers captured from etcd
 * 3.4's gateway parse into the right fields (int64 strings, omitted zero
 * values, base64 keys), malformed ones are refused, the stream splitter
 * finds every message whatever the chunking, and the request bodies say what
 * etcd expects. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "etcd_msg.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define HDR                                                                                                            \
	"\"header\":{\"cluster_id\":\"9363468573313650590\",\"member_id\":\"10200156134130816728\",\"revision\":"      \
	"\"5\",\"raft_term\":\"2\"}"

static void test_base64_round_trips_and_decodes_strictly(void **state)
{
	static const struct {
		const char *plain, *b64;
	} t[] = {
	    {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"/vxnet/a", "L3Z4bmV0L2E="},
	};
	static const char *const bad[] = {"Zg=",   "Zg",    "Z===", "Zg=a", "Z=g=", "Zm9v\n",
					  " Zm9v", "Zm9v ", "Zm-v", "Zm_v", "====", "Zm9v====x"};
	char *out, *enc;
	size_t len;

	(void)state;
	for (size_t i = 0; i < N(t); i++) {
		enc = etcd_b64_encode(t[i].plain, strlen(t[i].plain));
		assert_non_null(enc);
		assert_string_equal(enc, t[i].b64);
		free(enc);
		assert_int_equal(etcd_b64_decode(t[i].b64, strlen(t[i].b64), &out, &len), 0);
		assert_int_equal(len, strlen(t[i].plain));
		assert_memory_equal(out, t[i].plain, len);
		assert_int_equal(out[len], '\0');
		free(out);
	}
	for (size_t i = 0; i < N(bad); i++)
		if (etcd_b64_decode(bad[i], strlen(bad[i]), &out, &len) != -EBADMSG)
			fail_msg("accepted \"%s\"", bad[i]);
	/* Binary bytes, including NUL and 0xff, survive. */
	{
		const char bin[] = {0, (char)0xff, 'a', 0, (char)0x80};

		enc = etcd_b64_encode(bin, sizeof(bin));
		assert_int_equal(etcd_b64_decode(enc, strlen(enc), &out, &len), 0);
		assert_int_equal(len, sizeof(bin));
		assert_memory_equal(out, bin, sizeof(bin));
		free(out);
		free(enc);
	}
}

static void test_prefix_end_increments_the_last_byte_below_0xff(void **state)
{
	char *end;
	size_t len;

	(void)state;
	assert_int_equal(etcd_prefix_end("/vxnet/", 7, &end, &len), 0);
	assert_int_equal(len, 7);
	assert_memory_equal(end, "/vxnet0", 7);
	free(end);
	assert_int_equal(etcd_prefix_end("a\xff\xff", 3, &end, &len), 0);
	assert_int_equal(len, 1);
	assert_memory_equal(end, "b", 1);
	free(end);
	assert_int_equal(etcd_prefix_end("\xff\xff", 2, &end, &len), 0);
	assert_int_equal(len, 1);
	assert_int_equal(end[0], '\0');
	free(end);
}

static void test_range_answer_parses_kvs_and_int64_strings(void **state)
{
	const char *body =
	    "{" HDR ",\"kvs\":[{\"key\":\"L3Z4bmV0L2E=\",\"create_revision\":\"2\",\"mod_revision\":\"4\","
	    "\"version\":\"3\",\"value\":\"MQ==\",\"lease\":\"7587876543210123456\"},"
	    "{\"key\":\"L3Z4bmV0L2I=\",\"create_revision\":\"9223372036854775807\",\"mod_revision\":\"5\","
	    "\"version\":\"1\"}],\"count\":\"2\",\"more\":true}";
	struct etcd_kv_resp r;

	(void)state;
	assert_int_equal(etcd_msg_parse_kv_resp(body, strlen(body), &r), 0);
	assert_int_equal(r.hdr.revision, 5);
	assert_true(r.hdr.cluster_id == UINT64_C(9363468573313650590));
	assert_true(r.hdr.member_id == UINT64_C(10200156134130816728));
	assert_int_equal(r.n, 2);
	assert_int_equal(r.count, 2);
	assert_true(r.more);
	assert_string_equal(r.kvs[0].key, "/vxnet/a");
	assert_int_equal(r.kvs[0].key_len, 8);
	assert_string_equal(r.kvs[0].value, "1");
	assert_int_equal(r.kvs[0].create_revision, 2);
	assert_int_equal(r.kvs[0].mod_revision, 4);
	assert_int_equal(r.kvs[0].version, 3);
	assert_true(r.kvs[0].lease == INT64_C(7587876543210123456));
	/* An omitted value is the empty value; an omitted lease is 0. */
	assert_string_equal(r.kvs[1].value, "");
	assert_int_equal(r.kvs[1].value_len, 0);
	assert_int_equal(r.kvs[1].lease, 0);
	assert_true(r.kvs[1].create_revision == INT64_MAX);
	etcd_msg_kv_resp_free(&r);

	/* No key: the gateway omits kvs and count altogether. */
	body = "{" HDR "}";
	assert_int_equal(etcd_msg_parse_kv_resp(body, strlen(body), &r), 0);
	assert_int_equal(r.n, 0);
	assert_null(r.kvs);
	assert_int_equal(r.count, 0);
	assert_false(r.succeeded);
	etcd_msg_kv_resp_free(&r);

	body = "{" HDR ",\"deleted\":\"3\"}";
	assert_int_equal(etcd_msg_parse_kv_resp(body, strlen(body), &r), 0);
	assert_int_equal(r.count, 3);
	etcd_msg_kv_resp_free(&r);
}

static void test_txn_answers_say_succeeded_and_carry_the_existing_key(void **state)
{
	const char *ok =
	    "{" HDR ",\"succeeded\":true,\"responses\":[{\"response_put\":{\"header\":{\"revision\":\"5\"}}}]}";
	const char *refused =
	    "{" HDR ",\"responses\":[{\"response_range\":{\"header\":{\"revision\":\"4\"},\"kvs\":[{"
	    "\"key\":\"L3Z4bmV0L2I=\",\"create_revision\":\"3\",\"mod_revision\":\"3\",\"version\":\"1\","
	    "\"value\":\"Mg==\"}],\"count\":\"1\"}}]}";
	struct etcd_kv_resp r;

	(void)state;
	assert_int_equal(etcd_msg_parse_kv_resp(ok, strlen(ok), &r), 0);
	assert_true(r.succeeded);
	assert_int_equal(r.n, 0);
	etcd_msg_kv_resp_free(&r);
	assert_int_equal(etcd_msg_parse_kv_resp(refused, strlen(refused), &r), 0);
	assert_false(r.succeeded);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.kvs[0].key, "/vxnet/b");
	assert_string_equal(r.kvs[0].value, "2");
	assert_int_equal(r.kvs[0].create_revision, 3);
	etcd_msg_kv_resp_free(&r);
	/* delete_if_none: the deleted count on success, the guard's count (no kvs) when refused. */
	ok = "{" HDR
	     ",\"succeeded\":true,\"responses\":[{\"response_delete_range\":{\"header\":{},\"deleted\":\"1\"}}]}";
	assert_int_equal(etcd_msg_parse_kv_resp(ok, strlen(ok), &r), 0);
	assert_true(r.succeeded);
	assert_int_equal(r.count, 1);
	etcd_msg_kv_resp_free(&r);
	refused = "{" HDR ",\"responses\":[{\"response_range\":{\"header\":{},\"count\":\"3\"}}]}";
	assert_int_equal(etcd_msg_parse_kv_resp(refused, strlen(refused), &r), 0);
	assert_false(r.succeeded);
	assert_int_equal(r.count, 3);
	assert_int_equal(r.n, 0);
	etcd_msg_kv_resp_free(&r);
}

static void test_kv_answers_refuse_malformed_fields(void **state)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{\"header\":[]}",
	    "{\"header\":{\"revision\":5.5}}",
	    "{\"header\":{\"revision\":\"5x\"}}",
	    "{\"header\":{\"revision\":\"\"}}",
	    "{\"header\":{\"revision\":\"-1\"}}",
	    "{\"header\":{\"revision\":\"99999999999999999999\"}}",
	    "{\"header\":{\"cluster_id\":\"-5\"}}",
	    "{\"header\":{\"revision\":\" 5\"}}",
	    "{\"kvs\":{}}",
	    "{\"kvs\":[1]}",
	    "{\"kvs\":[{}]}",
	    "{\"kvs\":[{\"key\":\"\"}]}",
	    "{\"kvs\":[{\"key\":\"!!!!\"}]}",
	    "{\"kvs\":[{\"key\":\"YQ==\",\"value\":\"Y\"}]}",
	    "{\"kvs\":[{\"key\":\"YQ==\",\"value\":7}]}",
	    "{\"kvs\":[{\"key\":\"YQ==\",\"mod_revision\":\"-3\"}]}",
	    "{\"kvs\":[{\"key\":\"YQ==\",\"lease\":true}]}",
	    "{\"kvs\":[{\"key\":\"YQ==\"},{\"key\":5}]}",
	    "{\"count\":\"x\"}",
	    "{\"more\":\"true\"}",
	    "{\"succeeded\":1}",
	    "{\"responses\":{}}",
	    "{\"responses\":[1]}",
	    "{\"responses\":[{\"response_range\":[]}]}",
	    "{\"responses\":[{\"response_range\":{\"kvs\":[{\"key\":1}]}}]}",
	    "{\"responses\":[{\"response_range\":{\"count\":\"-1\"}}]}",
	    "{\"responses\":[{\"response_delete_range\":{\"deleted\":[]}}]}",
	    "{\"responses\":[{\"response_delete_range\":7}]}",
	};
	struct etcd_kv_resp r;

	(void)state;
	for (size_t i = 0; i < N(bad); i++)
		if (etcd_msg_parse_kv_resp(bad[i], strlen(bad[i]), &r) != -EBADMSG)
			fail_msg("accepted %s", bad[i]);
}

static void test_errors_parse_in_unary_and_stream_forms(void **state)
{
	const char *unary = "{\"error\":\"etcdserver: requested lease not found\",\"message\":\"etcdserver: requested "
			    "lease not found\",\"code\":5}";
	const char *stream = "{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"etcdserver: no leader\","
			     "\"http_status\":\"Service Unavailable\"}}";
	struct etcd_error e;

	(void)state;
	assert_int_equal(etcd_msg_parse_error(unary, strlen(unary), &e), 0);
	assert_int_equal(e.code, 5);
	assert_string_equal(e.message, "etcdserver: requested lease not found");
	assert_int_equal(etcd_msg_parse_error(stream, strlen(stream), &e), 0);
	assert_int_equal(e.code, 14);
	assert_int_equal(e.http_code, 503);
	assert_string_equal(e.message, "etcdserver: no leader");
	assert_int_equal(etcd_msg_parse_error("{" HDR "}", strlen("{" HDR "}"), &e), -EBADMSG);
	assert_int_equal(etcd_msg_parse_error("{\"error\":1}", 11, &e), -EBADMSG);
	assert_int_equal(etcd_msg_parse_error("{\"error\":\"x\",\"code\":\"5\"}", 24, &e), -EBADMSG);
	assert_int_equal(etcd_msg_parse_error("not json", 8, &e), -EBADMSG);
	/* A long message is truncated, still terminated. */
	{
		char buf[1200];
		int n = snprintf(buf, sizeof(buf), "{\"error\":\"%0900d\",\"code\":2}", 0);

		assert_int_equal(etcd_msg_parse_error(buf, (size_t)n, &e), 0);
		assert_int_equal(strlen(e.message), sizeof(e.message) - 1);
	}
}

static void test_lease_answers_grant_keepalive_and_loss(void **state)
{
	const char *grant = "{" HDR ",\"ID\":\"1646243999960142344\",\"TTL\":\"5\"}";
	const char *alive = "{\"result\":{" HDR ",\"ID\":\"1646243999960142344\",\"TTL\":\"5\"}}\n";
	const char *lost = "{\"result\":{" HDR ",\"ID\":\"12345\"}}";
	const char *err = "{\"error\":{\"grpc_code\":14,\"message\":\"etcdserver: no leader\"}}";
	struct etcd_lease_resp l;
	struct etcd_error e;

	(void)state;
	assert_int_equal(etcd_msg_parse_lease(grant, strlen(grant), &l), 0);
	assert_true(l.id == INT64_C(1646243999960142344));
	assert_int_equal(l.ttl, 5);
	assert_string_equal(l.error, "");
	assert_int_equal(etcd_msg_parse_keepalive(alive, strlen(alive), &l, &e), 0);
	assert_int_equal(l.ttl, 5);
	assert_int_equal(etcd_msg_parse_keepalive(lost, strlen(lost), &l, &e), 0);
	assert_int_equal(l.id, 12345);
	assert_int_equal(l.ttl, 0);
	assert_int_equal(etcd_msg_parse_keepalive(err, strlen(err), &l, &e), -EREMOTEIO);
	assert_int_equal(e.code, 14);
	assert_int_equal(etcd_msg_parse_keepalive(grant, strlen(grant), &l, &e), -EBADMSG); /* not wrapped */
	assert_int_equal(etcd_msg_parse_lease("{\"ID\":\"-3\"}", 11, &l), -EBADMSG);
	assert_int_equal(etcd_msg_parse_lease("{\"TTL\":[]}", 10, &l), -EBADMSG);
	assert_int_equal(etcd_msg_parse_lease("{\"TTL\":\"-1\"}", 12, &l), 0);
	assert_int_equal(l.ttl, 0);
	assert_int_equal(etcd_msg_parse_lease("{\"error\":\"etcdserver: too many\"}", 32, &l), 0);
	assert_string_equal(l.error, "etcdserver: too many");
}

static void test_watch_messages_created_events_compaction_progress(void **state)
{
	const char *created = "{\"result\":{" HDR ",\"created\":true}}";
	const char *events =
	    "{\"result\":{" HDR ",\"events\":[{\"kv\":{\"key\":\"L3Z4bmV0L2M=\",\"create_revision\":\"5\","
	    "\"mod_revision\":\"5\",\"version\":\"1\",\"value\":\"Mw==\"}},{\"type\":\"DELETE\",\"kv\":{"
	    "\"key\":\"L3Z4bmV0L2E=\",\"mod_revision\":\"5\"}}]}}";
	const char *compacted = "{\"result\":{\"header\":{\"cluster_id\":\"1\",\"raft_term\":\"2\"},\"canceled\":true,"
				"\"compact_revision\":\"4\"}}";
	const char *progress = "{\"result\":{" HDR "}}";
	const char *canceled =
	    "{\"result\":{" HDR ",\"watch_id\":\"3\",\"canceled\":true,\"cancel_reason\":\"etcdserver: "
	    "no leader\"}}";
	struct etcd_watch_msg m;

	(void)state;
	assert_int_equal(etcd_msg_parse_watch(created, strlen(created), &m), 0);
	assert_true(m.created);
	assert_false(m.canceled);
	assert_int_equal(m.hdr.revision, 5);
	assert_int_equal(m.n, 0);
	etcd_msg_watch_free(&m);

	assert_int_equal(etcd_msg_parse_watch(events, strlen(events), &m), 0);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.events[0].type, ETCD_EVENT_PUT);
	assert_string_equal(m.events[0].kv.key, "/vxnet/c");
	assert_string_equal(m.events[0].kv.value, "3");
	assert_int_equal(m.events[1].type, ETCD_EVENT_DELETE);
	assert_string_equal(m.events[1].kv.key, "/vxnet/a");
	assert_int_equal(m.events[1].kv.mod_revision, 5);
	assert_int_equal(m.events[1].kv.create_revision, 0);
	etcd_msg_watch_free(&m);

	assert_int_equal(etcd_msg_parse_watch(compacted, strlen(compacted), &m), 0);
	assert_true(m.canceled);
	assert_int_equal(m.compact_revision, 4);
	assert_int_equal(m.hdr.revision, 0);
	etcd_msg_watch_free(&m);

	assert_int_equal(etcd_msg_parse_watch(progress, strlen(progress), &m), 0);
	assert_false(m.created || m.canceled);
	assert_int_equal(m.n, 0);
	etcd_msg_watch_free(&m);

	assert_int_equal(etcd_msg_parse_watch(canceled, strlen(canceled), &m), 0);
	assert_true(m.canceled);
	assert_int_equal(m.watch_id, 3);
	assert_string_equal(m.cancel_reason, "etcdserver: no leader");
	etcd_msg_watch_free(&m);

	assert_int_equal(etcd_msg_parse_watch("{\"error\":{\"grpc_code\":3,\"message\":\"bad\"}}", 41, &m), 0);
	assert_true(m.is_error);
	assert_int_equal(m.err.code, 3);
	etcd_msg_watch_free(&m);
}

static void test_watch_messages_refuse_malformed_events(void **state)
{
	static const char *const bad[] = {
	    "{}",
	    "{\"result\":[]}",
	    "{\"result\":{\"events\":{}}}",
	    "{\"result\":{\"events\":[1]}}",
	    "{\"result\":{\"events\":[{}]}}",
	    "{\"result\":{\"events\":[{\"type\":\"PATCH\",\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"2\"}}]}}",
	    "{\"result\":{\"events\":[{\"type\":2,\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"2\"}}]}}",
	    "{\"result\":{\"events\":[{\"kv\":{\"key\":\"YQ==\"}}]}}",
	    "{\"result\":{\"events\":[{\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"2\"}},{\"kv\":{\"key\":\"Y\"}}]}}",
	    "{\"result\":{\"created\":\"yes\"}}",
	    "{\"result\":{\"compact_revision\":\"-1\"}}",
	    "{\"result\":{\"cancel_reason\":5}}",
	    "{\"error\":[]}",
	};
	struct etcd_watch_msg m;

	(void)state;
	for (size_t i = 0; i < N(bad); i++)
		if (etcd_msg_parse_watch(bad[i], strlen(bad[i]), &m) != -EBADMSG)
			fail_msg("accepted %s", bad[i]);
}

/* Feed text in chunks of every size from 1 to its length; the same messages
 * must come out each time. */
static void test_stream_splitter_is_independent_of_chunking(void **state)
{
	const char *text =
	    "{\"result\":{\"created\":true}}\n\n  \r\n{\"result\":{\"a\":\"x\\ny\"}}\n{\"b\":[1,\n2]}\n{\"c\":3}";
	/* Messages: created, a (escaped newline stays inside), then a line that
	 * is not JSON ("{\"b\":[1,"), a bad line ("2]}"), and c without newline. */
	size_t len = strlen(text);

	(void)state;
	for (size_t chunk = 1; chunk <= len; chunk++) {
		struct etcd_stream st;
		int got = 0, bad = 0;
		json_t *o;
		int rc;

		etcd_stream_init(&st, 0);
		for (size_t off = 0; off < len; off += chunk) {
			size_t n = len - off < chunk ? len - off : chunk;

			assert_int_equal(etcd_stream_feed(&st, text + off, n), 0);
			while ((rc = etcd_stream_next(&st, false, &o)) != 0) {
				if (rc < 0) {
					bad++;
					continue;
				}
				got++;
				if (got == 1)
					assert_true(
					    json_is_true(json_object_get(json_object_get(o, "result"), "created")));
				if (got == 2)
					assert_string_equal(
					    json_string_value(json_object_get(json_object_get(o, "result"), "a")),
					    "x\ny");
				json_decref(o);
			}
		}
		assert_int_equal(got, 2);
		assert_int_equal(bad, 2);
		/* The last message has no newline: only the end of the stream completes it. */
		assert_int_equal(etcd_stream_next(&st, true, &o), 1);
		assert_int_equal(json_integer_value(json_object_get(o, "c")), 3);
		json_decref(o);
		assert_int_equal(etcd_stream_next(&st, true, &o), 0);
		etcd_stream_free(&st);
	}
}

static void test_stream_splitter_bounds_the_unfinished_message(void **state)
{
	struct etcd_stream st;
	json_t *o;

	(void)state;
	etcd_stream_init(&st, 16);
	assert_int_equal(etcd_stream_feed(&st, "{\"a\":1}\n{\"bb\":22", 16), 0);
	assert_int_equal(etcd_stream_feed(&st, "2222222", 7), 0);    /* tail is 15 */
	assert_int_equal(etcd_stream_feed(&st, "22", 2), -EMSGSIZE); /* 17 */
	assert_int_equal(etcd_stream_next(&st, false, &o), 1);
	json_decref(o);
	assert_int_equal(etcd_stream_feed(&st, "}\n", 2), 0);
	/* A complete line longer than max (here 16 bytes) is dropped as bad. */
	assert_int_equal(etcd_stream_next(&st, false, &o), 1); /* {"bb":222222222} is exactly 16 */
	json_decref(o);
	assert_int_equal(etcd_stream_feed(&st, "{\"ccc\":333333333}\n", 18), 0);
	assert_int_equal(etcd_stream_next(&st, false, &o), -EBADMSG);
	assert_int_equal(etcd_stream_next(&st, false, &o), 0);
	assert_int_equal(etcd_stream_next(&st, false, &o), 0);
	/* A scalar line is not a message. */
	assert_int_equal(etcd_stream_feed(&st, "42\n", 3), 0);
	assert_int_equal(etcd_stream_next(&st, false, &o), -EBADMSG);
	etcd_stream_free(&st);
}

static json_t *load(const char *s)
{
	json_t *o = json_loads(s, 0, NULL);

	assert_non_null(o);
	return o;
}

static void test_requests_carry_base64_keys_int64_strings_and_prefix_ends(void **state)
{
	char *s;
	json_t *o, *x;

	(void)state;
	s = etcd_msg_range_req("/vxnet/", 7, true);
	o = load(s);
	assert_string_equal(json_string_value(json_object_get(o, "key")), "L3Z4bmV0Lw==");
	assert_string_equal(json_string_value(json_object_get(o, "range_end")), "L3Z4bmV0MA=="); /* "/vxnet0" */
	json_decref(o);
	free(s);
	s = etcd_msg_range_req("/vxnet/a", 8, false);
	o = load(s);
	assert_null(json_object_get(o, "range_end"));
	json_decref(o);
	free(s);

	s = etcd_msg_put_req("/vxnet/a", 8, "1", 1, INT64_C(7587876543210123456));
	o = load(s);
	assert_string_equal(json_string_value(json_object_get(o, "value")), "MQ==");
	assert_string_equal(json_string_value(json_object_get(o, "lease")), "7587876543210123456");
	json_decref(o);
	free(s);
	s = etcd_msg_put_req("/vxnet/a", 8, NULL, 0, 0);
	o = load(s);
	assert_string_equal(json_string_value(json_object_get(o, "value")), "");
	assert_null(json_object_get(o, "lease"));
	json_decref(o);
	free(s);

	s = etcd_msg_put_if_absent_req("/vxnet/a", 8, "1", 1, 9);
	o = load(s);
	x = json_array_get(json_object_get(o, "compare"), 0);
	assert_string_equal(json_string_value(json_object_get(x, "target")), "CREATE");
	assert_string_equal(json_string_value(json_object_get(x, "result")), "EQUAL");
	assert_string_equal(json_string_value(json_object_get(x, "create_revision")), "0");
	assert_string_equal(json_string_value(json_object_get(x, "key")), "L3Z4bmV0L2E=");
	x = json_object_get(json_array_get(json_object_get(o, "success"), 0), "request_put");
	assert_string_equal(json_string_value(json_object_get(x, "lease")), "9");
	x = json_object_get(json_array_get(json_object_get(o, "failure"), 0), "request_range");
	assert_string_equal(json_string_value(json_object_get(x, "key")), "L3Z4bmV0L2E=");
	json_decref(o);
	free(s);

	s = etcd_msg_delete_if_req("/vxnet/a", 8, INT64_C(4294967297));
	o = load(s);
	x = json_array_get(json_object_get(o, "compare"), 0);
	assert_string_equal(json_string_value(json_object_get(x, "target")), "MOD");
	assert_string_equal(json_string_value(json_object_get(x, "mod_revision")), "4294967297");
	assert_non_null(json_object_get(json_array_get(json_object_get(o, "success"), 0), "request_delete_range"));
	json_decref(o);
	free(s);

	s = etcd_msg_delete_if_none_req("/vxnet/networks/blue", 20, "/vxnet/endpoints/blue/", 22);
	o = load(s);
	x = json_array_get(json_object_get(o, "compare"), 0);
	assert_string_equal(json_string_value(json_object_get(x, "target")), "CREATE");
	assert_string_equal(json_string_value(json_object_get(x, "create_revision")), "0");
	assert_string_equal(json_string_value(json_object_get(x, "key")), "L3Z4bmV0L2VuZHBvaW50cy9ibHVlLw==");
	assert_string_equal(json_string_value(json_object_get(x, "range_end")), "L3Z4bmV0L2VuZHBvaW50cy9ibHVlMA==");
	x = json_object_get(json_array_get(json_object_get(o, "success"), 0), "request_delete_range");
	assert_string_equal(json_string_value(json_object_get(x, "key")), "L3Z4bmV0L25ldHdvcmtzL2JsdWU=");
	assert_null(json_object_get(x, "range_end"));
	x = json_object_get(json_array_get(json_object_get(o, "failure"), 0), "request_range");
	assert_true(json_is_true(json_object_get(x, "count_only")));
	assert_string_equal(json_string_value(json_object_get(x, "range_end")), "L3Z4bmV0L2VuZHBvaW50cy9ibHVlMA==");
	json_decref(o);
	free(s);

	s = etcd_msg_delete_req("/vxnet/", 7, true);
	o = load(s);
	assert_string_equal(json_string_value(json_object_get(o, "range_end")), "L3Z4bmV0MA==");
	json_decref(o);
	free(s);

	s = etcd_msg_lease_grant_req(10);
	assert_string_equal(s, "{\"TTL\":\"10\"}");
	free(s);
	s = etcd_msg_lease_id_req(INT64_C(1646243999960142344));
	assert_string_equal(s, "{\"ID\":\"1646243999960142344\"}");
	free(s);

	s = etcd_msg_watch_req("/vxnet/", 7, 42);
	o = load(s);
	x = json_object_get(o, "create_request");
	assert_string_equal(json_string_value(json_object_get(x, "start_revision")), "42");
	assert_string_equal(json_string_value(json_object_get(x, "range_end")), "L3Z4bmV0MA==");
	assert_true(json_is_true(json_object_get(x, "progress_notify")));
	json_decref(o);
	free(s);
	s = etcd_msg_watch_req("/vxnet/", 7, 0);
	o = load(s);
	assert_null(json_object_get(json_object_get(o, "create_request"), "start_revision"));
	json_decref(o);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base64_round_trips_and_decodes_strictly),
	    cmocka_unit_test(test_prefix_end_increments_the_last_byte_below_0xff),
	    cmocka_unit_test(test_range_answer_parses_kvs_and_int64_strings),
	    cmocka_unit_test(test_txn_answers_say_succeeded_and_carry_the_existing_key),
	    cmocka_unit_test(test_kv_answers_refuse_malformed_fields),
	    cmocka_unit_test(test_errors_parse_in_unary_and_stream_forms),
	    cmocka_unit_test(test_lease_answers_grant_keepalive_and_loss),
	    cmocka_unit_test(test_watch_messages_created_events_compaction_progress),
	    cmocka_unit_test(test_watch_messages_refuse_malformed_events),
	    cmocka_unit_test(test_stream_splitter_is_independent_of_chunking),
	    cmocka_unit_test(test_stream_splitter_bounds_the_unfinished_message),
	    cmocka_unit_test(test_requests_carry_base64_keys_int64_strings_and_prefix_ends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
