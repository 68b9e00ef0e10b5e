// Hostile input to the real `momenta` binary, by class (issue 10, part 2): out-of-range option
// values, from the command line and from --config; numbers that travel as text; ordinary OS
// failures; write errors that only show at close. Every bad value must end with exit 1 and one
// "momenta: error:" line naming the flag or the path: never exit 0, never a signal (run_cli
// reports -1), never "internal error" (exit 2). Most cases fail while the flags are parsed,
// before any data is read; the others use a tiny generated IDX set.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "momenta/io/safetensors.h"
#include "momenta/parse.h"
#include "tools/cli_runner.h"

namespace fs = std::filesystem;
using momenta::testing::CmdResult;
using momenta::testing::run_cli;

namespace {

class HostileCli : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("momenta_hostile_" + std::string(info->name()) + "_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  // A 20-image training set and a 10-image test set.
  std::string tiny_data() {
    momenta::testing::write_idx_split(dir_, "train", 20);
    momenta::testing::write_idx_split(dir_, "t10k", 10);
    return dir_.string();
  }
  std::string write_config(const std::string& text) {
    const fs::path p = dir_ / "run.toml";
    std::ofstream(p) << text;
    return p.string();
  }
  fs::path dir_;
};

// Exit 1 with one error line that contains `expect`.
void expect_refused(const std::string& args, const std::string& expect) {
  const CmdResult r = run_cli(args);
  EXPECT_EQ(r.code, 1) << args << "\n" << r.output;
  EXPECT_NE(r.output.find("momenta: error:"), std::string::npos) << args << "\n" << r.output;
  EXPECT_NE(r.output.find(expect), std::string::npos) << args << "\n" << r.output;
  EXPECT_EQ(r.output.find("internal error"), std::string::npos) << args << "\n" << r.output;
}

// The lr the run stored in its checkpoint (written with %.17g by the trainer).
double checkpoint_lr(const std::string& out) {
  const auto f = momenta::io::load_safetensors(out + "/checkpoint.safetensors");
  return momenta::parse_number_list(f.metadata.at("base_lrs"), "base_lrs").at(0);
}

}  // namespace

// Class: a numeric option outside its declared range (tools/option_ranges.h). The message names
// the flag, the value and the range.
TEST_F(HostileCli, OutOfRangeOptionValuesAreRefusedNamingTheFlag) {
  const std::string train = "train --data-dir " + (dir_ / "none").string() + " --out " + (dir_ / "run").string() + " ";
  struct Case {
    std::string args, expect;
  };
  for (const Case& c : {
           Case{train + "--gamma -1", "--gamma: '-1' is out of range: expected a number in (0, 1]"},
           Case{train + "--gamma 0", "--gamma"},
           Case{train + "--gamma 1.5", "--gamma"},
           Case{train + "--gamma nan", "--gamma"},
           Case{train + "--warmup -5", "--warmup: '-5' is out of range"},
           Case{train + "--seed -1", "--seed: '-1' is negative"},
           Case{train + "--seed 18446744073709551616", "--seed"},
           Case{train + "--threads 100000", "--threads: '100000' is out of range: expected a whole number in [0, 1024]"},
           Case{train + "--threads -1", "--threads"},
           Case{train + "--image-size 65536", "--image-size: '65536' is out of range"},
           Case{train + "--image-size 0", "--image-size"},
           Case{train + "--channels 5", "--channels"},
           Case{train + "--epochs -1", "--epochs"},
           Case{train + "--epochs 1.5", "--epochs: '1.5' is not a whole number"},
           Case{train + "--batch-size 0", "--batch-size"},
           Case{train + "--batch-size 10000000", "--batch-size"},
           Case{train + "--lr -0.1", "--lr"},
           Case{train + "--lr inf", "--lr"},
           Case{train + "--lr 1e-7x", "--lr: '1e-7x' is not a number"},
           Case{train + "--schedule multistep --milestones 0", "--milestones"},
           Case{train + "--schedule multistep --milestones 2,1.5", "--milestones: '1.5' is not a whole number"},
           Case{train + "--average swa --avg-bn-batches -2", "--avg-bn-batches"},
           Case{"eval " + (dir_ / "m.safetensors").string() + " --threads 100000", "--threads"},
           Case{"optimize --function quadratic --x0 1 --optim sgd --hp lr=0.1 --out x.csv --steps -1", "--steps"},
           Case{"tune --function quadratic --x0 1 --optim sgd --range lr=1e-3:1 --trials 0", "--trials"},
           Case{"tune --function quadratic --x0 1 --optim sgd --range lr=1e-3:1 --steps -3", "--steps"},
           Case{"tune --function quadratic --x0 1 --optim sgd --range lr=1e-3:1 --seed -1", "--seed"},
           Case{"reproduce list --seed -1", "--seed"},
       })
    expect_refused(c.args, c.expect);
  // A value that echoes back is cut.
  const CmdResult r = run_cli(train + "--gamma " + std::string(5000, '7'));
  EXPECT_EQ(r.code, 1);
  EXPECT_LT(r.output.size(), 600u) << r.output;
}

