// The moment estimates of the adaptive rules, spelled once for all of them (OPTIMIZERS.md
// Sections 5-12): Adam, AdamW, AMSGrad, Adam with super-acceleration, AdaBound, Padam and RAdam
// (both moments), RMSProp with super-acceleration (second), Yogi (first; its second moment has
// its own rule) and Adai (both, in its two passes).
// Each is an exponential moving average in the reference code's operation order, so float64
// runs keep matching the golden trajectories bit for bit. C++17, so nvcc compiles it.
#pragma once

#include "momenta/kernels/common.h"

namespace momenta::kernels {

// m <- beta1*m + (1-beta1)*g, written m*beta1 + (1-beta1)*g as torch's mul_(beta1).add_(g,
// alpha=1-beta1).
template <class T>
MOMENTA_HD void first_moment_update(T& m, T g, T beta1) {
  m = m * beta1 + (T(1) - beta1) * g;
}

// v <- beta2*v + (1-beta2)*g^2, as torch's mul_(beta2).addcmul_(g, g, value=1-beta2):
// ((1-beta2)*g)*g.
template <class T>
MOMENTA_HD void second_moment_update(T& v, T g, T beta2) {
  v = v * beta2 + (T(1) - beta2) * g * g;
}

// AMSGrad's running maximum of v (vmax <- max(vmax, v)); returns the value the step divides by.
template <class T>
MOMENTA_HD T amsgrad_max(T& vmax, T v) {
  vmax = vmax >= v ? vmax : v;
  return vmax;
}

}  // namespace momenta::kernels
