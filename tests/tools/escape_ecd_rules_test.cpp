// The restated verdicts of adai-escape (a second landscape below the two-valley variance, p = 1/2
// excluded for Momentum and Adai) and ecd-eta (several runs, a noise-aware interval against
// eq. 7's 10%), on their --quick runs, and the kernel bias of ecd-eta's mode estimator.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "../../tools/experiments/ecd_theory.h"
#include "tools/cli_runner.h"

namespace fs = std::filesystem;
namespace ex = momenta::cli::experiments;

namespace {

using momenta::testing::slurp;

class EscapeEcdQuick : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("momenta_escape_ecd_" + std::to_string(::getpid()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(EscapeEcdQuick, AdaiEscapeReportsBothLandscapes) {
  const auto r = momenta::testing::run_cli("reproduce adai-escape --quick --out " + root_.string());
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string rep = slurp(root_ / "report.md");
  const std::string headline = rep.substr(rep.find("**Headline:**"), rep.find("## The paper's claim") - rep.find("**Headline:**"));
  EXPECT_NE(headline.find("ONE valley per coordinate (two only below variance 1.936)"), std::string::npos) << headline;
  EXPECT_NE(headline.find("Beside it, variance 1.5 (two valleys)"), std::string::npos) << headline;
  EXPECT_NE(headline.find("(width "), std::string::npos) << headline;
  for (const char* s : {"p = 1 inside the interval AND p = 1/2 outside it", "chi^2(1/2) - chi^2(1)",
                        "Beside it, not in the verdict: at variance 1.5 (two valleys)", "of 7 checks of Fig. 6's claim",
                        "### Data variance 4", "### Data variance 1.5", "**Checks on this landscape:**"})
    EXPECT_NE(rep.find(s), std::string::npos) << s;
  // The two-valley runs start in the averaged loss's minimum and stop at its saddle (var = 1.5).
  EXPECT_NE(rep.find("minimum y = -2.028"), std::string::npos);
  EXPECT_NE(rep.find("saddle y = 0.371"), std::string::npos);
  const std::string csv = slurp(root_ / "escape_rates_two_valleys.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 12);
  EXPECT_TRUE(fs::exists(root_ / "neg_log_rate_vs_inv_k_two_valleys.svg"));
}

TEST_F(EscapeEcdQuick, EcdEtaJudgesANoiseAwareInterval) {
  const auto r = momenta::testing::run_cli("reproduce ecd-eta --quick --out " + root_.string());
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string rep = slurp(root_ / "report.md");
  for (const char* s : {"3 independent runs", "95% interval of the peak", "kernel bias of the estimator",
                        "have their 95% interval inside 10% of eq. 7", "t_{2} 4.303"})
    EXPECT_NE(rep.find(s), std::string::npos) << s;
  const std::string csv = slurp(root_ / "peak_vs_eta.csv");
  EXPECT_EQ(csv.substr(0, csv.find('\n')),
            "eta,eq7_peak_radius,measured_peak_radius,standard_error_peak,kernel_smoothed_eq6_mode,eq6_mean_r2,"
            "measured_mean_r2,standard_error_r2,eq8_speed_per_lr,measured_speed_per_lr");
}

TEST(EcdKernelBias, SmoothedModeOfEq6) {
  // n = 10, F2 = 1/2, gap = 1, eta = 1.5: eq. 7 gives sqrt(3). A narrow kernel finds it to the grid's
  // resolution (3 sqrt(3)/399); the radial density is skewed to the right (its tail falls as
  // r^-6), so a wide kernel moves the mode outwards.
  const double star = std::sqrt(ex::ecd_eq7_peak_radius_sq(10, 0.5, 1.0, 1.5));
  EXPECT_NEAR(star, std::sqrt(3.0), 1e-12);
  const double narrow = ex::ecd_eq6_smoothed_mode(10, 0.5, 1.0, 1.5, 0.0, 3 * star, 0.002 * star, 60 * star, 400000);
  EXPECT_NEAR(narrow, star, 3 * star / 399);
  const double wide = ex::ecd_eq6_smoothed_mode(10, 0.5, 1.0, 1.5, 0.0, 3 * star, 0.3 * star, 60 * star, 200000);
  EXPECT_GT(wide, star + 0.05);
  // It is the limit of kde_mode on samples of eq. 6: draw 200,000 radii by inverting the CDF.
  std::vector<double> grid_r, cdf;
  double acc = 0;
  for (int i = 0; i < 200000; ++i) {
    const double rr = 60 * star * (i + 0.5) / 200000;
    acc += std::exp(ex::ecd_eq6_log_radial(rr, 10, 0.5, 1.0, 1.5) - ex::ecd_eq6_log_radial(star, 10, 0.5, 1.0, 1.5));
    grid_r.push_back(rr), cdf.push_back(acc);
  }
  std::mt19937_64 gen(3);
  std::uniform_real_distribution<double> u(0.0, acc);
  std::vector<double> sample;
  for (int i = 0; i < 200000; ++i)
    sample.push_back(grid_r[static_cast<size_t>(std::lower_bound(cdf.begin(), cdf.end(), u(gen)) - cdf.begin())]);
  EXPECT_NEAR(ex::kde_mode(sample, 0.0, 3 * star, 0.3 * star), wide, 0.05 * star);
}

}  // namespace
