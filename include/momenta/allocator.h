// Caching allocators (DESIGN principle 4). Freed blocks are kept and handed out again, so a
// training step reuses memory instead of faulting in fresh pages (~1.4 us per 4 KiB here).
#pragma once

#include <cstddef>
#include <cstdint>

#include "momenta/device.h"

namespace momenta {

struct AllocatorStats {
  uint64_t allocations = 0;      // requests served
  uint64_t cache_hits = 0;       // requests served from the cache
  uint64_t system_allocations = 0;  // requests that went to the system
  size_t bytes_in_use = 0;
  size_t bytes_cached = 0;
  size_t peak_bytes_in_use = 0;
};

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(size_t nbytes) = 0;
  virtual void deallocate(void* ptr, size_t nbytes) = 0;
  virtual AllocatorStats stats() const = 0;
  virtual void empty_cache() = 0;  // returns cached blocks to the system
};

// The process-wide allocator for a device.
Allocator& allocator_for(Device device);

}  // namespace momenta
