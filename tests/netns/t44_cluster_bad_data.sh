#!/bin/bash
# t44: bad data under the prefix, put with etcdctl: malformed JSON, a wrong
# type, a VNI out of range, an address outside the subnet, a key that does
# not parse, a host without a usable underlay. Each is skipped with one log
# line naming the key, counted (`vxnet -s network show`: invalid_keys), never
# installed, never a crash; the daemons go on forwarding. A MAC claimed by
# two hosts: the older claim (lower create_revision) is installed, the newer
# counted (conflicts) and logged once; when the older goes, the newer takes
# its place.
#
#   c1   c2
#   h1   h2
#     switch ---- etcd          (hx 198.18.0.50, hy 198.18.0.51: hosts that exist only in the store)
#
# datapaths: user kernel
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster.sh"
trap cleanup EXIT
need_vxnet

etcd_setup 1
for n in 1 2; do
	cluster_host "$n"
	container "$n"
done
H1=$(hns 1) H2=$(hns 2) C1=$(cns 1) C2=$(cns 2)
expect_ok "network create" vx "$H1" network create blue id 400 subnet 203.0.113.0/24 datapath "$VXNET_DATAPATH"
vx "$H1" attach "$C1" network blue ip 203.0.113.11/24 >/dev/null
vx "$H2" attach "$C2" network blue ip 203.0.113.12/24 >/dev/null
if wait_for 5 converged "$C1" 203.0.113.12; then ok "h1 and h2 converged"; else notok "h1 and h2 converged"; fi
expect_eq "no invalid key yet" "$(store_stat "$H1" invalid_keys)" 0

declare -A BAD=(
	[/vxnet/networks/bad-json]='{"vni":42,'
	[/vxnet/networks/bad-type]='{"vni":"42","subnet":"198.51.100.0/24"}'
	[/vxnet/networks/bad-vni]='{"vni":16777216,"subnet":"198.51.100.0/24"}'
	[/vxnet/endpoints/blue/02:00:00:00:00:aa/h2]='{"ip":"198.51.100.7"}'
	[/vxnet/endpoints/blue/02:00:00:00:00:bb/h2]='{"ip":42}'
	[/vxnet/endpoints/blue/02:00:00:00:00:CC/h2]='{"ip":"203.0.113.77"}'
	[/vxnet/hosts/hbad]='{"underlay":"not-an-address"}'
)
for k in "${!BAD[@]}"; do etcdctl_ put "$k" "${BAD[$k]}" >/dev/null; done
etcdctl_ put /vxnet/endpoints/blue/02:00:00:00:00:ee/hbad '{"ip":"203.0.113.78"}' >/dev/null
for h in "$H1" "$H2"; do
	if wait_for 3 bash -c "[ \"\$(VXNET_BUILD=$VXNET_BUILD; ip netns exec $h $VXNET -S $(sock_of "$h") -j -s network show | $PY -c 'import json,sys; print(json.load(sys.stdin)[\"store\"][\"stats\"][\"invalid_keys\"])')\" = 7 ]"; then
		ok "$h counts the 7 bad keys (invalid_keys 7)"
	else
		notok "$h counts the 7 bad keys (invalid_keys $(store_stat "$h" invalid_keys))"
	fi
	for k in "${!BAD[@]}"; do
		n=$(grep -cF "cluster: skipping $k: " "$TMP/vxnetd-$h.log" || true)
		expect_eq "$h logged $k once" "$n" 1
	done
done
expect_match "the reason names the field (VNI out of range)" "$(cat "$TMP/vxnetd-$H1.log")" \
	'.*cluster: skipping /vxnet/networks/bad-vni: vni .*'
expect_match "the reason of an address outside the subnet" "$(cat "$TMP/vxnetd-$H1.log")" \
	".*cluster: skipping /vxnet/endpoints/blue/02:00:00:00:00:aa/h2: ip is outside the network's subnet"
fdb=$(vx "$H1" fdb show dev vxn400)
neigh=$(vx "$H1" neigh show dev vxn400)
for m in 02:00:00:00:00:aa 02:00:00:00:00:bb 02:00:00:00:00:cc 02:00:00:00:00:ee; do
	if echo "$fdb" | grep -qi "^$m "; then notok "$m is not installed"; else ok "$m is not installed"; fi
done
if echo "$neigh" | grep -qE '^(198\.51\.100\.7|203\.0\.113\.77|203\.0\.113\.78) '; then
	notok "no neigh entry from bad data"
else
	ok "no neigh entry from bad data"
