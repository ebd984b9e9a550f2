/* vxnet: the command-line client of vxnetd, with iproute2's grammar
 * (`vxnet link add vxlan1 id 42 dstport 4789`, `vxnet fdb show`...).
 * Parsing, printing and the socket exchange live in parse.c, print.c and
 * client.c; this file only wires them to argv, the environment and exit. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

void cli_usage(FILE *f)
{
	fputs("Usage: vxnet [-S PATH] [-j] [-s] OBJECT COMMAND [ARGS]\n"
	      "       vxnet -h | -V\n"
	      "\n"
	      "  vxnet link add NAME [type vxlan] id VNI [dstport PORT] [local ADDR]\n"
	      "           [remote ADDR | group ADDR] [dev IFNAME] [learning | nolearning]\n"
	      "           [proxy | noproxy] [ageing SECS] [maxaddress N] [ttl N|auto]\n"
	      "           [tos N|inherit] [srcport MIN MAX] [mtu N] [address LLADDR]\n"
	      "           [netns NSNAME] [datapath user|kernel] [df set|unset|inherit]\n"
	      "           [localbypass | nolocalbypass]\n"
	      "  vxnet link set NAME [learning | nolearning] [ageing SECS] [ttl N|auto]\n"
	      "           [tos N|inherit] [remote ADDR | group ADDR] [local ADDR] [dev IFNAME]\n"
	      "           [mtu N] [address LLADDR] [df set|unset|inherit] [localbypass | nolocalbypass]\n"
	      "  vxnet link del NAME\n"
	      "  vxnet link show [NAME]\n"
	      "  vxnet fdb add|append|replace|del LLADDR dev NAME [dst ADDR] [vni VNI]\n"
	      "           [port PORT] [self] [permanent]\n"
	      "  vxnet fdb show [dev NAME]\n"
	      "  vxnet neigh add|replace|del ADDR [lladdr LLADDR] dev NAME [nud permanent]\n"
	      "  vxnet neigh show [dev NAME]\n"
	      "  vxnet monitor\n"
	      "  vxnet network create NAME id VNI subnet CIDR [mtu N] [dstport PORT]\n"
	      "           [datapath user|kernel]\n"
	      "  vxnet network del NAME\n"
	      "  vxnet network show [NAME]\n"
	      "  vxnet attach NETNS network NAME [ip ADDR/PLEN] [mac LLADDR] [ifname IF]\n"
	      "  vxnet detach NETNS network NAME\n"
	      "\n"
	      "Options:\n"
	      "  -S PATH  control socket (default: $VXNET_SOCKET, else " CTL_DEFAULT_SOCKET ")\n"
	      "  -j       JSON output\n"
	      "  -s       statistics (link show) and entry ages (fdb show)\n"
	      "  -h       this help\n"
	      "  -V       version\n",
	      f);
}

int main(int argc, char **argv)
{
	struct cli_cmd cmd;
	char err[512];
	const char *path;

	/* A closed stdout (e.g. `vxnet monitor | head -1`) is an error to
	 * report through write(), not a reason to die. */
	signal(SIGPIPE, SIG_IGN);
	if (argc < 2) {
		cli_usage(stderr);
		return CLI_EXIT_FAIL;
	}
	if (cli_parse(argc, argv, &cmd, err, sizeof(err))) {
		fprintf(stderr, "vxnet: %s\n", err);
		return CLI_EXIT_FAIL;
	}
	if (cmd.help) {
		cli_usage(stdout);
		return fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
	if (cmd.version) {
		printf("vxnet %s\n", VXNET_VERSION);
		return fflush(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
	path = cmd.socket;
	if (!path)
		path = getenv("VXNET_SOCKET");
	if (!path || !*path)
		path = CTL_DEFAULT_SOCKET;
	return cli_client_run(&cmd, path, stdout, stderr);
}
