#!/bin/bash
# Meaningless addresses and MTUs are refused up front (issue 8 finding 6;
# the decisions are in docs/conformance.md): fdb dst 0.0.0.0, 255.255.255.255,
# 127.0.0.1, a group for a unicast MAC, an IPv4-mapped address; neigh
# addresses 0.0.0.0, 224.0.0.5, ff02::1 and lladdrs 00:00:00:00:00:00,
# ff:ff:ff:ff:ff:ff; link remote 127.0.0.1, 255.255.255.255, equal to local;
# mtu 65535. Each one twice:
# - through the CLI: exit 2, one line `vxnet: OBJ VERB: REASON`;
# - as a raw request to the daemon (tests/netns/vxctl.py, what a client that
#   skips the CLI's checks sends): refused, EINVAL, with the same REASON.
# Afterwards links, fdb, neighbours and devices are exactly as before, and the
# meaningful neighbours of those values are accepted (a flood entry to a
# group, mtu 65485).
#
#     vx-a-$$ (vxnetd)                          vx-b-$$ (no daemon)
#     vxlan0 id 42 local 198.18.0.1 remote 198.18.0.2 dev ul0
#     ul0 198.18.0.1/24 ======================= ul0 198.18.0.2/24
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip
need_vxnet

A=vx-a-$$ B=vx-b-$$
add_ns "$A"
add_ns "$B"
underlay "$A" "$B"
start_vxnetd "$A"
SA=$(sock_of "$A")
vx "$A" link add vxlan0 id 42 local 198.18.0.1 remote 198.18.0.2 dev ul0
vx "$A" fdb add 02:00:5e:00:53:01 dev vxlan0 dst 198.18.0.2
vx "$A" neigh add 203.0.113.2 lladdr 02:00:5e:00:53:01 dev vxlan0
snapshot() { { vx "$A" -j link show; vx "$A" fdb show; vx "$A" neigh show; ip -n "$A" -br link show; } 2>&1; }
before=$(snapshot)

M=02:00:5e:00:53:02
# refuse "CLI ARGS" "RAW REQUEST" REASON
refuse() {
	local cli=$1 raw=$2 why=$3 rc=0 obj verb
	obj=$(echo "$cli" | awk '{print $1}') verb=$(echo "$cli" | awk '{print $2}')
	# shellcheck disable=SC2086 # the words of the command
	ip netns exec "$A" "$VXNET" -S "$SA" $cli >"$TMP/out" 2>"$TMP/err" || rc=$?
	if [ "$rc" = 2 ] && [ "$(cat "$TMP/err")" = "vxnet: $obj $verb: $why" ] && [ ! -s "$TMP/out" ]; then
		ok "CLI refuses '$cli': $why"
	else
		notok "CLI refuses '$cli' with exit 2 and the line 'vxnet: $obj $verb: $why' (exit $rc: $(cat "$TMP/err" "$TMP/out"))"
	fi
	# shellcheck disable=SC2086
	expect_eq "daemon refuses the raw request ($raw)" "$(vxctl "$SA" raw $raw 2>&1)" "status=-22 why=$why objects=0"
}
refuse "fdb add $M dev vxlan0 dst 0.0.0.0" "fdb-add ifname=vxlan0 lladdr=$M dst=0.0.0.0" \
	"dst must not be unspecified (0.0.0.0/8 or ::)"
refuse "fdb add $M dev vxlan0 dst 255.255.255.255" "fdb-add ifname=vxlan0 lladdr=$M dst=255.255.255.255" \
	"dst must not be the broadcast address 255.255.255.255"
refuse "fdb replace $M dev vxlan0 dst 127.0.0.1" "fdb-replace ifname=vxlan0 lladdr=$M dst=127.0.0.1" \
	"dst must not be a loopback address (the frames would come straight back)"
refuse "fdb add $M dev vxlan0 dst 239.1.1.1" "fdb-add ifname=vxlan0 lladdr=$M dst=239.1.1.1" \
	"dst must be unicast for a unicast MAC (a group only for 00:00:00:00:00:00 or a multicast MAC)"
