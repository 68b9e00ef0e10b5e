// Whole training steps on CUDA against the CPU (issue 13): the MLP, ResNet-20 and the diffusion
// U-Net, built from one seed on each device, fed the same batch; the loss, every gradient, the
// parameters after the optimizer's steps and the buffers (batch-norm statistics) must agree.
// float32, as the models train: the devices sum in different orders (cuDNN's convolution
// algorithms, cuBLAS's GEMM tiling), so agreement is measured as a norm-relative error over a
// whole arena, ||gpu - cpu|| / ||cpu||, against 1e-4 (float32 round-off over a few thousand-term
// sums is ~1e-6; a wrong kernel gives O(1)).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>

#include "gpu/gpu_test_util.h"
#include "models/mlp.h"
#include "models/resnet.h"
#include "models/score_model.h"
#include "models/unet.h"
#include "momenta/autograd.h"
#include "momenta/data/loader.h"
#include "momenta/diffusion/noise_process.h"
#include "momenta/ops.h"
#include "momenta/optim/registry.h"
#include "momenta/random.h"
#include "momenta/train/objective.h"

namespace momenta {
namespace {

using namespace gpu_test;

double rel_error(const Tensor& got, const Tensor& want) {
  const auto g = got.to_vector<double>(), w = want.to_vector<double>();
  EXPECT_EQ(g.size(), w.size());
  double num = 0, den = 0;
  for (size_t i = 0; i < g.size() && i < w.size(); ++i) {
    if (!std::isfinite(g[i])) return INFINITY;
    num += (g[i] - w[i]) * (g[i] - w[i]);
    den += w[i] * w[i];
  }
  return den > 0 ? std::sqrt(num / den) : std::sqrt(num);
}

struct StepRecord {
  std::vector<double> losses;
  Tensor grads, params;  // host copies after the last step
  nn::NamedTensors buffers;  // host copies
};

using MakeModel = std::function<std::shared_ptr<nn::Module>()>;

// `steps` training steps of `optim` on `batch` (host) with `objective`, on `device`.
StepRecord train_steps(const MakeModel& make, Device device, const data::Batch& host_batch,
                       const train::Objective& objective, const std::string& optim, int steps) {
  auto model = make();
  model->finalize(kFloat32, device);
  auto opt = optim::make_optimizer(optim, model->arena(), std::map<std::string, std::string>{{"lr", "0.01"}});
  data::Batch b;
  b.images = host_batch.images.to(device);
  b.labels = host_batch.labels.to(device);
  StepRecord r;
  model->train();
  for (int s = 0; s < steps; ++s) {
    opt->zero_grad();
    Generator gen(1234 + static_cast<uint64_t>(s));  // the DSM noise: Philox, the same on both devices
    Tensor loss = objective.loss(*model, b, gen);
    r.losses.push_back(loss.item());
    loss.backward();
    if (s + 1 == steps) r.grads = model->arena().grads().to(kCPU);
    opt->step(optim::StepInfo{r.losses.back(), s});
  }
  r.params = model->arena().params().to(kCPU);
  for (const auto& [name, t] : model->named_buffers()) r.buffers.emplace_back(name, t.to(kCPU));
  return r;
}

void compare_training(const std::string& what, const MakeModel& make, const data::Batch& batch,
                      const train::Objective& objective) {
  for (const char* optim : {"sgd", "adam"}) {
    const StepRecord cpu = train_steps(make, kCPU, batch, objective, optim, 3);
    const StepRecord gpu = train_steps(make, kGpu, batch, objective, optim, 3);
    const std::string tag = what + " with " + optim;
    for (size_t s = 0; s < cpu.losses.size(); ++s)
      EXPECT_NEAR(gpu.losses[s], cpu.losses[s], 1e-4 * std::abs(cpu.losses[s]) + 1e-6) << tag << ", step " << s;
    const double eg = rel_error(gpu.grads, cpu.grads), ep = rel_error(gpu.params, cpu.params);
    EXPECT_LT(eg, 1e-4) << tag << ": gradients of the last step";
    EXPECT_LT(ep, 1e-4) << tag << ": parameters after 3 steps";
    ASSERT_EQ(gpu.buffers.size(), cpu.buffers.size());
    for (size_t i = 0; i < cpu.buffers.size(); ++i) {
      if (!is_floating(cpu.buffers[i].second.dtype())) continue;
      EXPECT_LT(rel_error(gpu.buffers[i].second, cpu.buffers[i].second), 1e-4) << tag << ": buffer "
                                                                              << cpu.buffers[i].first;
    }
    std::printf("[ models   ] %-28s max rel. error: gradients %.2e, parameters %.2e\n", tag.c_str(), eg, ep);
  }
}

data::Batch image_batch(int64_t n, int64_t c, int64_t hw, int64_t classes, uint64_t seed) {
  Generator g(seed);
  data::Batch b;
  b.images = rand({n, c, hw, hw}, kFloat32, g);
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) labels[static_cast<size_t>(i)] = (i * 7 + 3) % classes;
  b.labels = Tensor::from_vector(labels, Shape{n});
  return b;
}

TEST(CudaModels, MlpTrainingStepMatchesCpu) {
  MOMENTA_REQUIRE_GPU();
  const MakeModel make = [] {
    Generator g(5);
    models::MlpConfig cfg;
    return std::static_pointer_cast<nn::Module>(models::make_mlp(cfg, g));
  };
  const train::ClassificationObjective ce(train::Loss::kCrossEntropy), quad(train::Loss::kQuadratic);
  compare_training("MLP 784-256-256-10, cross-entropy", make, image_batch(64, 1, 28, 10, 1), ce);
  compare_training("MLP 784-256-256-10, quadratic", make, image_batch(64, 1, 28, 10, 2), quad);
}

TEST(CudaModels, ResNet20TrainingStepMatchesCpu) {
  MOMENTA_REQUIRE_GPU();
  const MakeModel make = [] {
    Generator g(6);
    return std::static_pointer_cast<nn::Module>(
        std::make_shared<models::ResNet>(3, 10, std::vector<int64_t>{16, 32, 64}, std::vector<int64_t>{3, 3, 3},
                                         nn::Shortcut::kA, g));
  };
  const train::ClassificationObjective ce(train::Loss::kCrossEntropy);
  compare_training("ResNet-20 (CIFAR shape)", make, image_batch(16, 3, 32, 10, 3), ce);
}

TEST(CudaModels, UNetDsmTrainingStepMatchesCpu) {
  MOMENTA_REQUIRE_GPU();
  const MakeModel make = [] {
    Generator g(7);
    return std::static_pointer_cast<nn::Module>(std::make_shared<models::UNet>(models::unet_config("cpu", 1, 28), g));
  };
  for (const char* sde : {"ve", "vp"}) {
    models::ProcessSpec ps;
    ps.sde = sde;
    if (ps.sde == "vp") ps.a = 0.1, ps.b = 20.0;
    const models::DsmObjective dsm(std::shared_ptr<const diffusion::NoiseProcess>(ps.make()), ps.dsm_options());
    compare_training(std::string("U-Net 'cpu', DSM ") + sde, make, image_batch(8, 1, 28, 10, 4), dsm);
  }
}

TEST(CudaModels, ModuleToMovesParametersAndBuffers) {
  MOMENTA_REQUIRE_GPU();
  Generator g(8);
  models::ResNet net(3, 10, {16, 32, 64}, {1, 1, 1}, nn::Shortcut::kA, g);
  net.finalize();
  const data::Batch b = image_batch(4, 3, 32, 10, 9);
  net.train();
  {
    NoGradGuard ng;
    (void)net(b.images);  // batch-norm statistics now differ from their initial values
  }
  net.eval();
  Tensor want;
  {
    NoGradGuard ng;
    want = net(b.images);
  }
  const Tensor first_param = net.named_parameters().front().second;
  net.to(kGpu);
  EXPECT_EQ(net.arena().device(), kGpu);
  EXPECT_EQ(first_param.device(), kGpu) << "a handle taken before the move must see it";
  for (const auto& [name, t] : net.named_buffers()) EXPECT_EQ(t.device(), kGpu) << name;
  for (const auto& [name, t] : net.named_parameters()) EXPECT_EQ(t.grad().device(), kGpu) << name;
  Tensor got;
  {
    NoGradGuard ng;
    got = net(b.images.to(kGpu));
  }
  EXPECT_LT(rel_error(got.to(kCPU), want), 1e-5);
  net.to(kCPU);
  {
    NoGradGuard ng;
    EXPECT_LT(rel_error(net(b.images), want), 1e-6);
  }
}

TEST(CudaModels, OperandsOnTwoDevicesAreRefused) {
  MOMENTA_REQUIRE_GPU();
  const Tensor a = Tensor::ones({3, 4}, kFloat32, kCPU), b = Tensor::ones({4, 2}, kFloat32, kGpu);
  EXPECT_THROW(matmul(a, b), ValueError);
  EXPECT_THROW(add(a, Tensor::ones({3, 4}, kFloat32, kGpu)), ValueError);
}

}  // namespace
}  // namespace momenta
