#!/bin/bash
# The user datapath's workers never reorder a flow. Both daemons run 4 workers (more than this
# machine may have CPUs: the flows spread all the same). 16 UDP flows go A -> B at once, each a
# numbered sequence of datagrams; B answers every 10th datagram on the same addresses and ports,
# so that A's TAP would move the flow to the queue that wrote the answer, were its choice of
# queue not pinned by vxnetd's steering program. B checks that every flow arrived in strictly
# increasing order (losses are allowed, at most 10% in all, and counted). Counters prove that
# several workers carried the frames each way: A's TAP has 4 queues and at least 2 read frames,
# B's receive group has 4 sockets and at least 2 got datagrams, at least 2 of B's workers wrote
# into its TAP. Then the same over an IPv6 underlay with IPv6 inside. Last, a 2 s flood of
# 64-byte datagrams: what is lost is counted where it is lost (the TAP queue, the sockets),
# nothing inside vxnetd.
#
#   vx-a-$$ vxlan1 203.0.113.1/24 2001:db8:1::1/64            vx-b-$$ vxlan1 203.0.113.2/24 2001:db8:1::2/64
#           ul0 198.18.0.1/24 2001:db8::1/64 ====== veth ====== ul0 198.18.0.2/24 2001:db8::2/64
#   (VNI 42 over IPv4, VNI 43 over IPv6; vxnetd --workers 4 on both)
# datapaths: user
# not on kernel: the workers are vxnetd's own (the kernel has no threads of ours to reorder)
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip
need_vxnet

A=vx-a-$$ B=vx-b-$$
add_ns "$A" ipv6
add_ns "$B" ipv6
underlay "$A" "$B"
ip -n "$A" addr add 2001:db8::1/64 dev ul0 nodad
ip -n "$B" addr add 2001:db8::2/64 dev ul0 nodad
start_vxnetd "$A" --workers 4
start_vxnetd "$B" --workers 4
for h in "$A" "$B"; do
	n=1
	[ "$h" = "$B" ] && n=2
	vx "$h" link add vxlan1 id 42 dstport 4789 local "198.18.0.$n" remote "198.18.0.$((3 - n))"
	vx "$h" link add vxlan6 id 43 dstport 4789 local "2001:db8::$n" remote "2001:db8::$((3 - n))"
	ip -n "$h" addr add "203.0.113.$n/24" dev vxlan1
	ip -n "$h" addr add "2001:db8:1::$n/64" dev vxlan6 nodad
	ip -n "$h" link set vxlan1 up
	ip -n "$h" link set vxlan6 up
done
expect_ping "A pings B over the 4-worker daemons" "$A" 203.0.113.2 2 2
expect_ping "A pings B over IPv6 in IPv6" "$A" 2001:db8:1::2 2 2
expect_eq "A's TAP has 4 queues" "$(counter "$A" vxlan1 tap_queues)" 4
expect_eq "B's receive group has 4 sockets" "$(counter "$B" vxlan1 rx_sockets)" 4

# receiver PORT FAMILY: counts in-order and out-of-order datagrams per flow, answers every 40th.
cat >"$TMP/rx.py" <<'EOF'
import socket, struct, sys, time
port, fam = int(sys.argv[1]), socket.AF_INET6 if sys.argv[2] == "6" else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("::" if fam == socket.AF_INET6 else "0.0.0.0", port))
s.settimeout(3)
last, got, bad = {}, 0, 0
print("ready", flush=True)
while True:
    try:
        data, peer = s.recvfrom(2048)
    except socket.timeout:
        break
    if data == b"end":
        break
    flow, seq = struct.unpack("!II", data[:8])
    got += 1
    if seq <= last.get(flow, -1):
        bad += 1
        print("out of order: flow %d seq %d after %d" % (flow, seq, last[flow]), file=sys.stderr)
    else:
        last[flow] = seq
    if seq % 10 == 0:
        s.sendto(b"answer", peer)
print("flows %d received %d reordered %d" % (len(last), got, bad), flush=True)
EOF
# sender DST PORT FAMILY FLOWS COUNT: FLOWS sockets, COUNT numbered datagrams each, interleaved.
cat >"$TMP/tx.py" <<'EOF'
import socket, struct, sys, time
dst, port, fam, flows, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
af = socket.AF_INET6 if fam == "6" else socket.AF_INET
socks = []
for i in range(flows):
    s = socket.socket(af, socket.SOCK_DGRAM)
    s.setblocking(False)
    s.bind(("::" if af == socket.AF_INET6 else "0.0.0.0", 41000 + i))
    socks.append(s)
pad = bytes(200)
for seq in range(count):
    for i, s in enumerate(socks):
        try:
            s.sendto(struct.pack("!II", i, seq) + pad, (dst, port))
        except BlockingIOError:
            pass
        try:
            s.recv(64)  # the answers: read and forgotten
        except BlockingIOError:
            pass
    if seq % 25 == 24:
        time.sleep(0.002)  # a pace the slowest (sanitized) daemon keeps up with
