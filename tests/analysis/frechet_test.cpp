// The Frechet distance between Gaussians against closed forms.
#include <gtest/gtest.h>

#include <cmath>

#include "momenta/analysis/frechet.h"
#include "momenta/error.h"
#include "momenta/random.h"

using namespace momenta;
using analysis::frechet_distance;
using analysis::gaussian;

TEST(Frechet, OneDimensionIsTheDistanceOfMeansAndStds) {
  // d^2 = (m1 - m2)^2 + (s1 - s2)^2 for N(m1, s1^2) and N(m2, s2^2).
  const auto a = gaussian({1.0}, {4.0}), b = gaussian({-0.5}, {0.25});
  EXPECT_NEAR(frechet_distance(a, b), 1.5 * 1.5 + (2.0 - 0.5) * (2.0 - 0.5), 1e-12);
  EXPECT_NEAR(frechet_distance(a, a), 0.0, 1e-12);
}

TEST(Frechet, DiagonalCovariancesAddPerCoordinate) {
  const auto a = gaussian({0, 1, 2}, {1, 0, 0, 0, 9, 0, 0, 0, 0.01});
  const auto b = gaussian({1, 1, 0}, {4, 0, 0, 0, 1, 0, 0, 0, 0.04});
  const double want = (1 + 0 + 4) + (1 - 2) * (1 - 2) + (3 - 1) * (3 - 1) + (0.1 - 0.2) * (0.1 - 0.2);
  EXPECT_NEAR(frechet_distance(a, b), want, 1e-12);
}

// For 2x2 PSD M, tr sqrt(M) = sqrt(tr M + 2 sqrt(det M)): a closed form for covariances that do
// not commute (S_a S_b != S_b S_a here), where the per-eigenvalue formula does not apply.
TEST(Frechet, NonCommutingCovariancesMatchTheTwoByTwoClosedForm) {
  const std::vector<double> sa = {2.0, 0.6, 0.6, 1.0}, sb = {0.5, -0.3, -0.3, 1.5};
  const auto a = gaussian({0, 0}, sa), b = gaussian({0.3, -0.4}, sb);
  // sqrt(S_a) S_b sqrt(S_a) has the trace tr(S_a S_b) and the determinant det(S_a) det(S_b).
  const double tr_ab = sa[0] * sb[0] + sa[1] * sb[2] + sa[2] * sb[1] + sa[3] * sb[3];
  const double det = (sa[0] * sa[3] - sa[1] * sa[2]) * (sb[0] * sb[3] - sb[1] * sb[2]);
  const double cross = std::sqrt(tr_ab + 2.0 * std::sqrt(det));
  const double want = 0.3 * 0.3 + 0.4 * 0.4 + (sa[0] + sa[3]) + (sb[0] + sb[3]) - 2.0 * cross;
  EXPECT_NEAR(frechet_distance(a, b), want, 1e-12);
  EXPECT_NEAR(frechet_distance(b, a), want, 1e-12);  // symmetric, although the formula is not written so
}

TEST(Frechet, SingularCovariancesAreAllowed) {
  // Rank-one covariances along different axes: d^2 = 1 + 1 (no overlap, the cross term is 0).
  const auto a = gaussian({0, 0}, {1, 0, 0, 0}), b = gaussian({0, 0}, {0, 0, 0, 1});
  EXPECT_NEAR(frechet_distance(a, b), 2.0, 1e-12);
}

TEST(Frechet, FitOfSamplesRecoversMeanAndCovariance) {
  // x = mu + L z with L = [[1, 0], [0.5, 2]]: cov = L L^T = [[1, 0.5], [0.5, 4.25]].
  Generator gen(3);
  const int64_t n = 200000;
  const auto z = randn({n, 2}, kFloat64, gen).to_vector<double>();
  std::vector<double> x(z.size());
  for (int64_t i = 0; i < n; ++i) {
    const double z0 = z[static_cast<size_t>(2 * i)], z1 = z[static_cast<size_t>(2 * i + 1)];
    x[static_cast<size_t>(2 * i)] = 1.0 + z0;
    x[static_cast<size_t>(2 * i + 1)] = -2.0 + 0.5 * z0 + 2.0 * z1;
  }
  const auto fit = analysis::fit_gaussian(Tensor::from_vector(x).reshape({n, 2}));
  EXPECT_EQ(fit.samples, n);
  // Standard errors at n = 2e5: about 0.005 for the means and 0.02 for the largest covariance.
  EXPECT_NEAR(fit.mean[0], 1.0, 0.02);
  EXPECT_NEAR(fit.mean[1], -2.0, 0.02);
  EXPECT_NEAR(fit.cov[0], 1.0, 0.02);
  EXPECT_NEAR(fit.cov[1], 0.5, 0.03);
  EXPECT_EQ(fit.cov[1], fit.cov[2]);
  EXPECT_NEAR(fit.cov[3], 4.25, 0.08);
  // The distance to the true Gaussian is small next to the scale of the data.
  EXPECT_LT(frechet_distance(fit, gaussian({1.0, -2.0}, {1.0, 0.5, 0.5, 4.25})), 1e-3);
}

TEST(Frechet, SampleCovarianceDividesByNMinusOne) {
  const auto fit = analysis::fit_gaussian(Tensor::from_vector(std::vector<double>{0, 2, 4}).reshape({3, 1}));
  EXPECT_DOUBLE_EQ(fit.mean[0], 2.0);
  EXPECT_DOUBLE_EQ(fit.cov[0], 4.0);  // (4 + 0 + 4) / 2
}

TEST(Frechet, RejectsMismatchedOrBadInput) {
  EXPECT_THROW(frechet_distance(gaussian({0}, {1}), gaussian({0, 0}, {1, 0, 0, 1})), ValueError);
  EXPECT_THROW(gaussian({0, 0}, {1, 0.5, 0.4, 1}), ValueError);
  EXPECT_THROW(gaussian({0, 0}, {1, 0, 0}), ValueError);
  EXPECT_THROW(analysis::fit_gaussian(Tensor::zeros({1, 3}, kFloat64)), ShapeError);
  EXPECT_THROW(analysis::fit_gaussian(Tensor::from_vector(std::vector<double>{0, NAN}).reshape({2, 1})), ValueError);
}
