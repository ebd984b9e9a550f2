/* fdb_lookup: micro-benchmark of FDB lookups, in ns per lookup, for tables
 * of 1k..1M random unicast MACs: hits and misses (MACs not in the table),
 * each one lookup at a time and with fdb_prefetch over batches of 64 as a
 * datapath does over a receive or transmit batch (the new table as a
 * registered reader that quiesces after each batch). Keys are looked up in
 * random order, so creation order (and the allocator's placement that comes
 * with it) does not help. Every cell is measured REPS times and the best is
 * printed; every lookup's result is checked (a hit must find its MAC, a miss
 * nothing), so a broken table cannot report a good figure. Lookup times are
 * thread CPU time. Also printed: ns per fdb_add while filling (CPU time),
 * the longest single fdb_add in microseconds (CPU time, in a second fill:
 * the table's worst resize) and the resident memory the table added per
 * entry.
 *
 * Built twice by bench/fdb.sh: by meson against lib/fdb.c, and with
 * -DFDB_BASELINE against the implementation of an older commit, which has
 * neither fdb_prefetch nor fdb_read: its prefetch columns print "-".
 *
 * Usage: fdb_lookup [-r REPS] [-l LOOKUPS] [-t LABEL] [SIZE...] */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "vxnet/fdb.h"

#define BATCH 64

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

/* splitmix64: reproducible keys from one fixed seed. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A locally administered unicast MAC with 46 random bits. */
static void rnd_mac(uint8_t mac[MAC_LEN])
{
	uint64_t x = rnd();

	for (int i = 0; i < MAC_LEN; i++)
		mac[i] = (uint8_t)(x >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);
}

/* Thread CPU time: on a shared machine, time spent waiting for a CPU is
 * not the table's. */
static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The longest single fdb_add while filling a table with the given MACs:
 * the table's worst resize. In thread CPU time (kernel time for page
 * faults included), so that preemption on a busy machine does not count;
 * a separate fill, as reading that clock is a system call. */
static double worst_add_ns(uint8_t (*mac)[MAC_LEN], size_t n)
{
	struct fdb *f = fdb_new(NULL);
	double worst = 0;

	if (!f)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct fdb_remote r = {.ip.family = AF_INET, .port = 4789};
		double t0 = now_ns(), t;

		if (fdb_add(f, mac[i], &r, 0) != 0)
			worst = -1e18;
		t = now_ns() - t0;
		if (t > worst)
			worst = t;
	}
	fdb_free(f);
	return worst;
}

