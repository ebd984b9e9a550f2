#!/usr/bin/env bash
# throughput.sh: `make bench`: every traffic shape of the speed issue, through vxnetd and through
# the kernel vxlan driver in the same run, with the vxnetd/kernel ratio of each and the floors.
# A benchmark, not a test: it prints figures.
#
#   bench/throughput.sh [-t SECS] [-n RUNS] [-m MODES] [-s SHAPES]
#     -t SECS    seconds per iperf3 measurement (default 5)
#     -n RUNS    repeat everything RUNS times, datapaths interleaved; best of RUNS is kept and
#                the spread (worst..best) printed (default 1; 3 for the floors)
#     -m MODES   among: vxnetd kernel lowlat alt (default "vxnetd kernel lowlat"); lowlat is vxnetd
#                with --busy-poll, measured for ping latency only; alt is vxnetd with
#                $VXNETD_ALT_ARGS (to compare a technique against vxnetd in the same run)
#     -s SHAPES  among: ping tcp1 tcp4 udp64 tcp1v6 (default: all)
#   env: VXNETD_ARGS  extra vxnetd options for every vxnetd mode (e.g. "--workers 1")
#        VXNETD_ALT_ARGS  options of mode alt (only), after VXNETD_ARGS
#        VXNETD_ALT_BIN   the vxnetd binary of mode alt (default build/vxnetd): e.g. a build of
#                         the commit before a change, to measure the change in one run
#
# Shapes: ping (100 pings 10 ms apart: p50/p99 RTT), tcp1 (iperf3 one stream), tcp4 (iperf3 -P 4),
# udp64 (iperf3 -u -b 0 -l 64: datagrams received per second at the server, and the loss),
# tcp1v6 (one stream over an IPv6 underlay). CPU s/GB: CPU time of every process of the run
# (daemons, iperf3s, and the softirqs they run: this kernel has no IRQ time accounting, so
# softirq time is charged to the task it interrupts) plus the ksoftirqd threads, during tcp1,
# per GB received. The machine is shared: figures move between runs; compare ratios of one run.
# Each mode's run also records the hypervisor's steal time (% of all CPU time, /proc/stat): on
# a VM, what other guests took; a run with much of it is noise.
#
# Each measurement builds fresh namespaces:
#
#   c1: eth0 203.0.113.2/24 (mtu M)                    c2: eth0 203.0.113.3/24 (mtu M)
#        | veth                                             | veth
#   h1: veth1 -- br0 -- vxlan1                         h2: veth1 -- br0 -- vxlan1
#       eth1 198.18.0.1/24 ========= veth, mtu 1500 ========= eth1 198.18.0.2/24
#       (tcp1v6: eth1 2001:db8::1/64                            eth1 2001:db8::2/64)
#
# vxlan1 is VNI 42, dstport 4789, local/remote the underlay addresses, dev eth1: a vxnetd link
# (one daemon per host) or a kernel vxlan device with the same parameters. M = 1450 (IPv4
# underlay) or 1430 (IPv6). Clients run in c1 against servers in c2.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/lib.sh"
cd "$ROOT"

secs=5
runs=1
modes="vxnetd kernel lowlat"
shapes="ping tcp1 tcp4 udp64 tcp1v6"
while getopts "t:n:m:s:h" o; do
	case $o in
	t) secs=$OPTARG ;;
	n) runs=$OPTARG ;;
	m) modes=$OPTARG ;;
	s) shapes=$OPTARG ;;
	*)
		sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
		exit 2
		;;
	esac
done
for v in "$secs" "$runs"; do
	case $v in '' | *[!0-9]* | 0)
		echo "bench: -t and -n want a positive whole number" >&2
		exit 2
		;;
	esac
done
for m in $modes; do case $m in vxnetd | kernel | lowlat | alt) ;; *)
	echo "bench: unknown mode $m" >&2
	exit 2
	;;
esac; done
for s in $shapes; do case $s in ping | tcp1 | tcp4 | udp64 | tcp1v6) ;; *)
	echo "bench: unknown shape $s" >&2
	exit 2
	;;
esac; done

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (network namespaces)" >&2
	exit 1
fi
bash scripts/deps.sh bench
blog=$(mktemp)
if ! builddir_build build >"$blog" 2>&1; then
	tail -n 20 "$blog" >&2
	echo "bench: build failed" >&2
	rm -f "$blog"
	exit 1
