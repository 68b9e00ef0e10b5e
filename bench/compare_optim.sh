#!/usr/bin/env bash
# Interleaved momenta-vs-torch.optim comparison of one optimizer step over an 11.17M-element
# float32 arena (bench/optim_step.cpp against bench/pytorch/optim_step.py --layout flat), with the
# STREAM-style triad of the momenta run as the bandwidth reference. Builds nothing.
#
# Usage: bench/compare_optim.sh [OPTIM_STEP_BINARY] [PAIRS]
#   OPTIM_STEP_BINARY  the bench/optim_step executable (default: build/bench/optim_step)
#   PAIRS              at least 7 (default 7); ALLOW_FEW_PAIRS=1 accepts fewer (smoke tests only)
# Environment: QUIET_WAIT, FMA_MIN, OUT_DIR as in compare_mlp.sh; OMP_NUM_THREADS (default 2).
#
# Per pair: the FMA probe, momenta (every rule and the triad: 7 repetitions each, medians), then the
# twin (SGD-momentum, Adam, AdamW, each with foreach on and off; the faster of the two is the tuned
# PyTorch time). Ratio = PyTorch time / momenta time. Adai and ECDSep have no torch.optim twin:
# their rows give time and the fraction of the triad bandwidth only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${1:-$ROOT/build/bench/optim_step}"
PAIRS="${2:-7}"
PY=/usr/bin/python3
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"

[[ -x "$BIN" ]] || { echo "compare_optim.sh: no executable at $BIN (build it: cmake --build build --target optim_step)" >&2; exit 2; }
(( PAIRS >= 7 )) || [[ "${ALLOW_FEW_PAIRS:-0}" == 1 ]] || { echo "compare_optim.sh: use at least 7 pairs (BENCHMARKING.md)" >&2; exit 2; }
OUT_DIR="${OUT_DIR:-$(mktemp -d /tmp/compare_optim.XXXXXX)}"
mkdir -p "$OUT_DIR"
RESULTS="$OUT_DIR/pairs.tsv"
source "$ROOT/bench/compare_common.sh"

echo "# compare_optim.sh: $(date -u +%FT%TZ), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) CPUs," \
     "OMP_NUM_THREADS=$OMP_NUM_THREADS, raw outputs in $OUT_DIR"
printf 'pair\tfma_gflops\tload\trule\tmomenta_ms\tmomenta_gbps\ttriad_gbps\tpytorch_ms\n' >"$RESULTS"
for ((p = 1; p <= PAIRS; p++)); do
  busy=$(wait_quiet)
  fma=$(probe)
  load="$(cut -d' ' -f1 /proc/loadavg)/${busy}%"
  "$BIN" --benchmark_repetitions=7 --benchmark_report_aggregates_only=true --benchmark_format=json \
    >"$OUT_DIR/momenta_$p.json" 2>"$OUT_DIR/momenta_$p.err"
  twin_run "$OUT_DIR/twin_$p.txt" "$ROOT/bench/pytorch/optim_step.py" --layout flat
  "$PY" - "$OUT_DIR/momenta_$p.json" "$OUT_DIR/twin_$p.txt" "$p" "$fma" "$load" >>"$RESULTS" <<'PYEOF'
import json, sys
mjson, twin, pair, fma, load = sys.argv[1:6]
unit = {'ns': 1e-6, 'us': 1e-3, 'ms': 1.0, 's': 1e3}
med = {}
for b in json.load(open(mjson))['benchmarks']:
    if b.get('aggregate_name') != 'median' or '/watched' in b['run_name']:
        continue  # the /watched variants (the Trainer's finiteness check) are not raced
    name = b['run_name'].split('/')[1] if b['run_name'].startswith('BM_optim/') else 'triad'
    med[name] = (b['real_time'] * unit[b['time_unit']], b['gbps'] / 1e9 if b['gbps'] > 1e6 else b['gbps'])
torch = {}
for line in open(twin):
    if line.startswith('RESULT '):
        r = json.loads(line[7:])
        w = r['workload']  # optim_<name>_foreach<0|1>_flat
        name = w[len('optim_'):w.rindex('_foreach')]
        torch[name] = min(torch.get(name, 1e30), r['ms_per_step'])
alias = {'heavy_ball': 'sgd_momentum', 'adam': 'adam', 'adamw': 'adamw'}
triad = med['triad'][1]
for rule, (ms, gbps) in med.items():
    if rule == 'triad':
        continue
    t = torch.get(alias.get(rule, ''), float('nan'))
    print(f"{pair}\t{fma}\t{load}\t{rule}\t{ms:.3f}\t{gbps:.2f}\t{triad:.2f}\t{t:.3f}")
PYEOF
  tail -n +2 "$RESULTS" | awk -v p="$p" -F'\t' '$1 == p { printf "pair %s %s: momenta %s ms (%s GB/s, triad %s), pytorch %s ms\n", $1, $4, $5, $6, $7, $8 }' >&2
done

FMA_MIN="${FMA_MIN:-}" "$PY" - "$RESULTS" <<'PYEOF'
import csv, math, os, statistics as st, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
for r in rows:
    for k in ('fma_gflops', 'momenta_ms', 'momenta_gbps', 'triad_gbps', 'pytorch_ms'):
        r[k] = float(r[k])
fmas = sorted({(r['pair'], r['fma_gflops']) for r in rows})
fma_min = float(os.environ['FMA_MIN']) if os.environ.get('FMA_MIN') else 0.9 * max(f for _, f in fmas)
print(f"\nFMA probe (2 threads): range {min(f for _, f in fmas):.0f}-{max(f for _, f in fmas):.0f} GFLOP/s; pairs below "
      f"{fma_min:.0f} are discarded.\n")
print('| rule | pairs kept | momenta ms (median) | GB/s | fraction of triad (median of pairs) | tuned torch.optim ms | ratio torch/momenta (median of pairs, range) |')
print('|---|---|---|---|---|---|---|')
for rule in dict.fromkeys(r['rule'] for r in rows):
    rs = [r for r in rows if r['rule'] == rule]
    kept = [r for r in rs if r['fma_gflops'] >= fma_min] or rs
    frac = st.median(r['momenta_gbps'] / r['triad_gbps'] for r in kept)
    line = (f"| {rule} | {len(kept)}/{len(rs)} | {st.median(r['momenta_ms'] for r in kept):.2f} | "
            f"{st.median(r['momenta_gbps'] for r in kept):.1f} | {100 * frac:.0f}% | ")
    if math.isnan(kept[0]['pytorch_ms']):
        line += '- | - |'
    else:
        ratios = [r['pytorch_ms'] / r['momenta_ms'] for r in kept]
        line += (f"{st.median(r['pytorch_ms'] for r in kept):.2f} | **{st.median(ratios):.2f}x** "
                 f"({min(ratios):.2f}-{max(ratios):.2f}) |")
    print(line)
print(f"\nTriad (momenta run): median {st.median(r['triad_gbps'] for r in rows):.1f} GB/s.")
PYEOF
