#include "momenta/data/augment.h"

#include <algorithm>
#include <cstring>

#include "momenta/error.h"
#include "momenta/kernels/philox.h"

namespace momenta::data {
namespace {

// Counter word 3 of the augmentation stream ("aug1"); random_permutation leaves it 0.
constexpr uint32_t kAugmentTag = 0x61756731u;

// Uniform in [0, range) from 32 random bits by multiply-shift; the bias is below range / 2^32.
int64_t uniform_below(uint32_t bits, int64_t range) {
  return static_cast<int64_t>((static_cast<uint64_t>(bits) * static_cast<uint64_t>(range)) >> 32);
}

}  // namespace

Augmentation crop_and_flip(int64_t size, int64_t padding) { return Augmentation{size, size, padding, true}; }

Augmentation parse_augmentation(const std::string& spec, const Shape& sample_shape) {
  check<ShapeError>(sample_shape.size() == 3, "augmentation: sample shape must be [C, H, W], got ", fmt(sample_shape));
  Augmentation aug;
  if (spec.empty() || spec == "none") return aug;
  bool seen_crop = false, seen_flip = false;
  size_t start = 0;
  while (start <= spec.size()) {
    const size_t comma = std::min(spec.find(',', start), spec.size());
    const std::string item = spec.substr(start, comma - start);
    start = comma + 1;
    const auto fail = [&](const std::string& why) {
      throw ValueError(str_cat("augmentation '", excerpt(spec), "': ", why, "; expected a comma-separated list of crop, ",
                               "crop:PADDING and flip, or none"));
    };
    if (item == "flip") {
      if (seen_flip) fail("flip given twice");
      seen_flip = true;
      aug.horizontal_flip = true;
    } else if (item == "crop" || item.rfind("crop:", 0) == 0) {
      if (seen_crop) fail("crop given twice");
      seen_crop = true;
      int64_t padding = 4;
      if (item.size() > 4) {
        const std::string digits = item.substr(5);
        if (digits.empty() || digits.size() > 6 ||
            !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
          fail(str_cat("'", excerpt(item), "' needs a whole number of pixels after 'crop:'"));
        }
        padding = std::stoll(digits);
      }
      // Beyond the image's own side a crop would be padding (zeros) more often than image.
      const int64_t side = std::min(sample_shape[1], sample_shape[2]);
      if (padding > side) fail(str_cat("padding ", padding, " is larger than the ", sample_shape[1], "x", sample_shape[2],
                                       " image (at most ", side, ")"));
      aug.crop_height = sample_shape[1];
      aug.crop_width = sample_shape[2];
      aug.crop_padding = padding;
    } else {
      fail(str_cat("unknown item '", excerpt(item), "'"));
    }
  }
  augmented_shape(aug, sample_shape);  // validates
  return aug;
}

Shape augmented_shape(const Augmentation& aug, const Shape& sample_shape) {
  check<ShapeError>(sample_shape.size() == 3, "augmentation: sample shape must be [C, H, W], got ", fmt(sample_shape));
  check<ValueError>(aug.crop_height >= 0 && aug.crop_width >= 0 && aug.crop_padding >= 0, "augmentation: crop size ",
                    aug.crop_height, "x", aug.crop_width, " and padding ", aug.crop_padding, " must not be negative");
  if (!aug.crops()) {
    check<ValueError>(aug.crop_width == 0 && aug.crop_padding == 0, "augmentation: crop width ", aug.crop_width,
                      " or padding ", aug.crop_padding, " given without a crop height");
    return sample_shape;
  }
  const int64_t padded_h = sample_shape[1] + 2 * aug.crop_padding, padded_w = sample_shape[2] + 2 * aug.crop_padding;
  check<ShapeError>(aug.crop_width >= 1 && aug.crop_height <= padded_h && aug.crop_width <= padded_w,
                    "augmentation: crop ", aug.crop_height, "x", aug.crop_width, " does not fit the ", padded_h, "x",
                    padded_w, " padded image of a ", fmt(sample_shape), " sample");
  return Shape{sample_shape[0], aug.crop_height, aug.crop_width};
}

AugmentDraw draw_augmentation(const Augmentation& aug, const Shape& sample_shape, uint64_t seed, int64_t epoch,
                              int64_t index) {
  check<ValueError>(epoch >= 0 && epoch <= int64_t{0xffffffff} && index >= 0, "augmentation: epoch ", epoch,
                    " must lie in [0, 2^32) and index ", index, " must not be negative");
  const uint64_t i = static_cast<uint64_t>(index);
  const kernels::Philox4 r =
      kernels::philox4x32_10(static_cast<uint32_t>(i), static_cast<uint32_t>(i >> 32), static_cast<uint32_t>(epoch),
                             kAugmentTag, static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
  AugmentDraw d;
  if (aug.crops()) {
    d.top = uniform_below(r.v[0], sample_shape[1] + 2 * aug.crop_padding - aug.crop_height + 1);
    d.left = uniform_below(r.v[1], sample_shape[2] + 2 * aug.crop_padding - aug.crop_width + 1);
  }
  d.flip = aug.horizontal_flip && (r.v[2] >> 31) != 0;
  return d;
}

void augment_sample(const Augmentation& aug, const Shape& sample_shape, const AugmentDraw& draw, const float* in,
                    const float* pad, float* out) {
  const int64_t channels = sample_shape[0], h = sample_shape[1], w = sample_shape[2];
  const int64_t out_h = aug.crops() ? aug.crop_height : h, out_w = aug.crops() ? aug.crop_width : w;
  const int64_t p = aug.crops() ? aug.crop_padding : 0;
  // Output column x reads input column x + left - p; the flip reverses the output row afterwards.
  // Columns [x0, x1) of the output come from inside the image, the rest is padding.
  const int64_t shift = draw.left - p;
  const int64_t x0 = std::clamp<int64_t>(-shift, 0, out_w), x1 = std::clamp<int64_t>(w - shift, x0, out_w);
  for (int64_t c = 0; c < channels; ++c) {
    const float fill = pad[c];
    for (int64_t y = 0; y < out_h; ++y) {
      float* row = out + (c * out_h + y) * out_w;
      const int64_t sy = y + draw.top - p;
      if (sy < 0 || sy >= h) {
        std::fill(row, row + out_w, fill);
        continue;
      }
      const float* src = in + (c * h + sy) * w;
      if (!draw.flip) {
        std::fill(row, row + x0, fill);
        std::memcpy(row + x0, src + x0 + shift, static_cast<size_t>(x1 - x0) * sizeof(float));
        std::fill(row + x1, row + out_w, fill);
      } else {
        // row[out_w - 1 - x] = unflipped[x]
        std::fill(row + out_w - x0, row + out_w, fill);
        for (int64_t x = x0; x < x1; ++x) row[out_w - 1 - x] = src[x + shift];
        std::fill(row, row + out_w - x1, fill);
      }
    }
  }
}

void gather_augmented(const Dataset& dataset, const Augmentation& aug, uint64_t seed, int64_t epoch,
                      const int64_t* indices, int64_t n, std::vector<float>& scratch, float* images_out,
                      int64_t* labels_out) {
  if (!aug.active()) {
    dataset.get_batch(indices, n, images_out, labels_out);
    return;
  }
  const Shape in_shape = dataset.sample_shape();
  const Shape out_shape = augmented_shape(aug, in_shape);
  const int64_t in_numel = shape_numel(in_shape), out_numel = shape_numel(out_shape);
  std::vector<float> pad(static_cast<size_t>(in_shape[0]));
  for (int64_t c = 0; c < in_shape[0]; ++c) pad[static_cast<size_t>(c)] = dataset.black_value(c);
  // One sample at a time, so the unaugmented copy stays in cache between gather and augment.
  scratch.resize(static_cast<size_t>(in_numel));
  for (int64_t b = 0; b < n; ++b) {
    dataset.get_batch(indices + b, 1, scratch.data(), labels_out + b);
    const AugmentDraw d = draw_augmentation(aug, in_shape, seed, epoch, indices[b]);
    augment_sample(aug, in_shape, d, scratch.data(), pad.data(), images_out + b * out_numel);
  }
}

}  // namespace momenta::data
