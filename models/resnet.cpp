#include "models/resnet.h"

#include <algorithm>
#include <cctype>

#include "momenta/autograd.h"
#include "momenta/nn/init.h"

namespace momenta::models {

ResNet::ResNet(int64_t in_channels, int64_t num_classes, const std::vector<int64_t>& widths,
               const std::vector<int64_t>& blocks_per_stage, nn::Shortcut shortcut, Generator& gen) {
  check<ValueError>(in_channels > 0 && num_classes > 0, "ResNet: in_channels and num_classes must be positive, got ",
                    in_channels, " and ", num_classes);
  check<ValueError>(!widths.empty() && widths.size() == blocks_per_stage.size(),
                    "ResNet: one width per stage expected");
  stem = register_module("conv", std::make_shared<nn::Conv2d>(in_channels, widths[0], 3, 1, 1, false, 1, 1, gen));
  stem_bn = register_module("bn", std::make_shared<nn::BatchNorm2d>(widths[0]));
  blocks = register_module("layers", std::make_shared<nn::Sequential>());
  int64_t cin = widths[0];
  for (size_t st = 0; st < widths.size(); ++st) {
    for (int64_t i = 0; i < blocks_per_stage[st]; ++i) {
      const int64_t stride = st > 0 && i == 0 ? 2 : 1;
      blocks->add(std::make_shared<nn::BasicBlock>(cin, widths[st], stride, shortcut, gen));
      cin = widths[st];
    }
  }
  fc = register_module("fc", std::make_shared<nn::Linear>(cin, num_classes, true, gen));
  NoGradGuard ng;
  for (auto& [name, p] : named_parameters())
    if (p.dim() == 4) nn::init::kaiming_normal_(p, gen);
}

Tensor ResNet::forward(const Tensor& x) { return (*fc)(features(x)); }

Tensor ResNet::features(const Tensor& x) {
  check<ShapeError>(x.dim() == 4 && x.shape()[1] == stem->in_channels, "ResNet: input must be [N, ",
                    stem->in_channels, ", H, W], got ", fmt(x.shape()));
  const int64_t lanes = blocked ? preferred_channel_block(x.device(), x.dtype()) : 0;
  Tensor h = stem_bn->forward(stem->forward(x, stem->out_channels % std::max<int64_t>(lanes, 1) == 0 ? lanes : 0),
                              Tensor(), true);
  h = (*blocks)(h);
  return global_avg_pool2d(h, h.dim() == 5 ? h.shape()[4] : 0);
}

std::vector<std::string> resnet_names() { return {"resnet20", "resnet32", "resnet56", "resnet18"}; }

std::shared_ptr<ResNet> make_resnet(const std::string& name, int64_t in_channels, int64_t num_classes, Generator& gen,
                                    ShortcutChoice choice) {
  std::vector<int64_t> widths, blocks;
  bool cifar = true;
  if (name == "resnet20" || name == "resnet32" || name == "resnet56") {
    const int64_t n = name == "resnet20" ? 3 : name == "resnet32" ? 5 : 9;  // depth = 6n + 2
    widths = {16, 32, 64};
    blocks = {n, n, n};
  } else if (name == "resnet18") {
    widths = {64, 128, 256, 512};
    blocks = {2, 2, 2, 2};
    cifar = false;
  } else {
    throw ValueError(str_cat("unknown model '", excerpt(name), "': expected resnet20, resnet32, resnet56 or resnet18"));
  }
  const nn::Shortcut sc = choice == ShortcutChoice::kA   ? nn::Shortcut::kA
                          : choice == ShortcutChoice::kB ? nn::Shortcut::kB
                          : cifar                        ? nn::Shortcut::kA
                                                         : nn::Shortcut::kB;
  auto net = std::make_shared<ResNet>(in_channels, num_classes, widths, blocks, sc, gen);
  net->description = str_cat(name, "(in ", in_channels, ", classes ", num_classes, ", shortcut ",
                             sc == nn::Shortcut::kA ? "A" : "B", ")");
  return net;
}

ShortcutChoice parse_shortcut(const std::string& text) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (t == "a") return ShortcutChoice::kA;
  if (t == "b") return ShortcutChoice::kB;
  if (t == "paper") return ShortcutChoice::kPaper;
  throw ValueError(str_cat("unknown shortcut '", excerpt(text), "': expected A (zero-padded identity), B (1x1 projection) or "
                                                       "paper"));
}

}  // namespace momenta::models
