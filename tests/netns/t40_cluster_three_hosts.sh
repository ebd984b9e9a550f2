#!/bin/bash
# t40: three hosts with vxnetd --store and one etcd: `network create` once and
# `attach` on each host, and the containers ping each other across hosts with
# no fdb or neigh command typed; on the underlay no ARP and no broadcast is
# carried in VXLAN (proxy answers from the store's entries). The entries are
# permanent, origin store: every other host's endpoint (MAC -> its VTEP, IP ->
# MAC) and a flood list of every other member. Refusals: a network that
# exists, a VNI in use, an address that is taken, a second attach of one
# namespace, `network del` with endpoints (with the count). detach releases
# the address (attach with it works again) and withdraws the endpoint
# everywhere; so does deleting a container's namespace without a detach; the
# last detach on a host removes the network's link and bridge.
#
#   c1   c2   c3        containers (namespaces), eth0 made by `vxnet attach`
#   |    |    |
#   h1   h2   h3        vxnetd --store --host hN --underlay 198.18.0.N
#    \   |   /
#      switch ----- etcd (198.18.0.101:2379)
#
# datapaths: user kernel
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster.sh"
trap cleanup EXIT
need_vxnet
need tcpdump tshark

etcd_setup 1
for n in 1 2 3; do
	cluster_host "$n"
	container "$n"
done
container 4
H1=$(hns 1) H2=$(hns 2) H3=$(hns 3)
C1=$(cns 1) C2=$(cns 2) C3=$(cns 3) C4=$(cns 4)

expect_ok "network create blue (datapath $VXNET_DATAPATH)" \
	vx "$H1" network create blue id 4242 subnet 203.0.113.0/24 datapath "$VXNET_DATAPATH"
expect_refused "a second network create blue is refused" "network blue exists" \
	vx "$H2" network create blue id 7 subnet 198.51.100.0/24
expect_refused "a network with blue's VNI is refused" "VNI 4242 is used by network blue" \
	vx "$H2" network create red id 4242 subnet 198.51.100.0/24

start_capture ul "$SW" any
out1=$(vx "$H1" attach "$C1" network blue)
expect_match "attach on h1 prints interface, address and MAC" "$out1" \
	'eth0 203\.0\.113\.[0-9]+/24 02:42:cb:00:71:[0-9a-f]{2}'
vx "$H2" -j attach "$C2" network blue >"$TMP/attach2.json"
expect_eq "attach -j on h2 prints the endpoint as JSON" \
	"$("$PY" -c 'import json,sys; e=json.load(open(sys.argv[1])); print(e["ifname"], e["network"], e["host"], e["prefixlen"], e["mac"] == "02:42:" + "".join("%02x:" % int(b) for b in e["ip"].split("."))[:-1])' "$TMP/attach2.json")" \
	"eth0 blue h2 24 True"
expect_ok "attach on h3" vx "$H3" attach "$C3" network blue
IP1=$(ip_of "$C1") IP2=$(ip_of "$C2") IP3=$(ip_of "$C3")
expect_eq "three different addresses from IPAM" "$(printf '%s\n' "$IP1" "$IP2" "$IP3" | sort -u | wc -l)" 3
MAC2=$(mac_of "$C2" eth0) MAC3=$(mac_of "$C3" eth0)
expect_eq "the container's MTU is the network's" "$(ip -n "$C1" -o link show eth0 | grep -o 'mtu [0-9]*')" "mtu 1450"

if wait_for 5 converged "$C1" "$IP3" && wait_for 5 converged "$C3" "$IP2"; then
	ok "containers reach each other within 5 s of attach"
else
	notok "containers reach each other within 5 s of attach"
fi
for a in 1 2 3; do
	for b in 1 2 3; do
		[ "$a" = "$b" ] && continue
		dst=$(ip_of "$(cns "$b")")
		expect_ping "c$a -> c$b ($dst) across hosts" "$(cns "$a")" "$dst" 3 3
	done
done
stop_capture ul
expect_eq "no ARP carried in VXLAN" "$(tcount ul 'vxlan && arp')" 0
expect_eq "no broadcast frame carried in VXLAN" "$(tcount ul 'vxlan && eth.dst == ff:ff:ff:ff:ff:ff')" 0
expect_ge "the echoes went through VXLAN (vni 4242)" "$(tcount ul 'vxlan.vni == 4242 && icmp')" 36

