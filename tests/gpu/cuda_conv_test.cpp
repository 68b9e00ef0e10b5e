// CUDA convolution (cuDNN) and pooling against the CPU kernels: every geometry runs on both
// devices from the same inputs, forward and each gradient, in float32 and float64. The CPU
// convolution reference is the im2col path (algo kIm2col), which also runs float64.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "gpu/gpu_test_util.h"
#include "momenta/tensor.h"

namespace momenta {
namespace {

using namespace gpu_test;

using backend::Conv2dParams;
using backend::Pool2dParams;
using backend::PoolKind;

// A GPU tensor of NaNs: a kernel output that starts so fails the comparison wherever the kernel
// leaves an element unwritten (fresh or recycled device memory may hold the right value by luck,
// e.g. the zeros of input elements no pooling window covers).
Tensor nan_gpu(const Shape& shape, DType dt) {
  return Tensor::full(shape, std::numeric_limits<double>::quiet_NaN(), dt, kGpu);
}

struct ConvCase {
  int64_t n, c, h, w, k, r, s, stride, pad, dil, groups;
  bool bias;
};

Conv2dParams make_conv(const ConvCase& cc) {
  Conv2dParams p;
  p.n = cc.n, p.c = cc.c, p.h = cc.h, p.w = cc.w, p.k = cc.k, p.r = cc.r, p.s = cc.s;
  p.stride_h = p.stride_w = cc.stride;
  p.pad_h = p.pad_w = cc.pad;
  p.dil_h = p.dil_w = cc.dil;
  p.groups = cc.groups;
  p.has_bias = cc.bias;
  p.p = (p.h + 2 * p.pad_h - p.dil_h * (p.r - 1) - 1) / p.stride_h + 1;
  p.q = (p.w + 2 * p.pad_w - p.dil_w * (p.s - 1) - 1) / p.stride_w + 1;
  p.algo = backend::ConvAlgo::kIm2col;
  return p;
}

std::string conv_name(const ConvCase& cc, DType dt) {
  return str_cat("conv N", cc.n, " C", cc.c, " ", cc.h, "x", cc.w, " K", cc.k, " ", cc.r, "x", cc.s, " stride ",
                 cc.stride, " pad ", cc.pad, " dil ", cc.dil, " groups ", cc.groups, cc.bias ? " bias " : " ",
                 dtype_name(dt));
}

// float32: cuDNN and the CPU sum the same products in different orders: L = C/G*R*S of them for
// the forward, K/G*R*S for the input gradient, N*P*Q for the weight gradient. With inputs in
// [-1, 1] the rounding differences grow like sqrt(L) float32 ulps of the partial sums, so the
// absolute tolerance grows with sqrt(L) (about 30 times the expected difference); the relative
// one stays 1e-5. float64: 1e-10 relative, 1e-12 absolute.
double conv_atol(DType dt, int64_t terms) {
  return dt == kFloat32 ? 1e-5 + 2e-6 * std::sqrt(static_cast<double>(terms)) : 1e-12;
}
double conv_rtol(DType dt) { return dt == kFloat32 ? 1e-5 : 1e-10; }

const std::vector<ConvCase>& conv_cases() {
  static const std::vector<ConvCase> cases = {
      {1, 3, 5, 7, 4, 1, 1, 1, 0, 1, 1, false},     // 1x1
      {3, 3, 5, 7, 4, 1, 1, 1, 0, 1, 1, true},      // 1x1, bias, batch 3
      {1, 4, 9, 11, 6, 3, 3, 1, 1, 1, 1, true},     // 3x3 pad 1
      {3, 5, 13, 9, 7, 3, 3, 1, 1, 1, 1, false},    // 3x3 pad 1, batch 3
      {3, 4, 15, 17, 8, 3, 3, 2, 1, 1, 1, true},    // stride 2
      {2, 3, 13, 12, 5, 3, 3, 1, 2, 2, 1, true},    // dilation 2
      {3, 4, 11, 9, 6, 3, 3, 1, 1, 1, 2, true},     // groups 2
      {3, 6, 10, 13, 6, 3, 3, 1, 1, 1, 6, true},    // depthwise
      {1, 8, 19, 23, 8, 5, 3, 2, 2, 1, 8, false},   // depthwise, non-square kernel, stride 2
      {3, 2, 37, 41, 3, 3, 3, 1, 1, 1, 1, true},    // planes larger than a block
      {1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, true},      // all sizes 1
  };
  return cases;
}

TEST(CudaConv, WorkspaceIsNotUsed) {
  MOMENTA_REQUIRE_GPU();
  const Conv2dParams p = make_conv(conv_cases()[2]);
  EXPECT_EQ(backend::cuda::conv2d_workspace_bytes(p, Tensor::empty({p.n, p.c, p.h, p.w}, kFloat32, kGpu)), 0);
}

TEST(CudaConv, ForwardMatchesCpu) {
  MOMENTA_REQUIRE_GPU();
  unsigned seed = 1;
  for (const ConvCase& cc : conv_cases()) {
    for (DType dt : {kFloat32, kFloat64}) {
      const Conv2dParams p = make_conv(cc);
      const Tensor x = uniform_cpu({p.n, p.c, p.h, p.w}, dt, -1, 1, ++seed);
      const Tensor w = uniform_cpu({p.k, p.c / p.groups, p.r, p.s}, dt, -1, 1, ++seed);
      const Tensor b = cc.bias ? uniform_cpu({p.k}, dt, -1, 1, ++seed) : Tensor();
      Tensor want = Tensor::empty({p.n, p.k, p.p, p.q}, dt);
      backend::cpu::conv2d_forward(p, x, w, b, want, Tensor());
      Tensor got = nan_gpu({p.n, p.k, p.p, p.q}, dt);
      backend::cuda::conv2d_forward(p, to_gpu(x), to_gpu(w), cc.bias ? to_gpu(b) : Tensor(), got, Tensor());
      expect_close(to_host(got), want, conv_rtol(dt), conv_atol(dt, p.c / p.groups * p.r * p.s),
                   conv_name(cc, dt) + " forward");
    }
  }
}

TEST(CudaConv, BackwardMatchesCpu) {
  MOMENTA_REQUIRE_GPU();
  unsigned seed = 100;
  for (const ConvCase& cc : conv_cases()) {
    for (DType dt : {kFloat32, kFloat64}) {
      const Conv2dParams p = make_conv(cc);
      const std::string name = conv_name(cc, dt);
      const Tensor x = uniform_cpu({p.n, p.c, p.h, p.w}, dt, -1, 1, ++seed);
      const Tensor w = uniform_cpu({p.k, p.c / p.groups, p.r, p.s}, dt, -1, 1, ++seed);
      const Tensor gy = uniform_cpu({p.n, p.k, p.p, p.q}, dt, -1, 1, ++seed);
      Tensor gx = Tensor::empty(x.shape(), dt), gw = Tensor::empty(w.shape(), dt);
      Tensor gb = cc.bias ? Tensor::empty({p.k}, dt) : Tensor();
      backend::cpu::conv2d_backward(p, x, Tensor(), gy, w, gx, gw, gb);

      const Tensor xd = to_gpu(x), wd = to_gpu(w), gyd = to_gpu(gy);
      // All gradients at once.
      Tensor gxd = nan_gpu(x.shape(), dt), gwd = nan_gpu(w.shape(), dt);
      Tensor gbd = cc.bias ? nan_gpu({p.k}, dt) : Tensor();
      backend::cuda::conv2d_backward(p, xd, Tensor(), gyd, wd, gxd, gwd, gbd);
      expect_close(to_host(gxd), gx, conv_rtol(dt), conv_atol(dt, p.k / p.groups * p.r * p.s),
                   name + " input gradient");
      expect_close(to_host(gwd), gw, conv_rtol(dt), conv_atol(dt, p.n * p.p * p.q), name + " weight gradient");
      // The bias gradient sums in double on both devices.
      if (cc.bias) expect_close(to_host(gbd), gb, rtol_for(dt), atol_for(dt), name + " bias gradient");

      // Deterministic: a second run gives the same bits.
      Tensor gxd2 = nan_gpu(x.shape(), dt), gwd2 = nan_gpu(w.shape(), dt);
      Tensor gbd2 = cc.bias ? nan_gpu({p.k}, dt) : Tensor();
      backend::cuda::conv2d_backward(p, xd, Tensor(), gyd, wd, gxd2, gwd2, gbd2);
      expect_equal(to_host(gxd2), to_host(gxd), name + " input gradient, second run");
      expect_equal(to_host(gwd2), to_host(gwd), name + " weight gradient, second run");
      if (cc.bias) expect_equal(to_host(gbd2), to_host(gbd), name + " bias gradient, second run");

      // Only the input gradient (x not needed), then only the weight (and bias) gradients.
      Tensor gx_only = nan_gpu(x.shape(), dt);
      backend::cuda::conv2d_backward(p, Tensor(), Tensor(), gyd, wd, gx_only, Tensor(), Tensor());
      expect_equal(to_host(gx_only), to_host(gxd), name + " input gradient alone");
      Tensor gw_only = nan_gpu(w.shape(), dt);
      Tensor gb_only = cc.bias ? nan_gpu({p.k}, dt) : Tensor();
      backend::cuda::conv2d_backward(p, xd, Tensor(), gyd, wd, Tensor(), gw_only, gb_only);
      expect_equal(to_host(gw_only), to_host(gwd), name + " weight gradient alone");
      if (cc.bias) expect_equal(to_host(gb_only), to_host(gbd), name + " bias gradient alone");
    }
  }
}

// Operands with no elements: no images (N = 0), no input channels, no input rows (the output is
// not empty through the padding), no output channels. cuDNN's descriptors take no zero extent,
// so the CUDA kernel must produce the CPU's zeros (+ bias) itself. Outputs start as NaN so that
// an element left unwritten fails.
TEST(CudaConv, EmptyOperandsMatchCpu) {
  MOMENTA_REQUIRE_GPU();
  const std::vector<ConvCase> cases = {
      {0, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1, true},  // N = 0
      {2, 0, 5, 5, 4, 3, 3, 1, 1, 1, 1, true},  // C = 0
      {2, 3, 0, 4, 4, 1, 1, 1, 1, 1, 1, true},  // H = 0, output 2 x 6 from the padding
      {2, 3, 5, 5, 0, 3, 3, 1, 1, 1, 1, true},  // K = 0
  };
  const double nan = std::numeric_limits<double>::quiet_NaN();
  unsigned seed = 900;
  for (const ConvCase& cc : cases) {
    for (DType dt : {kFloat32, kFloat64}) {
      const Conv2dParams p = make_conv(cc);
      const std::string name = conv_name(cc, dt);
      const Tensor x = uniform_cpu({p.n, p.c, p.h, p.w}, dt, -1, 1, ++seed);
      const Tensor w = uniform_cpu({p.k, p.c / p.groups, p.r, p.s}, dt, -1, 1, ++seed);
      const Tensor b = uniform_cpu({p.k}, dt, -1, 1, ++seed);
      const Tensor gy = uniform_cpu({p.n, p.k, p.p, p.q}, dt, -1, 1, ++seed);
      Tensor y = Tensor::empty({p.n, p.k, p.p, p.q}, dt);
      backend::cpu::conv2d_forward(p, x, w, b, y, Tensor());
      Tensor gx = Tensor::empty(x.shape(), dt), gw = Tensor::empty(w.shape(), dt), gb = Tensor::empty(b.shape(), dt);
      backend::cpu::conv2d_backward(p, x, Tensor(), gy, w, gx, gw, gb);

      Tensor yd = Tensor::full(y.shape(), nan, dt).to(kGpu);
      backend::cuda::conv2d_forward(p, to_gpu(x), to_gpu(w), to_gpu(b), yd, Tensor());
      expect_equal(to_host(yd), y, name + " forward");
      Tensor gxd = Tensor::full(x.shape(), nan, dt).to(kGpu), gwd = Tensor::full(w.shape(), nan, dt).to(kGpu);
      Tensor gbd = Tensor::full(b.shape(), nan, dt).to(kGpu);
      backend::cuda::conv2d_backward(p, to_gpu(x), Tensor(), to_gpu(gy), to_gpu(w), gxd, gwd, gbd);
      expect_equal(to_host(gxd), gx, name + " input gradient");
      expect_equal(to_host(gwd), gw, name + " weight gradient");
      expect_close(to_host(gbd), gb, rtol_for(dt), atol_for(dt), name + " bias gradient");
    }
  }
}

// The bias kernels' grid-stride loops: more output elements than 65536 blocks of 256 threads
// (bias add), and more channels than 65536 blocks (bias gradient, one block per channel).
TEST(CudaConv, BiasKernelsCoverLargeSizes) {
  MOMENTA_REQUIRE_GPU();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<ConvCase> cases = {
      {1, 1, 4097, 4097, 1, 1, 1, 1, 0, 1, 1, true},  // 4097^2 outputs > 65536 * 256
      {2, 1, 1, 1, 65540, 1, 1, 1, 0, 1, 1, true},    // 65540 channels > 65536 blocks
  };
  unsigned seed = 800;
  for (const ConvCase& cc : cases) {
    const DType dt = kFloat32;
    const Conv2dParams p = make_conv(cc);
    const std::string name = conv_name(cc, dt);
    const Tensor x = uniform_cpu({p.n, p.c, p.h, p.w}, dt, -1, 1, ++seed);
    const Tensor w = uniform_cpu({p.k, p.c / p.groups, p.r, p.s}, dt, -1, 1, ++seed);
    const Tensor b = uniform_cpu({p.k}, dt, -1, 1, ++seed);
    const Tensor gy = uniform_cpu({p.n, p.k, p.p, p.q}, dt, -1, 1, ++seed);
    Tensor y = Tensor::empty({p.n, p.k, p.p, p.q}, dt);
    backend::cpu::conv2d_forward(p, x, w, b, y, Tensor());
    Tensor gw = Tensor::empty(w.shape(), dt), gb = Tensor::empty(b.shape(), dt);
    backend::cpu::conv2d_backward(p, x, Tensor(), gy, w, Tensor(), gw, gb);
    Tensor yd = Tensor::full(y.shape(), nan, dt).to(kGpu);
    backend::cuda::conv2d_forward(p, to_gpu(x), to_gpu(w), to_gpu(b), yd, Tensor());
    expect_close(to_host(yd), y, conv_rtol(dt), conv_atol(dt, 1), name + " forward");
    Tensor gwd = Tensor::full(w.shape(), nan, dt).to(kGpu), gbd = Tensor::full(b.shape(), nan, dt).to(kGpu);
    backend::cuda::conv2d_backward(p, to_gpu(x), Tensor(), to_gpu(gy), to_gpu(w), Tensor(), gwd, gbd);
    expect_close(to_host(gwd), gw, conv_rtol(dt), conv_atol(dt, p.n * p.p * p.q), name + " weight gradient");
    expect_close(to_host(gbd), gb, rtol_for(dt), atol_for(dt), name + " bias gradient");
  }
}

TEST(CudaConv, RejectsBlockedLayouts) {
  MOMENTA_REQUIRE_GPU();
  Conv2dParams p = make_conv({1, 8, 5, 5, 8, 3, 3, 1, 1, 1, 1, false});
  const Tensor x = Tensor::zeros({1, 8, 5, 5}, kFloat32).to(kGpu);
  const Tensor w = Tensor::zeros({8, 8, 3, 3}, kFloat32).to(kGpu);
  Tensor y = Tensor::empty({1, 8, 5, 5}, kFloat32, kGpu);
  p.out_block = 8;
  EXPECT_THROW(backend::cuda::conv2d_forward(p, x, w, Tensor(), y, Tensor()), NotSupportedError);
  p.out_block = 0;
  p.in_block = 8;
  EXPECT_THROW(backend::cuda::conv2d_forward(p, x, w, Tensor(), y, Tensor()), NotSupportedError);
  Tensor gx = Tensor::empty({1, 8, 5, 5}, kFloat32, kGpu);
  EXPECT_THROW(backend::cuda::conv2d_backward(p, x, Tensor(), y, w, gx, Tensor(), Tensor()), NotSupportedError);
  try {
    backend::cuda::conv2d_forward(p, x, w, Tensor(), y, Tensor());
  } catch (const NotSupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("NCHW"), std::string::npos) << e.what();
  }
}

struct PoolCase {
  int64_t n, c, h, w, r, stride, pad;
};

Pool2dParams make_pool(const PoolCase& pc, PoolKind kind, bool cip) {
  Pool2dParams p;
  p.n = pc.n, p.c = pc.c, p.h = pc.h, p.w = pc.w, p.r = p.s = pc.r;
  p.stride_h = p.stride_w = pc.stride;
  p.pad_h = p.pad_w = pc.pad;
  p.p = (p.h + 2 * p.pad_h - p.r) / p.stride_h + 1;
  p.q = (p.w + 2 * p.pad_w - p.s) / p.stride_w + 1;
  p.kind = kind;
  p.count_include_pad = cip;
  return p;
}

const std::vector<PoolCase>& pool_cases() {
  static const std::vector<PoolCase> cases = {
      {2, 3, 8, 8, 2, 2, 0},    {1, 2, 7, 9, 3, 2, 1},  {3, 2, 11, 13, 3, 1, 1},
      {2, 2, 37, 41, 3, 2, 1},  {1, 1, 1, 1, 1, 1, 0},  {2, 3, 9, 6, 2, 1, 1},
      {1, 2, 5, 7, 5, 3, 2},
      {1, 2, 10, 11, 2, 3, 0},  // stride larger than the window: rows and columns no window covers
      {2, 3, 6, 9, 4, 2, 2},    // even window, padding = window / 2: clipped on both sides
      {1, 3, 7, 5, 3, 4, 1},    // stride 4 with padding
  };
  return cases;
}

TEST(CudaPool, ForwardAndBackwardMatchCpu) {
  MOMENTA_REQUIRE_GPU();
  unsigned seed = 500;
  for (const PoolCase& pc : pool_cases()) {
    for (PoolKind kind : {PoolKind::kMax, PoolKind::kAvg}) {
      for (bool cip : {true, false}) {
        if (kind == PoolKind::kMax && !cip) continue;
        for (DType dt : {kFloat32, kFloat64}) {
          const Pool2dParams p = make_pool(pc, kind, cip);
          const std::string name = str_cat(kind == PoolKind::kMax ? "max" : "avg", " pool N", p.n, " C", p.c, " ",
                                           p.h, "x", p.w, " window ", p.r, " stride ", p.stride_h, " pad ", p.pad_h,
                                           cip ? " count_include_pad " : " ", dtype_name(dt));
          // Grid values have ties, which max pooling must break as the CPU does (first wins).
          const Tensor x = grid_values({p.n, p.c, p.h, p.w}, dt, ++seed);
          const Tensor gy = uniform_cpu({p.n, p.c, p.p, p.q}, dt, -1, 1, ++seed);
          const bool max = kind == PoolKind::kMax;
          Tensor y = Tensor::empty({p.n, p.c, p.p, p.q}, dt);
          Tensor idx = max ? Tensor::empty(y.shape(), kInt64) : Tensor();
          backend::cpu::pool2d(p, x, y, idx);
          Tensor gx = Tensor::empty(x.shape(), dt);
          backend::cpu::pool2d_backward(p, gy, idx, gx);

          Tensor yd = nan_gpu(y.shape(), dt);
          Tensor idxd = max ? Tensor::full(y.shape(), -1, kInt64, kGpu) : Tensor();
          backend::cuda::pool2d(p, to_gpu(x), yd, idxd);
          // Max is exact; the average sums in double in the same order on both devices.
          expect_equal(to_host(yd), y, name + " forward");
          if (max) expect_equal(to_host(idxd), idx, name + " indices");
          Tensor gxd = nan_gpu(x.shape(), dt);
          backend::cuda::pool2d_backward(p, to_gpu(gy), idxd, gxd);
          // The gather adds the same terms in the order the CPU scatters them.
          expect_equal(to_host(gxd), gx, name + " backward");
        }
      }
    }
  }
}

// More outputs (and inputs) than the 65536 blocks of 256 threads a launch gets: the grid-stride
// loops must cover the rest. Outputs start as NaN so that an element left unwritten fails.
TEST(CudaPool, LargePlanesUseTheGridStrideLoop) {
  MOMENTA_REQUIRE_GPU();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const PoolCase pc{1, 1, 4097, 4097, 3, 1, 1};  // 4097^2 > 65536 * 256
  for (PoolKind kind : {PoolKind::kMax, PoolKind::kAvg}) {
    const Pool2dParams p = make_pool(pc, kind, true);
    const bool max = kind == PoolKind::kMax;
    const std::string name = str_cat(max ? "max" : "avg", " pool 4097x4097 float32");
    const Tensor x = grid_values({p.n, p.c, p.h, p.w}, kFloat32, 700);
    const Tensor gy = uniform_cpu({p.n, p.c, p.p, p.q}, kFloat32, -1, 1, 701);
    Tensor y = Tensor::empty({p.n, p.c, p.p, p.q}, kFloat32);
    Tensor idx = max ? Tensor::empty(y.shape(), kInt64) : Tensor();
    backend::cpu::pool2d(p, x, y, idx);
    Tensor gx = Tensor::empty(x.shape(), kFloat32);
    backend::cpu::pool2d_backward(p, gy, idx, gx);
    Tensor yd = Tensor::full(y.shape(), nan, kFloat32).to(kGpu);
    Tensor idxd = max ? Tensor::full(y.shape(), -1, kInt64).to(kGpu) : Tensor();
    backend::cuda::pool2d(p, to_gpu(x), yd, idxd);
    expect_equal(to_host(yd), y, name + " forward");
    if (max) expect_equal(to_host(idxd), idx, name + " indices");
    Tensor gxd = Tensor::full(x.shape(), nan, kFloat32).to(kGpu);
    backend::cuda::pool2d_backward(p, to_gpu(gy), idxd, gxd);
    expect_equal(to_host(gxd), gx, name + " backward");
  }
}

TEST(CudaPool, MaxPoolingPropagatesNaNAsTheCpu) {
  MOMENTA_REQUIRE_GPU();
  for (DType dt : {kFloat32, kFloat64}) {
    std::vector<double> v(2 * 7 * 9);
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(i % 5) - 2.0;
    v[3] = std::numeric_limits<double>::quiet_NaN();
    v[40] = std::numeric_limits<double>::quiet_NaN();
    v[70] = -std::numeric_limits<double>::infinity();
    const Tensor x = Tensor::from_vector(v, {1, 2, 7, 9}).to(dt);
    const Pool2dParams p = make_pool({1, 2, 7, 9, 3, 2, 1}, PoolKind::kMax, true);
    Tensor y = Tensor::empty({p.n, p.c, p.p, p.q}, dt), idx = Tensor::empty(y.shape(), kInt64);
    backend::cpu::pool2d(p, x, y, idx);
    Tensor yd = Tensor::empty(y.shape(), dt, kGpu), idxd = Tensor::empty(y.shape(), kInt64, kGpu);
    backend::cuda::pool2d(p, to_gpu(x), yd, idxd);
    expect_equal(to_host(yd), y, str_cat("max pool with NaN ", dtype_name(dt)));
    expect_equal(to_host(idxd), idx, str_cat("max pool indices with NaN ", dtype_name(dt)));
  }
}

}  // namespace
}  // namespace momenta
