#!/bin/bash
# A path MTU that follows the underlay (pmtu.sh's vxlan exception cases,
# on both datapaths): a router with a smaller MTU in the path, and a path
# that shrinks in the middle of a TCP transfer.
#
#   vx-ca-$$ eth0 --veth-- br0 -- vxlan1 (vx-a-$$)   vx-r-$$ (router)        vx-b-$$ vxlan1 -- br0 --veth-- eth0 vx-cb-$$
#   203.0.113.2                   ul0 ==== ra     rb ==== ul0                     203.0.113.3
#   2001:db8:1::2          198.18.0.1 | mtu 5000  | mtu 4000 198.18.1.2          2001:db8:1::3
#                           2001:db8:a::1          2001:db8:b::2
#
# Underlay and overlay raised to 5000 (vxlan1 4950 over IPv4, 4930 over
# IPv6), the router's link to B carries 4000. A 4500-byte ping with DF from
# the container fails, the router tells A's host, and the next one gets
# "frag needed" with mtu 3950 (IPv4 underlay; 3930 over IPv6) from the
# datapath, and the container's kernel keeps that exception. Then a 24 MB
# TCP transfer runs while the router's link shrinks to 3000: it completes
# with the same sha256, and an ICMP with mtu 2950 reached the sender.
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping socat sha256sum tcpdump tshark
need_vxnet

dd if=/dev/urandom of="$TMP/src" bs=1M count=24 status=none
want=$(sha256sum <"$TMP/src" | cut -c1-64)

# run FAM: one topology with an IPv4 (4) or IPv6 (6) underlay.
run() {
	local fam=$1 s=$$$1
	local CA=vx-ca-$s A=vx-a-$s R=vx-r-$s B=vx-b-$s CB=vx-cb-$s
	local ua=198.18.0.1 ub=198.18.1.2 ra=198.18.0.254/24 rb=198.18.1.254/24 pa=24 over=50 pfx=""
	if [ "$fam" = 6 ]; then
		ua=2001:db8:a::1 ub=2001:db8:b::2 ra=2001:db8:a::fe/64 rb=2001:db8:b::fe/64 pa=64 over=70 pfx="-6"
	fi
	for ns in $CA $A $R $B $CB; do add_ns "$ns" ipv6; done
	veth "$A" ul0 "$R" ra 5000
	veth "$R" rb "$B" ul0 4000
	ip -n "$R" addr add $ra dev ra nodad
	ip -n "$R" addr add $rb dev rb nodad
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$A" addr add "$ua/$pa" dev ul0 nodad
	ip -n "$B" addr add "$ub/$pa" dev ul0 nodad
	ip -n "$A" $pfx route add "${ub}" via "${ra%/*}"
	ip -n "$B" $pfx route add "${ua}" via "${rb%/*}"
	host() {
		local h=$1 ct=$2 local=$3 peer=$4 mac=$5 n=$6
		start_vxnetd "$h"
		vx "$h" link add vxlan1 id 42 dstport 4789 local "$local" remote "$peer" dev ul0
		ip link add veth1 mtu $((5000 - over)) netns "$h" type veth peer name eth0 mtu $((5000 - over)) netns "$ct"
		ip -n "$ct" link set eth0 address "$mac"
		ip -n "$ct" addr add "203.0.113.$n/24" dev eth0
		ip -n "$ct" addr add "2001:db8:1::$n/64" dev eth0 nodad
		ip -n "$h" link add br0 type bridge
		ip -n "$h" link set veth1 master br0
		ip -n "$h" link set vxlan1 master br0
		for d in br0 vxlan1 veth1; do ip -n "$h" link set "$d" up; done
		ip -n "$ct" link set eth0 up
	}
	host "$A" "$CA" "$ua" "$ub" 02:42:c0:a8:00:02 2
	host "$B" "$CB" "$ub" "$ua" 02:42:c0:a8:00:03 3
	expect_eq "IPv$fam underlay: vxlan1 carries $((5000 - over))" \
		"$(ip -n "$A" -o link show vxlan1 | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')" $((5000 - over))
	expect_ping "IPv$fam underlay: the containers ping each other" "$CA" 203.0.113.3 2 2
	local small=$((4000 - over))
	start_capture icmp "$CA" eth0 icmp
	ip netns exec "$CA" ping -n -c 1 -W 1 -M do -s 4472 203.0.113.3 >/dev/null 2>&1 || true
	out=$(ip netns exec "$CA" ping -n -c 2 -i 0.3 -W 1 -M do -s 4472 203.0.113.3 2>&1 || true)
	stop_capture icmp
	expect_match "IPv$fam underlay: the sender is told frag needed, mtu $small" "$out" \
		".*(Frag needed and DF set \(mtu = $small\)|[Mm]essage too long, mtu=$small).*"
	expect_match "IPv$fam underlay: the container's kernel keeps the exception ($small)" \
		"$(ip -n "$CA" route get 203.0.113.3 2>&1 | tr '\n' ' ')" ".* mtu $small.*"
	expect_ge "IPv$fam underlay: an ICMP frag needed with mtu $small reached the container" \
		"$(tcount icmp "icmp.type==3 && icmp.code==4 && icmp.mtu==$small")" 1
	expect_ping "IPv$fam underlay: a ${small}-byte ping with DF crosses" "$CA" 203.0.113.3 2 2 -M do -s $((small - 28))

	# The path shrinks in the middle of a TCP transfer.
	local smaller=$((3000 - over))
	start_capture icmp2 "$CA" eth0 icmp
	bg_start "rx$s" "$CB" timeout 60 socat -u TCP4-LISTEN:5001,reuseaddr "CREATE:$TMP/dst$s"
	wait_for 5 sh -c "ip netns exec $CB ss -Hltn 'sport = :5001' | grep -q ." || true
	# Paced (1 MB every 40 ms), so the path shrinks while data flows.
	bg_start "tx$s" "$CA" timeout 60 "$PY" -c '
import socket, sys, time
s = socket.create_connection(("203.0.113.3", 5001), timeout=5)
with open(sys.argv[1], "rb") as f:
    while True:
        b = f.read(1 << 20)
        if not b:
            break
        s.sendall(b)
        time.sleep(0.04)
s.close()' "$TMP/src"
	sleep 0.3
	ip -n "$R" link set rb mtu 3000
	ip -n "$B" link set ul0 mtu 3000
	local txrc=0 rxrc=0
	wait "${BG_PIDS[tx$s]}" || txrc=$?
	unset "BG_PIDS[tx$s]"
	wait "${BG_PIDS[rx$s]}" || rxrc=$?
	unset "BG_PIDS[rx$s]"
	stop_capture icmp2
	expect_eq "IPv$fam underlay: the transfer ends well (sender, receiver)" "$txrc $rxrc" "0 0"
	expect_eq "IPv$fam underlay: 24 MB arrive with the same sha256 across the shrinking path" \
		"$(sha256sum <"$TMP/dst$s" | cut -c1-64)" "$want"
	expect_ge "IPv$fam underlay: the sender was told the new size (frag needed, mtu $smaller)" \
		"$(tcount icmp2 "icmp.type==3 && icmp.code==4 && icmp.mtu==$smaller")" 1
	rm -f "$TMP/dst$s"
	stop_vxnetd "$A"
	stop_vxnetd "$B"
	for ns in $CA $A $R $B $CB; do ip netns del "$ns"; done
}

run 4
run 6

finish
