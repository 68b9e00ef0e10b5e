// The scaled paper tables (adai-table, ecd-table): the table arithmetic and the verdict rule of
// table_rules.h against values worked by hand, and --quick runs on a small generated dataset whose
// reports must show one mean ± std per optimizer, cite the paper's lines and state the scaling; a
// missing dataset must say so.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>

#include "../../tools/experiments/table_rules.h"
#include "tools/cli_runner.h"

namespace fs = std::filesystem;
namespace ex = momenta::cli::experiments;

namespace {

using momenta::testing::slurp;

ex::TableRow row(const std::string& name, double mean, double sd, bool ours) {
  ex::MeanSd s;
  s.mean = mean;
  s.sd = sd;
  s.n = 3;
  return {name, s, ours};
}

TEST(TableRules, MeanAndSampleSd) {
  const ex::MeanSd a = ex::mean_sd({1.0, 2.0, 3.0});
  EXPECT_DOUBLE_EQ(a.mean, 2.0);
  EXPECT_DOUBLE_EQ(a.sd, 1.0);  // sqrt((1 + 0 + 1) / 2)
  const ex::MeanSd b = ex::mean_sd({4.0, 8.0});
  EXPECT_DOUBLE_EQ(b.mean, 6.0);
  EXPECT_NEAR(b.sd, std::sqrt(8.0), 1e-14);
  EXPECT_EQ(ex::mean_sd({5.0}).sd, 0.0);
  EXPECT_TRUE(std::isnan(ex::mean_sd({}).mean));
  EXPECT_TRUE(std::isnan(ex::mean_sd({1.0, NAN, 2.0}).mean));
  EXPECT_EQ(ex::pm_text(a), "2.00 ± 1.00");
  EXPECT_EQ(ex::pm_text(ex::mean_sd({1.0, NAN})), "diverged");
}

TEST(TableRules, EpochScaling) {
  // Adai's milestones {80, 160} of 200 epochs (002, l.1681); ECDSep's swa-start 161 of 300 (001, l.224).
  EXPECT_EQ(ex::scale_epoch(80, 200, 10), 4);
  EXPECT_EQ(ex::scale_epoch(160, 200, 10), 8);
  EXPECT_EQ(ex::scale_epoch(80, 200, 200), 80);
  EXPECT_EQ(ex::scale_epoch(161, 300, 10), 5);  // 5.37
  EXPECT_EQ(ex::scale_epoch(161, 300, 300), 161);
  EXPECT_EQ(ex::scale_epoch(1, 200, 2), 1);  // 0.01 rounds to 0: kept at the first epoch
  EXPECT_EQ(ex::scale_epoch(160, 200, 2), 2);
}

TEST(TableRules, JudgeLowerIsBetter) {
  // Both of the paper's methods below every baseline: held.
  auto j = ex::judge_table({row("SGDM", 5.0, 0.1, false), row("Adam", 6.0, 0.1, false), row("Adai", 4.8, 0.1, true),
                            row("AdaiW", 4.9, 0.2, true)},
                           true);
  EXPECT_EQ(j.verdict, ex::Verdict::kHeld);
  EXPECT_EQ(j.best_baseline, "SGDM");
  EXPECT_EQ(j.beats.size(), 2u);
  // One below, one above and outside one std: held in part.
  j = ex::judge_table({row("SGDM", 5.0, 0.1, false), row("Adai", 4.8, 0.1, true), row("AdaiW", 5.5, 0.1, true)}, true);
  EXPECT_EQ(j.verdict, ex::Verdict::kPartly);
  EXPECT_TRUE(j.close.empty());
  // Neither below, both within the larger std (0.3 of SGDM): held in part.
  j = ex::judge_table({row("SGDM", 5.0, 0.3, false), row("Adai", 5.2, 0.1, true), row("AdaiW", 5.3, 0.05, true)}, true);
  EXPECT_EQ(j.verdict, ex::Verdict::kPartly);
  EXPECT_EQ(j.close.size(), 2u);
  // One within, one outside: not held.
  j = ex::judge_table({row("SGDM", 5.0, 0.3, false), row("Adai", 5.2, 0.1, true), row("AdaiW", 5.31, 0.05, true)}, true);
  EXPECT_EQ(j.verdict, ex::Verdict::kNotHeld);
  // A tie with the best baseline's mean is not "lower".
  j = ex::judge_table({row("SGDM", 5.0, 0.0, false), row("Adai", 5.0, 0.0, true)}, true);
  EXPECT_EQ(j.verdict, ex::Verdict::kPartly);
  EXPECT_TRUE(j.beats.empty());
  // A diverged method (NaN) is never best nor close; a diverged baseline is never the best baseline.
  j = ex::judge_table({row("SGDM", NAN, NAN, false), row("Adam", 6.0, 0.1, false), row("Adai", NAN, NAN, true),
                       row("AdaiW", 5.9, 0.1, true)},
                      true);
  EXPECT_EQ(j.best_baseline, "Adam");
  EXPECT_EQ(j.verdict, ex::Verdict::kPartly);
  ASSERT_EQ(j.beats.size(), 1u);
  EXPECT_EQ(j.beats[0], "AdaiW");
}

TEST(TableRules, JudgeHigherIsBetter) {
  // The paper's own CIFAR-100 row (001, l.233) with App. B.2's spreads: ECDSep first.
  const ex::MeanSd ecd = ex::mean_sd({82.74, 82.6, 82.48, 82.45}), sgd = ex::mean_sd({82.59, 82.59, 82.41, 82.39});
  EXPECT_NEAR(ecd.mean, 82.5675, 1e-9);
  auto j = ex::judge_table({{"ECDSep", ecd, true}, {"SGDM", sgd, false}, row("Adam", 79.0, 0.3, false)}, false);
  EXPECT_EQ(j.verdict, ex::Verdict::kHeld);
  EXPECT_EQ(j.best_baseline, "SGDM");
  // Second, within one std of the leader: held in part; far behind: not held.
  j = ex::judge_table({row("ECDSep", 82.4, 0.2, true), row("SGDM", 82.5, 0.1, false)}, false);
  EXPECT_EQ(j.verdict, ex::Verdict::kPartly);
  j = ex::judge_table({row("ECDSep", 81.0, 0.2, true), row("SGDM", 82.5, 0.1, false)}, false);
  EXPECT_EQ(j.verdict, ex::Verdict::kNotHeld);
}

class ReproduceTables : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("momenta_tables_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(std::random_device{}()));
    fs::create_directories(root_ / "data");
    fs::create_directories(root_ / "empty");
    momenta::testing::write_idx_split(root_ / "data", "train", 600);
    momenta::testing::write_idx_split(root_ / "data", "t10k", 200);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  fs::path root_;
};

// Every optimizer has one table row with a mean ± std in percent.
void expect_rows(const std::string& report, const std::vector<std::string>& methods) {
  for (const auto& m : methods) {
    const std::regex re("\\| " + m + "( \\(paper's\\))? \\|[^\\n]*\\| [0-9]+\\.[0-9]{2} ± [0-9]+\\.[0-9]{2} \\|");
    EXPECT_TRUE(std::regex_search(report, re)) << m << " has no mean ± std row in:\n" << report;
  }
}

TEST_F(ReproduceTables, AdaiTableQuick) {
  const fs::path out = root_ / "adai";
  const auto r = momenta::testing::run_cli("reproduce adai-table --quick --data-dir " + (root_ / "data").string() +
                                           " --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string rep = slurp(out / "report.md");
  expect_rows(rep, {"SGDM", "Adam", "AdamW", "Adai", "AdaiW"});
  for (const char* cite : {"l.556", "l.1672-1690", "l.1681", "l.1678-1687", "l.557"})
    EXPECT_NE(rep.find(cite), std::string::npos) << cite;
  EXPECT_NE(rep.find("after epochs 1 and 2"), std::string::npos);  // {80, 160} of 200, scaled to 2 epochs
  EXPECT_NE(rep.find("Scaling to about an hour on 2 cores"), std::string::npos);
  EXPECT_NE(rep.find("256 of 600 training images, 200 of 200 test images"), std::string::npos) << "the scaling is not stated";
  EXPECT_TRUE(std::regex_search(rep, std::regex("\\*\\*Verdict:\\*\\* the claim (held|held in part|did not hold)\\. ")))
      << rep;
  EXPECT_NE(rep.find("Lower than every baseline: "), std::string::npos);
  const std::string runs = slurp(out / "runs.csv");
  EXPECT_EQ(std::count(runs.begin(), runs.end(), '\n'), 1 + 5 * 3);  // header, 5 optimizers x 3 seeds
}

TEST_F(ReproduceTables, EcdTableQuick) {
  const fs::path out = root_ / "ecd";
  const auto r = momenta::testing::run_cli("reproduce ecd-table --quick --data-dir " + (root_ / "data").string() +
                                           " --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  const std::string rep = slurp(out / "report.md");
  expect_rows(rep, {"SGDM", "Adam", "AdamW", "ECDSep"});
  for (const char* cite : {"l.224", "l.433", "l.230-233", "l.441-445", "l.202"})
    EXPECT_NE(rep.find(cite), std::string::npos) << cite;
  EXPECT_NE(rep.find("from epoch 1 (161/300 of the run"), std::string::npos);  // swa-start 161 of 300, scaled to 2
  EXPECT_NE(rep.find("Scaling to about an hour on 2 cores: 256 of 600 training images"), std::string::npos);
  EXPECT_TRUE(std::regex_search(rep, std::regex("\\*\\*Verdict:\\*\\* the claim (held|held in part|did not hold)\\. ")))
      << rep;
  const std::string scan = slurp(out / "scan.csv");
  EXPECT_EQ(std::count(scan.begin(), scan.end(), '\n'), 1 + 2 + 2 + 2 + 2);  // the quick sub-grids
  const std::string runs = slurp(out / "runs.csv");
  EXPECT_EQ(std::count(runs.begin(), runs.end(), '\n'), 1 + 4 * 3);
}

TEST_F(ReproduceTables, MissingDatasetSaysSo) {
  for (const std::string name : {"adai-table", "ecd-table"}) {
    const fs::path out = root_ / ("missing_" + name);
    const auto r = momenta::testing::run_cli("reproduce " + name + " --quick --data-dir " + (root_ / "empty").string() +
                                             " --out " + out.string());
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("Fashion-MNIST could not be loaded"), std::string::npos) << r.output;
    const std::string rep = slurp(out / "report.md");
    EXPECT_NE(rep.find("**Not run:** Fashion-MNIST could not be loaded"), std::string::npos) << rep;
    EXPECT_NE(rep.find((root_ / "empty").string()), std::string::npos) << "the directory looked in is not named";
    EXPECT_NE(rep.find("was not tested"), std::string::npos);
  }
}

}  // namespace
