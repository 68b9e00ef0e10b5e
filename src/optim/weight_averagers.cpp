// EMA, SWA and BELAY (OPTIMIZERS.md Sections 17-19): one fused pass over the arena each step.
// The per-element math is kernels/averager_rules.h; the protocol is NOTE [averager protocol] in
// optim/averager.h.
#include <cmath>

#include "momenta/kernels/averager_rules.h"
#include "momenta/optim/averager.h"
#include "optim/arena_loop.h"

namespace momenta::optim {
namespace {

// ---------------------------------------------------------------------------------------------
// EMA (Section 17): ema_0 = w_0; after every optimizer step ema <- d*ema + (1-d)*w.

template <class T>
void ema_range(T* __restrict avg, const T* __restrict w, T decay, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) kernels::ema_update(avg[i], w[i], decay);
}

class Ema final : public Averager {
 public:
  Ema(const nn::ParamArena& arena, const HyperParams& hp) : Averager(arena, hp) { avg_ = add_state("ema", true); }
  const char* name() const override { return "ema"; }
  Tensor averaged() const override { return avg_; }
  std::map<std::string, double> diagnostics() const override { return {{"ema_distance", distance_to(avg_)}}; }

 protected:
  void update(const StepInfo&) override {
    const Tensor& p = arena().params();
    dispatch_floating(p.dtype(), name(), [&](auto tag) {
      using T = decltype(tag);
      T* ap = flat<T>(avg_);
      const T* wp = flat<T>(p);
      const T d = static_cast<T>(hp("decay"));
      const auto step = kernels::EmaStep<T>{ap, wp, d};
      for_arena_range(p, 0, arena().size(), name(), step,
                      [&](int64_t b, int64_t e, FiniteWatch*) { ema_range<T>(ap, wp, d, b, e); });
    });
  }

 private:
  Tensor avg_;
};

// ---------------------------------------------------------------------------------------------
// SWA (Section 19): average after optimizer step t (1-based) when t >= swa_start and
// (t - swa_start) % swa_freq == 0; the first average copies w.

template <class T>
void swa_range(T* __restrict avg, const T* __restrict w, T n_plus_1, bool first, int64_t begin, int64_t end) {
  for (int64_t i = begin; i < end; ++i) kernels::swa_update(avg[i], w[i], n_plus_1, first);
}

int64_t whole(const char* rule, const char* key, double v) {
  check<ValueError>(std::floor(v) == v && std::fabs(v) < 9e15, rule, ": hyperparameter ", key, "=", v,
                    " must be a whole number");
  return static_cast<int64_t>(v);
}

class Swa final : public Averager {
 public:
  Swa(const nn::ParamArena& arena, const HyperParams& hp)
      : Averager(arena, hp), start_(whole("swa", "swa_start", this->hp("swa_start"))),
        freq_(whole("swa", "swa_freq", this->hp("swa_freq"))) {
    avg_ = add_state("swa", false);
  }
  const char* name() const override { return "swa"; }
  Tensor averaged() const override { return n_ > 0 ? avg_ : Tensor(); }
  int64_t n_averaged() const { return n_; }
  std::map<std::string, double> diagnostics() const override {
    std::map<std::string, double> out{{"swa_n_averaged", static_cast<double>(n_)}};
    if (n_ > 0) out["swa_distance"] = distance_to(avg_);
    return out;
  }
  std::map<std::string, double> scalar_state() const override { return {{"n_averaged", static_cast<double>(n_)}}; }
  void load_scalar_state(const std::map<std::string, double>& s) override {
    auto it = s.find("n_averaged");
    check<ValueError>(it != s.end(), "swa: checkpoint lacks scalar state 'n_averaged'");
    n_ = static_cast<int64_t>(it->second);
  }

