#!/bin/bash
# Path MTU: the links are given `mtu 1500` (more than the 1450 bytes the
# 1500-byte underlay carries after 50 bytes of VXLAN/UDP/IPv4) and `dev ul0`.
# A too-big IPv4 packet is never fragmented on the underlay: with DF it
# gets ICMP "frag needed" with mtu 1450 through the TAP, and the sender
# learns a PMTU exception of 1450; without DF it is dropped too
# (tx_drop_too_big) and answered the same way, which a Linux sender takes
# into its route and fragments itself from then on (as the kernel's vxlan
# gets by updating a local sender's route); 1450-byte packets pass. An IPv6 overlay packet too big gets ICMPv6 "packet too big", mtu 1450.
# On the underlay: no fragments, DF on every outer packet.
#
# datapaths: user
# not on kernel: a kernel vxlan device cannot be given an MTU above what its
# dev carries (vxnet refuses `mtu 1500` over a 1500-byte dev there, as the
# kernel would silently lower it), so the sender's own stack meets the limit
# at the device and no ICMP comes from the datapath.
#
#     vx-a-$$ (vxnetd)                          vx-b-$$ (vxnetd)
#     vxlan0 mtu 1500                           vxlan0 mtu 1500
#       203.0.113.1/24, 2001:db8:1::1/64          203.0.113.2/24, 2001:db8:1::2/64
#     id 42 remote 198.18.0.2 dev ul0           id 42 remote 198.18.0.1 dev ul0
#     ul0 198.18.0.1/24 mtu 1500 ============== ul0 198.18.0.2/24 mtu 1500
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping tcpdump tshark
need_vxnet

A=vx-a-$$ B=vx-b-$$
add_ns "$A" ipv6
add_ns "$B" ipv6
underlay "$A" "$B" 1500
start_vxnetd "$A"
start_vxnetd "$B"
vx "$A" link add vxlan0 id 42 local 198.18.0.1 remote 198.18.0.2 dstport 4789 dev ul0 mtu 1500
vx "$B" link add vxlan0 id 42 local 198.18.0.2 remote 198.18.0.1 dstport 4789 dev ul0 mtu 1500
n=1
for h in $A $B; do
	ip -n "$h" addr add "203.0.113.$n/24" dev vxlan0
	ip -n "$h" addr add "203.0.113.1$n/24" dev vxlan0
	ip -n "$h" addr add "203.0.113.2$n/24" dev vxlan0
	ip -n "$h" addr add "2001:db8:1::$n/64" dev vxlan0 nodad
	ip -n "$h" link set vxlan0 up
	n=$((n + 1))
done
expect_eq "A's vxlan0 has the configured MTU 1500" \
	"$(ip -n "$A" -o link show vxlan0 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')" 1500

start_capture ul "$A" ul0 udp port 4789
expect_ping "A pings B over the overlay (2/2)" "$A" 203.0.113.2 2 2

# --- IPv4 without DF: 1472 + 28 = 1500 bytes fits the TAP, not the underlay.
# (To B's second address: the exception is per destination.)
d0=$(counter "$A" vxlan0 tx_drop_too_big)
i0=$(counter "$A" vxlan0 tx_icmp_too_big)
# The first request is lost at A, the first reply at B (each side learns
# once, as with the kernel's vxlan): from the third on they cross.
expect_ge "1500-byte pings without DF: once both sides learned, they cross, fragmented by the senders (>= 2/4)" \
	"$(ping_recv "$A" 203.0.113.12 4 -M dont -s 1472)" 2
expect_ge "tx_drop_too_big counted the first" "$(delta "$d0" "$(counter "$A" vxlan0 tx_drop_too_big)")" 1
expect_ge "frag needed went back for it" "$(delta "$i0" "$(counter "$A" vxlan0 tx_icmp_too_big)")" 1
expect_eq "the sender keeps an exception of 1450 for that destination" \
	"$(ip -n "$A" route get 203.0.113.12 | grep -c 'mtu 1450' || true)" 1
expect_eq "... and none for the other" "$(ip -n "$A" route get 203.0.113.2 | grep -c 'mtu 1450' || true)" 0

