// End-to-end checks of `momenta optimize` and `momenta optim list`: the binary runs golden cases
// (tests/golden) on its built-in test functions, and the CSV it writes must match the golden
// params, loss and averaged weights within each case's tolerance.
#include <gtest/gtest.h>

#include "tools/cli_runner.h"
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "momenta/optim/averager.h"
#include "momenta/optim/registry.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using momenta::testing::CmdResult;
CmdResult run(const std::string& args) { return momenta::testing::run_cli(args); }

json read_golden(const std::string& stem) {
  std::ifstream in(std::string(MOMENTA_TEST_DATA_DIR) + "/golden/" + stem + ".json");
  return json::parse(in);
}

const json& golden_case(const std::string& stem, const std::string& name) {
  static std::map<std::string, json> files;
  if (!files.count(stem)) files[stem] = read_golden(stem);
  for (const auto& c : files[stem].at("cases"))
    if (c.at("name") == name) return c;
  throw std::runtime_error("no golden case " + name);
}

std::string num(double v) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "%.17g", v);
  return buf;
}

std::string value_text(const json& v) {
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_array()) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + num(x.get<double>());
    return s;
  }
  return num(v.get<double>());
}

// "--<flag> key=value" for every non-null entry of a hyperparameter object (skipping "name"
// and a nested "base").
std::string hp_flags(const char* flag, const json& hp) {
  std::string s;
  for (const auto& [k, v] : hp.items()) {
    if (k == "name" || k == "base" || v.is_null()) continue;
    s += std::string(" ") + flag + " " + k + "=" + value_text(v);
  }
  return s;
}

struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;
};

Csv read_csv(const std::string& path) {
  Csv csv;
  std::ifstream in(path);
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string cell;
    std::vector<std::string> cells;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (first) {
      csv.header = cells;
      first = false;
      continue;
    }
    std::vector<double> row;
    for (const auto& c : cells) row.push_back(std::strtod(c.c_str(), nullptr));
    csv.rows.push_back(row);
  }
  return csv;
}

class OptimizeCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("momenta_optimize_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Runs the golden case through the binary and compares every row of the CSV.
  void expect_case_matches(const std::string& stem, const std::string& name, const std::string& function,
                           const std::string& extra_args = "") {
    SCOPED_TRACE(name);
    const json& c = golden_case(stem, name);
    const json& hp = c.at("hyperparams");
    const bool wrapper = hp.contains("base");
    const json& base = wrapper ? hp.at("base") : hp;
    const std::string optim = wrapper ? base.at("name").get<std::string>() : stem;
    std::string x0;
    for (const auto& v : c.at("x0")) x0 += (x0.empty() ? "" : ",") + num(v.get<double>());
    const std::string out = (dir_ / (stem + ".csv")).string();
    std::string args = "optimize --function " + function + " --x0=" + x0 + " --optim " + optim +
                       hp_flags("--hp", base) + " --steps " + std::to_string(c.at("steps").get<int64_t>()) +
                       " --out " + out + extra_args;
    if (wrapper) args += " --average " + stem + hp_flags("--avg-hp", hp);
    const CmdResult r = run(args);
    ASSERT_EQ(r.code, 0) << args << "\n" << r.output;

    const Csv csv = read_csv(out);
    const size_t n = c.at("x0").size();
    ASSERT_EQ(csv.header.size(), 2 + n * (wrapper ? 2 : 1)) << args;
    EXPECT_EQ(csv.header[0], "step");
    EXPECT_EQ(csv.header[1], "loss");
    EXPECT_EQ(csv.header[2], "x0");
    if (wrapper) {
      EXPECT_EQ(csv.header[2 + n], "a0");
    }
    const auto steps = c.at("steps").get<size_t>();
    ASSERT_EQ(csv.rows.size(), steps + 1);
    const double atol = c.at("tolerance").at("atol").get<double>(), rtol = c.at("tolerance").at("rtol").get<double>();
    const auto recorded = c.at("recorded_steps").get<std::vector<size_t>>();
    const json* avg = nullptr;
    if (wrapper) avg = &c.at("extra").at(stem == "belay" ? "w2" : "avg_params");
    double worst = 0.0;
    auto near = [&](double got, double want, const std::string& what) {
      const double dev = std::fabs(got - want);
      worst = std::max(worst, dev);
      EXPECT_LE(dev, atol + rtol * std::fabs(want)) << what << ": got " << num(got) << ", want " << num(want);
    };
    for (size_t t = 0; t <= steps; ++t) {
      EXPECT_EQ(csv.rows[t][0], static_cast<double>(t));
      near(csv.rows[t][1], c.at("loss")[t].get<double>(), "loss at step " + std::to_string(t));
    }
    for (size_t j = 0; j < recorded.size(); ++j) {
      const auto& row = csv.rows[recorded[j]];
      for (size_t i = 0; i < n; ++i)
        near(row[2 + i], c.at("params")[j][i].get<double>(), "x" + std::to_string(i) + " at step " + std::to_string(recorded[j]));
      if (!avg) continue;
      const json& want = (*avg)[j];
      for (size_t i = 0; i < n; ++i) {
        const double got = row[2 + n + i];
        if (want.is_null()) {
          EXPECT_TRUE(std::isnan(got)) << "a" << i << " at step " << recorded[j] << " should be nan (no average yet)";
        } else {
          near(got, want[i].get<double>(), "a" + std::to_string(i) + " at step " + std::to_string(recorded[j]));
        }
      }
    }
    std::printf("[ golden   ] %s via `momenta optimize`: max |got-want| = %.3g\n", name.c_str(), worst);
  }

  fs::path dir_;
};

