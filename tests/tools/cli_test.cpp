// End-to-end checks of the `momenta` binary: a tiny training run on generated IDX files, and
// the one-line errors for bad input.
#include <gtest/gtest.h>

#include "tools/cli_runner.h"
#include <sys/wait.h>

#include "momenta/io/safetensors.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;

namespace {

using momenta::testing::CmdResult;
CmdResult run(const std::string& args) { return momenta::testing::run_cli(args); }

using momenta::testing::write_idx_split;

class Cli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("momenta_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    write_idx_split(dir_, "train", 300);
    write_idx_split(dir_, "t10k", 100);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

}  // namespace

TEST_F(Cli, TrainsSavesAndEvaluates) {
  const std::string out = (dir_ / "run").string();
  const CmdResult r = run("train --data-dir " + dir_.string() + " --hidden 32 --epochs 3 --batch-size 30 --lr 0.01 --out " +
                    out + " --no-progress --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("final test accuracy"), std::string::npos) << r.output;
  ASSERT_TRUE(fs::exists(out + "/model.safetensors"));
  ASSERT_TRUE(fs::exists(out + "/metrics.jsonl"));
  ASSERT_TRUE(fs::exists(out + "/metrics.csv"));
  const CmdResult e = run("eval " + out + "/model.safetensors --data-dir " + dir_.string());
  ASSERT_EQ(e.code, 0) << e.output;
  // The band task is trivially separable: a trained model gets it all right.
  EXPECT_NE(e.output.find("accuracy 100.00%"), std::string::npos) << e.output;
}

// Groups, a hyperparameter schedule, an averager and multistep in one run: the metrics carry the
// averaged model's accuracy and the BELAY diagnostics, and the averaged weights are saved.
TEST_F(Cli, TrainsWithGroupsScheduleAndAverager) {
  const std::string out = (dir_ / "full").string();
  const CmdResult r = run("train --data-dir " + dir_.string() +
                          " --hidden 32 --epochs 3 --batch-size 30 --optim super_accel --lr 0.02 --hp sigma=4 "
                          "--hp-schedule sigma=5:2 --group @1d:lr=0.01 --average belay --avg-hp k=1 --avg-hp m1=10 "
                          "--avg-hp m2=20 --schedule multistep --milestones 2 --out " +
                          out + " --no-progress --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("(belay: "), std::string::npos) << r.output;
  ASSERT_TRUE(fs::exists(out + "/model_belay.safetensors"));
  std::ifstream csv(out + "/metrics.csv");
  std::string header;
  std::getline(csv, header);
  for (const char* col : {"avg_test_accuracy", "sigma", "belay_spring_extension"})
    EXPECT_NE(header.find(col), std::string::npos) << col << " in " << header;
  const CmdResult e = run("eval " + out + "/model_belay.safetensors --data-dir " + dir_.string());
  ASSERT_EQ(e.code, 0) << e.output;
}

// CIFAR-10 files in the real record format (label byte + 3072 pixel bytes), with augmentation.
TEST_F(Cli, TrainsOnCifarFilesWithAugmentation) {
  const fs::path dir = dir_ / "cifar";
  fs::create_directories(dir);
  std::vector<std::string> files = {"test_batch.bin"};
  for (int i = 1; i <= 5; ++i) files.push_back("data_batch_" + std::to_string(i) + ".bin");
  for (const auto& name : files) {
    std::ofstream f(dir / name, std::ios::binary);
    for (int r = 0; r < 20; ++r) {
      const char label = static_cast<char>(r % 10);
      f.put(label);
      for (int p = 0; p < 3072; ++p) f.put(static_cast<char>((p / 32) % 32 == r % 10 * 3 ? 250 : 10));
    }
  }
  const std::string out = (dir_ / "cifar_run").string();
  const CmdResult r = run("train --data cifar10 --data-dir " + dir.string() +
                          " --hidden 16 --epochs 2 --batch-size 25 --augment crop,flip --out " + out +
                          " --no-progress --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("100 train / 20 test samples"), std::string::npos) << r.output;
  const CmdResult e = run("eval " + out + "/model.safetensors --data-dir " + dir.string());
  ASSERT_EQ(e.code, 0) << e.output;
  EXPECT_NE(e.output.find("cifar10 test set (20 samples)"), std::string::npos) << e.output;
}

TEST_F(Cli, TrainsAndEvaluatesAResNet) {
  const std::string out = (dir_ / "resnet").string();
  const CmdResult r = run("train --model resnet20 --data-dir " + dir_.string() +
                          " --epochs 1 --batch-size 100 --optim heavy_ball --lr 0.05 --group @1d:weight_decay=0 "
                          "--hp weight_decay=5e-4 --out " + out + " --no-progress --threads 2");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("final test accuracy"), std::string::npos) << r.output;
  const CmdResult e = run("eval " + out + "/model.safetensors --data-dir " + dir_.string());
  ASSERT_EQ(e.code, 0) << e.output;
  EXPECT_NE(e.output.find("accuracy"), std::string::npos) << e.output;
}

// The averaged ResNet is saved with batch-norm statistics re-estimated at its weights (not the
// live model's), and `momenta eval` on it reproduces the test loss the training run reported.
TEST_F(Cli, SavesTheAverageWithItsOwnBatchNormStatistics) {
  const std::string out = (dir_ / "swa_resnet").string();
  const CmdResult r = run("train --model resnet20 --data-dir " + dir_.string() +
                          " --epochs 1 --batch-size 100 --optim heavy_ball --lr 0.05 --average swa --avg-bn-batches 2 "
                          "--out " + out + " --no-progress --threads 2");
  ASSERT_EQ(r.code, 0) << r.output;
  std::ifstream jsonl(out + "/metrics.jsonl");
  std::string line;
  ASSERT_TRUE(std::getline(jsonl, line));
  const size_t at = line.find("\"avg_test_loss\":");
  ASSERT_NE(at, std::string::npos) << line;
  char reported[32];
  std::snprintf(reported, sizeof reported, "loss %.4f,", std::strtod(line.c_str() + at + 16, nullptr));
  const CmdResult e = run("eval " + out + "/model_swa.safetensors --data-dir " + dir_.string());
  ASSERT_EQ(e.code, 0) << e.output;
  EXPECT_NE(e.output.find(reported), std::string::npos) << reported << " in " << e.output;

  const auto live = momenta::io::load_safetensors(out + "/model.safetensors");
  const auto avg = momenta::io::load_safetensors(out + "/model_swa.safetensors");
  const auto find = [](const momenta::io::SafetensorsFile& f, const std::string& name) {
    for (const auto& [n, t] : f.tensors)
      if (n == name) return t.to_vector<float>();
    ADD_FAILURE() << name << " not saved";
    return std::vector<float>{};
  };
  EXPECT_NE(find(live, "bn.running_mean"), find(avg, "bn.running_mean"));
  EXPECT_NE(find(live, "bn.weight"), find(avg, "bn.weight"));
}

// A TOML file mirrors the flags; a [train] section and the command line take precedence.
TEST_F(Cli, ReadsOptionsFromATomlConfig) {
  const fs::path cfg = dir_ / "run.toml";
  {
    std::ofstream f(cfg);
    f << "epochs = 5\nhidden = \"16\"\noptim = \"heavy_ball\"\nhp = [\"momentum=0.8\", \"weight_decay=1e-4\"]\n"
         "schedule = \"multistep\"\nmilestones = [1]\nno-progress = true\n[train]\nepochs = 3\n";
  }
  const std::string out = (dir_ / "cfg_run").string();
  const CmdResult r = run("train --config " + cfg.string() + " --data-dir " + dir_.string() + " --epochs 2 --out " + out +
                          " --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("optimizer heavy_ball"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("after 2 epochs"), std::string::npos) << r.output;  // the command line wins
  {
    std::ofstream f(cfg);
    f << "epochz = 3\n";
  }
  const CmdResult bad = run("train --config " + cfg.string() + " --data-dir " + dir_.string());
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.output.find("epochz"), std::string::npos) << bad.output;
  {
    std::ofstream f(cfg);
    f << "epochs = [1\n";
  }
  const CmdResult broken = run("train --config " + cfg.string());
  EXPECT_NE(broken.code, 0);
  EXPECT_NE(broken.output.find("line 1"), std::string::npos) << broken.output;
}

TEST_F(Cli, BadInputGivesOneClearLine) {
  const std::string base = "train --data-dir " + dir_.string() + " --epochs 1 --no-progress --out " + (dir_ / "x").string();
  struct Case {
    std::string args, expect;
  };
  for (const Case& c : {Case{base + " --model resnet999", "unknown model 'resnet999'"},
                        Case{base + " --optim adamm", "unknown optimizer 'adamm'"},
                        Case{base + " --data cifar99", "unknown dataset 'cifar99'"},
                        Case{"train --data-dir /nonexistent/dir --epochs 1", "data directory '/nonexistent/dir' does not exist"},
                        Case{base + " --hp betas=0.9", "betas takes 2 values"},
                        Case{base + " --group '*.gamma:lr=0.1'", "'*.gamma' matches no parameter"},
                        Case{base + " --group '@1d:momentum=0.9'", "parameter group '@1d'"},
                        Case{base + " --hp-schedule sigma=5:2", "--hp-schedule 'sigma=5:2': adam: unknown hyperparameter 'sigma'"},
                        Case{base + " --schedule multistep", "needs --milestones"},
                        Case{base + " --avg-hp k=1", "--avg-hp given without --average"},
                        Case{base + " --average bogus", "bogus"},
                        Case{base + " --average swa --avg-bn-batches -2", "--avg-bn-batches"},
                        Case{base + " --augment crop,spin", "spin"},
                        Case{base + " --data folder", "has no train/ sub-folder"},
                        Case{"train --data folder", "--data folder needs --data-dir"},
                        Case{"eval /nonexistent/model.safetensors", "/nonexistent/model.safetensors"}}) {
    const CmdResult r = run(c.args);
    EXPECT_NE(r.code, 0) << c.args;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find("momenta: error:"), std::string::npos) << r.output;
  }
  const CmdResult missing = run("train --data-dir " + (dir_ / "nope").string());
  EXPECT_NE(missing.code, 0);
}

TEST(CliHelp, ExplainsTheCommands) {
  const CmdResult r = run("train --help");
  EXPECT_EQ(r.code, 0);
  for (const char* opt :
       {"--model", "--hidden", "--optim", "--lr", "--epochs", "--batch-size", "--seed", "--out", "--avg-bn-batches"})
    EXPECT_NE(r.output.find(opt), std::string::npos) << opt;
}
