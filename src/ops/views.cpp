// View operations: they share storage with their input and only change the geometry. Each
// records a node whose backward maps the gradient back to the input's geometry.
#include <algorithm>
#include <numeric>

#include "backend/backend.h"
#include "momenta/autograd.h"
#include "momenta/ops.h"

namespace momenta {
namespace {

Tensor make_view(const Tensor& x, const Shape& shape, const Strides& strides, int64_t offset) {
  return Tensor::from_storage(x.storage(), shape, strides, offset, x.dtype());
}

Shape infer_shape(const Shape& requested, int64_t numel, const char* what, const Shape& from) {
  Shape s = requested;
  int64_t known = 1, infer_at = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == -1) {
      check<ShapeError>(infer_at < 0, what, ": only one dimension can be -1 in ", fmt(requested));
      infer_at = static_cast<int64_t>(i);
    } else {
      check<ShapeError>(s[i] >= 0, what, ": invalid dimension ", s[i], " in ", fmt(requested));
      known *= s[i];
    }
  }
  if (infer_at >= 0) {
    check<ShapeError>(known != 0 && numel % known == 0, what, ": cannot reshape ", fmt(from), " into ",
                      fmt(requested));
    s[infer_at] = numel / known;
  }
  check<ShapeError>(shape_numel(s) == numel, what, ": cannot reshape ", fmt(from), " (", numel, " elements) into ",
                    fmt(requested));
  return s;
}

}  // namespace

Tensor Tensor::view(const Shape& shape_req) const {
  const Shape s = infer_shape(shape_req, numel(), "view", shape());
  check<ShapeError>(is_contiguous(), "view: tensor of shape ", fmt(shape()),
                    " is not contiguous; use reshape() (which copies) or contiguous() first");
  Tensor out = make_view(*this, s, contiguous_strides(s), offset());
  if (any_requires_grad({this})) {
    const Shape in_shape = shape();
    attach_grad_fn(out, "view", {*this}, [in_shape](const Tensor& g) { return std::vector<Tensor>{g.reshape(in_shape)}; });
  }
  return out;
}

Tensor Tensor::reshape(const Shape& shape_req) const {
  if (is_contiguous()) return view(shape_req);
  return contiguous().view(shape_req);
}

Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  const int64_t n = dim();
  check<ShapeError>(static_cast<int64_t>(dims.size()) == n, "permute: got ", dims.size(), " axes for a tensor with ", n,
                    " dimensions");
  Shape s(n);
  Strides st(n);
  std::vector<int64_t> inverse(n, -1);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t d = normalize_axis(dims[i], n, "permute");
    check<ShapeError>(inverse[d] < 0, "permute: axis ", d, " repeated");
    inverse[d] = i;
    s[i] = shape()[d];
    st[i] = strides()[d];
  }
  Tensor out = make_view(*this, s, st, offset());
  if (any_requires_grad({this})) {
    attach_grad_fn(out, "permute", {*this}, [inverse](const Tensor& g) { return std::vector<Tensor>{g.permute(inverse)}; });
  }
  return out;
}

Tensor Tensor::transpose(int64_t a, int64_t b) const {
  std::vector<int64_t> dims(static_cast<size_t>(dim()));
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[normalize_axis(a, dim(), "transpose")], dims[normalize_axis(b, dim(), "transpose")]);
  return permute(dims);
}

Tensor Tensor::slice(int64_t axis, int64_t start, int64_t end, int64_t step) const {
  const int64_t ax = normalize_axis(axis, dim(), "slice");
  const int64_t len = shape()[ax];
  check<ShapeError>(step > 0, "slice: step must be positive, got ", step);
  if (start < 0) start += len;
  if (end < 0) end += len;
  start = std::clamp<int64_t>(start, 0, len);
  end = std::clamp<int64_t>(end, start, len);
  Shape s = shape();
  Strides st = strides();
  s[ax] = (end - start + step - 1) / step;
  st[ax] = strides()[ax] * step;
  Tensor out = make_view(*this, s, st, offset() + start * strides()[ax]);
  if (any_requires_grad({this})) {
    const Shape in_shape = shape();
    const DType dt = dtype();
    attach_grad_fn(out, "slice", {*this}, [=](const Tensor& g) {
      Tensor gx = Tensor::zeros(in_shape, dt, g.device());
      gx.slice(ax, start, end, step).copy_(g);
      return std::vector<Tensor>{gx};
    });
  }
  return out;
}

Tensor Tensor::select(int64_t axis, int64_t index) const {
  const int64_t ax = normalize_axis(axis, dim(), "select");
  const int64_t len = shape()[ax];
  const int64_t i = index < 0 ? index + len : index;
  check<ShapeError>(i >= 0 && i < len, "select: index ", index, " out of range for axis ", ax, " of size ", len);
  return slice(ax, i, i + 1).squeeze(ax);
}

