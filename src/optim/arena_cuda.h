// The CUDA half of the arena traversal (the CPU half is arena_loop.h / arena_reduce.h): the
// launchers that run a rule's per-element functor (kernels/optim_rules*.h, averager_rules.h)
// over a range of a CUDA arena. The rules' .cpp files are compiled by g++, so the launchers are
// templates declared here and defined, with one explicit instantiation per functor and dtype,
// in src/backend/cuda/optim_cuda.cu (nvcc). A functor missing from that list is a link error,
// not a silent fallback. C++17: the .cu includes this header.
//
// A functor F of an elementwise pass: trivially copyable (plain pointers to the arena's device
// memory and host-computed scalars), with MOMENTA_HD void operator()(int64_t i) const.
// A functor of a reduction pass producing K sums: MOMENTA_HD void operator()(int64_t i, double*
// v) const writing v[0..K) (and updating element i, for a fused pass).
//
// Determinism (DESIGN principle 6): a reduction uses a grid that depends only on the length of
// the range, a fixed tree in each block (double accumulators) and the block sums added on the
// host in block order, so a run repeats bit for bit; it agrees with the CPU's blocked sums to
// float64 round-off, not bit for bit.
#pragma once

#include <array>
#include <cstdint>

#include "momenta/tensor.h"

namespace momenta::optim {

#if defined(MOMENTA_WITH_CUDA)

// f(i) for every i in [begin, end), on the CUDA device of `like` (one grid-stride kernel).
template <class F>
void cuda_for_each(const Tensor& like, int64_t begin, int64_t end, const F& f);

// The K sums over i in [begin, end) of what f(i, v) writes to v, on the device of `like`.
template <int K, class F>
std::array<double, K> cuda_reduce(const Tensor& like, int64_t begin, int64_t end, const F& f);

// True when some element of p[begin, end) or g[begin, end) (g may be null) is NaN or +-Inf;
// p and g point to device memory of `like`'s dtype (float32 or float64).
bool cuda_any_nonfinite(const Tensor& like, const void* p, const void* g, int64_t begin, int64_t end);

#else

[[noreturn]] inline void cuda_optim_not_built() {
  throw NotSupportedError(
      "optimizer update on CUDA: momenta was built without CUDA (configure with -DMOMENTA_CUDA=ON on a machine with "
      "the CUDA toolkit)");
}
template <class F>
void cuda_for_each(const Tensor&, int64_t, int64_t, const F&) {
  cuda_optim_not_built();
}
template <int K, class F>
std::array<double, K> cuda_reduce(const Tensor&, int64_t, int64_t, const F&) {
  cuda_optim_not_built();
}
inline bool cuda_any_nonfinite(const Tensor&, const void*, const void*, int64_t, int64_t) { cuda_optim_not_built(); }

#endif

}  // namespace momenta::optim
