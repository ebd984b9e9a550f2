/* kernel: the Linux kernel vxlan driver as a datapath (in progress). */
#include <errno.h>
#include <stddef.h>

#include "../dp.h"

struct dp *dp_kernel_new(struct core *c, const struct dp_upcalls *up, struct loop *lp, const char **why)
{
	(void)c;
	(void)up;
	(void)lp;
	*why = "the kernel datapath is not available yet";
	errno = EOPNOTSUPP;
	return NULL;
}
