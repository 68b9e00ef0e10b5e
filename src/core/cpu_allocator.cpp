// The CPU caching allocator (DESIGN principle 4). Freed blocks go into a size-ordered cache and
// are handed out again for any request they fit without wasting more than half the block.
// Training steps repeat the same shapes, so after the first step nearly every request hits.
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

#include "momenta/allocator.h"
#include "momenta/error.h"

namespace momenta {
namespace {

constexpr size_t kAlignment = 64;

size_t round_size(size_t n) {
  if (n == 0) n = 1;
  return (n + kAlignment - 1) / kAlignment * kAlignment;
}

class CpuCachingAllocator final : public Allocator {
 public:
  ~CpuCachingAllocator() override { release_all(); }

  void* allocate(size_t nbytes) override {
    const size_t want = round_size(nbytes);
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.allocations;
    auto it = free_.lower_bound(want);
    if (it != free_.end() && it->first <= 2 * want) {
      void* p = it->second;
      const size_t size = it->first;
      free_.erase(it);
      stats_.bytes_cached -= size;
      ++stats_.cache_hits;
      in_use(size);
      sizes_[p] = size;
      return p;
    }
    void* p = std::aligned_alloc(kAlignment, want);
    if (p == nullptr) {
      release_cached_locked();  // give the cache back and try once more
      p = std::aligned_alloc(kAlignment, want);
    }
    if (p == nullptr) throw Error(str_cat("out of CPU memory: could not allocate ", want, " bytes"));
    ++stats_.system_allocations;
    sizes_[p] = want;
    in_use(want);
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
  void in_use(size_t size) {
    stats_.bytes_in_use += size;
    if (stats_.bytes_in_use > stats_.peak_bytes_in_use) stats_.peak_bytes_in_use = stats_.bytes_in_use;
  }
  void release_cached_locked() {
    for (auto& [size, p] : free_) std::free(p);
    free_.clear();
    stats_.bytes_cached = 0;
  }
  void release_all() {
    release_cached_locked();
    for (auto& [p, size] : sizes_) std::free(p);
    sizes_.clear();
  }

  mutable std::mutex mu_;
  std::multimap<size_t, void*> free_;
  std::unordered_map<void*, size_t> sizes_;
  AllocatorStats stats_;
};

}  // namespace

Allocator& cpu_allocator() {
  // Never destroyed: tensors held by static objects may be freed after main returns.
  static auto* alloc = new CpuCachingAllocator();
  return *alloc;
}

}  // namespace momenta
