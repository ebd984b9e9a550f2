#!/usr/bin/env bash
# check.sh: `make check`: every test vxnet has, in one run, ending on "N passed, N failed".
#
# Counted as one test each: a unit-test executable (in build/ and again in the
# ASan+UBSan build-asan/), a fuzz target run, a network-namespace scenario on
# each datapath (user, kernel), every user-datapath scenario again against the
# ASan+UBSan build (build-asan binaries), and a store scenario against etcd.
# Anything that cannot run (missing package, build failure, missing script) is
# a FAIL, never a skip. Step logs go to a temporary directory, kept and named at
# the end when something failed.
#
# Environment: FUZZ_TIME (seconds per fuzz target, default 10; `make fuzz`
# runs them longer), NETNS_SUITE_TIMEOUT (seconds for each netns suite, default 1500; run.sh
# itself limits each scenario to NETNS_TIMEOUT, default 120),
# VXNET_CHECK_SHARED_NETNS=1 to let the suite's namespaces be seen from
# outside (by default they live under a private /run/netns that disappears
# with the run, so a crash cannot leave any behind).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

FUZZ_TIME=${FUZZ_TIME:-10}
NETNS_SUITE_TIMEOUT=${NETNS_SUITE_TIMEOUT:-1500}
passed=0
failed=0
LOG=$(mktemp -d /tmp/vxnet-check.XXXXXX)
# Every process started from here inherits this tag, so lingering daemons of
# this run (and only of this run) can be found and stopped at the end.
export VXNET_CHECK_TAG=$$
netns_before=$(ip netns list 2>/dev/null | awk '{print $1}' | sort)

pass() {
	echo "PASS $1"
	passed=$((passed + 1))
}

# fail NAME [LOGFILE]: count a failure and show the end of its log.
fail() {
	echo "FAIL $1"
	failed=$((failed + 1))
	if [ -n "${2:-}" ] && [ -s "$2" ]; then
		tail -n 30 "$2" | sed 's/^/    | /'
	fi
}

# Stop processes this run started that outlived their test (found by tag).
stop_tagged() {
	local pids=() p comm
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = $$ ] && continue
		comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		case "$comm" in
		vxnetd | vxnet | tcpdump | tshark | dumpcap | iperf3 | ping | etcd | etcdctl) ;;
		*) continue ;;
		esac
		tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "VXNET_CHECK_TAG=$$" && pids+=("$p")
	done
	[ ${#pids[@]} -eq 0 ] && return 0
	echo "cleanup: stopping lingering ${#pids[@]} process(es): ${pids[*]}"
	kill -TERM "${pids[@]}" 2>/dev/null
	for _ in $(seq 20); do
		kill -0 "${pids[@]}" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "${pids[@]}" 2>/dev/null
	return 0
}

# Namespaces the suite left behind when it ran with the shared /run/netns:
# new since the start of this run and named after a process ($$ suffix) that
# no longer exists. Namespaces of live processes belong to someone else.
remove_leftover_netns() {
	local ns pid
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | sort | comm -13 <(echo "$netns_before") -); do
		pid=$(echo "$ns" | grep -oE '[0-9]+$') || continue
		kill -0 "$pid" 2>/dev/null && continue
		echo "cleanup: removing leftover namespace $ns"
		ip netns del "$ns" 2>/dev/null
	done
}