fi
expect_eq "network show lists blue only" "$(vx "$H2" network show | grep -c '^network ')" 1
expect_ping "h1 and h2 still forward" "$C1" 203.0.113.12 2 2

# One MAC, two hosts.
etcdctl_ put /vxnet/hosts/hx '{"underlay":"198.18.0.50"}' >/dev/null
etcdctl_ put /vxnet/hosts/hy '{"underlay":"198.18.0.51"}' >/dev/null
etcdctl_ put /vxnet/endpoints/blue/02:00:00:00:00:dd/hx '{"ip":"203.0.113.60"}' >/dev/null
etcdctl_ put /vxnet/endpoints/blue/02:00:00:00:00:dd/hy '{"ip":"203.0.113.61"}' >/dev/null
older() {
	vx "$1" fdb show dev vxn400 | grep -q '^02:00:00:00:00:dd dev vxn400 dst 198.18.0.50 self permanent origin store$'
}
if wait_for 3 older "$H1" && wait_for 3 older "$H2"; then
	ok "the older claim (hx) is installed on h1 and h2"
else
	notok "the older claim (hx) is installed"
	vx "$H1" fdb show dev vxn400 | sed 's/^/#   /'
fi
expect_line "h1: its address -> the MAC" "$(vx "$H1" neigh show dev vxn400)" \
	"203.0.113.60 dev vxn400 lladdr 02:00:00:00:00:dd PERMANENT origin store"
expect_no_line "h1: the newer claim's address is not" "$(vx "$H1" neigh show dev vxn400)" \
	"203.0.113.61 dev vxn400 lladdr 02:00:00:00:00:dd PERMANENT origin store"
expect_no_line "h1: hy (no endpoint in effect) is not in the flood list" "$(vx "$H1" fdb show dev vxn400)" \
	"00:00:00:00:00:00 dev vxn400 dst 198.18.0.51 self permanent origin store"
expect_eq "h1 counts one conflict" "$(store_stat "$H1" conflicts)" 1
expect_eq "h1 logged the newer claim once" \
	"$(grep -c 'cluster: skipping /vxnet/endpoints/blue/02:00:00:00:00:dd/hy: MAC already claimed by an older endpoint' "$TMP/vxnetd-$H1.log")" 1
expect_eq "... and not the older" "$(grep -c 'skipping /vxnet/endpoints/blue/02:00:00:00:00:dd/hx' "$TMP/vxnetd-$H1.log" || true)" 0
etcdctl_ del /vxnet/endpoints/blue/02:00:00:00:00:dd/hx >/dev/null
newer() {
	vx "$1" fdb show dev vxn400 | grep -q '^02:00:00:00:00:dd dev vxn400 dst 198.18.0.51 self permanent origin store$'
}
if wait_for 3 newer "$H1"; then ok "the older claim gone: the newer (hy) takes its place"; else notok "the newer claim takes the place of the older"; fi
expect_line "h1: with its address" "$(vx "$H1" neigh show dev vxn400)" \
	"203.0.113.61 dev vxn400 lladdr 02:00:00:00:00:dd PERMANENT origin store"
expect_eq "no conflict left" "$(store_stat "$H1" conflicts)" 0

# Repaired or removed bad data is counted no more.
etcdctl_ put /vxnet/endpoints/blue/02:00:00:00:00:aa/h2 '{"ip":"203.0.113.7"}' >/dev/null
if wait_for 3 bash -c "ip netns exec $H1 $VXNET -S $(sock_of "$H1") fdb show dev vxn400 | grep -q '^02:00:00:00:00:aa dev vxn400 dst 198.18.0.2 '"; then
	ok "a bad endpoint repaired in place is installed"
else
	notok "a bad endpoint repaired in place is installed"
fi
for k in "${!BAD[@]}"; do etcdctl_ del "$k" >/dev/null; done
etcdctl_ del /vxnet/endpoints/blue/02:00:00:00:00:aa/h2 >/dev/null
if wait_for 3 bash -c "[ \"\$(ip netns exec $H1 $VXNET -S $(sock_of "$H1") -j -s network show | $PY -c 'import json,sys; print(json.load(sys.stdin)[\"store\"][\"stats\"][\"invalid_keys\"])')\" = 0 ]"; then
	ok "bad keys deleted: invalid_keys 0"
else
	notok "bad keys deleted: invalid_keys 0 (got $(store_stat "$H1" invalid_keys))"
fi
expect_ping "and forwarding never stopped" "$C2" 203.0.113.11 2 2
finish
