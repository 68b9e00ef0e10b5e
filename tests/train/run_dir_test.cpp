// NOTE [run directory] (train/run_dir.h): the lock on a run directory, the removal of temporary
// files of killed saves, and cutting metrics back to a checkpoint's epochs.
#include "momenta/train/run_dir.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/temp_dir.h"
#include "momenta/error.h"

using namespace momenta;
namespace fs = std::filesystem;

namespace {

class RunDir : public data::testing::TempDirTest {
 protected:
  void write(const std::string& name, const std::string& text) {
    std::ofstream(path(name), std::ios::binary) << text;
  }
  std::string read(const std::string& name) {
    std::ifstream in(path(name), std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
};

// The pid of a process that has exited and been reaped: certainly not running.
pid_t dead_pid() {
  const pid_t child = ::fork();
  if (child == 0) ::_exit(0);
  int status = 0;
  ::waitpid(child, &status, 0);
  return child;
}

}  // namespace

TEST_F(RunDir, ASecondLockOnTheDirectoryIsRefusedWithTheHoldersPid) {
  auto first = std::make_unique<train::RunDirLock>(dir_.string());
  try {
    train::RunDirLock second(dir_.string());
    FAIL() << "the second lock was granted";
  } catch (const IOError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'" + dir_.string() + "' is in use by another momenta run"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(pid " + std::to_string(::getpid()) + ")"), std::string::npos) << msg;
  }
  first.reset();  // released with its descriptor, as when the process dies
  EXPECT_NO_THROW(train::RunDirLock again(dir_.string()));
}

TEST_F(RunDir, RemovesOnlyTemporaryFilesOfDeadProcesses) {
  const std::string dead = std::to_string(dead_pid()), alive = std::to_string(::getppid());
  write("checkpoint.safetensors.tmp." + dead, "partial");
  write("model.safetensors.tmp." + dead, "partial");
  write("checkpoint.safetensors.tmp." + alive, "someone else's save in progress");
  write("notes.tmp.txt", "not ours");
  write("data.tmp.12a", "not ours");
  write(".tmp." + dead, "no name before the suffix");
  write("checkpoint.safetensors", "kept");
  const auto removed = train::remove_stale_temp_files(dir_.string());
  EXPECT_EQ(removed.size(), 2u);
  EXPECT_FALSE(fs::exists(path("checkpoint.safetensors.tmp." + dead)));
  EXPECT_FALSE(fs::exists(path("model.safetensors.tmp." + dead)));
  for (const char* kept : {"notes.tmp.txt", "data.tmp.12a", "checkpoint.safetensors"}) EXPECT_TRUE(fs::exists(path(kept))) << kept;
  EXPECT_TRUE(fs::exists(path("checkpoint.safetensors.tmp." + alive)));
  EXPECT_TRUE(fs::exists(path(".tmp." + dead)));
}

TEST_F(RunDir, CutsJsonlMetricsAfterTheCheckpointsEpoch) {
  const std::string kept = "{\"epoch\":1,\"step\":7,\"train_loss\":0.5}\n{\"epoch\":2,\"step\":14,\"train_loss\":0.25}\n";
  write("metrics.jsonl", kept + "{\"epoch\":3,\"step\":21,\"train_loss\":0.125}\n{\"epoch\":4,\"st");
  EXPECT_EQ(train::truncate_metrics(path("metrics.jsonl"), 2), 2);
  EXPECT_EQ(read("metrics.jsonl"), kept);
  EXPECT_EQ(train::truncate_metrics(path("metrics.jsonl"), 2), 0);  // nothing more to cut
  EXPECT_EQ(read("metrics.jsonl"), kept);
}

TEST_F(RunDir, CutsCsvMetricsAfterTheCheckpointsEpoch) {
  const std::string kept = "step,epoch,\"a,b\"\n7,1,0.5\n14,2,\"x,3\"\n";
  write("metrics.csv", kept + "21,3,0.125\n");
  EXPECT_EQ(train::truncate_metrics(path("metrics.csv"), 2), 1);
  EXPECT_EQ(read("metrics.csv"), kept);
  write("other.csv", "a,b\n1,2\n");  // no epoch column: not a trainer's file, left alone
  EXPECT_EQ(train::truncate_metrics(path("other.csv"), 0), 0);
  EXPECT_EQ(read("other.csv"), "a,b\n1,2\n");
  EXPECT_EQ(train::truncate_metrics(path("absent.csv"), 0), 0);
}
