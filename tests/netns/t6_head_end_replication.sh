#!/bin/bash
# Head-end replication: A's all-zeros entry lists two remotes (B and C, added
# with `fdb append`); A's broadcasts reach both. After
# `fdb del 00:00:00:00:00:00 dev vxlan0 dst <C>` floods reach B only.
#
#     vx-a-$$ (vxnetd, no remote;         vx-b-$$ (vxnetd,            vx-c-$$ (vxnetd,
#       append dst B, append dst C)         remote 198.18.0.1)          remote 198.18.0.1)
#     vxlan0 203.0.113.1/24               vxlan0 203.0.113.2/24       vxlan0 203.0.113.3/24
#     ul0 198.18.0.1/24                   ul0 198.18.0.2/24           ul0 198.18.0.3/24
#        |                                   |                           |
#        pa -------------------------- sw0 (vx-sw-$$) ------------------ pc
#                                            pb
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
	if [ "$h" = "$A" ]; then
		vx "$h" link add vxlan0 id 42 local 198.18.0.1 dstport 4789 dev ul0
	else
		vx "$h" link add vxlan0 id 42 local "198.18.0.$n" remote 198.18.0.1 dstport 4789 dev ul0
	fi
	ip -n "$h" addr add "203.0.113.$n/24" dev vxlan0
	ip -n "$h" link set vxlan0 up
	n=$((n + 1))
done
MAC_A=$(mac_of "$A" vxlan0)

expect_ok "A: fdb append all-zeros dst B" vx "$A" fdb append 00:00:00:00:00:00 dev vxlan0 dst 198.18.0.2
expect_ok "A: fdb append all-zeros dst C" vx "$A" fdb append 00:00:00:00:00:00 dev vxlan0 dst 198.18.0.3
fdb=$(vx "$A" fdb show)
expect_line "A: flood list has B" "$fdb" "00:00:00:00:00:00 dev vxlan0 dst 198.18.0.2 self permanent"
expect_line "A: flood list has C" "$fdb" "00:00:00:00:00:00 dev vxlan0 dst 198.18.0.3 self permanent"
expect_eq "A: flood list has exactly two remotes" "$(printf '%s\n' "$fdb" | grep -c '^00:00:00:00:00:00 ')" 2

arp_from_a='vxlan && ip.src==198.18.0.1 && arp.opcode==1 && arp.src.proto_ipv4==203.0.113.1'
# One ARP request from A (to resolve B) must be copied to B and to C.
start_capture capB "$B" ul0 udp port 4789
start_capture capC "$C" ul0 udp port 4789
expect_ping "A pings B through the flood list (2/2)" "$A" 203.0.113.2 2 2
stop_capture capB
stop_capture capC
expect_eq "B got A's ARP request" "$(tcount capB "$arp_from_a && arp.dst.proto_ipv4==203.0.113.2")" 1
expect_eq "C got a copy of the same ARP request" "$(tcount capC "$arp_from_a && arp.dst.proto_ipv4==203.0.113.2")" 1
expect_eq "C got nothing but that copy" "$(tcount capC vxlan)" 1
FLOOD_FROM_A='vxlan && ip.src==198.18.0.1 && eth.dst.ig==1' # the inner destination is a group address
expect_eq "that copy is what the flood filter sees" "$(tcount capC "$FLOOD_FROM_A")" 1
expect_line "C learned A from the copy" "$(vx "$C" fdb show)" "$MAC_A dev vxlan0 dst 198.18.0.1 self"
expect_ping "A pings C through the flood list (2/2)" "$A" 203.0.113.3 2 2

expect_ok "A: fdb del all-zeros dst C" vx "$A" fdb del 00:00:00:00:00:00 dev vxlan0 dst 198.18.0.3
fdb=$(vx "$A" fdb show)
expect_line "A: flood list still has B" "$fdb" "00:00:00:00:00:00 dev vxlan0 dst 198.18.0.2 self permanent"
expect_no_line "A: flood list no longer has C" "$fdb" "00:00:00:00:00:00 dev vxlan0 dst 198.18.0.3 self permanent"

# Floods after the del: a broadcast ping, and ARP requests for an address
# nobody has (203.0.113.99), so that A broadcasts them whatever its neighbour
# cache holds. (Re-resolving B is not a sure flood: B's own neighbour probe
# for A, sent 5 s after B last heard from A, lets A learn B again from the
# probe, and A then sends no broadcast.) Every request A sends must reach B
# exactly once, and C not at all.
start_capture capA2 "$A" vxlan0 arp
start_capture capB2 "$B" ul0 udp port 4789
start_capture capC2 "$C" ul0 udp port 4789
ip netns exec "$A" ping -n -q -c 1 -W 1 -I vxlan0 -b 203.0.113.255 >/dev/null 2>&1 || true
ip netns exec "$A" ping -n -q -c 1 -W 1 203.0.113.99 >/dev/null 2>&1 || true
expect_ping "A still pings B (2/2)" "$A" 203.0.113.2 2 2
# The kernel goes on asking for 203.0.113.99 after ping gives up; stop the
# captures once it has given up too (3 requests, 1 s apart), so A's and
# B's captures hold the same requests.
if ! wait_for 10 sh -c "! ip -n '$A' neigh show 203.0.113.99 | grep -q INCOMPLETE"; then
	notok "A stops resolving 203.0.113.99 within 10 s"
fi
stop_capture capA2
stop_capture capB2
stop_capture capC2
expect_ge "B still gets A's floods (broadcast ping)" \
	"$(tcount capB2 'vxlan && ip.src==198.18.0.1 && eth.dst==ff:ff:ff:ff:ff:ff && icmp.type==8')" 1
sent=$(tcount capA2 "arp.opcode==1 && arp.src.proto_ipv4==203.0.113.1 && arp.dst.proto_ipv4==203.0.113.99")
expect_ge "A broadcast ARP requests for 203.0.113.99" "$sent" 1
expect_eq "B got each of them once" "$(tcount capB2 "$arp_from_a && arp.dst.proto_ipv4==203.0.113.99")" "$sent"
# Only floods: A may still send C unicast frames (its own neighbour probe for
# C, 5 s after the pings to C), which go by C's learned MAC, not the flood list.
expect_eq "C gets none of A's floods any more (broadcast/multicast inner frames)" \
	"$(tcount capC2 "$FLOOD_FROM_A")" 0

finish
