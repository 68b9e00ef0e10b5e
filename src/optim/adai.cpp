// Adai, AdaiW and AdaiS: adaptive inertia (Xie et al., ICML 2022), OPTIMIZERS.md Sections 13-14.
// The contract is zeke-xie/adaptive-inertia-adai adai.py (decoupled=False/True) and
// zeke-xie/stable-weight-decay-regularization adais.py (identical to AdaiW).
//
// A step is a reduction pass over every group (the global mean of v_hat) and then the fused
// update pass (NOTE [Adai passes] in kernels/optim_rules_adai.h). The update pass also sums
// beta1 and beta1^2, so the inertia diagnostics cost no extra pass.
#include <algorithm>
#include <cmath>

#include "momenta/kernels/optim_rules_adai.h"
#include "momenta/optim/registry.h"
#include "optim/arena_loop.h"
#include "optim/arena_reduce.h"

namespace momenta::optim {
namespace {

// The loop halves of the two passes. Local copies, restrict pointers and kLanes independent
// double accumulators let the compiler vectorise (a single accumulator is a serial chain of
// dependent additions, which costs more than the rule itself). The lanes are added in a fixed
// order, so a sum depends only on the range, never on the thread count.
constexpr int kLanes = 8;

template <class T>
double second_moment_range(T* __restrict p, const T* __restrict g, T* __restrict v, const kernels::AdaiParams<T>& params,
                           int64_t begin, int64_t end) {
  const kernels::AdaiParams<T> h = params;
  double lane[kLanes] = {};
  int64_t i = begin;
  for (; i + kLanes <= end; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lane[l] += static_cast<double>(kernels::adai_second_moment(p[i + l], g[i + l], v[i + l], h));
  double sum = 0.0;
  for (; i < end; ++i) sum += static_cast<double>(kernels::adai_second_moment(p[i], g[i], v[i], h));
  for (int l = 0; l < kLanes; ++l) sum += lane[l];
  return sum;
}

template <class T>
void update_range(T* __restrict p, const T* __restrict g, T* __restrict m, const T* __restrict v, T* __restrict bp,
                  const kernels::AdaiParams<T>& params, double shift, int64_t begin, int64_t end, Sums<2>& acc) {
  const kernels::AdaiParams<T> h = params;
  double l1[kLanes] = {}, l2[kLanes] = {};
  int64_t i = begin;
  for (; i + kLanes <= end; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      const int64_t j = i + l;
      const double d = static_cast<double>(kernels::adai_update(p[j], g[j], m[j], v[j], bp[j], h)) - shift;
      l1[l] += d;
      l2[l] += d * d;
    }
  }
  double s1 = 0.0, s2 = 0.0;
  for (; i < end; ++i) {
    const double d = static_cast<double>(kernels::adai_update(p[i], g[i], m[i], v[i], bp[i], h)) - shift;
    s1 += d;
    s2 += d * d;
  }
  for (int l = 0; l < kLanes; ++l) s1 += l1[l], s2 += l2[l];
  acc[0] += s1;
  acc[1] += s2;
}

class Adai final : public Optimizer {
 public:
  // `always_decoupled`: AdaiS has no `decoupled` hyperparameter; its decay is always decoupled.
  Adai(const nn::ParamArena& arena, const HyperParams& hp, const char* rule_name, bool always_decoupled)
      : Optimizer(arena, hp), name_(rule_name), always_decoupled_(always_decoupled) {
    on_groups_changed();
  }
  const char* name() const override { return name_; }
  void on_groups_changed() override {
    for (const auto& g : groups())
      check<ValueError>(this->hp(g, "betas", 1) < 1.0, name_, ": betas[1] (beta2) must be in [0, 1), got ",
                        this->hp(g, "betas", 1));
  }

  // Inertia statistics of the last step over every element: mean and standard deviation of
  // beta1, and the global mean of v_hat it was computed from.
  std::map<std::string, double> diagnostics() const override {
    if (!stepped_) return {};
    return {{"adai_beta1_mean", beta1_mean_}, {"adai_beta1_std", beta1_std_}, {"adai_v_hat_mean", v_bar_}};
  }

