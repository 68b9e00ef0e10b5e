// momenta train --model unet --objective dsm, momenta sample and momenta eval on a score model,
// end to end on a small IDX dataset the test writes.
#include <gtest/gtest.h>

#include <stb/stb_image.h>

#include <filesystem>

#include "cli_runner.h"
#include "momenta/io/safetensors.h"

using namespace momenta;
using momenta::testing::run_cli;
using momenta::testing::slurp;
namespace fs = std::filesystem;

namespace {

class DiffusionCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("momenta_diffusion_cli_" + std::to_string(::getpid()));
    fs::create_directories(root_ / "data");
    momenta::testing::write_idx_split(root_ / "data", "train", 64);
    momenta::testing::write_idx_split(root_ / "data", "t10k", 32);
    // One epoch of the cpu U-Net with EMA: enough to have weights, an average and metrics.
    trained_ = run_cli("train --model unet --objective dsm --sde ve --data fashion-mnist --data-dir " +
                       (root_ / "data").string() + " --epochs 1 --batch-size 32 --lr 1e-3 --average ema "
                       "--threads 1 --no-progress --out " + (root_ / "run").string());
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  static fs::path root_;
  static momenta::testing::CmdResult trained_;
};
fs::path DiffusionCli::root_;
momenta::testing::CmdResult DiffusionCli::trained_;

}  // namespace

TEST_F(DiffusionCli, TrainsAScoreModelAndSavesItsProcess) {
  ASSERT_EQ(trained_.code, 0) << trained_.output;
  EXPECT_NE(trained_.output.find("sigma_max"), std::string::npos) << trained_.output;  // Technique 1 said
  EXPECT_NE(trained_.output.find("final test loss"), std::string::npos) << trained_.output;
  const auto file = io::load_safetensors((root_ / "run" / "model.safetensors").string());
  EXPECT_EQ(file.metadata.at("model"), "unet");
  EXPECT_EQ(file.metadata.at("unet"), "cpu");
  EXPECT_EQ(file.metadata.at("objective"), "dsm");
  EXPECT_EQ(file.metadata.at("sde"), "ve");
  EXPECT_TRUE(fs::exists(root_ / "run" / "model_ema.safetensors"));
  const std::string csv = slurp(root_ / "run" / "metrics.csv");
  EXPECT_NE(csv.find("test_loss"), std::string::npos);
  EXPECT_EQ(csv.find("test_accuracy"), std::string::npos) << "a score model has no accuracy";
}

TEST_F(DiffusionCli, SamplesAGridAndAStripDeterministically) {
  ASSERT_EQ(trained_.code, 0) << trained_.output;
  const std::string base = "sample " + (root_ / "run").string() + " --n 4 --steps 6 --threads 1 --no-progress";
  const auto a = run_cli(base + " --seed 3 --strip --out " + (root_ / "s1").string());
  ASSERT_EQ(a.code, 0) << a.output;
  EXPECT_NE(a.output.find("averaged"), std::string::npos) << "--weights auto takes the EMA: " << a.output;
  int w = 0, h = 0, c = 0;
  ASSERT_NE(stbi_info((root_ / "s1" / "samples.png").string().c_str(), &w, &h, &c), 0);
  EXPECT_EQ(w, 2 * (28 + 2) + 2);  // 4 images: 2 x 2 with 2-pixel padding
  EXPECT_EQ(h, 2 * (28 + 2) + 2);
  ASSERT_NE(stbi_info((root_ / "s1" / "strip.png").string().c_str(), &w, &h, &c), 0);
  EXPECT_EQ(h, 4 * (28 + 2) + 2);  // one row per sample
  const auto b = run_cli(base + " --seed 3 --out " + (root_ / "s2").string());
  ASSERT_EQ(b.code, 0) << b.output;
  const auto sa = io::load_safetensors((root_ / "s1" / "samples.safetensors").string());
  const auto sb = io::load_safetensors((root_ / "s2" / "samples.safetensors").string());
  EXPECT_EQ(sa.tensors.at(0).second.to_vector<float>(), sb.tensors.at(0).second.to_vector<float>());
  const auto other = run_cli(base + " --weights model --seed 4 --out " + (root_ / "s3").string());
  ASSERT_EQ(other.code, 0) << other.output;
  const auto sc = io::load_safetensors((root_ / "s3" / "samples.safetensors").string());
  EXPECT_NE(sa.tensors.at(0).second.to_vector<float>(), sc.tensors.at(0).second.to_vector<float>());
}

TEST_F(DiffusionCli, EverySamplerRuns) {
  ASSERT_EQ(trained_.code, 0) << trained_.output;
  for (const std::string s : {"ald", "em", "pc", "ode"}) {
    const auto r = run_cli("sample " + (root_ / "run").string() + " --sampler " + s +
                           " --n 2 --steps 3 --langevin-steps 2 --threads 1 --no-progress --out " +
                           (root_ / ("sampler_" + s)).string());
    EXPECT_EQ(r.code, 0) << s << ": " << r.output;
    EXPECT_TRUE(fs::exists(root_ / ("sampler_" + s) / "samples.png")) << s;
  }
}

