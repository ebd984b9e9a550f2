#!/bin/bash
# Ageing: with `ageing 3` a learned entry disappears a few seconds after the
# traffic stops (monitor prints `learned` then `aged`); a permanent one stays.
# Proxy ARP: with `proxy` and a neigh entry, A's ARP request is answered
# locally (nothing on the wire, proxy_replies counts it); with no entry it is
# consumed, not flooded (l3miss in monitor, proxy_misses counts it).
#
#     vx-a-$$ (vxnetd, proxy)                   vx-b-$$ (vxnetd, ageing 3)
#     vxlan0 203.0.113.1/24                     vxlan0 203.0.113.2/24
#     id 42 remote 198.18.0.2                   id 42 remote 198.18.0.1
#     ul0 198.18.0.1/24 ======================= ul0 198.18.0.2/24
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping tcpdump tshark python3
need_vxnet

A=vx-a-$$ B=vx-b-$$
PERM=02:00:5e:00:53:99
add_ns "$A"
add_ns "$B"
underlay "$A" "$B"
start_vxnetd "$A"
start_vxnetd "$B"
vx "$A" link add vxlan0 id 42 local 198.18.0.1 remote 198.18.0.2 dstport 4789 dev ul0 proxy
vx "$B" link add vxlan0 id 42 local 198.18.0.2 remote 198.18.0.1 dstport 4789 dev ul0 ageing 3
n=1
for h in $A $B; do
	ip -n "$h" addr add "203.0.113.$n/24" dev vxlan0
	ip -n "$h" link set vxlan0 up
	n=$((n + 1))
done
MAC_A=$(mac_of "$A" vxlan0) MAC_B=$(mac_of "$B" vxlan0)
monitor_start monA "$A" vxlan0
monitor_start monB "$B" vxlan0

# --- ageing. Static kernel neighbours: no ARP, so once the ping ends nothing
# at all goes from A to B and B's entry for A can only age.
ip -n "$A" neigh replace 203.0.113.2 lladdr "$MAC_B" dev vxlan0 nud permanent
ip -n "$B" neigh replace 203.0.113.1 lladdr "$MAC_A" dev vxlan0 nud permanent
expect_ok "B: fdb add a permanent entry" vx "$B" fdb add $PERM dev vxlan0 dst 198.18.0.1
expect_ping "A pings B (2/2)" "$A" 203.0.113.2 2 2
t_last=$(date +%s.%N)
learned="$MAC_A dev vxlan0 dst 198.18.0.1 self"
expect_line "B learned A" "$(vx "$B" fdb show)" "$learned"
fdb_lacks() { ! vx "$1" fdb show | grep -qxF -- "$2"; }
if wait_for 10 fdb_lacks "$B" "$learned"; then
	ok "B's learned entry aged out within 10 s of the last packet"
	expect_eq "it lived at least 2 s (ageing 3)" \
		"$(python3 -c 'import sys,time; print(int(time.time() - float(sys.argv[1]) >= 2))' "$t_last")" 1
else
	notok "B's learned entry aged out within 10 s of the last packet"
fi
expect_line "B's permanent entry did not age" "$(vx "$B" fdb show)" "$PERM dev vxlan0 dst 198.18.0.1 self permanent"
expect_line "B's monitor printed the learned entry" "$(cat "$TMP/monB.out")" "learned $learned"
expect_line "B's monitor printed it aged" "$(cat "$TMP/monB.out")" "aged $learned"
expect_eq "learned came before aged" \
	"$(grep -nxF -e "learned $learned" -e "aged $learned" "$TMP/monB.out" | cut -d: -f2- | cut -d' ' -f1 | tr '\n' ' ')" "learned aged "
expect_no_line "the permanent entry was never reported aged" "$(cat "$TMP/monB.out")" \
	"aged $PERM dev vxlan0 dst 198.18.0.1 self permanent"

# --- proxy ARP with a neigh entry: the ARP never leaves A.
ip -n "$A" neigh del 203.0.113.2 dev vxlan0
expect_ok "A: neigh add 203.0.113.2" vx "$A" neigh add 203.0.113.2 lladdr "$MAC_B" dev vxlan0
if dp_is user; then
	r0=$(counter "$A" vxlan0 proxy_replies)
fi
start_capture hit "$A" ul0 udp port 4789
expect_ping "A resolves B by proxy and pings it (2/2)" "$A" 203.0.113.2 2 2
stop_capture hit
expect_match "A's kernel got B's MAC by proxy ARP" \
	"$(ip -n "$A" neigh show 203.0.113.2 dev vxlan0)" "203\.0\.113\.2 lladdr $MAC_B .*"
expect_eq "no ARP went on the wire" "$(tcount hit 'vxlan && arp')" 0
expect_eq "the echo requests did (2)" "$(tcount hit 'vxlan && icmp.type==8')" 2
# (The kernel's proxy keeps no counters of its own.)
if dp_is user; then
	expect_ge "proxy_replies went up" "$(delta "$r0" "$(counter "$A" vxlan0 proxy_replies)")" 1
fi

# --- proxy ARP with no entry: consumed, l3miss, not flooded.
if dp_is user; then
	m0=$(counter "$A" vxlan0 proxy_misses)
fi
start_capture miss "$A" ul0 udp port 4789
expect_ping "nobody answers for 203.0.113.9" "$A" 203.0.113.9 1 0
stop_capture miss
expect_eq "the ARP request for 203.0.113.9 was not flooded" "$(tcount miss vxlan)" 0
# The kernel raises l3miss only for ARP it is handed by a bridge or a packet
# socket: the device's own ARP finds the device's own incomplete neighbour
# entry first and is consumed quietly (docs/datapaths.md; t11 shows the
# kernel's l3miss for a bridged request).
if dp_is user; then
	wait_for 3 grep -qxF "l3miss 203.0.113.9 dev vxlan0" "$TMP/monA.out" || true
	expect_line "A's monitor printed l3miss" "$(cat "$TMP/monA.out")" "l3miss 203.0.113.9 dev vxlan0"
	expect_ge "proxy_misses went up" "$(delta "$m0" "$(counter "$A" vxlan0 proxy_misses)")" 1
fi

finish
