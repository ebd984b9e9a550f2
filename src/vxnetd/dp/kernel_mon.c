/* kernel_mon: what the kernel reports about vxnet's devices. A monitor
 * socket (RTNLGRP_LINK, RTNLGRP_NEIGH) reports what happens to them:
 * learned, moved and aged entries, l2miss/l3miss (enabled on every device
 * vxnet makes), and changes made behind vxnet's back, which go to the core
 * (it puts its own entries back). The notifications of vxnet's own requests
 * are recognised and swallowed, so every change is reported once, by the
 * core. Apart from kernel.c and kernel_fdb.c because it is the other
 * direction: they make requests, this reads what the kernel tells; the
 * echoes they announce are all that joins the two. */
#include <errno.h>
#include <linux/neighbour.h>
#include <string.h>

#include "../core.h"
#include "../dp.h"
#include "../log.h"
#include "../loop.h"
#include "../nl.h"
#include "kernel_priv.h"

/* ---- echoes of our own requests ---- */

void kernel_echo_expect(struct dp_kernel *k, enum echo_kind kind, int ifindex, const uint8_t *mac,
			const struct vx_addr *ip)
{
	uint64_t now = loop_now_ms();
	/* Drop the expired; when full, forget the oldest. */
	unsigned j = 0;
	for (unsigned i = 0; i < k->n_echo; i++)
		if (k->echo[i].until > now)
			k->echo[j++] = k->echo[i];
	k->n_echo = j;
	if (k->n_echo == ECHO_MAX) {
		memmove(k->echo, k->echo + 1, (ECHO_MAX - 1) * sizeof(k->echo[0]));
		k->n_echo--;
	}
	struct echo *e = &k->echo[k->n_echo++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->ifindex = ifindex;
	if (mac)
		memcpy(e->mac, mac, MAC_LEN);
	if (ip)
		e->ip = *ip;
	e->until = now + ECHO_TTL_MS;
}

/* Is this notification the echo of one of our requests? Consumes it. */
bool kernel_echo_match(struct dp_kernel *k, enum echo_kind kind, int ifindex, const uint8_t *mac,
		       const struct vx_addr *ip)
{
	uint64_t now = loop_now_ms();
	for (unsigned i = 0; i < k->n_echo; i++) {
		struct echo *e = &k->echo[i];
		if (e->until <= now || e->kind != kind || e->ifindex != ifindex)
			continue;
		if (mac && !mac_equal(e->mac, mac))
			continue;
		if (e->ip.family && ip && !addr_equal(&e->ip, ip))
			continue;
		memmove(e, e + 1, (k->n_echo - i - 1) * sizeof(*e));
		k->n_echo--;
		return true;
	}
	return false;
}

/* ---- monitor ---- */

static struct klink *klink_by_index(struct knet *n, int ifindex)
{
	for (struct klink *kl = n->k->links; kl; kl = kl->next)
		if (kl->net == n && kl->ifindex == ifindex)
			return kl;
	return NULL;
}

static void on_fdb_event(struct dp_kernel *k, struct klink *kl, const struct nl_fdb *f, bool deleted)
{
	if (!(f->flags & NTF_SELF) || (f->set & NL_FDB_MASTER))
		return; /* the bridge's own entries for this port */
	struct fdb_remote r;
	kernel_to_remote(kl, f, &r);
	bool permanent = f->state & (NUD_PERMANENT | NUD_NOARP);
	const struct vx_addr *dst = (f->set & NL_FDB_DST) ? &f->dst : NULL;
	if (permanent) {
		if (kernel_echo_match(k, deleted ? ECHO_FDB_DEL : ECHO_FDB_NEW, kl->ifindex, f->mac, dst))
			return;
		/* A device being deleted empties its table first: the link's
		 * own deletion, reported next, puts everything back. */
		struct nl_link have;
		if (deleted && nl_link_get(kl->net->nl, kl->ifindex, NULL, &have) < 0)
			return;
		k->dp.up->fdb_changed(k->dp.core, kl->l, deleted, f->mac, dst ? &r : NULL, true);
		return;
	}
	/* Learned: the kernel notifies creation and moves, not refreshes. */
	if (deleted) {
		if (fdb_lookup(kl->learned, f->mac)) {
			fdb_del(kl->learned, f->mac, NULL);
			k->dp.up->aged(k->dp.core, kl->l, f->mac, &r);
		}
		return;
	}
	const struct fdb_entry *e = fdb_lookup(kl->learned, f->mac);
	bool moved = e != NULL;
	if (e && addr_equal(&e->remotes[0].ip, &r.ip))
		return;
	fdb_replace(kl->learned, f->mac, &r, loop_now_ms());
	k->dp.up->learned(k->dp.core, kl->l, f->mac, &r, moved);
}

static int on_event(const struct nl_event *ev, void *arg)
{
	struct knet *n = arg;
	struct dp_kernel *k = n->k;
	struct klink *kl;
	switch (ev->type) {
	case NL_EV_LINK_DEL:
		kl = klink_by_index(n, ev->link.ifindex);
		if (kl && !kernel_echo_match(k, ECHO_LINK_DEL, kl->ifindex, NULL, NULL))
			k->dp.up->link_gone(k->dp.core, kl->l);
		break;
	case NL_EV_FDB_NEW:
	case NL_EV_FDB_DEL:
		kl = klink_by_index(n, ev->fdb.ifindex);
		if (kl)
			on_fdb_event(k, kl, &ev->fdb, ev->type == NL_EV_FDB_DEL);
		break;
	case NL_EV_NEIGH_NEW:
	case NL_EV_NEIGH_DEL: {
		bool del = ev->type == NL_EV_NEIGH_DEL;
		kl = klink_by_index(n, ev->neigh.ifindex);
		/* Only the entries vxnet manages: permanent ones. The kernel's
		 * own resolution state changes are not ours to report. */
		if (!kl || !(ev->neigh.state & NUD_PERMANENT))
			break;
		if (kernel_echo_match(k, del ? ECHO_NEIGH_DEL : ECHO_NEIGH_NEW, kl->ifindex, NULL, &ev->neigh.ip))
			break;
		struct nl_link have;
		if (del && nl_link_get(n->nl, kl->ifindex, NULL, &have) < 0)
			break;
		k->dp.up->neigh_changed(k->dp.core, kl->l, del, &ev->neigh.ip, ev->neigh.mac);
		break;
	}
	case NL_EV_L2MISS:
		kl = klink_by_index(n, ev->miss.ifindex);
		if (kl)
			k->dp.up->l2miss(k->dp.core, kl->l, ev->miss.mac);
		break;
	case NL_EV_L3MISS:
		kl = klink_by_index(n, ev->miss.ifindex);
		if (kl)
			k->dp.up->l3miss(k->dp.core, kl->l, &ev->miss.ip);
		break;
	default:
		break;
	}
	return 0;
}

void kernel_mon_input(struct loop_src *src, uint32_t events)
{
	(void)events;
	struct knet *n = src->obj;
	int rc = nl_mon_read(n->mon, on_event, n);
	if (rc == -ENOBUFS) {
		/* Notifications were lost: the core's reconcile puts wanted
		 * entries back; the learned mirror starts afresh. */
		log_info("kernel datapath: netlink notifications overran; resynchronising");
		for (struct klink *kl = n->k->links; kl; kl = kl->next) {
			if (kl->net != n)
				continue;
			fdb_free(kl->learned);
			kl->learned = fdb_new(NULL);
		}
		core_reconcile(n->k->dp.core);
	} else if (rc < 0) {
		log_debug("kernel datapath: monitor: %s", strerror(-rc));
	}
}
