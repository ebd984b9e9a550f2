#!/usr/bin/env bash
# fuzz.sh: `make fuzz`: build the libFuzzer targets (build-fuzz/, clang, ASan+UBSan) and run
# each for SECONDS (default 300). The corpus grows in build-fuzz/corpus-<target>/,
# seeded from tests/fuzz/seeds/<target>/; crashes land in build-fuzz/artifacts/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
secs=${1:-300}
bash scripts/deps.sh fuzz
targets=$(cd tests/fuzz && find . -maxdepth 1 -name 'fuzz_*.c' | sed 's|^\./||; s|\.c$||' | sort)
[ -n "$targets" ] || { echo "fuzz: no targets in tests/fuzz/" >&2; exit 1; }
# shellcheck disable=SC2086
builddir_build build-fuzz $targets
mkdir -p build-fuzz/artifacts
rc=0
for t in $targets; do
	corpus=build-fuzz/corpus-$t
	mkdir -p "$corpus"
	[ -d "tests/fuzz/seeds/$t" ] && cp -rn "tests/fuzz/seeds/$t/." "$corpus/"
	echo "fuzz: $t for $secs s (corpus $corpus)"
	if "build-fuzz/$t" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="build-fuzz/artifacts/$t-" "$corpus"; then
		echo "PASS fuzz/$t"
	else
		echo "FAIL fuzz/$t"
		rc=1
	fi
done
exit $rc
