// The score U-Net of the PyTorch twin bench/pytorch/diffusion_unet.py (models::unet_config("twin"):
// 1x28x28, widths 32-64-128, 1,757,409 parameters), trained and sampled the way momenta's users
// do it (momenta train --model unet --unet twin --objective dsm --sde ve-power; momenta sample
// --sampler em):
//
// - BM_train: one training step at batch 128 as the Trainer runs it: zero_grad, the denoising
//   score-matching loss of models::DsmObjective on the PowerVeSde (sigma = 25, the twin's VE SDE
//   of Song's 2021 tutorial; t_min 1e-5 as the twin's dsm_loss), loss.item(), backward, Adam
//   (lr 1e-3, torch.optim.Adam's rule). Images are random uniforms on [0, 1] in 8 fixed batches
//   (the cost does not depend on the pixels; the twin cycles through Fashion-MNIST in memory).
//   3 warm-up steps, as the twin. Wall-clock ms per step (UseRealTime).
// - BM_sample: 64 samples x 100 reverse Euler-Maruyama steps (diffusion::sample, kEulerMaruyama,
//   t_end 1e-3, the last step without noise: the twin's `sample`), gradient recording off. One
//   iteration is the whole run, after a 3-step warm-up run; ms per run.
// - BM_train_share: the training step split into phases (counters in ms per step: fwd = loss
//   forward, bwd = backward, opt = Adam step, zero_grad), then every convolution of the step
//   replayed on its own, with the same shapes, layouts (those the U-Net runs: channel-blocked
//   activations where models::UNet::lanes_for gives lanes, NCHW input and output) and
//   algorithm: forward, then backward for input, weight and bias (conv_ms, conv_fwd_ms), and
//   conv_share = conv_ms / step_ms, the part of a step that the convolution kernels take.
// - BM_sample_share: one score evaluation of the sampler at batch 64 (eval_ms) against the forward
//   replay of its convolutions (conv_ms); conv_share = conv_ms / eval_ms; conv_ms_per_run =
//   conv_ms x 100, the convolution time of one BM_sample run (one evaluation per step).
// Both share benchmarks report conv_gflops, the replay's floating-point operations (a
// multiply-add counts 2) per second: set beside the FMA probe of bench/compare_common.sh, it says
// how near the convolutions run to the machine's peak, and so what faster kernels could still win.
//
// Threads: OpenMP honours OMP_NUM_THREADS (default: all cores); the `threads` counter shows it.
// Run: build/bench/diffusion_step [--benchmark_filter=BM_train] [--benchmark_repetitions=5]
// The interleaved race against the twin: bench/compare_diffusion.sh.
#include <benchmark/benchmark.h>
#include <omp.h>

#include <chrono>
#include <cmath>
#include <memory>
#include <vector>

#include "models/score_model.h"
#include "models/unet.h"
#include "momenta/autograd.h"
#include "momenta/data/loader.h"
#include "momenta/diffusion/noise_process.h"
#include "momenta/diffusion/samplers.h"
#include "momenta/ops.h"
#include "momenta/optim/registry.h"
#include "momenta/random.h"

using namespace momenta;

