#!/usr/bin/env bash
# Installs the Debian packages momenta needs (run as root on Debian 12). Only what is missing
# is installed; `--with-data` adds Fashion-MNIST, `--with-torch` the PyTorch benchmark peer.
set -euo pipefail
pkgs=(cmake ninja-build g++ libdnnl-dev zlib1g-dev libgtest-dev libbenchmark-dev libcli11-dev nlohmann-json3-dev libstb-dev libtomlplusplus-dev libeigen3-dev)
for arg in "$@"; do
  case "$arg" in
    --with-data) pkgs+=(dataset-fashion-mnist) ;;
    --with-torch) pkgs+=(python3-torch libopenblas0-openmp) ;;  # an optimised BLAS for the PyTorch peer
    *) echo "install_deps.sh: unknown option '$arg' (known: --with-data, --with-torch)" >&2; exit 2 ;;
  esac
done
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install_deps.sh: all packages present"
  exit 0
fi
echo "install_deps.sh: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
