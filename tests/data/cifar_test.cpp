// CIFAR-10/100 binary reading on files the tests write: round trips, label modes, the archive
// folder, and the errors for truncated, mis-sized, empty and missing files.
#include "momenta/data/cifar.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/temp_dir.h"
#include "momenta/data/loader.h"
#include "momenta/error.h"

namespace momenta::data {
namespace {

using testing::random_bytes;
using testing::read_bytes;
using testing::write_bytes;
using Bytes = std::vector<uint8_t>;

// Records with random pixels; labels[r] holds the label bytes of record r (1 or 2 of them).
struct Records {
  Bytes file;
  Bytes pixels;
  std::vector<std::vector<uint8_t>> labels;
};

Records make_records(const std::vector<std::vector<uint8_t>>& labels, uint32_t seed) {
  Records r;
  r.labels = labels;
  r.pixels = random_bytes(labels.size() * kCifarImageBytes, seed);
  for (size_t i = 0; i < labels.size(); ++i) {
    r.file.insert(r.file.end(), labels[i].begin(), labels[i].end());
    const auto* px = r.pixels.data() + i * kCifarImageBytes;
    r.file.insert(r.file.end(), px, px + kCifarImageBytes);
  }
  return r;
}

class CifarTest : public testing::TempDirTest {
 protected:
  // Writes the five CIFAR-10 training batches (n records each) and the test batch under `sub`,
  // returning the expected training pixels and labels.
  void write_cifar10(const std::string& sub, int n, Bytes& pixels, std::vector<int64_t>& labels) {
    for (int b = 1; b <= 6; ++b) {
      std::vector<std::vector<uint8_t>> lab;
      for (int i = 0; i < n; ++i) lab.push_back({static_cast<uint8_t>((b * 7 + i * 3) % 10)});
      const Records r = make_records(lab, static_cast<uint32_t>(b));
      const std::string name = b <= 5 ? "data_batch_" + std::to_string(b) + ".bin" : "test_batch.bin";
      write_bytes(path(sub + name), r.file);
      if (b <= 5) {
        pixels.insert(pixels.end(), r.pixels.begin(), r.pixels.end());
        for (const auto& l : lab) labels.push_back(l[0]);
      }
    }
  }
};

TEST_F(CifarTest, Cifar10RoundTripInFileOrder) {
  Bytes pixels;
  std::vector<int64_t> labels;
  write_cifar10("", 3, pixels, labels);
  const ImageDataset train = load_cifar(dir_.string(), "cifar10", true);
  EXPECT_EQ(train.size(), 15);
  EXPECT_EQ(train.sample_shape(), (Shape{3, 32, 32}));
  EXPECT_EQ(train.num_classes(), 10);
  EXPECT_EQ(train.images(), pixels);
  EXPECT_EQ(train.labels(), labels);
  EXPECT_EQ(train.normalization().mean, cifar10_normalization().mean);
  EXPECT_EQ(train.normalization().stddev, cifar10_normalization().stddev);

  const ImageDataset test = load_cifar(dir_.string(), "cifar10", false);
  EXPECT_EQ(test.size(), 3);
  const Bytes file = read_bytes(path("test_batch.bin"));
  for (int64_t r = 0; r < 3; ++r) {
    EXPECT_EQ(test.labels()[static_cast<size_t>(r)], file[static_cast<size_t>(r * 3073)]);
    EXPECT_TRUE(std::equal(test.images().begin() + r * kCifarImageBytes,
                           test.images().begin() + (r + 1) * kCifarImageBytes, file.begin() + r * 3073 + 1));
  }
}

TEST_F(CifarTest, Cifar10FoundInTheArchiveFolder) {
  Bytes pixels;
  std::vector<int64_t> labels;
  write_cifar10("cifar-10-batches-bin/", 2, pixels, labels);
  const ImageDataset train = load_cifar(dir_.string(), "cifar10", true);
  EXPECT_EQ(train.images(), pixels);
  EXPECT_EQ(train.labels(), labels);
}

TEST_F(CifarTest, Cifar100FineAndCoarseLabels) {
  const std::vector<std::vector<uint8_t>> lab = {{3, 99}, {19, 0}, {0, 57}, {7, 12}};
  const Records r = make_records(lab, 11);
  write_bytes(path("train.bin"), r.file);
  write_bytes(path("test.bin"), make_records({{1, 2}}, 12).file);

  const ImageDataset fine = load_cifar(dir_.string(), "cifar100", true, CifarLabels::kFine);
  const ImageDataset coarse = load_cifar(dir_.string(), "cifar100", true, parse_cifar_labels("coarse"));
  EXPECT_EQ(fine.num_classes(), 100);
  EXPECT_EQ(coarse.num_classes(), 20);
  EXPECT_EQ(fine.images(), r.pixels);
  EXPECT_EQ(coarse.images(), r.pixels);
  EXPECT_EQ(fine.labels(), (std::vector<int64_t>{99, 0, 57, 12}));
  EXPECT_EQ(coarse.labels(), (std::vector<int64_t>{3, 19, 0, 7}));
  EXPECT_EQ(fine.normalization().mean, cifar100_normalization().mean);
  EXPECT_EQ(load_cifar(dir_.string(), "cifar100", false).labels(), (std::vector<int64_t>{2}));
  EXPECT_EQ(cifar_num_classes("cifar100", CifarLabels::kCoarse), 20);
  EXPECT_THROW(parse_cifar_labels("medium"), ValueError);
}

TEST_F(CifarTest, LoaderNormalisesPerChannel) {
  const Records r = make_records({{4}, {9}}, 5);
  write_bytes(path("test_batch.bin"), r.file);
  const ImageDataset ds = load_cifar(dir_.string(), "cifar10", false);
  DataLoader loader(ds, {.batch_size = 2, .shuffle = false, .drop_last = false, .seed = 0, .prefetch = true});
  loader.start_epoch(0);
  Batch b;
  ASSERT_TRUE(loader.next(b));
  const Normalization norm = cifar10_normalization();
  const float* x = b.images.data<float>();
  for (int64_t i = 0; i < 2 * kCifarImageBytes; ++i) {
    const size_t c = static_cast<size_t>((i % kCifarImageBytes) / 1024);
    const float expected =
        static_cast<float>((r.pixels[static_cast<size_t>(i)] / 255.0 - norm.mean[c]) / norm.stddev[c]);
    ASSERT_EQ(x[i], expected) << "element " << i;
  }
  EXPECT_EQ(b.labels.data<int64_t>()[1], 9);
}

TEST_F(CifarTest, TruncatedFileNamesTheFile) {
  Bytes pixels;
  std::vector<int64_t> labels;
  write_cifar10("", 2, pixels, labels);
  Bytes cut = read_bytes(path("data_batch_3.bin"));
  cut.erase(cut.end() - 100, cut.end());  // (not resize: GCC 12 with ASan at -O1 warns about the growing branch)
  write_bytes(path("data_batch_3.bin"), cut);
  try {
    load_cifar(dir_.string(), "cifar10", true);
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path("data_batch_3.bin")), std::string::npos) << msg;
    EXPECT_NE(msg.find("not a whole number of 3073-byte CIFAR-10 records"), std::string::npos) << msg;
  }
}

