/* null: the recording datapath for unit tests of the core (see null.c). */
#ifndef VXNETD_DP_NULL_H
#define VXNETD_DP_NULL_H

#include <stdbool.h>
#include <stdint.h>

#include "../dp.h"

/* Every call so far, one line each ("fdb_add vx0 02:00:00:00:00:01 dst 198.18.0.2"). */
const char *dp_null_log(struct dp *dp);
void dp_null_clear(struct dp *dp);
/* The next call that can fail (link_add, fdb_set, neigh_set) returns err. */
void dp_null_fail_next(struct dp *dp, int err);
/* Lose state behind the core's back: the device, an fdb entry, a neigh entry. */
void dp_null_lose(struct dp *dp, struct core_link *l, bool device, const uint8_t *mac, const struct vx_addr *ip);

/* Survive the core's free (to read the log after it); free with dp_null_destroy. */
void dp_null_keep(struct dp *dp);
void dp_null_destroy(struct dp *dp);

#endif
