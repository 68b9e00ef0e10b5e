// oneDNN float32 convolution on plain NCHW or channel-blocked tensors (conv_onednn.cpp). oneDNN
// picks its own layouts (format_tag::any); operands in other layouts are reordered at the
// call's edges.
#pragma once

#include "backend/conv_params.h"
#include "momenta/tensor.h"

namespace momenta::backend::cpu {

// Whether oneDNN can run this geometry and these layouts (not empty tensors; channel blocks of
// 4, 8 or 16 only).
bool onednn_supports(const Conv2dParams& p);
// The channel block of the layout oneDNN's float32 convolutions choose on this CPU (8 with AVX2,
// 16 with AVX-512), 0 when it chooses a plain layout.
int64_t onednn_channel_block();
// Bytes of x in the layout the forward primitive reads; 0 when x is in that layout already.
int64_t onednn_workspace_bytes(const Conv2dParams& p);
// The kernels of the seam (kernel_list.inc): the forward keeps its reordered x in `workspace`
// (when defined) for the weight gradient, and the backward reorders gy once for both gradients.
void onednn_conv_forward(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& y,
                         const Tensor& workspace);
void onednn_conv_backward(const Conv2dParams& p, const Tensor& x, const Tensor& workspace, const Tensor& gy,
                          const Tensor& w, const Tensor& gx, const Tensor& gw, const Tensor& gb);

}  // namespace momenta::backend::cpu
