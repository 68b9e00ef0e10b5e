// Super-accelerated momentum (Nakerst, Brennan & Haque, "Gradient descent with momentum - to
// accelerate or to super-accelerate?", eq. 4), its RMSProp variant (eq. 16) and Adam with
// super-acceleration. OPTIMIZERS.md Sections 4 and 5; no author code exists.
//
// The paper takes the gradient at theta_i + sigma*m_{i-1}. All three rules store that look-ahead
// point phi in the arena instead of theta (NOTE [look-ahead storage] in
// kernels/optim_rules_adaptive.h), so a step needs one gradient, taken at the stored
// parameters, and eval_weights() returns theta = phi - sigma*vel.
//
// Adam with super-acceleration ("adam_super_accel"; the "NAdam-like" rule). Paper eq. 4
// with Adam's step as the velocity:
//   g_i   = grad(theta_i + sigma*u_{i-1}) (+ wd*phi_i, L2 at the stored point)
//   m_i   = b1*m_{i-1} + (1-b1)*g_i ;  v_i = b2*v_{i-1} + (1-b2)*g_i^2
//   u_i   = -(lr/(1-b1^i)) * m_i / (sqrt(v_i)/sqrt(1-b2^i) + eps)       (Adam's step, Section 6)
//   theta_{i+1} = theta_i + u_i
// Stored: phi_i = theta_i + sigma*u_{i-1}, so phi <- phi + (1+sigma)*u_i - sigma*u_{i-1}.
// * The momentum is Adam's own first moment; there is no second momentum coefficient, since
//   a heavy-ball velocity on top of m would apply momentum twice.
// * sigma = 0 is torch.optim.Adam (Section 6) exactly, bit for bit (the same operations, with or
//   without FMA contraction; see adam_super_accel_update).
// * sigma = b1 evaluates the gradient where Adam's momentum is about to carry theta: the
//   Nesterov/NAdam idea. sigma > 1 super-accelerates, as in Section 4.
#include <cmath>

#include "momenta/kernels/optim_rules.h"
#include "momenta/kernels/optim_rules_adaptive.h"
#include "momenta/optim/registry.h"
#include "optim/arena_loop.h"

namespace momenta::optim {
namespace {

enum class Kind { kMomentum, kRmsprop, kAdam };

class SuperAccel final : public Optimizer {
 public:
  SuperAccel(const nn::ParamArena& arena, const HyperParams& hp, const char* rule_name, Kind kind)
      : Optimizer(arena, hp), name_(rule_name), kind_(kind) {}
  const char* name() const override { return name_; }
  void on_groups_changed() override { built_sigma_.clear(); }

  // Group 0's look-ahead sigma and, for the momentum forms, the effective step size lr/(1 - mu).
  std::map<std::string, double> diagnostics() const override {
    const auto& g = groups().front();
    std::map<std::string, double> d{{"sigma", hp(g, "sigma")}};
    if (kind_ != Kind::kAdam) d["effective_lr"] = hp(g, "lr") / (1.0 - hp(g, "momentum"));
    return d;
  }

  // The sigma each group's stored phi was built with (NOTE [look-ahead storage]): checkpointed,
  // so a resumed run under a sigma schedule continues exactly.
  std::map<std::string, double> scalar_state() const override {
    std::map<std::string, double> s;
    for (size_t i = 0; i < built_sigma_.size(); ++i) s[str_cat("built_sigma.", i)] = built_sigma_[i];
    return s;
  }
  void load_scalar_state(const std::map<std::string, double>& s) override {
    built_sigma_.clear();
    for (size_t i = 0;; ++i) {
      auto it = s.find(str_cat("built_sigma.", i));
      if (it == s.end()) break;
      built_sigma_.push_back(it->second);
    }
  }

