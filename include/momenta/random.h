// Seeded random numbers from the shared Philox generator (kernels/philox.h).
//
// Seed handling: every Generator is (seed, offset). `momenta train --seed S` seeds the default
// generator with S (parameter initialisation, dropout) and derives the data order from S too,
// so one seed fixes a whole run. A checkpoint stores (seed, offset) and resumes exactly.
#pragma once

#include <cstdint>
#include <vector>

#include "momenta/tensor.h"

namespace momenta {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  uint64_t seed() const { return seed_; }
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) {
    seed_ = seed;
    offset_ = offset;
  }
  // Reserves the counter blocks for `n` elements and returns the first block.
  uint64_t reserve(uint64_t n_elements) {
    const uint64_t start = offset_;
    offset_ += (n_elements + 3) / 4;
    return start;
  }

 private:
  uint64_t seed_ = 0;
  uint64_t offset_ = 0;
};

// The process default generator (used when none is passed).
Generator& default_generator();
void manual_seed(uint64_t seed);

// In-place fills of a floating tensor (any layout), outside autograd.
void uniform_(const Tensor& t, double low, double high, Generator& gen = default_generator());
void normal_(const Tensor& t, double mean, double stddev, Generator& gen = default_generator());
Tensor randn(const Shape& shape, DType dtype = kFloat32, Generator& gen = default_generator());
Tensor rand(const Shape& shape, DType dtype = kFloat32, Generator& gen = default_generator());

// A permutation of 0..n-1 (Fisher-Yates driven by Philox with key `seed`, stream `stream`).
std::vector<int64_t> random_permutation(int64_t n, uint64_t seed, uint64_t stream);

}  // namespace momenta
