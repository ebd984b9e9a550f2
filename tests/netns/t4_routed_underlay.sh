#!/bin/bash
# Recipe 4: two hosts on different subnets behind a router namespace.
# The router sees UDP 4789 between 192.0.2.1 and 198.51.100.1 wrapping the
# overlay ICMP between 203.0.113.1 and 203.0.113.2.
#
#   vx-n1-$$                      vx-rt-$$ (ip_forward=1)                 vx-n2-$$
#   vx0 203.0.113.1/24                                                    vx0 203.0.113.2/24
#   vxnetd id 100 remote 198.51.100.1                     vxnetd id 100 remote 192.0.2.1
#   ul0 192.0.2.1/24 ------- r1 192.0.2.254/24   r2 198.51.100.254/24 ------- ul0 198.51.100.1/24
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping tcpdump tshark
need_vxnet

N1=vx-n1-$$ RT=vx-rt-$$ N2=vx-n2-$$
for ns in $N1 $RT $N2; do add_ns "$ns"; done
veth "$N1" ul0 "$RT" r1
veth "$RT" r2 "$N2" ul0
ip -n "$N1" addr add 192.0.2.1/24 dev ul0
ip -n "$RT" addr add 192.0.2.254/24 dev r1
ip -n "$RT" addr add 198.51.100.254/24 dev r2
ip -n "$N2" addr add 198.51.100.1/24 dev ul0
ip netns exec "$RT" sysctl -qw net.ipv4.ip_forward=1
ip -n "$N1" route add default via 192.0.2.254
ip -n "$N2" route add default via 198.51.100.254

start_vxnetd "$N1"
start_vxnetd "$N2"
vx "$N1" link add vx0 id 100 remote 198.51.100.1 local 192.0.2.1 dstport 4789 dev ul0
vx "$N2" link add vx0 id 100 remote 192.0.2.1 local 198.51.100.1 dstport 4789 dev ul0
ip -n "$N1" addr add 203.0.113.1/24 dev vx0
ip -n "$N2" addr add 203.0.113.2/24 dev vx0
ip -n "$N1" link set vx0 up
ip -n "$N2" link set vx0 up

expect_ping "underlay: n1 reaches n2 through the router" "$N1" 198.51.100.1 1 1
start_capture rt "$RT" r1 udp
expect_ping "overlay: n1 pings n2 across the router (3/3)" "$N1" 203.0.113.2 3 3
expect_ping "overlay: n2 pings n1 across the router (3/3)" "$N2" 203.0.113.1 3 3
stop_capture rt

fwd='udp.dstport==4789 && ip.src==192.0.2.1 && ip.dst==198.51.100.1'
rev='udp.dstport==4789 && ip.src==198.51.100.1 && ip.dst==192.0.2.1'
expect_ge "router saw UDP 4789 from 192.0.2.1 to 198.51.100.1" "$(tcount rt "$fwd")" 6
expect_ge "router saw UDP 4789 from 198.51.100.1 to 192.0.2.1" "$(tcount rt "$rev")" 6
expect_eq "it wraps 203.0.113.1 > 203.0.113.2 echo requests, vni 100" \
	"$(tcount rt "$fwd && vxlan.vni==100 && ip.src==203.0.113.1 && ip.dst==203.0.113.2 && icmp.type==8")" 3
expect_eq "and 203.0.113.2 > 203.0.113.1 echo replies, vni 100" \
	"$(tcount rt "$rev && vxlan.vni==100 && ip.src==203.0.113.2 && ip.dst==203.0.113.1 && icmp.type==0")" 3
expect_eq "no VXLAN packet crossed with another VNI" "$(tcount rt 'vxlan && vxlan.vni!=100')" 0

finish
