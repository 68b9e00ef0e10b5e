// Padam, partially adaptive momentum (Chen & Gu 2018, "Closing the generalization gap of adaptive
// gradient methods in training deep neural networks"), OPTIMIZERS.md Section 10; the contract
// is the authors' code (uclaml/Padam Padam.py):
//   den = sqrt(vmax) + eps (amsgrad; vmax <- max(vmax, v)) or sqrt(v) + eps
//   p -= lr*sqrt(1-b2^t)/(1-b1^t) * m / den^(2*partial)
// eps is added before the power; the bias correction is Adam's whatever `partial` is.
#include <cmath>

#include "momenta/kernels/optim_rules_adaptive.h"
#include "momenta/optim/registry.h"
#include "optim/arena_loop.h"

namespace momenta::optim {
namespace {

class Padam final : public Optimizer {
 public:
  Padam(const nn::ParamArena& arena, const HyperParams& hp) : Optimizer(arena, hp) {}
  const char* name() const override { return "padam"; }

 protected:
  void update_group(ParamGroup& g, const StepInfo&) override {
    const bool amsgrad = hp(g, "amsgrad") != 0.0;
    const double b1 = hp(g, "betas", 0), b2 = hp(g, "betas", 1), t = static_cast<double>(g.t);
    const Tensor m = state_tensor("exp_avg");
    const Tensor v = state_tensor("exp_avg_sq");
    const Tensor vmax = amsgrad ? state_tensor("max_exp_avg_sq") : Tensor();
    const Tensor& p = arena().params();
    const Tensor& gr = arena().grads();
    dispatch_floating(p.dtype(), name(), [&](auto tag) {
      using T = decltype(tag);
      const kernels::PadamParams<T> h{static_cast<T>(b1),
                                      static_cast<T>(b2),
                                      static_cast<T>(hp(g, "eps")),
                                      static_cast<T>(hp(g, "weight_decay")),
                                      static_cast<T>(hp(g, "lr") * std::sqrt(1.0 - std::pow(b2, t)) / (1.0 - std::pow(b1, t))),
                                      static_cast<T>(hp(g, "partial") * 2.0),
                                      amsgrad};
      T* pp = flat<T>(p);
      const T* gp = flat<T>(gr);
      T* mp = flat<T>(m);
      T* vp = flat<T>(v);
      T* xp = vmax.defined() ? flat<T>(vmax) : nullptr;
      const auto step = kernels::PadamStep<T>{pp, gp, mp, vp, xp, h};
      for_arena_range(p, g.begin, g.end, name(), step, [&](int64_t b, int64_t e, FiniteWatch* w) {
        element_loop(w, pp, gp, b, e, [&](int64_t i) {
          kernels::padam_update(pp[i], gp[i], mp[i], vp[i], xp ? xp + i : nullptr, h);
        });
      });
    });
  }
};

}  // namespace

void register_padam() {
  register_optimizer(
      {"padam", "Chen & Gu 2018; uclaml/Padam", "partially adaptive momentum: Adam/AMSGrad with den^(2*partial)",
       {{"lr", HpKind::kReal, std::vector<double>{0.1}, 0.0, 1e300, false, "learning rate"},
        {"betas", HpKind::kPair, std::vector<double>{0.9, 0.999}, 0.0, 1.0, false, "moment decay rates (b1, b2), each in [0, 1)"},
        {"eps", HpKind::kReal, std::vector<double>{1e-8}, 0.0, 1e300, false, "added to sqrt(v) before the power"},
        {"weight_decay", HpKind::kReal, std::vector<double>{0.0}, 0.0, 1e300, false, "L2 penalty added to the gradient"},
        {"amsgrad", HpKind::kBool, std::vector<double>{1.0}, 0.0, 1.0, false, "use the running maximum of v"},
        {"partial", HpKind::kReal, std::vector<double>{0.25}, 0.0, 0.5, false,
         "partial adaptivity p in [0, 1/2]: den^(2p) (1/2 = AMSGrad/Adam, 0 = SGD with momentum)"}},
       [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<Padam>(a, hp); }});
}

}  // namespace momenta::optim
