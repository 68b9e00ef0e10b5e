// The trainer's losses: cross-entropy and the quadratic cost of the super-acceleration paper.
#include <gtest/gtest.h>

#include "momenta/train/trainer.h"

using namespace momenta;

TEST(TrainerLoss, QuadraticIsHalfTheSquaredDistanceToTheOneHotPerSample) {
  const std::vector<double> out = {0.2, 0.9, 0.1, 0.7, 0.3, 0.4};  // [2, 3]
  Tensor o = Tensor::from_vector(out).reshape({2, 3});
  o.set_requires_grad(true);
  Tensor y = Tensor::from_vector(std::vector<int64_t>{1, 0});
  Tensor l = train::compute_loss(train::Loss::kQuadratic, o, y);
  const double want = 0.5 * ((0.04 + 0.01 + 0.01) + (0.09 + 0.09 + 0.16)) / 2.0;
  EXPECT_NEAR(l.item(), want, 1e-15);
  l.backward();
  // d/do = (o - onehot) / B
  const std::vector<double> g = o.grad().to_vector<double>();
  const std::vector<double> expect = {0.1, -0.05, 0.05, -0.15, 0.15, 0.2};
  for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], expect[i], 1e-15) << i;
  EXPECT_THROW(train::compute_loss(train::Loss::kQuadratic, o, Tensor::from_vector(std::vector<int64_t>{1, 3})), ValueError);
  EXPECT_EQ(train::parse_loss("quadratic"), train::Loss::kQuadratic);
  EXPECT_THROW(train::parse_loss("hinge"), ValueError);
}
