#!/usr/bin/env bash
# tests/nl/run.sh: proves every function of src/vxnetd/nl.h against the running
# kernel. Each nl_* call is made through build/nl_driver and read back with
# ip(8) / bridge(8) (JSON, parsed with /usr/bin/python3), and where iproute2 6.1
# cannot show an option (localbypass, ttl inherit) with tests/nl/vxlan_attrs.py,
# a raw-socket reader independent of libmnl.
#
#   namespaces   vx-nl-PID (main), vx-nlb-PID (learning peer), vx-nlc-PID (netns target)
#   underlays    ul0 <-> ul1 (veth, in vx-nl), ula 198.18.1.1/24 <-> ulb 198.18.1.2/24
#   overlay      vxl 203.0.113.1/24 (vx-nl) <-> vxl 203.0.113.2/24 (vx-nlb), VNI 100
#
# Sections: create with every option; changelink (each option the kernel
# changes live, each it refuses, with its text; NL_VX_LIVE_MASK must match);
# generic link settings on vxlan, bridge and TAP devices; fdb add/append/
# replace/del/dump, learned entries; neighbours; netns; the monitor (changes
# made behind its back with ip/bridge, l2miss, l3miss, learning, overrun).
# Prints ok/not ok per check and ends with "nl: N passed, N failed"; exits 1
# on any failure. Needs root. VXNET_BUILD=DIR picks the build (default build/).
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
D=$root/${VXNET_BUILD:-build}/nl_driver
[ "${VXNET_BUILD:-build}" != "${VXNET_BUILD#/}" ] && D=$VXNET_BUILD/nl_driver
PY=/usr/bin/python3
NA=vx-nl-$$
NB=vx-nlb-$$
NC=vx-nlc-$$
A="ip netns exec $NA"
B="ip netns exec $NB"
TMP=$(mktemp -d /tmp/vx-nl.XXXXXX)
passed=0
failed=0
bg_pids=()

cleanup() {
	for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	for n in $NA $NB $NC; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT

pass() {
	echo "ok - $1"
	passed=$((passed + 1))
}
fail() {
	echo "not ok - $1"
	failed=$((failed + 1))
}

# expect DESC JSON EXPR WANT: evaluate the Python expression EXPR over the
# parsed JSON (as d) and compare it with the Python literal WANT.
expect() {
	local got
	got=$(printf '%s' "$2" | $PY -c '
import json, sys
try:
    d = json.loads(sys.stdin.read())
    v = eval(sys.argv[1], {"d": d})
except Exception as e:
    v = "<%s: %s>" % (type(e).__name__, e)
w = eval(sys.argv[2])
print("ok" if v == w else "got %r, want %r" % (v, w))' "$3" "$4" 2>&1)
	if [ "$got" = ok ]; then pass "$1"; else fail "$1: $got"; fi
}

# ok_json DESC JSON: the driver said {"ok":true}.
ok_json() {
	expect "$1" "$2" 'd.get("ok")' 'True'
}

# refused DESC JSON ERRNO MSG: the driver reports this errno name and exact kernel text.
refused() {
	expect "$1" "$2" '(d.get("errno"), d.get("msg"))' "('$3', '$4')"
}

info() { $A ip -d -j link show "$1"; }
raw() { $A $PY "$here/vxlan_attrs.py" "$1"; }
idx() { $A ip -j link show "$1" | $PY -c 'import json,sys; print(json.load(sys.stdin)[0]["ifindex"])'; }

if [ "$(id -u)" != 0 ]; then
	echo "run.sh: needs root" >&2
	exit 1
fi
for t in ip bridge "$PY"; do
	command -v "$t" >/dev/null || {
		echo "run.sh: $t is missing" >&2
		exit 1
	}
done
if [ ! -x "$D" ]; then
	echo "run.sh: $D is not built (meson setup build && ninja -C build)" >&2
	exit 1
fi

ip netns add $NA && ip netns add $NB && ip netns add $NC || exit 1
$A ip link set lo up
$A ip link add ul0 type veth peer name ul1
$A ip link set ul0 up
$A ip link set ul1 up
ip -n $NA link add ula type veth peer name ulb netns $NB
$A ip addr add 198.18.1.1/24 dev ula
$A ip link set ula up
$B ip addr add 198.18.1.2/24 dev ulb
$B ip link set ulb up
$B ip link set lo up
# Quiet devices: no IPv6 autoconfiguration traffic to disturb counters and fdbs.
for ns in $NA $NB; do
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
done

echo "# create with every option"
out=$($A $D create name=vx1 id=4242 remote=198.18.0.2 local=198.18.0.1 dev=ul0 ttl=17 tos=0x28 learning=0 \
	ageing=123 maxaddress=77 srcport=50000-50100 proxy=1 l2miss=1 l3miss=1 dstport=4790 udpcsum=0 zcsum6tx=1 \
	zcsum6rx=1 df=1 localbypass=0 mtu=1400 address=02:00:00:00:42:01)
expect "create vx1: ifindex reported is the device's" "$out" 'd.get("ifindex")' "$(idx vx1)"
j=$(info vx1)
expect "create vx1: ip shows every IFLA_VXLAN option as given" "$j" 'd[0]["linkinfo"]["info_data"]' \
	"{'id': 4242, 'remote': '198.18.0.2', 'local': '198.18.0.1', 'link': 'ul0', 'port_range': {'low': 50000, 'high': 50100}, 'port': 4790, 'learning': False, 'proxy': True, 'l2miss': True, 'l3miss': True, 'tos': '0x28', 'ttl': 17, 'df': 'set', 'ageing': 123, 'limit': 77, 'udp_csum': False, 'udp_zero_csum6_tx': True, 'udp_zero_csum6_rx': True}"
expect "create vx1: mtu and address" "$j" '(d[0]["mtu"], d[0]["address"])' "(1400, '02:00:00:00:42:01')"
expect "create vx1: localbypass off and ttl inherit off (raw attributes 31, 28)" "$(raw vx1)" '(d.get("31"), d.get("28"))' "('00', '00')"
g=$($A $D get vx1)
expect "get vx1: parsed back into the same params" "$g" \
	'{k: v for k, v in d["vxlan"].items() if k != "set"}' \
	"{'id': 4242, 'remote': '198.18.0.2', 'local': '198.18.0.1', 'link': $(idx ul0), 'ttl': 17, 'ttl_inherit': False, 'tos': 40, 'learning': False, 'ageing': 123, 'limit': 77, 'port_range': {'low': 50000, 'high': 50100}, 'proxy': True, 'l2miss': True, 'l3miss': True, 'port': 4790, 'udp_csum': False, 'udp_zero_csum6_tx': True, 'udp_zero_csum6_rx': True, 'df': 1, 'localbypass': False}"
expect "get vx1: state (name, kind, mtu, address, down, no master)" "$g" \
	'(d["name"], d["kind"], d["mtu"], d["address"], d["up"], d["master"])' \
	"('vx1', 'vxlan', 1400, '02:00:00:00:42:01', False, 0)"

out=$($A $D create name=vx2 id=5 remote=239.1.1.42 dev=ul0 ttlinherit=1 tos=1 df=2 dstport=4789)
ok_json "create vx2 (group, ttl inherit, tos inherit, df inherit)" "$out"
txt=$($A ip -d link show vx2)
for w in "group 239.1.1.42" "dev ul0" "tos inherit" "ttl inherit" "df inherit" "dstport 4789"; do
	case "$txt" in *"$w"*) pass "create vx2: ip shows '$w'" ;; *) fail "create vx2: ip does not show '$w'" ;; esac