// Class: text options echoed in their error (names, lists, specs) are cut, from the command line
// and from --config alike; a 5000-character value once came back whole.
TEST_F(HostileCli, LongTextValuesAreCutInErrors) {
  const std::string data = tiny_data();
  const std::string x(5000, 'x');
  const std::string train = "train --data-dir " + data + " --no-progress --threads 1 --epochs 1 --out " + (dir_ / "run").string() + " ";
  for (const std::string& args :
       {train + "--" + x, train + x, train + "--schedule " + x, train + "--loss " + x, train + "--optim " + x,
        train + "--hp " + x, train + "--hp lr=" + x, train + "--hp " + x + "=1", train + "--group " + x,
        train + "--group @1d:lr=" + x, train + "--augment " + x, train + "--augment crop:" + x, train + "--model " + x,
        train + "--activation " + x, train + "--average " + x, train + "--hp-schedule " + x,
        train + "--hp-schedule lr=" + x + ":1", train + "--hp-schedule lr=0:1:" + x,
        train + "--model resnet20 --shortcut " + x, train + "--config " + write_config("optim = \"" + x + "\"\n"),
        "optimize --function quadratic --optim sgd --hp lr=0.1 --out x.csv --x0 " + x}) {
    const CmdResult r = run_cli(args);
    EXPECT_EQ(r.code, 1) << args.substr(0, 120) << "\n" << r.output.substr(0, 300);
    EXPECT_NE(r.output.find("momenta: error:"), std::string::npos) << args.substr(0, 120) << "\n" << r.output.substr(0, 300);
    EXPECT_LT(r.output.size(), 600u) << args.substr(0, 120) << "\n" << r.output.substr(0, 300);
  }
}

// Class: hyperparameters reached by another road than --hp must meet the same ranges.
TEST_F(HostileCli, ScheduledAndSearchedHyperparametersMeetTheRegistryRanges) {
  const std::string train = "train --data-dir " + (dir_ / "none").string() + " --out " + (dir_ / "run").string() + " ";
  expect_refused(train + "--optim heavy_ball --hp-schedule momentum=0.5:2", "--hp-schedule 'momentum=0.5:2'");
  expect_refused(train + "--optim heavy_ball --hp-schedule momentum=-1:0.5", "expected [0, 1]");
  expect_refused(train + "--optim sgd --hp-schedule lr=0.1:-0.1", "--hp-schedule");
  expect_refused("tune --function quadratic --x0 1 --optim heavy_ball --hp lr=0.1 --range momentum=0.1:2",
                 "--range: heavy_ball: hyperparameter momentum=2 is out of range");
}

