// The thin dispatch layer between ops and device kernels (DESIGN principle 3, STYLE habit 7).
// The kernels of kernel_list.inc are implemented per device, in namespace cpu
// (src/backend/cpu) and namespace cuda (src/backend/cuda), and reached through one table of
// function pointers per device. An op calls backend::X(...): X checks that the tensors it is
// given share one device (ValueError naming both devices otherwise) and calls that device's
// entry; a missing entry (CUDA not built) is a NotSupportedError naming the kernel and device.
#pragma once

#include <cstdint>

#include "backend/conv_params.h"
#include "backend/ops_enum.h"
#include "momenta/tensor.h"

namespace momenta::backend {

#define MOMENTA_KERNEL(ret, name, params, args) ret name params;
#define MOMENTA_KERNEL_SPECIAL(ret, name, params, args) ret name params;
namespace cpu {
#include "backend/kernel_list.inc"
}  // namespace cpu

// Declared always; defined only in a build with CUDA (src/backend/cuda).
namespace cuda {
#include "backend/kernel_list.inc"
}  // namespace cuda
#undef MOMENTA_KERNEL_SPECIAL

// The dispatching kernels (backend.cpp). copy is by hand: it crosses devices.
#define MOMENTA_KERNEL_SPECIAL(ret, name, params, args)
#include "backend/kernel_list.inc"
#undef MOMENTA_KERNEL
#undef MOMENTA_KERNEL_SPECIAL
void copy(const Tensor& src, const Tensor& dst);

// gemm has no tensor to read the device from.
void gemm_on(Device device, DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
             const void* a, int64_t lda, const void* b, int64_t ldb, double beta, void* c, int64_t ldc);

// One device type's kernels; a null entry is a kernel that device does not have.
struct KernelTable {
  const char* device = "";
  const char* missing_reason = "";  // why entries are null, for the error
#define MOMENTA_KERNEL(ret, name, params, args) ret(*name) params = nullptr;
#define MOMENTA_KERNEL_SPECIAL MOMENTA_KERNEL
#include "backend/kernel_list.inc"
#undef MOMENTA_KERNEL
#undef MOMENTA_KERNEL_SPECIAL
};

// The tables: the CPU's is complete (cpu/kernel_table_cpu.cpp); CUDA's comes from
// cuda/kernel_table_cuda.cpp, or is empty in a build without CUDA (backend.cpp).
const KernelTable& cpu_kernel_table();
const KernelTable& cuda_kernel_table();

// The channel block (ops.h "Channel-blocked activations") convolutions prefer on `device` for
// `dtype`; 0 for none.
int64_t preferred_channel_block(Device device, DType dtype);

}  // namespace momenta::backend
