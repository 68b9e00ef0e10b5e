// Weight averagers (DESIGN "Optimizers"; shared/OPTIMIZERS.md Sections 17-19): EMA, SWA and
// BELAY are separate objects stepped around any optimizer. Each is one fused pass over the
// parameter arena (the per-element math is kernels/averager_rules.h); its state lives in flat
// tensors of the arena's size, allocated when the averager is constructed, so a step allocates
// nothing.
//
// NOTE [averager protocol] The trainer (and `momenta optimize`, and the golden harness) drive an
// averager like this, every step:
//
//     loss = f(w); loss.backward();
//     averager.before_step();          // snapshot what the averager needs of w(t)
//     optimizer.step({loss, t});       // w(t) -> the inner step
//     averager.step({loss, t});        // average; BELAY also rewrites the model weights
//
// * Construct the averager on the weights it starts from (w_0): EMA starts at ema_0 = w_0 and
//   BELAY at w2(0) = w1(0). A checkpoint restores the rest with load_state().
// * before_step() copies w1(t) into a buffer allocated at construction (BELAY needs w1(t) and
//   the inner step w1s; the arena holds w1s after optimizer.step()). EMA and SWA need nothing
//   of w(t), so before_step() is a no-op for them, but calling it is always correct.
// * BELAY's step() without a preceding before_step() is a ValueError.
// * averaged() is what to evaluate: EMA's average, SWA's average (undefined before the first
//   average), BELAY's w2. BELAY's model weights (the arena) are w1.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "momenta/nn/arena.h"
#include "momenta/optim/optimizer.h"
#include "momenta/optim/registry.h"
#include "momenta/tensor.h"

namespace momenta::optim {

class Averager {
 public:
  Averager(const nn::ParamArena& arena, HyperParams hp);
  virtual ~Averager() = default;
  Averager(const Averager&) = delete;
  Averager& operator=(const Averager&) = delete;

  virtual const char* name() const = 0;
  // Called before optimizer.step(): snapshots w(t) where the rule needs it (see the NOTE).
  virtual void before_step() {}
  // Called after optimizer.step(): one fused pass over the arena.
  void step(const StepInfo& info = {});
  // The averaged weights, flat like the arena (a view of the state, not a copy); undefined
  // while there is no average yet (SWA before its first average).
  virtual Tensor averaged() const = 0;
  // Number of step() calls so far.
  int64_t steps() const { return t_; }

  double hp(const std::string& key, size_t i = 0) const;
  bool has_hp(const std::string& key) const { return hp_.count(key) != 0; }
  const HyperParams& hyperparams() const { return hp_; }

  // Named state for checkpoints: the flat tensors, "steps" and scalar state ("scalar.<key>").
  std::vector<std::pair<std::string, Tensor>> state() const;
  // Restores what state() returned; ValueError names a missing, unknown or mis-sized entry.
  void load_state(const std::vector<std::pair<std::string, Tensor>>& state);
  // What the trainer logs: EMA/SWA distance |w - avg|, BELAY spring extension |w1 - w2|
  // (Euclidean norms over the arena), computed when asked.
  virtual std::map<std::string, double> diagnostics() const { return {}; }
  virtual std::map<std::string, double> scalar_state() const { return {}; }
  virtual void load_scalar_state(const std::map<std::string, double>&) {}

  const nn::ParamArena& arena() const { return *arena_; }

 protected:
  virtual void update(const StepInfo& info) = 0;
  // A flat state tensor `key` of the arena's size, created now (call from the constructor)
  // as a copy of the current weights, or filled with `init`.
  Tensor add_state(const std::string& key, bool copy_weights, double init = 0.0);
  // |arena params - other| over the whole arena.
  double distance_to(const Tensor& other) const;

 private:
  const nn::ParamArena* arena_;
  HyperParams hp_;
  int64_t t_ = 0;
  std::vector<std::pair<std::string, Tensor>> state_;
};

// ---- the registry (like the optimizer registry; names ema, swa, belay) ----

struct AveragerInfo {
  std::string name;
  std::string paper;
  std::string summary;
  // A spec without a default is required, unless its name is in `optional`: then it may be
  // absent, and the averager derives the value (the spec's doc says how, e.g. BELAY c1 = 2*m1).
  std::vector<HpSpec> hyperparams;
  std::vector<std::string> optional;
  std::function<std::unique_ptr<Averager>(const nn::ParamArena&, const HyperParams&)> make;
};

void register_averager(AveragerInfo info);
const AveragerInfo& averager_info(const std::string& name);  // ValueError lists known names
std::vector<std::string> averager_names();

// Parses "key=value" strings (or checks typed values) against the spec, fills defaults and
// validates ranges; absent optional values stay absent.
HyperParams resolve_averager_hyperparams(const AveragerInfo& info, const std::map<std::string, std::string>& given);
HyperParams resolve_averager_hyperparams(const AveragerInfo& info, const HyperParams& given);

// Construct on the weights the average starts from (see NOTE [averager protocol]).
std::unique_ptr<Averager> make_averager(const std::string& name, const nn::ParamArena& arena,
                                        const std::map<std::string, std::string>& given);
std::unique_ptr<Averager> make_averager(const std::string& name, const nn::ParamArena& arena,
                                        const HyperParams& given);

}  // namespace momenta::optim
