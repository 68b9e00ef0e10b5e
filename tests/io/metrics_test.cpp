#include "momenta/io/metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "momenta/error.h"

namespace momenta::io {
namespace {

namespace fs = std::filesystem;

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) out.push_back(nlohmann::json::parse(line));
  return out;
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("momenta_metrics_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    jsonl_ = (dir_ / "m.jsonl").string();
    csv_ = (dir_ / "m.csv").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static MetricsOptions appending() {
    MetricsOptions o;
    o.append = true;
    return o;
  }

  fs::path dir_;
  std::string jsonl_, csv_;
};

TEST_F(MetricsTest, WritesBothFilesAndFlushesEachRecord) {
  MetricsWriter w(jsonl_, csv_);
  w.write({{"step", 1}, {"loss", 0.5}, {"optimizer", "adam"}});
  // Read while the writer is still open: nothing may wait in a buffer.
  EXPECT_EQ(read_text(csv_), "step,loss,optimizer\n1,0.5,adam\n");
  w.write({{"step", int64_t{2}}, {"loss", 0.1f}, {"optimizer", std::string("sgd")}});
  EXPECT_EQ(read_text(csv_), "step,loss,optimizer\n1,0.5,adam\n2,0.10000000149011612,sgd\n");

  auto lines = read_jsonl(jsonl_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].dump(), R"({"loss":0.5,"optimizer":"adam","step":1})");
  EXPECT_TRUE(lines[1]["step"].is_number_integer());
  EXPECT_EQ(lines[1]["loss"].get<double>(), static_cast<double>(0.1f));
  EXPECT_EQ(w.columns(), (std::vector<std::string>{"step", "loss", "optimizer"}));
}

TEST_F(MetricsTest, JsonlKeepsRecordKeyOrder) {
  MetricsWriter w(jsonl_, "");
  w.write({{"z", 1}, {"a", 2}});
  EXPECT_EQ(read_text(jsonl_), "{\"z\":1,\"a\":2}\n");
  EXPECT_FALSE(fs::exists(csv_));
}

TEST_F(MetricsTest, NewKeysGoToJsonlOnlyAndMissingOnesLeaveEmptyCells) {
  MetricsWriter w(jsonl_, csv_);
  w.write({{"step", 1}, {"loss", 2.0}});
  w.write({{"step", 2}, {"test_acc", 0.9}});
  EXPECT_EQ(read_text(csv_), "step,loss\n1,2\n2,\n");
  EXPECT_EQ(w.csv_dropped_keys(), (std::set<std::string>{"test_acc"}));
  auto lines = read_jsonl(jsonl_);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["test_acc"].get<double>(), 0.9);
}

TEST_F(MetricsTest, DeclaredColumnsAreWrittenUpFront) {
  MetricsWriter w(jsonl_, csv_, {.columns = {"step", "loss", "test_acc"}});
  EXPECT_EQ(read_text(csv_), "step,loss,test_acc\n");
  w.write({{"step", 1}, {"loss", 0.25}});
  w.write({{"test_acc", 0.5}, {"step", 1}});
  EXPECT_EQ(read_text(csv_), "step,loss,test_acc\n1,0.25,\n1,,0.5\n");
  EXPECT_TRUE(w.csv_dropped_keys().empty());
}

TEST_F(MetricsTest, NonFiniteValuesAndQuoting) {
  MetricsWriter w(jsonl_, csv_);
  w.write({{"loss", std::nan("")}, {"grad", -HUGE_VAL}, {"note", "a, \"b\""}});
  EXPECT_EQ(read_text(csv_), "loss,grad,note\nnan,-inf,\"a, \"\"b\"\"\"\n");
  auto lines = read_jsonl(jsonl_);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_TRUE(lines[0]["loss"].is_null());
  EXPECT_TRUE(lines[0]["grad"].is_null());
  EXPECT_EQ(lines[0]["note"], "a, \"b\"");
}

TEST_F(MetricsTest, AppendContinuesFilesAndReusesTheHeader) {
  {
    MetricsWriter w(jsonl_, csv_);
    w.write({{"step", 1}, {"loss", 1.5}});
  }
  {
    MetricsWriter w(jsonl_, csv_, appending());
    EXPECT_EQ(w.columns(), (std::vector<std::string>{"step", "loss"}));
    w.write({{"loss", 0.75}, {"step", 2}});
  }
  EXPECT_EQ(read_text(csv_), "step,loss\n1,1.5\n2,0.75\n");
  EXPECT_EQ(read_jsonl(jsonl_).size(), 2u);
  EXPECT_THROW(MetricsWriter(jsonl_, csv_, {.append = true, .columns = {"step", "acc"}}), ValueError);

  // Without append the files start over.
  MetricsWriter fresh(jsonl_, csv_);
  EXPECT_EQ(read_text(csv_), "");
  EXPECT_EQ(read_text(jsonl_), "");
}

TEST_F(MetricsTest, AppendEndsALineTornByACrash) {
  std::ofstream(jsonl_) << "{\"step\":1}\n{\"st";
  std::ofstream(csv_) << "step\n1\n2";
  MetricsWriter w(jsonl_, csv_, appending());
  w.write({{"step", 3}});
  EXPECT_EQ(read_text(jsonl_), "{\"step\":1}\n{\"st\n{\"step\":3}\n");
  EXPECT_EQ(read_text(csv_), "step\n1\n2\n3\n");
}

TEST_F(MetricsTest, Errors) {
  MetricsWriter w(jsonl_, csv_);
  EXPECT_THROW(w.write({}), ValueError);
  EXPECT_THROW(w.write({{"a", 1}, {"a", 2}}), ValueError);
  std::string bad = (dir_ / "missing" / "m.csv").string();
  try {
    MetricsWriter m("", bad);
    FAIL() << "no IOError";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace momenta::io
