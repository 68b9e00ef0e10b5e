// The image modules: parameter and buffer names and shapes, batch norm's train/eval switch
// through Module::train(), and that each module runs the op it wraps.
#include <gtest/gtest.h>

#include <cmath>

#include "momenta/autograd.h"
#include "momenta/nn/conv_layers.h"
#include "momenta/nn/layers.h"
#include "momenta/ops.h"

using namespace momenta;

namespace {
std::vector<std::string> names(const nn::NamedTensors& ts) {
  std::vector<std::string> out;
  for (auto& [n, t] : ts) out.push_back(n);
  return out;
}
}  // namespace

TEST(Conv2dModule, ParametersAndForward) {
  Generator g(1);
  nn::Conv2d conv(4, 6, 3, 2, 1, true, 2, 1, g);
  EXPECT_EQ(names(conv.named_parameters()), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(conv.weight.shape(), (Shape{6, 2, 3, 3}));
  // PyTorch's default bound 1/sqrt(fan_in), fan_in = 2 * 3 * 3.
  for (float v : conv.weight.to_vector<float>()) EXPECT_LE(std::fabs(v), 1.0f / std::sqrt(18.0f));
  const Tensor x = randn({2, 4, 7, 7}, kFloat32, g);
  const Tensor y = conv(x);
  EXPECT_EQ(y.shape(), (Shape{2, 6, 4, 4}));
  EXPECT_EQ(y.to_vector<float>(), conv2d(x, conv.weight, conv.bias, Conv2dOptions::make(2, 1, 1, 2)).to_vector<float>());
  EXPECT_THROW(nn::Conv2d(3, 6, 3, 1, 0, true, 2), ValueError);  // 3 channels, 2 groups
}

TEST(BatchNorm2dModule, TrainUpdatesBuffersAndEvalUsesThem) {
  nn::BatchNorm2d bn(3);
  EXPECT_EQ(names(bn.named_parameters()), (std::vector<std::string>{"weight", "bias"}));
  EXPECT_EQ(names(bn.named_buffers()), (std::vector<std::string>{"running_mean", "running_var"}));
  Generator g(2);
  const Tensor x = randn({4, 3, 5, 5}, kFloat32, g) * 2.0 + 1.0;
  NoGradGuard ng;
  const Tensor y_train = bn(x);
  const auto rm = bn.running_mean.to_vector<float>();
  for (float v : rm) EXPECT_NE(v, 0.0f);  // moved towards the batch mean (about 1)
  bn.eval();
  const Tensor y_eval = bn(x);
  EXPECT_EQ(bn.running_mean.to_vector<float>(), rm);  // unchanged in eval
  EXPECT_EQ(y_eval.to_vector<float>(),
            batch_norm(x, bn.weight, bn.bias, bn.running_mean, bn.running_var, false).to_vector<float>());
  EXPECT_NE(y_eval.to_vector<float>(), y_train.to_vector<float>());
  EXPECT_THROW(bn(x.reshape({4, 3, 25})), ShapeError);
}

TEST(NormModules, GroupAndLayerNorm) {
  Generator g(3);
  const Tensor x = randn({2, 4, 3, 3}, kFloat32, g);
  nn::GroupNorm gn(2, 4);
  EXPECT_EQ(gn.weight.shape(), (Shape{4}));
  EXPECT_EQ(gn(x).to_vector<float>(), group_norm(x, 2, gn.weight, gn.bias).to_vector<float>());
  nn::LayerNorm ln({3, 3});
  EXPECT_EQ(ln.weight.shape(), (Shape{3, 3}));
  EXPECT_EQ(ln(x).to_vector<float>(), layer_norm(x, {3, 3}, ln.weight, ln.bias).to_vector<float>());
  EXPECT_THROW(nn::GroupNorm(3, 4), ValueError);
}

TEST(PoolModules, ShapesAndSequential) {
  Generator g(4);
  const Tensor x = randn({2, 3, 8, 8}, kFloat32, g);
  EXPECT_EQ(nn::MaxPool2d(2)(x).shape(), (Shape{2, 3, 4, 4}));
  EXPECT_EQ(nn::AvgPool2d(3, 2, 1)(x).shape(), (Shape{2, 3, 4, 4}));
  EXPECT_EQ(nn::GlobalAvgPool()(x).shape(), (Shape{2, 3}));
  EXPECT_EQ(nn::Upsample(UpsampleMode::kBilinear)(x).shape(), (Shape{2, 3, 16, 16}));
  nn::Sequential net;
  net.add(std::make_shared<nn::Conv2d>(3, 8, 3, 1, 1, false, 1, 1, g));
  net.add(std::make_shared<nn::BatchNorm2d>(8));
  net.add(std::make_shared<nn::ActivationLayer>(nn::Activation::kReLU));
  net.add(std::make_shared<nn::MaxPool2d>(2));
  net.add(std::make_shared<nn::Flatten>());
  EXPECT_EQ(net(x).shape(), (Shape{2, 8 * 4 * 4}));
  EXPECT_EQ(names(net.named_buffers()), (std::vector<std::string>{"1.running_mean", "1.running_var"}));
}
