// conv2d: the im2col path against a direct seven-loop convolution written here, float64
// gradient checks over stride, padding, dilation, groups, bias and non-square shapes, and the
// oneDNN path against im2col in float32 (forward and both backward kernels).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "momenta/autograd.h"
#include "momenta/ops.h"

using namespace momenta;

namespace {

struct Case {
  int64_t n, c, h, w, k, r, s;
  Conv2dOptions o;
  bool bias;
};

Conv2dOptions opts(int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t g) {
  return {sh, sw, ph, pw, dh, dw, g, ConvAlgorithm::kAuto};
}

// Shapes covering each option alone and together.
std::vector<Case> cases() {
  return {
      {2, 3, 7, 7, 4, 3, 3, opts(1, 1, 0, 0, 1, 1, 1), true},    // plain
      {2, 3, 8, 8, 4, 3, 3, opts(2, 2, 1, 1, 1, 1, 1), false},   // stride 2, padding (a ResNet downsampling)
      {1, 4, 9, 7, 6, 3, 3, opts(1, 1, 2, 2, 2, 2, 1), true},    // dilation, non-square input
      {2, 4, 6, 6, 6, 3, 3, opts(1, 1, 1, 1, 1, 1, 2), true},    // groups
      {2, 4, 5, 5, 4, 3, 3, opts(1, 1, 1, 1, 1, 1, 4), false},   // depthwise
      {1, 3, 9, 8, 5, 2, 3, opts(2, 1, 1, 0, 1, 2, 1), true},    // non-square kernel, mixed options
      {2, 6, 5, 5, 4, 1, 1, opts(1, 1, 0, 0, 1, 1, 1), true},    // pointwise
      {2, 4, 6, 6, 8, 1, 1, opts(2, 2, 0, 0, 1, 1, 1), false},   // 1x1 projection shortcut
      {1, 2, 7, 6, 3, 3, 3, opts(3, 2, 1, 2, 1, 1, 1), true},    // strides that leave input unread
  };
}

Tensor rnd(const Shape& s, DType dt, uint64_t seed) {
  Generator g(seed);
  return randn(s, dt, g);
}

Tensor weight_of(const Case& c, DType dt, uint64_t seed) { return rnd({c.k, c.c / c.o.groups, c.r, c.s}, dt, seed); }

// out[n, k, p, q] = b[k] + sum_{c in group, r, s} x[n, c, p*sh - ph + r*dh, q*sw - pw + s*dw] w[k, c', r, s]
std::vector<double> direct_conv(const Case& cs, const std::vector<double>& x, const std::vector<double>& w,
                                const std::vector<double>& b, int64_t P, int64_t Q) {
  const auto& o = cs.o;
  const int64_t cg = cs.c / o.groups, kg = cs.k / o.groups;
  std::vector<double> y(static_cast<size_t>(cs.n * cs.k * P * Q), 0.0);
  for (int64_t n = 0; n < cs.n; ++n)
    for (int64_t k = 0; k < cs.k; ++k)
      for (int64_t p = 0; p < P; ++p)
        for (int64_t q = 0; q < Q; ++q) {
          double acc = b.empty() ? 0.0 : b[k];
          const int64_t g = k / kg;
          for (int64_t ci = 0; ci < cg; ++ci)
            for (int64_t r = 0; r < cs.r; ++r)
              for (int64_t s = 0; s < cs.s; ++s) {
                const int64_t ih = p * o.stride_h - o.pad_h + r * o.dil_h, iw = q * o.stride_w - o.pad_w + s * o.dil_w;
                if (ih < 0 || ih >= cs.h || iw < 0 || iw >= cs.w) continue;
                acc += x[((n * cs.c + g * cg + ci) * cs.h + ih) * cs.w + iw] * w[((k * cg + ci) * cs.r + r) * cs.s + s];
              }
          y[((n * cs.k + k) * P + p) * Q + q] = acc;
        }
  return y;
}

}  // namespace

