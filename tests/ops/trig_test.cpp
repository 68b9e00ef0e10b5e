// sin and cos (the sinusoidal time embedding of the diffusion U-Net): values against <cmath> in
// both float dtypes, on contiguous and transposed inputs, and float64 gradient checks. Also the
// channel concatenation of 4-D images the U-Net's skip connections use (the gradcheck of cat in
// gradcheck_test.cpp is 3-D).
#include <gtest/gtest.h>

#include <cmath>

#include "momenta/autograd.h"
#include "momenta/ops.h"

using namespace momenta;

namespace {

// Values spread over several periods, so every quadrant's signs are exercised.
Tensor spread(const Shape& s, DType dt, uint64_t seed) {
  Generator g(seed);
  NoGradGuard ng;
  return (randn(s, kFloat64, g) * 6.0).to(dt).detach();
}

Tensor leaf(const Tensor& t) { return t.detach().clone().set_requires_grad(true); }

void expect_grad(const std::function<Tensor(const std::vector<Tensor>&)>& f, const std::vector<Tensor>& in) {
  const GradcheckResult r = gradcheck(f, in);
  EXPECT_TRUE(r.ok) << r.message;
}

template <class T>
void expect_matches_cmath(DType dt) {
  const Tensor x = spread({5, 7}, dt, 3);
  for (const Tensor& in : {x, x.t()}) {
    const auto xv = in.contiguous().to_vector<T>();
    const auto s = sin(in).contiguous().to_vector<T>();
    const auto c = cos(in).contiguous().to_vector<T>();
    ASSERT_EQ(s.size(), xv.size());
    for (size_t i = 0; i < xv.size(); ++i) {
      EXPECT_EQ(s[i], std::sin(xv[i])) << "sin at " << i;
      EXPECT_EQ(c[i], std::cos(xv[i])) << "cos at " << i;
    }
  }
}

}  // namespace

TEST(Trig, ValuesMatchCmath) {
  expect_matches_cmath<float>(kFloat32);
  expect_matches_cmath<double>(kFloat64);
  // The exact points: sin(0) = 0, cos(0) = 1.
  const Tensor z = Tensor::zeros({3}, kFloat32);
  EXPECT_EQ(sin(z).to_vector<float>(), (std::vector<float>{0, 0, 0}));
  EXPECT_EQ(cos(z).to_vector<float>(), (std::vector<float>{1, 1, 1}));
}

TEST(Trig, GradcheckFloat64) {
  const Tensor x = spread({3, 4}, kFloat64, 5);
  expect_grad([](auto& t) { return sin(t[0]); }, {leaf(x)});
  expect_grad([](auto& t) { return cos(t[0]); }, {leaf(x)});
  // Transposed (strided) input, and the two composed as in the time embedding.
  expect_grad([](auto& t) { return sin(t[0].t()); }, {leaf(x)});
  expect_grad([](auto& t) { return cos(t[0].t()); }, {leaf(x)});
  expect_grad([](auto& t) { return cat({sin(t[0]), cos(t[0])}, 1); }, {leaf(x)});
}

TEST(Trig, GradientIsCosAndMinusSin) {
  // The rule itself, not only its agreement with finite differences.
  const Tensor x = leaf(spread({6}, kFloat64, 7));
  sum(sin(x)).backward();
  const auto xv = x.to_vector<double>(), gs = x.grad().to_vector<double>();
  for (size_t i = 0; i < xv.size(); ++i) EXPECT_DOUBLE_EQ(gs[i], std::cos(xv[i]));
  const Tensor y = leaf(spread({6}, kFloat64, 8));
  sum(cos(y)).backward();
  const auto yv = y.to_vector<double>(), gc = y.grad().to_vector<double>();
  for (size_t i = 0; i < yv.size(); ++i) EXPECT_DOUBLE_EQ(gc[i], -std::sin(yv[i]));
}

TEST(Trig, GradcheckChannelCatOfImages) {
  // The U-Net's skip connection: cat along the channel axis of [N, C, H, W] images with different
  // channel counts, one input a strided view.
  const Tensor a = spread({2, 3, 4, 5}, kFloat64, 9), b = spread({2, 5, 5, 4}, kFloat64, 10);
  expect_grad([](auto& t) { return cat({t[0], t[1].transpose(2, 3)}, 1); }, {leaf(a), leaf(b)});
}
