// Adam, AdamW and AMSGrad (OPTIMIZERS.md Sections 6-8), torch.optim form.
#include <cmath>

#include "momenta/kernels/optim_rules.h"
#include "momenta/optim/registry.h"
#include "optim/arena_loop.h"

namespace momenta::optim {
namespace {

// The loop half of the fused update. Local copies and restrict pointers tell the compiler that
// nothing aliases, so the loop vectorises.
template <class T, bool kAmsgrad>
void adam_range(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, T* __restrict vmax,
                const kernels::AdamParams<T>& params, int64_t begin, int64_t end, FiniteWatch* watch) {
  const kernels::AdamParams<T> h = params;
  element_loop(watch, p, g, begin, end,
               [&](int64_t i) { kernels::adam_update(p[i], g[i], m[i], v[i], kAmsgrad ? vmax + i : nullptr, h); });
}

class Adam final : public Optimizer {
 public:
  Adam(const nn::ParamArena& arena, const HyperParams& hp, const char* rule_name, bool decoupled, bool amsgrad)
      : Optimizer(arena, hp), name_(rule_name), decoupled_(decoupled), amsgrad_(amsgrad) {}
  const char* name() const override { return name_; }

  std::map<std::string, double> diagnostics() const override {
    const auto& g = groups().front();
    if (g.t == 0) return {};
    return {{"adam_step_size", hp(g, "lr") / (1.0 - std::pow(hp(g, "betas", 0), static_cast<double>(g.t)))}};
  }

 protected:
  void update_group(ParamGroup& g, const StepInfo&) override {
    const double b1 = hp(g, "betas", 0), b2 = hp(g, "betas", 1), lr = hp(g, "lr");
    const double t = static_cast<double>(g.t);
    const Tensor m = state_tensor("exp_avg");
    const Tensor v = state_tensor("exp_avg_sq");
    Tensor vmax = amsgrad_ ? state_tensor("max_exp_avg_sq") : Tensor();
    const Tensor& p = arena().params();
    const Tensor& gr = arena().grads();
    dispatch_floating(p.dtype(), name_, [&](auto tag) {
      using T = decltype(tag);
      const kernels::AdamParams<T> h{static_cast<T>(lr), static_cast<T>(b1), static_cast<T>(b2),
                                     static_cast<T>(hp(g, "eps")), static_cast<T>(hp(g, "weight_decay")),
                                     static_cast<T>(lr / (1.0 - std::pow(b1, t))),
                                     static_cast<T>(std::sqrt(1.0 - std::pow(b2, t))), decoupled_, amsgrad_};
      T* pp = flat<T>(p);
      const T* gp = flat<T>(gr);
      T* mp = flat<T>(m);
      T* vp = flat<T>(v);
      T* xp = vmax.defined() ? flat<T>(vmax) : nullptr;
      const auto step = kernels::AdamStep<T>{pp, gp, mp, vp, xp, h};
      for_arena_range(p, g.begin, g.end, name_, step, [&](int64_t b, int64_t e, FiniteWatch* w) {
        if (xp != nullptr) {
          adam_range<T, true>(pp, gp, mp, vp, xp, h, b, e, w);
        } else {
          adam_range<T, false>(pp, gp, mp, vp, xp, h, b, e, w);
        }
      });
    });
  }

 private:
  const char* name_;
  bool decoupled_, amsgrad_;
};

std::vector<HpSpec> adam_specs(double default_wd, const char* wd_doc) {
  return {{"lr", HpKind::kReal, std::vector<double>{1e-3}, 0.0, 1e300, false, "learning rate"},
          {"betas", HpKind::kPair, std::vector<double>{0.9, 0.999}, 0.0, 1.0, false, "moment decay rates (b1, b2), each in [0, 1)"},
          {"eps", HpKind::kReal, std::vector<double>{1e-8}, 0.0, 1e300, false, "added to the bias-corrected sqrt(v)"},
          {"weight_decay", HpKind::kReal, std::vector<double>{default_wd}, 0.0, 1e300, false, wd_doc}};
}

}  // namespace

void register_adam_family() {
  register_optimizer({"adam", "Kingma & Ba 2015; torch.optim.Adam", "adaptive moments with bias correction (L2 decay)",
                      adam_specs(0.0, "L2 penalty added to the gradient"),
                      [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<Adam>(a, hp, "adam", false, false); }});
  register_optimizer({"adamw", "Loshchilov & Hutter 2019; torch.optim.AdamW", "Adam with decoupled weight decay",
                      adam_specs(1e-2, "decoupled decay p <- p*(1 - lr*wd)"),
                      [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<Adam>(a, hp, "adamw", true, false); }});
  register_optimizer({"amsgrad", "Reddi et al. 2018; torch.optim.Adam(amsgrad=True)", "Adam with the running maximum of v",
                      adam_specs(0.0, "L2 penalty added to the gradient"),
                      [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<Adam>(a, hp, "amsgrad", false, true); }});
}

}  // namespace momenta::optim
