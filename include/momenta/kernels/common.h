// MOMENTA_HD marks per-element math compiled by g++ for the CPU and by nvcc for CUDA
// (DESIGN principle 2): the CPU tests exercise the exact arithmetic the GPU runs.
#pragma once

#if defined(__CUDACC__)
#define MOMENTA_HD __host__ __device__ __forceinline__
#else
#define MOMENTA_HD inline
#endif
