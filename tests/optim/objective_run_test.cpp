// optim::run_objective, the loop shared by optimize, tune and reproduce: the observer sees every
// step before its update and the final point, a gradient hook changes what the rule sees, an
// observer can stop the run, and an averager is stepped after the rule.
#include "momenta/optim/objective_run.h"

#include <gtest/gtest.h>

#include <cmath>

#include "momenta/error.h"

namespace {

using namespace momenta::optim;

TEST(ObjectiveRun, ObserverSeesEveryStepAndTheEnd) {
  // SGD on 0.5 x^2 with lr 0.5: x_t = 0.5^t, loss_t = x_t^2 / 2.
  const Objective f = make_test_function("quadratic", 1, {});
  std::vector<double> xs, losses;
  const auto res = run_objective(f, {1.0}, {"sgd", {{"lr", {0.5}}}, "", {}, 4}, [&](const StepView& v) {
    xs.push_back(v.x.to_vector<double>()[0]);
    losses.push_back(v.loss);
    return true;
  });
  ASSERT_EQ(xs.size(), 5u);
  for (size_t t = 0; t < xs.size(); ++t) {
    EXPECT_DOUBLE_EQ(xs[t], std::pow(0.5, static_cast<double>(t)));
    EXPECT_DOUBLE_EQ(losses[t], 0.5 * xs[t] * xs[t]);
  }
  EXPECT_EQ(res.steps_run, 4);
  EXPECT_DOUBLE_EQ(res.first_loss, 0.5);
  EXPECT_DOUBLE_EQ(res.last_loss, losses.back());
  EXPECT_DOUBLE_EQ(res.x[0], 0.0625);
}

TEST(ObjectiveRun, HookChangesTheGradientAndObserverStops) {
  const Objective f = make_test_function("quadratic", 2, {});
  int seen = 0;
  // The hook adds 1 to every gradient element: x <- x - lr (x + 1), from 0 with lr 0.5: -0.5, -0.75, ...
  const auto res = run_objective(
      f, {0.0, 0.0}, {"sgd", {{"lr", {0.5}}}, "", {}, 100},
      [&](const StepView& v) { return ++seen < 3 || v.t < 2; },
      [](int64_t, momenta::Tensor& g) { g.copy_(momenta::Tensor::from_vector<double>({g.to_vector<double>()[0] + 1, g.to_vector<double>()[1] + 1})); });
  EXPECT_EQ(res.steps_run, 2);  // stopped at t = 2, before its update
  EXPECT_DOUBLE_EQ(res.x[0], -0.75);
  EXPECT_DOUBLE_EQ(res.x[1], -0.75);
  EXPECT_EQ(seen, 3);
}

TEST(ObjectiveRun, AveragerIsSteppedAfterTheRule) {
  // EMA with decay 0.5 of SGD iterates 1, 0.5, 0.25: avg_1 = 0.75, avg_2 = 0.5.
  const Objective f = make_test_function("quadratic", 1, {});
  std::vector<double> avg;
  run_objective(f, {1.0}, {"sgd", {{"lr", {0.5}}}, "ema", {{"decay", {0.5}}}, 2}, [&](const StepView& v) {
    avg.push_back(v.averager->averaged().to_vector<double>()[0]);
    return true;
  });
  ASSERT_EQ(avg.size(), 3u);
  EXPECT_DOUBLE_EQ(avg[0], 1.0);
  EXPECT_DOUBLE_EQ(avg[1], 0.75);
  EXPECT_DOUBLE_EQ(avg[2], 0.5);
}

TEST(ObjectiveRun, UnknownRuleOrHyperparameterIsAValueError) {
  const Objective f = make_test_function("quadratic", 1, {});
  EXPECT_THROW(run_objective(f, {1.0}, {"nope", {}, "", {}, 1}), momenta::ValueError);
  EXPECT_THROW(run_objective(f, {1.0}, {"sgd", {{"lr", {0.1}}, {"bogus", {1.0}}}, "", {}, 1}), momenta::ValueError);
}

}  // namespace
