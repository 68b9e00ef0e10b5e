// Training-time augmentation of image samples: random crop with zero padding and random
// horizontal flip, applied by the DataLoader after a dataset has gathered a batch.
//
// NOTE [augmentation stream]: the random choices for a sample are a pure function of
// (seed, epoch, dataset index): one Philox 4x32-10 block with counter (index, epoch, tag) and key
// seed (kernels/philox.h). They do not depend on the batch a sample falls in, on the shuffled
// order, on whether batches are prefetched or on how many threads gather them, so a resumed run
// (DataLoader::start_epoch(e, first_batch)) sees the same augmented pixels as the run that wrote
// the checkpoint. The tag keeps this stream apart from random_permutation's (same key and
// epoch, counter word 3 zero there).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "momenta/data/dataset.h"
#include "momenta/shape.h"

namespace momenta::data {

// Samples are [C, H, W]. The crop pads every side of the image with `crop_padding` pixels of the
// dataset's black (Dataset::black_value: a stored 0 byte after normalisation, as with
// torchvision's RandomCrop(padding=4) before Normalize), then cuts a crop_height x crop_width
// window at a uniformly drawn offset. The flip mirrors the (cropped) image left-right with
// probability 1/2. crop_height == 0 means no crop.
struct Augmentation {
  int64_t crop_height = 0;
  int64_t crop_width = 0;
  int64_t crop_padding = 0;
  bool horizontal_flip = false;

  bool crops() const { return crop_height > 0; }
  bool active() const { return crops() || horizontal_flip; }
};

// The usual CIFAR recipe: crop size x size after padding `padding`, and a flip.
Augmentation crop_and_flip(int64_t size, int64_t padding);

// Parses a comma-separated list for the CLI: "crop" (crop to the sample's own H x W after
// padding 4), "crop:P" (padding P), "flip", or "none"/"" for no augmentation; each item at most
// once. Throws ValueError naming the item and the accepted ones.
Augmentation parse_augmentation(const std::string& spec, const Shape& sample_shape);

// The sample shape after augmentation. Throws ShapeError when the sample is not [C, H, W] or the
// crop window is larger than the padded image, ValueError for a negative size or padding.
Shape augmented_shape(const Augmentation& aug, const Shape& sample_shape);

// The random choices for one sample (NOTE [augmentation stream]).
struct AugmentDraw {
  int64_t top = 0;   // crop window origin in the padded image, in [0, H + 2p - crop_height]
  int64_t left = 0;  // in [0, W + 2p - crop_width]
  bool flip = false;
};
AugmentDraw draw_augmentation(const Augmentation& aug, const Shape& sample_shape, uint64_t seed, int64_t epoch,
                              int64_t index);

// Writes the augmented sample to `out` (shape augmented_shape(aug, sample_shape)); `in` is one
// sample of shape sample_shape, `pad` one value per channel. `in` and `out` must not overlap.
void augment_sample(const Augmentation& aug, const Shape& sample_shape, const AugmentDraw& draw, const float* in,
                    const float* pad, float* out);

// What the DataLoader does per batch: gathers samples indices[0..n) of `dataset` and augments
// each as sample indices[b] of `epoch`. `scratch` is reused between calls (one gathered sample);
// images_out holds n * numel(augmented_shape) floats. Without an active augmentation this is
// dataset.get_batch.
void gather_augmented(const Dataset& dataset, const Augmentation& aug, uint64_t seed, int64_t epoch,
                      const int64_t* indices, int64_t n, std::vector<float>& scratch, float* images_out,
                      int64_t* labels_out);

}  // namespace momenta::data