done
expect "create vx2: raw TTL_INHERIT 1, DF 2, TOS 1" "$(raw vx2)" '(d["28"], d["29"], d["6"])' "('01', '02', '01')"
expect "get vx2: group, ttl_inherit, tos, df parsed" "$($A $D get vx2)" \
	'[d["vxlan"][k] for k in ("remote", "ttl_inherit", "tos", "df", "link")]' "['239.1.1.42', True, 1, 2, $(idx ul0)]"

out=$($A $D create name=vx6 id=6 local=2001:db8::1 remote=2001:db8::2 zcsum6tx=1 zcsum6rx=1 dstport=4789 localbypass=1)
ok_json "create vx6 (IPv6 local and remote)" "$out"
expect "create vx6: ip shows remote6/local6 and the zero-checksum flags" "$(info vx6)" \
	'[d[0]["linkinfo"]["info_data"][k] for k in ("remote6", "local6", "udp_zero_csum6_tx", "udp_zero_csum6_rx")]' \
	"['2001:db8::2', '2001:db8::1', True, True]"
expect "create vx6: raw LOCALBYPASS 1" "$(raw vx6)" 'd.get("31")' "'01'"
expect "get vx6: IPv6 addresses parsed" "$($A $D get vx6)" '(d["vxlan"]["remote"], d["vxlan"]["local"], d["vxlan"]["localbypass"])' \
	"('2001:db8::2', '2001:db8::1', True)"

refused "create: same VNI, port and receive flags again" "$($A $D create name=vx9 id=4242 dstport=4790 zcsum6rx=1 localbypass=0)" EEXIST \
	"A VXLAN device with the specified VNI already exists"
refused "create: existing name (no kernel text: strerror)" "$($A $D create name=vx1 id=9)" EEXIST "File exists"
refused "create: multicast group without dev" "$($A $D create name=vx9 id=9 remote=239.1.1.9)" EINVAL \
	"Local interface required for multicast remote destination"
out=$($A $D create name=vx9 id=16777216)
expect "create: VNI 2^24 refused by the kernel with a reason" "$out" '(d.get("errno"), len(d.get("msg", "")) > 0)' "('ERANGE', True)"
refused "create: a 16-byte name is refused before asking the kernel" "$($A $D create name=abcdefghijklmnop id=9)" EINVAL \
	"invalid vxlan parameters"
if $A ip link show vx9 >/dev/null 2>&1; then fail "refused creates left vx9 behind"; else pass "refused creates created nothing"; fi

