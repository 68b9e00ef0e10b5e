// NOTE [non-finite numbers]: one policy for NaN and Inf in a training run.
// - Element-wise ops propagate NaN as PyTorch does (NOTE [NaN propagation] in
//   kernels/elementwise.h), so a broken value is not laundered into a finite one on the way.
// - The trainer stops a run whose loss is non-finite (before the step), and one whose gradients
//   or parameters are non-finite after the optimizer and averager have stepped: the error names
//   the step, the first tensor in arena order (gradients first, as the cause) and the first bad
//   element. The run ends before the next checkpoint, so the checkpoint of the last good epoch
//   stays as it was.
// - Cost: a separate pass over parameters and gradients costs about half an Adam step (both
//   are memory-bound), and so did a second pass over cache-sized blocks right after each block's
//   update (+15-33% of a step, bench/optim_step: the memory stream stalls while the block is
//   re-read). So the check rides inside the rules' own loops (element_loop in
//   src/optim/arena_loop.h): an or of exponent bits on values already in registers, within the
//   noise of a step (heavy ball, Adam, AdamW: 0-3%). Rules whose passes are reductions (Adai,
//   ECDSep, BBI) still check each block right after its pass (reduce_arena_range; Adai +3%,
//   ECDSep +8%). Only when a check trips, or when the passes did not cover the whole arena (a
//   rule updating outside those helpers), is a full pass made.
// - Model files and checkpoints holding NaN/Inf are refused when read (io/safetensors).
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "momenta/nn/arena.h"

namespace momenta::optim {

// Nonzero exactly when x is NaN or +-Inf (its exponent bits are all ones). Tested on the bits and
// or-ed together, a loop of it vectorises: an integer reduction needs no reassociation.
template <class T>
inline auto nonfinite_bits(T x) {
  if constexpr (sizeof(T) == 4) {
    const uint32_t b = std::bit_cast<uint32_t>(x);
    return static_cast<uint32_t>((b & 0x7f800000u) == 0x7f800000u);
  } else {
    static_assert(sizeof(T) == 8, "nonfinite_bits: float or double");
    const uint64_t b = std::bit_cast<uint64_t>(x);
    return static_cast<uint64_t>((b & 0x7ff0000000000000ull) == 0x7ff0000000000000ull);
  }
}

// True when every parameter and gradient of the arena is finite. One vectorised pass over both
// arenas (the common case); on a CUDA arena, one device pass and one flag copied back.
bool arena_is_finite(const nn::ParamArena& arena);

// Where the first non-finite value is: "the gradient of 'fc.weight' is non-finite (NaN at element
// 5 of 100)" or "parameter 'fc.bias' is non-finite (inf at element 0 of 10)", or "" when all are
// finite. Gradients are searched before parameters.
std::string describe_non_finite(const nn::ParamArena& arena);

// Throws momenta::Error "step S: <describe_non_finite>" when the arena is not finite.
void check_arena_finite(const nn::ParamArena& arena, int64_t step);

// Watches the arena's parameters and gradients during the steps taken in its lifetime on this
// thread (see the NOTE): construct, step the optimizer and averager, then ask finite().
class FiniteWatch {
 public:
  explicit FiniteWatch(const nn::ParamArena& arena);
  ~FiniteWatch();
  FiniteWatch(const FiniteWatch&) = delete;
  FiniteWatch& operator=(const FiniteWatch&) = delete;

  // True when every parameter and gradient is finite now.
  bool finite() const;

  // True when the passes so far checked every element of the arena themselves, so that finite()
  // needs no pass of its own (tests and benchmarks use it to see that a rule takes the fast path).
  bool covered() const;

  // For the traversal helpers: the watch active on this thread whose arena's parameters start at
  // `params` (null if none); the check of one block [begin, end) right after its update (no lock,
  // no bookkeeping: it runs once per kBlock elements); and, once per thread and pass, the record
  // of the range [begin, end) whose blocks were all checked. Both thread-safe.
  static FiniteWatch* active_for(const void* params);
  void check_block(int64_t begin, int64_t end);
  void mark_checked(int64_t begin, int64_t end);
  // For a rule that checks its range inside its own loop (element_loop in src/optim/arena_loop.h).
  void trip() { tripped_.store(true, std::memory_order_relaxed); }
  static constexpr int64_t kBlock = 2048;  // elements: a few arrays of it stay in L1/L2

 private:
  const nn::ParamArena& arena_;
  FiniteWatch* outer_;
  std::atomic<bool> tripped_{false};
  // The ranges checked, to tell whether they cover the arena: a count would not (a rule may pass
  // over one part several times and skip another, e.g. a group it leaves unchanged).
  mutable std::mutex mutex_;
  mutable std::vector<std::pair<int64_t, int64_t>> checked_;
};

}  // namespace momenta::optim
