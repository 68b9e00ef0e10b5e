// Every sampler on Gaussian data N(mu, s^2 I) (gaussian_data.h), whose perturbed score is known
// in closed form for VE and VP.
//
// How the tolerances are set. With a score that is affine in x (as a Gaussian's is) every
// sampler is an affine map plus Gaussian noise per step, so the law of its output is exactly
// Gaussian with a mean and variance that a scalar recursion gives (Law below, written from the
// update formulas in samplers.h, independently of the tensor code). Two checks follow:
//  1. discretisation: the recursion's law is within kVarBudget (relative variance) and
//     kMeanBudget (mean, in units of s) of the data, so the scheme at that step count samples
//     the data (the largest gap at the step counts used is PC on VE, +2.6 % in variance);
//  2. sampling: n = 2000 samples of dimension 8 match the recursion's law within four standard
//     errors: per coordinate |mean - M| <= 4 sqrt(V / n), and the pooled variance of the
//     16000 values |V_hat - V| <= 4 V sqrt(2 / (8 n)) (4.5 % of V).
// The runs are seeded, so each check is one fixed draw; four standard errors keep a correct
// sampler inside with probability 0.9999 per coordinate. A score scaled by 0.8 moves the output
// variance by 25 % or more for every sampler, and a test asserts that check 2 then fails.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "diffusion/gaussian_data.h"
#include "momenta/autograd.h"
#include "momenta/diffusion/dsm_loss.h"
#include "momenta/diffusion/ncsn.h"
#include "momenta/diffusion/samplers.h"
#include "momenta/error.h"

using namespace momenta;
using namespace momenta::diffusion;
using namespace momenta::diffusion::testing;