  // theta = phi - sigma_prev*vel per group; before the first step theta = phi.
  Tensor eval_weights() const override {
    Tensor vel;
    for (const auto& [key, t] : state())
      if (key == "velocity") vel = t;
    const Tensor& p = arena().params();
    if (!vel.defined()) return p;
    Tensor theta = Tensor::empty({arena().size()}, p.dtype(), p.device());
    dispatch_floating(p.dtype(), name_, [&](auto tag) {
      using T = decltype(tag);
      const T* pp = flat<T>(p);
      const T* vp = flat<T>(vel);
      T* out = flat<T>(theta);
      const auto copy = kernels::CopyStep<T>{out, pp};
      for_arena_range(p, 0, arena().size(), name_, copy, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) out[i] = pp[i];
      });
      for (size_t gi = 0; gi < groups().size(); ++gi) {
        const ParamGroup& g = groups()[gi];
        const T sigma = static_cast<T>(gi < built_sigma_.size() && !std::isnan(built_sigma_[gi]) ? built_sigma_[gi] : hp(g, "sigma"));
        const auto theta_step = kernels::SuperAccelThetaStep<T>{out, pp, vp, sigma};
        for_arena_range(p, g.begin, g.end, name_, theta_step, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) out[i] = kernels::super_accel_theta(pp[i], vp[i], sigma);
        });
      }
    });
    return theta;
  }

 protected:
  void update_group(ParamGroup& g, const StepInfo&) override {
    // Handles, not references: state_tensor() may grow the state list (see adam.cpp).
    const Tensor vel = state_tensor("velocity");
    const Tensor r = kind_ == Kind::kRmsprop ? state_tensor("square_avg") : Tensor();
    const Tensor m = kind_ == Kind::kAdam ? state_tensor("exp_avg") : Tensor();
    const Tensor v = kind_ == Kind::kAdam ? state_tensor("exp_avg_sq") : Tensor();
    const Tensor& p = arena().params();
    const Tensor& gr = arena().grads();
    const double lr = hp(g, "lr"), sigma = hp(g, "sigma");
    const size_t gi = static_cast<size_t>(&g - groups().data());
    if (built_sigma_.size() < groups().size()) built_sigma_.resize(groups().size(), std::nan(""));
    // Before the first step vel = 0, so the sigma phi was "built with" is immaterial.
    const double sigma_prev = std::isnan(built_sigma_[gi]) ? sigma : built_sigma_[gi];
    built_sigma_[gi] = sigma;
    dispatch_floating(p.dtype(), name_, [&](auto tag) {
      using T = decltype(tag);
      T* pp = flat<T>(p);
      const T* gp = flat<T>(gr);
      T* velp = flat<T>(vel);
      switch (kind_) {
        case Kind::kMomentum: {
          const kernels::SuperAccelParams<T> h{static_cast<T>(lr), static_cast<T>(hp(g, "momentum")),
                                               static_cast<T>(sigma), static_cast<T>(sigma_prev)};
          const auto step = kernels::SuperAccelStep<T>{pp, gp, velp, h};
          for_arena_range(p, g.begin, g.end, name_, step, [&](int64_t b, int64_t e, FiniteWatch* w) {
            element_loop(w, pp, gp, b, e, [&](int64_t i) { kernels::super_accel_update(pp[i], gp[i], velp[i], h); });
          });
          break;
        }
        case Kind::kRmsprop: {
          const kernels::RmspropSuperAccelParams<T> h{static_cast<T>(lr), static_cast<T>(hp(g, "momentum")),
                                                      static_cast<T>(hp(g, "beta2")), static_cast<T>(hp(g, "eps")),
                                                      static_cast<T>(sigma), static_cast<T>(sigma_prev)};
          T* rp = flat<T>(r);
          const auto step = kernels::RmspropSuperAccelStep<T>{pp, gp, velp, rp, h};
          for_arena_range(p, g.begin, g.end, name_, step, [&](int64_t b, int64_t e, FiniteWatch* w) {
            element_loop(w, pp, gp, b, e, [&](int64_t i) {
              kernels::rmsprop_super_accel_update(pp[i], gp[i], velp[i], rp[i], h);
            });
          });
          break;
        }
        case Kind::kAdam: {
          const double b1 = hp(g, "betas", 0), b2 = hp(g, "betas", 1), t = static_cast<double>(g.t);
          const double step_size = lr / (1.0 - std::pow(b1, t));
          const kernels::AdamSuperAccelParams<T> h{
              static_cast<T>(b1), static_cast<T>(b2), static_cast<T>(hp(g, "eps")),
              static_cast<T>(hp(g, "weight_decay")), static_cast<T>(step_size),
              static_cast<T>((1.0 + sigma) * step_size), static_cast<T>(std::sqrt(1.0 - std::pow(b2, t))),
              static_cast<T>(sigma_prev)};
          T* mp = flat<T>(m);
          T* vp = flat<T>(v);
          const auto step = kernels::AdamSuperAccelStep<T>{pp, gp, mp, vp, velp, h};
          for_arena_range(p, g.begin, g.end, name_, step, [&](int64_t b, int64_t e, FiniteWatch* w) {
            element_loop(w, pp, gp, b, e, [&](int64_t i) {
              kernels::adam_super_accel_update(pp[i], gp[i], mp[i], vp[i], velp[i], h);
            });
          });
          break;
        }
      }
    });
  }

 private:
  const char* name_;
  Kind kind_;
  std::vector<double> built_sigma_;  // per group; NaN until the group's first step
};

