#!/bin/bash
# The daemon-wide cap on learned entries (vxnetd --max-learned; issue 8:
# 1M invented source MACs grew the daemon by 135 MB). A remote sends frames
# from many MACs on two VNIs of A's daemon, which holds at most 300 learned
# entries in all links together:
# - VNI 100 learns its 200; VNI 200 learns 100 and refuses the rest, each
#   refusal counted rx_learn_capped (and rx_learn_refused) on that link, one
#   log line; the frames are still delivered;
# - at the cap, a known MAC still moves to a new remote;
# - entries deleted (fdb del) or gone with their link (link del) make room:
#   learning resumes;
# - without --max-learned the cap is 1/256 of the memory at 160 bytes an
#   entry (B's log).
#
#     vx-a-$$ (vxnetd --max-learned 300)              vx-b-$$ (vxnetd; raw VXLAN senders)
#     vxa VNI 100, vxb VNI 200 (remote 198.18.0.2)
#     ul0 198.18.0.1/24 ============================= ul0 198.18.0.2/24, 198.18.0.3/24
#
# datapaths: user
# not on kernel: the kernel keeps no daemon-wide count; what it offers is a per-device limit (maxaddress, t14)
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip
need_vxnet

A=vx-a-$$ B=vx-b-$$
add_ns "$A"
add_ns "$B"
underlay "$A" "$B"
ip -n "$B" addr add 198.18.0.3/24 dev ul0
start_vxnetd "$A" --max-learned 300
start_vxnetd "$B"
for l in "vxa 100" "vxb 200"; do
	set -- $l
	vx "$A" link add "$1" id "$2" remote 198.18.0.2 local 198.18.0.1 dev ul0
	ip -n "$A" link set "$1" up
done

# send VNI N FIRST [SRC]: N frames from MACs bulk_mac(FIRST...) to A.
send() { ip netns exec "$B" "$PY" "$repo/tests/netns/vxctl.py" 198.18.0.1 learn "$@" >/dev/null; }
learned() { vx "$A" fdb show dev "$1" | grep -c '^02:00:5e:.* self$' || true; }
# settle LINK N: wait (bounded) until LINK has N learned entries.
settle() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ "$(learned "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 0
}

expect_match "A logs its cap" "$(cat "$TMP/vxnetd-$A.log")" ".*listening on .*; 300 learned entries at most\)"
mem=$(($(awk '/^MemTotal:/ {print $2}' /proc/meminfo) * 1024))
want=$((mem / 256 / 160))
if [ "$want" -lt 4096 ]; then want=4096; fi
expect_match "B's default cap is 1/256 of the memory at 160 bytes an entry ($want)" \
	"$(cat "$TMP/vxnetd-$B.log")" ".*listening on .*; $want learned entries at most\)"

send 100 200 0
settle vxa 200
expect_eq "vxa (VNI 100) learned its 200 MACs" "$(learned vxa)" 200
p0=$(counter "$A" vxb rx_packets)
send 200 200 1000
settle vxb 100
expect_eq "vxb (VNI 200) learned 100 of its 200: 300 in all" "$(learned vxb)" 100
expect_eq "vxb counts 100 rx_learn_capped" "$(counter "$A" vxb rx_learn_capped)" 100
expect_eq "and 100 rx_learn_refused" "$(counter "$A" vxb rx_learn_refused)" 100
expect_eq "vxa counts no rx_learn_capped" "$(counter "$A" vxa rx_learn_capped)" 0
expect_eq "every frame was still delivered (vxb rx_packets +200)" "$(delta "$p0" "$(counter "$A" vxb rx_packets)")" 200
expect_eq "one log line says so" \
	"$(grep -c 'learning refused: 300 learned entries in all (vxnetd --max-learned); counted rx_learn_capped' "$TMP/vxnetd-$A.log")" 1

# At the cap a known MAC still moves (from 198.18.0.3 now).
send 100 10 0 198.18.0.3
moved() { [ "$(vx "$A" fdb show dev vxa | grep -c ' dst 198.18.0.3 self$')" = 10 ]; }
if wait_for 5 moved; then ok "at the cap, 10 known MACs moved to 198.18.0.3"; else notok "at the cap, 10 known MACs moved to 198.18.0.3 ($(vx "$A" fdb show dev vxa | grep -c ' dst 198.18.0.3 self$'))"; fi
expect_eq "moving them took no room (vxa still 200)" "$(learned vxa)" 200

# Room made by fdb del: 50 more are learned.
for i in $(seq 0 49); do
	vxctl "$(sock_of "$A")" raw fdb-del ifname=vxa lladdr="$(printf '02:00:5e:00:00:%02x' $((100 + i)))" >/dev/null
done
expect_eq "vxa after 50 fdb del" "$(learned vxa)" 150
send 200 100 2000
settle vxb 150
expect_eq "vxb learned 50 more, up to the cap again" "$(learned vxb)" 150
expect_eq "the other 50 were capped (150 in all)" "$(counter "$A" vxb rx_learn_capped)" 150

# Room made by link del: vxb learns again.
vx "$A" link del vxa
send 200 100 3000
settle vxb 250
expect_eq "after link del vxa (150 learned entries gone) vxb learns 100 more" "$(learned vxb)" 250
expect_eq "none capped" "$(counter "$A" vxb rx_learn_capped)" 150
finish
