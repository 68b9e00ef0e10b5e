// Does this compiler vectorise a select inside an eight-accumulator double reduction correctly?
// GCC 12.2 (Debian 12) at -O3 -march=native on an AVX2 Zen 3 does not: it prints "wrong", and
// the masked sums of the fused batch norm backward came out wrong the same way, so
// src/backend/cpu/batch_norm_cpu.cpp writes the masked values out before summing them.
// -O2, or -O3 without -march=native, prints "right".
// Build: g++ -std=c++20 -O3 -march=native gcc_select_reduction.cpp -o gcc_select_reduction
#include <cstdint>
#include <cstdio>

__attribute__((noinline)) double masked_sum(const double* g, const double* y, int64_t n) {
  double acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) acc[j] += y[i + j] > 0.0 ? g[i + j] : 0.0;
  for (; i < n; ++i) acc[0] += y[i] > 0.0 ? g[i] : 0.0;
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

int main() {
  double g[40], y[40], expected = 0.0;
  for (int i = 0; i < 40; ++i) {
    g[i] = i + 1;
    y[i] = i % 3 == 0 ? 0.0 : 1.0;
    if (y[i] > 0.0) expected += g[i];
  }
  const double got = masked_sum(g, y, 40);
  std::printf("%s: masked sum %g, expected %g\n", got == expected ? "right" : "wrong", got, expected);
  return got == expected ? 0 : 1;
}
