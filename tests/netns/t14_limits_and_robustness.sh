#!/bin/bash
# Limits and robustness.
# - `maxaddress 2`: once the table holds 2 entries, learning stops
#   (rx_learn_refused; the frames are still delivered) and `fdb add` exits 2
#   with "fdb is full"; the entries already there are untouched.
# - Control socket: a client that connects and closes at once, one that sends
#   100 KB of garbage, one that sends a truncated header and stays connected:
#   the daemon keeps answering `link show`.
# - With IPv6 disabled (as in every namespace of these tests) an IPv4 overlay
#   works, and a link with an IPv6 remote fails with exit 2, one line, and
#   changes nothing.
# - A second vxnetd on the same socket path refuses to start; the first goes on.
# - IPv4 outer UDP checksum: vxnetd sends zero; received datagrams with a zero
#   or a correct checksum are accepted, one with a wrong checksum is dropped
#   by the kernel before vxnetd sees it.
#
#     vx-a-$$ (vxnetd; scapy sends from here)   vx-b-$$ (vxnetd, maxaddress 2)
#     vxlan0 203.0.113.1/24                     vxlan0 203.0.113.2/24
#     id 42 remote 198.18.0.2                   id 42 (no remote: learned entries only)
#     ul0 198.18.0.1/24 ======================= ul0 198.18.0.2/24
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping tcpdump tshark cmp sysctl
need_scapy
need_vxnet

A=vx-a-$$ B=vx-b-$$
PERM=02:00:5e:00:53:e0
add_ns "$A"
add_ns "$B"
underlay "$A" "$B"
expect_eq "IPv6 is disabled in B before vxnetd starts" \
	"$(ip netns exec "$B" sysctl -n net.ipv6.conf.all.disable_ipv6)" 1
start_vxnetd "$A"
start_vxnetd "$B"
vx "$A" link add vxlan0 id 42 local 198.18.0.1 remote 198.18.0.2 dstport 4789 dev ul0
vx "$B" link add vxlan0 id 42 local 198.18.0.2 dstport 4789 dev ul0 maxaddress 2
n=1
for h in $A $B; do
	ip -n "$h" addr add "203.0.113.$n/24" dev vxlan0
	ip -n "$h" link set vxlan0 up
	n=$((n + 1))
done
MAC_A=$(mac_of "$A" vxlan0) MAC_B=$(mac_of "$B" vxlan0)
# Static kernel neighbours: no ARP probes land among the counted datagrams.
ip -n "$A" neigh replace 203.0.113.2 lladdr "$MAC_B" dev vxlan0 nud permanent
ip -n "$B" neigh replace 203.0.113.1 lladdr "$MAC_A" dev vxlan0 nud permanent
expect_ping "IPv4 overlay in namespaces without IPv6: A pings B (2/2)" "$A" 203.0.113.2 2 2

# send_vx KIND MAC...: from A to B's port 4789, one VXLAN packet per inner
# source MAC (EtherType 0x88b5, so B's stack sends nothing back). KIND: sock
# (through a UDP socket), or zero, good, bad: scapy-built UDP with that checksum.
send_vx() {
	ip netns exec "$A" "$PY" - "$MAC_B" "$@" <<'PYEOF'
import socket, sys, time
from scapy.all import IP, UDP, VXLAN, Ether, Raw, send
mac_b, kind, macs = sys.argv[1], sys.argv[2], sys.argv[3:]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for m in macs:
    vx = VXLAN(flags=0x08, vni=42) / Ether(dst=mac_b, src=m, type=0x88b5) / Raw(b"vxnet-t14" + bytes(50))
    if kind == "sock":
        s.sendto(bytes(vx), ("198.18.0.2", 4789))
    else:
        pkt = IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=50123, dport=4789) / vx
        good = IP(bytes(pkt))[UDP].chksum
        assert good not in (0, None)
        pkt[UDP].chksum = {"zero": 0, "good": good, "bad": good ^ 0x5a5a}[kind]
        send(pkt, verbose=False)
    time.sleep(0.05)
PYEOF
}

# --- maxaddress 2: one permanent entry, B has already learned A (2 in all).
fdb_b=$(vx "$B" fdb show)
expect_line "B learned A from the ping" "$fdb_b" "$MAC_A dev vxlan0 dst 198.18.0.1 self"
expect_ok "B: fdb add one permanent entry (the second of 2)" vx "$B" fdb add $PERM dev vxlan0 dst 198.18.0.1
before=$(vx "$B" fdb show)
expect_eq "B's fdb holds 2 entries" "$(printf '%s\n' "$before" | grep -c .)" 2
if dp_is user; then
	r0=$(counter "$B" vxlan0 rx_learn_refused)