expect "diff: what was created is no difference" "$($A $D diff name=vx1 id=4242 ttl=17 learning=0 remote=198.18.0.2 dev=ul0 mtu=1400 -- vx1)" 'd["diff"]' '[]'
expect "diff: changed ttl and learning, same remote" "$($A $D diff ttl=18 learning=1 remote=198.18.0.2 -- vx1)" 'd["diff"]' "['ttl', 'learning']"
expect "diff: no remote wanted, vx1 has one" "$($A $D diff remote=0.0.0.0 -- vx1)" 'd["diff"]' "['remote']"

echo "# changelink"
ok_json "fdb entry on vx1 before the changes" "$($A $D fdb add vx1 mac=02:00:00:00:00:aa dst=198.18.0.50)"
live=()
# accepted KV OPTION EXPR WANT [SOURCE]: the change is made and read back.
accepted() {
	local out
	out=$($A $D change vx1 "$1")
	if ! ok_json "change $1: accepted" "$out"; then :; fi
	case "$out" in *'"ok":true'*) live+=("$2") ;; esac
	if [ "${5:-ip}" = raw ]; then
		expect "change $1: read back" "$(raw vx1)" "$3" "$4"
	else
		expect "change $1: read back" "$(info vx1)" "$3" "$4"
	fi
}
I='d[0]["linkinfo"]["info_data"]'
accepted remote=198.18.0.3 remote "$I[\"remote\"]" "'198.18.0.3'"
accepted local=198.18.0.9 local "$I[\"local\"]" "'198.18.0.9'"
accepted dev=ul1 dev "$I[\"link\"]" "'ul1'"
# A kernel quirk the datapath must know: the default remote's all-zeros entry
# keeps the old device, and a later remote change (which deletes the default
# entry by the new device) leaves it behind. See docs/kernel-vxlan.md.
expect "change dev: the kernel leaves the default fdb entry via the old dev (documented quirk)" "$($A bridge -j fdb show dev vx1)" \
	'[(e["dst"], e.get("viaIf")) for e in d if e["mac"] == "00:00:00:00:00:00"]' "[('198.18.0.3', 'ul0')]"
accepted ttl=9 ttl "$I[\"ttl\"]" "9"
accepted tos=0x10 tos "$I[\"tos\"]" "'0x10'"
accepted learning=1 learning "$I[\"learning\"]" "True"
accepted ageing=60 ageing "$I[\"ageing\"]" "60"
accepted df=2 df "$I[\"df\"]" "'inherit'"
accepted localbypass=1 localbypass 'd.get("31")' "'01'" raw
accepted address=02:00:00:00:42:02 address 'd[0]["address"]' "'02:00:00:00:42:02'"
accepted remote=239.1.1.9 remote "$I.get(\"group\")" "'239.1.1.9'"
accepted remote=0.0.0.0 remote "('remote' in $I, 'group' in $I)" "(False, False)"
ok_json "change remote back to 198.18.0.3" "$($A $D change vx1 remote=198.18.0.3)"
ok_json "create vxd (remote, dev ul0)" "$($A $D create name=vxd id=44 remote=198.18.0.3 dev=ul0)"
ok_json "change vxd dev and remote in one request" "$($A $D change vxd dev=ul1 remote=198.18.0.4)"
expect "change dev with remote: the default fdb entry follows (no stale one)" "$($A bridge -j fdb show dev vxd)" \
	'[(e["dst"], e.get("viaIf")) for e in d if e["mac"] == "00:00:00:00:00:00"]' "[('198.18.0.4', 'ul1')]"
ok_json "change name=vx1r (rename through changelink)" "$($A $D change vx1 name=vx1r)"
if $A ip link show vx1r >/dev/null 2>&1; then
	pass "change name: ip shows vx1r"
	live+=(name)
else
	fail "change name: no vx1r"
fi
ok_json "change name back" "$($A $D change vx1r name=vx1)"
ok_json "change id to the same VNI is accepted" "$($A $D change vx1 id=4242)"

before=$(info vx1)
# rejected KV MSG: refused with EOPNOTSUPP and the kernel's text, nothing changed.
rejected() {
	refused "change $1: refused" "$($A $D change vx1 "$1")" "${3:-EOPNOTSUPP}" "$2"
	local now
	now=$(info vx1)
	expect "change $1: nothing changed" "$now" "(d[0][\"mtu\"], $I)" \
		"$(printf '%s' "$before" | $PY -c "import json,sys; d=json.load(sys.stdin); print(repr((d[0]['mtu'], $I)))")"
}
rejected id=4243 "Cannot change VNI"
rejected ttlinherit=1 "vxlan: cannot change TTL_INHERIT flag"
rejected maxaddress=5 "Cannot change limit"
rejected srcport=40000-40010 "Cannot change port range"
rejected proxy=0 "vxlan: cannot change PROXY flag"
rejected l2miss=0 "vxlan: cannot change L2MISS flag"
rejected l3miss=0 "vxlan: cannot change L3MISS flag"
rejected dstport=4790 "Cannot change port"
rejected udpcsum=1 "Cannot change UDP_CSUM flag"
rejected zcsum6tx=0 "vxlan: cannot change UDP_ZERO_CSUM6_TX flag"
rejected zcsum6rx=0 "vxlan: cannot change UDP_ZERO_CSUM6_RX flag"
rejected mtu=1300 "Cannot change mtu"
rejected remote=2001:db8::1 "New group address family does not match old group"
rejected local=2001:db8::9 "New local address family does not match old"
ok_json "create vx3 without dev" "$($A $D create name=vx3 id=3)"
refused "change vx3 remote to a group: needs a dev" "$($A $D change vx3 remote=239.1.1.10)" EINVAL \
	"Local interface required for multicast remote destination"
