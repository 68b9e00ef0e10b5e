// CPU batch norm, fused with the residual add and ReLU that follow it in a residual network, on
// plain [N, C, inner] tensors and on channel-blocked [N, C / L, inner, L] ones (ops.h). Both are
// read as [N, CB, inner, L] (plain: CB = C, L = 1): channel c = cb * L + l.
//
// With xhat = (x - mean) * invstd, invstd = 1 / sqrt(var + eps), M = N * inner:
//   forward:  y = relu?(xhat * w + b + residual?)
//   backward: gm = gy masked by y > 0 (with relu), g_residual = gm, gb = sum gm,
//             gw = sum gm * xhat, gx = w * invstd * (gm - gb / M - xhat * gw / M) (batch
//             statistics) or w * invstd * gm (fixed statistics).
// The per-element and per-channel math is kernels/norm.h, shared with the CUDA kernels.
// Work items are (n, cb) rows of inner * L contiguous values, so a layer with few channel blocks
// still uses every thread. Per-row partial sums are combined in row order, so the statistics do
// not depend on the thread count. Plain rows sum in double exactly as a per-channel loop over n
// did; blocked rows as row_sums() says.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/lane_sums.h"
#include "backend/cpu/strided_loop.h"
#include "backend/cpu/sum8.h"
#include "momenta/kernels/elementwise.h"
#include "momenta/kernels/norm.h"

namespace momenta::backend::cpu {
namespace {

struct BnShape {
  int64_t n, cb, inner, lanes;
  int64_t rows() const { return n * cb; }
  int64_t row_size() const { return inner * lanes; }
  int64_t channels() const { return cb * lanes; }
};

BnShape bn_shape(const Tensor& x, int64_t lanes) {
  BnShape g{x.shape()[0], x.shape()[1], 1, std::max<int64_t>(lanes, 1)};
  const int64_t spatial_end = lanes > 0 ? x.dim() - 1 : x.dim();
  for (int64_t d = 2; d < spatial_end; ++d) g.inner *= x.shape()[d];
  check<ValueError>(g.lanes <= kMaxLanes, "batch_norm: at most ", kMaxLanes, " lanes per channel block, got ",
                    g.lanes);
  return g;
}

// Combines per-row partials [rows, L] into per-channel totals [C], in row (n) order.
std::vector<double> combine(const BnShape& g, const std::vector<double>& partial) {
  std::vector<double> total(static_cast<size_t>(g.channels()), 0.0);
  for (int64_t n = 0; n < g.n; ++n)
    for (int64_t cb = 0; cb < g.cb; ++cb)
      for (int64_t l = 0; l < g.lanes; ++l)
        total[static_cast<size_t>(cb * g.lanes + l)] += partial[static_cast<size_t>((n * g.cb + cb) * g.lanes + l)];
  return total;
}

template <class T>
const T* opt(const Tensor& t) {
  return t.defined() ? t.data<T>() : nullptr;
}

template <class T, int kL>
void stats(const Tensor& x, const BnShape& g, const Tensor& mean, const Tensor& var) {
  const T* xp = x.data<T>();
  std::vector<double> partial(static_cast<size_t>(g.rows() * g.lanes));
  parallel_for(g.rows(), g.row_size(), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* row = xp + r * g.row_size();
      row_sums<T, kL>(g.inner, g.lanes, &partial[static_cast<size_t>(r * g.lanes)],
                      [&](int64_t k, int64_t) { return row[k]; });
    }
  });
  const double count = static_cast<double>(g.n * g.inner);
  std::vector<double> m = combine(g, partial);
  for (double& v : m) v /= count;
  // Blocked rows centre on the mean rounded to T (their run sums are in T); plain rows in double.
  const std::vector<T> mean_t(m.begin(), m.end());
  parallel_for(g.rows(), g.row_size(), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* row = xp + r * g.row_size();
      const size_t c0 = static_cast<size_t>((r % g.cb) * g.lanes);
      if (g.lanes == 1) {
        const double mc = m[c0];
        partial[static_cast<size_t>(r)] = sum8(g.inner, [&](int64_t i) {
          const double d = static_cast<double>(row[i]) - mc;
          return d * d;
        });
        continue;
      }
      const T* mc = &mean_t[c0];
      row_sums<T, kL>(g.inner, g.lanes, &partial[static_cast<size_t>(r * g.lanes)], [&](int64_t k, int64_t l) {
        const T d = row[k] - mc[l];
        return d * d;
      });
    }
  });
  const std::vector<double> q = combine(g, partial);
  T *mp = mean.data<T>(), *vp = var.data<T>();
  for (int64_t c = 0; c < g.channels(); ++c) {
    mp[c] = static_cast<T>(m[static_cast<size_t>(c)]);
    vp[c] = static_cast<T>(q[static_cast<size_t>(c)] / count);
  }
}

