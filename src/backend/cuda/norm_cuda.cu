// CUDA batch norm and group norm on plain contiguous [N, C, inner] tensors (the NCHW layout that
// cuDNN and our convolution produce; the channel-blocked layout, lanes > 0, is CPU-only).
// The per-element and per-channel math is kernels/norm.h, the code the CPU kernels call; this
// file only reduces and launches.
//
// Determinism (no floating-point atomics): every reduction is one block of kThreads threads per
// channel (batch norm; group norm's weight and bias gradients) or per (n, group) row (group
// norm), each thread summing a fixed strided subset of the values in double, then a fixed
// shared-memory tree. The same inputs give the same bits on every run. The sums are in double
// like the CPU's (sum8), in another order, so the two devices agree to double rounding before
// the results are rounded to T.
#include <algorithm>
#include <initializer_list>

#include "backend/backend.h"
#include "backend/cuda/cuda_util.h"
#include "momenta/kernels/elementwise.h"
#include "momenta/kernels/norm.h"

namespace momenta::backend::cuda {
namespace {

using namespace momenta::kernels;

// Threads of a reducing block; block_sum's tree assumes exactly this many. Batch norm has only
// C blocks, so each is as wide as a block can be (__launch_bounds__ keeps the registers within).
constexpr int kThreads = 1024;
constexpr int kElemThreads = 256;      // elementwise kernels
constexpr int64_t kMaxBlocks = 65536;  // elementwise kernels: a grid-stride loop covers the rest
constexpr int64_t kMaxGrid = 2147483647;

// Sums v[0..K) over the block's kThreads threads in a fixed tree; every thread gets the totals.
template <int K>
__device__ void block_sum(double (&v)[K]) {
  __shared__ double buf[K][kThreads];
  const int t = static_cast<int>(threadIdx.x);
#pragma unroll
  for (int k = 0; k < K; ++k) buf[k][t] = v[k];
  __syncthreads();
  for (int s = kThreads / 2; s > 0; s >>= 1) {
    if (t < s) {
#pragma unroll
      for (int k = 0; k < K; ++k) buf[k][t] += buf[k][t + s];
    }
    __syncthreads();
  }
#pragma unroll
  for (int k = 0; k < K; ++k) v[k] = buf[k][0];
  __syncthreads();  // buf is free for the next call
}

// Element j in [0, n * inner) of channel ch of a contiguous [n, c, inner] tensor.
__device__ __forceinline__ int64_t channel_at(int64_t j, int64_t ch, int64_t c, int64_t inner) {
  return ((j / inner) * c + ch) * inner + j % inner;
}

template <class T>
__device__ __forceinline__ double opt_value(const T* p, int64_t i, double absent) {
  return p ? static_cast<double>(p[i]) : absent;
}

// ---- batch norm: one block per channel over its n * inner values ----

template <class T>
__global__ void __launch_bounds__(kThreads)
    bn_stats_kernel(const T* x, int64_t n, int64_t c, int64_t inner, T* mean, T* var) {
  const int64_t ch = blockIdx.x, count = n * inner;
  double s[1] = {0.0};
  for (int64_t j = threadIdx.x; j < count; j += kThreads) s[0] += static_cast<double>(x[channel_at(j, ch, c, inner)]);
  block_sum(s);
  const double m = s[0] / static_cast<double>(count);
  double q[1] = {0.0};
  for (int64_t j = threadIdx.x; j < count; j += kThreads) {
    const double e = static_cast<double>(x[channel_at(j, ch, c, inner)]) - m;
    q[0] += e * e;
  }
  block_sum(q);
  if (threadIdx.x == 0) {
    mean[ch] = static_cast<T>(m);
    var[ch] = static_cast<T>(q[0] / static_cast<double>(count));
  }
}

// scale_shift[ch] and scale_shift[c + ch], one thread per channel.
template <class T>
__global__ void bn_scale_shift_kernel(const T* mean, const T* var, const T* w, const T* b, double eps, int64_t c,
                                      T* scale_shift) {
  const int64_t ch = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (ch >= c) return;
  batch_norm_scale_shift<T>(static_cast<double>(mean[ch]), static_cast<double>(var[ch]), opt_value(w, ch, 1.0),
                            opt_value(b, ch, 0.0), eps, scale_shift[ch], scale_shift[c + ch]);
}

template <class T>
__global__ void bn_apply_kernel(const T* x, const T* scale_shift, const T* res, bool relu, int64_t total, int64_t c,
                                int64_t inner, T* y) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; k < total; k += step) {
    const int64_t ch = (k / inner) % c;
    T v = norm_affine(x[k], scale_shift[ch], scale_shift[c + ch]);
    if (res) v = v + res[k];
    if (relu) v = ReluOp{}(v);
    y[k] = v;
  }
}

