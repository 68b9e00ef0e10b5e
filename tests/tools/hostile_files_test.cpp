// Hostile files through the `momenta` binary: each class of bad file a user can hand to eval or
// train ends in one "momenta: error:" line naming the file, exit 1, no crash, and no allocation
// sized by the file before it is checked.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "momenta/io/safetensors.h"
#include "tools/cli_runner.h"

namespace fs = std::filesystem;

namespace {

using momenta::Shape;
using momenta::Tensor;
using momenta::testing::CmdResult;

CmdResult run_limited(const std::string& args, long limit_kb) {
  return momenta::testing::run_cli_limited(args + " --threads 1", limit_kb);
}

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>(v >> (8 * i));
  return s;
}

class HostileFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("momenta_hostile_files_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // A 784 -> 8 -> 10 MLP as `momenta train` saves it, with `edits` applied to its metadata.
  std::string write_mlp(const std::string& name, const std::map<std::string, std::string>& edits = {},
                        float poison = 0.0f) {
    std::map<std::string, std::string> meta = {{"format", "momenta-model"}, {"model", "mlp"},
                                               {"hidden", "8"},              {"activation", "relu"},
                                               {"in_features", "784"},      {"in_shape", "1,28,28"},
                                               {"shortcut", "paper"},       {"num_classes", "10"}};
    for (const auto& [k, v] : edits) meta[k] = v;
    std::vector<float> w(8 * 784, 0.01f);
    w[17] = poison == 0.0f ? 0.01f : poison;
    const std::string p = path(name);
    momenta::io::save_safetensors(p,
                                  {{"1.weight", Tensor::from_vector<float>(w, Shape{8, 784})},
                                   {"1.bias", Tensor::zeros(Shape{8})},
                                   {"3.weight", Tensor::zeros(Shape{10, 8})},
                                   {"3.bias", Tensor::zeros(Shape{10})}},
                                  meta);
    return p;
  }

  static void expect_clean_error(const CmdResult& r, const std::string& file, const std::string& what) {
    EXPECT_EQ(r.code, 1) << r.output.substr(0, 2000);
    EXPECT_NE(r.output.find("momenta: error:"), std::string::npos) << r.output.substr(0, 2000);
    EXPECT_NE(r.output.find(file), std::string::npos) << r.output.substr(0, 2000);
    EXPECT_NE(r.output.find(what), std::string::npos) << r.output.substr(0, 2000);
    EXPECT_EQ(r.output.find("internal error"), std::string::npos) << r.output.substr(0, 2000);
    EXPECT_LT(r.output.size(), 1000u) << "unbounded message: " << r.output.substr(0, 2000);
  }

  fs::path dir_;
};

}  // namespace

// A 100k-deep "[[[..." in a header once crashed eval with SIGSEGV while building the message.
TEST_F(HostileFiles, EvalOnDeeplyNestedHeaderFailsCleanly) {
  const std::string header = R"({"w": {"dtype": )" + std::string(100000, '[') + std::string(100000, ']') +
                             R"(, "shape": [1], "data_offsets": [0, 4]}})";
  const std::string file = path("deep.safetensors");
  std::ofstream(file, std::ios::binary) << le64(header.size()) << header << std::string(4, '\0');
  expect_clean_error(momenta::testing::run_cli("eval " + file), file, "more than 64 levels deep");
}

TEST_F(HostileFiles, EvalRefusesNonFiniteWeightsByName) {
  const std::string nan_file = write_mlp("nan.safetensors", {}, std::nanf(""));
  expect_clean_error(momenta::testing::run_cli("eval " + nan_file), nan_file,
                     "tensor '1.weight' holds NaN at element 17");
  const std::string inf_file = write_mlp("inf.safetensors", {}, INFINITY);
  expect_clean_error(momenta::testing::run_cli("eval " + inf_file), inf_file, "tensor '1.weight' holds +inf");
}

// An edited hidden= once built the layers it names (here 65536 x 65536 floats, 16 GB) before noticing
// the file's tensors are 8 wide; under a 2 GB address-space limit that allocation fails, the check
// before it does not.
TEST_F(HostileFiles, EvalChecksMetadataAgainstTheTensorsBeforeBuilding) {
  const std::string wide = write_mlp("wide.safetensors", {{"hidden", "65536,65536"}});
  expect_clean_error(run_limited("eval " + wide, 2L << 20), wide,
                     "tensor '1.weight' has shape [8, 784], but the metadata (mlp, hidden=65536,65536");
  const std::string classes = write_mlp("classes.safetensors", {{"num_classes", "11"}});
  expect_clean_error(momenta::testing::run_cli("eval " + classes), classes, "has shape [10, 8], but the metadata (mlp, hidden=8, in_features=784, num_classes=11) implies shape [11, 8]");
}

TEST_F(HostileFiles, EvalBoundsMetadataFields) {
  struct Case {
    std::string key, value, expect;
  };
  for (const Case& c : {Case{"hidden", "99999999999999999999", "metadata field 'hidden' is '99999999999999999999'"},
                        Case{"hidden", std::string(5000, '1'), "metadata field 'hidden' is '1111"},
                        Case{"in_features", "1e3", "metadata field 'in_features' is '1e3', expected an integer in"},
                        Case{"num_classes", "0", "metadata field 'num_classes' is '0', expected an integer in [1, "},
                        Case{"in_shape", "1,28,99999", "metadata field 'in_shape' is '1,28,99999'"},
                        Case{"model", std::string(5000, 'x'), "metadata field 'model' is 'xxx"},
                        Case{"activation", "\x1b[31mred", "metadata field 'activation' is '\\x1b[31mred'"}}) {
    const std::string file = write_mlp("edited.safetensors", {{c.key, c.value}});
    expect_clean_error(momenta::testing::run_cli("eval " + file), file, c.expect);
  }
}

// An IDX training set of 0 samples once trained on nothing and exited 0.
TEST_F(HostileFiles, TrainRefusesAnEmptyIdxTrainingSet) {
  const auto write_idx = [&](const std::string& name, const std::vector<uint32_t>& head, size_t data) {
    std::ofstream f(path(name), std::ios::binary);
    for (uint32_t v : head)
      for (int s = 24; s >= 0; s -= 8) f.put(static_cast<char>(v >> s));
    f << std::string(data, '\0');
  };
  write_idx("train-images-idx3-ubyte", {0x803, 0, 28, 28}, 0);
  write_idx("train-labels-idx1-ubyte", {0x801, 0}, 0);
  write_idx("t10k-images-idx3-ubyte", {0x803, 2, 28, 28}, 2 * 784);
  write_idx("t10k-labels-idx1-ubyte", {0x801, 2}, 2);
  const CmdResult r = momenta::testing::run_cli("train --data-dir " + dir_.string() + " --epochs 1 --no-progress --out " +
                                                path("run"));
  expect_clean_error(r, path("train-images-idx3-ubyte"), "declares 0 images");
}
