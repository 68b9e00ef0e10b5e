// CPU random fills: element i of a fill is a pure function of (seed, offset, i) (kernels/philox.h),
// so the result does not depend on the thread split or the device.
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
    parallel_for(n, 64, [&](int64_t i0, int64_t i1) {
      for (int64_t i = i0; i < i1; ++i) {
        const uint64_t idx = static_cast<uint64_t>(i);
        switch (kind) {
          case RandomKind::kUniform:
            p[i] = static_cast<T>(a + (b - a) * kernels::philox_uniform(seed, offset, idx));
            break;
          case RandomKind::kNormal:
            p[i] = static_cast<T>(a + b * kernels::philox_normal(seed, offset, idx));
            break;
          case RandomKind::kBernoulli:
            p[i] = kernels::philox_uniform(seed, offset, idx) < a ? static_cast<T>(b) : T(0);
            break;
        }
      }
    });
    if (!t.is_contiguous()) copy(dense, t);
  });
}

}  // namespace momenta::backend::cpu
