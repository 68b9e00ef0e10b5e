// Gaussian data N(mu, s^2 I) for the diffusion tests: its perturbed marginals are Gaussian too,
// p_t = N(m(t) mu, (m(t)^2 s^2 + std(t)^2) I) with m = mean_coef, so the true score is known in
// closed form for every process: -(x - m mu) / (m^2 s^2 + std^2).
#pragma once

#include <cmath>
#include <memory>
#include <vector>

#include "momenta/diffusion/noise_process.h"
#include "momenta/diffusion/score.h"
#include "momenta/ops.h"
#include "momenta/random.h"

namespace momenta::diffusion::testing {

// One sample's shape: 1 x 2 x 4 image-like, so the per-sample coefficients broadcast over 3 axes.
inline Shape sample_shape() { return Shape{1, 2, 4}; }
inline constexpr int64_t kDim = 8;

// Per-coordinate means, all different, so that a mixed-up axis shows.
inline std::vector<double> data_mean() { return {1.0, -0.5, 0.25, 1.5, -1.0, 0.0, 0.75, -0.25}; }
inline Tensor data_mean_tensor(DType dtype = kFloat64) {
  return Tensor::from_vector(data_mean(), Shape{1, 1, 2, 4}).to(dtype);
}
inline constexpr double kDataStd = 0.5;

// n samples of N(mu, s^2 I).
inline Tensor gaussian_batch(int64_t n, uint64_t seed, DType dtype = kFloat64) {
  Generator g(seed);
  Tensor z = randn(Shape{n, 1, 2, 4}, dtype, g);
  return add(mul(z, kDataStd), data_mean_tensor(dtype));
}

// The true score of the perturbed data; `mu` [1, 1, 2, 4] and `log_s` (a scalar tensor) may be
// parameters that require gradients (the DSM training test learns them).
inline Tensor gaussian_score_of(const NoiseProcess& p, const Tensor& x, const Tensor& t, const Tensor& mu,
                                const Tensor& log_s) {
  const Tensor m = per_sample(t, x, [&p](double u) { return p.mean_coef(u); });
  const Tensor sd = per_sample(t, x, [&p](double u) { return p.marginal_std(u); });
  const Tensor s2 = exp(mul(log_s, 2.0));
  const Tensor var = add(mul(square(m), s2), square(sd));
  return neg(div(sub(x, mul(m, mu)), var));
}

// The same score, fixed. When every sample has the same t (as in the samplers) it is computed
// with scalar coefficients against a cached full-size mean, which keeps the sampler tests fast.
inline ScoreFn gaussian_score(const NoiseProcess& p, DType dtype = kFloat64) {
  const Tensor mu = data_mean_tensor(dtype);
  const Tensor log_s = Tensor::scalar(std::log(kDataStd), dtype);
  auto full_mu = std::make_shared<Tensor>();
  return [&p, mu, log_s, full_mu](const Tensor& x, const Tensor& t) {
    const std::vector<double> tv = t.to_vector<double>();
    bool same = !tv.empty();
    for (double u : tv) same = same && u == tv.front();
    if (!same || x.dim() != 4) return gaussian_score_of(p, x, t, mu, log_s);
    if (!full_mu->defined() || full_mu->shape() != x.shape() || full_mu->dtype() != x.dtype())
      *full_mu = mu.to(x.dtype()).expand(x.shape()).contiguous();
    const double m = p.mean_coef(tv.front()), sd = p.marginal_std(tv.front());
    const double v = m * m * kDataStd * kDataStd + sd * sd;
    return add(mul(x, -1.0 / v), mul(*full_mu, m / v));
  };
}

}  // namespace momenta::diffusion::testing
