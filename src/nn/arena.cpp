#include "momenta/nn/arena.h"

#include "momenta/autograd.h"

namespace momenta::nn {

ParamArena::ParamArena(const std::vector<std::pair<std::string, Tensor>>& params, DType dtype, Device device)
    : dtype_(dtype), device_(device) {
  check<ValueError>(is_floating(dtype), "parameter arena: dtype must be floating, got ", dtype_name(dtype));
  for (const auto& [name, t] : params) {
    check<ValueError>(t.defined() && t.is_leaf(), "parameter arena: '", name, "' is not a leaf tensor");
    entries_.push_back(Entry{name, size_, t.numel(), t.shape()});
    size_ += t.numel();
  }
  params_ = Tensor::empty({size_}, dtype, device);
  grads_ = Tensor::zeros({size_}, dtype, device);
  for (size_t i = 0; i < params.size(); ++i) {
    const Entry& e = entries_[i];
    const Tensor& t = params[i].second;
    Tensor dst = params_.slice(0, e.offset, e.offset + e.numel).view(e.shape);
    dst.copy_(t.detach());
    // Rebind the parameter's implementation to the arena view.
    TensorImpl* impl = t.impl();
    impl->storage = params_.storage();
    impl->offset = e.offset;
    impl->strides = contiguous_strides(e.shape);
    impl->dtype = dtype;
    impl->requires_grad = true;
    impl->grad = Tensor::from_storage(grads_.storage(), e.shape, contiguous_strides(e.shape), e.offset, dtype);
  }
}

void ParamArena::to(Device device, const std::vector<std::pair<std::string, Tensor>>& params) {
  check<ValueError>(built(), "parameter arena: to(", device.str(), ") before the arena was built");
  if (device == device_) return;
  require_device(device);
  const std::shared_ptr<Storage> old_p = params_.storage(), old_g = grads_.storage();
  const Tensor moved_p = params_.to(device), moved_g = grads_.to(device);
  const auto rebind = [](const Tensor& t, const std::shared_ptr<Storage>& from, const std::shared_ptr<Storage>& to) {
    if (t.defined() && t.storage() == from) t.impl()->storage = to;
  };
  for (const auto& [name, t] : params) {
    rebind(t, old_p, moved_p.storage());
    rebind(t.impl()->grad, old_g, moved_g.storage());
  }
  rebind(params_, old_p, moved_p.storage());
  rebind(grads_, old_g, moved_g.storage());
  device_ = device;
}

const ParamArena::Entry& ParamArena::entry(const std::string& name) const {
  for (const Entry& e : entries_)
    if (e.name == name) return e;
  std::string known;
  for (const Entry& e : entries_) known += (known.empty() ? "" : ", ") + e.name;
  throw ValueError(str_cat("no parameter named '", name, "' (parameters: ", known, ")"));
}

}  // namespace momenta::nn
