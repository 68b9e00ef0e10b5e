// Training checkpoints: model, optimizer state (flat arena-sized tensors, per-group step counts,
// global scalars), the default generator's (seed, offset) and the position in training, in one
// safetensors file written atomically. Resuming from one continues the run bit-exactly.
#pragma once

#include <cstdint>
#include <map>
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
  // What the run's schedule and data order depend on (epochs, batch size, dataset size,
  // schedule, optimizer hyperparameters, ...), as text: stored as "run.KEY" metadata so that a
  // resumed run can refuse settings that differ (Trainer::fit).
  std::map<std::string, std::string> run;
};

// `averager` may be null; when given, its state is saved too ("avg." entries).
void save_checkpoint(const std::string& path, const nn::Module& model, const optim::Optimizer& opt,
                     const TrainingPosition& pos, const optim::Averager* averager = nullptr);
// Restores model, optimizer, averager and the default generator; returns where training stands.
// FormatError names the file and the entry when it does not fit the model, optimizer or
// averager (including an averager present in one and not the other), when optimizer state the
// checkpoint lists is missing, and when a metadata field is not a non-negative integer (or, for
// base_lrs, a list of finite non-negative numbers).
TrainingPosition load_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer& opt,
                                 optim::Averager* averager = nullptr);

}  // namespace momenta::train
