// One optimizer step over an 11,173,962-element float32 arena (CIFAR ResNet-18 size, the shape of
// bench/pytorch/optim_step.py --layout flat), with a STREAM-style triad measured in the same run.
// Counters: gbps = minimal streaming traffic / time; triad_fraction = gbps / triad GB/s.
// Minimal traffic per step, 4 bytes per element and array:
//   heavy_ball 5 arrays (read p, g, b; write p, b), adam/adamw 7 (read p, g, m, v; write p, m, v),
//   adai 8 (read p, g, m, v, beta1_prod; write p, m, beta1_prod; v is read and written in the
//   reduction pass: +2 there, counted), ecdsep 5 (read p, g, Pi; write p, Pi) although the rule
//   makes two to three passes (its global |Pi|^2 and bounce normalisation need them).
#include <benchmark/benchmark.h>
#include <omp.h>

#include <map>
#include <memory>
#include <string>

#include "momenta/nn/arena.h"
#include "momenta/optim/finite_check.h"
#include "momenta/optim/registry.h"
#include "momenta/random.h"

using namespace momenta;

namespace {

constexpr int64_t kParams = 11173962;


// a = b + s*c over three arrays of kParams floats.
void BM_triad(benchmark::State& state) {
  Tensor a = Tensor::zeros({kParams}), b = Tensor::ones({kParams}), c = Tensor::full({kParams}, 2.0);
  float* ap = a.data<float>();
  const float* bp = b.data<float>();
  const float* cp = c.data<float>();
  for (auto _ : state) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < kParams; ++i) ap[i] = bp[i] + 0.5f * cp[i];
    benchmark::ClobberMemory();
  }
  const double bytes = 3.0 * 4.0 * static_cast<double>(kParams);
  state.counters["gbps"] = benchmark::Counter(bytes * static_cast<double>(state.iterations()) / 1e9,
                                              benchmark::Counter::kIsRate);
}

struct Rule {
  const char* name;
  std::map<std::string, std::string> hp;
  double arrays;
};

// `watched`: the step as the Trainer takes it, under a FiniteWatch (NOTE [non-finite numbers] in
// optim/finite_check.h: every block of parameters and gradients checked right after its update).
void BM_optim(benchmark::State& state, const Rule& rule, bool watched) {
  Generator gen(1);
  Tensor p = randn({kParams}, kFloat32, gen);
  nn::ParamArena arena({{"w", p}}, kFloat32, kCPU);
  arena.grads().copy_(randn({kParams}, kFloat32, gen));
  auto opt = optim::make_optimizer(rule.name, arena, rule.hp);
  int64_t t = 0;
  opt->step({1.0, t++});  // state is created on the first step
  for (auto _ : state) {
    if (watched) {
      optim::FiniteWatch watch(arena);
      opt->step({1.0, t++});
      if (!watch.finite()) state.SkipWithError("non-finite");
    } else {
      opt->step({1.0, t++});
    }
    benchmark::ClobberMemory();
  }
  const double bytes = rule.arrays * 4.0 * static_cast<double>(kParams);
  state.counters["gbps"] = benchmark::Counter(bytes * static_cast<double>(state.iterations()) / 1e9,
                                              benchmark::Counter::kIsRate);
  state.counters["threads"] = omp_get_max_threads();
}

const Rule kHeavyBall{"heavy_ball", {{"lr", "0.01"}, {"momentum", "0.9"}}, 5};
const Rule kAdam{"adam", {{"lr", "0.001"}}, 7};
const Rule kAdamW{"adamw", {{"lr", "0.001"}, {"weight_decay", "0.01"}}, 7};
const Rule kAdai{"adai", {{"lr", "0.1"}}, 10};
const Rule kEcdsep{"ecdsep", {{"lr", "0.1"}, {"eta", "1"}}, 5};

}  // namespace

BENCHMARK(BM_triad)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_optim, heavy_ball, kHeavyBall, false)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_optim, heavy_ball/watched, kHeavyBall, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_optim, adam, kAdam, false)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_optim, adam/watched, kAdam, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_optim, adamw, kAdamW, false)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_optim, adamw/watched, kAdamW, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_optim, adai, kAdai, false)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_optim, adai/watched, kAdai, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_optim, ecdsep, kEcdsep, false)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_optim, ecdsep/watched, kEcdsep, true)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_MAIN();
