#include "models/mlp.h"

#include <cstdlib>
#include <sstream>

namespace momenta::models {

std::shared_ptr<nn::Sequential> make_mlp(const MlpConfig& cfg, Generator& gen) {
  auto net = std::make_shared<nn::Sequential>();
  net->add(std::make_shared<nn::Flatten>());
  int64_t in = cfg.in_features;
  for (int64_t width : cfg.hidden) {
    net->add(std::make_shared<nn::Linear>(in, width, true, gen));
    net->add(std::make_shared<nn::ActivationLayer>(cfg.activation));
    if (cfg.dropout > 0.0) net->add(std::make_shared<nn::Dropout>(cfg.dropout, gen));
    in = width;
  }
  net->add(std::make_shared<nn::Linear>(in, cfg.out_features, true, gen));
  return net;
}

std::vector<int64_t> parse_hidden(const std::string& text) {
  std::vector<int64_t> out;
  if (text.empty()) return out;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) {
    char* end = nullptr;
    const long long v = std::strtoll(part.c_str(), &end, 10);
    check<ValueError>(!part.empty() && end && *end == '\0' && v > 0 && v <= kMaxHiddenWidth, "--hidden: '",
                      text.size() <= 80 ? text : text.substr(0, 80) + "...",
                      "' is not a comma-separated list of layer widths in [1, ", kMaxHiddenWidth, "] (e.g. 256,256)");
    out.push_back(v);
  }
  return out;
}

std::string hidden_str(const std::vector<int64_t>& hidden) {
  std::string s;
  for (size_t i = 0; i < hidden.size(); ++i) s += (i ? "," : "") + std::to_string(hidden[i]);
  return s;
}

}  // namespace momenta::models
