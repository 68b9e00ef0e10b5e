// Pooling and upsampling: forward against loops written here from the definitions (PyTorch's
// conventions), and float64 gradient checks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "momenta/autograd.h"
#include "momenta/ops.h"

using namespace momenta;

namespace {

Tensor rnd(const Shape& s, uint64_t seed, DType dt = kFloat64) {
  Generator g(seed);
  return randn(s, dt, g);
}

void expect_grad(const std::function<Tensor(const std::vector<Tensor>&)>& f, const Tensor& x) {
  Tensor leaf = x.detach().clone().set_requires_grad(true);
  const GradcheckResult r = gradcheck(f, {leaf});
  EXPECT_TRUE(r.ok) << r.message;
}

// Reference pooling of a [N, C, H, W] float64 tensor, square window.
std::vector<double> ref_pool(const Tensor& x, int64_t k, int64_t st, int64_t pad, bool is_max, bool include_pad) {
  const int64_t N = x.shape()[0], C = x.shape()[1], H = x.shape()[2], W = x.shape()[3];
  const int64_t P = (H + 2 * pad - k) / st + 1, Q = (W + 2 * pad - k) / st + 1;
  const auto v = x.to_vector<double>();
  std::vector<double> out;
  for (int64_t n = 0; n < N * C; ++n)
    for (int64_t p = 0; p < P; ++p)
      for (int64_t q = 0; q < Q; ++q) {
        double best = -std::numeric_limits<double>::infinity(), sum = 0.0;
        int64_t inside = 0, padded = 0;
        for (int64_t i = p * st - pad; i < p * st - pad + k; ++i)
          for (int64_t j = q * st - pad; j < q * st - pad + k; ++j) {
            if (i < H + pad && j < W + pad) ++padded;
            if (i < 0 || j < 0 || i >= H || j >= W) continue;
            const double e = v[(n * H + i) * W + j];
            best = std::max(best, e);
            sum += e;
            ++inside;
          }
        out.push_back(is_max ? best : sum / static_cast<double>(include_pad ? padded : inside));
      }
  return out;
}

void expect_values(const Tensor& got, const std::vector<double>& want) {
  const auto g = got.to_vector<double>();
  ASSERT_EQ(g.size(), want.size());
  for (size_t i = 0; i < g.size(); ++i) ASSERT_NEAR(g[i], want[i], 1e-12) << "element " << i;
}

}  // namespace

TEST(Pool2d, ForwardMatchesDefinition) {
  const Tensor x = rnd({2, 3, 7, 6}, 1);
  struct P {
    int64_t k, s, pad;
  };
  for (const P& c : {P{2, 2, 0}, P{3, 2, 1}, P{3, 1, 1}, P{2, 1, 0}, P{3, 3, 0}, P{4, 2, 2}}) {
    SCOPED_TRACE(testing::Message() << "kernel " << c.k << " stride " << c.s << " pad " << c.pad);
    expect_values(max_pool2d(x, c.k, c.s, c.pad), ref_pool(x, c.k, c.s, c.pad, true, true));
    expect_values(avg_pool2d(x, c.k, c.s, c.pad, true), ref_pool(x, c.k, c.s, c.pad, false, true));
    expect_values(avg_pool2d(x, c.k, c.s, c.pad, false), ref_pool(x, c.k, c.s, c.pad, false, false));
  }
  EXPECT_EQ(max_pool2d(x, 2).shape(), (Shape{2, 3, 3, 3}));  // stride defaults to the kernel
}

TEST(Pool2d, GradcheckFloat64) {
  const Tensor x = rnd({2, 2, 7, 6}, 2);
  expect_grad([](auto& t) { return max_pool2d(t[0], 2); }, x);
  expect_grad([](auto& t) { return max_pool2d(t[0], 3, 2, 1); }, x);
  expect_grad([](auto& t) { return max_pool2d(t[0], 3, 1, 1); }, x);  // overlapping windows
  expect_grad([](auto& t) { return avg_pool2d(t[0], 2); }, x);
  expect_grad([](auto& t) { return avg_pool2d(t[0], 3, 2, 1, true); }, x);
  expect_grad([](auto& t) { return avg_pool2d(t[0], 3, 1, 1, false); }, x);
  expect_grad([](auto& t) { return global_avg_pool2d(t[0]); }, x);
  expect_grad([](auto& t) { return global_avg_pool2d(t[0]).flatten(); }, x);
}

