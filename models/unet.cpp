#include "models/unet.h"

#include <cmath>

#include "momenta/ops.h"

namespace momenta::models {

namespace {

int64_t halvings(const UNetConfig& cfg) { return static_cast<int64_t>(cfg.widths.size()) - 1; }

void validate(const UNetConfig& cfg) {
  check<ValueError>(cfg.in_channels > 0, "UNetConfig.in_channels must be positive, got ", cfg.in_channels);
  check<ValueError>(!cfg.widths.empty() && cfg.widths.size() <= 8, "UNetConfig.widths: 1 to 8 levels expected, got ",
                    cfg.widths.size());
  check<ValueError>(cfg.groups > 0, "UNetConfig.groups must be positive, got ", cfg.groups);
  for (int64_t w : cfg.widths)
    check<ValueError>(w > 0 && w % cfg.groups == 0, "UNetConfig.widths: each width must be a positive multiple of ",
                      "groups (", cfg.groups, "), got ", w);
  check<ValueError>(cfg.blocks_per_level > 0, "UNetConfig.blocks_per_level must be positive, got ",
                    cfg.blocks_per_level);
  check<ValueError>(cfg.time_features >= 2 && cfg.time_features % 2 == 0,
                    "UNetConfig.time_features must be even and at least 2, got ", cfg.time_features);
  check<ValueError>(cfg.time_dim > 0, "UNetConfig.time_dim must be positive, got ", cfg.time_dim);
  check<ValueError>(std::isfinite(cfg.time_scale) && cfg.time_scale > 0,
                    "UNetConfig.time_scale must be positive and finite, got ", cfg.time_scale);
  const int64_t f = int64_t{1} << halvings(cfg);
  check<ValueError>(cfg.image_size > 0 && cfg.image_size % f == 0, "UNetConfig.image_size ", cfg.image_size,
                    " cannot be halved ", halvings(cfg), " times (", cfg.widths.size(),
                    " levels): it must be a multiple of ", f);
}

}  // namespace

// ---- time embedding ----

TimeEmbedding::TimeEmbedding(int64_t features_, int64_t dim, double scale_, Generator& gen)
    : features(features_), scale(scale_) {
  fc1 = register_module("fc1", std::make_shared<nn::Linear>(features, dim, true, gen));
  fc2 = register_module("fc2", std::make_shared<nn::Linear>(dim, dim, true, gen));
}

Tensor TimeEmbedding::forward(const Tensor& t) {
  check<ShapeError>(t.dim() == 1, "TimeEmbedding: t must be [N], got ", fmt(t.shape()));
  const int64_t half = features / 2;
  std::vector<double> freqs(static_cast<size_t>(half));
  for (int64_t j = 0; j < half; ++j)
    freqs[static_cast<size_t>(j)] = std::exp(-std::log(10000.0) * static_cast<double>(j) / static_cast<double>(half));
  const Tensor f = Tensor::from_vector<double>(freqs, {1, half}).to(t.dtype()).to(t.device());
  const Tensor a = mul(mul(t, scale).reshape({t.shape()[0], 1}), f);  // [N, half]
  return (*fc2)(silu((*fc1)(cat({sin(a), cos(a)}, 1))));
}

std::string TimeEmbedding::describe() const {
  return str_cat("TimeEmbedding(", features, " sinusoids -> ", fc2->out_features, ")");
}

// ---- residual block ----

UNetResBlock::UNetResBlock(int64_t cin, int64_t cout, int64_t time_dim, int64_t groups, Generator& gen) {
  norm1 = register_module("norm1", std::make_shared<nn::GroupNorm>(groups, cin));
  conv1 = register_module("conv1", std::make_shared<nn::Conv2d>(cin, cout, 3, 1, 1, true, 1, 1, gen));
  time = register_module("time", std::make_shared<nn::Linear>(time_dim, cout, true, gen));
  norm2 = register_module("norm2", std::make_shared<nn::GroupNorm>(groups, cout));
  conv2 = register_module("conv2", std::make_shared<nn::Conv2d>(cout, cout, 3, 1, 1, true, 1, 1, gen));
  if (cin != cout) skip = register_module("skip", std::make_shared<nn::Conv2d>(cin, cout, 1, 1, 0, true, 1, 1, gen));
}

Tensor UNetResBlock::forward(const Tensor& x, const Tensor& e, int64_t lanes) {
  // Blocked in, blocked out: every convolution here keeps its input's layout.
  Tensor h = conv1->forward(norm1->forward_silu(x, lanes));
  const Tensor te = time->forward(e);  // [N, cout], per channel: [N, cout / L, 1, 1, L] when blocked
  const int64_t n = te.shape()[0], c = te.shape()[1];
  h = add(h, lanes > 0 ? te.reshape({n, c / lanes, 1, 1, lanes}) : te.reshape({n, c, 1, 1}));
  h = conv2->forward(norm2->forward_silu(h, lanes));
  return add(h, skip ? skip->forward(x) : x);
}

std::string UNetResBlock::describe() const {
  return str_cat("UNetResBlock(", conv1->in_channels, " -> ", conv1->out_channels, ")");
}

// ---- U-Net ----

UNet::UNet(const UNetConfig& cfg, Generator& gen) : cfg_(cfg) {
  validate(cfg_);
  const int64_t L = levels(), B = cfg_.blocks_per_level, G = cfg_.groups, D = cfg_.time_dim;
  const auto& w = cfg_.widths;
  // Registration order is the twin's parameter order (models/unet.h).
  time = register_module("time", std::make_shared<TimeEmbedding>(cfg_.time_features, D, cfg_.time_scale, gen));
  stem = register_module("stem", std::make_shared<nn::Conv2d>(cfg_.in_channels, w[0], 3, 1, 1, true, 1, 1, gen));
  encoder.resize(static_cast<size_t>(L));
  decoder.resize(static_cast<size_t>(L));
  down.resize(static_cast<size_t>(L));
  up.resize(static_cast<size_t>(L));
  int64_t c = w[0];
  for (int64_t l = 0; l < L; ++l) {
    const auto lu = static_cast<size_t>(l);
    for (int64_t b = 0; b < B; ++b) {
      encoder[lu].push_back(register_module(str_cat("enc", l, "_", b), std::make_shared<UNetResBlock>(c, w[lu], D, G, gen)));
      c = w[lu];
    }
    if (l + 1 < L) down[lu] = register_module(str_cat("down", l), std::make_shared<nn::Conv2d>(c, c, 3, 2, 1, true, 1, 1, gen));
  }
  mid = register_module("mid", std::make_shared<UNetResBlock>(c, c, D, G, gen));
  for (int64_t l = L - 1; l >= 0; --l) {
    const auto lu = static_cast<size_t>(l);
    for (int64_t b = 0; b < B; ++b) {
      const int64_t cin = b == 0 ? c + w[lu] : w[lu];  // the first block takes cat([h, skip])
      decoder[lu].push_back(register_module(str_cat("dec", l, "_", b), std::make_shared<UNetResBlock>(cin, w[lu], D, G, gen)));
      c = w[lu];
    }
    if (l > 0) up[lu] = register_module(str_cat("up", l), std::make_shared<nn::Conv2d>(c, c, 3, 1, 1, true, 1, 1, gen));
  }
  out_norm = register_module("out_norm", std::make_shared<nn::GroupNorm>(G, w[0]));
  out_conv = register_module("out_conv", std::make_shared<nn::Conv2d>(w[0], cfg_.in_channels, 3, 1, 1, true, 1, 1, gen));
}

Tensor UNet::forward(const Tensor& x, const Tensor& t) {
  check<ShapeError>(x.dim() == 4 && x.shape()[1] == cfg_.in_channels, "UNet: input must be [N, ", cfg_.in_channels,
                    ", H, W], got ", fmt(x.shape()));
  const int64_t f = int64_t{1} << halvings(cfg_);
  check<ShapeError>(x.shape()[2] % f == 0 && x.shape()[3] % f == 0, "UNet: input size ", x.shape()[2], "x",
                    x.shape()[3], " cannot be halved ", halvings(cfg_), " times (", levels(),
                    " levels): H and W must be multiples of ", f);
  check<ShapeError>(t.dim() == 1 && t.shape()[0] == x.shape()[0], "UNet: t must be [N] = [", x.shape()[0],
                    "], got ", fmt(t.shape()));
  const int64_t lanes = lanes_for(x);
  const Tensor e = time->forward(t);
  Tensor h = stem->forward(x, lanes);  // NCHW in; blocked from here on when lanes > 0
  std::vector<Tensor> skips;
  for (size_t l = 0; l < encoder.size(); ++l) {
    for (auto& block : encoder[l]) h = block->forward(h, e, lanes);
    skips.push_back(h);
    if (down[l]) h = down[l]->forward(h);
  }
  h = mid->forward(h, e, lanes);
  for (size_t l = decoder.size(); l-- > 0;) {
    h = cat({h, skips[l]}, 1);  // whole channel blocks when blocked
    for (auto& block : decoder[l]) h = block->forward(h, e, lanes);
    if (up[l]) h = up[l]->forward(upsample2x(h, UpsampleMode::kNearest, lanes));
  }
  return out_conv->forward(out_norm->forward_silu(h, lanes), 0);  // NCHW out
}

int64_t UNet::lanes_for(const Tensor& x) const {
  const int64_t lanes = blocked ? preferred_channel_block(x.device(), x.dtype()) : 0;
  if (lanes == 0) return 0;
  for (int64_t w : cfg_.widths)
    if (w % lanes != 0) return 0;
  return lanes;
}

Tensor UNet::forward(const Tensor& x, const Tensor& t, const Tensor& divide_by) {
  check<ShapeError>(divide_by.dim() == 1 && divide_by.shape()[0] == x.shape()[0], "UNet: divide_by must be [N] = [",
                    x.shape()[0], "], got ", fmt(divide_by.shape()));
  return div(forward(x, t), divide_by.reshape({divide_by.shape()[0], 1, 1, 1}));
}

std::string UNet::describe() const {
  std::string ws;
  for (int64_t w : cfg_.widths) ws += str_cat(ws.empty() ? "" : "-", w);
  return str_cat("unet-", cfg_.name, "(", cfg_.in_channels, "x", cfg_.image_size, "x", cfg_.image_size, ", widths ", ws,
                 ", ", cfg_.blocks_per_level, " block(s) per level, GroupNorm ", cfg_.groups, ", time ",
                 cfg_.time_features, " -> ", cfg_.time_dim, ")");
}

// ---- configurations ----

std::vector<std::string> unet_config_names() { return {"twin", "cpu"}; }

UNetConfig unet_config(const std::string& name, int64_t in_channels, int64_t image_size) {
  check<ValueError>(in_channels == 1 || in_channels == 3, "unet '", excerpt(name),
                    "': in_channels must be 1 or 3, got ", in_channels);
  check<ValueError>(image_size == 28 || image_size == 32, "unet '", excerpt(name),
                    "': image size must be 28 or 32, got ", image_size);
  UNetConfig c;
  c.name = name;
  c.in_channels = in_channels;
  c.image_size = image_size;
  if (name == "twin") return c;  // the defaults are the twin's
  if (name == "cpu") {
    // Half the twin's widths: each 3x3 conv costs a quarter, so the whole net about a quarter of
    // the twin's multiply-adds (unet_test.cpp prints both); the time MLP shrinks alike.
    c.widths = {16, 32, 64};
    c.time_features = 64;
    c.time_dim = 128;
    return c;
  }
  throw ValueError(str_cat("unknown unet configuration '", excerpt(name), "': expected twin or cpu"));
}

std::shared_ptr<UNet> make_unet(const std::string& name, int64_t in_channels, int64_t image_size, Generator& gen) {
  return std::make_shared<UNet>(unet_config(name, in_channels, image_size), gen);
}

int64_t unet_forward_macs(const UNetConfig& cfg) {
  validate(cfg);
  const int64_t L = static_cast<int64_t>(cfg.widths.size()), D = cfg.time_dim;
  const auto& w = cfg.widths;
  int64_t macs = cfg.time_features * D + D * D;
  auto conv = [](int64_t hw, int64_t cin, int64_t cout, int64_t k) { return hw * hw * cout * cin * k * k; };
  auto block = [&](int64_t hw, int64_t cin, int64_t cout) {
    return conv(hw, cin, cout, 3) + D * cout + conv(hw, cout, cout, 3) + (cin != cout ? conv(hw, cin, cout, 1) : 0);
  };
  int64_t hw = cfg.image_size, c = w[0];
  macs += conv(hw, cfg.in_channels, w[0], 3);
  for (int64_t l = 0; l < L; ++l) {
    const auto lu = static_cast<size_t>(l);
    for (int64_t b = 0; b < cfg.blocks_per_level; ++b) {
      macs += block(hw, c, w[lu]);
      c = w[lu];
    }
    if (l + 1 < L) {
      hw /= 2;
      macs += conv(hw, c, c, 3);
    }
  }
  macs += block(hw, c, c);
  for (int64_t l = L - 1; l >= 0; --l) {
    const auto lu = static_cast<size_t>(l);
    for (int64_t b = 0; b < cfg.blocks_per_level; ++b) {
      macs += block(hw, b == 0 ? c + w[lu] : w[lu], w[lu]);
      c = w[lu];
    }
    if (l > 0) {
      hw *= 2;
      macs += conv(hw, c, c, 3);
    }
  }
  return macs + conv(hw, w[0], cfg.in_channels, 3);
}

}  // namespace momenta::models
