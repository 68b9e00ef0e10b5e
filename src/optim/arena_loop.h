// The traversal half of a fused update (the math half is kernels/optim_rules.h): one pass
// over an arena range, split across OpenMP threads. The CUDA launchers of the same rules are
// part of the CUDA backend issue; until then a CUDA arena fails clearly here.
#pragma once

#include "backend/cpu/strided_loop.h"
#include "momenta/optim/finite_check.h"
#include "momenta/tensor.h"

namespace momenta::optim {

template <class Body>
void for_arena_range(const Tensor& arena_tensor, int64_t begin, int64_t end, const char* rule, Body&& body) {
  check<NotSupportedError>(arena_tensor.device().is_cpu(), rule, ": the fused update on ", arena_tensor.device().str(),
                           " is not implemented yet (CPU only in this build)");
  FiniteWatch* watch = FiniteWatch::active_for(arena_tensor.raw_data());
  if (watch == nullptr) {
    backend::cpu::parallel_for(end - begin, 4, [&](int64_t b, int64_t e) { body(begin + b, begin + e); });
    return;
  }
  // NOTE [non-finite numbers] (optim/finite_check.h): each block checked right after its update.
  backend::cpu::parallel_for(end - begin, 4, [&](int64_t b, int64_t e) {
    for (int64_t lo = begin + b; lo < begin + e; lo += FiniteWatch::kBlock) {
      const int64_t hi = lo + FiniteWatch::kBlock < begin + e ? lo + FiniteWatch::kBlock : begin + e;
      body(lo, hi);
      watch->check_block(lo, hi);
    }
  });
}

// Typed base pointer of a flat arena-sized tensor.
template <class T>
T* flat(const Tensor& t) {
  return t.data<T>();
}

}  // namespace momenta::optim
