#include "momenta/optim/optimizer.h"

#include "momenta/autograd.h"

namespace momenta::optim {

Optimizer::Optimizer(const nn::ParamArena& arena, HyperParams hp, std::vector<ParamGroup> groups)
    : arena_(&arena), groups_(std::move(groups)) {
  check<ValueError>(arena.built(), "optimizer: the model has no parameter arena (call finalize() first)");
  if (groups_.empty()) groups_.push_back(ParamGroup{0, arena.size(), hp, 0});
  for (auto& g : groups_) {
    check<ValueError>(g.begin >= 0 && g.begin <= g.end && g.end <= arena.size(), "optimizer: group range [", g.begin,
                      ", ", g.end, ") is outside the arena of ", arena.size(), " elements");
    for (const auto& [k, v] : hp) g.hp.try_emplace(k, v);  // group values override the defaults
  }
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
