// CPU group norm over a contiguous [N, C, inner] tensor, one pass per statistic instead of the
// dozen passes and temporaries of a composite form. Sums accumulate in double. (Batch norm:
// batch_norm_cpu.cpp.) The per-element and per-channel math is kernels/norm.h, shared with CUDA.
// Group norm (threads own (n, group) rows of D = C / G * inner values), with gh = gy * w[c]:
//   gx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)),  gw[c] = sum gy * xhat,  gb[c] = sum gy
#include <cmath>

#include "backend/backend.h"
#include "backend/cpu/strided_loop.h"
#include "backend/cpu/sum8.h"
#include "momenta/kernels/norm.h"

namespace momenta::backend::cpu {
namespace {

struct Geometry {
  int64_t n, c, inner;
};
Geometry geometry(const Tensor& x) {
  Geometry g{x.shape()[0], x.shape()[1], 1};
  for (int64_t d = 2; d < x.dim(); ++d) g.inner *= x.shape()[d];
  return g;
}

template <class T>
const T* opt(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

template <class T>
void gn_forward(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps, const Tensor& y,
                const Tensor& mean, const Tensor& rstd) {
  const Geometry g = geometry(x);
  const int64_t cg = g.c / groups, d = cg * g.inner;
  const T *xp = x.data<T>(), *wp = opt<T>(weight), *bp = opt<T>(bias);
  T *yp = y.data<T>(), *mp = mean.data<T>(), *rp = rstd.data<T>();
  parallel_for(g.n * groups, d, [&](int64_t r0, int64_t r1) {
    for (int64_t row = r0; row < r1; ++row) {
      const T* xr = xp + row * d;
      const double m = sum8(d, [&](int64_t i) { return static_cast<double>(xr[i]); }) / static_cast<double>(d);
      const double var = sum8(d, [&](int64_t i) {
                           const double e = static_cast<double>(xr[i]) - m;
                           return e * e;
                         }) / static_cast<double>(d);
      const double r = kernels::norm_rstd(var, eps);
      mp[row] = static_cast<T>(m);
      rp[row] = static_cast<T>(r);
      for (int64_t ci = 0; ci < cg; ++ci) {
        const int64_t c = (row % groups) * cg + ci;
        T sc, sh;
        kernels::group_norm_scale_shift<T>(m, r, wp ? static_cast<double>(wp[c]) : 1.0,
                                           bp ? static_cast<double>(bp[c]) : 0.0, sc, sh);
        const T* xc = xr + ci * g.inner;
        T* yc = yp + row * d + ci * g.inner;
        for (int64_t i = 0; i < g.inner; ++i) yc[i] = kernels::norm_affine(xc[i], sc, sh);
      }
    }
  });
}

template <class T>
void gn_backward(const Tensor& x, const Tensor& gy, int64_t groups, const Tensor& mean, const Tensor& rstd,
                 const Tensor& weight, const Tensor& gx, const Tensor& gw, const Tensor& gb) {
  const Geometry g = geometry(x);
  const int64_t cg = g.c / groups, d = cg * g.inner;
  const T *xp = x.data<T>(), *gyp = gy.data<T>(), *mp = mean.data<T>(), *rp = rstd.data<T>(), *wp = opt<T>(weight);
  if (gx.defined()) {
    T* gxp = gx.data<T>();
    parallel_for(g.n * groups, d, [&](int64_t r0, int64_t r1) {
      for (int64_t row = r0; row < r1; ++row) {
        const double m = mp[row], r = rp[row];
        double sum_h = 0.0, sum_hx = 0.0;  // sum gh and sum gh * (x - mean)
        for (int64_t ci = 0; ci < cg; ++ci) {
          const int64_t c = (row % groups) * cg + ci;
          const double w = wp ? static_cast<double>(wp[c]) : 1.0;
          const T *xc = xp + row * d + ci * g.inner, *gc = gyp + row * d + ci * g.inner;
          sum_h += w * sum8(g.inner, [&](int64_t i) { return static_cast<double>(gc[i]); });
          sum_hx += w * sum8(g.inner, [&](int64_t i) {
                      return static_cast<double>(gc[i]) * (static_cast<double>(xc[i]) - m);
                    });
        }
        // gx = a[c] * gy + b * x + e, with xhat and gh expanded.
        T bt, et;
        kernels::group_norm_backward_coeffs<T>(m, r, sum_h, sum_hx, static_cast<double>(d), bt, et);
        for (int64_t ci = 0; ci < cg; ++ci) {
          const int64_t c = (row % groups) * cg + ci;
          const T at = kernels::group_norm_backward_a<T>(r, wp ? static_cast<double>(wp[c]) : 1.0);
          const T *xc = xp + row * d + ci * g.inner, *gc = gyp + row * d + ci * g.inner;
          T* out = gxp + row * d + ci * g.inner;
          for (int64_t i = 0; i < g.inner; ++i) out[i] = kernels::norm_backward_elem(at, gc[i], bt, xc[i], et);
        }
      }
    });
  }
  if (!gw.defined() && !gb.defined()) return;
  T *gwp = gw.defined() ? gw.data<T>() : nullptr, *gbp = gb.defined() ? gb.data<T>() : nullptr;
  parallel_for(g.c, g.n * g.inner, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double sw = 0.0, sb = 0.0;
      for (int64_t n = 0; n < g.n; ++n) {
        const int64_t row = n * groups + c / cg;
        const double m = mp[row];
        const T *xc = xp + (n * g.c + c) * g.inner, *gc = gyp + (n * g.c + c) * g.inner;
        sb += sum8(g.inner, [&](int64_t i) { return static_cast<double>(gc[i]); });
        sw += static_cast<double>(rp[row]) * sum8(g.inner, [&](int64_t i) {
                return static_cast<double>(gc[i]) * (static_cast<double>(xc[i]) - m);
              });
      }
      if (gwp) gwp[c] = static_cast<T>(sw);
      if (gbp) gbp[c] = static_cast<T>(sb);
    }
  });
}

}  // namespace

void group_norm_forward(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps,
                        const Tensor& y, const Tensor& mean, const Tensor& rstd) {
  dispatch_floating(x.dtype(), "group_norm",
                    [&](auto t) { gn_forward<decltype(t)>(x, groups, weight, bias, eps, y, mean, rstd); });
}

void group_norm_backward(const Tensor& x, const Tensor& gy, int64_t groups, const Tensor& mean, const Tensor& rstd,
                         const Tensor& weight, const Tensor& gx, const Tensor& gw, const Tensor& gb) {
  dispatch_floating(x.dtype(), "group_norm",
                    [&](auto t) { gn_backward<decltype(t)>(x, gy, groups, mean, rstd, weight, gx, gw, gb); });
}

}  // namespace momenta::backend::cpu
