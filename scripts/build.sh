#!/usr/bin/env bash
# build.sh: `make`: install the missing build packages, configure build/ if needed, compile.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bash "$ROOT/scripts/deps.sh" build
builddir_build build