TEST(Conv2d, Im2colMatchesDirectConvolution) {
  uint64_t seed = 10;
  for (const Case& cs : cases()) {
    Tensor x = rnd({cs.n, cs.c, cs.h, cs.w}, kFloat64, seed++), w = weight_of(cs, kFloat64, seed++);
    Tensor b = cs.bias ? rnd({cs.k}, kFloat64, seed++) : Tensor();
    Conv2dOptions o = cs.o;
    o.algorithm = ConvAlgorithm::kIm2col;
    Tensor y = conv2d(x, w, b, o);
    const int64_t P = y.shape()[2], Q = y.shape()[3];
    EXPECT_EQ(P, (cs.h + 2 * o.pad_h - o.dil_h * (cs.r - 1) - 1) / o.stride_h + 1);
    EXPECT_EQ(Q, (cs.w + 2 * o.pad_w - o.dil_w * (cs.s - 1) - 1) / o.stride_w + 1);
    const auto want = direct_conv(cs, x.to_vector<double>(), w.to_vector<double>(),
                                  cs.bias ? b.to_vector<double>() : std::vector<double>{}, P, Q);
    const auto got = y.to_vector<double>();
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-12) << "element " << i;
  }
}

TEST(Conv2d, GradcheckFloat64) {
  uint64_t seed = 100;
  for (const Case& cs : cases()) {
    Tensor x = rnd({cs.n, cs.c, cs.h, cs.w}, kFloat64, seed++).set_requires_grad(true);
    Tensor w = weight_of(cs, kFloat64, seed++).set_requires_grad(true);
    std::vector<Tensor> in{x, w};
    if (cs.bias) in.push_back(rnd({cs.k}, kFloat64, seed++).set_requires_grad(true));
    const Conv2dOptions o = cs.o;
    const GradcheckResult r = gradcheck(
        [o](const std::vector<Tensor>& t) { return conv2d(t[0], t[1], t.size() > 2 ? t[2] : Tensor(), o); }, in);
    EXPECT_TRUE(r.ok) << "case C=" << cs.c << " K=" << cs.k << " groups=" << o.groups << ": " << r.message;
  }
}

TEST(Conv2d, GradcheckNonContiguousInput) {
  Tensor x = rnd({2, 3, 6, 5}, kFloat64, 7).transpose(2, 3).set_requires_grad(true);  // [2, 3, 5, 6] strided
  Tensor w = rnd({4, 3, 3, 3}, kFloat64, 8).set_requires_grad(true);
  ASSERT_FALSE(x.is_contiguous());
  const GradcheckResult r =
      gradcheck([](const std::vector<Tensor>& t) { return conv2d(t[0], t[1], Tensor(), Conv2dOptions::make(1, 1)); },
                {x, w});
  EXPECT_TRUE(r.ok) << r.message;
}

// The oneDNN fast path against the im2col reference, in float32: the forward output and the
// gradients of input, weight and bias for the same upstream gradient.
TEST(Conv2d, OneDnnAgreesWithIm2col) {
  uint64_t seed = 300;
  std::vector<Case> all = cases();
  all.push_back({4, 16, 32, 32, 16, 3, 3, opts(1, 1, 1, 1, 1, 1, 1), false});  // ResNet-20 stage 1
  all.push_back({4, 16, 32, 32, 32, 3, 3, opts(2, 2, 1, 1, 1, 1, 1), true});   // stage 2 entry
  all.push_back({3, 17, 11, 13, 12, 3, 3, opts(1, 2, 1, 1, 1, 1, 1), true});  // channels not a multiple of 16
  for (const Case& cs : all) {
    const Tensor x0 = rnd({cs.n, cs.c, cs.h, cs.w}, kFloat32, seed++), w0 = weight_of(cs, kFloat32, seed++);
    const Tensor b0 = cs.bias ? rnd({cs.k}, kFloat32, seed++) : Tensor();
    std::vector<std::vector<float>> results[2];
    Tensor gy;
    for (int which = 0; which < 2; ++which) {
      Tensor x = x0.clone().set_requires_grad(true), w = w0.clone().set_requires_grad(true);
      Tensor b = cs.bias ? b0.clone().set_requires_grad(true) : Tensor();
      Conv2dOptions o = cs.o;
      o.algorithm = which == 0 ? ConvAlgorithm::kIm2col : ConvAlgorithm::kOneDnn;
      Tensor y = conv2d(x, w, b, o);
      if (!gy.defined()) gy = rnd(y.shape(), kFloat32, seed++);
      y.backward(gy);
      results[which] = {y.to_vector<float>(), x.grad().to_vector<float>(), w.grad().to_vector<float>()};
      if (cs.bias) results[which].push_back(b.grad().to_vector<float>());
    }
    const char* names[] = {"output", "input grad", "weight grad", "bias grad"};
    for (size_t t = 0; t < results[0].size(); ++t) {
      const auto &ref = results[0][t], &got = results[1][t];
      ASSERT_EQ(ref.size(), got.size());
      double scale = 0.0;
      for (float v : ref) scale = std::max(scale, static_cast<double>(std::fabs(v)));
      // float32 sums of up to a few thousand products in different orders.
      for (size_t i = 0; i < ref.size(); ++i)
        ASSERT_NEAR(got[i], ref[i], 1e-5 * (scale + 1.0)) << names[t] << " element " << i << " case C=" << cs.c
                                                           << " K=" << cs.k << " groups=" << cs.o.groups;
    }
  }
}