namespace {

constexpr int64_t kSamples = 2000;
constexpr double kVarBudget = 0.04;
constexpr double kMeanBudget = 0.05;

// The law N(mean_j, var) of the sampler's state, coordinate j, pushed through affine steps.
struct Law {
  std::vector<double> mean;
  double var = 0;
  // x <- A x + B_j + sqrt(C2) z
  void affine(double A, const std::vector<double>& B, double C2) {
    for (size_t j = 0; j < mean.size(); ++j) mean[j] = A * mean[j] + B[j];
    var = A * A * var + C2;
  }
};

// The true score at t as s = a x + b_j.
struct AffineScore {
  double a;
  std::vector<double> b;
};
AffineScore score_at(const NoiseProcess& p, double t) {
  const double m = p.mean_coef(t), sd = p.marginal_std(t);
  const double v = m * m * kDataStd * kDataStd + sd * sd;
  AffineScore s{-1.0 / v, {}};
  for (double mu : data_mean()) s.b.push_back(m * mu / v);
  return s;
}
std::vector<double> scaled(const std::vector<double>& b, double k) {
  std::vector<double> r = b;
  for (double& e : r) e *= k;
  return r;
}

std::vector<double> grid(int64_t n, double t_end) {
  std::vector<double> t;
  for (int64_t k = 0; k <= n; ++k) t.push_back(1.0 - (1.0 - t_end) * static_cast<double>(k) / static_cast<double>(n));
  return t;
}

void tweedie(Law& law, const NoiseProcess& p, double t) {
  const AffineScore s = score_at(p, t);
  const double s2 = p.marginal_std(t) * p.marginal_std(t), m = p.mean_coef(t);
  law.affine((1 + s2 * s.a) / m, scaled(s.b, s2 / m), 0.0);
}

// An affine function of the step's starting state x: P x + Q_j (for the ODE's stages).
struct Aff {
  double P;
  std::vector<double> Q;
};
Aff combine(const Aff& x, double cx, const Aff& y, double cy) {
  Aff r{cx * x.P + cy * y.P, x.Q};
  for (size_t j = 0; j < r.Q.size(); ++j) r.Q[j] = cx * x.Q[j] + cy * y.Q[j];
  return r;
}

Law expected_law(const NoiseProcess& p, const SamplerOptions& o) {
  const double t_end = resolve_t_min(p, o.t_end);
  Law law{std::vector<double>(static_cast<size_t>(kDim), 0.0), p.prior_std() * p.prior_std()};
  const std::vector<double> ts = grid(o.steps, t_end);
  if (o.kind == SamplerKind::kAld) {
    const std::vector<double> lv = level_times(o.steps, t_end);
    const double sl = p.marginal_std(lv.back());
    for (double t : lv) {
      const double alpha = o.step_lr * p.marginal_std(t) * p.marginal_std(t) / (sl * sl);
      const AffineScore s = score_at(p, t);
      for (int64_t k = 0; k < o.langevin_steps; ++k) law.affine(1 + alpha * s.a, scaled(s.b, alpha), 2 * alpha);
    }
    if (o.denoise) tweedie(law, p, lv.back());
    return law;
  }
  for (int64_t k = 0; k < o.steps; ++k) {
    const double t = ts[static_cast<size_t>(k)], dt = t - ts[static_cast<size_t>(k) + 1];
    const bool quiet = o.denoise && k == o.steps - 1;
    const AffineScore s = score_at(p, t);
    if (o.kind == SamplerKind::kEulerMaruyama) {
      const double g2 = p.diffusion(t) * p.diffusion(t);
      law.affine(1 - p.drift_coef(t) * dt + g2 * dt * s.a, scaled(s.b, g2 * dt), quiet ? 0 : g2 * dt);
    } else if (o.kind == SamplerKind::kPredictorCorrector) {
      const Discretisation d = p.discretise(t, dt);
      const double alpha = (1 + d.F) * (1 + d.F), m = p.mean_coef(t);
      for (int64_t j = 0; j < o.langevin_steps; ++j) {
        // mean ||z|| / mean ||s|| with s = -(x - m mu) / v: about 1 / (sqrt(V + mean offset^2) |a|).
        double off2 = 0;
        for (size_t c = 0; c < law.mean.size(); ++c) off2 += std::pow(law.mean[c] - m * data_mean()[c], 2);
        const double ratio = 1.0 / (std::sqrt(law.var + off2 / kDim) * std::abs(s.a));
        const double eps = 2 * alpha * std::pow(o.snr * ratio, 2);
        law.affine(1 + eps * s.a, scaled(s.b, eps), 2 * eps);
      }
      law.affine(1 - d.F + d.G * d.G * s.a, scaled(s.b, d.G * d.G), quiet ? 0 : d.G * d.G);
    } else {
      const double h = -dt;
      auto vel = [&](const Aff& y, double u) {  // f y - g^2/2 (a y + b)
        const AffineScore su = score_at(p, u);
        const double g2 = p.diffusion(u) * p.diffusion(u);
        Aff r{(p.drift_coef(u) - 0.5 * g2 * su.a) * y.P, y.Q};
        for (size_t j = 0; j < r.Q.size(); ++j) r.Q[j] = (p.drift_coef(u) - 0.5 * g2 * su.a) * y.Q[j] - 0.5 * g2 * su.b[j];
        return r;
      };
      const Aff x{1.0, std::vector<double>(static_cast<size_t>(kDim), 0.0)};
      const Aff k1 = vel(x, t);
      Aff step;
      if (o.ode == OdeMethod::kEuler) {
        step = combine(x, 1, k1, h);
      } else if (o.ode == OdeMethod::kHeun) {
        const Aff k2 = vel(combine(x, 1, k1, h), t + h);
        step = combine(x, 1, combine(k1, 0.5 * h, k2, 0.5 * h), 1);
      } else {
        const Aff k2 = vel(combine(x, 1, k1, 0.5 * h), t + 0.5 * h);
        const Aff k3 = vel(combine(x, 1, k2, 0.5 * h), t + 0.5 * h);
        const Aff k4 = vel(combine(x, 1, k3, h), t + h);
        step = combine(x, 1, combine(combine(k1, h / 6, k2, h / 3), 1, combine(k3, h / 3, k4, h / 6), 1), 1);
      }
      law.affine(step.P, step.Q, 0.0);
    }
  }
  if (o.kind == SamplerKind::kProbabilityFlow && o.denoise) tweedie(law, p, t_end);
  return law;
}

struct Moments {
  std::vector<double> mean;
  double var = 0;
};
Moments moments(const Tensor& x) {
  const std::vector<double> v = x.to_vector<double>();
  const size_t n = v.size() / kDim;
  Moments m{std::vector<double>(kDim, 0.0), 0.0};
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < kDim; ++j) m.mean[j] += v[i * kDim + j] / static_cast<double>(n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < kDim; ++j) m.var += std::pow(v[i * kDim + j] - m.mean[j], 2);
  m.var /= static_cast<double>(kDim * (n - 1));
  return m;
}

