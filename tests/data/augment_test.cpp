// Augmentation: crop and flip on known images, the draws' range and seeding, and the DataLoader
// serving augmented batches that depend only on (seed, epoch, index), with or without prefetch.
#include "momenta/data/augment.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <vector>

#include "data/temp_dir.h"
#include "momenta/data/loader.h"
#include "momenta/error.h"

namespace momenta::data {
namespace {

using testing::random_bytes;

// A 1 x 4 x 4 image holding 1..16 row by row.
std::vector<float> counting_image() {
  std::vector<float> img(16);
  for (int i = 0; i < 16; ++i) img[static_cast<size_t>(i)] = static_cast<float>(i + 1);
  return img;
}

TEST(Augment, CropWithPaddingOnAKnownImage) {
  const Augmentation aug{4, 4, 1, false};
  const float pad = -1;
  std::vector<float> out(16);
  // Window at the padded image's top-left corner: one row and one column of padding.
  augment_sample(aug, {1, 4, 4}, {0, 0, false}, counting_image().data(), &pad, out.data());
  EXPECT_EQ(out, (std::vector<float>{-1, -1, -1, -1,  //
                                     -1, 1, 2, 3,     //
                                     -1, 5, 6, 7,     //
                                     -1, 9, 10, 11}));
  // Window at the bottom-right corner.
  augment_sample(aug, {1, 4, 4}, {2, 2, false}, counting_image().data(), &pad, out.data());
  EXPECT_EQ(out, (std::vector<float>{6, 7, 8, -1,     //
                                     10, 11, 12, -1,  //
                                     14, 15, 16, -1,  //
                                     -1, -1, -1, -1}));
  // The centre window is the image itself.
  augment_sample(aug, {1, 4, 4}, {1, 1, false}, counting_image().data(), &pad, out.data());
  EXPECT_EQ(out, counting_image());
}

TEST(Augment, FlipMirrorsTheCrop) {
  const Augmentation aug{4, 4, 1, true};
  const float pad = -1;
  std::vector<float> out(16);
  augment_sample(aug, {1, 4, 4}, {2, 1, true}, counting_image().data(), &pad, out.data());
  EXPECT_EQ(out, (std::vector<float>{8, 7, 6, 5,      //
                                     12, 11, 10, 9,   //
                                     16, 15, 14, 13,  //
                                     -1, -1, -1, -1}));
  augment_sample(aug, {1, 4, 4}, {0, 0, true}, counting_image().data(), &pad, out.data());
  EXPECT_EQ(out, (std::vector<float>{-1, -1, -1, -1,  //
                                     3, 2, 1, -1,     //
                                     7, 6, 5, -1,     //
                                     11, 10, 9, -1}));
  // Flip alone.
  const Augmentation flip_only{0, 0, 0, true};
  augment_sample(flip_only, {1, 4, 4}, {0, 0, true}, counting_image().data(), &pad, out.data());
  EXPECT_EQ(out[0], 4);
  EXPECT_EQ(out[3], 1);
  EXPECT_EQ(out[15], 13);
}

TEST(Augment, SmallerCropAndPerChannelPadding) {
  // Two channels (c * 100 + pixel), crop 2 x 3 with padding 2, window reaching into the padding.
  std::vector<float> img(2 * 3 * 3);
  for (int c = 0; c < 2; ++c) {
    for (int p = 0; p < 9; ++p) img[static_cast<size_t>(c * 9 + p)] = static_cast<float>(c * 100 + p);
  }
  const Augmentation aug{2, 3, 2, false};
  EXPECT_EQ(augmented_shape(aug, {2, 3, 3}), (Shape{2, 2, 3}));
  const float pad[2] = {-5, -7};
  std::vector<float> out(12);
  augment_sample(aug, {2, 3, 3}, {1, 3, false}, img.data(), pad, out.data());
  // Rows -1 and 0 of the image, columns 1..3 (column 3 is padding).
  EXPECT_EQ(out, (std::vector<float>{-5, -5, -5, 1, 2, -5,  //
                                     -7, -7, -7, 101, 102, -7}));
}

TEST(Augment, DrawsCoverTheRangeAndDependOnSeedEpochIndex) {
  const Augmentation aug = crop_and_flip(32, 4);
  const Shape s{3, 32, 32};
  std::set<int64_t> tops, lefts;
  int flips = 0;
  const int n = 4000;
  for (int i = 0; i < n; ++i) {
    const AugmentDraw d = draw_augmentation(aug, s, 7, 3, i);
    ASSERT_GE(d.top, 0);
    ASSERT_LE(d.top, 8);
    ASSERT_GE(d.left, 0);
    ASSERT_LE(d.left, 8);
    tops.insert(d.top);
    lefts.insert(d.left);
    flips += d.flip;
    const AugmentDraw again = draw_augmentation(aug, s, 7, 3, i);
    ASSERT_TRUE(d.top == again.top && d.left == again.left && d.flip == again.flip);
  }
  EXPECT_EQ(tops.size(), 9u);
  EXPECT_EQ(lefts.size(), 9u);
  EXPECT_GT(flips, n * 45 / 100);  // 1/2 +- 6 standard deviations
  EXPECT_LT(flips, n * 55 / 100);

  // Another epoch or seed draws differently for nearly every sample (a repeat has chance 1/162).
  int same_epoch = 0, same_seed = 0;
  for (int i = 0; i < 200; ++i) {
    const AugmentDraw a = draw_augmentation(aug, s, 7, 3, i);
    const AugmentDraw e = draw_augmentation(aug, s, 7, 4, i);
    const AugmentDraw k = draw_augmentation(aug, s, 8, 3, i);
    same_epoch += a.top == e.top && a.left == e.left && a.flip == e.flip;
    same_seed += a.top == k.top && a.left == k.left && a.flip == k.flip;
  }
  EXPECT_LT(same_epoch, 10);
  EXPECT_LT(same_seed, 10);
  EXPECT_FALSE(draw_augmentation(Augmentation{32, 32, 4, false}, s, 1, 1, 1).flip);
}

TEST(Augment, ParseAndValidate) {
  const Augmentation a = parse_augmentation("crop,flip", {1, 28, 28});
  EXPECT_EQ(a.crop_height, 28);
  EXPECT_EQ(a.crop_width, 28);
  EXPECT_EQ(a.crop_padding, 4);
  EXPECT_TRUE(a.horizontal_flip);
  const Augmentation b = parse_augmentation("flip,crop:2", {3, 32, 32});
  EXPECT_EQ(b.crop_padding, 2);
  EXPECT_FALSE(parse_augmentation("none", {3, 32, 32}).active());
  EXPECT_FALSE(parse_augmentation("", {3, 32, 32}).active());
  EXPECT_FALSE(parse_augmentation("crop:0", {3, 8, 8}).horizontal_flip);
  for (const char* bad : {"rotate", "crop,crop", "flip,flip", "crop:", "crop:x", "crop,", "crop4"}) {
    EXPECT_THROW(parse_augmentation(bad, {3, 32, 32}), ValueError) << bad;
  }
  try {
    parse_augmentation("crop,jitter", {3, 32, 32});
    FAIL() << "expected ValueError";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown item 'jitter'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(augmented_shape(Augmentation{41, 41, 4, false}, {3, 32, 32}), ShapeError);
  EXPECT_THROW(augmented_shape(Augmentation{8, 8, -1, false}, {3, 32, 32}), ValueError);
  EXPECT_THROW(augmented_shape(crop_and_flip(8, 0), {32, 32}), ShapeError);
}

// A dataset of random bytes; `reference` recomputes an augmented sample pixel by pixel from the
// stored bytes, independently of augment_sample's row copies.
struct ByteImages {
  ImageDataset ds;
  ByteImages(int64_t n, const Shape& s, Normalization norm, uint32_t seed)
      : ds(random_bytes(static_cast<size_t>(n * shape_numel(s)), seed), s, labels(n), 10, std::move(norm)) {}
  static std::vector<int64_t> labels(int64_t n) {
    std::vector<int64_t> l(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) l[static_cast<size_t>(i)] = i % 10;
    return l;
  }
  std::vector<float> reference(const Augmentation& aug, uint64_t seed, int64_t epoch, int64_t index) const {
    const Shape s = ds.sample_shape();
    const int64_t C = s[0], H = s[1], W = s[2], p = aug.crop_padding;
    const AugmentDraw d = draw_augmentation(aug, s, seed, epoch, index);
    std::vector<float> out;
    for (int64_t c = 0; c < C; ++c) {
      for (int64_t y = 0; y < aug.crop_height; ++y) {
        for (int64_t x = 0; x < aug.crop_width; ++x) {
          const int64_t sy = y + d.top - p, sx = (d.flip ? aug.crop_width - 1 - x : x) + d.left - p;
          const bool inside = sy >= 0 && sy < H && sx >= 0 && sx < W;
          const uint8_t byte = inside ? ds.images()[static_cast<size_t>(((index * C + c) * H + sy) * W + sx)] : 0;
          const double m = ds.normalization().mean[static_cast<size_t>(c) % ds.normalization().mean.size()];
          const double sd = ds.normalization().stddev[static_cast<size_t>(c) % ds.normalization().stddev.size()];
          out.push_back(static_cast<float>((byte / 255.0 - m) / sd));
        }
      }
    }
    return out;
  }
};

// Every sample of one epoch, keyed by dataset index (labels here are index % 10, so the index is
// recovered from the loader's order).
std::map<int64_t, std::vector<float>> epoch_samples(DataLoader& loader, int64_t epoch, int64_t first_batch = 0) {
  std::map<int64_t, std::vector<float>> out;
  loader.start_epoch(epoch, first_batch);
  const int64_t numel = shape_numel(loader.sample_shape());
  Batch b;
  while (loader.next(b)) {
    EXPECT_EQ(b.images.shape()[1], loader.sample_shape()[0]);
    for (int64_t k = 0; k < b.labels.numel(); ++k) {
      const int64_t index = loader.order()[static_cast<size_t>(b.index * loader.options().batch_size + k)];
      const float* x = b.images.data<float>() + k * numel;
      out[index] = std::vector<float>(x, x + numel);
    }
  }
  return out;
}

TEST(AugmentLoader, FashionMnistCropFlipMatchesReference) {
  // The ResNet-20 Fashion-MNIST recipe: 1 x 28 x 28, crop 28 with padding 4 (black), flip.
  const ByteImages data(37, {1, 28, 28}, fashion_mnist_normalization(), 3);
  const Augmentation aug = parse_augmentation("crop,flip", data.ds.sample_shape());
  DataLoader loader(data.ds, {.batch_size = 8, .shuffle = true, .drop_last = false, .seed = 5, .prefetch = true}, aug);
  EXPECT_EQ(loader.sample_shape(), (Shape{1, 28, 28}));
  for (int64_t epoch : {0, 1}) {
    const auto samples = epoch_samples(loader, epoch);
    ASSERT_EQ(samples.size(), 37u);
    for (const auto& [index, pixels] : samples) {
      ASSERT_EQ(pixels, data.reference(aug, 5, epoch, index)) << "epoch " << epoch << " sample " << index;
    }
  }
  EXPECT_FLOAT_EQ(data.ds.black_value(0), static_cast<float>((0 - 0.2860) / 0.3530));
}

TEST(AugmentLoader, SameBatchesWithOrWithoutPrefetchAndAcrossLoaders) {
  const ByteImages data(50, {3, 32, 32}, cifar10_normalization(), 4);
  const Augmentation aug = crop_and_flip(32, 4);
  const auto run = [&](bool prefetch) {
    DataLoader loader(data.ds, {.batch_size = 7, .shuffle = true, .drop_last = false, .seed = 11, .prefetch = prefetch},
                      aug);
    std::vector<std::vector<float>> batches;
    for (int64_t epoch : {0, 1, 2}) {
      loader.start_epoch(epoch);
      Batch b;
      while (loader.next(b)) batches.emplace_back(b.images.data<float>(), b.images.data<float>() + b.images.numel());
    }
    return batches;
  };
  const auto with = run(true);
  EXPECT_EQ(with, run(false));
  EXPECT_EQ(with, run(true));   // a second run of the same seed
  EXPECT_NE(with[0], with[8]);  // epochs differ (8 batches per epoch)
}

TEST(AugmentLoader, DependsOnlyOnSeedEpochAndIndex) {
  const ByteImages data(30, {3, 8, 8}, cifar100_normalization(), 5);
  const Augmentation aug = crop_and_flip(6, 2);  // a crop smaller than the image changes the shape
  DataLoader shuffled(data.ds, {.batch_size = 4, .shuffle = true, .drop_last = false, .seed = 9, .prefetch = true},
                      aug);
  DataLoader ordered(data.ds, {.batch_size = 11, .shuffle = false, .drop_last = false, .seed = 9, .prefetch = false},
                     aug);
  EXPECT_EQ(shuffled.sample_shape(), (Shape{3, 6, 6}));
  const auto a = epoch_samples(shuffled, 2);
  EXPECT_EQ(a, epoch_samples(ordered, 2));
  for (const auto& [index, pixels] : a) ASSERT_EQ(pixels, data.reference(aug, 9, 2, index)) << index;

  // Resuming mid-epoch sees the same samples as the full epoch.
  const auto resumed = epoch_samples(shuffled, 2, 3);
  ASSERT_EQ(resumed.size(), 30u - 12u);
  for (const auto& [index, pixels] : resumed) EXPECT_EQ(pixels, a.at(index));

  // Another seed changes the augmentation of the same index.
  DataLoader other(data.ds, {.batch_size = 11, .shuffle = false, .drop_last = false, .seed = 10, .prefetch = true},
                   aug);
  EXPECT_NE(epoch_samples(other, 2), a);
}

TEST(AugmentLoader, NoAugmentationIsPlainGather) {
  const ByteImages data(9, {3, 4, 4}, {}, 6);
  DataLoader plain(data.ds, {.batch_size = 4, .shuffle = false, .drop_last = false, .seed = 0, .prefetch = true});
  DataLoader none(data.ds, {.batch_size = 4, .shuffle = false, .drop_last = false, .seed = 0, .prefetch = true},
                  parse_augmentation("none", {3, 4, 4}));
  EXPECT_EQ(epoch_samples(plain, 0), epoch_samples(none, 0));
  EXPECT_THROW(DataLoader(data.ds, LoaderOptions{}, Augmentation{5, 5, 0, false}), ShapeError);
}

}  // namespace
}  // namespace momenta::data
