// Launch shapes and deterministic block reductions shared by the CUDA row kernels
// (reduce_cuda.cu, softmax_cuda.cu). A "row" kernel gives each row of a contiguous
// [rows, n] view one block of kRowThreads threads (grid-stride over rows); a "column" kernel
// gives each (outer, inner) column of [outer, n, inner] one thread, which walks n in order.
// No floating-point atomics anywhere: the same inputs give the same bits on every run.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "backend/cuda/cuda_util.h"

namespace momenta::backend::cuda {

constexpr int kRowThreads = 256;  // a power of two: the trees below halve it
constexpr int64_t kMaxBlocks1d = 65535;

// Blocks for a row kernel over `rows` rows (each block loops over rows with stride gridDim.x).
inline unsigned row_blocks(int64_t rows) { return static_cast<unsigned>(std::min<int64_t>(rows, kMaxBlocks1d)); }

// Blocks for a grid-stride loop over `count` items with kRowThreads threads each.
inline unsigned flat_blocks(int64_t count) {
  return static_cast<unsigned>(std::min<int64_t>((count + kRowThreads - 1) / kRowThreads, kMaxBlocks1d));
}

// op(v of every thread of the block), combined in a fixed tree: thread t with t + s for
// s = kRowThreads / 2, ..., 1. Every thread gets the result. `buf` is a __shared__ array of
// kRowThreads elements; every thread of the block must call this (it synchronises).
template <class V, class Op>
__device__ V block_reduce(V v, V* buf, Op op) {
  const int t = static_cast<int>(threadIdx.x);
  buf[t] = v;
  __syncthreads();
  for (int s = kRowThreads / 2; s > 0; s >>= 1) {
    if (t < s) buf[t] = op(buf[t], buf[t + s]);
    __syncthreads();
  }
  const V result = buf[0];
  __syncthreads();  // buf may be written again at once
  return result;
}

struct PlusOp {
  __device__ double operator()(double a, double b) const { return a + b; }
};

__device__ inline double block_sum(double v, double* buf) { return block_reduce(v, buf, PlusOp{}); }

}  // namespace momenta::backend::cuda
