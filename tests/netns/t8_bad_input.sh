#!/bin/bash
# Bad input. Crafted UDP packets to B's port 4789 (no I flag, truncated,
# unknown VNI, random bytes) are dropped and counted by reason, exactly; a
# header with every reserved bit set but I set is accepted (RFC 7348) and its
# frame delivered; B keeps forwarding. Bad commands exit 2 with one
# `vxnet: ` line on stderr and change nothing.
#
#     vx-a-$$ (vxnetd; scapy sends from here)   vx-b-$$ (vxnetd, tcpdump on vxlan0)
#     vxlan0 203.0.113.1/24                     vxlan0 203.0.113.2/24
#     id 42 remote 198.18.0.2                   id 42 remote 198.18.0.1
#     ul0 198.18.0.1/24 ======================= ul0 198.18.0.2/24
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping tcpdump tshark cmp
need_scapy
need_vxnet

A=vx-a-$$ B=vx-b-$$
add_ns "$A"
add_ns "$B"
underlay "$A" "$B"
start_vxnetd "$A"
start_vxnetd "$B"
vx "$A" link add vxlan0 id 42 local 198.18.0.1 remote 198.18.0.2 dstport 4789 dev ul0
vx "$B" link add vxlan0 id 42 local 198.18.0.2 remote 198.18.0.1 dstport 4789 dev ul0
n=1
for h in $A $B; do
	ip -n "$h" addr add "203.0.113.$n/24" dev vxlan0
	ip -n "$h" link set vxlan0 up
	n=$((n + 1))
done
MAC_B=$(mac_of "$B" vxlan0)

# How many of each kind; the inner frames use EtherType 0x88b5 (local
# experimental) so that B's stack sends nothing back.
NOI=5 SHORT=4 UNK=3 RAND=2 RES=3 GOOD=2
read_socket_stats() {
	local c
	for c in rx_datagrams rx_short rx_bad_flags rx_unknown_vni; do counter "$B" vxlan0 $c; done | tr '\n' ' '
}
if dp_is user; then
	read -r d0 s0 f0 u0 <<<"$(read_socket_stats)"
fi
p0=$(counter "$B" vxlan0 rx_packets)

start_capture tap "$B" vxlan0
ip netns exec "$A" "$PY" - 198.18.0.2 4789 "$MAC_B" $NOI $SHORT $UNK $RAND $RES $GOOD <<'PYEOF'
import random, socket, sys, time
from scapy.all import VXLAN, Ether, Raw

dst, port, mac_b = sys.argv[1], int(sys.argv[2]), sys.argv[3]
noi, short, unk, rnd, res, good = map(int, sys.argv[4:10])

def frame(src):
    return Ether(dst=mac_b, src=src, type=0x88b5) / Raw(b"vxnet-t8" + bytes(50))

valid = bytes(VXLAN(flags=0x08, vni=42) / frame("02:00:5e:00:53:bb"))
assert valid[:8] == bytes.fromhex("0800000000002a00"), valid[:8].hex()
reserved = bytearray(bytes(VXLAN(flags=0x08, vni=42) / frame("02:00:5e:00:53:aa")))
reserved[0:4] = b"\xff\xff\xff\xff"   # I plus every reserved flag bit and the 24 reserved bits
reserved[7] = 0xff                    # the last reserved byte
no_i = bytearray(valid)
no_i[0] = 0x00
unknown = bytes(VXLAN(flags=0x08, vni=43) / frame("02:00:5e:00:53:cc"))
shorts = [valid[:4], valid[:8], valid[:8 + 13], valid[:1]]   # all below 8 + 14 bytes
rng = random.Random(7348)
rands = []
for _ in range(rnd):
    b = bytearray(rng.getrandbits(8) for _ in range(64))
    b[0] &= 0xf7                      # random, but never with the I flag
    rands.append(bytes(b))

pkts = [bytes(no_i)] * noi + [shorts[i % len(shorts)] for i in range(short)] + [unknown] * unk
pkts += rands + [bytes(reserved)] * res + [valid] * good
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for p in pkts:
    s.sendto(p, (dst, port))
    time.sleep(0.01)
PYEOF
total=$((NOI + SHORT + UNK + RAND + RES + GOOD))
if dp_is user; then
	datagrams_seen() { [ "$(delta "$d0" "$(counter "$B" vxlan0 rx_datagrams)")" = "$total" ]; }
	wait_for 3 datagrams_seen || true
else
	sleep 0.5
