#!/bin/bash
# Many inner TCP flows against a daemon with a 1024 file descriptor limit
# (systemd's default soft limit), issue 8 finding 1. Each flow's TSO bursts
# go out through a UDP GSO socket bound to the flow's hashed source port;
# 1500 flows hash to ~1400 ports. vxnetd keeps at most its budget of them
# (sized from RLIMIT_NOFILE), recycles the least recently used, and closes
# idle ones after 10 s, giving their ports back. Afterwards:
# - the control socket answers at once (`vxnet link show` within 2 s) and the
#   daemon is idle (it spun on EMFILE before);
# - its fd count is back where it was before the flows;
# - another program can bind a port the daemon used, and `link add ...
#   dstport` of that port works.
#
#     vx-a-$$ (vxnetd, ulimit -n 1024)          vx-b-$$ (vxnetd)
#     vxlan0 203.0.113.1/24 (TCP clients)       vxlan0 203.0.113.2/24 (TCP sink)
#     ul0 198.18.0.1/24 ======================= ul0 198.18.0.2/24
#
# datapaths: user
# not on kernel: the kernel carries the flows itself; vxnetd opens no socket per flow
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping ss prlimit
need_vxnet

A=vx-a-$$ B=vx-b-$$
FLOWS=${T19_FLOWS:-1500}
add_ns "$A"
add_ns "$B"
underlay "$A" "$B"
VXNETD_NOFILE=1024 start_vxnetd "$A"
start_vxnetd "$B"
PA=${DAEMON_OF[$A]}
vx "$A" link add vxlan0 id 42 local 198.18.0.1 remote 198.18.0.2 dev ul0
vx "$B" link add vxlan0 id 42 local 198.18.0.2 remote 198.18.0.1 dev ul0
n=1
for h in $A $B; do
	ip -n "$h" addr add "203.0.113.$n/24" dev vxlan0
	ip -n "$h" link set vxlan0 up
	n=$((n + 1))
done
expect_eq "A's vxnetd runs with a 1024 fd limit" "$(awk '/Max open files/ {print $4}' "/proc/$PA/limits")" 1024
expect_match "A's vxnetd logs the budget it sized its pools from" "$(cat "$TMP/vxnetd-$A.log")" \
	".*listening on .* 1024 fds: 64 clients, [0-9]+ GSO sockets; [0-9]+ learned entries at most\)"
gso_max=$(sed -n 's/.* 1024 fds: 64 clients, \([0-9]*\) GSO sockets.*/\1/p' "$TMP/vxnetd-$A.log" | head -n 1)
expect_ping "the overlay works (A pings B, 3/3)" "$A" 203.0.113.2 3 3
fds0=$(fd_count "$PA")

# A sink on B, and FLOWS short connections of 32 KB from A (each one's first
# burst leaves the TAP as a TSO frame: a GSO socket for its source port).
cat >"$TMP/sink.py" <<'PYEOF'
import selectors, socket
sel = selectors.DefaultSelector()
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("203.0.113.2", 5001))
ls.listen(1024)
sel.register(ls, selectors.EVENT_READ)
print("listening", flush=True)
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if s is ls:
            c, _ = ls.accept()
            sel.register(c, selectors.EVENT_READ)
        elif not s.recv(1 << 16):
            sel.unregister(s)
            s.close()
PYEOF
cat >"$TMP/flows.py" <<'PYEOF'
import socket, sys, threading, time
n, threads = int(sys.argv[1]), 8
data = b"x" * 32768
failed = []
def run(k):
    for i in range(k, n, threads):
        try:
            s = socket.create_connection(("203.0.113.2", 5001), timeout=10)
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            s.recv(1)
            s.close()
        except OSError as e:
            failed.append(str(e))
