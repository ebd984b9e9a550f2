#!/bin/bash
# Interop: vxnetd on one side, the Linux kernel vxlan driver on the other.
# Ping and ARP both ways, learning on both sides, and every VXLAN packet on
# the underlay decodes in tshark as a valid RFC 7348 header with VNI 42.
# T5_FAMILY=6 (t5b) runs the same over an IPv6 underlay.
#
#     vx-a-$$ (vxnetd)                          vx-b-$$ (kernel)
#     vxlan1 203.0.113.1/24  TAP, id 42         vxlan1 203.0.113.2/24  type vxlan id 42 dstport 4789
#     ul0 198.18.0.1/24 ======================= ul0 198.18.0.2/24
#         (2001:db8::1/64)                          (2001:db8::2/64)     with T5_FAMILY=6
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping tcpdump tshark bridge
need_vxnet

A=vx-a-$$ B=vx-b-$$
fam=${T5_FAMILY:-4}
if [ "$fam" = 6 ]; then
	UA=2001:db8::1 UB=2001:db8::2 PLEN=64 IPF=ipv6 MTU=1430 v6=ipv6
else
	UA=198.18.0.1 UB=198.18.0.2 PLEN=24 IPF=ip MTU=1450 v6=
fi
add_ns "$A" $v6
add_ns "$B" $v6
veth "$A" ul0 "$B" ul0
ip -n "$A" addr add "$UA/$PLEN" dev ul0 ${v6:+nodad}
ip -n "$B" addr add "$UB/$PLEN" dev ul0 ${v6:+nodad}

start_vxnetd "$A"
vx "$A" link add vxlan1 id 42 dstport 4789 local "$UA" remote "$UB" dev ul0
ip -n "$B" link add vxlan1 type vxlan id 42 dstport 4789 local "$UB" remote "$UA" dev ul0
for ns in $A $B; do
	# No IPv6 on the overlay even when the underlay has it: only ARP and ICMP.
	[ -z "$v6" ] || ip netns exec "$ns" sysctl -qw net.ipv6.conf.vxlan1.disable_ipv6=1
done
ip -n "$A" addr add 203.0.113.1/24 dev vxlan1
ip -n "$B" addr add 203.0.113.2/24 dev vxlan1
ip -n "$A" link set vxlan1 up
ip -n "$B" link set vxlan1 up
MAC_A=$(mac_of "$A" vxlan1) MAC_B=$(mac_of "$B" vxlan1)

expect_eq "vxnet TAP MTU is the underlay's minus the IPv$fam overhead" \
	"$(ip -n "$A" -o link show vxlan1 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')" $MTU

start_capture cap "$A" ul0 udp port 4789
expect_ping "vxnetd side pings kernel side (3/3)" "$A" 203.0.113.2 3 3
expect_ping "kernel side pings vxnetd side (3/3)" "$B" 203.0.113.1 3 3

# ARP both ways: with both neighbour caches empty, each side must resolve.
ip -n "$A" neigh flush dev vxlan1
ip -n "$B" neigh flush dev vxlan1
expect_ping "vxnetd side resolves and pings kernel side" "$A" 203.0.113.2 1 1
expect_match "vxnetd side's ARP got the kernel side's MAC" \
	"$(ip -n "$A" neigh show 203.0.113.2 dev vxlan1)" "203\.0\.113\.2 lladdr $MAC_B .*"
ip -n "$A" neigh flush dev vxlan1
ip -n "$B" neigh flush dev vxlan1
expect_ping "kernel side resolves and pings vxnetd side" "$B" 203.0.113.1 1 1
expect_match "kernel side's ARP got the vxnetd side's MAC" \
	"$(ip -n "$B" neigh show 203.0.113.1 dev vxlan1)" "203\.0\.113\.1 lladdr $MAC_A .*"
stop_capture cap

expect_line "vxnetd learned the kernel side" "$(vx "$A" fdb show)" "$MAC_B dev vxlan1 dst $UB self"
expect_line "the kernel learned the vxnetd side" \
	"$(ip netns exec "$B" bridge fdb show dev vxlan1 | sed 's/ *$//')" "$MAC_A dst $UA self"

for who in "A $UA 203.0.113.1 203.0.113.2" "B $UB 203.0.113.2 203.0.113.1"; do
	set -- $who
	expect_ge "underlay carried ARP requests from $1" \
		"$(tcount cap "vxlan && $IPF.src==$2 && arp.opcode==1 && arp.src.proto_ipv4==$3 && arp.dst.proto_ipv4==$4")" 1
	expect_ge "underlay carried ARP replies from $1" \
		"$(tcount cap "vxlan && $IPF.src==$2 && arp.opcode==2 && arp.src.proto_ipv4==$3")" 1
done

all=$(tcount cap vxlan)
expect_ge "tshark decodes VXLAN packets from both sides" "$all" 16
expect_eq "every VXLAN packet passes the strict header filter with vni 42" \
	"$(tcount cap "$STRICT_VXLAN && vxlan.vni==42")" "$all"
expect_eq "every VXLAN packet goes to UDP port 4789" "$(tcount cap 'vxlan && udp.dstport==4789')" "$all"
mine="vxlan && $IPF.src==$UA"
n_mine=$(tcount cap "$mine")
expect_ge "vxnetd sent VXLAN packets" "$n_mine" 8
expect_eq "vxnetd's UDP source ports are within 49152-65535" \
	"$(tcount cap "$mine && udp.srcport>=49152 && udp.srcport<=65535")" "$n_mine"
if [ "$fam" = 4 ]; then
	expect_eq "vxnetd sends IPv4 with DF set" "$(tcount cap "$mine && ip.flags.df==1")" "$n_mine"
	expect_eq "vxnetd sends IPv4 with UDP checksum zero" "$(tcount cap "$mine && udp.checksum==0")" "$n_mine"
else
	expect_eq "vxnetd sends IPv6 with a non-zero UDP checksum" "$(tcount cap "$mine && udp.checksum!=0")" "$n_mine"
fi

finish
