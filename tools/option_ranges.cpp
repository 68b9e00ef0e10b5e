#include "tools/option_ranges.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "momenta/parse.h"

namespace momenta::cli {
namespace {

// The value as typed, cut so that a message never echoes unbounded input.
std::string shown(const std::string& text) { return text.size() <= 40 ? "'" + text + "'" : "'" + text.substr(0, 40) + "...'"; }

std::string bound(NumberKind kind, double v) {
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (kind != NumberKind::kReal) return std::to_string(static_cast<long long>(v));
  return format_number(v);
}

}  // namespace

CLI::Validator range_check(NumberKind kind, const Range& r, const std::string& hi_text) {
  const std::string noun = kind == NumberKind::kReal ? "a number" : "a whole number";
  const std::string hi = hi_text.empty() ? bound(kind, r.hi) : hi_text;
  const std::string interval = (r.lo_open ? "(" : "[") + bound(kind, r.lo) + ", " + hi + (std::isinf(r.hi) ? ")" : "]");
  const std::string expected = "expected " + noun + " in " + interval + (r.why.empty() ? "" : " (" + r.why + ")");
  auto check = [kind, r, expected](std::string& text) -> std::string {
    const auto in_range = [&](double v) { return (r.lo_open ? v > r.lo : v >= r.lo) && v <= r.hi; };
    if (text.empty() || std::isspace(static_cast<unsigned char>(text.front())))
      return shown(text) + " is not " + (kind == NumberKind::kReal ? "a number" : "a whole number") + ": " + expected;
    if (kind == NumberKind::kReal) {
      char* end = nullptr;
      const double v = std::strtod(text.c_str(), &end);
      if (end != text.c_str() + text.size()) return shown(text) + " is not a number: " + expected;
      if (!std::isfinite(v) || !in_range(v)) return shown(text) + " is out of range: " + expected;
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", v);
      text = buf;
      return {};
    }
    const char* first = text.c_str();
    const char* last = first + text.size();
    // A decimal whole number of the variable's signedness, rewritten canonically.
    const auto whole = [&](auto v) -> std::string {
      const auto res = std::from_chars(first, last, v);
      if (res.ec == std::errc::result_out_of_range) return shown(text) + " is out of range: " + expected;
      if (res.ec != std::errc() || res.ptr != last) return shown(text) + " is not a whole number: " + expected;
      if (!in_range(static_cast<double>(v))) return shown(text) + " is out of range: " + expected;
      text = std::to_string(v);
      return {};
    };
    if (kind == NumberKind::kUnsigned) {
      if (text.front() == '-') return shown(text) + " is negative: " + expected;
      return whole(0ULL);
    }
    return whole(0LL);
  };
  return CLI::Validator(check, "in " + interval);
}

}  // namespace momenta::cli
