#!/bin/bash
# t42: the cluster store going away. (1) etcd stopped (the whole cluster, one
# member here): forwarding between existing endpoints goes on without a lost
# packet, `network show` still answers from what the daemon knows, `attach`
# of a new endpoint fails at once with a clear reason and changes nothing;
# etcd back: every daemon follows it again without a restart and an attach
# works and is reachable from the other hosts within 5 s. (2) The hosts cut
# off from a running etcd for longer than the lease TTL while the store
# changes and is compacted: their leases expire meanwhile, forwarding goes
# on; reconnected, each daemon registers again under a new lease, puts its
# keys back, lists the store again (its watch was compacted away) and
# installs what changed, all within 5 s.
#
#   c1   c2   c3
#   h1   h2   h3
#     switch --[etcdp]-- etcd (198.18.0.101)     (2): etcdp down = hosts cut off
#
# datapaths: user kernel
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster.sh"
trap cleanup EXIT
need_vxnet

three_hosts 1 200
vx "$H1" attach "$C1" network blue ip 203.0.113.11/24 >/dev/null
vx "$H2" attach "$C2" network blue ip 203.0.113.12/24 >/dev/null
if wait_for 5 converged "$C1" 203.0.113.12; then ok "h1 and h2 converged"; else notok "h1 and h2 converged"; fi

# ---- (1) etcd stopped ----
bg_start ping1 "$C1" ping -n -q -i 0.1 -c 80 203.0.113.12
sleep 0.5
etcd_member_stop 1 TERM
t0=$(date +%s%N)
expect_refused "attach while etcd is down fails with a clear reason" "cluster store is unreachable" \
	vx "$H3" attach "$C3" network blue
ms=$((($(date +%s%N) - t0) / 1000000))
if [ "$ms" -lt 5000 ]; then ok "... at once (${ms} ms)"; else notok "attach failed only after ${ms} ms"; fi
expect_eq "... and changed nothing in the namespace" "$(ip -n "$C3" -o link show | grep -vc ': lo:')" 0
expect_match "network show answers from what h1 knows" "$(vx "$H1" network show blue)" \
	"    endpoint 203.0.113.12/24 lladdr .* host h2"
sleep $((CLUSTER_TTL + 1))
etcd_member_start 1
t0=$(date +%s%N)
if wait_for 10 vx "$H3" attach "$C3" network blue ip 203.0.113.13/24; then
	ok "etcd back: attach on h3 works again"
else
	notok "etcd back: attach on h3 works again"
	tail -n 20 "$TMP/vxnetd-$H3.log" | sed 's/^/#   /'
fi
if wait_for 10 converged "$C1" 203.0.113.13 && wait_for 5 converged "$C2" 203.0.113.13; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$ms" -le 5000 ]; then
		ok "etcd back: c1 and c2 reach the new endpoint ${ms} ms after etcd started (<= 5 s)"
	else
		notok "everything reconciled within 5 s of etcd's start (took $ms ms)"
	fi
else
	notok "etcd back: c1 and c2 reach the new endpoint"
fi
wait "${BG_PIDS[ping1]}" 2>/dev/null || true
expect_match "no packet lost between existing endpoints while etcd was away" "$(cat "$TMP/ping1.out")" \
	'80 packets transmitted, 80 received, 0% packet loss.*'
for n in 1 2 3; do
	expect_eq "h$n never restarted" "$(grep -c 'listening on' "$TMP/vxnetd-$(hns "$n").log")" 1
done

# ---- (2) cut off longer than the lease TTL while the store changes ----
rev_before=$(keys /vxnet/hosts/ | wc -l)
expect_eq "three hosts registered before the cut" "$rev_before" 3
ip -n "$SW" link set etcdp down
etcd_local() { ip netns exec "$ETCD_NS" "$ETCDCTL" --endpoints 198.18.0.101:2379 "$@"; }
etcd_local put /vxnet/hosts/hx '{"underlay":"198.18.0.99"}' >/dev/null
etcd_local put /vxnet/endpoints/blue/02:00:00:00:00:99/hx '{"ip":"203.0.113.99"}' >/dev/null
rev=$(etcd_local endpoint status -w json | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["Status"]["header"]["revision"])')
etcd_local compact "$rev" >/dev/null
expect_ping "cut off from etcd: c1 -> c2 still" "$C1" 203.0.113.12 3 3
if wait_for $((CLUSTER_TTL + 3)) bash -c "[ \"\$(ip netns exec $ETCD_NS $ETCDCTL --endpoints 198.18.0.101:2379 get --prefix --keys-only /vxnet/hosts/ | grep -c '^/vxnet/hosts/h[0-9]\$')\" = 0 ]"; then
	ok "the hosts' leases expired while they were cut off (their keys are gone)"
else
	notok "the hosts' leases expired while they were cut off"
fi
ip -n "$SW" link set etcdp up
t0=$(date +%s%N)
back() {
	[ "$(keys /vxnet/hosts/ | wc -l)" = 4 ] && [ "$(keys /vxnet/endpoints/ | wc -l)" = 4 ] &&
		vx "$H1" fdb show dev vxn200 | grep -q '^02:00:00:00:00:99 dev vxn200 dst 198.18.0.99 ' &&
		vx "$H2" fdb show dev vxn200 | grep -q '^00:00:00:00:00:00 dev vxn200 dst 198.18.0.99 ' &&
		converged "$C3" 203.0.113.11 && converged "$C1" 203.0.113.12
}
if wait_for 8 back; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$ms" -le 5000 ]; then
		ok "reconnected: keys put back, the change installed, everyone reachable ${ms} ms after (<= 5 s)"
	else
		notok "reconnected: reconciled within 5 s (took $ms ms)"
	fi
else
	notok "reconnected: keys put back, the change installed, everyone reachable"
	keys /vxnet/ | sed 's/^/#   /'
	vx "$H1" fdb show dev vxn200 | sed 's/^/#   /'
fi
for n in 1 2 3; do
	expect_match "h$n registered again under a new lease" "$(cat "$TMP/vxnetd-$(hns "$n").log")" \
		'.*lease [0-9]+ is gone from the store .*: registering again'
	relisted() { [ "$(store_stat "$1" relists)" -ge 1 ] 2>/dev/null; }
	if wait_for 5 relisted "$(hns "$n")"; then
		ok "h$n listed the store again (watch compacted away)"
	else
		notok "h$n listed the store again (relists $(store_stat "$(hns "$n")" relists))"
	fi
done
etcdctl_ del /vxnet/endpoints/blue/02:00:00:00:00:99/hx >/dev/null
if wait_for 2 bash -c "! ip netns exec $H1 $VXNET -S $(sock_of "$H1") fdb show dev vxn200 | grep -q 198.18.0.99"; then
	ok "the store's change followed again: hx's endpoint withdrawn"
else
	notok "hx's endpoint withdrawn after its key was deleted"
fi
finish
