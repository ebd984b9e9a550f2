#!/usr/bin/env bash
# deps.sh: install the Debian packages a vxnet task needs, and only the missing ones.
#
#   scripts/deps.sh build|demo|bench|fuzz|check|fresh     install what the task needs
#   scripts/deps.sh --list TASK                           print the packages, one a line
#
# Each Makefile target runs this first with its own task, so that every target
# works as the first command on a fresh Debian 12 (`make fresh` proves it):
#   build  (`make`)       compile build/ as configured in lib.sh: vxnetd, vxnet and
#                         the cmocka unit tests (build/ is configured -Dtests=enabled)
#   demo   (`make demo`)  build + what the demo runs (namespaces, etcd)
#   bench  (`make bench`) build + namespaces + iperf3 and python3 (no etcd)
#   fuzz   (`make fuzz`)  clang, its sanitizer/libFuzzer runtimes and the daemon's
#                         libraries (build-fuzz/: no gcc, no cmocka)
#   check  (`make check`) everything: bench, fuzz, and the netns suite's tools
#   fresh  (`make fresh`) the host side of scripts/fresh.sh (mmdebstrap, git)
# Quiet when nothing is missing; `apt-get update` only when something is.
set -euo pipefail

# The daemon's libraries come in through pkg-config: libmnl (netlink), libcurl
# and jansson (etcd's JSON gateway), libcrypto (libssl-dev); cmocka for the
# unit tests of build/.
toolchain_pkgs=(make meson ninja-build pkg-config libc6-dev libmnl-dev libcurl4-openssl-dev libjansson-dev
	libssl-dev)
build_pkgs=("${toolchain_pkgs[@]}" gcc libcmocka-dev)
# ip/bridge/ss (iproute2), ping, sysctl (procps); kmod: the kernel loads
# veth, bridge, tun and vxlan on demand through /sbin/modprobe where they are
# modules (nothing here runs modprobe itself).
net_pkgs=(iproute2 iputils-ping procps kmod)
# etcd: the demo's second part runs a cluster against one etcd member.
cluster_pkgs=(etcd-server etcd-client)
demo_pkgs=("${build_pkgs[@]}" "${net_pkgs[@]}" "${cluster_pkgs[@]}")
# liburing: bench/techniques.c (io_uring against read(2) on a TAP).
bench_pkgs=("${build_pkgs[@]}" "${net_pkgs[@]}" iperf3 python3 liburing-dev)
# build-fuzz/ is configured -Dtests=disabled and compiled by clang alone.
fuzz_pkgs=("${toolchain_pkgs[@]}" clang libclang-rt-14-dev)
# tests/netns also uses: tcpdump and tshark (decoding the underlay), scapy
# (crafted packets, through /usr/bin/python3), ethtool and socat (t15),
# unshare (util-linux) and mount for check.sh's private /run/netns, cmp
# (diffutils); the cluster and store tests start a real etcd (etcd-server,
# etcdctl from etcd-client) with certificates made by openssl, and talk to
# its gateway with curl.
check_pkgs=("${bench_pkgs[@]}" clang libclang-rt-14-dev tcpdump tshark python3-scapy
	util-linux mount coreutils ethtool socat diffutils "${cluster_pkgs[@]}" openssl curl)
# scripts/fresh.sh on the host: mmdebstrap builds the root, git bundles HEAD,
# unshare/setpriv (util-linux) and mount isolate it.
fresh_pkgs=(mmdebstrap git util-linux mount tar)

usage() {
	echo "usage: $0 [--list] build|demo|bench|fuzz|check|fresh" >&2
	exit 2
}

list=0
if [ "${1:-}" = --list ]; then
	list=1
	shift
fi
case "${1:-}" in
build) want=("${build_pkgs[@]}") ;;
demo) want=("${demo_pkgs[@]}") ;;
bench) want=("${bench_pkgs[@]}") ;;
fuzz) want=("${fuzz_pkgs[@]}") ;;
check) want=("${check_pkgs[@]}") ;;
fresh) want=("${fresh_pkgs[@]}") ;;
*) usage ;;
esac

if [ "$list" = 1 ]; then
	printf '%s\n' "${want[@]}" | awk '!seen[$0]++'
	exit 0
fi

installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for p in "${want[@]}"; do
	installed "$p" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages: ${missing[*]} (run as root, or: apt-get install ${missing[*]})" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer it up front so the
# install never waits on a terminal.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "deps: apt-get failed" >&2
	exit 1
fi
for p in "${missing[@]}"; do
	if ! installed "$p"; then
		echo "deps: $p failed to install" >&2
		exit 1
	fi
done
