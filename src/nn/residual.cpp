#include "momenta/nn/residual.h"

namespace momenta::nn {

BasicBlock::BasicBlock(int64_t in, int64_t out, int64_t st, Shortcut sc, Generator& gen)
    : in_channels(in), out_channels(out), stride(st), shortcut(sc) {
  check<ValueError>(st > 0, "BasicBlock: stride must be positive, got ", st);
  conv1 = register_module("conv1", std::make_shared<Conv2d>(in, out, 3, st, 1, false, 1, 1, gen));
  bn1 = register_module("bn1", std::make_shared<BatchNorm2d>(out));
  conv2 = register_module("conv2", std::make_shared<Conv2d>(out, out, 3, 1, 1, false, 1, 1, gen));
  bn2 = register_module("bn2", std::make_shared<BatchNorm2d>(out));
  const bool reshapes = st != 1 || in != out;
  if (reshapes && sc == Shortcut::kB) {
    proj = register_module("shortcut", std::make_shared<Conv2d>(in, out, 1, st, 0, false, 1, 1, gen));
    proj_bn = register_module("shortcut_bn", std::make_shared<BatchNorm2d>(out));
  }
  check<ValueError>(!reshapes || sc == Shortcut::kB || out >= in, "BasicBlock: option A shortcut cannot narrow ", in,
                    " channels to ", out, "; use option B");
}

// Layout-preserving: a blocked input [N, C / L, H, W, L] gives a blocked output (when the output
// channels fill whole blocks; else NCHW), so a network of blocks never leaves oneDNN's layout. The second batch norm carries the residual add and the
// final ReLU (one fused op).
Tensor BasicBlock::forward(const Tensor& x) {
  // Conv2d keeps its input's layout where the output channels allow it (Conv2d::forward).
  Tensor h = bn1->forward((*conv1)(x), Tensor(), true);
  h = (*conv2)(h);
  const bool blocked = x.dim() == 5;
  const int64_t lanes = blocked ? x.shape()[4] : 0;
  const int64_t out_block = h.dim() == 5 ? lanes : 0;
  Tensor s = x;
  if (proj) {
    s = proj_bn->forward((*proj)(x));
  } else if (stride != 1 || in_channels != out_channels) {
    const int64_t extra = out_channels - in_channels, lo = extra / 2, hi = extra - lo;
    // Option A on a blocked input whose padding is not whole blocks: take the plain route.
    if (blocked && (out_block == 0 || lo % lanes != 0 || hi % lanes != 0)) s = from_blocked(s);
    const int64_t unit = s.dim() == 5 ? lanes : 1;  // channels per entry of axis 1
    // Option A: subsample, then zero channels on both sides (what a 1x1 stride-s identity sees).
    if (stride != 1) s = s.slice(2, 0, s.shape()[2], stride).slice(3, 0, s.shape()[3], stride);
    auto zeros = [&](int64_t channels) {
      Shape zs = s.shape();
      zs[1] = channels / unit;
      return Tensor::zeros(zs, s.dtype(), s.device());
    };
    if (extra > 0) {
      std::vector<Tensor> parts;
      if (lo > 0) parts.push_back(zeros(lo));
      parts.push_back(s);
      if (hi > 0) parts.push_back(zeros(hi));
      s = cat(parts, 1);
    }
    if (out_block > 0 && s.dim() == 4) s = to_blocked(s, out_block);
  }
  if (h.dim() != s.dim()) s = h.dim() == 5 ? to_blocked(s, lanes) : from_blocked(s);
  return bn2->forward(h, s, true);
}

std::string BasicBlock::describe() const {
  return str_cat("BasicBlock(", in_channels, " -> ", out_channels, ", stride ", stride, ", shortcut ",
                 shortcut == Shortcut::kA ? "A" : "B", ")");
}

}  // namespace momenta::nn
