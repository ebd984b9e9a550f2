/* pmtu: learned path MTUs per remote VTEP (pmtu.h). */
#include "pmtu.h"

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct pmtu_entry *find(struct pmtu_cache *c, const struct vx_addr *ip)
{
	for (unsigned i = 0; i < c->n; i++)
		if (addr_equal(&c->e[i].ip, ip))
			return &c->e[i];
	return NULL;
}

void pmtu_init(struct pmtu_cache *c)
{
	pthread_mutex_init(&c->lock, NULL);
	atomic_init(&c->nonempty, false);
	c->n = 0;
}

void pmtu_destroy(struct pmtu_cache *c)
{
	pthread_mutex_destroy(&c->lock);
}

unsigned pmtu_get(struct pmtu_cache *c, const struct vx_addr *ip, uint64_t now)
{
	if (!atomic_load_explicit(&c->nonempty, memory_order_relaxed))
		return 0;
	pthread_mutex_lock(&c->lock);
	struct pmtu_entry *e = find(c, ip);
	unsigned mtu = e && e->expires > now ? e->mtu : 0;
	pthread_mutex_unlock(&c->lock);
	return mtu;
}

/* What the kernel's routing says the path to ip carries: a connected UDP
 * socket's IP_MTU sees the route's exception, if there is one. */
static unsigned kernel_path_mtu(const struct vx_addr *ip)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (addr_to_sockaddr(ip, 4789, &ss, &sl) < 0)
		return 0;
	int fd = socket(ip->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	int mtu = 0;
	socklen_t ml = sizeof(mtu);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    getsockopt(fd, ip->family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
		       ip->family == AF_INET6 ? IPV6_MTU : IP_MTU, &mtu, &ml) < 0)
		mtu = 0;
	close(fd);
	return mtu > 0 ? (unsigned)mtu : 0;
}

unsigned pmtu_learn(struct pmtu_cache *c, const struct vx_addr *ip, uint64_t now)
{
	unsigned mtu = kernel_path_mtu(ip);
	if (!mtu)
		return 0;
	pthread_mutex_lock(&c->lock);
	struct pmtu_entry *e = find(c, ip);
	if (!e) {
		if (c->n == PMTU_MAX) {
			/* Full: the one closest to expiry goes. */
			unsigned old = 0;
			for (unsigned i = 1; i < c->n; i++)
				if (c->e[i].expires < c->e[old].expires)
					old = i;
			e = &c->e[old];
		} else {
			e = &c->e[c->n++];
		}
		e->ip = *ip;
	}
	e->mtu = mtu;
	e->expires = now + PMTU_EXPIRE_MS;
	atomic_store_explicit(&c->nonempty, true, memory_order_relaxed);
	pthread_mutex_unlock(&c->lock);
	return mtu;
}

void pmtu_expire(struct pmtu_cache *c, uint64_t now)
{
	pthread_mutex_lock(&c->lock);
	for (unsigned i = 0; i < c->n;) {
		if (c->e[i].expires <= now)
			c->e[i] = c->e[--c->n];
		else
			i++;
	}
	atomic_store_explicit(&c->nonempty, c->n > 0, memory_order_relaxed);
	pthread_mutex_unlock(&c->lock);
}
