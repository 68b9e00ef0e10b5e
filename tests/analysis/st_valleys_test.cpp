// The valleys of the Adai paper's App. E training loss (002, l.1717, l.1736-1743): Styblinski-Tang
// shifted by Gaussian data. Two valleys exist per coordinate only for a data variance below
// (16 - (675/8)^(1/3))/6 = 1.93566, checked here from the loss's definition (not from the closed
// forms of analysis/escape_rate.h) by counting its local minima on a fine grid.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "momenta/analysis/escape_rate.h"
#include "momenta/error.h"

namespace {

using namespace momenta::analysis;

double st(double y) { return 0.5 * (y * y * y * y - 16 * y * y + 5 * y); }

// E ST(y - x) for x ~ N(0, var) by 3-point Gauss-Hermite quadrature (nodes 0, +-sqrt(3 var),
// weights 2/3, 1/6, 1/6), exact for polynomials of degree <= 5: straight from the definition.
double averaged_loss(double y, double var) {
  const double a = std::sqrt(3 * var);
  return 2.0 / 3.0 * st(y) + (st(y - a) + st(y + a)) / 6.0;
}

// Local minima of a function on a grid of step 1e-4 over [-6, 6].
template <class F>
int count_minima(F f) {
  int n = 0;
  const double h = 1e-4;
  double a = f(-6.0), b = f(-6.0 + h);
  for (double y = -6.0 + 2 * h; y <= 6.0; y += h) {
    const double c = f(y);
    n += b < a && b < c;
    a = b, b = c;
  }
  return n;
}

TEST(StValleys, TheTwoValleyLimitFromTheLossItself) {
  const double lim = smoothed_st_two_valley_limit();
  EXPECT_NEAR(lim, 1.935662, 1e-6);
  for (double var : {0.0, 1.0, 1.5, lim - 0.01})
    EXPECT_EQ(count_minima([&](double y) { return averaged_loss(y, var); }), 2) << var;
  for (double var : {lim + 0.01, 2.5, 4.0})
    EXPECT_EQ(count_minima([&](double y) { return averaged_loss(y, var); }), 1) << var;
  // At the limit the gradient cubic y^3 + (3 var - 8) y + 1.25 has a double root: its
  // discriminant -(4 P^3 + 27 Q^2) vanishes.
  const double P = 3 * lim - 8, Q = 1.25;
  EXPECT_NEAR(4 * P * P * P + 27 * Q * Q, 0.0, 1e-10);
}

TEST(StValleys, StationaryPointsOfTheAveragedLoss) {
  // var = 1.5: minimum, saddle, minimum; the saddle is a local maximum of the loss between them.
  const std::vector<double> r = st_data_stationary_points(0.0, 1.5, 0.0);
  ASSERT_EQ(r.size(), 3u);
  for (double y : r) EXPECT_NEAR(smoothed_st_grad(y, 1.5), 0.0, 1e-10) << y;
  EXPECT_NEAR(r[0], smoothed_st_min(1.5), 1e-10);
  EXPECT_DOUBLE_EQ(smoothed_st_saddle(1.5), r[1]);
  EXPECT_GT(averaged_loss(r[1], 1.5), averaged_loss(r[1] - 0.01, 1.5));
  EXPECT_GT(averaged_loss(r[1], 1.5), averaged_loss(r[1] + 0.01, 1.5));
  // var = 0 is Styblinski-Tang itself: the text's minimum and saddle (l.1739-1740).
  const std::vector<double> z = st_data_stationary_points(0.0, 0.0, 0.0);
  ASSERT_EQ(z.size(), 3u);
  EXPECT_NEAR(z[0], -2.903534, 1e-6);
  EXPECT_NEAR(z[1], 0.156731, 1e-6);
  // var = 4: one stationary point, the minimum.
  const std::vector<double> f = st_data_stationary_points(0.0, 4.0, 0.0);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NEAR(f[0], smoothed_st_min(4.0), 1e-10);
  EXPECT_THROW(smoothed_st_saddle(4.0), momenta::ValueError);
  EXPECT_THROW(smoothed_st_saddle(smoothed_st_two_valley_limit()), momenta::ValueError);
}

TEST(StValleys, DrawnDataMatchTheirSampleMoments) {
  // The loss of a finite sample, (1/N) sum ST(y - x_n), against the cubic in its sample moments:
  // the same number of minima, at the stationary points the moments give.
  for (double var : {1.5, 1.9, 2.0, 4.0}) {
    std::mt19937_64 gen(static_cast<uint64_t>(var * 10));
    std::normal_distribution<double> normal(0.0, std::sqrt(var));
    std::vector<double> x(200);
    double m1 = 0, m2 = 0, m3 = 0;
    for (double& v : x) {
      v = normal(gen);
      m1 += v / 200, m2 += v * v / 200, m3 += v * v * v / 200;
    }
    auto loss = [&](double y) {
      double s = 0;
      for (double v : x) s += st(y - v) / 200;
      return s;
    };
    const std::vector<double> sp = st_data_stationary_points(m1, m2, m3);
    EXPECT_EQ(count_minima(loss), sp.size() == 3 ? 2 : 1) << var;
    for (double y : sp) {
      const double h = 1e-5;
      EXPECT_NEAR((loss(y + h) - loss(y - h)) / (2 * h), 0.0, 1e-6) << var << " " << y;
    }
  }
  EXPECT_THROW(st_data_stationary_points(NAN, 1.0, 0.0), momenta::ValueError);
}

}  // namespace
