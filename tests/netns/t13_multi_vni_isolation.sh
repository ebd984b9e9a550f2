#!/bin/bash
# VNI isolation: one daemon per host, two links on the same UDP port with
# VNIs 100 and 200, and the SAME MACs and IP addresses in both VNIs (each TAP
# moved into its own container namespace). Traffic in VNI 100 never reaches
# VNI 200; the two FDBs are separate; both links share one UDP socket (on
# the user datapath one socket per worker, a SO_REUSEPORT group: rx_sockets
# of them), which stays while one link is left and closes with the last one.
#
#   vx-ca1-$$ vxlan1 MAC_A 203.0.113.1/24 --.              .-- vxlan1 MAC_B 203.0.113.2/24 vx-cb1-$$
#                                   (VNI 100)  vx-a-$$    vx-b-$$  (VNI 100)
#                                            vxnetd       vxnetd
#   vx-ca2-$$ vxlan2 MAC_A 203.0.113.1/24 --'  ul0 ====== ul0  '-- vxlan2 MAC_B 203.0.113.2/24 vx-cb2-$$
#                                   (VNI 200) 198.18.0.1  198.18.0.2 (VNI 200)
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping tcpdump tshark ss
need_vxnet

A=vx-a-$$ B=vx-b-$$
CA1=vx-ca1-$$ CA2=vx-ca2-$$ CB1=vx-cb1-$$ CB2=vx-cb2-$$
MAC_A=02:00:5e:00:53:0a MAC_B=02:00:5e:00:53:0b
for ns in $A $B $CA1 $CA2 $CB1 $CB2; do add_ns "$ns"; done
underlay "$A" "$B"
start_vxnetd "$A"
start_vxnetd "$B"
# host H, its address, the peer's, the MAC, containers for VNI 100 and 200, the overlay IP
make_host() {
	local h=$1 me=$2 peer=$3 mac=$4 c1=$5 c2=$6 ip=$7 i c
	for i in 1 2; do
		c=$c1
		[ $i = 2 ] && c=$c2
		vx "$h" link add vxlan$i id $((100 * i)) local "$me" remote "$peer" dstport 4789 address "$mac" netns "$c"
		ip -n "$c" addr add "$ip/24" dev vxlan$i
		ip -n "$c" link set vxlan$i up
	done
}
make_host "$A" 198.18.0.1 198.18.0.2 $MAC_A "$CA1" "$CA2" 203.0.113.1
make_host "$B" 198.18.0.2 198.18.0.1 $MAC_B "$CB1" "$CB2" 203.0.113.2
expect_eq "A's two TAPs have the same MAC" "$(mac_of "$CA1" vxlan1) $(mac_of "$CA2" vxlan2)" "$MAC_A $MAC_A"

udp4789() { ip netns exec "$1" ss -H -uln 'sport = :4789' | grep -c . || true; }
# One socket (group) per host, whatever the number of links.
group_a=1 group_b=1
if dp_is user; then
	group_a=$(counter "$A" vxlan1 rx_sockets)
	group_b=$(counter "$B" vxlan1 rx_sockets)
fi
expect_eq "A: one UDP socket (group of $group_a) on port 4789 serves both links" "$(udp4789 "$A")" "$group_a"

# --- VNI 100 only.
start_capture c2 "$CB2" vxlan2
start_capture a2 "$CA2" vxlan2
start_capture ul "$A" ul0 udp port 4789
expect_ping "VNI 100: container A1 pings B1 (3/3)" "$CA1" 203.0.113.2 3 3
stop_capture c2
stop_capture a2
stop_capture ul
expect_eq "B2's vxlan2 saw nothing of it" "$(tcount c2 'frame')" 0
expect_eq "A2's vxlan2 saw nothing of it" "$(tcount a2 'frame')" 0
expect_ge "the underlay carried it in VNI 100" "$(tcount ul 'vxlan.vni==100')" 8
expect_eq "nothing in any other VNI" "$(tcount ul 'udp.port==4789 && !(vxlan.vni==100)')" 0

fdb1=$(vx "$B" fdb show dev vxlan1)
fdb2=$(vx "$B" fdb show dev vxlan2)
expect_line "B: vxlan1 learned A's MAC" "$fdb1" "$MAC_A dev vxlan1 dst 198.18.0.1 self"
expect_no_line "B: vxlan2 did not" "$fdb2" "$MAC_A dev vxlan2 dst 198.18.0.1 self"
expect_eq "B: vxlan2 has only its flood entry" "$fdb2" "00:00:00:00:00:00 dev vxlan2 dst 198.18.0.1 self permanent"
expect_eq "B2's kernel has no neighbour entry for A (no ARP leaked)" "$(ip -n "$CB2" neigh show 203.0.113.1)" ""

# --- VNI 200 as well, then each FDB lists its own link.
expect_ping "VNI 200: container A2 pings B2 (3/3)" "$CA2" 203.0.113.2 3 3
expect_line "B: vxlan2 learned A's MAC now" "$(vx "$B" fdb show dev vxlan2)" "$MAC_A dev vxlan2 dst 198.18.0.1 self"
expect_eq "B: fdb show dev vxlan1 lists only vxlan1" "$(vx "$B" fdb show dev vxlan1 | grep -vc ' dev vxlan1 ' || true)" 0
expect_eq "B: fdb show dev vxlan2 lists only vxlan2" "$(vx "$B" fdb show dev vxlan2 | grep -vc ' dev vxlan2 ' || true)" 0
expect_ok "B: fdb del A's MAC in vxlan1" vx "$B" fdb del $MAC_A dev vxlan1
expect_no_line "B: it is gone from vxlan1" "$(vx "$B" fdb show dev vxlan1)" "$MAC_A dev vxlan1 dst 198.18.0.1 self"
expect_line "B: vxlan2's entry for the same MAC stays" "$(vx "$B" fdb show dev vxlan2)" "$MAC_A dev vxlan2 dst 198.18.0.1 self"

# --- delete A's vxlan1: vxlan2 keeps working on the same socket.
expect_ok "A: link del vxlan1" vx "$A" link del vxlan1
expect_eq "vxlan1 left container A1" "$(ip -n "$CA1" -br link show vxlan1 2>/dev/null | grep -c . || true)" 0
expect_eq "A: the UDP socket on 4789 is still open" "$(udp4789 "$A")" "$group_a"
expect_ping "VNI 200 still works after vxlan1 went (3/3)" "$CA2" 203.0.113.2 3 3
if dp_is user; then
	u0=$(counter "$A" vxlan2 rx_unknown_vni)
fi
expect_ping "B1 gets no answer in VNI 100 any more" "$CB1" 203.0.113.1 2 0
# The kernel drops an unknown VNI without a counter vxnet can read.
if dp_is user; then
	expect_ge "A counts B1's packets as unknown VNI" "$(delta "$u0" "$(counter "$A" vxlan2 rx_unknown_vni)")" 1
fi

expect_ok "A: link del vxlan2" vx "$A" link del vxlan2
expect_eq "A: no links left" "$(vx "$A" link show)" ""
expect_eq "A: nothing listens on UDP 4789 after the last link went" "$(udp4789 "$A")" 0
expect_eq "B: still one socket (group) on 4789" "$(udp4789 "$B")" "$group_b"

finish
