// The merge rule of a parallel max/argmax (kernels/reduce.h reduce_max_merge_takes), checked
// on the CPU: the CUDA row kernel (src/backend/cuda/reduce_cuda.cu) is replayed here step for
// step (256 threads take strided elements in order, then a halving tree merges them) and must
// give exactly the in-order scan of the CPU kernel, ties (first index) and NaNs (first NaN)
// included.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "momenta/kernels/reduce.h"

namespace {

using momenta::kernels::reduce_max_merge_takes;
using momenta::kernels::reduce_max_takes;

constexpr int kThreads = 256;  // kRowThreads of row_reduce.cuh

struct Best {
  double v;
  int64_t i;
};

Best scan(const std::vector<double>& row) {
  Best b{row[0], 0};
  for (int64_t k = 1; k < static_cast<int64_t>(row.size()); ++k)
    if (reduce_max_takes(row[k], b.v)) b = {row[k], k};
  return b;
}

Best tree(const std::vector<double>& row) {
  const int64_t n = static_cast<int64_t>(row.size());
  std::vector<Best> part(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    Best b{0.0, -1};
    for (int64_t k = t; k < n; k += kThreads)
      if (b.i < 0 || reduce_max_takes(row[k], b.v)) b = {row[k], k};
    part[t] = b;
  }
  for (int s = kThreads / 2; s > 0; s >>= 1)
    for (int t = 0; t < s; ++t)
      if (reduce_max_merge_takes(part[t + s].v, part[t + s].i, part[t].v, part[t].i)) part[t] = part[t + s];
  return part[0];
}

TEST(ReduceRules, TreeMergeGivesTheInOrderScan) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> level(-3, 3);
  for (int64_t n : {1, 2, 3, 255, 256, 257, 1000, 5000}) {
    for (int nan_every : {0, 3, 97, 1000}) {
      for (int trial = 0; trial < 20; ++trial) {
        std::vector<double> row(static_cast<size_t>(n));
        for (auto& v : row) v = level(rng);  // few levels: many ties
        if (nan_every > 0)
          for (int64_t k = rng() % nan_every; k < n; k += nan_every) row[static_cast<size_t>(k)] = NAN;
        const Best want = scan(row), got = tree(row);
        ASSERT_EQ(got.i, want.i) << "n " << n << ", NaN every " << nan_every << ", trial " << trial;
        ASSERT_TRUE(got.v == want.v || (std::isnan(got.v) && std::isnan(want.v)));
      }
    }
  }
}

}  // namespace
