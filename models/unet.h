// A U-Net score network for small images (score-based diffusion: Song & Ermon 2019; Ho et al.
// 2020; Song et al. 2021), the architecture of the PyTorch twin bench/pytorch/diffusion_unet.py
// with its sizes made configurable.
//
//   time:     t [N] -> sinusoids of t * time_scale at time_features / 2 frequencies
//             exp(-ln(10000) j / (time_features / 2)), [sin | cos] -> Linear -> SiLU -> Linear,
//             an embedding e [N, time_dim] shared by every residual block.
//   block:    ResBlock(cin -> cout): h = conv3x3(silu(gn(x))) + Linear(e)[:, :, None, None];
//             h = conv3x3(silu(gn(h))); out = h + skip(x), skip a 1x1 conv when cin != cout.
//   encoder:  conv3x3(in_channels -> widths[0]); at each level l, blocks_per_level ResBlocks to
//             widths[l], the output kept as the level's skip; between levels a 3x3 conv with
//             stride 2 (same width) halves H and W.
//   middle:   one ResBlock at the deepest level.
//   decoder:  from the deepest level up, cat([h, skip_l], channels) -> blocks_per_level
//             ResBlocks to widths[l] (the first takes the concatenation); between levels nearest
//             2x upsampling then a 3x3 conv (same width).
//   output:   GroupNorm -> SiLU -> conv3x3(widths[0] -> in_channels).
// With widths (32, 64, 128), one block per level, GroupNorm(8), time 128 -> 256 and
// time_scale 1000 this is exactly the twin's UNet, parameter for parameter and in the same order
// (models/unet_test.cpp checks it against PyTorch). Parameters keep PyTorch's default
// initialisation, as the twin does.
//
// NOTE [score scaling]: forward(x, t) returns the raw network output. The twin divides it by the
// VE marginal std sigma(t) to get the score; a VP model or a discrete VE (NCSN) model scales by
// its own rule, so the scaling belongs to the noise process (src/diffusion), which calls
// forward(x, t, divide_by) or divides itself.
//
// Layout: on a device whose convolutions prefer channel-blocked activations (oneDNN on the CPU,
// float32) and when every width divides into its blocks, everything from the stem's output to the
// output convolution's input runs blocked (ops.h: group norm, SiLU, the time embedding's
// broadcast, cat of whole blocks, nearest upsampling and the convolutions all read it), so no
// convolution reorders its activations; `blocked = false` keeps NCHW throughout (the same results
// up to float rounding). The input and the output are NCHW either way.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "momenta/nn/conv_layers.h"
#include "momenta/nn/layers.h"

namespace momenta::models {

struct UNetConfig {
  std::string name = "custom";                 // for describe(): "twin", "cpu" or "custom"
  int64_t in_channels = 1;                     // 1 (grey) or 3 (colour); also the output's
  int64_t image_size = 28;                     // H = W the model is built for (28 or 32)
  std::vector<int64_t> widths = {32, 64, 128};  // one per level; level 0 at full resolution
  int64_t blocks_per_level = 1;                // ResBlocks per level, encoder and decoder alike
  int64_t groups = 8;                          // GroupNorm groups; must divide every width
  int64_t time_features = 128;                 // sinusoidal features (even)
  int64_t time_dim = 256;                      // width of the time MLP and of the embedding
  double time_scale = 1000.0;                  // the sinusoids see t * time_scale
};

// The named configurations for 1- or 3-channel images of size 28 or 32:
//   "twin": the PyTorch twin's architecture (above): 1,757,409 parameters, 199.4M multiply-adds
//           per 1x28x28 sample (PyTorch's counts).
//   "cpu":  the same architecture at half the widths (16, 32, 64), time 64 -> 128: about a
//           quarter of the twin's multiply-adds, for training on a few CPU cores.
// ValueError names the choices for anything else, and for a channel count or size outside them.
UNetConfig unet_config(const std::string& name, int64_t in_channels = 1, int64_t image_size = 28);
std::vector<std::string> unet_config_names();

// Multiply-adds of one sample's forward pass through the convolutions and linear layers (the
// twin's fwd_macs), at the config's image size.
int64_t unet_forward_macs(const UNetConfig& cfg);

// t [N] -> [N, time_dim].
class TimeEmbedding : public nn::Module {
 public:
  TimeEmbedding(int64_t features, int64_t dim, double scale, Generator& gen);
  Tensor forward(const Tensor& t) override;
  std::string describe() const override;
  std::shared_ptr<nn::Linear> fc1, fc2;
  int64_t features;
  double scale;
};

class UNetResBlock : public nn::Module {
 public:
  UNetResBlock(int64_t cin, int64_t cout, int64_t time_dim, int64_t groups, Generator& gen);
  using nn::Module::forward;
  // x [N, cin, H, W], e [N, time_dim] -> [N, cout, H, W]; with lanes L > 0, x and the result are
  // blocked, [N, cin / L, H, W, L] -> [N, cout / L, H, W, L].
  Tensor forward(const Tensor& x, const Tensor& e, int64_t lanes = 0);
  std::string describe() const override;
  std::shared_ptr<nn::GroupNorm> norm1, norm2;
  std::shared_ptr<nn::Conv2d> conv1, conv2, skip;  // skip is null when cin == cout
  std::shared_ptr<nn::Linear> time;
};

class UNet : public nn::Module {
 public:
  explicit UNet(const UNetConfig& cfg, Generator& gen = default_generator());
  using nn::Module::forward;
  // x [N, in_channels, H, W] with H and W divisible by 2^(levels - 1), t [N] -> the raw output,
  // shaped like x (NOTE [score scaling]).
  Tensor forward(const Tensor& x, const Tensor& t);
  // The same divided per sample by divide_by [N] (e.g. the marginal std of the noise process).
  Tensor forward(const Tensor& x, const Tensor& t, const Tensor& divide_by);
  std::string describe() const override;
  const UNetConfig& config() const { return cfg_; }
  int64_t levels() const { return static_cast<int64_t>(cfg_.widths.size()); }

  std::shared_ptr<TimeEmbedding> time;
  std::shared_ptr<nn::Conv2d> stem;
  std::vector<std::vector<std::shared_ptr<UNetResBlock>>> encoder, decoder;  // [level][block]
  std::vector<std::shared_ptr<nn::Conv2d>> down;  // down[l]: level l -> l + 1
  std::vector<std::shared_ptr<nn::Conv2d>> up;    // up[l]: level l -> l - 1, after upsampling (up[0] null)
  std::shared_ptr<UNetResBlock> mid;
  std::shared_ptr<nn::GroupNorm> out_norm;
  std::shared_ptr<nn::Conv2d> out_conv;
  // Run the activations channel-blocked where that is faster (Layout, above).
  bool blocked = true;
  // The lane count forward() uses for input x: 0 for NCHW.
  int64_t lanes_for(const Tensor& x) const;

 private:
  UNetConfig cfg_;
};

// unet_config(name, in_channels, image_size) built (not finalized).
std::shared_ptr<UNet> make_unet(const std::string& name, int64_t in_channels = 1, int64_t image_size = 28,
                                Generator& gen = default_generator());

}  // namespace momenta::models
