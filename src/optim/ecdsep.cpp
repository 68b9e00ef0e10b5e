// ECDSep: energy-conserving descent with a separable Hamiltonian and chaotic bounces (De Luca,
// Gatti & Silverstein 2023; gbdl/ECDSep inflation.py, classes ECDSep and ECDSep_F0tuning),
// OPTIMIZERS.md Section 15. A whole-model rule: one set of hyperparameters (group 0's; the
// reference ignores per-group values), global scalar state (energy E, |Pi|^2, iteration, the F0
// shift), and the batch loss F from StepInfo.
//
// Pass structure: NOTE [ECDSep passes] in kernels/optim_rules_energy.h (two fused passes per
// step, three with weight decay or on the first call).
//
// Edge cases, following the reference where it is defined and guarding where it is not:
// * V = (F + wd/2*sum p^2 - F0)^eta <= eps2 (or NaN: Ft < 0 with a non-integer eta): the call
//   does nothing, as in the reference (diagnostic ecdsep_updated = 0). With F0 tuning the gate
//   is V > 0 and a failed call shifts F0 by 5*V instead.
// * The first call (iteration 0) sets E and Pi; while calls are skipped it repeats, as the
//   reference re-initialises until its first real step.
// * A zero gradient at initialisation (reference: 0/0) starts Pi at rest. A kicked Pi of norm 0
//   (reference: 0/0 in the bounce) stays 0, and s + |Pi|^2 == 0 moves nothing.
// * A missing or non-finite loss is a ValueError; ECDSep_F0tuning requires an odd integer eta.
// * The bounce noise z ~ N(0,1) comes from Philox (seed hyperparameter), element i of the arena
//   using normal i of the step's counter range: runs are reproducible and identical on every
//   device. The reference seeds nondeterministically, so only nu = 0 runs can match it exactly.
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

constexpr uint64_t kEcdsepStream = 0xEC05E9ull;

// The loop halves of passes K and D (NOTE [ECDSep passes]): restrict pointers, a hoisted copy of
// the parameters and lane sums (arena_reduce.h) let them vectorise.
template <class T>
void kick_range(const T* __restrict p, const T* __restrict g, T* __restrict u, const kernels::EcdsepKickParams<T>& params,
                int64_t begin, int64_t end, Sums<2>& acc) {
  const kernels::EcdsepKickParams<T> h = params;
  lane_sums<2>(begin, end, acc, [&](int64_t i, double* v) {
    T resc;
    const double k = static_cast<double>(kernels::ecdsep_kick(p[i], g[i], u[i], h, resc));
    v[0] = k * k;
    v[1] = static_cast<double>(resc) * static_cast<double>(resc);
  });
}

// z[i - begin] is element i's normal (unused without noise).
template <class T, bool kNoise>
void drift_range(T* __restrict p, T* __restrict u, const double* __restrict z, const kernels::EcdsepDriftParams<T>& params,
                 int64_t begin, int64_t end, Sums<3>& acc) {
  const kernels::EcdsepDriftParams<T> h = params;
  lane_sums<3>(begin, end, acc, [&](int64_t i, double* v) {
    T unit;
    const double d = static_cast<double>(kernels::ecdsep_drift_bounce(p[i], u[i], kNoise ? z[i - begin] : 0.0, h, unit));
    v[0] = d * d;
    v[1] = static_cast<double>(unit) * d;
    v[2] = static_cast<double>(unit) * static_cast<double>(unit);
  });
}

class Ecdsep final : public Optimizer {
 public:
  Ecdsep(const nn::ParamArena& arena, const HyperParams& hp, const char* rule_name, bool tuning_rule)
      : Optimizer(arena, hp), name_(rule_name) {
    const ParamGroup& g = groups().front();
    tuning_ = tuning_rule && this->hp(g, "F0_tuning") != 0.0;
    if (tuning_) {
      const double eta = this->hp(g, "eta");
      check<ValueError>(std::floor(eta) == eta && std::fmod(eta, 2.0) == 1.0, name_,
                        ": F0 self-tuning needs an odd integer eta (V = (F - F0)^eta must keep the sign of F - F0), got eta=",
                        eta);
    }
    gen_.set_state(bounce_seed(name_, this->hp(g, "seed"), kEcdsepStream), 0);
  }

  const char* name() const override { return name_; }
  bool supports_group_hyperparams() const override { return false; }

