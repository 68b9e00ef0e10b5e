// CPU 2-D max and average pooling over contiguous NCHW. Threads own (n, c) planes, so the
// backward scatters without races. Max pooling keeps the index of the first maximum of each
// window (NaN counts as maximal), which the backward routes the gradient to.
#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/backend.h"
#include "backend/cpu/strided_loop.h"

namespace momenta::backend::cpu {
namespace {

struct Window {
  int64_t h0, h1, w0, w1;  // clipped to the input
  int64_t count;           // the divisor of an average
};

Window window(const Pool2dParams& p, int64_t oh, int64_t ow) {
  const int64_t hs = oh * p.stride_h - p.pad_h, ws = ow * p.stride_w - p.pad_w;
  Window win{std::max<int64_t>(hs, 0), std::min(hs + p.r, p.h), std::max<int64_t>(ws, 0), std::min(ws + p.s, p.w), 0};
  if (p.count_include_pad) {
    // PyTorch: the window clipped to the padded input, not to the input.
    win.count = (std::min(hs + p.r, p.h + p.pad_h) - hs) * (std::min(ws + p.s, p.w + p.pad_w) - ws);
  } else {
    win.count = (win.h1 - win.h0) * (win.w1 - win.w0);
  }
  return win;
}

template <class T>
void pool_forward(const Pool2dParams& p, const T* x, T* y, int64_t* idx) {
  const int64_t planes = p.n * p.c, hw = p.h * p.w, pq = p.p * p.q;
  parallel_for(planes, pq * p.r * p.s, [&](int64_t b, int64_t e) {
    for (int64_t pl = b; pl < e; ++pl) {
      const T* xp = x + pl * hw;
      for (int64_t oh = 0; oh < p.p; ++oh) {
        for (int64_t ow = 0; ow < p.q; ++ow) {
          const Window win = window(p, oh, ow);
          const int64_t o = pl * pq + oh * p.q + ow;
          if (p.kind == PoolKind::kMax) {
            T best = -std::numeric_limits<T>::infinity();
            int64_t best_i = win.h0 * p.w + win.w0;
            for (int64_t ih = win.h0; ih < win.h1; ++ih)
              for (int64_t iw = win.w0; iw < win.w1; ++iw) {
                const T v = xp[ih * p.w + iw];
                if (v > best || (std::isnan(v) && !std::isnan(best))) {
                  best = v;
                  best_i = ih * p.w + iw;
                }
              }
            y[o] = best;
            idx[o] = best_i;
          } else {
            double acc = 0.0;
            for (int64_t ih = win.h0; ih < win.h1; ++ih)
              for (int64_t iw = win.w0; iw < win.w1; ++iw) acc += xp[ih * p.w + iw];
            y[o] = static_cast<T>(win.count > 0 ? acc / static_cast<double>(win.count) : 0.0);
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
          const Window win = window(p, oh, ow);
          if (win.count == 0) continue;
          const T g = gy[o] / static_cast<T>(win.count);
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