// Check 2: the samples against the law; empty when they agree, else what differs.
std::string sampling_mismatch(const Moments& got, const Law& law) {
  std::string why;
  const double n = static_cast<double>(kSamples);
  for (size_t j = 0; j < kDim; ++j)
    if (std::abs(got.mean[j] - law.mean[j]) > 4 * std::sqrt(law.var / n))
      why += str_cat(" mean[", j, "] ", got.mean[j], " vs ", law.mean[j], ";");
  if (std::abs(got.var - law.var) > 4 * law.var * std::sqrt(2.0 / (kDim * n)))
    why += str_cat(" variance ", got.var, " vs ", law.var, ";");
  return why;
}

void expect_samples_right(const NoiseProcess& p, SamplerOptions o, const std::string& what) {
  o.seed = 7;
  if (o.dtype != kFloat32) o.dtype = kFloat64;
  const Law law = expected_law(p, o);
  // Check 1: the scheme's own law is the data's, up to the discretisation budget.
  const std::vector<double> mu = data_mean();
  for (size_t j = 0; j < kDim; ++j) EXPECT_NEAR(law.mean[j], mu[j], kMeanBudget * kDataStd) << what << " j " << j;
  EXPECT_NEAR(law.var / (kDataStd * kDataStd), 1.0, kVarBudget) << what;
  // Check 2 with the true score, and its failure with a wrong one.
  const Tensor x = sample(gaussian_score(p, o.dtype), p, kSamples, sample_shape(), o);
  ASSERT_EQ(x.shape(), (Shape{kSamples, 1, 2, 4}));
  EXPECT_EQ(sampling_mismatch(moments(x), law), "") << what;
  const Tensor w = sample(scaled_score(gaussian_score(p, o.dtype), 0.8), p, kSamples, sample_shape(), o);
  EXPECT_NE(sampling_mismatch(moments(w), law), "") << what << ": a score scaled by 0.8 passes";
}

SamplerOptions opts(SamplerKind kind, int64_t steps) {
  SamplerOptions o;
  o.kind = kind;
  o.steps = steps;
  return o;
}

}  // namespace

TEST(Samplers, EulerMaruyamaVeVp) {
  expect_samples_right(VeSde(0.01, 50.0), opts(SamplerKind::kEulerMaruyama, 100), "em ve");
  expect_samples_right(VpSde(0.1, 20.0), opts(SamplerKind::kEulerMaruyama, 100), "em vp");
  expect_samples_right(PowerVeSde(25.0), opts(SamplerKind::kEulerMaruyama, 100), "em ve-power (the twin's)");
  SamplerOptions f32 = opts(SamplerKind::kEulerMaruyama, 100);
  f32.dtype = kFloat32;
  expect_samples_right(VpSde(0.1, 20.0), f32, "em vp float32");
}

TEST(Samplers, PredictorCorrectorVeVp) {
  expect_samples_right(VeSde(0.01, 50.0), opts(SamplerKind::kPredictorCorrector, 100), "pc ve");
  expect_samples_right(VpSde(0.1, 20.0), opts(SamplerKind::kPredictorCorrector, 100), "pc vp");
}

TEST(Samplers, ProbabilityFlowVeVp) {
  expect_samples_right(VeSde(0.01, 50.0), opts(SamplerKind::kProbabilityFlow, 100), "ode heun ve");
  expect_samples_right(VpSde(0.1, 20.0), opts(SamplerKind::kProbabilityFlow, 50), "ode heun vp");
  SamplerOptions rk4 = opts(SamplerKind::kProbabilityFlow, 25);
  rk4.ode = OdeMethod::kRk4;
  expect_samples_right(VpSde(0.1, 20.0), rk4, "ode rk4 vp");
  SamplerOptions euler = opts(SamplerKind::kProbabilityFlow, 200);
  euler.ode = OdeMethod::kEuler;
  expect_samples_right(VpSde(0.1, 20.0), euler, "ode euler vp");
}

