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
        const int64_t base = (j / inner) * n * inner + j % inner;
        softmax_strided_row(xp + base, yp + base, n, inner, log);
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
        softmax_backward_strided_row(yp + base, gp + base, xp + base, n, inner, log);
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