TEST(Conv2d, RejectsBadShapes) {
  const Tensor x = Tensor::zeros({1, 4, 5, 5}), w = Tensor::zeros({6, 2, 3, 3});
  EXPECT_THROW(conv2d(x, w, Tensor()), ShapeError);                                     // groups missing
  EXPECT_NO_THROW(conv2d(x, w, Tensor(), Conv2dOptions::make(1, 0, 1, 2)));
  EXPECT_THROW(conv2d(x, w, Tensor::zeros({5}), Conv2dOptions::make(1, 0, 1, 2)), ShapeError);  // bias size
  EXPECT_THROW(conv2d(x, Tensor::zeros({6, 4, 7, 7}), Tensor()), ShapeError);          // kernel > input
  EXPECT_THROW(conv2d(x.reshape({4, 5, 5}), w, Tensor()), ShapeError);                 // not 4-D
  EXPECT_THROW(conv2d(x, Tensor::zeros({6, 4, 3, 3}), Tensor(), Conv2dOptions::make(0, 0)), ValueError);
  EXPECT_THROW(conv2d(x.to(kFloat64), Tensor::zeros({6, 4, 3, 3}), Tensor()), ShapeError);  // dtypes differ
}

// Only the input, or only the weight and bias, needing gradients: each path computes just those.
TEST(Conv2d, OneDnnPartialGradientsAgreeWithIm2col) {
  const Tensor x0 = rnd({2, 16, 9, 9}, kFloat32, 400), w0 = rnd({8, 16, 3, 3}, kFloat32, 401);
  const Tensor b0 = rnd({8}, kFloat32, 402), gy = rnd({2, 8, 5, 5}, kFloat32, 403);
  for (int which_grad = 0; which_grad < 2; ++which_grad) {
    std::vector<float> got[2];
    for (int algo = 0; algo < 2; ++algo) {
      Tensor x = x0.clone(), w = w0.clone(), b = b0.clone();
      if (which_grad == 0) x.set_requires_grad(true);
      else w.set_requires_grad(true), b.set_requires_grad(true);
      Conv2dOptions o = Conv2dOptions::make(2, 1);
      o.algorithm = algo == 0 ? ConvAlgorithm::kIm2col : ConvAlgorithm::kOneDnn;
      conv2d(x, w, b, o).backward(gy);
      if (which_grad == 0) {
        got[algo] = x.grad().to_vector<float>();
      } else {
        got[algo] = w.grad().to_vector<float>();
        for (float v : b.grad().to_vector<float>()) got[algo].push_back(v);
        EXPECT_FALSE(x.grad().defined());
      }
    }
    ASSERT_EQ(got[0].size(), got[1].size());
    for (size_t i = 0; i < got[0].size(); ++i) ASSERT_NEAR(got[1][i], got[0][i], 1e-4) << "gradient " << which_grad << " element " << i;
  }
}
