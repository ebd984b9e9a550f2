#!/bin/bash
# Bulk TCP through the offload paths, content checked end to end: 32 MB of
# random bytes per transfer (socat), sha256 of what arrived against what was
# sent, in four topologies. Counters prove the offloads really ran (so a
# silent fall-back to frame-by-frame fails the test): the sender's TAP hands
# over far fewer (TSO) frames than VXLAN packets leave, its ul0 carries far
# fewer (UDP GSO) skbs than that, and the receiver's TAP gets far fewer
# (inner-GRO merged) frames than VXLAN packets arrive. A 200-packet sample of
# the underlay, segmented in software by the switch (its ports have tx
# offloads off, like a real NIC's wire), must pass the strict VXLAN header
# filter, with outer UDP checksums zero or correct and inner IPv4/TCP
# checksums correct.
#
#  a) vxnetd <-> vxnetd (4 workers each: flows spread over threads, TAP queues and sockets),
#     IPv4 underlay through switch vx-s4-$$, overlay on the TAPs; one transfer A -> B, then
#     six A -> B and two B -> A at once (flows interleave in GRO and across workers):
#       vx-a-$$ vxlan1 203.0.113.1/24, ul0 198.18.0.1/24 -- sw0 -- ul0 198.18.0.2/24, vxlan1 203.0.113.2/24 vx-b-$$
#  b) vxnetd <-> kernel vxlan (id 42 dstport 4789), both directions, same switch:
#       vx-c-$$ vxlan1 203.0.113.3/24 (vxnetd), ul0 198.18.0.3 -- sw0 -- ul0 198.18.0.4, vxlan1 203.0.113.4/24 vx-k-$$
#  c) vxnetd <-> vxnetd over IPv6 (switch vx-s6-$$), IPv6 inside too:
#       vx-d-$$ vxlan1 2001:db8:1::1/64, ul0 2001:db8::1/64 -- sw0 -- ul0 2001:db8::2/64, vxlan1 2001:db8:1::2/64 vx-e-$$
#  d) recipe 1: container --veth (MTU 1450)-- br0 -- vxlan1 (vxnetd) on each host, direct underlay veth:
#       vx-ca-$$ eth0 203.0.113.12 -- vx-oa-$$ br0/vxlan1, ul0 198.18.1.1 == ul0 198.18.1.2, vxlan1/br0 vx-ob-$$ -- vx-cb-$$ eth0 203.0.113.13
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ss socat sha256sum cmp timeout tcpdump tshark ethtool awk
need_vxnet

LIMIT=${T15_XFER_LIMIT:-15}     # seconds a transfer may take before it counts as hung
MIN_RATIO=4                     # "far fewer": at least 4 packets per merged/offloaded unit

head -c 32M /dev/urandom >"$TMP/src"
SRC_SUM=$(sha256sum <"$TMP/src" | cut -d' ' -f1)
SEGS=$((32 * 1048576 / 1448))   # MSS-sized segments for 32 MB, about 23000

# ---- helpers of this script ----

# underlay_switch SW NS1 ADDR1 NS2 ADDR2 [ipv6]: both hosts on a switch whose
# ports segment and checksum in software (tx off), so captures there see
# packets as a wire would; hosts keep their offloads and turn GRO on.
underlay_switch() {
	local sw=$1 v6=${6:-} p ns
	add_switch "$sw"
	add_ns "$2" "$v6"
	add_ns "$4" "$v6"
	veth "$sw" p1 "$2" ul0
	veth "$sw" p2 "$4" ul0
	for p in p1 p2; do
		ip -n "$sw" link set "$p" master sw0
		ip netns exec "$sw" ethtool -K "$p" tx off >/dev/null
	done
	ip -n "$2" addr add "$3" dev ul0 ${v6:+nodad}
	ip -n "$4" addr add "$5" dev ul0 ${v6:+nodad}
	for ns in "$2" "$4"; do ip netns exec "$ns" ethtool -K ul0 gro on >/dev/null; done
}

# vxhost NS LOCAL REMOTE OVERLAY/LEN: a vxnetd (4 workers) link vxlan1 (VNI 42) with an address.
vxhost() {
	start_vxnetd "$1" --workers 4
	vx "$1" link add vxlan1 id 42 dstport 4789 local "$2" remote "$3" dev ul0
	case $4 in
	*:*) ip -n "$1" addr add "$4" dev vxlan1 nodad ;;
	*) ip -n "$1" addr add "$4" dev vxlan1 ;;
	esac
	ip -n "$1" link set vxlan1 up
}

devstat() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"; }

