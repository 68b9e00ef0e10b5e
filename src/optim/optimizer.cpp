#include "momenta/optim/optimizer.h"

#include <algorithm>

#include "momenta/autograd.h"

namespace momenta::optim {

Optimizer::Optimizer(const nn::ParamArena& arena, HyperParams hp, std::vector<ParamGroup> groups)
    : arena_(&arena), defaults_(std::move(hp)) {
  check<ValueError>(arena.built(), "optimizer: the model has no parameter arena (call finalize() first)");
  install_groups(std::move(groups));
}

void Optimizer::install_groups(std::vector<ParamGroup> groups) {
  if (groups.empty()) groups.push_back(ParamGroup{0, arena_->size(), {}, 0, ""});
  for (auto& g : groups) {
    check<ValueError>(g.begin >= 0 && g.begin <= g.end && g.end <= arena_->size(), "optimizer: group range [", g.begin,
                      ", ", g.end, ") is outside the arena of ", arena_->size(), " elements");
    for (const auto& [k, v] : defaults_) g.hp.try_emplace(k, v);  // group values override the defaults
  }
  groups_ = std::move(groups);
}

void Optimizer::set_groups(std::vector<ParamGroup> groups) {
  check<ValueError>(state_.empty() && std::all_of(groups_.begin(), groups_.end(), [](const ParamGroup& g) { return g.t == 0; }),
                    name(), ": parameter groups can only be set before the first step");
  if (!supports_group_hyperparams()) {
    for (const auto& g : groups)
      for (const auto& [k, v] : g.hp) {
        auto it = defaults_.find(k);
        check<ValueError>(it != defaults_.end() && it->second == v, name(), ": group '", g.name, "' sets '", k,
                          "', but this rule has one set of hyperparameters for the whole model");
      }
    return;  // every group has the model's values: one whole-arena group is the same rule
  }
  install_groups(std::move(groups));
  on_groups_changed();
}

double Optimizer::hp(const ParamGroup& g, const std::string& key, size_t i) const {
  auto it = g.hp.find(key);
  check<ValueError>(it != g.hp.end() && i < it->second.size(), name(), ": hyperparameter '", key, "' is not set");
  return it->second[i];
}

void Optimizer::set_lr(double lr) {
  for (auto& g : groups_) g.hp["lr"] = {lr};
}

void Optimizer::step(const StepInfo& info) {
  NoGradGuard ng;
  for (auto& g : groups_) ++g.t;
  update(info);
}

void Optimizer::update(const StepInfo& info) {
  for (auto& g : groups_)
    if (g.end > g.begin) update_group(g, info);
}

Tensor Optimizer::state_tensor(const std::string& key, double init) {
  for (auto& [k, t] : state_)
    if (k == key) return t;
  state_.emplace_back(key, Tensor::full({arena_->size()}, init, arena_->dtype(), arena_->device()));
  return state_.back().second;
}

std::vector<std::pair<std::string, Tensor>> Optimizer::state() const {
  auto out = state_;
  std::vector<double> steps;
  for (const auto& g : groups_) steps.push_back(static_cast<double>(g.t));
  out.emplace_back("group_steps", Tensor::from_vector(steps));
  for (const auto& [k, v] : scalar_state()) out.emplace_back("scalar." + k, Tensor::from_vector(std::vector<double>{v}));
  return out;
}

void Optimizer::load_state(const std::vector<std::pair<std::string, Tensor>>& state) {
  state_.clear();
  std::map<std::string, double> scalars;
  for (const auto& [k, t] : state) {
    if (k.rfind("scalar.", 0) == 0) {
      scalars[k.substr(7)] = t.item();
      continue;
    }
    if (k == "group_steps") {
      const auto steps = t.to_vector<double>();
      check<ValueError>(steps.size() == groups_.size(), name(), ": checkpoint has ", steps.size(),
                        " parameter groups, the optimizer has ", groups_.size());
      for (size_t i = 0; i < steps.size(); ++i) groups_[i].t = static_cast<int64_t>(steps[i]);
      continue;
    }
    check<ValueError>(t.numel() == arena_->size(), name(), ": state '", k, "' has ", t.numel(),
                      " elements, the parameter arena has ", arena_->size());
    Tensor copy = Tensor::empty({arena_->size()}, arena_->dtype(), arena_->device());
    copy.copy_(t.reshape({t.numel()}));
    state_.emplace_back(k, copy);
  }
  load_scalar_state(scalars);
}

}  // namespace momenta::optim
