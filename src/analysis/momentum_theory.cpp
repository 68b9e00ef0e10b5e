#include "momenta/analysis/momentum_theory.h"

#include <algorithm>
#include <cmath>
#include <limits>

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
double sigma_star_ode2(double a, double mu) { return -1.0 + std::sqrt(1.0 + 4.0 / a) - (1.0 - mu) / a; }

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
