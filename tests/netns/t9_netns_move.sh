#!/bin/bash
# `link add ... netns NSNAME`: the TAP lives in a container namespace while
# vxnetd and its UDP socket stay in the host namespace; `link del` removes
# the device from the container.
#
#     vx-ca-$$ (container)        vx-oa-$$ (host A)                    vx-b-$$ (host B)
#     vxlan0 203.0.113.1/24 <~~~~ vxnetd (owns the TAP fd)             vxnetd, vxlan0 203.0.113.2/24
#                                 ul0 198.18.0.1/24 ================== ul0 198.18.0.2/24
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping
need_vxnet

CA=vx-ca-$$ OA=vx-oa-$$ B=vx-b-$$
for ns in $CA $OA $B; do add_ns "$ns"; done
underlay "$OA" "$B"
start_vxnetd "$OA"
start_vxnetd "$B"

expect_ok "host A: link add vxlan0 ... netns $CA" \
	vx "$OA" link add vxlan0 id 42 local 198.18.0.1 remote 198.18.0.2 dstport 4789 dev ul0 netns "$CA"
vx "$B" link add vxlan0 id 42 local 198.18.0.2 remote 198.18.0.1 dstport 4789 dev ul0
expect_ok "vxlan0 is in the container" ip -n "$CA" link show vxlan0
if ip -n "$OA" link show vxlan0 >/dev/null 2>&1; then
	notok "vxlan0 is not left in host A"
else
	ok "vxlan0 is not left in host A"
fi
ip -n "$CA" addr add 203.0.113.1/24 dev vxlan0
ip -n "$CA" link set vxlan0 up
ip -n "$B" addr add 203.0.113.2/24 dev vxlan0
ip -n "$B" link set vxlan0 up
MAC_CA=$(mac_of "$CA" vxlan0) MAC_B=$(mac_of "$B" vxlan0)

expect_ping "container pings host B over the moved TAP (3/3)" "$CA" 203.0.113.2 3 3
expect_ping "host B pings the container (3/3)" "$B" 203.0.113.1 3 3
expect_line "host A's daemon learned B for the moved link" "$(vx "$OA" fdb show)" \
	"$MAC_B dev vxlan0 dst 198.18.0.2 self"
expect_line "B learned the container's MAC behind host A" "$(vx "$B" fdb show)" \
	"$MAC_CA dev vxlan0 dst 198.18.0.1 self"

expect_ok "host A: link del vxlan0" vx "$OA" link del vxlan0
gone() { ! ip -n "$CA" link show vxlan0; }
if wait_for 2 gone; then ok "link del removed vxlan0 from the container"; else notok "link del removed vxlan0 from the container"; fi

finish
