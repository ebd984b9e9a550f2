#!/bin/bash
# link set: a live link changes what the kernel's changelink can change,
# on either datapath, and keeps its fdb; what cannot change is refused with
# one line and changes nothing.
#
#   vx-a-$$ vxlan0 203.0.113.1 ==== ul0 198.18.0.1/24 ---+--- 198.18.0.2 vx-b-$$ vxlan0 203.0.113.2
#                                                          (switch vx-s-$$) 198.18.0.3 vx-c-$$ vxlan0 203.0.113.3
#
# A: remote B at first; `link set vxlan0 remote 198.18.0.3` moves its flood
# entry to C (the static and the learned entries stay); ttl, tos, ageing,
# learning, df, localbypass and mtu change and show on the wire or in link
# show (and in `ip -d link` for the kernel datapath); the monitor prints
# link-changed. id, dstport, srcport, proxy, maxaddress and an address
# family change are refused, exit 2, one line, link show and fdb unchanged.
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping tcpdump tshark
need_vxnet

S=vx-s-$$ A=vx-a-$$ B=vx-b-$$ C=vx-c-$$
add_switch "$S"
n=1
for h in $A $B $C; do
	add_ns "$h"
	plug "$S" "$h" "p$n" "198.18.0.$n/24"
	start_vxnetd "$h"
	n=$((n + 1))
done
vx "$A" link add vxlan0 id 42 local 198.18.0.1 remote 198.18.0.2 dstport 4789
vx "$B" link add vxlan0 id 42 local 198.18.0.2 remote 198.18.0.1 dstport 4789
vx "$C" link add vxlan0 id 42 local 198.18.0.3 remote 198.18.0.1 dstport 4789
n=1
for h in $A $B $C; do
	ip -n "$h" addr add "203.0.113.$n/24" dev vxlan0
	ip -n "$h" link set vxlan0 up
	n=$((n + 1))
done
monitor_start monA "$A" vxlan0
expect_ping "A pings B through its remote" "$A" 203.0.113.2 2 2
vx "$A" fdb add 02:00:5e:00:53:01 dev vxlan0 dst 198.18.0.9
STATIC="02:00:5e:00:53:01 dev vxlan0 dst 198.18.0.9 self permanent"
MAC_B=$(mac_of "$B" vxlan0)
expect_line "A learned B" "$(vx "$A" fdb show)" "$MAC_B dev vxlan0 dst 198.18.0.2 self"

# --- live changes
expect_ok "link set ttl 7 tos 0x20 ageing 200 nolearning df unset nolocalbypass mtu 1400" \
	vx "$A" link set vxlan0 ttl 7 tos 0x20 ageing 200 nolearning df unset nolocalbypass mtu 1400
show=$(vx "$A" link show vxlan0)
expect_match "link show has the new values" "$show" \
	"    vxlan id 42 .* ttl 7 tos 0x20 ageing 200 .*nolearning df unset nolocalbypass .*"
expect_match "link show has mtu 1400" "$show" "[0-9]+: vxlan0: mtu 1400 .*"
expect_line "the static entry is still there" "$(vx "$A" fdb show)" "$STATIC"
expect_line "the learned entry is still there" "$(vx "$A" fdb show)" "$MAC_B dev vxlan0 dst 198.18.0.2 self"
wait_for 3 grep -qxF "link-changed vxlan0" "$TMP/monA.out" || true
expect_line "the monitor printed link-changed" "$(cat "$TMP/monA.out")" "link-changed vxlan0"
if dp_is kernel; then
	d=$(ip -n "$A" -d -o link show vxlan0)
	expect_match "the kernel device has them too" "$d" \
		".* mtu 1400 .*vxlan id 42 .*nolearning .*tos 0x20 ttl 7 ageing 200 .*"
fi
start_capture ttl "$S" sw0 udp port 4789
expect_ping "A pings B after the change" "$A" 203.0.113.2 2 2
stop_capture ttl
# (ip.X#1: the outer IP header; the inner ping has its own TTL and DF.)
expect_ge "A's outer packets carry ttl 7 and DSCP 8 (tos 0x20)" \
	"$(tcount ttl 'ip.src#1==198.18.0.1 && ip.ttl#1==7 && ip.dsfield.dscp#1==8')" 2
expect_eq "... and none with another ttl" "$(tcount ttl 'ip.src#1==198.18.0.1 && !(ip.ttl#1==7)')" 0
expect_eq "df unset: A's outer packets go without DF (the inner ping has it)" \
	"$(tcount ttl 'ip.src#1==198.18.0.1 && ip.flags.df#1==1')" 0
expect_ge "... while the inner packets keep theirs" "$(tcount ttl 'ip.src#1==198.18.0.1 && ip.flags.df#2==1')" 2

# --- remote: the flood entry moves to C, unicast entries stay.
expect_ok "link set remote 198.18.0.3" vx "$A" link set vxlan0 remote 198.18.0.3
fdb=$(vx "$A" fdb show)
expect_line "the flood entry now points at C" "$fdb" "00:00:00:00:00:00 dev vxlan0 dst 198.18.0.3 self permanent"
expect_no_line "... and no longer at B" "$fdb" "00:00:00:00:00:00 dev vxlan0 dst 198.18.0.2 self permanent"
expect_line "the static entry stays" "$fdb" "$STATIC"
ip -n "$A" neigh flush dev vxlan0
expect_ping "A reaches C through the new flood entry" "$A" 203.0.113.3 2 2
expect_ok "link set df set learning" vx "$A" link set vxlan0 df set learning

# --- refused: one line, exit 2, nothing changes.
before=$( { vx "$A" link show vxlan0; vx "$A" fdb show; } 2>&1)
# refused WHAT WHY_ERE ARGS...: link set ARGS exits 2 with one line matching WHY_ERE.
refused() {
	local rc=0 what=$1 why=$2
	shift 2
	vx "$A" link set vxlan0 "$@" 2>"$TMP/err" || rc=$?
	expect_eq "link set $what: exit 2" "$rc" 2
	expect_eq "link set $what: one line on stderr" "$(wc -l <"$TMP/err")" 1
	expect_match "link set $what: it says why" "$(cat "$TMP/err")" "vxnet: link set: $why"
}
refused "dstport" "dstport cannot change on a live link.*" dstport 4790
refused "srcport" "srcport cannot change on a live link.*" srcport 50000 50010
refused "proxy" "proxy cannot change on a live link.*" proxy
refused "maxaddress" "maxaddress cannot change on a live link.*" maxaddress 10
refused "id" "id cannot change on a live link.*" id 43
refused "an IPv6 remote" ".*same address family.*" remote 2001:db8::1
refused "with nothing to change" "nothing to change"
after=$( { vx "$A" link show vxlan0; vx "$A" fdb show; } 2>&1)
expect_eq "link show and fdb show unchanged by the refusals" "$after" "$before"

finish