// The gradient reaching the batch norm: gy masked by the fused ReLU's output when there was one.
template <class T>
__device__ __forceinline__ T bn_masked(const T* gy, const T* y_relu, int64_t k) {
  return y_relu ? ReluBackwardOp{}(gy[k], y_relu[k]) : gy[k];
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    bn_backward_kernel(const T* x, const T* gy, const T* y_relu, const T* mean, const T* var, const T* w, double eps,
                       bool batch_stats, int64_t n, int64_t c, int64_t inner, T* gx, T* gw, T* gb, T* g_res) {
  const int64_t ch = blockIdx.x, count = n * inner;
  const double m = static_cast<double>(mean[ch]);
  double s[2] = {0.0, 0.0};  // sum gm, sum gm * (x - mean)
  for (int64_t j = threadIdx.x; j < count; j += kThreads) {
    const int64_t k = channel_at(j, ch, c, inner);
    const T g = bn_masked(gy, y_relu, k);
    if (g_res) g_res[k] = g;
    s[0] += static_cast<double>(g);
    s[1] += static_cast<double>(g) * (static_cast<double>(x[k]) - m);
  }
  block_sum(s);
  const double rstd = norm_rstd(static_cast<double>(var[ch]), eps);
  if (threadIdx.x == 0) {
    if (gb) gb[ch] = static_cast<T>(s[0]);
    if (gw) gw[ch] = static_cast<T>(batch_norm_grad_weight(s[1], rstd));
  }
  if (!gx) return;
  T a, b, d;
  batch_norm_backward_coeffs<T>(m, rstd, opt_value(w, ch, 1.0), s[0], s[1], static_cast<double>(count), batch_stats, a,
                                b, d);
  for (int64_t j = threadIdx.x; j < count; j += kThreads) {
    const int64_t k = channel_at(j, ch, c, inner);
    gx[k] = norm_backward_elem(a, bn_masked(gy, y_relu, k), b, x[k], d);
  }
}

// ---- group norm: one block per (n, group) row of d = cg * inner contiguous values ----

template <class T>
__global__ void __launch_bounds__(kThreads)
    gn_forward_kernel(const T* x, const T* w, const T* b, double eps, int64_t groups, int64_t cg, int64_t inner, T* y,
                      T* mean, T* rstd) {
  const int64_t row = blockIdx.x, d = cg * inner;
  const T* xr = x + row * d;
  double s[1] = {0.0};
  for (int64_t k = threadIdx.x; k < d; k += kThreads) s[0] += static_cast<double>(xr[k]);
  block_sum(s);
  const double m = s[0] / static_cast<double>(d);
  double q[1] = {0.0};
  for (int64_t k = threadIdx.x; k < d; k += kThreads) {
    const double e = static_cast<double>(xr[k]) - m;
    q[0] += e * e;
  }
  block_sum(q);
  const double r = norm_rstd(q[0] / static_cast<double>(d), eps);
  if (threadIdx.x == 0) {
    mean[row] = static_cast<T>(m);
    rstd[row] = static_cast<T>(r);
  }
  T* yr = y + row * d;
  for (int64_t k = threadIdx.x; k < d; k += kThreads) {
    const int64_t c = (row % groups) * cg + k / inner;
    T sc, sh;
    group_norm_scale_shift<T>(m, r, opt_value(w, c, 1.0), opt_value(b, c, 0.0), sc, sh);
    yr[k] = norm_affine(xr[k], sc, sh);
  }
}

template <class T>
__global__ void __launch_bounds__(kThreads)
    gn_backward_x_kernel(const T* x, const T* gy, const T* mean, const T* rstd, const T* w, int64_t groups, int64_t cg,
                         int64_t inner, T* gx) {
  const int64_t row = blockIdx.x, d = cg * inner;
  const T *xr = x + row * d, *gr = gy + row * d;
  const double m = static_cast<double>(mean[row]), r = static_cast<double>(rstd[row]);
  double s[2] = {0.0, 0.0};  // sum gh and sum gh * (x - mean), gh = gy * w[c]
  for (int64_t k = threadIdx.x; k < d; k += kThreads) {
    const double wc = opt_value(w, (row % groups) * cg + k / inner, 1.0), g = static_cast<double>(gr[k]);
    s[0] += wc * g;
    s[1] += wc * (g * (static_cast<double>(xr[k]) - m));
  }
  block_sum(s);
  T b, e;
  group_norm_backward_coeffs<T>(m, r, s[0], s[1], static_cast<double>(d), b, e);
  T* out = gx + row * d;
  for (int64_t k = threadIdx.x; k < d; k += kThreads) {
    const T a = group_norm_backward_a<T>(r, opt_value(w, (row % groups) * cg + k / inner, 1.0));
    out[k] = norm_backward_elem(a, gr[k], b, xr[k], e);
  }
}

// gw[c] = sum gy * xhat and gb[c] = sum gy over (n, inner): one block per channel.
template <class T>
__global__ void __launch_bounds__(kThreads)
    gn_backward_param_kernel(const T* x, const T* gy, const T* mean, const T* rstd, int64_t n, int64_t c,
                             int64_t groups, int64_t cg, int64_t inner, T* gw, T* gb) {
  const int64_t ch = blockIdx.x, count = n * inner;
  double s[2] = {0.0, 0.0};  // sum gy, sum gy * xhat
  for (int64_t j = threadIdx.x; j < count; j += kThreads) {
    const int64_t k = channel_at(j, ch, c, inner), row = (j / inner) * groups + ch / cg;
    const double g = static_cast<double>(gy[k]);
    s[0] += g;
    s[1] += static_cast<double>(rstd[row]) * (g * (static_cast<double>(x[k]) - static_cast<double>(mean[row])));
  }
  block_sum(s);
  if (threadIdx.x == 0) {
    if (gw) gw[ch] = static_cast<T>(s[1]);
    if (gb) gb[ch] = static_cast<T>(s[0]);
  }
}

// ---- host side ----

struct Geometry {
  int64_t n, c, inner;
};

// x as [N, C, inner]; every defined tensor must be contiguous on x's CUDA device.
Geometry geometry(const Tensor& x, std::initializer_list<const Tensor*> others, const char* what) {
  check<ShapeError>(x.dim() >= 2, what, " on CUDA: expected an [N, C, ...] input, got ", shape_str(x.shape()));
  for (const Tensor* t : others) {
    if (!t->defined()) continue;
    check<ValueError>(t->device() == x.device(), what, " on CUDA: tensors on ", x.device().str(), " and ",
                      t->device().str());
    check<ValueError>(t->dtype() == x.dtype(), what, " on CUDA: expected ", dtype_name(x.dtype()), " tensors, got ",
                      dtype_name(t->dtype()));
    check<ValueError>(t->is_contiguous(), what, " on CUDA: expected contiguous tensors");
  }
  check<ValueError>(x.is_contiguous(), what, " on CUDA: expected a contiguous input");
  Geometry g{x.shape()[0], x.shape()[1], 1};
  for (int64_t d = 2; d < x.dim(); ++d) g.inner *= x.shape()[d];
  return g;
}

void check_plain(int64_t lanes, const char* what) {
  check<NotSupportedError>(lanes == 0, what, " on CUDA supports only the plain [N, C, ...] layout (lanes 0); the ",
                           "channel-blocked layout with ", lanes, " lanes is CPU-only");
}

template <class T>
const T* cptr(const Tensor& t) {
  return t.defined() ? static_cast<const T*>(t.raw_data()) : nullptr;
}
template <class T>
T* mptr(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.raw_data()) : nullptr;
}

