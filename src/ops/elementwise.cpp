// Elementwise ops with broadcasting. Derivative table (g = upstream gradient):
//   add: g, g          sub: g, -g        mul: g*b, g*a       div: g/b, -g*a/b^2
//   max/min: g where the side was chosen (ties go to a)
//   pow(a, e): g*e*a^(e-1)    exp: g*y   log: g/x   sqrt: g/(2y)   abs: g*sign(x)
//   sin: g*cos(x)   cos: -g*sin(x)
//   relu/sigmoid/tanh/silu/gelu: the fused derivative kernels of kernels/elementwise.h
// Gradients of broadcast inputs are summed back to the input's shape (sum_to).
#include "backend/backend.h"
#include "momenta/autograd.h"
#include "momenta/ops.h"

namespace momenta {
namespace {

using backend::BinaryOp;
using backend::UnaryOp;

void check_same_kind(const Tensor& a, const Tensor& b, const char* what) {
  check<ShapeError>(a.dtype() == b.dtype(), what, ": dtype mismatch (", dtype_name(a.dtype()), " and ",
                    dtype_name(b.dtype()), ")");
  check<ValueError>(a.device() == b.device(), what, ": tensors on different devices (", a.device().str(), " and ",
                    b.device().str(), ")");
}

// Forward of a broadcasting binary op, no graph.
Tensor binary_forward(BinaryOp op, const Tensor& a, const Tensor& b, const char* what) {
  check_same_kind(a, b, what);
  const Shape s = a.shape() == b.shape() ? a.shape() : broadcast_shapes(a.shape(), b.shape(), what);
  Tensor out = Tensor::empty(s, a.dtype(), a.device());
  const Tensor ax = a.shape() == s ? a : a.detach().expand(s);
  const Tensor bx = b.shape() == s ? b : b.detach().expand(s);
  backend::binary(op, ax, bx, out);
  return out;
}

Tensor unary_forward(UnaryOp op, const Tensor& x) {
  Tensor out = Tensor::empty(x.shape(), x.dtype(), x.device());
  backend::unary(op, x, out);
  return out;
}

Tensor scalar_forward(BinaryOp op, const Tensor& a, double s, bool scalar_first) {
  Tensor out = Tensor::empty(a.shape(), a.dtype(), a.device());
  backend::binary_scalar(op, a, s, scalar_first, out);
  return out;
}

// Activation: forward kernel, then backward = derivative kernel on (g, saved), where saved is
// the input or the output as the derivative needs.
Tensor activation(UnaryOp fwd, BinaryOp bwd, bool save_output, const char* name, const Tensor& x) {
  Tensor out = unary_forward(fwd, x);
  if (any_requires_grad({&x})) {
    Tensor saved = save_output ? out.detach() : x.detach();
    attach_grad_fn(out, name, {x}, [bwd, saved](const Tensor& g) {
      Tensor gx = Tensor::empty(g.shape(), g.dtype(), g.device());
      backend::binary(bwd, g, saved, gx);
      return std::vector<Tensor>{gx};
    });
  }
  return out;
}

}  // namespace

Tensor sum_to(const Tensor& x, const Shape& shape) {
  if (x.shape() == shape) return x;
  const int64_t lead = x.dim() - static_cast<int64_t>(shape.size());
  check<ShapeError>(lead >= 0, "sum_to: cannot reduce ", fmt(x.shape()), " to ", fmt(shape));
  std::vector<int64_t> axes;
  for (int64_t i = 0; i < x.dim(); ++i) {
    if (i < lead || (shape[i - lead] == 1 && x.shape()[i] != 1)) axes.push_back(i);
  }
  Tensor r = sum(x, axes, true);
  return r.reshape(shape);
}

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::kAdd, a, b, "add");
  if (any_requires_grad({&a, &b})) {
    const Shape sa = a.shape(), sb = b.shape();
    attach_grad_fn(out, "add", {a, b}, [sa, sb](const Tensor& g) { return std::vector<Tensor>{sum_to(g, sa), sum_to(g, sb)}; });
  }
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::kSub, a, b, "sub");
  if (any_requires_grad({&a, &b})) {
    const Shape sa = a.shape(), sb = b.shape();
    const bool need_b = b.requires_grad();
    attach_grad_fn(out, "sub", {a, b}, [sa, sb, need_b](const Tensor& g) {
      return std::vector<Tensor>{sum_to(g, sa), need_b ? sum_to(neg(g), sb) : Tensor()};
    });
  }
  return out;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::kMul, a, b, "mul");
  if (any_requires_grad({&a, &b})) {
    const Tensor ad = a.detach(), bd = b.detach();
    const bool need_a = a.requires_grad(), need_b = b.requires_grad();
    attach_grad_fn(out, "mul", {a, b}, [=](const Tensor& g) {
      return std::vector<Tensor>{need_a ? sum_to(mul(g, bd), ad.shape()) : Tensor(),
                                 need_b ? sum_to(mul(g, ad), bd.shape()) : Tensor()};
    });
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor out = binary_forward(BinaryOp::kDiv, a, b, "div");
  if (any_requires_grad({&a, &b})) {
    const Tensor ad = a.detach(), bd = b.detach();
    const bool need_a = a.requires_grad(), need_b = b.requires_grad();
    attach_grad_fn(out, "div", {a, b}, [=](const Tensor& g) {
      Tensor ga = need_a ? sum_to(div(g, bd), ad.shape()) : Tensor();
      Tensor gb = need_b ? sum_to(neg(div(mul(g, ad), mul(bd, bd))), bd.shape()) : Tensor();
      return std::vector<Tensor>{ga, gb};
    });
  }
  return out;
}

