// The registry maps rule names to typed, validated hyperparameters and factories, so the CLI,
// configs and experiments create any rule by name. Unknown names, missing required values and
// out-of-range values are ValueErrors that say what was expected.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "momenta/optim/optimizer.h"

namespace momenta::optim {

struct HpSchedule;  // optim/schedule.h

enum class HpKind { kReal, kBool, kPair };

struct HpSpec {
  std::string name;
  HpKind kind = HpKind::kReal;
  std::optional<std::vector<double>> default_value;  // none: required
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_exclusive = false;
  std::string doc;
};

struct OptimizerInfo {
  std::string name;
  std::string paper;    // where the rule comes from
  std::string summary;  // one line
  std::vector<HpSpec> hyperparams;
  std::function<std::unique_ptr<Optimizer>(const nn::ParamArena&, const HyperParams&)> make;
};

void register_optimizer(OptimizerInfo info);
const OptimizerInfo& optimizer_info(const std::string& name);  // ValueError lists known names
std::vector<std::string> optimizer_names();

// Parses "key=value" strings against the spec, fills defaults and validates ranges.
HyperParams resolve_hyperparams(const OptimizerInfo& info, const std::map<std::string, std::string>& given);
// Validates already-typed values (fills defaults).
HyperParams resolve_hyperparams(const OptimizerInfo& info, const HyperParams& given);

// Checks a scheduled hyperparameter (optim/schedule.h) against the rule's spec like a given one:
// a known real hyperparameter whose start and end are both in its range. ValueError otherwise.
void validate_hp_schedule(const OptimizerInfo& info, const HpSchedule& schedule);

std::unique_ptr<Optimizer> make_optimizer(const std::string& name, const nn::ParamArena& arena,
                                          const std::map<std::string, std::string>& given);
std::unique_ptr<Optimizer> make_optimizer(const std::string& name, const nn::ParamArena& arena,
                                          const HyperParams& given);

// Checks every group's overrides against the rule's spec (known names, ranges; ValueError names
// the group) and installs them with Optimizer::set_groups (see optim/param_groups.h).
void apply_param_groups(Optimizer& opt, std::vector<ParamGroup> groups);

}  // namespace momenta::optim
