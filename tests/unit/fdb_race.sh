#!/usr/bin/env bash
# fdb_race.sh: the FDB's one-writer/many-readers stress test (test_fdb_mt)
# under ThreadSanitizer (build-tsan/, clang -fsanitize=thread, configured
# here) and AddressSanitizer+UBSan (build-asan/, as scripts/lib.sh defines
# it). A data race, a use after free, a leak or a failed consistency check
# fails the run. The plain build runs the same test in the unit suite.
#
# Usage: tests/unit/fdb_race.sh [OPS [READERS]]  (defaults 200000 and 3;
# larger OPS for longer soaks). Ends with "N passed, N failed".
set -uo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"
cd "$ROOT" || exit 1

ops=${1:-200000}
readers=${2:-3}
passed=0
failed=0
log=$(mktemp /tmp/vxnet-fdb-race.XXXXXX)
trap 'rm -f "$log"' EXIT

run() { # NAME CMD...
	local name=$1
	shift
	if "$@" >"$log" 2>&1; then
		echo "PASS $name: $(tail -n 1 "$log")"
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		tail -n 40 "$log" | sed 's/^/    | /'
		failed=$((failed + 1))
	fi
}

# ThreadSanitizer needs clang here (and a build directory of its own).
tsan=$ROOT/build-tsan
if [ -f "$tsan/build.ninja" ] && ! builddir_is_clang "$tsan"; then
	rm -rf "$tsan"
fi
if [ ! -f "$tsan/build.ninja" ]; then
	rm -rf "$tsan"
	CC=clang meson setup -Dbuildtype=debugoptimized -Dtests=enabled -Db_sanitize=thread -Db_lundef=false \
		"$tsan" "$ROOT" >"$log" 2>&1 || { cat "$log"; echo "FAIL build-tsan (configure)"; exit 1; }
fi
if ninja -C "$tsan" test_fdb_mt >"$log" 2>&1; then
	run tsan/fdb_mt env TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" \
		"$tsan/test_fdb_mt" "$ops" "$readers"
else
	echo "FAIL tsan/fdb_mt (build)"
	tail -n 20 "$log"
	failed=$((failed + 1))
fi

if builddir_build build-asan test_fdb_mt >"$log" 2>&1; then
	run asan/fdb_mt "$ROOT/build-asan/test_fdb_mt" "$ops" "$readers"
else
	echo "FAIL asan/fdb_mt (build)"
	tail -n 20 "$log"
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
