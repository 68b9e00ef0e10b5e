// A tiny image classification set for trainer tests: n random 1x8x8 images (seeded) in 3
// classes given by a rule on two of their pixels, so a small net can learn something.
#pragma once

#include <cstdint>
#include <vector>

#include "momenta/data/dataset.h"
#include "momenta/ops.h"

namespace momenta {

// label = (pixel 0 + pixel `second`) % 3; second < 0 leaves pixel 0 alone.
inline data::ImageDataset toy_images(uint64_t seed, int64_t n, int64_t second = -1) {
  Generator g(seed);
  const auto u = rand({n * 64}, kFloat64, g).to_vector<double>();
  std::vector<uint8_t> images(u.size());
  std::vector<int64_t> labels(static_cast<size_t>(n));
  for (size_t i = 0; i < u.size(); ++i) images[i] = static_cast<uint8_t>(u[i] * 255);
  for (int64_t i = 0; i < n; ++i) labels[i] = (images[i * 64] + (second >= 0 ? images[i * 64 + second] : 0)) % 3;
  return data::ImageDataset(images, {1, 8, 8}, labels, 3);
}

}  // namespace momenta
