// The Trainer drives model, loss, optimizer, data loader, metrics, progress bar and the
// divergence guard. The CLI, the experiments and the examples all train through it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "momenta/data/dataset.h"
#include "momenta/io/metrics.h"
#include "momenta/nn/module.h"
#include "momenta/optim/optimizer.h"
#include "momenta/optim/schedule.h"
#include "momenta/train/checkpoint.h"

namespace momenta::train {

struct TrainerOptions {
  int64_t epochs = 10;
  int64_t batch_size = 128;
  int64_t eval_batch_size = 1000;
  uint64_t seed = 0;            // data order (the model's init is seeded by the caller)
  bool progress = true;         // progress bar on stderr
  bool print_epochs = true;     // one summary line per epoch on stdout
  std::string metrics_jsonl;    // empty: no metrics file
  std::string metrics_csv;
  std::string checkpoint;       // written (atomically) after every epoch when set
  std::string resume_from;      // a checkpoint to continue from when set
  // The learning rate of every group is base_lr * schedule.factor(step, epochs * batches).
  optim::Schedule schedule;
  // Called before each epoch (e.g. a learning-rate schedule); may be empty.
  std::function<void(int64_t epoch, optim::Optimizer&)> on_epoch_start;
};

struct EvalResult {
  double loss = 0.0;
  double accuracy = 0.0;  // fraction in [0, 1]
  int64_t samples = 0;
};

struct EpochResult {
  int64_t epoch = 0;
  double train_loss = 0.0;
  double seconds = 0.0;  // training part only
  EvalResult test;
};

class Trainer {
 public:
  Trainer(nn::Module& model, optim::Optimizer& optimizer, TrainerOptions options);
  ~Trainer();
  // Trains for options.epochs epochs; evaluates on `test` (if given) after each.
  std::vector<EpochResult> fit(const data::Dataset& train, const data::Dataset* test);
  // Mean cross-entropy and accuracy, in eval mode, without recording a graph.
  EvalResult evaluate(const data::Dataset& ds);
  int64_t global_step() const { return step_; }

 private:
  nn::Module& model_;
  optim::Optimizer& opt_;
  TrainerOptions opts_;
  int64_t step_ = 0;
  double base_lr_ = 0.0;
  std::unique_ptr<io::MetricsWriter> metrics_;
};

}  // namespace momenta::train