namespace {

constexpr int64_t kBatch = 128;
constexpr int64_t kBatches = 8;
constexpr int64_t kSamples = 64;
constexpr int64_t kSampleSteps = 100;
constexpr double kSigma = 25.0;   // the twin's SIGMA
constexpr double kTrainTMin = 1e-5;  // the twin's dsm_loss eps
constexpr double kSampleTEnd = 1e-3;  // the twin's sample eps

using Clock = std::chrono::steady_clock;
double ms(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

struct Setup {
  std::shared_ptr<models::UNet> net;
  std::unique_ptr<optim::Optimizer> opt;
  std::shared_ptr<const diffusion::NoiseProcess> process = std::make_shared<diffusion::PowerVeSde>(kSigma);
  models::DsmObjective objective{process, diffusion::DsmOptions{kTrainTMin, 0}};
  std::vector<data::Batch> batches;
  int64_t step_ = 0;

  Setup() {
    Generator gen(0);
    net = models::make_unet("twin", 1, 28, gen);
    net->finalize();
    opt = optim::make_optimizer("adam", net->arena(), {{"lr", "1e-3"}});
    Generator data_gen(1);
    for (int64_t i = 0; i < kBatches; ++i) batches.push_back({rand({kBatch, 1, 28, 28}, kFloat32, data_gen), {}, i});
  }

  // The Trainer's step (src/train/trainer.cpp), its phases timed into t[0..3] when given:
  // zero_grad, forward (loss), backward, optimizer.
  void step(double* t = nullptr) {
    const auto t0 = Clock::now();
    opt->zero_grad();
    const auto t1 = Clock::now();
    Generator gen(7);
    gen.set_state(7, static_cast<uint64_t>(step_) << 32);
    Tensor loss = objective.loss(*net, batches[static_cast<size_t>(step_ % kBatches)], gen);
    const double lv = loss.item();
    const auto t2 = Clock::now();
    loss.backward();
    const auto t3 = Clock::now();
    opt->step({lv, step_});
    const auto t4 = Clock::now();
    ++step_;
    if (t != nullptr) t[0] += ms(t0, t1), t[1] += ms(t1, t2), t[2] += ms(t2, t3), t[3] += ms(t3, t4);
  }

  Tensor sample(int64_t steps) {
    diffusion::SamplerOptions o;
    o.kind = diffusion::SamplerKind::kEulerMaruyama;
    o.steps = steps;
    o.t_end = kSampleTEnd;
    o.seed = 3;
    return diffusion::sample(models::unet_score(*net, *process), *process, kSamples, {1, 28, 28}, o);
  }
};

// One convolution of the U-Net: its module and the size of the image it sees.
struct ConvSite {
  nn::Conv2d* conv;
  int64_t hw;
};

// In the order UNet::forward runs them (models/unet.cpp).
std::vector<ConvSite> conv_sites(models::UNet& net) {
  int64_t hw = net.config().image_size;
  std::vector<ConvSite> out{{net.stem.get(), hw}};
  auto block = [&](const models::UNetResBlock& b) {
    out.push_back({b.conv1.get(), hw});
    out.push_back({b.conv2.get(), hw});
    if (b.skip) out.push_back({b.skip.get(), hw});
  };
  for (size_t l = 0; l < net.encoder.size(); ++l) {
    for (auto& b : net.encoder[l]) block(*b);
    if (net.down[l]) {
      out.push_back({net.down[l].get(), hw});
      hw /= 2;
    }
  }
  block(*net.mid);
  for (size_t l = net.decoder.size(); l-- > 0;) {
    for (auto& b : net.decoder[l]) block(*b);
    if (net.up[l]) {
      hw *= 2;
      out.push_back({net.up[l].get(), hw});
    }
  }
  out.push_back({net.out_conv.get(), hw});
  return out;
}

// Every convolution of the network on random inputs of batch n, with upstream gradients of its
// output's shape; run() replays them (forward only under NoGradGuard when !backward).
struct ConvReplay {
  std::vector<ConvSite> sites;
  std::vector<Tensor> xs, gys;
  bool backward;

  ConvReplay(models::UNet& net, int64_t n, bool backward_) : sites(conv_sites(net)), backward(backward_) {
    Generator gen(2);
    const int64_t lanes = net.lanes_for(Tensor::empty({1, 1, 1, 1}, kFloat32));
    for (const ConvSite& c : sites) {
      const bool stem = c.conv == net.stem.get(), out = c.conv == net.out_conv.get();
      Tensor x = randn({n, c.conv->in_channels, c.hw, c.hw}, kFloat32, gen);
      if (lanes > 0 && !stem) x = to_blocked(x, lanes);  // not recorded: x is a leaf
      // The stem's input is the noisy batch, which needs no gradient: no backward-data there.
      xs.push_back(backward && !stem ? x.set_requires_grad(true) : x);
      out_blocks.push_back(lanes > 0 && !out ? lanes : 0);
      NoGradGuard ng;
      gys.push_back(randn(c.conv->forward(x, out_blocks.back()).shape(), kFloat32, gen));
    }
  }
  std::vector<int64_t> out_blocks;  // the output layout of each site, as the U-Net runs it
  // The replay's backward accumulates into the network's gradient arena: zero it, and the
  // inputs' gradients, before the next step.
  void clear_grads(optim::Optimizer& opt) {
    opt.zero_grad();
    if (backward)
      for (auto& x : xs)
        if (x.requires_grad()) x.set_grad(Tensor());
  }
  // Floating-point operations of one replay (a multiply-add counts 2): per site the forward's
  // multiply-adds (output elements x in_channels x kernel^2), and with backward the same again for
  // the weight gradient and for the data gradient where the input needs one (not the stem's).
  double flops() const {
    double total = 0;
    for (size_t i = 0; i < sites.size(); ++i) {
      const nn::Conv2d& c = *sites[i].conv;
      const double macs = static_cast<double>(gys[i].numel() * c.in_channels * c.kernel * c.kernel);
      total += 2 * macs * (backward ? (xs[i].requires_grad() ? 3 : 2) : 1);
    }
    return total;
  }
  // GFLOP/s of `iterations` replays that took conv_ms milliseconds in all.
  double gflops(double conv_ms, int64_t iterations) const {
    return conv_ms > 0 ? flops() * static_cast<double>(iterations) / conv_ms / 1e6 : 0.0;
  }
  // Forward of every site (conv_fwd_ms), then the backward of each (the rest of conv_ms).
  void run(double& fwd, double& total) {
    const auto t0 = Clock::now();
    std::vector<Tensor> outs;
    {
      std::unique_ptr<NoGradGuard> ng = backward ? nullptr : std::make_unique<NoGradGuard>();
      for (size_t i = 0; i < sites.size(); ++i) outs.push_back(sites[i].conv->forward(xs[i], out_blocks[i]));
    }
    const auto t1 = Clock::now();
    if (backward)
      for (size_t i = 0; i < sites.size(); ++i) outs[i].backward(gys[i]);
    outs.clear();
    const auto t2 = Clock::now();
    fwd += ms(t0, t1), total += ms(t0, t2);
  }
};

void BM_train(benchmark::State& state) {
  Setup s;
  for (int i = 0; i < 3; ++i) s.step();  // warm-up, as the twin
  for (auto _ : state) s.step();
  state.counters["threads"] = omp_get_max_threads();
  state.counters["params"] = static_cast<double>(s.net->num_parameters());
  state.counters["samples_per_s"] =
      benchmark::Counter(static_cast<double>(kBatch), benchmark::Counter::kIsIterationInvariantRate);
}

void BM_sample(benchmark::State& state) {
  Setup s;
  s.sample(3);  // warm-up, as the twin
  bool finite = true;
  double total = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    Tensor x = s.sample(kSampleSteps);
    total += ms(t0, Clock::now());
    for (float v : x.to_vector<float>()) finite = finite && std::isfinite(v);
  }
  state.counters["threads"] = omp_get_max_threads();
  state.counters["ms_per_reverse_step"] =
      benchmark::Counter(total / static_cast<double>(kSampleSteps), benchmark::Counter::kAvgIterations);
  state.counters["finite"] = finite ? 1 : 0;
}

void BM_train_share(benchmark::State& state) {
  Setup s;
  ConvReplay replay(*s.net, kBatch, true);
  double phases[4] = {0, 0, 0, 0}, conv_fwd = 0, conv = 0, step = 0;
  for (int i = 0; i < 3; ++i) {
    s.step();
    double a = 0, b = 0;
    replay.run(a, b);
    replay.clear_grads(*s.opt);
  }
  for (auto _ : state) {
    const auto t0 = Clock::now();
    s.step(phases);
    step += ms(t0, Clock::now());
    replay.clear_grads(*s.opt);
    replay.run(conv_fwd, conv);
    replay.clear_grads(*s.opt);
  }
  const auto avg = benchmark::Counter::kAvgIterations;
  state.counters["step_ms"] = benchmark::Counter(step, avg);
  state.counters["zero_grad_ms"] = benchmark::Counter(phases[0], avg);
  state.counters["fwd_ms"] = benchmark::Counter(phases[1], avg);
  state.counters["bwd_ms"] = benchmark::Counter(phases[2], avg);
  state.counters["opt_ms"] = benchmark::Counter(phases[3], avg);
  state.counters["conv_ms"] = benchmark::Counter(conv, avg);
  state.counters["conv_fwd_ms"] = benchmark::Counter(conv_fwd, avg);
  state.counters["conv_share"] = step > 0 ? conv / step : 0.0;
  state.counters["conv_gflops"] = replay.gflops(conv, state.iterations());
  state.counters["threads"] = omp_get_max_threads();
}

void BM_sample_share(benchmark::State& state) {
  Setup s;
  const auto score = models::unet_score(*s.net, *s.process);
  ConvReplay replay(*s.net, kSamples, false);
  Generator gen(4);
  const Tensor x = randn({kSamples, 1, 28, 28}, kFloat32, gen);
  const Tensor t = Tensor::full(Shape{kSamples}, 0.5, kFloat32);
  double eval = 0, conv_fwd = 0, conv = 0;
  auto evaluate = [&] {
    NoGradGuard ng;
    return score(x, t);
  };
  for (int i = 0; i < 3; ++i) {
    evaluate();
    replay.run(conv_fwd, conv);
  }
  conv_fwd = conv = 0;
  for (auto _ : state) {
    const auto t0 = Clock::now();
    benchmark::DoNotOptimize(evaluate());
    eval += ms(t0, Clock::now());
    replay.run(conv_fwd, conv);
  }
  const auto avg = benchmark::Counter::kAvgIterations;
  state.counters["eval_ms"] = benchmark::Counter(eval, avg);
  state.counters["conv_ms"] = benchmark::Counter(conv, avg);
  state.counters["conv_share"] = eval > 0 ? conv / eval : 0.0;
  state.counters["conv_gflops"] = replay.gflops(conv, state.iterations());
  // A sampling run of BM_sample evaluates the score once per step: its convolutions take this long.
  state.counters["conv_ms_per_run"] = benchmark::Counter(conv * static_cast<double>(kSampleSteps), avg);
  state.counters["threads"] = omp_get_max_threads();
}

}  // namespace

BENCHMARK(BM_train)->Name("BM_train/unet_twin_b128_dsm_adam")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_sample)
    ->Name("BM_sample/unet_twin_64x100_em")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_train_share)
    ->Name("BM_train_share/unet_twin_b128_dsm_adam")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(3);
BENCHMARK(BM_sample_share)
    ->Name("BM_sample_share/unet_twin_64")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(20);

BENCHMARK_MAIN();
