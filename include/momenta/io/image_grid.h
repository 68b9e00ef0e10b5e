// PNG grids of images (samples of a generative model, a denoising strip): N images [N, C, H, W]
// with C = 1 (grey) or 3 (RGB) tiled in rows, values mapped linearly from [low, high] to 0..255.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "momenta/tensor.h"

namespace momenta::io {

struct GridOptions {
  int64_t cols = 0;         // images per row; 0: the smallest c with c * c >= N
  int64_t padding = 2;      // pixels between images and around the grid
  uint8_t pad_value = 255;  // the padding's grey level
  double low = 0.0, high = 1.0;  // the value range shown black to white (outside: clamped; NaN: black)
};

struct GridImage {
  int64_t width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;  // row-major, interleaved channels
};

// The grid as 8-bit pixels. ShapeError for anything but a floating [N, 1|3, H, W] tensor with N >= 1;
// ValueError for cols < 0, padding < 0 or low >= high.
GridImage make_grid(const Tensor& images, const GridOptions& options = {});
// make_grid written to `path` as PNG; IOError naming the path when it cannot be written.
void write_png_grid(const std::string& path, const Tensor& images, const GridOptions& options = {});

}  // namespace momenta::io
