#!/usr/bin/env bash
# Interleaved momenta-vs-PyTorch comparison of the score U-Net workloads (BENCHMARKING.md "How to
# measure"): one DSM + Adam training step at batch 128, and sampling 64 images x 100 reverse
# Euler-Maruyama steps. momenta runs bench/diffusion_step (BM_train, BM_sample), the twin
# bench/pytorch/diffusion_unet.py under the tuned environment (bench/tuned_env_portable.sh), in
# NCHW and in channels_last, the faster of the two counting. Builds nothing.
#
# Usage: bench/compare_diffusion.sh [DIFFUSION_STEP_BINARY] [PAIRS]
#   DIFFUSION_STEP_BINARY  the bench/diffusion_step executable (default: build/bench/diffusion_step)
#   PAIRS                  pairs per mode, at least 7 (default 7)
# Environment:
#   MODES         space-separated subset of: train sample (default "train sample")
#   TWIN_FORMATS  the twin's memory formats to try: "nchw cl" (default), "nchw" or "cl"
#   REPS          train repetitions, both sides (default 5); a momenta repetition lasts >= MIN_TIME s
#                 (default 4, about the twin's 5 steps a repetition), a twin repetition is 5 steps
#   SAMPLE_REPS   sampling runs, both sides (default 3, the twin's default); medians are reported
#   FMA_MIN       discard pairs whose FMA probe reads below this many GFLOP/s (default: 90% of the
#                 highest reading of the run)
#   QUIET_WAIT    before each pair, wait up to this many seconds (default 90) for the host to go
#                 quiet (< 15% CPU busy over 1 s); the busy % seen is reported
#   OUT_DIR       where raw outputs go (default: a new /tmp/compare_diffusion.XXXXXX)
#   ALLOW_FEW_PAIRS=1  accept PAIRS < 7 (smoke tests only)
#   OMP_NUM_THREADS    threads for momenta (default 2); the twin always gets --threads 2
#
# Per pair and mode, in this order: the FMA probe (2 threads), momenta (median of its
# repetitions), the twin (its RESULT line: ms_per_step for train, s_total for sample, each the
# median of its repetitions). The modes take turns pair by pair, so host-load drift hits both
# alike. Ratio = PyTorch time / momenta time (> 1: momenta faster; the goal is >= 1.2).
# After the pairs, the share benchmarks (diffusion_step --benchmark_filter=_share, 3 repetitions): the
# last table gives the convolutions' time, their share, their GFLOP/s against the FMA probe, and
# the ceiling ratio PyTorch / (momenta's convolution time): the ratio momenta would reach if every
# other op of the step were free, with the convolution kernels as they are (both sides run
# oneDNN's; PyTorch adds its layout reorders).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${1:-$ROOT/build/bench/diffusion_step}"
PAIRS="${2:-7}"
MODES="${MODES:-train sample}"
TWIN_FORMATS="${TWIN_FORMATS:-nchw cl}"
REPS="${REPS:-5}"
SAMPLE_REPS="${SAMPLE_REPS:-3}"
MIN_TIME="${MIN_TIME:-4}"
PY=/usr/bin/python3
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"

[[ -x "$BIN" ]] || { echo "compare_diffusion.sh: no executable at $BIN (build it: cmake --build build --target diffusion_step)" >&2; exit 2; }
(( PAIRS >= 7 )) || [[ "${ALLOW_FEW_PAIRS:-0}" == 1 ]] || { echo "compare_diffusion.sh: use at least 7 pairs (BENCHMARKING.md)" >&2; exit 2; }
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/compare_diffusion.XXXXXX)}"
mkdir -p "$OUT_DIR"
RESULTS="$OUT_DIR/pairs.tsv"

source "$ROOT/bench/compare_common.sh"  # probe, busy_pct, wait_quiet, twin_run

