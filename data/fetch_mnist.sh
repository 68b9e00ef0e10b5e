#!/usr/bin/env bash
# Downloads MNIST or Fashion-MNIST (the four gzipped IDX files; momenta reads .gz directly) into
# DEST (default: data/<name> next to this script).
#   usage: data/fetch_mnist.sh [mnist|fashion-mnist] [DEST]
# MNIST: yann.lecun.com often refuses downloads, so the mirrors torchvision and TensorFlow use are
# tried first. Fashion-MNIST: the address in zalandoresearch/fashion-mnist's README. The SHA-256
# sums are the ones several independent projects pin for these files; they were not computed
# here (no network on the machine this script was written on). On Debian, Fashion-MNIST is also
# packaged (apt-get install dataset-fashion-mnist); its .gz files are not byte-identical to the
# upstream ones, so they do not match the sums below.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/fetch_common.sh"
name="${1:-mnist}"
dest="${2:-$here/$name}"
case "$name" in
  mnist)
    mirrors=(https://storage.googleapis.com/cvdf-datasets/mnist https://ossci-datasets.s3.amazonaws.com/mnist
             http://yann.lecun.com/exdb/mnist)
    sums=(440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609   # train-images-idx3-ubyte.gz
          3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c   # train-labels-idx1-ubyte.gz
          8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6   # t10k-images-idx3-ubyte.gz
          f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6)  # t10k-labels-idx1-ubyte.gz
    ;;
  fashion-mnist)
    mirrors=(http://fashion-mnist.s3-website.eu-central-1.amazonaws.com)
    sums=(08dc20ab1689590a0bcd66e874647b6ee8464e2d501b5a3f1f78831db19a3fdc
          b0197879cbda89f3dc7b894f9fd52b858e68ea4182b6947c9d8c2b67e5f18dcc
          78dcbbfb5a27efaf1b6c1d616caca68560be8766c5bffcb2791df9273a534229
          42bd18137a62d5998cdeae52bf3a0676ac6b706f5cf8439b47bb5b151ae3dccf)
    ;;
  *)
    echo "usage: $0 [mnist|fashion-mnist] [DEST]" >&2
    exit 2
    ;;
esac
files=(train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz)
mkdir -p "$dest"
for i in 0 1 2 3; do
  urls=()
  for m in "${mirrors[@]}"; do urls+=("$m/${files[$i]}"); done
  fetch "$dest/${files[$i]}" "${sums[$i]}" "${urls[@]}"
done
echo "$name is in $dest: momenta train --data $name --data-dir $dest"
