/* vxnetd: the vxnet VTEP daemon. Parses its options, builds the loop, the
 * core and the control server, restores the saved state, and runs. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cluster.h"
#include "core.h"
#include "ctl_server.h"
#include "log.h"
#include "loop.h"
#include "state.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: vxnetd [-S PATH] [--datapath user|kernel] [--state DIR] [--max-clients N] [--max-learned N]\n"
		   "              [--workers N] [--busy-poll] [--linger-us N] [-v]\n"
		   "       vxnetd [-S PATH] [--state DIR] --purge\n"
		   "  -S PATH              control socket (default $VXNET_SOCKET or " CTL_DEFAULT_SOCKET ")\n"
		   "  --datapath user|kernel  datapath of links that do not name one (default user)\n"
		   "  --state DIR          where the desired state is kept (default " STATE_DEFAULT_DIR
		   ", or one directory per socket there)\n"
		   "  --purge              remove every device the state names, and the state, then exit\n"
		   "  --max-clients N      control clients at once (default 64)\n"
		   "  --max-learned N      learned fdb entries of the user datapath in all (default: 1/256 of\n"
		   "                       the memory at 160 bytes each; 0: no limit)\n"
		   "  --workers N          packet threads of the user datapath (default: one per CPU; 1: none,\n"
		   "                       packets on the daemon's own loop)\n"
		   "  --busy-poll          the user datapath's workers poll instead of sleeping: lower latency,\n"
		   "                       a CPU each (default workers 1 then)\n"
		   "  --linger-us N        after packets, a worker polls N microseconds before it sleeps\n"
		   "                       (default 0: sleep at once)\n"
		   "  --store etcd://HOST:PORT[,HOST:PORT...]  join a cluster through etcd (docs/store.md)\n"
		   "  --host NAME          this host's name in the cluster (default: the hostname)\n"
		   "  --underlay ADDR      where this host receives VXLAN (default: the default route's source)\n"
		   "  --store-prefix P     the cluster's keys (default /vxnet)\n"
		   "  --lease-ttl SECS     this host's lease (default 10)\n"
		   "  --store-cacert F --store-cert F --store-key F   TLS to etcd\n"
		   "  -v                   verbose (debug) logging\n"
		   "  -h                   this help; -V version\n");
}

/* Start from a clean descriptor table. Whatever the parent left open
 * beyond stdin, stdout and stderr (a shell's pipes, a CI runner's, a test
 * harness's) would otherwise stay open in the daemon for its whole life:
 * the other end never sees EOF, and the descriptors count against the
 * daemon's limit, which its pools are sized from. vxnetd takes no
 * descriptors from its parent (no socket activation). And 0-2 must be
 * open, or the first socket would become "stderr" and the log go into it. */
