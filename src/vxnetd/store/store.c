/* store: picks an implementation by the URL's scheme and forwards every call
 * through its ops table, so the daemon never names etcd. */
#include <errno.h>
#include <string.h>

#include "store.h"

static const struct store_ops *const impls[] = {&store_etcd_ops};

int store_open(const struct store_config *cfg, struct store **out, const char **why)
{
	const char *sep;

	if (!cfg || !cfg->url || !out) {
		if (why)
			*why = "no store URL";
		return -EINVAL;
	}
	sep = strstr(cfg->url, "://");
	if (!sep) {
		if (why)
			*why = "store URL has no scheme (etcd://HOST:PORT[,HOST:PORT...])";
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(impls) / sizeof(impls[0]); i++) {
		size_t n = strlen(impls[i]->scheme);

		if ((size_t)(sep - cfg->url) == n && memcmp(cfg->url, impls[i]->scheme, n) == 0)
			return impls[i]->open(cfg, out, why);
	}
	if (why)
		*why = "unknown store scheme (only etcd:// is supported)";
	return -EPROTONOSUPPORT;
}

void store_close(struct store *s)
{
	if (s)
		s->ops->close(s);
}

int store_fd(const struct store *s)
{
	return s->ops->fd(s);
}

int store_dispatch(struct store *s)
{
	return s->ops->dispatch(s);
}

const char *store_last_error(const struct store *s)
{
	return s->ops->last_error(s);
}

void store_get_stats(const struct store *s, struct store_stats *st)
{
	s->ops->get_stats(s, st);
}

int store_list(struct store *s, const char *prefix, store_list_cb cb, void *arg)
{
	if (!prefix || !*prefix || !cb)
		return -EINVAL;
	return s->ops->range(s, prefix, true, cb, arg);
}

int store_get(struct store *s, const char *key, store_list_cb cb, void *arg)
{
	if (!key || !*key || !cb)
		return -EINVAL;
	return s->ops->range(s, key, false, cb, arg);
}

int store_put(struct store *s, const char *key, const void *value, size_t len, int64_t lease, store_done_cb cb,
	      void *arg)
{
	if (!key || !*key || (!value && len) || lease < 0 || !cb)
		return -EINVAL;
	return s->ops->put(s, key, value, len, lease, cb, arg);
}

int store_delete(struct store *s, const char *key, bool prefix, store_done_cb cb, void *arg)
{
	if (!key || !*key || !cb)
		return -EINVAL;
	return s->ops->del(s, key, prefix, cb, arg);
}

int store_put_if_absent(struct store *s, const char *key, const void *value, size_t len, int64_t lease, store_txn_cb cb,
			void *arg)
{
	if (!key || !*key || (!value && len) || lease < 0 || !cb)
		return -EINVAL;
	return s->ops->put_if_absent(s, key, value, len, lease, cb, arg);
}

int store_delete_if(struct store *s, const char *key, int64_t mod_revision, store_txn_cb cb, void *arg)
{
	if (!key || !*key || mod_revision <= 0 || !cb)
		return -EINVAL;
	return s->ops->delete_if(s, key, mod_revision, cb, arg);
}

int store_delete_if_none(struct store *s, const char *key, const char *guard_prefix, store_txn_cb cb, void *arg)
{
	if (!key || !*key || !guard_prefix || !*guard_prefix || !cb)
		return -EINVAL;
	return s->ops->delete_if_none(s, key, guard_prefix, cb, arg);
}

int store_lease_grant(struct store *s, int64_t ttl, store_lease_cb cb, void *arg)
{
	if (ttl < 1 || !cb)
		return -EINVAL;
	return s->ops->lease_grant(s, ttl, cb, arg);
}

int store_lease_keepalive(struct store *s, int64_t lease, store_lease_cb cb, void *arg)
{
	if (lease <= 0 || !cb)
		return -EINVAL;
	return s->ops->lease_keepalive(s, lease, cb, arg);
}

int store_lease_revoke(struct store *s, int64_t lease, store_lease_cb cb, void *arg)
{
	if (lease <= 0 || !cb)
		return -EINVAL;
	return s->ops->lease_revoke(s, lease, cb, arg);
}

int store_lease_forget(struct store *s, int64_t lease)
{
	return s->ops->lease_forget(s, lease);
}

int store_lease_keep(struct store *s, int64_t lease, int64_t ttl)
{
	if (lease <= 0 || ttl <= 0)
		return -EINVAL;
	return s->ops->lease_keep(s, lease, ttl);
}

int store_watch(struct store *s, const char *prefix, int64_t start_revision, store_watch_cb cb, void *arg,
		struct store_watch **out)
{
	if (!prefix || !*prefix || start_revision < 0 || !cb || !out)
		return -EINVAL;
	return s->ops->watch(s, prefix, start_revision, cb, arg, out);
}

void store_watch_cancel(struct store_watch *w)
{
	if (w)
		w->store->ops->watch_cancel(w);
}
