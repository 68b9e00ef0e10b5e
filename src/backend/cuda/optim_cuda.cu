// CUDA launchers of the optimizer and averager passes (src/optim/arena_cuda.h). This file only
// launches (DESIGN principle 2): the per-element math is the functors of
// kernels/optim_rules*.h and kernels/averager_rules.h, the code the CPU loops call. Each functor
// and dtype is instantiated explicitly at the end; the rules' .cpp files (g++) link to them.
#include <cstdint>
#include <vector>

#include "backend/cuda/cuda_util.h"
#include "momenta/kernels/averager_rules.h"
#include "momenta/kernels/optim_rules.h"
#include "momenta/kernels/optim_rules_adai.h"
#include "momenta/kernels/optim_rules_adaptive.h"
#include "momenta/kernels/optim_rules_energy.h"
#include "optim/arena_cuda.h"

namespace momenta::optim {
namespace {

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = 65536;    // elementwise passes: a grid-stride loop covers the rest
constexpr int64_t kReduceBlocks = 1024;  // reductions: at most this many partial sums

int64_t blocks_for(int64_t n, int64_t cap) {
  const int64_t b = (n + kThreads - 1) / kThreads;
  return b < cap ? (b > 0 ? b : 1) : cap;
}

template <class F>
__global__ void for_each_kernel(int64_t begin, int64_t end, F f) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = begin + static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < end; i += stride) f(i);
}

// Each thread sums its grid-stride elements in order; the block then adds its threads' sums in
// a fixed tree; partial[block * K + k] receives the block's sum of quantity k.
template <int K, class F>
__global__ void reduce_kernel(int64_t begin, int64_t end, F f, double* partial) {
  __shared__ double shared[K][kThreads];
  double acc[K];
#pragma unroll
  for (int k = 0; k < K; ++k) acc[k] = 0.0;
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = begin + static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < end; i += stride) {
    double v[K];
    f(i, v);
#pragma unroll
    for (int k = 0; k < K; ++k) acc[k] += v[k];
  }
#pragma unroll
  for (int k = 0; k < K; ++k) shared[k][threadIdx.x] = acc[k];
  __syncthreads();
  for (int s = kThreads / 2; s > 0; s /= 2) {
    if (static_cast<int>(threadIdx.x) < s) {
#pragma unroll
      for (int k = 0; k < K; ++k) shared[k][threadIdx.x] += shared[k][threadIdx.x + s];
    }
    __syncthreads();
  }
  if (threadIdx.x == 0) {
#pragma unroll
    for (int k = 0; k < K; ++k) partial[static_cast<int64_t>(blockIdx.x) * K + k] = shared[k][0];
  }
}

// NaN or +-Inf: the exponent bits are all ones (as nonfinite_bits in optim/finite_check.h).
__device__ __forceinline__ bool nonfinite(float x) { return (__float_as_uint(x) & 0x7f800000u) == 0x7f800000u; }
__device__ __forceinline__ bool nonfinite(double x) {
  return (static_cast<unsigned long long>(__double_as_longlong(x)) & 0x7ff0000000000000ull) == 0x7ff0000000000000ull;
}

// flag[0] = 1 when some p[i] or g[i] (g may be null) is NaN or +-Inf. Every writer stores the
// same value, so the result does not depend on the order.
template <class T>
__global__ void nonfinite_kernel(const T* p, const T* g, int64_t begin, int64_t end, int* flag) {
  const int64_t stride = static_cast<int64_t>(blockDim.x) * gridDim.x;
  bool bad = false;
  for (int64_t i = begin + static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < end; i += stride) {
    bad = bad || nonfinite(p[i]) || (g != nullptr && nonfinite(g[i]));
  }
  if (bad) *flag = 1;
}

}  // namespace

template <class F>
void cuda_for_each(const Tensor& like, int64_t begin, int64_t end, const F& f) {
  if (end <= begin) return;
  backend::cuda::DeviceGuard guard(backend::cuda::cuda_index(like, "optimizer update"));
  const int64_t blocks = blocks_for(end - begin, kMaxBlocks);
  for_each_kernel<F><<<static_cast<unsigned>(blocks), kThreads>>>(begin, end, f);
  backend::cuda::check_cuda(cudaGetLastError(), "optimizer update kernel launch");
}

template <int K, class F>
std::array<double, K> cuda_reduce(const Tensor& like, int64_t begin, int64_t end, const F& f) {
  std::array<double, K> total{};
  if (end <= begin) return total;
  const int index = backend::cuda::cuda_index(like, "optimizer reduction");
  backend::cuda::DeviceGuard guard(index);
  const int64_t blocks = blocks_for(end - begin, kReduceBlocks);
  Tensor partial = Tensor::empty({blocks * K}, kFloat64, cuda_device(index));
  reduce_kernel<K, F><<<static_cast<unsigned>(blocks), kThreads>>>(begin, end, f, partial.data<double>());
  backend::cuda::check_cuda(cudaGetLastError(), "optimizer reduction kernel launch");
  std::vector<double> host(static_cast<size_t>(blocks * K));
  // Synchronous on the legacy default stream: waits for the kernel (NOTE [CUDA stream order]).
  backend::cuda::check_cuda(
      cudaMemcpy(host.data(), partial.data<double>(), host.size() * sizeof(double), cudaMemcpyDeviceToHost),
      "cudaMemcpy (optimizer reduction partial sums)");
  for (int64_t b = 0; b < blocks; ++b)
    for (int k = 0; k < K; ++k) total[k] += host[static_cast<size_t>(b * K + k)];
  return total;
}

