/* etcd_msg: the messages of etcd's v3 HTTP/JSON gateway (grpc-gateway, etcd
 * 3.4), built and parsed without any I/O, so that everything etcd (or a
 * man in the middle) can send us is fuzzed apart from the curl plumbing.
 *
 * What the gateway does that these functions absorb: keys and values are
 * base64 (standard alphabet, padded); int64/uint64 fields are JSON strings
 * ("revision":"42"); fields holding zero, false or empty are omitted; unary
 * errors are {"error":"..","message":"..","code":N} with an HTTP status;
 * streamed answers (watch, lease keepalive) are one {"result":{..}} or
 * {"error":{..}} object per line. */
#ifndef VXNETD_ETCD_MSG_H
#define VXNETD_ETCD_MSG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETCD_MSG_MAX (64u << 20) /* a response or one stream message larger than this is refused */

struct etcd_header {
	uint64_t cluster_id;
	uint64_t member_id;
	int64_t revision;
	int64_t raft_term;
};

/* key and value are malloc'd and NUL-terminated (lengths exclude the NUL). */
struct etcd_kv {
	char *key;
	size_t key_len;
	char *value;
	size_t value_len;
	int64_t create_revision, mod_revision, version, lease;
};

/* Answer of /v3/kv/range, /v3/kv/put, /v3/kv/deleterange and /v3/kv/txn
 * (for a txn, kvs and count are those of the first response_range, or count
 * is the deleted count of the first response_delete_range). */
struct etcd_kv_resp {
	struct etcd_header hdr;
	struct etcd_kv *kvs;
	size_t n;
	int64_t count;	/* range: keys in range; deleterange: keys deleted */
	bool more;	/* range: more keys than returned */
	bool succeeded; /* txn */
};

/* Answer of /v3/lease/grant, /v3/lease/revoke and one keepalive result. */
struct etcd_lease_resp {
	struct etcd_header hdr;
	int64_t id;
	int64_t ttl;	 /* 0 in a keepalive answer: the lease does not exist */
	char error[256]; /* grant may carry an "error" text with a 200 status */
};

/* An error object: unary body, or the "error" of a stream message. */
struct etcd_error {
	int code;	   /* gRPC status code, 0 if absent */
	int http_code;	   /* stream errors carry it; 0 if absent */
	char message[256]; /* truncated, NUL-terminated */
};

enum etcd_event_type {
	ETCD_EVENT_PUT = 0, /* the gateway omits "type" for PUT (the zero value) */
	ETCD_EVENT_DELETE = 1,
};

struct etcd_event {
	enum etcd_event_type type;
	struct etcd_kv kv;
};

/* One message of the /v3/watch stream. */
struct etcd_watch_msg {
	bool is_error; /* {"error":{..}}: only err is set */
	struct etcd_error err;
	struct etcd_header hdr;
	int64_t watch_id;
	bool created;
	bool canceled;
	int64_t compact_revision;
	char cancel_reason[256];
	struct etcd_event *events;
	size_t n;
};

/* ---- parsing: 0, -EBADMSG (not what the protocol says), -ENOMEM ---- */

/* A unary error body. 0 with *out filled, -EBADMSG if it is not one. */
int etcd_msg_parse_error(const char *buf, size_t len, struct etcd_error *out);
/* A unary KV answer (range, put, deleterange, txn). Free with etcd_msg_kv_resp_free. */
int etcd_msg_parse_kv_resp(const char *buf, size_t len, struct etcd_kv_resp *out);
void etcd_msg_kv_resp_free(struct etcd_kv_resp *r);
/* Grant and revoke answers (unary). */
int etcd_msg_parse_lease(const char *buf, size_t len, struct etcd_lease_resp *out);
/* A keepalive answer: one stream message {"result":{..}}. An {"error":{..}}
 * message gives -EREMOTEIO with *err filled (err may be NULL). */
int etcd_msg_parse_keepalive(const char *buf, size_t len, struct etcd_lease_resp *out, struct etcd_error *err);
/* One watch stream message, already decoded as JSON. Free with etcd_msg_watch_free. */
int etcd_msg_watch_from_json(json_t *root, struct etcd_watch_msg *out);
int etcd_msg_parse_watch(const char *buf, size_t len, struct etcd_watch_msg *out);
void etcd_msg_watch_free(struct etcd_watch_msg *m);
void etcd_msg_kv_free(struct etcd_kv *kv);

/* ---- the stream splitter: bytes as curl hands them in, messages out ---- */

struct etcd_stream {
	char *buf;
	size_t len, cap;
	size_t scanned; /* bytes of buf already searched for a newline */
	size_t tail;	/* bytes after the last newline fed */
	size_t max;	/* longest message accepted (0 = ETCD_MSG_MAX) */
};

void etcd_stream_init(struct etcd_stream *st, size_t max);
void etcd_stream_free(struct etcd_stream *st);
/* Append len bytes. 0, -ENOMEM, -EMSGSIZE (an unfinished message is longer
 * than max: the stream is unusable). */
int etcd_stream_feed(struct etcd_stream *st, const void *data, size_t len);
/* Take the next complete message. 1 and *out (a JSON object, caller decrefs),
 * 0 if none is complete yet, -EBADMSG for a line that is not a JSON object
 * (that line is dropped). With at_end, a last message without its newline
 * counts as complete (the stream has ended). */
int etcd_stream_next(struct etcd_stream *st, bool at_end, json_t **out);

/* ---- building requests: a malloc'd JSON body, or NULL and errno ---- */

/* The range_end that makes [key, end) cover every key starting with key:
 * key with its last byte below 0xff incremented and the rest dropped; "\0"
 * (every key) if key is all 0xff. Writes *end (malloc'd) and *end_len. */
int etcd_prefix_end(const char *key, size_t len, char **end, size_t *end_len);
/* Standard padded base64 of len bytes; malloc'd, NUL-terminated. */
char *etcd_b64_encode(const void *data, size_t len);
/* Strict decode of padded base64 (length a multiple of 4, '=' only at the
 * end). 0 with a malloc'd NUL-terminated *out, -EBADMSG, -ENOMEM. */
int etcd_b64_decode(const char *s, size_t len, char **out, size_t *out_len);

char *etcd_msg_range_req(const char *key, size_t len, bool prefix);
char *etcd_msg_put_req(const char *key, size_t klen, const void *value, size_t vlen, int64_t lease);
char *etcd_msg_delete_req(const char *key, size_t len, bool prefix);
/* txn: if key's create_revision == 0 then put else range key. */
char *etcd_msg_put_if_absent_req(const char *key, size_t klen, const void *value, size_t vlen, int64_t lease);
/* txn: if key's mod_revision == mod_revision then delete else range key. */
char *etcd_msg_delete_if_req(const char *key, size_t klen, int64_t mod_revision);
/* txn: if no key starts with guard (compare create_revision == 0 over the
 * range, true for an empty range) then delete key else count guard's keys. */
char *etcd_msg_delete_if_none_req(const char *key, size_t klen, const char *guard, size_t glen);
char *etcd_msg_lease_grant_req(int64_t ttl);
/* Keepalive and revoke share the body {"ID":"N"}. */
char *etcd_msg_lease_id_req(int64_t id);
/* create_request for [key, prefix end) from start_revision (0 = now), with
 * progress notifications. */
char *etcd_msg_watch_req(const char *key, size_t len, int64_t start_revision);

#endif
