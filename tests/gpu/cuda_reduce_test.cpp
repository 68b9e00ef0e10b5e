// The CUDA reductions, softmax family and cross-entropy kernels against the CPU kernels on the
// same inputs (STYLE habit 4), in float32 and float64: rows along the contiguous axis
// (inner == 1, one block per row on CUDA) and down a strided axis (inner > 1, one thread per
// column), n = 1, 3, 1000 and 5000 (more than one block's worth), and more rows than a grid's
// blocks. Each test skips itself without a CUDA device.
//
// Tolerances: max and argmax must match exactly; sums and softmax rows accumulate in double on
// both devices but in a different order along a row (CUDA: a fixed tree), and CUDA's exp/log
// differ from glibc's by at most an ulp, so results agree to rtol_for/atol_for.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "gpu/gpu_test_util.h"
#include "momenta/ops.h"
#include "momenta/tensor.h"

namespace momenta {
namespace {

using namespace gpu_test;

using backend::ReduceOp;

struct Geo {
  int64_t outer, n, inner;
};

std::string geo_str(const Geo& g, DType dt) {
  return str_cat("[", g.outer, ", ", g.n, ", ", g.inner, "] ", dtype_name(dt));
}

const std::vector<Geo> kGeos = {{1, 1, 1},    {7, 1, 1},    {5, 3, 1},  {3, 1000, 1}, {2, 5000, 1}, {1, 5000, 1},
                                {300, 33, 1}, {70000, 3, 1}, {4, 1, 5}, {4, 3, 5},    {3, 1000, 7}, {2, 5000, 3},
                                {1, 7, 300}};

// Sets every `every`-th element of a contiguous CPU tensor to NaN, starting at `first`.
void plant_nans(Tensor& t, int64_t first, int64_t every) {
  const int64_t n = t.numel();
  if (t.dtype() == kFloat32) {
    float* p = t.data<float>();
    for (int64_t i = first; i < n; i += every) p[i] = NAN;
  } else {
    double* p = t.data<double>();
    for (int64_t i = first; i < n; i += every) p[i] = NAN;
  }
}

Tensor reduce_on(bool gpu, ReduceOp op, const Tensor& x, const Geo& g) {
  const DType odt = op == ReduceOp::kArgmax ? kInt64 : x.dtype();
  if (!gpu) {
    Tensor out = Tensor::empty({g.outer, g.inner}, odt, kCPU);
    backend::cpu::reduce(op, x, g.outer, g.n, g.inner, out);
    return out;
  }
  Tensor out = Tensor::empty({g.outer, g.inner}, odt, kGpu);
  backend::cuda::reduce(op, to_gpu(x), g.outer, g.n, g.inner, out);
  return to_host(out);
}

TEST(CudaReduce, SumMatchesCpu) {
  MOMENTA_REQUIRE_GPU();
  for (DType dt : {kFloat32, kFloat64}) {
    for (const Geo& g : kGeos) {
      const Tensor x = uniform_cpu({g.outer, g.n, g.inner}, dt, -1.0, 2.0, 11);
      expect_close(reduce_on(true, ReduceOp::kSum, x, g), reduce_on(false, ReduceOp::kSum, x, g), rtol_for(dt),
                   atol_for(dt), "sum " + geo_str(g, dt));
    }
  }
}

TEST(CudaReduce, SumIsDeterministic) {
  MOMENTA_REQUIRE_GPU();
  const Geo g{3, 100003, 1};
  const Tensor x = uniform_cpu({g.outer, g.n, g.inner}, kFloat32, -1.0, 1.0, 12);
  const Tensor a = reduce_on(true, ReduceOp::kSum, x, g), b = reduce_on(true, ReduceOp::kSum, x, g);
  expect_equal(a, b, "two runs of one sum");
  expect_close(a, reduce_on(false, ReduceOp::kSum, x, g), 1e-5, 1e-4, "long sum");
}

TEST(CudaReduce, MaxAndArgmaxMatchCpuWithTiesAndNans) {
  MOMENTA_REQUIRE_GPU();
  for (DType dt : {kFloat32, kFloat64}) {
    for (const Geo& g : kGeos) {
      // Values k/4, k in [-8, 8]: many ties, so argmax must return the first maximal index.
      const Tensor x = grid_values({g.outer, g.n, g.inner}, dt, 21);
      for (ReduceOp op : {ReduceOp::kMax, ReduceOp::kArgmax}) {
        const std::string what = str_cat(op == ReduceOp::kMax ? "max " : "argmax ", geo_str(g, dt));
        expect_equal(reduce_on(true, op, x, g), reduce_on(false, op, x, g), what);
      }
      // Sparse NaNs: the first NaN of a line wins and propagates.
      Tensor xn = grid_values({g.outer, g.n, g.inner}, dt, 22);
      plant_nans(xn, 5, 997);
      for (ReduceOp op : {ReduceOp::kMax, ReduceOp::kArgmax}) {
        const std::string what = str_cat(op == ReduceOp::kMax ? "max with NaN " : "argmax with NaN ", geo_str(g, dt));
        expect_equal(reduce_on(true, op, xn, g), reduce_on(false, op, xn, g), what);
      }
    }
  }
}

TEST(CudaReduce, EmptyShapes) {
  MOMENTA_REQUIRE_GPU();
  // No output elements: nothing to do.
  const Geo none{0, 5, 3};
  const Tensor x0 = Tensor::zeros({0, 5, 3}, kFloat32, kCPU);
  EXPECT_EQ(reduce_on(true, ReduceOp::kSum, x0, none).numel(), 0);
  EXPECT_EQ(reduce_on(true, ReduceOp::kArgmax, x0, none).numel(), 0);
  // An empty reduced axis: the sum is 0; max has no answer and says so.
  for (const Geo& g : {Geo{3, 0, 1}, Geo{3, 0, 2}}) {
    const Tensor x = Tensor::zeros({g.outer, g.n, g.inner}, kFloat64, kCPU);
    expect_equal(reduce_on(true, ReduceOp::kSum, x, g), Tensor::zeros({g.outer, g.inner}, kFloat64, kCPU),
                 "sum over an empty axis " + geo_str(g, kFloat64));
    EXPECT_THROW(reduce_on(true, ReduceOp::kMax, x, g), ShapeError);
  }
}

TEST(CudaReduce, RejectsNonContiguousInput) {
  MOMENTA_REQUIRE_GPU();
  const Tensor g = to_gpu(grid_values({6, 4}, kFloat32, 3));
  Tensor out = Tensor::empty({4, 1}, kFloat32, kGpu);
  EXPECT_THROW(backend::cuda::reduce(ReduceOp::kSum, g.t(), 4, 6, 1, out), ShapeError);
}

// ---- softmax ----
Tensor softmax_on(bool gpu, const Tensor& x, const Geo& g, bool log) {
  if (!gpu) {
    Tensor y = Tensor::empty(x.shape(), x.dtype(), kCPU);
    backend::cpu::softmax(x, g.outer, g.n, g.inner, log, y);
    return y;
  }
  Tensor y = Tensor::empty(x.shape(), x.dtype(), kGpu);
  backend::cuda::softmax(to_gpu(x), g.outer, g.n, g.inner, log, y);
  return to_host(y);
}

Tensor softmax_backward_on(bool gpu, const Tensor& y, const Tensor& gy, const Geo& g, bool log) {
  if (!gpu) {
    Tensor gx = Tensor::empty(y.shape(), y.dtype(), kCPU);
    backend::cpu::softmax_backward(y, gy, g.outer, g.n, g.inner, log, gx);
    return gx;
  }
  Tensor gx = Tensor::empty(y.shape(), y.dtype(), kGpu);
  backend::cuda::softmax_backward(to_gpu(y), to_gpu(gy), g.outer, g.n, g.inner, log, gx);
  return to_host(gx);
}

TEST(CudaSoftmax, ForwardMatchesCpu) {
  MOMENTA_REQUIRE_GPU();
  for (DType dt : {kFloat32, kFloat64}) {
    for (const Geo& g : kGeos) {
      const Tensor x = uniform_cpu({g.outer, g.n, g.inner}, dt, -8.0, 8.0, 31);
      for (bool log : {false, true}) {
        const std::string what = str_cat(log ? "log_softmax " : "softmax ", geo_str(g, dt));
        expect_close(softmax_on(true, x, g, log), softmax_on(false, x, g, log), rtol_for(dt), atol_for(dt), what);
      }
    }
  }
}

TEST(CudaSoftmax, NanAndInfinityFollowTheCpu) {
  MOMENTA_REQUIRE_GPU();
  for (DType dt : {kFloat32, kFloat64}) {
    for (const Geo& g : {Geo{4, 3, 1}, Geo{3, 1000, 1}, Geo{2, 5, 3}}) {
      Tensor x = uniform_cpu({g.outer, g.n, g.inner}, dt, -3.0, 3.0, 32);
      plant_nans(x, 1, 2 * g.n * g.inner);  // a NaN in every other line
      // The last line: one -inf element (its probability is 0, its log -inf).
      Tensor xf = x.to(kFloat64);
      double* p = xf.data<double>();
      p[xf.numel() - 1] = -INFINITY;
      x = xf.to(dt);
      for (bool log : {false, true}) {
        const std::string what = str_cat(log ? "log_softmax " : "softmax ", geo_str(g, dt), " with NaN and -inf");
        expect_close(softmax_on(true, x, g, log), softmax_on(false, x, g, log), rtol_for(dt), atol_for(dt), what);
      }
    }
  }
}

TEST(CudaSoftmax, BackwardMatchesCpu) {
  MOMENTA_REQUIRE_GPU();
  for (DType dt : {kFloat32, kFloat64}) {
    for (const Geo& g : kGeos) {
      const Tensor x = uniform_cpu({g.outer, g.n, g.inner}, dt, -4.0, 4.0, 41);
      const Tensor gy = uniform_cpu({g.outer, g.n, g.inner}, dt, -1.0, 1.0, 42);
      for (bool log : {false, true}) {
        const Tensor y = softmax_on(false, x, g, log);  // one forward output for both devices
        const std::string what = str_cat(log ? "log_softmax backward " : "softmax backward ", geo_str(g, dt));
        expect_close(softmax_backward_on(true, y, gy, g, log), softmax_backward_on(false, y, gy, g, log),
                     rtol_for(dt), atol_for(dt), what);
      }
    }
  }
}

// ---- cross entropy ----
Tensor targets(int64_t rows, int64_t classes, unsigned seed) {
  std::vector<int64_t> t(static_cast<size_t>(rows));
  uint64_t s = seed;
  for (auto& v : t) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    v = static_cast<int64_t>((s >> 33) % static_cast<uint64_t>(classes));
  }
  return Tensor::from_vector(t, {rows});
}

TEST(CudaCrossEntropy, NllLossMatchesCpu) {
  MOMENTA_REQUIRE_GPU();
  for (DType dt : {kFloat32, kFloat64}) {
    for (int64_t classes : {1, 10, 1000}) {
      for (int64_t rows : {1, 3, 257, 5000}) {
        const Tensor logits = uniform_cpu({rows, classes}, dt, -5.0, 5.0, 51);
        const Tensor logp = softmax_on(false, logits, Geo{rows, classes, 1}, true);
        const Tensor tg = targets(rows, classes, 52);
        const double want = backend::cpu::nll_loss(logp, tg);
        const double got = backend::cuda::nll_loss(to_gpu(logp), to_gpu(tg));
        // Both sum the same values in double, in different orders.
        EXPECT_NEAR(got, want, 1e-12 * std::abs(want) + 1e-14)
            << "nll_loss [" << rows << ", " << classes << "] " << dtype_name(dt);
      }
    }
  }
}

TEST(CudaCrossEntropy, NllLossReadsAStridedTarget) {
  MOMENTA_REQUIRE_GPU();
  const Tensor logp = softmax_on(false, uniform_cpu({7, 10}, kFloat64, -2.0, 2.0, 53), Geo{7, 10, 1}, true);
  const Tensor wide = targets(14, 10, 54);
  const Tensor strided = to_gpu(wide).slice(0, 0, 14, 2);
  EXPECT_NEAR(backend::cuda::nll_loss(to_gpu(logp), strided),
              backend::cpu::nll_loss(logp, wide.slice(0, 0, 14, 2).contiguous()), 1e-13);
}

TEST(CudaCrossEntropy, BadTargetIsAValueErrorNamingIt) {
  MOMENTA_REQUIRE_GPU();
  for (int64_t classes : {10, 1000}) {
    const Tensor logp = softmax_on(false, uniform_cpu({600, classes}, kFloat32, -1.0, 1.0, 55), Geo{600, classes, 1},
                                   true);
    for (int64_t bad : {int64_t{-1}, classes}) {
      std::vector<int64_t> t(600, 0);
      t[437] = bad;
      t[599] = bad;  // a later bad row: the first one is reported
      const Tensor tg = Tensor::from_vector(t, {600});
      std::string cpu_msg, gpu_msg;
      try {
        backend::cpu::nll_loss(logp, tg);
      } catch (const ValueError& e) {
        cpu_msg = e.what();
      }
      try {
        backend::cuda::nll_loss(to_gpu(logp), to_gpu(tg));
      } catch (const ValueError& e) {
        gpu_msg = e.what();
      }
      EXPECT_NE(gpu_msg.find(str_cat("target ", bad, " at row 437")), std::string::npos) << gpu_msg;
      EXPECT_EQ(gpu_msg, cpu_msg);
    }
  }
}

TEST(CudaCrossEntropy, BackwardMatchesCpu) {
  MOMENTA_REQUIRE_GPU();
  for (DType dt : {kFloat32, kFloat64}) {
    for (int64_t classes : {1, 10, 1000}) {
      for (int64_t rows : {1, 3, 257}) {
        const Tensor logp = softmax_on(false, uniform_cpu({rows, classes}, dt, -5.0, 5.0, 61), Geo{rows, classes, 1},
                                       true);
        const Tensor tg = targets(rows, classes, 62);
        const double scale = 1.0 / static_cast<double>(rows);
        Tensor want = Tensor::empty({rows, classes}, dt, kCPU);
        backend::cpu::cross_entropy_backward(logp, tg, scale, want);
        Tensor got = Tensor::empty({rows, classes}, dt, kGpu);
        backend::cuda::cross_entropy_backward(to_gpu(logp), to_gpu(tg), scale, got);
        expect_close(to_host(got), want, rtol_for(dt), atol_for(dt),
                     str_cat("cross_entropy backward [", rows, ", ", classes, "] ", dtype_name(dt)));
      }
    }
  }
}

TEST(CudaCrossEntropy, ThroughTheOpsWithAutograd) {
  MOMENTA_REQUIRE_GPU();
  const Tensor logits = uniform_cpu({33, 10}, kFloat64, -3.0, 3.0, 71);
  const Tensor tg = targets(33, 10, 72);
  const Tensor want = log_softmax(logits, 1);
  expect_close(to_host(log_softmax(to_gpu(logits), 1)), want, 1e-10, 1e-12, "log_softmax op");
  expect_close(to_host(sum(to_gpu(logits), {1}, false)), sum(logits, {1}, false), 1e-10, 1e-12, "sum op");
  expect_equal(to_host(argmax(to_gpu(logits), 1, false)), argmax(logits, 1, false), "argmax op");
  EXPECT_NEAR(cross_entropy(to_gpu(logits), to_gpu(tg)).to(kCPU).item(), cross_entropy(logits, tg).item(), 1e-12);
}

}  // namespace
}  // namespace momenta
