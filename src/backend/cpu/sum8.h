// A vectorisable sum in double for the CPU kernels' reductions.
#pragma once

#include <cstdint>

namespace momenta::backend::cpu {

// sum_i f(i) over [0, n) in eight independent double partial sums, so the loop vectorises
// without reassociating one accumulator (the build keeps IEEE order: -ffp-contract=off).
// f must not select between values (GCC 12.2 at -O3 -march=native miscompiles a select inside
// this reduction; batch_norm_cpu.cpp masks into a buffer first).
template <class F>
double sum8(int64_t n, F&& f) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += f(i + j);
  for (; i < n; ++i) acc[0] += f(i);
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

}  // namespace momenta::backend::cpu
