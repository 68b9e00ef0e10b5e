// Per-element and per-channel math of batch norm and group norm, shared by the CPU kernels
// (src/backend/cpu/batch_norm_cpu.cpp, norm_cpu.cpp) and the CUDA ones (norm_cuda.cu). The
// reductions (mean, biased variance, the backward sums) stay with each backend; their results
// come in here as doubles. Both normalise y = (x - mean) * rstd * w + b with
// rstd = 1 / sqrt(var + eps), applied per element as y = x * scale + shift, and differentiate
// through gx = a * gm + b * x + d per element (xhat expanded), with per-channel (batch norm) or
// per-(sample, group) (group norm) coefficients computed in double and rounded to T once.
// Absent weights pass w = 1.0 and absent biases b = 0.0.
#pragma once

#include <cmath>

#include "momenta/kernels/common.h"

namespace momenta::kernels {

// 1 / sqrt(var + eps) in double: eps is added to the biased variance inside the root.
MOMENTA_HD double norm_rstd(double var, double eps) { return 1.0 / std::sqrt(var + eps); }

// ---- batch norm ----

// Per-channel scale and shift of batch_norm_apply: scale = T(rstd * w), shift = T(b - mean * scale),
// the shift from the scale already rounded to T (so x = mean maps to ~b in T).
template <class T>
MOMENTA_HD void batch_norm_scale_shift(double mean, double var, double w, double b, double eps, T& scale, T& shift) {
  scale = static_cast<T>(norm_rstd(var, eps) * w);
  shift = static_cast<T>(b - mean * static_cast<double>(scale));
}

// y = x * scale + shift, before the fused residual add and ReLU (kernels::ReluOp).
template <class T>
MOMENTA_HD_INLINE T norm_affine(T x, T scale, T shift) {
  return x * scale + shift;
}

// Per-channel backward coefficients of batch norm from sum_g = sum gm and
// sum_gx = sum gm * (x - mean) over the channel's count values (gm: the ReLU-masked gy):
// gw = sum_gx * rstd, gb = sum_g, and gx = a * gm + b * x + d with
//   a = w * rstd, b = -a * rstd^2 * sum_gx / count, d = -a * sum_g / count - b * mean
// (batch statistics: xhat depends on x through the mean and variance) or b = d = 0 (evaluation).
template <class T>
MOMENTA_HD void batch_norm_backward_coeffs(double mean, double rstd, double w, double sum_g, double sum_gx,
                                           double count, bool batch_stats, T& a, T& b, T& d) {
  const double ac = w * rstd;
  const double bc = batch_stats ? -ac * rstd * rstd * sum_gx / count : 0.0;
  a = static_cast<T>(ac);
  b = static_cast<T>(bc);
  d = static_cast<T>(batch_stats ? -ac * sum_g / count - bc * mean : 0.0);
}

MOMENTA_HD double batch_norm_grad_weight(double sum_gx, double rstd) { return sum_gx * rstd; }

// gx = a * g + b * x + d (batch norm and group norm alike).
template <class T>
MOMENTA_HD_INLINE T norm_backward_elem(T a, T g, T b, T x, T d) {
  return a * g + b * x + d;
}

// ---- group norm ----

// Per-channel scale and shift of group norm's forward, from the (n, group) mean and rstd:
// scale = rstd * w in double, shift = T(b - mean * scale) from the unrounded scale.
template <class T>
MOMENTA_HD void group_norm_scale_shift(double mean, double rstd, double w, double b, T& scale, T& shift) {
  const double s = rstd * w;
  scale = static_cast<T>(s);
  shift = static_cast<T>(b - mean * s);
}

// Per-(n, group) backward coefficients of group norm over its D values, from
// sum_h = sum gh and sum_hx = sum gh * (x - mean) with gh = gy * w[c]:
// gx = a[c] * gy + b * x + e with a[c] = T(rstd * w[c]) (group_norm_backward_a),
//   b = -rstd^3 * sum_hx / D, e = -rstd * sum_h / D - b * mean.
template <class T>
MOMENTA_HD void group_norm_backward_coeffs(double mean, double rstd, double sum_h, double sum_hx, double D, T& b,
                                           T& e) {
  const double bc = -rstd * rstd * rstd * sum_hx / D;
  b = static_cast<T>(bc);
  e = static_cast<T>(-rstd * sum_h / D - bc * mean);
}

template <class T>
MOMENTA_HD T group_norm_backward_a(double rstd, double w) {
  return static_cast<T>(rstd * w);
}

}  // namespace momenta::kernels
