// One ResNet training step (zero_grad, forward, cross-entropy, backward, SGD-momentum step) with
// the shapes and settings of the PyTorch twin bench/pytorch/resnet_cifar.py: random 3x32x32
// input, batch 128, random labels, lr 0.1, momentum 0.9, weight decay 5e-4 (heavy_ball is
// torch.optim.SGD(momentum)). Time is wall-clock per step (UseRealTime), in ms.
//
// BM_conv_share replays every convolution of the same step on its own (forward, then backward
// for input and weight, same shapes, same algorithm) and reports conv_ms beside step_ms and
// their ratio conv_share: the part of a step that the convolution kernels take.
// The /im2col variants force the reference im2col + GEMM path, for comparison; the /plain ones
// keep NCHW between layers (every oneDNN convolution then reorders its operands in and out),
// which is what the default, channel-blocked network (models/resnet.h) saves.
//
// Threads: OpenMP honours OMP_NUM_THREADS (default: all cores); the `threads` counter shows it.
// Run: build/bench/conv_step [--benchmark_filter=resnet20] [--benchmark_repetitions=5]
#include <benchmark/benchmark.h>
#include <omp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "models/resnet.h"
#include "momenta/autograd.h"
#include "momenta/ops.h"
#include "momenta/optim/registry.h"

using namespace momenta;

namespace {

constexpr int64_t kBatch = 128;

struct Workload {
  std::string arch;
  ConvAlgorithm algo;
  bool blocked = true;
};

// Sets every convolution of the network to `algo`.
void set_algorithm(models::ResNet& net, ConvAlgorithm algo) {
  net.stem->options.algorithm = algo;
  for (size_t i = 0; i < net.blocks->size(); ++i) {
    auto& b = dynamic_cast<nn::BasicBlock&>((*net.blocks)[i]);
    b.conv1->options.algorithm = algo;
    b.conv2->options.algorithm = algo;
    if (b.proj) b.proj->options.algorithm = algo;
  }
}

// One convolution of the network: its module and the input size it sees.
struct ConvSite {
  nn::Conv2d* conv;
  int64_t h, w;
};
std::vector<ConvSite> conv_sites(models::ResNet& net, int64_t h, int64_t w) {
  std::vector<ConvSite> out{{net.stem.get(), h, w}};
  for (size_t i = 0; i < net.blocks->size(); ++i) {
    auto& b = dynamic_cast<nn::BasicBlock&>((*net.blocks)[i]);
    out.push_back({b.conv1.get(), h, w});
    if (b.proj) out.push_back({b.proj.get(), h, w});
    h = (h - 1) / b.stride + 1, w = (w - 1) / b.stride + 1;
    out.push_back({b.conv2.get(), h, w});
  }
  return out;
}

struct Setup {
  std::shared_ptr<models::ResNet> net;
  std::unique_ptr<optim::Optimizer> opt;
  Tensor x, y;

  explicit Setup(const Workload& wl) {
    Generator gen(0);
    net = models::make_resnet(wl.arch, 3, 10, gen);
    set_algorithm(*net, wl.algo);
    net->blocked = wl.blocked;
    net->finalize();
    opt = optim::make_optimizer("heavy_ball", net->arena(),
                                {{"lr", "0.1"}, {"momentum", "0.9"}, {"weight_decay", "5e-4"}});
    Generator data_gen(1);
    x = randn({kBatch, 3, 32, 32}, kFloat32, data_gen);
    std::vector<int64_t> labels;
    const auto u = rand({kBatch}, kFloat32, data_gen).to_vector<float>();
    for (float v : u) labels.push_back(std::min<int64_t>(9, static_cast<int64_t>(v * 10.0f)));
    y = Tensor::from_vector(labels, {kBatch});
  }

