// Channel-blocked activations [N, C / L, H, W, L] (ops.h): the conversions, conv2d with every
// combination of input and output layout on both CPU paths, the fused batch norm (residual and
// ReLU) in both layouts, group norm, upsampling, the global pool, and blocks, ResNets and the
// U-Net run blocked against the same network run plain. float64 gradient checks for everything
// differentiable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "models/resnet.h"
#include "models/unet.h"
#include "momenta/autograd.h"
#include "momenta/nn/residual.h"
#include "momenta/ops.h"

using namespace momenta;

namespace {

Tensor rnd(const Shape& s, DType dt, uint64_t seed, double scale = 1.0, double shift = 0.0) {
  Generator g(seed);
  Tensor t = randn(s, dt, g);
  NoGradGuard ng;
  return (t * scale + shift).detach();
}

Tensor leaf(const Tensor& t) { return t.detach().clone().set_requires_grad(true); }

void expect_close(const Tensor& got, const Tensor& want, double rel, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const auto g = got.to(kFloat64).to_vector<double>(), w = want.to(kFloat64).to_vector<double>();
  double scale = 0.0;
  for (double v : w) scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < w.size(); ++i) ASSERT_NEAR(g[i], w[i], rel * (scale + 1.0)) << what << " element " << i;
}

void expect_grad(const std::function<Tensor(const std::vector<Tensor>&)>& f, const std::vector<Tensor>& in) {
  const GradcheckResult r = gradcheck(f, in);
  EXPECT_TRUE(r.ok) << r.message;
}

}  // namespace

TEST(BlockedLayout, ConversionPlacesChannelsInLanes) {
  const Tensor x = rnd({2, 8, 3, 5}, kFloat64, 1);
  const Tensor b = to_blocked(x, 4);
  ASSERT_EQ(b.shape(), (Shape{2, 2, 3, 5, 4}));
  const auto xv = x.to_vector<double>(), bv = b.to_vector<double>();
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t c = 0; c < 8; ++c)
      for (int64_t i = 0; i < 15; ++i)
        ASSERT_EQ(bv[static_cast<size_t>(((n * 2 + c / 4) * 15 + i) * 4 + c % 4)],
                  xv[static_cast<size_t>((n * 8 + c) * 15 + i)]);
  EXPECT_EQ(from_blocked(b).to_vector<double>(), xv);
  expect_grad([](const std::vector<Tensor>& t) { return to_blocked(t[0], 2); }, {leaf(rnd({2, 4, 3, 2}, kFloat64, 2))});
  expect_grad([](const std::vector<Tensor>& t) { return from_blocked(t[0]); }, {leaf(rnd({2, 2, 3, 2, 2}, kFloat64, 3))});
  EXPECT_THROW(to_blocked(x, 3), ShapeError);
  EXPECT_THROW(from_blocked(x), ShapeError);
}

TEST(BlockedLayout, PreferredBlockIsOneOfOneDnnsLayouts) {
  const int64_t l = preferred_channel_block(kCPU, kFloat32);
  EXPECT_TRUE(l == 0 || l == 4 || l == 8 || l == 16) << l;
  EXPECT_EQ(preferred_channel_block(kCPU, kFloat64), 0);  // im2col: plain is its layout
}

