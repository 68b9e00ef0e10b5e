// NOTE [parameter arena] (DESIGN principle 1): all trainable parameters of a model live in one
// contiguous buffer per device, and their gradients in a second buffer of the same layout.
// Each parameter tensor is a view into the arena (its implementation is rebound in place, so
// every handle to it sees the arena). Tensors are packed back to back with no padding, so a
// reduction over the arena (Adai's mean of v_hat, ECDSep's |Pi|^2) sees exactly the parameters.
// Optimizer state (moments, momenta, averages) lives in flat tensors of the arena's size.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "momenta/tensor.h"

namespace momenta::nn {

class ParamArena {
 public:
  struct Entry {
    std::string name;
    int64_t offset = 0;  // in elements, from the start of the arena
    int64_t numel = 0;
    Shape shape;
  };

  ParamArena() = default;
  // Moves `params` (leaf tensors) into one arena of `dtype` on `device`, keeping their values
  // and order, and gives each a gradient view into the gradient arena (zeroed).
  ParamArena(const std::vector<std::pair<std::string, Tensor>>& params, DType dtype, Device device);

  bool built() const { return params_.defined(); }
  const Tensor& params() const { return params_; }  // flat [size()]
  const Tensor& grads() const { return grads_; }    // flat [size()]
  int64_t size() const { return size_; }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  const std::vector<Entry>& entries() const { return entries_; }
  // The entry for a parameter name; throws ValueError naming the known parameters when absent.
  const Entry& entry(const std::string& name) const;
  void zero_grad() const { grads_.zero_(); }
  // Moves the arena to `device` in place: the parameters and gradients are copied there, and
  // every handle that viewed the old arena (the arena tensors, `params` as given to the
  // constructor, their gradients) now views the new one. Optimizer state is not moved: make
  // optimizers and averagers after the move.
  void to(Device device, const std::vector<std::pair<std::string, Tensor>>& params);

 private:
  Tensor params_, grads_;
  int64_t size_ = 0;
  DType dtype_ = kFloat32;
  Device device_ = kCPU;
  std::vector<Entry> entries_;
};

}  // namespace momenta::nn
