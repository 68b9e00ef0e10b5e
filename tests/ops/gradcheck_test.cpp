// Float64 finite-difference checks of every differentiable op, on broadcasting and
// non-contiguous inputs where the op accepts them.
#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "momenta/autograd.h"
#include "momenta/ops.h"

using namespace momenta;

namespace {

// A float64 leaf of `shape`; non-contiguous ones are transposed views of a fresh buffer.
Tensor rnd(const Shape& shape, uint64_t seed, bool noncontig = false, double offset = 0.0) {
  Generator g(seed);
  Tensor t;
  if (noncontig && shape.size() >= 2) {
    Shape rev(shape.rbegin(), shape.rend());
    std::vector<int64_t> perm(shape.size());
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(perm.size() - 1 - i);
    t = randn(rev, kFloat64, g).permute(perm);
    EXPECT_FALSE(t.is_contiguous());
  } else {
    t = randn(shape, kFloat64, g);
  }
  if (offset != 0.0) {
    Tensor shifted = Tensor::empty(t.shape(), kFloat64);
    shifted.copy_(t);
    shifted.add_(Tensor::full(t.shape(), offset, kFloat64));
    if (!noncontig) t = shifted;
    else t.copy_(shifted);
  }
  t.set_requires_grad(true);
  return t;
}

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

void expect_grad(const Fn& f, const std::vector<Tensor>& inputs) {
  const GradcheckResult r = gradcheck(f, inputs);
  EXPECT_TRUE(r.ok) << r.message;
}

}  // namespace

TEST(Gradcheck, BinaryBroadcasting) {
  for (bool nc : {false, true}) {
    Tensor a = rnd({3, 4}, 1, nc), b = rnd({4}, 2), c = rnd({3, 1}, 3), d = rnd({3, 4}, 4, nc, 3.0);
    expect_grad([](auto& x) { return add(x[0], x[1]); }, {a, b});
    expect_grad([](auto& x) { return sub(x[0], x[1]); }, {a, c});
    expect_grad([](auto& x) { return mul(x[0], x[1]); }, {c, a});
    expect_grad([](auto& x) { return div(x[0], x[1]); }, {b, d});
    expect_grad([](auto& x) { return maximum(x[0], x[1]); }, {a, b});
    expect_grad([](auto& x) { return minimum(x[0], x[1]); }, {c, a});
  }
}

TEST(Gradcheck, ScalarOps) {
  Tensor a = rnd({2, 5}, 5, true), p = rnd({2, 5}, 6, false, 3.0);
  expect_grad([](auto& x) { return add(x[0], 2.5); }, {a});
  expect_grad([](auto& x) { return mul(x[0], -1.5); }, {a});
  expect_grad([](auto& x) { return rsub(2.0, x[0]); }, {a});
  expect_grad([](auto& x) { return rdiv(2.0, x[0]); }, {p});
  expect_grad([](auto& x) { return pow(x[0], 2.5); }, {p});
  expect_grad([](auto& x) { return x[0] / 4.0 - 1.0; }, {a});
}

TEST(Gradcheck, Unary) {
  for (bool nc : {false, true}) {
    Tensor a = rnd({3, 4}, 7, nc), pos = rnd({3, 4}, 8, nc, 4.0);
    expect_grad([](auto& x) { return neg(x[0]); }, {a});
    expect_grad([](auto& x) { return exp(x[0]); }, {a});
    expect_grad([](auto& x) { return log(x[0]); }, {pos});
    expect_grad([](auto& x) { return sqrt(x[0]); }, {pos});
    expect_grad([](auto& x) { return abs(x[0]); }, {a});
    expect_grad([](auto& x) { return square(x[0]); }, {a});
    expect_grad([](auto& x) { return relu(x[0]); }, {a});
    expect_grad([](auto& x) { return sigmoid(x[0]); }, {a});
    expect_grad([](auto& x) { return tanh(x[0]); }, {a});
    expect_grad([](auto& x) { return silu(x[0]); }, {a});
    expect_grad([](auto& x) { return gelu(x[0]); }, {a});
  }
}

TEST(Gradcheck, Reductions) {
  for (bool nc : {false, true}) {
    Tensor a = rnd({3, 4, 5}, 9, nc);
    expect_grad([](auto& x) { return sum(x[0]); }, {a});
    expect_grad([](auto& x) { return sum(x[0], {1}); }, {a});
    expect_grad([](auto& x) { return sum(x[0], {0, 2}, true); }, {a});
    expect_grad([](auto& x) { return mean(x[0], {-1}); }, {a});
    expect_grad([](auto& x) { return mean(x[0]); }, {a});
    expect_grad([](auto& x) { return max(x[0], 1); }, {a});
    expect_grad([](auto& x) { return max(x[0], 2, true); }, {a});
    expect_grad([](auto& x) { return max(x[0]); }, {a});
  }
}

