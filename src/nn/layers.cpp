#include "momenta/nn/layers.h"

#include <cmath>

#include "momenta/autograd.h"
#include "momenta/nn/init.h"
#include "momenta/ops.h"

namespace momenta::nn {

Linear::Linear(int64_t in, int64_t out, bool has_bias, Generator& gen) : in_features(in), out_features(out) {
  check<ValueError>(in > 0 && out > 0, "Linear: features must be positive, got in=", in, " out=", out);
  weight = register_parameter("weight", Tensor::empty({out, in}));
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  uniform_(weight, -bound, bound, gen);
  if (has_bias) {
    bias = register_parameter("bias", Tensor::empty({out}));
    uniform_(bias, -bound, bound, gen);
  }
}

Tensor Linear::forward(const Tensor& x) { return linear(x, weight, bias); }

std::string Linear::describe() const {
  return str_cat("Linear(", in_features, " -> ", out_features, bias.defined() ? "" : ", no bias", ")");
}

Activation parse_activation(const std::string& name) {
  if (name == "relu") return Activation::kReLU;
  if (name == "sigmoid") return Activation::kSigmoid;
  if (name == "tanh") return Activation::kTanh;
  if (name == "silu") return Activation::kSiLU;
  if (name == "gelu") return Activation::kGELU;
  if (name == "identity") return Activation::kIdentity;
  throw ValueError(str_cat("unknown activation '", excerpt(name), "': expected relu, sigmoid, tanh, silu, gelu or identity"));
}

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::kReLU: return "relu";
    case Activation::kSigmoid: return "sigmoid";
    case Activation::kTanh: return "tanh";
    case Activation::kSiLU: return "silu";
    case Activation::kGELU: return "gelu";
    case Activation::kIdentity: return "identity";
  }
  return "?";
}

Tensor apply_activation(Activation a, const Tensor& x) {
  switch (a) {
    case Activation::kReLU: return relu(x);
    case Activation::kSigmoid: return sigmoid(x);
    case Activation::kTanh: return tanh(x);
    case Activation::kSiLU: return silu(x);
    case Activation::kGELU: return gelu(x);
    case Activation::kIdentity: return x;
  }
  return x;
}

Dropout::Dropout(double prob, Generator& gen) : p(prob), gen_(&gen) {
  check<ValueError>(p >= 0.0 && p < 1.0, "Dropout: p must be in [0, 1), got ", p);
}
Tensor Dropout::forward(const Tensor& x) { return dropout(x, p, is_training(), *gen_); }
std::string Dropout::describe() const { return str_cat("Dropout(", p, ")"); }

Tensor Sequential::forward(const Tensor& x) {
  Tensor h = x;
  for (auto& layer : layers_) h = layer->forward(h);
  return h;
}

std::string Sequential::describe() const {
  std::string s = "Sequential(";
  for (size_t i = 0; i < layers_.size(); ++i) s += (i ? ", " : "") + layers_[i]->describe();
  return s + ")";
}

}  // namespace momenta::nn