TEST(Samplers, AnnealedLangevinVe) {
  // 50 levels x 20 steps with eps = 0.4 sigma_L^2 (law: variance +2.6 %). Technique 4's eps
  // (about 0.06 sigma_L^2 at T = 5) assumes data that is one point; for data with s >> sigma_L
  // the small levels barely move the samples, so the scheme needs more steps to forget the
  // prior (the law at 100 levels x 5 steps with Technique 4's eps: variance +16 %).
  SamplerOptions o = opts(SamplerKind::kAld, 50);
  o.langevin_steps = 20;
  o.step_lr = 0.4 * 0.01 * 0.01;
  expect_samples_right(VeSde(0.01, 50.0), o, "ald ve");
}

TEST(Samplers, AnnealedLangevinNeedsVe) {
  SamplerOptions o = opts(SamplerKind::kAld, 10);
  const VpSde vp;
  EXPECT_THROW(sample(gaussian_score(vp), vp, 4, sample_shape(), o), ValueError);
}

TEST(Samplers, AnnealedLangevinDefaultsToTechniqueFour) {
  // step_lr NaN: the sampler uses ncsn_step_size(sigma_L, gamma, T); the same run with that
  // eps given explicitly is bit-identical.
  const VeSde ve(0.01, 50.0);
  SamplerOptions o = opts(SamplerKind::kAld, 20);
  o.langevin_steps = 3;
  o.dtype = kFloat64;
  const Tensor a = sample(gaussian_score(ve), ve, 16, sample_shape(), o);
  const std::vector<double> lv = level_times(20, 0.0);
  o.step_lr = ncsn_step_size(0.01, ve.marginal_std(lv[18]) / ve.marginal_std(lv[19]), 3);
  const Tensor b = sample(gaussian_score(ve), ve, 16, sample_shape(), o);
  EXPECT_EQ(a.to_vector<double>(), b.to_vector<double>());
}

TEST(Samplers, DenoisingStepIsTweedie) {
  // Same seed with and without `denoise`: ALD and the ODE end with x + std^2 s(x, t) divided by
  // mean_coef(t) (NCSNv2's x + sigma_L^2 s for VE; VP divides by m(t_end) < 1).
  struct Case {
    const NoiseProcess* p;
    SamplerKind kind;
  };
  const VeSde ve(0.01, 50.0);
  const VpSde vp;
  for (const Case c : {Case{&ve, SamplerKind::kAld}, Case{&vp, SamplerKind::kProbabilityFlow}}) {
    SamplerOptions o = opts(c.kind, 6);
    o.step_lr = 1e-5;
    o.dtype = kFloat64;
    o.denoise = false;
    const ScoreFn score = gaussian_score(*c.p);
    const Tensor a = sample(score, *c.p, 16, sample_shape(), o);
    o.denoise = true;
    const std::vector<double> b = sample(score, *c.p, 16, sample_shape(), o).to_vector<double>();
    const double t = resolve_t_min(*c.p, o.t_end), sd = c.p->marginal_std(t), m = c.p->mean_coef(t);
    const std::vector<double> av = a.to_vector<double>();
    const std::vector<double> s = score(a, Tensor::full(Shape{16}, t, kFloat64)).to_vector<double>();
    for (size_t i = 0; i < b.size(); ++i) EXPECT_NEAR(b[i], (av[i] + sd * sd * s[i]) / m, 1e-12) << sampler_name(c.kind);
  }
}

TEST(Samplers, DeterministicForASeed) {
  const VpSde vp;
  for (SamplerKind k : {SamplerKind::kEulerMaruyama, SamplerKind::kPredictorCorrector, SamplerKind::kProbabilityFlow}) {
    SamplerOptions o = opts(k, 8);
    o.seed = 3;
    const std::vector<float> a = sample(gaussian_score(vp, kFloat32), vp, 5, sample_shape(), o).to_vector<float>();
    const std::vector<float> b = sample(gaussian_score(vp, kFloat32), vp, 5, sample_shape(), o).to_vector<float>();
    o.seed = 4;
    const std::vector<float> c = sample(gaussian_score(vp, kFloat32), vp, 5, sample_shape(), o).to_vector<float>();
    EXPECT_EQ(a, b) << sampler_name(k);
    EXPECT_NE(a, c) << sampler_name(k);
  }
  const VeSde ve(0.01, 50.0);
  SamplerOptions o = opts(SamplerKind::kAld, 5);
  o.step_lr = 1e-5;
  EXPECT_EQ(sample(gaussian_score(ve, kFloat32), ve, 5, sample_shape(), o).to_vector<float>(),
            sample(gaussian_score(ve, kFloat32), ve, 5, sample_shape(), o).to_vector<float>());
}

