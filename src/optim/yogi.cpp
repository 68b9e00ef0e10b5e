// Yogi (Zaheer, Reddi, Sachan, Kale & Kumar 2018, "Adaptive methods for nonconvex
// optimization"), OPTIMIZERS.md Section 11. No author PyTorch code; the contract is
// jettify/pytorch-optimizer yogi.py:
//   m = v = initial_accumulator at creation (both moments)
//   m <- b1*m + (1-b1)*g ;  v <- v - (1-b2)*sign(v - g^2)*g^2   (sign(0) = 0)
//   p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)
// The TensorFlow-Addons Yogi (m starts at 0, eps not bias-scaled) is a different trajectory.
#include <cmath>

#include "momenta/kernels/optim_rules.h"
#include "momenta/kernels/optim_rules_adaptive.h"
#include "momenta/optim/registry.h"
#include "optim/arena_loop.h"

namespace momenta::optim {
namespace {

class Yogi final : public Optimizer {
 public:
  Yogi(const nn::ParamArena& arena, const HyperParams& hp) : Optimizer(arena, hp) {}
  const char* name() const override { return "yogi"; }

 protected:
  void update_group(ParamGroup& g, const StepInfo&) override {
    const double b1 = hp(g, "betas", 0), b2 = hp(g, "betas", 1), t = static_cast<double>(g.t);
    // The state is one arena-sized tensor for all groups; it takes the first group's
    // initial_accumulator when it is created, then each group's own on its first step.
    const double init = hp(g, "initial_accumulator");
    const Tensor m = state_tensor("exp_avg", init);
    const Tensor v = state_tensor("exp_avg_sq", init);
    const Tensor& p = arena().params();
    const Tensor& gr = arena().grads();
    dispatch_floating(p.dtype(), name(), [&](auto tag) {
      using T = decltype(tag);
      const kernels::YogiParams<T> h{static_cast<T>(b1),
                                     static_cast<T>(b2),
                                     static_cast<T>(hp(g, "eps")),
                                     static_cast<T>(hp(g, "weight_decay")),
                                     static_cast<T>(hp(g, "lr") / (1.0 - std::pow(b1, t))),
                                     static_cast<T>(std::sqrt(1.0 - std::pow(b2, t)))};
      T* pp = flat<T>(p);
      const T* gp = flat<T>(gr);
      T* mp = flat<T>(m);
      T* vp = flat<T>(v);
      if (g.t == 1) {
        const T init_t = static_cast<T>(init);
        const auto fill = kernels::FillStep<T>{mp, vp, init_t};
        for_arena_range(p, g.begin, g.end, name(), fill, [&](int64_t b, int64_t e, FiniteWatch*) {
          for (int64_t i = b; i < e; ++i) mp[i] = vp[i] = init_t;
        });
      }
      const auto step = kernels::YogiStep<T>{pp, gp, mp, vp, h};
      for_arena_range(p, g.begin, g.end, name(), step, [&](int64_t b, int64_t e, FiniteWatch* w) {
        element_loop(w, pp, gp, b, e, [&](int64_t i) { kernels::yogi_update(pp[i], gp[i], mp[i], vp[i], h); });
      });
    });
  }
};

}  // namespace

void register_yogi() {
  register_optimizer(
      {"yogi", "Zaheer et al. 2018 (NeurIPS); jettify/pytorch-optimizer yogi.py",
       "Adam with an additive, sign-controlled second-moment update",
       {{"lr", HpKind::kReal, std::vector<double>{1e-2}, 0.0, 1e300, false, "learning rate"},
        {"betas", HpKind::kPair, std::vector<double>{0.9, 0.999}, 0.0, 1.0, false, "moment decay rates (b1, b2), each in [0, 1)"},
        {"eps", HpKind::kReal, std::vector<double>{1e-3}, 0.0, 1e300, false, "added to the bias-corrected sqrt(v)"},
        {"initial_accumulator", HpKind::kReal, std::vector<double>{1e-6}, 0.0, 1e300, false,
         "initial value of both moments m and v"},
        {"weight_decay", HpKind::kReal, std::vector<double>{0.0}, 0.0, 1e300, false, "L2 penalty added to the gradient"}},
       [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<Yogi>(a, hp); }});
}

}  // namespace momenta::optim
