#!/bin/bash
# Desired state wins: what vxnet installed and someone removes or rewrites
# behind its back comes back within 5 s, and the monitor says so; what
# vxnet did not install is reported and never touched.
#
#   vx-ca-$$ (container)     vx-a-$$ (host A, vxnetd)              vx-b-$$ (host B, vxnetd)
#   eth0 203.0.113.2 --veth1-- br0 -- vxlan1 ==== ul0 ==== vxlan1 203.0.113.3
#                                   198.18.0.1        198.18.0.2
#
# Kernel datapath: `bridge fdb del`, `bridge fdb replace`, `ip neigh del` of
# vxnet's entries are undone (monitor: restored, neigh-restored); a `bridge
# fdb add` by hand shows as `origin other` and stays. Both datapaths: `ip
# link del vxlan1` -> the device is made again with its bridge master, up
# state, fdb and neigh entries (monitor: link-restored) and pings cross.
# (A TAP has no kernel fdb or neighbour table of its own to tamper with: the
# user datapath's tables are inside vxnetd.)
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping bridge
need_vxnet

CA=vx-ca-$$ A=vx-a-$$ B=vx-b-$$
MAC_C=02:42:c0:a8:00:02
for ns in $CA $A $B; do add_ns "$ns"; done
underlay "$A" "$B"
start_vxnetd "$A"
start_vxnetd "$B"
vx "$A" link add vxlan1 id 42 proxy nolearning dstport 4789 local 198.18.0.1
vx "$B" link add vxlan1 id 42 proxy nolearning dstport 4789 local 198.18.0.2
ip -n "$B" addr add 203.0.113.3/24 dev vxlan1
ip -n "$B" link set vxlan1 up
MAC_B=$(mac_of "$B" vxlan1)
ip link add veth1 mtu 1450 netns "$A" type veth peer name eth0 mtu 1450 netns "$CA"
ip -n "$CA" link set eth0 address $MAC_C
ip -n "$CA" addr add 203.0.113.2/24 dev eth0
ip -n "$A" link add br0 type bridge
ip -n "$A" link set veth1 master br0
ip -n "$A" link set vxlan1 master br0
for d in br0 vxlan1 veth1; do ip -n "$A" link set "$d" up; done
ip -n "$CA" link set eth0 up
vx "$A" fdb add "$MAC_B" dev vxlan1 dst 198.18.0.2
vx "$A" neigh add 203.0.113.3 lladdr "$MAC_B" dev vxlan1
vx "$B" fdb add $MAC_C dev vxlan1 dst 198.18.0.1
vx "$B" neigh add 203.0.113.2 lladdr $MAC_C dev vxlan1
expect_ping "the container pings B" "$CA" 203.0.113.3 3 3
monitor_start monA "$A" vxlan1
# vxnetd samples the device's bridge master and up state once a second:
# wait until it has them (its state file says so).
if wait_for 5 grep -q '"master": "br0"' "$TMP/state-$A/state.json"; then
	ok "vxnetd noticed vxlan1's bridge master (state file)"
else
	notok "vxnetd noticed vxlan1's bridge master (state file)"
fi
OURS="$MAC_B dev vxlan1 dst 198.18.0.2 self permanent"

# in_fdb LINE: vxnet's fdb show of A has LINE.
in_fdb() { vx "$A" fdb show dev vxlan1 | grep -qxF -- "$1"; }
in_kfdb() { ip netns exec "$A" bridge fdb show dev vxlan1 | grep -q -- "$1"; }
in_neigh() { ip -n "$A" neigh show dev vxlan1 | grep -q -- "$1"; }
in_mon() { grep -qxF -- "$1" "$TMP/monA.out"; }

