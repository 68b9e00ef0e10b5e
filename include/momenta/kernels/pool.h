// Per-window math of 2-D pooling, shared by the CPU kernel (src/backend/cpu/pool_cpu.cpp) and
// the CUDA one (src/backend/cuda/pool_cuda.cu): which input rows and columns a window covers and
// the divisor of an average. C++17, so nvcc can compile it.
#pragma once

#include <cmath>
#include <cstdint>

#include "momenta/kernels/common.h"

namespace momenta::kernels {

struct PoolWindow {
  int64_t h0, h1, w0, w1;  // the window clipped to the input: rows [h0, h1), columns [w0, w1)
  int64_t count;           // the divisor of an average
};

// The window of output (oh, ow) over an H x W input, for an R x S window with the given strides
// and padding. count_include_pad: PyTorch's divisor, the window clipped to the padded input (not
// to the input); otherwise the number of input elements it covers.
MOMENTA_HD PoolWindow pool_window(int64_t oh, int64_t ow, int64_t h, int64_t w, int64_t r, int64_t s,
                                  int64_t stride_h, int64_t stride_w, int64_t pad_h, int64_t pad_w,
                                  bool count_include_pad) {
  const int64_t hs = oh * stride_h - pad_h, ws = ow * stride_w - pad_w;
  PoolWindow win{hs > 0 ? hs : 0, hs + r < h ? hs + r : h, ws > 0 ? ws : 0, ws + s < w ? ws + s : w, 0};
  if (count_include_pad) {
    const int64_t hp = hs + r < h + pad_h ? hs + r : h + pad_h, wp = ws + s < w + pad_w ? ws + s : w + pad_w;
    win.count = (hp - hs) * (wp - ws);
  } else {
    win.count = (win.h1 - win.h0) * (win.w1 - win.w0);
  }
  return win;
}

// Max pooling's comparison: v replaces the running maximum `best` when larger, or when v is NaN
// and best is not (NaN counts as maximal; the first maximum of a window wins ties).
template <class T>
MOMENTA_HD bool pool_max_better(T v, T best) {
  return v > best || (v != v && !(best != best));
}

// Max pooling of one window of an input plane (row length w): the maximum, and in arg its flat
// index in the plane (the first maximum; the window's first element when the window is empty,
// whose maximum is then -infinity).
template <class T>
MOMENTA_HD T pool_window_max(const T* plane, int64_t w, const PoolWindow& win, int64_t& arg) {
  T best = -static_cast<T>(INFINITY);
  int64_t at = win.h0 * w + win.w0;
  for (int64_t ih = win.h0; ih < win.h1; ++ih)
    for (int64_t iw = win.w0; iw < win.w1; ++iw) {
      const T v = plane[ih * w + iw];
      if (pool_max_better(v, best)) {
        best = v;
        at = ih * w + iw;
      }
    }
  arg = at;  // one store (on a GPU, arg is global memory)
  return best;
}

// Average pooling of one window: a double accumulator, row by row, divided by win.count (0 for
// a window with nothing to count).
template <class T>
MOMENTA_HD T pool_window_avg(const T* plane, int64_t w, const PoolWindow& win) {
  double acc = 0.0;
  for (int64_t ih = win.h0; ih < win.h1; ++ih)
    for (int64_t iw = win.w0; iw < win.w1; ++iw) acc += static_cast<double>(plane[ih * w + iw]);
  return static_cast<T>(win.count > 0 ? acc / static_cast<double>(win.count) : 0.0);
}

// The share of an output gradient gy that average pooling hands each input its window covers.
template <class T>
MOMENTA_HD T pool_avg_grad(T gy, const PoolWindow& win) {
  return win.count > 0 ? gy / static_cast<T>(win.count) : T(0);
}

}  // namespace momenta::kernels
