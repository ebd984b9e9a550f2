#!/bin/bash
# ECN across the tunnel (RFC 6040 section 4.2, as the kernel's
# INET_ECN_decapsulate does it), on both datapaths: every outer x inner
# combination of Not-ECT, ECT(1), ECT(0), CE, for IPv4 and IPv6 inside,
# over an IPv4 and an IPv6 outer header.
#
#   vx-a-$$ (scapy: crafted VXLAN, outer TOS/traffic class set per packet)
#     ul0 198.18.0.1/24, 2001:db8::1/64 ===== ul0 198.18.0.2/24, 2001:db8::2/64  vx-b-$$ (vxnetd)
#                                               vxlan0 (IPv4 underlay) 203.0.113.2, 2001:db8:1::2
#                                               vxlan6 (IPv6 underlay, dstport 4790) 198.51.100.2, 2001:db8:2::2
#
# Expected on B's device (inner ECN after decapsulation):
#   outer Not-ECT: inner unchanged
#   outer ECT(0):  unchanged (over Not-ECT: delivered and counted/logged)
#   outer ECT(1):  ECT(0) becomes ECT(1); the rest unchanged (Not-ECT: counted)
#   outer CE:      ECT(0)/ECT(1) become CE, CE stays; over Not-ECT: dropped, counted
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip tcpdump
need_vxnet
need_scapy

A=vx-a-$$ B=vx-b-$$
add_ns "$A" ipv6
add_ns "$B" ipv6
underlay "$A" "$B"
ip -n "$A" addr add 2001:db8::1/64 dev ul0 nodad
ip -n "$B" addr add 2001:db8::2/64 dev ul0 nodad
start_vxnetd "$B"
vx "$B" link add vxlan0 id 42 local 198.18.0.2 dstport 4789 nolearning
vx "$B" link add vxlan6 id 42 local 2001:db8::2 dstport 4790 nolearning
ip -n "$B" addr add 203.0.113.2/24 dev vxlan0
ip -n "$B" addr add 2001:db8:1::2/64 dev vxlan0 nodad
ip -n "$B" addr add 198.51.100.2/24 dev vxlan6
ip -n "$B" addr add 2001:db8:2::2/64 dev vxlan6 nodad
ip -n "$B" link set vxlan0 up
ip -n "$B" link set vxlan6 up

if dp_is user; then
	dropc=rx_drop_ecn
else
	dropc=rx_errors # the kernel counts its ECN drops as frame errors
fi
d0=$(counter "$B" vxlan0 $dropc)
d60=$(counter "$B" vxlan6 $dropc)
if dp_is user; then
	l0=$(counter "$B" vxlan0 rx_ecn_not_ect)
	l60=$(counter "$B" vxlan6 rx_ecn_not_ect)
fi
# Resolve the underlay neighbours first: a datagram sent while ARP/ND is
# still pending may wait or be lost, which is not what this test is about.
expect_ping "A reaches B's underlay over IPv4" "$A" 198.18.0.2 1 1
expect_ping "A reaches B's underlay over IPv6" "$A" 2001:db8::2 1 1
start_capture c0 "$B" vxlan0
start_capture c6 "$B" vxlan6
ip netns exec "$A" "$PY" - "$(mac_of "$B" vxlan0)" "$(mac_of "$B" vxlan6)" >"$TMP/sent.txt" <<'PYEOF'
import socket, sys, time
from scapy.all import VXLAN, Ether, IP, IPv6, UDP, Raw
mac0, mac6 = sys.argv[1], sys.argv[2]
ids = []
for outer_fam, dst, port, mac, in4, in6 in ((4, "198.18.0.2", 4789, mac0, "203.0.113.2", "2001:db8:1::2"),
                                             (6, "2001:db8::2", 4790, mac6, "198.51.100.2", "2001:db8:2::2")):
    fam = socket.AF_INET if outer_fam == 4 else socket.AF_INET6
    s = socket.socket(fam, socket.SOCK_DGRAM)
    for outer in range(4):
        if outer_fam == 4:
            s.setsockopt(socket.IPPROTO_IP, socket.IP_TOS, outer)
        else:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_TCLASS, outer)
        for inner_fam in (4, 6):
            for inner in range(4):
                tag = outer_fam * 1000 + outer * 100 + inner_fam * 10 + inner
                if inner_fam == 4:
                    pkt = IP(src="203.0.113.77" if outer_fam == 4 else "198.51.100.77", dst=in4, tos=0x20 | inner, id=tag)
                else:
                    pkt = IPv6(src="2001:db8:1::77" if outer_fam == 4 else "2001:db8:2::77", dst=in6, tc=0x20 | inner, fl=tag)
                f = VXLAN(flags=0x08, vni=42) / Ether(src="02:00:5e:00:53:77", dst=mac) / pkt / UDP(sport=tag, dport=9) / Raw(b"t22")
                s.sendto(bytes(f), (dst, port))
                print(tag)
                time.sleep(0.01)