TEST(Gradcheck, MatmulAndLinear) {
  for (bool nc : {false, true}) {
    Tensor a = rnd({3, 4}, 10, nc), b = rnd({4, 5}, 11, nc);
    expect_grad([](auto& x) { return matmul(x[0], x[1]); }, {a, b});
    Tensor ba = rnd({2, 3, 4}, 12, nc), bb = rnd({2, 4, 2}, 13, nc), b1 = rnd({1, 4, 2}, 14);
    expect_grad([](auto& x) { return matmul(x[0], x[1]); }, {ba, bb});
    expect_grad([](auto& x) { return matmul(x[0], x[1]); }, {ba, b1});
    Tensor xin = rnd({6, 4}, 15, nc), w = rnd({3, 4}, 16, nc), bias = rnd({3}, 17);
    expect_grad([](auto& x) { return linear(x[0], x[1], x[2]); }, {xin, w, bias});
    expect_grad([](auto& x) { return linear(x[0], x[1], Tensor()); }, {xin, w});
    Tensor x3 = rnd({2, 3, 4}, 18);
    expect_grad([](auto& x) { return linear(x[0], x[1], x[2]); }, {x3, w, bias});
  }
}

TEST(Gradcheck, SoftmaxAndLosses) {
  for (bool nc : {false, true}) {
    Tensor a = rnd({4, 5}, 19, nc), c = rnd({2, 3, 4}, 20);
    expect_grad([](auto& x) { return softmax(x[0], 1); }, {a});
    expect_grad([](auto& x) { return log_softmax(x[0], -1); }, {a});
    expect_grad([](auto& x) { return softmax(x[0], 1); }, {c});
    expect_grad([](auto& x) { return log_softmax(x[0], 0); }, {c});
    Tensor target = Tensor::from_vector<int64_t>({0, 4, 2, 2}, {4});
    expect_grad([target](auto& x) { return cross_entropy(x[0], target); }, {a});
    Tensor y = rnd({4, 5}, 21, nc);
    expect_grad([](auto& x) { return mse_loss(x[0], x[1]); }, {a, y});
  }
}

// A sliced (strided) target vector: the loss and gradient are those of its contiguous copy
// (the CPU kernels once read target[r] ignoring the stride; the CUDA ones read target[r * stride]).
TEST(Gradcheck, CrossEntropyReadsAStridedTarget) {
  const Tensor wide = Tensor::from_vector<int64_t>({0, 3, 4, 1, 2, 0, 2, 4}, {8});
  const Tensor strided = wide.slice(0, 0, 8, 2);  // 0, 4, 2, 2
  ASSERT_FALSE(strided.is_contiguous());
  expect_grad([strided](auto& x) { return cross_entropy(x[0], strided); }, {rnd({4, 5}, 25)});
  const auto loss_and_grad = [](const Tensor& target) {
    Tensor a = rnd({4, 5}, 26);
    Tensor loss = cross_entropy(a, target);
    loss.backward();
    return std::make_pair(loss.item(), a.grad().to_vector<double>());
  };
  const auto got = loss_and_grad(strided), want = loss_and_grad(strided.contiguous());
  EXPECT_EQ(got.first, want.first);
  EXPECT_EQ(got.second, want.second);
}

TEST(Gradcheck, Dropout) {
  Tensor a = rnd({6, 7}, 22, true);
  // A fresh generator per call gives the same mask for every evaluation.
  expect_grad([](auto& x) {
    Generator g(99);
    return dropout(x[0], 0.3, true, g);
  }, {a});
}

TEST(Gradcheck, ViewsAndCat) {
  Tensor a = rnd({2, 3, 4}, 23, true), b = rnd({2, 2, 4}, 24);
  expect_grad([](auto& x) { return x[0].reshape({6, 4}); }, {a});
  expect_grad([](auto& x) { return x[0].permute({2, 0, 1}); }, {a});
  expect_grad([](auto& x) { return x[0].transpose(0, 2); }, {a});
  expect_grad([](auto& x) { return x[0].slice(1, 0, 3, 2); }, {a});
  expect_grad([](auto& x) { return x[0].select(2, 1); }, {a});
  expect_grad([](auto& x) { return x[0].slice(0, 1, 2).expand({3, 3, 4}); }, {a});
  expect_grad([](auto& x) { return x[0].unsqueeze(1).squeeze(1).flatten(1); }, {a});
  expect_grad([](auto& x) { return x[0].contiguous(); }, {a});
  expect_grad([](auto& x) { return x[0].clone(); }, {a});
  expect_grad([](auto& x) { return cat({x[0], x[1]}, 1); }, {a, b});
}

TEST(Autograd, DtypeConversionPassesGradientBack) {
  // Finite differences through float32 would measure rounding, so check the rule directly.
  Tensor b = rnd({2, 3}, 26);
  sum(mul(b.to(kFloat32), 3.0)).backward();
  EXPECT_EQ(b.grad().dtype(), kFloat64);
  for (double v : b.grad().to_vector<double>()) EXPECT_EQ(v, 3.0);
}

TEST(Gradcheck, DetectsAWrongGradient) {
  // A deliberately wrong backward must be caught, or the checks above prove nothing.
  Tensor a = rnd({3}, 25);
  const GradcheckResult r = gradcheck(
      [](auto& x) {
        Tensor out = x[0].detach().clone();
        attach_grad_fn(out, "wrong", {x[0]}, [](const Tensor& g) { return std::vector<Tensor>{mul(g, 2.0)}; });
        return out;
      },
      {a});
  EXPECT_FALSE(r.ok);
}