template <class T, int kL>
void apply(const Tensor& x, const BnShape& g, const Tensor& mean, const Tensor& var, const Tensor& weight,
           const Tensor& bias, double eps, const Tensor& residual, bool relu, const Tensor& y) {
  const T *xp = x.data<T>(), *mp = mean.data<T>(), *vp = var.data<T>(), *wp = opt<T>(weight), *bp = opt<T>(bias),
          *rp = opt<T>(residual);
  T* yp = y.data<T>();
  std::vector<T> scale(static_cast<size_t>(g.channels())), shift(scale.size());
  for (int64_t c = 0; c < g.channels(); ++c) {
    kernels::batch_norm_scale_shift<T>(static_cast<double>(mp[c]), static_cast<double>(vp[c]),
                                       wp ? static_cast<double>(wp[c]) : 1.0, bp ? static_cast<double>(bp[c]) : 0.0,
                                       eps, scale[static_cast<size_t>(c)], shift[static_cast<size_t>(c)]);
  }
  parallel_for(g.rows(), g.row_size(), [&](int64_t r0, int64_t r1) {
    const int64_t L = kL > 0 ? kL : g.lanes;
    for (int64_t r = r0; r < r1; ++r) {
      const T* sc = &scale[static_cast<size_t>((r % g.cb) * L)];
      const T* sh = &shift[static_cast<size_t>((r % g.cb) * L)];
      const T* xr = xp + r * g.row_size();
      const T* res = rp ? rp + r * g.row_size() : nullptr;
      T* yr = yp + r * g.row_size();
      // One loop per variant keeps each a straight vectorisable line.
      for (int64_t i = 0; i < g.inner; ++i) {
        const T* xi = xr + i * L;
        T* yi = yr + i * L;
        if (res && relu) {
          for (int64_t l = 0; l < L; ++l)
            yi[l] = kernels::ReluOp{}(kernels::norm_affine(xi[l], sc[l], sh[l]) + res[i * L + l]);
        } else if (res) {
          for (int64_t l = 0; l < L; ++l) yi[l] = kernels::norm_affine(xi[l], sc[l], sh[l]) + res[i * L + l];
        } else if (relu) {
          for (int64_t l = 0; l < L; ++l) yi[l] = kernels::ReluOp{}(kernels::norm_affine(xi[l], sc[l], sh[l]));
        } else {
          for (int64_t l = 0; l < L; ++l) yi[l] = kernels::norm_affine(xi[l], sc[l], sh[l]);
        }
      }
    }
  });
}

// The gradient reaching the batch norm: gy where the fused ReLU passed its input (y > 0 or NaN,
// NOTE [NaN propagation] in kernels/elementwise.h), else 0.
// Loaded unconditionally and selected, so the loops below vectorise.
template <class T, bool kMask>
inline T masked(const T* gy, const T* y, int64_t k) {
  const T g = gy[k];
  if constexpr (kMask) return kernels::ReluBackwardOp{}(g, y[k]);
  return g;
}

// Pass 1 over one row: sum gm and sum gm * (x - mean) per lane. With the ReLU's mask, gm is first
// written out (to g_res, the residual's gradient, or a scratch row) and summed from there: GCC 12.2
// at -O3 -march=native miscompiles a select inside a reduction over double accumulators (the
// masked sums came out wrong; FusedBatchNormMatchesTheUnfusedChain catches it), while a select
// in a plain elementwise loop is compiled correctly.
template <class T, int kL, bool kMask>
void backward_row_sums(const T* x, const T* gy, const T* y, const T* mean, int64_t inner, int64_t lanes, T* g_res,
                       double* sum_g, double* sum_gx) {
  const int64_t L = kL > 0 ? kL : lanes;
  const T* g = gy;
  if (kMask || g_res) {
    for (int64_t k = 0; k < inner * L; ++k) g_res[k] = masked<T, kMask>(gy, y, k);
    g = g_res;
  }
  row_sums<T, kL>(inner, lanes, sum_g, [&](int64_t k, int64_t) { return g[k]; });
  if (L == 1) {  // centred in double, as the plain statistics are (stats())
    const double m = static_cast<double>(mean[0]);
    sum_gx[0] = sum8(inner, [&](int64_t i) { return static_cast<double>(g[i]) * (static_cast<double>(x[i]) - m); });
  } else {
    row_sums<T, kL>(inner, lanes, sum_gx, [&](int64_t k, int64_t l) { return g[k] * (x[k] - mean[l]); });
  }
}

// Pass 2 over one row: gx = a * gm + b * x + d per lane.
template <class T, int kL, bool kMask>
void backward_row_gx(const T* x, const T* gy, const T* y, const T* a, const T* b, const T* d, int64_t inner,
                     int64_t lanes, T* gx) {
  const int64_t L = kL > 0 ? kL : lanes;
  for (int64_t i = 0; i < inner; ++i) {
    const int64_t k = i * L;
    for (int64_t l = 0; l < L; ++l)
      gx[k + l] = kernels::norm_backward_elem(a[l], masked<T, kMask>(gy, y, k + l), b[l], x[k + l], d[l]);
  }
}

