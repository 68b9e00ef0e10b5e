// Seeded random search over hyperparameter ranges (`momenta tune`, and the ECDSep experiments,
// which follow the paper's protocol of tuning each optimizer by random search before comparing).
// Each trial draws every ranged hyperparameter independently, uniformly on a linear or a log
// scale, from its own deterministic stream (splitmix64 of the seed and trial index), so trial i
// is the same whatever the number of trials.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "momenta/optim/optimizer.h"

namespace momenta::optim {

struct SearchRange {
  std::string name;
  double lo = 0, hi = 1;
  bool log = false;  // uniform in log(value); needs 0 < lo
};

// "name=lo:hi" or "name=lo:hi:log"; ValueError says what was expected.
SearchRange parse_search_range(const std::string& text);

struct SearchTrial {
  HyperParams hp;  // fixed values plus this trial's draws
  double score = 0;
};

struct SearchResult {
  std::vector<SearchTrial> trials;
  size_t best = 0;  // index of the lowest finite score (0 when none is finite)
};

// Lower scores are better; NaN and +inf lose to every finite score.
SearchResult random_search(const std::vector<SearchRange>& ranges, const HyperParams& fixed, int64_t trials,
                           uint64_t seed, const std::function<double(const HyperParams&)>& score);

}  // namespace momenta::optim