# snap NS: "vx_tx vx_rx datagrams tap_tx tap_rx ul0_tx udp_in" of NS's vxlan1
# (udp_in: the namespace's UDP and UDP6 InDatagrams, one per datagram read, however
# many segments UDP GRO put in it).
snap() {
	local j
	j=$(vx "$1" -j -s link show vxlan1 2>/dev/null || true)
	printf '%s' "$j" | "$PY" -c '
import json, sys
try:
    d = json.load(sys.stdin)[0]
    print(d["stats"]["tx_packets"], d["stats"]["rx_packets"], d["socket_stats"]["rx_datagrams"], end=" ")
except Exception:
    print("missing missing missing", end=" ")'
	echo "$(devstat "$1" vxlan1 tx_packets) $(devstat "$1" vxlan1 rx_packets) $(devstat "$1" ul0 tx_packets)" \
		"$(ip netns exec "$1" cat /proc/net/snmp /proc/net/snmp6 2>/dev/null |
			awk '/^Udp:/ { if (n++) s += $2 } /^Udp6InDatagrams/ { s += $2 } END { print s + 0 }')"
}

# ratio_check DESC MANY FEW: MANY >= MIN_RATIO * FEW, MANY >= SEGS - 10%.
ratio_check() {
	if is_num "$2" && is_num "$3" && [ "$2" -ge $((SEGS * 9 / 10)) ] && [ "$2" -ge $((MIN_RATIO * $3)) ]; then
		ok "$1 ($2 vs $3)"
	else
		notok "$1 (got $2 vs $3, want >= $((SEGS * 9 / 10)) and >= $MIN_RATIO times)"
	fi
}

# offload_checks TXNS RXNS BEFORE_TX BEFORE_RX WHAT: the counters moved as offloads make them.
# TXNS or RXNS may be "-" for a kernel vxlan end.
offload_checks() {
	local t0 t1 r0 r1
	# On the kernel datapath no vxnetd is in the packet path: the offloads
	# are the kernel's own, and there is nothing of vxnetd's to count.
	dp_is user || return 0
	if [ "$1" != - ]; then
		read -ra t0 <<<"$3"
		read -ra t1 <<<"$(snap "$1")"
		ratio_check "$5: sender's VXLAN packets far outnumber its TAP's TSO frames (segmentation)" \
			"$(delta "${t0[0]}" "${t1[0]}")" "$(delta "${t0[3]}" "${t1[3]}")"
		ratio_check "$5: sender's VXLAN packets far outnumber its ul0 skbs (UDP GSO bursts)" \
			"$(delta "${t0[0]}" "${t1[0]}")" "$(delta "${t0[5]}" "${t1[5]}")"
		expect_eq "$5: sender's vxnetd did not fall back from UDP GSO" \
			"$(grep -m1 "GSO unavailable" "$TMP/vxnetd-$1.log" || true)" ""
	fi
	if [ "$2" != - ]; then
		read -ra r0 <<<"$4"
		read -ra r1 <<<"$(snap "$2")"
		ratio_check "$5: receiver's VXLAN packets far outnumber the frames written to its TAP (inner GRO)" \
			"$(delta "${r0[1]}" "${r1[1]}")" "$(delta "${r0[4]}" "${r1[4]}")"
		ratio_check "$5: receiver's VXLAN datagrams far outnumber its UDP reads (UDP GRO)" \
			"$(delta "${r0[2]}" "${r1[2]}")" "$(delta "${r0[6]}" "${r1[6]}")"
	fi
}

# xfer_listen NAME NS PORT [6]: a receiver writing $TMP/NAME.dst; returns once listening.
xfer_listen() {
	bg_start "rx-$1" "$2" timeout "$LIMIT" socat -u "TCP${4:-4}-LISTEN:$3,reuseaddr" "CREATE:$TMP/$1.dst"
	if ! wait_for 5 sh -c "ip netns exec '$2' ss -Hltn 'sport = :$3' | grep -q ."; then
		notok "$1: socat listens on port $3 in $2"
	fi
}

# xfer_send NAME NS DST PORT [6]: the sender of $TMP/src, in the background.
xfer_send() {
	bg_start "tx-$1" "$2" timeout "$LIMIT" socat -u "OPEN:$TMP/src" "TCP${5:-4}:$3:$4,connect-timeout=5"
}