TEST_F(DiffusionCli, MeasuresTheSamplesAgainstTheFloorAndNoise) {
  ASSERT_EQ(trained_.code, 0) << trained_.output;
  EXPECT_TRUE(fs::exists(root_ / "run" / "curves.svg"));
  const std::string base = "sample " + (root_ / "run").string() + " --n 8 --steps 3 --threads 1 --no-progress --fid " +
                           "--data-dir " + (root_ / "data").string() + " --fid-net " +
                           (root_ / "fid" / "classifier.safetensors").string();
  const auto a = run_cli(base + " --out " + (root_ / "f1").string());
  ASSERT_EQ(a.code, 0) << a.output;
  EXPECT_NE(a.output.find("training the FID classifier"), std::string::npos) << a.output;
  EXPECT_NE(a.output.find("FID, momenta classifier features"), std::string::npos) << a.output;
  EXPECT_NE(a.output.find("8 samples vs 32 test images"), std::string::npos) << a.output;
  EXPECT_NE(a.output.find("floor"), std::string::npos) << a.output;
  EXPECT_NE(a.output.find("pure noise"), std::string::npos) << a.output;
  const std::string json = slurp(root_ / "f1" / "fid.json");
  for (const char* key : {"\"fid\"", "\"floor_train_vs_test\"", "\"pure_noise\"", "\"samples\": 8"})
    EXPECT_NE(json.find(key), std::string::npos) << key << " in " << json;
  // The classifier is trained once and reused; the same seed measures the same number.
  const auto b = run_cli(base + " --out " + (root_ / "f2").string());
  ASSERT_EQ(b.code, 0) << b.output;
  EXPECT_EQ(b.output.find("training the FID classifier"), std::string::npos) << b.output;
  EXPECT_EQ(json, slurp(root_ / "f2" / "fid.json"));
  // More samples than training images for the floor: refused before sampling, naming --n.
  const auto c = run_cli("sample " + (root_ / "run").string() + " --n 65 --steps 3 --fid --data-dir " +
                         (root_ / "data").string() + " --fid-net " + (root_ / "fid" / "classifier.safetensors").string() +
                         " --out " + (root_ / "f3").string());
  EXPECT_EQ(c.code, 1) << c.output;
  EXPECT_NE(c.output.find("--n"), std::string::npos) << c.output;
  EXPECT_FALSE(fs::exists(root_ / "f3" / "samples.png"));
}

TEST_F(DiffusionCli, EvalReportsTheScoreMatchingLoss) {
  ASSERT_EQ(trained_.code, 0) << trained_.output;
  const auto r = run_cli("eval " + (root_ / "run" / "model.safetensors").string() + " --data-dir " +
                         (root_ / "data").string() + " --threads 1");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("dsm"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("accuracy"), std::string::npos) << r.output;
}

TEST_F(DiffusionCli, MismatchedModelAndObjectiveAreRefused) {
  const std::string data = " --data fashion-mnist --data-dir " + (root_ / "data").string() + " --epochs 1 --out " +
                           (root_ / "bad").string();
  auto r = run_cli("train --model mlp --objective dsm" + data);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--model unet"), std::string::npos) << r.output;
  r = run_cli("train --model unet" + data);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("--objective dsm"), std::string::npos) << r.output;
}

TEST_F(DiffusionCli, SampleRefusesWhatIsNotAScoreModel) {
  ASSERT_EQ(trained_.code, 0) << trained_.output;
  // A classifier.
  const auto cls = run_cli("train --model mlp --hidden 8 --data fashion-mnist --data-dir " + (root_ / "data").string() +
                           " --epochs 1 --no-progress --out " + (root_ / "mlp").string());
  ASSERT_EQ(cls.code, 0) << cls.output;
  auto r = run_cli("sample " + (root_ / "mlp").string() + " --n 2 --steps 2");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("score model"), std::string::npos) << r.output;
  // A score model whose noise process was edited into nonsense.
  auto file = io::load_safetensors((root_ / "run" / "model.safetensors").string());
  auto meta = file.metadata;
  meta["sde_a"] = "-1";
  fs::create_directories(root_ / "edited");
  io::save_safetensors((root_ / "edited" / "model.safetensors").string(), file.tensors, meta);
  r = run_cli("sample " + (root_ / "edited").string() + " --n 2 --steps 2");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("noise process"), std::string::npos) << r.output;
  meta = file.metadata;
  meta["t_min"] = "soon";
  io::save_safetensors((root_ / "edited" / "model.safetensors").string(), file.tensors, meta);
  r = run_cli("sample " + (root_ / "edited").string() + " --n 2 --steps 2");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("t_min"), std::string::npos) << r.output;
}
