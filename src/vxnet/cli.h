/* cli: the pieces of the `vxnet` command: argument parsing (parse.c, pure,
 * unit-tested), output formatting (print.c) and the exchange with vxnetd
 * (client.c). */
#ifndef VXNET_CLI_H
#define VXNET_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vxnet/ctl.h"

#ifndef VXNET_VERSION
#define VXNET_VERSION "0.1.0"
#endif

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 2 /* any error: usage, refused by the daemon, I/O */

enum cli_object {
	CLI_OBJ_NONE,
	CLI_OBJ_LINK,
	CLI_OBJ_FDB,
	CLI_OBJ_NEIGH,
	CLI_OBJ_MONITOR,
	CLI_OBJ_NETWORK, /* network.c */
	CLI_OBJ_ATTACH,
	CLI_OBJ_DETACH,
};

enum cli_verb {
	CLI_VERB_NONE, /* monitor */
	CLI_VERB_ADD,
	CLI_VERB_APPEND,
	CLI_VERB_REPLACE,
	CLI_VERB_DEL,
	CLI_VERB_SHOW,
	CLI_VERB_SET,
	CLI_VERB_CREATE, /* network create */
};

/* network create / attach / detach (network.c); 'set' says what was given. */
enum cli_cluster_param {
	CLI_CL_MTU = 1u << 0,
	CLI_CL_DSTPORT = 1u << 1,
	CLI_CL_DATAPATH = 1u << 2,
	CLI_CL_IP = 1u << 3,
	CLI_CL_MAC = 1u << 4,
	CLI_CL_IFNAME = 1u << 5,
};
struct cli_cluster {
	char network[CTL_NAME_LEN]; /* network NAME; "" for network show without a name */
	uint32_t vni;
	char subnet[CTL_NAME_LEN];
	uint32_t mtu;
	uint16_t dstport;
	uint8_t datapath; /* enum link_datapath */
	char nspath[CTL_PATH_LEN];
	struct vx_addr ip;
	uint8_t plen;
	uint8_t mac[MAC_LEN];
	char ifname[IFNAMSIZ];
	unsigned set;
};

/* One parsed command line. */
struct cli_cmd {
	const char *socket; /* -S PATH; NULL: VXNET_SOCKET or CTL_DEFAULT_SOCKET */
	bool json;	    /* -j */
	bool stats;	    /* -s */
	bool help;	    /* -h / --help: print usage, nothing else parsed */
	bool version;	    /* -V */
	enum cli_object obj;
	enum cli_verb verb;
	uint16_t msg_type;	 /* the enum ctl_msg_type request to send */
	struct link_config link; /* link add, link set (set: what changes) */
	struct fdb_req fdb;	 /* fdb add|append|replace|del */
	struct neigh_req neigh;	 /* neigh add|replace|del */
	char ifname[IFNAMSIZ];	 /* link del/show NAME, fdb/neigh show dev NAME */
	bool has_ifname;
	struct cli_cluster cl; /* network, attach, detach */
};

/* Parse argv[1..argc) (argv[0] is the program name) into *cmd. No I/O, no
 * exit, no environment. 0, or -EINVAL with err set to the message to print
 * after "vxnet: " (e.g. `link add: unknown keyword "foo"`). */
int cli_parse(int argc, char **argv, struct cli_cmd *cmd, char *err, size_t errlen);
/* "link add", "fdb show", "monitor": the prefix of error messages. */
const char *cli_object_name(enum cli_object o);
const char *cli_verb_name(enum cli_verb v);
void cli_usage(FILE *f);

/* Output of one reply or event message (p parsed by ctl_parse).
 * 'first' is true for the first object of a JSON array. 0, or -EINVAL if the
 * message lacks what is needed to print it (nothing is written then). */
struct cli_print {
	FILE *f;
	bool json;
	bool stats;
	unsigned count; /* objects printed so far (JSON array separators) */
};
int cli_print_link(struct cli_print *pr, const struct ctl_parsed *p);
int cli_print_fdb(struct cli_print *pr, const struct ctl_parsed *p);
int cli_print_neigh(struct cli_print *pr, const struct ctl_parsed *p);
/* One monitor line (text or a JSON object), newline-terminated. */
int cli_print_event(struct cli_print *pr, const struct ctl_parsed *p);

/* network.c: `network create|del|show`, `attach`, `detach`: argv[i..argc)
 * after the object word obj, into cmd (object, verb, msg_type, cl). Pure, as
 * cli_parse, which calls it. 0 or -EINVAL with err set. */
int cli_parse_cluster(int argc, char **argv, int i, const char *obj, struct cli_cmd *cmd, char *err, size_t errlen);
/* Is cmd one of those? */
bool cli_is_cluster(const struct cli_cmd *cmd);
/* Their request's attributes. 0 or -EMSGSIZE/-EINVAL. */
int cli_cluster_put(const struct cli_cmd *cmd, struct ctl_msg *m);

/* network_print.c: their replies, collected (CTL_MSG_NETWORK, ENDPOINT,
 * STORE) and printed once DONE said all went well. */
struct cli_cluster_out;
struct cli_cluster_out *cli_cluster_out_new(const struct cli_cmd *cmd);
/* One reply message: 0, or -EINVAL if it is not what the request answers. */
int cli_cluster_reply(struct cli_cluster_out *o, const struct ctl_parsed *p);
/* Print what was collected (text or JSON). 0 or -EIO. */
int cli_cluster_print(struct cli_cluster_out *o, FILE *f);
void cli_cluster_out_free(struct cli_cluster_out *o);

/* Run cmd against the daemon at path: send, print the replies on out,
 * errors on err. Returns the exit status. */
int cli_client_run(const struct cli_cmd *cmd, const char *path, FILE *out, FILE *err);

#endif
