// NCSNv2's techniques (Song & Ermon 2020) on hand-computed cases. Expected values that need
// the normal CDF were computed from the formulas with Python's math.erf (noted per case).
#include <gtest/gtest.h>

#include <cmath>

#include "momenta/diffusion/ncsn.h"
#include "momenta/error.h"

using namespace momenta;
using namespace momenta::diffusion;

TEST(Ncsn, MaxPairwiseDistance) {
  // Rows (0,0), (3,4), (1,1), (-1,0): the farthest pair is (3,4)-(-1,0): sqrt(16 + 16).
  const Tensor d = Tensor::from_vector(std::vector<float>{0, 0, 3, 4, 1, 1, -1, 0}, Shape{4, 1, 2});
  EXPECT_NEAR(max_pairwise_distance(d), std::sqrt(32.0), 1e-12);
  EXPECT_THROW(max_pairwise_distance(Tensor::zeros(Shape{1, 3})), ShapeError);
}

TEST(Ncsn, OverlapAndGamma) {
  // C(1) = Phi(3) - Phi(-3) = erf(3 / sqrt 2), whatever D.
  EXPECT_NEAR(ncsn_overlap(1.0, 3072), std::erf(3 / std::sqrt(2.0)), 1e-15);
  // CIFAR-10's released levels (sigma 50 -> 0.01, L = 232, D = 3072): gamma = 5000^(1/231),
  // C = 0.566966 (Python: 0.5669658815368148).
  const double g_cifar = std::pow(5000.0, 1.0 / 231.0);
  EXPECT_NEAR(ncsn_overlap(g_cifar, 3072), 0.5669658815368148, 1e-12);
  // Solving C = 0.5 (Python bisection: 1.0397964165056566) gives L = ceil(219.25) = 220.
  EXPECT_NEAR(ncsn_gamma(3072, 0.5), 1.0397964165056566, 1e-12);
  EXPECT_EQ(ncsn_num_levels(50.0, 0.01, 3072), 220);
  // Asking for the released overlap gives back the released level count.
  EXPECT_EQ(ncsn_num_levels(50.0, 0.01, 3072, 0.5669658815368148), 232);
  // CelebA 64x64 (D = 12288, sigma 90 -> 0.01): gamma 1.0195099943185373, L = ceil(472.22).
  EXPECT_NEAR(ncsn_gamma(12288, 0.5), 1.0195099943185373, 1e-12);
  EXPECT_EQ(ncsn_num_levels(90.0, 0.01, 12288), 473);
  EXPECT_THROW(ncsn_gamma(4, 0.5), ValueError);     // the rule has no solution for D <= 4
  EXPECT_THROW(ncsn_gamma(3072, 0.999), ValueError);  // above C(1)
}

TEST(Ncsn, GeometricSigmas) {
  const std::vector<double> s = geometric_sigmas(50.0, 0.01, 232);
  ASSERT_EQ(s.size(), 232u);
  EXPECT_DOUBLE_EQ(s.front(), 50.0);
  EXPECT_NEAR(s.back(), 0.01, 1e-15);
  EXPECT_NEAR(s[0] / s[1], std::pow(5000.0, 1.0 / 231.0), 1e-12);
  EXPECT_NEAR(s[100] / s[101], s[0] / s[1], 1e-12);
}

TEST(Ncsn, StepSizeOneStepClosedForm) {
  // T = 1: the ratio is (1 - u)^2 gamma^2 + 2u with u = eps / sigma_L^2 (one step of the
  // recursion from gamma^2); it never reaches 1 for gamma > 1, and its minimum is at
  // u = 1 - 1/gamma^2 with value 2 - 1/gamma^2. gamma = 2: u = 0.75, ratio 1.75.
  const double sl = 0.1;
  EXPECT_NEAR(ald_variance_ratio(0.5 * sl * sl, sl, 2.0, 1), 0.25 * 4 + 1.0, 1e-12);
  const double eps = ncsn_step_size(sl, 2.0, 1);
  EXPECT_NEAR(eps / (sl * sl), 0.75, 1e-7);
  EXPECT_NEAR(ald_variance_ratio(eps, sl, 2.0, 1), 1.75, 1e-12);
}

TEST(Ncsn, StepSizeReproducesTheReleasedConfigs) {
  // NCSNv2's configs (github ermongroup/ncsnv2, configs/*.yml): CIFAR-10 step_lr 6.2e-6 and
  // CelebA 3.3e-6, both with n_steps_each T = 5 and sigma_L = 0.01. Technique 4 gives
  // 6.184e-6 and 3.337e-6 (Python golden section: 6.184025e-6, 3.336982e-6), which round to those.
  const double cifar = ncsn_step_size(0.01, std::pow(5000.0, 1.0 / 231.0), 5);
  EXPECT_NEAR(cifar, 6.184025e-6, 1e-10);
  EXPECT_NEAR(cifar, 6.2e-6, 0.05e-6);
  const double celeba = ncsn_step_size(0.01, std::pow(9000.0, 1.0 / 499.0), 5);
  EXPECT_NEAR(celeba, 3.336982e-6, 1e-10);
  EXPECT_NEAR(celeba, 3.3e-6, 0.05e-6);
  // It is the minimiser: nearby step sizes are no closer to 1.
  const double g = std::pow(5000.0, 1.0 / 231.0);
  const double best = std::abs(ald_variance_ratio(cifar, 0.01, g, 5) - 1);
  for (double f : {0.9, 0.99, 1.01, 1.1}) EXPECT_GT(std::abs(ald_variance_ratio(cifar * f, 0.01, g, 5) - 1), best);
}
