#!/bin/bash
# Recipe 3: point-to-point with `remote` and a VNI above 65535 (5000000).
# Broadcasts go to the one remote, which learns the sender; tshark on the
# underlay decodes every VXLAN packet with VNI 5000000 and a valid header.
#
#     vx-a-$$                                   vx-b-$$
#     vxlan0 203.0.113.1/24                     vxlan0 203.0.113.2/24
#     vxnetd (id 5000000 remote 198.18.0.2)     vxnetd (id 5000000 remote 198.18.0.1)
#     ul0 198.18.0.1/24 ======================= ul0 198.18.0.2/24
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping tcpdump tshark
need_vxnet

A=vx-a-$$ B=vx-b-$$
add_ns "$A"
add_ns "$B"
underlay "$A" "$B"
for pair in "$A 1 2" "$B 2 1"; do
	set -- $pair
	start_vxnetd "$1"
	vx "$1" link add vxlan0 id 5000000 remote "198.18.0.$3" dstport 4789 dev ul0
	ip -n "$1" addr add "203.0.113.$2/24" dev vxlan0
	ip -n "$1" link set vxlan0 up
done
MAC_A=$(mac_of "$A" vxlan0) MAC_B=$(mac_of "$B" vxlan0)

expect_match "A: fdb show has the all-zeros entry to B" "$(vx "$A" fdb show)" \
	'00:00:00:00:00:00 dev vxlan0 dst 198\.18\.0\.2( via ul0)? self permanent'
expect_match "B: fdb show has the all-zeros entry to A" "$(vx "$B" fdb show)" \
	'00:00:00:00:00:00 dev vxlan0 dst 198\.18\.0\.1( via ul0)? self permanent'

start_capture cap "$A" ul0 udp port 4789
expect_ping "A pings B over VNI 5000000 (3/3)" "$A" 203.0.113.2 3 3
expect_ping "B pings A over VNI 5000000 (3/3)" "$B" 203.0.113.1 3 3
stop_capture cap

all=$(tcount cap vxlan)
expect_ge "tshark decodes VXLAN on the underlay" "$all" 8
expect_eq "every VXLAN packet carries vni 5000000" "$(tcount cap 'vxlan.vni==5000000')" "$all"
expect_eq "every VXLAN header is valid (flags 0x0800, reserved zero)" \
	"$(tcount cap "$STRICT_VXLAN")" "$all"
expect_eq "A's ARP request went to the remote" \
	"$(tcount cap 'vxlan && ip.dst==198.18.0.2 && arp.opcode==1 && eth.dst==ff:ff:ff:ff:ff:ff')" 1

expect_line "B learned A from the broadcast" "$(vx "$B" fdb show)" "$MAC_A dev vxlan0 dst 198.18.0.1 self"
expect_line "A learned B" "$(vx "$A" fdb show)" "$MAC_B dev vxlan0 dst 198.18.0.2 self"

finish
