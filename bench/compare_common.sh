# Shared pieces of the interleaved momenta-vs-PyTorch comparisons (compare_mlp.sh,
# compare_optim.sh): the FMA probe, the quiet-host wait, the BLAS sanity check and the tuned twin
# runner. Source it after setting ROOT and PY.
# ---- the FMA probe, compiled once ----
PROBE=/tmp/momenta_peak_fma
if [[ ! -x "$PROBE" || "$ROOT/bench/probes/peak_fma_portable.c" -nt "$PROBE" ]]; then
  gcc -O3 -march=native -fopenmp "$ROOT/bench/probes/peak_fma_portable.c" -o "$PROBE"
fi
probe() {  # median 2-thread GFLOP/s of the widest vector width the CPU has
  REPS=5 "$PROBE" | awk '/^threads=2 / { for (i = 1; i <= NF; i++) if ($i == "median") { print $(i + 1); exit } }'
}

# ---- sanity: PyTorch must have an optimised BLAS, and the tuned env must load ----
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
if [[ "$blas" != *openblas* && "$blas" != *blis* && "$blas" != *mkl* ]]; then
  echo "WARNING: libblas.so.3 -> ${blas:-?} (reference BLAS?): PyTorch's sgemm will be ~50x slow, not a tuned" >&2
  echo "         baseline. Install one: apt-get install libopenblas0-openmp" >&2
fi

busy_pct() {  # CPU busy % over 1 s (all CPUs), from /proc/stat
  local a b
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
  for ((i = 1; i < ${#a[@]}; i++)); do total=$(( total + b[i] - a[i] )); done
  echo $(( total > 0 ? 100 * (total - idle) / total : 0 ))
}
wait_quiet() {  # prints the last busy % seen
  local deadline=$(( SECONDS + ${QUIET_WAIT:-90} )) busy
  busy=$(busy_pct)
  while (( busy >= 15 && SECONDS < deadline )); do sleep 4; busy=$(busy_pct); done
  echo "$busy"
}

# twin: RESULT {json}; ms_per_step is the median of its reps (steady state, fixed in-memory batches)
twin_run() {  # out_file args...
  local out="$1"; shift
  ( source "$ROOT/bench/tuned_env_portable.sh"; "$PY" "$@" --threads 2 ) >"$out" 2>&1
}
