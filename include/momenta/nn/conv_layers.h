// Image layers over NCHW tensors: Conv2d, the normalisations, pooling and upsampling. Each
// is a thin Module over the op of the same name in ops.h. Conv2d, BatchNorm2d and
// GlobalAvgPool also take channel-blocked activations [N, C / L, H, W, L] (ops.h).
#pragma once

#include <string>

#include "momenta/nn/module.h"
#include "momenta/ops.h"
#include "momenta/random.h"

namespace momenta::nn {

// Weight [out, in / groups, k, k]. Initialised like PyTorch's default (Kaiming-uniform with
// a = sqrt(5)): weight and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)); models re-initialise.
class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, int64_t kernel, int64_t stride = 1, int64_t padding = 0,
         bool bias = true, int64_t groups = 1, int64_t dilation = 1, Generator& gen = default_generator());
  // The output keeps the input's layout: blocked in, blocked out (when the output channels
  // divide into the input's blocks, else plain).
  Tensor forward(const Tensor& x) override;
  // With the output layout chosen: 0 plain, L blocked with L lanes.
  Tensor forward(const Tensor& x, int64_t out_block);
  std::string describe() const override;
  Tensor weight, bias;
  int64_t in_channels, out_channels, kernel;
  Conv2dOptions options;
};

// Parameters weight (ones) and bias (zeros) when affine; buffers running_mean (zeros) and
// running_var (ones). Training mode normalises with batch statistics and updates the buffers.
class BatchNorm2d : public Module {
 public:
  explicit BatchNorm2d(int64_t channels, double eps = 1e-5, double momentum = 0.1, bool affine = true);
  Tensor forward(const Tensor& x) override;
  // relu?(bn(x) + residual?) in one fused op (ops.h BatchNormFusion).
  Tensor forward(const Tensor& x, const Tensor& residual, bool relu);
  std::string describe() const override;
  Tensor weight, bias, running_mean, running_var;
  int64_t channels;
  double eps, momentum;
};

class GroupNorm : public Module {
 public:
  GroupNorm(int64_t groups, int64_t channels, double eps = 1e-5, bool affine = true);
  Tensor forward(const Tensor& x) override { return group_norm(x, groups, weight, bias, eps); }
  // x a blocked activation [N, C / lanes, H, W, lanes] when lanes > 0 (ops.h).
  Tensor forward(const Tensor& x, int64_t lanes) { return group_norm(x, groups, weight, bias, eps, lanes); }
  // silu(forward(x, lanes)), fused where ops.h's group_norm_silu fuses it.
  Tensor forward_silu(const Tensor& x, int64_t lanes = 0) { return group_norm_silu(x, groups, weight, bias, eps, lanes); }
  std::string describe() const override;
  Tensor weight, bias;
  int64_t groups, channels;
  double eps;
};

class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, double eps = 1e-5, bool affine = true);
  Tensor forward(const Tensor& x) override { return layer_norm(x, normalized_shape, weight, bias, eps); }
  std::string describe() const override;
  Tensor weight, bias;
  Shape normalized_shape;
  double eps;
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(int64_t k, int64_t st = 0, int64_t pad = 0) : kernel(k), stride(st), padding(pad) {}
  Tensor forward(const Tensor& x) override { return max_pool2d(x, kernel, stride, padding); }
  std::string describe() const override;
  int64_t kernel, stride, padding;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(int64_t k, int64_t st = 0, int64_t pad = 0, bool include_pad = true)
      : kernel(k), stride(st), padding(pad), count_include_pad(include_pad) {}
  Tensor forward(const Tensor& x) override { return avg_pool2d(x, kernel, stride, padding, count_include_pad); }
  std::string describe() const override;
  int64_t kernel, stride, padding;
  bool count_include_pad;
};

// [N, C, H, W] -> [N, C].
class GlobalAvgPool : public Module {
 public:
  Tensor forward(const Tensor& x) override { return global_avg_pool2d(x); }
  std::string describe() const override { return "GlobalAvgPool"; }
};

class Upsample : public Module {
 public:
  explicit Upsample(UpsampleMode m = UpsampleMode::kNearest) : mode(m) {}
  Tensor forward(const Tensor& x) override { return upsample2x(x, mode); }
  std::string describe() const override;
  UpsampleMode mode;
};

}  // namespace momenta::nn
