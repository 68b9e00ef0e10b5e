// The residual BasicBlock of He et al. 2016 ("Deep Residual Learning for Image Recognition"):
//   y = relu(bn2(conv3x3(relu(bn1(conv3x3_stride(x))))) + shortcut(x))
// When the block changes the width or the resolution, the shortcut is either
//   option A: the identity on every stride-th pixel, zero-padded with (out - in) channels
//             split between both sides (parameter-free; the paper's choice for CIFAR), or
//   option B: a 1x1 convolution with that stride followed by batch norm (a projection).
#pragma once

#include <memory>

#include "momenta/nn/conv_layers.h"

namespace momenta::nn {

enum class Shortcut { kA, kB };

class BasicBlock : public Module {
 public:
  BasicBlock(int64_t in_channels, int64_t out_channels, int64_t stride, Shortcut shortcut,
             Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;

  std::shared_ptr<Conv2d> conv1, conv2, proj;  // proj: option B when the shape changes
  std::shared_ptr<BatchNorm2d> bn1, bn2, proj_bn;
  int64_t in_channels, out_channels, stride;
  Shortcut shortcut;
};

}  // namespace momenta::nn
