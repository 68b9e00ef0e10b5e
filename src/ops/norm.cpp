// Normalisation layers, written as composites of reductions and broadcasting arithmetic, so
// their gradients are the chain of their parts (checked in float64 like every op).
//   batch_norm: per channel over (N, spatial)     group_norm: per sample and channel group
//   layer_norm: per sample over the trailing `normalized_shape` axes
// Each normalises y = (x - mean) / sqrt(var + eps) with the biased variance, then applies the
// optional affine weight and bias.
#include <algorithm>

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

// Shape [1, C, 1, ...] that broadcasts a per-channel vector over [N, C, ...].
Shape channel_shape(const Tensor& x) {
  Shape s(static_cast<size_t>(x.dim()), 1);
  s[1] = x.shape()[1];
  return s;
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
  check<ShapeError>(x.dim() >= 2 && is_floating(x.dtype()), "batch_norm: input must be a floating [N, C, ...], got ",
                    fmt(x.shape()), " ", dtype_name(x.dtype()));
  const int64_t c = x.shape()[1];
  check_affine(weight, {c}, x, "batch_norm", "weight");
  check_affine(bias, {c}, x, "batch_norm", "bias");
  check<ShapeError>(running_mean.defined() == running_var.defined(),
                    "batch_norm: running_mean and running_var must both be given or both be absent");
  if (running_mean.defined()) {
    check<ShapeError>(running_mean.shape() == Shape{c} && running_var.shape() == Shape{c},
                      "batch_norm: running statistics must be [", c, "], got ", fmt(running_mean.shape()), " and ",
                      fmt(running_var.shape()));
  }
  std::vector<int64_t> axes{0};
  for (int64_t d = 2; d < x.dim(); ++d) axes.push_back(d);
  const Shape cs = channel_shape(x);
  if (!training) {
    check<ValueError>(running_mean.defined(), "batch_norm: evaluation mode needs running statistics");
    const Tensor rm = running_mean.detach().to(x.dtype()).reshape(cs);
    const Tensor rv = running_var.detach().to(x.dtype()).reshape(cs);
    return affine((x - rm) * pow(rv + eps, -0.5), weight, bias, cs);
  }
  const int64_t count = x.numel() / std::max<int64_t>(c, 1);
  check<ValueError>(count > 1, "batch_norm: training needs more than one value per channel, got input ",
                    fmt(x.shape()));
  Normalized nz = normalize(x, axes, eps);
  if (running_mean.defined()) {
    NoGradGuard ng;
    const double unbias = static_cast<double>(count) / static_cast<double>(count - 1);
    const Tensor m = nz.mean.detach().reshape({c}), v = nz.var.detach().reshape({c});
    running_mean.mul_(1.0 - momentum).add_(m.to(running_mean.dtype()), momentum);
    running_var.mul_(1.0 - momentum).add_(v.to(running_var.dtype()), momentum * unbias);
  }
  return affine(nz.y, weight, bias, cs);
}

Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps) {
  check<ShapeError>(x.dim() >= 2 && is_floating(x.dtype()), "group_norm: input must be a floating [N, C, ...], got ",
                    fmt(x.shape()), " ", dtype_name(x.dtype()));
  const int64_t n = x.shape()[0], c = x.shape()[1];
  check<ValueError>(groups > 0 && c % groups == 0, "group_norm: ", c, " channels do not split into ", groups,
                    " groups");
  check_affine(weight, {c}, x, "group_norm", "weight");
  check_affine(bias, {c}, x, "group_norm", "bias");
  const Tensor grouped = x.reshape({n, groups, x.numel() / std::max<int64_t>(n * groups, 1)});
  const Tensor y = normalize(grouped, {2}, eps).y.reshape(x.shape());
  return affine(y, weight, bias, channel_shape(x));
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
