// The CUDA backend's kernel table (backend.h): every kernel of kernel_list.inc, from namespace cuda.
#include "backend/backend.h"

namespace momenta::backend {

const KernelTable& cuda_kernel_table() {
  static const KernelTable table = [] {
    KernelTable t;
    t.device = "cuda";
#define MOMENTA_KERNEL(ret, name, params, args) t.name = &cuda::name;
#define MOMENTA_KERNEL_SPECIAL MOMENTA_KERNEL
#include "backend/kernel_list.inc"
#undef MOMENTA_KERNEL
#undef MOMENTA_KERNEL_SPECIAL
    return t;
  }();
  return table;
}

}  // namespace momenta::backend