TEST_F(CifarTest, WrongRecordSizeIsAFormatError) {
  // CIFAR-100 records (3074 bytes) where CIFAR-10 is expected, and the other way round.
  write_bytes(path("test_batch.bin"), make_records({{1, 2}, {3, 4}, {5, 6}}, 3).file);
  EXPECT_THROW(load_cifar(dir_.string(), "cifar10", false), FormatError);
  write_bytes(path("test.bin"), make_records({{1}, {2}, {3}}, 4).file);
  try {
    load_cifar(dir_.string(), "cifar100", false);
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(path("test.bin")), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("3074-byte CIFAR-100"), std::string::npos) << e.what();
  }
}

TEST_F(CifarTest, LabelOutOfRangeNamesFileAndRecord) {
  write_bytes(path("test_batch.bin"), make_records({{1}, {10}}, 6).file);
  try {
    load_cifar(dir_.string(), "cifar10", false);
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(path("test_batch.bin")), std::string::npos) << msg;
    EXPECT_NE(msg.find("record 1 has label 10"), std::string::npos) << msg;
  }
  write_bytes(path("test.bin"), make_records({{20, 5}}, 7).file);
  EXPECT_THROW(load_cifar(dir_.string(), "cifar100", false, CifarLabels::kFine), FormatError);
}

