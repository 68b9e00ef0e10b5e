// The closed forms of analysis/momentum_theory.h against independent checks: double roots by the
// discriminant, rates against root moduli, the worst function against its definition.
#include "momenta/analysis/momentum_theory.h"

#include <gtest/gtest.h>

#include <cmath>

#include "momenta/autograd.h"
#include "momenta/optim/test_functions.h"

namespace {

using namespace momenta::analysis;

TEST(MomentumTheory, ExactSigmaStarIsADoubleRoot) {
  for (double mu : {0.5, 0.9, 0.99})
    for (double a : {0.01, 0.05, 0.2, 0.8}) {
      const double s = sigma_star_exact(a, mu);
      const double b = 1 + mu - a * (1 + s), c = mu - a * s;
      EXPECT_NEAR(b * b - 4 * c, 0.0, 1e-12) << "a=" << a << " mu=" << mu;
      const auto [z1, z2] = momentum_roots(a, mu, s);
      // A double root moves by sqrt(rounding) under rounding, so compare the roots' mean.
      EXPECT_NEAR(std::abs(z1 - z2), 0.0, 1e-6);
      EXPECT_NEAR((z1 + z2).real() / 2, 1 - std::sqrt(a), 1e-12);  // the double root is 1 - sqrt(a)
    }
}

TEST(MomentumTheory, SigmaStarMinimisesTheSpectralRadius) {
  const double mu = 0.9;
  for (double a : {0.02, 0.1, 0.5}) {
    const double s = sigma_star_exact(a, mu), r = momentum_spectral_radius(a, mu, s);
    for (double d : {-1e-2, -1e-3, 1e-3, 1e-2}) EXPECT_GT(momentum_spectral_radius(a, mu, s + d), r) << a << " " << d;
  }
}

TEST(MomentumTheory, SecondOrderFormulaApproachesTheExactOneForSmallKEta) {
  const double mu = 0.9;
  double prev = INFINITY;
  for (double a : {0.5, 0.1, 0.02, 0.004}) {
    const double err = std::fabs(sigma_star_ode2(a, mu) - sigma_star_exact(a, mu));
    EXPECT_LT(err, prev) << a;
    EXPECT_NEAR(err, std::sqrt(a) / 4, a);  // sqrt(1 + 4/a) - 2/sqrt(a) = sqrt(a)/4 + O(a^1.5)
    prev = err;
  }
  // The first-order ODE misses the -1 of the discrete double root: it is off by exactly 1.
  for (double a : {0.5, 0.004}) EXPECT_NEAR(sigma_star_ode1(a, mu) - sigma_star_exact(a, mu), 1.0, 1e-12);
}

TEST(MomentumTheory, OptimalBetaGivesTheSameRateOnEveryCurvature) {
  for (double kappa : {10.0, 100.0, 1000.0}) {
    const double beta = heavy_ball_optimal_beta(kappa), rate = heavy_ball_optimal_rate(kappa);
    EXPECT_NEAR(rate, std::sqrt(beta), 1e-15);
    for (double a = 1 / kappa; a <= 1.0; a *= 1.7) EXPECT_NEAR(momentum_spectral_radius(a, beta, 0.0), rate, 1e-6) << a;
    // Another beta is worse on some curvature in [1/kappa, 1].
    for (double other : {beta * 0.97, std::min(0.9999, beta * 1.03)}) {
      double worst = 0;
      for (double a = 1 / kappa; a <= 1.0; a *= 1.05) worst = std::max(worst, momentum_spectral_radius(a, other, 0.0));
      EXPECT_GT(worst, rate) << kappa << " " << other;
    }
  }
}

TEST(MomentumTheory, StabilityLimit) {
  for (double beta : {0.0, 0.5, 0.9}) {
    const double lim = heavy_ball_stability_limit(beta);
    EXPECT_LT(momentum_spectral_radius(lim * (1 - 1e-6), beta, 0.0), 1.0);
    EXPECT_GT(momentum_spectral_radius(lim * (1 + 1e-6), beta, 0.0), 1.0);
  }
  EXPECT_EQ(relaxation_time(1.0), INFINITY);
  EXPECT_NEAR(relaxation_time(std::exp(-0.25)), 4.0, 1e-12);
}

TEST(MomentumTheory, NesterovWorstFunctionMinimum) {
  for (int k : {1, 5, 20}) {
    const auto f = momenta::optim::make_test_function("nesterov_worst", k, {{"L", "2"}});
    std::vector<double> xs;
    for (int i = 1; i <= k; ++i) xs.push_back(1.0 - i / (k + 1.0));
    momenta::NoGradGuard ng;
    EXPECT_NEAR(f(momenta::Tensor::from_vector<double>(xs)).item(), nesterov_worst_min(2.0, k), 1e-12);
    double d2 = 0;
    for (double x : xs) d2 += x * x;
    EXPECT_NEAR(nesterov_worst_dist2(k), d2, 1e-12);
  }
  EXPECT_NEAR(nesterov_lower_bound(1.0, 3, 0), 3.0 * nesterov_worst_dist2(3) / 32.0, 1e-15);
  for (int t : {0, 3, 10, 50}) {
    const int k = 2 * t + 1;
    // f(x_t) >= min over the first t coordinates = f*_t (0 at t = 0).
    const double ft = t == 0 ? 0.0 : nesterov_worst_min(1.5, t);
    EXPECT_NEAR(nesterov_span_bound(1.5, k, t), ft - nesterov_worst_min(1.5, k), 1e-15);
    EXPECT_GE(nesterov_span_bound(1.5, k, t), nesterov_lower_bound(1.5, k, t));  // Nesterov's bound follows
  }
}

}  // namespace
