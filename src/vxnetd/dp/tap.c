/* tap: TAP device creation and configuration through /dev/net/tun and
 * interface ioctls. */
#include "tap.h"

#include "vxnet/offload.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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

int tap_open(const char *name, bool adopt, int *ifindex, bool *created)
{
	if (strlen(name) >= IFNAMSIZ || !*name)
		return -EINVAL;
	bool exists = if_nametoindex(name) != 0;
	/* TUNSETIFF on an existing TAP would attach us to it: only a restart
	 * adopting its own device may do that. */
	if (exists && !adopt)
		return -EEXIST;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct ifreq ifr = {0};
	/* The virtio-net header lets the host hand us TSO super-frames and
	 * frames with checksums left to the device, and lets us hand it merged
	 * (GRO) frames: the difference between ~1 and ~10 Gbit/s. */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	ifr_set_name(&ifr, name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = -errno;
		close(fd);
		/* An existing device that is not a free TAP (a TUN, another
		 * kind, or a TAP someone holds) cannot be ours. */
		return exists && (e == -EINVAL || e == -EBUSY || e == -EPERM) ? -EEXIST : e;
	}
	int hdrsz = OFFLOAD_VNET_HLEN;
	unsigned off = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
	/* Persistent: the device, its bridge port, addresses and up state
	 * outlive the daemon, and a restart takes it over. */
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdrsz) < 0 || ioctl(fd, TUNSETOFFLOAD, off) < 0 ||
	    ioctl(fd, TUNSETPERSIST, 1) < 0) {
		int e = -errno;
		if (!exists)
			ioctl(fd, TUNSETPERSIST, 0);
		close(fd);
		return e;
	}
	int idx = (int)if_nametoindex(name);
	if (!idx) {
		int e = -errno;
		ioctl(fd, TUNSETPERSIST, 0);
		close(fd);
		return e;
	}
	*ifindex = idx;
	*created = !exists;
	return fd;
}

void tap_close(int fd, bool remove)
{
	if (fd < 0)
		return;
	if (remove)
		ioctl(fd, TUNSETPERSIST, 0); /* the device goes with the last fd */
	close(fd);
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