fi
rm -f "$blog"

DIR=$(mktemp -d /tmp/vxnet-bench.XXXXXX)
# The binaries this run measures, copied: a rebuild meanwhile must not change them.
cp "$ROOT/build/vxnetd" "$DIR/vxnetd"
if [ -n "${VXNETD_ALT_BIN:-}" ]; then
	cp "$VXNETD_ALT_BIN" "$DIR/vxnetd-alt"
	VXNETD_ALT_BIN=$DIR/vxnetd-alt
fi
RES=$DIR/results
: >"$RES"
ALL_NS=()
H1='' H2='' C1='' C2=''
# CPU accounting: a cpuacct cgroup (v1) of our own, when the hierarchy is there.
CG=''
if [ -d /sys/fs/cgroup/cpuacct ] && mkdir "/sys/fs/cgroup/cpuacct/vxnet-bench-$$" 2>/dev/null; then
	CG=/sys/fs/cgroup/cpuacct/vxnet-bench-$$
fi

cleanup() {
	local p ns
	set +e
	if [ -f "$DIR/pids" ]; then
		while read -r p; do kill -TERM "$p" 2>/dev/null; done <"$DIR/pids"
		sleep 0.5
		while read -r p; do kill -KILL "$p" 2>/dev/null; done <"$DIR/pids"
	fi
	for ns in "${ALL_NS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$CG" ]; then
		for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$CG" 2>/dev/null && break; sleep 0.2; done
	fi
	rm -rf "$DIR"
}
trap cleanup EXIT

# wait_for SECONDS CMD...: poll CMD every 0.1 s.
wait_for() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		"${@:2}" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# incg NS CMD...: become CMD in namespace NS inside the accounting cgroup (exec: run it
# backgrounded, `incg ... &`, whose $! is then CMD's pid, or in a subshell).
incg() {
	local ns=$1
	shift
	if [ -n "$CG" ]; then
		# ip netns exec mounts the namespace's own /sys: join the cgroup before.
		exec sh -c 'echo $$ >"$0/cgroup.procs" && exec ip netns exec "$@"' "$CG" "$ns" "$@"
	else
		exec ip netns exec "$ns" "$@"
	fi
}

# daemon_ns: nanoseconds of CPU the vxnetd daemons of this measurement used so far (0 without).
daemon_ns() {
	local p t=0
	if [ -f "$DIR/daemons" ]; then
		for p in $(cat "$DIR/daemons"); do
			t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
		done
	fi
	echo $((t * 1000000000 / $(getconf CLK_TCK)))
}

# cpu_ns: nanoseconds of CPU used so far by the cgroup plus every ksoftirqd thread.
cpu_ns() {
	local cg=0 ks
	[ -n "$CG" ] && cg=$(cat "$CG/cpuacct.usage")
	# utime + stime (fields 14, 15) in clock ticks.
	ks=$(for p in $(pgrep -x 'ksoftirqd/[0-9]*' 2>/dev/null || pgrep ksoftirqd); do
		awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null
	done | awk -v hz="$(getconf CLK_TCK)" '{s += $1} END {printf "%.0f", s * 1e9 / hz}')
	echo $((cg + ks))
}

# topology TAG [6]: the namespaces drawn above, without vxlan1, named *-TAG-$$.
topology() {
	local t=$1-$$ v6=${2:-} i mtu=1450
	[ -n "$v6" ] && mtu=1430
	H1=h1-$t H2=h2-$t C1=c1-$t C2=c2-$t
	for ns in "$H1" "$H2" "$C1" "$C2"; do
		ip netns add "$ns"
		ALL_NS+=("$ns")
		ip -n "$ns" link set lo up
		# No IPv6 (but on the underlay when asked): its solicitations and reports would cross
		# the overlay during the measurement.
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	if [ -n "$v6" ]; then
		for ns in "$H1" "$H2"; do
			ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.lo.disable_ipv6=0
		done
	fi
	ip link add eth1 mtu 1500 netns "$H1" type veth peer name eth1 mtu 1500 netns "$H2"
	if [ -n "$v6" ]; then
		ip netns exec "$H1" sysctl -qw net.ipv6.conf.eth1.disable_ipv6=0
		ip netns exec "$H2" sysctl -qw net.ipv6.conf.eth1.disable_ipv6=0
		ip -n "$H1" addr add 2001:db8::1/64 dev eth1 nodad
		ip -n "$H2" addr add 2001:db8::2/64 dev eth1 nodad
	else
		ip -n "$H1" addr add 198.18.0.1/24 dev eth1
		ip -n "$H2" addr add 198.18.0.2/24 dev eth1
	fi
	for i in 1 2; do
		local h c
		h=$([ $i = 1 ] && echo "$H1" || echo "$H2")
		c=$([ $i = 1 ] && echo "$C1" || echo "$C2")
		ip -n "$h" link set eth1 up
		ip link add veth1 mtu $mtu netns "$h" type veth peer name eth0 mtu $mtu netns "$c"
		ip -n "$c" addr add "203.0.113.$((i + 1))/24" dev eth0
		ip -n "$c" link set eth0 up
		ip -n "$h" link add br0 type bridge
		ip -n "$h" link set veth1 master br0
		ip -n "$h" link set veth1 up
		ip -n "$h" link set br0 up
	done
}

