// Helpers shared by the CUDA backend's files (host code only; included by .cu and .cpp alike).
//
// NOTE [CUDA stream order]: every kernel, cuBLAS call and copy of this backend runs on the
// legacy default stream of its device, so work is ordered without events. The caching allocator
// may therefore hand a freed block to the next request at once: any kernel still reading the
// old tensor was queued before the kernel that writes the new one. A backend that adds streams
// must record an event per block first (as PyTorch's recordStream does).
#pragma once

#include <cuda_runtime.h>

#include "momenta/tensor.h"

namespace momenta::backend::cuda {

// Throws momenta::Error naming `api` and CUDA's message when `err` is not cudaSuccess.
void check_cuda(cudaError_t err, const char* api);

// Makes `index` the current device for its lifetime and restores the previous one after.
class DeviceGuard {
 public:
  explicit DeviceGuard(int index);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;
};

// The CUDA device index of `t`; throws ValueError when `t` is not on a CUDA device.
inline int cuda_index(const Tensor& t, const char* what) {
  check<ValueError>(t.device().is_cuda(), what, ": expected a CUDA tensor, got one on ", t.device().str());
  return t.device().index;
}

// dst = src on one CUDA device, both of one shape with any strides; converts dtype.
// Defined in elementwise_cuda.cu; the transfer logic of copy() (copy_cuda.cpp) builds on it.
void copy_on_device(const Tensor& src, const Tensor& dst);

}  // namespace momenta::backend::cuda
