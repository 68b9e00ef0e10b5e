#include "momenta/train/batch_norm_stats.h"

#include <vector>

#include "momenta/autograd.h"
#include "momenta/nn/conv_layers.h"

namespace momenta::train {
namespace {

std::vector<nn::BatchNorm2d*> batch_norm_layers(nn::Module& model) {
  std::vector<nn::BatchNorm2d*> out;
  model.apply([&out](nn::Module& m) {
    if (auto* bn = dynamic_cast<nn::BatchNorm2d*>(&m)) out.push_back(bn);
  });
  return out;
}

}  // namespace

bool has_batch_norm(nn::Module& model) { return !batch_norm_layers(model).empty(); }

int64_t recompute_batch_norm_stats(nn::Module& model, data::DataLoader& loader, int64_t epoch, int64_t max_batches) {
  check<ValueError>(max_batches != 0, "recompute_batch_norm_stats: max_batches is 0 (negative for all batches)");
  const std::vector<nn::BatchNorm2d*> layers = batch_norm_layers(model);
  if (layers.empty()) return 0;
  NoGradGuard ng;
  const bool was_training = model.is_training();
  std::vector<double> momenta;
  for (nn::BatchNorm2d* bn : layers) {
    momenta.push_back(bn->momentum);
    bn->running_mean.zero_();
    bn->running_var.fill_(1.0);
  }
  const auto restore = [&] {
    for (size_t i = 0; i < layers.size(); ++i) layers[i]->momentum = momenta[i];
    model.train(was_training);
  };
  model.eval();
  for (nn::BatchNorm2d* bn : layers) bn->train();
  int64_t k = 0;
  try {
    loader.start_epoch(epoch);
    data::Batch batch;
    while ((max_batches < 0 || k < max_batches) && loader.next(batch)) {
      ++k;
      // running <- (1 - 1/k) running + (1/k) batch statistic: the mean over the k batches.
      for (nn::BatchNorm2d* bn : layers) bn->momentum = 1.0 / static_cast<double>(k);
      model(batch.images);
    }
  } catch (...) {
    restore();
    throw;
  }
  restore();
  return k;
}

}  // namespace momenta::train