# attach H: enslave H's vxlan1 to br0 and bring it up.
attach() {
	ip -n "$1" link set vxlan1 master br0
	ip -n "$1" link set vxlan1 up
}

# addrs H [6]: sets LOCAL and REMOTE for host H.
addrs() {
	if [ -n "${2:-}" ]; then
		if [ "$1" = "$H1" ]; then LOCAL=2001:db8::1 REMOTE=2001:db8::2; else LOCAL=2001:db8::2 REMOTE=2001:db8::1; fi
	else
		if [ "$1" = "$H1" ]; then LOCAL=198.18.0.1 REMOTE=198.18.0.2; else LOCAL=198.18.0.2 REMOTE=198.18.0.1; fi
	fi
}

# setup_vxnetd [6] [EXTRA-ARGS...]: a vxnetd per host, link vxlan1 (VXNETD_BIN: the binary).
setup_vxnetd() {
	local v6=${1:-} h sock bin=${VXNETD_BIN:-$DIR/vxnetd}
	shift || true
	for h in "$H1" "$H2"; do
		sock=$DIR/$h.sock
		addrs "$h" "$v6"
		# shellcheck disable=SC2086
		# The state in the run's directory: nothing is left in /var/lib/vxnet.
		incg "$h" "$bin" -S "$sock" --state "$DIR/state-$h" ${VXNETD_ARGS:-} "$@" >"$DIR/vxnetd-$h.log" 2>&1 &
		echo $! >>"$DIR/pids"
		echo $! >>"$DIR/daemons"
		if ! wait_for 5 test -S "$sock"; then
			echo "bench: vxnetd in $h did not create its socket:" >&2
			tail -n 20 "$DIR/vxnetd-$h.log" >&2
			return 1
		fi
		"$ROOT/build/vxnet" -S "$sock" link add vxlan1 id 42 dstport 4789 \
			local "$LOCAL" remote "$REMOTE" dev eth1 || return 1
		attach "$h"
	done
}

setup_kernel() {
	local v6=${1:-} h
	for h in "$H1" "$H2"; do
		addrs "$h" "$v6"
		if ! ip -n "$h" link add vxlan1 type vxlan id 42 dstport 4789 \
			local "$LOCAL" remote "$REMOTE" dev eth1 2>/dev/null; then
			modprobe vxlan 2>/dev/null || true
			ip -n "$h" link add vxlan1 type vxlan id 42 dstport 4789 \
				local "$LOCAL" remote "$REMOTE" dev eth1 || return 1
		fi
		attach "$h"
	done
}

# record MODE RUN METRIC VALUE
record() { echo "$1 $2 $3 $4" >>"$RES"; }

# iperf MODE TAG ARGS...: one iperf3 run c1 -> c2 into $DIR/TAG.json, with CPU use in $DIR/TAG.cpu.
iperf() {
	local mode=$1 tag=$2 c0 c1
	shift 2
	incg "$C2" iperf3 -s -1 -B 203.0.113.3 >"$DIR/$tag-server.log" 2>&1 &
	echo $! >>"$DIR/pids"
	if ! wait_for 5 sh -c "ip netns exec '$C2' ss -ltn | grep -q '203.0.113.3:5201'"; then
		echo "bench: $mode: iperf3 server did not start" >&2
		return 1
	fi
	c0=$(cpu_ns)
	d0=$(daemon_ns)
	if ! (incg "$C1" iperf3 -c 203.0.113.3 -t "$secs" -J "$@") >"$DIR/$tag.json" 2>&1; then
		echo "bench: $mode $tag: iperf3 failed:" >&2
		head -c 600 "$DIR/$tag.json" >&2
		return 1
	fi
	c1=$(cpu_ns)
	echo $((c1 - c0)) >"$DIR/$tag.cpu"
	echo $(($(daemon_ns) - d0)) >"$DIR/$tag.dcpu"
	wait_for 3 sh -c "! ip netns exec '$C2' ss -ltn | grep -q '203.0.113.3:5201'" || true
}

