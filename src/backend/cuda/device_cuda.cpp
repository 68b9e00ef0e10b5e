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

size_t round_size(size_t n) {
  if (n == 0) n = 1;
  return (n + kRound - 1) / kRound * kRound;
}

class CudaCachingAllocator final : public Allocator {
 public:
  explicit CudaCachingAllocator(int index) : index_(index) {}
  // Never destroyed (see allocator()): cudaFree after the runtime shut down at exit would fail.

  void* allocate(size_t nbytes) override {
    const size_t want = round_size(nbytes);
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.allocations;
    // Best fit among cached blocks, wasting at most half of the block.
    auto it = free_.lower_bound(want);
    if (it != free_.end() && it->first <= 2 * want) {
      void* p = it->second;
      const size_t size = it->first;
      free_.erase(it);
      stats_.bytes_cached -= size;
      ++stats_.cache_hits;
      note_in_use(p, size);
      return p;
    }
    DeviceGuard guard(index_);
    void* p = nullptr;
    cudaError_t err = cudaMalloc(&p, want);
    if (err == cudaErrorMemoryAllocation) {  // give the cache back and try once more
      (void)cudaGetLastError();
      release_cached_locked();
      err = cudaMalloc(&p, want);
    }
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      throw Error(str_cat("out of CUDA memory on cuda:", index_, ": could not allocate ", want, " bytes (",
                          stats_.bytes_in_use, " bytes in use by tensors)"));
    }
    check_cuda(err, "cudaMalloc");
    ++stats_.system_allocations;
    note_in_use(p, want);
    return p;
  }

  void deallocate(void* ptr, size_t /*nbytes*/) override {
    if (ptr == nullptr) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sizes_.find(ptr);
    if (it == sizes_.end()) return;
    const size_t size = it->second;
    sizes_.erase(it);
    stats_.bytes_in_use -= size;
    stats_.bytes_cached += size;
    free_.emplace(size, ptr);
  }

  AllocatorStats stats() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
  }

  void empty_cache() override {
    std::lock_guard<std::mutex> lock(mu_);
    release_cached_locked();
  }

 private:
  void note_in_use(void* p, size_t size) {
    sizes_[p] = size;
    stats_.bytes_in_use += size;
    if (stats_.bytes_in_use > stats_.peak_bytes_in_use) stats_.peak_bytes_in_use = stats_.bytes_in_use;
  }

  // cudaFree waits for the device, so no queued kernel still uses a block it frees.
  void release_cached_locked() {
    if (free_.empty()) return;
    DeviceGuard guard(index_);
    cudaError_t first_error = cudaSuccess;
    for (auto& [size, p] : free_) {
      const cudaError_t err = cudaFree(p);
      if (err != cudaSuccess && first_error == cudaSuccess) first_error = err;
    }
    free_.clear();
    stats_.bytes_cached = 0;
    check_cuda(first_error, "cudaFree");
  }

  const int index_;
  mutable std::mutex mu_;
  std::multimap<size_t, void*> free_;
  std::unordered_map<void*, size_t> sizes_;
  AllocatorStats stats_;
};

}  // namespace

bool built() { return true; }

int device_count() { return probe_devices().count; }

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
