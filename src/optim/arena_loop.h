// The traversal half of a fused update (the math half is kernels/optim_rules.h): one pass
// over an arena range, split across OpenMP threads. The CUDA launchers of the same rules are
// part of the CUDA backend issue; until then a CUDA arena fails clearly here.
#pragma once

#include "backend/cpu/strided_loop.h"
#include "momenta/tensor.h"

namespace momenta::optim {

template <class Body>
void for_arena_range(const Tensor& arena_tensor, int64_t begin, int64_t end, const char* rule, Body&& body) {
  check<NotSupportedError>(arena_tensor.device().is_cpu(), rule, ": the fused update on ", arena_tensor.device().str(),
                           " is not implemented yet (CPU only in this build)");
  backend::cpu::parallel_for(end - begin, 4, [&](int64_t b, int64_t e) { body(begin + b, begin + e); });
}

// Typed base pointer of a flat arena-sized tensor.
template <class T>
T* flat(const Tensor& t) {
  return t.data<T>();
}

}  // namespace momenta::optim
