// One validation layer for the numeric options of every command: each is added with
// add_number() and a declared Range, checked when the flag is parsed, so values from the command
// line and from --config (which becomes flags, tools/config.h) pass the same check, before any
// data is read. The message names the flag, the value and the allowed range:
//
//   momenta: error: --gamma: -1 is out of range: expected a number in (0, 1] (...)
#pragma once

#include <limits>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"

namespace momenta::cli {

// The values an option accepts: [lo, hi], or (lo, hi] when lo_open; `why` says what the bounds
// protect and is part of the message.
struct Range {
  Range(double lo_, double hi_ = std::numeric_limits<double>::infinity(), bool lo_open_ = false, std::string why_ = "")
      : lo(lo_), hi(hi_), lo_open(lo_open_), why(std::move(why_)) {}
  double lo, hi;
  bool lo_open;
  std::string why;
};

enum class NumberKind { kReal, kInteger, kUnsigned };

// A CLI11 transform that checks one value and rewrites it canonically (a decimal integer; a real
// as %.17g, which CLI11's strtold conversion reads back to the same double), so the command gets
// exactly the value that was checked. Integers are decimal only (CLI11 alone would read 010 as
// octal 8 and -1 for an unsigned as 2^64-1); reals must be finite. `hi_text` prints the upper
// bound (the type's own maximum when the range has none).
CLI::Validator range_check(NumberKind kind, const Range& r, const std::string& hi_text);

namespace detail {
template <class T>
struct ElementOf {
  using type = T;
};
template <class T>
struct ElementOf<std::vector<T>> {
  using type = T;
};
}  // namespace detail

// Adds a numeric option (or a list of numbers: std::vector) checked against `r`; the only way a
// command adds one.
template <class T>
CLI::Option* add_number(CLI::App* cmd, const std::string& flag, T& value, const std::string& help, Range r) {
  using E = typename detail::ElementOf<T>::type;
  static_assert(std::is_arithmetic_v<E> && !std::is_same_v<E, bool>);
  constexpr NumberKind kind = std::is_floating_point_v<E> ? NumberKind::kReal
                              : std::is_unsigned_v<E>     ? NumberKind::kUnsigned
                                                          : NumberKind::kInteger;
  std::string hi_text;
  if constexpr (kind != NumberKind::kReal) {
    // Never beyond what the variable holds.
    if (r.hi >= static_cast<double>(std::numeric_limits<E>::max())) {
      r.hi = static_cast<double>(std::numeric_limits<E>::max());
      hi_text = std::to_string(std::numeric_limits<E>::max());
    }
    if (r.lo < static_cast<double>(std::numeric_limits<E>::lowest())) r.lo = static_cast<double>(std::numeric_limits<E>::lowest());
  }
  return cmd->add_option(flag, value, help)->transform(range_check(kind, r, hi_text));
}

// Ranges shared by several commands.
// OpenMP threads: 0 is all cores; libgomp dies (SIGSEGV) when it cannot create the threads asked
// for (100000 did), and no machine this runs on has more than 1024 cores.
inline Range threads_range() { return {0, 1024, false, "0: all cores; libgomp crashed creating 100000"}; }
// Seeds: any 64-bit unsigned value; a negative one is refused rather than wrapped around.
inline Range seed_range() { return Range(0); }

}  // namespace momenta::cli
