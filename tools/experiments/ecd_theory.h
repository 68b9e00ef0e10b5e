// Closed forms of the ECDSep paper's Sec. 2 (De Luca, Gatti & Silverstein 2023; paper file 001,
// l.32-64), header-only so the tests can check them by hand (tests/tools/reproduce_belayecd_test.cpp).
//
// NOTE [ECD measure] For H = V(F) Pi^2 (eq. 2) and V = (F - F0)^eta (eq. 3) the microcanonical
// measure marginalised over the momentum sphere is mu ~ V^(-n/2) (eq. 4). ECDSep integrates the
// logarithm H_sep = log Pi^2 + log V (eq. 9), whose flow is H's flow with time rescaled by the
// constant energy, so eq. 4 is also ECDSep's time-average measure when s = 0. The regularised
// Hamiltonian (s = 1, eq. 10) has mu ~ V^-1 (E/V - 1)^((n-2)/2) on {V <= E} instead: eq. 4 is its
// large-E/V limit. In an isotropic quadratic basin F = F2 |Theta|^2 + F_min with gap = F_min - F0
// > 0, the radial density is r^(n-1) (F2 r^2 + gap)^(-eta n/2) (eq. 6), which peaks at eq. 7; there
// the speed of eq. 5 is eq. 8. With gap = 0 (the paper's experiments set F0 = 0, l.70) the peak is
// at r = 0 for every eta (l.64) and the measure is not normalisable at the minimum.
#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace momenta::cli::experiments {

// Eq. 7: Theta_*^2 = gap (n - 1) / (F2 (1 + n (eta - 1))).
inline double ecd_eq7_peak_radius_sq(int n, double F2, double gap, double eta) {
  return gap * (n - 1) / (F2 * (1.0 + n * (eta - 1.0)));
}

// Eq. 8: |dTheta/dt| at Theta_* = sqrt(E) (gap n eta / (1 + n (eta - 1)))^(eta/2), in the time of
// H = V Pi^2 with Theta-dot^2 = E V (eq. 5).
inline double ecd_eq8_peak_speed(double E, int n, double gap, double eta) {
  return std::sqrt(E) * std::pow(gap * n * eta / (1.0 + n * (eta - 1.0)), eta / 2.0);
}

// log of eq. 6's radial density (up to a constant): (n-1) log r - (eta n/2) log(F2 r^2 + gap).
inline double ecd_eq6_log_radial(double r, int n, double F2, double gap, double eta) {
  return (n - 1) * std::log(r) - 0.5 * eta * n * std::log(F2 * r * r + gap);
}

// <r^2> under eq. 6's radial density, by the midpoint rule with m points on [0, r_max] (the
// density's tail falls as r^(n - 1 - eta n), so r_max a few tens of Theta_* suffices for eta > 1).
inline double ecd_eq6_mean_r2(int n, double F2, double gap, double eta, double r_max, int m) {
  std::vector<double> lp(static_cast<size_t>(m));
  double top = -INFINITY;
  for (int i = 0; i < m; ++i) {
    lp[static_cast<size_t>(i)] = ecd_eq6_log_radial(r_max * (i + 0.5) / m, n, F2, gap, eta);
    top = std::max(top, lp[static_cast<size_t>(i)]);
  }
  double num = 0, den = 0;
  for (int i = 0; i < m; ++i) {
    const double r = r_max * (i + 0.5) / m, p = std::exp(lp[static_cast<size_t>(i)] - top);
    num += p * r * r;
    den += p;
  }
  return num / den;
}

// The mode of a sample of radii: the maximum, on a grid of 400 points over [lo, hi], of a Gaussian
// kernel density estimate with bandwidth h.
inline double kde_mode(const std::vector<double>& r, double lo, double hi, double h) {
  const int grid = 400;
  std::vector<double> dens(grid, 0.0);
  for (double x : r) {
    const int a = std::max(0, static_cast<int>((x - 5 * h - lo) / (hi - lo) * (grid - 1)));
    const int b = std::min(grid - 1, static_cast<int>((x + 5 * h - lo) / (hi - lo) * (grid - 1)) + 1);
    for (int i = a; i <= b; ++i) {
      const double z = (lo + (hi - lo) * i / (grid - 1) - x) / h;
      dens[static_cast<size_t>(i)] += std::exp(-0.5 * z * z);
    }
  }
  const auto it = std::max_element(dens.begin(), dens.end());
  return lo + (hi - lo) * static_cast<double>(it - dens.begin()) / (grid - 1);
}

// What kde_mode(samples, lo, hi, h) tends to on infinitely many samples of eq. 6's radial density:
// the maximum, over the same 400-point grid, of that density convolved with the Gaussian kernel of
// bandwidth h (midpoint rule with m points on [0, r_max]). Its distance from eq. 7 is the bias of
// the estimator (the kernel spreads a skewed peak), not of the dynamics.
inline double ecd_eq6_smoothed_mode(int n, double F2, double gap, double eta, double lo, double hi, double h, double r_max,
                                    int m) {
  std::vector<double> r(static_cast<size_t>(m)), w(static_cast<size_t>(m));
  double top = -INFINITY;
  for (int i = 0; i < m; ++i) {
    r[static_cast<size_t>(i)] = r_max * (i + 0.5) / m;
    w[static_cast<size_t>(i)] = ecd_eq6_log_radial(r[static_cast<size_t>(i)], n, F2, gap, eta);
    top = std::max(top, w[static_cast<size_t>(i)]);
  }
  for (double& x : w) x = std::exp(x - top);
  const int grid = 400;
  double best = -INFINITY, at = lo;
  for (int g = 0; g < grid; ++g) {
    const double x = lo + (hi - lo) * g / (grid - 1);
    double d = 0;  // the kernel is cut at 10 h
    const int i0 = std::max(0, static_cast<int>((x - 10 * h) / r_max * m));
    const int i1 = std::min(m - 1, static_cast<int>((x + 10 * h) / r_max * m) + 1);
    for (int i = i0; i <= i1; ++i) {
      const double z = (x - r[static_cast<size_t>(i)]) / h;
      d += w[static_cast<size_t>(i)] * std::exp(-0.5 * z * z);
    }
    if (d > best) best = d, at = x;
  }
  return at;
}

}  // namespace momenta::cli::experiments