std::string quadratic10_k() {
  std::ifstream in(std::string(MOMENTA_TEST_DATA_DIR) + "/golden/problems.json");
  const json p = json::parse(in);
  return " --fn-arg k=" + value_text(p.at("problems").at("quadratic10").at("k"));
}

}  // namespace

TEST_F(OptimizeCli, AdamOnRosenbrockMatchesGolden) { expect_case_matches("adam", "adam/rosenbrock", "rosenbrock"); }

TEST_F(OptimizeCli, HeavyBallOnQuadratic10MatchesGolden) {
  expect_case_matches("heavy_ball", "heavy_ball/quadratic10/dampening_l2", "quadratic", quadratic10_k());
}

TEST_F(OptimizeCli, EmaOnRosenbrockBelayMatchesGolden) {
  expect_case_matches("ema", "ema/rosenbrock_belay/adam_C2", "rosenbrock_belay");
}

TEST_F(OptimizeCli, SwaOnQuadratic10MatchesGolden) {
  expect_case_matches("swa", "swa/quadratic10/heavy_ball", "quadratic", quadratic10_k());
}

TEST_F(OptimizeCli, BelayOnRosenbrockBelayMatchesGolden) {
  expect_case_matches("belay", "belay/rosenbrock_belay/sgd", "rosenbrock_belay");
  expect_case_matches("belay", "belay/rosenbrock/adam_C2", "rosenbrock");
}

TEST_F(OptimizeCli, EveryFunctionRunsAndDescends) {
  struct Case {
    std::string function, x0, extra;
  };
  for (const Case& c : {Case{"rosenbrock", "-1.5,2,0.5", ""}, Case{"beale", "1,1", ""},
                        Case{"beale_shifted", "-2,0.5", ""}, Case{"quadratic", "1,1,1", " --fn-arg k=1,2,3"},
                        Case{"zakharov", "0.5,0.5,0.5", ""}, Case{"ackley_reg", "-4,3", ""},
                        Case{"styblinski_tang", "1,1", ""}, Case{"superacc_eq15", "0.3,0.2", ""},
                        Case{"nesterov_worst", "0,0,0,0,0", " --fn-arg L=1"}}) {
    SCOPED_TRACE(c.function);
    const std::string out = (dir_ / "f.csv").string();
    const CmdResult r = run("optimize --function " + c.function + " --x0=" + c.x0 +
                            " --optim adam --hp lr=0.01 --steps 50 --out " + out + c.extra);
    ASSERT_EQ(r.code, 0) << r.output;
    const Csv csv = read_csv(out);
    ASSERT_EQ(csv.rows.size(), 51u);
    EXPECT_TRUE(std::isfinite(csv.rows.back()[1]));
    EXPECT_LT(csv.rows.back()[1], csv.rows.front()[1]) << r.output;
  }
}

