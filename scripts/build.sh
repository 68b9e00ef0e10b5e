#!/usr/bin/env bash
# Configures and builds momenta (Release) into ./build. Extra arguments go to CMake, except
# `--target NAME` (repeatable), which builds only that target (e.g. momenta_cli, the tool).
set -euo pipefail
cd "$(dirname "$0")/.."
configure=()
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --target) targets+=(--target "$2"); shift 2 ;;
    *) configure+=("$1"); shift ;;
  esac
done
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${configure[@]}"
cmake --build build "${targets[@]}"
