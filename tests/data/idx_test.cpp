// IDX reading: round trips (plain and gzip) and the errors a user meets with a bad file.
#include "momenta/data/idx.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "momenta/error.h"

namespace momenta::data {
namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// A fresh directory per test, removed afterwards.
class IdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("momenta_idx_" + std::string(info->name()) + "_" + std::to_string(::getpid()) + "_" +
            std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

Bytes idx_bytes(uint32_t magic, const std::vector<uint32_t>& dims, const Bytes& data) {
  Bytes out;
  const auto put = [&](uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
  };
  put(magic);
  for (uint32_t d : dims) put(d);
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Bytes pattern(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<uint8_t>(gen());
  return out;
}

void write_plain(const std::string& path, const Bytes& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(f.good()) << path;
}

void write_gzip(const std::string& path, const Bytes& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path;
  if (!bytes.empty()) {
    ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  }
  ASSERT_EQ(gzclose(f), Z_OK);
}

Bytes read_plain(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(f), {});
}

// The message of the E that fn throws; a test failure when it throws nothing or something else.
template <class E, class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const E& e) {
    return e.what();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "threw a different exception type: " << e.what();
    return {};
  }
  ADD_FAILURE() << "threw nothing";
  return {};
}

#define EXPECT_HAS(message, part) EXPECT_NE((message).find(part), std::string::npos) << "message: " << (message)

