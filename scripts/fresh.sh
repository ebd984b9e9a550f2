#!/usr/bin/env bash
# fresh.sh: `make fresh`: the README's commands on a fresh, minimal Debian 12 root.
#
#   scripts/fresh.sh ['MAKE ARGS'...]        default: 'demo' 'check'
#   scripts/fresh.sh build 'fuzz FUZZ_TIME=10'   e.g. prove `make` and `make fuzz`
#
# 1. A minimal root: mmdebstrap --variant=minbase bookworm, plus git and make
#    (all the README asks a newcomer to install), from the mirrors in the
#    host's apt sources, with the host's apt settings for reaching them
#    (proxies, Check-Valid-Until/Check-Date). The pristine root is cached as
#    a tarball in /var/cache/vxnet-fresh, keyed by those inputs and the UTC
#    date (FRESH_CACHE=0: no cache); a root with our packages in it never is.
# 2. The committed history goes in as a bare clone (/root/vxnet.git), cloned
#    inside with the root's git into /root/vxnet at HEAD: uncommitted files
#    never get in. ../shared is copied beside
#    it (/root/shared), as the docs refer to it.
# 3. Each `make ARGS` runs there as root, in order, in a clean environment,
#    with /proc, /sys, /dev (with /dev/net/tun), /dev/pts, /dev/shm, /run and
#    a shared-able /run/netns mounted, so network namespaces, TAP devices and
#    veths work. A target counts as one test (passed if make exits 0), except
#    `check`, which counts as the tests its "N passed, N failed" line counts.
#
# Everything runs in its own mount and PID namespaces (unshare), below a chain
# of parent-death signals: no mount is ever visible on the host, and when this
# script ends in any way (exit, Ctrl-C, TERM, even KILL) every process inside
# dies and its mounts and network namespaces go with it. The root directory
# (/var/tmp/vxnet-fresh.*) is removed on exit (a KILLed run's is removed by
# the next run).
#
# Output: each command before it runs, then its output; the last line is
# "N passed, N failed" over every test; exit status 0 only if none failed.
# Environment: FRESH_TIMEOUT (seconds for each of the two steps, building the
# root and the commands inside; default 1500),
# FRESH_CACHE (0: build the root afresh), FRESH_KEEP=1 (keep the root
# directory), FRESH_SOURCES (a sources file used instead of the host's).
set -uo pipefail

SUITE=bookworm
VARIANT=minbase
INCLUDE=git,make
CACHE_DIR=/var/cache/vxnet-fresh
WORK_PARENT=/var/tmp
INNER_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# ---- inside: PID 1 of fresh namespaces; mount the root's file systems, run ----

