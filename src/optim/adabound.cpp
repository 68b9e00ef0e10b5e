// AdaBound / AMSBound (Luo, Xiong, Liu & Sun 2019, "Adaptive gradient methods with dynamic bound
// of learning rate"), OPTIMIZERS.md Section 9: the contract is the authors' code
// (Luolc/AdaBound adabound.py), which differs from the paper's algorithm (no 1/sqrt(t), no
// time-varying b1, no projection).
//   step_size = lr*sqrt(1-b2^t)/(1-b1^t);  fl = final_lr*lr/base_lr
//   lower = fl*(1 - 1/(gamma*t + 1));  upper = fl*(1 + 1/(gamma*t))
//   p -= clamp(step_size/(sqrt(v)+eps), lower, upper) * m        (m not bias-corrected)
// base_lr is each group's lr when the optimizer is constructed, so a schedule that scales lr
// scales the bounds with it.
#include <cmath>

#include "momenta/kernels/optim_rules_adaptive.h"
#include "momenta/optim/registry.h"
#include "optim/arena_loop.h"

namespace momenta::optim {
namespace {

class AdaBound final : public Optimizer {
 public:
  AdaBound(const nn::ParamArena& arena, const HyperParams& hp) : Optimizer(arena, hp) {
    for (const auto& g : groups()) base_lr_.push_back(this->hp(g, "lr"));
  }
  const char* name() const override { return "adabound"; }
  void on_groups_changed() override {
    base_lr_.clear();
    for (const auto& g : groups()) base_lr_.push_back(this->hp(g, "lr"));
  }

  std::map<std::string, double> diagnostics() const override {
    const auto& g = groups().front();
    if (g.t == 0) return {};
    const Bounds b = bounds(g, base_lr_.front());
    return {{"adabound_lower", b.lower}, {"adabound_upper", b.upper}};
  }

 protected:
  void update(const StepInfo& info) override {
    // Groups may be added or edited after construction only through groups(); a group without
    // a recorded base lr takes its current lr (as if it had been there from the start).
    while (base_lr_.size() < groups().size()) base_lr_.push_back(hp(groups()[base_lr_.size()], "lr"));
    Optimizer::update(info);
  }

  void update_group(ParamGroup& g, const StepInfo&) override {
    const size_t gi = static_cast<size_t>(&g - groups().data());
    const bool amsbound = hp(g, "amsbound") != 0.0;
    const double b1 = hp(g, "betas", 0), b2 = hp(g, "betas", 1), t = static_cast<double>(g.t);
    const Bounds bd = bounds(g, base_lr_[gi]);
    const Tensor m = state_tensor("exp_avg");
    const Tensor v = state_tensor("exp_avg_sq");
    const Tensor vmax = amsbound ? state_tensor("max_exp_avg_sq") : Tensor();
    const Tensor& p = arena().params();
    const Tensor& gr = arena().grads();
    dispatch_floating(p.dtype(), name(), [&](auto tag) {
      using T = decltype(tag);
      const kernels::AdaBoundParams<T> h{static_cast<T>(b1),
                                         static_cast<T>(b2),
                                         static_cast<T>(hp(g, "eps")),
                                         static_cast<T>(hp(g, "weight_decay")),
                                         static_cast<T>(hp(g, "lr") * std::sqrt(1.0 - std::pow(b2, t)) / (1.0 - std::pow(b1, t))),
                                         static_cast<T>(bd.lower),
                                         static_cast<T>(bd.upper),
                                         amsbound};
      T* pp = flat<T>(p);
      const T* gp = flat<T>(gr);
      T* mp = flat<T>(m);
      T* vp = flat<T>(v);
      T* xp = vmax.defined() ? flat<T>(vmax) : nullptr;
      const auto step = kernels::AdaBoundStep<T>{pp, gp, mp, vp, xp, h};
      for_arena_range(p, g.begin, g.end, name(), step, [&](int64_t b, int64_t e, FiniteWatch* w) {
        element_loop(w, pp, gp, b, e, [&](int64_t i) {
          kernels::adabound_update(pp[i], gp[i], mp[i], vp[i], xp ? xp + i : nullptr, h);
        });
      });
    });
  }

 private:
  struct Bounds {
    double lower, upper;
  };
  Bounds bounds(const ParamGroup& g, double base_lr) const {
    const double t = static_cast<double>(g.t), gamma = hp(g, "gamma");
    const double fl = hp(g, "final_lr") * hp(g, "lr") / base_lr;
    return {fl * (1.0 - 1.0 / (gamma * t + 1.0)), fl * (1.0 + 1.0 / (gamma * t))};
  }

  std::vector<double> base_lr_;
};

}  // namespace

void register_adabound() {
  register_optimizer(
      {"adabound", "Luo et al. 2019 (ICLR); Luolc/AdaBound", "Adam with the step clipped to bounds that converge to final_lr",
       {{"lr", HpKind::kReal, std::vector<double>{1e-3}, 0.0, 1e300, true, "learning rate (> 0: it is the bounds' base_lr)"},
        {"betas", HpKind::kPair, std::vector<double>{0.9, 0.999}, 0.0, 1.0, false, "moment decay rates (b1, b2), each in [0, 1)"},
        {"final_lr", HpKind::kReal, std::vector<double>{0.1}, 0.0, 1e300, false, "the SGD learning rate the bounds converge to"},
        {"gamma", HpKind::kReal, std::vector<double>{1e-3}, 0.0, 1.0, true, "convergence speed of the bounds, in (0, 1]"},
        {"eps", HpKind::kReal, std::vector<double>{1e-8}, 0.0, 1e300, false, "added to sqrt(v)"},
        {"weight_decay", HpKind::kReal, std::vector<double>{0.0}, 0.0, 1e300, false, "L2 penalty added to the gradient"},
        {"amsbound", HpKind::kBool, std::vector<double>{0.0}, 0.0, 1.0, false, "use the running maximum of v (AMSBound)"}},
       [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<AdaBound>(a, hp); }});
}

}  // namespace momenta::optim
