// One full MLP training step (zero_grad, forward, loss, backward, optimizer step), with the
// shapes and settings of the PyTorch twins in bench/pytorch/:
//   mlp_784_256_256_10.py  (ReLU, batch 128, Adam lr 1e-3, cross-entropy)
//   mlp_784_30_10.py       (sigmoid, batch 200 or 60000, SGD lr 0.1 momentum 0.9, cross-entropy
//                           by default; --loss mse: mse(sigmoid(logits), one_hot(y)))
// Like the twins' steady-state measurement, the batches are fixed and in memory (float32): the
// twin cycles through min(60000 / B, 50) batches, so these do too (random N(0, 1) images and
// random labels). Time is wall-clock per step (UseRealTime), reported in ms.
//
// Threads: OpenMP honours OMP_NUM_THREADS (default: all cores); the `threads` counter shows it.
//
// The /breakdown variants time the phases of a step separately (counters in ms per step:
// zero_grad, fwd = forward + loss, bwd = backward, opt = optimizer step, free = releasing the
// step's tensors); their total is the step plus a few clock reads.
//
// BM_epoch/mlp_784_256_256_10_relu_b128_adam_epoch: Fashion-MNIST epochs (60000 samples, shuffled,
// batch 128, last partial batch kept) through momenta's DataLoader, like the twin's `epoch_s`;
// 3 epochs after a 50-step warm-up, counter epoch_med_ms = their median.
//
// Run: build-golden/bench/mlp_step --benchmark_filter=... [--benchmark_repetitions=7]
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/mlp.h"
#include "momenta/autograd.h"
#include "momenta/data/dataset.h"
#include "momenta/data/loader.h"
#include "momenta/ops.h"
#include "momenta/optim/registry.h"
#include "momenta/random.h"

using namespace momenta;

namespace {

enum class Loss { kCrossEntropy, kMseOneHot };

struct Workload {
  std::vector<int64_t> hidden;
  nn::Activation act;
  int64_t batch;
  std::string rule;
  std::map<std::string, std::string> hp;
  Loss loss;
};

const Workload kMlp256Adam{{256, 256}, nn::Activation::kReLU, 128, "adam", {{"lr", "1e-3"}}, Loss::kCrossEntropy};
// torch.optim.SGD(lr=0.1, momentum=0.9): dampening 0, first buffer = gradient ("heavy_ball" is the
// same rule; "sgd" with momentum is registered with PyTorch semantics too).
Workload mlp30(int64_t batch, Loss loss) {
  return {{30}, nn::Activation::kSigmoid, batch, "sgd", {{"lr", "0.1"}, {"momentum", "0.9"}}, loss};
}

constexpr int64_t kTrainSize = 60000;
constexpr int64_t kMaxBatches = 50;  // as the twins

struct Setup {
  std::shared_ptr<nn::Sequential> net;
  std::unique_ptr<optim::Optimizer> opt;
  std::vector<Tensor> xs, ys, onehots;
  Loss loss;

  explicit Setup(const Workload& w) : loss(w.loss) {
    Generator gen(0);
    net = models::make_mlp({784, w.hidden, 10, w.act, 0.0}, gen);
    net->finalize();
    opt = optim::make_optimizer(w.rule, net->arena(), w.hp);
    const int64_t nb = std::max<int64_t>(1, std::min(kTrainSize / w.batch, kMaxBatches));
    Generator data_gen(1);
    for (int64_t i = 0; i < nb; ++i) {
      xs.push_back(randn({w.batch, 784}, kFloat32, data_gen));
      Tensor u = rand({w.batch}, kFloat32, data_gen);
      const float* up = u.data<float>();
      std::vector<int64_t> labels(static_cast<size_t>(w.batch));
      std::vector<float> onehot(static_cast<size_t>(w.batch * 10), 0.0f);
      for (int64_t j = 0; j < w.batch; ++j) {
        labels[j] = std::min<int64_t>(9, static_cast<int64_t>(up[j] * 10.0f));
        onehot[j * 10 + labels[j]] = 1.0f;
      }
      ys.push_back(Tensor::from_vector(labels, {w.batch}));
      onehots.push_back(Tensor::from_vector(onehot, {w.batch, 10}));
    }
  }

  Tensor loss_of(const Tensor& logits, size_t k) const {
    return loss == Loss::kCrossEntropy ? cross_entropy(logits, ys[k]) : mse_loss(sigmoid(logits), onehots[k]);
  }

