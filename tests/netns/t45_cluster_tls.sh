#!/bin/bash
# t45: vxnetd talks to etcd over TLS with a client certificate
# (--store-cacert, --store-cert, --store-key; a CA, a server and a client
# certificate made here with openssl; etcd with --client-cert-auth). Two
# hosts register, a network is created and attached, the containers ping.
# A third vxnetd without a client certificate is refused by etcd: it never
# registers, says why in its log, `network show -s` says the store is down,
# and `attach` is refused with a reason; forwarding elsewhere is untouched.
#
#   c1   c2        (c3)
#   h1   h2        h3: no client certificate
#     switch ---- etcd https://198.18.0.101:2379 (client certificates required)
#
# datapaths: user kernel
set -eu
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster.sh"
trap cleanup EXIT
need_vxnet

ETCD_TLS=1
etcd_setup 1
T=$TMP/tls
for n in 1 2; do
	cluster_host "$n" --store-cacert "$T/ca.crt" --store-cert "$T/client.crt" --store-key "$T/client.key"
	container "$n"
done
H1=$(hns 1) H2=$(hns 2) C1=$(cns 1) C2=$(cns 2)
if wait_for 5 bash -c "ip netns exec $H1 $VXNET -S $(sock_of "$H1") -s network show | grep -q '^store etcd://198.18.0.101:2379 up host h1 '"; then
	ok "h1 registered over TLS"
else
	notok "h1 registered over TLS"
fi
expect_ok "network create over TLS" vx "$H1" network create blue id 500 subnet 203.0.113.0/24 datapath "$VXNET_DATAPATH"
expect_ok "attach on h1" vx "$H1" attach "$C1" network blue ip 203.0.113.11/24
expect_ok "attach on h2" vx "$H2" attach "$C2" network blue ip 203.0.113.12/24
if wait_for 5 converged "$C1" 203.0.113.12; then ok "c1 reaches c2"; else notok "c1 reaches c2"; fi
expect_eq "etcd has both hosts (read with the client certificate)" "$(keys /vxnet/hosts/ | tr '\n' ' ')" \
	"/vxnet/hosts/h1 /vxnet/hosts/h2 "

# No client certificate.
cluster_host 3 --store-cacert "$T/ca.crt"
container 3
H3=$(hns 3)
if wait_for 5 grep -qE 'cannot get a lease from the store: .*(certificate|SSL|alert|Input/output|getpeername)' \
	"$TMP/vxnetd-$H3.log"; then
	ok "h3 without a client certificate is refused by etcd, and says so"
else
	notok "h3 without a client certificate is refused by etcd, and says so"
	tail -n 5 "$TMP/vxnetd-$H3.log" | sed 's/^/#   /'
fi
expect_match "network show -s on h3: the store is down" "$(vx "$H3" -s network show)" \
	'store etcd://198.18.0.101:2379 down host h3 .*'
expect_refused "attach on h3 is refused with a reason" "(unreachable|not registered)" \
	vx "$H3" attach "$(cns 3)" network blue
expect_eq "h3 is not in the store" "$(keys /vxnet/hosts/h3)" ""
expect_ping "c2 -> c1 untouched" "$C2" 203.0.113.11 2 2
finish