TEST(Samplers, ProgressRecordAndNoGrad) {
  const VpSde vp;
  const ScoreFn inner = gaussian_score(vp, kFloat32);
  int64_t calls = 0;
  const ScoreFn score = [&](const Tensor& x, const Tensor& t) {
    EXPECT_FALSE(grad_mode_enabled()) << "samplers must not record gradients";
    ++calls;
    return inner(x, t);
  };
  struct Case {
    SamplerKind kind;
    OdeMethod ode;
    int64_t evals;  // for 10 steps, 2 Langevin steps, denoise on
  };
  for (const Case c : {Case{SamplerKind::kEulerMaruyama, OdeMethod::kHeun, 10},
                       Case{SamplerKind::kPredictorCorrector, OdeMethod::kHeun, 30},
                       Case{SamplerKind::kProbabilityFlow, OdeMethod::kHeun, 21},
                       Case{SamplerKind::kProbabilityFlow, OdeMethod::kRk4, 41}}) {
    SamplerOptions o = opts(c.kind, 10);
    o.langevin_steps = 2;
    o.ode = c.ode;
    std::vector<int64_t> recorded, done;
    int64_t total = -1;
    SamplerCallbacks cb;
    cb.progress = [&](int64_t d, int64_t t) { done.push_back(d), total = t; };
    cb.record = [&](int64_t step, double t, const Tensor& x) {
      recorded.push_back(step);
      EXPECT_EQ(x.shape(), (Shape{3, 1, 2, 4}));
      EXPECT_NEAR(t, 1.0 - (1.0 - 1e-3) * static_cast<double>(step) / 10.0, 1e-12);
    };
    cb.record_every = 4;
    calls = 0;
    sample(score, vp, 3, sample_shape(), o, cb);
    EXPECT_EQ(calls, c.evals) << sampler_name(c.kind);
    EXPECT_EQ(total, c.evals) << sampler_name(c.kind);
    EXPECT_EQ(sampler_evaluations(vp, o), c.evals);
    ASSERT_EQ(static_cast<int64_t>(done.size()), c.evals);
    EXPECT_EQ(done.back(), c.evals);
    EXPECT_EQ(recorded, (std::vector<int64_t>{0, 4, 8, 10})) << sampler_name(c.kind);
  }
}

TEST(Samplers, NamesAndBadOptions) {
  for (const char* n : {"ald", "em", "pc", "ode"}) EXPECT_EQ(sampler_name(parse_sampler(n)), std::string(n));
  EXPECT_THROW(parse_sampler("ddim"), ValueError);
  EXPECT_EQ(parse_ode_method("rk4"), OdeMethod::kRk4);
  EXPECT_THROW(parse_ode_method("rk45"), ValueError);
  const VpSde vp;
  const ScoreFn s = gaussian_score(vp, kFloat32);
  SamplerOptions o = opts(SamplerKind::kEulerMaruyama, 0);
  EXPECT_THROW(sample(s, vp, 2, sample_shape(), o), ValueError);
  o.steps = 5;
  EXPECT_THROW(sample(s, vp, 0, sample_shape(), o), ValueError);
  o.t_end = 0.0;  // VP has no noise at 0
  EXPECT_THROW(sample(s, vp, 2, sample_shape(), o), ValueError);
  o.t_end = 1e-3;
  o.kind = SamplerKind::kPredictorCorrector;
  o.snr = 0.0;
  EXPECT_THROW(sample(s, vp, 2, sample_shape(), o), ValueError);
  const ScoreFn bad = [](const Tensor& x, const Tensor&) { return x.flatten(1); };
  o.kind = SamplerKind::kEulerMaruyama;
  EXPECT_THROW(sample(bad, vp, 2, sample_shape(), o), ShapeError);
}
