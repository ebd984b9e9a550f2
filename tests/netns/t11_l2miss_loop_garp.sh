#!/bin/bash
# Transmit misses, loops and ARP announcements.
# - A link with no remote, no group and no entries: a unicast frame to an
#   unknown MAC is dropped (tx_drop_no_fdb), reported as `l2miss MAC dev
#   vxlan1` by monitor, and nothing goes on the wire.
# - A VXLAN packet whose inner source MAC is the receiving link's own MAC is
#   a loop: dropped (rx_drop_loop), not delivered, not learned; the same packet
#   from another MAC is delivered.
# - With `proxy`: a gratuitous ARP (spa == tpa) and an ARP probe (spa
#   0.0.0.0) cross the overlay byte for byte; an ordinary ARP request for an
#   address with no neigh entry is consumed (l3miss, proxy_misses).
#
#     vx-a-$$ (vxnetd; scapy sends from here)   vx-b-$$ (vxnetd, tcpdump on vxlan0)
#     vxlan1 203.0.113.1/24 id 7 (no remote)
#     vxlan0 198.51.100.1/24 id 42 proxy        vxlan0 198.51.100.2/24 id 42
#            remote 198.18.0.2                         remote 198.18.0.1
#     ul0 198.18.0.1/24 ======================= ul0 198.18.0.2/24
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping tcpdump tshark
need_scapy
need_vxnet

A=vx-a-$$ B=vx-b-$$
UNKNOWN=02:00:5e:00:53:77
add_ns "$A"
add_ns "$B"
underlay "$A" "$B"
start_vxnetd "$A"
start_vxnetd "$B"
vx "$A" link add vxlan1 id 7 local 198.18.0.1 dstport 4789
vx "$A" link add vxlan0 id 42 local 198.18.0.1 remote 198.18.0.2 dstport 4789 dev ul0 proxy
vx "$B" link add vxlan0 id 42 local 198.18.0.2 remote 198.18.0.1 dstport 4789 dev ul0
ip -n "$A" addr add 203.0.113.1/24 dev vxlan1
ip -n "$A" link set vxlan1 up
n=1
for h in $A $B; do
	ip -n "$h" addr add "198.51.100.$n/24" dev vxlan0
	ip -n "$h" link set vxlan0 up
	n=$((n + 1))
done
MAC_A=$(mac_of "$A" vxlan0) MAC_B=$(mac_of "$B" vxlan0)
monitor_start monA "$A" vxlan1

# --- l2miss: the kernel knows the MAC, the link has no entry for it at all.
# (On both datapaths; where they differ, the branches say how.)
expect_eq "vxlan1 has no fdb entries" "$(vx "$A" fdb show dev vxlan1)" ""
ip -n "$A" neigh replace 203.0.113.77 lladdr $UNKNOWN dev vxlan1 nud permanent
if dp_is user; then m0=$(counter "$A" vxlan1 tx_drop_no_fdb); else m0=$(counter "$A" vxlan1 tx_dropped); fi
t0=$(counter "$A" vxlan1 tx_packets)
start_capture miss "$A" ul0 udp
expect_ping "a ping to the unknown MAC gets no reply (0/3)" "$A" 203.0.113.77 3 0
stop_capture miss
expect_eq "nothing went on the wire" "$(tcount miss 'udp')" 0
if dp_is user; then
	expect_ge "tx_drop_no_fdb counted the 3 echo requests" "$(delta "$m0" "$(counter "$A" vxlan1 tx_drop_no_fdb)")" 3
else
	# The kernel counts a frame with nowhere to go as a tx drop.
	expect_ge "tx_dropped counted the 3 echo requests" "$(delta "$m0" "$(counter "$A" vxlan1 tx_dropped)")" 3
fi
expect_eq "tx_packets did not move" "$(delta "$t0" "$(counter "$A" vxlan1 tx_packets)")" 0
wait_for 3 grep -qxF "l2miss $UNKNOWN dev vxlan1" "$TMP/monA.out" || true
expect_line "monitor printed l2miss for the unknown MAC" "$(cat "$TMP/monA.out")" "l2miss $UNKNOWN dev vxlan1"
expect_eq "vxlan1 still has no fdb entries" "$(vx "$A" fdb show dev vxlan1)" ""

# --- loop: a valid VXLAN packet carrying B's own MAC as the inner source.
# The user datapath counts these drops as rx_drop_loop; the kernel drops
# them too, with no counter that says why.
LOOPC=rx_drop_loop
dp_is user || LOOPC=
if [ -n "$LOOPC" ]; then
	l0=$(counter "$B" vxlan0 $LOOPC)
fi
p0=$(counter "$B" vxlan0 rx_packets)
start_capture loop "$B" vxlan0
ip netns exec "$A" "$PY" - 198.18.0.2 4789 "$MAC_B" <<'PYEOF'
import socket, sys, time
from scapy.all import VXLAN, Ether, Raw
dst, port, mac_b = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def send(src):
    f = VXLAN(flags=0x08, vni=42) / Ether(dst="ff:ff:ff:ff:ff:ff", src=src, type=0x88b5) / Raw(b"vxnet-t11" + bytes(50))
    s.sendto(bytes(f), (dst, port))
    time.sleep(0.05)
