#!/usr/bin/env bash
# tests/store/run.sh: the store module (src/vxnetd/store) against real etcd
# (Debian's etcd-server), through build/store_itest. Ends on
# "store: N passed, N failed"; each scenario is one test.
#
#   one member  (127.0.0.1:P0)          kv, txn, leases, watch, compaction, measurements
#   three members (P2, P4, P6)          failover (the leader, first in the URL, is killed),
#                                       whole-cluster stop and restart, a frozen member (SIGSTOP)
#   one TLS member (https, P8)          client certificates made here with openssl;
#                                       a wrong client certificate, none, a wrong CA: refused
#
# Every etcd listens on 127.0.0.1 only, on ports picked at random in
# 23000-23999 and checked free; data dirs live in a temp dir; everything is
# killed and removed on EXIT. The test program asks for actions on the
# cluster through "run.sh hook ACTION" (STORE_ITEST_HOOK).
#
# The three groups (one member, three members, TLS) use their own etcd and
# ports and run at the same time (STORE_SERIAL=1: one after the other); each
# group's output is printed whole, in order, when all are done.
#
# Environment: VXNET_BUILD (build dir, default build), STORE_BENCH_REST
# (seconds at rest, default 30), STORE_BENCH_PUTS (default 200),
# STORE_ONLY (space-separated scenario names to run), STORE_SERIAL.
# `STORE_BENCH_REST=10 STORE_BENCH_PUTS=50` is the quick setting `make check` uses.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SELF=$ROOT/tests/store/run.sh
ETCD=${ETCD:-etcd}
ETCDCTL=${ETCDCTL:-etcdctl}
export ETCDCTL_API=3

# ---- members: NAME CLIENT PEER state under $STATE/NAME.{pid,log,dir,args} ----

# start_member NAME CLIENT_PORT PEER_PORT INITIAL_CLUSTER [TLS]
start_member() {
	local name=$1 cport=$2 pport=$3 initial=$4 tls=${5:-} scheme=http
	local args=()
	[ -n "$tls" ] && scheme=https
	args=(--name "$name" --data-dir "$STATE/$name.dir"
		--listen-client-urls "$scheme://127.0.0.1:$cport" --advertise-client-urls "$scheme://127.0.0.1:$cport"
		--listen-peer-urls "http://127.0.0.1:$pport" --initial-advertise-peer-urls "http://127.0.0.1:$pport"
		--initial-cluster "$initial" --initial-cluster-state new --initial-cluster-token "vxnet-store-$$"
		--logger zap --log-level warn)
	if [ -n "$tls" ]; then
		args+=(--cert-file "$STATE/tls/server.crt" --key-file "$STATE/tls/server.key"
			--trusted-ca-file "$STATE/tls/ca.crt" --client-cert-auth)
	fi
	printf '%s\n' "${args[@]}" >"$STATE/$name.args"
	echo "$cport" >"$STATE/$name.port"
	launch "$name"
}

# launch NAME: (re)start a member with the arguments it was created with
# (nothing if it is running).
launch() {
	local name=$1 args=() pid
	pid=$(cat "$STATE/$name.pid" 2>/dev/null) && kill -0 "$pid" 2>/dev/null && return 0
	mapfile -t args <"$STATE/$name.args"
	"$ETCD" "${args[@]}" >>"$STATE/$name.log" 2>&1 &
	echo $! >"$STATE/$name.pid"
	# Killed members are reaped quietly (no "Killed" line from bash).
	disown $!
}

stop_member() { # NAME SIGNAL
	local pid
	pid=$(cat "$STATE/$1.pid" 2>/dev/null) || return 0
	kill -"$2" "$pid" 2>/dev/null
	kill -CONT "$pid" 2>/dev/null # a frozen member must see the signal
	for _ in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rm -f "$STATE/$1.pid"
}

