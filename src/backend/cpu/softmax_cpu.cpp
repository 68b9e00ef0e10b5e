// CPU softmax, log-softmax and the cross-entropy pieces, over the middle axis of a contiguous
// [outer, n, inner] view (inner == 1 for the usual last-axis case). The per-element math is
// kernels/softmax.h's, shared with the CUDA kernels (softmax_cuda.cu).
#include <cmath>

#include "backend/backend.h"
#include "backend/cpu/strided_loop.h"
#include "momenta/kernels/softmax.h"

namespace momenta::backend::cpu {

using namespace momenta::kernels;

void softmax(const Tensor& x, int64_t outer, int64_t n, int64_t inner, bool log, const Tensor& out) {
  dispatch_floating(x.dtype(), "softmax", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    T* yp = out.data<T>();
    parallel_for(outer * inner, n * 8, [&](int64_t j0, int64_t j1) {
      for (int64_t j = j0; j < j1; ++j) {
        const int64_t o = j / inner, i = j % inner;
        const T* p = xp + o * n * inner + i;
        T* q = yp + o * n * inner + i;
        T mx = softmax_max_start<T>();
        for (int64_t k = 0; k < n; ++k) mx = softmax_max(mx, p[k * inner]);
        double total = 0.0;
        for (int64_t k = 0; k < n; ++k) total += softmax_exp(p[k * inner], mx);
        if (log) {
          const T lse = softmax_lse(mx, total);
          for (int64_t k = 0; k < n; ++k) q[k * inner] = log_softmax_value(p[k * inner], lse);
        } else {
          const double inv = 1.0 / total;
          for (int64_t k = 0; k < n; ++k) q[k * inner] = softmax_value(p[k * inner], mx, inv);
        }
      }
    });
  });
}

void softmax_backward(const Tensor& y, const Tensor& gy, int64_t outer, int64_t n, int64_t inner, bool log,
                      const Tensor& gx) {
  dispatch_floating(y.dtype(), "softmax backward", [&](auto tag) {
    using T = decltype(tag);
    const T* yp = y.data<T>();
    const T* gp = gy.data<T>();
    T* xp = gx.data<T>();
    parallel_for(outer * inner, n * 4, [&](int64_t j0, int64_t j1) {
      for (int64_t j = j0; j < j1; ++j) {
        const int64_t base = (j / inner) * n * inner + j % inner;
        double s = 0.0;
        if (log) {  // gx = gy - softmax * sum(gy)
          for (int64_t k = 0; k < n; ++k) s += gp[base + k * inner];
          for (int64_t k = 0; k < n; ++k) {
            const int64_t at = base + k * inner;
            xp[at] = log_softmax_grad(gp[at], yp[at], s);
          }
        } else {  // gx = y * (gy - sum(gy * y))
          for (int64_t k = 0; k < n; ++k) s += softmax_grad_term(gp[base + k * inner], yp[base + k * inner]);
          for (int64_t k = 0; k < n; ++k) {
            const int64_t at = base + k * inner;
            xp[at] = softmax_grad(gp[at], yp[at], s);
          }
        }
      }
    });
  });
}

double nll_loss(const Tensor& logp, const Tensor& target) {
  return dispatch_floating(logp.dtype(), "cross_entropy", [&](auto tag) -> double {
    using T = decltype(tag);
    const int64_t rows = logp.shape()[0], classes = logp.shape()[1];
    const T* lp = logp.data<T>();
    const int64_t* tg = target.data<int64_t>();  // any stride (a sliced label vector), as on CUDA
    const int64_t ts = target.strides()[0];
    double total = 0.0;
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t c = tg[r * ts];
      check<ValueError>(c >= 0 && c < classes, "cross_entropy: target ", c, " at row ", r, " is outside [0, ", classes,
                        ")");
      total -= lp[r * classes + c];
    }
    return rows > 0 ? total / static_cast<double>(rows) : 0.0;
  });
}

void cross_entropy_backward(const Tensor& logp, const Tensor& target, double scale, const Tensor& gx) {
  dispatch_floating(logp.dtype(), "cross_entropy", [&](auto tag) {
    using T = decltype(tag);
    const int64_t rows = logp.shape()[0], classes = logp.shape()[1];
    const T* lp = logp.data<T>();
    const int64_t* tg = target.data<int64_t>();
    const int64_t ts = target.strides()[0];
    T* g = gx.data<T>();
    const T sc = static_cast<T>(scale);
    parallel_for(rows, classes * 8, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t c = 0; c < classes; ++c) g[r * classes + c] = cross_entropy_grad(lp[r * classes + c], sc);
        const int64_t t = tg[r * ts];
        g[r * classes + t] = cross_entropy_grad_target(g[r * classes + t], sc);
      }
    });
  });
}

}  // namespace momenta::backend::cpu