TEST_F(CifarTest, EmptyAndMissingFiles) {
  write_bytes(path("test_batch.bin"), {});
  EXPECT_THROW(load_cifar(dir_.string(), "cifar10", false), FormatError);
  try {
    load_cifar(dir_.string(), "cifar10", true);
    FAIL() << "expected IOError";
  } catch (const IOError& e) {
    EXPECT_NE(std::string(e.what()).find("data_batch_1.bin"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_cifar(path("nowhere"), "cifar10", true), IOError);
  EXPECT_THROW(load_cifar(dir_.string(), "cifar1000", true), ValueError);
  std::filesystem::create_directories(path("train.bin/inner"));
  EXPECT_THROW(load_cifar(dir_.string(), "cifar100", true), IOError);
}

// The size is checked before the file is read: a (sparse) file of a terabyte and a byte fails
// at once with the size message, instead of first reading, or reserving, a terabyte.
TEST_F(CifarTest, SizeIsCheckedBeforeReading) {
  const std::string file = path("test_batch.bin");
  {
    std::ofstream f(file, std::ios::binary);
  }
  std::error_code ec;
  std::filesystem::resize_file(file, (uint64_t{1} << 40) + 1, ec);
  if (ec) GTEST_SKIP() << "no sparse files here: " << ec.message();
  try {
    load_cifar(dir_.string(), "cifar10", false);
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(file + ": 1099511627777 bytes is not a whole number"), std::string::npos)
        << e.what();
  }
  // Whole records, but more than any CIFAR file holds.
  std::filesystem::resize_file(file, uint64_t{3073} * 400000000);
  try {
    load_cifar(dir_.string(), "cifar10", false);
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(file + ": 400000000 records"), std::string::npos) << e.what();
  }
}

TEST_F(CifarTest, RecordsInMemoryHaveTheSameChecks) {
  const Records r = make_records({{3}, {4}}, 11);
  Bytes images;
  std::vector<int64_t> labels;
  append_cifar_records(r.file.data(), r.file.size(), "mem", "cifar10", CifarLabels::kFine, images, labels);
  EXPECT_EQ(labels, (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(images, r.pixels);
  const Records bad = make_records({{3}, {12}}, 12);
  EXPECT_THROW(append_cifar_records(bad.file.data(), bad.file.size(), "mem", "cifar10", CifarLabels::kFine, images,
                                    labels),
               FormatError);
  EXPECT_EQ(labels.size(), 2u);  // nothing appended from the bad buffer
  EXPECT_THROW(append_cifar_records(r.file.data(), r.file.size() - 1, "mem", "cifar10", CifarLabels::kFine, images,
                                    labels),
               FormatError);
}

TEST(CifarNormalization, ByName) {
  EXPECT_EQ(normalization_for("cifar10").mean, (std::vector<double>{0.4914, 0.4822, 0.4465}));
  EXPECT_EQ(normalization_for("cifar10").stddev, (std::vector<double>{0.2470, 0.2435, 0.2616}));
  EXPECT_EQ(normalization_for("cifar100").mean, (std::vector<double>{0.5071, 0.4865, 0.4409}));
  EXPECT_EQ(normalization_for("cifar100").stddev, (std::vector<double>{0.2673, 0.2564, 0.2762}));
  EXPECT_THROW(normalization_for("cifar"), ValueError);
}

}  // namespace
}  // namespace momenta::data