expect "changelink kept the fdb entry added before" "$($A bridge -j fdb show dev vx1)" \
	'[e["dst"] for e in d if e["mac"] == "02:00:00:00:00:aa"]' "['198.18.0.50']"

echo "# generic link settings"
ok_json "set vx1 mtu 1300 (the generic path, not changelink)" "$($A $D set vx1 mtu 1300)"
expect "set mtu: ip shows 1300" "$(info vx1)" 'd[0]["mtu"]' "1300"
ok_json "set vx1 up" "$($A $D set vx1 up)"
expect "set up: ip shows UP" "$(info vx1)" '"UP" in d[0]["flags"]' "True"
expect "get vx1: up" "$($A $D get vx1)" 'd["up"]' "True"
ok_json "set vx1 down" "$($A $D set vx1 down)"
expect "set down: ip shows no UP" "$(info vx1)" '"UP" in d[0]["flags"]' "False"
ok_json "set vx1 address" "$($A $D set vx1 address 02:00:00:00:42:03)"
expect "set address: ip shows it" "$(info vx1)" 'd[0]["address"]' "'02:00:00:00:42:03'"
$A ip link add br0 type bridge
ok_json "set vx1 master br0" "$($A $D set vx1 master br0)"
expect "set master: ip shows master br0" "$(info vx1)" 'd[0].get("master")' "'br0'"
expect "get vx1: master is br0's ifindex" "$($A $D get vx1)" 'd["master"]' "$(idx br0)"
ok_json "set vx1 nomaster" "$($A $D set vx1 nomaster)"
expect "set nomaster: ip shows no master" "$(info vx1)" '"master" in d[0]' "False"
$A ip tuntap add tap0 mode tap
$A ip link set tap0 mtu 1450 master br0 up
expect "get tap0 (a TAP of the user datapath): kind, mtu, up, master" "$($A $D get tap0)" \
	'(d["kind"], d["mtu"], d["up"], d["master"])' "('tun', 1450, True, $(idx br0))"
expect "get by ifindex" "$($A $D get "$(idx ul0)")" 'd["name"]' "'ul0'"
expect "dump: every device of the namespace" "$($A $D dump)" 'sorted(l["name"] for l in d)' \
	"$($A ip -j link show | $PY -c 'import json,sys; print(sorted(l["ifname"] for l in json.load(sys.stdin)))')"
refused "get of a missing device" "$($A $D get nosuchdev)" ENODEV "No such device"
ok_json "del vx2" "$($A $D del vx2)"
if $A ip link show vx2 >/dev/null 2>&1; then fail "del: vx2 still there"; else pass "del: vx2 gone"; fi
out=$($A $D del 12345 2>&1)
case "$out" in *ENODEV*) pass "del of a missing device: ENODEV" ;; *) fail "del of a missing device: $out" ;; esac

echo "# fdb"
bfdb() { $A bridge -j fdb show dev "$1"; }
ok_json "fdb add unicast (with NDA_PROTOCOL)" "$($A $D fdb add vx1 mac=02:00:00:00:00:01 dst=198.18.0.2 proto=245)"
refused "fdb add of an existing MAC" "$($A $D fdb add vx1 mac=02:00:00:00:00:01 dst=198.18.0.3)" EEXIST "File exists"
ok_json "fdb append to all-zeros" "$($A $D fdb append vx1 mac=00:00:00:00:00:00 dst=198.18.0.2)"
ok_json "fdb append with port, vni, via" "$($A $D fdb append vx1 mac=00:00:00:00:00:00 dst=198.18.0.3 port=4790 vni=77 via=ul0)"
ok_json "fdb append with another port" "$($A $D fdb append vx1 mac=00:00:00:00:00:00 dst=198.18.0.7 port=4791)"
ok_json "fdb replace creates" "$($A $D fdb replace vx1 mac=02:00:00:00:00:02 dst=198.18.0.4)"
ok_json "fdb replace overwrites" "$($A $D fdb replace vx1 mac=02:00:00:00:00:01 dst=198.18.0.5)"
refused "fdb replace of all-zeros" "$($A $D fdb replace vx1 mac=00:00:00:00:00:00 dst=198.18.0.5)" EOPNOTSUPP \
	"Cannot replace non-unicast fdb entries"
refused "fdb add of an IPv6 dst on an IPv4 device" "$($A $D fdb add vx1 mac=02:00:00:00:00:03 dst=2001:db8::3)" \
	EAFNOSUPPORT "Address family not supported by protocol"