namespace {
Tensor select_binary(BinaryOp op, BinaryOp pick_a, const Tensor& a, const Tensor& b, const char* name) {
  Tensor out = binary_forward(op, a, b, name);
  if (any_requires_grad({&a, &b})) {
    const Tensor ad = a.detach(), bd = b.detach();
    attach_grad_fn(out, name, {a, b}, [=](const Tensor& g) {
      Tensor mask_a = binary_forward(pick_a, ad, bd, "max/min");  // 1 where a was chosen
      Tensor ga = sum_to(mul(g, mask_a), ad.shape());
      Tensor gb = sum_to(mul(g, rsub(1.0, mask_a)), bd.shape());
      return std::vector<Tensor>{ga, gb};
    });
  }
  return out;
}
}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) { return select_binary(BinaryOp::kMax, BinaryOp::kGe, a, b, "maximum"); }
Tensor minimum(const Tensor& a, const Tensor& b) { return select_binary(BinaryOp::kMin, BinaryOp::kLe, a, b, "minimum"); }

Tensor add(const Tensor& a, double s) {
  Tensor out = scalar_forward(BinaryOp::kAdd, a, s, false);
  if (any_requires_grad({&a})) attach_grad_fn(out, "add_scalar", {a}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
  return out;
}

Tensor mul(const Tensor& a, double s) {
  Tensor out = scalar_forward(BinaryOp::kMul, a, s, false);
  if (any_requires_grad({&a})) attach_grad_fn(out, "mul_scalar", {a}, [s](const Tensor& g) { return std::vector<Tensor>{mul(g, s)}; });
  return out;
}

Tensor rsub(double s, const Tensor& a) {
  Tensor out = scalar_forward(BinaryOp::kSub, a, s, true);
  if (any_requires_grad({&a})) attach_grad_fn(out, "rsub", {a}, [](const Tensor& g) { return std::vector<Tensor>{neg(g)}; });
  return out;
}

Tensor rdiv(double s, const Tensor& a) {
  Tensor out = scalar_forward(BinaryOp::kDiv, a, s, true);
  if (any_requires_grad({&a})) {
    const Tensor y = out.detach(), ad = a.detach();
    // d(s/a)/da = -s/a^2 = -y/a
    attach_grad_fn(out, "rdiv", {a}, [y, ad](const Tensor& g) { return std::vector<Tensor>{neg(div(mul(g, y), ad))}; });
  }
  return out;
}

Tensor pow(const Tensor& a, double e) {
  Tensor out = scalar_forward(BinaryOp::kPow, a, e, false);
  if (any_requires_grad({&a})) {
    const Tensor ad = a.detach();
    attach_grad_fn(out, "pow", {a}, [ad, e](const Tensor& g) {
      return std::vector<Tensor>{mul(g, mul(scalar_forward(BinaryOp::kPow, ad, e - 1.0, false), e))};
    });
  }
  return out;
}

Tensor eq(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::kEq, a, b, "eq"); }
Tensor ne(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::kNe, a, b, "ne"); }
Tensor lt(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::kLt, a, b, "lt"); }
Tensor le(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::kLe, a, b, "le"); }
Tensor gt(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::kGt, a, b, "gt"); }
Tensor ge(const Tensor& a, const Tensor& b) { return binary_forward(BinaryOp::kGe, a, b, "ge"); }

