// oneDNN float32 convolution on plain NCHW tensors (conv_onednn.cpp). oneDNN picks its own
// layouts (format_tag::any); inputs and outputs are reordered at the call's edges.
#pragma once

#include "backend/conv_params.h"
#include "momenta/tensor.h"

namespace momenta::backend::cpu {

// Whether oneDNN can run this geometry (it cannot run empty tensors).
bool onednn_supports(const Conv2dParams& p);
void onednn_conv_forward(const Conv2dParams& p, const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& y);
void onednn_conv_backward_data(const Conv2dParams& p, const Tensor& gy, const Tensor& w, const Tensor& gx);
void onednn_conv_backward_weights(const Conv2dParams& p, const Tensor& x, const Tensor& gy, const Tensor& gw,
                                  const Tensor& gb);

}  // namespace momenta::backend::cpu
