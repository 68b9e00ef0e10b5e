// Reductions over an arena range for the rules with a global quantity (Adai's mean of v_hat,
// ECDSep's |Pi|^2 and bounce norm, BBI's |Pi|^2 and per-tensor gradient norms). A pass may
// update elements and accumulate sums at the same time (a fused update with its reduction).
//
// Determinism (DESIGN principle 6): the range is cut into fixed blocks of kReduceBlock elements,
// each block is accumulated in element order on one thread, and the block sums are added in
// block order. The result therefore does not depend on the number of threads. Sums are kept in
// double whatever the arena's dtype. On a CUDA arena the rule's term functor runs on the device
// instead (cuda_reduce, arena_cuda.h): deterministic too, in another fixed order.
#pragma once

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "backend/cpu/strided_loop.h"
#include "momenta/optim/finite_check.h"
#include "momenta/tensor.h"
#include "optim/arena_cuda.h"

namespace momenta::optim {

template <int K>
using Sums = std::array<double, K>;

inline constexpr int64_t kReduceBlock = 8192;

// Calls body(b, e, acc) over consecutive blocks [b, e) of [begin, end); body adds into acc (K
// doubles, zeroed per block). Returns the K totals.
template <int K, class Body>
Sums<K> reduce_arena_range(const Tensor& arena_tensor, int64_t begin, int64_t end, const char* rule, Body&& body) {
  check<NotSupportedError>(arena_tensor.device().is_cpu(), rule, ": this pass over the parameter arena has no ",
                           arena_tensor.device().str(), " kernel (no device functor, see arena_cuda.h)");
  Sums<K> total{};
  const int64_t n = end - begin;
  if (n <= 0) return total;
  const int64_t blocks = (n + kReduceBlock - 1) / kReduceBlock;
  // NOTE [non-finite numbers] (optim/finite_check.h): each block checked right after its pass.
  FiniteWatch* watch = FiniteWatch::active_for(arena_tensor.raw_data());
  if (blocks == 1) {
    body(begin, end, total);
    if (watch != nullptr) {
      watch->check_block(begin, end);
      watch->mark_checked(begin, end);
    }
    return total;
  }
  std::vector<Sums<K>> partial(static_cast<size_t>(blocks));
  backend::cpu::parallel_for(blocks, kReduceBlock * 4, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      Sums<K> acc{};
      const int64_t lo = begin + k * kReduceBlock;
      body(lo, std::min(lo + kReduceBlock, end), acc);
      if (watch != nullptr) watch->check_block(lo, std::min(lo + kReduceBlock, end));
      partial[static_cast<size_t>(k)] = acc;
    }
    if (watch != nullptr) watch->mark_checked(begin + b * kReduceBlock, std::min(begin + e * kReduceBlock, end));
  });
  for (const auto& acc : partial)
    for (int j = 0; j < K; ++j) total[j] += acc[j];
  return total;
}

// The same reduction on either device: on a CUDA arena, the K sums of term(i, v) over [begin,
// end) (term is the rule's functor, arena_cuda.h: it may update element i too, for a fused pass),
// deterministic but summed in another order than the CPU's blocks; then, with an active
// FiniteWatch, one device check of the range. On the CPU, body as above.
template <int K, class Term, class Body>
Sums<K> reduce_arena_range(const Tensor& arena_tensor, int64_t begin, int64_t end, const char* rule, const Term& term,
                           Body&& body) {
  if (arena_tensor.device().is_cuda()) {
    const Sums<K> total = cuda_reduce<K>(arena_tensor, begin, end, term);
    if (FiniteWatch* watch = FiniteWatch::active_for(arena_tensor.raw_data()); watch != nullptr && end > begin) {
      watch->check_block(begin, end);
      watch->mark_checked(begin, end);
    }
    return total;
  }
  return reduce_arena_range<K>(arena_tensor, begin, end, rule, std::forward<Body>(body));
}

// Sums, over i in [begin, end), the K values body(i, v) writes to v[0..K), adding them to acc.
// Each quantity is accumulated in kLanes interleaved partial sums, so the loop vectorises (one
// accumulator is a serial chain of dependent additions that costs more than most rules); the
// lanes are then added in a fixed order, so the result depends only on the range. Used inside
// the bodies of reduce_arena_range.
inline constexpr int kLanes = 8;

template <int K, class Body>
void lane_sums(int64_t begin, int64_t end, Sums<K>& acc, Body&& body) {
  double lane[K][kLanes] = {};
  int64_t i = begin;
  for (; i + kLanes <= end; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) {
      double v[K];
      body(i + l, v);
      for (int k = 0; k < K; ++k) lane[k][l] += v[k];
    }
  }
  double tail[K] = {};
  for (; i < end; ++i) {
    double v[K];
    body(i, v);
    for (int k = 0; k < K; ++k) tail[k] += v[k];
  }
  for (int k = 0; k < K; ++k) {
    double s = tail[k];
    for (int l = 0; l < kLanes; ++l) s += lane[k][l];
    acc[k] += s;
  }
}

}  // namespace momenta::optim