# wait_healthy ENDPOINTS [etcdctl TLS args...]: until every endpoint says healthy (20 s).
wait_healthy() {
	local eps=$1
	shift
	for _ in $(seq 200); do
		"$ETCDCTL" --endpoints "$eps" "$@" endpoint health >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "etcd at $eps did not become healthy" >&2
	return 1
}

# Members of the three-member cluster in test order (the leader first), one
# name a line in $STATE/order; "member N" in the hook is line N + 1.
member() { sed -n "$(($1 + 1))p" "$STATE/order"; }
member_url() { echo "http://127.0.0.1:$(cat "$STATE/$(member "$1").port")"; }
cluster_eps() { echo "$(member_url 0),$(member_url 1),$(member_url 2)"; }

# Reorder $STATE/order so that the current leader is member 0.
order_leader_first() {
	local leader m members=()
	mapfile -t members <"$STATE/order"
	leader=$("$ETCDCTL" --endpoints "$(cluster_eps)" endpoint status -w json |
		python3 -c 'import json,sys; s=json.load(sys.stdin); print([x["Endpoint"] for x in s if x["Status"]["leader"]==x["Status"]["header"]["member_id"]][0])')
	for m in "${members[@]}"; do
		[ "http://127.0.0.1:$(cat "$STATE/$m.port")" = "$leader" ] && echo "$m"
	done >"$STATE/order.new"
	for m in "${members[@]}"; do
		[ "http://127.0.0.1:$(cat "$STATE/$m.port")" = "$leader" ] || echo "$m"
	done >>"$STATE/order.new"
	mv "$STATE/order.new" "$STATE/order"
	echo "# leader: $leader ($(member 0)), member order: $(tr '\n' ' ' <"$STATE/order")"
}

# ---- the hook: actions the test program asks for ----
hook() {
	local action=$1
	shift
	case "$action" in
	compact) "$ETCDCTL" --endpoints "$HOOK_EPS" compact "$1" >/dev/null ;;
	revoke) "$ETCDCTL" --endpoints "$HOOK_EPS" lease revoke "$1" >/dev/null ;;
	kill-member) stop_member "$(member "$1")" KILL ;;
	stop-all) for m in 0 1 2; do stop_member "$(member $m)" TERM; done ;;
	freeze-member) kill -STOP "$(cat "$STATE/$(member "$1").pid")" ;;
	thaw-member) kill -CONT "$(cat "$STATE/$(member "$1").pid")" ;;
	start-members)
		local m eps=""
		for m in "$@"; do
			launch "$(member "$m")"
			eps+="${eps:+,}$(member_url "$m")"
		done
		wait_healthy "$eps"
		;;
	metrics)
		curl -s "http://127.0.0.1:$(cat "$STATE/s0.port")/metrics" |
			awk '/^grpc_server_started_total/ {n += $2} END {printf "%d\n", n}' >"$STATE/metrics.$1"
		;;
	*)
		echo "unknown hook $action" >&2
		return 2
		;;
	esac
}

if [ "${1:-}" = hook ]; then
	shift
	: "${STATE:?}"
	hook "$@"
	exit
fi

# ---- setup ----
BUILD=${VXNET_BUILD:-build}
ITEST=$ROOT/$BUILD/store_itest
passed=0
failed=0

for bin in "$ETCD" "$ETCDCTL" openssl curl; do
	if ! command -v "$bin" >/dev/null; then
		echo "FAIL setup: $bin not found (apt-get install etcd-server etcd-client openssl curl)"
		echo "store: 0 passed, 1 failed"
		exit 1
	fi
done
if [ ! -x "$ITEST" ]; then
	echo "FAIL setup: $ITEST not built (ninja -C $BUILD store_itest)"
	echo "store: 0 passed, 1 failed"
	exit 1
fi