 protected:
  void update(const StepInfo&) override {
    const int64_t t = steps();
    if (t < start_ || (t - start_) % freq_ != 0) return;
    const Tensor& p = arena().params();
    const bool first = n_ == 0;
    dispatch_floating(p.dtype(), name(), [&](auto tag) {
      using T = decltype(tag);
      T* ap = flat<T>(avg_);
      const T* wp = flat<T>(p);
      const T n1 = static_cast<T>(n_ + 1);
      const auto step = kernels::SwaStep<T>{ap, wp, n1, first};
      for_arena_range(p, 0, arena().size(), name(), step,
                      [&](int64_t b, int64_t e, FiniteWatch*) { swa_range<T>(ap, wp, n1, first, b, e); });
    });
    ++n_;
  }

 private:
  int64_t start_, freq_;
  int64_t n_ = 0;
  Tensor avg_;
};

// ---------------------------------------------------------------------------------------------
// BELAY (Section 18): two masses w1 (the model) and w2 (the average) joined by a spring.
// Default damping c_i = 2*m_i drops the velocities; otherwise v1, v2 are state.

template <class T>
void belay_range(T* __restrict w1, const T* __restrict w1_prev, T* __restrict w2, T* __restrict v1,
                 T* __restrict v2, const kernels::BelayParams<T>& params, int64_t begin, int64_t end, FiniteWatch* watch) {
  const kernels::BelayParams<T> h = params;
  // BELAY pulls the model weights w1: they are checked again (the gradients were, by the rule).
  if (v1 == nullptr) {
    element_loop(watch, w1, static_cast<const T*>(nullptr), begin, end,
                 [&](int64_t i) { kernels::belay_update(w1[i], w1_prev[i], w2[i], h); });
  } else {
    element_loop(watch, w1, static_cast<const T*>(nullptr), begin, end,
                 [&](int64_t i) { kernels::belay_update_damped(w1[i], w1_prev[i], w2[i], v1[i], v2[i], h); });
  }
}

class Belay final : public Averager {
 public:
  Belay(const nn::ParamArena& arena, const HyperParams& hp) : Averager(arena, hp) {
    damped_ = has_hp("c1") || has_hp("c2");
    const auto h = params_now();  // validates a != 0 where the velocity rule divides by it
    (void)h;
    w2_ = add_state("w2", true);
    if (damped_) {
      v1_ = add_state("v1", false);
      v2_ = add_state("v2", false);
    }
    // Scratch for w1(t): allocated once, filled by before_step(); not part of the state.
    w1_prev_ = Tensor::empty({arena.size()}, arena.dtype(), arena.device());
  }
  const char* name() const override { return "belay"; }
  Tensor averaged() const override { return w2_; }

  void before_step() override {
    w1_prev_.copy_(arena().params());
    snapshot_ = true;
  }

  std::map<std::string, double> diagnostics() const override {
    return {{"belay_spring_extension", distance_to(w2_)}};
  }

 protected:
  void update(const StepInfo&) override {
    check<ValueError>(snapshot_, "belay: step() needs before_step() before optimizer.step() (it snapshots w1(t); see "
                                 "NOTE [averager protocol] in optim/averager.h)");
    snapshot_ = false;
    const kernels::BelayParams<double> hd = params_now();
    const Tensor& p = arena().params();
    dispatch_floating(p.dtype(), name(), [&](auto tag) {
      using T = decltype(tag);
      const kernels::BelayParams<T> h{static_cast<T>(hd.a),     static_cast<T>(hd.b),     static_cast<T>(hd.one_minus_a),
                                      static_cast<T>(hd.one_minus_b), static_cast<T>(hd.damp1), static_cast<T>(hd.damp2),
                                      static_cast<T>(hd.k_m1),  static_cast<T>(hd.k_m2),  static_cast<T>(hd.c1_m1),
                                      static_cast<T>(hd.c2_m2), static_cast<T>(hd.inv_2a)};
      T* w1 = flat<T>(p);
      const T* prev = flat<T>(w1_prev_);
      T* w2 = flat<T>(w2_);
      T* v1 = damped_ ? flat<T>(v1_) : nullptr;
      T* v2 = damped_ ? flat<T>(v2_) : nullptr;
      const auto step = kernels::BelayStep<T>{w1, prev, w2, v1, v2, h};
      for_arena_range(p, 0, arena().size(), name(), step,
                      [&](int64_t b, int64_t e, FiniteWatch* w) { belay_range<T>(w1, prev, w2, v1, v2, h, b, e, w); });
    });
  }

