// analysis/grosse_worst.h: the least loss of the lecture's worst function (003, l.376-383) in the
// span of the first t coordinates, checked against its definition and against brute force.
#include "momenta/analysis/grosse_worst.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "momenta/error.h"

namespace {

using namespace momenta::analysis;

TEST(GrosseWorst, ValueFromTheDefinition) {
  EXPECT_DOUBLE_EQ(grosse_worst_value({0, 0, 0}), 0.5);
  EXPECT_DOUBLE_EQ(grosse_worst_value({1, 1, 1, 1}), 0.0);
  // 1/2 (1 - 2)^2 + 1/2 (0 - 2)^2 + 1/2 (3 - 0)^2 = 0.5 + 2 + 4.5
  EXPECT_DOUBLE_EQ(grosse_worst_value({2, 0, 3}), 7.0);
  EXPECT_THROW(grosse_worst_value({}), momenta::ValueError);
}

TEST(GrosseWorst, SpanMinimumIsHalfOverTPlusOneNotOneOverT) {
  const int D = 12;
  for (int t = 0; t < D; ++t) {
    const std::vector<double> w = grosse_worst_span_argmin(t, D);
    EXPECT_NEAR(grosse_worst_value(w), 0.5 / (t + 1), 1e-15) << t;
    EXPECT_DOUBLE_EQ(grosse_worst_span_min(t, D), 0.5 / (t + 1));
    for (int j = t; j < D; ++j) EXPECT_EQ(w[static_cast<size_t>(j)], 0.0);
    // A minimum: random perturbations inside the span never go lower (J is convex there).
    std::mt19937_64 gen(static_cast<uint64_t>(t));
    std::normal_distribution<double> n(0.0, 1e-3);
    for (int r = 0; r < 20; ++r) {
      std::vector<double> v = w;
      for (int j = 0; j < t; ++j) v[static_cast<size_t>(j)] += n(gen);
      EXPECT_GE(grosse_worst_value(v), grosse_worst_value(w)) << t;
    }
    if (t > 0) {
      EXPECT_LT(grosse_worst_span_min(t, D), 1.0 / t);  // the lecture's 1/t (l.383) is not attained
    }
  }
  EXPECT_EQ(grosse_worst_span_min(D, D), 0.0);
  EXPECT_EQ(grosse_worst_span_argmin(D + 3, D), std::vector<double>(D, 1.0));
  EXPECT_THROW(grosse_worst_span_min(-1, D), momenta::ValueError);
}

}  // namespace
