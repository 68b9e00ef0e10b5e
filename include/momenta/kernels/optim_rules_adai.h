// Per-element update rules of Adai, AdaiW and AdaiS (adaptive inertia), shared by the CPU loop
// and the CUDA kernels like optim_rules.h. The contract is shared/OPTIMIZERS.md Sections 13-14
// (zeke-xie/adaptive-inertia-adai adai.py; AdaiS from swd_optim/adais.py). The operation order
// follows the reference so float64 runs match the golden trajectories to ~1e-13.
//
// NOTE [Adai passes]: the inertia beta1 of every element depends on the GLOBAL mean of v_hat over
// every element of every group, so a step is two passes:
//   1. reduction pass (adai_second_moment): v <- b2*v + (1-b2)*g^2, written back, and summed;
//      v_bar = sum(v)/(1-b2^t) / N is formed on the host;
//   2. fused update pass (adai_update): beta1, beta1_prod, m and p, reading the v of pass 1.
// Writing v in pass 1 (rather than recomputing it in pass 2) keeps one rounding of v, so the
// mean and the per-element v_hat agree exactly on every device.
#pragma once

#include <cmath>
#include <cstdint>

#include "momenta/kernels/common.h"
#include "momenta/kernels/moments.h"

namespace momenta::kernels {

// The parameters are prepared on the host (make_adai_params) so that the per-element code has
// no branches: the CPU loop vectorises, and the arithmetic stays exactly the reference's, since
// the neutral values (g + 0*p, p*1, x + 0) are exact.
template <class T>
struct AdaiParams {
  T lr, beta0, beta2, beta1_max /* 1 - eps */;
  T l2;                // L2 decay added to the gradient: wd, or 0 when decoupled
  T decay;             // decoupled decay factor 1 - lr*wd, or 1
  T bias_correction2;  // 1 - b2^t
  T v_div;             // the global mean of v_hat, or 1 when it is 0 (see adai_update)
  T ratio_offset;      // 0, or 1 when the mean is 0
};

template <class T>
AdaiParams<T> make_adai_params(double lr, double beta0, double beta2, double eps, double weight_decay, bool decoupled,
                               double bias_correction2, double v_bar) {
  return AdaiParams<T>{static_cast<T>(lr),
                       static_cast<T>(beta0),
                       static_cast<T>(beta2),
                       static_cast<T>(1.0 - eps),
                       static_cast<T>(decoupled ? 0.0 : weight_decay),
                       decoupled && weight_decay != 0.0 ? T(1) - static_cast<T>(lr) * static_cast<T>(weight_decay) : T(1),
                       static_cast<T>(bias_correction2),
                       v_bar > 0.0 ? static_cast<T>(v_bar) : T(1),
                       v_bar > 0.0 ? T(0) : T(1)};
}

// The gradient the moments see: L2 decay adds wd*p (the reference modifies p.grad in place, so
// both passes see the same modified g; p does not change between the passes).
template <class T>
MOMENTA_HD T adai_grad(T p, T g, const AdaiParams<T>& h) {
  return g + h.l2 * p;
}

// Pass 1: updates v in place and returns it (the caller sums it).
template <class T>
MOMENTA_HD T adai_second_moment(T p, T g, T& v, const AdaiParams<T>& h) {
  g = adai_grad(p, g, h);
  second_moment_update(v, g, h.beta2);
  return v;
}

// Pass 2: the inertia beta1 = clamp(1 - beta0*v_hat/v_bar, 0, 1-eps) and the momentum step.
// Returns beta1 (for the inertia diagnostics). When v_bar == 0 every v is 0 (all gradients so
// far were zero): the reference makes NaN; here the ratio is 1 (0/1 + 1), so every element gets
// the mean inertia 1 - beta0 (any finite beta1 gives the same step, because m is then 0 too).
template <class T>
MOMENTA_HD T adai_update(T& p, T g, T& m, T v, T& beta1_prod, const AdaiParams<T>& h) {
  g = adai_grad(p, g, h);
  p = p * h.decay;
  const T v_hat = v / h.bias_correction2;
  const T ratio = v_hat / h.v_div + h.ratio_offset;
  T beta1 = T(1) - ratio * h.beta0;
  beta1 = beta1 > h.beta1_max ? h.beta1_max : beta1;  // two selects (not nested) vectorise
  beta1 = beta1 < T(0) ? T(0) : beta1;
  beta1_prod = beta1_prod * beta1;
  first_moment_update(m, g, beta1);
  p = p - h.lr * (m / (T(1) - beta1_prod));
  return beta1;
}

// The two passes as functors for the arena traversal (src/optim/arena_cuda.h): term(i, s)
// updates element i and writes its contribution to the pass's sums (the CPU loops in
// src/optim/adai.cpp sum the same values in lanes).
template <class T>
struct AdaiSecondMomentTerm {
  const T* p;
  const T* g;
  T* v;
  AdaiParams<T> h;
  MOMENTA_HD void operator()(int64_t i, double* s) const {
    s[0] = static_cast<double>(adai_second_moment(p[i], g[i], v[i], h));
  }
};

// s[0] = beta1 - shift, s[1] = its square (the inertia diagnostics).
template <class T>
struct AdaiUpdateTerm {
  T* p;
  const T* g;
  T* m;
  const T* v;
  T* beta1_prod;
  AdaiParams<T> h;
  double shift;
  MOMENTA_HD void operator()(int64_t i, double* s) const {
    const double d = static_cast<double>(adai_update(p[i], g[i], m[i], v[i], beta1_prod[i], h)) - shift;
    s[0] = d;
    s[1] = d * d;
  }
};

}  // namespace momenta::kernels
