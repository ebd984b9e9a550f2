/* tap: TAP device creation and configuration through /dev/net/tun and
 * interface ioctls. */
#include "tap.h"

#include "vxnet/offload.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Names were checked to fit IFNAMSIZ - 1 by the caller; copy with the NUL. */
static void ifr_set_name(struct ifreq *ifr, const char *name)
{
	size_t n = strnlen(name, IFNAMSIZ - 1);
	memcpy(ifr->ifr_name, name, n);
	ifr->ifr_name[n] = 0;
}

static int ifreq_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	int rc = ioctl(s, req, ifr) < 0 ? -errno : 0;
	close(s);
	return rc;
}

/* Attach one more fd to TAP `name` with flags; the fd or -errno. */
static int tap_attach(const char *name, short flags)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct ifreq ifr = {0};
	ifr.ifr_flags = flags;
	ifr_set_name(&ifr, name);
	int hdrsz = OFFLOAD_VNET_HLEN;
	unsigned off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0 || ioctl(fd, TUNSETVNETHDRSZ, &hdrsz) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, off) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

/* Queues the device has attached now, as sysfs shows them (the daemon's
 * own namespace only); 0 if unknown. */
static unsigned tap_queues_attached(const char *name)
{
	char path[64 + IFNAMSIZ];
	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", name);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	unsigned n = 0;
	for (struct dirent *e; (e = readdir(d));)
		if (!strncmp(e->d_name, "tx-", 3))
			n++;
	closedir(d);
	return n;
}

int tap_open(const char *name, bool adopt, unsigned queues, int *fds, unsigned *nq, int *ifindex, bool *created)
{
	if (strlen(name) >= IFNAMSIZ || !*name || !queues)
		return -EINVAL;
	bool exists = if_nametoindex(name) != 0;
	/* TUNSETIFF on an existing TAP would attach us to it: only a restart
	 * adopting its own device may do that. */
	if (exists && !adopt)
		return -EEXIST;
	/* The virtio-net header lets the host hand us TSO super-frames and
	 * frames with checksums left to the device, and lets us hand it merged
	 * (GRO) frames: the difference between ~1 and ~10 Gbit/s. Always
	 * multi-queue, even with one queue: a restart with more workers can
	 * attach more. */
	short flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE;
	int fd = tap_attach(name, flags);
	if (fd == -EINVAL && exists) {
		/* Made single-queue (an older vxnetd): it has one queue to give. */
		flags &= ~IFF_MULTI_QUEUE;
		queues = 1;
		fd = tap_attach(name, flags);
	}
	if (fd < 0)
		/* An existing device that is not a free TAP (a TUN, another
		 * kind, or a TAP someone holds) cannot be ours. */
		return exists && (fd == -EINVAL || fd == -EBUSY || fd == -EPERM) ? -EEXIST : fd;
	/* Persistent: the device, its bridge port, addresses and up state
	 * outlive the daemon, and a restart takes it over. */
	if (ioctl(fd, TUNSETPERSIST, 1) < 0) {
		int e = -errno;
		if (!exists)
			ioctl(fd, TUNSETPERSIST, 0);
		close(fd);
		return e;
	}
	fds[0] = fd;
	unsigned n = 1;
	/* More queues are a speed-up, not a need: keep what attaches. */
	while (n < queues) {
		int q = tap_attach(name, flags);
		if (q < 0)
			break;
		fds[n++] = q;
	}
	/* A multi-queue TAP lets anyone attach: one whose queues another
	 * process holds is not free to adopt. */
	unsigned now = exists && (flags & IFF_MULTI_QUEUE) ? tap_queues_attached(name) : 0;
	if (now > n) {
		for (unsigned i = 0; i < n; i++)
			close(fds[i]);
		return -EEXIST;
	}
	int idx = (int)if_nametoindex(name);
	if (!idx) {
		int e = -errno;
		ioctl(fds[0], TUNSETPERSIST, 0);
		for (unsigned i = 0; i < n; i++)
			close(fds[i]);
		return e;
	}
	*nq = n;
	*ifindex = idx;
	*created = !exists;
	return 0;
}

/* ---- the steering program ---- */

/* A tiny assembler: instructions, and jumps to labels patched at the end. */
struct bpf_asm {
	struct bpf_insn in[96];
	int n;
	int label[8];
	int fix[16][2]; /* instruction, label */
	int nfix;
};

