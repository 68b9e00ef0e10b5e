// End-to-end checks of `momenta reproduce` and `momenta tune`: `reproduce all --quick` runs every
// experiment into a temporary directory, and every report, CSV and SVG it writes must exist and
// parse, and every file a report links must be there. This keeps the reports from rotting.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "io/svg_check.h"
#include "tools/cli_runner.h"

namespace fs = std::filesystem;

namespace {

using momenta::testing::run_cli;

using momenta::testing::slurp;

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

// "" when the file is a rectangular numeric CSV with a header, else what is wrong.
std::string csv_problem(const std::string& text) {
  const auto lines = split(text, '\n');
  if (lines.size() < 3 || !lines.back().empty()) return "fewer than one data row, or no final newline";
  const size_t cols = split(lines[0], ',').size();
  for (size_t i = 1; i + 1 < lines.size(); ++i) {
    const auto f = split(lines[i], ',');
    if (f.size() != cols) return "row " + std::to_string(i) + " has " + std::to_string(f.size()) + " fields";
    for (const auto& x : f) {
      char* end = nullptr;
      std::strtod(x.c_str(), &end);
      if (x.empty() || *end != '\0') return "row " + std::to_string(i) + ": '" + x + "' is not a number";
    }
  }
  return "";
}

std::vector<std::string> experiment_names() {
  const auto r = run_cli("reproduce list");
  EXPECT_EQ(r.code, 0) << r.output;
  std::vector<std::string> names;
  for (const auto& line : split(r.output, '\n'))
    if (!line.empty()) names.push_back(line.substr(0, line.find(' ')));
  return names;
}

// One test, so that `reproduce all --quick` (the longest run in the suite) runs once: ctest
// starts every test in its own process.
TEST(ReproduceAllQuick, EveryExperimentWritesAParsableReport) {
  const fs::path root = fs::temp_directory_path() / ("momenta_reproduce_" + std::to_string(::getpid()));
  fs::remove_all(root);
  struct Cleanup {
    fs::path dir;
    ~Cleanup() { fs::remove_all(dir); }
  } cleanup{root};
  const auto result = run_cli("reproduce all --quick --out " + root.string());
  ASSERT_EQ(result.code, 0) << result.output;
  const auto names = experiment_names();
  ASSERT_EQ(names.size(), 14u);  // 12 + adai-table, ecd-table
  const std::string summary = slurp(root / "summary.md");
  for (const auto& name : names) {
    SCOPED_TRACE(name);
    EXPECT_NE(summary.find("[" + name + "](" + name + "/report.md)"), std::string::npos);
    const fs::path dir = root / name;
    const std::string report = slurp(dir / "report.md");
    ASSERT_FALSE(report.empty());
    EXPECT_NE(report.find("## The paper's claim"), std::string::npos);
    if (report.find("**Not implemented.**") != std::string::npos) continue;  // registered, honestly absent
    if (report.find("**Not run:**") != std::string::npos) continue;          // e.g. no dataset on this machine
    for (const char* section : {"**Verdict:** the claim ", "**Headline:** ", "## Protocol as run", "## Results"})
      EXPECT_NE(report.find(section), std::string::npos) << section;
    // Every linked file exists.
    const std::regex link(R"(\]\(([^)]+)\))");
    for (auto it = std::sregex_iterator(report.begin(), report.end(), link); it != std::sregex_iterator(); ++it)
      EXPECT_TRUE(fs::exists(dir / (*it)[1].str())) << (*it)[1].str();
    int csvs = 0, svgs = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
      const std::string file = entry.path().filename().string();
      if (entry.path().extension() == ".csv") {
        ++csvs;
        EXPECT_EQ(csv_problem(slurp(entry.path())), "") << file;
        EXPECT_NE(report.find("(" + file + ")"), std::string::npos) << file << " is not linked";
      } else if (entry.path().extension() == ".svg") {
        ++svgs;
        EXPECT_EQ(momenta::testing::svg_problem(slurp(entry.path())), "") << file;
        EXPECT_NE(report.find("(" + file + ")"), std::string::npos) << file << " is not linked";
      }
    }
    EXPECT_GE(csvs, 1);
    EXPECT_GE(svgs, 1);
  }
  // This verdict depends only on exact closed forms, so it is the same at any run size
  // (superacc-quadratic's closed-form checks are in reproduce_superacc_test.cpp). It holds in
  // part: the lecture's "1/k" on its worst function (003, l.383) is 1/(2(k+1))
  // (tests/tools/reproduce_adaimom_test.cpp).
  EXPECT_NE(slurp(root / "momentum-quadratic" / "report.md").find("**Verdict:** the claim held in part."), std::string::npos);
}

TEST(ReproduceCli, Errors) {
  auto r = run_cli("reproduce no-such-experiment");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("momenta: error: unknown experiment 'no-such-experiment'"), std::string::npos) << r.output;
  r = run_cli("reproduce momentum-quadratic --quick --full");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("--quick and --full exclude each other"), std::string::npos) << r.output;
}

TEST(TuneCli, WritesEveryTrialAndPrintsTheBest) {
  const fs::path out = fs::temp_directory_path() / ("momenta_tune_" + std::to_string(::getpid()) + ".csv");
  const auto r = run_cli("tune --function rosenbrock --x0=-1.5,2 --optim heavy_ball --range lr=1e-5:1e-2:log "
                         "--range momentum=0.5:0.99 --trials 12 --steps 60 --seed 3 --out " + out.string());
  ASSERT_EQ(r.code, 0) << r.output;
  const auto lines = split(slurp(out), '\n');
  ASSERT_EQ(lines.size(), 14u);  // header, 12 trials, final empty
  EXPECT_EQ(lines[0], "trial,lr,momentum,score");
  double best = INFINITY;
  for (size_t i = 1; i <= 12; ++i) {
    const auto f = split(lines[i], ',');
    ASSERT_EQ(f.size(), 4u);
    const double lr = std::stod(f[1]), mom = std::stod(f[2]);
    EXPECT_GE(lr, 1e-5);
    EXPECT_LE(lr, 1e-2);
    EXPECT_GE(mom, 0.5);
    EXPECT_LE(mom, 0.99);
    best = std::min(best, std::stod(f[3]));
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "best final loss %.6g", best);
  EXPECT_NE(r.output.find(buf), std::string::npos) << r.output;
  // The same seed gives the same trials.
  const auto again = run_cli("tune --function rosenbrock --x0=-1.5,2 --optim heavy_ball --range lr=1e-5:1e-2:log "
                             "--range momentum=0.5:0.99 --trials 12 --steps 60 --seed 3");
  EXPECT_NE(again.output.find(buf), std::string::npos) << again.output;
  fs::remove(out);
}

TEST(TuneCli, Errors) {
  auto r = run_cli("tune --function rosenbrock --x0=-1.5,2 --optim adam --range lr=0:1:log");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("a log range needs lo > 0"), std::string::npos) << r.output;
  r = run_cli("tune --function rosenbrock --x0=-1.5,2 --optim adam --range nope=0:1");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("unknown hyperparameter 'nope'"), std::string::npos) << r.output;
  r = run_cli("tune --function rosenbrock --x0=-1.5,2 --optim adam --range lr=0.1:0.2 --hp lr=0.1");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("given both by --hp and --range"), std::string::npos) << r.output;
}

}  // namespace
