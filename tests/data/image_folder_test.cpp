// Image folders on PNG/JPEG files the tests write with stb_image_write: classes in sorted order,
// exact pixels, grey and RGB, bilinear resizing, train/test splits, and the errors for an
// undecodable image, an empty class folder and a folder without classes.
#include "momenta/data/image_folder.h"

#include <gtest/gtest.h>
#include <stb/stb_image_write.h>

#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "data/temp_dir.h"
#include "momenta/error.h"

namespace momenta::data {
namespace {

using testing::random_bytes;
using testing::read_bytes;
using testing::write_bytes;
using Bytes = std::vector<uint8_t>;

// Interleaved [h, w, c] (what stb writes) to planar [c, h, w] (what samples hold).
Bytes planar(const Bytes& hwc, int h, int w, int c) {
  Bytes out(hwc.size());
  for (int p = 0; p < h * w; ++p) {
    for (int k = 0; k < c; ++k) out[static_cast<size_t>(k * h * w + p)] = hwc[static_cast<size_t>(p * c + k)];
  }
  return out;
}

ImageFolderOptions options(int64_t height, int64_t width, int64_t channels) {
  ImageFolderOptions o;
  o.height = height;
  o.width = width;
  o.channels = channels;
  return o;
}

class ImageFolderTest : public testing::TempDirTest {
 protected:
  // Writes a random h x w PNG with c channels at `name` and returns its planar pixels.
  Bytes write_png(const std::string& name, int h, int w, int c, uint32_t seed) {
    const Bytes hwc = random_bytes(static_cast<size_t>(h * w * c), seed);
    EXPECT_NE(stbi_write_png(path(name).c_str(), w, h, c, hwc.data(), w * c), 0) << name;
    return planar(hwc, h, w, c);
  }
  std::string root(const std::string& sub = "") const { return (dir_ / sub).string(); }
};

TEST_F(ImageFolderTest, ClassesSortedAndPixelsExact) {
  // Written out of order; a non-image file and a hidden file are ignored.
  const Bytes d0 = write_png("dog/b.png", 4, 5, 3, 1);
  const Bytes d1 = write_png("dog/a.png", 4, 5, 3, 2);
  const Bytes c0 = write_png("cat/x.png", 4, 5, 3, 3);
  const Bytes n0 = write_png("cat/nested/y.png", 4, 5, 3, 4);
  write_bytes(path("cat/notes.txt"), {1, 2, 3});
  write_bytes(path("dog/.hidden.png"), {1, 2, 3});

  const ImageFolder f = load_image_folder(root(), options(4, 5, 3));
  EXPECT_EQ(f.class_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_EQ(f.dataset.size(), 4);
  EXPECT_EQ(f.dataset.sample_shape(), (Shape{3, 4, 5}));
  EXPECT_EQ(f.dataset.num_classes(), 2);
  EXPECT_EQ(f.dataset.labels(), (std::vector<int64_t>{0, 0, 1, 1}));
  EXPECT_EQ(f.files, (std::vector<std::string>{path("cat/nested/y.png"), path("cat/x.png"), path("dog/a.png"),
                                               path("dog/b.png")}));
  Bytes expected;
  for (const Bytes* b : {&n0, &c0, &d1, &d0}) expected.insert(expected.end(), b->begin(), b->end());
  EXPECT_EQ(f.dataset.images(), expected);
}

TEST_F(ImageFolderTest, GreyAndChannelConversion) {
  const Bytes grey = write_png("a/g.png", 3, 3, 1, 5);
  const ImageFolder g = load_image_folder(root(), options(3, 3, 1));
  EXPECT_EQ(g.dataset.images(), grey);
  // A grey image read as RGB repeats its plane three times.
  const ImageFolder rgb = load_image_folder(root(), options(3, 3, 3));
  Bytes tripled;
  for (int k = 0; k < 3; ++k) tripled.insert(tripled.end(), grey.begin(), grey.end());
  EXPECT_EQ(rgb.dataset.images(), tripled);
}

TEST_F(ImageFolderTest, JpegDecodes) {
  // A flat colour survives JPEG nearly unchanged (the DCT of a constant block is one coefficient).
  const int h = 16, w = 16;
  Bytes hwc;
  for (int p = 0; p < h * w; ++p) hwc.insert(hwc.end(), {200, 100, 50});
  ASSERT_NE(stbi_write_jpg(path("a/p.jpg").c_str(), w, h, 3, hwc.data(), 100), 0);
  const ImageFolder f = load_image_folder(root(), options(h, w, 3));
  const Bytes& img = f.dataset.images();
  for (int c = 0; c < 3; ++c) {
    const int want = c == 0 ? 200 : (c == 1 ? 100 : 50);
    for (int p = 0; p < h * w; ++p) ASSERT_NEAR(img[static_cast<size_t>(c * h * w + p)], want, 2) << c << " " << p;
  }
}

TEST(ResizeBilinear, PixelCentresAligned) {
  // 1 x 2 -> 1 x 4: source x at output centres is -0.25 (clamped to 0), 0.25, 0.75, 1.25 (to 1).
  const Bytes up_src = {0, 100};
  Bytes up(4);
  resize_bilinear(up_src.data(), 1, 1, 2, up.data(), 1, 4);
  EXPECT_EQ(up, (Bytes{0, 25, 75, 100}));
  // 1 x 4 -> 1 x 2: centres land halfway between source pixels.
  const Bytes down_src = {10, 20, 31, 40};
  Bytes down(2);
  resize_bilinear(down_src.data(), 1, 1, 4, down.data(), 1, 2);
  EXPECT_EQ(down, (Bytes{15, 36}));  // 35.5 rounds up
  // Same size is the identity, per channel and in both directions.
  const Bytes same_src = random_bytes(2 * 3 * 5, 9);
  Bytes same(same_src.size());
  resize_bilinear(same_src.data(), 2, 3, 5, same.data(), 3, 5);
  EXPECT_EQ(same, same_src);
  // 2 x 2 -> 4 x 4 interpolates rows and columns independently.
  const Bytes sq = {0, 100, 200, 40};
  Bytes big(16);
  resize_bilinear(sq.data(), 1, 2, 2, big.data(), 4, 4);
  const double wy[4] = {0, 0.25, 0.75, 1}, wx[4] = {0, 0.25, 0.75, 1};
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) {
      const double top = 0 + wx[x] * 100, bottom = 200 + wx[x] * (40 - 200);
      EXPECT_EQ(big[static_cast<size_t>(y * 4 + x)],
                static_cast<uint8_t>(std::floor(top + wy[y] * (bottom - top) + 0.5)))
          << y << "," << x;
    }
  }
}

TEST_F(ImageFolderTest, ResizesToTheRequestedSize) {
  const Bytes src = write_png("a/big.png", 6, 8, 3, 7);
  write_png("b/small.png", 2, 2, 3, 8);
  const ImageFolder f = load_image_folder(root(), options(3, 4, 3));
  EXPECT_EQ(f.dataset.sample_shape(), (Shape{3, 3, 4}));
  Bytes expected(3 * 3 * 4);
  resize_bilinear(src.data(), 3, 6, 8, expected.data(), 3, 4);
  EXPECT_EQ(Bytes(f.dataset.images().begin(), f.dataset.images().begin() + 36), expected);
}

TEST_F(ImageFolderTest, SplitsShareTheTrainingClasses) {
  write_png("train/ant/1.png", 2, 2, 3, 1);
  write_png("train/bee/1.png", 2, 2, 3, 2);
  write_png("train/cow/1.png", 2, 2, 3, 3);
  write_png("val/ant/1.png", 2, 2, 3, 4);
  write_png("val/cow/1.png", 2, 2, 3, 5);
  const ImageFolderSplits s = load_image_folder_splits(root(), options(2, 2, 3));
  EXPECT_EQ(s.test.class_names, s.train.class_names);
  EXPECT_EQ(s.test.dataset.num_classes(), 3);
  EXPECT_EQ(s.test.dataset.labels(), (std::vector<int64_t>{0, 2}));  // cow keeps label 2

  write_png("val/dog/1.png", 2, 2, 3, 6);
  try {
    load_image_folder_splits(root(), options(2, 2, 3));
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("'dog' is not one of the known classes (ant, bee, cow)"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(load_image_folder_splits(root("train"), ImageFolderOptions{}), IOError);
}

TEST_F(ImageFolderTest, UndecodableImageNamesTheFile) {
  write_png("a/good.png", 4, 4, 3, 1);
  write_bytes(path("b/broken.png"), random_bytes(200, 2));
  const auto expect_named = [&](const std::string& file, const std::string& what = ": cannot decode image") {
    try {
      load_image_folder(root(), options(4, 4, 3));
      FAIL() << "expected FormatError for " << file;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(path(file) + what), std::string::npos) << e.what();
    }
  };
  expect_named("b/broken.png");
  // With two bad files the first in sample order is named, whichever thread decodes it.
  write_bytes(path("b/zz.png"), random_bytes(300, 4));
  expect_named("b/broken.png");
  std::filesystem::remove(path("b/zz.png"));
  // A PNG cut in half.
  std::filesystem::remove(path("b/broken.png"));
  write_png("b/whole.png", 8, 8, 3, 3);
  Bytes png = read_bytes(path("b/whole.png"));
  png.resize(png.size() / 2);
  write_bytes(path("b/half.png"), png);
  expect_named("b/half.png", ": truncated PNG: chunk 'IDAT'");  // found before stb allocates for it
  // An empty file.
  std::filesystem::remove(path("b/half.png"));
  write_bytes(path("b/empty.jpg"), {});
  EXPECT_THROW(load_image_folder(root(), options(4, 4, 3)), FormatError);
}

// A header is believed only within limits: a 20000x20000 claim once cost 1.2 GB and decoded as
// zeros; a BMP claiming more rows than it holds was read past its end as black pixels.
TEST_F(ImageFolderTest, LyingImageHeadersAreRefusedBeforeDecoding) {
  const Bytes hwc = random_bytes(4 * 4 * 3, 5);
  ASSERT_NE(stbi_write_bmp(path("a/img.bmp").c_str(), 4, 4, 3, hwc.data()), 0);
  const Bytes good = read_bytes(path("a/img.bmp"));
  ASSERT_EQ(read_image(path("a/img.bmp"), 3, 4, 4), planar(hwc, 4, 4, 3));
  const auto patched = [&](uint32_t w, uint32_t h) {
    Bytes b = good;
    for (int i = 0; i < 4; ++i) {
      b[static_cast<size_t>(18 + i)] = static_cast<uint8_t>(w >> (8 * i));  // biWidth
      b[static_cast<size_t>(22 + i)] = static_cast<uint8_t>(h >> (8 * i));  // biHeight
    }
    return b;
  };
  const auto error_of = [&](const Bytes& bytes) -> std::string {
    write_bytes(path("a/img.bmp"), bytes);
    try {
      read_image(path("a/img.bmp"), 3, 4, 4);
    } catch (const FormatError& e) {
      return e.what();
    }
    return "no FormatError";
  };
  std::string msg = error_of(patched(20000, 20000));
  EXPECT_NE(msg.find(path("a/img.bmp") + ": the image header claims 20000x20000 pixels, more than the 8192x8192"),
            std::string::npos)
      << msg;
  msg = error_of(patched(4, 4000));
  EXPECT_NE(msg.find(path("a/img.bmp") + ": truncated BMP: the header claims 4x4000 pixels at 24 bits"),
            std::string::npos)
      << msg;
  // A cut file, header intact.
  msg = error_of(Bytes(good.begin(), good.end() - 10));
  EXPECT_NE(msg.find("truncated BMP"), std::string::npos) << msg;
  // The same through the in-memory entry point.
  const Bytes lying = patched(9000, 2);
  EXPECT_THROW(decode_image(lying.data(), lying.size(), "mem", 3, 4, 4), FormatError);
}

// A DHT table listing more than 256 codes made Debian's stb_image write past its Huffman size
// table (fuzz/regressions/image/stb-jpeg-huffman-257); it is refused before stb parses the file.
TEST_F(ImageFolderTest, JpegHuffmanTableWithTooManyCodesIsRefused) {
  const int h = 8, w = 8;
  const Bytes hwc = random_bytes(h * w * 3, 9);
  ASSERT_NE(stbi_write_jpg(path("a/p.jpg").c_str(), w, h, 3, hwc.data(), 90), 0);
  Bytes jpg = read_bytes(path("a/p.jpg"));
  ASSERT_EQ(read_image(path("a/p.jpg"), 3, h, w).size(), static_cast<size_t>(3 * h * w));  // the good file decodes
  size_t dht = 0;
  for (size_t i = 2; i + 1 < jpg.size(); ++i)
    if (jpg[i] == 0xFF && jpg[i + 1] == 0xC4) {
      dht = i;
      break;
    }
  ASSERT_GT(dht, 0u) << "stb_image_write's JPEG has no DHT segment";
  jpg[dht + 4 + 1 + 14] = 200;  // the first table's counts of 15- and 16-bit codes: 400 codes in all
  jpg[dht + 4 + 1 + 15] = 200;
  try {
    decode_image(jpg.data(), jpg.size(), "p.jpg", 3, h, w);
    ADD_FAILURE() << "no error";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("p.jpg: corrupt JPEG: a Huffman table (DHT) lists"), std::string::npos)
        << e.what();
  }
}

// NOTE [PNM header] (src/data/image_folder.cpp): binary PGM/PPM headers are read before stb_image,
// whose 2.27 reader overflows on long numbers, overruns its buffer on 16-bit files and ignores
// maxval (reproducers in fuzz/regressions/image/stb-pnm-*).
TEST_F(ImageFolderTest, PnmHeadersAreCheckedBeforeStb) {
  const auto pnm = [](const std::string& header, size_t pixel_bytes, uint8_t first = 7) {
    Bytes b(header.begin(), header.end());
    for (size_t k = 0; k < pixel_bytes; ++k) b.push_back(static_cast<uint8_t>(first + 10 * k));
    return b;
  };
  // Good files decode exactly, comments and all: grey 3x2, and RGB 2x1 read as grey and as RGB.
  const Bytes grey = pnm("P5\n# a comment\n3 2\n255\n", 6);
  EXPECT_EQ(decode_image(grey.data(), grey.size(), "g.pgm", 1, 2, 3), (Bytes{7, 17, 27, 37, 47, 57}));
  const Bytes rgb = pnm("P6 2 1 255 ", 6);
  EXPECT_EQ(decode_image(rgb.data(), rgb.size(), "c.ppm", 3, 1, 2), (Bytes{7, 37, 17, 47, 27, 57}));
  EXPECT_EQ(decode_image(rgb.data(), rgb.size(), "c.ppm", 1, 1, 2).size(), 2u);
  const auto error_of = [](const Bytes& b) -> std::string {
    try {
      decode_image(b.data(), b.size(), "x.pgm", 3, 2, 2);
    } catch (const FormatError& e) {
      return e.what();
    }
    return "no FormatError";
  };
  // 16-bit data converted to RGB overran stb's buffer; other maxvals would decode unscaled.
  std::string msg = error_of(pnm("P5\n2 2\n65535\n", 8));
  EXPECT_NE(msg.find("x.pgm: PNM maxval is 65535; this reader decodes 8-bit PGM/PPM only"), std::string::npos) << msg;
  msg = error_of(pnm("P5\n2 2\n15\n", 4));
  EXPECT_NE(msg.find("PNM maxval is 15"), std::string::npos) << msg;
  // Numbers that overflowed stb's int, missing fields, sizes and truncated pixels.
  msg = error_of(pnm("P5\n1111111111 2\n255\n", 4));
  EXPECT_NE(msg.find("x.pgm: corrupt PNM header: the width has more than 9 digits"), std::string::npos) << msg;
  msg = error_of(pnm("P6\n2 # no height\n", 0));
  EXPECT_NE(msg.find("corrupt PNM header: expected the height"), std::string::npos) << msg;
  msg = error_of(pnm("P5\n0 2\n255\n", 4));
  EXPECT_NE(msg.find("claims 0x2 pixels"), std::string::npos) << msg;
  msg = error_of(pnm("P6\n2 2\n255\n", 11));
  EXPECT_NE(msg.find("x.pgm: truncated PNM: the header claims 2x2x3 bytes of pixels, the file holds 11"),
            std::string::npos)
      << msg;
}

TEST_F(ImageFolderTest, EmptyClassFolderNamesTheFolder) {
  write_png("a/1.png", 2, 2, 3, 1);
  std::filesystem::create_directories(path("b"));
  write_bytes(path("b/readme.txt"), {65});  // not an image: the folder still counts as empty
  try {
    load_image_folder(root(), options(2, 2, 3));
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("class folder '" + path("b") + "' holds no image"), std::string::npos)
        << e.what();
  }
}

TEST_F(ImageFolderTest, FolderErrorsAndOptions) {
  EXPECT_THROW(load_image_folder(root("missing"), ImageFolderOptions{}), IOError);
  write_bytes(path("loose.png"), {1});
  EXPECT_THROW(load_image_folder(root(), ImageFolderOptions{}), FormatError);  // no class folder
  write_png("a/1.png", 2, 2, 3, 1);
  EXPECT_THROW(load_image_folder(root(), options(2, 2, 2)), ValueError);
  EXPECT_THROW(load_image_folder(root(), options(0, 2, 3)), ValueError);
  ImageFolderOptions twice = options(2, 2, 3);
  twice.classes = {"a", "a"};
  EXPECT_THROW(load_image_folder(root(), twice), ValueError);
  EXPECT_THROW(read_image(path("a/none.png"), 3, 2, 2), IOError);
  EXPECT_THROW(read_image(path("a"), 3, 2, 2), IOError);
}

}  // namespace
}  // namespace momenta::data
