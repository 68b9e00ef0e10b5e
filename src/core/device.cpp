#include "momenta/device.h"

#include <cstdlib>

#include "momenta/allocator.h"
#include "momenta/error.h"

namespace momenta {

Allocator& cpu_allocator();
namespace backend::cuda {
Allocator& allocator(int index);
bool built();
int device_count();
}  // namespace backend::cuda

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

Allocator& allocator_for(Device device) {
  if (device.is_cpu()) return cpu_allocator();
  return backend::cuda::allocator(device.index);
}

}  // namespace momenta
