#include "momenta/diffusion/dsm_loss.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "momenta/autograd.h"
#include "momenta/error.h"
#include "momenta/ops.h"

namespace momenta::diffusion {

double resolve_t_min(const NoiseProcess& process, double t_min) {
  const double t = std::isnan(t_min) ? process.default_t_min() : t_min;
  check<ValueError>(t >= 0.0 && t < 1.0, "diffusion: t_min must be in [0, 1), got ", t);
  check<ValueError>(process.marginal_std(std::max(t, 0.0)) > 0.0, "diffusion: ", process.describe(),
                    " has no noise at t_min = ", t, "; use a t_min > 0");
  return t;
}

Tensor dsm_loss_per_sample(const ScoreFn& score, const NoiseProcess& process, const Tensor& x0, Generator& gen,
                           const DsmOptions& opts) {
  check<ShapeError>(x0.defined() && x0.dim() >= 2 && x0.size(0) >= 1,
                    "dsm_loss: the batch must be [N, ...] with N >= 1, got ",
                    x0.defined() ? shape_str(x0.shape()) : std::string("undefined"));
  check<ValueError>(opts.levels == 0 || opts.levels >= 2, "dsm_loss: levels must be 0 (continuous) or >= 2, got ",
                    opts.levels);
  const double t_min = resolve_t_min(process, opts.t_min);
  const int64_t n = x0.size(0);

  // t: [N] uniforms on the host, mapped to a time or a level.
  std::vector<double> t = rand(Shape{n}, kFloat64, gen).to_vector<double>();
  if (opts.levels == 0) {
    for (double& u : t) u = t_min + (1.0 - t_min) * u;
  } else {
    const std::vector<double> grid = level_times(opts.levels, t_min);
    for (double& u : t) {
      const auto i = std::min<int64_t>(static_cast<int64_t>(u * static_cast<double>(opts.levels)), opts.levels - 1);
      u = grid[static_cast<size_t>(i)];
    }
  }
  Tensor z = Tensor::empty(x0.shape(), x0.dtype(), x0.device());
  normal_(z, 0.0, 1.0, gen);

  std::vector<double> m(t.size()), s(t.size());
  for (size_t i = 0; i < t.size(); ++i) m[i] = process.mean_coef(t[i]), s[i] = process.marginal_std(t[i]);
  const Tensor mt = per_sample_values(m, x0), st = per_sample_values(s, x0);
  Tensor tt = Tensor::from_vector(t).to(x0.dtype());
  if (!(x0.device() == kCPU)) tt = tt.to(x0.device());

  const Tensor x = add(mul(x0.detach(), mt), mul(z, st));
  const Tensor sc = score(x, tt);
  check<ShapeError>(sc.defined() && sc.shape() == x0.shape(), "dsm_loss: the score must have the batch's shape ",
                    fmt(x0.shape()), ", got ", sc.defined() ? shape_str(sc.shape()) : std::string("undefined"));
  const Tensor r = add(mul(sc, st), z);
  std::vector<int64_t> axes;
  for (int64_t a = 1; a < x0.dim(); ++a) axes.push_back(a);
  return sum(square(r), axes);
}

Tensor dsm_loss(const ScoreFn& score, const NoiseProcess& process, const Tensor& x0, Generator& gen,
                const DsmOptions& opts) {
  return mean(dsm_loss_per_sample(score, process, x0, gen, opts));
}

double dsm_test_loss(const ScoreFn& score, const NoiseProcess& process, const Tensor& x0, uint64_t seed,
                     uint64_t batch_index, const DsmOptions& opts) {
  NoGradGuard no_grad;
  Generator gen(seed);
  gen.set_state(seed, batch_index << 32);
  return dsm_loss(score, process, x0, gen, opts).item();
}

}  // namespace momenta::diffusion
