#!/usr/bin/env bash
# links.sh: link add and link del at scale (issue 8: 2000 links took 4.8 s to
# add and 40.7 s to delete, the daemon blocked ~20 ms for each deletion).
# In a namespace of its own, one vxnetd of build directory BUILD gets N links
# (one client over tests/netns/vxctl.py, one request after the other), then
# loses them to CLIENTS clients deleting at once; meanwhile another client
# asks `link show` every 10 ms, and its median and longest wait tell whether
# the daemon was blocked.
#
# Usage: bench/links.sh [BUILD [DATAPATH [N [CLIENTS]]]]
#        defaults: build user 2000 1. Root. Prints one "add:" and one "del" line.
# The figures in docs/vxnetd.8.md came from 1 and 8 clients, user and kernel.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$ROOT/build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
DP=${2:-user} N=${3:-2000} PAR=${4:-1}
NS=vx-bench-links-$$
TMP=$(mktemp -d /tmp/vxnet-links.XXXXXX)
S=$TMP/vxnetd.sock
cleanup() {
	[ -n "${P:-}" ] && kill "$P" 2>/dev/null && wait "$P" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" "$B/vxnetd" -S "$S" --state "$TMP/state" --datapath "$DP" >"$TMP/vxnetd.log" 2>&1 &
P=$!
for _ in $(seq 50); do "$B/vxnet" -S "$S" link show >/dev/null 2>&1 && break; sleep 0.1; done
read -r failed secs <<<"$(python3 "$ROOT/tests/netns/vxctl.py" "$S" link-bulk add vx "$N")"
echo "add: $N links ($DP datapath, one client): $secs s, $failed failed"
python3 - "$ROOT/tests/netns" "$S" "$N" "$PAR" <<'PY'
import sys, time, threading
sys.path.insert(0, sys.argv[1])
import vxctl
path, n, par = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
lat, failed, stop = [], [], False
def probe():
    s = vxctl.connect(path, timeout=60)
    while not stop:
        t = time.monotonic()
        vxctl.call(s, "link-show", [("ifname", "vx%d" % (n - 1))])
        lat.append(time.monotonic() - t)
        time.sleep(0.01)
def worker(k):
    s = vxctl.connect(path, timeout=60)
    for i in range(k, n, par):
        st, why, _ = vxctl.call(s, "link-del", [("ifname", "vx%d" % i)], i + 1)
        if st:
            failed.append(why)
pt = threading.Thread(target=probe)
pt.start()
time.sleep(0.2)
t0 = time.monotonic()
ws = [threading.Thread(target=worker, args=(k,)) for k in range(par)]
for w in ws: w.start()
for w in ws: w.join()
el = time.monotonic() - t0
stop = True
pt.join()
lat.sort()
print("del: %d links by %d client(s): %.2f s (%.1f ms each), %d failed; another client's link show meanwhile: "
      "median %.1f ms, longest %.1f ms" % (n, par, el, el * 1000 / n, len(failed), lat[len(lat) // 2] * 1000,
                                          lat[-1] * 1000))
PY