t0 = time.monotonic()
ts = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
for t in ts: t.start()
for t in ts: t.join()
print("flows %d failed %d in %.1f s %s" % (n, len(failed), time.monotonic() - t0, failed[:1]))
PYEOF
bg_start sink "$B" "$PY" "$TMP/sink.py"
wait_for 5 grep -q listening "$TMP/sink.out" || true
# The pool's high-water mark while the flows run.
(
	peak=0
	while kill -0 "$PA" 2>/dev/null; do
		c=$(ip netns exec "$A" ss -Huanp 2>/dev/null | grep -c "pid=$PA," || true)
		[ "$c" -gt "$peak" ] && echo "$c" >"$TMP/udp-peak"
		[ "$c" -gt "$peak" ] && peak=$c
		sleep 0.2
	done
) &
sampler=$!
out=$(ip netns exec "$A" timeout 120 "$PY" "$TMP/flows.py" "$FLOWS" 2>&1 || true)
expect_match "$FLOWS TCP flows of 32 KB through the overlay all complete" "$out" "flows $FLOWS failed 0 in .*"
echo "# $out"
# A port the daemon sends GSO bursts from now.
port=$(ip netns exec "$A" ss -Huanp | grep "pid=$PA," | awk '{print $4}' | sed 's/.*://' | sort -n | awk '$1 >= 49152' | tail -n 1)
peak=$(cat "$TMP/udp-peak" 2>/dev/null || echo 0)
expect_ge "the flows made vxnetd open many GSO sockets (peak UDP sockets)" "$peak" 100
if is_num "$gso_max" && [ "$peak" -le $((gso_max + 2)) ]; then
	ok "never more GSO sockets than the budget ($peak <= $gso_max + the receive socket)"
else
	notok "never more GSO sockets than the budget ($peak, budget '$gso_max')"
fi

# The control socket answers at once, and the daemon does not spin.
out=$(timeout 2 ip netns exec "$A" "$VXNET" -S "$(sock_of "$A")" link show vxlan0 2>&1 || echo "no answer within 2 s")
expect_match "after the flows A answers link show within 2 s" "$out" "[0-9]+: vxlan0: mtu 1450 .*"
expect_idle "after the flows A's vxnetd is idle" "$PA"

# Idle GSO sockets are closed after 10 s: the fds and the ports come back.
fds_back() { [ "$(fd_count "$PA")" -le $((fds0 + 2)) ]; }
if wait_for 20 fds_back; then
	ok "A's fds are back to $(fd_count "$PA") (were $fds0 before the flows) after the GSO idle timeout"
else
	notok "A's fds are back to $fds0 after the GSO idle timeout (still $(fd_count "$PA"))"
fi
# One receive socket per worker of the user datapath (a SO_REUSEPORT group).
nrx=$(counter "$A" vxlan0 rx_sockets)
is_num "$nrx" || nrx=1
want=$(for _ in $(seq "$nrx"); do printf '4789 '; done)
udp_ports() { ip netns exec "$A" ss -Huanp | grep "pid=$PA," | awk '{print $4}' | sed 's/.*://' | sort -n | tr '\n' ' '; }
# Waited for, as the fds above: a burst the flows' TCP sent late (a
# retransmitted FIN under load) keeps its socket 10 s longer. A socket that
# is never closed still fails here.
ports_back() { [ "$(udp_ports | cut -c1-40)" = "$want" ]; }
wait_for 20 ports_back || true
ports=$(udp_ports)
expect_eq "A's vxnetd holds its receive socket(s) only again (port 4789, $nrx)" "$(echo "$ports" | cut -c1-40)" "$want"
if is_num "${port:-}"; then
	out=$(ip netns exec "$A" "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
print("bound")' "$port" 2>&1 || true)
	expect_eq "another program binds UDP port $port, which vxnetd used for GSO" "$out" bound
	expect_ok "link add ... dstport $port (a port vxnetd used) works" vx "$A" link add vx1 id 43 dstport "$port"
	expect_ok "and link del" vx "$A" link del vx1
else
	notok "a GSO port of vxnetd was seen during the flows (got '${port:-}')"
fi
expect_ping "the overlay still works (A pings B, 3/3)" "$A" 203.0.113.2 3 3
kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
bg_stop sink
finish
