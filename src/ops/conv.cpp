// 2-D convolution (cross-correlation, as PyTorch). Shapes are checked here once; the backend
// kernels (src/backend/cpu/conv_cpu.cpp) see contiguous NCHW or channel-blocked tensors and a
// Conv2dParams that says which.
//   y = conv(x, w) + b;  dx = conv_transpose(dy, w);  dw = corr(x, dy);  db = sum_{n,p,q} dy
#include <algorithm>

#include "backend/backend.h"
#include "momenta/autograd.h"
#include "momenta/ops.h"

namespace momenta {
namespace {

backend::ConvAlgo to_backend(ConvAlgorithm a) {
  switch (a) {
    case ConvAlgorithm::kIm2col: return backend::ConvAlgo::kIm2col;
    case ConvAlgorithm::kOneDnn: return backend::ConvAlgo::kOneDnn;
    case ConvAlgorithm::kAuto: break;
  }
  return backend::ConvAlgo::kAuto;
}

int64_t out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, int64_t dil) {
  const int64_t span = in + 2 * pad - dil * (kernel - 1) - 1;
  return span < 0 ? 0 : span / stride + 1;
}

backend::Conv2dParams make_params(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& o) {
  check<ShapeError>(x.dim() == 4 || (x.dim() == 5 && x.shape()[4] > 0),
                    "conv2d: input must be [N, C, H, W] or blocked [N, C / L, H, W, L], got ", fmt(x.shape()));
  check<ShapeError>(w.dim() == 4, "conv2d: weight must be [K, C / groups, R, S], got ", fmt(w.shape()));
  check<ShapeError>(is_floating(x.dtype()) && x.dtype() == w.dtype(), "conv2d: input and weight must share a floating dtype, got ",
                    dtype_name(x.dtype()), " and ", dtype_name(w.dtype()));
  check<ValueError>(o.stride_h > 0 && o.stride_w > 0 && o.dil_h > 0 && o.dil_w > 0 && o.pad_h >= 0 && o.pad_w >= 0 &&
                        o.groups > 0,
                    "conv2d: stride and dilation must be positive and padding non-negative, got stride ", o.stride_h,
                    "x", o.stride_w, ", padding ", o.pad_h, "x", o.pad_w, ", dilation ", o.dil_h, "x", o.dil_w,
                    ", groups ", o.groups);
  backend::Conv2dParams p;
  p.in_block = x.dim() == 5 ? x.shape()[4] : 0;
  p.n = x.shape()[0], p.c = x.shape()[1] * std::max<int64_t>(p.in_block, 1), p.h = x.shape()[2], p.w = x.shape()[3];
  p.k = w.shape()[0], p.r = w.shape()[2], p.s = w.shape()[3];
  p.stride_h = o.stride_h, p.stride_w = o.stride_w, p.pad_h = o.pad_h, p.pad_w = o.pad_w;
  p.dil_h = o.dil_h, p.dil_w = o.dil_w, p.groups = o.groups, p.has_bias = b.defined();
  p.algo = to_backend(o.algorithm);
  check<ShapeError>(p.c % p.groups == 0 && p.k % p.groups == 0 && w.shape()[1] * p.groups == p.c,
                    "conv2d: input ", fmt(x.shape()), " and weight ", fmt(w.shape()), " do not fit ", p.groups,
                    " group(s): expected C and K divisible by groups and weight [K, C / groups, R, S]");
  p.out_block = o.out_block;
  check<NotSupportedError>(x.device().is_cpu() || (p.in_block == 0 && p.out_block == 0),
                           "conv2d: channel-blocked layouts are for oneDNN on the CPU; on ", x.device().str(),
                           " use NCHW (preferred_channel_block() is 0 there)");
  check<ShapeError>(o.out_block >= 0 && (o.out_block == 0 || p.k % o.out_block == 0), "conv2d: ", p.k,
                    " output channels do not split into blocks of ", o.out_block);
  p.p = out_size(p.h, p.r, p.stride_h, p.pad_h, p.dil_h);
  p.q = out_size(p.w, p.s, p.stride_w, p.pad_w, p.dil_w);
  check<ShapeError>(p.p > 0 && p.q > 0, "conv2d: kernel ", p.r, "x", p.s, " (dilation ", p.dil_h, "x", p.dil_w,
                    ") is larger than the padded input ", p.h + 2 * p.pad_h, "x", p.w + 2 * p.pad_w);
  if (b.defined()) {
    check<ShapeError>(b.dim() == 1 && b.shape()[0] == p.k && b.dtype() == x.dtype(), "conv2d: bias ", fmt(b.shape()),
                      " does not match the weight's ", p.k, " output channels");
  }
  return p;
}

}  // namespace

Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& opts) {
  const backend::Conv2dParams p = make_params(x, w, b, opts);
  const Tensor xc = x.detach().contiguous(), wc = w.detach().contiguous();
  const Tensor bc = b.defined() ? b.detach().contiguous() : Tensor();
  const bool record = any_requires_grad({&x, &w, &b});
  const bool need_x = record && x.requires_grad();
  // The weight and bias gradients are computed together (the backend's contract).
  const bool need_wb = record && (w.requires_grad() || (b.defined() && b.requires_grad()));
  // For the weight gradient the backend may keep x in its own layout from the forward.
  Tensor workspace;
  if (need_wb) {
    const int64_t bytes = backend::conv2d_workspace_bytes(p, xc);
    if (bytes > 0) workspace = Tensor::empty({(bytes + 3) / 4}, kFloat32, x.device());
  }
  const Shape y_shape = p.out_block > 0 ? Shape{p.n, p.k / p.out_block, p.p, p.q, p.out_block} : Shape{p.n, p.k, p.p, p.q};
  Tensor y = Tensor::empty(y_shape, x.dtype(), x.device());
  backend::conv2d_forward(p, xc, wc, bc, y, workspace);
  if (record) {
    const bool need_w = w.requires_grad(), need_b = b.defined() && b.requires_grad();
    const Tensor saved_x = need_wb ? xc : Tensor();  // the input is saved only for the weight gradient
    const Shape x_shape = xc.shape();
    attach_grad_fn(y, "conv2d", {x, w, b}, [=](const Tensor& g) {
      const Tensor gy = g.contiguous();
      Tensor gx = need_x ? Tensor::empty(x_shape, gy.dtype(), gy.device()) : Tensor();
      Tensor gw = need_wb ? Tensor::empty(wc.shape(), wc.dtype(), wc.device()) : Tensor();
      Tensor gb = need_wb && bc.defined() ? Tensor::empty(bc.shape(), bc.dtype(), bc.device()) : Tensor();
      backend::conv2d_backward(p, saved_x, workspace, gy, wc, gx, gw, gb);
      return std::vector<Tensor>{gx, need_w ? gw : Tensor(), need_b ? gb : Tensor()};
    });
  }
  return y;
}

int64_t preferred_channel_block(Device device, DType dtype) { return backend::preferred_channel_block(device, dtype); }

// The blocked layout is a reshape and a permutation of NCHW, so both conversions are views made
// contiguous, and their gradients are the inverse conversions.
Tensor to_blocked(const Tensor& x, int64_t lanes) {
  check<ShapeError>(x.dim() == 4 && lanes > 0 && x.shape()[1] % lanes == 0, "to_blocked: expected [N, C, H, W] with C ",
                    "divisible by ", lanes, ", got ", fmt(x.shape()));
  const Shape& s = x.shape();
  return x.reshape({s[0], s[1] / lanes, lanes, s[2], s[3]}).permute({0, 1, 3, 4, 2}).contiguous();
}

Tensor from_blocked(const Tensor& x) {
  check<ShapeError>(x.dim() == 5, "from_blocked: expected a blocked [N, C / L, H, W, L], got ", fmt(x.shape()));
  const Shape& s = x.shape();
  return x.permute({0, 1, 4, 2, 3}).contiguous().reshape({s[0], s[1] * s[4], s[2], s[3]});
}

}  // namespace momenta
