// Differentiable operations. Each is written once (forward, backward, shape rules, checks) in
// src/ops/ and calls a backend kernel for the tensor's device.
#pragma once

#include <cstdint>
#include <vector>

#include "momenta/random.h"
#include "momenta/tensor.h"

namespace momenta {

// ---- elementwise, broadcasting (numpy rules) ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double s);
Tensor mul(const Tensor& a, double s);
Tensor pow(const Tensor& a, double exponent);
Tensor rsub(double s, const Tensor& a);  // s - a
Tensor rdiv(double s, const Tensor& a);  // s / a

// ---- comparisons (not differentiable; 1 where true, 0 elsewhere, in a's dtype) ----
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);

// ---- unary ----
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor abs(const Tensor& x);
Tensor square(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor silu(const Tensor& x);
Tensor gelu(const Tensor& x);  // exact (erf) form
Tensor sin(const Tensor& x);   // radians
Tensor cos(const Tensor& x);

// ---- reductions ----
// Over `axes` (all axes when empty); keepdim keeps reduced axes with size 1.
Tensor sum(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& axes = {}, bool keepdim = false);
// Maximum over one axis; its gradient flows to the first maximal element.
Tensor max(const Tensor& x, int64_t axis, bool keepdim = false);
Tensor max(const Tensor& x);  // over all elements
// Index of the first maximal element along `axis` (int64, not differentiable).
Tensor argmax(const Tensor& x, int64_t axis, bool keepdim = false);
// Reduces a broadcast gradient back to `shape` (summing broadcast axes).
Tensor sum_to(const Tensor& x, const Shape& shape);

// ---- linear algebra ----
// [M,K] @ [K,N] -> [M,N]; [B,M,K] @ [B,K,N] -> [B,M,N] (a batch of 1 broadcasts).
Tensor matmul(const Tensor& a, const Tensor& b);
// y = x W^T + b with x [..., in], W [out, in], b [out] (may be undefined).
Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b);

// ---- neural-network functions ----
Tensor softmax(const Tensor& x, int64_t axis = -1);
Tensor log_softmax(const Tensor& x, int64_t axis = -1);
// Mean cross-entropy of logits [N, C] against int64 class indices [N].
Tensor cross_entropy(const Tensor& logits, const Tensor& target);
// Mean squared error over all elements.
Tensor mse_loss(const Tensor& input, const Tensor& target);
// Inverted dropout: zeroes with probability p and scales the rest by 1/(1-p); identity when
// !training or p == 0. The mask comes from `gen` (Philox), so it is reproducible.
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen);
// Concatenation along `axis`.
Tensor cat(const std::vector<Tensor>& xs, int64_t axis);

// ---- convolution, pooling, normalisation: NCHW images (src/ops/conv.cpp, pool.cpp, norm.cpp) ----
// Channel-blocked activations. A CPU convolution is fastest when its activations stay in
// oneDNN's blocked layout (nChw8c with AVX2, nChw16c with AVX-512) from layer to layer. Such an
// activation is a contiguous 5-D tensor [N, C / L, H, W, L] whose element [n, cb, h, w, l] is
// channel cb * L + l of the NCHW image, so elementwise ops between equal shapes, slicing of H
// and W, and cat of whole blocks work on it unchanged. The ops that read one as an image say so
// explicitly: conv2d (a 5-D input is blocked; Conv2dOptions::out_block), batch_norm
// (BatchNormFusion::lanes), group_norm, upsample2x and global_avg_pool2d (`lanes`). A
// per-channel tensor [N, C] broadcasts over a blocked one as [N, C / L, 1, 1, L]. Anything else
// that mixes channels with other axes (reshape, flatten, pooling) must see NCHW: from_blocked first. Parameters stay plain ([K, C, R, S], [C]). A model
// opts in at its edges (ResNet: plain input, blocked from the stem to the global pool).
// The lane count L at which oneDNN runs fastest on this device and dtype; 0 when blocking does
// not help (float64, CUDA).
int64_t preferred_channel_block(Device device, DType dtype);
// [N, C, H, W] -> [N, C / L, H, W, L] (C divisible by L) and back; differentiable.
Tensor to_blocked(const Tensor& x, int64_t lanes);
Tensor from_blocked(const Tensor& x);
// Which implementation runs a float32 CPU convolution (float64 always uses im2col + GEMM):
// oneDNN (kAuto, the fast path) or im2col + GEMM (the reference the fast path is tested against).
enum class ConvAlgorithm { kAuto, kIm2col, kOneDnn };
struct Conv2dOptions {
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;  // zeros on both sides
  int64_t dil_h = 1, dil_w = 1;
  int64_t groups = 1;
  ConvAlgorithm algorithm = ConvAlgorithm::kAuto;
  // Layout of the output: 0 plain [N, K, P, Q], L > 0 blocked [N, K / L, P, Q, L].
  int64_t out_block = 0;
  // Square shorthands.
  static Conv2dOptions make(int64_t stride, int64_t padding, int64_t dilation = 1, int64_t groups = 1) {
    return {stride, stride, padding, padding, dilation, dilation, groups, ConvAlgorithm::kAuto, 0};
  }
};
// x [N, C, H, W] or blocked [N, C / L, H, W, L], w [K, C / groups, R, S], b [K] or undefined ->
// [N, K, P, Q] (or blocked, opts.out_block) with
// P = (H + 2 pad_h - dil_h (R - 1) - 1) / stride_h + 1 (floor), Q likewise.
Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dOptions& opts = {});
// Square windows; stride 0 means stride = kernel; padding at most kernel / 2 (as PyTorch).
Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride = 0, int64_t padding = 0);
// count_include_pad: divide by kernel^2 (PyTorch's default) or by the in-bounds count.
Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride = 0, int64_t padding = 0,
                  bool count_include_pad = true);
