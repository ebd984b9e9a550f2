# Helpers of the cluster scenarios (tests/netns/t3X_cluster_*.sh), sourced after
# lib.sh: an underlay switch with hosts, real etcd members (Debian's
# etcd-server) in a namespace of their own on that switch, vxnetd with
# --store on each host, and containers attached through `vxnet attach`.
#
#   sw0 (vx-sw-$$) --- ul0 198.18.0.N/24 of host hN (vx-hN-$$), its vxnetd --host hN
#                  \-- ul0 of vx-etcd-$$: member i listens on 198.18.0.10i:2379 (peers :2380)
#
# etcd never listens outside that namespace; everything dies with the
# namespaces on EXIT (lib.sh's cleanup kills every process in them). Lease
# TTL 3 s in the tests (CLUSTER_TTL) to keep them short.
# shellcheck shell=bash

ETCD=${ETCD:-etcd}
ETCDCTL=${ETCDCTL:-etcdctl}
export ETCDCTL_API=3
CLUSTER_TTL=${CLUSTER_TTL:-3}
SW=vx-sw-$$
ETCD_NS=vx-etcd-$$
ETCD_N=0
ETCD_EPS=""
ETCD_URL=""
declare -A ETCD_PID=()

# etcd_setup N: the switch (if missing), and N (1 or 3) members, healthy.
etcd_setup() {
	local n=$1 i initial=""
	need "$ETCD" "$ETCDCTL"
	ip netns list | grep -qw "$SW" || add_switch "$SW"
	add_ns "$ETCD_NS"
	veth "$SW" etcdp "$ETCD_NS" ul0
	ip -n "$SW" link set etcdp master sw0
	ETCD_N=$n
	for ((i = 1; i <= n; i++)); do
		ip -n "$ETCD_NS" addr add "198.18.0.10$i/24" dev ul0
		initial+="${initial:+,}e$i=http://198.18.0.10$i:2380"
		ETCD_EPS+="${ETCD_EPS:+,}198.18.0.10$i:2379"
	done
	ETCD_URL="etcd://$ETCD_EPS"
	[ "${ETCD_TLS:-0}" = 1 ] && etcd_tls
	echo "$initial" >"$TMP/etcd.initial"
	for ((i = 1; i <= n; i++)); do etcd_member_start "$i"; done
	if ! wait_for 20 etcdctl_ endpoint health --cluster; then
		notok "etcd ($n member(s)) is healthy within 20 s"
		tail -n 20 "$TMP"/etcd-e*.log | sed 's/^/# /'
		exit 1
	fi
}

# etcd_tls: certificates for etcd_setup's members (ETCD_TLS=1 before it):
# a CA, a server certificate for 198.18.0.101-103, a client certificate, in
# $TMP/tls (made here with openssl, valid one day).
etcd_tls() {
	need openssl
	mkdir -p "$TMP/tls"
	(
		cd "$TMP/tls" || exit 1
		set -e
		key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
		key ca.key
		openssl req -x509 -new -key ca.key -subj "/CN=vxnet t45 CA" -days 1 -out ca.crt 2>/dev/null
		leaf() { # NAME EXTENSIONS
			key "$1.key"
			openssl req -new -key "$1.key" -subj "/CN=vxnet $1" -out "$1.csr" 2>/dev/null
			printf '%b' "$2" >"$1.ext"
			openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile "$1.ext" \
				-out "$1.crt" 2>/dev/null
		}
		leaf server "subjectAltName=IP:198.18.0.101,IP:198.18.0.102,IP:198.18.0.103\nextendedKeyUsage=serverAuth,clientAuth\n"
		leaf client "extendedKeyUsage=clientAuth\n"
	)
}

# etcd_member_start I: start (or restart, same data) member I.
etcd_member_start() {
	local i=$1 state=new scheme=http tls=()
	[ -d "$TMP/etcd-e$i.dir/member" ] && state=existing
	if [ "${ETCD_TLS:-0}" = 1 ]; then
		scheme=https
		tls=(--cert-file "$TMP/tls/server.crt" --key-file "$TMP/tls/server.key"
			--trusted-ca-file "$TMP/tls/ca.crt" --client-cert-auth)
	fi
	ip netns exec "$ETCD_NS" "$ETCD" --name "e$i" --data-dir "$TMP/etcd-e$i.dir" "${tls[@]}" \
		--listen-client-urls "$scheme://198.18.0.10$i:2379" --advertise-client-urls "$scheme://198.18.0.10$i:2379" \
		--listen-peer-urls "http://198.18.0.10$i:2380" --initial-advertise-peer-urls "http://198.18.0.10$i:2380" \
		--initial-cluster "$(cat "$TMP/etcd.initial")" --initial-cluster-state "$state" \
		--initial-cluster-token "vxnet-t-$$" --heartbeat-interval 100 --election-timeout 1000 \
		--logger zap --log-level warn >>"$TMP/etcd-e$i.log" 2>&1 &
	ETCD_PID[$i]=$!
	disown $! # killed quietly (no "Killed" line from bash)
}

