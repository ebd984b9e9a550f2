#!/bin/bash
# Two VNIs share one multicast group (issue 8 finding 4), as the kernel
# allows: A has VNI 100 and VNI 200 both on group 239.1.1.1 (user datapath:
# one socket joins the group once and counts its users; kernel datapath: the
# driver counts them). B is on VNI 100 only, C on VNI 200 only. Floods from
# B and C reach A through the group; after A deletes its VNI 100 link, its
# VNI 200 link still receives the group's floods from C; after the last
# link, A has left the group.
#
#     vx-a-$$: vxa VNI 100 203.0.113.1/24, vxb VNI 200 198.51.100.1/24
#     vx-b-$$: vxa VNI 100 203.0.113.2/24
#     vx-c-$$: vxb VNI 200 198.51.100.3/24
#     (all: group 239.1.1.1 dev ul0, dstport 4789)
#     ul0 198.18.0.1/24           ul0 198.18.0.2/24           ul0 198.18.0.3/24
#        |                            |                           |
#        p1 ------------------- sw0 (vx-sw-$$, bridge) ---------- p3
#                                     p2
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping
need_vxnet

SW=vx-sw-$$ A=vx-a-$$ B=vx-b-$$ C=vx-c-$$
add_switch "$SW"
n=1
for h in $A $B $C; do
	add_ns "$h"
	plug "$SW" "$h" "p$n" "198.18.0.$n/24"
	start_vxnetd "$h"
	n=$((n + 1))
done
# link NS NAME VNI ADDR/LEN: a link on the shared group, addressed and up.
link() {
	vx "$1" link add "$2" id "$3" group 239.1.1.1 dstport 4789 dev ul0 &&
		ip -n "$1" addr add "$4" dev "$2" && ip -n "$1" link set "$2" up
}
expect_ok "A: link vxa, VNI 100 on group 239.1.1.1" link "$A" vxa 100 203.0.113.1/24
expect_ok "A: link vxb, VNI 200 on the same group" link "$A" vxb 200 198.51.100.1/24
link "$B" vxa 100 203.0.113.2/24
link "$C" vxb 200 198.51.100.3/24

# member NS: how many times NS's ul0 is in 239.1.1.1 ("users N" or once).
member() {
	ip -n "$1" maddr show dev ul0 | awk '$1 == "inet" && $2 == "239.1.1.1" {print ($3 == "users" ? $4 : 1)}'
}
expect_match "A's ul0 is a member of 239.1.1.1" "$(member "$A")" "[0-9]+"
if dp_is user; then
	expect_eq "user datapath: A's one socket joined the group once for both links" "$(member "$A")" 1
fi

# flood_ping DESC NS DST: a ping that starts with an ARP request, which only
# the group carries (broadcast): every neighbour cache is flushed first.
flood_ping() {
	local h
	for h in $A $B $C; do ip -n "$h" neigh flush all; done
	expect_ping "$1" "$2" "$3" 3 3
}
flood_ping "VNI 100: B pings A through the group (3/3)" "$B" 203.0.113.1
flood_ping "VNI 200: C pings A through the group (3/3)" "$C" 198.51.100.1

expect_ok "A: link del vxa" vx "$A" link del vxa
expect_match "A's ul0 is still a member of 239.1.1.1" "$(member "$A")" "[0-9]+"
# A learned C from the first ping: forget it, so that A's answer to C's ARP
# does not prove anything; what must work is C's broadcast reaching A.
expect_ok "A: no learned entries left on vxb (fdb del of what was learned)" bash -c "
	for m in \$(ip netns exec $A $VXNET -S $(sock_of "$A") fdb show dev vxb | awk '!/permanent/ {print \$1}'); do
		ip netns exec $A $VXNET -S $(sock_of "$A") fdb del \$m dev vxb || exit 1
	done"
flood_ping "after vxa is gone, VNI 200 still gets the group's floods: C pings A (3/3)" "$C" 198.51.100.1
expect_ping "B on VNI 100 no longer reaches A (0/2)" "$B" 203.0.113.1 2 0

expect_ok "A: link del vxb" vx "$A" link del vxb
left() { [ -z "$(member "$A")" ]; }
if wait_for 5 left; then ok "with its last link gone A has left 239.1.1.1"; else notok "with its last link gone A has left 239.1.1.1 ($(member "$A"))"; fi
finish
