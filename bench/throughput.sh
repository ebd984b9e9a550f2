#!/usr/bin/env bash
# throughput.sh: `make bench`: single-stream TCP throughput and ping latency across a VXLAN
# overlay, through vxnetd and through the kernel vxlan driver, in the same run.
# A benchmark, not a test: it prints figures and the vxnetd/kernel ratio.
#
#   bench/throughput.sh [-t SECS]        (iperf3 duration, default 10)
#
# Each run builds fresh namespaces:
#
#   c1: eth0 203.0.113.2/24 (mtu 1450)                 c2: eth0 203.0.113.3/24 (mtu 1450)
#        | veth                                             | veth
#   h1: veth1 -- br0 -- vxlan1                         h2: veth1 -- br0 -- vxlan1
#       eth1 198.18.0.1/24 ========= veth, mtu 1500 ========= eth1 198.18.0.2/24
#
# vxlan1 is VNI 42, dstport 4789, local/remote the underlay addresses, dev eth1
# (MTU 1450): run 1 a vxnetd link (one daemon per host), run 2 a kernel vxlan
# device with the same parameters. iperf3 -c runs in c1 against a server in c2.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/lib.sh"
cd "$ROOT"

secs=10
while getopts "t:h" o; do
	case $o in
	t) secs=$OPTARG ;;
	*)
		echo "usage: $0 [-t SECS]" >&2
		exit 2
		;;
	esac
done
case $secs in '' | *[!0-9]*)
	echo "bench: -t wants a whole number of seconds" >&2
	exit 2
	;;
esac

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root (network namespaces)" >&2
	exit 1
fi
bash scripts/deps.sh bench
blog=$(mktemp)
vxnet_built=1
if ! builddir_build build >"$blog" 2>&1; then
	tail -n 20 "$blog" >&2
	echo "bench: build failed; only the kernel run will work" >&2
	vxnet_built=0
fi
rm -f "$blog"

DIR=$(mktemp -d /tmp/vxnet-bench.XXXXXX)
ALL_NS=()
H1='' H2='' C1='' C2=''

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

