// CPU random fills: element i of a fill is a pure function of (seed, offset, i) (kernels/philox.h),
// so the result does not depend on the thread split or the device.
#include <algorithm>

#include "backend/backend.h"
#include "backend/cpu/strided_loop.h"
#include "momenta/kernels/philox.h"

namespace momenta::backend::cpu {

void fill_random(const Tensor& t, RandomKind kind, double a, double b, uint64_t seed, uint64_t offset) {
  dispatch_floating(t.dtype(), "random fill", [&](auto tag) {
    using T = decltype(tag);
    // Fill a contiguous buffer in logical order, then copy if t is strided.
    Tensor dense = t.is_contiguous() ? t : Tensor::empty(t.shape(), t.dtype());
    T* p = dense.data<T>();
    const int64_t n = t.numel();
    if (kind == RandomKind::kNormal) {
      // Four normals per Philox block, generated in vectorised chunks (kernels/philox.h);
      // threads split the range on block boundaries.
      const int64_t blocks = (n + 3) / 4;
      parallel_for(blocks, 256, [&](int64_t b0, int64_t b1) {
        constexpr int64_t kChunk = 512;
        double z[4 * kChunk];
        for (int64_t c = b0; c < b1; c += kChunk) {
          const int64_t m = std::min(kChunk, b1 - c);
          kernels::philox_normal_blocks(seed, offset, static_cast<uint64_t>(c), m, z);
          const int64_t lo = 4 * c, hi = std::min(n, 4 * (c + m));
          for (int64_t i = lo; i < hi; ++i) p[i] = static_cast<T>(kernels::normal_fill_value(a, b, z[i - lo]));
        }
      });
      if (!t.is_contiguous()) copy(dense, t);
      return;
    }
    parallel_for(n, 64, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        const uint64_t idx = static_cast<uint64_t>(i);
        switch (kind) {
          case RandomKind::kUniform:
            p[i] = static_cast<T>(kernels::uniform_fill_value(a, b, kernels::philox_uniform(seed, offset, idx)));
            break;
          case RandomKind::kNormal:
            p[i] = static_cast<T>(kernels::normal_fill_value(a, b, kernels::philox_normal(seed, offset, idx)));
            break;
          case RandomKind::kBernoulli:
            p[i] = kernels::bernoulli_fill_value<T>(a, b, kernels::philox_uniform(seed, offset, idx));
            break;
        }
      }
    });
    if (!t.is_contiguous()) copy(dense, t);
  });
}

}  // namespace momenta::backend::cpu
