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

Tensor BasicBlock::forward(const Tensor& x) {
  Tensor h = relu((*bn1)((*conv1)(x)));
  h = (*bn2)((*conv2)(h));
  Tensor s = x;
  if (proj) {
    s = (*proj_bn)((*proj)(x));
  } else if (stride != 1 || in_channels != out_channels) {
    // Option A: subsample, then zero channels on both sides (what a 1x1 stride-s identity sees).
    if (stride != 1) s = s.slice(2, 0, s.shape()[2], stride).slice(3, 0, s.shape()[3], stride);
    const int64_t extra = out_channels - in_channels, lo = extra / 2, hi = extra - lo;
    auto zeros = [&](int64_t channels) {
      Shape zs = s.shape();
      zs[1] = channels;
      return Tensor::zeros(zs, s.dtype(), s.device());
    };
    if (extra > 0) {
      std::vector<Tensor> parts;
      if (lo > 0) parts.push_back(zeros(lo));
      parts.push_back(s);
      if (hi > 0) parts.push_back(zeros(hi));
      s = cat(parts, 1);
    }
  }
  return relu(h + s);
}

std::string BasicBlock::describe() const {
  return str_cat("BasicBlock(", in_channels, " -> ", out_channels, ", stride ", stride, ", shortcut ",
                 shortcut == Shortcut::kA ? "A" : "B", ")");
}

}  // namespace momenta::nn