send(mac_b)
send(mac_b)
send("02:00:5e:00:53:11")   # the control: the same frame from another MAC
PYEOF
# shellcheck disable=SC2317 # called through wait_for
ctl_seen() { [ "$(delta "$p0" "$(counter "$B" vxlan0 rx_packets)")" = 1 ]; }
wait_for 3 ctl_seen || true
stop_capture loop
if [ -n "$LOOPC" ]; then
	expect_eq "rx_drop_loop rose by the 2 looped packets" "$(delta "$l0" "$(counter "$B" vxlan0 $LOOPC)")" 2
fi
expect_eq "rx_packets rose by the control packet only" "$(delta "$p0" "$(counter "$B" vxlan0 rx_packets)")" 1
expect_eq "the looped frames did not reach B's TAP" "$(tcount loop "eth.src==$MAC_B && eth.type==0x88b5")" 0
expect_eq "the control frame did" "$(tcount loop 'eth.src==02:00:5e:00:53:11 && eth.type==0x88b5')" 1
fdb_b=$(vx "$B" fdb show dev vxlan0)
expect_no_line "B did not learn its own MAC" "$fdb_b" "$MAC_B dev vxlan0 dst 198.18.0.1 self"
expect_line "B learned the control MAC" "$fdb_b" "02:00:5e:00:53:11 dev vxlan0 dst 198.18.0.1 self"

# --- ARP with proxy on A: announcements cross unchanged, a plain miss does not.
# (The kernel's proxy consumes every ARP request and reply it is handed,
# announcements too, and has no proxy counters: docs/datapaths.md.)
if dp_is user; then
	pm0=$(counter "$A" vxlan0 proxy_misses)
	pr0=$(counter "$A" vxlan0 proxy_replies)
fi
start_capture arpA "$A" vxlan0 arp
start_capture arpB "$B" vxlan0 arp
ip netns exec "$A" "$PY" - "$MAC_A" "$TMP/sent.hex" <<'PYEOF'
import sys, time
from scapy.all import ARP, Ether, sendp
mac, out = sys.argv[1], sys.argv[2]
frames = [
    # gratuitous ARP request: spa == tpa
    Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / ARP(op=1, hwsrc=mac, psrc="198.51.100.1", hwdst="00:00:00:00:00:00", pdst="198.51.100.1"),
    # gratuitous ARP reply
    Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / ARP(op=2, hwsrc=mac, psrc="198.51.100.1", hwdst=mac, pdst="198.51.100.1"),
    # ARP probe (RFC 5227): spa 0.0.0.0
    Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / ARP(op=1, hwsrc=mac, psrc="0.0.0.0", hwdst="00:00:00:00:00:00", pdst="198.51.100.50"),
]
with open(out, "w") as f:
    for fr in frames:
        f.write(bytes(fr).hex() + "\n")
        sendp(fr, iface="vxlan0", verbose=False)
        time.sleep(0.05)
# an ordinary request for an address without a neigh entry
sendp(Ether(dst="ff:ff:ff:ff:ff:ff", src=mac) / ARP(op=1, hwsrc=mac, psrc="198.51.100.1", pdst="198.51.100.60"),
      iface="vxlan0", verbose=False)
PYEOF
sleep 0.5
stop_capture arpA
stop_capture arpB
# The ARP frames on B's TAP, as hex, Ethernet padding (to 60 bytes) cut off.
received=$("$PY" - "$TMP/arpB.pcap" <<'PYEOF'
import sys
from scapy.all import rdpcap
for p in rdpcap(sys.argv[1]):
    print(bytes(p)[:42].hex())
PYEOF
)
expect_eq "A's device carried the 4 ARP frames scapy sent, nothing else" "$(tcount arpA 'arp')" 4
expect_eq "the request for 198.51.100.60 did not reach B" "$(tcount arpB 'arp.dst.proto_ipv4==198.51.100.60')" 0
wait_for 3 grep -qxF "l3miss 198.51.100.60 dev vxlan0" "$TMP/monA.out" || true
expect_line "A's monitor printed l3miss for 198.51.100.60" "$(cat "$TMP/monA.out")" "l3miss 198.51.100.60 dev vxlan0"
if dp_is user; then
	names=("gratuitous ARP request" "gratuitous ARP reply" "ARP probe (spa 0.0.0.0)")
	i=0
	while read -r hex; do
		expect_line "the ${names[$i]} reached B unchanged" "$received" "$hex"
		i=$((i + 1))
	done <"$TMP/sent.hex"
	expect_eq "scapy wrote the 3 announcements it sent" "$i" 3
	expect_eq "B saw exactly the 3 announcements" "$(tcount arpB 'arp')" 3
	expect_no_line "no l3miss for the gratuitous ARP" "$(cat "$TMP/monA.out")" "l3miss 198.51.100.1 dev vxlan0"
	expect_no_line "no l3miss for the probe" "$(cat "$TMP/monA.out")" "l3miss 198.51.100.50 dev vxlan0"
	expect_eq "proxy_misses rose by the one plain request" "$(delta "$pm0" "$(counter "$A" vxlan0 proxy_misses)")" 1
	expect_eq "proxy_replies did not move" "$(delta "$pr0" "$(counter "$A" vxlan0 proxy_replies)")" 0
else
	expect_eq "kernel proxy: B saw none of the ARP frames (the kernel consumes them all)" "$(tcount arpB 'arp')" 0
	expect_line "kernel proxy: l3miss for the gratuitous request's target" "$(cat "$TMP/monA.out")" \
		"l3miss 198.51.100.1 dev vxlan0"
fi

finish