# tcp_result MODE RUN METRIC TAG [cpu]: Gbit/s received (and CPU s/GB) into the results.
tcp_result() {
	local r
	r=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["end"]
rx = d["sum_received"]
cpu = int(open(sys.argv[2]).read()) / 1e9
dcpu = int(open(sys.argv[3]).read()) / 1e9
gb = rx["bytes"] / 1e9
print("%.3f %s %.3f %.3f" % (rx["bits_per_second"] / 1e9, d["sum_sent"].get("retransmits", 0), cpu / gb if gb else 0,
                             dcpu / gb if gb else 0))' \
		"$DIR/$4.json" "$DIR/$4.cpu" "$DIR/$4.dcpu") || return 1
	read -r g retr cpu dcpu <<<"$r"
	record "$1" "$2" "$3" "$g"
	record "$1" "$2" "$3_retr" "$retr"
	# Without a cgroup of our own the total would count only the ksoftirqd
	# threads this PID namespace can see (none inside `make fresh`): not a figure.
	[ "${5:-}" = cpu ] && [ -n "$CG" ] && record "$1" "$2" cpu_s_per_gb "$cpu"
	[ "${5:-}" = cpu ] && [ "$1" != kernel ] && record "$1" "$2" daemon_cpu_s_per_gb "$dcpu"
	return 0
}

# measure MODE RUN: every IPv4-underlay shape asked for, on the topology in place.
measure() {
	local mode=$1 run=$2 out
	if ! wait_for 10 ip netns exec "$C1" ping -c 1 -W 1 203.0.113.3; then
		echo "bench: $mode: no ping across the overlay" >&2
		return 1
	fi
	if [[ " $shapes " == *" ping "* ]]; then
		out=$(ip netns exec "$C1" ping -c 100 -i 0.01 203.0.113.3 2>&1) || true
		read -r p50 p99 <<<"$(echo "$out" | python3 -c '
import re, sys
t = sorted(float(m) for m in re.findall(r"time=([0-9.]+) ms", sys.stdin.read()))
if len(t) < 90:
    sys.exit(1)
pick = lambda q: t[min(len(t) - 1, int(q * len(t)))]
print("%.3f %.3f" % (pick(0.50), pick(0.99)))')" || {
			echo "bench: $mode: ping lost too much" >&2
			return 1
		}
		record "$mode" "$run" ping_p50_ms "$p50"
		record "$mode" "$run" ping_p99_ms "$p99"
	fi
	[ "$mode" = lowlat ] && return 0
	if [[ " $shapes " == *" tcp1 "* ]]; then
		iperf "$mode" "tcp1-$mode-$run" && tcp_result "$mode" "$run" tcp1_gbps "tcp1-$mode-$run" cpu || return 1
	fi
	if [[ " $shapes " == *" tcp4 "* ]]; then
		iperf "$mode" "tcp4-$mode-$run" -P 4 && tcp_result "$mode" "$run" tcp4_gbps "tcp4-$mode-$run" || return 1
	fi
	if [[ " $shapes " == *" udp64 "* ]]; then
		iperf "$mode" "udp-$mode-$run" -u -b 0 -l 64 || return 1
		read -r pps lost <<<"$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["end"]["sum"]
got = d["packets"] - d["lost_packets"]
print("%.0f %.1f" % (got / d["seconds"], d["lost_percent"]))' "$DIR/udp-$mode-$run.json")" || return 1
		record "$mode" "$run" udp64_rx_pps "$pps"
		record "$mode" "$run" udp64_lost_pct "$lost"
	fi
	return 0
}

