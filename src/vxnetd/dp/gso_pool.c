/* gso_pool: bounded, recycled UDP GSO sockets (gso_pool.h). */
#include "gso_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../log.h"
#include "udp.h"

#define GSO_IDLE_MS 10000  /* an idle socket's port is given back */
#define GSO_EVICT_MS 1000  /* a socket may make room for another after this long unused */
#define GSO_TAKEN_MS 60000 /* a port someone else holds is tried again after this */
#define SLOT_NONE 0xffff   /* port not in the pool */
#define SLOT_TAKEN 0xfffe  /* port held by another program */

struct gso_sock {
	int fd;
	int family;
	uint16_t port;
	uint64_t used;
};

struct gso_pool {
	unsigned max, n;
	bool reuseport;
	struct gso_sock *socks; /* n in use, packed */
	uint16_t *slot[2];	/* [family][port] -> index in socks, SLOT_NONE, SLOT_TAKEN */
	uint64_t taken_since;	/* when the first port was marked taken since the last retry */
};

struct gso_pool *gso_pool_new(unsigned max, bool reuseport)
{
	struct gso_pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->reuseport = reuseport;
	p->max = max ? max : 1;
	if (p->max > SLOT_TAKEN)
		p->max = SLOT_TAKEN;
	p->socks = calloc(p->max, sizeof(*p->socks));
	p->slot[0] = malloc(65536 * sizeof(uint16_t));
	p->slot[1] = malloc(65536 * sizeof(uint16_t));
	if (!p->socks || !p->slot[0] || !p->slot[1]) {
		gso_pool_free(p);
		errno = ENOMEM;
		return NULL;
	}
	memset(p->slot[0], 0xff, 65536 * sizeof(uint16_t));
	memset(p->slot[1], 0xff, 65536 * sizeof(uint16_t));
	return p;
}

void gso_pool_free(struct gso_pool *p)
{
	if (!p)
		return;
	for (unsigned i = 0; i < p->n; i++)
		close(p->socks[i].fd);
	free(p->socks);
	free(p->slot[0]);
	free(p->slot[1]);
	free(p);
}

unsigned gso_pool_open_count(const struct gso_pool *p)
{
	return p->n;
}

/* Close socket i and move the last one into its place. */
static void drop(struct gso_pool *p, unsigned i)
{
	struct gso_sock *s = &p->socks[i];
	close(s->fd);
	p->slot[s->family == AF_INET6][s->port] = SLOT_NONE;
	p->n--;
	if (i != p->n) {
		p->socks[i] = p->socks[p->n];
		p->slot[p->socks[i].family == AF_INET6][p->socks[i].port] = (uint16_t)i;
	}
}

int gso_pool_get(struct gso_pool *p, int family, uint16_t port, uint64_t now)
{
	int f = family == AF_INET6;
	uint16_t i = p->slot[f][port];
	if (i < SLOT_TAKEN) {
		p->socks[i].used = now;
		return p->socks[i].fd;
	}
	if (i == SLOT_TAKEN)
		return -1;
	if (p->n == p->max) {
		/* Full: the least recently used makes room if it rests. */
		unsigned lru = 0;
		for (unsigned k = 1; k < p->n; k++)
			if (p->socks[k].used < p->socks[lru].used)
				lru = k;
		if (now - p->socks[lru].used < GSO_EVICT_MS)
			return -1;
		drop(p, lru);
	}
	int fd = udp_gso_open(family, port, p->reuseport);
	if (fd < 0) {
		if (fd == -EADDRINUSE) {
			p->slot[f][port] = SLOT_TAKEN;
			if (!p->taken_since)
				p->taken_since = now;
		} else {
			log_debug("gso socket for port %u: %s", port, strerror(-fd));
		}
		return -1;
	}
	p->socks[p->n] = (struct gso_sock){fd, family, port, now};
	p->slot[f][port] = (uint16_t)p->n;
	p->n++;
	return fd;
}

void gso_pool_tick(struct gso_pool *p, uint64_t now)
{
	for (unsigned i = 0; i < p->n;) {
		if (now - p->socks[i].used >= GSO_IDLE_MS)
			drop(p, i);
		else
			i++;
	}
	if (p->taken_since && now - p->taken_since >= GSO_TAKEN_MS) {
		for (int f = 0; f < 2; f++)
			for (unsigned port = 0; port < 65536; port++)
				if (p->slot[f][port] == SLOT_TAKEN)
					p->slot[f][port] = SLOT_NONE;
		p->taken_since = 0;
	}
}