fi
p0=$(counter "$B" vxlan0 rx_packets)
send_vx sock 02:00:5e:00:53:e1 02:00:5e:00:53:e2 02:00:5e:00:53:e3
# shellcheck disable=SC2317 # called through wait_for
got3() { [ "$(delta "$p0" "$(counter "$B" vxlan0 rx_packets)")" = 3 ]; }
wait_for 3 got3 || true
# The kernel refuses to learn past its limit without a counter of its own.
if dp_is user; then
	expect_eq "rx_learn_refused rose by the 3 new MACs" "$(delta "$r0" "$(counter "$B" vxlan0 rx_learn_refused)")" 3
fi
expect_eq "their frames were delivered all the same" "$(delta "$p0" "$(counter "$B" vxlan0 rx_packets)")" 3
expect_eq "B's fdb is unchanged (2 entries)" "$(vx "$B" fdb show)" "$before"
rc=0
vx "$B" fdb add 02:00:5e:00:53:e4 dev vxlan0 dst 198.18.0.1 2>"$TMP/err" || rc=$?
expect_eq "B: fdb add on the full table exits 2" "$rc" 2
expect_match "B: it says the fdb is full, on one line" "$(cat "$TMP/err")" "vxnet: fdb add: fdb is full.*"
expect_eq "B: ... and only one line" "$(wc -l <"$TMP/err")" 1
expect_eq "B's fdb is unchanged after the refused add" "$(vx "$B" fdb show)" "$before"
expect_ok "B: fdb replace of the permanent entry still works when full" \
	vx "$B" fdb replace $PERM dev vxlan0 dst 198.18.0.3
expect_ok "B: fdb del the permanent entry" vx "$B" fdb del $PERM dev vxlan0
send_vx sock 02:00:5e:00:53:e1
wait_for 3 sh -c "ip netns exec $B $VXNET -S $(sock_of "$B") fdb show | grep -q 02:00:5e:00:53:e1" || true
expect_line "with room again, B learns" "$(vx "$B" fdb show)" "02:00:5e:00:53:e1 dev vxlan0 dst 198.18.0.1 self"
expect_line "A's learned entry was untouched throughout" "$(vx "$B" fdb show)" "$MAC_A dev vxlan0 dst 198.18.0.1 self"

# --- IPv4 outer UDP checksums.
start_capture ul "$A" ul0 udp port 4789
expect_ping "A pings B (2/2)" "$A" 203.0.113.2 2 2
start_capture tapB "$B" vxlan0
if dp_is user; then
	d0=$(counter "$B" vxlan0 rx_datagrams)
fi
p0=$(counter "$B" vxlan0 rx_packets)
send_vx zero 02:00:5e:00:53:c0
send_vx good 02:00:5e:00:53:c1
send_vx bad 02:00:5e:00:53:c2
sleep 0.3
stop_capture ul
stop_capture tapB
expect_ge "vxnetd's packets were captured" "$(tcount ul 'ip.src==198.18.0.1 && vxlan && icmp')" 2
expect_eq "every packet vxnetd sent has UDP checksum zero" \
	"$(tcount ul 'ip.src==198.18.0.1 && vxlan && icmp && udp.checksum!=0')" 0
# tshark checks UDP checksums only when told to (status 1 = good, 0 = bad).
csum_count() { tshark -o udp.check_checksum:TRUE -n -r "$TMP/ul.pcap" -Y "$1" 2>/dev/null | grep -c . || true; }
expect_eq "the scapy packet with zero went out with zero" \
	"$(csum_count 'eth.src#2==02:00:5e:00:53:c0 && udp.checksum==0')" 1
expect_eq "the scapy packet with the correct checksum went out non-zero and correct" \
	"$(csum_count 'eth.src#2==02:00:5e:00:53:c1 && udp.checksum!=0 && udp.checksum.status==1')" 1
expect_eq "the one with the wrong checksum went out non-zero and wrong" \
	"$(csum_count 'eth.src#2==02:00:5e:00:53:c2 && udp.checksum!=0 && udp.checksum.status==0')" 1
