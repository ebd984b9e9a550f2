#!/bin/bash
# t5 over an IPv6 underlay (2001:db8::1 <-> 2001:db8::2): vxnetd against the
# kernel vxlan driver, same topology and checks as t5_kernel_interop.sh.
set -eu
T5_FAMILY=6 exec bash "$(dirname "$0")/t5_kernel_interop.sh"
