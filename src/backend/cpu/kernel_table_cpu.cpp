// The CPU backend's kernel table (backend.h): every kernel of kernel_list.inc, from namespace cpu.
#include "backend/backend.h"

namespace momenta::backend {

const KernelTable& cpu_kernel_table() {
  static const KernelTable table = [] {
    KernelTable t;
    t.device = "cpu";
#define MOMENTA_KERNEL(ret, name, params, args) t.name = &cpu::name;
#define MOMENTA_KERNEL_SPECIAL MOMENTA_KERNEL
#include "backend/kernel_list.inc"
#undef MOMENTA_KERNEL
#undef MOMENTA_KERNEL_SPECIAL
    return t;
  }();
  return table;
}

}  // namespace momenta::backend
