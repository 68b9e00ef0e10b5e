#include "momenta/io/image_grid.h"

#include <stb/stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <string_view>

#include "momenta/error.h"
#include "momenta/io/text_file.h"

namespace momenta::io {

GridImage make_grid(const Tensor& images, const GridOptions& o) {
  check<ShapeError>(images.dim() == 4 && images.size(0) >= 1 && (images.size(1) == 1 || images.size(1) == 3) &&
                        images.size(2) >= 1 && images.size(3) >= 1 && is_floating(images.dtype()),
                    "image grid: expected floating images [N, 1 or 3, H, W] with N >= 1, got ", fmt(images.shape()));
  check<ValueError>(o.cols >= 0 && o.padding >= 0 && o.low < o.high, "image grid: expected cols >= 0, padding >= 0 and ",
                    "low < high, got cols ", o.cols, ", padding ", o.padding, ", range [", o.low, ", ", o.high, "]");
  const int64_t n = images.size(0), c = images.size(1), h = images.size(2), w = images.size(3);
  int64_t cols = o.cols;
  if (cols == 0)
    while (cols * cols < n) ++cols;
  cols = std::min(cols, n);
  const int64_t rows = (n + cols - 1) / cols, pad = o.padding;
  GridImage g;
  g.channels = c;
  g.width = cols * (w + pad) + pad;
  g.height = rows * (h + pad) + pad;
  g.pixels.assign(static_cast<size_t>(g.width * g.height * c), o.pad_value);
  const auto v = images.to(kCPU).to(kFloat64).contiguous().to_vector<double>();
  const double scale = 255.0 / (o.high - o.low);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t x0 = pad + (i % cols) * (w + pad), y0 = pad + (i / cols) * (h + pad);
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) {
          const double val = v[static_cast<size_t>(((i * c + ch) * h + y) * w + x)];
          const double level = std::isnan(val) ? 0.0 : std::clamp((val - o.low) * scale, 0.0, 255.0);
          g.pixels[static_cast<size_t>(((y0 + y) * g.width + x0 + x) * c + ch)] =
              static_cast<uint8_t>(std::lround(level));
        }
  }
  return g;
}

void write_png_grid(const std::string& path, const Tensor& images, const GridOptions& options) {
  const GridImage g = make_grid(images, options);
  std::string png;
  const auto append = [](void* ctx, void* data, int size) {
    static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  const int ok = stbi_write_png_to_func(append, &png, static_cast<int>(g.width), static_cast<int>(g.height),
                                        static_cast<int>(g.channels), g.pixels.data(),
                                        static_cast<int>(g.width * g.channels));
  check<IOError>(ok != 0 && !png.empty(), "cannot encode the PNG grid for '", path, "'");
  write_text_file(path, png);
}

}  // namespace momenta::io
