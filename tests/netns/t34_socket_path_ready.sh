#!/bin/bash
# The control socket path and readiness (issue 8 finding 5).
# - `vxnetd -S PATH` where PATH is a regular file, a symlink or a directory:
#   vxnetd refuses to start with one line, and the file is left exactly as it
#   was (it was replaced by the socket, then deleted on exit, before).
# - A stale socket (its daemon killed with SIGKILL) is replaced by the next
#   daemon; the socket of a live daemon is not (the second one exits non-zero,
#   the first still answers).
# - Readiness: with NOTIFY_SOCKET set (systemd's Type=notify protocol, path or
#   abstract @name), vxnetd sends READY=1 once it answers on its socket and
#   has restored its links: a control request made the moment READY=1
#   arrives is answered, with the restored link in it.
#
#     vx-a-$$: vxnetd started, killed and restarted on the paths above
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip sha256sum stat
need_vxnet

A=vx-a-$$
add_ns "$A"

# refused KIND PATH: vxnetd -S PATH exits non-zero within 5 s with one line,
# and PATH is what it was (type, mode, content).
refused() {
	local kind=$1 path=$2 before after rc=0
	before=$(stat -c "%F %a %s" "$path"; if [ -f "$path" ]; then sha256sum <"$path"; fi)
	timeout 5 ip netns exec "$A" "$VXNETD" -S "$path" --state "$TMP/state-x" >"$TMP/refused.log" 2>&1 || rc=$?
	after=$(stat -c "%F %a %s" "$path"; if [ -f "$path" ]; then sha256sum <"$path"; fi)
	if [ "$rc" != 0 ] && [ "$rc" != 124 ]; then ok "-S on $kind: vxnetd exits non-zero ($rc)"; else notok "-S on $kind: vxnetd exits non-zero (exit $rc)"; fi
	expect_match "-S on $kind: it says why in one line" "$(grep -v ' info: ' "$TMP/refused.log")" \
		".*$path exists and is not a socket: refusing to replace it"
	expect_eq "-S on $kind: it is left exactly as it was" "$after" "$before"
}
printf 'precious data\n%.0s' $(seq 100) >"$TMP/file"
chmod 0644 "$TMP/file"
refused "a regular file" "$TMP/file"
ln -s "$TMP/file" "$TMP/link"
refused "a symlink to a regular file" "$TMP/link"
expect_eq "-S on a symlink: its target is untouched" "$(grep -c precious "$TMP/file")" 100
mkdir "$TMP/dir"
refused "a directory" "$TMP/dir"

# notify_wait NAME ADDR: a NOTIFY_SOCKET receiver (ADDR a path or @name)
# that, the moment READY=1 arrives, asks the daemon for its links.
cat >"$TMP/notify.py" <<'PYEOF'
import socket, sys, time
sys.path.insert(0, sys.argv[1])
import vxctl
addr, ctl = sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
print("bound", flush=True)
s.settimeout(15)
try:
    msg = s.recv(4096).decode()
except socket.timeout:
    print("no notification in 15 s", flush=True)
    sys.exit(0)
try:
    c = vxctl.connect(ctl, timeout=2)
    status, why, n = vxctl.call(c, "link-show")
    print("got %s; link show at once: status %d, %d links" % (msg, status, n), flush=True)
except OSError as e:
    print("got %s; link show at once failed: %s" % (msg, e), flush=True)
PYEOF
# daemon NAME NOTIFY: vxnetd on $SA in the background with NOTIFY_SOCKET
# (not waited for); its pid in $pid.
SA=$(sock_of "$A")
daemon() {
	NOTIFY_SOCKET=$2 ip netns exec "$A" "$VXNETD" -S "$SA" --state "$TMP/state-$A" --datapath "$VXNET_DATAPATH" \
		>>"$TMP/vxnetd-$A.log" 2>&1 &
	pid=$!
	DAEMON_PIDS+=("$pid")
}
notified() {
	bg_start "$1" "$A" "$PY" "$TMP/notify.py" "$repo/tests/netns" "$2" "$SA"
	wait_for 5 grep -q bound "$TMP/$1.out" || true
}

# --- readiness on a first start (path), then a restart with a link (@name).
notified n1 "$TMP/notify1"
daemon d1 "$TMP/notify1"
wait_for 15 grep -q "got\|no notification" "$TMP/n1.out" || true
expect_line "a first start sends READY=1; link show answers at once" "$(cat "$TMP/n1.out")" \
	"got READY=1; link show at once: status 0, 0 links"
ip netns exec "$A" "$VXNET" -S "$SA" link add vxlan0 id 42 remote 198.18.0.2 >/dev/null
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
if [ -S "$SA" ]; then ok "after SIGKILL the stale socket file is still there"; else notok "after SIGKILL the stale socket file is still there"; fi
rc=0
timeout 2 ip netns exec "$A" "$VXNET" -S "$SA" link show >/dev/null 2>&1 || rc=$?
expect_eq "and nobody answers on it (vxnet exits 2)" "$rc" 2
notified n2 "@vxnet-notify-$$"
daemon d2 "@vxnet-notify-$$"
wait_for 15 grep -q "got\|no notification" "$TMP/n2.out" || true
expect_line "the next daemon replaces the stale socket, sends READY=1 (abstract @name) and answers with the restored link" \
	"$(cat "$TMP/n2.out")" "got READY=1; link show at once: status 0, 1 links"
DAEMON_OF[$A]=$pid

# --- a live daemon's socket is not taken.
rc=0
timeout 5 ip netns exec "$A" "$VXNETD" -S "$SA" --state "$TMP/state-other" >"$TMP/second.log" 2>&1 || rc=$?
if [ "$rc" != 0 ] && [ "$rc" != 124 ]; then ok "a second vxnetd on the live socket exits non-zero ($rc)"; else notok "a second vxnetd on the live socket exits non-zero (exit $rc)"; fi
expect_match "it says why" "$(cat "$TMP/second.log")" ".*another vxnetd is listening there"
expect_match "the first one still answers" "$(vx "$A" link show vxlan0)" "[0-9]+: vxlan0: .*"
expect_ok "link del vxlan0" vx "$A" link del vxlan0
finish