if [ "${1:-}" = --inside ]; then
	work=$2
	shift 2
	R=$work/root
	set -e
	# The root is a mount of its own, as on a real machine: `ip netns exec`
	# remounts / as a slave in its own mount namespace, which fails
	# (EINVAL) on a directory that is not a mount point.
	mount --bind "$R" "$R"
	mount -t proc -o nosuid,nodev,noexec proc "$R/proc"
	mount -t sysfs -o nosuid,nodev,noexec sysfs "$R/sys"
	mount -t tmpfs -o mode=0755,nosuid vxnet-fresh-dev "$R/dev"
	mknod -m 0666 "$R/dev/null" c 1 3
	mknod -m 0666 "$R/dev/zero" c 1 5
	mknod -m 0666 "$R/dev/full" c 1 7
	mknod -m 0666 "$R/dev/random" c 1 8
	mknod -m 0666 "$R/dev/urandom" c 1 9
	mknod -m 0666 "$R/dev/tty" c 5 0
	mkdir -m 0755 "$R/dev/net" "$R/dev/pts"
	mknod -m 0666 "$R/dev/net/tun" c 10 200
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$R/dev/pts"
	ln -s pts/ptmx "$R/dev/ptmx"
	mkdir -m 1777 "$R/dev/shm"
	mount -t tmpfs -o mode=1777,nosuid,nodev vxnet-fresh-shm "$R/dev/shm"
	ln -s /proc/self/fd "$R/dev/fd"
	ln -s /proc/self/fd/0 "$R/dev/stdin"
	ln -s /proc/self/fd/1 "$R/dev/stdout"
	ln -s /proc/self/fd/2 "$R/dev/stderr"
	mount -t tmpfs -o mode=0755,nosuid,nodev vxnet-fresh-run "$R/run"
	mkdir -m 0755 "$R/run/lock" "$R/run/netns"
	# `ip netns add` bind-mounts each namespace under /run/netns and wants
	# that directory to be a shared mount, so that `ip netns exec` (its own
	# mount namespace) sees namespaces added later.
	mount -t tmpfs -o mode=0755,nosuid,nodev vxnet-fresh-netns "$R/run/netns"
	mount --make-shared "$R/run/netns"
	set +e

	# in_root CMD: run a shell command line in the root, as a newcomer's root
	# shell would (clean environment, HOME=/root).
	in_root() {
		chroot "$R" /usr/bin/env -i PATH="$INNER_PATH" HOME=/root USER=root LOGNAME=root \
			SHELL=/bin/bash TERM="${TERM:-dumb}" LANG=C.UTF-8 /bin/bash -c "$1"
	}

	echo "+ [fresh root] cd /root && git clone -q vxnet.git vxnet"
	# The clone's HEAD is the commit under test even when the source had a
	# detached HEAD (CI checkouts).
	if ! in_root "cd /root && git clone -q vxnet.git vxnet && cd vxnet &&
		{ [ \"\$(git rev-parse HEAD)\" = $FRESH_HEAD ] || git -c advice.detachedHead=false checkout -q $FRESH_HEAD; } &&
		git log -1 --format='  HEAD %h %s'"; then
		echo "RESULT clone 1 - -" >>"$work/results"
		exit 1
	fi
	for cmd in "$@"; do
		echo
		echo "+ [fresh root] cd /root/vxnet && make $cmd"
		t0=$SECONDS
		# A "N passed, N failed" line inside is renamed, so that the one
		# summing every test stays the only such line, and the last one.
		in_root "cd /root/vxnet && make $cmd" 2>&1 |
			sed -u -E 's/^([0-9]+ passed, [0-9]+ failed)$/make '"${cmd%% *}"': \1/' | tee "$work/out"
		rc=${PIPESTATUS[0]}
		sum=$(grep -E '^make [a-z]+: [0-9]+ passed, [0-9]+ failed$' "$work/out" | tail -n 1 | sed 's/^[^:]*: //')
		echo "RESULT make-${cmd%% *} $rc $((SECONDS - t0)) ${sum:--}" >>"$work/results"
	done
	exit 0
fi

# ---- outside: build the root, run the inside, clean up, sum up ----

ROOT=$(cd "$(dirname "$0")/.." && pwd)
start=$SECONDS
[ $# -gt 0 ] || set -- demo check
FRESH_TIMEOUT=${FRESH_TIMEOUT:-1500}
case $FRESH_TIMEOUT in '' | *[!0-9]*)
	echo "fresh: FRESH_TIMEOUT wants a whole number of seconds" >&2
	exit 2
	;;
esac

work=''
iso_pid=''
passed=0
failed=0

say() { echo "fresh: $*"; }

# summary_exit: stop what runs inside, count what it finished, clean up, then
# the last line, over every test; exit 1 if any failed.
summary_exit() {
	stop_inside
	tally
	cleanup
	[ "$failed" -gt 0 ] || [ "$passed" -gt 0 ] || {
		echo "FAIL fresh: nothing ran"
		failed=1
	}
	echo "fresh: $((SECONDS - start)) s in all"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}

# setup_fail MSG: a step before the tests failed: one clear line, one failure.
setup_fail() {
	echo "FAIL fresh: $*"
	failed=$((failed + 1))
	summary_exit
}

# Processes whose root directory is inside DIR (those of a run being torn down).
procs_in() {
	local p r
	for p in /proc/[0-9]*; do
		r=$(readlink "$p/root" 2>/dev/null) || continue
		case $r in "$1" | "$1"/*) echo "${p#/proc/}" ;; esac
	done
}

# stop_inside: end the run inside (and so everything it started).
stop_inside() {
	local i
	if [ -n "$iso_pid" ] && kill -0 "$iso_pid" 2>/dev/null; then
		say "stopping the run inside (pid $iso_pid)"
		kill -TERM "$iso_pid" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			kill -0 "$iso_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$iso_pid" 2>/dev/null
		wait "$iso_pid" 2>/dev/null
	fi
	iso_pid=''
}

cleanup() {
	local i
	stop_inside
	if [ -n "$work" ] && [ -d "$work" ]; then
		# The PID namespace dies with its first process; wait for the rest.
		for ((i = 0; i < 100; i++)); do
			[ -z "$(procs_in "$work/root")" ] && break
			sleep 0.1
		done
		if [ -n "$(procs_in "$work/root")" ]; then
			say "processes still running in $work/root: $(procs_in "$work/root" | tr '\n' ' ')"
		elif [ "${FRESH_KEEP:-0}" = 1 ]; then
			say "kept $work/root"
		else
			# Nothing is mounted there in this mount namespace (the mounts
			# were private to the one that died); --one-file-system all the same.
			rm -rf --one-file-system "$work"
		fi
	fi
	work=''
	rm -f "$CACHE_DIR"/*."$$".tmp.tar
}
trap cleanup EXIT
trap 'echo; say "interrupted"; summary_exit' INT
trap 'echo; say "terminated"; summary_exit' TERM

# tally: count the results the commands inside left (once); a command that
# did not finish (interrupted, timed out, crashed) is a failure.
tallied=0
cmds=()
tally() {
	local name mrc secs sum cmd
	[ "$tallied" = 0 ] && [ -n "$work" ] && [ -f "$work/results" ] || return 0
	tallied=1
	echo
	while read -r _ name mrc secs sum; do
		if [ "$name" = clone ]; then
			echo "FAIL fresh: git clone of the bundle in the root"
			failed=$((failed + 1))
		elif [ "$name" = make-check ]; then
			if [ "$sum" = - ]; then
				echo "FAIL $name: no \"N passed, N failed\" line (exit $mrc, $secs s)"
				failed=$((failed + 1))
			else
				echo "${name/-/ }: $sum (exit $mrc, $secs s)"
				passed=$((passed + $(echo "$sum" | awk '{print $1}')))
				failed=$((failed + $(echo "$sum" | awk '{print $3}')))
				# A failing make with nothing failed counted is a failure too.
				if [ "$mrc" != 0 ] && [ "$(echo "$sum" | awk '{print $3}')" = 0 ]; then
					echo "FAIL $name: exit $mrc although it counted no failure"
					failed=$((failed + 1))
				fi
			fi
		elif [ "$mrc" = 0 ]; then
			echo "PASS fresh/$name ($secs s)"
			passed=$((passed + 1))
		else
			echo "FAIL fresh/$name (exit $mrc, $secs s)"
			failed=$((failed + 1))
		fi
	done <"$work/results"
	grep -q '^RESULT clone' "$work/results" && return 0
	for cmd in "${cmds[@]}"; do
		grep -q "^RESULT make-${cmd%% *} " "$work/results" && continue
		echo "FAIL fresh/make-${cmd%% *}: did not run to the end"
		failed=$((failed + 1))
	done
}

if [ "$(id -u)" -ne 0 ]; then
	echo "fresh: needs root (chroot, mounts, network namespaces)" >&2
	exit 1
fi
bash "$ROOT/scripts/deps.sh" fresh || setup_fail "cannot install mmdebstrap and git on this host"

# Roots of earlier runs that were killed outright (their owner is gone).
for d in "$WORK_PARENT"/vxnet-fresh.*; do
	if [ ! -f "$d/owner" ]; then continue; fi
	kill -0 "$(cat "$d/owner")" 2>/dev/null && continue
	[ -z "$(procs_in "$d/root")" ] || continue
	say "removing the root of a run that was killed: $d"
	rm -rf --one-file-system "$d"
done

work=$(mktemp -d "$WORK_PARENT/vxnet-fresh.XXXXXX") || setup_fail "cannot create a directory in $WORK_PARENT"
echo $$ >"$work/owner"
mkdir "$work/root"

# ---- 1. the minimal root ----

# The host's apt sources (or FRESH_SOURCES), one file each.
sources=()
if [ -n "${FRESH_SOURCES:-}" ]; then
	sources=("$FRESH_SOURCES")
else
	[ -s /etc/apt/sources.list ] && grep -qE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list &&
		sources+=(/etc/apt/sources.list)
	for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[ -s "$f" ] && sources+=("$f")
	done
fi
[ ${#sources[@]} -gt 0 ] || setup_fail "no apt sources on this host (/etc/apt/sources.list{,.d/}) to build the root from"
mirrors=$(cat "${sources[@]}" | grep -oE '(URIs:|deb)[[:space:]]+(\[[^]]*\][[:space:]]+)?[a-z+]+://[^[:space:]]+' |
	grep -oE '[a-z+]+://[^[:space:]]+' | sort -u | paste -sd' ')

# The host's settings for reaching the mirror; they stay in the root's apt
# configuration (/etc/apt/apt.conf.d/99mmdebstrap), so the root's own apt-get
# reaches it the same way.
for k in Acquire::http::Proxy Acquire::https::Proxy Acquire::ftp::Proxy Acquire::Check-Valid-Until \
	Acquire::Check-Date Acquire::Max-FutureTime Acquire::Retries Acquire::ForceIPv4 Acquire::ForceIPv6; do
	apt-config dump --no-empty "$k" 2>/dev/null
done >"$work/apt.conf"

mm_args=(--variant="$VARIANT" --include="$INCLUDE" --aptopt="$work/apt.conf")
key=$( {
	mmdebstrap --version
	echo "${mm_args[*]/#--aptopt=*/--aptopt} $SUITE"
	cat "$work/apt.conf" "${sources[@]}"
} | sha256sum | cut -c1-12)
cached=$CACHE_DIR/$VARIANT-$SUITE-$(date -u +%Y%m%d)-$key.tar

