// The CUDA backend against the CPU backend (STYLE habit 4): every kernel runs on both devices
// from the same inputs and the results are compared; strided and broadcast (stride-0) views on
// the device exercise the generic index kernel. Each test skips itself without a CUDA device.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "backend/backend.h"
#include "gpu/gpu_test_util.h"
#include "momenta/allocator.h"
#include "momenta/tensor.h"

namespace momenta {
namespace {

using namespace gpu_test;

using backend::BinaryOp;
using backend::RandomKind;
using backend::UnaryOp;

TEST(CudaBackend, ReportsItsDevices) {
  if (momenta::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  EXPECT_TRUE(cuda_built());
  EXPECT_THROW(allocator_for(cuda_device(cuda_device_count())), ValueError);
}

TEST(CudaBackend, AllocatorReusesFreedBlocks) {
  if (momenta::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  Allocator& a = allocator_for(kGpu);
  a.empty_cache();
  void* p = a.allocate(1 << 20);
  const AllocatorStats before = a.stats();
  a.deallocate(p, 1 << 20);
  void* q = a.allocate(1 << 20);
  EXPECT_EQ(q, p);
  EXPECT_EQ(a.stats().cache_hits, before.cache_hits + 1);
  a.deallocate(q, 1 << 20);
  EXPECT_GE(a.stats().bytes_cached, size_t{1} << 20);
  a.empty_cache();
  EXPECT_EQ(a.stats().bytes_cached, 0u);
}

TEST(CudaBackend, CopyRoundTripKeepsEveryDtype) {
  if (momenta::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (DType dt : {kFloat32, kFloat64, kInt64}) {
    const Tensor h = grid_values({3, 5, 7}, dt, 1);
    expect_equal(to_host(to_gpu(h)), h, str_cat("round trip ", dtype_name(dt)));
  }
}

TEST(CudaBackend, CopyHandlesStridesBroadcastAndConversion) {
  if (momenta::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Tensor h = grid_values({6, 10}, kFloat32, 2);
  // Strided host source, strided device source, strided device destination.
  expect_equal(to_host(to_gpu(h.t())), h.t().contiguous(), "host transpose to device");
  const Tensor g = to_gpu(h);
  expect_equal(to_host(g.t()), h.t().contiguous(), "device transpose to host");
  Tensor g2 = Tensor::empty({10, 6}, kFloat32, kGpu);
  backend::copy(g.t(), g2);
  expect_equal(to_host(g2), h.t().contiguous(), "device transpose to device");
  Tensor strided = Tensor::zeros({6, 20}, kFloat32, kCPU);
  Tensor gs = to_gpu(strided);
  backend::copy(h, gs.slice(1, 0, 20, 2));
  backend::cpu::copy(h, strided.slice(1, 0, 20, 2));
  expect_equal(to_host(gs), strided, "host to strided device view");
  // Broadcast source and dtype conversion in both directions.
  const Tensor row = grid_values({1, 10}, kFloat32, 3);
  expect_equal(to_host(to_gpu(row).expand({6, 10})), row.expand({6, 10}).contiguous(), "broadcast device source");
  Tensor g64 = Tensor::empty({6, 10}, kFloat64, kGpu);
  backend::copy(h, g64);
  expect_equal(to_host(g64), h.to(kFloat64), "float32 host to float64 device");
  Tensor h64 = Tensor::empty({6, 10}, kFloat64, kCPU);
  backend::copy(g, h64);
  expect_equal(h64, h.to(kFloat64), "float32 device to float64 host");
}

TEST(CudaBackend, FillWritesEveryElementOfAView) {
  if (momenta::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (DType dt : {kFloat32, kFloat64, kInt64}) {
    Tensor h = Tensor::zeros({4, 9}, dt, kCPU);
    Tensor g = to_gpu(h);
    backend::fill(g.slice(1, 1, 9, 3), 7.0);
    backend::cpu::fill(h.slice(1, 1, 9, 3), 7.0);
    expect_equal(to_host(g), h, str_cat("fill ", dtype_name(dt)));
  }
}

TEST(CudaBackend, UnaryMatchesCpu) {
  if (momenta::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const UnaryOp ops[] = {UnaryOp::kNeg,  UnaryOp::kExp,  UnaryOp::kLog,     UnaryOp::kSqrt,
                         UnaryOp::kAbs,  UnaryOp::kSquare, UnaryOp::kSign,  UnaryOp::kRelu,
                         UnaryOp::kSigmoid, UnaryOp::kTanh, UnaryOp::kSilu, UnaryOp::kGelu,
                         UnaryOp::kSin,  UnaryOp::kCos};
  for (DType dt : {kFloat32, kFloat64}) {
    for (UnaryOp op : ops) {
      const bool positive = op == UnaryOp::kLog || op == UnaryOp::kSqrt;
      const Tensor x = uniform_cpu({12, 33}, dt, positive ? 0.05 : -5.0, 5.0, 10 + static_cast<int>(op));
      // A transposed view on both devices: the strided path of the kernel.
      Tensor want = Tensor::empty({33, 12}, dt, kCPU), got = Tensor::empty({33, 12}, dt, kGpu);
      backend::cpu::unary(op, x.t(), want);
      backend::unary(op, to_gpu(x).t(), got);
      expect_close(to_host(got), want, rtol_for(dt), atol_for(dt),
                   str_cat("unary op ", static_cast<int>(op), " ", dtype_name(dt)));
    }
  }
}

TEST(CudaBackend, BinaryMatchesCpuWithBroadcast) {
  if (momenta::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (int code = static_cast<int>(BinaryOp::kAdd); code <= static_cast<int>(BinaryOp::kGeluBackward); ++code) {
    const auto op = static_cast<BinaryOp>(code);
    for (DType dt : {kFloat32, kFloat64}) {
      const Tensor a = grid_values({4, 5, 6}, dt, 20 + code);
      const Tensor b = grid_values({1, 5, 1}, dt, 40 + code);
      const std::string what = str_cat("binary op ", code, " ", dtype_name(dt));
      Tensor want = Tensor::empty({4, 5, 6}, dt, kCPU), got = Tensor::empty({4, 5, 6}, dt, kGpu);
      backend::cpu::binary(op, a, b.expand({4, 5, 6}), want);
      backend::binary(op, to_gpu(a), to_gpu(b).expand({4, 5, 6}), got);
      expect_close(to_host(got), want, rtol_for(dt), atol_for(dt), what + " (b broadcast)");
      backend::cpu::binary(op, b.expand({4, 5, 6}), a, want);
      backend::binary(op, to_gpu(b).expand({4, 5, 6}), to_gpu(a), got);
      expect_close(to_host(got), want, rtol_for(dt), atol_for(dt), what + " (a broadcast)");
    }
  }
}

TEST(CudaBackend, BinaryScalarMatchesCpuInBothOrders) {
  if (momenta::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (BinaryOp op : {BinaryOp::kSub, BinaryOp::kDiv, BinaryOp::kPow, BinaryOp::kMax, BinaryOp::kLt}) {
    for (bool scalar_first : {false, true}) {
      const Tensor a = uniform_cpu({7, 11}, kFloat32, 0.1, 3.0, 60);
      Tensor want = Tensor::empty({7, 11}, kFloat32, kCPU), got = Tensor::empty({7, 11}, kFloat32, kGpu);
      backend::cpu::binary_scalar(op, a, 1.5, scalar_first, want);
      backend::binary_scalar(op, to_gpu(a), 1.5, scalar_first, got);
      expect_close(to_host(got), want, 1e-5, 1e-6,
                   str_cat("binary_scalar op ", static_cast<int>(op), scalar_first ? " scalar first" : ""));
    }
  }
}

TEST(CudaBackend, AddScaledAndRowBiasMatchCpu) {
  if (momenta::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (DType dt : {kFloat32, kFloat64}) {
    Tensor h = uniform_cpu({9, 13}, dt, -1.0, 1.0, 70);
    const Tensor src = uniform_cpu({1, 13}, dt, -1.0, 1.0, 71);
    Tensor g = to_gpu(h);
    backend::add_scaled(g, to_gpu(src).expand({9, 13}), -0.75);
    backend::cpu::add_scaled(h, src.expand({9, 13}), -0.75);
    expect_close(to_host(g), h, rtol_for(dt), atol_for(dt), str_cat("add_scaled ", dtype_name(dt)));
    const Tensor bias = uniform_cpu({13}, dt, -1.0, 1.0, 72);
    backend::add_row_bias(g, to_gpu(bias));
    backend::cpu::add_row_bias(h, bias);
    expect_close(to_host(g), h, rtol_for(dt), atol_for(dt), str_cat("add_row_bias ", dtype_name(dt)));
  }
}

TEST(CudaBackend, GemmMatchesCpuForEveryTranspose) {
  if (momenta::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const int64_t m = 37, n = 23, k = 19;
  for (DType dt : {kFloat32, kFloat64}) {
    for (bool ta : {false, true}) {
      for (bool tb : {false, true}) {
        // Row-major storage with padded leading dimensions: A is (ta ? K x M : M x K).
        const int64_t a_rows = ta ? k : m, a_cols = ta ? m : k, b_rows = tb ? n : k, b_cols = tb ? k : n;
        const int64_t lda = a_cols + 3, ldb = b_cols + 2, ldc = n + 5;
        const Tensor a = uniform_cpu({a_rows, lda}, dt, -1.0, 1.0, 80);
        const Tensor b = uniform_cpu({b_rows, ldb}, dt, -1.0, 1.0, 81);
        Tensor c = uniform_cpu({m, ldc}, dt, -1.0, 1.0, 82);
        const Tensor ga = to_gpu(a), gb = to_gpu(b);
        Tensor gc = to_gpu(c);
        backend::cpu::gemm(dt, ta, tb, m, n, k, 0.5, a.raw_data(), lda, b.raw_data(), ldb, 0.25, c.raw_data(), ldc);
        backend::gemm_on(kGpu, dt, ta, tb, m, n, k, 0.5, ga.raw_data(), lda, gb.raw_data(), ldb, 0.25, gc.raw_data(),
                         ldc);
        expect_close(to_host(gc), c, dt == kFloat32 ? 1e-4 : 1e-12, dt == kFloat32 ? 1e-5 : 1e-13,
                     str_cat("gemm ", dtype_name(dt), ta ? " A^T" : " A", tb ? " B^T" : " B"));
      }
    }
  }
}

TEST(CudaBackend, GemmRejectsHostPointers) {
  if (momenta::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const Tensor a = uniform_cpu({2, 2}, kFloat32, -1.0, 1.0, 90);
  Tensor c = Tensor::zeros({2, 2}, kFloat32, kCPU);
  EXPECT_THROW(backend::gemm_on(kGpu, kFloat32, false, false, 2, 2, 2, 1.0, a.raw_data(), 2, a.raw_data(), 2, 0.0,
                                c.raw_data(), 2),
               ValueError);
}

TEST(CudaBackend, RandomFillsMatchCpu) {
  if (momenta::cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const uint64_t seed = 0x1234'5678'9abcULL, offset = 77;
  for (DType dt : {kFloat32, kFloat64}) {
    for (RandomKind kind : {RandomKind::kUniform, RandomKind::kNormal, RandomKind::kBernoulli}) {
      const double a = kind == RandomKind::kBernoulli ? 0.3 : -2.0, b = kind == RandomKind::kBernoulli ? 2.5 : 3.0;
      // 1001 elements: not a multiple of the 4 lanes of a Philox block.
      Tensor want = Tensor::empty({7, 143}, dt, kCPU), got = Tensor::empty({7, 143}, dt, kGpu);
      backend::cpu::fill_random(want, kind, a, b, seed, offset);
      backend::fill_random(got, kind, a, b, seed, offset);
      const std::string what = str_cat("random kind ", static_cast<int>(kind), " ", dtype_name(dt));
      if (kind == RandomKind::kNormal) {  // device log/sin/cos may differ from glibc in the last bit
        expect_close(to_host(got), want, dt == kFloat32 ? 1e-6 : 1e-13, 1e-7, what);
      } else {
        expect_equal(to_host(got), want, what);
      }
      // A transposed target gets element i in its own logical order, as on the CPU.
      Tensor want_t = Tensor::zeros({143, 7}, dt, kCPU);
      Tensor got_t = to_gpu(want_t);
      backend::cpu::fill_random(want_t.t(), kind, a, b, seed, offset);
      backend::fill_random(got_t.t(), kind, a, b, seed, offset);
      expect_close(to_host(got_t), want_t, dt == kFloat32 ? 1e-6 : 1e-13, 1e-7, what + " (transposed)");
    }
  }
}

}  // namespace
}  // namespace momenta