// Every layout pair on both algorithms against the plain im2col result: output and all gradients.
TEST(BlockedLayout, ConvolutionAgreesInEveryLayout) {
  struct Geo {
    int64_t c, k, hw, stride, kernel, groups;
    bool bias;
  };
  const Geo geos[] = {{16, 16, 9, 1, 3, 1, false}, {16, 32, 10, 2, 3, 1, true}, {16, 32, 8, 2, 1, 1, false},
                      {32, 16, 7, 1, 3, 2, true}};
  uint64_t seed = 10;
  for (const Geo& ge : geos) {
    const Tensor x0 = rnd({3, ge.c, ge.hw, ge.hw}, kFloat32, seed++);
    const Tensor w0 = rnd({ge.k, ge.c / ge.groups, ge.kernel, ge.kernel}, kFloat32, seed++, 0.2);
    const Tensor b0 = ge.bias ? rnd({ge.k}, kFloat32, seed++) : Tensor();
    Conv2dOptions o = Conv2dOptions::make(ge.stride, ge.kernel / 2, 1, ge.groups);
    // Reference: plain in and out, im2col.
    Tensor xr = leaf(x0), wr = leaf(w0), br = ge.bias ? leaf(b0) : Tensor();
    o.algorithm = ConvAlgorithm::kIm2col;
    const Tensor yr = conv2d(xr, wr, br, o);
    const Tensor gy = rnd(yr.shape(), kFloat32, seed++);
    yr.backward(gy);
    for (ConvAlgorithm algo : {ConvAlgorithm::kIm2col, ConvAlgorithm::kOneDnn}) {
      for (int64_t in_l : {0, 4, 8, 16}) {
        for (int64_t out_l : {0, 8, 16}) {
          if (in_l == 0 && out_l == 0) continue;
          const std::string what = "C" + std::to_string(ge.c) + " K" + std::to_string(ge.k) + " algo " +
                                   std::to_string(static_cast<int>(algo)) + " in " + std::to_string(in_l) + " out " +
                                   std::to_string(out_l);
          Tensor x = leaf(x0), w = leaf(w0), b = ge.bias ? leaf(b0) : Tensor();
          o.algorithm = algo;
          o.out_block = out_l;
          const Tensor xin = in_l > 0 ? to_blocked(x, in_l) : x;
          const Tensor y = conv2d(xin, w, b, o);
          ASSERT_EQ(y.dim(), out_l > 0 ? 5 : 4) << what;
          const Tensor yp = out_l > 0 ? from_blocked(y) : y;
          expect_close(yp, yr, 1e-5, what + " output");
          yp.backward(gy);
          expect_close(x.grad(), xr.grad(), 1e-5, what + " input grad");
          expect_close(w.grad(), wr.grad(), 1e-5, what + " weight grad");
          if (ge.bias) expect_close(b.grad(), br.grad(), 1e-5, what + " bias grad");
        }
      }
    }
  }
}

TEST(BlockedLayout, ConvolutionGradcheckFloat64) {
  for (int64_t out_l : {0, 2}) {
    Conv2dOptions o = Conv2dOptions::make(2, 1);
    o.out_block = out_l;
    expect_grad([o](const std::vector<Tensor>& t) { return conv2d(t[0], t[1], t[2], o); },
                {leaf(rnd({2, 2, 5, 5, 2}, kFloat64, 30)), leaf(rnd({4, 4, 3, 3}, kFloat64, 31)),
                 leaf(rnd({4}, kFloat64, 32))});
  }
  Conv2dOptions o;
  o.out_block = 3;
  EXPECT_THROW(conv2d(rnd({1, 4, 5, 5}, kFloat32, 33), rnd({4, 4, 3, 3}, kFloat32, 34), Tensor(), o), ShapeError);
}

