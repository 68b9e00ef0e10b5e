// The per-element rules of the row reductions (sum, max, argmax over the middle axis of
// [outer, n, inner]), written once for every device (DESIGN principle 2): called by
// src/backend/cpu/reduce_cpu.cpp and src/backend/cuda/reduce_cuda.cu.
//
// Sums accumulate in double (float32 too), so a 60000-sample mean does not drift; the devices
// differ only in the order of the additions (CPU: eight interleaved partial sums along a
// contiguous row, in order down a column; CUDA: a fixed tree along a row, in order down a
// column), so both are deterministic.
#pragma once

#include <cstdint>

#include "momenta/kernels/common.h"

namespace momenta::kernels {

// Whether v, met after best in the row, replaces it as the maximum: strictly greater, or the
// first NaN (a NaN compares as maximal and propagates). Ties keep the earlier element, so argmax
// returns the first maximal index.
template <class T>
MOMENTA_HD bool reduce_max_takes(T v, T best) {
  return v > best || (v != v && best == best);
}

// Merging two partial results of a parallel max/argmax: (vb, ib) and (va, ia) are the winners
// (by reduce_max_takes, in index order) of two disjoint sets of a row's elements; an index < 0
// marks an empty set. True when (vb, ib) wins over the union, so that any merge order gives what
// the in-order scan gives: the first NaN if there is one, else the first maximal element.
template <class T>
MOMENTA_HD bool reduce_max_merge_takes(T vb, int64_t ib, T va, int64_t ia) {
  if (ib < 0) return false;
  if (ia < 0) return true;
  const bool b_nan = vb != vb, a_nan = va != va;
  if (b_nan != a_nan) return b_nan;
  if (!b_nan && vb != va) return vb > va;
  return ib < ia;
}

// Max and argmax of one row of n >= 1 elements read with a stride (the column walk over the
// middle axis of [outer, n, inner], one thread per row on either device): returns the maximum
// and sets arg to its index, by reduce_max_takes in index order.
template <class T>
MOMENTA_HD T reduce_max_strided_row(const T* x, int64_t n, int64_t stride, int64_t& arg) {
  T best = x[0];
  arg = 0;
  for (int64_t k = 1; k < n; ++k) {
    const T v = x[k * stride];
    if (reduce_max_takes(v, best)) {
      best = v;
      arg = k;
    }
  }
  return best;
}

}  // namespace momenta::kernels