# momenta: median real time in ms over the repetitions, from Google Benchmark's JSON
momenta_ms() {  # mode json_out -> ms
  local args
  case "$1" in
    train) args=(--benchmark_filter='^BM_train/' --benchmark_repetitions="$REPS" --benchmark_min_time="$MIN_TIME") ;;
    sample) args=(--benchmark_filter='^BM_sample/' --benchmark_repetitions="$SAMPLE_REPS") ;;
  esac
  "$BIN" "${args[@]}" --benchmark_report_aggregates_only=true --benchmark_format=json >"$2" 2>"$2.err"
  "$PY" - "$2" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
unit = {'ns': 1e-6, 'us': 1e-3, 'ms': 1.0, 's': 1e3}
runs = [b for b in d['benchmarks'] if b.get('aggregate_name') == 'median']
# one repetition: Google Benchmark reports no aggregates, only the run
runs = runs or [b for b in d['benchmarks'] if b.get('run_type') == 'iteration']
if not runs:
    sys.exit('no result in ' + sys.argv[1])
print(f"{runs[0]['real_time'] * unit[runs[0]['time_unit']]:.2f}")
PYEOF
}
# the twin: its RESULT line, in ms (train: ms_per_step; sample: s_total), the faster format
twin_ms() {  # mode pair -> ms
  local fmt best="" v out
  for fmt in $TWIN_FORMATS; do
    out="$OUT_DIR/twin_${1}_${fmt}_$2.txt"
    local extra=()
    [[ "$fmt" == cl ]] && extra=(--channels-last)
    if [[ "$1" == train ]]; then
      twin_run "$out" "$ROOT/bench/pytorch/diffusion_unet.py" --mode train --reps "$REPS" "${extra[@]}"
    else
      twin_run "$out" "$ROOT/bench/pytorch/diffusion_unet.py" --mode sample --sample-reps "$SAMPLE_REPS" "${extra[@]}"
    fi
    v=$("$PY" - "$out" "$1" <<'PYEOF'
import json, sys
line = [l for l in open(sys.argv[1]) if l.startswith('RESULT ')]
if not line:
    sys.exit('no RESULT line in ' + sys.argv[1])
r = json.loads(line[-1][len('RESULT '):])
print(f"{r['ms_per_step']:.2f}" if sys.argv[2] == 'train' else f"{r['s_total'] * 1e3:.2f}")
PYEOF
)
    echo "  twin $1 $fmt: $v ms" >&2
    if [[ -z "$best" ]] || (( $(echo "$v < $best" | bc -l) )); then best=$v; fi
  done
  echo "$best"
}

echo "# compare_diffusion.sh: $(date -u +%FT%TZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs," \
     "OMP_NUM_THREADS=$OMP_NUM_THREADS, twin formats: $TWIN_FORMATS, libblas.so.3 -> ${blas:-?}, raw outputs in $OUT_DIR"
printf 'pair\tmode\tfma_gflops\tmomenta_ms\tpytorch_ms\tload\n' >"$RESULTS"
for ((p = 1; p <= PAIRS; p++)); do
  for mode in $MODES; do
    busy=$(wait_quiet)
    fma=$(probe)
    load="$(cut -d' ' -f1 /proc/loadavg)/${busy}%"
    m=$(momenta_ms "$mode" "$OUT_DIR/momenta_${mode}_$p.json")
    t=$(twin_ms "$mode" "$p")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$p" "$mode" "$fma" "$m" "$t" "$load" >>"$RESULTS"
    echo "pair $p $mode: fma ${fma} GFLOP/s, load ${load}, momenta ${m} ms, pytorch ${t} ms" >&2
  done
done

# ---- what the convolutions leave ----
SHARE_JSON="$OUT_DIR/share.json"
wait_quiet >/dev/null
if ! "$BIN" --benchmark_filter=_share --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_format=json >"$SHARE_JSON" 2>"$SHARE_JSON.err"; then
  echo "compare_diffusion.sh: the share benchmarks failed (see $SHARE_JSON.err); no ceiling table" >&2
  : >"$SHARE_JSON"
fi

