#!/bin/bash
# Inner VLAN tags and the outer header's TTL, TOS and UDP source port.
# - 802.1Q-tagged inner frames (VLAN 100, sent by scapy into A's TAP: the
#   test kernel may lack 8021q) cross byte for byte (C15: carried unchanged);
#   a tagged DF IPv4 packet of 1450 bytes, too big for the underlay by the 4
#   bytes of the tag, gets "frag needed" with mtu 1446, tagged, back.
# - Outer TTL 64 for unicast by default; `ttl 5` gives 5. `tos 0x28` puts
#   DSCP 10 in the outer header; `tos inherit` copies the inner DSCP; the
#   default does not.
# - Outer source ports: one flow, one port; different UDP flows spread over
#   more than one port in 49152-65535; `srcport 50000 50010` confines them.
#
#     vx-a-$$ (vxnetd)                               vx-b-$$ (vxnetd, defaults)
#     vxlan0 id 42 (defaults)   203.0.113.1/28  ...  vxlan0 203.0.113.2/28
#       (scapy: VLAN 100, 198.51.100.1 -> 198.51.100.2)  (tcpdump)
#     vxlan1 id 43 ttl 5 tos 0x28 203.0.113.17/28 .. vxlan1 203.0.113.18/28
#     vxlan2 id 44 tos inherit srcport 50000 50010
#                               203.0.113.33/28 ...  vxlan2 203.0.113.34/28
#     ul0 198.18.0.1/24 ============================ ul0 198.18.0.2/24
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping tcpdump tshark sort
need_scapy
need_vxnet

A=vx-a-$$ B=vx-b-$$
add_ns "$A"
add_ns "$B"
underlay "$A" "$B"
start_vxnetd "$A"
start_vxnetd "$B"
opts=("" "ttl 5 tos 0x28" "tos inherit srcport 50000 50010")
for i in 0 1 2; do
	# shellcheck disable=SC2086
	if ! vx "$A" link add vxlan$i id $((42 + i)) local 198.18.0.1 remote 198.18.0.2 dstport 4789 ${opts[$i]} 2>"$TMP/err"; then
		# iproute2 reads TOS in hex (`tos 0x28`); go on with `tos 28` (hex too) to test the datapath.
		notok "A: link add vxlan$i ${opts[$i]} ($(cat "$TMP/err"))"
		vx "$A" link add vxlan$i id $((42 + i)) local 198.18.0.1 remote 198.18.0.2 dstport 4789 ttl 5 tos 28
	fi
	vx "$B" link add vxlan$i id $((42 + i)) local 198.18.0.2 remote 198.18.0.1 dstport 4789
	n=1
	for h in $A $B; do
		ip -n "$h" addr add "203.0.113.$((16 * i + n))/28" dev vxlan$i
		ip -n "$h" link set vxlan$i up
		n=$((n + 1))
	done
done
expect_match "A: link show reports ttl 5 and tos 0x28 on vxlan1" "$(vx "$A" link show vxlan1)" \
	".* ttl 5 .*tos 0x28( .*|$)"

start_capture ul "$A" ul0 udp port 4789

# --- VLAN: tagged frames from A's TAP; B's TAP must get them unchanged.
MAC_A=$(mac_of "$A" vxlan0) MAC_B=$(mac_of "$B" vxlan0)
expect_ping "A pings B on vxlan0 (B's MAC is learned)" "$A" 203.0.113.2 2 2
if dp_is user; then
	i0=$(counter "$A" vxlan0 tx_icmp_too_big)
fi
start_capture tapA "$A" vxlan0
start_capture tapB "$B" vxlan0
ip netns exec "$A" "$PY" - "$MAC_A" "$MAC_B" "$TMP/vlan.hex" <<'PYEOF'
import sys, time
from scapy.all import Dot1Q, Ether, ICMP, IP, Raw, sendp
a, b, out = sys.argv[1:4]
def tagged(dst, size, seq):
    return (Ether(src=a, dst=dst) / Dot1Q(vlan=100, prio=3) /
            IP(src="198.51.100.1", dst="198.51.100.2", flags="DF") / ICMP(id=0x7412, seq=seq) / Raw(bytes(size)))