TEST_F(OptimizeCli, BadInputGivesOneClearLine) {
  const std::string out = " --out " + (dir_ / "bad.csv").string();
  struct Case {
    std::string args, expect;
  };
  for (const Case& c :
       {Case{"optimize --function rosenbrok --x0=1,2 --optim adam" + out, "unknown test function 'rosenbrok'"},
        Case{"optimize --function rosenbrock --x0=1,2 --optim adamm" + out, "unknown optimizer 'adamm'"},
        Case{"optimize --function rosenbrock --x0=1,2 --optim sgd" + out, "hyperparameter lr is required"},
        Case{"optimize --function rosenbrock --x0=1,2 --optim adam --hp lrr=1" + out, "unknown hyperparameter 'lrr'"},
        Case{"optimize --function rosenbrock --x0=1,2 --optim adam --hp betas=0.9" + out, "betas takes 2 values"},
        Case{"optimize --function beale --x0=1,2,3 --optim adam" + out, "beale is 2-dimensional"},
        Case{"optimize --function rosenbrock --x0=1 --optim adam" + out, "at least 2 dimensions"},
        Case{"optimize --function rosenbrock --x0=1,abc --optim adam" + out, "--x0 '1,abc'"},
        Case{"optimize --function rosenbrock --x0=1,2 --optim adam --fn-arg c=1" + out, "unknown --fn-arg 'c'"},
        Case{"optimize --function quadratic --x0=1,2,3 --optim adam --fn-arg k=1,2" + out, "takes 1 or 3 values"},
        Case{"optimize --function rosenbrock --x0=1,2 --optim adam --average emma" + out, "unknown weight averager 'emma'"},
        Case{"optimize --function rosenbrock --x0=1,2 --optim adam --average belay --avg-hp m1=-1" + out,
             "m1=-1 is out of range"},
        Case{"optimize --function rosenbrock --x0=1,2 --optim adam --average ema --avg-hp k=1" + out,
             "ema: unknown hyperparameter 'k'"},
        Case{"optimize --function rosenbrock --x0=1,2 --optim adam --hp lr=1 --out /nonexistent/dir/t.csv",
             "cannot write '/nonexistent/dir/t.csv'"}}) {
    const CmdResult r = run(c.args);
    EXPECT_NE(r.code, 0) << c.args;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find("momenta: error:"), std::string::npos) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << "one line:\n" << r.output;
  }
}

TEST(OptimizeCliList, ListsEveryRuleAndAverager) {
  const CmdResult r = run("optim list");
  ASSERT_EQ(r.code, 0) << r.output;
  for (const auto& name : momenta::optim::optimizer_names()) {
    const auto& info = momenta::optim::optimizer_info(name);
    EXPECT_NE(r.output.find("\n  " + name + ": "), std::string::npos) << name;
    EXPECT_NE(r.output.find(info.paper), std::string::npos) << name;
    for (const auto& s : info.hyperparams) EXPECT_NE(r.output.find(s.doc), std::string::npos) << name << " " << s.name;
  }
  for (const auto& name : momenta::optim::averager_names())
    EXPECT_NE(r.output.find("\n  " + name + ": "), std::string::npos) << name;
  EXPECT_NE(r.output.find("required"), std::string::npos);   // sgd's lr
  EXPECT_NE(r.output.find("optional"), std::string::npos);   // belay's c1, c2
  EXPECT_NE(r.output.find("default 0.9,0.999"), std::string::npos);
  const CmdResult help = run("optimize --help");
  EXPECT_EQ(help.code, 0);
  for (const char* opt : {"--function", "--x0", "--optim", "--hp", "--average", "--avg-hp", "--steps", "--out", "--fn-arg"})
    EXPECT_NE(help.output.find(opt), std::string::npos) << opt;
}
