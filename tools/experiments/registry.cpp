#include <algorithm>

#include "momenta/error.h"
#include "tools/experiments/experiment.h"

namespace momenta::cli::experiments {

const char* verdict_text(Verdict v) {
  switch (v) {
    case Verdict::kHeld: return "held";
    case Verdict::kPartly: return "held in part";
    case Verdict::kNotHeld: return "did not hold";
    case Verdict::kNotRun: return "was not tested (a prerequisite is missing)";
    case Verdict::kNotImplemented: return "not implemented";
  }
  return "?";
}

const std::vector<Experiment>& experiments() {
  static const std::vector<Experiment> all = [] {
    std::vector<Experiment> v;
    add_superacc_experiments(v);
    add_belay_experiments(v);
    add_ecd_experiments(v);
    add_adai_experiments(v);
    add_momentum_experiments(v);
    add_table_experiments(v);
    return v;
  }();
  return all;
}

const Experiment& find_experiment(const std::string& name) {
  const auto& all = experiments();
  const auto it = std::find_if(all.begin(), all.end(), [&](const Experiment& e) { return e.name == name; });
  if (it != all.end()) return *it;
  std::string known;
  for (const auto& e : all) known += (known.empty() ? "" : ", ") + e.name;
  throw ValueError(str_cat("unknown experiment '", name, "' (known: ", known, "; or 'all', 'list')"));
}

}  // namespace momenta::cli::experiments
