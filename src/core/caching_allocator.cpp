#include "core/caching_allocator.h"

#include <exception>

#include "momenta/error.h"

namespace momenta {

void* CachingAllocator::allocate(size_t nbytes) {
  const size_t want = (std::max<size_t>(nbytes, 1) + rounding_ - 1) / rounding_ * rounding_;
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.allocations;
  void* p = nullptr;
  size_t size = want;
  auto it = free_.lower_bound(want);
  if (it != free_.end() && it->first <= 2 * want) {
    p = it->second;
    size = it->first;
    free_.erase(it);
    stats_.bytes_cached -= size;
    ++stats_.cache_hits;
  } else {
    p = system_allocate(want);
    if (p == nullptr) {  // give the cache back and try once more
      release_cached_locked();
      p = system_allocate(want);
    }
    if (p == nullptr) throw Error(out_of_memory(want, stats_));
    ++stats_.system_allocations;
  }
  sizes_[p] = size;
  stats_.bytes_in_use += size;
  if (stats_.bytes_in_use > stats_.peak_bytes_in_use) stats_.peak_bytes_in_use = stats_.bytes_in_use;
  return p;
}

void CachingAllocator::deallocate(void* ptr, size_t /*nbytes*/) {
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

AllocatorStats CachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void CachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(mu_);
  release_cached_locked();
}

void CachingAllocator::release_cached_locked() {
  std::exception_ptr first;
  for (auto& [size, p] : free_) {
    try {
      system_free(p);
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  free_.clear();
  stats_.bytes_cached = 0;
  if (first) std::rethrow_exception(first);
}

}  // namespace momenta
