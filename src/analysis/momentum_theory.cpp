#include "momenta/analysis/momentum_theory.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "momenta/error.h"

namespace momenta::analysis {

std::pair<std::complex<double>, std::complex<double>> momentum_roots(double a, double mu, double sigma) {
  const double b = 1.0 + mu - a * (1.0 + sigma), c = mu - a * sigma;
  const std::complex<double> disc = std::sqrt(std::complex<double>(b * b - 4.0 * c, 0.0));
  return {(b + disc) / 2.0, (b - disc) / 2.0};
}

double momentum_spectral_radius(double a, double mu, double sigma) {
  const auto [z1, z2] = momentum_roots(a, mu, sigma);
  return std::max(std::abs(z1), std::abs(z2));
}

double relaxation_time(double r) {
  if (!(r < 1.0)) return std::numeric_limits<double>::infinity();
  return -1.0 / std::log(r);
}

double sigma_star_exact(double a, double mu) { return -1.0 + 2.0 / std::sqrt(a) - (1.0 - mu) / a; }
double sigma_star_ode1(double a, double mu) { return 2.0 / std::sqrt(a) - (1.0 - mu) / a; }
double sigma_star_ode_backward(double a, double mu) { return -2.0 + 2.0 * std::sqrt(1.0 + 1.0 / a) - (1.0 - mu) / a; }
double sigma_star_ode2(double a, double mu) { return -1.0 + std::sqrt(1.0 + 4.0 / a) - (1.0 - mu) / a; }

double eq13_overtakes_eq14(double mu, double lo, double hi) {
  if (!(lo > 0.0 && hi > lo && std::isfinite(hi)))
    throw ValueError(str_cat("eq13_overtakes_eq14: need 0 < lo < hi, finite; got lo = ", lo, ", hi = ", hi));
  // > 0 while eq. 14 is strictly the closer.
  const auto gap = [mu](double a) {
    const double ex = sigma_star_exact(a, mu);
    return std::fabs(sigma_star_ode_backward(a, mu) - ex) - std::fabs(sigma_star_ode2(a, mu) - ex);
  };
  if (!(gap(lo) > 0.0)) return lo;
  const int n = 2000;
  const double ratio = std::log(hi / lo);
  double prev = lo;
  for (int i = 1; i <= n; ++i) {
    const double a = i == n ? hi : lo * std::exp(ratio * i / n);
    if (gap(a) > 0.0) {
      prev = a;
      continue;
    }
    double l = prev, h = a;  // gap(l) > 0 >= gap(h)
    while (h - l > 1e-13 * h) {
      const double m = (l + h) / 2.0;
      (gap(m) > 0.0 ? l : h) = m;
    }
    return h;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

std::pair<double, double> paper_ode_coefficients(int which, double a, double mu, double sigma) {
  const double alpha = mu - a * sigma - 1.0;
  switch (which) {
    case 9: return {-alpha, a};
    case 10: return {-alpha / (1.0 + alpha), a / (1.0 + alpha)};
    case 11: return {-alpha / (1.0 + alpha / 2.0), a / (1.0 + alpha / 2.0)};
    default: throw ValueError(str_cat("paper_ode_coefficients: ODE number ", which, " is not 9, 10 or 11"));
  }
}

double damped_oscillator(double A, double B, double x0, double v0, double t) {
  const double h = A / 2.0, d = h * h - B;
  const double scale = std::max(1.0, h * h);
  if (std::fabs(d) <= 1e-14 * scale) return std::exp(-h * t) * (x0 + (v0 + h * x0) * t);  // critical
  if (d < 0) {
    const double w = std::sqrt(-d);
    return std::exp(-h * t) * (x0 * std::cos(w * t) + (v0 + h * x0) / w * std::sin(w * t));
  }
  const double w = std::sqrt(d), r1 = -h + w, r2 = -h - w;  // x = c1 e^{r1 t} + c2 e^{r2 t}
  const double c1 = (v0 - r2 * x0) / (r1 - r2), c2 = x0 - c1;
  return c1 * std::exp(r1 * t) + c2 * std::exp(r2 * t);
}

double initial_relaxation_time(double a, double mu, double sigma) {
  const auto [z1, z2] = momentum_roots(a, mu, sigma);
  const double m1 = std::abs(z1), m2 = std::abs(z2);
  if (!(std::max(m1, m2) < 1.0)) return std::numeric_limits<double>::infinity();
  const double fast = std::min(m1, m2);
  if (fast == 0.0) return 0.0;
  return -1.0 / std::log(fast);
}

double heavy_ball_optimal_beta(double kappa) {
  const double s = 1.0 - 1.0 / std::sqrt(kappa);
  return s * s;
}
double heavy_ball_optimal_rate(double kappa) { return 1.0 - 1.0 / std::sqrt(kappa); }
double heavy_ball_stability_limit(double beta) { return 2.0 * (1.0 + beta); }

double nesterov_worst_min(double L, int k) { return L / 8.0 * (1.0 / (k + 1.0) - 1.0); }

double nesterov_worst_dist2(int k) {
  double s = 0;
  for (int i = 1; i <= k; ++i) {
    const double x = 1.0 - i / (k + 1.0);
    s += x * x;
  }
  return s;
}

double nesterov_span_bound(double L, int k, int t) { return L / 8.0 * (1.0 / (t + 1.0) - 1.0 / (k + 1.0)); }

double nesterov_lower_bound(double L, int k, int t) {
  return 3.0 * L * nesterov_worst_dist2(k) / (32.0 * (t + 1.0) * (t + 1.0));
}

}  // namespace momenta::analysis
