// A resumed run must fit its checkpoint: the settings its schedule, data order and update
// depend on, the optimizer state, and metadata in range; metrics are cut back to the
// checkpoint's epochs; a finished run says that there is nothing to do.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "models/mlp.h"
#include "momenta/io/safetensors.h"
#include "momenta/optim/registry.h"
#include "momenta/train/trainer.h"

#include "data/temp_dir.h"
#include "toy_data.h"

using namespace momenta;
namespace fs = std::filesystem;

namespace {

struct Rig {
  std::shared_ptr<nn::Sequential> model;
  std::unique_ptr<optim::Optimizer> opt;
};

Rig make_rig(const std::string& lr = "0.01") {
  manual_seed(4);
  Rig r;
  r.model = models::make_mlp({64, {16}, 3, nn::Activation::kReLU, 0.0});
  r.model->finalize();
  r.opt = optim::make_optimizer("adam", r.model->arena(), std::map<std::string, std::string>{{"lr", lr}});
  return r;
}

train::TrainerOptions quiet(int64_t epochs, optim::Schedule::Kind kind) {
  train::TrainerOptions o;
  o.epochs = epochs;
  o.batch_size = 32;
  o.seed = 5;
  o.progress = false;
  o.print_epochs = false;
  o.schedule.kind = kind;
  return o;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

class ResumeChecks : public data::testing::TempDirTest {
 protected:
  const data::ImageDataset train_set = toy_images(1, 200, 1);

  // Trains `epochs` epochs, writing checkpoint.safetensors (and metrics with `metrics`).
  void train_fresh(int64_t epochs, optim::Schedule::Kind kind, bool metrics = false) {
    Rig r = make_rig();
    train::TrainerOptions o = quiet(epochs, kind);
    o.checkpoint = path("checkpoint.safetensors");
    if (metrics) o.metrics_jsonl = path("metrics.jsonl"), o.metrics_csv = path("metrics.csv");
    o.on_epoch_start = [&](int64_t epoch, optim::Optimizer&) {
      if (epoch > 0) fs::copy_file(o.checkpoint, path("after_epoch" + std::to_string(epoch) + ".safetensors"));
    };
    train::Trainer(*r.model, *r.opt, o).fit(train_set, nullptr);
  }
  // Resumes from `file` with options `o`; returns the error message, or "" when it trained.
  std::string resume(const std::string& file, train::TrainerOptions o, const std::string& lr = "0.01",
                     std::vector<train::EpochResult>* results = nullptr) {
    Rig r = make_rig(lr);
    o.resume_from = path(file);
    try {
      auto res = train::Trainer(*r.model, *r.opt, o).fit(train_set, nullptr);
      if (results) *results = res;
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }
  // Rewrites a checkpoint with `edit` applied to its tensors and metadata.
  void edit_checkpoint(const std::string& file,
                       const std::function<void(std::vector<std::pair<std::string, Tensor>>&,
                                                std::map<std::string, std::string>&)>& edit) {
    io::SafetensorsFile f = io::load_safetensors(path(file));
    edit(f.tensors, f.metadata);
    io::save_safetensors(path(file), f.tensors, f.metadata);
  }
};

}  // namespace

TEST_F(ResumeChecks, RefusesSettingsThatChangeTheScheduleListingEachDifference) {
  train_fresh(3, optim::Schedule::Kind::kCosine);
  const std::string msg = resume("after_epoch1.safetensors", quiet(4, optim::Schedule::Kind::kCosine), "0.02");
  EXPECT_NE(msg.find("does not fit this run"), std::string::npos) << msg;
  EXPECT_NE(msg.find("epochs 3 in the checkpoint, 4 now"), std::string::npos) << msg;
  EXPECT_NE(msg.find("optimizer_hp"), std::string::npos) << msg;  // lr 0.01 -> 0.02
  train::TrainerOptions other_batch = quiet(3, optim::Schedule::Kind::kCosine);
  other_batch.batch_size = 50;
  EXPECT_NE(resume("after_epoch1.safetensors", other_batch).find("batch_size 32 in the checkpoint, 50 now"), std::string::npos);
  EXPECT_NE(resume("after_epoch1.safetensors", quiet(3, optim::Schedule::Kind::kConstant)).find("schedule cosine in the checkpoint, constant now"),
            std::string::npos);
  EXPECT_EQ(resume("after_epoch1.safetensors", quiet(3, optim::Schedule::Kind::kCosine)), "");  // the same settings
}

TEST_F(ResumeChecks, AConstantScheduleMayBeExtended) {
  train_fresh(2, optim::Schedule::Kind::kConstant);
  std::vector<train::EpochResult> results;
  EXPECT_EQ(resume("checkpoint.safetensors", quiet(3, optim::Schedule::Kind::kConstant), "0.01", &results), "");
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].epoch, 3);
  // Shorter than the checkpoint: refused, naming the field.
  EXPECT_NE(resume("checkpoint.safetensors", quiet(1, optim::Schedule::Kind::kConstant)).find("'next_epoch' is 2, beyond this run's 1 epochs"),
            std::string::npos);
}

