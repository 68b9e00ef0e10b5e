// Hostile runs through the real `momenta` binary (issue 10, part 2), the classes that
// hostile_cli_test (option values, paths, write errors), hostile_files_test (model files, IDX)
// and run_dir_cli_test (lock, temporaries) do not reach: resumes that do not fit their
// checkpoint, a run killed between its metrics and its checkpoint, parameters that become
// non-finite, and dataset files whose sizes lie. Each run is a few steps on a 20-image set.
#include <gtest/gtest.h>
#include <stb/stb_image_write.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "data/temp_dir.h"
#include "momenta/io/safetensors.h"
#include "tools/cli_runner.h"

namespace fs = std::filesystem;
using momenta::testing::CmdResult;
using momenta::testing::run_cli;

namespace {

std::vector<std::string> lines_of(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

std::string contents(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class HostileRuns : public momenta::data::testing::TempDirTest {
 protected:
  // `momenta train` on 20 training and 10 test images (batches of 10 unless `flags` say), into DIR/run.
  CmdResult train(const std::string& flags) {
    if (!fs::exists(dir_ / "train-images-idx3-ubyte")) {
      momenta::testing::write_idx_split(dir_, "train", 20);
      momenta::testing::write_idx_split(dir_, "t10k", 10);
    }
    return run_cli("train --data-dir " + dir_.string() + " --out " + out() +
                   " --hidden 4 --no-progress --threads 1 " +
                   (flags.find("--batch-size") == std::string::npos ? "--batch-size 10 " : "") + flags);
  }
  std::string out() const { return path("run"); }
  std::string checkpoint() const { return out() + "/checkpoint.safetensors"; }
  std::string resume_flag() const { return " --resume " + checkpoint(); }

  // Rewrites the checkpoint with `edit` applied to its tensors, metadata kept.
  template <class Edit>
  void edit_checkpoint(Edit edit) {
    momenta::io::SafetensorsFile f = momenta::io::load_safetensors(checkpoint());
    edit(f.tensors);
    momenta::io::save_safetensors(checkpoint(), f.tensors, f.metadata);
  }
};

// Exit 1 with one error line that contains `expect`, never an internal error.
void expect_refused(const CmdResult& r, const std::string& expect) {
  EXPECT_EQ(r.code, 1) << r.output;
  EXPECT_NE(r.output.find("momenta: error:"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(expect), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("internal error"), std::string::npos) << r.output;
}

}  // namespace

// Class: a resume whose settings change the run. Under cosine the rate at each step depends on
// the run's length, so another --epochs would silently bend the schedule (the old code trained
// on, exit 0); every difference is listed.
TEST_F(HostileRuns, ResumeWithOtherSettingsIsRefusedListingEachDifference) {
  ASSERT_EQ(train("--epochs 2").code, 0);
  const std::string before = contents(checkpoint());
  expect_refused(train("--epochs 3" + resume_flag()),
                 "momenta: error: checkpoint '" + checkpoint() + "' does not fit this run: epochs 2 in the checkpoint, "
                 "3 now (the schedule spans the whole run)");
  const CmdResult r = train("--epochs 3 --seed 7" + resume_flag());
  expect_refused(r, "epochs 2 in the checkpoint, 3 now");
  expect_refused(r, "seed 0 in the checkpoint, 7 now");
  EXPECT_EQ(contents(checkpoint()), before);  // refused before anything is written
  EXPECT_EQ(lines_of(out() + "/metrics.jsonl").size(), 2u);
}

// Class: a resume with nothing left to do says so (the old code exited 0 silently).
TEST_F(HostileRuns, ResumingAFinishedRunSaysThereIsNothingToTrain) {
  ASSERT_EQ(train("--epochs 2").code, 0);
  const CmdResult r = train("--epochs 2" + resume_flag());
  EXPECT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("checkpoint '" + checkpoint() + "' is already at epoch 2 of 2: nothing to train"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.find("epoch 3"), std::string::npos) << r.output;
  EXPECT_EQ(lines_of(out() + "/metrics.jsonl").size(), 2u);
}

// Class: a checkpoint that lacks what the run needs. Without its second moments Adam would
// restart them from zero (the old code did, exit 0); the state the checkpoint lists is required.
TEST_F(HostileRuns, ResumeRefusesACheckpointWithoutItsOptimizerState) {
  ASSERT_EQ(train("--epochs 1 --schedule constant").code, 0);
  edit_checkpoint([](auto& tensors) {
    const auto n = std::erase_if(tensors, [](const auto& kv) { return kv.first == "optim.exp_avg_sq"; });
    ASSERT_EQ(n, 1u);
  });
  expect_refused(train("--epochs 2 --schedule constant" + resume_flag()),
                 "checkpoint '" + checkpoint() + "': optimizer state 'exp_avg_sq' is missing");
}

// Class: non-finite numbers in a file. A NaN weight once passed unnoticed (ReLU mapped it to 0
// and the loss stayed finite); it is refused on load, naming the tensor.
TEST_F(HostileRuns, ResumeRefusesNonFiniteWeightsNamingTheTensor) {
  ASSERT_EQ(train("--epochs 1 --schedule constant").code, 0);
  edit_checkpoint([](auto& tensors) {
    for (auto& [name, t] : tensors)
      if (name == "model.1.weight") t.template data<float>()[5] = std::nanf("");
  });
  expect_refused(train("--epochs 2 --schedule constant" + resume_flag()), "tensor 'model.1.weight' holds NaN at element 5");
  EXPECT_EQ(lines_of(out() + "/metrics.jsonl").size(), 1u);  // nothing trained
}

// Class: a run killed after writing an epoch's metrics and before renaming its checkpoint.
// Simulated: a 1-epoch run (constant schedule, so it may be extended) leaves the checkpoint of
// epoch 1; a resumed 2-epoch run logs epoch 2 and checkpoints it; the epoch-1 checkpoint is then
// put back, as if the rename had never happened. Resumed again, the run trains epoch 2 again and
// both files hold each epoch once (the old code appended a second epoch 2).
TEST_F(HostileRuns, AnEpochLoggedBeforeItsCheckpointIsLoggedOnceAfterResume) {
  const std::string flags = "--epochs 2 --schedule constant";
  ASSERT_EQ(train("--epochs 1 --schedule constant").code, 0);
  fs::copy_file(checkpoint(), path("epoch1.safetensors"));
  ASSERT_EQ(train(flags + resume_flag()).code, 0);
  ASSERT_EQ(lines_of(out() + "/metrics.jsonl").size(), 2u);
  fs::copy_file(path("epoch1.safetensors"), checkpoint(), fs::copy_options::overwrite_existing);

  const CmdResult r = train(flags + resume_flag());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("resume: removed 1 line(s) after epoch 1 from " + out() + "/metrics.jsonl"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("epoch 2/2"), std::string::npos) << r.output;  // trained again
  const auto jsonl = lines_of(out() + "/metrics.jsonl");
  ASSERT_EQ(jsonl.size(), 2u);
  for (size_t i = 0; i < jsonl.size(); ++i)
    EXPECT_EQ(jsonl[i].rfind("{\"epoch\":" + std::to_string(i + 1) + ",", 0), 0u) << jsonl[i];
  const auto csv = lines_of(out() + "/metrics.csv");
  ASSERT_EQ(csv.size(), 3u);  // the header, epochs 1 and 2
  EXPECT_EQ(csv[0].rfind("epoch,", 0), 0u) << csv[0];
  EXPECT_EQ(csv[1].rfind("1,", 0), 0u) << csv[1];
  EXPECT_EQ(csv[2].rfind("2,", 0), 0u) << csv[2];
  EXPECT_EQ(momenta::io::load_safetensors(checkpoint()).metadata.at("next_epoch"), "2");
}

// Class: parameters that become non-finite. One batch per epoch; the learning rate is scheduled
// from 0 (epoch 1 trains nothing, and is checkpointed) to 1e300, which is inf in float: the update
// of step 1 writes inf and NaN into every weight while the loss of that step is still finite. The
// old code, watching only the loss, finished with exit 0 and saved NaN weights; the run stops at
// the step, naming a tensor, and keeps epoch 1's checkpoint as it was.
TEST_F(HostileRuns, ParametersThatBecomeNonFiniteStopTheRunAtTheStep) {
  const CmdResult r = train("--epochs 2 --batch-size 20 --optim sgd --schedule constant --hp-schedule lr=0:1e300");
  expect_refused(r, "training diverged at epoch 2, step 1: parameter '1.weight' is non-finite (");
  expect_refused(r, "; the checkpoint of epoch 1 is kept");
  const auto ckpt = momenta::io::load_safetensors(checkpoint());  // intact: it loads, all finite
  EXPECT_EQ(ckpt.metadata.at("next_epoch"), "1");
  EXPECT_FALSE(fs::exists(out() + "/model.safetensors"));
  // Epoch 1 is logged, with the scheduled lr once (it is also the record's own lr column).
  const auto jsonl = lines_of(out() + "/metrics.jsonl");
  ASSERT_EQ(jsonl.size(), 1u);
  EXPECT_NE(jsonl[0].find("\"lr\":0"), std::string::npos) << jsonl[0];

  // A rate that overflows the logits in the first epoch: the loss is reported at its step.
  fs::remove_all(out());
  const CmdResult early = train("--epochs 2 --optim sgd --lr 1e30");
  expect_refused(early, "training diverged: the loss is ");
  expect_refused(early, "at epoch 1, step 1");
  EXPECT_FALSE(fs::exists(checkpoint()));
}

// Class: dataset files whose sizes lie, refused from their headers or sizes before anything is
// allocated for them, naming the file. Both run under a 1 GB address-space limit that the claims
// exceed: the old code decoded a 40000x40000 BMP header (1.6 GB as grey) and read a whole CIFAR
// file before checking its size, so under the limit it failed without naming the claim.
TEST_F(HostileRuns, ImageFolderWithALyingHeaderIsRefusedNamingTheFile) {
  for (const char* split : {"train", "test"})
    for (const char* cls : {"a", "b"}) {
      fs::create_directories(dir_ / split / cls);
      const std::vector<unsigned char> px(4 * 4, static_cast<unsigned char>(cls[0] == 'a' ? 30 : 220));
      ASSERT_NE(stbi_write_bmp((dir_ / split / cls / "img.bmp").c_str(), 4, 4, 1, px.data()), 0);
    }
  const fs::path lying = dir_ / "train" / "b" / "img.bmp";
  std::string bmp = contents(lying);
  for (size_t i = 0; i < 4; ++i) bmp[18 + i] = bmp[22 + i] = static_cast<char>(40000u >> (8 * i));  // width, height
  std::ofstream(lying, std::ios::binary | std::ios::trunc) << bmp;
  const std::string args = "train --data folder --data-dir " + dir_.string() + " --channels 1 --image-size 4 --out " +
                           out() + " --hidden 4 --epochs 1 --no-progress --threads 1";
  expect_refused(momenta::testing::run_cli_limited(args, 1L << 20),
                 lying.string() + ": the image header claims 40000x40000 pixels");
}

TEST_F(HostileRuns, CifarFileOfTheWrongSizeIsRefusedNamingTheFile) {
  // 400000 records and 5 bytes (1.2 GB), sparse: nothing is written but its size.
  const std::string file = path("data_batch_1.bin");
  std::ofstream(file, std::ios::binary).close();
  fs::resize_file(file, 3073ull * 400000 + 5);
  const std::string args = "train --data cifar10 --data-dir " + dir_.string() + " --out " + out() +
                           " --hidden 4 --epochs 1 --no-progress --threads 1";
  expect_refused(momenta::testing::run_cli_limited(args, 1L << 20),
                 file + ": 1229200005 bytes is not a whole number of 3073-byte CIFAR-10 records");
}
