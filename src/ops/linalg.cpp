// Matrix products on the backend GEMM. A 2-D operand that is a transposed view is passed to
// GEMM with a transpose flag instead of being copied (so x W^T never materialises W^T).
//   matmul:  dA = dC B^T,  dB = A^T dC
//   linear:  y = x W^T + b;  dx = dy W,  dW = dy^T x,  db = sum_rows(dy)
#include "backend/backend.h"
#include "momenta/autograd.h"
#include "momenta/ops.h"

namespace momenta {
namespace {

// A matrix operand as GEMM sees it: base pointer, transpose flag and leading dimension.
struct GemmOperand {
  Tensor keep;  // holds the memory (a contiguous copy when the view was not usable)
  bool trans = false;
  int64_t ld = 0;
};

// `m` is 2-D [rows, cols]; returns it as a row-major (or transposed row-major) operand.
GemmOperand as_operand(const Tensor& m) {
  const int64_t rows = m.shape()[0], cols = m.shape()[1];
  const int64_t s0 = m.strides()[0], s1 = m.strides()[1];
  if ((s1 == 1 || cols == 1) && s0 >= std::max<int64_t>(cols, 1)) return {m, false, std::max<int64_t>(s0, 1)};
  if ((s0 == 1 || rows == 1) && s1 >= std::max<int64_t>(rows, 1)) return {m, true, std::max<int64_t>(s1, 1)};
  Tensor c = m.contiguous();
  return {c, false, std::max<int64_t>(cols, 1)};
}

// c[M, N] = alpha * a[M, K] @ b[K, N] + beta * c, all 2-D; c contiguous.
void gemm2d(const Tensor& a, const Tensor& b, const Tensor& c, double beta = 0.0) {
  // GEMM takes raw pointers: every operand must be on c's device, or the CPU GEMM would read
  // GPU memory (or cuBLAS host memory).
  check<ValueError>(a.device() == c.device() && b.device() == c.device(), "matmul/linear: operands on different "
                    "devices (", a.device().str(), " @ ", b.device().str(), " into ", c.device().str(), ")");
  const GemmOperand A = as_operand(a), B = as_operand(b);
  backend::gemm_on(c.device(), c.dtype(), A.trans, B.trans, a.shape()[0], b.shape()[1], a.shape()[1], 1.0,
                   A.keep.raw_data(), A.ld, B.keep.raw_data(), B.ld, beta, c.raw_data(), std::max<int64_t>(c.shape()[1], 1));
}

Tensor mm(const Tensor& a, const Tensor& b) {
  Tensor c = Tensor::empty({a.shape()[0], b.shape()[1]}, a.dtype(), a.device());
  gemm2d(a, b, c);
  return c;
}

void check_matmul(const Tensor& a, const Tensor& b, const char* what) {
  check<ShapeError>(a.dtype() == b.dtype(), what, ": dtype mismatch (", dtype_name(a.dtype()), " and ",
                    dtype_name(b.dtype()), ")");
  check<ShapeError>(is_floating(a.dtype()), what, ": expected floating tensors, got ", dtype_name(a.dtype()));
  check<ValueError>(a.device() == b.device(), what, ": the operands are on different devices (", a.device().str(),
                    " and ", b.device().str(), "): move one with .to()");
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  check_matmul(a, b, "matmul");
  if (a.dim() == 2 && b.dim() == 2) {
    check<ShapeError>(a.shape()[1] == b.shape()[0], "matmul: inner dimensions differ: ", fmt(a.shape()), " @ ",
                      fmt(b.shape()));
    Tensor out = mm(a.detach(), b.detach());
    if (any_requires_grad({&a, &b})) {
      const Tensor ad = a.detach(), bd = b.detach();
      const bool need_a = a.requires_grad(), need_b = b.requires_grad();
      attach_grad_fn(out, "matmul", {a, b}, [=](const Tensor& g) {
        return std::vector<Tensor>{need_a ? mm(g, bd.t()) : Tensor(), need_b ? mm(ad.t(), g) : Tensor()};
      });
    }
    return out;
  }
  check<ShapeError>(a.dim() == 3 && b.dim() == 3, "matmul: expected 2-D @ 2-D or 3-D @ 3-D, got ",
                    fmt(a.shape()), " @ ", fmt(b.shape()));
  const int64_t ba = a.shape()[0], bb = b.shape()[0];
  check<ShapeError>((ba == bb || ba == 1 || bb == 1) && a.shape()[2] == b.shape()[1], "matmul: cannot multiply ",
                    fmt(a.shape()), " @ ", fmt(b.shape()));
  const int64_t batch = std::max(ba, bb);
  Tensor out = Tensor::empty({batch, a.shape()[1], b.shape()[2]}, a.dtype(), a.device());
  for (int64_t i = 0; i < batch; ++i)
    gemm2d(a.detach().select(0, ba == 1 ? 0 : i), b.detach().select(0, bb == 1 ? 0 : i), out.select(0, i));
  if (any_requires_grad({&a, &b})) {
    const Tensor ad = a.detach(), bd = b.detach();
    attach_grad_fn(out, "bmm", {a, b}, [=](const Tensor& g) {
      Tensor ga = Tensor::zeros(ad.shape(), ad.dtype(), ad.device());
      Tensor gb = Tensor::zeros(bd.shape(), bd.dtype(), bd.device());
      for (int64_t i = 0; i < batch; ++i) {
        const int64_t ia = ba == 1 ? 0 : i, ib = bb == 1 ? 0 : i;
        const Tensor gi = g.select(0, i);
        gemm2d(gi, bd.select(0, ib).t(), ga.select(0, ia), 1.0);
        gemm2d(ad.select(0, ia).t(), gi, gb.select(0, ib), 1.0);
      }
      return std::vector<Tensor>{ga, gb};
    });
  }
  return out;
}

Tensor linear(const Tensor& x, const Tensor& w, const Tensor& b) {
  check_matmul(x, w, "linear");
  check<ShapeError>(w.dim() == 2, "linear: weight must be 2-D [out, in], got ", fmt(w.shape()));
  const int64_t in = w.shape()[1], out_f = w.shape()[0];
  check<ShapeError>(x.dim() >= 1 && x.shape().back() == in, "linear: input ", fmt(x.shape()),
                    " does not end in the weight's in_features ", in);
  if (b.defined()) {
    check<ShapeError>(b.dim() == 1 && b.shape()[0] == out_f && b.dtype() == x.dtype(), "linear: bias ",
                      fmt(b.shape()), " does not match out_features ", out_f);
  }
  const Tensor x2 = x.detach().reshape({x.numel() / std::max<int64_t>(in, 1), in});
  Tensor y = mm(x2, w.detach().t());
  if (b.defined()) backend::add_row_bias(y, b.detach());
  Shape out_shape = x.shape();
  out_shape.back() = out_f;
  y = y.view(out_shape);
  if (any_requires_grad({&x, &w, &b})) {
    const Tensor wd = w.detach();
    const bool need_x = x.requires_grad(), need_w = w.requires_grad(), need_b = b.defined() && b.requires_grad();
    const Shape x_shape = x.shape();
    attach_grad_fn(y, "linear", {x, w, b}, [=](const Tensor& g) {
      const Tensor g2 = g.reshape({x2.shape()[0], out_f});
      Tensor gx = need_x ? mm(g2, wd).view(x_shape) : Tensor();
      Tensor gw = need_w ? mm(g2.t(), x2) : Tensor();
      Tensor gb = need_b ? sum(g2, {0}) : Tensor();
      return std::vector<Tensor>{gx, gw, gb};
    });
  }
  return y;
}

}  // namespace momenta
