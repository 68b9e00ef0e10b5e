#include "momenta/diffusion/samplers.h"

#include <cmath>
#include <vector>

#include "momenta/autograd.h"
#include "momenta/diffusion/dsm_loss.h"
#include "momenta/diffusion/ncsn.h"
#include "momenta/error.h"
#include "momenta/ops.h"

namespace momenta::diffusion {

namespace {

// What every sampler shares: score evaluation with progress, recording, noise.
class Run {
 public:
  Run(const ScoreFn& score, const SamplerCallbacks& cb, int64_t total, int64_t outer_steps, uint64_t seed)
      : score_(score), cb_(cb), total_(total), outer_(outer_steps), gen_(seed) {}

  Tensor score(const Tensor& x, double t) {
    Tensor tt = Tensor::full(Shape{x.size(0)}, t, x.dtype(), x.device());
    Tensor s = score_(x, tt);
    check<ShapeError>(s.defined() && s.shape() == x.shape(), "sampler: the score must have the batch's shape ",
                      fmt(x.shape()), ", got ", s.defined() ? shape_str(s.shape()) : std::string("undefined"));
    ++done_;
    if (cb_.progress) cb_.progress(done_, total_);
    return s;
  }
  Tensor noise(const Tensor& like) {
    Tensor z = Tensor::empty(like.shape(), like.dtype(), like.device());
    normal_(z, 0.0, 1.0, gen_);
    return z;
  }
  void record(int64_t step, double t, const Tensor& x) {
    if (!cb_.record || cb_.record_every <= 0) return;
    if (step == 0 || step % cb_.record_every == 0 || step == outer_) cb_.record(step, t, x);
  }
  Generator& gen() { return gen_; }