refuse "fdb append 00:00:00:00:00:00 dev vxlan0 dst 127.0.0.1" \
	"fdb-append ifname=vxlan0 lladdr=00:00:00:00:00:00 dst=127.0.0.1" \
	"dst must not be a loopback address (the frames would come straight back)"
refuse "fdb add $M dev vxlan0 dst ::ffff:198.18.0.2" "fdb-add ifname=vxlan0 lladdr=$M dst=::ffff:198.18.0.2" \
	"dst must not be an IPv4-mapped or -compatible IPv6 address (give the IPv4 address)"
refuse "neigh add 0.0.0.0 lladdr $M dev vxlan0" "neigh-add ifname=vxlan0 dst=0.0.0.0 lladdr=$M" \
	"address must not be unspecified (0.0.0.0/8 or ::)"
refuse "neigh add 224.0.0.5 lladdr $M dev vxlan0" "neigh-add ifname=vxlan0 dst=224.0.0.5 lladdr=$M" \
	"address must not be multicast (proxy ARP/ND never answers for a group)"
refuse "neigh replace ff02::1 lladdr $M dev vxlan0" "neigh-replace ifname=vxlan0 dst=ff02::1 lladdr=$M" \
	"address must not be multicast (proxy ARP/ND never answers for a group)"
refuse "neigh add 203.0.113.9 lladdr 00:00:00:00:00:00 dev vxlan0" \
	"neigh-add ifname=vxlan0 dst=203.0.113.9 lladdr=00:00:00:00:00:00" \
	"lladdr must not be 00:00:00:00:00:00 (no station has it)"
refuse "neigh add 203.0.113.9 lladdr ff:ff:ff:ff:ff:ff dev vxlan0" \
	"neigh-add ifname=vxlan0 dst=203.0.113.9 lladdr=ff:ff:ff:ff:ff:ff" \
	"lladdr must be a unicast MAC (not multicast or broadcast)"
refuse "link add vx1 id 43 remote 127.0.0.1" "link-add ifname=vx1 vni=43 remote=127.0.0.1" \
	"remote must not be a loopback address (the frames would come straight back)"
refuse "link add vx1 id 43 remote 255.255.255.255" "link-add ifname=vx1 vni=43 remote=255.255.255.255" \
	"remote must not be the broadcast address 255.255.255.255"
refuse "link add vx1 id 43 local 198.18.0.1 remote 198.18.0.1" \
	"link-add ifname=vx1 vni=43 local=198.18.0.1 remote=198.18.0.1" \
	"remote must not be local (the frames would come straight back)"
refuse "link add vx1 id 43 mtu 65535" "link-add ifname=vx1 vni=43 mtu=65535" \
	"mtu must be between 68 and 65485 (65535 minus the 50 bytes VXLAN adds over IPv4)"
refuse "link add vx1 id 43 local 2001:db8::1 mtu 65466" "link-add ifname=vx1 vni=43 local=2001:db8::1 mtu=65466" \
	"mtu must be between 68 and 65465 (65535 minus the 70 bytes VXLAN adds over IPv6)"

if kill -0 "${DAEMON_OF[$A]}" 2>/dev/null; then ok "vxnetd is alive"; else notok "vxnetd is alive"; fi
after=$(snapshot)
if [ "$after" = "$before" ]; then
	ok "links, fdb, neighbours and devices are exactly as before"
else
	notok "links, fdb, neighbours and devices are exactly as before"
	diff <(echo "$before") <(echo "$after") | sed 's/^/#   /' || true
fi

# What is meaningful next to those values is accepted.
expect_ok "fdb append 00:00:00:00:00:00 dst 239.1.1.1 (head-end replication to a group) is accepted" \
	vx "$A" fdb append 00:00:00:00:00:00 dev vxlan0 dst 239.1.1.1
expect_ok "fdb del of it" vx "$A" fdb del 00:00:00:00:00:00 dev vxlan0 dst 239.1.1.1
expect_ok "link add ... mtu 65485 (the largest an IPv4 underlay carries) is accepted" \
	vx "$A" link add vx2 id 44 mtu 65485
expect_eq "vx2 has MTU 65485" "$(ip -n "$A" -o link show vx2 | grep -o 'mtu [0-9]*')" "mtu 65485"
expect_ok "link del vx2" vx "$A" link del vx2
finish
