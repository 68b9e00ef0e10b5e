// Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011).
// A counter-based generator: output = bijection(counter, key), so element i of any fill can be
// computed independently, in any order, on any device, with the same result.
//
// NOTE [Philox streams]: a Generator holds (seed, offset). A fill of n elements uses counter
// blocks offset .. offset + ceil(n/4) - 1 and then advances offset past them. Element i uses
// block offset + i/4, lane i%4. Normals use Box-Muller on lane pairs (0,1) and (2,3).
#pragma once

#include <cmath>
#include <cstdint>

#include "momenta/kernels/common.h"
#include "momenta/kernels/mathfn.h"

namespace momenta::kernels {

struct Philox4 {
  uint32_t v[4];
};

MOMENTA_HD void philox_mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = static_cast<uint64_t>(a) * static_cast<uint64_t>(b);
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}

// One Philox 4x32-10 block for counter (c0..c3) and key (k0, k1).
MOMENTA_HD Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    philox_mulhilo(kM0, c0, hi0, lo0);
    philox_mulhilo(kM1, c2, hi1, lo1);
    const uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += kW0;
    k1 += kW1;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// The block used by element `i` of a fill that starts at counter block `offset`.
MOMENTA_HD Philox4 philox_block(uint64_t seed, uint64_t offset, uint64_t i) {
  const uint64_t block = offset + i / 4;
  return philox4x32_10(static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0u, 0u,
                       static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

// Uniform in [0, 1), exact in double.
MOMENTA_HD double philox_to_unit(uint32_t x) { return static_cast<double>(x) * (1.0 / 4294967296.0); }

// Element i of a uniform fill, in [0, 1).
MOMENTA_HD double philox_uniform(uint64_t seed, uint64_t offset, uint64_t i) {
  const Philox4 r = philox_block(seed, offset, i);
  return philox_to_unit(r.v[i % 4]);
}

// Box-Muller on one lane pair (x0, x1) of a block: out0 = r cos(2 pi u2), out1 = r sin(2 pi u2)
// with r = sqrt(-2 log u1). The log and the sine/cosine are momenta's own (kernels/mathfn.h), so
// the normals are the same bits on every device, and a CPU loop over pairs vectorises.
MOMENTA_HD void philox_box_muller(uint32_t x0, uint32_t x1, double& out0, double& out1) {
  const double u1 = (u32_to_double(x0) + 1.0) * (1.0 / 4294967296.0);  // (0, 1]
  const double u2 = u32_to_double(x1) * (1.0 / 4294967296.0);          // [0, 1)
  const double radius = std::sqrt(-2.0 * det_log(u1));
  double c, s;
  det_sincos_turns(u2, c, s);
  out0 = radius * c;
  out1 = radius * s;
}

// Element i of a standard-normal fill (Box-Muller on the lane pair that holds i).
MOMENTA_HD double philox_normal(uint64_t seed, uint64_t offset, uint64_t i) {
  const Philox4 r = philox_block(seed, offset, i);
  const unsigned lane = static_cast<unsigned>(i % 4);
  const unsigned pair = lane & ~1u;
  double z0, z1;
  philox_box_muller(r.v[pair], r.v[pair + 1], z0, z1);
  return (lane & 1u) ? z1 : z0;
}

// The four normals of the block holding elements 4k..4k+3 (k = i/4 for any i of it): the same
// values philox_normal gives one by one, for a quarter of the Philox work and half the logs.
MOMENTA_HD void philox_normal4(uint64_t seed, uint64_t offset, uint64_t k, double out[4]) {
  const Philox4 r = philox_block(seed, offset, 4 * k);
  philox_box_muller(r.v[0], r.v[1], out[0], out[1]);
  philox_box_muller(r.v[2], r.v[3], out[2], out[3]);
}

// Host loop: the normals of blocks first .. first+n-1 into out[0 .. 4n), the values philox_normal
// gives element by element. The raw Philox words come first, then Box-Muller runs over them as
// a separate loop that the compiler vectorises (the transcendental part dominates the cost).
inline void philox_normal_blocks(uint64_t seed, uint64_t offset, uint64_t first, int64_t n, double* out) {
  constexpr int64_t kChunk = 256;
  uint32_t raw[4 * kChunk];
  for (int64_t c = 0; c < n; c += kChunk) {
    const int64_t m = n - c < kChunk ? n - c : kChunk;
    for (int64_t j = 0; j < m; ++j) {
      const Philox4 r = philox_block(seed, offset, 4 * (first + static_cast<uint64_t>(c + j)));
      for (int l = 0; l < 4; ++l) raw[4 * j + l] = r.v[l];
    }
    double* o = out + 4 * c;
    for (int64_t j = 0; j < 2 * m; ++j) philox_box_muller(raw[2 * j], raw[2 * j + 1], o[2 * j], o[2 * j + 1]);
  }
}

// The value of element i of each random fill (backend::RandomKind) from its uniform u or normal
// z: uniform a + (b - a) u, normal a + b z, Bernoulli `value` where u < keep, else 0. The
// multiply-add is rounded twice on both devices (the CPU build has -ffp-contract=off; on the GPU
// the explicit round-to-nearest intrinsics keep nvcc from fusing it into an FMA), so uniform and
// Bernoulli fills match bit for bit across devices.
MOMENTA_HD double mul_add_rounded(double a, double s, double u) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, __dmul_rn(s, u));
#else
  return a + s * u;
#endif
}
MOMENTA_HD double uniform_fill_value(double a, double b, double u) { return mul_add_rounded(a, b - a, u); }
MOMENTA_HD double normal_fill_value(double a, double b, double z) { return mul_add_rounded(a, b, z); }
template <class T>
MOMENTA_HD T bernoulli_fill_value(double keep, double value, double u) {
  return u < keep ? static_cast<T>(value) : T(0);
}

}  // namespace momenta::kernels
