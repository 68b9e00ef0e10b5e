// Tensor creation, geometry, host access and the non-differentiable in-place operations.
// Views and other differentiable methods live in src/ops/.
#include "momenta/tensor.h"

#include <cstring>
#include <iomanip>
#include <ostream>

#include "backend/backend.h"
#include "momenta/allocator.h"
#include "momenta/autograd.h"

namespace momenta {

Storage::~Storage() {
  if (allocator != nullptr && data != nullptr) allocator->deallocate(data, nbytes);
}

std::shared_ptr<Storage> allocate_storage(size_t nbytes, Device device) {
  auto s = std::make_shared<Storage>();
  Allocator& a = allocator_for(device);
  s->data = a.allocate(nbytes);
  s->nbytes = nbytes;
  s->device = device;
  s->allocator = &a;
  return s;
}

Tensor Tensor::from_storage(std::shared_ptr<Storage> storage, const Shape& shape, const Strides& strides,
                            int64_t offset, DType dtype) {
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->shape = shape;
  impl->strides = strides;
  impl->offset = offset;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t d : shape) check<ShapeError>(d >= 0, "empty: negative dimension in shape ", fmt(shape));
  const size_t nbytes = static_cast<size_t>(shape_numel(shape)) * dtype_size(dtype);
  return from_storage(allocate_storage(nbytes, device), shape, contiguous_strides(shape), 0, dtype);
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(value);
  return t;
}
Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) { return full(shape, 0.0, dtype, device); }
Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) { return full(shape, 1.0, dtype, device); }
Tensor Tensor::scalar(double value, DType dtype, Device device) { return full(Shape{}, value, dtype, device); }

namespace {
const TensorImpl& impl_of(const std::shared_ptr<TensorImpl>& p) {
  check<ValueError>(p != nullptr, "operation on an undefined tensor");
  return *p;
}
}  // namespace

const Shape& Tensor::shape() const { return impl_of(impl_).shape; }
const Strides& Tensor::strides() const { return impl_of(impl_).strides; }
int64_t Tensor::offset() const { return impl_of(impl_).offset; }
int64_t Tensor::numel() const { return shape_numel(shape()); }
DType Tensor::dtype() const { return impl_of(impl_).dtype; }
Device Tensor::device() const { return impl_of(impl_).storage->device; }
const std::shared_ptr<Storage>& Tensor::storage() const { return impl_of(impl_).storage; }
int64_t Tensor::size(int64_t axis) const { return shape()[normalize_axis(axis, dim(), "size")]; }

bool Tensor::is_contiguous() const {
  const auto& sh = shape();
  const auto& st = strides();
  int64_t expected = 1;
  for (size_t i = sh.size(); i-- > 0;) {
    if (sh[i] == 1) continue;
    if (st[i] != expected) return false;
    expected *= sh[i];
  }
  return true;
}

void* Tensor::raw_data() const {
  const TensorImpl& i = impl_of(impl_);
  return static_cast<char*>(i.storage->data) + i.offset * static_cast<int64_t>(dtype_size(i.dtype));
}

double Tensor::item() const {
  check<ShapeError>(numel() == 1, "item(): tensor of shape ", fmt(shape()), " has ", numel(),
                    " elements, expected 1");
  Tensor t = to(kCPU).contiguous().to(kFloat64);
  return *t.data<double>();
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor t = to(kCPU).contiguous();
  if (t.dtype() != DTypeOf<T>::value) t = t.to(DTypeOf<T>::value);
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.numel());
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;

bool Tensor::requires_grad() const { return impl_ && impl_->requires_grad; }

Tensor& Tensor::set_requires_grad(bool on) {
  TensorImpl& i = const_cast<TensorImpl&>(impl_of(impl_));
  check<ValueError>(!on || is_floating(i.dtype), "requires_grad needs a floating tensor, got ", dtype_name(i.dtype));
  check<ValueError>(i.grad_fn == nullptr, "set_requires_grad: only leaf tensors can be marked (use detach())");
  i.requires_grad = on;
  return *this;
}

Tensor Tensor::grad() const { return impl_of(impl_).grad; }
void Tensor::set_grad(const Tensor& g) const { const_cast<TensorImpl&>(impl_of(impl_)).grad = g; }
const std::shared_ptr<Node>& Tensor::grad_fn() const { return impl_of(impl_).grad_fn; }

void Tensor::backward(const Tensor& grad, bool retain_graph) const { run_backward(*this, grad, retain_graph); }

Tensor Tensor::detach() const {
  const TensorImpl& i = impl_of(impl_);
  return from_storage(i.storage, i.shape, i.strides, i.offset, i.dtype);
}

const Tensor& Tensor::copy_(const Tensor& src) const {
  Tensor s = src.shape() == shape() ? src : src.detach().expand(shape());
  backend::copy(s, *this);
  return *this;
}

const Tensor& Tensor::fill_(double value) const {
  backend::fill(*this, value);
  return *this;
}

const Tensor& Tensor::add_(const Tensor& other, double alpha) const {
  check<ShapeError>(other.dtype() == dtype(), "add_: dtype ", dtype_name(other.dtype()), " does not match ",
                    dtype_name(dtype()));
  Tensor o = other.shape() == shape() ? other : other.detach().expand(shape());
  backend::add_scaled(*this, o, alpha);
  return *this;
}

const Tensor& Tensor::mul_(double value) const {
  backend::binary_scalar(backend::BinaryOp::kMul, *this, value, false, *this);
  return *this;
}

void Tensor::copy_from_host(const void* src, size_t nbytes) const {
  check<ShapeError>(nbytes == static_cast<size_t>(numel()) * dtype_size(dtype()), "copy_from_host: ", nbytes,
                    " bytes do not match tensor of shape ", fmt(shape()), " (", dtype_name(dtype()), ")");
  if (device().is_cpu() && is_contiguous()) {
    if (nbytes) std::memcpy(raw_data(), src, nbytes);
    return;
  }
  auto borrowed = std::make_shared<Storage>();
  borrowed->data = const_cast<void*>(src);
  borrowed->nbytes = nbytes;
  Tensor host = from_storage(borrowed, shape(), contiguous_strides(shape()), 0, dtype());
  backend::copy(host, *this);
}

void Tensor::copy_to_host(void* dst, size_t nbytes) const {
  check<ShapeError>(nbytes == static_cast<size_t>(numel()) * dtype_size(dtype()), "copy_to_host: ", nbytes,
                    " bytes do not match tensor of shape ", fmt(shape()), " (", dtype_name(dtype()), ")");
  if (device().is_cpu() && is_contiguous()) {
    if (nbytes) std::memcpy(dst, raw_data(), nbytes);
    return;
  }
  auto borrowed = std::make_shared<Storage>();
  borrowed->data = dst;
  borrowed->nbytes = nbytes;
  Tensor host = from_storage(borrowed, shape(), contiguous_strides(shape()), 0, dtype());
  backend::copy(*this, host);
}

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
  if (!t.defined()) return os << "Tensor(undefined)";
  os << "Tensor(shape=" << fmt(t.shape()) << ", dtype=" << dtype_name(t.dtype())
     << ", device=" << t.device().str();
  if (t.numel() <= 16) {
    os << ", values=[";
    const auto v = t.to_vector<double>();
    for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << std::setprecision(6) << v[i];
    os << ']';
  }
  return os << ')';
}

}  // namespace momenta