Tensor neg(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::kNeg, x);
  if (any_requires_grad({&x})) attach_grad_fn(out, "neg", {x}, [](const Tensor& g) { return std::vector<Tensor>{neg(g)}; });
  return out;
}

Tensor exp(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::kExp, x);
  if (any_requires_grad({&x})) {
    const Tensor y = out.detach();
    attach_grad_fn(out, "exp", {x}, [y](const Tensor& g) { return std::vector<Tensor>{mul(g, y)}; });
  }
  return out;
}

Tensor log(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::kLog, x);
  if (any_requires_grad({&x})) {
    const Tensor xd = x.detach();
    attach_grad_fn(out, "log", {x}, [xd](const Tensor& g) { return std::vector<Tensor>{div(g, xd)}; });
  }
  return out;
}

Tensor sqrt(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::kSqrt, x);
  if (any_requires_grad({&x})) {
    const Tensor y = out.detach();
    attach_grad_fn(out, "sqrt", {x}, [y](const Tensor& g) { return std::vector<Tensor>{div(g, mul(y, 2.0))}; });
  }
  return out;
}

Tensor abs(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::kAbs, x);
  if (any_requires_grad({&x})) {
    const Tensor xd = x.detach();
    attach_grad_fn(out, "abs", {x}, [xd](const Tensor& g) { return std::vector<Tensor>{mul(g, unary_forward(UnaryOp::kSign, xd))}; });
  }
  return out;
}

Tensor square(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::kSquare, x);
  if (any_requires_grad({&x})) {
    const Tensor xd = x.detach();
    attach_grad_fn(out, "square", {x}, [xd](const Tensor& g) { return std::vector<Tensor>{mul(mul(g, xd), 2.0)}; });
  }
  return out;
}

Tensor sin(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::kSin, x);
  if (any_requires_grad({&x})) {
    const Tensor xd = x.detach();
    attach_grad_fn(out, "sin", {x}, [xd](const Tensor& g) { return std::vector<Tensor>{mul(g, cos(xd))}; });
  }
  return out;
}

Tensor cos(const Tensor& x) {
  Tensor out = unary_forward(UnaryOp::kCos, x);
  if (any_requires_grad({&x})) {
    const Tensor xd = x.detach();
    attach_grad_fn(out, "cos", {x}, [xd](const Tensor& g) { return std::vector<Tensor>{neg(mul(g, sin(xd)))}; });
  }
  return out;
}

Tensor relu(const Tensor& x) { return activation(UnaryOp::kRelu, BinaryOp::kReluBackward, false, "relu", x); }
Tensor sigmoid(const Tensor& x) { return activation(UnaryOp::kSigmoid, BinaryOp::kSigmoidBackward, true, "sigmoid", x); }
Tensor tanh(const Tensor& x) { return activation(UnaryOp::kTanh, BinaryOp::kTanhBackward, true, "tanh", x); }
Tensor silu(const Tensor& x) { return activation(UnaryOp::kSilu, BinaryOp::kSiluBackward, false, "silu", x); }
Tensor gelu(const Tensor& x) { return activation(UnaryOp::kGelu, BinaryOp::kGeluBackward, false, "gelu", x); }

}  // namespace momenta
