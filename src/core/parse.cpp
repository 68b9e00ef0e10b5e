#include "momenta/parse.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "momenta/error.h"

namespace momenta {

std::vector<double> parse_number_list(const std::string& text, const std::string& what) {
  std::vector<double> out;
  std::stringstream ss(text);
  std::string part;
  bool ok = !text.empty() && text.back() != ',';
  while (ok && std::getline(ss, part, ',')) {
    char* end = nullptr;
    const double v = std::strtod(part.c_str(), &end);
    ok = !part.empty() && end != nullptr && *end == '\0';
    out.push_back(v);
  }
  if (!ok) throw ValueError(str_cat(what, "='", excerpt(text), "' is not a comma-separated list of numbers"));
  return out;
}

std::string format_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

}  // namespace momenta
