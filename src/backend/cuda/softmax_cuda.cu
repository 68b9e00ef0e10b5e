// CUDA softmax, log-softmax, their backward passes and the cross-entropy pieces, over the middle
// axis of a contiguous [outer, n, inner] view, as softmax_cpu.cpp computes them: the per-element
// math is kernels/softmax.h (the same functions the CPU loops call), row sums accumulate in
// double. This file only decides who computes what:
//   inner == 1: one block per row; the row's max and sums are fixed trees (row_reduce.cuh).
//   inner > 1:  one thread per (outer, inner) column, walking n in order as the CPU does.
// nll_loss: one block sums the whole batch in a fixed tree and checks every target on the
// device; the host reads the sum and the first bad row back in one copy and reports as the CPU.
#include <climits>

#include "backend/backend.h"
#include "backend/cuda/cuda_util.h"
#include "backend/cuda/row_reduce.cuh"
#include "momenta/kernels/softmax.h"

namespace momenta::backend::cuda {
namespace {

using namespace momenta::kernels;

struct MaxOp {
  __device__ double operator()(double a, double b) const { return softmax_max(a, b); }
};

// ---- softmax forward ----
template <class T>
__global__ void softmax_rows_kernel(const T* x, int64_t rows, int64_t n, bool log, T* y) {
  __shared__ double buf[kRowThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* p = x + r * n;
    T* q = y + r * n;
    // The row max: a NaN never enters (softmax_max), so the tree's order cannot matter and T
    // survives the trip through double exactly.
    T part = softmax_max_start<T>();
    for (int64_t k = threadIdx.x; k < n; k += kRowThreads) part = softmax_max(part, p[k]);
    const T mx = static_cast<T>(block_reduce(static_cast<double>(part), buf, MaxOp{}));
    double acc = 0.0;
    for (int64_t k = threadIdx.x; k < n; k += kRowThreads) acc += softmax_exp(p[k], mx);
    const double total = block_sum(acc, buf);
    if (log) {
      const T lse = softmax_lse(mx, total);
      for (int64_t k = threadIdx.x; k < n; k += kRowThreads) q[k] = log_softmax_value(p[k], lse);
    } else {
      const double inv = 1.0 / total;
      for (int64_t k = threadIdx.x; k < n; k += kRowThreads) q[k] = softmax_value(p[k], mx, inv);
    }
  }
}

template <class T>
__global__ void softmax_columns_kernel(const T* x, int64_t outer, int64_t n, int64_t inner, bool log, T* y) {
  const int64_t cols = outer * inner;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < cols; j += step) {
    const int64_t base = (j / inner) * n * inner + j % inner;
    softmax_strided_row(x + base, y + base, n, inner, log);
  }
}

// ---- softmax backward ----
template <class T>
__global__ void softmax_backward_rows_kernel(const T* y, const T* gy, int64_t rows, int64_t n, bool log, T* gx) {
  __shared__ double buf[kRowThreads];
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t base = r * n;
    double acc = 0.0;
    for (int64_t k = threadIdx.x; k < n; k += kRowThreads) acc += softmax_backward_term(gy[base + k], y[base + k], log);
    const double s = block_sum(acc, buf);
    for (int64_t k = threadIdx.x; k < n; k += kRowThreads) gx[base + k] = softmax_backward_value(gy[base + k], y[base + k], s, log);
  }
}

template <class T>
__global__ void softmax_backward_columns_kernel(const T* y, const T* gy, int64_t outer, int64_t n, int64_t inner,
                                                bool log, T* gx) {
  const int64_t cols = outer * inner;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; j < cols; j += step) {
    const int64_t base = (j / inner) * n * inner + j % inner;
    softmax_backward_strided_row(y + base, gy + base, gx + base, n, inner, log);
  }
}

// ---- cross entropy ----
// What nll_kernel hands back to the host in one copy.
struct NllResult {
  double total;        // sum over rows of -logp[r, target[r]] (valid rows only)
  long long bad_row;   // the first row whose target is outside [0, classes), or -1
  long long bad_target;
};

struct MinOp {
  __device__ long long operator()(long long a, long long b) const { return a < b ? a : b; }
};