cleanup() {
	stop_tagged
	remove_leftover_netns
	if [ "$failed" -eq 0 ]; then
		rm -rf "$LOG"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Names of the unit tests meson knows in build directory $1.
unit_tests() {
	meson test -C "$1" --no-rebuild --list --suite unit 2>/dev/null | grep -v '^ninja:' | sed 's/^[^:]*://'
}

# run_units DIR PREFIX: each unit-test executable of DIR is one test.
run_units() {
	local dir=$1 prefix=$2 names t log
	names=$(unit_tests "$dir")
	if [ -z "$names" ]; then
		fail "${prefix}unit: no unit tests found in $dir/"
		return
	fi
	for t in $names; do
		log=$LOG/${prefix//\//-}unit-$t.log
		if meson test -C "$dir" --no-rebuild --suite unit --print-errorlogs "$t" >"$log" 2>&1; then
			pass "${prefix}unit/$t"
		else
			fail "${prefix}unit/$t" "$log"
		fi
	done
}

# build_step NAME [TARGET...]: configure and build one canonical build directory.
build_step() {
	local log=$LOG/build-$1.log
	if builddir_build "$@" >"$log" 2>&1; then
		echo "BUILD ok $1/"
		return 0
	fi
	fail "build $1/ (does not configure or compile)" "$log"
	return 1
}

start=$SECONDS

# 1. Packages.
if ! bash "$ROOT/scripts/deps.sh" check >"$LOG/deps.log" 2>&1; then
	fail "deps: packages missing and not installable" "$LOG/deps.log"
fi

# 2. Unit tests, plain and sanitized.
build_step build && run_units build ""
build_step build-asan && run_units build-asan "asan/"

# 3. Fuzz targets: each runs FUZZ_TIME seconds from a scratch copy of its seeds.
# Only the fuzz targets are built there: the programs are built (with gcc) in the other trees.
targets=$(cd tests/fuzz 2>/dev/null && find . -maxdepth 1 -name 'fuzz_*.c' | sed 's|^\./||; s|\.c$||' | sort)
# shellcheck disable=SC2086
if [ -z "$targets" ]; then
	fail "fuzz: no targets in tests/fuzz/"
elif build_step build-fuzz $targets; then
	mkdir -p build-fuzz/artifacts
	for t in $targets; do
		name=${t#fuzz_}
		log=$LOG/fuzz-$name.log
		if [ ! -x "build-fuzz/$t" ]; then
			fail "fuzz/$name (build-fuzz/$t was not built)"
			continue
		fi
		corpus=$LOG/corpus-$name
		mkdir -p "$corpus"
		[ -d "tests/fuzz/seeds/$t" ] && cp -r "tests/fuzz/seeds/$t/." "$corpus/"
		[ -d "tests/fuzz/seeds/$name" ] && cp -r "tests/fuzz/seeds/$name/." "$corpus/"
		if timeout --kill-after=10 $((FUZZ_TIME + 60)) "build-fuzz/$t" -max_total_time="$FUZZ_TIME" \
			-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
			-artifact_prefix="$ROOT/build-fuzz/artifacts/$t-" "$corpus" >"$log" 2>&1; then
			runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$')
			pass "fuzz/$name (${FUZZ_TIME} s, ${runs:-?} runs)"
		else
			fail "fuzz/$name (crash or error; artifacts in build-fuzz/artifacts/)" "$log"
		fi
		rm -rf "$corpus"
	done
fi

# run_isolated CMD...: run CMD with a private /run/netns (see the header).
run_isolated() {
	if [ "${VXNET_CHECK_SHARED_NETNS:-0}" = 1 ]; then
		"$@"
		return
	fi
	mkdir -p /run/netns
	unshare --mount --propagation private -- \
		bash -c 'mount -t tmpfs -o mode=0755 vxnet-check /run/netns && exec "$@"' _ "$@"
}

# 4. The network-namespace suite, three times at once: the user datapath and
# the kernel datapath with build/ binaries, and the user datapath again with
# the ASan+UBSan build (any sanitizer report fails its scenario). The
# scenarios mostly wait (on pings, timers, ageing), so the three share the
# CPUs well; every scenario names its namespaces and temporary files after its
# own PID, so they cannot meet. Each scenario counts once per suite.
# suite_start LABEL BUILD DATAPATH [VAR=VALUE...]: start one suite in the background.
suite_pids=()
suite_labels=()
suite_start() {
	local label=$1 build=$2 dp=$3 f=$LOG/${1//\//-}
	shift 3
	if [ ! -x "$build/vxnetd" ] || [ ! -x "$build/vxnet" ]; then
		fail "$label: $build/vxnetd or $build/vxnet not built"
		return
	fi
	(export "$@" VXNET_BUILD="$build" VXNET_DATAPATH="$dp"
	run_isolated timeout --kill-after=10 "$NETNS_SUITE_TIMEOUT" bash tests/netns/run.sh \
		>"$f.log" 2>"$f.err"
	echo $? >"$f.rc") &
	suite_pids+=($!)
	suite_labels+=("$label")
}

# suite_collect LABEL: count a finished suite's scenarios, each as LABEL/NAME.
suite_collect() {
	local label=$1 f=$LOG/${1//\//-} rc summary np nf
	local log=$f.log
	rc=$(cat "$f.rc" 2>/dev/null || echo '?')
	# Scenario lines, named by suite; details of a failure stay indented.
	sed -E "s#^(PASS|FAIL|n/a ) +#\1 $label/#" "$log"
	summary=$(grep -E '^netns: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$summary" ]; then
		cat "$f.err" >>"$log"
		fail "$label: run.sh gave no summary line (exit $rc$([ "$rc" = 124 ] && echo ", timed out after ${NETNS_SUITE_TIMEOUT} s"))" "$log"
		return
	fi
	np=$(echo "$summary" | awk '{print $2}')
	nf=$(echo "$summary" | awk '{print $4}')
	passed=$((passed + np))
	failed=$((failed + nf))
	if [ "$rc" != 0 ] && [ "$nf" -eq 0 ]; then
		fail "$label: run.sh exited $rc although it reported no failure" "$f.err"
	elif [ "$nf" -gt 0 ]; then
		sed 's/^/    | /' "$f.err" | tail -n 30
	fi
}

if [ ! -f tests/netns/run.sh ]; then
	fail "netns: tests/netns/run.sh is missing"
else
	suite_start netns/user build user
	suite_start netns/kernel build kernel
	suite_start asan/netns/user build-asan user VXNET_SANITIZER_LOGS="$LOG/sanitizer"
	for i in "${!suite_pids[@]}"; do
		wait "${suite_pids[$i]}"
		suite_collect "${suite_labels[$i]}"
	done
	stop_tagged
fi

# 4b. The store module against real etcd (tests/store/run.sh, its quick
# setting): each of its scenarios counts as one test.
if [ ! -x build/store_itest ]; then
	fail "store: build/store_itest not built"
else
	log=$LOG/store.log
	STORE_BENCH_REST=10 STORE_BENCH_PUTS=50 VXNET_BUILD=build timeout --kill-after=10 300 \
		bash tests/store/run.sh >"$log" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL) ' "$log" | sed 's/^\(PASS\|FAIL\) /\1 store\//'
	summary=$(grep -E '^store: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
	if [ -z "$summary" ]; then
		fail "store: run.sh gave no summary line (exit $rc)" "$log"
	else
		passed=$((passed + $(echo "$summary" | awk '{print $2}')))
		nf=$(echo "$summary" | awk '{print $4}')
		failed=$((failed + nf))
		# The failed checks first (the tail alone may be another group's).
		[ "$nf" -gt 0 ] && grep -E '^ *not ok|^ *# (put|hook|watch)' "$log" | head -n 40 | sed 's/^/    | /'
		[ "$nf" -gt 0 ] && tail -n 40 "$log" | sed 's/^/    | /'
	fi
fi

cleanup
trap - EXIT
echo "time: $((SECONDS - start)) s"
[ "$failed" -gt 0 ] && echo "logs: $LOG"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
