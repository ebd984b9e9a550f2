#!/bin/bash
# The two datapaths of vxnetd talk to each other: host A's vxnetd runs the
# user datapath, host B's the kernel one, then the other way round (each
# host's links named by `link add ... datapath X`, overriding the daemons'
# --datapath). Recipe 1 on both hosts: static neigh + fdb on A, learning on
# B; pings both ways; 4 MB over TCP both ways with the same sha256; `link
# show` says which datapath serves each link (text and JSON).
#
#   vx-ca-$$ -- br0 -- vxlan1 (datapath X) === ul0 === vxlan1 (datapath Y) -- br0 -- vx-cb-$$
#   203.0.113.2      vx-a-$$ 198.18.0.1          198.18.0.2 vx-b-$$         203.0.113.3
#
# datapaths: user kernel
# (Each run covers both directions; the run's VXNET_DATAPATH is only the
# daemons' default, which the links override.)
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping socat sha256sum ethtool
need_vxnet

dd if=/dev/urandom of="$TMP/src" bs=1M count=4 status=none
want=$(sha256sum <"$TMP/src" | cut -c1-64)

round() {
	local da=$1 db=$2 s=$$$3
	local CA=vx-ca-$s A=vx-a-$s B=vx-b-$s CB=vx-cb-$s
	local MAC_A=02:42:c0:a8:00:02 MAC_B=02:42:c0:a8:00:03
	for ns in $CA $A $B $CB; do add_ns "$ns"; done
	underlay "$A" "$B"
	host() {
		local h=$1 ct=$2 local=$3 mac=$4 ip=$5 dp=$6
		start_vxnetd "$h"
		vx "$h" link add vxlan1 id 42 proxy learning dstport 4789 local "$local" datapath "$dp"
		ip link add veth1 mtu 1450 netns "$h" type veth peer name eth0 mtu 1450 netns "$ct"
		ip -n "$ct" link set eth0 address "$mac"
		ip -n "$ct" addr add "$ip/24" dev eth0
		ip -n "$h" link add br0 type bridge
		ip -n "$h" link set veth1 master br0
		ip -n "$h" link set vxlan1 master br0
		for d in br0 vxlan1 veth1; do ip -n "$h" link set "$d" up; done
		ip -n "$ct" link set eth0 up
		expect_match "$h: link show says datapath $dp" "$(vx "$h" link show vxlan1)" \
			"    vxlan id 42 .* datapath $dp"
		expect_eq "$h: link show -j has \"datapath\": \"$dp\"" \
			"$(vx "$h" -j link show vxlan1 | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["datapath"])')" "$dp"
	}
	host "$A" "$CA" 198.18.0.1 $MAC_A 203.0.113.2 "$da"
	host "$B" "$CB" 198.18.0.2 $MAC_B 203.0.113.3 "$db"
	# A kernel vxlan device over a veth hands the inner TCP checksum to the
	# "hardware" unfinished, and a veth peer keeps that promise in skb
	# metadata that a UDP socket (vxnetd) never sees. A real NIC finishes
	# it: so does a veth with tx checksumming off, which stands in for one.
	for h in $A $B; do
		ip netns exec "$h" ethtool -K ul0 tx off >/dev/null 2>&1 || true
	done
	if [ "$da" = kernel ]; then
		expect_match "$A: the kernel has the vxlan device" "$(ip -n "$A" -d -o link show vxlan1)" ".*vxlan id 42 .*"
	fi
	vx "$A" neigh add 203.0.113.3 lladdr $MAC_B dev vxlan1
	vx "$A" fdb add $MAC_B dev vxlan1 dst 198.18.0.2
	vx "$B" neigh add 203.0.113.2 lladdr $MAC_A dev vxlan1
	expect_ping "$da -> $db: container A pings container B" "$CA" 203.0.113.3 3 3
	learned() { vx "$B" fdb show dev vxlan1 | grep -qxF "$MAC_A dev vxlan1 dst 198.18.0.1 self"; }
	if wait_for 3 learned; then ok "$db B learned A from $da A"; else notok "$db B learned A from $da A"; fi
	expect_ping "$db -> $da: container B pings container A" "$CB" 203.0.113.2 3 3
	for dir in ab ba; do
		local from=$CA to=$CB dst=203.0.113.3
		[ $dir = ba ] && from=$CB to=$CA dst=203.0.113.2
		bg_start "rx$dir$s" "$to" timeout 30 socat -u TCP4-LISTEN:5001,reuseaddr "CREATE:$TMP/dst$dir"
		wait_for 5 sh -c "ip netns exec $to ss -Hltn 'sport = :5001' | grep -q ." || true
		ip netns exec "$from" timeout 30 socat -u "OPEN:$TMP/src" "TCP4:$dst:5001,connect-timeout=5" 2>"$TMP/tx.err" || sed "s/^/# sender: /" "$TMP/tx.err"
		wait "${BG_PIDS[rx$dir$s]}" 2>/dev/null || true
		unset "BG_PIDS[rx$dir$s]"
		expect_eq "$da/$db $dir: 4 MB arrive with the same sha256" "$(sha256sum <"$TMP/dst$dir" | cut -c1-64)" "$want"
		rm -f "$TMP/dst$dir"
	done
	stop_vxnetd "$A"
	stop_vxnetd "$B"
	for ns in $CA $A $B $CB; do ip netns del "$ns"; done
}

round user kernel 1
round kernel user 2

finish
