#include "momenta/optim/random_search.h"

#include <cmath>
#include <limits>

#include "momenta/error.h"
#include "momenta/parse.h"

namespace momenta::optim {
namespace {

uint64_t splitmix64(uint64_t& s) {
  uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

SearchRange parse_search_range(const std::string& text) {
  const auto bad = [&] {
    return ValueError(str_cat("--range '", text, "': expected name=lo:hi or name=lo:hi:log, e.g. lr=1e-4:1:log"));
  };
  const auto eq = text.find('=');
  if (eq == std::string::npos || eq == 0) throw bad();
  SearchRange r;
  r.name = text.substr(0, eq);
  std::string rest = text.substr(eq + 1);
  if (rest.size() > 4 && rest.substr(rest.size() - 4) == ":log") {
    r.log = true;
    rest = rest.substr(0, rest.size() - 4);
  }
  const auto colon = rest.find(':');
  if (colon == std::string::npos) throw bad();
  try {
    r.lo = parse_number_list(rest.substr(0, colon), "--range").at(0);
    r.hi = parse_number_list(rest.substr(colon + 1), "--range").at(0);
  } catch (const std::exception&) {
    throw bad();
  }
  check<ValueError>(std::isfinite(r.lo) && std::isfinite(r.hi) && r.lo <= r.hi, "--range '", text,
                    "': need finite lo <= hi");
  check<ValueError>(!r.log || r.lo > 0, "--range '", text, "': a log range needs lo > 0");
  return r;
}

SearchResult random_search(const std::vector<SearchRange>& ranges, const HyperParams& fixed, int64_t trials,
                           uint64_t seed, const std::function<double(const HyperParams&)>& score) {
  check<ValueError>(trials >= 1, "random search: need at least one trial, got ", trials);
  SearchResult out;
  double best = std::numeric_limits<double>::infinity();
  for (int64_t i = 0; i < trials; ++i) {
    uint64_t state = seed * 0x632BE59BD9B4E019ull + static_cast<uint64_t>(i);
    HyperParams hp = fixed;
    for (const auto& r : ranges) {
      const double u = static_cast<double>(splitmix64(state) >> 11) * 0x1.0p-53;
      hp[r.name] = {r.log ? std::exp(std::log(r.lo) + u * (std::log(r.hi) - std::log(r.lo))) : r.lo + u * (r.hi - r.lo)};
    }
    const double s = score(hp);
    if (std::isfinite(s) && s < best) {
      best = s;
      out.best = out.trials.size();
    }
    out.trials.push_back({std::move(hp), s});
  }
  return out;
}

}  // namespace momenta::optim
