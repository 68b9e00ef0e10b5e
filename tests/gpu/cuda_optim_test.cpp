// The optimizer update rules and weight averagers on CUDA (src/optim/arena_cuda.h,
// src/backend/cuda/optim_cuda.cu): every rule of the registry and every averager runs the same
// small problem on a CPU arena and on a CUDA arena, and parameters, state, diagnostics and the
// evaluation weights must agree. The gradients are a fixed function of the parameters computed
// on the host, so the test needs no other CUDA kernel than the copies.
//
// Tolerances (float64): the elementwise rules run the same MOMENTA_HD arithmetic on both devices
// and agree to a few ulp (nvcc may contract a*b+c into an FMA); the rules with a global quantity
// (Adai's mean of v_hat, ECDSep's and BBI's |Pi|^2) sum in another order on the device, and the
// step feeds that round-off back for K steps: 1e-10 relative, 1e-12 absolute (rtol_for/atol_for).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gpu/gpu_test_util.h"
#include "momenta/nn/arena.h"
#include "momenta/optim/averager.h"
#include "momenta/optim/energy.h"
#include "momenta/optim/finite_check.h"
#include "momenta/optim/optimizer.h"
#include "momenta/optim/param_groups.h"
#include "momenta/optim/registry.h"

namespace momenta {
namespace {

using gpu_test::expect_close;
using gpu_test::kGpu;
using gpu_test::to_host;

constexpr int kSteps = 12;

// Three tensors of odd sizes (more than one block, one of a single element): 5,000 elements.
nn::ParamArena make_arena(DType dtype, Device device) {
  const std::vector<Shape> shapes = {{37, 101}, {1262}, {1}};
  std::vector<std::pair<std::string, Tensor>> params;
  int64_t offset = 0;
  for (size_t k = 0; k < shapes.size(); ++k) {
    const int64_t n = shape_numel(shapes[k]);
    std::vector<double> v(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i)
      v[static_cast<size_t>(i)] = std::sin(0.37 * static_cast<double>(offset + i) + 0.1) * 1.5;
    offset += n;
    Tensor t = Tensor::from_vector<double>(v, shapes[k]).to(dtype);
    t.set_requires_grad(true);
    params.emplace_back("w" + std::to_string(k), t);
  }
  return nn::ParamArena(params, dtype, device);
}

// g_i = k_i * p_i + 0.05*cos(i) with curvatures k_i in [0.5, 2.5]; the loss is
// 1 + sum 0.5*k_i*p_i^2 (> 0, for the energy rules). Computed on the host for either device.
double set_gradients(const nn::ParamArena& arena) {
  const Tensor p = arena.params().device().is_cpu() ? arena.params() : to_host(arena.params());
  const auto pv = p.to_vector<double>();
  std::vector<double> gv(pv.size());
  double loss = 1.0;
  for (size_t i = 0; i < pv.size(); ++i) {
    const double k = 1.5 + std::sin(0.013 * static_cast<double>(i));
    gv[i] = k * pv[i] + 0.05 * std::cos(static_cast<double>(i));
    loss += 0.5 * k * pv[i] * pv[i];
  }
  const Tensor g = Tensor::from_vector<double>(gv).to(arena.dtype());
  backend::copy(g, arena.grads());
  return loss;
}

// Values for the hyperparameters a rule requires; anything else keeps its default, and a few
// defaults are changed so that more branches run (decay, bounces within kSteps).
optim::HyperParams hyperparams_for(const std::vector<optim::HpSpec>& specs, const std::string& rule) {
  optim::HyperParams hp;
  for (const auto& s : specs) {
    if (s.name == "lr") hp["lr"] = {rule == "ecdsep" || rule == "ecdsep_f0tuning" || rule == "bbi" ? 0.05 : 0.01};
    else if (s.name == "eta") hp["eta"] = {3.0};  // odd: F0 tuning needs it
    else if (s.name == "sigma") hp["sigma"] = {1.5};
    else if (s.name == "weight_decay") hp["weight_decay"] = {1e-2};
    else if (s.name == "threshold0") hp["threshold0"] = {5.0};  // BBI: a fixed bounce within kSteps
    else if (s.name == "seed") hp["seed"] = {1234.0};
    else if (!s.default_value)
      ADD_FAILURE() << rule << ": the test has no value for required hyperparameter " << s.name;
  }
  return hp;
}

std::map<std::string, Tensor> host_state(const std::vector<std::pair<std::string, Tensor>>& state) {
  std::map<std::string, Tensor> out;
  for (const auto& [k, t] : state) out[k] = t.device().is_cpu() ? t : to_host(t);
  return out;
}

void expect_same_state(const std::vector<std::pair<std::string, Tensor>>& cuda_state,
                       const std::vector<std::pair<std::string, Tensor>>& cpu_state, double rtol, double atol,
                       const std::string& what) {
  const auto got = host_state(cuda_state), want = host_state(cpu_state);
  ASSERT_EQ(got.size(), want.size()) << what << ": state entries";
  for (const auto& [k, t] : want) {
    auto it = got.find(k);
    ASSERT_NE(it, got.end()) << what << ": CUDA state lacks " << k;
    expect_close(it->second, t, rtol, atol, what + " state " + k);
  }
}

void expect_same_diagnostics(const std::map<std::string, double>& got, const std::map<std::string, double>& want,
                             double rtol, double atol, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what << ": diagnostics";
  for (const auto& [k, v] : want) {
    auto it = got.find(k);
    ASSERT_NE(it, got.end()) << what << ": CUDA diagnostics lack " << k;
    EXPECT_NEAR(it->second, v, atol + rtol * std::abs(v)) << what << " diagnostic " << k;
  }
}

// The optimizer keeps a pointer to its arena: the arena lives on the heap, at a fixed address.
struct RuleRun {
  std::unique_ptr<nn::ParamArena> arena;
  std::unique_ptr<optim::Optimizer> opt;
  std::unique_ptr<optim::Averager> avg;
};

// kSteps of the training-loop protocol (NOTE [averager protocol]) for one device.
RuleRun run_rule(const std::string& rule, const optim::HyperParams& hp, const std::string& averager,
                 const optim::HyperParams& avg_hp, DType dtype, Device device,
                 const std::vector<optim::GroupRule>& groups = {}) {
  RuleRun r{std::make_unique<nn::ParamArena>(make_arena(dtype, device)), nullptr, nullptr};
  r.opt = optim::make_optimizer(rule, *r.arena, hp);
  if (!groups.empty()) r.opt->set_groups(optim::make_param_groups(*r.arena, groups));
  if (!averager.empty()) r.avg = optim::make_averager(averager, *r.arena, avg_hp);
  for (int t = 0; t < kSteps; ++t) {
    const double loss = set_gradients(*r.arena);
    if (r.avg) r.avg->before_step();
    r.opt->step(optim::StepInfo{loss, t});
    if (r.avg) r.avg->step(optim::StepInfo{loss, t});
  }
  return r;
}

void compare_runs(const RuleRun& gpu, const RuleRun& cpu, DType dtype, const std::string& what) {
  const double rtol = gpu_test::rtol_for(dtype), atol = gpu_test::atol_for(dtype);
  expect_close(to_host(gpu.arena->params()), cpu.arena->params(), rtol, atol, what + " parameters");
  expect_same_state(gpu.opt->state(), cpu.opt->state(), rtol, atol, what);
  expect_same_diagnostics(gpu.opt->diagnostics(), cpu.opt->diagnostics(), rtol, atol, what);
  expect_close(to_host(gpu.opt->eval_weights()), cpu.opt->eval_weights(), rtol, atol, what + " eval_weights");
  if (gpu.avg) {
    expect_close(to_host(gpu.avg->averaged()), cpu.avg->averaged(), rtol, atol, what + " averaged weights");
    expect_same_state(gpu.avg->state(), cpu.avg->state(), rtol, atol, what + " averager");
    expect_same_diagnostics(gpu.avg->diagnostics(), cpu.avg->diagnostics(), rtol, atol, what + " averager");
  }
}

TEST(CudaOptim, EveryRegisteredRuleMatchesTheCpu) {
  MOMENTA_REQUIRE_GPU();
  const auto names = optim::optimizer_names();
  ASSERT_FALSE(names.empty());
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    const optim::HyperParams hp = hyperparams_for(optim::optimizer_info(name).hyperparams, name);
    const RuleRun cpu = run_rule(name, hp, "", {}, kFloat64, kCPU);
    RuleRun gpu;
    try {
      gpu = run_rule(name, hp, "", {}, kFloat64, kGpu);
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << " on CUDA: " << e.what();
      continue;
    }
    compare_runs(gpu, cpu, kFloat64, name);
    // The problem exercises the energy rules' branches: steps taken, a BBI bounce made.
    if (name == "ecdsep" || name == "ecdsep_f0tuning") {
      EXPECT_EQ(cpu.opt->diagnostics().at("ecdsep_updated"), 1.0);
    }
    if (name == "bbi") {
      EXPECT_GE(host_state(cpu.opt->state()).at("scalar.bounces").item(), 1.0);
    }
    if (name == "ecdsep" || name == "ecdsep_f0tuning")
      expect_close(to_host(optim::ecdsep_momentum(*gpu.opt)), optim::ecdsep_momentum(*cpu.opt), 1e-10, 1e-12,
                   name + " momentum");
    if (name == "bbi")
      expect_close(to_host(optim::bbi_momentum(*gpu.opt)), optim::bbi_momentum(*cpu.opt), 1e-10, 1e-12,
                   name + " momentum");
  }
}

// Parameter groups: each group is a sub-range [begin, end) of the arena that the functors index
// with absolute arena indices. The groups here start at 0, at 3737 (not a multiple of 4 or of a
// block) and at 4999 (a range of one element), each with its own learning rate, so a launcher
// that indexed from the range's start, or a group that ran with another group's scalars, differs
// from the CPU. ECDSep and BBI keep one whole-arena group (they refuse per-group values).
TEST(CudaOptim, ParameterGroupsMatchTheCpu) {
  MOMENTA_REQUIRE_GPU();
  for (const auto& name : optim::optimizer_names()) {
    SCOPED_TRACE(name);
    const optim::HyperParams hp = hyperparams_for(optim::optimizer_info(name).hyperparams, name);
    {
      nn::ParamArena probe_arena = make_arena(kFloat64, kCPU);
      if (!optim::make_optimizer(name, probe_arena, hp)->supports_group_hyperparams()) continue;
    }
    const double lr = hp.at("lr").at(0);
    const std::vector<optim::GroupRule> groups = {{"middle", "w1", {{"lr", {0.5 * lr}}}},
                                                  {"single", "w2", {{"lr", {2.0 * lr}}}}};
    const RuleRun cpu = run_rule(name, hp, "", {}, kFloat64, kCPU, groups);
    ASSERT_EQ(cpu.opt->groups().size(), 3u);
    EXPECT_EQ(cpu.opt->groups()[1].begin, 37 * 101);
    EXPECT_EQ(cpu.opt->groups()[2].end - cpu.opt->groups()[2].begin, 1);
    RuleRun gpu;
    try {
      gpu = run_rule(name, hp, "", {}, kFloat64, kGpu, groups);
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << " with parameter groups on CUDA: " << e.what();
      continue;
    }
    compare_runs(gpu, cpu, kFloat64, name + " (3 groups)");
  }
}

TEST(CudaOptim, FloatRulesMatchTheCpu) {
  MOMENTA_REQUIRE_GPU();
  for (const std::string name : {"heavy_ball", "adamw", "amsgrad", "adai"}) {
    SCOPED_TRACE(name);
    const optim::HyperParams hp = hyperparams_for(optim::optimizer_info(name).hyperparams, name);
    const RuleRun cpu = run_rule(name, hp, "", {}, kFloat32, kCPU);
    const RuleRun gpu = run_rule(name, hp, "", {}, kFloat32, kGpu);
    compare_runs(gpu, cpu, kFloat32, name + " float32");
  }
}

TEST(CudaOptim, EveryAveragerMatchesTheCpu) {
  MOMENTA_REQUIRE_GPU();
  const optim::HyperParams base = hyperparams_for(optim::optimizer_info("heavy_ball").hyperparams, "heavy_ball");
  std::vector<std::pair<std::string, optim::HyperParams>> cases;
  for (const auto& name : optim::averager_names()) cases.emplace_back(name, optim::HyperParams{});
  cases.emplace_back("belay", optim::HyperParams{{"c1", {3.0}}, {"c2", {5.0}}});  // the damped form
  cases.emplace_back("swa", optim::HyperParams{{"swa_start", {3.0}}, {"swa_freq", {2.0}}});
  ASSERT_GE(cases.size(), 5u);
  for (const auto& [name, hp] : cases) {
    SCOPED_TRACE(name);
    const RuleRun cpu = run_rule("heavy_ball", base, name, hp, kFloat64, kCPU);
    const RuleRun gpu = run_rule("heavy_ball", base, name, hp, kFloat64, kGpu);
    compare_runs(gpu, cpu, kFloat64, "heavy_ball + " + name);
  }
}

// The device reductions repeat bit for bit (DESIGN principle 6).
TEST(CudaOptim, ReductionRulesAreDeterministic) {
  MOMENTA_REQUIRE_GPU();
  for (const std::string name : {"adai", "ecdsep", "bbi"}) {
    SCOPED_TRACE(name);
    const optim::HyperParams hp = hyperparams_for(optim::optimizer_info(name).hyperparams, name);
    const RuleRun a = run_rule(name, hp, "", {}, kFloat64, kGpu);
    const RuleRun b = run_rule(name, hp, "", {}, kFloat64, kGpu);
    gpu_test::expect_equal(to_host(a.arena->params()), to_host(b.arena->params()), name + " repeated run");
    EXPECT_EQ(a.opt->diagnostics(), b.opt->diagnostics()) << name;
  }
}

// FiniteWatch on a CUDA arena: a clean step is covered and finite; a NaN gradient trips it, and
// the report names the tensor and element.
TEST(CudaOptim, FiniteWatchTripsOnCuda) {
  MOMENTA_REQUIRE_GPU();
  for (const auto& [name, dtype] : std::vector<std::pair<std::string, DType>>{
           {"adam", kFloat64}, {"adai", kFloat64}, {"adam", kFloat32}, {"bbi", kFloat32}}) {
    SCOPED_TRACE(name + " " + dtype_name(dtype));
    const optim::HyperParams hp = hyperparams_for(optim::optimizer_info(name).hyperparams, name);
    nn::ParamArena arena = make_arena(dtype, kGpu);
    auto opt = optim::make_optimizer(name, arena, hp);
    const double loss = set_gradients(arena);
    {
      optim::FiniteWatch watch(arena);
      opt->step(optim::StepInfo{loss, 0});
      EXPECT_TRUE(watch.covered());
      EXPECT_TRUE(watch.finite());
    }
    EXPECT_TRUE(optim::arena_is_finite(arena));
    set_gradients(arena);
    // A NaN in the gradient of w1 (arena element 37*101 + 5).
    Tensor g = to_host(arena.grads());
    if (dtype == kFloat64) {
      g.data<double>()[37 * 101 + 5] = std::nan("");
    } else {
      g.data<float>()[37 * 101 + 5] = std::nanf("");
    }
    backend::copy(g, arena.grads());
    {
      optim::FiniteWatch watch(arena);
      opt->step(optim::StepInfo{loss, 1});
      EXPECT_FALSE(watch.finite());
    }
    EXPECT_FALSE(optim::arena_is_finite(arena));
    const std::string report = optim::describe_non_finite(arena);
    EXPECT_NE(report.find("gradient of 'w1'"), std::string::npos) << report;
    EXPECT_NE(report.find("element 5 of 1262"), std::string::npos) << report;
  }
}

}  // namespace
}  // namespace momenta
