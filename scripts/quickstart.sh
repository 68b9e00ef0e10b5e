#!/usr/bin/env bash
# Command one of the README: install what is missing, build, train the default MLP
# (784-256-256-10, ReLU, Adam) on Fashion-MNIST and print its test accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh --with-data
# Only the command-line tool: the tests (half the build) are built by scripts/test.sh.
scripts/build.sh --target momenta_cli
build/momenta train --out runs/mlp "$@"
