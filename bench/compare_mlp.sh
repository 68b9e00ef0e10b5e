#!/usr/bin/env bash
# Interleaved momenta-vs-PyTorch comparison of the MLP training-step workloads
# (BENCHMARKING.md "How to measure"). Builds nothing.
#
# Usage: bench/compare_mlp.sh [MLP_STEP_BINARY] [PAIRS]
#   MLP_STEP_BINARY  the bench/mlp_step executable (default: build-golden/bench/mlp_step)
#   PAIRS            pairs per workload, at least 7 (default 7)
# Environment:
#   WORKLOADS   space-separated subset of: adam256 sgd30_b200 sgd30_full sgd30_b200_mse sgd30_full_mse
#               (default: "adam256 sgd30_b200 sgd30_full")
#   EPOCH=0     skip the Fashion-MNIST epoch row (measured beside adam256; default 1)
#   FMA_MIN     discard pairs whose FMA probe reads below this many GFLOP/s (default: 90% of the
#               highest reading of the run; BENCHMARKING.md's 300 is for the AVX-512 Xeon)
#   MIN_TIME    seconds per momenta repetition (default 0.5, like the twins' ~0.5 s reps)
#   QUIET_WAIT  before each pair, wait up to this many seconds (default 90) for the host to go quiet
#               (< 15% CPU busy over 1 s): other work on the 2 cores slows 2-thread OpenMP code 2-20x
#   OUT_DIR     where raw outputs go (default: a new /tmp/compare_mlp.XXXXXX)
#   ALLOW_FEW_PAIRS=1  accept PAIRS < 7 (smoke tests only)
#   OMP_NUM_THREADS  threads for momenta (default 2); the twins always get --threads 2
#
# Per pair, in this order: the FMA probe (2 threads), momenta (Google Benchmark, 7 repetitions of
# >= MIN_TIME s, median), the PyTorch twin (tuned env, its RESULT ms_per_step = median of 7 reps
# of ~0.5 s). The workloads take turns pair by pair (A B for each workload, then the next pair), so
# host-load drift hits every workload alike. Ratio = PyTorch time / momenta time (> 1: momenta faster).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${1:-$ROOT/build-golden/bench/mlp_step}"
PAIRS="${2:-7}"
WORKLOADS="${WORKLOADS:-adam256 sgd30_b200 sgd30_full}"
EPOCH="${EPOCH:-1}"
MIN_TIME="${MIN_TIME:-0.5}"
PY=/usr/bin/python3
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"

[[ -x "$BIN" ]] || { echo "compare_mlp.sh: no executable at $BIN (build it: ninja -C build-golden mlp_step)" >&2; exit 2; }
(( PAIRS >= 7 )) || [[ "${ALLOW_FEW_PAIRS:-0}" == 1 ]] || { echo "compare_mlp.sh: use at least 7 pairs (BENCHMARKING.md)" >&2; exit 2; }
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/compare_mlp.XXXXXX)}"
mkdir -p "$OUT_DIR"
RESULTS="$OUT_DIR/pairs.tsv"

source "$ROOT/bench/compare_common.sh"

workload_filter() {  # Google Benchmark filter for the momenta side
  case "$1" in
    adam256) echo '^BM_step/mlp_784_256_256_10_relu_b128_adam/' ;;
    sgd30_b200) echo '^BM_step/mlp_784_30_10_sigmoid_b200_ce_sgdm/' ;;
    sgd30_full) echo '^BM_step/mlp_784_30_10_sigmoid_b60000_ce_sgdm/' ;;
    sgd30_b200_mse) echo '^BM_step/mlp_784_30_10_sigmoid_b200_mse_sgdm/' ;;
    sgd30_full_mse) echo '^BM_step/mlp_784_30_10_sigmoid_b60000_mse_sgdm/' ;;
    *) echo "unknown workload $1" >&2; exit 2 ;;
  esac
}
workload_twin() {  # twin script and arguments
  case "$1" in
    adam256) echo "$ROOT/bench/pytorch/mlp_784_256_256_10.py --batch 128" ;;
    sgd30_b200) echo "$ROOT/bench/pytorch/mlp_784_30_10.py --act sigmoid --batch 200 --loss ce" ;;
    sgd30_full) echo "$ROOT/bench/pytorch/mlp_784_30_10.py --act sigmoid --batch 60000 --loss ce" ;;
    sgd30_b200_mse) echo "$ROOT/bench/pytorch/mlp_784_30_10.py --act sigmoid --batch 200 --loss mse" ;;
    sgd30_full_mse) echo "$ROOT/bench/pytorch/mlp_784_30_10.py --act sigmoid --batch 60000 --loss mse" ;;
  esac
}

# momenta: median real time (ms) of the aggregate, from Google Benchmark's JSON
momenta_ms() {  # filter json_out -> ms
  "$BIN" --benchmark_filter="$1" --benchmark_repetitions=7 --benchmark_min_time="$MIN_TIME" \
    --benchmark_report_aggregates_only=true --benchmark_format=json >"$2" 2>"$2.err"
  "$PY" - "$2" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
unit = {'ns': 1e-6, 'us': 1e-3, 'ms': 1.0, 's': 1e3}
for b in d['benchmarks']:
    if b.get('aggregate_name') == 'median':
        print(f"{b['real_time'] * unit[b['time_unit']]:.4f}")
        break
else:
    sys.exit('no median aggregate in ' + sys.argv[1])
PYEOF
}
momenta_epoch_ms() {  # json_out -> ms (median of 3 epochs)
  "$BIN" --benchmark_filter='^BM_epoch/' --benchmark_format=json >"$1" 2>"$1.err"
  "$PY" -c "import json,sys; b=json.load(open(sys.argv[1]))['benchmarks'][0]; print(f\"{b['epoch_med_ms']:.1f}\")" "$1"
}
twin_field() {  # out_file field -> value (epoch_s.med is converted to ms)
  "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
line = [l for l in open(sys.argv[1]) if l.startswith('RESULT ')]
if not line:
    sys.exit('no RESULT line in ' + sys.argv[1])
r = json.loads(line[-1][len('RESULT '):])
print(f"{r['ms_per_step']:.4f}" if sys.argv[2] == 'ms' else f"{r['epoch_s']['med'] * 1e3:.1f}")
PYEOF
}

