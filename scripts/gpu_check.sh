#!/usr/bin/env bash
# The GPU check of issue 13, for a machine with an NVIDIA GPU: runs the GPU tests (every CUDA
# kernel, update rule and whole training step against the CPU) and a short timed training run
# of each reference model on the GPU, and prints two tables: each comparison's largest error
# against the CPU, and each model's step time. Exit status: non-zero when a GPU test failed or
# no GPU is visible.
#
#   scripts/gpu_check.sh [BUILD_DIR]            (default: build; needs momenta_gpu_tests and
#                                                bench/gpu_step built there)
#   GPU_TESTS=path GPU_STEP=path scripts/gpu_check.sh   (binaries elsewhere)
#   GPU_CHECK_FILTER='CudaConv*' ...            (a gtest filter; default: every GPU test)
#   GPU_CHECK_STEPS=20                          (timed steps per model)
set -uo pipefail

build=${1:-build}
tests=${GPU_TESTS:-$build/tests/momenta_gpu_tests}
step=${GPU_STEP:-$build/bench/gpu_step}
filter=${GPU_CHECK_FILTER:-*}
steps=${GPU_CHECK_STEPS:-20}
log=${GPU_CHECK_LOG:-$(mktemp /tmp/gpu_check.XXXXXX.log)}

for f in "$tests" "$step"; do
  if [[ ! -x $f ]]; then
    echo "gpu_check: $f is not built (cmake --build $build --target momenta_gpu_tests gpu_step)" >&2
    exit 2
  fi
done
if ! command -v nvidia-smi >/dev/null || ! nvidia-smi -L >/dev/null 2>&1; then
  echo "gpu_check: no NVIDIA GPU visible here (nvidia-smi -L failed); nothing to check" >&2
  exit 2
fi

echo "## GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
echo

echo "## GPU tests ($tests, filter '$filter')"
"$tests" --gtest_filter="$filter" --gtest_color=no >"$log" 2>&1
status=$?
grep -E '^\[  (PASSED|FAILED|SKIPPED) ' "$log" | sort | uniq -c | sed 's/^ */  /'
grep -E '^\[  FAILED  \] [A-Za-z]' "$log" | sort -u | sed 's/^/  /'
echo

echo "## Largest error against the CPU, per comparison"
echo "| comparison | max abs error | max rel error (|cpu| > 1e-3) | |"
echo "|---|---|---|---|"
grep -F '[ max err  ]' "$log" | sed 's/^\[ max err  \] /| /; s/$/ |/'
echo

echo "## Whole training steps against the CPU (norm-relative error after 3 steps)"
grep -F '[ models   ]' "$log" | sed 's/^\[ models   \] /  /'
echo

echo "## Step time on the GPU (batch 128, SGD momentum, median of $steps steps)"
"$step" --device cuda --steps "$steps"
step_status=$?
echo
echo "full test log: $log"
if [[ $status -ne 0 || $step_status -ne 0 ]]; then
  echo "gpu_check: FAILED (tests exit $status, gpu_step exit $step_status)"
  exit 1
fi
echo "gpu_check: all GPU tests passed"