# isolate CMD...: run CMD in fresh mount and PID namespaces, killed (with
# everything it started) when this script dies however it dies, and after
# FRESH_TIMEOUT seconds. Runs in the background; sets iso_pid; returns CMD's status.
isolate() {
	setpriv --pdeathsig KILL timeout --kill-after=10 "$FRESH_TIMEOUT" \
		setpriv --pdeathsig KILL unshare --mount --propagation private --pid --fork --kill-child "$@" &
	iso_pid=$!
	wait "$iso_pid"
	local rc=$?
	iso_pid=''
	return $rc
}

# run_mmdebstrap TARGET --format=F: build the root into TARGET; on failure,
# one line saying why.
run_mmdebstrap() {
	local log=$work/mmdebstrap.log err
	echo "+ mmdebstrap ${mm_args[*]} $2 $SUITE $1 ${sources[*]}"
	if isolate mmdebstrap "${mm_args[@]}" "$2" "$SUITE" "$1" "${sources[@]}" >"$log" 2>&1; then
		return 0
	fi
	err=$(grep -m1 -E "Could not resolve|Temporary failure resolving|Failed to fetch|Unable to connect|Could not connect|Connection (failed|refused|timed out)|No route to host|Network is unreachable" "$log" |
		sed -E 's/^[[:space:]]*//; s/^(E|W|Err):[^ ]* *//')
	if [ -n "$err" ]; then
		setup_fail "mmdebstrap cannot reach the Debian mirror ($mirrors): $err"
	fi
	tail -n 15 "$log" | sed 's/^/    | /'
	setup_fail "mmdebstrap failed (its last lines are above)"
}

