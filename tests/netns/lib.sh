# Helpers shared by the network-namespace scenario tests (tests/netns/t*.sh):
# namespace and daemon life cycle, the CLI against one namespace's daemon,
# packet captures, and checks that print `ok - ...` / `not ok - ...`.
# Sourced by each script after `set -eu`; the script then sets `trap cleanup EXIT`.
# shellcheck shell=bash

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VXNET_BUILD=${VXNET_BUILD:-$repo/build}
case $VXNET_BUILD in /*) ;; *) VXNET_BUILD=$repo/$VXNET_BUILD ;; esac
VXNETD=$VXNET_BUILD/vxnetd
VXNET=$VXNET_BUILD/vxnet
# Debian's python3-scapy lives under the system interpreter, not a pyenv one.
PY=${PYTHON:-python3}
[ -x /usr/bin/python3 ] && [ -z "${PYTHON:-}" ] && PY=/usr/bin/python3

TMP=$(mktemp -d /tmp/vxnet-netns.XXXXXX)
failures=0
checks=0
finished=0
NAMESPACES=()
DAEMON_PIDS=()
declare -A DAEMON_OF=()     # ns -> vxnetd pid
declare -A BG_PIDS=()       # name -> pid of a capture or a monitor

ok() { checks=$((checks + 1)); echo "ok - $*"; }
notok() { checks=$((checks + 1)); failures=$((failures + 1)); echo "not ok - $*"; }

# A missing tool is a failure, never a skip: CI must install it.
need() {
	local t
	for t; do
		if ! command -v "$t" >/dev/null 2>&1; then
			notok "required tool '$t' is installed"
			exit 1
		fi
	done
}

need_scapy() {
	if ! "$PY" -c 'import scapy.all' >/dev/null 2>&1; then
		notok "python3-scapy is importable by $PY"
		exit 1
	fi
}

need_vxnet() {
	if [ ! -x "$VXNETD" ] || [ ! -x "$VXNET" ]; then
		notok "vxnetd and vxnet are built in $VXNET_BUILD"
		exit 1
	fi
}

# wait_for SECONDS CMD...: poll CMD every 0.1 s, give up after SECONDS.
wait_for() {
	local limit=$(($1 * 10)) i
	shift
	for ((i = 0; i < limit; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# add_ns NAME [ipv6]: a namespace with lo up; IPv6 off unless asked, so that
# router solicitations and MLD reports do not add packets to the counts.
add_ns() {
	ip netns add "$1"
	NAMESPACES+=("$1")
	ip -n "$1" link set lo up
	if [ "${2:-}" != ipv6 ]; then
		ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
			net.ipv6.conf.default.disable_ipv6=1
	fi
}

# veth NS1 IF1 NS2 IF2 [MTU]: a veth pair between two namespaces, both ends up.
veth() {
	ip link add "$2" ${5:+mtu "$5"} netns "$1" type veth peer name "$4" ${5:+mtu "$5"} netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

# underlay A B [MTU]: the underlay of a two-host scenario: A's ul0 -- B's ul0
# (a veth), A 198.18.0.1/24, B 198.18.0.2/24.
underlay() {
	veth "$1" ul0 "$2" ul0 ${3:+"$3"}
	ip -n "$1" addr add 198.18.0.1/24 dev ul0
	ip -n "$2" addr add 198.18.0.2/24 dev ul0
}

# add_switch NS: a namespace holding bridge sw0 (the underlay "switch");
# multicast snooping off so that groups are flooded like on a plain hub.
add_switch() {
	add_ns "$1"
	ip -n "$1" link add sw0 type bridge mcast_snooping 0
	ip -n "$1" link set sw0 up
}

# plug SW HOSTNS PORT ADDR/LEN: HOSTNS's ul0 to port PORT of SW's sw0.
plug() {
	veth "$1" "$3" "$2" ul0
	ip -n "$1" link set "$3" master sw0
	ip -n "$2" addr add "$4" dev ul0
}

# A valid RFC 7348 header: only the I flag, every reserved bit zero. (The
# filter `vxlan.flags==0x0800` is refused by tshark 4.0, which also registers
# a one-byte vxlan.flags for VXLAN-GPE; so test the named bits and the bytes.)
# shellcheck disable=SC2034 # used by the scripts that source this file
STRICT_VXLAN='vxlan.flag_i==1 && vxlan.flag_g==0 && vxlan.flag_d==0 && vxlan.flag_a==0 && vxlan.flags_reserved==0 && vxlan.gbp==0 && vxlan.reserved8==0 && udp.payload[0:4]==08:00:00:00 && udp.payload[7]==00'

sock_of() { echo "$TMP/$1.sock"; }

# The datapath links get when a test does not name one: VXNET_DATAPATH=kernel
# runs the whole suite against the kernel vxlan driver behind vxnetd.
VXNET_DATAPATH=${VXNET_DATAPATH:-user}

# dp_is user|kernel: is this run against that datapath? Checks of what only
# one datapath has go under `if dp_is ...`, with the other's behaviour (and
# why it differs, see docs/datapaths.md) in the else branch.
dp_is() { [ "$VXNET_DATAPATH" = "$1" ]; }

# start_vxnetd NS [ARGS...]: run a daemon in NS (its state in $TMP) and wait
# (bounded) for its socket. With VXNETD_NOFILE=N set (e.g. on the call:
# `VXNETD_NOFILE=1024 start_vxnetd NS`) the daemon runs under a file
# descriptor limit of N, soft and hard, as systemd's default soft limit.
start_vxnetd() {
	local ns=$1 sock pre=()
	shift
	sock=$(sock_of "$ns")
	[ -n "${VXNETD_NOFILE:-}" ] && pre=(prlimit --nofile="$VXNETD_NOFILE:$VXNETD_NOFILE" --)
	ip netns exec "$ns" "${pre[@]}" "$VXNETD" -S "$sock" --state "$TMP/state-$ns" --datapath "$VXNET_DATAPATH" "$@" \
		>>"$TMP/vxnetd-$ns.log" 2>&1 &
	DAEMON_PIDS+=("$!")
	DAEMON_OF[$ns]=$!
	# Ready when it answers: a socket file left by a killed daemon refuses
	# connections, so its presence alone proves nothing.
	if ! wait_for 5 ip netns exec "$ns" "$VXNET" -S "$sock" link show; then
		notok "vxnetd in $ns answers on its control socket within 5 s"
		sed 's/^/# /' "$TMP/vxnetd-$ns.log" | tail -n 20
		exit 1
	fi
}

# cpu_ticks PID: user + system CPU time the process has used, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# fd_count PID: file descriptors the process holds.
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# expect_idle DESC PID: the process uses (almost) no CPU over 2 s: under 0.4 s
# even on a loaded machine, where a spinning one uses about 2 s.
expect_idle() {
	local t0 t1
	t0=$(cpu_ticks "$2")
	sleep 2
	t1=$(cpu_ticks "$2")
	if [ $((t1 - t0)) -lt 40 ]; then ok "$1 ($((t1 - t0)) ticks of CPU in 2 s)"; else notok "$1 ($((t1 - t0)) ticks of CPU in 2 s)"; fi
}

# vxctl ARGS...: tests/netns/vxctl.py (the control protocol from Python).
vxctl() { "$PY" "$repo/tests/netns/vxctl.py" "$@"; }

# vx NS ARGS...: the CLI against NS's daemon.
vx() {
	local ns=$1
	shift
	ip netns exec "$ns" "$VXNET" -S "$(sock_of "$ns")" "$@"
}

# counter NS LINK NAME: a counter from `vxnet -j -s link show LINK`, looked up
# under "stats" then "socket_stats"; prints "missing" when absent.
counter() {
	vx "$1" -j -s link show "$2" 2>"$TMP/counter.err" | "$PY" -c '
import json, sys
name = sys.argv[1]
try:
    d = json.load(sys.stdin)
    d = d[0] if isinstance(d, list) else d
except Exception:
    print("missing"); sys.exit(0)
for k in ("stats", "socket_stats"):
    v = d.get(k, {})
    if isinstance(v, dict) and name in v:
        print(int(v[name])); sys.exit(0)
print("missing")' "$3"
}

mac_of() { ip -n "$1" -br link show "$2" | awk '{print $3}'; }

# ping_recv NS DST COUNT [ping args]: how many of COUNT echo requests were
# answered. One request at a time (ping -c 1, never -w, so nothing is ever
# re-sent: a lost request or reply stays lost), each waiting up to PING_WAIT
# seconds (default 5) for its reply and not a moment longer once it came.
# One `ping -c N -i 0.2 -W 1` gave up on a reply 0.2 s after its last request
# once any reply had come (iputils lingers max(2 rtt, interval)), or 1 s
# after it when none had (e.g. while ARP resolved): a busy machine lost
# replies that were only late. All COUNT requests share one ICMP identifier,
# one flow as for a single ping.
ping_recv() {
	local ns=$1 dst=$2 n=$3 i got=0 id out
	shift 3
	id=$((RANDOM % 65535 + 1))
	for ((i = 0; i < n; i++)); do
		out=$(ip netns exec "$ns" ping -n -q -c 1 -W "${PING_WAIT:-5}" -e "$id" "$@" "$dst" 2>&1 || true)
		if echo "$out" | grep -qE '^1 packets transmitted, 1 received'; then got=$((got + 1)); fi
	done
	echo "$got"
}

# bg_start NAME NS CMD...: a background process inside NS (captures, monitors).
bg_start() {
	local name=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	BG_PIDS[$name]=$!
}

bg_stop() {
	local pid=${BG_PIDS[$1]:-} i
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	unset "BG_PIDS[$1]"
}

# start_capture NAME NS IFACE [FILTER...]: tcpdump into $TMP/NAME.pcap, returns
# once tcpdump is listening.
start_capture() {
	local name=$1 ns=$2 ifc=$3
	shift 3
	bg_start "$name" "$ns" tcpdump -Z root -n -U --immediate-mode -s 0 -i "$ifc" -w "$TMP/$name.pcap" "$@"
	if ! wait_for 5 grep -q "listening on" "$TMP/$name.err"; then
		notok "tcpdump $name listens on $ns/$ifc"
		sed 's/^/# /' "$TMP/$name.err"
		exit 1
	fi
}

stop_capture() {
	sleep 0.3
	bg_stop "$1"
}

# tcount NAME FILTER: packets in NAME's capture matching a tshark display filter.
tcount() {
	local out
	if ! out=$(tshark -n -r "$TMP/$1.pcap" -Y "$2" -T fields -e frame.number 2>"$TMP/tshark.err"); then
		echo "tshark-error"
		return 0
	fi
	if [ -z "$out" ]; then echo 0; else echo "$out" | wc -l; fi
}

# tfields NAME FILTER FIELD...: one line per matching packet.
tfields() {
	local name=$1 filter=$2 f args=()
	shift 2
	for f; do args+=(-e "$f"); done
	tshark -n -r "$TMP/$name.pcap" -Y "$filter" -T fields "${args[@]}" 2>/dev/null || true
}

is_num() { [[ $1 =~ ^[0-9]+$ ]]; }

# delta OLD NEW: NEW - OLD, or "missing" when either is not a number.
delta() {
	if is_num "$1" && is_num "$2"; then echo $(($2 - $1)); else echo "missing($1,$2)"; fi
}

expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1 (got '$2', want '$3')"; fi
}

expect_ge() {
	if is_num "$2" && [ "$2" -ge "$3" ]; then ok "$1"; else notok "$1 (got '$2', want >= $3)"; fi
}

# expect_line DESC TEXT LINE: TEXT has exactly LINE as one of its lines.
expect_line() {
	if printf '%s\n' "$2" | grep -qxF -- "$3"; then
		ok "$1"
	else
		notok "$1 (no line '$3' in:)"
		printf '%s\n' "$2" | sed 's/^/#   /'
	fi
}

expect_no_line() {
	if printf '%s\n' "$2" | grep -qxF -- "$3"; then
		notok "$1 (unexpected line '$3')"
	else
		ok "$1"
	fi
}

# expect_match DESC TEXT ERE: some line of TEXT matches ERE entirely.
expect_match() {
	if printf '%s\n' "$2" | grep -qxE -- "$3"; then
		ok "$1"
	else
		notok "$1 (no line matching /$3/ in:)"
		printf '%s\n' "$2" | sed 's/^/#   /'
	fi
}

expect_ok() {
	local desc=$1
	shift
	if "$@" >"$TMP/cmd.out" 2>&1; then
		ok "$desc"
	else
		notok "$desc (exit $?: $(head -c 300 "$TMP/cmd.out"))"
	fi
}

# expect_ping DESC NS DST COUNT WANT [PING ARGS...]: WANT replies out of
# COUNT requests. WANT 0 (nothing may answer) waits 1 s per request.
expect_ping() {
	local desc=$1 ns=$2 dst=$3 count=$4 want=$5 wait=${PING_WAIT:-5}
	shift 5
	[ "$want" = 0 ] && wait=1
	expect_eq "$desc" "$(PING_WAIT=$wait ping_recv "$ns" "$dst" "$count" "$@")" "$want"
}

# stop_vxnetd NS: SIGTERM must make the daemon exit 0 and remove its socket.
stop_vxnetd() {
	local ns=$1 pid=${DAEMON_OF[$1]} i rc=0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		notok "vxnetd in $ns exits within 5 s of SIGTERM"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || rc=$?
	expect_eq "vxnetd in $ns exits 0 on SIGTERM" "$rc" 0
	if [ -e "$(sock_of "$ns")" ]; then
		notok "vxnetd in $ns removed its socket"
	else
		ok "vxnetd in $ns removed its socket"
	fi
	unset "DAEMON_OF[$ns]"
}

# finish: stop the daemons (checking they exit cleanly), print the tally and
# exit 1 on any failure.
finish() {
	local ns
	for ns in "${!DAEMON_OF[@]}"; do
		stop_vxnetd "$ns"
	done
	finished=1
	if [ "$failures" -gt 0 ]; then
		echo "# $failures of $checks checks failed"
		exit 1
	fi
	echo "# all $checks checks passed"
	exit 0
}

cleanup() {
	local rc=$? name pid ns i
	set +e
	if [ "$finished" = 0 ]; then
		echo "not ok - $(basename "$0") stopped early (exit $rc)"
		[ "$rc" = 0 ] && rc=1
	fi
	for name in "${!BG_PIDS[@]}"; do bg_stop "$name"; done
	for ns in "${!DAEMON_OF[@]}"; do kill -TERM "${DAEMON_OF[$ns]}" 2>/dev/null; done
	for pid in "${DAEMON_PIDS[@]}"; do
		for ((i = 0; i < 30; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	if [ "$failures" -gt 0 ] || [ "$finished" = 0 ]; then
		for ns in "${NAMESPACES[@]}"; do
			[ -s "$TMP/vxnetd-$ns.log" ] || continue
			echo "# vxnetd log of $ns (last lines):"
			tail -n 15 "$TMP/vxnetd-$ns.log" | sed 's/^/#   /'
		done
	fi
	for ns in "${NAMESPACES[@]}"; do
		# Anything still running in our namespaces was started by this script.
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	# A daemon started without --state keeps its state in /var/lib/vxnet
	# (named after its socket, under $TMP): a scenario must not leave that.
	local left
	left=$(find /var/lib/vxnet -maxdepth 1 -name "tmp_$(basename "$TMP")_*" 2>/dev/null)
	if [ -n "$left" ]; then
		echo "not ok - $(basename "$0") left state in /var/lib/vxnet (a vxnetd without --state):" $left
		rm -rf $left
		[ "$rc" = 0 ] && rc=1
	fi
	if [ -n "${KEEP_TMP:-}" ]; then echo "# kept $TMP"; else rm -rf "$TMP"; fi
	exit "$rc"
}

# monitor_start NAME NS LINK: `vxnet monitor` in the background (output in
# $TMP/NAME.out), returning only once it is subscribed: a throw-away neigh
# entry is added and deleted on LINK until the monitor prints it. A fixed
# sleep is not enough on a slow machine or under ASan.
monitor_start() {
	local name=$1 ns=$2 link=$3 i
	# No stdbuf: vxnet flushes each line itself, and an LD_PRELOAD breaks ASan builds.
	bg_start "$name" "$ns" "$VXNET" -S "$(sock_of "$ns")" monitor
	for ((i = 0; i < 50; i++)); do
		vx "$ns" neigh add 192.0.2.254 lladdr 02:00:00:00:00:fe dev "$link" >/dev/null 2>&1 || true
		vx "$ns" neigh del 192.0.2.254 dev "$link" >/dev/null 2>&1 || true
		grep -q "^neigh-added 192.0.2.254 " "$TMP/$name.out" 2>/dev/null && return 0
		sleep 0.1
	done
	notok "monitor $name in $ns subscribed within 5 s"
	return 1
}
