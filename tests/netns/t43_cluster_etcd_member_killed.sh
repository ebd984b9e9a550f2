#!/bin/bash
# t43: a three-member etcd cluster with one member killed (SIGKILL): the one
# every vxnetd talks to (first in --store), made the leader first, so that
# both a failover and an election happen. No interruption for vxnet: no
# packet lost between existing endpoints, no lease lost (no host
# re-registers), an attach right after the kill succeeds and is reachable
# from the other hosts, and every daemon keeps following the store.
#
#   c1   c2   c3
#   h1   h2   h3       --store etcd://198.18.0.101:2379,198.18.0.102:2379,198.18.0.103:2379
#     switch ---- etcd e1 (killed), e2, e3
#
# datapaths: user kernel
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster.sh"
trap cleanup EXIT
need_vxnet

three_hosts 3 300
vx "$H1" attach "$C1" network blue ip 203.0.113.11/24 >/dev/null
vx "$H2" attach "$C2" network blue ip 203.0.113.12/24 >/dev/null
if wait_for 5 converged "$C1" 203.0.113.12; then ok "h1 and h2 converged"; else notok "h1 and h2 converged"; fi
leases_before=$(etcdctl_ get --prefix /vxnet/hosts/ -w json | "$PY" -c '
import json, sys
print(" ".join(sorted(str(k["lease"]) for k in json.load(sys.stdin)["kvs"])))')

# e1 the leader, then killed.
status() { etcdctl_ endpoint status -w json; }
e1_id=$(status | "$PY" -c 'import json,sys; print([hex(s["Status"]["header"]["member_id"])[2:] for s in json.load(sys.stdin) if s["Endpoint"].startswith("198.18.0.101")][0])')
leader=$(status | "$PY" -c 'import json,sys; s=json.load(sys.stdin); print([x["Endpoint"] for x in s if x["Status"]["leader"] == x["Status"]["header"]["member_id"]][0])')
[ "$leader" = 198.18.0.101:2379 ] || ip netns exec "$ETCD_NS" "$ETCDCTL" --endpoints "$leader" move-leader "$e1_id" >/dev/null
leader=$(status | "$PY" -c 'import json,sys; s=json.load(sys.stdin); print([x["Endpoint"] for x in s if x["Status"]["leader"] == x["Status"]["header"]["member_id"]][0])')
expect_eq "e1 (first in every --store) is the leader" "$leader" 198.18.0.101:2379

bg_start ping1 "$C1" ping -n -q -i 0.1 -c 60 203.0.113.12
sleep 0.5
etcd_member_stop 1 KILL
t0=$(date +%s%N)
if vx "$H3" attach "$C3" network blue ip 203.0.113.13/24 >"$TMP/attach.out" 2>&1; then
	ok "attach right after the kill succeeds ($((($(date +%s%N) - t0) / 1000000)) ms, failover and election)"
else
	notok "attach right after the kill succeeds ($(cat "$TMP/attach.out"))"
fi
if wait_for 5 converged "$C1" 203.0.113.13 && wait_for 5 converged "$C2" 203.0.113.13; then
	ok "c1 and c2 reach it ($((($(date +%s%N) - t0) / 1000000)) ms after the kill)"
else
	notok "c1 and c2 reach the endpoint attached after the kill"
fi
wait "${BG_PIDS[ping1]}" 2>/dev/null || true
expect_match "no packet lost between existing endpoints" "$(cat "$TMP/ping1.out")" \
	'60 packets transmitted, 60 received, 0% packet loss.*'
sleep $((CLUSTER_TTL * 2))
leases_after=$(etcdctl_ get --prefix /vxnet/hosts/ -w json | "$PY" -c '
import json, sys
print(" ".join(sorted(str(k["lease"]) for k in json.load(sys.stdin)["kvs"])))')
expect_eq "2 x TTL later every host key is still on its first lease" "$leases_after" "$leases_before"
for n in 1 2 3; do
	expect_eq "h$n never registered again" "$(grep -c 'registering again' "$TMP/vxnetd-$(hns "$n").log" || true)" 0
done
f=0
for n in 1 2 3; do f=$((f + $(store_stat "$(hns "$n")" failovers))); done
expect_ge "the daemons moved to other members" "$f" 1
etcdctl_ put /vxnet/endpoints/blue/02:00:00:00:00:99/h3 '{"ip":"203.0.113.99"}' >/dev/null
for n in 1 2; do
	if wait_for 3 bash -c "ip netns exec $(hns $n) $VXNET -S $(sock_of "$(hns $n)") neigh show dev vxn300 | grep -q '^203.0.113.99 '"; then
		ok "h$n still follows the store (a key put after the kill installed)"
	else
		notok "h$n still follows the store"
	fi
done
etcdctl_ del /vxnet/endpoints/blue/02:00:00:00:00:99/h3 >/dev/null
finish
