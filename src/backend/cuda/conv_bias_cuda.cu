// The bias kernels of the CUDA convolution (declared in conv_bias_cuda.h). cuDNN computes the
// convolution itself (conv_cudnn.cpp); the bias is added and reduced here so that the forward
// matches the CPU's rounding and the bias gradient is deterministic.
#include <algorithm>

#include "backend/backend.h"
#include "backend/cuda/conv_bias_cuda.h"
#include "backend/cuda/cuda_util.h"

namespace momenta::backend::cuda {
namespace {

constexpr int kThreads = 256;  // a power of two: the tree reduction below halves it
constexpr int64_t kMaxBlocks = 65536;

template <class T>
__global__ void bias_add_kernel(T* y, const T* b, int64_t total, int64_t k, int64_t pq) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    y[i] += b[(i / pq) % k];
  }
}

// Block c (grid-stride over channels) sums gy[:, c, :]: thread t adds elements t, t + 256, ...
// of the channel's N * PQ values in order, then a fixed pairwise tree combines the 256 sums.
template <class T>
__global__ void bias_grad_kernel(const T* gy, T* gb, int64_t n, int64_t k, int64_t pq) {
  __shared__ double partial[kThreads];
  const int64_t per_channel = n * pq;
  for (int64_t c = blockIdx.x; c < k; c += gridDim.x) {
    double acc = 0.0;
    for (int64_t j = threadIdx.x; j < per_channel; j += kThreads) {
      const int64_t img = j / pq, pos = j % pq;
      acc += static_cast<double>(gy[(img * k + c) * pq + pos]);
    }
    partial[threadIdx.x] = acc;
    __syncthreads();
    for (int half = kThreads / 2; half > 0; half /= 2) {
      if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
      __syncthreads();
    }
    if (threadIdx.x == 0) gb[c] = static_cast<T>(partial[0]);
    __syncthreads();  // partial is reused by the next channel
  }
}

}  // namespace

void conv_bias_add(DType dtype, void* y, const void* b, int64_t n, int64_t k, int64_t pq) {
  const int64_t total = n * k * pq;
  if (total == 0) return;
  const auto blocks = static_cast<unsigned>(std::min<int64_t>((total + kThreads - 1) / kThreads, kMaxBlocks));
  dispatch_floating(dtype, "conv2d bias on CUDA", [&](auto tag) {
    using T = decltype(tag);
    bias_add_kernel<T><<<blocks, kThreads>>>(static_cast<T*>(y), static_cast<const T*>(b), total, k, pq);
    check_cuda(cudaGetLastError(), "conv2d bias kernel");
  });
}

void conv_bias_grad(DType dtype, const void* gy, void* gb, int64_t n, int64_t k, int64_t pq) {
  if (k == 0) return;
  const auto blocks = static_cast<unsigned>(std::min<int64_t>(k, kMaxBlocks));
  dispatch_floating(dtype, "conv2d bias gradient on CUDA", [&](auto tag) {
    using T = decltype(tag);
    bias_grad_kernel<T><<<blocks, kThreads>>>(static_cast<const T*>(gy), static_cast<T*>(gb), n, k, pq);
    check_cuda(cudaGetLastError(), "conv2d bias gradient kernel");
  });
}

}  // namespace momenta::backend::cuda
