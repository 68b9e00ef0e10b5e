#!/usr/bin/env bash
# Fuzzes momenta's readers of outside input with libFuzzer under ASan+UBSan (fuzz/, MOMENTA_FUZZ).
#
#   scripts/fuzz.sh [SECONDS] [HARNESS...]   each harness for SECONDS (default 600), then a table
#   scripts/fuzz.sh --smoke [HARNESS...]     build, write the seeds, run each harness once over its
#                                            corpus and fuzz/regressions/ (-runs=0): a compile check
#
# Harnesses: idx cifar image safetensors checkpoint config parse hyperparams (default: all).
# Installs what is missing (Debian: clang, libclang-rt-14-dev for libFuzzer, libomp-14-dev for
# clang's OpenMP, and momenta's own dependencies), builds into build-fuzz/, writes the seed
# corpora into build-fuzz/corpus/<harness>/ (the corpus grows there from run to run) and keeps
# crash, leak, timeout and out-of-memory inputs in build-fuzz/crashes/<harness>/, logs in
# build-fuzz/logs/. A run goes on after a finding (-fork=1 -ignore_crashes ...), so one bug does
# not hide the next. Exits 1 when any harness found something. Not part of CI.
#
# Environment: FUZZ_JOBS (parallel fuzzing processes per harness, default 1),
# MOMENTA_FUZZ_MAX_MESSAGE (longest error message accepted, default 1024; 0: no check).
set -euo pipefail
cd "$(dirname "$0")/.."

all=(idx cifar image safetensors checkpoint config parse hyperparams)
seconds=600
smoke=0
if [[ "${1:-}" == --smoke ]]; then
  smoke=1
  shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
  seconds=$1
  shift
fi
harnesses=("$@")
[ ${#harnesses[@]} -eq 0 ] && harnesses=("${all[@]}")
for h in "${harnesses[@]}"; do
  [[ " ${all[*]} " == *" $h "* ]] || { echo "fuzz.sh: unknown harness '$h' (known: ${all[*]})" >&2; exit 2; }
done

# ---- packages ----
scripts/install_deps.sh
missing=()
for p in clang libclang-rt-14-dev libomp-14-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "fuzz.sh: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# ---- build ----
build=build-fuzz
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# -O1: fast enough to fuzz, quick to build; assertions stay on (no NDEBUG).
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Fuzz -DCMAKE_CXX_FLAGS_FUZZ=-O1 -DCMAKE_CXX_COMPILER=clang++ \
  "${launcher[@]}" -DMOMENTA_FUZZ=ON -DMOMENTA_CUDA=OFF -DMOMENTA_BUILD_TESTS=OFF -DMOMENTA_BUILD_BENCH=OFF \
  -DMOMENTA_WERROR=ON >/dev/null
targets=(fuzz_seeds)
for h in "${harnesses[@]}"; do targets+=("${h}_fuzz"); done
cmake --build "$build" --target "${targets[@]}"
"$build/fuzz/fuzz_seeds" "$build/corpus"

# ---- run ----
export OMP_NUM_THREADS=1
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
dict_of() {
  case "$1" in
    safetensors | checkpoint) echo fuzz/dict/safetensors.dict ;;
    config) echo fuzz/dict/toml.dict ;;
    parse | hyperparams) echo fuzz/dict/parse.dict ;;
  esac
}
mkdir -p "$build/logs"
rows=()
found=0
for h in "${harnesses[@]}"; do
  corpus="$build/corpus/$h"
  crashes="$build/crashes/$h"
  log="$build/logs/$h.log"
  mkdir -p "$corpus" "$crashes"
  inputs=("$corpus")
  [ -d "fuzz/regressions/$h" ] && inputs+=("fuzz/regressions/$h")
  flags=(-rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 -artifact_prefix="$crashes/")
  dict=$(dict_of "$h")
  [ -n "$dict" ] && flags+=(-dict="$dict")
  marker="$build/logs/.$h.start"
  touch "$marker"
  if [ $smoke -eq 1 ]; then
    echo "fuzz.sh: $h: one run over ${inputs[*]}"
    rc=0
    "$build/fuzz/${h}_fuzz" "${flags[@]}" -runs=0 "${inputs[@]}" >"$log" 2>&1 || rc=$?
  else
    echo "fuzz.sh: $h: fuzzing for ${seconds}s (log $log)"
    timeout --signal=INT --kill-after=60 $((seconds + 120)) "$build/fuzz/${h}_fuzz" "${flags[@]}" \
      -max_total_time="$seconds" -fork="${FUZZ_JOBS:-1}" -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1 \
      -print_final_stats=1 "${inputs[@]}" >"$log" 2>&1 || true
  fi
  # The last status line: "#<execs> <event> cov: C ft: F corp: N/<bytes> ... exec/s: E ..."
  status=$(grep -E '^#[0-9]+' "$log" | tail -n 1 || true)
  execs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$status")
  # (-fork prints "exec/s N" for its last job only: the rate is executions over the run's time)
  field() { sed -nE "s|.* $1:? ([0-9]+).*|\1|p" <<<"$status"; }
  cov=$(field cov)
  ft=$(field ft)
  eps=$(field exec/s)
  secs=$(field time)
  [ -n "$execs" ] && [ -n "$secs" ] && [ "$secs" -gt 0 ] && eps=$((execs / secs))
  corp=$(find "$corpus" -type f | wc -l)
  new=$(find "$crashes" -type f -newer "$marker" | wc -l)
  # A run that died without a status line or was not built is a finding too.
  [ -z "$status" ] && new=$((new + 1)) && echo "fuzz.sh: $h: no libFuzzer status in $log" >&2
  if [ $smoke -eq 1 ] && [ $rc -ne 0 ]; then
    new=$((new + 1))
    echo "fuzz.sh: $h: the run over its corpus failed (exit $rc), see $log" >&2
  fi
  [ "$new" -gt 0 ] && found=1
  rows+=("$(printf '%-12s %12s %8s %7s %8s %8s %8s' "$h" "${execs:-?}" "${eps:-?}" "${cov:-?}" "${ft:-?}" "$corp" "$new")")
done

echo
printf '%-12s %12s %8s %7s %8s %8s %8s\n' harness executions exec/s cov ft corpus crashes
for r in "${rows[@]}"; do echo "$r"; done
if [ $found -ne 0 ]; then
  echo "fuzz.sh: findings: see $build/crashes/<harness>/ and $build/logs/<harness>.log" >&2
  exit 1
fi
