#!/usr/bin/env bash
# Downloads CIFAR-100 (binary version) into DEST (default: data/cifar100 next to this script) and
# unpacks train.bin, test.bin, coarse_label_names.txt and fine_label_names.txt directly into it.
#   usage: data/fetch_cifar100.sh [DEST]
# Source: https://www.cs.toronto.edu/~kriz/cifar.html (cifar-100-binary.tar.gz, MD5
# 03b5dce01913d631647c71ecec9e9cb8 as published there). The SHA-256 below is the one several
# independent projects pin for that archive; it was not computed here (no network on the machine
# this script was written on).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/fetch_common.sh"
dest="${1:-$here/cifar100}"
mkdir -p "$dest"
archive="$dest/cifar-100-binary.tar.gz"
fetch "$archive" 58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec \
  https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz
tar -xzf "$archive" -C "$dest" --strip-components=1
rm -f "$archive"
echo "CIFAR-100 is in $dest: momenta train --data cifar100 --data-dir $dest"