  // ecdsep_energy E, ecdsep_energy_drift (V*(s + |Pi|^2)/E - 1 before the projection of the last
  // call: what the projection removes), ecdsep_kinetic |Pi|^2 (after the last step; always
  // present, 0 before the first), ecdsep_potential V of the last call, ecdsep_updated (0 when the last call skipped
  // or only shifted F0), ecdsep_bounce_cos = cos(Pi_kick, Pi_bounced) of the last step,
  // ecdsep_rescale c and ecdsep_rescaled_kinetic sum (c*Pi)^2 (== E/V - s when the energy
  // projection applied), ecdsep_kicked_kinetic sum Pi_kick^2, ecdsep_f0_shift (F0 tuning).
  std::map<std::string, double> diagnostics() const override {
    std::map<std::string, double> d{{"ecdsep_kinetic", P2_}};
    if (calls_ == 0) return d;
    auto put = [&](const char* key, double v) {
      if (std::isfinite(v)) d[key] = v;
    };
    put("ecdsep_energy", E_);
    put("ecdsep_energy_drift", drift_);
    put("ecdsep_potential", potential_);
    put("ecdsep_updated", updated_ ? 1.0 : 0.0);
    if (tuning_) put("ecdsep_f0_shift", dF0_);
    if (iteration_ > 0) {
      put("ecdsep_bounce_cos", bounce_cos_);
      put("ecdsep_rescale", rescale_);
      put("ecdsep_rescaled_kinetic", rescaled_kinetic_);
      put("ecdsep_kicked_kinetic", kicked_kinetic_);
    }
    return d;
  }

  std::map<std::string, double> scalar_state() const override {
    std::map<std::string, double> s{{"E", E_},
                                    {"P2", P2_},
                                    {"iteration", static_cast<double>(iteration_)},
                                    {"dF0", dF0_},
                                    {"pi_norm", pi_norm_},
                                    {"dir_norm", dir_norm_}};
    save_generator(s, gen_);
    return s;
  }

  void load_scalar_state(const std::map<std::string, double>& s) override {
    auto get = [&](const char* key, double fallback) {
      auto it = s.find(key);
      return it == s.end() ? fallback : it->second;
    };
    E_ = get("E", E_);
    P2_ = get("P2", P2_);
    iteration_ = static_cast<int64_t>(get("iteration", static_cast<double>(iteration_)));
    dF0_ = get("dF0", dF0_);
    pi_norm_ = get("pi_norm", pi_norm_);
    dir_norm_ = get("dir_norm", dir_norm_);
    load_generator(s, gen_);
  }

  Tensor momentum() const {
    Tensor out = Tensor::zeros({arena().size()}, arena().dtype(), arena().device());
    if (iteration_ == 0) return out;
    for (const auto& entry : state()) {
      if (entry.first != "bounce_direction") continue;
      const Tensor& dir = entry.second;  // a named variable: clang < 16 cannot capture a binding
      dispatch_floating(out.dtype(), name_, [&](auto tag) {
        using T = decltype(tag);
        const T* u = flat<T>(dir);
        T* o = flat<T>(out);
        const T n = static_cast<T>(pi_norm_), r = static_cast<T>(dir_norm_);
        const auto step = kernels::EcdsepMomentumStep<T>{o, u, n, r};
        for_arena_range(out, 0, arena().size(), name_, step, [&](int64_t b, int64_t e) {
          for (int64_t i = b; i < e; ++i) o[i] = kernels::ecdsep_momentum_of(u[i], n, r);
        });
      });
    }
    return out;
  }