  void step() {
    opt->zero_grad();
    Tensor loss = cross_entropy((*net)(x), y);
    loss.backward();
    opt->step({loss.item(), 0});
  }
};

void counters(benchmark::State& state) {
  state.counters["threads"] = omp_get_max_threads();
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(kBatch), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_step(benchmark::State& state, Workload wl) {
  Setup s(wl);
  for (int i = 0; i < 2; ++i) s.step();  // warm-up, as the twin
  for (auto _ : state) s.step();
  counters(state);
}

void BM_conv_share(benchmark::State& state, Workload wl) {
  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  Setup s(wl);
  const auto sites = conv_sites(*s.net, 32, 32);
  // Each convolution in the layouts the network gives it: blocked after the stem when it runs
  // blocked (ResNet::forward), plain otherwise.
  const int64_t lanes = wl.blocked ? preferred_channel_block(kCPU, kFloat32) : 0;
  Generator gen(2);
  std::vector<Tensor> xs, gys;
  std::vector<Conv2dOptions> opts;
  for (const ConvSite& c : sites) {
    Tensor x = randn({kBatch, c.conv->in_channels, c.h, c.w}, kFloat32, gen);
    opts.push_back(c.conv->options);
    if (lanes > 0) {
      if (c.conv != sites.front().conv) x = to_blocked(x, lanes);
      opts.back().out_block = lanes;
    }
    xs.push_back(x.set_requires_grad(true));
    NoGradGuard ng;
    gys.push_back(randn(conv2d(xs.back(), c.conv->weight.detach(), Tensor(), opts.back()).shape(), kFloat32, gen));
  }
  auto replay = [&] {
    for (size_t i = 0; i < sites.size(); ++i) {
      Tensor out = conv2d(xs[i], sites[i].conv->weight, Tensor(), opts[i]);
      out.backward(gys[i]);
    }
  };
  for (int i = 0; i < 2; ++i) {
    s.step();
    replay();
  }
  double t_step = 0, t_conv = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    s.step();
    const auto t1 = Clock::now();
    s.opt->zero_grad();
    for (auto& t : xs) t.set_grad(Tensor());
    const auto t2 = Clock::now();
    replay();
    const auto t3 = Clock::now();
    t_step += ms(t0, t1);
    t_conv += ms(t2, t3);
  }
  const auto avg = benchmark::Counter::kAvgIterations;
  state.counters["step_ms"] = benchmark::Counter(t_step, avg);
  state.counters["conv_ms"] = benchmark::Counter(t_conv, avg);
  state.counters["conv_share"] = t_step > 0 ? t_conv / t_step : 0.0;
  state.counters["threads"] = omp_get_max_threads();
}

}  // namespace

#define CONV_BENCH(fn, name, workload) \
  BENCHMARK_CAPTURE(fn, name, workload)->Unit(benchmark::kMillisecond)->UseRealTime()

CONV_BENCH(BM_step, resnet20_cifar_b128_sgdm, (Workload{"resnet20", ConvAlgorithm::kAuto}));
CONV_BENCH(BM_step, resnet20_cifar_b128_sgdm/plain, (Workload{"resnet20", ConvAlgorithm::kAuto, false}));
CONV_BENCH(BM_step, resnet20_cifar_b128_sgdm/im2col, (Workload{"resnet20", ConvAlgorithm::kIm2col, false}));
CONV_BENCH(BM_conv_share, resnet20_cifar_b128_sgdm, (Workload{"resnet20", ConvAlgorithm::kAuto}));
CONV_BENCH(BM_conv_share, resnet20_cifar_b128_sgdm/plain, (Workload{"resnet20", ConvAlgorithm::kAuto, false}));
CONV_BENCH(BM_conv_share, resnet20_cifar_b128_sgdm/im2col, (Workload{"resnet20", ConvAlgorithm::kIm2col, false}));
CONV_BENCH(BM_step, resnet18_cifar_b128_sgdm, (Workload{"resnet18", ConvAlgorithm::kAuto}))->Iterations(3);
CONV_BENCH(BM_conv_share, resnet18_cifar_b128_sgdm, (Workload{"resnet18", ConvAlgorithm::kAuto}))->Iterations(2);

BENCHMARK_MAIN();
