#!/usr/bin/env bash
# demo.sh: `make demo`: the two-host recipe (../shared/RECIPES.md section 1) with vxnet
# in place of the kernel vxlan device, on one machine, hosts being namespaces:
#
#   ctr-a: eth0 203.0.113.2/24                          ctr-b: eth0 203.0.113.3/24
#          02:42:c0:a8:00:02 (mtu 1450)                        02:42:c0:a8:00:03 (mtu 1450)
#            | veth                                              | veth
#   host-a:  veth1 -- br0 -- vxlan1 (TAP of vxnetd)      host-b: veth1 -- br0 -- vxlan1
#            underlay 198.18.0.1/24 ====== veth ====== underlay 198.18.0.2/24
#                              VXLAN VNI 42, UDP 4789
#
# Then the same with the cluster control plane: one etcd (started by the
# demo, listening only inside its namespace), three hosts running vxnetd
# --store, `vxnet network create` once, `vxnet attach` on each host, pings
# across, `vxnet network show`: nobody types an fdb or neigh command.
#
#   app1 app2 app3          containers, eth0 made by `vxnet attach`
#   node1 node2 node3       vxnetd --store etcd://198.18.1.100:2379 --host nodeN --underlay 198.18.1.N
#     \   |   /
#      switch ---- etcd 198.18.1.100
#
# Each command is printed before it runs. Everything is removed on exit.
# Exit status: 0 if the pings crossed the overlay in both parts.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"

bash scripts/deps.sh demo
echo "+ meson setup build && ninja -C build"
blog=$(mktemp)
if ! builddir_build build >"$blog" 2>&1; then
	cat "$blog"
	rm -f "$blog"
	echo "demo: build failed" >&2
	exit 1
fi
rm -f "$blog"

HA=host-a-$$ HB=host-b-$$ CA=ctr-a-$$ CB=ctr-b-$$
DIR=$(mktemp -d /tmp/vxnet-demo.XXXXXX)
declare -A SOCK=([host-a]=$DIR/host-a.sock [host-b]=$DIR/host-b.sock)
declare -A NS=([host-a]=$HA [host-b]=$HB [ctr-a]=$CA [ctr-b]=$CB)
DPIDS=()
EXTRA_NS=()

teardown() {
	local p
	echo
	echo "# teardown"
	for p in "${DPIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${DPIDS[@]}"; do
		for _ in $(seq 30); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null || true
	done
	for p in "$CA" "$CB" "$HA" "$HB" "${EXTRA_NS[@]}"; do
		for q in $(ip netns pids "$p" 2>/dev/null); do kill -KILL "$q" 2>/dev/null || true; done
		ip netns del "$p" 2>/dev/null || true
	done
	rm -rf "$DIR"
}
trap teardown EXIT

say() { printf '\n# %s\n' "$*"; }

# x CMD...: print and run a command in the root namespace.
x() {
	echo "+ $*"
	"$@"
}

# on WHERE CMD...: print "+ [WHERE] CMD" and run it in that namespace; `vxnet`
# talks to that host's daemon.
on() {
	local where=$1
	shift
	echo "+ [$where] $*"
	if [ "$1" = vxnet ]; then
		shift
		"$ROOT/build/vxnet" -S "${SOCK[$where]}" "$@"
	else
		ip netns exec "${NS[$where]}" "$@"
	fi
}