 protected:
  void update(const StepInfo&) override {
    const Tensor m = state_tensor("exp_avg");
    const Tensor v = state_tensor("exp_avg_sq");
    const Tensor bp = state_tensor("beta1_prod", 1.0);
    const Tensor& p = arena().params();
    const Tensor& gr = arena().grads();
    dispatch_floating(p.dtype(), name_, [&](auto tag) {
      using T = decltype(tag);
      T* pp = flat<T>(p);
      const T* gp = flat<T>(gr);
      T* mp = flat<T>(m);
      T* vp = flat<T>(v);
      T* bpp = flat<T>(bp);

      // Pass 1: v for every element of every group, and the global mean of v_hat.
      double sum_v_hat = 0.0;
      int64_t count = 0;
      for (auto& g : groups()) {
        if (g.end <= g.begin) continue;
        const kernels::AdaiParams<T> h = params<T>(g, 0.0);
        const auto term = kernels::AdaiSecondMomentTerm<T>{pp, gp, vp, h};
        const Sums<1> s = reduce_arena_range<1>(p, g.begin, g.end, name_, term, [&](int64_t b, int64_t e, Sums<1>& acc) {
          acc[0] += second_moment_range<T>(pp, gp, vp, h, b, e);
        });
        sum_v_hat += s[0] / static_cast<double>(h.bias_correction2);
        count += g.end - g.begin;
      }
      if (count == 0) return;
      v_bar_ = sum_v_hat / static_cast<double>(count);

      // Pass 2: the fused update, summing (beta1 - shift) and its square for the diagnostics
      // (shifted by the unclamped mean 1 - beta0 of group 0, so the variance does not cancel).
      const double shift = 1.0 - hp(groups().front(), "betas", 0);
      double s1 = 0.0, s2 = 0.0;
      for (auto& g : groups()) {
        if (g.end <= g.begin) continue;
        const kernels::AdaiParams<T> h = params<T>(g, v_bar_);
        const auto term = kernels::AdaiUpdateTerm<T>{pp, gp, mp, vp, bpp, h, shift};
        const Sums<2> s = reduce_arena_range<2>(p, g.begin, g.end, name_, term, [&](int64_t b, int64_t e, Sums<2>& acc) {
          update_range<T>(pp, gp, mp, vp, bpp, h, shift, b, e, acc);
        });
        s1 += s[0];
        s2 += s[1];
      }
      const double n = static_cast<double>(count), mean_d = s1 / n;
      beta1_mean_ = shift + mean_d;
      beta1_std_ = std::sqrt(std::max(0.0, s2 / n - mean_d * mean_d));
      stepped_ = true;
    });
  }

 private:
  template <class T>
  kernels::AdaiParams<T> params(const ParamGroup& g, double v_bar) const {
    const double b2 = hp(g, "betas", 1);
    const bool decoupled = always_decoupled_ || hp(g, "decoupled") != 0.0;
    return kernels::make_adai_params<T>(hp(g, "lr"), hp(g, "betas", 0), b2, hp(g, "eps"), hp(g, "weight_decay"), decoupled,
                                        1.0 - std::pow(b2, static_cast<double>(g.t)), v_bar);
  }

  const char* name_;
  bool always_decoupled_;
  bool stepped_ = false;
  double v_bar_ = 0.0, beta1_mean_ = 0.0, beta1_std_ = 0.0;
};

std::vector<HpSpec> adai_specs(bool with_decoupled, bool decoupled_default, double wd_default) {
  std::vector<HpSpec> s = {
      {"lr", HpKind::kReal, std::nullopt, 0.0, 1e300, false, "learning rate (the paper uses the SGD rate, 1 on CIFAR)"},
      {"betas", HpKind::kPair, std::vector<double>{0.1, 0.99}, 0.0, 1.0, false,
       "(beta0, beta2): inertia scale beta0 and second-moment decay beta2 in [0, 1)"},
      {"eps", HpKind::kReal, std::vector<double>{1e-3}, 0.0, 1.0, true, "inertia bound: beta1 is capped at 1 - eps"},
      {"weight_decay", HpKind::kReal, std::vector<double>{wd_default}, 0.0, 1e300, false,
       with_decoupled ? "weight decay: L2 on the gradient, or p <- p*(1 - lr*wd) when decoupled"
                      : "decoupled (stable) weight decay p <- p*(1 - lr*wd)"}};
  if (with_decoupled)
    s.push_back({"decoupled", HpKind::kBool, std::vector<double>{decoupled_default ? 1.0 : 0.0}, 0.0, 1.0, false,
                 "decoupled weight decay instead of L2"});
  return s;
}

}  // namespace

void register_adai_family() {
  register_optimizer({"adai", "Xie et al. 2022 (ICML), Adaptive Inertia; zeke-xie/adaptive-inertia-adai adai.py",
                      "momentum with a per-element adaptive inertia from the global mean of v_hat (L2 decay)",
                      adai_specs(true, false, 0.0),
                      [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<Adai>(a, hp, "adai", false); }});
  register_optimizer({"adaiw", "Xie et al. 2022; adai.py with decoupled=True", "Adai with decoupled weight decay",
                      adai_specs(true, true, 0.0),
                      [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<Adai>(a, hp, "adaiw", false); }});
  register_optimizer({"adais", "Xie et al., stable weight decay; zeke-xie/stable-weight-decay-regularization adais.py",
                      "Adai with stable weight decay (identical to AdaiW: Adai has no adaptive rate)",
                      adai_specs(false, true, 0.0),
                      [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<Adai>(a, hp, "adais", true); }});
}

}  // namespace momenta::optim
