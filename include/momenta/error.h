// Typed, readable errors (DESIGN principle 7). Every error names what was wrong and what was
// expected; the CLI turns one into a single line on stderr and a non-zero exit.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

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

}  // namespace momenta
