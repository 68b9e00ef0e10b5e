// Denoising score matching (Vincent 2011; weighted over noise levels as in NCSN, Song & Ermon
// 2019 eq. 2 and Song et al. 2021 eq. 7).
//
// For a batch x0 [N, ...]: draw t (uniform on [t_min, 1], or uniform over L discrete levels),
// z ~ N(0, I), x = mean_coef(t) x0 + std(t) z; the per-sample loss is
//     lambda(t) || score(x, t) - (-z / std(t)) ||^2   with lambda(t) = std(t)^2,
//   = || std(t) score(x, t) + z ||^2,
// summed over the sample's elements, the form of the PyTorch twin (no factor 1/2, unlike the
// NCSN papers' eq.; the minimiser is the same). The batch loss is the mean over samples.
//
// Its minimum is not zero: for data N(mu, s^2 I) of dimension D and the true score, the
// expected loss at time t is D m^2 s^2 / (m^2 s^2 + std^2) with m = mean_coef(t), averaged over t.
//
// Randomness: t is drawn first ([N] uniforms), then z (x0's shape), both from `gen` (Philox), so
// a loss is reproducible for a generator state.
#pragma once

#include <cstdint>
#include <limits>

#include "momenta/diffusion/noise_process.h"
#include "momenta/diffusion/score.h"
#include "momenta/random.h"

namespace momenta::diffusion {

struct DsmOptions {
  // Smallest time drawn; NaN: the process's default_t_min(). The twin trains with 1e-5.
  double t_min = std::numeric_limits<double>::quiet_NaN();
  // 0: t ~ U(t_min, 1). L >= 2: t uniform over level_times(L, t_min) (NCSN's discrete levels).
  int64_t levels = 0;
};

// The per-sample losses [N] (differentiable through the score).
Tensor dsm_loss_per_sample(const ScoreFn& score, const NoiseProcess& process, const Tensor& x0, Generator& gen,
                           const DsmOptions& opts = {});
// Their mean: a scalar tensor to call backward() on.
Tensor dsm_loss(const ScoreFn& score, const NoiseProcess& process, const Tensor& x0, Generator& gen,
                const DsmOptions& opts = {});

// The held-out estimator: the same loss without recording gradients, with the noise of batch
// `batch_index` fixed by `seed` (the generator starts at (seed, batch_index << 32), so every
// evaluation of the same held-out batch sees the same t and z, and batches never share counters
// up to 2^34 elements each). Returns the mean over the batch; weight by batch size to average.
double dsm_test_loss(const ScoreFn& score, const NoiseProcess& process, const Tensor& x0, uint64_t seed,
                     uint64_t batch_index, const DsmOptions& opts = {});

// The t_min that opts and process resolve to (checked to lie in [0, 1)).
double resolve_t_min(const NoiseProcess& process, double t_min);

}  // namespace momenta::diffusion
