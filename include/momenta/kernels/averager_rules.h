// Per-element weight-averager rules (EMA, SWA, BELAY), shared by the CPU loop and the CUDA
// kernels (STYLE habit 2: the math apart from the traversal). The contract is
// shared/OPTIMIZERS.md Sections 17-19; each function updates one element in place.
#pragma once

#include <cstdint>

#include "momenta/kernels/common.h"

namespace momenta::kernels {

// OPTIMIZERS.md Section 17: ema <- d*ema + (1-d)*w, with w the post-step weight.
template <class T>
MOMENTA_HD void ema_update(T& avg, T w, T decay) {
  avg = decay * avg + (T(1) - decay) * w;
}

// OPTIMIZERS.md Section 19 (torch.optim.swa_utils.AveragedModel, default averaging): the first
// average copies w; after that avg <- avg + (w - avg)/(n+1), with n the averages taken so far.
template <class T>
MOMENTA_HD void swa_update(T& avg, T w, T n_plus_1, bool first) {
  avg = first ? w : avg + (w - avg) / n_plus_1;
}

// OPTIMIZERS.md Section 18 (BELAY; reconstructed). a = 1 - k/(2*m1), b = 1 - k/(2*m2);
// damp_i = 1 - c_i/(2*m_i) (0 for the default damping c_i = 2*m_i).
template <class T>
struct BelayParams {
  T a, b;
  T one_minus_a, one_minus_b;
  T damp1, damp2;    // M_i = damp_i * v_i
  T k_m1, k_m2;      // k/m_i
  T c1_m1, c2_m2;    // c_i/m_i
  T inv_2a;          // 1/(2a)
};

// Default damping (c_i = 2*m_i): the velocities drop out (OPTIMIZERS.md Section 18, "Certain").
// On entry w1 holds the inner optimizer's step w1s; w1_prev is w1(t), w2 is w2(t).
template <class T>
MOMENTA_HD void belay_update(T& w1, T w1_prev, T& w2, const BelayParams<T>& h) {
  const T w1s = w1;
  const T w2t = w2;
  w1 = h.a * w1s + h.one_minus_a * w2t;
  w2 = h.b * w2t + h.one_minus_b * w1_prev;
}

// General damping: every right-hand side is at time t (explicit Euler, Algorithm 1).
template <class T>
MOMENTA_HD void belay_update_damped(T& w1, T w1_prev, T& w2, T& v1, T& v2, const BelayParams<T>& h) {
  const T w1s = w1;
  const T w2t = w2;
  const T v1t = v1;
  const T v2t = v2;
  w1 = h.a * w1s + h.one_minus_a * w2t + h.damp1 * v1t;
  w2 = h.b * w2t + h.one_minus_b * w1_prev + h.damp2 * v2t;
  v1 = v1t + h.k_m1 * (w2t - w1_prev) - h.c1_m1 * v1t + (w1s - w1_prev) * h.inv_2a;
  v2 = v2t + h.k_m2 * (w1_prev - w2t) - h.c2_m2 * v2t;
}

// The per-element steps as functors for the arena traversal (src/optim/arena_cuda.h).
template <class T>
struct EmaStep {
  T* avg;
  const T* w;
  T decay;
  MOMENTA_HD void operator()(int64_t i) const { ema_update(avg[i], w[i], decay); }
};

template <class T>
struct SwaStep {
  T* avg;
  const T* w;
  T n_plus_1;
  bool first;
  MOMENTA_HD void operator()(int64_t i) const { swa_update(avg[i], w[i], n_plus_1, first); }
};

template <class T>
struct BelayStep {
  T* w1;
  const T* w1_prev;
  T* w2;
  T* v1;  // null for the default damping
  T* v2;
  BelayParams<T> h;
  MOMENTA_HD void operator()(int64_t i) const {
    if (v1 == nullptr) belay_update(w1[i], w1_prev[i], w2[i], h);
    else belay_update_damped(w1[i], w1_prev[i], w2[i], v1[i], v2[i], h);
  }
};

// One term of |a - b|^2 (the averagers' distance diagnostics), summed in double.
template <class T>
struct SquaredDistanceTerm {
  const T* a;
  const T* b;
  MOMENTA_HD void operator()(int64_t i, double* v) const {
    const double d = static_cast<double>(a[i]) - static_cast<double>(b[i]);
    v[0] = d * d;
  }
};

}  // namespace momenta::kernels
