// recompute_batch_norm_stats: the re-estimated running statistics are the equal-weight means over
// batches of each batch's statistics, computed here layer by layer from the batches themselves.
#include "momenta/train/batch_norm_stats.h"

#include <gtest/gtest.h>

#include <cmath>

#include "models/mlp.h"
#include "momenta/autograd.h"
#include "momenta/data/dataset.h"
#include "momenta/nn/conv_layers.h"
#include "momenta/nn/layers.h"
#include "momenta/ops.h"

#include "toy_data.h"

using namespace momenta;

namespace {

// Per-channel mean and unbiased variance of x [N, C, H, W], in double.
struct ChannelStats {
  std::vector<double> mean, var;
};
ChannelStats channel_stats(const Tensor& x) {
  const Tensor m = mean(x, {0, 2, 3}, true);
  const auto mv = m.reshape({x.size(1)}).to_vector<float>();
  const auto vv = mean(square(x - m), {0, 2, 3}).to_vector<float>();
  const double count = static_cast<double>(x.numel() / x.size(1));
  ChannelStats s;
  for (size_t c = 0; c < mv.size(); ++c) {
    s.mean.push_back(mv[c]);
    s.var.push_back(vv[c] * count / (count - 1.0));
  }
  return s;
}

void expect_close(const Tensor& got, const std::vector<double>& want, const char* what) {
  const auto g = got.to_vector<float>();
  ASSERT_EQ(g.size(), want.size()) << what;
  for (size_t i = 0; i < g.size(); ++i)
    EXPECT_NEAR(g[i], want[i], 1e-5 * std::max(1.0, std::abs(want[i]))) << what << "[" << i << "]";
}

}  // namespace

TEST(BatchNormStats, AreTheMeanOverBatchesOfEachBatchsStatistics) {
  manual_seed(4);
  auto net = std::make_shared<nn::Sequential>();
  auto conv1 = net->add(std::make_shared<nn::Conv2d>(1, 4, 3, 1, 1));
  auto bn1 = net->add(std::make_shared<nn::BatchNorm2d>(4));
  net->add(std::make_shared<nn::ActivationLayer>(nn::Activation::kReLU));
  net->add(std::make_shared<nn::Dropout>(0.5));
  auto conv2 = net->add(std::make_shared<nn::Conv2d>(4, 3, 3, 1, 1));
  auto bn2 = net->add(std::make_shared<nn::BatchNorm2d>(3));
  net->add(std::make_shared<nn::GlobalAvgPool>());
  net->add(std::make_shared<nn::Linear>(3, 3));
  net->finalize();
  {
    NoGradGuard ng;  // affine parameters and stale statistics away from their initial values
    uniform_(bn1->weight, 0.5, 1.5);
    uniform_(bn1->bias, -0.5, 0.5);
    bn1->running_mean.fill_(7.0);
    bn2->running_var.fill_(9.0);
  }

  const data::ImageDataset ds = toy_images(1, 64, -1);
  data::DataLoader loader(ds, {16, false, false, 0, false});
  const int64_t used = 3;  // of 4 batches
  ChannelStats want1{std::vector<double>(4), std::vector<double>(4)}, want2{std::vector<double>(3), std::vector<double>(3)};
  {
    NoGradGuard ng;
    loader.start_epoch(0);
    data::Batch batch;
    for (int64_t k = 0; k < used && loader.next(batch); ++k) {
      // The layers by hand: batch norm from this batch's statistics, dropout as at evaluation.
      const Tensor h1 = conv1->forward(batch.images);
      const Tensor a1 = relu(batch_norm(h1, bn1->weight, bn1->bias, Tensor(), Tensor(), true, 0.1, bn1->eps));
      const Tensor h2 = conv2->forward(a1);
      const ChannelStats s1 = channel_stats(h1), s2 = channel_stats(h2);
      for (size_t c = 0; c < 4; ++c) {
        want1.mean[c] += s1.mean[c] / used;
        want1.var[c] += s1.var[c] / used;
      }
      for (size_t c = 0; c < 3; ++c) {
        want2.mean[c] += s2.mean[c] / used;
        want2.var[c] += s2.var[c] / used;
      }
    }
  }

  net->train();
  const uint64_t offset = default_generator().offset();
  EXPECT_EQ(train::recompute_batch_norm_stats(*net, loader, 0, used), used);
  expect_close(bn1->running_mean, want1.mean, "bn1 mean");
  expect_close(bn1->running_var, want1.var, "bn1 var");
  expect_close(bn2->running_mean, want2.mean, "bn2 mean");
  expect_close(bn2->running_var, want2.var, "bn2 var");
  // Dropout drew nothing, no graph was recorded, and the layers are as they were.
  EXPECT_EQ(default_generator().offset(), offset);
  for (const Tensor& t : {bn1->running_mean, bn1->running_var, bn2->running_mean, bn2->running_var})
    EXPECT_FALSE(t.requires_grad());
  EXPECT_TRUE(net->is_training());
  EXPECT_TRUE((*net)[3].is_training());
  EXPECT_EQ(bn1->momentum, 0.1);
  EXPECT_EQ(bn2->momentum, 0.1);

  // All batches (the default) gives other statistics than the first three.
  net->eval();
  EXPECT_EQ(train::recompute_batch_norm_stats(*net, loader), 4);
  EXPECT_FALSE(net->is_training());
  EXPECT_GT(std::abs(bn1->running_mean.to_vector<float>()[0] - want1.mean[0]), 1e-6);
}

TEST(BatchNormStats, LeavesAModelWithoutBatchNormAlone) {
  manual_seed(1);
  auto mlp = models::make_mlp({64, {8}, 3, nn::Activation::kReLU, 0.0});
  mlp->finalize();
  EXPECT_FALSE(train::has_batch_norm(*mlp));
  const data::ImageDataset ds = toy_images(1, 20, -1);
  data::DataLoader loader(ds, {10, false, false, 0, false});
  EXPECT_EQ(train::recompute_batch_norm_stats(*mlp, loader), 0);
  EXPECT_THROW(train::recompute_batch_norm_stats(*mlp, loader, 0, 0), ValueError);
}
