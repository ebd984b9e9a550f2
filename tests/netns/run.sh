#!/bin/bash
# Runs the network-namespace scenario tests one after the other, each under a
# time limit: every tests/netns/t*.sh, or only those named on the command line
# (`run.sh t1_two_host_bridge t5_kernel_interop.sh`). Needs root.
# Prints PASS/FAIL per script (with the tail of a failing one's output) and
# ends with `netns: N passed, N failed`; exits 1 if any failed.
#
# VXNET_SANITIZER_LOGS=DIR (for an ASan+UBSan build in VXNET_BUILD): each
# scenario's sanitizer reports go to DIR/<scenario>/, and a scenario with any
# report fails even when its checks held.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
limit=${NETNS_TIMEOUT:-120}

if [ "$(id -u)" != 0 ]; then
	echo "run.sh: the netns tests need root" >&2
	exit 1
fi

scripts=()
if [ $# -gt 0 ]; then
	for a; do
		a=$(basename "$a" .sh)
		if [ ! -f "$here/$a.sh" ]; then
			echo "run.sh: no test $here/$a.sh" >&2
			exit 1
		fi
		scripts+=("$here/$a.sh")
	done
else
	for f in "$here"/t*.sh; do scripts+=("$f"); done
fi

passed=0
failed=0
na=0
dp=${VXNET_DATAPATH:-user}
out=$(mktemp /tmp/vxnet-netns-run.XXXXXX)
trap 'rm -f "$out"' EXIT
start=$SECONDS
for s in "${scripts[@]}"; do
	name=$(basename "$s" .sh)
	# A scenario of one datapath's feature says so ("# datapaths: user") and
	# why not the other ("# not on kernel: ..."); it is not run, not counted.
	dps=$(sed -n 's/^# datapaths: //p' "$s" | head -n 1)
	if [ -n "$dps" ] && ! grep -qw -- "$dp" <<<"$dps"; then
		why=$(sed -n "s/^# not on $dp: //p" "$s" | head -n 1)
		echo "n/a  $name on the $dp datapath: ${why:-see the script}"
		na=$((na + 1))
		continue
	fi
	t0=$SECONDS
	rc=0
	san=
	if [ -n "${VXNET_SANITIZER_LOGS:-}" ]; then
		san=$VXNET_SANITIZER_LOGS/$name
		mkdir -p "$san"
		ASAN_OPTIONS="${ASAN_OPTIONS:-}:log_path=$san/asan" UBSAN_OPTIONS="${UBSAN_OPTIONS:-}:log_path=$san/ubsan" \
			timeout -k 5 "$limit" bash "$s" >"$out" 2>&1 || rc=$?
	else
		timeout -k 5 "$limit" bash "$s" >"$out" 2>&1 || rc=$?
	fi
	reports=
	[ -n "$san" ] && reports=$(find "$san" -type f -size +0 | sort)
	if [ -n "$reports" ]; then
		echo "FAIL $name (sanitizer report, exit $rc, $((SECONDS - t0)) s)"
		for r in $reports; do
			# The head names the error and its stack; the tail is shadow bytes.
			echo "    == $r"
			head -n 25 "$r" | sed 's/^/    /'
		done
		failed=$((failed + 1))
	elif [ "$rc" = 0 ]; then
		echo "PASS $name ($((SECONDS - t0)) s)"
		passed=$((passed + 1))
	else
		[ "$rc" = 124 ] && echo "# $name: timed out after $limit s" >>"$out"
		echo "FAIL $name (exit $rc, $((SECONDS - t0)) s)"
		grep -E '^not ok' "$out" | head -n 20 | sed 's/^/    /'
		echo "    --- last lines:"
		tail -n 30 "$out" | sed 's/^/    /'
		failed=$((failed + 1))
	fi
done
echo "# netns ($dp datapath): $((SECONDS - start)) s in all, $na not applicable"
echo "netns: $passed passed, $failed failed"
[ "$failed" = 0 ]
