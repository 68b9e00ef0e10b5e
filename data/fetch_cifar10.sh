#!/usr/bin/env bash
# Downloads CIFAR-10 (binary version) into DEST (default: data/cifar10 next to this script) and
# unpacks data_batch_1..5.bin, test_batch.bin and batches.meta.txt directly into it.
#   usage: data/fetch_cifar10.sh [DEST]
# Source: https://www.cs.toronto.edu/~kriz/cifar.html (cifar-10-binary.tar.gz, 170052171 bytes,
# MD5 c32a1d4ab5d03f1284b67883e8d87530 as published there). The SHA-256 below is the one several
# independent projects pin for that archive; it was not computed here (no network on the machine
# this script was written on).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/fetch_common.sh"
dest="${1:-$here/cifar10}"
mkdir -p "$dest"
archive="$dest/cifar-10-binary.tar.gz"
fetch "$archive" c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd \
  https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz
tar -xzf "$archive" -C "$dest" --strip-components=1
rm -f "$archive"
echo "CIFAR-10 is in $dest: momenta train --data cifar10 --data-dir $dest"
