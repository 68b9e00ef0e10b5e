// Batch, group and layer norm: statistics of the output, PyTorch's running-statistics rule,
// evaluation mode, and float64 gradient checks.
#include <gtest/gtest.h>

#include <cmath>

#include "momenta/autograd.h"
#include "momenta/ops.h"

using namespace momenta;

namespace {

Tensor rnd(const Shape& s, uint64_t seed, double scale = 1.0, double shift = 0.0) {
  Generator g(seed);
  Tensor t = randn(s, kFloat64, g);
  NoGradGuard ng;
  return (t * scale + shift).detach();
}

Tensor leaf(const Tensor& t) { return t.detach().clone().set_requires_grad(true); }

void expect_grad(const std::function<Tensor(const std::vector<Tensor>&)>& f, const std::vector<Tensor>& in) {
  const GradcheckResult r = gradcheck(f, in);
  EXPECT_TRUE(r.ok) << r.message;
}

// Mean and biased variance of each group of `inner` consecutive values, `groups` groups.
void expect_standardised(const Tensor& y, int64_t groups, double tol = 1e-10) {
  const auto v = y.contiguous().to_vector<double>();
  const int64_t inner = static_cast<int64_t>(v.size()) / groups;
  for (int64_t g = 0; g < groups; ++g) {
    double m = 0.0, q = 0.0;
    for (int64_t i = 0; i < inner; ++i) m += v[g * inner + i];
    m /= static_cast<double>(inner);
    for (int64_t i = 0; i < inner; ++i) q += (v[g * inner + i] - m) * (v[g * inner + i] - m);
    EXPECT_NEAR(m, 0.0, tol) << "group " << g;
    EXPECT_NEAR(q / static_cast<double>(inner), 1.0, 1e-4) << "group " << g;  // eps = 1e-5 shrinks it
  }
}

}  // namespace

TEST(BatchNorm, TrainingStandardisesEachChannelAndUpdatesRunningStats) {
  const Tensor x = rnd({4, 3, 5, 6}, 1, 2.0, 3.0);
  Tensor rm = Tensor::zeros({3}, kFloat64), rv = Tensor::ones({3}, kFloat64);
  const Tensor y = batch_norm(x, Tensor(), Tensor(), rm, rv, true, 0.1, 1e-5);
  expect_standardised(y.transpose(0, 1), 3);  // channel-major: each channel a group
  // Running statistics: r = 0.9 r + 0.1 stat, with the unbiased variance (M / (M - 1)).
  const auto xv = x.to_vector<double>();
  const int64_t M = 4 * 30;
  for (int64_t c = 0; c < 3; ++c) {
    double m = 0.0, q = 0.0;
    for (int64_t n = 0; n < 4; ++n)
      for (int64_t i = 0; i < 30; ++i) m += xv[(n * 3 + c) * 30 + i];
    m /= M;
    for (int64_t n = 0; n < 4; ++n)
      for (int64_t i = 0; i < 30; ++i) q += (xv[(n * 3 + c) * 30 + i] - m) * (xv[(n * 3 + c) * 30 + i] - m);
    EXPECT_NEAR(rm.to_vector<double>()[c], 0.1 * m, 1e-12);
    EXPECT_NEAR(rv.to_vector<double>()[c], 0.9 + 0.1 * q / (M - 1), 1e-12);
  }
}

TEST(BatchNorm, EvaluationUsesRunningStats) {
  const Tensor x = rnd({2, 3, 4, 4}, 2);
  const Tensor rm = Tensor::from_vector<double>({0.5, -1.0, 2.0}), rv = Tensor::from_vector<double>({4.0, 0.25, 1.0});
  const Tensor w = Tensor::from_vector<double>({1.0, 2.0, -1.0}), b = Tensor::from_vector<double>({0.0, 1.0, 3.0});
  const auto y = batch_norm(x, w, b, rm, rv, false).to_vector<double>();
  const auto xv = x.to_vector<double>(), m = rm.to_vector<double>(), v = rv.to_vector<double>(),
             wv = w.to_vector<double>(), bv = b.to_vector<double>();
  for (size_t i = 0; i < xv.size(); ++i) {
    const size_t c = (i / 16) % 3;
    EXPECT_NEAR(y[i], (xv[i] - m[c]) / std::sqrt(v[c] + 1e-5) * wv[c] + bv[c], 1e-12);
  }
  // Evaluation leaves the running statistics alone.
  EXPECT_EQ(rm.to_vector<double>(), (std::vector<double>{0.5, -1.0, 2.0}));
  EXPECT_THROW(batch_norm(x, w, b, Tensor(), Tensor(), false), ValueError);
}

