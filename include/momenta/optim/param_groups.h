// Named parameter groups (NOTE [parameter groups] in optimizer.h): rules that pick tensors by
// name and give them their own hyperparameters, e.g. no weight decay on biases and norms:
//
//   auto opt = make_optimizer("adamw", model.arena(), hp);
//   opt->set_groups(make_param_groups(model.arena(), {{"no_decay", "@1d", {{"weight_decay", {0.0}}}}}));
//
// On the command line: --group '@1d:weight_decay=0' --group 'layers.0.*:lr=0.01'.
#pragma once

#include <string>
#include <vector>

#include "momenta/nn/arena.h"
#include "momenta/optim/optimizer.h"

namespace momenta::optim {

struct GroupRule {
  std::string name;     // shown in messages; defaults to the pattern
  std::string pattern;  // a glob over dotted parameter names ('*' any run, '?' one character),
                        // or "@1d" (tensors of one dimension: biases, norm scales and shifts)
                        // or "@nd" (tensors of two or more dimensions: weights)
  HyperParams hp;       // the values this group overrides
};

// True when the parameter `entry` is selected by `pattern`.
bool group_pattern_matches(const std::string& pattern, const nn::ParamArena::Entry& entry);

// Each tensor goes to the first rule that matches it, the rest to the default group (name "",
// no overrides); every contiguous run of one group's tensors becomes one ParamGroup. A rule
// that matches no tensor is a ValueError naming the pattern (a typo should not pass silently).
std::vector<ParamGroup> make_param_groups(const nn::ParamArena& arena, const std::vector<GroupRule>& rules);

// Parses the CLI form "PATTERN:key=value" (values comma-separated, e.g. betas=0.9,0.99).
// Repeating a pattern adds keys to the same rule. ValueError names the malformed item.
std::vector<GroupRule> parse_group_rules(const std::vector<std::string>& items);

}  // namespace momenta::optim
