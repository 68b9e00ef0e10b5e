// The FID of the commands ("FID, momenta classifier features", models/fid_features.h): the
// classifier as `momenta sample --fid` and `momenta train --fid-every` obtain it, and the FID
// curve of a training run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "models/fid_features.h"
#include "models/unet.h"
#include "momenta/data/dataset.h"
#include "momenta/diffusion/noise_process.h"
#include "momenta/io/metrics.h"
#include "momenta/optim/averager.h"
#include "momenta/train/trainer.h"

namespace momenta::cli {

// The FID classifier of `dataset`: loaded from `path` (empty: models::fid_net_cache_path), or
// trained there once when missing, which is said on stdout first; then its file, network and test
// accuracy are printed. `norm` is the dataset's own normalisation (the classifier's input scale),
// whatever `train` and `test` carry.
models::FidFeatureNet obtain_fid_net(const std::string& path, const std::string& dataset,
                                     const data::ImageDataset& train, const data::ImageDataset& test,
                                     const data::Normalization& norm, bool progress);

// momenta train --fid-every: what is measured and how.
struct FidCurveOptions {
  int64_t every = 0;     // epochs between measurements (the last epoch is always measured); 0: off
  int64_t n = 500;       // samples per FID, also the size of the floor's set of training images
  int64_t steps = 100;   // reverse-SDE Euler-Maruyama steps
  uint64_t seed = 0;     // the prior draw and every noise of the sampler, the same at every epoch
  std::string net_path;  // the classifier file; empty: the cache
  bool progress = true;
};

// The FID of samples of a score model at the end of chosen epochs, written into the epoch's
// metrics record as "fid" (NaN, i.e. null in JSONL, at the epochs not measured), so that
// --resume, which cuts the metrics back to the checkpoint's epochs, keeps the curve's earlier
// points. Samples come from the averaged weights when the trainer has an averager (an epoch
// before its first average is not measured), else from the optimizer's eval_weights(), the
// weights model.safetensors holds.
class TrainingFid {
 public:
  // Makes the classifier ready and fits the reference (the test split) before any training, so
  // that a bad classifier file fails first. `train` and `test` hold the images on the [0, 1]
  // scale the model learns; `norm` is the dataset's own normalisation. ValueError names --fid-n
  // when there are fewer than n training images for the floor.
  TrainingFid(const FidCurveOptions& options, const std::string& dataset, const data::ImageDataset& train,
              const data::ImageDataset& test, const data::Normalization& norm,
              std::shared_ptr<const diffusion::NoiseProcess> process, double t_end, Device device,
              const optim::Averager* averager);
  // TrainerOptions::epoch_metrics: appends "fid" to the record of epoch r (1-based r.epoch) of
  // `epochs`, measuring it when the epoch is one of --fid-every's, and prints the number.
  // `train_set` and the epoch are those of Trainer::with_averaged_weights.
  void measure(train::Trainer& trainer, models::UNet& net, const data::Dataset& train_set, const train::EpochResult& r,
               int64_t epochs, io::MetricsRecord& record);
  // Writes `svg`: every "fid" of the run's metrics.jsonl (resumed runs included) against the
  // epoch, with the floor and pure noise as horizontal references.
  void write_plot(const std::string& jsonl, const std::string& svg) const;
  // "ema averaged weights" or "model weights": what the samples are drawn with.
  std::string weights() const;

 private:
  FidCurveOptions opts_;
  models::FidFeatureNet net_;
  models::FidReference ref_;
  std::shared_ptr<const diffusion::NoiseProcess> process_;
  double t_end_;
  Device device_;
  const optim::Averager* averager_;
  Shape shape_;
};

}  // namespace momenta::cli
