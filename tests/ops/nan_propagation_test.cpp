// NOTE [NaN propagation] (kernels/elementwise.h): relu, maximum, minimum, max pooling, max
// reductions and the fused batch norm + ReLU return NaN for a NaN input, as PyTorch does, and
// the ReLU's derivative passes the gradient where its input is NaN (threshold_backward).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "momenta/autograd.h"
#include "momenta/ops.h"

using namespace momenta;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// 37 values (past any vector width, with a tail): a NaN at 0, 9 and 36, the rest ordinary.
std::vector<double> values_with_nans() {
  std::vector<double> v;
  for (int i = 0; i < 37; ++i) v.push_back((i % 3 == 0 ? -1.0 : 1.0) * (0.5 + i));
  v[0] = v[9] = v[36] = kNaN;
  v[4] = kInf, v[5] = -kInf;
  return v;
}

bool is_nan_at(const std::vector<double>& v, size_t i) { return std::isnan(v[i]); }

class NanPropagation : public ::testing::TestWithParam<DType> {};

}  // namespace

TEST_P(NanPropagation, ReluKeepsNaN) {
  const auto in = values_with_nans();
  const auto out = relu(Tensor::from_vector(in).to(GetParam())).to_vector<double>();
  for (size_t i = 0; i < in.size(); ++i) {
    if (std::isnan(in[i])) {
      EXPECT_TRUE(std::isnan(out[i])) << "element " << i;
    } else {
      EXPECT_EQ(out[i], in[i] > 0 ? in[i] : 0.0) << "element " << i;
    }
  }
}

TEST_P(NanPropagation, ReluGradientPassesWhereTheInputIsNaN) {
  const auto in = values_with_nans();
  Tensor x = Tensor::from_vector(in).to(GetParam()).set_requires_grad(true);
  sum(relu(x)).backward();
  const auto g = x.grad().to_vector<double>();
  for (size_t i = 0; i < in.size(); ++i) EXPECT_EQ(g[i], std::isnan(in[i]) || in[i] > 0 ? 1.0 : 0.0) << "element " << i;
}

TEST_P(NanPropagation, MaximumAndMinimumReturnNaNFromEitherSide) {
  const auto a = values_with_nans();
  std::vector<double> b(a.size(), 0.25);
  b[3] = b[9] = kNaN;  // NaN on the right alone (3), and on both sides (9)
  const Tensor ta = Tensor::from_vector(a).to(GetParam()), tb = Tensor::from_vector(b).to(GetParam());
  for (const auto& [name, out] : {std::pair{"maximum", maximum(ta, tb)}, std::pair{"minimum", minimum(ta, tb)},
                                  std::pair{"maximum (swapped)", maximum(tb, ta)}, std::pair{"minimum (swapped)", minimum(tb, ta)}}) {
    const auto o = out.to_vector<double>();
    for (size_t i = 0; i < a.size(); ++i) {
      const bool nan = std::isnan(a[i]) || std::isnan(b[i]);
      if (nan) {
        EXPECT_TRUE(std::isnan(o[i])) << name << ", element " << i;
      } else {
        const bool is_max = name[1] == 'a';
        EXPECT_EQ(o[i], is_max ? std::max(a[i], b[i]) : std::min(a[i], b[i])) << name << ", element " << i;
      }
    }
  }
}

TEST_P(NanPropagation, MaxPoolWindowWithNaNGivesNaN) {
  // [1, 1, 4, 4], 2x2 windows: the NaN sits in the top-left window, not at its first element.
  std::vector<double> v(16);
  for (int i = 0; i < 16; ++i) v[static_cast<size_t>(i)] = static_cast<double>(i);
  v[5] = kNaN;
  Tensor x = Tensor::from_vector(v, {1, 1, 4, 4}).to(GetParam()).set_requires_grad(true);
  Tensor y = max_pool2d(x, 2);
  const auto o = y.to_vector<double>();
  ASSERT_EQ(o.size(), 4u);
  EXPECT_TRUE(is_nan_at(o, 0));
  EXPECT_EQ(o[1], 7.0);
  EXPECT_EQ(o[2], 13.0);
  EXPECT_EQ(o[3], 15.0);
  sum(y).backward();
  const auto g = x.grad().to_vector<double>();
  EXPECT_EQ(g[5], 1.0);  // the gradient goes to the NaN, the window's maximum
  EXPECT_EQ(g[4], 0.0);
}

TEST_P(NanPropagation, MaxReductionReturnsNaN) {
  const Tensor x = Tensor::from_vector(std::vector<double>{1, kNaN, 3, 2, 5, 4}, {2, 3}).to(GetParam());
  const auto rows = max(x, 1).to_vector<double>();
  EXPECT_TRUE(std::isnan(rows[0]));
  EXPECT_EQ(rows[1], 5.0);
  EXPECT_TRUE(std::isnan(max(x).item()));
}

TEST_P(NanPropagation, FusedBatchNormReluKeepsNaN) {
  // y = relu(batch_norm(x) + residual) in evaluation mode (running statistics 0 and 1), a NaN in
  // the residual: y is NaN there, and the residual's gradient (the ReLU's mask applied to the
  // output's) passes it, as PyTorch's threshold_backward does.
  const std::vector<double> xv{-1, 1, 2, -3, 4, -5, 6, -7}, rv{0, kNaN, 0, 0, 0, 0, 0, kNaN};
  const Tensor x = Tensor::from_vector(xv, {2, 1, 2, 2}).to(GetParam());
  Tensor r = Tensor::from_vector(rv, {2, 1, 2, 2}).to(GetParam()).set_requires_grad(true);
  const Tensor mean = Tensor::zeros({1}, GetParam(), kCPU), var = Tensor::ones({1}, GetParam(), kCPU);
  BatchNormFusion fuse;
  fuse.relu = true;
  fuse.residual = r;
  Tensor y = batch_norm(x, Tensor(), Tensor(), mean, var, false, 0.1, 0.0, fuse);
  const auto o = y.to_vector<double>();
  for (size_t i = 0; i < xv.size(); ++i) {
    if (std::isnan(rv[i])) {
      EXPECT_TRUE(std::isnan(o[i])) << "element " << i;
    } else {
      EXPECT_EQ(o[i], xv[i] > 0 ? xv[i] : 0.0) << "element " << i;
    }
  }
  sum(y).backward();
  const auto g = r.grad().to_vector<double>();
  for (size_t i = 0; i < xv.size(); ++i) EXPECT_EQ(g[i], std::isnan(rv[i]) || xv[i] > 0 ? 1.0 : 0.0) << "element " << i;
}

INSTANTIATE_TEST_SUITE_P(Dtypes, NanPropagation, ::testing::Values(kFloat32, kFloat64),
                         [](const ::testing::TestParamInfo<DType>& p) { return p.param == kFloat32 ? "Float32" : "Float64"; });
