// The per-element math of softmax, log-softmax, their backward passes and the cross-entropy
// gradient, written once for every device (DESIGN principle 2): the CPU loops of
// src/backend/cpu/softmax_cpu.cpp and the CUDA kernels of src/backend/cuda/softmax_cuda.cu call
// these, and differ only in how they order the row's sums (CPU: in order; CUDA: a fixed tree).
//
// One row x[0..n) of the softmax axis:
//   mx    = max_k x[k], from softmax_max_start  softmax_max (NaN never wins: NaN rows give NaN below)
//   total = sum_k exp(x[k] - mx), in double    softmax_exp
//   log-softmax: y[k] = x[k] - lse, lse = mx + log(total)   softmax_lse, log_softmax_value
//   softmax:     y[k] = exp(x[k] - mx) / total               softmax_value (with inv = 1 / total)
// Backward, y the forward output, s a row sum in double:
//   log-softmax: s = sum gy,      gx = gy - exp(y) * s        log_softmax_grad
//   softmax:     s = sum gy * y,  gx = y * (gy - s)           softmax_grad_term, softmax_grad
// Cross entropy from log-probabilities lp: g = scale * exp(lp), then scale is subtracted at the
// target class (cross_entropy_grad, cross_entropy_grad_target).
#pragma once

#include <cmath>
#include <cstdint>

#include "momenta/kernels/common.h"

namespace momenta::kernels {

// Where the running maximum starts: -infinity (INFINITY, a macro, works in device code too).
template <class T>
MOMENTA_HD T softmax_max_start() {
  return -static_cast<T>(INFINITY);
}

// The running maximum, as std::max(mx, v): a NaN v never replaces mx.
template <class T>
MOMENTA_HD T softmax_max(T mx, T v) {
  return mx < v ? v : mx;
}

// exp(v - mx) in double (the difference is taken in T, as the forward's output is).
template <class T>
MOMENTA_HD double softmax_exp(T v, T mx) {
  return std::exp(static_cast<double>(v - mx));
}

// log-sum-exp of the row from its maximum and its sum of softmax_exp.
template <class T>
MOMENTA_HD T softmax_lse(T mx, double total) {
  return mx + static_cast<T>(std::log(total));
}

template <class T>
MOMENTA_HD T log_softmax_value(T v, T lse) {
  return v - lse;
}

// inv = 1.0 / total.
template <class T>
MOMENTA_HD T softmax_value(T v, T mx, double inv) {
  return static_cast<T>(softmax_exp(v, mx) * inv);
}

// gx of log-softmax; s = sum of gy over the row (in double).
template <class T>
MOMENTA_HD T log_softmax_grad(T gy, T y, double s) {
  return gy - static_cast<T>(std::exp(static_cast<double>(y)) * s);
}

// One term of s = sum gy * y for the softmax backward.
template <class T>
MOMENTA_HD double softmax_grad_term(T gy, T y) {
  return static_cast<double>(gy) * y;
}

// gx of softmax; s = sum of softmax_grad_term over the row.
template <class T>
MOMENTA_HD T softmax_grad(T gy, T y, double s) {
  return y * (gy - static_cast<T>(s));
}

// The cross-entropy gradient at a non-target class: scale * softmax = scale * exp(lp), in T.
template <class T>
MOMENTA_HD T cross_entropy_grad(T lp, T scale) {
  return scale * std::exp(lp);
}

// At the target class: g (= cross_entropy_grad) - scale.
template <class T>
MOMENTA_HD T cross_entropy_grad_target(T g, T scale) {
  return g - scale;
}

// Softmax or log-softmax of one row of n elements read and written with a stride: the column
// walk over the middle axis of [outer, n, inner] (stride = inner), one thread per row on either
// device, summing in order.
template <class T>
MOMENTA_HD void softmax_strided_row(const T* x, T* y, int64_t n, int64_t stride, bool log) {
  T mx = softmax_max_start<T>();
  for (int64_t k = 0; k < n; ++k) mx = softmax_max(mx, x[k * stride]);
  double total = 0.0;
  for (int64_t k = 0; k < n; ++k) total += softmax_exp(x[k * stride], mx);
  if (log) {
    const T lse = softmax_lse(mx, total);
    for (int64_t k = 0; k < n; ++k) y[k * stride] = log_softmax_value(x[k * stride], lse);
  } else {
    const double inv = 1.0 / total;
    for (int64_t k = 0; k < n; ++k) y[k * stride] = softmax_value(x[k * stride], mx, inv);
  }
}

// One term of the backward's row sum: gy for log-softmax, gy * y for softmax.
template <class T>
MOMENTA_HD double softmax_backward_term(T gy, T y, bool log) {
  return log ? static_cast<double>(gy) : softmax_grad_term(gy, y);
}

// gx from the row sum s of softmax_backward_term.
template <class T>
MOMENTA_HD T softmax_backward_value(T gy, T y, double s, bool log) {
  return log ? log_softmax_grad(gy, y, s) : softmax_grad(gy, y, s);
}

// The backward of softmax_strided_row: y its output, gy the output gradient, into gx.
template <class T>
MOMENTA_HD void softmax_backward_strided_row(const T* y, const T* gy, T* gx, int64_t n, int64_t stride, bool log) {
  double s = 0.0;
  for (int64_t k = 0; k < n; ++k) s += softmax_backward_term(gy[k * stride], y[k * stride], log);
  for (int64_t k = 0; k < n; ++k) gx[k * stride] = softmax_backward_value(gy[k * stride], y[k * stride], s, log);
}

}  // namespace momenta::kernels