# topology TAG: the namespaces drawn above, without vxlan1, named *-TAG-$$.
topology() {
	local t=$1-$$ i
	H1=h1-$t H2=h2-$t C1=c1-$t C2=c2-$t
	for ns in "$H1" "$H2" "$C1" "$C2"; do
		ip netns add "$ns"
		ALL_NS+=("$ns")
		ip -n "$ns" link set lo up
		# No IPv6: its solicitations and reports would cross the overlay during the measurement.
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	ip link add eth1 mtu 1500 netns "$H1" type veth peer name eth1 mtu 1500 netns "$H2"
	ip -n "$H1" addr add 198.18.0.1/24 dev eth1
	ip -n "$H2" addr add 198.18.0.2/24 dev eth1
	for i in 1 2; do
		local h c
		h=$([ $i = 1 ] && echo "$H1" || echo "$H2")
		c=$([ $i = 1 ] && echo "$C1" || echo "$C2")
		ip -n "$h" link set eth1 up
		ip link add veth1 mtu 1450 netns "$h" type veth peer name eth0 mtu 1450 netns "$c"
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

setup_vxnetd() {
	local h local_ip remote_ip sock
	for h in "$H1" "$H2"; do
		sock=$DIR/$h.sock
		if [ "$h" = "$H1" ]; then local_ip=198.18.0.1 remote_ip=198.18.0.2; else local_ip=198.18.0.2 remote_ip=198.18.0.1; fi
		ip netns exec "$h" "$ROOT/build/vxnetd" -S "$sock" 2>"$DIR/vxnetd-$h.log" &
		echo $! >>"$DIR/pids"
		if ! wait_for 5 test -S "$sock"; then
			echo "bench: vxnetd in $h did not create its socket:" >&2
			tail -n 20 "$DIR/vxnetd-$h.log" >&2
			return 1
		fi
		"$ROOT/build/vxnet" -S "$sock" link add vxlan1 id 42 dstport 4789 \
			local "$local_ip" remote "$remote_ip" dev eth1 || return 1
		attach "$h"
	done
}

setup_kernel() {
	local h local_ip remote_ip
	for h in "$H1" "$H2"; do
		if [ "$h" = "$H1" ]; then local_ip=198.18.0.1 remote_ip=198.18.0.2; else local_ip=198.18.0.2 remote_ip=198.18.0.1; fi
		if ! ip -n "$h" link add vxlan1 type vxlan id 42 dstport 4789 \
			local "$local_ip" remote "$remote_ip" dev eth1 2>/dev/null; then
			modprobe vxlan 2>/dev/null || true
			ip -n "$h" link add vxlan1 type vxlan id 42 dstport 4789 \
				local "$local_ip" remote "$remote_ip" dev eth1 || return 1
		fi
		attach "$h"
	done
}

# measure MODE: latency then throughput across the overlay; sets GBPS, RETR and RTT[MODE].
declare -A GBPS RTT RETR
measure() {
	local mode=$1 out
	if ! wait_for 10 ip netns exec "$C1" ping -c 1 -W 1 203.0.113.3; then
		echo "bench: $mode: no ping across the overlay" >&2
		return 1
	fi
	out=$(ip netns exec "$C1" ping -q -c 20 -i 0.05 203.0.113.3 2>&1) || true
	RTT[$mode]=$(echo "$out" | sed -n 's|^rtt min/avg/max/mdev = [0-9.]*/\([0-9.]*\)/.*|\1|p')
	ip netns exec "$C2" iperf3 -s -1 -B 203.0.113.3 >"$DIR/iperf3-server-$mode.log" 2>&1 &
	echo $! >>"$DIR/pids"
	if ! wait_for 5 sh -c "ip netns exec '$C2' ss -ltn | grep -q '203.0.113.3:5201'"; then
		echo "bench: $mode: iperf3 server did not start" >&2
		return 1
	fi
	if ! ip netns exec "$C1" iperf3 -c 203.0.113.3 -t "$secs" -J >"$DIR/iperf3-$mode.json" 2>&1; then
		echo "bench: $mode: iperf3 failed:" >&2
		head -c 600 "$DIR/iperf3-$mode.json" >&2
		return 1
	fi
	local r
	r=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["end"]
print("%.2f %s" % (d["sum_received"]["bits_per_second"] / 1e9, d["sum_sent"].get("retransmits", "?")))' \
		"$DIR/iperf3-$mode.json") || return 1
	GBPS[$mode]=${r% *}
	RETR[$mode]=${r#* }
}

# teardown: stop this run's processes and namespaces before the next run.
teardown() {
	local p ns
	if [ -f "$DIR/pids" ]; then
		while read -r p; do kill -TERM "$p" 2>/dev/null || true; done <"$DIR/pids"
		while read -r p; do
			wait_for 3 sh -c "! kill -0 $p" || kill -KILL "$p" 2>/dev/null || true
		done <"$DIR/pids"
		rm -f "$DIR/pids"
	fi
	for ns in "$H1" "$H2" "$C1" "$C2"; do
		[ -n "$ns" ] && { ip netns del "$ns" 2>/dev/null || true; }
	done
	H1='' H2='' C1='' C2=''
}

echo "bench: single-stream TCP (iperf3, $secs s) and ping rtt across VNI 42; overlay MTU 1450, underlay veth MTU 1500"
status=0
echo "bench: run 1: vxnetd"
if [ $vxnet_built = 1 ] && topology vx && setup_vxnetd && measure vxnetd; then :; else status=1; fi
teardown
echo "bench: run 2: kernel vxlan"
if topology k && setup_kernel && measure kernel; then :; else status=1; fi
teardown

printf '\n%-14s %14s %14s %18s\n' "" "TCP Gbit/s" "retransmits" "avg rtt (ms)"
for m in vxnetd kernel; do
	printf '%-14s %14s %14s %18s\n' "$m" "${GBPS[$m]:-failed}" "${RETR[$m]:--}" "${RTT[$m]:-failed}"
done
if [ -n "${GBPS[vxnetd]:-}" ] && [ -n "${GBPS[kernel]:-}" ]; then
	python3 -c 'import sys; v, k = map(float, sys.argv[1:]); print("ratio vxnetd/kernel: %.2f" % (v / k if k else 0))' \
		"${GBPS[vxnetd]}" "${GBPS[kernel]}"
else
	echo "ratio vxnetd/kernel: n/a (a run failed)"
fi
exit $status
