// Per-element update rules of the look-ahead (super-acceleration) and adaptive-step families,
// shared by the CPU loop and the CUDA kernels like optim_rules.h. Each function updates one
// parameter element and its state in place; per-step scalars (bias corrections, bounds) are
// computed once per group by the caller. The contract is shared/OPTIMIZERS.md, section named at
// each rule; the operation order follows the reference code so float64 runs match the golden
// trajectories to ~1e-13.
#pragma once

#include <cmath>
#include <cstdint>

#include "momenta/kernels/common.h"
#include "momenta/kernels/moments.h"

namespace momenta::kernels {

// NOTE [look-ahead storage]: super-accelerated rules store phi = theta + sigma*vel, the point
// where the next gradient is taken, and the velocity vel = theta_{i+1} - theta_i (it includes
// lr). One step moves phi by (1+sigma)*vel_new - sigma_prev*vel_old, where sigma_prev is the
// sigma the stored phi was built with (equal to sigma unless a schedule changed it; then the
// look-ahead follows the schedule one step late, which costs no extra pass); the paper's
// iterate is theta = phi - sigma_prev*vel (super_accel_theta).
template <class T>
MOMENTA_HD void look_ahead_move(T& p, T& vel, T vel_new, T sigma, T sigma_prev) {
  p = p + (T(1) + sigma) * vel_new - sigma_prev * vel;
  vel = vel_new;
}

template <class T>
MOMENTA_HD T super_accel_theta(T p, T vel, T sigma) {
  return p - sigma * vel;
}

// OPTIMIZERS.md Section 4: super-accelerated momentum (Nakerst et al. eq. 4), look-ahead form.
//   vel_new = mu*vel - lr*g  (g at the stored phi);  phi += (1+sigma)*vel_new - sigma*vel.
template <class T>
struct SuperAccelParams {
  T lr, momentum, sigma, sigma_prev;
};

template <class T>
MOMENTA_HD void super_accel_update(T& p, T g, T& vel, const SuperAccelParams<T>& h) {
  look_ahead_move(p, vel, h.momentum * vel - h.lr * g, h.sigma, h.sigma_prev);
}

// OPTIMIZERS.md Section 5: RMSProp + momentum + super-acceleration (paper eq. 16).
//   r <- b2*r + (1-b2)*g^2 (no bias correction); vel_new = mu*vel - lr*g/sqrt(r + eps).
template <class T>
struct RmspropSuperAccelParams {
  T lr, momentum, beta2, eps, sigma, sigma_prev;
};

template <class T>
MOMENTA_HD void rmsprop_super_accel_update(T& p, T g, T& vel, T& r, const RmspropSuperAccelParams<T>& h) {
  second_moment_update(r, g, h.beta2);
  look_ahead_move(p, vel, h.momentum * vel - h.lr * g / std::sqrt(r + h.eps), h.sigma, h.sigma_prev);
}

// Adam with super-acceleration (no golden file; defined in src/optim/super_accel.cpp):
// Adam's step u = -(lr/bc1) * m/(sqrt(v)/sqrt(bc2) + eps) is the velocity of the look-ahead
// form, with m, v fed by g at the stored phi (L2 decay at phi). step_size = lr/(1-b1^t),
// lead_size = (1+sigma)*step_size. phi moves by (1+sigma)*u - sigma*u_prev, written so that
// sigma = 0 performs adam_update's operations exactly (p - step_size*q, then minus 0), with or
// without floating-point contraction.
template <class T>
struct AdamSuperAccelParams {
  T beta1, beta2, eps, weight_decay, step_size, lead_size, sqrt_bc2, sigma_prev;
};

template <class T>
MOMENTA_HD void adam_super_accel_update(T& p, T g, T& m, T& v, T& vel, const AdamSuperAccelParams<T>& h) {
  if (h.weight_decay != T(0)) g = g + h.weight_decay * p;
  first_moment_update(m, g, h.beta1);
  second_moment_update(v, g, h.beta2);
  const T denom = std::sqrt(v) / h.sqrt_bc2 + h.eps;
  const T q = m / denom;
  p = p - h.lead_size * q - h.sigma_prev * vel;
  vel = -(h.step_size * q);
}

// OPTIMIZERS.md Section 9: AdaBound / AMSBound (Luolc/AdaBound).
// step_size = lr*sqrt(1-b2^t)/(1-b1^t); lower/upper are the clamp bounds of step t.
template <class T>
struct AdaBoundParams {
  T beta1, beta2, eps, weight_decay, step_size, lower, upper;
  bool amsbound;
};

template <class T>
MOMENTA_HD void adabound_update(T& p, T g, T& m, T& v, T* vmax, const AdaBoundParams<T>& h) {
  if (h.weight_decay != T(0)) g = g + h.weight_decay * p;
  first_moment_update(m, g, h.beta1);
  second_moment_update(v, g, h.beta2);
  const T vv = h.amsbound ? amsgrad_max(*vmax, v) : v;
  T rate = h.step_size / (std::sqrt(vv) + h.eps);
  rate = rate < h.lower ? h.lower : (rate > h.upper ? h.upper : rate);
  p = p - rate * m;
}

// OPTIMIZERS.md Section 10: Padam (uclaml/Padam). step_size = lr*sqrt(1-b2^t)/(1-b1^t);
// exponent = 2*partial, applied to (sqrt(v) + eps).
template <class T>
struct PadamParams {
  T beta1, beta2, eps, weight_decay, step_size, exponent;
  bool amsgrad;
};

template <class T>
MOMENTA_HD void padam_update(T& p, T g, T& m, T& v, T* vmax, const PadamParams<T>& h) {
  if (h.weight_decay != T(0)) g = g + h.weight_decay * p;
  first_moment_update(m, g, h.beta1);
  second_moment_update(v, g, h.beta2);
  const T vv = h.amsgrad ? amsgrad_max(*vmax, v) : v;
  const T denom = std::sqrt(vv) + h.eps;
  p = p - h.step_size * m / std::pow(denom, h.exponent);
}

// OPTIMIZERS.md Section 11: Yogi (jettify/pytorch-optimizer). Both moments start at
// initial_accumulator. step_size = lr/(1-b1^t), sqrt_bc2 = sqrt(1-b2^t).
template <class T>
struct YogiParams {
  T beta1, beta2, eps, weight_decay, step_size, sqrt_bc2;
};

template <class T>
MOMENTA_HD void yogi_update(T& p, T g, T& m, T& v, const YogiParams<T>& h) {
  if (h.weight_decay != T(0)) g = g + h.weight_decay * p;
  first_moment_update(m, g, h.beta1);
  const T g2 = g * g;
  const T diff = v - g2;
  const T sign = diff > T(0) ? T(1) : (diff < T(0) ? T(-1) : T(0));  // sign(0) = 0
  v = v - (T(1) - h.beta2) * sign * g2;
  const T denom = std::sqrt(v) / h.sqrt_bc2 + h.eps;
  p = p - h.step_size * m / denom;
}

// OPTIMIZERS.md Section 12: RAdam (LiyuanLucasLiu/RAdam). The moments always update; the
// parameter update depends on the step's mode, decided once per step from rho_t:
// kAdaptive (rho_t >= 5): p -= decay*p; p -= step*m/(sqrt(v)+eps), step = lr*r_t;
// kSgd (degenerated_to_sgd): p -= decay*p; p -= step*m, step = lr/(1-b1^t);
// kNone: p unchanged. decay = wd*lr (decoupled, only on updating steps).
enum class RadamMode { kAdaptive, kSgd, kNone };

template <class T>
struct RadamParams {
  T beta1, beta2, eps, decay, step;
  RadamMode mode;
};

template <class T>
MOMENTA_HD void radam_update(T& p, T g, T& m, T& v, const RadamParams<T>& h) {
  second_moment_update(v, g, h.beta2);
  first_moment_update(m, g, h.beta1);
  if (h.mode == RadamMode::kNone) return;
  if (h.decay != T(0)) p = p - h.decay * p;
  if (h.mode == RadamMode::kAdaptive) p = p - h.step * m / (std::sqrt(v) + h.eps);
  else p = p - h.step * m;
}

// The per-element steps as functors for the arena traversal (src/optim/arena_cuda.h): plain
// device pointers and the host-computed scalars; the CPU loops call the same update functions.
template <class T>
struct SuperAccelStep {
  T* p;
  const T* g;
  T* vel;
  SuperAccelParams<T> h;
  MOMENTA_HD void operator()(int64_t i) const { super_accel_update(p[i], g[i], vel[i], h); }
};

template <class T>
struct RmspropSuperAccelStep {
  T* p;
  const T* g;
  T* vel;
  T* r;
  RmspropSuperAccelParams<T> h;
  MOMENTA_HD void operator()(int64_t i) const { rmsprop_super_accel_update(p[i], g[i], vel[i], r[i], h); }
};

template <class T>
struct AdamSuperAccelStep {
  T* p;
  const T* g;
  T* m;
  T* v;
  T* vel;
  AdamSuperAccelParams<T> h;
  MOMENTA_HD void operator()(int64_t i) const { adam_super_accel_update(p[i], g[i], m[i], v[i], vel[i], h); }
};

// theta = phi - sigma*vel into out (the evaluation weights of the super-accelerated rules).
template <class T>
struct SuperAccelThetaStep {
  T* out;
  const T* p;
  const T* vel;
  T sigma;
  MOMENTA_HD void operator()(int64_t i) const { out[i] = super_accel_theta(p[i], vel[i], sigma); }
};

template <class T>
struct AdaBoundStep {
  T* p;
  const T* g;
  T* m;
  T* v;
  T* vmax;  // null unless h.amsbound
  AdaBoundParams<T> h;
  MOMENTA_HD void operator()(int64_t i) const {
    adabound_update(p[i], g[i], m[i], v[i], h.amsbound ? vmax + i : nullptr, h);
  }
};

template <class T>
struct PadamStep {
  T* p;
  const T* g;
  T* m;
  T* v;
  T* vmax;  // null unless h.amsgrad
  PadamParams<T> h;
  MOMENTA_HD void operator()(int64_t i) const {
    padam_update(p[i], g[i], m[i], v[i], h.amsgrad ? vmax + i : nullptr, h);
  }
};

template <class T>
struct YogiStep {
  T* p;
  const T* g;
  T* m;
  T* v;
  YogiParams<T> h;
  MOMENTA_HD void operator()(int64_t i) const { yogi_update(p[i], g[i], m[i], v[i], h); }
};

template <class T>
struct RadamElementStep {
  T* p;
  const T* g;
  T* m;
  T* v;
  RadamParams<T> h;
  MOMENTA_HD void operator()(int64_t i) const { radam_update(p[i], g[i], m[i], v[i], h); }
};

}  // namespace momenta::kernels
