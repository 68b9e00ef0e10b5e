// Golden trajectories of the super-accelerated and adaptive-step rules (OPTIMIZERS.md Sections
// 4, 5, 9-12), unit tests of adam_super_accel (no golden file) and hyperparameter validation.
// One parameterised test per golden case: GoldenAdaptive/GoldenAdaptiveTrajectory.Matches/yogi_mlp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "momenta/optim/registry.h"
#include "optim/golden_harness.h"

namespace momenta::golden {
namespace {

const std::vector<std::string>& adaptive_files() {
  static const std::vector<std::string> files = {"super_accel", "rmsprop_super_accel", "adabound", "padam", "yogi", "radam"};
  return files;
}

// The look-ahead rules store phi; the paper's iterate theta is what eval_weights() returns.
std::vector<double> eval_theta(const optim::Optimizer& opt, const Problem&) {
  return opt.eval_weights().to_vector<double>();
}

RunOptions adaptive_options(const GoldenCase& c) {
  RunOptions o;
  if (c.optimizer == "super_accel" || c.optimizer == "rmsprop_super_accel") o.extras["theta"] = eval_theta;
  return o;
}

class GoldenAdaptiveTrajectory : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GoldenAdaptiveTrajectory, Matches) { expect_golden_match(GetParam(), adaptive_options(GetParam())); }

INSTANTIATE_TEST_SUITE_P(GoldenAdaptive, GoldenAdaptiveTrajectory, ::testing::ValuesIn(load_cases_or_error(adaptive_files())),
                         [](const ::testing::TestParamInfo<GoldenCase>& p) { return p.param.test_name(); });

// ---------------------------------------------------------------------------------------------
// Super-acceleration against the other momentum golden files (OPTIMIZERS.md Sections 3-4):
// sigma = 0 is heavy ball, sigma = mu is Nesterov (whose extra.theta is the Sutskever iterate),
// for the cases without weight decay or dampening (super_accel has neither).

// A case of another rule's file rerun with `rule` and the given hyperparameters.
RunOptions rerun_as(const std::string& rule, optim::HyperParams hp) {
  RunOptions o;
  o.make = [rule, hp](const GoldenCase&, const nn::ParamArena& arena) { return optim::make_optimizer(rule, arena, hp); };
  return o;
}

TEST(SuperAccel, SigmaZeroIsHeavyBallAndSigmaMuIsNesterov) {
  int checked = 0;
  for (const std::string& stem : std::vector<std::string>{"heavy_ball", "nesterov"}) {
    for (const GoldenCase& c : load_cases(stem)) {
      const optim::HyperParams hp = to_hyperparams(c.hyperparams);
      if (hp.at("weight_decay").at(0) != 0.0 || (hp.count("dampening") && hp.at("dampening").at(0) != 0.0)) continue;
      SCOPED_TRACE(c.name);
      const double mu = hp.at("momentum").at(0);
      RunOptions o = rerun_as("super_accel", {{"lr", hp.at("lr")}, {"momentum", {mu}}, {"sigma", {stem == "nesterov" ? mu : 0.0}}});
      o.extras["theta"] = eval_theta;
      expect_golden_match(c, o);
      ++checked;
    }
  }
  EXPECT_EQ(checked, 6);
}

// ---------------------------------------------------------------------------------------------
// adam_super_accel.

// sigma = 0 is torch.optim.Adam bit for bit, with and without L2; eval_weights() is then the
// stored parameters.
TEST(AdamSuperAccel, SigmaZeroIsAdamExactly) {
  for (const GoldenCase& c : load_cases("adam")) {
    SCOPED_TRACE(c.name);
    optim::HyperParams hp = to_hyperparams(c.hyperparams);
    hp["sigma"] = {0.0};
    RunOptions o = rerun_as("adam_super_accel", hp);
    o.extras["theta"] = eval_theta;
    const Trajectory sa = run_case(c, o);
    const Trajectory adam = run_case(c);
    ASSERT_EQ(sa.params.size(), adam.params.size());
    for (size_t j = 0; j < sa.params.size(); ++j) {
      ASSERT_EQ(sa.params[j].size(), adam.params[j].size());
      for (size_t i = 0; i < sa.params[j].size(); ++i) {
        ASSERT_EQ(sa.params[j][i], adam.params[j][i]) << "recorded row " << j << ", index " << i;
        ASSERT_EQ(sa.extra.at("theta")[j][i], sa.params[j][i]) << "recorded row " << j << ", index " << i;
      }
    }
    EXPECT_EQ(sa.loss, adam.loss);
    EXPECT_TRUE(compare(c, sa).ok) << compare(c, sa).report(c);
  }
}

// sigma > 0 against the paper form computed directly on quadratic10 (gradient k*x): theta moves
// by Adam's step u, whose moments see the gradient at theta + sigma*u_prev; the arena holds that
// look-ahead point and eval_weights() returns theta.
TEST(AdamSuperAccel, MatchesThePaperFormOnTheQuadratic) {
  const auto& q = problems().at("problems").at("quadratic10");
  const auto k = q.at("k").get<std::vector<double>>();
  const auto x0 = q.at("x0").get<std::vector<double>>();
  const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.02, sigma = 3.0;
  const int steps = 100;

  Problem prob("quadratic10", x0);
  auto opt = optim::make_optimizer("adam_super_accel", prob.arena(),
                                   optim::HyperParams{{"lr", {lr}}, {"weight_decay", {wd}}, {"sigma", {sigma}}});
  const size_t n = x0.size();
  std::vector<double> theta = x0, u(n, 0.0), m(n, 0.0), v(n, 0.0);
  double worst = 0.0;
  for (int t = 1; t <= steps; ++t) {
    prob.arena().zero_grad();
    prob.loss().backward();
    opt->step();
    for (size_t i = 0; i < n; ++i) {
      const double phi = theta[i] + sigma * u[i];
      const double g = k[i] * phi + wd * phi;  // L2 at the stored (look-ahead) point
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      const double mhat = m[i] / (1 - std::pow(b1, t)), vhat = v[i] / (1 - std::pow(b2, t));
      u[i] = -lr * mhat / (std::sqrt(vhat) + eps);
      theta[i] += u[i];
    }
    const std::vector<double> got_phi = prob.flat_params();
    const std::vector<double> got_theta = opt->eval_weights().to_vector<double>();
    for (size_t i = 0; i < n; ++i) {
      worst = std::max(worst, std::fabs(got_theta[i] - theta[i]));
      worst = std::max(worst, std::fabs(got_phi[i] - (theta[i] + sigma * u[i])));
    }
  }
  EXPECT_LT(worst, 1e-12);
  // The look-ahead changed the trajectory: it is not Adam's.
  Problem plain("quadratic10", x0);
  auto adam = optim::make_optimizer("adam", plain.arena(), optim::HyperParams{{"lr", {lr}}, {"weight_decay", {wd}}});
  for (int t = 1; t <= steps; ++t) {
    plain.arena().zero_grad();
    plain.loss().backward();
    adam->step();
  }
  EXPECT_GT(std::fabs(plain.flat_params()[9] - theta[9]), 1e-6);
}

// Before the first step there is no velocity: eval_weights() is the stored parameters.
TEST(SuperAccel, EvalWeightsBeforeTheFirstStepAreTheParameters) {
  const auto x0 = problems().at("problems").at("rosenbrock").at("x0").get<std::vector<double>>();
  for (const std::string& rule : std::vector<std::string>{"super_accel", "rmsprop_super_accel", "adam_super_accel"}) {
    Problem prob("rosenbrock", x0);
    auto opt = optim::make_optimizer(rule, prob.arena(), optim::HyperParams{{"lr", {1e-3}}, {"sigma", {2.0}}});
    EXPECT_EQ(opt->eval_weights().to_vector<double>(), x0) << rule;
  }
}

// ---------------------------------------------------------------------------------------------
// Hyperparameter validation.

void expect_value_error(const std::string& rule, const optim::HyperParams& hp, const std::string& fragment) {
  const auto x0 = problems().at("problems").at("rosenbrock").at("x0").get<std::vector<double>>();
  Problem prob("rosenbrock", x0);
  try {
    optim::make_optimizer(rule, prob.arena(), hp);
    ADD_FAILURE() << rule << ": expected a ValueError mentioning '" << fragment << "'";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << rule << ": " << e.what();
  }
}

TEST(SuperAccel, SigmaIsRequiredAndValidated) {
  expect_value_error("super_accel", {{"lr", {0.1}}}, "sigma is required");
  expect_value_error("rmsprop_super_accel", {{"lr", {0.1}}}, "sigma is required");
  expect_value_error("adam_super_accel", {{"lr", {0.1}}}, "sigma is required");
  expect_value_error("super_accel", {{"sigma", {2.0}}}, "lr is required");
  expect_value_error("super_accel", {{"lr", {0.1}}, {"sigma", {-1.0}}}, "out of range");
  expect_value_error("super_accel", {{"lr", {0.1}}, {"sigma", {2.0}}, {"momentum", {1.5}}}, "out of range");
  expect_value_error("super_accel", {{"lr", {0.1}}, {"sigma", {2.0}}, {"weight_decay", {0.1}}}, "unknown hyperparameter");
  expect_value_error("rmsprop_super_accel", {{"lr", {0.1}}, {"sigma", {2.0}}, {"eps", {0.0}}}, "out of range");
  expect_value_error("adam_super_accel", {{"sigma", {1.0}}, {"momentum", {0.9}}}, "unknown hyperparameter");
  expect_value_error("adam_super_accel", {{"sigma", {1.0}}, {"betas", {0.9}}}, "takes 2 values");
}

TEST(AdaptiveRules, HyperparametersAreValidated) {
  expect_value_error("adabound", {{"gamma", {0.0}}}, "out of range");
  expect_value_error("adabound", {{"lr", {0.0}}}, "out of range");
  expect_value_error("adabound", {{"final_lr", {-0.1}}}, "out of range");
  expect_value_error("padam", {{"partial", {0.75}}}, "out of range");
  expect_value_error("padam", {{"amsbound", {1.0}}}, "unknown hyperparameter");
  expect_value_error("yogi", {{"initial_accumulator", {-1.0}}}, "out of range");
  expect_value_error("radam", {{"betas", {0.9, 1.5}}}, "out of range");
  expect_value_error("radam", {{"degenerated_to_sgd", {1.0, 0.0}}}, "takes 1 value");
  // String values from the CLI / configs: booleans by name.
  const auto x0 = problems().at("problems").at("rosenbrock").at("x0").get<std::vector<double>>();
  Problem prob("rosenbrock", x0);
  EXPECT_THROW(optim::make_optimizer("radam", prob.arena(), std::map<std::string, std::string>{{"degenerated_to_sgd", "maybe"}}),
               ValueError);
  EXPECT_NO_THROW(optim::make_optimizer("adabound", prob.arena(), std::map<std::string, std::string>{{"amsbound", "true"}}));
}

// AdaBound's bounds follow the lr relative to the lr at construction (base_lr), so a schedule
// scales them: fl = final_lr*lr/base_lr.
TEST(AdaptiveRules, AdaBoundBoundsScaleWithTheScheduledLr) {
  const auto x0 = problems().at("problems").at("rosenbrock").at("x0").get<std::vector<double>>();
  Problem prob("rosenbrock", x0);
  auto opt = optim::make_optimizer("adabound", prob.arena(), optim::HyperParams{{"lr", {0.01}}, {"final_lr", {0.1}}});
  opt->set_lr(0.005);
  prob.arena().zero_grad();
  prob.loss().backward();
  opt->step();
  const auto d = opt->diagnostics();
  const double fl = 0.1 * 0.005 / 0.01, gamma = 1e-3;
  EXPECT_DOUBLE_EQ(d.at("adabound_lower"), fl * (1.0 - 1.0 / (gamma + 1.0)));
  EXPECT_DOUBLE_EQ(d.at("adabound_upper"), fl * (1.0 + 1.0 / gamma));
}

// RAdam's rectification starts at step 6 with b2 = 0.999 (rho_5 = 4.996 < 5 <= rho_6).
TEST(AdaptiveRules, RadamRectifiesFromStepSix) {
  const auto x0 = problems().at("problems").at("rosenbrock").at("x0").get<std::vector<double>>();
  Problem prob("rosenbrock", x0);
  auto opt = optim::make_optimizer("radam", prob.arena(), optim::HyperParams{{"lr", {0.01}}});
  for (int t = 1; t <= 6; ++t) {
    prob.arena().zero_grad();
    prob.loss().backward();
    opt->step();
    EXPECT_EQ(opt->diagnostics().at("radam_rectified"), t >= 6 ? 1.0 : 0.0) << "step " << t;
    if (t < 6) {
      EXPECT_EQ(prob.flat_params(), x0) << "step " << t;
    }
  }
  EXPECT_NE(prob.flat_params(), x0);
}

}  // namespace
}  // namespace momenta::golden
