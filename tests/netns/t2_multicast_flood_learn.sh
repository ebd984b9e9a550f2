#!/bin/bash
# Recipe 2: three hosts, multicast flood-and-learn on group 239.1.1.1.
# Only A's first ARP request goes to the group (B and C both get it); the ARP
# reply and the echo requests/replies are unicast, and each side learns the other.
#
#     vx-a-$$                     vx-b-$$                     vx-c-$$
#     vxlan0 203.0.113.1/24       vxlan0 203.0.113.2/24       vxlan0 203.0.113.3/24
#     vxnetd  (VNI 6000, group 239.1.1.1 dev ul0, dstport 4789, on all three)
#     ul0 198.18.0.1/24           ul0 198.18.0.2/24           ul0 198.18.0.3/24
#        |                            |                           |
#        pa ------------------- sw0 (vx-sw-$$, bridge) ---------- pc
#                                     pb
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping tcpdump tshark
need_vxnet

SW=vx-sw-$$ A=vx-a-$$ B=vx-b-$$ C=vx-c-$$
add_switch "$SW"
n=1
for h in $A $B $C; do
	add_ns "$h"
	plug "$SW" "$h" "p$n" "198.18.0.$n/24"
	start_vxnetd "$h"
	vx "$h" link add vxlan0 id 6000 group 239.1.1.1 dstport 4789 dev ul0
	ip -n "$h" addr add "203.0.113.$n/24" dev vxlan0
	ip -n "$h" link set vxlan0 up
	n=$((n + 1))
done
MAC_A=$(mac_of "$A" vxlan0) MAC_C=$(mac_of "$C" vxlan0)

expect_match "A: fdb show has the group flood entry" "$(vx "$A" fdb show)" \
	'00:00:00:00:00:00 dev vxlan0 dst 239\.1\.1\.1( via ul0)? self permanent'

start_capture capA "$A" ul0 udp port 4789
start_capture capB "$B" ul0 udp port 4789
expect_ping "A pings C across the group (3/3)" "$A" 203.0.113.3 3 3
stop_capture capA
stop_capture capB

grp='vxlan && ip.dst==239.1.1.1'
expect_eq "A sent exactly one VXLAN packet to the group" "$(tcount capA "$grp")" 1
expect_eq "it is A's ARP request for 203.0.113.3" \
	"$(tcount capA "$grp && arp.opcode==1 && arp.src.proto_ipv4==203.0.113.1 && arp.dst.proto_ipv4==203.0.113.3")" 1
expect_eq "it goes to 01:00:5e:01:01:01 with TTL 1" \
	"$(tcount capA "$grp && eth.dst==01:00:5e:01:01:01 && ip.ttl==1")" 1
expect_eq "C's ARP reply is unicast to A" \
	"$(tcount capA 'vxlan && ip.src==198.18.0.3 && ip.dst==198.18.0.1 && arp.opcode==2')" 1
expect_eq "3 echo requests are unicast A -> C" \
	"$(tcount capA 'vxlan && ip.src==198.18.0.1 && ip.dst==198.18.0.3 && icmp.type==8')" 3
expect_eq "3 echo replies are unicast C -> A" \
	"$(tcount capA 'vxlan && ip.src==198.18.0.3 && ip.dst==198.18.0.1 && icmp.type==0')" 3
expect_eq "nothing else crossed A's underlay (1 + 1 + 3 + 3 packets)" "$(tcount capA vxlan)" 8
expect_eq "B received the group ARP request" \
	"$(tcount capB 'vxlan && ip.dst==239.1.1.1 && arp.opcode==1 && arp.dst.proto_ipv4==203.0.113.3')" 1
expect_eq "B received nothing else" "$(tcount capB vxlan)" 1

expect_line "A learned C" "$(vx "$A" fdb show)" "$MAC_C dev vxlan0 dst 198.18.0.3 self"
expect_line "C learned A" "$(vx "$C" fdb show)" "$MAC_A dev vxlan0 dst 198.18.0.1 self"
expect_line "B learned A from the group ARP" "$(vx "$B" fdb show)" "$MAC_A dev vxlan0 dst 198.18.0.1 self"

expect_ping "C pings A (3/3)" "$C" 203.0.113.1 3 3
expect_ping "B pings C (3/3)" "$B" 203.0.113.3 3 3

finish
