#include <gtest/gtest.h>
#include "momenta/allocator.h"

#include "models/mlp.h"
#include "momenta/autograd.h"
#include "momenta/nn/init.h"
#include "momenta/ops.h"
#include "momenta/optim/registry.h"

using namespace momenta;

TEST(Module, NamedParametersInOrder) {
  Generator g(1);
  auto net = models::make_mlp({4, {8}, 3, nn::Activation::kTanh, 0.0}, g);
  std::vector<std::string> names;
  for (auto& [n, t] : net->named_parameters()) names.push_back(n);
  EXPECT_EQ(names, (std::vector<std::string>{"1.weight", "1.bias", "3.weight", "3.bias"}));
  EXPECT_EQ(net->num_parameters(), 8 * 4 + 8 + 3 * 8 + 3);
}

TEST(Module, FinalizeMovesParametersIntoOneArena) {
  Generator g(2);
  auto net = models::make_mlp({4, {8}, 3, nn::Activation::kReLU, 0.0}, g);
  const auto before = net->named_parameters()[0].second.to_vector<float>();
  net->finalize();
  const auto& arena = net->arena();
  EXPECT_EQ(arena.size(), net->num_parameters());
  int64_t offset = 0;
  for (auto& [name, t] : net->named_parameters()) {
    EXPECT_EQ(t.storage(), arena.params().storage()) << name;
    EXPECT_EQ(t.offset(), offset) << name;
    EXPECT_EQ(t.grad().storage(), arena.grads().storage()) << name;
    offset += t.numel();
  }
  EXPECT_EQ(net->named_parameters()[0].second.to_vector<float>(), before);  // values kept
  // Writing through the arena is seen by the parameter.
  arena.params().fill_(0.5);
  EXPECT_EQ(net->named_parameters()[1].second.to_vector<float>()[0], 0.5f);
}

TEST(Module, GradientsLandInTheArena) {
  Generator g(3);
  auto net = models::make_mlp({4, {5}, 2, nn::Activation::kReLU, 0.0}, g);
  net->finalize();
  Tensor x = randn({6, 4}, kFloat32, g);
  Tensor y = Tensor::from_vector<int64_t>({0, 1, 0, 1, 1, 0}, {6});
  cross_entropy((*net)(x), y).backward();
  const auto grads = net->arena().grads().to_vector<float>();
  double norm = 0;
  for (float v : grads) norm += v * v;
  EXPECT_GT(norm, 0.0);
  net->zero_grad();
  for (float v : net->arena().grads().to_vector<float>()) ASSERT_EQ(v, 0.0f);
}

TEST(Module, StateDictRoundTripAndErrors) {
  Generator g1(4), g2(5);
  auto a = models::make_mlp({4, {8}, 3, nn::Activation::kReLU, 0.0}, g1);
  auto b = models::make_mlp({4, {8}, 3, nn::Activation::kReLU, 0.0}, g2);
  b->finalize();
  b->load_state_dict(a->state_dict());
  EXPECT_EQ(a->named_parameters()[2].second.to_vector<float>(), b->named_parameters()[2].second.to_vector<float>());
  auto wrong = models::make_mlp({4, {9}, 3, nn::Activation::kReLU, 0.0}, g1);
  EXPECT_THROW(b->load_state_dict(wrong->state_dict()), ShapeError);
  nn::NamedTensors partial = a->state_dict();
  partial.pop_back();
  EXPECT_THROW(b->load_state_dict(partial), ValueError);
}

TEST(Init, SuperAccelerationInitStatistics) {
  Generator g(6);
  auto net = models::make_mlp({400, {300}, 10, nn::Activation::kSigmoid, 0.0}, g);
  nn::init::superacc_init(*net, g);
  const auto w = net->named_parameters()[0].second.to_vector<float>();
  double var = 0;
  for (float v : w) var += v * v;
  EXPECT_NEAR(var / w.size(), 1.0 / 400, 0.05 / 400);
  const auto bias = net->named_parameters()[1].second.to_vector<float>();
  double bvar = 0;
  for (float v : bias) bvar += v * v;
  EXPECT_NEAR(bvar / bias.size(), 1.0, 0.25);
}

TEST(Optim, TrainingReducesTheLoss) {
  for (auto [rule, lr] : {std::pair{"sgd", "0.5"}, std::pair{"heavy_ball", "0.1"}, std::pair{"adam", "0.05"}}) {
    Generator g(7);
    auto net = models::make_mlp({4, {16}, 3, nn::Activation::kReLU, 0.0}, g);
    net->finalize();
    auto opt = optim::make_optimizer(rule, net->arena(), std::map<std::string, std::string>{{"lr", lr}});
    Tensor x = randn({32, 4}, kFloat32, g);
    std::vector<int64_t> labels;
    for (int i = 0; i < 32; ++i) labels.push_back(i % 3);
    Tensor y = Tensor::from_vector<int64_t>(labels, {32});
    double first = 0, last = 0;
    for (int step = 0; step < 300; ++step) {
      opt->zero_grad();
      Tensor loss = cross_entropy((*net)(x), y);
      if (step == 0) first = loss.item();
      last = loss.item();
      loss.backward();
      opt->step({last, step});
    }
    EXPECT_LT(last, 0.5 * first) << rule;
  }
}

TEST(Optim, RegistryValidates) {
  Generator g(8);
  auto net = models::make_mlp({2, {}, 2, nn::Activation::kReLU, 0.0}, g);
  net->finalize();
  using M = std::map<std::string, std::string>;
  EXPECT_THROW(optim::make_optimizer("adamm", net->arena(), M{}), ValueError);
  EXPECT_THROW(optim::make_optimizer("sgd", net->arena(), M{}), ValueError);  // lr required
  EXPECT_THROW(optim::make_optimizer("adam", net->arena(), M{{"betas", "0.9"}}), ValueError);
  EXPECT_THROW(optim::make_optimizer("adam", net->arena(), M{{"betas", "0.9,1.5"}}), ValueError);
  EXPECT_THROW(optim::make_optimizer("adam", net->arena(), M{{"lr", "abc"}}), ValueError);
  EXPECT_THROW(optim::make_optimizer("adam", net->arena(), M{{"momentum", "0.9"}}), ValueError);
  EXPECT_NO_THROW(optim::make_optimizer("adam", net->arena(), M{{"betas", "0.8,0.99"}}));
}

TEST(Optim, StepAllocatesNothingAfterTheFirst) {
  Generator g(9);
  auto net = models::make_mlp({8, {16}, 4, nn::Activation::kReLU, 0.0}, g);
  net->finalize();
  for (const char* rule : {"heavy_ball", "adam", "amsgrad"}) {
    auto opt = optim::make_optimizer(rule, net->arena(), std::map<std::string, std::string>{{"lr", "0.01"}});
    opt->step();
    const auto before = allocator_for(kCPU).stats().allocations;
    for (int i = 0; i < 5; ++i) opt->step();
    EXPECT_EQ(allocator_for(kCPU).stats().allocations, before) << rule;
  }
}
