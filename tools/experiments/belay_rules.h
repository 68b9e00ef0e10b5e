// The rules that turn BELAY runs into verdicts (belay.cpp), kept header-only so the tests can
// check them on hand-made sequences (tests/tools/reproduce_belayecd_test.cpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace momenta::cli::experiments {

// True when the last `tail` values (at least one) are finite and <= tol.
inline bool stays_within(const std::vector<double>& d, double tol, size_t tail) {
  if (d.empty()) return false;
  const size_t n = std::max<size_t>(tail, 1);
  for (size_t i = d.size() > n ? d.size() - n : 0; i < d.size(); ++i)
    if (!(std::isfinite(d[i]) && d[i] <= tol)) return false;
  return true;
}

// The first index after which every value is finite and <= tol (-1 when the last one is not).
inline int64_t convergence_step(const std::vector<double>& d, double tol) {
  int64_t first = -1;
  for (size_t i = d.size(); i-- > 0;) {
    if (!(std::isfinite(d[i]) && d[i] <= tol)) break;
    first = static_cast<int64_t>(i);
  }
  return first;
}

// 1 + the number of others that converged in strictly fewer steps (-1: did not converge).
inline int speed_rank(const std::vector<int64_t>& steps, size_t i) {
  int rank = 1;
  for (size_t j = 0; j < steps.size(); ++j)
    if (j != i && steps[j] >= 0 && (steps[i] < 0 || steps[j] < steps[i])) ++rank;
  return rank;
}

struct BelayLrSummary {
  int count = 0;      // converged learning rates
  double max_lr = 0;  // the largest converged one (0: none)
};

inline BelayLrSummary summarize_lr_grid(const std::vector<double>& lrs, const std::vector<bool>& converged) {
  BelayLrSummary s;
  for (size_t i = 0; i < lrs.size() && i < converged.size(); ++i)
    if (converged[i]) {
      ++s.count;
      s.max_lr = std::max(s.max_lr, lrs[i]);
    }
  return s;
}

// The three rules that restate the BELAY paper's l.132 (see belay.cpp, run_robustness).
struct BelayRobustness {
  bool adam_over_sgd = false;          // (a) Adam converges for more learning rates than SGD
  bool adam_averagers_highest = false;  // (b) BELAY+Adam and EMA+Adam reach higher rates than the rest
  bool averaging_helps_sgd = false;     // (c) EMA+SGD and BELAY+SGD reach higher rates than SGD
};

inline BelayRobustness judge_robustness(const std::map<std::string, BelayLrSummary>& s) {
  auto at = [&](const char* k) {
    const auto it = s.find(k);
    return it == s.end() ? BelayLrSummary{} : it->second;
  };
  BelayRobustness r;
  r.adam_over_sgd = at("Adam").count > at("SGD").count;
  double rest = 0;
  for (const char* k : {"SGD", "Adam", "EMA+SGD", "BELAY+SGD"}) rest = std::max(rest, at(k).max_lr);
  r.adam_averagers_highest = at("BELAY+Adam").max_lr > rest && at("EMA+Adam").max_lr > rest;
  r.averaging_helps_sgd = at("EMA+SGD").max_lr > at("SGD").max_lr && at("BELAY+SGD").max_lr > at("SGD").max_lr;
  return r;
}

}  // namespace momenta::cli::experiments
