#include "momenta/device.h"

#include <cstdlib>

#include "backend/staging.h"
#include "momenta/allocator.h"
#include "momenta/error.h"

namespace momenta {

Allocator& cpu_allocator();
namespace backend::cuda {
#if defined(MOMENTA_WITH_CUDA)
// src/backend/cuda/device_cuda.cpp
Allocator& allocator(int index);
bool built();
int device_count();
std::string no_device_reason();
#else
// A build without CUDA: no devices, and every use of one says why.
const char* const kNotBuilt =
    "momenta was built without CUDA (configure with -DMOMENTA_CUDA=ON on a machine with the CUDA toolkit and cuDNN)";
bool built() { return false; }
int device_count() { return 0; }
std::string no_device_reason() { return kNotBuilt; }
Allocator& allocator(int index) {
  throw NotSupportedError(str_cat("CUDA allocation on cuda:", index, ": ", kNotBuilt));
}
#endif
}  // namespace backend::cuda

#if !defined(MOMENTA_WITH_CUDA)
// backend/staging.h without CUDA: nothing can be staged for a device that cannot exist.
namespace backend {
PinnedStage::PinnedStage(Device device, size_t nbytes) : device_(device), nbytes_(nbytes) {
  throw NotSupportedError(str_cat("pinned staging for ", device.str(), ": ", cuda::kNotBuilt));
}
PinnedStage::~PinnedStage() = default;
// Unreachable (the constructor throws); they name every field, as clang's -Wunused-private-field
// asks of a class whose members are all defined here.
void PinnedStage::copy_to(const Tensor&, size_t) {
  (void)event_;
  throw NotSupportedError(str_cat("copy to ", device_.str(), ": ", cuda::kNotBuilt));
}
void PinnedStage::wait() { busy_ = false; }
}  // namespace backend
#endif

Device parse_device(const std::string& s) {
  if (s == "cpu") return kCPU;
  if (s == "cuda") return cuda_device(0);
  if (s.rfind("cuda:", 0) == 0) {
    const std::string idx = s.substr(5);
    char* end = nullptr;
    const long v = std::strtol(idx.c_str(), &end, 10);
    if (!idx.empty() && end && *end == '\0' && v >= 0) return cuda_device(static_cast<int>(v));
  }
  throw ValueError(str_cat("unknown device '", s, "': expected cpu, cuda or cuda:N"));
}

bool cuda_built() { return backend::cuda::built(); }
int cuda_device_count() { return backend::cuda::device_count(); }

void require_device(Device device) {
  if (device.is_cpu()) return;
  const int count = cuda_device_count();
  if (count == 0) {
    const std::string why = backend::cuda::no_device_reason();
    // `why` is the runtime's own words (no driver reads "CUDA driver version is insufficient"),
    // or "built without CUDA".
    throw NotSupportedError(str_cat("no CUDA device: ", device.str(), " was asked for, but ",
                                    cuda_built() ? "the CUDA runtime sees no GPU on this machine" : why,
                                    cuda_built() && !why.empty() ? " (" + why + ")" : std::string(),
                                    "; use --device cpu"));
  }
  check<NotSupportedError>(device.index >= 0 && device.index < count, "no CUDA device ", device.str(), ": this machine has ",
                           count, " (cuda:0", count > 1 ? str_cat(" to cuda:", count - 1) : std::string(), ")");
}

Allocator& allocator_for(Device device) {
  if (device.is_cpu()) return cpu_allocator();
  return backend::cuda::allocator(device.index);
}

}  // namespace momenta