# --- IPv4 with DF: ICMP 3/4 with mtu 1450, the kernel records it.
i0=$(counter "$A" vxlan0 tx_icmp_too_big)
out=$(ip netns exec "$A" ping -n -c 2 -i 0.3 -W 1 -M "do" -s 1472 203.0.113.2 2>&1 || true)
expect_match "ping -M do -s 1472 is told 'Frag needed ... (mtu = 1450)'" "$out" \
	".*(Frag needed and DF set \(mtu = 1450\)|[Mm]essage too long, mtu=1450).*"
expect_match "the first reply is the ICMP from the daemon (not a local error)" "$out" \
	"From 203\.0\.113\.2 icmp_seq=1 Frag needed and DF set \(mtu = 1450\)"
expect_ge "tx_icmp_too_big went up" "$(delta "$i0" "$(counter "$A" vxlan0 tx_icmp_too_big)")" 1
expect_match "ip route get shows the learned PMTU exception 1450" \
	"$(ip -n "$A" route get 203.0.113.2)" ".* mtu 1450.*"
expect_eq "a 1450-byte DF ping passes (2/2)" "$(ping_recv "$A" 203.0.113.2 2 -M "do" -s 1422)" 2

# --- IPv6: 1452 + 48 = 1500 bytes -> ICMPv6 packet too big, mtu 1450.
expect_eq "A pings B over IPv6 (2/2)" "$(ping_recv "$A" 2001:db8:1::2 2 -6)" 2
i0=$(counter "$A" vxlan0 tx_icmp_too_big)
out=$(ip netns exec "$A" ping -6 -n -c 2 -i 0.3 -W 1 -s 1452 2001:db8:1::2 2>&1 || true)
expect_match "ping -6 -s 1452 is told 'Packet too big: mtu=1450'" "$out" \
	".*(Packet too big: mtu=1450|[Mm]essage too long, mtu=1450).*"
expect_ge "tx_icmp_too_big went up for IPv6" "$(delta "$i0" "$(counter "$A" vxlan0 tx_icmp_too_big)")" 1
expect_match "ip -6 route get shows the learned PMTU 1450" \
	"$(ip -n "$A" -6 route get 2001:db8:1::2)" ".* mtu 1450.*"
expect_eq "a 1450-byte IPv6 ping passes (2/2)" "$(ping_recv "$A" 2001:db8:1::2 2 -6 -s 1402)" 2

stop_capture ul
expect_ge "VXLAN packets were captured on the underlay" "$(tcount ul 'vxlan')" 8
# (ip.X#1: the outer header; inner packets may be fragments without DF.)
expect_eq "no outer fragments on the underlay" "$(tcount ul 'ip.flags.mf#1==1 || ip.frag_offset#1>0')" 0
expect_eq "every outer packet from A has DF set" "$(tcount ul 'ip.src#1==198.18.0.1 && ip.flags.df#1==0')" 0
expect_eq "no outer packet exceeds 1500 bytes" "$(tcount ul 'ip.len#1>1500')" 0
expect_eq "no inner packet above 1450 bytes crossed" "$(tcount ul 'vxlan && (ip.len#2>1450 || ipv6.plen>1410)')" 0
expect_ge "full-size 1450-byte inner packets did cross" "$(tcount ul 'vxlan && (ip.len#2==1450 || ipv6.plen==1410)')" 8

# --- The underlay grows: the very next big packet is carried, never
# answered with the old limit (vxnetd looks before it tells anyone to shrink).
for h in $A $B; do
	ip -n "$h" link set ul0 mtu 3000
	ip -n "$h" link set vxlan0 mtu 2950
done
# (To B's third address: the others carry exceptions from the cases above.)
expect_ping "right after ul0 went to 3000, a 2950-byte ping with DF crosses (3/3)" "$A" 203.0.113.22 3 3 -M do -s 2922
expect_eq "... and no smaller limit was told" "$(ip -n "$A" route get 203.0.113.22 | grep -c 'mtu 1450' || true)" 0

finish