// Mean over H and W: [N, C, H, W] -> [N, C]; with lanes > 0, of a blocked [N, C / L, H, W, L].
Tensor global_avg_pool2d(const Tensor& x, int64_t lanes = 0);
// 2x upsampling of H and W. Bilinear follows PyTorch's align_corners=False (edges clamped).
// `lanes` > 0 reads x as a blocked activation [N, C / L, H, W, L] and keeps that layout.
enum class UpsampleMode { kNearest, kBilinear };
Tensor upsample2x(const Tensor& x, UpsampleMode mode, int64_t lanes = 0);
// Batch norm over the channel axis 1 of [N, C, ...]. Training normalises with the batch's
// biased variance and, when running_mean/var are defined, updates them in place as
// r = (1 - momentum) r + momentum * stat with the unbiased variance (PyTorch's convention).
// Evaluation normalises with the running statistics. weight/bias [C] may be undefined.
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum = 0.1, double eps = 1e-5);
// The same, fused with what follows it in a residual network: y = relu(batch_norm(x) + residual)
// in one pass over memory and its gradient in two (the unfused chain makes six). `lanes` > 0
// reads x (and residual) as a blocked activation [N, C / L, H, W, L].
struct BatchNormFusion {
  Tensor residual;  // same shape as x, or undefined
  bool relu = false;
  int64_t lanes = 0;
};
Tensor batch_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, const Tensor& running_mean,
                  const Tensor& running_var, bool training, double momentum, double eps, const BatchNormFusion& fuse);
// Group norm (Wu & He 2018): [N, C, ...] normalised over each of `groups` channel groups and
// the spatial axes; weight/bias [C] may be undefined. `lanes` > 0 reads x as a blocked activation
// [N, C / L, H, W, L] (CPU only) and gives y in the same layout.
Tensor group_norm(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps = 1e-5,
                  int64_t lanes = 0);
// silu(group_norm(...)), the pre-activation of a U-Net block. A blocked input on the CPU runs both
// in one kernel (no normalised tensor is kept; the backward recomputes it); otherwise the two ops.
Tensor group_norm_silu(const Tensor& x, int64_t groups, const Tensor& weight, const Tensor& bias, double eps = 1e-5,
                       int64_t lanes = 0);
// Layer norm over the trailing axes whose sizes are `normalized_shape`; weight/bias of that
// shape may be undefined.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps = 1e-5);

// ---- operator sugar ----
inline Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
inline Tensor operator-(const Tensor& a) { return neg(a); }
inline Tensor operator+(const Tensor& a, double s) { return add(a, s); }
inline Tensor operator+(double s, const Tensor& a) { return add(a, s); }
inline Tensor operator-(const Tensor& a, double s) { return add(a, -s); }
inline Tensor operator-(double s, const Tensor& a) { return rsub(s, a); }
inline Tensor operator*(const Tensor& a, double s) { return mul(a, s); }
inline Tensor operator*(double s, const Tensor& a) { return mul(a, s); }
inline Tensor operator/(const Tensor& a, double s) { return mul(a, 1.0 / s); }
inline Tensor operator/(double s, const Tensor& a) { return rdiv(s, a); }

}  // namespace momenta
