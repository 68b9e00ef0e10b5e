// CPU group norm over a contiguous [N, C, inner] tensor, one pass per statistic instead of the
// dozen passes and temporaries of a composite form. Sums accumulate in double. (Batch norm:
// batch_norm_cpu.cpp.) The per-element and per-channel math is kernels/norm.h, shared with CUDA.
// Group norm (threads own (n, group) rows of D = C / G * inner values), with gh = gy * w[c]:
//   gx = rstd * (gh - mean(gh) - xhat * mean(gh * xhat)),  gw[c] = sum gy * xhat,  gb[c] = sum gy
// Channel-blocked input [N, C / L, inner, L] (ops.h): a group may cover part of a block or several
// blocks, so threads own samples; each sample's per-channel sums come from row_sums (lane_sums.h:
// runs in T, totals in double) and are added up per group. Its second moment is centred on the
// group mean rounded to T, as batch norm's blocked rows are. The blocked kernels can fuse the SiLU
// that follows a group norm in a U-Net block: the forward writes silu(z) only, the backward
// recomputes z from x and the statistics and takes the SiLU's gradient a sample at a time in a
// buffer that stays in cache.
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

// ---- channel-blocked [N, C / L, inner, L] ----

struct Blocked {
  int64_t n, cb, inner, lanes, groups;
  int64_t channels() const { return cb * lanes; }
  int64_t sample_size() const { return cb * inner * lanes; }
  int64_t group_size() const { return channels() / groups * inner; }  // D
};
Blocked blocked(const Tensor& x, int64_t lanes, int64_t groups) {
  Blocked g{x.shape()[0], x.shape()[1], 1, lanes, groups};
  for (int64_t d = 2; d + 1 < x.dim(); ++d) g.inner *= x.shape()[d];
  check<ValueError>(lanes <= kMaxLanes, "group_norm: at most ", kMaxLanes, " lanes per channel block, got ", lanes);
  return g;
}

// Per-channel sums s[c] = sum over sample xs's positions of f(k, c), k the element's offset in
// the sample and c its channel.
template <class T, int kL, class F>
void channel_sums(const Blocked& g, double* s, F&& f) {
  const int64_t L = kL > 0 ? kL : g.lanes, row = g.inner * L;
  for (int64_t b = 0; b < g.cb; ++b)
    row_sums<T, kL>(g.inner, L, s + b * L, [&](int64_t k, int64_t l) { return f(b * row + k, b * L + l); });
}

// The group sums of per-channel sums, weighted by w[c] when w is given.
template <class T>
double group_sum(const Blocked& g, const double* s, int64_t group, const T* w) {
  const int64_t cg = g.channels() / g.groups;
  double total = 0.0;
  for (int64_t c = group * cg; c < (group + 1) * cg; ++c) total += (w ? static_cast<double>(w[c]) : 1.0) * s[c];
  return total;
}

