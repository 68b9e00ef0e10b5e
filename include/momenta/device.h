// Where a tensor lives. The CPU is always built; CUDA devices exist when momenta is built with
// MOMENTA_CUDA and a GPU is present (see backend/cuda).
#pragma once

#include <string>

namespace momenta {

enum class DeviceType : uint8_t { kCPU, kCUDA };

struct Device {
  DeviceType type = DeviceType::kCPU;
  int index = 0;

  bool is_cpu() const { return type == DeviceType::kCPU; }
  bool is_cuda() const { return type == DeviceType::kCUDA; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }
};

inline constexpr Device kCPU{DeviceType::kCPU, 0};
inline Device cuda_device(int index = 0) { return Device{DeviceType::kCUDA, index}; }

// Parses "cpu", "cuda" or "cuda:N"; throws ValueError otherwise.
Device parse_device(const std::string& s);
// True when this build has the CUDA backend.
bool cuda_built();
// Number of CUDA devices visible (0 when not built or none present).
int cuda_device_count();
// Checks that `device` can be used on this machine: the CPU always; cuda:N when CUDA is built and
// N < cuda_device_count(). Otherwise throws NotSupportedError with one line that starts
// "no CUDA device" and says why (not built, no driver or GPU, or the index out of range).
void require_device(Device device);

}  // namespace momenta