if dp_is kernel; then
	ip netns exec "$A" bridge fdb del "$MAC_B" dev vxlan1 dst 198.18.0.2 self
	if wait_for 5 in_kfdb "$MAC_B dst 198.18.0.2 self permanent"; then
		ok "bridge fdb del of vxnet's entry: back in the kernel within 5 s"
	else
		notok "bridge fdb del of vxnet's entry: back in the kernel within 5 s"
	fi
	wait_for 3 in_mon "restored $OURS" || true
	expect_line "the monitor says it was restored" "$(cat "$TMP/monA.out")" "restored $OURS"

	ip netns exec "$A" bridge fdb replace "$MAC_B" dev vxlan1 dst 198.18.0.99 self permanent
	if wait_for 5 in_kfdb "$MAC_B dst 198.18.0.2 self permanent"; then
		ok "bridge fdb replace of vxnet's entry: vxnet's remote back within 5 s"
	else
		notok "bridge fdb replace of vxnet's entry: vxnet's remote back within 5 s"
	fi
	expect_no_line "the rewritten remote is gone" "$(ip netns exec "$A" bridge fdb show dev vxlan1)" \
		"$MAC_B dst 198.18.0.99 self permanent"

	ip -n "$A" neigh del 203.0.113.3 dev vxlan1
	if wait_for 5 in_neigh "203.0.113.3 lladdr $MAC_B PERMANENT"; then
		ok "ip neigh del of vxnet's entry: back within 5 s"
	else
		notok "ip neigh del of vxnet's entry: back within 5 s"
	fi
	wait_for 3 in_mon "neigh-restored 203.0.113.3 dev vxlan1 lladdr $MAC_B PERMANENT" || true
	expect_line "the monitor says the neigh entry was restored" "$(cat "$TMP/monA.out")" \
		"neigh-restored 203.0.113.3 dev vxlan1 lladdr $MAC_B PERMANENT"

	# Someone else's entry: shown as such, reported, never removed.
	ip netns exec "$A" bridge fdb add 02:00:5e:00:53:77 dev vxlan1 dst 198.18.0.77 self permanent
	wait_for 3 in_mon "added 02:00:5e:00:53:77 dev vxlan1 dst 198.18.0.77 self permanent origin other" || true
	expect_line "the monitor reports the hand-made entry as someone else's" "$(cat "$TMP/monA.out")" \
		"added 02:00:5e:00:53:77 dev vxlan1 dst 198.18.0.77 self permanent origin other"
	sleep 3
	expect_line "fdb show marks it origin other, and it is still there after a reconcile" \
		"$(vx "$A" fdb show dev vxlan1)" "02:00:5e:00:53:77 dev vxlan1 dst 198.18.0.77 self permanent origin other"
	rc=0
	vx "$A" fdb del 02:00:5e:00:53:77 dev vxlan1 2>"$TMP/err" || rc=$?
	expect_eq "the user may still delete it with vxnet (it is nobody's)" "$rc" 0
fi

# The device itself, removed behind vxnet's back.
ip -n "$A" link del vxlan1
back() { ip -n "$A" -o link show vxlan1 | grep -q "master br0" && ip -n "$A" -o link show vxlan1 | grep -q ",UP"; }
if wait_for 5 back; then
	ok "ip link del vxlan1: made again within 5 s, on br0 and up"
else
	notok "ip link del vxlan1: made again within 5 s, on br0 and up ($(ip -n "$A" -o link show vxlan1 2>&1))"
fi
wait_for 3 in_mon "link-restored vxlan1" || true
expect_line "the monitor says the link was restored" "$(cat "$TMP/monA.out")" "link-restored vxlan1"
expect_line "its fdb entry is back" "$(vx "$A" fdb show dev vxlan1)" "$OURS"
expect_line "its neigh entry is back" "$(vx "$A" neigh show dev vxlan1)" \
	"203.0.113.3 dev vxlan1 lladdr $MAC_B PERMANENT"
# Give the bridge port a moment to forward again.
wait_for 5 ip netns exec "$CA" ping -c 1 -W 1 203.0.113.3 || true
expect_ping "the container pings B again" "$CA" 203.0.113.3 3 3

finish