// The fused op equals the chain it replaces, in both layouts; running statistics too.
TEST(BlockedLayout, FusedBatchNormMatchesTheUnfusedChain) {
  for (DType dt : {kFloat64, kFloat32}) {
    const double tol = dt == kFloat64 ? 1e-12 : 2e-6;
    for (int64_t lanes : {0, 4, 8}) {
      for (int variant = 0; variant < 4; ++variant) {
        const bool with_res = variant & 1, with_relu = variant & 2;
        const std::string what = std::string(dtype_name(dt)) + " lanes " + std::to_string(lanes) + " variant " +
                                 std::to_string(variant);
        const Tensor x0 = rnd({3, 16, 4, 5}, dt, 40, 2.0, 0.5), r0 = rnd({3, 16, 4, 5}, dt, 41);
        const Tensor w0 = rnd({16}, dt, 42), b0 = rnd({16}, dt, 43), gy = rnd({3, 16, 4, 5}, dt, 44);
        // Reference: the unfused plain chain.
        Tensor xr = leaf(x0), rr = leaf(r0), wr = leaf(w0), br = leaf(b0);
        Tensor rm_r = Tensor::zeros({16}, dt), rv_r = Tensor::ones({16}, dt);
        Tensor yr = batch_norm(xr, wr, br, rm_r, rv_r, true, 0.1, 1e-5);
        if (with_res) yr = yr + rr;
        if (with_relu) yr = relu(yr);
        yr.backward(gy);
        // Fused, in the layout under test.
        Tensor x = leaf(x0), r = leaf(r0), w = leaf(w0), b = leaf(b0);
        Tensor rm = Tensor::zeros({16}, dt), rv = Tensor::ones({16}, dt);
        auto lay = [&](const Tensor& t) { return lanes > 0 ? to_blocked(t, lanes) : t; };
        auto unlay = [&](const Tensor& t) { return lanes > 0 ? from_blocked(t) : t; };
        BatchNormFusion fuse{with_res ? lay(r) : Tensor(), with_relu, lanes};
        const Tensor y = unlay(batch_norm(lay(x), w, b, rm, rv, true, 0.1, 1e-5, fuse));
        expect_close(y, yr, tol, what + " output");
        y.backward(gy);
        expect_close(x.grad(), xr.grad(), tol, what + " input grad");
        expect_close(w.grad(), wr.grad(), tol, what + " weight grad");
        expect_close(b.grad(), br.grad(), tol, what + " bias grad");
        if (with_res) expect_close(r.grad(), rr.grad(), tol, what + " residual grad");
        expect_close(rm, rm_r, tol, what + " running mean");
        expect_close(rv, rv_r, tol, what + " running var");
        // Evaluation with the running statistics.
        NoGradGuard ng;
        Tensor ye = batch_norm(x0, w0, b0, rm_r, rv_r, false, 0.1, 1e-5);
        if (with_res) ye = ye + r0;
        if (with_relu) ye = relu(ye);
        BatchNormFusion fe{with_res ? lay(r0) : Tensor(), with_relu, lanes};
        expect_close(unlay(batch_norm(lay(x0), w0, b0, rm, rv, false, 0.1, 1e-5, fe)), ye, tol, what + " eval");
      }
    }
  }
}

// Every lane count the kernels instantiate (8, 16) or take at run time (1, 2, 32, 64) gives the
// plain result; more than 64 lanes is refused.
TEST(BlockedLayout, FusedBatchNormEveryLaneCount) {
  const Tensor x0 = rnd({2, 64, 2, 3}, kFloat64, 45, 2.0, 0.5), r0 = rnd({2, 64, 2, 3}, kFloat64, 46);
  const Tensor w0 = rnd({64}, kFloat64, 47), b0 = rnd({64}, kFloat64, 48), gy = rnd({2, 64, 2, 3}, kFloat64, 49);
  auto run = [&](int64_t lanes, std::vector<Tensor>& grads) {
    Tensor x = leaf(x0), r = leaf(r0), w = leaf(w0), b = leaf(b0);
    Tensor rm = Tensor::zeros({64}, kFloat64), rv = Tensor::ones({64}, kFloat64);
    auto lay = [&](const Tensor& t) { return lanes > 0 ? to_blocked(t, lanes) : t; };
    Tensor y = batch_norm(lay(x), w, b, rm, rv, true, 0.1, 1e-5, BatchNormFusion{lay(r), true, lanes});
    if (lanes > 0) y = from_blocked(y);
    y.backward(gy);
    grads = {x.grad(), r.grad(), w.grad(), b.grad(), rm, rv};
    return y;
  };
  std::vector<Tensor> ref_grads;
  const Tensor ref = run(0, ref_grads);
  for (int64_t lanes : {1, 2, 8, 16, 32, 64}) {
    std::vector<Tensor> grads;
    const std::string what = "lanes " + std::to_string(lanes);
    expect_close(run(lanes, grads), ref, 1e-12, what + " output");
    const char* names[] = {"input grad", "residual grad", "weight grad", "bias grad", "running mean", "running var"};
    for (size_t i = 0; i < grads.size(); ++i) expect_close(grads[i], ref_grads[i], 1e-12, what + " " + names[i]);
  }
  const Tensor wide = rnd({2, 1, 2, 2, 128}, kFloat64, 59);
  EXPECT_THROW(batch_norm(wide, Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, 1e-5, BatchNormFusion{Tensor(), false, 128}),
               ValueError);
}

