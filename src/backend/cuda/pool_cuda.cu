// CUDA 2-D max and average pooling over contiguous NCHW. The window bounds, the average's divisor
// and the max comparison are kernels/pool.h's, the same code the CPU kernel runs.
//
// Forward: one thread per output element. Backward: a gather, one thread per input element,
// which sums the gradients of the output positions whose window covers it, in increasing output
// order -- the order in which the CPU kernel scatters them -- so the result is deterministic and
// equals the CPU's bit for bit (no atomics).
#include <algorithm>

#include "backend/backend.h"
#include "backend/cuda/cuda_util.h"
#include "momenta/kernels/pool.h"

namespace momenta::backend::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65536;  // a grid-stride loop covers the rest

unsigned blocks_for(int64_t n) {
  return static_cast<unsigned>(std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxBlocks));
}

// The geometry, copied by value into the kernels.
struct PoolGeom {
  int64_t h, w, p, q, r, s, stride_h, stride_w, pad_h, pad_w;
  bool max, count_include_pad;
};

PoolGeom make_geom(const Pool2dParams& p) {
  return PoolGeom{p.h,        p.w,        p.p,     p.q,     p.r,
                  p.s,        p.stride_h, p.stride_w, p.pad_h, p.pad_w,
                  p.kind == PoolKind::kMax, p.count_include_pad};
}

__device__ kernels::PoolWindow window_of(const PoolGeom& g, int64_t oh, int64_t ow) {
  return kernels::pool_window(oh, ow, g.h, g.w, g.r, g.s, g.stride_h, g.stride_w, g.pad_h, g.pad_w,
                              g.count_include_pad);
}

// total = N * C * P * Q outputs.
template <class T>
__global__ void pool_forward_kernel(PoolGeom g, int64_t total, const T* x, T* y, int64_t* idx) {
  const int64_t pq = g.p * g.q, hw = g.h * g.w;
  for (int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < total;
       o += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t plane = o / pq, rem = o % pq, oh = rem / g.q, ow = rem % g.q;
    const T* xp = x + plane * hw;
    const kernels::PoolWindow win = window_of(g, oh, ow);
    if (g.max) {
      y[o] = kernels::pool_window_max(xp, g.w, win, idx[o]);
    } else {
      y[o] = kernels::pool_window_avg(xp, g.w, win);
    }
  }
}

// total = N * C * H * W inputs. Output row oh covers input row ih when
// oh * stride_h - pad_h <= ih < oh * stride_h - pad_h + r, i.e. for oh in
// [ceil((ih + pad_h - r + 1) / stride_h), floor((ih + pad_h) / stride_h)]; columns alike.
template <class T>
__global__ void pool_backward_kernel(PoolGeom g, int64_t total, const T* gy, const int64_t* idx, T* gx) {
  const int64_t pq = g.p * g.q, hw = g.h * g.w;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t plane = i / hw, flat = i % hw, ih = flat / g.w, iw = flat % g.w;
    const int64_t lo_h = ih + g.pad_h - g.r + 1, lo_w = iw + g.pad_w - g.s + 1;
    const int64_t oh0 = lo_h <= 0 ? 0 : (lo_h + g.stride_h - 1) / g.stride_h;
    const int64_t ow0 = lo_w <= 0 ? 0 : (lo_w + g.stride_w - 1) / g.stride_w;
    const int64_t hi_h = (ih + g.pad_h) / g.stride_h, hi_w = (iw + g.pad_w) / g.stride_w;
    const int64_t oh1 = hi_h < g.p - 1 ? hi_h : g.p - 1;  // inclusive
    const int64_t ow1 = hi_w < g.q - 1 ? hi_w : g.q - 1;
    const T* gyp = gy + plane * pq;
    const int64_t* idxp = g.max ? idx + plane * pq : nullptr;
    T acc = T(0);
    for (int64_t oh = oh0; oh <= oh1; ++oh)
      for (int64_t ow = ow0; ow <= ow1; ++ow) {
        const int64_t o = oh * g.q + ow;
        if (g.max) {
          if (idxp[o] == flat) acc += gyp[o];
        } else {
          acc += kernels::pool_avg_grad(gyp[o], window_of(g, oh, ow));
        }
      }
    gx[i] = acc;
  }
}

void check_pool_args(const Pool2dParams& p, const Tensor& a, const Tensor& b, const char* what) {
  check<ValueError>(cuda_index(a, what) == cuda_index(b, what), what, ": tensors on different CUDA devices");
  check<ValueError>(a.is_contiguous() && b.is_contiguous(), what, " on CUDA: expected contiguous NCHW tensors");
  check<ValueError>(p.stride_h > 0 && p.stride_w > 0 && p.r > 0 && p.s > 0, what,
                    " on CUDA: window and stride must be positive");
}

}  // namespace

void pool2d(const Pool2dParams& p, const Tensor& x, const Tensor& y, const Tensor& indices) {
  check_pool_args(p, x, y, "pool2d");
  const bool max = p.kind == PoolKind::kMax;
  if (max) check<ValueError>(indices.defined() && indices.dtype() == DType::kInt64 &&
                             cuda_index(indices, "pool2d") == cuda_index(x, "pool2d"),
                             "pool2d on CUDA: max pooling needs int64 indices on the same device");
  const int64_t total = p.n * p.c * p.p * p.q;
  if (total == 0) return;
  DeviceGuard guard(cuda_index(x, "pool2d"));
  int64_t* idx = max ? static_cast<int64_t*>(indices.raw_data()) : nullptr;
  dispatch_floating(x.dtype(), "pool2d on CUDA", [&](auto tag) {
    using T = decltype(tag);
    pool_forward_kernel<T><<<blocks_for(total), kThreads>>>(make_geom(p), total, static_cast<const T*>(x.raw_data()),
                                                             static_cast<T*>(y.raw_data()), idx);
    check_cuda(cudaGetLastError(), "pool2d kernel");
  });
}

void pool2d_backward(const Pool2dParams& p, const Tensor& gy, const Tensor& indices, const Tensor& gx) {
  check_pool_args(p, gy, gx, "pool2d backward");
  const bool max = p.kind == PoolKind::kMax;
  if (max) check<ValueError>(indices.defined() && indices.dtype() == DType::kInt64 &&
                             cuda_index(indices, "pool2d backward") == cuda_index(gy, "pool2d backward"),
                             "pool2d backward on CUDA: max pooling needs int64 indices on the same device");
  const int64_t total = p.n * p.c * p.h * p.w;
  if (total == 0) return;
  DeviceGuard guard(cuda_index(gy, "pool2d backward"));
  const int64_t* idx = max ? static_cast<const int64_t*>(indices.raw_data()) : nullptr;
  dispatch_floating(gy.dtype(), "pool2d backward on CUDA", [&](auto tag) {
    using T = decltype(tag);
    pool_backward_kernel<T><<<blocks_for(total), kThreads>>>(make_geom(p), total,
                                                              static_cast<const T*>(gy.raw_data()), idx,
                                                              static_cast<T*>(gx.raw_data()));
    check_cuda(cudaGetLastError(), "pool2d backward kernel");
  });
}

}  // namespace momenta::backend::cuda
