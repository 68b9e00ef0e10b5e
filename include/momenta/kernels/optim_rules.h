// Per-element optimizer update rules, shared by the CPU loop and the CUDA kernels
// (STYLE habit 2: the math apart from the traversal). Each function updates one parameter
// element and its state in place. The contract for every rule is shared/OPTIMIZERS.md; the
// section is named at each rule. The operation order follows the reference code so float64
// runs match the golden trajectories to ~1e-13.
#pragma once

#include <cmath>
#include <cstdint>

#include "momenta/kernels/common.h"
#include "momenta/kernels/moments.h"

namespace momenta::kernels {

// OPTIMIZERS.md Sections 1-3: SGD, heavy ball (PyTorch form) and Nesterov.
// `first` is true on the group's first step (the buffer is set to g, dampening not applied).
template <class T>
struct SgdParams {
  T lr, momentum, dampening, weight_decay;
  bool nesterov, first;
};

template <class T>
MOMENTA_HD void sgd_update(T& p, T g, T& buf, const SgdParams<T>& h) {
  if (h.weight_decay != T(0)) g = g + h.weight_decay * p;
  if (h.momentum != T(0)) {
    buf = h.first ? g : buf * h.momentum + (T(1) - h.dampening) * g;
    g = h.nesterov ? g + h.momentum * buf : buf;
  }
  p = p - h.lr * g;
}

// The per-element steps as functors for the arena traversal (src/optim/arena_cuda.h): plain
// device pointers and the host-computed scalars. The CPU loops call the same update functions
// through their restrict-pointer loops (src/optim/*.cpp).
template <class T>
struct SgdStep {
  T* p;
  const T* g;
  T* buf;  // null without momentum
  SgdParams<T> h;
  MOMENTA_HD void operator()(int64_t i) const {
    T unused = T(0);
    sgd_update(p[i], g[i], buf != nullptr ? buf[i] : unused, h);
  }
};

// a[i] = b[i] = value (b may be null): state initialisation and copies on the device.
template <class T>
struct FillStep {
  T* a;
  T* b;
  T value;
  MOMENTA_HD void operator()(int64_t i) const {
    a[i] = value;
    if (b != nullptr) b[i] = value;
  }
};

// out[i] = in[i].
template <class T>
struct CopyStep {
  T* out;
  const T* in;
  MOMENTA_HD void operator()(int64_t i) const { out[i] = in[i]; }
};

// OPTIMIZERS.md Sections 6-8: Adam (L2 decay), AdamW (decoupled decay), AMSGrad.
// step_size = lr / (1 - b1^t), inv_sqrt_bc2 = 1 / sqrt(1 - b2^t), computed once per step.
template <class T>
struct AdamParams {
  T lr, beta1, beta2, eps, weight_decay, step_size, sqrt_bc2;
  bool decoupled, amsgrad;
};

template <class T>
MOMENTA_HD void adam_update(T& p, T g, T& m, T& v, T* vmax, const AdamParams<T>& h) {
  if (h.weight_decay != T(0)) {
    if (h.decoupled) p = p * (T(1) - h.lr * h.weight_decay);
    else g = g + h.weight_decay * p;
  }
  first_moment_update(m, g, h.beta1);
  second_moment_update(v, g, h.beta2);
  const T vv = h.amsgrad ? amsgrad_max(*vmax, v) : v;
  const T denom = std::sqrt(vv) / h.sqrt_bc2 + h.eps;
  p = p - h.step_size * (m / denom);
}

template <class T>
struct AdamStep {
  T* p;
  const T* g;
  T* m;
  T* v;
  T* vmax;  // null unless h.amsgrad
  AdamParams<T> h;
  MOMENTA_HD void operator()(int64_t i) const {
    adam_update(p[i], g[i], m[i], v[i], h.amsgrad ? vmax + i : nullptr, h);
  }
};

}  // namespace momenta::kernels
