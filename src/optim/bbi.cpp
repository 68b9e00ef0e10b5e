// BBI: the bouncing Born-Infeld (inflation-inspired) energy-conserving optimizer (De Luca &
// Silverstein, "Born-Infeld (BI) for AI"; gbdl/BBI inflation.py, class BBI), OPTIMIZERS.md
// Section 16. It needs the batch loss F.
//
// Structure, as in the reference: global scalars (energy E, initial potential Vi, the bounce
// counters c0 (fixed bounces) and c1 (progress), the number of fixed bounces done, the smallest
// V seen) and, per parameter group, the potential V = F - v0 and |Pi|^2. Groups are visited in
// order and each one advances the shared counters, exactly like the reference loop (with one
// group, the usual case, this is the algorithm of the paper).
//
// Passes: a normal step is ONE fused pass (rescale, kick, drift, and the new |Pi|^2). The
// |Pi|^2 the energy projection needs is the sum of the previous pass, kept as a scalar: only
// this rule writes Pi, so the cached value is the sum of the current Pi (checkpoints carry it).
// Initialisation is two passes (per-tensor gradient norms, from nn::ParamArena::entries(); then
// Pi and its |Pi|^2); a bounce is two (sum u^2 of the new direction; Pi = u*scale).
//
// Guards beyond the reference: E^2/Vi - Vi is clamped at 0 (rounding can make it a tiny negative
// number when deltaEn = 0), a tensor with a zero gradient starts at rest, and a zero |Pi|^2
// is never rescaled (the reference would divide by it). Bounce directions U(-0.5, 0.5) come
// from Philox (seed hyperparameter), so bounces are reproducible and device independent.
#include <algorithm>
#include <cmath>
#include <limits>

#include "momenta/kernels/optim_rules_energy.h"
#include "momenta/optim/energy.h"
#include "momenta/optim/registry.h"
#include "optim/arena_loop.h"
#include "optim/arena_reduce.h"
#include "optim/energy_common.h"

namespace momenta::optim {
namespace {

constexpr uint64_t kBbiStream = 0xBB1ull;

int64_t integer_hp(const char* rule, const char* key, double v) {
  check<ValueError>(std::floor(v) == v && v >= 0.0, rule, ": hyperparameter ", key, "=", v,
                    " must be a non-negative integer");
  return static_cast<int64_t>(v);
}

class Bbi final : public Optimizer {
 public:
  Bbi(const nn::ParamArena& arena, const HyperParams& hp) : Optimizer(arena, hp) {
    for (const auto& g : groups()) {
      integer_hp("bbi", "threshold0", this->hp(g, "threshold0"));
      integer_hp("bbi", "threshold", this->hp(g, "threshold"));
    }
    integer_hp("bbi", "n_fixed_bounces", this->hp(groups().front(), "n_fixed_bounces"));
    gen_.set_state(bounce_seed("bbi", this->hp(groups().front(), "seed"), kBbiStream), 0);
    group_.resize(groups().size());
  }

  const char* name() const override { return "bbi"; }
  // One energy per group in the reference's param_groups; momenta's groups are arena ranges, so
  // a named group split into several ranges would change the dynamics: BBI stays whole-model.
  bool supports_group_hyperparams() const override { return false; }
  void on_groups_changed() override { group_.assign(groups().size(), {}); }

  // bbi_kinetic |Pi|^2 summed over groups (always present), and after the first call:
  // bbi_energy E, bbi_potential V, bbi_rescale (last group's energy-projection factor) and
  // bbi_bounces (random bounces so far).
  std::map<std::string, double> diagnostics() const override {
    double p2 = 0.0;
    for (const auto& gs : group_) p2 += gs.p2;
    std::map<std::string, double> d{{"bbi_kinetic", p2}};
    if (calls_ == 0) return d;
    auto put = [&](const char* key, double v) {
      if (std::isfinite(v)) d[key] = v;
    };
    put("bbi_energy", E_);
    put("bbi_potential", potential_);
    put("bbi_rescale", rescale_);
    put("bbi_bounces", static_cast<double>(bounces_));
    return d;
  }

