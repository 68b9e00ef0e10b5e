#!/usr/bin/env bash
# Proves the README's two commands on a fresh Debian 12 (bookworm) machine.
#
# Makes a minimal Debian 12 root from Debian's own packages (mmdebstrap, variant minbase: the
# Essential packages and apt, nothing else), copies a clean clone of this repository's HEAD into
# it, and runs each README command in its own fresh copy of that root, as a new user would:
#   1. scripts/quickstart.sh   (install, build, train the default MLP on Fashion-MNIST)
#   2. scripts/test.sh         (install, build, run the whole test suite)
# It prints PASS or FAIL and the time of each, and keeps each command's full log.
#
# Needs root and mmdebstrap (apt-get install mmdebstrap), and a Debian mirror. Not part of CI:
# it downloads several hundred MB and builds momenta twice (about 30 minutes on 2 cores).
#
#   scripts/check_fresh_machine.sh [--work DIR] [--mirror URL] [--security-mirror URL] [--keep]
#                                  [--only quickstart|test]
set -euo pipefail

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }

work=""
mirror="http://deb.debian.org/debian"
security_mirror="http://deb.debian.org/debian-security"
keep=0
only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --work) work="$2"; shift 2 ;;
    --mirror) mirror="$2"; shift 2 ;;
    --security-mirror) security_mirror="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --only) only="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "check_fresh_machine.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$only" in ""|quickstart|test) ;; *) echo "check_fresh_machine.sh: --only takes quickstart or test, not '$only'" >&2; exit 2 ;; esac

if [ "$(id -u)" -ne 0 ]; then
  echo "check_fresh_machine.sh: must run as root (it builds a chroot)" >&2; exit 2
fi
if ! command -v mmdebstrap >/dev/null; then
  echo "check_fresh_machine.sh: mmdebstrap is missing: apt-get install mmdebstrap" >&2; exit 2
fi

repo="$(cd "$(dirname "$0")/.." && pwd)"
[ -n "$work" ] || work="$(mktemp -d /var/tmp/momenta-fresh.XXXXXX)"
mkdir -p "$work"
work="$(cd "$work" && pwd)"
base_tar="$work/bookworm-minbase.tar"
cache="$work/apt-archives"   # shared .deb cache: each root still installs everything itself
mkdir -p "$cache/partial"

mounted=()
cleanup() {
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  if [ "$keep" -eq 0 ]; then
    rm -rf "$work/root-quickstart" "$work/root-test" "$base_tar"
  fi
}
trap cleanup EXIT

echo "== fresh Debian 12 root (mmdebstrap --variant=minbase) in $work"
if [ ! -s "$base_tar" ]; then
  t0=$(date +%s)
  mmdebstrap --variant=minbase --quiet bookworm "$base_tar" \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" \
    "deb $security_mirror bookworm-security main" >"$work/mmdebstrap.log" 2>&1 || {
      echo "check_fresh_machine.sh: mmdebstrap failed, see $work/mmdebstrap.log" >&2; tail -20 "$work/mmdebstrap.log" >&2; exit 1; }
  echo "   root made in $(( $(date +%s) - t0 )) s"
fi

clone="$work/clone"
rm -rf "$clone"
git clone -q "$repo" "$clone"
echo "   clean clone of $(git -C "$repo" rev-parse --short HEAD) ($(git -C "$repo" log -1 --format=%s | cut -c1-60))"
if [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
  echo "   note: the checkout has uncommitted changes; only committed files are tested"
fi

# run_in_fresh_root NAME COMMAND...: unpack the base root, copy the clone to /root/momenta,
# run COMMAND there; prints PASS/FAIL and the time.
results=()
run_in_fresh_root() {
  local name="$1"; shift
  local root="$work/root-$name"
  rm -rf "$root"; mkdir -p "$root"
  tar -C "$root" -xf "$base_tar"
  cp -a "$clone" "$root/root/momenta"
  cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  for m in proc sys dev dev/pts; do
    mkdir -p "$root/$m"
    if [ "$m" = proc ]; then mount -t proc proc "$root/proc"; else mount --rbind "/$m" "$root/$m"; fi
    mounted+=("$root/$m")
  done
  mount --bind "$cache" "$root/var/cache/apt/archives"; mounted+=("$root/var/cache/apt/archives")
  local log="$work/$name.log" t0 rc
  echo "== $name: $* (log: $log)"
  t0=$(date +%s)
  set +e
  chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 TERM=dumb /bin/bash -c "cd /root/momenta && $*" >"$log" 2>&1
  rc=$?
  set -e
  local dt=$(( $(date +%s) - t0 ))
  local verdict=PASS
  [ $rc -eq 0 ] || verdict=FAIL
  results+=("$(printf '%-4s  %-22s  %4d s  (exit %d)' "$verdict" "$*" "$dt" "$rc")")
  echo "   $verdict in $dt s (exit $rc); last lines:"
  tail -5 "$log" | sed 's/^/   | /'
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
  mounted=()
}

[ "$only" = test ] || run_in_fresh_root quickstart scripts/quickstart.sh
[ "$only" = quickstart ] || run_in_fresh_root test scripts/test.sh

echo "== summary (Debian $(tar -xOf "$base_tar" ./etc/debian_version 2>/dev/null || echo 12), minbase, clean clone)"
fail=0
for r in "${results[@]}"; do
  echo "$r"
  case "$r" in FAIL*) fail=1 ;; esac
done
exit $fail