TEST(BlockedLayout, FusedBatchNormGradcheckFloat64) {
  for (int64_t lanes : {0, 2}) {
    for (bool training : {true, false}) {
      const Shape s = lanes > 0 ? Shape{3, 2, 3, 2, 2} : Shape{3, 4, 3, 2};
      Tensor rm = rnd({4}, kFloat64, 50, 0.1), rv = rnd({4}, kFloat64, 51, 0.1, 1.0);
      // Shifted so that the ReLU sees both signs but no value sits at its kink.
      expect_grad(
          [&](const std::vector<Tensor>& t) {
            Tensor m = rm.clone(), v = rv.clone();
            return batch_norm(t[0], t[1], t[2], m, v, training, 0.1, 1e-5, BatchNormFusion{t[3], true, lanes});
          },
          {leaf(rnd(s, kFloat64, 52, 1.5)), leaf(rnd({4}, kFloat64, 53)), leaf(rnd({4}, kFloat64, 54, 0.3, 0.2)),
           leaf(rnd(s, kFloat64, 55))});
    }
  }
  const Tensor x = rnd({2, 2, 3, 3, 4}, kFloat32, 56);
  EXPECT_THROW(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, 1e-5, BatchNormFusion{Tensor(), false, 8}),
               ShapeError);  // the last axis is not 8 lanes
  EXPECT_THROW(batch_norm(x, Tensor(), Tensor(), Tensor(), Tensor(), true, 0.1, 1e-5,
                          BatchNormFusion{rnd({2, 2, 3, 3, 2}, kFloat32, 57), false, 4}),
               ShapeError);  // residual of another shape
}

TEST(BlockedLayout, GlobalPoolReadsLanesAsChannels) {
  const Tensor x = rnd({2, 16, 3, 4}, kFloat32, 60);
  expect_close(global_avg_pool2d(to_blocked(x, 8), 8), global_avg_pool2d(x), 1e-6, "pool");
  EXPECT_THROW(global_avg_pool2d(to_blocked(x, 8)), ShapeError);     // a 5-D tensor is not an image unless said
  EXPECT_THROW(global_avg_pool2d(to_blocked(x, 8), 4), ShapeError);  // lanes that are not its last axis
}

// A block fed a blocked input (both shortcut options, with and without downsampling) equals the
// same block fed the plain input, forward and backward; float64 takes the im2col fallback, so
// blocks of 2 and 4 lanes exercise option A's whole-block and split-block zero padding.
TEST(BlockedLayout, BasicBlockAgreesInBothLayouts) {
  for (nn::Shortcut sc : {nn::Shortcut::kA, nn::Shortcut::kB}) {
    for (int64_t lanes : {2, 4}) {
      for (int64_t stride : {1, 2}) {
        const int64_t in = 4, out = stride == 1 ? 4 : 8;
        Generator g(70);
        nn::BasicBlock block(in, out, stride, sc, g);
        block.finalize(kFloat64);
        const Tensor x0 = rnd({2, in, 6, 6}, kFloat64, 71), gy = rnd({2, out, 6 / stride, 6 / stride}, kFloat64, 72);
        Tensor xr = leaf(x0);
        const Tensor yr = block.forward(xr);
        yr.backward(gy);
        std::vector<Tensor> grads_plain;
        for (auto& [name, p] : block.named_parameters()) grads_plain.push_back(p.grad().clone());
        block.zero_grad();
        Tensor x = leaf(x0);
        const Tensor yb = block.forward(to_blocked(x, lanes));
        ASSERT_EQ(yb.dim(), 5);
        const Tensor y = from_blocked(yb);
        const std::string what = std::string(sc == nn::Shortcut::kA ? "A" : "B") + " lanes " + std::to_string(lanes) +
                                 " stride " + std::to_string(stride);
        expect_close(y, yr, 1e-12, what + " output");
        y.backward(gy);
        expect_close(x.grad(), xr.grad(), 1e-12, what + " input grad");
        size_t i = 0;
        for (auto& [name, p] : block.named_parameters()) expect_close(p.grad(), grads_plain[i++], 1e-12, what + " " + name);
      }
    }
  }
}

