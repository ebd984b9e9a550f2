/* rtnl: the few rtnetlink requests the daemon needs (moving a device to
 * another network namespace). */
#ifndef VXNETD_RTNL_H
#define VXNETD_RTNL_H

/* Move device ifindex into the namespace of netns_fd. 0 or -errno. */
int rtnl_link_set_netns(int ifindex, int netns_fd);

#endif