  std::map<std::string, double> scalar_state() const override {
    std::map<std::string, double> s{{"iteration", static_cast<double>(iteration_)},
                                    {"E", E_},
                                    {"Vi", Vi_},
                                    {"c0", static_cast<double>(c0_)},
                                    {"c1", static_cast<double>(c1_)},
                                    {"fixed_bounces", static_cast<double>(nb_)},
                                    {"min_loss", min_loss_},
                                    {"bounces", static_cast<double>(bounces_)}};
    for (size_t i = 0; i < group_.size(); ++i) {
      s["group" + std::to_string(i) + ".P2"] = group_[i].p2;
      s["group" + std::to_string(i) + ".initialized"] = group_[i].initialized ? 1.0 : 0.0;
    }
    save_generator(s, gen_);
    return s;
  }

  void load_scalar_state(const std::map<std::string, double>& s) override {
    auto get = [&](const std::string& key, double fallback) {
      auto it = s.find(key);
      return it == s.end() ? fallback : it->second;
    };
    iteration_ = static_cast<int64_t>(get("iteration", static_cast<double>(iteration_)));
    E_ = get("E", E_);
    Vi_ = get("Vi", Vi_);
    c0_ = static_cast<int64_t>(get("c0", static_cast<double>(c0_)));
    c1_ = static_cast<int64_t>(get("c1", static_cast<double>(c1_)));
    nb_ = static_cast<int64_t>(get("fixed_bounces", static_cast<double>(nb_)));
    min_loss_ = get("min_loss", min_loss_);
    bounces_ = static_cast<int64_t>(get("bounces", static_cast<double>(bounces_)));
    for (size_t i = 0; i < group_.size(); ++i) {
      const std::string pre = "group" + std::to_string(i) + ".";
      group_[i].p2 = get(pre + "P2", group_[i].p2);
      group_[i].initialized = get(pre + "initialized", group_[i].initialized ? 1.0 : 0.0) != 0.0;
    }
    load_generator(s, gen_);
  }

  Tensor momentum() const {
    for (const auto& [key, t] : state())
      if (key == "momentum_buffer") return t.clone();
    return Tensor::zeros({arena().size()}, arena().dtype(), arena().device());
  }