time.sleep(0.5)
socks[0].sendto(b"end", (dst, port))
EOF

# order_check NAME DST FAMILY LINK
order_check() {
	local name=$1 dst=$2 fam=$3 link=$4 flows=16 count=1500 out got bad
	local ta0 rb0
	ta0=$(counter "$A" "$link" tx_packets)
	rb0=$(counter "$B" "$link" rx_packets)
	bg_start "rx-$name" "$B" timeout 60 "$PY" "$TMP/rx.py" 5555 "$fam"
	wait_for 5 grep -q ready "$TMP/rx-$name.out" || true
	ip netns exec "$A" timeout 60 "$PY" "$TMP/tx.py" "$dst" 5555 "$fam" $flows $count
	wait "${BG_PIDS[rx-$name]}" || true
	unset "BG_PIDS[rx-$name]"
	out=$(grep '^flows' "$TMP/rx-$name.out" || true)
	got=$(echo "$out" | awk '{print $4}')
	bad=$(echo "$out" | awk '{print $6}')
	expect_eq "$name: datagrams of all $flows flows arrived" "$(echo "$out" | awk '{print $2}')" $flows
	expect_ge "$name: at least 90% of the $((flows * count)) datagrams arrived" "${got:-0}" $((flows * count * 9 / 10))
	expect_eq "$name: no flow was reordered" "${bad:-missing}" 0
	head -n 5 "$TMP/rx-$name.err" | sed 's/^/# /'
	expect_ge "$name: A sent them (tx_packets)" "$(delta "$ta0" "$(counter "$A" "$link" tx_packets)")" $((flows * count * 9 / 10))
	expect_ge "$name: B received them (rx_packets)" "$(delta "$rb0" "$(counter "$B" "$link" rx_packets)")" $((flows * count * 9 / 10))
	expect_ge "$name: at least 2 of A's workers read frames from its TAP" "$(counter "$A" "$link" tx_workers_used)" 2
	expect_ge "$name: at least 2 of B's sockets received datagrams" "$(counter "$B" "$link" rx_sockets_used)" 2
	expect_ge "$name: at least 2 of B's workers wrote frames into its TAP" "$(counter "$B" "$link" rx_workers_used)" 2
	expect_ge "$name: A's workers wrote B's answers into its TAP" "$(counter "$A" "$link" rx_packets)" $((flows * count / 10 * 9 / 10))
}
order_check ipv4 203.0.113.2 4 vxlan1
order_check ipv6 2001:db8:1::2 6 vxlan6

# A flood of 64-byte datagrams for 2 s, faster than the daemons carry it: whatever is lost is
# lost where the kernel counts it (A's TAP queue: tap_tx_dropped; B's sockets: rx_sock_drops;
# the receiving application's socket), never inside vxnetd (its own drop counters stay 0),
# and the counters exist to say so.
cat >"$TMP/flood.py" <<'EOF'
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
n, t0 = 0, time.time()
while time.time() - t0 < 2:
    for _ in range(100):
        s.sendto(bytes(64), ("203.0.113.2", 5556))
    n += 100
print(n)
EOF
cat >"$TMP/sink.py" <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5556))
s.settimeout(2)
n = 0
try:
    while True:
        s.recv(128)
        n += 1
except socket.timeout:
    pass
print(n)
EOF
bg_start sink "$B" timeout 10 "$PY" "$TMP/sink.py"
sleep 0.3
sent=$(ip netns exec "$A" timeout 10 "$PY" "$TMP/flood.py")
wait "${BG_PIDS[sink]}" || true
unset "BG_PIDS[sink]"
got=$(cat "$TMP/sink.out")
echo "# flood: sent $sent, received $got; A tap_tx_dropped $(counter "$A" vxlan1 tap_tx_dropped)," \
	"A tx_blocked $(counter "$A" vxlan1 tx_blocked), B rx_sock_drops $(counter "$B" vxlan1 rx_sock_drops)"
expect_ge "flood: the receiver got datagrams" "${got:-0}" 1
for c in tap_tx_dropped tx_blocked; do
	expect_match "A counts $c" "$(counter "$A" vxlan1 "$c")" '[0-9][0-9]*'
done
expect_match "B counts rx_sock_drops" "$(counter "$B" vxlan1 rx_sock_drops)" '[0-9][0-9]*'
for h in "$A" "$B"; do
	for c in tx_errors rx_drop_tap upcalls_dropped tx_drop_blocked tx_drop_nobufs; do
		expect_eq "$h: $c is 0 (nothing lost inside vxnetd)" "$(counter "$h" vxlan1 "$c")" 0
	done
done
finish
