#include "momenta/diffusion/ncsn.h"

#include <algorithm>
#include <cmath>

#include "momenta/error.h"

namespace momenta::diffusion {

namespace {

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

}  // namespace

double max_pairwise_distance(const Tensor& data) {
  check<ShapeError>(data.defined() && data.dim() >= 1 && data.size(0) >= 2,
                    "max_pairwise_distance: needs at least 2 rows of data");
  const int64_t n = data.size(0);
  const int64_t d = data.numel() / n;
  const Tensor host = data.device() == kCPU ? data : data.to(kCPU);
  const std::vector<double> v = host.to_vector<double>();
  double best = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const double* a = v.data() + i * d;
    for (int64_t j = i + 1; j < n; ++j) {
      const double* b = v.data() + j * d;
      double s = 0.0;
      for (int64_t k = 0; k < d; ++k) {
        const double e = a[k] - b[k];
        s += e * e;
      }
      best = std::max(best, s);
    }
  }
  check<ValueError>(std::isfinite(best), "max_pairwise_distance: the data holds a non-finite value");
  return std::sqrt(best);
}

double ncsn_overlap(double gamma, int64_t dim) {
  check<ValueError>(dim >= 1 && gamma >= 1.0, "ncsn_overlap: needs dim >= 1 and gamma >= 1, got dim = ", dim,
                    ", gamma = ", gamma);
  const double a = std::sqrt(2.0 * static_cast<double>(dim)) * (gamma - 1.0);
  return normal_cdf(a + 3.0 * gamma) - normal_cdf(a - 3.0 * gamma);
}

double ncsn_gamma(int64_t dim, double target) {
  // For D <= 4 (sqrt(2D) <= 3) the window outruns its centre and C tends to 1, not 0.
  check<ValueError>(dim >= 5, "ncsn_gamma: the overlap rule needs data dimension >= 5, got ", dim);
  const double c1 = ncsn_overlap(1.0, dim);
  check<ValueError>(target > 0.0 && target < c1, "ncsn_gamma: the target overlap must be in (0, ", c1, "), got ",
                    target);
  // C rises a little above C(1) just past gamma = 1, then falls to 0: one crossing of any
  // target below C(1), found by bisection between gamma = 1 and a doubling upper bracket.
  double lo = 1.0, hi = 2.0;
  while (ncsn_overlap(hi, dim) > target) hi *= 2.0;
  for (int i = 0; i < 200 && hi - lo > 1e-15 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (ncsn_overlap(mid, dim) > target ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

int64_t ncsn_num_levels(double sigma_max, double sigma_min, int64_t dim, double target) {
  check<ValueError>(sigma_min > 0.0 && sigma_max > sigma_min && std::isfinite(sigma_max),
                    "ncsn_num_levels: needs 0 < sigma_min < sigma_max, got ", sigma_min, ", ", sigma_max);
  const double gamma = ncsn_gamma(dim, target);
  return static_cast<int64_t>(std::ceil(1.0 + std::log(sigma_max / sigma_min) / std::log(gamma) - 1e-9));
}

std::vector<double> geometric_sigmas(double sigma_max, double sigma_min, int64_t levels) {
  check<ValueError>(levels >= 2, "geometric_sigmas: needs at least 2 levels, got ", levels);
  check<ValueError>(sigma_min > 0.0 && sigma_max > sigma_min && std::isfinite(sigma_max),
                    "geometric_sigmas: needs 0 < sigma_min < sigma_max, got ", sigma_min, ", ", sigma_max);
  std::vector<double> s(static_cast<size_t>(levels));
  for (int64_t i = 0; i < levels; ++i)
    s[static_cast<size_t>(i)] =
        sigma_max * std::pow(sigma_min / sigma_max, static_cast<double>(i) / static_cast<double>(levels - 1));
  return s;
}

double ald_variance_ratio(double eps, double sigma_min, double gamma, int64_t steps) {
  check<ValueError>(sigma_min > 0.0 && eps > 0.0 && eps < 2.0 * sigma_min * sigma_min && steps >= 1,
                    "ald_variance_ratio: needs sigma_min > 0, 0 < eps < 2 sigma_min^2 and steps >= 1, got eps = ", eps,
                    ", sigma_min = ", sigma_min, ", steps = ", steps);
  const double s2 = sigma_min * sigma_min;
  const double q = 1.0 - eps / s2;
  const double fixed = 2.0 * eps / (s2 - s2 * q * q);  // the stationary ratio of the recursion
  return std::pow(q, 2.0 * static_cast<double>(steps)) * (gamma * gamma - fixed) + fixed;
}

double ncsn_step_size(double sigma_min, double gamma, int64_t steps) {
  check<ValueError>(gamma >= 1.0 && steps >= 1 && sigma_min > 0.0,
                    "ncsn_step_size: needs gamma >= 1, steps >= 1, sigma_min > 0, got ", gamma, ", ", steps, ", ",
                    sigma_min);
  // In u = eps / sigma_min^2 on a log scale: scan (1e-12, 1), then refine around the best.
  const double s2 = sigma_min * sigma_min;
  auto cost = [&](double log_u) { return std::abs(ald_variance_ratio(std::exp(log_u) * s2, sigma_min, gamma, steps) - 1.0); };
  const int kScan = 4000;
  const double lo = std::log(1e-12), hi = std::log(1.0 - 1e-12);
  const double h = (hi - lo) / kScan;
  int best = 0;
  double best_cost = cost(lo);
  for (int i = 1; i <= kScan; ++i) {
    const double c = cost(lo + h * i);
    if (c < best_cost) best_cost = c, best = i;
  }
  double a = lo + h * std::max(best - 1, 0), b = lo + h * std::min(best + 1, kScan);
  const double r = (std::sqrt(5.0) - 1.0) / 2.0;
  double x1 = b - r * (b - a), x2 = a + r * (b - a);
  double f1 = cost(x1), f2 = cost(x2);
  for (int i = 0; i < 200 && b - a > 1e-12; ++i) {
    if (f1 < f2) {
      b = x2, x2 = x1, f2 = f1;
      x1 = b - r * (b - a), f1 = cost(x1);
    } else {
      a = x1, x1 = x2, f1 = f2;
      x2 = a + r * (b - a), f2 = cost(x2);
    }
  }
  return std::exp(0.5 * (a + b)) * s2;
}

}  // namespace momenta::diffusion