STATE=$(mktemp -d /tmp/vxnet-store.XXXXXX)
export STATE
cleanup() {
	local f
	for f in "$STATE"/*.pid; do
		[ -e "$f" ] || continue
		stop_member "$(basename "$f" .pid)" KILL
	done
	rm -rf "$STATE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Ten consecutive free ports from a random base in 23000-23999.
port_free() { ! ss -Htln "sport = :$1" | grep -q .; }
base=
for _ in $(seq 50); do
	b=$((23000 + RANDOM % 990))
	ok=1
	for i in $(seq 0 9); do
		port_free $((b + i)) || ok=0
	done
	if [ $ok = 1 ]; then
		base=$b
		break
	fi
done
if [ -z "$base" ]; then
	echo "FAIL setup: no 10 free ports in 23000-23999"
	echo "store: 0 passed, 1 failed"
	exit 1
fi
echo "# etcd ports $base-$((base + 9)), state in $STATE"

pass() {
	echo "PASS $1"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL $1"
	failed=$((failed + 1))
}

# run NAME URL [ARGS...]: one scenario of store_itest, its output indented.
run() {
	local name=$1 log=$STATE/$1.out
	shift
	if [ -n "${STORE_ONLY:-}" ] && [[ " $STORE_ONLY " != *" $name "* ]]; then
		return
	fi
	STORE_ITEST_HOOK="bash $SELF hook" timeout --kill-after=10 240 "$ITEST" "$@" >"$log" 2>&1
	local rc=$?
	sed 's/^/    /' "$log"
	if [ $rc -eq 0 ] && grep -q '^ok ' "$log" && ! grep -q '^not ok ' "$log"; then
		pass "$name"
	else
		fail "$name (exit $rc)"
	fi
}

# 1. One member.
group_one() {
	start_member s0 "$base" $((base + 1)) "s0=http://127.0.0.1:$((base + 1))"
	if wait_healthy "http://127.0.0.1:$base"; then
		URL1="etcd://127.0.0.1:$base"
		export HOOK_EPS="http://127.0.0.1:$base"
		run open-errors open-errors
		run kv kv --url "$URL1"
		run txn txn --url "$URL1"
		run lease-keepalive lease-keepalive --url "$URL1"
		run lease-expiry lease-expiry --url "$URL1"
		run watch watch --url "$URL1"
		run compaction compaction --url "$URL1"
		if [ -z "${STORE_ONLY:-}" ] || [[ " $STORE_ONLY " == *" bench "* ]]; then
			run bench bench --url "$URL1"
			if [ -f "$STATE/metrics.rest-start" ] && [ -f "$STATE/metrics.rest-end" ]; then
				echo "MEASURE rest (etcd's own count, grpc_server_started_total): $(($(cat "$STATE/metrics.rest-end") - $(cat "$STATE/metrics.rest-start"))) calls in ${STORE_BENCH_REST:-30} s"
			fi
		fi
	else
		fail "etcd (one member) did not start"
		sed 's/^/    /' "$STATE/s0.log" | tail -n 20
	fi
	stop_member s0 TERM
}

# 2. Three members.
group_three() {
	initial="m0=http://127.0.0.1:$((base + 3)),m1=http://127.0.0.1:$((base + 5)),m2=http://127.0.0.1:$((base + 7))"
	start_member m0 $((base + 2)) $((base + 3)) "$initial"
	start_member m1 $((base + 4)) $((base + 5)) "$initial"
	start_member m2 $((base + 6)) $((base + 7)) "$initial"
	printf '%s\n' m0 m1 m2 >"$STATE/order"
	if wait_healthy "$(cluster_eps)"; then
		# The leader first: the module talks to it, and killing it forces both a
		# failover and an election.
		order_leader_first
		export HOOK_EPS
		HOOK_EPS=$(cluster_eps)
		URL3="etcd://${HOOK_EPS//http:\/\//}"
		run bench-3members bench-latency --url "$URL3"
		run failover failover --url "$URL3"
		# Member 0 comes back before the restart test.
		bash "$SELF" hook start-members 0 >/dev/null 2>&1
		wait_healthy "$(cluster_eps)"
		# Compaction during the restart test happens while member 0 is down.
		HOOK_EPS="$(member_url 1),$(member_url 2)"
		run restart restart --url "$URL3" --url2 "etcd://127.0.0.1:$(cat "$STATE/$(member 0).port")"
		wait_healthy "$(cluster_eps)"
		# Freeze the leader, which is also the member the client talks to.
		order_leader_first
		run freeze freeze --url "etcd://127.0.0.1:$(cat "$STATE/$(member 0).port"),127.0.0.1:$(cat "$STATE/$(member 1).port"),127.0.0.1:$(cat "$STATE/$(member 2).port")"
	else
		fail "etcd (three members) did not start"
		tail -n 20 "$STATE"/m?.log | sed 's/^/    /'
	fi
	for m in m0 m1 m2; do stop_member "$m" TERM; done
}

# 3. TLS: a CA, a server certificate for 127.0.0.1, a client certificate; and
# a second CA with its own client certificate that the server must refuse.
group_tls() {
	mkdir -p "$STATE/tls"
	(
		cd "$STATE/tls" || exit 1
		set -e
		ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
		ca() { # NAME
			ec "$1.key"
			openssl req -x509 -new -key "$1.key" -subj "/CN=vxnet test $1" -days 1 -out "$1.crt" 2>/dev/null
		}
		leaf() { # NAME CA EXTENSIONS
			ec "$1.key"
			openssl req -new -key "$1.key" -subj "/CN=vxnet $1" -out "$1.csr" 2>/dev/null
			printf '%b' "$3" >"$1.ext"
			openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days 1 \
				-extfile "$1.ext" -out "$1.crt" 2>/dev/null
		}
		ca ca
		ca rogue
		leaf server ca "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n"
		leaf client ca "extendedKeyUsage=clientAuth\n"
		leaf intruder rogue "extendedKeyUsage=clientAuth\n"
	) || fail "tls: openssl could not make the certificates"
	if [ -f "$STATE/tls/intruder.crt" ]; then
		start_member t0 $((base + 8)) $((base + 9)) "t0=http://127.0.0.1:$((base + 9))" tls
		T=$STATE/tls
		if wait_healthy "https://127.0.0.1:$((base + 8))" --cacert "$T/ca.crt" --cert "$T/client.crt" --key "$T/client.key"; then
			URLT="etcd://127.0.0.1:$((base + 8))"
			run tls tls --url "$URLT" --cacert "$T/ca.crt" --cert "$T/client.crt" --key "$T/client.key"
			check=(--check-cacert "$T/ca.crt" --check-cert "$T/client.crt" --check-key "$T/client.key")
			run tls-refused-wrong-client-cert tls-refused-wrong-client-cert --url "$URLT" --cacert "$T/ca.crt" \
				--cert "$T/intruder.crt" --key "$T/intruder.key" "${check[@]}"
			run tls-refused-no-client-cert tls-refused-no-client-cert --url "$URLT" --cacert "$T/ca.crt" "${check[@]}"
			run tls-refused-unknown-server-ca tls-refused-unknown-server-ca --url "$URLT" --cacert "$T/rogue.crt" \
				--cert "$T/client.crt" --key "$T/client.key" "${check[@]}"
		else
			fail "etcd (TLS) did not start"
			tail -n 20 "$STATE/t0.log" | sed 's/^/    /'
		fi
		stop_member t0 TERM
	fi
}

if [ "${STORE_SERIAL:-0}" = 1 ]; then
	group_one
	group_three
	group_tls
else
	group_one >"$STATE/group-one.out" 2>&1 &
	p1=$!
	group_three >"$STATE/group-three.out" 2>&1 &
	p3=$!
	group_tls >"$STATE/group-tls.out" 2>&1 &
	pt=$!
	wait $p1 $p3 $pt
	cat "$STATE/group-one.out" "$STATE/group-three.out" "$STATE/group-tls.out"
	# The groups ran in subshells: their tallies are in what they printed.
	passed=$(cat "$STATE"/group-*.out | grep -c '^PASS ')
	failed=$(cat "$STATE"/group-*.out | grep -c '^FAIL ')
fi

echo "store: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
