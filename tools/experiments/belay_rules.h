// The rules that turn BELAY runs into verdicts (belay.cpp), kept header-only so the tests can
// check them on hand-made sequences (tests/tools/reproduce_belayecd_test.cpp).
#pragma once

#include <algorithm>
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
  std::vector<double> lrs;       // the grid, ascending
  std::vector<bool> converged;   // one flag per grid rate
  // The most consecutive grid rates above `above` that all converged (0: none).
  int longest_run_above(double above) const {
    int best = 0, run = 0;
    for (size_t i = 0; i < lrs.size() && i < converged.size(); ++i) {
      run = lrs[i] > above && converged[i] ? run + 1 : 0;
      best = std::max(best, run);
    }
    return best;
  }
  // The largest rate of the longest run of consecutive converged rates (the higher run on a tie;
  // 0: none): the top of the method's contiguous range, isolated successes ignored.
  double top_of_longest_run() const {
    int best = 0, run = 0;
    double top = 0;
    for (size_t i = 0; i < lrs.size() && i < converged.size(); ++i) {
      run = converged[i] ? run + 1 : 0;
      if (run > 0 && run >= best) best = run, top = lrs[i];
    }
    return top;
  }
};

inline BelayLrSummary summarize_lr_grid(const std::vector<double>& lrs, const std::vector<bool>& converged) {
  BelayLrSummary s;
  s.lrs = lrs;
  s.converged = converged;
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
  bool adam_averagers_highest = false;  // (b) BELAY+Adam and EMA+Adam alone converge at the highest rates
  bool averaging_helps_sgd = false;     // (c) EMA+SGD and BELAY+SGD reach higher rates than SGD
  double others_max_lr = 0;  // (b)'s threshold: the largest rate at which any of the other four converged
  int belay_adam_run = 0, ema_adam_run = 0;  // (b): their longest runs of consecutive converged rates above it
};

// (b) needs this many consecutive converged grid rates above every other method's largest
// converged rate, so that one isolated success cannot carry it.
constexpr int kBelayHighRegimeRun = 2;

inline BelayRobustness judge_robustness(const std::map<std::string, BelayLrSummary>& s) {
  auto at = [&](const char* k) {
    const auto it = s.find(k);
    return it == s.end() ? BelayLrSummary{} : it->second;
  };
  BelayRobustness r;
  r.adam_over_sgd = at("Adam").count > at("SGD").count;
  // (b): the others' largest converged rate counts even when isolated (the claim says ONLY the
  // Adam averagers converge there); the Adam averagers must each converge on a contiguous run.
  for (const char* k : {"SGD", "Adam", "EMA+SGD", "BELAY+SGD"}) r.others_max_lr = std::max(r.others_max_lr, at(k).max_lr);
  r.belay_adam_run = at("BELAY+Adam").longest_run_above(r.others_max_lr);
  r.ema_adam_run = at("EMA+Adam").longest_run_above(r.others_max_lr);
  r.adam_averagers_highest = r.belay_adam_run >= kBelayHighRegimeRun && r.ema_adam_run >= kBelayHighRegimeRun;
  r.averaging_helps_sgd = at("EMA+SGD").max_lr > at("SGD").max_lr && at("BELAY+SGD").max_lr > at("SGD").max_lr;
  return r;
}

}  // namespace momenta::cli::experiments
