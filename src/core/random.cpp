#include "momenta/random.h"

#include "backend/backend.h"
#include "momenta/kernels/philox.h"

namespace momenta {

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

void manual_seed(uint64_t seed) { default_generator().set_state(seed, 0); }

void uniform_(const Tensor& t, double low, double high, Generator& gen) {
  const uint64_t offset = gen.reserve(static_cast<uint64_t>(t.numel()));
  backend::fill_random(t, backend::RandomKind::kUniform, low, high, gen.seed(), offset);
}

void normal_(const Tensor& t, double mean, double stddev, Generator& gen) {
  const uint64_t offset = gen.reserve(static_cast<uint64_t>(t.numel()));
  backend::fill_random(t, backend::RandomKind::kNormal, mean, stddev, gen.seed(), offset);
}

Tensor randn(const Shape& shape, DType dtype, Generator& gen) {
  Tensor t = Tensor::empty(shape, dtype);
  normal_(t, 0.0, 1.0, gen);
  return t;
}

Tensor rand(const Shape& shape, DType dtype, Generator& gen) {
  Tensor t = Tensor::empty(shape, dtype);
  uniform_(t, 0.0, 1.0, gen);
  return t;
}

std::vector<int64_t> random_permutation(int64_t n, uint64_t seed, uint64_t stream) {
  std::vector<int64_t> perm(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) perm[i] = i;
  // Fisher-Yates; draw j uniformly in [0, i] from a 64-bit Philox value (bias < 2^-40 here).
  for (int64_t i = n - 1; i > 0; --i) {
    const auto r = kernels::philox4x32_10(static_cast<uint32_t>(i), static_cast<uint32_t>(static_cast<uint64_t>(i) >> 32),
                                          static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32),
                                          static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
    const uint64_t v = (static_cast<uint64_t>(r.v[0]) << 32) | r.v[1];
    const int64_t j = static_cast<int64_t>(v % static_cast<uint64_t>(i + 1));
    std::swap(perm[i], perm[j]);
  }
  return perm;
}

}  // namespace momenta
