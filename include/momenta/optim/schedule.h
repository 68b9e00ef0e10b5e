// Learning-rate schedules as a factor on the base rate, evaluated per step (runtime data:
// the trainer sets each group's lr before the step; nothing is rebuilt).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace momenta::optim {

struct Schedule {
  enum class Kind { kConstant, kCosine, kMultiStep } kind = Kind::kConstant;
  int64_t warmup_steps = 0;          // linear warmup from 0 over these steps
  std::vector<int64_t> milestones;   // multistep: steps at which the rate is multiplied by gamma
  double gamma = 0.1;
  double final_factor = 0.0;         // cosine: the factor reached at the last step

  // The factor at `step` (0-based) of a run of `total_steps`.
  double factor(int64_t step, int64_t total_steps) const;
};

// A hyperparameter moved from `start` (step 0) to `end` (the last step) over a run, e.g. the
// super-acceleration paper's advice to start sigma near 5 and lower it to 2. The trainer sets
// it on every group before each step.
struct HpSchedule {
  std::string key;
  double start = 0.0, end = 0.0;
  bool cosine = false;  // false: linear interpolation; true: half-cosine from start to end

  double value(int64_t step, int64_t total_steps) const;
};

// Parses "key=start:end" or "key=start:end:cosine|linear"; ValueError names the item.
HpSchedule parse_hp_schedule(const std::string& item);

// Parses "constant", "cosine" or "multistep"; ValueError lists the choices.
Schedule::Kind parse_schedule_kind(const std::string& name);

}  // namespace momenta::optim
