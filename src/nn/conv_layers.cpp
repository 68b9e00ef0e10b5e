#include "momenta/nn/conv_layers.h"

#include <cmath>

namespace momenta::nn {

Conv2d::Conv2d(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding, bool has_bias, int64_t groups,
               int64_t dilation, Generator& gen)
    : in_channels(in), out_channels(out), kernel(k), options(Conv2dOptions::make(stride, padding, dilation, groups)) {
  check<ValueError>(in > 0 && out > 0 && k > 0 && groups > 0 && in % groups == 0 && out % groups == 0,
                    "Conv2d: channels ", in, " -> ", out, ", kernel ", k, ", groups ", groups,
                    ": expected positive sizes and channels divisible by groups");
  weight = register_parameter("weight", Tensor::empty({out, in / groups, k, k}));
  const double bound = 1.0 / std::sqrt(static_cast<double>(in / groups * k * k));
  uniform_(weight, -bound, bound, gen);
  if (has_bias) {
    bias = register_parameter("bias", Tensor::empty({out}));
    uniform_(bias, -bound, bound, gen);
  }
}

Tensor Conv2d::forward(const Tensor& x) {
  const int64_t block = x.dim() == 5 && x.shape()[4] > 0 && out_channels % x.shape()[4] == 0 ? x.shape()[4] : 0;
  return forward(x, block);
}

Tensor Conv2d::forward(const Tensor& x, int64_t out_block) {
  Conv2dOptions o = options;
  o.out_block = out_block;
  return conv2d(x, weight, bias, o);
}

std::string Conv2d::describe() const {
  return str_cat("Conv2d(", in_channels, " -> ", out_channels, ", ", kernel, "x", kernel, ", stride ", options.stride_h,
                 ", padding ", options.pad_h, options.groups > 1 ? str_cat(", groups ", options.groups) : "",
                 options.dil_h > 1 ? str_cat(", dilation ", options.dil_h) : "", bias.defined() ? "" : ", no bias", ")");
}

BatchNorm2d::BatchNorm2d(int64_t c, double eps_, double momentum_, bool affine)
    : channels(c), eps(eps_), momentum(momentum_) {
  check<ValueError>(c > 0 && eps_ > 0.0 && momentum_ >= 0.0 && momentum_ <= 1.0, "BatchNorm2d: channels ", c, ", eps ",
                    eps_, ", momentum ", momentum_, ": expected channels > 0, eps > 0 and momentum in [0, 1]");
  if (affine) {
    weight = register_parameter("weight", Tensor::ones({c}));
    bias = register_parameter("bias", Tensor::zeros({c}));
  }
  running_mean = register_buffer("running_mean", Tensor::zeros({c}));
  running_var = register_buffer("running_var", Tensor::ones({c}));
}

Tensor BatchNorm2d::forward(const Tensor& x) { return forward(x, Tensor(), false); }

Tensor BatchNorm2d::forward(const Tensor& x, const Tensor& residual, bool relu) {
  check<ShapeError>(x.dim() == 4 || x.dim() == 5,
                    "BatchNorm2d: input must be [N, C, H, W] or blocked [N, C / L, H, W, L], got ", fmt(x.shape()));
  BatchNormFusion fuse{residual, relu, x.dim() == 5 ? x.shape()[4] : 0};
  return batch_norm(x, weight, bias, running_mean, running_var, is_training(), momentum, eps, fuse);
}

std::string BatchNorm2d::describe() const { return str_cat("BatchNorm2d(", channels, ")"); }

GroupNorm::GroupNorm(int64_t g, int64_t c, double eps_, bool affine) : groups(g), channels(c), eps(eps_) {
  check<ValueError>(g > 0 && c > 0 && c % g == 0, "GroupNorm: ", c, " channels do not split into ", g, " groups");
  if (affine) {
    weight = register_parameter("weight", Tensor::ones({c}));
    bias = register_parameter("bias", Tensor::zeros({c}));
  }
}

std::string GroupNorm::describe() const { return str_cat("GroupNorm(", groups, " groups, ", channels, ")"); }

LayerNorm::LayerNorm(Shape shape, double eps_, bool affine) : normalized_shape(std::move(shape)), eps(eps_) {
  check<ValueError>(!normalized_shape.empty() && shape_numel(normalized_shape) > 0,
                    "LayerNorm: normalized_shape must be non-empty, got ", fmt(normalized_shape));
  if (affine) {
    weight = register_parameter("weight", Tensor::ones(normalized_shape));
    bias = register_parameter("bias", Tensor::zeros(normalized_shape));
  }
}

std::string LayerNorm::describe() const { return str_cat("LayerNorm(", fmt(normalized_shape), ")"); }

std::string MaxPool2d::describe() const {
  return str_cat("MaxPool2d(", kernel, ", stride ", stride ? stride : kernel, ", padding ", padding, ")");
}
std::string AvgPool2d::describe() const {
  return str_cat("AvgPool2d(", kernel, ", stride ", stride ? stride : kernel, ", padding ", padding, ")");
}
std::string Upsample::describe() const {
  return str_cat("Upsample(2x, ", mode == UpsampleMode::kNearest ? "nearest" : "bilinear", ")");
}

}  // namespace momenta::nn
