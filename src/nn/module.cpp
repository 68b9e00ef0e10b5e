#include "momenta/nn/module.h"

#include <map>

#include "momenta/autograd.h"

namespace momenta::nn {

Tensor Module::forward(const Tensor&) { throw NotSupportedError(describe() + " has no single-input forward()"); }

Tensor Module::register_parameter(const std::string& name, Tensor t) {
  check<ValueError>(!arena_.built(), "register_parameter('", name, "') after finalize()");
  t.set_requires_grad(true);
  params_.emplace_back(name, t);
  return t;
}

Tensor Module::register_buffer(const std::string& name, Tensor t) {
  buffers_.emplace_back(name, t);
  return t;
}

void Module::collect(const std::string& prefix, NamedTensors& out, bool buffers) const {
  for (const auto& [name, t] : buffers ? buffers_ : params_) out.emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", out, buffers);
}

NamedTensors Module::named_parameters() const {
  NamedTensors out;
  collect("", out, false);
  return out;
}

std::vector<Tensor> Module::parameters() const {
  std::vector<Tensor> out;
  for (auto& [n, t] : named_parameters()) out.push_back(t);
  return out;
}

NamedTensors Module::named_buffers() const {
  NamedTensors out;
  collect("", out, true);
  return out;
}

NamedTensors Module::state_dict() const {
  NamedTensors out = named_parameters();
  for (auto& b : named_buffers()) out.push_back(b);
  return out;
}

void Module::load_state_dict(const NamedTensors& state, bool strict) {
  std::map<std::string, const Tensor*> given;
  for (const auto& [name, t] : state) given[name] = &t;
  NoGradGuard ng;
  for (auto& [name, t] : state_dict()) {
    auto it = given.find(name);
    if (it == given.end()) {
      check<ValueError>(!strict, "load_state_dict: missing entry '", name, "'");
      continue;
    }
    check<ShapeError>(it->second->shape() == t.shape(), "load_state_dict: '", name, "' has shape ",
                      fmt(it->second->shape()), ", the model expects ", fmt(t.shape()));
    Tensor dst = t;
    dst.copy_(it->second->to(t.device()));
    given.erase(it);
  }
  if (strict && !given.empty()) throw ValueError(str_cat("load_state_dict: unexpected entry '", given.begin()->first, "'"));
}

void Module::apply(const std::function<void(Module&)>& fn) {
  fn(*this);
  for (auto& [n, c] : children_) c->apply(fn);
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [n, c] : children_) c->train(on);
}

void Module::finalize(DType dtype, Device device) {
  check<ValueError>(!arena_.built(), "finalize() called twice");
  require_device(device);
  arena_ = ParamArena(named_parameters(), dtype, device);
  move_buffers(device);
}

void Module::to(Device device) {
  check<ValueError>(arena_.built(), "Module::to(", device.str(), "): call finalize() first");
  require_device(device);
  arena_.to(device, named_parameters());
  move_buffers(device);
}

void Module::move_buffers(Device device) {
  for (const auto& [name, b] : named_buffers()) {
    if (!b.defined() || b.device() == device) continue;
    // In place, so that the module's own handle to the buffer sees the move.
    const Tensor moved = b.detach().contiguous().to(device);
    TensorImpl* impl = b.impl();
    impl->storage = moved.storage();
    impl->offset = moved.offset();
    impl->strides = moved.strides();
  }
}

const ParamArena& Module::arena() const {
  check<ValueError>(arena_.built(), "the model has no parameter arena yet: call finalize() after building it");
  return arena_;
}

void Module::zero_grad() {
  if (arena_.built()) {
    arena_.zero_grad();
    return;
  }
  for (auto& t : parameters()) t.set_grad(Tensor());
}

int64_t Module::num_parameters() const {
  int64_t n = 0;
  for (auto& [name, t] : named_parameters()) n += t.numel();
  return n;
}

}  // namespace momenta::nn
