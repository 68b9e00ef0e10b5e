// A U-Net as a score model: the denoising score-matching objective the Trainer minimises, and the
// score function the samplers call (NOTE [score scaling] in models/unet.h: the network's output
// divided by the noise process's marginal std, for VE and VP alike, as the PyTorch twin does).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "models/unet.h"
#include "momenta/diffusion/dsm_loss.h"
#include "momenta/diffusion/noise_process.h"
#include "momenta/diffusion/samplers.h"
#include "momenta/diffusion/score.h"
#include "momenta/train/objective.h"

namespace momenta::models {

// score(x, t) = net(x, t) / std(t). `net` and `process` must outlive the function.
diffusion::ScoreFn unet_score(UNet& net, const diffusion::NoiseProcess& process);

// n samples of `net` under `process` ([n, sample shape...], contiguous, on the host, where the FID
// classifier, PNG grids and files take them), drawn in eval mode; the net's mode is restored
// afterwards, also when sampling throws. Used by momenta sample, momenta train --fid-every and the
// belay-diffusion experiment.
Tensor draw_samples(UNet& net, const diffusion::NoiseProcess& process, int64_t n, const Shape& sample_shape,
                    const diffusion::SamplerOptions& opts, const diffusion::SamplerCallbacks& callbacks = {});

// Denoising score matching of a UNet (diffusion/dsm_loss.h) on the batch's images, which should be
// on the scale the samples are wanted on ([0, 1] for momenta's image datasets). The noise comes
// from the generator the Trainer gives each step (NOTE [objectives]).
class DsmObjective final : public train::Objective {
 public:
  DsmObjective(std::shared_ptr<const diffusion::NoiseProcess> process, diffusion::DsmOptions options = {});
  // "dsm " + the process's description: saved in run settings, so a resume with another process
  // is refused.
  std::string name() const override;
  Tensor loss(nn::Module& model, const data::Batch& batch, Generator& gen) const override;
  const diffusion::NoiseProcess& process() const { return *process_; }
  const diffusion::DsmOptions& options() const { return options_; }

 private:
  std::shared_ptr<const diffusion::NoiseProcess> process_;
  diffusion::DsmOptions options_;
};

// A noise process as make_noise_process builds it (diffusion/noise_process.h): its name and two
// parameters ("ve": sigma_min, sigma_max; "vp": beta_min, beta_max; "ve-power": sigma), and the
// smallest time trained on, and the number of discrete noise levels (0: continuous time). Saved in
// model files as "sde", "sde_a", "sde_b", "t_min", "levels".
struct ProcessSpec {
  std::string sde = "ve";
  double a = 0.01, b = 50.0;
  double t_min = 0.0;
  int64_t levels = 0;
  diffusion::DsmOptions dsm_options() const { return {t_min, levels}; }
  std::unique_ptr<diffusion::NoiseProcess> make() const;  // ValueError for bad parameters
  std::map<std::string, std::string> to_metadata() const;
  // FormatError naming the file and the field when one is missing or not a finite number.
  static ProcessSpec from_metadata(const std::map<std::string, std::string>& meta, const std::string& path);
};

}  // namespace momenta::models
