// Walking strided tensors on the CPU. Operand 0 is the output. Dimensions that are contiguous
// with respect to every operand are merged first, so the common cases (all contiguous, a bias
// broadcast along rows) become one or two flat loops the compiler vectorises.
#pragma once

#include <omp.h>

#include <array>
#include <cstdint>

#include "backend/geometry.h"
#include "momenta/tensor.h"

namespace momenta::backend::cpu {

using backend::Geometry;  // the stride geometry, shared with the CUDA kernels (backend/geometry.h)
using backend::kMaxDims;
using backend::make_geometry;
// Below this many elements a loop runs on one thread: forking costs more than it saves.
inline constexpr int64_t kParallelGrain = 32768;

// Calls inner(ptrs, inner_strides, n) for every run along the last dimension; ptrs are the
// operands' addresses at the run's start. Runs are spread over OpenMP threads.
template <int N, class Inner>
void strided_loop(const Geometry<N>& g, std::array<char*, N> base, const std::array<int64_t, N>& elsize,
                  Inner&& inner) {
  const int last = g.ndim - 1;
  const int64_t n = g.shape[last];
  std::array<int64_t, N> inner_strides;
  for (int k = 0; k < N; ++k) inner_strides[k] = g.strides[k][last];
  int64_t runs = 1;
  for (int d = 0; d < last; ++d) runs *= g.shape[d];

  auto do_range = [&](int64_t begin, int64_t end) {
    std::array<char*, N> ptrs;
    for (int64_t r = begin; r < end; ++r) {
      int64_t rem = r;
      for (int k = 0; k < N; ++k) ptrs[k] = base[k];
      for (int d = last - 1; d >= 0; --d) {
        const int64_t idx = rem % g.shape[d];
        rem /= g.shape[d];
        for (int k = 0; k < N; ++k) ptrs[k] += idx * g.strides[k][d] * elsize[k];
      }
      inner(ptrs, inner_strides, n);
    }
  };

  if (g.numel < kParallelGrain || omp_get_max_threads() == 1 || omp_in_parallel()) {
    do_range(0, runs);
    return;
  }
  if (runs == 1) {  // one long run: split it
#pragma omp parallel
    {
      const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
      const int64_t chunk = (n + nt - 1) / nt, b = t * chunk, e = b + chunk < n ? b + chunk : n;
      if (b < e) {
        std::array<char*, N> ptrs;
        for (int k = 0; k < N; ++k) ptrs[k] = base[k] + b * inner_strides[k] * elsize[k];
        inner(ptrs, inner_strides, e - b);
      }
    }
    return;
  }
#pragma omp parallel
  {
    const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t chunk = (runs + nt - 1) / nt, b = t * chunk, e = b + chunk < runs ? b + chunk : runs;
    if (b < e) do_range(b, e);
  }
}

// Runs body(begin, end) over [0, n) split across threads when n * cost_per_item is large.
template <class Body>
void parallel_for(int64_t n, int64_t cost_per_item, Body&& body) {
  if (n * cost_per_item < kParallelGrain || n < 2 || omp_get_max_threads() == 1 || omp_in_parallel()) {
    body(int64_t{0}, n);
    return;
  }
#pragma omp parallel
  {
    const int64_t nt = omp_get_num_threads(), t = omp_get_thread_num();
    const int64_t chunk = (n + nt - 1) / nt, b = t * chunk, e = b + chunk < n ? b + chunk : n;
    if (b < e) body(b, e);
  }
}

}  // namespace momenta::backend::cpu