template <class T, int kL>
void gn_forward_blocked(const Tensor& x, const Blocked& g, const Tensor& weight, const Tensor& bias, double eps,
                        bool silu, const Tensor& y, const Tensor& mean, const Tensor& rstd) {
  const int64_t C = g.channels(), cg = C / g.groups, L = kL > 0 ? kL : g.lanes;
  const double d = static_cast<double>(g.group_size());
  const T *xp = x.data<T>(), *wp = opt<T>(weight), *bp = opt<T>(bias);
  T *yp = y.data<T>(), *mp = mean.data<T>(), *rp = rstd.data<T>();
  parallel_for(g.n, g.sample_size(), [&](int64_t n0, int64_t n1) {
    std::vector<double> s(static_cast<size_t>(C));
    std::vector<T> m_of(static_cast<size_t>(C)), sc(m_of.size()), sh(m_of.size());
    for (int64_t n = n0; n < n1; ++n) {
      const T* xs = xp + n * g.sample_size();
      channel_sums<T, kL>(g, s.data(), [&](int64_t k, int64_t) { return xs[k]; });
      std::vector<double> m(static_cast<size_t>(g.groups));
      for (int64_t gr = 0; gr < g.groups; ++gr) {
        m[static_cast<size_t>(gr)] = group_sum<T>(g, s.data(), gr, nullptr) / d;
        for (int64_t c = gr * cg; c < (gr + 1) * cg; ++c) m_of[static_cast<size_t>(c)] = static_cast<T>(m[static_cast<size_t>(gr)]);
      }
      channel_sums<T, kL>(g, s.data(), [&](int64_t k, int64_t c) {
        const T e = xs[k] - m_of[static_cast<size_t>(c)];
        return e * e;
      });
      for (int64_t gr = 0; gr < g.groups; ++gr) {
        const double mg = m[static_cast<size_t>(gr)], r = kernels::norm_rstd(group_sum<T>(g, s.data(), gr, nullptr) / d, eps);
        mp[n * g.groups + gr] = static_cast<T>(mg);
        rp[n * g.groups + gr] = static_cast<T>(r);
        for (int64_t c = gr * cg; c < (gr + 1) * cg; ++c)
          kernels::group_norm_scale_shift<T>(mg, r, wp ? static_cast<double>(wp[c]) : 1.0,
                                             bp ? static_cast<double>(bp[c]) : 0.0, sc[static_cast<size_t>(c)],
                                             sh[static_cast<size_t>(c)]);
      }
      T* ys = yp + n * g.sample_size();
      for (int64_t b = 0; b < g.cb; ++b) {
        const T *scb = &sc[static_cast<size_t>(b * L)], *shb = &sh[static_cast<size_t>(b * L)];
        const T* xr = xs + b * g.inner * L;
        T* yr = ys + b * g.inner * L;
        if (silu) {
          for (int64_t i = 0; i < g.inner; ++i)
            for (int64_t l = 0; l < L; ++l) yr[i * L + l] = kernels::SiluOp{}(kernels::norm_affine(xr[i * L + l], scb[l], shb[l]));
        } else {
          for (int64_t i = 0; i < g.inner; ++i)
            for (int64_t l = 0; l < L; ++l) yr[i * L + l] = kernels::norm_affine(xr[i * L + l], scb[l], shb[l]);
        }
      }
    }
  });
}

template <class T, int kL>
void gn_backward_blocked(const Tensor& x, const Blocked& g, const Tensor& gy, const Tensor& mean, const Tensor& rstd,
                         const Tensor& weight, const Tensor& bias, bool silu, const Tensor& gx, const Tensor& gw,
                         const Tensor& gb) {
  const int64_t C = g.channels(), cg = C / g.groups, L = kL > 0 ? kL : g.lanes;
  const double d = static_cast<double>(g.group_size());
  const T *xp = x.data<T>(), *gyp = gy.data<T>(), *mp = mean.data<T>(), *rp = rstd.data<T>(), *wp = opt<T>(weight),
          *bp = opt<T>(bias);
  T* gxp = gx.defined() ? gx.data<T>() : nullptr;
  // Per sample and channel: sum gy and sum gy * (x - mean), kept for the weight and bias gradients.
  std::vector<double> sum_g(static_cast<size_t>(g.n * C)), sum_gx(sum_g.size());
  parallel_for(g.n, g.sample_size(), [&](int64_t n0, int64_t n1) {
    // Per channel: the mean, and gx = a * gy + b * x + e's coefficients (b and e are per group).
    std::vector<T> m_of(static_cast<size_t>(C)), a(m_of.size()), bt(m_of.size()), et(m_of.size());
    std::vector<T> gz(silu ? static_cast<size_t>(g.sample_size()) : 0);  // the gradient of z, one sample
    for (int64_t n = n0; n < n1; ++n) {
      const T* xs = xp + n * g.sample_size();
      const T* gs = gyp + n * g.sample_size();
      for (int64_t c = 0; c < C; ++c) m_of[static_cast<size_t>(c)] = mp[n * g.groups + c / cg];
      if (silu) {  // gz = gy * silu'(z), z = x * sc + sh as the forward computed it
        for (int64_t c = 0; c < C; ++c) {
          const int64_t row = n * g.groups + c / cg;
          kernels::group_norm_scale_shift<T>(mp[row], rp[row], wp ? static_cast<double>(wp[c]) : 1.0,
                                             bp ? static_cast<double>(bp[c]) : 0.0, a[static_cast<size_t>(c)],
                                             bt[static_cast<size_t>(c)]);
        }
        for (int64_t b = 0; b < g.cb; ++b) {
          const int64_t base = b * g.inner * L;
          const T *scb = &a[static_cast<size_t>(b * L)], *shb = &bt[static_cast<size_t>(b * L)];
          for (int64_t i = 0; i < g.inner; ++i)
            for (int64_t l = 0; l < L; ++l) {
              const int64_t k = base + i * L + l;
              gz[static_cast<size_t>(k)] = kernels::SiluBackwardOp{}(gs[k], kernels::norm_affine(xs[k], scb[l], shb[l]));
            }
        }
        gs = gz.data();
      }
      double* sg = &sum_g[static_cast<size_t>(n * C)];
      double* sgx = &sum_gx[static_cast<size_t>(n * C)];
      channel_sums<T, kL>(g, sg, [&](int64_t k, int64_t) { return gs[k]; });
      channel_sums<T, kL>(g, sgx, [&](int64_t k, int64_t c) { return gs[k] * (xs[k] - m_of[static_cast<size_t>(c)]); });
      if (!gxp) continue;
      for (int64_t gr = 0; gr < g.groups; ++gr) {
        const double r = rp[n * g.groups + gr];
        T b_g, e_g;
        kernels::group_norm_backward_coeffs<T>(mp[n * g.groups + gr], r, group_sum<T>(g, sg, gr, wp),
                                               group_sum<T>(g, sgx, gr, wp), d, b_g, e_g);
        for (int64_t c = gr * cg; c < (gr + 1) * cg; ++c) {
          a[static_cast<size_t>(c)] = kernels::group_norm_backward_a<T>(r, wp ? static_cast<double>(wp[c]) : 1.0);
          bt[static_cast<size_t>(c)] = b_g;
          et[static_cast<size_t>(c)] = e_g;
        }
      }
      T* out = gxp + n * g.sample_size();
      for (int64_t b = 0; b < g.cb; ++b) {  // lane-wise coefficients: a straight vectorisable loop
        const int64_t base = b * g.inner * L;
        const T *ab = &a[static_cast<size_t>(b * L)], *bb = &bt[static_cast<size_t>(b * L)],
                *eb = &et[static_cast<size_t>(b * L)];
        const T *xr = xs + base, *gr = gs + base;
        T* outr = out + base;
        for (int64_t i = 0; i < g.inner; ++i)
          for (int64_t l = 0; l < L; ++l)
            outr[i * L + l] = kernels::norm_backward_elem(ab[l], gr[i * L + l], bb[l], xr[i * L + l], eb[l]);
      }
    }
  });
  if (!gw.defined() && !gb.defined()) return;
  T *gwp = gw.defined() ? gw.data<T>() : nullptr, *gbp = gb.defined() ? gb.data<T>() : nullptr;
  for (int64_t c = 0; c < C; ++c) {  // in sample order, whatever the thread count
    double sw = 0.0, sb = 0.0;
    for (int64_t n = 0; n < g.n; ++n) {
      sb += sum_g[static_cast<size_t>(n * C + c)];
      sw += static_cast<double>(rp[n * g.groups + c / cg]) * sum_gx[static_cast<size_t>(n * C + c)];
    }
    if (gwp) gwp[c] = static_cast<T>(sw);
    if (gbp) gbp[c] = static_cast<T>(sb);
  }
}

}  // namespace