# teardown: stop this measurement's processes and namespaces.
teardown() {
	local p ns
	if [ -f "$DIR/pids" ]; then
		while read -r p; do kill -TERM "$p" 2>/dev/null || true; done <"$DIR/pids"
		while read -r p; do
			wait_for 3 sh -c "! kill -0 $p" || kill -KILL "$p" 2>/dev/null || true
		done <"$DIR/pids"
		rm -f "$DIR/pids" "$DIR/daemons"
	fi
	for ns in "$H1" "$H2" "$C1" "$C2"; do
		[ -n "$ns" ] && { ip netns del "$ns" 2>/dev/null || true; }
	done
	H1='' H2='' C1='' C2=''
}

# cpu_ticks: "steal total" clock ticks of all CPUs so far (/proc/stat, user to steal; guest
# time is already in user). On a VM, steal is the time the hypervisor gave this VM's CPUs to
# someone else: the noise of a shared host.
cpu_ticks() {
	awk '/^cpu /{t = 0; for (i = 2; i <= 9; i++) t += $i; print $9, t; exit}' /proc/stat
}

# one MODE RUN: every shape for MODE, IPv4 then IPv6 underlay.
one() {
	local mode=$1 run=$2 rc=0 v4=0 st0 tt0 st1 tt1
	read -r st0 tt0 <<<"$(cpu_ticks)"
	one_shapes "$mode" "$run" || rc=1
	read -r st1 tt1 <<<"$(cpu_ticks)"
	[ "$tt1" -gt "$tt0" ] && record "$mode" "$run" steal_pct "$(awk -v s=$((st1 - st0)) -v t=$((tt1 - tt0)) 'BEGIN {printf "%.1f", 100 * s / t}')"
	return $rc
}

one_shapes() {
	local mode=$1 run=$2 rc=0 v4=0
	for s in ping tcp1 tcp4 udp64; do [[ " $shapes " == *" $s "* ]] && v4=1; done
	[ "$mode" = lowlat ] && [[ " $shapes " != *" ping "* ]] && return 0
	if [ $v4 = 1 ]; then
		topology "$mode$run" || rc=1
		case $mode in
		vxnetd) setup_vxnetd "" || rc=1 ;;
		lowlat) setup_vxnetd "" --busy-poll || rc=1 ;;
		# shellcheck disable=SC2086
		alt) VXNETD_BIN=${VXNETD_ALT_BIN:-} setup_vxnetd "" ${VXNETD_ALT_ARGS:-} || rc=1 ;;
		kernel) setup_kernel "" || rc=1 ;;
		esac
		[ $rc = 0 ] && { measure "$mode" "$run" || rc=1; }
		teardown
	fi
	if [[ " $shapes " == *" tcp1v6 "* ]] && [ "$mode" != lowlat ]; then
		topology "${mode}6$run" 6 || rc=1
		case $mode in
		vxnetd) setup_vxnetd 6 || rc=1 ;;
		# shellcheck disable=SC2086
		alt) VXNETD_BIN=${VXNETD_ALT_BIN:-} setup_vxnetd 6 ${VXNETD_ALT_ARGS:-} || rc=1 ;;
		kernel) setup_kernel 6 || rc=1 ;;
		esac
		if [ $rc = 0 ] && wait_for 10 ip netns exec "$C1" ping -c 1 -W 1 203.0.113.3; then
			iperf "$mode" "tcp1v6-$mode-$run" && tcp_result "$mode" "$run" tcp1v6_gbps "tcp1v6-$mode-$run" || rc=1
		else
			echo "bench: $mode: no ping across the IPv6-underlay overlay" >&2
			rc=1
		fi
		teardown
	fi
	return $rc
}

echo "bench: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); iperf3 $secs s; $runs run(s); modes: $modes; shapes: $shapes${VXNETD_ARGS:+; VXNETD_ARGS=$VXNETD_ARGS}${VXNETD_ALT_ARGS:+; VXNETD_ALT_ARGS=$VXNETD_ALT_ARGS}${VXNETD_ALT_BIN:+; VXNETD_ALT_BIN=$VXNETD_ALT_BIN}"
[ -z "$CG" ] && echo "bench: no cpuacct cgroup (cgroup v1 cpuacct not mounted): no CPU s/GB of the whole run, only vxnetd's own"
status=0
for run in $(seq "$runs"); do
	for m in $modes; do
		echo "bench: run $run: $m"
		one "$m" "$run" || status=1
	done
done