# quiet_ns NS: no IPv6 in the demo's namespaces (not printed: not part of the
# recipe), so that router solicitations and MLD reports, which have no fdb
# entry to go to, do not show up as drops in the counters.
quiet_ns() {
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

say "the underlay: two hosts on one link"
x ip netns add "$HA"
x ip netns add "$HB"
quiet_ns "$HA"
quiet_ns "$HB"
x ip link add eth1 netns "$HA" type veth peer name eth1 netns "$HB"
on host-a ip addr add 198.18.0.1/24 dev eth1
on host-b ip addr add 198.18.0.2/24 dev eth1
on host-a ip link set eth1 up
on host-b ip link set eth1 up
on host-a ip link set lo up
on host-b ip link set lo up

# start_daemon HOST: run vxnetd in HOST's namespace and wait for its socket.
start_daemon() {
	local h=$1 sock=${SOCK[$1]}
	echo "+ [$h] vxnetd -S $sock &"
	ip netns exec "${NS[$h]}" "$ROOT/build/vxnetd" -S "$sock" --state "$DIR/state-$h" 2>"$DIR/$h-vxnetd.log" &
	DPIDS+=($!)
	for _ in $(seq 50); do
		[ -S "$sock" ] && return 0
		kill -0 "$!" 2>/dev/null || break
		sleep 0.1
	done
	echo "demo: vxnetd on $h did not come up; its log:" >&2
	cat "$DIR/$h-vxnetd.log" >&2
	exit 1
}

# host H CTR MAC IP: one host of the recipe, with its container namespace.
host() {
	local h=$1 c=$2 mac=$3 ip=$4
	say "$h: a container namespace on a bridge, and the VXLAN link (VNI 42) on the bridge"
	x ip netns add "${NS[$c]}"
	quiet_ns "${NS[$c]}"
	x ip link add dev veth1 mtu 1450 netns "${NS[$h]}" type veth peer name eth0 mtu 1450 netns "${NS[$c]}"
	on "$c" ip link set dev eth0 address "$mac"
	on "$c" ip addr add dev eth0 "$ip/24"
	on "$h" ip link add dev br0 type bridge
	start_daemon "$h"
	on "$h" vxnet link add vxlan1 id 42 proxy learning dstport 4789
	on "$h" ip link set veth1 master br0
	on "$h" ip link set vxlan1 master br0
	on "$h" ip link set br0 up
	on "$h" ip link set vxlan1 up
	on "$h" ip link set veth1 up
	on "$c" ip link set eth0 up
	on "$c" ip link set lo up
}

host host-a ctr-a 02:42:c0:a8:00:02 203.0.113.2
host host-b ctr-b 02:42:c0:a8:00:03 203.0.113.3

say "static entries: proxy ARP answers from the neigh table, the fdb says which host has the MAC"
on host-a vxnet neigh add 203.0.113.3 lladdr 02:42:c0:a8:00:03 dev vxlan1
on host-a vxnet fdb add 02:42:c0:a8:00:03 dev vxlan1 dst 198.18.0.2 vni 42 port 4789
on host-b vxnet neigh add 203.0.113.2 lladdr 02:42:c0:a8:00:02 dev vxlan1
on host-b vxnet fdb add 02:42:c0:a8:00:02 dev vxlan1 dst 198.18.0.1 vni 42 port 4789

say "a ping from container A to container B, across the overlay"
ok=0
on ctr-a ping -c 3 -W 2 203.0.113.3 || ok=1

say "the tables and counters"
on host-a vxnet fdb show || true
on host-b vxnet fdb show || true
on host-a vxnet neigh show || true
on host-a vxnet -s link show || true
on host-b vxnet -s link show || true

echo
if [ $ok -eq 0 ]; then
	echo "demo: the ping crossed the overlay"
else
	echo "demo: the ping did NOT cross the overlay; vxnetd logs:"
	for h in host-a host-b; do
		echo "--- $h"
		cat "$DIR/$h-vxnetd.log"
	done
fi

# ---- part 2: the cluster ----
SWN=switch-$$ ETN=etcd-$$
NS[switch]=$SWN
NS[etcd]=$ETN
for i in 1 2 3; do
	NS[node$i]=node$i-$$
	NS[app$i]=app$i-$$
	SOCK[node$i]=$DIR/node$i.sock
done
EXTRA_NS+=("$SWN" "$ETN" node{1,2,3}-$$ app{1,2,3}-$$)

say "part 2: a cluster. The underlay: a switch, three hosts and etcd on it"
x ip netns add "$SWN"
on switch ip link add sw0 type bridge
on switch ip link set sw0 up
# plug WHERE ADDR: WHERE's ul0 on a port of the switch.
plug() {
	x ip link add "p-$1" netns "$SWN" type veth peer name ul0 netns "${NS[$1]}"
	on switch ip link set "p-$1" master sw0 up
	on "$1" ip link set ul0 up
	on "$1" ip addr add "$2" dev ul0
}
x ip netns add "$ETN"
quiet_ns "$ETN"
on etcd ip link set lo up
plug etcd 198.18.1.100/24
for i in 1 2 3; do
	x ip netns add "${NS[node$i]}"
	quiet_ns "${NS[node$i]}"
	on "node$i" ip link set lo up
	plug "node$i" "198.18.1.$i/24"
done

say "1. start etcd (one member, listening only on the underlay address of its namespace)"
echo "+ [etcd] etcd --name e1 --data-dir $DIR/etcd --listen-client-urls http://198.18.1.100:2379 ... &"
ip netns exec "$ETN" etcd --name e1 --data-dir "$DIR/etcd" \
	--listen-client-urls http://198.18.1.100:2379 --advertise-client-urls http://198.18.1.100:2379 \
	--listen-peer-urls http://198.18.1.100:2380 --initial-advertise-peer-urls http://198.18.1.100:2380 \
	--initial-cluster e1=http://198.18.1.100:2380 --logger zap --log-level warn >"$DIR/etcd.log" 2>&1 &
DPIDS+=($!)
etcd_up=0
for _ in $(seq 30); do
	if ETCDCTL_API=3 ip netns exec "$ETN" etcdctl --endpoints 198.18.1.100:2379 --dial-timeout 1s \
		--command-timeout 1s endpoint health >/dev/null 2>&1; then
		etcd_up=1
		break
	fi
	sleep 0.2
done
if [ $etcd_up = 0 ]; then
	echo "demo: etcd did not start; its log:" >&2
	tail -n 20 "$DIR/etcd.log" >&2
	exit 1
fi

say "2. start vxnetd on each host with --store"
for i in 1 2 3; do
	sock=${SOCK[node$i]}
	echo "+ [node$i] vxnetd -S $sock --store etcd://198.18.1.100:2379 --host node$i --underlay 198.18.1.$i &"
	ip netns exec "${NS[node$i]}" "$ROOT/build/vxnetd" -S "$sock" --state "$DIR/state-node$i" \
		--store etcd://198.18.1.100:2379 --host "node$i" --underlay "198.18.1.$i" 2>"$DIR/node$i-vxnetd.log" &
	DPIDS+=($!)
done
# Each daemon answers once it has registered with etcd and read it.
for i in 1 2 3; do
	for _ in $(seq 100); do
		"$ROOT/build/vxnet" -S "${SOCK[node$i]}" -s network show 2>/dev/null | grep -q '^store .* up ' && break
		sleep 0.1
	done
done

say "3. create the network once, then attach one container on each host"
ok2=0
on node1 vxnet network create blue id 4242 subnet 203.0.113.0/24 || ok2=1
for i in 1 2 3; do
	x ip netns add "${NS[app$i]}"
	quiet_ns "${NS[app$i]}"
	on "app$i" ip link set lo up
	# The first attach of a host may come before it has read the new network.
	for _ in $(seq 20); do
		"$ROOT/build/vxnet" -S "${SOCK[node$i]}" network show blue >/dev/null 2>&1 && break
		sleep 0.1
	done
	on "node$i" vxnet attach "${NS[app$i]}" network blue || ok2=1
done

say "pings across hosts: no fdb or neigh command was typed"
on app1 ping -c 2 -W 2 203.0.113.2 || ok2=1
on app1 ping -c 2 -W 2 203.0.113.3 || ok2=1
on app3 ping -c 2 -W 2 203.0.113.2 || ok2=1

say "what the store made of it"
on node2 vxnet network show || true
on node1 vxnet fdb show || true
on node1 vxnet neigh show || true

echo
if [ $ok2 -eq 0 ]; then
	echo "demo: the cluster's containers reach each other"
else
	echo "demo: the cluster part FAILED; logs:"
	for i in 1 2 3; do
		echo "--- node$i"
		cat "$DIR/node$i-vxnetd.log"
	done
	ok=1
fi
exit $ok
