// CPU 2-D max and average pooling over contiguous NCHW. Threads own (n, c) planes, so the
// backward scatters without races. Max pooling keeps the index of the first maximum of each
// window (NaN counts as maximal), which the backward routes the gradient to. The window bounds,
// the average's divisor and the max comparison are kernels/pool.h's, shared with the CUDA kernel.
#include <algorithm>

#include "backend/backend.h"
#include "backend/cpu/strided_loop.h"
#include "momenta/kernels/pool.h"

namespace momenta::backend::cpu {
namespace {

using kernels::PoolWindow;

PoolWindow window(const Pool2dParams& p, int64_t oh, int64_t ow) {
  return kernels::pool_window(oh, ow, p.h, p.w, p.r, p.s, p.stride_h, p.stride_w, p.pad_h, p.pad_w,
                              p.count_include_pad);
}

template <class T>
void pool_forward(const Pool2dParams& p, const T* x, T* y, int64_t* idx) {
  const int64_t planes = p.n * p.c, hw = p.h * p.w, pq = p.p * p.q;
  parallel_for(planes, pq * p.r * p.s, [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      const T* xp = x + pl * hw;
      for (int64_t oh = 0; oh < p.p; ++oh) {
        for (int64_t ow = 0; ow < p.q; ++ow) {
          const PoolWindow win = window(p, oh, ow);
          const int64_t o = pl * pq + oh * p.q + ow;
          if (p.kind == PoolKind::kMax) {
            y[o] = kernels::pool_window_max(xp, p.w, win, idx[o]);
          } else {
            y[o] = kernels::pool_window_avg(xp, p.w, win);
          }
        }
      }
    }
  });
}

template <class T>
void pool_backward(const Pool2dParams& p, const T* gy, const int64_t* idx, T* gx) {
  const int64_t planes = p.n * p.c, hw = p.h * p.w, pq = p.p * p.q;
  parallel_for(planes, pq * p.r * p.s, [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      T* gp = gx + pl * hw;
      std::fill(gp, gp + hw, T(0));
      for (int64_t oh = 0; oh < p.p; ++oh) {
        for (int64_t ow = 0; ow < p.q; ++ow) {
          const int64_t o = pl * pq + oh * p.q + ow;
          if (p.kind == PoolKind::kMax) {
            gp[idx[o]] += gy[o];
            continue;
          }
          const PoolWindow win = window(p, oh, ow);
          if (win.count == 0) continue;
          const T g = kernels::pool_avg_grad(gy[o], win);
          for (int64_t ih = win.h0; ih < win.h1; ++ih)
            for (int64_t iw = win.w0; iw < win.w1; ++iw) gp[ih * p.w + iw] += g;
        }
      }
    }
  });
}

}  // namespace

void pool2d(const Pool2dParams& p, const Tensor& x, const Tensor& y, const Tensor& indices) {
  int64_t* idx = p.kind == PoolKind::kMax ? indices.data<int64_t>() : nullptr;
  dispatch_floating(x.dtype(), "pool2d", [&](auto t) {
    using T = decltype(t);
    pool_forward<T>(p, x.data<T>(), y.data<T>(), idx);
  });
}

void pool2d_backward(const Pool2dParams& p, const Tensor& gy, const Tensor& indices, const Tensor& gx) {
  const int64_t* idx = p.kind == PoolKind::kMax ? indices.data<int64_t>() : nullptr;
  dispatch_floating(gy.dtype(), "pool2d", [&](auto t) {
    using T = decltype(t);
    pool_backward<T>(p, gy.data<T>(), idx, gx.data<T>());
  });
}

}  // namespace momenta::backend::cpu
