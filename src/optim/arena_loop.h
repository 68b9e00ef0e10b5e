// The traversal half of a fused update (the math half is kernels/optim_rules.h): one pass
// over an arena range, split across OpenMP threads on the CPU, one grid-stride kernel on CUDA
// (arena_cuda.h). A rule passes both halves: its restrict-pointer CPU loop (vectorised, checked
// by FiniteWatch inside the loop) and its per-element functor for the device; both call the same
// MOMENTA_HD update function. A rule that passes only the CPU body fails clearly on CUDA.
#pragma once

#include <type_traits>
#include <utility>

#include "backend/cpu/strided_loop.h"
#include "momenta/optim/finite_check.h"
#include "momenta/tensor.h"
#include "optim/arena_cuda.h"

namespace momenta::optim {

// Calls body over [begin, end), split across OpenMP threads (one contiguous chunk each).
// NOTE [non-finite numbers] (optim/finite_check.h), while a FiniteWatch is active:
// - a body taking a third argument, FiniteWatch* (null when none is active), is called once per
//   chunk and checks what it writes itself, inside its own loop (element_loop below): the test
//   rides on values already in registers and costs nothing measurable in a memory-bound update.
//   A body that writes neither the parameters nor the gradients (an averager's own buffer, state
//   initialisation) takes the argument and ignores it;
// - any other body is called block by block, each block's parameters and gradients checked
//   right after its update, while the block is still in cache (a second, short pass).
template <class Body>
void for_arena_range(const Tensor& arena_tensor, int64_t begin, int64_t end, const char* rule, Body&& body) {
  check<NotSupportedError>(arena_tensor.device().is_cpu(), rule, ": this pass over the parameter arena has no ",
                           arena_tensor.device().str(), " kernel (no device functor, see arena_cuda.h)");
  FiniteWatch* watch = FiniteWatch::active_for(arena_tensor.raw_data());
  if constexpr (std::is_invocable_v<Body&, int64_t, int64_t, FiniteWatch*>) {
    backend::cpu::parallel_for(end - begin, 4, [&](int64_t b, int64_t e) { body(begin + b, begin + e, watch); });
  } else {
    if (watch == nullptr) {
      backend::cpu::parallel_for(end - begin, 4, [&](int64_t b, int64_t e) { body(begin + b, begin + e); });
      return;
    }
    backend::cpu::parallel_for(end - begin, 4, [&](int64_t b, int64_t e) {
      for (int64_t lo = begin + b; lo < begin + e; lo += FiniteWatch::kBlock) {
        const int64_t hi = lo + FiniteWatch::kBlock < begin + e ? lo + FiniteWatch::kBlock : begin + e;
        body(lo, hi);
        watch->check_block(lo, hi);
      }
      watch->mark_checked(begin + b, begin + e);
    });
  }
}

// The same pass on either device: on a CUDA arena, step(i) for every i in [begin, end) (the
// rule's functor, launched by cuda_for_each) and then, with an active FiniteWatch, one device
// check of the range's parameters and gradients (an or of non-finite flags, one int copied back);
// on the CPU, body as above.
template <class Step, class Body>
void for_arena_range(const Tensor& arena_tensor, int64_t begin, int64_t end, const char* rule, const Step& step,
                     Body&& body) {
  if (arena_tensor.device().is_cuda()) {
    cuda_for_each(arena_tensor, begin, end, step);
    if (FiniteWatch* watch = FiniteWatch::active_for(arena_tensor.raw_data()); watch != nullptr && end > begin) {
      watch->check_block(begin, end);
      watch->mark_checked(begin, end);
    }
    return;
  }
  for_arena_range(arena_tensor, begin, end, rule, std::forward<Body>(body));
}

// The loop of a self-checking body: f(i) for every i in [begin, end) and, with a watch, the test
// of p[i] and g[i] right after f(i), in the same loop. p and g are the arena's parameters and
// gradients as the rule's loop sees them; p must be the pointer f writes through (a restrict
// pointer of the rule), so that the test reads the updated value. g may be null for a pass that
// writes only the parameters after the optimizer has checked the gradients (BELAY): a trip is
// still reported, but the range does not count as checked (NOTE: coverage means both arrays).
template <class T, class F>
inline void element_loop(FiniteWatch* watch, const T* p, const T* g, int64_t begin, int64_t end, F&& f) {
  if (watch == nullptr) {
    for (int64_t i = begin; i < end; ++i) f(i);
    return;
  }
  decltype(nonfinite_bits(T(0))) bad = 0;
  if (g == nullptr) {
    for (int64_t i = begin; i < end; ++i) {
      f(i);
      bad |= nonfinite_bits(p[i]);
    }
  } else {
    for (int64_t i = begin; i < end; ++i) {
      f(i);
      bad |= nonfinite_bits(p[i]) | nonfinite_bits(g[i]);
    }
    watch->mark_checked(begin, end);
  }
  if (bad != 0) watch->trip();
}

// Typed base pointer of a flat arena-sized tensor.
template <class T>
T* flat(const Tensor& t) {
  return t.data<T>();
}

}  // namespace momenta::optim
