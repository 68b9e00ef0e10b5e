#!/usr/bin/env bash
# Interleaved momenta-vs-PyTorch comparison of the ResNet training step (BENCHMARKING.md "How to
# measure"): per pair, momenta's BM_step (median of REPS repetitions) then the twin
# bench/pytorch/resnet_cifar.py under the tuned environment, in NCHW and in channels_last, the
# faster of the two counting; ratio = PyTorch / momenta (> 1: momenta faster). Builds nothing.
# Before each pair it waits up to QUIET_WAIT seconds for the host to go quiet (< 15% busy over
# 1 s) and prints how busy it was.
#
# Usage: bench/compare_resnet.sh [CONV_STEP_BINARY] [PAIRS]   (defaults: build/bench/conv_step, 7)
# Environment: ARCH (resnet20 | resnet18, default resnet20), REPS (default 5), QUIET_WAIT (90),
#              OMP_NUM_THREADS (default 2; the twin gets --threads 2)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${1:-$ROOT/build/bench/conv_step}"
PAIRS="${2:-7}"
ARCH="${ARCH:-resnet20}"
REPS="${REPS:-5}"
QUIET_WAIT="${QUIET_WAIT:-90}"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
[[ -x "$BIN" ]] || { echo "compare_resnet.sh: no executable at $BIN" >&2; exit 2; }

PY=/usr/bin/python3
source "$ROOT/bench/compare_common.sh"  # busy_pct, wait_quiet (QUIET_WAIT), probe

printf 'pair\tbusy%%\tmomenta_ms\tpytorch_ms\tratio\n'
for ((p = 1; p <= PAIRS; p++)); do
  busy=$(wait_quiet)
  m=$("$BIN" --benchmark_filter="^BM_step/${ARCH}_cifar_b128_sgdm/(iterations:[0-9]+/)?real_time" --benchmark_repetitions="$REPS" \
        --benchmark_report_aggregates_only=true --benchmark_format=csv 2>/dev/null |
      awk -F, '/_median"?,/ { print $3; exit }')
  # The tuned twin: the faster of its NCHW and channels_last memory formats.
  t=$(for fmt in "" --channels-last; do
        (source "$ROOT/bench/tuned_env_portable.sh" && /usr/bin/python3 "$ROOT/bench/pytorch/resnet_cifar.py" \
          --arch "$ARCH" --threads 2 --reps "$REPS" $fmt) | sed -n 's/^RESULT //p' |
        /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["ms_per_step"])'
      done | sort -g | head -1)
  printf '%d\t%s\t%.1f\t%.1f\t%.2f\n' "$p" "$busy" "$m" "$t" "$(echo "$t / $m" | bc -l)"
done
