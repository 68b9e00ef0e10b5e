// Golden trajectories of the weight averagers (tests/golden ema.json, swa.json, belay.json;
// OPTIMIZERS.md Sections 17-19), run through the harness with the nested base optimizer, plus
// the averager protocol, registry and checkpoints. One parameterised test per golden case:
// GoldenAverager/GoldenAveragerTrajectory.Matches/belay_rosenbrock_sgd.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "momenta/optim/averager.h"
#include "momenta/optim/registry.h"
#include "optim/golden_harness.h"

namespace momenta::golden {
namespace {

std::vector<double> averaged_row(const optim::Averager& a) {
  const Tensor t = a.averaged();
  return t.defined() ? t.to_vector<double>() : std::vector<double>{};
}

// ema/swa files hold extra.avg_params, belay holds extra.w2 (params are BELAY's w1).
RunOptions averager_options(const GoldenCase& c) {
  RunOptions o;
  o.make = make_base_optimizer;
  o.make_averager = make_wrapper_averager;
  o.averager_extras[c.file == "belay" ? "w2" : "avg_params"] = averaged_row;
  return o;
}

class GoldenAveragerTrajectory : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenAveragerTrajectory, Matches) {
  const GoldenCase& c = GetParam();
  const RunOptions o = averager_options(c);
  expect_golden_match(c, o);
  if (!c.load_error.empty()) return;
  // The extra arrays were compared, not skipped; and "no average yet" (null) in the file is
  // exactly where the averager has none (SWA before its first average).
  const Trajectory tr = run_case(c, o);
  const std::string key = c.file == "belay" ? "w2" : "avg_params";
  ASSERT_TRUE(c.extra.contains(key)) << c.name;
  const auto& want = c.extra.at(key);
  ASSERT_EQ(tr.extra.at(key).size(), want.size());
  for (size_t j = 0; j < want.size(); ++j)
    EXPECT_EQ(want[j].is_null(), tr.extra.at(key)[j].empty()) << c.name << " at step " << c.recorded_steps[j];
}

INSTANTIATE_TEST_SUITE_P(GoldenAverager, GoldenAveragerTrajectory,
                         ::testing::ValuesIn(load_cases_or_error({"ema", "swa", "belay"})),
                         [](const ::testing::TestParamInfo<GoldenCase>& p) { return p.param.test_name(); });

// ---------------------------------------------------------------------------------------------

GoldenCase case_named(const std::string& stem, const std::string& name) {
  for (auto& c : load_cases(stem))
    if (c.name == name) return c;
  throw ValueError(str_cat("no case ", name, " in ", stem, ".json"));
}

// Runs `steps` steps of a case's optimizer and averager on its problem; returns the final
// params and averaged weights.
struct RunResult {
  std::vector<double> params, averaged;
};
RunResult run_steps(const GoldenCase& c, const optim::HyperParams& avg_hp, int64_t steps) {
  Problem prob(c.problem, c.x0);
  auto opt = make_base_optimizer(c, prob.arena());
  auto avg = optim::make_averager(c.optimizer, prob.arena(), avg_hp);
  for (int64_t t = 0; t < steps; ++t) {
    prob.arena().zero_grad();
    const Tensor loss = prob.loss();
    loss.backward();
    avg->before_step();
    opt->step({loss.item(), t});
    avg->step({loss.item(), t});
  }
  return {prob.flat_params(), averaged_row(*avg)};
}

// Default damping (c1, c2 absent) drops the velocities; the general rule with c_i = 2*m_i
// keeps them but multiplies them by zero, so both paths give the same trajectory.
TEST(GoldenAveragerBelay, DefaultDampingEqualsExplicitTwoM) {
  const GoldenCase c = case_named("belay", "belay/rosenbrock_belay/sgd");
  const RunResult a = run_steps(c, {{"k", {1.0}}, {"m1", {10.0}}, {"m2", {20.0}}}, 200);
  const RunResult b = run_steps(c, {{"k", {1.0}}, {"m1", {10.0}}, {"m2", {20.0}}, {"c1", {20.0}}, {"c2", {40.0}}}, 200);
  ASSERT_EQ(a.params.size(), b.params.size());
  for (size_t i = 0; i < a.params.size(); ++i) {
    EXPECT_NEAR(a.params[i], b.params[i], 1e-13);
    EXPECT_NEAR(a.averaged[i], b.averaged[i], 1e-13);
  }
}

// BELAY needs w1(t): a step without before_step() is an error, not a silent wrong answer.
TEST(GoldenAveragerBelay, StepWithoutSnapshotIsAnError) {
  const GoldenCase c = case_named("belay", "belay/quadratic10/sgd");
  Problem prob(c.problem, c.x0);
  auto avg = make_wrapper_averager(c, prob.arena());
  EXPECT_THROW(avg->step(), ValueError);
  avg->before_step();
  EXPECT_NO_THROW(avg->step());
  EXPECT_THROW(avg->step(), ValueError);
}

TEST(GoldenAveragerBelay, SpringExtensionIsTheDistanceBetweenTheMasses) {
  const GoldenCase c = case_named("belay", "belay/rosenbrock/sgd");
  Problem prob(c.problem, c.x0);
  auto opt = make_base_optimizer(c, prob.arena());
  auto avg = make_wrapper_averager(c, prob.arena());
  EXPECT_EQ(avg->diagnostics().at("belay_spring_extension"), 0.0);  // w2(0) = w1(0)
  for (int64_t t = 0; t < 5; ++t) {
    prob.arena().zero_grad();
    const Tensor loss = prob.loss();
    loss.backward();
    avg->before_step();
    opt->step({loss.item(), t});
    avg->step({loss.item(), t});
  }
  const auto w1 = prob.flat_params(), w2 = averaged_row(*avg);
  double d2 = 0.0;
  for (size_t i = 0; i < w1.size(); ++i) d2 += (w1[i] - w2[i]) * (w1[i] - w2[i]);
  EXPECT_GT(d2, 0.0);
  EXPECT_NEAR(avg->diagnostics().at("belay_spring_extension"), std::sqrt(d2), 1e-15);
}

// state()/load_state(): a run resumed from a checkpoint of the averager (and optimizer) at
// step 100 ends exactly where the uninterrupted run does, for every averager.
TEST(GoldenAveragerCheckpoint, ResumesExactly) {
  for (const auto& [stem, name] : std::vector<std::pair<std::string, std::string>>{
           {"ema", "ema/quadratic10/sgd"},
           {"swa", "swa/quadratic10/heavy_ball"},
           {"belay", "belay/quadratic10/sgd_damping_c1_m1_RECONSTRUCTED"}}) {
    SCOPED_TRACE(name);
    const GoldenCase c = case_named(stem, name);
    auto step = [](Problem& prob, optim::Optimizer& opt, optim::Averager& avg, int64_t t) {
      prob.arena().zero_grad();
      const Tensor loss = prob.loss();
      loss.backward();
      avg.before_step();
      opt.step({loss.item(), t});
      avg.step({loss.item(), t});
    };
    Problem a(c.problem, c.x0);
    auto opt_a = make_base_optimizer(c, a.arena());
    auto avg_a = make_wrapper_averager(c, a.arena());
    for (int64_t t = 0; t < 100; ++t) step(a, *opt_a, *avg_a, t);
    // state() hands out the live tensors (a checkpoint writer serialises them at once): copy.
    auto snapshot = [](std::vector<std::pair<std::string, Tensor>> st) {
      for (auto& [k, t] : st) t = t.clone();
      return st;
    };
    const auto opt_state = snapshot(opt_a->state());
    const auto avg_state = snapshot(avg_a->state());
    const auto params = a.flat_params();
    for (int64_t t = 100; t < 200; ++t) step(a, *opt_a, *avg_a, t);

    Problem b(c.problem, params);
    auto opt_b = make_base_optimizer(c, b.arena());
    auto avg_b = make_wrapper_averager(c, b.arena());
    opt_b->load_state(opt_state);
    avg_b->load_state(avg_state);
    EXPECT_EQ(avg_b->steps(), 100);
    for (int64_t t = 100; t < 200; ++t) step(b, *opt_b, *avg_b, t);
    EXPECT_EQ(a.flat_params(), b.flat_params());
    EXPECT_EQ(averaged_row(*avg_a), averaged_row(*avg_b));

    auto missing = avg_state;
    missing.erase(missing.begin());
    Problem d(c.problem, c.x0);
    auto avg_d = make_wrapper_averager(c, d.arena());
    EXPECT_THROW(avg_d->load_state(missing), ValueError);
  }
}

TEST(GoldenAveragerRegistry, NamesHyperparametersAndErrors) {
  const auto names = optim::averager_names();
  EXPECT_EQ(names, (std::vector<std::string>{"belay", "ema", "swa"}));
  const auto& belay = optim::averager_info("belay");
  // Golden keys are the hyperparameter names; c1/c2 are optional (absent: default damping).
  const auto hp = optim::resolve_averager_hyperparams(belay, optim::HyperParams{{"k", {1.0}}});
  EXPECT_EQ(hp.count("c1"), 0u);
  EXPECT_EQ(hp.at("m1"), std::vector<double>{10.0});
  const auto with_c = optim::resolve_averager_hyperparams(belay, std::map<std::string, std::string>{{"c1", "5"}});
  EXPECT_EQ(with_c.at("c1"), std::vector<double>{5.0});
  EXPECT_THROW(optim::averager_info("emma"), ValueError);
  EXPECT_THROW(optim::resolve_averager_hyperparams(belay, std::map<std::string, std::string>{{"q", "1"}}), ValueError);
  EXPECT_THROW(optim::resolve_averager_hyperparams(belay, std::map<std::string, std::string>{{"m1", "0"}}), ValueError);
  EXPECT_THROW(optim::resolve_averager_hyperparams(optim::averager_info("ema"),
                                                   std::map<std::string, std::string>{{"decay", "1.5"}}),
               ValueError);
  Problem prob("quadratic10", std::vector<double>(10, 1.0));
  EXPECT_THROW(optim::make_averager("swa", prob.arena(), std::map<std::string, std::string>{{"swa_start", "2.5"}}),
               ValueError);
  try {
    optim::averager_info("emma");
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("belay, ema, swa"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace momenta::golden
