// The stride geometry of an elementwise walk, built once for both devices: N operands of one
// shape (operand 0 the output; broadcast inputs are stride-0 views), strides in elements.
// Size-1 dimensions are dropped and neighbouring dimensions that every operand walks as one are
// merged, so contiguous tensors become one flat dimension and a bias broadcast along rows two.
// The CPU loop (cpu/strided_loop.h) walks the result run by run; the CUDA kernel
// (cuda/elementwise_cuda.cu) maps a logical index to each operand's offset with offsets().
// C++17 and free of host-only calls in the device part: nvcc compiles it too.
#pragma once

#include <array>
#include <cstdint>

#include "momenta/kernels/common.h"
#include "momenta/tensor.h"

namespace momenta::backend {

inline constexpr int kMaxDims = 12;

template <int N>
struct Geometry {
  int ndim = 0;
  int64_t shape[kMaxDims];
  int64_t strides[N][kMaxDims];  // in elements
  int64_t numel = 1;

  // The element offset of logical (row-major) index i in each operand.
  MOMENTA_HD void offsets(int64_t i, int64_t (&off)[N]) const {
    if (ndim == 1) {
      for (int k = 0; k < N; ++k) off[k] = i * strides[k][0];
      return;
    }
    for (int k = 0; k < N; ++k) off[k] = 0;
    for (int d = ndim - 1; d >= 0; --d) {
      const int64_t idx = i % shape[d];
      i /= shape[d];
      for (int k = 0; k < N; ++k) off[k] += idx * strides[k][d];
    }
  }
};

// Geometry of operands that all have `shape`. A single element (every size 1, or a 0-d tensor)
// is one dimension of size 1 with stride 0 in every operand; an empty shape keeps numel 0.
template <int N>
Geometry<N> make_geometry(const Shape& shape, const std::array<const Strides*, N>& strides) {
  check<ShapeError>(shape.size() <= static_cast<size_t>(kMaxDims), "at most ", kMaxDims, " dimensions supported, got ",
                    shape.size());
  Geometry<N> g;
  for (size_t d = 0; d < shape.size(); ++d) {
    g.numel *= shape[d];
    if (shape[d] == 1) continue;
    g.shape[g.ndim] = shape[d];
    for (int k = 0; k < N; ++k) g.strides[k][g.ndim] = (*strides[k])[d];
    ++g.ndim;
  }
  if (g.ndim == 0) {
    g.ndim = 1;
    g.shape[0] = g.numel;
    for (int k = 0; k < N; ++k) g.strides[k][0] = 0;
    return g;
  }
  // Merge dim d into the previous kept one when every operand walks them as one.
  int out = 0;
  for (int d = 1; d < g.ndim; ++d) {
    bool mergeable = true;
    for (int k = 0; k < N; ++k) mergeable = mergeable && g.strides[k][out] == g.strides[k][d] * g.shape[d];
    if (mergeable) {
      g.shape[out] *= g.shape[d];
      for (int k = 0; k < N; ++k) g.strides[k][out] = g.strides[k][d];
    } else {
      ++out;
      g.shape[out] = g.shape[d];
      for (int k = 0; k < N; ++k) g.strides[k][out] = g.strides[k][d];
    }
  }
  g.ndim = out + 1;
  return g;
}

}  // namespace momenta::backend