 protected:
  void update(const StepInfo& info) override {
    const ParamGroup& g0 = groups().front();
    const double F = info.loss;
    check<ValueError>(std::isfinite(F), name_, ": needs the finite batch loss F (StepInfo.loss), got ", F);
    const double lr = hp(g0, "lr"), eta = hp(g0, "eta"), F0 = hp(g0, "F0"), nu = hp(g0, "nu"), s = hp(g0, "s");
    const double wd = hp(g0, "weight_decay"), eps1 = hp(g0, "eps1"), eps2 = hp(g0, "eps2");
    const bool cons_en = hp(g0, "consEn") != 0.0;
    const double dE = s == 1.0 ? hp(g0, "deltaEn") : 1.0;  // the reference forces deltaEn = 1 when s != 1
    const bool first = iteration_ == 0;
    ++calls_;

    const Tensor dir = state_tensor("bounce_direction");
    const Tensor& p = arena().params();
    const Tensor& gr = arena().grads();
    dispatch_floating(p.dtype(), name_, [&](auto tag) {
      using T = decltype(tag);
      T* pp = flat<T>(p);
      const T* gp = flat<T>(gr);
      T* up = flat<T>(dir);

      // Pass A: sum p^2 (energy-L2) and, on the first call, sum g^2 (initial momentum).
      double q2 = 0.0, g2 = 0.0;
      if (wd != 0.0 || first) {
        const bool want_q = wd != 0.0;
        for (const auto& g : groups()) {
          const auto term = kernels::EcdsepNormsTerm<T>{pp, gp, want_q, first};
          const Sums<2> r = reduce_arena_range<2>(p, g.begin, g.end, name_, term, [&](int64_t b, int64_t e, Sums<2>& acc) {
            for (int64_t i = b; i < e; ++i) {
              const double pv = static_cast<double>(pp[i]), gv = static_cast<double>(gp[i]);
              if (want_q) acc[0] += pv * pv;
              if (first) acc[1] += gv * gv;
            }
          });
          q2 += r[0];
          g2 += r[1];
        }
      }
      const double loss_l2 = F + 0.5 * wd * q2;
      const double Ft = loss_l2 - F0;                     // the kick's denominator (no F0 shift)
      const double V = std::pow(loss_l2 - (F0 + dF0_), eta);
      potential_ = V;
      double init_scale = 0.0;
      if (first) {
        E_ = std::exp(std::log(V) + std::log(s + dE));  // the reference's form (~1 ulp from V*(s+dE))
        P2_ = dE;
        init_scale = g2 > 0.0 ? std::sqrt(dE / g2) : 0.0;
      }

      const bool go = tuning_ ? V > 0.0 : V > eps2;
      if (!go) {
        updated_ = false;
        if (tuning_) dF0_ = dF0_ + 5.0 * V;
        return;
      }

      // The energy drift this step would carry without the projection: H/E - 1 with
      // H = V*(s + |Pi|^2) at the current parameters and momentum (0 on the first call).
      drift_ = first ? 0.0 : V * (s + P2_) / E_ - 1.0;
      // Energy projection: rescale Pi so that |Pi|^2 = E/V - s.
      double c = 1.0;
      if (cons_en) {
        const double pc = E_ / V - s;
        if (!(std::fabs(pc - P2_) < eps1) && !(pc < 0.0) && P2_ != 0.0) c = std::sqrt(pc / P2_);
      }

      // Pass K: the kick.
      const kernels::EcdsepKickParams<T> kh{static_cast<T>(c),        static_cast<T>(-lr * (eta / Ft)),
                                            static_cast<T>(wd),       static_cast<T>(pi_norm_),
                                            static_cast<T>(dir_norm_), static_cast<T>(init_scale),
                                            first};
      double p2k = 0.0, r2 = 0.0;
      for (const auto& g : groups()) {
        const auto term = kernels::EcdsepKickTerm<T>{pp, gp, up, kh};
        const Sums<2> r = reduce_arena_range<2>(p, g.begin, g.end, name_, term, [&](int64_t b, int64_t e, Sums<2>& acc) {
          kick_range<T>(pp, gp, up, kh, b, e, acc);
        });
        p2k += r[0];
        r2 += r[1];
      }
      const double n = std::sqrt(p2k);

      // Pass D: drift with the kicked Pi, then the noisy direction of the bounce.
      double denom = s + p2k, two_lr = lr * 2.0;
      if (denom == 0.0) denom = 1.0, two_lr = 0.0;  // only when Pi_kick == 0 and s == 0
      const uint64_t offset = gen_.reserve(static_cast<uint64_t>(arena().size()));
      // n == 0 means Pi' == 0 everywhere: no direction to bounce, u = 0 (unit = 0/1, no noise).
      const kernels::EcdsepDriftParams<T> dh{static_cast<T>(two_lr), static_cast<T>(denom),
                                             static_cast<T>(n > 0.0 ? n : 1.0), static_cast<T>(n > 0.0 ? nu : 0.0),
                                             gen_.seed(), offset};
      double u2 = 0.0, au = 0.0, a2 = 0.0;
      for (const auto& g : groups()) {
        const auto term = kernels::EcdsepDriftTerm<T>{pp, up, dh, nu != 0.0};
        const Sums<3> r = reduce_arena_range<3>(p, g.begin, g.end, name_, term, [&](int64_t b, int64_t e, Sums<3>& acc) {
          // The block's normals first (four per Philox block, aligned on arena index i), then
          // the update reads them; reduction blocks are at most kReduceBlock long.
          double z[kReduceBlock + 8];
          const int64_t first_block = b / 4;
          if (nu != 0.0)
            kernels::philox_normal_blocks(dh.seed, dh.offset, static_cast<uint64_t>(first_block),
                                          (e + 3) / 4 - first_block, z);
          const double* zb = z + (b - 4 * first_block);  // zb[i - b] is element i's normal
          if (nu != 0.0) drift_range<T, true>(pp, up, zb, dh, b, e, acc);
          else drift_range<T, false>(pp, up, zb, dh, b, e, acc);
        });
        u2 += r[0];
        au += r[1];
        a2 += r[2];
      }
      // The bounce normalisation Pi = n*u/|u| is applied lazily (the next kick, momentum()).
      if (n > 0.0 && u2 > 0.0) {
        pi_norm_ = n;
        dir_norm_ = std::sqrt(u2);
        bounce_cos_ = au / std::sqrt(a2 * u2);
      } else {
        pi_norm_ = 0.0;
        dir_norm_ = 1.0;
        bounce_cos_ = 1.0;
      }
      P2_ = pi_norm_ * pi_norm_;
      rescale_ = c;
      rescaled_kinetic_ = r2;
      kicked_kinetic_ = p2k;
      updated_ = true;
      ++iteration_;
    });
  }