TEST(Pool2d, MaxGradientGoesToTheMaximum) {
  Tensor x = Tensor::from_vector<double>({1, 5, 2, 3, 9, 4, 0, 7, 8}, {1, 1, 3, 3}).set_requires_grad(true);
  max_pool2d(x, 2, 1).sum().backward();  // windows' maxima: 9, 9, 9, 9
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{0, 0, 0, 0, 4, 0, 0, 0, 0}));
}

TEST(Pool2d, GlobalAvgPoolIsTheSpatialMean) {
  const Tensor x = rnd({3, 4, 5, 2}, 3);
  const auto v = x.to_vector<double>();
  const auto y = global_avg_pool2d(x);
  ASSERT_EQ(y.shape(), (Shape{3, 4}));
  const auto g = y.to_vector<double>();
  for (int64_t i = 0; i < 12; ++i) {
    double s = 0.0;
    for (int64_t j = 0; j < 10; ++j) s += v[i * 10 + j];
    EXPECT_NEAR(g[i], s / 10.0, 1e-12);
  }
}

TEST(Pool2d, RejectsBadArguments) {
  const Tensor x = Tensor::zeros({1, 1, 4, 4});
  EXPECT_THROW(max_pool2d(x, 2, 2, 2), ValueError);  // padding above kernel / 2
  EXPECT_THROW(avg_pool2d(x, 0), ValueError);
  EXPECT_THROW(max_pool2d(x, 5), ShapeError);
  EXPECT_THROW(max_pool2d(x.reshape({4, 4}), 2), ShapeError);
}

// PyTorch's Upsample(scale_factor=2): nearest copies x[i / 2]; bilinear (align_corners=False)
// samples source coordinate (o + 0.5) / 2 - 0.5, clamped at 0, between floor and floor + 1.
TEST(Upsample2x, ForwardMatchesDefinition) {
  const Tensor x = rnd({2, 3, 4, 5}, 4);
  const auto v = x.to_vector<double>();
  const int64_t H = 4, W = 5;
  auto at = [&](int64_t plane, int64_t i, int64_t j) { return v[(plane * H + i) * W + j]; };
  auto src = [](int64_t o, int64_t n, int64_t& i0, int64_t& i1, double& frac) {
    const double s = std::max(0.0, (static_cast<double>(o) + 0.5) / 2.0 - 0.5);
    i0 = static_cast<int64_t>(s);
    i1 = std::min(i0 + 1, n - 1);
    frac = s - static_cast<double>(i0);
  };
  std::vector<double> nearest, bilinear;
  for (int64_t pl = 0; pl < 6; ++pl)
    for (int64_t oi = 0; oi < 2 * H; ++oi)
      for (int64_t oj = 0; oj < 2 * W; ++oj) {
        nearest.push_back(at(pl, oi / 2, oj / 2));
        int64_t i0, i1, j0, j1;
        double fi, fj;
        src(oi, H, i0, i1, fi);
        src(oj, W, j0, j1, fj);
        bilinear.push_back((1 - fi) * ((1 - fj) * at(pl, i0, j0) + fj * at(pl, i0, j1)) +
                           fi * ((1 - fj) * at(pl, i1, j0) + fj * at(pl, i1, j1)));
      }
  expect_values(upsample2x(x, UpsampleMode::kNearest), nearest);
  expect_values(upsample2x(x, UpsampleMode::kBilinear), bilinear);
  // A single row or column is copied.
  const Tensor one = rnd({1, 1, 1, 3}, 5);
  EXPECT_EQ(upsample2x(one, UpsampleMode::kBilinear).shape(), (Shape{1, 1, 2, 6}));
}

TEST(Upsample2x, GradcheckFloat64) {
  const Tensor x = rnd({2, 2, 3, 4}, 6);
  expect_grad([](auto& t) { return upsample2x(t[0], UpsampleMode::kNearest); }, x);
  expect_grad([](auto& t) { return upsample2x(t[0], UpsampleMode::kBilinear); }, x);
  expect_grad([](auto& t) { return upsample2x(t[0], UpsampleMode::kBilinear); }, rnd({1, 2, 1, 2}, 7));
}
