// Rule (b) of belay-robustness (000, l.132: "in the high learning rate regime, only BELAY and EMA,
// applied to Adam, are capable of converging"), restated so that one isolated converged rate
// cannot carry it: each Adam averager needs consecutive converged grid rates above the largest
// rate at which any other method converged (tools/experiments/belay_rules.h).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "../../tools/experiments/belay_rules.h"

namespace ex = momenta::cli::experiments;

namespace {

// A grid of six rates, 1e-3 to 100, and the four "other" methods converging up to 1e-2.
const std::vector<double> kLrs = {1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0};

std::map<std::string, ex::BelayLrSummary> base() {
  const std::vector<bool> low = {true, true, false, false, false, false};
  return {{"SGD", ex::summarize_lr_grid(kLrs, low)},
          {"Adam", ex::summarize_lr_grid(kLrs, low)},
          {"EMA+SGD", ex::summarize_lr_grid(kLrs, low)},
          {"BELAY+SGD", ex::summarize_lr_grid(kLrs, low)},
          {"EMA+Adam", ex::summarize_lr_grid(kLrs, {true, true, true, true, false, false})},
          {"BELAY+Adam", ex::summarize_lr_grid(kLrs, {true, true, true, true, true, false})}};
}

TEST(BelayRuleB, LongestRunAboveCountsOnlyConsecutiveConvergedRates) {
  const ex::BelayLrSummary s = ex::summarize_lr_grid(kLrs, {true, false, true, false, true, true});
  EXPECT_EQ(s.longest_run_above(0.0), 2);    // 10, 100
  EXPECT_EQ(s.longest_run_above(10.0), 1);   // 100 only: strictly above
  EXPECT_EQ(s.longest_run_above(100.0), 0);
  EXPECT_EQ(s.longest_run_above(1e-2), 2);
  EXPECT_EQ(ex::summarize_lr_grid(kLrs, std::vector<bool>(6, false)).longest_run_above(0.0), 0);
}

TEST(BelayRuleB, ContiguousRunsAboveTheOthersHold) {
  const ex::BelayRobustness r = ex::judge_robustness(base());
  EXPECT_DOUBLE_EQ(r.others_max_lr, 1e-2);
  EXPECT_EQ(r.ema_adam_run, 2);    // 0.1, 1
  EXPECT_EQ(r.belay_adam_run, 3);  // 0.1, 1, 10
  EXPECT_TRUE(r.adam_averagers_highest);
}

TEST(BelayRuleB, AnIsolatedSuccessDoesNotCarryIt) {
  // The case the review found: EMA+Adam converges at one high rate with both neighbours failing.
  // Its largest converged rate exceeds every other method's, which the old rule accepted.
  auto s = base();
  s["EMA+Adam"] = ex::summarize_lr_grid(kLrs, {true, true, false, true, false, false});
  EXPECT_GT(s["EMA+Adam"].max_lr, 1e-2);
  const ex::BelayRobustness r = ex::judge_robustness(s);
  EXPECT_EQ(r.ema_adam_run, 1);
  EXPECT_FALSE(r.adam_averagers_highest);
}

TEST(BelayRuleB, AnotherMethodsIsolatedHighSuccessRaisesTheThreshold) {
  // SGD converging once at 1 (isolated) still counts against "only the Adam averagers": above 1,
  // EMA+Adam converges nowhere.
  auto s = base();
  s["SGD"] = ex::summarize_lr_grid(kLrs, {true, true, false, true, false, false});
  const ex::BelayRobustness r = ex::judge_robustness(s);
  EXPECT_DOUBLE_EQ(r.others_max_lr, 1.0);
  EXPECT_EQ(r.ema_adam_run, 0);
  EXPECT_EQ(r.belay_adam_run, 1);
  EXPECT_FALSE(r.adam_averagers_highest);
}

TEST(BelayRuleB, BothAdamAveragersAreNeeded) {
  auto s = base();
  s["BELAY+Adam"] = ex::summarize_lr_grid(kLrs, {true, true, true, false, true, false});  // 0.1, then a gap
  const ex::BelayRobustness r = ex::judge_robustness(s);
  EXPECT_EQ(r.belay_adam_run, 1);
  EXPECT_FALSE(r.adam_averagers_highest);
}

TEST(BelayRuleB, TopOfLongestRunIgnoresIsolatedSuccesses) {
  EXPECT_DOUBLE_EQ(ex::summarize_lr_grid(kLrs, {true, true, false, true, false, false}).top_of_longest_run(), 1e-2);
  // A tie goes to the higher run.
  EXPECT_DOUBLE_EQ(ex::summarize_lr_grid(kLrs, {true, true, false, true, true, false}).top_of_longest_run(), 10.0);
  EXPECT_DOUBLE_EQ(ex::summarize_lr_grid(kLrs, std::vector<bool>(6, false)).top_of_longest_run(), 0.0);
}

}  // namespace