HpSpec sigma_spec() {
  return {"sigma", HpKind::kReal, std::nullopt, 0.0, 1e300, false,
          "look-ahead factor: gradient at theta + sigma*velocity (0 = no look-ahead, >1 super-acceleration)"};
}
HpSpec momentum_spec() {
  return {"momentum", HpKind::kReal, std::vector<double>{0.9}, 0.0, 1.0, false, "momentum mu of the velocity"};
}

template <Kind K>
std::unique_ptr<Optimizer> make(const char* name, const nn::ParamArena& a, const HyperParams& hp) {
  return std::make_unique<SuperAccel>(a, hp, name, K);
}

}  // namespace

void register_super_accel_family() {
  register_optimizer(
      {"super_accel", "Nakerst, Brennan & Haque 2020, eq. 4", "super-accelerated momentum; stores the look-ahead point",
       {{"lr", HpKind::kReal, std::nullopt, 0.0, 1e300, false, "learning rate"}, momentum_spec(), sigma_spec()},
       [](const nn::ParamArena& a, const HyperParams& hp) { return make<Kind::kMomentum>("super_accel", a, hp); }});
  register_optimizer(
      {"rmsprop_super_accel", "Nakerst, Brennan & Haque 2020, eq. 16",
       "RMSProp inside super-accelerated momentum; stores the look-ahead point",
       {{"lr", HpKind::kReal, std::nullopt, 0.0, 1e300, false, "learning rate"},
        momentum_spec(),
        {"beta2", HpKind::kReal, std::vector<double>{0.999}, 0.0, 1.0, false, "decay of the squared-gradient average"},
        {"eps", HpKind::kReal, std::vector<double>{1e-7}, 0.0, 1e300, true, "added inside the sqrt; must be > 0"},
        sigma_spec()},
       [](const nn::ParamArena& a, const HyperParams& hp) { return make<Kind::kRmsprop>("rmsprop_super_accel", a, hp); }});
  register_optimizer(
      {"adam_super_accel", "Nakerst, Brennan & Haque 2020, eq. 4 applied to Adam's step (NAdam-like)",
       "Adam whose gradient is taken at theta + sigma*(last step); sigma = 0 is Adam",
       {{"lr", HpKind::kReal, std::vector<double>{1e-3}, 0.0, 1e300, false, "learning rate"},
        {"betas", HpKind::kPair, std::vector<double>{0.9, 0.999}, 0.0, 1.0, false, "moment decay rates (b1, b2), each in [0, 1)"},
        {"eps", HpKind::kReal, std::vector<double>{1e-8}, 0.0, 1e300, false, "added to the bias-corrected sqrt(v)"},
        {"weight_decay", HpKind::kReal, std::vector<double>{0.0}, 0.0, 1e300, false, "L2 penalty at the stored point"},
        sigma_spec()},
       [](const nn::ParamArena& a, const HyperParams& hp) { return make<Kind::kAdam>("adam_super_accel", a, hp); }});
}

}  // namespace momenta::optim
