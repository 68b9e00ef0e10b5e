#include <gtest/gtest.h>

#include "momenta/autograd.h"
#include "momenta/ops.h"

using namespace momenta;

TEST(Autograd, ChainAndAccumulation) {
  Tensor x = Tensor::from_vector<double>({1, 2, 3}, {3}).set_requires_grad();
  Tensor y = sum(mul(x, x));  // dy/dx = 2x
  y.backward();
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{2, 4, 6}));
  sum(x).backward();  // accumulates
  EXPECT_EQ(x.grad().to_vector<double>(), (std::vector<double>{3, 5, 7}));
}

TEST(Autograd, SharedSubexpressionGetsBothPaths) {
  Tensor x = Tensor::from_vector<double>({2}, {1}).set_requires_grad();
  Tensor h = mul(x, 3.0);
  Tensor y = sum(add(mul(h, h), h));  // 9x^2 + 3x -> 18x + 3
  y.backward();
  EXPECT_DOUBLE_EQ(x.grad().item(), 39.0);
}

TEST(Autograd, NoGradGuardRecordsNothing) {
  Tensor x = Tensor::ones({2}, kFloat64).set_requires_grad();
  NoGradGuard ng;
  Tensor y = mul(x, 2.0);
  EXPECT_FALSE(y.requires_grad());
  EXPECT_EQ(y.grad_fn(), nullptr);
}

TEST(Autograd, ErrorsAreClear) {
  Tensor x = Tensor::ones({2}, kFloat64);
  EXPECT_THROW(sum(x).backward(), ValueError);  // nothing requires grad
  Tensor w = Tensor::ones({2}, kFloat64).set_requires_grad();
  EXPECT_THROW(mul(w, 2.0).backward(), ShapeError);  // non-scalar without a gradient
  Tensor y = sum(mul(w, w));
  y.backward();
  EXPECT_THROW(y.backward(), Error);  // graph freed
  Tensor z = sum(mul(w, w));
  z.backward(Tensor(), true);
  EXPECT_NO_THROW(z.backward());
}

TEST(Autograd, DetachCutsTheGraph) {
  Tensor x = Tensor::ones({2}, kFloat64).set_requires_grad();
  Tensor y = mul(x, 2.0).detach();
  EXPECT_FALSE(y.requires_grad());
}