 private:
  // The per-step constants from the current hyperparameters (runtime data: k may be scheduled).
  kernels::BelayParams<double> params_now() const {
    const double k = hp("k"), m1 = hp("m1"), m2 = hp("m2");
    const double c1 = has_hp("c1") ? hp("c1") : 2.0 * m1;
    const double c2 = has_hp("c2") ? hp("c2") : 2.0 * m2;
    kernels::BelayParams<double> h{};
    h.a = 1.0 - k / (2.0 * m1);
    h.b = 1.0 - k / (2.0 * m2);
    h.one_minus_a = 1.0 - h.a;
    h.one_minus_b = 1.0 - h.b;
    h.damp1 = 1.0 - c1 / (2.0 * m1);
    h.damp2 = 1.0 - c2 / (2.0 * m2);
    h.k_m1 = k / m1;
    h.k_m2 = k / m2;
    h.c1_m1 = c1 / m1;
    h.c2_m2 = c2 / m2;
    check<ValueError>(!damped_ || h.a != 0.0, "belay: k = 2*m1 makes a = 1 - k/(2*m1) zero, and the velocity rule "
                                              "divides by 2a; choose k < 2*m1 or the default damping");
    h.inv_2a = damped_ ? 1.0 / (2.0 * h.a) : 0.0;
    return h;
  }

  bool damped_ = false;
  bool snapshot_ = false;
  Tensor w2_, v1_, v2_, w1_prev_;
};

}  // namespace

void register_weight_averagers() {
  register_averager({"ema", "exponential moving average of weights; torch.optim.swa_utils.AveragedModel(avg_fn)",
                     "ema <- decay*ema + (1-decay)*w after each optimizer step; ema_0 = w_0",
                     {{"decay", HpKind::kReal, std::vector<double>{0.999}, 0.0, 1.0, false,
                       "weight on the old average (ema <- decay*ema + (1-decay)*w)"}},
                     {},
                     [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<Ema>(a, hp); }});
  register_averager({"swa", "Izmailov et al. 2018 (SWA); torch.optim.swa_utils.AveragedModel",
                     "running mean of the weights after step t when t >= swa_start and (t - swa_start) % swa_freq == 0",
                     {{"swa_start", HpKind::kReal, std::vector<double>{0.0}, 0.0, 9e15, false,
                       "first optimizer step (1-based count) that is averaged; a whole number"},
                      {"swa_freq", HpKind::kReal, std::vector<double>{1.0}, 1.0, 9e15, false,
                       "average every swa_freq steps from swa_start; a whole number"}},
                     {},
                     [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<Swa>(a, hp); }});
  register_averager({"belay", "Patsenker, Li & Kluger 2023 (BELAY), eqs. 4-7, Alg. 1, App. C; reconstructed",
                     "w1 (model) and w2 (average) joined by a spring; also rewrites the model weights; evaluate w2",
                     {{"k", HpKind::kReal, std::vector<double>{1.0}, 0.0, 1e300, false, "spring constant"},
                      {"m1", HpKind::kReal, std::vector<double>{10.0}, 0.0, 1e300, true, "mass of w1 (the model weights)"},
                      {"m2", HpKind::kReal, std::vector<double>{20.0}, 0.0, 1e300, true, "mass of w2 (the averaged weights)"},
                      {"c1", HpKind::kReal, std::nullopt, 0.0, 1e300, false,
                       "damping of w1; absent: 2*m1 (zero out the velocity)"},
                      {"c2", HpKind::kReal, std::nullopt, 0.0, 1e300, false,
                       "damping of w2; absent: 2*m2 (zero out the velocity)"}},
                     {"c1", "c2"},
                     [](const nn::ParamArena& a, const HyperParams& hp) { return std::make_unique<Belay>(a, hp); }});
}

}  // namespace momenta::optim