# etcd_member_stop I [SIGNAL]: stop member I and wait until it is gone.
etcd_member_stop() {
	local pid=${ETCD_PID[$1]:-} i
	[ -n "$pid" ] || return 0
	kill -"${2:-TERM}" "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" 2>/dev/null || true
	unset "ETCD_PID[$1]"
}

# etcdctl_ ARGS...: etcdctl against the cluster, from inside its namespace.
etcdctl_() {
	local tls=()
	[ "${ETCD_TLS:-0}" = 1 ] &&
		tls=(--cacert "$TMP/tls/ca.crt" --cert "$TMP/tls/client.crt" --key "$TMP/tls/client.key")
	ip netns exec "$ETCD_NS" "$ETCDCTL" --endpoints "$ETCD_EPS" "${tls[@]}" --dial-timeout 2s --command-timeout 4s "$@"
}

# cluster_host N [vxnetd args...]: host vx-hN-$$ on the switch at
# 198.18.0.N, its vxnetd in the cluster as hN.
cluster_host() {
	local n=$1 ns=vx-h$1-$$
	shift
	add_ns "$ns"
	plug "$SW" "$ns" "p$n" "198.18.0.$n/24"
	start_vxnetd "$ns" --store "$ETCD_URL" --host "h$n" --underlay "198.18.0.$n" --lease-ttl "$CLUSTER_TTL" "$@"
}

hns() { echo "vx-h$1-$$"; }
cns() { echo "vx-c$1-$$"; }

# container N: namespace vx-cN-$$ (nothing in it but lo).
container() {
	add_ns "$(cns "$1")"
}

# store_stat HOSTNS NAME: a counter of `vxnet -j -s network show`'s store.
store_stat() {
	vx "$1" -j -s network show 2>/dev/null | "$PY" -c '
import json, sys
try:
    print(json.load(sys.stdin)["store"]["stats"][sys.argv[1]])
except Exception:
    print("missing")' "$2"
}

# fdb_store HOSTNS LINK: the link'"'"'s fdb entries (mac dst), one per line, sorted.
fdb_lines() {
	vx "$1" fdb show dev "$2" 2>/dev/null | awk '{print $1, $4}' | sort
}

# ip_of CONTAINER: its eth0 IPv4 address.
ip_of() {
	ip -n "$1" -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1
}

# converged NS DST: one ping gets through.
converged() {
	ip netns exec "$1" ping -n -q -c 1 -W 1 "$2" >/dev/null 2>&1
}

# expect_refused DESC ERE CMD...: CMD exits 2 with one stderr line matching ERE.
expect_refused() {
	local desc=$1 re=$2 rc=0
	shift 2
	"$@" >"$TMP/refused.out" 2>"$TMP/refused.err" || rc=$?
	if [ "$rc" = 2 ] && [ "$(wc -l <"$TMP/refused.err")" = 1 ] && grep -qE -- "$re" "$TMP/refused.err"; then
		ok "$desc"
	else
		notok "$desc (exit $rc, stderr: $(head -c 300 "$TMP/refused.err"))"
	fi
}

# keys PREFIX: the store's keys under PREFIX, one per line.
keys() {
	etcdctl_ get --prefix --keys-only "$1" 2>/dev/null | grep -v '^$'
}

# three_hosts MEMBERS VNI: etcd with MEMBERS members, hosts 1-3 each running
# vxnetd --store with a container beside it (H1..H3, C1..C3), and network
# blue (VNI, 203.0.113.0/24, this run's datapath) created: the common start
# of the failure scenarios.
three_hosts() {
	local n
	etcd_setup "$1"
	for n in 1 2 3; do
		cluster_host "$n"
		container "$n"
	done
	H1=$(hns 1) H2=$(hns 2) H3=$(hns 3)
	C1=$(cns 1) C2=$(cns 2) C3=$(cns 3)
	expect_ok "network create" vx "$H1" network create blue id "$2" subnet 203.0.113.0/24 datapath "$VXNET_DATAPATH"
}
