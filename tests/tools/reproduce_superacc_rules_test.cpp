// The verdict rules of the super-acceleration experiments (tools/experiments/superacc_rules.h) on
// hand-made numbers, and where eq. 13 overtakes eq. 14 (analysis::eq13_overtakes_eq14), checked
// against values worked by hand (paper file 004, eqs. 12-14, l.145-153).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

#include "../../tools/experiments/superacc_rules.h"
#include "momenta/analysis/momentum_theory.h"
#include "momenta/error.h"

namespace {

using namespace momenta::cli::experiments::superacc;
using momenta::analysis::eq13_overtakes_eq14;
using momenta::analysis::sigma_star_exact;
using momenta::analysis::sigma_star_ode2;
using momenta::analysis::sigma_star_ode_backward;

double err13(double a, double mu) { return std::fabs(sigma_star_ode_backward(a, mu) - sigma_star_exact(a, mu)); }
double err14(double a, double mu) { return std::fabs(sigma_star_ode2(a, mu) - sigma_star_exact(a, mu)); }

TEST(SuperaccRules, Eq13OvertakesEq14WhereTheirErrorsMeet) {
  // By hand, with u = 1/sqrt(a): |eq. 13 - exact| = |2 sqrt(1 + u^2) - 1 - 2u|, |eq. 14 - exact| =
  // sqrt(1 + 4u^2) - 2u. a = 0.8: 3 - (1 + 2.2361) -> 0.2361 against 2.4495 - 2.2361 = 0.2134 (eq. 14
  // closer); a = 0.9: 2.9059 - 3.1082 -> 0.2023 against 2.3333 - 2.1082 = 0.2251 (eq. 13 closer).
  EXPECT_NEAR(err13(0.8, 0.9), 0.2361, 1e-4);
  EXPECT_NEAR(err14(0.8, 0.9), 0.2134, 1e-4);
  EXPECT_NEAR(err13(0.9, 0.9), 0.2023, 1e-4);
  EXPECT_NEAR(err14(0.9, 0.9), 0.2251, 1e-4);
  const double c = eq13_overtakes_eq14(0.9, 0.0026, 3.8);
  EXPECT_GT(c, 0.8);
  EXPECT_LT(c, 0.9);
  EXPECT_NEAR(err13(c, 0.9), err14(c, 0.9), 1e-9);
  EXPECT_GT(err13(c * (1 - 1e-6), 0.9), err14(c * (1 - 1e-6), 0.9));  // just below: eq. 14 still closer
  EXPECT_LT(err13(c * (1 + 1e-6), 0.9), err14(c * (1 + 1e-6), 0.9));
  // The (1 - g)/(k eta) terms cancel: the same point for another g.
  EXPECT_NEAR(eq13_overtakes_eq14(0.5, 0.0026, 3.8), c, 1e-10);
  // Eq. 14 closer on the whole interval: NaN; eq. 13 already as close at lo: lo.
  EXPECT_TRUE(std::isnan(eq13_overtakes_eq14(0.9, 0.01, 0.5)));
  EXPECT_EQ(eq13_overtakes_eq14(0.9, 1.0, 3.0), 1.0);
  EXPECT_THROW(eq13_overtakes_eq14(0.9, 0.0, 1.0), momenta::ValueError);
  EXPECT_THROW(eq13_overtakes_eq14(0.9, 2.0, 1.0), momenta::ValueError);
}

TEST(SuperaccRules, OdeMustBeBestUnderEveryReading) {
  // Rows: x'(0) readings; columns: ODE (9), (10), (11).
  EXPECT_TRUE(best_under_every_reading({{3, 2, 1}, {0.5, 0.4, 0.1}}, 2));
  EXPECT_FALSE(best_under_every_reading({{3, 2, 1}, {0.5, 0.05, 0.1}}, 2));  // (10) first under one reading
  EXPECT_FALSE(best_under_every_reading({{3, 1, 1}}, 2));                    // a tie is not "best"
  EXPECT_FALSE(best_under_every_reading({}, 2));
  EXPECT_FALSE(best_under_every_reading({{1, 2}}, 2));
  EXPECT_EQ(best_index({0.3, 0.1, 0.2}), 1u);
  EXPECT_EQ(best_index({0.1, 0.1, 0.2}), 0u);
}

TEST(SuperaccRules, RegressionStepsMustNotRiseWithSigma) {
  const double inf = INFINITY;
  EXPECT_EQ(steps_fall_with_sigma({50, 40, 40, 30, 10}), Monotone::kHolds);  // a tie is allowed
  EXPECT_EQ(steps_fall_with_sigma({50, 40, 45, 30, 10}), Monotone::kRises);
  EXPECT_EQ(first_rise({50, 40, 45, 30, 10}), 2u);
  EXPECT_EQ(first_rise({50, 40, 40, 30, 10}), 5u);
  EXPECT_EQ(steps_fall_with_sigma({inf, inf, 30, 20, 20}), Monotone::kHolds);  // never, never, then reached
  EXPECT_EQ(steps_fall_with_sigma({30, 20, inf, 10, 5}), Monotone::kRises);    // reached, then never
  EXPECT_EQ(first_rise({30, 20, inf, 10, 5}), 2u);
  EXPECT_EQ(steps_fall_with_sigma({20, 20, 20, 20, 30}), Monotone::kRises);   // the largest sigma slower
  EXPECT_EQ(steps_fall_with_sigma({inf, inf, inf, inf, inf}), Monotone::kNoneReached);
}

// Eleven evaluations, steps 0..10, values moving linearly from `from` to `to` by step `at` and
// staying there.
std::vector<double> ramp(double from, double to, int at) {
  std::vector<double> v;
  for (int t = 0; t <= 10; ++t) v.push_back(t >= at ? to : from + (to - from) * t / at);
  return v;
}

Curve curve(double loss_end, int loss_at, double acc_end, int acc_at) {
  Curve c;
  for (int t = 0; t <= 10; ++t) c.step.push_back(t);
  c.loss = ramp(1.0, loss_end, loss_at);
  c.acc = ramp(0.1, acc_end, acc_at);
  return c;
}

TEST(SuperaccRules, MnistJudgesSigma4AgainstEachRivalAtSigma0Levels) {
  // sigma 0 ends at loss 0.5 and accuracy 0.6, so the levels are loss 0.75 and 0.55, accuracy 0.35
  // and 0.55. Loss of a run that ramps 1 -> 0.5 by step n reaches 0.75 at n/2 and 0.55 at 0.9 n.
  std::map<double, Curve> c;
  c[0.0] = curve(0.5, 10, 0.6, 10);  // loss levels at 5 and 9, accuracy at 5 and 9
  c[0.9] = curve(0.5, 6, 0.6, 6);    // 3 and 6 (5.4 -> first evaluation 6), 3 and 6
  c[2.0] = curve(0.5, 4, 0.6, 2);    // loss 2 and 4 (3.6 -> 4); accuracy 1 and 2 (1.8 -> 2)
  c[4.0] = curve(0.3, 4, 0.9, 4);    // loss 0.75 at 1.43 -> 2, 0.55 at 2.86 -> 3; accuracy 0.35 at 1.2 -> 2, 0.55 at 2.57 -> 3
  c[20.0] = curve(0.5, 1, 0.6, 1);   // fastest of all, and not judged
  const MnistJudgement j = judge_against_each(c, 4.0, {0.0, 0.9, 2.0}, 0.0);
  ASSERT_EQ(j.levels.size(), 4u);
  EXPECT_EQ(j.total, 4);
  EXPECT_NEAR(j.levels[0].level, 0.75, 1e-12);
  EXPECT_NEAR(j.levels[1].level, 0.55, 1e-12);
  EXPECT_NEAR(j.levels[2].level, 0.35, 1e-12);
  EXPECT_NEAR(j.levels[3].level, 0.55, 1e-12);
  EXPECT_EQ(j.levels[0].steps.at(4.0), 2);
  EXPECT_EQ(j.levels[1].steps.at(4.0), 3);
  EXPECT_EQ(j.levels[1].steps.at(0.9), 6);
  EXPECT_EQ(j.levels[3].steps.at(2.0), 2);
  EXPECT_EQ(j.wins.at(0.0), 4);
  EXPECT_EQ(j.wins.at(0.9), 4);
  // Against sigma 2: loss 0.75 a tie (2 vs 2), loss 0.55 first (3 vs 4), accuracy behind (2 vs 1, 3 vs 2).
  EXPECT_EQ(j.wins.at(2.0), 1);
  EXPECT_FALSE(j.levels[0].degenerate);
  // The levels do not move with sigma 4's own result (the rule before took them from the best final
  // value, which sigma 4 set here).
  std::map<double, Curve> c2 = c;
  c2[4.0] = curve(0.05, 4, 0.99, 4);
  const MnistJudgement j2 = judge_against_each(c2, 4.0, {0.0, 0.9, 2.0}, 0.0);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(j2.levels[i].level, j.levels[i].level);
  // A reference that makes no progress puts every level at the start: all tie at step 0, none won.
  std::map<double, Curve> c3 = c;
  c3[0.0] = curve(1.0, 10, 0.1, 10);
  const MnistJudgement j3 = judge_against_each(c3, 4.0, {0.0, 0.9, 2.0}, 0.0);
  EXPECT_TRUE(j3.levels[0].degenerate);
  EXPECT_EQ(j3.levels[0].steps.at(4.0), 0);
  EXPECT_EQ(j3.wins.at(0.0) + j3.wins.at(0.9) + j3.wins.at(2.0), 0);
  // Never against never counts against the claim.
  EXPECT_EQ(steps_to({0, 1, 2}, {1.0, 0.9, 0.8}, 0.5, true), INFINITY);
  EXPECT_EQ(steps_to({0, 5, 10}, {0.1, 0.4, 0.8}, 0.4, false), 5);
}

TEST(SuperaccRules, TrapAndTwoPointCycleThresholds) {
  const TrapThresholds t;
  // sigma 7 of Fig. 3 as l.198 describes it: away from the minimum, alternating between two points.
  EXPECT_TRUE(is_trapped(1.1, 1e-9, t));
  EXPECT_TRUE(is_two_point_cycle(1.1, 0.05, 1e-9, t));
  EXPECT_FALSE(is_two_point_cycle(1.1, 0.005, 1e-9, t));  // barely moving: a fixed point, not a cycle
  EXPECT_FALSE(is_two_point_cycle(1.1, 0.05, 1e-4, t));   // stalled but not yet a clean cycle
  EXPECT_TRUE(is_trapped(1.1, 1e-4, t));
  EXPECT_FALSE(is_trapped(0.05, 1e-9, t));  // at the minimum
  EXPECT_FALSE(is_trapped(1.1, 0.01, t));   // still moving
  TrapThresholds loose = t;
  loose.cycle_still = 2e-4;
  EXPECT_TRUE(is_two_point_cycle(1.1, 0.05, 1e-4, loose));
}

}  // namespace
