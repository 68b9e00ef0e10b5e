// The Trainer drives model, loss, optimizer, averager, schedules, data loader, metrics, progress
// bar, checkpoints and the divergence guard. The CLI, the experiments and the examples all train
// through it.
//
// One step: zero_grad; loss = objective.loss(model, batch) (NOTE [objectives] in
// train/objective.h); backward; averager.before_step(); optimizer.step
// ({loss, step}); averager.step(...) (NOTE [averager protocol] in optim/averager.h). Before the
// step the learning rate of every group is its base rate times the schedule's factor, and each
// HpSchedule sets its hyperparameter on every group.
//
// Evaluation uses the optimizer's eval_weights() (the paper's iterate for look-ahead rules) and,
// with an averager, also the averaged weights; the model's own weights are restored afterwards.
// For a model with batch norm, the averaged weights are evaluated with running statistics
// re-estimated at those weights over training batches (TrainerOptions::avg_bn_batches).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "momenta/data/augment.h"
#include "momenta/data/dataset.h"
#include "momenta/data/loader.h"
#include "momenta/io/metrics.h"
#include "momenta/nn/module.h"
#include "momenta/optim/averager.h"
#include "momenta/optim/optimizer.h"
#include "momenta/optim/schedule.h"
#include "momenta/train/checkpoint.h"
#include "momenta/train/objective.h"

namespace momenta::train {

struct StepEvent {
  int64_t epoch = 0;  // 0-based
  int64_t step = 0;   // global step just taken, from 0
  double loss = 0.0;  // the batch loss before the step
};

struct EvalResult {
  double loss = 0.0;
  double accuracy = 0.0;      // fraction in [0, 1]; 0 when the objective has none
  bool has_accuracy = false;  // the objective counts correct predictions
  int64_t samples = 0;
};

struct EpochResult {
  int64_t epoch = 0;
  double train_loss = 0.0;
  double seconds = 0.0;  // training part only
  EvalResult test;       // at the optimizer's eval_weights()
  EvalResult avg_test;   // at the averager's weights (samples == 0 without an averager)
};

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
  // What a step minimises and evaluation measures; empty: classification with cross-entropy.
  std::shared_ptr<const Objective> objective;
  // Applied to training batches (seeded by `seed`, NOTE [augmentation stream]); must keep the
  // sample shape, since evaluation sees the plain samples.
  data::Augmentation augmentation;
  // The learning rate of group i is base_lr_i * schedule.factor(step, epochs * batches), where
  // base_lr_i is the group's lr when fit() starts.
  optim::Schedule schedule;
  std::vector<optim::HpSchedule> hp_schedules;
  // Stepped after the optimizer, evaluated beside the model, saved in checkpoints; not owned.
  optim::Averager* averager = nullptr;
  // Before the averaged weights are evaluated, the batch-norm running statistics are
  // re-estimated at them over this many training batches (NOTE [batch-norm re-estimation] in
  // train/batch_norm_stats.h): -1 for all, 0 to keep the live model's statistics. The batches
  // are those the training loader gave in the epoch just finished, augmentation included (the
  // distribution the weights were trained on; with fewer than all, a random subset by the
  // shuffled order), gathered by a loader of their own, so training sees the same batches and
  // random numbers with or without it.
  int64_t avg_bn_batches = -1;
  // Called before each epoch (e.g. a hand-made schedule); may be empty.
  std::function<void(int64_t epoch, optim::Optimizer&)> on_epoch_start;
  // Called after every step; may be empty.
  std::function<void(const StepEvent&)> on_step;
  // When > 0 and fit() has a test set, the test set is also measured (as evaluate() does) before
  // the first step of a run that does not resume and after every eval_every_steps-th global step,
  // for curves finer than an epoch (e.g. the super-acceleration experiments). Evaluation changes
  // nothing that training sees: the same batches, random numbers and weights follow.
  int64_t eval_every_steps = 0;
  // Called with the global step count and the result of every evaluation of the test set at the
  // optimizer's eval_weights(): those of eval_every_steps and each epoch's own, once per step
  // count (an epoch that ends where a step-level evaluation fell reuses it); may be empty.
  std::function<void(int64_t steps, const EvalResult&)> on_eval;
  // Called after each epoch's evaluation, before its checkpoint; may be empty. What it is given
  // stays measured when a later epoch diverges (fit() then throws).
  std::function<void(const EpochResult&)> on_epoch_end;
  // Called after each epoch's evaluation, before its metrics record is written: the fields it
  // appends go into that epoch's record (e.g. momenta train --fid-every: a FID of samples drawn
  // at the epoch's weights). Give every epoch the same keys (NaN where nothing was measured), so
  // that the CSV columns, fixed by the first record, hold them (NOTE [metrics columns]). Called
  // whether or not metrics files are written; may be empty.
  std::function<void(const EpochResult&, io::MetricsRecord&)> epoch_metrics;
};

