// MOMENTA_HD marks per-element math compiled by g++ for the CPU and by nvcc for CUDA
// (DESIGN principle 2): the CPU tests exercise the exact arithmetic the GPU runs.
#pragma once

#if defined(__CUDACC__)
#define MOMENTA_HD __host__ __device__ __forceinline__
#else
#define MOMENTA_HD inline
#endif
// The same, always inlined on the CPU too: for math whose loop only vectorises when the body is
// inlined, and which g++ leaves out of line in loops with several variants (run_binary's).
#if defined(__CUDACC__)
#define MOMENTA_HD_INLINE MOMENTA_HD
#else
#define MOMENTA_HD_INLINE inline __attribute__((always_inline))
#endif
