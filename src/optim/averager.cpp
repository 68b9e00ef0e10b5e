// The Averager base (state, checkpoints, diagnostics helpers) and the averager registry.
#include "momenta/optim/averager.h"

#include <algorithm>
#include <cmath>

#include "momenta/autograd.h"
#include "momenta/kernels/averager_rules.h"
#include "momenta/ops.h"
#include "optim/arena_cuda.h"

namespace momenta::optim {

// ---------------------------------------------------------------------------------------------
// Averager

Averager::Averager(const nn::ParamArena& arena, HyperParams hp) : arena_(&arena), hp_(std::move(hp)) {
  check<ValueError>(arena.built(), "averager: the model has no parameter arena (call finalize() first)");
}

double Averager::hp(const std::string& key, size_t i) const {
  auto it = hp_.find(key);
  check<ValueError>(it != hp_.end() && i < it->second.size(), name(), ": hyperparameter '", key, "' is not set");
  return it->second[i];
}

void Averager::step(const StepInfo& info) {
  NoGradGuard ng;
  ++t_;
  update(info);
}

Tensor Averager::add_state(const std::string& key, bool copy_weights, double init) {
  for (const auto& [k, t] : state_) check<ValueError>(k != key, name(), ": state '", key, "' added twice");
  Tensor t = Tensor::full({arena_->size()}, init, arena_->dtype(), arena_->device());
  if (copy_weights) t.copy_(arena_->params());
  state_.emplace_back(key, t);
  return t;
}

double Averager::distance_to(const Tensor& other) const {
  NoGradGuard ng;
  if (arena_->device().is_cuda()) {  // deterministic device sum in double (arena_cuda.h)
    const Tensor& p = arena_->params();
    return dispatch_floating(p.dtype(), name(), [&](auto tag) {
      using T = decltype(tag);
      const Tensor o = other.contiguous();
      return std::sqrt(
          cuda_reduce<1>(p, 0, arena_->size(), kernels::SquaredDistanceTerm<T>{p.data<T>(), o.data<T>()})[0]);
    });
  }
  return std::sqrt(sum(square(sub(arena_->params(), other))).to(kFloat64).item());
}

std::vector<std::pair<std::string, Tensor>> Averager::state() const {
  auto out = state_;
  out.emplace_back("steps", Tensor::from_vector(std::vector<double>{static_cast<double>(t_)}));
  for (const auto& [k, v] : scalar_state()) out.emplace_back("scalar." + k, Tensor::from_vector(std::vector<double>{v}));
  return out;
}

void Averager::load_state(const std::vector<std::pair<std::string, Tensor>>& state) {
  std::map<std::string, double> scalars;
  std::vector<std::string> seen;
  bool have_steps = false;
  for (const auto& entry : state) {
    const std::string& k = entry.first;  // a named variable: clang < 16 cannot capture a binding
    const Tensor& t = entry.second;
    if (k.rfind("scalar.", 0) == 0) {
      scalars[k.substr(7)] = t.item();
      continue;
    }
    if (k == "steps") {
      t_ = static_cast<int64_t>(t.item());
      have_steps = true;
      continue;
    }
    auto it = std::find_if(state_.begin(), state_.end(), [&](const auto& e) { return e.first == k; });
    check<ValueError>(it != state_.end(), name(), ": checkpoint holds unknown averager state '", k, "'");
    check<ValueError>(t.numel() == arena_->size(), name(), ": state '", k, "' has ", t.numel(),
                      " elements, the parameter arena has ", arena_->size());
    it->second.copy_(t.reshape({t.numel()}));
    seen.push_back(k);
  }
  check<ValueError>(have_steps, name(), ": checkpoint lacks the averager's step count ('steps')");
  for (const auto& [k, t] : state_)
    check<ValueError>(std::find(seen.begin(), seen.end(), k) != seen.end(), name(), ": checkpoint lacks averager state '",
                      k, "'");
  load_scalar_state(scalars);
}

// ---------------------------------------------------------------------------------------------
// Registry

namespace {

std::map<std::string, AveragerInfo>& table() {
  static std::map<std::string, AveragerInfo> t;
  return t;
}

void ensure_builtin();

// The optimizer registry's parser and validator, applied to the specs this call needs: the
// required and defaulted ones, and the optional ones that were given.
OptimizerInfo as_optimizer_info(const AveragerInfo& info, const std::vector<std::string>& given_keys) {
  for (const auto& key : given_keys) {
    const bool known = std::any_of(info.hyperparams.begin(), info.hyperparams.end(),
                                   [&](const HpSpec& s) { return s.name == key; });
    if (known) continue;
    std::string names;
    for (const auto& s : info.hyperparams) names += (names.empty() ? "" : ", ") + s.name;
    throw ValueError(str_cat(info.name, ": unknown hyperparameter '", excerpt(key), "' (expected one of: ", names, ")"));
  }
  OptimizerInfo out;
  out.name = info.name;
  out.paper = info.paper;
  out.summary = info.summary;
  for (const auto& s : info.hyperparams) {
    const bool optional = std::find(info.optional.begin(), info.optional.end(), s.name) != info.optional.end();
    const bool given = std::find(given_keys.begin(), given_keys.end(), s.name) != given_keys.end();
    if (!optional || given) out.hyperparams.push_back(s);
  }
  return out;
}

template <class Map>
std::vector<std::string> keys_of(const Map& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

}  // namespace

void register_averager(AveragerInfo info) {
  std::string key = info.name;
  table()[key] = std::move(info);
}

const AveragerInfo& averager_info(const std::string& name) {
  ensure_builtin();
  auto it = table().find(name);
  if (it != table().end()) return it->second;
  std::string known;
  for (const auto& [n, i] : table()) known += (known.empty() ? "" : ", ") + n;
  throw ValueError(str_cat("unknown weight averager '", excerpt(name), "' (known: ", known, ")"));
}

std::vector<std::string> averager_names() {
  ensure_builtin();
  std::vector<std::string> out;
  for (const auto& [n, i] : table()) out.push_back(n);
  return out;
}

HyperParams resolve_averager_hyperparams(const AveragerInfo& info, const std::map<std::string, std::string>& given) {
  return resolve_hyperparams(as_optimizer_info(info, keys_of(given)), given);
}

HyperParams resolve_averager_hyperparams(const AveragerInfo& info, const HyperParams& given) {
  return resolve_hyperparams(as_optimizer_info(info, keys_of(given)), given);
}

std::unique_ptr<Averager> make_averager(const std::string& name, const nn::ParamArena& arena,
                                        const std::map<std::string, std::string>& given) {
  const AveragerInfo& info = averager_info(name);
  return info.make(arena, resolve_averager_hyperparams(info, given));
}

std::unique_ptr<Averager> make_averager(const std::string& name, const nn::ParamArena& arena,
                                        const HyperParams& given) {
  const AveragerInfo& info = averager_info(name);
  return info.make(arena, resolve_averager_hyperparams(info, given));
}

// ---- built-in averagers ----
void register_weight_averagers();  // ema, swa, belay (weight_averagers.cpp)

namespace {
void ensure_builtin() {
  static const bool done = (register_weight_averagers(), true);
  (void)done;
}
}  // namespace

}  // namespace momenta::optim
