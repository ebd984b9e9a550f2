#!/bin/bash
# Restart without loss: vxnetd keeps its desired state in --state DIR and a
# restarted daemon (after SIGTERM or SIGKILL) takes its devices over.
#
#   vx-ca-$$ (container)    vx-a-$$ (host A)                    vx-b-$$ (host B)    vx-cb-$$
#   eth0 203.0.113.2 --veth1-- br0 -- vxlan1 ===== ul0 ===== vxlan1 -- br0 --veth1-- eth0 203.0.113.3
#                          vxnetd (restarted)  198.18.0.1   198.18.0.2   vxnetd
#
# A ping every 10 ms crosses the overlay while A's daemon is stopped and
# started again, twice (SIGTERM, then SIGKILL): on the kernel datapath the
# devices forward on their own and not one packet is lost; on the user
# datapath the persistent TAP keeps its bridge port and the traffic resumes
# within 1 s of the new start (at most 100 pings lost per restart, counted).
# After each restart: the same link, bridge master, up state, fdb and neigh
# entries. A corrupt state file is refused with one log line, the daemon does
# not start and the devices are untouched; the good file starts it again.
# `vxnetd --purge` removes the devices and the state.
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping
need_vxnet

CA=vx-ca-$$ A=vx-a-$$ B=vx-b-$$ CB=vx-cb-$$
MAC_A=02:42:c0:a8:00:02 MAC_B=02:42:c0:a8:00:03
for ns in $CA $A $B $CB; do add_ns "$ns"; done
underlay "$A" "$B"

make_host() {
	local h=$1 ct=$2 local=$3 mac=$4 ip=$5
	start_vxnetd "$h"
	vx "$h" link add vxlan1 id 42 proxy nolearning dstport 4789 local "$local"
	ip link add veth1 mtu 1450 netns "$h" type veth peer name eth0 mtu 1450 netns "$ct"
	ip -n "$ct" link set eth0 address "$mac"
	ip -n "$ct" addr add "$ip/24" dev eth0
	ip -n "$h" link add br0 type bridge
	ip -n "$h" link set veth1 master br0
	ip -n "$h" link set vxlan1 master br0
	for d in br0 vxlan1 veth1; do ip -n "$h" link set "$d" up; done
	ip -n "$ct" link set eth0 up
}
make_host "$A" "$CA" 198.18.0.1 $MAC_A 203.0.113.2
make_host "$B" "$CB" 198.18.0.2 $MAC_B 203.0.113.3
vx "$A" neigh add 203.0.113.3 lladdr $MAC_B dev vxlan1
vx "$A" fdb add $MAC_B dev vxlan1 dst 198.18.0.2
vx "$B" neigh add 203.0.113.2 lladdr $MAC_A dev vxlan1
vx "$B" fdb add $MAC_A dev vxlan1 dst 198.18.0.1
expect_ping "container A pings container B before any restart" "$CA" 203.0.113.3 3 3

snapshot() {
	{
		vx "$A" link show
		vx "$A" fdb show
		vx "$A" neigh show
		ip -n "$A" -o link show vxlan1 | grep -oE '(master [a-z0-9]+|<[^>]*>)' | sort
	} 2>&1 | sed -E 's/^[0-9]+: //'
}
before=$(snapshot)

# restart SIGNAL: stop A's daemon with SIGNAL and start it again while a
# ping runs; sets $lost to the ping's loss count. (Not in a subshell: the
# daemon's pid must stay known to cleanup.)
restart() {
	local sig=$1 pid=${DAEMON_OF[$A]} out
	ip netns exec "$CA" ping -n -q -i 0.01 -c 300 -W 1 203.0.113.3 >"$TMP/ping.out" 2>&1 &
	local ping=$!
	sleep 1
	kill "-$sig" "$pid"
	wait "$pid" 2>/dev/null || true
	unset "DAEMON_OF[$A]"
	start_vxnetd "$A"
	wait "$ping" || true
	out=$(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$TMP/ping.out")
	if [ -z "$out" ]; then
		lost=noping
	else
		lost=$((${out% *} - ${out#* }))
	fi
}

for sig in TERM KILL; do
	restart $sig
	if [ "$VXNET_DATAPATH" = kernel ]; then
		expect_eq "kernel datapath: no ping lost across a SIG$sig restart" "$lost" 0
	else
		if is_num "$lost" && [ "$lost" -le 100 ]; then
			ok "user datapath: traffic resumes within 1 s of a SIG$sig restart ($lost of 300 pings lost)"
		else
			notok "user datapath: traffic resumes within 1 s of a SIG$sig restart (lost '$lost', want <= 100)"
		fi
	fi
	after=$(snapshot)
	if [ "$after" = "$before" ]; then
		ok "after a SIG$sig restart: the same link, master, up state, fdb and neigh entries"
	else
		notok "after a SIG$sig restart: the same link, master, up state, fdb and neigh entries"
		diff <(echo "$before") <(echo "$after") | sed 's/^/#   /'
	fi
	expect_ping "pings cross after the SIG$sig restart" "$CA" 203.0.113.3 3 3
done

# A corrupt state file: refused, nothing touched, the daemon does not start.
stop_vxnetd "$A"
state=$TMP/state-$A/state.json
cp "$state" "$TMP/good.json"
head -c 40 "$TMP/good.json" >"$state"
rc=0
timeout 10 ip netns exec "$A" "$VXNETD" -S "$(sock_of "$A")" --state "$TMP/state-$A" >"$TMP/corrupt.log" 2>&1 || rc=$?
expect_eq "a corrupt state file: vxnetd exits 1" "$rc" 1
expect_match "a corrupt state file: one log line says why" "$(cat "$TMP/corrupt.log")" \
	".*state: .*state.json is corrupt \(not JSON.*\): refusing to start over it; fix or remove the file"
expect_eq "a corrupt state file: the file is left as it was" "$(head -c 40 "$TMP/good.json")" "$(cat "$state")"
expect_ok "a corrupt state file: vxlan1 is still there" ip -n "$A" link show vxlan1
expect_ping "a corrupt state file, no daemon: kernel devices forward on their own, user TAPs carry nothing" "$CA" 203.0.113.3 2 \
	"$([ "$VXNET_DATAPATH" = kernel ] && echo 2 || echo 0)"
cp "$TMP/good.json" "$state"
start_vxnetd "$A"
expect_eq "the good file again: everything back" "$(snapshot)" "$before"

# Purge: the devices and the state go.
stop_vxnetd "$A"
expect_ok "vxnetd --purge exits 0" ip netns exec "$A" "$VXNETD" -S "$(sock_of "$A")" --state "$TMP/state-$A" --purge
if ip -n "$A" link show vxlan1 >/dev/null 2>&1; then
	notok "after --purge vxlan1 is gone"
else
	ok "after --purge vxlan1 is gone"
fi
expect_eq "after --purge the state file is gone" "$(ls "$TMP/state-$A" | grep -c state.json || true)" 0

finish
