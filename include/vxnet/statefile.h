/* statefile: the codec of vxnetd's desired-state file (JSON, through
 * jansson): the links with their configuration and owner, and per link the
 * fdb and neigh entries vxnet installed, with their origins. The parser
 * checks everything before returning anything, so a corrupt file is
 * refused whole and never half-applied. Pure: no I/O; fuzzed
 * (tests/fuzz/fuzz_statefile.c).
 *
 *   {"version": 1, "links": [{"name": "vxlan1", "origin": "user",
 *     "config": {"id": 42, "dstport": 4789, "datapath": "kernel", ...},
 *     "fdb": [{"mac": "02:..", "dst": "198.18.0.2", "port": 4789, "vni": 42, "origin": "user"}],
 *     "neigh": [{"ip": "203.0.113.3", "lladdr": "02:..", "origin": "user"}]}]}
 */
#ifndef VXNET_STATEFILE_H
#define VXNET_STATEFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vxnet/addr.h"
#include "vxnet/ctl.h"
#include "vxnet/fdb.h"

#define STATEFILE_VERSION 1

struct statefile_fdb {
	uint8_t mac[MAC_LEN];
	struct fdb_remote r; /* r.origin: whose entry */
};

struct statefile_neigh {
	struct vx_addr ip;
	uint8_t mac[MAC_LEN];
	uint8_t origin;
};

struct statefile_link {
	struct link_config cfg;
	uint8_t origin;
	bool up;		  /* the device's up state, last seen */
	char master[IFNAMSIZ];	  /* its bridge master, "" = none */
	struct statefile_fdb *fdb;
	unsigned n_fdb, cap_fdb;
	struct statefile_neigh *neigh;
	unsigned n_neigh, cap_neigh;
};

struct statefile {
	struct statefile_link *links;
	unsigned n_links, cap_links;
};

/* Parse and check text[0..len). 0, or -EINVAL (*err names what is wrong,
 * e.g. "links[1].fdb[0].dst: not an IP address"), -ENOMEM. On error *sf
 * is empty. */
int statefile_parse(const char *text, size_t len, struct statefile *sf, char *err, size_t errlen);
/* The file's text (malloc'd, NUL-terminated), or NULL and errno. */
char *statefile_format(const struct statefile *sf);
/* Building one: append a link (cfg copied), then entries to the last link.
 * 0 or -ENOMEM. */
int statefile_add_link(struct statefile *sf, const struct link_config *cfg, uint8_t origin);
/* The up state and master of the last link added. */
void statefile_set_link_state(struct statefile *sf, bool up, const char *master);
int statefile_add_fdb(struct statefile *sf, const uint8_t mac[MAC_LEN], const struct fdb_remote *r);
int statefile_add_neigh(struct statefile *sf, const struct vx_addr *ip, const uint8_t mac[MAC_LEN], uint8_t origin);
void statefile_free(struct statefile *sf);

#endif