# ---- the tables ----
FMA_MIN="${FMA_MIN:-}" "$PY" - "$RESULTS" "$SHARE_JSON" <<'PYEOF'
import csv, json, os, statistics as st, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
for r in rows:
    for k in ('fma_gflops', 'momenta_ms', 'pytorch_ms'):
        r[k] = float(r[k])
    r['ratio'] = r['pytorch_ms'] / r['momenta_ms']
fmas = [r['fma_gflops'] for r in rows]
fma_min = float(os.environ['FMA_MIN']) if os.environ.get('FMA_MIN') else 0.9 * max(fmas)
names = {
    'train': 'score U-Net (twin, 1.76M params), b128, DSM + Adam (ms/step)',
    'sample': 'U-Net sampling, 64 samples x 100 Euler-Maruyama steps (ms/run)',
}
order = [m for m in names if any(r['mode'] == m for r in rows)]
# per mode: all its pairs, and those kept (probe at or above fma_min; all when none is)
pairs = {m: [r for r in rows if r['mode'] == m] for m in order}
kept_pairs = {m: [r for r in pairs[m] if r['fma_gflops'] >= fma_min] or pairs[m] for m in order}
print(f"\nFMA probe (2 threads): median {st.median(fmas):.0f} GFLOP/s, range {min(fmas):.0f}-{max(fmas):.0f}; "
      f"pairs below {fma_min:.0f} GFLOP/s are discarded (marked x).\n")
print('| workload | pairs kept | momenta median | PyTorch (tuned) median | ratio PyTorch/momenta: median of pairs | ratio range | all pairs: median ratio |')
print('|---|---|---|---|---|---|---|')
for m in order:
    rs, kept = pairs[m], kept_pairs[m]
    print(f"| {names[m]} | {len(kept)}/{len(rs)} | {st.median(r['momenta_ms'] for r in kept):.1f} | "
          f"{st.median(r['pytorch_ms'] for r in kept):.1f} | **{st.median(r['ratio'] for r in kept):.2f}x** | "
          f"{min(r['ratio'] for r in kept):.2f}-{max(r['ratio'] for r in kept):.2f} | {st.median(r['ratio'] for r in rs):.2f}x |")
print('\nPer pair (A = momenta, B = PyTorch, run back to back after the probe):\n')
print('| mode | pair | FMA GFLOP/s | loadavg/busy before | momenta ms | PyTorch ms | ratio |')
print('|---|---|---|---|---|---|---|')
for m in order:
    for r in (r for r in rows if r['mode'] == m):
        flag = '' if r['fma_gflops'] >= fma_min else ' x'
        print(f"| {m} | {r['pair']} | {r['fma_gflops']:.0f}{flag} | {r['load']} | {r['momenta_ms']:.1f} | {r['pytorch_ms']:.1f} | {r['ratio']:.2f} |")
share = {}
if os.path.getsize(sys.argv[2]) > 0:
    for b in json.load(open(sys.argv[2]))['benchmarks']:
        if b.get('aggregate_name') != 'median':
            continue
        share['train' if b['name'].startswith('BM_train_share') else 'sample'] = b
if share:
    print('\nWhat the convolutions leave (diffusion_step --benchmark_filter=_share, medians of 3 repetitions '
          'after the pairs; the peak: the highest FMA probe reading):\n')
    print('| workload | momenta conv ms | conv share of momenta\'s time | conv GFLOP/s | of the FMA peak | '
          'ceiling ratio: PyTorch median / momenta conv ms |')
    print('|---|---|---|---|---|---|')
    for m in order:
        b = share.get(m)
        if b is None:
            continue
        conv = b['conv_ms'] if m == 'train' else b['conv_ms_per_run']
        print(f"| {names[m]} | {conv:.1f} | {b['conv_share']:.1%} | {b['conv_gflops']:.0f} | "
              f"{b['conv_gflops'] / max(fmas):.0%} | {st.median(r['pytorch_ms'] for r in kept_pairs[m]) / conv:.2f}x |")
PYEOF
