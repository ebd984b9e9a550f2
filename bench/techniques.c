/* techniques: micro-benchmarks of the copy and syscall savings the speed
 * issue asked to measure, each against the way vxnetd does it now, run by
 * bench/techniques.sh in network namespaces (not a test):
 *
 *   udp-rx PORT SECS               receive UDP GRO bursts, print bytes and CPU seconds
 *   udp-tx DST PORT SECS MODE      send 64 KB UDP GSO bursts of 1460-byte segments:
 *                                  MODE plain (sendmsg, vxnetd's way), zerocopy
 *                                  (MSG_ZEROCOPY, completions read from the error queue),
 *                                  mmsg (sendmmsg of 8 bursts per call)
 *   udp-tx-xdp IFNAME DSTMAC DST PORT SECS
 *                                  send the same payload as 1460-byte UDP datagrams built in
 *                                  an AF_XDP UMEM and sent from its TX ring (copy mode: veth
 *                                  has no zero-copy AF_XDP), one sendto(2) kick per batch
 *   udp-rxm PORT SECS              receive datagrams with recvmmsg, 64 per call (the
 *                                  receiver of udp-tx-xdp: no GSO, so no 64 KB reads)
 *   udp-flood DST PORT SECS LEN    send LEN-byte datagrams as fast as one socket can
 *   wake CPU N                     N times, 10 ms apart: wake a thread on CPU CPU sleeping in
 *                                  epoll_wait (an eventfd), from CPU 0; p50/p90 latency
 *   tap-read NAME SECS MODE        read frames from a TAP (a flood is sent into it by the
 *                                  script): MODE read (one read(2) per frame, vxnetd's way)
 *                                  or uring (io_uring, 32 reads in flight, one
 *                                  io_uring_submit_and_wait per batch)
 *
 * Each prints one line "KEY value ..." with what it moved and the CPU time
 * (user + system, RUSAGE_SELF: the softirq work done in its context too). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/errqueue.h>
#include <linux/if_tun.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define SEG 1460
#define NSEG 44 /* 64 KB bursts, as vxnetd's GSO bursts of a TSO super-frame */

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* A UDP socket bound to port with a 32 MB receive buffer (UDP GRO on if
 * gro) that gives up after 1 s without data; -1 if it cannot bind. */