ok_json "fdb add extern_learn, reachable" "$($A $D fdb add vx1 mac=02:00:00:00:00:04 dst=198.18.0.6 state=2 flags=16)"
b=$(bfdb vx1)
expect "fdb: bridge shows exactly these vxlan entries" "$b" \
	'sorted(((e["mac"], e.get("dst"), e.get("port"), e.get("vni"), e.get("viaIf"), e.get("state", ""), tuple(e["flags"])) for e in d if "self" in e["flags"] and "dst" in e), key=repr)' \
	"sorted([('02:00:00:00:00:aa', '198.18.0.50', None, None, None, 'permanent', ('self',)), ('02:00:00:00:00:01', '198.18.0.5', None, None, None, 'permanent', ('self',)), ('00:00:00:00:00:00', '198.18.0.3', None, None, 'ul1', 'permanent', ('self',)), ('00:00:00:00:00:00', '198.18.0.3', None, None, 'ul0', 'permanent', ('self',)), ('00:00:00:00:00:00', '198.18.0.2', None, None, None, 'permanent', ('self',)), ('00:00:00:00:00:00', '198.18.0.3', None, 77, 'ul0', 'permanent', ('self',)), ('00:00:00:00:00:00', '198.18.0.7', 4791, None, None, 'permanent', ('self',)), ('02:00:00:00:00:02', '198.18.0.4', None, None, None, 'permanent', ('self',)), ('02:00:00:00:00:04', '198.18.0.6', None, None, None, '', ('self', 'extern_learn'))], key=repr)"
ours=$($A $D fdb show vx1)
expect "fdb dump: the same entries" "$ours" \
	'sorted(((e["mac"], e.get("dst"), e.get("port"), e.get("vni"), e.get("via"), e["permanent"], e["extern_learn"]) for e in d), key=repr)' \
	"sorted([('02:00:00:00:00:aa', '198.18.0.50', None, None, None, True, False), ('02:00:00:00:00:01', '198.18.0.5', None, None, None, True, False), ('00:00:00:00:00:00', '198.18.0.3', None, None, $(idx ul1), True, False), ('00:00:00:00:00:00', '198.18.0.3', None, None, $(idx ul0), True, False), ('00:00:00:00:00:00', '198.18.0.2', None, None, None, True, False), ('00:00:00:00:00:00', '198.18.0.3', None, 77, $(idx ul0), True, False), ('00:00:00:00:00:00', '198.18.0.7', 4791, None, None, True, False), ('02:00:00:00:00:02', '198.18.0.4', None, None, None, True, False), ('02:00:00:00:00:04', '198.18.0.6', None, None, None, False, True)], key=repr)"
expect "fdb dump: NDA_PORT only where it differs from the device's dstport (4790)" "$ours" \
	'sorted((e["dst"], e.get("port")) for e in d if e["mac"] == "00:00:00:00:00:00" and e["dst"] in ("198.18.0.7", "198.18.0.2"))' \
	"[('198.18.0.2', None), ('198.18.0.7', 4791)]"
expect "fdb dump: every entry is NTF_SELF with cache ages" "$ours" 'all(e["self"] and "updated_ms" in e for e in d)' "True"
expect "fdb dump: the reachable entry has state NUD_REACHABLE" "$ours" '[e["state"] for e in d if e["mac"] == "02:00:00:00:00:04"]' "[2]"
expect "fdb: the vxlan driver keeps no NDA_PROTOCOL (documented)" "$ours" '[e.get("protocol") for e in d if e["mac"] == "02:00:00:00:00:01"]' "[None]"
ok_json "fdb del one remote of all-zeros" "$($A $D fdb del vx1 mac=00:00:00:00:00:00 dst=198.18.0.3 port=4790 vni=77 via=ul0)"
ok_json "fdb del a whole entry" "$($A $D fdb del vx1 mac=02:00:00:00:00:01)"
refused "fdb del of a missing entry" "$($A $D fdb del vx1 mac=02:00:00:00:00:01)" ENOENT "No such file or directory"
expect "fdb del: bridge shows what is left" "$(bfdb vx1)" 'sorted(((e["mac"], e.get("dst"), e.get("port")) for e in d if "dst" in e), key=repr)' \
	"sorted([('02:00:00:00:00:aa', '198.18.0.50', None), ('00:00:00:00:00:00', '198.18.0.3', None), ('00:00:00:00:00:00', '198.18.0.3', None), ('00:00:00:00:00:00', '198.18.0.2', None), ('00:00:00:00:00:00', '198.18.0.7', 4791), ('02:00:00:00:00:02', '198.18.0.4', None), ('02:00:00:00:00:04', '198.18.0.6', None)], key=repr)"
$A ip link set vx1 master br0
expect "fdb dump of a bridge port: the bridge's entry for it comes too (NDA_MASTER, not self)" "$($A $D fdb show vx1)" \
	'[(e.get("master"), e["self"], e["permanent"]) for e in d if e["mac"] == "02:00:00:00:42:03"]' "[($(idx br0), False, True)]"
$A ip link set vx1 nomaster

