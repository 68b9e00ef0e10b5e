// `momenta train` and its run directory (NOTE [run directory] in train/run_dir.h): a second run
// on a locked directory is refused with exit 1; temporaries of killed saves are removed.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "data/temp_dir.h"
#include "momenta/train/run_dir.h"
#include "tools/cli_runner.h"

namespace fs = std::filesystem;

namespace {

void write_be32(std::ofstream& f, uint32_t v) {
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
  f.write(b, 4);
}

// n 28x28 IDX images of 10 classes (a bright band per class) with their labels.
void write_split(const fs::path& dir, const std::string& prefix, int n) {
  std::ofstream img(dir / (prefix + "-images-idx3-ubyte"), std::ios::binary);
  std::ofstream lab(dir / (prefix + "-labels-idx1-ubyte"), std::ios::binary);
  write_be32(img, 0x803), write_be32(img, static_cast<uint32_t>(n)), write_be32(img, 28), write_be32(img, 28);
  write_be32(lab, 0x801), write_be32(lab, static_cast<uint32_t>(n));
  for (int i = 0; i < n; ++i) {
    for (int r = 0; r < 28; ++r)
      for (int c = 0; c < 28; ++c) img.put(static_cast<char>(r / 3 == i % 10 ? 200 : (i + r + c) % 30));
    lab.put(static_cast<char>(i % 10));
  }
}

class RunDirCli : public momenta::data::testing::TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    write_split(dir_, "train", 60);
    write_split(dir_, "t10k", 20);
  }
  momenta::testing::CmdResult train(const std::string& out) {
    return momenta::testing::run_cli("train --data-dir " + dir_.string() + " --hidden 8 --epochs 1 --batch-size 20 --out " + out +
                                     " --no-progress --threads 1");
  }
};

}  // namespace

TEST_F(RunDirCli, ASecondRunOnTheSameOutIsRefused) {
  const std::string out = path("run/x");
  fs::create_directories(out);
  {
    const momenta::train::RunDirLock held(out);  // another run, as far as the CLI can tell
    const auto r = train(out);
    EXPECT_EQ(r.code, 1) << r.output;
    EXPECT_NE(r.output.find("momenta: error: run directory '" + out + "' is in use by another momenta run (pid " +
                            std::to_string(::getpid()) + ")"),
              std::string::npos)
        << r.output;
    EXPECT_FALSE(fs::exists(out + "/metrics.jsonl"));
  }
  const auto r = train(out);  // released: the run goes ahead
  EXPECT_EQ(r.code, 0) << r.output;
}

TEST_F(RunDirCli, RemovesTemporariesOfKilledSaves) {
  const std::string out = path("run");
  fs::create_directories(out);
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  ::waitpid(child, nullptr, 0);  // a pid that is no longer running
  const std::string stale = out + "/checkpoint.safetensors.tmp." + std::to_string(child);
  std::ofstream(stale) << "partial";
  const auto r = train(out);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_NE(r.output.find("removed " + stale + ", left by a killed save"), std::string::npos) << r.output;
}
