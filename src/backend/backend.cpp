// The dispatching kernels of the seam (backend.h), generated from kernel_list.inc, and the hand-
// written ones: copy (it crosses devices) and gemm_on (raw pointers, no tensor).
#include "backend/backend.h"

#include <string>

#include "backend/cpu/conv_onednn.h"

namespace momenta::backend {
namespace {

// The device every defined tensor among a kernel's arguments lives on; they must agree, and a
// mismatch names the two arguments ("binary: 'b' is on cuda:0, 'a' on cpu"). Undefined tensors
// (an optional bias or gradient) and non-tensor arguments are skipped.
class DeviceOfArgs {
 public:
  // `names`: the arguments as written in kernel_list.inc, "(op, x, out)".
  DeviceOfArgs(const char* kernel, const char* names) : kernel_(kernel), names_(names) {}
  void see(const Tensor& t) {
    const int index = next_++;
    if (!t.defined()) return;
    if (first_ < 0) {
      first_ = index;
      device_ = t.device();
      return;
    }
    check<ValueError>(t.device() == device_, kernel_, ": '", name(index), "' is on ", t.device().str(), ", '",
                      name(first_), "' on ", device_.str(), " (every operand of a kernel must be on one device)");
  }
  template <class T>
  void see(const T&) {
    ++next_;
  }
  Device device() const {
    check<ValueError>(first_ >= 0, kernel_, ": no defined tensor to take the device from");
    return device_;
  }

 private:
  // The index-th name of "(a, b, c)".
  std::string name(int index) const {
    std::string all(names_), part;
    int at = 0;
    for (char c : all) {
      if (c == '(' || c == ')' || c == ' ') continue;
      if (c == ',') {
        if (at++ == index) return part;
        part.clear();
        continue;
      }
      part += c;
    }
    return at == index ? part : "?";
  }

  const char* kernel_;
  const char* names_;
  int next_ = 0, first_ = -1;
  Device device_ = kCPU;
};

template <class... Args>
Device device_of(const char* kernel, const char* names, const Args&... args) {
  DeviceOfArgs d(kernel, names);
  (d.see(args), ...);
  return d.device();
}

const KernelTable& table_for(Device d) { return d.is_cpu() ? cpu_kernel_table() : cuda_kernel_table(); }

[[noreturn]] void missing(const char* kernel, Device d, const KernelTable& t) {
  throw NotSupportedError(str_cat("kernel '", kernel, "' is not available on ", d.str(),
                                  *t.missing_reason ? ": " : "", t.missing_reason));
}

}  // namespace

#define MOMENTA_UNPAREN(...) __VA_ARGS__
#define MOMENTA_KERNEL(ret, name, params, args)                           \
  ret name params {                                                       \
    const Device device_ = device_of(#name, #args, MOMENTA_UNPAREN args); \
    const KernelTable& table_ = table_for(device_);                       \
    if (table_.name == nullptr) missing(#name, device_, table_);          \
    return table_.name args;                                              \
  }
#define MOMENTA_KERNEL_SPECIAL(ret, name, params, args)
#include "backend/kernel_list.inc"
#undef MOMENTA_KERNEL
#undef MOMENTA_KERNEL_SPECIAL
#undef MOMENTA_UNPAREN

void copy(const Tensor& src, const Tensor& dst) {
  // The CUDA backend owns every transfer that touches a GPU.
  const Device d = src.device().is_cuda() ? src.device() : dst.device();
  const KernelTable& t = table_for(d);
  if (t.copy == nullptr) missing("copy", d, t);
  t.copy(src, dst);
}

void gemm_on(Device device, DType dtype, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
             const void* a, int64_t lda, const void* b, int64_t ldb, double beta, void* c, int64_t ldc) {
  const KernelTable& t = table_for(device);
  if (t.gemm == nullptr) missing("gemm", device, t);
  t.gemm(dtype, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

int64_t preferred_channel_block(Device device, DType dtype) {
  return device.is_cpu() && dtype == kFloat32 ? cpu::onednn_channel_block() : 0;  // cuDNN: plain layouts
}

#if !defined(MOMENTA_WITH_CUDA)
// A build without CUDA has no CUDA kernels: every entry is missing, and says why.
const KernelTable& cuda_kernel_table() {
  static const KernelTable table{"cuda",
                                 "momenta was built without CUDA (configure with -DMOMENTA_CUDA=ON on a machine "
                                 "with the CUDA toolkit and cuDNN)"};
  return table;
}
#endif

}  // namespace momenta::backend
