// belay-diffusion (tools/experiments/belay_diffusion.cpp): the verdict and learning-rate rules on
// hand-made numbers (NOTE [belay-diffusion rule], NOTE [belay-diffusion rate]), and a quick run
// on written MNIST files: the report quotes Table 4.1 and App. C.3 with their lines, states the EMA
// rate and the data, and writes finite tables, the curves, the plots and both sample grids.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "../../tools/experiments/belay_diffusion_rules.h"
#include "tools/cli_runner.h"

namespace fs = std::filesystem;
namespace ex = momenta::cli::experiments;

namespace {

using momenta::testing::run_cli;
using momenta::testing::slurp;

TEST(BelayDiffusionRule, LowerOnEverySeedAndBeyondTheSpread) {
  // Gap 1.0, spreads 0.1: better.
  auto c = ex::compare_paired({1.0, 1.1, 0.9}, {2.0, 2.1, 1.9});
  EXPECT_EQ(c.seeds, 3);
  EXPECT_EQ(c.belay_lower, 3);
  EXPECT_NEAR(c.gap, 1.0, 1e-12);
  EXPECT_NEAR(c.spread, 0.1, 1e-12);
  EXPECT_TRUE(c.better);
  // Lower on every seed, but the gap (0.05) is inside the spread (about 0.5): not better.
  c = ex::compare_paired({1.0, 2.0}, {1.05, 2.05});
  EXPECT_EQ(c.belay_lower, 2);
  EXPECT_FALSE(c.beyond_spread);
  EXPECT_FALSE(c.better);
  // A seed where EMA is lower fails even with a large mean gap.
  c = ex::compare_paired({1.0, 1.0, 5.0}, {9.0, 9.0, 4.0});
  EXPECT_EQ(c.belay_lower, 2);
  EXPECT_FALSE(c.better);
  // A diverged run (NaN) fails.
  c = ex::compare_paired({1.0, NAN}, {2.0, 2.0});
  EXPECT_FALSE(c.better);
  // One seed: the spread is unknown and the sign decides.
  c = ex::compare_paired({1.0}, {2.0});
  EXPECT_FALSE(c.spread_known);
  EXPECT_TRUE(c.better);
  EXPECT_FALSE(ex::compare_paired({2.0}, {2.0}).better);  // a tie is not lower
}

TEST(BelayDiffusionRule, ThePapersRateUnlessItFails) {
  EXPECT_EQ(ex::choose_rate({1.0, 2.0, 3.0}), 0);  // the paper's rate trains best
  EXPECT_EQ(ex::choose_rate({1.0, 1.0, 3.0}), 0);  // a tie keeps it
  EXPECT_EQ(ex::choose_rate({5.0, 2.0, 3.0}), 1);  // a smaller rate ends lower
  EXPECT_EQ(ex::choose_rate({NAN, 4.0, 3.0}), 2);  // diverged
  EXPECT_EQ(ex::choose_rate({INFINITY, NAN, 3.0}), 2);
  EXPECT_EQ(ex::choose_rate({NAN, NAN, NAN}), -1);
}

// The rows of a CSV after its header, as numbers.
std::vector<std::vector<double>> csv_rows(const std::string& text) {
  std::vector<std::vector<double>> rows;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::vector<double> r;
    std::istringstream f(line);
    std::string cell;
    while (std::getline(f, cell, ',')) r.push_back(std::strtod(cell.c_str(), nullptr));
    rows.push_back(r);
  }
  return rows;
}

class BelayDiffusionQuick : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("momenta_belay_diffusion_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    // A small MNIST-like set (written IDX files; "MNIST" to the experiment, which finds it by --data-dir).
    fs::create_directories(root_ / "mnist");
    momenta::testing::write_idx_split(root_ / "mnist", "train", 300);
    momenta::testing::write_idx_split(root_ / "mnist", "t10k", 300);
    result_ = run_cli("reproduce belay-diffusion --quick --data-dir " + (root_ / "mnist").string() + " --out " +
                      (root_ / "out").string());
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  static fs::path root_;
  static momenta::testing::CmdResult result_;
};
fs::path BelayDiffusionQuick::root_;
momenta::testing::CmdResult BelayDiffusionQuick::result_;

// One test, so that ctest (a process per test) runs the experiment once.
TEST_F(BelayDiffusionQuick, WritesTheReportTablesPlotsAndGrids) {
  ASSERT_EQ(result_.code, 0) << result_.output;
  const std::string rep = slurp(root_ / "out" / "report.md");
  for (const char* s : {"**Verdict:** the claim ", "### Table 4.1", "### Fig. 4", "### Fig. 5", "l.148-153", "l.300", "l.315",
                        "0.042 / 0.040 / 15.2", "0.056 / 0.061 / 18.1", "| BELAY (m1 = 2000) |", "| EMA (decay 0.999) |",
                        "m2 = 500", "decay 0.999 on the old average", "Data: **MNIST**", "FID, momenta classifier features",
                        "Adam lr", "Rate used: **", "seed spread", "samples_ema.png", "samples_belay.png"})
    EXPECT_NE(rep.find(s), std::string::npos) << s << "\n" << rep;
  const fs::path out = root_ / "out";
  for (const char* f : {"final.csv", "curves.csv", "fid.csv", "lr_probe.csv", "fig4_train_loss.svg", "fig4_test_loss.svg",
                        "fig4_fid.svg", "fig5_train_loss.svg", "fig5_test_loss.svg", "samples_ema.png", "samples_belay.png"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  // final.csv: arm, seed, train_loss, test_loss, fid, train_loss_model, test_loss_model, diverged, seconds.
  const auto fin = csv_rows(slurp(out / "final.csv"));
  int table_rows = 0, fig5_rows = 0;
  for (const auto& r : fin) {
    ASSERT_EQ(r.size(), 9u);
    if (r[7] != 0.0) continue;  // a diverged run is reported as such, not as numbers
    for (size_t k : {2, 3, 5, 6}) EXPECT_TRUE(std::isfinite(r[k]) && r[k] > 0) << k;
    if (r[0] < 2) {
      ++table_rows;
      EXPECT_TRUE(std::isfinite(r[4]) && r[4] >= 0);  // FID of Table 4.1's arms
    } else {
      ++fig5_rows;
      EXPECT_TRUE(std::isnan(r[4]));  // Fig. 5's arms are not sampled
    }
  }
  EXPECT_EQ(table_rows, 4);  // EMA and BELAY, 2 seeds
  EXPECT_EQ(fig5_rows, 2);   // m1 = 2e4 and 2e5, one seed
  // The seeds of an arm differ (different initial weights), the arms of a seed too (different averagers).
  EXPECT_NE(fin[0][3], fin[1][3]);
  // curves.csv: the last checkpoint of each run is its final row.
  const auto curves = csv_rows(slurp(out / "curves.csv"));
  ASSERT_FALSE(curves.empty());
  for (const auto& r : curves)
    for (size_t k = 3; k < 7; ++k) EXPECT_TRUE(std::isfinite(r[k])) << k;
  const auto probe = csv_rows(slurp(out / "lr_probe.csv"));
  ASSERT_EQ(probe.size(), 3u);
  EXPECT_EQ(probe[0][0], 5e-2);  // the paper's rate is probed first
}

}  // namespace
