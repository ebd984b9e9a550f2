#!/usr/bin/env bash
# fdb.sh: the FDB lookup micro-benchmark (bench/fdb_lookup.c): ns per lookup
# at 1k, 10k, 100k and 1M entries, hits and misses, one at a time and with
# fdb_prefetch over batches of 64, for this tree's lib/fdb.c and, in the same
# run, for the table of commit FDB_BASE (default 158b5b5, the chained hash
# table this one replaced), built from git into a temporary directory with
# the same compiler and flags as meson's debugoptimized build.
#
# The two binaries run alternately RUNS times (default 3) under nice; each
# run already keeps the best of REPS passes over the keys (default 3). Every
# cell printed is the best over all runs: the machine is shared, and noise
# only ever adds time. Everything is thread CPU time: lookups; "add", ns per
# fdb_add while filling; addmax_us, the longest single fdb_add (the table's
# worst resize, page faults included). B/entry is the resident memory the
# table added per entry.
#
# Usage: bench/fdb.sh [SIZE...]    env: FDB_BASE, RUNS, REPS, LOOKUPS, CC
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

FDB_BASE=${FDB_BASE:-158b5b5}
RUNS=${RUNS:-3}
REPS=${REPS:-3}
LOOKUPS=${LOOKUPS:-2097152}

builddir_build build bench_fdb_lookup >/dev/null
new=$ROOT/build/bench_fdb_lookup

tmp=$(mktemp -d /tmp/vxnet-fdb-bench.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
base=""
if git rev-parse -q --verify "$FDB_BASE^{commit}" >/dev/null 2>&1; then
	mkdir -p "$tmp/include/vxnet"
	git show "$FDB_BASE:lib/fdb.c" >"$tmp/fdb.c"
	git show "$FDB_BASE:include/vxnet/fdb.h" >"$tmp/include/vxnet/fdb.h"
	git show "$FDB_BASE:include/vxnet/addr.h" >"$tmp/include/vxnet/addr.h"
	cc=${CC:-cc}
	flags=(-std=c11 -O2 -g -D_GNU_SOURCE -I"$tmp/include")
	"$cc" "${flags[@]}" -fPIC -c "$tmp/fdb.c" -o "$tmp/fdb.o"
	"$cc" "${flags[@]}" -DFDB_BASELINE -c bench/fdb_lookup.c -o "$tmp/bench.o"
	"$cc" "$tmp/bench.o" "$tmp/fdb.o" -o "$tmp/bench_base"
	base=$tmp/bench_base
else
	echo "fdb.sh: commit $FDB_BASE not found, no baseline figures" >&2
fi

echo "fdb lookup benchmark: $(nproc) CPUs, $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "best of $RUNS runs x $REPS passes, $LOOKUPS lookups per pass; ns per lookup; old = $FDB_BASE"
for _ in $(seq "$RUNS"); do
	[ -n "$base" ] && FDB_BENCH_NOHEADER=1 nice -n 10 "$base" -t old -r "$REPS" -l "$LOOKUPS" "$@"
	FDB_BENCH_NOHEADER=1 nice -n 10 "$new" -t new -r "$REPS" -l "$LOOKUPS" "$@"
done >"$tmp/runs"

# Best (lowest) value per impl, size and column; WRONG anywhere wins.
awk '
function better(a, b) { return a == "" || b == "WRONG" || (a != "WRONG" && b != "-" && b + 0 < a + 0) }
{
	key = $1 " " $2
	if (!(key in seen)) { seen[key] = 1; order[n++] = key }
	for (c = 3; c <= NF; c++) if (better(v[key, c], $c)) v[key, c] = $c
}
END {
	printf "%-5s %8s %9s %9s %9s %9s %9s %9s %8s\n", "impl", "entries", "hit", "hit+pf", "miss", "miss+pf", "add", "addmax_us", "B/entry"
	for (i = 0; i < n; i++) {
		split(order[i], k, " ")
		printf "%-5s %8s", k[1], k[2]
		for (c = 3; c <= 9; c++) printf (c == 9 ? " %8s" : " %9s"), v[order[i], c]
		printf "\n"
	}
}' "$tmp/runs" | sort -s -k2,2n
if grep -q WRONG "$tmp/runs"; then
	echo "fdb.sh: a lookup returned a wrong result" >&2
	exit 1
fi