 private:
  const char* name_;
  bool tuning_ = false;
  Generator gen_;
  // Scalar state (checkpointed).
  double E_ = 0.0, P2_ = 0.0, dF0_ = 0.0;
  double pi_norm_ = 0.0, dir_norm_ = 1.0;  // Pi = (pi_norm*u)/dir_norm, u in "bounce_direction"
  int64_t iteration_ = 0;
  // Diagnostics of the last call.
  int64_t calls_ = 0;
  bool updated_ = false;
  double potential_ = 0.0, drift_ = 0.0, rescale_ = 1.0, rescaled_kinetic_ = 0.0, kicked_kinetic_ = 0.0, bounce_cos_ = 1.0;
};

std::vector<HpSpec> ecdsep_specs(bool tuning) {
  std::vector<HpSpec> s = {
      {"lr", HpKind::kReal, std::nullopt, 0.0, 1e300, false, "time step Delta t (the paper's default is 0.4)"},
      {"eta", HpKind::kReal, std::nullopt, 1.0, 1e300, false,
       "concentration of the measure, >= 1 (V = (F - F0)^eta); an odd integer with F0 tuning"},
      {"F0", HpKind::kReal, std::vector<double>{0.0}, -1e300, 1e300, false, "expected minimum of the objective"},
      {"deltaEn", HpKind::kReal, std::vector<double>{0.0}, 0.0, 1e300, false,
       "extra initial energy (|Pi_0|^2); forced to 1 when s != 1"},
      {"nu", HpKind::kReal, std::vector<double>{1e-5}, 0.0, 1e300, false, "chaos: strength of the bounce noise"},
      {"s", HpKind::kReal, std::vector<double>{1.0}, 0.0, 1.0, false, "1: regularised Hamiltonian, 0: separable"},
      {"weight_decay", HpKind::kReal, std::vector<double>{0.0}, 0.0, 1e300, false,
       "energy-L2: F += wd/2*sum p^2 and g += wd*p"},
      {"consEn", HpKind::kBool, std::vector<double>{1.0}, 0.0, 1.0, false,
       "project |Pi|^2 back to E/V - s every step (energy conservation)"},
      {"eps1", HpKind::kReal, std::vector<double>{1e-10}, 0.0, 1e300, false, "energy error below which Pi is not rescaled"},
      {"eps2", HpKind::kReal, std::vector<double>{1e-40}, 0.0, 1e300, false, "steps are skipped while V <= eps2"},
      {"seed", HpKind::kReal, std::vector<double>{-1.0}, -1.0, 9007199254740992.0, false,
       "Philox seed of the bounce noise; -1 derives it from the run's seed"}};
  if (tuning)
    s.push_back({"F0_tuning", HpKind::kBool, std::vector<double>{1.0}, 0.0, 1.0, false,
                 "self-tune F0: a call with V <= 0 shifts F0 by 5*V instead of stepping (experimental)"});
  return s;
}

}  // namespace

Tensor ecdsep_momentum(const Optimizer& opt) {
  const auto* e = dynamic_cast<const Ecdsep*>(&opt);
  check<ValueError>(e != nullptr, "ecdsep_momentum: the optimizer is '", opt.name(), "', not ecdsep");
  return e->momentum();
}

void register_ecdsep_family() {
  register_optimizer({"ecdsep", "De Luca, Gatti & Silverstein 2023, ECDSep; gbdl/ECDSep inflation.py",
                      "energy-conserving descent, separable Hamiltonian, chaotic bounces (needs the loss)",
                      ecdsep_specs(false),
                      [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<Ecdsep>(a, hp, "ecdsep", false); }});
  register_optimizer({"ecdsep_f0tuning", "gbdl/ECDSep inflation.py ECDSep_F0tuning (paper Algorithm 2)",
                      "ECDSep with self-tuning of F0 (experimental; odd integer eta)", ecdsep_specs(true),
                      [](const nn::ParamArena& a, const HyperParams& hp) {
                        return std::make_unique<Ecdsep>(a, hp, "ecdsep_f0tuning", true);
                      }});
}

}  // namespace momenta::optim