TEST(BatchNorm, GradcheckFloat64) {
  const Tensor x = rnd({3, 2, 3, 4}, 3), w = rnd({2}, 4, 0.5, 1.0), b = rnd({2}, 5);
  expect_grad([](auto& t) { return batch_norm(t[0], t[1], t[2], Tensor(), Tensor(), true); },
              {leaf(x), leaf(w), leaf(b)});
  expect_grad([](auto& t) { return batch_norm(t[0], Tensor(), Tensor(), Tensor(), Tensor(), true); }, {leaf(x)});
  const Tensor rm = rnd({2}, 6), rv = rnd({2}, 7, 0.1, 1.0);
  expect_grad([&](auto& t) { return batch_norm(t[0], t[1], t[2], rm, rv, false); }, {leaf(x), leaf(w), leaf(b)});
  // [N, C] input (after a linear layer).
  expect_grad([](auto& t) { return batch_norm(t[0], t[1], Tensor(), Tensor(), Tensor(), true); },
              {leaf(rnd({5, 2}, 8)), leaf(w)});
}

TEST(GroupNorm, StandardisesEachGroupAndGradchecks) {
  const Tensor x = rnd({2, 6, 3, 4}, 9, 3.0, -2.0);
  expect_standardised(group_norm(x, 3, Tensor(), Tensor()), 2 * 3);
  expect_standardised(group_norm(x, 1, Tensor(), Tensor()), 2);
  const Tensor w = rnd({6}, 10), b = rnd({6}, 11);
  expect_grad([](auto& t) { return group_norm(t[0], 3, t[1], t[2]); }, {leaf(x), leaf(w), leaf(b)});
  expect_grad([](auto& t) { return group_norm(t[0], 6, Tensor(), Tensor()); }, {leaf(x)});
  // [N, C, L] input, and only the affine parameters needing gradients.
  const Tensor x3 = rnd({3, 4, 5}, 15);
  expect_grad([](auto& t) { return group_norm(t[0], 2, t[1], t[2]); }, {leaf(x3), leaf(rnd({4}, 16)), leaf(rnd({4}, 17))});
  expect_grad([&](auto& t) { return group_norm(x3, 2, t[0], t[1]); }, {leaf(rnd({4}, 18)), leaf(rnd({4}, 19))});
  EXPECT_THROW(group_norm(x, 4, Tensor(), Tensor()), ValueError);
  EXPECT_THROW(group_norm(x, 3, rnd({5}, 1), Tensor()), ShapeError);
}

TEST(LayerNorm, StandardisesTrailingAxesAndGradchecks) {
  const Tensor x = rnd({3, 4, 5}, 12, 2.0, 1.0);
  expect_standardised(layer_norm(x, {5}, Tensor(), Tensor()), 12);
  expect_standardised(layer_norm(x, {4, 5}, Tensor(), Tensor()), 3);
  const Tensor w = rnd({4, 5}, 13), b = rnd({4, 5}, 14);
  expect_grad([](auto& t) { return layer_norm(t[0], {4, 5}, t[1], t[2]); }, {leaf(x), leaf(w), leaf(b)});
  expect_grad([](auto& t) { return layer_norm(t[0], {5}, Tensor(), Tensor()); }, {leaf(x)});
  EXPECT_THROW(layer_norm(x, {4}, Tensor(), Tensor()), ShapeError);
}
