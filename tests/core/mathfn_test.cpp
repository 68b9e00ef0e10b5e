// momenta's own log and sine/cosine (kernels/mathfn.h) against the C library, and the blocked
// normal generator against the element-wise one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "momenta/kernels/mathfn.h"
#include "momenta/kernels/philox.h"
#include "momenta/random.h"
#include "momenta/tensor.h"

using namespace momenta::kernels;

namespace {
// Distance in units in the last place between two doubles of the same sign.
double ulps(double a, double b) {
  if (a == b) return 0.0;
  return std::fabs(a - b) / std::fabs(std::nextafter(b, 0.0) - b);
}
}  // namespace

TEST(MathFn, LogIsWithinOneUlpOfTheCLibrary) {
  double worst = 0.0;
  // Every value Box-Muller feeds it ((x + 1) / 2^32), sampled, and a sweep over decades.
  for (uint64_t x = 0; x < (uint64_t{1} << 32); x += 65537 * 7) {
    const double u = (static_cast<double>(x) + 1.0) / 4294967296.0;
    worst = std::max(worst, ulps(det_log(u), std::log(u)));
  }
  for (double v = 1e-300; v < 1e300; v *= 1.37) worst = std::max(worst, ulps(det_log(v), std::log(v)));
  EXPECT_LE(worst, 1.0);
  EXPECT_EQ(det_log(1.0), 0.0);
  EXPECT_EQ(det_log(std::exp(1.0)), std::log(std::exp(1.0)));
}

TEST(MathFn, SinCosInTurnsMatchTheCLibrary) {
  double worst = 0.0;
  for (uint64_t x = 0; x < (uint64_t{1} << 32); x += 65537 * 3) {
    const double t = static_cast<double>(x) / 4294967296.0;
    double c, s;
    det_sincos_turns(t, c, s);
    // The reference in long double (64-bit significand), so its own rounding of 2*pi*t does not
    // count; absolute error, since near a zero of sin or cos a relative one means nothing.
    const long double a = 6.283185307179586476925286766559L * static_cast<long double>(t);
    worst = std::max({worst, static_cast<double>(std::fabs(static_cast<long double>(c) - std::cos(a))),
                      static_cast<double>(std::fabs(static_cast<long double>(s) - std::sin(a)))});
  }
  EXPECT_LE(worst, 2.5e-16);  // about one ulp of values near 1
  double c, s;
  det_sincos_turns(0.0, c, s);
  EXPECT_EQ(c, 1.0);
  EXPECT_EQ(s, 0.0);
  det_sincos_turns(0.25, c, s);
  EXPECT_EQ(s, 1.0);
  det_sincos_turns(0.5, c, s);
  EXPECT_EQ(c, -1.0);
  det_sincos_turns(0.75, c, s);
  EXPECT_EQ(s, -1.0);
}

// det_expf against e^x in double, rounded once: within 2 ulp wherever the result is a normal
// float, exact powers of two and the IEEE special values at the ends.
TEST(MathFn, ExpfIsWithinTwoUlpOfTheCorrectlyRoundedValue) {
  float worst = 0.0f;
  for (uint32_t i = 0; i < (uint32_t{1} << 24); i += 3) {
    const float x = -87.0f + 175.5f * static_cast<float>(i) / 16777216.0f;  // [-87, 88.5): normal results
    const float want = static_cast<float>(std::exp(static_cast<double>(x)));
    const float got = det_expf(x);
    worst = std::max(worst, std::fabs(got - want) / std::fabs(std::nextafter(want, 0.0f) - want));
  }
  for (float x = -1e-6f; x < 1e-6f; x += 1.7e-8f) {  // around 0, where the reduction is the identity
    const float want = static_cast<float>(std::exp(static_cast<double>(x)));
    worst = std::max(worst, std::fabs(det_expf(x) - want) / std::fabs(std::nextafter(want, 0.0f) - want));
  }
  EXPECT_LE(worst, 2.0f);
  EXPECT_EQ(det_expf(0.0f), 1.0f);
  EXPECT_EQ(det_expf(-0.0f), 1.0f);
  EXPECT_EQ(det_expf(static_cast<float>(std::log(2.0))), 2.0f);
  EXPECT_EQ(det_expf(89.0f), INFINITY);
  EXPECT_EQ(det_expf(INFINITY), INFINITY);
  EXPECT_EQ(det_expf(-104.0f), 0.0f);
  EXPECT_EQ(det_expf(-INFINITY), 0.0f);
  EXPECT_TRUE(std::isnan(det_expf(NAN)));
  // Subnormal results: e^-100 = 3.72e-44, within a few subnormal steps of the C library's.
  EXPECT_NEAR(det_expf(-100.0f), std::exp(-100.0f), 4 * 1.4e-45f);
  EXPECT_GT(det_expf(-100.0f), 0.0f);
}

TEST(MathFn, BlockedNormalsEqualElementwiseNormals) {
  const int64_t n = 600;  // more than one internal chunk of 256 blocks
  std::vector<double> z(static_cast<size_t>(4 * n));
  philox_normal_blocks(7, 3, 5, n, z.data());
  for (int64_t i = 0; i < 4 * n; ++i)
    ASSERT_EQ(z[static_cast<size_t>(i)], philox_normal(7, 3, static_cast<uint64_t>(20 + i))) << i;
  double mean = 0, sq = 0;
  for (double v : z) mean += v, sq += v * v;
  mean /= static_cast<double>(z.size());
  EXPECT_NEAR(mean, 0.0, 0.1);
  EXPECT_NEAR(sq / static_cast<double>(z.size()), 1.0, 0.1);
}

// The CPU normal fill (blocked, threaded) gives element i the value philox_normal(seed, offset, i).
TEST(MathFn, NormalFillIsTheElementwiseStream) {
  momenta::Generator g(11);
  g.set_state(11, 5);
  const int64_t n = 100003;  // not a multiple of 4, several threads and chunks
  momenta::Tensor t = momenta::Tensor::empty({n}, momenta::kFloat64);
  momenta::normal_(t, 0.5, 2.0, g);
  const auto v = t.to_vector<double>();
  for (int64_t i = 0; i < n; i += 97)
    ASSERT_EQ(v[static_cast<size_t>(i)], 0.5 + 2.0 * philox_normal(11, 5, static_cast<uint64_t>(i))) << i;
  ASSERT_EQ(v.back(), 0.5 + 2.0 * philox_normal(11, 5, static_cast<uint64_t>(n - 1)));
}
