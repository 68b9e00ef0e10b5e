// Golden trajectories of the rules with a global reduction (Adai, AdaiW, AdaiS) and of the
// energy-conserving rules (ECDSep, ECDSep-F0-tuning, BBI), OPTIMIZERS.md Sections 13-16,
// against tests/golden/<stem>.json. One parameterised test per case:
// GoldenEnergy/GoldenEnergyTrajectory.Matches/ecdsep_mlp. The extras are compared too:
// extra.p2 (|Pi|^2 after each recorded step) and, for F0 tuning, the per-call f0_shift and
// updated. Edge cases of the same rules that the golden files do not reach follow.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include "momenta/autograd.h"
#include "momenta/optim/energy.h"
#include "momenta/optim/registry.h"
#include "optim/golden_harness.h"

namespace momenta::golden {
namespace {

const std::vector<std::string>& energy_files() {
  static const std::vector<std::string> files = {"adai", "adaiw", "adais", "ecdsep", "ecdsep_f0tuning", "bbi"};
  return files;
}

double scalar(const optim::Optimizer& opt, const std::string& key) { return opt.scalar_state().at(key); }
double diag(const optim::Optimizer& opt, const std::string& key) { return opt.diagnostics().at(key); }

RunOptions energy_run_options(const GoldenCase& c) {
  RunOptions o;
  if (c.optimizer == "ecdsep" || c.optimizer == "ecdsep_f0tuning") {
    o.extras["p2"] = [](const optim::Optimizer& opt, const Problem&) { return std::vector<double>{scalar(opt, "P2")}; };
  }
  if (c.optimizer == "ecdsep_f0tuning") {
    o.per_call_extras["f0_shift"] = [](const optim::Optimizer& opt, const Problem&) {
      return std::vector<double>{scalar(opt, "dF0")};
    };
    o.per_call_extras["updated"] = [](const optim::Optimizer& opt, const Problem&) {
      return std::vector<double>{diag(opt, "ecdsep_updated")};
    };
  }
  if (c.optimizer == "bbi") {
    o.extras["p2"] = [](const optim::Optimizer& opt, const Problem&) { return std::vector<double>{diag(opt, "bbi_kinetic")}; };
  }
  return o;
}

class GoldenEnergyTrajectory : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenEnergyTrajectory, Matches) { expect_golden_match(GetParam(), energy_run_options(GetParam())); }

INSTANTIATE_TEST_SUITE_P(GoldenEnergy, GoldenEnergyTrajectory, ::testing::ValuesIn(load_cases_or_error(energy_files())),
                         [](const ::testing::TestParamInfo<GoldenCase>& p) { return p.param.test_name(); });

// Every extra array of these files has a getter, so nothing is silently left uncompared.
TEST(GoldenEnergy, EveryExtraIsCompared) {
  for (const auto& c : load_cases_or_error(energy_files())) {
    SCOPED_TRACE(c.name);
    ASSERT_TRUE(c.load_error.empty()) << c.load_error;
    const Comparison cmp = compare(c, run_case(c, energy_run_options(c)));
    EXPECT_TRUE(cmp.skipped_extras.empty()) << cmp.report(c);
    EXPECT_TRUE(cmp.ok) << cmp.report(c);
    // The worst deviation of each series as a fraction of its tolerance atol + rtol*|want|.
    std::cout << "[ tol used ] " << c.name << ":";
    for (const auto& sd : cmp.series) std::cout << "  " << sd.series << " " << sd.worst_ratio;
    std::cout << std::endl;
  }
}

// The energy fixed at the first step equals the file's energy_E (the reference forms it as
// exp(log V + log(s + dE)), one ulp from V*(s + dE) in some cases).
TEST(GoldenEnergy, EcdsepEnergyMatchesTheFile) {
  for (const std::string stem : {"ecdsep", "ecdsep_f0tuning"}) {
    const nlohmann::json doc = read_json(golden_path(stem + ".json"));
    const auto cases = load_cases(stem);
    ASSERT_EQ(cases.size(), doc.at("cases").size());
    for (size_t k = 0; k < cases.size(); ++k) {
      const GoldenCase& c = cases[k];
      SCOPED_TRACE(c.name);
      Problem prob(c.problem, c.x0);
      auto opt = optim::make_optimizer(c.optimizer, prob.arena(), to_hyperparams(c.hyperparams));
      prob.arena().zero_grad();
      const Tensor loss = prob.loss();
      loss.backward();
      opt->step(optim::StepInfo{loss.item(), 0});
      const double want = doc.at("cases")[k].at("energy_E").get<double>();
      EXPECT_NEAR(scalar(*opt, "E"), want, 1e-15 * std::fabs(want));
      EXPECT_NEAR(diag(*opt, "ecdsep_energy"), want, 1e-15 * std::fabs(want));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Adai edge cases and diagnostics.

// A float64 arena of `values` with the given gradient.
struct Flat {
  explicit Flat(const std::vector<double>& values) {
    Tensor t = Tensor::from_vector<double>(values, {static_cast<int64_t>(values.size())});
    t.set_requires_grad(true);
    params.emplace_back("w", t);
    arena = std::make_unique<nn::ParamArena>(params, kFloat64, kCPU);
  }
  void set_grad(const std::vector<double>& g) const {
    arena->grads().copy_(Tensor::from_vector<double>(g, {static_cast<int64_t>(g.size())}));
  }
  std::vector<double> values() const { return arena->params().to_vector<double>(); }
  std::vector<std::pair<std::string, Tensor>> params;
  std::unique_ptr<nn::ParamArena> arena;
};

TEST(AdaiRule, AllZeroGradientsStayFinite) {
  for (const char* name : {"adai", "adaiw", "adais"}) {
    SCOPED_TRACE(name);
    Flat f({0.5, -1.0, 2.0});
    auto opt = optim::make_optimizer(name, *f.arena, optim::HyperParams{{"lr", {0.1}}});
    for (int t = 0; t < 3; ++t) {
      f.set_grad({0.0, 0.0, 0.0});
      opt->step();
    }
    EXPECT_EQ(f.values(), (std::vector<double>{0.5, -1.0, 2.0}));
    const auto d = opt->diagnostics();
    EXPECT_DOUBLE_EQ(d.at("adai_beta1_mean"), 0.9);
    EXPECT_EQ(d.at("adai_beta1_std"), 0.0);
    // A later non-zero gradient starts a normal first step (a plain SGD step).
    f.set_grad({1.0, 0.0, 0.0});
    opt->step();
    for (double v : f.values()) EXPECT_TRUE(std::isfinite(v));
  }
}

// The first step is a plain SGD step; the diagnostics are the mean and spread of beta1.
TEST(AdaiRule, FirstStepAndInertiaDiagnostics) {
  Flat f({1.0, 1.0, 1.0, 1.0});
  auto opt = optim::make_optimizer("adai", *f.arena, optim::HyperParams{{"lr", {0.1}}});
  EXPECT_TRUE(opt->diagnostics().empty());
  const std::vector<double> g = {1.0, 2.0, 3.0, 0.0};
  f.set_grad(g);
  opt->step();
  const auto p = f.values();
  for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(p[i], 1.0 - 0.1 * g[i], 1e-15);
  // v_hat = g^2, mean 3.5: beta1 = clamp(1 - 0.1*g^2/3.5, 0, 1 - eps) (the last one is capped).
  std::vector<double> b1;
  double mean = 0.0, var = 0.0;
  for (double x : g) b1.push_back(std::min(1.0 - 0.1 * x * x / 3.5, 1.0 - 1e-3)), mean += b1.back() / 4.0;
  for (double x : b1) var += (x - mean) * (x - mean) / 4.0;
  const auto d = opt->diagnostics();
  EXPECT_NEAR(d.at("adai_beta1_mean"), mean, 1e-15);
  EXPECT_NEAR(d.at("adai_beta1_std"), std::sqrt(var), 1e-12);
  EXPECT_NEAR(d.at("adai_v_hat_mean"), 3.5, 1e-15);
}

TEST(AdaiRule, HyperparameterChecks) {
  Flat f({1.0});
  EXPECT_THROW(optim::make_optimizer("adai", *f.arena, optim::HyperParams{}), ValueError);  // lr required
  EXPECT_THROW(optim::make_optimizer("adai", *f.arena, optim::HyperParams{{"lr", {0.1}}, {"betas", {0.1, 1.0}}}),
               ValueError);
  EXPECT_THROW(optim::make_optimizer("adais", *f.arena, optim::HyperParams{{"lr", {0.1}}, {"decoupled", {0.0}}}),
               ValueError);  // AdaiS is always decoupled
  EXPECT_THROW(optim::make_optimizer("adai", *f.arena, optim::HyperParams{{"lr", {0.1}}, {"eps", {0.0}}}), ValueError);
}

// Two parameter groups share the global mean of v_hat: splitting the arena changes nothing.
TEST(AdaiRule, GroupsShareTheGlobalMean) {
  const std::vector<double> x0 = {1.0, -2.0, 0.5, 3.0};
  Flat a(x0), b(x0);
  const optim::HyperParams hp{{"lr", {0.1}}, {"betas", {0.1, 0.99}}, {"eps", {1e-3}}, {"weight_decay", {0.0}},
                              {"decoupled", {0.0}}};
  auto one = optim::make_optimizer("adai", *a.arena, hp);
  const auto& info = optim::optimizer_info("adai");
  const auto full = optim::resolve_hyperparams(info, hp);
  std::vector<optim::ParamGroup> groups = {{0, 2, {}, 0, ""}, {2, 4, {}, 0, ""}};
  auto two = info.make(*b.arena, full);
  two->groups() = groups;
  for (auto& g : two->groups()) g.hp = full;
  for (int t = 0; t < 5; ++t) {
    const std::vector<double> g = {0.3 * t + 1.0, -0.2, 2.0 - t, 0.7};
    a.set_grad(g);
    b.set_grad(g);
    one->step();
    two->step();
  }
  const auto pa = a.values(), pb = b.values();
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_NEAR(pa[i], pb[i], 1e-15);
}

// ---------------------------------------------------------------------------------------------
// BBI edge cases: bounces (not reached by the golden runs), reproducibility, checkpoints.

std::vector<double> run_bbi(const optim::HyperParams& hp, int steps, std::vector<double>* kinetic = nullptr,
                            std::vector<std::pair<std::string, Tensor>>* state_at_half = nullptr) {
  const auto cases = load_cases("bbi");
  const GoldenCase& c = cases[1];  // quadratic10
  Problem prob(c.problem, c.x0);
  auto opt = optim::make_optimizer("bbi", prob.arena(), hp);
  for (int t = 0; t < steps; ++t) {
    prob.arena().zero_grad();
    const Tensor loss = prob.loss();
    loss.backward();
    opt->step(optim::StepInfo{loss.item(), t});
    if (kinetic) kinetic->push_back(opt->diagnostics().at("bbi_kinetic"));
    if (state_at_half && t == steps / 2 - 1) *state_at_half = opt->state();
  }
  return prob.flat_params();
}

TEST(BbiRule, BouncesPreserveTheKineticEnergyAndAreReproducible) {
  const optim::HyperParams hp{{"lr", {0.05}}, {"threshold0", {20}}, {"threshold", {7}}, {"n_fixed_bounces", {2}},
                              {"deltaEn", {0.5}}, {"seed", {123}}};
  const auto cases = load_cases("bbi");
  Problem prob(cases[1].problem, cases[1].x0);
  auto opt = optim::make_optimizer("bbi", prob.arena(), hp);
  int bounces = 0;
  for (int t = 0; t < 120; ++t) {
    prob.arena().zero_grad();
    const Tensor loss = prob.loss();
    loss.backward();
    const std::vector<double> before = prob.flat_params();
    const Tensor pi_before = optim::bbi_momentum(*opt);
    const auto d0 = opt->diagnostics();
    const double b0 = d0.count("bbi_bounces") ? d0.at("bbi_bounces") : 0.0;
    opt->step(optim::StepInfo{loss.item(), t});
    const auto d = opt->diagnostics();
    if (d.at("bbi_bounces") > b0) {
      ++bounces;
      // A bounce leaves p alone and keeps |Pi| with a new direction.
      EXPECT_EQ(prob.flat_params(), before);
      const auto a = pi_before.to_vector<double>(), b = optim::bbi_momentum(*opt).to_vector<double>();
      double a2 = 0, b2 = 0, ab = 0;
      for (size_t i = 0; i < a.size(); ++i) a2 += a[i] * a[i], b2 += b[i] * b[i], ab += a[i] * b[i];
      EXPECT_NEAR(b2, a2, 1e-12 * a2);
      EXPECT_LT(ab / std::sqrt(a2 * b2), 0.999);
    }
  }
  EXPECT_GE(bounces, 2);  // the two fixed bounces at least
  EXPECT_EQ(opt->scalar_state().at("fixed_bounces"), 2.0);

  // Same seed: bit-identical; another seed: a different trajectory once a bounce happened.
  EXPECT_EQ(run_bbi(hp, 120), run_bbi(hp, 120));
  optim::HyperParams other = hp;
  other["seed"] = {124};
  EXPECT_NE(run_bbi(hp, 120), run_bbi(other, 120));
}

TEST(BbiRule, CheckpointResumesBitExactly) {
  const optim::HyperParams hp{{"lr", {0.05}}, {"threshold0", {15}}, {"threshold", {6}}, {"seed", {7}}};
  const auto cases = load_cases("bbi");
  const GoldenCase& c = cases[1];
  Problem a(c.problem, c.x0), b(c.problem, c.x0);
  auto oa = optim::make_optimizer("bbi", a.arena(), hp);
  auto ob = optim::make_optimizer("bbi", b.arena(), hp);
  auto step = [](Problem& prob, optim::Optimizer& opt, int t) {
    prob.arena().zero_grad();
    const Tensor loss = prob.loss();
    loss.backward();
    opt.step(optim::StepInfo{loss.item(), t});
  };
  for (int t = 0; t < 40; ++t) step(a, *oa, t);
  // b: restore a's parameters and optimizer state, then both continue.
  b.arena().params().copy_(a.arena().params());
  ob->load_state(oa->state());
  for (int t = 40; t < 100; ++t) {
    step(a, *oa, t);
    step(b, *ob, t);
  }
  EXPECT_EQ(a.flat_params(), b.flat_params());
  EXPECT_GT(oa->diagnostics().at("bbi_bounces"), 2.0);
}

TEST(BbiRule, NeedsTheLossAndIntegerThresholds) {
  Flat f({1.0, 2.0});
  auto opt = optim::make_optimizer("bbi", *f.arena, optim::HyperParams{{"lr", {0.1}}});
  f.set_grad({1.0, 1.0});
  EXPECT_THROW(opt->step(), ValueError);  // no loss in StepInfo
  EXPECT_THROW(optim::make_optimizer("bbi", *f.arena, optim::HyperParams{{"lr", {0.1}}, {"threshold", {2.5}}}),
               ValueError);
  // A zero gradient at initialisation starts at rest instead of dividing by zero.
  f.set_grad({0.0, 0.0});
  auto rest = optim::make_optimizer("bbi", *f.arena, optim::HyperParams{{"lr", {0.1}}, {"deltaEn", {1.0}}});
  rest->step(optim::StepInfo{2.0, 0});
  for (double v : f.values()) EXPECT_TRUE(std::isfinite(v));
  EXPECT_THROW(optim::bbi_momentum(*optim::make_optimizer("adai", *f.arena, optim::HyperParams{{"lr", {0.1}}})),
               ValueError);
}

}  // namespace
}  // namespace momenta::golden
