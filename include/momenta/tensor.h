// Tensor: a cheap handle to a shared implementation holding storage, shape, strides, offset,
// dtype, device and autograd metadata. Copies of a Tensor share everything (like torch.Tensor).
#pragma once

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <vector>

#include "momenta/device.h"
#include "momenta/dtype.h"
#include "momenta/error.h"
#include "momenta/shape.h"

namespace momenta {

class Allocator;
struct Node;
class TensorImpl;

// A block of device memory. Returned to its allocator (which caches it) when the last view dies.
struct Storage {
  void* data = nullptr;
  size_t nbytes = 0;
  Device device = kCPU;
  Allocator* allocator = nullptr;  // null: memory not owned (borrowed from elsewhere)
  std::shared_ptr<void> keep_alive;  // optional owner of borrowed memory
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();
};

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- creation ----
  static Tensor empty(const Shape& shape, DType dtype = kFloat32, Device device = kCPU);
  static Tensor zeros(const Shape& shape, DType dtype = kFloat32, Device device = kCPU);
  static Tensor ones(const Shape& shape, DType dtype = kFloat32, Device device = kCPU);
  static Tensor full(const Shape& shape, double value, DType dtype = kFloat32, Device device = kCPU);
  static Tensor scalar(double value, DType dtype = kFloat32, Device device = kCPU);
  // Copies `shape_numel(shape)` elements of type T from `data` (host memory).
  template <class T>
  static Tensor from_data(const T* data, const Shape& shape, Device device = kCPU) {
    Tensor t = empty(shape, DTypeOf<T>::value, device);
    t.copy_from_host(data, shape_numel(shape) * sizeof(T));
    return t;
  }
  template <class T>
  static Tensor from_vector(const std::vector<T>& v, const Shape& shape, Device device = kCPU) {
    check<ShapeError>(static_cast<int64_t>(v.size()) == shape_numel(shape), "from_vector: ", v.size(),
                      " values do not fill shape ", fmt(shape));
    return from_data(v.data(), shape, device);
  }
  template <class T>
  static Tensor from_vector(const std::vector<T>& v) {
    return from_vector(v, Shape{static_cast<int64_t>(v.size())});
  }
  // A view of `storage` (shared) with the given geometry.
  static Tensor from_storage(std::shared_ptr<Storage> storage, const Shape& shape, const Strides& strides,
                             int64_t offset, DType dtype);

  // ---- geometry ----
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const;
  const Strides& strides() const;
  int64_t offset() const;  // in elements
  int64_t dim() const { return static_cast<int64_t>(shape().size()); }
  int64_t size(int64_t axis) const;
  int64_t numel() const;
  DType dtype() const;
  Device device() const;
  bool is_contiguous() const;
  const std::shared_ptr<Storage>& storage() const;

  // Pointer to the first element (offset applied). Host-side access requires a CPU tensor.
  void* raw_data() const;
  template <class T>
  T* data() const {
    check<ShapeError>(DTypeOf<T>::value == dtype(), "data<", dtype_name(DTypeOf<T>::value), ">(): tensor is ",
                      dtype_name(dtype()));
    return static_cast<T*>(raw_data());
  }
  // The single value of a one-element tensor, as double.
  double item() const;
  // All elements in logical (row-major) order, converted to T.
  template <class T>
  std::vector<T> to_vector() const;

  // ---- autograd ----
  bool requires_grad() const;
  // Marks a leaf as needing a gradient. Returns *this.
  Tensor& set_requires_grad(bool on = true);
  Tensor grad() const;
  void set_grad(const Tensor& g) const;
  const std::shared_ptr<Node>& grad_fn() const;
  bool is_leaf() const { return grad_fn() == nullptr; }
  // Reverse-mode pass from this tensor. Without `grad` the tensor must hold one element.
  void backward(const Tensor& grad = Tensor(), bool retain_graph = false) const;
  // The same data, cut from the graph.
  Tensor detach() const;

  // ---- views (share storage; differentiable) ----
  Tensor reshape(const Shape& shape) const;  // view when possible, else a copy
  Tensor view(const Shape& shape) const;     // must be a view; throws otherwise
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor transpose(int64_t a, int64_t b) const;
  Tensor t() const { return transpose(0, 1); }
  Tensor slice(int64_t axis, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t axis, int64_t index) const;  // removes `axis`
  Tensor expand(const Shape& shape) const;           // broadcast view (stride 0)
  Tensor unsqueeze(int64_t axis) const;
  Tensor squeeze(int64_t axis) const;
  Tensor flatten(int64_t start = 0, int64_t end = -1) const;
  Tensor contiguous() const;  // itself when already contiguous

  // ---- copies and conversions ----
  Tensor clone() const;  // differentiable copy
  Tensor to(DType dtype) const;
  Tensor to(Device device) const;

  // ---- in-place, outside autograd (for optimizers, initialisers, loaders) ----
  // A Tensor is a handle, so these are const: they change the data, not the handle.
  const Tensor& copy_(const Tensor& src) const;  // broadcasts src to this tensor's shape; converts dtype
  const Tensor& fill_(double value) const;
  const Tensor& zero_() const { return fill_(0.0); }
  const Tensor& add_(const Tensor& other, double alpha = 1.0) const;  // this += alpha * other (broadcast)
  const Tensor& mul_(double value) const;
  void copy_from_host(const void* src, size_t nbytes) const;
  void copy_to_host(void* dst, size_t nbytes) const;

  // ---- arithmetic sugar; see ops.h ----
  Tensor sum() const;
  Tensor mean() const;

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& o) const { return impl_ == o.impl_; }

 private:
  std::shared_ptr<TensorImpl> impl_;
};

class TensorImpl {
 public:
  std::shared_ptr<Storage> storage;
  Shape shape;
  Strides strides;
  int64_t offset = 0;
  DType dtype = kFloat32;
  // autograd
  bool requires_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

// Allocates uninitialised, 64-byte aligned memory for `nbytes` on `device`.
std::shared_ptr<Storage> allocate_storage(size_t nbytes, Device device);

}  // namespace momenta
