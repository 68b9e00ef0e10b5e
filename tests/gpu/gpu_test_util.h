// Helpers shared by the GPU tests (label `gpu`): moving tensors between the devices, CPU
// reference inputs, and an elementwise comparison that names the first differing elements.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "momenta/allocator.h"
#include "momenta/tensor.h"

// Every GPU test begins with this: it skips itself on a machine without a CUDA device.
#define MOMENTA_REQUIRE_GPU() \
  if (::momenta::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device"

namespace momenta::gpu_test {

inline const Device kGpu = cuda_device(0);

inline Tensor to_gpu(const Tensor& host) {
  Tensor g = Tensor::empty(host.shape(), host.dtype(), kGpu);
  backend::copy(host, g);
  return g;
}

inline Tensor to_host(const Tensor& g) {
  Tensor h = Tensor::empty(g.shape(), g.dtype(), kCPU);
  backend::copy(g, h);
  return h;
}

// Values k/4 for k in [-8, 8]: exact in both dtypes, with ties for the comparisons.
inline Tensor grid_values(const Shape& shape, DType dtype, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> k(-8, 8);
  std::vector<double> v(static_cast<size_t>(shape_numel(shape)));
  for (double& x : v) x = k(rng) / 4.0;
  return Tensor::from_vector(v, shape).to(dtype);
}

inline Tensor uniform_cpu(const Shape& shape, DType dtype, double lo, double hi, uint64_t seed) {
  Tensor t = Tensor::empty(shape, dtype, kCPU);
  backend::cpu::fill_random(t, backend::RandomKind::kUniform, lo, hi, seed, 0);
  return t;
}

// |got - want| <= atol + rtol |want| elementwise; NaNs and infinities must match exactly.
// Prints one "[ max err  ]" line per comparison (the largest absolute error, and the largest
// relative error where |want| > 1e-3): scripts/gpu_check.sh gathers them into its table.
inline void expect_close(const Tensor& got, const Tensor& want, double rtol, double atol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const auto g = got.to_vector<double>(), w = want.to_vector<double>();
  int reported = 0;
  double max_abs = 0, max_rel = 0;
  for (size_t i = 0; i < g.size(); ++i) {
    const bool ok = (std::isnan(g[i]) && std::isnan(w[i])) || g[i] == w[i] ||
                    (std::isfinite(w[i]) && std::abs(g[i] - w[i]) <= atol + rtol * std::abs(w[i]));
    if (std::isfinite(g[i]) && std::isfinite(w[i])) {
      max_abs = std::max(max_abs, std::abs(g[i] - w[i]));
      if (std::abs(w[i]) > 1e-3) max_rel = std::max(max_rel, std::abs(g[i] - w[i]) / std::abs(w[i]));
    }
    if (!ok && reported < 5) {
      ADD_FAILURE() << what << ": element " << i << " is " << g[i] << " on CUDA, " << w[i] << " on the CPU";
      ++reported;
    }
  }
  std::printf("[ max err  ] %s | %.3g | %.3g | %s\n", what.c_str(), max_abs, max_rel, reported ? "FAIL" : "ok");
}

inline void expect_equal(const Tensor& got, const Tensor& want, const std::string& what) {
  expect_close(got, want, 0.0, 0.0, what);
}

inline double rtol_for(DType t) { return t == kFloat32 ? 1e-5 : 1e-10; }
inline double atol_for(DType t) { return t == kFloat32 ? 1e-5 : 1e-12; }

}  // namespace momenta::gpu_test