// The same checks hold for values read from --config (it becomes flags).
TEST_F(HostileCli, ConfigValuesPassTheSameChecks) {
  const std::string base = "train --data-dir " + (dir_ / "none").string() + " --config ";
  expect_refused(base + write_config("gamma = -1.0\n"), "--gamma: '-1' is out of range");
  expect_refused(base + write_config("seed = -1\n"), "--seed: '-1' is negative");
  expect_refused(base + write_config("[train]\nthreads = 100000\n"), "--threads");
  expect_refused(base + write_config("epochs = 2.5\n"), "--epochs: '2.5' is not a whole number");
  expect_refused(base + write_config("optim = \"heavy_ball\"\nhp-schedule = [\"momentum=0.5:2\"]\n"), "--hp-schedule");
}

// Class: values whose validity depends on the data (checked once it is loaded).
TEST_F(HostileCli, DataDependentValuesAreRefused) {
  const std::string train = "train --data-dir " + tiny_data() + " --no-progress --threads 1 --epochs 1 --batch-size 10 --out " +
                            (dir_ / "run").string() + " ";
  expect_refused(train + "--augment crop:100000", "--augment: augmentation 'crop:100000': padding 100000 is larger");
  expect_refused(train + "--hidden 500000", "--hidden");
  EXPECT_FALSE(fs::exists(dir_ / "run" / "model.safetensors"));
}

// Class: numbers that travel as text round-trip exactly. --lr 1e-7 used to train with lr 0 and
// 1.5e-6 with 2e-6 (std::to_string); the header said so.
TEST_F(HostileCli, LearningRatesReachTheOptimizerExactly) {
  const std::string data = tiny_data();
  const std::string train = "train --data-dir " + data + " --hidden 8 --no-progress --threads 1 --epochs 1 --batch-size 10 ";
  for (const auto& [text, value] : {std::pair<std::string, double>{"1e-7", 1e-7}, {"1.5e-6", 1.5e-6}, {"0.1", 0.1}}) {
    const std::string out = (dir_ / ("flag_" + text)).string();
    const CmdResult r = run_cli(train + "--lr " + text + " --out " + out);
    ASSERT_EQ(r.code, 0) << r.output;
    EXPECT_NE(r.output.find("(lr " + momenta::format_number(value) + ")"), std::string::npos) << r.output;
    EXPECT_EQ(checkpoint_lr(out), value) << text;
  }
  // Through --config: a TOML float becomes a flag, and must stay the same number.
  const std::string out = (dir_ / "config").string();
  const CmdResult r = run_cli(train + "--out " + out + " --config " + write_config("lr = 1.5e-6\n"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("(lr 1.5e-06)"), std::string::npos) << r.output;
  EXPECT_EQ(checkpoint_lr(out), 1.5e-6);
}

// Class: ordinary OS failures are errors naming the path, not internal errors.
TEST_F(HostileCli, UnusablePathsAreIOErrorsNotInternalErrors) {
  const std::string data = tiny_data();
  expect_refused("train --data-dir " + data + " --hidden 8 --no-progress --threads 1 --epochs 1 --out /dev/full/run",
                 "--out: cannot create the output directory '/dev/full/run'");
  // A name longer than the system allows (ENAMETOOLONG) where a directory is looked up.
  const std::string long_name = (dir_ / std::string(300, 'a')).string();
  expect_refused("train --data-dir " + long_name, "data directory");
  expect_refused("train --config " + long_name + ".toml", "config file");
  expect_refused("optimize --function quadratic --x0 1 --optim sgd --hp lr=0.1 --out " + (dir_ / "no" / "x.csv").string(),
                 "cannot write '" + (dir_ / "no" / "x.csv").string() + "': No such file or directory");
}

// Class: write errors that only show when the file is flushed or closed (/dev/full accepts the
// open and fails the write: a small output sits in the buffer until then).
TEST_F(HostileCli, WriteErrorsAtCloseAreReported) {
  expect_refused("optimize --function quadratic --x0 1 --optim sgd --hp lr=0.1 --steps 3 --out /dev/full",
                 "could not write '/dev/full': No space left on device");
  expect_refused("tune --function quadratic --x0 1 --optim sgd --range lr=1e-3:1 --trials 2 --steps 3 --out /dev/full",
                 "could not write '/dev/full': No space left on device");
}