template <class T, int kL, bool kMask>
void backward(const Tensor& x, const BnShape& g, const Tensor& gy, const Tensor& y_relu, const Tensor& mean,
              const Tensor& var, const Tensor& weight, double eps, bool batch_stats, const Tensor& gx, const Tensor& gw,
              const Tensor& gb, const Tensor& g_residual) {
  const T *xp = x.data<T>(), *gyp = gy.data<T>(), *yp = opt<T>(y_relu), *mp = mean.data<T>(), *vp = var.data<T>(),
          *wp = opt<T>(weight);
  T *gxp = gx.defined() ? gx.data<T>() : nullptr, *grp = g_residual.defined() ? g_residual.data<T>() : nullptr;
  const int64_t rs = g.row_size();
  std::vector<double> part_g(static_cast<size_t>(g.rows() * g.lanes)), part_gx(part_g.size());
  parallel_for(g.rows(), 2 * rs, [&](int64_t r0, int64_t r1) {
    std::vector<T> scratch(kMask && !grp ? static_cast<size_t>(rs) : 0);  // one row, cache-resident
    for (int64_t r = r0; r < r1; ++r) {
      const size_t at = static_cast<size_t>(r * g.lanes);
      backward_row_sums<T, kL, kMask>(xp + r * rs, gyp + r * rs, yp ? yp + r * rs : nullptr, mp + (r % g.cb) * g.lanes,
                                      g.inner, g.lanes, grp ? grp + r * rs : scratch.data(), &part_g[at],
                                      &part_gx[at]);
    }
  });
  const std::vector<double> sum_g = combine(g, part_g), sum_gx = combine(g, part_gx);
  const double count = static_cast<double>(g.n * g.inner);
  std::vector<T> a(static_cast<size_t>(g.channels())), b(a.size()), d(a.size());
  for (int64_t c = 0; c < g.channels(); ++c) {
    const size_t cs = static_cast<size_t>(c);
    const double invstd = kernels::norm_rstd(static_cast<double>(vp[c]), eps);
    if (gb.defined()) gb.data<T>()[c] = static_cast<T>(sum_g[cs]);
    if (gw.defined()) gw.data<T>()[c] = static_cast<T>(kernels::batch_norm_grad_weight(sum_gx[cs], invstd));
    // gx = a * gm + b * x + d, from the formula above with xhat expanded.
    kernels::batch_norm_backward_coeffs<T>(static_cast<double>(mp[c]), invstd, wp ? static_cast<double>(wp[c]) : 1.0,
                                           sum_g[cs], sum_gx[cs], count, batch_stats, a[cs], b[cs], d[cs]);
  }
  if (!gxp) return;
  parallel_for(g.rows(), rs, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const size_t c0 = static_cast<size_t>((r % g.cb) * g.lanes);
      backward_row_gx<T, kL, kMask>(xp + r * rs, gyp + r * rs, yp ? yp + r * rs : nullptr, &a[c0], &b[c0], &d[c0],
                                    g.inner, g.lanes, gxp + r * rs);
    }
  });
}

}  // namespace

void batch_norm_stats(const Tensor& x, int64_t lanes, const Tensor& mean, const Tensor& var) {
  const BnShape g = bn_shape(x, lanes);
  dispatch_lanes(x.dtype(), lanes, "batch_norm", [&]<class T, int kL>() { stats<T, kL>(x, g, mean, var); });
}

void batch_norm_apply(const Tensor& x, int64_t lanes, const Tensor& mean, const Tensor& var, const Tensor& weight,
                      const Tensor& bias, double eps, const Tensor& residual, bool relu, const Tensor& y) {
  const BnShape g = bn_shape(x, lanes);
  dispatch_lanes(x.dtype(), lanes, "batch_norm",
                 [&]<class T, int kL>() { apply<T, kL>(x, g, mean, var, weight, bias, eps, residual, relu, y); });
}

void batch_norm_backward(const Tensor& x, int64_t lanes, const Tensor& gy, const Tensor& y_relu, const Tensor& mean,
                         const Tensor& var, const Tensor& weight, double eps, bool batch_stats, const Tensor& gx,
                         const Tensor& gw, const Tensor& gb, const Tensor& g_residual) {
  const BnShape g = bn_shape(x, lanes);
  dispatch_lanes(x.dtype(), lanes, "batch_norm", [&]<class T, int kL>() {
    if (y_relu.defined()) {
      return backward<T, kL, true>(x, g, gy, y_relu, mean, var, weight, eps, batch_stats, gx, gw, gb, g_residual);
    }
    backward<T, kL, false>(x, g, gy, y_relu, mean, var, weight, eps, batch_stats, gx, gw, gb, g_residual);
  });
}

}  // namespace momenta::backend::cpu
