// Pooling and upsampling of NCHW images.
//   max_pool2d: dx[argmax of each window] += dy     avg_pool2d: dx[window] += dy / count
//   global_avg_pool2d and upsample2x are composites (mean; views, slices and weighted sums),
//   so their gradients are the chain of their parts.
#include "backend/backend.h"
#include "momenta/autograd.h"
#include "momenta/ops.h"

namespace momenta {
namespace {

Tensor pool_impl(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding, backend::PoolKind kind,
                 bool count_include_pad, const char* name) {
  check<ShapeError>(x.dim() == 4, name, ": input must be [N, C, H, W], got ", fmt(x.shape()));
  check<ShapeError>(is_floating(x.dtype()), name, ": expected a floating tensor, got ", dtype_name(x.dtype()));
  if (stride == 0) stride = kernel;
  check<ValueError>(kernel > 0 && stride > 0 && padding >= 0 && 2 * padding <= kernel, name, ": kernel ", kernel,
                    ", stride ", stride, ", padding ", padding,
                    ": expected a positive kernel and stride and padding at most kernel / 2");
  backend::Pool2dParams p;
  p.n = x.shape()[0], p.c = x.shape()[1], p.h = x.shape()[2], p.w = x.shape()[3];
  p.r = p.s = kernel, p.stride_h = p.stride_w = stride, p.pad_h = p.pad_w = padding;
  p.kind = kind, p.count_include_pad = count_include_pad;
  const int64_t span_h = p.h + 2 * padding - kernel, span_w = p.w + 2 * padding - kernel;
  check<ShapeError>(span_h >= 0 && span_w >= 0, name, ": window ", kernel, " is larger than the padded input ",
                    fmt(x.shape()));
  p.p = span_h / stride + 1, p.q = span_w / stride + 1;
  const Tensor xc = x.detach().contiguous();
  Tensor y = Tensor::empty({p.n, p.c, p.p, p.q}, x.dtype(), x.device());
  Tensor idx = kind == backend::PoolKind::kMax ? Tensor::empty(y.shape(), kInt64, x.device()) : Tensor();
  backend::pool2d(p, xc, y, idx);
  if (any_requires_grad({&x})) {
    const Shape in_shape = x.shape();
    attach_grad_fn(y, name, {x}, [=](const Tensor& g) {
      Tensor gx = Tensor::empty(in_shape, g.dtype(), g.device());
      backend::pool2d_backward(p, g.contiguous(), idx, gx);
      return std::vector<Tensor>{gx};
    });
  }
  return y;
}

// Interleaves a and b (same shape) along `axis`: out[.., 2i, ..] = a[i], out[.., 2i+1, ..] = b[i].
Tensor interleave(const Tensor& a, const Tensor& b, int64_t axis) {
  Shape s = a.shape();
  s[axis] *= 2;
  return cat({a.unsqueeze(axis + 1), b.unsqueeze(axis + 1)}, axis + 1).reshape(s);
}

// Bilinear 2x along one axis with align_corners=False: output 2i samples input i - 1/4 and
// 2i+1 samples i + 1/4, so each is 3/4 of x[i] and 1/4 of a neighbour (clamped at the edges).
Tensor linear2x(const Tensor& x, int64_t axis) {
  const int64_t n = x.shape()[axis];
  const Tensor prev = cat({x.slice(axis, 0, 1), x.slice(axis, 0, n - 1)}, axis);
  const Tensor next = cat({x.slice(axis, 1, n), x.slice(axis, n - 1, n)}, axis);
  return interleave(x * 0.75 + prev * 0.25, x * 0.75 + next * 0.25, axis);
}

}  // namespace

Tensor max_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding) {
  return pool_impl(x, kernel, stride, padding, backend::PoolKind::kMax, true, "max_pool2d");
}

Tensor avg_pool2d(const Tensor& x, int64_t kernel, int64_t stride, int64_t padding, bool count_include_pad) {
  return pool_impl(x, kernel, stride, padding, backend::PoolKind::kAvg, count_include_pad, "avg_pool2d");
}

Tensor global_avg_pool2d(const Tensor& x, int64_t lanes) {
  if (lanes == 0) {
    check<ShapeError>(x.dim() == 4, "global_avg_pool2d: input must be [N, C, H, W], got ", fmt(x.shape()));
    return mean(x, {2, 3});
  }
  check<ShapeError>(lanes > 0 && x.dim() == 5 && x.shape()[4] == lanes, "global_avg_pool2d: a blocked input with ",
                    lanes, " lanes must be [N, C / ", lanes, ", H, W, ", lanes, "], got ", fmt(x.shape()));
  // [N, C / L, L] in channel order c = cb * L + l, which is NCHW's.
  return mean(x, {2, 3}).reshape({x.shape()[0], x.shape()[1] * lanes});
}

Tensor upsample2x(const Tensor& x, UpsampleMode mode, int64_t lanes) {
  if (lanes == 0) {
    check<ShapeError>(x.dim() == 4 && x.shape()[2] > 0 && x.shape()[3] > 0,
                      "upsample2x: input must be a non-empty [N, C, H, W], got ", fmt(x.shape()));
  } else {
    check<ShapeError>(lanes > 0 && x.dim() == 5 && x.shape()[4] == lanes && x.shape()[2] > 0 && x.shape()[3] > 0,
                      "upsample2x: a blocked input with ", lanes, " lanes must be a non-empty [N, C / ", lanes, ", H, W, ",
                      lanes, "], got ", fmt(x.shape()));
  }
  // H and W are axes 2 and 3 in both layouts; a blocked input carries its lanes behind them.
  const int64_t n = x.shape()[0], c = x.shape()[1], h = x.shape()[2], w = x.shape()[3];
  if (mode == UpsampleMode::kNearest) {
    if (lanes > 0)
      return x.reshape({n, c, h, 1, w, 1, lanes}).expand({n, c, h, 2, w, 2, lanes}).reshape({n, c, 2 * h, 2 * w, lanes});
    return x.reshape({n, c, h, 1, w, 1}).expand({n, c, h, 2, w, 2}).reshape({n, c, 2 * h, 2 * w});
  }
  return linear2x(linear2x(x, 2), 3);
}

}  // namespace momenta
