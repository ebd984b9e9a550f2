#!/bin/bash
# Recipe 1: two hosts, each a bridge + vxnet link + veth into a "container";
# static neigh + fdb on host A, learning on host B, then `replace` pins it.
#
#   vx-ca-$$ (container A)       vx-oa-$$ (host A)                 vx-ob-$$ (host B)       vx-cb-$$ (container B)
#   eth0 02:42:c0:a8:00:02 --veth1-- br0 -- vxlan1            vxlan1 -- br0 --veth1-- eth0 02:42:c0:a8:00:03
#   203.0.113.2/24  mtu 1450               vxnetd                vxnetd               203.0.113.3/24  mtu 1450
#                                     ul0 198.18.0.1/24 ======== ul0 198.18.0.2/24
#                                              (VNI 42, UDP 4789)
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping
need_vxnet

CA=vx-ca-$$ OA=vx-oa-$$ OB=vx-ob-$$ CB=vx-cb-$$
MAC_A=02:42:c0:a8:00:02 MAC_B=02:42:c0:a8:00:03
for ns in $CA $OA $OB $CB; do add_ns "$ns"; done

underlay "$OA" "$OB"

# host OV (its ul0 address LOCAL), container CT (its MAC and overlay address)
make_host() {
	local ov=$1 ct=$2 local=$3 mac=$4 ip=$5
	start_vxnetd "$ov"
	vx "$ov" link add vxlan1 id 42 proxy learning dstport 4789 local "$local"
	ip link add veth1 mtu 1450 netns "$ov" type veth peer name eth0 mtu 1450 netns "$ct"
	ip -n "$ct" link set eth0 address "$mac"
	ip -n "$ct" addr add "$ip/24" dev eth0
	ip -n "$ov" link add br0 type bridge
	ip -n "$ov" link set veth1 master br0
	ip -n "$ov" link set vxlan1 master br0
	ip -n "$ov" link set br0 up
	ip -n "$ov" link set vxlan1 up
	ip -n "$ov" link set veth1 up
	ip -n "$ct" link set eth0 up
}
make_host "$OA" "$CA" 198.18.0.1 $MAC_A 203.0.113.2
make_host "$OB" "$CB" 198.18.0.2 $MAC_B 203.0.113.3

expect_eq "vxlan1 MTU is 1450" "$(ip -n "$OA" -o link show vxlan1 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')" 1450

# Host A knows where B's container lives; B only needs the neigh entry for
# its proxy (without one, B's ARP for A would be consumed as an l3miss).
vx "$OA" neigh add 203.0.113.3 lladdr $MAC_B dev vxlan1
vx "$OA" fdb add $MAC_B dev vxlan1 dst 198.18.0.2 vni 42 port 4789
vx "$OB" neigh add 203.0.113.2 lladdr $MAC_A dev vxlan1

expect_line "A: fdb show has the static entry for B" "$(vx "$OA" fdb show)" \
	"$MAC_B dev vxlan1 dst 198.18.0.2 self permanent"
expect_line "A: neigh show has B's container" "$(vx "$OA" neigh show)" \
	"203.0.113.3 dev vxlan1 lladdr $MAC_B PERMANENT"

expect_ping "container A pings container B (3/3)" "$CA" 203.0.113.3 3 3

fdb_b=$(vx "$OB" fdb show)
expect_line "B learned A's container (no permanent)" "$fdb_b" "$MAC_A dev vxlan1 dst 198.18.0.1 self"
expect_no_line "B's learned entry is not permanent" "$fdb_b" "$MAC_A dev vxlan1 dst 198.18.0.1 self permanent"

rc=0
vx "$OB" fdb add $MAC_A dev vxlan1 dst 198.18.0.1 vni 42 port 4789 2>"$TMP/err" || rc=$?
expect_eq "B: fdb add over the learned entry exits 2" "$rc" 2
expect_eq "B: fdb add says entry exists" "$(cat "$TMP/err")" "vxnet: fdb add: entry exists"
expect_line "B: failed add left the learned entry as it was" "$(vx "$OB" fdb show)" \
	"$MAC_A dev vxlan1 dst 198.18.0.1 self"

expect_ok "B: fdb replace over the learned entry" \
	vx "$OB" fdb replace $MAC_A dev vxlan1 dst 198.18.0.1 vni 42 port 4789
expect_line "B: replaced entry is permanent" "$(vx "$OB" fdb show)" \
	"$MAC_A dev vxlan1 dst 198.18.0.1 self permanent"

expect_ping "container B pings container A (3/3)" "$CB" 203.0.113.2 3 3
expect_ping "container A pings container B again (3/3)" "$CA" 203.0.113.3 3 3

# A full-size frame (1450-byte IP packet) crosses without fragmentation.
expect_ping "1450-byte ping with DF crosses the overlay" "$CA" 203.0.113.3 2 2 -M "do" -s 1422

finish
