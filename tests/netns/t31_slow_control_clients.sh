#!/bin/bash
# Control clients that read slowly or not at all cost the datapath nothing
# (issue 8 finding 2). With 5000 learned fdb entries on A's link:
# - a client pipelines 50 `fdb show` requests and then reads one message a
#   second: meanwhile A forwards (ping 10/10), answers another client's
#   `link show` within 2 s and a whole `fdb show` of 5000 entries;
# - a client sends `fdb show` and never reads: the same holds while it waits,
#   and vxnetd drops it (a log line) once it has read nothing for 10 s; so
#   too a second one that asks while the first still waits; the slow reader,
#   waiting far longer than that for room, is not dropped: it reads.
#
#     vx-a-$$ (vxnetd, 5000 fdb entries)        vx-b-$$ (vxnetd; sends 5000 MACs)
#     vxlan0 203.0.113.1/24                     vxlan0 203.0.113.2/24
#     ul0 198.18.0.1/24 ======================= ul0 198.18.0.2/24
set -eu
. "$(dirname "$0")/lib.sh"
trap cleanup EXIT
need ip ping
need_vxnet

A=vx-a-$$ B=vx-b-$$
add_ns "$A"
add_ns "$B"
underlay "$A" "$B"
start_vxnetd "$A"
start_vxnetd "$B"
PA=${DAEMON_OF[$A]}
SA=$(sock_of "$A")
vx "$A" link add vxlan0 id 42 local 198.18.0.1 remote 198.18.0.2 dev ul0
vx "$B" link add vxlan0 id 42 local 198.18.0.2 remote 198.18.0.1 dev ul0
n=1
for h in $A $B; do
	ip -n "$h" addr add "203.0.113.$n/24" dev vxlan0
	ip -n "$h" link set vxlan0 up
	n=$((n + 1))
done
expect_ping "the overlay works (A pings B, 3/3)" "$A" 203.0.113.2 3 3
# 5000 entries learned from B (not added: permanent entries go to the state
# file, learned ones do not, and the point here is the size of the dump).
ip netns exec "$B" "$PY" "$repo/tests/netns/vxctl.py" 198.18.0.1 learn 42 5000 >/dev/null
learned() { [ "$(vx "$A" fdb show dev vxlan0 | grep -c '^02:00:5e:')" -ge 5000 ]; }
if wait_for 10 learned; then ok "A learned 5000 MACs from B"; else notok "A learned 5000 MACs from B (has $(vx "$A" fdb show dev vxlan0 | grep -c '^02:00:5e:'))"; fi
total=$(vx "$A" fdb show dev vxlan0 | wc -l)

# answers DESC: another client is answered within 2 s and A forwards 10/10.
answers() {
	local out
	out=$(timeout 2 "$VXNET" -S "$SA" link show vxlan0 2>&1 || echo "no answer within 2 s")
	expect_match "$1: another client's link show is answered within 2 s" "$out" "[0-9]+: vxlan0: mtu 1450 .*"
	expect_ping "$1: A forwards (ping B 10/10)" "$A" 203.0.113.2 10 10
}

cat >"$TMP/slow.py" <<'PYEOF'
import os, sys, time
sys.path.insert(0, sys.argv[1])
import vxctl
mode, path = sys.argv[2], sys.argv[3]
s = vxctl.connect(path)
s.settimeout(None)
if mode == "slow":
    for i in range(50):
        s.send(vxctl.message("fdb-show", [("ifname", "vxlan0")], i + 1))
    print("sent 50", flush=True)
    n = 0
    while True:
        if not s.recv(vxctl.MSG_MAX):
            print("closed by vxnetd", flush=True)
            break
        n += 1
        print("read %d" % n, flush=True)
        time.sleep(1)
else:
    s.send(vxctl.message("fdb-show", [("ifname", "vxlan0")], 1))
    print("sent, never reading", flush=True)
    # Until the test has seen vxnetd's verdict (or 30 s).
    for _ in range(300):
        if os.path.exists(sys.argv[4]):
            break
        time.sleep(0.1)
    # What vxnetd did meanwhile: the socket is closed (EOF after what was
    # queued), or still open.
    s.setblocking(False)
    try:
        while s.recv(vxctl.MSG_MAX):
            pass
        print("closed by vxnetd", flush=True)
    except BlockingIOError:
        print("still open", flush=True)
    except OSError as e:
        print("closed by vxnetd (%s)" % e, flush=True)
PYEOF

# --- at once: a client that reads one message a second, and two that never
# read (the second asks 3 s after the first, so that it is still waiting
# when the first is dropped: a drop must not stop the timer that finds the
# next one; vxnetd before the fix stopped it at the first client that left).
bg_start slow "$A" "$PY" "$TMP/slow.py" "$repo/tests/netns" slow "$SA"
wait_for 5 grep -q "read 2" "$TMP/slow.out" || true
expect_line "the slow client has sent 50 fdb show requests and reads" "$(cat "$TMP/slow.out")" "sent 50"
t0=$SECONDS
bg_start silent "$A" "$PY" "$TMP/slow.py" "$repo/tests/netns" silent "$SA" "$TMP/verdict"
wait_for 5 grep -q "never reading" "$TMP/silent.out" || true
answers "while a client reads one message a second and another never reads"
expect_eq "a whole fdb show ($total entries) meanwhile" "$(timeout 10 "$VXNET" -S "$SA" fdb show dev vxlan0 | wc -l)" "$total"
while [ $((SECONDS - t0)) -lt 3 ]; do sleep 0.2; done
bg_start silent2 "$A" "$PY" "$TMP/slow.py" "$repo/tests/netns" silent "$SA" "$TMP/verdict"
wait_for 5 grep -q "never reading" "$TMP/silent2.out" || true
dropped() { [ "$(grep -c "control client dropped: client stopped reading" "$TMP/vxnetd-$A.log")" -ge "$1" ]; }
if wait_for 20 dropped 1; then
	ok "vxnetd dropped the first client that never reads, with a log line ($((SECONDS - t0)) s after it asked)"
else
	notok "vxnetd dropped the first client that never reads, with a log line"
fi
if wait_for 10 dropped 2; then
	ok "and the second one too ($((SECONDS - t0)) s after the first asked)"
else
	notok "and the second one too (still connected $((SECONDS - t0)) s after the first asked)"
fi
touch "$TMP/verdict"
for c in silent silent2; do
	wait_for 10 grep -q "closed by\|still open" "$TMP/$c.out" || true
	expect_match "the silent client $c finds its connection closed" "$(cat "$TMP/$c.out")" "closed by vxnetd.*"
done
r=$(grep -c '^read' "$TMP/slow.out" || true)
expect_ge "the slow client is served at its pace all along (messages read)" "$r" 10
# It has been waiting for room far longer than 10 s, reading one a second.
expect_eq "the slow client was not dropped: it reads (two drops in the log, the silent ones)" \
	"$(grep -c "control client dropped" "$TMP/vxnetd-$A.log")" 2
answers "after the silent clients"
expect_idle "A's vxnetd is idle afterwards" "$PA"
bg_stop slow
bg_stop silent
bg_stop silent2
finish
