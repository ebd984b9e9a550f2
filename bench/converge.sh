#!/usr/bin/env bash
# converge.sh: how fast the cluster control plane converges. A benchmark, not
# a test: it prints figures.
#
#   bench/converge.sh [-n "2 10 50"] [-t TRIALS] [-l LEASE_TTL] [-r REST_SECS] [-d user|kernel]
#
# For each N: N hosts (namespaces on one underlay bridge, 198.18.1.X/16, one
# vxnetd --store each), one three-member etcd cluster (its own namespace on
# the bridge, 198.18.0.101-103), one network, and one "anchor" container
# attached on every host. Then:
#
#   trials     attach a new container on a random host and time, from just
#              before `vxnet attach` until a container on another random host
#              gets its first ping reply from it (ping every 5 ms, ARP retried
#              every 10 ms by the pinging container so that the kernel's 1 s
#              ARP retry does not hide the control plane): p50 / p99 / max,
#              and the p50 of `vxnet attach` itself (claim, devices, publish,
#              until the daemon's watch has its own write back).
#   at rest    etcd requests per host per second with nothing happening: from
#              the daemons' own counters and from etcd's (grpc_server_started_total
#              summed over the members), over REST_SECS.
#   withdraw   one vxnetd killed with SIGKILL: time until every other host has
#              removed its endpoints and its flood entry (bounded by the lease
#              TTL, default 10 s as in production; -l 3 as in the tests).
#
# etcd listens only inside its namespace; everything is removed on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/lib.sh"
cd "$ROOT"

sizes="2 10 50"
trials=40
ttl=10
rest=20
dp=user
while getopts "n:t:l:r:d:h" o; do
	case $o in
	n) sizes=$OPTARG ;;
	t) trials=$OPTARG ;;
	l) ttl=$OPTARG ;;
	r) rest=$OPTARG ;;
	d) dp=$OPTARG ;;
	*)
		sed -n '2,28p' "$0" >&2
		exit 2
		;;
	esac
done
for v in $sizes $trials $ttl $rest; do
	case $v in '' | *[!0-9]*)
		echo "converge: numbers only (-n, -t, -l, -r)" >&2
		exit 2
		;;
	esac
done
for n in $sizes; do
	if [ "$n" -lt 2 ] || [ "$n" -gt 250 ]; then
		echo "converge: N must be 2-250" >&2
		exit 2
	fi
done
if [ "$(id -u)" -ne 0 ]; then
	echo "converge: needs root (network namespaces)" >&2
	exit 1
fi
bash scripts/deps.sh demo

# All N hosts share this one kernel, and a kernel's neighbour table limit
# (net.ipv4.neigh.default.gc_thresh3, 1024 by default) holds for all its
# namespaces at once. At 50 hosts the underlay alone learns 50 x 49 ARP
# entries, which 50 real hosts keep in 50 tables. Over the limit the kernel
# refuses a new neighbour ("neighbor table overflow!", sendto gets ENOBUFS)
# until entries are 5 s old and may be reclaimed: the first trial after the
# set-up then waited 0.4-2.8 s for the pinging container's first ARP. So
# for the run the limits are raised to what N separate kernels would give
# (only raised, never lowered) and put back on exit.
NEIGH=/proc/sys/net/ipv4/neigh/default
declare -A NEIGH_WAS=()
neigh_need=0
for n in $sizes; do
	[ $((4 * n * n + 1024)) -gt "$neigh_need" ] && neigh_need=$((4 * n * n + 1024))
done
for k in gc_thresh2 gc_thresh3; do
	v=$(cat "$NEIGH/$k")
	if [ "$v" -lt "$neigh_need" ]; then
		NEIGH_WAS[$k]=$v
	fi
done
blog=$(mktemp)
if ! builddir_build build >"$blog" 2>&1; then
	tail -n 20 "$blog" >&2
	exit 1
fi
rm -f "$blog"
VXNETD=$ROOT/build/vxnetd
VXNET=$ROOT/build/vxnet
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