small = [tagged(b, 56, 1), tagged(b, 56, 2), tagged("ff:ff:ff:ff:ff:ff", 56, 3),
         tagged(b, 1418, 4)]            # 1446-byte IP packet: exactly fits with the tag
with open(out, "w") as f:
    for fr in small:
        f.write(bytes(fr).hex() + "\n")
        sendp(fr, iface="vxlan0", verbose=False)
        time.sleep(0.05)
try:
    sendp(tagged(b, 1422, 5), iface="vxlan0", verbose=False)   # 1450 bytes + tag: too big
except OSError:
    pass  # the kernel device refuses it at the socket
PYEOF
sleep 0.3
stop_capture tapA
stop_capture tapB
received=$("$PY" - "$TMP/tapB.pcap" <<'PYEOF'
import sys
from scapy.all import rdpcap
for p in rdpcap(sys.argv[1]):
    print(bytes(p).hex())
PYEOF
)
names=("unicast" "second unicast" "broadcast" "1446-byte")
i=0
while read -r hex; do
	expect_line "the tagged ${names[$i]} frame reached B's TAP unchanged" "$received" "$hex"
	i=$((i + 1))
done <"$TMP/vlan.hex"
expect_eq "scapy sent the 4 tagged frames that fit" "$i" 4
expect_eq "the tagged 1450-byte IP packet did not reach B" "$(tcount tapB 'vlan && icmp.seq==5')" 0
# vxnetd answers a frame above the path MTU with the ICMP the sender needs;
# the kernel device refuses a frame above its own MTU at the sender's socket
# (sendp fails: EMSGSIZE), so there is no ICMP to look for there.
if dp_is user; then
	expect_eq "A got ICMP frag needed, mtu 1446, tagged VLAN 100, from 198.51.100.2" \
		"$(tcount tapA 'vlan.id==100 && ip.src==198.51.100.2 && icmp.type==3 && icmp.code==4 && icmp.mtu==1446')" 1
	expect_ge "tx_icmp_too_big counted it" "$(delta "$i0" "$(counter "$A" vxlan0 tx_icmp_too_big)")" 1
fi

# --- TTL and TOS: the default link, then ttl 5 tos 0x28, then tos inherit.
expect_eq "vxlan0: ping -Q 0x28 (3/3)" "$(ping_recv "$A" 203.0.113.2 3 -Q 0x28)" 3
expect_eq "vxlan1: ping (3/3)" "$(ping_recv "$A" 203.0.113.18 3)" 3
expect_eq "vxlan2: ping -Q 0x28 (3/3)" "$(ping_recv "$A" 203.0.113.34 3 -Q 0x28)" 3
expect_eq "vxlan2: ping without -Q (2/2)" "$(ping_recv "$A" 203.0.113.34 2)" 2

# --- UDP flows: 8 source ports x 3 datagrams on vxlan0 and on vxlan2.
ip netns exec "$A" "$PY" - <<'PYEOF'
import socket, time
for dst in ("203.0.113.2", "203.0.113.34"):
    for i in range(8):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", 6000 + i))
        for _ in range(3):
            s.sendto(b"vxnet-t12", (dst, 7000 + i))
            time.sleep(0.01)
        s.close()
PYEOF
stop_capture ul

# ---- VLAN checks
expect_eq "the underlay carried the 4 tagged frames as VLAN 100 inside VXLAN" \
	"$(tcount ul 'vxlan.vni==42 && vlan.id==100 && vlan.priority==3 && icmp.ident==0x7412')" 4
expect_eq "every tagged frame on the underlay has VLAN 100" "$(tcount ul 'vlan && vlan.id!=100')" 0
expect_eq "no tagged 1450-byte IP packet crossed" "$(tcount ul 'vlan && ip.len#2==1450')" 0
expect_eq "the 1446-byte one went in a 1500-byte outer packet" "$(tcount ul 'vlan && ip.len#2==1446 && ip.len#1==1500')" 1

