# momenta: tuned_env.sh (the unchanged copy is bench/pytorch/tuned_env.sh) made safe on CPUs without AVX-512.
# source this to get the "tuned" PyTorch baseline used in results.md
# OpenBLAS 0.3.21 autodetects the Intel Xeon model 207 as Prescott (SSE3 kernels): force SkylakeX there.
# Only on a CPU with AVX-512: elsewhere (e.g. AMD EPYC Zen 3, which 0.3.21 detects correctly as Zen)
# the SkylakeX kernels die with SIGILL.
if grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
  export OPENBLAS_CORETYPE=SkylakeX
else
  unset OPENBLAS_CORETYPE
fi
export OPENBLAS_NUM_THREADS=1              # avoid OpenBLAS pthreads fighting torch's OpenMP threads on 2 cores
export GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=68719476736   # no mmap/munmap (page faults) per big temporary
# and in Python: torch.set_num_threads(2)  (the default here is 1)
# PyTorch needs an optimised libblas.so.3: with only Debian's reference BLAS (libblas3) its sgemm runs at
# ~3 GFLOP/s. `apt-get install libopenblas0-openmp` (one OpenMP runtime, libgomp, shared with torch).
