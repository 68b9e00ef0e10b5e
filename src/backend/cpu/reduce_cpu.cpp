// CPU reductions over the middle axis of a contiguous [outer, n, inner] view. Float32 sums
// accumulate in double so a 60000-sample mean loss does not drift. The max rule is
// kernels/reduce.h's, shared with the CUDA kernels.
#include <limits>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/strided_loop.h"
#include "momenta/kernels/reduce.h"

namespace momenta::backend::cpu {
namespace {

template <class T>
void reduce_sum(const T* x, int64_t outer, int64_t n, int64_t inner, T* out) {
  if (inner == 1) {
    parallel_for(outer, n, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        const T* row = x + o * n;
        double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t k = 0;
        for (; k + 8 <= n; k += 8)
          for (int j = 0; j < 8; ++j) acc[j] += row[k + j];
        for (; k < n; ++k) acc[0] += row[k];
        out[o] = static_cast<T>(((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])));
      }
    });
    return;
  }
  // Sum rows of an [n, inner] block into `inner` accumulators; split columns across threads.
  for (int64_t o = 0; o < outer; ++o) {
    const T* block = x + o * n * inner;
    T* dst = out + o * inner;
    parallel_for(inner, n, [&](int64_t c0, int64_t c1) {
      std::vector<double> acc(static_cast<size_t>(c1 - c0), 0.0);
      for (int64_t k = 0; k < n; ++k) {
        const T* row = block + k * inner;
        for (int64_t c = c0; c < c1; ++c) acc[c - c0] += row[c];
      }
      for (int64_t c = c0; c < c1; ++c) dst[c] = static_cast<T>(acc[c - c0]);
    });
  }
}

// Max and argmax: the first maximal element wins; NaN propagates (a NaN compares as maximal).
template <class T, bool kArg>
void reduce_max(const T* x, int64_t outer, int64_t n, int64_t inner, void* out) {
  parallel_for(outer * inner, n, [&](int64_t j0, int64_t j1) {
    for (int64_t j = j0; j < j1; ++j) {
      int64_t arg = 0;
      const T best = kernels::reduce_max_strided_row(x + (j / inner) * n * inner + j % inner, n, inner, arg);
      if constexpr (kArg) {
        static_cast<int64_t*>(out)[j] = arg;
      } else {
        static_cast<T*>(out)[j] = best;
      }
    }
  });
}

}  // namespace

void reduce(ReduceOp op, const Tensor& x, int64_t outer, int64_t n, int64_t inner, const Tensor& out) {
  check<ShapeError>(x.is_contiguous() && out.is_contiguous(), "reduce: expects contiguous tensors");
  dispatch_floating(x.dtype(), "reduction", [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    switch (op) {
      case ReduceOp::kSum: return reduce_sum<T>(xp, outer, n, inner, out.data<T>());
      case ReduceOp::kMax: return reduce_max<T, false>(xp, outer, n, inner, out.raw_data());
      case ReduceOp::kArgmax: return reduce_max<T, true>(xp, outer, n, inner, out.raw_data());
    }
  });
}

}  // namespace momenta::backend::cpu