static long rss_kb(void)
{
	long pages = 0, rss = 0;
	FILE *fp = fopen("/proc/self/statm", "r");

	if (!fp)
		return 0;
	if (fscanf(fp, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(fp);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

struct keys {
	size_t n;
	uint8_t (*mac)[MAC_LEN];
};

/* The lookup the datapath would use: the old table has only fdb_lookup,
 * the new one also the copying fdb_read that concurrent readers use. */
#ifdef FDB_BASELINE
static unsigned look(const struct fdb *f, const uint8_t mac[MAC_LEN])
{
	const struct fdb_entry *e = fdb_lookup(f, mac);

	return e ? e->remotes[0].vni + 1 : 0;
}
#else
static unsigned look(const struct fdb *f, const uint8_t mac[MAC_LEN])
{
	struct fdb_copy v;

	return fdb_read(f, mac, &v) ? v.e.remotes[0].vni + 1 : 0;
}
#endif

/* Runs every key once; returns ns per lookup, or -1 when a result is wrong.
 * The new table is read as a datapath worker will: a registered reader
 * that quiesces after every batch. */
static double run(struct fdb *f, const struct keys *k, int prefetch, int expect_hit)
{
	unsigned long found = 0;
	double t0, t1;
#ifndef FDB_BASELINE
	struct fdb_reader *rd = fdb_reader_new(f);

	if (!rd)
		return -1;
#endif

	t0 = now_ns();
	for (size_t b = 0; b < k->n; b += BATCH) {
		size_t m = k->n - b < BATCH ? k->n - b : BATCH;

#ifndef FDB_BASELINE
		if (prefetch)
			for (size_t i = 0; i < m; i++)
				fdb_prefetch(f, k->mac[b + i]);
#else
		(void)prefetch;
#endif
		for (size_t i = 0; i < m; i++)
			found += look(f, k->mac[b + i]) != 0;
#ifndef FDB_BASELINE
		fdb_reader_quiesce(rd);
#endif
	}
	t1 = now_ns();
#ifndef FDB_BASELINE
	fdb_reader_free(rd);
#endif
	if (found != (expect_hit ? k->n : 0))
		return -1;
	return (t1 - t0) / (double)k->n;
}

static double best(struct fdb *f, const struct keys *k, int prefetch, int hit, int reps)
{
	double b = -1;

	for (int r = 0; r < reps; r++) {
		double ns = run(f, k, prefetch, hit);

		if (ns < 0)
			return -1;
		if (b < 0 || ns < b)
			b = ns;
	}
	return b;
}

static void print_cell(double ns)
{
	if (ns < 0)
		printf(" %9s", "WRONG");
	else
		printf(" %9.1f", ns);
}

static int bench_size(size_t size, size_t lookups, int reps, const char *label)
{
	uint8_t(*in)[MAC_LEN] = malloc(size * MAC_LEN);
	struct keys hit = {lookups, malloc(lookups * MAC_LEN)}, miss = {lookups, malloc(lookups * MAC_LEN)};
	struct fdb *f = fdb_new(NULL);
	double t0, t_fill, add_max;
	long rss0;

	if (!in || !hit.mac || !miss.mac || !f) {
		fprintf(stderr, "fdb_lookup: out of memory\n");
		return -1;
	}
	/* Touch the key arrays first: B/entry is the table's own growth. */
	memset(in, 0, size * MAC_LEN);
	memset(hit.mac, 0, lookups * MAC_LEN);
	memset(miss.mac, 0, lookups * MAC_LEN);
	rss0 = rss_kb();
	t0 = now_ns();
	for (size_t i = 0; i < size; i++) {
		struct fdb_remote r = {.ip.family = AF_INET, .port = 4789};

		r.ip.v4.s_addr = htonl(0xc6120000u | (uint32_t)(i & 0x1ffff)); /* 198.18.0.0/15 */
		r.vni = (uint32_t)(i & 0xffffff);
		int rc;

		do {
			rnd_mac(in[i]);
			rc = fdb_add(f, in[i], &r, 0);
		} while (rc == -EEXIST);
		if (rc != 0) {
			fprintf(stderr, "fdb_lookup: fdb_add: %s\n", strerror(-rc));
			return -1;
		}
	}
	t_fill = (now_ns() - t0) / (double)size;
	rss0 = rss_kb() - rss0;
	add_max = worst_add_ns(in, size);
	if (add_max < 0) {
		fprintf(stderr, "fdb_lookup: fdb_add failed in the second fill\n");
		return -1;
	}
	for (size_t i = 0; i < lookups; i++) {
		memcpy(hit.mac[i], in[rnd() % size], MAC_LEN);
		do
			rnd_mac(miss.mac[i]);
		while (fdb_lookup(f, miss.mac[i]));
	}

	printf("%-8s %8zu", label, size);
	print_cell(best(f, &hit, 0, 1, reps));
#ifndef FDB_BASELINE
	print_cell(best(f, &hit, 1, 1, reps));
#else
	printf(" %9s", "-");
#endif
	print_cell(best(f, &miss, 0, 0, reps));
#ifndef FDB_BASELINE
	print_cell(best(f, &miss, 1, 0, reps));
#else
	printf(" %9s", "-");
#endif
	printf(" %9.1f %9.1f %8.1f\n", t_fill, add_max / 1000.0, (double)rss0 * 1024.0 / (double)size);
	fflush(stdout);
	fdb_free(f);
	free(in);
	free(hit.mac);
	free(miss.mac);
	return 0;
}

int main(int argc, char **argv)
{
	static const size_t def_sizes[] = {1000, 10000, 100000, 1000000};
	size_t lookups = 1u << 21;
	const char *label = "new";
	int reps = 3, opt;

	while ((opt = getopt(argc, argv, "r:l:t:")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'l':
			lookups = strtoul(optarg, NULL, 0);
			break;
		case 't':
			label = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-r REPS] [-l LOOKUPS] [-t LABEL] [SIZE...]\n", argv[0]);
			return 2;
		}
	}
	if (reps < 1 || lookups < 1) {
		fprintf(stderr, "fdb_lookup: REPS and LOOKUPS must be positive\n");
		return 2;
	}
	if (!getenv("FDB_BENCH_NOHEADER"))
		printf("%-8s %8s %9s %9s %9s %9s %9s %9s %8s\n", "impl", "entries", "hit", "hit+pf", "miss", "miss+pf",
		       "add", "addmax_us", "B/entry");
	if (optind < argc) {
		for (int i = optind; i < argc; i++)
			if (bench_size(strtoul(argv[i], NULL, 0), lookups, reps, label) < 0)
				return 1;
		return 0;
	}
	for (size_t i = 0; i < sizeof(def_sizes) / sizeof(def_sizes[0]); i++)
		if (bench_size(def_sizes[i], lookups, reps, label) < 0)
			return 1;
	return 0;
}
