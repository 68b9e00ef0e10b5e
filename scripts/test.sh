#!/usr/bin/env bash
# Command two of the README: install what is missing, build, run the whole test suite.
# Tests labelled `gpu` skip themselves when no CUDA device is present.
#
#   scripts/test.sh              Release build in build/, the whole suite
#   scripts/test.sh --sanitize   the same suite built with AddressSanitizer and UBSan in
#                                build-sanitize/ (CPU only, no benchmarks); any report fails it
# Extra arguments after the options go to CMake.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitize=0
if [ "${1:-}" = "--sanitize" ]; then sanitize=1; shift; fi
scripts/install_deps.sh
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
if [ $sanitize -eq 0 ]; then
  scripts/build.sh -DMOMENTA_WERROR=$werror "$@"
  ctest --test-dir build --output-on-failure -j 2 --timeout 600
  exit 0
fi
# Sanitized: -O1 with line tables only (-g1), so reports have file:line and the build stays a few
# minutes on 2 cores; UBSan does not recover, so a report aborts the test that triggered it;
# leaks are reported at exit of each test process.
cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DMOMENTA_SANITIZE=address,undefined \
  -DMOMENTA_CUDA=OFF -DMOMENTA_BUILD_BENCH=OFF -DMOMENTA_WERROR=$werror "$@"
cmake --build build-sanitize
export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
ctest --test-dir build-sanitize --output-on-failure -j 2 --timeout 1200