# (The UDP socket's own counter is vxnetd's; the kernel's socket is its own.)
if dp_is user; then
	expect_eq "B's socket received the zero and the correct checksum, not the wrong one" \
		"$(delta "$d0" "$(counter "$B" vxlan0 rx_datagrams)")" 2
fi
expect_eq "both were delivered (rx_packets +2)" "$(delta "$p0" "$(counter "$B" vxlan0 rx_packets)")" 2
expect_eq "B's TAP got the zero-checksum frame" "$(tcount tapB 'eth.src==02:00:5e:00:53:c0')" 1
expect_eq "B's TAP got the correct-checksum frame" "$(tcount tapB 'eth.src==02:00:5e:00:53:c1')" 1
expect_eq "B's TAP did not get the wrong-checksum frame" "$(tcount tapB 'eth.src==02:00:5e:00:53:c2')" 0

# --- control socket robustness.
cat >"$TMP/clients.py" <<'PYEOF'
import os, socket, sys, time
path = sys.argv[1]
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    return s
conn().close()                                   # connect, close at once
g = conn()                                       # 100 KB of garbage
rnd = os.urandom(100 * 1024)
for i in range(0, len(rnd), 4096):
    try:
        g.send(rnd[i:i + 4096])
    except OSError as e:
        print("garbage send:", e)
        break
try:
    g.send(rnd[:65536])                          # one message far above the limit
except OSError as e:
    print("big send:", e)
t = conn()                                       # a truncated header, then silence
t.send(b"\x10\x00\x00")
print("ready", flush=True)
time.sleep(10)                                   # stay connected meanwhile
PYEOF
bg_start clients "$B" "$PY" "$TMP/clients.py" "$(sock_of "$B")"
wait_for 5 grep -q ready "$TMP/clients.out" || true
expect_line "the bad clients connected and sent" "$(cat "$TMP/clients.out")" "ready"
if kill -0 "${DAEMON_OF[$B]}" 2>/dev/null; then ok "B's vxnetd is alive after the bad clients"; else notok "B's vxnetd is alive after the bad clients"; fi
out=$(timeout 3 ip netns exec "$B" "$VXNET" -S "$(sock_of "$B")" link show vxlan0 2>&1) || true
expect_match "B still answers link show while a truncated client hangs on" "$out" "[0-9]+: vxlan0: mtu 1450 .*"
expect_ping "and still forwards (2/2)" "$A" 203.0.113.2 2 2
bg_stop clients

# --- a link with an IPv6 remote in a namespace without IPv6.
snapshot() { { vx "$B" link show; vx "$B" fdb show; ip -n "$B" -br link show; } >"$1" 2>&1; }
snapshot "$TMP/before"
rc=0
vx "$B" link add vxlan6 id 43 remote 2001:db8::2 dstport 4789 >"$TMP/out6" 2>"$TMP/err6" || rc=$?
expect_eq "B: link add with an IPv6 remote without IPv6 exits 2" "$rc" 2
expect_match "B: with one 'vxnet: link add: ' line" "$(cat "$TMP/err6")" "vxnet: link add: .+"
expect_eq "B: ... and only one line" "$(wc -l <"$TMP/err6")" 1
snapshot "$TMP/after"
if cmp -s "$TMP/before" "$TMP/after"; then
	ok "B: links, fdb and devices are unchanged after the refused IPv6 link"
else
	notok "B: links, fdb and devices are unchanged after the refused IPv6 link"
	diff "$TMP/before" "$TMP/after" | sed 's/^/#   /' || true
fi

# --- a second daemon on the same socket.
rc=0
# Its own state directory (in $TMP): the socket is what it must trip over.
timeout 5 ip netns exec "$B" "$VXNETD" -S "$(sock_of "$B")" --state "$TMP/state-second" >"$TMP/second.log" 2>&1 || rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 124 ]; then
	ok "a second vxnetd on the same socket exits non-zero ($rc): $(head -n 1 "$TMP/second.log")"
else
	notok "a second vxnetd on the same socket exits non-zero (exit $rc)"
fi
if [ -S "$(sock_of "$B")" ]; then ok "the first daemon's socket file is still there"; else notok "the first daemon's socket file is still there"; fi
expect_match "the first daemon still answers" "$(vx "$B" link show vxlan0 2>&1)" "[0-9]+: vxlan0: mtu 1450 .*"
expect_ping "and still forwards (2/2)" "$A" 203.0.113.2 2 2

finish