void group_norm_forward(const Tensor& x, int64_t lanes, int64_t groups, const Tensor& weight, const Tensor& bias,
                        double eps, bool silu, const Tensor& y, const Tensor& mean, const Tensor& rstd) {
  if (lanes > 0) {
    const Blocked g = blocked(x, lanes, groups);
    dispatch_lanes(x.dtype(), lanes, "group_norm",
                   [&]<class T, int kL>() { gn_forward_blocked<T, kL>(x, g, weight, bias, eps, silu, y, mean, rstd); });
    return;
  }
  check<NotSupportedError>(!silu, "group_norm: the fused SiLU needs a channel-blocked input");
  dispatch_floating(x.dtype(), "group_norm",
                    [&](auto t) { gn_forward<decltype(t)>(x, groups, weight, bias, eps, y, mean, rstd); });
}

void group_norm_backward(const Tensor& x, int64_t lanes, const Tensor& gy, int64_t groups, const Tensor& mean,
                         const Tensor& rstd, const Tensor& weight, const Tensor& bias, bool silu, const Tensor& gx,
                         const Tensor& gw, const Tensor& gb) {
  if (lanes > 0) {
    const Blocked g = blocked(x, lanes, groups);
    dispatch_lanes(x.dtype(), lanes, "group_norm", [&]<class T, int kL>() {
      gn_backward_blocked<T, kL>(x, g, gy, mean, rstd, weight, bias, silu, gx, gw, gb);
    });
    return;
  }
  check<NotSupportedError>(!silu, "group_norm: the fused SiLU needs a channel-blocked input");
  dispatch_floating(x.dtype(), "group_norm",
                    [&](auto t) { gn_backward<decltype(t)>(x, gy, groups, mean, rstd, weight, gx, gw, gb); });
}

}  // namespace momenta::backend::cpu