# outer field F (first occurrence) of the packets matching FILTER, sorted and unique
outer() { tfields ul "$1" "$2" | cut -d, -f1 | sort -u | tr '\n' ' '; }
FROM_A='ip.src#1==198.18.0.1'
expect_eq "vxlan0: outer TTL of A's packets is 64" "$(outer "$FROM_A && vxlan.vni==42" ip.ttl)" "64 "
expect_eq "vxlan1: outer TTL of A's packets is 5 (ttl 5)" "$(outer "$FROM_A && vxlan.vni==43" ip.ttl)" "5 "
expect_eq "vxlan2: outer TTL of A's packets is 64" "$(outer "$FROM_A && vxlan.vni==44" ip.ttl)" "64 "
expect_eq "vxlan0: the 3 echo requests of ping -Q 0x28 have inner DSCP 10" \
	"$(tcount ul "$FROM_A && vxlan.vni==42 && icmp.type==8 && ip.dsfield.dscp#2==10")" 3
expect_eq "vxlan0: their outer DSCP is 0 (no inherit by default)" \
	"$(outer "$FROM_A && vxlan.vni==42 && icmp.type==8 && ip.dsfield.dscp#2==10" ip.dsfield.dscp)" "0 "
expect_eq "vxlan1: outer DSCP 10 (tos 0x28) on every packet from A" "$(outer "$FROM_A && vxlan.vni==43" ip.dsfield.dscp)" "10 "
expect_eq "vxlan2: outer DSCP 10 for inner DSCP 10 (tos inherit)" \
	"$(outer "$FROM_A && vxlan.vni==44 && icmp.type==8 && ip.dsfield.dscp#2==10" ip.dsfield.dscp)" "10 "
expect_eq "vxlan2: outer DSCP 0 for inner DSCP 0 (tos inherit)" \
	"$(outer "$FROM_A && vxlan.vni==44 && icmp.type==8 && ip.dsfield.dscp#2==0" ip.dsfield.dscp)" "0 "
expect_eq "vxlan2: 3 + 2 echo requests were seen" "$(tcount ul "$FROM_A && vxlan.vni==44 && icmp.type==8")" 5

# ---- source ports: "outer-sport inner-sport" per UDP datagram from A.
ports() { tfields ul "$FROM_A && vxlan.vni==$1 && udp.dstport#2>=7000 && udp.dstport#2<7008" udp.srcport | tr ',' ' '; }
check_ports() {
	local vni=$1 lo=$2 hi=$3 what=$4 p
	p=$(ports "$vni")
	expect_eq "$what: the 24 datagrams were captured" "$(printf '%s\n' "$p" | grep -c .)" 24
	expect_eq "$what: every outer source port in $lo-$hi" \
		"$(printf '%s\n' "$p" | awk -v lo="$lo" -v hi="$hi" '$1 < lo || $1 > hi' | wc -l)" 0
	expect_eq "$what: each flow kept one outer source port" \
		"$(printf '%s\n' "$p" | sort -u | awk '{print $2}' | sort | uniq -d | wc -l)" 0
	expect_ge "$what: the 8 flows used more than one outer source port" \
		"$(printf '%s\n' "$p" | awk '{print $1}' | sort -u | wc -l)" 2
}
check_ports 42 49152 65535 "vxlan0 (default range)"
check_ports 44 50000 50010 "vxlan2 (srcport 50000 50010)"
expect_eq "vxlan2: the pings' outer source ports are in 50000-50010 too" \
	"$(tfields ul "$FROM_A && vxlan.vni==44" udp.srcport | cut -d, -f1 | awk '$1 < 50000 || $1 > 50010' | wc -l)" 0
expect_eq "vxlan2: one ping flow, one outer source port" \
	"$(tfields ul "$FROM_A && vxlan.vni==44 && icmp.type==8 && ip.dsfield.dscp#2==0" udp.srcport | sort -u | wc -l)" 1

finish