# The containers did ARP: the daemons' proxy answered with the store's MACs.
expect_match "c1 resolved c3 (answered by h1's proxy)" "$(ip -n "$C1" neigh show "$IP3")" "$IP3 dev eth0 lladdr $MAC3 .*"
fdb=$(vx "$H1" fdb show dev vxn4242)
expect_line "h1: c2's MAC -> h2's VTEP, permanent, origin store" "$fdb" \
	"$MAC2 dev vxn4242 dst 198.18.0.2 self permanent origin store"
expect_line "h1: c3's MAC -> h3's VTEP" "$fdb" "$MAC3 dev vxn4242 dst 198.18.0.3 self permanent origin store"
expect_line "h1: flood list has h2" "$fdb" "00:00:00:00:00:00 dev vxn4242 dst 198.18.0.2 self permanent origin store"
expect_line "h1: flood list has h3" "$fdb" "00:00:00:00:00:00 dev vxn4242 dst 198.18.0.3 self permanent origin store"
expect_eq "h1: nothing else in the fdb (its own endpoint stays local)" "$(echo "$fdb" | grep -c .)" 4
neigh=$(vx "$H1" neigh show dev vxn4242)
expect_line "h1: neigh c2" "$neigh" "$IP2 dev vxn4242 lladdr $MAC2 PERMANENT origin store"
expect_line "h1: neigh c3" "$neigh" "$IP3 dev vxn4242 lladdr $MAC3 PERMANENT origin store"
link=$(vx "$H1" -j link show vxn4242)
expect_eq "the network's link: learning off, proxy on" \
	"$(echo "$link" | "$PY" -c 'import json,sys; l=json.load(sys.stdin)[0]; d=l["linkinfo"]["info_data"]; print(d["learning"], d["proxy"], l["datapath"])')" \
	"False True $VXNET_DATAPATH"
expect_eq "the link is in the network's bridge" "$(ip -n "$H1" -o link show vxn4242 | grep -o 'master [a-z0-9]*')" \
	"master vxb4242"

show=$(vx "$H2" network show blue)
expect_line "network show: the network" "$show" \
	"network blue vni 4242 subnet 203.0.113.0/24 mtu 1450 dstport 4789 datapath $VXNET_DATAPATH endpoints 3"
expect_line "network show: member h3" "$show" "    host h3 underlay 198.18.0.3"
expect_line "network show: c2's endpoint" "$show" "    endpoint $IP2/24 lladdr $MAC2 host h2"
expect_eq "network show -j: 3 hosts, 3 endpoints" \
	"$(vx "$H3" -j network show | "$PY" -c 'import json,sys; n=json.load(sys.stdin)[0]; print(n["name"], len(n["hosts"]), len(n["endpoints"]), n["dstport"])')" \
	"blue 3 3 4789"

# Addresses: taken, given, released.
expect_refused "attach with c1's address is refused" "$IP1 is taken in network blue \(claimed by host h1\)" \
	vx "$H2" attach "$C4" network blue ip "$IP1/24"
expect_eq "... and makes nothing in the namespace" "$(ip -n "$C4" -o link show | grep -vc ': lo:')" 0
expect_ok "attach with a given address, MAC and ifname" \
	vx "$H2" attach "$C4" network blue ip 203.0.113.50/24 mac 02:00:00:00:00:50 ifname net0
expect_eq "net0 has that MAC" "$(mac_of "$C4" net0)" "02:00:00:00:00:50"
if wait_for 5 converged "$C1" 203.0.113.50; then ok "c1 reaches it"; else notok "c1 reaches it"; fi
expect_refused "a second attach of that namespace is refused" "attached to network blue already" \
	vx "$H2" attach "$C4" network blue
expect_refused "network del with endpoints is refused, with the count" "network blue has 4 endpoints attached" \
	vx "$H1" network del blue
expect_ok "detach" vx "$H2" detach "$C4" network blue
expect_eq "detach removed the interface" "$(ip -n "$C4" -o link show | grep -vc ': lo:')" 0
expect_eq "detach released the address" "$(keys /vxnet/ipam/blue/203.0.113.50)" ""
expect_eq "detach removed the endpoint key" "$(keys /vxnet/endpoints/blue/02:00:00:00:00:50/)" ""
if wait_for 3 bash -c "! ip netns exec $H1 $VXNET -S $(sock_of "$H1") fdb show dev vxn4242 | grep -q 02:00:00:00:00:50"; then
	ok "h1 withdrew the detached endpoint"
