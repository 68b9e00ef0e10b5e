// CUDA device management: error checking, device discovery, and the caching device allocator
// (DESIGN principle 4): cudaMalloc and cudaFree synchronise the device and cost tens of
// microseconds, so freed blocks are kept per device and handed out again (see NOTE [CUDA stream
// order] in cuda_util.h for why reuse without events is safe).
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend/backend.h"
#include "backend/cuda/cuda_util.h"
#include "core/caching_allocator.h"
#include "momenta/allocator.h"

namespace momenta::backend::cuda {

void check_cuda(cudaError_t err, const char* api) {
  if (err == cudaSuccess) return;
  (void)cudaGetLastError();  // clear the (non-sticky) error so later launch checks do not report it again
  throw Error(str_cat(api, " failed: ", cudaGetErrorString(err), " (", cudaGetErrorName(err), ")"));
}

DeviceGuard::DeviceGuard(int index) {
  check_cuda(cudaGetDevice(&previous_), "cudaGetDevice");
  if (previous_ == index) return;
  check_cuda(cudaSetDevice(index), "cudaSetDevice");
}

DeviceGuard::~DeviceGuard() {
  int now = -1;
  if (cudaGetDevice(&now) == cudaSuccess && now != previous_) (void)cudaSetDevice(previous_);
}

namespace {

struct DeviceCount {
  int count = 0;
  std::string reason;  // why there are none, when the runtime said so
};

// Asked once: the set of visible devices does not change during a process.
const DeviceCount& probe_devices() {
  static const DeviceCount probe = [] {
    DeviceCount d;
    const cudaError_t err = cudaGetDeviceCount(&d.count);
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      d.count = 0;
      d.reason = str_cat("cudaGetDeviceCount: ", cudaGetErrorString(err));
    }
    return d;
  }();
  return probe;
}

// Rounded so that similar requests share blocks; cudaMalloc aligns to 256 bytes anyway.
constexpr size_t kRound = 512;


// The shared cache (core/caching_allocator.h) over cudaMalloc on one device.
class CudaCachingAllocator final : public CachingAllocator {
 public:
  explicit CudaCachingAllocator(int index) : CachingAllocator(kRound), index_(index) {}
  // Never destroyed (see allocator()): cudaFree after the runtime shut down at exit would fail.

 protected:
  void* system_allocate(size_t nbytes) override {
    DeviceGuard guard(index_);
    void* p = nullptr;
    const cudaError_t err = cudaMalloc(&p, nbytes);
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // clear the sticky error; the cache retries once
      return nullptr;
    }
    check_cuda(err, "cudaMalloc");
    return p;
  }
  // cudaFree waits for the device, so no queued kernel still uses a block it frees.
  void system_free(void* ptr) override {
    DeviceGuard guard(index_);
    check_cuda(cudaFree(ptr), "cudaFree");
  }
  std::string out_of_memory(size_t nbytes, const AllocatorStats& s) const override {
    return str_cat("out of CUDA memory on cuda:", index_, ": could not allocate ", nbytes, " bytes (",
                   s.bytes_in_use, " bytes in use by tensors)");
  }

 private:
  const int index_;
};

}  // namespace

bool built() { return true; }

int device_count() { return probe_devices().count; }
std::string no_device_reason() { return probe_devices().reason; }

Allocator& allocator(int index) {
  const DeviceCount& d = probe_devices();
  if (d.count == 0) {
    throw NotSupportedError(str_cat("CUDA allocation on cuda:", index, ": no CUDA device is available",
                                    d.reason.empty() ? "" : " (", d.reason, d.reason.empty() ? "" : ")"));
  }
  check<ValueError>(index >= 0 && index < d.count, "device cuda:", index, " does not exist: ", d.count,
                    " CUDA device(s) visible");
  // One allocator per device, made on first use and never destroyed: tensors held by static
  // objects may be freed after main returns, when the CUDA runtime is already gone.
  static std::mutex mu;
  static auto* allocators = new std::vector<std::unique_ptr<CudaCachingAllocator>>(static_cast<size_t>(d.count));
  std::lock_guard<std::mutex> lock(mu);
  auto& slot = (*allocators)[static_cast<size_t>(index)];
  if (!slot) slot = std::make_unique<CudaCachingAllocator>(index);
  return *slot;
}

}  // namespace momenta::backend::cuda
