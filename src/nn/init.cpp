#include "momenta/nn/init.h"

#include <cmath>

#include "momenta/autograd.h"

namespace momenta::nn::init {
namespace {
int64_t receptive(const Tensor& w) {
  int64_t r = 1;
  for (int64_t d = 2; d < w.dim(); ++d) r *= w.shape()[d];
  return r;
}
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
template <class WeightFn>
void init_module(Module& m, WeightFn weight_fn, Generator& gen, bool biases_normal) {
  NoGradGuard ng;
  for (auto& [name, t] : m.named_parameters()) {
    Tensor p = t;
    if (ends_with(name, "weight") && p.dim() >= 2) {
      weight_fn(p);
    } else if (ends_with(name, "bias")) {
      if (biases_normal) normal_(p, 0.0, 1.0, gen);
      else p.zero_();
    }
  }
}
}  // namespace

int64_t fan_in(const Tensor& w) {
  check<ShapeError>(w.dim() >= 2, "fan_in: expected a weight with at least 2 dimensions, got ", fmt(w.shape()));
  return w.shape()[1] * receptive(w);
}
int64_t fan_out(const Tensor& w) {
  check<ShapeError>(w.dim() >= 2, "fan_out: expected a weight with at least 2 dimensions, got ", fmt(w.shape()));
  return w.shape()[0] * receptive(w);
}

void kaiming_normal_(const Tensor& w, Generator& gen, double gain) {
  normal_(w, 0.0, gain / std::sqrt(static_cast<double>(fan_in(w))), gen);
}
void kaiming_uniform_(const Tensor& w, Generator& gen, double gain) {
  const double bound = gain * std::sqrt(3.0 / static_cast<double>(fan_in(w)));
  uniform_(w, -bound, bound, gen);
}
void xavier_normal_(const Tensor& w, Generator& gen, double gain) {
  normal_(w, 0.0, gain * std::sqrt(2.0 / static_cast<double>(fan_in(w) + fan_out(w))), gen);
}
void xavier_uniform_(const Tensor& w, Generator& gen, double gain) {
  const double bound = gain * std::sqrt(6.0 / static_cast<double>(fan_in(w) + fan_out(w)));
  uniform_(w, -bound, bound, gen);
}

void superacc_init(Module& m, Generator& gen) {
  init_module(m, [&](Tensor& w) { normal_(w, 0.0, 1.0 / std::sqrt(static_cast<double>(fan_in(w))), gen); }, gen, true);
}
void kaiming_init(Module& m, Generator& gen) {
  init_module(m, [&](Tensor& w) { kaiming_normal_(w, gen); }, gen, false);
}
void xavier_init(Module& m, Generator& gen) {
  init_module(m, [&](Tensor& w) { xavier_uniform_(w, gen); }, gen, false);
}

}  // namespace momenta::nn::init