 private:
  const ScoreFn& score_;
  const SamplerCallbacks& cb_;
  int64_t total_, outer_, done_ = 0;
  Generator gen_;
};

// Mean over the batch of the per-sample Euclidean norm.
double mean_norm(const Tensor& x) {
  std::vector<int64_t> axes;
  for (int64_t a = 1; a < x.dim(); ++a) axes.push_back(a);
  return mean(sqrt(sum(square(x), axes))).item();
}

std::vector<double> reverse_grid(int64_t steps, double t_end) {
  std::vector<double> t(static_cast<size_t>(steps + 1));
  for (int64_t k = 0; k <= steps; ++k)
    t[static_cast<size_t>(k)] = 1.0 - (1.0 - t_end) * static_cast<double>(k) / static_cast<double>(steps);
  return t;
}

// Tweedie: E[x0 | x_t] = (x + std^2 s(x, t)) / mean_coef(t).
Tensor tweedie(Run& run, const NoiseProcess& p, const Tensor& x, double t) {
  const double s2 = p.marginal_std(t) * p.marginal_std(t);
  return mul(add(x, mul(run.score(x, t), s2)), 1.0 / p.mean_coef(t));
}

int64_t ode_evals(OdeMethod m) { return m == OdeMethod::kEuler ? 1 : m == OdeMethod::kHeun ? 2 : 4; }

Tensor annealed_langevin(Run& run, const NoiseProcess& p, Tensor x, const SamplerOptions& o, double t_end) {
  const std::vector<double> ts = level_times(o.steps, t_end);
  const double std_l = p.marginal_std(ts.back());
  double eps = o.step_lr;
  if (std::isnan(eps)) eps = ncsn_step_size(std_l, p.marginal_std(ts[ts.size() - 2]) / std_l, o.langevin_steps);
  check<ValueError>(eps > 0.0 && std::isfinite(eps), "sampler ald: step_lr must be > 0, got ", eps);
  for (size_t i = 0; i < ts.size(); ++i) {
    const double sd = p.marginal_std(ts[i]) / std_l;
    const double alpha = eps * sd * sd;
    for (int64_t k = 0; k < o.langevin_steps; ++k)
      x = add(add(x, mul(run.score(x, ts[i]), alpha)), mul(run.noise(x), std::sqrt(2.0 * alpha)));
    run.record(static_cast<int64_t>(i) + 1, ts[i], x);
  }
  return o.denoise ? tweedie(run, p, x, ts.back()) : x;
}

Tensor euler_maruyama(Run& run, const NoiseProcess& p, Tensor x, const SamplerOptions& o, double t_end) {
  const std::vector<double> ts = reverse_grid(o.steps, t_end);
  for (int64_t k = 0; k < o.steps; ++k) {
    const double t = ts[static_cast<size_t>(k)], dt = t - ts[static_cast<size_t>(k) + 1];
    const double f = p.drift_coef(t), g = p.diffusion(t);
    const Tensor s = run.score(x, t);
    x = add(mul(x, 1.0 - f * dt), mul(s, g * g * dt));
    if (!(o.denoise && k == o.steps - 1)) x = add(x, mul(run.noise(x), g * std::sqrt(dt)));
    run.record(k + 1, ts[static_cast<size_t>(k) + 1], x);
  }
  return x;
}

Tensor predictor_corrector(Run& run, const NoiseProcess& p, Tensor x, const SamplerOptions& o, double t_end) {
  const std::vector<double> ts = reverse_grid(o.steps, t_end);
  for (int64_t k = 0; k < o.steps; ++k) {
    const double t = ts[static_cast<size_t>(k)], dt = t - ts[static_cast<size_t>(k) + 1];
    const Discretisation d = p.discretise(t, dt);
    const double alpha = (1.0 + d.F) * (1.0 + d.F);
    for (int64_t j = 0; j < o.langevin_steps; ++j) {  // corrector at t
      const Tensor s = run.score(x, t);
      const Tensor z = run.noise(x);
      const double ns = mean_norm(s), nz = mean_norm(z);
      check<ValueError>(ns > 0.0 && std::isfinite(ns), "sampler pc: the score's norm is ", ns,
                        " at t = ", t, "; the corrector needs a finite, non-zero score");
      const double r = o.snr * nz / ns;
      const double eps = 2.0 * alpha * r * r;
      x = add(add(x, mul(s, eps)), mul(z, std::sqrt(2.0 * eps)));
    }
    const Tensor s = run.score(x, t);  // reverse-diffusion predictor to t - dt
    x = add(mul(x, -d.F + 1.0), mul(s, d.G * d.G));
    if (!(o.denoise && k == o.steps - 1)) x = add(x, mul(run.noise(x), d.G));
    run.record(k + 1, ts[static_cast<size_t>(k) + 1], x);
  }
  return x;
}

Tensor probability_flow(Run& run, const NoiseProcess& p, Tensor x, const SamplerOptions& o, double t_end) {
  const std::vector<double> ts = reverse_grid(o.steps, t_end);
  auto velocity = [&](const Tensor& y, double t) {
    const double g = p.diffusion(t);
    return add(mul(y, p.drift_coef(t)), mul(run.score(y, t), -0.5 * g * g));
  };
  for (int64_t k = 0; k < o.steps; ++k) {
    const double t = ts[static_cast<size_t>(k)], h = ts[static_cast<size_t>(k) + 1] - t;  // h < 0
    const Tensor k1 = velocity(x, t);
    if (o.ode == OdeMethod::kEuler) {
      x = add(x, mul(k1, h));
    } else if (o.ode == OdeMethod::kHeun) {
      const Tensor k2 = velocity(add(x, mul(k1, h)), t + h);
      x = add(x, mul(add(k1, k2), 0.5 * h));
    } else {
      const Tensor k2 = velocity(add(x, mul(k1, 0.5 * h)), t + 0.5 * h);
      const Tensor k3 = velocity(add(x, mul(k2, 0.5 * h)), t + 0.5 * h);
      const Tensor k4 = velocity(add(x, mul(k3, h)), t + h);
      x = add(x, mul(add(add(k1, mul(k2, 2.0)), add(mul(k3, 2.0), k4)), h / 6.0));
    }
    run.record(k + 1, ts[static_cast<size_t>(k) + 1], x);
  }
  return o.denoise ? tweedie(run, p, x, t_end) : x;
}

}  // namespace

SamplerKind parse_sampler(const std::string& name) {
  if (name == "ald") return SamplerKind::kAld;
  if (name == "em") return SamplerKind::kEulerMaruyama;
  if (name == "pc") return SamplerKind::kPredictorCorrector;
  if (name == "ode") return SamplerKind::kProbabilityFlow;
  throw ValueError(str_cat("unknown sampler '", excerpt(name, 40), "' (expected ald, em, pc or ode)"));
}

const char* sampler_name(SamplerKind kind) {
  switch (kind) {
    case SamplerKind::kAld: return "ald";
    case SamplerKind::kEulerMaruyama: return "em";
    case SamplerKind::kPredictorCorrector: return "pc";
    case SamplerKind::kProbabilityFlow: return "ode";
  }
  return "?";
}

OdeMethod parse_ode_method(const std::string& name) {
  if (name == "euler") return OdeMethod::kEuler;
  if (name == "heun") return OdeMethod::kHeun;
  if (name == "rk4") return OdeMethod::kRk4;
  throw ValueError(str_cat("unknown ODE method '", excerpt(name, 40), "' (expected euler, heun or rk4)"));
}

int64_t sampler_evaluations(const NoiseProcess& process, const SamplerOptions& o) {
  (void)process;
  const int64_t d = o.denoise ? 1 : 0;
  switch (o.kind) {
    case SamplerKind::kAld: return o.steps * o.langevin_steps + d;
    case SamplerKind::kEulerMaruyama: return o.steps;
    case SamplerKind::kPredictorCorrector: return o.steps * (o.langevin_steps + 1);
    case SamplerKind::kProbabilityFlow: return o.steps * ode_evals(o.ode) + d;
  }
  return 0;
}

Tensor sample(const ScoreFn& score, const NoiseProcess& process, int64_t n, const Shape& sample_shape,
              const SamplerOptions& o, const SamplerCallbacks& callbacks) {
  check<ValueError>(n >= 1, "sampler: needs n >= 1 samples, got ", n);
  check<ValueError>(o.steps >= (o.kind == SamplerKind::kAld ? 2 : 1), "sampler ", sampler_name(o.kind),
                    ": steps must be >= ", o.kind == SamplerKind::kAld ? 2 : 1, ", got ", o.steps);
  check<ValueError>(o.langevin_steps >= (o.kind == SamplerKind::kAld ? 1 : 0), "sampler ", sampler_name(o.kind),
                    ": langevin_steps out of range, got ", o.langevin_steps);
  check<ValueError>(o.kind != SamplerKind::kPredictorCorrector || (o.snr > 0.0 && std::isfinite(o.snr)),
                    "sampler pc: snr must be > 0, got ", o.snr);
  check<ValueError>(o.kind != SamplerKind::kAld || process.variance_exploding(), "sampler ald: annealed Langevin ",
                    "dynamics needs a variance-exploding process (NCSN), not ", process.describe(),
                    "; use pc, em or ode");
  check<ValueError>(o.dtype == kFloat32 || o.dtype == kFloat64, "sampler: dtype must be float32 or float64");
  const double t_end = resolve_t_min(process, o.t_end);

  NoGradGuard no_grad;
  Run run(score, callbacks, sampler_evaluations(process, o), o.steps, o.seed);
  Shape shape{n};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  Tensor x = process.sample_prior(shape, run.gen(), o.dtype, o.device);
  run.record(0, 1.0, x);
  switch (o.kind) {
    case SamplerKind::kAld: return annealed_langevin(run, process, x, o, t_end);
    case SamplerKind::kEulerMaruyama: return euler_maruyama(run, process, x, o, t_end);
    case SamplerKind::kPredictorCorrector: return predictor_corrector(run, process, x, o, t_end);
    case SamplerKind::kProbabilityFlow: return probability_flow(run, process, x, o, t_end);
  }
  return x;
}

}  // namespace momenta::diffusion
