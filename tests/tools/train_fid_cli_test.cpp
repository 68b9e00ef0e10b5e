// momenta train --fid-every (issue 11): the FID of samples over training, in each epoch's metrics
// record and in fid.svg, continued by --resume; through the real binary on a 64-image IDX set, with
// a classifier file of the test's own (trained once per run of the suite, 3 epochs on 64 images).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/temp_dir.h"
#include "tools/cli_runner.h"

namespace fs = std::filesystem;
using momenta::testing::CmdResult;
using momenta::testing::run_cli;
using momenta::testing::slurp;

namespace {

std::vector<nlohmann::json> records(const fs::path& jsonl) {
  std::ifstream in(jsonl);
  std::vector<nlohmann::json> out;
  for (std::string l; std::getline(in, l);) out.push_back(nlohmann::json::parse(l));
  return out;
}

class TrainFidCli : public momenta::data::testing::TempDirTest {
 protected:
  // A score model on 64 training and 32 test images, 2 batches an epoch, EMA; a constant rate, so
  // that a 1-epoch run may be resumed to 2. FID: 8 samples (unless `flags` say), 3 Euler-Maruyama
  // steps.
  CmdResult train(const std::string& out, const std::string& flags) {
    if (!fs::exists(dir_ / "data" / "train-images-idx3-ubyte")) {
      fs::create_directories(dir_ / "data");
      momenta::testing::write_idx_split(dir_ / "data", "train", 64);
      momenta::testing::write_idx_split(dir_ / "data", "t10k", 32);
    }
    return run_cli("train --model unet --objective dsm --data fashion-mnist --data-dir " + (dir_ / "data").string() +
                   " --batch-size 32 --lr 1e-3 --schedule constant --average ema --threads 1 --no-progress --out " +
                   path(out) + (flags.find("--fid-n") == std::string::npos ? " --fid-n 8" : "") +
                   " --fid-steps 3 --fid-net " + path("fid/classifier.safetensors") + " " + flags);
  }
};

}  // namespace

// Every epoch measured, the second after a resume; a run that measures only its last epoch trains
// the same numbers and measures the same FID there (the sampler seed is fixed, and measuring does
// not disturb training).
TEST_F(TrainFidCli, RecordsTheFidOfEveryEpochAndContinuesItOnResume) {
  const CmdResult first = train("run", "--epochs 1 --fid-every 1");
  ASSERT_EQ(first.code, 0) << first.output;
  EXPECT_NE(first.output.find("training the FID classifier"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("FID, momenta classifier features"), std::string::npos) << first.output;
  EXPECT_NE(first.output.find("FID at epoch 1 (ema averaged weights): "), std::string::npos) << first.output;
  const CmdResult resumed = train("run", "--epochs 2 --fid-every 1 --resume " + path("run/checkpoint.safetensors"));
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_EQ(resumed.output.find("training the FID classifier"), std::string::npos)
      << "trained once: " << resumed.output;
  EXPECT_NE(resumed.output.find("FID at epoch 2 (ema averaged weights): "), std::string::npos) << resumed.output;

  const auto rec = records(dir_ / "run" / "metrics.jsonl");
  ASSERT_EQ(rec.size(), 2u);
  for (size_t i = 0; i < rec.size(); ++i) {
    EXPECT_EQ(rec[i].at("epoch"), i + 1);
    ASSERT_TRUE(rec[i].at("fid").is_number()) << rec[i].dump();
    EXPECT_GT(rec[i].at("fid").get<double>(), 0.0);
  }
  const std::string csv = slurp(dir_ / "run" / "metrics.csv");
  EXPECT_NE(csv.substr(0, csv.find('\n')).find(",fid"), std::string::npos) << csv;
  const std::string svg = slurp(dir_ / "run" / "fid.svg");
  EXPECT_NE(svg.find("FID, momenta classifier features"), std::string::npos);
  EXPECT_NE(svg.find("floor: 8 training images"), std::string::npos);
  EXPECT_NE(svg.find("ema averaged weights"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "run" / "curves.svg"));

  const CmdResult last_only = train("last", "--epochs 2 --fid-every 5");
  ASSERT_EQ(last_only.code, 0) << last_only.output;
  EXPECT_EQ(last_only.output.find("FID at epoch 1"), std::string::npos) << last_only.output;
  const auto other = records(dir_ / "last" / "metrics.jsonl");
  ASSERT_EQ(other.size(), 2u);
  EXPECT_TRUE(other[0].at("fid").is_null()) << other[0].dump();  // not measured: null, the key kept for the CSV
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(other[i].at("train_loss"), rec[i].at("train_loss")) << i;
    EXPECT_EQ(other[i].at("avg_test_loss"), rec[i].at("avg_test_loss")) << i;
  }
  EXPECT_EQ(other[1].at("fid"), rec[1].at("fid"));

  // The run measured 8 samples a FID: a resume with another count is refused before training.
  EXPECT_TRUE(fs::exists(dir_ / "run" / "fid_protocol.json"));
  const CmdResult other_n =
      train("run", "--epochs 3 --fid-every 1 --fid-n 9 --resume " + path("run/checkpoint.safetensors"));
  EXPECT_EQ(other_n.code, 1) << other_n.output;
  EXPECT_NE(other_n.output.find("--fid-n: the run being resumed measured its FID with 8"), std::string::npos)
      << other_n.output;
  EXPECT_EQ(records(dir_ / "run" / "metrics.jsonl").size(), 2u);

  // The run was started with --fid-every: resuming without it would change the CSV's columns.
  const CmdResult without =
      run_cli("train --model unet --objective dsm --data-dir " + (dir_ / "data").string() + " --epochs 2 --out " +
              path("run") + " --resume " + path("run/checkpoint.safetensors"));
  EXPECT_EQ(without.code, 1) << without.output;
  EXPECT_NE(without.output.find("--fid-every"), std::string::npos) << without.output;
}

TEST_F(TrainFidCli, RefusesFidOutsideScoreModelsAndTooManySamples) {
  const CmdResult cls =
      run_cli("train --model mlp --hidden 4 --objective classify --fid-every 1 --epochs 1 --out " + path("cls"));
  EXPECT_EQ(cls.code, 1) << cls.output;
  EXPECT_NE(cls.output.find("--fid-every"), std::string::npos) << cls.output;
  EXPECT_NE(cls.output.find("--objective dsm"), std::string::npos) << cls.output;

  const CmdResult many = train("many", "--epochs 1 --fid-every 1 --fid-n 65");
  EXPECT_EQ(many.code, 1) << many.output;
  EXPECT_NE(many.output.find("--fid-n must be at most 64"), std::string::npos) << many.output;
  EXPECT_FALSE(fs::exists(dir_ / "many" / "metrics.jsonl")) << "refused before training";

  const CmdResult unused = train("unused", "--epochs 1");  // --fid-n, --fid-steps, --fid-net without --fid-every
  EXPECT_EQ(unused.code, 1) << unused.output;
  EXPECT_NE(unused.output.find("only used with --fid-every"), std::string::npos) << unused.output;

  const CmdResult range = train("range", "--epochs 1 --fid-every -1");
  EXPECT_EQ(range.code, 1) << range.output;
  EXPECT_NE(range.output.find("--fid-every"), std::string::npos) << range.output;
}
