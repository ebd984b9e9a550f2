/* vxnetd: the vxnet VTEP daemon. Parses its options, sets up the control
 * socket, signals and timers, and runs the epoll loop that feeds the
 * datapath and the control server. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "log.h"
#include "vxnetd.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: vxnetd [-S PATH] [-v]\n"
		   "  -S PATH  control socket (default $VXNET_SOCKET or " CTL_DEFAULT_SOCKET ")\n"
		   "  -v       verbose (debug) logging\n"
		   "  -h       this help; -V version\n");
}

static int add_fd(struct daemon *d, int fd, struct ev_src *src, enum ev_kind kind)
{
	src->kind = kind;
	src->obj = NULL;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = src};
	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int setup(struct daemon *d, const char *path)
{
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return -errno;
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
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->timerfd < 0)
		return -errno;
	/* Ageing scan once a second: entries expire within a second of their time. */
	struct itimerspec its = {.it_interval = {1, 0}, .it_value = {1, 0}};
	timerfd_settime(d->timerfd, 0, &its, NULL);
	int rc = add_fd(d, d->sigfd, &d->ev_sig, EV_SIGNAL);
	if (rc == 0)
		rc = add_fd(d, d->timerfd, &d->ev_timer, EV_TIMER);
	if (rc < 0)
		return rc;
	d->dp = dp_new();
	if (!d->dp)
		return -ENOMEM;
	return ctl_server_open(d, path);
}

static void run(struct daemon *d)
{
	struct epoll_event evs[64];
	while (!d->stop) {
		int n = epoll_wait(d->epfd, evs, 64, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_err("epoll_wait: %s", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			struct ev_src *src = evs[i].data.ptr;
			switch (src->kind) {
			case EV_SIGNAL: {
				struct signalfd_siginfo si;
				if (read(d->sigfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGHUP) {
					log_info("signal %u: shutting down", si.ssi_signo);
					d->stop = true;
				}
				break;
			}
			case EV_TIMER: {
				uint64_t ticks;
				if (read(d->timerfd, &ticks, sizeof(ticks)) > 0)
					daemon_age(d);
				break;
			}
			case EV_CTL_LISTEN:
				ctl_server_accept(d);
				break;
			case EV_CTL_CLIENT:
				ctl_server_client_input(d, src->obj);
				break;
			case EV_TAP: {
				struct link *l = src->obj;
				if (!l->dead)
					dp_tap_input(d, l);
				break;
			}
			case EV_UDP: {
				struct vsock *s = src->obj;
				if (!s->dead)
					dp_udp_input(d, s);
				break;
			}
			}
		}
		daemon_reap(d);
		ctl_server_reap(d);
	}
}

int main(int argc, char **argv)
{
	const char *path = getenv("VXNET_SOCKET");
	int verbose = 0, opt;
	while ((opt = getopt(argc, argv, "S:vhV")) != -1) {
		switch (opt) {
		case 'S':
			path = optarg;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("vxnetd 0.1.0\n");
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
	if (!path || !*path)
		path = CTL_DEFAULT_SOCKET;
	log_set_verbose(verbose);

	struct daemon d = {.epfd = -1, .sigfd = -1, .timerfd = -1, .ctl_fd = -1, .tx_fd4 = -1, .tx_fd6 = -1};
	int rc = setup(&d, path);
	if (rc < 0) {
		if (rc == -EADDRINUSE)
			log_err("%s: another vxnetd is listening there", path);
		else
			log_err("cannot start on %s: %s", path, strerror(-rc));
	} else {
		log_info("listening on %s", path);
		run(&d);
	}
	/* One way out, whether we ran or failed half-way through setup. */
	ctl_server_clients_free(&d);
	daemon_links_free(&d);
	daemon_reap(&d);
	ctl_server_close(&d);
	dp_gso_close(&d);
	dp_free(d.dp);
	if (d.tx_fd4 >= 0)
		close(d.tx_fd4);
	if (d.tx_fd6 >= 0)
		close(d.tx_fd6);
	if (d.timerfd >= 0)
		close(d.timerfd);
	if (d.sigfd >= 0)
		close(d.sigfd);
	if (d.epfd >= 0)
		close(d.epfd);
	if (rc < 0)
		return 1;
	log_info("stopped");
	return 0;
}
