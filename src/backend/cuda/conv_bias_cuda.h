// The bias kernels of the CUDA convolution (conv_bias_cuda.cu), called by conv_cudnn.cpp on the
// current device. y and gy are contiguous [N, K, PQ] (PQ = P * Q); b and gb are [K].
#pragma once

#include <cstdint>

#include "momenta/dtype.h"

namespace momenta::backend::cuda {

// y[n, k, :] += b[k], as the CPU kernel adds it (one rounding per element).
void conv_bias_add(DType dtype, void* y, const void* b, int64_t n, int64_t k, int64_t pq);
// gb[k] = sum over n and PQ of gy[n, k, :]: one block per channel, double accumulators and a fixed
// tree order, so the sum is deterministic (no atomics).
void conv_bias_grad(DType dtype, const void* gy, void* gb, int64_t n, int64_t k, int64_t pq);

}  // namespace momenta::backend::cuda
