// Basic layers: Linear, activations, Dropout, Flatten, Sequential.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "momenta/nn/module.h"
#include "momenta/random.h"

namespace momenta::nn {

// y = x W^T + b, W [out, in]. Initialised like PyTorch's default: W and b ~ U(-1/sqrt(in), 1/sqrt(in)).
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, bool bias = true, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;
  Tensor weight, bias;
  int64_t in_features, out_features;
};

enum class Activation { kReLU, kSigmoid, kTanh, kSiLU, kGELU, kIdentity };
// Parses "relu", "sigmoid", "tanh", "silu", "gelu", "identity"; ValueError lists the choices.
Activation parse_activation(const std::string& name);
const char* activation_name(Activation a);
Tensor apply_activation(Activation a, const Tensor& x);

class ActivationLayer : public Module {
 public:
  explicit ActivationLayer(Activation a) : kind(a) {}
  Tensor forward(const Tensor& x) override { return apply_activation(kind, x); }
  std::string describe() const override { return activation_name(kind); }
  Activation kind;
};

class Dropout : public Module {
 public:
  explicit Dropout(double p, Generator& gen = default_generator());
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;
  double p;

 private:
  Generator* gen_;
};

// Flattens every axis after the first: [N, ...] -> [N, prod(...)].
class Flatten : public Module {
 public:
  Tensor forward(const Tensor& x) override { return x.flatten(1); }
  std::string describe() const override { return "Flatten"; }
};

class Sequential : public Module {
 public:
  Sequential() = default;
  // Appends a layer named by its position ("0", "1", ...).
  template <class M>
  std::shared_ptr<M> add(std::shared_ptr<M> m) {
    layers_.push_back(m);
    return register_module(std::to_string(layers_.size() - 1), std::move(m));
  }
  Tensor forward(const Tensor& x) override;
  std::string describe() const override;
  size_t size() const { return layers_.size(); }
  Module& operator[](size_t i) { return *layers_.at(i); }

 private:
  std::vector<std::shared_ptr<Module>> layers_;
};

}  // namespace momenta::nn
