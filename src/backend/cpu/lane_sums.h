// Per-lane sums over the rows of channel-blocked activations [.., inner, L] (ops.h), shared by the
// CPU batch norm and group norm kernels.
#pragma once

#include <algorithm>
#include <cstdint>

#include "backend/backend.h"
#include "backend/cpu/sum8.h"

namespace momenta::backend::cpu {

constexpr int64_t kMaxLanes = 64;

// out[l] = sum_i f(i * L + l, l) over one row. kL is the lane count when known at compile time
// (the blocked layouts oneDNN uses), 0 for the runtime count `lanes`. Plain rows (L = 1) sum in
// double with sum8. Blocked rows sum runs of kChunk positions in T, one vector of lanes at a
// time, and the runs in double: a double accumulator per lane does not vectorise (GCC keeps it
// scalar: the blocked backward took 21% of a ResNet-20 step that way, 8% with runs), and a
// float32 run of 16 values loses at most ~1e-6 of its magnitude, below what float32 results keep.
constexpr int64_t kChunk = 16;

template <class T, int kL, class F>
void row_sums(int64_t inner, int64_t lanes, double* out, F&& f) {
  const int64_t L = kL > 0 ? kL : lanes;
  if (L == 1) {
    out[0] = sum8(inner, [&](int64_t i) { return static_cast<double>(f(i, 0)); });
    return;
  }
  if constexpr (kL > 1) {
    double total[kL] = {};
    for (int64_t i0 = 0; i0 < inner; i0 += kChunk) {
      const int64_t i1 = std::min(inner, i0 + kChunk);
      T run[kL] = {};
      for (int64_t i = i0; i < i1; ++i)
        for (int l = 0; l < kL; ++l) run[l] += f(i * kL + l, l);
      for (int l = 0; l < kL; ++l) total[l] += static_cast<double>(run[l]);
    }
    for (int l = 0; l < kL; ++l) out[l] = total[l];
  } else {
    double acc[kMaxLanes] = {};
    for (int64_t i = 0; i < inner; ++i)
      for (int64_t l = 0; l < L; ++l) acc[l] += static_cast<double>(f(i * L + l, l));
    for (int64_t l = 0; l < L; ++l) out[l] = acc[l];
  }
}

// Runs body.template operator()<T, kL>() with kL the compile-time lane count where there is one.
template <class Body>
void dispatch_lanes(DType dtype, int64_t lanes, const char* what, Body&& body) {
  dispatch_floating(dtype, what, [&](auto t) {
    using T = decltype(t);
    switch (std::max<int64_t>(lanes, 1)) {
      case 1: return body.template operator()<T, 1>();
      case 8: return body.template operator()<T, 8>();
      case 16: return body.template operator()<T, 16>();
      default: return body.template operator()<T, 0>();
    }
  });
}

}  // namespace momenta::backend::cpu
