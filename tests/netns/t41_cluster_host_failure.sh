#!/bin/bash
# t41: hosts coming and going. A second vxnetd with the name of a live host
# (--host h1) refuses to start, saying why, and the first goes on. A vxnetd
# restarted cleanly takes its lease over: no other host ever loses its
# endpoints. A vxnetd killed with SIGKILL: within lease TTL + 2 s (TTL 3 s
# here) every other host has removed its endpoints (fdb, neigh) and dropped
# it from the flood list; started again, it registers under a new lease,
# publishes its endpoints again and is reachable again.
#
#   c1   c2   c3
#   h1   h2   h3     vxnetd --store ... --lease-ttl 3
#     switch ---- etcd
#
# datapaths: user kernel
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster.sh"
trap cleanup EXIT
need_vxnet

three_hosts 1 100
for n in 1 2 3; do
	vx "$(hns "$n")" attach "$(cns "$n")" network blue ip "203.0.113.1$n/24" >/dev/null
done
MAC2=$(mac_of "$C2" eth0) MAC3=$(mac_of "$C3" eth0)
if wait_for 5 converged "$C1" 203.0.113.13 && wait_for 5 converged "$C2" 203.0.113.13; then
	ok "three hosts converged"
else
	notok "three hosts converged"
fi

# A second daemon named h1.
rc=0
ip netns exec "$H1" timeout 10 "$VXNETD" -S "$TMP/dup.sock" --state "$TMP/dup-state" --store "$ETCD_URL" \
	--host h1 --underlay 198.18.0.1 --lease-ttl "$CLUSTER_TTL" 2>"$TMP/dup.log" || rc=$?
expect_eq "a second vxnetd --host h1 exits 1" "$rc" 1
expect_match "... saying why" "$(cat "$TMP/dup.log")" \
	'.*host name h1 is registered in the store by another vxnetd \(underlay 198\.18\.0\.1, lease [0-9]+\): refusing to start.*'
expect_eq "... and leaves no socket" "$(ls "$TMP/dup.sock" 2>/dev/null)" ""
expect_ping "h1 goes on" "$C1" 203.0.113.12 2 2

# A clean restart of h2: its lease is taken over, nobody loses its endpoint.
stop_vxnetd "$H2"
start_vxnetd "$H2" --store "$ETCD_URL" --host h2 --underlay 198.18.0.2 --lease-ttl "$CLUSTER_TTL"
lost=0
for ((i = 0; i < $((CLUSTER_TTL * 10 + 15)); i++)); do
	vx "$H1" fdb show dev vxn100 | grep -q "^$MAC2 " || lost=$((lost + 1))
	sleep 0.1
done
expect_eq "during and $CLUSTER_TTL s after h2's restart h1 never lost h2's endpoint" "$lost" 0
expect_match "h2 took its lease over" "$(cat "$TMP/vxnetd-$H2.log")" '.*took over lease [0-9]+ of the previous vxnetd'
expect_ping "c1 -> c2 after h2's restart" "$C1" 203.0.113.12 2 2
expect_ping "c2 -> c3 after h2's restart" "$C2" 203.0.113.13 2 2

# Restarted with another --lease-ttl: its old lease is revoked, not mistaken for another daemon's.
stop_vxnetd "$H2"
start_vxnetd "$H2" --store "$ETCD_URL" --host h2 --underlay 198.18.0.2 --lease-ttl $((CLUSTER_TTL + 1))
expect_match "h2 restarted with another TTL revokes its old lease" "$(cat "$TMP/vxnetd-$H2.log")" \
	".*lease [0-9]+ of the previous vxnetd has TTL $CLUSTER_TTL, not $((CLUSTER_TTL + 1)): revoking it"
if wait_for 5 converged "$C1" 203.0.113.12; then ok "... and is registered and reachable again"; else notok "h2 reachable after a TTL change"; fi

# SIGKILL h3.
gone() { # HOSTNS: nothing of h3 left there
	local fdb neigh
	fdb=$(vx "$1" fdb show dev vxn100) && neigh=$(vx "$1" neigh show dev vxn100) || return 1
	! echo "$fdb" | grep -q "198.18.0.3" && ! echo "$neigh" | grep -q "$MAC3"
}
expect_match "h1 has h3 in its flood list before" "$(vx "$H1" fdb show dev vxn100)" \
	"00:00:00:00:00:00 dev vxn100 dst 198.18.0.3 self permanent origin store"
kill -KILL "${DAEMON_OF[$H3]}"
wait "${DAEMON_OF[$H3]}" 2>/dev/null || true
unset "DAEMON_OF[$H3]"
t0=$(date +%s%N)
limit=$((CLUSTER_TTL + 2))
if wait_for "$limit" gone "$H1" && wait_for "$limit" gone "$H2"; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$ms" -le $((limit * 1000)) ]; then
		ok "h1 and h2 withdrew h3's endpoint and flood entry ${ms} ms after the SIGKILL (TTL $CLUSTER_TTL s + 2 s)"
	else
		notok "h3 withdrawn within $limit s (took $ms ms)"
	fi
else
	notok "h1 and h2 withdrew h3 within $limit s of the SIGKILL"
	vx "$H1" fdb show dev vxn100 | sed 's/^/#   /'
fi
expect_no_line "network show on h1 lists h3 no more" "$(vx "$H1" network show blue)" "    host h3 underlay 198.18.0.3"
expect_ping "c1 -> c2 unaffected" "$C1" 203.0.113.12 2 2

# h3 again (same state): a new lease, its endpoint published again.
start_vxnetd "$H3" --store "$ETCD_URL" --host h3 --underlay 198.18.0.3 --lease-ttl "$CLUSTER_TTL"
if wait_for 5 converged "$C1" 203.0.113.13; then
	ok "h3 restarted: c1 reaches c3 again within 5 s"
else
	notok "h3 restarted: c1 reaches c3 again within 5 s"
	tail -n 20 "$TMP/vxnetd-$H3.log" | sed 's/^/#   /'
fi
expect_line "h2 installed c3 again" "$(vx "$H2" fdb show dev vxn100)" \
	"$MAC3 dev vxn100 dst 198.18.0.3 self permanent origin store"
expect_ping "c3 -> c2" "$C3" 203.0.113.12 2 2
finish
