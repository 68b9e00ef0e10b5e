#!/usr/bin/env bash
# Command two of the README: install what is missing, build, run the whole test suite.
# Tests labelled `gpu` skip themselves when no CUDA device is present.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
scripts/build.sh -DMOMENTA_WERROR=$werror
ctest --test-dir build --output-on-failure -j 2 --timeout 600