echo "# neighbours"
bn() { $A ip -j neigh show dev "$1" nud permanent; }
ok_json "neigh add IPv4 with NDA_PROTOCOL" "$($A $D neigh add vx1 ip=203.0.113.9 mac=02:00:00:00:00:09 proto=245)"
ok_json "neigh add IPv6" "$($A $D neigh add vx1 ip=2001:db8:1::9 mac=02:00:00:00:00:19)"
refused "neigh add of an existing one" "$($A $D neigh add vx1 ip=203.0.113.9 mac=02:00:00:00:00:08)" EEXIST "File exists"
expect "neigh: ip shows both, permanent, protocol kept" "$(bn vx1)" \
	'sorted((e["dst"], e["lladdr"], e["state"], e.get("protocol")) for e in d)' \
	"sorted([('203.0.113.9', '02:00:00:00:00:09', ['PERMANENT'], '245'), ('2001:db8:1::9', '02:00:00:00:00:19', ['PERMANENT'], None)])"
ok_json "neigh replace" "$($A $D neigh replace vx1 ip=203.0.113.9 mac=02:00:00:00:00:08)"
expect "neigh replace: ip shows the new MAC" "$(bn vx1)" '[e["lladdr"] for e in d if e["dst"] == "203.0.113.9"]' "['02:00:00:00:00:08']"
expect "neigh dump (both families): the permanent entries ip shows" "$($A $D neigh show vx1)" \
	'sorted((e["ip"], e["mac"], e.get("protocol")) for e in d if e["permanent"])' \
	"sorted([('203.0.113.9', '02:00:00:00:00:08', 245), ('2001:db8:1::9', '02:00:00:00:00:19', None)])"
expect "neigh dump IPv4 only" "$($A $D neigh show vx1 4)" 'sorted(e["ip"] for e in d)' "['203.0.113.9']"
expect "neigh dump IPv6 only has no IPv4" "$($A $D neigh show vx1 6)" '"203.0.113.9" in [e["ip"] for e in d]' "False"
expect "neigh dump of another device has none of vx1's" "$($A $D neigh show ul0)" '[e for e in d if e["ip"] == "203.0.113.9"]' "[]"
ok_json "neigh del" "$($A $D neigh del vx1 ip=203.0.113.9)"
refused "neigh del of a missing one" "$($A $D neigh del vx1 ip=203.0.113.9)" ENOENT "No such file or directory"
expect "neigh del: ip shows only the IPv6 one" "$(bn vx1)" '[e["dst"] for e in d]' "['2001:db8:1::9']"

echo "# network namespaces"
out=$($A $D create name=vxc id=500 netns=/run/netns/$NC)
expect "create in another namespace (IFLA_NET_NS_FD)" "$out" '(d.get("ok"), d.get("ifindex"))' "(True, 0)"
if ip -n $NC link show vxc >/dev/null 2>&1 && ! $A ip link show vxc >/dev/null 2>&1; then
	pass "create in netns: vxc is in $NC, not here"
else
	fail "create in netns: vxc not where it should be"
fi
expect "nl_open in another namespace reads it back" "$($A $D -N /run/netns/$NC get vxc)" '(d["kind"], d["vxlan"]["id"])' "('vxlan', 500)"
ok_json "set vx6 netns (move)" "$($A $D set vx6 netns /run/netns/$NC)"
if ip -n $NC link show vx6 >/dev/null 2>&1 && ! $A ip link show vx6 >/dev/null 2>&1; then
	pass "set netns: vx6 moved"
else
	fail "set netns: vx6 not moved"
fi
ok_json "create vxmv" "$($A $D create name=vxmv id=501)"
ok_json "change vxmv netns (through changelink)" "$($A $D change vxmv netns=/run/netns/$NC)"
if ip -n $NC link show vxmv >/dev/null 2>&1; then
	pass "changelink netns: vxmv moved"
	live+=(netns)
else
	fail "changelink netns: vxmv not moved"
fi

echo "# NL_VX_LIVE_MASK against what the kernel did"
got=$(printf '%s\n' "${live[@]}" | sort -u | paste -sd, -)
expect "NL_VX_LIVE_MASK names exactly the options this kernel changed live" "$($A $D livemask)" \
	'",".join(sorted(d["live"]))' "'$got'"

echo "# monitor"
# The learning overlay, its monitor's targets.
ok_json "create vxl in $NA" "$($A $D create name=vxl id=100 local=198.18.1.1 remote=198.18.1.2 dstport=4789 address=02:00:00:00:01:01)"
$B ip link add vxl type vxlan id 100 local 198.18.1.2 remote 198.18.1.1 dstport 4789
$B ip link set vxl address 02:00:00:00:01:02
$A ip addr add 203.0.113.1/24 dev vxl
$B ip addr add 203.0.113.2/24 dev vxl
$A ip link set vxl up
$A ip link add vxmiss type vxlan id 301 dstport 4789 local 198.18.1.1 l2miss l3miss proxy nolearning
$A ip link set vxmiss address 02:00:00:00:03:00 up

