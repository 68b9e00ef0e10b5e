// Normalisation layers. Each normalises y = (x - mean) / sqrt(var + eps) with the biased
// variance, then applies the optional affine weight and bias.
//   batch_norm: per channel over (N, spatial)    group_norm: per sample and channel group
//   layer_norm: per sample over the trailing `normalized_shape` axes
// Batch and group norm run on fused backend kernels, since a ResNet or U-Net runs one after
// every convolution (the composite batch norm took a third of a ResNet step). layer_norm is a
// composite of reductions and broadcasting arithmetic, so its gradient is the chain of its
// parts. All are checked in float64 against finite differences.
#include <algorithm>

#include "backend/backend.h"
#include "momenta/autograd.h"
#include "momenta/ops.h"

namespace momenta {
namespace {

// (x - mean) / sqrt(var + eps) over `axes`, statistics kept for the caller.
struct Normalized {
  Tensor y, mean, var;
};
Normalized normalize(const Tensor& x, const std::vector<int64_t>& axes, double eps) {
  Normalized r;
  r.mean = mean(x, axes, true);
  const Tensor xc = x - r.mean;
  r.var = mean(square(xc), axes, true);
  r.y = xc * pow(r.var + eps, -0.5);
  return r;
}

void check_affine(const Tensor& t, const Shape& expected, const Tensor& x, const char* what, const char* which) {
  if (!t.defined()) return;
  check<ShapeError>(t.shape() == expected && t.dtype() == x.dtype(), what, ": ", which, " must be ", fmt(expected), " ",
                    dtype_name(x.dtype()), ", got ", fmt(t.shape()), " ", dtype_name(t.dtype()));
}

Tensor affine(Tensor y, const Tensor& weight, const Tensor& bias, const Shape& shape) {
  if (weight.defined()) y = y * weight.reshape(shape);
  if (bias.defined()) y = y + bias.reshape(shape);
  return y;
}

}  // namespace

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps) {
  return batch_norm(x, weight, bias, running_mean, running_var, training, momentum, eps, BatchNormFusion{});
}

Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps, const BatchNormFusion& fuse) {
  const int64_t lanes = fuse.lanes;
  check<ShapeError>(x.dim() >= 2 && is_floating(x.dtype()), "batch_norm: input must be a floating [N, C, ...], got ",
                    fmt(x.shape()), " ", dtype_name(x.dtype()));
  check<ShapeError>(lanes == 0 || (lanes > 0 && x.dim() == 5 && x.shape()[4] == lanes), "batch_norm: a blocked input ",
                    "with ", lanes, " lanes must be [N, C / ", lanes, ", H, W, ", lanes, "], got ", fmt(x.shape()));
  const int64_t c = x.shape()[1] * std::max<int64_t>(lanes, 1);
  check_affine(weight, {c}, x, "batch_norm", "weight");
  check_affine(bias, {c}, x, "batch_norm", "bias");
  const Tensor& residual = fuse.residual;
  if (residual.defined()) {
    check<ShapeError>(residual.shape() == x.shape() && residual.dtype() == x.dtype() && residual.device() == x.device(),
                      "batch_norm: the fused residual must match the input ", fmt(x.shape()), " ",
                      dtype_name(x.dtype()), ", got ", fmt(residual.shape()), " ", dtype_name(residual.dtype()));
  }
  check<ShapeError>(running_mean.defined() == running_var.defined(),
                    "batch_norm: running_mean and running_var must both be given or both be absent");
  if (running_mean.defined()) {
    check<ShapeError>(running_mean.shape() == Shape{c} && running_var.shape() == Shape{c},
                      "batch_norm: running statistics must be [", c, "], got ", fmt(running_mean.shape()), " and ",
                      fmt(running_var.shape()));
  }
  const Tensor xc = x.detach().contiguous();
  Tensor mean = Tensor::empty({c}, x.dtype(), x.device()), var = Tensor::empty({c}, x.dtype(), x.device());
  if (training) {
    const int64_t count = x.numel() / std::max<int64_t>(c, 1);
    check<ValueError>(count > 1, "batch_norm: training needs more than one value per channel, got input ",
                      fmt(x.shape()));
    backend::batch_norm_stats(xc, lanes, mean, var);
    if (running_mean.defined()) {
      NoGradGuard ng;
      const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
      running_mean.mul_(1.0 - momentum).add_(mean.to(running_mean.device()).to(running_mean.dtype()), momentum);
      running_var.mul_(1.0 - momentum).add_(var.to(running_var.device()).to(running_var.dtype()), momentum * unbias);
    }
  } else {
    check<ValueError>(running_mean.defined(), "batch_norm: evaluation mode needs running statistics");
    mean.copy_(running_mean.detach().to(x.device()));
    var.copy_(running_var.detach().to(x.device()));
  }
  const Tensor wd = weight.defined() ? weight.detach().contiguous() : Tensor();
  const Tensor bd = bias.defined() ? bias.detach().contiguous() : Tensor();
  const Tensor rc = residual.defined() ? residual.detach().contiguous() : Tensor();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend::batch_norm_apply(xc, lanes, mean, var, wd, bd, eps, rc, fuse.relu, y);
  if (any_requires_grad({&x, &weight, &bias, &residual})) {
    const bool need_x = x.requires_grad(), need_w = weight.defined() && weight.requires_grad(),
               need_b = bias.defined() && bias.requires_grad(), need_r = residual.defined() && residual.requires_grad();
    // The ReLU's mask is read from the output; detached, so y's graph node does not hold itself.
    const Tensor y_relu = fuse.relu ? y.detach() : Tensor();
    const bool relu = fuse.relu;  // not `fuse`, whose residual the closure must not keep alive
    attach_grad_fn(y, "batch_norm", {x, weight, bias, residual}, [=](const Tensor& g) {
      Tensor gx = need_x ? Tensor::empty(xc.shape(), xc.dtype(), xc.device()) : Tensor();
      Tensor gw = need_w ? Tensor::empty({c}, xc.dtype(), xc.device()) : Tensor();
      Tensor gb = need_b ? Tensor::empty({c}, xc.dtype(), xc.device()) : Tensor();
      // The residual's gradient is the output's, masked by the ReLU when there is one.
      Tensor gr = need_r ? (relu ? Tensor::empty(xc.shape(), xc.dtype(), xc.device()) : g) : Tensor();
      backend::batch_norm_backward(xc, lanes, g.contiguous(), y_relu, mean, var, wd, eps, training, gx, gw, gb,
                                   need_r && relu ? gr : Tensor());
      return std::vector<Tensor>{gx, gw, gb, gr};
    });
  }
  return y;
}

