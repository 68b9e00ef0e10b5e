// Multi-layer perceptrons: Flatten, then Linear + activation per hidden layer, then Linear.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "momenta/nn/layers.h"

namespace momenta::models {

struct MlpConfig {
  int64_t in_features = 784;
  std::vector<int64_t> hidden = {256, 256};
  int64_t out_features = 10;
  nn::Activation activation = nn::Activation::kReLU;
  double dropout = 0.0;  // after each hidden activation when > 0
};

// An MLP whose parameters are named "<i>.weight" / "<i>.bias" by layer position, initialised
// with PyTorch's Linear default (see nn::Linear) from `gen`.
std::shared_ptr<nn::Sequential> make_mlp(const MlpConfig& cfg, Generator& gen = default_generator());
// The widest hidden layer accepted: a 65536 x 65536 float matrix is already 16 GB.
inline constexpr int64_t kMaxHiddenWidth = 65536;
// "256,256" -> {256, 256}; "" -> {} (a linear model). ValueError on anything else, and for a
// width outside [1, kMaxHiddenWidth].
std::vector<int64_t> parse_hidden(const std::string& text);
std::string hidden_str(const std::vector<int64_t>& hidden);

}  // namespace momenta::models
