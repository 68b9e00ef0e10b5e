// The thin dispatch layer between ops and device kernels (DESIGN principle 3, STYLE habit 7).
// An op calls backend::X(...); X forwards to cpu::X or cuda::X by the tensors' device. When
// CUDA is not built, cuda_stub.cpp answers every cuda::X with a clear NotSupportedError.
#pragma once

#include <cstdint>

#include "backend/conv_params.h"
#include "backend/ops_enum.h"
#include "momenta/tensor.h"

namespace momenta::backend {

namespace cpu {
#include "backend/kernel_list.inc"
}  // namespace cpu

namespace cuda {
#include "backend/kernel_list.inc"
}  // namespace cuda

#include "backend/kernel_list.inc"

// gemm has no tensor to read the device from.
void gemm_on(Device device, DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
             const void* a, int64_t lda, const void* b, int64_t ldb, double beta, void* c, int64_t ldc);

// The channel block (ops.h "Channel-blocked activations") convolutions prefer on `device` for
// `dtype`; 0 for none.
int64_t preferred_channel_block(Device device, DType dtype);

}  // namespace momenta::backend