TEST_F(IdxTest, RoundTripPlain) {
  const Bytes data = pattern(3 * 4 * 5, 1);
  write_plain(path("images"), idx_bytes(kIdxImagesMagic, {3, 4, 5}, data));
  const IdxArray a = read_idx(path("images"));
  EXPECT_EQ(a.magic, kIdxImagesMagic);
  EXPECT_EQ(a.dims, (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(a.numel(), 60);
  EXPECT_EQ(a.bytes, data);
}

TEST_F(IdxTest, RoundTripGzip) {
  const Bytes data = pattern(50 * 28 * 28, 2);
  write_gzip(path("images.gz"), idx_bytes(kIdxImagesMagic, {50, 28, 28}, data));
  const IdxArray a = read_idx(path("images.gz"), kIdxImagesMagic);
  EXPECT_EQ(a.dims, (std::vector<int64_t>{50, 28, 28}));
  EXPECT_EQ(a.bytes, data);
}

TEST_F(IdxTest, GzipDetectedByContentNotName) {
  const Bytes labels = {1, 2, 3};
  write_gzip(path("labels"), idx_bytes(kIdxLabelsMagic, {3}, labels));
  EXPECT_EQ(read_idx(path("labels")).bytes, labels);
}

TEST_F(IdxTest, LoadsDatasetFromMixedPlainAndGzip) {
  const Bytes images = pattern(4 * 2 * 3, 3);
  write_gzip(path("images.gz"), idx_bytes(kIdxImagesMagic, {4, 2, 3}, images));
  write_plain(path("labels"), idx_bytes(kIdxLabelsMagic, {4}, {3, 0, 6, 1}));
  const ImageDataset ds = load_idx_dataset(path("images.gz"), path("labels"));
  EXPECT_EQ(ds.size(), 4);
  EXPECT_EQ(ds.sample_shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(ds.num_classes(), 7);  // inferred: max label + 1
  EXPECT_EQ(ds.labels(), (std::vector<int64_t>{3, 0, 6, 1}));
  EXPECT_EQ(ds.images(), images);
  EXPECT_EQ(load_idx_dataset(path("images.gz"), path("labels"), 10).num_classes(), 10);
}

TEST_F(IdxTest, MissingFile) {
  const std::string msg = error_of<IOError>([&] { read_idx(path("absent-idx3-ubyte")); });
  EXPECT_HAS(msg, path("absent-idx3-ubyte"));
  EXPECT_HAS(msg, "no such file");
}

TEST_F(IdxTest, TruncatedHeader) {
  write_plain(path("short_magic"), {0, 0});
  std::string msg = error_of<FormatError>([&] { read_idx(path("short_magic")); });
  EXPECT_HAS(msg, path("short_magic"));
  EXPECT_HAS(msg, "truncated IDX header");

  // The magic promises 3 dimensions; only one is there.
  write_plain(path("short_dims"), idx_bytes(kIdxImagesMagic, {7}, {}));
  msg = error_of<FormatError>([&] { read_idx(path("short_dims")); });
  EXPECT_HAS(msg, path("short_dims"));
  EXPECT_HAS(msg, "truncated IDX header");
  EXPECT_HAS(msg, "needs 16");

  write_gzip(path("short_dims.gz"), idx_bytes(kIdxImagesMagic, {7}, {}));
  msg = error_of<FormatError>([&] { read_idx(path("short_dims.gz")); });
  EXPECT_HAS(msg, path("short_dims.gz"));
  EXPECT_HAS(msg, "truncated IDX header");
}

TEST_F(IdxTest, TruncatedBody) {
  write_plain(path("body"), idx_bytes(kIdxImagesMagic, {3, 4, 5}, pattern(50, 4)));
  std::string msg = error_of<FormatError>([&] { read_idx(path("body")); });
  EXPECT_HAS(msg, path("body"));
  EXPECT_HAS(msg, "truncated IDX file");
  EXPECT_HAS(msg, "3 x 4 x 5 = 60 data bytes");
  EXPECT_HAS(msg, "only 50");

  write_gzip(path("body.gz"), idx_bytes(kIdxImagesMagic, {3, 4, 5}, pattern(50, 4)));
  msg = error_of<FormatError>([&] { read_idx(path("body.gz")); });
  EXPECT_HAS(msg, path("body.gz"));
  EXPECT_HAS(msg, "truncated IDX file");
  EXPECT_HAS(msg, "only 50");
}

TEST_F(IdxTest, TrailingBytes) {
  write_plain(path("long"), idx_bytes(kIdxLabelsMagic, {3}, {1, 2, 3, 4, 5}));
  const std::string msg = error_of<FormatError>([&] { read_idx(path("long")); });
  EXPECT_HAS(msg, path("long"));
  EXPECT_HAS(msg, "2 unexpected bytes");
}

// An IDX training set of 0 samples once trained on nothing and reported success.
TEST_F(IdxTest, EmptyDatasetIsRefusedWithTheFileName) {
  write_plain(path("images"), idx_bytes(kIdxImagesMagic, {0, 28, 28}, {}));
  write_plain(path("labels"), idx_bytes(kIdxLabelsMagic, {0}, {}));
  std::string msg = error_of<FormatError>([&] { load_idx_dataset(path("images"), path("labels")); });
  EXPECT_HAS(msg, path("images") + ": the IDX header declares 0 images");
  // read_idx itself still reads an empty array: emptiness is the dataset's rule.
  EXPECT_EQ(read_idx(path("images")).numel(), 0);

  write_plain(path("images"), idx_bytes(kIdxImagesMagic, {2, 0, 28}, {}));
  write_plain(path("labels"), idx_bytes(kIdxLabelsMagic, {2}, {0, 1}));
  msg = error_of<FormatError>([&] { load_idx_dataset(path("images"), path("labels")); });
  EXPECT_HAS(msg, path("images") + ": the IDX header declares images of 0 x 28 pixels");
}

// N = 0 made the element count 0 and let rows x cols past the size guard.
TEST_F(IdxTest, ZeroCountDoesNotHideHugeDimensions) {
  write_plain(path("images"), idx_bytes(kIdxImagesMagic, {0, 0xFFFFFFFFu, 0xFFFFFFFFu}, {}));
  const std::string msg = error_of<FormatError>([&] { read_idx(path("images")); });
  EXPECT_HAS(msg, path("images"));
  EXPECT_HAS(msg, "more than the 16 GiB limit");
}

// A gzip stream whose header promises far less than it holds is refused after one look at the
// excess, not after inflating all of it; one that promises more fails at the end of the data,
// having allocated only as much as arrived.
TEST_F(IdxTest, GzipWithALyingHeader) {
  write_gzip(path("long.gz"), idx_bytes(kIdxLabelsMagic, {1}, Bytes(1 << 20, 0)));
  std::string msg = error_of<FormatError>([&] { read_idx(path("long.gz")); });
  EXPECT_HAS(msg, path("long.gz"));
  EXPECT_HAS(msg, ": at least 4096 unexpected bytes after the 1 array");

  write_gzip(path("short.gz"), idx_bytes(kIdxImagesMagic, {60000, 4096, 4096}, pattern(100, 9)));
  msg = error_of<FormatError>([&] { read_idx(path("short.gz")); });
  EXPECT_HAS(msg, "more than the 16 GiB limit");
  write_gzip(path("short.gz"), idx_bytes(kIdxImagesMagic, {60000, 256, 256}, pattern(100, 9)));
  msg = error_of<FormatError>([&] { read_idx(path("short.gz")); });
  EXPECT_HAS(msg, "truncated IDX file");
  EXPECT_HAS(msg, "holds only 100");
}

TEST_F(IdxTest, WrongMagic) {
  write_plain(path("png"), {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a});
  std::string msg = error_of<FormatError>([&] { read_idx(path("png")); });
  EXPECT_HAS(msg, path("png"));
  EXPECT_HAS(msg, "wrong magic number 0x89504e47");

  // A labels file passed where images belong.
  write_plain(path("labels"), idx_bytes(kIdxLabelsMagic, {2}, {0, 1}));
  msg = error_of<FormatError>([&] { load_idx_dataset(path("labels"), path("labels")); });
  EXPECT_HAS(msg, path("labels"));
  EXPECT_HAS(msg, "wrong magic number 0x00000801");
  EXPECT_HAS(msg, "expected 0x00000803");
}

TEST_F(IdxTest, UnsupportedTypeCode) {
  write_plain(path("floats"), idx_bytes(0x00000D01, {1}, {0, 0, 0, 0}));
  std::string msg = error_of<FormatError>([&] { read_idx(path("floats")); });
  EXPECT_HAS(msg, path("floats"));
  EXPECT_HAS(msg, "unsupported IDX type code 0x0d (float32)");

  write_plain(path("unknown"), idx_bytes(0x00004201, {1}, {0}));
  msg = error_of<FormatError>([&] { read_idx(path("unknown")); });
  EXPECT_HAS(msg, "unknown IDX type code 0x42");
}

TEST_F(IdxTest, ImageLabelCountMismatch) {
  write_plain(path("images"), idx_bytes(kIdxImagesMagic, {3, 2, 2}, pattern(12, 5)));
  write_plain(path("labels"), idx_bytes(kIdxLabelsMagic, {4}, {0, 1, 2, 3}));
  const std::string msg = error_of<FormatError>([&] { load_idx_dataset(path("images"), path("labels")); });
  EXPECT_HAS(msg, "count mismatch");
  EXPECT_HAS(msg, path("images") + " holds 3 images");
  EXPECT_HAS(msg, path("labels") + " holds 4 labels");
}

TEST_F(IdxTest, LabelOutsideClasses) {
  write_plain(path("images"), idx_bytes(kIdxImagesMagic, {2, 1, 1}, {0, 0}));
  write_plain(path("labels"), idx_bytes(kIdxLabelsMagic, {2}, {0, 12}));
  const std::string msg = error_of<FormatError>([&] { load_idx_dataset(path("images"), path("labels"), 10); });
  EXPECT_HAS(msg, path("labels"));
  EXPECT_HAS(msg, "label 12 at index 1 is outside [0, 10)");
}

TEST_F(IdxTest, CorruptGzipFlippedBytes) {
  // Random bytes deflate to stored blocks, where a flip is caught only by the CRC at the end;
  // low-entropy bytes deflate to Huffman codes, where a flip breaks the decoding itself.
  Bytes low_entropy = pattern(40 * 28 * 28, 10);
  for (auto& b : low_entropy) b %= 8;
  for (const Bytes& data : {pattern(40 * 28 * 28, 6), low_entropy}) {
    write_gzip(path("flipped.gz"), idx_bytes(kIdxImagesMagic, {40, 28, 28}, data));
    Bytes gz = read_plain(path("flipped.gz"));
    ASSERT_GT(gz.size(), 200u);
    for (size_t i = gz.size() / 2; i < gz.size() / 2 + 16; ++i) gz[i] ^= 0xA5;
    write_plain(path("flipped.gz"), gz);
    const std::string msg = error_of<FormatError>([&] { read_idx(path("flipped.gz")); });
    EXPECT_HAS(msg, path("flipped.gz"));
    EXPECT_HAS(msg, "gzip stream is corrupt");
    EXPECT_HAS(msg, "(zlib: ");
  }
}

TEST_F(IdxTest, CorruptGzipTruncated) {
  write_gzip(path("cut.gz"), idx_bytes(kIdxImagesMagic, {40, 28, 28}, pattern(40 * 28 * 28, 7)));
  const Bytes gz = read_plain(path("cut.gz"));
  // Cut in the middle of the deflate data, and just before the end (inside the CRC/length trailer).
  for (size_t keep : {gz.size() / 2, gz.size() - 3}) {
    write_plain(path("cut.gz"), Bytes(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(keep)));
    const std::string msg = error_of<FormatError>([&] { read_idx(path("cut.gz")); });
    EXPECT_HAS(msg, path("cut.gz"));
    EXPECT_HAS(msg, "gzip stream is corrupt");
    EXPECT_HAS(msg, "truncated");
    EXPECT_HAS(msg, "(zlib: ");
  }
}

TEST_F(IdxTest, LoadMnistLikeFindsPlainAndGzipFiles) {
  write_gzip(path("train-images-idx3-ubyte.gz"), idx_bytes(kIdxImagesMagic, {2, 2, 2}, pattern(8, 8)));
  write_gzip(path("train-labels-idx1-ubyte.gz"), idx_bytes(kIdxLabelsMagic, {2}, {9, 0}));
  write_plain(path("t10k-images-idx3-ubyte"), idx_bytes(kIdxImagesMagic, {1, 2, 2}, pattern(4, 9)));
  write_plain(path("t10k-labels-idx1-ubyte"), idx_bytes(kIdxLabelsMagic, {1}, {4}));

  const ImageDataset train = load_mnist_like(dir_.string(), "fashion-mnist", true);
  EXPECT_EQ(train.size(), 2);
  EXPECT_EQ(train.num_classes(), 10);
  EXPECT_EQ(train.normalization().mean, std::vector<double>{0.2860});
  EXPECT_EQ(train.normalization().stddev, std::vector<double>{0.3530});
  const ImageDataset test = load_mnist_like(dir_.string(), "mnist", false);
  EXPECT_EQ(test.labels(), std::vector<int64_t>{4});
  EXPECT_EQ(test.normalization().mean, std::vector<double>{0.1307});
}

TEST_F(IdxTest, LoadMnistLikeNamesMissingFiles) {
  write_plain(path("train-images-idx3-ubyte"), idx_bytes(kIdxImagesMagic, {1, 1, 1}, {0}));
  std::string msg = error_of<IOError>([&] { load_mnist_like(dir_.string(), "mnist", true); });
  EXPECT_HAS(msg, dir_.string());
  EXPECT_HAS(msg, "looked for train-labels-idx1-ubyte and train-labels-idx1-ubyte.gz");

  msg = error_of<IOError>([&] { load_mnist_like(path("nowhere"), "mnist", false); });
  EXPECT_HAS(msg, path("nowhere"));
  EXPECT_HAS(msg, "does not exist");

  msg = error_of<ValueError>([&] { load_mnist_like(dir_.string(), "cifar-10", true); });
  EXPECT_HAS(msg, "cifar-10");
}

}  // namespace
}  // namespace momenta::data
