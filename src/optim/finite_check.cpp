#include "momenta/optim/finite_check.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "backend/cpu/strided_loop.h"
#include "momenta/error.h"
#include "optim/arena_cuda.h"

namespace momenta::optim {
namespace {

constexpr int64_t kBlock = 1 << 16;

template <class T>
bool range_finite(const T* __restrict p, const T* __restrict g, int64_t n) {
  decltype(nonfinite_bits(T(0))) bad = 0;
  for (int64_t i = 0; i < n; ++i) bad |= nonfinite_bits(p[i]) | nonfinite_bits(g[i]);
  return bad == 0;
}

template <class T>
bool all_finite(const T* p, const T* g, int64_t n) {
  std::atomic<bool> ok{true};
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  backend::cpu::parallel_for(blocks, kBlock, [&](int64_t b, int64_t e) {
    bool mine = true;
    for (int64_t k = b; k < e && mine; ++k) {
      const int64_t lo = k * kBlock, hi = lo + kBlock < n ? lo + kBlock : n;
      mine = range_finite(p + lo, g + lo, hi - lo);
    }
    if (!mine) ok.store(false, std::memory_order_relaxed);
  });
  return ok.load();
}

// The first non-finite element of `data` among the arena's entries, described; "" when none.
template <class T>
std::string first_bad(const nn::ParamArena& arena, const T* data, const char* what_of) {
  for (const auto& e : arena.entries()) {
    for (int64_t i = 0; i < e.numel; ++i) {
      const T v = data[e.offset + i];
      if (std::isfinite(v)) continue;
      return str_cat(what_of, "'", e.name, "' is non-finite (", std::isnan(v) ? "NaN" : (v > 0 ? "inf" : "-inf"),
                     " at element ", i, " of ", e.numel, ")");
    }
  }
  return "";
}

}  // namespace

bool arena_is_finite(const nn::ParamArena& arena) {
  if (!arena.built()) return true;
  if (arena.device().is_cuda())
    return !cuda_any_nonfinite(arena.params(), arena.params().raw_data(), arena.grads().raw_data(), 0, arena.size());
  bool ok = true;
  dispatch_floating(arena.dtype(), "finiteness check", [&](auto tag) {
    using T = decltype(tag);
    ok = all_finite<T>(arena.params().data<T>(), arena.grads().data<T>(), arena.size());
  });
  return ok;
}

std::string describe_non_finite(const nn::ParamArena& arena) {
  if (!arena.built()) return "";
  // A CUDA arena is copied to the host: this runs once, when a run stops.
  const Tensor grads = arena.device().is_cpu() ? arena.grads() : arena.grads().to(kCPU);
  const Tensor params = arena.device().is_cpu() ? arena.params() : arena.params().to(kCPU);
  std::string out;
  dispatch_floating(arena.dtype(), "finiteness check", [&](auto tag) {
    using T = decltype(tag);
    out = first_bad<T>(arena, grads.data<T>(), "the gradient of ");
    if (out.empty()) out = first_bad<T>(arena, params.data<T>(), "parameter ");
  });
  return out;
}

namespace {
thread_local FiniteWatch* t_watch = nullptr;
}  // namespace

FiniteWatch::FiniteWatch(const nn::ParamArena& arena) : arena_(arena), outer_(t_watch) {
  if (arena_.built()) t_watch = this;
}

FiniteWatch::~FiniteWatch() {
  if (t_watch == this) t_watch = outer_;
}

FiniteWatch* FiniteWatch::active_for(const void* params) {
  FiniteWatch* w = t_watch;
  return w != nullptr && w->arena_.params().raw_data() == params ? w : nullptr;
}

void FiniteWatch::check_block(int64_t begin, int64_t end) {
  if (end <= begin) return;
  if (arena_.device().is_cuda()) {
    if (cuda_any_nonfinite(arena_.params(), arena_.params().raw_data(), arena_.grads().raw_data(), begin, end)) trip();
    return;
  }
  bool ok = true;
  dispatch_floating(arena_.dtype(), "finiteness check", [&](auto tag) {
    using T = decltype(tag);
    ok = range_finite<T>(arena_.params().data<T>() + begin, arena_.grads().data<T>() + begin, end - begin);
  });
  if (!ok) trip();
}

void FiniteWatch::mark_checked(int64_t begin, int64_t end) {
  if (end <= begin) return;
  const std::lock_guard<std::mutex> lock(mutex_);  // once per thread and pass
  checked_.emplace_back(begin, end);
}

bool FiniteWatch::covered() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  std::sort(checked_.begin(), checked_.end());
  int64_t covered = 0;  // [0, covered) is checked
  for (const auto& [b, e] : checked_) {
    if (b > covered) break;
    covered = std::max(covered, e);
  }
  return covered >= arena_.size();
}

bool FiniteWatch::finite() const {
  // A block may have held a transient value that a later pass overwrote: confirm a trip.
  if (tripped_.load()) return arena_is_finite(arena_);
  // Elements no pass checked (a rule updating outside the traversal helpers): check them all.
  return covered() || arena_is_finite(arena_);
}

void check_arena_finite(const nn::ParamArena& arena, int64_t step) {
  if (arena_is_finite(arena)) return;
  const std::string what = describe_non_finite(arena);
  throw Error(str_cat("step ", step, ": ", what.empty() ? std::string("a value of the parameter arena is non-finite") : what));
}

}  // namespace momenta::optim