static int rx_socket(int port, int gro)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1, big = 32 << 20;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big));
	if (gro)
		setsockopt(fd, IPPROTO_UDP, UDP_GRO, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("bind");
		close(fd);
		return -1;
	}
	struct timeval tv = {1, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Receive until 1 s passes without data; print bytes and CPU seconds. gro:
 * UDP GRO on, one read of up to 64 KB per call (vxnetd's way); else plain
 * datagrams, up to 64 per recvmmsg (the receiver of udp-tx-xdp: no GSO on
 * that path, so no 64 KB reads). */
static int udp_rx(int port, int gro)
{
	enum { N = 64, DGRAM = 2048 };
	static char buf[N * DGRAM];
	int fd = rx_socket(port, gro), nmsg = gro ? 1 : N;
	if (fd < 0)
		return 1;
	struct mmsghdr m[N];
	struct iovec iov[N];
	double t0 = 0, c0 = 0;
	unsigned long long bytes = 0, calls = 0;
	for (;;) {
		for (int i = 0; i < nmsg; i++) {
			iov[i] = gro ? (struct iovec){buf, 65536} : (struct iovec){buf + i * DGRAM, DGRAM};
			m[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
		}
		int n = recvmmsg(fd, m, (unsigned)nmsg, MSG_WAITFORONE, NULL);
		if (n <= 0) {
			if (t0)
				break;
			continue;
		}
		if (!t0) {
			t0 = now();
			c0 = cpu();
		}
		calls++;
		for (int i = 0; i < n; i++)
			bytes += m[i].msg_len;
	}
	double dt = now() - t0 - 1.0; /* the last second was the timeout */
	printf("rx_bytes %llu rx_secs %.2f rx_gbps %.2f rx_cpu_s %.2f rx_calls %llu\n", bytes, dt, bytes * 8 / dt / 1e9,
	       cpu() - c0, calls);
	return 0;
}

/* Read the completions MSG_ZEROCOPY queued; returns how many sends completed. */
static unsigned zc_reap(int fd)
{
	unsigned done = 0;
	for (;;) {
		char ctrl[128];
		struct msghdr mh = {.msg_control = ctrl, .msg_controllen = sizeof(ctrl)};
		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			break;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			struct sock_extended_err ee;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			if (ee.ee_origin == SO_EE_ORIGIN_ZEROCOPY)
				done += ee.ee_data - ee.ee_info + 1;
		}
	}
	return done;
}

static int udp_tx(const char *dst, int port, double secs, const char *mode)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1, big = 8 << 20;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, dst, &sa.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	int zc = !strcmp(mode, "zerocopy"), mm = !strcmp(mode, "mmsg");
	if (zc && setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof(one)) < 0) {
		perror("SO_ZEROCOPY");
		return 1;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("connect");
		return 1;
	}
	uint16_t gso = SEG;
	setsockopt(fd, SOL_UDP, UDP_SEGMENT, &gso, sizeof(gso));
	/* Zero-copy pins the pages until the kernel is done: a ring of buffers. */
	enum { NBUF = 64 };
	static char bufs[NBUF][SEG * NSEG];
	for (int i = 0; i < NBUF; i++)
		memset(bufs[i], i, sizeof(bufs[i]));
	double t0 = now(), c0 = cpu();
	unsigned long long sent = 0, calls = 0;
	unsigned inflight = 0, k = 0;
	while (now() - t0 < secs) {
		if (mm) {
			struct mmsghdr m[8];
			struct iovec iov[8];
			for (int i = 0; i < 8; i++) {
				iov[i] = (struct iovec){bufs[(k + i) % NBUF], SEG * NSEG};
				m[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
			}
			int n = sendmmsg(fd, m, 8, 0);
			if (n > 0)
				sent += (unsigned long long)n * SEG * NSEG;
			k += 8;
		} else {
			if (zc) {
				/* Never reuse a buffer the kernel may still read. */
				while (inflight >= NBUF - 1)
					inflight -= zc_reap(fd);
			}
			ssize_t n = send(fd, bufs[k % NBUF], SEG * NSEG, zc ? MSG_ZEROCOPY : 0);
			if (n > 0) {
				sent += (unsigned long long)n;
				inflight += zc;
			} else if (errno == ENOBUFS && zc) {
				inflight -= zc_reap(fd);
			}
			k++;
		}
		calls++;
		if (zc && (k & 7) == 0)
			inflight -= zc_reap(fd);
	}
	double dt = now() - t0;
	printf("tx_mode %s tx_gbps %.2f tx_calls_per_s %.0f tx_cpu_s %.2f tx_secs %.2f\n", mode, sent * 8 / dt / 1e9,
	       calls / dt, cpu() - c0, dt);
	return 0;
}

static int tap_read(const char *name, double secs, const char *mode)
{
	int fd = open("/dev/net/tun", O_RDWR);
	struct ifreq ifr = {0};
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
		perror("tun");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	enum { Q = 32, BUFSZ = 2048 };
	static char bufs[Q][BUFSZ];
	unsigned long long frames = 0, calls = 0;
	double t0 = 0, c0 = 0, deadline = 1e18;
	if (!strcmp(mode, "read")) {
		while (now() < deadline) {
			ssize_t n = read(fd, bufs[0], BUFSZ);
			calls++;
			if (n <= 0)
				continue;
			if (!t0) {
				t0 = now();
				c0 = cpu();
				deadline = t0 + secs;
			}
			frames++;
		}
	} else {
		struct io_uring ring;
		if (io_uring_queue_init(Q * 2, &ring, 0) < 0) {
			perror("io_uring_queue_init");
			return 1;
		}
		for (int i = 0; i < Q; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			io_uring_prep_read(sqe, fd, bufs[i], BUFSZ, 0);
			io_uring_sqe_set_data64(sqe, (uint64_t)i);
		}
		while (now() < deadline) {
			io_uring_submit_and_wait(&ring, 1);
			calls++;
			struct io_uring_cqe *cqe;
			unsigned head, n = 0;
			io_uring_for_each_cqe(&ring, head, cqe)
			{
				int i = (int)io_uring_cqe_get_data64(cqe);
				if (cqe->res > 0) {
					if (!t0) {
						t0 = now();
						c0 = cpu();
						deadline = t0 + secs;
					}
					frames++;
				}
				struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
				io_uring_prep_read(sqe, fd, bufs[i], BUFSZ, 0);
				io_uring_sqe_set_data64(sqe, (uint64_t)i);
				n++;
			}
			io_uring_cq_advance(&ring, n);
		}
	}
	double dt = now() - t0;
	printf("tap_mode %s frames_per_s %.0f syscalls_per_frame %.3f cpu_us_per_frame %.3f\n", mode, frames / dt,
	       (double)calls / (double)(frames ? frames : 1), (cpu() - c0) * 1e6 / (double)(frames ? frames : 1));
	return 0;
}

static uint16_t ip_csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The AF_XDP transmit path vxnetd would use on the underlay: whole frames
 * (Ethernet, IPv4, UDP, 1460 bytes of payload; UDP checksum 0, as RFC 7348
 * allows over IPv4) written once into a UMEM, their descriptors put on the
 * TX ring, and the kernel kicked with sendto(2). */
static int udp_tx_xdp(const char *ifname, const char *dstmac, const char *dst, int port, double secs)
{
	enum { NFRAMES = 4096, FSIZE = 2048, RING = 2048, BATCH = 64 };
	const size_t flen = 14 + 20 + 8 + SEG;
	int xsk = socket(AF_XDP, SOCK_RAW, 0);
	if (xsk < 0) {
		perror("socket(AF_XDP)");
		return 1;
	}
	uint8_t *umem = mmap(NULL, (size_t)NFRAMES * FSIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (umem == MAP_FAILED) {
		perror("mmap umem");
		return 1;
	}
	struct xdp_umem_reg mr = {.addr = (uintptr_t)umem, .len = (uint64_t)NFRAMES * FSIZE, .chunk_size = FSIZE};
	int ring = RING;
	if (setsockopt(xsk, SOL_XDP, XDP_UMEM_REG, &mr, sizeof(mr)) < 0 ||
	    setsockopt(xsk, SOL_XDP, XDP_UMEM_FILL_RING, &ring, sizeof(ring)) < 0 ||
	    setsockopt(xsk, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ring, sizeof(ring)) < 0 ||
	    setsockopt(xsk, SOL_XDP, XDP_TX_RING, &ring, sizeof(ring)) < 0) {
		perror("AF_XDP rings");
		return 1;
	}
	struct xdp_mmap_offsets off;
	socklen_t ol = sizeof(off);
	if (getsockopt(xsk, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol) < 0) {
		perror("XDP_MMAP_OFFSETS");
		return 1;
	}
	uint8_t *txm = mmap(NULL, off.tx.desc + RING * sizeof(struct xdp_desc), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_POPULATE, xsk, XDP_PGOFF_TX_RING);
	uint8_t *cqm = mmap(NULL, off.cr.desc + RING * sizeof(uint64_t), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_POPULATE, xsk, XDP_UMEM_PGOFF_COMPLETION_RING);
	if (txm == MAP_FAILED || cqm == MAP_FAILED) {
		perror("mmap rings");
		return 1;
	}
	uint32_t *tx_prod = (uint32_t *)(txm + off.tx.producer), *tx_cons = (uint32_t *)(txm + off.tx.consumer);
	struct xdp_desc *txd = (struct xdp_desc *)(txm + off.tx.desc);
	uint32_t *cq_prod = (uint32_t *)(cqm + off.cr.producer), *cq_cons = (uint32_t *)(cqm + off.cr.consumer);
	struct sockaddr_xdp sx = {
	    .sxdp_family = AF_XDP, .sxdp_ifindex = if_nametoindex(ifname), .sxdp_flags = XDP_COPY};
	if (!sx.sxdp_ifindex || bind(xsk, (struct sockaddr *)&sx, sizeof(sx)) < 0) {
		perror("bind AF_XDP");
		return 1;
	}
	/* One frame, copied to every UMEM chunk once: the loop only moves descriptors. */
	uint8_t f[14 + 20 + 8 + SEG];
	memset(f, 0x5a, sizeof(f));
	unsigned mac[6];
	if (sscanf(dstmac, "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6) {
		fprintf(stderr, "bad MAC %s\n", dstmac);
		return 2;
	}
	for (int i = 0; i < 6; i++)
		f[i] = (uint8_t)mac[i];
	/* The source MAC and address: the interface's own. */
	struct ifreq ifm = {0}, ifa = {0};
	snprintf(ifm.ifr_name, sizeof(ifm.ifr_name), "%s", ifname);
	snprintf(ifa.ifr_name, sizeof(ifa.ifr_name), "%s", ifname);
	int sfd = socket(AF_INET, SOCK_DGRAM, 0);
	if (ioctl(sfd, SIOCGIFHWADDR, &ifm) < 0 || ioctl(sfd, SIOCGIFADDR, &ifa) < 0) {
		perror("SIOCGIFHWADDR/SIOCGIFADDR");
		return 1;
	}
	close(sfd);
	memcpy(f + 6, ifm.ifr_hwaddr.sa_data, 6);
	struct in_addr src = ((struct sockaddr_in *)&ifa.ifr_addr)->sin_addr, dsta;
	if (inet_pton(AF_INET, dst, &dsta) != 1)
		return 2;
	f[12] = 0x08;
	f[13] = 0x00;
	struct iphdr *ip = (struct iphdr *)(f + 14);
	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	ip->ihl = 5;
	ip->ttl = 64;
	ip->protocol = IPPROTO_UDP;
	ip->tot_len = htons((uint16_t)(20 + 8 + SEG));
	ip->saddr = src.s_addr;
	ip->daddr = dsta.s_addr;
	ip->check = htons(ip_csum(ip, 20));
	uint8_t *udp = f + 34;
	udp[0] = 0xc0; /* source port 49152 */
	udp[1] = 0x00;
	udp[2] = (uint8_t)(port >> 8);
	udp[3] = (uint8_t)port;
	udp[4] = (uint8_t)((8 + SEG) >> 8);
	udp[5] = (uint8_t)(8 + SEG);
	udp[6] = udp[7] = 0;
	for (int i = 0; i < NFRAMES; i++)
		memcpy(umem + (size_t)i * FSIZE, f, flen);

	double t0 = now(), c0 = cpu();
	unsigned long long calls = 0;
	uint32_t prod = 0, done = 0, next = 0;
	while (now() - t0 < secs) {
		uint32_t cp = __atomic_load_n(cq_prod, __ATOMIC_ACQUIRE);
		if (cp != done) {
			done = cp;
			__atomic_store_n(cq_cons, done, __ATOMIC_RELEASE);
		}
		uint32_t cons = __atomic_load_n(tx_cons, __ATOMIC_ACQUIRE);
		/* A chunk is reused only once completed: at most NFRAMES in flight. */
		for (unsigned n = 0; n < BATCH && prod - cons < RING && prod - done < NFRAMES; n++, prod++) {
			struct xdp_desc *d = &txd[prod & (RING - 1)];
			d->addr = (uint64_t)(next++ % NFRAMES) * FSIZE;
			d->len = (uint32_t)flen;
			d->options = 0;
		}
		__atomic_store_n(tx_prod, prod, __ATOMIC_RELEASE);
		if (sendto(xsk, NULL, 0, MSG_DONTWAIT, NULL, 0) < 0 && errno != EAGAIN && errno != EBUSY &&
		    errno != ENOBUFS) {
			perror("sendto AF_XDP");
			return 1;
		}
		calls++;
	}
	/* What the kernel sent: the completions. */
	unsigned long long sent = (unsigned long long)__atomic_load_n(cq_prod, __ATOMIC_ACQUIRE) * SEG;
	double dt = now() - t0;
	printf("tx_mode afxdp tx_gbps %.2f tx_calls_per_s %.0f tx_cpu_s %.2f tx_secs %.2f\n", sent * 8 / dt / 1e9,
	       calls / dt, cpu() - c0, dt);
	return 0;
}

static int udp_flood(const char *dst, int port, double secs, int len)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, dst, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("connect");
		return 1;
	}
	static char buf[1500];
	double t0 = now();
	unsigned long long n = 0;
	while ((n & 1023) || now() - t0 < secs) {
		send(fd, buf, (size_t)len, 0);
		n++;
	}
	printf("flood_pps %.0f\n", n / (now() - t0));
	return 0;
}

/* Wake-up latency: a thread sleeping in epoll_wait on an eventfd, woken by
 * this thread every 10 ms (so the CPUs go idle between, as between pings);
 * the time from the write to the wakee's first instruction. Pinned: wakee
 * on CPU cpu, waker on CPU 0. */
static int wk_efd, wk_back, wk_cpu;

static void pin_cpu(int c)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(c, &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

static void *wakee(void *arg)
{
	(void)arg;
	pin_cpu(wk_cpu);
	int ep = epoll_create1(0);
	struct epoll_event e = {.events = EPOLLIN};
	epoll_ctl(ep, EPOLL_CTL_ADD, wk_efd, &e);
	for (;;) {
		uint64_t v;
		if (epoll_wait(ep, &e, 1, -1) < 1 || read(wk_efd, &v, sizeof(v)) != sizeof(v))
			continue;
		double t = now();
		if (write(wk_back, &t, sizeof(t)) != sizeof(t))
			break;
	}
	return NULL;
}

static int dcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int wake(int cpu_no, int n)
{
	int p[2];
	if (pipe(p) < 0 || (wk_efd = eventfd(0, 0)) < 0)
		return 1;
	wk_back = p[1];
	wk_cpu = cpu_no;
	pin_cpu(0);
	pthread_t t;
	if (pthread_create(&t, NULL, wakee, NULL))
		return 1;
	usleep(100000);
	double *d = calloc((size_t)n, sizeof(*d));
	for (int i = 0; i < n; i++) {
		usleep(10000);
		uint64_t one = 1;
		double t0 = now(), t1;
		if (write(wk_efd, &one, sizeof(one)) != sizeof(one) || read(p[0], &t1, sizeof(t1)) != sizeof(t1))
			return 1;
		d[i] = (t1 - t0) * 1e6;
	}
	qsort(d, (size_t)n, sizeof(*d), dcmp);
	printf("wake_cpu %d wake_p50_us %.1f wake_p90_us %.1f\n", cpu_no, d[n / 2], d[n * 9 / 10]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "udp-flood"))
		return udp_flood(argv[2], atoi(argv[3]), atof(argv[4]), atoi(argv[5]));
	if (argc == 4 && !strcmp(argv[1], "udp-rx"))
		return udp_rx(atoi(argv[2]), 1); /* SECS: it ends 1 s after the data */
	if (argc == 6 && !strcmp(argv[1], "udp-tx"))
		return udp_tx(argv[2], atoi(argv[3]), atof(argv[4]), argv[5]);
	if (argc == 4 && !strcmp(argv[1], "wake"))
		return wake(atoi(argv[2]), atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "udp-rxm"))
		return udp_rx(atoi(argv[2]), 0);
	if (argc == 7 && !strcmp(argv[1], "udp-tx-xdp"))
		return udp_tx_xdp(argv[2], argv[3], argv[4], atoi(argv[5]), atof(argv[6]));
	if (argc == 5 && !strcmp(argv[1], "tap-read"))
		return tap_read(argv[2], atof(argv[3]), argv[4]);
	fprintf(stderr, "usage: techniques udp-rx PORT SECS | udp-tx DST PORT SECS plain|zerocopy|mmsg |"
			" udp-flood DST PORT SECS LEN | tap-read NAME SECS read|uring | udp-rxm PORT SECS |"
			" udp-tx-xdp IFNAME DSTMAC DST PORT SECS | wake CPU N\n");
	return 2;
}
