// SGD, heavy-ball momentum and Nesterov (OPTIMIZERS.md Sections 1-3), PyTorch form.
#include "momenta/kernels/optim_rules.h"
#include "momenta/optim/registry.h"
#include "optim/arena_loop.h"

namespace momenta::optim {
namespace {

// The loop half of the fused update; local copies and restrict pointers let it vectorise.
template <class T>
void sgd_range(T* __restrict p, const T* __restrict g, T* __restrict buf, const kernels::SgdParams<T>& params,
               int64_t begin, int64_t end, FiniteWatch* watch) {
  const kernels::SgdParams<T> h = params;
  if (buf == nullptr) {
    T unused = T(0);
    element_loop(watch, p, g, begin, end, [&](int64_t i) { kernels::sgd_update(p[i], g[i], unused, h); });
  } else {
    element_loop(watch, p, g, begin, end, [&](int64_t i) { kernels::sgd_update(p[i], g[i], buf[i], h); });
  }
}

class Sgd final : public Optimizer {
 public:
  Sgd(const nn::ParamArena& arena, const HyperParams& hp, const char* rule_name, bool nesterov)
      : Optimizer(arena, hp), name_(rule_name), nesterov_(nesterov) {}
  const char* name() const override { return name_; }

  // The effective step size lr/(1 - mu): the step a constant gradient settles to (group 0).
  std::map<std::string, double> diagnostics() const override {
    const auto& g = groups().front();
    return {{"effective_lr", hp(g, "lr") / (1.0 - hp(g, "momentum"))}};
  }

 protected:
  void update_group(ParamGroup& g, const StepInfo&) override {
    const double mu = hp(g, "momentum");
    check<ValueError>(!nesterov_ || hp(g, "dampening") == 0.0, name_, ": Nesterov momentum requires dampening=0");
    const Tensor& p = arena().params();
    const Tensor& gr = arena().grads();
    Tensor buf = mu != 0.0 ? state_tensor("momentum_buffer") : Tensor();
    dispatch_floating(p.dtype(), name_, [&](auto tag) {
      using T = decltype(tag);
      const kernels::SgdParams<T> h{static_cast<T>(hp(g, "lr")), static_cast<T>(mu),
                                    static_cast<T>(hp(g, "dampening")), static_cast<T>(hp(g, "weight_decay")),
                                    nesterov_, g.t == 1};
      T* pp = flat<T>(p);
      const T* gp = flat<T>(gr);
      T* bp = buf.defined() ? flat<T>(buf) : nullptr;
      const auto step = kernels::SgdStep<T>{pp, gp, bp, h};
      for_arena_range(p, g.begin, g.end, name_, step,
                      [&](int64_t b, int64_t e, FiniteWatch* w) { sgd_range<T>(pp, gp, bp, h, b, e, w); });
    });
  }

 private:
  const char* name_;
  bool nesterov_;
};

HpSpec lr_spec(std::optional<std::vector<double>> def = std::nullopt) {
  return {"lr", HpKind::kReal, def, 0.0, 1e300, false, "learning rate"};
}

}  // namespace

void register_sgd_family() {
  const HpSpec wd{"weight_decay", HpKind::kReal, std::vector<double>{0.0}, 0.0, 1e300, false, "L2 penalty added to the gradient"};
  const HpSpec damp{"dampening", HpKind::kReal, std::vector<double>{0.0}, 0.0, 1.0, false, "dampening of the gradient in the buffer"};
  register_optimizer({"sgd", "Robbins & Monro 1951; torch.optim.SGD", "plain stochastic gradient descent (optional momentum)",
                      {lr_spec(), {"momentum", HpKind::kReal, std::vector<double>{0.0}, 0.0, 1.0, false, "heavy-ball momentum"}, damp, wd},
                      [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<Sgd>(a, hp, "sgd", false); }});
  register_optimizer({"heavy_ball", "Polyak 1964; torch.optim.SGD(momentum)", "heavy-ball momentum, PyTorch form (first buffer = g)",
                      {lr_spec(), {"momentum", HpKind::kReal, std::vector<double>{0.9}, 0.0, 1.0, false, "momentum mu"}, damp, wd},
                      [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<Sgd>(a, hp, "heavy_ball", false); }});
  register_optimizer({"nesterov", "Sutskever et al. 2013; torch.optim.SGD(nesterov=True)",
                      "Nesterov momentum; stores the look-ahead point",
                      {lr_spec(), {"momentum", HpKind::kReal, std::vector<double>{0.9}, 0.0, 1.0, false, "momentum mu"}, wd},
                      [](const nn::ParamArena& a, const HyperParams& hp) {
                        HyperParams h = hp;
                        h["dampening"] = {0.0};
                        return std::make_unique<Sgd>(a, h, "nesterov", true);
                      }});
}

}  // namespace momenta::optim
