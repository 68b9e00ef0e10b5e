// Fitting a sampled damped oscillation y_t = A exp(-t/T) cos(w t + d), t = 0, 1, ...
//
// Method (Prony, order 2): such a sequence satisfies y_{t+1} = c1 y_t + c2 y_{t-1} exactly, with
// roots z = exp(-1/T +- i w) of z^2 - c1 z - c2. c1, c2 come from linear least squares over the
// whole series, T and w from the dominant root, and A, d from least squares on the basis
// r^t cos(w t), r^t sin(w t). When the roots are real (over-damped), w = 0 and T is that of the
// slower root, so T is always the e-folding time of the slowest mode. The relative residual
// says how well the model describes the data (near 0 for a linear two-step recurrence).
#pragma once

#include <vector>

namespace momenta::analysis {

struct DampedFit {
  double radius = 0;     // modulus of the dominant root: the per-step decay factor exp(-1/T)
  double T = 0;          // relaxation time in steps (+inf if the slowest mode does not decay)
  double omega = 0;      // angular frequency per step, in [0, pi]
  double amplitude = 0;  // A
  double phase = 0;      // d
  double rel_residual = 0;  // |y - fit| / |y| over the series
};

// ValueError for fewer than 4 samples or an all-zero series.
DampedFit fit_damped_cosine(const std::vector<double>& y);

}  // namespace momenta::analysis