else
	notok "h1 withdrew the detached endpoint"
fi
expect_ok "the released address can be attached again (on another host)" \
	vx "$H3" attach "$C4" network blue ip 203.0.113.50/24
expect_ok "detach it again" vx "$H3" detach "$C4" network blue
expect_refused "detach of a namespace that is not attached" "is not attached to network blue" \
	vx "$H3" detach "$C4" network blue

# An IPv6 network beside it, and a namespace in two networks. The kernel
# datapath answers ND from the kernel's own neighbour table, which needs IPv6
# on in the host (the user datapath answers from vxnetd's).
for n in 1 2; do
	ip netns exec "$(hns "$n")" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
done
add_ns "$(cns 6)" ipv6
add_ns "$(cns 7)" ipv6
expect_ok "network create six (IPv6 subnet)" \
	vx "$H1" network create six id 4343 subnet 2001:db8:1::/64 datapath "$VXNET_DATAPATH"
expect_ok "attach c6 on h1" vx "$H1" attach "$(cns 6)" network six
expect_ok "attach c7 on h2" vx "$H2" attach "$(cns 7)" network six
expect_ok "attach c7 to blue as well (ifname eth1)" vx "$H2" attach "$(cns 7)" network blue ifname eth1
if wait_for 5 ip netns exec "$(cns 6)" ping -6 -n -c 1 -W 1 2001:db8:1::2 >/dev/null; then
	ok "IPv6 overlay: c6 reaches c7 (proxy ND from the store)"
else
	notok "IPv6 overlay: c6 reaches c7"
fi
expect_line "h1: c7's IPv6 neigh entry" "$(vx "$H1" neigh show dev vxn4343)" \
	"2001:db8:1::2 dev vxn4343 lladdr 02:42:00:00:00:02 PERMANENT origin store"
if wait_for 5 converged "$C1" "$(ip -n "$(cns 7)" -4 -o addr show dev eth1 | awk '{print $4}' | cut -d/ -f1)"; then
	ok "c1 reaches c7's second interface in blue"
else
	notok "c1 reaches c7's second interface in blue"
fi
expect_ok "detach c7 from blue" vx "$H2" detach "$(cns 7)" network blue
expect_eq "... leaves its six interface" "$(ip -n "$(cns 7)" -o link show | grep -oE ' eth[01]@' | tr -d ' @' | sort | tr '\n' ' ')" "eth0 "
for n in 6 7; do expect_ok "detach c$n from six" vx "$(hns $((n - 5)))" detach "$(cns "$n")" network six; done
expect_ok "network del six" vx "$H1" network del six

# A container whose namespace goes away without a detach.
container 5
C5=$(cns 5)
expect_ok "attach c5 on h1" vx "$H1" attach "$C5" network blue ip 203.0.113.60/24
if wait_for 5 converged "$C2" 203.0.113.60; then ok "c2 reaches c5"; else notok "c2 reaches c5"; fi
ip netns del "$C5"
gone5() {
	[ -z "$(keys /vxnet/endpoints/blue/02:42:cb:00:71:3c/)" ] && [ -z "$(keys /vxnet/ipam/blue/203.0.113.60)" ] &&
		! vx "$H2" fdb show dev vxn4242 | grep -q '^02:42:cb:00:71:3c '
}
if wait_for 10 gone5; then
	ok "c5's namespace deleted without a detach: withdrawn everywhere, its address released"
else
	notok "c5's namespace deleted without a detach: withdrawn everywhere, its address released"
fi
expect_match "h1 said so" "$(cat "$TMP/vxnetd-$H1.log")" ".*the container of $C5 in network blue is gone .*: withdrawing it"

for n in 1 2 3; do
	expect_ok "detach c$n" vx "$(hns "$n")" detach "$(cns "$n")" network blue
done
for n in 1 2 3; do
	expect_eq "h$n: the last detach removed the link and the bridge" \
		"$(ip -n "$(hns "$n")" -o link show | grep -cE ': (vxn|vxb)4242')" 0
done
expect_ok "network del blue once empty" vx "$H1" network del blue
expect_eq "network show is empty" "$(vx "$H2" network show)" ""
expect_eq "no address claims left" "$(keys /vxnet/ipam/)" ""
expect_eq "no endpoint left" "$(keys /vxnet/endpoints/)" ""
finish
