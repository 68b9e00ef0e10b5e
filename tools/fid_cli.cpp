#include "tools/fid_cli.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "models/score_model.h"
#include "momenta/diffusion/samplers.h"
#include "momenta/error.h"
#include "momenta/io/svg.h"
#include "momenta/train/progress.h"
#include "tools/cli_common.h"

namespace momenta::cli {

models::FidFeatureNet obtain_fid_net(const std::string& path, const std::string& dataset,
                                     const data::ImageDataset& train, const data::ImageDataset& test,
                                     const data::Normalization& norm, bool progress) {
  const std::string net_path =
      path.empty() ? models::fid_net_cache_path(dataset, models::fid_data_fingerprint(train, test)) : path;
  models::FidTraining ft;
  ft.progress = progress;
  if (!std::filesystem::exists(net_path)) {
    std::printf("training the FID classifier (ResNet-20, %lld epochs on %lld %s images) once; it is saved to %s\n",
                static_cast<long long>(ft.epochs), static_cast<long long>(ft.max_train_images), dataset.c_str(),
                net_path.c_str());
    std::fflush(stdout);
  }
  models::FidFeatureNet net = models::load_or_train_fid_net(net_path, dataset, train, test, norm, ft);
  std::printf("FID classifier %s: ResNet-20 on %s, test accuracy %.2f%%\n", net_path.c_str(), dataset.c_str(),
              100.0 * net.test_accuracy);
  return net;
}

TrainingFid::TrainingFid(const FidCurveOptions& options, const std::string& dataset, const data::ImageDataset& train,
                         const data::ImageDataset& test, const data::Normalization& norm,
                         std::shared_ptr<const diffusion::NoiseProcess> process, double t_end, Device device,
                         const optim::Averager* averager)
    : opts_(options),
      process_(std::move(process)),
      t_end_(t_end),
      device_(device),
      averager_(averager),
      shape_(train.sample_shape()) {
  check<ValueError>(opts_.n <= train.size(), "--fid-n must be at most ", train.size(),
                    " (the training images: the floor compares as many with the test images), got ", opts_.n);
  net_ = obtain_fid_net(opts_.net_path, dataset, train, test, norm, opts_.progress);
  ref_ = models::make_fid_reference(net_, train, test, opts_.n, -1, opts_.seed);
  std::printf(
      "FID every %lld epoch(s) and at the last: %lld samples of the %s, reverse-SDE Euler-Maruyama %lld "
      "steps, sampler seed %llu at every epoch; floor %.2f, pure noise %.2f\n",
      static_cast<long long>(opts_.every), static_cast<long long>(opts_.n), weights().c_str(),
      static_cast<long long>(opts_.steps), static_cast<unsigned long long>(opts_.seed), ref_.floor, ref_.noise);
  std::printf("%s\n", ref_.label().c_str());
  std::fflush(stdout);
}

std::string TrainingFid::weights() const {
  return averager_ == nullptr ? std::string("model weights") : averager_->name() + std::string(" averaged weights");
}

void TrainingFid::measure(train::Trainer& trainer, models::UNet& net, const data::Dataset& train_set,
                          const train::EpochResult& r, int64_t epochs, io::MetricsRecord& record) {
  double fid = std::nan("");
  if (r.epoch % opts_.every == 0 || r.epoch == epochs) {
    const auto t0 = std::chrono::steady_clock::now();
    diffusion::SamplerOptions so;
    so.kind = diffusion::SamplerKind::kEulerMaruyama;
    so.steps = opts_.steps;
    so.seed = opts_.seed;
    so.t_end = t_end_;
    so.device = device_;
    if (averager_ != nullptr && !averager_->averaged().defined()) {  // e.g. swa before its start
      std::printf("FID at epoch %lld: not measured (%s has no average yet)\n", static_cast<long long>(r.epoch),
                  averager_->name());
    } else {
      train::ProgressBar bar(str_cat("FID, epoch ", r.epoch), diffusion::sampler_evaluations(*process_, so),
                             opts_.progress);
      diffusion::SamplerCallbacks cb;
      cb.progress = [&](int64_t done, int64_t) { bar.update(done, "", 0); };
      Tensor samples;
      const auto draw = [&] { samples = models::draw_samples(net, *process_, opts_.n, shape_, so, cb); };
      if (averager_ != nullptr)
        trainer.with_averaged_weights(draw, &train_set, r.epoch - 1);
      else
        trainer.with_eval_weights(draw);
      bar.finish("sampled");
      fid = ref_.fid(samples);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::printf("FID at epoch %lld (%s): %.2f  (floor %.2f, pure noise %.2f; %.1f s)\n",
                  static_cast<long long>(r.epoch), weights().c_str(), fid, ref_.floor, ref_.noise, seconds);
    }
    std::fflush(stdout);
  }
  record.emplace_back("fid", fid);
}

void TrainingFid::write_plot(const std::string& jsonl, const std::string& svg) const {
  const auto cols = read_metrics_columns(jsonl, {"epoch", "fid"}, svg);
  std::vector<double> epoch, fid;
  for (size_t i = 0; i < cols[0].size(); ++i)
    if (std::isfinite(cols[1][i])) epoch.push_back(cols[0][i]), fid.push_back(cols[1][i]);
  if (epoch.empty()) return;
  const double x0 = *std::min_element(epoch.begin(), epoch.end());
  const double x1 = *std::max_element(epoch.begin(), epoch.end());
  io::PlotSeries floor("floor: " + std::to_string(opts_.n) + " training images", {x0, x1}, {ref_.floor, ref_.floor});
  io::PlotSeries noise("pure noise (uniform pixels)", {x0, x1}, {ref_.noise, ref_.noise});
  floor.dashed = noise.dashed = true;
  const std::string samples = std::to_string(opts_.n) + " samples (" + weights() + ", Euler-Maruyama " +
                              std::to_string(opts_.steps) + " steps) vs " + std::to_string(ref_.reference_images) +
                              " test images";
  char title[160];
  std::snprintf(title, sizeof title, "FID over training (classifier: ResNet-20 on %s, test accuracy %.2f%%)",
                net_.dataset.c_str(), 100.0 * net_.test_accuracy);
  io::write_text_file(svg, io::render_line_plot({title,
                                                 {"epoch"},
                                                 {"FID, momenta classifier features", true},
                                                 {{samples, epoch, fid, true, true}, floor, noise}}));
}

}  // namespace momenta::cli
