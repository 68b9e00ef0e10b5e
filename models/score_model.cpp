#include "models/score_model.h"

#include <cmath>

#include "momenta/error.h"
#include "momenta/ops.h"

namespace momenta::models {

diffusion::ScoreFn unet_score(UNet& net, const diffusion::NoiseProcess& process) {
  UNet* n = &net;
  return diffusion::score_from_network([n](const Tensor& x, const Tensor& t) { return n->forward(x, t); }, process);
}

Tensor draw_samples(UNet& net, const diffusion::NoiseProcess& process, int64_t n, const Shape& sample_shape,
                    const diffusion::SamplerOptions& opts, const diffusion::SamplerCallbacks& callbacks) {
  const bool was_training = net.is_training();
  net.eval();
  Tensor samples;
  try {
    samples =
        diffusion::sample(unet_score(net, process), process, n, sample_shape, opts, callbacks).contiguous().to(kCPU);
  } catch (...) {
    net.train(was_training);
    throw;
  }
  net.train(was_training);
  return samples;
}

DsmObjective::DsmObjective(std::shared_ptr<const diffusion::NoiseProcess> process, diffusion::DsmOptions options)
    : process_(std::move(process)), options_(options) {
  check<ValueError>(process_ != nullptr, "denoising score matching needs a noise process");
}

std::string DsmObjective::name() const {
  return str_cat("dsm ", process_->describe(), ", t_min ", diffusion::resolve_t_min(*process_, options_.t_min),
                 options_.levels > 0 ? str_cat(", ", options_.levels, " levels") : std::string());
}

Tensor DsmObjective::loss(nn::Module& model, const data::Batch& batch, Generator& gen) const {
  auto* net = dynamic_cast<UNet*>(&model);
  check<ValueError>(net != nullptr, "denoising score matching trains a score network (--model unet), not ",
                    model.describe());
  return diffusion::dsm_loss(unet_score(*net, *process_), *process_, batch.images, gen, options_);
}

std::unique_ptr<diffusion::NoiseProcess> ProcessSpec::make() const { return diffusion::make_noise_process(sde, a, b); }

std::map<std::string, std::string> ProcessSpec::to_metadata() const {
  return {{"sde", sde},
          {"sde_a", str_cat(a)},
          {"sde_b", str_cat(b)},
          {"t_min", str_cat(t_min)},
          {"levels", std::to_string(levels)}};
}

ProcessSpec ProcessSpec::from_metadata(const std::map<std::string, std::string>& meta, const std::string& path) {
  const auto field = [&](const std::string& key) {
    auto it = meta.find(key);
    check<FormatError>(it != meta.end(), "'", path, "' is not a score model: its metadata has no '", key, "' field");
    return it->second;
  };
  const auto number = [&](const std::string& key) {
    const std::string text = field(key);
    size_t used = 0;
    double v = NAN;
    try {
      v = std::stod(text, &used);
    } catch (const std::logic_error&) {
      used = 0;
    }
    check<FormatError>(used == text.size() && !text.empty() && std::isfinite(v), "'", path, "': metadata field '", key,
                       "' is '", excerpt(text), "', expected a finite number");
    return v;
  };
  ProcessSpec s;
  s.sde = field("sde");
  s.a = number("sde_a");
  s.b = number("sde_b");
  s.t_min = number("t_min");
  try {
    s.make();
  } catch (const ValueError& e) {
    throw FormatError(str_cat("'", path, "': the noise process in its metadata is not valid: ", e.what()));
  }
  check<FormatError>(s.t_min >= 0 && s.t_min < 1, "'", path, "': metadata field 't_min' is ", s.t_min,
                     ", expected a number in [0, 1)");
  const double levels = number("levels");
  check<FormatError>(levels == 0 || (levels >= 2 && levels <= 1e6 && levels == std::floor(levels)), "'", path,
                     "': metadata field 'levels' is ", levels, ", expected 0 (continuous time) or an integer in [2, 1e6]");
  s.levels = static_cast<int64_t>(levels);
  return s;
}

}  // namespace momenta::models
