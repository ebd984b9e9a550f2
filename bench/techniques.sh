#!/usr/bin/env bash
# techniques.sh: the copy and syscall savings the speed issue asked about, each measured
# against what vxnetd does now, with bench/techniques.c in network namespaces (not a test):
#
#  1. UDP GSO send of 64 KB bursts over a veth (vxnetd's TSO path): plain sendmsg (vxnetd),
#     MSG_ZEROCOPY, and sendmmsg of 8 bursts per call ("larger batches"); a UDP GRO receiver
#     on the other end. Gbit/s and CPU seconds of both ends. And the same payload as
#     1460-byte frames from an AF_XDP TX ring (afxdp; copy mode, veth has no zero-copy),
#     received with recvmmsg (no GSO on that path, so no 64 KB reads).
#  2. Reading 64-byte frames from a TAP (vxnetd's transmit path for small packets): one read(2)
#     per frame (vxnetd) against io_uring with 32 reads in flight.
#  3. What waking a sleeping worker costs (each packet of a ping wakes vxnetd four times): a
#     thread on the waker's CPU against one on the other, idle CPU.
#
#   bench/techniques.sh [-t SECS] [-n RUNS]     (default 5 s, best of 3)
#
#   tq-a-$$ veth0 192.0.2.1/24 ==== veth0 192.0.2.2/24 tq-b-$$        (MTU 1500)
#   tq-t-$$ tapq (TAP, read by the benchmark) 198.51.100.1/24, a static neighbour .2 behind it
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

secs=5 runs=3
while getopts "t:n:h" o; do
	case $o in
	t) secs=$OPTARG ;;
	n) runs=$OPTARG ;;
	*)
		sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
		exit 2
		;;
	esac
done
[ "$(id -u)" -eq 0 ] || {
	echo "techniques: needs root" >&2
	exit 1
}
builddir_build build bench_techniques >/dev/null
BIN=$ROOT/build/bench_techniques
A=tq-a-$$ B=tq-b-$$ T=tq-t-$$
OUT=$(mktemp -d /tmp/vxnet-techniques.XXXXXX)
cleanup() {
	local ns p
	for ns in $A $B $T; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$OUT"
}
trap cleanup EXIT
for ns in $A $B $T; do
	ip netns add "$ns"
	ip -n "$ns" link set lo up
done
ip link add veth0 netns "$A" type veth peer name veth0 netns "$B"
ip -n "$A" addr add 192.0.2.1/24 dev veth0
ip -n "$B" addr add 192.0.2.2/24 dev veth0
ip -n "$A" link set veth0 up
ip -n "$B" link set veth0 up
MAC_B=$(ip -n "$B" -br link show veth0 | awk '{print $3}')

echo "techniques: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $secs s each, best of $runs"
for run in $(seq "$runs"); do
	for mode in plain zerocopy mmsg afxdp; do
		if [ "$mode" = afxdp ]; then
			ip netns exec "$B" "$BIN" udp-rxm 9000 "$secs" >"$OUT/rx" &
		else
			ip netns exec "$B" "$BIN" udp-rx 9000 "$secs" >"$OUT/rx" &
		fi
		rxp=$!
		sleep 0.3
		if [ "$mode" = afxdp ]; then
			tx=$(ip netns exec "$A" "$BIN" udp-tx-xdp veth0 "$MAC_B" 192.0.2.2 9000 "$secs")
		else
			tx=$(ip netns exec "$A" "$BIN" udp-tx 192.0.2.2 9000 "$secs" "$mode")
		fi
		wait $rxp || true
		echo "gso $run $mode $tx $(cat "$OUT/rx")" >>"$OUT/results"
	done
	for mode in read uring; do
		ip netns exec "$T" "$BIN" tap-read tapq "$secs" "$mode" >"$OUT/tap" &
		tp=$!
		for _ in $(seq 50); do grep -q ready "$OUT/tap" && break; sleep 0.1; done
		ip -n "$T" addr add 198.51.100.1/24 dev tapq
		ip -n "$T" link set tapq up
		ip -n "$T" neigh replace 198.51.100.2 lladdr 02:00:00:00:00:02 dev tapq
		ip netns exec "$T" "$BIN" udp-flood 198.51.100.2 9 "$((secs + 2))" 22 >"$OUT/flood"
		wait $tp || true
		echo "tap $run $mode $(grep tap_mode "$OUT/tap") $(cat "$OUT/flood")" >>"$OUT/results"
	done
done
for c in 0 1; do
	[ "$c" -lt "$(nproc)" ] || continue
	echo "wake $c $c $("$BIN" wake "$c" 200)" >>"$OUT/results"
done
python3 - "$OUT/results" <<'EOF'
import sys
from collections import defaultdict
g, t, wk = defaultdict(list), defaultdict(list), []
for line in open(sys.argv[1]):
    w = line.split()
    kv = dict(zip(w[3::2], w[4::2]))
    if w[0] == "wake":
        wk.append(kv)
        continue
    (g if w[0] == "gso" else t)[w[2]].append(kv)
print("UDP GSO sends of 64 KB bursts over veth (best of %d by Gbit/s received):" % len(g["plain"]))
print("  %-9s %10s %14s %12s %12s %14s" % ("mode", "Gbit/s rx", "calls/s", "tx CPU s", "rx CPU s", "CPU s per GB"))
base = None
for m in ("plain", "zerocopy", "mmsg", "afxdp"):
    if not g[m]:
        continue
    b = max(g[m], key=lambda kv: float(kv.get("rx_gbps", 0)))
    gb = float(b["rx_gbps"]) * float(b["rx_secs"]) / 8
    per = (float(b["tx_cpu_s"]) + float(b["rx_cpu_s"])) / gb if gb else 0
    print("  %-9s %10s %14s %12s %12s %14.3f" % (m, b["rx_gbps"], b["tx_calls_per_s"], b["tx_cpu_s"], b["rx_cpu_s"], per))
print("64-byte frames read from a TAP under a flood (best of %d by frames/s):" % len(t["read"]))
print("  %-9s %12s %20s %18s" % ("mode", "frames/s", "syscalls per frame", "CPU us per frame"))
for m in ("read", "uring"):
    if not t[m]:
        continue
    b = max(t[m], key=lambda kv: float(kv["frames_per_s"]))
    print("  %-9s %12s %20s %18s" % (m, b["frames_per_s"], b["syscalls_per_frame"], b["cpu_us_per_frame"]))
if wk:
    print("Waking a thread asleep in epoll_wait (eventfd), 200 times 10 ms apart, from CPU 0:")
    for kv in wk:
        where = "the same CPU" if kv["wake_cpu"] == "0" else "CPU %s (idle)" % kv["wake_cpu"]
        print("  on %-15s p50 %7s us   p90 %7s us" % (where, kv["wake_p50_us"], kv["wake_p90_us"]))
EOF
