// Geometry of the 2-D convolution and pooling kernels of the seam (kernel_list.inc).
// Legend: N batch, C input channels, H x W input size, K output channels, R x S kernel size,
// P x Q output size, G groups (C and K split into G equal parts).
#pragma once

#include <cstdint>

namespace momenta::backend {

// Which CPU implementation runs a float32 convolution. float64 always takes im2col + GEMM
// (oneDNN has no float64 convolution); kAuto picks oneDNN for float32.
enum class ConvAlgo : uint8_t { kAuto, kIm2col, kOneDnn };

struct Conv2dParams {
  int64_t n = 0, c = 0, h = 0, w = 0;   // input [N, C, H, W]
  int64_t k = 0, r = 0, s = 0;          // weight [K, C / G, R, S]
  int64_t p = 0, q = 0;                 // output [N, K, P, Q]
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;         // zero padding on both sides
  int64_t dil_h = 1, dil_w = 1;
  int64_t groups = 1;
  bool has_bias = false;
  ConvAlgo algo = ConvAlgo::kAuto;
  // Layouts of x (and gx) and of y (and gy): 0 plain NCHW, L > 0 channel-blocked
  // [N, C / L, H, W, L] (ops.h "Channel-blocked activations").
  int64_t in_block = 0, out_block = 0;
};

enum class PoolKind : uint8_t { kMax, kAvg };

struct Pool2dParams {
  int64_t n = 0, c = 0, h = 0, w = 0;  // input [N, C, H, W]
  int64_t p = 0, q = 0;                // output [N, C, P, Q]
  int64_t r = 1, s = 1;                // window
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;        // implicit -inf (max) or 0 (avg) padding
  PoolKind kind = PoolKind::kMax;
  bool count_include_pad = true;       // avg: divide by R*S (true) or by the in-bounds count
};

}  // namespace momenta::backend
