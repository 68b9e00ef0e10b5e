// The math behind the BELAY and ECDSep reproductions: eqs. 6-8 of the ECDSep paper (001, l.52-60)
// against values computed by hand and in closed form, the verdict rules of the BELAY experiments on
// hand-made sequences, and quick runs that must report the paper's own numbers.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../../tools/experiments/belay_rules.h"
#include "../../tools/experiments/ecd_theory.h"
#include "tools/cli_runner.h"

namespace fs = std::filesystem;
namespace ex = momenta::cli::experiments;

namespace {

using momenta::testing::slurp;

// ---- ECDSep, Sec. 2 ----

TEST(EcdTheory, Eq7ByHand) {
  // n = 10, F2 = 1/2, F_min - F0 = 1: Theta_*^2 = 9 / (0.5 (1 + 10 (eta - 1))).
  EXPECT_NEAR(ex::ecd_eq7_peak_radius_sq(10, 0.5, 1.0, 2.0), 9.0 / 5.5, 1e-14);
  EXPECT_NEAR(ex::ecd_eq7_peak_radius_sq(10, 0.5, 1.0, 1.0), 18.0, 1e-12);
  EXPECT_NEAR(ex::ecd_eq7_peak_radius_sq(4, 2.0, 3.0, 3.0), 3.0 * 3 / (2.0 * 9), 1e-14);
  // F_min = F0 (the paper's experiments, F0 = 0): the peak is at the minimum for every eta (l.64).
  EXPECT_EQ(ex::ecd_eq7_peak_radius_sq(10, 0.5, 0.0, 4.0), 0.0);
}

TEST(EcdTheory, Eq7IsThePeakOfEq6) {
  for (double eta : {1.5, 2.0, 3.0, 6.0})
    for (int n : {3, 10, 50}) {
      const double F2 = 0.7, gap = 1.3, r_star = std::sqrt(ex::ecd_eq7_peak_radius_sq(n, F2, gap, eta));
      double best = 0, best_lp = -INFINITY;
      for (int i = 1; i <= 200000; ++i) {
        const double r = 3.0 * r_star * i / 200000;
        const double lp = ex::ecd_eq6_log_radial(r, n, F2, gap, eta);
        if (lp > best_lp) best_lp = lp, best = r;
      }
      EXPECT_NEAR(best, r_star, 2e-4 * r_star) << "n " << n << " eta " << eta;
    }
}

TEST(EcdTheory, Eq8ByHandAndFromEq5) {
  // E = 4, n = 10, gap = 1, eta = 2: sqrt(4) (20 / 11)^1.
  EXPECT_NEAR(ex::ecd_eq8_peak_speed(4.0, 10, 1.0, 2.0), 40.0 / 11.0, 1e-13);
  // Eq. 8 is eq. 5 (Theta-dot^2 = E (F - F0)^eta) at Theta_*: F - F0 = F2 Theta_*^2 + gap.
  for (double eta : {1.0, 2.5, 4.0}) {
    const double E = 3.0, F2 = 0.25, gap = 0.8;
    const double w = F2 * ex::ecd_eq7_peak_radius_sq(7, F2, gap, eta) + gap;
    EXPECT_NEAR(ex::ecd_eq8_peak_speed(E, 7, gap, eta), std::sqrt(E * std::pow(w, eta)), 1e-12) << eta;
  }
}

TEST(EcdTheory, Eq6MeanMatchesTheBetaPrimeClosedForm) {
  // u = F2 r^2 / gap has density u^(n/2 - 1) (1 + u)^(-eta n/2): a beta-prime law with a = n/2,
  // b = n (eta - 1)/2, so <r^2> = (gap / F2) a / (b - 1).
  for (double eta : {1.5, 2.0, 3.0}) {
    const int n = 10;
    const double F2 = 0.5, gap = 1.0, a = n / 2.0, b = n * (eta - 1) / 2.0;
    const double exact = gap / F2 * a / (b - 1);
    const double r_star = std::sqrt(ex::ecd_eq7_peak_radius_sq(n, F2, gap, eta));
    EXPECT_NEAR(ex::ecd_eq6_mean_r2(n, F2, gap, eta, 60 * r_star, 400000), exact, 1e-3 * exact) << eta;
  }
}

TEST(EcdTheory, KdeModeFindsTheMode) {
  // A sample piled around 1.3, thinning linearly to 0.3 and 2.3: mode 1.3 (grid step 3/399).
  std::vector<double> r;
  for (int k = 0; k < 100; ++k)
    for (int j = 0; j < 100 - k; ++j) {
      r.push_back(1.3 + 0.01 * k);
      r.push_back(1.3 - 0.01 * k);
    }
  EXPECT_NEAR(ex::kde_mode(r, 0.0, 3.0, 0.05), 1.3, 0.02);
  // Skewed: twice as many points on one side does not move a sharp peak.
  std::vector<double> s(500, 0.8);
  for (int k = 1; k < 50; ++k) s.insert(s.end(), {0.8 + 0.02 * k, 0.8 + 0.02 * k});
  EXPECT_NEAR(ex::kde_mode(s, 0.0, 2.0, 0.02), 0.8, 0.01);
}

// ---- BELAY verdict rules ----

TEST(BelayRules, ConvergenceStepIsWhereItStaysInside) {
  EXPECT_EQ(ex::convergence_step({3, 2, 0.05, 0.2, 0.05, 0.01}, 0.1), 4);
  EXPECT_EQ(ex::convergence_step({0.01, 0.02}, 0.1), 0);
  EXPECT_EQ(ex::convergence_step({0.01, 0.5}, 0.1), -1);
  EXPECT_EQ(ex::convergence_step({0.01, NAN}, 0.1), -1);
  EXPECT_EQ(ex::convergence_step({}, 0.1), -1);
}

TEST(BelayRules, StaysWithinLooksAtTheTail) {
  EXPECT_TRUE(ex::stays_within({5, 5, 0.05, 0.05}, 0.1, 2));
  EXPECT_FALSE(ex::stays_within({5, 5, 0.5, 0.05}, 0.1, 2));
  EXPECT_FALSE(ex::stays_within({0.05, INFINITY}, 0.1, 1));
  EXPECT_FALSE(ex::stays_within({}, 0.1, 1));
}

TEST(BelayRules, SpeedRankCountsStrictlyFasterConvergedOthers) {
  const std::vector<int64_t> steps = {100, -1, 50, 100, 10, -1};
  EXPECT_EQ(ex::speed_rank(steps, 4), 1);
  EXPECT_EQ(ex::speed_rank(steps, 2), 2);
  EXPECT_EQ(ex::speed_rank(steps, 0), 3);  // ties do not count against
  EXPECT_EQ(ex::speed_rank(steps, 3), 3);
  EXPECT_EQ(ex::speed_rank(steps, 1), 5);  // not converged: behind every converged run
}

TEST(BelayRules, RobustnessRulesCanEachFail) {
  const std::vector<double> lrs = {1e-3, 1e-2, 1e-1, 1.0};
  std::map<std::string, ex::BelayLrSummary> s = {
      {"SGD", ex::summarize_lr_grid(lrs, {true, false, false, false})},
      {"EMA+SGD", ex::summarize_lr_grid(lrs, {true, true, false, false})},
      {"BELAY+SGD", ex::summarize_lr_grid(lrs, {true, true, false, false})},
      {"Adam", ex::summarize_lr_grid(lrs, {true, true, false, false})},
      {"EMA+Adam", ex::summarize_lr_grid(lrs, {true, true, true, true})},
      {"BELAY+Adam", ex::summarize_lr_grid(lrs, {true, true, true, true})}};
  EXPECT_EQ(s["BELAY+Adam"].count, 4);
  EXPECT_EQ(s["EMA+Adam"].max_lr, 1.0);
  auto r = ex::judge_robustness(s);
  EXPECT_TRUE(r.adam_over_sgd);
  EXPECT_TRUE(r.adam_averagers_highest);
  EXPECT_TRUE(r.averaging_helps_sgd);
  s["EMA+Adam"] = ex::summarize_lr_grid(lrs, {true, true, false, false});  // no higher than Adam
  s["BELAY+SGD"] = ex::summarize_lr_grid(lrs, {true, false, false, false});  // no higher than SGD
  s["SGD"] = ex::summarize_lr_grid(lrs, {true, true, false, false});        // as many as Adam
  r = ex::judge_robustness(s);
  EXPECT_FALSE(r.adam_over_sgd);
  EXPECT_FALSE(r.adam_averagers_highest);
  EXPECT_FALSE(r.averaging_helps_sgd);
}

// ---- quick runs ----

class BelayEcdQuick : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("momenta_belayecd_" + std::to_string(::getpid()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(BelayEcdQuick, EcdEtaReportsEq7) {
  const auto r = momenta::testing::run_cli("reproduce ecd-eta --quick --out " + root_.string());
  ASSERT_EQ(r.code, 0) << r.output;
  std::istringstream csv(slurp(root_ / "peak_vs_eta.csv"));
  std::string line;
  std::getline(csv, line);
  int rows = 0;
  while (std::getline(csv, line)) {
    double eta = 0, r_star = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%lf,%lf", &eta, &r_star), 2) << line;
    // n = 10, F2 = 1/2, F_min - F0 = 1.
    EXPECT_NEAR(r_star, std::sqrt(9.0 / (0.5 * (1 + 10 * (eta - 1)))), 1e-9) << line;
    ++rows;
  }
  EXPECT_EQ(rows, 2);
  const std::string rep = slurp(root_ / "report.md");
  EXPECT_NE(rep.find("l.56"), std::string::npos);
  EXPECT_NE(rep.find("De Luca, Gatti & Silverstein"), std::string::npos);
}

TEST_F(BelayEcdQuick, BelayTrajectoriesUseAppendixC2) {
  const auto r = momenta::testing::run_cli("reproduce belay-trajectories --quick --out " + root_.string());
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string rep = slurp(root_ / "report.md");
  EXPECT_EQ(rep.find("ASSUMED"), std::string::npos);
  for (const char* row : {"| Rosenbrock (a=0, b=100) | BELAY+Adam | 0.05 |", "| shifted Beale | BELAY+SGD | 0.01 |",
                          "| shifted Beale | EMA+Adam | 0.01 |", "| shifted Beale | EMA+SGD | 0.001 |",
                          "| Rosenbrock (a=0, b=100) | Adam | 0.001 |", "| Rosenbrock (a=0, b=100) | SGD | 0.001 |"})
    EXPECT_NE(rep.find(row), std::string::npos) << row << "\n" << rep;
}

TEST_F(BelayEcdQuick, BelayRobustnessIsRosenbrockOnly) {
  const auto r = momenta::testing::run_cli("reproduce belay-robustness --quick --out " + root_.string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_TRUE(fs::exists(root_ / "heatmap_rosenbrock_belay.svg"));
  EXPECT_FALSE(fs::exists(root_ / "heatmap_beale_shifted.svg"));
  const std::string rep = slurp(root_ / "report.md");
  EXPECT_NE(rep.find("l.130"), std::string::npos);
  EXPECT_NE(rep.find("weight on the OLD average"), std::string::npos);  // the alpha reading is stated
  // The verdict is the three rules of l.132; BELAY against EMA is not one of them.
  EXPECT_NE(rep.find("(a) Adam more stable than SGD: "), std::string::npos);
  EXPECT_EQ(rep.find("at least as many learning rates as its base optimizer and EMA"), std::string::npos);
}

TEST_F(BelayEcdQuick, EcdSyntheticRunsBothAckleysWithTheTextRanges) {
  const auto r = momenta::testing::run_cli("reproduce ecd-synthetic --quick --out " + root_.string());
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string rep = slurp(root_ / "report.md");
  for (const char* s : {"| Ackley, eq. 29 (b = 0.2) | ECDSep |", "| Ackley, notebook (b = 0.02) | Adam |",
                        "| Zakharov n=10 | BBI |", "lr (1e-2, 1e4)", "eta (1, 10)", "l.412", "l.420", "l.211",
                        "De Luca, Gatti & Silverstein"})
    EXPECT_NE(rep.find(s), std::string::npos) << s;
  EXPECT_EQ(rep.find("| Ackley, eq. 29 (b = 0.2) | BBI |"), std::string::npos);  // BBI only on Zakharov (l.211)
}

}  // namespace