// One block: thread t takes rows t, t + kRowThreads, ... in order; fixed trees merge.
template <class T>
__global__ void nll_kernel(const T* logp, const int64_t* target, int64_t target_stride, int64_t rows,
                           int64_t classes, NllResult* result) {
  __shared__ double sums[kRowThreads];
  __shared__ long long firsts[kRowThreads];
  double acc = 0.0;
  long long bad = LLONG_MAX;
  for (int64_t r = threadIdx.x; r < rows; r += kRowThreads) {
    const int64_t c = target[r * target_stride];
    if (c >= 0 && c < classes) {
      acc -= static_cast<double>(logp[r * classes + c]);
    } else if (r < bad) {
      bad = r;
    }
  }
  const double total = block_sum(acc, sums);
  const long long first_bad = block_reduce(bad, firsts, MinOp{});
  if (threadIdx.x == 0) {
    result->total = total;
    const bool any_bad = first_bad != LLONG_MAX;
    result->bad_row = any_bad ? first_bad : -1;
    result->bad_target = any_bad ? static_cast<long long>(target[first_bad * target_stride]) : 0;
  }
}

// gx[r, c] = scale * exp(logp[r, c]), minus scale at c == target[r]. A target outside
// [0, classes) (which nll_loss reports on the same targets) matches no class: nothing is
// written out of bounds.
template <class T>
__global__ void cross_entropy_backward_kernel(const T* logp, const int64_t* target, int64_t target_stride,
                                              int64_t rows, int64_t classes, T scale, T* gx) {
  const int64_t count = rows * classes;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += step) {
    const int64_t r = i / classes, c = i % classes;
    T g = cross_entropy_grad(logp[i], scale);
    if (c == target[r * target_stride]) g = cross_entropy_grad_target(g, scale);
    gx[i] = g;
  }
}

void check_rows(const Tensor& x, int64_t outer, int64_t n, int64_t inner, const char* what) {
  check<ShapeError>(x.is_contiguous(), what, " on CUDA: expects contiguous tensors");
  check<ShapeError>(x.numel() == outer * n * inner, what, " on CUDA: a tensor of shape ", shape_str(x.shape()),
                    " does not fit [", outer, ", ", n, ", ", inner, "]");
}

void check_same(const Tensor& a, const Tensor& b, const char* what) {
  check<ValueError>(a.device() == b.device(), what, " on CUDA: tensors on ", a.device().str(), " and ",
                    b.device().str());
  check<ShapeError>(a.dtype() == b.dtype(), what, " on CUDA: tensors of dtypes ", dtype_name(a.dtype()), " and ",
                    dtype_name(b.dtype()));
}

// logp [N, C] contiguous and target int64 [N] (any stride) on logp's device.
void check_cross_entropy(const Tensor& logp, const Tensor& target, const char* what) {
  check<ShapeError>(logp.dim() == 2 && logp.is_contiguous(), what, " on CUDA: log-probabilities must be a ",
                    "contiguous [N, C] matrix, got ", shape_str(logp.shape()));
  check<ShapeError>(target.dtype() == kInt64 && target.dim() == 1 && target.shape()[0] == logp.shape()[0], what,
                    " on CUDA: target must be int64 [", logp.shape()[0], "], got ", dtype_name(target.dtype()), " ",
                    shape_str(target.shape()));
  check<ValueError>(target.device() == logp.device(), what, " on CUDA: target on ", target.device().str(),
                    ", log-probabilities on ", logp.device().str());
}

}  // namespace

void softmax(const Tensor& x, int64_t outer, int64_t n, int64_t inner, bool log, const Tensor& out) {
  check_rows(x, outer, n, inner, "softmax");
  check_rows(out, outer, n, inner, "softmax");
  check_same(x, out, "softmax");
  if (x.numel() == 0) return;
  DeviceGuard guard(cuda_index(x, "softmax"));
  dispatch_floating(x.dtype(), "softmax on CUDA", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = static_cast<const T*>(x.raw_data());
    T* yp = static_cast<T*>(out.raw_data());
    if (inner == 1) {
      softmax_rows_kernel<T><<<row_blocks(outer), kRowThreads>>>(xp, outer, n, log, yp);
    } else {
      softmax_columns_kernel<T><<<flat_blocks(outer * inner), kRowThreads>>>(xp, outer, n, inner, log, yp);
    }
  });
  check_cuda(cudaGetLastError(), "softmax kernel");
}

