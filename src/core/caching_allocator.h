// NOTE [caching allocator]: one implementation of the cache behind every device's allocator
// (DESIGN principle 4). Freed blocks go into a size-ordered cache and are handed out again for
// any request they fit without wasting more than half the block; a device only supplies the
// raw allocation and release. Thread-safe.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "momenta/allocator.h"

namespace momenta {

class CachingAllocator : public Allocator {
 public:
  explicit CachingAllocator(size_t rounding) : rounding_(rounding) {}
  void* allocate(size_t nbytes) final;
  void deallocate(void* ptr, size_t nbytes) final;
  AllocatorStats stats() const final;
  void empty_cache() final;

 protected:
  // Returns nullptr when the device is out of memory; throws for any other failure.
  virtual void* system_allocate(size_t nbytes) = 0;
  virtual void system_free(void* ptr) = 0;
  // The message of the error thrown when even a retry after emptying the cache fails.
  virtual std::string out_of_memory(size_t nbytes, const AllocatorStats& stats) const = 0;

 private:
  void release_cached_locked();

  const size_t rounding_;
  mutable std::mutex mu_;
  std::multimap<size_t, void*> free_;
  std::unordered_map<void*, size_t> sizes_;
  AllocatorStats stats_;
};

}  // namespace momenta