mon=$TMP/mon.json
$A $D monitor timeout=20 ready="$TMP/ready" >"$mon" &
bg_pids+=($!)
monpid=$!
for _ in $(seq 100); do [ -e "$TMP/ready" ] && break; sleep 0.05; done
[ -e "$TMP/ready" ] || fail "monitor did not start"
# Behind its back, with ip and bridge.
$A ip link add vxm type vxlan id 300 dstport 4789 local 198.18.0.1
$A ip link set vxm mtu 1300
$A ip link set vxm up
$A bridge fdb add 02:00:00:00:03:01 dev vxm dst 198.18.0.31
$A bridge fdb append 00:00:00:00:00:00 dev vxm dst 198.18.0.32
$A bridge fdb del 02:00:00:00:03:01 dev vxm
$A ip neigh add 203.0.113.31 lladdr 02:00:00:00:03:01 dev vxm nud permanent
$A ip neigh del 203.0.113.31 dev vxm
$A ip link del vxm
# B's device comes up only now: its first packets are what A learns from.
$B ip link set vxl up
# l2miss: a unicast frame to an unknown MAC; l3miss: an ARP request and a neighbour
# solicitation (proxy) for addresses without neighbour entry.
$A $PY - <<'EOF'
import socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("vxmiss", 0))
src = bytes.fromhex("020000000300")
s.send(bytes.fromhex("020000000399") + src + b"\x08\x00" + b"\x45" + b"\0" * 45)
arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + src + socket.inet_aton("203.0.113.1") + b"\0" * 6 + socket.inet_aton("203.0.113.77")
s.send(b"\xff" * 6 + src + b"\x08\x06" + arp)
# A neighbour solicitation for 2001:db8:1::77 (the driver checks type and code, not the checksum).
ns = struct.pack("!BBHI", 135, 0, 0, 0) + socket.inet_pton(socket.AF_INET6, "2001:db8:1::77")
ip6 = struct.pack("!IHBB", 6 << 28, len(ns), 58, 255) + socket.inet_pton(socket.AF_INET6, "2001:db8:1::1") + socket.inet_pton(socket.AF_INET6, "ff02::1:ff00:77")
s.send(bytes.fromhex("3333ff000077") + src + b"\x86\xdd" + ip6 + ns)
EOF
$B ping -c 3 -i 0.2 -W 2 203.0.113.1 >"$TMP/ping" 2>&1
# Let the last notifications arrive, then stop the monitor.
sleep 1
kill -TERM $monpid 2>/dev/null
wait $monpid 2>/dev/null
ev=$($PY -c 'import json,sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1]) if l.strip()]))' "$mon")
vxmiss=$(idx vxmiss)
vxl=$(idx vxl)
expect "monitor: link_new vxm, kind vxlan, id 300" "$ev" \
	'any(e["event"] == "link_new" and e["name"] == "vxm" and e["kind"] == "vxlan" and e["vxlan"]["id"] == 300 for e in d)' "True"
expect "monitor: link_new vxm with mtu 1300" "$ev" 'any(e["event"] == "link_new" and e["name"] == "vxm" and e["mtu"] == 1300 for e in d)' "True"
expect "monitor: link_new vxm up" "$ev" 'any(e["event"] == "link_new" and e["name"] == "vxm" and e["up"] for e in d)' "True"
expect "monitor: fdb_new from bridge fdb add" "$ev" \
	'any(e["event"] == "fdb_new" and e["mac"] == "02:00:00:00:03:01" and e.get("dst") == "198.18.0.31" and e["permanent"] for e in d)' "True"
expect "monitor: fdb_new from bridge fdb append" "$ev" \
	'any(e["event"] == "fdb_new" and e["mac"] == "00:00:00:00:00:00" and e.get("dst") == "198.18.0.32" for e in d)' "True"
expect "monitor: fdb_del from bridge fdb del" "$ev" 'any(e["event"] == "fdb_del" and e["mac"] == "02:00:00:00:03:01" for e in d)' "True"
expect "monitor: neigh_new from ip neigh add" "$ev" \
	'any(e["event"] == "neigh_new" and e["ip"] == "203.0.113.31" and e.get("mac") == "02:00:00:00:03:01" and e["permanent"] for e in d)' "True"
expect "monitor: neigh_del from ip neigh del" "$ev" 'any(e["event"] == "neigh_del" and e["ip"] == "203.0.113.31" for e in d)' "True"
expect "monitor: link_del vxm after its link_new" "$ev" \
	'[i for i, e in enumerate(d) if e["event"] == "link_del" and e["name"] == "vxm"][0] > [i for i, e in enumerate(d) if e["event"] == "link_new" and e["name"] == "vxm"][0]' "True"
expect "monitor: l2miss with the MAC and the device" "$ev" \
	"[(e['mac'], e['ifindex']) for e in d if e['event'] == 'l2miss' and e['mac'] == '02:00:00:00:03:99']" "[('02:00:00:00:03:99', $vxmiss)]"
expect "monitor: l3miss with the address and the device" "$ev" \
	"[(e['ip'], e['ifindex']) for e in d if e['event'] == 'l3miss' and e['ip'] == '203.0.113.77']" "[('203.0.113.77', $vxmiss)]"
expect "monitor: IPv6 l3miss (proxy ND) with the address" "$ev" \
	"[(e['ip'], e['ifindex']) for e in d if e['event'] == 'l3miss' and e['ip'] == '2001:db8:1::77']" "[('2001:db8:1::77', $vxmiss)]"
