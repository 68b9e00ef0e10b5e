// Module: owns named sub-modules and parameters. `finalize()` moves every parameter into the
// model's arena (nn/arena.h); build the model, initialise it, then finalize once.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "momenta/nn/arena.h"
#include "momenta/tensor.h"

namespace momenta::nn {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

class Module {
 public:
  virtual ~Module() = default;
  Module() = default;
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;

  virtual Tensor forward(const Tensor& x);
  Tensor operator()(const Tensor& x) { return forward(x); }
  // A short description for logs, e.g. "Linear(784 -> 256)".
  virtual std::string describe() const { return "Module"; }

  // Parameters and buffers in registration order, with dotted hierarchical names.
  NamedTensors named_parameters() const;
  std::vector<Tensor> parameters() const;
  NamedTensors named_buffers() const;
  // Parameters then buffers: what a checkpoint of the model holds.
  NamedTensors state_dict() const;
  // Copies values by name. With `strict`, missing or unexpected names and shape mismatches are
  // errors naming the parameter.
  void load_state_dict(const NamedTensors& state, bool strict = true);

  // Calls fn on this module, then on every descendant, depth first in registration order.
  void apply(const std::function<void(Module&)>& fn);

  void train(bool on = true);
  void eval() { train(false); }
  bool is_training() const { return training_; }

  // Moves all parameters into one arena of `dtype` on `device`, and the buffers to `device`.
  void finalize(DType dtype = kFloat32, Device device = kCPU);
  bool finalized() const { return arena_.built(); }
  // Moves the model to `device` in place: the parameter arena (finalize() first) and every
  // buffer (batch-norm statistics, ...). Handles to parameters and buffers stay valid. Throws
  // NotSupportedError ("no CUDA device ...") when `device` cannot be used here.
  void to(Device device);
  const ParamArena& arena() const;
  void zero_grad();
  int64_t num_parameters() const;

 protected:
  Tensor register_parameter(const std::string& name, Tensor t);
  Tensor register_buffer(const std::string& name, Tensor t);
  template <class M>
  std::shared_ptr<M> register_module(const std::string& name, std::shared_ptr<M> m) {
    children_.emplace_back(name, m);
    return m;
  }
  const std::vector<std::pair<std::string, std::shared_ptr<Module>>>& children() const { return children_; }

 private:
  void collect(const std::string& prefix, NamedTensors& out, bool buffers) const;
  void move_buffers(Device device);

  NamedTensors params_;
  NamedTensors buffers_;
  std::vector<std::pair<std::string, std::shared_ptr<Module>>> children_;
  bool training_ = true;
  ParamArena arena_;
};

}  // namespace momenta::nn