// ResNet-20 in float32 with oneDNN: blocked (the default) against plain, over two SGD steps, then
// evaluation.
TEST(BlockedLayout, ResNetBlockedMatchesPlain) {
  if (preferred_channel_block(kCPU, kFloat32) == 0) GTEST_SKIP() << "oneDNN prefers plain layouts on this CPU";
  Generator g1(80), g2(80);
  auto blocked = models::make_resnet("resnet20", 3, 10, g1);
  auto plain = models::make_resnet("resnet20", 3, 10, g2);
  plain->blocked = false;
  blocked->finalize();
  plain->finalize();
  const Tensor x = rnd({8, 3, 16, 16}, kFloat32, 81);
  for (int step = 0; step < 2; ++step) {
    blocked->zero_grad();
    plain->zero_grad();
    const Tensor yb = blocked->forward(x), yp = plain->forward(x);
    expect_close(yb, yp, 1e-4, "logits");
    sum(square(yb)).backward();
    sum(square(yp)).backward();
    auto pb = blocked->named_parameters(), pp = plain->named_parameters();
    for (size_t i = 0; i < pb.size(); ++i) expect_close(pb[i].second.grad(), pp[i].second.grad(), 1e-3, pb[i].first);
    NoGradGuard ng;  // the same SGD step on both, so the second pass runs at new weights
    for (size_t i = 0; i < pb.size(); ++i) {
      pb[i].second.add_(pb[i].second.grad(), -0.01);
      pp[i].second.add_(pp[i].second.grad(), -0.01);
    }
  }
  auto bb = blocked->named_buffers(), bp = plain->named_buffers();
  for (size_t i = 0; i < bb.size(); ++i) expect_close(bb[i].second, bp[i].second, 1e-5, bb[i].first);
  blocked->eval();
  plain->eval();
  NoGradGuard ng;
  expect_close(blocked->forward(x), plain->forward(x), 1e-4, "eval logits");
}

// Group norm of a blocked input equals the plain one, forward and backward, for groups that cover
// part of a block, exactly one, and several (C = 16: 8 groups of 2 channels, 2 of 8, 1 of 16, at
// lanes 1 to 16); so does the fused group norm + SiLU against the two ops run plain.
TEST(BlockedLayout, GroupNormAgreesInEveryLaneCount) {
  const Tensor x0 = rnd({3, 16, 3, 5}, kFloat64, 90, 2.0, 0.5), gy = rnd({3, 16, 3, 5}, kFloat64, 91);
  const Tensor w0 = rnd({16}, kFloat64, 92), b0 = rnd({16}, kFloat64, 93);
  for (bool fused : {false, true})
  for (int64_t groups : {8, 2, 1}) {
    auto run = [&](int64_t lanes, std::vector<Tensor>& grads) {
      Tensor x = leaf(x0), w = leaf(w0), b = leaf(b0);
      const Tensor in = lanes > 0 ? to_blocked(x, lanes) : x;
      Tensor y = fused ? group_norm_silu(in, groups, w, b, 1e-5, lanes) : group_norm(in, groups, w, b, 1e-5, lanes);
      if (lanes > 0) y = from_blocked(y);
      y.backward(gy);
      grads = {x.grad(), w.grad(), b.grad()};
      return y;
    };
    std::vector<Tensor> ref_grads;
    const Tensor ref = run(0, ref_grads);
    if (fused) {  // the plain reference runs the two ops
      std::vector<Tensor> two_grads;
      Tensor x = leaf(x0), w = leaf(w0), b = leaf(b0);
      const Tensor y = silu(group_norm(x, groups, w, b));
      y.backward(gy);
      expect_close(ref, y, 1e-15, "plain group_norm_silu");
      expect_close(x.grad(), ref_grads[0], 1e-15, "plain group_norm_silu input grad");
    }
    for (int64_t lanes : {1, 2, 4, 8, 16}) {
      std::vector<Tensor> grads;
      const std::string what = std::string(fused ? "fused silu, " : "") + "groups " + std::to_string(groups) +
                                " lanes " + std::to_string(lanes);
      expect_close(run(lanes, grads), ref, 1e-12, what + " output");
      const char* names[] = {"input grad", "weight grad", "bias grad"};
      for (size_t i = 0; i < grads.size(); ++i) expect_close(grads[i], ref_grads[i], 1e-12, what + " " + names[i]);
    }
  }
  // float32 at oneDNN's lane counts, against the plain kernel.
  const Tensor x32 = x0.to(kFloat32);
  for (int64_t lanes : {8, 16})
    expect_close(from_blocked(group_norm(to_blocked(x32, lanes), 4, w0.to(kFloat32), b0.to(kFloat32), 1e-5, lanes)),
                 group_norm(x32, 4, w0.to(kFloat32), b0.to(kFloat32)), 1e-5, "float32 lanes " + std::to_string(lanes));
  EXPECT_THROW(group_norm(to_blocked(x0, 4), 4, Tensor(), Tensor(), 1e-5, 8), ShapeError);  // not 8 lanes
  EXPECT_THROW(group_norm(to_blocked(x0, 4), 3, Tensor(), Tensor(), 1e-5, 4), ValueError);  // 16 channels, 3 groups
}

