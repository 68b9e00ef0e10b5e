// Reductions. Every reduction is a sequence of single-axis reductions of a contiguous
// [outer, n, inner] view; the backward broadcasts the gradient back over the reduced axes.
#include <algorithm>

#include "backend/backend.h"
#include "momenta/autograd.h"
#include "momenta/ops.h"

namespace momenta {
namespace {

using backend::ReduceOp;

// Reduces one axis of a contiguous tensor; the axis is kept with size 1.
Tensor reduce_axis(ReduceOp op, const Tensor& x, int64_t axis) {
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.shape()[d];
  for (int64_t d = axis + 1; d < x.dim(); ++d) inner *= x.shape()[d];
  Shape s = x.shape();
  s[axis] = 1;
  Tensor out = Tensor::empty(s, op == ReduceOp::kArgmax ? kInt64 : x.dtype(), x.device());
  backend::reduce(op, x, outer, x.shape()[axis], inner, out);
  return out;
}

std::vector<int64_t> normalize_axes(const std::vector<int64_t>& axes, int64_t ndim, const char* what) {
  std::vector<int64_t> out;
  if (axes.empty()) {
    for (int64_t i = 0; i < ndim; ++i) out.push_back(i);
  } else {
    for (int64_t a : axes) out.push_back(normalize_axis(a, ndim, what));
  }
  std::sort(out.begin(), out.end());
  check<ShapeError>(std::adjacent_find(out.begin(), out.end()) == out.end(), what, ": an axis is repeated");
  return out;
}

Shape reduced_shape(const Shape& s, const std::vector<int64_t>& axes, bool keepdim) {
  Shape out;
  for (int64_t d = 0; d < static_cast<int64_t>(s.size()); ++d) {
    const bool reduced = std::binary_search(axes.begin(), axes.end(), d);
    if (!reduced) out.push_back(s[d]);
    else if (keepdim) out.push_back(1);
  }
  return out;
}

// Broadcasts a reduced gradient back to `in_shape`.
Tensor expand_back(const Tensor& g, const Shape& in_shape, const std::vector<int64_t>& axes) {
  const Shape keep = reduced_shape(in_shape, axes, true);
  return g.reshape(keep).expand(in_shape).contiguous();
}

Tensor sum_forward(const Tensor& x, const std::vector<int64_t>& axes) {
  Tensor cur = x.contiguous();
  if (static_cast<int64_t>(axes.size()) == x.dim() && x.dim() > 0) {  // all: one flat pass
    Tensor flat = cur.reshape({1, x.numel(), 1});
    return reduce_axis(ReduceOp::kSum, flat, 1).reshape(Shape(x.dim(), 1));
  }
  for (auto it = axes.rbegin(); it != axes.rend(); ++it) cur = reduce_axis(ReduceOp::kSum, cur, *it);
  return cur;
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& axes_in, bool keepdim) {
  check<ShapeError>(is_floating(x.dtype()), "sum: expected a floating tensor, got ", dtype_name(x.dtype()));
  const auto axes = normalize_axes(axes_in, x.dim(), "sum");
  Tensor out;
  {
    NoGradGuard ng;
    out = sum_forward(x.detach(), axes).reshape(reduced_shape(x.shape(), axes, keepdim));
  }
  if (any_requires_grad({&x})) {
    const Shape in_shape = x.shape();
    attach_grad_fn(out, "sum", {x}, [in_shape, axes](const Tensor& g) {
      return std::vector<Tensor>{expand_back(g, in_shape, axes)};
    });
  }
  return out;
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& axes_in, bool keepdim) {
  const auto axes = normalize_axes(axes_in, x.dim(), "mean");
  int64_t count = 1;
  for (int64_t a : axes) count *= x.shape()[a];
  check<ShapeError>(count > 0, "mean: reducing over an empty axis of shape ", fmt(x.shape()));
  return mul(sum(x, axes, keepdim), 1.0 / static_cast<double>(count));
}

Tensor max(const Tensor& x, int64_t axis, bool keepdim) {
  check<ShapeError>(is_floating(x.dtype()), "max: expected a floating tensor, got ", dtype_name(x.dtype()));
  const int64_t ax = normalize_axis(axis, x.dim(), "max");
  check<ShapeError>(x.shape()[ax] > 0, "max: axis ", ax, " is empty");
  Tensor xc = x.detach().contiguous();
  Tensor out = reduce_axis(ReduceOp::kMax, xc, ax);
  const Shape keep = out.shape();
  if (!keepdim) out = out.squeeze(ax);
  if (any_requires_grad({&x})) {
    Tensor idx = reduce_axis(ReduceOp::kArgmax, xc, ax);  // [.., 1, ..] int64
    const Shape in_shape = x.shape();
    const DType dt = x.dtype();
    attach_grad_fn(out, "max", {x}, [=](const Tensor& g) {
      // Scatter g to the argmax position of each reduced line (on the host side of the device).
      Tensor gx = Tensor::zeros(in_shape, dt, g.device());
      Tensor gk = g.reshape(keep).contiguous().to(kCPU).to(kFloat64);
      Tensor gxh = Tensor::zeros(in_shape, kFloat64);
      int64_t outer = 1, inner = 1;
      for (int64_t d = 0; d < ax; ++d) outer *= in_shape[d];
      for (int64_t d = ax + 1; d < static_cast<int64_t>(in_shape.size()); ++d) inner *= in_shape[d];
      const int64_t n = in_shape[ax];
      const auto ids = idx.to_vector<int64_t>();
      const double* gp = gk.data<double>();
      double* out_p = gxh.data<double>();
      for (int64_t o = 0; o < outer; ++o)
        for (int64_t i = 0; i < inner; ++i) out_p[(o * n + ids[o * inner + i]) * inner + i] = gp[o * inner + i];
      gx.copy_(gxh.to(dt).to(g.device()));
      return std::vector<Tensor>{gx};
    });
  }
  return out;
}

Tensor max(const Tensor& x) {
  check<ShapeError>(x.numel() > 0, "max: tensor is empty");
  return max(x.reshape({x.numel()}), 0, false);
}

Tensor argmax(const Tensor& x, int64_t axis, bool keepdim) {
  const int64_t ax = normalize_axis(axis, x.dim(), "argmax");
  check<ShapeError>(x.shape()[ax] > 0, "argmax: axis ", ax, " is empty");
  Tensor out = reduce_axis(ReduceOp::kArgmax, x.detach().contiguous(), ax);
  return keepdim ? out : out.squeeze(ax);
}

}  // namespace momenta