fi
stop_capture tap
# What RFC 7348 asks (reserved bits ignored on receive) is vxnetd's choice;
# the kernel drops a header with any reserved bit set (CONFORMANCE.md C2).
if dp_is user; then
	read -r d1 s1 f1 u1 <<<"$(read_socket_stats)"
	expect_eq "rx_datagrams rose by the $total datagrams sent" "$(delta "$d0" "$d1")" $total
	expect_eq "rx_short rose by the $SHORT truncated ones" "$(delta "$s0" "$s1")" $SHORT
	expect_eq "rx_bad_flags rose by the $NOI without I plus the $RAND random ones" "$(delta "$f0" "$f1")" $((NOI + RAND))
	expect_eq "rx_unknown_vni rose by the $UNK with VNI 43" "$(delta "$u0" "$u1")" $UNK
	ACCEPTED=$((RES + GOOD))
	expect_eq "frames under all-reserved-bits headers were delivered to the TAP" \
		"$(tcount tap 'eth.src==02:00:5e:00:53:aa && eth.type==0x88b5')" $RES
else
	ACCEPTED=$GOOD
	expect_eq "kernel: frames under all-reserved-bits headers were dropped" \
		"$(tcount tap 'eth.src==02:00:5e:00:53:aa && eth.type==0x88b5')" 0
fi
expect_eq "rx_packets rose by the $ACCEPTED accepted ones" \
	"$(delta "$p0" "$(counter "$B" vxlan0 rx_packets)")" $ACCEPTED
expect_eq "frames under valid headers were delivered to the TAP" \
	"$(tcount tap 'eth.src==02:00:5e:00:53:bb && eth.type==0x88b5')" $GOOD
expect_eq "nothing else reached the device" "$(tcount tap 'eth.type==0x88b5')" $ACCEPTED

if kill -0 "${DAEMON_OF[$B]}" 2>/dev/null; then ok "B's vxnetd is alive"; else notok "B's vxnetd is alive"; fi
expect_ping "A pings B after the bad packets (3/3)" "$A" 203.0.113.2 3 3

# --- bad commands, on B.
snapshot() {
	{
		vx "$B" fdb show
		echo ---
		vx "$B" link show
		echo ---
		vx "$B" neigh show
		echo ---
		ip -n "$B" -br link show
	} >"$1" 2>&1
}
snapshot "$TMP/before"
bad=(
	"link add vxbad id 16777216"
	"fdb add 02:42:zz:00:00:01 dev vxlan0 dst 198.18.0.1"
	"link add vxbad id 7 remote 198.18.0.1 group 239.1.1.1"
	"link add vxbad id 7 frobnicate"
	"li sh"
	"link add vxbad id 7 ageing"
	"link add vxbad id 7 dstport 65536"
	"fdb add 02:42:c0:a8:00:09 dev vxlan0"
	"fdb del 02:42:c0:a8:00:09 dev vxlan0 dst 198.18.0.1"
	"fdb add 02:42:c0:a8:00:09 dev nosuch0 dst 198.18.0.1"
	"fdb replace 00:00:00:00:00:00 dev vxlan0 dst 198.18.0.9"
	"neigh add 203.0.113.300 lladdr 02:42:c0:a8:00:09 dev vxlan0"
	"link add vxlan0 id 43"
	"link add vxlan9 id 42 local 198.18.0.2 dstport 4789"
)
for cmd in "${bad[@]}"; do
	rc=0
	# shellcheck disable=SC2086
	vx "$B" $cmd >"$TMP/bad.out" 2>"$TMP/bad.err" || rc=$?
	lines=$(wc -l <"$TMP/bad.err")
	if [ "$rc" = 2 ] && [ "$lines" = 1 ] && grep -q '^vxnet: ' "$TMP/bad.err" && [ ! -s "$TMP/bad.out" ]; then
		ok "vxnet $cmd: exit 2, $(cat "$TMP/bad.err")"
	else
		notok "vxnet $cmd: want exit 2 and one 'vxnet: ' line (exit $rc, $lines lines: $(head -c 200 "$TMP/bad.err" | tr '\n' '|'), stdout $(wc -c <"$TMP/bad.out") bytes)"
	fi
done
snapshot "$TMP/after"
if cmp -s "$TMP/before" "$TMP/after"; then
	ok "fdb show, link show, neigh show and the devices are byte-identical after the bad commands"
else
	notok "fdb show, link show, neigh show and the devices are byte-identical after the bad commands"
	diff "$TMP/before" "$TMP/after" | sed 's/^/#   /' || true
fi
if kill -0 "${DAEMON_OF[$B]}" 2>/dev/null; then ok "B's vxnetd is alive after the bad commands"; else notok "B's vxnetd is alive after the bad commands"; fi
expect_ping "A still pings B (3/3)" "$A" 203.0.113.2 3 3

finish