# xfer_check NAME DESC: wait for both ends (bounded by LIMIT) and compare.
xfer_check() {
	local name=$1 desc=$2 rxrc=0 txrc=0 got size
	wait "${BG_PIDS[tx-$name]}" || txrc=$?
	unset "BG_PIDS[tx-$name]"
	wait "${BG_PIDS[rx-$name]}" || rxrc=$?
	unset "BG_PIDS[rx-$name]"
	got=$(sha256sum <"$TMP/$name.dst" 2>/dev/null | cut -d' ' -f1 || true)
	if [ "$got" = "$SRC_SUM" ] && [ "$txrc" = 0 ] && [ "$rxrc" = 0 ]; then
		ok "$desc: 32 MB arrive intact (sha256 ${got:0:16}...)"
	else
		size=$(stat -c %s "$TMP/$name.dst" 2>/dev/null || echo none)
		notok "$desc: sha256 differs or transfer failed (sender exit $txrc, receiver exit $rxrc, 124 = hung $LIMIT s; $size of 33554432 bytes; $(cmp "$TMP/src" "$TMP/$name.dst" 2>&1 | head -n 1))"
		sed 's/^/#   socat: /' "$TMP/tx-$name.err" "$TMP/rx-$name.err" | head -n 6
	fi
	rm -f "$TMP/$name.dst"
}

# xfer NAME TXNS RXNS DST [6]: one transfer, start to end.
xfer() {
	xfer_listen "$1" "$3" 5001 "${5:-4}"
	xfer_send "$1" "$2" "$4" 5001 "${5:-4}"
	xfer_check "$1" "$1"
}