echo
python3 - "$RES" "$runs" <<'EOF'
import sys
from collections import defaultdict
res, runs = sys.argv[1], int(sys.argv[2])
v = defaultdict(list)
modes = []
for line in open(res):
    m, r, k, x = line.split()
    v[(m, k)].append(float(x))
    if m not in modes:
        modes.append(m)
# metric, label, higher is better, floor (ratio vxnetd/kernel; for latency a ceiling)
metrics = [
    ("tcp1_gbps", "1 TCP stream, Gbit/s", True, 0.85),
    ("tcp4_gbps", "4 TCP streams, Gbit/s", True, 0.60),
    ("udp64_rx_pps", "64-byte UDP, received/s", True, 1.00),
    ("udp64_lost_pct", "64-byte UDP, % lost", False, None),
    ("tcp1v6_gbps", "1 TCP stream, IPv6 underlay", True, 0.80),
    ("ping_p50_ms", "ping p50, ms", False, 2.0),
    ("ping_p99_ms", "ping p99, ms", False, None),
    ("cpu_s_per_gb", "CPU s per GB (1 stream)", False, None),
    ("daemon_cpu_s_per_gb", "  of which vxnetd s per GB", False, None),
    ("tcp1_gbps_retr", "1 stream retransmits", False, None),
    ("steal_pct", "hypervisor steal, % of CPU", False, None),
]
def best(xs, hi):
    return max(xs) if hi else min(xs)
def fmt(x):
    return ("%.0f" % x) if x >= 1000 else ("%.3f" % x if x < 10 else "%.2f" % x)
print("best of %d run(s); in brackets the spread (worst..best)" % runs)
cols = [m for m in ("vxnetd", "alt", "kernel", "lowlat") if m in modes]
print("%-30s" % "shape" + "".join("%-26s" % c for c in cols) + "vxnetd/kernel" + ("  alt/kernel" if "alt" in modes else ""))
ok = True
for k, label, hi, floor in metrics:
    if not any((m, k) in v for m in cols):
        continue
    row = "%-30s" % label
    for m in cols:
        xs = v.get((m, k))
        if not xs:
            row += "%-26s" % "-"
            continue
        b, w = best(xs, hi), best(xs, not hi)
        cell = fmt(b) + (" [%s..%s]" % (fmt(w), fmt(b)) if len(xs) > 1 else "")
        row += "%-26s" % cell
    xs_v, xs_k = v.get(("vxnetd", k)), v.get(("kernel", k))
    if floor is not None and not (xs_v and xs_k):
        ok = False
        row += "n/a (a run failed: floor not met)"
    if xs_v and xs_k and best(xs_k, hi) > 0 and k != "steal_pct":
        ratio = best(xs_v, hi) / best(xs_k, hi)
        row += "%.2f" % ratio
        if floor is not None and k != "ping_p50_ms":
            good = ratio >= floor
            row += "  (floor >= %.2f: %s)" % (floor, "met" if good else "NOT met")
            ok = ok and good
        elif floor is not None:
            good = ratio <= floor
            row += "  (floor <= %.1fx: %s)" % (floor, "met" if good else "NOT met")
            ok = ok and good
    xs_a = v.get(("alt", k))
    if xs_a and xs_k and best(xs_k, hi) > 0 and k != "steal_pct":
        row += "  alt %.2f" % (best(xs_a, hi) / best(xs_k, hi))
    print(row)
xs_l, xs_k = v.get(("lowlat", "ping_p50_ms")), v.get(("kernel", "ping_p50_ms"))
if "lowlat" in modes and not (xs_l and xs_k):
    ok = False
    print("low-latency mode: n/a (a run failed)")
if xs_l and xs_k:
    ratio = min(xs_l) / min(xs_k)
    print("low-latency mode (--busy-poll) ping p50 / kernel: %.2f  (floor <= 1.3x: %s)" % (ratio, "met" if ratio <= 1.3 else "NOT met"))
    ok = ok and ratio <= 1.3
steal = [x for (m, k), xs in v.items() if k == "steal_pct" for x in xs]
if steal and max(steal) >= 5:
    print("note: in some run the hypervisor took %.0f%% of the CPU time (steal): that run measured the"
          " host's other load as much as vxnet; compare ratios of quiet runs" % max(steal))
print("floors: %s" % ("all met" if ok else "not all met"))
EOF
exit $status
