#!/usr/bin/env bash
# deps.sh: install the Debian packages a vxnet task needs, and only the missing ones.
#
#   scripts/deps.sh build|demo|bench|check
#
# build: compile vxnetd and vxnet; demo: + what the two-host demo runs;
# bench: + iperf3 and python3; check: everything `make check` runs (unit tests,
# sanitizers, libFuzzer, the network-namespace suite and its packet decoders).
# Quiet when nothing is missing; `apt-get update` only when something is.
set -euo pipefail

build_pkgs=(make meson ninja-build pkg-config gcc libc6-dev libmnl-dev libjansson-dev libcurl4-openssl-dev libssl-dev)
net_pkgs=(iproute2 iputils-ping procps psmisc)
# etcd: the cluster part of the demo and of the tests (tests/netns/t2*, tests/store).
cluster_pkgs=(etcd-server etcd-client)
demo_pkgs=("${build_pkgs[@]}" "${net_pkgs[@]}" "${cluster_pkgs[@]}")
bench_pkgs=("${demo_pkgs[@]}" iperf3 python3 bridge-utils)
# tests/netns also uses: tcpdump/tshark (decoding the underlay), scapy (crafted
# packets), iperf3, bridge-utils (brctl), kmod (modprobe vxlan for the kernel
# peer), util-linux (unshare, timeout comes from coreutils).
check_pkgs=("${bench_pkgs[@]}" libcmocka-dev clang libclang-rt-14-dev tcpdump tshark
	python3-scapy kmod util-linux mount coreutils ethtool socat diffutils openssl curl)

case "${1:-}" in
build) want=("${build_pkgs[@]}") ;;
demo) want=("${demo_pkgs[@]}") ;;
bench) want=("${bench_pkgs[@]}") ;;
check) want=("${check_pkgs[@]}") ;;
*)
	echo "usage: $0 build|demo|bench|check" >&2
	exit 2
	;;
esac

installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for p in "${want[@]}"; do
	installed "$p" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

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