unsigned grid_of(int64_t blocks, const char* what) {
  check<ValueError>(blocks <= kMaxGrid, what, " on CUDA: ", blocks, " blocks exceed the grid limit");
  return static_cast<unsigned>(blocks);
}

}  // namespace

void batch_norm_stats(const Tensor& x, int64_t lanes, const Tensor& mean, const Tensor& var) {
  check_plain(lanes, "batch_norm");
  const Geometry g = geometry(x, {&mean, &var}, "batch_norm");
  if (g.c == 0) return;
  DeviceGuard guard(cuda_index(x, "batch_norm"));
  dispatch_floating(x.dtype(), "batch_norm on CUDA", [&](auto tag) {
    using T = decltype(tag);
    bn_stats_kernel<T>
        <<<grid_of(g.c, "batch_norm"), kThreads>>>(cptr<T>(x), g.n, g.c, g.inner, mptr<T>(mean), mptr<T>(var));
  });
  check_cuda(cudaGetLastError(), "batch_norm stats kernel");
}

void batch_norm_apply(const Tensor& x, int64_t lanes, const Tensor& mean, const Tensor& var, const Tensor& weight,
                      const Tensor& bias, double eps, const Tensor& residual, bool relu, const Tensor& y) {
  check_plain(lanes, "batch_norm");
  const Geometry g = geometry(x, {&mean, &var, &weight, &bias, &residual, &y}, "batch_norm");
  const int64_t total = x.numel();
  if (g.c == 0) return;
  DeviceGuard guard(cuda_index(x, "batch_norm"));
  const Tensor scale_shift = Tensor::empty({2 * g.c}, x.dtype(), x.device());
  dispatch_floating(x.dtype(), "batch_norm on CUDA", [&](auto tag) {
    using T = decltype(tag);
    bn_scale_shift_kernel<T><<<grid_of((g.c + kElemThreads - 1) / kElemThreads, "batch_norm"), kElemThreads>>>(
        cptr<T>(mean), cptr<T>(var), cptr<T>(weight), cptr<T>(bias), eps, g.c, mptr<T>(scale_shift));
    check_cuda(cudaGetLastError(), "batch_norm scale/shift kernel");
    if (total == 0) return;
    const int64_t blocks = std::min<int64_t>((total + kElemThreads - 1) / kElemThreads, kMaxBlocks);
    bn_apply_kernel<T><<<static_cast<unsigned>(blocks), kElemThreads>>>(
        cptr<T>(x), cptr<T>(scale_shift), cptr<T>(residual), relu, total, g.c, g.inner, mptr<T>(y));
    check_cuda(cudaGetLastError(), "batch_norm apply kernel");
  });
}