TEST(BlockedLayout, GroupNormAndUpsampleGradcheckFloat64) {
  // Groups of 3 channels over blocks of 2 lanes: a group starts inside a block.
  expect_grad([](const std::vector<Tensor>& t) { return group_norm(t[0], 2, t[1], t[2], 1e-5, 2); },
              {leaf(rnd({2, 3, 2, 3, 2}, kFloat64, 94, 1.5)), leaf(rnd({6}, kFloat64, 95)), leaf(rnd({6}, kFloat64, 96))});
  expect_grad([](const std::vector<Tensor>& t) { return group_norm_silu(t[0], 2, t[1], t[2], 1e-5, 2); },
              {leaf(rnd({2, 3, 2, 3, 2}, kFloat64, 94, 1.5)), leaf(rnd({6}, kFloat64, 95)), leaf(rnd({6}, kFloat64, 96))});
  for (UpsampleMode mode : {UpsampleMode::kNearest, UpsampleMode::kBilinear})
    expect_grad([mode](const std::vector<Tensor>& t) { return upsample2x(t[0], mode, 2); },
                {leaf(rnd({2, 2, 3, 2, 2}, kFloat64, 97))});
  // Upsampling a blocked tensor is upsampling its image.
  const Tensor x = rnd({2, 8, 3, 4}, kFloat32, 98);
  for (UpsampleMode mode : {UpsampleMode::kNearest, UpsampleMode::kBilinear})
    expect_close(from_blocked(upsample2x(to_blocked(x, 4), mode, 4)), upsample2x(x, mode), 1e-6, "upsample");
  EXPECT_THROW(upsample2x(to_blocked(x, 4), UpsampleMode::kNearest), ShapeError);  // 5-D, lanes not said
  EXPECT_THROW(upsample2x(x, UpsampleMode::kNearest, 4), ShapeError);               // 4-D, lanes said
}

// The twin U-Net in float32: blocked (the default where oneDNN prefers it) against plain, output
// and every parameter's gradient, in training (a DSM-like loss) and evaluation.
TEST(BlockedLayout, UNetBlockedMatchesPlain) {
  if (preferred_channel_block(kCPU, kFloat32) == 0) GTEST_SKIP() << "oneDNN prefers plain layouts on this CPU";
  Generator g1(100), g2(100);
  auto blocked = models::make_unet("twin", 1, 28, g1);
  auto plain = models::make_unet("twin", 1, 28, g2);
  plain->blocked = false;
  blocked->finalize();
  plain->finalize();
  const Tensor x0 = rnd({4, 1, 28, 28}, kFloat32, 101);
  EXPECT_GT(blocked->lanes_for(x0), 0);
  EXPECT_EQ(plain->lanes_for(x0), 0);
  Generator gt(102);
  const Tensor t = rand({4}, kFloat32, gt);
  const Tensor yb = blocked->forward(x0, t), yp = plain->forward(x0, t);
  ASSERT_EQ(yb.shape(), (Shape{4, 1, 28, 28}));
  expect_close(yb, yp, 1e-4, "output");
  sum(square(yb)).backward();
  sum(square(yp)).backward();
  auto pb = blocked->named_parameters(), pp = plain->named_parameters();
  for (size_t i = 0; i < pb.size(); ++i) expect_close(pb[i].second.grad(), pp[i].second.grad(), 1e-3, pb[i].first);
  NoGradGuard ng;
  blocked->eval();
  plain->eval();
  expect_close(blocked->forward(x0, t), plain->forward(x0, t), 1e-4, "eval output");
}