void softmax_backward(const Tensor& y, const Tensor& gy, int64_t outer, int64_t n, int64_t inner, bool log,
                      const Tensor& gx) {
  check_rows(y, outer, n, inner, "softmax backward");
  check_rows(gy, outer, n, inner, "softmax backward");
  check_rows(gx, outer, n, inner, "softmax backward");
  check_same(y, gy, "softmax backward");
  check_same(y, gx, "softmax backward");
  if (y.numel() == 0) return;
  DeviceGuard guard(cuda_index(y, "softmax backward"));
  dispatch_floating(y.dtype(), "softmax backward on CUDA", [&](auto tag) {
    using T = decltype(tag);
    const T* yp = static_cast<const T*>(y.raw_data());
    const T* gp = static_cast<const T*>(gy.raw_data());
    T* xp = static_cast<T*>(gx.raw_data());
    if (inner == 1) {
      softmax_backward_rows_kernel<T><<<row_blocks(outer), kRowThreads>>>(yp, gp, outer, n, log, xp);
    } else {
      softmax_backward_columns_kernel<T><<<flat_blocks(outer * inner), kRowThreads>>>(yp, gp, outer, n, inner, log,
                                                                                      xp);
    }
  });
  check_cuda(cudaGetLastError(), "softmax backward kernel");
}

double nll_loss(const Tensor& logp, const Tensor& target) {
  check_cross_entropy(logp, target, "cross_entropy");
  const int64_t rows = logp.shape()[0], classes = logp.shape()[1];
  if (rows == 0) return 0.0;
  DeviceGuard guard(cuda_index(logp, "cross_entropy"));
  // The result struct in device memory from the caching allocator (3 x 8 bytes).
  Tensor scratch = Tensor::empty({3}, kInt64, logp.device());
  auto* dev_result = static_cast<NllResult*>(scratch.raw_data());
  const auto* tg = static_cast<const int64_t*>(target.raw_data());
  const int64_t ts = target.strides()[0];
  dispatch_floating(logp.dtype(), "cross_entropy on CUDA", [&](auto tag) {
    using T = decltype(tag);
    nll_kernel<T><<<1, kRowThreads>>>(static_cast<const T*>(logp.raw_data()), tg, ts, rows, classes, dev_result);
  });
  check_cuda(cudaGetLastError(), "cross_entropy (nll_loss) kernel");
  NllResult result;
  check_cuda(cudaMemcpy(&result, dev_result, sizeof result, cudaMemcpyDeviceToHost),
             "cudaMemcpy (cross_entropy result to the host)");
  check<ValueError>(result.bad_row < 0, "cross_entropy: target ", result.bad_target, " at row ", result.bad_row,
                    " is outside [0, ", classes, ")");
  return result.total / static_cast<double>(rows);
}

void cross_entropy_backward(const Tensor& logp, const Tensor& target, double scale, const Tensor& gx) {
  check_cross_entropy(logp, target, "cross_entropy backward");
  check<ShapeError>(gx.shape() == logp.shape() && gx.is_contiguous(), "cross_entropy backward on CUDA: gradient of ",
                    "shape ", shape_str(gx.shape()), " does not match ", shape_str(logp.shape()));
  check_same(logp, gx, "cross_entropy backward");
  const int64_t rows = logp.shape()[0], classes = logp.shape()[1];
  if (rows * classes == 0) return;
  DeviceGuard guard(cuda_index(logp, "cross_entropy backward"));
  const auto* tg = static_cast<const int64_t*>(target.raw_data());
  const int64_t ts = target.strides()[0];
  dispatch_floating(logp.dtype(), "cross_entropy backward on CUDA", [&](auto tag) {
    using T = decltype(tag);
    cross_entropy_backward_kernel<T><<<flat_blocks(rows * classes), kRowThreads>>>(
        static_cast<const T*>(logp.raw_data()), tg, ts, rows, classes, static_cast<T>(scale),
        static_cast<T*>(gx.raw_data()));
  });
  check_cuda(cudaGetLastError(), "cross_entropy backward kernel");
}

}  // namespace momenta::backend::cuda
