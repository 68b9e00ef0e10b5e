// PNG grids: layout, value mapping, and the file read back by stb_image.
#include <gtest/gtest.h>

#include <stb/stb_image.h>

#include <cmath>
#include <filesystem>

#include "momenta/error.h"
#include "momenta/io/image_grid.h"

using namespace momenta;

namespace {

// Image i of N: every pixel (y, x) of channel ch holds (i + ch + y * 0.1 + x * 0.01) / 10.
Tensor ramp_images(int64_t n, int64_t c, int64_t h, int64_t w) {
  std::vector<double> v;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t x = 0; x < w; ++x) v.push_back((static_cast<double>(i + ch) + 0.1 * y + 0.01 * x) / 10.0);
  return Tensor::from_vector(v).reshape({n, c, h, w});
}

}  // namespace

TEST(ImageGrid, TilesImagesRowByRowWithPadding) {
  const Tensor imgs = ramp_images(5, 1, 3, 4);
  io::GridOptions o;
  o.padding = 1;
  o.pad_value = 7;
  const io::GridImage g = io::make_grid(imgs, o);  // 5 images: 3 columns, 2 rows
  ASSERT_EQ(g.width, 3 * (4 + 1) + 1);
  ASSERT_EQ(g.height, 2 * (3 + 1) + 1);
  ASSERT_EQ(g.channels, 1);
  const auto at = [&](int64_t y, int64_t x) { return g.pixels[static_cast<size_t>(y * g.width + x)]; };
  EXPECT_EQ(at(0, 0), 7);
  // Image 4 sits in row 1, column 1: its pixel (2, 3) is at (1 + 4 + 2, 1 + 5 + 3).
  EXPECT_EQ(at(7, 9), static_cast<uint8_t>(std::lround((4 + 0.2 + 0.03) / 10.0 * 255.0)));
  // Image 1 sits in row 0, column 1: its pixel (0, 0).
  EXPECT_EQ(at(1, 6), static_cast<uint8_t>(std::lround(0.1 * 255.0)));
  // The empty sixth cell is padding.
  EXPECT_EQ(at(6, 12), 7);
}

TEST(ImageGrid, MapsTheRangeAndClampsOutside) {
  const Tensor imgs = Tensor::from_vector(std::vector<double>{-2.0, -1.0, 0.0, 1.0, 5.0, NAN}).reshape({1, 1, 1, 6});
  io::GridOptions o;
  o.padding = 0;
  o.low = -1.0;
  o.high = 1.0;
  const io::GridImage g = io::make_grid(imgs, o);
  EXPECT_EQ(g.pixels, (std::vector<uint8_t>{0, 0, 128, 255, 255, 0}));
}

TEST(ImageGrid, WritesAPngThatReadsBack) {
  const Tensor imgs = ramp_images(4, 3, 5, 6);
  const std::string path =
      (std::filesystem::temp_directory_path() / ("momenta_grid_" + std::to_string(::getpid()) + ".png")).string();
  io::write_png_grid(path, imgs);
  const io::GridImage g = io::make_grid(imgs);
  int w = 0, h = 0, c = 0;
  unsigned char* px = stbi_load(path.c_str(), &w, &h, &c, 0);
  ASSERT_NE(px, nullptr);
  EXPECT_EQ(w, g.width);
  EXPECT_EQ(h, g.height);
  EXPECT_EQ(c, 3);
  EXPECT_EQ(std::vector<uint8_t>(px, px + w * h * c), g.pixels);
  stbi_image_free(px);
  std::filesystem::remove(path);
}

TEST(ImageGrid, RejectsWhatIsNotAnImageBatch) {
  EXPECT_THROW(io::make_grid(ramp_images(2, 2, 3, 3)), ShapeError);
  EXPECT_THROW(io::make_grid(Tensor::zeros({3, 3}, kFloat32)), ShapeError);
  io::GridOptions o;
  o.low = 1.0;
  o.high = 1.0;
  EXPECT_THROW(io::make_grid(ramp_images(1, 1, 2, 2), o), ValueError);
  EXPECT_THROW(io::write_png_grid("/no/such/dir/grid.png", ramp_images(1, 1, 2, 2)), IOError);
}