# sample_checks NAME WHAT IPF: the 200-packet underlay sample is clean.
sample_checks() {
	local f=$TMP/$1.pcap n strict fields bad
	stop_capture "$1"
	n=$(tcount "$1" vxlan)
	expect_ge "$2: tshark decodes a sample of VXLAN packets" "$n" 150
	strict=$(tcount "$1" "$STRICT_VXLAN && vxlan.vni==42")
	expect_eq "$2: every sampled VXLAN packet passes the strict header filter with vni 42" "$strict" "$n"
	fields=$(tshark -n -r "$f" -Y vxlan -o udp.check_checksum:TRUE -o tcp.check_checksum:TRUE \
		-o ip.check_checksum:TRUE -T fields -E 'separator=;' -e frame.len -e udp.checksum \
		-e udp.checksum.status -e tcp.checksum.status -e ip.checksum.status 2>/dev/null || true)
	# status: 0 bad, 1 good, 2 unverified, 3 not present (zero checksum)
	bad=$(echo "$fields" | awk -F';' -v v6="${3:-}" '
		$3 != 1 && !($3 == 3 && v6 != "ipv6") { print "udp:" $0; next }
		$4 != "" && $4 != 1 { print "tcp:" $0; next }
		$5 != "" && $5 !~ /^1(,1)*$/ { print "ip:" $0; next }
		$1 > 1514 { print "len:" $0 }' | head -n 3)
	expect_eq "$2: outer UDP checksums zero or correct, inner IPv4/TCP checksums correct, no frame above 1450 + headers" \
		"$bad" ""
	# vxnetd sends its GSO bursts from UDP sockets, which checksum; the
	# kernel device sends IPv4 with zero checksums (noudpcsum), as RFC 7348 asks.
	if dp_is user; then
		expect_ge "$2: the sample has GSO segments with a computed outer UDP checksum" \
			"$(echo "$fields" | awk -F';' '$2 != "0x0000" && $3 == 1 && $4 == 1 && $1 > 1400' | wc -l)" 50
	fi
}

# ---- a) vxnetd <-> vxnetd, IPv4 ----
A=vx-a-$$ B=vx-b-$$ S4=vx-s4-$$
underlay_switch "$S4" "$A" 198.18.0.1/24 "$B" 198.18.0.2/24
vxhost "$A" 198.18.0.1 198.18.0.2 203.0.113.1/24
vxhost "$B" 198.18.0.2 198.18.0.1 203.0.113.2/24
expect_ping "a) A pings B over vxnetd" "$A" 203.0.113.2 2 2

ta=$(snap "$A") tb=$(snap "$B")
start_capture s4 "$S4" p2 -Q out -c 200 udp port 4789
xfer a "$A" "$B" 203.0.113.2
offload_checks "$A" "$B" "$ta" "$tb" "a) A -> B"
sample_checks s4 "a) underlay A -> B"

ta=$(snap "$A") tb=$(snap "$B")
# Six flows A -> B interleave in B's inner GRO and spread over the workers,
# while two go B -> A (A's GRO sees their data among the ACKs of the others).
for i in 1 2 3 4 5 6; do xfer_listen "a$i" "$B" $((5010 + i)); done
for i in 7 8; do xfer_listen "a$i" "$A" $((5010 + i)); done
for i in 1 2 3 4 5 6; do xfer_send "a$i" "$A" 203.0.113.2 $((5010 + i)); done
for i in 7 8; do xfer_send "a$i" "$B" 203.0.113.1 $((5010 + i)); done
for i in 1 2 3 4 5 6; do xfer_check "a$i" "a) concurrent transfer $i of 6 A -> B"; done
for i in 7 8; do xfer_check "a$i" "a) concurrent transfer $((i - 6)) of 2 B -> A"; done
offload_checks "$A" "$B" "$ta" "$tb" "a) 6 A -> B beside 2 B -> A"

# ---- b) vxnetd <-> kernel vxlan, both directions ----
C=vx-c-$$ K=vx-k-$$ SK=vx-sk-$$
underlay_switch "$SK" "$C" 198.18.0.3/24 "$K" 198.18.0.4/24
vxhost "$C" 198.18.0.3 198.18.0.4 203.0.113.3/24
ip -n "$K" link add vxlan1 type vxlan id 42 dstport 4789 local 198.18.0.4 remote 198.18.0.3 dev ul0
ip -n "$K" addr add 203.0.113.4/24 dev vxlan1
ip -n "$K" link set vxlan1 up
expect_ping "b) vxnetd pings the kernel vxlan" "$C" 203.0.113.4 2 2

tc=$(snap "$C")
start_capture sk "$SK" p2 -Q out -c 200 udp port 4789
xfer b-to-kernel "$C" "$K" 203.0.113.4
offload_checks "$C" - "$tc" "" "b) vxnetd -> kernel"
sample_checks sk "b) underlay vxnetd -> kernel"

tc=$(snap "$C")
xfer b-from-kernel "$K" "$C" 203.0.113.3
offload_checks - "$C" "" "$tc" "b) kernel -> vxnetd"

# ---- c) vxnetd <-> vxnetd, IPv6 underlay and overlay ----
D=vx-d-$$ E=vx-e-$$ S6=vx-s6-$$
underlay_switch "$S6" "$D" 2001:db8::1/64 "$E" 2001:db8::2/64 ipv6
vxhost "$D" 2001:db8::1 2001:db8::2 2001:db8:1::1/64
vxhost "$E" 2001:db8::2 2001:db8::1 2001:db8:1::2/64
expect_ping "c) D pings E over IPv6 in IPv6" "$D" 2001:db8:1::2 2 2

td=$(snap "$D") te=$(snap "$E")
start_capture s6 "$S6" p2 -Q out -c 200 udp port 4789
xfer c "$D" "$E" "[2001:db8:1::2]" 6
offload_checks "$D" "$E" "$td" "$te" "c) IPv6 D -> E"
sample_checks s6 "c) IPv6 underlay D -> E" ipv6

# ---- d) recipe 1: containers behind bridges, direct underlay ----
CA=vx-ca-$$ OA=vx-oa-$$ OB=vx-ob-$$ CB=vx-cb-$$
for ns in $CA $OA $OB $CB; do add_ns "$ns"; done
veth "$OA" ul0 "$OB" ul0
ip -n "$OA" addr add 198.18.1.1/24 dev ul0
ip -n "$OB" addr add 198.18.1.2/24 dev ul0
recipe_host() {
	start_vxnetd "$1"
	vx "$1" link add vxlan1 id 42 dstport 4789 local "$3" remote "$4"
	ip link add veth1 mtu 1450 netns "$1" type veth peer name eth0 mtu 1450 netns "$2"
	ip -n "$2" addr add "$5/24" dev eth0
	ip -n "$1" link add br0 type bridge
	ip -n "$1" link set veth1 master br0
	ip -n "$1" link set vxlan1 master br0
	for l in br0 vxlan1 veth1; do ip -n "$1" link set "$l" up; done
	ip -n "$2" link set eth0 up
}
recipe_host "$OA" "$CA" 198.18.1.1 198.18.1.2 203.0.113.12
recipe_host "$OB" "$CB" 198.18.1.2 198.18.1.1 203.0.113.13
expect_ping "d) container A pings container B" "$CA" 203.0.113.13 2 2

ta=$(snap "$OA") tb=$(snap "$OB")
xfer d "$CA" "$CB" 203.0.113.13
offload_checks "$OA" "$OB" "$ta" "$tb" "d) container A -> container B"

# Nothing was lost inside a daemon on the way (TCP would hide it by retransmitting).
if dp_is user; then
	DROPS="tx_errors rx_drop_tap tx_drop_too_big tx_drop_runt"
else
	DROPS="tx_errors rx_errors"
fi
for ns in $A $B $C $D $E $OA $OB; do
	for c in $DROPS; do
		expect_eq "$ns: $c is 0" "$(counter "$ns" vxlan1 $c)" 0
	done
done

finish
