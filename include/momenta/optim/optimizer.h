// The optimizer interface (DESIGN "Optimizers"). An optimizer updates a model's parameter
// arena in one fused pass per parameter group; its state lives in flat tensors of the arena's
// size, created lazily on the first step. Hyperparameters are runtime data: a schedule changes
// a group's "lr" between steps without rebuilding anything.
#pragma once

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "momenta/nn/arena.h"
#include "momenta/tensor.h"

namespace momenta::optim {

// Values of named hyperparameters. Scalars are one number; pairs such as betas two; booleans 0/1.
using HyperParams = std::map<std::string, std::vector<double>>;

// What the trainer knows about the step being taken.
struct StepInfo {
  double loss = std::numeric_limits<double>::quiet_NaN();  // the batch loss F (ECDSep, BBI need it)
  int64_t step = 0;                                         // global step count, from 0
};

// A range [begin, end) of the arena with its own hyperparameters (e.g. no decay on biases).
// NOTE [parameter groups]: a named group (e.g. "no_decay": biases and norms) covers tensors that
// need not be adjacent in the arena, so it becomes one ParamGroup per contiguous run of its
// tensors (optim/param_groups.h). Rules see only ranges; runs of one named group share `name`.
struct ParamGroup {
  int64_t begin = 0, end = 0;
  HyperParams hp;
  int64_t t = 0;     // steps taken by this group
  std::string name;  // the named group this range belongs to ("" for the default group)
};

class Optimizer {
 public:
  // Groups default to one covering the whole arena with `hp`.
  Optimizer(const nn::ParamArena& arena, HyperParams hp, std::vector<ParamGroup> groups = {});
  virtual ~Optimizer() = default;

  virtual const char* name() const = 0;
  void step(const StepInfo& info = {});
  void zero_grad() { arena_->zero_grad(); }

  // Replaces the groups before the first step (ValueError afterwards, or for a range outside the
  // arena): each group's hp overrides the values the optimizer was made with. Rules with one
  // set of hyperparameters for the whole model (ECDSep, BBI) reject per-group values.
  void set_groups(std::vector<ParamGroup> groups);
  // False for rules whose hyperparameters are global by definition (a single Hamiltonian).
  virtual bool supports_group_hyperparams() const { return true; }
  // The hyperparameters the optimizer was made with (what a group does not override).
  const HyperParams& defaults() const { return defaults_; }

  std::vector<ParamGroup>& groups() { return groups_; }
  const std::vector<ParamGroup>& groups() const { return groups_; }
  double hp(const ParamGroup& g, const std::string& key, size_t i = 0) const;
  void set_lr(double lr);  // every group
  double lr() const { return hp(groups_.front(), "lr"); }

  // Named state for checkpoints: flat tensors of the arena's size and per-group step counts.
  std::vector<std::pair<std::string, Tensor>> state() const;
  // Restores what state() returned (the layout must match); ValueError names a mismatch.
  void load_state(const std::vector<std::pair<std::string, Tensor>>& state);
  // Diagnostics the trainer logs (e.g. effective step size); empty by default.
  virtual std::map<std::string, double> diagnostics() const { return {}; }
  // The weights to evaluate, flat like the arena. Look-ahead rules (Nesterov, super-
  // acceleration) store the point where the next gradient is taken and return the paper's
  // iterate here; the default is the stored parameters themselves.
  virtual Tensor eval_weights() const { return arena_->params(); }
  // Scalar state beyond the flat tensors (e.g. ECDSep's energy), saved with state().
  virtual std::map<std::string, double> scalar_state() const { return {}; }
  virtual void load_scalar_state(const std::map<std::string, double>&) {}

  const nn::ParamArena& arena() const { return *arena_; }

 protected:
  // The whole update, after every group's t was incremented. The default runs update_group
  // per group; rules with a global reduction (Adai, ECDSep) override it with a reduction pass
  // over all groups followed by the fused update pass.
  virtual void update(const StepInfo& info);
  // One fused pass over the group's range [g.begin, g.end).
  virtual void update_group(ParamGroup& g, const StepInfo& info) { (void)g, (void)info; }
  // Called after set_groups() so a rule can refresh what it derived from the groups.
  virtual void on_groups_changed() {}
  // A zeroed flat state tensor named `key`, created on first use.
  Tensor state_tensor(const std::string& key, double init = 0.0);

 private:
  void install_groups(std::vector<ParamGroup> groups);

  const nn::ParamArena* arena_;
  HyperParams defaults_;
  std::vector<ParamGroup> groups_;
  std::vector<std::pair<std::string, Tensor>> state_;
};

}  // namespace momenta::optim
