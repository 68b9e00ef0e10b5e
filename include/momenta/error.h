// Typed, readable errors (DESIGN principle 7). Every error names what was wrong and what was
// expected; the CLI turns one into a single line on stderr and a non-zero exit.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace momenta {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// A tensor shape or dtype does not fit the operation.
class ShapeError : public Error {
 public:
  using Error::Error;
};
// A bad argument or option value (unknown name, out-of-range hyperparameter).
class ValueError : public Error {
 public:
  using Error::Error;
};
// A file could not be opened, read or written.
class IOError : public Error {
 public:
  using Error::Error;
};
// A file was read but its contents are not of the expected format.
class FormatError : public Error {
 public:
  using Error::Error;
};
// The operation exists but not for this device or dtype in this build.
class NotSupportedError : public Error {
 public:
  using Error::Error;
};

// Concatenates any streamable values into one message string.
template <class... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

// Throws E with the concatenated message when cond is false.
template <class E = Error, class... Args>
inline void check(bool cond, const Args&... args) {
  if (!cond) throw E(str_cat(args...));
}

// Text taken from a file or the command line, fit to quote in a message: at most `max_bytes`
// bytes (cut at a UTF-8 character boundary, then "..."), control bytes shown as \xNN so that
// a hostile file cannot move the cursor or recolour the terminal. Messages never echo unbounded
// input.
inline std::string excerpt(std::string_view text, size_t max_bytes = 80) {
  size_t n = text.size();
  bool cut = false;
  if (n > max_bytes) {
    n = max_bytes;
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;  // not mid-character
    cut = true;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n + 8);
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (cut) out += "...";
  return out;
}

}  // namespace momenta