 protected:
  void update(const StepInfo& info) override {
    const double F = info.loss;
    check<ValueError>(std::isfinite(F), "bbi: needs the finite batch loss F (StepInfo.loss), got ", F);
    const ParamGroup& g0 = groups().front();
    const bool cons_en = hp(g0, "consEn") != 0.0;
    const int64_t n_fixed = static_cast<int64_t>(hp(g0, "n_fixed_bounces"));
    ++calls_;
    if (iteration_ == 0) {  // the reference re-initialises until its first normal step
      Vi_ = F - hp(g0, "v0");
      E_ = Vi_ + hp(g0, "deltaEn");
      c0_ = c1_ = nb_ = 0;
      min_loss_ = std::numeric_limits<double>::infinity();
    }
    const Tensor pi = state_tensor("momentum_buffer");
    const Tensor& p = arena().params();
    const Tensor& gr = arena().grads();
    dispatch_floating(p.dtype(), "bbi", [&](auto tag) {
      using T = decltype(tag);
      T* pp = flat<T>(p);
      const T* gp = flat<T>(gr);
      T* pip = flat<T>(pi);
      for (size_t gi = 0; gi < groups().size(); ++gi) {
        const ParamGroup& g = groups()[gi];
        if (g.end <= g.begin) continue;
        GroupState& gs = group_[gi];
        const double V = F - hp(g, "v0"), lr = hp(g, "lr"), eps1 = hp(g, "eps1"), eps2 = hp(g, "eps2");
        const int64_t t0 = static_cast<int64_t>(hp(g, "threshold0")), t1 = static_cast<int64_t>(hp(g, "threshold"));
        if (!(V > eps2)) continue;
        potential_ = V;
        const double e_over_v = E_ / V, v_over_e = V / E_;
        if (!gs.initialized) initialize<T>(g, gs, gp, pip);

        const double ps2_pre = gs.p2;
        double resc = 1.0;
        if (cons_en) {
          const double pc = V * (e_over_v * e_over_v - 1.0);
          if (!(std::fabs(ps2_pre - pc) < eps1) && !(pc < 0.0) && ps2_pre != 0.0) resc = std::sqrt(pc / ps2_pre);
        }
        rescale_ = resc;

        if (c1_ != t1 && c0_ != t0) {  // normal step
          const kernels::BbiParams<T> h{static_cast<T>(resc), static_cast<T>(-0.5 * lr * (v_over_e + e_over_v)),
                                        static_cast<T>(lr * v_over_e), cons_en};
          const auto term = kernels::BbiUpdateTerm<T>{pp, gp, pip, h};
          const Sums<1> r = reduce_arena_range<1>(p, g.begin, g.end, "bbi", term, [&](int64_t b, int64_t e, Sums<1>& acc) {
            for (int64_t i = b; i < e; ++i) {
              const double v = static_cast<double>(kernels::bbi_update(pp[i], gp[i], pip[i], h));
              acc[0] += v * v;
            }
          });
          gs.p2 = r[0];
          ++c0_;
          ++c1_;
          ++iteration_;
          if (V < min_loss_) {
            min_loss_ = V;
            c1_ = 0;
          }
        } else {  // bounce: a random direction with the same |Pi|; p and g untouched
          const uint64_t seed = gen_.seed(), offset = gen_.reserve(static_cast<uint64_t>(arena().size()));
          const Sums<1> u2 = reduce_arena_range<1>(p, g.begin, g.end, "bbi",
                                                   kernels::BbiBounceTerm<T>{pip, seed, offset, T(0), false},
                                                   [&](int64_t b, int64_t e, Sums<1>& acc) {
            for (int64_t i = b; i < e; ++i) {
              const double u = static_cast<double>(kernels::bbi_bounce_direction<T>(seed, offset, static_cast<uint64_t>(i)));
              acc[0] += u * u;
            }
          });
          const T scale = static_cast<T>(u2[0] > 0.0 ? std::sqrt(ps2_pre / u2[0]) : 0.0);
          const Sums<1> r = reduce_arena_range<1>(p, g.begin, g.end, "bbi",
                                                  kernels::BbiBounceTerm<T>{pip, seed, offset, scale, true},
                                                  [&](int64_t b, int64_t e, Sums<1>& acc) {
            for (int64_t i = b; i < e; ++i) {
              pip[i] = kernels::bbi_bounce_direction<T>(seed, offset, static_cast<uint64_t>(i)) * scale;
              acc[0] += static_cast<double>(pip[i]) * static_cast<double>(pip[i]);
            }
          });
          gs.p2 = r[0];
          ++bounces_;
          if (c0_ == t0) {
            ++nb_;
            if (nb_ < n_fixed) c0_ = 0;
            else ++c0_;
          }
          c1_ = 0;
        }
      }
    });
  }

 private:
  struct GroupState {
    bool initialized = false;
    double p2 = 0.0;  // |Pi|^2 of the group: the sum of the last pass that wrote Pi
  };