t0=$SECONDS
if [ "${FRESH_CACHE:-1}" = 0 ]; then
	run_mmdebstrap "$work/root" --format=directory
else
	mkdir -p "$CACHE_DIR" || setup_fail "cannot create $CACHE_DIR"
	if [ -s "$cached" ]; then
		say "pristine $VARIANT root from the cache: $cached"
	else
		tmp=${cached%.tar}.$$.tmp.tar
		run_mmdebstrap "$tmp" --format=tar
		mv -f "$tmp" "$cached"
		# Only today's root is worth keeping.
		find "$CACHE_DIR" -maxdepth 1 -name "$VARIANT-$SUITE-*.tar" ! -path "$cached" -delete
	fi
	echo "+ tar -C $work/root -xpf $cached"
	tar -C "$work/root" --numeric-owner -xpf "$cached" || setup_fail "cannot unpack $cached"
fi
say "root ready in $((SECONDS - t0)) s"

# The root resolves and reaches the mirror as the host does.
cp /etc/resolv.conf "$work/root/etc/resolv.conf" 2>/dev/null
[ -f /etc/hosts ] && cp /etc/hosts "$work/root/etc/hosts"

# ---- 2. the clone and ../shared ----

FRESH_HEAD=$(git -C "$ROOT" rev-parse HEAD) || setup_fail "$ROOT is not a git clone"
export FRESH_HEAD
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no)" ]; then
	say "note: uncommitted changes in $ROOT are not tested (only HEAD ${FRESH_HEAD:0:7} is)"
fi
# A bare copy of the committed history (from a shallow clone too, where a
# bundle cannot be made), cloned inside by the root's own git.
echo "+ git clone -q --bare --no-local $ROOT /root/vxnet.git   # HEAD ${FRESH_HEAD:0:7}"
git clone -q --bare --no-local "$ROOT" "$work/root/root/vxnet.git" 2>"$work/clone.log" ||
	setup_fail "git clone --bare of $ROOT failed: $(tail -n 1 "$work/clone.log")"
if [ -d "$ROOT/../shared" ]; then
	echo "+ cp -a $(cd "$ROOT/../shared" && pwd) /root/shared"
	{ mkdir -p "$work/root/root/shared" && cp -a "$ROOT/../shared/." "$work/root/root/shared/"; } ||
		setup_fail "cannot copy ../shared"
else
	say "note: no ../shared beside $ROOT; the root has none either"
fi

# ---- 3. the commands ----

cmds=("$@")
: >"$work/results"
isolate bash "$ROOT/scripts/fresh.sh" --inside "$work" "$@"
rc=$?
[ "$rc" = 124 ] && say "the commands inside were stopped after FRESH_TIMEOUT=$FRESH_TIMEOUT s"

summary_exit
