// Running a registered rule (optionally with a weight averager) on an objective in float64 on a
// tiny one-tensor arena: the loop of `momenta optimize` and of the golden harness, shared by the
// optimize, tune and reproduce commands.
//
// Each step t = 0..steps-1: zero the gradient, loss = f(x), backward, the optional gradient
// hook (e.g. injected noise), observer(t, ...), averager.before_step(), optimizer.step({loss, t}),
// averager.step({loss, t}). After the last step the observer sees t = steps with the final
// loss (no gradient). The observer may return false to stop early (then the run ends there).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "momenta/optim/averager.h"
#include "momenta/optim/optimizer.h"
#include "momenta/optim/test_functions.h"

namespace momenta::optim {

struct ObjectiveRunSpec {
  std::string optim;
  HyperParams hp;          // resolved or partial (defaults are filled)
  std::string average;     // empty: no averager
  HyperParams avg_hp;
  int64_t steps = 100;
};

// What an observer sees at step t: the loss at the stored x (before this step's update), the
// stored parameters (flat float64), the optimizer (eval_weights() gives the paper's iterate for
// look-ahead rules) and the averager (may be null).
struct StepView {
  int64_t t = 0;
  double loss = 0;
  const Tensor& x;
  const Optimizer& optimizer;
  const Averager* averager = nullptr;
};

using StepObserver = std::function<bool(const StepView&)>;
using GradientHook = std::function<void(int64_t t, Tensor& grad)>;

struct ObjectiveRunResult {
  double first_loss = 0, last_loss = 0;
  int64_t steps_run = 0;
  std::vector<double> x;  // final stored parameters
};

ObjectiveRunResult run_objective(const Objective& f, const std::vector<double>& x0, const ObjectiveRunSpec& spec,
                                 const StepObserver& observer = {}, const GradientHook& hook = {});

}  // namespace momenta::optim