  // Pi = -(g/||g||_tensor)*sqrt(max(E^2/Vi - Vi, 0)) for every tensor (its part in the group).
  template <class T>
  void initialize(const ParamGroup& g, GroupState& gs, const T* gp, T* pip) {
    const T magnitude = static_cast<T>(std::sqrt(std::max(E_ * E_ / Vi_ - Vi_, 0.0)));
    const Tensor& p = arena().params();
    double p2 = 0.0;
    for (const auto& entry : arena().entries()) {
      const int64_t lo = std::max(g.begin, entry.offset), hi = std::min(g.end, entry.offset + entry.numel);
      if (lo >= hi) continue;
      const auto norm_term = kernels::BbiInitTerm<T>{gp, pip, T(0), magnitude, false};
      const Sums<1> n2 = reduce_arena_range<1>(p, lo, hi, "bbi", norm_term, [&](int64_t b, int64_t e, Sums<1>& acc) {
        for (int64_t i = b; i < e; ++i) acc[0] += static_cast<double>(gp[i]) * static_cast<double>(gp[i]);
      });
      const T norm = static_cast<T>(std::sqrt(n2[0]));
      const auto init_term = kernels::BbiInitTerm<T>{gp, pip, norm, magnitude, true};
      const Sums<1> r = reduce_arena_range<1>(p, lo, hi, "bbi", init_term, [&](int64_t b, int64_t e, Sums<1>& acc) {
        for (int64_t i = b; i < e; ++i) {
          pip[i] = kernels::bbi_initial_momentum(gp[i], norm, magnitude);
          acc[0] += static_cast<double>(pip[i]) * static_cast<double>(pip[i]);
        }
      });
      p2 += r[0];
    }
    gs.p2 = p2;
    gs.initialized = true;
  }

  Generator gen_;
  std::vector<GroupState> group_;
  // Global scalar state (checkpointed).
  int64_t iteration_ = 0, c0_ = 0, c1_ = 0, nb_ = 0, bounces_ = 0;
  double E_ = 0.0, Vi_ = 0.0, min_loss_ = std::numeric_limits<double>::infinity();
  // Diagnostics of the last call.
  int64_t calls_ = 0;
  double potential_ = 0.0, rescale_ = 1.0;
};

}  // namespace

Tensor bbi_momentum(const Optimizer& opt) {
  const auto* b = dynamic_cast<const Bbi*>(&opt);
  check<ValueError>(b != nullptr, "bbi_momentum: the optimizer is '", opt.name(), "', not bbi");
  return b->momentum();
}

void register_bbi_family() {
  register_optimizer(
      {"bbi", "De Luca & Silverstein 2022, Born-Infeld (BI) for AI; gbdl/BBI inflation.py",
       "energy-conserving Born-Infeld dynamics with random bounces (needs the loss)",
       {{"lr", HpKind::kReal, std::nullopt, 0.0, 1e300, false, "time step"},
        {"v0", HpKind::kReal, std::vector<double>{0.0}, -1e300, 1e300, false, "expected minimum of the loss (Delta V)"},
        {"threshold0", HpKind::kReal, std::vector<double>{1000.0}, 0.0, 1e15, false,
         "T0: steps between fixed bounces (an integer)"},
        {"threshold", HpKind::kReal, std::vector<double>{3000.0}, 0.0, 1e15, false,
         "T1: steps without a new minimum before a progress bounce (an integer)"},
        {"deltaEn", HpKind::kReal, std::vector<double>{0.0}, 0.0, 1e300, false, "extra initial energy delta E"},
        {"consEn", HpKind::kBool, std::vector<double>{1.0}, 0.0, 1.0, false, "enforce energy conservation every step"},
        {"n_fixed_bounces", HpKind::kReal, std::vector<double>{1.0}, 0.0, 1e15, false,
         "N_b: fixed bounces, one every T0 steps (an integer)"},
        {"eps1", HpKind::kReal, std::vector<double>{1e-10}, 0.0, 1e300, false, "energy error below which Pi is not rescaled"},
        {"eps2", HpKind::kReal, std::vector<double>{1e-40}, 0.0, 1e300, false, "steps are skipped while V <= eps2"},
        {"seed", HpKind::kReal, std::vector<double>{-1.0}, -1.0, 9007199254740992.0, false,
         "Philox seed of the bounce directions; -1 derives it from the run's seed"}},
       [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<Bbi>(a, hp); }});
}

}  // namespace momenta::optim