bool cuda_any_nonfinite(const Tensor& like, const void* p, const void* g, int64_t begin, int64_t end) {
  if (end <= begin) return false;
  const int index = backend::cuda::cuda_index(like, "finiteness check");
  backend::cuda::DeviceGuard guard(index);
  Tensor flag = Tensor::empty({1}, kFloat32, cuda_device(index));  // 4 bytes, used as an int
  backend::cuda::check_cuda(cudaMemset(flag.raw_data(), 0, sizeof(int)), "cudaMemset (finiteness flag)");
  const int64_t blocks = blocks_for(end - begin, kMaxBlocks);
  int* fp = static_cast<int*>(flag.raw_data());
  if (like.dtype() == kFloat64) {
    nonfinite_kernel<double><<<static_cast<unsigned>(blocks), kThreads>>>(
        static_cast<const double*>(p), static_cast<const double*>(g), begin, end, fp);
  } else {
    check<ValueError>(like.dtype() == kFloat32, "finiteness check on CUDA: expected float32 or float64, got ",
                      dtype_name(like.dtype()));
    nonfinite_kernel<float><<<static_cast<unsigned>(blocks), kThreads>>>(static_cast<const float*>(p),
                                                                         static_cast<const float*>(g), begin, end, fp);
  }
  backend::cuda::check_cuda(cudaGetLastError(), "finiteness check kernel launch");
  int host = 0;
  backend::cuda::check_cuda(cudaMemcpy(&host, fp, sizeof(int), cudaMemcpyDeviceToHost), "cudaMemcpy (finiteness flag)");
  return host != 0;
}

// The explicit instantiations: one line per functor, float32 and float64.
#define MOMENTA_OPTIM_FOR_EACH(F)                                                          \
  template void cuda_for_each<F<float>>(const Tensor&, int64_t, int64_t, const F<float>&); \
  template void cuda_for_each<F<double>>(const Tensor&, int64_t, int64_t, const F<double>&);
#define MOMENTA_OPTIM_REDUCE(K, F)                                                                           \
  template std::array<double, K> cuda_reduce<K, F<float>>(const Tensor&, int64_t, int64_t, const F<float>&); \
  template std::array<double, K> cuda_reduce<K, F<double>>(const Tensor&, int64_t, int64_t, const F<double>&);

MOMENTA_OPTIM_FOR_EACH(kernels::FillStep)
MOMENTA_OPTIM_FOR_EACH(kernels::CopyStep)
MOMENTA_OPTIM_FOR_EACH(kernels::SgdStep)
MOMENTA_OPTIM_FOR_EACH(kernels::AdamStep)
MOMENTA_OPTIM_FOR_EACH(kernels::SuperAccelStep)
MOMENTA_OPTIM_FOR_EACH(kernels::RmspropSuperAccelStep)
MOMENTA_OPTIM_FOR_EACH(kernels::AdamSuperAccelStep)
MOMENTA_OPTIM_FOR_EACH(kernels::SuperAccelThetaStep)
MOMENTA_OPTIM_FOR_EACH(kernels::AdaBoundStep)
MOMENTA_OPTIM_FOR_EACH(kernels::PadamStep)
MOMENTA_OPTIM_FOR_EACH(kernels::YogiStep)
MOMENTA_OPTIM_FOR_EACH(kernels::RadamElementStep)
MOMENTA_OPTIM_FOR_EACH(kernels::EmaStep)
MOMENTA_OPTIM_FOR_EACH(kernels::SwaStep)
MOMENTA_OPTIM_FOR_EACH(kernels::BelayStep)
MOMENTA_OPTIM_REDUCE(1, kernels::SquaredDistanceTerm)
MOMENTA_OPTIM_REDUCE(1, kernels::AdaiSecondMomentTerm)
MOMENTA_OPTIM_REDUCE(2, kernels::AdaiUpdateTerm)
MOMENTA_OPTIM_FOR_EACH(kernels::EcdsepMomentumStep)
MOMENTA_OPTIM_REDUCE(2, kernels::EcdsepNormsTerm)
MOMENTA_OPTIM_REDUCE(2, kernels::EcdsepKickTerm)
MOMENTA_OPTIM_REDUCE(3, kernels::EcdsepDriftTerm)
MOMENTA_OPTIM_REDUCE(1, kernels::BbiUpdateTerm)
MOMENTA_OPTIM_REDUCE(1, kernels::BbiBounceTerm)
MOMENTA_OPTIM_REDUCE(1, kernels::BbiInitTerm)

}  // namespace momenta::optim