void batch_norm_backward(const Tensor& x, int64_t lanes, const Tensor& gy, const Tensor& y_relu, const Tensor& mean,
                         const Tensor& var, const Tensor& weight, double eps, bool batch_stats, const Tensor& gx,
                         const Tensor& gw, const Tensor& gb, const Tensor& g_residual) {
  check_plain(lanes, "batch_norm backward");
  const Geometry g =
      geometry(x, {&gy, &y_relu, &mean, &var, &weight, &gx, &gw, &gb, &g_residual}, "batch_norm backward");
  if (g.c == 0 || (!gx.defined() && !gw.defined() && !gb.defined() && !g_residual.defined())) return;
  DeviceGuard guard(cuda_index(x, "batch_norm backward"));
  dispatch_floating(x.dtype(), "batch_norm backward on CUDA", [&](auto tag) {
    using T = decltype(tag);
    bn_backward_kernel<T><<<grid_of(g.c, "batch_norm backward"), kThreads>>>(
        cptr<T>(x), cptr<T>(gy), cptr<T>(y_relu), cptr<T>(mean), cptr<T>(var), cptr<T>(weight), eps, batch_stats, g.n,
        g.c, g.inner, mptr<T>(gx), mptr<T>(gw), mptr<T>(gb), mptr<T>(g_residual));
  });
  check_cuda(cudaGetLastError(), "batch_norm backward kernel");
}

