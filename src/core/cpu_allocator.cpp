// The CPU allocator: the shared cache (core/caching_allocator.h) over 64-byte aligned
// malloc. On this VM every fresh 4 KiB page costs a fault (~1.4 us), so reuse matters.
#include <cstdlib>

#include "core/caching_allocator.h"
#include "momenta/error.h"

namespace momenta {
namespace {

class CpuAllocator final : public CachingAllocator {
 public:
  CpuAllocator() : CachingAllocator(64) {}

 protected:
  void* system_allocate(size_t nbytes) override { return std::aligned_alloc(64, nbytes); }
  void system_free(void* ptr) override { std::free(ptr); }
  std::string out_of_memory(size_t nbytes, const AllocatorStats& s) const override {
    return str_cat("out of CPU memory: could not allocate ", nbytes, " bytes (", s.bytes_in_use,
                   " bytes in use by tensors)");
  }
};

}  // namespace

Allocator& cpu_allocator() {
  // Never destroyed: tensors held by static objects may be freed after main returns.
  static auto* alloc = new CpuAllocator();
  return *alloc;
}

}  // namespace momenta
