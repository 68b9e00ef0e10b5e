// ResNets for small images (He et al. 2016; the CIFAR-10 networks of Sec. 4.2 and the common
// CIFAR variant of ResNet-18). Any input channel count and image size: the head is a global
// average pool, so 1x28x28 Fashion-MNIST works as well as 3x32x32 CIFAR.
//   resnet20/32/56: 3x3 conv (16), then 3 stages of n = 3/5/9 BasicBlocks with 16, 32, 64
//                   channels (stride 2 entering stages 2 and 3), global average pool, linear.
//                   Shortcuts: option A (zero-padded identity) as in the paper, B selectable.
//   resnet18:       3x3 conv (64, stride 1, no max-pool), 4 stages of 2 BasicBlocks with 64,
//                   128, 256, 512 channels, global average pool, linear. Shortcuts: option B
//                   (1x1 projection + batch norm) as in the paper's ImageNet ResNet-18.
// Layout: on a device whose convolutions prefer channel-blocked activations (oneDNN on the CPU,
// float32), everything between the stem and the global pool runs blocked (ops.h), so no layer
// reorders its input or output; `blocked = false` keeps NCHW throughout (same results up to
// float32 rounding; the tests compare the two).
// Initialisation: every conv weight Kaiming-normal (He et al. 2015, fan_in, gain sqrt(2));
// batch norm weight 1, bias 0; the final Linear keeps PyTorch's default.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "momenta/nn/layers.h"
#include "momenta/nn/residual.h"

namespace momenta::models {

enum class ShortcutChoice { kPaper, kA, kB };  // kPaper: A for resnet20/32/56, B for resnet18

class ResNet : public nn::Module {
 public:
  // blocks_per_stage and widths have one entry per stage; the first stage keeps the resolution.
  ResNet(int64_t in_channels, int64_t num_classes, const std::vector<int64_t>& widths,
         const std::vector<int64_t>& blocks_per_stage, nn::Shortcut shortcut, Generator& gen);
  Tensor forward(const Tensor& x) override;  // fc(features(x))
  // The globally pooled activations the classifier reads, [N, widths.back()] (what the Frechet
  // distance of samples uses, models/fid_features.h).
  Tensor features(const Tensor& x);
  std::string describe() const override { return description; }

  std::shared_ptr<nn::Conv2d> stem;
  std::shared_ptr<nn::BatchNorm2d> stem_bn;
  std::shared_ptr<nn::Sequential> blocks;
  std::shared_ptr<nn::Linear> fc;
  std::string description;
  bool blocked = true;
};

// "resnet20", "resnet32", "resnet56" or "resnet18"; ValueError lists them for anything else.
std::shared_ptr<ResNet> make_resnet(const std::string& name, int64_t in_channels, int64_t num_classes,
                                    Generator& gen = default_generator(),
                                    ShortcutChoice shortcut = ShortcutChoice::kPaper);
std::vector<std::string> resnet_names();
// "A", "B" or "paper" (case-insensitive); ValueError otherwise.
ShortcutChoice parse_shortcut(const std::string& text);

}  // namespace momenta::models
