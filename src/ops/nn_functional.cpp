// Neural-network functions: softmax family, losses, dropout.
//   softmax:      dx = y * (g - sum(g*y))        log_softmax: dx = g - softmax * sum(g)
//   cross_entropy (mean over N): dlogits = g/N * (softmax - onehot(target))
//   mse_loss: composite of sub, square and mean, so its gradient is the chain of theirs
//   dropout: y = x * mask, mask in {0, 1/(1-p)} from Philox; dx = g * mask
#include "backend/backend.h"
#include "momenta/autograd.h"
#include "momenta/ops.h"

namespace momenta {
namespace {

Tensor softmax_impl(const Tensor& x, int64_t axis, bool log, const char* name) {
  check<ShapeError>(is_floating(x.dtype()), name, ": expected a floating tensor, got ", dtype_name(x.dtype()));
  const int64_t ax = normalize_axis(axis, x.dim(), name);
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < ax; ++d) outer *= x.shape()[d];
  for (int64_t d = ax + 1; d < x.dim(); ++d) inner *= x.shape()[d];
  const int64_t n = x.shape()[ax];
  Tensor xc = x.detach().contiguous();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend::softmax(xc, outer, n, inner, log, y);
  if (any_requires_grad({&x})) {
    const Tensor yd = y.detach();
    attach_grad_fn(y, name, {x}, [=](const Tensor& g) {
      Tensor gx = Tensor::empty(yd.shape(), yd.dtype(), yd.device());
      backend::softmax_backward(yd, g.contiguous(), outer, n, inner, log, gx);
      return std::vector<Tensor>{gx};
    });
  }
  return y;
}

}  // namespace

Tensor softmax(const Tensor& x, int64_t axis) { return softmax_impl(x, axis, false, "softmax"); }
Tensor log_softmax(const Tensor& x, int64_t axis) { return softmax_impl(x, axis, true, "log_softmax"); }

Tensor cross_entropy(const Tensor& logits, const Tensor& target) {
  check<ShapeError>(logits.dim() == 2, "cross_entropy: logits must be [N, C], got ", fmt(logits.shape()));
  check<ShapeError>(target.dtype() == kInt64 && target.dim() == 1 && target.shape()[0] == logits.shape()[0],
                    "cross_entropy: target must be int64 [", logits.shape()[0], "], got ", dtype_name(target.dtype()),
                    " ", fmt(target.shape()));
  check<ShapeError>(logits.shape()[0] > 0, "cross_entropy: empty batch");
  Tensor logp;
  {
    NoGradGuard ng;
    logp = log_softmax(logits.detach(), 1);
  }
  const double loss = backend::nll_loss(logp, target);
  Tensor out = Tensor::scalar(loss, logits.dtype(), logits.device());
  if (any_requires_grad({&logits})) {
    const Tensor tg = target;
    const double inv_n = 1.0 / static_cast<double>(logits.shape()[0]);
    attach_grad_fn(out, "cross_entropy", {logits}, [logp, tg, inv_n](const Tensor& g) {
      Tensor gx = Tensor::empty(logp.shape(), logp.dtype(), logp.device());
      backend::cross_entropy_backward(logp, tg, g.item() * inv_n, gx);
      return std::vector<Tensor>{gx};
    });
  }
  return out;
}

Tensor mse_loss(const Tensor& input, const Tensor& target) {
  check<ShapeError>(input.shape() == target.shape(), "mse_loss: input ", fmt(input.shape()),
                    " and target ", fmt(target.shape()), " differ");
  return mean(square(sub(input, target)));
}

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  check<ValueError>(p >= 0.0 && p < 1.0, "dropout: p must be in [0, 1), got ", p);
  if (!training || p == 0.0) return x;
  Tensor mask = Tensor::empty(x.shape(), x.dtype(), x.device());
  const uint64_t offset = gen.reserve(static_cast<uint64_t>(x.numel()));
  backend::fill_random(mask, backend::RandomKind::kBernoulli, 1.0 - p, 1.0 / (1.0 - p), gen.seed(), offset);
  Tensor out;
  {
    NoGradGuard ng;
    out = mul(x.detach(), mask);
  }
  if (any_requires_grad({&x})) {
    attach_grad_fn(out, "dropout", {x}, [mask](const Tensor& g) { return std::vector<Tensor>{mul(g, mask)}; });
  }
  return out;
}

}  // namespace momenta
