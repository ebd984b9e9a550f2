#!/bin/bash
# Local bypass (the kernel's `localbypass`, its default), on both
# datapaths, as test_vxlan_nolocalbypass.sh checks it: between two links of
# one daemon whose remote is this host's own address, frames are handed
# over directly (nothing on lo); with `nolocalbypass` they go as real UDP
# over lo (where firewall rules apply); to a local address with no link for
# the VNI they are dropped.
#
#   vx-h-$$ (vxnetd), ul0 198.18.0.1/24
#     vxa id 100 dstport 4789, fdb 02:00:5e:00:53:bb dst 198.18.0.1 vni 200
#     vxb id 200 dstport 4789
#   scapy sends frames for 02:00:5e:00:53:bb into vxa; tcpdump on vxb and lo.
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip tcpdump tshark
need_vxnet
need_scapy

H=vx-h-$$
add_ns "$H"
ip -n "$H" link add ul0 type veth peer name ul1
ip -n "$H" addr add 198.18.0.1/24 dev ul0
ip -n "$H" link set ul0 up
ip -n "$H" link set ul1 up
start_vxnetd "$H"
vx "$H" link add vxa id 100 local 198.18.0.1 dstport 4789 nolearning
vx "$H" link add vxb id 200 local 198.18.0.1 dstport 4789 nolearning
ip -n "$H" link set vxa up
ip -n "$H" link set vxb up
vx "$H" fdb add 02:00:5e:00:53:bb dev vxa dst 198.18.0.1 vni 200

# send N TAG: N frames for 02:00:5e:00:53:bb into vxa, EtherType 0x88b5.
send() {
	ip netns exec "$H" "$PY" - "$1" "$2" <<'PYEOF'
import sys, time
from scapy.all import Ether, Raw, sendp
for i in range(int(sys.argv[1])):
    sendp(Ether(src="02:00:5e:00:53:aa", dst="02:00:5e:00:53:bb", type=0x88b5) / Raw(sys.argv[2].encode() + bytes(40)),
          iface="vxa", verbose=False)
    time.sleep(0.02)
PYEOF
}

if dp_is user; then b0=$(counter "$H" vxa tx_bypass); fi
start_capture lo1 "$H" lo udp
start_capture vb1 "$H" vxb ether proto 0x88b5
send 3 bypass
stop_capture lo1
stop_capture vb1
expect_eq "localbypass: the 3 frames reached vxb" "$(tcount vb1 'eth.type==0x88b5')" 3
expect_eq "localbypass: nothing went over lo" "$(tcount lo1 udp)" 0
if dp_is user; then
	expect_eq "localbypass: tx_bypass counted them" "$(delta "$b0" "$(counter "$H" vxa tx_bypass)")" 3
fi

expect_ok "link set vxa nolocalbypass" vx "$H" link set vxa nolocalbypass
start_capture lo2 "$H" lo udp port 4789
start_capture vb2 "$H" vxb ether proto 0x88b5
send 3 udp
stop_capture lo2
stop_capture vb2
expect_eq "nolocalbypass: the 3 frames reached vxb" "$(tcount vb2 'eth.type==0x88b5')" 3
expect_eq "nolocalbypass: they went over lo as VXLAN with VNI 200" "$(tcount lo2 'vxlan && vxlan.vni==200')" 3

# To a local address with no link of that VNI: dropped, never sent.
expect_ok "link set vxa localbypass" vx "$H" link set vxa localbypass
expect_ok "the entry now names VNI 300 (no such link)" \
	vx "$H" fdb replace 02:00:5e:00:53:bb dev vxa dst 198.18.0.1 vni 300
if dp_is user; then
	x0=$(counter "$H" vxa tx_drop_bypass)
else
	x0=$(counter "$H" vxa tx_errors) # the kernel counts these as tx errors
fi
start_capture lo3 "$H" lo udp
start_capture vb3 "$H" vxb ether proto 0x88b5
send 2 none
stop_capture lo3
stop_capture vb3
expect_eq "no link for VNI 300: nothing reached vxb" "$(tcount vb3 'eth.type==0x88b5')" 0
expect_eq "no link for VNI 300: nothing on lo" "$(tcount lo3 udp)" 0
if dp_is user; then
	expect_eq "no link for VNI 300: tx_drop_bypass counted" "$(delta "$x0" "$(counter "$H" vxa tx_drop_bypass)")" 2
else
	expect_eq "no link for VNI 300: tx_errors counted" "$(delta "$x0" "$(counter "$H" vxa tx_errors)")" 2
fi

finish