DIR=$(mktemp -d /tmp/vxnet-converge.XXXXXX)
SW=vxc-sw-$$
ET=vxc-etcd-$$
ALL_NS=()
declare -A DPID=()

cleanup() {
	local ns p
	set +e
	for p in "${DPID[@]}"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.3
	for ns in "${ALL_NS[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "${CONVERGE_KEEP:-}" ]; then echo "# kept $DIR" >&2; else rm -rf "$DIR"; fi
	for k in "${!NEIGH_WAS[@]}"; do echo "${NEIGH_WAS[$k]}" >"$NEIGH/$k"; done
}
trap cleanup EXIT
for k in "${!NEIGH_WAS[@]}"; do
	echo "$neigh_need" >"$NEIGH/$k"
	echo "# net.ipv4.neigh.default.$k ${NEIGH_WAS[$k]} -> $neigh_need for this run (N hosts share one kernel's table)" >&2
done

wait_for() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		"${@:2}" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

add_ns() {
	ip netns add "$1"
	ALL_NS+=("$1")
	ip -n "$1" link set lo up
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# plug NS PORT ADDR/LEN: NS's ul0 to the switch.
plug() {
	ip link add "$2" netns "$SW" type veth peer name ul0 netns "$1"
	ip -n "$SW" link set "$2" master sw0 up
	ip -n "$1" link set ul0 up
	ip -n "$1" addr add "$3" dev ul0
}

add_ns "$SW"
ip -n "$SW" link add sw0 type bridge
ip -n "$SW" link set sw0 up
add_ns "$ET"
plug "$ET" etp 198.18.0.101/16
ip -n "$ET" addr add 198.18.0.102/16 dev ul0
ip -n "$ET" addr add 198.18.0.103/16 dev ul0
initial=e1=http://198.18.0.101:2380,e2=http://198.18.0.102:2380,e3=http://198.18.0.103:2380
EPS=198.18.0.101:2379,198.18.0.102:2379,198.18.0.103:2379
for i in 1 2 3; do
	ip netns exec "$ET" etcd --name "e$i" --data-dir "$DIR/etcd-e$i" \
		--listen-client-urls "http://198.18.0.10$i:2379" --advertise-client-urls "http://198.18.0.10$i:2379" \
		--listen-peer-urls "http://198.18.0.10$i:2380" --initial-advertise-peer-urls "http://198.18.0.10$i:2380" \
		--initial-cluster "$initial" --initial-cluster-state new --initial-cluster-token "vxc-$$" \
		--logger zap --log-level warn >"$DIR/etcd-e$i.log" 2>&1 &
	disown $!
done
export ETCDCTL_API=3
if ! wait_for 30 ip netns exec "$ET" etcdctl --endpoints "$EPS" endpoint health --cluster; then
	echo "converge: etcd did not become healthy" >&2
	tail -n 5 "$DIR"/etcd-e*.log >&2
	exit 1
fi

vx() { # HOST_INDEX ARGS...
	local h=$1
	shift
	ip netns exec "vxc-h$h-$$" "$VXNET" -S "$DIR/h$h.sock" "$@"
}

etcd_started_total() {
	local t=0 i n
	for i in 1 2 3; do
		n=$(ip netns exec "$ET" curl -s "http://198.18.0.10$i:2379/metrics" |
			awk '/^grpc_server_started_total/ {s += $2} END {printf "%d", s}')
		t=$((t + n))
	done
	echo "$t"
}

pct() { # P FILE: the P-th percentile (nearest rank) of the numbers in FILE
	sort -n "$2" | awk -v p="$1" '{a[NR] = $1} END {i = int((p / 100) * NR + 0.999999); if (i < 1) i = 1; print a[i]}'
}

printf '%-5s %-7s %9s %9s %9s %14s %12s %12s %16s\n' N trials p50_ms p99_ms max_ms attach_p50_ms withdraw_ms \
	"req/s/host" "etcd_req/s/host"
for n in $sizes; do
	net=b$n
	ids=()
	for ((h = 1; h <= n; h++)); do
		add_ns "vxc-h$h-$$"
		plug "vxc-h$h-$$" "p$h-$n" "198.18.1.$h/16"
		ip netns exec "vxc-h$h-$$" "$VXNETD" -S "$DIR/h$h.sock" --state "$DIR/state-$n-h$h" \
			--store "etcd://$EPS" --host "h$h" --underlay "198.18.1.$h" --lease-ttl "$ttl" \
			>"$DIR/vxnetd-$n-h$h.log" 2>&1 &
		DPID[$h]=$!
		disown $!
		ids+=("$h")
	done
	for h in "${ids[@]}"; do
		if ! wait_for 10 vx "$h" link show; then
			echo "converge: vxnetd h$h does not answer" >&2
			tail -n 5 "$DIR/vxnetd-$n-h$h.log" >&2
			exit 1
		fi
	done
	if ! wait_for 10 vx 1 network create "$net" id $((1000 + n)) subnet 203.0.113.0/24 datapath "$dp"; then
		echo "converge: network create failed" >&2
		exit 1
	fi
	# One anchor container per host, ARP retried every 10 ms.
	for h in "${ids[@]}"; do
		c=vxc-a$h-$$
		add_ns "$c"
		if ! wait_for 10 vx "$h" attach "$c" network "$net"; then
			echo "converge: attach of the anchor on h$h failed" >&2
			exit 1
		fi
		ip netns exec "$c" sysctl -qw net.ipv4.neigh.eth0.retrans_time_ms=10
	done
	# Let the set-up settle before the trials: every host has installed
	# every other host's anchor (n-1 neighbour entries), so that the first
	# trial does not also wait for the set-up's backlog.
	s0=$(date +%s%N)
	settled() {
		local h
		for h in "${ids[@]}"; do
			[ "$(vx "$h" neigh show dev "vxn$((1000 + n))" 2>/dev/null | grep -c lladdr)" -ge $((n - 1)) ] || return 1
		done
	}
	if ! wait_for 60 settled; then
		echo "converge: the $n anchors are not installed on every host after 60 s" >&2
		exit 1
	fi
	echo "# $n anchors installed on every host $((($(date +%s%N) - s0) / 1000000)) ms after the last attach returned" >&2
	: >"$DIR/lat-$n"
	: >"$DIR/att-$n"
	for ((t = 1; t <= trials; t++)); do
		x=$((RANDOM % n + 1))
		y=$((RANDOM % n + 1))
		while [ "$y" = "$x" ]; do y=$((RANDOM % n + 1)); done
		c=vxc-t$n-$t-$$
		add_ns "$c"
		t0=$(date +%s%N)
		out=$(vx "$x" attach "$c" network "$net") || {
			echo "converge: attach on h$x failed: $out" >&2
			exit 1
		}
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 100000)) | sed 's/\(.\)$/.\1/' >>"$DIR/att-$n"
		ip=$(echo "$out" | awk '{print $2}' | cut -d/ -f1)
		first=$({ ip netns exec "vxc-a$y-$$" ping -D -n -i 0.005 -c 1 -w 10 "$ip" 2>/dev/null || true; } |
			sed -n 's/^\[\([0-9.]*\)\] .*bytes from.*/\1/p' | head -n 1)
		if [ -z "$first" ]; then
			echo "converge: no reply from $ip (h$x, $out) to h$y within 10 s" >&2
			for hh in "$x" "$y"; do
				echo "# h$hh fdb:" >&2
				vx "$hh" fdb show dev "vxn$((1000 + n))" >&2 || true
				echo "# h$hh neigh:" >&2
				vx "$hh" neigh show dev "vxn$((1000 + n))" >&2 || true
			done
			exit 1
		fi
		"$PY" -c "import sys; print(round(float(sys.argv[1]) * 1000 - int(sys.argv[2]) / 1e6, 1))" "$first" "$t0" \
			>>"$DIR/lat-$n"
		# Keep the table small: the trial's container goes.
		vx "$x" detach "$c" network "$net" >/dev/null
		ip netns del "$c"
	done
	p50=$(pct 50 "$DIR/lat-$n")
	p99=$(pct 99 "$DIR/lat-$n")
	max=$(sort -n "$DIR/lat-$n" | tail -n 1)
	att=$(pct 50 "$DIR/att-$n")

	# At rest.
	r0=0
	for h in "${ids[@]}"; do
		r0=$((r0 + $(vx "$h" -j -s network show | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["store"]["stats"]["requests"])')))
	done
	e0=$(etcd_started_total)
	sleep "$rest"
	r1=0
	for h in "${ids[@]}"; do
		r1=$((r1 + $(vx "$h" -j -s network show | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["store"]["stats"]["requests"])')))
	done
	e1=$(etcd_started_total)
	rate=$("$PY" -c "print(round(($r1 - $r0) / $rest / $n, 3))")
	erate=$("$PY" -c "print(round(($e1 - $e0) / $rest / $n, 3))")

	# Withdraw: kill the last host's vxnetd (every other host has it first).
	k=$n
	for ((h = 1; h < n; h++)); do
		if ! vx "$h" fdb show dev "vxn$((1000 + n))" >"$DIR/fdb-h$h" 2>&1 || ! grep -q " dst 198.18.1.$k " "$DIR/fdb-h$h"; then
			echo "converge: h$h does not have h$k before the kill ($(wc -l <"$DIR/fdb-h$h") lines)" >&2
			tail -n 3 "$DIR/fdb-h$h" >&2
			ip netns exec "vxc-h$h-$$" bridge fdb show dev "vxn$((1000 + n))" | grep -c . >&2
			exit 1
		fi
	done
	kill -KILL "${DPID[$k]}"
	unset "DPID[$k]"
	t0=$(now_ms)
	left=$((n - 1))
	declare -A done_h=()
	while [ "$left" -gt 0 ] && [ $(($(now_ms) - t0)) -lt $((ttl * 1000 + 20000)) ]; do
		for ((h = 1; h < n; h++)); do
			[ -n "${done_h[$h]:-}" ] && continue
			# Only an answer that lacks the host counts (a failed show is no answer).
			fdb=$(vx "$h" fdb show dev "vxn$((1000 + n))" 2>/dev/null) || continue
			if ! grep -q " dst 198.18.1.$k " <<<"$fdb"; then
				done_h[$h]=1
				left=$((left - 1))
			fi
		done
	done
	withdraw=$(($(now_ms) - t0))
	[ "$left" -gt 0 ] && withdraw="timeout"
	unset done_h
	printf '%-5s %-7s %9s %9s %9s %14s %12s %12s %16s\n' "$n" "$trials" "$p50" "$p99" "$max" "$att" "$withdraw" \
		"$rate" "$erate"

	# Tear this N down (etcd stays).
	for h in "${!DPID[@]}"; do kill -TERM "${DPID[$h]}" 2>/dev/null || true; done
	for h in "${!DPID[@]}"; do
		for _ in $(seq 50); do kill -0 "${DPID[$h]}" 2>/dev/null || break; sleep 0.1; done
		unset "DPID[$h]"
	done
	keep=()
	for ns in "${ALL_NS[@]}"; do
		case $ns in "$SW" | "$ET") keep+=("$ns") ;; *) ip netns del "$ns" 2>/dev/null || true ;; esac
	done
	ALL_NS=("${keep[@]}")
	for ((h = 1; h <= n; h++)); do ip -n "$SW" link del "p$h-$n" 2>/dev/null || true; done
	ip netns exec "$ET" etcdctl --endpoints "$EPS" del --prefix /vxnet/ >/dev/null
done
echo "# datapath $dp, lease TTL $ttl s, at rest over $rest s; latency = attach start -> first ping reply on another host"
