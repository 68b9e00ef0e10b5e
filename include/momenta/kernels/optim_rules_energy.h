// Per-element update rules of the energy-conserving optimizers ECDSep and BBI (gbdl/ECDSep and
// gbdl/BBI, inflation.py), shared by the CPU loop and the CUDA kernels like optim_rules.h. The
// contract is shared/OPTIMIZERS.md Sections 15 (ECDSep, with F0 self-tuning) and 16 (BBI). Each
// function handles one element; the global scalars (energy, |Pi|^2, rescaling factors, norms)
// are reduced and formed by the caller between passes. The operation order follows the
// reference so float64 runs match the golden trajectories to ~1e-13.
#pragma once

#include <cmath>
#include <cstdint>

#include "momenta/kernels/common.h"
#include "momenta/kernels/philox.h"

namespace momenta::kernels {

// ---------------------------------------------------------------------------------------------
// ECDSep (Section 15).
//
// NOTE [ECDSep passes]: one step is, in the reference, four sweeps (sum p^2; kick + |Pi|^2;
// drift + noisy direction + |u|^2; rescale to |Pi|). Here it is two fused passes, three when
// weight decay is on or on the very first call:
//   A. (wd != 0 or first call) reduce Q2 = sum p^2 and, on the first call, G2 = sum g^2.
//   K. kick: Pi' = c*Pi - k*(g + wd*p), written to the state; reduce sum Pi'^2 (and sum (c*Pi)^2
//      for the energy diagnostic).
//   D. drift + bounce: p += 2*lr*Pi'/(s + |Pi'|^2); u = Pi'/n + nu*z with n = |Pi'| and z the
//      Philox normal of the element; u is written to the state; reduce sum u^2 and sum (Pi'/n)*u.
// The bounce normalisation Pi = n*u/|u| is not a pass of its own: the state keeps the direction
// u and the scalars n and r = |u|, and the next kick (or ecdsep_momentum()) forms
// Pi = (n*u)/r element by element, exactly the reference's expression. Q2 cannot be carried
// over from the previous drift because the parameters may change between steps (a checkpoint
// load, an averager writing back), and the kick needs Q2 before it starts (Ft, V, c).

template <class T>
struct EcdsepKickParams {
  T c;               // energy-conservation rescaling of Pi (1 when off or not applicable)
  T neg_k;           // -lr*(eta/Ft)
  T weight_decay;    // energy-L2: the force is g + wd*p
  T pi_norm, dir_norm;  // Pi = (pi_norm*u)/dir_norm (the lazily normalised bounce)
  T init_scale;      // first call: Pi = (-g)*init_scale, init_scale = sqrt(dE/sum g^2)
  bool first;
};

// The current momentum of one element from the stored direction u (see the note).
template <class T>
MOMENTA_HD T ecdsep_momentum_of(T u, T pi_norm, T dir_norm) {
  return (pi_norm * u) / dir_norm;
}

// Kick: `u` holds the stored direction (ignored on the first call) and receives the kicked Pi'.
// `rescaled` receives c*Pi (its square sums to the projected kinetic energy).
template <class T>
MOMENTA_HD T ecdsep_kick(T p, T g, T& u, const EcdsepKickParams<T>& h, T& rescaled) {
  T pi = h.first ? (-g) * h.init_scale : ecdsep_momentum_of(u, h.pi_norm, h.dir_norm);
  pi = pi * h.c;
  rescaled = pi;
  const T force = h.weight_decay != T(0) ? g + h.weight_decay * p : g;
  pi = pi + h.neg_k * force;
  u = pi;
  return pi;
}

template <class T>
struct EcdsepDriftParams {
  T two_lr;     // lr*2; 0 when s + |Pi'|^2 == 0 (then Pi' == 0 and nothing moves)
  T denom;      // s + |Pi'|^2 (1 in the degenerate case above)
  T norm_div;   // n = |Pi'|, or 1 when n == 0 (then Pi' == 0 and the direction is 0/1 = 0)
  T nu;         // chaos strength; 0 when n == 0 (no direction to bounce: u = 0) or no noise is drawn
  uint64_t seed, offset;  // Philox stream of this step's noise; element i uses normal i
};

// Drift and bounce of one element: `pi` holds the kicked Pi' and receives the unnormalised
// direction u; `z` is the element's standard normal, philox_normal(h.seed, h.offset, i) for arena
// index i (the caller draws it: the CPU loop in blocks with philox_normal_blocks), and must be 0
// when h.nu == 0. Branch-free. Returns u; (Pi'/n) goes to `unit` for the cosine diagnostic.
template <class T>
MOMENTA_HD T ecdsep_drift_bounce(T& p, T& pi, double z, const EcdsepDriftParams<T>& h, T& unit) {
  p = p + (h.two_lr * pi) / h.denom;
  unit = pi / h.norm_div;
  const T u = unit + h.nu * static_cast<T>(z);  // exactly unit when nu == 0 (z is then 0)
  pi = u;
  return u;
}

// ---------------------------------------------------------------------------------------------
// BBI (Section 16).

// Initial momentum of one element of a tensor with gradient norm `norm`:
// Pi = -(g/||g||)*sqrt(max(E^2/Vi - Vi, 0)); a tensor with a zero gradient starts at rest.
template <class T>
MOMENTA_HD T bbi_initial_momentum(T g, T norm, T magnitude) {
  return norm > T(0) ? (-(g / norm)) * magnitude : T(0);
}

template <class T>
struct BbiParams {
  T rescale;  // sqrt(pc/|Pi|^2) with consEn, else 1
  T kick;     // -0.5*lr*(V/E + E/V)
  T drift;    // lr*(V/E)
  bool cons_en;
};

// Normal step: Pi <- rescale*Pi - 0.5*lr*(V/E + E/V)*g ; p <- p + lr*(V/E)*Pi. Returns Pi.
template <class T>
MOMENTA_HD T bbi_update(T& p, T g, T& pi, const BbiParams<T>& h) {
  if (h.cons_en) pi = pi * h.rescale;
  pi = pi + h.kick * g;
  p = p + h.drift * pi;
  return pi;
}

// Bounce direction of element `i`: U(-0.5, 0.5) from Philox (the reference's rand - 0.5).
template <class T>
MOMENTA_HD T bbi_bounce_direction(uint64_t seed, uint64_t offset, uint64_t i) {
  return static_cast<T>(philox_uniform(seed, offset, i) - 0.5);
}

// ---------------------------------------------------------------------------------------------
// The passes as functors for the arena traversal (src/optim/arena_cuda.h): term(i, s) updates
// element i (for a fused pass) and writes its contributions to the pass's sums; the CPU loops
// in src/optim/ecdsep.cpp and bbi.cpp sum the same values.

// ECDSep pass A: s[0] = p^2 (when want_q), s[1] = g^2 (when want_g).
template <class T>
struct EcdsepNormsTerm {
  const T* p;
  const T* g;
  bool want_q, want_g;
  MOMENTA_HD void operator()(int64_t i, double* s) const {
    const double pv = static_cast<double>(p[i]), gv = static_cast<double>(g[i]);
    s[0] = want_q ? pv * pv : 0.0;
    s[1] = want_g ? gv * gv : 0.0;
  }
};

// ECDSep pass K: s[0] = Pi'^2, s[1] = (c*Pi)^2.
template <class T>
struct EcdsepKickTerm {
  const T* p;
  const T* g;
  T* u;
  EcdsepKickParams<T> h;
  MOMENTA_HD void operator()(int64_t i, double* s) const {
    T resc;
    const double k = static_cast<double>(ecdsep_kick(p[i], g[i], u[i], h, resc));
    s[0] = k * k;
    s[1] = static_cast<double>(resc) * static_cast<double>(resc);
  }
};

// ECDSep pass D: s[0] = u^2, s[1] = unit*u, s[2] = unit^2; element i's normal is
// philox_normal(seed, offset, i), the value the CPU draws in blocks.
template <class T>
struct EcdsepDriftTerm {
  T* p;
  T* u;
  EcdsepDriftParams<T> h;
  bool noise;
  MOMENTA_HD void operator()(int64_t i, double* s) const {
    const double z = noise ? philox_normal(h.seed, h.offset, static_cast<uint64_t>(i)) : 0.0;
    T unit;
    const double d = static_cast<double>(ecdsep_drift_bounce(p[i], u[i], z, h, unit));
    s[0] = d * d;
    s[1] = static_cast<double>(unit) * d;
    s[2] = static_cast<double>(unit) * static_cast<double>(unit);
  }
};

// out[i] = the momentum of element i (ecdsep_momentum()).
template <class T>
struct EcdsepMomentumStep {
  T* out;
  const T* u;
  T pi_norm, dir_norm;
  MOMENTA_HD void operator()(int64_t i) const { out[i] = ecdsep_momentum_of(u[i], pi_norm, dir_norm); }
};

// BBI normal step: s[0] = Pi^2 after the update.
template <class T>
struct BbiUpdateTerm {
  T* p;
  const T* g;
  T* pi;
  BbiParams<T> h;
  MOMENTA_HD void operator()(int64_t i, double* s) const {
    const double v = static_cast<double>(bbi_update(p[i], g[i], pi[i], h));
    s[0] = v * v;
  }
};

// BBI bounce: s[0] = u^2 of the raw direction; with write, pi[i] = u*scale and s[0] = pi[i]^2.
template <class T>
struct BbiBounceTerm {
  T* pi;
  uint64_t seed, offset;
  T scale;
  bool write;
  MOMENTA_HD void operator()(int64_t i, double* s) const {
    const T u = bbi_bounce_direction<T>(seed, offset, static_cast<uint64_t>(i));
    if (write) {
      pi[i] = u * scale;
      s[0] = static_cast<double>(pi[i]) * static_cast<double>(pi[i]);
    } else {
      const double ud = static_cast<double>(u);
      s[0] = ud * ud;
    }
  }
};

// BBI initialisation: with write, pi[i] = the initial momentum and s[0] = pi[i]^2; without,
// s[0] = g^2 (the tensor's gradient norm).
template <class T>
struct BbiInitTerm {
  const T* g;
  T* pi;
  T norm, magnitude;
  bool write;
  MOMENTA_HD void operator()(int64_t i, double* s) const {
    if (write) {
      pi[i] = bbi_initial_momentum(g[i], norm, magnitude);
      s[0] = static_cast<double>(pi[i]) * static_cast<double>(pi[i]);
    } else {
      s[0] = static_cast<double>(g[i]) * static_cast<double>(g[i]);
    }
  }
};

}  // namespace momenta::kernels
