#include "momenta/diffusion/score.h"

#include <utility>

#include "momenta/ops.h"

namespace momenta::diffusion {

ScoreFn score_from_network(ScoreFn net, const NoiseProcess& process) {
  const NoiseProcess* p = &process;
  return [net = std::move(net), p](const Tensor& x, const Tensor& t) {
    const Tensor inv_std = per_sample(t, x, [p](double s) { return 1.0 / p->marginal_std(s); });
    return mul(net(x, t), inv_std);
  };
}

ScoreFn scaled_score(ScoreFn inner, double factor) {
  return [inner = std::move(inner), factor](const Tensor& x, const Tensor& t) { return mul(inner(x, t), factor); };
}

}  // namespace momenta::diffusion