Tensor Tensor::expand(const Shape& target) const {
  check<ShapeError>(target.size() >= shape().size(), "expand: cannot expand ", fmt(shape()), " to ",
                    fmt(target));
  const size_t lead = target.size() - shape().size();
  Strides st(target.size(), 0);
  for (size_t i = 0; i < shape().size(); ++i) {
    const int64_t have = shape()[i], want = target[lead + i];
    check<ShapeError>(have == want || have == 1, "expand: cannot expand ", fmt(shape()), " to ",
                      fmt(target));
    st[lead + i] = have == want ? strides()[i] : 0;
  }
  if (target == shape()) return *this;
  Tensor out = make_view(*this, target, st, offset());
  if (any_requires_grad({this})) {
    const Shape in_shape = shape();
    attach_grad_fn(out, "expand", {*this}, [in_shape](const Tensor& g) { return std::vector<Tensor>{sum_to(g, in_shape)}; });
  }
  return out;
}

Tensor Tensor::unsqueeze(int64_t axis) const {
  const int64_t ax = normalize_axis(axis, dim() + 1, "unsqueeze");
  Shape s = shape();
  s.insert(s.begin() + ax, 1);
  return reshape(s);
}

Tensor Tensor::squeeze(int64_t axis) const {
  const int64_t ax = normalize_axis(axis, dim(), "squeeze");
  check<ShapeError>(shape()[ax] == 1, "squeeze: axis ", ax, " has size ", shape()[ax], ", expected 1");
  Shape s = shape();
  Strides st = strides();
  s.erase(s.begin() + ax);
  st.erase(st.begin() + ax);
  Tensor out = make_view(*this, s, st, offset());
  if (any_requires_grad({this})) {
    const Shape in_shape = shape();
    attach_grad_fn(out, "squeeze", {*this}, [in_shape](const Tensor& g) { return std::vector<Tensor>{g.reshape(in_shape)}; });
  }
  return out;
}

Tensor Tensor::flatten(int64_t start, int64_t end) const {
  if (dim() == 0) return reshape({1});
  const int64_t a = normalize_axis(start, dim(), "flatten"), b = normalize_axis(end, dim(), "flatten");
  check<ShapeError>(a <= b, "flatten: start axis ", a, " is after end axis ", b);
  Shape s(shape().begin(), shape().begin() + a);
  int64_t merged = 1;
  for (int64_t i = a; i <= b; ++i) merged *= shape()[i];
  s.push_back(merged);
  s.insert(s.end(), shape().begin() + b + 1, shape().end());
  return reshape(s);
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  Tensor out = Tensor::empty(shape(), dtype(), device());
  backend::copy(*this, out);
  if (any_requires_grad({this})) {
    attach_grad_fn(out, "clone", {*this}, [](const Tensor& g) { return std::vector<Tensor>{g}; });
  }
  return out;
}

Tensor Tensor::to(DType dt) const {
  if (dt == dtype()) return *this;
  Tensor out = Tensor::empty(shape(), dt, device());
  backend::copy(*this, out);
  if (is_floating(dt) && any_requires_grad({this})) {
    const DType in_dt = dtype();
    attach_grad_fn(out, "to_dtype", {*this}, [in_dt](const Tensor& g) { return std::vector<Tensor>{g.to(in_dt)}; });
  }
  return out;
}

Tensor Tensor::to(Device dev) const {
  if (dev == device()) return *this;
  Tensor src = contiguous();
  Tensor out = Tensor::empty(shape(), dtype(), dev);
  backend::copy(src, out);
  if (any_requires_grad({this})) {
    const Device in_dev = device();
    attach_grad_fn(out, "to_device", {*this}, [in_dev](const Tensor& g) { return std::vector<Tensor>{g.to(in_dev)}; });
  }
  return out;
}

Tensor Tensor::sum() const { return momenta::sum(*this); }
Tensor Tensor::mean() const { return momenta::mean(*this); }

Tensor cat(const std::vector<Tensor>& xs, int64_t axis) {
  check<ShapeError>(!xs.empty(), "cat: no tensors given");
  const Tensor& first = xs[0];
  const int64_t ax = normalize_axis(axis, first.dim(), "cat");
  Shape out_shape = first.shape();
  out_shape[ax] = 0;
  for (const Tensor& x : xs) {
    check<ShapeError>(x.dim() == first.dim() && x.dtype() == first.dtype(), "cat: tensor of shape ",
                      fmt(x.shape()), " (", dtype_name(x.dtype()), ") does not match ", fmt(first.shape()),
                      " (", dtype_name(first.dtype()), ")");
    for (int64_t d = 0; d < first.dim(); ++d) {
      check<ShapeError>(d == ax || x.shape()[d] == first.shape()[d], "cat: shapes ", fmt(first.shape()), " and ",
                        fmt(x.shape()), " differ outside axis ", ax);
    }
    out_shape[ax] += x.shape()[ax];
  }
  Tensor out = Tensor::empty(out_shape, first.dtype(), first.device());
  std::vector<int64_t> starts;
  int64_t at = 0;
  for (const Tensor& x : xs) {
    starts.push_back(at);
    backend::copy(x, out.slice(ax, at, at + x.shape()[ax]));
    at += x.shape()[ax];
  }
  if (any_requires_grad(xs)) {
    std::vector<int64_t> sizes;
    for (const Tensor& x : xs) sizes.push_back(x.shape()[ax]);
    attach_grad_fn(out, "cat", xs, [=](const Tensor& g) {
      std::vector<Tensor> gs;
      for (size_t i = 0; i < sizes.size(); ++i) gs.push_back(g.slice(ax, starts[i], starts[i] + sizes[i]).contiguous());
      return gs;
    });
  }
  return out;
}

}  // namespace momenta