static void emit(struct bpf_asm *a, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	if (a->n < (int)(sizeof(a->in) / sizeof(a->in[0])))
		a->in[a->n] = (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
	a->n++;
}

static void jump(struct bpf_asm *a, uint8_t op, uint8_t reg, int32_t imm, int label)
{
	if (a->nfix < 16) {
		a->fix[a->nfix][0] = a->n;
		a->fix[a->nfix][1] = label;
		a->nfix++;
	}
	emit(a, (uint8_t)(BPF_JMP | op | BPF_K), reg, 0, 0, imm);
}

/* r0 = the packet's bytes at off (network order), r7 ^= r0. */
static void mix_abs(struct bpf_asm *a, uint8_t size, int32_t off)
{
	emit(a, (uint8_t)(BPF_LD | size | BPF_ABS), 0, 0, 0, off);
	emit(a, BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_7, BPF_REG_0, 0, 0);
}

enum { L_IPV4, L_IPV6, L_DONE, L_PORTS4, L_PORTS6, L_OTHER };

/* XOR of both addresses and of both ports is the same for the two
 * directions of a flow: they share a queue too. */
static int steer_prog(struct bpf_asm *a)
{
	memset(a, 0, sizeof(*a));
	emit(a, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0); /* LD_ABS wants the skb in r6 */
	emit(a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_7, 0, 0, 0);
	emit(a, BPF_LD | BPF_H | BPF_ABS, 0, 0, 0, 12); /* EtherType */
	jump(a, BPF_JEQ, BPF_REG_0, 0x0800, L_IPV4);
	jump(a, BPF_JEQ, BPF_REG_0, 0x86dd, L_IPV6);
	a->label[L_OTHER] = a->n;
	emit(a, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
	emit(a, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	a->label[L_IPV4] = a->n;
	mix_abs(a, BPF_W, 14 + 12); /* source */
	mix_abs(a, BPF_W, 14 + 16); /* destination */
	mix_abs(a, BPF_B, 14 + 9);  /* protocol */
	emit(a, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_8, BPF_REG_0, 0, 0);
	emit(a, BPF_LD | BPF_H | BPF_ABS, 0, 0, 0, 14 + 6); /* fragment offset, MF */
	emit(a, BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_0, 0, 0, 0x3fff);
	/* Every fragment of a datagram goes where its first one goes. */
	jump(a, BPF_JNE, BPF_REG_0, 0, L_DONE);
	jump(a, BPF_JEQ, BPF_REG_8, IPPROTO_TCP, L_PORTS4);
	jump(a, BPF_JEQ, BPF_REG_8, IPPROTO_UDP, L_PORTS4);
	jump(a, BPF_JA, 0, 0, L_DONE);
	a->label[L_PORTS4] = a->n;
	emit(a, BPF_LD | BPF_B | BPF_ABS, 0, 0, 0, 14); /* IHL */
	emit(a, BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_0, 0, 0, 0x0f);
	emit(a, BPF_ALU64 | BPF_LSH | BPF_K, BPF_REG_0, 0, 0, 2);
	emit(a, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_9, BPF_REG_0, 0, 0);
	emit(a, BPF_LD | BPF_H | BPF_IND, 0, BPF_REG_9, 0, 14);
	emit(a, BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_7, BPF_REG_0, 0, 0);
	emit(a, BPF_LD | BPF_H | BPF_IND, 0, BPF_REG_9, 0, 16);
	emit(a, BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_7, BPF_REG_0, 0, 0);
	jump(a, BPF_JA, 0, 0, L_DONE);

	a->label[L_IPV6] = a->n;
	for (int i = 0; i < 8; i++)
		mix_abs(a, BPF_W, 14 + 8 + 4 * i); /* source and destination */
	mix_abs(a, BPF_B, 14 + 6);		   /* next header (no extension headers looked at) */
	emit(a, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_8, BPF_REG_0, 0, 0);
	jump(a, BPF_JEQ, BPF_REG_8, IPPROTO_TCP, L_PORTS6);
	jump(a, BPF_JEQ, BPF_REG_8, IPPROTO_UDP, L_PORTS6);
	jump(a, BPF_JA, 0, 0, L_DONE);
	a->label[L_PORTS6] = a->n;
	mix_abs(a, BPF_H, 14 + 40);
	mix_abs(a, BPF_H, 14 + 42);

	a->label[L_DONE] = a->n;
	/* Multiplicative mixing; the kernel takes the result modulo the
	 * number of queues (as a 16-bit value). */
	emit(a, BPF_ALU64 | BPF_MUL | BPF_K, BPF_REG_7, 0, 0, (int32_t)0x9e3779b1);
	emit(a, BPF_ALU64 | BPF_RSH | BPF_K, BPF_REG_7, 0, 0, 16);
	emit(a, BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_0, BPF_REG_7, 0, 0);
	emit(a, BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_0, 0, 0, 0xffff);
	emit(a, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	if (a->n > (int)(sizeof(a->in) / sizeof(a->in[0])) || a->nfix >= 16)
		return -E2BIG;
	for (int i = 0; i < a->nfix; i++) {
		int at = a->fix[i][0];
		a->in[at].off = (int16_t)(a->label[a->fix[i][1]] - at - 1);
	}
	return 0;
}

int tap_steer_flows(int fd)
{
	struct bpf_asm a;
	int rc = steer_prog(&a);
	if (rc < 0)
		return rc;
	static const char license[] = "GPL";
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insn_cnt = (uint32_t)a.n;
	attr.insns = (uint64_t)(uintptr_t)a.in;
	attr.license = (uint64_t)(uintptr_t)license;
	int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (prog < 0)
		return -errno;
	/* The device keeps its own reference to the program. */
	rc = ioctl(fd, TUNSETSTEERINGEBPF, &prog) < 0 ? -errno : 0;
	close(prog);
	return rc;
}

void tap_close(const int *fds, unsigned n, bool remove)
{
	if (!n || fds[0] < 0)
		return;
	if (remove)
		ioctl(fds[0], TUNSETPERSIST, 0); /* the device goes with the last fd */
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

int netdev_get_mtu(const char *name, unsigned *mtu)
{
	struct ifreq ifr = {0};
	ifr_set_name(&ifr, name);
	int rc = ifreq_ioctl(SIOCGIFMTU, &ifr);
	if (rc == 0)
		*mtu = (unsigned)ifr.ifr_mtu;
	return rc;
}

int tap_get_mtu_by_index(int ifindex, unsigned *mtu)
{
	char name[IFNAMSIZ];
	if (!if_indextoname((unsigned)ifindex, name))
		return -errno;
	return netdev_get_mtu(name, mtu);
}

int tap_set_mac(int fd, const uint8_t mac[MAC_LEN])
{
	struct ifreq ifr = {0};
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, mac, MAC_LEN);
	return ioctl(fd, SIOCSIFHWADDR, &ifr) < 0 ? -errno : 0;
}

int tap_get_mac(int fd, uint8_t mac[MAC_LEN])
{
	struct ifreq ifr = {0};
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -errno;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, MAC_LEN);
	return 0;
}
