#include "momenta/optim/schedule.h"

#include <cmath>

#include "momenta/error.h"

namespace momenta::optim {

double Schedule::factor(int64_t step, int64_t total_steps) const {
  double f = 1.0;
  switch (kind) {
    case Kind::kConstant: break;
    case Kind::kCosine: {
      const double span = static_cast<double>(std::max<int64_t>(total_steps - warmup_steps - 1, 1));
      const double x = std::min(1.0, std::max(0.0, static_cast<double>(step - warmup_steps) / span));
      f = final_factor + (1.0 - final_factor) * 0.5 * (1.0 + std::cos(3.14159265358979323846 * x));
      break;
    }
    case Kind::kMultiStep:
      for (int64_t m : milestones)
        if (step >= m) f *= gamma;
      break;
  }
  if (warmup_steps > 0 && step < warmup_steps) f *= static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  return f;
}

Schedule::Kind parse_schedule_kind(const std::string& name) {
  if (name == "constant") return Schedule::Kind::kConstant;
  if (name == "cosine") return Schedule::Kind::kCosine;
  if (name == "multistep") return Schedule::Kind::kMultiStep;
  throw ValueError(str_cat("unknown schedule '", name, "' (known: constant, cosine, multistep)"));
}

}  // namespace momenta::optim