class Trainer {
 public:
  Trainer(nn::Module& model, optim::Optimizer& optimizer, TrainerOptions options);
  ~Trainer();
  // Trains for options.epochs epochs; evaluates on `test` (if given) after each. Throws
  // momenta::Error when the loss, a gradient or a parameter becomes non-finite (NOTE [non-finite
  // numbers] in optim/finite_check.h), naming the step and the tensor; the last checkpoint stays.
  // Resuming (options.resume_from) refuses a checkpoint whose run settings differ from this
  // run's in anything the schedule, data order or update depends on (the message lists each),
  // and cuts the metrics files back to the checkpoint's epochs (NOTE [run directory] in
  // train/run_dir.h). A checkpoint that already covers every epoch trains nothing and says so.
  std::vector<EpochResult> fit(const data::Dataset& train, const data::Dataset* test);
  // Mean loss (and accuracy, when the objective has one) at the optimizer's eval_weights(), in
  // eval mode, without a graph.
  EvalResult evaluate(const data::Dataset& ds);
  // The same at the averager's weights (ValueError without an averager or before its first
  // average); `bn_data` and `bn_epoch` as for with_averaged_weights.
  EvalResult evaluate_averaged(const data::Dataset& ds, const data::Dataset* bn_data = nullptr, int64_t bn_epoch = 0);
  // Runs fn with the averager's weights in the model, then restores the model's weights and
  // buffers bit-exactly (also when fn throws). When `bn_data` is given, the model has batch norm
  // and options.avg_bn_batches != 0, the batch-norm statistics are first re-estimated over the
  // batches the training loader makes of `bn_data` in epoch `bn_epoch`. fit() passes the
  // training set and the epoch just finished; fn may, e.g., save model.state_dict().
  void with_averaged_weights(const std::function<void()>& fn, const data::Dataset* bn_data = nullptr,
                             int64_t bn_epoch = 0);
  // Runs fn with the optimizer's eval_weights() in the model (the weights evaluate() measures and
  // a saved model holds), then restores the model's weights bit-exactly (also when fn throws).
  void with_eval_weights(const std::function<void()>& fn);
  int64_t global_step() const { return step_; }

 private:
  EvalResult evaluate_current(const data::Dataset& ds);
  EvalResult evaluate_at(const Tensor& weights, const data::Dataset& ds);
  // Runs fn with `weights` in the model's parameters, then restores them (and, with keep_buffers,
  // the model's buffers) bit-exactly, also when fn throws.
  void with_weights(const Tensor& weights, bool keep_buffers, const std::function<void()>& fn);
  void apply_schedules(int64_t total_steps);
  // What the schedule, data order and update depend on, as text (TrainingPosition::run).
  std::map<std::string, std::string> run_settings(int64_t dataset_size) const;
  // Restores the checkpoint and checks that it fits this run; returns the first epoch to train.
  int64_t resume(int64_t batches_per_epoch);
  data::LoaderOptions train_loader_options() const;
  const Objective& objective() const { return *opts_.objective; }

  nn::Module& model_;
  optim::Optimizer& opt_;
  TrainerOptions opts_;
  int64_t step_ = 0;
  std::vector<double> base_lrs_;
  std::map<std::string, std::string> run_;  // run_settings() at the start of fit()
  std::unique_ptr<io::MetricsWriter> metrics_;
};

}  // namespace momenta::train