  void step(size_t k) {
    opt->zero_grad();
    Tensor loss_t = loss_of((*net)(xs[k]), k);
    loss_t.backward();
    opt->step();
  }
};

void set_common_counters(benchmark::State& state, const Workload& w) {
  state.counters["threads"] = omp_get_max_threads();
  state.counters["samples_per_s"] = benchmark::Counter(static_cast<double>(w.batch), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_step(benchmark::State& state, Workload w) {
  Setup s(w);
  size_t k = 0;
  for (int i = 0; i < 5; ++i) s.step(k++ % s.xs.size());  // warm-up, as the twins
  for (auto _ : state) s.step(k++ % s.xs.size());
  set_common_counters(state, w);
}

void BM_step_breakdown(benchmark::State& state, Workload w) {
  using Clock = std::chrono::steady_clock;
  Setup s(w);
  size_t k = 0;
  for (int i = 0; i < 5; ++i) s.step(k++ % s.xs.size());
  double t_zero = 0, t_fwd = 0, t_bwd = 0, t_opt = 0, t_free = 0;
  auto ms = [](Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  for (auto _ : state) {
    const size_t kk = k++ % s.xs.size();
    const auto t0 = Clock::now();
    s.opt->zero_grad();
    const auto t1 = Clock::now();
    auto logits = std::make_unique<Tensor>((*s.net)(s.xs[kk]));
    auto loss = std::make_unique<Tensor>(s.loss_of(*logits, kk));
    const auto t2 = Clock::now();
    loss->backward();
    const auto t3 = Clock::now();
    s.opt->step();
    const auto t4 = Clock::now();
    loss.reset();
    logits.reset();
    const auto t5 = Clock::now();
    t_zero += ms(t0, t1);
    t_fwd += ms(t1, t2);
    t_bwd += ms(t2, t3);
    t_opt += ms(t3, t4);
    t_free += ms(t4, t5);
  }
  const auto avg = benchmark::Counter::kAvgIterations;
  state.counters["zero_grad_ms"] = benchmark::Counter(t_zero, avg);
  state.counters["fwd_ms"] = benchmark::Counter(t_fwd, avg);
  state.counters["bwd_ms"] = benchmark::Counter(t_bwd, avg);
  state.counters["opt_ms"] = benchmark::Counter(t_opt, avg);
  state.counters["free_ms"] = benchmark::Counter(t_free, avg);
  set_common_counters(state, w);
}

// One shuffled epoch of real Fashion-MNIST through the DataLoader (gather on its prefetch thread).
// Each iteration is one epoch; `epoch_med_ms` is the median epoch (the twin reports the median
// of its 3 epochs as epoch_s.med).
void BM_epoch(benchmark::State& state, Workload w) {
  using Clock = std::chrono::steady_clock;
  const char* dir_env = std::getenv("MOMENTA_FMNIST_DIR");
  const std::string dir = dir_env ? dir_env : "/usr/share/datasets/fashion-mnist";
  static std::unique_ptr<data::ImageDataset> ds;  // loaded once per process
  if (!ds) {
    try {
      ds = std::make_unique<data::ImageDataset>(data::load_mnist_like(dir, "fashion-mnist", true));
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      return;
    }
  }
  Generator gen(0);
  auto net = models::make_mlp({784, w.hidden, 10, w.act, 0.0}, gen);
  net->finalize();
  auto opt = optim::make_optimizer(w.rule, net->arena(), w.hp);
  data::DataLoader loader(*ds, {w.batch, true, false, 0, true});
  auto run_epoch = [&](int64_t epoch, int64_t max_batches) {
    loader.start_epoch(epoch);
    data::Batch b;
    for (int64_t i = 0; i < max_batches && loader.next(b); ++i) {
      opt->zero_grad();
      Tensor loss = cross_entropy((*net)(b.images), b.labels);
      loss.backward();
      opt->step();
    }
  };
  int64_t epoch = 0;
  run_epoch(epoch++, 50);  // warm-up: 50 steps (the twin's epochs follow its steady-state timing)
  std::vector<double> ms;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    run_epoch(epoch++, INT64_MAX);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  state.counters["epoch_med_ms"] = ms.empty() ? 0.0 : ms[ms.size() / 2];
  state.counters["threads"] = omp_get_max_threads();
}

const Workload kMlp30B200Ce = mlp30(200, Loss::kCrossEntropy);
const Workload kMlp30B200Mse = mlp30(200, Loss::kMseOneHot);
const Workload kMlp30FullCe = mlp30(kTrainSize, Loss::kCrossEntropy);
const Workload kMlp30FullMse = mlp30(kTrainSize, Loss::kMseOneHot);

}  // namespace

#define MLP_BENCH(fn, name, workload) \
  BENCHMARK_CAPTURE(fn, name, workload)->Unit(benchmark::kMillisecond)->UseRealTime()

MLP_BENCH(BM_step, mlp_784_256_256_10_relu_b128_adam, kMlp256Adam);
MLP_BENCH(BM_step, mlp_784_30_10_sigmoid_b200_ce_sgdm, kMlp30B200Ce);
MLP_BENCH(BM_step, mlp_784_30_10_sigmoid_b60000_ce_sgdm, kMlp30FullCe);
MLP_BENCH(BM_step, mlp_784_30_10_sigmoid_b200_mse_sgdm, kMlp30B200Mse);
MLP_BENCH(BM_step, mlp_784_30_10_sigmoid_b60000_mse_sgdm, kMlp30FullMse);

MLP_BENCH(BM_step_breakdown, mlp_784_256_256_10_relu_b128_adam, kMlp256Adam);
MLP_BENCH(BM_step_breakdown, mlp_784_30_10_sigmoid_b200_ce_sgdm, kMlp30B200Ce);
MLP_BENCH(BM_step_breakdown, mlp_784_30_10_sigmoid_b60000_ce_sgdm, kMlp30FullCe);

BENCHMARK_CAPTURE(BM_epoch, mlp_784_256_256_10_relu_b128_adam_epoch, kMlp256Adam)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);

BENCHMARK_MAIN();
