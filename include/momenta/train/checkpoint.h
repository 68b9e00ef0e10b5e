// Training checkpoints: model, optimizer state (flat arena-sized tensors, per-group step counts,
// global scalars), the default generator's (seed, offset) and the position in training, in one
// safetensors file written atomically. Resuming from one continues the run bit-exactly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "momenta/nn/module.h"
#include "momenta/optim/averager.h"
#include "momenta/optim/optimizer.h"

namespace momenta::train {

struct TrainingPosition {
  int64_t next_epoch = 0;   // the epoch to run next (checkpoints are taken at epoch ends)
  int64_t global_step = 0;  // optimizer steps taken
  std::vector<double> base_lrs;  // per parameter group: the learning rate the schedule scales
};

// `averager` may be null; when given, its state is saved too ("avg." entries).
void save_checkpoint(const std::string& path, const nn::Module& model, const optim::Optimizer& opt,
                     const TrainingPosition& pos, const optim::Averager* averager = nullptr);
// Restores model, optimizer, averager and the default generator; returns where training stands.
// FormatError names the file and the entry when it does not fit the model, optimizer or
// averager (including an averager present in one and not the other).
TrainingPosition load_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer& opt,
                                 optim::Averager* averager = nullptr);

}  // namespace momenta::train
