// Golden-trajectory tests of the optimizers against the float64 reference runs in tests/golden
// (see tests/golden/README.md and optim/golden_harness.h). One parameterised test per case,
// named after it: Golden/GoldenTrajectory.Matches/adam_mlp.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "momenta/autograd.h"
#include "momenta/optim/registry.h"
#include "optim/golden_harness.h"

namespace momenta::golden {
namespace {

// The golden files this suite covers. The next rules add their stem here (and, where the rule
// exposes an extra array, a getter in run_options()).
const std::vector<std::string>& golden_files() {
  static const std::vector<std::string> files = {"sgd", "heavy_ball", "nesterov", "adam", "adamw", "amsgrad"};
  return files;
}

// Nesterov stores the look-ahead point phi = w + mu*v with v = -lr*b (OPTIMIZERS.md Section 3);
// the Sutskever iterate is w = p + mu*lr*b, read from the rule's momentum buffer.
std::vector<double> nesterov_theta(const optim::Optimizer& opt, const Problem& prob) {
  std::vector<double> theta = prob.flat_params();
  const auto& g = opt.groups().front();
  const double mu = opt.hp(g, "momentum"), lr = opt.hp(g, "lr");
  for (const auto& [key, t] : opt.state()) {
    if (key != "momentum_buffer") continue;
    const std::vector<double> b = t.to_vector<double>();
    for (size_t i = 0; i < theta.size(); ++i) theta[i] += mu * lr * b[i];
  }
  return theta;  // before the first step there is no buffer: theta = phi = x0
}

RunOptions run_options(const GoldenCase& c) {
  RunOptions o;
  if (c.optimizer == "nesterov") o.extras["theta"] = nesterov_theta;
  return o;
}

// ---------------------------------------------------------------------------------------------

class GoldenTrajectory : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenTrajectory, Matches) { expect_golden_match(GetParam(), run_options(GetParam())); }

INSTANTIATE_TEST_SUITE_P(Golden, GoldenTrajectory, ::testing::ValuesIn(load_cases_or_error(golden_files())),
                         [](const ::testing::TestParamInfo<GoldenCase>& p) { return p.param.test_name(); });

// ---------------------------------------------------------------------------------------------
// The harness itself.

// Each problem, built with the engine's ops, reproduces problems.json's loss and gradient at x0.
TEST(GoldenProblems, LossAndGradientAtX0) {
  const auto& all = problems().at("problems");
  ASSERT_GE(all.size(), 4u);
  for (const auto& [name, pj] : all.items()) {
    SCOPED_TRACE(name);
    const auto x0 = pj.at("x0").get<std::vector<double>>();
    Problem prob(name, x0);
    EXPECT_EQ(prob.flat_params(), x0);
    prob.arena().zero_grad();
    const Tensor loss = prob.loss();
    loss.backward();
    const double want_loss = pj.at("loss_at_x0").get<double>();
    EXPECT_NEAR(loss.item(), want_loss, 1e-13 * (1.0 + std::fabs(want_loss)));
    const auto want_grad = pj.at("grad_at_x0").get<std::vector<double>>();
    const auto grad = prob.flat_grads();
    ASSERT_EQ(grad.size(), want_grad.size());
    for (size_t i = 0; i < grad.size(); ++i)
      EXPECT_NEAR(grad[i], want_grad[i], 1e-13 * (1.0 + std::fabs(want_grad[i]))) << "gradient index " << i;
    // The parameters are leaves that live in the arena: their .grad is the arena's gradient.
    for (const auto& [pname, t] : prob.params()) {
      EXPECT_TRUE(t.is_leaf()) << pname;
      EXPECT_EQ(t.storage().get(), prob.arena().params().storage().get()) << pname;
    }
  }
}

TEST(GoldenHarness, HyperparamConversion) {
  const auto hp = to_hyperparams(nlohmann::json::parse(
      R"({"lr": 0.05, "betas": [0.9, 0.999], "amsbound": true, "consEn": false, "c1": null, "threshold0": 1000})"));
  EXPECT_EQ(hp.at("lr"), std::vector<double>{0.05});
  EXPECT_EQ(hp.at("betas"), (std::vector<double>{0.9, 0.999}));
  EXPECT_EQ(hp.at("amsbound"), std::vector<double>{1.0});
  EXPECT_EQ(hp.at("consEn"), std::vector<double>{0.0});
  EXPECT_EQ(hp.at("threshold0"), std::vector<double>{1000.0});
  EXPECT_EQ(hp.count("c1"), 0u);
  EXPECT_THROW(to_hyperparams(nlohmann::json::parse(R"({"base": {"lr": 0.1}})")), ValueError);
}

// The comparison sees a deviation just beyond the tolerance and names where it is.
TEST(GoldenHarness, CompareFindsTheWorstDeviation) {
  const auto cases = load_cases("adam");
  const GoldenCase& c = cases.back();  // adam/mlp: recorded every 10 steps
  Trajectory exact{c.params, c.loss, {}};
  EXPECT_TRUE(compare(c, exact).ok);

  Trajectory off = exact;
  const size_t row = 2, index = 5;
  const double want = off.params[row][index];
  off.params[row][index] += 1.5 * (c.tol.atol + c.tol.rtol * std::fabs(want));
  off.loss[7] += 0.5 * c.tol.atol;  // within tolerance
  const Comparison cmp = compare(c, off);
  EXPECT_FALSE(cmp.ok);
  ASSERT_EQ(cmp.series.size(), 2u);
  EXPECT_EQ(cmp.series[0].failures, 1);
  EXPECT_EQ(cmp.series[0].ratio_step, c.recorded_steps[row]);
  EXPECT_EQ(cmp.series[0].ratio_index, static_cast<int64_t>(index));
  EXPECT_NEAR(cmp.series[0].worst_ratio, 1.5, 1e-6);
  EXPECT_EQ(cmp.series[1].failures, 0);
  EXPECT_EQ(cmp.series[1].abs_step, 7);
  const std::string report = cmp.report(c);
  EXPECT_NE(report.find("adam/mlp"), std::string::npos) << report;
  EXPECT_NE(report.find("step " + std::to_string(c.recorded_steps[row]) + ", index 5"), std::string::npos) << report;

  Trajectory nan = exact;
  nan.loss[3] = std::nan("");
  EXPECT_FALSE(compare(c, nan).ok);

  Trajectory shorter = exact;
  shorter.params.pop_back();
  EXPECT_FALSE(compare(c, shorter).ok);
}

// End to end: a slightly wrong run (Adam with lr off by a relative 1e-6) is caught, not matched.
TEST(GoldenHarness, DetectsAWrongRule) {
  const auto cases = load_cases("adam");
  const GoldenCase& c = cases.front();  // adam/rosenbrock
  RunOptions o;
  o.make = [](const GoldenCase& gc, const nn::ParamArena& arena) {
    auto hp = to_hyperparams(gc.hyperparams);
    hp["lr"] = {hp.at("lr").at(0) * (1.0 + 1e-6)};
    return optim::make_optimizer(gc.optimizer, arena, hp);
  };
  const Comparison wrong = compare(c, run_case(c, o));
  EXPECT_FALSE(wrong.ok) << wrong.report(c);
  EXPECT_TRUE(compare(c, run_case(c)).ok);
}

}  // namespace
}  // namespace momenta::golden