echo "# compare_mlp.sh: $(date -u +%FT%TZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs," \
     "OMP_NUM_THREADS=$OMP_NUM_THREADS, libblas.so.3 -> ${blas:-?}, raw outputs in $OUT_DIR"
printf 'pair\tworkload\tfma_gflops\tmomenta_ms\tpytorch_ms\tload\n' >"$RESULTS"
for ((p = 1; p <= PAIRS; p++)); do
  for w in $WORKLOADS; do
    busy=$(wait_quiet)
    fma=$(probe)
    load="$(cut -d' ' -f1 /proc/loadavg)/${busy}%"
    m=$(momenta_ms "$(workload_filter "$w")" "$OUT_DIR/momenta_${w}_$p.json")
    me=""
    if [[ "$w" == adam256 && "$EPOCH" == 1 ]]; then me=$(momenta_epoch_ms "$OUT_DIR/momenta_epoch_$p.json"); fi
    # shellcheck disable=SC2046
    twin_run "$OUT_DIR/twin_${w}_$p.txt" $(workload_twin "$w")
    t=$(twin_field "$OUT_DIR/twin_${w}_$p.txt" ms)
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$w" "$fma" "$m" "$t" "$load" >>"$RESULTS"
    echo "pair $p $w: fma ${fma} GFLOP/s, load ${load}, momenta ${m} ms, pytorch ${t} ms" >&2
    if [[ -n "$me" ]]; then
      te=$(twin_field "$OUT_DIR/twin_${w}_$p.txt" epoch)
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "adam256_epoch" "$fma" "$me" "$te" "$load" >>"$RESULTS"
      echo "pair $p adam256_epoch: momenta ${me} ms, pytorch ${te} ms" >&2
    fi
  done
done

# ---- the tables ----
FMA_MIN="${FMA_MIN:-}" "$PY" - "$RESULTS" <<'PYEOF'
import csv, os, statistics as st, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
for r in rows:
    for k in ('fma_gflops', 'momenta_ms', 'pytorch_ms'):
        r[k] = float(r[k])
    r['ratio'] = r['pytorch_ms'] / r['momenta_ms']
fmas = [r['fma_gflops'] for r in rows]
fma_min = float(os.environ['FMA_MIN']) if os.environ.get('FMA_MIN') else 0.9 * max(fmas)
names = {
    'adam256': 'MLP 784-256-256-10 ReLU, b128, Adam (ms/step)',
    'adam256_epoch': 'Fashion-MNIST epoch of that MLP (ms)',
    'sgd30_b200': 'MLP 784-30-10 sigmoid, b200, SGD-m, CE (ms/step)',
    'sgd30_full': 'same, full batch 60000 (ms/step)',
    'sgd30_b200_mse': 'MLP 784-30-10 sigmoid, b200, SGD-m, MSE(one-hot) (ms/step)',
    'sgd30_full_mse': 'same MSE, full batch 60000 (ms/step)',
}
order = [w for w in names if any(r['workload'] == w for r in rows)]
print(f"\nFMA probe (2 threads): median {st.median(fmas):.0f} GFLOP/s, range {min(fmas):.0f}-{max(fmas):.0f}; "
      f"pairs below {fma_min:.0f} GFLOP/s are discarded (marked x).\n")
print('| workload | pairs kept | momenta median | PyTorch (tuned) median | ratio PyTorch/momenta: median of pairs | ratio range | all pairs: median ratio |')
print('|---|---|---|---|---|---|---|')
for w in order:
    rs = [r for r in rows if r['workload'] == w]
    kept = [r for r in rs if r['fma_gflops'] >= fma_min] or rs
    fmt = (lambda x: f'{x:.1f}') if w.endswith('epoch') else (lambda x: f'{x:.3f}')
    print(f"| {names[w]} | {len(kept)}/{len(rs)} | {fmt(st.median(r['momenta_ms'] for r in kept))} | "
          f"{fmt(st.median(r['pytorch_ms'] for r in kept))} | **{st.median(r['ratio'] for r in kept):.2f}x** | "
          f"{min(r['ratio'] for r in kept):.2f}-{max(r['ratio'] for r in kept):.2f} | {st.median(r['ratio'] for r in rs):.2f}x |")
print('\nPer pair (A = momenta, B = PyTorch, run back to back after the probe):\n')
print('| workload | pair | FMA GFLOP/s | loadavg/busy before | momenta ms | PyTorch ms | ratio |')
print('|---|---|---|---|---|---|---|')
for w in order:
    for r in (r for r in rows if r['workload'] == w):
        flag = '' if r['fma_gflops'] >= fma_min else ' x'
        print(f"| {w} | {r['pair']} | {r['fma_gflops']:.0f}{flag} | {r['load']} | {r['momenta_ms']:.3f} | {r['pytorch_ms']:.3f} | {r['ratio']:.2f} |")
PYEOF
