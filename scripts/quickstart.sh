#!/usr/bin/env bash
# Command one of the README: install what is missing, build, train the default MLP
# (784-256-256-10, ReLU, Adam) on Fashion-MNIST and print its test accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh --with-data
scripts/build.sh
build/momenta train --out runs/mlp "$@"
