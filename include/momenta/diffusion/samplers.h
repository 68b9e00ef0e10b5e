// Samplers for score-based diffusion models. Each starts from the process's prior, runs with
// gradient recording off, and is deterministic for opts.seed (all noise comes from one Philox
// generator, Generator(seed), drawn in a fixed order).
//
// Time grids: the reverse-time samplers (em, pc, ode) take `steps` = N steps on the evenly
// spaced grid t_0 = 1 > t_1 > ... > t_N = t_end. Annealed Langevin takes `steps` = L noise
// levels at level_times(L, t_end) and `langevin_steps` = T steps at each.
//
// - kAld, annealed Langevin dynamics (NCSNv2, Song & Ermon 2020 Alg. 1): at level i,
//   alpha_i = step_lr std_i^2 / std_L^2 and T times x <- x + alpha_i s(x, t_i) + sqrt(2 alpha_i) z;
//   then, with `denoise`, the final denoising step x <- x + std_L^2 s(x, t_L) (their eq. 4 /
//   App. "denoising"; Tweedie's formula). Variance-exploding processes only: on a VP process the
//   step alpha_i ~ std_i^2 vanishes at small t while the marginal mean m(t) mu still moves, so
//   the samples lag behind (on Gaussian data, a 1.6 % mean bias after 50 levels x 20 steps,
//   tests/diffusion/samplers_test.cpp); ValueError.
//   step_lr NaN: NCSNv2 Technique 4 (ncsn_step_size with gamma = std_{L-1} / std_L, T).
// - kEulerMaruyama, the reverse SDE dx = [f(t) x - g(t)^2 s(x, t)] dt + g(t) dw-bar (Song et al.
//   2021 eq. 6) stepped backwards by dt = t_k - t_{k+1}:
//   x <- x - (f x - g^2 s) dt + g sqrt(dt) z; with `denoise` the last step adds no noise (the
//   twin's convention; bench/pytorch/diffusion_unet.py returns `mean`).
// - kPredictorCorrector (Song et al. 2021 Alg. 4 for VE, Alg. 5 for VP): M = langevin_steps
//   Langevin corrector steps at t_k with eps = 2 alpha (r ||z|| / ||s||)^2, alpha = (1 + F)^2
//   (1 for VE, 1 - beta_k for VP), x <- x + eps s + sqrt(2 eps) z, then the reverse-diffusion
//   predictor to t_{k+1}: x <- x - F x + G^2 s(x, t_k) + G z with (F, G) = discretise(t_k, dt).
//   ||z|| and ||s|| are per-sample norms averaged over the batch (as the authors' code does), so
//   one step size serves the batch. The algorithms write P then C; like the authors' code we
//   run C then P, so that with `denoise` the last update is the predictor's noise-free mean.
// - kProbabilityFlow, the ODE dx/dt = f(t) x - (1/2) g(t)^2 s(x, t) (Song et al. 2021 eq. 13)
//   integrated from 1 to t_end with a fixed-step explicit method: Heun (2nd order, 2 score
//   evaluations a step; the default), Euler (1) or classical RK4 (4). No noise after the prior.
//   With `denoise`, a final Tweedie step x <- (x + std^2 s(x, t_end)) / mean_coef(t_end).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include "momenta/diffusion/noise_process.h"
#include "momenta/diffusion/score.h"

namespace momenta::diffusion {

enum class SamplerKind { kAld, kEulerMaruyama, kPredictorCorrector, kProbabilityFlow };
enum class OdeMethod { kEuler, kHeun, kRk4 };

// "ald", "em", "pc", "ode" (ValueError lists them) and back.
SamplerKind parse_sampler(const std::string& name);
const char* sampler_name(SamplerKind kind);
// "euler", "heun", "rk4".
OdeMethod parse_ode_method(const std::string& name);

struct SamplerOptions {
  SamplerKind kind = SamplerKind::kEulerMaruyama;
  int64_t steps = 500;         // N reverse steps, or L noise levels for kAld
  int64_t langevin_steps = 1;  // T per level (kAld; NCSNv2 uses 5), M correctors a step (kPc)
  double step_lr = std::numeric_limits<double>::quiet_NaN();  // kAld's eps; NaN: Technique 4
  double snr = 0.16;           // kPc's signal-to-noise ratio r (Song et al. 2021: 0.16 for VE)
  OdeMethod ode = OdeMethod::kHeun;
  bool denoise = true;
  double t_end = std::numeric_limits<double>::quiet_NaN();  // NaN: the process's default_t_min()
  uint64_t seed = 0;
  DType dtype = kFloat32;
  Device device = kCPU;
};

struct SamplerCallbacks {
  // After every score evaluation: evaluations done and their total (for a progress bar).
  std::function<void(int64_t done, int64_t total)> progress;
  // The state at step 0 (the prior draw) and after every record_every-th outer step (a level
  // for kAld, a time step otherwise) and the last one; t is the time the state belongs to.
  // The final returned tensor (after any denoising step) is not recorded separately.
  std::function<void(int64_t step, double t, const Tensor& x)> record;
  int64_t record_every = 0;  // 0: record nothing
};

// n samples of `sample_shape` (the shape of one sample), i.e. a batch [n, sample_shape...].
Tensor sample(const ScoreFn& score, const NoiseProcess& process, int64_t n, const Shape& sample_shape,
              const SamplerOptions& opts, const SamplerCallbacks& callbacks = {});

// The number of score evaluations `sample` makes (the progress bar's total).
int64_t sampler_evaluations(const NoiseProcess& process, const SamplerOptions& opts);

}  // namespace momenta::diffusion