TEST_F(ResumeChecks, AFinishedRunTrainsNothingAndSaysSo) {
  train_fresh(2, optim::Schedule::Kind::kCosine);
  std::vector<train::EpochResult> results(1);
  ::testing::internal::CaptureStdout();
  const std::string msg = resume("checkpoint.safetensors", quiet(2, optim::Schedule::Kind::kCosine), "0.01", &results);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(msg, "");
  EXPECT_TRUE(results.empty());
  EXPECT_NE(out.find("is already at epoch 2 of 2: nothing to train"), std::string::npos) << out;
}

TEST_F(ResumeChecks, RefusesMissingOptimizerState) {
  train_fresh(1, optim::Schedule::Kind::kCosine);
  edit_checkpoint("checkpoint.safetensors", [](auto& tensors, auto&) {
    std::erase_if(tensors, [](const auto& kv) { return kv.first == "optim.exp_avg_sq"; });
  });
  const std::string msg = resume("checkpoint.safetensors", quiet(1, optim::Schedule::Kind::kCosine));
  EXPECT_NE(msg.find("optimizer state 'exp_avg_sq' is missing"), std::string::npos) << msg;
}

TEST_F(ResumeChecks, RefusesOutOfRangeMetadataNamingTheField) {
  train_fresh(1, optim::Schedule::Kind::kCosine);
  fs::copy_file(path("checkpoint.safetensors"), path("good.safetensors"));
  struct Case {
    std::string key, value, expect;
  };
  for (const Case& c : {Case{"global_step", "-1", "'global_step' is not a non-negative integer: '-1'"},
                        Case{"global_step", "6", "'global_step' is 6, expected 1 epochs x 7 batches = 7"},
                        Case{"next_epoch", "99999999999999999999999", "'next_epoch' is not a non-negative integer"},
                        Case{"next_epoch", "5", "'next_epoch' is 5, beyond this run's 1 epochs"},
                        Case{"rng_offset", "12x", "'rng_offset' is not a non-negative integer: '12x'"},
                        Case{"base_lrs", "-0.5", "'base_lrs' holds -0.5"},
                        Case{"run.epochs", "", "epochs (none) in the checkpoint, 1 now"}}) {
    fs::copy_file(path("good.safetensors"), path("checkpoint.safetensors"), fs::copy_options::overwrite_existing);
    edit_checkpoint("checkpoint.safetensors", [&](auto&, auto& meta) { meta[c.key] = c.value; });
    const std::string msg = resume("checkpoint.safetensors", quiet(1, optim::Schedule::Kind::kCosine));
    EXPECT_NE(msg.find(c.expect), std::string::npos) << c.key << "=" << c.value << ": " << msg;
  }
  fs::copy_file(path("good.safetensors"), path("checkpoint.safetensors"), fs::copy_options::overwrite_existing);
  edit_checkpoint("checkpoint.safetensors", [](auto&, auto& meta) { meta.erase("run.dataset_size"); });
  EXPECT_NE(resume("checkpoint.safetensors", quiet(1, optim::Schedule::Kind::kCosine)).find("metadata has no 'run.dataset_size' field"),
            std::string::npos);
}

// Killed after writing epoch 3's metrics and before renaming its checkpoint: the resumed run
// trains epoch 3 again and logs it once.
TEST_F(ResumeChecks, CutsMetricsBackToTheCheckpointsEpochs) {
  train_fresh(3, optim::Schedule::Kind::kCosine, true);
  ASSERT_EQ(lines_of(path("metrics.jsonl")).size(), 3u);
  train::TrainerOptions o = quiet(3, optim::Schedule::Kind::kCosine);
  o.metrics_jsonl = path("metrics.jsonl");
  o.metrics_csv = path("metrics.csv");
  EXPECT_EQ(resume("after_epoch2.safetensors", o), "");
  const auto jsonl = lines_of(path("metrics.jsonl"));
  ASSERT_EQ(jsonl.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(jsonl[i].rfind("{\"epoch\":" + std::to_string(i + 1) + ",", 0), 0u) << jsonl[i];
  const auto csv = lines_of(path("metrics.csv"));
  ASSERT_EQ(csv.size(), 4u);  // header and epochs 1, 2, 3
  EXPECT_EQ(csv[3].rfind("3,", 0), 0u) << csv[3];
}
