// RAdam, rectified Adam (Liu et al. 2020, "On the variance of the adaptive learning rate and
// beyond"), OPTIMIZERS.md Section 12; the contract is the authors' code
// (LiyuanLucasLiu/RAdam radam/radam.py at HEAD, run in float64):
//   m, v always update (g is never modified: no L2)
//   rho_inf = 2/(1-b2) - 1 ;  rho_t = rho_inf - 2*t*b2^t/(1-b2^t)
//   rho_t >= 5:          p -= wd*lr*p ; p -= lr*r_t*m/(sqrt(v)+eps)
//                        r_t = sqrt((1-b2^t)*(rho_t-4)/(rho_inf-4)*(rho_t-2)/rho_t*rho_inf/(rho_inf-2))/(1-b1^t)
//   degenerated_to_sgd:  p -= wd*lr*p ; p -= lr/(1-b1^t)*m
//   otherwise:           p unchanged
// The paper's threshold (rho_t > 4, no eps), torch.optim.RAdam and jettify's are different
// trajectories.
#include <cmath>

#include "momenta/kernels/optim_rules_adaptive.h"
#include "momenta/optim/registry.h"
#include "optim/arena_loop.h"

namespace momenta::optim {
namespace {

struct RadamStep {
  double rho_t, step_size;  // step_size excludes lr
  kernels::RadamMode mode;
};

// The per-step scalars, in the reference's operation order.
RadamStep radam_step(double b1, double b2, int64_t t_int, bool degenerated_to_sgd) {
  const double t = static_cast<double>(t_int);
  const double b2t = std::pow(b2, t);
  const double rho_inf = 2.0 / (1.0 - b2) - 1.0;
  const double rho_t = rho_inf - 2.0 * t * b2t / (1.0 - b2t);
  if (rho_t >= 5.0) {
    const double r = std::sqrt((1.0 - b2t) * (rho_t - 4.0) / (rho_inf - 4.0) * (rho_t - 2.0) / rho_t * rho_inf /
                               (rho_inf - 2.0)) /
                     (1.0 - std::pow(b1, t));
    return {rho_t, r, kernels::RadamMode::kAdaptive};
  }
  if (degenerated_to_sgd) return {rho_t, 1.0 / (1.0 - std::pow(b1, t)), kernels::RadamMode::kSgd};
  return {rho_t, 0.0, kernels::RadamMode::kNone};
}

class Radam final : public Optimizer {
 public:
  Radam(const nn::ParamArena& arena, const HyperParams& hp) : Optimizer(arena, hp) {}
  const char* name() const override { return "radam"; }

  std::map<std::string, double> diagnostics() const override {
    const auto& g = groups().front();
    if (g.t == 0) return {};
    const RadamStep s = radam_step(hp(g, "betas", 0), hp(g, "betas", 1), g.t, hp(g, "degenerated_to_sgd") != 0.0);
    return {{"radam_rho_t", s.rho_t}, {"radam_rectified", s.mode == kernels::RadamMode::kAdaptive ? 1.0 : 0.0}};
  }

 protected:
  void update_group(ParamGroup& g, const StepInfo&) override {
    const double b1 = hp(g, "betas", 0), b2 = hp(g, "betas", 1), lr = hp(g, "lr");
    const RadamStep s = radam_step(b1, b2, g.t, hp(g, "degenerated_to_sgd") != 0.0);
    const Tensor m = state_tensor("exp_avg");
    const Tensor v = state_tensor("exp_avg_sq");
    const Tensor& p = arena().params();
    const Tensor& gr = arena().grads();
    dispatch_floating(p.dtype(), name(), [&](auto tag) {
      using T = decltype(tag);
      const kernels::RadamParams<T> h{static_cast<T>(b1), static_cast<T>(b2), static_cast<T>(hp(g, "eps")),
                                      static_cast<T>(hp(g, "weight_decay") * lr), static_cast<T>(s.step_size * lr),
                                      s.mode};
      T* pp = flat<T>(p);
      const T* gp = flat<T>(gr);
      T* mp = flat<T>(m);
      T* vp = flat<T>(v);
      const auto step = kernels::RadamElementStep<T>{pp, gp, mp, vp, h};
      for_arena_range(p, g.begin, g.end, name(), step, [&](int64_t b, int64_t e, FiniteWatch* w) {
        element_loop(w, pp, gp, b, e, [&](int64_t i) { kernels::radam_update(pp[i], gp[i], mp[i], vp[i], h); });
      });
    });
  }
};

}  // namespace

void register_radam() {
  register_optimizer(
      {"radam", "Liu et al. 2020 (ICLR); LiyuanLucasLiu/RAdam", "Adam with the variance of the adaptive rate rectified",
       {{"lr", HpKind::kReal, std::vector<double>{1e-3}, 0.0, 1e300, false, "learning rate"},
        {"betas", HpKind::kPair, std::vector<double>{0.9, 0.999}, 0.0, 1.0, false, "moment decay rates (b1, b2), each in [0, 1)"},
        {"eps", HpKind::kReal, std::vector<double>{1e-8}, 0.0, 1e300, false, "added to sqrt(v)"},
        {"weight_decay", HpKind::kReal, std::vector<double>{0.0}, 0.0, 1e300, false,
         "decoupled decay p <- p*(1 - lr*wd), only on steps that update"},
        {"degenerated_to_sgd", HpKind::kBool, std::vector<double>{0.0}, 0.0, 1.0, false,
         "before the rectification is defined (rho_t < 5), take bias-corrected momentum-SGD steps instead of none"}},
       [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<Radam>(a, hp); }});
}

}  // namespace momenta::optim
