#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "momenta/kernels/philox.h"
#include "momenta/random.h"

using namespace momenta;

// Known-answer vectors of Philox4x32-10 from the Random123 distribution (kat_vectors).
TEST(Philox, KnownAnswers) {
  auto r = kernels::philox4x32_10(0, 0, 0, 0, 0, 0);
  EXPECT_EQ(r.v[0], 0x6627e8d5u);
  EXPECT_EQ(r.v[1], 0xe169c58du);
  EXPECT_EQ(r.v[2], 0xbc57ac4cu);
  EXPECT_EQ(r.v[3], 0x9b00dbd8u);
  r = kernels::philox4x32_10(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu);
  EXPECT_EQ(r.v[0], 0x408f276du);
  EXPECT_EQ(r.v[1], 0x41c83b0eu);
  EXPECT_EQ(r.v[2], 0xa20bc7c6u);
  EXPECT_EQ(r.v[3], 0x6d5451fdu);
  r = kernels::philox4x32_10(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u);
  EXPECT_EQ(r.v[0], 0xd16cfe09u);
  EXPECT_EQ(r.v[1], 0x94fdccebu);
  EXPECT_EQ(r.v[2], 0x5001e420u);
  EXPECT_EQ(r.v[3], 0x24126ea1u);
}

TEST(Philox, SeededFillsAreReproducibleAndAdvance) {
  Generator g1(42), g2(42);
  Tensor a = randn({1000}, kFloat64, g1), b = randn({1000}, kFloat64, g2);
  EXPECT_EQ(a.to_vector<double>(), b.to_vector<double>());
  Tensor c = randn({1000}, kFloat64, g1);
  EXPECT_NE(a.to_vector<double>(), c.to_vector<double>());
  EXPECT_EQ(g1.offset(), 500u);
  // Restoring the state replays the stream.
  Generator g3(0);
  g3.set_state(42, 250);
  EXPECT_EQ(randn({1000}, kFloat64, g3).to_vector<double>(), c.to_vector<double>());
}

TEST(Philox, NormalAndUniformMoments) {
  Generator g(7);
  const auto z = randn({200000}, kFloat64, g).to_vector<double>();
  double m = 0, s = 0;
  for (double v : z) m += v;
  m /= z.size();
  for (double v : z) s += (v - m) * (v - m);
  s = std::sqrt(s / z.size());
  EXPECT_NEAR(m, 0.0, 0.01);
  EXPECT_NEAR(s, 1.0, 0.01);
  const auto u = rand({200000}, kFloat32, g).to_vector<float>();
  double mu = 0;
  for (float v : u) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LT(v, 1.0f);
    mu += v;
  }
  EXPECT_NEAR(mu / u.size(), 0.5, 0.005);
}

TEST(Philox, StridedFillMatchesLogicalOrder) {
  Generator g1(3), g2(3);
  Tensor dense = Tensor::empty({4, 5}, kFloat64);
  normal_(dense, 0, 1, g1);
  Tensor strided = Tensor::empty({5, 4}, kFloat64).t();
  normal_(strided, 0, 1, g2);
  EXPECT_EQ(dense.to_vector<double>(), strided.to_vector<double>());
}

TEST(Philox, PermutationIsAPermutationAndSeeded) {
  const auto p = random_permutation(1000, 5, 0);
  EXPECT_EQ(std::set<int64_t>(p.begin(), p.end()).size(), 1000u);
  EXPECT_EQ(p, random_permutation(1000, 5, 0));
  EXPECT_NE(p, random_permutation(1000, 5, 1));
  EXPECT_NE(p, random_permutation(1000, 6, 0));
}

// The blocked form (four normals per Philox block, used by ECDSep's bounce) gives exactly the
// values of the element-wise form, whatever the offset.
TEST(Philox, BlockedNormalsEqualElementwiseNormals) {
  for (uint64_t offset : {uint64_t{0}, uint64_t{7}, uint64_t{1} << 33}) {
    for (uint64_t k : {uint64_t{0}, uint64_t{1}, uint64_t{12345}}) {
      double z[4];
      momenta::kernels::philox_normal4(42, offset, k, z);
      for (uint64_t l = 0; l < 4; ++l)
        EXPECT_EQ(z[l], momenta::kernels::philox_normal(42, offset, 4 * k + l)) << offset << " " << k << " " << l;
    }
  }
}