static void fds_sanitize(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", O_RDWR);
			if (n >= 0 && n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
	if (close_range(3, ~0u, 0) < 0) {
		/* Kernels before 5.9 (an inherited descriptor may lie above
		 * the limit: go to 65536 whatever the limit). */
		for (int fd = 3; fd < 65536; fd++)
			close(fd);
	}
}

/* Tell systemd (Type=notify) we are ready. The protocol is one datagram,
 * documented by systemd as stable for reimplementation: not worth a
 * library dependency. Silently nothing without NOTIFY_SOCKET. */
static void notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || (path[0] != '/' && path[0] != '@'))
		return;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n = strlen(path);
	if (n >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = 0; /* abstract namespace */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	static const char msg[] = "READY=1";
	if (sendto(fd, msg, sizeof(msg) - 1, 0, (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
		log_info("sd_notify: %s", strerror(errno));
	close(fd);
}

/* The file descriptor budget: raise the soft limit to the hard one, and
 * size the pools from what there is (documented in vxnetd.8). */
static unsigned fd_budget(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 1024;
	if (rl.rlim_cur < rl.rlim_max) {
		rlim_t want = rl.rlim_max > 65536 ? 65536 : rl.rlim_max;
		if (want > rl.rlim_cur) {
			struct rlimit nr = {want, rl.rlim_max};
			if (setrlimit(RLIMIT_NOFILE, &nr) == 0)
				rl.rlim_cur = want;
		}
	}
	return rl.rlim_cur > 1u << 20 ? 1u << 20 : (unsigned)rl.rlim_cur;
}

/* The default cap on learned entries: what 1/256 of the machine's memory
 * holds at 160 bytes an entry (lib/fdb.c measured 158 at a million), so a
 * remote inventing source MACs cannot grow the daemon past that. */
static unsigned default_max_learned(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);
	uint64_t mem = pages > 0 && psize > 0 ? (uint64_t)pages * (uint64_t)psize : 1ull << 30;
	uint64_t n = mem / 256 / 160;
	return n < 4096 ? 4096 : n > 1u << 30 ? 1u << 30 : (unsigned)n;
}

struct daemon {
	struct loop *loop;
	struct core *core;
	struct ctl_server *ctl;
	struct loop_src sig;
	struct loop_timer tick;
	int sigfd;
	bool kill_devices; /* stop removes the devices (purge) */
};

static void on_signal(struct loop_src *src, uint32_t events)
{
	(void)events;
	struct daemon *d = src->obj;
	struct signalfd_siginfo si;
	if (read(d->sigfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGHUP) {
		log_info("signal %u: shutting down", si.ssi_signo);
		loop_stop(d->loop);
	}
}

static void on_tick(void *arg)
{
	struct daemon *d = arg;
	core_tick(d->core);
	core_commit(d->core);
}

static int setup_signals(struct daemon *d)
{
	sigset_t mask;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->sigfd < 0)
		return -errno;
	return loop_add(d->loop, d->sigfd, EPOLLIN, &d->sig, on_signal, d);
}

int main(int argc, char **argv)
{
	fds_sanitize();
	const char *path = getenv("VXNET_SOCKET");
	const char *state_dir = NULL;
	enum link_datapath def = LINK_DP_USER;
	bool purge = false, busy_poll = false;
	unsigned workers = 0, linger_us = 0;
	int verbose = 0, opt;
	static const struct option longopts[] = {
	    {"datapath", required_argument, NULL, 'd'},
	    {"state", required_argument, NULL, 's'},
	    {"purge", no_argument, NULL, 'P'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"max-clients", required_argument, NULL, 'C'},
	    {"workers", required_argument, NULL, 'W'},
	    {"busy-poll", no_argument, NULL, 'B'},
	    {"linger-us", required_argument, NULL, 'G'},
	    {"max-learned", required_argument, NULL, 'L'},
	    {"store", required_argument, NULL, 256},
	    {"host", required_argument, NULL, 257},
	    {"underlay", required_argument, NULL, 258},
	    {"store-prefix", required_argument, NULL, 259},
	    {"lease-ttl", required_argument, NULL, 260},
	    {"store-cacert", required_argument, NULL, 261},
	    {"store-cert", required_argument, NULL, 262},
	    {"store-key", required_argument, NULL, 263},
	    {NULL, 0, NULL, 0},
	};
	struct ctl_server_limits lim;
	struct cluster_opts copts = {0};
	ctl_server_limits_default(&lim);
	unsigned max_learned = default_max_learned();
	while ((opt = getopt_long(argc, argv, "S:vhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'S':
			path = optarg;
			break;
		case 'd':
			if (link_datapath_parse(optarg, &def) < 0) {
				fprintf(stderr, "vxnetd: --datapath must be user or kernel\n");
				return 2;
			}
			break;
		case 's':
			state_dir = optarg;
			break;
		case 'P':
			purge = true;
			break;
		case 'C': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v < 1 || v > 100000) {
				fprintf(stderr, "vxnetd: --max-clients must be 1-100000\n");
				return 2;
			}
			lim.max_clients = (unsigned)v;
			break;
		}
		case 'W': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v < 1 || v > 64) {
				fprintf(stderr, "vxnetd: --workers must be 1-64\n");
				return 2;
			}
			workers = (unsigned)v;
			break;
		}
		case 'B':
			busy_poll = true;
			break;
		case 'G': {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v > 1000000) {
				fprintf(stderr, "vxnetd: --linger-us must be 0-1000000\n");
				return 2;
			}
			linger_us = (unsigned)v;
			break;
		}
		case 'L': {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(optarg, &end, 10);
			if (*end || !*optarg || *optarg == '-' || errno || v > 1u << 30) {
				fprintf(stderr, "vxnetd: --max-learned must be 0-1073741824\n");
				return 2;
			}
			max_learned = (unsigned)v;
			break;
		}
		case 256:
			copts.url = optarg;
			break;
		case 257:
			copts.host = optarg;
			break;
		case 258:
			copts.underlay = optarg;
			break;
		case 259:
			copts.prefix = optarg;
			break;
		case 260: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			if (*end || !*optarg || v < 2 || v > CLUSTER_LEASE_TTL_MAX) {
				fprintf(stderr, "vxnetd: --lease-ttl must be 2-%u seconds\n", CLUSTER_LEASE_TTL_MAX);
				return 2;
			}
			copts.lease_ttl = (unsigned)v;
			break;
		}
		case 261:
			copts.cacert = optarg;
			break;
		case 262:
			copts.cert = optarg;
			break;
		case 263:
			copts.key = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vxnetd 0.2.0\n");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (!copts.url && (copts.host || copts.underlay || copts.prefix || copts.lease_ttl || copts.cacert ||
			   copts.cert || copts.key)) {
		fprintf(stderr, "vxnetd: --host, --underlay, --store-* and --lease-ttl need --store\n");
		return 2;
	}
	if (!path || !*path)
		path = CTL_DEFAULT_SOCKET;
	log_set_verbose(verbose);

	struct daemon d = {.sigfd = -1, .sig.fd = -1, .tick.src.fd = -1};
	struct cluster *cl = NULL;
	struct state *st = NULL;
	int rc = 0;
	unsigned budget = fd_budget();
	/* Clients, the daemon's own fds, and the rest for the datapath: a GSO
	 * socket per active flow at most half of what is left. */
	unsigned base = lim.max_clients + 64;
	unsigned gso = budget > base + 32 ? (budget - base) / 2 : 16;
	if (gso > 1024)
		gso = 1024;
	d.loop = loop_new();
	d.core = d.loop ? core_new(d.loop, def) : NULL;
	if (d.core) {
		core_set_fd_budget(d.core, gso);
		/* A poller takes a CPU: one unless told otherwise. */
		core_set_user_workers(d.core, workers ? workers : busy_poll ? 1 : 0, busy_poll, linger_us);
		core_set_max_learned(d.core, max_learned);
	}
	if (!d.core) {
		log_err("cannot start: %s", strerror(errno));
		rc = -ENOMEM;
		goto out;
	}
	st = state_open(state_dir, path, &rc);
	if (!st) {
		log_err("state: %s", strerror(-rc));
		goto out;
	}
	if (purge) {
		/* A running daemon owns its devices: purge only a stopped one. */
		rc = state_purge(st, d.core, path);
		goto out;
	}
	rc = setup_signals(&d);
	if (rc == 0)
		rc = loop_timer_start(d.loop, &d.tick, 1000, on_tick, &d);
	if (rc < 0) {
		log_err("cannot start: %s", strerror(-rc));
		goto out;
	}
	d.ctl = ctl_server_open(d.loop, d.core, path, &lim);
	if (!d.ctl) {
		rc = -errno;
		if (rc == -EADDRINUSE)
			log_err("%s: another vxnetd is listening there", path);
		else if (rc == -ENOTSOCK)
			log_err("%s exists and is not a socket: refusing to replace it", path);
		else
			log_err("cannot start on %s: %s", path, strerror(-rc));
		goto out;
	}
	rc = state_restore(st, d.core);
	if (rc < 0)
		goto out;
	core_set_persist(d.core, state_save_cb, st);
	if (copts.url) {
		char dir[300];
		const char *why = NULL;
		snprintf(dir, sizeof(dir), "%s", state_path(st));
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		cl = cluster_open(d.loop, d.core, d.ctl, &copts, dir, &why);
		if (!cl) {
			log_err("cannot join the cluster: %s", why ? why : "?");
			rc = -EINVAL;
			goto out;
		}
	}
	log_info("listening on %s (default datapath %s, state %s, %u fds: %u clients, %u GSO sockets; %u learned "
		 "entries at most)",
		 path, link_datapath_name(core_default_dp(d.core)), state_path(st), budget, lim.max_clients, gso,
		 max_learned);
	notify_ready();
	rc = loop_run(d.loop);
	if (rc < 0)
		log_err("event loop: %s", strerror(-rc));
	if (cluster_refused(cl))
		rc = -EADDRINUSE;
	core_commit(d.core);
out:
	/* One way out, whether we ran or failed half-way through setup. The
	 * devices stay (a restart takes them over) unless purging. */
	cluster_close(cl);
	ctl_server_close(d.ctl);
	core_free(d.core, !d.kill_devices && !purge);
	state_close(st);
	if (d.loop)
		loop_timer_stop(d.loop, &d.tick);
	if (d.sigfd >= 0) {
		loop_del(d.loop, &d.sig);
		close(d.sigfd);
	}
	loop_free(d.loop);
	if (rc < 0)
		return 1;
	log_info("stopped");
	return 0;
}
