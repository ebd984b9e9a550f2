/* reaper: removes network devices away from the event loop, many at once.
 *
 * Unregistering a device costs the kernel an RCU barrier (netdev_run_todo):
 * about 20 ms on a small machine, whoever asks (closing a TAP's last fd,
 * RTM_DELLINK), during which the asking thread sleeps. Done in the loop, each
 * `link del` stopped every link's packets and every client for that long
 * (2000 links: 40 s of stalls). Here a thread of its own takes the devices
 * the datapaths give up and removes all that are waiting with one request:
 * it tags them with a group number no other device of their namespace has
 * and deletes the group (one barrier for the lot: 200 devices in 0.1 s
 * instead of 4 s). A TAP's fd is closed after its device is gone.
 *
 * The loop learns of finished jobs through an eventfd (reaper_set_notify):
 * the control server answers `link del` only then, so that when vxnet
 * returns the device is gone, as with `ip link del`. A device of the same
 * name is made only once the old one is gone (reaper_wait_name). */
#ifndef VXNETD_REAPER_H
#define VXNETD_REAPER_H

#include <stdint.h>

struct loop;
struct reaper;

/* A reaper with its thread, reporting to lp. NULL and errno on failure. */
struct reaper *reaper_new(struct loop *lp);
/* Finish every job given, then stop. NULL is fine. */
void reaper_free(struct reaper *r);
/* Remove the device ifindex (0: none, only close tap_fd) of namespace
 * netns_fd (-1: the daemon's own; taken over, closed when done), then close
 * tap_fd (-1: none; made non-persistent first, so that closing removes the
 * device should the deletion have failed). name (and netns, "" = own) are
 * for reaper_wait_name. Never fails: without memory the job is done here and
 * now. The job's number, for reaper_done. */
uint64_t reaper_add(struct reaper *r, int ifindex, int netns_fd, int tap_fd, const char *name, const char *netns);
/* reaper_add for a multi-queue TAP: tap_fds[0] as tap_fd, the other queues'
 * fds closed after it (detaching a queue of a live device would cost an
 * RCU barrier each; of a removed one, nothing). n >= 1. */
uint64_t reaper_add_fds(struct reaper *r, int ifindex, int netns_fd, const int *tap_fds, unsigned n, const char *name,
			const char *netns);
/* The number of the last job given, and of the last one finished (jobs
 * finish in order). */
uint64_t reaper_last(const struct reaper *r);
uint64_t reaper_done(const struct reaper *r);
/* Called in the loop's thread when jobs have finished. */
void reaper_set_notify(struct reaper *r, void (*fn)(void *arg), void *arg);
/* Block until no device named name in netns ("" = own) is being removed. */
void reaper_wait_name(struct reaper *r, const char *name, const char *netns);

#endif
