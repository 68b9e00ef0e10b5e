// ResNet models and the BasicBlock: sizes against the paper's architecture, both shortcut
// options, any input size, float64 gradient checks through a block, train/eval behaviour, and
// a few SGD steps on one random batch that must lower the loss.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "models/resnet.h"
#include "momenta/autograd.h"
#include "momenta/ops.h"
#include "momenta/optim/registry.h"

using namespace momenta;

TEST(ResNet, Resnet20HasThePapersSize) {
  Generator g(1);
  auto net = models::make_resnet("resnet20", 3, 10, g);
  // Counted from the architecture: stem 3*16*9 + BN 2*16; stage 1: 3 blocks of two 16x16x3x3
  // convs and two BNs; stages 2, 3 likewise at 32 and 64 channels with a 16->32 (32->64) first
  // conv; option A shortcuts have no parameters; fc 64*10 + 10. About 0.27M, as the paper says.
  const int64_t stage1 = 3 * (2 * 16 * 16 * 9 + 4 * 16);
  const int64_t stage2 = (16 * 32 * 9 + 32 * 32 * 9 + 4 * 32) + 2 * (2 * 32 * 32 * 9 + 4 * 32);
  const int64_t stage3 = (32 * 64 * 9 + 64 * 64 * 9 + 4 * 64) + 2 * (2 * 64 * 64 * 9 + 4 * 64);
  EXPECT_EQ(net->num_parameters(), 3 * 16 * 9 + 2 * 16 + stage1 + stage2 + stage3 + 64 * 10 + 10);
  EXPECT_EQ(net->num_parameters(), 269722);
  // Option B adds a 1x1 projection and a BN where a stage begins.
  auto b = models::make_resnet("resnet20", 3, 10, g, models::ShortcutChoice::kB);
  EXPECT_EQ(b->num_parameters() - net->num_parameters(), 16 * 32 + 2 * 32 + 32 * 64 + 2 * 64);
  // Buffers: running mean and variance of every BN (19 of them).
  EXPECT_EQ(net->named_buffers().size(), 2u * 19u);
  EXPECT_EQ(models::make_resnet("resnet56", 3, 10, g)->blocks->size(), 27u);
  EXPECT_EQ(models::make_resnet("resnet32", 3, 100, g)->blocks->size(), 15u);
}

TEST(ResNet, Resnet18MatchesTheCifarVariant) {
  Generator g(2);
  auto net = models::make_resnet("resnet18", 3, 10, g);
  // The CIFAR ResNet-18 with projection shortcuts (11.17M parameters, as the PyTorch twin).
  EXPECT_EQ(net->num_parameters(), 11173962);
  const Tensor y = (*net)(randn({2, 3, 16, 16}, kFloat32, g));
  EXPECT_EQ(y.shape(), (Shape{2, 10}));
}

TEST(ResNet, AnyInputChannelsAndSize) {
  Generator g(3);
  auto net = models::make_resnet("resnet20", 1, 7, g);
  EXPECT_EQ((*net)(randn({3, 1, 28, 28}, kFloat32, g)).shape(), (Shape{3, 7}));
  EXPECT_EQ((*net)(randn({2, 1, 9, 13}, kFloat32, g)).shape(), (Shape{2, 7}));
  EXPECT_THROW((*net)(randn({2, 3, 28, 28}, kFloat32, g)), ShapeError);
  EXPECT_THROW(models::make_resnet("resnet21", 3, 10, g), ValueError);
  EXPECT_EQ(models::parse_shortcut("b"), models::ShortcutChoice::kB);
  EXPECT_THROW(models::parse_shortcut("C"), ValueError);
}

TEST(BasicBlock, GradcheckBothShortcuts) {
  for (nn::Shortcut sc : {nn::Shortcut::kA, nn::Shortcut::kB}) {
    for (int64_t stride : {1, 2}) {
      Generator g(4);
      nn::BasicBlock block(2, 4, stride, sc, g);
      block.finalize(kFloat64);
      Tensor x = randn({2, 2, 5, 5}, kFloat64, g).set_requires_grad(true);
      const GradcheckResult r = gradcheck([&](const std::vector<Tensor>& t) { return block(t[0]); }, {x});
      EXPECT_TRUE(r.ok) << "shortcut " << (sc == nn::Shortcut::kA ? "A" : "B") << " stride " << stride << ": "
                        << r.message;
    }
  }
}

TEST(BasicBlock, OptionAShortcutIsZeroPaddedSubsampledIdentity) {
  Generator g(5);
  nn::BasicBlock block(2, 6, 2, nn::Shortcut::kA, g);
  // With conv2's weight zero the residual branch is bn2's bias (0), so the block is relu(shortcut).
  block.conv2->weight.detach().zero_();
  const Tensor x = randn({1, 2, 4, 4}, kFloat32, g);
  const auto y = block(x).to_vector<float>(), xv = x.to_vector<float>();
  for (int64_t c = 0; c < 6; ++c)
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 2; ++j) {
        const float want = (c >= 2 && c < 4) ? std::max(0.0f, xv[((c - 2) * 4 + 2 * i) * 4 + 2 * j]) : 0.0f;
        EXPECT_EQ(y[(c * 2 + i) * 2 + j], want) << "channel " << c;
      }
}

TEST(ResNet, EvalUsesRunningStatistics) {
  Generator g(6);
  auto net = models::make_resnet("resnet20", 3, 10, g);
  const Tensor x = randn({4, 3, 8, 8}, kFloat32, g);
  NoGradGuard ng;
  (*net)(x);  // one training-mode pass moves the running statistics
  net->eval();
  const auto a = (*net)(x).to_vector<float>();
  const auto b = (*net)(x.slice(0, 0, 1)).to_vector<float>();
  // In eval mode a sample's output does not depend on the rest of the batch.
  for (size_t i = 0; i < b.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5 * (1.0 + std::fabs(a[i])));
}

TEST(ResNet, SgdStepsLowerTheLossOnARandomBatch) {
  Generator g(7);
  auto net = models::make_resnet("resnet20", 3, 10, g);
  net->finalize();
  auto opt = optim::make_optimizer("sgd", net->arena(), {{"lr", "0.05"}, {"momentum", "0.9"}});
  const Tensor x = randn({16, 3, 16, 16}, kFloat32, g);
  std::vector<int64_t> labels;
  for (int64_t i = 0; i < 16; ++i) labels.push_back(i % 10);
  const Tensor y = Tensor::from_vector(labels, {16});
  std::vector<double> losses;
  for (int step = 0; step < 8; ++step) {
    opt->zero_grad();
    Tensor loss = cross_entropy((*net)(x), y);
    loss.backward();
    for (auto& [name, p] : net->named_parameters()) ASSERT_TRUE(p.grad().defined()) << name;
    opt->step({loss.item(), step});
    losses.push_back(loss.item());
  }
  EXPECT_LT(losses.back(), 0.5 * losses.front()) << "first " << losses.front() << ", last " << losses.back();
}