expect "monitor: no miss reported as a neighbour or fdb event" "$ev" \
	'[e for e in d if e["event"] in ("neigh_new", "fdb_new") and e.get("mac") == "02:00:00:00:03:99"]' "[]"
if grep -q ' 0% packet loss' "$TMP/ping"; then pass "overlay ping $NB -> $NA"; else fail "overlay ping $NB -> $NA: $(tail -n 2 "$TMP/ping")"; fi
expect "monitor: learned fdb entry (reachable, not permanent) on vxl" "$ev" \
	"[(e['dst'], e['state'], e['permanent']) for e in d if e['event'] == 'fdb_new' and e['mac'] == '02:00:00:00:01:02' and e['ifindex'] == $vxl][:1]" \
	"[('198.18.1.2', 2, False)]"

echo "# learned entries and counters"
expect "fdb dump: the learned entry" "$($A $D fdb show vxl)" \
	'[(e["dst"], e["state"], e["permanent"], e["self"]) for e in d if e["mac"] == "02:00:00:00:01:02"]' "[('198.18.1.2', 2, False, True)]"
expect "bridge agrees: learned, not permanent" "$($A bridge -j fdb show dev vxl)" \
	'[(e["dst"], e.get("state", "")) for e in d if e["mac"] == "02:00:00:00:01:02"]' "[('198.18.1.2', '')]"
s1=$($A ip -s -j link show vxl)
s2=$($A $D get vxl)
s3=$($A ip -s -j link show vxl)
bracket=$($PY -c '
import json, sys
a, n, b = json.loads(sys.argv[1])[0]["stats64"], json.loads(sys.argv[2])["stats"], json.loads(sys.argv[3])[0]["stats64"]
bad = []
for k, (sec, f) in {"rx_packets": ("rx", "packets"), "tx_packets": ("tx", "packets"), "rx_bytes": ("rx", "bytes"),
                    "tx_bytes": ("tx", "bytes"), "rx_errors": ("rx", "errors"), "tx_errors": ("tx", "errors"),
                    "rx_dropped": ("rx", "dropped"), "tx_dropped": ("tx", "dropped")}.items():
    if not a[sec][f] <= n[k] <= b[sec][f]:
        bad.append("%s %d not in [%d, %d]" % (k, n[k], a[sec][f], b[sec][f]))
if n["rx_packets"] < 3 or n["tx_packets"] < 3:
    bad.append("no traffic counted")
print("; ".join(bad) or "ok")' "$s1" "$s2" "$s3")
[ "$bracket" = ok ] && pass "IFLA_STATS64: all eight counters match ip -s (read between two ip reads)" || fail "IFLA_STATS64: $bracket"

echo "# monitor in another namespace, and overrun"
$A $D -N /run/netns/$NC monitor count=1 timeout=5 ready="$TMP/ready2" >"$TMP/mon2" &
bg_pids+=($!)
p2=$!
for _ in $(seq 100); do [ -e "$TMP/ready2" ] && break; sleep 0.05; done
ip -n $NC link add vxq type vxlan id 502 dstport 4789
wait $p2 2>/dev/null
expect "monitor opened in $NC sees vxq created there" "$(head -n 1 "$TMP/mon2")" '(d["event"], d["name"])' "('link_new', 'vxq')"

# A 4 KB receive buffer that is not read for 3 s, while 300 fdb entries are added.
$A ip link add vxburst type vxlan id 600 dstport 4789
$A $D monitor rcvbuf=4096 delay=3 timeout=8 ready="$TMP/ready3" >"$TMP/mon3" &
bg_pids+=($!)
p3=$!
for _ in $(seq 100); do [ -e "$TMP/ready3" ] && break; sleep 0.05; done
for i in $(seq 1 300); do
	printf 'fdb add 02:00:00:01:%02x:%02x dev vxburst dst 198.18.0.9\n' $((i / 256)) $((i % 256))
done >"$TMP/batch"
$A bridge -batch "$TMP/batch"
sleep 4 # the monitor is reading again
$A bridge fdb add 02:00:00:02:00:01 dev vxburst dst 198.18.0.10
wait $p3 2>/dev/null
ev3=$($PY -c 'import json,sys; print(json.dumps([json.loads(l) for l in open(sys.argv[1]) if l.strip()]))' "$TMP/mon3")
expect "overrun: reported as its own event (ENOBUFS)" "$ev3" 'sum(1 for e in d if e["event"] == "overrun") >= 1' "True"
expect "overrun: fewer than 300 of the burst arrived" "$ev3" 'sum(1 for e in d if e["event"] == "fdb_new" and e["mac"].startswith("02:00:00:01:")) < 300' "True"
expect "overrun: the monitor goes on (a later change is seen after it)" "$ev3" \
	'[e["event"] for e in d].index("overrun") < [i for i, e in enumerate(d) if e.get("mac") == "02:00:00:02:00:01"][0]' "True"

echo "nl: $passed passed, $failed failed"
[ "$failed" = 0 ]