void group_norm_forward(const Tensor& x, int64_t lanes, int64_t groups, const Tensor& weight, const Tensor& bias, double eps,
                        bool silu, const Tensor& y, const Tensor& mean, const Tensor& rstd) {
  check_plain(lanes, "group_norm");
  check<NotSupportedError>(!silu, "group_norm with a fused SiLU is CPU-only (group_norm_silu runs the two ops on CUDA)");
  const Geometry g = geometry(x, {&weight, &bias, &y, &mean, &rstd}, "group_norm");
  check<ValueError>(groups > 0 && g.c % groups == 0, "group_norm: ", g.c, " channels do not split into ", groups,
                    " groups");
  const int64_t rows = g.n * groups;
  if (rows == 0) return;
  DeviceGuard guard(cuda_index(x, "group_norm"));
  dispatch_floating(x.dtype(), "group_norm on CUDA", [&](auto tag) {
    using T = decltype(tag);
    gn_forward_kernel<T><<<grid_of(rows, "group_norm"), kThreads>>>(cptr<T>(x), cptr<T>(weight), cptr<T>(bias), eps,
                                                                    groups, g.c / groups, g.inner, mptr<T>(y),
                                                                    mptr<T>(mean), mptr<T>(rstd));
  });
  check_cuda(cudaGetLastError(), "group_norm forward kernel");
}

void group_norm_backward(const Tensor& x, int64_t lanes, const Tensor& gy, int64_t groups, const Tensor& mean, const Tensor& rstd,
                         const Tensor& weight, const Tensor& /*bias*/, bool silu, const Tensor& gx, const Tensor& gw,
                         const Tensor& gb) {
  check_plain(lanes, "group_norm backward");
  check<NotSupportedError>(!silu, "group_norm with a fused SiLU is CPU-only (group_norm_silu runs the two ops on CUDA)");
  const Geometry g = geometry(x, {&gy, &mean, &rstd, &weight, &gx, &gw, &gb}, "group_norm backward");
  check<ValueError>(groups > 0 && g.c % groups == 0, "group_norm backward: ", g.c, " channels do not split into ",
                    groups, " groups");
  const int64_t rows = g.n * groups, cg = g.c / groups;
  DeviceGuard guard(cuda_index(x, "group_norm backward"));
  dispatch_floating(x.dtype(), "group_norm backward on CUDA", [&](auto tag) {
    using T = decltype(tag);
    if (gx.defined() && rows > 0) {
      gn_backward_x_kernel<T><<<grid_of(rows, "group_norm backward"), kThreads>>>(
          cptr<T>(x), cptr<T>(gy), cptr<T>(mean), cptr<T>(rstd), cptr<T>(weight), groups, cg, g.inner, mptr<T>(gx));
      check_cuda(cudaGetLastError(), "group_norm backward (input) kernel");
    }
    if ((gw.defined() || gb.defined()) && g.c > 0) {
      gn_backward_param_kernel<T>
          <<<grid_of(g.c, "group_norm backward"), kThreads>>>(cptr<T>(x), cptr<T>(gy), cptr<T>(mean), cptr<T>(rstd),
                                                              g.n, g.c, groups, cg, g.inner, mptr<T>(gw), mptr<T>(gb));
      check_cuda(cudaGetLastError(), "group_norm backward (weight, bias) kernel");
    }
  });
}

}  // namespace momenta::backend::cuda
