#include "momenta/optim/objective_run.h"

#include "momenta/autograd.h"
#include "momenta/nn/arena.h"
#include "momenta/optim/registry.h"

namespace momenta::optim {

ObjectiveRunResult run_objective(const Objective& f, const std::vector<double>& x0, const ObjectiveRunSpec& spec,
                                 const StepObserver& observer, const GradientHook& hook) {
  const OptimizerInfo& oinfo = optimizer_info(spec.optim);
  const HyperParams ohp = resolve_hyperparams(oinfo, spec.hp);
  HyperParams ahp;
  if (!spec.average.empty()) ahp = resolve_averager_hyperparams(averager_info(spec.average), spec.avg_hp);

  Tensor x = Tensor::from_vector<double>(x0);
  x.set_requires_grad(true);
  const nn::ParamArena arena({{"x", x}}, kFloat64, kCPU);
  std::unique_ptr<Optimizer> opt = oinfo.make(arena, ohp);
  std::unique_ptr<Averager> avg = spec.average.empty() ? nullptr : averager_info(spec.average).make(arena, ahp);

  ObjectiveRunResult res;
  int64_t t = 0;
  bool stopped = false;
  for (; t < spec.steps; ++t) {
    arena.zero_grad();
    const Tensor loss = f(x);
    loss.backward();
    const double value = loss.item();
    if (t == 0) res.first_loss = value;
    if (hook) {
      Tensor g = arena.grads();
      hook(t, g);
    }
    if (observer && !observer(StepView{t, value, arena.params(), *opt, avg.get()})) {
      res.last_loss = value;
      stopped = true;
      break;
    }
    if (avg) avg->before_step();
    opt->step(StepInfo{value, t});
    if (avg) avg->step(StepInfo{value, t});
  }
  if (!stopped) {
    NoGradGuard ng;
    res.last_loss = f(x).item();
    if (spec.steps == 0) res.first_loss = res.last_loss;
    if (observer) observer(StepView{t, res.last_loss, arena.params(), *opt, avg.get()});
  }
  res.steps_run = t;
  res.x = arena.params().to_vector<double>();
  return res;
}

}  // namespace momenta::optim
