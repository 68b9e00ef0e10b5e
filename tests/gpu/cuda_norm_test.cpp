// The CUDA batch norm and group norm kernels against the CPU ones (backend::cpu::X) on the same
// inputs, in float32 and float64, on odd shapes, size-1 dimensions and a large channel
// (64 x 28 x 28 = 50176 values per channel, many times one block), with every combination of the
// optional arguments. Statistics and coefficients are summed in double on both devices in
// different orders, so results agree to double rounding before the final rounding to T (one
// float32 ulp at most); the per-element math is the same code (kernels/norm.h) on both.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backend/backend.h"
#include "gpu/gpu_test_util.h"
#include "momenta/ops.h"
#include "momenta/tensor.h"

namespace momenta {
namespace {

using namespace gpu_test;

constexpr double kEps = 1e-5;

const std::vector<Shape>& shapes() {
  static const std::vector<Shape> s = {{3, 5, 7, 9},     {2, 64, 8, 8}, {1, 3, 1, 1},
                                       {64, 16, 28, 28}, {17, 5},       {4, 6, 33}};
  return s;
}

// float64: 1e-12 relative; float32: one ulp of the result (the default tolerances).
double rtol(DType dt) { return dt == kFloat32 ? 1e-5 : 1e-12; }
double atol(DType dt) { return dt == kFloat32 ? 1e-5 : 1e-12; }

Tensor gpu_or_none(const Tensor& t) { return t.defined() ? to_gpu(t) : Tensor(); }
Tensor empty_like_on(const Tensor& t, Device d) { return Tensor::empty(t.shape(), t.dtype(), d); }

void expect_match(const Tensor& got_gpu, const Tensor& want, const std::string& what) {
  expect_close(to_host(got_gpu), want, rtol(want.dtype()), atol(want.dtype()), what);
}

TEST(CudaNorm, BatchNormStatsMatchCpu) {
  MOMENTA_REQUIRE_GPU();
  for (DType dt : {kFloat32, kFloat64}) {
    for (const Shape& s : shapes()) {
      const std::string what = str_cat("batch_norm_stats ", shape_str(s), " ", dtype_name(dt));
      const int64_t c = s[1];
      const Tensor x = uniform_cpu(s, dt, -2.0, 3.0, 1);
      Tensor mean = Tensor::empty({c}, dt, kCPU), var = Tensor::empty({c}, dt, kCPU);
      backend::cpu::batch_norm_stats(x, 0, mean, var);
      Tensor mg = Tensor::empty({c}, dt, kGpu), vg = Tensor::empty({c}, dt, kGpu);
      backend::batch_norm_stats(to_gpu(x), 0, mg, vg);
      expect_match(mg, mean, what + " mean");
      expect_match(vg, var, what + " var");
    }
  }
}

TEST(CudaNorm, BatchNormApplyMatchesCpuWithEveryOption) {
  MOMENTA_REQUIRE_GPU();
  for (DType dt : {kFloat32, kFloat64}) {
    for (const Shape& s : shapes()) {
      const int64_t c = s[1];
      const Tensor x = uniform_cpu(s, dt, -2.0, 3.0, 2);
      const Tensor mean = uniform_cpu({c}, dt, -0.5, 0.5, 3), var = uniform_cpu({c}, dt, 0.5, 2.0, 4);
      const Tensor w = uniform_cpu({c}, dt, 0.5, 1.5, 5), b = uniform_cpu({c}, dt, -1.0, 1.0, 6);
      const Tensor res = uniform_cpu(s, dt, -1.0, 1.0, 7);
      const Tensor xg = to_gpu(x), mg = to_gpu(mean), vg = to_gpu(var);
      for (int opts = 0; opts < 16; ++opts) {
        const bool use_w = opts & 1, use_b = opts & 2, use_res = opts & 4, relu = opts & 8;
        const std::string what = str_cat("batch_norm_apply ", shape_str(s), " ", dtype_name(dt), use_w ? " weight" : "",
                                         use_b ? " bias" : "", use_res ? " residual" : "", relu ? " relu" : "");
        const Tensor W = use_w ? w : Tensor(), B = use_b ? b : Tensor(), R = use_res ? res : Tensor();
        Tensor want = empty_like_on(x, kCPU), got = empty_like_on(x, kGpu);
        backend::cpu::batch_norm_apply(x, 0, mean, var, W, B, kEps, R, relu, want);
        backend::batch_norm_apply(xg, 0, mg, vg, gpu_or_none(W), gpu_or_none(B), kEps, gpu_or_none(R), relu, got);
        expect_match(got, want, what);
      }
    }
  }
}

// Training (batch_stats: mean and var of x) and evaluation (given statistics), with and without
// the fused ReLU's mask and the weight, for several subsets of the requested gradients.
TEST(CudaNorm, BatchNormBackwardMatchesCpuWithEveryOption) {
  MOMENTA_REQUIRE_GPU();
  // Bits: 1 gx, 2 gw, 4 gb, 8 g_residual.
  const int subsets[] = {15, 1, 6, 2, 4, 8, 9};
  for (DType dt : {kFloat32, kFloat64}) {
    for (const Shape& s : shapes()) {
      const int64_t c = s[1];
      const Tensor x = uniform_cpu(s, dt, -2.0, 3.0, 8), gy = uniform_cpu(s, dt, -1.0, 1.0, 9);
      const Tensor w = uniform_cpu({c}, dt, 0.5, 1.5, 10), b = uniform_cpu({c}, dt, -0.5, 0.5, 11);
      Tensor batch_mean = Tensor::empty({c}, dt, kCPU), batch_var = Tensor::empty({c}, dt, kCPU);
      backend::cpu::batch_norm_stats(x, 0, batch_mean, batch_var);
      const Tensor run_mean = uniform_cpu({c}, dt, -0.5, 0.5, 12), run_var = uniform_cpu({c}, dt, 0.5, 2.0, 13);
      const Tensor xg = to_gpu(x), gyg = to_gpu(gy);
      for (bool batch_stats : {true, false}) {
        const Tensor& mean = batch_stats ? batch_mean : run_mean;
        const Tensor& var = batch_stats ? batch_var : run_var;
        const Tensor mg = to_gpu(mean), vg = to_gpu(var);
        for (bool relu : {false, true}) {
          // The ReLU's mask is read from the forward's output, which has zeros where it clipped.
          Tensor y_relu;
          if (relu) {
            y_relu = empty_like_on(x, kCPU);
            backend::cpu::batch_norm_apply(x, 0, mean, var, w, b, kEps, Tensor(), true, y_relu);
          }
          const Tensor yg = gpu_or_none(y_relu);
          for (bool use_w : {false, true}) {
            const Tensor W = use_w ? w : Tensor(), Wg = use_w ? to_gpu(w) : Tensor();
            for (int sub : subsets) {
              const std::string what = str_cat("batch_norm_backward ", shape_str(s), " ", dtype_name(dt),
                                               batch_stats ? " training" : " eval", relu ? " relu" : "",
                                               use_w ? " weight" : "", " outputs ", sub);
              const auto cpu_out = [&](int bit, const Shape& sh) {
                return (sub & bit) ? Tensor::empty(sh, dt, kCPU) : Tensor();
              };
              const auto gpu_out = [&](int bit, const Shape& sh) {
                return (sub & bit) ? Tensor::empty(sh, dt, kGpu) : Tensor();
              };
              Tensor gx = cpu_out(1, s), gw = cpu_out(2, {c}), gb = cpu_out(4, {c}), gr = cpu_out(8, s);
              Tensor gxg = gpu_out(1, s), gwg = gpu_out(2, {c}), gbg = gpu_out(4, {c}), grg = gpu_out(8, s);
              backend::cpu::batch_norm_backward(x, 0, gy, y_relu, mean, var, W, kEps, batch_stats, gx, gw, gb, gr);
              backend::batch_norm_backward(xg, 0, gyg, yg, mg, vg, Wg, kEps, batch_stats, gxg, gwg, gbg, grg);
              if (gx.defined()) expect_match(gxg, gx, what + " gx");
              if (gw.defined()) expect_match(gwg, gw, what + " gw");
              if (gb.defined()) expect_match(gbg, gb, what + " gb");
              if (gr.defined()) expect_match(grg, gr, what + " g_residual");
            }
          }
        }
      }
    }
  }
}

// Same inputs, same bits: the reductions have a fixed order (no atomics).
TEST(CudaNorm, ReductionsAreDeterministic) {
  MOMENTA_REQUIRE_GPU();
  const Shape s{64, 16, 28, 28};
  const Tensor xg = to_gpu(uniform_cpu(s, kFloat32, -2.0, 3.0, 14)), gyg = to_gpu(uniform_cpu(s, kFloat32, -1, 1, 15));
  Tensor runs[2][4];
  for (auto& r : runs) {
    Tensor mean = Tensor::empty({16}, kFloat32, kGpu), var = Tensor::empty({16}, kFloat32, kGpu);
    backend::batch_norm_stats(xg, 0, mean, var);
    Tensor gx = Tensor::empty(s, kFloat32, kGpu), gw = Tensor::empty({16}, kFloat32, kGpu);
    backend::batch_norm_backward(xg, 0, gyg, Tensor(), mean, var, Tensor(), kEps, true, gx, gw, Tensor(), Tensor());
    Tensor y = Tensor::empty(s, kFloat32, kGpu), gm = Tensor::empty({64 * 4}, kFloat32, kGpu),
           gr = Tensor::empty({64 * 4}, kFloat32, kGpu);
    backend::group_norm_forward(xg, 0, 4, Tensor(), Tensor(), kEps, false, y, gm, gr);
    Tensor ggx = Tensor::empty(s, kFloat32, kGpu);
    backend::group_norm_backward(xg, 0, gyg, 4, gm, gr, Tensor(), Tensor(), false, ggx, Tensor(), Tensor());
    r[0] = to_host(var);
    r[1] = to_host(gx);
    r[2] = to_host(gw);
    r[3] = to_host(ggx);
  }
  for (int k = 0; k < 4; ++k) expect_equal(runs[1][k], runs[0][k], str_cat("second run, output ", k));
}

// Group counts per shape: 1, C, and some in between.
std::vector<int64_t> group_counts(int64_t c) {
  std::vector<int64_t> g;
  for (int64_t k = 1; k <= c; ++k) {
    if (c % k == 0 && (k == 1 || k == c || k == 2 || k == 3 || k == 4 || k == 8)) g.push_back(k);
  }
  return g;
}

TEST(CudaNorm, GroupNormForwardMatchesCpu) {
  MOMENTA_REQUIRE_GPU();
  for (DType dt : {kFloat32, kFloat64}) {
    for (const Shape& s : shapes()) {
      const int64_t n = s[0], c = s[1];
      const Tensor x = uniform_cpu(s, dt, -2.0, 3.0, 20);
      const Tensor w = uniform_cpu({c}, dt, 0.5, 1.5, 21), b = uniform_cpu({c}, dt, -1.0, 1.0, 22);
      const Tensor xg = to_gpu(x);
      for (int64_t groups : group_counts(c)) {
        for (int opts = 0; opts < 4; ++opts) {
          const bool use_w = opts & 1, use_b = opts & 2;
          const std::string what = str_cat("group_norm_forward ", shape_str(s), " G=", groups, " ", dtype_name(dt),
                                           use_w ? " weight" : "", use_b ? " bias" : "");
          const Tensor W = use_w ? w : Tensor(), B = use_b ? b : Tensor();
          Tensor y = empty_like_on(x, kCPU), mean = Tensor::empty({n * groups}, dt, kCPU),
                 rstd = Tensor::empty({n * groups}, dt, kCPU);
          Tensor yg = empty_like_on(x, kGpu), mg = Tensor::empty({n * groups}, dt, kGpu),
                 rg = Tensor::empty({n * groups}, dt, kGpu);
          backend::cpu::group_norm_forward(x, 0, groups, W, B, kEps, false, y, mean, rstd);
          backend::group_norm_forward(xg, 0, groups, gpu_or_none(W), gpu_or_none(B), kEps, false, yg, mg, rg);
          expect_match(yg, y, what + " y");
          expect_match(mg, mean, what + " mean");
          expect_match(rg, rstd, what + " rstd");
        }
      }
    }
  }
}

TEST(CudaNorm, GroupNormBackwardMatchesCpu) {
  MOMENTA_REQUIRE_GPU();
  const int subsets[] = {7, 1, 6, 2, 4};  // bits: 1 gx, 2 gw, 4 gb
  for (DType dt : {kFloat32, kFloat64}) {
    for (const Shape& s : shapes()) {
      const int64_t n = s[0], c = s[1];
      const Tensor x = uniform_cpu(s, dt, -2.0, 3.0, 30), gy = uniform_cpu(s, dt, -1.0, 1.0, 31);
      const Tensor w = uniform_cpu({c}, dt, 0.5, 1.5, 32);
      const Tensor xg = to_gpu(x), gyg = to_gpu(gy);
      for (int64_t groups : group_counts(c)) {
        // The statistics of the CPU forward, given to both backwards.
        Tensor y = empty_like_on(x, kCPU), mean = Tensor::empty({n * groups}, dt, kCPU),
               rstd = Tensor::empty({n * groups}, dt, kCPU);
        backend::cpu::group_norm_forward(x, 0, groups, Tensor(), Tensor(), kEps, false, y, mean, rstd);
        const Tensor mg = to_gpu(mean), rg = to_gpu(rstd);
        for (bool use_w : {false, true}) {
          const Tensor W = use_w ? w : Tensor(), Wg = use_w ? to_gpu(w) : Tensor();
          for (int sub : subsets) {
            const std::string what = str_cat("group_norm_backward ", shape_str(s), " G=", groups, " ", dtype_name(dt),
                                             use_w ? " weight" : "", " outputs ", sub);
            Tensor gx = (sub & 1) ? empty_like_on(x, kCPU) : Tensor();
            Tensor gw = (sub & 2) ? Tensor::empty({c}, dt, kCPU) : Tensor();
            Tensor gb = (sub & 4) ? Tensor::empty({c}, dt, kCPU) : Tensor();
            Tensor gxg = (sub & 1) ? empty_like_on(x, kGpu) : Tensor();
            Tensor gwg = (sub & 2) ? Tensor::empty({c}, dt, kGpu) : Tensor();
            Tensor gbg = (sub & 4) ? Tensor::empty({c}, dt, kGpu) : Tensor();
            backend::cpu::group_norm_backward(x, 0, gy, groups, mean, rstd, W, Tensor(), false, gx, gw, gb);
            backend::group_norm_backward(xg, 0, gyg, groups, mg, rg, Wg, Tensor(), false, gxg, gwg, gbg);
            if (gx.defined()) expect_match(gxg, gx, what + " gx");
            if (gw.defined()) expect_match(gwg, gw, what + " gw");
            if (gb.defined()) expect_match(gbg, gb, what + " gb");
          }
        }
      }
    }
  }
}

// The ops (src/ops/norm.cpp) on the GPU: fused training batch norm with running statistics,
// then group norm, forward and backward through autograd, against the same on the CPU.
TEST(CudaNorm, NormOpsTrainOnTheGpuAsOnTheCpu) {
  MOMENTA_REQUIRE_GPU();
  for (DType dt : {kFloat32, kFloat64}) {
    const Shape s{6, 8, 5, 7};
    const Tensor x = uniform_cpu(s, dt, -2.0, 3.0, 50), res = uniform_cpu(s, dt, -1.0, 1.0, 51);
    const Tensor w = uniform_cpu({8}, dt, 0.5, 1.5, 52), b = uniform_cpu({8}, dt, -1.0, 1.0, 53);
    const Tensor gy = uniform_cpu(s, dt, -1.0, 1.0, 54);
    struct Run {
      Tensor y, gx, gw, gb, gr, rm, rv;
    };
    const auto run = [&](Device d) {
      Tensor xd = x.to(d).set_requires_grad(), rd = res.to(d).set_requires_grad();
      Tensor wd = w.to(d).set_requires_grad(), bd = b.to(d).set_requires_grad();
      Tensor rm = Tensor::zeros({8}, dt, d), rv = Tensor::ones({8}, dt, d);
      BatchNormFusion fuse;
      fuse.residual = rd;
      fuse.relu = true;
      const Tensor h = batch_norm(xd, wd, bd, rm, rv, true, 0.1, kEps, fuse);
      const Tensor y = group_norm(h, 4, wd, bd, kEps);
      y.backward(gy.to(d));
      return Run{y.detach().to(kCPU), xd.grad().to(kCPU), wd.grad().to(kCPU), bd.grad().to(kCPU),
                 rd.grad().to(kCPU),  rm.to(kCPU),        rv.to(kCPU)};
    };
    const Run cpu = run(kCPU), gpu = run(kGpu);
    const std::string what = str_cat("batch_norm then group_norm ", dtype_name(dt));
    // Two normalisations chained: float32 differences of one ulp grow by the second's 1 / std.
    const double rt = dt == kFloat32 ? 1e-4 : 1e-11, at = dt == kFloat32 ? 1e-4 : 1e-11;
    expect_close(gpu.y, cpu.y, rt, at, what + " y");
    expect_close(gpu.gx, cpu.gx, rt, at, what + " x.grad");
    expect_close(gpu.gw, cpu.gw, rt, at, what + " weight.grad");
    expect_close(gpu.gb, cpu.gb, rt, at, what + " bias.grad");
    expect_close(gpu.gr, cpu.gr, rt, at, what + " residual.grad");
    expect_close(gpu.rm, cpu.rm, rt, at, what + " running_mean");
    expect_close(gpu.rv, cpu.rv, rt, at, what + " running_var");
  }
}

// The channel-blocked layout is CPU-only: every batch norm kernel names it instead of misreading.
TEST(CudaNorm, BatchNormRejectsBlockedLayout) {
  MOMENTA_REQUIRE_GPU();
  const Shape s{2, 2, 3, 3, 8};  // [N, C / 8, H, W, 8], C = 16
  const Tensor xg = to_gpu(uniform_cpu(s, kFloat32, -1.0, 1.0, 40));
  Tensor mean = Tensor::empty({16}, kFloat32, kGpu), var = Tensor::empty({16}, kFloat32, kGpu);
  Tensor y = Tensor::empty(s, kFloat32, kGpu), gx = Tensor::empty(s, kFloat32, kGpu);
  EXPECT_THROW(backend::batch_norm_stats(xg, 8, mean, var), NotSupportedError);
  backend::fill(mean, 0.0);
  backend::fill(var, 1.0);
  EXPECT_THROW(backend::batch_norm_apply(xg, 8, mean, var, Tensor(), Tensor(), kEps, Tensor(), false, y),
               NotSupportedError);
  EXPECT_THROW(backend::batch_norm_backward(xg, 8, xg, Tensor(), mean, var, Tensor(), kEps, true, gx, Tensor(),
                                            Tensor(), Tensor()),
               NotSupportedError);
  try {
    backend::batch_norm_stats(xg, 8, mean, var);
  } catch (const NotSupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("lanes"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace momenta