PYEOF
sleep 0.5
stop_capture c0
stop_capture c6
# tag -> inner ECN seen on B's devices, from both captures.
seen=$("$PY" - "$TMP/c0.pcap" "$TMP/c6.pcap" <<'PYEOF'
import sys
from scapy.all import rdpcap, IP, IPv6, UDP
for f in sys.argv[1:]:
    for p in rdpcap(f):
        if UDP in p and p[UDP].dport == 9:
            if IP in p:
                print(p[UDP].sport, p[IP].tos & 3)
            elif IPv6 in p:
                print(p[UDP].sport, p[IPv6].tc & 3)
PYEOF
)
names=(not-ect ect1 ect0 ce)
want() { # outer inner -> expected inner ECN, or "drop"
	local o=$1 i=$2
	case "$o$i" in
	30) echo drop ;;
	31 | 32 | 33) echo 3 ;;
	12) echo 1 ;;
	*) echo "$i" ;;
	esac
}
drops4=0 drops6=0
while read -r tag; do
	of=$((tag / 1000)) o=$((tag / 100 % 10)) ifm=$((tag / 10 % 10)) i=$((tag % 10))
	w=$(want "$o" "$i")
	got=$(printf '%s\n' "$seen" | awk -v t="$tag" '$1 == t { print $2 }' | head -n 1)
	desc="outer IPv$of ${names[$o]} over inner IPv$ifm ${names[$i]}"
	if [ "$w" = drop ]; then
		expect_eq "$desc: dropped" "${got:-none}" none
		if [ "$of" = 4 ]; then drops4=$((drops4 + 1)); else drops6=$((drops6 + 1)); fi
	else
		expect_eq "$desc: delivered as ${names[$w]}" "${got:-none}" "$w"
	fi
done <"$TMP/sent.txt"
expect_eq "scapy sent all 64 combinations" "$(grep -c . "$TMP/sent.txt")" 64
expect_eq "IPv4 underlay: the drops are counted ($dropc)" "$(delta "$d0" "$(counter "$B" vxlan0 $dropc)")" $drops4
expect_eq "IPv6 underlay: the drops are counted ($dropc)" "$(delta "$d60" "$(counter "$B" vxlan6 $dropc)")" $drops6
if dp_is user; then
	# ECT(0) and ECT(1) over Not-ECT, for each inner family: 4 per underlay.
	expect_eq "IPv4 underlay: ECT over Not-ECT counted (rx_ecn_not_ect)" \
		"$(delta "$l0" "$(counter "$B" vxlan0 rx_ecn_not_ect)")" 4
	expect_eq "IPv6 underlay: ECT over Not-ECT counted (rx_ecn_not_ect)" \
		"$(delta "$l60" "$(counter "$B" vxlan6 rx_ecn_not_ect)")" 4
	expect_match "the daemon logged the anomaly (rate-limited)" "$(cat "$TMP/vxnetd-$B.log")" \
		".*(dropped a packet marked CE|ECN-capable outer header over a not-ECN-capable).*"
fi

finish