namespace {

// group_norm, and with `silu` silu(group_norm) in one kernel (CPU, blocked).
Tensor group_norm_impl(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps,
                       int64_t lanes, bool silu) {
  check<ShapeError>(x.dim() >= 2 && is_floating(x.dtype()), "group_norm: input must be a floating [N, C, ...], got ",
                    fmt(x.shape()), " ", dtype_name(x.dtype()));
  check<ShapeError>(lanes == 0 || (lanes > 0 && x.dim() == 5 && x.shape()[4] == lanes), "group_norm: a blocked input ",
                    "with ", lanes, " lanes must be [N, C / ", lanes, ", H, W, ", lanes, "], got ", fmt(x.shape()));
  const int64_t n = x.shape()[0], c = x.shape()[1] * std::max<int64_t>(lanes, 1);
  check<ValueError>(groups > 0 && c % groups == 0, "group_norm: ", c, " channels do not split into ", groups,
                    " groups");
  check_affine(weight, {c}, x, "group_norm", "weight");
  check_affine(bias, {c}, x, "group_norm", "bias");
  const Tensor xc = x.detach().contiguous();
  const Tensor wd = weight.defined() ? weight.detach().contiguous() : Tensor();
  const Tensor bd = bias.defined() ? bias.detach().contiguous() : Tensor();
  Tensor y = Tensor::empty(x.shape(), x.dtype(), x.device());
  Tensor mean = Tensor::empty({n * groups}, x.dtype(), x.device()), rstd = Tensor::empty({n * groups}, x.dtype(), x.device());
  backend::group_norm_forward(xc, lanes, groups, wd, bd, eps, silu, y, mean, rstd);
  if (any_requires_grad({&x, &weight, &bias})) {
    const bool need_x = x.requires_grad(), need_w = weight.defined() && weight.requires_grad(),
               need_b = bias.defined() && bias.requires_grad();
    attach_grad_fn(y, silu ? "group_norm_silu" : "group_norm", {x, weight, bias}, [=](const Tensor& g) {
      Tensor gx = need_x ? Tensor::empty(xc.shape(), xc.dtype(), xc.device()) : Tensor();
      Tensor gw = need_w ? Tensor::empty({c}, xc.dtype(), xc.device()) : Tensor();
      Tensor gb = need_b ? Tensor::empty({c}, xc.dtype(), xc.device()) : Tensor();
      backend::group_norm_backward(xc, lanes, g.contiguous(), groups, mean, rstd, wd, bd, silu, gx, gw, gb);
      return std::vector<Tensor>{gx, gw, gb};
    });
  }
  return y;
}

}  // namespace

Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps, int64_t lanes) {
  return group_norm_impl(x, groups, weight, bias, eps, lanes, false);
}

Tensor group_norm_silu(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps,
                       int64_t lanes) {
  if (lanes > 0 && x.device().is_cpu()) return group_norm_impl(x, groups, weight, bias, eps, lanes, true);
  return silu(group_norm_impl(x, groups, weight, bias, eps, lanes, false));
}

Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  const int64_t k = static_cast<int64_t>(normalized_shape.size());
  check<ShapeError>(is_floating(x.dtype()) && k >= 1 && k <= x.dim() &&
                        Shape(x.shape().end() - k, x.shape().end()) == normalized_shape,
                    "layer_norm: input ", fmt(x.shape()), " does not end in normalized_shape ", fmt(normalized_shape));
  check_affine(weight, normalized_shape, x, "layer_norm", "weight");
  check_affine(bias, normalized_shape, x, "layer_norm", "bias");
  std::vector<int64_t> axes;
  for (int64_t d = x.dim() - k; d < x.dim(); ++d) axes.push_back(d);
  return affine(normalize(x, axes, eps).y, weight, bias, normalized_shape);
}

}  // namespace momenta
