// CUDA reductions (sum, max, argmax) over the middle axis of a contiguous [outer, n, inner]
// view, as reduce_cpu.cpp computes them: sums accumulate in double, max and argmax follow
// kernels/reduce.h (the first maximal element wins; a NaN wins and propagates).
//   inner == 1: one block per row (row_reduce.cuh); thread t takes elements t, t + 256, ... in
//               order, then a fixed tree merges the threads' partials.
//   inner > 1:  one thread per (outer, inner) column walks n in order: the CPU's own loop, so
//               sums, max and argmax are the CPU's bits.
#include "backend/backend.h"
#include "backend/cuda/cuda_util.h"
#include "backend/cuda/row_reduce.cuh"
#include "momenta/kernels/reduce.h"

namespace momenta::backend::cuda {
namespace {

using kernels::reduce_max_merge_takes;
using kernels::reduce_max_strided_row;
using kernels::reduce_max_takes;

template <class T>
__global__ void sum_rows_kernel(const T* x, int64_t rows, int64_t n, T* out) {
  __shared__ double buf[kRowThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* row = x + r * n;
    double acc = 0.0;
    for (int64_t k = threadIdx.x; k < n; k += kRowThreads) acc += static_cast<double>(row[k]);
    const double total = block_sum(acc, buf);
    if (threadIdx.x == 0) out[r] = static_cast<T>(total);
  }
}

template <class T>
__global__ void sum_columns_kernel(const T* x, int64_t outer, int64_t n, int64_t inner, T* out) {
  const int64_t cols = outer * inner;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < cols; j += step) {
    const T* p = x + (j / inner) * n * inner + j % inner;
    double acc = 0.0;
    for (int64_t k = 0; k < n; ++k) acc += static_cast<double>(p[k * inner]);
    out[j] = static_cast<T>(acc);
  }
}

// Writes the max (kArg false, into T* out) or its index (kArg true, into int64_t* out).
template <class T, bool kArg>
__global__ void max_rows_kernel(const T* x, int64_t rows, int64_t n, void* out) {
  __shared__ T vals[kRowThreads];
  __shared__ int64_t idxs[kRowThreads];
  const int t = static_cast<int>(threadIdx.x);
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* row = x + r * n;
    // This thread's winner among elements t, t + kRowThreads, ... (index -1: none).
    T best = T(0);
    int64_t arg = -1;
    for (int64_t k = t; k < n; k += kRowThreads) {
      const T v = row[k];
      if (arg < 0 || reduce_max_takes(v, best)) {
        best = v;
        arg = k;
      }
    }
    vals[t] = best;
    idxs[t] = arg;
    __syncthreads();
    for (int s = kRowThreads / 2; s > 0; s >>= 1) {
      if (t < s && reduce_max_merge_takes(vals[t + s], idxs[t + s], vals[t], idxs[t])) {
        vals[t] = vals[t + s];
        idxs[t] = idxs[t + s];
      }
      __syncthreads();
    }
    if (t == 0) {
      if constexpr (kArg) {
        static_cast<int64_t*>(out)[r] = idxs[0];
      } else {
        static_cast<T*>(out)[r] = vals[0];
      }
    }
    __syncthreads();  // vals and idxs are written again for the next row
  }
}

template <class T, bool kArg>
__global__ void max_columns_kernel(const T* x, int64_t outer, int64_t n, int64_t inner, void* out) {
  const int64_t cols = outer * inner;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < cols; j += step) {
    int64_t arg = 0;
    const T best = reduce_max_strided_row(x + (j / inner) * n * inner + j % inner, n, inner, arg);
    if constexpr (kArg) {
      static_cast<int64_t*>(out)[j] = arg;
    } else {
      static_cast<T*>(out)[j] = best;
    }
  }
}

template <class T, bool kArg>
void launch_max(const T* x, int64_t outer, int64_t n, int64_t inner, void* out) {
  if (inner == 1) {
    max_rows_kernel<T, kArg><<<row_blocks(outer), kRowThreads>>>(x, outer, n, out);
  } else {
    max_columns_kernel<T, kArg><<<flat_blocks(outer * inner), kRowThreads>>>(x, outer, n, inner, out);
  }
}

}  // namespace

void reduce(ReduceOp op, const Tensor& x, int64_t outer, int64_t n, int64_t inner, const Tensor& out) {
  check<ShapeError>(x.is_contiguous() && out.is_contiguous(), "reduce on CUDA: expects contiguous tensors");
  check<ShapeError>(x.numel() == outer * n * inner && out.numel() == outer * inner, "reduce on CUDA: tensors of ",
                    x.numel(), " and ", out.numel(), " elements do not fit [", outer, ", ", n, ", ", inner, "]");
  check<ValueError>(x.device() == out.device(), "reduce on CUDA: input on ", x.device().str(), ", output on ",
                    out.device().str());
  const DType want = op == ReduceOp::kArgmax ? kInt64 : x.dtype();
  check<ShapeError>(out.dtype() == want, "reduce on CUDA: output is ", dtype_name(out.dtype()), ", expected ",
                    dtype_name(want));
  if (outer * inner == 0) return;
  check<ShapeError>(n > 0 || op == ReduceOp::kSum, "max/argmax on CUDA: the reduced axis is empty");
  DeviceGuard guard(cuda_index(x, "reduce"));
  dispatch_floating(x.dtype(), "reduction on CUDA", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = static_cast<const T*>(x.raw_data());
    switch (op) {
      case ReduceOp::kSum:
        if (inner == 1) {
          sum_rows_kernel<T><<<row_blocks(outer), kRowThreads>>>(xp, outer, n, static_cast<T*>(out.raw_data()));
        } else {
          sum_columns_kernel<T><<<flat_blocks(outer * inner), kRowThreads>>>(xp, outer, n, inner,
                                                                             static_cast<T*>(out.raw_data()));
        }
        break;
      case ReduceOp::kMax: launch_max<T, false>(xp, outer, n, inner, out.raw_data()); break;
      case ReduceOp::kArgmax: launch_max<T, true>(xp, outer, n, inner, out.raw_data()); break;
    }
  });
  check_cuda(cudaGetLastError(), "reduce kernel");
}

}  // namespace momenta::backend::cuda
